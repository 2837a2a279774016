//! Gateway end to end under load: complete SAML logins (`POST /saml/acs` with an
//! Identity-Center-shaped response, both signatures verified, profile checked, presigned URL
//! created, `303` answered) over loopback HTTP, against a local fast responder standing in for
//! SageMaker.
//!
//! ```sh
//! cargo bench --bench gateway_load                  # 60 s, 8 connections
//! cargo bench --bench gateway_load -- --seconds 10 --connections 64
//! ```
//!
//! Targets: at least 2,000 logins per second on 2 cores, p99 latency under 10 ms, and flat
//! memory over a 60-second run. It prints the throughput, the latency percentiles, the resident
//! memory every 5 seconds, and whether each target is met (exit code 1 when one is not).
//!
//! The gateway, the load generator and the responder share the process and its cores, so the
//! figures are a lower bound for the gateway alone. A pool of distinct signed responses is
//! reused, with a replay store that accepts repeats: signing a fresh response costs more than
//! validating it, so fresh ones cannot be produced at this rate here. The in-memory replay store
//! itself grows with the logins of the last hour by design (its entries expire with the
//! assertions), so it is left out of the memory measurement.
#![allow(missing_docs)]

mod responder;

#[path = "../common/mod.rs"]
mod common;

use common::AcceptRepeats;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use studio_fed::access::{Gateway, GatewayConfig, server};
use studio_fed_testkit::saml_idp::SamlIdp;

const PUBLIC_URL: &str = "https://studio-login.example.com";
const DOMAIN: &str = "d-bench0123abcd";
const TEAM: &str = "vision";
const POOL: usize = 64;

struct Options {
    seconds: u64,
    connections: usize,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 60,
        connections: 8,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse().ok());
        match arg.as_str() {
            "--seconds" => options.seconds = value().unwrap_or(options.seconds as usize) as u64,
            "--connections" => options.connections = value().unwrap_or(options.connections),
            _ => {} // cargo bench passes --bench
        }
    }
    options
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> std::process::ExitCode {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(options))
}

async fn run(options: Options) -> std::process::ExitCode {
    let endpoint = responder::start(DOMAIN, TEAM).await;
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "bench"))
        .endpoint_url(&endpoint)
        .load()
        .await;

    let idp = SamlIdp::new("https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/BENCH").expect("IdP");
    let metadata = std::env::temp_dir().join(format!("studio-fed-bench-idp-{}.xml", std::process::id()));
    std::fs::write(&metadata, idp.metadata_xml()).expect("metadata file");
    let config = GatewayConfig::from_toml_with_env(
        &format!(
            r#"
[gateway]
public_url = "{PUBLIC_URL}"
[network]
allowed_cidrs = ["127.0.0.0/8"]
[profiles]
allowed_domains = ["{DOMAIN}"]
[teams.{TEAM}]
domain = "{DOMAIN}"
[saml]
metadata_file = "{}"
allow_idp_initiated = true
domain_attribute = "domain-id"
[limits]
rate_limit_per_minute = 0
"#,
            metadata.display()
        ),
        [],
    )
    .expect("config");
    let acs = config.acs_url();
    let gateway = Gateway::builder(config, sdk_config)
        .replay_cache(Arc::new(AcceptRepeats))
        .build()
        .await
        .expect("gateway");
    let _ = std::fs::remove_file(&metadata);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/saml/acs", listener.local_addr().expect("address"));
    tokio::spawn(server::serve(listener, gateway, std::future::pending()));

    println!("signing {POOL} Identity-Center-shaped responses (both Response and Assertion signed)...");
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..POOL)
            .map(|i| {
                let user = format!("user-{i:04}");
                let response = idp
                    .identity_center_style(&acs, &acs, &user, DOMAIN)
                    .build()
                    .expect("signed response");
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("SAMLResponse", &response.base64())
                    .finish()
            })
            .collect(),
    );

    // Warm up: connections, the profile cache, allocator pools.
    drive(&url, &bodies, options.connections, Duration::from_secs(3)).await;
    println!(
        "load: {} s, {} connections, {url}",
        options.seconds, options.connections
    );
    let memory = tokio::spawn(async move {
        let mut samples = Vec::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(options.seconds) {
            samples.push((start.elapsed().as_secs(), resident_kib()));
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        samples.push((start.elapsed().as_secs(), resident_kib()));
        samples
    });
    let start = Instant::now();
    let latencies = drive(&url, &bodies, options.connections, Duration::from_secs(options.seconds)).await;
    let elapsed = start.elapsed().as_secs_f64();
    let samples = memory.await.expect("memory sampler");

    let count = latencies.count();
    let rate = count as f64 / elapsed;
    let p99 = latencies.percentile(0.99);
    println!("logins:     {count} in {elapsed:.1} s = {rate:.0}/s");
    println!(
        "latency:    p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(latencies.percentile(0.5)),
        ms(latencies.percentile(0.9)),
        ms(p99),
        ms(latencies.max)
    );
    println!(
        "memory:     {}",
        samples
            .iter()
            .map(|(s, kib)| format!("{s}s {:.1} MiB", *kib as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Flat: from the 10-second sample (warm) to the end, resident memory grows by at most 5%.
    let warm = samples.get(2).or(samples.first()).map_or(0, |s| s.1);
    let last = samples.last().map_or(0, |s| s.1);
    let flat = last.saturating_sub(warm) * 20 <= warm;
    let checks = [
        ("at least 2,000 logins/s", rate >= 2000.0),
        ("p99 under 10 ms", p99 < Duration::from_millis(10)),
        ("flat memory", flat),
    ];
    let mut ok = true;
    for (target, met) in checks {
        println!("target {target}: {}", if met { "met" } else { "MISSED" });
        ok &= met;
    }
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Latencies in a fixed histogram (10 µs buckets up to 100 ms), so that measuring does not grow
/// the process's memory.
#[derive(Clone)]
struct Histogram {
    buckets: Vec<u64>,
    max: Duration,
}

impl Histogram {
    const BUCKET: Duration = Duration::from_micros(10);
    const BUCKETS: usize = 10_000;

    fn new() -> Self {
        Histogram {
            buckets: vec![0; Self::BUCKETS + 1],
            max: Duration::ZERO,
        }
    }

    fn record(&mut self, latency: Duration) {
        let index = (latency.as_micros() / Self::BUCKET.as_micros()) as usize;
        self.buckets[index.min(Self::BUCKETS)] += 1;
        self.max = self.max.max(latency);
    }

    fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.max = self.max.max(other.max);
    }

    fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The upper bound of the bucket holding the `p` quantile.
    fn percentile(&self, p: f64) -> Duration {
        let rank = (self.count() as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (index, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank && *n > 0 {
                return Self::BUCKET * (index as u32 + 1);
            }
        }
        self.max
    }
}

/// `connections` clients posting logins in a loop for `duration`; their latencies.
async fn drive(url: &str, bodies: &Arc<Vec<String>>, connections: usize, duration: Duration) -> Histogram {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let (url, bodies) = (url.to_owned(), bodies.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut latencies = Histogram::new();
                let mut i = c;
                while Instant::now() < deadline {
                    let body = bodies[i % bodies.len()].clone();
                    i += connections;
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body)
                        .send()
                        .await
                        .expect("login request");
                    assert_eq!(response.status(), 303, "a login failed: {:?}", response.headers());
                    latencies.record(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Histogram::new();
    for task in tasks {
        all.merge(&task.await.expect("client task"));
    }
    all
}
