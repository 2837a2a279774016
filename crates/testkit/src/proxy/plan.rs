//! [`FaultPlan`]: which share of requests gets which fault, deterministically.

use std::collections::BTreeSet;

use serde::Serialize;

/// A fault the proxy injects instead of forwarding a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The service's throttling error (HTTP 400 `ThrottlingException` /
    /// `Throttling`), which the SDK's standard retry classifies as throttling.
    Throttle,
    /// HTTP 500 `InternalFailure`, a transient error for the SDK.
    ServerError,
    /// The TCP connection is closed without any response.
    DropConnection,
}

/// Shares of requests answered with each fault, the RNG seed, and optionally
/// the operations faults apply to. The default plan injects nothing.
///
/// For each request the plan applies to, the proxy draws one number `u` in
/// `[0, 1)` from a SplitMix64 generator seeded with [`FaultPlan::seed`]:
/// `u < throttle` throttles, then the next `server_error` share fails, then the
/// next `drop_connection` share drops. The same seed and the same sequence of
/// requests give the same faults. [`super::FaultProxy::set_plan`] restarts the
/// generator from the new plan's seed.
///
/// ```
/// use studio_fed_testkit::proxy::FaultPlan;
/// let plan = FaultPlan::new().throttle(0.2).server_error(0.05).seed(7).only_operations(["sagemaker:*"]);
/// # let _ = plan;
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultPlan {
    pub(super) throttle: f64,
    pub(super) server_error: f64,
    pub(super) drop_connection: f64,
    pub(super) seed: u64,
    pub(super) operations: Option<BTreeSet<String>>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            throttle: 0.0,
            server_error: 0.0,
            drop_connection: 0.0,
            seed: 0x5EED,
            operations: None,
        }
    }
}

impl FaultPlan {
    /// A plan that injects nothing (forward everything); add shares to it.
    pub fn new() -> Self {
        Self::default()
    }

    /// The share (0.0–1.0) of requests answered with the throttling error.
    pub fn throttle(mut self, share: f64) -> Self {
        self.throttle = share;
        self
    }

    /// The share (0.0–1.0) of requests answered with HTTP 500.
    pub fn server_error(mut self, share: f64) -> Self {
        self.server_error = share;
        self
    }

    /// The share (0.0–1.0) of requests whose connection is closed without a response.
    pub fn drop_connection(mut self, share: f64) -> Self {
        self.drop_connection = share;
        self
    }

    /// The RNG seed (default `0x5EED`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Applies faults only to these operations (`service:Action`, e.g.
    /// `sagemaker:CreateDomain`, or `service:*` for a whole service); other
    /// requests are forwarded and draw no random number.
    pub fn only_operations<I, S>(mut self, operations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.operations = Some(operations.into_iter().map(Into::into).collect());
        self
    }

    /// Checks that every share is within 0.0–1.0 and that they add up to at most 1.0.
    pub(super) fn validate(&self) -> Result<(), super::Error> {
        let shares = [
            ("throttle", self.throttle),
            ("server_error", self.server_error),
            ("drop_connection", self.drop_connection),
        ];
        for (kind, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(super::Error::InvalidShare { kind, share });
            }
        }
        let sum = self.throttle + self.server_error + self.drop_connection;
        if sum > 1.0 + 1e-9 {
            return Err(super::Error::SharesExceedOne { sum });
        }
        Ok(())
    }

    /// Whether the plan may fault this operation.
    pub(super) fn applies_to(&self, operation: &str) -> bool {
        let Some(operations) = &self.operations else {
            return true;
        };
        let service_wildcard = operation.split_once(':').map(|(service, _)| format!("{service}:*"));
        operations.contains(operation) || service_wildcard.is_some_and(|w| operations.contains(&w))
    }

    /// Maps a uniform draw in `[0, 1)` to a fault, if any.
    pub(super) fn fault_for(&self, draw: f64) -> Option<FaultKind> {
        if draw < self.throttle {
            Some(FaultKind::Throttle)
        } else if draw < self.throttle + self.server_error {
            Some(FaultKind::ServerError)
        } else if draw < self.throttle + self.server_error + self.drop_connection {
            Some(FaultKind::DropConnection)
        } else {
            None
        }
    }

    /// Whether the plan can inject anything at all.
    pub(super) fn is_active(&self) -> bool {
        self.throttle + self.server_error + self.drop_connection > 0.0
    }
}

/// SplitMix64: tiny, fast, and good enough to spread faults evenly.
#[derive(Debug, Clone)]
pub(super) struct SplitMix64(u64);

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in `[0, 1)` with 53 bits of precision.
    pub(super) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
