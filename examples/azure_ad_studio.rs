//! The main scenario: SageMaker Studio for three ML teams whose people come
//! from Azure AD (Entra ID) through IAM Identity Center, from a deployment
//! file (`examples/azure_ad_studio.toml`) to working, isolated Studio access
//! and back.
//!
//! 1. the directory: Entra ID's users and groups in the identity store
//!    (locally from `examples/azure_ad_directory.json`, a Graph-style export
//!    standing in for Entra ID's SCIM provisioning);
//! 2. plan and apply the deployment, then the isolation report: no user
//!    reaches another team's profiles;
//! 3. every user's profile opens Studio: through Identity Center for the SSO
//!    teams, through a presigned URL for the IAM-mode team;
//! 4. a second plan has nothing to change;
//! 5. destroy, keeping (and listing) the users' home file systems.
//!
//! ```sh
//! cargo run --example azure_ad_studio                      # local emulator
//! cargo run --example azure_ad_studio -- --target aws \
//!     --deployment my-deployment.toml [--yes]
//! ```
//!
//! With `--target aws`, edit a copy of the deployment file first: its
//! `[identity_center]` table (or remove it to discover the instance), VPC,
//! subnet, security-group and KMS ids are placeholders.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Parser;
use common::{Environment, TargetArgs, step};
use studio_fed::studio::deployment::{AuthMode, Deployment};
use studio_fed::studio::directory::{Directory, SyncOptions, discover_identity_store, sync_directory};
use studio_fed::studio::reconcile::{ApplyOptions, Plan, apply, plan, plan_destroy};
use studio_fed::studio::report::{Observed, isolation_report};

const DEFAULT_DEPLOYMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/azure_ad_studio.toml");
const DEFAULT_DIRECTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/azure_ad_directory.json");

/// Studio domains for Entra ID teams: sync, plan, apply, report, open, destroy.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The deployment file.
    #[arg(long, default_value = DEFAULT_DEPLOYMENT)]
    deployment: PathBuf,
    /// The directory export synced into the local identity store (ignored with --target aws).
    #[arg(long, default_value = DEFAULT_DIRECTORY)]
    directory: PathBuf,
    /// Keep the deployment at the end instead of destroying it.
    #[arg(long)]
    keep: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::exit_code(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), String> {
    let env = Environment::start(&args.target).await?;
    let mut deployment = Deployment::from_file(&args.deployment).map_err(|e| e.to_string())?;
    let config = env.sdk_config_in(deployment.region.as_deref());
    println!(
        "deployment {}: {} teams, {} users, admin group {}",
        deployment.name,
        deployment.teams.len(),
        deployment.teams.iter().map(|t| t.users.len()).sum::<usize>(),
        deployment.admin.as_ref().map_or("(none)", |a| a.group.as_str())
    );

    step("1. Directory: Entra ID users and groups in the IAM Identity Center identity store");
    if env.is_local() {
        // The file's [identity_center] names a real account's instance; the
        // emulator has its own, with generated ids (and a store id that is not
        // AWS's d-0123456789 shape, which the deployment's validation would
        // refuse). So drop the table: the reconciler then discovers the
        // instance (sso-admin ListInstances), as `discover_identity_store` does here.
        let (instance_arn, identity_store_id) = discover_identity_store(&config).await.map_err(|e| e.to_string())?;
        println!("emulator's Identity Center instance {instance_arn}, identity store {identity_store_id}");
        deployment.identity_center = None;
        let directory = Directory::from_path(&args.directory).map_err(|e| e.to_string())?;
        let flattened = directory.effective_members().map_err(|e| e.to_string())?;
        println!(
            "{}: {} users, {} groups (nested groups flattened: ML-Platform-Admins has {} member(s))",
            args.directory.display(),
            directory.users.len(),
            directory.groups.len(),
            flattened.get("ML-Platform-Admins").map_or(0, BTreeSet::len)
        );
        let report = sync_directory(&config, &identity_store_id, &directory, SyncOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "directory sync of identity store {}: {} change(s), {} unchanged",
            report.identity_store_id,
            report.changes(),
            report.unchanged
        );
    } else {
        println!(
            "skipped with --target aws: Entra ID's SCIM provisioning (Identity Center > Settings > Automatic \
             provisioning) fills the identity store; the groups of the deployment must be assigned to the \
             Identity Center enterprise application in Entra ID"
        );
    }

    step("2. Plan, apply, isolation report");
    let first = plan(&config, &deployment).await.map_err(|e| e.to_string())?;
    print!("{first}");
    if !first.blockers.is_empty() {
        return Err("the plan is blocked".into());
    }
    if !first.is_noop() {
        env.confirm(&format!(
            "apply {} change(s) to {}",
            first.changes.len(),
            first.deployment
        ))?;
        let report = apply(&config, &first, &ApplyOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        print!("{report}");
    }
    let applied = plan(&config, &deployment).await.map_err(|e| e.to_string())?;
    let observed = applied.observed();
    let report = isolation_report(&deployment, &applied.desired, &observed).map_err(|e| e.to_string())?;
    println!("{report}");
    if !report.is_isolated() {
        return Err(format!(
            "{} cross-team access error(s): the teams are not isolated",
            report.errors().len()
        ));
    }

    step("3. Every user's profile opens Studio");
    open_through_identity_center(&applied, &observed)?;
    open_with_presigned_urls(&env, &config, &applied, &observed).await?;

    step("4. Plan again: nothing to change");
    let second = plan(&config, &deployment).await.map_err(|e| e.to_string())?;
    print!("{second}");
    if !second.is_noop() {
        return Err(format!(
            "the second plan has {} change(s); apply is not idempotent",
            second.changes.len()
        ));
    }
    let again = apply(&config, &second, &ApplyOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    if !again.applied.is_empty() {
        return Err(format!("the second apply made {} change(s)", again.applied.len()));
    }
    println!("second apply: {} change(s), a no-op", again.applied.len());

    if args.keep {
        println!(
            "\n--keep: the deployment stays; destroy it with `studio-fed destroy -f {}`",
            args.deployment.display()
        );
        return Ok(());
    }
    step("5. Destroy (the users' home EFS file systems are kept)");
    destroy(&env, &config, &deployment).await
}

/// The SSO teams: AWS documents `CreatePresignedDomainUrl` for IAM-mode
/// domains only, so a user opens an SSO domain from the Identity Center
/// portal. That works when the user is in the team's group, the group is
/// assigned to the domain's Identity Center application, and the user's
/// profile names the user as its `SingleSignOnUserValue`.
fn open_through_identity_center(plan: &Plan, observed: &Observed) -> Result<(), String> {
    for domain in plan.desired.domains.iter().filter(|d| d.auth_mode == AuthMode::Sso) {
        let assigned = observed
            .app_assignments
            .get(&domain.name)
            .is_some_and(|groups| groups.contains(&domain.group));
        if !assigned {
            return Err(format!(
                "group {} is not assigned to the Identity Center application of {}",
                domain.group, domain.name
            ));
        }
        println!(
            "{} (SSO): group {} is assigned to the domain's Identity Center application",
            domain.name, domain.group
        );
        for profile in plan.desired.profiles_in(&domain.name) {
            let member = observed
                .group_members
                .get(&domain.group)
                .is_some_and(|members| members.contains(&profile.user_name));
            let sso_user = observed
                .profiles
                .get(&domain.name)
                .and_then(|profiles| profiles.iter().find(|p| p.name == profile.name))
                .and_then(|p| p.sso_user.clone());
            if !member || sso_user.as_deref() != Some(profile.user_name.as_str()) {
                return Err(format!(
                    "{} cannot open {}/{}: member of {}: {member}, SingleSignOnUserValue {sso_user:?}",
                    profile.user_name, domain.name, profile.name, domain.group
                ));
            }
            println!(
                "  {:<28} member of {}, profile {} (SingleSignOnUserValue {}): opens from the portal",
                profile.user_name, domain.group, profile.name, profile.user_name
            );
        }
    }
    Ok(())
}

/// The IAM-mode team: a short-lived presigned URL per profile, redeemed once
/// locally the way a browser opens it.
async fn open_with_presigned_urls(
    env: &Environment,
    config: &aws_config::SdkConfig,
    plan: &Plan,
    observed: &Observed,
) -> Result<(), String> {
    let sagemaker = aws_sdk_sagemaker::Client::new(config);
    for domain in plan.desired.domains.iter().filter(|d| d.auth_mode == AuthMode::Iam) {
        let domain_id = observed
            .domain_ids
            .get(&domain.name)
            .ok_or_else(|| format!("domain {} was not found after apply", domain.name))?;
        println!(
            "{} ({domain_id}, IAM): a presigned URL per profile, valid 60 s",
            domain.name
        );
        for profile in plan.desired.profiles_in(&domain.name) {
            let url = sagemaker
                .create_presigned_domain_url()
                .domain_id(domain_id)
                .user_profile_name(&profile.name)
                .expires_in_seconds(60)
                .send()
                .await
                .map_err(|e| format!("CreatePresignedDomainUrl for {}: {e}", profile.name))?
                .authorized_url
                .ok_or_else(|| format!("CreatePresignedDomainUrl for {} returned no URL", profile.name))?;
            // The token in the URL signs in as the profile: never print it.
            let shown = url.split_once('?').map_or(url.as_str(), |(base, _)| base);
            match &env.emulator {
                Some(emulator) => {
                    let redemption = emulator.redeem(&url).await.map_err(|e| e.to_string())?;
                    let opened = redemption.user_profile_name.as_deref() == Some(profile.name.as_str())
                        && redemption.domain_id.as_deref() == Some(domain_id.as_str());
                    if !redemption.valid || !opened {
                        return Err(format!(
                            "the presigned URL of {} did not open Studio: {}",
                            profile.name, redemption.reason
                        ));
                    }
                    println!(
                        "  {:<28} {shown}?token=...: opened Studio as {}",
                        profile.user_name, profile.name
                    );
                    let replay = emulator.redeem(&url).await.map_err(|e| e.to_string())?;
                    if replay.valid {
                        return Err(format!("the presigned URL of {} opened Studio twice", profile.name));
                    }
                    println!("  {:<28} the same URL again: refused ({})", "", replay.reason);
                }
                None => println!(
                    "  {:<28} {shown}?token=... (open it within 60 s from an allowed network)",
                    profile.user_name
                ),
            }
        }
    }
    Ok(())
}

async fn destroy(env: &Environment, config: &aws_config::SdkConfig, deployment: &Deployment) -> Result<(), String> {
    let teardown = plan_destroy(config, deployment).await.map_err(|e| e.to_string())?;
    print!("{teardown}");
    if !teardown.blockers.is_empty() {
        return Err("the destroy plan is blocked".into());
    }
    env.confirm(&format!(
        "delete {} resource(s) of {}",
        teardown.changes.len(),
        teardown.deployment
    ))?;
    let report = apply(config, &teardown, &ApplyOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    print!("{report}");
    if let Some(emulator) = &env.emulator {
        check_retained(emulator, &report.retained).await?;
    }
    let left = plan_destroy(config, deployment).await.map_err(|e| e.to_string())?;
    if !left.is_noop() {
        return Err(format!("{} resource(s) are left after destroy", left.changes.len()));
    }
    println!("destroy done: nothing of {} is left", deployment.name);
    Ok(())
}

/// Locally, asks the emulator whether the home file systems the report lists
/// as retained still exist (`GET /_studio/efs`), so users keep their files.
async fn check_retained(emulator: &studio_fed_testkit::emulator::Emulator, retained: &[String]) -> Result<(), String> {
    let ids: Vec<&str> = retained
        .iter()
        .flat_map(|item| item.split_whitespace())
        .filter(|word| word.starts_with("fs-"))
        .collect();
    if ids.is_empty() {
        return Err("destroy retained no home file system".into());
    }
    let answer: serde_json::Value = reqwest::get(format!("{}/_studio/efs", emulator.endpoint_url()))
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("GET /_studio/efs: {e}"))?
        .json()
        .await
        .map_err(|e| format!("GET /_studio/efs: {e}"))?;
    for id in ids {
        let state = answer["file_systems"]
            .as_array()
            .and_then(|all| all.iter().find(|fs| fs["file_system_id"] == id))
            .and_then(|fs| fs["state"].as_str())
            .unwrap_or("missing");
        if state != "retained" {
            return Err(format!("home file system {id} is {state}, expected retained"));
        }
    }
    println!("the emulator confirms: the home file systems are retained, the users' files are kept");
    Ok(())
}
