//! Helpers shared by the browser tests (each test file includes this with `#[path]`; not every file
//! uses every helper).
#![allow(dead_code)]

use tend::storage::Storage;
use tend_core::{record::PersonName, Author};

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
