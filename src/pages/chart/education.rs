//! Education: what was taught (topic, kind, method, materials, teach-back, revisit), topics whose
//! teach-back needs review offered as a follow-up, and topics suggested by the problem list and the
//! medications (core `handout::{topics_to_review, suggested_topics}`).

use chrono::Duration;
use leptos::prelude::*;
use tend_core::{
    handout::{review_reason, suggested_topics, topics_to_review},
    ids::new_item_id,
    record::{
        Education, EducationKind, FollowUp, FollowUpKind, IsoDate, TeachBack, TeachingMethod,
    },
    ItemList as List, Op,
};

use super::entries::{active_lines, removed_lines, Entries};
use super::{today_iso, Chart};
use crate::clock::today;
use crate::components::fields::{CheckField, SelectField, TextField};
use crate::components::form::{optional_date, trimmed, FormToggle};
use crate::format;

const EDUCATION_FIELDS: &[(&str, &str)] = &[
    ("topic", "Topic"),
    ("teach_back", "Teach-back"),
    ("materials", "Materials"),
    ("revisit", "Revisit"),
];

pub fn teach_back_label(t: &TeachBack) -> String {
    match t {
        TeachBack::NotAssessed => "Not checked".into(),
        TeachBack::Understood => "Understood".into(),
        TeachBack::Partial => "Partly understood".into(),
        TeachBack::NeedsReview | TeachBack::NotUnderstood => "Needs review".into(),
        TeachBack::Other(o) => o.clone(),
    }
}

fn kind_label(k: &EducationKind) -> String {
    match k {
        EducationKind::Condition => "A condition".into(),
        EducationKind::Medication => "A medication".into(),
        EducationKind::Procedure => "A procedure".into(),
        EducationKind::SelfManagement => "Self-management skill".into(),
        EducationKind::WarningSigns => "Warning signs and who to call".into(),
        EducationKind::Other(o) => o.clone(),
    }
}

fn method_label(m: &TeachingMethod) -> String {
    match m {
        TeachingMethod::Verbal => "Told".into(),
        TeachingMethod::Demonstration => "Shown (demonstration)".into(),
        TeachingMethod::Written => "Written material".into(),
        TeachingMethod::Video => "Video".into(),
        TeachingMethod::Other(o) => o.clone(),
    }
}

fn education_line(e: &Education) -> String {
    let mut parts = vec![
        format!("{} — {}", e.topic.trim(), format::day(e.date.as_str())),
        kind_label(&e.kind),
        method_label(&e.method),
        format!("Teach-back: {}", teach_back_label(&e.teach_back)),
    ];
    if !e.materials.trim().is_empty() {
        parts.push(format!("Materials: {}", e.materials.trim()));
    }
    if e.revisit {
        parts.push("Revisit".into());
    }
    parts.join(" · ")
}

#[component]
pub fn EducationSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let review = Memo::new(move |_| {
        record.with(|r| {
            topics_to_review(r)
                .into_iter()
                .map(|e| {
                    (
                        e.id.clone(),
                        e.topic.trim().to_string(),
                        e.date.0.clone(),
                        e.teach_back.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let suggestions = Memo::new(move |_| {
        record.with(|r| {
            suggested_topics(r)
                .into_iter()
                .map(|s| (s.topic, s.kind, s.because))
                .collect::<Vec<_>>()
        })
    });
    let items = active_lines(record, |r| &r.coordination.education, education_line);
    let removed = removed_lines(record, |r| &r.coordination.education, education_line);
    let (c1, c2) = (chart.clone(), chart.clone());
    view! {
        <section class="card card-warn" aria-labelledby="review-teaching-title" hidden=move || review.with(Vec::is_empty)>
                <h2 id="review-teaching-title">"Teaching to review"</h2>
                <ul class="entries" aria-label="Teaching to review">
                    <For each=move || review.get() key=|r| r.clone() let:row>
                        <li class="entry">
                            <p class="entry-main">{row.1.clone()}</p>
                            <p class="entry-meta">{format!("Taught {} · {}", format::day(&row.2), teach_back_label(&row.3))}</p>
                            <div class="entry-actions">
                                <ScheduleReview chart=c1.clone() topic=row.1.clone() />
                            </div>
                        </li>
                    </For>
                </ul>
        </section>
        <section class="card" aria-labelledby="education-title">
            <h2 id="education-title">"Education"</h2>
            <Entries chart=chart.clone() list=List::Education label="Teaching recorded"
                empty="No teaching recorded yet." what="teaching" items=items removed=removed
                fields=EDUCATION_FIELDS />
            <RecordTeaching chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="topics-title" hidden=move || suggestions.with(Vec::is_empty)>
                <h2 id="topics-title">"Suggested topics"</h2>
                <p class="muted">"From the problem list and the medications."</p>
                <ul class="entries" aria-label="Suggested topics">
                    <For each=move || suggestions.get() key=|s| s.0 let:s>
                        <li class="entry">
                            <p class="entry-main">{s.0}</p>
                            <p class="entry-meta">{s.2.clone()}</p>
                            <div class="entry-actions">
                                <RecordTeaching chart=c2.clone() preset=(s.0, s.1.clone()) />
                            </div>
                        </li>
                    </For>
                </ul>
        </section>
    }
}

/// "Record teaching" (or, for a suggested topic, "Record teaching: <topic>" with it filled in).
#[component]
fn RecordTeaching(
    chart: Chart,
    #[prop(optional)] preset: Option<(&'static str, EducationKind)>,
) -> impl IntoView {
    let topic = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let method = RwSignal::new(String::new());
    let materials = RwSignal::new(String::new());
    let teach_back = RwSignal::new(String::new());
    let revisit = RwSignal::new(false);
    let date = RwSignal::new(String::new());
    let preset_for_reset = preset.clone();
    let reset = move |_| {
        let (t, k) = preset_for_reset
            .clone()
            .map(|(t, k)| (t.to_string(), k))
            .unwrap_or_default();
        topic.set(t);
        kind.set(k.as_str().to_string());
        method.set(TeachingMethod::Verbal.as_str().to_string());
        materials.set(String::new());
        teach_back.set(String::new());
        revisit.set(false);
        date.set(today_iso().0);
    };
    let build = move || {
        let t = trimmed(topic);
        if t.is_empty() {
            return Err("Enter what was taught.".to_string());
        }
        let tb = teach_back.get_untracked();
        if tb.is_empty() {
            return Err("Choose the teach-back result.".to_string());
        }
        let Some(on) = optional_date(date, "date")? else {
            return Err("Enter the date it was taught.".to_string());
        };
        if on.date().is_some_and(|d| d > today()) {
            return Err("The date cannot be in the future.".to_string());
        }
        Ok(vec![Op::RecordEducation {
            education: Education {
                id: new_item_id(),
                topic: t,
                kind: EducationKind::parse(&kind.get_untracked()),
                method: TeachingMethod::parse(&method.get_untracked()),
                materials: trimmed(materials),
                teach_back: TeachBack::parse(&tb),
                revisit: revisit.get_untracked(),
                date: on,
                ..Default::default()
            },
        }])
    };
    let kinds: Vec<(String, String)> = EducationKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), kind_label(k)))
        .collect();
    let methods: Vec<(String, String)> = TeachingMethod::ALL
        .iter()
        .map(|m| (m.as_str().to_string(), method_label(m)))
        .collect();
    let mut results = vec![(String::new(), "Choose…".to_string())];
    results.extend(
        [
            TeachBack::Understood,
            TeachBack::Partial,
            TeachBack::NeedsReview,
            TeachBack::NotAssessed,
        ]
        .iter()
        .map(|t| (t.as_str().to_string(), teach_back_label(t))),
    );
    let (open_label, title, quiet) = match &preset {
        Some((t, _)) => (
            format!("Record teaching: {t}"),
            format!("Record teaching: {t}"),
            true,
        ),
        None => (
            "Record teaching".to_string(),
            "Record teaching".to_string(),
            false,
        ),
    };
    view! {
        <FormToggle
            open_label=open_label
            title=title
            submit_label="Save teaching"
            saved_text="Teaching recorded."
            quiet=quiet
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Topic" value=topic />
            <SelectField label="Kind" value=kind options=kinds.clone() />
            <SelectField label="How it was taught" value=method options=methods.clone() />
            <TextField label="Materials given (optional)" value=materials />
            <SelectField label="Teach-back" value=teach_back options=results.clone() />
            <CheckField label="Teach it again later" value=revisit />
            <TextField label="Date" value=date kind="date" />
        </FormToggle>
    }
}

/// Turns a topic to review into a scheduled follow-up.
#[component]
fn ScheduleReview(chart: Chart, topic: String) -> impl IntoView {
    let due = RwSignal::new(String::new());
    let how = RwSignal::new(String::new());
    let reset = move |_| {
        due.set(IsoDate::new(today() + Duration::days(7)).0);
        how.set(FollowUpKind::Call.as_str().to_string());
    };
    let reason = review_reason(&topic);
    let build = move || {
        let Some(on) = optional_date(due, "date")? else {
            return Err("Enter when to review it.".to_string());
        };
        Ok(vec![Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: new_item_id(),
                kind: FollowUpKind::parse(&how.get_untracked()),
                due: on,
                reason: reason.clone(),
                ..Default::default()
            },
        }])
    };
    let kinds = vec![
        ("call".to_string(), "Phone call".to_string()),
        ("visit".to_string(), "Visit".to_string()),
        ("video".to_string(), "Video call".to_string()),
    ];
    let name = format!("Schedule review: {topic}");
    view! {
        <FormToggle
            open_label="Schedule review"
            open_name=name.clone()
            title=name
            submit_label="Schedule"
            saved_text="Review scheduled."
            quiet=true
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextField label="Review on" value=due kind="date" />
            <SelectField label="How" value=how options=kinds.clone() />
        </FormToggle>
    }
}
