//! `studio-fed policy simulate`.

use std::path::PathBuf;
use std::process::ExitCode;

use studio_fed_policy::eval::{Context, PolicySet, Request};

use super::{policy_name, read_policy};
use crate::error::CliError;
use crate::output::{Format, print_json};
use crate::{CommandResult, EXIT_DENIED};

/// Arguments of `policy simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Identity policy files of the principal (inline or managed).
    #[arg(long = "policy", value_name = "FILE", required = true, num_args = 1..)]
    policies: Vec<PathBuf>,
    /// The principal's permissions boundary.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// Service control policies, all attached at one organization level (include
    /// FullAWSAccess if your organization attaches it: SCPs allow nothing by themselves).
    #[arg(long = "scp", value_name = "FILE", num_args = 1..)]
    scps: Vec<PathBuf>,
    /// A session policy passed when the session was created.
    #[arg(long, value_name = "FILE")]
    session: Option<PathBuf>,
    /// The action, e.g. sagemaker:CreateApp.
    #[arg(long)]
    action: String,
    /// The resource ARN.
    #[arg(long)]
    resource: String,
    /// The principal's ARN (matched against Principal elements).
    #[arg(long)]
    principal: Option<String>,
    /// A request-context value as KEY=VALUE; the key decides the type (aws:SourceIp is an IP,
    /// aws:CurrentTime a date, ...). Repeat a key for a multivalued key.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
}

/// Runs `policy simulate`.
pub fn run(args: Args, format: Format) -> CommandResult {
    let mut set = PolicySet::new();
    for path in &args.policies {
        set = set.identity(policy_name(path), read_policy(path)?);
    }
    if let Some(path) = &args.boundary {
        set = set.boundary(policy_name(path), read_policy(path)?);
    }
    if !args.scps.is_empty() {
        let level = args
            .scps
            .iter()
            .map(|path| Ok((policy_name(path), read_policy(path)?)))
            .collect::<Result<Vec<_>, CliError>>()?;
        set = set.scp_level(level);
    }
    if let Some(path) = &args.session {
        set = set.session(policy_name(path), read_policy(path)?);
    }

    let mut context = Context::new();
    for pair in &args.context {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            CliError::Usage(format!(
                "--context {pair:?} is not KEY=VALUE, e.g. aws:SourceIp=203.0.113.7"
            ))
        })?;
        context.insert_parsed(key, value)?;
    }
    let mut request = Request::new(&args.action, &args.resource).with_context(context);
    if let Some(principal) = &args.principal {
        request = request.with_principal(principal);
    }

    let decision = set.compile().evaluate(&request);
    match format {
        Format::Json => print_json(&decision)?,
        Format::Text => println!("{decision}"),
    }
    Ok(if decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DENIED)
    })
}
