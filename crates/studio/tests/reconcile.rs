//! plan / apply / destroy against the local emulator: the round trip with
//! application assignments and the isolation report, drift, the API-call
//! budget of a no-op plan, and convergence after a faulty, interrupted apply.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use studio_fed_studio::deployment::Deployment;
use studio_fed_studio::directory::{
    Directory, DirectoryGroup, DirectoryUser, Member, MemberKind, SyncOptions, discover_identity_store, sync_directory,
};
use studio_fed_studio::reconcile::{
    Action, ApplyOptions, Backoff, Plan, ProgressMode, Resource, Step, apply, plan, plan_destroy,
};
use studio_fed_studio::report::isolation_report;
use studio_fed_testkit::emulator::{ACCOUNT_ID, Emulator};
use studio_fed_testkit::proxy::{FaultPlan, FaultProxy};

const DEPLOYMENT: &str = "acme";

/// A team: name, auth mode, users (user name, optional persona override).
struct TeamSpec {
    name: String,
    auth: &'static str,
    users: Vec<(String, Option<&'static str>)>,
}

fn team(name: &str, auth: &'static str, users: usize) -> TeamSpec {
    TeamSpec {
        name: name.to_owned(),
        auth,
        users: (0..users)
            .map(|i| (format!("{name}-user{i}@acme.example"), None))
            .collect(),
    }
}

fn group_name(team: &str) -> String {
    format!("ML-{team}")
}

const ADMIN_GROUP: &str = "ML-Admins";
const ADMIN_USER: &str = "root-admin@acme.example";

fn deployment_toml(teams: &[TeamSpec], admin: bool) -> String {
    let mut toml = format!("name = \"{DEPLOYMENT}\"\n");
    for (i, t) in teams.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[teams]]\nname = \"{}\"\ngroup = \"{}\"\npersona = \"data-scientist\"\n\n[teams.domain]\n\
             auth_mode = \"{}\"\nvpc_id = \"vpc-0a1b2c3d4e5f60718\"\nsubnets = [\"subnet-0a1b2c3d4e5f6{i:04}\"]\n\
             security_groups = [\"sg-0a1b2c3d4e5f6{i:04}\"]\ndefault_instance_type = \"ml.t3.medium\"\n\
             allowed_instance_types = [\"ml.t3.*\"]\ns3_buckets = [\"acme-data/{}\"]\n",
            t.name,
            group_name(&t.name),
            t.auth,
            t.name
        ));
        for (user, persona) in &t.users {
            toml.push_str(&format!("\n[[teams.users]]\nuser_name = \"{user}\"\n"));
            if let Some(persona) = persona {
                toml.push_str(&format!("persona = \"{persona}\"\n"));
            }
        }
    }
    if admin {
        toml.push_str(&format!("\n[admin]\ngroup = \"{ADMIN_GROUP}\"\n"));
    }
    toml.push_str(&format!(
        "\n[guardrails]\nallowed_instance_types = [\"ml.t3.*\", \"ml.m5.*\"]\ndeny_console_for_non_admins = {admin}\n"
    ));
    toml
}

/// The directory of the teams' users and groups, plus the admin group.
fn directory(teams: &[TeamSpec]) -> Directory {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut add_user = |name: &str| {
        let id = format!("id-{name}");
        users.push(DirectoryUser {
            id: id.clone(),
            user_principal_name: name.to_owned(),
            display_name: name.to_owned(),
            given_name: "Given".to_owned(),
            surname: "Family".to_owned(),
            mail: Some(name.to_owned()),
        });
        Member {
            kind: MemberKind::User,
            id,
        }
    };
    for t in teams {
        let members = t.users.iter().map(|(u, _)| add_user(u)).collect();
        groups.push(DirectoryGroup {
            id: format!("gid-{}", t.name),
            display_name: group_name(&t.name),
            description: None,
            members,
        });
    }
    let admin = add_user(ADMIN_USER);
    groups.push(DirectoryGroup {
        id: "gid-admins".to_owned(),
        display_name: ADMIN_GROUP.to_owned(),
        description: None,
        members: vec![admin],
    });
    Directory { users, groups }
}

fn options() -> ApplyOptions {
    ApplyOptions {
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max_interval: Duration::from_millis(400),
            timeout: Duration::from_secs(60),
        },
        progress: ProgressMode::Quiet,
        ..ApplyOptions::default()
    }
}

/// Syncs the directory and returns the deployment.
async fn setup(config: &SdkConfig, teams: &[TeamSpec], admin: bool) -> Deployment {
    let (_, store) = discover_identity_store(config).await.expect("identity store");
    sync_directory(config, &store, &directory(teams), SyncOptions::default())
        .await
        .expect("directory sync");
    Deployment::from_toml_str(&deployment_toml(teams, admin)).expect("deployment")
}

async fn plan_and_apply(config: &SdkConfig, deployment: &Deployment) -> Plan {
    let planned = plan(config, deployment).await.expect("plan");
    apply(config, &planned, &options()).await.expect("apply");
    planned
}

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
    sagemaker
        .create_domain()
        .domain_name("acme-foreign")
        .auth_mode(aws_sdk_sagemaker::types::AuthMode::Iam)
        .default_user_settings(
            aws_sdk_sagemaker::types::UserSettings::builder()
                .execution_role(format!("arn:aws:iam::{ACCOUNT_ID}:role/someone-else"))
                .build(),
        )
        .subnet_ids("subnet-0123456789abcdef0")
        .vpc_id("vpc-0123456789abcdef0")
        .send()
        .await
        .expect("foreign domain");

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
    let domains = sagemaker.list_domains().send().await.expect("domains");
    let names: Vec<&str> = domains.domains().iter().filter_map(|d| d.domain_name()).collect();
    assert_eq!(names, ["acme-foreign"]);
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

#[tokio::test]
async fn apply_converges_after_an_interrupted_apply_under_throttling_and_dropped_connections() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let teams = [team("red", "SSO", 5), team("blue", "IAM", 5)];
    let deployment = setup(config, &teams, true).await;

    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint");
    let proxy = FaultProxy::start(upstream, FaultPlan::new().throttle(0.3).drop_connection(0.1).seed(11))
        .await
        .expect("proxy");
    let faulty = emulator
        .sdk_config_via(&proxy.endpoint_url())
        .to_builder()
        .retry_config(RetryConfig::standard().with_max_attempts(10))
        .build();

    // Interrupted: the apply is dropped part-way.
    let planned = plan(&faulty, &deployment).await.expect("plan under faults");
    let interrupted = tokio::time::timeout(Duration::from_millis(1_500), apply(&faulty, &planned, &options())).await;
    assert!(
        interrupted.is_err(),
        "the apply finished before it could be interrupted"
    );

    // Plan and apply again, still under faults, until there is nothing left to do.
    let mut converged = false;
    for _ in 0..5 {
        let Ok(again) = plan(&faulty, &deployment).await else {
            continue;
        };
        if again.is_noop() {
            converged = true;
            break;
        }
        let _ = apply(&faulty, &again, &options()).await;
    }
    assert!(converged, "no convergence in 5 rounds");
    assert!(proxy.counts().total_faults() > 0, "faults were injected");

    let clean = plan(config, &deployment).await.expect("plan");
    assert!(clean.is_noop(), "{clean}");
    assert_eq!(clean.actual.profiles.len(), 10);
    let isolation = isolation_report(&deployment, &clean.desired, &clean.observed()).expect("report");
    assert!(isolation.is_isolated(), "{isolation}");
}
