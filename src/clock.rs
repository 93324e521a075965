//! The app's only clock: core takes time as an argument, so tests and sync stay deterministic.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Today's date in the device's time zone (chrono reads it through js `Date` on wasm32).
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}
