//! Just-in-time user profiles: the first login of a user without a profile creates it (team,
//! persona and created-by tags, the team's execution role), waits until it is InService and
//! redirects; concurrent first logins create it once; without `[jit] enabled`, or for a team
//! without an `execution_role`, nothing is ever created. The gateway's SageMaker calls go
//! through a counting proxy in front of the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use aws_sdk_sagemaker::types::UserProfileStatus;
use studio_fed_access::audit::Outcome;
use studio_fed_testkit::proxy::{FaultPlan, FaultProxy};
use support::*;

/// A user without a profile.
const NEW_USER: &str = "0d9c2a4e-5b6f-4c1d-8e7a-9f0b1c2d3e4f";
const CREATE: &str = "sagemaker:CreateUserProfile";

/// A SAML gateway configuration: team `vision` in `domain` with the execution role and persona
/// for new profiles; optionally team `nlp` in `nlp_domain` without an execution role.
fn jit_config(w: &World, jit: bool, nlp_domain: Option<&str>) -> String {
    let domain = &w.domain;
    let (allowed, nlp) = match nlp_domain {
        Some(nlp) => (
            format!("\"{domain}\", \"{nlp}\""),
            format!("[teams.nlp]\ndomain = \"{nlp}\"\npersona = \"data-scientist\"\n"),
        ),
        None => (format!("\"{domain}\""), String::new()),
    };
    format!(
        r#"
[gateway]
public_url = "{{URL}}"
[network]
allowed_cidrs = ["127.0.0.0/8"]
[profiles]
allowed_domains = [{allowed}]
[teams.vision]
domain = "{domain}"
execution_role = "{EXECUTION_ROLE}"
persona = "data-scientist"
{nlp}
[jit]
enabled = {jit}
wait_seconds = 30
[saml]
metadata_file = "{metadata_file}"
audience = "{{URL}}/saml/acs/"
allow_idp_initiated = true
user_attribute = "username"
domain_attribute = "domain-id"
[limits]
rate_limit_per_minute = 6000
rate_limit_burst = 1000
"#,
        metadata_file = w.metadata_file,
    )
}

/// A proxy counting the gateway's AWS calls, in front of the emulator.
async fn counting_proxy(w: &World) -> FaultProxy {
    let upstream = url::Url::parse(w.emulator.endpoint_url()).unwrap();
    FaultProxy::start(upstream, FaultPlan::new()).await.expect("proxy")
}

async fn start(w: &World, proxy: &FaultProxy, config: &str) -> TestGateway {
    start_gateway(config, &w.emulator.sdk_config_via(&proxy.endpoint_url()), None).await
}

/// The profile's tags, sorted.
async fn tags(w: &World, domain: &str, profile: &str) -> Vec<(String, String)> {
    let described = w
        .sagemaker
        .describe_user_profile()
        .domain_id(domain)
        .user_profile_name(profile)
        .send()
        .await
        .unwrap();
    let listed = w
        .sagemaker
        .list_tags()
        .resource_arn(described.user_profile_arn().unwrap())
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = listed
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
        .collect();
    tags.sort();
    tags
}

async fn profiles_in(w: &World, domain: &str) -> Vec<String> {
    let listed = w
        .sagemaker
        .list_user_profiles()
        .domain_id_equals(domain)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = listed
        .user_profiles()
        .iter()
        .map(|p| p.user_profile_name().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Asserts a 303 whose Location the emulator redeems for `profile`.
async fn assert_redeems(w: &World, answer: reqwest::Response, profile: &str) {
    assert_eq!(answer.status(), 303, "{:?} {}", answer.headers(), error_code(&answer));
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let redemption = w.emulator.redeem(&location).await.unwrap();
    assert!(redemption.valid, "{redemption:?}");
    assert_eq!(redemption.user_profile_name.as_deref(), Some(profile));
}

#[tokio::test]
async fn a_first_login_creates_the_profile_waits_for_it_and_redirects() {
    let w = world().await;
    let proxy = counting_proxy(&w).await;
    let gw = start(&w, &proxy, &jit_config(&w, true, None)).await;
    assert_eq!(profiles_in(&w, &w.domain).await, [USER]);

    let answer = post_acs(&gw, &identity_center(&w, &gw, NEW_USER, &w.domain).base64(), &[]).await;
    assert_redeems(&w, answer, NEW_USER).await;
    let counts = proxy.counts();
    assert_eq!(counts.received(CREATE), 1, "{counts:?}");
    // Looked up twice and found missing (before and after taking the creation lock), then asked
    // again after creating it until it was InService: the emulator shows a new profile Pending
    // once, so a gateway that did not wait would have asked at most twice.
    assert!(counts.received("sagemaker:DescribeUserProfile") >= 4, "{counts:?}");
    assert_eq!(counts.received("sagemaker:CreatePresignedDomainUrl"), 1, "{counts:?}");

    // The profile: the team's execution role and the gateway's tags.
    let profile = w
        .sagemaker
        .describe_user_profile()
        .domain_id(&w.domain)
        .user_profile_name(NEW_USER)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), Some(&UserProfileStatus::InService));
    assert_eq!(
        profile.user_settings().and_then(|s| s.execution_role()),
        Some(EXECUTION_ROLE)
    );
    let expected: Vec<(String, String)> = [
        ("studio-fed:created-by", "studio-fed-access"),
        ("studio-fed:persona", "data-scientist"),
        ("studio-fed:team", "vision"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(tags(&w, &w.domain, NEW_USER).await, expected);
    assert_eq!(profiles_in(&w, &w.domain).await, [NEW_USER, USER]);

    let event = gw.audit.events().pop().unwrap();
    assert_eq!(event.outcome, Outcome::Allowed);
    assert_eq!(event.profile.as_deref(), Some(NEW_USER));
    assert_eq!(event.team.as_deref(), Some("vision"));

    // The next login opens the same profile without creating anything.
    let answer = post_acs(&gw, &identity_center(&w, &gw, NEW_USER, &w.domain).base64(), &[]).await;
    assert_redeems(&w, answer, NEW_USER).await;
    assert_eq!(proxy.counts().received(CREATE), 1);
    // A user whose profile existed before is never created again.
    let answer = post_acs(&gw, &identity_center(&w, &gw, USER, &w.domain).base64(), &[]).await;
    assert_redeems(&w, answer, USER).await;
    assert_eq!(proxy.counts().received(CREATE), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_first_logins_create_one_profile() {
    let w = world().await;
    let proxy = counting_proxy(&w).await;
    let gw = start(&w, &proxy, &jit_config(&w, true, None)).await;

    // Each login with its own freshly signed response, all posted at once.
    let forms: Vec<String> = (0..10)
        .map(|_| identity_center(&w, &gw, NEW_USER, &w.domain).base64())
        .collect();
    let mut logins = tokio::task::JoinSet::new();
    for form in forms {
        let acs = gw.acs();
        logins.spawn(async move { client().post(acs).form(&[("SAMLResponse", form)]).send().await.unwrap() });
    }
    let answers = logins.join_all().await;
    assert_eq!(answers.len(), 10);
    for answer in answers {
        assert_redeems(&w, answer, NEW_USER).await;
    }

    let counts = proxy.counts();
    assert_eq!(counts.received(CREATE), 1, "{counts:?}");
    assert_eq!(counts.faults(CREATE), 0);
    assert_eq!(counts.received("sagemaker:CreatePresignedDomainUrl"), 10, "{counts:?}");
    assert_eq!(profiles_in(&w, &w.domain).await, [NEW_USER, USER]);
    let events = gw.audit.events();
    assert_eq!(events.len(), 10);
    assert!(events.iter().all(|e| e.outcome == Outcome::Allowed));
}

#[tokio::test]
async fn without_jit_a_missing_profile_is_not_found_and_never_created() {
    let w = world().await;
    let proxy = counting_proxy(&w).await;
    // The team has an execution role, but just-in-time creation is off.
    let gw = start(&w, &proxy, &jit_config(&w, false, None)).await;
    for _ in 0..2 {
        let answer = post_acs(&gw, &identity_center(&w, &gw, NEW_USER, &w.domain).base64(), &[]).await;
        assert_eq!(
            (answer.status().as_u16(), error_code(&answer)),
            (404, "profile_not_found".into())
        );
        assert!(answer.headers().get("location").is_none());
    }
    assert_eq!(proxy.counts().received(CREATE), 0);
    assert_eq!(profiles_in(&w, &w.domain).await, [USER]);
    // Existing profiles still open.
    let answer = post_acs(&gw, &identity_center(&w, &gw, USER, &w.domain).base64(), &[]).await;
    assert_redeems(&w, answer, USER).await;
}

#[tokio::test]
async fn a_team_without_an_execution_role_never_creates_profiles() {
    let w = world().await;
    let nlp = create_domain(&w.sagemaker, "nlp").await;
    let proxy = counting_proxy(&w).await;
    let gw = start(&w, &proxy, &jit_config(&w, true, Some(&nlp))).await;

    // Team nlp (no execution role): a missing profile is not found.
    for _ in 0..2 {
        let answer = post_acs(&gw, &identity_center(&w, &gw, NEW_USER, &nlp).base64(), &[]).await;
        assert_eq!(
            (answer.status().as_u16(), error_code(&answer)),
            (404, "profile_not_found".into())
        );
    }
    assert_eq!(proxy.counts().received(CREATE), 0);
    assert!(profiles_in(&w, &nlp).await.is_empty());
    let event = gw.audit.events().pop().unwrap();
    assert_eq!(event.team.as_deref(), Some("nlp"));
    assert_eq!(event.code.as_deref(), Some("profile_not_found"));

    // The same gateway creates profiles for team vision, which has one.
    let answer = post_acs(&gw, &identity_center(&w, &gw, NEW_USER, &w.domain).base64(), &[]).await;
    assert_redeems(&w, answer, NEW_USER).await;
    assert_eq!(proxy.counts().received(CREATE), 1);
    assert!(profiles_in(&w, &nlp).await.is_empty());
}

#[tokio::test]
async fn jit_never_takes_over_a_profile_of_another_team() {
    let w = world().await;
    create_profile(&w.sagemaker, &w.domain, "mallory", "nlp").await;
    let proxy = counting_proxy(&w).await;
    let gw = start(&w, &proxy, &jit_config(&w, true, None)).await;
    let answer = post_acs(&gw, &identity_center(&w, &gw, "mallory", &w.domain).base64(), &[]).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "wrong_team".into())
    );
    assert_eq!(proxy.counts().received(CREATE), 0);
    assert_eq!(
        tags(&w, &w.domain, "mallory").await,
        [("studio-fed:team".to_owned(), "nlp".to_owned())]
    );
}
