//! Helpers shared by the browser tests (each test file includes this with `#[path]`; not every file
//! uses every helper).
#![allow(dead_code)]

use rexie::TransactionMode;
use tend::storage::{schema, Storage, CASELOAD_CACHE_KEY};
use tend_core::{record::PersonName, Author, PatientDoc, PatientId};
use wasm_bindgen::JsValue;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `performance.now()`: the benchmarks' clock.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn perf_now() -> f64;
    /// `console.log`: how a benchmark hands its `BENCH_JSON` line to the runner.
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(s: &str);
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = document, js_name = querySelectorAll)]
    fn query_all(selector: &str) -> JsValue;
}

/// How many elements of the page match `selector`.
pub fn count(selector: &str) -> u32 {
    js_sys::Reflect::get(&query_all(selector), &JsValue::from_str("length"))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0) as u32
}

/// Resolves at the next animation frame (what a person sees is painted by then).
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("window")
            .request_animation_frame(&resolve)
            .expect("requestAnimationFrame");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("frame");
}

/// The author of test edits, on device `device`.
pub fn author_on(device: &str) -> Author {
    Author {
        user_id: format!("u-{device}"),
        user_name: "Test Nurse".into(),
        device_id: device.into(),
    }
}

pub fn author() -> Author {
    author_on("d-test")
}

pub fn name(given: &str, family: &str) -> PersonName {
    PersonName {
        given: given.into(),
        family: family.into(),
    }
}

/// A fresh, uniquely named database so tests never see each other's data.
pub async fn fresh(db: &str) -> Storage {
    Storage::delete(db).await.expect("delete old test database");
    Storage::open(db).await.expect("open test database")
}

/// Lets the page's event loop run (the session's background work) before a condition is checked
/// again; callers poll a condition with a deadline, never sleep instead of one.
pub async fn wait_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("timeout");
}

/// Removes the caseload cache behind the app's back (the next start reads every summary row).
pub async fn remove_caseload_cache(db: &str) {
    let raw = schema::builder(db).build().await.expect("raw open");
    let tx = raw
        .transaction(&[schema::META], TransactionMode::ReadWrite)
        .expect("tx");
    tx.store(schema::META)
        .expect("store")
        .delete(JsValue::from_str(CASELOAD_CACHE_KEY))
        .await
        .expect("delete cache");
    assert!(tx.done().await.expect("done").is_committed());
    raw.close();
}

/// Renames the patient to "Rosa <family>" at time `at` and saves the change (chunk + summary).
pub async fn rename_and_save(
    storage: &Storage,
    id: &PatientId,
    doc: &mut PatientDoc,
    family: &str,
    at: i64,
) {
    doc.rename(name("Rosa", family), &author(), at)
        .expect("rename");
    let changes = doc.save_incremental();
    // Dated as the app dates them (an undated one would be recomputed at the next start).
    let summary = doc.summary_on(tend::clock::today()).expect("summary");
    storage
        .append_changes(id, &changes, &summary)
        .await
        .expect("append changes");
}
