//! A simple chart list on the form pattern: each entry's text with its "Remove" and "History",
//! and the removed entries under "Show removed". Sections whose entries have no richer actions
//! (phones, caregivers, providers, identifiers) use this instead of a list of their own.

use leptos::prelude::*;
use tend_core::{
    record::{ListItem, Retirement},
    ItemList, PatientRecord,
};

use super::history::HistoryToggle;
use super::retire::{RemoveForm, RemovedItems};
use super::review::AlsoSet;
use super::Chart;

/// One entry as listed: its id and its line of text.
pub type Line = (String, String);

#[component]
pub fn Entries(
    chart: Chart,
    /// Which list of the record (for `Op::Retire` and the history paths).
    list: ItemList,
    /// Accessible name of the list, e.g. "Caregivers".
    label: &'static str,
    /// Shown when there is no active entry ("" to show nothing).
    empty: &'static str,
    /// What removed entries are called in "Show removed …".
    what: &'static str,
    /// The active entries.
    items: Signal<Vec<Line>>,
    /// The removed entries with their retirement.
    removed: Signal<Vec<(String, Retirement)>>,
    /// (document key, label) of the fields "History" lists.
    fields: &'static [(&'static str, &'static str)],
    /// The entry's "Edit" form, given the chart and the entry's id.
    #[prop(optional)]
    edit: Option<fn(Chart, String) -> AnyView>,
) -> impl IntoView {
    let ids =
        Memo::new(move |_| items.with(|l| l.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()));
    view! {
        <Show when=move || !empty.is_empty() && ids.with(Vec::is_empty)>
            <p class="muted">{empty}</p>
        </Show>
        <ul class="entries" aria-label=label>
            <For each=move || ids.get() key=|id| id.clone() let:id>
                {
                    let row_id = id.clone();
                    let text = Signal::derive(move || {
                        items.with(|l| l.iter().find(|(i, _)| *i == row_id).map(|(_, t)| t.clone()).unwrap_or_default())
                    });
                    let base = format!("{}/{id}", list.path().join("/"));
                    view! {
                        <li class="entry">
                            <p class="entry-main">{text}</p>
                            <div class="entry-actions">
                                {edit.map(|edit| edit(chart.clone(), id.clone()))}
                                <RemoveForm chart=chart.clone() list=list id=id.clone() name=text />
                                <HistoryToggle chart=chart.clone() base=base.clone() fields=fields name=text />
                            </div>
                            <AlsoSet chart=chart.clone() base=base fields=fields />
                        </li>
                    }
                }
            </For>
        </ul>
        <RemovedItems items=removed what=what />
    }
}

/// The ids of one list's active (not removed) entries, for a `<For>` of rows.
pub fn active_ids<T: ListItem + 'static>(
    record: RwSignal<PatientRecord>,
    pick: fn(&PatientRecord) -> &[T],
) -> Memo<Vec<String>> {
    Memo::new(move |_| {
        record.with(|r| {
            pick(r)
                .iter()
                .filter(|i| i.is_active())
                .map(|i| i.id().to_string())
                .collect()
        })
    })
}

/// One list's removed entries as (line, retirement), for "Show removed".
pub fn removed_lines<T: ListItem + 'static>(
    record: RwSignal<PatientRecord>,
    pick: fn(&PatientRecord) -> &[T],
    line: fn(&T) -> String,
) -> Signal<Vec<(String, Retirement)>> {
    Signal::derive(move || {
        record.with(|r| {
            pick(r)
                .iter()
                .filter_map(|i| i.retired().map(|ret| (line(i), ret.clone())))
                .collect()
        })
    })
}

/// One list's active entries as (id, line), for [`Entries`].
pub fn active_lines<T: ListItem + 'static>(
    record: RwSignal<PatientRecord>,
    pick: fn(&PatientRecord) -> &[T],
    line: fn(&T) -> String,
) -> Signal<Vec<Line>> {
    Signal::derive(move || {
        record.with(|r| {
            pick(r)
                .iter()
                .filter(|i| i.is_active())
                .map(|i| (i.id().to_string(), line(i)))
                .collect()
        })
    })
}

/// The current state of one entry (by id) of a list; a default entry once it is gone.
pub fn entry<T: ListItem + Clone + Default + PartialEq + Send + Sync + 'static>(
    record: RwSignal<PatientRecord>,
    pick: fn(&PatientRecord) -> &[T],
    id: String,
) -> Memo<T> {
    Memo::new(move |_| {
        record.with(|r| {
            pick(r)
                .iter()
                .find(|i| i.id() == id)
                .cloned()
                .unwrap_or_default()
        })
    })
}
