//! `ensure_saml_provider` against the local AWS emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod aws_common;

use studio_fed_federation::Change;
use studio_fed_federation::aws;
use studio_fed_testkit::emulator::ACCOUNT_ID;
use studio_fed_testkit::saml_idp::SamlIdp;
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn creates_then_leaves_alone_then_updates_the_metadata() {
    let env = aws_common::env().await;
    let idp = SamlIdp::new("https://idp.example.test/metadata").unwrap();
    let metadata = idp.metadata_xml();
    assert!(metadata.len() >= aws::MIN_METADATA_CHARS, "{}", metadata.len());

    let first = aws::ensure_saml_provider(&env.config, "IdentityCenter", &metadata)
        .await
        .unwrap();
    assert_eq!(first.change, Change::Created);
    assert_eq!(
        first.arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/IdentityCenter")
    );
    assert!(first.valid_until.is_some(), "GetSAMLProvider's ValidUntil is reported");
    let in_a_year = OffsetDateTime::now_utc() + Duration::days(365);
    let metadata_until = first.metadata_valid_until.unwrap();
    assert!(
        (metadata_until - in_a_year).abs() < Duration::minutes(5),
        "{metadata_until}"
    );
    assert!(!first.expires_soon);
    assert_eq!(first.ensured().resource, first.arn);

    env.reset();
    let second = aws::ensure_saml_provider(&env.config, "IdentityCenter", &metadata)
        .await
        .unwrap();
    assert_eq!(second.change, Change::Unchanged);
    env.assert_read_only();

    // The IdP rotated its key: new metadata.
    env.reset();
    let rotated = idp.with_rogue_key().unwrap().metadata_xml();
    let third = aws::ensure_saml_provider(&env.config, "IdentityCenter", &rotated)
        .await
        .unwrap();
    let Change::Updated { diff } = &third.change else {
        panic!("expected an update: {:?}", third.change);
    };
    assert_eq!(diff.len(), 1);
    assert_eq!(diff[0].field, "metadata_document");
    assert_ne!(diff[0].before, diff[0].after);
    assert!(
        diff[0]
            .after
            .starts_with(&format!("{} characters", rotated.trim().chars().count())),
        "{diff:?}"
    );
    assert_eq!(aws_common::writes(&env.proxy.counts()), ["iam:UpdateSAMLProvider"]);

    let iam = aws_sdk_iam::Client::new(env.emulator.sdk_config());
    let stored = iam
        .get_saml_provider()
        .saml_provider_arn(&first.arn)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.saml_metadata_document(), Some(rotated.as_str()));
}

#[tokio::test]
async fn metadata_expiring_within_30_days_is_reported() {
    let env = aws_common::env().await;
    let soon = OffsetDateTime::now_utc() + Duration::days(10);
    let idp = SamlIdp::new("https://idp.example.test/metadata")
        .unwrap()
        .with_metadata_valid_until(soon);
    let status = aws::ensure_saml_provider(&env.config, "Expiring", &idp.metadata_xml())
        .await
        .unwrap();
    assert_eq!(status.change, Change::Created);
    assert!(status.expires_soon, "{status:?}");
    let expires = status.expires_at().unwrap();
    assert!((expires - soon).abs() < Duration::seconds(2), "{expires} vs {soon}");
}

#[tokio::test]
async fn short_or_foreign_metadata_is_refused_before_any_call() {
    let env = aws_common::env().await;
    let short = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>"#;
    let e = aws::ensure_saml_provider(&env.config, "Short", short)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            aws::Error::Invalid {
                what: "SAML metadata",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("IAM requires at least 1000"), "{e}");

    let not_metadata = "x".repeat(2_000);
    let e = aws::ensure_saml_provider(&env.config, "Foreign", &not_metadata)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no EntityDescriptor"), "{e}");

    let idp = SamlIdp::new("https://idp.example.test/metadata").unwrap();
    let e = aws::ensure_saml_provider(&env.config, "bad name!", &idp.metadata_xml())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("SAML provider name"), "{e}");
    env.assert_nothing_sent();
}
