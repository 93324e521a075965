//! Hospital stays and transitions of care: the stay the patient is in, the TCM timeline after a
//! discharge home (contact attempts, the visit, medication reconciliation, the 30-day period and
//! the code the work supports), LACE from the record with its parts, and the discharge
//! medication list. Every date and state shown is derived by core (`tend_core::transitions`)
//! from the merged record; forms open on demand.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::components::A;
use tend_core::{
    ids::new_item_id,
    ops::TransitionList,
    record::{
        CareSetting, ContactAttempt, ContactMethod, ContactOutcome, DecisionComplexity,
        DischargeMedication, Disposition, IsoDate, LaceOverride, ListItem, RetireReason,
        Transition, TransitionStatus,
    },
    rules::tcm::TaskStatus,
    transitions::{derive_lace, tcm_state, transitions, DerivedLace, TcmState, TcmStepKind},
    ItemList as List, Op, PatientRecord, TransitionChanges,
};

use super::entries::{entry, removed_lines};
use super::history::HistoryToggle;
use super::retire::{RemoveForm, RemovedItems};
use super::{today_iso, Chart};
use crate::clock::today;
use crate::components::fields::{CheckField, SelectField, TextField};
use crate::components::form::{changed, changed_date, edit_of, trimmed, EditToggle, FormToggle};
use crate::format;

const PAST_STAY_FIELDS: &[(&str, &str)] = &[
    ("facility", "Facility"),
    ("admitted_on", "Admitted"),
    ("discharged_on", "Discharged"),
    ("reason", "Reason"),
    ("emergency_only", "ED visit only"),
];

/// "Mercy General · 20 Nov 2026 to 24 Nov 2026 · Heart failure exacerbation" (ED visits say so).
fn past_stay_line(h: &tend_core::record::Hospitalization) -> String {
    let dates = match (&h.admitted_on, &h.discharged_on) {
        (Some(a), Some(d)) if a != d => {
            format!("{} to {}", format::day(a.as_str()), format::day(d.as_str()))
        }
        (Some(a), _) => format::day(a.as_str()),
        (None, Some(d)) => format!("until {}", format::day(d.as_str())),
        (None, None) => "dates not recorded".to_string(),
    };
    let kind = if h.emergency_only {
        "ED visit"
    } else {
        "Hospital stay"
    };
    [
        Some(format!(
            "{kind}: {}",
            if h.facility.trim().is_empty() {
                "facility not recorded"
            } else {
                h.facility.trim()
            }
        )),
        Some(dates),
        (!h.reason.trim().is_empty()).then(|| h.reason.trim().to_string()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}

const STAY_FIELDS: &[(&str, &str)] = &[
    ("facility", "Facility"),
    ("admitted_on", "Admitted"),
    ("discharged_on", "Discharged"),
    ("disposition", "Went to"),
    ("reason", "Reason"),
    ("setting", "Setting"),
    ("face_to_face_on", "Face-to-face visit"),
    ("medication_reconciled_on", "Medications reconciled"),
];

pub fn setting_label(s: &CareSetting) -> String {
    match s {
        CareSetting::Inpatient => "Inpatient stay".into(),
        CareSetting::Observation => "Observation stay".into(),
        CareSetting::EdVisit => "ED visit".into(),
        CareSetting::Snf => "Skilled nursing facility stay".into(),
        CareSetting::Rehab => "Inpatient rehab stay".into(),
        CareSetting::Other(o) => crate::components::fields::humanize(o),
    }
}

pub fn disposition_label(d: &Disposition) -> String {
    match d {
        Disposition::NotRecorded => "Not recorded".into(),
        Disposition::Home => "Home".into(),
        Disposition::HomeHealth => "Home with home health".into(),
        Disposition::AssistedLiving => "Assisted living".into(),
        Disposition::Snf => "Skilled nursing facility".into(),
        Disposition::Rehab => "Rehab facility".into(),
        Disposition::Hospice => "Hospice".into(),
        Disposition::Deceased => "Died".into(),
        Disposition::Other(o) => o.clone(),
    }
}

fn outcome_label(o: &ContactOutcome) -> String {
    match o {
        ContactOutcome::Reached => "Reached the patient or caregiver".into(),
        ContactOutcome::NoAnswer => "No answer".into(),
        ContactOutcome::LeftMessage => "Left a message".into(),
        ContactOutcome::WrongNumber => "Wrong number".into(),
        ContactOutcome::Other(o) => o.clone(),
    }
}

fn method_label(m: &ContactMethod) -> String {
    match m {
        ContactMethod::Phone => "Phone".into(),
        ContactMethod::Video => "Video".into(),
        ContactMethod::InPerson => "In person".into(),
        ContactMethod::PortalMessage => "Portal message".into(),
        ContactMethod::Other(o) => o.clone(),
    }
}

fn complexity_label(c: &DecisionComplexity) -> String {
    match c {
        DecisionComplexity::High => "High — visit within 7 days (99496)".into(),
        _ => "Moderate — visit within 14 days (99495)".into(),
    }
}

fn day_of(d: &Option<IsoDate>) -> String {
    d.as_ref()
        .map(|d| format::day(d.as_str()))
        .unwrap_or_default()
}

/// "Springfield General — Inpatient stay".
fn stay_title(t: &Transition) -> String {
    let facility = if t.facility.trim().is_empty() {
        "Facility not recorded"
    } else {
        t.facility.trim()
    };
    format!("{facility} — {}", setting_label(&t.setting))
}

/// "Admitted 28 Nov 2026 · Discharged 2 Dec 2026 to home · CHF exacerbation".
fn stay_line(t: &Transition) -> String {
    let mut parts = Vec::new();
    if t.setting == CareSetting::EdVisit {
        parts.push(format!("ED visit on {}", day_of(&t.admitted_on)));
    } else {
        if t.admitted_on.is_some() {
            parts.push(format!("Admitted {}", day_of(&t.admitted_on)));
        }
        if t.discharged_on.is_some() {
            parts.push(format!(
                "Discharged {} to {}",
                day_of(&t.discharged_on),
                disposition_label(&t.disposition).to_lowercase()
            ));
        } else {
            parts.push("Not yet discharged".into());
        }
    }
    if t.emergent && t.setting != CareSetting::EdVisit {
        parts.push("Through the emergency department".into());
    }
    if !t.reason.trim().is_empty() {
        parts.push(t.reason.trim().to_string());
    }
    parts.join(" · ")
}

/// A TCM step's state in words.
pub fn task_text(status: TaskStatus) -> String {
    match status {
        TaskStatus::Met { on } => format!("Done {}", format::weekday(on)),
        TaskStatus::Pending { due, days_left: 0 } => {
            format!("Due today, {}", format::weekday(due))
        }
        TaskStatus::Pending { due, days_left } => format!(
            "Due by {} — {} left",
            format::weekday(due),
            plural(days_left, "day")
        ),
        TaskStatus::Overdue { due, days_overdue } => format!(
            "Overdue by {} — was due {}",
            plural(days_overdue, "day"),
            format::weekday(due)
        ),
        TaskStatus::DoneLate { on, due } => format!(
            "Done late, {} (was due {})",
            format::weekday(on),
            format::weekday(due)
        ),
    }
}

fn plural(n: u32, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn step_class(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Met { .. } => "step step-done",
        TaskStatus::Pending { days_left: 0, .. } => "step step-today",
        TaskStatus::Pending { .. } => "step",
        TaskStatus::Overdue { .. } | TaskStatus::DoneLate { .. } => "step step-overdue",
    }
}

/// The stays that get a full card: the one the patient is in, those with a running TCM clock,
/// and the most recent stay; newest first.
fn featured(r: &PatientRecord, today: NaiveDate) -> Vec<String> {
    let all = transitions(r);
    let latest_stay = all
        .iter()
        .rev()
        .find(|t| t.setting != CareSetting::EdVisit)
        .map(|t| t.id.clone());
    all.iter()
        .rev()
        .filter(|t| {
            Some(&t.id) == latest_stay.as_ref()
                || (t.discharged_on.is_none() && t.setting != CareSetting::EdVisit)
                || matches!(tcm_state(r, t, today), TcmState::Clock(c) if c.running)
        })
        .map(|t| t.id.clone())
        .collect()
}

#[component]
pub fn TransitionsSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let day = today();
    let cards = Memo::new(move |_| record.with(|r| featured(r, day)));
    let earlier = Memo::new(move |_| {
        record.with(|r| {
            let cards = featured(r, day);
            transitions(r)
                .into_iter()
                .rev()
                .filter(|t| !cards.contains(&t.id))
                .map(|t| {
                    (
                        t.id.clone(),
                        format!("{} · {}", stay_title(t), stay_line(t)),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    // Stays read from other records (a FHIR import): history for LACE and the care manager, no
    // TCM clock of their own (record a stay above to start one).
    let past = Memo::new(move |_| {
        record.with(|r| {
            let mut stays: Vec<_> = r
                .medical
                .hospitalizations
                .iter()
                .filter(|h| h.is_active())
                .collect();
            // Latest first.
            stays.sort_by_key(|h| std::cmp::Reverse(h.admitted_on.clone()));
            stays
                .into_iter()
                .map(|h| (h.id.clone(), past_stay_line(h)))
                .collect::<Vec<_>>()
        })
    });
    let none =
        Memo::new(move |_| record.with(|r| transitions(r).is_empty()) && past.with(Vec::is_empty));
    let removed = removed_lines(record, |r| &r.transitions, stay_title);
    let (c1, c2, c3) = (chart.clone(), chart.clone(), chart.clone());
    view! {
        <div class="transitions">
            <Show when=move || none.get()>
                <p class="muted">"No hospital stays or ED visits recorded."</p>
            </Show>
            <For each=move || cards.get() key=|id| id.clone() let:id>
                <StayCard chart=c1.clone() id=id />
            </For>
            <section class="card" aria-labelledby="record-stay-title">
                <h2 id="record-stay-title">"Record a stay"</h2>
                <p class="muted">"An admission, an observation stay, a SNF or rehab stay, or an ED visit."</p>
                <RecordAdmission chart=chart.clone() />
            </section>
            <StayList chart=c2 rows=earlier title="Earlier stays and ED visits" list=List::Transitions
                base="transitions" fields=STAY_FIELDS />
            <StayList chart=c3 rows=past title="Hospital stays from other records" list=List::Hospitalizations
                base="medical/hospitalizations" fields=PAST_STAY_FIELDS />
            <RemovedItems items=removed what="stays" />
        </div>
    }
}

/// A card listing stays, one line each, with Remove and History (`base`: the list's path), shown
/// only when there is one.
#[component]
fn StayList(
    chart: Chart,
    rows: Memo<Vec<(String, String)>>,
    title: &'static str,
    list: List,
    base: &'static str,
    fields: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    let title_id = format!("{}-title", base.replace('/', "-"));
    move || {
        let rows = rows.get();
        (!rows.is_empty()).then(|| {
            let chart = chart.clone();
            let list = list.clone();
            view! {
                <section class="card" aria-labelledby=title_id.clone()>
                    <h2 id=title_id.clone()>{title}</h2>
                    <ul class="entries" aria-label=title>
                        {rows.into_iter().map(|(id, line)| {
                            let name = Signal::derive({
                                let line = line.clone();
                                move || line.clone()
                            });
                            view! {
                                <li class="entry">
                                    <p class="entry-main">{line}</p>
                                    <div class="entry-actions">
                                        <RemoveForm chart=chart.clone() list=list.clone() id=id.clone() name=name />
                                        <HistoryToggle chart=chart.clone() base=format!("{base}/{id}") fields=fields name=name />
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}

#[component]
fn StayCard(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let day = today();
    let item = entry(record, |r| &r.transitions, id.clone());
    let state = Memo::new(move |_| record.with(|r| item.with(|t| tcm_state(r, t, day))));
    let lace = Memo::new(move |_| record.with(|r| item.with(|t| derive_lace(r, t))));
    let title = Signal::derive(move || item.with(stay_title));
    let heading_id = format!("stay-{id}");
    let labelled_by = heading_id.clone();
    let (ch_discharge, ch_tcm, ch_lace, ch_meds) =
        (chart.clone(), chart.clone(), chart.clone(), chart.clone());
    let in_hospital =
        move || item.with(|t| t.discharged_on.is_none() && t.setting != CareSetting::EdVisit);
    let discharged_stay =
        move || item.with(|t| t.discharged_on.is_some() && t.setting != CareSetting::EdVisit);
    let has_clock = move || matches!(state.get(), TcmState::Clock(_));
    let note = move || {
        match state.get() {
        TcmState::NotApplicable(why) if discharged_stay() => {
            Some(view! { <p class="muted">{why}</p> }.into_any())
        }
        TcmState::Deceased => Some(
            view! { <p class="muted">"The patient died at the end of this stay. No transitional care steps."</p> }
                .into_any(),
        ),
        TcmState::Invalid(why) => Some(
            view! { <p class="error" role="alert">{format!("The TCM dates cannot be worked out: {why}")}</p> }
                .into_any(),
        ),
        _ => None,
    }
    };
    view! {
        <section class="card stay" aria-labelledby=labelled_by>
            <h2 id=heading_id>{title}</h2>
            <Show when=in_hospital>
                <p class="in-hospital">
                    <strong>"In hospital"</strong>
                    {move || item.with(|t| match &t.admitted_on {
                        Some(d) => format!(" since {}", format::day(d.as_str())),
                        None => String::new(),
                    })}
                </p>
            </Show>
            <p class="entry-meta">{move || item.with(stay_line)}</p>
            <Show when=move || item.with(|t| t.discharged_on.is_some() && t.setting != CareSetting::EdVisit)>
                <p class="entry-meta">{move || item.with(|t| if t.discharge_summary_received {
                    "Discharge summary received".to_string()
                } else {
                    "Discharge summary not received yet".to_string()
                })}</p>
            </Show>
            <div class="entry-actions">
                <Show when=in_hospital>
                    <RecordDischarge chart=ch_discharge.clone() item=item />
                </Show>
                <EditStay chart=chart.clone() item=item />
                <RemoveForm chart=chart.clone() list=List::Transitions id=id.clone() name=title />
                <HistoryToggle chart=chart.clone() base=format!("transitions/{id}") fields=STAY_FIELDS name=title />
            </div>
            {note}
            <Show when=has_clock>
                <TcmBlock chart=ch_tcm.clone() item=item state=state />
            </Show>
            <Show when=move || lace.with(Option::is_some)>
                <LaceBlock chart=ch_lace.clone() item=item lace=lace />
            </Show>
            <Show when=discharged_stay>
                <DischargeMedications chart=ch_meds.clone() item=item />
            </Show>
        </section>
    }
}

#[component]
fn TcmBlock(chart: Chart, item: Memo<Transition>, state: Memo<TcmState>) -> impl IntoView {
    let clock = move || match state.get() {
        TcmState::Clock(c) => Some(c),
        _ => None,
    };
    let timeline = move || {
        let Some(c) = clock() else {
            return Vec::new();
        };
        let mut rows = vec![(
            "step step-done",
            "Discharged".to_string(),
            format::weekday(c.deadlines.discharge),
        )];
        for s in &c.steps {
            let mut when = task_text(s.status);
            if s.kind == TcmStepKind::Contact && c.status.contact_met_by_attempts {
                when.push_str(" (two unsuccessful attempts in time)");
            }
            if s.kind == TcmStepKind::MedicationReconciliation
                && matches!(
                    s.status,
                    TaskStatus::Pending { .. } | TaskStatus::Overdue { .. }
                )
            {
                when.push_str(" — by the visit at the latest");
            }
            rows.push((step_class(s.status), s.kind.label().to_string(), when));
        }
        rows.push((
            "step",
            "30-day service period ends".to_string(),
            format::weekday(c.deadlines.service_period_end),
        ));
        rows
    };
    let code = move || clock().map(|c| c.code_text()).unwrap_or_default();
    let stopped = move || clock().is_some_and(|c| !c.running);
    let attempts = Memo::new(move |_| {
        item.with(|t| {
            let mut list: Vec<ContactAttempt> = t
                .contact_attempts
                .iter()
                .filter(|a| a.is_active())
                .cloned()
                .collect();
            list.sort_by(|a, b| (&a.date, a.recorded.at).cmp(&(&b.date, b.recorded.at)));
            list
        })
    });
    let patient = chart.record.with_untracked(|r| r.id.clone());
    let stay = item.with_untracked(|t| t.id.clone());
    let reconcile_href = format!("/patients/{patient}?section=reconcile&stay={stay}");
    let reconciled = move || {
        item.with(|t| {
            t.medication_reconciled_on.as_ref().map(|d| {
                let by = if t.reconciled_by.trim().is_empty() {
                    String::new()
                } else {
                    format!(" by {}", t.reconciled_by.trim())
                };
                format!("Medications reconciled {}{by}", format::day(d.as_str()))
            })
        })
    };
    let c1 = chart.clone();
    view! {
        <div class="tcm">
            <h3 class="subhead">{move || {
                let c = complexity_label(&item.with(|t| t.complexity.clone()));
                format!("Transitional care (TCM) · {c}")
            }}</h3>
            <Show when=stopped>
                <p class="muted">"This clock has stopped: its steps are no longer on the worklist."</p>
            </Show>
            <ol class="timeline" aria-label="Transitional care timeline">
                {move || timeline().into_iter().map(|(class, name, when)| view! {
                    <li class=class>
                        <span class="step-name">{name}</span>
                        <span class="step-when">{when}</span>
                    </li>
                }).collect_view()}
            </ol>
            <p class="tcm-code" role="status">{code}</p>
            {move || reconciled().map(|t| view! { <p class="entry-meta">{t}</p> })}
            <h4 class="subhead">"Contact attempts"</h4>
            <Show when=move || attempts.with(Vec::is_empty)>
                <p class="muted">"No contact attempt logged yet."</p>
            </Show>
            <ul class="entries" aria-label="Contact attempts">
                <For each=move || attempts.get() key=|a| a.id.clone() let:a>
                    <AttemptRow chart=c1.clone() stay=item.with_untracked(|t| t.id.clone()) attempt=a />
                </For>
            </ul>
            <div class="entry-actions">
                <LogAttempt chart=chart.clone() item=item />
                <RecordVisit chart=chart.clone() item=item />
                <A href=reconcile_href attr:class="button">"Reconcile medications"</A>
                <ChangeComplexity chart=chart.clone() item=item />
            </div>
        </div>
    }
}

#[component]
fn AttemptRow(chart: Chart, stay: String, attempt: ContactAttempt) -> impl IntoView {
    let line = format!(
        "{} · {} · {}{}",
        format::day(attempt.date.as_str()),
        method_label(&attempt.method),
        outcome_label(&attempt.outcome),
        if attempt.note.trim().is_empty() {
            String::new()
        } else {
            format!(" · {}", attempt.note.trim())
        }
    );
    let name = format!("attempt of {}", format::day(attempt.date.as_str()));
    view! {
        <li class="entry">
            <p class="entry-main">{line}</p>
            <div class="entry-actions">
                <RemoveNested chart=chart stay=stay list=TransitionList::ContactAttempts id=attempt.id.clone() what=name />
            </div>
        </li>
    }
}

/// "Remove" of an item in one of a stay's own lists: retired as entered in error, with a note;
/// it stays in the document's history.
#[component]
fn RemoveNested(
    chart: Chart,
    stay: String,
    list: TransitionList,
    id: String,
    what: String,
) -> impl IntoView {
    let name = format!("Remove {what}");
    let note = RwSignal::new(String::new());
    let build = move || {
        Ok(vec![Op::RetireTransitionItem {
            transition_id: stay.clone(),
            list,
            id: id.clone(),
            reason: RetireReason::EnteredInError,
            note: trimmed(note),
        }])
    };
    view! {
        <FormToggle
            open_label="Remove"
            open_name=name.clone()
            title=name
            submit_label="Remove"
            saved_text="Removed (entered in error)."
            quiet=true
            on_open=Callback::new(move |_| note.set(String::new()))
            changes=build
            save=move |ops| chart.save(ops)
        >
            <p>"It was entered in error. It stays in the record's history."</p>
            <TextField label="Note (optional)" value=note />
        </FormToggle>
    }
}

/// A date from a form: required, not before `earliest` (what it is called), not after today.
fn date_between(
    value: RwSignal<String>,
    what: &str,
    earliest: Option<(NaiveDate, &str)>,
) -> Result<IsoDate, String> {
    let raw = trimmed(value);
    let Some(d) = IsoDate::parse(&raw) else {
        return Err(format!("Enter the {what} as a full date."));
    };
    let Some(day) = d.date() else {
        return Err(format!("Enter the {what} as a full date."));
    };
    if day > today() {
        return Err(format!("The {what} cannot be in the future."));
    }
    if let Some((min, name)) = earliest {
        if day < min {
            return Err(format!(
                "The {what} cannot be before the {name} ({}).",
                format::weekday(min)
            ));
        }
    }
    Ok(d)
}

fn options<T>(
    all: &[T],
    label: impl Fn(&T) -> String,
    id: impl Fn(&T) -> &str,
) -> Vec<(String, String)> {
    all.iter().map(|v| (id(v).to_string(), label(v))).collect()
}

#[component]
fn RecordAdmission(chart: Chart) -> impl IntoView {
    let facility = RwSignal::new(String::new());
    let admitted = RwSignal::new(String::new());
    let setting = RwSignal::new(String::new());
    let emergent = RwSignal::new(true);
    let reason = RwSignal::new(String::new());
    let reset = move |_| {
        facility.set(String::new());
        admitted.set(today_iso().0);
        setting.set(CareSetting::Inpatient.as_str().to_string());
        emergent.set(true);
        reason.set(String::new());
    };
    let build = move || {
        let f = trimmed(facility);
        if f.is_empty() {
            return Err("Enter the hospital or facility.".to_string());
        }
        let on = date_between(admitted, "admission date", None)?;
        let setting = CareSetting::parse(&setting.get_untracked());
        let ed = setting == CareSetting::EdVisit;
        Ok(vec![Op::RecordTransition {
            transition: Transition {
                id: new_item_id(),
                facility: f,
                admitted_on: Some(on.clone()),
                // An ED visit without admission ends the day it starts.
                discharged_on: ed.then(|| on.clone()),
                status: if ed {
                    TransitionStatus::Discharged
                } else {
                    TransitionStatus::Admitted
                },
                reason: trimmed(reason),
                emergent: ed || emergent.get_untracked(),
                setting,
                ..Default::default()
            },
        }])
    };
    let settings = options(
        &[
            CareSetting::Inpatient,
            CareSetting::Observation,
            CareSetting::EdVisit,
            CareSetting::Snf,
            CareSetting::Rehab,
        ],
        |s| match s {
            CareSetting::EdVisit => "ED visit (not admitted)".to_string(),
            other => setting_label(other),
        },
        |s| s.as_str(),
    );
    view! {
        <FormToggle
            open_label="Record admission or ED visit"
            title="Record an admission or ED visit"
            submit_label="Save"
            saved_text="Stay recorded."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Hospital or facility" value=facility />
            <TextField label="Admitted on" value=admitted kind="date" />
            <SelectField label="Type of stay" value=setting options=settings.clone() />
            <CheckField label="Came through the emergency department" value=emergent />
            <TextField label="Reason or diagnosis" value=reason />
        </FormToggle>
    }
}

#[component]
fn EditStay(chart: Chart, item: Memo<Transition>) -> impl IntoView {
    let facility = RwSignal::new(String::new());
    let admitted = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let emergent = RwSignal::new(false);
    let fill = move |_| {
        item.with_untracked(|t| {
            facility.set(t.facility.clone());
            admitted.set(
                t.admitted_on
                    .as_ref()
                    .map(|d| d.0.clone())
                    .unwrap_or_default(),
            );
            reason.set(t.reason.clone());
            emergent.set(t.emergent);
        })
    };
    let build = move || {
        let t = item.get_untracked();
        let facility = changed(facility, &t.facility);
        if facility.as_deref() == Some("") {
            return Err("Enter the hospital or facility.".to_string());
        }
        let admitted_on = changed_date(admitted, t.admitted_on.as_ref(), "admission date")?;
        if let (Some(a), Some(dis)) = (
            admitted_on.as_ref().and_then(IsoDate::date),
            t.discharged_on.as_ref().and_then(IsoDate::date),
        ) {
            if a > dis {
                return Err("The admission cannot be after the discharge.".into());
            }
        }
        let e = emergent.get_untracked();
        edit_of(Op::ChangeTransition {
            id: t.id.clone(),
            facility,
            admitted_on,
            reason: changed(reason, &t.reason),
            setting: None,
            emergent: (e != t.emergent).then_some(e),
        })
    };
    let what = Signal::derive(move || item.with(stay_title));
    view! {
        <EditToggle what=what saved_text="Stay updated." on_open=Callback::new(fill) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Hospital or facility" value=facility />
            <TextField label="Admitted on" value=admitted kind="date" />
            <CheckField label="Came through the emergency department" value=emergent />
            <TextField label="Reason or diagnosis" value=reason />
        </EditToggle>
    }
}

#[component]
fn RecordDischarge(chart: Chart, item: Memo<Transition>) -> impl IntoView {
    let on = RwSignal::new(String::new());
    let disposition = RwSignal::new(String::new());
    let summary = RwSignal::new(false);
    let complexity = RwSignal::new(String::new());
    let reset = move |_| {
        on.set(today_iso().0);
        disposition.set(String::new());
        summary.set(false);
        complexity.set(DecisionComplexity::Moderate.as_str().to_string());
    };
    let build = move || {
        let t = item.get_untracked();
        let admitted = t.admitted_on.as_ref().and_then(IsoDate::date);
        let day = date_between(on, "discharge date", admitted.map(|a| (a, "admission")))?;
        let disposition = disposition.get_untracked();
        if disposition.is_empty() {
            return Err("Choose where the patient went.".to_string());
        }
        Ok(vec![Op::UpdateTransition {
            id: t.id.clone(),
            changes: TransitionChanges {
                discharged_on: Some(day),
                disposition: Some(Disposition::parse(&disposition)),
                status: Some(TransitionStatus::Discharged),
                discharge_summary_received: Some(summary.get_untracked()),
                complexity: Some(DecisionComplexity::parse(&complexity.get_untracked())),
                ..Default::default()
            },
        }])
    };
    let mut dispositions = vec![(String::new(), "Choose…".to_string())];
    dispositions.extend(options(&Disposition::ALL[1..], disposition_label, |d| {
        d.as_str()
    }));
    let complexities = options(DecisionComplexity::ALL, complexity_label, |c| c.as_str());
    let title =
        Signal::derive(move || format!("Discharge from {}", item.with(|t| t.facility.clone())));
    view! {
        <FormToggle
            open_label="Record discharge"
            title=title
            submit_label="Save discharge"
            saved_text="Discharge recorded."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Discharged on" value=on kind="date" />
            <SelectField label="Went to" value=disposition options=dispositions.clone() />
            <CheckField label="Discharge summary received" value=summary />
            <SelectField label="Medical decision making" value=complexity options=complexities.clone() />
        </FormToggle>
    }
}

#[component]
fn ChangeComplexity(chart: Chart, item: Memo<Transition>) -> impl IntoView {
    let complexity = RwSignal::new(String::new());
    let fill = move |_| complexity.set(item.with_untracked(|t| t.complexity.as_str().to_string()));
    let build = move || {
        let t = item.get_untracked();
        let c = DecisionComplexity::parse(&complexity.get_untracked());
        edit_of(Op::UpdateTransition {
            id: t.id.clone(),
            changes: TransitionChanges {
                complexity: (c != t.complexity).then_some(c),
                ..Default::default()
            },
        })
    };
    let complexities = options(DecisionComplexity::ALL, complexity_label, |c| c.as_str());
    view! {
        <FormToggle
            open_label="Change complexity"
            title="Medical decision making"
            submit_label="Save"
            saved_text="Complexity changed."
            quiet=true
            on_open=Callback::new(fill)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <SelectField label="Medical decision making" value=complexity options=complexities.clone() />
        </FormToggle>
    }
}

#[component]
fn LogAttempt(chart: Chart, item: Memo<Transition>) -> impl IntoView {
    let on = RwSignal::new(String::new());
    let method = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let reset = move |_| {
        on.set(today_iso().0);
        method.set(ContactMethod::Phone.as_str().to_string());
        outcome.set(String::new());
        note.set(String::new());
    };
    let build = move || {
        let t = item.get_untracked();
        let discharged = t.discharged_on.as_ref().and_then(IsoDate::date);
        let date = date_between(on, "date", discharged.map(|d| (d, "discharge")))?;
        let outcome = outcome.get_untracked();
        if outcome.is_empty() {
            return Err("Choose the outcome.".to_string());
        }
        Ok(vec![Op::LogContactAttempt {
            transition_id: t.id.clone(),
            attempt: ContactAttempt {
                id: new_item_id(),
                date,
                method: ContactMethod::parse(&method.get_untracked()),
                outcome: ContactOutcome::parse(&outcome),
                note: trimmed(note),
                ..Default::default()
            },
        }])
    };
    let methods = options(ContactMethod::ALL, method_label, |m| m.as_str());
    let mut outcomes = vec![(String::new(), "Choose…".to_string())];
    outcomes.extend(options(ContactOutcome::ALL, outcome_label, |o| o.as_str()));
    view! {
        <FormToggle
            open_label="Log contact attempt"
            title="Log a contact attempt"
            submit_label="Save attempt"
            saved_text="Contact attempt logged."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Date" value=on kind="date" />
            <SelectField label="How" value=method options=methods.clone() />
            <SelectField label="Outcome" value=outcome options=outcomes.clone() />
            <TextField label="Note (optional)" value=note />
        </FormToggle>
    }
}

#[component]
fn RecordVisit(chart: Chart, item: Memo<Transition>) -> impl IntoView {
    let on = RwSignal::new(String::new());
    let reset = move |_| on.set(today_iso().0);
    let build = move || {
        let t = item.get_untracked();
        let discharged = t.discharged_on.as_ref().and_then(IsoDate::date);
        let date = date_between(on, "visit date", discharged.map(|d| (d, "discharge")))?;
        edit_of(Op::UpdateTransition {
            id: t.id.clone(),
            changes: TransitionChanges {
                face_to_face_on: (Some(&date) != t.face_to_face_on.as_ref()).then_some(date),
                ..Default::default()
            },
        })
    };
    view! {
        <FormToggle
            open_label="Record visit"
            title="Face-to-face visit"
            submit_label="Save visit"
            saved_text="Visit recorded."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Visit date" value=on kind="date" />
        </FormToggle>
    }
}

#[component]
fn LaceBlock(
    chart: Chart,
    item: Memo<Transition>,
    lace: Memo<Option<DerivedLace>>,
) -> impl IntoView {
    let total = move || {
        lace.with(|l| {
            l.as_ref().map(|l| {
                let band = if l.high_risk {
                    "high risk of readmission"
                } else if l.total >= 5 {
                    "moderate risk of readmission"
                } else {
                    "low risk of readmission"
                };
                format!("LACE {} — {band}", l.total)
            })
        })
    };
    let parts =
        Memo::new(move |_| lace.with(|l| l.as_ref().map(|l| l.parts.clone()).unwrap_or_default()));
    view! {
        <div class="lace">
            <h3 class="subhead">{total}</h3>
            <ul class="entries" aria-label="LACE parts">
                <For each=move || parts.get() key=|p| (p.id, p.points(), p.basis.clone(), p.overridden.clone()) let:part>
                    <li class="entry">
                        <p class="entry-main">{format!("{}: {} point{}", part.label, part.points(), if part.points() == 1 { "" } else { "s" })}</p>
                        <p class="entry-meta">{match &part.overridden {
                            Some((_, reason)) => format!("Set by hand: {reason} (the record gives {} from {})", part.derived, part.basis),
                            None => format!("From the record: {}", part.basis),
                        }}</p>
                        <div class="entry-actions">
                            <OverrideLace chart=chart.clone() item=item part=part.id label=part.label current=part.points() />
                        </div>
                    </li>
                </For>
            </ul>
        </div>
    }
}

#[component]
fn OverrideLace(
    chart: Chart,
    item: Memo<Transition>,
    part: &'static str,
    label: &'static str,
    current: u32,
) -> impl IntoView {
    let points = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let reset = move |_| {
        points.set(current.to_string());
        reason.set(String::new());
    };
    let max = tend_core::transitions::max_lace_points(part);
    let build = move || {
        let Ok(p) = trimmed(points).parse::<u64>() else {
            return Err("Choose the points.".to_string());
        };
        let r = trimmed(reason);
        if r.is_empty() {
            return Err("Say why the record's value is not right.".to_string());
        }
        Ok(vec![Op::SetLaceOverride {
            transition_id: item.with_untracked(|t| t.id.clone()),
            part: LaceOverride {
                id: part.to_string(),
                points: p,
                reason: r,
                ..Default::default()
            },
        }])
    };
    let choices: Vec<(String, String)> = (0..=max)
        .filter(|p| part != "length_of_stay" || *p != 6)
        .map(|p| (p.to_string(), p.to_string()))
        .collect();
    let name = format!("Override {label}");
    view! {
        <FormToggle
            open_label="Override"
            open_name=name.clone()
            title=name
            submit_label="Save override"
            saved_text="LACE part set by hand."
            quiet=true
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <SelectField label="Points" value=points options=choices.clone() />
            <TextField label="Reason" value=reason />
        </FormToggle>
    }
}

fn discharge_med_line(m: &DischargeMedication) -> String {
    [
        m.name.as_str(),
        m.dose.as_str(),
        m.route.as_str(),
        m.frequency.as_str(),
    ]
    .iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ")
}

#[component]
fn DischargeMedications(chart: Chart, item: Memo<Transition>) -> impl IntoView {
    let list_chart = chart.clone();
    let meds = Memo::new(move |_| {
        item.with(|t| {
            t.discharge_medications
                .iter()
                .filter(|m| m.is_active())
                .map(|m| (m.id.clone(), discharge_med_line(m)))
                .collect::<Vec<_>>()
        })
    });
    let name = RwSignal::new(String::new());
    let dose = RwSignal::new(String::new());
    let route = RwSignal::new(String::new());
    let frequency = RwSignal::new(String::new());
    let reset = move |_| {
        for f in [name, dose, route, frequency] {
            f.set(String::new());
        }
    };
    let build = move || {
        let n = trimmed(name);
        if n.is_empty() {
            return Err("Enter the medication.".to_string());
        }
        Ok(vec![Op::AddDischargeMedication {
            transition_id: item.with_untracked(|t| t.id.clone()),
            medication: DischargeMedication {
                id: new_item_id(),
                name: n,
                dose: trimmed(dose),
                route: trimmed(route),
                frequency: trimmed(frequency),
                ..Default::default()
            },
        }])
    };
    view! {
        <div class="discharge-meds">
            <h3 class="subhead">"Discharge medication list"</h3>
            <Show when=move || meds.with(Vec::is_empty)>
                <p class="muted">"Not entered yet. Enter it from the discharge paperwork to reconcile."</p>
            </Show>
            <ul class="entries" aria-label="Discharge medications">
                <For each=move || meds.get() key=|m| m.clone() let:m>
                    <li class="entry">
                        <p class="entry-main">{m.1.clone()}</p>
                        <div class="entry-actions">
                            <RemoveNested chart=list_chart.clone() stay=item.with_untracked(|t| t.id.clone())
                                list=TransitionList::DischargeMedications id=m.0.clone() what=format!("{} from the discharge list", m.1) />
                        </div>
                    </li>
                </For>
            </ul>
            <FormToggle
                open_label="Add discharge medication"
                title="Add a discharge medication"
                submit_label="Add to discharge list"
                saved_text="Added to the discharge list."
                on_open=Callback::new(reset)
                changes=build
                save=move |ops| chart.save(ops)
            >
                <TextField label="Medication" value=name />
                <TextField label="Dose" value=dose />
                <TextField label="Route" value=route />
                <TextField label="How often" value=frequency />
            </FormToggle>
        </div>
    }
}
