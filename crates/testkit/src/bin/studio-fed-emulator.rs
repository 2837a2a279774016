//! `studio-fed-emulator`: runs the local AWS emulator in the foreground, so the
//! studio-fed CLI or any AWS tool can be pointed at it by hand.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use studio_fed_testkit::emulator::{ACCESS_KEY_ID, DEFAULT_REGION, Emulator, SECRET_ACCESS_KEY};

/// Run the local AWS emulator (moto plus studio-fed's SageMaker Studio and SSO
/// extension) on 127.0.0.1 until Ctrl-C.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 4566)]
    port: u16,
    /// Region to print for clients.
    #[arg(long, default_value = DEFAULT_REGION)]
    region: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let emulator = match Emulator::builder().port(args.port).region(&args.region).start().await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "# local AWS emulator on {}; stop it with Ctrl-C",
        emulator.endpoint_url()
    );
    println!("export AWS_ENDPOINT_URL={}", emulator.endpoint_url());
    println!("export AWS_REGION={}", emulator.region());
    println!("export AWS_ACCESS_KEY_ID={ACCESS_KEY_ID}");
    println!("export AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}");
    if let Err(e) = shutdown_signal().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    drop(emulator);
    eprintln!("emulator stopped");
    ExitCode::SUCCESS
}

async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}
