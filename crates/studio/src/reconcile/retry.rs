//! Retrying AWS calls that fail for a passing reason, with bounded
//! exponential backoff and jitter.
//!
//! Passing reasons, each as AWS documents it:
//! - `ConflictException` (Identity Center): "a conflict with a previous
//!   successful write ... A retry (with appropriate backoff logic) is the
//!   recommended response", e.g. a write on a permission set while one of its
//!   requests is in progress;
//! - throttling (`ThrottlingException`, `Throttling`, `TooManyRequestsException`,
//!   `RequestLimitExceeded`) beyond the SDK's own retry budget;
//! - IAM eventual consistency: SageMaker refusing a role created a moment ago
//!   with a `ValidationException` that it "could not assume" the role.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use super::Error;

/// How apply retries a call that failed for a passing reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The first pause.
    pub initial: Duration,
    /// The longest pause (pauses double up to it).
    pub max_interval: Duration,
}

impl Default for Retry {
    /// 10 attempts, pausing from 0.5 s doubling to 8 s (about 40 s in all,
    /// which covers IAM's usual propagation time).
    fn default() -> Self {
        Retry {
            attempts: 10,
            initial: Duration::from_millis(500),
            max_interval: Duration::from_secs(8),
        }
    }
}

/// Why an error is worth retrying, if it is.
pub(crate) fn passing_reason(err: &Error) -> Option<&'static str> {
    let Error::Aws(studio_fed_federation::aws::Error::Aws { code, message, .. }) = err else {
        return None;
    };
    match code.as_str() {
        "ConflictException" => Some("a conflicting write is in progress"),
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded" => Some("throttled"),
        "ValidationException" | "ValidationError" if role_not_yet_usable(message) => {
            Some("the role is not usable yet (IAM propagation)")
        }
        _ => None,
    }
}

/// SageMaker's words for a role it cannot assume (yet).
fn role_not_yet_usable(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("role") && (message.contains("assume") || message.contains("propagat"))
}

/// A random share of `pause`: between half of it and all of it ("equal jitter").
fn jittered(pause: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let half = pause / 2;
    let extra = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(if extra == 0 { 0 } else { random % extra })
}

impl Retry {
    /// Runs `call` until it succeeds, fails for a reason that does not pass,
    /// or the attempts run out (then its last error is returned).
    pub(crate) async fn run<T, F, Fut>(&self, resource: &str, call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_with(resource, |_| None, call).await
    }

    /// [`Retry::run`] for a SageMaker delete, which also waits out
    /// `ResourceInUse`: DeleteUserProfile, DeleteSpace and DeleteDomain answer
    /// it while the apps or spaces inside are still being deleted.
    pub(crate) async fn run_delete<T, F, Fut>(&self, resource: &str, call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let in_use = |err: &Error| match err {
            Error::Aws(e) if e.code() == Some("ResourceInUse") => Some("its apps or spaces are still being deleted"),
            _ => None,
        };
        self.run_with(resource, in_use, call).await
    }

    async fn run_with<T, F, Fut>(
        &self,
        resource: &str,
        also: impl Fn(&Error) -> Option<&'static str>,
        mut call: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut pause = self.initial;
        let mut attempt = 1;
        loop {
            match call().await {
                Ok(value) => return Ok(value),
                Err(err) => {
                    let Some(reason) = passing_reason(&err).or_else(|| also(&err)) else {
                        return Err(err);
                    };
                    if attempt >= self.attempts.max(1) {
                        return Err(err);
                    }
                    let sleep = jittered(pause);
                    tracing::info!(%resource, attempt, reason, pause_ms = sleep.as_millis() as u64, "retrying");
                    tokio::time::sleep(sleep).await;
                    pause = (pause * 2).min(self.max_interval);
                    attempt += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn aws_error(code: &str, message: &str) -> Error {
        Error::Aws(studio_fed_federation::aws::Error::Aws {
            action: "sso:CreateAccountAssignment",
            resource: "r".to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
            source: "test".into(),
        })
    }

    fn fast(attempts: u32) -> Retry {
        Retry {
            attempts,
            initial: Duration::from_millis(1),
            max_interval: Duration::from_millis(2),
        }
    }

    #[test]
    fn conflicts_throttling_and_role_propagation_pass_other_errors_do_not() {
        assert!(passing_reason(&aws_error("ConflictException", "in progress")).is_some());
        assert!(passing_reason(&aws_error("ThrottlingException", "slow down")).is_some());
        assert!(passing_reason(&aws_error("TooManyRequestsException", "slow down")).is_some());
        assert!(
            passing_reason(&aws_error(
                "ValidationException",
                "Could not assume role arn:aws:iam::1:role/x. Please ensure that the role exists"
            ))
            .is_some()
        );
        assert!(passing_reason(&aws_error("ValidationException", "Value 'x' at 'domainName' failed")).is_none());
        assert!(passing_reason(&aws_error("AccessDeniedException", "no")).is_none());
        assert!(passing_reason(&Error::Config("x".to_owned())).is_none());
    }

    #[tokio::test]
    async fn a_passing_error_is_retried_until_the_call_succeeds() {
        let calls = AtomicU32::new(0);
        let result = fast(5)
            .run("r", || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(aws_error("ConflictException", "in progress"))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(result.ok(), Some(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_are_bounded_and_other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Error> = fast(4)
            .run("r", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(aws_error("ThrottlingException", "slow down"))
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let result: Result<(), Error> = fast(4)
            .run("r", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(aws_error("AccessDeniedException", "no"))
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn jitter_stays_between_half_the_pause_and_the_pause() {
        for _ in 0..100 {
            let pause = jittered(Duration::from_millis(100));
            assert!(
                pause >= Duration::from_millis(50) && pause <= Duration::from_millis(100),
                "{pause:?}"
            );
        }
    }
}
