//! The app bar's "Lock" button: locks the device now (see `crate::lock`).

use leptos::{prelude::*, task::spawn_local};

use crate::lock::LockControl;

/// The "Lock" button (absent when the app runs without the gate, as in benchmarks).
#[component]
pub fn LockButton() -> impl IntoView {
    let control = use_context::<LockControl>();
    control.map(|control| {
        let lock = move |_| {
            let control = control.clone();
            spawn_local(async move {
                // A refusal (unsaved change) is shown in the problem banner by `lock_now`.
                let _ = control.lock_now().await;
            });
        };
        view! { <button type="button" class="button lock-button" on:click=lock>"Lock"</button> }
    })
}
