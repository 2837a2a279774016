//! Waiting for SageMaker resources to settle, with bounded exponential backoff.

use std::future::Future;
use std::time::{Duration, Instant};

use super::Error;
use super::retry::passing_reason;

/// How apply polls a resource until it settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first pause.
    pub initial: Duration,
    /// The longest pause (pauses double up to it).
    pub max_interval: Duration,
    /// The longest total wait before [`Error::Timeout`].
    pub timeout: Duration,
}

impl Default for Backoff {
    /// 1 s doubling to 30 s, for at most 30 minutes (domains take minutes in AWS).
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// What one poll saw.
pub(crate) enum Poll {
    /// Settled as wanted.
    Done,
    /// Still moving, in this status.
    Pending(String),
    /// Failed, for this reason.
    Failed(String),
}

impl Backoff {
    /// Polls `check` until it is done, failed or the timeout passes. A poll
    /// that fails for a passing reason (throttling, say) counts as still pending.
    pub(crate) async fn wait<F, Fut>(&self, resource: &str, wanted: &str, mut check: F) -> Result<(), Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Poll, Error>>,
    {
        let start = Instant::now();
        let mut pause = self.initial;
        loop {
            let seen = match check().await {
                Ok(seen) => seen,
                Err(err) => match passing_reason(&err) {
                    Some(reason) => Poll::Pending(format!("unknown ({reason})")),
                    None => return Err(err),
                },
            };
            match seen {
                Poll::Done => return Ok(()),
                Poll::Failed(reason) => {
                    return Err(Error::Failed {
                        resource: resource.to_owned(),
                        reason,
                    });
                }
                Poll::Pending(status) => {
                    if start.elapsed() >= self.timeout {
                        return Err(Error::Timeout {
                            resource: resource.to_owned(),
                            status,
                            wanted: wanted.to_owned(),
                            waited_secs: start.elapsed().as_secs(),
                        });
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.max_interval);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn fast() -> Backoff {
        Backoff {
            initial: Duration::from_millis(1),
            max_interval: Duration::from_millis(4),
            timeout: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn waits_until_the_resource_settles() {
        let polls = AtomicUsize::new(0);
        let result = fast()
            .wait("domain d", "InService", || async {
                Ok(if polls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Poll::Pending("Pending".into())
                } else {
                    Poll::Done
                })
            })
            .await;
        assert!(result.is_ok());
        assert_eq!(polls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_resource_that_never_settles_times_out_naming_its_status() {
        let err = fast()
            .wait("domain d", "InService", || async {
                Ok(Poll::Pending("Updating".into()))
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Timeout { status, .. } if status == "Updating"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_failed_resource_stops_the_wait_with_its_reason() {
        let err = fast()
            .wait("profile p", "InService", || async {
                Ok(Poll::Failed("role not assumable".into()))
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("role not assumable"), "{err}");
    }
}
