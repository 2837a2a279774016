//! Self-signed root → intermediate → leaf certificate chains, served over TLS on 127.0.0.1.
//!
//! Built for the IAM OIDC provider thumbprint: AWS connects to the `jwks_uri` host, takes the last
//! certificate of the chain the server sends (the top intermediate CA) and uses the SHA-1 of its
//! DER as 40 lowercase hex digits. [`TlsServer`] sends leaf + intermediate (never the root), so
//! that certificate is the intermediate and [`TlsChain::expected_thumbprint`] is its SHA-1.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use studio_fed_testkit::tls::{TlsChain, TlsServer};
//!
//! let chain = TlsChain::generate(["oidc.example.test"])?;
//! let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
//! let server = TlsServer::serve(&chain, router).await?;
//! let client = reqwest::Client::builder()
//!     .tls_certs_only([reqwest::Certificate::from_pem(chain.root_pem().as_bytes())?])
//!     .build()?;
//! let body = client.get(server.url().clone()).send().await?.text().await?;
//! assert_eq!(body, "hello");
//! println!("thumbprint: {}", chain.expected_thumbprint());
//! # Ok(()) }
//! ```

mod chain;
mod server;

pub use chain::{Certificate, KeyType, TlsChain, sha1_thumbprint};
pub use server::TlsServer;

/// Errors of certificate generation and the TLS server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Key or certificate generation, or the TLS configuration, failed.
    #[error("OpenSSL error: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// The server could not bind its socket.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A URL could not be built.
    #[error("invalid URL: {0}")]
    Url(#[from] url::ParseError),
}
