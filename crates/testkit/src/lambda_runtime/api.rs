//! The Lambda Runtime API on 127.0.0.1, as AWS documents it for custom runtimes:
//!
//! - `GET /2018-06-01/runtime/invocation/next` waits for the next event and answers it with
//!   `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `.../{id}/error` answer an event
//!   (202 Accepted; 400 for an unknown request id);
//! - `POST /2018-06-01/runtime/init/error` reports a failed start (202 Accepted).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::lock;

/// How long an invocation may run (its deadline is this long after `/next` hands it out).
const TIMEOUT: Duration = Duration::from_secs(30);

/// What the function sent back for one event, and when it arrived.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `/response` (`Ok`) or `/error` (`Err`).
    pub outcome: Result<Vec<u8>, FunctionError>,
    /// When the Runtime API received it.
    pub received_at: Instant,
}

impl Answer {
    /// The response payload as JSON (an API Gateway proxy response, say); `None` for an error or a
    /// payload that is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.outcome
            .as_ref()
            .ok()
            .and_then(|body| serde_json::from_slice(body).ok())
    }
}

/// An error the function reported: to `/invocation/{id}/error` or `/init/error`.
#[derive(Debug, Clone)]
pub struct FunctionError {
    /// The `Lambda-Runtime-Function-Error-Type` header.
    pub error_type: Option<String>,
    /// The body (`{"errorMessage": ..., "errorType": ...}` by the documentation).
    pub body: Vec<u8>,
    /// When the Runtime API received it.
    pub received_at: Instant,
}

impl FunctionError {
    /// The body's `errorMessage`, or the whole body when it is not that JSON.
    pub fn message(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["errorMessage"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned())
    }
}

/// A queued event; await its [`answer`](Invocation::answer).
#[derive(Debug)]
pub struct Invocation {
    /// The `Lambda-Runtime-Aws-Request-Id` it is handed out with.
    pub request_id: String,
    answer: oneshot::Receiver<Answer>,
}

impl Invocation {
    /// Waits for the function's response or error; `None` when the Runtime API stopped first.
    pub async fn answer(self) -> Option<Answer> {
        self.answer.await.ok()
    }
}

struct Event {
    number: u64,
    request_id: String,
    payload: Vec<u8>,
}

struct Shared {
    function_arn: String,
    events: mpsc::UnboundedSender<Event>,
    queue: Mutex<mpsc::UnboundedReceiver<Event>>,
    waiting: StdMutex<HashMap<String, oneshot::Sender<Answer>>>,
    first_poll: watch::Sender<Option<Instant>>,
    init_error: watch::Sender<Option<FunctionError>>,
    next_id: AtomicU64,
}

/// A Lambda Runtime API on 127.0.0.1 for one function, stopped when dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts it for the function whose ARN `/next` hands out (e.g.
    /// `arn:aws:lambda:eu-west-1:123456789012:function:studio-fed-gateway`).
    pub async fn start(function_arn: &str) -> std::io::Result<RuntimeApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (events, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: function_arn.to_owned(),
            events,
            queue: Mutex::new(queue),
            waiting: StdMutex::new(HashMap::new()),
            first_poll: watch::channel(None).0,
            init_error: watch::channel(None).0,
            next_id: AtomicU64::new(1),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the local Lambda Runtime API stopped");
            }
        });
        Ok(RuntimeApi {
            address,
            shared,
            server,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Queues an event (the payload Lambda would pass, e.g. an API Gateway event) for the next
    /// `/invocation/next`.
    pub fn invoke(&self, payload: &serde_json::Value) -> Invocation {
        let n = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("8476a536-e9f4-11e8-9739-{n:012x}");
        let (sender, answer) = oneshot::channel();
        lock(&self.shared.waiting).insert(request_id.clone(), sender);
        // The receiver lives as long as `shared`, which `self` holds.
        let _ = self.shared.events.send(Event {
            number: n,
            request_id: request_id.clone(),
            payload: payload.to_string().into_bytes(),
        });
        Invocation { request_id, answer }
    }

    /// Waits for the function's first `/invocation/next` and returns when it arrived.
    pub async fn first_poll(&self) -> Instant {
        wait_for(&self.shared.first_poll).await
    }

    /// Waits for an `/init/error` report and returns it.
    pub async fn init_error(&self) -> FunctionError {
        wait_for(&self.shared.init_error).await
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The first value `channel` holds.
async fn wait_for<T: Clone>(channel: &watch::Sender<Option<T>>) -> T {
    let mut receiver = channel.subscribe();
    loop {
        if let Some(value) = receiver.borrow_and_update().clone() {
            return value;
        }
        // The sender lives in `Shared` as long as the API, so this fails only once it has stopped.
        if receiver.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    shared.first_poll.send_if_modified(|first| {
        let unset = first.is_none();
        if unset {
            *first = Some(Instant::now());
        }
        unset
    });
    let Some(event) = shared.queue.lock().await.recv().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let deadline = SystemTime::now() + TIMEOUT;
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let epoch_seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let trace_id = format!(
        "Root=1-{epoch_seconds:08x}-{:024x};Parent={:016x};Sampled=0",
        event.number, event.number
    );
    (
        [
            ("content-type", "application/json".to_owned()),
            ("lambda-runtime-aws-request-id", event.request_id),
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            ("lambda-runtime-invoked-function-arn", shared.function_arn.clone()),
            ("lambda-runtime-trace-id", trace_id),
        ],
        event.payload,
    )
        .into_response()
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    answer(&shared, &id, Ok(body.to_vec()))
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    answer(&shared, &id, Err(function_error(&headers, body)))
}

async fn init_error(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    shared.init_error.send_replace(Some(function_error(&headers, body)));
    accepted()
}

fn function_error(headers: &HeaderMap, body: Bytes) -> FunctionError {
    FunctionError {
        error_type: headers
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
        received_at: Instant::now(),
    }
}

fn answer(shared: &Shared, id: &str, outcome: Result<Vec<u8>, FunctionError>) -> Response {
    let Some(waiting) = lock(&shared.waiting).remove(id) else {
        let body = serde_json::json!({
            "errorMessage": format!("no invocation {id} is waiting for an answer"),
            "errorType": "InvalidRequestID",
        });
        return (StatusCode::BAD_REQUEST, body.to_string()).into_response();
    };
    // The test may have stopped waiting; the answer is still accepted, as Lambda does.
    let _ = waiting.send(Answer {
        outcome,
        received_at: Instant::now(),
    });
    accepted()
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response()
}
