//! AWS's decision logic over a compiled policy set.
//!
//! 1. Any applicable `Deny` in any policy: **explicit deny**.
//! 2. Otherwise the request is allowed only if an `Allow` applies in the SCPs
//!    of every organization level (when SCPs are set), in the identity
//!    policies, in the permissions boundary (when set) and in the session
//!    policies (when set); if any of these lacks one: **implicit deny**.

use super::compile::{Evaluator, Group};
use super::decision::{DecidingStatement, Decision, Outcome, PolicyKind};
use super::request::Request;

impl Evaluator {
    /// Decides `request`.
    ///
    /// Only the statements indexed under the request's action (plus those
    /// with wildcard or `NotAction` patterns) are examined; the decision
    /// lists every applicable `Deny` statement for an explicit deny, and every
    /// applicable `Allow` statement for an allow.
    pub fn evaluate(&self, request: &Request) -> Decision {
        let action = request.action();
        let mut statements = Vec::new();
        for (id, action_known) in self.deny.candidates(action) {
            if self.statements[id].applies(request, action_known) {
                statements.push(self.deciding(id));
            }
        }
        if let Some(first) = statements.first() {
            let mut reason = format!("explicitly denied by {}", first.location());
            if statements.len() > 1 {
                reason.push_str(&format!(" and {} more Deny statements", statements.len() - 1));
            }
            return Decision {
                outcome: Outcome::ExplicitDeny,
                statements,
                reason,
            };
        }

        for (id, action_known) in self.allow.candidates(action) {
            if self.statements[id].applies(request, action_known) {
                statements.push(self.deciding(id));
            }
        }
        let mut missing = self
            .required
            .iter()
            .filter(|requirement| !statements.iter().any(|s| group_of(s) == requirement.group))
            .map(|requirement| requirement.missing.as_str())
            .peekable();
        if missing.peek().is_none() {
            return Decision {
                outcome: Outcome::Allow,
                statements,
                reason: self.allow_reason.clone(),
            };
        }
        let reason = missing.collect::<Vec<_>>().join("; ");
        tracing::trace!(%reason, "implicit deny");
        Decision {
            outcome: Outcome::ImplicitDeny,
            statements: Vec::new(),
            reason,
        }
    }

    fn deciding(&self, id: usize) -> DecidingStatement {
        let statement = &self.statements[id];
        let policy = &self.policies[statement.policy];
        DecidingStatement {
            kind: policy.kind,
            policy: policy.name.clone(),
            scp_level: policy.scp_level,
            index: statement.index,
            sid: statement.sid.clone(),
            effect: statement.effect,
        }
    }
}

/// The allowance a deciding statement counts toward.
fn group_of(statement: &DecidingStatement) -> Group {
    match (statement.kind, statement.scp_level) {
        (PolicyKind::Identity, _) => Group::Identity,
        (PolicyKind::PermissionsBoundary, _) => Group::Boundary,
        (PolicyKind::Session, _) => Group::Session,
        (PolicyKind::Scp, level) => Group::Scp(level.unwrap_or_default()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{Context, PolicySet};
    use super::*;
    use crate::PolicyDocument;

    fn doc(json: &str) -> PolicyDocument {
        json.parse().unwrap()
    }

    fn allow(action: &str) -> PolicyDocument {
        doc(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"*"}}}}"#
        ))
    }

    fn deny(action: &str) -> PolicyDocument {
        doc(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"No","Effect":"Deny","Action":"{action}","Resource":"*"}}}}"#
        ))
    }

    #[test]
    fn no_policies_is_an_implicit_deny() {
        let decision = PolicySet::new().compile().evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(decision.outcome, Outcome::ImplicitDeny);
        assert_eq!(decision.reason, "no identity policies");
    }

    #[test]
    fn explicit_deny_wins_everywhere() {
        for set in [
            PolicySet::new().identity("a", allow("*")).identity("d", deny("s3:*")),
            PolicySet::new().identity("a", allow("*")).boundary("d", deny("s3:*")),
            PolicySet::new().identity("a", allow("*")).session("d", deny("s3:*")),
            PolicySet::new()
                .identity("a", allow("*"))
                .scp_level([("full", allow("*")), ("d", deny("s3:*"))]),
        ] {
            let decision = set.compile().evaluate(&Request::new("s3:GetObject", "*"));
            assert_eq!(decision.outcome, Outcome::ExplicitDeny, "{decision}");
            assert_eq!(decision.statements.len(), 1);
            assert_eq!(&*decision.statements[0].policy, "d");
            assert!(
                decision.reason.starts_with("explicitly denied by ") && decision.reason.contains(" \"d\" "),
                "{}",
                decision.reason
            );
        }
    }

    #[test]
    fn explicit_deny_reason_names_the_statement() {
        let set = PolicySet::new()
            .identity("a", allow("*"))
            .scp_level([("guard", deny("s3:*"))])
            .compile();
        let decision = set.evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(
            decision.reason,
            r#"explicitly denied by SCP "guard" (organization level 0) statement 0 (Sid "No")"#
        );
        assert_eq!(
            decision.to_string(),
            "ExplicitDeny: explicitly denied by SCP \"guard\" (organization level 0) statement 0 (Sid \"No\")\n  - SCP \"guard\" (organization level 0) statement 0 (Sid \"No\"): Deny"
        );
    }

    #[test]
    fn evaluator_and_decisions_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Evaluator>();
        shareable::<Decision>();
        shareable::<Request>();
    }

    #[test]
    fn every_applicable_deny_is_reported() {
        let set = PolicySet::new()
            .identity("d1", deny("s3:*"))
            .identity("d2", deny("s3:GetObject"));
        let decision = set.compile().evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(decision.statements.len(), 2);
        assert!(
            decision.reason.ends_with("and 1 more Deny statements"),
            "{}",
            decision.reason
        );
    }

    #[test]
    fn allow_needs_every_policy_type() {
        let full = PolicySet::new()
            .identity("id", allow("s3:*"))
            .boundary("b", allow("s3:Get*"))
            .scp_level([("root", allow("*"))])
            .scp_level([("ou", allow("s3:*"))])
            .session("s", allow("s3:GetObject"))
            .compile();
        let decision = full.evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(decision.outcome, Outcome::Allow, "{decision}");
        let kinds: Vec<_> = decision.statements.iter().map(|s| (s.kind, s.scp_level)).collect();
        assert_eq!(
            kinds,
            vec![
                (PolicyKind::Identity, None),
                (PolicyKind::PermissionsBoundary, None),
                (PolicyKind::Scp, Some(0)),
                (PolicyKind::Scp, Some(1)),
                (PolicyKind::Session, None),
            ]
        );

        let decision = full.evaluate(&Request::new("s3:GetBucketPolicy", "*"));
        assert_eq!(decision.outcome, Outcome::ImplicitDeny);
        assert_eq!(decision.reason, r#"no Allow in the session policy "s""#);
        assert!(decision.statements.is_empty());

        let decision = full.evaluate(&Request::new("s3:PutObject", "*"));
        assert_eq!(
            decision.reason,
            r#"no Allow in the permissions boundary "b"; no Allow in the session policy "s""#
        );

        let decision = full.evaluate(&Request::new("ec2:RunInstances", "*"));
        assert_eq!(
            decision.reason,
            r#"no Allow in the SCPs of organization level 1 ("ou"); no Allow in the identity policy "id"; no Allow in the permissions boundary "b"; no Allow in the session policy "s""#
        );
    }

    #[test]
    fn boundary_and_scp_do_not_grant() {
        let set = PolicySet::new()
            .boundary("b", allow("*"))
            .scp_level([("root", allow("*"))])
            .compile();
        let decision = set.evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(decision.outcome, Outcome::ImplicitDeny);
        assert_eq!(decision.reason, "no identity policies");
    }

    #[test]
    fn empty_scp_level_denies() {
        let set = PolicySet::new()
            .identity("id", allow("*"))
            .scp_level(Vec::<(String, PolicyDocument)>::new())
            .compile();
        let decision = set.evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(decision.outcome, Outcome::ImplicitDeny);
        assert_eq!(decision.reason, "no SCP attached at organization level 0");
    }

    #[test]
    fn statements_without_resource_match_any_resource() {
        let trust = doc(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        );
        let set = PolicySet::new().identity("trust", trust).compile();
        let request = Request::new("sts:AssumeRole", "arn:aws:iam::111122223333:role/exec");
        assert_eq!(set.evaluate(&request).outcome, Outcome::ImplicitDeny);
        let request = request.with_principal("sagemaker.amazonaws.com");
        assert_eq!(set.evaluate(&request).outcome, Outcome::Allow);
    }

    #[test]
    fn allow_reason_names_the_policy_types() {
        let set = PolicySet::new()
            .identity("id", allow("*"))
            .boundary("b", allow("*"))
            .scp_level([("root", allow("*"))])
            .compile();
        let decision = set.evaluate(&Request::new("s3:GetObject", "*"));
        assert_eq!(
            decision.reason,
            r#"allowed by the identity policies, the SCPs at every organization level and the permissions boundary "b", and no explicit Deny"#
        );
        let only = PolicySet::new().identity("id", allow("*")).compile();
        assert_eq!(
            only.evaluate(&Request::new("s3:GetObject", "*")).reason,
            "allowed by the identity policies, and no explicit Deny"
        );
    }

    #[test]
    fn actions_match_case_insensitively_resources_case_sensitively() {
        let policy = doc(r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"S3:GETOBJECT","Resource":"arn:aws:s3:::Bucket/*"},
                {"Effect":"Allow","Action":"SageMaker:Describe*","Resource":"*"}
            ]}"#);
        let set = PolicySet::new().identity("p", policy).compile();
        let outcome = |action: &str, resource: &str| set.evaluate(&Request::new(action, resource)).outcome;
        assert_eq!(outcome("s3:GetObject", "arn:aws:s3:::Bucket/k"), Outcome::Allow);
        assert_eq!(outcome("s3:GetObject", "arn:aws:s3:::bucket/k"), Outcome::ImplicitDeny);
        assert_eq!(outcome("sagemaker:describedomain", "x"), Outcome::Allow);
    }

    #[test]
    fn many_requests_against_one_evaluator() {
        // A quick correctness sweep (not a timing test) over a persona-sized set.
        let persona = doc(r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"Apps","Effect":"Allow","Action":["sagemaker:CreateApp","sagemaker:DeleteApp","sagemaker:DescribeApp"],
                 "Resource":"arn:aws:sagemaker:*:*:app/${sagemaker:DomainId}/${sagemaker:UserProfileName}/*"},
                {"Sid":"List","Effect":"Allow","Action":["sagemaker:List*","sagemaker:Describe*"],"Resource":"*"},
                {"Sid":"Url","Effect":"Allow","Action":"sagemaker:CreatePresignedDomainUrl",
                 "Resource":"arn:aws:sagemaker:*:*:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}",
                 "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}},
                {"Sid":"Data","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::ml-data/*"},
                {"Sid":"Types","Effect":"Deny","Action":"sagemaker:CreateApp","Resource":"*",
                 "Condition":{"ForAnyValue:StringNotLike":{"sagemaker:InstanceTypes":["ml.t3.*","system"]}}}
            ]}"#);
        let set = PolicySet::new().identity("persona", persona).compile();
        let context = Context::new()
            .with_string("sagemaker:DomainId", "d-1")
            .with_string("sagemaker:UserProfileName", "alice")
            .with_ip("aws:SourceIp", "203.0.113.9".parse().unwrap());
        let app = "arn:aws:sagemaker:us-east-1:111122223333:app/d-1/alice/JupyterServer/default";
        let ok_app = Request::new("sagemaker:CreateApp", app)
            .with_context(context.clone().with_strings("sagemaker:InstanceTypes", ["system"]));
        let big_app = Request::new("sagemaker:CreateApp", app).with_context(
            context
                .clone()
                .with_strings("sagemaker:InstanceTypes", ["ml.p4d.24xlarge"]),
        );
        let url = Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-1/alice",
        )
        .with_context(context.clone());
        let other_url = Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-1/bob",
        )
        .with_context(context);
        for _ in 0..1000 {
            assert_eq!(set.evaluate(&ok_app).outcome, Outcome::Allow);
            assert_eq!(set.evaluate(&big_app).outcome, Outcome::ExplicitDeny);
            assert_eq!(set.evaluate(&url).outcome, Outcome::Allow);
            assert_eq!(set.evaluate(&other_url).outcome, Outcome::ImplicitDeny);
        }
    }
}
