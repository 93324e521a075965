//! Contacts and care team: phones, informal caregivers, providers, and whether the patient lives
//! alone.

use leptos::{ev::SubmitEvent, prelude::*};
use tend_core::{
    ids::new_item_id,
    record::{Caregiver, ListItem, Phone, Provider, Retirement},
    ItemList as List, Op,
};

use super::entries::{Entries, Line};
use super::{overview::FormMessage, Chart};
use crate::components::fields::{CheckField, SelectField, TextField};

const PHONE_FIELDS: &[(&str, &str)] = &[("label", "Kind"), ("number", "Number")];
const CAREGIVER_FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("relationship", "Relationship"),
    ("phone", "Phone"),
    ("primary", "Primary caregiver"),
    ("may_share_info", "May receive health information"),
];
const PROVIDER_FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("role", "Role"),
    ("organization", "Organisation"),
    ("phone", "Phone"),
];

fn phone_line(p: &Phone) -> String {
    format!(
        "{}: {}",
        if p.label.is_empty() {
            "Phone"
        } else {
            &p.label
        },
        p.number
    )
}

fn caregiver_line(c: &Caregiver) -> String {
    let mut s = c.name.clone();
    if !c.relationship.is_empty() {
        s.push_str(&format!(" ({})", c.relationship));
    }
    if !c.phone.is_empty() {
        s.push_str(&format!(" — {}", c.phone));
    }
    if c.primary {
        s.push_str(" · primary caregiver");
    }
    if c.may_share_info {
        s.push_str(" · may receive health information");
    }
    s
}

fn provider_line(p: &Provider) -> String {
    [
        p.name.as_str(),
        p.role.as_str(),
        p.organization.as_str(),
        p.phone.as_str(),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// (active lines, removed lines) of one list, for [`Entries`].
fn split<T: ListItem>(
    items: &[T],
    line: fn(&T) -> String,
) -> (Vec<Line>, Vec<(String, Retirement)>) {
    let active = items
        .iter()
        .filter(|i| i.is_active())
        .map(|i| (i.id().to_string(), line(i)))
        .collect();
    let removed = items
        .iter()
        .filter_map(|i| i.retired().map(|r| (line(i), r.clone())))
        .collect();
    (active, removed)
}

#[component]
pub fn ContactsSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let phones = Memo::new(move |_| record.with(|r| split(&r.profile.phones, phone_line)));
    let caregivers =
        Memo::new(move |_| record.with(|r| split(&r.support.caregivers, caregiver_line)));
    let providers = Memo::new(move |_| record.with(|r| split(&r.medical.providers, provider_line)));
    view! {
        <div class="grid-2">
            <section class="card" aria-labelledby="phones-title">
                <h2 id="phones-title">"Patient's phones"</h2>
                <Entries chart=chart.clone() list=List::Phones label="Phones" empty="No phone numbers recorded." what="phones"
                    items=Signal::derive(move || phones.get().0) removed=Signal::derive(move || phones.get().1) fields=PHONE_FIELDS />
                <PhoneForm chart=chart.clone() />
            </section>
            <section class="card" aria-labelledby="caregivers-title">
                <h2 id="caregivers-title">"Caregivers and family"</h2>
                <Entries chart=chart.clone() list=List::Caregivers label="Caregivers" empty="No caregiver recorded." what="caregivers"
                    items=Signal::derive(move || caregivers.get().0) removed=Signal::derive(move || caregivers.get().1) fields=CAREGIVER_FIELDS />
                <LivesAloneForm chart=chart.clone() />
                <CaregiverForm chart=chart.clone() />
            </section>
            <section class="card" aria-labelledby="team-title">
                <h2 id="team-title">"Care team"</h2>
                <Entries chart=chart.clone() list=List::Providers label="Care team" empty="No providers recorded." what="providers"
                    items=Signal::derive(move || providers.get().0) removed=Signal::derive(move || providers.get().1) fields=PROVIDER_FIELDS />
                <ProviderForm chart=chart.clone() />
            </section>
        </div>
    }
}

#[component]
fn PhoneForm(chart: Chart) -> impl IntoView {
    let label = RwSignal::new("Mobile".to_string());
    let number = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let n = number.get_untracked().trim().to_string();
        if n.is_empty() {
            msg.set(Some("Enter the phone number.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddPhone {
                phone: Phone {
                    id: new_item_id(),
                    label: label.get_untracked().trim().to_string(),
                    number: n,
                    ..Default::default()
                },
            },
            move || number.set(String::new()),
        );
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Phone label" value=label />
            <TextField label="Phone number" value=number kind="tel" />
            <button type="submit" class="button">"Add phone"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn LivesAloneForm(chart: Chart) -> impl IntoView {
    let current = chart
        .record
        .with_untracked(|r| match r.support.lives_alone {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        });
    let value = RwSignal::new(current.to_string());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let lives_alone = match value.get_untracked().as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        chart.run(Op::SetLivesAlone { lives_alone }, move || {
            msg.set(Some("Saved.".into()))
        });
    };
    let options = vec![
        ("unknown".to_string(), "Not known".to_string()),
        ("yes".to_string(), "Lives alone".to_string()),
        ("no".to_string(), "Lives with others".to_string()),
    ];
    view! {
        <form class="form form-inline" on:submit=submit>
            <SelectField label="Living situation" value=value options=options />
            <button type="submit" class="button">"Save living situation"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn CaregiverForm(chart: Chart) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let relationship = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let primary = RwSignal::new(false);
    let share = RwSignal::new(false);
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            msg.set(Some("Enter the caregiver's name.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddCaregiver {
                caregiver: Caregiver {
                    id: new_item_id(),
                    name: n,
                    relationship: relationship.get_untracked().trim().to_string(),
                    phone: phone.get_untracked().trim().to_string(),
                    primary: primary.get_untracked(),
                    may_share_info: share.get_untracked(),
                    ..Default::default()
                },
            },
            move || {
                name.set(String::new());
                relationship.set(String::new());
                phone.set(String::new());
            },
        );
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Caregiver's name" value=name />
            <TextField label="Relationship" value=relationship />
            <TextField label="Caregiver's phone" value=phone kind="tel" />
            <CheckField label="Primary caregiver" value=primary />
            <CheckField label="Patient agrees to share health information" value=share />
            <button type="submit" class="button">"Add caregiver"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn ProviderForm(chart: Chart) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let organization = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            msg.set(Some("Enter the provider's name.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddProvider {
                provider: Provider {
                    id: new_item_id(),
                    name: n,
                    role: role.get_untracked().trim().to_string(),
                    organization: organization.get_untracked().trim().to_string(),
                    phone: phone.get_untracked().trim().to_string(),
                    ..Default::default()
                },
            },
            move || {
                name.set(String::new());
                role.set(String::new());
                organization.set(String::new());
                phone.set(String::new());
            },
        );
    };
    view! {
        <form class="form" on:submit=submit>
            <TextField label="Provider's name" value=name />
            <TextField label="Role (e.g. primary care)" value=role />
            <TextField label="Organization" value=organization />
            <TextField label="Provider's phone" value=phone kind="tel" />
            <button type="submit" class="button">"Add to care team"</button>
            <FormMessage msg=msg />
        </form>
    }
}
