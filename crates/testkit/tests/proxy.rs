//! The fault-injection proxy against a small local upstream: faithful
//! forwarding, exact per-operation counts, AWS-shaped faults, determinism,
//! dropped connections, live plan changes and shutdown on drop.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{AppendHeaders, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use studio_fed_testkit::proxy::{FaultPlan, FaultProxy, OperationCounts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An upstream that echoes what it received as JSON and counts requests.
struct Upstream {
    url: url::Url,
    hits: Arc<AtomicUsize>,
}

async fn echo(
    State(hits): State<Arc<AtomicUsize>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    let status = headers
        .get("x-reply-status")
        .and_then(|v| v.to_str().ok()?.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let header_json: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or("<binary>"))))
        .collect();
    let echoed = json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": header_json,
        "body": STANDARD.encode(&body),
    });
    let headers = AppendHeaders([
        ("x-upstream", "yes"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("content-type", "application/json"),
    ]);
    (status, headers, echoed.to_string()).into_response()
}

async fn upstream() -> Upstream {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new().fallback(echo).with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Upstream { url, hits }
}

fn sigv4(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/{service}/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef"
    )
}

/// An awsJson 1.1 request as the SDK sends it.
fn json_request(client: &reqwest::Client, proxy: &FaultProxy, service: &str, target: &str) -> reqwest::RequestBuilder {
    json_request_as(client, proxy, service, target, "application/x-amz-json-1.1")
}

/// An awsJson request with the given content type.
fn json_request_as(
    client: &reqwest::Client,
    proxy: &FaultProxy,
    service: &str,
    target: &str,
    content_type: &str,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{}/", proxy.endpoint_url()))
        .header("x-amz-target", target)
        .header("content-type", content_type)
        .header("authorization", sigv4(service))
        .body("{}")
}

/// An awsQuery request as the SDK sends it.
fn query_request(
    client: &reqwest::Client,
    proxy: &FaultProxy,
    service: Option<&str>,
    action: &str,
) -> reqwest::RequestBuilder {
    let request = client
        .post(format!("{}/", proxy.endpoint_url()))
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .body(format!("Action={action}&Version=2010-05-08&RoleName=r"));
    match service {
        Some(service) => request.header("authorization", sigv4(service)),
        None => request,
    }
}

#[tokio::test]
async fn forwarding_is_faithful() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new()).await.unwrap();
    let client = reqwest::Client::new();
    let body: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    let auth = sigv4("sagemaker");
    let response = client
        .put(format!("{}/some/path%20x?b=2&a=one%2Btwo&a=3", proxy.endpoint_url()))
        .header("authorization", &auth)
        .header("x-amz-date", "20250101T000000Z")
        .header("x-custom", "v1")
        .header("x-reply-status", "201")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-upstream"], "yes");
    let cookies: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    let echoed: Value = response.json().await.unwrap();
    assert_eq!(echoed["method"], "PUT");
    assert_eq!(echoed["path"], "/some/path%20x");
    assert_eq!(echoed["query"], "b=2&a=one%2Btwo&a=3");
    assert_eq!(echoed["headers"]["authorization"], auth.as_str());
    assert_eq!(echoed["headers"]["x-amz-date"], "20250101T000000Z");
    assert_eq!(echoed["headers"]["x-custom"], "v1");
    assert_eq!(echoed["headers"]["host"], upstream.url.authority());
    assert_eq!(STANDARD.decode(echoed["body"].as_str().unwrap()).unwrap(), body);

    for method in [Method::GET, Method::DELETE, Method::HEAD, Method::PATCH] {
        let response = client
            .request(method.clone(), format!("{}/m", proxy.endpoint_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{method}");
        if method == Method::HEAD {
            // The length of the body a GET would get, not of the (empty) HEAD body.
            let length: usize = response.headers()["content-length"].to_str().unwrap().parse().unwrap();
            assert!(length > 100, "{length}");
        } else {
            assert_eq!(response.json::<Value>().await.unwrap()["method"], method.as_str());
        }
    }
    // Upstream errors are relayed as they are.
    let response = client
        .get(format!("{}/e", proxy.endpoint_url()))
        .header("x-reply-status", "503")
        .send()
        .await;
    assert_eq!(response.unwrap().status(), 503);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 6);
    let counts = proxy.counts();
    assert_eq!(
        (counts.total(), counts.total_forwarded(), counts.total_faults()),
        (6, 6, 0)
    );
    assert_eq!(counts.received("sagemaker:PUT /some/path%20x"), 1);
    assert_eq!(counts.received("unknown:GET /m"), 1);
}

#[tokio::test]
async fn counts_per_operation_are_exact_for_json_and_query_requests() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new()).await.unwrap();
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut spawn = |request: reqwest::RequestBuilder| {
        tasks.spawn(async move { assert_eq!(request.send().await.unwrap().status(), 200) });
    };
    for _ in 0..7 {
        spawn(json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain"));
    }
    for _ in 0..3 {
        spawn(json_request(&client, &proxy, "sagemaker", "SageMaker.ListUserProfiles"));
    }
    for _ in 0..2 {
        spawn(json_request(
            &client,
            &proxy,
            "sso",
            "SWBExternalService.CreatePermissionSet",
        ));
    }
    let content_type = "application/x-amz-json-1.0";
    spawn(json_request_as(
        &client,
        &proxy,
        "dynamodb",
        "DynamoDB_20120810.PutItem",
        content_type,
    ));
    for _ in 0..5 {
        spawn(query_request(&client, &proxy, Some("iam"), "CreateRole"));
    }
    spawn(query_request(&client, &proxy, Some("sts"), "GetCallerIdentity"));
    spawn(query_request(&client, &proxy, None, "AssumeRoleWithWebIdentity"));
    // Unsigned awsJson (cognito-idp InitiateAuth): service from the target prefix.
    spawn(
        client
            .post(format!("{}/", proxy.endpoint_url()))
            .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
            .header("content-type", "application/x-amz-json-1.1")
            .body("{}"),
    );
    // Query action in the query string (GET).
    spawn(
        client
            .get(format!("{}/?Action=ListRoles&Version=2010-05-08", proxy.endpoint_url()))
            .header("authorization", sigv4("iam")),
    );
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }

    let counts = proxy.counts();
    assert_eq!(counts.total(), 22);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 22);
    let expected = [
        ("cognito-idp:InitiateAuth", 1),
        ("dynamodb:PutItem", 1),
        ("iam:CreateRole", 5),
        ("iam:ListRoles", 1),
        ("sagemaker:CreateDomain", 7),
        ("sagemaker:ListUserProfiles", 3),
        ("sso:CreatePermissionSet", 2),
        ("sts:AssumeRoleWithWebIdentity", 1),
        ("sts:GetCallerIdentity", 1),
    ];
    let seen: Vec<(&str, u64)> = counts.iter().map(|(name, c)| (name, c.received)).collect();
    assert_eq!(seen, expected);
    assert_eq!(counts.forwarded("sagemaker:CreateDomain"), 7);
    assert_eq!(counts.received("sagemaker:DeleteDomain"), 0);
    assert_eq!(
        counts.operation("iam:CreateRole"),
        OperationCounts {
            received: 5,
            forwarded: 5,
            ..OperationCounts::default()
        }
    );
    let serialized = serde_json::to_value(&counts).unwrap();
    assert_eq!(
        serialized["iam:CreateRole"],
        json!({"received": 5, "throttled": 0, "server_errors": 0, "dropped": 0, "forwarded": 5, "upstream_failures": 0})
    );

    proxy.reset_counts();
    assert_eq!(proxy.counts().total(), 0);
    json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.counts().received("sagemaker:CreateDomain"), 1);
}

#[tokio::test]
async fn with_throttle_share_one_every_request_gets_the_aws_throttling_error() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new().throttle(1.0))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let response = json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["x-amzn-errortype"], "ThrottlingException");
        assert_eq!(response.headers()["content-type"], "application/x-amz-json-1.1");
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"__type": "ThrottlingException", "message": "Rate exceeded"})
        );
    }
    let content_type = "application/x-amz-json-1.0";
    let response = json_request_as(&client, &proxy, "dynamodb", "DynamoDB_20120810.GetItem", content_type);
    let response = response.send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/x-amz-json-1.0");

    let response = query_request(&client, &proxy, Some("iam"), "CreateRole")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["content-type"], "text/xml");
    let xml = response.text().await.unwrap();
    assert!(
        xml.starts_with(
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
             <RequestId>"
        ),
        "{xml}"
    );
    assert!(xml.ends_with("</RequestId></ErrorResponse>"), "{xml}");

    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0, "nothing is forwarded");
    let counts = proxy.counts();
    assert_eq!(
        counts.operation("sagemaker:CreateDomain"),
        OperationCounts {
            received: 3,
            throttled: 3,
            ..OperationCounts::default()
        }
    );
    assert_eq!(
        (counts.total(), counts.total_faults(), counts.total_forwarded()),
        (5, 5, 0)
    );
}

#[tokio::test]
async fn server_errors_are_aws_shaped_500s() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new().server_error(1.0))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let response = json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-amzn-errortype"], "InternalFailure");
    assert_eq!(response.json::<Value>().await.unwrap()["__type"], "InternalFailure");
    let response = query_request(&client, &proxy, Some("sts"), "AssumeRole")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let xml = response.text().await.unwrap();
    assert!(
        xml.contains("<Type>Receiver</Type><Code>InternalFailure</Code>"),
        "{xml}"
    );
    assert_eq!(proxy.counts().operation("sts:AssumeRole").server_errors, 1);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

/// Sends `n` requests one after the other; returns which were throttled.
async fn throttled_pattern(upstream: &Upstream, plan: FaultPlan, n: usize) -> Vec<bool> {
    let proxy = FaultProxy::start(upstream.url.clone(), plan).await.unwrap();
    let client = reqwest::Client::new();
    let mut pattern = Vec::with_capacity(n);
    for _ in 0..n {
        let response = json_request(&client, &proxy, "sagemaker", "SageMaker.ListUserProfiles")
            .send()
            .await
            .unwrap();
        pattern.push(response.status() == 400);
    }
    let counts = proxy.counts().operation("sagemaker:ListUserProfiles");
    assert_eq!(counts.received, n as u64);
    assert_eq!(counts.throttled, pattern.iter().filter(|t| **t).count() as u64);
    assert_eq!(counts.forwarded, n as u64 - counts.throttled);
    pattern
}

#[tokio::test]
async fn a_seeded_thirty_percent_plan_is_about_thirty_percent_and_deterministic() {
    let upstream = upstream().await;
    let plan = FaultPlan::new().throttle(0.3).seed(42);
    let first = throttled_pattern(&upstream, plan.clone(), 1000).await;
    let throttled = first.iter().filter(|t| **t).count();
    assert!((250..=350).contains(&throttled), "{throttled} of 1000 throttled");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1000 - throttled);

    let second = throttled_pattern(&upstream, plan, 1000).await;
    assert_eq!(first, second, "same seed, same faults");
    let other = throttled_pattern(&upstream, FaultPlan::new().throttle(0.3).seed(43), 1000).await;
    assert_ne!(first, other, "another seed, other faults");
}

#[tokio::test]
async fn mixed_shares_split_as_planned() {
    let upstream = upstream().await;
    let plan = FaultPlan::new()
        .throttle(0.2)
        .server_error(0.2)
        .drop_connection(0.2)
        .seed(7);
    let proxy = FaultProxy::start(upstream.url.clone(), plan).await.unwrap();
    let client = reqwest::Client::new();
    let (mut throttled, mut failed, mut dropped, mut ok) = (0, 0, 0, 0);
    for _ in 0..500 {
        match json_request(&client, &proxy, "sagemaker", "SageMaker.DescribeDomain")
            .send()
            .await
        {
            Ok(r) if r.status() == 400 => throttled += 1,
            Ok(r) if r.status() == 500 => failed += 1,
            Ok(r) if r.status() == 200 => ok += 1,
            Ok(r) => panic!("unexpected status {}", r.status()),
            Err(_) => dropped += 1,
        }
    }
    let counts = proxy.counts().operation("sagemaker:DescribeDomain");
    assert_eq!(
        (counts.throttled, counts.server_errors, counts.dropped, counts.forwarded),
        (throttled, failed, dropped, ok)
    );
    assert_eq!(counts.received, 500);
    for share in [throttled, failed, dropped] {
        assert!((60..=140).contains(&share), "{throttled} {failed} {dropped} {ok}");
    }
    assert_eq!(upstream.hits.load(Ordering::SeqCst) as u64, ok);
}

#[tokio::test]
async fn dropped_connections_are_connection_errors_for_the_client() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new().drop_connection(1.0))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let error = json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");

    // On the wire: the request is read, then the connection closes with no byte of response.
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let request = "POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: SageMaker.CreateDomain\r\n\
                   authorization: Credential=AK/20250101/us-east-1/sagemaker/aws4_request\r\ncontent-length: 2\r\n\r\n{}";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .unwrap();
    assert!(read.is_ok() || received.is_empty(), "{read:?}");
    assert!(
        received.is_empty(),
        "got a response: {}",
        String::from_utf8_lossy(&received)
    );

    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
    assert_eq!(proxy.counts().operation("sagemaker:CreateDomain").dropped, 2);
}

#[tokio::test]
async fn set_plan_takes_effect_live_and_only_operations_restricts_faults() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new().throttle(1.0))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let status = |r: reqwest::RequestBuilder| async move { r.send().await.unwrap().status().as_u16() };
    assert_eq!(
        status(json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")).await,
        400
    );

    proxy.set_plan(FaultPlan::new()).unwrap();
    assert_eq!(proxy.plan(), FaultPlan::new());
    assert_eq!(
        status(json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")).await,
        200
    );

    proxy
        .set_plan(
            FaultPlan::new()
                .throttle(1.0)
                .only_operations(["sagemaker:CreateDomain", "iam:*"]),
        )
        .unwrap();
    assert_eq!(
        status(json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")).await,
        400
    );
    assert_eq!(
        status(json_request(&client, &proxy, "sagemaker", "SageMaker.ListDomains")).await,
        200
    );
    assert_eq!(
        status(query_request(&client, &proxy, Some("iam"), "GetRole")).await,
        400
    );
    assert_eq!(
        status(query_request(&client, &proxy, Some("sts"), "GetCallerIdentity")).await,
        200
    );

    let counts = proxy.counts();
    assert_eq!(counts.operation("sagemaker:CreateDomain").throttled, 2);
    assert_eq!(counts.operation("sagemaker:CreateDomain").forwarded, 1);
    assert_eq!(counts.total(), 6);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn invalid_plans_and_upstreams_are_refused() {
    let upstream = upstream().await;
    for plan in [
        FaultPlan::new().throttle(1.5),
        FaultPlan::new().server_error(-0.1),
        FaultPlan::new().drop_connection(f64::NAN),
        FaultPlan::new().throttle(0.6).server_error(0.6),
    ] {
        let error = FaultProxy::start(upstream.url.clone(), plan.clone()).await.unwrap_err();
        assert!(error.to_string().contains("share"), "{error}");
    }
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new()).await.unwrap();
    assert!(proxy.set_plan(FaultPlan::new().throttle(2.0)).is_err());
    let https = url::Url::parse("https://127.0.0.1:1").unwrap();
    assert!(FaultProxy::start(https, FaultPlan::new()).await.is_err());
}

#[tokio::test]
async fn an_unreachable_upstream_gives_502_and_is_counted() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let proxy = FaultProxy::start(url, FaultPlan::new()).await.unwrap();
    let client = reqwest::Client::new();
    let response = json_request(&client, &proxy, "sagemaker", "SageMaker.CreateDomain")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let counts = proxy.counts().operation("sagemaker:CreateDomain");
    assert_eq!((counts.forwarded, counts.upstream_failures), (1, 1));
}

#[tokio::test]
async fn the_proxy_stops_when_dropped() {
    let upstream = upstream().await;
    let proxy = FaultProxy::start(upstream.url.clone(), FaultPlan::new()).await.unwrap();
    let addr = proxy.addr();
    // An idle keep-alive connection is closed too.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));

    drop(proxy);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection is closed");
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener is closed");
}
