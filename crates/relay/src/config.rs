use std::{net::SocketAddr, path::PathBuf};

/// Relay settings from flags or environment, with defaults that run a single-machine deployment.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "tend-relay",
    about = "Tend relay: sync log of encrypted chunks and the app's web server"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "TEND_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory for the embedded SQLite store.
    #[arg(long, env = "TEND_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory with the built app (Trunk's dist/) to serve from the same origin; none = API only.
    #[arg(long, env = "TEND_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
}
