//! "Who I am": the person using this device names themselves and their role, so every change
//! they make (and its history) shows a real person instead of a device. Asked once after the
//! PIN on first run (or after an update, on a device that never answered it); changeable in
//! Settings.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use tend_core::record::PersonRole;

use crate::components::fields::{role_options, SelectField, TextField};
use crate::session::Session;

/// The shared name + role form; `on_saved` runs after the identity is stored.
#[component]
fn IdentityForm(
    session: Session,
    submit_label: &'static str,
    #[prop(optional)] autofocus: bool,
    #[prop(optional, into)] on_saved: Option<Callback<()>>,
) -> impl IntoView {
    let current = session.identity.get_untracked();
    let name = RwSignal::new(current.as_ref().map(|i| i.name.clone()).unwrap_or_default());
    let role = RwSignal::new(
        current
            .map(|i| i.role.as_str().to_string())
            .unwrap_or_else(|| PersonRole::CareManager.as_str().to_string()),
    );
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<(String, bool)>);
    let asking = session.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        message.set(None);
        let session = asking.clone();
        spawn_local(async move {
            let role = PersonRole::parse(&role.get_untracked());
            match session.set_identity(&name.get_untracked(), role).await {
                Ok(identity) => {
                    name.try_set(identity.name.clone());
                    message.try_set(Some((
                        format!("Saved: changes you make are signed {}.", identity.name),
                        false,
                    )));
                    if let Some(cb) = on_saved {
                        cb.run(());
                    }
                }
                Err(e) => {
                    message.try_set(Some((e.to_string(), true)));
                }
            }
            busy.try_set(false);
        });
    };
    let feedback = move || {
        message.get().map(|(text, is_error)| {
            if is_error {
                view! { <p class="error" role="alert">{text}</p> }.into_any()
            } else {
                view! { <p class="saved-note" role="status">{text}</p> }.into_any()
            }
        })
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Your name" value=name hint="As colleagues know you, e.g. Ana López" autofocus=autofocus />
            <SelectField label="Your role" value=role options=role_options() />
            {let s = session.clone(); move || (s.in_roster() && !s.leads_team()).then(|| view! {
                <p class="hint">"On a team, your role is the one on the Team page: a supervisor changes it there."</p>
            })}
            {feedback}
            <button type="submit" class="button button-primary" disabled=move || busy.get()>
                {move || if busy.get() { "Saving…" } else { submit_label }}
            </button>
        </form>
    }
}

/// Full-screen first-run question, shown instead of the app until answered.
#[component]
pub fn WhoAmI(session: Session) -> impl IntoView {
    view! {
        <main id="main" class="lock-screen">
            <section class="card lock-card" aria-labelledby="who-title">
                <h1 id="who-title">"Who is using this device?"</h1>
                <p>"Tend signs every change with your name, so your team can see who recorded what and when. You can change this later in Settings."</p>
                <IdentityForm session=session submit_label="Continue" autofocus=true />
            </section>
        </main>
    }
}

/// Settings → "You".
#[component]
pub fn IdentitySettings() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <section class="card" aria-labelledby="you-title">
            <h2 id="you-title">"You"</h2>
            <p class="hint">"Changes made on this device from now on carry this name. Changes already made keep the name they were made with."</p>
            <IdentityForm session=session submit_label="Save name and role" />
        </section>
    }
}
