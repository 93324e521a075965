//! Follow-ups: what is scheduled (reschedule, complete with outcome and symptom review, mark
//! missed) and what happened. Scheduled follow-ups feed the caseload summary's next due item,
//! which is what Today shows.

use leptos::{ev::SubmitEvent, prelude::*};
use tend_core::{
    ids::new_item_id,
    record::{FollowUp, FollowUpKind, FollowUpStatus, IsoDate, ListItem},
    Op,
};

use super::{medical::ItemList, overview::FormMessage, today_iso, Chart};
use crate::components::fields::{enum_options, humanize, SelectField, TextField};
use crate::format;

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
            list.into_iter()
                .map(|f| {
                    let mut s = format!(
                        "{} {} — {}",
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
                })
                .collect::<Vec<_>>()
        })
    };
    let chart_rows = chart.clone();
    view! {
        <section class="card" aria-labelledby="open-fu-title">
            <h2 id="open-fu-title">"Scheduled follow-ups"</h2>
            <Show when=move || open_ids().is_empty()>
                <p class="muted">"Nothing scheduled."</p>
            </Show>
            <ul class="follow-ups" aria-label="Scheduled follow-ups">
                <For each=open_ids key=|id| id.clone() let:id>
                    <FollowUpRow chart=chart_rows.clone() id=id />
                </For>
            </ul>
            <ScheduleForm chart=chart.clone() default_kind=FollowUpKind::Call />
        </section>
        <section class="card" aria-labelledby="past-fu-title">
            <h2 id="past-fu-title">"Completed, missed and cancelled"</h2>
            <ItemList items=Signal::derive(past) empty="None yet." label="Past follow-ups" />
        </section>
    }
}

#[component]
fn FollowUpRow(chart: Chart, id: String) -> impl IntoView {
    let f = chart
        .record
        .with_untracked(|r| r.follow_ups.iter().find(|f| f.id == id).cloned())
        .unwrap_or_default();
    let record = chart.record;
    let fid = id.clone();
    let due = move || {
        record.with(|r| {
            r.follow_ups
                .iter()
                .find(|f| f.id == fid)
                .map(|f| format::day(f.due.as_str()))
                .unwrap_or_default()
        })
    };
    let title = format!(
        "{}{}",
        humanize(f.kind.as_str()),
        if f.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", f.reason)
        }
    );
    let new_due = RwSignal::new(f.due.0.clone());
    let outcome = RwSignal::new(String::new());
    let symptoms = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let (c1, c2, c3) = (chart.clone(), chart.clone(), chart.clone());
    let (i1, i2, i3) = (id.clone(), id.clone(), id.clone());
    let reschedule = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(d) = IsoDate::parse(&new_due.get_untracked()) else {
            msg.set(Some("Enter the new date as a full date.".into()));
            return;
        };
        c1.run(
            Op::RescheduleFollowUp {
                id: i1.clone(),
                due: d,
            },
            move || msg.set(Some("Rescheduled.".into())),
        );
    };
    let complete = move |ev: SubmitEvent| {
        ev.prevent_default();
        c2.run(
            Op::CompleteFollowUp {
                id: i2.clone(),
                completed_on: today_iso(),
                outcome: outcome.get_untracked().trim().to_string(),
                symptom_review: symptoms.get_untracked().trim().to_string(),
            },
            || {},
        );
    };
    let missed = move |_| {
        c3.run(
            Op::SetFollowUpStatus {
                id: i3.clone(),
                status: FollowUpStatus::Missed,
            },
            || {},
        );
    };
    view! {
        <li class="follow-up">
            <p><strong>{title}</strong> " — due " {due}</p>
            <div class="grid-2">
                <form class="form" on:submit=reschedule>
                    <TextField label="New date" value=new_due kind="date" />
                    <button type="submit" class="button">"Reschedule"</button>
                </form>
                <form class="form" on:submit=complete>
                    <TextField label="Outcome" value=outcome />
                    <TextField label="Symptom review" value=symptoms />
                    <button type="submit" class="button button-primary">"Mark done"</button>
                </form>
            </div>
            <button type="button" class="button" on:click=missed>"Mark missed"</button>
            <FormMessage msg=msg />
        </li>
    }
}

/// Schedule a follow-up (used in Follow-ups and at the end of every visit or call).
#[component]
pub fn ScheduleForm(chart: Chart, default_kind: FollowUpKind) -> impl IntoView {
    let kind = RwSignal::new(default_kind.as_str().to_string());
    let due = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(d) = IsoDate::parse(&due.get_untracked()) else {
            msg.set(Some("Choose the date of the follow-up.".into()));
            return;
        };
        msg.set(None);
        let when = format::day(d.as_str());
        chart.run(
            Op::ScheduleFollowUp {
                follow_up: FollowUp {
                    id: new_item_id(),
                    kind: FollowUpKind::parse(&kind.get_untracked()),
                    due: d,
                    reason: reason.get_untracked().trim().to_string(),
                    status: FollowUpStatus::Scheduled,
                    ..Default::default()
                },
            },
            move || {
                due.set(String::new());
                reason.set(String::new());
                msg.set(Some(format!("Follow-up scheduled for {when}.")));
            },
        );
    };
    view! {
        <form class="form schedule" on:submit=submit aria-label="Schedule a follow-up">
            <div class="field-row">
                <SelectField label="Follow-up by" value=kind options=enum_options(FollowUpKind::ALL, |k| k.as_str()) />
                <TextField label="Follow-up date" value=due kind="date" />
                <TextField label="Reason for follow-up" value=reason />
            </div>
            <button type="submit" class="button button-primary">"Schedule follow-up"</button>
            <FormMessage msg=msg />
        </form>
    }
}
