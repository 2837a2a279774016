//! The gateway on AWS Lambda behind API Gateway (REST API, v1 events, or HTTP API, v2 events):
//! the same router as the server, with the client address taken from the event's request context
//! (`requestContext.identity.sourceIp` or `requestContext.http.sourceIp`), which API Gateway sets
//! from the connection and a client cannot forge.

use std::net::IpAddr;

use axum::response::Response;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt as _};
use tower::ServiceExt as _;

use crate::http::{PeerAddr, router};
use crate::{Error, Gateway};

/// Runs the Lambda runtime loop serving `gateway`. Call it from the function's `main`.
pub async fn run(gateway: Gateway) -> Result<(), Error> {
    let app = router(gateway);
    let service = tower::ServiceBuilder::new()
        .map_request(|request| without_stage(with_peer(request)))
        .service(app);
    lambda_http::run(service)
        .await
        .map_err(|e| Error::Lambda(e.to_string()))
}

/// Handles one API Gateway request, as [`run`] does for each invocation.
pub async fn handle(gateway: &Gateway, request: Request) -> Response {
    let Ok(response) = router(gateway.clone()).oneshot(without_stage(with_peer(request))).await;
    response
}

/// Inserts the event's source IP as the peer address.
fn with_peer(mut request: Request) -> Request {
    let source_ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.source_ip.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source_ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        request.extensions_mut().insert(PeerAddr(ip));
    }
    request
}

/// Removes the API Gateway stage from the path: `lambda_http` puts a named stage (every REST API
/// stage; an HTTP API stage other than `$default`) in front of the path, `/prod/saml/acs`, while
/// the routes are `/saml/acs`.
fn without_stage(mut request: Request) -> Request {
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        _ => None,
    };
    let uri = request.uri();
    let path = stage.filter(|stage| stage != "$default").and_then(|stage| {
        let rest = uri.path().strip_prefix(&format!("/{stage}"))?;
        rest.starts_with('/').then(|| rest.to_owned())
    });
    if let Some(path) = path {
        let path_and_query = match uri.query() {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = path_and_query.parse().ok();
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}
