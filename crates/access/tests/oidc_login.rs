//! `GET /oidc/login` and `GET /oidc/callback` end to end against the testkit's OpenID Provider:
//! authorization code + PKCE with state, nonce and verifier in a signed HttpOnly cookie, the user
//! and team from configurable claims, and every ID-token threat refused through the callback.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use serde_json::json;
use studio_fed_access::audit::Outcome;
use studio_fed_testkit::oidc_op::{Client, OidcProvider, User};
use support::*;

const CLIENT: &str = "studio-gateway";
const SECRET: &str = "gateway-secret";
/// The gateway's cookie key (base64 of 32 bytes).
const COOKIE_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

struct Oidc {
    w: World,
    op: OidcProvider,
    gw: TestGateway,
}

async fn setup() -> Oidc {
    let w = world().await;
    let op = OidcProvider::start().await.unwrap();
    op.set_user(
        User::new("00u1a2b3c4")
            .groups(["all-staff", "vision"])
            .claim("preferred_username", json!(USER)),
    );
    let config = format!(
        r#"
[gateway]
public_url = "{{URL}}"
cookie_key = "{COOKIE_KEY}"
[network]
allowed_cidrs = ["127.0.0.0/8"]
[teams.vision]
domain = "{domain}"
[oidc]
issuer = "{issuer}"
client_id = "{CLIENT}"
client_secret = "{SECRET}"
user_claim = "preferred_username"
team_claim = "groups"
[limits]
rate_limit_per_minute = 6000
rate_limit_burst = 1000
"#,
        domain = w.domain,
        issuer = op.issuer()
    );
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    op.add_client(Client::confidential(
        CLIENT,
        SECRET,
        [format!("{}/oidc/callback", gw.url)],
    ))
    .unwrap();
    Oidc { w, op, gw }
}

/// `/oidc/login` → the provider's `/authorize` → the callback URL and the login cookie.
async fn start_login(gw: &TestGateway) -> (String, String) {
    let login = client().get(format!("{}/oidc/login", gw.url)).send().await.unwrap();
    assert_eq!(login.status(), 303);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/oidc"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="));
    let at_provider = client().get(&authorize).send().await.unwrap();
    assert!(at_provider.status().is_redirection(), "{}", at_provider.status());
    let callback = at_provider.headers()["location"].to_str().unwrap().to_owned();
    (callback, cookie)
}

async fn callback(callback: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().get(callback);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_code_and_pkce_login_opens_the_users_profile() {
    let o = setup().await;
    let (url, cookie) = start_login(&o.gw).await;
    let answer = callback(&url, Some(&cookie)).await;
    assert_eq!(answer.status(), 303, "{}", error_code(&answer));
    // The login cookie is spent.
    let cleared = answer.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(o.w.emulator.redeem(location).await.unwrap().valid);
    let event = o.gw.audit.events().pop().unwrap();
    assert_eq!(
        (
            event.method,
            event.outcome,
            event.user.as_deref(),
            event.team.as_deref()
        ),
        ("oidc", Outcome::Allowed, Some(USER), Some("vision"))
    );
    // The same callback again: the code and the nonce are spent.
    let again = callback(&url, Some(&cookie)).await;
    assert!(
        again.status().is_client_error() || again.status().as_u16() == 502,
        "{}",
        again.status()
    );
    assert!(error_code(&again).starts_with("oidc."), "{}", error_code(&again));
}

#[tokio::test]
async fn the_callback_needs_this_browsers_cookie_and_state() {
    let o = setup().await;
    let (url, cookie) = start_login(&o.gw).await;
    // No cookie (a login started in another browser, or a forged callback).
    let answer = callback(&url, None).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (400, "login_cookie".into())
    );
    // Another login's cookie: its state differs.
    let (_, other_cookie) = start_login(&o.gw).await;
    let answer = callback(&url, Some(&other_cookie)).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "oidc.state_mismatch".into())
    );
    // A cookie edited by the browser.
    let forged = cookie.replacen('=', "=e30", 1);
    let answer = callback(&url, Some(&forged)).await;
    assert_eq!(error_code(&answer), "login_cookie");
    // A state edited in the callback URL.
    let edited = url.replace("state=", "state=x");
    assert_eq!(
        error_code(&callback(&edited, Some(&cookie)).await),
        "oidc.state_mismatch"
    );
}

#[tokio::test]
async fn every_id_token_threat_is_refused_through_the_callback() {
    let o = setup().await;
    let mut failures = Vec::new();
    for threat in studio_fed_testkit::oidc_op::threats::catalog() {
        let (url, cookie) = start_login(&o.gw).await;
        threat.arm(&o.op);
        let answer = callback(&url, Some(&cookie)).await;
        let expected = format!("oidc.{}", threat.expected_code);
        if !answer.status().is_client_error() || error_code(&answer) != expected {
            failures.push(format!(
                "{}: {} {}, expected 4xx {expected}",
                threat.name,
                answer.status(),
                error_code(&answer)
            ));
        }
        assert_eq!(
            o.op.pending_tampering(),
            0,
            "{}: the forged token was not used",
            threat.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(o.gw.audit.events().iter().all(|e| e.outcome == Outcome::Refused));
}

#[tokio::test]
async fn a_user_outside_every_configured_team_or_without_teams_is_refused() {
    let o = setup().await;
    o.op.set_user(
        User::new("00u9")
            .groups(["finance"])
            .claim("preferred_username", json!(USER)),
    );
    let (url, cookie) = start_login(&o.gw).await;
    let answer = callback(&url, Some(&cookie)).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "no_domain".into())
    );
    // No groups claim at all: the mapped team claim decides, so no team is guessed.
    o.op.set_user(User::new("00u8").claim("preferred_username", json!(USER)));
    let (url, cookie) = start_login(&o.gw).await;
    let answer = callback(&url, Some(&cookie)).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "missing_attribute".into())
    );
}

/// The PKCE verifier is checked by the provider even when the state matches: a login cookie whose
/// verifier was replaced (here re-signed with the gateway's key, as only a key holder could) is
/// refused when the code is redeemed.
#[tokio::test]
async fn a_pkce_verifier_that_does_not_match_the_challenge_is_refused() {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use hmac::Mac as _;

    let o = setup().await;
    let (url, cookie) = start_login(&o.gw).await;
    let (name, value) = cookie.split_once('=').unwrap();
    let (payload, _) = value.split_once('.').unwrap();
    let mut envelope: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    envelope["v"]["pkce_verifier"] = json!("x".repeat(64));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&envelope).unwrap());
    let key = STANDARD.decode(COOKIE_KEY).unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{name}.{payload}").as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let forged = format!("{name}={payload}.{tag}");

    let answer = callback(&url, Some(&forged)).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "oidc.pkce_verifier_mismatch".into())
    );
}
