//! plan / apply / destroy against the local emulator: the round trip with
//! application assignments and the isolation report, drift, the API-call
//! budget of a no-op plan, and convergence after a faulty, interrupted apply.

mod support;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use studio_fed_studio::deployment::Deployment;
use studio_fed_studio::reconcile::{Action, Plan, Resource, Step, apply, plan, plan_destroy};
use studio_fed_studio::report::isolation_report;
use studio_fed_testkit::emulator::{ACCOUNT_ID, Delays, Emulator};
use studio_fed_testkit::proxy::{FaultPlan, FaultProxy};
use support::{ADMIN_USER, TeamSpec, options, plan_and_apply, setup, team};

fn step_of(plan: &Plan, resource: &Resource) -> Step {
    plan.changes
        .iter()
        .find(|c| &c.resource == resource)
        .unwrap_or_else(|| panic!("{resource} not in the plan:\n{plan}"))
        .step
}

#[tokio::test]
async fn plan_apply_report_and_destroy_round_trip() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let mut vision = team("vision", "SSO", 3);
    vision.users[2].1 = Some("mlops");
    let teams = [vision, team("analytics", "IAM", 2)];
    let deployment = setup(config, &teams, true).await;

    // A domain named like the deployment's but not created by it.
    let sagemaker = aws_sdk_sagemaker::Client::new(config);
    support::create_foreign_domain(&sagemaker, "acme-foreign").await;

    let first = plan(config, &deployment).await.expect("plan");
    assert!(first.blockers.is_empty(), "{first}");
    let role = Resource::Role {
        name: "acme-vision-data-scientist".into(),
    };
    let compute = Resource::Role {
        name: "acme-vision-compute".into(),
    };
    let domain = Resource::Domain {
        name: "acme-vision".into(),
    };
    let profile = Resource::UserProfile {
        domain: "acme-vision".into(),
        name: "vision-user0-acme-example".into(),
    };
    let assignment = Resource::ApplicationAssignment {
        domain: "acme-vision".into(),
        group: "ML-vision".into(),
    };
    assert!(step_of(&first, &compute) < step_of(&first, &role));
    assert!(step_of(&first, &role) < step_of(&first, &domain));
    assert!(step_of(&first, &domain) < step_of(&first, &profile));
    assert!(step_of(&first, &profile) <= step_of(&first, &assignment));
    assert!(
        !first.changes.iter().any(
            |c| matches!(&c.resource, Resource::ApplicationAssignment { domain, .. } if domain == "acme-analytics")
        ),
        "IAM domains have no application: {first}"
    );
    assert!(first.changes.iter().all(|c| c.action == Action::Create), "{first}");
    let report = apply(config, &first, &options()).await.expect("apply");
    assert_eq!(report.applied.len(), first.changes.len());

    // A second plan is a no-op.
    let second = plan(config, &deployment).await.expect("second plan");
    assert!(second.is_noop(), "{second}");

    // The SSO profile opens Studio through Identity Center: the team group
    // is assigned to the domain's application, the profile is the user's.
    let vision_domain = &second.actual.domains["acme-vision"];
    let application = vision_domain.sso_application_arn.clone().expect("SSO application");
    let assigned = aws_sdk_ssoadmin::Client::new(config)
        .list_application_assignments()
        .application_arn(&application)
        .send()
        .await
        .expect("assignments");
    let group_id = &second.actual.directory.groups["ML-vision"];
    assert!(
        assigned
            .application_assignments()
            .iter()
            .any(|a| a.principal_id() == group_id),
        "{assigned:?}"
    );
    let described = sagemaker
        .describe_user_profile()
        .domain_id(&vision_domain.id)
        .user_profile_name("vision-user2-acme-example")
        .send()
        .await
        .expect("profile");
    assert_eq!(described.single_sign_on_user_identifier(), Some("UserName"));
    assert_eq!(described.single_sign_on_user_value(), Some("vision-user2@acme.example"));
    assert_eq!(
        described.user_settings().and_then(|s| s.execution_role()),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:role/acme-vision-mlops").as_str())
    );

    // Isolation: nobody reaches another team; only the admin has the console.
    let isolation = isolation_report(&deployment, &second.desired, &second.observed()).expect("report");
    assert!(isolation.is_isolated(), "{isolation}");
    let admin = isolation
        .users
        .iter()
        .find(|u| u.user == ADMIN_USER)
        .expect("admin row");
    assert!(admin.console, "{isolation}");
    assert!(
        isolation
            .users
            .iter()
            .filter(|u| u.user != ADMIN_USER)
            .all(|u| !u.console),
        "{isolation}"
    );

    // Destroy: everything the deployment made goes, the foreign domain stays, EFS is retained.
    let teardown = plan_destroy(config, &deployment).await.expect("destroy plan");
    assert!(
        teardown.changes.iter().all(|c| c.action == Action::Delete),
        "{teardown}"
    );
    let destroyed = apply(config, &teardown, &options()).await.expect("destroy");
    assert_eq!(
        destroyed.retained.iter().filter(|r| r.starts_with("EFS fs-")).count(),
        2,
        "{destroyed}"
    );
    assert_eq!(domain_names(&sagemaker).await, ["acme-foreign"]);
    let iam = aws_sdk_iam::Client::new(config);
    let roles = iam.list_roles().send().await.expect("roles");
    assert!(
        roles.roles().iter().all(|r| !r.role_name().starts_with("acme-")),
        "{:?}",
        roles.roles().iter().map(|r| r.role_name()).collect::<Vec<_>>()
    );
    let after = plan_destroy(config, &deployment).await.expect("destroy plan again");
    assert!(after.is_noop(), "{after}");
}

#[tokio::test]
async fn a_profile_role_changed_by_hand_is_exactly_the_drift() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let teams = [team("forecast", "IAM", 3)];
    let deployment = setup(config, &teams, false).await;
    let applied = plan_and_apply(config, &deployment).await;
    let domain_id = plan(config, &deployment).await.expect("plan").actual.domains["acme-forecast"]
        .id
        .clone();
    assert!(!applied.is_noop());

    let by_hand = format!("arn:aws:iam::{ACCOUNT_ID}:role/acme-forecast-compute");
    aws_sdk_sagemaker::Client::new(config)
        .update_user_profile()
        .domain_id(&domain_id)
        .user_profile_name("forecast-user1-acme-example")
        .user_settings(
            aws_sdk_sagemaker::types::UserSettings::builder()
                .execution_role(&by_hand)
                .build(),
        )
        .send()
        .await
        .expect("update by hand");

    let drift = plan(config, &deployment).await.expect("plan");
    assert_eq!(drift.changes.len(), 1, "{drift}");
    let change = &drift.changes[0];
    assert_eq!(
        change.resource,
        Resource::UserProfile {
            domain: "acme-forecast".into(),
            name: "forecast-user1-acme-example".into()
        }
    );
    let Action::Update { diff } = &change.action else {
        panic!("{drift}")
    };
    assert_eq!(diff.len(), 1, "{drift}");
    assert_eq!(diff[0].field, "execution_role");
    assert_eq!(diff[0].before, by_hand);
    assert_eq!(
        diff[0].after,
        format!("arn:aws:iam::{ACCOUNT_ID}:role/acme-forecast-data-scientist")
    );

    apply(config, &drift, &options()).await.expect("apply");
    let fixed = plan(config, &deployment).await.expect("plan");
    assert!(fixed.is_noop(), "{fixed}");
}

#[tokio::test]
async fn a_no_op_plan_of_1000_users_in_10_teams_costs_at_most_100_calls() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let teams: Vec<TeamSpec> = (0..10).map(|i| team(&format!("team{i}"), "SSO", 100)).collect();
    let deployment = setup(config, &teams, true).await;
    plan_and_apply(config, &deployment).await;

    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint");
    let proxy = FaultProxy::start(upstream, FaultPlan::new()).await.expect("proxy");
    let counted = emulator.sdk_config_via(&proxy.endpoint_url());
    let noop = plan(&counted, &deployment).await.expect("plan");
    assert!(noop.is_noop(), "{noop}");
    assert_eq!(noop.desired.profiles.len(), 1_000);
    let counts = proxy.counts();
    assert!(counts.total() <= 100, "{} calls: {counts:?}", counts.total());
    assert_eq!(counts.received("sagemaker:DescribeUserProfile"), 0, "{counts:?}");
}

/// The names of all domains, sorted.
async fn domain_names(sagemaker: &aws_sdk_sagemaker::Client) -> Vec<String> {
    let mut names: Vec<String> = sagemaker
        .list_domains()
        .send()
        .await
        .expect("domains")
        .domains()
        .iter()
        .filter_map(|d| d.domain_name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// A moment between 0.2 s and 3 s, different at each run (printed, to reproduce a failure).
fn random_kill_point() -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    Duration::from_millis(200 + random % 2_800)
}

/// Runs `plan` (or `plan_destroy`) and apply under faults until the plan is
/// empty; the first apply is killed at a random moment.
async fn converge(faulty: &aws_config::SdkConfig, deployment: &Deployment, destroy: bool) {
    let read = |config| async move {
        if destroy {
            plan_destroy(config, deployment).await
        } else {
            plan(config, deployment).await
        }
    };
    let kill_after = random_kill_point();
    let planned = read(faulty).await.expect("plan under faults");
    let killed = tokio::time::timeout(kill_after, apply(faulty, &planned, &options()))
        .await
        .is_err();
    println!(
        "{} apply killed after {kill_after:?}: {killed}",
        if destroy { "destroy" } else { "the" }
    );
    for _ in 0..6 {
        let Ok(again) = read(faulty).await else {
            continue;
        };
        if again.is_noop() {
            return;
        }
        let _ = apply(faulty, &again, &options()).await;
    }
    panic!("no convergence in 6 rounds");
}

/// The convergence test: an apply and a destroy under throttling and dropped
/// connections, each killed at a random moment and re-run, converge with no
/// duplicate and without touching what the deployment did not create.
async fn converges_after_killed_runs_under_faults(delays: Delays) {
    let emulator = Emulator::builder().delays(delays).start().await.expect("emulator");
    let config = emulator.sdk_config();
    let teams = [team("red", "SSO", 5), team("blue", "IAM", 5)];
    let deployment = setup(config, &teams, true).await;

    // Not the deployment's: a domain and a role named like its own.
    let sagemaker = aws_sdk_sagemaker::Client::new(config);
    support::create_foreign_role(config, "acme-foreign").await;
    support::create_foreign_domain(&sagemaker, "acme-foreign").await;

    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint");
    let proxy = FaultProxy::start(upstream, FaultPlan::new().throttle(0.3).drop_connection(0.1).seed(11))
        .await
        .expect("proxy");
    let faulty = emulator
        .sdk_config_via(&proxy.endpoint_url())
        .to_builder()
        .retry_config(RetryConfig::standard().with_max_attempts(10))
        .build();

    converge(&faulty, &deployment, false).await;
    assert!(proxy.counts().total_faults() > 0, "faults were injected");
    let clean = plan(config, &deployment).await.expect("plan");
    assert!(clean.is_noop(), "{clean}");
    assert_eq!(clean.actual.profiles.len(), 10);
    let isolation = isolation_report(&deployment, &clean.desired, &clean.observed()).expect("report");
    assert!(isolation.is_isolated(), "{isolation}");
    // No duplicate: one domain per name, one permission set of the admin's name.
    assert_eq!(
        domain_names(&sagemaker).await,
        ["acme-blue", "acme-foreign", "acme-red"]
    );
    assert_eq!(support::permission_sets_named(config, &clean).await, 1);

    converge(&faulty, &deployment, true).await;
    assert_eq!(
        domain_names(&sagemaker).await,
        ["acme-foreign"],
        "the foreign domain is left alone"
    );
    aws_sdk_iam::Client::new(config)
        .get_role()
        .role_name("acme-foreign")
        .send()
        .await
        .expect("the foreign role is left alone");
}

#[tokio::test]
async fn apply_and_destroy_converge_after_killed_runs_under_throttling_and_dropped_connections() {
    converges_after_killed_runs_under_faults(Delays::default()).await;
}

#[tokio::test]
async fn apply_and_destroy_converge_after_killed_runs_under_faults_with_slow_aws() {
    converges_after_killed_runs_under_faults(Delays::all(Duration::from_secs(1))).await;
}
