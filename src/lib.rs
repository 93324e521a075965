//! Tend's web app (Leptos CSR, compiled to wasm32 by Trunk).
//!
//! Only `storage` touches IndexedDB; only `sync` touches the network; pages change patient documents
//! only through tend-core's typed operations.

pub mod app;
pub mod clock;
pub mod components;
pub mod format;
pub mod gate;
pub mod lock;
pub mod pages;
pub mod pwa;
pub mod session;
pub mod storage;
pub mod sync;
pub mod tabs;

use std::{cell::RefCell, rc::Rc};

use leptos::prelude::*;

/// How long opening storage may take before the app explains that it is waiting.
const STORAGE_WAIT_NOTICE_MS: u32 = 2_500;

/// Opens device storage, then mounts the app. A storage failure is shown, never swallowed.
pub fn start() {
    console_error_panic_hook::set_once();
    // Service worker and install offer first: neither waits for storage (or the lock).
    pwa::start();
    wasm_bindgen_futures::spawn_local(async {
        // Ask once per start; the browser remembers a grant. Refusal is shown in settings.
        let _ = storage::device::request_persistence().await;
        // Keyed but without a key: nothing but the lock record is readable until the PIN is entered.
        // The gate mounts the app (with its session and sync engine) only while unlocked.
        // A newer build upgrading the database waits until tabs still running the older build
        // close it; if that takes a while, say so instead of showing a blank page.
        let waiting: Rc<RefCell<Option<Box<dyn std::any::Any>>>> = Rc::default();
        let notice = {
            let waiting = Rc::clone(&waiting);
            gloo::timers::callback::Timeout::new(STORAGE_WAIT_NOTICE_MS, move || {
                if let Some(body) = document().body() {
                    let shown = leptos::mount::mount_to(body, app::StorageWaiting);
                    *waiting.borrow_mut() = Some(Box::new(shown));
                }
            })
        };
        let opened = storage::Storage::open_locked(storage::DEFAULT_DB_NAME).await;
        notice.cancel();
        drop(waiting.borrow_mut().take());
        match opened {
            Ok(storage) => {
                let control = lock::LockControl::new(Rc::new(storage));
                mount_to_body(move || view! { <gate::Gate control=control.clone() /> })
            }
            Err(e) => mount_to_body(move || view! { <app::StartupFailure reason=e.to_string() /> }),
        }
    });
}
