//! Visits and calls: start an encounter, write its narrative note (Automerge text, saved as you
//! type), review symptoms, and schedule the next follow-up before leaving.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use tend_core::{
    ids::new_item_id,
    record::{Encounter, EncounterKind, FollowUp, FollowUpKind, FollowUpStatus, IsoDate, ListItem},
    ItemList, NarrativeTarget, Op,
};

use super::entries::entry;
use super::history::HistoryToggle;
use super::retire::RemoveForm;
use super::review::AlsoSet;
use super::{follow_ups::ScheduleForm, overview::FormMessage, today_iso, Chart};
use crate::components::fields::{enum_options, humanize, CheckField, SelectField, TextField};
use crate::components::form::{changed, edit_of, trimmed, EditToggle, FormToggle};
use crate::components::narrative::NarrativeEditor;
use crate::format;

const SYMPTOMS: &[&str] = &[
    "Pain",
    "Shortness of breath",
    "Chest pain",
    "Dizziness or falls",
    "Swelling",
    "Low mood",
    "Confusion",
    "Problems with medicines",
];

#[component]
pub fn VisitsSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let encounter_ids = move || {
        record.with(|r| {
            let mut list: Vec<_> = r.encounters.iter().filter(|e| e.is_active()).collect();
            list.sort_by(|a, b| (&b.date, b.recorded.at).cmp(&(&a.date, a.recorded.at)));
            list.into_iter().map(|e| e.id.clone()).collect::<Vec<_>>()
        })
    };
    let chart_list = chart.clone();
    view! {
        <StartForm chart=chart.clone() />
        <Show when=move || encounter_ids().is_empty()>
            <p class="muted">"No visits or calls recorded yet."</p>
        </Show>
        <For each=encounter_ids key=|id| id.clone() let:id>
            <EncounterCard chart=chart_list.clone() id=id />
        </For>
    }
}

/// An encounter's kind, subject and date, for starting and correcting it.
#[derive(Clone, Copy)]
struct EncounterFields {
    kind: RwSignal<String>,
    subject: RwSignal<String>,
    date: RwSignal<String>,
}

impl EncounterFields {
    fn new() -> Self {
        Self {
            kind: RwSignal::new(String::new()),
            subject: RwSignal::new(String::new()),
            date: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, e: &Encounter) {
        self.kind.set(e.kind.as_str().to_string());
        self.subject.set(e.subject.clone());
        self.date.set(e.date.0.clone());
    }

    fn date(&self) -> Result<IsoDate, String> {
        IsoDate::parse(&self.date.get_untracked())
            .ok_or_else(|| "Enter the date of the visit or call.".to_string())
    }
}

#[component]
fn StartForm(chart: Chart) -> impl IntoView {
    let f = EncounterFields::new();
    let reset = move |_| {
        f.fill(&Encounter {
            kind: EncounterKind::HomeVisit,
            date: today_iso(),
            ..Default::default()
        })
    };
    let build = move || {
        Ok(vec![Op::StartEncounter {
            encounter: Encounter {
                id: new_item_id(),
                kind: EncounterKind::parse(&f.kind.get_untracked()),
                date: f.date()?,
                subject: trimmed(f.subject),
                ..Default::default()
            },
        }])
    };
    view! {
        <div class="card">
            <h2>"Visits and calls"</h2>
            <FormToggle open_label="Start a visit or call" title="Start a visit or call" submit_label="Start note"
                saved_text="Note started: write it below." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
                <div class="field-row">
                    <SelectField label="Kind of contact" value=f.kind options=enum_options(EncounterKind::ALL, |k| k.as_str()) />
                    <TextField label="Subject" value=f.subject />
                    <TextField label="Date of contact" value=f.date kind="date" />
                </div>
            </FormToggle>
        </div>
    }
}

const ENCOUNTER_FIELDS: &[(&str, &str)] = &[("subject", "Subject"), ("date", "Date")];

/// Corrects an encounter's subject or date (its kind stays; its note is edited in place).
#[component]
fn EditEncounter(chart: Chart, encounter: Memo<Encounter>, title: Signal<String>) -> impl IntoView {
    let f = EncounterFields::new();
    let build = move || {
        let e = encounter.get_untracked();
        let date = f.date()?;
        edit_of(Op::ChangeEncounter {
            id: e.id.clone(),
            subject: changed(f.subject, &e.subject),
            date: (date != e.date).then_some(date),
        })
    };
    view! {
        <EditToggle what=title saved_text="Visit updated."
            on_open=Callback::new(move |_| f.fill(&encounter.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Subject" value=f.subject />
            <TextField label="Date of contact" value=f.date kind="date" />
        </EditToggle>
    }
}

fn encounter_title(e: &Encounter) -> String {
    format!(
        "{} — {}{}",
        humanize(e.kind.as_str()),
        format::day(e.date.as_str()),
        if e.subject.is_empty() {
            String::new()
        } else {
            format!(": {}", e.subject)
        }
    )
}

#[component]
fn EncounterCard(chart: Chart, id: String) -> impl IntoView {
    let encounter = entry(chart.record, |r| &r.encounters, id.clone());
    let e = encounter.get_untracked();
    let title = Signal::derive(move || encounter.with(encounter_title));
    let heading_id = format!("enc-{id}");
    let record = chart.record;
    let next = move || {
        let today = today_iso();
        record.with(|r| {
            r.follow_ups
                .iter()
                .filter(|f| {
                    f.is_active() && f.status == FollowUpStatus::Scheduled && f.due >= today
                })
                .min_by(|a, b| a.due.cmp(&b.due))
                .map(|f| {
                    format!(
                        "Next follow-up: {} {}{}",
                        humanize(f.kind.as_str()),
                        format::day(f.due.as_str()),
                        if f.reason.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", f.reason)
                        }
                    )
                })
        })
    };
    let follow_kind = match e.kind {
        EncounterKind::Call | EncounterKind::Message => FollowUpKind::Call,
        EncounterKind::Video => FollowUpKind::Video,
        _ => FollowUpKind::Visit,
    };
    view! {
        <article class="card encounter" aria-labelledby=heading_id.clone()>
            <h2 id=heading_id.clone()>{title}</h2>
            <div class="entry-actions">
                <EditEncounter chart=chart.clone() encounter=encounter title=title />
                <RemoveForm chart=chart.clone() list=ItemList::Encounters id=id.clone() name=title />
                <HistoryToggle chart=chart.clone() base=format!("encounters/{id}") fields=ENCOUNTER_FIELDS name=title />
            </div>
            <AlsoSet chart=chart.clone() base=format!("encounters/{id}") fields=ENCOUNTER_FIELDS />
            <NarrativeEditor
                label="Notes".to_string()
                initial=e.note.0.clone()
                on_edit={
                    let chart = chart.clone();
                    let id = id.clone();
                    move |edit| {
                        let target = NarrativeTarget::EncounterNote { id: id.clone() };
                        // A failed save is shown at the top of the chart.
                        let fut = chart.apply(Op::EditNarrative { target, edit });
                        spawn_local(async move {
                            let _ = fut.await;
                        });
                    }
                }
                rows=8
            />
            <SymptomReview chart=chart.clone() kind=follow_kind.clone() subject=title.get_untracked() />
            <section class="before-leaving" aria-label="Before you leave">
                <h3>"Before you leave"</h3>
                {move || match next() {
                    Some(text) => view! { <p class="ok">{text}</p> }.into_any(),
                    None => view! { <p class="warn">"No follow-up scheduled yet — schedule one before you leave."</p> }.into_any(),
                }}
                <ScheduleForm chart=chart.clone() default_kind=follow_kind />
            </section>
        </article>
    }
}

/// Symptom review: recorded on today's due follow-up when there is one, otherwise on a follow-up
/// recorded as this contact (scheduled and completed today), so the review lives with the contact.
#[component]
fn SymptomReview(chart: Chart, kind: FollowUpKind, subject: String) -> impl IntoView {
    let checks: Vec<(&'static str, RwSignal<bool>)> = SYMPTOMS
        .iter()
        .map(|s| (*s, RwSignal::new(false)))
        .collect();
    let other = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let checks_for_submit = checks.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut found: Vec<String> = checks_for_submit
            .iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(s, _)| s.to_string())
            .collect();
        let extra = other.get_untracked().trim().to_string();
        if !extra.is_empty() {
            found.push(extra);
        }
        let review = if found.is_empty() {
            "No symptoms reported".to_string()
        } else {
            format!("Reported: {}", found.join(", "))
        };
        let today = today_iso();
        let due_now = chart.record.with_untracked(|r| {
            r.follow_ups
                .iter()
                .filter(|f| {
                    f.is_active() && f.status == FollowUpStatus::Scheduled && f.due <= today
                })
                .min_by(|a, b| a.due.cmp(&b.due))
                .map(|f| f.id.clone())
        });
        let id = match due_now {
            Some(id) => id,
            None => {
                let id = new_item_id();
                chart.run(
                    Op::ScheduleFollowUp {
                        follow_up: FollowUp {
                            id: id.clone(),
                            kind: kind.clone(),
                            due: today.clone(),
                            reason: subject.clone(),
                            ..Default::default()
                        },
                    },
                    || {},
                );
                id
            }
        };
        let checks = checks_for_submit.clone();
        chart.run(
            Op::CompleteFollowUp {
                id,
                completed_on: today,
                outcome: format!("Contact made: {subject}"),
                symptom_review: review.clone(),
            },
            move || {
                for (_, on) in &checks {
                    on.set(false);
                }
                other.set(String::new());
                msg.set(Some(format!("Symptom review saved: {review}.")));
            },
        );
    };
    view! {
        <form class="form symptom-review" on:submit=submit>
            <fieldset>
                <legend>"Symptom review"</legend>
                <div class="checks">
                    {checks.into_iter().map(|(label, on)| view! { <CheckField label=label value=on /> }).collect_view()}
                </div>
                <TextField label="Other symptoms" value=other />
            </fieldset>
            <button type="submit" class="button">"Save symptom review"</button>
            <FormMessage msg=msg />
        </form>
    }
}
