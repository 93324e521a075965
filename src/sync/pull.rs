//! Turning one pull page into what storage writes in one transaction. All the decode / decrypt /
//! Automerge work happens here, BEFORE the write transaction opens (rexie: nothing but the
//! transaction's own requests may be awaited inside it).

use std::collections::HashMap;

use base64::Engine as _;
use tend_core::{
    crypto::{self, WorkspaceKey},
    sync_wire::PullResponse,
    PatientDoc, PatientId, PatientSummary,
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
    let mut set_aside = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut by_doc: HashMap<String, Vec<(u64, String, Vec<u8>)>> = HashMap::new();
    for c in &resp.chunks {
        if c.device_id == own_device_id {
            continue;
        }
        let mut aside = |reason: String| {
            problems.push(format!(
                "A change received from another device could not be used ({reason}); it was set aside."
            ));
            set_aside.push(SetAside {
                doc_id: c.doc_id.clone(),
                seq: c.seq,
                reason,
                ciphertext: c.ciphertext.clone(),
            });
        };
        if PatientId::parse(&c.doc_id).is_none() {
            aside(format!("unknown document {:?}", c.doc_id));
            continue;
        }
        let envelope = match base64::engine::general_purpose::STANDARD.decode(&c.ciphertext) {
            Ok(b) => b,
            Err(e) => {
                aside(format!("not base64: {e}"));
                continue;
            }
        };
        match crypto::open(key, workspace_id, &c.doc_id, c.kind, &envelope) {
            Ok(plain) => {
                if !by_doc.contains_key(&c.doc_id) {
                    order.push(c.doc_id.clone());
                }
                by_doc.entry(c.doc_id.clone()).or_default().push((
                    c.seq,
                    c.ciphertext.clone(),
                    plain,
                ));
            }
            Err(e) => aside(e.to_string()),
        }
    }

    let mut docs = Vec::new();
    let mut stamps = Vec::new();
    let mut merged = Vec::new();
    for doc_id in order {
        let Some(id) = PatientId::parse(&doc_id) else {
            continue;
        };
        let chunks = by_doc.remove(&doc_id).unwrap_or_default();
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
        let mut applied = Vec::new();
        for (seq, ciphertext, plain) in chunks {
            let result = match doc.as_mut() {
                Some(d) => d.apply_changes(&plain),
                None => PatientDoc::load(&plain).map(|d| doc = Some(d)),
            };
            match result {
                Ok(()) => applied.push(plain),
                Err(e) => {
                    problems.push(format!(
                        "A change received from another device could not be applied ({e}); it was set aside."
                    ));
                    set_aside.push(SetAside {
                        doc_id: doc_id.clone(),
                        seq,
                        reason: e.to_string(),
                        ciphertext,
                    });
                }
            }
        }
        let Some(mut doc) = doc else {
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
        // What came from the relay is on the relay: never push it back. With no local change
        // waiting, the relay has everything this device has.
        let before_hex: Vec<String> = before.iter().map(|h| h.to_string()).collect();
        if before_hex.iter().all(|h| sync.acked_heads.contains(h)) {
            sync.acked_heads = after.iter().map(|h| h.to_string()).collect();
        } else {
            for h in after.iter().filter(|h| !before.contains(h)) {
                let hex = h.to_string();
                if !sync.acked_heads.contains(&hex) {
                    sync.acked_heads.push(hex);
                }
            }
        }
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
            chunks: applied,
            summary,
        });
    }
    Ok(Prepared {
        page: PulledPage {
            docs,
            set_aside,
            next_cursor: resp.next_cursor,
            stamps,
        },
        merged,
        problems,
    })
}
