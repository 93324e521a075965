//! Conditions, medications and allergies: lists from the record, and forms that add to them.

use leptos::{ev::SubmitEvent, prelude::*};
use tend_core::{
    ids::new_item_id,
    record::{Allergy, AllergySeverity, Condition, ListItem, Medication},
    Op,
};

use super::{overview::FormMessage, Chart};
use crate::components::fields::{enum_options, humanize, CheckField, SelectField, TextField};

#[component]
pub fn MedicalSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let conditions = move || {
        record.with(|r| {
            r.medical
                .conditions
                .iter()
                .filter(|c| c.is_active())
                .map(|c| {
                    let mut s = c.text.clone();
                    if !c.code.is_empty() {
                        s.push_str(&format!(" ({})", c.code));
                    }
                    s.push_str(&format!(" — {}", humanize(c.status.as_str())));
                    if c.chronic {
                        s.push_str(", chronic");
                    }
                    s
                })
                .collect::<Vec<_>>()
        })
    };
    let medications = move || {
        record.with(|r| {
            r.medical
                .medications
                .iter()
                .filter(|m| m.is_active())
                .map(|m| {
                    format!(
                        "{} {} {} — {}",
                        m.name,
                        m.dose,
                        m.frequency,
                        humanize(m.status.as_str())
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let allergies = move || {
        record.with(|r| {
            r.medical
                .allergies
                .iter()
                .filter(|a| a.is_active())
                .map(|a| {
                    format!(
                        "{}{} — {}",
                        a.substance,
                        if a.reaction.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", a.reaction)
                        },
                        humanize(a.severity.as_str())
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="grid-2">
            <section class="card" aria-labelledby="cond-title">
                <h2 id="cond-title">"Conditions"</h2>
                <ItemList items=Signal::derive(conditions) empty="No conditions recorded." label="Conditions" />
                <ConditionForm chart=chart.clone() />
            </section>
            <section class="card" aria-labelledby="med-title">
                <h2 id="med-title">"Medications"</h2>
                <ItemList items=Signal::derive(medications) empty="No medications recorded." label="Medications" />
                <MedicationForm chart=chart.clone() />
            </section>
            <section class="card" aria-labelledby="allergy-title">
                <h2 id="allergy-title">"Allergies"</h2>
                <ItemList items=Signal::derive(allergies) empty="No allergies recorded." label="Allergies" />
                <AllergyForm chart=chart.clone() />
            </section>
        </div>
    }
}

/// A plain list of lines, or a muted sentence when there are none.
#[component]
pub fn ItemList(
    items: Signal<Vec<String>>,
    empty: &'static str,
    label: &'static str,
) -> impl IntoView {
    move || {
        let items = items.get();
        if items.is_empty() {
            view! { <p class="muted">{empty}</p> }.into_any()
        } else {
            view! {
                <ul class="item-list" aria-label=label>
                    {items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
                </ul>
            }
            .into_any()
        }
    }
}

#[component]
fn ConditionForm(chart: Chart) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let chronic = RwSignal::new(true);
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let t = text.get_untracked().trim().to_string();
        if t.is_empty() {
            msg.set(Some("Enter the condition.".into()));
            return;
        }
        msg.set(None);
        let c = code.get_untracked().trim().to_uppercase();
        chart.run(
            Op::AddCondition {
                condition: Condition {
                    id: new_item_id(),
                    code_system: if c.is_empty() {
                        String::new()
                    } else {
                        "icd10cm".into()
                    },
                    code: c,
                    text: t,
                    chronic: chronic.get_untracked(),
                    ..Default::default()
                },
            },
            move || {
                text.set(String::new());
                code.set(String::new());
            },
        );
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Condition" value=text />
            <TextField label="ICD-10 code (optional)" value=code />
            <CheckField label="Chronic" value=chronic />
            <button type="submit" class="button">"Add condition"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn MedicationForm(chart: Chart) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let dose = RwSignal::new(String::new());
    let frequency = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            msg.set(Some("Enter the medication name.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddMedication {
                medication: Medication {
                    id: new_item_id(),
                    name: n,
                    dose: dose.get_untracked().trim().to_string(),
                    frequency: frequency.get_untracked().trim().to_string(),
                    ..Default::default()
                },
            },
            move || {
                name.set(String::new());
                dose.set(String::new());
                frequency.set(String::new());
            },
        );
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Medication" value=name />
            <TextField label="Dose" value=dose />
            <TextField label="How often" value=frequency />
            <button type="submit" class="button">"Add medication"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn AllergyForm(chart: Chart) -> impl IntoView {
    let substance = RwSignal::new(String::new());
    let reaction = RwSignal::new(String::new());
    let severity = RwSignal::new("unknown".to_string());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let s = substance.get_untracked().trim().to_string();
        if s.is_empty() {
            msg.set(Some("Enter what the patient is allergic to.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddAllergy {
                allergy: Allergy {
                    id: new_item_id(),
                    substance: s,
                    reaction: reaction.get_untracked().trim().to_string(),
                    severity: AllergySeverity::parse(&severity.get_untracked()),
                    ..Default::default()
                },
            },
            move || {
                substance.set(String::new());
                reaction.set(String::new());
            },
        );
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Allergic to" value=substance />
            <TextField label="Reaction" value=reaction />
            <SelectField label="Severity" value=severity options=enum_options(AllergySeverity::ALL, |s| s.as_str()) />
            <button type="submit" class="button">"Add allergy"</button>
            <FormMessage msg=msg />
        </form>
    }
}
