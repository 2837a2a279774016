//! Responses a real IdP sends are accepted, through `validate_post`, with the expected data.

mod support;

use studio_fed_federation::saml::{IdpMetadata, SamlError, SignedScope};
use studio_fed_testkit::saml_idp::{AWS_ROLE_ATTRIBUTE, NAME_ID_PERSISTENT, Sign};
use support::*;

#[tokio::test]
async fn response_signed_only() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Response).build()?;
    let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.signed_scope, SignedScope::Response);
    assert_eq!(a.name_id, "alice");
    assert_eq!(a.assertion_id, r.assertion_id());
    assert_eq!(a.issuer, IDP);
    Ok(())
}

#[tokio::test]
async fn assertion_signed_only() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.signed_scope, SignedScope::Assertion);
    assert_eq!(a.name_id, "alice");
    Ok(())
}

#[tokio::test]
async fn both_signed() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both)
        .name_id_format(NAME_ID_PERSISTENT)
        .session_index("_s1")
        .build()?;
    let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.signed_scope, SignedScope::Response);
    assert_eq!(a.name_id_format.as_deref(), Some(NAME_ID_PERSISTENT));
    assert_eq!(a.session_index.as_deref(), Some("_s1"));
    assert!((a.not_on_or_after - r.not_on_or_after()).abs() < time::Duration::milliseconds(1));
    // The same document as raw XML.
    let r = base(&idp, Sign::Both).build()?;
    assert!(validator(&idp).validate_xml(r.xml(), &[]).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn sp_initiated_with_in_response_to() -> TestResult {
    let idp = idp();
    let v = builder(&idp).allow_idp_initiated(false).build()?;
    let r = base(&idp, Sign::Both).in_response_to("_req-42").build()?;
    let a = v.validate_post(&r.base64(), &["_req-7", "_req-42"]).await?;
    assert_eq!(a.in_response_to.as_deref(), Some("_req-42"));
    Ok(())
}

#[tokio::test]
async fn identity_center_style_idp_initiated_with_trailing_slash_audience() -> TestResult {
    let idp = idp();
    let audience = format!("{ACS}/");
    let r = idp
        .identity_center_style(ACS, &audience, "alice", "d-1234567890")
        .build()?;
    // Configured without the slash; the response has it.
    let v = IdpMetadata::from_xml(&idp.metadata_xml()).and_then(|m| {
        studio_fed_federation::saml::ResponseValidator::builder(m)
            .audience(ACS)
            .acs_url(ACS)
            .allow_idp_initiated(true)
            .build()
    })?;
    let a = v.validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.name_id, "alice");
    assert_eq!(a.attribute("domain-id"), ["d-1234567890"]);
    assert_eq!(a.in_response_to, None);
    // And the other way round (configured with a slash, sent without).
    let r = idp.identity_center_style(ACS, ACS, "alice", "d-1234567890").build()?;
    let v = builder(&idp).audience(format!("{ACS}/")).build()?;
    assert!(v.validate_post(&r.base64(), &[]).await.is_ok());
    // A different path is not a trailing slash.
    let r = idp
        .identity_center_style(ACS, &format!("{ACS}/x"), "alice", "d-1")
        .build()?;
    assert!(matches!(
        v.validate_post(&r.base64(), &[]).await,
        Err(SamlError::WrongAudience { .. })
    ));
    Ok(())
}

#[tokio::test]
async fn aws_role_attributes_are_extracted_in_either_order() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both)
        .attribute(
            AWS_ROLE_ATTRIBUTE,
            [
                "arn:aws:iam::111122223333:saml-provider/Test,arn:aws:iam::111122223333:role/Reversed".to_owned(),
                "not-an-arn,arn:aws:iam::111122223333:role/X".to_owned(),
            ],
        )
        .build()?;
    let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
    assert_eq!(
        a.aws_roles(),
        [
            (ROLE.to_owned(), PROVIDER.to_owned()),
            (
                "arn:aws:iam::111122223333:role/Reversed".to_owned(),
                PROVIDER.to_owned()
            ),
        ]
    );
    assert_eq!(a.role_session_name(), Some("alice"));
    Ok(())
}

#[tokio::test]
async fn metadata_is_read_from_string_file_and_url() -> TestResult {
    let idp = idp();
    let m = IdpMetadata::from_xml(&idp.metadata_xml())?;
    assert_eq!(m.entity_id(), IDP);
    assert_eq!(m.signing_certificates(), [idp.certificate_der().to_vec()]);
    assert_eq!(
        m.sso_location("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"),
        Some(idp.sso_url())
    );
    assert!(m.valid_until().is_some());
    assert_eq!(m.xml(), idp.metadata_xml());
    assert!(!m.wants_authn_requests_signed());
    let wanting = idp.metadata_xml().replace(
        r#"WantAuthnRequestsSigned="false""#,
        r#"WantAuthnRequestsSigned="true""#,
    );
    assert!(IdpMetadata::from_xml(&wanting)?.wants_authn_requests_signed());
    let path = std::env::temp_dir().join(format!("studio-fed-saml-md-{}.xml", std::process::id()));
    std::fs::write(&path, idp.metadata_xml())?;
    assert_eq!(IdpMetadata::from_file(&path)?.entity_id(), IDP);
    std::fs::remove_file(&path)?;
    let server = idp.serve_metadata().await?;
    assert_eq!(IdpMetadata::fetch(server.url()).await?.entity_id(), IDP);
    Ok(())
}
