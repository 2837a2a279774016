//! The IAM OIDC provider thumbprint against a local TLS server presenting
//! root → intermediate → leaf.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::Router;
use axum::routing::get;
use serde_json::json;
use studio_fed_federation::oidc::{HttpClient, OidcError, oidc_thumbprint, thumbprint_for_issuer};
use studio_fed_testkit::tls::{TlsChain, TlsServer};

fn jwks_router() -> Router {
    Router::new().route("/jwks", get(|| async { axum::Json(json!({"keys": []})) }))
}

#[tokio::test]
async fn thumbprint_is_the_sha1_of_the_last_certificate_sent() {
    let chain = TlsChain::generate(Vec::<String>::new()).unwrap();
    let server = TlsServer::serve(&chain, jwks_router()).await.unwrap();
    let jwks_uri = format!("{}jwks", server.url());
    let thumbprint = oidc_thumbprint(&jwks_uri, Some(chain.root_pem().as_bytes()))
        .await
        .unwrap();
    assert_eq!(thumbprint, chain.expected_thumbprint());
    assert_eq!(thumbprint.len(), 40);
    assert!(thumbprint.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
}

#[tokio::test]
async fn an_untrusted_chain_is_a_tls_error() {
    let chain = TlsChain::generate(Vec::<String>::new()).unwrap();
    let other = TlsChain::generate(Vec::<String>::new()).unwrap();
    let server = TlsServer::serve(&chain, jwks_router()).await.unwrap();
    let jwks_uri = format!("{}jwks", server.url());
    let error = oidc_thumbprint(&jwks_uri, Some(other.root_pem().as_bytes()))
        .await
        .unwrap_err();
    assert!(matches!(error, OidcError::Tls { .. }), "{error:?}");
    // The system roots do not know the test root either.
    let error = oidc_thumbprint(&jwks_uri, None).await.unwrap_err();
    assert!(matches!(error, OidcError::Tls { .. }), "{error:?}");
    // Plain http is refused outright.
    let error = oidc_thumbprint("http://127.0.0.1:1/jwks", None).await.unwrap_err();
    assert!(matches!(error, OidcError::Config(_)), "{error:?}");
}

#[tokio::test]
async fn thumbprint_for_issuer_discovers_the_jwks_host() {
    let chain = TlsChain::generate(Vec::<String>::new()).unwrap();
    // The discovery document must name the server's own URL, known only after binding:
    // serve a router that builds it from the Host header.
    let router = jwks_router().route(
        "/.well-known/openid-configuration",
        get(|headers: axum::http::HeaderMap| async move {
            let host = headers["host"].to_str().unwrap().to_owned();
            let issuer = format!("https://{host}");
            axum::Json(json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }))
        }),
    );
    let server = TlsServer::serve(&chain, router).await.unwrap();
    let issuer = format!("https://{}", server.addr());
    let http = HttpClient::builder().extra_root_pem(chain.root_pem()).build().unwrap();
    let thumbprint = thumbprint_for_issuer(&issuer, &http, Some(chain.root_pem().as_bytes()))
        .await
        .unwrap();
    assert_eq!(thumbprint, chain.expected_thumbprint());
}
