//! The IAM limits linter: checks policies against IAM and AWS Organizations
//! quotas before anything is sent to AWS, and reports each violation with its
//! figure and the limit.
//!
//! Sizes are counted the way AWS counts them. IAM does not count whitespace,
//! anywhere, so an IAM policy's size is the number of non-whitespace
//! characters of its JSON ([`iam_size`]). AWS Organizations counts every
//! character of an SCP, including spaces inside strings, so an SCP's size is
//! the length of its compact JSON ([`scp_size`]).
//!
//! ```
//! use studio_fed_policy::lint::{self, PolicyKind};
//! use studio_fed_policy::{PolicyDocument, Statement};
//!
//! let policy = PolicyDocument::new([Statement::allow().with_actions(["s3:GetObject"]).with_resources(["*"])]);
//! assert!(lint::check_document(PolicyKind::Managed, "read-s3", &policy).is_none());
//! ```

use std::fmt;

use serde::ser::SerializeStruct;

use crate::build::RolePolicies;
use crate::document::PolicyDocument;

/// The quotas checked, with AWS's defaults. Some can be raised through
/// Service Quotas; set the raised figures here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Size of one customer managed policy, characters without whitespace (6,144; fixed).
    pub managed_policy_chars: usize,
    /// Total size of all inline policies of one role, characters without whitespace (10,240; fixed).
    pub inline_policies_chars: usize,
    /// Size of a role trust policy, characters without whitespace (2,048; raisable to 4,096).
    pub trust_policy_chars: usize,
    /// Managed policies attached to one role (10; raisable to 20).
    pub managed_policies_per_role: usize,
    /// Size of one SCP, all characters (5,120; fixed).
    pub scp_chars: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            managed_policy_chars: 6_144,
            inline_policies_chars: 10_240,
            trust_policy_chars: 2_048,
            managed_policies_per_role: 10,
            scp_chars: 5_120,
        }
    }
}

/// What kind of policy a document is, which decides the quota it is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed policy.
    Managed,
    /// An inline role policy (checked alone against the role's inline total).
    Inline,
    /// A role trust policy.
    Trust,
    /// A service control policy.
    Scp,
}

/// The quota a [`Violation`] exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    /// Size of one managed policy.
    ManagedPolicySize,
    /// Total size of a role's inline policies.
    InlinePoliciesSize,
    /// Size of a role trust policy.
    TrustPolicySize,
    /// Number of managed policies attached to a role.
    ManagedPoliciesPerRole,
    /// Size of one SCP.
    ScpSize,
}

/// One exceeded quota: what, by how much, and how to fix it.
///
/// Displays as a sentence, e.g. `managed policy "ds" is 7,012 characters
/// without whitespace; the limit is 6,144: split it ...`; serializes as
/// `{"quota", "name", "actual", "limit", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The quota exceeded.
    pub quota: Quota,
    /// The policy name (role name for trust policies, inline totals and counts).
    pub name: String,
    /// The measured figure.
    pub actual: usize,
    /// The quota's limit.
    pub limit: usize,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, actual, limit) = (&self.name, thousands(self.actual), thousands(self.limit));
        match self.quota {
            Quota::ManagedPolicySize => write!(
                f,
                "managed policy {name:?} is {actual} characters without whitespace; the limit is {limit}: \
                 split it into several managed policies (statements kept whole) or remove statements"
            ),
            Quota::InlinePoliciesSize => write!(
                f,
                "the inline policies of role {name:?} are {actual} characters without whitespace together; \
                 the limit is {limit} per role: move statements into managed policies"
            ),
            Quota::TrustPolicySize => write!(
                f,
                "the trust policy of role {name:?} is {actual} characters without whitespace; the limit is {limit}: \
                 shorten it, or raise the role trust policy length quota (up to 4,096) in Service Quotas"
            ),
            Quota::ManagedPoliciesPerRole => write!(
                f,
                "role {name:?} has {actual} managed policies attached; the limit is {limit}: merge policies, \
                 or raise the managed policies per role quota (up to 20) in Service Quotas"
            ),
            Quota::ScpSize => write!(
                f,
                "SCP {name:?} is {actual} characters; the limit is {limit}: split it into several SCPs \
                 (at most 5 per root, OU or account) or remove statements"
            ),
        }
    }
}

impl serde::Serialize for Violation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Violation", 5)?;
        state.serialize_field("quota", &self.quota)?;
        state.serialize_field("name", &self.name)?;
        state.serialize_field("actual", &self.actual)?;
        state.serialize_field("limit", &self.limit)?;
        state.serialize_field("message", &self.to_string())?;
        state.end()
    }
}

/// The size IAM counts: characters of the JSON that are not whitespace.
pub fn iam_size(document: &PolicyDocument) -> usize {
    document.to_json().chars().filter(|c| !c.is_whitespace()).count()
}

/// The size AWS Organizations counts: every character of the compact JSON
/// (whitespace inside strings included).
pub fn scp_size(document: &PolicyDocument) -> usize {
    document.to_json().chars().count()
}

/// Checks one document against the default quotas; see [`Quotas::check_document`].
pub fn check_document(kind: PolicyKind, name: &str, document: &PolicyDocument) -> Option<Violation> {
    Quotas::default().check_document(kind, name, document)
}

/// Checks a role against the default quotas; see [`Quotas::check_role`].
pub fn check_role(role: &RolePolicies) -> Vec<Violation> {
    Quotas::default().check_role(role)
}

impl Quotas {
    /// Checks one document against the quota for its kind. `name` is the
    /// policy's name for managed policies and SCPs, and the role's name for a
    /// trust policy or an inline policy (checked as the role's only inline
    /// policy; [`Quotas::check_role`] adds up all of them).
    pub fn check_document(&self, kind: PolicyKind, name: &str, document: &PolicyDocument) -> Option<Violation> {
        let (quota, actual, limit) = match kind {
            PolicyKind::Managed => (Quota::ManagedPolicySize, iam_size(document), self.managed_policy_chars),
            PolicyKind::Inline => (
                Quota::InlinePoliciesSize,
                iam_size(document),
                self.inline_policies_chars,
            ),
            PolicyKind::Trust => (Quota::TrustPolicySize, iam_size(document), self.trust_policy_chars),
            PolicyKind::Scp => (Quota::ScpSize, scp_size(document), self.scp_chars),
        };
        exceeds(quota, name, actual, limit)
    }

    /// Checks everything attached to a role: the trust policy, each managed
    /// policy, the total of the inline policies and the number of managed
    /// policies (created ones plus attached ARNs).
    pub fn check_role(&self, role: &RolePolicies) -> Vec<Violation> {
        let name = role.role_name.as_str();
        let mut violations = Vec::new();
        violations.extend(self.check_document(PolicyKind::Trust, name, &role.trust_policy));
        for policy in &role.managed_policies {
            violations.extend(self.check_document(PolicyKind::Managed, &policy.name, &policy.document));
        }
        let inline: usize = role.inline_policies.iter().map(|p| iam_size(&p.document)).sum();
        violations.extend(exceeds(
            Quota::InlinePoliciesSize,
            name,
            inline,
            self.inline_policies_chars,
        ));
        let attached = role.managed_policies.len() + role.attached_policy_arns.len();
        violations.extend(exceeds(
            Quota::ManagedPoliciesPerRole,
            name,
            attached,
            self.managed_policies_per_role,
        ));
        violations
    }
}

fn exceeds(quota: Quota, name: &str, actual: usize, limit: usize) -> Option<Violation> {
    (actual > limit).then(|| Violation {
        quota,
        name: name.to_owned(),
        actual,
        limit,
    })
}

/// `7012` → `7,012`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::document::Statement;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(6144), "6,144");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn iam_size_ignores_whitespace_inside_strings_scp_size_does_not() {
        let doc = PolicyDocument::new([Statement::allow()
            .with_sid("A")
            .with_actions(["a b"])
            .with_resources(["*"])]);
        let json = doc.to_json();
        assert_eq!(scp_size(&doc), json.len());
        assert_eq!(iam_size(&doc), json.len() - 1);
    }

    #[test]
    fn exactly_the_limit_passes_one_more_fails() {
        let doc = PolicyDocument::new([Statement::allow().with_actions(["s3:GetObject"]).with_resources(["*"])]);
        let size = iam_size(&doc);
        let at_limit = Quotas {
            managed_policy_chars: size,
            ..Quotas::default()
        };
        assert!(at_limit.check_document(PolicyKind::Managed, "p", &doc).is_none());
        let below = Quotas {
            managed_policy_chars: size - 1,
            ..Quotas::default()
        };
        let violation = below.check_document(PolicyKind::Managed, "p", &doc).unwrap();
        assert_eq!((violation.actual, violation.limit), (size, size - 1));
    }
}
