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
    let service = tower::ServiceBuilder::new().map_request(with_peer).service(app);
    lambda_http::run(service).await.map_err(|e| Error::Lambda(e.to_string()))
}

/// Handles one API Gateway request, as [`run`] does for each invocation.
pub async fn handle(gateway: &Gateway, request: Request) -> Response {
    let Ok(response) = router(gateway.clone()).oneshot(with_peer(request)).await;
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
