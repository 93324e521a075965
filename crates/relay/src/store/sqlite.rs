//! SQLite store: one file in the data directory, WAL, synchronous=FULL (an acknowledged push is on
//! disk). All calls run on tokio's blocking pool. One writer connection (every write transaction is
//! `BEGIN IMMEDIATE`, so seq assignment is serialised even across processes) and a few readers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tend_wire::keys::{DocKeyState, GenerationRecord, KeyUpdate, KeyUpdateError, SealedKey};
use tend_wire::sync_wire::{ChunkKind, DeviceInfo, KeyChange, StoredEnvelope, WORKSPACE_DOC_ID};

use super::keys::{self as doc_keys, cut_page};
use super::push::{self, PushInputs};
use super::{
    JoinRejected, KeysApplied, NewChunk, Notifier, Page, Principal, PullQuery, PushOutcome, Result,
    StoreError, StoredChunk,
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
    revoked_at INTEGER,
    last_seen_at INTEGER
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
CREATE TABLE IF NOT EXISTS doc_generations (
    workspace_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    link BLOB,
    seq INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (workspace_id, doc_id, generation)
);
CREATE TABLE IF NOT EXISTS doc_keys (
    workspace_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    sender TEXT NOT NULL,
    envelope BLOB NOT NULL,
    PRIMARY KEY (workspace_id, doc_id, generation, recipient)
);
CREATE INDEX IF NOT EXISTS doc_keys_recipient ON doc_keys(workspace_id, recipient, doc_id);
CREATE TABLE IF NOT EXISTS doc_readers (
    workspace_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, doc_id, device_id)
);
CREATE TABLE IF NOT EXISTS key_log (
    workspace_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
";

/// Chunks of documents the device (`?3`) reads, of documents without keys, and of the workspace
/// document (every device's: `tend_wire::sync_wire::WORKSPACE_DOC_ID`).
const IN_SCOPE: &str = "AND (c.doc_id = 'workspace'
          OR NOT EXISTS (SELECT 1 FROM doc_generations g
                              WHERE g.workspace_id = c.workspace_id AND g.doc_id = c.doc_id)
          OR EXISTS (SELECT 1 FROM doc_readers r
                     WHERE r.workspace_id = c.workspace_id AND r.doc_id = c.doc_id AND r.device_id = ?3))";

/// The workspace's head seq.
fn head_of(c: &Connection, ws: &str) -> Result<u64> {
    Ok(c.query_row(
        "SELECT head_seq FROM workspaces WHERE id = ?1",
        params![ws],
        |r| r.get::<_, i64>(0),
    )
    .optional()?
    .ok_or(StoreError::NotFound)? as u64)
}

/// Key changes (`l`, of `key_log`) the device (`?3`) may see: of a generation it reads or of the
/// one after the last it read; every change to the workspace document's keys.
const KEY_CHANGE_SEEN: &str = "(l.doc_id = 'workspace'
                    OR EXISTS (SELECT 1 FROM doc_keys k
                       WHERE k.workspace_id = l.workspace_id AND k.doc_id = l.doc_id
                         AND k.recipient = ?3
                         AND k.generation IN (l.generation, l.generation - 1)))";

/// A document's current generation (0: no keys) and whether `device` reads it (every device reads
/// the workspace document).
fn scope_of(c: &Connection, ws: &str, doc: &str, device: &str) -> Result<(u32, bool)> {
    let current: i64 = c
        .prepare_cached(
            "SELECT COALESCE(MAX(generation), 0) FROM doc_generations WHERE workspace_id = ?1 AND doc_id = ?2",
        )?
        .query_row(params![ws, doc], |r| r.get(0))?;
    let reader = doc == WORKSPACE_DOC_ID
        || c.prepare_cached(
            "SELECT 1 FROM doc_readers WHERE workspace_id = ?1 AND doc_id = ?2 AND device_id = ?3",
        )?
        .query_row(params![ws, doc, device], |_| Ok(()))
        .optional()?
        .is_some();
    Ok((current as u32, reader))
}

/// Everything stored about a document's keys.
fn read_doc_keys(c: &Connection, ws: &str, doc: &str) -> Result<DocKeyState> {
    let mut state = DocKeyState::default();
    let mut gens = c.prepare_cached(
        "SELECT generation, link FROM doc_generations WHERE workspace_id = ?1 AND doc_id = ?2",
    )?;
    for row in gens.query_map(params![ws, doc], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
    })? {
        let (g, link) = row?;
        state.generations.insert(
            g as u32,
            GenerationRecord {
                link,
                envelopes: Default::default(),
            },
        );
    }
    let mut keys = c.prepare_cached(
        "SELECT generation, recipient, sender, envelope FROM doc_keys WHERE workspace_id = ?1 AND doc_id = ?2",
    )?;
    for row in keys.query_map(params![ws, doc], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Vec<u8>>(3)?,
        ))
    })? {
        let (g, recipient, sender, envelope) = row?;
        if let Some(record) = state.generations.get_mut(&(g as u32)) {
            record
                .envelopes
                .insert(recipient, SealedKey { sender, envelope });
        }
    }
    Ok(state)
}

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
    let has_last_seen: bool = tx.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('devices') WHERE name = 'last_seen_at'",
        [],
        |r| r.get(0),
    )?;
    if !has_last_seen {
        tx.execute_batch("ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;")?;
    }
    // Names left the relay: forget those a store made before kept.
    tx.execute("UPDATE devices SET name = NULL WHERE name IS NOT NULL", [])?;
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
                "INSERT INTO devices (id, workspace_id, token_hash, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![dev, ws, &token_hash[..], now],
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
        workspace_generation: u32,
    ) -> Result<()> {
        let (ws, by) = (workspace_id.to_owned(), created_by.to_owned());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (current, _) = scope_of(&tx, &ws, WORKSPACE_DOC_ID, &by)?;
            if current != workspace_generation {
                return Err(StoreError::Keys(KeyUpdateError::Stale { current }));
            }
            tx.execute(
                "INSERT INTO join_secrets (secret_hash, workspace_id, expires_at, created_by) VALUES (?1, ?2, ?3, ?4)",
                params![&secret_hash[..], ws, expires_at, by],
            )?;
            tx.commit()?;
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
                "INSERT INTO devices (id, workspace_id, token_hash, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![dev, ws, &token_hash[..], now],
            )?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn authenticate(&self, token_hash: [u8; 32]) -> Result<Option<Principal>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT workspace_id, id, last_seen_at FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
                params![&token_hash[..]],
                |r| {
                    Ok(Principal {
                        workspace_id: r.get(0)?,
                        device_id: r.get(1)?,
                        last_seen: r.get(2)?,
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
                "SELECT id, created_at, revoked_at IS NOT NULL, last_seen_at FROM devices
                 WHERE workspace_id = ?1 ORDER BY created_at, id",
            )?;
            let rows = st.query_map(params![ws], |r| {
                Ok(DeviceInfo {
                    device_id: r.get(0)?,
                    created_at: r.get(1)?,
                    revoked: r.get(2)?,
                    last_seen: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn touch_device(&self, device_id: &str, now: i64) -> Result<()> {
        let dev = device_id.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE devices SET last_seen_at = ?1 WHERE id = ?2",
                params![now, dev],
            )?;
            Ok(())
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
                    for doc in push::docs(&chunks) {
                        let (current, reader) = scope_of(&tx, &ws, &doc, &dev)?;
                        if current > 0 {
                            inputs.keyed.insert(doc, (current, reader));
                        }
                    }
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

    async fn pull(&self, workspace_id: &str, device_id: &str, q: PullQuery) -> Result<Page> {
        let (ws, dev) = (workspace_id.to_owned(), device_id.to_owned());
        self.read(move |c| {
            // One read transaction: the head and the rows come from the same WAL snapshot.
            let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let head = head_of(&tx, &ws)?;
            let after = q.after.min(i64::MAX as u64) as i64;
            let fetch = q.limit as i64 + 1;
            // ?1 workspace, ?2 after, ?3 device or document, ?4 how many.
            // One document's chunks through its own index: the planner would otherwise walk the
            // workspace's log from `after` (every chunk of the workspace before the document's last).
            let (from, filter) = match &q.doc {
                Some(doc) => {
                    let (current, reader) = scope_of(&tx, &ws, doc, &dev)?;
                    if current > 0 && !reader {
                        return Err(StoreError::OutOfScope(doc.clone()));
                    }
                    ("chunks c INDEXED BY chunks_doc", "AND c.doc_id = ?3")
                }
                None => ("chunks c", IN_SCOPE),
            };
            let narrow = q.doc.clone().unwrap_or_else(|| dev.clone());
            // First the sizes (no ciphertext), to cut the page without loading what it will not carry.
            let sizes = tx
                .prepare(&format!(
                    "SELECT seq, size FROM {from}
                     WHERE c.workspace_id = ?1 AND c.seq > ?2 AND c.ciphertext IS NOT NULL {filter}
                     ORDER BY c.seq LIMIT ?4"
                ))?
                .query_map(params![ws, after, narrow, fetch], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let changes = match q.doc {
                Some(_) => Vec::new(),
                None => tx
                    .prepare_cached(&format!(
                        "SELECT l.seq, l.doc_id, l.generation, g.link,
                                (SELECT json_group_array(k2.recipient) FROM doc_keys k2
                                 WHERE k2.workspace_id = l.workspace_id AND k2.doc_id = l.doc_id
                                   AND k2.generation = l.generation),
                                m.sender, m.envelope
                         FROM key_log l
                         JOIN doc_generations g ON g.workspace_id = l.workspace_id
                              AND g.doc_id = l.doc_id AND g.generation = l.generation
                         LEFT JOIN doc_keys m ON m.workspace_id = l.workspace_id
                              AND m.doc_id = l.doc_id AND m.generation = l.generation
                              AND m.recipient = ?3
                         WHERE l.workspace_id = ?1 AND l.seq > ?2
                           AND {KEY_CHANGE_SEEN}
                         ORDER BY l.seq LIMIT ?4"),
                    )?
                    .query_map(params![ws, after, dev, fetch], |r| {
                        let readers: String = r.get(4)?;
                        let sender: Option<String> = r.get(5)?;
                        let envelope: Option<Vec<u8>> = r.get(6)?;
                        Ok(KeyChange {
                            seq: r.get::<_, i64>(0)? as u64,
                            doc_id: r.get(1)?,
                            generation: r.get::<_, i64>(2)? as u32,
                            link: r.get(3)?,
                            readers: serde_json::from_str(&readers).map_err(|e| {
                                rusqlite::Error::FromSqlConversionFailure(
                                    4,
                                    rusqlite::types::Type::Text,
                                    Box::new(e),
                                )
                            })?,
                            mine: sender.zip(envelope).map(|(sender, envelope)| StoredEnvelope {
                                recipient: dev.clone(),
                                sender,
                                envelope,
                            }),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            };
            let key_seqs: Vec<u64> = changes.iter().map(|k| k.seq).collect();
            let cut = cut_page(&sizes, &key_seqs, q.after, head, q.limit, q.max_bytes);
            let mut chunks = Vec::with_capacity(cut.chunks);
            if cut.chunks > 0 {
                let last = sizes[cut.chunks - 1].0 as i64;
                let mut st = tx.prepare(&format!(
                    "SELECT seq, doc_id, kind, covers_seq, device_id, ciphertext FROM {from}
                     WHERE c.workspace_id = ?1 AND c.seq > ?2 AND c.seq <= ?4 AND c.ciphertext IS NOT NULL {filter}
                     ORDER BY c.seq"
                ))?;
                let mut rows = st.query(params![ws, after, narrow, last])?;
                while let Some(r) = rows.next()? {
                    chunks.push(StoredChunk {
                        seq: r.get::<_, i64>(0)? as u64,
                        doc_id: r.get(1)?,
                        kind: kind_of(&r.get::<_, String>(2)?)?,
                        covers_seq: r.get::<_, Option<i64>>(3)?.map(|s| s as u64),
                        device_id: r.get(4)?,
                        ciphertext: r.get(5)?,
                    });
                }
            }
            tx.finish()?;
            let mut keys = changes;
            keys.truncate(cut.keys);
            Ok(Page {
                chunks,
                keys,
                next_cursor: cut.next_cursor,
                more: cut.more,
                head_seq: head,
            })
        })
        .await
    }

    async fn update_keys(
        &self,
        workspace_id: &str,
        device_id: &str,
        doc_id: &str,
        update: KeyUpdate,
    ) -> Result<KeysApplied> {
        doc_keys::check_sizes(&update)?;
        let (ws, dev, doc) = (
            workspace_id.to_owned(),
            device_id.to_owned(),
            doc_id.to_owned(),
        );
        let notifier = self.inner.notifier.clone();
        let ws2 = ws.clone();
        let (applied, wrote) = self
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let head = head_of(&tx, &ws)?;
                let state = read_doc_keys(&tx, &ws, &doc)?;
                let mut ok = std::collections::HashSet::new();
                {
                    let mut live = tx.prepare_cached(
                        "SELECT 1 FROM devices WHERE workspace_id = ?1 AND id = ?2 AND revoked_at IS NULL",
                    )?;
                    for r in update.recipients() {
                        if live.query_row(params![ws, r], |_| Ok(())).optional()?.is_some() {
                            ok.insert(r.to_owned());
                        }
                    }
                }
                let w = doc_keys::plan_update(&state, &dev, &update, |r| ok.contains(r))?;
                if w.new_generation.is_none() && w.envelopes.is_empty() {
                    return Ok((
                        KeysApplied {
                            generation: w.generation,
                            seq: head,
                        },
                        false,
                    ));
                }
                let seq = head + 1;
                let generation = w.generation as i64;
                if let Some(link) = &w.new_generation {
                    tx.execute(
                        "INSERT INTO doc_generations (workspace_id, doc_id, generation, link, seq, created_by)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![ws, doc, generation, link, seq as i64, dev],
                    )?;
                    tx.execute(
                        "DELETE FROM doc_readers WHERE workspace_id = ?1 AND doc_id = ?2",
                        params![ws, doc],
                    )?;
                    if doc == WORKSPACE_DOC_ID {
                        tx.execute(
                            "DELETE FROM join_secrets WHERE workspace_id = ?1 AND used_at IS NULL",
                            params![ws],
                        )?;
                    }
                }
                {
                    let mut key = tx.prepare_cached(
                        "INSERT INTO doc_keys (workspace_id, doc_id, generation, recipient, sender, envelope)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?;
                    let mut reader = tx.prepare_cached(
                        "INSERT OR IGNORE INTO doc_readers (workspace_id, doc_id, device_id) VALUES (?1, ?2, ?3)",
                    )?;
                    for (recipient, envelope) in &w.envelopes {
                        key.execute(params![ws, doc, generation, recipient, dev, envelope])?;
                        reader.execute(params![ws, doc, recipient])?;
                    }
                }
                tx.execute(
                    "INSERT INTO key_log (workspace_id, seq, doc_id, generation) VALUES (?1, ?2, ?3, ?4)",
                    params![ws, seq as i64, doc, generation],
                )?;
                tx.execute(
                    "UPDATE workspaces SET head_seq = ?1 WHERE id = ?2",
                    params![seq as i64, ws],
                )?;
                tx.commit()?;
                Ok((
                    KeysApplied {
                        generation: w.generation,
                        seq,
                    },
                    true,
                ))
            })
            .await?;
        if wrote {
            notifier.publish(&ws2, applied.seq);
        }
        Ok(applied)
    }

    async fn news_for(
        &self,
        workspace_id: &str,
        device_id: &str,
        after: u64,
        upto: u64,
    ) -> Result<bool> {
        let (ws, dev) = (workspace_id.to_owned(), device_id.to_owned());
        let (after, upto) = (
            after.min(i64::MAX as u64) as i64,
            upto.min(i64::MAX as u64) as i64,
        );
        self.read(move |c| {
            let chunk = c
                .prepare_cached(&format!(
                    "SELECT 1 FROM chunks c WHERE c.workspace_id = ?1 AND c.seq > ?2 AND c.seq <= ?4 {IN_SCOPE} LIMIT 1"
                ))?
                .query_row(params![ws, after, dev, upto], |_| Ok(()))
                .optional()?
                .is_some();
            if chunk {
                return Ok(true);
            }
            Ok(c.prepare_cached(&format!(
                "SELECT 1 FROM key_log l
                 WHERE l.workspace_id = ?1 AND l.seq > ?2 AND l.seq <= ?4
                   AND {KEY_CHANGE_SEEN}
                 LIMIT 1"),
            )?
            .query_row(params![ws, after, dev, upto], |_| Ok(()))
            .optional()?
            .is_some())
        })
        .await
    }

    async fn doc_keys(&self, workspace_id: &str, doc_id: &str) -> Result<DocKeyState> {
        let (ws, doc) = (workspace_id.to_owned(), doc_id.to_owned());
        self.read(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let state = read_doc_keys(&tx, &ws, &doc)?;
            tx.finish()?;
            Ok(state)
        })
        .await
    }

    async fn head(&self, workspace_id: &str) -> Result<u64> {
        let ws = workspace_id.to_owned();
        self.read(move |c| head_of(c, &ws)).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::*;

    /// A store made before names left the relay (and before "last seen"): opening it forgets the
    /// names it kept and keeps everything else.
    #[tokio::test]
    async fn opening_an_older_store_forgets_device_names() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = Connection::open(dir.path().join("relay.sqlite3")).unwrap();
            c.execute_batch(
                "CREATE TABLE workspaces (id TEXT PRIMARY KEY, head_seq INTEGER NOT NULL DEFAULT 0,
                                          created_at INTEGER NOT NULL);
                 CREATE TABLE devices (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                                       token_hash BLOB NOT NULL UNIQUE, name TEXT,
                                       created_at INTEGER NOT NULL, revoked_at INTEGER);
                 INSERT INTO workspaces (id, created_at) VALUES ('w', 1);
                 INSERT INTO devices (id, workspace_id, token_hash, name, created_at)
                     VALUES ('d', 'w', x'00', 'Ana''s tablet', 1);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(dir.path(), Arc::new(Notifier::new())).unwrap();
        let devices = store.list_devices("w").await.unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].last_seen, None);
        let c = Connection::open(dir.path().join("relay.sqlite3")).unwrap();
        let names: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM devices WHERE name IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(names, 0);
        store.touch_device("d", 99).await.unwrap();
        assert_eq!(
            store.list_devices("w").await.unwrap()[0].last_seen,
            Some(99)
        );
    }
}
