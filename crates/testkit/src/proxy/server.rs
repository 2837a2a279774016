//! The proxy's accept loop and request handling: count, maybe inject a
//! fault, otherwise forward to the upstream and relay its answer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::aws;
use super::counts::{Counts, OperationCounts};
use super::plan::{FaultKind, FaultPlan, SplitMix64};

/// The plan, its generator and the counts, under one lock so that every
/// decision and its count are atomic.
pub(super) struct Inner {
    pub(super) plan: FaultPlan,
    pub(super) rng: SplitMix64,
    pub(super) counts: BTreeMap<String, OperationCounts>,
    /// Requests received since start, for request IDs.
    requests: u64,
}

impl Inner {
    pub(super) fn new(plan: FaultPlan) -> Self {
        let rng = SplitMix64::new(plan.seed);
        Inner {
            plan,
            rng,
            counts: BTreeMap::new(),
            requests: 0,
        }
    }

    pub(super) fn snapshot(&self) -> Counts {
        Counts {
            operations: self.counts.clone(),
        }
    }

    /// Counts a received request and decides its fate.
    fn admit(&mut self, operation: &str) -> (Option<FaultKind>, u64) {
        self.requests += 1;
        let fault = if self.plan.is_active() && self.plan.applies_to(operation) {
            let draw = self.rng.next_f64();
            self.plan.fault_for(draw)
        } else {
            None
        };
        let counts = self.counts.entry(operation.to_owned()).or_default();
        counts.received += 1;
        match fault {
            Some(kind) => counts.record_fault(kind),
            None => counts.forwarded += 1,
        }
        (fault, self.requests)
    }
}

/// State shared by the connections and the [`super::FaultProxy`] handle.
pub(super) struct Shared {
    /// The upstream base URL without a trailing slash.
    pub(super) upstream: String,
    pub(super) client: reqwest::Client,
    inner: Mutex<Inner>,
}

impl Shared {
    pub(super) fn new(upstream: String, client: reqwest::Client, plan: FaultPlan) -> Self {
        Shared {
            upstream,
            client,
            inner: Mutex::new(Inner::new(plan)),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fault injected: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until the task is aborted; aborting it also aborts
/// every connection (they live in its `JoinSet`).
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = shared.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |request| handle(shared.clone(), request));
                        let connection = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        // Errors are dropped connections (ours or the client's).
                        let _ = connection.await;
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "fault proxy: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = request.into_parts();
    // A client that goes away mid-body sent no request: nothing to count.
    let body = body.collect().await.map_err(|_| DropConnection)?.to_bytes();
    let operation = aws::operation(&parts.method, &parts.uri, &parts.headers, &body);
    let (fault, sequence) = shared.lock().admit(&operation.name);
    let request_id = format!("fa017000-0000-4000-8000-{sequence:012x}");
    let response = match fault {
        Some(FaultKind::DropConnection) => return Err(DropConnection),
        Some(FaultKind::Throttle) => aws::throttling(&operation.protocol, &request_id),
        Some(FaultKind::ServerError) => aws::internal_failure(&operation.protocol, &request_id),
        None => match forward(&shared, parts, body).await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(%error, operation = %operation.name, "fault proxy: upstream failed");
                if let Some(counts) = shared.lock().counts.get_mut(&operation.name) {
                    counts.upstream_failures += 1;
                }
                let mut response = Response::new(Bytes::from(format!("fault proxy: upstream failed: {error}")));
                *response.status_mut() = StatusCode::BAD_GATEWAY;
                response
            }
        },
    };
    Ok(response.map(Full::new))
}

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1).
fn is_hop_by_hop(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::TE
        || name == header::TRAILER
        || name == header::UPGRADE
        || name == header::PROXY_AUTHORIZATION
        || name == header::PROXY_AUTHENTICATE
        || name.as_str() == "keep-alive"
}

/// The headers to pass on, less hop-by-hop ones and those in `also_skip`.
fn end_to_end(headers: &HeaderMap, also_skip: &[HeaderName]) -> HeaderMap {
    headers
        .iter()
        .filter(|(name, _)| !is_hop_by_hop(name) && !also_skip.contains(name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// Sends the request upstream (same method, path, query, headers and body;
/// `Host` becomes the upstream's) and buffers the answer.
async fn forward(shared: &Shared, parts: http::request::Parts, body: Bytes) -> Result<Response<Bytes>, reqwest::Error> {
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("{}{path_and_query}", shared.upstream);
    let upstream = shared
        .client
        .request(parts.method, url)
        // The client sets Host (the upstream's) and Content-Length (of the buffered body).
        .headers(end_to_end(&parts.headers, &[header::HOST, header::CONTENT_LENGTH]))
        .body(body)
        .send()
        .await?;
    let status = upstream.status();
    // Content-Length is kept: the body is relayed whole (and a HEAD answer has none).
    let headers = end_to_end(upstream.headers(), &[]);
    let body = upstream.bytes().await?;
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}
