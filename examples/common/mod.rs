//! What every example shares: where it runs (the local emulator by default,
//! or AWS with `--target aws`) and asking before it changes a real account.
#![allow(dead_code)] // each example uses part of this module

use std::io::{BufRead, Write};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use studio_fed_testkit::emulator::Emulator;

/// Where an example runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The local AWS emulator, started by the example; nothing to set up.
    Local,
    /// The AWS account of the standard credential chain (AWS_PROFILE, ...).
    Aws,
}

/// The options every example takes.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Run against the local emulator (default) or a real AWS account.
    #[arg(long, value_enum, default_value_t = Target::Local)]
    pub target: Target,
    /// With --target aws: make changes without asking first.
    #[arg(long)]
    pub yes: bool,
}

/// A running environment: the SDK configuration, and the emulator when local.
pub struct Environment {
    /// The configuration every AWS client of the example uses.
    pub sdk_config: SdkConfig,
    /// The emulator, kept alive for the example's lifetime (local target only).
    pub emulator: Option<Emulator>,
    yes: bool,
}

impl Environment {
    /// Starts the emulator, or loads the standard AWS configuration.
    pub async fn start(args: &TargetArgs) -> Result<Environment, String> {
        match args.target {
            Target::Local => {
                let emulator = Emulator::start().await.map_err(|e| e.to_string())?;
                println!("local AWS emulator: {}", emulator.endpoint_url());
                Ok(Environment {
                    sdk_config: emulator.sdk_config().clone(),
                    emulator: Some(emulator),
                    yes: true,
                })
            }
            Target::Aws => {
                let sdk_config = aws_config::defaults(BehaviorVersion::latest()).load().await;
                println!(
                    "AWS account of the standard credential chain, region {}",
                    sdk_config
                        .region()
                        .map(|r| r.as_ref())
                        .unwrap_or("(none: set AWS_REGION)")
                );
                Ok(Environment {
                    sdk_config,
                    emulator: None,
                    yes: args.yes,
                })
            }
        }
    }

    /// The SDK configuration for a deployment: its `region`, when it names one, wins over the
    /// environment's (as in the CLI).
    pub fn sdk_config_in(&self, region: Option<&str>) -> SdkConfig {
        match region {
            Some(region) => self
                .sdk_config
                .to_builder()
                .region(Region::new(region.to_owned()))
                .build(),
            None => self.sdk_config.clone(),
        }
    }

    /// True when running against the local emulator.
    pub fn is_local(&self) -> bool {
        self.emulator.is_some()
    }

    /// Asks before a change to a real account (unless `--yes`); the local
    /// emulator never asks. Returns an error when the answer is not yes.
    pub fn confirm(&self, change: &str) -> Result<(), String> {
        if self.yes {
            return Ok(());
        }
        print!("{change}: proceed? [y/N] ");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        if matches!(answer.trim(), "y" | "Y" | "yes") {
            Ok(())
        } else {
            Err(format!("not confirmed: {change} (pass --yes to skip the question)"))
        }
    }
}

/// The process exit code for an example's result, printing the error.
pub fn exit_code(result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints a step heading.
pub fn step(title: &str) {
    println!("\n== {title}");
}
