//! Shared by the reconciler's emulator tests: teams, their deployment file and
//! directory, and fast apply options.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use aws_config::SdkConfig;
use studio_fed_studio::deployment::Deployment;
use studio_fed_studio::directory::{
    Directory, DirectoryGroup, DirectoryUser, Member, MemberKind, SyncOptions, discover_identity_store, sync_directory,
};
use studio_fed_studio::reconcile::{ApplyOptions, Backoff, Plan, ProgressMode, Retry, apply, plan};
use studio_fed_testkit::emulator::ACCOUNT_ID;

pub const DEPLOYMENT: &str = "acme";

/// A team: name, auth mode, users (user name, optional persona override).
pub struct TeamSpec {
    pub name: String,
    pub auth: &'static str,
    pub users: Vec<(String, Option<&'static str>)>,
}

pub fn team(name: &str, auth: &'static str, users: usize) -> TeamSpec {
    TeamSpec {
        name: name.to_owned(),
        auth,
        users: (0..users)
            .map(|i| (format!("{name}-user{i}@acme.example"), None))
            .collect(),
    }
}

pub fn group_name(team: &str) -> String {
    format!("ML-{team}")
}

pub const ADMIN_GROUP: &str = "ML-Admins";
pub const ADMIN_USER: &str = "root-admin@acme.example";

pub fn deployment_toml(teams: &[TeamSpec], admin: bool) -> String {
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
pub fn directory(teams: &[TeamSpec]) -> Directory {
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

pub fn options() -> ApplyOptions {
    ApplyOptions {
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max_interval: Duration::from_millis(400),
            timeout: Duration::from_secs(60),
        },
        retry: Retry {
            attempts: 12,
            initial: Duration::from_millis(50),
            max_interval: Duration::from_millis(800),
        },
        progress: ProgressMode::Quiet,
        ..ApplyOptions::default()
    }
}

/// Syncs the directory and returns the deployment.
pub async fn setup(config: &SdkConfig, teams: &[TeamSpec], admin: bool) -> Deployment {
    let (_, store) = discover_identity_store(config).await.expect("identity store");
    sync_directory(config, &store, &directory(teams), SyncOptions::default())
        .await
        .expect("directory sync");
    Deployment::from_toml_str(&deployment_toml(teams, admin)).expect("deployment")
}

pub async fn plan_and_apply(config: &SdkConfig, deployment: &Deployment) -> Plan {
    let planned = plan(config, deployment).await.expect("plan");
    apply(config, &planned, &options()).await.expect("apply");
    planned
}

/// Creates, by hand, an IAM-mode domain the deployment did not create.
pub async fn create_foreign_domain(sagemaker: &aws_sdk_sagemaker::Client, name: &str) {
    sagemaker
        .create_domain()
        .domain_name(name)
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
}

/// Creates, by hand, an untagged IAM role the deployment did not create.
pub async fn create_foreign_role(config: &SdkConfig, name: &str) {
    aws_sdk_iam::Client::new(config)
        .create_role()
        .role_name(name)
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("foreign role");
}

/// How many of the instance's permission sets have the admin permission set's name.
pub async fn permission_sets_named(config: &SdkConfig, plan: &Plan) -> usize {
    let name = &plan.desired.admin.as_ref().expect("admin").permission_set_name;
    let instance = &plan.actual.directory.instance_arn;
    let sso = aws_sdk_ssoadmin::Client::new(config);
    let arns = sso
        .list_permission_sets()
        .instance_arn(instance)
        .send()
        .await
        .expect("permission sets");
    let mut count = 0;
    for arn in arns.permission_sets() {
        let set = sso
            .describe_permission_set()
            .instance_arn(instance)
            .permission_set_arn(arn)
            .send()
            .await
            .expect("permission set");
        if set.permission_set().and_then(|s| s.name()) == Some(name.as_str()) {
            count += 1;
        }
    }
    count
}
