//! What an idempotent "ensure" operation did: created, updated (with the
//! fields that changed) or left unchanged.

use std::fmt;

/// One field an update changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldChange {
    /// The field, e.g. `client_ids` or `thumbprints`.
    pub field: String,
    /// Its value before, as text.
    pub before: String,
    /// Its value after, as text.
    pub after: String,
}

impl FieldChange {
    /// A change of `field` from `before` to `after`.
    pub fn new(field: impl Into<String>, before: impl fmt::Display, after: impl fmt::Display) -> Self {
        FieldChange {
            field: field.into(),
            before: before.to_string(),
            after: after.to_string(),
        }
    }
}

/// What an ensure operation did to its resource.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// The resource did not exist and was created.
    Created,
    /// The resource existed and differed; these fields were changed.
    Updated {
        /// The fields that changed, with their old and new values.
        diff: Vec<FieldChange>,
    },
    /// The resource existed exactly as asked; nothing was sent.
    Unchanged,
}

impl Change {
    /// `Updated` with `diff`, or `Unchanged` when the diff is empty.
    pub fn from_diff(diff: Vec<FieldChange>) -> Self {
        if diff.is_empty() {
            Change::Unchanged
        } else {
            Change::Updated { diff }
        }
    }

    /// True unless the resource was left unchanged.
    pub fn is_change(&self) -> bool {
        !matches!(self, Change::Unchanged)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Created => f.write_str("created"),
            Change::Unchanged => f.write_str("unchanged"),
            Change::Updated { diff } => {
                f.write_str("updated")?;
                for (i, change) in diff.iter().enumerate() {
                    let separator = if i == 0 { ": " } else { "; " };
                    write!(f, "{separator}{} {} -> {}", change.field, change.before, change.after)?;
                }
                Ok(())
            }
        }
    }
}

/// The result of an ensure operation: the resource's identifier (usually its
/// ARN) and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ensured<T> {
    /// The resource, e.g. its ARN.
    pub resource: T,
    /// What was done.
    #[serde(flatten)]
    pub change: Change,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_diff_is_unchanged() {
        assert_eq!(Change::from_diff(Vec::new()), Change::Unchanged);
        assert!(!Change::Unchanged.is_change());
    }

    #[test]
    fn updates_display_their_diff() {
        let change = Change::from_diff(vec![
            FieldChange::new("client_ids", "[a]", "[a, b]"),
            FieldChange::new("thumbprints", "[x]", "[y]"),
        ]);
        assert!(change.is_change());
        assert_eq!(
            change.to_string(),
            "updated: client_ids [a] -> [a, b]; thumbprints [x] -> [y]"
        );
    }
}
