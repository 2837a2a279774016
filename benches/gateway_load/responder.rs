//! A fast local stand-in for the SageMaker API (awsJson1_1 over HTTP): answers the three calls a
//! login makes, without the emulator's Python overhead, so the load measures the gateway.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Serves on 127.0.0.1 and returns the endpoint URL.
pub async fn start(domain: &'static str, team: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the responder");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: String| async move { answer(&headers, &body, domain, team) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.expect("responder") });
    url
}

fn answer(headers: &HeaderMap, body: &str, domain: &str, team: &str) -> axum::response::Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let request: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let profile = request["UserProfileName"].as_str().unwrap_or("unknown");
    let arn = format!("arn:aws:sagemaker:eu-west-1:123456789012:user-profile/{domain}/{profile}");
    let (status, body) = match target {
        "SageMaker.DescribeUserProfile" => (
            StatusCode::OK,
            json!({"DomainId": domain, "UserProfileArn": arn, "UserProfileName": profile, "Status": "InService"}),
        ),
        "SageMaker.ListTags" => (
            StatusCode::OK,
            json!({"Tags": [{"Key": "studio-fed:team", "Value": team}]}),
        ),
        "SageMaker.CreatePresignedDomainUrl" => (
            StatusCode::OK,
            json!({"AuthorizedUrl": format!("https://{domain}.studio.eu-west-1.sagemaker.aws/auth?token=bench")}),
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            json!({"__type": "UnknownOperationException", "message": target}),
        ),
    };
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}
