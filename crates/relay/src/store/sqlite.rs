//! SQLite store: one file in the data directory, WAL, synchronous=FULL (an acknowledged push is on
//! disk). All calls run on tokio's blocking pool. One writer connection (every write transaction is
//! `BEGIN IMMEDIATE`, so seq assignment is serialised even across processes) and a few readers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tend_wire::sync_wire::{ChunkKind, DeviceInfo};

use super::push::{self, PushInputs};
use super::{
    JoinRejected, NewChunk, Notifier, Page, Principal, PushOutcome, Result, StoreError, StoredChunk,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY,
    head_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    token_hash BLOB NOT NULL UNIQUE,
    name TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS devices_ws ON devices(workspace_id);
CREATE TABLE IF NOT EXISTS join_secrets (
    secret_hash BLOB PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    expires_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    used_at INTEGER,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    workspace_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    covers_seq INTEGER,
    device_id TEXT NOT NULL,
    client_chunk_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    ciphertext BLOB,
    PRIMARY KEY (workspace_id, seq),
    UNIQUE (workspace_id, device_id, client_chunk_id)
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(workspace_id, doc_id, seq);
";

const READERS: usize = 3;

/// Opens reader connections for the pool (with the same settings as the writer) and keeps them.
struct Readers {
    path: PathBuf,
}

impl deadpool::managed::Manager for Readers {
    type Type = Connection;
    type Error = StoreError;

    async fn create(&self) -> Result<Connection> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || open_conn(&path))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
            .map_err(StoreError::from)
    }

    async fn recycle(
        &self,
        _: &mut Connection,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<StoreError> {
        // A local file connection does not go stale; a failed statement leaves it usable.
        Ok(())
    }
}

struct Inner {
    /// The one writer: every write transaction is `BEGIN IMMEDIATE` on it, in turn.
    writer: Mutex<Connection>,
    readers: deadpool::managed::Pool<Readers>,
    notifier: Arc<Notifier>,
}

pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    // WAL for concurrent readers; FULL so an acknowledged write survives power loss.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn lock(m: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn kind_of(s: &str) -> rusqlite::Result<ChunkKind> {
    ChunkKind::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("bad chunk kind {s:?}").into(),
        )
    })
}

/// Brings a store made by an older relay up to the current schema, in one transaction.
fn migrate(c: &mut Connection) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let has_stored_bytes: bool = tx.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('workspaces') WHERE name = 'stored_bytes'",
        [],
        |r| r.get(0),
    )?;
    if !has_stored_bytes {
        // Before quotas: count what each workspace already keeps.
        tx.execute_batch(
            "ALTER TABLE workspaces ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
             UPDATE workspaces SET stored_bytes = (
                 SELECT COALESCE(SUM(size), 0) FROM chunks
                 WHERE chunks.workspace_id = workspaces.id AND ciphertext IS NOT NULL);",
        )?;
    }
    tx.commit()?;
    Ok(())
}

impl SqliteStore {
    pub fn open(data_dir: &Path, notifier: Arc<Notifier>) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join("relay.sqlite3");
        let mut writer = open_conn(&path)?;
        writer.execute_batch(SCHEMA)?;
        migrate(&mut writer)?;
        let readers = deadpool::managed::Pool::builder(Readers { path })
            .max_size(READERS)
            .build()
            .map_err(|e| StoreError::Task(format!("sqlite readers: {e}")))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                notifier,
            }),
        })
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer)))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        // A free reader, or wait for one.
        let mut conn = self.inner.readers.get().await.map_err(|e| match e {
            deadpool::managed::PoolError::Backend(e) => e,
            other => StoreError::Task(format!("sqlite readers: {other}")),
        })?;
        tokio::task::spawn_blocking(move || f(&mut conn))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

#[async_trait::async_trait]
impl super::Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn create_workspace(
        &self,
        workspace_id: &str,
        device_id: &str,
        token_hash: [u8; 32],
        device_name: Option<String>,
        now: i64,
    ) -> Result<()> {
        let (ws, dev) = (workspace_id.to_owned(), device_id.to_owned());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO workspaces (id, head_seq, created_at) VALUES (?1, 0, ?2)",
                params![ws, now],
            )?;
            tx.execute(
                "INSERT INTO devices (id, workspace_id, token_hash, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![dev, ws, &token_hash[..], device_name, now],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn create_join_secret(
        &self,
        workspace_id: &str,
        secret_hash: [u8; 32],
        expires_at: i64,
        created_by: &str,
    ) -> Result<()> {
        let (ws, by) = (workspace_id.to_owned(), created_by.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO join_secrets (secret_hash, workspace_id, expires_at, created_by) VALUES (?1, ?2, ?3, ?4)",
                params![&secret_hash[..], ws, expires_at, by],
            )?;
            Ok(())
        })
        .await
    }

    async fn join(
        &self,
        workspace_id: &str,
        secret_hash: [u8; 32],
        now: i64,
        device_id: &str,
        token_hash: [u8; 32],
        device_name: Option<String>,
    ) -> Result<std::result::Result<(), JoinRejected>> {
        let (ws, dev) = (workspace_id.to_owned(), device_id.to_owned());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let used = tx.execute(
                // A secret minted by a device since revoked is void: revoking a stolen tablet must
                // not leave it a way back in.
                "UPDATE join_secrets SET used_at = ?1, used_by = ?2
                 WHERE secret_hash = ?3 AND workspace_id = ?4 AND used_at IS NULL AND expires_at > ?1
                   AND created_by IN (SELECT id FROM devices WHERE workspace_id = ?4 AND revoked_at IS NULL)",
                params![now, dev, &secret_hash[..], ws],
            )?;
            if used != 1 {
                return Ok(Err(JoinRejected::UnknownOrUsedOrExpired));
            }
            tx.execute(
                "INSERT INTO devices (id, workspace_id, token_hash, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![dev, ws, &token_hash[..], device_name, now],
            )?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn authenticate(&self, token_hash: [u8; 32]) -> Result<Option<Principal>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT workspace_id, id FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
                params![&token_hash[..]],
                |r| {
                    Ok(Principal {
                        workspace_id: r.get(0)?,
                        device_id: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn list_devices(&self, workspace_id: &str) -> Result<Vec<DeviceInfo>> {
        let ws = workspace_id.to_owned();
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT id, name, created_at, revoked_at IS NOT NULL FROM devices
                 WHERE workspace_id = ?1 ORDER BY created_at, id",
            )?;
            let rows = st.query_map(params![ws], |r| {
                Ok(DeviceInfo {
                    device_id: r.get(0)?,
                    name: r.get(1)?,
                    created_at: r.get(2)?,
                    revoked: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn revoke_device(&self, workspace_id: &str, device_id: &str, now: i64) -> Result<bool> {
        let (ws, dev) = (workspace_id.to_owned(), device_id.to_owned());
        self.write(move |c| {
            let n = c.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?1) WHERE workspace_id = ?2 AND id = ?3",
                params![now, ws, dev],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn push(
        &self,
        workspace_id: &str,
        device_id: &str,
        chunks: Vec<NewChunk>,
        quota_bytes: u64,
    ) -> Result<PushOutcome> {
        let (ws, dev) = (workspace_id.to_owned(), device_id.to_owned());
        let notifier = self.inner.notifier.clone();
        let ws2 = ws.clone();
        let (outcome, inserted) = self
            .write(move |c| {
                // IMMEDIATE: take the write lock now, so nobody else assigns seqs until we commit.
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let (head, stored) = tx
                    .query_row(
                        "SELECT head_seq, stored_bytes FROM workspaces WHERE id = ?1",
                        params![ws],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                    )
                    .optional()?
                    .ok_or(StoreError::NotFound)?;
                let mut inputs = PushInputs {
                    head: head as u64,
                    stored_bytes: stored.max(0) as u64,
                    ..PushInputs::default()
                };
                {
                    let mut seq_of = tx.prepare_cached(
                        "SELECT seq FROM chunks WHERE workspace_id = ?1 AND device_id = ?2 AND client_chunk_id = ?3",
                    )?;
                    for id in push::ids(&chunks) {
                        let seq: Option<i64> =
                            seq_of.query_row(params![ws, dev, id], |r| r.get(0)).optional()?;
                        if let Some(seq) = seq {
                            inputs.existing.insert(id.to_owned(), seq as u64);
                        }
                    }
                    let mut live_of = tx.prepare_cached(
                        "SELECT seq, size FROM chunks WHERE workspace_id = ?1 AND doc_id = ?2 AND ciphertext IS NOT NULL",
                    )?;
                    for doc in push::compacted_docs(&chunks) {
                        let rows = live_of
                            .query_map(params![ws, doc], |r| {
                                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
                            })?
                            .collect::<rusqlite::Result<Vec<_>>>()?;
                        inputs.live.insert(doc, rows);
                    }
                }
                let plan = push::plan(inputs, &chunks, quota_bytes)?;
                if plan.writes() {
                    let mut insert = tx.prepare_cached(
                        "INSERT INTO chunks (workspace_id, seq, doc_id, kind, covers_seq, device_id, client_chunk_id, size, ciphertext)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?;
                    for &(seq, i) in &plan.inserts {
                        let ch = &chunks[i];
                        insert.execute(params![
                            ws,
                            seq as i64,
                            ch.doc_id,
                            ch.kind.as_str(),
                            ch.covers_seq.map(|s| s as i64),
                            dev,
                            ch.client_chunk_id,
                            ch.ciphertext.len() as i64,
                            ch.ciphertext
                        ])?;
                    }
                    drop(insert);
                    for (doc, covers) in &plan.compactions {
                        tx.execute(
                            "UPDATE chunks SET ciphertext = NULL
                             WHERE workspace_id = ?1 AND doc_id = ?2 AND seq <= ?3 AND ciphertext IS NOT NULL",
                            params![ws, doc, *covers as i64],
                        )?;
                    }
                    tx.execute(
                        "UPDATE workspaces SET head_seq = ?1, stored_bytes = ?2 WHERE id = ?3",
                        params![plan.head as i64, plan.stored_bytes as i64, ws],
                    )?;
                }
                tx.commit()?;
                let writes = plan.writes();
                Ok((
                    PushOutcome {
                        results: plan.results,
                        head_seq: plan.head,
                    },
                    writes,
                ))
            })
            .await?;
        if inserted {
            notifier.publish(&ws2, outcome.head_seq);
        }
        Ok(outcome)
    }

    async fn pull(
        &self,
        workspace_id: &str,
        after: u64,
        limit: u32,
        max_bytes: u64,
    ) -> Result<Page> {
        let ws = workspace_id.to_owned();
        self.read(move |c| {
            // One read transaction: the head and the rows come from the same WAL snapshot.
            let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let head = tx
                .query_row(
                    "SELECT head_seq FROM workspaces WHERE id = ?1",
                    params![ws],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?
                .ok_or(StoreError::NotFound)? as u64;
            let mut st = tx.prepare(
                "SELECT seq, doc_id, kind, covers_seq, device_id, ciphertext, size FROM chunks
                 WHERE workspace_id = ?1 AND seq > ?2 AND ciphertext IS NOT NULL
                 ORDER BY seq LIMIT ?3",
            )?;
            let after_i = after.min(i64::MAX as u64) as i64;
            let mut rows = st.query(params![ws, after_i, limit as i64 + 1])?;
            let mut chunks = Vec::new();
            let mut total = 0u64;
            let mut cut = false;
            while let Some(r) = rows.next()? {
                let size = r.get::<_, i64>(6)? as u64;
                if chunks.len() >= limit as usize
                    || (!chunks.is_empty() && total + size > max_bytes)
                {
                    cut = true;
                    break;
                }
                total += size;
                chunks.push(StoredChunk {
                    seq: r.get::<_, i64>(0)? as u64,
                    doc_id: r.get(1)?,
                    kind: kind_of(&r.get::<_, String>(2)?)?,
                    covers_seq: r.get::<_, Option<i64>>(3)?.map(|s| s as u64),
                    device_id: r.get(4)?,
                    ciphertext: r.get(5)?,
                });
            }
            drop(rows);
            drop(st);
            tx.finish()?;
            let next_cursor = if cut {
                chunks.last().map(|c| c.seq).unwrap_or(after)
            } else {
                head.max(after)
            };
            Ok(Page {
                chunks,
                next_cursor,
                more: cut,
                head_seq: head,
            })
        })
        .await
    }

    async fn head(&self, workspace_id: &str) -> Result<u64> {
        let ws = workspace_id.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT head_seq FROM workspaces WHERE id = ?1",
                params![ws],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound)? as u64)
        })
        .await
    }
}
