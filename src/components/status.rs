//! Always visible: is every edit saved on this device, and is it synced.

use leptos::prelude::*;

use crate::session::{SaveState, Session};
use crate::sync::{StatusText, SyncHandle, SyncStatus};

#[component]
pub fn StatusBar() -> impl IntoView {
    let session = expect_context::<Session>();
    let save_state = session.save_state;
    let save_text = move || match save_state.get() {
        SaveState::Idle => "All changes saved on this device".to_string(),
        SaveState::Saving => "Saving…".to_string(),
        SaveState::Saved { at_ms } => format!(
            "All changes saved on this device at {}",
            crate::format::time_of_day(at_ms)
        ),
        SaveState::Failed(reason) => format!("Not saved: {reason}"),
    };
    let save_class = move || match save_state.get() {
        SaveState::Failed(_) => "status status-error",
        SaveState::Saving => "status status-busy",
        _ => "status status-ok",
    };
    // The engine is provided at startup; without it (tests mounting parts of the app) sync is off.
    let sync = use_context::<SyncHandle>();
    let sync_status = sync
        .as_ref()
        .map(|s| s.status)
        .unwrap_or_else(|| RwSignal::new(SyncStatus::NotSetUp));
    let sync_text = move || sync_status.get().describe();
    let sync_class = move || match sync_status.get() {
        SyncStatus::Error { .. } => "status status-error",
        SyncStatus::Syncing | SyncStatus::Starting => "status status-busy",
        SyncStatus::UpToDate { .. } => "status status-ok",
        _ => "status status-muted",
    };
    let can_sync = move || {
        !matches!(
            sync_status.get(),
            SyncStatus::NotSetUp | SyncStatus::Starting
        )
    };
    // Phone: one compact line ("Saved · Synced") that opens the full texts; wider screens show the
    // full texts in the bar (the compact line is hidden by CSS). The full texts are the live regions.
    let save_short = move || match save_state.get() {
        SaveState::Idle | SaveState::Saved { .. } => "Saved".to_string(),
        SaveState::Saving => "Saving…".to_string(),
        SaveState::Failed(_) => "Not saved".to_string(),
    };
    let sync_short = move || match sync_status.get() {
        SyncStatus::NotSetUp => "This device only".to_string(),
        SyncStatus::Starting => "Sync starting".to_string(),
        SyncStatus::Offline { waiting: 0 } => "Offline".to_string(),
        SyncStatus::Offline { waiting } => format!("Offline, {waiting} waiting"),
        SyncStatus::Syncing => "Syncing…".to_string(),
        SyncStatus::UpToDate { .. } => "Synced".to_string(),
        SyncStatus::Waiting { count } => format!("{count} waiting"),
        SyncStatus::Error { .. } => "Not synced".to_string(),
    };
    let open = RwSignal::new(false);
    let toggle = NodeRef::<leptos::html::Button>::new();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
            if let Some(button) = toggle.get() {
                let _ = button.focus();
            }
        }
    };
    let sync_for_button = sync.clone();
    view! {
        <div class="status-group" class:open=move || open.get() on:keydown=on_key>
            <button type="button" class="status-summary" node_ref=toggle
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="status-details"
                on:click=move |_| open.update(|o| *o = !*o)>
                <span class=save_class>{save_short}</span>
                <span class="status-sep" aria-hidden="true">" · "</span>
                <span class=sync_class>{sync_short}</span>
            </button>
            <div class="status-details" id="status-details">
                <p class=save_class role="status" aria-live="polite">{save_text}</p>
                <p class=sync_class role="status" aria-live="polite" data-testid="sync-status">{sync_text}</p>
                <Show when=can_sync>
                    {
                        let sync = sync_for_button.clone();
                        view! {
                            <button class="button" on:click=move |_| {
                                if let Some(s) = &sync { s.sync_now() }
                            }>"Sync now"</button>
                        }
                    }
                </Show>
            </div>
        </div>
    }
}
