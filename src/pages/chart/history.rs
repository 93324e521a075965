//! "History" of a chart entry: every value each of its fields has had, who set it, when and on
//! which device — read from the patient's document itself, so it works offline.

use leptos::prelude::*;
use tend_core::ChangeAuthor;

use super::Chart;
use crate::format;

/// "Ana López · 29 Nov 2026 14:02 · device 1a2b3c4d", optionally led by the value.
pub fn change_line(by: &ChangeAuthor, value: Option<&str>) -> String {
    let who = if by.user_name.trim().is_empty() {
        "Someone (name not recorded)".to_string()
    } else {
        by.user_name.clone()
    };
    let device: String = by.device_id.chars().take(8).collect();
    let mut line = format!(
        "{who} · {} {} · device {device}",
        format::date(by.at),
        format::time_of_day(by.at)
    );
    if let Some(v) = value {
        line = format!("{v} — set by {line}");
    }
    line
}

/// One row of an entry's history.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    at: i64,
    hash: String,
    text: String,
}

/// A "History" button for the entry at `base` (e.g. `medical/medications/<id>`) listing the
/// changes of `fields` ((document key, label) pairs), newest first.
#[component]
pub fn HistoryToggle(
    chart: Chart,
    base: String,
    fields: &'static [(&'static str, &'static str)],
    /// What the entry is called ("Metformin"), for the button's accessible name.
    name: Signal<String>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let record = chart.record;
    let rows = Memo::new(move |_| {
        if !shown.get() {
            return Ok(Vec::new());
        }
        record.track();
        let mut rows = Vec::new();
        for (key, label) in fields {
            let changes = chart
                .history(&format!("{base}/{key}"))
                .map_err(|e| e.to_string())?;
            for c in changes {
                let value = match c.value.as_deref() {
                    Some("") => "(cleared)".to_string(),
                    Some(v) => v.to_string(),
                    None => "(set)".to_string(),
                };
                rows.push(Row {
                    at: c.by.at,
                    hash: c.hash.clone(),
                    text: format!("{label}: {}", change_line(&c.by, Some(&value))),
                });
            }
        }
        rows.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.hash.cmp(&b.hash)));
        Ok::<_, String>(rows)
    });
    view! {
        <button
            type="button"
            class="button button-quiet"
            aria-expanded=move || if shown.get() { "true" } else { "false" }
            aria-label=move || format!("History of {}", name.get())
            on:click=move |_| shown.update(|s| *s = !*s)
        >
            "History"
        </button>
        <Show when=move || shown.get()>
            {move || match rows.get() {
                Err(e) => view! { <p class="error" role="alert">{format!("History could not be read: {e}")}</p> }.into_any(),
                Ok(rows) => view! {
                    <ol class="history" aria-label=format!("History of {}", name.get_untracked())>
                        {rows.into_iter().map(|r| view! { <li>{r.text}</li> }).collect_view()}
                    </ol>
                }.into_any(),
            }}
        </Show>
    }
}
