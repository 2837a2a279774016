//! The TLS test server presents leaf + intermediate, and clients trusting the root connect.

use std::error::Error as StdError;
use std::pin::Pin;

use axum::Router;
use axum::routing::get;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use studio_fed_testkit::tls::{KeyType, TlsChain, TlsServer, sha1_thumbprint};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

type TestResult = Result<(), Box<dyn StdError>>;

fn router() -> Router {
    Router::new().route("/.well-known/jwks.json", get(|| async { r#"{"keys":[]}"# }))
}

fn client_trusting(root_pem: &str) -> Result<reqwest::Client, Box<dyn StdError>> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(root_pem.as_bytes())?])
        .build()?)
}

/// Connects with OpenSSL (verifying against the chain's root) and returns the presented chain.
async fn presented_chain(server: &TlsServer, chain: &TlsChain, sni: &str) -> Result<Vec<X509>, Box<dyn StdError>> {
    let mut connector = SslConnector::builder(SslMethod::tls_client())?;
    connector.cert_store_mut().add_cert(chain.root().x509().clone())?;
    connector.set_verify(SslVerifyMode::PEER);
    let ssl = connector.build().configure()?.into_ssl(sni)?;
    let tcp = TcpStream::connect(server.addr()).await?;
    let mut tls = SslStream::new(ssl, tcp)?;
    Pin::new(&mut tls).connect().await?;
    let presented = tls.ssl().peer_cert_chain().ok_or("no peer chain")?;
    Ok(presented.iter().map(|c| c.to_owned()).collect())
}

#[tokio::test]
async fn https_get_succeeds_when_trusting_the_root() -> TestResult {
    for key_type in [KeyType::Rsa2048, KeyType::EcP256] {
        let chain = TlsChain::generate_with(key_type, ["oidc.example.test"])?;
        let server = TlsServer::serve(&chain, router()).await?;
        assert_eq!(server.url().as_str(), format!("https://{}/", server.addr()));
        let client = client_trusting(chain.root_pem())?;

        let url = server.url().join(".well-known/jwks.json")?;
        let response = client.get(url).send().await?;
        assert_eq!(response.status(), 200, "{key_type:?}");
        assert_eq!(response.text().await?, r#"{"keys":[]}"#);

        // The leaf also covers `localhost`.
        let url = format!("https://localhost:{}/.well-known/jwks.json", server.addr().port());
        assert_eq!(client.get(url).send().await?.status(), 200, "{key_type:?} localhost");
    }
    Ok(())
}

#[tokio::test]
async fn https_get_fails_without_trusting_the_root() -> TestResult {
    let chain = TlsChain::generate(["oidc.example.test"])?;
    let other = TlsChain::generate(["oidc.example.test"])?;
    let server = TlsServer::serve(&chain, router()).await?;
    let result = client_trusting(other.root_pem())?
        .get(server.url().clone())
        .send()
        .await;
    assert!(result.is_err(), "connected although the root is not trusted");

    // The server keeps serving after a failed handshake.
    let ok = client_trusting(chain.root_pem())?
        .get(server.url().clone())
        .send()
        .await?;
    assert_eq!(ok.status(), 404);
    Ok(())
}

#[tokio::test]
async fn presented_chain_is_leaf_then_intermediate_and_matches_the_thumbprint() -> TestResult {
    for key_type in [KeyType::Rsa2048, KeyType::EcP256] {
        let chain = TlsChain::generate_with(key_type, ["oidc.example.test"])?;
        let server = TlsServer::serve(&chain, router()).await?;
        for sni in ["localhost", "oidc.example.test"] {
            let presented = presented_chain(&server, &chain, sni).await?;
            assert_eq!(presented.len(), 2, "{key_type:?}: leaf + intermediate, no root");
            assert_eq!(presented[0].to_der()?, chain.leaf().der());
            assert_eq!(presented[1].to_der()?, chain.intermediate().der());

            // What AWS computes: SHA-1 of the last certificate the server sends.
            let last = presented.last().ok_or("empty chain")?;
            let thumbprint = sha1_thumbprint(&last.to_der()?)?;
            assert_eq!(thumbprint, chain.expected_thumbprint());
            assert_eq!(thumbprint.len(), 40);
            assert!(thumbprint.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
            assert_ne!(thumbprint, chain.root().sha1_thumbprint());
            assert_ne!(thumbprint, chain.leaf().sha1_thumbprint());
        }
    }
    Ok(())
}

async fn refuses_connections(addr: std::net::SocketAddr) -> bool {
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn server_stops_on_shutdown_and_on_drop() -> TestResult {
    let chain = TlsChain::generate(Vec::<String>::new())?;

    let server = TlsServer::serve(&chain, router()).await?;
    let addr = server.addr();
    let client = client_trusting(chain.root_pem())?;
    assert_eq!(client.get(server.url().clone()).send().await?.status(), 404);
    server.shutdown().await;
    assert!(refuses_connections(addr).await, "still accepting after shutdown");

    let server = TlsServer::serve(&chain, router()).await?;
    let addr = server.addr();
    drop(server);
    assert!(refuses_connections(addr).await, "still accepting after drop");
    Ok(())
}
