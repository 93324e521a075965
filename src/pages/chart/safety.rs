//! The PHQ-9 safety flag in the chart header, as a clinical workflow: while the latest PHQ-9 has
//! item 9 positive and no safety assessment, an alert with the crisis line, who acknowledged it
//! ("Acknowledge"), and "Record safety assessment" (who assessed, risk level, crisis line given,
//! safety plan, date). Once assessed, a quiet line says when, by whom and the risk found. Every
//! safety assessment stays listed (with "Remove" and "History") under "Show safety assessments".
//! Core decides what is open (`assess::safety_flag`); a read-only chart offers no action.

use leptos::{html, prelude::*, task::spawn_local};
use tend_core::{
    assess::{self, SafetyFlag},
    ids::new_item_id,
    record::{IsoDate, SafetyAssessment, SafetyRiskLevel},
    ItemList, Op,
};

use super::entries::{active_lines, removed_lines, Entries};
use super::{today_iso, Chart};
use crate::components::fields::{humanize, CheckField, SelectField, TextArea, TextField};
use crate::components::form::{editable, trimmed, FormToggle};
use crate::format;

/// (document key, label) of a safety assessment's fields, for "History".
const ASSESSMENT_FIELDS: &[(&str, &str)] = &[
    ("date", "Date"),
    ("assessed_by", "Assessed by"),
    ("risk_level", "Risk level"),
    ("crisis_line_given", "Crisis line given"),
    ("plan", "Safety plan"),
];

/// "low", "imminent"… as the chart says a risk level.
fn risk_label(level: &SafetyRiskLevel) -> String {
    match level {
        SafetyRiskLevel::NotRecorded => "not recorded".into(),
        other => other.as_str().replace('_', " "),
    }
}

/// "Safety assessed 7 Dec 2026 by Dr. Lee Kim, LCSW — risk low".
fn assessed_line(a: &SafetyAssessment) -> String {
    format!(
        "Safety assessed {} by {} — risk {}",
        format::day(a.date.as_str()),
        a.assessed_by,
        risk_label(&a.risk_level)
    )
}

/// One safety assessment as listed: what was found, and who recorded it when.
fn history_line(a: &SafetyAssessment) -> String {
    let crisis = if a.crisis_line_given {
        "crisis line given"
    } else {
        "crisis line not given"
    };
    format!(
        "{}; {crisis}. Plan: {}. Recorded by {} on {} {}",
        assessed_line(a),
        a.plan.trim().trim_end_matches('.'),
        if a.recorded.user_name.trim().is_empty() {
            "someone (name not recorded)"
        } else {
            a.recorded.user_name.as_str()
        },
        format::date(a.recorded.at),
        format::time_of_day(a.recorded.at)
    )
}

/// The safety flag in the chart header (nothing when the latest PHQ-9 has item 9 negative), and
/// the list of every safety assessment recorded.
#[component]
pub fn SafetyBanner(chart: Chart) -> impl IntoView {
    let record = chart.record;
    // Coarse keys, so the open banner (and a form being filled in) is rebuilt only when the flag
    // itself changes, not on every edit of the record.
    let open = Memo::new(move |_| {
        record.with(|r| {
            assess::open_safety_flag(r).map(|p| (p.id.clone(), p.date.as_str().to_string()))
        })
    });
    let addressed = Memo::new(move |_| {
        record.with(|r| match assess::safety_flag(r) {
            Some(SafetyFlag::Addressed { assessment, .. }) => Some(assessed_line(assessment)),
            _ => None,
        })
    });
    // After a save the form is gone: focus moves to the line that replaced it.
    let focus_line = RwSignal::new(false);
    let line_ref = NodeRef::<html::P>::new();
    Effect::new(move |_| {
        if let Some(line) = line_ref.get() {
            if focus_line.get() {
                focus_line.set(false);
                let _ = line.focus();
            }
        }
    });
    let open_chart = chart.clone();
    view! {
        {move || open.get().map(|(response_id, date)| view! {
            <OpenFlag chart=open_chart.clone() response_id=response_id date=date focus_line=focus_line />
        })}
        {move || addressed.get().map(|line| view! {
            <p class="safety-assessed muted" tabindex="-1" node_ref=line_ref>{line}</p>
        })}
        <SafetyAssessments chart=chart />
    }
}

/// The open flag: the alert, the crisis line, who acknowledged it, and the two actions.
#[component]
fn OpenFlag(
    chart: Chart,
    response_id: String,
    /// The PHQ-9's day ("YYYY-MM-DD").
    date: String,
    /// Set once the assessment is saved (the line replacing this banner takes focus).
    focus_line: RwSignal<bool>,
) -> impl IntoView {
    let record = chart.record;
    let editable = editable();
    let ack_id = response_id.clone();
    let acknowledged = Memo::new(move |_| {
        record.with(|r| match assess::safety_flag(r) {
            Some(SafetyFlag::Open {
                response,
                acknowledged: Some(by),
            }) if response.id == ack_id => Some(format!(
                "Acknowledged by {} at {} {}",
                if by.user_name.trim().is_empty() {
                    "someone (name not recorded)"
                } else {
                    by.user_name.as_str()
                },
                format::date(by.at),
                format::time_of_day(by.at)
            )),
            _ => None,
        })
    });
    let ack_ref = NodeRef::<html::P>::new();
    let ack_busy = RwSignal::new(false);
    let ack_chart = chart.clone();
    let ack_response = response_id.clone();
    let acknowledge = move |_| {
        if ack_busy.get_untracked() {
            return;
        }
        ack_busy.set(true);
        let fut = ack_chart.apply(Op::AcknowledgeSafetyFlag {
            response_id: ack_response.clone(),
        });
        spawn_local(async move {
            // A refusal is shown at the top of the chart.
            let ok = fut.await.is_ok();
            ack_busy.try_set(false);
            if ok {
                if let Some(line) = ack_ref.get_untracked() {
                    let _ = line.focus();
                }
            }
        });
    };

    let day = RwSignal::new(String::new());
    let assessed_by = RwSignal::new(String::new());
    let risk = RwSignal::new(String::new());
    let crisis_line = RwSignal::new(false);
    let plan = RwSignal::new(String::new());
    let author = chart.author_name();
    let reset = move |_| {
        day.set(today_iso().0);
        assessed_by.set(author.clone());
        risk.set(String::new());
        crisis_line.set(false);
        plan.set(String::new());
    };
    let build_response = response_id.clone();
    let build = move || {
        let Some(date) = IsoDate::parse(&day.get_untracked()) else {
            return Err("Enter the date of the safety assessment.".to_string());
        };
        let assessed_by = trimmed(assessed_by);
        if assessed_by.is_empty() {
            return Err("Say who assessed the patient (name and credentials).".to_string());
        }
        let risk_level = SafetyRiskLevel::parse(&risk.get_untracked());
        if matches!(
            risk_level,
            SafetyRiskLevel::NotRecorded | SafetyRiskLevel::Other(_)
        ) {
            return Err("Choose the risk level.".to_string());
        }
        let plan = trimmed(plan);
        if plan.is_empty() {
            return Err("Write the safety plan (or why none is needed).".to_string());
        }
        Ok(vec![Op::RecordSafetyAssessment {
            assessment: SafetyAssessment {
                id: new_item_id(),
                response_id: build_response.clone(),
                date,
                assessed_by,
                risk_level,
                crisis_line_given: crisis_line.get_untracked(),
                plan,
                ..Default::default()
            },
        }])
    };
    let mut risk_options = vec![(String::new(), "Choose the risk level".to_string())];
    risk_options.extend(
        SafetyRiskLevel::ALL
            .iter()
            .filter(|l| **l != SafetyRiskLevel::NotRecorded)
            .map(|l| (l.as_str().to_string(), humanize(l.as_str()))),
    );
    let save_chart = chart.clone();
    let save = move |ops: Vec<Op>| {
        let fut = save_chart.save(ops);
        async move {
            let result = fut.await;
            if result.is_ok() {
                focus_line.set(true);
            }
            result
        }
    };
    let title = format!("Safety assessment for the PHQ-9 of {}", format::day(&date));
    view! {
        <section class="safety-banner" aria-labelledby="safety-flag-title">
            <div class="safety-flag" role="alert">
                <h2 id="safety-flag-title">"Safety flag: PHQ-9 item 9 positive"</h2>
                <p>
                    {format!(
                        "Thoughts of death or self-harm reported on the PHQ-9 of {}. Needs a same-day safety assessment.",
                        format::day(&date)
                    )}
                </p>
                <p class="crisis-line">
                    <strong>"Crisis line: 988 Suicide & Crisis Lifeline"</strong>
                    " — call or text 988, any time. In immediate danger, call 911."
                </p>
            </div>
            <p class="safety-ack" role="status" tabindex="-1" node_ref=ack_ref>
                {move || acknowledged.get().unwrap_or_else(|| "Not acknowledged yet.".to_string())}
            </p>
            <div class="entry-actions">
                <Show when=move || editable.get() && acknowledged.with(Option::is_none)>
                    <button
                        type="button"
                        class="button button-primary"
                        disabled=move || ack_busy.get()
                        on:click=acknowledge.clone()
                    >
                        "Acknowledge"
                    </button>
                </Show>
                <FormToggle
                    open_label="Record safety assessment"
                    title=title
                    submit_label="Save safety assessment"
                    saved_text="Safety assessment saved."
                    on_open=Callback::new(reset)
                    changes=build
                    save=save
                >
                    <TextField label="Date" value=day kind="date" />
                    <TextField label="Assessed by" value=assessed_by hint="Name and credentials" />
                    <SelectField label="Risk level" value=risk options=risk_options.clone() />
                    <CheckField label="Crisis line given" value=crisis_line />
                    <TextArea label="Safety plan" value=plan
                        hint="What was agreed: warning signs, coping steps, who to call, means restriction, next contact" />
                </FormToggle>
            </div>
        </section>
    }
}

/// Every safety assessment (removed ones under "Show removed"), behind a toggle.
#[component]
fn SafetyAssessments(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let shown = RwSignal::new(false);
    let count = Memo::new(move |_| record.with(|r| r.assessments.safety_assessments.len()));
    let items = active_lines(record, |r| &r.assessments.safety_assessments, history_line);
    let removed = removed_lines(record, |r| &r.assessments.safety_assessments, history_line);
    view! {
        <Show when=move || { count.get() > 0 }>
            <button
                type="button"
                class="button button-quiet"
                aria-expanded=move || if shown.get() { "true" } else { "false" }
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || if shown.get() {
                    "Hide safety assessments".to_string()
                } else {
                    format!("Show safety assessments ({})", count.get())
                }}
            </button>
            {
                let chart = chart.clone();
                move || shown.get().then(|| view! {
                    <Entries chart=chart.clone() list=ItemList::SafetyAssessments label="Safety assessments"
                        empty="No safety assessment in effect." what="safety assessments"
                        items=items removed=removed fields=ASSESSMENT_FIELDS />
                })
            }
        </Show>
    }
}
