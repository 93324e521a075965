//! The browser's storage manager: ask that our data is never evicted, and report use and quota.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub used_bytes: f64,
    pub quota_bytes: f64,
}

fn manager() -> Option<web_sys::StorageManager> {
    web_sys::window().map(|w| w.navigator().storage())
}

/// Asks the browser to keep this origin's data under storage pressure. `Some(granted)`, or `None`
/// when the browser has no storage manager.
pub async fn request_persistence() -> Option<bool> {
    let manager = manager()?;
    if let Ok(done) = manager.persisted() {
        if JsFuture::from(done).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return Some(true);
        }
    }
    let promise = manager.persist().ok()?;
    JsFuture::from(promise).await.ok().and_then(|v| v.as_bool())
}

pub async fn is_persisted() -> Option<bool> {
    let promise = manager()?.persisted().ok()?;
    JsFuture::from(promise).await.ok().and_then(|v| v.as_bool())
}

pub async fn usage() -> Option<Usage> {
    let promise = manager()?.estimate().ok()?;
    let estimate = JsFuture::from(promise).await.ok()?;
    let get = |k: &str| {
        js_sys::Reflect::get(&estimate, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_f64())
    };
    Some(Usage {
        used_bytes: get("usage")?,
        quota_bytes: get("quota")?,
    })
}
