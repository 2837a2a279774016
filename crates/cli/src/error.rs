//! The CLI's errors and their exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

/// What a command can fail with; each message names the input and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A policy file is not a valid policy.
    #[error("{path}: {source}")]
    Policy {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its place in the document.
        source: studio_fed_policy::Error,
    },
    /// An argument's value is not acceptable (exit code 2, like clap's own usage errors).
    #[error("{0}")]
    Usage(String),
    /// A policy builder or evaluator refused an input.
    #[error(transparent)]
    Input(#[from] studio_fed_policy::Error),
    /// The deployment file cannot be read or is invalid (names file:line:column and field).
    #[error(transparent)]
    Deployment(#[from] studio_fed_studio::deployment::DeploymentError),
    /// Planning or applying a deployment failed.
    #[error(transparent)]
    Reconcile(#[from] studio_fed_studio::reconcile::Error),
    /// The isolation report could not be computed.
    #[error("isolation report: {0}")]
    Report(#[from] studio_fed_studio::report::ReportError),
    /// A change was not confirmed (no terminal to ask on, or not answered yes).
    #[error("{0}")]
    NotConfirmed(String),
    /// Reading the answer to a question failed.
    #[error("cannot read the answer from the terminal: {0}")]
    Terminal(std::io::Error),
    /// The async runtime for the AWS SDK could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The login gateway could not be configured or served.
    #[error(transparent)]
    Gateway(#[from] studio_fed_access::Error),
    /// Writing JSON failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}
