//! Helpers shared by the `oidc_*` integration tests (not a test itself).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;
use studio_fed_federation::oidc::{HttpClient, IdTokenValidator, IdTokenValidatorBuilder, OidcError};
use studio_fed_testkit::oidc_op::{MintOptions, OidcProvider, SigningAlg};
use time::OffsetDateTime;

/// A clock the test can move: system time plus an offset in seconds.
#[derive(Clone, Default)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.0.load(Ordering::SeqCst))
    }
}

pub async fn start_op(alg: SigningAlg) -> OidcProvider {
    OidcProvider::builder().signing_alg(alg).start().await.unwrap()
}

pub fn http() -> HttpClient {
    HttpClient::new().unwrap()
}

/// A validator for the OP's first client, with `configure` applied to the builder.
pub async fn validator_with(
    op: &OidcProvider,
    configure: impl FnOnce(IdTokenValidatorBuilder) -> IdTokenValidatorBuilder,
) -> IdTokenValidator {
    let builder = IdTokenValidator::builder(op.issuer(), op.client_id());
    configure(builder).discover(&http()).await.unwrap()
}

pub async fn validator(op: &OidcProvider) -> IdTokenValidator {
    validator_with(op, |b| b).await
}

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Valid claims for `nonce`, edited by `edit`, minted with `options`.
pub fn mint(
    op: &OidcProvider,
    nonce: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
    options: MintOptions,
) -> String {
    let mut claims = op.id_token_claims(nonce);
    edit(claims.as_object_mut().unwrap());
    op.mint_id_token(claims, options).unwrap()
}

/// Validates `token` (nonce `nonce`, no access token) and returns the error, failing if it was accepted.
pub async fn refused(validator: &IdTokenValidator, token: &str, nonce: &str) -> OidcError {
    match validator.validate(token, nonce, None).await {
        Ok(accepted) => panic!("the token was accepted: {accepted:?}"),
        Err(error) => {
            // Messages never contain the token.
            assert!(
                token.len() < 16 || !error.to_string().contains(token),
                "the error message contains the token"
            );
            error
        }
    }
}

/// GETs a URL without following redirects and returns the `Location` header's query string.
pub async fn follow_authorize(url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 302, "authorize should redirect");
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location.query().unwrap_or_default().to_owned()
}
