//! `POST /saml/acs` end to end: a signed Identity-Center-shaped response from the test IdP, through
//! the HTTP server, to a presigned URL the emulator redeems; and every refusal the gateway adds on
//! top of the validator (network, forwarded addresses, domain allowlist, team tag, rate limit).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use studio_fed_access::audit::Outcome;
use support::*;

#[tokio::test]
async fn a_signed_login_redirects_to_a_presigned_url_that_redeems_once() {
    let w = world().await;
    let gw = start_gateway(
        &saml_config(&w.metadata_file, &w.domain, ""),
        w.emulator.sdk_config(),
        None,
    )
    .await;
    let response = identity_center(&w, &gw, USER, &w.domain);

    let answer = post_acs(&gw, &response.base64(), &[]).await;
    assert_eq!(answer.status(), 303, "{:?}", answer.headers());
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert_eq!(answer.headers()["referrer-policy"], "no-referrer");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let redemption = w.emulator.redeem(&location).await.unwrap();
    assert!(redemption.valid, "{redemption:?}");
    assert!(!w.emulator.redeem(&location).await.unwrap().valid, "a URL opens once");

    // The audit log says who opened what from where, and holds no assertion.
    let events = gw.audit.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.outcome, Outcome::Allowed);
    assert_eq!(event.user.as_deref(), Some(USER));
    assert_eq!(event.profile.as_deref(), Some(USER));
    assert_eq!(event.domain.as_deref(), Some(w.domain.as_str()));
    assert_eq!(event.team.as_deref(), Some("vision"));
    assert_eq!(event.client_ip, Some("127.0.0.1".parse().unwrap()));
    let logged = serde_json::to_string(event).unwrap();
    assert!(!logged.contains(response.assertion_id()) && !logged.contains("token="));

    // The same response again is a replay.
    let again = post_acs(&gw, &response.base64(), &[]).await;
    assert_eq!(
        (again.status().as_u16(), error_code(&again)),
        (403, "saml.replayed".into())
    );
    gw.stop().await;
}

#[tokio::test]
async fn clients_outside_the_allowed_networks_are_refused_before_anything_is_read() {
    let w = world().await;
    let config = saml_config(&w.metadata_file, &w.domain, "").replace("127.0.0.0/8", "203.0.113.0/24");
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let response = identity_center(&w, &gw, USER, &w.domain);
    // 127.0.0.1 is not a trusted proxy: its X-Forwarded-For claiming an allowed address is ignored.
    let answer = post_acs(&gw, &response.base64(), &[("x-forwarded-for", "203.0.113.5")]).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "network_denied".into())
    );
    let event = gw.audit.events().pop().unwrap();
    assert_eq!(event.code.as_deref(), Some("network_denied"));
    assert_eq!(event.user, None, "the response was not read");
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let w = world().await;
    let extra = "[network]\nallowed_cidrs = [\"203.0.113.0/24\"]\ntrusted_proxies = [\"127.0.0.0/8\"]\n";
    let config =
        saml_config(&w.metadata_file, &w.domain, "").replace("[network]\nallowed_cidrs = [\"127.0.0.0/8\"]\n", extra);
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let sign = || identity_center(&w, &gw, USER, &w.domain).base64();
    // The proxy (127.0.0.1) reports an allowed client.
    let ok = post_acs(&gw, &sign(), &[("x-forwarded-for", "203.0.113.5")]).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(gw.audit.events()[0].client_ip, Some("203.0.113.5".parse().unwrap()));
    // The client prepended an allowed address itself; the proxy appended the real one.
    let spoofed = post_acs(&gw, &sign(), &[("x-forwarded-for", "203.0.113.5, 198.51.100.7")]).await;
    assert_eq!(error_code(&spoofed), "network_denied");
    assert_eq!(gw.audit.events()[1].client_ip, Some("198.51.100.7".parse().unwrap()));
    // A malformed header from the proxy is a clear 400.
    let bad = post_acs(&gw, &sign(), &[("x-forwarded-for", "somewhere")]).await;
    assert_eq!(
        (bad.status().as_u16(), error_code(&bad)),
        (400, "bad_forwarded_for".into())
    );
}

#[tokio::test]
async fn the_domain_of_the_response_must_be_on_the_allowlist_and_the_profile_in_the_team() {
    let w = world().await;
    let other = create_domain(&w.sagemaker, "nlp").await;
    create_profile(&w.sagemaker, &other, USER, "nlp").await;
    create_profile(&w.sagemaker, &w.domain, "mallory", "nlp").await;
    let gw = start_gateway(
        &saml_config(&w.metadata_file, &w.domain, ""),
        w.emulator.sdk_config(),
        None,
    )
    .await;
    let (w, gw) = (&w, &gw);
    let post = |user: &str, domain: &str| {
        let form = identity_center(w, gw, user, domain).base64();
        async move { post_acs(gw, &form, &[]).await }
    };
    // A domain that exists but is not on the allowlist.
    let answer = post(USER, &other).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "domain_not_allowed".into())
    );
    // A profile in the allowed domain but tagged for another team.
    let answer = post("mallory", &w.domain).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "wrong_team".into())
    );
    // No profile and no just-in-time creation.
    let answer = post("nobody", &w.domain).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (404, "profile_not_found".into())
    );
    // A user name that is not a profile name.
    let answer = post("alice@example.com", &w.domain).await;
    assert_eq!(error_code(&answer), "invalid_profile_name");
    let codes: Vec<_> = gw.audit.events().into_iter().filter_map(|e| e.code).collect();
    assert_eq!(
        codes,
        [
            "domain_not_allowed",
            "wrong_team",
            "profile_not_found",
            "invalid_profile_name"
        ]
    );
}

#[tokio::test]
async fn requests_that_are_not_the_post_binding_are_refused_clearly() {
    let w = world().await;
    let gw = start_gateway(
        &saml_config(&w.metadata_file, &w.domain, "[limits]\nmax_body_bytes = 8192\n")
            .replace("[limits]\nrate_limit_per_minute = 6000\nrate_limit_burst = 1000\n", ""),
        w.emulator.sdk_config(),
        None,
    )
    .await;
    let json = client()
        .post(gw.acs())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!((json.status().as_u16(), error_code(&json)), (400, "bad_request".into()));
    let empty = client()
        .post(gw.acs())
        .form(&[("RelayState", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(&empty), "bad_request");
    let large = post_acs(&gw, &"A".repeat(20_000), &[]).await;
    assert_eq!(
        (large.status().as_u16(), error_code(&large)),
        (413, "saml.too_large".into())
    );
    let body = large.text().await.unwrap();
    assert!(body.contains("larger than"), "{body}");
}

#[tokio::test]
async fn each_client_address_is_rate_limited_and_health_is_not() {
    let w = world().await;
    let config = saml_config(&w.metadata_file, &w.domain, "")
        .replace("rate_limit_per_minute = 6000", "rate_limit_per_minute = 1")
        .replace("rate_limit_burst = 1000", "rate_limit_burst = 2");
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let codes: Vec<String> = codes_in_sequence(3, || post_acs(&gw, "bm90IGEgcmVzcG9uc2U=", &[])).await;
    assert_eq!(codes[2], "rate_limited", "{codes:?}");
    for _ in 0..5 {
        let health = client().get(format!("{}/healthz", gw.url)).send().await.unwrap();
        assert_eq!(health.status(), 200);
    }
}

/// Runs `n` requests one after the other and returns their refusal codes.
async fn codes_in_sequence<F, Fut>(n: usize, request: F) -> Vec<String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let mut codes = Vec::new();
    for _ in 0..n {
        codes.push(error_code(&request().await));
    }
    codes
}
