//! One pull page, opened and merged with no I/O: decrypt and group the chunks by document (setting
//! aside what does not open), merge a document's chunks into it (setting aside what does not apply),
//! and work out which heads the relay now has.

use std::collections::HashMap;

use automerge::ChangeHash;

use tend_wire::keys::{KeyError, CHUNK_ENVELOPE_V2};

use super::keys::{ChunkKeyError, Keychain};
use super::snapshot::{read_snapshot_plain, Carried};
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
    /// The hashes of the changes a change chunk holds, read as it is opened (`None`: a snapshot,
    /// or bytes that do not read as well-formed changes): what lets a patient's changes be stored
    /// without loading it (`received`).
    pub changes: Option<Vec<ChangeHash>>,
    /// What a patient's snapshot carries (its summary and heads, `snapshot`): `plain` is then the
    /// document alone.
    pub carried: Option<Carried>,
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
    /// Documents with a chunk sealed under a generation this device holds no key for (yet): its
    /// key change comes later in the feed, or the device was given the document after the chunk.
    /// Such chunks are neither applied nor set aside; the document is fetched again from the
    /// start once its keys are in (PROTOCOL.md "Document keys and scope").
    pub unkeyed: Vec<String>,
}

impl OpenedPage {
    /// Adds the page that follows this one (opened on its own), as if both had been opened as one:
    /// a document's chunks stay in seq order, documents in the order their first chunk appears, and
    /// each document's relay bytes count on from what this page showed.
    pub fn extend(&mut self, later: OpenedPage) {
        let mut doc_at: HashMap<DocId, usize> = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        for d in later.docs {
            match doc_at.get(&d.id) {
                Some(&at) => self.docs[at].chunks.extend(d.chunks),
                None => {
                    doc_at.insert(d.id.clone(), self.docs.len());
                    self.docs.push(d);
                }
            }
        }
        self.set_aside.extend(later.set_aside);
        for doc in later.unkeyed {
            if !self.unkeyed.contains(&doc) {
                self.unkeyed.push(doc);
            }
        }
        let mut relay_at: HashMap<String, usize> = self
            .relay
            .iter()
            .enumerate()
            .map(|(i, (d, _))| (d.clone(), i))
            .collect();
        for (doc, r) in later.relay {
            match relay_at.get(&doc) {
                Some(&at) => {
                    let before = &mut self.relay[at].1;
                    if r.from_snapshot {
                        // The later snapshot is where the relay's log of it starts now.
                        *before = RelayBytes {
                            last_seq: before.last_seq.max(r.last_seq),
                            ..r
                        };
                    } else {
                        before.last_seq = before.last_seq.max(r.last_seq);
                        before.bytes += r.bytes;
                    }
                }
                None => {
                    relay_at.insert(doc.clone(), self.relay.len());
                    self.relay.push((doc, r));
                }
            }
        }
    }

    pub fn relay_bytes(&self, doc_id: &str) -> Option<RelayBytes> {
        self.relay
            .iter()
            .find(|(d, _)| d == doc_id)
            .map(|(_, r)| *r)
    }
}

/// Decrypts a page. `own_device_id`'s chunks are skipped (this device has them) but still counted
/// in [`OpenedPage::relay`]. Chunks for an id that is not a patient, or that do not open with the
/// keys held for their workspace, document and kind, are set aside. The workspace document counts as a
/// document like a patient's.
pub fn open_page(keys: &Keychain, own_device_id: &str, chunks: Vec<PulledChunk>) -> OpenedPage {
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
        let opened = match keys.open(&c.doc_id, c.kind, &c.ciphertext) {
            Err(ChunkKeyError::NoKey(_) | ChunkKeyError::V2(KeyError::MissingKey(_)))
                if c.ciphertext.first() == Some(&CHUNK_ENVELOPE_V2) =>
            {
                if !page.unkeyed.contains(&c.doc_id) {
                    page.unkeyed.push(c.doc_id);
                }
                continue;
            }
            other => other,
        };
        let opened = opened
            .map_err(|e| e.to_string())
            .and_then(|plain| match c.kind {
                ChunkKind::Change => {
                    let changes = super::received::change_hashes(&plain).ok();
                    Ok((plain, changes, None))
                }
                ChunkKind::Snapshot => read_snapshot_plain(&plain)
                    .map(|(doc, carried)| (doc.to_vec(), None, carried))
                    .map_err(|e| e.to_string()),
            });
        match opened {
            Ok((plain, changes, carried)) => {
                let opened = OpenedChunk {
                    seq: c.seq,
                    kind: c.kind,
                    plain,
                    envelope: c.ciphertext,
                    changes,
                    carried,
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
            Err(reason) => page.set_aside.push(SetAsideChunk {
                doc_id: c.doc_id,
                seq: c.seq,
                reason,
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

/// Pull pages gathered to be merged together, in seq order, each opened as it arrives (so the
/// next page can be on its way meanwhile).
#[derive(Clone, Debug, PartialEq)]
pub struct PullBatch {
    opened: OpenedPage,
    next_cursor: u64,
    more: bool,
    chunks: usize,
    bytes: usize,
    pages: usize,
}

/// A batch ready to be merged: its pages opened as one, and where the pull goes on from.
#[derive(Clone, Debug, PartialEq)]
pub struct PulledBatch {
    pub opened: OpenedPage,
    /// The last page's cursor: written with the batch.
    pub next_cursor: u64,
    /// The relay had more after the last page.
    pub more: bool,
}

impl PullBatch {
    /// An empty batch that continues from `cursor`.
    pub fn new(cursor: u64) -> Self {
        PullBatch {
            opened: OpenedPage::default(),
            next_cursor: cursor,
            more: true,
            chunks: 0,
            bytes: 0,
            pages: 0,
        }
    }

    /// Where the next pull starts.
    pub fn cursor(&self) -> u64 {
        self.next_cursor
    }

    /// Pages added so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Adds the next page (pulled `after` [`Self::cursor`]), opened with `open` (e.g.
    /// [`open_page`] with this device's key). True when the batch is to be merged now: it is full,
    /// or the relay has nothing more.
    pub fn add(
        &mut self,
        page: PullResponse,
        open: impl FnOnce(Vec<PulledChunk>) -> OpenedPage,
    ) -> bool {
        self.bytes += page
            .chunks
            .iter()
            .map(|c| c.ciphertext.len())
            .sum::<usize>();
        self.chunks += page.chunks.len();
        self.pages += 1;
        self.next_cursor = page.next_cursor;
        self.more = page.more;
        self.opened.extend(open(page.chunks));
        !self.more || self.chunks >= PULL_BATCH_MAX_CHUNKS || self.bytes >= PULL_BATCH_MAX_BYTES
    }

    /// The batch's pages as one, and the last page's cursor.
    pub fn finish(self) -> PulledBatch {
        PulledBatch {
            opened: self.opened,
            next_cursor: self.next_cursor,
            more: self.more,
        }
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
