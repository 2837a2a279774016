//! The relying party's authorization-code + PKCE login through `LoginFlow`
//! against the testkit OpenID Provider, its callback refusals, and key
//! rotation picked up without restarting the validator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod oidc_support;

use std::sync::Arc;

use oidc_support::*;
use serde_json::json;
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

/// One login through `flow` whose token response carries whatever `op` has been told to send.
async fn login(flow: &LoginFlow, op: &OidcProvider) -> Result<studio_fed_federation::oidc::Login, OidcError> {
    let (url, pending) = flow.begin(&op.redirect_uri(), &["email"]).unwrap();
    let callback = follow_authorize(url.as_str()).await;
    flow.complete(&pending, &callback).await
}

#[tokio::test]
async fn a_tampered_id_token_in_the_token_response_is_refused() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    op.tamper_next_id_token(|_| {}, MintOptions::new().alg_none());
    op.tamper_next_id_token(
        |claims| {
            claims.insert("aud".into(), serde_json::json!("another-app"));
        },
        MintOptions::new(),
    );
    assert_eq!(op.pending_tampering(), 2);
    let error = login(&flow, &op).await.unwrap_err();
    assert_eq!(error, OidcError::UnsignedToken);
    assert_eq!(error.code(), "unsigned_token");
    let error = login(&flow, &op).await.unwrap_err();
    assert!(matches!(error, OidcError::WrongAudience { .. }), "{error:?}");
    // The queue is used up: the next login is genuine.
    assert_eq!(op.pending_tampering(), 0);
    assert_eq!(login(&flow, &op).await.unwrap().id_token.subject, "alice");
    // An edit that keeps the claims valid is accepted (the OP's nonce and at_hash are kept).
    op.tamper_next_id_token(
        |claims| {
            claims.insert("name".into(), serde_json::json!("Edited Name"));
        },
        MintOptions::new().alg(SigningAlg::Es256),
    );
    let login_ok = login(&flow, &op).await.unwrap();
    assert_eq!(login_ok.id_token.name.as_deref(), Some("Edited Name"));
    // clear_tampering drops what is queued.
    op.tamper_next_id_token(|_| {}, MintOptions::new().alg_none());
    op.clear_tampering();
    login(&flow, &op).await.unwrap();
}

#[tokio::test]
async fn an_access_or_logout_token_in_the_id_token_field_is_refused() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    op.access_token_as_next_id_token();
    assert_eq!(
        login(&flow, &op).await.unwrap_err(),
        OidcError::WrongTokenType("at+jwt".into())
    );
    let mut claims = op.id_token_claims("unused");
    studio_fed_testkit::oidc_op::threats::logout_token_claims(claims.as_object_mut().unwrap());
    let logout = op.mint_id_token(claims, MintOptions::new().typ("logout+jwt")).unwrap();
    op.next_id_token_verbatim(logout);
    assert_eq!(
        login(&flow, &op).await.unwrap_err(),
        OidcError::WrongTokenType("logout+jwt".into())
    );
}

/// Every entry of the testkit's ID-token threat catalog, through the whole login (authorize,
/// callback, code exchange): refused with the entry's code. Reports every failing entry by name.
#[tokio::test]
async fn every_id_token_threat_is_refused_through_the_login_flow() {
    let op = start_op(SigningAlg::Rs256).await;
    let flow = flow_for(&op).await;
    let mut failures = Vec::new();
    for threat in studio_fed_testkit::oidc_op::threats::catalog() {
        threat.arm(&op);
        let expected = threat.expected_code;
        match login(&flow, &op).await {
            Ok(_) => failures.push(format!("{}: accepted", threat.name)),
            Err(error) if error.code() != expected => failures.push(format!(
                "{}: {} ({error}), expected {expected}",
                threat.name,
                error.code(),
            )),
            Err(_) => {}
        }
        assert_eq!(
            op.pending_tampering(),
            0,
            "{}: the forged token was not used",
            threat.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn userinfo_is_read_only_about_the_id_tokens_subject() {
    let op = start_op(SigningAlg::Rs256).await;
    op.set_user(User::new("alice").groups(["vision"]));
    let flow = flow_for(&op).await;
    let signed_in = login(&flow, &op).await.unwrap();
    let claims = flow.userinfo(&signed_in).await.unwrap();
    assert_eq!(
        (&claims["sub"], &claims["groups"]),
        (&json!("alice"), &json!(["vision"]))
    );

    // An ID token about another subject than the access token's user: UserInfo is refused.
    op.tamper_next_id_token(
        |claims| {
            claims.insert("sub".into(), json!("mallory"));
        },
        MintOptions::new(),
    );
    let mismatched = login(&flow, &op).await.unwrap();
    assert_eq!(mismatched.id_token.subject, "mallory");
    let error = flow.userinfo(&mismatched).await.unwrap_err();
    assert_eq!(error.code(), "userinfo_refused", "{error}");
}
