//! PostgreSQL store: same schema as SQLite. Seq assignment locks the workspace row (`FOR UPDATE`) in
//! the inserting transaction, so commits happen in seq order. Fan-out uses LISTEN/NOTIFY on channel
//! `tend_chunks` (payload `<workspace id>:<head seq>`, sent inside the push transaction, so delivered
//! only on commit) and reaches every relay instance on the database.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt;
use tend_wire::sync_wire::{ChunkKind, DeviceInfo};
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls};

use super::push::{self, PushInputs};
use super::{
    JoinRejected, NewChunk, Notifier, Page, Principal, PushOutcome, Result, StoreError, StoredChunk,
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
    revoked_at BIGINT
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
        device_name: Option<String>,
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
            "INSERT INTO devices (id, workspace_id, token_hash, name, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&device_id, &workspace_id, &&token_hash[..], &device_name, &now],
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
    ) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO join_secrets (secret_hash, workspace_id, expires_at, created_by) VALUES ($1, $2, $3, $4)",
                &[&&secret_hash[..], &workspace_id, &expires_at, &created_by],
            )
            .await?;
        Ok(())
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
            "INSERT INTO devices (id, workspace_id, token_hash, name, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&device_id, &workspace_id, &&token_hash[..], &device_name, &now],
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
                "SELECT workspace_id, id FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&&token_hash[..]],
            )
            .await?;
        Ok(row.map(|r| Principal {
            workspace_id: r.get(0),
            device_id: r.get(1),
        }))
    }

    async fn list_devices(&self, workspace_id: &str) -> Result<Vec<DeviceInfo>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, name, created_at, revoked_at IS NOT NULL FROM devices
                 WHERE workspace_id = $1 ORDER BY created_at, id",
                &[&workspace_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeviceInfo {
                device_id: r.get(0),
                name: r.get(1),
                created_at: r.get(2),
                revoked: r.get(3),
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

    async fn pull(
        &self,
        workspace_id: &str,
        after: u64,
        limit: u32,
        max_bytes: u64,
    ) -> Result<Page> {
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
        let after_i = after.min(i64::MAX as u64) as i64;
        // First the sizes (no ciphertext), to cut the page without loading what it will not carry.
        let sizes = tx
            .query(
                "SELECT seq, size FROM chunks
                 WHERE workspace_id = $1 AND seq > $2 AND ciphertext IS NOT NULL
                 ORDER BY seq LIMIT $3",
                &[&workspace_id, &after_i, &(limit as i64 + 1)],
            )
            .await?;
        let mut total = 0u64;
        let mut take = 0usize;
        let mut cut = false;
        for r in &sizes {
            let size = r.get::<_, i64>(1) as u64;
            if take >= limit as usize || (take > 0 && total + size > max_bytes) {
                cut = true;
                break;
            }
            total += size;
            take += 1;
        }
        let mut chunks = Vec::with_capacity(take);
        if take > 0 {
            let last: i64 = sizes[take - 1].get(0);
            let rows = tx
                .query(
                    "SELECT seq, doc_id, kind, covers_seq, device_id, ciphertext FROM chunks
                     WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 AND ciphertext IS NOT NULL
                     ORDER BY seq",
                    &[&workspace_id, &after_i, &last],
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
