//! Turning one pull page into what storage writes in one transaction. The decrypting and merging are
//! core's pure functions (`tend_core::sync::page`); this module reads what they need from storage,
//! BEFORE the write transaction opens (rexie: nothing but the transaction's own requests may be
//! awaited inside it).

use base64::Engine as _;
use tend_core::{
    crypto::WorkspaceKey,
    sync::page::{self, RelayBytes, SetAsideChunk},
    sync_wire::PullResponse,
    PatientId, PatientSummary,
};

use crate::storage::{
    sync_state::{PulledDocWrite, PulledPage, SetAside},
    Storage, StorageError,
};

/// A document that received changes: merged into open charts after the page is committed.
pub struct Merged {
    pub id: PatientId,
    pub chunks: Vec<Vec<u8>>,
    pub summary: PatientSummary,
}

pub struct Prepared {
    pub page: PulledPage,
    pub merged: Vec<Merged>,
    /// Human-readable reports (chunks set aside, stored records that did not read).
    pub problems: Vec<String>,
    /// What the page showed of each document's log on the relay (compaction's input).
    pub relay: Vec<(String, RelayBytes)>,
}

impl Prepared {
    /// Documents with a chunk set aside in this page.
    pub fn set_aside_docs(&self) -> Vec<String> {
        let mut docs: Vec<String> = self
            .page
            .set_aside
            .iter()
            .map(|s| s.doc_id.clone())
            .collect();
        docs.sort();
        docs.dedup();
        docs
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

/// Decrypts and merges one page against the documents stored on this device. Chunks that fail to
/// decrypt or apply are set aside (kept for support, never applied). `own_device_id`'s chunks are
/// skipped: they came from this device.
pub async fn prepare(
    storage: &Storage,
    key: &WorkspaceKey,
    workspace_id: &str,
    own_device_id: &str,
    resp: &PullResponse,
    today: chrono::NaiveDate,
) -> Result<Prepared, StorageError> {
    let mut problems = Vec::new();
    // A copy: the page is prepared again if a document changes while it is merged.
    let mut opened = page::open_page(key, workspace_id, own_device_id, resp.chunks.clone());
    let mut aside: Vec<SetAside> = opened
        .set_aside
        .drain(..)
        .map(|c| set_aside(c, &mut problems, "used"))
        .collect();

    let mut docs = Vec::new();
    let mut stamps = Vec::new();
    let mut merged = Vec::new();
    for chunks in std::mem::take(&mut opened.docs) {
        let id = chunks.id;
        // Before reading the document: the page is written only if it is still this way then.
        let stamp = storage.doc_stamp(&id).await?;
        let mut doc = match storage.load_patient(&id).await {
            Ok(loaded) => {
                problems.extend(loaded.problems);
                Some(loaded.doc)
            }
            Err(StorageError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let is_new = doc.is_none();
        let before = doc.as_mut().map(|d| d.heads()).unwrap_or_default();
        let m = page::merge_chunks(doc, id.as_str(), chunks.chunks);
        aside.extend(
            m.set_aside
                .into_iter()
                .map(|c| set_aside(c, &mut problems, "applied")),
        );
        let Some(mut doc) = m.doc else {
            continue;
        };
        let after = doc.heads();
        if after == before {
            continue;
        }
        let summary = match doc.summary_on(today) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!(
                    "Changes received for a patient could not be read ({e}); they were not applied."
                ));
                continue;
            }
        };
        let mut sync = storage.doc_sync(&id).await?;
        sync.acked_heads = page::acked_after_pull(&sync.acked_heads, &before, &after);
        docs.push(if is_new {
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
        });
        stamps.push((id.clone(), stamp));
        merged.push(Merged {
            id,
            chunks: m.applied,
            summary,
        });
    }
    Ok(Prepared {
        page: PulledPage {
            docs,
            set_aside: aside,
            next_cursor: resp.next_cursor,
            stamps,
            relay_logs: Vec::new(),
        },
        merged,
        problems,
        relay: opened.relay,
    })
}
