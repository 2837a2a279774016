//! The gateway on AWS Lambda: real API Gateway events (a REST API event and an HTTP API payload
//! format 2.0 event, shaped like AWS's documented samples) of `POST /saml/acs` with a form body,
//! parsed by `lambda_http` and handed to `studio_fed_access::lambda::handle`. The client address
//! is the event's `requestContext` source IP only: `X-Forwarded-For` in the event never changes
//! the decision, and an event without a source IP is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::sync::Arc;

use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};
use studio_fed_access::audit::{MemoryAudit, Outcome};
use studio_fed_access::{Gateway, GatewayConfig, lambda};
use support::*;

/// The gateway's public URL (a custom domain in front of API Gateway).
const PUBLIC_URL: &str = "https://studio-login.example.com";
const ACS: &str = "https://studio-login.example.com/saml/acs";
/// Client networks allowed to log in.
const ALLOWED_CIDR: &str = "203.0.113.0/24";
const ALLOWED_IP: &str = "203.0.113.10";
const OUTSIDE_IP: &str = "198.51.100.7";

/// `example-apigw-request.json` of the aws_lambda_events fixtures (AWS's REST API proxy event).
const REST_API_EVENT: &str = r#"{
	"resource": "/{proxy+}",
	"path": "/hello/world",
	"httpMethod": "POST",
	"headers": {
		"Accept": "*/*",
		"Accept-Encoding": "gzip, deflate",
		"cache-control": "no-cache",
		"CloudFront-Forwarded-Proto": "https",
		"CloudFront-Is-Desktop-Viewer": "true",
		"CloudFront-Is-Mobile-Viewer": "false",
		"CloudFront-Is-SmartTV-Viewer": "false",
		"CloudFront-Is-Tablet-Viewer": "false",
		"CloudFront-Viewer-Country": "US",
		"Content-Type": "application/json",
		"headerName": "headerValue",
		"Host": "gy415nuibc.execute-api.us-east-1.amazonaws.com",
		"Postman-Token": "9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f",
		"User-Agent": "PostmanRuntime/2.4.5",
		"Via": "1.1 d98420743a69852491bbdea73f7680bd.cloudfront.net (CloudFront)",
		"X-Amz-Cf-Id": "pn-PWIJc6thYnZm5P0NMgOUglL1DYtl0gdeJky8tqsg8iS_sgsKD1A==",
		"X-Forwarded-For": "54.240.196.186, 54.182.214.83",
		"X-Forwarded-Port": "443",
		"X-Forwarded-Proto": "https"
	},
	"multiValueHeaders": {
		"Accept": ["*/*"],
		"Accept-Encoding": ["gzip, deflate"],
		"cache-control": ["no-cache"],
		"CloudFront-Forwarded-Proto": ["https"],
		"CloudFront-Is-Desktop-Viewer": ["true"],
		"CloudFront-Is-Mobile-Viewer": ["false"],
		"CloudFront-Is-SmartTV-Viewer": ["false"],
		"CloudFront-Is-Tablet-Viewer": ["false"],
		"CloudFront-Viewer-Country": ["US"],
		"Content-Type": ["application/json"],
		"headerName": ["headerValue"],
		"Host": ["gy415nuibc.execute-api.us-east-1.amazonaws.com"],
		"Postman-Token": ["9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f"],
		"User-Agent": ["PostmanRuntime/2.4.5"],
		"Via": ["1.1 d98420743a69852491bbdea73f7680bd.cloudfront.net (CloudFront)"],
		"X-Amz-Cf-Id": ["pn-PWIJc6thYnZm5P0NMgOUglL1DYtl0gdeJky8tqsg8iS_sgsKD1A=="],
		"X-Forwarded-For": ["54.240.196.186, 54.182.214.83"],
		"X-Forwarded-Port": ["443"],
		"X-Forwarded-Proto": ["https"]
	},
	"queryStringParameters": {
		"name": "me"
	},
	"multiValueQueryStringParameters": {
		"name": ["me"]
	},
	"pathParameters": {
		"proxy": "hello/world"
	},
	"stageVariables": {
		"stageVariableName": "stageVariableValue"
	},
	"requestContext": {
		"accountId": "12345678912",
		"resourceId": "roq9wj",
		"path": "/hello/world",
		"stage": "testStage",
		"domainName": "gy415nuibc.execute-api.us-east-2.amazonaws.com",
		"domainPrefix": "y0ne18dixk",
		"requestId": "deef4878-7910-11e6-8f14-25afc3e9ae33",
		"protocol": "HTTP/1.1",
		"identity": {
			"cognitoIdentityPoolId": "theCognitoIdentityPoolId",
			"accountId": "theAccountId",
			"cognitoIdentityId": "theCognitoIdentityId",
			"caller": "theCaller",
			"apiKey": "theApiKey",
			"apiKeyId": "theApiKeyId",
			"accessKey": "ANEXAMPLEOFACCESSKEY",
			"sourceIp": "192.168.196.186",
			"cognitoAuthenticationType": "theCognitoAuthenticationType",
			"cognitoAuthenticationProvider": "theCognitoAuthenticationProvider",
			"userArn": "theUserArn",
			"userAgent": "PostmanRuntime/2.4.5",
			"user": "theUser"
		},
		"authorizer": {
			"principalId": "admin",
			"clientId": 1,
			"clientName": "Exata"
		},
		"resourcePath": "/{proxy+}",
		"httpMethod": "POST",
		"requestTime": "15/May/2020:06:01:09 +0000",
		"requestTimeEpoch": 1589522469693,
		"apiId": "gy415nuibc"
	},
	"body": "{\r\n\t\"a\": 1\r\n}"
}"#;

/// `example-apigw-v2-request-no-authorizer.json` of the aws_lambda_events fixtures (AWS's HTTP API
/// payload format 2.0 event).
const HTTP_API_EVENT: &str = r#"{
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/",
    "rawQueryString": "",
    "headers": {
        "accept": "*/*",
        "content-length": "0",
        "host": "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com",
        "user-agent": "curl/7.58.0",
        "x-amzn-trace-id": "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c",
        "x-forwarded-for": "1.2.3.4",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https"
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "aaaaaaaaaa",
        "authentication": {
            "clientCert": {
                "clientCertPem": "-----BEGIN CERTIFICATE-----\nMIIEZTCCAk0CAQEwDQ...",
                "issuerDN": "C=US,ST=Washington,L=Seattle,O=Amazon Web Services,OU=Security,CN=My Private CA",
                "serialNumber": "1",
                "subjectDN": "C=US,ST=Washington,L=Seattle,O=Amazon Web Services,OU=Security,CN=My Client",
                "validity": {
                    "notAfter": "Aug  5 00:28:21 2120 GMT",
                    "notBefore": "Aug 29 00:28:21 2020 GMT"
                }
            }
        },
        "domainName": "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com",
        "domainPrefix": "aaaaaaaaaa",
        "http": {
            "method": "GET",
            "path": "/",
            "protocol": "HTTP/1.1",
            "sourceIp": "1.2.3.4",
            "userAgent": "curl/7.58.0"
        },
        "requestId": "LV7fzho-PHcEJPw=",
        "routeKey": "$default",
        "stage": "$default",
        "time": "21/Apr/2020:15:08:21 +0000",
        "timeEpoch": 1587481701067
    },
    "isBase64Encoded": false
}"#;

/// Which API Gateway sends the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// A REST API (payload format 1.0, `requestContext.identity.sourceIp`).
    Rest,
    /// An HTTP API with payload format 2.0 (`requestContext.http.sourceIp`).
    Http,
}

/// One request as API Gateway would describe it.
#[derive(Debug, Clone)]
struct Event {
    api: Api,
    method: &'static str,
    path: &'static str,
    /// `None`: no source IP in the request context at all.
    source_ip: Option<String>,
    x_forwarded_for: Option<String>,
    content_type: Option<&'static str>,
    body: Option<String>,
    base64: bool,
    /// A stage other than the sample's (`testStage` for the REST API, `$default` for the HTTP
    /// API), called on the execute-api URL, whose path starts with the stage.
    stage: Option<&'static str>,
    /// A custom domain's base path (a REST API base path mapping, an HTTP API mapping key with an
    /// `ANY /{proxy+}` route), which stays in front of the path.
    base_path: Option<&'static str>,
}

impl Event {
    fn new(api: Api, method: &'static str, path: &'static str, source_ip: &str) -> Self {
        Event {
            api,
            method,
            path,
            source_ip: Some(source_ip.to_owned()),
            x_forwarded_for: None,
            content_type: None,
            body: None,
            base64: false,
            stage: None,
            base_path: None,
        }
    }

    /// `POST /saml/acs` with `SAMLResponse` (and an empty `RelayState`, as Identity Center
    /// sends) in an `application/x-www-form-urlencoded` body, base64-encoded or not.
    fn acs(api: Api, source_ip: &str, saml_response: &str, base64: bool) -> Self {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLResponse", saml_response)
            .append_pair("RelayState", "")
            .finish();
        Event {
            content_type: Some("application/x-www-form-urlencoded"),
            body: Some(form),
            base64,
            ..Event::new(api, "POST", "/saml/acs", source_ip)
        }
    }

    fn forwarded_for(mut self, value: &str) -> Self {
        self.x_forwarded_for = Some(value.to_owned());
        self
    }

    fn without_source_ip(mut self) -> Self {
        self.source_ip = None;
        self
    }

    fn on_stage(mut self, stage: &'static str) -> Self {
        self.stage = Some(stage);
        self
    }

    fn via_base_path(mut self, base_path: &'static str) -> Self {
        self.base_path = Some(base_path);
        self
    }

    /// For assertion messages (the body is a signed response, too long to print).
    fn describe(&self) -> String {
        format!(
            "{:?} {} {} stage={:?} base_path={:?} sourceIp={:?} X-Forwarded-For={:?} base64={}",
            self.api,
            self.method,
            self.path,
            self.stage,
            self.base_path,
            self.source_ip,
            self.x_forwarded_for,
            self.base64
        )
    }

    /// The event JSON: the documented sample with this request's method, path, headers, body and
    /// source IP, as API Gateway fills them in.
    fn json(&self) -> String {
        let body = self.body.as_ref().map(|b| {
            if self.base64 {
                base64::engine::general_purpose::STANDARD.encode(b)
            } else {
                b.clone()
            }
        });
        let mut event: Value = match self.api {
            Api::Rest => serde_json::from_str(REST_API_EVENT).unwrap(),
            Api::Http => serde_json::from_str(HTTP_API_EVENT).unwrap(),
        };
        let proxy = json!({ "proxy": self.path.trim_start_matches('/') });
        let path_with_base = format!("{}{}", self.base_path.unwrap_or_default(), self.path);
        match self.api {
            Api::Rest => {
                // A REST API behind the custom domain: `path` is the resource path after the base
                // path, the stage is only in the request context.
                event["path"] = json!(path_with_base);
                event["httpMethod"] = json!(self.method);
                event["pathParameters"] = proxy;
                event["queryStringParameters"] = Value::Null;
                event["multiValueQueryStringParameters"] = Value::Null;
                let context = &mut event["requestContext"];
                context["path"] = json!(path_with_base);
                if let Some(stage) = self.stage {
                    context["stage"] = json!(stage);
                    context["path"] = json!(format!("/{stage}{}", self.path));
                }
                context["httpMethod"] = json!(self.method);
                context["domainName"] = json!("studio-login.example.com");
                set_or_remove(&mut context["identity"], "sourceIp", self.source_ip.as_deref());
                let mut set_header = |name: &str, value: Option<&str>| {
                    set_or_remove(&mut event["headers"], name, value);
                    set_or_remove(&mut event["multiValueHeaders"], name, value.map(|v| json!([v])));
                };
                set_header("Host", Some("studio-login.example.com"));
                set_header("Content-Type", self.content_type);
                set_header("X-Forwarded-For", self.x_forwarded_for.as_deref());
                event["body"] = json!(body);
                event["isBase64Encoded"] = json!(self.base64);
            }
            Api::Http => {
                let path = match self.stage {
                    Some(stage) => format!("/{stage}{path_with_base}"),
                    None => path_with_base,
                };
                event["rawPath"] = json!(path);
                if self.base_path.is_some() {
                    event["routeKey"] = json!("ANY /{proxy+}");
                    event["requestContext"]["routeKey"] = json!("ANY /{proxy+}");
                    event["pathParameters"] = proxy;
                }
                let context = &mut event["requestContext"];
                context["http"]["method"] = json!(self.method);
                context["http"]["path"] = json!(path);
                if let Some(stage) = self.stage {
                    context["stage"] = json!(stage);
                }
                context["domainName"] = json!("studio-login.example.com");
                set_or_remove(&mut context["http"], "sourceIp", self.source_ip.as_deref());
                let headers = &mut event["headers"];
                headers["host"] = json!("studio-login.example.com");
                let length = self.body.as_ref().map_or(0, String::len).to_string();
                headers["content-length"] = json!(length);
                set_or_remove(headers, "content-type", self.content_type);
                set_or_remove(headers, "x-forwarded-for", self.x_forwarded_for.as_deref());
                if let Some(body) = body {
                    event["body"] = json!(body);
                }
                event["isBase64Encoded"] = json!(self.base64);
            }
        }
        serde_json::to_string_pretty(&event).unwrap()
    }
}

fn set_or_remove(object: &mut Value, key: &str, value: Option<impl Into<Value>>) {
    let object = object.as_object_mut().unwrap();
    match value {
        Some(value) => object.insert(key.to_owned(), value.into()),
        None => object.remove(key),
    };
}

/// A gateway without the HTTP server, as the Lambda function builds it.
struct LambdaGateway {
    gateway: Gateway,
    audit: Arc<MemoryAudit>,
}

async fn lambda_gateway(w: &World) -> LambdaGateway {
    let config = saml_config(&w.metadata_file, &w.domain, "")
        .replace("{URL}", PUBLIC_URL)
        .replace("127.0.0.0/8", ALLOWED_CIDR);
    let config = GatewayConfig::from_toml_with_env(&config, []).unwrap();
    assert_eq!(config.acs_url(), ACS);
    let audit = Arc::new(MemoryAudit::new());
    let gateway = Gateway::builder(config, w.emulator.sdk_config().clone())
        .audit(audit.clone())
        .build()
        .await
        .unwrap();
    LambdaGateway { gateway, audit }
}

impl LambdaGateway {
    /// Parses the event as the Lambda runtime does and handles it.
    async fn invoke(&self, event: &Event) -> Response {
        let request = lambda_http::request::from_str(&event.json()).expect("an API Gateway event");
        lambda::handle(&self.gateway, request).await
    }
}

/// A freshly signed Identity-Center-shaped response to the public ACS.
fn signed(w: &World) -> String {
    w.idp
        .identity_center_style(ACS, &format!("{ACS}/"), USER, &w.domain)
        .build()
        .unwrap()
        .base64()
}

fn code(response: &Response) -> String {
    response
        .headers()
        .get("x-studio-fed-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn location(response: &Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn body(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn the_events_are_read_as_api_gateway_sends_them() {
    use lambda_http::RequestExt as _;
    use lambda_http::request::RequestContext;
    for (api, base64) in [
        (Api::Rest, true),
        (Api::Rest, false),
        (Api::Http, true),
        (Api::Http, false),
    ] {
        let event = Event::acs(api, ALLOWED_IP, "PHNhbWxwOlJlc3BvbnNlLz4=", base64);
        let request = lambda_http::request::from_str(&event.json()).unwrap();
        assert_eq!(request.method(), "POST");
        assert_eq!(request.raw_http_path(), "/saml/acs");
        // lambda_http puts a REST API's stage in front of the path; the gateway routes without it.
        let path = if api == Api::Rest {
            "/testStage/saml/acs"
        } else {
            "/saml/acs"
        };
        assert_eq!(request.uri().path(), path);
        let source_ip = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(c)) if api == Api::Rest => c.identity.source_ip.clone(),
            Some(RequestContext::ApiGatewayV2(c)) if api == Api::Http => c.http.source_ip.clone(),
            other => panic!("{api:?} parsed as {other:?}"),
        };
        assert_eq!(source_ip.as_deref(), Some(ALLOWED_IP));
        // The body reaches the function decoded, whatever API Gateway's encoding.
        let body = std::str::from_utf8(request.body().as_ref()).unwrap().to_owned();
        assert!(
            body.starts_with("SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D"),
            "{api:?} {base64}: {body}"
        );
    }
}

#[tokio::test]
async fn a_form_post_from_an_allowed_source_ip_redirects_to_a_url_that_redeems() {
    let w = world().await;
    let gw = lambda_gateway(&w).await;
    let events = [
        Event::acs(Api::Rest, ALLOWED_IP, &signed(&w), true),
        Event::acs(Api::Http, ALLOWED_IP, &signed(&w), true),
        Event::acs(Api::Rest, ALLOWED_IP, &signed(&w), false),
        Event::acs(Api::Http, ALLOWED_IP, &signed(&w), false),
        // An HTTP API stage other than $default, called on its execute-api URL.
        Event::acs(Api::Http, ALLOWED_IP, &signed(&w), true).on_stage("prod"),
        // Stages and base paths named like a route are not taken for it.
        Event::acs(Api::Rest, ALLOWED_IP, &signed(&w), true).on_stage("saml"),
        Event::acs(Api::Http, ALLOWED_IP, &signed(&w), true).on_stage("saml"),
        Event::acs(Api::Rest, ALLOWED_IP, &signed(&w), true).via_base_path("/sso"),
        Event::acs(Api::Rest, ALLOWED_IP, &signed(&w), true).via_base_path("/saml"),
        Event::acs(Api::Http, ALLOWED_IP, &signed(&w), true).via_base_path("/saml"),
    ];
    for event in &events {
        let answer = gw.invoke(event).await;
        assert_eq!(answer.status(), 303, "{}: {:?}", event.describe(), answer.headers());
        assert_eq!(answer.headers()["cache-control"], "no-store");
        let redemption = w.emulator.redeem(&location(&answer)).await.unwrap();
        assert!(redemption.valid, "{}: {redemption:?}", event.describe());
        assert_eq!(redemption.user_profile_name.as_deref(), Some(USER));
        assert_eq!(redemption.domain_id.as_deref(), Some(w.domain.as_str()));
    }
    // Each decision was made for the event's source IP.
    let events = gw.audit.events();
    assert_eq!(events.len(), 10);
    for event in events {
        assert_eq!(event.outcome, Outcome::Allowed);
        assert_eq!(event.client_ip, Some(ALLOWED_IP.parse().unwrap()));
    }
}

#[tokio::test]
async fn a_source_ip_outside_the_allowed_networks_is_refused_whatever_x_forwarded_for_says() {
    let w = world().await;
    let gw = lambda_gateway(&w).await;
    for api in [Api::Rest, Api::Http] {
        // The sample's own X-Forwarded-For, then a forged one naming an allowed address.
        for xff in [
            "54.240.196.186, 54.182.214.83",
            "203.0.113.5",
            "203.0.113.5, 203.0.113.6",
        ] {
            let event = Event::acs(api, OUTSIDE_IP, &signed(&w), true).forwarded_for(xff);
            let answer = gw.invoke(&event).await;
            assert_eq!(
                (answer.status().as_u16(), code(&answer)),
                (403, "network_denied".into()),
                "{api:?} {xff}"
            );
            assert!(answer.headers().get("location").is_none());
            let event = gw.audit.events().pop().unwrap();
            assert_eq!(event.client_ip, Some(OUTSIDE_IP.parse().unwrap()), "{api:?} {xff}");
            assert_eq!(event.user, None, "the response was not read");
        }
        // And an allowed source IP is not refused because X-Forwarded-For names an outside one.
        let event = Event::acs(api, ALLOWED_IP, &signed(&w), true).forwarded_for(OUTSIDE_IP);
        let answer = gw.invoke(&event).await;
        assert_eq!(answer.status(), 303, "{api:?}: {:?}", answer.headers());
        assert!(w.emulator.redeem(&location(&answer)).await.unwrap().valid);
        assert_eq!(
            gw.audit.events().pop().unwrap().client_ip,
            Some(ALLOWED_IP.parse().unwrap())
        );
    }
}

#[tokio::test]
async fn an_event_without_a_usable_source_ip_is_refused() {
    let w = world().await;
    let gw = lambda_gateway(&w).await;
    for api in [Api::Rest, Api::Http] {
        // No source IP at all, even with an allowed address in X-Forwarded-For.
        let events = [
            Event::acs(api, ALLOWED_IP, &signed(&w), true).without_source_ip(),
            Event::acs(api, ALLOWED_IP, &signed(&w), true)
                .without_source_ip()
                .forwarded_for(ALLOWED_IP),
            Event::acs(api, "not-an-address", &signed(&w), true).forwarded_for(ALLOWED_IP),
            Event::acs(api, "", &signed(&w), false),
        ];
        for event in events {
            let answer = gw.invoke(&event).await;
            let status = answer.status();
            assert!(status.is_client_error(), "{}: {status}", event.describe());
            assert_eq!(code(&answer), "bad_request", "{}", event.describe());
            assert!(answer.headers().get("location").is_none());
            let page = body(answer).await;
            assert!(page.contains("client address"), "{page}");
        }
    }
    // Nothing was let through, and no decision was made for any address.
    let events = gw.audit.events();
    assert_eq!(events.len(), 8);
    assert!(
        events
            .iter()
            .all(|e| e.outcome == Outcome::Refused && e.client_ip.is_none() && e.user.is_none())
    );
}

#[tokio::test]
async fn health_answers_through_events_from_anywhere_on_any_stage() {
    let w = world().await;
    let gw = lambda_gateway(&w).await;
    for ip in [ALLOWED_IP, OUTSIDE_IP] {
        let events = [
            Event::new(Api::Rest, "GET", "/healthz", ip),
            Event::new(Api::Rest, "GET", "/healthz", ip).on_stage("prod"),
            Event::new(Api::Http, "GET", "/healthz", ip),
            Event::new(Api::Http, "GET", "/healthz", ip).on_stage("prod"),
        ];
        for event in events {
            let answer = gw.invoke(&event).await;
            assert_eq!(answer.status(), 200, "{}", event.describe());
            assert_eq!(body(answer).await, "ok");
        }
    }
    // Unknown paths stay unknown, with or without a stage.
    for event in [
        Event::new(Api::Rest, "GET", "/prod/healthz", ALLOWED_IP),
        Event::new(Api::Http, "GET", "/metrics", ALLOWED_IP).on_stage("prod"),
    ] {
        assert_eq!(gw.invoke(&event).await.status(), 404, "{}", event.describe());
    }
    assert!(gw.audit.events().is_empty());
}
