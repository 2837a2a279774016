//! Statements and their elements: `Effect`, `Principal`, `Action`, `Resource`.

use std::collections::BTreeMap;
use std::fmt;

use super::condition::{Condition, ConditionOperator};

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// The kind of principal in a `Principal` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    /// `"AWS"`: accounts, IAM users and roles, assumed-role sessions.
    Aws,
    /// `"Service"`: an AWS service such as `sagemaker.amazonaws.com`.
    Service,
    /// `"Federated"`: a SAML or OIDC provider ARN, or a web identity provider.
    Federated,
    /// `"CanonicalUser"`: an S3 canonical user id.
    CanonicalUser,
}

impl PrincipalKind {
    /// Every kind, in canonical order.
    pub const ALL: [PrincipalKind; 4] = [
        PrincipalKind::Aws,
        PrincipalKind::Service,
        PrincipalKind::Federated,
        PrincipalKind::CanonicalUser,
    ];

    /// AWS's key for this kind.
    pub fn name(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
}

/// The value of a `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone.
    Any,
    /// `{"AWS": [...], "Service": [...], ...}`.
    Map(BTreeMap<PrincipalKind, Vec<String>>),
}

impl Principal {
    /// A principal of one kind with the given identifiers.
    pub fn of<I, S>(kind: PrincipalKind, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Principal::Map(BTreeMap::from([(kind, ids.into_iter().map(Into::into).collect())]))
    }

    /// `{"Service": service}`.
    pub fn service(service: impl Into<String>) -> Self {
        Principal::of(PrincipalKind::Service, [service])
    }

    /// `{"Federated": provider}`.
    pub fn federated(provider: impl Into<String>) -> Self {
        Principal::of(PrincipalKind::Federated, [provider])
    }

    /// `{"AWS": arn}`.
    pub fn aws(arn: impl Into<String>) -> Self {
        Principal::of(PrincipalKind::Aws, [arn])
    }
}

/// Which principals a statement is about (resource and trust policies only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `Principal`: the statement applies to these principals.
    Principal(Principal),
    /// `NotPrincipal`: the statement applies to everyone except these.
    NotPrincipal(Principal),
}

/// Which actions a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actions {
    /// `Action`: the listed actions (wildcards allowed, case-insensitive).
    Action(Vec<String>),
    /// `NotAction`: every action except the listed ones.
    NotAction(Vec<String>),
}

impl Actions {
    /// The listed action patterns, whichever the form.
    pub fn patterns(&self) -> &[String] {
        match self {
            Actions::Action(list) | Actions::NotAction(list) => list,
        }
    }
}

/// Which resources a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resources {
    /// `Resource`: the listed resource ARNs (wildcards and policy variables allowed).
    Resource(Vec<String>),
    /// `NotResource`: every resource except the listed ones.
    NotResource(Vec<String>),
}

impl Resources {
    /// The listed resource patterns, whichever the form.
    pub fn patterns(&self) -> &[String] {
        match self {
            Resources::Resource(list) | Resources::NotResource(list) => list,
        }
    }
}

/// One statement of a policy.
///
/// Build statements with [`Statement::allow`] or [`Statement::deny`] and the
/// `with_*` methods:
///
/// ```
/// use studio_fed_policy::{Operator, Statement};
///
/// let statement = Statement::allow()
///     .with_sid("OpenStudio")
///     .with_actions(["sagemaker:CreatePresignedDomainUrl"])
///     .with_resources(["arn:aws:sagemaker:*:*:user-profile/*/*"])
///     .with_condition(Operator::IpAddress, "aws:SourceIp", ["203.0.113.0/24"]);
/// assert_eq!(statement.sid.as_deref(), Some("OpenStudio"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The optional statement id.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Principal` / `NotPrincipal`, present in trust and resource policies only.
    pub principals: Option<Principals>,
    /// `Action` / `NotAction`.
    pub actions: Actions,
    /// `Resource` / `NotResource`; absent in trust policies.
    pub resources: Option<Resources>,
    /// The `Condition` element; empty when absent.
    pub condition: Condition,
}

impl Statement {
    /// A statement with the given effect and nothing else.
    pub fn new(effect: Effect) -> Self {
        Statement {
            sid: None,
            effect,
            principals: None,
            actions: Actions::Action(Vec::new()),
            resources: None,
            condition: Condition::new(),
        }
    }

    /// An empty `Allow` statement.
    pub fn allow() -> Self {
        Statement::new(Effect::Allow)
    }

    /// An empty `Deny` statement.
    pub fn deny() -> Self {
        Statement::new(Effect::Deny)
    }

    /// Sets the `Sid`.
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Sets `Principal`.
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principals = Some(Principals::Principal(principal));
        self
    }

    /// Sets `NotPrincipal`.
    pub fn with_not_principal(mut self, principal: Principal) -> Self {
        self.principals = Some(Principals::NotPrincipal(principal));
        self
    }

    /// Sets `Action`.
    pub fn with_actions<I, S>(mut self, actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.actions = Actions::Action(actions.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `NotAction`.
    pub fn with_not_actions<I, S>(mut self, actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.actions = Actions::NotAction(actions.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `Resource`.
    pub fn with_resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources = Some(Resources::Resource(resources.into_iter().map(Into::into).collect()));
        self
    }

    /// Sets `NotResource`.
    pub fn with_not_resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources = Some(Resources::NotResource(resources.into_iter().map(Into::into).collect()));
        self
    }

    /// Adds a condition: `values` for `key` under `operator`.
    pub fn with_condition<I, S>(
        mut self,
        operator: impl Into<ConditionOperator>,
        key: impl Into<String>,
        values: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.condition.insert(operator, key, values);
        self
    }
}
