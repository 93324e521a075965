//! What the three PIN forms (first run, unlock, change PIN) share: one attempt at a time, the last
//! attempt's error as an alert, a "working" status while it runs, and the password field itself.

use std::future::Future;

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

#[derive(Clone, Copy)]
pub struct PinForm {
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

impl PinForm {
    pub fn new() -> Self {
        PinForm {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    pub fn busy(&self) -> bool {
        self.busy.get()
    }

    /// A submit handler running `attempt` (never twice at once); its `Err` is shown as the alert.
    /// The form may be gone when the attempt ends (e.g. unlocked), hence `try_set`.
    pub fn on_submit<F, Fut>(self, attempt: F) -> impl Fn(SubmitEvent) + 'static
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if self.busy.get_untracked() {
                return;
            }
            self.busy.set(true);
            self.error.set(None);
            let attempt = attempt();
            spawn_local(async move {
                if let Err(e) = attempt.await {
                    self.error.try_set(Some(e));
                }
                self.busy.try_set(false);
            });
        }
    }

    /// The alert (last error) and the status shown while an attempt runs.
    pub fn feedback(self, working: &'static str) -> impl IntoView {
        let (busy, error) = (self.busy, self.error);
        view! {
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || busy.get()>
                <p class="muted" role="status">{working}</p>
            </Show>
        }
    }
}

/// A labelled password field bound to `value`.
#[component]
pub fn PinField(
    label: &'static str,
    value: RwSignal<String>,
    autocomplete: &'static str,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input type="password" autocomplete=autocomplete autofocus=autofocus required
                prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}
