//! Removing an entry from the chart without deleting it (`Op::Retire`): entered in error,
//! duplicate, or no longer applicable, with a note. Removed entries leave the working lists and
//! are listed under "Show removed" with who removed them, when and why.

use leptos::prelude::*;
use tend_core::{
    record::{RetireReason, Retirement},
    ItemList, Op,
};

use super::Chart;
use crate::components::fields::{SelectField, TextField};
use crate::components::form::{trimmed, FormToggle};
use crate::format;

/// What a reason is called on screen.
pub fn reason_label(reason: &RetireReason) -> String {
    match reason {
        RetireReason::EnteredInError => "Entered in error".into(),
        RetireReason::Duplicate => "Duplicate".into(),
        RetireReason::NoLongerApplicable => "No longer applicable".into(),
        RetireReason::Superseded => "Replaced by a newer entry".into(),
        other => crate::components::fields::humanize(other.as_str()),
    }
}

/// The "Remove" action of one entry.
#[component]
pub fn RemoveForm(chart: Chart, list: ItemList, id: String, name: Signal<String>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let reset = move |_| {
        reason.set(RetireReason::EnteredInError.as_str().to_string());
        note.set(String::new());
    };
    let options: Vec<(String, String)> = [
        RetireReason::EnteredInError,
        RetireReason::Duplicate,
        RetireReason::NoLongerApplicable,
    ]
    .iter()
    .map(|r| (r.as_str().to_string(), reason_label(r)))
    .collect();
    let build = move || {
        let reason = RetireReason::parse(&reason.get_untracked());
        let note = trimmed(note);
        if reason == RetireReason::NoLongerApplicable && note.is_empty() {
            return Err("Say why it no longer applies.".to_string());
        }
        Ok(vec![Op::Retire {
            list,
            id: id.clone(),
            reason,
            note,
        }])
    };
    view! {
        <FormToggle
            open_label="Remove"
            open_name=Signal::derive(move || format!("Remove {}", name.get()))
            title=Signal::derive(move || format!("Remove {}", name.get()))
            submit_label="Remove from chart"
            saved_text="Removed. It stays in the record under “Show removed”."
            quiet=true
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <p class="hint">"Nothing is deleted: the entry moves to “Show removed” with your name, the time and the reason."</p>
            <SelectField label="Why" value=reason options=options.clone() />
            <TextField label="Note" value=note hint="e.g. recorded for the wrong patient" />
        </FormToggle>
    }
}

/// "Show removed (N)": the retired entries of one list with who, when and why.
#[component]
pub fn RemovedItems(
    /// (entry text, retirement) of every retired entry.
    items: Signal<Vec<(String, Retirement)>>,
    /// "medications", "conditions"...
    what: &'static str,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let count = move || items.with(Vec::len);
    let label = move || {
        if shown.get() {
            format!("Hide removed {what}")
        } else {
            format!("Show removed {what} ({})", count())
        }
    };
    view! {
        <Show when=move || { count() > 0 }>
            <button
                type="button"
                class="button button-quiet"
                aria-expanded=move || if shown.get() { "true" } else { "false" }
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {label}
            </button>
            <Show when=move || shown.get()>
                <ul class="entries entries-removed" aria-label=format!("Removed {what}")>
                    {move || items.get().into_iter().map(|(text, r)| {
                        let who = if r.stamp.user_name.trim().is_empty() { "someone".to_string() } else { r.stamp.user_name.clone() };
                        let when = format!("{} {}", format::date(r.stamp.at), format::time_of_day(r.stamp.at));
                        let mut why = format!("{} — removed by {who} on {when}", reason_label(&r.reason));
                        if !r.note.trim().is_empty() {
                            why.push_str(&format!(": {}", r.note.trim()));
                        }
                        view! {
                            <li class="entry">
                                <p class="entry-main"><s>{text}</s></p>
                                <p class="entry-meta">{why}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </Show>
    }
}
