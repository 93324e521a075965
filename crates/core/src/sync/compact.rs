//! Compaction by devices: after a complete round, a device replaces a document's log on the relay
//! with one encrypted snapshot when the log has grown larger than the snapshot would be
//! (automerge-repo's rule), so the relay's bytes stay bounded and a new device downloads one
//! snapshot plus the changes after it.
//!
//! Safety (PROTOCOL.md "Snapshots and compaction"): a snapshot with `covers_seq = S` must contain
//! every chunk of the document with `seq <= S`. A device that has pulled to its cursor with
//! `more = false` has merged every chunk up to the cursor, or a snapshot that covers it — except
//! chunks it set aside, so a document with a set-aside chunk is never compacted (the relay would
//! drop the only copy). Chunks pushed meanwhile by other devices have higher seqs and are kept.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::keys::{ChunkKeyError, Keychain};
use super::page::RelayBytes;
use crate::sync_wire::{ChunkKind, PushChunk};

/// Below this, a document's log is never worth a snapshot (an empty snapshot has overhead too).
pub const MIN_COMPACT_BYTES: u64 = 2 * 1024;

/// What this device knows of one document's log on the relay, kept with its sync state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayLog {
    /// Ciphertext bytes of the document's chunks the relay keeps: its last snapshot and the
    /// changes pulled after it.
    #[serde(default)]
    pub bytes: u64,
    /// The size of the last snapshot on the relay (part of `bytes`; 0 when none was seen).
    #[serde(default)]
    pub snapshot: u64,
    /// The snapshot size found the last time the log was checked: not worth checking again until
    /// the log outgrows it.
    #[serde(default)]
    pub checked_snapshot: u64,
    /// A chunk of this document was set aside here: never compact it.
    #[serde(default)]
    pub set_aside: bool,
}

impl RelayLog {
    /// Counts what a pull page showed of the document.
    pub fn count(&mut self, page: RelayBytes) {
        if page.from_snapshot {
            self.bytes = page.bytes;
            self.snapshot = page.snapshot_bytes;
            self.checked_snapshot = 0;
        } else {
            self.bytes = self.bytes.saturating_add(page.bytes);
        }
    }

    /// The change bytes after the last snapshot: what compaction would drop.
    pub fn changes(&self) -> u64 {
        self.bytes.saturating_sub(self.snapshot)
    }

    /// Worth loading the document to compare its snapshot size with the changes: they outgrew
    /// the minimum, the size found at the last check, and the last snapshot on the relay (a
    /// document's snapshot hardly ever shrinks, so a new one would be at least as large).
    pub fn worth_checking(&self) -> bool {
        !self.set_aside
            && self.changes()
                > MIN_COMPACT_BYTES
                    .max(self.checked_snapshot)
                    .max(self.snapshot)
    }
}

/// The relay logs of the documents a pull page touched, as they stand after it: `relay` counted
/// into what was known (`known`), and documents with a chunk set aside marked.
pub fn logs_after_page(
    known: &HashMap<String, RelayLog>,
    relay: &[(String, RelayBytes)],
    set_aside_docs: &[String],
) -> Vec<(String, RelayLog)> {
    let mut out: Vec<(String, RelayLog)> = Vec::with_capacity(relay.len());
    for (doc_id, bytes) in relay {
        let mut log = known.get(doc_id).copied().unwrap_or_default();
        log.count(*bytes);
        log.set_aside |= set_aside_docs.contains(doc_id);
        out.push((doc_id.clone(), log));
    }
    for doc_id in set_aside_docs {
        if !out.iter().any(|(d, _)| d == doc_id) {
            let mut log = known.get(doc_id).copied().unwrap_or_default();
            log.set_aside = true;
            out.push((doc_id.clone(), log));
        }
    }
    out
}

/// The rule (automerge-repo's): compact when the changes since the last snapshot are larger than
/// the new snapshot would be. So the relay keeps at most about twice a document's snapshot, and a
/// document is snapshotted again only after changes as large as itself — not after every edit.
pub fn should_snapshot(log: &RelayLog, sealed_snapshot_len: u64) -> bool {
    log.worth_checking() && log.changes() > sealed_snapshot_len
}

/// The snapshot chunk of a document (`Automerge::save()` bytes), covering everything up to
/// `covers_seq` — the cursor of a pull that ended with nothing more.
pub fn snapshot_chunk(
    keys: &Keychain,
    doc_id: &str,
    saved: &[u8],
    covers_seq: u64,
    client_chunk_id: String,
) -> Result<PushChunk, ChunkKeyError> {
    Ok(PushChunk {
        client_chunk_id,
        doc_id: doc_id.to_string(),
        kind: ChunkKind::Snapshot,
        covers_seq: Some(covers_seq),
        ciphertext: keys.seal(doc_id, ChunkKind::Snapshot, saved)?,
    })
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn page(bytes: u64, from_snapshot: bool) -> RelayBytes {
        RelayBytes {
            last_seq: 1,
            bytes,
            from_snapshot,
            // A page holding a snapshot holds only it.
            snapshot_bytes: if from_snapshot { bytes } else { 0 },
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_log_is_compacted_once_it_outgrows_the_snapshot() {
        let mut log = RelayLog::default();
        log.count(page(1_500, false));
        assert!(!should_snapshot(&log, 100), "too small to bother");
        log.count(page(1_500, false));
        assert_eq!(log.bytes, 3_000);
        assert!(should_snapshot(&log, 2_999));
        assert!(!should_snapshot(&log, 3_000));
        // Checked and found not worth it: not checked again until the log grows past it.
        log.checked_snapshot = 3_000;
        assert!(!log.worth_checking());
        log.count(page(10, false));
        assert!(log.worth_checking());
        // A snapshot (this device's or another's) starts the count again.
        log.count(page(900, true));
        assert_eq!(log.bytes, 900);
        assert_eq!(log.changes(), 0);
        assert_eq!(log.checked_snapshot, 0);
        assert!(!log.worth_checking());
        // Only the changes after it count, against the new snapshot's size: one small edit after
        // a snapshot does not make another one.
        log.count(page(2_500, false));
        assert_eq!((log.bytes, log.changes()), (3_400, 2_500));
        assert!(log.worth_checking());
        assert!(
            !should_snapshot(&log, 2_600),
            "the changes are smaller than a snapshot"
        );
        assert!(should_snapshot(&log, 2_400));
        // A large snapshot on the relay: not worth loading the document until the changes outgrow it.
        let mut big = RelayLog::default();
        big.count(page(20_000, true));
        big.count(page(5_000, false));
        assert!(!big.worth_checking());
        big.count(page(15_001, false));
        assert!(big.worth_checking());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_page_adds_to_what_was_known_and_marks_set_aside_documents() {
        let mut known = HashMap::new();
        known.insert(
            "a".to_string(),
            RelayLog {
                bytes: 100,
                snapshot: 0,
                checked_snapshot: 90,
                set_aside: false,
            },
        );
        let relay = vec![
            ("a".to_string(), page(50, false)),
            ("b".to_string(), page(70, true)),
        ];
        let after = logs_after_page(&known, &relay, &["b".to_string(), "c".to_string()]);
        assert_eq!(
            after,
            vec![
                (
                    "a".to_string(),
                    RelayLog {
                        bytes: 150,
                        snapshot: 0,
                        checked_snapshot: 90,
                        set_aside: false
                    }
                ),
                (
                    "b".to_string(),
                    RelayLog {
                        bytes: 70,
                        snapshot: 70,
                        checked_snapshot: 0,
                        set_aside: true
                    }
                ),
                (
                    "c".to_string(),
                    RelayLog {
                        bytes: 0,
                        snapshot: 0,
                        checked_snapshot: 0,
                        set_aside: true
                    }
                ),
            ]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_document_with_a_set_aside_chunk_is_never_compacted() {
        let log = RelayLog {
            bytes: 1 << 30,
            snapshot: 0,
            checked_snapshot: 0,
            set_aside: true,
        };
        assert!(!should_snapshot(&log, 1));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_snapshot_chunk_opens_as_a_snapshot_of_its_document_only() {
        let keys = Keychain::new("ws", Some(crate::crypto::WorkspaceKey::from_bytes([4; 32])));
        let c = snapshot_chunk(&keys, "doc", b"saved", 41, "c1".into()).unwrap();
        assert_eq!((c.kind, c.covers_seq), (ChunkKind::Snapshot, Some(41)));
        let open = |doc, kind| keys.open(doc, kind, &c.ciphertext);
        assert_eq!(open("doc", ChunkKind::Snapshot).unwrap(), b"saved");
        assert!(open("doc", ChunkKind::Change).is_err());
        assert!(open("other", ChunkKind::Snapshot).is_err());
    }
}
