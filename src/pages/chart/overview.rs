//! Overview: key facts, why the patient is at their risk tier, what is due next, and the
//! demographics a care manager sets first (date of birth, language, identifiers, programs).

use leptos::prelude::*;
use leptos_router::components::A;
use tend_core::{
    assess,
    ids::new_item_id,
    record::{Address, CodeStatus, Identifier, IsoDate, ListItem, PersonName, ProgramEnrollment},
    summary::PatientSummary,
    Op, ProfileField,
};

use super::entries::{active_lines, entry, removed_lines, Entries};
use super::history::HistoryToggle;
use super::review::AlsoSet;
use super::{program_label, Chart};
use crate::clock::today;
use crate::components::fields::{humanize, CheckField, SelectField, TextField};
use crate::components::form::{changed, edit_of, trimmed, EditToggle, FormToggle};
use crate::format;

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
                        format::day(&d.date),
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
                .map(|d| format::day(d.as_str()))
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
                .map(program_line)
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
            <Demographics chart=chart.clone() />
            <section class="card" aria-labelledby="ids-title">
                <h3 id="ids-title">"Identifiers and programs"</h3>
                <Entries chart=chart.clone() list=tend_core::ItemList::Identifiers label="Identifiers" empty="No identifiers recorded." what="identifiers"
                    items=active_lines(record, |r| &r.profile.identifiers, identifier_line)
                    removed=removed_lines(record, |r| &r.profile.identifiers, identifier_line)
                    fields=IDENTIFIER_FIELDS
                    edit=|chart, id| view! { <EditIdentifier chart=chart id=id /> }.into_any() />
                <AddIdentifier chart=chart.clone() />
                <Entries chart=chart.clone() list=tend_core::ItemList::Programs label="Programs" empty="Not enrolled in a program." what="programs"
                    items=active_lines(record, |r| &r.programs, program_line)
                    removed=removed_lines(record, |r| &r.programs, program_line)
                    fields=PROGRAM_FIELDS />
                <p><A href=move || format!("/patients/{}?section=programs", record.with(|r| r.id.clone()))>"Enrol, consent and time: Programs & time"</A></p>
            </section>
        </div>
    }
}

/// Every demographic fact, and "Edit demographics" on demand (only changed fields are written,
/// all in one change).
#[component]
fn Demographics(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let or_none = |s: &str| {
        if s.trim().is_empty() {
            "Not recorded".to_string()
        } else {
            s.trim().to_string()
        }
    };
    let facts = move || {
        record.with(|r| {
            let p = &r.profile;
            let a = &p.address;
            let address = [&a.line1, &a.line2, &a.city, &a.region, &a.postal_code]
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                ("Name", r.name.display()),
                ("Sex", or_none(&humanize(&p.sex))),
                ("Gender identity", or_none(&p.gender_identity)),
                ("Pronouns", or_none(&p.pronouns)),
                (
                    "Interpreter",
                    if p.interpreter_needed {
                        "Needed".into()
                    } else {
                        "Not needed".into()
                    },
                ),
                ("Email", or_none(&p.email)),
                ("Address", or_none(&address)),
                ("Code status", code_status_label(&p.code_status)),
            ]
        })
    };
    view! {
        <section class="card" aria-labelledby="demo-title">
            <h3 id="demo-title">"Demographics"</h3>
            <dl class="facts">
                {move || facts().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
            <AlsoSet chart=chart.clone() base="" fields=PLAIN_FIELDS />
            <div class="entry-actions">
                <EditDemographics chart=chart.clone() />
                <HistoryToggle chart=chart.clone() base="profile".to_string() fields=PROFILE_FIELDS name=Signal::derive(|| "demographics".to_string()) />
            </div>
        </section>
    }
}

const PROFILE_FIELDS: &[(&str, &str)] = &[
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("gender_identity", "Gender identity"),
    ("pronouns", "Pronouns"),
    ("preferred_language", "Preferred language"),
    ("interpreter_needed", "Needs an interpreter"),
    ("email", "Email"),
    ("address/line1", "Address line 1"),
    ("address/city", "City"),
    ("code_status", "Code status"),
];

const IDENTIFIER_FIELDS: &[(&str, &str)] = &[
    ("system", "Kind"),
    ("value", "Identifier"),
    ("issuer", "Issued by"),
];

/// Plain text fields of the name and profile that get a quiet marker when set on two devices.
const PLAIN_FIELDS: &[(&str, &str)] = &[
    ("name/given", "Given name"),
    ("name/family", "Family name"),
    ("profile/sex", "Sex"),
    ("profile/gender_identity", "Gender identity"),
    ("profile/pronouns", "Pronouns"),
    ("profile/preferred_language", "Preferred language"),
    ("profile/email", "Email"),
    ("profile/address/line1", "Address"),
    ("profile/address/city", "City"),
];

const PROGRAM_FIELDS: &[(&str, &str)] = &[
    ("status", "Status"),
    ("start_date", "Start"),
    ("end_date", "End"),
    ("end_reason", "Why it ended"),
];

fn program_line(p: &ProgramEnrollment) -> String {
    format!(
        "{} ({}{})",
        program_label(p.program.as_str()),
        p.status.as_str().replace('_', " "),
        p.start_date
            .as_ref()
            .map(|d| format!(", since {}", format::day(d.as_str())))
            .unwrap_or_default()
    )
}

fn identifier_line(i: &Identifier) -> String {
    format!("{}: {}", i.system.to_uppercase(), i.value)
}

fn code_status_label(status: &CodeStatus) -> String {
    match status {
        CodeStatus::Unknown => "Not recorded".into(),
        CodeStatus::FullCode => "Full code".into(),
        CodeStatus::Dnr => "DNR".into(),
        CodeStatus::DnrDni => "DNR/DNI".into(),
        CodeStatus::ComfortCare => "Comfort care".into(),
        other => humanize(other.as_str()),
    }
}

#[component]
fn EditDemographics(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let given = RwSignal::new(String::new());
    let family = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let sex = RwSignal::new(String::new());
    let gender = RwSignal::new(String::new());
    let pronouns = RwSignal::new(String::new());
    let language = RwSignal::new(String::new());
    let interpreter = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let line1 = RwSignal::new(String::new());
    let line2 = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let region = RwSignal::new(String::new());
    let postal = RwSignal::new(String::new());
    let code_status = RwSignal::new(String::new());
    let reset = move |_| {
        record.with_untracked(|r| {
            let p = &r.profile;
            given.set(r.name.given.clone());
            family.set(r.name.family.clone());
            dob.set(
                p.date_of_birth
                    .as_ref()
                    .map(|d| d.0.clone())
                    .unwrap_or_default(),
            );
            sex.set(p.sex.clone());
            gender.set(p.gender_identity.clone());
            pronouns.set(p.pronouns.clone());
            language.set(p.preferred_language.clone());
            interpreter.set(p.interpreter_needed);
            email.set(p.email.clone());
            line1.set(p.address.line1.clone());
            line2.set(p.address.line2.clone());
            city.set(p.address.city.clone());
            region.set(p.address.region.clone());
            postal.set(p.address.postal_code.clone());
            code_status.set(p.code_status.as_str().to_string());
        })
    };
    let build = move || {
        let r = record.get_untracked();
        let p = &r.profile;
        let mut ops = Vec::new();
        let name = PersonName {
            given: trimmed(given),
            family: trimmed(family),
        };
        if name.given.is_empty() && name.family.is_empty() {
            return Err("Enter the patient's name.".to_string());
        }
        if name.given != r.name.given.trim() || name.family != r.name.family.trim() {
            ops.push(Op::Rename { name });
        }
        let raw_dob = trimmed(dob);
        let date = if raw_dob.is_empty() {
            None
        } else {
            Some(IsoDate::parse(&raw_dob).ok_or("Enter the date of birth as a full date.")?)
        };
        if date != p.date_of_birth {
            ops.push(Op::SetDateOfBirth { date });
        }
        for (field, value, current) in [
            (ProfileField::Sex, sex, &p.sex),
            (ProfileField::GenderIdentity, gender, &p.gender_identity),
            (ProfileField::Pronouns, pronouns, &p.pronouns),
            (
                ProfileField::PreferredLanguage,
                language,
                &p.preferred_language,
            ),
            (ProfileField::Email, email, &p.email),
        ] {
            if let Some(value) = changed(value, current) {
                ops.push(Op::SetProfileText { field, value });
            }
        }
        if interpreter.get_untracked() != p.interpreter_needed {
            ops.push(Op::SetInterpreterNeeded {
                needed: interpreter.get_untracked(),
            });
        }
        let address = Address {
            line1: trimmed(line1),
            line2: trimmed(line2),
            city: trimmed(city),
            region: trimmed(region),
            postal_code: trimmed(postal),
            country: p.address.country.clone(),
        };
        if address != p.address {
            ops.push(Op::SetAddress { address });
        }
        let status = CodeStatus::parse(&code_status.get_untracked());
        if status != p.code_status {
            ops.push(Op::SetCodeStatus { status });
        }
        Ok(ops)
    };
    let statuses: Vec<(String, String)> = CodeStatus::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), code_status_label(c)))
        .collect();
    let sexes = vec![
        (String::new(), "Not recorded".to_string()),
        ("female".to_string(), "Female".to_string()),
        ("male".to_string(), "Male".to_string()),
        ("unknown".to_string(), "Unknown".to_string()),
    ];
    view! {
        <FormToggle
            open_label="Edit demographics"
            title="Edit demographics"
            submit_label="Save demographics"
            saved_text="Demographics saved."
            on_open=Callback::new(reset)
            changes=build
            save=move |ops| chart.save(ops)
        >
            <div class="field-row">
                <TextField label="Given name" value=given />
                <TextField label="Family name" value=family />
            </div>
            <TextField label="Date of birth" value=dob kind="date" />
            <SelectField label="Sex assigned at birth" value=sex options=sexes.clone() />
            <TextField label="Gender identity" value=gender />
            <TextField label="Pronouns" value=pronouns />
            <TextField label="Preferred language" value=language />
            <CheckField label="Needs an interpreter" value=interpreter />
            <TextField label="Email" value=email kind="email" />
            <TextField label="Address line 1" value=line1 />
            <TextField label="Address line 2" value=line2 />
            <div class="field-row">
                <TextField label="City" value=city />
                <TextField label="State" value=region />
                <TextField label="ZIP code" value=postal />
            </div>
            <SelectField label="Code status" value=code_status options=statuses.clone() />
        </FormToggle>
    }
}

/// The kinds of identifier offered (any other kind already recorded is kept as it is).
fn identifier_systems() -> Vec<(String, String)> {
    vec![
        ("mrn".to_string(), "Medical record number".to_string()),
        ("medicare_mbi".to_string(), "Medicare MBI".to_string()),
        ("medicaid".to_string(), "Medicaid id".to_string()),
        ("plan_member_id".to_string(), "Plan member id".to_string()),
    ]
}

/// An identifier's fields, for adding and editing.
#[derive(Clone, Copy)]
struct IdentifierFields {
    system: RwSignal<String>,
    value: RwSignal<String>,
    issuer: RwSignal<String>,
}

impl IdentifierFields {
    fn new() -> Self {
        Self {
            system: RwSignal::new(String::new()),
            value: RwSignal::new(String::new()),
            issuer: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, i: &Identifier) {
        self.system.set(if i.system.is_empty() {
            "mrn".to_string()
        } else {
            i.system.clone()
        });
        self.value.set(i.value.clone());
        self.issuer.set(i.issuer.clone());
    }

    fn check(&self) -> Result<(), String> {
        if trimmed(self.value).is_empty() {
            return Err("Enter the identifier.".to_string());
        }
        Ok(())
    }

    fn view(self, current: Option<String>) -> impl IntoView {
        let mut systems = identifier_systems();
        if let Some(c) = current.filter(|c| !systems.iter().any(|(k, _)| k == c)) {
            systems.push((c.clone(), c.to_uppercase()));
        }
        view! {
            <SelectField label="Kind of identifier" value=self.system options=systems />
            <TextField label="Identifier" value=self.value />
            <TextField label="Issued by" value=self.issuer hint="e.g. the hospital or health plan" />
        }
    }
}

#[component]
fn AddIdentifier(chart: Chart) -> impl IntoView {
    let f = IdentifierFields::new();
    let build = move || {
        f.check()?;
        Ok(vec![Op::AddIdentifier {
            identifier: Identifier {
                id: new_item_id(),
                system: f.system.get_untracked(),
                value: trimmed(f.value),
                issuer: trimmed(f.issuer),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle
            open_label="Add identifier"
            title="Add an identifier"
            submit_label="Save identifier"
            saved_text="Identifier added."
            on_open=Callback::new(move |_| f.fill(&Identifier::default()))
            changes=build
            save=move |ops| chart.save(ops)
        >
            {f.view(None)}
        </FormToggle>
    }
}

#[component]
fn EditIdentifier(chart: Chart, id: String) -> impl IntoView {
    let item = entry(chart.record, |r| &r.profile.identifiers, id);
    let f = IdentifierFields::new();
    let build = move || {
        f.check()?;
        let i = item.get_untracked();
        edit_of(Op::ChangeIdentifier {
            id: i.id.clone(),
            system: changed(f.system, &i.system),
            value: changed(f.value, &i.value),
            issuer: changed(f.issuer, &i.issuer),
        })
    };
    let name = move || item.with(identifier_line);
    view! {
        <EditToggle what=Signal::derive(name) saved_text="Identifier updated."
            on_open=Callback::new(move |_| f.fill(&item.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {move || f.view(Some(item.with(|i| i.system.clone())))}
        </EditToggle>
    }
}

/// A form's outcome or validation message (announced).
#[component]
pub fn FormMessage(msg: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="form-message" role="status" aria-live="polite">{move || msg.get().unwrap_or_default()}</p>
    }
}
