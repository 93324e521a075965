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
    /// Directory for the embedded SQLite store (unused when --database-url is given).
    #[arg(long, env = "TEND_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory with the built app (Trunk's dist/) to serve from the same origin; none = API only.
    #[arg(long, env = "TEND_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// PostgreSQL connection string (`postgres://...` or `host=... user=... dbname=...`). When set, the
    /// relay stores everything there and several relay instances can serve one deployment.
    #[arg(long, env = "TEND_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The relay is reached over HTTPS (a TLS reverse proxy in front): send HSTS.
    #[arg(long, env = "TEND_BEHIND_TLS")]
    pub behind_tls: bool,
    /// If set, creating a workspace requires `Authorization: Bearer <this token>`.
    #[arg(long, env = "TEND_CREATE_TOKEN")]
    pub create_token: Option<String>,
    /// Largest accepted HTTP request body, in bytes.
    #[arg(long, env = "TEND_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest accepted chunk (decoded ciphertext), in bytes.
    #[arg(long, env = "TEND_MAX_CHUNK_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_chunk_bytes: usize,
    /// Most chunks in one push.
    #[arg(long, env = "TEND_MAX_PUSH_CHUNKS", default_value_t = 1000)]
    pub max_push_chunks: usize,
    /// Most chunks in one pull page (requests asking for more get this many).
    #[arg(long, env = "TEND_PAGE_MAX_CHUNKS", default_value_t = 1000)]
    pub page_max_chunks: u32,
    /// Most ciphertext bytes in one pull page (a single larger chunk is still sent alone).
    #[arg(long, env = "TEND_PAGE_MAX_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub page_max_bytes: u64,
    /// Largest WebSocket message a device may send, in bytes.
    #[arg(long, env = "TEND_WS_MAX_MESSAGE_BYTES", default_value_t = 4096)]
    pub ws_max_message_bytes: usize,
    /// Longest lifetime of a join secret, in seconds (default 7 days).
    #[arg(long, env = "TEND_JOIN_SECRET_MAX_TTL", default_value_t = 7 * 24 * 3600)]
    pub join_secret_max_ttl: u64,
    /// How often an open WebSocket re-checks that its device is not revoked, in seconds.
    #[arg(long, env = "TEND_WS_RECHECK_SECS", default_value_t = 60)]
    pub ws_recheck_secs: u64,
    /// Seconds a client may take to send a request's headers; also how long an idle kept-alive
    /// connection stays open. A connection that sends nothing, or half a request, is closed then.
    #[arg(long, env = "TEND_HEADER_TIMEOUT_SECS", default_value_t = 15)]
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body once its headers are in.
    #[arg(long, env = "TEND_BODY_TIMEOUT_SECS", default_value_t = 120)]
    pub body_timeout_secs: u64,
    /// Most open connections (WebSockets included); beyond it new connections are closed at once,
    /// so the relay never runs out of file descriptors.
    #[arg(long, env = "TEND_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Most open connections from one IP address, so one client cannot take them all. Behind a
    /// reverse proxy every connection comes from the proxy: raise it to `--max-connections` there.
    #[arg(long, env = "TEND_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,
    /// Connections to PostgreSQL per relay instance.
    #[arg(long, env = "TEND_PG_POOL", default_value_t = 8)]
    pub pg_pool: usize,
}

impl Config {
    /// Defaults for the given data directory (tests, embedding).
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        use clap::Parser;
        let mut c = Config::parse_from(["tend-relay"]);
        c.data_dir = data_dir.into();
        c
    }
}
