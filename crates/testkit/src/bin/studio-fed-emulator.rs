//! `studio-fed-emulator`: runs the local AWS emulator in the foreground, so the
//! studio-fed CLI or any AWS tool can be pointed at it by hand.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use studio_fed_testkit::emulator::{ACCESS_KEY_ID, DEFAULT_REGION, Emulator, SECRET_ACCESS_KEY};
use tokio::signal::unix::{Signal, SignalKind, signal};

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
    // Listen for the signals before saying how to send them: a Ctrl-C that came in between would
    // kill the launcher and leave the emulator running.
    let shutdown = match ShutdownSignals::listen() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot wait for Ctrl-C: {e}");
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
    shutdown.recv().await;
    drop(emulator);
    eprintln!("emulator stopped");
    ExitCode::SUCCESS
}

/// SIGINT (Ctrl-C) and SIGTERM, listened for from creation on.
struct ShutdownSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl ShutdownSignals {
    fn listen() -> std::io::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn recv(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
