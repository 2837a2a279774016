//! The reconciler against AWS's asynchronous and eventually consistent
//! behaviours, as the emulator models them (`tests/emulator/README.md`):
//! Identity Center requests that settle later or fail, conflicts while one is
//! in flight, IAM role propagation, UpdateDomain to VpcOnly, throttling beyond
//! the SDK's retry budget, application assignments it no longer wants, and a
//! destroy that meets running apps and spaces.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_sagemaker::types::{AppType, OwnershipSettings, SharingType, SpaceSettings, SpaceSharingSettings};
use aws_sdk_ssoadmin::types::{PrincipalType, ProvisionTargetType, StatusValues, TargetType};
use studio_fed_studio::deployment::Deployment;
use studio_fed_studio::reconcile::{Action, ApplyOptions, Plan, Resource, apply, plan, plan_destroy};
use studio_fed_testkit::emulator::{ACCOUNT_ID, Delays, Emulator};
use studio_fed_testkit::proxy::{FaultPlan, FaultProxy};
use support::{ADMIN_GROUP, DEPLOYMENT, deployment_toml, group_name, options, plan_and_apply, setup, team};

/// Emulator delays long enough that a reconciler that does not wait is caught.
const SLOW: Duration = Duration::from_millis(1500);

/// The longest a destroy of a team with running apps and spaces may take here.
const DESTROY_BOUND: Duration = Duration::from_secs(90);

async fn slow_emulator(delays: Delays) -> Emulator {
    Emulator::builder().delays(delays).start().await.expect("emulator")
}

fn has_change(plan: &Plan, resource: &Resource, action: fn(&Action) -> bool) -> bool {
    plan.changes
        .iter()
        .any(|c| &c.resource == resource && action(&c.action))
}

#[tokio::test]
async fn apply_waits_for_identity_center_requests_and_retries_a_conflicting_write() {
    let emulator = slow_emulator(Delays {
        identity_center: Some(SLOW),
        ..Delays::default()
    })
    .await;
    let config = emulator.sdk_config();
    let deployment = setup(config, &[team("ops", "IAM", 1)], true).await;
    plan_and_apply(config, &deployment).await;

    // Read at once after apply: the account assignment has settled.
    let applied = plan(config, &deployment).await.expect("plan");
    let admins = applied.actual.directory.groups[ADMIN_GROUP].clone();
    let set = applied.actual.permission_set.clone().expect("permission set");
    assert!(set.assigned_groups.contains(&admins), "{set:?}");
    assert!(applied.is_noop(), "{applied}");

    // Drift by hand: the assignment removed and the session duration changed.
    let sso = aws_sdk_ssoadmin::Client::new(config);
    let instance = applied.actual.directory.instance_arn.clone();
    let deletion = sso
        .delete_account_assignment()
        .instance_arn(&instance)
        .target_id(ACCOUNT_ID)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(&set.arn)
        .principal_type(PrincipalType::Group)
        .principal_id(&admins)
        .send()
        .await
        .expect("delete by hand");
    let request = deletion
        .account_assignment_deletion_status()
        .and_then(|s| s.request_id())
        .expect("request id")
        .to_owned();
    let settle_by = Instant::now() + SLOW * 4;
    loop {
        let status = sso
            .describe_account_assignment_deletion_status()
            .instance_arn(&instance)
            .account_assignment_deletion_request_id(&request)
            .send()
            .await
            .expect("deletion status");
        if status.account_assignment_deletion_status().and_then(|s| s.status()) == Some(&StatusValues::Succeeded) {
            break;
        }
        assert!(Instant::now() < settle_by, "the deletion by hand did not settle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sso.update_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&set.arn)
        .session_duration("PT4H")
        .send()
        .await
        .expect("update by hand");
    let drift = plan(config, &deployment).await.expect("plan");
    let assignment = Resource::AccountAssignment {
        permission_set: set_name(&drift),
        group: ADMIN_GROUP.to_owned(),
    };
    assert!(has_change(&drift, &assignment, |a| *a == Action::Create), "{drift}");

    // A provisioning started by someone else is still in flight: apply's
    // first write on the permission set is a ConflictException, retried.
    sso.provision_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&set.arn)
        .target_type(ProvisionTargetType::AllProvisionedAccounts)
        .send()
        .await
        .expect("provision by hand");
    apply(config, &drift, &options())
        .await
        .expect("apply despite the conflict");

    let fixed = plan(config, &deployment).await.expect("plan");
    assert!(fixed.is_noop(), "{fixed}");
    assert!(
        fixed
            .actual
            .permission_set
            .expect("permission set")
            .assigned_groups
            .contains(&admins),
        "the assignment settled before apply returned"
    );
}

fn set_name(plan: &Plan) -> String {
    plan.desired.admin.as_ref().expect("admin").permission_set_name.clone()
}

#[tokio::test]
async fn a_failed_account_assignment_stops_apply_with_aws_reason() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let deployment = setup(config, &[team("ops", "IAM", 1)], true).await;
    let planned = plan(config, &deployment).await.expect("plan");

    // The admin group disappears between plan and apply: the assignment request fails.
    let admins = planned.actual.directory.groups[ADMIN_GROUP].clone();
    aws_sdk_identitystore::Client::new(config)
        .delete_group()
        .identity_store_id(&planned.actual.directory.identity_store_id)
        .group_id(&admins)
        .send()
        .await
        .expect("delete the group");
    let error = apply(config, &planned, &options())
        .await
        .expect_err("the assignment failed");
    let message = error.to_string();
    assert!(message.contains("failed"), "{message}");
    assert!(
        message.contains(&admins) && message.contains("does not exist in identity store"),
        "AWS's FailureReason is reported: {message}"
    );
}

#[tokio::test]
async fn domains_and_profiles_wait_until_their_new_roles_are_usable() {
    let emulator = slow_emulator(Delays {
        role_propagation: Some(SLOW),
        ..Delays::default()
    })
    .await;
    let config = emulator.sdk_config();
    let deployment = setup(config, &[team("geo", "IAM", 2)], false).await;
    let started = Instant::now();
    let applied = plan_and_apply(config, &deployment).await;
    let took = started.elapsed();
    println!("apply with {SLOW:?} of IAM propagation took {took:?}");
    assert!(
        applied
            .changes
            .iter()
            .any(|c| matches!(c.resource, Resource::Role { .. }) && c.action == Action::Create),
        "{applied}"
    );
    assert!(took >= SLOW, "CreateDomain cannot succeed before the role is usable");
    assert!(plan(config, &deployment).await.expect("plan").is_noop());
}

#[tokio::test]
async fn an_update_of_a_vpc_only_domain_sends_its_vpc_and_subnets() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let teams = [team("geo", "IAM", 1)];
    let deployment = setup(config, &teams, false).await;
    plan_and_apply(config, &deployment).await;

    let changed = deployment_toml(&teams, false).replace("sg-0a1b2c3d4e5f60000", "sg-0a1b2c3d4e5f69999");
    let changed = Deployment::from_toml_str(&changed).expect("deployment");
    let update = plan(config, &changed).await.expect("plan");
    let domain = Resource::Domain {
        name: format!("{DEPLOYMENT}-geo"),
    };
    assert!(
        has_change(&update, &domain, |a| matches!(a, Action::Update { .. })),
        "{update}"
    );
    apply(config, &update, &options())
        .await
        .expect("UpdateDomain to VpcOnly");
    let after = plan(config, &changed).await.expect("plan");
    assert!(after.is_noop(), "{after}");
    let described = &after.actual.domains[&format!("{DEPLOYMENT}-geo")];
    assert_eq!(described.app_network_access_type, "VpcOnly");
    assert_eq!(described.security_groups, ["sg-0a1b2c3d4e5f69999"]);
}

#[tokio::test]
async fn throttling_beyond_the_sdk_retry_budget_is_retried_with_backoff() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let deployment = setup(config, &[team("fin", "IAM", 4)], false).await;
    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint");
    let operation = "sagemaker:CreateUserProfile";
    let proxy = FaultProxy::start(
        upstream,
        FaultPlan::new().throttle(0.8).seed(5).only_operations([operation]),
    )
    .await
    .expect("proxy");
    // The SDK's default standard retry mode: 3 attempts per call.
    let throttled = emulator.sdk_config_via(&proxy.endpoint_url());

    let planned = plan(&throttled, &deployment).await.expect("plan");
    apply(&throttled, &planned, &options())
        .await
        .expect("apply despite throttling");

    let counts = proxy.counts().operation(operation);
    assert_eq!(counts.forwarded, 4, "each profile created once: {counts:?}");
    // Each SDK call that succeeded was throttled at most twice; more throttles
    // mean some call used up the SDK's budget and apply retried it.
    assert!(counts.throttled > 2 * counts.forwarded, "{counts:?}");
    assert!(plan(config, &deployment).await.expect("plan").is_noop());
}

#[tokio::test]
async fn assignments_no_longer_wanted_are_removed_and_user_assignments_reported() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator.sdk_config();
    let deployment = setup(config, &[team("vision", "SSO", 1)], false).await;
    let applied = plan_and_apply(config, &deployment).await;
    let domain = format!("{DEPLOYMENT}-vision");
    let application = plan(config, &deployment).await.expect("plan").actual.domains[&domain]
        .sso_application_arn
        .clone()
        .expect("SSO application");

    // By hand: another group (say the team's former group) and one user.
    let store = applied.actual.directory.identity_store_id.clone();
    let identity = aws_sdk_identitystore::Client::new(config);
    let former = identity
        .create_group()
        .identity_store_id(&store)
        .display_name("ML-vision-former")
        .send()
        .await
        .expect("group")
        .group_id()
        .to_owned();
    let user = applied.actual.directory.users["vision-user0@acme.example"].clone();
    let sso = aws_sdk_ssoadmin::Client::new(config);
    for (kind, id) in [(PrincipalType::Group, &former), (PrincipalType::User, &user)] {
        sso.create_application_assignment()
            .application_arn(&application)
            .principal_type(kind)
            .principal_id(id)
            .send()
            .await
            .expect("assign by hand");
    }

    let cleanup = plan(config, &deployment).await.expect("plan");
    let stale = Resource::ApplicationAssignment {
        domain: domain.clone(),
        group: former.clone(),
    };
    assert!(has_change(&cleanup, &stale, |a| *a == Action::Delete), "{cleanup}");
    assert_eq!(cleanup.changes.len(), 1, "{cleanup}");
    assert!(
        cleanup
            .warnings
            .iter()
            .any(|w| w.contains(&user) && w.contains("left alone")),
        "{cleanup}"
    );
    apply(config, &cleanup, &options()).await.expect("apply");

    let listed = sso
        .list_application_assignments()
        .application_arn(&application)
        .send()
        .await
        .expect("assignments");
    let mut principals: Vec<&str> = listed
        .application_assignments()
        .iter()
        .map(|a| a.principal_id())
        .collect();
    principals.sort_unstable();
    let team_group = applied.actual.directory.groups[&group_name("vision")].as_str();
    let mut expected = vec![team_group, user.as_str()];
    expected.sort_unstable();
    assert_eq!(
        principals, expected,
        "the former group's assignment is gone, the user's stays"
    );
}

/// Starts a JupyterLab app in a private space of the first profile, a Code
/// Editor app in a space shared by the second, and a JupyterLab app of the
/// first profile itself.
async fn start_apps_and_spaces(sagemaker: &aws_sdk_sagemaker::Client, domain_id: &str, owners: [&str; 2]) {
    let spaces = [
        (
            "private-notebooks",
            owners[0],
            SharingType::Private,
            AppType::JupyterLab,
        ),
        ("shared-editor", owners[1], SharingType::Shared, AppType::CodeEditor),
    ];
    for (space, owner, sharing, app_type) in spaces {
        sagemaker
            .create_space()
            .domain_id(domain_id)
            .space_name(space)
            .ownership_settings(OwnershipSettings::builder().owner_user_profile_name(owner).build())
            .space_sharing_settings(SpaceSharingSettings::builder().sharing_type(sharing).build())
            .space_settings(SpaceSettings::builder().app_type(app_type.clone()).build())
            .send()
            .await
            .expect("space");
        sagemaker
            .create_app()
            .domain_id(domain_id)
            .space_name(space)
            .app_type(app_type)
            .app_name("default")
            .send()
            .await
            .expect("space app");
    }
    sagemaker
        .create_app()
        .domain_id(domain_id)
        .user_profile_name(owners[0])
        .app_type(AppType::JupyterLab)
        .app_name("default")
        .send()
        .await
        .expect("profile app");
}

/// Applies a team with admin, starts apps and spaces, destroys, and checks
/// that nothing of the deployment is left; returns the EFS states.
async fn destroy_with_live_apps(emulator: &Emulator, delete_efs: bool) -> Vec<String> {
    let config = emulator.sdk_config();
    let deployment = setup(config, &[team("vision", "SSO", 2)], true).await;
    plan_and_apply(config, &deployment).await;
    let applied = plan(config, &deployment).await.expect("plan");
    let domain_id = applied.actual.domains[&format!("{DEPLOYMENT}-vision")].id.clone();
    let sagemaker = aws_sdk_sagemaker::Client::new(config);
    start_apps_and_spaces(
        &sagemaker,
        &domain_id,
        ["vision-user0-acme-example", "vision-user1-acme-example"],
    )
    .await;

    let teardown = plan_destroy(config, &deployment).await.expect("destroy plan");
    let apps = teardown
        .changes
        .iter()
        .filter(|c| matches!(c.resource, Resource::App { .. }))
        .count();
    let spaces = teardown
        .changes
        .iter()
        .filter(|c| matches!(c.resource, Resource::Space { .. }))
        .count();
    assert_eq!((apps, spaces), (3, 2), "{teardown}");
    let started = Instant::now();
    let report = apply(
        config,
        &teardown,
        &ApplyOptions {
            delete_efs,
            ..options()
        },
    )
    .await
    .expect("destroy");
    let took = started.elapsed();
    println!("destroy with {apps} running apps and {spaces} spaces converged in {took:?} (bound {DESTROY_BOUND:?})");
    assert!(
        took < DESTROY_BOUND,
        "destroy took {took:?}, more than {DESTROY_BOUND:?}"
    );
    let retained = report.retained.iter().any(|r| r.starts_with("EFS fs-"));
    assert_eq!(retained, !delete_efs, "{report}");

    let after = plan_destroy(config, &deployment).await.expect("destroy plan again");
    assert!(after.is_noop(), "{after}");
    assert!(after.actual.domains.is_empty(), "{:?}", after.actual.domains);
    emulator
        .efs_file_systems()
        .await
        .expect("EFS volumes")
        .into_iter()
        .filter(|fs| fs.domain_id == domain_id)
        .map(|fs| fs.state)
        .collect()
}

#[tokio::test]
async fn destroy_meets_running_apps_and_spaces_and_keeps_home_efs_with_slow_aws() {
    let emulator = slow_emulator(Delays::all(SLOW)).await;
    assert_eq!(destroy_with_live_apps(&emulator, false).await, ["retained"]);
}

#[tokio::test]
async fn destroy_deletes_home_efs_only_when_asked() {
    let emulator = Emulator::start().await.expect("emulator");
    assert_eq!(destroy_with_live_apps(&emulator, true).await, ["deleted"]);
}
