use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::crypto::{seal, WorkspaceKey};
use crate::ops::{Op, ProfileField};
use crate::record::PersonName;
use crate::{Author, PatientDoc, PatientId};

const WS: &str = "ws-1";
const ME: &str = "device-me";
const THEM: &str = "device-them";

fn key() -> WorkspaceKey {
    WorkspaceKey::from_bytes([9; 32])
}

fn keys(key: &WorkspaceKey) -> Keychain {
    Keychain::new(WS, Some(key.clone()))
}

fn author() -> Author {
    Author {
        user_id: "u1".into(),
        user_name: "Ana Nurse".into(),
        device_id: "d1".into(),
    }
}

fn chunk(seq: u64, doc: &str, kind: ChunkKind, from: &str, plain: &[u8]) -> PulledChunk {
    PulledChunk {
        seq,
        doc_id: doc.into(),
        kind,
        covers_seq: (kind == ChunkKind::Snapshot).then_some(seq - 1),
        device_id: from.into(),
        ciphertext: seal(&key(), WS, doc, kind, plain).unwrap(),
    }
}

fn new_doc(id: &PatientId) -> PatientDoc {
    let name = PersonName {
        given: "Rosa".into(),
        family: "Diaz".into(),
    };
    PatientDoc::create(id, name, &author(), 1).unwrap()
}

fn set_language(doc: &mut PatientDoc, value: &str, at: i64) {
    let op = Op::SetProfileText {
        field: ProfileField::PreferredLanguage,
        value: value.into(),
    };
    doc.apply(op, &author(), at).unwrap();
}

#[wasm_bindgen_test(unsupported = test)]
fn a_page_is_grouped_by_document_and_what_does_not_open_is_set_aside() {
    let (a, b) = (PatientId::random(), PatientId::random());
    let mut da = new_doc(&a);
    let mut db = new_doc(&b);
    let a1 = da.save();
    let b1 = db.save();
    let mut wrong_doc = chunk(4, a.as_str(), ChunkKind::Change, THEM, b"x");
    // Sealed for another document: does not open as this one.
    wrong_doc.ciphertext = seal(&key(), WS, b.as_str(), ChunkKind::Change, b"x").unwrap();
    let chunks = vec![
        chunk(1, a.as_str(), ChunkKind::Change, THEM, &a1),
        chunk(2, b.as_str(), ChunkKind::Change, THEM, &b1),
        chunk(3, a.as_str(), ChunkKind::Change, ME, b"mine"),
        wrong_doc,
        chunk(5, "not-a-patient", ChunkKind::Change, THEM, b"y"),
        chunk(6, a.as_str(), ChunkKind::Change, THEM, &a1),
    ];
    let sizes: Vec<u64> = chunks.iter().map(|c| c.ciphertext.len() as u64).collect();
    let page = open_page(&keys(&key()), ME, chunks);
    let seqs: Vec<(DocId, Vec<u64>)> = page
        .docs
        .iter()
        .map(|d| (d.id.clone(), d.chunks.iter().map(|c| c.seq).collect()))
        .collect();
    assert_eq!(
        seqs,
        vec![(a.clone().into(), vec![1, 6]), (b.clone().into(), vec![2])]
    );
    assert_eq!(page.docs[0].chunks[0].plain, a1);
    let aside: Vec<(u64, &str)> = page
        .set_aside
        .iter()
        .map(|s| (s.seq, s.doc_id.as_str()))
        .collect();
    assert_eq!(aside, vec![(4, a.as_str()), (5, "not-a-patient")]);
    assert!(page.set_aside[1].reason.contains("unknown document"));
    // Everything the relay keeps counts, this device's own chunk and the set-aside ones too.
    assert_eq!(
        page.relay_bytes(a.as_str()),
        Some(RelayBytes {
            last_seq: 6,
            bytes: sizes[0] + sizes[2] + sizes[3] + sizes[5],
            from_snapshot: false,
            snapshot_bytes: 0,
        })
    );
    // The wrong key opens nothing.
    let other = WorkspaceKey::from_bytes([1; 32]);
    let chunks = vec![chunk(1, a.as_str(), ChunkKind::Change, THEM, &a1)];
    let page = open_page(&keys(&other), ME, chunks);
    assert!(page.docs.is_empty());
    assert_eq!(page.set_aside.len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_snapshot_restarts_the_count_of_what_the_relay_keeps() {
    let a = PatientId::random();
    let mut d = new_doc(&a);
    let bytes = d.save();
    let chunks = vec![
        chunk(1, a.as_str(), ChunkKind::Change, THEM, &bytes),
        chunk(2, a.as_str(), ChunkKind::Change, THEM, &bytes),
        chunk(3, a.as_str(), ChunkKind::Snapshot, THEM, &bytes),
        chunk(4, a.as_str(), ChunkKind::Change, THEM, b"later"),
    ];
    let snap = chunks[2].ciphertext.len() as u64;
    let later = chunks[3].ciphertext.len() as u64;
    let page = open_page(&keys(&key()), ME, chunks);
    assert_eq!(
        page.relay_bytes(a.as_str()),
        Some(RelayBytes {
            last_seq: 4,
            bytes: snap + later,
            from_snapshot: true,
            snapshot_bytes: snap,
        })
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn merging_keeps_local_edits_and_bytes_that_do_not_apply_change_nothing() {
    let a = PatientId::random();
    let mut theirs = new_doc(&a);
    let mut mine = PatientDoc::load(&theirs.save()).unwrap();
    let base = theirs.heads();
    set_language(&mut theirs, "Spanish", 2);
    set_language(&mut mine, "Portuguese", 3);
    let opened = |seq, kind, plain: Vec<u8>| OpenedChunk {
        seq,
        kind,
        plain,
        envelope: vec![],
        changes: None,
        carried: None,
    };
    let change = theirs.save_after(&base);
    let chunks = vec![
        opened(8, ChunkKind::Snapshot, theirs.save()),
        opened(9, ChunkKind::Change, change.clone()),
    ];
    let mine_heads = mine.heads();
    let merged = merge_chunks(Some(mine), a.as_str(), chunks);
    assert_eq!(merged.applied.len(), 2);
    assert!(merged.set_aside.is_empty());
    let mut doc = merged.doc.unwrap();
    // Both concurrent edits are in: the snapshot merged, it did not replace the local document.
    let mut heads = doc.heads();
    let mut both: Vec<ChangeHash> = mine_heads.into_iter().chain(theirs.heads()).collect();
    heads.sort();
    both.sort();
    assert_eq!(heads, both);

    // A change whose bytes were damaged: the document is as it was.
    let mut corrupt = change;
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    let before = doc.save();
    let merged = merge_chunks(
        Some(doc),
        a.as_str(),
        vec![opened(10, ChunkKind::Change, corrupt)],
    );
    assert_eq!(merged.doc.unwrap().save(), before);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_document_new_here_is_made_from_its_first_chunk_that_applies() {
    let a = PatientId::random();
    let mut theirs = new_doc(&a);
    let opened = |seq, plain: Vec<u8>| OpenedChunk {
        seq,
        kind: ChunkKind::Change,
        plain,
        envelope: vec![],
        changes: None,
        carried: None,
    };
    let merged = merge_chunks::<PatientDoc>(
        None,
        a.as_str(),
        vec![opened(1, b"junk".to_vec()), opened(2, theirs.save())],
    );
    let mut doc = merged.doc.expect("made from the second chunk");
    assert_eq!(doc.heads(), theirs.heads());
    assert_eq!(merged.set_aside.len(), 1);
    let nothing = merge_chunks::<PatientDoc>(None, a.as_str(), vec![opened(1, b"junk".to_vec())]);
    assert!(nothing.doc.is_none());
}

#[wasm_bindgen_test(unsupported = test)]
fn what_came_from_the_relay_is_never_pushed_back() {
    let a = PatientId::random();
    let mut d = new_doc(&a);
    let h1 = d.heads();
    set_language(&mut d, "Spanish", 2);
    let h2 = d.heads();
    set_language(&mut d, "Tagalog", 3);
    let h3 = d.heads();
    let hex = |h: &[ChangeHash]| h.iter().map(|h| h.to_string()).collect::<Vec<_>>();
    // Nothing local waiting: the relay has everything after the merge.
    assert_eq!(acked_after_pull(&hex(&h1), &h1, &h3), hex(&h3));
    // Local changes waiting (h2 not acked): the new heads join the acked ones, h2 still waits.
    let mut expected = hex(&h1);
    expected.extend(hex(&h3));
    assert_eq!(acked_after_pull(&hex(&h1), &h2, &h3), expected);
    // Never listed twice.
    assert_eq!(acked_after_pull(&expected, &h2, &h3), expected);
}

fn pulled_page(from: u64, sizes: &[usize], more: bool) -> PullResponse {
    let chunks: Vec<PulledChunk> = sizes
        .iter()
        .enumerate()
        .map(|(i, size)| PulledChunk {
            seq: from + i as u64,
            doc_id: "d".into(),
            kind: ChunkKind::Change,
            covers_seq: None,
            device_id: THEM.into(),
            ciphertext: vec![0; *size],
        })
        .collect();
    let last = from + sizes.len() as u64 - 1;
    PullResponse {
        chunks,
        next_cursor: last,
        more,
        head_seq: if more { last + 1_000 } else { last },
        keys: Vec::new(),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn an_opened_change_chunk_carries_the_hashes_of_its_changes() {
    let a = PatientId::random();
    let mut doc = new_doc(&a);
    let whole = doc.save();
    let before = doc.heads();
    set_language(&mut doc, "Spanish", 2);
    set_language(&mut doc, "Tagalog", 3);
    let changes = doc.save_after(&before);
    let page = open_page(
        &keys(&key()),
        ME,
        vec![
            chunk(1, a.as_str(), ChunkKind::Change, THEM, &changes),
            chunk(2, a.as_str(), ChunkKind::Snapshot, THEM, &whole),
            chunk(3, a.as_str(), ChunkKind::Change, THEM, &whole),
            chunk(4, a.as_str(), ChunkKind::Change, THEM, b"not automerge"),
        ],
    );
    let hashes: Vec<Option<usize>> = page.docs[0]
        .chunks
        .iter()
        .map(|c| c.changes.as_ref().map(Vec::len))
        .collect();
    assert_eq!(hashes, vec![Some(2), None, None, None]);
    // The last change is the document's head.
    let received = page.docs[0].chunks[0].changes.clone().unwrap();
    assert_eq!(received.last(), doc.heads().first());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_snapshot_opens_as_its_document_with_what_it_carries_or_is_set_aside() {
    let a = PatientId::random();
    let mut doc = new_doc(&a);
    let whole = doc.save();
    let carried = crate::sync::Carried {
        summary: doc
            .summary_on(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
            .unwrap(),
        heads: doc.heads().iter().map(|h| h.to_string()).collect(),
    };
    let with = crate::sync::snapshot_plain(&whole, Some(&carried));
    let mut unknown = with.clone();
    unknown[4] = 9;
    let page = open_page(
        &keys(&key()),
        ME,
        vec![
            chunk(1, a.as_str(), ChunkKind::Snapshot, THEM, &with),
            chunk(2, a.as_str(), ChunkKind::Snapshot, THEM, &whole),
            chunk(3, a.as_str(), ChunkKind::Snapshot, THEM, &unknown),
        ],
    );
    let opened = &page.docs[0].chunks;
    assert_eq!(opened.len(), 2);
    assert_eq!(
        (&opened[0].plain, &opened[0].carried),
        (&whole, &Some(carried))
    );
    assert_eq!((&opened[1].plain, &opened[1].carried), (&whole, &None));
    assert_eq!(page.set_aside.len(), 1);
    assert_eq!(page.set_aside[0].seq, 3);
    assert!(
        page.set_aside[0].reason.contains("version 9"),
        "{}",
        page.set_aside[0].reason
    );
}

/// Opens a page as this device does (the test pages' zero bytes do not open: set aside, in order).
fn open_mine(chunks: Vec<PulledChunk>) -> OpenedPage {
    open_page(&keys(&key()), ME, chunks)
}

#[wasm_bindgen_test(unsupported = test)]
fn pull_pages_are_batched_until_a_limit_or_the_head() {
    // Three pages of a catch-up, the last one at the head: one batch, in order, with its cursor.
    let mut batch = PullBatch::new(10);
    assert_eq!(batch.cursor(), 10);
    assert!(!batch.add(pulled_page(11, &[100; 500], true), open_mine));
    assert_eq!(batch.cursor(), 510);
    assert!(!batch.add(pulled_page(511, &[100; 500], true), open_mine));
    assert!(batch.add(pulled_page(1011, &[100; 20], false), open_mine));
    assert_eq!(batch.pages(), 3);
    let done = batch.finish();
    let seqs: Vec<u64> = done.opened.set_aside.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (11..=1030).collect::<Vec<_>>());
    assert_eq!((done.next_cursor, done.more), (1030, false));

    // A long history is merged in parts: by bytes...
    let mut batch = PullBatch::new(0);
    let big = PULL_BATCH_MAX_BYTES / 4;
    assert!(!batch.add(pulled_page(1, &[big, big, big, big - 1], true), open_mine));
    assert!(batch.add(pulled_page(5, &[1], true), open_mine));
    let done = batch.finish();
    assert!(
        done.more,
        "the relay has more: the engine pulls on after merging"
    );
    assert_eq!(done.next_cursor, 5);

    // ...and by chunk count.
    let mut batch = PullBatch::new(0);
    let per_page = 500;
    let mut full_after = 0;
    for p in 0.. {
        full_after = p + 1;
        if batch.add(
            pulled_page(1 + (p * per_page) as u64, &[10; 500], true),
            open_mine,
        ) {
            break;
        }
    }
    assert_eq!(full_after * per_page, PULL_BATCH_MAX_CHUNKS);
}

/// One chunk of a mixed page, from (document, kind, whose, opens): opening pages one by one and
/// extending is the same as opening them as one.
fn mixed_chunk(seq: u64, (doc, kind, mine, opens): (usize, bool, bool, bool)) -> PulledChunk {
    const DOCS: [&str; 4] = [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        crate::WORKSPACE_DOC_ID,
        "not a document",
    ];
    let kind = if kind {
        ChunkKind::Snapshot
    } else {
        ChunkKind::Change
    };
    let from = if mine { ME } else { THEM };
    let mut c = chunk(seq.max(1), DOCS[doc], kind, from, &seq.to_le_bytes());
    c.seq = seq;
    if !opens {
        c.ciphertext[0] ^= 1;
    }
    c
}

proptest::proptest! {
    #[wasm_bindgen_test(unsupported = test)]
    fn pages_opened_one_by_one_extend_to_the_batch_opened_whole(
        spec in proptest::collection::vec((0usize..4, proptest::bool::ANY, proptest::bool::ANY, proptest::bool::ANY), 0..40),
        cuts in proptest::collection::vec(0usize..40, 0..4),
    ) {
        let chunks: Vec<PulledChunk> = spec
            .iter()
            .enumerate()
            .map(|(i, s)| mixed_chunk(i as u64 + 1, *s))
            .collect();
        let whole = open_mine(chunks.clone());
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(chunks.len())).collect();
        cuts.push(0);
        cuts.push(chunks.len());
        cuts.sort();
        let mut parts = OpenedPage::default();
        for w in cuts.windows(2) {
            parts.extend(open_mine(chunks[w[0]..w[1]].to_vec()));
        }
        proptest::prop_assert_eq!(parts, whole);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_new_document_from_many_chunks_loads_at_once_or_sets_aside_only_the_bad_one() {
    let a = PatientId::random();
    let mut theirs = new_doc(&a);
    let mut plains = vec![theirs.save()];
    for (i, lang) in ["Spanish", "Tagalog", "Hmong"].iter().enumerate() {
        let before = theirs.heads();
        set_language(&mut theirs, lang, 2 + i as i64);
        plains.push(theirs.save_after(&before));
    }
    let opened = |plains: &[Vec<u8>]| -> Vec<OpenedChunk> {
        plains
            .iter()
            .enumerate()
            .map(|(i, p)| OpenedChunk {
                seq: i as u64 + 1,
                kind: ChunkKind::Change,
                plain: p.clone(),
                envelope: vec![i as u8],
                changes: None,
                carried: None,
            })
            .collect()
    };
    let merged = merge_chunks::<PatientDoc>(None, a.as_str(), opened(&plains));
    assert_eq!(merged.applied.len(), 4);
    assert!(merged.set_aside.is_empty());
    assert_eq!(merged.doc.unwrap().heads(), theirs.heads());

    // The first chunk replaced by bytes that are not Automerge: the load of the whole fails, the
    // chunks go one by one, the document is made from the others and only the bad one is set aside.
    let mut damaged = plains.clone();
    damaged.insert(0, b"not a change".to_vec());
    let merged = merge_chunks::<PatientDoc>(None, a.as_str(), opened(&damaged));
    assert_eq!(merged.set_aside.len(), 1);
    assert_eq!(merged.set_aside[0].seq, 1);
    assert_eq!(merged.set_aside[0].envelope, vec![0]);
    assert_eq!(merged.applied, plains);
    assert_eq!(
        merged.doc.expect("made from the others").heads(),
        theirs.heads()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_workspace_document_travels_like_a_patient_and_merges_with_a_copy_started_apart() {
    use crate::workspace::WorkspaceDoc;
    // Two devices each started the shared document on their own (offline, before joining).
    let mut theirs = WorkspaceDoc::new();
    let mine = WorkspaceDoc::new();
    let genesis = theirs.heads();
    let chunks = vec![chunk(
        1,
        crate::WORKSPACE_DOC_ID,
        ChunkKind::Change,
        THEM,
        &theirs.save(),
    )];
    let page = open_page(&keys(&key()), ME, chunks);
    assert!(page.set_aside.is_empty());
    assert_eq!(page.docs.len(), 1);
    assert_eq!(page.docs[0].id, DocId::Workspace);
    let merged = merge_chunks(
        Some(mine),
        crate::WORKSPACE_DOC_ID,
        page.docs[0].chunks.clone(),
    );
    assert!(merged.set_aside.is_empty());
    // One genesis, so nothing to reconcile: the same single head.
    assert_eq!(merged.doc.expect("merged").heads(), genesis);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_chunk_under_a_generation_not_held_here_is_left_for_a_fetch_not_set_aside() {
    use tend_wire::keys::{ContentKey, KeyRing};
    let (a, b) = (PatientId::random(), PatientId::random());
    let mut doc_a = new_doc(&a);
    let mut doc_b = new_doc(&b);
    // Document a has keys: generations 1 and 2; this device holds only generation 1.
    let (k1, k2) = (
        ContentKey::generate().unwrap(),
        ContentKey::generate().unwrap(),
    );
    let mut theirs = KeyRing::new(WS, a.as_str());
    theirs.insert(1, k1.clone()).unwrap();
    theirs.insert(2, k2).unwrap();
    let mut mine = KeyRing::new(WS, a.as_str());
    mine.insert(1, k1).unwrap();
    let mut chain = keys(&key());
    chain.insert(mine);
    let sealed = |seq: u64, generation: u32, plain: &[u8]| PulledChunk {
        seq,
        doc_id: a.to_string(),
        kind: ChunkKind::Change,
        covers_seq: None,
        device_id: THEM.into(),
        ciphertext: theirs
            .seal_under(generation, ChunkKind::Change, plain)
            .unwrap(),
    };
    let page = open_page(
        &chain,
        ME,
        vec![
            sealed(1, 1, &doc_a.save()),
            sealed(2, 2, &doc_a.save()),
            // A document without a ring here at all, in a version-2 envelope.
            PulledChunk {
                doc_id: b.to_string(),
                ..sealed(3, 2, &doc_b.save())
            },
            chunk(4, b.as_str(), ChunkKind::Change, THEM, &doc_b.save()),
        ],
    );
    assert_eq!(page.unkeyed, vec![a.to_string(), b.to_string()]);
    assert!(
        page.set_aside.is_empty(),
        "nothing is set aside for want of a key"
    );
    let seqs: Vec<Vec<u64>> = page
        .docs
        .iter()
        .map(|d| d.chunks.iter().map(|c| c.seq).collect())
        .collect();
    assert_eq!(seqs, vec![vec![1], vec![4]]);
    // Bytes that are damaged under a key this device holds are still set aside.
    let mut bad = sealed(5, 1, &doc_a.save());
    let last = bad.ciphertext.len() - 1;
    bad.ciphertext[last] ^= 1;
    let page = open_page(&chain, ME, vec![bad]);
    assert_eq!(page.set_aside.len(), 1);
    assert!(page.unkeyed.is_empty());
}
