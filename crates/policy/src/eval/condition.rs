//! Compiled `Condition` blocks and their evaluation against a request context.
//!
//! Semantics (IAM User Guide, "Condition operators" and "Single-valued vs.
//! multivalued context keys"):
//!
//! - every operator and every key must hold (AND);
//! - a key's policy values are alternatives: a request value matches a
//!   positive operator when it matches *any* policy value, and a negated
//!   operator when it matches *none*;
//! - a missing key (or one present with no values) makes a positive operator
//!   false and a negated one true, `...IfExists` true, `ForAllValues` true and
//!   `ForAnyValue` false; `Null` tests presence (`"true"` = absent);
//! - without a set qualifier, a multivalued key needs *any* value to match a
//!   positive operator and *no* value to match a negated one;
//! - a request value of the wrong type for the operator never matches.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ipnet::IpNet;

use super::context::{Context, ContextValue, Entry, normalize_key};
use super::parse::{parse_date, parse_number};
use super::pattern::{ArnPattern, Pattern, Syntax};
use crate::document::{ConditionOperator, Operator, SetQualifier};

/// A numeric or date comparison: `request <cmp> policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// A `BinaryEquals` policy value.
#[derive(Debug, Clone, PartialEq)]
struct Binary {
    bytes: Vec<u8>,
    /// The value as written in the policy.
    text: Box<str>,
    /// Canonical base64 of `bytes`.
    canonical: Box<str>,
}

/// The comparison a condition performs, with its pre-parsed policy values.
/// Values that cannot be read as the operator's type are `None` and never match.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// `Null`: each value says whether the key must be absent.
    Null(Vec<bool>),
    /// String operators and `Bool` (case-folded exact match on `true`/`false`).
    Text(Vec<Pattern>),
    Numeric(Cmp, Vec<Option<f64>>),
    Date(Cmp, Vec<Option<i128>>),
    Binary(Vec<Option<Binary>>),
    Ip(Vec<Option<IpNet>>),
    Arn(Vec<ArnPattern>),
}

/// One key under one operator, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledCondition {
    /// Lower-case condition key.
    key: Box<str>,
    qualifier: Option<SetQualifier>,
    if_exists: bool,
    negated: bool,
    test: Test,
}

impl CompiledCondition {
    /// Compiles the `values` given for `key` under `operator`; `variables` is
    /// true for `2012-10-17` documents.
    pub(crate) fn compile(operator: ConditionOperator, key: &str, values: &[String], variables: bool) -> Self {
        let base = operator.operator.positive();
        let text = |wildcards: bool, fold_case: bool| {
            let syntax = Syntax {
                wildcards,
                variables,
                fold_case,
            };
            Test::Text(values.iter().map(|v| Pattern::compile(v, syntax)).collect())
        };
        let numbers = |cmp| Test::Numeric(cmp, values.iter().map(|v| parse_number(v)).collect());
        let dates = |cmp| Test::Date(cmp, values.iter().map(|v| parse_date(v)).collect());
        let test = match base {
            Operator::StringEquals => text(false, false),
            Operator::StringEqualsIgnoreCase | Operator::Bool => text(false, true),
            Operator::StringLike => text(true, false),
            Operator::NumericEquals => numbers(Cmp::Eq),
            Operator::NumericLessThan => numbers(Cmp::Lt),
            Operator::NumericLessThanEquals => numbers(Cmp::Le),
            Operator::NumericGreaterThan => numbers(Cmp::Gt),
            Operator::NumericGreaterThanEquals => numbers(Cmp::Ge),
            Operator::DateEquals => dates(Cmp::Eq),
            Operator::DateLessThan => dates(Cmp::Lt),
            Operator::DateLessThanEquals => dates(Cmp::Le),
            Operator::DateGreaterThan => dates(Cmp::Gt),
            Operator::DateGreaterThanEquals => dates(Cmp::Ge),
            Operator::BinaryEquals => Test::Binary(values.iter().map(|v| binary(v)).collect()),
            Operator::IpAddress => Test::Ip(values.iter().map(|v| ip_net(v)).collect()),
            Operator::ArnEquals | Operator::ArnLike => {
                Test::Arn(values.iter().map(|v| ArnPattern::compile(v, variables)).collect())
            }
            Operator::Null => Test::Null(
                values
                    .iter()
                    .filter_map(|v| {
                        let parsed = super::parse::parse_bool(v);
                        if parsed.is_none() {
                            tracing::debug!(key, value = %v, "Null condition value is neither true nor false; ignored");
                        }
                        parsed
                    })
                    .collect(),
            ),
            // `positive()` never returns a negated operator.
            Operator::StringNotEquals
            | Operator::StringNotEqualsIgnoreCase
            | Operator::StringNotLike
            | Operator::NumericNotEquals
            | Operator::DateNotEquals
            | Operator::NotIpAddress
            | Operator::ArnNotEquals
            | Operator::ArnNotLike => Test::Null(Vec::new()),
        };
        CompiledCondition {
            key: normalize_key(key),
            qualifier: operator.qualifier,
            if_exists: operator.if_exists,
            negated: operator.operator.is_negated(),
            test,
        }
    }

    /// True when the condition holds for `context`.
    pub(crate) fn holds(&self, context: &Context) -> bool {
        let entry = context.entry(&self.key).filter(|e| e.len() > 0);
        if let Test::Null(expected) = &self.test {
            let absent = entry.is_none();
            return expected.contains(&absent);
        }
        let Some(entry) = entry else {
            return self.if_exists
                || match self.qualifier {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => false,
                    None => self.negated,
                };
        };
        let value_holds = |i: usize| self.matches_any(entry, i, context) != self.negated;
        let all = match self.qualifier {
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            // No qualifier: any value for a positive operator, every value
            // (that is, none matching) for a negated one.
            None => self.negated,
        };
        if all {
            (0..entry.len()).all(value_holds)
        } else {
            (0..entry.len()).any(value_holds)
        }
    }

    /// True when the `i`th request value matches at least one policy value
    /// under the positive form of the operator.
    fn matches_any(&self, entry: &Entry, i: usize, context: &Context) -> bool {
        let value = &entry.values()[i];
        match &self.test {
            Test::Null(_) => false,
            Test::Text(patterns) => {
                let text = entry.text(i);
                patterns.iter().any(|p| p.matches(text, context))
            }
            Test::Numeric(cmp, policy) => {
                let request = match value {
                    ContextValue::Number(n) => Some(*n),
                    ContextValue::String(s) => parse_number(s),
                    _ => None,
                };
                request.is_some_and(|r| policy.iter().flatten().any(|&p| cmp.holds(r, p)))
            }
            Test::Date(cmp, policy) => {
                let request = match value {
                    ContextValue::Date(d) => Some(d.unix_timestamp_nanos()),
                    ContextValue::Number(n) if n.abs() <= 1e12 => Some((n * 1e9).round() as i128),
                    ContextValue::String(s) => parse_date(s),
                    _ => None,
                };
                request.is_some_and(|r| policy.iter().flatten().any(|&p| cmp.holds(r, p)))
            }
            Test::Binary(policy) => match value {
                ContextValue::Binary(bytes) => policy.iter().flatten().any(|p| p.bytes == *bytes),
                ContextValue::String(s) => policy.iter().flatten().any(|p| *p.text == **s || *p.canonical == **s),
                _ => false,
            },
            Test::Ip(policy) => {
                let request = match value {
                    ContextValue::Ip(ip) => Some(*ip),
                    ContextValue::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                request.is_some_and(|ip| policy.iter().flatten().any(|net| net.contains(&ip)))
            }
            Test::Arn(patterns) => match value {
                ContextValue::Arn(s) | ContextValue::String(s) => patterns.iter().any(|p| p.matches(s, context)),
                _ => false,
            },
        }
    }
}

/// A CIDR block; a bare address is a /32 (IPv4) or /128 (IPv6).
fn ip_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    let net = text
        .parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from));
    if net.is_none() {
        tracing::debug!(
            value = text,
            "IpAddress condition value is not an IP address or CIDR block; ignored"
        );
    }
    net
}

fn binary(text: &str) -> Option<Binary> {
    let bytes = BASE64.decode(text.trim()).ok();
    if bytes.is_none() {
        tracing::debug!(value = text, "BinaryEquals condition value is not base64; ignored");
    }
    let bytes = bytes?;
    Some(Binary {
        canonical: BASE64.encode(&bytes).into(),
        text: text.into(),
        bytes,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::IpAddr;

    use time::macros::datetime;

    use super::*;

    fn condition(operator: &str, key: &str, values: &[&str]) -> CompiledCondition {
        let operator: ConditionOperator = operator.parse().unwrap();
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        CompiledCondition::compile(operator, key, &values, true)
    }

    fn holds(operator: &str, key: &str, values: &[&str], context: &Context) -> bool {
        condition(operator, key, values).holds(context)
    }

    fn strings(key: &str, values: &[&str]) -> Context {
        Context::new().with_strings(key, values.iter().copied())
    }

    #[test]
    fn string_equals_is_exact_and_case_sensitive() {
        let c = strings("k", &["Team-A"]);
        assert!(holds("StringEquals", "k", &["Team-A"], &c));
        assert!(
            holds("StringEquals", "k", &["x", "Team-A"], &c),
            "policy values are OR-ed"
        );
        assert!(!holds("StringEquals", "k", &["team-a"], &c));
        assert!(
            !holds("StringEquals", "k", &["Team-*"], &c),
            "no wildcards in StringEquals"
        );
        assert!(!holds("StringNotEquals", "k", &["Team-A"], &c));
        assert!(holds("StringNotEquals", "k", &["team-a"], &c));
        assert!(
            !holds("StringNotEquals", "k", &["x", "Team-A"], &c),
            "negated: matches none"
        );
    }

    #[test]
    fn condition_keys_are_case_insensitive() {
        let c = strings("aws:PrincipalTag/Team", &["a"]);
        assert!(holds("StringEquals", "AWS:principaltag/team", &["a"], &c));
    }

    #[test]
    fn string_ignore_case() {
        let c = strings("k", &["PreProd"]);
        assert!(holds("StringEqualsIgnoreCase", "k", &["preprod"], &c));
        assert!(!holds("StringNotEqualsIgnoreCase", "k", &["PREPROD"], &c));
        assert!(holds("StringNotEqualsIgnoreCase", "k", &["prod"], &c));
    }

    #[test]
    fn string_like() {
        let c = strings("ec2:InstanceType", &["t2.micro"]);
        assert!(holds("StringLike", "ec2:InstanceType", &["t1.*", "t2.*"], &c));
        assert!(holds("StringLike", "ec2:InstanceType", &["t?.micro"], &c));
        assert!(!holds("StringLike", "ec2:InstanceType", &["T2.*"], &c));
        assert!(!holds("StringNotLike", "ec2:InstanceType", &["t2.*"], &c));
        assert!(holds("StringNotLike", "ec2:InstanceType", &["m5.*"], &c));
    }

    #[test]
    fn missing_keys() {
        let empty = Context::new();
        assert!(!holds("StringEquals", "k", &["a"], &empty));
        assert!(!holds("StringLike", "k", &["*"], &empty));
        assert!(holds("StringNotEquals", "k", &["a"], &empty));
        assert!(holds("StringNotLike", "k", &["*"], &empty));
        assert!(!holds("NumericLessThan", "k", &["1"], &empty));
        assert!(holds("NumericNotEquals", "k", &["1"], &empty));
        assert!(!holds("IpAddress", "k", &["0.0.0.0/0"], &empty));
        assert!(holds("NotIpAddress", "k", &["0.0.0.0/0"], &empty));
        assert!(!holds("ArnLike", "k", &["*"], &empty));
        assert!(holds("ArnNotLike", "k", &["*"], &empty));
        assert!(!holds("Bool", "k", &["true"], &empty));
        assert!(!holds("BinaryEquals", "k", &["AA=="], &empty));
        assert!(!holds("DateGreaterThan", "k", &["2000-01-01"], &empty));
        assert!(holds("DateNotEquals", "k", &["2000-01-01"], &empty));
    }

    #[test]
    fn if_exists() {
        let empty = Context::new();
        assert!(holds("StringLikeIfExists", "ec2:InstanceType", &["t2.*"], &empty));
        assert!(holds("StringNotEqualsIfExists", "k", &["a"], &empty));
        assert!(holds("ForAnyValue:StringEqualsIfExists", "k", &["a"], &empty));
        assert!(holds("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"], &empty));
        let present = strings("ec2:InstanceType", &["m2.micro"]);
        assert!(!holds("StringLikeIfExists", "ec2:InstanceType", &["t2.*"], &present));
        assert!(holds("StringNotLikeIfExists", "ec2:InstanceType", &["t2.*"], &present));
    }

    #[test]
    fn null() {
        let present = strings("aws:TokenIssueTime", &["x"]);
        let empty_set = strings("aws:TokenIssueTime", &[]);
        let absent = Context::new();
        assert!(holds("Null", "aws:TokenIssueTime", &["true"], &absent));
        assert!(!holds("Null", "aws:TokenIssueTime", &["true"], &present));
        assert!(holds("Null", "aws:TokenIssueTime", &["false"], &present));
        assert!(!holds("Null", "aws:TokenIssueTime", &["false"], &absent));
        assert!(
            holds("Null", "aws:TokenIssueTime", &["true"], &empty_set),
            "an empty set is null"
        );
        assert!(holds("Null", "aws:TokenIssueTime", &["TRUE"], &absent));
        assert!(!holds("Null", "aws:TokenIssueTime", &["maybe"], &absent));
    }

    #[test]
    fn for_all_values() {
        let op = "ForAllValues:StringEquals";
        let allowed = ["environment", "cost-center"];
        assert!(holds(
            op,
            "aws:TagKeys",
            &allowed,
            &strings("aws:TagKeys", &["environment"])
        ));
        assert!(holds(
            op,
            "aws:TagKeys",
            &allowed,
            &strings("aws:TagKeys", &["cost-center", "environment"])
        ));
        assert!(!holds(
            op,
            "aws:TagKeys",
            &allowed,
            &strings("aws:TagKeys", &["environment", "owner"])
        ));
        assert!(holds(op, "aws:TagKeys", &allowed, &Context::new()), "absent: true");
        assert!(
            holds(op, "aws:TagKeys", &allowed, &strings("aws:TagKeys", &[])),
            "empty: true"
        );
    }

    #[test]
    fn for_any_value() {
        let op = "ForAnyValue:StringEquals";
        assert!(holds(
            op,
            "aws:TagKeys",
            &["webserver"],
            &strings("aws:TagKeys", &["a", "webserver"])
        ));
        assert!(!holds(
            op,
            "aws:TagKeys",
            &["webserver"],
            &strings("aws:TagKeys", &["a", "b"])
        ));
        assert!(
            !holds(op, "aws:TagKeys", &["webserver"], &Context::new()),
            "absent: false"
        );
        assert!(
            !holds(op, "aws:TagKeys", &["webserver"], &strings("aws:TagKeys", &[])),
            "empty: false"
        );
    }

    #[test]
    fn negated_set_operators() {
        let tags = |v: &[&str]| strings("aws:TagKeys", v);
        // ForAllValues:StringNotLike: no request value may match any policy value.
        let op = "ForAllValues:StringNotLike";
        assert!(holds(op, "aws:TagKeys", &["key1*"], &tags(&["key2:audit"])));
        assert!(!holds(op, "aws:TagKeys", &["key1*"], &tags(&["key1:hr", "key2:audit"])));
        assert!(holds(op, "aws:TagKeys", &["key1*"], &Context::new()));
        // ForAnyValue:StringNotEquals: at least one request value matches no policy value.
        let op = "ForAnyValue:StringNotEquals";
        assert!(holds(op, "aws:TagKeys", &["a", "b"], &tags(&["a", "c"])));
        assert!(!holds(op, "aws:TagKeys", &["a", "b"], &tags(&["a", "b"])));
        assert!(!holds(op, "aws:TagKeys", &["a"], &Context::new()));
    }

    #[test]
    fn plain_operators_on_multivalued_keys() {
        let c = strings("k", &["a", "b"]);
        assert!(holds("StringEquals", "k", &["b"], &c), "positive: any value");
        assert!(!holds("StringEquals", "k", &["c"], &c));
        assert!(
            !holds("StringNotEquals", "k", &["b"], &c),
            "negated: no value may match"
        );
        assert!(holds("StringNotEquals", "k", &["c"], &c));
    }

    #[test]
    fn numeric() {
        let c = Context::new().with_number("s3:max-keys", 10.0);
        assert!(holds("NumericEquals", "s3:max-keys", &["10"], &c));
        assert!(holds("NumericEquals", "s3:max-keys", &["10.0"], &c));
        assert!(!holds("NumericNotEquals", "s3:max-keys", &["10"], &c));
        assert!(holds("NumericLessThan", "s3:max-keys", &["11"], &c));
        assert!(!holds("NumericLessThan", "s3:max-keys", &["10"], &c));
        assert!(holds("NumericLessThanEquals", "s3:max-keys", &["10"], &c));
        assert!(holds("NumericGreaterThan", "s3:max-keys", &["9.5"], &c));
        assert!(holds("NumericGreaterThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!holds("NumericGreaterThanEquals", "s3:max-keys", &["10.5"], &c));
        // Text request values are read as numbers; other types never match.
        assert!(holds("NumericEquals", "n", &["7"], &strings("n", &["7"])));
        assert!(!holds("NumericEquals", "n", &["7"], &strings("n", &["seven"])));
        assert!(!holds(
            "NumericEquals",
            "n",
            &["1"],
            &Context::new().with_bool("n", true)
        ));
        assert!(
            !holds("NumericEquals", "s3:max-keys", &["ten"], &c),
            "bad policy value never matches"
        );
        assert!(holds("NumericNotEquals", "n", &["7"], &strings("n", &["seven"])));
    }

    #[test]
    fn dates() {
        let c = Context::new().with_date("aws:CurrentTime", datetime!(2020-03-01 12:00 UTC));
        assert!(holds(
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2020-01-01T00:00:00Z"],
            &c
        ));
        assert!(!holds(
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2020-03-01T12:00:00Z"],
            &c
        ));
        assert!(holds(
            "DateGreaterThanEquals",
            "aws:CurrentTime",
            &["2020-03-01T12:00:00Z"],
            &c
        ));
        assert!(holds("DateLessThan", "aws:CurrentTime", &["2020-12-31T23:59:59Z"], &c));
        assert!(
            holds("DateLessThanEquals", "aws:CurrentTime", &["1583064000"], &c),
            "epoch seconds"
        );
        assert!(holds(
            "DateEquals",
            "aws:CurrentTime",
            &["2020-03-01T13:00:00+01:00"],
            &c
        ));
        assert!(!holds(
            "DateNotEquals",
            "aws:CurrentTime",
            &["2020-03-01T12:00:00Z"],
            &c
        ));
        // aws:EpochTime is a number of seconds.
        let epoch = Context::new().with_number("aws:EpochTime", 1_583_064_000.0);
        assert!(holds("DateEquals", "aws:EpochTime", &["2020-03-01T12:00:00Z"], &epoch));
        assert!(
            !holds("DateLessThan", "t", &["2021"], &strings("t", &["2020-06-01"])),
            "a bare run of digits is epoch seconds"
        );
        assert!(holds(
            "DateLessThan",
            "t",
            &["2021-01-01"],
            &strings("t", &["2020-06-01"])
        ));
        assert!(!holds("DateLessThan", "t", &["2021-01-01"], &strings("t", &["June"])));
    }

    #[test]
    fn booleans() {
        let secure = Context::new().with_bool("aws:SecureTransport", true);
        assert!(holds("Bool", "aws:SecureTransport", &["true"], &secure));
        assert!(holds("Bool", "aws:SecureTransport", &["TRUE"], &secure));
        assert!(!holds("Bool", "aws:SecureTransport", &["false"], &secure));
        assert!(holds(
            "Bool",
            "aws:SecureTransport",
            &["false"],
            &strings("aws:SecureTransport", &["False"])
        ));
        assert!(!holds(
            "Bool",
            "aws:SecureTransport",
            &["true"],
            &strings("aws:SecureTransport", &["1"])
        ));
    }

    #[test]
    fn binary_equals() {
        let text = "QmluYXJ5VmFsdWVJbkJhc2U2NA==";
        let bytes = Context::new().with_binary("key", b"BinaryValueInBase64".to_vec());
        assert!(holds("BinaryEquals", "key", &[text], &bytes));
        assert!(holds("BinaryEquals", "key", &[text], &strings("key", &[text])));
        assert!(!holds(
            "BinaryEquals",
            "key",
            &[text],
            &strings("key", &["ASIAIOSFODNN7EXAMPLE"])
        ));
        assert!(
            !holds("BinaryEquals", "key", &["%%%"], &bytes),
            "bad base64 never matches"
        );
    }

    #[test]
    fn ip_addresses() {
        let ip = |s: &str| Context::new().with_ip("aws:SourceIp", s.parse::<IpAddr>().unwrap());
        let ranges = ["203.0.113.0/24", "2001:DB8:1234:5678::/64"];
        assert!(holds("IpAddress", "aws:SourceIp", &ranges, &ip("203.0.113.1")));
        assert!(!holds("IpAddress", "aws:SourceIp", &ranges, &ip("198.51.100.1")));
        assert!(holds(
            "IpAddress",
            "aws:SourceIp",
            &ranges,
            &ip("2001:db8:1234:5678::abcd")
        ));
        assert!(!holds(
            "IpAddress",
            "aws:SourceIp",
            &ranges,
            &ip("2001:db8:1234:5679::1")
        ));
        assert!(holds("NotIpAddress", "aws:SourceIp", &ranges, &ip("198.51.100.1")));
        assert!(!holds("NotIpAddress", "aws:SourceIp", &ranges, &ip("203.0.113.200")));
        // A bare address is /32 or /128.
        assert!(holds("IpAddress", "aws:SourceIp", &["203.0.113.7"], &ip("203.0.113.7")));
        assert!(!holds(
            "IpAddress",
            "aws:SourceIp",
            &["203.0.113.7"],
            &ip("203.0.113.8")
        ));
        assert!(holds("IpAddress", "aws:SourceIp", &["2001:db8::1"], &ip("2001:db8::1")));
        // Text is parsed; non-IP values and policy values never match.
        assert!(holds(
            "IpAddress",
            "aws:SourceIp",
            &ranges,
            &strings("aws:SourceIp", &["203.0.113.9"])
        ));
        assert!(!holds(
            "IpAddress",
            "aws:SourceIp",
            &ranges,
            &strings("aws:SourceIp", &["vpce-1"])
        ));
        assert!(!holds("IpAddress", "aws:SourceIp", &["not-a-cidr"], &ip("203.0.113.1")));
        assert!(holds(
            "NotIpAddress",
            "aws:SourceIp",
            &ranges,
            &strings("aws:SourceIp", &["vpce-1"])
        ));
    }

    #[test]
    fn arns() {
        let arn = |s: &str| Context::new().with_arn("aws:SourceArn", s);
        let topic = "arn:aws:sns:us-west-2:123456789012:TOPIC-ID";
        assert!(holds("ArnEquals", "aws:SourceArn", &[topic], &arn(topic)));
        assert!(!holds(
            "ArnEquals",
            "aws:SourceArn",
            &[topic],
            &arn("arn:aws:sns:us-west-2:777788889999:TOPIC-ID")
        ));
        assert!(holds(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:123456789012:*"],
            &arn(topic)
        ));
        assert!(holds(
            "ArnEquals",
            "aws:SourceArn",
            &["arn:aws:sns:*:123456789012:*"],
            &arn(topic)
        ));
        assert!(!holds(
            "ArnNotLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:123456789012:*"],
            &arn(topic)
        ));
        assert!(holds(
            "ArnNotEquals",
            "aws:SourceArn",
            &["arn:aws:sns:*:999999999999:*"],
            &arn(topic)
        ));
        assert!(!holds(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:123456789012:topic-id"],
            &arn(topic)
        ));
        assert!(!holds(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*"],
            &arn("not an arn")
        ));
        assert!(!holds("ArnLike", "n", &["*"], &Context::new().with_number("n", 1.0)));
    }

    #[test]
    fn variables_in_condition_values() {
        let c = Context::new()
            .with_string("aws:PrincipalTag/studiouserid", "u-1")
            .with_string("sagemaker:ResourceTag/studiouserid", "u-1")
            .with_string("sagemaker:DomainId", "d-1")
            .with_string("sagemaker:UserProfileName", "alice")
            .with_arn(
                "sagemaker:OwnerUserProfileArn",
                "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-1/alice",
            );
        let own_profile = "${aws:PrincipalTag/studiouserid}";
        assert!(holds(
            "StringEquals",
            "sagemaker:ResourceTag/studiouserid",
            &[own_profile],
            &c
        ));
        let owner = "arn:aws:sagemaker:*:*:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}";
        assert!(holds("ArnLike", "sagemaker:OwnerUserProfileArn", &[owner], &c));
        // An unresolved variable matches nothing: positive false, negated true.
        let missing = "${aws:PrincipalTag/team}";
        assert!(!holds(
            "StringEquals",
            "sagemaker:ResourceTag/studiouserid",
            &[missing],
            &c
        ));
        assert!(holds(
            "StringNotEquals",
            "sagemaker:ResourceTag/studiouserid",
            &[missing],
            &c
        ));
        // Numeric, date and IP operators take no variables.
        let n = Context::new().with_number("n", 5.0).with_string("v", "5");
        assert!(!holds("NumericEquals", "n", &["${v}"], &n));
    }

    #[test]
    fn variables_off_for_old_versions() {
        let c = strings("k", &["${aws:username}"]).with_string("aws:username", "alice");
        let old = CompiledCondition::compile(
            "StringEquals".parse().unwrap(),
            "k",
            &["${aws:username}".to_string()],
            false,
        );
        assert!(old.holds(&c));
        assert!(!holds("StringEquals", "k", &["${aws:username}"], &c));
    }
}
