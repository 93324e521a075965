//! Clinical clashes: when two devices changed the same reviewed field (a dose, code status, an
//! allergy's severity or status, a condition's status...) while apart, Automerge keeps both
//! values. The chart never silently picks one: its header says "N changes need review", and the
//! review section shows every value with who set it, when and on which device; keeping one (or
//! entering another) writes `Op::ResolveConflict`, which ends the clash on every device.
//!
//! A plain field (a preferred language, a goal's text) set on two devices while apart is not a
//! clinical clash, but it is not silently lost either: [`AlsoSet`] marks it quietly ("also set to
//! Spanish by Ana…") where the field is shown, until someone keeps one of the values.

use leptos::prelude::*;
use leptos_router::components::A;
use tend_core::{Conflict, ConflictValue, Op};

use super::history::change_line;
use super::Chart;
use crate::components::fields::TextField;
use crate::components::form::{trimmed, ConfirmToggle, FormToggle};

const RESOLVED: &str = "Resolved on this device; other devices get it when they sync.";

/// The open document's clashes, recomputed whenever the record is re-read (a save, a sync).
fn clashes(chart: &Chart) -> Memo<Result<Vec<Conflict>, String>> {
    let chart = chart.clone();
    let record = chart.record;
    Memo::new(move |_| {
        record.track();
        chart.conflicts().map_err(|e| e.to_string())
    })
}

/// "2 changes need review" under the chart header, linking to the review section.
#[component]
pub fn ReviewNotice(chart: Chart, patient_id: Memo<String>) -> impl IntoView {
    let found = clashes(&chart);
    let count = move || found.with(|r| r.as_ref().map(Vec::len).unwrap_or(0));
    view! {
        <Show when=move || { count() > 0 }>
            <p class="review-notice" role="status">
                <A href=move || format!("/patients/{}?section=review", patient_id.get())>
                    {move || match count() {
                        1 => "1 change needs review".to_string(),
                        n => format!("{n} changes need review"),
                    }}
                </A>
                " — made on two devices at once; choose the right value."
            </p>
        </Show>
    }
}

#[component]
pub fn ReviewSection(chart: Chart) -> impl IntoView {
    let found = clashes(&chart);
    let list_chart = chart.clone();
    view! {
        <section class="card" aria-labelledby="review-title">
            <h2 id="review-title">"Changes to review"</h2>
            {move || match found.get() {
                Err(e) => view! { <p class="error" role="alert">{format!("The record's clashes could not be read: {e}")}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p class="empty">"Nothing to review: no field was changed on two devices at once."</p>
                }.into_any(),
                Ok(list) => {
                    let chart = list_chart.clone();
                    view! {
                        <p>"These fields were changed on two devices while they were apart. Tend kept every value: keep the right one, or enter another. Your choice reaches every device."</p>
                        <ul class="entries" aria-label="Changes to review">
                            {list.into_iter().map(|c| view! { <ClashItem chart=chart.clone() clash=c /> }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}

fn value_line(v: &ConflictValue) -> String {
    match &v.by {
        Some(by) => change_line(by, None),
        None => "set by an unknown device".to_string(),
    }
}

/// A yes/no field's value as a person reads it; text as it is.
fn readable(value: &str) -> String {
    match value {
        "true" => "Yes".into(),
        "false" => "No".into(),
        "" => "(empty)".into(),
        v => v.into(),
    }
}

/// The quiet marker of `fields` ((document key, label) pairs under `base`, "" for the root) that
/// hold values set on two devices while apart: the other value, who set it and when, and one
/// "Keep …" button per value. Renders nothing while every field holds one value.
#[component]
pub fn AlsoSet(
    chart: Chart,
    #[prop(into)] base: String,
    fields: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    let record = chart.record;
    let reader = chart.clone();
    let found = Memo::new(move |_| {
        record.track();
        fields
            .iter()
            .filter_map(|(key, label)| {
                let path = if base.is_empty() {
                    key.to_string()
                } else {
                    format!("{base}/{key}")
                };
                // A field that cannot be read has nothing to mark; the chart shows read errors.
                let values = reader.concurrent_values(&path).ok()?;
                (values.len() > 1).then_some((path, *label, values))
            })
            .collect::<Vec<_>>()
    });
    let keep = Action::new_local(move |op: &Op| chart.save(vec![op.clone()]));
    move || {
        found
            .get()
            .into_iter()
            .map(|(path, label, values)| {
                let shown = values.first().map(|v| readable(&v.value)).unwrap_or_default();
                let others = values
                    .iter()
                    .skip(1)
                    .map(|v| format!("Also set to “{}” by {}", readable(&v.value), value_line(v)))
                    .collect::<Vec<_>>();
                let buttons = values
                    .iter()
                    .map(|v| {
                        let op = Op::ResolveConflict {
                            path: path.clone(),
                            value: v.value.clone(),
                        };
                        view! {
                            <button type="button" class="button button-quiet"
                                aria-label=format!("Keep {} as {}", readable(&v.value), label.to_lowercase())
                                disabled=move || keep.pending().get()
                                on:click=move |_| { keep.dispatch(op.clone()); }>
                                {format!("Keep {}", readable(&v.value))}
                            </button>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="also-set" role="group" aria-label=format!("{label} was set on two devices")>
                        <p>{format!("{label}: shows “{shown}”.")}</p>
                        {others.into_iter().map(|o| view! { <p>{o}</p> }).collect_view()}
                        <div class="entry-actions">{buttons}</div>
                    </div>
                }
            })
            .collect_view()
    }
}

#[component]
fn ClashItem(chart: Chart, clash: Conflict) -> impl IntoView {
    let path = clash.path.clone();
    let values = clash.values.clone();
    let other = RwSignal::new(String::new());
    let (other_chart, other_path) = (chart.clone(), path.clone());
    let keep_buttons = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let chart = chart.clone();
            let path = path.clone();
            let value = v.value.clone();
            let label = clash.label.clone();
            // A care manager is stored as a roster id: show the person.
            let shown = if path == "profile/care_manager" {
                match chart.session.person_name(&v.value) {
                    n if n.is_empty() => v.value.clone(),
                    n => n,
                }
            } else {
                v.value.clone()
            };
            view! {
                <li class="clash-value">
                    <p class="entry-main">{shown.clone()} {(i == 0).then_some(" (shown now)")}</p>
                    <p class="entry-meta">{value_line(&v)}</p>
                    <ConfirmToggle
                        open_label=format!("Keep {}", shown)
                        open_name=format!("Keep {} for {}", shown, label)
                        title=format!("Keep {} for {}", shown, label)
                        submit_label="Confirm"
                        saved_text=RESOLVED
                        ops=vec![Op::ResolveConflict { path, value }]
                        save=move |ops| chart.save(ops)
                    >
                        <p>"The other value stays in this field's history."</p>
                    </ConfirmToggle>
                </li>
            }
        })
        .collect_view();
    view! {
        <li class="entry clash">
            <h3>{clash.label.clone()}</h3>
            <ul class="clash-values" aria-label=format!("Values of {}", clash.label)>{keep_buttons}</ul>
            <FormToggle
                open_label="Enter another value"
                open_name=format!("Enter another value for {}", clash.label)
                title=format!("Another value for {}", clash.label)
                submit_label="Save value"
                saved_text=RESOLVED
                quiet=true
                on_open=Callback::new(move |_| other.set(String::new()))
                changes=move || {
                    let value = trimmed(other);
                    if value.is_empty() {
                        return Err("Enter the value to keep.".to_string());
                    }
                    Ok(vec![Op::ResolveConflict { path: other_path.clone(), value }])
                }
                save=move |ops| other_chart.save(ops)
            >
                <TextField label="Value" value=other />
            </FormToggle>
        </li>
    }
}
