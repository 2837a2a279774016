//! The gateway on AWS Lambda: `studio-fed gateway package` writes the function's zip, and the
//! packaged executable, started by Lambda as `bootstrap` with no arguments, serves the
//! configuration the function's handler names (`$LAMBDA_TASK_ROOT/$_HANDLER`).

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use studio_fed_access::Gateway;
use studio_fed_access::lambda::{self, bootstrap, package};

use crate::CommandResult;
use crate::access::{LogFormat, init_logging, load};
use crate::error::CliError;
use crate::output::{Format, print_json};

/// `studio-fed gateway ...`.
#[derive(Debug, clap::Subcommand)]
pub enum GatewayCommand {
    /// Write the gateway's AWS Lambda deployment package (runtime provided.al2023): this
    /// executable (or --binary) as `bootstrap`, the configuration (the function's handler is its
    /// file name) and the files it names.
    Package(PackageArgs),
}

/// Arguments of `gateway package`.
#[derive(Debug, clap::Args)]
pub struct PackageArgs {
    /// The gateway configuration (TOML).
    #[arg(long, short = 'f', value_name = "FILE")]
    file: PathBuf,
    /// The zip to write (`-o` is the output format of every command).
    #[arg(long, short = 'z', value_name = "ZIP")]
    zip: PathBuf,
    /// The Linux executable to package as `bootstrap` (e.g. an arm64 build), instead of this one.
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
}

/// Runs a `gateway` command.
pub fn run(command: GatewayCommand, format: Format) -> CommandResult {
    match command {
        GatewayCommand::Package(args) => {
            let executable = match args.binary {
                Some(path) => path,
                None => std::env::current_exe()
                    .map_err(|e| CliError::Usage(format!("cannot find this executable ({e}); pass --binary")))?,
            };
            let packaged = package::write(&args.file, &executable, &args.zip)?;
            let architecture = packaged.architecture.lambda_name();
            match format {
                Format::Json => print_json(&json!({
                    "zip": args.zip,
                    "runtime": "provided.al2023",
                    "handler": packaged.handler,
                    "architecture": architecture,
                    "entries": packaged.entries,
                }))?,
                Format::Text => println!(
                    "wrote {}: runtime provided.al2023, handler {}, architecture {architecture}\n  {}",
                    args.zip.display(),
                    packaged.handler,
                    packaged.entries.join("\n  ")
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether Lambda started this process as a package's `bootstrap`.
pub fn started_by_lambda() -> bool {
    bootstrap::started_by_lambda(std::env::args_os())
}

/// Serves the configuration the function's handler names on Lambda; a failed start is reported
/// to the Runtime API's `/init/error` before the process exits.
pub fn serve_bootstrap() -> CommandResult {
    init_logging(LogFormat::Json);
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return Err(CliError::Usage(
            "started as `bootstrap` with no arguments, but not by AWS Lambda (AWS_LAMBDA_RUNTIME_API is not \
             set); outside Lambda run `studio-fed serve -f gateway.toml`"
                .into(),
        ));
    }
    crate::studio::block_on(async {
        let gateway = match start().await {
            Ok(gateway) => gateway,
            Err(error) => {
                if let Err(report) = bootstrap::report_init_error(&error.to_string()).await {
                    eprintln!("error: cannot report the failed start to Lambda: {report}");
                }
                return Err(error);
            }
        };
        lambda::run(gateway).await?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn start() -> Result<Gateway, CliError> {
    let config = bootstrap::config_path(std::env::var_os("LAMBDA_TASK_ROOT"), std::env::var_os("_HANDLER"))?;
    let (sdk_config, config) = load(&config).await?;
    Ok(Gateway::builder(config, sdk_config).build().await?)
}
