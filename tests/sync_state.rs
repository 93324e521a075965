//! Sync bookkeeping in real IndexedDB (headless Chromium): local changes mark the outbox in their own
//! transaction; an acknowledgement clears it only if nothing changed since; a pull page writes its
//! chunks, summaries and cursor together; a chunk that does not decrypt is set aside, not applied.
#![cfg(target_arch = "wasm32")]

#[path = "support/common.rs"]
mod common;

use common::{author_on as author, fresh, name};
use tend::storage::{sync_state::DocSync, Storage};
use tend::sync::pull;
use tend::sync::settle::{self, Settled};
use tend_core::{
    crypto::{self, WorkspaceKey},
    sync::{snapshot_plain, Carried},
    sync_wire::{ChunkKind, PullResponse, PulledChunk},
    DocId, PatientDoc, PatientId,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const WS: &str = "0123456789abcdef0123456789abcdef";

/// What a device of this workspace holding only the workspace key opens chunks with.
fn keys(key: &WorkspaceKey) -> tend_core::sync::keys::Keychain {
    tend_core::sync::keys::Keychain::new(WS, Some(key.clone()))
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
}

/// The patient's record as stored now.
async fn record_of(storage: &Storage, id: &PatientId) -> tend_core::PatientRecord {
    storage
        .load_patient(id)
        .await
        .expect("load")
        .doc
        .record()
        .expect("record")
}

async fn names(storage: &Storage) -> Vec<String> {
    let mut names: Vec<_> = storage
        .caseload()
        .await
        .expect("caseload")
        .summaries
        .iter()
        .map(|s| s.display_name.clone())
        .collect();
    names.sort();
    names
}

fn chunk(
    key: &WorkspaceKey,
    seq: u64,
    doc_id: &str,
    sealed_for: &str,
    bytes: &[u8],
) -> PulledChunk {
    let envelope = crypto::seal(key, WS, sealed_for, ChunkKind::Change, bytes).expect("seal");
    PulledChunk {
        seq,
        doc_id: doc_id.into(),
        kind: ChunkKind::Change,
        covers_seq: None,
        device_id: "other-device".into(),
        ciphertext: envelope,
    }
}

#[wasm_bindgen_test]
async fn local_changes_mark_the_outbox_and_an_ack_clears_it_only_if_unchanged() {
    let storage = fresh("test-sync-outbox").await;
    assert!(storage.outbox().await.expect("outbox").is_empty());
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author("a"), 1).expect("create");
    storage.create_patient(&mut doc).await.expect("store");
    let outbox = storage.outbox().await.expect("outbox");
    assert_eq!(outbox.len(), 1, "creating a patient marks it for sync");
    let (marked, token) = outbox[0].clone();
    assert_eq!(marked, DocId::Patient(id.clone()));

    // A local edit after the push began: the acknowledgement must not clear the newer change.
    doc.rename(name("Rosa", "Ortiz"), &author("a"), 2)
        .expect("rename");
    let changes = doc.save_incremental();
    storage
        .append_changes(&id, &changes, &doc.summary().expect("summary"))
        .await
        .expect("append");
    storage
        .record_acked(&DocId::Patient(id.clone()), vec!["aa".into()], &token)
        .await
        .expect("ack");
    let outbox = storage.outbox().await.expect("outbox");
    assert_eq!(
        outbox.len(),
        1,
        "a change written after the push stays waiting"
    );
    assert_eq!(
        storage
            .doc_sync(&DocId::Patient(id.clone()))
            .await
            .expect("doc sync")
            .acked_heads,
        vec!["aa".to_string()]
    );

    // Acknowledged with the current token: nothing waits any more.
    let token = outbox[0].1.clone();
    storage
        .record_acked(&DocId::Patient(id.clone()), vec!["bb".into()], &token)
        .await
        .expect("ack");
    assert!(storage.outbox().await.expect("outbox").is_empty());
    storage.close();
}

#[wasm_bindgen_test]
async fn pending_push_is_recorded_before_sending_and_survives_reopening() {
    let db = "test-sync-pending";
    let storage = fresh(db).await;
    let id = PatientId::random();
    let sync = DocSync {
        acked_heads: vec![],
        pending: Some(tend::storage::sync_state::PendingPush {
            client_chunk_id: "chunk-1".into(),
            envelope: vec![1, 2, 3],
            heads: vec!["cc".into()],
        }),
    };
    storage
        .record_pending(&DocId::Patient(id.clone()), &sync)
        .await
        .expect("record");
    storage.close();
    let storage = Storage::open(db).await.expect("reopen");
    assert_eq!(
        storage
            .doc_sync(&DocId::Patient(id.clone()))
            .await
            .expect("read"),
        sync
    );
    storage.close();
}

#[wasm_bindgen_test]
async fn a_pull_page_stores_chunks_summaries_and_cursor_together_and_sets_aside_bad_chunks() {
    let db = "test-sync-pull";
    let storage = fresh(db).await;
    let key = WorkspaceKey::from_bytes([7; 32]);

    // Another device's patients: one new here, one already here with a local edit waiting.
    let remote_id = PatientId::random();
    let mut remote =
        PatientDoc::create(&remote_id, name("Ben", "Kim"), &author("b"), 1).expect("create");
    let local_id = PatientId::random();
    let mut local =
        PatientDoc::create(&local_id, name("Rosa", "Diaz"), &author("a"), 1).expect("create");
    storage.create_patient(&mut local).await.expect("store");
    let mut theirs = PatientDoc::load(&local.save()).expect("copy");
    theirs
        .rename(name("Rosa", "Díaz-Ortiz"), &author("b"), 5)
        .expect("rename");

    let good_new = chunk(
        &key,
        1,
        remote_id.as_str(),
        remote_id.as_str(),
        &remote.save_after(&[]),
    );
    let good_existing = chunk(
        &key,
        2,
        local_id.as_str(),
        local_id.as_str(),
        &theirs.save_incremental(),
    );
    // Sealed for another document, then presented as this one: must not decrypt.
    let moved = chunk(
        &key,
        3,
        local_id.as_str(),
        remote_id.as_str(),
        &theirs.save(),
    );
    let page = PullResponse {
        chunks: vec![good_new, good_existing, moved],
        next_cursor: 3,
        more: false,
        head_seq: 3,
        keys: Vec::new(),
    };
    let prepared = pull::prepare(&storage, &keys(&key), "this-device", page, today())
        .await
        .expect("prepare");
    let written = prepared.page(vec![]);
    assert_eq!(written.set_aside.len(), 1);
    assert_eq!(written.set_aside[0].seq, 3);
    assert_eq!(
        prepared.problems().len(),
        1,
        "the set-aside chunk is reported"
    );
    assert_eq!(prepared.merged().len(), 2);
    storage.apply_pulled_page(&written).await.expect("apply");
    storage.close();

    let storage = Storage::open(db).await.expect("reopen");
    assert_eq!(storage.sync_cursor().await.expect("cursor"), 3);
    // The patient already here took its change unmerged: stored, its row not yet up to date.
    assert_eq!(names(&storage).await, vec!["Diaz, Rosa", "Kim, Ben"]);
    let local_doc = DocId::Patient(local_id.clone());
    assert!(storage.is_stale(&local_doc).await.expect("stale"));
    let mut problems = Vec::new();
    let settled = settle::settle(&storage, &local_id, today(), &mut problems)
        .await
        .expect("settle");
    assert!(matches!(settled, Settled::Summary(ref s) if s.display_name == "Díaz-Ortiz, Rosa"));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(!storage.is_stale(&local_doc).await.expect("stale"));
    assert_eq!(names(&storage).await, vec!["Díaz-Ortiz, Rosa", "Kim, Ben"]);
    let loaded = storage.load_patient(&local_id).await.expect("load");
    assert!(loaded.problems.is_empty());
    assert_eq!(
        loaded.doc.record().expect("record").name.family,
        "Díaz-Ortiz"
    );
    let loaded = storage.load_patient(&remote_id).await.expect("load new");
    assert_eq!(loaded.doc.record().expect("record").name.family, "Kim");
    assert_eq!(storage.quarantined_count().await.expect("count"), 1);
    // Received changes are on the relay already: the new document is not queued to be pushed back.
    let outbox: Vec<_> = storage
        .outbox()
        .await
        .expect("outbox")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        outbox,
        vec![DocId::Patient(local_id.clone())],
        "only the local creation waits"
    );
    assert!(!storage
        .doc_sync(&DocId::Patient(remote_id.clone()))
        .await
        .expect("sync")
        .acked_heads
        .is_empty());
    storage.close();
}

#[wasm_bindgen_test]
async fn joining_a_workspace_resets_bookkeeping_and_queues_every_patient() {
    let storage = fresh("test-sync-reset").await;
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author("a"), 1).expect("create");
    storage.create_patient(&mut doc).await.expect("store");
    let (_, token) = storage.outbox().await.expect("outbox")[0].clone();
    storage
        .record_acked(&DocId::Patient(id.clone()), vec!["aa".into()], &token)
        .await
        .expect("ack");
    let log = tend_core::sync::RelayLog {
        bytes: 5_000,
        snapshot: 1_000,
        checked_snapshot: 0,
        set_aside: false,
    };
    let mut keys_state = tend_core::keys::DocKeyState::default();
    keys_state.record_change(
        &tend_core::sync_wire::KeyChange {
            seq: 41,
            doc_id: id.to_string(),
            generation: 1,
            link: None,
            readers: vec!["this-device".into(), "another".into()],
            mine: Some(tend_core::sync_wire::StoredEnvelope {
                recipient: "this-device".into(),
                sender: "another".into(),
                envelope: vec![3; 73],
            }),
        },
        "this-device",
    );
    let page = tend::storage::sync_state::PulledPage {
        docs: vec![],
        set_aside: vec![],
        next_cursor: Some(42),
        stamps: vec![],
        relay_logs: vec![(id.to_string(), log.clone())],
        doc_keys: vec![(id.to_string(), keys_state.clone())],
        to_fetch: vec![],
        fetched: vec![],
    };
    storage.apply_pulled_page(&page).await.expect("cursor");
    assert!(storage.outbox().await.expect("outbox").is_empty());
    let logs = storage.relay_logs().await.expect("relay logs");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs.get(id.as_str()), Some(&log));
    // What the page taught this device of the patient's keys is stored with it.
    let states = storage.doc_key_states().await.expect("key states");
    assert_eq!(states.len(), 1);
    assert_eq!(states.get(id.as_str()), Some(&keys_state));

    storage.reset_sync_state().await.expect("reset");
    assert_eq!(storage.sync_cursor().await.expect("cursor"), 0);
    assert!(storage.relay_logs().await.expect("relay logs").is_empty());
    assert!(storage
        .doc_key_states()
        .await
        .expect("key states")
        .is_empty());
    assert_eq!(
        storage
            .doc_sync(&DocId::Patient(id.clone()))
            .await
            .expect("sync"),
        DocSync::default()
    );
    let outbox: Vec<_> = storage
        .outbox()
        .await
        .expect("outbox")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(outbox, vec![DocId::Patient(id)]);
    storage.close();
}

#[wasm_bindgen_test]
async fn a_pull_page_prepared_before_a_local_save_is_not_written_and_merges_again() {
    let db = "test-sync-pull-race";
    let storage = fresh(db).await;
    let key = WorkspaceKey::from_bytes([7; 32]);
    let id = PatientId::random();
    let mut local = PatientDoc::create(&id, name("Rosa", "Diaz"), &author("a"), 1).expect("create");
    // Stored as a chunk, without a snapshot: received changes are merged against it (the slow
    // path), not appended.
    storage
        .append_changes(&id, &local.save(), &local.summary().expect("summary"))
        .await
        .expect("store");

    // Another device records the preferred language...
    let mut theirs = PatientDoc::load(&local.save()).expect("copy");
    theirs
        .apply(
            tend_core::Op::SetProfileText {
                field: tend_core::ProfileField::PreferredLanguage,
                value: "Spanish".into(),
            },
            &author("b"),
            5,
        )
        .expect("their edit");
    let page = PullResponse {
        chunks: vec![chunk(
            &key,
            1,
            id.as_str(),
            id.as_str(),
            &theirs.save_incremental(),
        )],
        next_cursor: 1,
        more: false,
        head_seq: 1,
        keys: Vec::new(),
    };
    let mut prepared = pull::prepare(&storage, &keys(&key), "this-device", page, today())
        .await
        .expect("prepare");

    // ...while this device (another tab) renames the patient before the page is written.
    local
        .rename(name("Rosa", "Díaz-Ortiz"), &author("a"), 6)
        .expect("rename");
    let changes = local.save_incremental();
    storage
        .append_changes(&id, &changes, &local.summary().expect("summary"))
        .await
        .expect("local save");

    // The page's summary predates the rename: writing it would show the old name.
    match storage.apply_pulled_page(&prepared.page(vec![])).await {
        Err(tend::storage::StorageError::ChangedMeanwhile(changed)) => {
            assert_eq!(changed, id.to_string())
        }
        other => panic!("expected ChangedMeanwhile, got {:?}", other.map(|_| ())),
    }
    assert_eq!(
        storage.sync_cursor().await.expect("cursor"),
        0,
        "nothing written"
    );

    // Only that document is merged again, from what is stored now.
    prepared
        .prepare_again(&storage, id.as_str())
        .await
        .expect("prepare again");
    storage
        .apply_pulled_page(&prepared.page(vec![]))
        .await
        .expect("apply");
    let listed = storage.caseload().await.expect("caseload");
    assert_eq!(listed.summaries.len(), 1);
    assert_eq!(listed.summaries[0].display_name, "Díaz-Ortiz, Rosa");
    let record = record_of(&storage, &id).await;
    assert_eq!(record.name.family, "Díaz-Ortiz");
    assert_eq!(
        record.profile.preferred_language, "Spanish",
        "both edits kept"
    );
    assert_eq!(storage.sync_cursor().await.expect("cursor"), 1);
    storage.close();
}

fn status(status: u16, error: &str, retry_after_s: Option<u32>) -> tend::sync::net::NetError {
    tend::sync::net::NetError::Status {
        status,
        error: error.into(),
        message: "from the relay".into(),
        retry_after_s,
    }
}

#[wasm_bindgen_test]
fn the_relay_s_limits_read_as_what_they_mean_and_its_wait_is_kept() {
    let full = status(413, "quota_exceeded", None);
    assert!(full.reason().contains("storage on the relay is full"));
    assert!(full.reason().contains("safe on this device"));
    assert_eq!(
        status(413, "too_large", None).reason(),
        "a change is too large for the relay"
    );
    let slow_down = status(429, "rate_limited", Some(30));
    assert!(slow_down.reason().contains("slow down"));
    assert_eq!(slow_down.retry_after_ms(), Some(30_000));
    assert_eq!(status(503, "busy", Some(1)).reason(), "the relay is busy");
    assert_eq!(
        status(503, "store_unavailable", None).reason(),
        "the relay's storage is unavailable"
    );
    assert_eq!(
        status(503, "store_unavailable", None).retry_after_ms(),
        None
    );
    // Setting up: how long to wait, in words.
    assert!(
        tend::sync::describe_setup_error(&status(429, "rate_limited", Some(1800)))
            .ends_with("Try again in 30 minutes.")
    );
    assert!(
        tend::sync::describe_setup_error(&status(429, "rate_limited", Some(20)))
            .ends_with("Try again in 20 seconds.")
    );
    assert!(tend::sync::describe_setup_error(&status(403, "join_rejected", None)).contains("403"));
}

#[wasm_bindgen_test]
async fn the_workspace_document_is_stored_without_a_summary_and_waits_in_the_outbox() {
    use tend_core::workspace::{Organisation, WorkspaceDoc, WorkspaceOp};
    let storage = fresh("test-sync-workspace").await;
    assert!(matches!(
        storage.load_workspace().await,
        Err(tend::storage::StorageError::NotFound(_))
    ));
    let mut doc = WorkspaceDoc::new();
    doc.apply(
        WorkspaceOp::AddOrganisation {
            organisation: Organisation {
                id: "org-1".into(),
                name: "Eastside Food Bank".into(),
                ..Default::default()
            },
        },
        &author("a"),
        5,
    )
    .expect("add");
    // The first save holds the genesis too.
    storage
        .append_workspace_changes(&doc.save_incremental())
        .await
        .expect("store");
    let outbox = storage.outbox().await.expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].0, DocId::Workspace);
    let mut loaded = storage.load_workspace().await.expect("load").doc;
    assert_eq!(loaded.heads(), doc.heads());
    let record = loaded.record().expect("record");
    assert_eq!(record.organisations["org-1"].name, "Eastside Food Bank");
    // It is not a patient: the caseload does not list it.
    assert!(storage
        .caseload()
        .await
        .expect("caseload")
        .summaries
        .is_empty());

    // Joining a workspace puts it in the outbox again, with every patient.
    storage
        .record_acked(&DocId::Workspace, vec![], &outbox[0].1)
        .await
        .expect("ack");
    assert!(storage.outbox().await.expect("outbox").is_empty());
    storage.reset_sync_state().await.expect("reset");
    let outbox = storage.outbox().await.expect("outbox");
    assert_eq!(
        outbox.into_iter().map(|(d, _)| d).collect::<Vec<_>>(),
        vec![DocId::Workspace]
    );
}

/// Another device's edits of `doc` (dates of birth), one chunk per edit, as pulled (seqs from
/// `seq`); with the hashes of the changes.
fn their_edits(
    key: &WorkspaceKey,
    doc: &mut PatientDoc,
    values: &[&str],
    seq: u64,
) -> (Vec<PulledChunk>, Vec<String>) {
    let mut chunks = Vec::new();
    let mut hashes = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let before = doc.heads();
        doc.apply(
            tend_core::Op::SetDateOfBirth {
                date: tend_core::record::IsoDate::parse(value),
            },
            &author("b"),
            10 + i as i64,
        )
        .expect("their edit");
        let id = doc.record().expect("record").id;
        chunks.push(chunk(
            key,
            seq + i as u64,
            &id,
            &id,
            &doc.save_after(&before),
        ));
        hashes.extend(doc.heads().iter().map(|h| h.to_string()));
    }
    (chunks, hashes)
}

fn page_of(chunks: Vec<PulledChunk>) -> PullResponse {
    let last = chunks.last().map_or(0, |c| c.seq);
    PullResponse {
        chunks,
        next_cursor: last,
        more: false,
        head_seq: last,
        keys: Vec::new(),
    }
}

/// Prepares and writes one page of `chunks` as the pull loop does; what it reported.
async fn apply(storage: &Storage, key: &WorkspaceKey, chunks: Vec<PulledChunk>) -> Vec<String> {
    let prepared = pull::prepare(storage, &keys(key), "this-device", page_of(chunks), today())
        .await
        .expect("prepare");
    storage
        .apply_pulled_page(&prepared.page(vec![]))
        .await
        .expect("apply");
    prepared.problems()
}

/// A fresh database holding one patient created here (so with a snapshot: pulled changes to it
/// take the fast path).
async fn one_patient(db: &str) -> (Storage, WorkspaceKey, PatientId, DocId, PatientDoc) {
    let storage = fresh(db).await;
    let id = PatientId::random();
    let mut local = PatientDoc::create(&id, name("Rosa", "Diaz"), &author("a"), 1).expect("create");
    storage.create_patient(&mut local).await.expect("store");
    let doc_id = DocId::Patient(id.clone());
    (
        storage,
        WorkspaceKey::from_bytes([7; 32]),
        id,
        doc_id,
        local,
    )
}

#[wasm_bindgen_test]
async fn received_changes_are_appended_unmerged_acknowledged_and_settled_after() {
    let (storage, key, id, doc_id, mut local) = one_patient("test-sync-append").await;
    // Pushed: the relay has the creation.
    let marker = storage.outbox().await.expect("outbox")[0].1.clone();
    let base: Vec<String> = local.heads().iter().map(|h| h.to_string()).collect();
    storage
        .record_acked(&doc_id, base.clone(), &marker)
        .await
        .expect("ack");
    let chunks_before = storage.chunk_count(id.as_str()).await.expect("count");

    // Two changes from another device, in two chunks.
    let mut theirs = PatientDoc::load(&local.save()).expect("copy");
    let (mut chunks, received) = their_edits(&key, &mut theirs, &["1950-03-01", "1950-03-02"], 1);
    // An edit that changed nothing saves as nothing: it does not force the slow path.
    chunks.push(chunk(&key, 9, id.as_str(), id.as_str(), &[]));
    let prepared = pull::prepare(
        &storage,
        &keys(&key),
        "this-device",
        page_of(chunks),
        today(),
    )
    .await
    .expect("prepare");
    let merged = prepared.merged();
    assert_eq!(merged.len(), 1);
    assert!(merged[0].summary.is_none(), "no summary on the fast path");
    assert_eq!(merged[0].chunks.len(), 2);
    let page = prepared.page(vec![]);
    assert!(
        page.stamps.is_empty(),
        "an append does not depend on what is stored"
    );
    storage.apply_pulled_page(&page).await.expect("apply");

    // One chunk for both, the patient stale, the received hashes acknowledged, nothing to push.
    assert_eq!(
        storage.chunk_count(id.as_str()).await.expect("count"),
        chunks_before + 1
    );
    assert!(storage.is_stale(&doc_id).await.expect("stale"));
    let acked = storage.doc_sync(&doc_id).await.expect("sync").acked_heads;
    assert_eq!(acked, [base.clone(), received.clone()].concat());
    assert!(storage.outbox().await.expect("outbox").is_empty());
    let record = record_of(&storage, &id).await;
    assert_eq!(
        record.profile.date_of_birth.as_ref().map(|d| d.as_str()),
        Some("1950-03-02")
    );
    assert_eq!(
        storage.caseload().await.expect("caseload").summaries[0].date_of_birth,
        None,
        "the row is as before until settled"
    );

    // A settle raced by a save here writes nothing...
    let stamp = storage.doc_stamp(&doc_id).await.expect("stamp");
    let mut mine = storage.load_patient(&id).await.expect("load").doc;
    let stale_summary = mine.summary_on(today()).expect("summary");
    let before = mine.heads();
    mine.rename(name("Rosa", "Díaz-Ortiz"), &author("a"), 20)
        .expect("rename");
    storage
        .append_changes(
            &id,
            &mine.save_after(&before),
            &mine.summary_on(today()).expect("summary"),
        )
        .await
        .expect("local save");
    assert!(!storage
        .settle_summary(&id, &stamp, &stale_summary, vec![])
        .await
        .expect("settle"));
    assert_eq!(names(&storage).await, vec!["Díaz-Ortiz, Rosa"]);
    assert!(storage.is_stale(&doc_id).await.expect("stale"));

    // ...and settling loads again: both edits in the row; a local change waits, so the
    // acknowledged heads stay what the relay has.
    let mut problems = Vec::new();
    let settled = settle::settle(&storage, &id, today(), &mut problems)
        .await
        .expect("settle");
    let Settled::Summary(summary) = settled else {
        panic!("not settled: {settled:?}");
    };
    assert_eq!(summary.display_name, "Díaz-Ortiz, Rosa");
    assert_eq!(summary.date_of_birth.as_deref(), Some("1950-03-02"));
    assert!(!storage.is_stale(&doc_id).await.expect("stale"));
    assert_eq!(
        storage.caseload().await.expect("caseload").summaries[0]
            .date_of_birth
            .as_deref(),
        Some("1950-03-02")
    );
    assert_eq!(
        storage.doc_sync(&doc_id).await.expect("sync").acked_heads,
        [base, received].concat()
    );

    // Once that change is pushed, the next settle sums the acknowledgement up as the heads.
    let marker = storage.outbox().await.expect("outbox")[0].1.clone();
    let heads: Vec<String> = mine.heads().iter().map(|h| h.to_string()).collect();
    storage
        .record_acked(&doc_id, heads, &marker)
        .await
        .expect("ack");
    theirs.apply_changes(&mine.save()).expect("they get it");
    let (chunks, _) = their_edits(&key, &mut theirs, &["1950-03-03"], 3);
    apply(&storage, &key, chunks).await;
    settle::settle(&storage, &id, today(), &mut problems)
        .await
        .expect("settle");
    let now: Vec<String> = theirs.heads().iter().map(|h| h.to_string()).collect();
    assert_eq!(
        storage.doc_sync(&doc_id).await.expect("sync").acked_heads,
        now
    );
    assert!(problems.is_empty(), "{problems:?}");
    storage.close();
}

#[wasm_bindgen_test]
async fn received_changes_that_leave_the_record_unreadable_are_set_aside_when_settling() {
    let (storage, key, id, doc_id, mut local) = one_patient("test-sync-append-bad").await;

    // A well-formed Automerge change (it passes the fast path's checks) from a faulty device: the
    // patient's name becomes a number, which no Tend record reads.
    let mut raw = automerge::AutoCommit::load(&local.save()).expect("raw");
    let base = raw.get_heads();
    automerge::transaction::Transactable::put(&mut raw, automerge::ROOT, "name", 42_i64)
        .expect("put");
    let bad = raw.save_after(&base);
    apply(
        &storage,
        &key,
        vec![chunk(&key, 1, id.as_str(), id.as_str(), &bad)],
    )
    .await;
    assert!(storage.is_stale(&doc_id).await.expect("stale"));

    let mut problems = Vec::new();
    let settled = settle::settle(&storage, &id, today(), &mut problems)
        .await
        .expect("settle");
    assert!(matches!(settled, Settled::Summary(ref s) if s.display_name == "Diaz, Rosa"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("set aside"), "{problems:?}");
    // Kept for support, not deleted; the record reads as before; compaction leaves it alone.
    assert_eq!(storage.quarantined_count().await.expect("count"), 1);
    assert!(storage
        .has_quarantined(id.as_str())
        .await
        .expect("quarantine"));
    assert!(!storage.is_stale(&doc_id).await.expect("stale"));
    let record = record_of(&storage, &id).await;
    assert_eq!(record.name.family, "Diaz");
    storage.close();
}

/// A snapshot of `doc` as a compacting device pushes it, carrying `summary` (and the doc's heads).
fn snapshot_carrying(
    key: &WorkspaceKey,
    seq: u64,
    doc: &mut PatientDoc,
    summary: Option<tend_core::PatientSummary>,
) -> PulledChunk {
    let id = doc.record().expect("record").id;
    let carried = summary.map(|summary| Carried {
        summary,
        heads: doc.heads().iter().map(|h| h.to_string()).collect(),
    });
    let plain = snapshot_plain(&doc.save(), carried.as_ref());
    PulledChunk {
        seq,
        doc_id: id.clone(),
        kind: ChunkKind::Snapshot,
        covers_seq: Some(seq - 1),
        device_id: "other-device".into(),
        ciphertext: crypto::seal(key, WS, &id, ChunkKind::Snapshot, &plain).expect("seal"),
    }
}

#[wasm_bindgen_test]
async fn a_patient_new_here_is_stored_whole_and_listed_with_the_summary_its_snapshot_carries() {
    let storage = fresh("test-sync-whole").await;
    let key = WorkspaceKey::from_bytes([7; 32]);
    let id = PatientId::random();
    let doc_id = DocId::Patient(id.clone());
    let mut theirs =
        PatientDoc::create(&id, name("Rosa", "Diaz"), &author("b"), 1).expect("create");
    // What the other device computed when it compacted, told apart from what this device computes.
    let mut carried = theirs.summary_on(today()).expect("summary");
    carried.display_name = "Diaz, Rosa (as carried)".into();
    let snapshot = snapshot_carrying(&key, 5, &mut theirs, Some(carried));
    let (edits, edit_hashes) = their_edits(&key, &mut theirs, &["1950-03-04"], 6);
    let problems = apply(&storage, &key, [vec![snapshot], edits].concat()).await;
    assert!(problems.is_empty(), "{problems:?}");

    // Listed at once with what the snapshot carried; stale until settled; nothing to push back.
    assert_eq!(names(&storage).await, vec!["Diaz, Rosa (as carried)"]);
    assert!(storage.is_stale(&doc_id).await.expect("stale"));
    assert!(storage.outbox().await.expect("outbox").is_empty());
    let acked = storage.doc_sync(&doc_id).await.expect("sync").acked_heads;
    assert!(acked.contains(&edit_hashes[0]), "{acked:?}");
    // The chart reads: the snapshot and the change after it.
    let record = record_of(&storage, &id).await;
    assert_eq!(record.name.family, "Diaz");
    assert_eq!(
        record.profile.date_of_birth.as_ref().map(|d| d.as_str()),
        Some("1950-03-04")
    );

    // Settling recomputes the row from the document.
    let mut problems = Vec::new();
    let settled = settle::settle(&storage, &id, today(), &mut problems)
        .await
        .expect("settle");
    assert!(matches!(settled, Settled::Summary(_)), "{settled:?}");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(names(&storage).await, vec!["Diaz, Rosa"]);
    assert!(!storage.is_stale(&doc_id).await.expect("stale"));
    let heads: Vec<String> = theirs.heads().iter().map(|h| h.to_string()).collect();
    assert_eq!(
        storage.doc_sync(&doc_id).await.expect("sync").acked_heads,
        heads
    );
    storage.close();
}

#[wasm_bindgen_test]
async fn a_carried_summary_that_is_not_the_patient_s_or_a_snapshot_that_does_not_load_is_never_listed_for_long(
) {
    let storage = fresh("test-sync-whole-bad").await;
    let key = WorkspaceKey::from_bytes([7; 32]);
    // A summary carried for another patient: not used, the patient is merged the slow way and
    // listed under its own name.
    let id = PatientId::random();
    let mut theirs =
        PatientDoc::create(&id, name("Rosa", "Diaz"), &author("b"), 1).expect("create");
    let other = PatientId::random();
    let elsewhere =
        PatientDoc::create(&other, name("Ana", "Lopez"), &author("b"), 1).expect("create");
    let wrong = elsewhere.summary_on(today()).expect("summary");
    let problems = apply(
        &storage,
        &key,
        vec![snapshot_carrying(&key, 1, &mut theirs, Some(wrong))],
    )
    .await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(names(&storage).await, vec!["Diaz, Rosa"]);
    assert!(!storage
        .is_stale(&DocId::Patient(id.clone()))
        .await
        .expect("stale"));

    // A snapshot whose document does not load, carrying a summary: listed, then settling finds
    // nothing readable (the snapshot is set aside), reports it and stops settling it.
    let broken = PatientId::random();
    let mut doc =
        PatientDoc::create(&broken, name("Eva", "Marsh"), &author("b"), 1).expect("create");
    let summary = doc.summary_on(today()).expect("summary");
    let plain = snapshot_plain(
        b"\x85\x6f\x4a\x83 not a document",
        Some(&Carried {
            summary,
            heads: doc.heads().iter().map(|h| h.to_string()).collect(),
        }),
    );
    let chunk = PulledChunk {
        seq: 2,
        doc_id: broken.to_string(),
        kind: ChunkKind::Snapshot,
        covers_seq: Some(1),
        device_id: "other-device".into(),
        ciphertext: crypto::seal(&key, WS, broken.as_str(), ChunkKind::Snapshot, &plain)
            .expect("seal"),
    };
    let problems = apply(&storage, &key, vec![chunk]).await;
    assert!(problems.is_empty(), "{problems:?}");
    let doc_id = DocId::Patient(broken.clone());
    assert!(storage.is_stale(&doc_id).await.expect("stale"));
    let mut problems = Vec::new();
    let settled = settle::settle(&storage, &broken, today(), &mut problems)
        .await
        .expect("settle");
    assert!(matches!(settled, Settled::Gone), "{settled:?}");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        !storage.is_stale(&doc_id).await.expect("stale"),
        "settled once, not again and again"
    );
    assert_eq!(storage.quarantined_count().await.expect("count"), 1);
    storage.close();
}

#[wasm_bindgen_test]
async fn another_device_s_snapshot_of_what_is_stored_here_is_skipped_and_only_later_changes_appended(
) {
    let (storage, key, id, doc_id, mut local) = one_patient("test-sync-their-snapshot").await;
    let marker = storage.outbox().await.expect("outbox")[0].1.clone();
    let base: Vec<String> = local.heads().iter().map(|h| h.to_string()).collect();
    storage
        .record_acked(&doc_id, base, &marker)
        .await
        .expect("ack");
    let chunks_before = storage.chunk_count(id.as_str()).await.expect("count");

    // Another device compacted the patient as this device has it, then edited it.
    let mut theirs = PatientDoc::load(&local.save()).expect("their copy");
    let summary = theirs.summary_on(today()).expect("summary");
    let snapshot = snapshot_carrying(&key, 2, &mut theirs, Some(summary.clone()));
    let (edits, _) = their_edits(&key, &mut theirs, &["1950-03-05"], 3);
    let prepared = pull::prepare(
        &storage,
        &keys(&key),
        "this-device",
        page_of([vec![snapshot], edits].concat()),
        today(),
    )
    .await
    .expect("prepare");
    let merged = prepared.merged();
    assert_eq!(merged.len(), 1);
    assert!(merged[0].summary.is_none(), "appended, not merged");
    assert_eq!(merged[0].chunks.len(), 1, "only the change after it");
    storage
        .apply_pulled_page(&prepared.page(vec![]))
        .await
        .expect("apply");
    assert!(storage.is_stale(&doc_id).await.expect("stale"));
    assert_eq!(
        storage.chunk_count(id.as_str()).await.expect("count"),
        chunks_before + 1,
        "the change after the snapshot, nothing else"
    );
    let record = record_of(&storage, &id).await;
    assert_eq!(
        record.profile.date_of_birth.as_ref().map(|d| d.as_str()),
        Some("1950-03-05")
    );

    // A snapshot holding something this device does not have is merged the slow way.
    let (more, _) = their_edits(&key, &mut theirs, &["1950-03-06"], 4);
    drop(more);
    let newer = snapshot_carrying(&key, 5, &mut theirs, Some(summary));
    let prepared = pull::prepare(
        &storage,
        &keys(&key),
        "this-device",
        page_of(vec![newer]),
        today(),
    )
    .await
    .expect("prepare");
    assert!(
        prepared.merged()[0].summary.is_some(),
        "loaded, merged and summarised"
    );
    storage
        .apply_pulled_page(&prepared.page(vec![]))
        .await
        .expect("apply");
    let record = record_of(&storage, &id).await;
    assert_eq!(
        record.profile.date_of_birth.as_ref().map(|d| d.as_str()),
        Some("1950-03-06")
    );
    storage.close();
}

/// Sets a patient's preferred language in `doc` and stores the change as an edit would.
async fn edit_language(
    storage: &Storage,
    id: &PatientId,
    doc: &mut PatientDoc,
    language: &str,
    at: i64,
) -> Result<(), tend::storage::StorageError> {
    doc.apply(
        tend_core::ops::Op::SetProfileText {
            field: tend_core::ops::ProfileField::PreferredLanguage,
            value: language.into(),
        },
        &author("a"),
        at,
    )
    .expect("edit");
    let summary = doc.summary_on(today()).expect("summary");
    storage
        .append_changes(id, &doc.save_incremental(), &summary)
        .await
}

/// An empty pull page with only bookkeeping.
fn bookkeeping(
    next_cursor: Option<u64>,
    to_fetch: Vec<String>,
    fetched: Vec<String>,
) -> tend::storage::sync_state::PulledPage {
    tend::storage::sync_state::PulledPage {
        docs: vec![],
        set_aside: vec![],
        next_cursor,
        stamps: vec![],
        relay_logs: vec![],
        doc_keys: vec![],
        to_fetch,
        fetched,
    }
}

#[wasm_bindgen_test]
async fn fetch_marks_are_written_with_a_page_and_a_fetched_document_leaves_the_cursor_alone() {
    let storage = fresh("test-sync-fetch-marks").await;
    let (a, b) = ("patient-a".to_string(), "patient-b".to_string());
    storage
        .apply_pulled_page(&bookkeeping(Some(10), vec![a.clone(), b.clone()], vec![]))
        .await
        .expect("page");
    let mut marked = storage.docs_to_fetch().await.expect("marks");
    marked.sort();
    assert_eq!(marked, vec![a.clone(), b.clone()]);
    assert_eq!(storage.sync_cursor().await.expect("cursor"), 10);
    // A document fetched whole: its mark goes, the cursor stays where the feed left it.
    storage
        .apply_pulled_page(&bookkeeping(None, vec![], vec![a.clone()]))
        .await
        .expect("fetched");
    assert_eq!(
        storage.docs_to_fetch().await.expect("marks"),
        vec![b.clone()]
    );
    assert_eq!(storage.sync_cursor().await.expect("cursor"), 10);
    storage.clear_to_fetch(&b).await.expect("clear");
    assert!(storage.docs_to_fetch().await.expect("marks").is_empty());
    storage.close();
}

#[wasm_bindgen_test]
async fn a_patient_taken_off_the_device_leaves_nothing_but_its_keys_and_never_with_unsynced_changes(
) {
    let db = "test-sync-remove-patient";
    let storage = fresh(db).await;
    let (id, other) = (PatientId::random(), PatientId::random());
    let doc_id = DocId::Patient(id.clone());
    for (pid, given) in [(&id, "Rosa"), (&other, "Ana")] {
        let mut doc =
            PatientDoc::create(pid, name(given, "Diaz"), &author("a"), 1).expect("create");
        storage.create_patient(&mut doc).await.expect("store");
    }
    let mut doc = storage.load_patient(&id).await.expect("load").doc;
    edit_language(&storage, &id, &mut doc, "Spanish", 2)
        .await
        .expect("append");
    let keys_state = tend_core::keys::DocKeyState::default();
    storage
        .set_doc_key_state(id.as_str(), &keys_state)
        .await
        .expect("keys");
    // Changes the relay never acknowledged: not removed.
    let stamp = storage.doc_stamp(&doc_id).await.expect("stamp");
    assert!(matches!(
        storage.remove_patient(&doc_id, &stamp).await,
        Err(tend::storage::StorageError::ChangedMeanwhile(_))
    ));
    assert_eq!(names(&storage).await, vec!["Diaz, Ana", "Diaz, Rosa"]);
    for (pending, token) in storage.outbox().await.expect("outbox") {
        storage
            .record_acked(&pending, vec![], &token)
            .await
            .expect("ack");
    }
    // Written since the stamp was taken: not removed either.
    let stale = storage.doc_stamp(&doc_id).await.expect("stamp");
    storage
        .record_acked(&doc_id, vec!["aa".into()], "no-marker")
        .await
        .expect("ack again");
    assert!(storage.remove_patient(&doc_id, &stale).await.is_err());
    let stamp = storage.doc_stamp(&doc_id).await.expect("stamp");
    storage
        .remove_patient(&doc_id, &stamp)
        .await
        .expect("removed");
    assert_eq!(names(&storage).await, vec!["Diaz, Ana"]);
    assert!(matches!(
        storage.load_patient(&id).await,
        Err(tend::storage::StorageError::NotFound(_))
    ));
    assert_eq!(
        storage.doc_stamp(&doc_id).await.expect("stamp"),
        Default::default(),
        "no snapshot, chunk or sync row is left"
    );
    assert!(storage
        .doc_key_states()
        .await
        .expect("keys")
        .contains_key(id.as_str()));
    // An edit from a chart still open on Rosa is refused: changes without the record they
    // apply to would be a patient stored in part. Nothing is written, nothing waits to be pushed.
    assert!(matches!(
        edit_language(&storage, &id, &mut doc, "Tagalog", 3).await,
        Err(tend::storage::StorageError::NotOnDevice(_))
    ));
    assert_eq!(
        storage.doc_stamp(&doc_id).await.expect("stamp"),
        Default::default(),
        "still nothing of Rosa"
    );
    assert!(storage.outbox().await.expect("outbox").is_empty());
    assert_eq!(names(&storage).await, vec!["Diaz, Ana"]);
    // Given back later, Rosa is received whole; then her chart saves again.
    let mut page = bookkeeping(None, vec![], vec![]);
    let mut whole = PatientDoc::create(&id, name("Rosa", "Diaz"), &author("b"), 5).expect("create");
    page.docs
        .push(tend::storage::sync_state::PulledDocWrite::New {
            id: doc_id.clone(),
            snapshot: whole.save(),
            summary: Some(whole.summary_on(today()).expect("summary")),
            sync: DocSync::default(),
        });
    storage.apply_pulled_page(&page).await.expect("received");
    edit_language(&storage, &id, &mut whole, "Tagalog", 6)
        .await
        .expect("saved once Rosa is back");
    let outbox: Vec<DocId> = storage
        .outbox()
        .await
        .expect("outbox")
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(outbox, vec![doc_id.clone()]);
    for (pending, token) in storage.outbox().await.expect("outbox") {
        storage
            .record_acked(&pending, vec![], &token)
            .await
            .expect("ack");
    }
    let stamp = storage.doc_stamp(&doc_id).await.expect("stamp");
    storage
        .remove_patient(&doc_id, &stamp)
        .await
        .expect("removed again");
    // Ana, still here, is edited as before.
    let mut ana = storage.load_patient(&other).await.expect("load Ana").doc;
    edit_language(&storage, &other, &mut ana, "Spanish", 4)
        .await
        .expect("Ana's change is stored");
    // The caseload as the next start reads it (cache and log) agrees.
    storage.close();
    let reopened = Storage::open(db).await.expect("reopen");
    assert_eq!(names(&reopened).await, vec!["Diaz, Ana"]);
    reopened.close();
}
