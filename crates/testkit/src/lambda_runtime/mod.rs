//! A local AWS Lambda for custom runtimes (`provided.al2023`): the Runtime API a bootstrap talks
//! to ([`RuntimeApi`]), the launcher that unpacks a deployment package and starts its
//! `bootstrap` as Lambda does ([`Function`]), and a root file system with only what the runtime
//! promises, to start it in a chroot ([`root`]); [`event`] makes the events API Gateway's HTTP
//! API and function URLs send.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use studio_fed_testkit::lambda_runtime::{Function, RuntimeApi, unpack};
//!
//! let task_root = std::path::Path::new("/tmp/task");
//! unpack(std::path::Path::new("gateway.zip"), task_root)?;
//! let function = Function::new(task_root, "gateway.toml").variable("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");
//! let api = RuntimeApi::start(&function.arn()).await?;
//! let started = function.start(&api)?;
//! let answer = api.invoke(&serde_json::json!({"version": "2.0"})).answer().await;
//! println!("{:?} after {:?}: {}", answer, started.started_at().elapsed(), started.log());
//! # Ok(()) }
//! ```

mod api;
pub mod event;
mod function;
pub mod root;

pub use api::{Answer, FunctionError, Invocation, RuntimeApi};
pub use function::{Function, Started, unpack};

/// Locks `mutex`, also after a panic elsewhere (the data stays usable).
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
