//! One pull page, opened and merged with no I/O: decrypt and group the chunks by document (setting
//! aside what does not open), merge a document's chunks into it (setting aside what does not apply),
//! and work out which heads the relay now has.

use std::collections::HashMap;

use automerge::ChangeHash;

use crate::crypto::{self, WorkspaceKey};
use crate::sync_wire::{ChunkKind, PullResponse, PulledChunk};
use crate::workspace::SyncDoc;
use crate::DocId;

/// A chunk that opened with the workspace key.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedChunk {
    pub seq: u64,
    pub kind: ChunkKind,
    /// The Automerge bytes.
    pub plain: Vec<u8>,
    /// The envelope as received, kept in case the bytes do not apply and must be set aside.
    pub envelope: Vec<u8>,
}

/// A chunk that could not be used: kept (never applied) so support can look at it.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAsideChunk {
    pub doc_id: String,
    pub seq: u64,
    pub reason: String,
    pub envelope: Vec<u8>,
}

/// The chunks of one document in a page, in seq order.
#[derive(Clone, Debug, PartialEq)]
pub struct DocChunks {
    pub id: DocId,
    pub chunks: Vec<OpenedChunk>,
}

/// What the relay holds for one document, as far as this page shows: compaction's input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayBytes {
    /// The highest seq of this document in the page.
    pub last_seq: u64,
    /// Ciphertext bytes of the document's chunks in the page, from its last snapshot on.
    pub bytes: u64,
    /// The page holds a snapshot of the document: `bytes` starts from it.
    pub from_snapshot: bool,
    /// The size of that snapshot (0 without one).
    pub snapshot_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenedPage {
    /// Documents in the order their first chunk appears.
    pub docs: Vec<DocChunks>,
    pub set_aside: Vec<SetAsideChunk>,
    /// Per document (this device's own chunks included, set-aside ones too): what the relay keeps.
    pub relay: Vec<(String, RelayBytes)>,
}

impl OpenedPage {
    pub fn relay_bytes(&self, doc_id: &str) -> Option<RelayBytes> {
        self.relay
            .iter()
            .find(|(d, _)| d == doc_id)
            .map(|(_, r)| *r)
    }
}

/// Decrypts a page. `own_device_id`'s chunks are skipped (this device has them) but still counted
/// in [`OpenedPage::relay`]. Chunks for an id that is not a patient, or that do not open with this
/// key for their workspace, document and kind, are set aside. The workspace document counts as a
/// document like a patient's.
pub fn open_page(
    key: &WorkspaceKey,
    workspace_id: &str,
    own_device_id: &str,
    chunks: Vec<PulledChunk>,
) -> OpenedPage {
    let mut page = OpenedPage::default();
    let mut relay_at: HashMap<String, usize> = HashMap::new();
    let mut doc_at: HashMap<DocId, usize> = HashMap::new();
    for c in chunks {
        let at = *relay_at.entry(c.doc_id.clone()).or_insert_with(|| {
            page.relay.push((c.doc_id.clone(), RelayBytes::default()));
            page.relay.len() - 1
        });
        count(&mut page.relay[at].1, &c);
        if c.device_id == own_device_id {
            continue;
        }
        let Some(id) = DocId::parse(&c.doc_id) else {
            page.set_aside.push(SetAsideChunk {
                reason: format!("unknown document {:?}", c.doc_id),
                doc_id: c.doc_id,
                seq: c.seq,
                envelope: c.ciphertext,
            });
            continue;
        };
        match crypto::open(key, workspace_id, &c.doc_id, c.kind, &c.ciphertext) {
            Ok(plain) => {
                let opened = OpenedChunk {
                    seq: c.seq,
                    kind: c.kind,
                    plain,
                    envelope: c.ciphertext,
                };
                let at = *doc_at.entry(id.clone()).or_insert_with(|| {
                    page.docs.push(DocChunks {
                        id,
                        chunks: Vec::new(),
                    });
                    page.docs.len() - 1
                });
                page.docs[at].chunks.push(opened);
            }
            Err(e) => page.set_aside.push(SetAsideChunk {
                doc_id: c.doc_id,
                seq: c.seq,
                reason: e.to_string(),
                envelope: c.ciphertext,
            }),
        }
    }
    page
}

fn count(r: &mut RelayBytes, c: &PulledChunk) {
    let size = c.ciphertext.len() as u64;
    r.last_seq = r.last_seq.max(c.seq);
    if c.kind == ChunkKind::Snapshot {
        // The relay dropped everything the snapshot covers.
        r.bytes = size;
        r.from_snapshot = true;
        r.snapshot_bytes = size;
    } else {
        r.bytes += size;
    }
}

/// Pull pages are merged in batches: a catch-up spreads its changes over every patient, so merging
/// page by page would load, summarise and rewrite each patient once per page. A batch is merged
/// and written (with its cursor) in one transaction once it holds this many chunks...
pub const PULL_BATCH_MAX_CHUNKS: usize = 10_000;
/// ...or this many bytes of envelopes (what a device keeps in memory while merging), or when the
/// relay has nothing more.
pub const PULL_BATCH_MAX_BYTES: usize = 4 << 20;

/// Pull pages gathered to be merged together, in seq order.
#[derive(Clone, Debug, PartialEq)]
pub struct PullBatch {
    page: PullResponse,
    bytes: usize,
    pages: usize,
}

impl PullBatch {
    /// An empty batch that continues from `cursor`.
    pub fn new(cursor: u64) -> Self {
        PullBatch {
            page: PullResponse {
                chunks: Vec::new(),
                next_cursor: cursor,
                more: true,
                head_seq: cursor,
            },
            bytes: 0,
            pages: 0,
        }
    }

    /// Where the next pull starts.
    pub fn cursor(&self) -> u64 {
        self.page.next_cursor
    }

    /// Pages added so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Adds the next page (pulled `after` [`Self::cursor`]). True when the batch is to be merged
    /// now: it is full, or the relay has nothing more.
    pub fn add(&mut self, page: PullResponse) -> bool {
        self.bytes += page
            .chunks
            .iter()
            .map(|c| c.ciphertext.len())
            .sum::<usize>();
        self.pages += 1;
        self.page.chunks.extend(page.chunks);
        self.page.next_cursor = page.next_cursor;
        self.page.more = page.more;
        self.page.head_seq = page.head_seq;
        !self.page.more
            || self.page.chunks.len() >= PULL_BATCH_MAX_CHUNKS
            || self.bytes >= PULL_BATCH_MAX_BYTES
    }

    /// The batch as one page: its chunks in order, the last page's cursor and `more`.
    pub fn into_page(self) -> PullResponse {
        self.page
    }
}

/// One document after merging a page's chunks.
pub struct Merged<D> {
    /// `None` if the document was new here and nothing applied.
    pub doc: Option<D>,
    /// The bytes that applied (merged into open charts afterwards).
    pub applied: Vec<Vec<u8>>,
    pub set_aside: Vec<SetAsideChunk>,
}

/// Merges chunks into `doc` (or makes it from them, if this device does not have it). A chunk that
/// does not apply is set aside and the rest still apply. Snapshots merge like changes: local edits
/// the snapshot lacks are kept.
pub fn merge_chunks<D: SyncDoc>(
    mut doc: Option<D>,
    doc_id: &str,
    chunks: Vec<OpenedChunk>,
) -> Merged<D> {
    // A document new here, from several chunks (a new device's history): loaded in one go, which
    // is several times faster than change by change. A load fails whole on any chunk that does not
    // parse or apply; then the chunks go one by one below, so only the bad one is set aside.
    if doc.is_none() && chunks.len() > 1 {
        let all: Vec<u8> = chunks
            .iter()
            .flat_map(|c| c.plain.iter().copied())
            .collect();
        if let Ok(made) = D::load(&all) {
            return Merged {
                doc: Some(made),
                applied: chunks.into_iter().map(|c| c.plain).collect(),
                set_aside: Vec::new(),
            };
        }
    }
    let mut applied = Vec::new();
    let mut set_aside = Vec::new();
    for c in chunks {
        let result = match doc.as_mut() {
            Some(d) => d.apply_changes(&c.plain),
            None => D::load(&c.plain).map(|d| doc = Some(d)),
        };
        match result {
            Ok(()) => applied.push(c.plain),
            Err(e) => set_aside.push(SetAsideChunk {
                doc_id: doc_id.to_string(),
                seq: c.seq,
                reason: e.to_string(),
                envelope: c.envelope,
            }),
        }
    }
    Merged {
        doc,
        applied,
        set_aside,
    }
}

/// The heads the relay is known to have after merging pulled changes: what came from the relay is
/// on the relay, so it is never pushed back. If everything this device had before was on the relay
/// (`before` ⊆ `acked`), the relay has all of `after`; otherwise the new heads join the acked ones
/// (local changes still wait).
pub fn acked_after_pull(
    acked: &[String],
    before: &[ChangeHash],
    after: &[ChangeHash],
) -> Vec<String> {
    if before.iter().all(|h| acked.contains(&h.to_string())) {
        return after.iter().map(|h| h.to_string()).collect();
    }
    let mut out = acked.to_vec();
    for h in after.iter().filter(|h| !before.contains(h)) {
        let hex = h.to_string();
        if !out.contains(&hex) {
            out.push(hex);
        }
    }
    out
}

#[cfg(test)]
#[path = "page_tests.rs"]
mod tests;
