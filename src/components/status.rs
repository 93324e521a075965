//! Always visible: is every edit saved on this device, and is it synced.

use leptos::prelude::*;

use crate::session::{SaveState, Session};
use crate::sync::SyncStatus;

#[component]
pub fn StatusBar() -> impl IntoView {
    let session = expect_context::<Session>();
    let save_state = session.save_state;
    let save_text = move || match save_state.get() {
        SaveState::Idle => "All changes saved on this device".to_string(),
        SaveState::Saving => "Saving…".to_string(),
        SaveState::Saved { at_ms } => format!(
            "All changes saved on this device at {}",
            crate::pages::format::time_of_day(at_ms)
        ),
        SaveState::Failed(reason) => format!("Not saved: {reason}"),
    };
    let save_class = move || match save_state.get() {
        SaveState::Failed(_) => "status status-error",
        SaveState::Saving => "status status-busy",
        _ => "status status-ok",
    };
    view! {
        <div class="status-group">
            <p class=save_class role="status" aria-live="polite">{save_text}</p>
            <p class="status status-muted" role="status">{SyncStatus::current().describe()}</p>
        </div>
    }
}
