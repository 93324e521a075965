//! The device lock in real IndexedDB and WebCrypto (headless Chromium): nothing readable at rest,
//! PBKDF2 matches the RFC vectors, set PIN → lock → unlock, wrong PINs counted and the wipe after 10,
//! change PIN, and the one-time migration of data written before the lock.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use base64::Engine as _;
use js_sys::{Object, Reflect, Uint8Array};
use leptos::prelude::*;
use rexie::TransactionMode;
use tend::lock::control::{LockControl, Screen, UnlockFailure};
use tend::lock::derive::pbkdf2_sha256;
use tend::session::Session;
use tend::storage::{schema, Storage, StorageError};
use tend::sync::{JoinedWith, Workspace, WORKSPACE_META};
use tend_core::{lock, record::PersonName, Author, PatientDoc, PatientId};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PIN: &str = "482915";
const PATIENT_GIVEN: &str = "Zenobia";
const PATIENT_FAMILY: &str = "Quillfeather";

fn name() -> PersonName {
    PersonName {
        given: PATIENT_GIVEN.into(),
        family: PATIENT_FAMILY.into(),
    }
}

fn author() -> Author {
    Author {
        user_id: "u-test".into(),
        user_name: "Test Nurse".into(),
        device_id: "d-test".into(),
    }
}

/// Sessions spawn tasks (other tabs' saves arrive on a BroadcastChannel): mounting anything
/// initialises Leptos's executor, as the app's own mount does.
fn init_executor() {
    leptos::mount::mount_to_body(|| ());
}

async fn fresh_control(db: &str) -> (LockControl, Rc<Storage>) {
    init_executor();
    Storage::delete(db).await.expect("delete old test database");
    let storage = Rc::new(Storage::open_locked(db).await.expect("open"));
    let control = LockControl::new(Rc::clone(&storage));
    control.start().await;
    (control, storage)
}

fn session_of(control: &LockControl) -> Session {
    match control.screen().get_untracked() {
        Screen::Unlocked(session) => session,
        _ => panic!("expected the app to be unlocked"),
    }
}

fn is_first_run(control: &LockControl) -> bool {
    matches!(control.screen().get_untracked(), Screen::FirstRun)
}

fn is_locked(control: &LockControl) -> bool {
    matches!(control.screen().get_untracked(), Screen::Locked)
}

/// Every byte stored in every store of `db`, read with raw IndexedDB (bypassing Storage and its seal):
/// byte arrays as they are, strings as UTF-8, nested objects walked.
async fn raw_contents(db: &str) -> Vec<u8> {
    raw_contents_of(db, None).await
}

async fn raw_contents_of(db: &str, only: Option<&str>) -> Vec<u8> {
    let rexie = schema::builder(db).build().await.expect("raw open");
    let names: Vec<String> = match only {
        Some(store) => vec![store.to_string()],
        None => rexie.store_names(),
    };
    let tx = rexie
        .transaction(&names, TransactionMode::ReadOnly)
        .expect("tx");
    let mut out = Vec::new();
    for name in &names {
        let rows = tx
            .store(name)
            .expect("store")
            .get_all(None, None)
            .await
            .expect("rows");
        for row in rows {
            collect_bytes(&row, &mut out, 0);
        }
    }
    tx.done().await.expect("done");
    rexie.close();
    out
}

fn collect_bytes(value: &JsValue, out: &mut Vec<u8>, depth: u32) {
    if depth > 8 {
        return;
    }
    if let Some(s) = value.as_string() {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        out.extend(bytes.to_vec());
        out.push(0);
    } else if value.is_object() {
        let obj: &Object = value.unchecked_ref();
        for entry in Object::entries(obj).iter() {
            let value = Reflect::get(&entry, &JsValue::from_f64(1.0)).unwrap_or(JsValue::NULL);
            collect_bytes(&value, out, depth + 1);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Format bytes of every sealed value in `db` (`bytes`/`value` fields of every store but `lock`).
async fn formats(db: &str) -> Vec<u8> {
    let rexie = schema::builder(db).build().await.expect("raw open");
    let tx = rexie
        .transaction(&schema::SEALED_STORES, TransactionMode::ReadOnly)
        .expect("tx");
    let mut out = Vec::new();
    for name in schema::SEALED_STORES {
        for row in tx
            .store(name)
            .expect("store")
            .get_all(None, None)
            .await
            .expect("rows")
        {
            for field in ["bytes", "value"] {
                if let Ok(v) = Reflect::get(&row, &JsValue::from_str(field)) {
                    if let Some(b) = v.dyn_ref::<Uint8Array>() {
                        out.push(b.get_index(0));
                    }
                }
            }
        }
    }
    tx.done().await.expect("done");
    rexie.close();
    out
}

fn sample_workspace(key: &[u8; 32]) -> Workspace {
    Workspace {
        relay_url: "http://127.0.0.1:1".into(),
        workspace_id: "0123456789abcdef0123456789abcdef".into(),
        device_id: "device-1".into(),
        device_token: "token-secret-token-secret".into(),
        key: base64::engine::general_purpose::STANDARD.encode(key),
        // The workspace document's key from a join code: as secret as the workspace key.
        joined_with: Some(JoinedWith {
            generation: 3,
            key: base64::engine::general_purpose::STANDARD.encode(doc_key(key)),
        }),
    }
}

fn doc_key(key: &[u8; 32]) -> [u8; 32] {
    let mut k = *key;
    k.reverse();
    k
}

#[wasm_bindgen_test]
async fn nothing_readable_at_rest_patient_name_and_workspace_key() {
    let workspace_key = [
        0xA7u8, 0x13, 0x5C, 0xE2, 0x91, 0x04, 0x6B, 0xD8, 0x3F, 0x70, 0xC5, 0x2A, 0x88, 0x19, 0xF6,
        0x4D, 0x02, 0xBE, 0x57, 0xE9, 0x6A, 0x31, 0xCD, 0x85, 0x1E, 0xF0, 0x43, 0x9B, 0x76, 0x28,
        0xDA, 0x65,
    ];
    let ws_json = serde_json::to_string(&sample_workspace(&workspace_key)).expect("json");
    let ws_key_b64 = base64::engine::general_purpose::STANDARD.encode(workspace_key);
    let doc_key_b64 = base64::engine::general_purpose::STANDARD.encode(doc_key(&workspace_key));

    // Control: without the lock the same data IS readable, so the search below can fail.
    init_executor();
    let plain_db = "test-lock-at-rest-control";
    Storage::delete(plain_db).await.expect("delete");
    let plain = Session::open(plain_db).await.expect("plain session");
    plain.add_patient(name()).await.expect("add");
    plain
        .storage()
        .set_meta(WORKSPACE_META, &ws_json)
        .await
        .expect("meta");
    let raw = raw_contents(plain_db).await;
    assert!(
        contains(&raw, PATIENT_FAMILY.as_bytes()),
        "control: the unkeyed store holds the name"
    );
    assert!(
        contains(&raw, ws_key_b64.as_bytes()),
        "control: the unkeyed store holds the key"
    );
    assert!(
        contains(&raw, doc_key_b64.as_bytes()),
        "control: the unkeyed store holds the join code's key"
    );

    let db = "test-lock-at-rest";
    let (control, _storage) = fresh_control(db).await;
    control.set_pin(PIN, PIN).await.expect("set PIN");
    let session = session_of(&control);
    session.add_patient(name()).await.expect("add patient");
    session
        .storage()
        .set_meta(WORKSPACE_META, &ws_json)
        .await
        .expect("workspace");
    assert_eq!(
        session
            .storage()
            .meta(WORKSPACE_META)
            .await
            .expect("read back")
            .as_deref(),
        Some(ws_json.as_str()),
        "the workspace reads back through the seal"
    );

    let raw = raw_contents(db).await;
    assert!(raw.len() > 200, "the raw read saw the stored records");
    for needle in [
        PATIENT_GIVEN,
        PATIENT_FAMILY,
        &ws_key_b64,
        &doc_key_b64,
        "token-secret",
    ] {
        assert!(
            !contains(&raw, needle.as_bytes()),
            "{needle:?} is stored in plaintext"
        );
    }
    assert!(
        !contains(&raw, &workspace_key),
        "the raw workspace key bytes are stored"
    );
    assert!(formats(db).await.iter().all(|f| *f == lock::AT_REST_FORMAT));
}

#[wasm_bindgen_test]
async fn webcrypto_pbkdf2_matches_rfc_7914_vectors() {
    let dk = pbkdf2_sha256(b"passwd", b"salt", 1, 64)
        .await
        .expect("derive");
    assert_eq!(
        hex(&dk),
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
         49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
    );
    let dk = pbkdf2_sha256(b"Password", b"NaCl", 80000, 64)
        .await
        .expect("derive");
    assert_eq!(
        hex(&dk),
        "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
         a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
    );
}

/// Wrong PINs counted in the stored lock record.
async fn failed_attempts(storage: &Storage) -> u32 {
    storage
        .lock_record()
        .await
        .expect("read")
        .expect("record")
        .failed_attempts
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[wasm_bindgen_test]
async fn set_pin_lock_unlock_and_change_pin() {
    let db = "test-lock-flow";
    let (control, storage) = fresh_control(db).await;
    assert!(is_first_run(&control));
    assert!(
        control.set_pin("123456", "123456").await.is_err(),
        "a straight run is refused"
    );
    assert!(
        control.set_pin(PIN, "482916").await.is_err(),
        "the repetition must match"
    );
    control.set_pin(PIN, PIN).await.expect("set PIN");
    let record = storage.lock_record().await.expect("read").expect("record");
    assert!(record.kdf.iterations >= lock::PBKDF2_MIN_ITERATIONS);
    let session = session_of(&control);
    session.add_patient(name()).await.expect("add");
    drop(session);

    control.lock_now().await.expect("lock");
    assert!(is_locked(&control));
    assert!(!storage.seal().is_open(), "the data key is gone");
    assert!(matches!(
        storage.caseload().await,
        Err(StorageError::Locked)
    ));
    assert!(
        matches!(
            storage.set_meta("probe", "secret").await,
            Err(StorageError::Locked)
        ),
        "a locked storage writes nothing"
    );
    assert!(!contains(&raw_contents(db).await, b"probe"));

    assert_eq!(
        control.unlock("000000").await,
        Err(UnlockFailure::WrongPin {
            remaining: 9,
            warn: false
        })
    );
    assert_eq!(failed_attempts(&storage).await, 1);
    assert!(is_locked(&control));

    control.unlock(PIN).await.expect("unlock");
    let session = session_of(&control);
    assert_eq!(
        session.caseload.get_untracked().len(),
        1,
        "the patient is back"
    );
    assert_eq!(failed_attempts(&storage).await, 0);
    drop(session);

    let salt_before = storage
        .lock_record()
        .await
        .expect("read")
        .expect("record")
        .kdf
        .salt;
    assert!(
        control
            .change_pin("999999x", "739164", "739164")
            .await
            .is_err(),
        "wrong current PIN"
    );
    control
        .change_pin(PIN, "739164", "739164")
        .await
        .expect("change PIN");
    assert_ne!(
        storage
            .lock_record()
            .await
            .expect("read")
            .expect("record")
            .kdf
            .salt,
        salt_before
    );
    control.lock_now().await.expect("lock");
    assert!(
        matches!(
            control.unlock(PIN).await,
            Err(UnlockFailure::WrongPin { .. })
        ),
        "old PIN refused"
    );
    control
        .unlock("739164")
        .await
        .expect("unlock with the new PIN");
    let session = session_of(&control);
    let id = PatientId::parse(&session.caseload.get_untracked()[0].id).expect("id");
    let loaded = session
        .storage()
        .load_patient(&id)
        .await
        .expect("records still open");
    assert!(loaded.problems.is_empty());
    assert_eq!(
        loaded.doc.record().expect("record").name.family,
        PATIENT_FAMILY
    );
}

#[wasm_bindgen_test]
async fn ten_wrong_pins_erase_the_device() {
    let db = "test-lock-wipe";
    let (control, storage) = fresh_control(db).await;
    control.set_pin(PIN, PIN).await.expect("set PIN");
    session_of(&control).add_patient(name()).await.expect("add");
    control.lock_now().await.expect("lock");

    for failed in 1..lock::MAX_FAILED_ATTEMPTS {
        let remaining = lock::MAX_FAILED_ATTEMPTS - failed;
        assert_eq!(
            control.unlock("999999").await,
            Err(UnlockFailure::WrongPin {
                remaining,
                warn: remaining <= 3
            }),
            "attempt {failed}"
        );
    }
    assert_eq!(control.unlock("999999").await, Err(UnlockFailure::Wiped));
    assert!(is_first_run(&control));
    assert!(
        control.notice().get_untracked().is_some(),
        "the user is told the data was erased"
    );
    assert_eq!(storage.lock_record().await.expect("read"), None);
    let raw = raw_contents(db).await;
    assert!(
        raw.is_empty(),
        "every store is empty ({} bytes left)",
        raw.len()
    );

    control
        .set_pin("739164", "739164")
        .await
        .expect("start again");
    assert!(session_of(&control).caseload.get_untracked().is_empty());
}

#[wasm_bindgen_test]
async fn first_pin_reseals_data_written_before_the_lock() {
    let db = "test-lock-migration";
    init_executor();
    Storage::delete(db).await.expect("delete");
    // A device that used Tend before the lock existed: unkeyed (0x01) records.
    let old = Storage::open(db).await.expect("old app");
    let id = PatientId::random();
    let mut doc = PatientDoc::create(&id, name(), &author(), 1).expect("create");
    old.create_patient(&mut doc).await.expect("store");
    doc.rename(
        PersonName {
            given: PATIENT_GIVEN.into(),
            family: "Plainchange".into(),
        },
        &author(),
        2,
    )
    .expect("rename");
    let summary = doc.summary().expect("summary");
    old.append_changes(&id, &doc.save_incremental(), &summary)
        .await
        .expect("append");
    old.set_meta("device_id", "device-before-lock")
        .await
        .expect("meta");
    old.close();
    assert!(formats(db).await.iter().all(|f| *f == 0x01));

    let storage = Rc::new(Storage::open_locked(db).await.expect("open"));
    let control = LockControl::new(Rc::clone(&storage));
    control.start().await;
    assert!(is_first_run(&control), "no PIN yet: first run, data kept");
    control.set_pin(PIN, PIN).await.expect("set PIN");

    let f = formats(db).await;
    assert!(
        !f.is_empty() && f.iter().all(|f| *f == lock::AT_REST_FORMAT),
        "formats {f:?}"
    );
    let raw = raw_contents(db).await;
    assert!(!contains(&raw, PATIENT_FAMILY.as_bytes()) && !contains(&raw, b"Plainchange"));
    let session = session_of(&control);
    assert_eq!(
        session.author().device_id,
        "device-before-lock",
        "meta migrated"
    );
    let loaded = session.storage().load_patient(&id).await.expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(
        loaded.doc.record().expect("record").name.family,
        "Plainchange"
    );

    // After the migration a plaintext record is refused: set aside (sealed), never applied.
    let writer = Storage::open(db).await.expect("unkeyed writer");
    let mut stale = loaded.doc;
    stale
        .rename(
            PersonName {
                given: PATIENT_GIVEN.into(),
                family: "Sneakedin".into(),
            },
            &author(),
            3,
        )
        .expect("rename");
    let summary = stale.summary().expect("summary");
    writer
        .append_changes(&id, &stale.save_incremental(), &summary)
        .await
        .expect("append");
    writer.close();
    let reloaded = session.storage().load_patient(&id).await.expect("load");
    assert_eq!(
        reloaded.doc.record().expect("record").name.family,
        "Plainchange"
    );
    assert_eq!(reloaded.problems.len(), 1, "{:?}", reloaded.problems);
    assert_eq!(
        session.storage().quarantined_count().await.expect("count"),
        1
    );
    let quarantined = raw_contents_of(db, Some(schema::QUARANTINE)).await;
    assert!(quarantined.len() > 40, "the set-aside record is kept");
    assert!(
        !contains(&quarantined, b"Sneakedin"),
        "the set-aside plaintext is sealed in quarantine"
    );
}
