//! Trust policies: who may assume a role. SAML federation, OIDC web identity,
//! and the SageMaker service for execution roles.

use super::inputs::{Arn, ArnShape, RoleInputs, check_arn, is_account};
use crate::document::{Operator, PolicyDocument, Principal, Statement};
use crate::error::{Error, Result};

const SAML_PROVIDER_ARN: ArnShape = ArnShape {
    service: "iam",
    regional: false,
    resource_prefix: "saml-provider/",
    example: "arn:aws:iam::123456789012:saml-provider/IdentityCenter",
};

const OIDC_PROVIDER_ARN: ArnShape = ArnShape {
    service: "iam",
    regional: false,
    resource_prefix: "oidc-provider/",
    example: "arn:aws:iam::123456789012:oidc-provider/login.example.com",
};

/// The SageMaker service principal.
pub const SAGEMAKER_SERVICE: &str = "sagemaker.amazonaws.com";

/// Trust for SAML 2.0 federation: `sts:AssumeRoleWithSAML` from one SAML
/// provider, for assertions addressed to the AWS sign-in ACS URL.
///
/// ```
/// use studio_fed_policy::build::SamlTrust;
///
/// let trust = SamlTrust::new("arn:aws:iam::123456789012:saml-provider/IdentityCenter")
///     .with_session_tags()
///     .build()?;
/// let json = trust.to_json();
/// assert!(json.contains(r#""Action":["sts:AssumeRoleWithSAML","sts:TagSession"]"#));
/// assert!(json.contains(r#""SAML:aud":"https://signin.aws.amazon.com/saml""#));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlTrust {
    provider_arn: String,
    audiences: Vec<String>,
    session_tags: bool,
}

impl SamlTrust {
    /// The ACS URL of the global AWS sign-in endpoint, used unless another is given.
    pub const DEFAULT_AUDIENCE: &'static str = "https://signin.aws.amazon.com/saml";

    /// Trust for the SAML provider with this ARN.
    pub fn new(provider_arn: impl Into<String>) -> Self {
        SamlTrust {
            provider_arn: provider_arn.into(),
            audiences: Vec::new(),
            session_tags: false,
        }
    }

    /// Accepts assertions for this ACS URL (`SAML:aud`), e.g. a regional
    /// `https://us-east-1.signin.aws.amazon.com/saml`. Replaces the default;
    /// call again to accept several.
    pub fn with_audience(mut self, acs_url: impl Into<String>) -> Self {
        self.audiences.push(acs_url.into());
        self
    }

    /// Also allows `sts:TagSession`, so the IdP can pass session tags
    /// (needed for attribute-based access such as `studiouserid`).
    pub fn with_session_tags(mut self) -> Self {
        self.session_tags = true;
        self
    }

    /// The trust policy.
    pub fn build(&self) -> Result<PolicyDocument> {
        check_arn("SAML provider", &self.provider_arn, &SAML_PROVIDER_ARN, None)?;
        let audiences = if self.audiences.is_empty() {
            vec![Self::DEFAULT_AUDIENCE.to_owned()]
        } else {
            self.audiences.clone()
        };
        for audience in &audiences {
            https_url("SAML audience", audience)?;
        }
        let statement = Statement::allow()
            .with_sid("SamlFederation")
            .with_principal(Principal::federated(&self.provider_arn))
            .with_actions(federation_actions("sts:AssumeRoleWithSAML", self.session_tags))
            .with_condition(Operator::StringEquals, "SAML:aud", audiences);
        Ok(PolicyDocument::new([statement]))
    }
}

/// Trust for OIDC web identity federation: `sts:AssumeRoleWithWebIdentity`
/// from one OIDC provider, for tokens issued to the given client ids and,
/// optionally, only for matching subjects.
///
/// ```
/// use studio_fed_policy::build::OidcTrust;
///
/// let trust = OidcTrust::new(
///     "arn:aws:iam::123456789012:oidc-provider/login.example.com/realms/ml",
///     "https://login.example.com/realms/ml",
/// )
/// .with_client_id("studio-fed")
/// .with_subject("ml-*")
/// .build()?;
/// let json = trust.to_json();
/// assert!(json.contains(r#""StringEquals":{"login.example.com/realms/ml:aud":"studio-fed"}"#));
/// assert!(json.contains(r#""StringLike":{"login.example.com/realms/ml:sub":"ml-*"}"#));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcTrust {
    provider_arn: String,
    issuer: String,
    client_ids: Vec<String>,
    subjects: Vec<String>,
    session_tags: bool,
}

impl OidcTrust {
    /// Trust for the OIDC provider with this ARN, registered for `issuer_url`
    /// (e.g. `https://login.example.com/realms/ml`).
    pub fn new(provider_arn: impl Into<String>, issuer_url: impl Into<String>) -> Self {
        OidcTrust {
            provider_arn: provider_arn.into(),
            issuer: issuer_url.into(),
            client_ids: Vec::new(),
            subjects: Vec::new(),
            session_tags: false,
        }
    }

    /// Accepts tokens whose `aud` is this client id. At least one is required.
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Accepts only tokens whose `sub` matches this pattern (`*` and `?`
    /// wildcards). Without any, every subject of the client is accepted.
    pub fn with_subject(mut self, pattern: impl Into<String>) -> Self {
        self.subjects.push(pattern.into());
        self
    }

    /// Also allows `sts:TagSession` (session tags from token claims).
    pub fn with_session_tags(mut self) -> Self {
        self.session_tags = true;
        self
    }

    /// The condition-key prefix AWS uses for this provider: the issuer URL
    /// without `https://` and without a trailing `/`.
    pub fn key_prefix(&self) -> Result<String> {
        let rest = https_url("OIDC issuer", &self.issuer)?;
        if rest.contains(['?', '#']) {
            return Err(Error::input(
                "OIDC issuer",
                &self.issuer,
                "an issuer URL has no query or fragment",
            ));
        }
        Ok(rest.trim_end_matches('/').to_owned())
    }

    /// The trust policy.
    pub fn build(&self) -> Result<PolicyDocument> {
        check_arn("OIDC provider", &self.provider_arn, &OIDC_PROVIDER_ARN, None)?;
        let prefix = self.key_prefix()?;
        let registered = Arn::parse(&self.provider_arn)
            .and_then(|arn| arn.resource.strip_prefix(OIDC_PROVIDER_ARN.resource_prefix))
            .unwrap_or_default();
        if registered != prefix {
            return Err(Error::input(
                "OIDC provider",
                &self.provider_arn,
                format!("the provider is registered for {registered:?} but the issuer is {prefix:?}; they must match"),
            ));
        }
        if self.client_ids.is_empty() {
            return Err(Error::input(
                "OIDC client id",
                "",
                "at least one client id (the token's aud) is required; without it any client of the issuer could assume the role",
            ));
        }
        for id in &self.client_ids {
            token_value("OIDC client id", id)?;
        }
        for subject in &self.subjects {
            token_value("OIDC subject", subject)?;
        }
        let mut statement = Statement::allow()
            .with_sid("OidcFederation")
            .with_principal(Principal::federated(&self.provider_arn))
            .with_actions(federation_actions("sts:AssumeRoleWithWebIdentity", self.session_tags))
            .with_condition(Operator::StringEquals, format!("{prefix}:aud"), self.client_ids.clone());
        if !self.subjects.is_empty() {
            statement = statement.with_condition(Operator::StringLike, format!("{prefix}:sub"), self.subjects.clone());
        }
        Ok(PolicyDocument::new([statement]))
    }
}

/// Trust for SageMaker execution roles: the SageMaker service may assume the
/// role, optionally only on behalf of resources in one account or matching
/// one ARN pattern (confused-deputy protection).
///
/// ```
/// use studio_fed_policy::build::{RoleInputs, SageMakerTrust};
///
/// let inputs = RoleInputs::builder().region("us-east-1").account("123456789012").build()?;
/// let json = SageMakerTrust::for_inputs(&inputs).build()?.to_json();
/// assert!(json.contains(r#""ArnLike":{"aws:SourceArn":"arn:aws:sagemaker:us-east-1:123456789012:*"}"#));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SageMakerTrust {
    source_arn: Option<String>,
    source_account: Option<String>,
}

impl SageMakerTrust {
    /// Trust for the SageMaker service with no condition.
    pub fn new() -> Self {
        Self::default()
    }

    /// The console's form for the inputs: `ArnLike aws:SourceArn` =
    /// `arn:{partition}:sagemaker:{region}:{account}:*` when both are known,
    /// `StringEquals aws:SourceAccount` when only the account is known.
    pub fn for_inputs(inputs: &RoleInputs) -> Self {
        match (inputs.region(), inputs.account()) {
            (Some(region), Some(account)) => SageMakerTrust::new()
                .with_source_arn(format!("arn:{}:sagemaker:{region}:{account}:*", inputs.partition())),
            (None, Some(account)) => SageMakerTrust::new().with_source_account(account),
            _ => SageMakerTrust::new(),
        }
    }

    /// Only when SageMaker acts for a resource matching this ARN pattern
    /// (`ArnLike aws:SourceArn`).
    pub fn with_source_arn(mut self, pattern: impl Into<String>) -> Self {
        self.source_arn = Some(pattern.into());
        self
    }

    /// Only when SageMaker acts for a resource in this account
    /// (`StringEquals aws:SourceAccount`).
    pub fn with_source_account(mut self, account: impl Into<String>) -> Self {
        self.source_account = Some(account.into());
        self
    }

    /// The trust policy.
    pub fn build(&self) -> Result<PolicyDocument> {
        let mut statement = Statement::allow()
            .with_sid("SageMakerAssumeRole")
            .with_principal(Principal::service(SAGEMAKER_SERVICE))
            .with_actions(["sts:AssumeRole"]);
        if let Some(pattern) = &self.source_arn {
            match Arn::parse(pattern) {
                Some(arn) if arn.service == "sagemaker" && !pattern.contains(char::is_whitespace) => {}
                _ => {
                    return Err(Error::input(
                        "source ARN",
                        pattern,
                        "expected a SageMaker ARN pattern such as arn:aws:sagemaker:us-east-1:123456789012:*",
                    ));
                }
            }
            statement = statement.with_condition(Operator::ArnLike, "aws:SourceArn", [pattern.as_str()]);
        }
        if let Some(account) = &self.source_account {
            if !is_account(account) {
                return Err(Error::input(
                    "source account",
                    account,
                    "expected a 12-digit AWS account id",
                ));
            }
            statement = statement.with_condition(Operator::StringEquals, "aws:SourceAccount", [account.as_str()]);
        }
        Ok(PolicyDocument::new([statement]))
    }
}

fn federation_actions(assume: &'static str, session_tags: bool) -> Vec<&'static str> {
    if session_tags {
        vec![assume, "sts:TagSession"]
    } else {
        vec![assume]
    }
}

/// Checks an `https://` URL with a host and returns it without the scheme.
fn https_url<'a>(field: &'static str, url: &'a str) -> Result<&'a str> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| Error::input(field, url, "expected an https:// URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(char::is_whitespace) {
        return Err(Error::input(
            field,
            url,
            "expected an https:// URL with a host and no spaces",
        ));
    }
    Ok(rest)
}

fn token_value(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() || value.contains(char::is_whitespace) || value.len() > 255 {
        return Err(Error::input(
            field,
            value,
            "expected 1-255 characters without whitespace",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::document::{PrincipalKind, Principals};

    const OIDC_ARN: &str = "arn:aws:iam::123456789012:oidc-provider/login.example.com/realms/ml";

    #[test]
    fn saml_trust_has_provider_action_and_audience() {
        let doc = SamlTrust::new("arn:aws:iam::123456789012:saml-provider/Okta")
            .build()
            .unwrap();
        let statement = &doc.statements[0];
        assert_eq!(
            statement.principals,
            Some(Principals::Principal(Principal::of(
                PrincipalKind::Federated,
                ["arn:aws:iam::123456789012:saml-provider/Okta"]
            )))
        );
        assert_eq!(statement.actions.patterns(), ["sts:AssumeRoleWithSAML"]);
        assert_eq!(
            statement.condition.get(Operator::StringEquals, "SAML:aud"),
            Some(&["https://signin.aws.amazon.com/saml".to_owned()][..])
        );
    }

    #[test]
    fn saml_audience_replaces_the_default() {
        let doc = SamlTrust::new("arn:aws:iam::123456789012:saml-provider/Okta")
            .with_audience("https://eu-west-1.signin.aws.amazon.com/saml")
            .build()
            .unwrap();
        assert_eq!(
            doc.statements[0]
                .condition
                .get(Operator::StringEquals, "SAML:aud")
                .unwrap(),
            ["https://eu-west-1.signin.aws.amazon.com/saml"]
        );
        let e = SamlTrust::new("arn:aws:iam::123456789012:saml-provider/Okta")
            .with_audience("http://signin.aws.amazon.com/saml")
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid SAML audience \"http://signin.aws.amazon.com/saml\": expected an https:// URL"
        );
    }

    #[test]
    fn saml_provider_must_be_a_saml_provider_arn() {
        let e = SamlTrust::new(OIDC_ARN).build().unwrap_err().to_string();
        assert!(e.starts_with(&format!("invalid SAML provider {OIDC_ARN:?}")), "{e}");
    }

    #[test]
    fn oidc_key_prefix_comes_from_the_issuer() {
        let trust = OidcTrust::new(OIDC_ARN, "https://login.example.com/realms/ml/");
        assert_eq!(trust.key_prefix().unwrap(), "login.example.com/realms/ml");
        let doc = trust.with_client_id("a").with_client_id("b").build().unwrap();
        let statement = &doc.statements[0];
        assert_eq!(statement.actions.patterns(), ["sts:AssumeRoleWithWebIdentity"]);
        assert_eq!(
            statement
                .condition
                .get(Operator::StringEquals, "login.example.com/realms/ml:aud")
                .unwrap(),
            ["a", "b"]
        );
        assert!(
            statement
                .condition
                .get(Operator::StringLike, "login.example.com/realms/ml:sub")
                .is_none()
        );
    }

    #[test]
    fn oidc_needs_a_client_id_and_a_matching_provider() {
        let e = OidcTrust::new(OIDC_ARN, "https://login.example.com/realms/ml")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("at least one client id"), "{e}");
        let e = OidcTrust::new(OIDC_ARN, "https://other.example.com")
            .with_client_id("a")
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("registered for \"login.example.com/realms/ml\" but the issuer is \"other.example.com\""),
            "{e}"
        );
    }

    #[test]
    fn sagemaker_trust_conditions_follow_the_inputs() {
        let none = SageMakerTrust::for_inputs(&RoleInputs::default()).build().unwrap();
        assert!(none.statements[0].condition.is_empty());
        let account_only = RoleInputs::builder().account("123456789012").build().unwrap();
        let doc = SageMakerTrust::for_inputs(&account_only).build().unwrap();
        assert_eq!(
            doc.statements[0]
                .condition
                .get(Operator::StringEquals, "aws:SourceAccount")
                .unwrap(),
            ["123456789012"]
        );
        let e = SageMakerTrust::new()
            .with_source_arn("arn:aws:s3:::x")
            .build()
            .unwrap_err();
        assert!(
            e.to_string().starts_with("invalid source ARN \"arn:aws:s3:::x\""),
            "{e}"
        );
    }
}
