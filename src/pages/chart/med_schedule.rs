//! A medication's structured timing ("Set times": times of day, food, as needed, dates) and the
//! day's medication schedule grid built from them by core (`handout::day_schedule`). Medications
//! not yet structured keep showing their free-text "how often".

use leptos::prelude::*;
use tend_core::{
    handout::{day_schedule, schedule_text, Lang, Slot},
    record::{FoodInstruction, IsoDate, Medication, MedicationSchedule},
    Op,
};

use super::Chart;
use crate::clock::today;
use crate::components::fields::{CheckField, SelectField, TextField};
use crate::components::form::{optional_date, trimmed, FormToggle};

/// How a medication is taken, in words: its structured times, else its free-text frequency.
pub fn timing_text(m: &Medication) -> String {
    if m.schedule.is_empty() {
        m.frequency.trim().to_string()
    } else {
        schedule_text(&m.schedule, Lang::En)
    }
}

/// "Set times" of one medication.
#[component]
pub fn SetTimes(chart: Chart, item: Memo<Medication>) -> impl IntoView {
    let named: Vec<(Slot, RwSignal<bool>)> = Slot::NAMED
        .iter()
        .map(|s| (*s, RwSignal::new(false)))
        .collect();
    let clock = RwSignal::new(String::new());
    let food = RwSignal::new(String::new());
    let as_needed = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let max = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let stop = RwSignal::new(String::new());
    let fill_named = named.clone();
    let fill = move |_| {
        let s = item.with_untracked(|m| m.schedule.clone());
        let slots: Vec<Slot> = s.times.iter().filter_map(|t| Slot::parse(t)).collect();
        for (slot, on) in &fill_named {
            on.set(slots.contains(slot));
        }
        clock.set(
            slots
                .iter()
                .filter(|s| matches!(s, Slot::Clock(_)))
                .map(|s| s.id())
                .collect::<Vec<_>>()
                .join(", "),
        );
        food.set(s.food.as_str().to_string());
        as_needed.set(s.as_needed);
        reason.set(s.as_needed_reason.clone());
        max.set(s.max_per_day.map(|m| m.to_string()).unwrap_or_default());
        start.set(s.start_on.as_ref().map(|d| d.0.clone()).unwrap_or_default());
        stop.set(s.stop_on.as_ref().map(|d| d.0.clone()).unwrap_or_default());
    };
    let build_named = named.clone();
    let build = move || {
        let mut times: Vec<String> = build_named
            .iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(s, _)| s.id())
            .collect();
        for raw in trimmed(clock)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let Some(slot) = Slot::parse(raw) else {
                return Err(format!(
                    "Enter clock times as HH:MM (24-hour), separated by commas; “{raw}” is not one."
                ));
            };
            times.push(slot.id());
        }
        times.dedup();
        let as_needed = as_needed.get_untracked();
        if times.is_empty() && !as_needed {
            return Err("Choose when it is taken, or “Only when needed”.".to_string());
        }
        let max_per_day = match trimmed(max) {
            m if m.is_empty() => None,
            m => match m.parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err("Enter the most per day as a whole number.".to_string()),
            },
        };
        let start_on = optional_date(start, "start date")?;
        let stop_on = optional_date(stop, "stop date")?;
        if let (Some(a), Some(b)) = (
            start_on.as_ref().and_then(IsoDate::date),
            stop_on.as_ref().and_then(IsoDate::date),
        ) {
            if b < a {
                return Err("The stop date is before the start date.".to_string());
            }
        }
        let schedule = MedicationSchedule {
            times,
            food: FoodInstruction::parse(&food.get_untracked()),
            as_needed,
            as_needed_reason: if as_needed {
                trimmed(reason)
            } else {
                String::new()
            },
            max_per_day: if as_needed { max_per_day } else { None },
            start_on,
            stop_on,
        };
        let m = item.get_untracked();
        if schedule == m.schedule {
            return Ok(Vec::new());
        }
        Ok(vec![Op::SetMedicationSchedule { id: m.id, schedule }])
    };
    let name = Signal::derive(move || format!("Set times for {}", item.with(|m| m.name.clone())));
    let foods = vec![
        (String::new(), "Not said".to_string()),
        ("with_food".to_string(), "With food".to_string()),
        (
            "without_food".to_string(),
            "On an empty stomach".to_string(),
        ),
    ];
    view! {
        <FormToggle
            open_label="Set times"
            open_name=name
            title=name
            submit_label="Save times"
            saved_text="Times saved."
            quiet=true
            on_open=Callback::new(fill)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <fieldset class="times">
                <legend>"Taken at"</legend>
                {named.iter().map(|(slot, on)| {
                    let label: &'static str = match slot {
                        Slot::Morning => "Morning",
                        Slot::Noon => "Noon",
                        Slot::Evening => "Evening",
                        _ => "Bedtime",
                    };
                    view! { <CheckField label=label value=*on /> }
                }).collect_view()}
            </fieldset>
            <TextField label="Clock times (optional)" value=clock hint="24-hour, e.g. 07:30, 14:00" />
            <SelectField label="Food" value=food options=foods.clone() />
            <CheckField label="Only when needed" value=as_needed />
            <Show when=move || as_needed.get()>
                <TextField label="Needed for" value=reason hint="e.g. if short of breath" />
                <TextField label="Most per day" value=max kind="number" />
            </Show>
            <TextField label="Start date (optional)" value=start kind="date" />
            <TextField label="Stop date (optional)" value=stop kind="date" />
        </FormToggle>
    }
}

/// The day's schedule: a row per medication, a column per time of day, a box to tick.
#[component]
pub fn DailySchedule(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let day = today();
    let grid = Memo::new(move |_| record.with(|r| day_schedule(r, day, Lang::En)));
    view! {
        <section class="card schedule" aria-labelledby="schedule-title">
            <h2 id="schedule-title">"Daily medication schedule"</h2>
            {move || {
                let g = grid.get();
                if g.rows.is_empty() && g.as_needed.is_empty() {
                    return view! {
                        <p class="muted">"No medication has times set yet. Use “Set times” on a medication."</p>
                    }.into_any();
                }
                schedule_table(&g, Lang::En).into_any()
            }}
        </section>
    }
}

/// The grid as a table (also used by the handout, in the patient's language).
pub fn schedule_table(g: &tend_core::handout::DaySchedule, lang: Lang) -> impl IntoView {
    let l = lang.labels();
    let columns: Vec<String> = g.columns.iter().map(|c| c.label(lang)).collect();
    let header = columns.clone();
    let rows = g.rows.clone();
    let as_needed = g.as_needed.clone();
    let unstructured = g.unstructured.clone();
    view! {
        {(!rows.is_empty()).then(|| view! {
            <table class="schedule-grid" aria-label=l.medicines>
                <thead>
                    <tr>
                        <th scope="col">{l.medicine}</th>
                        {header.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let mut detail = Vec::new();
                        if !r.purpose.is_empty() {
                            detail.push(format!("{} {}", l.purpose, r.purpose));
                        }
                        if !r.note.is_empty() {
                            detail.push(r.note.clone());
                        }
                        let cells = r.taken.iter().zip(columns.iter()).map(|(taken, col)| {
                            if *taken {
                                view! {
                                    <td class="take">
                                        <span class="box" aria-hidden="true">"☐"</span>
                                        <span class="sr-only">{format!("{} {col}", l.take)}</span>
                                    </td>
                                }.into_any()
                            } else {
                                view! { <td></td> }.into_any()
                            }
                        }).collect_view();
                        view! {
                            <tr>
                                <th scope="row">
                                    <span class="med-name">{format!("{} {}", r.name, r.dose).trim().to_string()}</span>
                                    {(!detail.is_empty()).then(|| view! { <span class="med-detail">{detail.join(" · ")}</span> })}
                                </th>
                                {cells}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })}
        {(!as_needed.is_empty()).then(|| view! {
            <h3 class="subhead">{l.as_needed}</h3>
            <ul class="item-list">
                {as_needed.into_iter().map(|a| {
                    let mut line = format!("{} {}", a.name, a.dose).trim().to_string();
                    if !a.reason.is_empty() {
                        line.push_str(&format!(" — {}", a.reason));
                    }
                    if let Some(max) = a.max_per_day {
                        line.push_str(&format!(" ({} {max})", l.max_per_day));
                    }
                    view! { <li>{line}</li> }
                }).collect_view()}
            </ul>
        })}
        {(!unstructured.is_empty()).then(|| view! {
            <ul class="item-list">
                {unstructured.into_iter().map(|(name, often)| view! {
                    <li>{if often.is_empty() { name } else { format!("{name} — {}: {often}", l.how_often) }}</li>
                }).collect_view()}
            </ul>
        })}
    }
}
