//! Sync bookkeeping in the `sync_state` store, written in the same IndexedDB transaction as the data
//! it describes (DESIGN.md §Device storage), so a crash never makes the device believe it sent or
//! received what it did not.
//!
//! Rows are `{key, bytes}` with sealed JSON values:
//! - `cursor` — the relay cursor (`next_cursor` of the last applied pull page);
//! - `outbox:<doc>` — a marker (random token) meaning "this document has local changes the relay has not
//!   acknowledged". Written by `create_patient`/`append_changes` in the transaction of the local change;
//!   removed after a push is acknowledged only if it still holds the token the push started with;
//! - `doc:<doc>` — [`DocSync`]: heads the relay acknowledged, and the chunk being pushed (recorded
//!   before sending, so a retry resends the same `client_chunk_id` and bytes);
//! - `relay:<doc>` — [`RelayLog`]: how large the document's log on the relay is, as pulls showed it
//!   (written with each pull page): compaction's input;
//! - `keys:<doc>` — what this device knows of the document's keys, written with the pull page that
//!   brought the change (or after the relay stored this device's own key update);
//! - `fetch:<doc>` — the document must be fetched again from the relay's start (this device was
//!   given it after some of its chunks, or a chunk came before its key): written with the page
//!   that showed it, removed with the write of the fetched document.

use futures::{future::try_join_all, TryFutureExt as _};
use rexie::TransactionMode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use tend_core::{
    keys::DocKeyState,
    sync::{acked_after_append, RelayLog},
    sync_wire::DocKeysResponse,
    DocId, PatientSummary, WORKSPACE_DOC_ID,
};
use wasm_bindgen::JsValue;

use super::received::stale_key;
use super::{commit, js, js_err, schema, Storage, StorageError};

const CURSOR_KEY: &str = "cursor";
const OUTBOX_PREFIX: &str = "outbox:";
const DOC_PREFIX: &str = "doc:";
const RELAY_PREFIX: &str = "relay:";
/// What this device knows of a document's keys (`tend_core::keys::DocKeyState`, as the relay's
/// `GET …/keys/{doc}` body), written with the pull batch that brought the change.
const KEYS_PREFIX: &str = "keys:";
const FETCH_PREFIX: &str = "fetch:";
/// `removed:<doc>`: sync took the patient off this device; an edit from a chart still open on
/// them is refused (until the patient is received whole again).
const REMOVED_PREFIX: &str = "removed:";

/// A chunk recorded before it is sent: a retry sends exactly this again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PendingPush {
    pub client_chunk_id: String,
    /// The encrypted envelope (what the relay stores).
    pub envelope: Vec<u8>,
    /// The document's heads when the chunk was made: acknowledged once the relay answers 200.
    pub heads: Vec<String>,
}

/// Per-document sync state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DocSync {
    /// Heads (hex change hashes) whose history the relay holds.
    pub acked_heads: Vec<String>,
    #[serde(default)]
    pub pending: Option<PendingPush>,
}

/// One document touched by a pull page, prepared before the write transaction opens.
#[derive(Clone)]
pub enum PulledDocWrite {
    /// A document already on the device: the new changes are appended as a chunk.
    Existing {
        id: DocId,
        changes: Vec<u8>,
        /// `None` for the workspace document (it has no caseload summary).
        summary: Option<PatientSummary>,
        sync: DocSync,
    },
    /// A patient already on the device whose received changes are appended unmerged (core
    /// `sync::received`): the chunk, its key in the patient's stale marker and the received
    /// hashes in its acknowledged heads, with no load, merge or summary (settling does those).
    Appended {
        id: DocId,
        changes: Vec<u8>,
        received: Vec<automerge::ChangeHash>,
    },
    /// A patient new to this device received as a snapshot that carries its summary (core
    /// `sync::snapshot`), perhaps with changes after it: the snapshot, the changes as one chunk, the
    /// carried summary, the snapshot's heads and the changes' hashes as acknowledged, and a stale
    /// marker listing the chunk — no load (settling recomputes the summary).
    Received {
        id: DocId,
        snapshot: Vec<u8>,
        /// Empty: none.
        changes: Vec<u8>,
        summary: PatientSummary,
        acked: Vec<String>,
    },
    /// A document new to this device: stored as a snapshot.
    New {
        id: DocId,
        snapshot: Vec<u8>,
        summary: Option<PatientSummary>,
        sync: DocSync,
    },
}

/// A chunk that could not be decrypted or applied: kept aside (never applied) for support.
#[derive(Clone)]
pub struct SetAside {
    pub doc_id: String,
    pub seq: u64,
    pub reason: String,
    pub ciphertext: String,
}

/// Everything one pull page changes on the device, written in ONE transaction.
pub struct PulledPage {
    pub docs: Vec<PulledDocWrite>,
    pub set_aside: Vec<SetAside>,
    /// The relay cursor after this page; `None` for a page of one document fetched again from the
    /// start (`pull … doc=`), which leaves the cursor where it is.
    pub next_cursor: Option<u64>,
    /// What each written document's records were before the page was prepared against them.
    pub stamps: Vec<(DocId, DocStamp)>,
    /// The documents' relay logs as they stand after this page.
    pub relay_logs: Vec<(String, RelayLog)>,
    /// What this device knows of the keys of the documents whose keys this page changed.
    pub doc_keys: Vec<(String, DocKeyState)>,
    /// Documents to fetch again from the relay's start (`fetch:<doc>` written).
    pub to_fetch: Vec<String>,
    /// Documents this page fetched whole (`fetch:<doc>` removed).
    pub fetched: Vec<String>,
}

/// A document's stored state, cheap to compare: whether it has a snapshot, the keys of its chunks
/// and its sealed sync row. Any save, compaction, pull or push record for the document changes it
/// (sealing uses a fresh nonce, so even an identical sync row reads as rewritten).
/// `DocStamp::default()`: nothing is stored for the document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocStamp {
    has_snapshot: bool,
    chunk_keys: Vec<f64>,
    sync_row: Option<Vec<u8>>,
}

impl Storage {
    /// Taken before a pull page is prepared against a document, and checked again inside the page's
    /// write transaction: if another tab (or this one) saved the document meanwhile, the page was
    /// prepared from an older state and is not written (`StorageError::ChangedMeanwhile`).
    pub async fn doc_stamp(&self, id: &DocId) -> Result<DocStamp, StorageError> {
        let tx = self.db.transaction(
            &[schema::SNAPSHOTS, schema::CHUNKS, schema::SYNC_STATE],
            TransactionMode::ReadOnly,
        )?;
        let stamp = read_stamp(&tx, id).await?;
        tx.done().await?;
        Ok(stamp)
    }

    /// The relay cursor (0 before the first pull).
    pub async fn sync_cursor(&self) -> Result<u64, StorageError> {
        Ok(self.read_sync_json(CURSOR_KEY).await?.unwrap_or(0))
    }

    /// The `sync_state` rows whose key starts with `prefix`, in one read: each key without the
    /// prefix, and its opened bytes (`None` for a record that does not open).
    async fn prefix_rows(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadOnly)?;
        let rows = tx
            .store(schema::SYNC_STATE)?
            .get_all(Some(prefix_range(prefix)?), None)
            .await?;
        tx.done().await?;
        self.ensure_open()?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let rest = js::get_string(row, "key")?
                    .strip_prefix(prefix)?
                    .to_string();
                Some((rest, self.open_bytes(schema::SYNC_STATE, row).ok()))
            })
            .collect())
    }

    /// Documents with local changes not yet acknowledged by the relay, with their marker token.
    pub async fn outbox(&self) -> Result<Vec<(DocId, String)>, StorageError> {
        Ok(self
            .prefix_rows(OUTBOX_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(doc, bytes)| {
                let token = bytes
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                Some((DocId::parse(&doc)?, token))
            })
            .collect())
    }

    /// Every document's relay log (documents never pulled have none).
    pub async fn relay_logs(&self) -> Result<HashMap<String, RelayLog>, StorageError> {
        Ok(self
            .prefix_rows(RELAY_PREFIX)
            .await?
            .into_iter()
            .map(|(doc_id, bytes)| {
                // A record that does not read only means compaction waits until the log is seen again.
                let log = bytes
                    .and_then(|b| serde_json::from_slice::<RelayLog>(&b).ok())
                    .unwrap_or_default();
                (doc_id, log)
            })
            .collect())
    }

    /// What this device knows of each document's keys (documents without keys have none). A row
    /// that does not read counts as unknown: the next change to that document's keys, or its
    /// `GET …/keys`, tells again.
    pub async fn doc_key_states(&self) -> Result<HashMap<String, DocKeyState>, StorageError> {
        Ok(self
            .prefix_rows(KEYS_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(doc_id, bytes)| {
                let body = serde_json::from_slice::<DocKeysResponse>(&bytes?).ok()?;
                Some((doc_id, DocKeyState::from_response(body)))
            })
            .collect())
    }

    /// Documents to fetch again from the relay's start (see the module docs).
    pub async fn docs_to_fetch(&self) -> Result<Vec<String>, StorageError> {
        Ok(self
            .prefix_rows(FETCH_PREFIX)
            .await?
            .into_iter()
            .map(|(doc_id, _)| doc_id)
            .collect())
    }

    /// Forgets that `doc_id` must be fetched (it is no longer this device's to read).
    pub async fn clear_to_fetch(&self, doc_id: &str) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadWrite)?;
        tx.store(schema::SYNC_STATE)?
            .delete(JsValue::from_str(&format!("{FETCH_PREFIX}{doc_id}")))
            .await?;
        commit(tx).await
    }

    /// Records what this device knows of a document's keys after the relay stored its own update.
    pub async fn set_doc_key_state(
        &self,
        doc_id: &str,
        state: &DocKeyState,
    ) -> Result<(), StorageError> {
        self.put_sync_json(&keys_key(doc_id), &state.to_response(doc_id))
            .await
    }

    /// Writes one sealed JSON value of `sync_state` in a transaction of its own.
    async fn put_sync_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadWrite)?;
        tx.store(schema::SYNC_STATE)?
            .put(&self.sync_row(key, value)?, None)
            .await?;
        commit(tx).await
    }

    /// Removes a patient this device no longer reads (a rotation of its keys left this device out):
    /// its snapshot, chunks, summary and sync rows, in ONE transaction — unless it has changes the
    /// relay has not acknowledged, or was written since `stamp` was taken: then nothing is removed
    /// (`ChangedMeanwhile`). What this device knows of its keys stays (it says this device was
    /// taken out), and so does anything set aside for support.
    pub async fn remove_patient(&self, id: &DocId, stamp: &DocStamp) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&schema::PATIENT_STORES, TransactionMode::ReadWrite)?;
        let sync = tx.store(schema::SYNC_STATE)?;
        let (now, unsynced) = futures::try_join!(
            read_stamp(&tx, id),
            sync.key_exists(JsValue::from_str(&outbox_key(id)))
                .map_err(StorageError::from),
        )?;
        if &now != stamp || unsynced {
            tx.abort().await?;
            return Err(StorageError::ChangedMeanwhile(id.to_string()));
        }
        let doc_id = id.as_str();
        let chunks = tx.store(schema::CHUNKS)?;
        for key in now.chunk_keys {
            chunks.delete(JsValue::from_f64(key)).await?;
        }
        tx.store(schema::SNAPSHOTS)?
            .delete(JsValue::from_str(doc_id))
            .await?;
        tx.store(schema::SUMMARIES)?
            .delete(JsValue::from_str(doc_id))
            .await?;
        // Logged like a write, so the caseload cache learns the row is gone.
        let entry = js::object(&[("id", JsValue::from_str(doc_id))]).map_err(js_err)?;
        tx.store(schema::CASELOAD_LOG)?.add(&entry, None).await?;
        for key in [
            doc_key(id),
            relay_key(doc_id),
            stale_key(id),
            format!("{FETCH_PREFIX}{doc_id}"),
        ] {
            sync.delete(JsValue::from_str(&key)).await?;
        }
        sync.put(&self.sync_row(&removed_key(doc_id), &true)?, None)
            .await?;
        commit(tx).await
    }

    pub async fn set_relay_log(&self, doc_id: &str, log: &RelayLog) -> Result<(), StorageError> {
        self.put_sync_json(&relay_key(doc_id), log).await
    }

    /// The sync state of each of `ids` (the default where there is none or it does not read), in
    /// one read transaction.
    pub async fn doc_syncs(&self, ids: &[&DocId]) -> Result<Vec<DocSync>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadOnly)?;
        let store = tx.store(schema::SYNC_STATE)?;
        let rows = try_join_all(
            ids.iter()
                .map(|id| self.read_in::<DocSync>(&store, doc_key(id))),
        )
        .await?;
        tx.done().await?;
        Ok(rows.into_iter().map(Option::unwrap_or_default).collect())
    }

    pub async fn doc_sync(&self, id: &DocId) -> Result<DocSync, StorageError> {
        Ok(self.read_sync_json(&doc_key(id)).await?.unwrap_or_default())
    }

    /// Records the chunk about to be pushed (before sending it).
    pub async fn record_pending(&self, id: &DocId, sync: &DocSync) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadWrite)?;
        tx.store(schema::SYNC_STATE)?
            .put(&self.sync_row(&doc_key(id), sync)?, None)
            .await?;
        commit(tx).await
    }

    /// After the relay acknowledged a push: the new acknowledged heads, no pending chunk, and the
    /// outbox marker removed if no local change was written since the push began (same transaction).
    pub async fn record_acked(
        &self,
        id: &DocId,
        heads: Vec<String>,
        marker_seen: &str,
    ) -> Result<(), StorageError> {
        let sync = DocSync {
            acked_heads: heads,
            pending: None,
        };
        let row = self.sync_row(&doc_key(id), &sync)?;
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadWrite)?;
        let store = tx.store(schema::SYNC_STATE)?;
        store.put(&row, None).await?;
        let okey = JsValue::from_str(&outbox_key(id));
        let current = store.get(okey.clone()).await?;
        let current_token = current.as_ref().map(|r| {
            self.open_bytes(schema::SYNC_STATE, r)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        });
        if current_token.as_deref() == Some(marker_seen) {
            store.delete(okey).await?;
        }
        commit(tx).await
    }

    /// Applies one pull page: received changes, new documents, their summaries, chunks set aside,
    /// the per-document acknowledged heads and the new cursor — all in ONE transaction.
    pub async fn apply_pulled_page(&self, page: &PulledPage) -> Result<(), StorageError> {
        // Build every row first: nothing but the transaction's own requests is awaited inside it.
        let mut chunk_rows = Vec::new();
        let mut snapshot_rows = Vec::new();
        let mut summary_rows = Vec::new();
        let mut sync_rows = Vec::new();
        let mut appended = Vec::new();
        let mut received = Vec::new();
        let mut whole = Vec::new();
        for write in &page.docs {
            match write {
                PulledDocWrite::Existing {
                    id,
                    changes,
                    summary,
                    sync,
                } => {
                    chunk_rows.push(self.doc_row(schema::CHUNKS, id, changes)?);
                    if let Some(summary) = summary {
                        summary_rows.push(self.summary_row(summary)?);
                    }
                    sync_rows.push(self.sync_row(&doc_key(id), sync)?);
                }
                PulledDocWrite::Appended {
                    id,
                    changes,
                    received,
                } => {
                    let row = self.doc_row(schema::CHUNKS, id, changes)?;
                    appended.push((id, row, received));
                }
                PulledDocWrite::Received {
                    id,
                    snapshot,
                    changes,
                    summary,
                    acked,
                } => {
                    snapshot_rows.push(self.doc_row(schema::SNAPSHOTS, id, snapshot)?);
                    summary_rows.push(self.summary_row(summary)?);
                    whole.push(id);
                    let sync = DocSync {
                        acked_heads: acked.clone(),
                        pending: None,
                    };
                    sync_rows.push(self.sync_row(&doc_key(id), &sync)?);
                    let change_row = (!changes.is_empty())
                        .then(|| self.doc_row(schema::CHUNKS, id, changes))
                        .transpose()?;
                    received.push((id, change_row));
                }
                PulledDocWrite::New {
                    id,
                    snapshot,
                    summary,
                    sync,
                } => {
                    snapshot_rows.push(self.doc_row(schema::SNAPSHOTS, id, snapshot)?);
                    if let Some(summary) = summary {
                        summary_rows.push(self.summary_row(summary)?);
                    }
                    sync_rows.push(self.sync_row(&doc_key(id), sync)?);
                    whole.push(id);
                }
            }
        }
        let mut aside_rows = Vec::new();
        for bad in &page.set_aside {
            aside_rows.push(
                js::object(&[
                    ("doc_id", JsValue::from_str(&bad.doc_id)),
                    ("from_store", JsValue::from_str("relay")),
                    ("seq", JsValue::from_f64(bad.seq as f64)),
                    ("reason", JsValue::from_str(&bad.reason)),
                    ("record", JsValue::from_str(&bad.ciphertext)),
                    ("at", JsValue::from_f64(js_sys::Date::now())),
                ])
                .map_err(js_err)?,
            );
        }
        for (doc_id, log) in &page.relay_logs {
            sync_rows.push(self.sync_row(&relay_key(doc_id), log)?);
        }
        for (doc_id, state) in &page.doc_keys {
            sync_rows.push(self.sync_row(&keys_key(doc_id), &state.to_response(doc_id))?);
        }
        for doc_id in &page.to_fetch {
            sync_rows.push(self.sync_row(&format!("{FETCH_PREFIX}{doc_id}"), &true)?);
        }
        if let Some(cursor) = page.next_cursor {
            sync_rows.push(self.sync_row(CURSOR_KEY, &cursor)?);
        }

        let tx = self.db.transaction(
            &[
                schema::CHUNKS,
                schema::SNAPSHOTS,
                schema::SUMMARIES,
                schema::CASELOAD_LOG,
                schema::SYNC_STATE,
                schema::QUARANTINE,
            ],
            TransactionMode::ReadWrite,
        )?;
        // Optimistic concurrency: nothing is written unless every document is as it was when the
        // page was prepared (no request has been made yet, so returning leaves the store untouched).
        let now = try_join_all(page.stamps.iter().map(|(id, _)| read_stamp(&tx, id))).await?;
        for ((id, stamp), now) in page.stamps.iter().zip(now) {
            if &now != stamp {
                tx.abort().await?;
                return Err(StorageError::ChangedMeanwhile(id.to_string()));
            }
        }
        // Every request is made at once and only the last awaited: IndexedDB runs a transaction's
        // requests in order, and any that fails aborts the transaction, which `commit` reports.
        let chunks = tx.store(schema::CHUNKS)?;
        chunks
            .add_all(chunk_rows.into_iter().map(|r| (r, None)))
            .await?;
        tx.store(schema::SNAPSHOTS)?
            .put_all(snapshot_rows.into_iter().map(|r| (r, None)))
            .await?;
        self.put_summaries(&tx, &summary_rows).await?;
        tx.store(schema::QUARANTINE)?
            .add_all(aside_rows.into_iter().map(|r| (r, None)))
            .await?;
        let sync = tx.store(schema::SYNC_STATE)?;
        if !appended.is_empty() {
            // A sync row or marker that does not read is rebuilt: an empty acknowledgement only
            // means pushing again what the relay has (it keeps one copy of each change).
            let (chunk_keys, doc_syncs, markers) = futures::try_join!(
                try_join_all(
                    appended
                        .iter()
                        .map(|(_, row, _)| chunks.add(row, None).map_err(StorageError::from))
                ),
                try_join_all(
                    appended
                        .iter()
                        .map(|(id, _, _)| self.read_in::<DocSync>(&sync, doc_key(id)))
                ),
                try_join_all(
                    appended
                        .iter()
                        .map(|(id, _, _)| self.read_in::<Vec<f64>>(&sync, stale_key(id)))
                ),
            )?;
            for ((((id, _, received), chunk_key), doc_sync), keys) in
                appended.iter().zip(chunk_keys).zip(doc_syncs).zip(markers)
            {
                let mut doc_sync = doc_sync.unwrap_or_default();
                doc_sync.acked_heads = acked_after_append(&doc_sync.acked_heads, received);
                sync_rows.push(self.sync_row(&doc_key(id), &doc_sync)?);
                let mut keys = keys.unwrap_or_default();
                keys.extend(chunk_key.as_f64());
                sync_rows.push(self.sync_row(&stale_key(id), &keys)?);
            }
        }
        // A patient received whole: its changes' chunk (if any) is what its stale marker lists.
        let received_keys = try_join_all(received.iter().map(|(_, row)| async {
            match row {
                Some(row) => chunks.add(row, None).await.map(|k| k.as_f64()),
                None => Ok(None),
            }
        }))
        .await?;
        for ((id, _), key) in received.iter().zip(received_keys) {
            let keys: Vec<f64> = key.into_iter().collect();
            sync_rows.push(self.sync_row(&stale_key(id), &keys)?);
        }
        for doc_id in &page.fetched {
            sync.delete(JsValue::from_str(&format!("{FETCH_PREFIX}{doc_id}")))
                .await?;
        }
        // A patient received whole is on this device again.
        for id in &whole {
            sync.delete(JsValue::from_str(&removed_key(id.as_str())))
                .await?;
        }
        sync.put_all(sync_rows.into_iter().map(|r| (r, None)))
            .await?;
        commit(tx).await
    }

    /// A sealed JSON value of `sync_state` read inside `store`'s transaction; `None` when there
    /// is none or it does not read.
    async fn read_in<T: for<'de> Deserialize<'de>>(
        &self,
        store: &rexie::Store,
        key: String,
    ) -> Result<Option<T>, StorageError> {
        Ok(store
            .get(JsValue::from(key))
            .await?
            .and_then(|row| self.open_json(&row).ok()))
    }

    /// Opens a `sync_state` row's sealed JSON value.
    pub(super) fn open_json<T: for<'de> Deserialize<'de>>(
        &self,
        row: &JsValue,
    ) -> Result<T, StorageError> {
        let bytes = self.open_bytes(schema::SYNC_STATE, row)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StorageError::Corrupt(format!("sync state record: {e}")))
    }

    /// Joining or starting a workspace: forget every cursor, acknowledgement and pending chunk (they
    /// belong to another workspace or identity) and put every patient on this device in the outbox,
    /// so the new workspace receives them whole (the workspace document too, if this device has
    /// one: it merges with the joined workspace's from their shared genesis). One transaction.
    pub async fn reset_sync_state(&self) -> Result<(), StorageError> {
        let tx = self.db.transaction(
            &[
                schema::SYNC_STATE,
                schema::SUMMARIES,
                schema::SNAPSHOTS,
                schema::CHUNKS,
            ],
            TransactionMode::ReadWrite,
        )?;
        let mut ids: Vec<String> = tx
            .store(schema::SUMMARIES)?
            .get_all_keys(None, None)
            .await?
            .iter()
            .filter_map(JsValue::as_string)
            .collect();
        let workspace = DocId::Workspace;
        let stamp = read_stamp(&tx, &workspace).await?;
        if stamp.has_snapshot || !stamp.chunk_keys.is_empty() {
            ids.push(WORKSPACE_DOC_ID.to_string());
        }
        let sync = tx.store(schema::SYNC_STATE)?;
        sync.clear().await?;
        for id in ids {
            sync.put(&self.outbox_row(&id)?, None).await?;
        }
        commit(tx).await
    }

    /// The outbox marker row for `id` (a fresh token), put in the transaction of a local change.
    pub(super) fn outbox_row(&self, id: &str) -> Result<JsValue, StorageError> {
        let token = uuid::Uuid::new_v4().to_string();
        let key = format!("{OUTBOX_PREFIX}{id}");
        js::object(&[
            ("key", JsValue::from_str(&key)),
            (
                "bytes",
                self.sealed(schema::SYNC_STATE, &key, token.as_bytes())?,
            ),
        ])
        .map_err(js_err)
    }

    /// A snapshot or chunk row of `id`: its bytes sealed for `store`.
    fn doc_row(&self, store: &str, id: &DocId, bytes: &[u8]) -> Result<JsValue, StorageError> {
        js::object(&[
            ("doc_id", JsValue::from_str(id.as_str())),
            ("bytes", self.sealed(store, id.as_str(), bytes)?),
        ])
        .map_err(js_err)
    }

    pub(super) fn sync_row<T: Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<JsValue, StorageError> {
        let json = serde_json::to_vec(value).map_err(|e| StorageError::Failed(e.to_string()))?;
        js::object(&[
            ("key", JsValue::from_str(key)),
            ("bytes", self.sealed(schema::SYNC_STATE, key, &json)?),
        ])
        .map_err(js_err)
    }

    async fn read_sync_json<T: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadOnly)?;
        let row = tx
            .store(schema::SYNC_STATE)?
            .get(JsValue::from_str(key))
            .await?;
        tx.done().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let bytes = self.open_bytes(schema::SYNC_STATE, &row)?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StorageError::Corrupt(format!("sync state {key}: {e}")))
    }
}

/// Reads `id`'s stamp inside `tx` (scope: snapshots, chunks, sync_state).
pub(super) async fn read_stamp(
    tx: &rexie::Transaction,
    id: &DocId,
) -> Result<DocStamp, StorageError> {
    let snapshots = tx.store(schema::SNAPSHOTS)?;
    let chunks = tx.store(schema::CHUNKS)?.index(schema::CHUNKS_BY_DOC)?;
    let sync = tx.store(schema::SYNC_STATE)?;
    let range = super::doc_range(id.as_str())?;
    let (has_snapshot, chunk_keys, sync_row) = futures::try_join!(
        snapshots.key_exists(JsValue::from_str(id.as_str())),
        chunks.get_all_keys(Some(range), None),
        sync.get(JsValue::from_str(&doc_key(id))),
    )?;
    let chunk_keys = chunk_keys.iter().filter_map(JsValue::as_f64).collect();
    let sync_row = sync_row.and_then(|row| js::get_bytes(&row, "bytes"));
    Ok(DocStamp {
        has_snapshot,
        chunk_keys,
        sync_row,
    })
}

pub(super) fn doc_key(id: &DocId) -> String {
    format!("{DOC_PREFIX}{}", id.as_str())
}

pub(super) fn removed_key(doc_id: &str) -> String {
    format!("{REMOVED_PREFIX}{doc_id}")
}

fn relay_key(doc_id: &str) -> String {
    format!("{RELAY_PREFIX}{doc_id}")
}

fn keys_key(doc_id: &str) -> String {
    format!("{KEYS_PREFIX}{doc_id}")
}

pub(super) fn outbox_key(id: &DocId) -> String {
    format!("{OUTBOX_PREFIX}{}", id.as_str())
}

/// The `sync_state` keys that start with `prefix`.
pub(super) fn prefix_range(prefix: &str) -> Result<rexie::KeyRange, StorageError> {
    rexie::KeyRange::bound(
        &JsValue::from_str(prefix),
        &JsValue::from_str(&format!("{prefix}\u{ffff}")),
        Some(false),
        Some(false),
    )
    .map_err(|e| StorageError::Failed(e.to_string()))
}
