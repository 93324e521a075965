//! Caseload: every patient on this device, from summaries alone, with search (name, id), filters
//! (risk tier, program, overdue) and "add a patient".

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::components::A;
use tend_core::record::PersonName;

use crate::clock::today;
use crate::components::fields::{CheckField, SelectField};
use crate::pages::chart::program_label;
use crate::pages::exchange::{ExportCaseload, ImportFhir};
use crate::pages::today::{flag_label, tier_class, tier_label};
use crate::session::Session;

/// Rows rendered at once; search and filters narrow the rest.
pub const PAGE_SIZE: usize = 100;

#[component]
pub fn CaseloadPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let caseload = session.caseload;
    let query = RwSignal::new(String::new());
    let tier = RwSignal::new(String::new());
    let program = RwSignal::new(String::new());
    let overdue_only = RwSignal::new(false);
    // "My patients" (the default) or the whole team's; `?show=team` opens the team's.
    let query_map = leptos_router::hooks::use_query_map();
    let team_view =
        RwSignal::new(query_map.with_untracked(|q| q.get("show").as_deref() == Some("team")));
    let me = session.person_id();
    let names = session.clone();
    let day = tend_core::record::IsoDate::new(today()).0;
    // Rendering thousands of rows costs far more than reading them: show a page, offer the rest.
    let limit = RwSignal::new(PAGE_SIZE);
    let visible = Memo::new(move |_| {
        let q = query.get().trim().to_lowercase();
        let tier = tier.get();
        let program = program.get();
        let overdue_only = overdue_only.get();
        let team = team_view.get();
        caseload.with(|all| {
            all.iter()
                .filter(|s| team || tend_core::team::in_caseload_of(s, &me))
                .filter(|s| s.matches_search(&q))
                .filter(|s| {
                    tier.is_empty()
                        || (tier == "none" && s.risk_tier.is_none())
                        || s.risk_tier.as_deref() == Some(tier.as_str())
                })
                .filter(|s| program.is_empty() || s.programs.iter().any(|p| *p == program))
                .filter(|s| {
                    !overdue_only
                        || s.next_due
                            .as_ref()
                            .is_some_and(|d| d.date.as_str() < day.as_str())
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let mut tiers = vec![(String::new(), "Any risk tier".to_string())];
    tiers.extend(
        tend_core::rules::RiskTier::ALL
            .iter()
            .map(|t| (t.id().to_string(), t.label().to_string())),
    );
    tiers.push(("none".into(), "Not assessed".into()));
    let mut programs = vec![(String::new(), "Any program".to_string())];
    programs.extend(
        tend_core::record::ProgramKind::ALL
            .iter()
            .map(|p| (p.as_str().to_string(), program_label(p.as_str()))),
    );
    // A new search or filter starts again from the first page.
    Effect::new(move |_| {
        visible.track();
        limit.set(PAGE_SIZE);
    });
    let page = Memo::new(move |_| {
        visible.with(|v| v.iter().take(limit.get()).cloned().collect::<Vec<_>>())
    });
    let hidden = move || visible.with(Vec::len).saturating_sub(limit.get());
    let settling = session.settling;
    let count_text = move || {
        let (shown, total) = (visible.with(Vec::len), caseload.with(Vec::len));
        let noun = |n: usize| if n == 1 { "patient" } else { "patients" };
        let count = if shown == total {
            format!("{total} {}", noun(total))
        } else {
            format!("{shown} of {total} {}", noun(total))
        };
        // Changes from other devices are saved here already; their rows are being brought up
        // to date (risk, due items) one by one.
        match settling.get() {
            0 => count,
            n => format!("{count} · updating {n} with changes from other devices"),
        }
    };
    let adding = RwSignal::new(false);
    let filters_open = RwSignal::new(false);
    let active_filters = move || {
        usize::from(!tier.get().is_empty())
            + usize::from(!program.get().is_empty())
            + usize::from(overdue_only.get())
    };
    let manager_of = StoredValue::new(move |id: &str| {
        if id.is_empty() {
            "Not assigned".to_string()
        } else {
            match names.person_name(id) {
                n if n.is_empty() => "Care manager not on this device's roster".to_string(),
                n => format!("Care manager: {n}"),
            }
        }
    });

    view! {
        <section class="page" aria-labelledby="caseload-title">
            <div class="page-head">
                <h1 id="caseload-title">"Caseload"</h1>
                <button type="button" class="button button-primary" aria-controls="add-patient"
                    aria-expanded=move || if adding.get() { "true" } else { "false" }
                    on:click=move |_| adding.update(|a| *a = !*a)>"New patient"</button>
            </div>
            // The list comes first; the form opens on demand (and stays open to add several).
            <Show when=move || adding.get()>
                <AddPatientForm open=adding />
            </Show>
            <fieldset class="switch">
                <legend>"Show"</legend>
                <label><input type="radio" name="caseload-scope" prop:checked=move || !team_view.get()
                    on:change=move |_| team_view.set(false) />" My patients"</label>
                <label><input type="radio" name="caseload-scope" prop:checked=move || team_view.get()
                    on:change=move |_| team_view.set(true) />" Team"</label>
            </fieldset>
            <div class="toolbar">
                <label class="field">
                    <span>"Search patients"</span>
                    <span class="hint" id="caseload-search-hint">"Name, MRN or member ID"</span>
                    <input type="search" autocomplete="off" aria-describedby="caseload-search-hint" prop:value=query on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                // Phone: the filters open on demand (with how many are set); wider: always shown.
                <button type="button" class="button filters-toggle" aria-controls="caseload-filters"
                    aria-expanded=move || if filters_open.get() { "true" } else { "false" }
                    on:click=move |_| filters_open.update(|o| *o = !*o)>
                    {move || match active_filters() {
                        0 => "Filters".to_string(),
                        n => format!("Filters ({n} set)"),
                    }}
                </button>
                <div class="caseload-filters" class:open=move || filters_open.get() id="caseload-filters">
                    <SelectField label="Risk tier" value=tier options=tiers />
                    <SelectField label="Program" value=program options=programs />
                    <CheckField label="Has an overdue item" value=overdue_only />
                </div>
                <p class="muted" aria-live="polite">{count_text}</p>
            </div>
            <Show
                when=move || !visible.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{move || if caseload.with(Vec::is_empty) { "No patients on this device yet. Choose New patient to add one." } else if !team_view.get() { "No patient matches your search and filters. Choose Team to see everyone's patients." } else { "No patient matches your search and filters." }}</p> }
            >
                <ul class="patient-list" aria-label="Patients">
                    <For
                        each=move || page.get()
                        key=|s| (s.id.clone(), s.display_name.clone(), s.risk_tier.clone(), s.flags.clone(), s.next_due.as_ref().map(|d| (d.date.clone(), d.label.clone())), s.age, s.programs.clone(), s.care_manager.clone())
                        let:summary
                    >
                        <li>
                            <A href=format!("/patients/{}", summary.id)>
                                <span class="row-main">
                                    <span class="patient-name">{summary.display_name.clone()}</span>
                                    <span class=tier_class(summary.risk_tier.as_deref())>
                                        {format!("Risk: {}", tier_label(summary.risk_tier.as_deref()))}
                                    </span>
                                </span>
                                <span class="row-detail">
                                    {[
                                        summary.age.map(|a| format!("{a} years")),
                                        (!summary.programs.is_empty()).then(|| summary.programs.iter().map(|p| program_label(p)).collect::<Vec<_>>().join(", ")),
                                        summary.next_due.as_ref().map(|d| format!("Next due {}", crate::format::day(&d.date))),
                                        (!summary.flags.is_empty()).then(|| summary.flags.iter().map(|f| flag_label(f)).collect::<Vec<_>>().join(", ")),
                                        team_view.get_untracked().then(|| manager_of.with_value(|f| f(&summary.care_manager))),
                                    ].into_iter().flatten().collect::<Vec<_>>().join(" · ")}
                                </span>
                            </A>
                        </li>
                    </For>
                </ul>
                <Show when=move || { hidden() > 0 }>
                    <button class="button" on:click=move |_| limit.update(|l| *l += PAGE_SIZE)>
                        {move || format!("Show {} more of {} not shown", hidden().min(PAGE_SIZE), hidden())}
                    </button>
                </Show>
            </Show>
            // Records in and out of other systems: on demand, after the list.
            <section class="card exchange" aria-labelledby="exchange-title">
                <h2 id="exchange-title">"Share with other systems (FHIR)"</h2>
                <div class="exchange-actions">
                    <ExportCaseload shown=visible />
                    <ImportFhir />
                </div>
            </section>
        </section>
    }
}

#[component]
fn AddPatientForm(open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let given = RwSignal::new(String::new());
    let family = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Someone who leads the team may add a patient for a colleague; everyone else adds their own.
    let care_manager = RwSignal::new(String::new());
    let choices = {
        let s = session.clone();
        Memo::new(move |_| {
            if !s.leads_team() {
                return Vec::new();
            }
            let others = s.people_choices(&s.person_id());
            if others.is_empty() {
                return Vec::new();
            }
            let mut options = vec![(String::new(), "Me".to_string())];
            options.extend(others);
            options
        })
    };

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
        let chosen = care_manager.get_untracked();
        spawn_local(async move {
            let person = session.people().into_iter().find(|p| p.id == chosen);
            match session.add_patient_for(name, person.as_ref()).await {
                Ok(_) => {
                    given.set(String::new());
                    family.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="card add-patient" id="add-patient" on:submit=on_submit aria-labelledby="add-patient-title">
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
                <Show when=move || !choices.with(Vec::is_empty)>
                    <label class="field">
                        <span>"Care manager"</span>
                        <select on:change=move |ev| care_manager.set(event_target_value(&ev)) prop:value=move || care_manager.get()>
                            {move || choices.get().into_iter().map(|(id, label)| {
                                let selected = id == care_manager.get_untracked();
                                view! { <option value=id selected=selected>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <button type="submit" class="button button-primary" prop:disabled=busy>"Add patient"</button>
                <button type="button" class="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </form>
    }
}
