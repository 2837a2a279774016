//! `studio-fed plan | apply | destroy | report -f deployment.toml`: a deployment
//! file made real in AWS, and what it lets each user do.
//!
//! The AWS configuration is the standard chain (AWS_PROFILE, AWS_ENDPOINT_URL,
//! ...) with up to 10 attempts per call; the deployment's `region`, when set,
//! takes precedence over AWS_REGION.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde_json::json;
use studio_fed_studio::deployment::Deployment;
use studio_fed_studio::reconcile::{self, ApplyOptions, Plan, ProgressMode};
use studio_fed_studio::report::isolation_report;

use crate::error::CliError;
use crate::output::{Format, print_json};
use crate::{CommandResult, EXIT_PENDING};

/// The deployment file every command reads.
#[derive(Debug, clap::Args)]
pub struct DeploymentArgs {
    /// The deployment file (TOML), e.g. examples/azure_ad_studio.toml.
    #[arg(long, short = 'f', value_name = "FILE")]
    file: PathBuf,
}

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    deployment: DeploymentArgs,
    /// Apply without asking first (required when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
    /// How many changes of a step run at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

/// Arguments of `destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    deployment: DeploymentArgs,
    /// Destroy without asking first (required when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Also delete the domains' home EFS file systems (users' files) and the
    /// security groups SageMaker created for them; by default they are kept
    /// and listed.
    #[arg(long)]
    delete_efs: bool,
    /// How many changes of a step run at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

/// `plan`: prints the changes; exit 0 when there are none, 2 when some are pending.
pub fn plan(args: DeploymentArgs, format: Format) -> CommandResult {
    block_on(async {
        let (config, deployment) = load(&args.file).await?;
        let plan = reconcile::plan(&config, &deployment).await?;
        match format {
            Format::Text => print!("{plan}"),
            Format::Json => print_json(&plan)?,
        }
        if !plan.blockers.is_empty() {
            return Err(CliError::Reconcile(reconcile::Error::Blocked(plan.blockers)));
        }
        Ok(if plan.is_noop() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_PENDING)
        })
    })
}

/// `apply`: plans, asks, applies with progress on stderr, prints the report.
pub fn apply(args: ApplyArgs, format: Format) -> CommandResult {
    block_on(async {
        let (config, deployment) = load(&args.deployment.file).await?;
        let plan = reconcile::plan(&config, &deployment).await?;
        let question = format!(
            "apply these {} change(s) to deployment {}",
            plan.changes.len(),
            plan.deployment
        );
        run_plan(
            &config,
            plan,
            &question,
            args.yes,
            options(args.concurrency, false),
            format,
        )
        .await
    })
}

/// `destroy`: plans the deletion of everything the deployment created, asks, applies.
pub fn destroy(args: DestroyArgs, format: Format) -> CommandResult {
    block_on(async {
        let (config, deployment) = load(&args.deployment.file).await?;
        let plan = reconcile::plan_destroy(&config, &deployment).await?;
        let question = format!(
            "DELETE these {} resource(s) of deployment {}{}",
            plan.changes.len(),
            plan.deployment,
            if args.delete_efs {
                ", including the users' home file systems (EFS)"
            } else {
                ""
            }
        );
        run_plan(
            &config,
            plan,
            &question,
            args.yes,
            options(args.concurrency, args.delete_efs),
            format,
        )
        .await
    })
}

/// `report`: who can open which profile and launch what; exit 1 on cross-team access.
pub fn report(args: DeploymentArgs, format: Format) -> CommandResult {
    block_on(async {
        let (config, deployment) = load(&args.file).await?;
        let plan = reconcile::plan(&config, &deployment).await?;
        if !plan.is_noop() {
            eprintln!(
                "note: {} change(s) are pending (run `studio-fed plan`): the report describes what exists now",
                plan.changes.len()
            );
        }
        let report = isolation_report(&deployment, &plan.desired, &plan.observed())?;
        match format {
            Format::Text => println!("{report}"),
            Format::Json => print_json(&report)?,
        }
        if report.is_isolated() {
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!(
                "error: {} cross-team access error(s): the teams are not isolated",
                report.errors().len()
            );
            Ok(ExitCode::FAILURE)
        }
    })
}

fn options(concurrency: u16, delete_efs: bool) -> ApplyOptions {
    ApplyOptions {
        concurrency: usize::from(concurrency),
        delete_efs,
        progress: ProgressMode::Auto,
        ..ApplyOptions::default()
    }
}

/// Shows `plan`, asks unless `yes`, applies it and prints the report.
async fn run_plan(
    config: &SdkConfig,
    plan: Plan,
    question: &str,
    yes: bool,
    options: ApplyOptions,
    format: Format,
) -> CommandResult {
    if format == Format::Text {
        print!("{plan}");
    }
    if !plan.blockers.is_empty() {
        if format == Format::Json {
            print_json(&json!({ "plan": plan, "apply": null }))?;
        }
        return Err(CliError::Reconcile(reconcile::Error::Blocked(plan.blockers)));
    }
    if plan.is_noop() {
        if format == Format::Json {
            print_json(&json!({ "plan": plan, "apply": null }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !yes && format == Format::Json {
        // stdout is for the JSON document; the person answering reads stderr.
        eprint!("{plan}");
    }
    confirm(question, yes)?;
    let report = reconcile::apply(config, &plan, &options).await?;
    match format {
        Format::Text => print!("{report}"),
        Format::Json => print_json(&json!({ "plan": plan, "apply": report }))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; refuses when there is no terminal to ask on.
fn confirm(question: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::NotConfirmed(format!(
            "{question}: stdin is not a terminal, so there is no one to ask; pass --yes to proceed without asking"
        )));
    }
    eprint!("{question}? [y/N] ");
    std::io::stderr().flush().map_err(CliError::Terminal)?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Terminal)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
        Ok(())
    } else {
        Err(CliError::NotConfirmed(format!(
            "{question}: not confirmed; nothing was changed"
        )))
    }
}

/// Reads the deployment file, then the AWS configuration for its region.
async fn load(path: &Path) -> Result<(SdkConfig, Deployment), CliError> {
    let deployment = Deployment::from_file(path)?;
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::standard().with_max_attempts(10));
    if let Some(region) = &deployment.region {
        loader = loader.region(Region::new(region.clone()));
    }
    Ok((loader.load().await, deployment))
}

/// Runs `future` on a multi-threaded Tokio runtime (the AWS SDK needs one).
pub(crate) fn block_on<F: Future<Output = CommandResult>>(future: F) -> CommandResult {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(future)
}
