//! A role's complete set of policies: what studio-fed creates in IAM for one role.

use crate::document::PolicyDocument;

/// A policy document with the name it is created under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPolicy {
    /// The policy name in IAM (or the SCP name in AWS Organizations).
    pub name: String,
    /// The document.
    pub document: PolicyDocument,
}

impl NamedPolicy {
    /// A named document.
    pub fn new(name: impl Into<String>, document: PolicyDocument) -> Self {
        NamedPolicy {
            name: name.into(),
            document,
        }
    }
}

/// Everything attached to one IAM role: its trust policy, the customer managed
/// policies studio-fed creates for it, AWS managed policies it attaches, and
/// inline policies. [`crate::lint::check_role`] checks it against IAM quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicies {
    /// The role name.
    pub role_name: String,
    /// The trust (assume-role) policy.
    pub trust_policy: PolicyDocument,
    /// Customer managed policies created for the role, in attachment order.
    pub managed_policies: Vec<NamedPolicy>,
    /// ARNs of AWS managed (or pre-existing) policies also attached; they count
    /// against the managed-policies-per-role quota.
    pub attached_policy_arns: Vec<String>,
    /// Inline policies embedded in the role.
    pub inline_policies: Vec<NamedPolicy>,
}

impl RolePolicies {
    /// A role with a trust policy and nothing else.
    pub fn new(role_name: impl Into<String>, trust_policy: PolicyDocument) -> Self {
        RolePolicies {
            role_name: role_name.into(),
            trust_policy,
            managed_policies: Vec::new(),
            attached_policy_arns: Vec::new(),
            inline_policies: Vec::new(),
        }
    }

    /// Adds a customer managed policy.
    pub fn with_managed_policy(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.managed_policies.push(NamedPolicy::new(name, document));
        self
    }

    /// Adds an inline policy.
    pub fn with_inline_policy(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.inline_policies.push(NamedPolicy::new(name, document));
        self
    }

    /// Attaches an existing managed policy by ARN, e.g.
    /// `arn:aws:iam::aws:policy/AmazonSageMakerFullAccess`.
    pub fn with_attached_policy_arn(mut self, arn: impl Into<String>) -> Self {
        self.attached_policy_arns.push(arn.into());
        self
    }

    /// Every document of the role, trust policy first, with its name.
    pub fn documents(&self) -> impl Iterator<Item = (&str, &PolicyDocument)> {
        std::iter::once(("trust policy", &self.trust_policy))
            .chain(self.managed_policies.iter().map(|p| (p.name.as_str(), &p.document)))
            .chain(self.inline_policies.iter().map(|p| (p.name.as_str(), &p.document)))
    }
}
