//! Caseload summaries in real IndexedDB (headless Chromium): a summary an older build stored (JSON)
//! still lists the patient, is reported outdated, and the session recomputes it in the background —
//! without ever overwriting a newer summary.
#![cfg(target_arch = "wasm32")]

#[path = "support/common.rs"]
mod common;

use common::{author, wait_ms};
use js_sys::Uint8Array;
use leptos::prelude::*;
use rexie::TransactionMode;
use tend::session::Session;
use tend::storage::{schema, CacheState, Storage};
use tend_core::lock::Place;
use tend_core::ops::Op;
use tend_core::record::{Identifier, PersonName};
use tend_core::{PatientDoc, PatientId, PatientSummary};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A stored patient with an MRN, whose summary is then overwritten in the first builds' JSON form
/// without the identifiers (as an older build would have left it).
async fn patient_with_legacy_summary(db: &str, storage: &Storage) -> PatientId {
    let id = PatientId::random();
    let name = PersonName {
        given: "Rosa".into(),
        family: "Diaz".into(),
    };
    let mut doc = PatientDoc::create(&id, name, &author(), 1_000).expect("create");
    let mrn = Identifier {
        id: "mrn".into(),
        system: "mrn".into(),
        value: "A12345".into(),
        ..Default::default()
    };
    doc.apply(Op::AddIdentifier { identifier: mrn }, &author(), 2_000)
        .expect("add MRN");
    storage.create_patient(&mut doc).await.expect("store");

    let mut legacy = doc.summary().expect("summary");
    legacy.identifiers.clear();
    let json = serde_json::to_vec(&legacy).expect("json");
    let place = Place {
        store: schema::SUMMARIES,
        record_key: id.as_str(),
    };
    let sealed = storage.seal().seal(place, &json).expect("seal");
    let row = js_sys::Object::new();
    js_sys::Reflect::set(&row, &"id".into(), &JsValue::from_str(id.as_str())).expect("id");
    js_sys::Reflect::set(&row, &"bytes".into(), &Uint8Array::from(&sealed[..])).expect("bytes");
    let raw = schema::builder(db).build().await.expect("raw open");
    let tx = raw
        .transaction(&[schema::SUMMARIES], TransactionMode::ReadWrite)
        .expect("tx");
    tx.store(schema::SUMMARIES)
        .expect("store")
        .put(&row, None)
        .await
        .expect("put legacy summary");
    assert!(tx.done().await.expect("done").is_committed());
    raw.close();
    id
}

#[wasm_bindgen_test]
async fn an_outdated_summary_is_listed_then_recomputed() {
    let db = "test-summaries-outdated";
    Storage::delete(db).await.expect("delete");
    let storage = Storage::open(db).await.expect("open");
    let id = patient_with_legacy_summary(db, &storage).await;

    let listed = storage.caseload().await.expect("caseload");
    assert_eq!(listed.summaries.len(), 1, "the patient is still listed");
    assert_eq!(listed.outdated, vec![id.as_str().to_string()]);
    assert!(!listed.summaries[0].matches_search("a1234"));
    storage.close();

    // Opening a session recomputes it in the background: the MRN becomes searchable.
    let session = Session::open(db).await.expect("session");
    let mut waited_ms = 0;
    while !session
        .caseload
        .get_untracked()
        .iter()
        .any(|s| s.matches_search("a1234"))
    {
        assert!(
            waited_ms < 10_000,
            "the outdated summary was never recomputed"
        );
        wait_ms(20).await;
        waited_ms += 20;
    }
    let reopened = Storage::open(db).await.expect("reopen");
    let listed = reopened.caseload().await.expect("caseload");
    assert!(listed.outdated.is_empty(), "{:?}", listed.outdated);
    assert!(listed.summaries[0].matches_search("a1234"));
    // Once nothing is outdated the caseload cache is written (it never holds an outdated summary).
    let mut waited_ms = 0;
    while reopened.caseload().await.expect("caseload").cache != CacheState::Fresh {
        assert!(waited_ms < 10_000, "the caseload cache was never written");
        wait_ms(20).await;
        waited_ms += 20;
    }
    reopened.close();
}

#[wasm_bindgen_test]
async fn a_refresh_never_overwrites_a_current_summary() {
    let db = "test-summaries-current";
    Storage::delete(db).await.expect("delete");
    let storage = Storage::open(db).await.expect("open");
    let id = patient_with_legacy_summary(db, &storage).await;

    // An edit (or sync) writes a current summary first...
    let mut loaded = storage.load_patient(&id).await.expect("load");
    loaded
        .doc
        .apply(
            Op::Rename {
                name: PersonName {
                    given: "Rosa".into(),
                    family: "Diaz-Lopez".into(),
                },
            },
            &author(),
            3_000,
        )
        .expect("rename");
    let changes = loaded.doc.save_incremental();
    let fresh = loaded.doc.summary().expect("summary");
    storage
        .append_changes(&id, &changes, &fresh)
        .await
        .expect("edit");

    // ...so a late background refresh computed from the older state must not replace it.
    let mut stale: PatientSummary = fresh.clone();
    stale.display_name = "Diaz, Rosa".into();
    assert!(!storage
        .replace_outdated_summary(&stale)
        .await
        .expect("refresh"));
    let listed = storage.caseload().await.expect("caseload");
    assert_eq!(listed.summaries, vec![fresh]);
    storage.close();
}
