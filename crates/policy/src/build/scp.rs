//! Service control policies: the guardrails as organization-wide restrictions,
//! the `FullAWSAccess` policy, and the presigned-URL network SCP.
//!
//! SCPs have no `Principal`; studio-fed's restrictions are `Deny` statements
//! only, and every SCP must fit 5,120 characters.

use super::gateway::SourceNetwork;
use super::guardrail::Guardrail;
use super::unique;
use crate::document::{Effect, PolicyDocument, Statement};
use crate::error::{Error, Result};
use crate::lint::{PolicyKind, Quotas};

/// The `FullAWSAccess` SCP: allows everything, so that only the Deny SCPs
/// restrict. AWS attaches it to every root, OU and account by default.
pub fn full_aws_access() -> PolicyDocument {
    PolicyDocument::new([Statement::allow().with_actions(["*"]).with_resources(["*"])])
}

/// An SCP holding the statements of `guardrails`, each distinct statement once.
///
/// Errors when a guardrail grants access (the own-profile guardrails are
/// `Allow` statements: attach those to roles instead) or when the SCP would
/// exceed 5,120 characters.
///
/// ```
/// use studio_fed_policy::build::{Guardrail, scp};
///
/// let policy = scp::from_guardrails(
///     "studio-guardrails",
///     &[Guardrail::vpc_only_domains(), Guardrail::instance_types(["ml.t3.*"])?],
/// )?;
/// assert_eq!(policy.statements.len(), 5);
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
pub fn from_guardrails(name: &str, guardrails: &[Guardrail]) -> Result<PolicyDocument> {
    if let Some(granting) = guardrails.iter().find(|g| !g.is_deny_only()) {
        return Err(Error::input(
            "guardrail",
            granting.name(),
            "grants access with Allow statements; an SCP can only restrict: attach it to roles instead",
        ));
    }
    let statements = unique(guardrails.iter().flat_map(Guardrail::statements));
    if statements.is_empty() {
        return Err(Error::input(
            "SCP",
            name,
            "has no statements; give at least one guardrail",
        ));
    }
    checked(name, PolicyDocument::new(statements))
}

/// The org-wide presigned-URL network SCP: deny
/// `sagemaker:CreatePresignedDomainUrl` unless the request comes from inside
/// the VPC CIDRs (`NotIpAddress aws:VpcSourceIp`). Requests from outside any
/// VPC carry no `aws:VpcSourceIp` and are denied too. The same as
/// [`presigned_url_from_network`] with [`SourceNetwork::vpc`].
///
/// ```
/// use studio_fed_policy::build::scp;
///
/// let policy = scp::presigned_url_from_vpc(["10.20.0.0/16"])?;
/// assert!(policy.to_json().contains(r#""NotIpAddress":{"aws:VpcSourceIp":"10.20.0.0/16"}"#));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
pub fn presigned_url_from_vpc<I, S>(cidrs: I) -> Result<PolicyDocument>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    presigned_url_from_network(&SourceNetwork::vpc(cidrs))
}

/// The org-wide presigned-URL network SCP, named `presigned-url-network`:
/// the statements of [`Guardrail::presigned_url_from`]. No principal of the
/// accounts it is attached to (administrators and the login gateway
/// included) can create a Studio presigned URL from outside `network`, so no
/// URL usable from elsewhere can be minted. `DescribeUserProfile` and the
/// other Studio calls stay unrestricted.
///
/// ```
/// use studio_fed_policy::build::{SourceNetwork, scp};
///
/// let policy = scp::presigned_url_from_network(&SourceNetwork::public(["203.0.113.0/24"]))?;
/// assert!(policy.to_json().contains(r#""NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
pub fn presigned_url_from_network(network: &SourceNetwork) -> Result<PolicyDocument> {
    from_guardrails("presigned-url-network", &[Guardrail::presigned_url_from(network)?])
}

/// Checks the SCP rules studio-fed relies on: no `Principal`/`NotPrincipal`,
/// `Allow` statements without conditions, and the 5,120-character size.
pub fn check(name: &str, document: &PolicyDocument) -> Result<()> {
    for (i, statement) in document.statements.iter().enumerate() {
        let at = || format!("statement {}", i + 1);
        if statement.principals.is_some() {
            return Err(Error::input(
                "SCP",
                name,
                format!("{} has a Principal; SCPs have none", at()),
            ));
        }
        if statement.effect == Effect::Allow && !statement.condition.is_empty() {
            return Err(Error::input(
                "SCP",
                name,
                format!(
                    "{} is an Allow with a Condition; restrict with Deny statements instead",
                    at()
                ),
            ));
        }
    }
    if let Some(violation) = Quotas::default().check_document(PolicyKind::Scp, name, document) {
        return Err(Error::input("SCP", name, violation.to_string()));
    }
    Ok(())
}

fn checked(name: &str, document: PolicyDocument) -> Result<PolicyDocument> {
    check(name, &document)?;
    Ok(document)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::build::{GatewayPolicy, RoleInputs};
    use crate::eval::{Context, Evaluator, Outcome, PolicySet, Request};
    use crate::lint::{self, PolicyKind};

    #[test]
    fn full_aws_access_is_the_aws_policy() {
        assert_eq!(
            full_aws_access().to_json(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        );
        assert!(check("FullAWSAccess", &full_aws_access()).is_ok());
    }

    #[test]
    fn allow_guardrails_cannot_be_scps() {
        let own = Guardrail::own_user_profile_by_tag(&RoleInputs::default(), None).unwrap();
        let e = from_guardrails("x", &[own]).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid guardrail \"own user profile only (studiouserid tag)\""),
            "{e}"
        );
    }

    #[test]
    fn principals_are_refused() {
        let doc = PolicyDocument::new([Statement::deny()
            .with_principal(crate::document::Principal::Any)
            .with_actions(["*"])
            .with_resources(["*"])]);
        let e = check("x", &doc).unwrap_err().to_string();
        assert_eq!(e, "invalid SCP \"x\": statement 1 has a Principal; SCPs have none");
    }

    #[test]
    fn presigned_url_from_vpc_is_unchanged() {
        let before = PolicyDocument::new([Statement::deny()
            .with_sid("DenyPresignedUrlOutsideVpcCidrs")
            .with_actions(["sagemaker:CreatePresignedDomainUrl"])
            .with_resources(["*"])
            .with_condition(
                crate::document::Operator::NotIpAddress,
                "aws:VpcSourceIp",
                ["10.20.0.0/16"],
            )]);
        assert_eq!(
            presigned_url_from_vpc(["10.20.0.0/16", "10.20.0.0/16"]).unwrap(),
            before
        );
        let e = presigned_url_from_vpc(Vec::<String>::new()).unwrap_err().to_string();
        assert!(e.contains("give at least one VPC CIDR"), "{e}");
    }

    /// The gateway's identity policy under FullAWSAccess and the network SCP.
    fn gateway_under_scp(network: &SourceNetwork) -> Evaluator {
        let gateway = GatewayPolicy::builder()
            .region("eu-west-1")
            .account("111122223333")
            .domain("d-abc123")
            .network(network.clone())
            .build()
            .unwrap();
        let scp = presigned_url_from_network(network).unwrap();
        assert!(lint::check_document(PolicyKind::Scp, "presigned-url-network", &scp).is_none());
        PolicySet::new()
            .identity("admin", full_aws_access())
            .identity("studio-fed-gateway", gateway)
            .scp_level([("FullAWSAccess", full_aws_access()), ("presigned-url-network", scp)])
            .compile()
    }

    const PROFILE: &str = "arn:aws:sagemaker:eu-west-1:111122223333:user-profile/d-abc123/alice";

    fn request(action: &str, context: Context) -> Request {
        Request::new(action, PROFILE)
            .with_principal("arn:aws:sts::111122223333:assumed-role/studio-fed-gateway/session")
            .with_context(context)
    }

    #[test]
    fn network_scp_denies_presigned_urls_from_outside() {
        let eval = gateway_under_scp(&SourceNetwork::public(["203.0.113.0/24"]));
        let from = |address: &str| Context::new().with_ip("aws:SourceIp", address.parse().unwrap());
        let url = "sagemaker:CreatePresignedDomainUrl";
        assert_eq!(
            eval.evaluate(&request(url, from("203.0.113.9"))).outcome,
            Outcome::Allow
        );
        let decision = eval.evaluate(&request(url, from("198.51.100.9")));
        assert_eq!(decision.outcome, Outcome::ExplicitDeny);
        assert_eq!(
            decision.statements[0].sid.as_deref(),
            Some("DenyPresignedUrlOutsideCidrs")
        );
        assert_eq!(
            eval.evaluate(&request(url, Context::new())).outcome,
            Outcome::ExplicitDeny,
            "no source IP"
        );
        assert_eq!(
            eval.evaluate(&request("sagemaker:DescribeUserProfile", from("198.51.100.9")))
                .outcome,
            Outcome::Allow,
            "reading profiles from outside stays allowed"
        );
    }

    #[test]
    fn vpc_network_scp_denies_other_endpoints() {
        let network = SourceNetwork::vpc(["10.20.0.0/16"]).with_vpc_endpoints(["vpce-0a1b2c3d"]);
        let eval = gateway_under_scp(&network);
        let from = |address: &str, endpoint: &str| {
            Context::new()
                .with_ip("aws:VpcSourceIp", address.parse().unwrap())
                .with_string("aws:SourceVpce", endpoint)
        };
        let url = "sagemaker:CreatePresignedDomainUrl";
        assert_eq!(
            eval.evaluate(&request(url, from("10.20.1.1", "vpce-0a1b2c3d"))).outcome,
            Outcome::Allow
        );
        for (why, context) in [
            ("outside the CIDRs", from("10.99.1.1", "vpce-0a1b2c3d")),
            ("another endpoint", from("10.20.1.1", "vpce-11111111")),
            (
                "not through a VPC",
                Context::new().with_ip("aws:SourceIp", "203.0.113.9".parse().unwrap()),
            ),
        ] {
            assert_eq!(
                eval.evaluate(&request(url, context)).outcome,
                Outcome::ExplicitDeny,
                "{why}"
            );
        }
    }

    #[test]
    fn oversized_scp_is_refused_with_its_figure() {
        let cidrs: Vec<String> = (0..400).map(|i| format!("10.{}.{}.0/24", i / 256, i % 256)).collect();
        let e = presigned_url_from_vpc(cidrs).unwrap_err().to_string();
        assert!(e.contains("characters; the limit is 5,120"), "{e}");
    }
}
