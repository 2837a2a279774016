//! SP-initiated SAML login: `GET /saml/login` sends the browser to the IdP with an AuthnRequest
//! (HTTP-Redirect binding) and remembers its ID in a signed cookie; `POST /saml/acs` accepts a
//! response whose `InResponseTo` names a request of that cookie, once. IdP-initiated login is off
//! in these tests, so only solicited responses can log in.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::io::Read as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use studio_fed_access::{Gateway, GatewayConfig};
use studio_fed_testkit::saml_idp::SignedResponse;
use support::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const COOKIE: &str = "studio_fed_saml";

fn sp_initiated_config(w: &World) -> String {
    saml_config(&w.metadata_file, &w.domain, "").replace("allow_idp_initiated = true", "allow_idp_initiated = false")
}

/// `GET /saml/login`, sending `cookie` (a `name=value` pair) if given.
async fn login(gw: &TestGateway, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{}/saml/login", gw.url));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The `Set-Cookie` header of `response` for the SAML cookie.
fn set_cookie(response: &reqwest::Response) -> String {
    let mut values = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|v| v.starts_with(&format!("{COOKIE}=")));
    let value = values.next().expect("a studio_fed_saml Set-Cookie");
    assert!(values.next().is_none(), "one Set-Cookie for the SAML cookie");
    value
}

/// The `name=value` part of a `Set-Cookie` value, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The Location of a login redirect, split into the URL without the query and the query pairs.
fn location(response: &reqwest::Response) -> (String, Vec<(String, String)>) {
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let pairs = url.query_pairs().into_owned().collect();
    let mut base = url.clone();
    base.set_query(None);
    (base.to_string(), pairs)
}

/// The AuthnRequest XML of a login redirect: SAMLRequest decoded (base64, then raw inflate).
fn authn_request(response: &reqwest::Response) -> String {
    let (_, pairs) = location(response);
    let value = pairs
        .iter()
        .find(|(name, _)| name == "SAMLRequest")
        .map(|(_, v)| v)
        .expect("SAMLRequest");
    let deflated = STANDARD.decode(value).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

/// The value of attribute `name` of the first element of `xml`.
fn attribute(xml: &str, name: &str) -> String {
    let marker = format!(" {name}=\"");
    let start = xml.find(&marker).unwrap_or_else(|| panic!("no {name} in {xml}")) + marker.len();
    xml[start..start + xml[start..].find('"').unwrap()].to_owned()
}

/// Starts a login and returns (request ID, cookie pair).
async fn started(gw: &TestGateway, cookie: Option<&str>) -> (String, String) {
    let response = login(gw, cookie).await;
    assert_eq!(response.status(), 303, "{:?}", response.headers());
    (
        attribute(&authn_request(&response), "ID"),
        cookie_pair(&set_cookie(&response)),
    )
}

/// A signed response of the test IdP answering `request_id`.
fn answer(w: &World, gw: &TestGateway, request_id: &str) -> SignedResponse {
    w.idp
        .identity_center_style(&gw.acs(), &format!("{}/", gw.acs()), USER, &w.domain)
        .in_response_to(request_id)
        .build()
        .unwrap()
}

/// POSTs the response to the ACS with `cookie` (a `name=value` pair), if any.
async fn post_with_cookie(gw: &TestGateway, response: &SignedResponse, cookie: Option<&str>) -> reqwest::Response {
    match cookie {
        Some(cookie) => post_acs(gw, &response.base64(), &[("cookie", cookie)]).await,
        None => post_acs(gw, &response.base64(), &[]).await,
    }
}

#[tokio::test]
async fn login_sends_an_authn_request_to_the_idp_with_the_redirect_binding_and_a_signed_cookie() {
    let w = world().await;
    let gw = start_gateway(&sp_initiated_config(&w), w.emulator.sdk_config(), None).await;
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let response = login(&gw, None).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (sso, pairs) = location(&response);
    assert_eq!(
        sso,
        w.idp.sso_url(),
        "sent to the metadata's HTTP-Redirect SSO endpoint"
    );
    assert_eq!(pairs.len(), 1, "{pairs:?}");

    let xml = authn_request(&response);
    assert!(xml.starts_with("<samlp:AuthnRequest "), "{xml}");
    assert_eq!(attribute(&xml, "Version"), "2.0");
    assert_eq!(attribute(&xml, "Destination"), w.idp.sso_url());
    assert_eq!(attribute(&xml, "AssertionConsumerServiceURL"), gw.acs());
    assert_eq!(
        attribute(&xml, "ProtocolBinding"),
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    );
    assert!(
        xml.contains(&format!("<saml:Issuer>{}/</saml:Issuer>", gw.acs())),
        "the Issuer is the configured audience: {xml}"
    );
    let issued = OffsetDateTime::parse(&attribute(&xml, "IssueInstant"), &Rfc3339).unwrap();
    assert!(issued >= before && issued <= OffsetDateTime::now_utc(), "{issued}");
    let id = attribute(&xml, "ID");
    assert!(id.starts_with('_') && id.len() >= 33, "{id}");

    // The cookie goes to the SAML routes only, is hidden from scripts, and lasts the login.
    let cookie = set_cookie(&response);
    for attribute in ["; Path=/saml;", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let max_age: i64 = cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (590..=600).contains(&max_age),
        "ten minutes to log in at the IdP: {cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "the gateway's URL is plain HTTP here: {cookie}"
    );
    // A second login gets a fresh request ID.
    let (second, _) = started(&gw, None).await;
    assert_ne!(second, id);
}

#[tokio::test]
async fn over_https_the_cookie_survives_the_idps_cross_site_post() {
    let w = world().await;
    let config =
        sp_initiated_config(&w).replace("public_url = \"{URL}\"", "public_url = \"https://studio-login.test\"");
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let response = login(&gw, None).await;
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(&response);
    assert!(cookie.contains("; SameSite=None; Secure"), "{cookie}");
    let xml = authn_request(&response);
    assert_eq!(
        attribute(&xml, "AssertionConsumerServiceURL"),
        "https://studio-login.test/saml/acs"
    );
}

#[tokio::test]
async fn a_response_to_the_request_logs_in_once_and_the_request_is_then_forgotten() {
    let w = world().await;
    let gw = start_gateway(&sp_initiated_config(&w), w.emulator.sdk_config(), None).await;
    let (id, cookie) = started(&gw, None).await;

    let answered = post_with_cookie(&gw, &answer(&w, &gw, &id), Some(&cookie)).await;
    assert_eq!(answered.status(), 303, "{:?}", answered.headers());
    let cleared = set_cookie(&answered);
    assert!(
        cleared.contains("Max-Age=0"),
        "the only pending request was answered: {cleared}"
    );
    let location = answered.headers()["location"].to_str().unwrap().to_owned();
    assert!(w.emulator.redeem(&location).await.unwrap().valid);

    // Another response to the same request, with the cookie the browser now has, is refused.
    let again = post_with_cookie(&gw, &answer(&w, &gw, &id), Some(&cookie_pair(&cleared))).await;
    assert_eq!(
        (again.status().as_u16(), error_code(&again)),
        (403, "saml.unknown_in_response_to".into())
    );
}

#[tokio::test]
async fn responses_to_requests_this_browser_did_not_start_are_refused() {
    let w = world().await;
    let gw = start_gateway(&sp_initiated_config(&w), w.emulator.sdk_config(), None).await;
    let (id, cookie) = started(&gw, None).await;
    let refused = |answer: reqwest::Response| (answer.status().as_u16(), error_code(&answer));
    let unknown = (403, "saml.unknown_in_response_to".to_owned());

    // The right request ID, but no cookie: another browser posting it (login CSRF).
    assert_eq!(
        refused(post_with_cookie(&gw, &answer(&w, &gw, &id), None).await),
        unknown
    );
    // A request the gateway never sent, with a valid cookie.
    assert_eq!(
        refused(post_with_cookie(&gw, &answer(&w, &gw, "_never-sent"), Some(&cookie)).await),
        unknown
    );
    // A cookie whose signature does not verify holds no request.
    let (payload, tag) = cookie.split_once('.').unwrap();
    let forged = format!("{payload}x.{tag}");
    assert_eq!(
        refused(post_with_cookie(&gw, &answer(&w, &gw, &id), Some(&forged)).await),
        unknown
    );
    // A cookie of another gateway (another key) holds no request either.
    let other = start_gateway(&sp_initiated_config(&w), w.emulator.sdk_config(), None).await;
    let (other_id, other_cookie) = started(&other, None).await;
    assert_eq!(
        refused(post_with_cookie(&gw, &answer(&w, &gw, &other_id), Some(&other_cookie)).await),
        unknown
    );
    // A pending request does not make an unsolicited response acceptable.
    let unsolicited = w
        .idp
        .identity_center_style(&gw.acs(), &format!("{}/", gw.acs()), USER, &w.domain)
        .build()
        .unwrap();
    assert_eq!(
        refused(post_with_cookie(&gw, &unsolicited, Some(&cookie)).await),
        (403, "saml.unsolicited_response".into())
    );
    // The request is still pending after those refusals, and its answer logs in.
    let ok = post_with_cookie(&gw, &answer(&w, &gw, &id), Some(&cookie)).await;
    assert_eq!(ok.status(), 303, "{:?}", ok.headers());
    let codes: Vec<_> = gw.audit.events().into_iter().map(|e| e.code).collect();
    assert_eq!(codes.len(), 6);
    assert_eq!(codes[5], None, "the last login was allowed");
}

#[tokio::test]
async fn several_logins_may_be_pending_and_only_the_newest_five_are_kept() {
    let w = world().await;
    let gw = start_gateway(&sp_initiated_config(&w), w.emulator.sdk_config(), None).await;
    let mut ids = Vec::new();
    let mut cookie: Option<String> = None;
    for _ in 0..6 {
        let (id, next) = started(&gw, cookie.as_deref()).await;
        ids.push(id);
        cookie = Some(next);
    }
    let cookie = cookie.unwrap();
    // The first was pushed out by the sixth.
    let oldest = post_with_cookie(&gw, &answer(&w, &gw, &ids[0]), Some(&cookie)).await;
    assert_eq!(error_code(&oldest), "saml.unknown_in_response_to");
    // The second is still pending; answering it keeps the other four.
    let second = post_with_cookie(&gw, &answer(&w, &gw, &ids[1]), Some(&cookie)).await;
    assert_eq!(second.status(), 303, "{:?}", second.headers());
    let remaining = cookie_pair(&set_cookie(&second));
    for id in &ids[2..] {
        let answered = post_with_cookie(&gw, &answer(&w, &gw, id), Some(&remaining)).await;
        assert_eq!(answered.status(), 303, "{id}: {:?}", answered.headers());
    }
    let second_again = post_with_cookie(&gw, &answer(&w, &gw, &ids[1]), Some(&remaining)).await;
    assert_eq!(error_code(&second_again), "saml.unknown_in_response_to");
}

#[tokio::test]
async fn login_needs_an_http_redirect_sso_endpoint_in_the_metadata() {
    let w = world().await;
    let metadata = std::fs::read_to_string(&w.metadata_file).unwrap();
    let redirect = "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\"";
    assert!(metadata.contains(redirect));
    let post_only = metadata.replace(redirect, "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:SOAP\"");
    let file = format!("{}.post-only.xml", w.metadata_file);
    std::fs::write(&file, post_only).unwrap();
    let config = sp_initiated_config(&w).replace(&w.metadata_file, &file);
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let response = login(&gw, None).await;
    assert_eq!(
        (response.status().as_u16(), error_code(&response)),
        (400, "bad_request".into())
    );
    assert!(response.headers().get("set-cookie").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("HTTP-Redirect binding"), "{body}");
    let event = gw.audit.events().pop().unwrap();
    assert_eq!(event.code.as_deref(), Some("bad_request"));
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn the_sp_metadata_is_served_outside_the_network_rules_and_names_the_entity_id_and_acs() {
    let w = world().await;
    // Clients from 10.0.0.0/8 only: an identity provider fetching from 127.0.0.1 is outside them.
    let config = sp_initiated_config(&w).replace(
        r#"allowed_cidrs = ["127.0.0.0/8"]"#,
        r#"allowed_cidrs = ["10.0.0.0/8"]"#,
    );
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let response = client().get(format!("{}/saml/metadata", gw.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/samlmetadata+xml");
    let xml = response.text().await.unwrap();
    assert!(xml.contains(&format!(r#"entityID="{}/saml/acs/""#, gw.url)), "{xml}");
    assert!(xml.contains(&format!(r#"Location="{}/saml/acs""#, gw.url)), "{xml}");
    assert!(xml.contains(r#"AuthnRequestsSigned="false""#), "{xml}");
    // A login from the same address is refused.
    let refused = login(&gw, None).await;
    assert_eq!(
        (refused.status().as_u16(), error_code(&refused)),
        (403, "network_denied".into())
    );
}

#[tokio::test]
async fn a_request_signing_key_without_its_certificate_stops_the_gateway_from_starting() {
    let w = world().await;
    for setting in [
        "request_signing_key_file = \"/etc/gw/key.pem\"",
        "request_signing_certificate_file = \"/etc/gw/cert.pem\"",
    ] {
        let config = sp_initiated_config(&w)
            .replace("[saml]\n", &format!("[saml]\n{setting}\n"))
            .replace("{URL}", "https://gw.test");
        let config = GatewayConfig::from_toml_with_env(&config, []).unwrap();
        let error = Gateway::builder(config, w.emulator.sdk_config().clone())
            .build()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("request_signing_key_file and request_signing_certificate_file go together"),
            "{setting}: {error}"
        );
    }
}
