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
    let sync_for_button = sync.clone();
    view! {
        <div class="status-group">
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
    }
}
