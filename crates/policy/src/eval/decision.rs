//! The result of an evaluation: the outcome, the statements that decided it
//! and a sentence saying why.

use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeStruct;

use crate::document::Effect;

/// The final answer for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Outcome {
    /// A `Deny` statement in some policy applies.
    ExplicitDeny,
    /// Every policy type that applies allows the request and none denies it.
    Allow,
    /// Nothing denies the request, but some policy type does not allow it.
    ImplicitDeny,
}

impl Outcome {
    /// AWS's name for the outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::Allow => "Allow",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of policy a statement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// An identity-based policy of the principal (inline or managed), or a
    /// resource or trust policy evaluated in its place.
    Identity,
    /// The principal's permissions boundary.
    PermissionsBoundary,
    /// A service control policy at one organization level.
    Scp,
    /// A session policy passed when the session was created.
    Session,
}

impl PolicyKind {
    /// A short name for messages: `identity policy`, `permissions boundary`,
    /// `SCP` or `session policy`.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::PermissionsBoundary => "permissions boundary",
            PolicyKind::Scp => "SCP",
            PolicyKind::Session => "session policy",
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A statement that contributed to a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidingStatement {
    /// The kind of policy the statement is in.
    pub kind: PolicyKind,
    /// The policy's name as given to [`PolicySet`](super::PolicySet).
    pub policy: Arc<str>,
    /// For SCPs, the organization level (0 = the first level added, usually the root).
    pub scp_level: Option<usize>,
    /// The statement's index in the policy's `Statement` list (from 0).
    pub index: usize,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<Arc<str>>,
    /// The statement's effect.
    pub effect: Effect,
}

impl DecidingStatement {
    /// Where the statement is, e.g. `SCP "guardrails" (organization level 1)
    /// statement 2 (Sid "DenyOutsideVpc")`.
    pub(crate) fn location(&self) -> Location<'_> {
        Location(self)
    }
}

/// Displays where a deciding statement is.
pub(crate) struct Location<'a>(&'a DecidingStatement);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let statement = self.0;
        write!(f, "{} {:?}", statement.kind, &*statement.policy)?;
        if let Some(level) = statement.scp_level {
            write!(f, " (organization level {level})")?;
        }
        write!(f, " statement {}", statement.index)?;
        if let Some(sid) = &statement.sid {
            write!(f, " (Sid {:?})", &**sid)?;
        }
        Ok(())
    }
}

impl fmt::Display for DecidingStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.effect)
    }
}

impl serde::Serialize for DecidingStatement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = 4 + usize::from(self.scp_level.is_some()) + usize::from(self.sid.is_some());
        let mut s = serializer.serialize_struct("DecidingStatement", fields)?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("policy", &*self.policy)?;
        if let Some(level) = self.scp_level {
            s.serialize_field("scp_level", &level)?;
        }
        s.serialize_field("index", &self.index)?;
        if let Some(sid) = &self.sid {
            s.serialize_field("sid", &**sid)?;
        }
        s.serialize_field("effect", &self.effect.to_string())?;
        s.end()
    }
}

/// The evaluator's answer for one request.
///
/// `statements` holds, for [`Outcome::ExplicitDeny`], every `Deny` statement
/// that applies; for [`Outcome::Allow`], every `Allow` statement that applies,
/// from each policy type; for [`Outcome::ImplicitDeny`], nothing (the
/// `reason` names the policy types that lacked an `Allow`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    /// Allow, explicit deny or implicit deny.
    pub outcome: Outcome,
    /// The statements that decided the outcome, in policy order.
    pub statements: Vec<DecidingStatement>,
    /// Why, in one sentence, e.g. `no Allow in the permissions boundary "b"`.
    pub reason: String,
}

impl Decision {
    /// True when the outcome is [`Outcome::Allow`].
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.outcome, self.reason)?;
        for statement in &self.statements {
            write!(f, "\n  - {statement}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> Decision {
        Decision {
            outcome: Outcome::ExplicitDeny,
            statements: vec![DecidingStatement {
                kind: PolicyKind::Scp,
                policy: "guardrails".into(),
                scp_level: Some(1),
                index: 2,
                sid: Some("DenyOutsideVpc".into()),
                effect: Effect::Deny,
            }],
            reason: "explicitly denied".into(),
        }
    }

    #[test]
    fn displays_outcome_reason_and_statements() {
        assert_eq!(
            sample().to_string(),
            "ExplicitDeny: explicitly denied\n  - SCP \"guardrails\" (organization level 1) statement 2 (Sid \"DenyOutsideVpc\"): Deny"
        );
    }

    #[test]
    fn serializes_to_json() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "outcome": "ExplicitDeny",
                "statements": [{
                    "kind": "scp",
                    "policy": "guardrails",
                    "scp_level": 1,
                    "index": 2,
                    "sid": "DenyOutsideVpc",
                    "effect": "Deny"
                }],
                "reason": "explicitly denied"
            })
        );
    }
}
