//! Cold start of the gateway's Lambda package: the release `studio-fed`, packaged by
//! `studio-fed gateway package`, unzipped and started as Lambda starts a `provided.al2023`
//! function (`bootstrap`, no arguments, Lambda's environment only) under the local Runtime API,
//! with a SAML login (an API Gateway HTTP API event) queued before it starts. Each run measures
//! the time from spawning the process to its first `/invocation/next` and to its first response
//! (the 303), and its peak resident memory (`VmHWM`) after that response.
//!
//! ```sh
//! cargo build --release -p studio-fed-cli && cargo bench --bench lambda_cold_start            # 10 runs
//! cargo bench --bench lambda_cold_start -- --runs 30 --binary target/release/studio-fed
//! ```
//!
//! Targets on the project's 2-core machine: under 100 ms to the first response (median), under
//! 40 MiB peak RSS (the largest). It prints each run, the median and the largest, and whether each
//! target is met (exit code 1 when one is not). SageMaker is the fast local responder of
//! `gateway_load`, so the figures are the gateway's, not the emulator's.
#![allow(missing_docs)]

#[path = "gateway_load/responder.rs"]
mod responder;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use studio_fed_testkit::lambda_runtime::event::{self, Front};
use studio_fed_testkit::lambda_runtime::{Function, RuntimeApi, unpack};
use studio_fed_testkit::saml_idp::SamlIdp;

const PUBLIC_URL: &str = "https://studio-login.example.com";
const DOMAIN: &str = "d-bench0123abcd";
const TEAM: &str = "vision";
const REGION: &str = "eu-west-1";
const CLIENT_IP: &str = "203.0.113.10";

struct Options {
    runs: usize,
    binary: Option<PathBuf>,
}

fn options() -> Options {
    let mut options = Options { runs: 10, binary: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => options.runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(options.runs),
            "--binary" => options.binary = args.next().map(PathBuf::from),
            _ => {} // cargo bench passes --bench
        }
    }
    options
}

/// `target/release/studio-fed`, next to this benchmark's `target/release/deps/`.
fn release_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let binary = exe.parent()?.parent()?.join("studio-fed");
    binary.is_file().then_some(binary)
}

/// One cold start.
struct Run {
    first_poll: Duration,
    first_response: Duration,
    peak_rss_kib: u64,
}

fn main() -> ExitCode {
    let options = options();
    let Some(binary) = options.binary.clone().or_else(release_binary) else {
        eprintln!("no release studio-fed next to this benchmark: run `cargo build --release -p studio-fed-cli` first");
        return ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(options, binary))
}

async fn run(options: Options, binary: PathBuf) -> ExitCode {
    let endpoint = responder::start(DOMAIN, TEAM).await;
    let dir = std::env::temp_dir().join(format!("studio-fed-bench-lambda-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let idp = SamlIdp::new("https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/BENCH").expect("IdP");
    std::fs::write(dir.join("idp-metadata.xml"), idp.metadata_xml()).expect("metadata file");
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            r#"[gateway]
public_url = "{PUBLIC_URL}"
[network]
allowed_cidrs = ["203.0.113.0/24"]
[profiles]
allowed_domains = ["{DOMAIN}"]
[teams.{TEAM}]
domain = "{DOMAIN}"
[saml]
metadata_file = "idp-metadata.xml"
allow_idp_initiated = true
domain_attribute = "domain-id"
"#
        ),
    )
    .expect("configuration");
    let zip = dir.join("gateway.zip");
    let packaged = Command::new(&binary)
        .args(["gateway", "package", "-f"])
        .arg(&config)
        .arg("--zip")
        .arg(&zip)
        .output()
        .expect("run studio-fed gateway package");
    if !packaged.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&packaged.stderr));
        return ExitCode::FAILURE;
    }
    let task_root = dir.join("task");
    unpack(&zip, &task_root).expect("unzip the package");
    let function = Function::new(&task_root, "gateway.toml")
        .region(REGION)
        .variable("AWS_ENDPOINT_URL", &endpoint);
    let acs = format!("{PUBLIC_URL}/saml/acs");
    println!(
        "{} cold starts of {} ({} bytes packaged)",
        options.runs,
        binary.display(),
        std::fs::metadata(&zip).map_or(0, |m| m.len())
    );

    let mut runs = Vec::new();
    for i in 0..options.runs {
        let response = idp
            .identity_center_style(&acs, &acs, &format!("user-{i:04}"), DOMAIN)
            .build()
            .expect("signed response");
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLResponse", &response.base64())
            .finish();
        let api = RuntimeApi::start(&function.arn()).await.expect("Runtime API");
        let invocation = api.invoke(&event::form_post(Front::HttpApi, REGION, "/saml/acs", &form, CLIENT_IP));
        let started = function.start(&api).expect("start the bootstrap");
        let Ok(Some(answer)) = tokio::time::timeout(Duration::from_secs(30), invocation.answer()).await else {
            eprintln!("no answer within 30 s; the function's log:\n{}", started.log());
            return ExitCode::FAILURE;
        };
        let peak_rss_kib = started.peak_rss_kib().unwrap_or(0);
        let status = answer.json().map(|json| json["statusCode"].clone());
        if status != Some(serde_json::json!(303)) {
            eprintln!("the login was not answered 303: {answer:?}; log:\n{}", started.log());
            return ExitCode::FAILURE;
        }
        let first_poll = api.first_poll().await;
        let run = Run {
            first_poll: first_poll - started.started_at(),
            first_response: answer.received_at - started.started_at(),
            peak_rss_kib,
        };
        println!(
            "run {:2}: first /invocation/next {:6.1} ms, first response {:6.1} ms, peak RSS {:5.1} MiB",
            i + 1,
            ms(run.first_poll),
            ms(run.first_response),
            mib(run.peak_rss_kib)
        );
        runs.push(run);
        started.stop().await.expect("stop the bootstrap");
    }
    let _ = std::fs::remove_dir_all(&dir);

    let median = |mut values: Vec<Duration>| {
        values.sort();
        values[values.len() / 2]
    };
    let first_poll = median(runs.iter().map(|r| r.first_poll).collect());
    let first_response = median(runs.iter().map(|r| r.first_response).collect());
    let slowest = runs.iter().map(|r| r.first_response).max().unwrap_or_default();
    let peak = runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    println!(
        "median: first /invocation/next {:.1} ms, first response {:.1} ms",
        ms(first_poll),
        ms(first_response)
    );
    println!(
        "largest: first response {:.1} ms, peak RSS {:.1} MiB",
        ms(slowest),
        mib(peak)
    );
    let checks = [
        (
            "under 100 ms to the first response (median)",
            first_response < Duration::from_millis(100),
        ),
        ("under 40 MiB peak RSS (largest)", peak < 40 * 1024),
    ];
    let mut ok = true;
    for (target, met) in checks {
        println!("target {target}: {}", if met { "met" } else { "MISSED" });
        ok &= met;
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
