//! The team (`/team`): the supervisor's dashboard — per person and for the whole team, each
//! number opening the patients behind it — and the roster: people, roles, credentials, their
//! devices, and handing a person's patients over to someone else. Built from caseload summaries
//! and the workspace document alone.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};
use tend_core::{
    ids::new_item_id,
    record::PersonRole,
    team::{dashboard, DashboardRow, Measure},
    workspace::{Person, PersonChanges, WorkspaceOp},
    DocError,
};

use crate::clock::today;
use crate::components::fields::{
    role_label, role_options, CheckField, SelectField, TextArea, TextField,
};
use crate::components::form::{trimmed, FormToggle};
use crate::pages::directory::saver;
use crate::session::{EditError, Session};

/// One count: a link to the patients behind it, named for the person and the measure ("Dev
/// Patel: High risk — 2 patients"), or a plain 0.
fn count(row: &DashboardRow, scope: &str, m: &Measure) -> AnyView {
    let n = m.patients.len();
    if n == 0 {
        return view! { <span class="zero">"0"</span> }.into_any();
    }
    let href = format!("/team?scope={scope}&measure={}", m.id);
    let label = format!(
        "{}: {} — {n} patient{}",
        row.name,
        m.label,
        if n == 1 { "" } else { "s" }
    );
    view! { <a href=href aria-label=label>{n}</a> }.into_any()
}

/// The dashboard table: one row per person (and the whole team), one column per measure; each
/// count links to `/team?scope=<row>&measure=<measure>`.
#[component]
pub fn DashboardTable(rows: Vec<DashboardRow>) -> impl IntoView {
    let Some(first) = rows.first() else {
        return view! { <p class="empty">"No patients yet."</p> }.into_any();
    };
    let headers = first
        .measures
        .iter()
        .map(|m| view! { <th scope="col">{m.label}</th> })
        .collect_view();
    let body = rows
        .iter()
        .map(|row| {
            let scope = row.scope.id().to_string();
            let cells = row
                .measures
                .iter()
                .map(|m| view! { <td data-label=m.label>{count(row, &scope, m)}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{row.name.clone()}</th>
                    {cells}
                    <td data-label="CCM/PCM minutes this month">{format!("{} min", row.ccm_pcm_minutes)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="dashboard-wrap" tabindex="0" role="region" aria-label="Team dashboard table">
            <table class="dashboard">
                <caption class="sr-only">"Caseload and open work per person, this month"</caption>
                <thead><tr><th scope="col">"Person"</th>{headers}<th scope="col">"CCM/PCM minutes this month"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let record = session.workspace_record;
    {
        let session = session.clone();
        leptos::task::spawn_local(async move {
            let _ = session.workspace().await;
        });
    }
    let leads = {
        let s = session.clone();
        Memo::new(move |_| s.leads_team())
    };
    let caseload = session.caseload;
    let me = session.clone();
    let rows = Memo::new(move |_| {
        let mut people = record.with(|r| r.as_ref().map(|r| r.people.clone()).unwrap_or_default());
        // On a device not in a workspace the roster is empty: this person's row still says
        // who they are (shown only; nothing is written).
        if let Some(identity) = me.identity.get() {
            people.entry(me.person_id()).or_insert_with(|| Person {
                id: me.person_id(),
                name: identity.name,
                role: identity.role,
                active: true,
                ..Default::default()
            });
        }
        caseload.with(|all| dashboard(all, &people, today()))
    });
    let query = use_query_map();
    let chosen = Memo::new(move |_| query.with(|q| Some((q.get("scope")?, q.get("measure")?))));
    let behind = move || {
        let (scope, measure) = chosen.get()?;
        rows.with(|rows| {
            let row = rows.iter().find(|r| r.scope.id() == scope)?;
            let m = row.measures.iter().find(|m| m.id == measure)?;
            // The rows were computed from this caseload (the memo re-runs when it changes).
            let patients: Vec<(String, String)> = caseload.with(|all| {
                m.patients
                    .iter()
                    .filter_map(|&i| all.get(i))
                    .map(|s| (s.id.clone(), s.display_name.clone()))
                    .collect()
            });
            Some((format!("{} — {}", row.name, m.label), patients))
        })
    };

    view! {
        <section class="page" aria-labelledby="team-title">
            <h1 id="team-title">"Team"</h1>
            <Show when=move || leads.get() fallback=|| view! {
                <p class="muted">"The team dashboard is for supervisors and administrators. Your patients are under Caseload → My patients."</p>
            }>
                <section class="card" aria-labelledby="dashboard-title">
                    <h2 id="dashboard-title">"Dashboard"</h2>
                    <p class="hint">"Primary caseloads as of today, from the summaries on this device. Choose a number to see the patients behind it."</p>
                    {move || view! { <DashboardTable rows=rows.get() /> }}
                    {move || behind().map(|(title, patients)| view! {
                        <section aria-labelledby="behind-title">
                            <h3 id="behind-title">{format!("{title}: {}", crate::format::count(patients.len(), "patient", "patients"))}</h3>
                            <ul class="patient-list" aria-label="Patients behind the number">
                                {patients.into_iter().map(|(id, name)| view! {
                                    <li><A href=format!("/patients/{id}")><span class="patient-name">{name}</span></A></li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                </section>
            </Show>
            <Roster />
        </section>
    }
}

#[derive(Clone, Copy)]
struct PersonFields {
    name: RwSignal<String>,
    role: RwSignal<String>,
    credentials: RwSignal<String>,
    active: RwSignal<bool>,
}

impl PersonFields {
    fn new() -> Self {
        PersonFields {
            name: RwSignal::new(String::new()),
            role: RwSignal::new(PersonRole::CareManager.as_str().to_string()),
            credentials: RwSignal::new(String::new()),
            active: RwSignal::new(true),
        }
    }

    fn fill(&self, p: &Person) {
        self.name.set(p.name.clone());
        self.role.set(p.role.as_str().to_string());
        self.credentials.set(p.credentials.clone());
        self.active.set(p.active);
    }
}

/// A bulk handover: these patients to that person, with one note.
#[derive(Clone)]
struct Handing {
    patients: Vec<String>,
    to: Person,
    note: String,
}

#[component]
fn Roster() -> impl IntoView {
    let session = expect_context::<Session>();
    let record = session.workspace_record;
    let leads = {
        let s = session.clone();
        Memo::new(move |_| s.leads_team())
    };
    let people = Memo::new(move |_| {
        record.with(|r| {
            let mut people: Vec<(Person, usize)> = r
                .as_ref()
                .map(|r| {
                    r.people
                        .values()
                        .map(|p| {
                            let devices =
                                r.devices.values().filter(|d| d.person_id == p.id).count();
                            (p.clone(), devices)
                        })
                        .collect()
                })
                .unwrap_or_default();
            people.sort_by(|a, b| {
                (!a.0.active, a.0.name.to_lowercase()).cmp(&(!b.0.active, b.0.name.to_lowercase()))
            });
            people
        })
    });
    let add = PersonFields::new();
    let add_changes = move || {
        let name = trimmed(add.name);
        if name.is_empty() {
            return Err("Enter the person's name.".to_string());
        }
        Ok(vec![WorkspaceOp::AddPerson {
            person: Person {
                id: new_item_id(),
                name,
                role: PersonRole::parse(&add.role.get_untracked()),
                credentials: trimmed(add.credentials),
                ..Default::default()
            },
        }])
    };
    let save = saver(session.clone());
    view! {
        <section class="card" aria-labelledby="roster-title">
            <h2 id="roster-title">"People"</h2>
            <p class="hint">"Everyone in this workspace. Each device belongs to one person: invite a device for someone under Settings → Sync between devices."</p>
            <Show when=move || leads.get()>
                <FormToggle
                    open_label="Add person"
                    title=Signal::derive(|| "Add a person to the team".to_string())
                    submit_label="Add person"
                    saved_text="Person added."
                    on_open=Callback::new(move |_| add.fill(&Person { role: PersonRole::CareManager, active: true, ..Default::default() }))
                    changes=add_changes
                    save=save.clone()
                >
                    <PersonForm fields=add with_active=false />
                </FormToggle>
            </Show>
            <ul class="people-list" aria-label="People">
                <For each=move || people.get() key=|(p, d)| (p.id.clone(), p.name.clone(), p.role.as_str().to_string(), p.credentials.clone(), p.active, *d) let:entry>
                    <PersonRow person=entry.0 devices=entry.1 leads=leads />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn PersonForm(fields: PersonFields, with_active: bool) -> impl IntoView {
    view! {
        <TextField label="Name" value=fields.name />
        <SelectField label="Role" value=fields.role options=role_options() />
        <TextField label="Credentials" value=fields.credentials hint="As they sign, e.g. RN, CCM or LCSW" />
        {with_active.then(|| view! { <CheckField label="Active (can be assigned patients)" value=fields.active /> })}
    }
}

#[component]
fn PersonRow(person: Person, devices: usize, leads: Memo<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let edit = PersonFields::new();
    let id = person.id.clone();
    let current = person.clone();
    let edit_changes = move || {
        let name = trimmed(edit.name);
        if name.is_empty() {
            return Err("Enter the person's name.".to_string());
        }
        let role = PersonRole::parse(&edit.role.get_untracked());
        let credentials = trimmed(edit.credentials);
        let active = edit.active.get_untracked();
        let changes = PersonChanges {
            name: (name != current.name).then_some(name),
            role: (role != current.role).then_some(role),
            credentials: (credentials != current.credentials).then_some(credentials),
            active: (active != current.active).then_some(active),
        };
        if changes == PersonChanges::default() {
            return Ok(Vec::new());
        }
        Ok(vec![WorkspaceOp::ChangePerson {
            id: id.clone(),
            changes,
        }])
    };
    let filler = person.clone();
    let save = saver(session.clone());

    // Hand over this person's patients (all chosen by default).
    let theirs = {
        let s = session.clone();
        let id = person.id.clone();
        move || {
            s.caseload.with(|all| {
                all.iter()
                    .filter(|p| p.care_manager == id)
                    .map(|p| (p.id.clone(), p.display_name.clone()))
                    .collect::<Vec<_>>()
            })
        }
    };
    let count = theirs.clone();
    let picked = RwSignal::new(Vec::<String>::new());
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let opening = theirs.clone();
    let lookup = session.clone();
    let hand_changes = move || {
        let chosen = picked.get_untracked();
        if chosen.is_empty() {
            return Err("Choose at least one patient.".to_string());
        }
        let to_id = to.get_untracked();
        let Some(person) = lookup.people().into_iter().find(|p| p.id == to_id) else {
            return Err("Choose whom to hand the patients over to.".to_string());
        };
        Ok(vec![Handing {
            patients: chosen,
            to: person,
            note: note.get_untracked().trim().to_string(),
        }])
    };
    let hand_save = {
        let s = session.clone();
        move |plans: Vec<Handing>| {
            let s = s.clone();
            async move {
                let mut problems = Vec::new();
                for plan in plans {
                    let (_, failed) = s.hand_over(&plan.patients, &plan.to, &plan.note).await;
                    problems.extend(failed);
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(EditError::Rejected(DocError::Invalid(problems.join("; "))))
                }
            }
        }
    };
    let mut receivers = vec![(String::new(), "Choose a person".to_string())];
    receivers.extend(session.people_choices(&person.id));
    let receivers = StoredValue::new(receivers);
    let pick_list = StoredValue::new(theirs);
    let name = person.name.clone();
    let status = if person.active { "" } else { " · inactive" };
    let detail = format!(
        "{}{} · {} device{}{status}",
        role_label(&person.role),
        if person.credentials.is_empty() {
            String::new()
        } else {
            format!(" · {}", person.credentials)
        },
        devices,
        if devices == 1 { "" } else { "s" },
    );
    let edit_name = format!("Edit {name}");
    let hand_name = format!("Hand over patients of {name}");
    view! {
        <li>
            <h3>{person.signed_name()}</h3>
            <p class="muted">{detail}</p>
            <p class="muted">{move || { let n = count().len(); format!("Care manager of {n} patient{} on this device", if n == 1 { "" } else { "s" }) }}</p>
            <Show when=move || leads.get()>
                <div class="toolbar">
                    <FormToggle
                        open_label="Edit"
                        open_name=Signal::derive({ let n = edit_name.clone(); move || n.clone() })
                        title=Signal::derive({ let n = edit_name.clone(); move || n.clone() })
                        submit_label="Save person"
                        saved_text="Person updated."
                        on_open=Callback::new({ let p = filler.clone(); move |_| edit.fill(&p) })
                        changes=edit_changes.clone()
                        save=save.clone()
                        quiet=true
                    >
                        <PersonForm fields=edit with_active=true />
                    </FormToggle>
                    <FormToggle
                        open_label="Hand over patients"
                        open_name=Signal::derive({ let n = hand_name.clone(); move || n.clone() })
                        title=Signal::derive({ let n = hand_name.clone(); move || n.clone() })
                        submit_label="Hand over"
                        saved_text="Handed over."
                        on_open=Callback::new({ let o = opening.clone(); move |_| {
                            picked.set(o().into_iter().map(|(id, _)| id).collect());
                            to.set(String::new());
                            note.set(String::new());
                        } })
                        changes=hand_changes.clone()
                        save=hand_save.clone()
                        quiet=true
                    >
                        <fieldset class="checks">
                            <legend>"Patients"</legend>
                            {pick_list.with_value(|f| f()).into_iter().map(|(id, pname)| {
                                let for_check = id.clone();
                                let checked = move || picked.with(|p| p.contains(&for_check));
                                let toggle = move |_| picked.update(|p| {
                                    if let Some(i) = p.iter().position(|x| *x == id) { p.remove(i); } else { p.push(id.clone()); }
                                });
                                view! { <label class="check"><input type="checkbox" prop:checked=checked on:change=toggle />{pname}</label> }
                            }).collect_view()}
                        </fieldset>
                        <SelectField label="New care manager" value=to options=receivers.get_value() />
                        <TextArea label="Handover note" value=note hint="What they should know first: risks, what is pending, who to call" />
                    </FormToggle>
                </div>
            </Show>
        </li>
    }
}
