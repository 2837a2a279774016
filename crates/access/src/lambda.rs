//! The gateway on AWS Lambda behind API Gateway (REST API, v1 events, or HTTP API, v2 events):
//! the same router as the server, with the client address taken from the event's request context
//! (`requestContext.identity.sourceIp` or `requestContext.http.sourceIp`), which API Gateway sets
//! from the connection and a client cannot forge.
//!
//! - [`package`]: the function's deployment package (`studio-fed gateway package`);
//! - [`binary`]: whether an executable can be its bootstrap on `provided.al2023`;
//! - [`bootstrap`]: how that bootstrap finds its configuration and reports a failed start.

pub mod binary;
pub mod bootstrap;
pub mod package;

use std::net::IpAddr;

use axum::response::Response;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt as _};
use tower::ServiceExt as _;

use crate::http::{PeerAddr, router};
use crate::{Error, Gateway};

/// Runs the Lambda runtime loop serving `gateway`. Call it from the function's `main`.
pub async fn run(gateway: Gateway) -> Result<(), Error> {
    let app = router(gateway);
    let service = tower::ServiceBuilder::new()
        .map_request(|request| routed(with_peer(request)))
        .service(app);
    lambda_http::run(service)
        .await
        .map_err(|e| Error::Lambda(e.to_string()))
}

/// Handles one API Gateway request, as [`run`] does for each invocation.
pub async fn handle(gateway: &Gateway, request: Request) -> Response {
    let Ok(response) = router(gateway.clone()).oneshot(routed(with_peer(request))).await;
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

/// Routes the request on the path API Gateway matched, without the stage or a custom domain's base
/// path; `lambda_http` leaves a named stage in front of the path (`/prod/saml/acs`), and a custom
/// domain's base path stays in it (`/sso/saml/acs`), while the routes are `/saml/acs`.
fn routed(mut request: Request) -> Request {
    let Some(path) = route_path(&request) else {
        return request;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
    request
}

/// The route of an API Gateway request. A route with a template (a REST API resource such as
/// `/{proxy+}`, an HTTP API route key such as `ANY /{proxy+}`) is its template with the event's
/// path parameters filled in, whatever the stage or base path. Without a template (an HTTP API's
/// `$default` route) it is the event's path without a named stage in front, which is there on the
/// execute-api URL; behind a custom domain with an API mapping key, use a `/{proxy+}` route.
fn route_path(request: &Request) -> Option<String> {
    let (template, stage) = match request.request_context_ref()? {
        // A REST API's `path` never holds the stage.
        RequestContext::ApiGatewayV1(context) => (context.resource_path.as_deref(), None),
        RequestContext::ApiGatewayV2(context) => (
            context
                .route_key
                .as_deref()
                .and_then(|key| key.split_once(' '))
                .map(|(_method, template)| template),
            context.stage.as_deref(),
        ),
        _ => return None,
    };
    match template {
        Some(template) => fill(template, &request.path_parameters()),
        None => Some(without_stage(request.raw_http_path(), stage).to_owned()),
    }
}

/// `path` without a named `stage` in front: `/prod/saml/acs` is `/saml/acs` on stage `prod`.
fn without_stage<'a>(path: &'a str, stage: Option<&str>) -> &'a str {
    let rest = stage
        .filter(|stage| *stage != "$default")
        .and_then(|stage| path.strip_prefix('/')?.strip_prefix(stage));
    match rest {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// A route template (`/saml/{step}`, `/{proxy+}`) with its parameters filled in; `None` when one
/// is missing.
fn fill(template: &str, parameters: &QueryMap) -> Option<String> {
    let segments = template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => parameters.first(name.trim_end_matches('+')),
                None => Some(segment),
            },
        )
        .collect::<Option<Vec<_>>>()?;
    Some(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_stage_is_removed_from_the_front_of_the_path_only() {
        assert_eq!(without_stage("/prod/saml/acs", Some("prod")), "/saml/acs");
        assert_eq!(without_stage("/prod", Some("prod")), "/");
        assert_eq!(without_stage("/saml/saml/acs", Some("saml")), "/saml/acs");
        // A path without the stage (a custom domain), a longer first segment, the default stage.
        assert_eq!(without_stage("/saml/acs", Some("prod")), "/saml/acs");
        assert_eq!(
            without_stage("/production/saml/acs", Some("prod")),
            "/production/saml/acs"
        );
        assert_eq!(
            without_stage("/$default/saml/acs", Some("$default")),
            "/$default/saml/acs"
        );
        assert_eq!(without_stage("/saml/acs", None), "/saml/acs");
    }
}
