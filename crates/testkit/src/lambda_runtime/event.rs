//! The events a function behind API Gateway's HTTP API or a Lambda function URL receives, both in
//! payload format 2.0 (shaped like AWS's documented samples).

use base64::Engine as _;
use serde_json::{Value, json};

/// What invokes the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// An API Gateway HTTP API, `$default` route and stage, on its execute-api URL.
    HttpApi,
    /// A Lambda function URL (`<url-id>.lambda-url.<region>.on.aws`, no stage).
    FunctionUrl,
}

/// A `POST path` of the `application/x-www-form-urlencoded` body `form` from `source_ip`, as
/// `front` hands it to the function: the body base64-encoded, as both do.
pub fn form_post(front: Front, region: &str, path: &str, form: &str, source_ip: &str) -> Value {
    let (prefix, domain_name, account) = match front {
        Front::HttpApi => (
            "a1b2c3d4e5",
            format!("a1b2c3d4e5.execute-api.{region}.amazonaws.com"),
            "123456789012",
        ),
        Front::FunctionUrl => (
            "abcdefghijklmnopqrstuvwxyz012345",
            format!("abcdefghijklmnopqrstuvwxyz012345.lambda-url.{region}.on.aws"),
            "anonymous",
        ),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": form.len().to_string(),
            "host": domain_name,
            "user-agent": "Mozilla/5.0",
            "x-amzn-trace-id": "Root=1-6755d2ff-1de4d666d4dd26aced652b6c",
            "x-forwarded-for": source_ip,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": account,
            "apiId": prefix,
            "domainName": domain_name,
            "domainPrefix": prefix,
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "Mozilla/5.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "07/Dec/2026:23:59:59 +0000",
            "timeEpoch": 1_796_687_999_000_i64
        },
        "body": base64::engine::general_purpose::STANDARD.encode(form),
        "isBase64Encoded": true
    });
    if front == Front::FunctionUrl
        && let Some(context) = event["requestContext"].as_object_mut()
    {
        context.remove("stage");
    }
    event
}
