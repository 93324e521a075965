//! Device storage: every patient's Automerge document, durable in IndexedDB (via rexie).
//!
//! Per document: a compacted snapshot plus small chunks appended per edit batch. The caseload
//! summary is written in the same transaction as the chunk it reflects, so the list never shows
//! something that is not saved — except for changes received from other devices, appended with a
//! stale marker instead and summarised just after (`received.rs`). Only this module touches
//! IndexedDB.
//!
//! Transactions: nothing but the transaction's own requests is awaited inside one, because
//! IndexedDB auto-commits a transaction once it has no pending request.

mod caseload;
pub mod device;
mod js;
pub mod lock;
mod received;
pub mod schema;
pub mod seal;
pub mod sync_state;

use rexie::{KeyRange, Rexie, TransactionMode};
use tend_core::lock::Place;
use tend_core::summary::Stored;
use tend_core::workspace::{SyncDoc, WorkspaceDoc};
use tend_core::{DocError, PatientDoc, PatientId, PatientSummary, WORKSPACE_DOC_ID};
use wasm_bindgen::JsValue;

pub use caseload::{CacheRebuild, CacheState, CASELOAD_CACHE_KEY};
pub use seal::{Seal, SealError};

pub const DEFAULT_DB_NAME: &str = "tend";

/// A document is compacted once it has this many chunks; loading stays a handful of reads.
pub const COMPACT_AFTER_CHUNKS: u32 = 64;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("this device's storage is full. Free space on the device (or remove other sites' data), then try again. Your change is kept in memory until it is saved.")]
    QuotaExceeded,
    #[error("device storage is unavailable: {0}")]
    Unavailable(String),
    #[error("device storage failed: {0}")]
    Failed(String),
    #[error("the saved record could not be read: {0}")]
    Corrupt(String),
    #[error("no patient with id {0} on this device")]
    NotFound(String),
    /// An edit to a patient no longer stored here (sync took them off this device while their
    /// chart was open): nothing was written.
    #[error("this patient is no longer on this device (they were taken off its caseload), so the change was not saved")]
    NotOnDevice(String),
    #[error(transparent)]
    Document(#[from] DocError),
    /// A write prepared from a document's stored state found it changed when it ran (another
    /// tab saved it meanwhile); nothing was written, and preparing it again gives the right result.
    #[error("patient {0} was saved meanwhile (another tab?); trying again")]
    ChangedMeanwhile(String),
    /// The data key was dropped (the app locked): nothing is read or written until unlock.
    #[error("Tend is locked: unlock it to read or save patient data")]
    Locked,
}

impl From<SealError> for StorageError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Locked => StorageError::Locked,
            SealError::Damaged(m) => StorageError::Corrupt(m),
        }
    }
}

impl From<rexie::Error> for StorageError {
    fn from(e: rexie::Error) -> Self {
        let text = format!("{e:?}");
        if text.contains("QuotaExceeded") {
            StorageError::QuotaExceeded
        } else {
            StorageError::Failed(e.to_string())
        }
    }
}

fn js_err(e: JsValue) -> StorageError {
    StorageError::Failed(format!("{e:?}"))
}

/// A document opened from storage, with what could not be read set aside.
pub struct LoadedDoc<D = PatientDoc> {
    pub doc: D,
    /// Human-readable reports of records that failed to decode and were quarantined.
    pub problems: Vec<String>,
}

/// Result of listing the caseload: the summaries that decoded, and how many did not.
pub struct Caseload {
    pub summaries: Vec<PatientSummary>,
    pub unreadable: usize,
    /// Patients whose summary an older build wrote: shown as is, then recomputed from the document.
    pub outdated: Vec<String>,
    /// Whether the list came from the caseload cache (`caseload.rs`), and how far behind it was.
    pub cache: CacheState,
    /// The last caseload-log entry the list reflects.
    pub covers: u64,
}

/// Handle to the device's database. Cheap to share behind an `Rc`.
pub struct Storage {
    db: Rexie,
    seal: Seal,
}

impl Storage {
    /// Opens with an unkeyed seal (tests and benchmarks; the app uses [`Storage::open_locked`]).
    pub async fn open(name: &str) -> Result<Self, StorageError> {
        Self::open_with(name, Seal::identity()).await
    }

    /// Opens with a keyed seal that has no key yet: only the lock record can be read until
    /// `seal().set_key(..)` (see `lock.rs` in this module).
    pub async fn open_locked(name: &str) -> Result<Self, StorageError> {
        Self::open_with(name, Seal::locked()).await
    }

    pub async fn open_with(name: &str, seal: Seal) -> Result<Self, StorageError> {
        let db = schema::builder(name)
            .build()
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Storage { db, seal })
    }

    /// The seal shared by every clone of this handle: the lock sets and forgets its key.
    pub fn seal(&self) -> &Seal {
        &self.seal
    }

    /// Fails with `Locked` when no value can be opened, so a locked read is never mistaken for
    /// damaged records (which would be set aside).
    fn ensure_open(&self) -> Result<(), StorageError> {
        if self.seal.is_open() {
            Ok(())
        } else {
            Err(StorageError::Locked)
        }
    }

    /// Seals `plaintext` for the record `record_key` of `store`, as a stored JS value.
    fn sealed(
        &self,
        store: &str,
        record_key: &str,
        plaintext: &[u8],
    ) -> Result<JsValue, StorageError> {
        let bytes = self.seal.seal(Place { store, record_key }, plaintext)?;
        Ok(js::bytes_value(&bytes))
    }

    /// Deletes a database (tests and "wipe this device").
    pub async fn delete(name: &str) -> Result<(), StorageError> {
        Rexie::delete(name)
            .await
            .map_err(|e| StorageError::Failed(e.to_string()))
    }

    pub fn close(self) {
        self.db.close();
    }

    /// Stores a new patient: snapshot and summary in one transaction.
    pub async fn create_patient(
        &self,
        doc: &mut PatientDoc,
    ) -> Result<PatientSummary, StorageError> {
        // Dated like every later summary (risk tier as of today), so the caseload and the chart
        // agree from the first moment.
        let summary = doc.summary_on(crate::clock::today())?;
        let snapshot = doc.save();
        let tx = self.db.transaction(
            &[
                schema::SNAPSHOTS,
                schema::SUMMARIES,
                schema::CASELOAD_LOG,
                schema::SYNC_STATE,
            ],
            TransactionMode::ReadWrite,
        )?;
        let summary_row = self.summary_row(&summary)?;
        let snapshot_row = js::object(&[
            ("doc_id", JsValue::from_str(&summary.id)),
            (
                "bytes",
                self.sealed(schema::SNAPSHOTS, &summary.id, &snapshot)?,
            ),
        ])
        .map_err(js_err)?;
        tx.store(schema::SNAPSHOTS)?
            .put(&snapshot_row, None)
            .await?;
        self.put_summaries(&tx, &[summary_row]).await?;
        // Outbox marker: the relay has not seen this document yet (sync_state.rs).
        tx.store(schema::SYNC_STATE)?
            .put(&self.outbox_row(&summary.id)?, None)
            .await?;
        commit(tx).await?;
        Ok(summary)
    }

    /// Appends `changes` (an incremental save) for `doc` and its new summary, in one transaction.
    /// Only after this returns `Ok` is the edit saved on the device.
    pub async fn append_changes(
        &self,
        doc_id: &PatientId,
        changes: &[u8],
        summary: &PatientSummary,
    ) -> Result<(), StorageError> {
        self.append_chunk(doc_id.as_str(), changes, Some(summary))
            .await
    }

    /// Appends changes to the workspace document (it has no summary), with its outbox marker, in
    /// one transaction. The first save of a device's workspace document includes its genesis.
    pub async fn append_workspace_changes(&self, changes: &[u8]) -> Result<(), StorageError> {
        self.append_chunk(WORKSPACE_DOC_ID, changes, None).await
    }

    async fn append_chunk(
        &self,
        doc_id: &str,
        changes: &[u8],
        summary: Option<&PatientSummary>,
    ) -> Result<(), StorageError> {
        let tx = self.db.transaction(
            &[
                schema::CHUNKS,
                schema::SUMMARIES,
                schema::CASELOAD_LOG,
                schema::SYNC_STATE,
            ],
            TransactionMode::ReadWrite,
        )?;
        let summary_row = summary.map(|s| self.summary_row(s)).transpose()?;
        let chunk = js::object(&[
            ("doc_id", JsValue::from_str(doc_id)),
            ("bytes", self.sealed(schema::CHUNKS, doc_id, changes)?),
        ])
        .map_err(js_err)?;
        let removed = tx
            .store(schema::SYNC_STATE)?
            .key_exists(JsValue::from_str(&sync_state::removed_key(doc_id)))
            .await?;
        if removed {
            // A patient sync took off this device while their chart stayed open: changes alone,
            // without the record they apply to, would be a patient stored in part.
            tx.abort().await?;
            return Err(StorageError::NotOnDevice(doc_id.to_owned()));
        }
        tx.store(schema::CHUNKS)?.add(&chunk, None).await?;
        if let Some(row) = summary_row {
            self.put_summaries(&tx, &[row]).await?;
        }
        // Outbox marker in the same transaction: the relay has not acknowledged this change.
        tx.store(schema::SYNC_STATE)?
            .put(&self.outbox_row(doc_id)?, None)
            .await?;
        commit(tx).await
    }

    /// Replaces a summary an older build wrote, or one dated before `summary`'s day, with
    /// `summary`, unless something newer (an edit, a sync) has written a current one meanwhile: checked inside the write transaction, so a
    /// background refresh can never overwrite a fresher summary. Returns whether it wrote.
    pub async fn replace_outdated_summary(
        &self,
        summary: &PatientSummary,
    ) -> Result<bool, StorageError> {
        let summary_row = self.summary_row(summary)?;
        let tx = self.db.transaction(
            &[schema::SUMMARIES, schema::CASELOAD_LOG],
            TransactionMode::ReadWrite,
        )?;
        let existing = tx
            .store(schema::SUMMARIES)?
            .get(JsValue::from_str(&summary.id))
            .await?;
        let day = summary
            .as_of
            .as_deref()
            .and_then(tend_core::record::IsoDate::parse)
            .and_then(|d| d.date());
        let still_outdated = existing
            .as_ref()
            .and_then(|row| self.decode_summary(row))
            .is_some_and(|stored| match stored {
                Stored::Outdated(_) => true,
                // Current, but dated before this one's day (tier and overdue as of then).
                Stored::Current(old) => day.is_some_and(|day| old.dated_before(day)),
            });
        if still_outdated {
            self.put_summaries(&tx, &[summary_row]).await?;
        }
        commit(tx).await?;
        Ok(still_outdated)
    }

    /// Loads snapshot + remaining chunks. Records that fail to decode are moved to quarantine
    /// (kept, not deleted) and reported; the document opens from what is intact.
    pub async fn load_patient(&self, doc_id: &PatientId) -> Result<LoadedDoc, StorageError> {
        self.load_doc(doc_id.as_str()).await
    }

    /// The workspace document as stored (`NotFound` before its first save or pull here).
    pub async fn load_workspace(&self) -> Result<LoadedDoc<WorkspaceDoc>, StorageError> {
        self.load_doc(WORKSPACE_DOC_ID).await
    }

    /// Loads snapshot + remaining chunks of any kind of document.
    pub async fn load_doc<D: SyncDoc>(&self, doc_id: &str) -> Result<LoadedDoc<D>, StorageError> {
        let (snapshot, chunks) = self.read_doc_records(doc_id).await?;
        self.ensure_open()?;
        let mut problems = Vec::new();
        let mut bad_rows = Vec::new();
        let mut doc = match snapshot {
            Some(row) => match self
                .open_bytes(schema::SNAPSHOTS, &row)
                .and_then(|b| D::load(&b).map_err(Into::into))
            {
                Ok(doc) => Some(doc),
                Err(e) => {
                    problems.push(format!(
                        "The saved snapshot could not be read ({e}); it was set aside."
                    ));
                    bad_rows.push((schema::SNAPSHOTS, row));
                    None
                }
            },
            None => None,
        };
        for row in chunks {
            let applied =
                self.open_bytes(schema::CHUNKS, &row)
                    .and_then(|bytes| match doc.as_mut() {
                        Some(d) => d.apply_changes(&bytes).map_err(Into::into),
                        None => D::load(&bytes).map(|d| doc = Some(d)).map_err(Into::into),
                    });
            if let Err(e) = applied {
                problems.push(format!(
                    "One saved change could not be read ({e}); it was set aside."
                ));
                bad_rows.push((schema::CHUNKS, row));
            }
        }
        if !bad_rows.is_empty() {
            self.quarantine(doc_id, bad_rows).await?;
        }
        let doc = doc.ok_or_else(|| StorageError::NotFound(doc_id.to_string()))?;
        // A record that no longer decodes must not hide the patient from the caseload.
        Ok(LoadedDoc { doc, problems })
    }

    /// Rewrites the snapshot and deletes the chunks it now contains, in ONE transaction. Chunks are
    /// re-read inside the transaction so a chunk another tab appended is never lost.
    pub async fn compact<D: SyncDoc>(&self, doc_id: &str, doc: &mut D) -> Result<(), StorageError> {
        let tx = self.db.transaction(
            &[schema::SNAPSHOTS, schema::CHUNKS],
            TransactionMode::ReadWrite,
        )?;
        let chunks_store = tx.store(schema::CHUNKS)?;
        let range = doc_range(doc_id)?;
        let rows = chunks_store
            .index(schema::CHUNKS_BY_DOC)?
            .get_all(Some(range), None)
            .await?;
        let mut merged_seqs = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(seq) = js::get_f64(row, "seq") else {
                continue;
            };
            // Unreadable chunks stay where they are; load_patient quarantines and reports them.
            if let Ok(bytes) = self.open_bytes(schema::CHUNKS, row) {
                if doc.apply_changes(&bytes).is_ok() {
                    merged_seqs.push(seq);
                }
            }
        }
        let snapshot_row = js::object(&[
            ("doc_id", JsValue::from_str(doc_id)),
            (
                "bytes",
                self.sealed(schema::SNAPSHOTS, doc_id, &doc.save())?,
            ),
        ])
        .map_err(js_err)?;
        tx.store(schema::SNAPSHOTS)?
            .put(&snapshot_row, None)
            .await?;
        for seq in merged_seqs {
            chunks_store.delete(JsValue::from_f64(seq)).await?;
        }
        commit(tx).await
    }

    /// Number of chunks appended since the document's last compaction.
    pub async fn chunk_count(&self, doc_id: &str) -> Result<u32, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::CHUNKS], TransactionMode::ReadOnly)?;
        let range = doc_range(doc_id)?;
        let n = tx
            .store(schema::CHUNKS)?
            .index(schema::CHUNKS_BY_DOC)?
            .count(Some(range))
            .await?;
        tx.done().await?;
        Ok(n)
    }

    /// How many records have been set aside because they failed to decode.
    pub async fn quarantined_count(&self) -> Result<u32, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::QUARANTINE], TransactionMode::ReadOnly)?;
        let n = tx.store(schema::QUARANTINE)?.count(None).await?;
        tx.done().await?;
        Ok(n)
    }

    /// Reads a device/workspace metadata value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::META], TransactionMode::ReadOnly)?;
        let row = tx.store(schema::META)?.get(JsValue::from_str(key)).await?;
        tx.done().await?;
        let Some(sealed) = row.and_then(|r| js::get_bytes(&r, "value")) else {
            return Ok(None);
        };
        let place = Place {
            store: schema::META,
            record_key: key,
        };
        match self.seal.open(place, &sealed) {
            Ok(b) => Ok(String::from_utf8(b).ok()),
            Err(SealError::Locked) => Err(StorageError::Locked),
            // A damaged setting reads as unset (the caller's default), as before the lock.
            Err(SealError::Damaged(_)) => Ok(None),
        }
    }

    /// The metadata value under `key`, or `value` stored there if there is none — decided in one
    /// transaction, so two tabs asking at once get the same value.
    pub async fn meta_or_insert(&self, key: &str, value: &str) -> Result<String, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::META], TransactionMode::ReadWrite)?;
        let store = tx.store(schema::META)?;
        let row = store.get(JsValue::from_str(key)).await?;
        let place = Place {
            store: schema::META,
            record_key: key,
        };
        if let Some(sealed) = row.and_then(|r| js::get_bytes(&r, "value")) {
            match self.seal.open(place, &sealed) {
                Ok(b) => {
                    if let Ok(found) = String::from_utf8(b) {
                        tx.done().await?;
                        return Ok(found);
                    }
                }
                Err(SealError::Locked) => return Err(StorageError::Locked),
                // Damaged: replaced, as an unset value would be.
                Err(SealError::Damaged(_)) => {}
            }
        }
        let row = js::object(&[
            ("key", JsValue::from_str(key)),
            ("value", self.sealed(schema::META, key, value.as_bytes())?),
        ])
        .map_err(js_err)?;
        store.put(&row, None).await?;
        commit(tx).await?;
        Ok(value.to_owned())
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&[schema::META], TransactionMode::ReadWrite)?;
        let row = js::object(&[
            ("key", JsValue::from_str(key)),
            ("value", self.sealed(schema::META, key, value.as_bytes())?),
        ])
        .map_err(js_err)?;
        tx.store(schema::META)?.put(&row, None).await?;
        commit(tx).await
    }

    async fn read_doc_records(
        &self,
        doc_id: &str,
    ) -> Result<(Option<JsValue>, Vec<JsValue>), StorageError> {
        let tx = self.db.transaction(
            &[schema::SNAPSHOTS, schema::CHUNKS],
            TransactionMode::ReadOnly,
        )?;
        let snapshot = tx
            .store(schema::SNAPSHOTS)?
            .get(JsValue::from_str(doc_id))
            .await?;
        let range = doc_range(doc_id)?;
        let chunks = tx
            .store(schema::CHUNKS)?
            .index(schema::CHUNKS_BY_DOC)?
            .get_all(Some(range), None)
            .await?;
        tx.done().await?;
        Ok((snapshot, chunks))
    }

    /// Moves unreadable rows to the quarantine store and removes them from where they were, in one
    /// transaction, so they are reported once and never block loading again.
    async fn quarantine(
        &self,
        doc_id: &str,
        rows: Vec<(&'static str, JsValue)>,
    ) -> Result<(), StorageError> {
        let tx = self.db.transaction(
            &[schema::QUARANTINE, schema::SNAPSHOTS, schema::CHUNKS],
            TransactionMode::ReadWrite,
        )?;
        // Build the rows first (sealing may fail, e.g. when locked): nothing is moved half-way.
        let mut kept_rows = Vec::with_capacity(rows.len());
        for (from_store, row) in &rows {
            kept_rows.push(self.quarantine_row(doc_id, from_store, row)?);
        }
        let quarantine = tx.store(schema::QUARANTINE)?;
        for ((from_store, row), kept) in rows.into_iter().zip(kept_rows) {
            quarantine.add(&kept, None).await?;
            let key = if from_store == schema::CHUNKS {
                js::get_f64(&row, "seq").map(JsValue::from_f64)
            } else {
                Some(JsValue::from_str(doc_id))
            };
            if let Some(key) = key {
                tx.store(from_store)?.delete(key).await?;
            }
        }
        commit(tx).await
    }

    /// A set-aside record: its original stored bytes sealed again for the quarantine store (a
    /// rejected record may be plaintext from before the lock; it must not stay readable at rest).
    fn quarantine_row(
        &self,
        doc_id: &str,
        from_store: &str,
        row: &JsValue,
    ) -> Result<JsValue, StorageError> {
        let original = js::get_bytes(row, "bytes").unwrap_or_default();
        js::object(&[
            ("doc_id", JsValue::from_str(doc_id)),
            ("from_store", JsValue::from_str(from_store)),
            (
                "seq",
                js::get_f64(row, "seq").map_or(JsValue::NULL, JsValue::from_f64),
            ),
            ("bytes", self.sealed(schema::QUARANTINE, doc_id, &original)?),
            ("at", JsValue::from_f64(js_sys::Date::now())),
        ])
        .map_err(js_err)
    }

    /// Opens a row's sealed `bytes`, bound to the row's store and record key.
    fn open_bytes(&self, store: &str, row: &JsValue) -> Result<Vec<u8>, StorageError> {
        let sealed = js::get_bytes(row, "bytes")
            .ok_or_else(|| StorageError::Corrupt("record has no bytes".into()))?;
        let record_key = record_key_of(store, row)
            .ok_or_else(|| StorageError::Corrupt("record has no key".into()))?;
        Ok(self.seal.open(
            Place {
                store,
                record_key: &record_key,
            },
            &sealed,
        )?)
    }

    fn decode_summary(&self, row: &JsValue) -> Option<Stored> {
        let bytes = self.open_bytes(schema::SUMMARIES, row).ok()?;
        PatientSummary::from_stored(&bytes).ok()
    }
}

/// The record key a value is sealed with: the document id for snapshots, chunks and quarantine (a
/// chunk's `seq` is assigned by IndexedDB after sealing), otherwise the row's key.
fn record_key_of(store: &str, row: &JsValue) -> Option<String> {
    let field = match store {
        schema::SNAPSHOTS | schema::CHUNKS | schema::QUARANTINE => "doc_id",
        schema::SUMMARIES => "id",
        _ => "key",
    };
    js::get_string(row, field)
}

/// The key range selecting one document's chunks in the `by_doc` index.
fn doc_range(doc_id: &str) -> Result<KeyRange, StorageError> {
    KeyRange::only(&JsValue::from_str(doc_id)).map_err(|e| StorageError::Failed(e.to_string()))
}

/// Waits for the transaction and turns an abort into an error: a write is saved only if committed.
async fn commit(tx: rexie::Transaction) -> Result<(), StorageError> {
    let result = tx.done().await?;
    if result.is_committed() {
        Ok(())
    } else {
        Err(StorageError::Failed(
            "the write was aborted by the browser".into(),
        ))
    }
}
