//! The IAM OIDC provider thumbprint, computed the way AWS documents it.

use std::fmt::Write as _;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;
use openssl::hash::MessageDigest;
use openssl::ssl::{SslConnector, SslMethod};
use openssl::x509::X509;
use tokio::net::TcpStream;
use url::Url;

use super::OidcError;
use super::http::HttpClient;
use super::validator::error_chain;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The thumbprint IAM wants for an OIDC provider whose keys are served at
/// `jwks_uri_or_issuer` (any `https` URL on the JWKS host): opens a verified
/// TLS connection to its host and port, takes the LAST certificate of the
/// chain the server sends (the top intermediate CA) and returns the SHA-1 of
/// its DER as 40 lowercase hex digits.
///
/// The chain is verified against the system roots, or only against
/// `extra_root_pem` (a PEM CA certificate) when given; hostname included.
#[tracing::instrument(name = "oidc_thumbprint", skip(extra_root_pem))]
pub async fn oidc_thumbprint(jwks_uri_or_issuer: &str, extra_root_pem: Option<&[u8]>) -> Result<String, OidcError> {
    let url = Url::parse(jwks_uri_or_issuer)
        .map_err(|e| OidcError::Config(format!("`{jwks_uri_or_issuer}` is not a URL: {e}")))?;
    if url.scheme() != "https" {
        return Err(OidcError::Config(format!(
            "`{jwks_uri_or_issuer}` is not an https URL; IAM only trusts OIDC providers over TLS"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| OidcError::Config(format!("`{jwks_uri_or_issuer}` has no host")))?;
    // Url keeps IPv6 literals in brackets; OpenSSL wants them bare.
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let endpoint = format!("{host}:{port}");
    let tls = |reason: String| OidcError::Tls {
        host: endpoint.clone(),
        reason,
    };

    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|e| tls(e.to_string()))?;
    if let Some(pem) = extra_root_pem {
        let root = X509::from_pem(pem).map_err(|e| OidcError::Config(format!("the root CA is not PEM: {e}")))?;
        // A fresh store: trust exactly this root.
        let mut store = openssl::x509::store::X509StoreBuilder::new().map_err(|e| tls(e.to_string()))?;
        store.add_cert(root).map_err(|e| tls(e.to_string()))?;
        builder
            .set_verify_cert_store(store.build())
            .map_err(|e| tls(e.to_string()))?;
    }
    let connector = builder.build();
    let ssl = connector
        .configure()
        .and_then(|c| c.into_ssl(&host))
        .map_err(|e| tls(e.to_string()))?;

    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| tls("connection timed out".into()))?
        .map_err(|e| tls(format!("could not connect: {e}")))?;
    let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| tls(e.to_string()))?;
    tokio::time::timeout(CONNECT_TIMEOUT, Pin::new(&mut stream).connect())
        .await
        .map_err(|_| tls("the TLS handshake timed out".into()))?
        .map_err(|e| {
            let verify = stream.ssl().verify_result();
            tls(format!(
                "handshake failed ({}): {}",
                verify.error_string(),
                error_chain(&e)
            ))
        })?;

    let chain = stream
        .ssl()
        .peer_cert_chain()
        .ok_or_else(|| tls("the server sent no certificate".into()))?;
    let last = chain
        .iter()
        .last()
        .ok_or_else(|| tls("the server sent an empty certificate chain".into()))?;
    let digest = last.digest(MessageDigest::sha1()).map_err(|e| tls(e.to_string()))?;
    let thumbprint = digest.iter().fold(String::with_capacity(40), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    tracing::debug!(%thumbprint, certificates = chain.len(), "computed the OIDC thumbprint");
    Ok(thumbprint)
}

/// Discovers `issuer`'s `jwks_uri`, then computes [`oidc_thumbprint`] for it.
pub async fn thumbprint_for_issuer(
    issuer: &str,
    http: &HttpClient,
    extra_root_pem: Option<&[u8]>,
) -> Result<String, OidcError> {
    let issuer_url = IssuerUrl::new(issuer.to_owned())
        .map_err(|e| OidcError::Config(format!("issuer `{issuer}` is not a URL: {e}")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer_url, http)
        .await
        .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
    oidc_thumbprint(metadata.jwks_uri().url().as_str(), extra_root_pem).await
}
