//! `studio-fed serve -f gateway.toml` and `studio-fed access policy -f gateway.toml`: the login
//! gateway, and the IAM policies its role and the organisation need.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde_json::json;
use studio_fed_access::{Gateway, GatewayConfig, lambda, policy, server};

use crate::CommandResult;
use crate::error::CliError;
use crate::output::{Format, print_json};

/// `studio-fed access ...`.
#[derive(Debug, clap::Subcommand)]
pub enum AccessCommand {
    /// Print the IAM policy of the gateway's role and the service control policy that denies
    /// CreatePresignedDomainUrl outside the authorised network.
    Policy(GatewayArgs),
}

/// Runs an `access` command.
pub fn run(command: AccessCommand, format: Format) -> CommandResult {
    match command {
        AccessCommand::Policy(args) => {
            let config = GatewayConfig::load(&args.file)?;
            let role = policy::role_policy(&config)?;
            let scp = policy::service_control_policy(&config)?;
            match format {
                Format::Json => print_json(&json!({
                    "role_policy": role,
                    "service_control_policy": scp,
                }))?,
                Format::Text => {
                    println!("# IAM policy of the gateway's role\n{}", role.to_json_pretty());
                    println!(
                        "\n# Service control policy: no CreatePresignedDomainUrl from outside the network\n{}",
                        scp.to_json_pretty()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The gateway configuration every command reads.
#[derive(Debug, clap::Args)]
pub struct GatewayArgs {
    /// The gateway configuration (TOML); `STUDIO_FED__SECTION__KEY` variables override it.
    #[arg(long, short = 'f', value_name = "FILE")]
    file: PathBuf,
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    gateway: GatewayArgs,
    /// Log lines as JSON (for log shipping) or as text.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

/// How `serve` writes its log.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// `studio-fed serve`: runs the gateway on `[gateway] listen`, or on AWS Lambda when started by
/// the Lambda runtime (`AWS_LAMBDA_RUNTIME_API` is set), until SIGTERM or Ctrl-C.
pub fn serve(args: ServeArgs) -> CommandResult {
    init_logging(args.log_format);
    crate::studio::block_on(async {
        let (sdk_config, config) = load(&args.gateway.file).await?;
        let listen = config.gateway.listen.clone();
        let gateway = Gateway::builder(config, sdk_config).build().await?;
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            lambda::run(gateway).await?;
        } else {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| CliError::Usage(format!("cannot listen on {listen} ([gateway] listen): {e}")))?;
            server::serve(listener, gateway, server::shutdown_signal()).await?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STUDIO_FED_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

/// Loads the configuration at `path` and the AWS configuration for its region.
pub(crate) async fn load(path: &Path) -> Result<(SdkConfig, GatewayConfig), CliError> {
    let config = GatewayConfig::load(path)?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &config.gateway.region {
        loader = loader.region(Region::new(region.clone()));
    }
    Ok((loader.load().await, config))
}
