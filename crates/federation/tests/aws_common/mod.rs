//! Shared set-up of the `aws_*` tests: an emulator behind a counting proxy.
#![allow(dead_code)]

use aws_config::SdkConfig;
use studio_fed_testkit::emulator::Emulator;
use studio_fed_testkit::proxy::{Counts, FaultPlan, FaultProxy};

/// An emulator, a pass-through proxy in front of it, and an SDK config using the proxy.
pub struct Env {
    pub emulator: Emulator,
    pub proxy: FaultProxy,
    pub config: SdkConfig,
}

pub async fn env() -> Env {
    let emulator = Emulator::start().await.expect("emulator starts");
    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint URL");
    let proxy = FaultProxy::start(upstream, FaultPlan::new())
        .await
        .expect("proxy starts");
    let config = emulator.sdk_config_via(&proxy.endpoint_url());
    Env {
        emulator,
        proxy,
        config,
    }
}

fn is_read(operation: &str) -> bool {
    let action = operation.split(':').nth(1).unwrap_or(operation);
    ["Get", "List", "Describe"].iter().any(|p| action.starts_with(p))
}

/// The write operations (not Get/List/Describe) among `counts`.
pub fn writes(counts: &Counts) -> Vec<String> {
    counts
        .iter()
        .filter(|(op, c)| c.received > 0 && !is_read(op))
        .map(|(op, _)| op.to_owned())
        .collect()
}

impl Env {
    /// Resets the counts, so that the next call's requests can be checked.
    pub fn reset(&self) {
        self.proxy.reset_counts();
    }

    /// Asserts the calls since the last reset were reads only, and there were some.
    pub fn assert_read_only(&self) {
        let counts = self.proxy.counts();
        assert!(counts.total() > 0, "expected some read calls: {counts:?}");
        assert_eq!(
            writes(&counts),
            Vec::<String>::new(),
            "no write call expected: {counts:?}"
        );
    }

    /// Asserts nothing at all was sent since the last reset.
    pub fn assert_nothing_sent(&self) {
        let counts = self.proxy.counts();
        assert_eq!(counts.total(), 0, "nothing should reach AWS: {counts:?}");
    }
}
