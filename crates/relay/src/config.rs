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
    /// Bytes of ciphertext one workspace may keep on the relay (default 1 GiB; 0 = no quota). A
    /// push that would take it beyond is refused with 413 `quota_exceeded` and stores nothing;
    /// snapshots free the changes they cover, so a full workspace can still compact.
    #[arg(long, env = "TEND_WORKSPACE_QUOTA_BYTES", default_value_t = 1 << 30)]
    pub workspace_quota_bytes: u64,
    /// Push bodies held in memory at once, in bytes, across all requests (at least
    /// `--max-body-bytes`). A push beyond it waits for room (`--body-wait-secs`).
    #[arg(long, env = "TEND_MAX_INFLIGHT_BODY_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_inflight_body_bytes: usize,
    /// Seconds a push waits for room in that budget before it is answered 503 `busy`.
    #[arg(long, env = "TEND_BODY_WAIT_SECS", default_value_t = 10)]
    pub body_wait_secs: u64,
    /// API requests per second from one client address, with bursts of ten seconds' worth
    /// (0 = unlimited). An IPv6 client is counted by its /64.
    #[arg(long, env = "TEND_RATE_PER_IP", default_value_t = 100)]
    pub rate_per_ip: u32,
    /// Authenticated API requests per second for one workspace, all its devices together, with
    /// bursts of ten seconds' worth (0 = unlimited).
    #[arg(long, env = "TEND_RATE_PER_WORKSPACE", default_value_t = 200)]
    pub rate_per_workspace: u32,
    /// Workspaces one client address may create per hour: that many at once, then one every
    /// 60/n minutes (0 = unlimited). Anyone who can reach an open relay can create workspaces;
    /// set `--create-token` to allow only those who know it.
    #[arg(long, env = "TEND_CREATES_PER_IP_PER_HOUR", default_value_t = 10)]
    pub creates_per_ip_per_hour: u32,
    /// Join attempts per minute, from one client address and for one workspace: that many at
    /// once, then one every 60/n seconds (0 = unlimited).
    #[arg(long, env = "TEND_JOINS_PER_MINUTE", default_value_t = 30)]
    pub joins_per_minute: u32,
    /// Behind a reverse proxy: take the client's address for rate limits from the last
    /// `X-Forwarded-For` entry, which the proxy appends. Set it only then: otherwise any client
    /// could name its own address.
    #[arg(long, env = "TEND_FORWARDED_FOR")]
    pub forwarded_for: bool,
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
