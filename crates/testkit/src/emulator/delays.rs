//! [`Delays`]: how slow the emulator's asynchronous and eventually consistent
//! behaviours are (`POST /_studio/delays`, see `tests/emulator/README.md`).

use std::time::Duration;

/// The emulator's delays; `None` leaves a delay as it is. The emulator's own
/// defaults are short (0.3 s each) so that test suites stay fast.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delays {
    /// How long a deleted app stays `Deleting` before it is `Deleted`.
    pub app_deletion: Option<Duration>,
    /// How long a new IAM role is refused as a SageMaker execution role
    /// (IAM eventual consistency).
    pub role_propagation: Option<Duration>,
    /// How long an Identity Center request (account assignment creation or
    /// deletion, permission set provisioning) stays `IN_PROGRESS`.
    pub identity_center: Option<Duration>,
}

impl Delays {
    /// Every delay set to `delay`.
    pub fn all(delay: Duration) -> Delays {
        Delays {
            app_deletion: Some(delay),
            role_propagation: Some(delay),
            identity_center: Some(delay),
        }
    }

    /// The JSON body the emulator's endpoint takes: seconds per delay that is set.
    pub(super) fn to_json(&self) -> serde_json::Value {
        let fields = [
            ("app_deletion", self.app_deletion),
            ("role_propagation", self.role_propagation),
            ("identity_center", self.identity_center),
        ];
        serde_json::Value::Object(
            fields
                .into_iter()
                .filter_map(|(name, delay)| delay.map(|d| (name.to_owned(), serde_json::json!(d.as_secs_f64()))))
                .collect(),
        )
    }
}
