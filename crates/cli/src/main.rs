//! `studio-fed`: federated, least-privilege access to Amazon SageMaker Studio.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error, 3 a policy simulation
//! that ends in a deny or a SAML response that is rejected.
#![forbid(unsafe_code)]

mod error;
mod output;
mod policy;
mod saml;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policy(command) => policy::run(command, cli.output),
        Command::Saml(command) => saml::run(command, cli.output),
    };
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

/// Every command returns the exit code for success-like outcomes, or an error.
pub(crate) type CommandResult = Result<ExitCode, CliError>;
