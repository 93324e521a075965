//! The relay: serves the built app and (see PROTOCOL.md) the sync API from one origin.
//! It knows nothing of the patient schema.

pub mod api;
pub mod clock;
pub mod config;
pub mod fuzzing;
pub mod headers;
pub mod rate;
pub mod server;
pub mod store;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

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
    serve_with_clock(listener, config, clock::SystemClock::shared(), shutdown).await
}

/// As [`serve_on`], on the given clock (tests move time forward with a [`clock::ManualClock`]).
pub async fn serve_with_clock(
    listener: TcpListener,
    config: Config,
    clock: clock::DynClock,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    let notifier = Arc::new(store::Notifier::new());
    let store = store::open(&config, notifier.clone()).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let static_dir = config.static_dir.clone();
    let backend = if config.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let state = Arc::new(web::AppState::new(
        store,
        notifier,
        config,
        clock,
        stop_rx.clone(),
    ));
    let limits = server::Limits::new(
        state.config.max_connections,
        state.config.max_connections_per_ip,
    );
    let header_timeout = Duration::from_secs(state.config.header_timeout_secs.max(1));
    tokio::spawn(forget_idle_clients(Arc::downgrade(&state), stop_rx));
    let app = web::router(state, static_dir.as_deref());
    let addr = listener.local_addr()?;
    tracing::info!("Tend relay listening on http://{addr} (store: {backend})");
    // On shutdown, tell WebSockets and connections to close so in-flight requests finish and we exit.
    let server_stop = stop_tx.subscribe();
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        // Keep the sender alive until the process ends (dropping it would also wake sockets).
        std::mem::forget(stop_tx);
    });
    server::run(listener, app, limits, header_timeout, server_stop).await;
    tracing::info!("relay stopped cleanly");
    Ok(())
}

/// Every minute, drops the rate-limit state of clients and workspaces gone quiet.
async fn forget_idle_clients(
    state: std::sync::Weak<web::AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every.tick() => match state.upgrade() {
                Some(s) => s.rate.forget_idle(),
                None => return,
            },
            _ = stop.wait_for(|s| *s) => return,
        }
    }
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
