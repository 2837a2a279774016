//! The request context: typed, possibly multivalued values by case-insensitive key.

use std::fmt;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::parse::{is_arn, parse_bool, parse_date, parse_number};
use super::pattern::VarSource;
use crate::error::Error;

/// One value of a request-context key.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    /// Text, compared by the string operators (`aws:username`, `aws:TagKeys`, ...).
    String(String),
    /// A number, for the numeric operators (`s3:max-keys`, `aws:MultiFactorAuthAge`).
    Number(f64),
    /// A boolean, for `Bool` (`aws:SecureTransport`).
    Bool(bool),
    /// A UTC timestamp, for the date operators (`aws:CurrentTime`).
    Date(OffsetDateTime),
    /// An IPv4 or IPv6 address, for `IpAddress` / `NotIpAddress` (`aws:SourceIp`).
    Ip(IpAddr),
    /// An ARN, for the ARN operators (`aws:SourceArn`, `sagemaker:VolumeKmsKey`).
    Arn(String),
    /// Raw bytes, for `BinaryEquals`.
    Binary(Vec<u8>),
}

impl ContextValue {
    /// The type's name as used in messages: `string`, `number`, `boolean`,
    /// `date`, `IP address`, `ARN` or `binary`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ContextValue::String(_) => "string",
            ContextValue::Number(_) => "number",
            ContextValue::Bool(_) => "boolean",
            ContextValue::Date(_) => "date",
            ContextValue::Ip(_) => "IP address",
            ContextValue::Arn(_) => "ARN",
            ContextValue::Binary(_) => "binary",
        }
    }

    /// The text the string operators and policy variables see, when it is
    /// not the value itself (numbers, dates, IP addresses, bytes).
    fn rendered(&self) -> Option<Box<str>> {
        match self {
            ContextValue::String(_) | ContextValue::Arn(_) | ContextValue::Bool(_) => None,
            ContextValue::Number(n) => Some(n.to_string().into()),
            ContextValue::Date(d) => Some(
                d.format(&Rfc3339)
                    .unwrap_or_else(|_| d.unix_timestamp().to_string())
                    .into(),
            ),
            ContextValue::Ip(ip) => Some(ip.to_string().into()),
            ContextValue::Binary(bytes) => Some(BASE64.encode(bytes).into()),
        }
    }
}

impl fmt::Display for ContextValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextValue::String(s) | ContextValue::Arn(s) => f.write_str(s),
            ContextValue::Bool(b) => write!(f, "{b}"),
            other => f.write_str(other.rendered().as_deref().unwrap_or_default()),
        }
    }
}

/// How `Context::insert_parsed` types the value of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    String,
    Number,
    Bool,
    Date,
    Ip,
    Arn,
}

impl KeyType {
    /// The type a (lower-case) context key holds.
    fn of(key: &str) -> KeyType {
        match key {
            "aws:sourceip" | "aws:vpcsourceip" => KeyType::Ip,
            "aws:currenttime" | "aws:tokenissuetime" => KeyType::Date,
            "aws:epochtime"
            | "aws:multifactorauthage"
            | "s3:max-keys"
            | "s3:signatureage"
            | "s3:object-lock-remaining-retention-days"
            | "sagemaker:maxruntimeinseconds" => KeyType::Number,
            "aws:securetransport"
            | "aws:multifactorauthpresent"
            | "aws:viaawsservice"
            | "aws:principalisawsservice"
            | "kms:grantisforawsresource"
            | "sagemaker:intercontainertrafficencryption"
            | "sagemaker:networkisolation" => KeyType::Bool,
            "aws:sourcearn"
            | "aws:principalarn"
            | "ec2:sourceinstancearn"
            | "sagemaker:volumekmskey"
            | "sagemaker:outputkmskey"
            | "sagemaker:owneruserprofilearn"
            | "sagemaker:imagearns" => KeyType::Arn,
            _ => KeyType::String,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            KeyType::String => "a string",
            KeyType::Number => "a number",
            KeyType::Bool => "a boolean (true or false)",
            KeyType::Date => "a date (ISO 8601 such as 2024-05-01T12:00:00Z, or epoch seconds)",
            KeyType::Ip => "an IP address (IPv4 or IPv6)",
            KeyType::Arn => "an ARN (arn:partition:service:region:account:resource)",
        }
    }

    fn parse(self, text: &str) -> Option<ContextValue> {
        let trimmed = text.trim();
        match self {
            KeyType::String => Some(ContextValue::String(text.to_owned())),
            KeyType::Number => parse_number(trimmed).map(ContextValue::Number),
            KeyType::Bool => parse_bool(trimmed).map(ContextValue::Bool),
            KeyType::Date => parse_date(trimmed)
                .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
                .map(ContextValue::Date),
            KeyType::Ip => trimmed.parse().ok().map(ContextValue::Ip),
            KeyType::Arn => is_arn(trimmed).then(|| ContextValue::Arn(trimmed.to_owned())),
        }
    }
}

/// One key's values, with their text forms for string comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    key: Box<str>,
    values: Vec<ContextValue>,
    /// The text of non-string values, parallel to `values`.
    texts: Vec<Option<Box<str>>>,
}

impl Entry {
    /// Number of values (0 for a key present with an empty set).
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// All values.
    pub(crate) fn values(&self) -> &[ContextValue] {
        &self.values
    }

    /// The `i`th value as text: the string itself, `true`/`false`, or the
    /// rendering of a number, date, IP address or bytes.
    pub(crate) fn text(&self, i: usize) -> &str {
        match (&self.values[i], &self.texts[i]) {
            (_, Some(text)) => text,
            (ContextValue::String(s) | ContextValue::Arn(s), None) => s,
            (ContextValue::Bool(true), None) => "true",
            (ContextValue::Bool(false), None) => "false",
            (_, None) => "",
        }
    }
}

/// The request context: condition keys with typed, possibly multiple values.
///
/// Keys are case-insensitive (`aws:SourceIp` is `AWS:sourceip`). Adding a
/// value to a key that already has one makes the key multivalued; adding an
/// empty set makes the key present but empty (`ForAllValues` is then true and
/// `ForAnyValue` false).
///
/// ```
/// use std::net::Ipv4Addr;
/// use studio_fed_policy::eval::Context;
///
/// let mut context = Context::new()
///     .with_ip("aws:SourceIp", Ipv4Addr::new(203, 0, 113, 7).into())
///     .with_strings("aws:TagKeys", ["team", "project"])
///     .with_bool("aws:SecureTransport", true);
/// context.insert_parsed("aws:CurrentTime", "2024-05-01T12:00:00Z")?;
/// assert_eq!(context.get("AWS:tagkeys").map(<[_]>::len), Some(2));
/// assert!(context.insert_parsed("aws:SourceIp", "not-an-ip").is_err());
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: Vec<Entry>,
}

/// The canonical (lower-case) spelling of a context key.
pub(crate) fn normalize_key(key: &str) -> Box<str> {
    if key.is_ascii() {
        key.to_ascii_lowercase().into()
    } else {
        key.to_lowercase().into()
    }
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when no key is present.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of keys present.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The values of `key` (any letter case); `None` when the key is absent.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        let key = normalize_key(key);
        self.entry(&key).map(Entry::values)
    }

    /// The present keys (lower-case) and their values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries.iter().map(|e| (&*e.key, e.values()))
    }

    /// The entry of an already lower-cased key.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| *e.key == *key)
    }

    fn entry_mut(&mut self, key: &str) -> &mut Entry {
        let key = normalize_key(key);
        let index = match self.entries.iter().position(|e| e.key == key) {
            Some(index) => index,
            None => {
                self.entries.push(Entry {
                    key,
                    values: Vec::new(),
                    texts: Vec::new(),
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[index]
    }

    /// Adds `value` to `key`, making the key multivalued if it already has a value.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        let text = value.rendered();
        self.push(key, value, text);
    }

    fn push(&mut self, key: &str, value: ContextValue, text: Option<Box<str>>) {
        let entry = self.entry_mut(key);
        entry.values.push(value);
        entry.texts.push(text);
    }

    /// Parses `text` as the type `key` holds and adds it, as the CLI's
    /// `--context key=value` does. Calling it again for the same key makes the
    /// key multivalued.
    ///
    /// | keys | type |
    /// | --- | --- |
    /// | `aws:SourceIp`, `aws:VpcSourceIp` | IP address |
    /// | `aws:CurrentTime`, `aws:TokenIssueTime` | date (ISO 8601 or epoch seconds) |
    /// | `aws:EpochTime`, `aws:MultiFactorAuthAge`, `s3:max-keys`, `s3:signatureage`, `s3:object-lock-remaining-retention-days`, `sagemaker:MaxRuntimeInSeconds` | number |
    /// | `aws:SecureTransport`, `aws:MultiFactorAuthPresent`, `aws:ViaAWSService`, `aws:PrincipalIsAWSService`, `kms:GrantIsForAWSResource`, `sagemaker:InterContainerTrafficEncryption`, `sagemaker:NetworkIsolation` | boolean |
    /// | `aws:SourceArn`, `aws:PrincipalArn`, `ec2:SourceInstanceARN`, `sagemaker:VolumeKmsKey`, `sagemaker:OutputKmsKey`, `sagemaker:OwnerUserProfileArn`, `sagemaker:ImageArns` | ARN |
    /// | everything else | string |
    ///
    /// The original text is kept, so string operators and policy variables see
    /// exactly what was given.
    ///
    /// # Errors
    ///
    /// [`Error::Context`] naming the key, the value and the expected type when
    /// the text cannot be read as that type.
    pub fn insert_parsed(&mut self, key: &str, text: &str) -> Result<(), Error> {
        let kind = KeyType::of(&normalize_key(key));
        let value = kind.parse(text).ok_or_else(|| Error::Context {
            key: key.to_owned(),
            value: text.to_owned(),
            expected: kind.expected(),
        })?;
        let original = match kind {
            KeyType::String | KeyType::Arn => None,
            _ => Some(text.trim().into()),
        };
        self.push(key, value, original);
        Ok(())
    }

    /// Builder form of [`Context::insert`].
    pub fn with_value(mut self, key: &str, value: ContextValue) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds every value of `values` to `key`; with no values the key is
    /// present with an empty set.
    pub fn with_values(mut self, key: &str, values: impl IntoIterator<Item = ContextValue>) -> Self {
        self.entry_mut(key);
        for value in values {
            self.insert(key, value);
        }
        self
    }

    /// Adds a string value.
    pub fn with_string(self, key: &str, value: impl Into<String>) -> Self {
        self.with_value(key, ContextValue::String(value.into()))
    }

    /// Adds string values (a multivalued key such as `aws:TagKeys`).
    pub fn with_strings<I, S>(self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_values(key, values.into_iter().map(|v| ContextValue::String(v.into())))
    }

    /// Adds a number.
    pub fn with_number(self, key: &str, value: f64) -> Self {
        self.with_value(key, ContextValue::Number(value))
    }

    /// Adds a boolean.
    pub fn with_bool(self, key: &str, value: bool) -> Self {
        self.with_value(key, ContextValue::Bool(value))
    }

    /// Adds a date.
    pub fn with_date(self, key: &str, value: OffsetDateTime) -> Self {
        self.with_value(key, ContextValue::Date(value))
    }

    /// Adds an IP address.
    pub fn with_ip(self, key: &str, value: IpAddr) -> Self {
        self.with_value(key, ContextValue::Ip(value))
    }

    /// Adds an ARN.
    pub fn with_arn(self, key: &str, value: impl Into<String>) -> Self {
        self.with_value(key, ContextValue::Arn(value.into()))
    }

    /// Adds ARNs (a multivalued key such as `sagemaker:ImageArns`).
    pub fn with_arns<I, S>(self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_values(key, values.into_iter().map(|v| ContextValue::Arn(v.into())))
    }

    /// Adds binary data.
    pub fn with_binary(self, key: &str, value: impl Into<Vec<u8>>) -> Self {
        self.with_value(key, ContextValue::Binary(value.into()))
    }
}

impl VarSource for Context {
    /// A policy variable resolves only to a key with exactly one value.
    fn resolve(&self, key: &str) -> Option<&str> {
        let entry = self.entry(key)?;
        (entry.len() == 1).then(|| entry.text(0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let context = Context::new().with_string("aws:UserName", "alice");
        assert_eq!(
            context.get("AWS:username"),
            Some(&[ContextValue::String("alice".into())][..])
        );
        assert_eq!(context.resolve("aws:username"), Some("alice"));
    }

    #[test]
    fn repeated_values_make_a_key_multivalued() {
        let mut context = Context::new();
        context.insert_parsed("aws:TagKeys", "a").unwrap();
        context.insert_parsed("AWS:TagKeys", "b").unwrap();
        assert_eq!(context.get("aws:tagkeys").map(<[_]>::len), Some(2));
        assert_eq!(context.len(), 1);
        // A multivalued key is not a policy variable.
        assert_eq!(context.resolve("aws:tagkeys"), None);
    }

    #[test]
    fn empty_sets_are_present() {
        let context = Context::new().with_strings("aws:TagKeys", Vec::<String>::new());
        assert_eq!(context.get("aws:TagKeys"), Some(&[][..]));
    }

    #[test]
    fn insert_parsed_types_values_by_key() {
        let mut context = Context::new();
        context.insert_parsed("aws:SourceIp", "2001:db8::1").unwrap();
        context
            .insert_parsed("aws:CurrentTime", "2020-01-01T00:00:00Z")
            .unwrap();
        context.insert_parsed("aws:EpochTime", "1577836800").unwrap();
        context.insert_parsed("aws:SecureTransport", "TRUE").unwrap();
        context
            .insert_parsed("sagemaker:VolumeKmsKey", "arn:aws:kms:us-east-1:111122223333:key/k")
            .unwrap();
        context.insert_parsed("sagemaker:DomainId", "d-123").unwrap();
        let first = |key: &str| context.get(key).unwrap()[0].clone();
        assert_eq!(
            first("aws:SourceIp"),
            ContextValue::Ip(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
        );
        assert_eq!(first("aws:CurrentTime").type_name(), "date");
        assert_eq!(first("aws:EpochTime"), ContextValue::Number(1_577_836_800.0));
        assert_eq!(first("aws:SecureTransport"), ContextValue::Bool(true));
        assert_eq!(first("sagemaker:VolumeKmsKey").type_name(), "ARN");
        assert_eq!(first("sagemaker:DomainId"), ContextValue::String("d-123".into()));
        // The original text is what variables and string operators see.
        assert_eq!(context.entry("aws:securetransport").unwrap().text(0), "TRUE");
    }

    #[test]
    fn insert_parsed_names_key_value_and_type() {
        let mut context = Context::new();
        let cases = [
            ("aws:SourceIp", "10.0.0.300", "IP address"),
            ("aws:CurrentTime", "tomorrow", "date"),
            ("s3:max-keys", "ten", "number"),
            ("aws:SecureTransport", "yes", "boolean"),
            ("aws:SourceArn", "my-topic", "ARN"),
        ];
        for (key, value, expected) in cases {
            let err = context.insert_parsed(key, value).unwrap_err().to_string();
            assert!(
                err.contains(key) && err.contains(value) && err.contains(expected),
                "{err}"
            );
        }
        assert!(context.is_empty());
    }

    #[test]
    fn typed_values_render_as_text() {
        let context = Context::new()
            .with_number("s3:max-keys", 10.0)
            .with_ip("aws:SourceIp", "203.0.113.9".parse().unwrap())
            .with_binary("k", b"BinaryValueInBase64".to_vec())
            .with_date("aws:CurrentTime", OffsetDateTime::UNIX_EPOCH);
        assert_eq!(context.resolve("s3:max-keys"), Some("10"));
        assert_eq!(context.resolve("aws:sourceip"), Some("203.0.113.9"));
        assert_eq!(context.resolve("k"), Some("QmluYXJ5VmFsdWVJbkJhc2U2NA=="));
        assert_eq!(context.resolve("aws:currenttime"), Some("1970-01-01T00:00:00Z"));
        assert_eq!(ContextValue::Number(2.5).to_string(), "2.5");
    }
}
