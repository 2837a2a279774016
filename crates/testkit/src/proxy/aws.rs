//! AWS wire protocols as far as the proxy needs them: naming a request's
//! operation, and answering with the errors AWS itself returns.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};

/// How a request is encoded, which decides the shape of an error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Protocol {
    /// awsJson 1.0 / 1.1 (`X-Amz-Target`), with the request's content type.
    Json { content_type: &'static str },
    /// awsQuery (IAM, STS): form body with `Action=`.
    Query,
    /// Anything else (REST protocols): JSON errors with `x-amzn-ErrorType`.
    Other,
}

/// A request's operation: `service:Action` and its protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Operation {
    pub(super) name: String,
    pub(super) protocol: Protocol,
}

/// The service (SigV4 signing name) from `Credential=AK/DATE/REGION/SERVICE/aws4_request`
/// in the Authorization header or `X-Amz-Credential` in the query (presigned).
fn signing_service(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let from_header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or_default().to_owned());
    let from_query = || {
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.into_owned())
    };
    let credential = from_header.or_else(from_query)?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [.., service, "aws4_request"] if !service.is_empty() => Some(service.to_lowercase()),
        _ => None,
    }
}

/// The signing name behind an `X-Amz-Target` prefix, for unsigned requests
/// (e.g. cognito-idp `InitiateAuth`).
fn service_of_target_prefix(prefix: &str) -> String {
    match prefix {
        "SageMaker" => "sagemaker".into(),
        "SWBExternalService" => "sso".into(),
        "AWSIdentityStore" => "identitystore".into(),
        "AWSCognitoIdentityProviderService" => "cognito-idp".into(),
        p if p.starts_with("DynamoDB") => "dynamodb".into(),
        p => p.to_lowercase(),
    }
}

/// The service of an unsigned Query request (only STS has unsigned actions).
fn service_of_unsigned_action(action: &str) -> String {
    match action {
        "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" => "sts".into(),
        _ => "unknown".into(),
    }
}

/// Names a request's operation. The service is the SigV4 signing name in
/// lowercase (so sso-admin is `sso`); the action comes from `X-Amz-Target`
/// (`SageMaker.CreateDomain`), the Query `Action` (body or query string), or
/// else is `METHOD /path`.
pub(super) fn operation(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Operation {
    let service = signing_service(headers, uri);
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let (prefix, action) = target.rsplit_once('.').unwrap_or(("", target));
        let content_type = match headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
            Some(ct) if ct.starts_with("application/x-amz-json-1.0") => "application/x-amz-json-1.0",
            _ => "application/x-amz-json-1.1",
        };
        let service = service.unwrap_or_else(|| service_of_target_prefix(prefix));
        return Operation {
            name: format!("{service}:{action}"),
            protocol: Protocol::Json { content_type },
        };
    }
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let action_in = |input: &[u8]| {
        url::form_urlencoded::parse(input)
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.into_owned())
    };
    let action =
        if is_form { action_in(body) } else { None }.or_else(|| action_in(uri.query().unwrap_or_default().as_bytes()));
    if let Some(action) = action {
        let service = service.unwrap_or_else(|| service_of_unsigned_action(&action));
        return Operation {
            name: format!("{service}:{action}"),
            protocol: Protocol::Query,
        };
    }
    let service = service.unwrap_or_else(|| "unknown".into());
    Operation {
        name: format!("{service}:{method} {}", uri.path()),
        protocol: Protocol::Other,
    }
}

/// An error response; `code` and `message` as AWS sends them.
fn error_response(
    protocol: &Protocol,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Bytes> {
    let (content_type, body) = match protocol {
        Protocol::Json { content_type } => (
            *content_type,
            serde_json::json!({ "__type": code, "message": message }).to_string(),
        ),
        Protocol::Query => {
            let fault = if status.is_server_error() { "Receiver" } else { "Sender" };
            let body = format!(
                "<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>{request_id}</RequestId></ErrorResponse>"
            );
            ("text/xml", body)
        }
        Protocol::Other => (
            "application/json",
            serde_json::json!({ "message": message }).to_string(),
        ),
    };
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if !matches!(protocol, Protocol::Query)
        && let Ok(code) = HeaderValue::from_str(code)
    {
        headers.insert("x-amzn-errortype", code);
    }
    response
}

/// What AWS answers when it throttles: awsJson `ThrottlingException` (400),
/// awsQuery `Throttling` (400), REST `ThrottlingException` (429). All are in
/// the SDK's list of throttling error codes.
pub(super) fn throttling(protocol: &Protocol, request_id: &str) -> Response<Bytes> {
    match protocol {
        Protocol::Json { .. } => error_response(
            protocol,
            StatusCode::BAD_REQUEST,
            "ThrottlingException",
            "Rate exceeded",
            request_id,
        ),
        Protocol::Query => error_response(
            protocol,
            StatusCode::BAD_REQUEST,
            "Throttling",
            "Rate exceeded",
            request_id,
        ),
        Protocol::Other => error_response(
            protocol,
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Rate exceeded",
            request_id,
        ),
    }
}

/// HTTP 500 `InternalFailure`, shaped for the protocol.
pub(super) fn internal_failure(protocol: &Protocol, request_id: &str) -> Response<Bytes> {
    let message = "The request processing has failed because of an unknown error, exception or failure.";
    error_response(
        protocol,
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalFailure",
        message,
        request_id,
    )
}
