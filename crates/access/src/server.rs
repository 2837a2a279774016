//! Serving the gateway over HTTP, with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::{Error, Gateway, http};

/// Serves `gateway` on `listener` until `shutdown` completes, then lets requests in flight finish.
///
/// TLS is expected to end at a load balancer or reverse proxy in front (list it in
/// `network.trusted_proxies`).
pub async fn serve(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "the listener".to_owned(), |a| a.to_string());
    tracing::info!(%addr, "studio-fed gateway listening");
    let app = http::router(gateway).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| Error::Serve { addr, source })
}

/// Completes on Ctrl-C or SIGTERM (what container platforms send before stopping a task).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
