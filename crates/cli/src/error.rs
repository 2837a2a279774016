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
