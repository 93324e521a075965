//! Today (the home screen): the day's agenda (what is due today), then the worklist ordered by
//! priority with the reasons each patient is on it. Built from the caseload summaries alone — no
//! patient document is loaded — so it is instant with thousands of patients.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::components::A;
use tend_core::{record::IsoDate, rules::RiskTier, PatientSummary};

use crate::clock::today;
use crate::session::Session;

/// "Follow-up", "Care-plan action", "Goal" for a `DueItem::kind`.
pub fn due_kind(kind: &str) -> &'static str {
    match kind {
        "follow_up" => "Follow-up",
        "action" => "Care-plan action",
        "goal" => "Goal review",
        _ => "Due item",
    }
}

pub fn tier_label(id: Option<&str>) -> &'static str {
    id.and_then(RiskTier::from_id)
        .map(RiskTier::label)
        .unwrap_or("Not assessed")
}

/// A summary flag id as words.
pub fn flag_label(flag: &str) -> String {
    match flag {
        "safety_risk" => "Safety flag (PHQ-9 item 9)".into(),
        "lives_alone" => "Lives alone".into(),
        "interpreter_needed" => "Interpreter needed".into(),
        "in_hospital" => "In hospital".into(),
        "overdue" => "Overdue".into(),
        "dnr" | "dnr_dni" => "DNR".into(),
        "comfort_care" => "Comfort care".into(),
        "adl_impairment" => "ADL impairment".into(),
        "high_readmission_risk" => "High readmission risk".into(),
        tend_core::conflicts::NEEDS_REVIEW_FLAG => "Changes to review".into(),
        other => crate::components::fields::humanize(other),
    }
}

#[derive(Clone, PartialEq)]
struct Row {
    id: String,
    name: String,
    tier: &'static str,
    tier_class: String,
    detail: String,
    reasons: Vec<String>,
}

/// "Interactive contact — overdue by 2 days (was due Fri 4 Dec 2026)".
fn step_text(step: &tend_core::summary::DueItem, day: NaiveDate) -> String {
    let Some(due) = IsoDate(step.date.clone()).date() else {
        return step.label.clone();
    };
    let days = (day - due).num_days();
    let when = match days {
        d if d > 0 => format!(
            "overdue by {d} day{} (was due {})",
            if d == 1 { "" } else { "s" },
            crate::format::weekday(due)
        ),
        0 => "due today".to_string(),
        _ => format!("due by {}", crate::format::weekday(due)),
    };
    format!("{} — {when}", step.label)
}

/// One patient in "Transitions of care": the open TCM steps due today or overdue (or else the
/// next one), or "In hospital".
#[derive(Clone, PartialEq)]
struct TransitionRow {
    id: String,
    name: String,
    tier: &'static str,
    tier_class: String,
    steps: Vec<String>,
    urgent: bool,
    /// Earliest shown due date; in-hospital rows sort after every step.
    sort: (u8, String, String),
}

fn transition_rows(all: &[PatientSummary], day: NaiveDate) -> Vec<TransitionRow> {
    let mut rows: Vec<TransitionRow> = all
        .iter()
        .filter_map(|s| {
            let due_by = |i: &&tend_core::summary::DueItem| {
                IsoDate(i.date.clone()).date().is_some_and(|d| d <= day)
            };
            let mut shown: Vec<&tend_core::summary::DueItem> =
                s.transition_steps.iter().filter(due_by).collect();
            let urgent = !shown.is_empty();
            if shown.is_empty() {
                shown.extend(s.transition_steps.first());
            }
            let in_hospital = s.flags.iter().any(|f| f == "in_hospital");
            if shown.is_empty() && !in_hospital {
                return None;
            }
            let mut steps: Vec<String> = shown.iter().map(|i| step_text(i, day)).collect();
            if in_hospital {
                steps.insert(0, "In hospital".to_string());
            }
            let first = shown.first().map(|i| i.date.clone());
            Some(TransitionRow {
                id: s.id.clone(),
                name: s.display_name.clone(),
                tier: tier_label(s.risk_tier.as_deref()),
                tier_class: tier_class(s.risk_tier.as_deref()),
                steps,
                urgent,
                sort: (
                    if urgent {
                        0
                    } else if first.is_some() {
                        1
                    } else {
                        2
                    },
                    first.unwrap_or_default(),
                    s.sort_key.clone(),
                ),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.sort.cmp(&b.sort));
    rows
}

#[component]
pub fn TodayPage() -> impl IntoView {
    let session = expect_context::<Session>();
    // Whose work: mine by default; someone who leads the team can pick a person or everyone.
    let scope = RwSignal::new("me".to_string());
    let me = session.person_id();
    let all = session.caseload;
    let caseload = Memo::new(move |_| {
        let scope = scope.get();
        all.with(|all| {
            all.iter()
                .filter(|s| match scope.as_str() {
                    "team" => true,
                    "me" => tend_core::team::in_caseload_of(s, &me),
                    person => s.care_manager == person,
                })
                .cloned()
                .collect::<Vec<PatientSummary>>()
        })
    });
    let leads = {
        let s = session.clone();
        Memo::new(move |_| s.leads_team())
    };
    let people = {
        let s = session.clone();
        move || {
            let me = s.person_id();
            let mut options = vec![
                ("me".to_string(), "Mine".to_string()),
                ("team".to_string(), "Whole team".to_string()),
            ];
            options.extend(s.people_choices(&me));
            options
        }
    };
    let day = today();
    let heading_date = day.format("%A %-d %B %Y").to_string();

    // Every item due today, one row each (a patient with two items has two rows).
    let agenda = Memo::new(move |_| {
        caseload.with(|all| {
            let mut rows: Vec<Row> = all
                .iter()
                .flat_map(|s| {
                    s.due_items
                        .iter()
                        .filter(|d| IsoDate(d.date.clone()).date() == Some(day))
                        .map(move |due| {
                            let kind = due_kind(&due.kind);
                            Row {
                                id: s.id.clone(),
                                name: s.display_name.clone(),
                                tier: tier_label(s.risk_tier.as_deref()),
                                tier_class: tier_class(s.risk_tier.as_deref()),
                                detail: if due.label.is_empty() {
                                    kind.to_string()
                                } else {
                                    format!("{kind}: {}", due.label)
                                },
                                reasons: Vec::new(),
                            }
                        })
                })
                .collect();
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            rows
        })
    });

    let worklist = Memo::new(move |_| {
        caseload.with(|all| {
            let mut scored: Vec<(u32, &PatientSummary, Vec<String>)> = all
                .iter()
                .filter_map(|s| {
                    let mut reasons = Vec::new();
                    let mut bump = 0u32;
                    // Open until its safety assessment is recorded (then the flag is gone and
                    // the risk reason says when it was assessed). The same sentence is the risk
                    // rules' reason: it is listed once, first.
                    if s.flags.iter().any(|f| f == "safety_risk") {
                        reasons.push(tend_core::rules::risk::SAFETY_FLAG_REASON.to_string());
                    }
                    // Every overdue item, oldest first; the oldest sets the bump.
                    for due in &s.due_items {
                        let Some(date) = IsoDate(due.date.clone()).date() else {
                            continue;
                        };
                        if date >= day {
                            break;
                        }
                        let days = (day - date).num_days();
                        bump = bump.max(6 + u32::try_from(days.min(19)).unwrap_or(0));
                        reasons.push(format!(
                            "{} overdue by {} day{}{}",
                            due_kind(&due.kind),
                            days,
                            if days == 1 { "" } else { "s" },
                            if due.label.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", due.label)
                            }
                        ));
                    }
                    if s.flags.iter().any(|f| f == "in_hospital") {
                        reasons.push("In hospital".to_string());
                    }
                    for reason in &s.risk_reasons {
                        // A summary stored by an earlier build words the safety reason so.
                        let old_safety =
                            reason.starts_with("PHQ-9: thoughts of death or self-harm");
                        if !old_safety && !reasons.contains(reason) {
                            reasons.push(reason.clone());
                        }
                    }
                    if reasons.is_empty() {
                        return None;
                    }
                    Some((s.priority.saturating_add(bump), s, reasons))
                })
                .collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.sort_key.cmp(&b.1.sort_key)));
            scored
                .into_iter()
                .map(|(_, s, reasons)| Row {
                    id: s.id.clone(),
                    name: s.display_name.clone(),
                    tier: tier_label(s.risk_tier.as_deref()),
                    tier_class: tier_class(s.risk_tier.as_deref()),
                    detail: s.age.map(|a| format!("{a} years")).unwrap_or_default(),
                    reasons,
                })
                .collect::<Vec<_>>()
        })
    });

    let transitions = Memo::new(move |_| caseload.with(|all| transition_rows(all, day)));

    // Last week of the month: patients a few minutes short of a billing code.
    let near = Memo::new(move |_| {
        caseload.with(|all| {
            let mut rows: Vec<(String, String, String, String)> = all
                .iter()
                .filter_map(|s| {
                    let near = tend_core::billing::near_threshold(&s.billing, day);
                    (!near.is_empty()).then(|| {
                        let text = near
                            .iter()
                            .map(|n| {
                                format!(
                                    "{}: {}",
                                    tend_core::billing::program_name(&n.program),
                                    n.text()
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(" · ");
                        (
                            s.sort_key.clone(),
                            s.id.clone(),
                            s.display_name.clone(),
                            text,
                        )
                    })
                })
                .collect();
            rows.sort();
            rows.into_iter()
                .map(|(_, id, name, text)| (id, name, text))
                .collect::<Vec<_>>()
        })
    });

    // Referrals to follow through and authorisation deadlines (summaries' coordination facts).
    let coordination = Memo::new(move |_| {
        caseload.with(|all| {
            let mut rows: Vec<(bool, String, String, String, String, Vec<(String, bool)>)> = all
                .iter()
                .filter_map(|s| {
                    let items = tend_core::coordination::due_items(&s.coordination, day);
                    let first = items.iter().map(|i| i.due.as_str().to_string()).min()?;
                    Some((
                        !items.iter().any(|i| i.overdue),
                        first,
                        s.sort_key.clone(),
                        s.id.clone(),
                        s.display_name.clone(),
                        items
                            .into_iter()
                            .map(|i| (readable_dates(&i.label), i.overdue))
                            .collect(),
                    ))
                })
                .collect();
            rows.sort();
            rows.into_iter()
                .map(|(_, _, _, id, name, items)| (id, name, items))
                .collect::<Vec<_>>()
        })
    });

    // Patients whose charts hold values changed on two devices at once (summary flag).
    let to_review = Memo::new(move |_| {
        caseload.with(|all| {
            all.iter()
                .filter(|s| {
                    s.flags
                        .iter()
                        .any(|f| f == tend_core::conflicts::NEEDS_REVIEW_FLAG)
                })
                .map(|s| (s.id.clone(), s.display_name.clone()))
                .collect::<Vec<_>>()
        })
    });

    view! {
        <section class="page" aria-labelledby="today-title">
            <h1 id="today-title">"Today"</h1>
            <p class="muted">{heading_date}</p>
            <Show when=move || leads.get()>
                <label class="field">
                    <span>"Work of"</span>
                    <select on:change=move |ev| scope.set(event_target_value(&ev)) prop:value=move || scope.get()>
                        {let people = people.clone(); move || people().into_iter().map(|(id, label)| {
                            let selected = id == scope.get_untracked();
                            view! { <option value=id selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </Show>
            <Show when=move || !to_review.with(Vec::is_empty)>
                <section class="card card-warn" aria-labelledby="review-title">
                    <h2 id="review-title">{move || match to_review.with(Vec::len) {
                        1 => "1 patient has changes to review".to_string(),
                        n => format!("{n} patients have changes to review"),
                    }}</h2>
                    <p class="muted">"The same field was changed on two devices at once. Open the chart and choose the right value."</p>
                    <ul class="patient-list" aria-label="Changes to review">
                        <For each=move || to_review.get() key=|(id, _)| id.clone() let:row>
                            <li>
                                <A href=format!("/patients/{}?section=review", row.0)>
                                    <span class="patient-name">{row.1.clone()}</span>
                                </A>
                            </li>
                        </For>
                    </ul>
                </section>
            </Show>
            <Show when=move || !transitions.with(Vec::is_empty)>
                <section class="card" aria-labelledby="transitions-title">
                    <h2 id="transitions-title">"Transitions of care"</h2>
                    <p class="muted">"After a discharge home: contact within 2 business days, the visit, medication reconciliation."</p>
                    <ul class="patient-list" aria-label="Transitions of care">
                        <For each=move || transitions.get() key=|r| (r.id.clone(), r.steps.clone()) let:row>
                            <li class=if row.urgent { "tcm-row tcm-urgent" } else { "tcm-row" }>
                                <A href=format!("/patients/{}?section=transitions", row.id)>
                                    <span class="row-main">
                                        <span class="patient-name">{row.name.clone()}</span>
                                        <span class=row.tier_class.clone()>{format!("Risk: {}", row.tier)}</span>
                                    </span>
                                    {row.steps.iter().map(|s| view! { <span class="row-detail">{s.clone()}</span> }).collect_view()}
                                </A>
                            </li>
                        </For>
                    </ul>
                </section>
            </Show>
            <Show when=move || !coordination.with(Vec::is_empty)>
                <section class="card" aria-labelledby="coordination-title">
                    <h2 id="coordination-title">"Referrals and authorizations"</h2>
                    <p class="muted">"Referrals waiting for an appointment or an outcome, appeal deadlines and approvals running out."</p>
                    <ul class="patient-list" aria-label="Referrals and authorizations">
                        <For each=move || coordination.get() key=|r| r.clone() let:row>
                            <li>
                                <A href=format!("/patients/{}?section=coordination", row.0)>
                                    <span class="row-main"><span class="patient-name">{row.1.clone()}</span></span>
                                    {row.2.iter().map(|(label, overdue)| view! {
                                        <span class=if *overdue { "row-detail overdue" } else { "row-detail" }>{label.clone()}</span>
                                    }).collect_view()}
                                </A>
                            </li>
                        </For>
                    </ul>
                </section>
            </Show>
            <Show when=move || !near.with(Vec::is_empty)>
                <section class="card" aria-labelledby="near-title">
                    <h2 id="near-title">"Close to a billing threshold"</h2>
                    <p class="muted">"The month ends soon: these patients are a few minutes short of a code."</p>
                    <ul class="patient-list" aria-label="Close to a billing threshold">
                        <For each=move || near.get() key=|r| r.clone() let:row>
                            <li>
                                <A href=format!("/patients/{}?section=programs", row.0)>
                                    <span class="row-main"><span class="patient-name">{row.1.clone()}</span></span>
                                    <span class="row-detail">{row.2.clone()}</span>
                                </A>
                            </li>
                        </For>
                    </ul>
                </section>
            </Show>
            <section class="card" aria-labelledby="agenda-title">
                <h2 id="agenda-title">"Due today"</h2>
                <Show
                    when=move || !agenda.with(Vec::is_empty)
                    fallback=|| view! { <p class="empty">"Nothing is due today."</p> }
                >
                    <ul class="patient-list" aria-label="Agenda">
                        <For each=move || agenda.get() key=|r| (r.id.clone(), r.detail.clone()) let:row>
                            <li><PatientLink row=row /></li>
                        </For>
                    </ul>
                </Show>
            </section>
            <section class="card" aria-labelledby="worklist-title">
                <h2 id="worklist-title">"Worklist"</h2>
                <p class="muted">"Highest priority first: overdue follow-ups, recent discharges and high risk."</p>
                <Show
                    when=move || !worklist.with(Vec::is_empty)
                    fallback=|| view! { <p class="empty">"No patient needs attention beyond today's agenda."</p> }
                >
                    <ol class="patient-list" aria-label="Worklist">
                        <For each=move || worklist.get() key=|r| (r.id.clone(), r.reasons.clone()) let:row>
                            <li><PatientLink row=row /></li>
                        </For>
                    </ol>
                </Show>
            </section>
        </section>
    }
}

pub fn tier_class(id: Option<&str>) -> String {
    format!("tier tier-{}", id.unwrap_or("none"))
}

#[component]
fn PatientLink(row: Row) -> impl IntoView {
    view! {
        <A href=format!("/patients/{}", row.id)>
            <span class="row-main">
                <span class="patient-name">{row.name.clone()}</span>
                <span class=row.tier_class.clone()>{format!("Risk: {}", row.tier)}</span>
            </span>
            {(!row.detail.is_empty()).then(|| view! { <span class="row-detail">{row.detail.clone()}</span> })}
            {(!row.reasons.is_empty()).then(|| view! {
                <span class="reasons">{row.reasons.join(" · ")}</span>
            })}
        </A>
    }
}

/// Core's labels carry ISO days ("due 2026-02-14"); screens show days the app's way.
fn readable_dates(label: &str) -> String {
    label
        .split(' ')
        .map(|word| match (word.get(..10), word.get(10..)) {
            (Some(day), Some(rest)) if tend_core::record::IsoDate::parse(day).is_some() => {
                format!("{}{rest}", crate::format::day(day))
            }
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
