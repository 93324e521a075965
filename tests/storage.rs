//! Device storage in real IndexedDB (headless Chromium): what is saved survives reopening, many
//! edits survive compaction, and a corrupted record is set aside instead of stopping the app.
#![cfg(target_arch = "wasm32")]

#[path = "support/common.rs"]
mod common;

use common::{author, fresh, name, rename_and_save};
use rexie::{Rexie, TransactionMode};
use tend::storage::{schema, Storage};
use tend_core::{PatientDoc, PatientId};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn created_patient_is_listed_and_loads_after_reopening() {
    let db = "test-created-patient";
    let storage = fresh(db).await;
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author(), 1).expect("create");
    storage.create_patient(&mut doc).await.expect("store");
    storage.close();

    let storage = Storage::open(db).await.expect("reopen");
    let caseload = storage.caseload().await.expect("caseload");
    assert_eq!(caseload.unreadable, 0);
    assert_eq!(caseload.summaries.len(), 1);
    assert_eq!(caseload.summaries[0].display_name, "Diaz, Rosa");
    let loaded = storage.load_patient(&id).await.expect("load");
    assert!(loaded.problems.is_empty());
    assert_eq!(
        loaded.doc.record().expect("record").name.display(),
        "Diaz, Rosa"
    );
}

#[wasm_bindgen_test]
async fn a_thousand_edits_survive_reopening_and_compaction() {
    let db = "test-thousand-edits";
    let storage = fresh(db).await;
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author(), 1).expect("create");
    storage.create_patient(&mut doc).await.expect("store");
    for i in 0..1000 {
        rename_and_save(&storage, &id, &mut doc, &format!("Diaz-{i}"), 2 + i).await;
    }
    let expected_heads = doc.heads();
    assert_eq!(storage.chunk_count(id.as_str()).await.expect("count"), 1000);
    storage.close();

    let storage = Storage::open(db).await.expect("reopen");
    let mut loaded = storage.load_patient(&id).await.expect("load").doc;
    assert_eq!(
        loaded.heads(),
        expected_heads,
        "every edit is there after reopening"
    );
    assert_eq!(loaded.record().expect("record").name.family, "Diaz-999");

    storage
        .compact(id.as_str(), &mut loaded)
        .await
        .expect("compact");
    assert_eq!(
        storage.chunk_count(id.as_str()).await.expect("count"),
        0,
        "compaction removed the merged chunks"
    );
    let mut compacted = storage
        .load_patient(&id)
        .await
        .expect("load after compaction")
        .doc;
    assert_eq!(
        compacted.heads(),
        expected_heads,
        "compaction preserved every edit"
    );
    let caseload = storage.caseload().await.expect("caseload");
    assert_eq!(caseload.summaries[0].display_name, "Diaz-999, Rosa");
}

#[wasm_bindgen_test]
async fn compaction_keeps_a_chunk_written_by_another_tab() {
    let db = "test-compaction-other-tab";
    let storage = fresh(db).await;
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author(), 1).expect("create");
    storage.create_patient(&mut doc).await.expect("store");
    // "Another tab": a second copy of the document edits and saves a change this copy never saw.
    let mut other_tab = storage.load_patient(&id).await.expect("load").doc;
    rename_and_save(&storage, &id, &mut other_tab, "FromOtherTab", 5).await;

    storage
        .compact(id.as_str(), &mut doc)
        .await
        .expect("compact with a stale copy");
    let loaded = storage.load_patient(&id).await.expect("load").doc;
    assert_eq!(loaded.record().expect("record").name.family, "FromOtherTab");
}

#[wasm_bindgen_test]
async fn a_corrupted_chunk_is_set_aside_and_the_rest_opens() {
    let db = "test-corrupted-chunk";
    let storage = fresh(db).await;
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author(), 1).expect("create");
    storage.create_patient(&mut doc).await.expect("store");
    rename_and_save(&storage, &id, &mut doc, "Intact", 2).await;
    rename_and_save(&storage, &id, &mut doc, "Corrupted", 3).await;
    storage.close();

    corrupt_latest_chunk(db).await;

    let storage = Storage::open(db).await.expect("reopen");
    let loaded = storage
        .load_patient(&id)
        .await
        .expect("the document still opens");
    assert_eq!(loaded.doc.record().expect("record").name.family, "Intact");
    assert_eq!(
        loaded.problems.len(),
        1,
        "the bad chunk is reported: {:?}",
        loaded.problems
    );
    assert_eq!(
        storage.quarantined_count().await.expect("count"),
        1,
        "the bad chunk is kept aside"
    );
    // Reported once: the next load is clean and still has everything intact.
    let again = storage.load_patient(&id).await.expect("load again");
    assert!(again.problems.is_empty());
    assert_eq!(again.doc.record().expect("record").name.family, "Intact");
}

/// Overwrites the newest chunk's bytes in place, as a disk or browser bug might.
async fn corrupt_latest_chunk(db: &str) {
    let rexie = schema::builder(db).build().await.expect("raw open");
    let tx = rexie
        .transaction(&[schema::CHUNKS], TransactionMode::ReadWrite)
        .expect("tx");
    let store = tx.store(schema::CHUNKS).expect("store");
    let rows = store.get_all(None, None).await.expect("rows");
    let latest = rows.last().expect("a chunk exists").clone();
    let garbage = js_sys::Uint8Array::from(&[0x85u8, 0x6f, 0x4a, 0x83, 0xde, 0xad, 0xbe, 0xef][..]);
    js_sys::Reflect::set(&latest, &JsValue::from_str("bytes"), &garbage).expect("set");
    store.put(&latest, None).await.expect("put");
    tx.done().await.expect("commit");
    Rexie::close(rexie);
}

#[wasm_bindgen_test]
fn sealed_values_round_trip_and_damage_is_detected() {
    let place = tend_core::lock::Place {
        store: "chunks",
        record_key: "doc",
    };
    let keyed = tend::storage::Seal::with_key(tend_core::lock::DataKey::from_bytes([7; 32]));
    for seal in [tend::storage::Seal::identity(), keyed] {
        let sealed = seal.seal(place, b"patient bytes").expect("seal");
        assert_eq!(seal.open(place, &sealed).expect("intact"), b"patient bytes");
        for i in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[i] ^= 0x40;
            assert!(
                seal.open(place, &damaged).is_err(),
                "flipping byte {i} is detected"
            );
        }
        assert!(
            seal.open(place, &sealed[..sealed.len() - 1]).is_err(),
            "truncation is detected"
        );
        assert!(seal.open(place, &[]).is_err());
    }
}
