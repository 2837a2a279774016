//! A reqwest 0.13 HTTP client for `openidconnect`: no redirects, timeouts and
//! a response size cap.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

use super::OidcError;
use super::validator::error_chain;

/// Default total timeout of one request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a response body.
const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Why an HTTP exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Transport, TLS or timeout failure.
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL (no query string).
        url: String,
        /// Why.
        reason: String,
    },
    /// The response body exceeded the cap.
    #[error("the response from {url} exceeds {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// The request or response could not be converted.
    #[error("invalid HTTP message: {0}")]
    Invalid(String),
}

/// Options of [`HttpClient`].
#[derive(Debug, Clone)]
pub struct HttpClientBuilder {
    timeout: Duration,
    max_body: usize,
    extra_roots_pem: Vec<Vec<u8>>,
}

impl HttpClientBuilder {
    /// Total timeout of one request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Cap on a response body (default 1 MiB).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body = max;
        self
    }

    /// Also trusts this PEM root CA (added to the system roots; verification stays on).
    pub fn extra_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots_pem.push(pem.into());
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<HttpClient, OidcError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout);
        if !self.extra_roots_pem.is_empty() {
            let certs = self
                .extra_roots_pem
                .iter()
                .map(|pem| reqwest::Certificate::from_pem(pem))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| OidcError::Config(format!("the extra root CA is not a PEM certificate: {e}")))?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| OidcError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            max_body: self.max_body,
        })
    }
}

/// The HTTP client every OIDC request goes through: redirects are never
/// followed (an OAuth/OIDC endpoint has no business redirecting a back-channel
/// request), each request times out, and bodies are capped.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    max_body: usize,
}

impl HttpClient {
    /// A client with the defaults (10 s timeout, 1 MiB cap, system roots).
    pub fn new() -> Result<Self, OidcError> {
        Self::builder().build()
    }

    /// Options.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder {
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            extra_roots_pem: Vec::new(),
        }
    }

    /// Sends one `openidconnect` request (the client is also an [`AsyncHttpClient`] itself).
    pub async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let shown = url.split('?').next().unwrap_or_default().to_owned();
        let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        let mut builder = self.client.request(method, &url).body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
        let transport = |e: reqwest::Error| HttpError::Transport {
            url: shown.clone(),
            reason: error_chain(&e),
        };
        let mut response = builder.send().await.map_err(transport)?;
        let mut out = openidconnect::http::Response::builder().status(response.status().as_u16());
        for (name, value) in response.headers() {
            out = out.header(name.as_str(), value.as_bytes());
        }
        if response.content_length().is_some_and(|len| len > self.max_body as u64) {
            return Err(HttpError::TooLarge {
                url: shown,
                limit: self.max_body,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(HttpError::TooLarge {
                    url: shown,
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        out.body(body).map_err(|e| HttpError::Invalid(e.to_string()))
    }
}

/// `openidconnect` requests through [`HttpClient::execute`]. The future is boxed as `Send`, so the
/// futures of the login flow stay `Send` (a closure client makes them generic over higher-ranked
/// lifetimes, which the compiler cannot prove `Send` inside a server's handler).
impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}
