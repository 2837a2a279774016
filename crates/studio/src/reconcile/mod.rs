//! The reconciler: a deployment made real as [`plan`], [`apply`] and
//! [`plan_destroy`] + [`apply`].
//!
//! - [`Desired`]: what the deployment asks for, computed offline;
//! - [`Actual`]: what exists, read with paginated listings (see
//!   [`actual`] for the calls and [`PROFILES_TAG`] for how profiles are
//!   checked without a describe each);
//! - [`Plan`]: typed, ordered changes ([`PlannedChange`]: create, update with
//!   a field diff, or delete of one [`Resource`]), plus blockers and warnings;
//! - [`apply`]: the changes in dependency order, step by step ([`Step`]),
//!   each step with bounded concurrency, waiting for SageMaker resources and
//!   Identity Center requests to settle with bounded exponential backoff
//!   ([`Backoff`]), and retrying calls that fail for a passing reason
//!   (conflicts, throttling, IAM propagation) with bounded backoff and jitter
//!   ([`Retry`]). Re-running plan and apply after a failure converges.
//!
//! Everything created is tagged [`TAG_DEPLOYMENT`](crate::deployment::TAG_DEPLOYMENT)
//! (the permission set is marked in its description), and nothing is deleted
//! unless it carries that mark.

pub mod actual;
mod apply;
pub mod change;
pub mod desired;
mod plan;
mod progress;
mod retry;
mod wait;

use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};

pub use actual::{Actual, PROFILES_TAG};
pub use apply::{ApplyOptions, ApplyReport, apply};
pub use change::{Action, PlannedChange, Resource, Step};
pub use desired::{Desired, DesiredAdmin, DesiredDomain, DesiredProfile, DesiredRole};
pub use plan::{Plan, plan, plan_destroy};
pub use progress::ProgressMode;
pub use retry::Retry;
pub use wait::Backoff;

use crate::deployment::DeploymentError;

/// Why plan or apply failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The deployment is invalid.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
    /// An AWS call failed (names the action, resource, code and what to do).
    #[error(transparent)]
    Aws(#[from] studio_fed_federation::aws::Error),
    /// The identity store could not be discovered or read.
    #[error(transparent)]
    Directory(#[from] crate::directory::Error),
    /// Something needed to plan is missing, e.g. the region.
    #[error("{0}")]
    Config(String),
    /// The plan has blockers; nothing was changed.
    #[error("the plan is blocked, nothing was changed:\n  {}", .0.join("\n  "))]
    Blocked(Vec<String>),
    /// A resource did not settle in time.
    #[error(
        "{resource} is still {status} after {waited_secs}s (wanted {wanted}); check it in the console, then run apply again"
    )]
    Timeout {
        /// The resource.
        resource: String,
        /// Its last status.
        status: String,
        /// The status waited for.
        wanted: String,
        /// How long apply waited.
        waited_secs: u64,
    },
    /// A resource went to a failed state.
    #[error("{resource} failed: {reason}; fix the cause, then run apply again")]
    Failed {
        /// The resource.
        resource: String,
        /// AWS's failure reason.
        reason: String,
    },
    /// Apply stopped part-way; what was done stays done.
    #[error(
        "apply stopped after {done} of {total} changes: {source}\nrunning apply again continues from where it stopped"
    )]
    Partial {
        /// Changes completed.
        done: usize,
        /// Changes planned.
        total: usize,
        /// The first failure.
        #[source]
        source: Box<Error>,
    },
}

/// An SDK error of `action` on `resource`.
pub(crate) fn aws_context<E>(action: &'static str, resource: impl Into<String>, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Error::Aws(studio_fed_federation::aws::Error::aws(action, resource, err))
}
