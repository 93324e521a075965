//! The app's only clock: core takes time as an argument, so tests and sync stay deterministic.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Today's date in the device's time zone (chrono reads it through js `Date` on wasm32).
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Lets the page run (render, handle input) before long background work goes on: resolves on
/// the next turn of the event loop.
pub async fn yield_to_page() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            // Without a window (never in the app) it resolves on the next microtask instead.
            if window
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                .is_ok()
            {
                return;
            }
        }
        let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
