//! Typed IAM policy documents: reading every shape AWS accepts and writing
//! canonical, stable JSON.

mod condition;
mod json;
mod statement;

use std::fmt;
use std::str::FromStr;

pub use condition::{Condition, ConditionOperator, Operator, SetQualifier};
pub use statement::{Actions, Effect, Principal, PrincipalKind, Principals, Resources, Statement};

use crate::error::Error;

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// `2012-10-17`, the current version; needed for policy variables.
    #[default]
    V2012_10_17,
    /// `2008-10-17`, the original version; policy variables are literal text.
    V2008_10_17,
}

impl Version {
    /// The version string as written in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2012_10_17 => "2012-10-17",
            Version::V2008_10_17 => "2008-10-17",
        }
    }
}

/// An IAM policy document.
///
/// ```
/// use studio_fed_policy::{PolicyDocument, Statement};
///
/// let policy = PolicyDocument::new([Statement::allow()
///     .with_actions(["s3:GetObject"])
///     .with_resources(["arn:aws:s3:::ml-data/*"])]);
/// let json = policy.to_json();
/// assert_eq!(
///     json,
///     r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-data/*"}]}"#
/// );
/// assert_eq!(json.parse::<PolicyDocument>().unwrap(), policy);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyDocument {
    /// `Version`; `None` when the document omits it (AWS then uses 2008-10-17).
    pub version: Option<Version>,
    /// The optional policy `Id`.
    pub id: Option<String>,
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// A `2012-10-17` document with the given statements.
    pub fn new(statements: impl IntoIterator<Item = Statement>) -> Self {
        PolicyDocument {
            version: Some(Version::V2012_10_17),
            id: None,
            statements: statements.into_iter().collect(),
        }
    }

    /// Reads a policy from JSON, accepting every shape AWS accepts (single
    /// values or arrays, `"*"` principals, booleans and numbers as condition
    /// values). Errors name the place in the document.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        json::document_from_value(&value)
    }

    /// Reads a policy from an already-parsed JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, Error> {
        json::document_from_value(value)
    }

    /// Canonical compact JSON: fixed element order, sorted condition operators,
    /// keys and principal kinds, and a single value written as a plain string.
    pub fn to_json(&self) -> String {
        json::document_to_value(self).to_string()
    }

    /// Canonical JSON, indented for people.
    pub fn to_json_pretty(&self) -> String {
        // Serializing a `serde_json::Value` cannot fail.
        serde_json::to_string_pretty(&json::document_to_value(self)).unwrap_or_default()
    }

    /// The canonical JSON as a value.
    pub fn to_value(&self) -> serde_json::Value {
        json::document_to_value(self)
    }
}

impl FromStr for PolicyDocument {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        PolicyDocument::from_json(text)
    }
}

impl fmt::Display for PolicyDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl serde::Serialize for PolicyDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        json::document_to_value(self).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for PolicyDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        json::document_from_value(&value).map_err(serde::de::Error::custom)
    }
}
