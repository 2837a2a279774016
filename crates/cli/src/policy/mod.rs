//! `studio-fed policy ...`: build, lint and simulate IAM policies.

mod lint;
mod persona;
mod simulate;

use std::path::Path;

use clap::Subcommand;
use studio_fed_policy::PolicyDocument;

use crate::CommandResult;
use crate::error::CliError;
use crate::output::Format;

/// The `policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the IAM policies of a SageMaker Role Manager persona's role.
    Persona(persona::Args),
    /// Check policy files against IAM's size quotas; exits 1 when one is exceeded.
    Lint(lint::Args),
    /// Evaluate a request against policies the way AWS would; exits 0 for Allow and 3 for a deny.
    Simulate(simulate::Args),
}

/// Runs a `policy` subcommand.
pub fn run(command: PolicyCommand, format: Format) -> CommandResult {
    match command {
        PolicyCommand::Persona(args) => persona::run(args, format),
        PolicyCommand::Lint(args) => lint::run(args, format),
        PolicyCommand::Simulate(args) => simulate::run(args, format),
    }
}

/// Reads and parses a policy file, naming the file in errors.
pub(crate) fn read_policy(path: &Path) -> Result<PolicyDocument, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.parse().map_err(|source| CliError::Policy {
        path: path.to_owned(),
        source,
    })
}

/// A policy's display name: its file name.
pub(crate) fn policy_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
