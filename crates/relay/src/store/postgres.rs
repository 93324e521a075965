//! PostgreSQL store: same schema as SQLite. Seq assignment locks the workspace row (`FOR UPDATE`) in
//! the inserting transaction, so commits happen in seq order. Fan-out uses LISTEN/NOTIFY on channel
//! `tend_chunks` (payload `<workspace id>:<head seq>`, sent inside the push transaction, so delivered
//! only on commit) and reaches every relay instance on the database.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt;
use tend_wire::keys::{DocKeyState, GenerationRecord, KeyUpdate, KeyUpdateError, SealedKey};
use tend_wire::sync_wire::{ChunkKind, DeviceInfo, KeyChange, StoredEnvelope, WORKSPACE_DOC_ID};
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls};

use super::keys::{self as doc_keys, cut_page};
use super::push::{self, PushInputs};
use super::{
    JoinRejected, KeysApplied, NewChunk, Notifier, Page, Principal, PullQuery, PushOutcome, Result,
    StoreError, StoredChunk,
};

const CHANNEL: &str = "tend_chunks";
const LISTEN: &str = "LISTEN tend_chunks";

const SCHEMA: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(7465746);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY,
    head_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    stored_bytes BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    token_hash BYTEA NOT NULL UNIQUE,
    name TEXT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_seen_at BIGINT
);
CREATE INDEX IF NOT EXISTS devices_ws ON devices(workspace_id);
CREATE TABLE IF NOT EXISTS join_secrets (
    secret_hash BYTEA PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    expires_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    workspace_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    covers_seq BIGINT,
    device_id TEXT NOT NULL,
    client_chunk_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    ciphertext BYTEA,
    PRIMARY KEY (workspace_id, seq),
    UNIQUE (workspace_id, device_id, client_chunk_id)
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(workspace_id, doc_id, seq);
CREATE TABLE IF NOT EXISTS doc_generations (
    workspace_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    generation BIGINT NOT NULL,
    link BYTEA,
    seq BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (workspace_id, doc_id, generation)
);
CREATE TABLE IF NOT EXISTS doc_keys (
    workspace_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    generation BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    sender TEXT NOT NULL,
    envelope BYTEA NOT NULL,
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
    seq BIGINT NOT NULL,
    doc_id TEXT NOT NULL,
    generation BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
-- Stores made before quotas: count what each workspace already keeps.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'workspaces'
                     AND column_name = 'stored_bytes') THEN
        ALTER TABLE workspaces ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
        UPDATE workspaces SET stored_bytes = (
            SELECT COALESCE(SUM(size), 0) FROM chunks
            WHERE chunks.workspace_id = workspaces.id AND ciphertext IS NOT NULL);
    END IF;
END $$;
-- Stores made before names left the relay: forget the names they kept; record when devices are seen.
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_seen_at BIGINT;
UPDATE devices SET name = NULL WHERE name IS NOT NULL;
COMMIT;
";

pub struct PgStore {
    pool: Pool,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Holds a LISTEN connection open, reconnecting after failures, and forwards notifications.
async fn listen(url: String, notifier: Arc<Notifier>, ready: tokio::sync::oneshot::Sender<()>) {
    let mut ready = Some(ready);
    loop {
        match tokio_postgres::connect(&url, NoTls).await {
            Ok((client, mut conn)) => {
                let mut stream = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
                let ok = {
                    let listen = client.batch_execute(LISTEN);
                    // The connection must be polled for LISTEN to complete.
                    let mut listen = std::pin::pin!(listen);
                    loop {
                        tokio::select! {
                            r = &mut listen => break r.is_ok(),
                            m = stream.next() => if m.is_none() { break false },
                        }
                    }
                };
                if ok {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    while let Some(m) = stream.next().await {
                        match m {
                            Ok(AsyncMessage::Notification(n)) => {
                                if let Some((ws, seq)) = n.payload().rsplit_once(':') {
                                    if let Ok(seq) = seq.parse::<u64>() {
                                        notifier.publish(ws, seq);
                                    }
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!("postgres LISTEN connection failed: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("postgres LISTEN connect failed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl PgStore {
    pub async fn connect(url: &str, pool_size: usize, notifier: Arc<Notifier>) -> Result<Self> {
        let config: tokio_postgres::Config = url.parse()?;
        // A connection found closed when taken back is dropped and replaced.
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(|e| StoreError::Task(format!("postgres pool: {e}")))?;
        pool.get().await?.batch_execute(SCHEMA).await?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(listen(url.to_owned(), notifier, tx));
        // Serve only once fan-out works (or give up waiting after a while; it keeps retrying).
        let _ = tokio::time::timeout(Duration::from_secs(10), rx).await;
        Ok(PgStore { pool, listener })
    }

    /// A pooled connection (waits for one when all are in use).
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }
}

/// Chunks of documents the device (`$3`) reads, of documents without keys, and of the workspace
/// document (every device's: `tend_wire::sync_wire::WORKSPACE_DOC_ID`).
const IN_SCOPE: &str = "AND (c.doc_id = 'workspace'
          OR NOT EXISTS (SELECT 1 FROM doc_generations g
                              WHERE g.workspace_id = c.workspace_id AND g.doc_id = c.doc_id)
          OR EXISTS (SELECT 1 FROM doc_readers r
                     WHERE r.workspace_id = c.workspace_id AND r.doc_id = c.doc_id AND r.device_id = $3))";

/// Key changes (`l`, of `key_log`) the device (`$3`) may see: of a generation it reads or of the
/// one after the last it read; every change to the workspace document's keys.
const KEY_CHANGE_SEEN: &str = "(l.doc_id = 'workspace'
                    OR EXISTS (SELECT 1 FROM doc_keys k
                       WHERE k.workspace_id = l.workspace_id AND k.doc_id = l.doc_id
                         AND k.recipient = $3
                         AND k.generation IN (l.generation, l.generation - 1)))";

/// Documents' current generation (0: no keys) and whether `device` reads each.
async fn scopes_of<C: GenericClient>(
    c: &C,
    ws: &str,
    docs: &[String],
    device: &str,
) -> Result<std::collections::HashMap<String, (u32, bool)>> {
    let rows = c
        .query(
            "SELECT d.doc_id,
                    (SELECT COALESCE(MAX(generation), 0) FROM doc_generations g
                     WHERE g.workspace_id = $1 AND g.doc_id = d.doc_id),
                    d.doc_id = 'workspace'
                    OR EXISTS (SELECT 1 FROM doc_readers r
                            WHERE r.workspace_id = $1 AND r.doc_id = d.doc_id AND r.device_id = $3)
             FROM unnest($2::text[]) AS d(doc_id)",
            &[&ws, &docs, &device],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                (r.get::<_, i64>(1) as u32, r.get::<_, bool>(2)),
            )
        })
        .collect())
}

/// Everything stored about a document's keys.
async fn read_doc_keys<C: GenericClient>(c: &C, ws: &str, doc: &str) -> Result<DocKeyState> {
    let mut state = DocKeyState::default();
    for r in c
        .query(
            "SELECT generation, link FROM doc_generations WHERE workspace_id = $1 AND doc_id = $2",
            &[&ws, &doc],
        )
        .await?
    {
        state.generations.insert(
            r.get::<_, i64>(0) as u32,
            GenerationRecord {
                link: r.get(1),
                envelopes: Default::default(),
            },
        );
    }
    for r in c
        .query(
            "SELECT generation, recipient, sender, envelope FROM doc_keys
             WHERE workspace_id = $1 AND doc_id = $2",
            &[&ws, &doc],
        )
        .await?
    {
        if let Some(record) = state.generations.get_mut(&(r.get::<_, i64>(0) as u32)) {
            record.envelopes.insert(
                r.get(1),
                SealedKey {
                    sender: r.get(2),
                    envelope: r.get(3),
                },
            );
        }
    }
    Ok(state)
}

fn kind_of(s: &str) -> Result<ChunkKind> {
    ChunkKind::parse(s).ok_or_else(|| StoreError::Task(format!("bad chunk kind {s:?} in store")))
}

#[async_trait::async_trait]
impl super::Store for PgStore {
    async fn ping(&self) -> Result<()> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    async fn create_workspace(
        &self,
        workspace_id: &str,
        device_id: &str,
        token_hash: [u8; 32],
        now: i64,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO workspaces (id, head_seq, created_at) VALUES ($1, 0, $2)",
            &[&workspace_id, &now],
        )
        .await?;
        tx.execute(
            "INSERT INTO devices (id, workspace_id, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
            &[&device_id, &workspace_id, &&token_hash[..], &now],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_join_secret(
        &self,
        workspace_id: &str,
        secret_hash: [u8; 32],
        expires_at: i64,
        created_by: &str,
        workspace_generation: u32,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The workspace row, locked until commit: a key update of the workspace document (which
        // voids unused secrets) is either before this or after it.
        tx.query_opt(
            "SELECT head_seq FROM workspaces WHERE id = $1 FOR UPDATE",
            &[&workspace_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let scope = scopes_of(
            &tx,
            workspace_id,
            &[WORKSPACE_DOC_ID.to_owned()],
            created_by,
        )
        .await?;
        let current = scope.get(WORKSPACE_DOC_ID).map_or(0, |(g, _)| *g);
        if current != workspace_generation {
            return Err(StoreError::Keys(KeyUpdateError::Stale { current }));
        }
        tx.execute(
            "INSERT INTO join_secrets (secret_hash, workspace_id, expires_at, created_by) VALUES ($1, $2, $3, $4)",
            &[&&secret_hash[..], &workspace_id, &expires_at, &created_by],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn join(
        &self,
        workspace_id: &str,
        secret_hash: [u8; 32],
        now: i64,
        device_id: &str,
        token_hash: [u8; 32],
    ) -> Result<std::result::Result<(), JoinRejected>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The row lock taken by UPDATE makes a concurrent second use wait, re-check, and fail.
        let used = tx
            .execute(
                // A secret minted by a device since revoked is void (see the SQLite store).
                "UPDATE join_secrets SET used_at = $1, used_by = $2
                 WHERE secret_hash = $3 AND workspace_id = $4 AND used_at IS NULL AND expires_at > $1
                   AND created_by IN (SELECT id FROM devices WHERE workspace_id = $4 AND revoked_at IS NULL)",
                &[&now, &device_id, &&secret_hash[..], &workspace_id],
            )
            .await?;
        if used != 1 {
            return Ok(Err(JoinRejected::UnknownOrUsedOrExpired));
        }
        tx.execute(
            "INSERT INTO devices (id, workspace_id, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
            &[&device_id, &workspace_id, &&token_hash[..], &now],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn authenticate(&self, token_hash: [u8; 32]) -> Result<Option<Principal>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT workspace_id, id, last_seen_at FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&&token_hash[..]],
            )
            .await?;
        Ok(row.map(|r| Principal {
            workspace_id: r.get(0),
            device_id: r.get(1),
            last_seen: r.get(2),
        }))
    }

    async fn touch_device(&self, device_id: &str, now: i64) -> Result<()> {
        self.client()
            .await?
            .execute(
                "UPDATE devices SET last_seen_at = $1 WHERE id = $2",
                &[&now, &device_id],
            )
            .await?;
        Ok(())
    }

    async fn list_devices(&self, workspace_id: &str) -> Result<Vec<DeviceInfo>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, created_at, revoked_at IS NOT NULL, last_seen_at FROM devices
                 WHERE workspace_id = $1 ORDER BY created_at, id",
                &[&workspace_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeviceInfo {
                device_id: r.get(0),
                created_at: r.get(1),
                revoked: r.get(2),
                last_seen: r.get(3),
            })
            .collect())
    }

    async fn revoke_device(&self, workspace_id: &str, device_id: &str, now: i64) -> Result<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) WHERE workspace_id = $2 AND id = $3",
                &[&now, &workspace_id, &device_id],
            )
            .await?;
        Ok(n == 1)
    }

    async fn push(
        &self,
        workspace_id: &str,
        device_id: &str,
        chunks: Vec<NewChunk>,
        quota_bytes: u64,
    ) -> Result<PushOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The per-workspace counter row, locked until commit: pushes to one workspace commit in seq order.
        let row = tx
            .query_opt(
                "SELECT head_seq, stored_bytes FROM workspaces WHERE id = $1 FOR UPDATE",
                &[&workspace_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut inputs = PushInputs {
            head: row.get::<_, i64>(0) as u64,
            stored_bytes: row.get::<_, i64>(1).max(0) as u64,
            ..PushInputs::default()
        };
        let ids = push::ids(&chunks);
        for r in tx
            .query(
                "SELECT client_chunk_id, seq FROM chunks
                 WHERE workspace_id = $1 AND device_id = $2 AND client_chunk_id = ANY($3)",
                &[&workspace_id, &device_id, &ids],
            )
            .await?
        {
            inputs
                .existing
                .insert(r.get::<_, String>(0), r.get::<_, i64>(1) as u64);
        }
        for (doc, (current, reader)) in
            scopes_of(&tx, workspace_id, &push::docs(&chunks), device_id).await?
        {
            if current > 0 {
                inputs.keyed.insert(doc, (current, reader));
            }
        }
        let docs = push::compacted_docs(&chunks);
        if !docs.is_empty() {
            for d in &docs {
                inputs.live.insert(d.clone(), Vec::new());
            }
            for r in tx
                .query(
                    "SELECT doc_id, seq, size FROM chunks
                     WHERE workspace_id = $1 AND doc_id = ANY($2) AND ciphertext IS NOT NULL",
                    &[&workspace_id, &docs],
                )
                .await?
            {
                if let Some(live) = inputs.live.get_mut(r.get::<_, &str>(0)) {
                    live.push((r.get::<_, i64>(1) as u64, r.get::<_, i64>(2) as u64));
                }
            }
        }
        let plan = push::plan(inputs, &chunks, quota_bytes)?;
        if plan.writes() {
            let insert = tx
                .prepare(
                    "INSERT INTO chunks (workspace_id, seq, doc_id, kind, covers_seq, device_id, client_chunk_id, size, ciphertext)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .await?;
            for &(seq, i) in &plan.inserts {
                let ch = &chunks[i];
                tx.execute(
                    &insert,
                    &[
                        &workspace_id,
                        &(seq as i64),
                        &ch.doc_id,
                        &ch.kind.as_str(),
                        &ch.covers_seq.map(|s| s as i64),
                        &device_id,
                        &ch.client_chunk_id,
                        &(ch.ciphertext.len() as i64),
                        &ch.ciphertext,
                    ],
                )
                .await?;
            }
            for (doc, covers) in &plan.compactions {
                tx.execute(
                    "UPDATE chunks SET ciphertext = NULL
                     WHERE workspace_id = $1 AND doc_id = $2 AND seq <= $3 AND ciphertext IS NOT NULL",
                    &[&workspace_id, doc, &(*covers as i64)],
                )
                .await?;
            }
            tx.execute(
                "UPDATE workspaces SET head_seq = $1, stored_bytes = $2 WHERE id = $3",
                &[
                    &(plan.head as i64),
                    &(plan.stored_bytes as i64),
                    &workspace_id,
                ],
            )
            .await?;
            let payload = format!("{workspace_id}:{}", plan.head);
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
                .await?;
        }
        tx.commit().await?;
        Ok(PushOutcome {
            results: plan.results,
            head_seq: plan.head,
        })
    }

    async fn pull(&self, workspace_id: &str, device_id: &str, q: PullQuery) -> Result<Page> {
        let mut c = self.client().await?;
        // One snapshot for the head and the rows.
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let head: i64 = tx
            .query_opt(
                "SELECT head_seq FROM workspaces WHERE id = $1",
                &[&workspace_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?
            .get(0);
        let head = head as u64;
        let after = q.after.min(i64::MAX as u64) as i64;
        let fetch = q.limit as i64 + 1;
        // $1 workspace, $2 after, $3 device or document, $4 how many.
        let filter = match &q.doc {
            Some(doc) => {
                let scope =
                    scopes_of(&tx, workspace_id, std::slice::from_ref(doc), device_id).await?;
                if scope
                    .get(doc)
                    .is_some_and(|&(current, reader)| current > 0 && !reader)
                {
                    return Err(StoreError::OutOfScope(doc.clone()));
                }
                "AND c.doc_id = $3"
            }
            None => IN_SCOPE,
        };
        let narrow: &str = q.doc.as_deref().unwrap_or(device_id);
        // First the sizes (no ciphertext), to cut the page without loading what it will not carry.
        let sizes: Vec<(u64, u64)> = tx
            .query(
                &format!(
                    "SELECT seq, size FROM chunks c
                     WHERE c.workspace_id = $1 AND c.seq > $2 AND c.ciphertext IS NOT NULL {filter}
                     ORDER BY c.seq LIMIT $4"
                ),
                &[&workspace_id, &after, &narrow, &fetch],
            )
            .await?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
            .collect();
        let changes: Vec<KeyChange> = match q.doc {
            Some(_) => Vec::new(),
            None => tx
                .query(
                    &format!(
                        "SELECT l.seq, l.doc_id, l.generation, g.link,
                            ARRAY(SELECT k2.recipient FROM doc_keys k2
                                  WHERE k2.workspace_id = l.workspace_id AND k2.doc_id = l.doc_id
                                    AND k2.generation = l.generation ORDER BY k2.recipient),
                            m.sender, m.envelope
                     FROM key_log l
                     JOIN doc_generations g ON g.workspace_id = l.workspace_id
                          AND g.doc_id = l.doc_id AND g.generation = l.generation
                     LEFT JOIN doc_keys m ON m.workspace_id = l.workspace_id
                          AND m.doc_id = l.doc_id AND m.generation = l.generation
                          AND m.recipient = $3
                     WHERE l.workspace_id = $1 AND l.seq > $2
                       AND {KEY_CHANGE_SEEN}
                     ORDER BY l.seq LIMIT $4"
                    ),
                    &[&workspace_id, &after, &device_id, &fetch],
                )
                .await?
                .iter()
                .map(|r| {
                    let sender: Option<String> = r.get(5);
                    let envelope: Option<Vec<u8>> = r.get(6);
                    KeyChange {
                        seq: r.get::<_, i64>(0) as u64,
                        doc_id: r.get(1),
                        generation: r.get::<_, i64>(2) as u32,
                        link: r.get(3),
                        readers: r.get(4),
                        mine: sender
                            .zip(envelope)
                            .map(|(sender, envelope)| StoredEnvelope {
                                recipient: device_id.to_owned(),
                                sender,
                                envelope,
                            }),
                    }
                })
                .collect(),
        };
        let key_seqs: Vec<u64> = changes.iter().map(|k| k.seq).collect();
        let cut = cut_page(&sizes, &key_seqs, q.after, head, q.limit, q.max_bytes);
        let mut chunks = Vec::with_capacity(cut.chunks);
        if cut.chunks > 0 {
            let last = sizes[cut.chunks - 1].0 as i64;
            let rows = tx
                .query(
                    &format!(
                        "SELECT seq, doc_id, kind, covers_seq, device_id, ciphertext FROM chunks c
                         WHERE c.workspace_id = $1 AND c.seq > $2 AND c.seq <= $4 AND c.ciphertext IS NOT NULL {filter}
                         ORDER BY c.seq"
                    ),
                    &[&workspace_id, &after, &narrow, &last],
                )
                .await?;
            for r in rows {
                chunks.push(StoredChunk {
                    seq: r.get::<_, i64>(0) as u64,
                    doc_id: r.get(1),
                    kind: kind_of(r.get(2))?,
                    covers_seq: r.get::<_, Option<i64>>(3).map(|s| s as u64),
                    device_id: r.get(4),
                    ciphertext: r.get(5),
                });
            }
        }
        tx.commit().await?;
        let mut keys = changes;
        keys.truncate(cut.keys);
        Ok(Page {
            chunks,
            keys,
            next_cursor: cut.next_cursor,
            more: cut.more,
            head_seq: head,
        })
    }

    async fn update_keys(
        &self,
        workspace_id: &str,
        device_id: &str,
        doc_id: &str,
        update: KeyUpdate,
    ) -> Result<KeysApplied> {
        doc_keys::check_sizes(&update)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The workspace row, locked until commit: key updates and pushes take seqs in turn.
        let head = tx
            .query_opt(
                "SELECT head_seq FROM workspaces WHERE id = $1 FOR UPDATE",
                &[&workspace_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?
            .get::<_, i64>(0) as u64;
        let state = read_doc_keys(&tx, workspace_id, doc_id).await?;
        let recipients: Vec<&str> = update.recipients().collect();
        let ok: std::collections::HashSet<String> = tx
            .query(
                "SELECT id FROM devices WHERE workspace_id = $1 AND id = ANY($2) AND revoked_at IS NULL",
                &[&workspace_id, &recipients],
            )
            .await?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        let w = doc_keys::plan_update(&state, device_id, &update, |r| ok.contains(r))?;
        if w.new_generation.is_none() && w.envelopes.is_empty() {
            tx.commit().await?;
            return Ok(KeysApplied {
                generation: w.generation,
                seq: head,
            });
        }
        let seq = head + 1;
        let generation = w.generation as i64;
        if let Some(link) = &w.new_generation {
            tx.execute(
                "INSERT INTO doc_generations (workspace_id, doc_id, generation, link, seq, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&workspace_id, &doc_id, &generation, link, &(seq as i64), &device_id],
            )
            .await?;
            tx.execute(
                "DELETE FROM doc_readers WHERE workspace_id = $1 AND doc_id = $2",
                &[&workspace_id, &doc_id],
            )
            .await?;
            if doc_id == WORKSPACE_DOC_ID {
                tx.execute(
                    "DELETE FROM join_secrets WHERE workspace_id = $1 AND used_at IS NULL",
                    &[&workspace_id],
                )
                .await?;
            }
        }
        let (who, sealed): (Vec<&str>, Vec<&[u8]>) = w
            .envelopes
            .iter()
            .map(|(r, e)| (r.as_str(), e.as_slice()))
            .unzip();
        tx.execute(
            "INSERT INTO doc_keys (workspace_id, doc_id, generation, recipient, sender, envelope)
             SELECT $1, $2, $3, r, $4, e FROM unnest($5::text[], $6::bytea[]) AS t(r, e)",
            &[
                &workspace_id,
                &doc_id,
                &generation,
                &device_id,
                &who,
                &sealed,
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO doc_readers (workspace_id, doc_id, device_id)
             SELECT $1, $2, r FROM unnest($3::text[]) AS t(r) ON CONFLICT DO NOTHING",
            &[&workspace_id, &doc_id, &who],
        )
        .await?;
        tx.execute(
            "INSERT INTO key_log (workspace_id, seq, doc_id, generation) VALUES ($1, $2, $3, $4)",
            &[&workspace_id, &(seq as i64), &doc_id, &generation],
        )
        .await?;
        tx.execute(
            "UPDATE workspaces SET head_seq = $1 WHERE id = $2",
            &[&(seq as i64), &workspace_id],
        )
        .await?;
        let payload = format!("{workspace_id}:{seq}");
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
            .await?;
        tx.commit().await?;
        Ok(KeysApplied {
            generation: w.generation,
            seq,
        })
    }

    async fn news_for(
        &self,
        workspace_id: &str,
        device_id: &str,
        after: u64,
        upto: u64,
    ) -> Result<bool> {
        let (after, upto) = (
            after.min(i64::MAX as u64) as i64,
            upto.min(i64::MAX as u64) as i64,
        );
        let row = self
            .client()
            .await?
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM chunks c
                                    WHERE c.workspace_id = $1 AND c.seq > $2 AND c.seq <= $4 {IN_SCOPE})
                         OR EXISTS (SELECT 1 FROM key_log l
                                    WHERE l.workspace_id = $1 AND l.seq > $2 AND l.seq <= $4
                                      AND {KEY_CHANGE_SEEN})"
                ),
                &[&workspace_id, &after, &device_id, &upto],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn doc_keys(&self, workspace_id: &str, doc_id: &str) -> Result<DocKeyState> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let state = read_doc_keys(&tx, workspace_id, doc_id).await?;
        tx.commit().await?;
        Ok(state)
    }

    async fn head(&self, workspace_id: &str) -> Result<u64> {
        let head: i64 = self
            .client()
            .await?
            .query_opt(
                "SELECT head_seq FROM workspaces WHERE id = $1",
                &[&workspace_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?
            .get(0);
        Ok(head as u64)
    }
}
