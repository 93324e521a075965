//! The caseload at app start: one sealed cache record (every summary, `tend_core::caseload`) plus
//! the few summary rows logged since it, instead of reading, decrypting and decoding every row.
//!
//! Invariants:
//! - Every summary write goes through [`Storage::put_summaries`], which adds the patient's id to
//!   `caseload_log` in the same transaction.
//! - The cache is built only from the rows themselves, inside one read-write transaction that also
//!   trims the log up to what the cache covers — never from a tab's memory, which can be behind
//!   another tab's writes. So cache + the log since it always equals the rows.
//! - It only ever holds current, readable summaries: while a row is outdated or damaged it is not
//!   rewritten, so start-up keeps taking the full read, which reports and refreshes those rows.
//! - A missing, damaged or older-format cache is not an error: the list is read from the rows.

use futures::future::join_all;
use rexie::{Direction, KeyRange, Transaction, TransactionMode};
use tend_core::caseload::{self, CaseloadCache};
use tend_core::lock::Place;
use tend_core::summary::Stored;
use tend_core::PatientSummary;
use wasm_bindgen::JsValue;

use super::{commit, js, js_err, schema, Caseload, Storage, StorageError};

/// The `meta` key of the sealed cache record.
pub const CASELOAD_CACHE_KEY: &str = "caseload_cache";

/// With more rows than this logged since the cache, one `getAll` of every row is quicker than
/// reading them one by one (and the cache is due for a rebuild anyway).
const MAX_LOGGED_READS: usize = 256;

/// How the list was read at start-up, so the session knows whether to rebuild the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheState {
    /// From the cache, with nothing logged since.
    Fresh,
    /// From the cache plus this many log entries written since.
    Behind(usize),
    /// From every row: there was no usable cache (or too much was logged since).
    Missing,
}

/// A sealed summary row ready to put; only [`Storage::put_summaries`] writes it (and logs it).
pub(super) struct SummaryRow {
    id: String,
    row: JsValue,
}

/// What rebuilding the cache did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheRebuild {
    /// Written; it covers every summary write up to this log entry.
    Written { covers: u64 },
    /// Nothing was logged since the cache: left as it is.
    UpToDate,
    /// Some rows are outdated or do not decode: no cache until they are refreshed (or set aside).
    NotNow,
}

impl Storage {
    pub(super) fn summary_row(&self, summary: &PatientSummary) -> Result<SummaryRow, StorageError> {
        let stored = summary
            .to_stored()
            .map_err(|e| StorageError::Failed(e.to_string()))?;
        let row = js::object(&[
            ("id", JsValue::from_str(&summary.id)),
            (
                "bytes",
                self.sealed(schema::SUMMARIES, &summary.id, &stored)?,
            ),
        ])
        .map_err(js_err)?;
        Ok(SummaryRow {
            id: summary.id.clone(),
            row,
        })
    }

    /// Puts summary rows and logs their ids, in the caller's read-write transaction (its scope
    /// must include `summaries` and `caseload_log`).
    pub(super) async fn put_summaries(
        &self,
        tx: &Transaction,
        rows: &[SummaryRow],
    ) -> Result<(), StorageError> {
        let summaries = tx.store(schema::SUMMARIES)?;
        let log = tx.store(schema::CASELOAD_LOG)?;
        let entries = rows
            .iter()
            .map(|r| js::object(&[("id", JsValue::from_str(&r.id))]).map_err(js_err))
            .collect::<Result<Vec<_>, _>>()?;
        // Made at once, the last awaited: a failed request aborts the transaction (see `commit`).
        summaries
            .put_all(rows.iter().map(|r| (r.row.clone(), None)))
            .await?;
        log.add_all(entries.into_iter().map(|e| (e, None))).await?;
        Ok(())
    }

    /// Lists the caseload from summaries alone (no Automerge document is loaded), sorted: from the
    /// cache plus the rows logged since when it can, otherwise from every row.
    pub async fn caseload(&self) -> Result<Caseload, StorageError> {
        let tx = self.db.transaction(
            &[schema::META, schema::SUMMARIES, schema::CASELOAD_LOG],
            TransactionMode::ReadOnly,
        )?;
        let list = self.read_list(&tx).await?;
        tx.done().await?;
        Ok(list)
    }

    /// Rebuilds the cache from the rows (see the module's invariants). Runs in the background;
    /// holds a read-write transaction over the summaries while it re-encodes them.
    pub async fn rebuild_caseload_cache(&self) -> Result<CacheRebuild, StorageError> {
        let tx = self.db.transaction(
            &[schema::META, schema::SUMMARIES, schema::CASELOAD_LOG],
            TransactionMode::ReadWrite,
        )?;
        let mut list = self.read_list(&tx).await?;
        if list.cache == CacheState::Fresh {
            commit(tx).await?;
            return Ok(CacheRebuild::UpToDate);
        }
        if list.unreadable > 0 || !list.outdated.is_empty() {
            commit(tx).await?;
            return Ok(CacheRebuild::NotNow);
        }
        let covers = list.covers;
        let cache = CaseloadCache {
            covers,
            summaries: std::mem::take(&mut list.summaries),
        };
        let bytes = cache
            .encode()
            .map_err(|e| StorageError::Failed(e.to_string()))?;
        let row = js::object(&[
            ("key", JsValue::from_str(CASELOAD_CACHE_KEY)),
            (
                "value",
                self.sealed(schema::META, CASELOAD_CACHE_KEY, &bytes)?,
            ),
        ])
        .map_err(js_err)?;
        tx.store(schema::META)?.put(&row, None).await?;
        if covers > 0 {
            let upto = KeyRange::upper_bound(&JsValue::from_f64(covers as f64), Some(false))
                .map_err(|e| StorageError::Failed(e.to_string()))?;
            tx.store(schema::CASELOAD_LOG)?.delete(upto.into()).await?;
        }
        commit(tx).await?;
        Ok(CacheRebuild::Written { covers })
    }

    /// The list as stored, read inside `tx` (scope: meta, summaries, caseload_log): the cache plus
    /// the rows logged since it when there is a usable cache and not too much was logged,
    /// otherwise every row (`CacheState::Missing`).
    async fn read_list(&self, tx: &Transaction) -> Result<Caseload, StorageError> {
        let cache_row = tx
            .store(schema::META)?
            .get(JsValue::from_str(CASELOAD_CACHE_KEY))
            .await?;
        self.ensure_open()?;
        if let Some(cache) = cache_row.and_then(|row| self.open_cache(&row)) {
            let logged = logged_since(tx, cache.covers).await?;
            if logged.ids.len() <= MAX_LOGGED_READS {
                let rows = read_rows(tx, &logged.ids).await?;
                return Ok(self.apply_logged(cache, logged, rows));
            }
        }
        let rows = tx.store(schema::SUMMARIES)?.get_all(None, None).await?;
        let mut list = self.decode_rows(rows.iter());
        list.covers = last_log_seq(tx).await?;
        Ok(list)
    }

    /// The cache, if it opens and decodes; anything else means "read the rows".
    fn open_cache(&self, row: &JsValue) -> Option<CaseloadCache> {
        let sealed = js::get_bytes(row, "value")?;
        let place = Place {
            store: schema::META,
            record_key: CASELOAD_CACHE_KEY,
        };
        let bytes = self.seal.open(place, &sealed).ok()?;
        CaseloadCache::decode(&bytes).ok()
    }

    /// The cache with the rows logged since applied.
    fn apply_logged(
        &self,
        mut cache: CaseloadCache,
        logged: Logged,
        rows: Vec<Option<JsValue>>,
    ) -> Caseload {
        let (mut unreadable, mut outdated) = (0, Vec::new());
        let behind = logged.entries;
        let changed = logged.ids.into_iter().zip(rows).map(|(id, row)| {
            let summary = match row.map(|r| self.decode_summary(&r)) {
                None => None, // the row is gone
                Some(Some(Stored::Current(s))) => Some(s),
                Some(Some(Stored::Outdated(s))) => {
                    outdated.push(s.id.clone());
                    Some(s)
                }
                Some(None) => {
                    unreadable += 1;
                    None
                }
            };
            (id, summary)
        });
        cache.apply(changed.collect::<Vec<_>>(), logged.last_seq);
        Caseload {
            summaries: cache.summaries,
            unreadable,
            outdated,
            cache: if behind == 0 {
                CacheState::Fresh
            } else {
                CacheState::Behind(behind)
            },
            covers: cache.covers,
        }
    }

    /// Decodes summary rows into a sorted list, counting those that do not decode.
    fn decode_rows<'a>(&self, rows: impl Iterator<Item = &'a JsValue>) -> Caseload {
        let mut summaries = Vec::new();
        let mut unreadable = 0;
        let mut outdated = Vec::new();
        for row in rows {
            match self.decode_summary(row) {
                Some(Stored::Current(s)) => summaries.push(s),
                Some(Stored::Outdated(s)) => {
                    outdated.push(s.id.clone());
                    summaries.push(s);
                }
                None => unreadable += 1,
            }
        }
        caseload::sort(&mut summaries);
        Caseload {
            summaries,
            unreadable,
            outdated,
            cache: CacheState::Missing,
            covers: 0,
        }
    }
}

/// The distinct patient ids logged after `covers`, and the last log entry.
struct Logged {
    ids: Vec<String>,
    entries: usize,
    last_seq: u64,
}

async fn logged_since(tx: &Transaction, covers: u64) -> Result<Logged, StorageError> {
    let after = KeyRange::lower_bound(&JsValue::from_f64(covers as f64), Some(true))
        .map_err(|e| StorageError::Failed(e.to_string()))?;
    let entries = tx
        .store(schema::CASELOAD_LOG)?
        .get_all(Some(after), None)
        .await?;
    let mut logged = Logged {
        ids: Vec::new(),
        entries: entries.len(),
        last_seq: covers,
    };
    for entry in &entries {
        if let Some(seq) = js::get_f64(entry, "seq") {
            logged.last_seq = logged.last_seq.max(seq as u64);
        }
        match js::get_string(entry, "id") {
            Some(id) if !logged.ids.contains(&id) => logged.ids.push(id),
            _ => {}
        }
    }
    Ok(logged)
}

/// The summary rows of `ids`, requested all at once (one round trip, not one per row).
async fn read_rows(tx: &Transaction, ids: &[String]) -> Result<Vec<Option<JsValue>>, StorageError> {
    let store = tx.store(schema::SUMMARIES)?;
    join_all(ids.iter().map(|id| store.get(JsValue::from_str(id))))
        .await
        .into_iter()
        .map(|row| row.map_err(StorageError::from))
        .collect()
}

/// The newest log entry's seq (0 when the log is empty).
async fn last_log_seq(tx: &Transaction) -> Result<u64, StorageError> {
    let newest = tx
        .store(schema::CASELOAD_LOG)?
        .scan(None, Some(1), None, Some(Direction::Prev))
        .await?;
    Ok(newest
        .first()
        .and_then(|(key, _)| key.as_f64())
        .map(|seq| seq as u64)
        .unwrap_or(0))
}
