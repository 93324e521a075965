//! Care plan: needs → goals (measurable target, due date, status, progress) → actions (who, due,
//! status); preferences and priorities (narratives), barriers, revisions with a reason, and the
//! patient's agreement. Lists are keyed by item id, so saving one item never resets another form.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use tend_core::{
    ids::new_item_id,
    record::{
        ActionStatus, Agreement, Barrier, CareAction, ConsentMethod, Goal, GoalStatus, IsoDate,
        ListItem, NarrativeSection, Need, PlanRevision, ProgressEntry, Responsible, TextEdit,
    },
    NarrativeTarget, Op,
};

use super::{medical::ItemList, overview::FormMessage, today_iso, Chart};
use crate::components::fields::{enum_options, humanize, SelectField, TextField};
use crate::components::narrative::NarrativeEditor;
use crate::format;

#[component]
pub fn CarePlanSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let need_ids = move || {
        record.with(|r| {
            r.care_plan
                .needs
                .iter()
                .filter(|n| n.is_active())
                .map(|n| n.id.clone())
                .collect::<Vec<_>>()
        })
    };
    let (prefs, priorities) = record.with_untracked(|r| {
        (
            r.care_plan.preferences.0.clone(),
            r.care_plan.priorities.0.clone(),
        )
    });
    let chart_needs = chart.clone();
    view! {
        <section class="card" aria-labelledby="needs-title">
            <h2 id="needs-title">"Needs, goals and actions"</h2>
            <Show when=move || need_ids().is_empty()>
                <p class="muted">"No needs yet. Start by adding what the patient needs help with."</p>
            </Show>
            <For each=need_ids key=|id| id.clone() let:need_id>
                <NeedCard chart=chart_needs.clone() need_id=need_id />
            </For>
            <NeedForm chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="prefs-title">
            <h2 id="prefs-title">"What matters to the patient"</h2>
            <NarrativeEditor label="Preferences".to_string() initial=prefs rows=3
                on_edit=send_section(&chart, NarrativeSection::Preferences) />
            <NarrativeEditor label="Priorities".to_string() initial=priorities rows=3
                on_edit=send_section(&chart, NarrativeSection::Priorities) />
        </section>
        <div class="grid-2">
            <Barriers chart=chart.clone() />
            <Revisions chart=chart.clone() />
            <Agreements chart=chart.clone() />
        </div>
    }
}

/// Sends a narrative section's edits as `Op::EditNarrative`; a failed save is shown at the top of
/// the chart.
fn send_section(chart: &Chart, section: NarrativeSection) -> impl Fn(TextEdit) + 'static {
    let chart = chart.clone();
    move |edit| {
        let target = NarrativeTarget::Section {
            section: section.clone(),
        };
        let fut = chart.apply(Op::EditNarrative { target, edit });
        spawn_local(async move {
            let _ = fut.await;
        });
    }
}

#[component]
fn NeedCard(chart: Chart, need_id: String) -> impl IntoView {
    let record = chart.record;
    let nid = need_id.clone();
    let need = move || record.with(|r| r.care_plan.needs.iter().find(|n| n.id == nid).cloned());
    let title = {
        let need = need.clone();
        move || need().map(|n| n.description).unwrap_or_default()
    };
    let status = {
        let need = need.clone();
        move || {
            need()
                .map(|n| humanize(n.status.as_str()))
                .unwrap_or_default()
        }
    };
    let nid = need_id.clone();
    let goal_ids = move || {
        record.with(|r| {
            r.care_plan
                .goals
                .iter()
                .filter(|g| g.is_active() && g.need_id == nid)
                .map(|g| g.id.clone())
                .collect::<Vec<_>>()
        })
    };
    let heading_id = format!("need-{need_id}");
    let chart_goals = chart.clone();
    view! {
        <section class="need" aria-labelledby=heading_id.clone()>
            <h3 id=heading_id.clone()>"Need: " {title}</h3>
            <p class="muted">"Status: " {status}</p>
            <For each=goal_ids key=|id| id.clone() let:goal_id>
                <GoalCard chart=chart_goals.clone() goal_id=goal_id />
            </For>
            <GoalForm chart=chart.clone() need_id=need_id.clone() />
        </section>
    }
}

#[component]
fn GoalCard(chart: Chart, goal_id: String) -> impl IntoView {
    let record = chart.record;
    let gid = goal_id.clone();
    let goal = move || record.with(|r| r.care_plan.goals.iter().find(|g| g.id == gid).cloned());
    let g0 = goal().unwrap_or_default();
    let summary = {
        let goal = goal.clone();
        move || {
            goal()
                .map(|g| {
                    let mut s = String::new();
                    if !g.measure.is_empty() || !g.target.is_empty() {
                        s.push_str(&format!("Measure: {} · target {}", g.measure, g.target));
                    }
                    if let Some(d) = &g.due {
                        s.push_str(&format!(" · due {}", format::day(d.as_str())));
                    }
                    s
                })
                .unwrap_or_default()
        }
    };
    let progress = {
        let goal = goal.clone();
        move || {
            goal()
                .map(|g| {
                    g.progress
                        .iter()
                        .filter(|p| p.is_active())
                        .map(|p| {
                            let mut s = format!("{}: {}", format::day(p.date.as_str()), p.value);
                            if !p.note.is_empty() {
                                s.push_str(&format!(" — {}", p.note));
                            }
                            s
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let gid = goal_id.clone();
    let action_ids = move || {
        record.with(|r| {
            r.care_plan
                .actions
                .iter()
                .filter(|a| a.is_active() && a.goal_id == gid)
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
        })
    };
    let status = RwSignal::new(g0.status.as_str().to_string());
    let status_chart = chart.clone();
    let status_id = goal_id.clone();
    Effect::new(move |prev: Option<()>| {
        let value = status.get();
        if prev.is_some() {
            status_chart.run(
                Op::SetGoalStatus {
                    id: status_id.clone(),
                    status: GoalStatus::parse(&value),
                },
                || {},
            );
        }
    });
    let chart_actions = chart.clone();
    let heading_id = format!("goal-{goal_id}");
    view! {
        <article class="goal" aria-labelledby=heading_id.clone()>
            <h4 id=heading_id.clone()>"Goal: " {g0.description.clone()}</h4>
            <p>{summary}</p>
            <SelectField label="Goal status" value=status options=enum_options(GoalStatus::ALL, |s| s.as_str()) />
            <ItemList items=Signal::derive(progress) empty="No progress recorded yet." label="Progress" />
            <ProgressForm chart=chart.clone() goal_id=goal_id.clone() />
            <h5>"Actions"</h5>
            <ul class="actions" aria-label=format!("Actions for {}", g0.description)>
                <For each=action_ids key=|id| id.clone() let:action_id>
                    <ActionRow chart=chart_actions.clone() action_id=action_id />
                </For>
            </ul>
            <ActionForm chart=chart.clone() goal_id=goal_id.clone() />
        </article>
    }
}

#[component]
fn ActionRow(chart: Chart, action_id: String) -> impl IntoView {
    let a = chart
        .record
        .with_untracked(|r| {
            r.care_plan
                .actions
                .iter()
                .find(|a| a.id == action_id)
                .cloned()
        })
        .unwrap_or_default();
    let status = RwSignal::new(a.status.as_str().to_string());
    let id = action_id.clone();
    Effect::new(move |prev: Option<()>| {
        let value = status.get();
        if prev.is_some() {
            chart.run(
                Op::SetActionStatus {
                    id: id.clone(),
                    status: ActionStatus::parse(&value),
                },
                || {},
            );
        }
    });
    let detail = format!(
        "{} · {}{}",
        a.description,
        humanize(a.responsible.as_str()),
        a.due
            .as_ref()
            .map(|d| format!(" · due {}", format::day(d.as_str())))
            .unwrap_or_default()
    );
    view! {
        <li class="action-row">
            <span>{detail}</span>
            <SelectField label="Action status" value=status options=enum_options(ActionStatus::ALL, |s| s.as_str()) />
        </li>
    }
}

fn optional_date(raw: &str, what: &str) -> Result<Option<IsoDate>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        IsoDate::parse(raw)
            .map(Some)
            .ok_or_else(|| format!("Enter the {what} as a full date."))
    }
}

#[component]
fn NeedForm(chart: Chart) -> impl IntoView {
    let description = RwSignal::new(String::new());
    let domain = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let d = description.get_untracked().trim().to_string();
        if d.is_empty() {
            msg.set(Some("Describe the need.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddNeed {
                need: Need {
                    id: new_item_id(),
                    description: d,
                    domain: domain.get_untracked().trim().to_string(),
                    ..Default::default()
                },
            },
            move || {
                description.set(String::new());
                domain.set(String::new());
            },
        );
    };
    view! {
        <form class="form form-add" on:submit=submit aria-label="Add a need">
            <TextField label="Need" value=description />
            <TextField label="Area (e.g. medical, social)" value=domain />
            <button type="submit" class="button button-primary">"Add need"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn GoalForm(chart: Chart, need_id: String) -> impl IntoView {
    let description = RwSignal::new(String::new());
    let measure = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let d = description.get_untracked().trim().to_string();
        if d.is_empty() {
            msg.set(Some("Describe the goal.".into()));
            return;
        }
        let due_date = match optional_date(&due.get_untracked(), "due date") {
            Ok(v) => v,
            Err(e) => {
                msg.set(Some(e));
                return;
            }
        };
        msg.set(None);
        chart.run(
            Op::AddGoal {
                goal: Goal {
                    id: new_item_id(),
                    need_id: need_id.clone(),
                    description: d,
                    measure: measure.get_untracked().trim().to_string(),
                    target: target.get_untracked().trim().to_string(),
                    due: due_date,
                    status: GoalStatus::Active,
                    ..Default::default()
                },
            },
            move || {
                description.set(String::new());
                measure.set(String::new());
                target.set(String::new());
                due.set(String::new());
            },
        );
    };
    view! {
        <form class="form form-add" on:submit=submit aria-label="Add a goal">
            <TextField label="Goal" value=description />
            <TextField label="Measure" value=measure />
            <TextField label="Target" value=target />
            <TextField label="Goal due date" value=due kind="date" />
            <button type="submit" class="button">"Add goal"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn ActionForm(chart: Chart, goal_id: String) -> impl IntoView {
    let description = RwSignal::new(String::new());
    let responsible = RwSignal::new(Responsible::CareManager.as_str().to_string());
    let due = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let d = description.get_untracked().trim().to_string();
        if d.is_empty() {
            msg.set(Some("Describe the action.".into()));
            return;
        }
        let due_date = match optional_date(&due.get_untracked(), "due date") {
            Ok(v) => v,
            Err(e) => {
                msg.set(Some(e));
                return;
            }
        };
        msg.set(None);
        chart.run(
            Op::AddAction {
                action: CareAction {
                    id: new_item_id(),
                    goal_id: goal_id.clone(),
                    description: d,
                    responsible: Responsible::parse(&responsible.get_untracked()),
                    due: due_date,
                    ..Default::default()
                },
            },
            move || {
                description.set(String::new());
                due.set(String::new());
            },
        );
    };
    view! {
        <form class="form form-add" on:submit=submit aria-label="Add an action">
            <TextField label="Action" value=description />
            <SelectField label="Who" value=responsible options=enum_options(Responsible::ALL, |s| s.as_str()) />
            <TextField label="Action due date" value=due kind="date" />
            <button type="submit" class="button">"Add action"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn ProgressForm(chart: Chart, goal_id: String) -> impl IntoView {
    let value = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let date = RwSignal::new(today_iso().0);
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let v = value.get_untracked().trim().to_string();
        if v.is_empty() {
            msg.set(Some("Enter the progress measured.".into()));
            return;
        }
        let Some(d) = IsoDate::parse(&date.get_untracked()) else {
            msg.set(Some(
                "Enter the date of the progress as a full date.".into(),
            ));
            return;
        };
        msg.set(None);
        chart.run(
            Op::RecordProgress {
                goal_id: goal_id.clone(),
                entry: ProgressEntry {
                    id: new_item_id(),
                    date: d,
                    value: v,
                    note: note.get_untracked().trim().to_string(),
                    ..Default::default()
                },
            },
            move || {
                value.set(String::new());
                note.set(String::new());
            },
        );
    };
    view! {
        <form class="form form-add" on:submit=submit aria-label="Record progress">
            <TextField label="Progress measured" value=value />
            <TextField label="Progress note" value=note />
            <TextField label="Progress date" value=date kind="date" />
            <button type="submit" class="button">"Record progress"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn Barriers(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let items = move || {
        record.with(|r| {
            r.care_plan
                .barriers
                .iter()
                .filter(|b| b.is_active())
                .map(|b| b.description.clone())
                .collect::<Vec<_>>()
        })
    };
    let description = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let d = description.get_untracked().trim().to_string();
        if d.is_empty() {
            msg.set(Some("Describe the barrier.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::AddBarrier {
                barrier: Barrier {
                    id: new_item_id(),
                    description: d,
                    ..Default::default()
                },
            },
            move || description.set(String::new()),
        );
    };
    view! {
        <section class="card" aria-labelledby="barriers-title">
            <h2 id="barriers-title">"Barriers"</h2>
            <ItemList items=Signal::derive(items) empty="No barriers recorded." label="Barriers" />
            <form class="form" on:submit=submit>
                <TextField label="Barrier" value=description />
                <button type="submit" class="button">"Add barrier"</button>
                <FormMessage msg=msg />
            </form>
        </section>
    }
}

#[component]
fn Revisions(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let items = move || {
        record.with(|r| {
            r.care_plan
                .revisions
                .iter()
                .filter(|v| v.is_active())
                .map(|v| {
                    let mut s = format!("{}: {}", format::day(v.date.as_str()), v.reason);
                    if !v.summary.is_empty() {
                        s.push_str(&format!(" — {}", v.summary));
                    }
                    s
                })
                .collect::<Vec<_>>()
        })
    };
    let reason = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let r = reason.get_untracked().trim().to_string();
        if r.is_empty() {
            msg.set(Some("Give the reason for revising the plan.".into()));
            return;
        }
        msg.set(None);
        chart.run(
            Op::RevisePlan {
                revision: PlanRevision {
                    id: new_item_id(),
                    date: today_iso(),
                    reason: r,
                    summary: summary.get_untracked().trim().to_string(),
                    ..Default::default()
                },
            },
            move || {
                reason.set(String::new());
                summary.set(String::new());
                msg.set(Some("Revision recorded.".into()));
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="revisions-title">
            <h2 id="revisions-title">"Plan revisions"</h2>
            <ItemList items=Signal::derive(items) empty="The plan has not been revised." label="Revisions" />
            <form class="form" on:submit=submit>
                <TextField label="Reason for revision" value=reason />
                <TextField label="What changed" value=summary />
                <button type="submit" class="button">"Revise plan"</button>
                <FormMessage msg=msg />
            </form>
        </section>
    }
}

#[component]
fn Agreements(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let items = move || {
        record.with(|r| {
            r.care_plan
                .agreements
                .iter()
                .filter(|a| a.is_active())
                .map(|a| {
                    format!(
                        "{}: {} ({}{})",
                        format::day(a.date.as_str()),
                        if a.agreed {
                            "Patient agreed to the plan"
                        } else {
                            "Patient did not agree"
                        },
                        humanize(a.method.as_str()),
                        if a.agreed_by.is_empty() {
                            String::new()
                        } else {
                            format!(", {}", a.agreed_by)
                        }
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let method = RwSignal::new(ConsentMethod::Verbal.as_str().to_string());
    let agreed_by = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        msg.set(None);
        chart.run(
            Op::RecordAgreement {
                agreement: Agreement {
                    id: new_item_id(),
                    date: today_iso(),
                    agreed: true,
                    method: ConsentMethod::parse(&method.get_untracked()),
                    agreed_by: agreed_by.get_untracked().trim().to_string(),
                    ..Default::default()
                },
            },
            move || msg.set(Some("Agreement recorded.".into())),
        );
    };
    view! {
        <section class="card" aria-labelledby="agreement-title">
            <h2 id="agreement-title">"Patient agreement"</h2>
            <ItemList items=Signal::derive(items) empty="Agreement not recorded yet." label="Agreements" />
            <form class="form" on:submit=submit>
                <SelectField label="How the patient agreed" value=method options=enum_options(ConsentMethod::ALL, |s| s.as_str()) />
                <TextField label="Agreed by (patient or representative)" value=agreed_by />
                <button type="submit" class="button">"Record patient agreement"</button>
                <FormMessage msg=msg />
            </form>
        </section>
    }
}
