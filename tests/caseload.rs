//! The caseload cache in real IndexedDB (headless Chromium): start-up reads one cache record plus
//! the summaries logged since it, and always lists exactly what the summary rows say — after edits,
//! after another tab's writes, and when the cache is missing or damaged.
#![cfg(target_arch = "wasm32")]

#[path = "support/common.rs"]
mod common;

use common::{
    author, fresh, name, remove_caseload_cache as remove_cache, rename_and_save, wait_ms,
};
use leptos::prelude::*;
use rexie::TransactionMode;
use tend::storage::{schema, CacheRebuild, CacheState, Caseload, Storage, CASELOAD_CACHE_KEY};
use tend_core::{PatientDoc, PatientId, PatientSummary};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn add_patients(storage: &Storage, families: &[&str]) -> Vec<(PatientId, PatientDoc)> {
    let mut out = Vec::new();
    for (i, family) in families.iter().enumerate() {
        let id = PatientId::random();
        let mut doc =
            PatientDoc::create(&id, name("Rosa", family), &author(), 1 + i as i64).expect("create");
        storage.create_patient(&mut doc).await.expect("store");
        out.push((id, doc));
    }
    out
}

fn names(list: &Caseload) -> Vec<String> {
    list.summaries
        .iter()
        .map(|s| s.display_name.clone())
        .collect()
}

/// The list read from every row, ignoring the cache (what the cache must always agree with).
async fn rows_only(db: &str) -> Vec<PatientSummary> {
    remove_cache(db).await;
    let storage = Storage::open(db).await.expect("open");
    let list = storage.caseload().await.expect("caseload");
    assert_eq!(list.cache, CacheState::Missing);
    storage.close();
    list.summaries
}

async fn log_entries(db: &str) -> u32 {
    let raw = schema::builder(db).build().await.expect("raw open");
    let tx = raw
        .transaction(&[schema::CASELOAD_LOG], TransactionMode::ReadOnly)
        .expect("tx");
    let n = tx
        .store(schema::CASELOAD_LOG)
        .expect("store")
        .count(None)
        .await
        .expect("count");
    tx.done().await.expect("done");
    raw.close();
    n
}

#[wasm_bindgen_test]
async fn start_up_reads_the_cache_and_the_writes_logged_since() {
    let db = "test-caseload-cache";
    let storage = fresh(db).await;
    let mut patients = add_patients(&storage, &["Diaz", "Byrne", "Okafor"]).await;

    let first = storage.caseload().await.expect("caseload");
    assert_eq!(first.cache, CacheState::Missing, "no cache yet");
    assert_eq!(names(&first), ["Byrne, Rosa", "Diaz, Rosa", "Okafor, Rosa"]);
    assert_eq!(log_entries(db).await, 3, "every summary write is logged");

    assert_eq!(
        storage.rebuild_caseload_cache().await.expect("rebuild"),
        CacheRebuild::Written { covers: 3 }
    );
    assert_eq!(
        log_entries(db).await,
        0,
        "the log is trimmed to what the cache lacks"
    );
    let cached = storage.caseload().await.expect("caseload");
    assert_eq!(cached.cache, CacheState::Fresh);
    assert_eq!(cached.summaries, first.summaries);
    assert_eq!(
        storage.rebuild_caseload_cache().await.expect("rebuild"),
        CacheRebuild::UpToDate
    );

    // Edits after the cache: a rename (twice for one patient) and a new patient.
    let (id, doc) = &mut patients[0];
    rename_and_save(&storage, id, doc, "Abbott", 10_000).await;
    rename_and_save(&storage, id, doc, "Zeller", 10_001).await;
    add_patients(&storage, &["Mensah"]).await;
    let behind = storage.caseload().await.expect("caseload");
    assert_eq!(behind.cache, CacheState::Behind(3));
    assert_eq!(
        names(&behind),
        [
            "Byrne, Rosa",
            "Mensah, Rosa",
            "Okafor, Rosa",
            "Zeller, Rosa"
        ]
    );
    storage.close();
    assert_eq!(behind.summaries, rows_only(db).await);
}

#[wasm_bindgen_test]
async fn a_rebuild_includes_what_another_tab_wrote() {
    let db = "test-caseload-two-tabs";
    let tab_a = fresh(db).await;
    let tab_b = Storage::open(db).await.expect("second tab");
    add_patients(&tab_a, &["Diaz"]).await;
    tab_a.rebuild_caseload_cache().await.expect("rebuild");

    // Tab B writes; tab A, which never saw that write, rebuilds: the rows decide, not A's memory.
    let mut from_b = add_patients(&tab_b, &["Byrne"]).await;
    let (id, doc) = &mut from_b[0];
    rename_and_save(&tab_b, id, doc, "Byrne-Hale", 10_000).await;
    assert_eq!(
        tab_a.rebuild_caseload_cache().await.expect("rebuild"),
        CacheRebuild::Written { covers: 3 }
    );
    tab_b.close();

    let listed = tab_a.caseload().await.expect("caseload");
    assert_eq!(listed.cache, CacheState::Fresh);
    assert_eq!(names(&listed), ["Byrne-Hale, Rosa", "Diaz, Rosa"]);
    tab_a.close();
    assert_eq!(listed.summaries, rows_only(db).await);
}

#[wasm_bindgen_test]
async fn a_damaged_cache_is_ignored_and_rebuilt() {
    let db = "test-caseload-damaged";
    let storage = fresh(db).await;
    add_patients(&storage, &["Diaz", "Byrne"]).await;
    storage.rebuild_caseload_cache().await.expect("rebuild");
    let good = storage.caseload().await.expect("caseload");
    storage.close();

    // Flip one byte of the sealed cache: the checksum no longer matches.
    let raw = schema::builder(db).build().await.expect("raw open");
    let tx = raw
        .transaction(&[schema::META], TransactionMode::ReadWrite)
        .expect("tx");
    let store = tx.store(schema::META).expect("store");
    let row = store
        .get(JsValue::from_str(CASELOAD_CACHE_KEY))
        .await
        .expect("get")
        .expect("the cache is stored");
    let value = js_sys::Reflect::get(&row, &"value".into()).expect("value");
    // The stored array itself (`Uint8Array::new` would copy it).
    let bytes: js_sys::Uint8Array = value.dyn_into().expect("bytes");
    bytes.set_index(
        bytes.length() / 2,
        bytes.get_index(bytes.length() / 2) ^ 0xff,
    );
    store.put(&row, None).await.expect("put damaged cache");
    assert!(tx.done().await.expect("done").is_committed());
    raw.close();

    let storage = Storage::open(db).await.expect("reopen");
    let listed = storage.caseload().await.expect("caseload");
    assert_eq!(listed.cache, CacheState::Missing, "read from the rows");
    assert_eq!(listed.unreadable, 0, "the patients' own summaries are fine");
    assert_eq!(listed.summaries, good.summaries);
    assert!(matches!(
        storage.rebuild_caseload_cache().await.expect("rebuild"),
        CacheRebuild::Written { .. }
    ));
    assert_eq!(
        storage.caseload().await.expect("caseload").cache,
        CacheState::Fresh
    );
    storage.close();
}

#[wasm_bindgen_test]
async fn no_cache_while_a_summary_row_is_damaged() {
    let db = "test-caseload-bad-row";
    let storage = fresh(db).await;
    let patients = add_patients(&storage, &["Diaz", "Byrne"]).await;
    storage.close();

    let raw = schema::builder(db).build().await.expect("raw open");
    let tx = raw
        .transaction(&[schema::SUMMARIES], TransactionMode::ReadWrite)
        .expect("tx");
    let row = js_sys::Object::new();
    js_sys::Reflect::set(
        &row,
        &"id".into(),
        &JsValue::from_str(patients[0].0.as_str()),
    )
    .expect("id");
    js_sys::Reflect::set(
        &row,
        &"bytes".into(),
        &js_sys::Uint8Array::from(&[1u8, 2, 3][..]),
    )
    .expect("bytes");
    tx.store(schema::SUMMARIES)
        .expect("store")
        .put(&row, None)
        .await
        .expect("put");
    assert!(tx.done().await.expect("done").is_committed());
    raw.close();

    // The cache would hide the damage from the next start; the full read reports it every time.
    let storage = Storage::open(db).await.expect("reopen");
    assert_eq!(
        storage.rebuild_caseload_cache().await.expect("rebuild"),
        CacheRebuild::NotNow
    );
    let listed = storage.caseload().await.expect("caseload");
    assert_eq!(listed.cache, CacheState::Missing);
    assert_eq!(listed.unreadable, 1);
    assert_eq!(names(&listed), ["Byrne, Rosa"]);
    storage.close();
}

#[wasm_bindgen_test]
async fn a_session_keeps_the_cache_fresh() {
    let db = "test-caseload-session";
    let storage = fresh(db).await;
    add_patients(&storage, &["Diaz", "Byrne"]).await;
    storage.close();

    // Opening without a cache lists from the rows, then rebuilds the cache in the background.
    let session = tend::session::Session::open(db).await.expect("session");
    assert_eq!(session.caseload.get_untracked().len(), 2);
    let storage = Storage::open(db).await.expect("second handle");
    let mut waited_ms = 0;
    while storage.caseload().await.expect("caseload").cache != CacheState::Fresh {
        assert!(
            waited_ms < 15_000,
            "the session never wrote the caseload cache"
        );
        wait_ms(50).await;
        waited_ms += 50;
    }
    // Many saves later, it has rebuilt again: start-up never has a long log to read.
    for i in 0..40 {
        session
            .add_patient(name("Sam", &format!("Lee{i:02}")))
            .await
            .expect("add");
    }
    let mut waited_ms = 0;
    loop {
        let listed = storage.caseload().await.expect("caseload");
        assert_eq!(listed.summaries.len(), 42);
        match listed.cache {
            CacheState::Behind(n) if n < 40 => break,
            CacheState::Fresh => break,
            _ => {}
        }
        assert!(
            waited_ms < 15_000,
            "the session never rebuilt the cache after many saves"
        );
        wait_ms(50).await;
        waited_ms += 50;
    }
    storage.close();
}
