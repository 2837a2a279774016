//! An axum router served over TLS (OpenSSL) on 127.0.0.1.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_openssl::SslStream;
use url::Url;

use super::{Error, TlsChain};

/// Serves an axum [`Router`] over HTTPS on `127.0.0.1:<random port>`, presenting the chain's leaf
/// and intermediate certificates (not the root). The server stops gracefully when dropped.
#[derive(Debug)]
pub struct TlsServer {
    addr: SocketAddr,
    url: Url,
    shutdown: Option<oneshot::Sender<()>>,
    acceptor: JoinHandle<()>,
    server: Option<JoinHandle<()>>,
}

impl TlsServer {
    /// Binds `127.0.0.1:0` and starts serving `router`. Must be called within a Tokio runtime.
    pub async fn serve(chain: &TlsChain, router: Router) -> Result<Self, Error> {
        let tcp = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::serve_on(tcp, chain, router).await
    }

    /// Serves `router` on a listener already bound, for servers that must know
    /// their address before building the router (e.g. an issuer URL).
    pub async fn serve_on(tcp: TcpListener, chain: &TlsChain, router: Router) -> Result<Self, Error> {
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
        acceptor.set_private_key(chain.leaf().private_key())?;
        acceptor.set_certificate(chain.leaf().x509())?;
        acceptor.add_extra_chain_cert(chain.intermediate().x509().clone())?;
        acceptor.check_private_key()?;
        let acceptor = Arc::new(acceptor.build());

        let addr = tcp.local_addr()?;
        let url = Url::parse(&format!("https://{addr}/"))?;

        // TLS handshakes run in their own tasks so a slow or failing client cannot block the
        // others; finished streams are handed to axum through `HandshakenListener`.
        let (ready, incoming) = mpsc::channel(16);
        let acceptor = tokio::spawn(accept_loop(tcp, acceptor, ready));
        let listener = HandshakenListener { incoming, addr };

        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "TLS test server failed");
            }
        });

        Ok(Self {
            addr,
            url,
            shutdown: Some(shutdown),
            acceptor,
            server: Some(server),
        })
    }

    /// The socket address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `https://127.0.0.1:<port>/`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Stops accepting connections, lets open ones finish, and waits for the server to end.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    fn stop(&mut self) {
        self.acceptor.abort();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

type Handshaken = (SslStream<TcpStream>, SocketAddr);

async fn accept_loop(tcp: TcpListener, acceptor: Arc<SslAcceptor>, ready: mpsc::Sender<Handshaken>) {
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::debug!(%error, "TLS test server: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        if ready.is_closed() {
            return;
        }
        let (acceptor, ready) = (Arc::clone(&acceptor), ready.clone());
        tokio::spawn(async move {
            match handshake(&acceptor, stream).await {
                Ok(tls) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Err(error) => tracing::debug!(%error, %peer, "TLS test server: handshake failed"),
            }
        });
    }
}

async fn handshake(
    acceptor: &SslAcceptor,
    stream: TcpStream,
) -> Result<SslStream<TcpStream>, Box<dyn std::error::Error + Send + Sync>> {
    let ssl = Ssl::new(acceptor.context())?;
    let mut tls = SslStream::new(ssl, stream)?;
    Pin::new(&mut tls).accept().await?;
    Ok(tls)
}

/// An [`axum::serve::Listener`] yielding connections whose TLS handshake has completed.
struct HandshakenListener {
    incoming: mpsc::Receiver<Handshaken>,
    addr: SocketAddr,
}

impl axum::serve::Listener for HandshakenListener {
    type Io = SslStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accept loop has stopped: no connection will ever come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
