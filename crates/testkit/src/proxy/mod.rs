//! A fault-injection proxy in front of the AWS emulator.
//!
//! [`FaultProxy`] listens on 127.0.0.1, names each request's AWS operation
//! (`service:Action`), counts it, and either answers with an injected fault
//! (throttling, HTTP 500, dropped connection — see [`FaultPlan`]) or forwards
//! it unchanged (method, path, query, headers including `Authorization`, body)
//! to the upstream and relays the answer. The SDK signs `Host` with the
//! proxy's address; the proxy sends the upstream's `Host`, which is fine
//! because the emulator does not verify signatures.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use studio_fed_testkit::proxy::{FaultPlan, FaultProxy};
//!
//! let upstream = url::Url::parse("http://127.0.0.1:5000")?;
//! let proxy = FaultProxy::start(upstream, FaultPlan::new().throttle(0.3).seed(42)).await?;
//! // aws_config::defaults(..).endpoint_url(proxy.endpoint_url()) ...
//! proxy.set_plan(FaultPlan::new())?; // stop injecting
//! let counts = proxy.counts();
//! println!("{} requests, {} CreateDomain", counts.total(), counts.received("sagemaker:CreateDomain"));
//! # Ok(()) }
//! ```

mod aws;
mod counts;
mod plan;
mod server;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

pub use counts::{Counts, OperationCounts};
pub use plan::{FaultKind, FaultPlan};

use plan::SplitMix64;
use server::Shared;

/// What can go wrong starting or configuring the proxy.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listener could not be bound.
    #[error("could not bind the fault proxy to 127.0.0.1:0: {0} (is the loopback interface available?)")]
    Bind(#[source] std::io::Error),
    /// The upstream URL cannot be proxied to.
    #[error(
        "upstream `{0}` is not an http:// URL with a host: pass the emulator's endpoint, e.g. http://127.0.0.1:5000"
    )]
    InvalidUpstream(String),
    /// A share is not a number within 0.0–1.0.
    #[error("the {kind} share must be within 0.0..=1.0, got {share}")]
    InvalidShare {
        /// Which share.
        kind: &'static str,
        /// The rejected value.
        share: f64,
    },
    /// The shares add up to more than 1.0.
    #[error("the fault shares add up to {sum}, more than 1.0: lower some of them")]
    SharesExceedOne {
        /// Their sum.
        sum: f64,
    },
    /// The HTTP client for the upstream could not be built.
    #[error("could not build the proxy's HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A running fault-injection proxy; stops (listener and every connection) when dropped.
pub struct FaultProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .finish()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts the proxy on `127.0.0.1:0` in front of `upstream` (an `http://`
    /// URL; a path, if any, is prefixed to every request path).
    pub async fn start(upstream: url::Url, plan: FaultPlan) -> Result<FaultProxy, Error> {
        plan.validate()?;
        if upstream.scheme() != "http" || !upstream.has_host() {
            return Err(Error::InvalidUpstream(upstream.to_string()));
        }
        let base = upstream.as_str().trim_end_matches('/').to_owned();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::Bind)?;
        let addr = listener.local_addr().map_err(Error::Bind)?;
        let shared = Arc::new(Shared::new(base, client, plan));
        let task = tokio::spawn(server::accept_loop(listener, shared.clone()));
        tracing::debug!(%addr, upstream = %shared.upstream, "fault proxy started");
        Ok(FaultProxy { shared, addr, task })
    }

    /// `http://127.0.0.1:PORT`: the endpoint URL to give the SDK.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The upstream base URL requests are forwarded to.
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// Replaces the plan from the next request on, restarting the random
    /// generator from the new plan's seed. Counts are kept.
    pub fn set_plan(&self, plan: FaultPlan) -> Result<(), Error> {
        plan.validate()?;
        let mut inner = self.shared.lock();
        inner.rng = SplitMix64::new(plan.seed);
        inner.plan = plan;
        Ok(())
    }

    /// The plan in force.
    pub fn plan(&self) -> FaultPlan {
        self.shared.lock().plan.clone()
    }

    /// A snapshot of the counts per operation.
    pub fn counts(&self) -> Counts {
        self.shared.lock().snapshot()
    }

    /// Forgets every count (the plan and its generator go on).
    pub fn reset_counts(&self) {
        self.shared.lock().counts.clear();
    }
}
