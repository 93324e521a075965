//! Patient chart: loads the patient's document once, shows a header (name, age, risk tier, flags,
//! programs) and one section at a time (`?section=`), each a submodule. Every change goes through
//! [`Chart::apply`] → `Session::edit` → `PatientDoc::apply` (a typed op), then the record is re-read
//! from the in-memory document, so what is shown is what was written.

mod assessment;
mod care_plan;
mod contacts;
mod coordination;
mod education;
mod entries;
mod follow_ups;
mod history;
mod med_schedule;
mod medical;
mod overview;
mod programs;
mod reconcile;
mod retire;
mod review;
mod safety;
mod team;
mod timer;
mod transitions;
mod visits;

use std::future::Future;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use send_wrapper::SendWrapper;
use tend_core::{
    assess,
    record::{IsoDate, ListItem},
    rules::Flag,
    Conflict, ConflictValue, DocError, FieldChange, Op, PatientId, PatientRecord,
};

use crate::clock::today;
use crate::components::fields::humanize;
use crate::session::{EditError, OpenDocHandle, Session};

/// The open chart: the in-memory document and the record last read from it.
#[derive(Clone)]
pub struct Chart {
    session: Session,
    open: SendWrapper<OpenDocHandle>,
    pub record: RwSignal<PatientRecord>,
    /// The last rejected or unsaved change, shown at the top of the chart.
    pub error: RwSignal<Option<String>>,
}

impl Chart {
    pub fn author_name(&self) -> String {
        self.session.author().user_name
    }

    /// Applies `op` and saves it; the record is re-read either way (a failed save keeps the change
    /// in memory and retries it with the next edit).
    pub fn apply(&self, op: Op) -> impl Future<Output = Result<(), EditError>> + 'static {
        self.save(vec![op])
    }

    /// Applies `ops` as one change (all or none; see `PatientDoc::apply_all`) and saves it. The
    /// outcome is also shown at the top of the chart; forms show it next to themselves too.
    pub fn save(&self, ops: Vec<Op>) -> impl Future<Output = Result<(), EditError>> + 'static {
        let this = self.clone();
        async move {
            let result = this
                .session
                .edit(&this.open, move |doc, author, now| {
                    doc.apply_all(ops, author, now)
                })
                .await;
            let fresh = this.open.borrow().doc.record();
            match fresh {
                Ok(record) => this.record.set(record),
                Err(e) => this
                    .error
                    .set(Some(format!("The record could not be re-read: {e}"))),
            }
            match &result {
                Ok(()) => this.error.set(None),
                Err(e) => this.error.set(Some(e.to_string())),
            }
            result
        }
    }

    /// Every reviewed field that holds values written concurrently on different devices.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, DocError> {
        self.open.borrow_mut().doc.conflicts()
    }

    /// The values a plain field holds after two devices set it while apart (see
    /// `PatientDoc::concurrent_values`); empty when it holds one.
    pub fn concurrent_values(&self, path: &str) -> Result<Vec<ConflictValue>, DocError> {
        self.open.borrow_mut().doc.concurrent_values(path)
    }

    /// Every change of the field at `path`, oldest first, with who/when/device.
    pub fn history(&self, path: &str) -> Result<Vec<FieldChange>, DocError> {
        self.open.borrow_mut().doc.history(path)
    }

    /// Fire-and-forget [`Chart::apply`]; `on_ok` runs after the change is durable.
    pub fn run(&self, op: Op, on_ok: impl FnOnce() + 'static) {
        let fut = self.apply(op);
        spawn_local(async move {
            if fut.await.is_ok() {
                on_ok();
            }
        });
    }
}

/// Today's date as stored in documents.
pub fn today_iso() -> IsoDate {
    IsoDate::new(today())
}

#[derive(Clone)]
enum Load {
    Loading,
    Ready(Chart),
    Missing(String),
}

const SECTIONS: &[(&str, &str)] = &[
    ("overview", "Overview"),
    ("medical", "Conditions & medications"),
    ("transitions", "Hospital & transitions"),
    ("contacts", "Contacts & care team"),
    ("assessment", "Assessment"),
    ("plan", "Care plan"),
    ("visits", "Visits & calls"),
    ("follow-ups", "Follow-ups"),
    ("coordination", "Referrals & insurance"),
    ("education", "Education"),
    ("programs", "Programs & time"),
];

pub use med_schedule::schedule_table;

/// The name of a section (`?section=`) as the section list shows it.
fn section_label(key: &str) -> &'static str {
    match key {
        "reconcile" => "Hospital & transitions",
        "review" => "Changes to review",
        other => SECTIONS
            .iter()
            .find(|(k, _)| *k == other)
            .map_or("Overview", |(_, label)| *label),
    }
}

#[component]
pub fn PatientPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let params = use_params_map();
    let query = use_query_map();
    let load = RwSignal::new(Load::Loading);
    let patient_id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));

    Effect::new(move |_| {
        let raw = patient_id.get();
        let session = session.clone();
        load.set(Load::Loading);
        spawn_local(async move {
            let Some(id) = PatientId::parse(&raw) else {
                load.set(Load::Missing(
                    "This link does not point to a patient.".into(),
                ));
                return;
            };
            let result = session.open_patient(&id).await;
            load.set(match result {
                Ok(open) => {
                    let record = open.borrow().doc.record();
                    match record {
                        Ok(record) => Load::Ready(Chart {
                            session,
                            open: SendWrapper::new(open),
                            record: RwSignal::new(record),
                            error: RwSignal::new(None),
                        }),
                        Err(e) => {
                            Load::Missing(format!("This patient's record could not be read: {e}"))
                        }
                    }
                }
                Err(e) => Load::Missing(e.to_string()),
            });
        });
    });

    let section = Memo::new(move |_| {
        query.with(|q| q.get("section").unwrap_or_else(|| "overview".to_string()))
    });

    view! {
        <section class="page">
            <p class="back"><A href="/caseload">"← Caseload"</A></p>
            {move || match load.get() {
                Load::Loading => view! { <p class="muted">"Opening…"</p> }.into_any(),
                Load::Missing(reason) => view! {
                    <h1>"Patient not available"</h1>
                    <p role="alert">{reason}</p>
                }.into_any(),
                Load::Ready(chart) => {
                    view! { <ChartView chart=chart section=section patient_id=patient_id /> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ChartView(chart: Chart, section: Memo<String>, patient_id: Memo<String>) -> impl IntoView {
    let error = chart.error;
    // Changes merged from other devices (sync) or other tabs land in the open document; re-read it.
    let remote_version = chart.session.remote_version;
    let for_remote = chart.clone();
    Effect::new(move |previous: Option<u64>| {
        let version = remote_version.get();
        if previous.is_some_and(|p| p != version) {
            let fresh = for_remote.open.borrow().doc.record();
            if let Ok(record) = fresh {
                for_remote.record.set(record);
            }
        }
        version
    });
    // The phone's section list closes once a section is chosen (or the section changes otherwise).
    let sections_open = RwSignal::new(false);
    Effect::new(move |_| {
        section.track();
        sections_open.set(false);
    });
    let nav = move || {
        let id = patient_id.get();
        SECTIONS
            .iter()
            .map(|(key, label)| {
                let href = format!("/patients/{id}?section={key}");
                let current = move || {
                    let now = section.get();
                    (now == *key || (*key == "transitions" && now == "reconcile")).then_some("page")
                };
                view! { <li><a href=href aria-current=current on:click=move |_| sections_open.set(false)>{*label}</a></li> }
            })
            .collect_view()
    };
    let chart_for_body = chart.clone();
    let body = move || {
        let chart = chart_for_body.clone();
        match section.get().as_str() {
            "medical" => view! { <medical::MedicalSection chart=chart /> }.into_any(),
            "contacts" => view! { <contacts::ContactsSection chart=chart /> }.into_any(),
            "assessment" => view! { <assessment::AssessmentSection chart=chart /> }.into_any(),
            "plan" => view! { <care_plan::CarePlanSection chart=chart /> }.into_any(),
            "visits" => view! { <visits::VisitsSection chart=chart /> }.into_any(),
            "follow-ups" => view! { <follow_ups::FollowUpsSection chart=chart /> }.into_any(),
            "review" => view! { <review::ReviewSection chart=chart /> }.into_any(),
            "transitions" => view! { <transitions::TransitionsSection chart=chart /> }.into_any(),
            "reconcile" => view! { <reconcile::ReconcileSection chart=chart /> }.into_any(),
            "education" => view! { <education::EducationSection chart=chart /> }.into_any(),
            "programs" => view! { <programs::ProgramsSection chart=chart /> }.into_any(),
            "coordination" => {
                view! { <coordination::CoordinationSection chart=chart /> }.into_any()
            }
            _ => view! { <overview::OverviewSection chart=chart /> }.into_any(),
        }
    };
    // Outside the care team the chart is read-only: forms do not offer to open.
    let access = chart.clone();
    let read_only = Signal::derive(move || {
        access.record.with(|r| {
            !access
                .session
                .may_edit(&r.profile.care_manager, &r.profile.care_team_ids())
        })
    });
    provide_context(crate::components::form::ReadOnly(read_only));
    view! {
        <ChartHeader chart=chart.clone() />
        <team::HandoverNotice chart=chart.clone() />
        <team::CareTeamBar chart=chart.clone() />
        <review::ReviewNotice chart=chart.clone() patient_id=patient_id />
        <nav class="chart-nav" class:open=move || sections_open.get() aria-label="Chart sections">
            // Phone: the current section's name opens the list of all of them (a grid, every label
            // whole); wider screens show the list itself and hide this button (CSS).
            <button type="button" class="chart-nav-toggle"
                aria-expanded=move || if sections_open.get() { "true" } else { "false" }
                aria-controls="chart-sections"
                on:click=move |_| sections_open.update(|o| *o = !*o)>
                <span>{move || format!("Section: {}", section_label(&section.get()))}</span>
                <span aria-hidden="true">{move || if sections_open.get() { "▴" } else { "▾" }}</span>
            </button>
            <ul id="chart-sections">{nav}</ul>
        </nav>
        <div class="chart-tools">
            <A href=move || format!("/patients/{}/handout", patient_id.get()) attr:class="button">"Print for patient"</A>
            <crate::pages::exchange::ExportPatientButton record=chart.record />
            <timer::TimerControl chart=chart.clone() />
        </div>
        <Show when=move || error.get().is_some()>
            <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
        </Show>
        <div class="chart-body">{body}</div>
    }
}

#[component]
fn ChartHeader(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let name = move || record.with(|r| r.name.display());
    let facts = move || {
        record.with(|r| {
            let today = today();
            let mut parts = Vec::new();
            match r.profile.date_of_birth.as_ref().and_then(IsoDate::date) {
                Some(dob) => match tend_core::summary::age_on(dob, today) {
                    Some(age) => parts.push(format!("{age} years")),
                    None => parts.push("Age unknown".into()),
                },
                None => parts.push("Date of birth not recorded".into()),
            }
            let risk = assess::assess(r, today);
            parts.push(format!("Risk tier: {}", risk.tier.label()));
            parts.join(" · ")
        })
    };
    let badges = move || {
        record.with(|r| {
            let mut out: Vec<(String, &'static str)> = Vec::new();
            let allergies: Vec<String> = r
                .medical
                .allergies
                .iter()
                .filter(|a| a.is_active() && a.status == tend_core::record::AllergyStatus::Active)
                .map(|a| a.substance.clone())
                .collect();
            if allergies.is_empty() {
                out.push(("No allergies recorded".into(), "badge"));
            } else {
                out.push((
                    format!("Allergies: {}", allergies.join(", ")),
                    "badge badge-warn",
                ));
            }
            if let Some(stay) = tend_core::transitions::in_hospital(r, today()) {
                let since = stay
                    .admitted_on
                    .as_ref()
                    .map(|d| format!(" since {}", crate::format::day(d.as_str())))
                    .unwrap_or_default();
                out.push((format!("In hospital{since}"), "badge badge-warn"));
            }
            if r.support.lives_alone == Some(true) {
                out.push(("Lives alone".into(), "badge badge-warn"));
            }
            if !r.support.caregivers.iter().any(|c| c.is_active()) {
                out.push(("No caregiver".into(), "badge badge-warn"));
            }
            for flag in assess::instrument_flags(r) {
                if flag != Flag::SafetyRisk {
                    out.push((flag.label().to_string(), "badge badge-warn"));
                }
            }
            for p in r
                .programs
                .iter()
                .filter(|p| p.is_active() && p.status == tend_core::record::ProgramStatus::Active)
            {
                out.push((program_label(p.program.as_str()), "badge badge-program"));
            }
            out
        })
    };
    view! {
        <header class="chart-header">
            <h1>{name}</h1>
            <p class="chart-facts">{facts}</p>
            <safety::SafetyBanner chart=chart />
            <ul class="badges" aria-label="Flags and programs">
                {move || badges().into_iter().map(|(text, class)| view! { <li class=class>{text}</li> }).collect_view()}
            </ul>
        </header>
    }
}

/// Display name of a program id.
pub fn program_label(id: &str) -> String {
    match id {
        "ccm" => "CCM".into(),
        "pcm" => "PCM".into(),
        "tcm" => "TCM".into(),
        "bhi" => "BHI".into(),
        other => humanize(other),
    }
}
