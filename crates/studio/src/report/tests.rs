use std::collections::{BTreeMap, BTreeSet};

use studio_fed_policy::document::Statement;

use super::*;
use crate::deployment::{AuthMode, Deployment};
use crate::reconcile::Desired;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";
/// A member of the admin group (the example lists no admin users).
const ADMIN: &str = "olivia.admin@contoso.example";

fn example() -> (Deployment, Desired) {
    let deployment = Deployment::from_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/azure_ad_studio.toml"
    ))
    .unwrap();
    let desired = Desired::new(&deployment, ACCOUNT, REGION).unwrap();
    (deployment, desired)
}

/// What a correct apply of `desired` leaves in AWS: the groups with the
/// listed users (and one admin), each SSO domain's application assigned to
/// its team's group, the desired profiles with their roles and tags, and the
/// admin permission set on the admin group.
fn observed(desired: &Desired) -> Observed {
    let mut observed = Observed::default();
    for (i, domain) in desired.domains.iter().enumerate() {
        observed
            .domain_ids
            .insert(domain.name.clone(), format!("d-{}{i:04}", domain.team));
        observed.group_members.insert(
            domain.group.clone(),
            desired.profiles_in(&domain.name).map(|p| p.user_name.clone()).collect(),
        );
        if domain.auth_mode == AuthMode::Sso {
            observed
                .app_assignments
                .insert(domain.name.clone(), BTreeSet::from([domain.group.clone()]));
        }
        let profiles = desired
            .profiles_in(&domain.name)
            .map(|p| ObservedProfile {
                name: p.name.clone(),
                sso_user: (domain.auth_mode == AuthMode::Sso).then(|| p.user_name.clone()),
                execution_role_arn: Some(p.execution_role_arn.clone()),
                tags: p.tags.clone(),
            })
            .collect();
        observed.profiles.insert(domain.name.clone(), profiles);
    }
    let admin = desired.admin.as_ref().unwrap();
    observed
        .group_members
        .insert(admin.group.clone(), BTreeSet::from([ADMIN.to_owned()]));
    observed.permission_sets.insert(
        admin.group.clone(),
        vec![(admin.permission_set_name.clone(), admin.inline_policy.clone())],
    );
    observed
}

fn run(deployment: &Deployment, desired: &Desired, observed: &Observed) -> IsolationReport {
    isolation_report(deployment, desired, observed).unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// Removes the statement `sid` from the guardrails inline policy of `role`.
fn drop_guardrail(desired: &mut Desired, role: &str, sid: &str) {
    let spec = &mut desired.roles.iter_mut().find(|r| r.spec.name == role).unwrap().spec;
    let guardrails = spec
        .permissions
        .inline_policies
        .iter_mut()
        .find(|p| p.name == format!("{role}-guardrails"))
        .unwrap();
    let before = guardrails.document.statements.len();
    guardrails.document.statements.retain(|s| s.sid.as_deref() != Some(sid));
    assert_eq!(guardrails.document.statements.len(), before - 1, "{sid} in {role}");
}

/// Gives `role` a hand-written policy allowing presigned URLs for any profile
/// (as AmazonSageMakerFullAccess would).
fn grant_presigned_urls(desired: &mut Desired, role: &str) {
    let spec = &mut desired.roles.iter_mut().find(|r| r.spec.name == role).unwrap().spec;
    spec.permissions = spec.permissions.clone().with_customer_managed(
        "hand-written-studio-launcher",
        PolicyDocument::new([Statement::allow()
            .with_sid("AnyStudioProfile")
            .with_actions(["sagemaker:CreatePresignedDomainUrl"])
            .with_resources(["*"])]),
    );
}

#[test]
fn a_correct_deployment_is_isolated() {
    let (deployment, desired) = example();
    let report = run(&deployment, &desired, &observed(&desired));
    assert!(report.is_isolated(), "{report}");
    assert!(report.errors().is_empty());

    // One row per listed user and the admin, sorted.
    let mut expected_users: Vec<String> = desired.profiles.iter().map(|p| p.user_name.clone()).collect();
    expected_users.push(ADMIN.to_owned());
    expected_users.sort();
    let users: Vec<String> = report.users.iter().map(|u| u.user.clone()).collect();
    assert_eq!(users, expected_users);

    // Each user opens exactly their own profile. SSO teams open it through
    // the portal. Nobody opens anything by presigned URL: the persona roles
    // (Run Studio Applications) have no Allow for CreatePresignedDomainUrl,
    // and the presigned-URL-admins-only guardrail (deny_console_for_non_admins)
    // explicitly denies it to every role but the admin permission set's. So
    // the IAM team (analytics) opens nothing at all.
    for profile in &desired.profiles {
        let row = report.user(&profile.user_name).unwrap();
        assert_eq!(row.teams, [profile.team.as_str()]);
        assert!(!row.admin);
        assert_eq!(row.persona.as_deref(), Some(profile.persona.slug()));
        assert_eq!(row.execution_role.as_deref(), Some(profile.execution_role_arn.as_str()));
        let domain = desired.domain(&profile.domain).unwrap();
        let expected_opens = match domain.auth_mode {
            AuthMode::Sso => vec![Open {
                domain: profile.domain.clone(),
                profile: profile.name.clone(),
                via: Via::Sso,
            }],
            AuthMode::Iam => vec![],
        };
        assert_eq!(row.opens, expected_opens, "{}", profile.user_name);
        assert!(!row.console, "{}", profile.user_name);
    }

    // Instance types: the team's allowlist intersected with the deployment's
    // (ml.t3.*, ml.m5.*, ml.g5.xlarge, ml.g5.2xlarge), over the candidates.
    let types_of = |team: &str| {
        let user = desired.profiles.iter().find(|p| p.team == team).unwrap();
        report.user(&user.user_name).unwrap().instance_types.clone()
    };
    assert_eq!(
        types_of("vision"),
        strings(&["ml.g5.2xlarge", "ml.g5.xlarge", "ml.t3.large", "ml.t3.medium"])
    );
    assert_eq!(
        types_of("forecasting"),
        strings(&["ml.m5.large", "ml.m5.xlarge", "ml.t3.large", "ml.t3.medium"])
    );
    // Analytics has no allowlist of its own: the deployment's alone.
    assert_eq!(
        types_of("analytics"),
        strings(&[
            "ml.g5.2xlarge",
            "ml.g5.xlarge",
            "ml.m5.large",
            "ml.m5.xlarge",
            "ml.t3.large",
            "ml.t3.medium"
        ])
    );
    // Every persona of a team gets the same types (alice: data scientist,
    // dana: MLOps).
    assert_eq!(
        report.user("alice@contoso.example").unwrap().instance_types,
        report.user("dana@contoso.example").unwrap().instance_types
    );

    // Only the admin group's member has the console; no team, no profile.
    let admin = report.user(ADMIN).unwrap();
    assert!(admin.console);
    assert!(admin.admin);
    assert!(admin.teams.is_empty());
    assert!(admin.opens.is_empty());
    assert!(admin.instance_types.is_empty());
    assert_eq!(admin.execution_role, None);
    assert_eq!(report.users.iter().filter(|u| u.console).count(), 1);
}

#[test]
fn a_user_in_a_second_teams_group_is_an_error_naming_both_teams() {
    let (deployment, desired) = example();
    let mut observed = observed(&desired);
    observed
        .group_members
        .get_mut("ML-Forecasting")
        .unwrap()
        .insert("alice@contoso.example".to_owned());
    let report = run(&deployment, &desired, &observed);
    assert!(!report.is_isolated());
    let alice = report.user("alice@contoso.example").unwrap();
    assert_eq!(alice.teams, ["forecasting", "vision"]);
    assert_eq!(
        alice.errors,
        [IsolationError::SeveralTeams {
            user: "alice@contoso.example".into(),
            teams: strings(&["forecasting", "vision"]),
        }]
    );
    let message = alice.errors[0].to_string();
    assert!(
        message.contains("forecasting") && message.contains("vision"),
        "{message}"
    );
    // Membership alone opens nothing in forecasting: alice has no profile there.
    assert!(alice.opens.iter().all(|o| o.domain == "contoso-ml-vision"));
    assert_eq!(report.errors().len(), 1, "{report}");
}

#[test]
fn a_profile_with_another_teams_role_is_an_error() {
    let (deployment, desired) = example();
    let mut observed = observed(&desired);
    let forecasting_role = role_arn("contoso-ml-forecasting-mlops");
    let bob = observed
        .profiles
        .get_mut("contoso-ml-vision")
        .unwrap()
        .iter_mut()
        .find(|p| p.name == "bob-martin-contoso-example")
        .unwrap();
    bob.execution_role_arn = Some(forecasting_role.clone());
    let report = run(&deployment, &desired, &observed);
    assert!(!report.is_isolated());
    let bob = report.user("bob.martin@contoso.example").unwrap();
    assert_eq!(bob.execution_role.as_deref(), Some(forecasting_role.as_str()));
    assert_eq!(
        bob.errors,
        [IsolationError::OtherTeamsRole {
            domain: "contoso-ml-vision".into(),
            profile: "bob-martin-contoso-example".into(),
            team: "vision".into(),
            role: forecasting_role,
            role_team: "forecasting".into(),
        }]
    );
    // The forecasting role's team-isolation guardrail now denies bob's apps
    // in his own (vision-tagged) profile: no instance type is allowed.
    assert!(bob.instance_types.is_empty());
    assert_eq!(report.errors().len(), 1, "{report}");
}

#[test]
fn a_profile_with_a_role_outside_the_deployment_is_an_error() {
    let (deployment, desired) = example();
    let mut observed = observed(&desired);
    let outsider = role_arn("AmazonSageMaker-ExecutionRole-20240101");
    observed
        .profiles
        .get_mut("contoso-ml-analytics")
        .unwrap()
        .push(ObservedProfile {
            name: "scratch".into(),
            sso_user: None,
            execution_role_arn: Some(outsider.clone()),
            tags: BTreeMap::new(),
        });
    let report = run(&deployment, &desired, &observed);
    // Nobody's profile: reported on its own.
    assert_eq!(
        report.profile_errors,
        [IsolationError::UnknownRole {
            domain: "contoso-ml-analytics".into(),
            profile: "scratch".into(),
            team: "analytics".into(),
            role: outsider,
        }]
    );
    assert!(!report.is_isolated());
}

#[test]
fn a_profile_for_a_user_of_another_team_is_an_error() {
    let (deployment, desired) = example();
    let mut observed = observed(&desired);
    // A forecasting profile made by hand for alice (vision), with the
    // forecasting role.
    observed
        .profiles
        .get_mut("contoso-ml-forecasting")
        .unwrap()
        .push(ObservedProfile {
            name: "alice-contoso-example".into(),
            sso_user: Some("alice@contoso.example".into()),
            execution_role_arn: Some(role_arn("contoso-ml-forecasting-mlops")),
            tags: desired.domain("contoso-ml-forecasting").unwrap().tags.clone(),
        });
    let report = run(&deployment, &desired, &observed);
    let alice = report.user("alice@contoso.example").unwrap();
    assert_eq!(
        alice.errors,
        [IsolationError::ProfileOutsideTeam {
            user: "alice@contoso.example".into(),
            domain: "contoso-ml-forecasting".into(),
            profile: "alice-contoso-example".into(),
            team: "forecasting".into(),
        }]
    );
    // Not assigned to forecasting's application, she cannot open it (yet).
    assert!(alice.opens.iter().all(|o| o.domain == "contoso-ml-vision"));

    // Once her group is assigned to forecasting's application too, she opens
    // it through the portal: a cross-team open.
    observed
        .app_assignments
        .get_mut("contoso-ml-forecasting")
        .unwrap()
        .insert("ML-Vision".into());
    let report = run(&deployment, &desired, &observed);
    let alice = report.user("alice@contoso.example").unwrap();
    assert!(alice.errors.contains(&IsolationError::OpensOtherTeam {
        user: "alice@contoso.example".into(),
        user_teams: strings(&["vision"]),
        domain: "contoso-ml-forecasting".into(),
        profile: "alice-contoso-example".into(),
        team: "forecasting".into(),
        via: Via::Sso,
    }));
}

#[test]
fn removing_the_team_isolation_guardrail_shows_cross_team_presigned_urls() {
    let (deployment, mut desired) = example();
    let observed_state = observed(&desired);
    let role = "contoso-ml-vision-data-scientist";
    let alice = "alice@contoso.example";

    // Without the admins-only statement, the persona alone opens nothing by
    // presigned URL: Run Studio Applications has no Allow for it.
    let mut without_admins_only = desired.clone();
    drop_guardrail(&mut without_admins_only, role, "DenyPresignedUrlExceptAdmins");
    let report = run(&deployment, &without_admins_only, &observed_state);
    assert!(
        report.users.iter().all(|u| u.opens.iter().all(|o| o.via == Via::Sso)),
        "{report}"
    );

    // So give alice's role a hand-written policy that allows presigned URLs
    // for any profile. The guardrails still hold: the admins-only statement
    // denies every presigned URL.
    grant_presigned_urls(&mut desired, role);
    let report = run(&deployment, &desired, &observed_state);
    assert!(report.is_isolated(), "{report}");
    assert!(
        !report
            .user(alice)
            .unwrap()
            .opens
            .iter()
            .any(|o| o.via == Via::PresignedUrl)
    );

    // Without the admins-only statement, team isolation still holds: alice
    // opens every vision profile by presigned URL, and no other team's.
    drop_guardrail(&mut desired, role, "DenyPresignedUrlExceptAdmins");
    let report = run(&deployment, &desired, &observed_state);
    assert!(report.is_isolated(), "{report}");
    let presigned: Vec<&Open> = report
        .user(alice)
        .unwrap()
        .opens
        .iter()
        .filter(|o| o.via == Via::PresignedUrl)
        .collect();
    assert_eq!(presigned.len(), desired.profiles_in("contoso-ml-vision").count());
    assert!(presigned.iter().all(|o| o.domain == "contoso-ml-vision"));

    // Without team isolation, every other team's profile opens: errors.
    drop_guardrail(&mut desired, role, "DenyOtherTeamsStudioResources");
    let report = run(&deployment, &desired, &observed_state);
    assert!(!report.is_isolated());
    let row = report.user(alice).unwrap();
    let others: Vec<&crate::reconcile::DesiredProfile> =
        desired.profiles.iter().filter(|p| p.team != "vision").collect();
    assert_eq!(row.errors.len(), others.len(), "{report}");
    for other in &others {
        assert!(
            row.errors.contains(&IsolationError::OpensOtherTeam {
                user: alice.into(),
                user_teams: strings(&["vision"]),
                domain: other.domain.clone(),
                profile: other.name.clone(),
                team: other.team.clone(),
                via: Via::PresignedUrl,
            }),
            "{}/{}: {report}",
            other.domain,
            other.name
        );
    }
    // The role is shared by vision's data scientists (alice, bob, chen): each
    // of them gets the same errors; dana (MLOps) and the other teams do not.
    let holders: Vec<&str> = desired
        .profiles
        .iter()
        .filter(|p| p.execution_role_arn == role_arn(role))
        .map(|p| p.user_name.as_str())
        .collect();
    assert_eq!(
        holders,
        [
            "alice@contoso.example",
            "bob.martin@contoso.example",
            "chen.wei@contoso.example"
        ]
    );
    for user in &report.users {
        let expected = if holders.contains(&user.user.as_str()) {
            others.len()
        } else {
            0
        };
        assert_eq!(user.errors.len(), expected, "{}: {report}", user.user);
    }
}

#[test]
fn json_has_the_report_fields() {
    let (deployment, desired) = example();
    let mut observed = observed(&desired);
    observed
        .group_members
        .get_mut("ML-Analytics")
        .unwrap()
        .insert("alice@contoso.example".to_owned());
    let report = run(&deployment, &desired, &observed);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["deployment"], "contoso-ml");
    assert_eq!(json["isolated"], false);
    assert_eq!(json["profile_errors"], serde_json::json!([]));
    let users = json["users"].as_array().unwrap();
    assert_eq!(users.len(), report.users.len());
    let alice = users.iter().find(|u| u["user"] == "alice@contoso.example").unwrap();
    assert_eq!(
        alice,
        &serde_json::json!({
            "user": "alice@contoso.example",
            "teams": ["analytics", "vision"],
            "admin": false,
            "persona": "data-scientist",
            "execution_role": "arn:aws:iam::123456789012:role/contoso-ml-vision-data-scientist",
            "opens": [{"domain": "contoso-ml-vision", "profile": "alice-contoso-example", "via": "sso"}],
            "instance_types": ["ml.g5.2xlarge", "ml.g5.xlarge", "ml.t3.large", "ml.t3.medium"],
            "console": false,
            "errors": [{
                "kind": "several_teams",
                "user": "alice@contoso.example",
                "teams": ["analytics", "vision"],
                "message": "alice@contoso.example is in teams analytics and vision; a user belongs to at most one team"
            }]
        })
    );
    let admin = users.iter().find(|u| u["user"] == ADMIN).unwrap();
    assert_eq!(admin["console"], true);
    assert_eq!(admin["persona"], serde_json::Value::Null);
}

#[test]
fn display_is_an_aligned_table_with_the_errors_below() {
    let (deployment, desired) = example();
    let report = run(&deployment, &desired, &observed(&desired));
    let text = report.to_string();
    println!("{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("user "), "{text}");
    for column in ["| team", "| persona", "| opens", "| instance types", "| console"] {
        assert!(lines[0].contains(column), "{column}: {text}");
    }
    // The separators line up in every row of the table.
    let bars = |line: &str| line.match_indices('|').map(|(i, _)| i).collect::<Vec<_>>();
    let header_bars = bars(lines[0]);
    let plus: Vec<usize> = lines[1].match_indices('+').map(|(i, _)| i).collect();
    assert_eq!(plus, header_bars);
    for row in &lines[2..2 + report.users.len()] {
        assert_eq!(bars(row), header_bars, "{row}");
    }
    assert!(text.contains("contoso-ml-vision/alice-contoso-example (SSO)"));
    assert!(text.ends_with("isolated: no cross-team access"));

    let mut observed = observed(&desired);
    observed
        .group_members
        .get_mut("ML-Forecasting")
        .unwrap()
        .insert("ivan@contoso.example".to_owned());
    let text = report_text(&deployment, &desired, &observed);
    assert!(
        text.ends_with(
            "1 cross-team access error(s):\n  - ivan@contoso.example is in teams analytics and forecasting; a user \
             belongs to at most one team"
        ),
        "{text}"
    );
}

fn report_text(deployment: &Deployment, desired: &Desired, observed: &Observed) -> String {
    run(deployment, desired, observed).to_string()
}

#[test]
fn errors_when_the_policies_or_the_observations_cannot_be_evaluated() {
    let (deployment, mut desired) = example();
    let mut observed = observed(&desired);
    observed.domain_ids.remove("contoso-ml-vision");
    assert_eq!(
        isolation_report(&deployment, &desired, &observed).unwrap_err(),
        ReportError::MissingDomainId {
            domain: "contoso-ml-vision".into()
        }
    );
    let observed = self::observed(&desired);
    desired.roles[0].spec.permissions.managed_policy_arns =
        vec!["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess".into()];
    let error = isolation_report(&deployment, &desired, &observed).unwrap_err();
    assert!(matches!(error, ReportError::ManagedPolicyArn { .. }), "{error}");
}

#[test]
fn candidates_are_the_concrete_allowlisted_types_and_the_catalogue() {
    let (deployment, _) = example();
    let candidates = candidate_instance_types(&deployment);
    let mut expected: Vec<String> = strings(&CATALOGUE_INSTANCE_TYPES);
    expected.sort();
    // The example's concrete types (ml.g5.xlarge, ml.g5.2xlarge) are in the catalogue.
    assert_eq!(candidates, expected);
    let mut deployment = deployment;
    deployment.guardrails.allowed_instance_types.push("ml.r5.large".into());
    assert!(candidate_instance_types(&deployment).contains(&"ml.r5.large".to_owned()));
    assert!(!candidate_instance_types(&deployment).iter().any(|t| t.contains('*')));
}

#[test]
fn first_host_of_a_cidr() {
    use super::compute::first_host;
    assert_eq!(first_host("203.0.113.0/24"), Some("203.0.113.1".parse().unwrap()));
    assert_eq!(first_host("10.20.0.0/16"), Some("10.20.0.1".parse().unwrap()));
    assert_eq!(first_host("198.51.100.7"), Some("198.51.100.7".parse().unwrap()));
    assert_eq!(first_host("198.51.100.7/32"), Some("198.51.100.7".parse().unwrap()));
    assert_eq!(first_host("2001:db8::/32"), Some("2001:db8::1".parse().unwrap()));
    assert_eq!(first_host("0.0.0.0/0"), Some("0.0.0.1".parse().unwrap()));
    assert_eq!(first_host("10.0.0.0/33"), None);
    assert_eq!(first_host("not-a-cidr"), None);
}
