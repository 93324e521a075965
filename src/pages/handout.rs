//! "Print for patient": a large-print page the patient keeps — goals and the steps each person
//! takes, the medication schedule, appointments and calls, who to call (with the crisis line when a
//! safety flag is present), allergies. Headings are in the patient's preferred language when Tend
//! has it (English, Spanish); what the care team wrote stays as written. Printed, only the handout
//! shows (style/main.css `@media print`).

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use tend_core::{
    handout::{handout, Handout},
    PatientId,
};

use crate::clock::today;
use crate::pages::chart::schedule_table;
use crate::session::Session;

#[derive(Clone)]
enum Load {
    Loading,
    Ready(Box<Handout>),
    Missing(String),
}

#[component]
pub fn HandoutPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let params = use_params_map();
    let raw_id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    let load = RwSignal::new(Load::Loading);
    let chart_href = format!("/patients/{raw_id}");
    {
        let session = session.clone();
        spawn_local(async move {
            let Some(id) = PatientId::parse(&raw_id) else {
                load.set(Load::Missing(
                    "This link does not point to a patient.".into(),
                ));
                return;
            };
            let opened = session.open_patient(&id).await;
            let record = opened
                .map_err(|e| e.to_string())
                .and_then(|open| open.borrow().doc.record().map_err(|e| e.to_string()));
            load.set(match record {
                Ok(r) => Load::Ready(Box::new(handout(&r, today(), &session.author().user_name))),
                Err(e) => Load::Missing(format!("This patient's record could not be read: {e}")),
            });
        });
    }
    let print = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <section class="page">
            <p class="back no-print"><A href=chart_href>"← Back to the chart"</A></p>
            {move || match load.get() {
                Load::Loading => view! { <p class="muted">"Preparing the handout…"</p> }.into_any(),
                Load::Missing(reason) => view! {
                    <h1>"Handout not available"</h1>
                    <p role="alert">{reason}</p>
                }.into_any(),
                Load::Ready(h) => view! {
                    <p class="no-print">
                        <button type="button" class="button button-primary" on:click=print>"Print"</button>
                    </p>
                    <HandoutView h=*h />
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn HandoutView(h: Handout) -> impl IntoView {
    let lang = h.lang;
    let l = lang.labels();
    let printed = format!("{} {}", l.printed, lang.date(today()));
    view! {
        <article class="handout" lang=lang.code() aria-labelledby="handout-title">
            <h1 id="handout-title">{format!("{}: {}", l.title, h.patient)}</h1>
            <p class="muted">{printed}</p>
            {h.crisis_line.then(|| view! { <p class="handout-crisis">{l.crisis}</p> })}
            <section aria-labelledby="handout-goals">
                <h2 id="handout-goals">{l.goals}</h2>
                {if h.goals.is_empty() {
                    view! { <p>{l.no_goals}</p> }.into_any()
                } else {
                    view! {
                        <ul class="handout-goals">
                            {h.goals.into_iter().map(|g| view! {
                                <li>
                                    <p class="handout-goal">{g.text}</p>
                                    <ul>
                                        {g.steps.into_iter().map(|(who, what)| view! {
                                            <li><strong>{who}</strong>" "{what}</li>
                                        }).collect_view()}
                                    </ul>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section aria-labelledby="handout-meds">
                <h2 id="handout-meds">{l.medicines}</h2>
                {schedule_table(&h.schedule, lang)}
            </section>
            <section aria-labelledby="handout-appointments">
                <h2 id="handout-appointments">{l.appointments}</h2>
                {if h.appointments.is_empty() {
                    view! { <p>{l.no_appointments}</p> }.into_any()
                } else {
                    view! {
                        <ul>
                            {h.appointments.into_iter().map(|(day, what)| view! {
                                <li><strong>{lang.date(day)}</strong>" — "{what}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section aria-labelledby="handout-call">
                <h2 id="handout-call">{l.who_to_call}</h2>
                <ul>
                    {h.contacts.into_iter().map(|c| {
                        let mut line = c.name;
                        if !c.phone.is_empty() {
                            line.push_str(&format!(" — {}", c.phone));
                        }
                        view! { <li><strong>{c.role}</strong>": "{line}</li> }
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="handout-allergies">
                <h2 id="handout-allergies">{l.allergies}</h2>
                <p>{if h.allergies.is_empty() { l.no_allergies.to_string() } else { h.allergies.join(", ") }}</p>
            </section>
        </article>
    }
}
