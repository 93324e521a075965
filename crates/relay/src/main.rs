use clap::Parser;
use tend_relay::{config::Config, serve};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tend_relay=info,tower_http=warn".into()),
        )
        .init();
    let config = Config::parse();
    if let Err(e) = serve(config).await {
        tracing::error!("relay stopped: {e}");
        std::process::exit(1);
    }
}
