//! The relay in-process on 127.0.0.1 for the native benchmarks (`#[path]`-included by each).

use std::future::Future;
use std::time::Duration;

use tend_relay::config::Config;

/// Serves `config` on a loopback port (SQLite, whatever `TEND_DATABASE_URL` says), runs `bench`
/// with the relay's base URL once it answers `/api/health`, then stops the relay. A benchmark's
/// load from one address is far beyond ordinary use: the rate limits are raised above it rather
/// than switched off, so their bookkeeping is still part of what is measured.
pub async fn with_relay<T, Fut>(
    mut config: Config,
    bench: impl FnOnce(String) -> Fut,
) -> Result<T, String>
where
    Fut: Future<Output = Result<T, String>>,
{
    config.database_url = None;
    config.rate_per_ip = 1_000_000;
    config.rate_per_workspace = 1_000_000;
    config.joins_per_minute = 1_000_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind loopback: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("loopback address: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let relay = tokio::spawn(tend_relay::serve_on(listener, config, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");
    let health = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..200 {
        if let Ok(r) = health.get(format!("{base}/api/health")).send().await {
            if r.status() == 200 {
                healthy = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let result = match healthy {
        true => bench(base).await,
        false => Err("the relay did not become healthy".into()),
    };
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), relay).await;
    result
}
