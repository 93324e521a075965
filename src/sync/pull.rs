//! Turning a pull page (or a batch of pages, `tend_core::sync::PullBatch`) into what storage writes
//! in one transaction. The decrypting and merging are
//! core's pure functions (`tend_core::sync::page`); this module reads what they need from storage,
//! BEFORE the write transaction opens (rexie: nothing but the transaction's own requests may be
//! awaited inside it).
//!
//! A patient already on this device that receives only changes takes the fast path: its changes
//! are appended as they are (`tend_core::sync::received`), with no load, merge or summary; it is
//! settled after the round (`settle.rs`). New documents, snapshots, the workspace document and
//! bytes that do not read as changes are merged here against the stored document.

use base64::Engine as _;
use tend_core::{
    sync::page::{self, DocChunks, RelayBytes, SetAsideChunk},
    sync::RelayLog,
    sync::{acked_after_append, keys::Keychain, Carried, PulledBatch},
    sync_wire::ChunkKind,
    sync_wire::PullResponse,
    workspace::{SyncDoc, WorkspaceDoc},
    DocId, PatientDoc, PatientSummary,
};

use crate::storage::{
    sync_state::{DocStamp, PulledDocWrite, PulledPage, SetAside},
    Storage, StorageError,
};

/// A document that received changes: merged into open charts after the page is committed.
#[derive(Clone)]
pub struct Merged {
    pub id: DocId,
    pub chunks: Vec<Vec<u8>>,
    /// `None` for the workspace document, and for a patient whose changes were appended unmerged
    /// (its summary comes when it is settled).
    pub summary: Option<PatientSummary>,
}

/// One document of a page, prepared against its stored state.
struct PreparedDoc {
    /// The page's chunks for it (kept to prepare it again if it is saved meanwhile).
    chunks: DocChunks,
    /// What it was prepared against (`None`: appended, which does not depend on it).
    stamp: Option<DocStamp>,
    /// `None`: nothing new for this device.
    write: Option<(PulledDocWrite, Merged)>,
    set_aside: Vec<SetAside>,
    problems: Vec<String>,
}

/// A pull page (or a batch of pages) decrypted and merged, ready to be written in one transaction.
pub struct Prepared {
    next_cursor: u64,
    today: chrono::NaiveDate,
    /// Chunks that did not open, and what was reported about them.
    unopened: Vec<SetAside>,
    unopened_problems: Vec<String>,
    docs: Vec<PreparedDoc>,
    /// What the page showed of each document's log on the relay (compaction's input).
    pub relay: Vec<(String, RelayBytes)>,
}

impl Prepared {
    /// What storage writes (`relay_logs`: the documents' logs after this page).
    pub fn page(&self, relay_logs: Vec<(String, RelayLog)>) -> PulledPage {
        let written = self.docs.iter().filter(|d| d.write.is_some());
        PulledPage {
            docs: written
                .clone()
                .filter_map(|d| d.write.as_ref().map(|(w, _)| w.clone()))
                .collect(),
            stamps: written
                .filter_map(|d| Some((d.chunks.id.clone(), d.stamp.clone()?)))
                .collect(),
            set_aside: self
                .unopened
                .iter()
                .chain(self.docs.iter().flat_map(|d| &d.set_aside))
                .cloned()
                .collect(),
            next_cursor: Some(self.next_cursor),
            relay_logs,
            doc_keys: Vec::new(),
            to_fetch: Vec::new(),
            fetched: Vec::new(),
        }
    }

    /// Human-readable reports (chunks set aside, stored records that did not read).
    pub fn problems(&self) -> Vec<String> {
        self.unopened_problems
            .iter()
            .chain(self.docs.iter().flat_map(|d| &d.problems))
            .cloned()
            .collect()
    }

    /// Documents that received changes, for the open charts.
    pub fn merged(&self) -> Vec<Merged> {
        self.docs
            .iter()
            .filter_map(|d| d.write.as_ref().map(|(_, m)| m.clone()))
            .collect()
    }

    /// Documents with a chunk set aside in this page.
    pub fn set_aside_docs(&self) -> Vec<String> {
        let mut docs: Vec<String> = self
            .unopened
            .iter()
            .chain(self.docs.iter().flat_map(|d| &d.set_aside))
            .map(|s| s.doc_id.clone())
            .collect();
        docs.sort();
        docs.dedup();
        docs
    }

    /// Prepares one document again from what is stored now (it was saved while the page was
    /// merged: `StorageError::ChangedMeanwhile`). The rest of the page stands.
    pub async fn prepare_again(&mut self, storage: &Storage, id: &str) -> Result<(), StorageError> {
        let Some(at) = self.docs.iter().position(|d| d.chunks.id.as_str() == id) else {
            return Ok(());
        };
        let chunks = self.docs[at].chunks.clone();
        self.docs[at] = prepare_doc(storage, chunks, self.today).await?;
        Ok(())
    }
}

fn set_aside(c: SetAsideChunk, problems: &mut Vec<String>, what: &str) -> SetAside {
    problems.push(format!(
        "A change received from another device could not be {what} ({}); it was set aside.",
        c.reason
    ));
    SetAside {
        doc_id: c.doc_id,
        seq: c.seq,
        reason: c.reason,
        // Kept as the relay sent it (base64 text), for support.
        ciphertext: base64::engine::general_purpose::STANDARD.encode(&c.envelope),
    }
}

/// Decrypts and merges one page against the documents stored on this device (the pull loop opens
/// each page as it arrives and prepares the batch: [`prepare_batch`]).
/// `own_device_id`'s chunks are skipped: they came from this device.
pub async fn prepare(
    storage: &Storage,
    keys: &Keychain,
    own_device_id: &str,
    resp: PullResponse,
    today: chrono::NaiveDate,
) -> Result<Prepared, StorageError> {
    let batch = PulledBatch {
        opened: page::open_page(keys, own_device_id, resp.chunks),
        next_cursor: resp.next_cursor,
        more: resp.more,
    };
    prepare_batch(storage, batch, today).await
}

/// Merges a batch of opened pages against the documents stored on this device. Chunks that failed
/// to decrypt or fail to apply are set aside (kept for support, never applied).
pub async fn prepare_batch(
    storage: &Storage,
    batch: PulledBatch,
    today: chrono::NaiveDate,
) -> Result<Prepared, StorageError> {
    let mut unopened_problems = Vec::new();
    let opened = batch.opened;
    let unopened = opened
        .set_aside
        .into_iter()
        .map(|c| set_aside(c, &mut unopened_problems, "used"))
        .collect();
    // Which documents can be stored without loading them: patients stored here that received
    // only well-formed changes (appended), patients new here whose first chunk is a snapshot that
    // carries its summary (received whole), and patients stored here whose snapshot from another
    // device holds nothing new (its changes after it appended).
    let fast: Vec<Option<Fast>> = opened.docs.iter().map(fast_path).collect();
    let candidates: Vec<&DocId> = opened
        .docs
        .iter()
        .zip(&fast)
        .filter(|(_, f)| f.is_some())
        .map(|(d, _)| &d.id)
        .collect();
    let mut stored = storage.have_snapshots(&candidates).await?.into_iter();
    let fast: Vec<Option<(Fast, bool)>> = fast
        .into_iter()
        .map(|f| Some((f?, stored.next()?)))
        .collect();
    // Another device's snapshot of a patient stored here: what this device acknowledged tells
    // whether it already has everything in it.
    let compacted: Vec<&DocId> = opened
        .docs
        .iter()
        .zip(&fast)
        .filter(|(_, f)| matches!(f, Some((Fast::Whole(..), true))))
        .map(|(d, _)| &d.id)
        .collect();
    let mut acked = storage.doc_syncs(&compacted).await?.into_iter();
    let mut docs = Vec::with_capacity(opened.docs.len());
    for (mut chunks, fast) in opened.docs.into_iter().zip(fast) {
        docs.push(match fast {
            Some((Fast::Append(received), true)) => appended(chunks, received),
            Some((Fast::Whole(carried, received), false)) => {
                received_whole(chunks, carried, received)
            }
            Some((Fast::Whole(carried, received), true))
                if acked.next().is_some_and(|sync| {
                    carried.heads.iter().all(|h| sync.acked_heads.contains(h))
                }) =>
            {
                // Everything in the snapshot is stored here already (every acknowledged head
                // is): only the changes after it are new, and they are appended.
                chunks.chunks.remove(0);
                appended(chunks, received)
            }
            _ => prepare_doc(storage, chunks, today).await?,
        });
    }
    Ok(Prepared {
        next_cursor: batch.next_cursor,
        today,
        unopened,
        unopened_problems,
        docs,
        relay: opened.relay,
    })
}

/// How a patient's received chunks can be stored without loading it.
enum Fast {
    /// Only well-formed changes (these hashes): appended, if the patient is stored here.
    Append(Vec<automerge::ChangeHash>),
    /// A snapshot carrying its summary, then only well-formed changes (these hashes): stored as
    /// they are, if the patient is new here.
    Whole(Carried, Vec<automerge::ChangeHash>),
}

/// Whether a document's chunks can take a fast path (then whether it is stored here decides).
fn fast_path(d: &DocChunks) -> Option<Fast> {
    if !matches!(d.id, DocId::Patient(_)) {
        return None;
    }
    let (first, rest) = d.chunks.split_first()?;
    let carried = match first.kind {
        ChunkKind::Snapshot => {
            // What it carries must be about this patient, with heads that read.
            let carried = first.carried.clone()?;
            if carried.summary.id != d.id.as_str() || carried.change_hashes().is_none() {
                return None;
            }
            Some(carried)
        }
        ChunkKind::Change => None,
    };
    let changes = if carried.is_some() {
        rest
    } else {
        &d.chunks[..]
    };
    let mut hashes = Vec::new();
    for c in changes {
        hashes.extend(c.changes.as_ref()?.iter().copied());
    }
    Some(match carried {
        Some(carried) => Fast::Whole(carried, hashes),
        None => Fast::Append(hashes),
    })
}

/// A patient new here, received as a snapshot that carries its summary (and perhaps changes after
/// it): stored as it came, listed with the carried summary, and settled later like appended
/// changes (its summary recomputed from the document).
fn received_whole(
    chunks: DocChunks,
    carried: Carried,
    received: Vec<automerge::ChangeHash>,
) -> PreparedDoc {
    let snapshot = chunks.chunks[0].plain.clone();
    let changes: Vec<u8> = chunks.chunks[1..]
        .iter()
        .flat_map(|c| c.plain.iter().copied())
        .collect();
    // The relay holds the snapshot's history and the changes after it.
    let mut on_relay = carried.change_hashes().unwrap_or_default();
    on_relay.extend(received);
    let acked = acked_after_append(&[], &on_relay);
    let write = PulledDocWrite::Received {
        id: chunks.id.clone(),
        snapshot,
        changes,
        summary: carried.summary.clone(),
        acked,
    };
    let merged = Merged {
        id: chunks.id.clone(),
        chunks: chunks.chunks.iter().map(|c| c.plain.clone()).collect(),
        summary: Some(carried.summary),
    };
    PreparedDoc {
        chunks,
        // Written only if nothing is stored for it yet.
        stamp: Some(DocStamp::default()),
        write: Some((write, merged)),
        set_aside: Vec::new(),
        problems: Vec::new(),
    }
}

/// A patient's received changes, appended as one chunk (nothing, if they were all empty).
fn appended(chunks: DocChunks, received: Vec<automerge::ChangeHash>) -> PreparedDoc {
    let plains: Vec<Vec<u8>> = chunks
        .chunks
        .iter()
        .filter(|c| !c.plain.is_empty())
        .map(|c| c.plain.clone())
        .collect();
    if plains.is_empty() {
        return PreparedDoc {
            chunks,
            stamp: None,
            write: None,
            set_aside: Vec::new(),
            problems: Vec::new(),
        };
    }
    let write = PulledDocWrite::Appended {
        id: chunks.id.clone(),
        changes: plains.concat(),
        received,
    };
    let merged = Merged {
        id: chunks.id.clone(),
        chunks: plains,
        summary: None,
    };
    PreparedDoc {
        chunks,
        stamp: None,
        write: Some((write, merged)),
        set_aside: Vec::new(),
        problems: Vec::new(),
    }
}

/// Merges one document's chunks into its stored state.
async fn prepare_doc(
    storage: &Storage,
    chunks: DocChunks,
    today: chrono::NaiveDate,
) -> Result<PreparedDoc, StorageError> {
    match chunks.id {
        DocId::Patient(_) => {
            prepare_typed::<PatientDoc>(storage, chunks, |doc| {
                doc.summary_on(today).map(Some).map_err(|e| {
                    format!(
                        "Changes received for a patient could not be read ({e}); they were not applied."
                    )
                })
            })
            .await
        }
        DocId::Workspace => {
            prepare_typed::<WorkspaceDoc>(storage, chunks, |doc| {
                doc.record().map(|_| None).map_err(|e| {
                    format!(
                        "Changes received for the shared directory could not be read ({e}); they were not applied."
                    )
                })
            })
            .await
        }
    }
}

/// Merges one document of kind `D`; `summarise` gives its caseload summary (none for the
/// workspace document) or, if the merged document does not read, the problem to report.
async fn prepare_typed<D: SyncDoc>(
    storage: &Storage,
    chunks: DocChunks,
    summarise: impl FnOnce(&D) -> Result<Option<PatientSummary>, String>,
) -> Result<PreparedDoc, StorageError> {
    let id = chunks.id.clone();
    let mut problems = Vec::new();
    // Before reading the document: the page is written only if it is still this way then.
    let stamp = storage.doc_stamp(&id).await?;
    let mut doc = match storage.load_doc::<D>(id.as_str()).await {
        Ok(loaded) => {
            problems.extend(loaded.problems);
            Some(loaded.doc)
        }
        Err(StorageError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let is_new = doc.is_none();
    let before = doc.as_mut().map(|d| d.heads()).unwrap_or_default();
    let m = page::merge_chunks(doc, id.as_str(), chunks.chunks.clone());
    let set_aside: Vec<SetAside> = m
        .set_aside
        .into_iter()
        .map(|c| set_aside(c, &mut problems, "applied"))
        .collect();
    let mut prepared = PreparedDoc {
        chunks,
        stamp: Some(stamp),
        write: None,
        set_aside,
        problems,
    };
    let Some(mut doc) = m.doc else {
        return Ok(prepared);
    };
    let after = doc.heads();
    if after == before {
        return Ok(prepared);
    }
    let summary = match summarise(&doc) {
        Ok(s) => s,
        Err(problem) => {
            prepared.problems.push(problem);
            return Ok(prepared);
        }
    };
    let mut sync = storage.doc_sync(&id).await?;
    sync.acked_heads = page::acked_after_pull(&sync.acked_heads, &before, &after);
    let write = if is_new {
        PulledDocWrite::New {
            id: id.clone(),
            snapshot: doc.save(),
            summary: summary.clone(),
            sync,
        }
    } else {
        PulledDocWrite::Existing {
            id: id.clone(),
            changes: doc.save_after(&before),
            summary: summary.clone(),
            sync,
        }
    };
    prepared.write = Some((
        write,
        Merged {
            id,
            chunks: m.applied,
            summary,
        },
    ));
    Ok(prepared)
}
