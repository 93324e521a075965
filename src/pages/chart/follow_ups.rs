//! Follow-ups: what is scheduled (reschedule, complete with outcome and symptom review, mark
//! missed) and what happened. Scheduled follow-ups feed the caseload summary's next due item,
//! which is what Today shows.

use leptos::prelude::*;
use tend_core::{
    ids::new_item_id,
    record::{FollowUp, FollowUpKind, FollowUpStatus, IsoDate, ListItem},
    Op,
};

use super::entries::{entry, removed_lines};
use super::history::HistoryToggle;
use super::retire::{RemoveForm, RemovedItems};
use super::review::AlsoSet;
use super::{medical::ItemList, today_iso, Chart};
use crate::components::fields::{enum_options, humanize, SelectField, TextField};
use crate::components::form::{trimmed, ConfirmToggle, FormToggle};
use crate::format;

const FOLLOW_UP_FIELDS: &[(&str, &str)] = &[
    ("due", "Due"),
    ("reason", "Reason"),
    ("status", "Status"),
    ("completed_on", "Done on"),
    ("outcome", "Outcome"),
];

/// "Call 2 Mar 2026: Check inhaler technique — Done: …" (past and removed follow-ups).
fn follow_up_line(f: &FollowUp) -> String {
    let reason = if f.reason.is_empty() {
        String::new()
    } else {
        format!(": {}", f.reason)
    };
    let mut s = format!(
        "{} {}{reason} — {}",
        humanize(f.kind.as_str()),
        format::day(f.due.as_str()),
        humanize(f.status.as_str())
    );
    if !f.outcome.is_empty() {
        s.push_str(&format!(": {}", f.outcome));
    }
    if !f.symptom_review.is_empty() {
        s.push_str(&format!(". Symptoms: {}", f.symptom_review));
    }
    s
}

#[component]
pub fn FollowUpsSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let open_ids = move || {
        record.with(|r| {
            let mut list: Vec<_> = r
                .follow_ups
                .iter()
                .filter(|f| f.is_active() && f.status == FollowUpStatus::Scheduled)
                .collect();
            list.sort_by(|a, b| a.due.cmp(&b.due));
            list.into_iter().map(|f| f.id.clone()).collect::<Vec<_>>()
        })
    };
    let past = move || {
        record.with(|r| {
            let mut list: Vec<_> = r
                .follow_ups
                .iter()
                .filter(|f| f.is_active() && f.status != FollowUpStatus::Scheduled)
                .collect();
            list.sort_by(|a, b| b.due.cmp(&a.due));
            list.into_iter().map(follow_up_line).collect::<Vec<_>>()
        })
    };
    let chart_rows = chart.clone();
    view! {
        <section class="card" aria-labelledby="open-fu-title">
            <h2 id="open-fu-title">"Scheduled follow-ups"</h2>
            <Show when=move || open_ids().is_empty()>
                <p class="muted">"Nothing scheduled."</p>
            </Show>
            <ul class="entries" aria-label="Scheduled follow-ups">
                <For each=open_ids key=|id| id.clone() let:id>
                    <FollowUpRow chart=chart_rows.clone() id=id />
                </For>
            </ul>
            <ScheduleForm chart=chart.clone() default_kind=FollowUpKind::Call />
        </section>
        <section class="card" aria-labelledby="past-fu-title">
            <h2 id="past-fu-title">"Completed, missed and cancelled"</h2>
            <ItemList items=Signal::derive(past) empty="None yet." label="Past follow-ups" />
            <RemovedItems items=removed_lines(record, |r| &r.follow_ups, follow_up_line) what="follow-ups" />
        </section>
    }
}

#[component]
fn FollowUpRow(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let item = entry(record, |r| &r.follow_ups, id.clone());
    let title = move || {
        item.with(|f| {
            let kind = humanize(f.kind.as_str());
            if f.reason.is_empty() {
                kind
            } else {
                format!("{kind}: {}", f.reason)
            }
        })
    };
    let due = move || item.with(|f| format!("Due {}", format::day(f.due.as_str())));
    let name = move || {
        item.with(|f| {
            if f.reason.is_empty() {
                humanize(f.kind.as_str())
            } else {
                f.reason.clone()
            }
        })
    };

    let outcome = RwSignal::new(String::new());
    let symptoms = RwSignal::new(String::new());
    let done_on = RwSignal::new(String::new());
    let new_due = RwSignal::new(String::new());
    let (c1, c2, c3, c4, c5) = (
        chart.clone(),
        chart.clone(),
        chart.clone(),
        chart.clone(),
        chart.clone(),
    );
    let (i1, i2, i3, i4) = (id.clone(), id.clone(), id.clone(), id.clone());
    let complete = move || {
        let Some(date) = IsoDate::parse(&done_on.get_untracked()) else {
            return Err("Enter the date it was done.".to_string());
        };
        let outcome = trimmed(outcome);
        if outcome.is_empty() {
            return Err("Say what happened (the outcome).".to_string());
        }
        Ok(vec![Op::CompleteFollowUp {
            id: i1.clone(),
            completed_on: date,
            outcome,
            symptom_review: trimmed(symptoms),
        }])
    };
    let reschedule = move || {
        let Some(d) = IsoDate::parse(&new_due.get_untracked()) else {
            return Err("Enter the new date as a full date.".to_string());
        };
        if Some(&d) == item.with_untracked(|f| Some(f.due.clone())).as_ref() {
            return Ok(Vec::new());
        }
        Ok(vec![Op::RescheduleFollowUp {
            id: i2.clone(),
            due: d,
        }])
    };
    view! {
        <li class="entry follow-up">
            <p class="entry-main">{title}</p>
            <p class="entry-meta">{due}</p>
            <div class="entry-actions">
                <FormToggle
                    open_label="Mark done"
                    open_name=format!("Mark done: {}", name())
                    title=format!("Done: {}", name())
                    submit_label="Save outcome"
                    saved_text="Follow-up done."
                    quiet=true
                    on_open=Callback::new(move |_| {
                        outcome.set(String::new());
                        symptoms.set(String::new());
                        done_on.set(today_iso().0);
                    })
                    changes=complete
                    save=move |ops| c1.save(ops)
                >
                    <TextField label="Done on" value=done_on kind="date" />
                    <TextField label="Outcome" value=outcome />
                    <TextField label="Symptom review" value=symptoms />
                </FormToggle>
                <FormToggle
                    open_label="Reschedule"
                    open_name=format!("Reschedule: {}", name())
                    title=format!("Reschedule: {}", name())
                    submit_label="Save new date"
                    saved_text="Rescheduled."
                    quiet=true
                    on_open=Callback::new(move |_| new_due.set(item.with_untracked(|f| f.due.0.clone())))
                    changes=reschedule
                    save=move |ops| c2.save(ops)
                >
                    <TextField label="New date" value=new_due kind="date" />
                </FormToggle>
                <ConfirmToggle
                    open_label="Mark missed"
                    open_name=format!("Mark missed: {}", name())
                    title=format!("Missed: {}", name())
                    submit_label="Mark missed"
                    saved_text="Marked missed."
                    ops=vec![Op::SetFollowUpStatus { id: i3, status: FollowUpStatus::Missed }]
                    save=move |ops| c3.save(ops)
                >
                    <p>"It moves to the past follow-ups; schedule another if it is still needed."</p>
                </ConfirmToggle>
                <ConfirmToggle
                    open_label="Cancel follow-up"
                    open_name=format!("Cancel follow-up: {}", name())
                    title=format!("Cancel follow-up: {}", name())
                    submit_label="Cancel it"
                    saved_text="Follow-up cancelled."
                    ops=vec![Op::SetFollowUpStatus { id: i4, status: FollowUpStatus::Cancelled }]
                    save=move |ops| c4.save(ops)
                >
                    <p>"It is no longer needed. It stays in the record under past follow-ups."</p>
                </ConfirmToggle>
                <RemoveForm chart=c5.clone() list=tend_core::ItemList::FollowUps id=id.clone() name=Signal::derive(name) />
                <HistoryToggle chart=c5.clone() base=format!("follow_ups/{id}") fields=FOLLOW_UP_FIELDS name=Signal::derive(name) />
            </div>
            <AlsoSet chart=c5 base=format!("follow_ups/{id}") fields=FOLLOW_UP_FIELDS />
        </li>
    }
}

/// Schedule a follow-up (used in Follow-ups and at the end of every visit or call), on demand.
#[component]
pub fn ScheduleForm(chart: Chart, default_kind: FollowUpKind) -> impl IntoView {
    let kind = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let reset = move |_| {
        kind.set(default_kind.as_str().to_string());
        due.set(String::new());
        reason.set(String::new());
    };
    let build = move || {
        let Some(d) = IsoDate::parse(&due.get_untracked()) else {
            return Err("Choose the date of the follow-up.".to_string());
        };
        Ok(vec![Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: new_item_id(),
                kind: FollowUpKind::parse(&kind.get_untracked()),
                due: d,
                reason: trimmed(reason),
                status: FollowUpStatus::Scheduled,
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Schedule follow-up" title="Schedule a follow-up" submit_label="Save follow-up"
            saved_text="Follow-up scheduled." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            <div class="field-row">
                <SelectField label="Follow-up by" value=kind options=enum_options(FollowUpKind::ALL, |k| k.as_str()) />
                <TextField label="Follow-up date" value=due kind="date" />
                <TextField label="Reason for follow-up" value=reason />
            </div>
        </FormToggle>
    }
}
