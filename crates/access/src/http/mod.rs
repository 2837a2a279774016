//! The gateway's HTTP interface, the same for the server and for AWS Lambda.
//!
//! | route | what |
//! |---|---|
//! | `GET /saml/login` | starts an SP-initiated SAML login (AuthnRequest, HTTP-Redirect binding) |
//! | `POST /saml/acs` | the Assertion Consumer Service (HTTP-POST binding) |
//! | `GET /saml/metadata` | the SP metadata (outside the network and rate rules: IdPs fetch it) |
//! | `GET /oidc/login` | starts an authorization-code + PKCE login |
//! | `GET /oidc/callback` | completes it |
//! | `GET /healthz` | liveness (outside the network and rate rules) |
//!
//! Every login route first resolves the client address ([`NetworkRules`](crate::network::NetworkRules)),
//! applies the per-address rate limit and the allowed networks, and runs under the request
//! timeout. A successful login answers `303 See Other` to the presigned URL; a refusal answers its
//! status with the code in `X-Studio-Fed-Error` and a short page saying what was wrong.

mod oidc;
mod saml;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderValue, StatusCode, header};

use crate::markup::escape;
use crate::{Gateway, Login, Refusal};

/// The header carrying a refusal's [`code`](Refusal::code).
pub const ERROR_HEADER: &str = "x-studio-fed-error";

/// The address of the peer that sent the request, inserted by the server or the Lambda adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

/// The client address after the network rules, available to handlers.
#[derive(Debug, Clone, Copy)]
struct ClientIp(IpAddr);

/// The gateway's router. The server must provide the peer address (`ConnectInfo<SocketAddr>` or
/// [`PeerAddr`] in the request extensions); without it every login is refused.
pub fn router(gateway: Gateway) -> Router {
    let limits = &gateway.config().limits;
    let timeout = Duration::from_secs(limits.request_timeout_seconds);
    let logins = Router::new()
        .route("/saml/login", get(saml::login))
        .route("/saml/acs", post(saml::acs))
        .route("/oidc/login", get(oidc::login))
        .route("/oidc/callback", get(oidc::callback))
        .route_layer(middleware::from_fn_with_state(gateway.clone(), admit_client))
        .route_layer(middleware::from_fn_with_state(timeout, time_limit));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/saml/metadata", get(saml::metadata))
        .merge(logins)
        .with_state(gateway)
}

/// Resolves the client address, then applies the rate limit and the allowed networks.
async fn admit_client(State(gateway): State<Gateway>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<PeerAddr>()
        .map(|p| p.0)
        .or_else(|| request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()));
    let endpoint = endpoint(request.uri().path());
    let Some(peer) = peer else {
        let refusal = Refusal::BadRequest("the server did not provide the client address".into());
        gateway.audit_refusal(endpoint, None, &refusal);
        return refusal_response(&refusal);
    };
    let inner = &gateway.inner;
    let admitted = match inner.network.client_ip(peer, request.headers()) {
        Err(refusal) => Err((peer, refusal)),
        Ok(ip) if !inner.limiter.allow(ip) => Err((ip, Refusal::RateLimited { ip })),
        Ok(ip) => inner.network.check(ip).map(|()| ip).map_err(|refusal| (ip, refusal)),
    };
    match admitted {
        Ok(ip) => {
            request.extensions_mut().insert(ClientIp(ip));
            next.run(request).await
        }
        Err((ip, refusal)) => {
            gateway.audit_refusal(endpoint, Some(ip), &refusal);
            refusal_response(&refusal)
        }
    }
}

async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => refusal_response(&Refusal::Timeout {
            seconds: limit.as_secs(),
        }),
    }
}

fn endpoint(path: &str) -> &'static str {
    match path {
        p if p.starts_with("/saml/") => "saml",
        p if p.starts_with("/oidc/") => "oidc",
        _ => "http",
    }
}

/// `303 See Other` to the presigned URL, never cached or sent as a referrer.
fn redirect(login: &Login, extra_cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, login.url.as_str())]).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Some(cookie) = extra_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

/// The login method is not configured on this gateway.
fn not_enabled(gateway: &Gateway, method: &'static str, ip: IpAddr) -> Response {
    let refusal = Refusal::BadRequest(format!(
        "{} login is not enabled on this gateway",
        method.to_uppercase()
    ));
    gateway.audit_refusal(method, Some(ip), &refusal);
    refusal_response(&refusal)
}

/// `303 See Other` to the identity provider, setting the pending-login cookie; or the refusal.
fn to_identity_provider(
    gateway: &Gateway,
    method: &'static str,
    ip: IpAddr,
    started: Result<(url::Url, String), Refusal>,
) -> Response {
    match started {
        Ok((url, cookie)) => {
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, url.as_str())]).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(cookie) = HeaderValue::from_str(&cookie) {
                headers.insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(refusal) => {
            gateway.audit_refusal(method, Some(ip), &refusal);
            refusal_response(&refusal)
        }
    }
}

/// Every `Cookie` header, joined (HTTP/2 may send one per cookie).
fn cookie_header(headers: &http::HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join("; "))
}

/// The refusal's status, its code in [`ERROR_HEADER`], and a short page with the message.
pub(crate) fn refusal_response(refusal: &Refusal) -> Response {
    let code = refusal.code();
    let message = escape(&refusal.to_string());
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Login refused</title></head>\
         <body><h1>Studio login refused</h1><p>{message}</p><p>Code: <code>{code}</code></p></body></html>\n"
    );
    let mut response = (
        refusal.status(),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&code) {
        headers.insert(ERROR_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt as _;

    #[tokio::test]
    async fn a_request_over_the_time_limit_is_answered_504() {
        let app = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route_layer(middleware::from_fn_with_state(Duration::from_millis(50), time_limit));
        let request = http::Request::get("/slow").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(response.headers()[ERROR_HEADER], "timeout");
    }

    #[tokio::test]
    async fn refusal_pages_escape_the_message() {
        let refusal = Refusal::BadRequest("<script>alert(1)</script>".into());
        let response = refusal_response(&refusal);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[ERROR_HEADER], "bad_request");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("&lt;script&gt;") && !body.contains("<script>"), "{body}");
    }
}
