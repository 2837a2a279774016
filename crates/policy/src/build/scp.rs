//! Service control policies: the guardrails as organization-wide restrictions,
//! the `FullAWSAccess` policy, and the presigned-URL network SCP.
//!
//! SCPs have no `Principal`; studio-fed's restrictions are `Deny` statements
//! only, and every SCP must fit 5,120 characters.

use super::guardrail::{Guardrail, cidr_list};
use super::unique;
use crate::document::{Effect, Operator, PolicyDocument, Statement};
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
/// VPC carry no `aws:VpcSourceIp` and are denied too.
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
    let cidrs = cidr_list(cidrs)?;
    if cidrs.is_empty() {
        return Err(Error::input("CIDR", "", "give at least one VPC CIDR, e.g. 10.0.0.0/16"));
    }
    let statement = Statement::deny()
        .with_sid("DenyPresignedUrlOutsideVpcCidrs")
        .with_actions(["sagemaker:CreatePresignedDomainUrl"])
        .with_resources(["*"])
        .with_condition(Operator::NotIpAddress, "aws:VpcSourceIp", cidrs);
    checked("presigned-url-network", PolicyDocument::new([statement]))
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
    use crate::build::RoleInputs;

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
    fn oversized_scp_is_refused_with_its_figure() {
        let cidrs: Vec<String> = (0..400).map(|i| format!("10.{}.{}.0/24", i / 256, i % 256)).collect();
        let e = presigned_url_from_vpc(cidrs).unwrap_err().to_string();
        assert!(e.contains("characters; the limit is 5,120"), "{e}");
    }
}
