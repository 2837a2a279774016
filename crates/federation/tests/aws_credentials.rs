//! `WebIdentityCredentials` and `assume_role_with_saml` against the local AWS emulator, with
//! real tokens from the testkit OIDC provider and real responses from the testkit SAML IdP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod aws_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use studio_fed_federation::aws::{self, OidcProviderSpec, RolePermissions, TokenSource, WebIdentityCredentials};
use studio_fed_policy::build::OidcTrust;
use studio_fed_testkit::emulator::ACCOUNT_ID;
use studio_fed_testkit::oidc_op::{MintOptions, OidcProvider};
use studio_fed_testkit::saml_idp::SamlIdp;

/// A web identity role (moto does not check the trust policy or the token's signature, but
/// the role exists as it would in AWS).
async fn web_identity_role(config: &aws_config::SdkConfig) -> String {
    let issuer = "https://login.example.com";
    let provider = aws::ensure_oidc_provider(
        config,
        &OidcProviderSpec::new(issuer, ["studio-fed"]).with_thumbprints(["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]),
    )
    .await
    .unwrap()
    .resource;
    let trust = OidcTrust::new(provider, issuer).with_client_id("studio-fed");
    aws::ensure_web_identity_role(config, "ml-web", &trust, RolePermissions::new())
        .await
        .unwrap()
        .resource
}

#[tokio::test]
async fn an_id_token_becomes_credentials_an_sdk_client_uses() {
    let env = aws_common::env().await;
    let role_arn = web_identity_role(env.emulator.sdk_config()).await;
    let op = OidcProvider::start().await.unwrap();
    let token = op.mint_id_token(op.id_token_claims("n"), MintOptions::new()).unwrap();

    let provider = WebIdentityCredentials::builder(&env.config, &role_arn, TokenSource::Fixed(token))
        .session_name("alice")
        .build();
    let config = env
        .emulator
        .sdk_config()
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider.clone()))
        .build();
    let sts = aws_sdk_sts::Client::new(&config);
    let identity = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/ml-web/alice").as_str())
    );
    assert_eq!(env.proxy.counts().received("sts:AssumeRoleWithWebIdentity"), 1);

    // Further calls reuse the cached credentials.
    let iam = aws_sdk_iam::Client::new(&config);
    iam.list_roles().send().await.unwrap();
    provider.provide_credentials().await.unwrap();
    assert_eq!(env.proxy.counts().received("sts:AssumeRoleWithWebIdentity"), 1);
}

#[tokio::test]
async fn credentials_are_refreshed_five_minutes_before_they_expire() {
    let env = aws_common::env().await;
    let role_arn = web_identity_role(env.emulator.sdk_config()).await;
    let op = Arc::new(OidcProvider::start().await.unwrap());
    let minted = Arc::new(AtomicUsize::new(0));
    let source = {
        let (op, minted) = (op.clone(), minted.clone());
        TokenSource::function(move || {
            minted.fetch_add(1, Ordering::SeqCst);
            Ok(op.mint_id_token(op.id_token_claims("n"), MintOptions::new())?)
        })
    };
    let now = Arc::new(Mutex::new(SystemTime::now()));
    let clock = {
        let now = now.clone();
        Arc::new(move || *now.lock().unwrap())
    };
    let provider = WebIdentityCredentials::builder(&env.config, &role_arn, source)
        .duration(Duration::from_secs(900))
        .clock(clock)
        .build();

    let first = provider.credentials().await.unwrap();
    let expiry = first.expiry().unwrap();
    let lifetime = expiry.duration_since(SystemTime::now()).unwrap();
    assert!(
        lifetime <= Duration::from_secs(900) && lifetime > Duration::from_secs(880),
        "{lifetime:?}"
    );
    assert_eq!(minted.load(Ordering::SeqCst), 1);

    *now.lock().unwrap() += Duration::from_secs(9 * 60);
    let cached = provider.credentials().await.unwrap();
    assert_eq!(cached.access_key_id(), first.access_key_id());
    assert_eq!(minted.load(Ordering::SeqCst), 1, "6 minutes left: still cached");

    *now.lock().unwrap() += Duration::from_secs(2 * 60);
    let refreshed = provider.credentials().await.unwrap();
    assert_eq!(minted.load(Ordering::SeqCst), 2, "4 minutes left: refreshed");
    assert_ne!(refreshed.access_key_id(), first.access_key_id());
    assert_eq!(env.proxy.counts().received("sts:AssumeRoleWithWebIdentity"), 2);
}

#[tokio::test]
async fn token_source_failures_and_bad_durations_are_reported() {
    let env = aws_common::env().await;
    let role_arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/ml-web");
    let failing = WebIdentityCredentials::builder(
        &env.config,
        &role_arn,
        TokenSource::function(|| Err("token file missing".into())),
    )
    .build();
    let e = failing.credentials().await.unwrap_err();
    assert!(
        e.to_string().contains("the ID token source failed: token file missing"),
        "{e}"
    );
    let short = WebIdentityCredentials::builder(&env.config, &role_arn, TokenSource::Fixed("t".into()))
        .duration(Duration::from_secs(60))
        .build();
    let e = short.credentials().await.unwrap_err();
    assert!(e.to_string().contains("STS accepts 900 to 43200 seconds"), "{e}");
    env.assert_nothing_sent();
}

#[tokio::test]
async fn a_saml_response_becomes_credentials() {
    let env = aws_common::env().await;
    let idp = SamlIdp::new("https://idp.example.test/metadata").unwrap();
    let provider = aws::ensure_saml_provider(&env.config, "IdentityCenter", &idp.metadata_xml())
        .await
        .unwrap()
        .arn;
    let role = aws::ensure_saml_role(&env.config, "ml-saml", &provider, None, RolePermissions::new())
        .await
        .unwrap()
        .resource;
    let response = idp
        .response()
        .destination("https://signin.aws.amazon.com/saml")
        .audience("urn:amazon:webservices")
        .name_id("alice")
        .attribute(
            "https://aws.amazon.com/SAML/Attributes/Role",
            [format!("{role},{provider}")],
        )
        .attribute("https://aws.amazon.com/SAML/Attributes/RoleSessionName", ["alice"])
        .build()
        .unwrap()
        .base64();

    let credentials = aws::assume_role_with_saml(&env.config, &role, &provider, &response, None)
        .await
        .unwrap();
    assert!(credentials.session_token().is_some());
    assert!(credentials.expiry().unwrap() > SystemTime::now());
    let config = env
        .emulator
        .sdk_config()
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/ml-saml/alice").as_str())
    );

    let e = aws::assume_role_with_saml(&env.config, &role, &provider, "<samlp:Response/>", None)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("expected the base64-encoded SAMLResponse"),
        "{e}"
    );
}
