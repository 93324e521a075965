//! Contacts and care team: phones, informal caregivers, providers, and whether the patient lives
//! alone.

use leptos::{ev::SubmitEvent, prelude::*};
use tend_core::{
    ids::new_item_id,
    record::{Caregiver, ListItem, Phone, Provider, Retirement},
    ItemList as List, Op,
};

use super::entries::{entry, Entries, Line};
use super::{overview::FormMessage, Chart};
use crate::components::fields::{CheckField, SelectField, TextField};
use crate::components::form::{changed, edit_of, trimmed, EditToggle, FormToggle};

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
                    items=Signal::derive(move || phones.get().0) removed=Signal::derive(move || phones.get().1) fields=PHONE_FIELDS
                    edit=|chart, id| view! { <EditPhone chart=chart id=id /> }.into_any() />
                <AddPhone chart=chart.clone() />
            </section>
            <section class="card" aria-labelledby="caregivers-title">
                <h2 id="caregivers-title">"Caregivers and family"</h2>
                <Entries chart=chart.clone() list=List::Caregivers label="Caregivers" empty="No caregiver recorded." what="caregivers"
                    items=Signal::derive(move || caregivers.get().0) removed=Signal::derive(move || caregivers.get().1) fields=CAREGIVER_FIELDS
                    edit=|chart, id| view! { <EditCaregiver chart=chart id=id /> }.into_any() />
                <AddCaregiver chart=chart.clone() />
                <LivesAloneForm chart=chart.clone() />
            </section>
            <section class="card" aria-labelledby="team-title">
                <h2 id="team-title">"Care team"</h2>
                <Entries chart=chart.clone() list=List::Providers label="Care team" empty="No providers recorded." what="providers"
                    items=Signal::derive(move || providers.get().0) removed=Signal::derive(move || providers.get().1) fields=PROVIDER_FIELDS
                    edit=|chart, id| view! { <EditProvider chart=chart id=id /> }.into_any() />
                <AddProvider chart=chart.clone() />
            </section>
        </div>
    }
}

/// The fields of a phone, for adding and editing.
#[derive(Clone, Copy)]
struct PhoneFields {
    label: RwSignal<String>,
    number: RwSignal<String>,
}

impl PhoneFields {
    fn new() -> Self {
        Self {
            label: RwSignal::new(String::new()),
            number: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, p: &Phone) {
        self.label.set(p.label.clone());
        self.number.set(p.number.clone());
    }

    fn check(&self) -> Result<(), String> {
        if trimmed(self.number).is_empty() {
            return Err("Enter the phone number.".into());
        }
        Ok(())
    }

    fn view(self) -> impl IntoView {
        view! {
            <TextField label="Phone label" value=self.label hint="e.g. mobile, home, daughter's" />
            <TextField label="Phone number" value=self.number kind="tel" />
        }
    }
}

#[component]
fn AddPhone(chart: Chart) -> impl IntoView {
    let f = PhoneFields::new();
    let reset = move |_| {
        f.fill(&Phone {
            label: "Mobile".into(),
            ..Default::default()
        })
    };
    let build = move || {
        f.check()?;
        Ok(vec![Op::AddPhone {
            phone: Phone {
                id: new_item_id(),
                label: trimmed(f.label),
                number: trimmed(f.number),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add phone" title="Add a phone number" submit_label="Save phone"
            saved_text="Phone added." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </FormToggle>
    }
}

#[component]
fn EditPhone(chart: Chart, id: String) -> impl IntoView {
    let item = entry(chart.record, |r| &r.profile.phones, id);
    let f = PhoneFields::new();
    let build = move || {
        f.check()?;
        let p = item.get_untracked();
        edit_of(Op::ChangePhone {
            id: p.id.clone(),
            label: changed(f.label, &p.label),
            number: changed(f.number, &p.number),
            primary: None,
        })
    };
    let name = move || item.with(phone_line);
    view! {
        <EditToggle what=Signal::derive(name) saved_text="Phone updated."
            on_open=Callback::new(move |_| f.fill(&item.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </EditToggle>
    }
}

/// The fields of a caregiver, for adding and editing.
#[derive(Clone, Copy)]
struct CaregiverFields {
    name: RwSignal<String>,
    relationship: RwSignal<String>,
    phone: RwSignal<String>,
    primary: RwSignal<bool>,
    share: RwSignal<bool>,
}

impl CaregiverFields {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            relationship: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            primary: RwSignal::new(false),
            share: RwSignal::new(false),
        }
    }

    fn fill(&self, c: &Caregiver) {
        self.name.set(c.name.clone());
        self.relationship.set(c.relationship.clone());
        self.phone.set(c.phone.clone());
        self.primary.set(c.primary);
        self.share.set(c.may_share_info);
    }

    fn check(&self) -> Result<(), String> {
        if trimmed(self.name).is_empty() {
            return Err("Enter the caregiver's name.".into());
        }
        Ok(())
    }

    fn view(self) -> impl IntoView {
        view! {
            <TextField label="Caregiver's name" value=self.name />
            <TextField label="Relationship" value=self.relationship />
            <TextField label="Caregiver's phone" value=self.phone kind="tel" />
            <CheckField label="Primary caregiver" value=self.primary />
            <CheckField label="Patient agrees to share health information" value=self.share />
        }
    }
}

/// `Some(new)` when a checkbox differs from the record.
fn changed_flag(value: RwSignal<bool>, current: bool) -> Option<bool> {
    let new = value.get_untracked();
    (new != current).then_some(new)
}

#[component]
fn AddCaregiver(chart: Chart) -> impl IntoView {
    let f = CaregiverFields::new();
    let build = move || {
        f.check()?;
        Ok(vec![Op::AddCaregiver {
            caregiver: Caregiver {
                id: new_item_id(),
                name: trimmed(f.name),
                relationship: trimmed(f.relationship),
                phone: trimmed(f.phone),
                primary: f.primary.get_untracked(),
                may_share_info: f.share.get_untracked(),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add caregiver" title="Add a caregiver" submit_label="Save caregiver"
            saved_text="Caregiver added." on_open=Callback::new(move |_| f.fill(&Caregiver::default()))
            changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </FormToggle>
    }
}

#[component]
fn EditCaregiver(chart: Chart, id: String) -> impl IntoView {
    let item = entry(chart.record, |r| &r.support.caregivers, id);
    let f = CaregiverFields::new();
    let build = move || {
        f.check()?;
        let c = item.get_untracked();
        edit_of(Op::ChangeCaregiver {
            id: c.id.clone(),
            name: changed(f.name, &c.name),
            relationship: changed(f.relationship, &c.relationship),
            phone: changed(f.phone, &c.phone),
            primary: changed_flag(f.primary, c.primary),
            may_share_info: changed_flag(f.share, c.may_share_info),
        })
    };
    let name = move || item.with(|c| c.name.clone());
    view! {
        <EditToggle what=Signal::derive(name) saved_text="Caregiver updated."
            on_open=Callback::new(move |_| f.fill(&item.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </EditToggle>
    }
}

/// The fields of a provider, for adding and editing.
#[derive(Clone, Copy)]
struct ProviderFields {
    name: RwSignal<String>,
    role: RwSignal<String>,
    organization: RwSignal<String>,
    phone: RwSignal<String>,
}

impl ProviderFields {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            role: RwSignal::new(String::new()),
            organization: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, p: &Provider) {
        self.name.set(p.name.clone());
        self.role.set(p.role.clone());
        self.organization.set(p.organization.clone());
        self.phone.set(p.phone.clone());
    }

    fn check(&self) -> Result<(), String> {
        if trimmed(self.name).is_empty() {
            return Err("Enter the provider's name.".into());
        }
        Ok(())
    }

    fn view(self) -> impl IntoView {
        view! {
            <TextField label="Provider's name" value=self.name />
            <TextField label="Role (e.g. primary care)" value=self.role />
            <TextField label="Organization" value=self.organization />
            <TextField label="Provider's phone" value=self.phone kind="tel" />
        }
    }
}

#[component]
fn AddProvider(chart: Chart) -> impl IntoView {
    let f = ProviderFields::new();
    let build = move || {
        f.check()?;
        Ok(vec![Op::AddProvider {
            provider: Provider {
                id: new_item_id(),
                name: trimmed(f.name),
                role: trimmed(f.role),
                organization: trimmed(f.organization),
                phone: trimmed(f.phone),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add to care team" title="Add a provider to the care team" submit_label="Save provider"
            saved_text="Provider added." on_open=Callback::new(move |_| f.fill(&Provider::default()))
            changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </FormToggle>
    }
}

#[component]
fn EditProvider(chart: Chart, id: String) -> impl IntoView {
    let item = entry(chart.record, |r| &r.medical.providers, id);
    let f = ProviderFields::new();
    let build = move || {
        f.check()?;
        let p = item.get_untracked();
        edit_of(Op::ChangeProvider {
            id: p.id.clone(),
            name: changed(f.name, &p.name),
            role: changed(f.role, &p.role),
            organization: changed(f.organization, &p.organization),
            phone: changed(f.phone, &p.phone),
        })
    };
    let name = move || item.with(|p| p.name.clone());
    view! {
        <EditToggle what=Signal::derive(name) saved_text="Provider updated."
            on_open=Callback::new(move |_| f.fill(&item.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </EditToggle>
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
