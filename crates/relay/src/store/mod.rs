//! Persistence behind one trait with two implementations: SQLite (default, a file in the data
//! directory) and PostgreSQL (several relay instances on one database). Both keep the same schema:
//!
//! * `workspaces(id, head_seq, created_at, stored_bytes)` — `head_seq` is the per-workspace
//!   counter; `stored_bytes` the sum of its live ciphertext (the quota), kept by every push.
//! * `devices(id, workspace_id, token_hash, name, created_at, revoked_at, last_seen_at)` — tokens only
//!   as SHA-256; `name` is always NULL (names travel only inside the encrypted workspace document;
//!   opening a store made before clears those it kept).
//! * `join_secrets(secret_hash, workspace_id, expires_at, created_by, used_at, used_by)`.
//! * `chunks(workspace_id, seq, doc_id, kind, covers_seq, device_id, client_chunk_id, size, ciphertext)`
//!   — the log. `ciphertext` becomes NULL when a snapshot covers the chunk (the row stays so a retried
//!   push of the same client chunk id is still recognised).
//!
//! * `doc_generations`, `doc_keys`, `doc_readers`, `key_log` — documents' sealed keys and who reads
//!   them (see [`keys`]).
//!
//! Invariant (no skipped chunk): seq is assigned and the rows inserted in ONE transaction that holds
//! the workspace's write lock until commit (SQLite `BEGIN IMMEDIATE`; PostgreSQL `SELECT ... FOR
//! UPDATE` on the workspace row), so chunks become visible in seq order, and a pull reads the head and
//! the rows from one snapshot.

pub mod keys;
pub mod notify;
pub mod postgres;
pub mod push;
pub mod sqlite;

use std::sync::Arc;

pub use notify::Notifier;
use tend_wire::keys::{DocKeyState, KeyUpdate, KeyUpdateError};
use tend_wire::sync_wire::{ChunkKind, DeviceInfo, KeyChange};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("postgres pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("store task failed: {0}")]
    Task(String),
    /// The request is well-formed but not acceptable against the stored state.
    #[error("{0}")]
    Rejected(String),
    #[error("not found")]
    NotFound,
    /// A key update or chunk refused by the rule of `tend_wire::keys` (stale generation, not a
    /// reader, …); nothing was stored.
    #[error("{0}")]
    Keys(KeyUpdateError),
    /// A key update that is not well-formed against the workspace (sizes, unknown recipients).
    #[error("{0}")]
    BadKeys(String),
    /// The device does not read this document (its keys name other devices).
    #[error("this device does not read document {0}")]
    OutOfScope(String),
    /// The push would take the workspace's stored ciphertext beyond its quota; nothing was stored.
    #[error(
        "workspace quota exceeded: {stored} bytes stored, quota {quota}, {after} after the push"
    )]
    QuotaExceeded { stored: u64, quota: u64, after: u64 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An authenticated device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub workspace_id: String,
    pub device_id: String,
    /// When the relay last recorded a request from it (Unix seconds).
    pub last_seen: Option<i64>,
}

/// A chunk to append (already validated and decoded).
#[derive(Clone, Debug)]
pub struct NewChunk {
    pub client_chunk_id: String,
    pub doc_id: String,
    pub kind: ChunkKind,
    pub covers_seq: Option<u64>,
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedChunk {
    pub client_chunk_id: String,
    pub seq: u64,
    pub duplicate: bool,
    /// A snapshot not stored: its document has a chunk after its covers_seq.
    pub stale: bool,
}

#[derive(Clone, Debug)]
pub struct PushOutcome {
    pub results: Vec<PushedChunk>,
    pub head_seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChunk {
    pub seq: u64,
    pub doc_id: String,
    pub kind: ChunkKind,
    pub covers_seq: Option<u64>,
    pub device_id: String,
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Page {
    pub chunks: Vec<StoredChunk>,
    /// Key changes of documents this device reads or read until that change (none for a pull of
    /// one document).
    pub keys: Vec<KeyChange>,
    pub next_cursor: u64,
    pub more: bool,
    pub head_seq: u64,
}

/// What a pull asks for.
#[derive(Clone, Debug)]
pub struct PullQuery {
    pub after: u64,
    pub limit: u32,
    pub max_bytes: u64,
    pub doc: Option<String>,
}

/// A stored key update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeysApplied {
    pub generation: u32,
    pub seq: u64,
}

/// How a join attempt failed (all look the same to the caller on purpose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRejected {
    UnknownOrUsedOrExpired,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    async fn ping(&self) -> Result<()>;

    /// Creates a workspace with its first device.
    async fn create_workspace(
        &self,
        workspace_id: &str,
        device_id: &str,
        token_hash: [u8; 32],
        now: i64,
    ) -> Result<()>;

    /// Stores a join secret for a code carrying the workspace document's key generation
    /// `workspace_generation` (0: it has no keys): refused ([`KeyUpdateError::Stale`]) unless that
    /// is the current one. A later generation of the workspace document voids every unused secret
    /// ([`Store::update_keys`]): its code carries a key that can no longer push.
    async fn create_join_secret(
        &self,
        workspace_id: &str,
        secret_hash: [u8; 32],
        expires_at: i64,
        created_by: &str,
        workspace_generation: u32,
    ) -> Result<()>;

    /// Consumes a join secret (single use, unexpired, of that workspace) and registers a device.
    async fn join(
        &self,
        workspace_id: &str,
        secret_hash: [u8; 32],
        now: i64,
        device_id: &str,
        token_hash: [u8; 32],
    ) -> Result<std::result::Result<(), JoinRejected>>;

    /// The device owning this token, unless unknown or revoked.
    async fn authenticate(&self, token_hash: [u8; 32]) -> Result<Option<Principal>>;

    async fn list_devices(&self, workspace_id: &str) -> Result<Vec<DeviceInfo>>;

    /// Records that the device made a request at `now`.
    async fn touch_device(&self, device_id: &str, now: i64) -> Result<()>;

    /// Revokes a device of this workspace; false if there is no such device.
    async fn revoke_device(&self, workspace_id: &str, device_id: &str, now: i64) -> Result<bool>;

    /// Appends chunks atomically (all or none), idempotent per (device, client chunk id). A snapshot
    /// covering seq S marks that document's chunks with seq <= S as dropped in the same transaction.
    /// The workspace's stored byte count moves in the same transaction; a push that would leave it
    /// above `quota_bytes` and larger than before fails with [`StoreError::QuotaExceeded`].
    async fn push(
        &self,
        workspace_id: &str,
        device_id: &str,
        chunks: Vec<NewChunk>,
        quota_bytes: u64,
    ) -> Result<PushOutcome>;

    /// Live chunks with seq > after of the documents `device_id` reads (and of documents without
    /// keys), with the key changes it may see ([`keys`]), ascending, at most `limit` entries and
    /// (beyond the first chunk) `max_bytes`. With `doc`, only that document's chunks, and
    /// [`StoreError::OutOfScope`] if the device does not read it.
    async fn pull(&self, workspace_id: &str, device_id: &str, q: PullQuery) -> Result<Page>;

    /// Applies a key update from `device_id` ([`keys::plan_update`]) and gives it the next seq. A
    /// new generation of the workspace document deletes the workspace's unused join secrets.
    async fn update_keys(
        &self,
        workspace_id: &str,
        device_id: &str,
        doc_id: &str,
        update: KeyUpdate,
    ) -> Result<KeysApplied>;

    /// Whether anything with seq in `(after, upto]` is for `device_id`: a chunk of a document it
    /// reads (or of one without keys), or a key change it may see. Decides whether its socket is told.
    async fn news_for(
        &self,
        workspace_id: &str,
        device_id: &str,
        after: u64,
        upto: u64,
    ) -> Result<bool>;

    /// Everything stored about a document's keys (empty: it has none).
    async fn doc_keys(&self, workspace_id: &str, doc_id: &str) -> Result<DocKeyState>;

    /// The workspace's current head seq.
    async fn head(&self, workspace_id: &str) -> Result<u64>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the configured store: PostgreSQL when a database URL is given, else SQLite in the data dir.
pub async fn open(config: &crate::config::Config, notifier: Arc<Notifier>) -> Result<DynStore> {
    match &config.database_url {
        Some(url) => Ok(Arc::new(
            postgres::PgStore::connect(url, config.pg_pool.max(1), notifier).await?,
        )),
        None => Ok(Arc::new(sqlite::SqliteStore::open(
            &config.data_dir,
            notifier,
        )?)),
    }
}
