//! Trust policies: exact documents for SAML, OIDC and the SageMaker service.
#![allow(clippy::unwrap_used, missing_docs)]

mod build_support;

use build_support::*;
use serde_json::json;
use studio_fed_policy::build::{OidcTrust, RoleInputs, SageMakerTrust, SamlTrust};
use studio_fed_policy::lint::PolicyKind;

const SAML_PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/IdentityCenter";
const OIDC_PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/login.example.com/realms/ml";

#[test]
fn saml_trust_document() {
    let doc = SamlTrust::new(SAML_PROVIDER).with_session_tags().build().unwrap();
    assert_eq!(
        doc.to_value(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "SamlFederation",
                "Effect": "Allow",
                "Principal": {"Federated": SAML_PROVIDER},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
            }]
        })
    );
    assert_emittable(PolicyKind::Trust, "saml", &doc);
    let without_tags = SamlTrust::new(SAML_PROVIDER).build().unwrap();
    assert_eq!(actions(&without_tags.statements[0]), ["sts:AssumeRoleWithSAML"]);
}

#[test]
fn oidc_trust_document() {
    let doc = OidcTrust::new(OIDC_PROVIDER, "https://login.example.com/realms/ml")
        .with_client_id("studio-fed")
        .with_subject("user-*")
        .with_subject("svc-?")
        .build()
        .unwrap();
    assert_eq!(
        doc.to_value(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "OidcFederation",
                "Effect": "Allow",
                "Principal": {"Federated": OIDC_PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"login.example.com/realms/ml:aud": "studio-fed"},
                    "StringLike": {"login.example.com/realms/ml:sub": ["user-*", "svc-?"]}
                }
            }]
        })
    );
    assert_emittable(PolicyKind::Trust, "oidc", &doc);
}

#[test]
fn oidc_errors_name_the_input() {
    let e = OidcTrust::new(OIDC_PROVIDER, "login.example.com/realms/ml")
        .with_client_id("x")
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid OIDC issuer \"login.example.com/realms/ml\": expected an https:// URL"
    );
    let e = OidcTrust::new(OIDC_PROVIDER, "https://login.example.com/realms/ml")
        .with_client_id("two words")
        .build()
        .unwrap_err();
    assert!(e.to_string().starts_with("invalid OIDC client id \"two words\""), "{e}");
}

#[test]
fn sagemaker_trust_document() {
    let inputs = base().build().unwrap();
    let doc = SageMakerTrust::for_inputs(&inputs).build().unwrap();
    assert_eq!(
        doc.to_value(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "SageMakerAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:123456789012:*"}}
            }]
        })
    );
    let both = SageMakerTrust::new()
        .with_source_arn("arn:aws:sagemaker:us-east-1:123456789012:*")
        .with_source_account(ACCOUNT)
        .build()
        .unwrap();
    assert_eq!(
        condition(&both.statements[0]),
        json!({
            "ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:123456789012:*"},
            "StringEquals": {"aws:SourceAccount": ACCOUNT}
        })
    );
    let plain = SageMakerTrust::for_inputs(&RoleInputs::default()).build().unwrap();
    assert!(plain.statements[0].condition.is_empty());
    assert_emittable(PolicyKind::Trust, "sagemaker", &doc);
    let e = SageMakerTrust::new().with_source_account("me").build().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid source account \"me\": expected a 12-digit AWS account id"
    );
}
