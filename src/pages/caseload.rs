//! Caseload: every patient on this device, from summaries alone, with search and "add a patient".

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::components::A;
use tend_core::record::PersonName;

use crate::session::Session;

#[component]
pub fn CaseloadPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let caseload = session.caseload;
    let query = RwSignal::new(String::new());
    let visible = Memo::new(move |_| {
        let q = query.get().trim().to_lowercase();
        caseload.with(|all| {
            all.iter()
                .filter(|s| q.is_empty() || s.sort_key.contains(&q) || s.id.starts_with(&q))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let count_text = move || {
        let (shown, total) = (visible.with(Vec::len), caseload.with(Vec::len));
        if shown == total {
            format!("{total} patients")
        } else {
            format!("{shown} of {total} patients")
        }
    };

    view! {
        <section class="page" aria-labelledby="caseload-title">
            <h1 id="caseload-title">"Caseload"</h1>
            <AddPatientForm />
            <div class="toolbar">
                <label class="field field-inline">
                    <span>"Search patients"</span>
                    <input type="search" autocomplete="off" prop:value=query on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                <p class="muted" aria-live="polite">{count_text}</p>
            </div>
            <Show
                when=move || !visible.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{move || if caseload.with(Vec::is_empty) { "No patients on this device yet. Add one above." } else { "No patient matches your search." }}</p> }
            >
                <ul class="patient-list" aria-label="Patients">
                    <For each=move || visible.get() key=|s| (s.id.clone(), s.display_name.clone()) let:summary>
                        <li>
                            <A href=format!("/patients/{}", summary.id)>
                                <span class="patient-name">{summary.display_name.clone()}</span>
                            </A>
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn AddPatientForm() -> impl IntoView {
    let session = expect_context::<Session>();
    let given = RwSignal::new(String::new());
    let family = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let name = PersonName {
            given: given.get_untracked().trim().to_string(),
            family: family.get_untracked().trim().to_string(),
        };
        if name.given.is_empty() && name.family.is_empty() {
            error.set(Some("Enter the patient's name.".into()));
            return;
        }
        busy.set(true);
        let session = session.clone();
        spawn_local(async move {
            match session.add_patient(name).await {
                Ok(_) => {
                    given.set(String::new());
                    family.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="card add-patient" on:submit=on_submit aria-labelledby="add-patient-title">
            <h2 id="add-patient-title">"Add a patient"</h2>
            <div class="field-row">
                <label class="field">
                    <span>"Given name"</span>
                    <input type="text" autocomplete="off" prop:value=given on:input=move |ev| given.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Family name"</span>
                    <input type="text" autocomplete="off" prop:value=family on:input=move |ev| family.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button button-primary" prop:disabled=busy>"Add patient"</button>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </form>
    }
}
