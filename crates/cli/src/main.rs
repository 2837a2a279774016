//! `studio-fed`: federated, least-privilege access to Amazon SageMaker Studio.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error, 3 a policy simulation
//! that ends in a deny or a SAML response that is rejected.
//!
//! `plan` also exits 2 when changes are pending (0 when there are none, 1 on
//! an error or a blocked plan), like `terraform plan -detailed-exitcode`. 2 is
//! also clap's code for a usage error: a pending plan prints the plan on
//! stdout, a usage error prints only its message on stderr. `report` exits 1
//! when it finds cross-team access.
#![forbid(unsafe_code)]

mod access;
mod error;
mod lambda;
mod output;
mod policy;
mod saml;
mod studio;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use error::CliError;
use output::Format;

/// Federated, isolated, least-privilege access to Amazon SageMaker Studio.
#[derive(Debug, Parser)]
#[command(name = "studio-fed", version, propagate_version = true)]
struct Cli {
    /// How to print results.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Text)]
    output: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build, lint and simulate IAM policies.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Validate SAML responses against IdP metadata.
    #[command(subcommand)]
    Saml(saml::SamlCommand),
    /// Show what apply would change to make AWS match a deployment file; exits 0 when nothing,
    /// 2 when changes are pending.
    Plan(studio::DeploymentArgs),
    /// Make AWS match a deployment file (asks first unless --yes).
    Apply(studio::ApplyArgs),
    /// Delete everything a deployment created (asks first unless --yes); keeps home EFS file
    /// systems unless --delete-efs.
    Destroy(studio::DestroyArgs),
    /// Print what each user of a deployment can open and launch; exits 1 on cross-team access.
    Report(studio::DeploymentArgs),
    /// Run the login gateway (SAML ACS and OIDC login to presigned Studio URLs), as a server or on
    /// AWS Lambda.
    Serve(access::ServeArgs),
    /// The login gateway's IAM policies.
    #[command(subcommand)]
    Access(access::AccessCommand),
    /// The login gateway on AWS Lambda: its deployment package.
    #[command(subcommand)]
    Gateway(lambda::GatewayCommand),
}

fn main() -> ExitCode {
    // Lambda starts the package's executable as `bootstrap`, with no arguments.
    if lambda::started_by_lambda() {
        return exit(lambda::serve_bootstrap());
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policy(command) => policy::run(command, cli.output),
        Command::Saml(command) => saml::run(command, cli.output),
        Command::Plan(args) => studio::plan(args, cli.output),
        Command::Apply(args) => studio::apply(args, cli.output),
        Command::Destroy(args) => studio::destroy(args, cli.output),
        Command::Report(args) => studio::report(args, cli.output),
        Command::Serve(args) => access::serve(args),
        Command::Access(command) => access::run(command, cli.output),
        Command::Gateway(command) => lambda::run(command, cli.output),
    };
    exit(result)
}

/// The exit code of a command's result; an error is printed first.
fn exit(result: CommandResult) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

/// Exit code for a simulation that ends in a deny.
pub(crate) const EXIT_DENIED: u8 = 3;

/// Exit code of `plan` when changes are pending.
pub(crate) const EXIT_PENDING: u8 = 2;

/// Every command returns the exit code for success-like outcomes, or an error.
pub(crate) type CommandResult = Result<ExitCode, CliError>;
