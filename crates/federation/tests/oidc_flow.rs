//! The relying party's authorization-code + PKCE login through `LoginFlow`
//! against the testkit OpenID Provider, its callback refusals, and key
//! rotation picked up without restarting the validator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod oidc_support;

use std::sync::Arc;

use oidc_support::*;
use studio_fed_federation::oidc::{LoginFlow, OidcError, PendingLogin};
use studio_fed_testkit::oidc_op::{MintOptions, OidcProvider, SigningAlg, User};

async fn flow_for(op: &OidcProvider) -> LoginFlow {
    let validator = Arc::new(validator(op).await);
    LoginFlow::new(validator, http(), op.client_secret())
}

async fn full_login(alg: SigningAlg) {
    let op = OidcProvider::builder()
        .signing_alg(alg)
        .user(User::new("bob").email("bob@example.test").groups(["admins", "ml"]))
        .start()
        .await
        .unwrap();
    let flow = flow_for(&op).await;
    let (url, pending) = flow.begin(&op.redirect_uri(), &["email", "profile"]).unwrap();
    assert!(url.as_str().starts_with(&op.authorization_endpoint()));
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let has = |k: &str, v: &str| query.iter().any(|(a, b)| a == k && b == v);
    assert!(has("response_type", "code") && has("code_challenge_method", "S256"));
    assert!(has("state", &pending.state) && has("nonce", &pending.nonce));

    // The pending login survives a round trip through a cookie.
    let stored = serde_json::to_string(&pending).unwrap();
    let pending: PendingLogin = serde_json::from_str(&stored).unwrap();
    assert!(!format!("{pending:?}").contains(&pending.pkce_verifier));

    let callback = follow_authorize(url.as_str()).await;
    let login = flow.complete(&pending, &callback).await.unwrap();
    assert_eq!(login.id_token.subject, "bob");
    assert_eq!(login.id_token.email.as_deref(), Some("bob@example.test"));
    assert_eq!(login.id_token.groups, vec!["admins".to_owned(), "ml".to_owned()]);
    assert!(
        login.id_token.claim("at_hash").is_some(),
        "the OP sends at_hash, which was checked"
    );
    assert!(!login.access_token.is_empty());

    // The same callback again: the code is single-use at the OP.
    let again = flow.complete(&pending, &callback).await.unwrap_err();
    assert!(matches!(again, OidcError::TokenExchange(_)), "{again:?}");
}

#[tokio::test]
async fn full_code_pkce_login_with_rs256() {
    full_login(SigningAlg::Rs256).await;
}

#[tokio::test]
async fn full_code_pkce_login_with_es256() {
    full_login(SigningAlg::Es256).await;
}

#[tokio::test]
async fn a_callback_with_another_state_is_rejected_before_redeeming_the_code() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    let (url, pending) = flow.begin(&op.redirect_uri(), &[]).unwrap();
    let callback = follow_authorize(url.as_str()).await;
    let mut other = pending.clone();
    other.state = "state-of-another-browser".into();
    let tokens_before = op.request_counts().token;
    assert_eq!(
        flow.complete(&other, &callback).await.unwrap_err(),
        OidcError::StateMismatch
    );
    assert_eq!(
        op.request_counts().token,
        tokens_before,
        "the code must not be redeemed"
    );
    // A callback without state.
    let code_only: Vec<&str> = callback.split('&').filter(|p| !p.starts_with("state=")).collect();
    assert_eq!(
        flow.complete(&pending, &code_only.join("&")).await.unwrap_err(),
        OidcError::MissingState
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_rejected_by_the_token_endpoint() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    let (url, pending) = flow.begin(&op.redirect_uri(), &[]).unwrap();
    let callback = follow_authorize(url.as_str()).await;
    let mut swapped = pending.clone();
    swapped.pkce_verifier = "a-different-verifier-of-at-least-43-characters-long".into();
    let error = flow.complete(&swapped, &callback).await.unwrap_err();
    assert!(matches!(error, OidcError::PkceVerifierMismatch(_)), "{error:?}");
    assert!(!error.to_string().contains(&swapped.pkce_verifier));
}

#[tokio::test]
async fn an_oauth_error_response_is_reported() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    op.log_out();
    let (url, pending) = flow.begin(&op.redirect_uri(), &[]).unwrap();
    let callback = follow_authorize(url.as_str()).await;
    let error = flow.complete(&pending, &callback).await.unwrap_err();
    assert!(
        matches!(&error, OidcError::AuthorizationDenied { error, .. } if error == "login_required"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_callback_iss_of_another_issuer_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    let (_, pending) = flow.begin(&op.redirect_uri(), &[]).unwrap();
    let query = format!("code=abc&state={}&iss=https%3A%2F%2Fevil.example.test", pending.state);
    assert!(matches!(
        flow.complete(&pending, &query).await.unwrap_err(),
        OidcError::CallbackIssuerMismatch(_)
    ));
}

#[tokio::test]
async fn key_rotation_is_picked_up_with_one_jwks_refresh() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    let old_kid = op.signing_kid();
    op.rotate_keys().unwrap();
    op.retire_old_keys();
    assert_ne!(op.signing_kid(), old_kid);
    let jwks_before = op.request_counts().jwks;

    let (url, pending) = flow.begin(&op.redirect_uri(), &[]).unwrap();
    let callback = follow_authorize(url.as_str()).await;
    let login = flow.complete(&pending, &callback).await.unwrap();
    assert_eq!(login.id_token.subject, "alice");
    assert_eq!(op.request_counts().jwks, jwks_before + 1, "one refresh for the new kid");

    // Further tokens with the new key need no refresh.
    let token = mint(&op, "after-rotation", |_| {}, MintOptions::new());
    flow.validator().validate(&token, "after-rotation", None).await.unwrap();
    assert_eq!(op.request_counts().jwks, jwks_before + 1);
}
