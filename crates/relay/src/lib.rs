//! The relay: serves the built app and (see PROTOCOL.md) the sync API from one origin.
//! It knows nothing of the patient schema.

pub mod config;
pub mod store;
pub mod web;

use std::sync::Arc;

use config::Config;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Binds, serves until Ctrl-C / SIGTERM, then finishes in-flight requests.
pub async fn serve(config: Config) -> Result<(), RelayError> {
    let listener = TcpListener::bind(config.addr).await?;
    serve_on(listener, config, shutdown_signal()).await
}

/// Serves on an already bound listener (tests bind port 0) until `shutdown` resolves.
pub async fn serve_on(
    listener: TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    let store = store::Store::open(&config.data_dir)?;
    let app = web::router(
        Arc::new(web::AppState { store }),
        config.static_dir.as_deref(),
    );
    let addr = listener.local_addr()?;
    tracing::info!("Tend relay listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("relay stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
