//! Tend's web app (Leptos CSR, compiled to wasm32 by Trunk).
//!
//! Only `storage` touches IndexedDB; only `sync` touches the network; pages change patient documents
//! only through tend-core's typed operations.

pub mod app;
pub mod clock;
pub mod components;
pub mod pages;
pub mod pwa;
pub mod session;
pub mod storage;
pub mod sync;
pub mod tabs;

use leptos::prelude::*;

/// Opens device storage, then mounts the app. A storage failure is shown, never swallowed.
pub fn start() {
    console_error_panic_hook::set_once();
    // Service worker and install offer first: neither waits for storage (or the lock).
    pwa::start();
    wasm_bindgen_futures::spawn_local(async {
        // Ask once per start; the browser remembers a grant. Refusal is shown in settings.
        let _ = storage::device::request_persistence().await;
        match session::Session::open(storage::DEFAULT_DB_NAME).await {
            Ok(session) => {
                session.listen_to_tabs();
                mount_to_body(move || {
                    // The sync engine lives for the whole app; its status is always on screen.
                    provide_context(sync::SyncHandle::start(session.clone()));
                    view! { <app::App session=session.clone() /> }
                })
            }
            Err(e) => mount_to_body(move || view! { <app::StartupFailure reason=e.to_string() /> }),
        }
    });
}
