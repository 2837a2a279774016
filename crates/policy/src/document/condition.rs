//! The `Condition` element: operators, set qualifiers and the `...IfExists` forms.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The base comparison of a condition operator, without qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)] // the variants are AWS's operator names
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Operator {
    /// Every operator, in declaration order.
    pub const ALL: [Operator; 27] = [
        Operator::StringEquals,
        Operator::StringNotEquals,
        Operator::StringEqualsIgnoreCase,
        Operator::StringNotEqualsIgnoreCase,
        Operator::StringLike,
        Operator::StringNotLike,
        Operator::NumericEquals,
        Operator::NumericNotEquals,
        Operator::NumericLessThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThan,
        Operator::NumericGreaterThanEquals,
        Operator::DateEquals,
        Operator::DateNotEquals,
        Operator::DateLessThan,
        Operator::DateLessThanEquals,
        Operator::DateGreaterThan,
        Operator::DateGreaterThanEquals,
        Operator::Bool,
        Operator::BinaryEquals,
        Operator::IpAddress,
        Operator::NotIpAddress,
        Operator::ArnEquals,
        Operator::ArnLike,
        Operator::ArnNotEquals,
        Operator::ArnNotLike,
        Operator::Null,
    ];

    /// AWS's name for the operator.
    pub fn name(self) -> &'static str {
        match self {
            Operator::StringEquals => "StringEquals",
            Operator::StringNotEquals => "StringNotEquals",
            Operator::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Operator::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Operator::StringLike => "StringLike",
            Operator::StringNotLike => "StringNotLike",
            Operator::NumericEquals => "NumericEquals",
            Operator::NumericNotEquals => "NumericNotEquals",
            Operator::NumericLessThan => "NumericLessThan",
            Operator::NumericLessThanEquals => "NumericLessThanEquals",
            Operator::NumericGreaterThan => "NumericGreaterThan",
            Operator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Operator::DateEquals => "DateEquals",
            Operator::DateNotEquals => "DateNotEquals",
            Operator::DateLessThan => "DateLessThan",
            Operator::DateLessThanEquals => "DateLessThanEquals",
            Operator::DateGreaterThan => "DateGreaterThan",
            Operator::DateGreaterThanEquals => "DateGreaterThanEquals",
            Operator::Bool => "Bool",
            Operator::BinaryEquals => "BinaryEquals",
            Operator::IpAddress => "IpAddress",
            Operator::NotIpAddress => "NotIpAddress",
            Operator::ArnEquals => "ArnEquals",
            Operator::ArnLike => "ArnLike",
            Operator::ArnNotEquals => "ArnNotEquals",
            Operator::ArnNotLike => "ArnNotLike",
            Operator::Null => "Null",
        }
    }

    /// True for the negated operators (`StringNotEquals`, `NotIpAddress`, ...),
    /// which match when the request value matches none of the policy values and
    /// which are true when the key is absent from the request.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
                | Operator::ArnNotEquals
                | Operator::ArnNotLike
        )
    }

    /// The positive operator a negated one is the complement of
    /// (`StringNotLike` → `StringLike`); positive operators return themselves.
    pub fn positive(self) -> Operator {
        match self {
            Operator::StringNotEquals => Operator::StringEquals,
            Operator::StringNotEqualsIgnoreCase => Operator::StringEqualsIgnoreCase,
            Operator::StringNotLike => Operator::StringLike,
            Operator::NumericNotEquals => Operator::NumericEquals,
            Operator::DateNotEquals => Operator::DateEquals,
            Operator::NotIpAddress => Operator::IpAddress,
            Operator::ArnNotEquals => Operator::ArnEquals,
            Operator::ArnNotLike => Operator::ArnLike,
            other => other,
        }
    }
}

/// The set qualifier of an operator used with multivalued context keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetQualifier {
    /// `ForAllValues:` — every request value must match; true when the key is absent or empty.
    ForAllValues,
    /// `ForAnyValue:` — at least one request value must match; false when the key is absent or empty.
    ForAnyValue,
}

/// A complete condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConditionOperator {
    /// The base comparison.
    pub operator: Operator,
    /// `ForAllValues:` / `ForAnyValue:`, if any.
    pub qualifier: Option<SetQualifier>,
    /// The `...IfExists` form: true when the key is absent from the request.
    pub if_exists: bool,
}

impl ConditionOperator {
    /// The plain operator, with no qualifier and no `IfExists`.
    pub const fn new(operator: Operator) -> Self {
        ConditionOperator {
            operator,
            qualifier: None,
            if_exists: false,
        }
    }

    /// `ForAllValues:` form of `operator`.
    pub const fn for_all_values(operator: Operator) -> Self {
        ConditionOperator {
            operator,
            qualifier: Some(SetQualifier::ForAllValues),
            if_exists: false,
        }
    }

    /// `ForAnyValue:` form of `operator`.
    pub const fn for_any_value(operator: Operator) -> Self {
        ConditionOperator {
            operator,
            qualifier: Some(SetQualifier::ForAnyValue),
            if_exists: false,
        }
    }

    /// The `...IfExists` form of this operator.
    pub const fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }
}

impl From<Operator> for ConditionOperator {
    fn from(operator: Operator) -> Self {
        ConditionOperator::new(operator)
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.operator.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

impl FromStr for ConditionOperator {
    type Err = Error;

    /// Parses an operator exactly as AWS spells it; an unknown or misspelled
    /// name is an error that suggests the closest known operator.
    fn from_str(text: &str) -> Result<Self, Error> {
        let unknown = || {
            let base = text
                .trim_start_matches("ForAllValues:")
                .trim_start_matches("ForAnyValue:");
            let mut message = format!("unknown condition operator {text:?}");
            if let Some(close) = closest_operator(base) {
                message.push_str(&format!("; did you mean {close:?}?"));
            }
            Error::invalid("", message)
        };
        let (qualifier, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let operator = Operator::ALL
            .into_iter()
            .find(|op| op.name() == base)
            .ok_or_else(unknown)?;
        if operator == Operator::Null && (if_exists || qualifier.is_some()) {
            return Err(Error::invalid(
                "",
                format!("{text:?} is not allowed: Null takes neither IfExists nor a set qualifier"),
            ));
        }
        Ok(ConditionOperator {
            operator,
            qualifier,
            if_exists,
        })
    }
}

/// The known operator nearest to `name` by edit distance, if it is close enough
/// to be a plausible misspelling.
fn closest_operator(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix("IfExists").unwrap_or(name);
    Operator::ALL
        .into_iter()
        .map(|op| {
            (
                edit_distance(&name.to_ascii_lowercase(), &op.name().to_ascii_lowercase()),
                op.name(),
            )
        })
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance between two strings.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The `Condition` element of a statement: operator → condition key → values.
///
/// All operators must hold (AND); within an operator all keys must hold (AND);
/// a key's values are alternatives (OR; NOR for negated operators). Keys keep
/// the spelling they were given; AWS compares them case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    blocks: BTreeMap<ConditionOperator, BTreeMap<String, Vec<String>>>,
}

impl Condition {
    /// An empty condition (always true).
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the condition has no operators.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Adds `values` for `key` under `operator`, appending to values already there.
    pub fn insert<I, S>(&mut self, operator: impl Into<ConditionOperator>, key: impl Into<String>, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.blocks
            .entry(operator.into())
            .or_default()
            .entry(key.into())
            .or_default()
            .extend(values.into_iter().map(Into::into));
    }

    /// Builder form of [`Condition::insert`].
    pub fn with<I, S>(mut self, operator: impl Into<ConditionOperator>, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert(operator, key, values);
        self
    }

    /// The operators with their keys and values, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = (&ConditionOperator, &BTreeMap<String, Vec<String>>)> {
        self.blocks.iter()
    }

    /// The values given for `key` under `operator`, if any.
    pub fn get(&self, operator: impl Into<ConditionOperator>, key: &str) -> Option<&[String]> {
        self.blocks.get(&operator.into())?.get(key).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualified_if_exists_operators() {
        let op: ConditionOperator = "ForAnyValue:StringNotLikeIfExists".parse().unwrap();
        assert_eq!(op.operator, Operator::StringNotLike);
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringNotLikeIfExists");
    }

    #[test]
    fn every_operator_round_trips_through_its_name() {
        for op in Operator::ALL {
            let parsed: ConditionOperator = op.name().parse().unwrap();
            assert_eq!(parsed, ConditionOperator::new(op));
        }
    }

    #[test]
    fn misspelled_operator_suggests_the_right_one() {
        let err = "StringEqual".parse::<ConditionOperator>().unwrap_err().to_string();
        assert!(err.contains("unknown condition operator \"StringEqual\""), "{err}");
        assert!(err.contains("did you mean \"StringEquals\""), "{err}");
    }

    #[test]
    fn null_takes_no_if_exists() {
        assert!("NullIfExists".parse::<ConditionOperator>().is_err());
        assert!("ForAllValues:Null".parse::<ConditionOperator>().is_err());
    }
}
