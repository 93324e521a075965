//! The browser sync benchmark's no-network baseline (issue 18), in headless Chromium with real
//! IndexedDB. Ignored by default: the browser test layer compiles it but does not run it;
//! `cargo xtask bench sync` runs it with `--include-ignored --nocapture bench_` and reads the one
//! `BENCH_JSON {...}` line it logs.
//!
//! The same workload as the browser measure (`tests/support/sync_workload.rs`: 200 patients with a
//! year of history, which A's compaction leaves on the relay as one snapshot per patient carrying
//! its summary, as the seeder does; then 25 changes to each, one chunk per change), sealed with the
//! workspace key as device A seals it and laid out as the relay's pull pages (`PULL_PAGE_CHUNKS`,
//! JSON with base64 ciphertext, as the relay sends them). Timed, page by page, with no network and
//! no UI: the app's own sync path — parse the page (`serde_json`, as `sync::net` does), decrypt it
//! and gather pages into batches (`PullBatch`), `sync::pull::prepare_batch` (patients new here
//! stored whole with their carried summaries, patients' changes appended unmerged) and
//! `Storage::apply_pulled_page` (one IndexedDB transaction per batch, keyed seal as on a
//! locked-down device):
//! - a new device: the snapshots' pages into an empty database;
//! - catch-up: then the 5,000 changes' pages into that database;
//! - settling after each (not part of either: the app does it after "Synced", in the background):
//!   the 200 patients' summaries recomputed from their stored documents, reported as `settle_ms`.
//!
//! The bytes are the same workload's, not the very bytes of the browser run: the envelopes carry
//! fresh random nonces and the documents their own Automerge actors, so sizes match to a few bytes.
#![cfg(target_arch = "wasm32")]

#[path = "support/common.rs"]
mod common;
#[path = "support/sync_workload.rs"]
mod workload;

use base64::Engine as _;
use common::{console_log, perf_now};
use tend::storage::{Seal, Storage};
use tend_core::crypto::{self, WorkspaceKey};
use tend_core::sync::{snapshot_plain, Carried};
use tend_core::sync_wire::{ChunkKind, PullResponse};
use wasm_bindgen_test::*;
use workload::*;

wasm_bindgen_test_configure!(run_in_browser);

const DB: &str = "bench-sync";
/// Chunks per page, as the app asks for them.
const PAGE: usize = tend::sync::net::PULL_PAGE_CHUNKS as usize;
/// Each run takes minutes on a 2-core machine (the app's path is the bottleneck, not the network).
const RUNS: usize = 2;
const WORKSPACE: &str = "0123456789abcdef0123456789abcdef";
const DEVICE_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DEVICE_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The middle value (the mean of the two middle ones for an even count).
fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    (s[(n - 1) / 2] + s[n / 2]) / 2.0
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Sealed chunks (doc id, envelope) of one kind laid out as pull pages of `PAGE`, seqs from
/// `first_seq` (a snapshot covers the seqs before it).
fn pages(chunks: &[(String, Vec<u8>)], kind: &str, first_seq: u64) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let head = first_seq + chunks.len() as u64 - 1;
    chunks
        .chunks(PAGE)
        .enumerate()
        .map(|(p, page)| {
            let start = first_seq + (p * PAGE) as u64;
            let rows: Vec<serde_json::Value> = page
                .iter()
                .enumerate()
                .map(|(i, (doc, env))| {
                    let seq = start + i as u64;
                    serde_json::json!({
                        "seq": seq,
                        "doc_id": doc,
                        "kind": kind,
                        "covers_seq": (kind == "snapshot").then_some(seq - 1),
                        "device_id": DEVICE_A,
                        "ciphertext": b64.encode(env),
                    })
                })
                .collect();
            let last = start + page.len() as u64 - 1;
            serde_json::json!({"chunks": rows, "next_cursor": last, "more": last < head, "head_seq": head})
                .to_string()
        })
        .collect()
}

/// Parse + prepare + apply as the app's pull loop does (pages gathered into batches, each batch
/// merged and written at once); returns milliseconds.
async fn apply_pages(storage: &Storage, key: &WorkspaceKey, pages: &[String]) -> f64 {
    let today = tend::clock::today();
    let t = perf_now();
    let mut texts = pages.iter();
    let mut next = texts.next();
    while next.is_some() {
        let mut batch = tend_core::sync::PullBatch::new(0);
        while let Some(text) = next {
            next = texts.next();
            let page: PullResponse = serde_json::from_str(text).expect("page parses");
            let keys = tend_core::sync::keys::Keychain::new(WORKSPACE, Some(key.clone()));
            let open = |chunks| tend_core::sync::open_page(&keys, DEVICE_B, chunks);
            if batch.add(page, open) {
                break;
            }
        }
        let prepared = tend::sync::pull::prepare_batch(storage, batch.finish(), today)
            .await
            .expect("prepare");
        assert!(prepared.problems().is_empty(), "{:?}", prepared.problems());
        storage
            .apply_pulled_page(&prepared.page(vec![]))
            .await
            .expect("apply page");
    }
    perf_now() - t
}

/// Settles every stale patient (as the app does after a round); returns milliseconds.
async fn settle_all(storage: &Storage) -> f64 {
    let t = perf_now();
    let stale = storage.stale_patients().await.expect("stale");
    assert_eq!(
        stale.len(),
        PATIENTS,
        "every patient was stored without loading it"
    );
    for id in &stale {
        let mut problems = Vec::new();
        let settled = tend::sync::settle::settle(storage, id, tend::clock::today(), &mut problems)
            .await
            .expect("settle");
        assert!(
            matches!(settled, tend::sync::settle::Settled::Summary(_)) && problems.is_empty(),
            "{settled:?} {problems:?}"
        );
    }
    perf_now() - t
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run by cargo xtask bench"]
async fn bench_sync_apply() {
    console_error_panic_hook::set_once();
    let key = WorkspaceKey::from_bytes([0x17; 32]);
    let seal_as = |kind: ChunkKind, doc: &str, plain: &[u8]| {
        crypto::seal(&key, WORKSPACE, doc, kind, plain).expect("seal")
    };
    let seal = |doc: &str, plain: &[u8]| seal_as(ChunkKind::Change, doc, plain);

    // Device A's workload, built here with the seeder's code: history, then one round of edits.
    let t = perf_now();
    let mut history = Vec::new();
    let mut history_changes = 0;
    let mut docs = Vec::with_capacity(PATIENTS);
    for i in 0..PATIENTS {
        let (id, name) = identity(SEED, i);
        let (mut doc, changes) = patient_with_history(&id, name);
        history_changes += changes.len();
        // What the relay keeps after A's compaction (`Engine::compact`; the seeder does the same):
        // one snapshot per patient, carrying its summary.
        let carried = Carried {
            summary: doc.summary_on(tend::clock::today()).expect("summary"),
            heads: doc.heads().iter().map(|h| h.to_string()).collect(),
        };
        let plain = snapshot_plain(&doc.save(), Some(&carried));
        history.push((
            id.to_string(),
            seal_as(ChunkKind::Snapshot, id.as_str(), &plain),
        ));
        docs.push((id, doc));
        // Minutes of work: let the page answer the test runner (ChromeDriver gives up after 30 s).
        common::wait_ms(0).await;
    }
    let mut edits = Vec::with_capacity(PATIENTS * EDITS_PER_PATIENT);
    let mut rng = edit_rng(SEED, 0);
    for k in 0..EDITS_PER_PATIENT {
        for (i, (id, doc)) in docs.iter_mut().enumerate() {
            let before = doc.heads();
            doc.apply(edit_op(&mut rng, i, 0, k), &editor(), edit_at(0, k))
                .expect("edit");
            edits.push((id.to_string(), seal(id.as_str(), &doc.save_after(&before))));
        }
        common::wait_ms(0).await;
    }
    let history_pages = pages(&history, "snapshot", history_changes as u64 + 1);
    let edit_pages = pages(
        &edits,
        "change",
        (history_changes + history.len()) as u64 + 1,
    );
    let build_ms = perf_now() - t;
    let text_bytes = |p: &[String]| p.iter().map(String::len).sum::<usize>();
    let envelope_bytes = |c: &[(String, Vec<u8>)]| c.iter().map(|(_, e)| e.len()).sum::<usize>();

    let (mut new_ms, mut catch_ms) = (Vec::new(), Vec::new());
    let (mut new_settle_ms, mut settle_ms) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        Storage::delete(DB)
            .await
            .expect("delete old bench database");
        let storage = Storage::open_with(
            DB,
            Seal::with_key(tend_core::lock::DataKey::from_bytes([0x42; 32])),
        )
        .await
        .expect("open bench database");
        new_ms.push(apply_pages(&storage, &key, &history_pages).await);
        assert_eq!(
            storage.caseload().await.expect("caseload").summaries.len(),
            PATIENTS,
            "every patient is listed before it is settled"
        );
        new_settle_ms.push(settle_all(&storage).await);
        catch_ms.push(apply_pages(&storage, &key, &edit_pages).await);
        settle_ms.push(settle_all(&storage).await);
        assert_eq!(
            storage.caseload().await.expect("caseload").summaries.len(),
            PATIENTS
        );
        storage.close();
    }
    let out = serde_json::json!({
        "new_device": {
            "ms": round(median(&new_ms)),
            "runs": new_ms.iter().map(|v| round(*v)).collect::<Vec<_>>(),
            "settle_ms": round(median(&new_settle_ms)),
            "chunks": history.len(),
            "changes_compacted": history_changes,
            "pages": history_pages.len(),
            "page_json_bytes": text_bytes(&history_pages),
            "envelope_bytes": envelope_bytes(&history),
        },
        "catch_up": {
            "ms": round(median(&catch_ms)),
            "runs": catch_ms.iter().map(|v| round(*v)).collect::<Vec<_>>(),
            "chunks": edits.len(),
            "pages": edit_pages.len(),
            "settle_ms": round(median(&settle_ms)),
            "page_json_bytes": text_bytes(&edit_pages),
            "envelope_bytes": envelope_bytes(&edits),
        },
        "build_workload_ms": round(build_ms),
    });
    console_log(&format!("BENCH_JSON {out}"));
}
