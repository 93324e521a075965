//! Overview: key facts, why the patient is at their risk tier, what is due next, and the
//! demographics a care manager sets first (date of birth, language, identifiers, programs).

use leptos::{ev::SubmitEvent, prelude::*};
use tend_core::{
    assess,
    ids::new_item_id,
    record::{Identifier, IsoDate, ListItem, ProgramEnrollment, ProgramKind, ProgramStatus},
    summary::PatientSummary,
    Op, ProfileField,
};

use super::{program_label, show_date, today_iso, Chart};
use crate::clock::today;
use crate::components::fields::{SelectField, TextField};

#[component]
pub fn OverviewSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let reasons = move || record.with(|r| assess::assess(r, today()).reasons);
    let next_due = move || {
        record.with(|r| {
            PatientSummary::of(r)
                .next_due
                .map(|d| {
                    format!(
                        "{} — {}",
                        show_date(&d.date),
                        if d.label.is_empty() {
                            super::super::today::due_kind(&d.kind).to_string()
                        } else {
                            d.label
                        }
                    )
                })
                .unwrap_or_else(|| "Nothing scheduled".into())
        })
    };
    let dob = move || {
        record.with(|r| {
            r.profile
                .date_of_birth
                .as_ref()
                .map(|d| show_date(d.as_str()))
                .unwrap_or_else(|| "Not recorded".into())
        })
    };
    let language = move || {
        record.with(|r| {
            if r.profile.preferred_language.is_empty() {
                "Not recorded".to_string()
            } else {
                r.profile.preferred_language.clone()
            }
        })
    };
    let identifiers = move || {
        record.with(|r| {
            r.profile
                .identifiers
                .iter()
                .filter(|i| i.is_active())
                .map(|i| format!("{}: {}", i.system.to_uppercase(), i.value))
                .collect::<Vec<_>>()
        })
    };
    let programs = move || {
        record.with(|r| {
            r.programs
                .iter()
                .filter(|p| p.is_active())
                .map(|p| {
                    format!(
                        "{} ({}{})",
                        program_label(p.program.as_str()),
                        p.status.as_str().replace('_', " "),
                        p.start_date
                            .as_ref()
                            .map(|d| format!(", since {}", show_date(d.as_str())))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        })
    };

    view! {
        <section class="card" aria-labelledby="overview-title">
            <h2 id="overview-title">"Overview"</h2>
            <dl class="facts">
                <dt>"Date of birth"</dt><dd>{dob}</dd>
                <dt>"Preferred language"</dt><dd>{language}</dd>
                <dt>"Next due"</dt><dd>{next_due}</dd>
                <dt>"Identifiers"</dt>
                <dd>{move || { let ids = identifiers(); if ids.is_empty() { "None recorded".to_string() } else { ids.join(", ") } }}</dd>
                <dt>"Programs"</dt>
                <dd>{move || { let p = programs(); if p.is_empty() { "Not enrolled".to_string() } else { p.join(", ") } }}</dd>
            </dl>
            <h3>"Why this risk tier"</h3>
            {move || {
                let reasons = reasons();
                if reasons.is_empty() {
                    view! { <p class="muted">"No risk factors recorded."</p> }.into_any()
                } else {
                    view! { <ul>{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul> }.into_any()
                }
            }}
        </section>
        <div class="grid-2">
            <DemographicsForm chart=chart.clone() />
            <IdentifierForm chart=chart.clone() />
            <ProgramForm chart=chart.clone() />
        </div>
    }
}

#[component]
fn DemographicsForm(chart: Chart) -> impl IntoView {
    let (dob, language) = chart.record.with_untracked(|r| {
        (
            r.profile
                .date_of_birth
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_default(),
            r.profile.preferred_language.clone(),
        )
    });
    let dob = RwSignal::new(dob);
    let language = RwSignal::new(language);
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let raw = dob.get_untracked();
        let date = if raw.trim().is_empty() {
            None
        } else {
            match IsoDate::parse(&raw) {
                Some(d) => Some(d),
                None => {
                    msg.set(Some("Enter the date of birth as a full date.".into()));
                    return;
                }
            }
        };
        msg.set(None);
        chart.run(Op::SetDateOfBirth { date }, || {});
        chart.run(
            Op::SetProfileText {
                field: ProfileField::PreferredLanguage,
                value: language.get_untracked().trim().to_string(),
            },
            move || msg.set(Some("Saved.".into())),
        );
    };
    view! {
        <form class="card form" on:submit=submit aria-labelledby="demo-title">
            <h3 id="demo-title">"Demographics"</h3>
            <TextField label="Date of birth" value=dob kind="date" />
            <TextField label="Preferred language" value=language />
            <button type="submit" class="button button-primary">"Save demographics"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn IdentifierForm(chart: Chart) -> impl IntoView {
    let system = RwSignal::new("mrn".to_string());
    let value = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let v = value.get_untracked().trim().to_string();
        if v.is_empty() {
            msg.set(Some("Enter the identifier.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddIdentifier {
                identifier: Identifier {
                    id: new_item_id(),
                    system: system.get_untracked(),
                    value: v,
                    ..Default::default()
                },
            },
            move || value.set(String::new()),
        );
    };
    let systems = vec![
        ("mrn".to_string(), "Medical record number".to_string()),
        ("medicare_mbi".to_string(), "Medicare MBI".to_string()),
        ("plan_member_id".to_string(), "Plan member id".to_string()),
    ];
    view! {
        <form class="card form" on:submit=submit aria-labelledby="ident-title">
            <h3 id="ident-title">"Add an identifier"</h3>
            <SelectField label="Kind of identifier" value=system options=systems />
            <TextField label="Identifier" value=value />
            <button type="submit" class="button">"Add identifier"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn ProgramForm(chart: Chart) -> impl IntoView {
    let program = RwSignal::new("ccm".to_string());
    let start = RwSignal::new(today_iso().0);
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(date) = IsoDate::parse(&start.get_untracked()) else {
            msg.set(Some("Enter the start date.".into()));
            return;
        };
        msg.set(None);
        chart.run(
            Op::EnrollProgram {
                enrollment: ProgramEnrollment {
                    id: new_item_id(),
                    program: ProgramKind::parse(&program.get_untracked()),
                    status: ProgramStatus::Active,
                    start_date: Some(date),
                    ..Default::default()
                },
            },
            move || msg.set(Some("Enrolled.".into())),
        );
    };
    let options = ProgramKind::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), program_label(p.as_str())))
        .collect::<Vec<_>>();
    view! {
        <form class="card form" on:submit=submit aria-labelledby="program-title">
            <h3 id="program-title">"Enroll in a program"</h3>
            <SelectField label="Program" value=program options=options />
            <TextField label="Start date" value=start kind="date" />
            <button type="submit" class="button">"Enroll"</button>
            <FormMessage msg=msg />
        </form>
    }
}

/// A form's outcome or validation message (announced).
#[component]
pub fn FormMessage(msg: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="form-message" role="status" aria-live="polite">{move || msg.get().unwrap_or_default()}</p>
    }
}
