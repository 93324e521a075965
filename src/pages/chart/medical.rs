//! Conditions, medications and allergies: the lists first, each item with its own actions
//! (edit, stop/resume, resolve/reactivate, update, remove as entered in error), and the add
//! forms on demand. Removed (retired) items leave the working lists and stay under "Show
//! removed" with who, when and why; nothing is ever deleted.

use leptos::prelude::*;
use tend_core::{
    ids::new_item_id,
    record::{
        Allergy, AllergySeverity, AllergyStatus, Condition, ConditionStatus, IsoDate, ListItem,
        Medication, MedicationStatus,
    },
    ItemList as List, Op,
};

use super::entries::{active_ids, entry, removed_lines};
use super::history::HistoryToggle;
use super::review::AlsoSet;
use super::{retire::RemoveForm, retire::RemovedItems, today_iso, Chart};
use crate::format;

const CONDITION_FIELDS: &[(&str, &str)] = &[
    ("text", "Condition"),
    ("code", "Code"),
    ("status", "Status"),
    ("chronic", "Chronic"),
];
/// Medication fields outside clinical review (a clash of these is marked quietly, not reviewed).
const MEDICATION_PLAIN_FIELDS: &[(&str, &str)] = &[
    ("prescriber", "Prescriber"),
    ("indication", "What it is for"),
];

const MEDICATION_FIELDS: &[(&str, &str)] = &[
    ("name", "Medication"),
    ("dose", "Dose"),
    ("route", "Route"),
    ("frequency", "How often"),
    ("prescriber", "Prescriber"),
    ("indication", "For"),
    ("status", "Status"),
    ("status_reason", "Status reason"),
];
const ALLERGY_FIELDS: &[(&str, &str)] = &[
    ("substance", "Allergic to"),
    ("reaction", "Reaction"),
    ("severity", "Severity"),
    ("status", "Status"),
];
use crate::components::fields::{enum_options, humanize, CheckField, SelectField, TextField};
use crate::components::form::{changed, edit_of, trimmed, ConfirmToggle, EditToggle, FormToggle};

#[component]
pub fn MedicalSection(chart: Chart) -> impl IntoView {
    view! {
        <div class="grid-2">
            <Conditions chart=chart.clone() />
            <Medications chart=chart.clone() />
            <Allergies chart=chart.clone() />
        </div>
        <super::med_schedule::DailySchedule chart=chart.clone() />
    }
}

/// A plain list of lines, or a muted sentence when there are none.
#[component]
pub fn ItemList(
    items: Signal<Vec<String>>,
    empty: &'static str,
    label: &'static str,
) -> impl IntoView {
    move || {
        let items = items.get();
        if items.is_empty() {
            view! { <p class="muted">{empty}</p> }.into_any()
        } else {
            view! {
                <ul class="item-list" aria-label=label>
                    {items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
                </ul>
            }
            .into_any()
        }
    }
}

// ---------------------------------------------------------------- conditions

fn condition_line(c: &Condition) -> String {
    let mut s = c.text.clone();
    if !c.code.is_empty() {
        s.push_str(&format!(" ({})", c.code));
    }
    s
}

#[component]
fn Conditions(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let ids = active_ids(record, |r| &r.medical.conditions);
    let removed = removed_lines(record, |r| &r.medical.conditions, condition_line);
    let row_chart = chart.clone();
    view! {
        <section class="card" aria-labelledby="cond-title">
            <h2 id="cond-title">"Conditions"</h2>
            <Show when=move || ids.with(Vec::is_empty)>
                <p class="muted">"No conditions recorded."</p>
            </Show>
            <ul class="entries" aria-label="Conditions">
                <For each=move || ids.get() key=|id| id.clone() let:id>
                    <ConditionRow chart=row_chart.clone() id=id />
                </For>
            </ul>
            <AddCondition chart=chart.clone() />
            <RemovedItems items=removed what="conditions" />
        </section>
    }
}

#[component]
fn ConditionRow(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let item = entry(record, |r| &r.medical.conditions, id.clone());
    let line = move || item.with(condition_line);
    let status = move || {
        item.with(|c| {
            let mut s = humanize(c.status.as_str());
            if c.chronic {
                s.push_str(", chronic");
            }
            s
        })
    };
    let is_closed = move || {
        item.with(|c| {
            matches!(
                c.status,
                ConditionStatus::Resolved | ConditionStatus::Inactive
            )
        })
    };
    let name = move || item.with(|c| c.text.clone());
    let (resolve_chart, reactivate_chart) = (chart.clone(), chart.clone());
    let (resolve_id, reactivate_id) = (id.clone(), id.clone());
    view! {
        <li class="entry">
            <p class="entry-main">{line}</p>
            <p class="entry-meta">{status}</p>
            <div class="entry-actions">
                <Show
                    when=is_closed
                    fallback=move || {
                        let (chart, id) = (resolve_chart.clone(), resolve_id.clone());
                        view! {
                            <ConfirmToggle
                                open_label="Resolve"
                                open_name=format!("Resolve {}", name())
                                title=format!("Mark {} resolved", name())
                                submit_label="Mark resolved"
                                saved_text="Condition marked resolved."
                                ops=vec![Op::SetConditionStatus { id, status: ConditionStatus::Resolved }]
                                save=move |ops| chart.save(ops)
                            >
                                <p>"It moves out of the active problem list; you can reactivate it later."</p>
                            </ConfirmToggle>
                        }
                    }
                >
                    {
                        let (chart, id) = (reactivate_chart.clone(), reactivate_id.clone());
                        view! {
                            <ConfirmToggle
                                open_label="Reactivate"
                                open_name=format!("Reactivate {}", name())
                                title=format!("Reactivate {}", name())
                                submit_label="Reactivate"
                                saved_text="Condition active again."
                                ops=vec![Op::SetConditionStatus { id, status: ConditionStatus::Active }]
                                save=move |ops| chart.save(ops)
                            >
                                <p>"It returns to the active problem list."</p>
                            </ConfirmToggle>
                        }
                    }
                </Show>
                <RemoveForm chart=chart.clone() list=List::Conditions id=id.clone() name=Signal::derive(name) />
                <HistoryToggle chart=chart.clone() base=format!("medical/conditions/{id}") fields=CONDITION_FIELDS name=Signal::derive(name) />
            </div>
        </li>
    }
}

#[component]
fn AddCondition(chart: Chart) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let chronic = RwSignal::new(true);
    let reset = move |_| {
        text.set(String::new());
        code.set(String::new());
        chronic.set(true);
    };
    let build = move || {
        let t = trimmed(text);
        if t.is_empty() {
            return Err("Enter the condition.".to_string());
        }
        let c = trimmed(code).to_uppercase();
        Ok(vec![Op::AddCondition {
            condition: Condition {
                id: new_item_id(),
                code_system: if c.is_empty() {
                    String::new()
                } else {
                    "icd10cm".into()
                },
                code: c,
                text: t,
                chronic: chronic.get_untracked(),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle
            open_label="Add condition"
            title="Add a condition"
            submit_label="Save condition"
            saved_text="Condition added."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Condition" value=text />
            <TextField label="ICD-10 code (optional)" value=code />
            <CheckField label="Chronic" value=chronic />
        </FormToggle>
    }
}

// ---------------------------------------------------------------- medications

fn medication_line(m: &Medication) -> String {
    let timing = super::med_schedule::timing_text(m);
    [
        m.name.as_str(),
        m.dose.as_str(),
        m.route.as_str(),
        timing.as_str(),
    ]
    .iter()
    .filter(|s| !s.trim().is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" ")
}

/// "Stopped since 2 Mar 2026: GI upset" / "Active".
fn medication_status(m: &Medication) -> String {
    let mut s = humanize(m.status.as_str());
    if let Some(since) = &m.status_since {
        s.push_str(&format!(" since {}", format::day(since.as_str())));
    }
    if !m.status_reason.trim().is_empty() {
        s.push_str(&format!(": {}", m.status_reason.trim()));
    }
    s
}

fn is_current(m: &Medication) -> bool {
    matches!(
        m.status,
        MedicationStatus::Active | MedicationStatus::OnHold
    )
}

#[component]
fn Medications(chart: Chart) -> impl IntoView {
    let record = chart.record;
    // Current medications first, then stopped/completed ones (still part of the record).
    let ids = move |current: bool| {
        Memo::new(move |_| {
            record.with(|r| {
                r.medical
                    .medications
                    .iter()
                    .filter(|m| m.is_active() && is_current(m) == current)
                    .map(|m| m.id.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let (current, past) = (ids(true), ids(false));
    let removed = removed_lines(record, |r| &r.medical.medications, medication_line);
    let (c1, c2) = (chart.clone(), chart.clone());
    view! {
        <section class="card" aria-labelledby="med-title">
            <h2 id="med-title">"Medications"</h2>
            <Show when=move || current.with(Vec::is_empty)>
                <p class="muted">"No current medications recorded."</p>
            </Show>
            <ul class="entries" aria-label="Current medications">
                <For each=move || current.get() key=|id| id.clone() let:id>
                    <MedicationRow chart=c1.clone() id=id />
                </For>
            </ul>
            <AddMedication chart=chart.clone() />
            <Show when=move || !past.with(Vec::is_empty)>
                <h3 class="subhead">"Stopped or completed"</h3>
            </Show>
            <ul class="entries" aria-label="Stopped medications">
                <For each=move || past.get() key=|id| id.clone() let:id>
                    <MedicationRow chart=c2.clone() id=id />
                </For>
            </ul>
            <RemovedItems items=removed what="medications" />
        </section>
    }
}

#[component]
fn MedicationRow(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let item = entry(record, |r| &r.medical.medications, id.clone());
    let details = move || {
        item.with(|m| {
            let mut parts = vec![medication_status(m)];
            if !m.indication.trim().is_empty() {
                parts.push(format!("For {}", m.indication.trim()));
            }
            if !m.prescriber.trim().is_empty() {
                parts.push(format!("Prescribed by {}", m.prescriber.trim()));
            }
            parts.join(" · ")
        })
    };
    let name = Signal::derive(move || item.with(|m| m.name.clone()));
    let current = move || item.with(is_current);
    let (stop_chart, resume_chart) = (chart.clone(), chart.clone());
    let (stop_id, resume_id) = (id.clone(), id.clone());
    view! {
        <li class="entry">
            <p class="entry-main">{move || item.with(medication_line)}</p>
            <p class="entry-meta">{details}</p>
            <div class="entry-actions">
                <EditMedication chart=chart.clone() item=item />
                <super::med_schedule::SetTimes chart=chart.clone() item=item />
                <Show
                    when=current
                    fallback=move || view! { <ResumeMedication chart=resume_chart.clone() id=resume_id.clone() name=name /> }
                >
                    <StopMedication chart=stop_chart.clone() id=stop_id.clone() name=name />
                </Show>
                <RemoveForm chart=chart.clone() list=List::Medications id=id.clone() name=name />
                <HistoryToggle chart=chart.clone() base=format!("medical/medications/{id}") fields=MEDICATION_FIELDS name=name />
            </div>
            <AlsoSet chart=chart.clone() base=format!("medical/medications/{id}") fields=MEDICATION_PLAIN_FIELDS />
        </li>
    }
}

#[component]
fn EditMedication(chart: Chart, item: Memo<Medication>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let dose = RwSignal::new(String::new());
    let route = RwSignal::new(String::new());
    let frequency = RwSignal::new(String::new());
    let prescriber = RwSignal::new(String::new());
    let indication = RwSignal::new(String::new());
    let reset = move |_| {
        let m = item.get_untracked();
        name.set(m.name);
        dose.set(m.dose);
        route.set(m.route);
        frequency.set(m.frequency);
        prescriber.set(m.prescriber);
        indication.set(m.indication);
    };
    let build = move || {
        let m = item.get_untracked();
        if trimmed(name).is_empty() {
            return Err("Enter the medication name.".to_string());
        }
        edit_of(Op::ChangeMedication {
            id: m.id.clone(),
            name: changed(name, &m.name),
            dose: changed(dose, &m.dose),
            route: changed(route, &m.route),
            frequency: changed(frequency, &m.frequency),
            prescriber: changed(prescriber, &m.prescriber),
            indication: changed(indication, &m.indication),
        })
    };
    let label = move || item.with(|m| m.name.clone());
    view! {
        <EditToggle what=Signal::derive(label) saved_text="Medication updated."
            on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Medication" value=name />
            <TextField label="Dose" value=dose />
            <TextField label="Route" value=route hint="e.g. by mouth, inhaled" />
            <TextField label="How often" value=frequency />
            <TextField label="Prescriber" value=prescriber />
            <TextField label="What it is for" value=indication />
        </EditToggle>
    }
}

#[component]
fn StopMedication(chart: Chart, id: String, name: Signal<String>) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let reset = move |_| {
        date.set(today_iso().0);
        reason.set(String::new());
    };
    let build = move || {
        let Some(since) = IsoDate::parse(&date.get_untracked()) else {
            return Err("Enter the date it was stopped.".to_string());
        };
        let why = trimmed(reason);
        if why.is_empty() {
            return Err("Say why it was stopped (e.g. stopped by the cardiologist).".to_string());
        }
        Ok(vec![Op::SetMedicationStatus {
            id: id.clone(),
            status: MedicationStatus::Stopped,
            since: Some(since),
            reason: why,
        }])
    };
    view! {
        <FormToggle
            open_label="Stop"
            open_name=Signal::derive(move || format!("Stop {}", name.get()))
            title=Signal::derive(move || format!("Stop {}", name.get()))
            submit_label="Stop medication"
            saved_text="Medication stopped."
            quiet=true
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Stopped on" value=date kind="date" />
            <TextField label="Reason" value=reason />
        </FormToggle>
    }
}

#[component]
fn ResumeMedication(chart: Chart, id: String, name: Signal<String>) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let reset = move |_| {
        date.set(today_iso().0);
        note.set(String::new());
    };
    let build = move || {
        let Some(since) = IsoDate::parse(&date.get_untracked()) else {
            return Err("Enter the date it was restarted.".to_string());
        };
        Ok(vec![Op::SetMedicationStatus {
            id: id.clone(),
            status: MedicationStatus::Active,
            since: Some(since),
            reason: trimmed(note),
        }])
    };
    view! {
        <FormToggle
            open_label="Resume"
            open_name=Signal::derive(move || format!("Resume {}", name.get()))
            title=Signal::derive(move || format!("Resume {}", name.get()))
            submit_label="Resume medication"
            saved_text="Medication active again."
            quiet=true
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Restarted on" value=date kind="date" />
            <TextField label="Note (optional)" value=note />
        </FormToggle>
    }
}

#[component]
fn AddMedication(chart: Chart) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let dose = RwSignal::new(String::new());
    let frequency = RwSignal::new(String::new());
    let indication = RwSignal::new(String::new());
    let reset = move |_| {
        name.set(String::new());
        dose.set(String::new());
        frequency.set(String::new());
        indication.set(String::new());
    };
    let build = move || {
        let n = trimmed(name);
        if n.is_empty() {
            return Err("Enter the medication name.".to_string());
        }
        Ok(vec![Op::AddMedication {
            medication: Medication {
                id: new_item_id(),
                name: n,
                dose: trimmed(dose),
                frequency: trimmed(frequency),
                indication: trimmed(indication),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle
            open_label="Add medication"
            title="Add a medication"
            submit_label="Save medication"
            saved_text="Medication added."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Medication" value=name />
            <TextField label="Dose" value=dose />
            <TextField label="How often" value=frequency />
            <TextField label="What it is for (optional)" value=indication />
        </FormToggle>
    }
}

// ---------------------------------------------------------------- allergies

fn allergy_line(a: &Allergy) -> String {
    if a.reaction.trim().is_empty() {
        a.substance.clone()
    } else {
        format!("{}: {}", a.substance, a.reaction.trim())
    }
}

#[component]
fn Allergies(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let ids = active_ids(record, |r| &r.medical.allergies);
    let removed = removed_lines(record, |r| &r.medical.allergies, allergy_line);
    let row_chart = chart.clone();
    view! {
        <section class="card" aria-labelledby="allergy-title">
            <h2 id="allergy-title">"Allergies"</h2>
            <Show when=move || ids.with(Vec::is_empty)>
                <p class="muted">"No allergies recorded."</p>
            </Show>
            <ul class="entries" aria-label="Allergies">
                <For each=move || ids.get() key=|id| id.clone() let:id>
                    <AllergyRow chart=row_chart.clone() id=id />
                </For>
            </ul>
            <AddAllergy chart=chart.clone() />
            <RemovedItems items=removed what="allergies" />
        </section>
    }
}

#[component]
fn AllergyRow(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let item = entry(record, |r| &r.medical.allergies, id.clone());
    let meta = move || {
        item.with(|a| {
            format!(
                "{} · {}",
                humanize(a.severity.as_str()),
                humanize(a.status.as_str())
            )
        })
    };
    let name = Signal::derive(move || item.with(|a| a.substance.clone()));
    view! {
        <li class="entry">
            <p class="entry-main">{move || item.with(allergy_line)}</p>
            <p class="entry-meta">{meta}</p>
            <div class="entry-actions">
                <UpdateAllergy chart=chart.clone() item=item />
                <RemoveForm chart=chart.clone() list=List::Allergies id=id.clone() name=name />
                <HistoryToggle chart=chart.clone() base=format!("medical/allergies/{id}") fields=ALLERGY_FIELDS name=name />
            </div>
        </li>
    }
}

#[component]
fn UpdateAllergy(chart: Chart, item: Memo<Allergy>) -> impl IntoView {
    let reaction = RwSignal::new(String::new());
    let severity = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let reset = move |_| {
        let a = item.get_untracked();
        reaction.set(a.reaction);
        severity.set(a.severity.as_str().to_string());
        status.set(a.status.as_str().to_string());
    };
    let build = move || {
        let a = item.get_untracked();
        let severity_now = AllergySeverity::parse(&severity.get_untracked());
        let status_now = AllergyStatus::parse(&status.get_untracked());
        let reaction = changed(reaction, &a.reaction);
        let severity = (severity_now != a.severity).then_some(severity_now);
        let status = (status_now != a.status).then_some(status_now);
        edit_of(Op::UpdateAllergy {
            id: a.id.clone(),
            reaction,
            severity,
            status,
        })
    };
    let label = move || item.with(|a| a.substance.clone());
    // The select shows the current value when the form opens (reset runs first).
    view! {
        <FormToggle
            open_label="Update"
            open_name=Signal::derive(move || format!("Update {}", label()))
            title=Signal::derive(move || format!("Update {} allergy", label()))
            submit_label="Save changes"
            saved_text="Allergy updated."
            quiet=true
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Reaction" value=reaction />
            <SelectField label="Severity" value=severity options=enum_options(AllergySeverity::ALL, |s| s.as_str()) />
            <SelectField label="Status" value=status options=enum_options(AllergyStatus::ALL, |s| s.as_str()) />
        </FormToggle>
    }
}

#[component]
fn AddAllergy(chart: Chart) -> impl IntoView {
    let substance = RwSignal::new(String::new());
    let reaction = RwSignal::new(String::new());
    let severity = RwSignal::new(AllergySeverity::Unknown.as_str().to_string());
    let reset = move |_| {
        substance.set(String::new());
        reaction.set(String::new());
        severity.set(AllergySeverity::Unknown.as_str().to_string());
    };
    let build = move || {
        let s = trimmed(substance);
        if s.is_empty() {
            return Err("Enter what the patient is allergic to.".to_string());
        }
        Ok(vec![Op::AddAllergy {
            allergy: Allergy {
                id: new_item_id(),
                substance: s,
                reaction: trimmed(reaction),
                severity: AllergySeverity::parse(&severity.get_untracked()),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle
            open_label="Add allergy"
            title="Add an allergy"
            submit_label="Save allergy"
            saved_text="Allergy added."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Allergic to" value=substance />
            <TextField label="Reaction" value=reaction />
            <SelectField label="Severity" value=severity options=enum_options(AllergySeverity::ALL, |s| s.as_str()) />
        </FormToggle>
    }
}
