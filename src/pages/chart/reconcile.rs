//! Medication reconciliation after a discharge: the chart's list from before the admission next to
//! the discharge list, line by line, with what differs flagged (core's `reconciliation_lines`),
//! and a decision per line — continue, change the dose, stop (with why), add a new one. Finishing
//! saves every decision as one change (core's `reconciliation_ops`): the medication list becomes
//! the reconciled list, each line marked reconciled today, the stay records who reconciled and
//! when (the TCM step).

use std::collections::HashMap;

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::{components::A, hooks::use_query_map};
use tend_core::{
    ids::new_item_id,
    record::{DischargeMedication, Medication},
    transitions::{reconciliation_lines, reconciliation_ops, RecDecision, RecLine, RecSource},
};

use super::entries::entry;
use super::{today_iso, Chart};
use crate::components::fields::TextField;
use crate::format;

/// One line's choice on screen.
#[derive(Clone, Copy)]
struct Choice {
    /// "continue", "change", "stop", "add" or "" (not chosen).
    pick: RwSignal<String>,
    dose: RwSignal<String>,
    reason: RwSignal<String>,
}

impl Choice {
    fn decision(&self) -> Option<RecDecision> {
        match self.pick.get_untracked().as_str() {
            "continue" => Some(RecDecision::Continue),
            "change" => Some(RecDecision::Change {
                dose: self.dose.get_untracked(),
            }),
            "stop" => Some(RecDecision::Stop {
                reason: self.reason.get_untracked(),
            }),
            "add" => Some(RecDecision::Add),
            _ => None,
        }
    }
}

fn med_line(name: &str, dose: &str, route: &str, frequency: &str) -> String {
    [name, dose, route, frequency]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn chart_text(m: &Medication) -> String {
    med_line(&m.name, &m.dose, &m.route, &m.frequency)
}

fn discharge_text(m: &DischargeMedication) -> String {
    med_line(&m.name, &m.dose, &m.route, &m.frequency)
}

#[component]
pub fn ReconcileSection(chart: Chart) -> impl IntoView {
    let query = use_query_map();
    let stay = query.with_untracked(|q| q.get("stay").unwrap_or_default());
    let record = chart.record;
    let item = entry(record, |r| &r.transitions, stay.clone());
    let exists = Memo::new(move |_| item.with(|t| !t.id.is_empty()));
    let lines = Memo::new(move |_| record.with(|r| item.with(|t| reconciliation_lines(r, t))));
    let choices: StoredValue<HashMap<String, Choice>> = StoredValue::new(HashMap::new());
    let message = RwSignal::new(None::<(String, bool)>);
    let patient = record.with_untracked(|r| r.id.clone());
    let back = format!("/patients/{patient}?section=transitions");

    let save_chart = chart.clone();
    let action = Action::new_local(move |ops: &Vec<tend_core::Op>| {
        let fut = save_chart.save(ops.clone());
        async move {
            match fut.await {
                Ok(()) => {
                    message.try_set(Some((
                        "Medications reconciled. The medication list now matches.".into(),
                        false,
                    )));
                    choices.update_value(HashMap::clear);
                }
                Err(e) => {
                    message.try_set(Some((e.to_string(), true)));
                }
            }
        }
    });
    let busy = action.pending();
    let by = chart.author_name();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let lines = lines.get_untracked();
        let decisions: Vec<(String, RecDecision)> = choices.with_value(|c| {
            c.iter()
                .filter_map(|(k, v)| v.decision().map(|d| (k.clone(), d)))
                .collect()
        });
        let stay_id = item.with_untracked(|t| t.id.clone());
        match reconciliation_ops(&lines, &decisions, &stay_id, &today_iso(), &by, new_item_id) {
            Ok(ops) => {
                message.set(None);
                action.dispatch(ops);
            }
            Err(e) => message.set(Some((e.to_string(), true))),
        }
    };
    let discharge_day = move || {
        item.with(|t| {
            t.discharged_on
                .as_ref()
                .map(|d| {
                    format!(
                        "Discharge on {} from {}",
                        format::day(d.as_str()),
                        t.facility.trim()
                    )
                })
                .unwrap_or_default()
        })
    };
    let last = move || {
        item.with(|t| {
            t.medication_reconciled_on.as_ref().map(|d| {
                format!(
                    "Last reconciled {} by {}",
                    format::day(d.as_str()),
                    if t.reconciled_by.trim().is_empty() {
                        "someone"
                    } else {
                        t.reconciled_by.trim()
                    }
                )
            })
        })
    };
    view! {
        <section class="card" aria-labelledby="rec-title">
            <h2 id="rec-title">"Reconcile medications"</h2>
            <p><A href=back.clone()>"← Back to hospital stays"</A></p>
            <Show
                when=move || exists.get()
                fallback=|| view! { <p role="alert">"This stay is not in the chart (it may have been removed)."</p> }
            >
                <p class="entry-meta">{discharge_day}</p>
                {move || last().map(|t| view! { <p class="entry-meta">{t}</p> })}
                <Show when=move || lines.with(Vec::is_empty)>
                    <p class="muted">"Neither the chart nor the discharge list has a medication. Add the discharge list on the stay first."</p>
                </Show>
                <form class="form reconcile" on:submit=submit.clone() aria-label="Medication reconciliation">
                    <ol class="rec-lines" aria-label="Medications to reconcile">
                        <For each=move || lines.get() key=|l| (l.key.clone(), format!("{:?}", l.source)) let:line>
                            <RecRow line=line choices=choices />
                        </For>
                    </ol>
                    <div class="form-actions">
                        <button type="submit" class="button button-primary" disabled=move || busy.get()>
                            {move || if busy.get() { "Saving…" } else { "Finish reconciliation" }}
                        </button>
                    </div>
                </form>
                {move || message.get().map(|(text, is_error)| if is_error {
                    view! { <p class="error" role="alert">{text}</p> }.into_any()
                } else {
                    view! { <p class="saved-note" role="status">{text}</p> }.into_any()
                })}
            </Show>
        </section>
    }
}

#[component]
fn RecRow(line: RecLine, choices: StoredValue<HashMap<String, Choice>>) -> impl IntoView {
    let default = line.default_decision();
    let choice = choices
        .try_update_value(|c| {
            *c.entry(line.key.clone()).or_insert_with(|| {
                let (pick, dose, reason) = match &default {
                    Some(RecDecision::Continue) => ("continue", String::new(), String::new()),
                    Some(RecDecision::Change { dose }) => ("change", dose.clone(), String::new()),
                    Some(RecDecision::Add) => ("add", String::new(), String::new()),
                    Some(RecDecision::Stop { reason }) => ("stop", String::new(), reason.clone()),
                    None => ("", String::new(), String::new()),
                };
                Choice {
                    pick: RwSignal::new(pick.to_string()),
                    dose: RwSignal::new(dose),
                    reason: RwSignal::new(reason),
                }
            })
        })
        .unwrap_or(Choice {
            pick: RwSignal::new(String::new()),
            dose: RwSignal::new(String::new()),
            reason: RwSignal::new(String::new()),
        });
    let (before, after) = match &line.source {
        RecSource::Both { chart, discharge } => (chart_text(chart), discharge_text(discharge)),
        RecSource::ChartOnly(m) => (chart_text(m), "None".to_string()),
        RecSource::DischargeOnly(m) => ("None".to_string(), discharge_text(m)),
    };
    let discharge_only = matches!(line.source, RecSource::DischargeOnly(_));
    let picks: Vec<(&'static str, &'static str)> = if discharge_only {
        vec![
            ("add", "Add to the medication list"),
            ("stop", "Do not start"),
        ]
    } else {
        vec![
            ("continue", "Continue"),
            ("change", "Change dose"),
            ("stop", "Stop"),
        ]
    };
    let group = format!("rec-{}", line.key);
    let name = line.name().trim().to_string();
    let flags = line
        .discrepancies
        .iter()
        .map(|d| d.text())
        .collect::<Vec<_>>();
    let flagged = !flags.is_empty();
    view! {
        <li class=if flagged { "rec-line rec-flagged" } else { "rec-line" }>
            <fieldset>
                <legend>{name.clone()}</legend>
                <div class="rec-lists">
                    <p><span class="rec-col">"Before admission: "</span>{before}</p>
                    <p><span class="rec-col">"At discharge: "</span>{after}</p>
                </div>
                {flagged.then(|| view! {
                    <ul class="rec-flags" aria-label=format!("Discrepancies for {name}")>
                        {flags.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                    </ul>
                })}
                <div class="choices">
                    {picks.into_iter().map(|(value, label)| {
                        let group = group.clone();
                        view! {
                            <label class="check">
                                <input
                                    type="radio"
                                    name=group
                                    value=value
                                    prop:checked=move || choice.pick.get() == value
                                    on:change=move |_| choice.pick.set(value.to_string())
                                />
                                <span>{label}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
                <Show when=move || choice.pick.get() == "change">
                    <TextField label="New dose" value=choice.dose />
                </Show>
                <Show when=move || choice.pick.get() == "stop">
                    <TextField label="Why" value=choice.reason />
                </Show>
            </fieldset>
        </li>
    }
}
