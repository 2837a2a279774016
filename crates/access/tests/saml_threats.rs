//! Every SAML row of `federation-threats.md`, through the gateway's HTTP entry point
//! (`POST /saml/acs` as a browser sends it): each attack is refused with a 4xx, its own code in
//! `X-Studio-Fed-Error`, an audit record, and nothing of the assertion in the answer or the log.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use studio_fed_access::audit::Outcome;
use studio_fed_testkit::saml_idp::Sign;
use studio_fed_testkit::saml_idp::threats::{COMMENT_INJECTION_FULL_TEXT, Target, catalog, comment_injected};
use support::*;

fn target(w: &World, gw: &TestGateway) -> Target {
    Target::new(format!("{}/", gw.acs()), gw.acs())
        .name_id(USER)
        .attribute("username", [USER])
        .attribute("domain-id", [w.domain.as_str()])
}

#[tokio::test]
async fn every_threat_of_the_catalog_is_refused_with_its_own_code() {
    let w = world().await;
    let gw = start_gateway(
        &saml_config(&w.metadata_file, &w.domain, ""),
        w.emulator.sdk_config(),
        None,
    )
    .await;
    let target = target(&w, &gw);

    // The base response of every mutation is accepted: the refusals below are the attacks'.
    let control = target.response(&w.idp).build().unwrap();
    assert_eq!(post_acs(&gw, &control.base64(), &[]).await.status(), 303);

    let threats = catalog(&w.idp, &target).unwrap();
    assert!(threats.len() > 50, "the catalog has {} entries", threats.len());
    let mut failures = Vec::new();
    for threat in &threats {
        let answer = post_acs(&gw, &threat.form_value, &[]).await;
        let (status, code) = (answer.status(), error_code(&answer));
        let body = answer.text().await.unwrap();
        let expected = format!("saml.{}", threat.expected_code);
        if !status.is_client_error() || code != expected {
            failures.push(format!("{}: {status} {code}, expected 4xx {expected}", threat.name));
        }
        if body.contains(USER) || (threat.form_value.len() > 40 && body.contains(&threat.form_value[..40])) {
            failures.push(format!("{}: the answer shows the assertion's contents", threat.name));
        }
        let event = gw.audit.events().pop().unwrap();
        if event.outcome != Outcome::Refused || event.code.as_deref() != Some(expected.as_str()) || event.user.is_some()
        {
            failures.push(format!("{}: audit record {event:?}", threat.name));
        }
        if serde_json::to_string(&event).unwrap().contains(USER) {
            failures.push(format!(
                "{}: the audit record holds the assertion's contents",
                threat.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was opened by an attack.
    let opened = gw
        .audit
        .events()
        .iter()
        .filter(|e| e.outcome == Outcome::Allowed)
        .count();
    assert_eq!(opened, 1);
}

#[tokio::test]
async fn a_comment_injected_user_is_read_in_full_never_truncated() {
    let w = world().await;
    let config = saml_config(&w.metadata_file, &w.domain, "")
        .replace("user_attribute = \"username\"", "user_attribute = \"NameID\"");
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let response = comment_injected(&w.idp, &target(&w, &gw), sign).unwrap();
        let answer = post_acs(&gw, &response.base64(), &[]).await;
        // The full text is not a profile name, so the login is refused; what matters is which
        // user the gateway saw.
        assert_eq!(error_code(&answer), "invalid_profile_name", "{sign:?}");
        let event = gw.audit.events().pop().unwrap();
        assert_eq!(event.user.as_deref(), Some(COMMENT_INJECTION_FULL_TEXT), "{sign:?}");
    }
}

#[tokio::test]
async fn an_unsolicited_response_is_refused_when_idp_initiated_login_is_off() {
    let w = world().await;
    let config = saml_config(&w.metadata_file, &w.domain, "")
        .replace("allow_idp_initiated = true", "allow_idp_initiated = false");
    let gw = start_gateway(&config, w.emulator.sdk_config(), None).await;
    let unsolicited = identity_center(&w, &gw, USER, &w.domain);
    let answer = post_acs(&gw, &unsolicited.base64(), &[]).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "saml.unsolicited_response".into())
    );
    // A response to a request this gateway never sent.
    let unknown = target(&w, &gw)
        .response(&w.idp)
        .in_response_to("_never-sent")
        .build()
        .unwrap();
    let answer = post_acs(&gw, &unknown.base64(), &[]).await;
    assert_eq!(error_code(&answer), "saml.unknown_in_response_to");
}
