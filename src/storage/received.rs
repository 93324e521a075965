//! Changes received from other devices, stored unmerged, and settling them (core
//! `tend_core::sync::received` says why a pull appends instead of merging).
//!
//! A pull appends a patient's received changes as one chunk and, in the same transaction, adds
//! that chunk's key to the patient's stale marker (`stale:<doc>` in `sync_state`). Settling loads
//! the document, computes its summary and writes it — clearing the marker — in one transaction
//! that first checks nothing was stored for the patient since the load (its [`DocStamp`]). If the
//! document no longer reads with those changes, the chunks the marker lists are set aside
//! (quarantined, never deleted) and the patient reads as before them.

use rexie::TransactionMode;
use tend_core::{DocId, PatientId, PatientSummary};
use wasm_bindgen::JsValue;

use super::sync_state::{doc_key, outbox_key, prefix_range, read_stamp, DocStamp, DocSync};
use super::{commit, js, js_err, schema, Storage, StorageError};

pub(super) const STALE_PREFIX: &str = "stale:";

pub(super) fn stale_key(id: &DocId) -> String {
    format!("{STALE_PREFIX}{}", id.as_str())
}

impl Storage {
    /// Which of `ids` have a snapshot on this device: received changes are appended to those;
    /// a document without one is merged the slow way. One read transaction.
    pub async fn have_snapshots(&self, ids: &[&DocId]) -> Result<Vec<bool>, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SNAPSHOTS], TransactionMode::ReadOnly)?;
        let store = tx.store(schema::SNAPSHOTS)?;
        let out = futures::future::try_join_all(
            ids.iter()
                .map(|id| store.key_exists(JsValue::from_str(id.as_str()))),
        )
        .await?;
        tx.done().await?;
        Ok(out)
    }

    /// Patients with received changes their summary does not reflect yet (in id order).
    pub async fn stale_patients(&self) -> Result<Vec<PatientId>, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadOnly)?;
        let range = prefix_range(STALE_PREFIX)?;
        let keys = tx
            .store(schema::SYNC_STATE)?
            .get_all_keys(Some(range), None)
            .await?;
        tx.done().await?;
        Ok(keys
            .iter()
            .filter_map(JsValue::as_string)
            .filter_map(|k| k.strip_prefix(STALE_PREFIX).and_then(PatientId::parse))
            .collect())
    }

    /// Whether received changes wait to be settled for `id`.
    pub async fn is_stale(&self, id: &DocId) -> Result<bool, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadOnly)?;
        let stale = tx
            .store(schema::SYNC_STATE)?
            .key_exists(JsValue::from_str(&stale_key(id)))
            .await?;
        tx.done().await?;
        Ok(stale)
    }

    /// Removes `id`'s stale marker (settling found nothing stored to settle).
    pub async fn clear_stale(&self, id: &DocId) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&[schema::SYNC_STATE], TransactionMode::ReadWrite)?;
        tx.store(schema::SYNC_STATE)?
            .delete(JsValue::from_str(&stale_key(id)))
            .await?;
        commit(tx).await
    }

    /// Writes `summary`, computed from a load of `id` taken when its records were `stamp`, and
    /// clears its stale marker — unless anything was stored for it since (then nothing is written
    /// and `false` returned: load it again). With no local change waiting and no push under way,
    /// the acknowledged heads become the document's `heads` (everything stored is on the relay).
    pub async fn settle_summary(
        &self,
        id: &PatientId,
        stamp: &DocStamp,
        summary: &PatientSummary,
        heads: Vec<String>,
    ) -> Result<bool, StorageError> {
        let doc = DocId::Patient(id.clone());
        let summary_row = self.summary_row(summary)?;
        let tx = self
            .db
            .transaction(&schema::PATIENT_STORES, TransactionMode::ReadWrite)?;
        if &read_stamp(&tx, &doc).await? != stamp {
            tx.abort().await?;
            return Ok(false);
        }
        self.put_summaries(&tx, &[summary_row]).await?;
        let sync = tx.store(schema::SYNC_STATE)?;
        sync.delete(JsValue::from_str(&stale_key(&doc))).await?;
        let waiting = sync
            .key_exists(JsValue::from_str(&outbox_key(&doc)))
            .await?;
        if !waiting {
            let current: DocSync = match sync.get(JsValue::from_str(&doc_key(&doc))).await? {
                Some(row) => self.open_json(&row)?,
                None => DocSync::default(),
            };
            if current.pending.is_none() {
                let settled = DocSync {
                    acked_heads: heads,
                    pending: None,
                };
                sync.put(&self.sync_row(&doc_key(&doc), &settled)?, None)
                    .await?;
            }
        }
        commit(tx).await?;
        Ok(true)
    }

    /// The received chunks `id`'s stale marker lists do not leave a readable document: moves
    /// them to quarantine (kept for support) and clears the marker; returns how many. `None`:
    /// something was stored for it since `stamp`, nothing done (load it again). `reason` is kept
    /// with each.
    pub async fn set_aside_received(
        &self,
        id: &PatientId,
        stamp: &DocStamp,
        reason: &str,
    ) -> Result<Option<usize>, StorageError> {
        let doc = DocId::Patient(id.clone());
        let tx = self.db.transaction(
            &[
                schema::SNAPSHOTS,
                schema::CHUNKS,
                schema::SYNC_STATE,
                schema::QUARANTINE,
            ],
            TransactionMode::ReadWrite,
        )?;
        if &read_stamp(&tx, &doc).await? != stamp {
            tx.abort().await?;
            return Ok(None);
        }
        let sync = tx.store(schema::SYNC_STATE)?;
        let marker = JsValue::from_str(&stale_key(&doc));
        let keys: Vec<f64> = match sync.get(marker.clone()).await? {
            Some(row) => self.open_json(&row)?,
            None => Vec::new(),
        };
        let chunks = tx.store(schema::CHUNKS)?;
        let quarantine = tx.store(schema::QUARANTINE)?;
        let mut moved = 0;
        for key in keys {
            let key = JsValue::from_f64(key);
            let Some(row) = chunks.get(key.clone()).await? else {
                continue;
            };
            let kept = self.quarantine_row(id.as_str(), schema::CHUNKS, &row)?;
            js::set(&kept, "reason", &JsValue::from_str(reason)).map_err(js_err)?;
            quarantine.add(&kept, None).await?;
            chunks.delete(key).await?;
            moved += 1;
        }
        sync.delete(marker).await?;
        commit(tx).await?;
        Ok(Some(moved))
    }

    /// Whether any record of `doc_id` is in quarantine (compaction leaves such a document's log on
    /// the relay alone: it may hold the only good copy of what was set aside here).
    pub async fn has_quarantined(&self, doc_id: &str) -> Result<bool, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::QUARANTINE], TransactionMode::ReadOnly)?;
        let rows = tx.store(schema::QUARANTINE)?.get_all(None, None).await?;
        tx.done().await?;
        Ok(rows
            .iter()
            .any(|row| js::get_string(row, "doc_id").as_deref() == Some(doc_id)))
    }
}
