//! Who looks after this patient: the primary care manager, the care team, handovers (with the
//! note the receiver reads first) — and, for someone outside the care team, why the chart is
//! read-only and how to join it.

use leptos::{prelude::*, task::spawn_local};
use tend_core::{
    ids::new_item_id,
    record::{Handover, ListItem, TeamMember},
    Op,
};

use super::Chart;
use crate::components::fields::{role_label, role_options, SelectField, TextArea};
use crate::components::form::FormToggle;

/// The receiver's first view of a patient handed over to them: who, when, the note, "Got it".
#[component]
pub fn HandoverNotice(chart: Chart) -> impl IntoView {
    let me = chart.session.person_id();
    let record = chart.record;
    let pending = move || {
        record.with(|r| {
            r.profile
                .handovers
                .iter()
                .rev()
                .find(|h| h.is_active())
                .filter(|h| h.to_id == me && h.acknowledged.is_none() && !h.from_id.is_empty())
                .cloned()
        })
    };
    view! {
        {move || pending().map(|h| {
            let chart = chart.clone();
            let id = h.id.clone();
            let got_it = move |_| chart.run(Op::AcknowledgeHandover { id: id.clone() }, || {});
            view! {
                <section class="card handover-note" aria-labelledby="handover-title">
                    <h2 id="handover-title">"Handed over to you"</h2>
                    <p>{format!("From {} by {}, {}.", h.from_name, h.recorded.user_name, crate::format::date(h.recorded.at))}</p>
                    {(!h.note.is_empty()).then(|| view! { <blockquote class="note-text">{h.note.clone()}</blockquote> })}
                    <button class="button button-primary" on:click=got_it>"Got it"</button>
                </section>
            }
        })}
    }
}

/// One line under the chart header: care manager and team, with hand over / add / join.
#[component]
pub fn CareTeamBar(chart: Chart) -> impl IntoView {
    let session = chart.session.clone();
    let record = chart.record;
    let names = session.clone();
    let manager = move || {
        record.with(|r| {
            let id = &r.profile.care_manager;
            if id.is_empty() {
                "Not assigned".to_string()
            } else {
                match names.person_name(id) {
                    n if n.is_empty() => r
                        .profile
                        .handovers
                        .iter()
                        .rev()
                        .find(|h| &h.to_id == id)
                        .map(|h| h.to_name.clone())
                        .unwrap_or_else(|| "Someone not on this device's roster".into()),
                    n => n,
                }
            }
        })
    };
    let members = move || {
        record.with(|r| {
            r.profile
                .team
                .iter()
                .filter(|m| m.is_active())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let access = session.clone();
    let may_edit = Memo::new(move |_| {
        record.with(|r| access.may_edit(&r.profile.care_manager, &r.profile.care_team_ids()))
    });
    let leads = {
        let s = session.clone();
        Memo::new(move |_| s.leads_team())
    };

    // Hand over (team leads).
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let people = {
        let s = session.clone();
        move || {
            let mut o = vec![(String::new(), "Choose a person".to_string())];
            o.extend(s.people_choices(""));
            o
        }
    };
    let hand_people = StoredValue::new(people.clone());
    let lookup = session.clone();
    let handover_changes = move || {
        let to_id = to.get_untracked();
        let Some(person) = lookup.people().into_iter().find(|p| p.id == to_id) else {
            return Err("Choose whom to hand the patient over to.".to_string());
        };
        let (from_id, from_name) = record.with_untracked(|r| {
            let id = r.profile.care_manager.clone();
            (id.clone(), lookup.person_name(&id))
        });
        if from_id == person.id {
            return Err(format!("{} is already the care manager.", person.name));
        }
        Ok(vec![Op::HandOver {
            handover: Handover {
                id: new_item_id(),
                from_id,
                from_name,
                to_id: person.id,
                to_name: person.name,
                note: note.get_untracked().trim().to_string(),
                ..Default::default()
            },
        }])
    };
    let open_handover = move || {
        to.set(String::new());
        note.set(String::new());
    };

    // Add to the care team (anyone who may edit the chart).
    let member = RwSignal::new(String::new());
    let member_role = RwSignal::new(String::new());
    let add_people = StoredValue::new(people.clone());
    let member_lookup = session.clone();
    let member_changes = move || {
        let id = member.get_untracked();
        let Some(person) = member_lookup.people().into_iter().find(|p| p.id == id) else {
            return Err("Choose who joins the care team.".to_string());
        };
        let role = match member_role.get_untracked() {
            r if r.is_empty() => person.role.clone(),
            r => tend_core::record::PersonRole::parse(&r),
        };
        Ok(vec![Op::AddTeamMember {
            member: TeamMember {
                id: new_item_id(),
                person_id: person.id,
                person_name: person.name,
                role,
                ..Default::default()
            },
        }])
    };
    let open_member = move || {
        member.set(String::new());
        member_role.set(String::new());
    };
    let mut roles = vec![(String::new(), "Their role on the roster".to_string())];
    roles.extend(role_options());
    let roles = StoredValue::new(roles);

    let joining = chart.clone();
    let join_error = RwSignal::new(None::<String>);
    let join = move |_| {
        let chart = joining.clone();
        spawn_local(async move {
            let result = chart.session.join_care_team(&chart.open).await;
            if let Ok(r) = chart.open.borrow().doc.record() {
                chart.record.set(r);
            }
            join_error.set(result.err().map(|e| e.to_string()));
        });
    };
    let save_handover = chart.clone();
    let save_member = chart.clone();
    let history = move || {
        record.with(|r| {
            r.profile
                .handovers
                .iter()
                .filter(|h| h.is_active())
                .rev()
                .cloned()
                .collect::<Vec<_>>()
        })
    };

    view! {
        <section class="care-team" aria-label="Care team">
            <p>
                <strong>"Care manager: "</strong>{manager}
                {move || {
                    let m = members();
                    (!m.is_empty()).then(|| format!(" · Care team: {}", m.iter().map(|m| format!("{} ({})", m.person_name, role_label(&m.role))).collect::<Vec<_>>().join(", ")))
                }}
            </p>
            <Show when=move || !may_edit.get()>
                <div class="notice" role="note">
                    <p>"You can read this chart. Changes are made by the patient's care team; join it to make changes (the team sees that you did)."</p>
                    <button class="button" on:click=join.clone()>"Join the care team"</button>
                    {move || join_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
            </Show>
            <div class="toolbar">
                <Show when=move || leads.get()>
                    <FormToggle
                        open_label="Hand over"
                        title=Signal::derive(|| "Hand over this patient".to_string())
                        submit_label="Hand over"
                        saved_text="Handed over."
                        on_open=Callback::new(move |_| open_handover())
                        changes=handover_changes.clone()
                        save={let c = save_handover.clone(); move |ops| c.save(ops)}
                        quiet=true
                    >
                        <SelectField label="New care manager" value=to options=hand_people.with_value(|f| f()) />
                        <TextArea label="Handover note" value=note hint="What they should know first: risks, what is pending, who to call" />
                    </FormToggle>
                </Show>
                <Show when=move || may_edit.get()>
                    <FormToggle
                        open_label="Add team member"
                        title=Signal::derive(|| "Add a colleague to the care team".to_string())
                        submit_label="Add team member"
                        saved_text="Added to the care team."
                        on_open=Callback::new(move |_| open_member())
                        changes=member_changes.clone()
                        save={let c = save_member.clone(); move |ops| c.save(ops)}
                        quiet=true
                    >
                        <SelectField label="Person" value=member options=add_people.with_value(|f| f()) />
                        <SelectField label="Role on this team" value=member_role options=roles.get_value() />
                    </FormToggle>
                </Show>
            </div>
            <Show when=move || !history().is_empty()>
                <details>
                    <summary>{move || format!("Handover history ({})", history().len())}</summary>
                    <ul class="entries" aria-label="Handover history">
                        {move || history().into_iter().map(|h| {
                            let line = if h.from_id.is_empty() {
                                format!("{}: assigned to {} by {}", crate::format::date(h.recorded.at), h.to_name, h.recorded.user_name)
                            } else {
                                format!("{}: {} → {}, by {}", crate::format::date(h.recorded.at), h.from_name, h.to_name, h.recorded.user_name)
                            };
                            let ack = h.acknowledged.as_ref().map(|a| format!("Read by {} on {}", a.user_name, crate::format::date(a.at)));
                            view! {
                                <li>
                                    <span class="entry-main">{line}</span>
                                    {(!h.note.is_empty()).then(|| view! { <span class="entry-detail">{format!("Note: {}", h.note)}</span> })}
                                    {ack.map(|a| view! { <span class="entry-detail">{a}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            </Show>
        </section>
    }
}
