//! [`Counts`]: what the proxy saw, per operation.

use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::FaultKind;

/// What happened to the requests of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OperationCounts {
    /// Requests received (every request the proxy read completely).
    pub received: u64,
    /// Requests answered with the throttling error.
    pub throttled: u64,
    /// Requests answered with HTTP 500.
    pub server_errors: u64,
    /// Requests whose connection was dropped.
    pub dropped: u64,
    /// Requests sent to the upstream (`received` minus the faults).
    pub forwarded: u64,
    /// Forwarded requests the upstream did not answer (the client got HTTP 502).
    pub upstream_failures: u64,
}

impl OperationCounts {
    /// Faults of every kind.
    pub fn faults(&self) -> u64 {
        self.throttled + self.server_errors + self.dropped
    }

    pub(super) fn record_fault(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::Throttle => self.throttled += 1,
            FaultKind::ServerError => self.server_errors += 1,
            FaultKind::DropConnection => self.dropped += 1,
        }
    }
}

/// A snapshot of the counts per operation (`service:Action`, e.g.
/// `sagemaker:CreateDomain`, `iam:CreateRole`), serialized as a map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Counts {
    pub(super) operations: BTreeMap<String, OperationCounts>,
}

impl Counts {
    /// Requests received, all operations together.
    pub fn total(&self) -> u64 {
        self.operations.values().map(|c| c.received).sum()
    }

    /// Requests forwarded, all operations together.
    pub fn total_forwarded(&self) -> u64 {
        self.operations.values().map(|c| c.forwarded).sum()
    }

    /// Faults injected, all operations and kinds together.
    pub fn total_faults(&self) -> u64 {
        self.operations.values().map(OperationCounts::faults).sum()
    }

    /// The counts of one operation (all zero if it was never seen).
    pub fn operation(&self, operation: &str) -> OperationCounts {
        self.operations.get(operation).copied().unwrap_or_default()
    }

    /// Requests received for one operation.
    pub fn received(&self, operation: &str) -> u64 {
        self.operation(operation).received
    }

    /// Requests forwarded for one operation.
    pub fn forwarded(&self, operation: &str) -> u64 {
        self.operation(operation).forwarded
    }

    /// Faults injected for one operation.
    pub fn faults(&self, operation: &str) -> u64 {
        self.operation(operation).faults()
    }

    /// Every operation seen, with its counts, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &OperationCounts)> {
        self.operations.iter().map(|(name, counts)| (name.as_str(), counts))
    }
}
