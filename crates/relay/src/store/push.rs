//! The push algorithm, written once and pure: given what the store read inside the push transaction
//! (the workspace's head and stored bytes, which of the pushed chunks it already has, the live
//! chunks of the documents being compacted), decide every seq, every duplicate, what each snapshot
//! compacts, the new head and byte count — or refuse the whole push. Each store only reads those
//! inputs and writes the plan, inside one transaction that holds the workspace's write lock.

use std::collections::{HashMap, HashSet};

use tend_wire::sync_wire::ChunkKind;

use super::{NewChunk, PushedChunk, Result, StoreError};

/// What the store read, under the workspace's write lock, before planning.
#[derive(Clone, Debug, Default)]
pub struct PushInputs {
    pub head: u64,
    pub stored_bytes: u64,
    /// Seqs of the pushed client chunk ids this device already pushed.
    pub existing: HashMap<String, u64>,
    /// For each document a pushed snapshot covers: its live chunks as (seq, size).
    pub live: HashMap<String, Vec<(u64, u64)>>,
    /// For each pushed document with keys: its current generation and whether the pushing device
    /// reads it. A document not here has no keys (version 1: anyone of the workspace may push).
    pub keyed: HashMap<String, (u32, bool)>,
}

/// What to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushPlan {
    pub results: Vec<PushedChunk>,
    /// (seq, index into the pushed chunks) for every chunk to insert, in seq order.
    pub inserts: Vec<(u64, usize)>,
    /// (doc id, covers seq): drop that document's live chunks with seq <= covers. Written after the
    /// inserts (a covered chunk may be one of them; no insert has a seq a snapshot covers later).
    pub compactions: Vec<(String, u64)>,
    pub head: u64,
    pub stored_bytes: u64,
}

impl PushPlan {
    /// True when the push stores anything (else nothing needs writing: all duplicates).
    pub fn writes(&self) -> bool {
        !self.inserts.is_empty()
    }
}

/// The documents whose live chunks [`plan`] needs (those a pushed snapshot covers).
pub fn compacted_docs(chunks: &[NewChunk]) -> Vec<String> {
    let mut docs: Vec<String> = chunks
        .iter()
        .filter(|c| c.kind == ChunkKind::Snapshot)
        .map(|c| c.doc_id.clone())
        .collect();
    docs.sort();
    docs.dedup();
    docs
}

/// Plans a push: all or nothing. Chunks this device already pushed (or that appear twice in this
/// push) are answered with their first seq; the rest get consecutive seqs after the head. A
/// snapshot covering seq S must have S <= the head when it is reached, and drops its document's
/// live chunks with seq <= S; one whose document has a live chunk after S is not stored (`stale`).
/// Refused when a snapshot covers beyond the head, or when the push would leave the workspace above
/// `quota` and larger than before.
pub fn plan(inputs: PushInputs, chunks: &[NewChunk], quota: u64) -> Result<PushPlan> {
    let PushInputs {
        mut head,
        stored_bytes,
        mut existing,
        mut live,
        keyed,
    } = inputs;
    check_scope(&existing, &keyed, chunks)?;
    let mut results = Vec::with_capacity(chunks.len());
    let mut inserts = Vec::new();
    let mut compactions = Vec::new();
    let (mut added, mut freed) = (0u64, 0u64);
    for (i, ch) in chunks.iter().enumerate() {
        if let Some(&seq) = existing.get(&ch.client_chunk_id) {
            results.push(PushedChunk {
                client_chunk_id: ch.client_chunk_id.clone(),
                seq,
                duplicate: true,
                stale: false,
            });
            continue;
        }
        if let Some(s) = ch.covers_seq {
            if s > head {
                return Err(StoreError::Rejected(format!(
                    "snapshot {} covers seq {s}, beyond the workspace head {head}",
                    ch.client_chunk_id
                )));
            }
        }
        if let (ChunkKind::Snapshot, Some(s)) = (ch.kind, ch.covers_seq) {
            // A chunk of the document after covers_seq (pushed while the snapshot was being made)
            // would come before the snapshot in a new device's pull: a change it cannot start the
            // document from. Not stored; the device pulls that chunk and snapshots again later.
            if live
                .get(&ch.doc_id)
                .is_some_and(|d| d.iter().any(|&(seq, _)| seq > s))
            {
                results.push(PushedChunk {
                    client_chunk_id: ch.client_chunk_id.clone(),
                    seq: 0,
                    duplicate: false,
                    stale: true,
                });
                continue;
            }
        }
        head += 1;
        let size = ch.ciphertext.len() as u64;
        added += size;
        inserts.push((head, i));
        existing.insert(ch.client_chunk_id.clone(), head);
        if let (ChunkKind::Snapshot, Some(s)) = (ch.kind, ch.covers_seq) {
            let doc = live.entry(ch.doc_id.clone()).or_default();
            doc.retain(|&(seq, size)| {
                let covered = seq <= s;
                if covered {
                    freed += size;
                }
                !covered
            });
            doc.push((head, size));
            compactions.push((ch.doc_id.clone(), s));
        } else if let Some(doc) = live.get_mut(&ch.doc_id) {
            // Tracked only for documents a snapshot in this push may still cover.
            doc.push((head, size));
        }
        results.push(PushedChunk {
            client_chunk_id: ch.client_chunk_id.clone(),
            seq: head,
            duplicate: false,
            stale: false,
        });
    }
    let stored_bytes = if inserts.is_empty() {
        stored_bytes
    } else {
        after_push(stored_bytes, added, freed, quota)?
    };
    Ok(PushPlan {
        results,
        inserts,
        compactions,
        head,
        stored_bytes,
    })
}

/// A workspace's stored bytes after a push that added `added` and freed `freed`; refused when
/// that goes above the quota and the push grows what is stored (one that shrinks it, a snapshot
/// compacting, always goes through, so a full workspace can get back under).
fn after_push(stored: u64, added: u64, freed: u64, quota: u64) -> Result<u64> {
    let after = stored.saturating_add(added).saturating_sub(freed);
    if after > quota && after > stored {
        return Err(StoreError::QuotaExceeded {
            stored,
            quota,
            after,
        });
    }
    Ok(after)
}

/// Every chunk not pushed before, of a document with keys, must come from a reader and be sealed
/// under the current generation; otherwise the whole push is refused.
fn check_scope(
    existing: &HashMap<String, u64>,
    keyed: &HashMap<String, (u32, bool)>,
    chunks: &[NewChunk],
) -> Result<()> {
    for ch in chunks {
        if existing.contains_key(&ch.client_chunk_id) {
            continue;
        }
        let Some(&(current, reader)) = keyed.get(&ch.doc_id) else {
            continue;
        };
        if !reader {
            return Err(StoreError::OutOfScope(ch.doc_id.clone()));
        }
        let sealed = tend_wire::keys::chunk_generation(&ch.ciphertext);
        if sealed != Some(current) {
            return Err(StoreError::Keys(
                tend_wire::keys::KeyUpdateError::ChunkGeneration { sealed, current },
            ));
        }
    }
    Ok(())
}

/// The distinct documents of a push (whose keys [`plan`] needs).
pub fn docs(chunks: &[NewChunk]) -> Vec<String> {
    let mut docs: Vec<String> = chunks.iter().map(|c| c.doc_id.clone()).collect();
    docs.sort();
    docs.dedup();
    docs
}

/// The distinct client chunk ids of a push: those whose earlier seq [`plan`] needs, if any.
pub fn ids(chunks: &[NewChunk]) -> Vec<&str> {
    let mut seen = HashSet::new();
    chunks
        .iter()
        .map(|c| c.client_chunk_id.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chunk(id: &str, doc: &str, covers: Option<u64>, size: usize) -> NewChunk {
        NewChunk {
            client_chunk_id: id.into(),
            doc_id: doc.into(),
            kind: if covers.is_some() {
                ChunkKind::Snapshot
            } else {
                ChunkKind::Change
            },
            covers_seq: covers,
            ciphertext: vec![1; size],
        }
    }

    /// A whole store in memory, driven only through `plan`, as the SQL stores are.
    #[derive(Default)]
    struct Model {
        head: u64,
        stored: u64,
        /// seq → (client id, doc, size, live)
        rows: Vec<(String, String, u64, bool)>,
    }

    impl Model {
        fn inputs(&self, chunks: &[NewChunk]) -> PushInputs {
            let wanted: HashSet<&str> = ids(chunks).into_iter().collect();
            let docs = compacted_docs(chunks);
            let mut live: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
            for d in &docs {
                live.insert(d.clone(), Vec::new());
            }
            let mut existing = HashMap::new();
            for (i, (id, doc, size, alive)) in self.rows.iter().enumerate() {
                let seq = i as u64 + 1;
                if wanted.contains(id.as_str()) {
                    existing.insert(id.clone(), seq);
                }
                if *alive {
                    if let Some(l) = live.get_mut(doc) {
                        l.push((seq, *size));
                    }
                }
            }
            PushInputs {
                head: self.head,
                stored_bytes: self.stored,
                existing,
                live,
                keyed: HashMap::new(),
            }
        }

        fn push(&mut self, chunks: &[NewChunk], quota: u64) -> Result<PushPlan> {
            let p = plan(self.inputs(chunks), chunks, quota)?;
            for &(seq, i) in &p.inserts {
                assert_eq!(seq, self.rows.len() as u64 + 1, "seqs are consecutive");
                let c = &chunks[i];
                self.rows.push((
                    c.client_chunk_id.clone(),
                    c.doc_id.clone(),
                    c.ciphertext.len() as u64,
                    true,
                ));
            }
            for (doc, s) in &p.compactions {
                for (i, row) in self.rows.iter_mut().enumerate() {
                    if &row.1 == doc && (i as u64 + 1) <= *s {
                        row.3 = false;
                    }
                }
            }
            if p.writes() {
                self.head = p.head;
                self.stored = p.stored_bytes;
            }
            Ok(p)
        }

        fn live_bytes(&self) -> u64 {
            self.rows.iter().filter(|r| r.3).map(|r| r.2).sum()
        }
    }

    #[test]
    fn seqs_duplicates_and_a_snapshot_that_covers_this_pushs_own_chunks() {
        let mut m = Model::default();
        let p = m
            .push(
                &[
                    chunk("a", "d1", None, 10),
                    chunk("b", "d1", None, 20),
                    chunk("a", "d1", None, 10),
                    chunk("s", "d1", Some(2), 5),
                ],
                u64::MAX,
            )
            .unwrap();
        let seqs: Vec<_> = p.results.iter().map(|r| (r.seq, r.duplicate)).collect();
        assert_eq!(seqs, vec![(1, false), (2, false), (1, true), (3, false)]);
        assert_eq!(p.compactions, vec![("d1".to_string(), 2)]);
        assert_eq!((p.head, p.stored_bytes), (3, 5));
        // A retry of it all changes nothing.
        let again = m
            .push(
                &[chunk("b", "d1", None, 20), chunk("s", "d1", Some(2), 5)],
                0,
            )
            .unwrap();
        assert!(!again.writes());
        assert_eq!((m.head, m.stored), (3, 5));
    }

    #[test]
    fn a_snapshot_that_misses_a_later_chunk_of_its_document_is_not_stored() {
        let mut m = Model::default();
        m.push(
            &[
                chunk("a", "d1", None, 10),
                chunk("b", "d2", None, 10),
                chunk("c", "d1", None, 10),
            ],
            u64::MAX,
        )
        .unwrap();
        // Made after pulling to 2: seq 3 (d1) came meanwhile. Not stored; the rest of the push is.
        let p = m
            .push(
                &[chunk("s", "d1", Some(2), 5), chunk("e", "d3", None, 1)],
                u64::MAX,
            )
            .unwrap();
        let r: Vec<_> = p.results.iter().map(|r| (r.seq, r.stale)).collect();
        assert_eq!(r, vec![(0, true), (4, false)]);
        assert!(p.compactions.is_empty());
        assert_eq!((m.head, m.rows.len(), m.stored), (4, 4, 31));
        // Another document's later chunk does not matter; covering d1's last chunk is fine.
        let ok = |p: PushPlan| p.results.iter().all(|r| !r.stale);
        assert!(ok(m
            .push(&[chunk("s1", "d2", Some(2), 5)], u64::MAX)
            .unwrap()));
        assert!(ok(m
            .push(&[chunk("s2", "d1", Some(3), 5)], u64::MAX)
            .unwrap()));
        // Not even a change pushed in the same request after covers_seq (x gets seq 7).
        let p = m
            .push(
                &[chunk("x", "d1", None, 1), chunk("s3", "d1", Some(6), 5)],
                u64::MAX,
            )
            .unwrap();
        assert!(p.results[1].stale);
    }

    #[test]
    fn a_snapshot_beyond_the_head_refuses_the_whole_push() {
        let mut m = Model::default();
        let refused = m.push(
            &[chunk("a", "d1", None, 10), chunk("s", "d1", Some(2), 5)],
            u64::MAX,
        );
        assert!(matches!(refused, Err(StoreError::Rejected(_))));
        assert_eq!((m.head, m.stored, m.rows.len()), (0, 0, 0));
    }

    fn arb_push() -> impl Strategy<Value = Vec<(u8, u8, Option<u8>, u16)>> {
        // (client id, doc, covers, size)
        prop::collection::vec(
            (0u8..40, 0u8..3, prop::option::of(0u8..30), 1u16..500),
            1..6,
        )
    }

    proptest! {
        /// Whatever is pushed, the byte count is exactly the live bytes, the quota is never crossed
        /// by a push that grows the workspace, and a refused push changes nothing.
        #[test]
        fn the_byte_count_is_the_live_bytes_and_the_quota_holds(
            pushes in prop::collection::vec(arb_push(), 1..25),
            quota in 200u64..3000,
        ) {
            let mut m = Model::default();
            for push in pushes {
                let chunks: Vec<NewChunk> = push
                    .iter()
                    .map(|&(id, doc, covers, size)| {
                        chunk(&format!("c{id}"), &format!("d{doc}"), covers.map(u64::from), size.into())
                    })
                    .collect();
                let before = (m.head, m.stored, m.rows.len());
                match m.push(&chunks, quota) {
                    Ok(p) => {
                        prop_assert!(m.stored <= quota || m.stored <= before.1);
                        prop_assert_eq!(p.results.len(), chunks.len());
                    }
                    Err(_) => prop_assert_eq!((m.head, m.stored, m.rows.len()), before),
                }
                prop_assert_eq!(m.stored, m.live_bytes());
                prop_assert_eq!(m.head, m.rows.len() as u64);
            }
        }
    }

    #[test]
    fn a_chunk_of_a_document_with_keys_needs_a_reader_and_the_current_generation() {
        let sealed_under = |g: u32| {
            let mut c = chunk("c1", "p1", None, 0);
            c.ciphertext = [&[2u8][..], &g.to_be_bytes(), &[2; 41]].concat();
            c
        };
        let inputs = |reader: bool| PushInputs {
            head: 5,
            keyed: [("p1".to_string(), (2, reader))].into(),
            ..PushInputs::default()
        };
        let ok = plan(inputs(true), &[sealed_under(2)], u64::MAX).unwrap();
        assert_eq!(ok.inserts, vec![(6, 0)]);
        assert!(matches!(
            plan(inputs(false), &[sealed_under(2)], u64::MAX),
            Err(StoreError::OutOfScope(d)) if d == "p1"
        ));
        assert!(matches!(
            plan(inputs(true), &[sealed_under(1)], u64::MAX),
            Err(StoreError::Keys(_))
        ));
        // A version-1 envelope for a document with keys is refused; for one without, stored.
        let v1 = chunk("c2", "p1", None, 50);
        assert!(matches!(
            plan(inputs(true), std::slice::from_ref(&v1), u64::MAX),
            Err(StoreError::Keys(_))
        ));
        let mut other = v1;
        other.doc_id = "p2".into();
        assert!(plan(inputs(true), &[other], u64::MAX).is_ok());
        // A chunk pushed before (a retry) is answered as a duplicate even after the keys moved on.
        let mut again = inputs(false);
        again.existing.insert("c1".into(), 3);
        let dup = plan(again, &[sealed_under(1)], u64::MAX).unwrap();
        assert!(dup.results[0].duplicate);
    }
}
