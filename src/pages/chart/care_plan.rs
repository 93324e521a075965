//! Care plan: needs → goals (measurable target, due date, status, progress) → actions (who, due,
//! status); preferences and priorities (narratives), barriers, revisions with a reason, and the
//! patient's agreement. Content first: every add and edit form opens on demand (the chart's form
//! pattern), and every need, goal and action can be edited, removed and its history read.

use leptos::{prelude::*, task::spawn_local};
use tend_core::{
    ids::new_item_id,
    record::{
        ActionStatus, Agreement, Barrier, CareAction, ConsentMethod, Goal, GoalStatus, IsoDate,
        ListItem, NarrativeSection, Need, NeedStatus, PlanRevision, ProgressEntry, Responsible,
        TextEdit,
    },
    ItemList as List, NarrativeTarget, Op,
};

use super::entries::{active_lines, entry, removed_lines, Entries};
use super::history::HistoryToggle;
use super::retire::{RemoveForm, RemovedItems};
use super::review::AlsoSet;
use super::{medical::ItemList, today_iso, Chart};
use crate::components::fields::{enum_options, humanize, SelectField, TextField};
use crate::components::form::{
    changed, changed_date, edit_of, optional_date, trimmed, Built, EditToggle, FormToggle,
};
use crate::components::narrative::NarrativeEditor;
use crate::format;

const NEED_FIELDS: &[(&str, &str)] = &[
    ("description", "Need"),
    ("domain", "Area"),
    ("status", "Status"),
];
const GOAL_FIELDS: &[(&str, &str)] = &[
    ("description", "Goal"),
    ("measure", "Measure"),
    ("target", "Target"),
    ("due", "Due"),
    ("status", "Status"),
];
const ACTION_FIELDS: &[(&str, &str)] = &[
    ("description", "Action"),
    ("responsible", "Who"),
    ("due", "Due"),
    ("status", "Status"),
];

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
    let removed = Signal::derive(move || {
        record.with(|r| {
            let needs = r.care_plan.needs.iter().filter_map(|n| {
                n.retired()
                    .map(|ret| (format!("Need: {}", n.description), ret.clone()))
            });
            let goals = r.care_plan.goals.iter().filter_map(|g| {
                g.retired()
                    .map(|ret| (format!("Goal: {}", g.description), ret.clone()))
            });
            let actions = r.care_plan.actions.iter().filter_map(|a| {
                a.retired()
                    .map(|ret| (format!("Action: {}", a.description), ret.clone()))
            });
            needs.chain(goals).chain(actions).collect::<Vec<_>>()
        })
    });
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
            <AddNeed chart=chart.clone() />
            <RemovedItems items=removed what="needs, goals and actions" />
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

/// "Status: Active · due 2 Mar 2026" parts joined.
fn joined(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

fn due_text(due: &Option<IsoDate>) -> String {
    due.as_ref()
        .map(|d| format!("due {}", format::day(d.as_str())))
        .unwrap_or_default()
}

/// An entry's Edit (given), Remove and History, in one row.
#[component]
fn EntryActions(
    chart: Chart,
    list: List,
    id: String,
    name: Signal<String>,
    fields: &'static [(&'static str, &'static str)],
    children: Children,
) -> impl IntoView {
    let base = format!("{}/{id}", list.path().join("/"));
    view! {
        <div class="entry-actions">
            {children()}
            <RemoveForm chart=chart.clone() list=list id=id.clone() name=name />
            <HistoryToggle chart=chart.clone() base=base.clone() fields=fields name=name />
        </div>
        <AlsoSet chart=chart base=base fields=fields />
    }
}

#[component]
fn NeedCard(chart: Chart, need_id: String) -> impl IntoView {
    let record = chart.record;
    let need = entry(record, |r| &r.care_plan.needs, need_id.clone());
    let title = Signal::derive(move || need.with(|n| n.description.clone()));
    let facts = move || {
        need.with(|n| {
            joined(vec![
                n.domain.clone(),
                format!("Status: {}", humanize(n.status.as_str())),
            ])
        })
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
    let (chart_goals, chart_edit) = (chart.clone(), chart.clone());
    view! {
        <section class="need" aria-labelledby=heading_id.clone()>
            <h3 id=heading_id.clone()>"Need: " {title}</h3>
            <p class="muted">{facts}</p>
            <EntryActions chart=chart.clone() list=List::Needs id=need_id.clone() name=Signal::derive(move || format!("need {}", title.get())) fields=NEED_FIELDS>
                <EditNeed chart=chart_edit need=need />
            </EntryActions>
            <super::coordination::NeedReferrals record=record need_id=need_id.clone() />
            <super::coordination::Refer chart=chart.clone() need_id=need_id.clone() />
            <For each=goal_ids key=|id| id.clone() let:goal_id>
                <GoalCard chart=chart_goals.clone() goal_id=goal_id />
            </For>
            <AddGoal chart=chart.clone() need_id=need_id.clone() need=title />
        </section>
    }
}

/// A need's fields, for adding and editing.
#[derive(Clone, Copy)]
struct NeedFields {
    description: RwSignal<String>,
    domain: RwSignal<String>,
    status: RwSignal<String>,
}

impl NeedFields {
    fn new() -> Self {
        Self {
            description: RwSignal::new(String::new()),
            domain: RwSignal::new(String::new()),
            status: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, n: &Need) {
        self.description.set(n.description.clone());
        self.domain.set(n.domain.clone());
        self.status.set(n.status.as_str().to_string());
    }

    fn check(&self) -> Result<(), String> {
        if trimmed(self.description).is_empty() {
            return Err("Describe the need.".into());
        }
        Ok(())
    }
}

#[component]
fn AddNeed(chart: Chart) -> impl IntoView {
    let f = NeedFields::new();
    let build = move || {
        f.check()?;
        Ok(vec![Op::AddNeed {
            need: Need {
                id: new_item_id(),
                description: trimmed(f.description),
                domain: trimmed(f.domain),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add need" title="Add a need" submit_label="Save need" saved_text="Need added."
            on_open=Callback::new(move |_| f.fill(&Need::default())) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Need" value=f.description />
            <TextField label="Area (e.g. medical, social)" value=f.domain />
        </FormToggle>
    }
}

/// The ops of an edit form: the item's `Change…` op (when a field changed) and its status op
/// (when the status changed), saved as one change.
fn with_status(change: Op, status: Option<Op>) -> Built {
    let mut ops = edit_of(change)?;
    ops.extend(status);
    Ok(ops)
}

#[component]
fn EditNeed(chart: Chart, need: Memo<Need>) -> impl IntoView {
    let f = NeedFields::new();
    let build = move || {
        f.check()?;
        let n = need.get_untracked();
        let status = NeedStatus::parse(&f.status.get_untracked());
        with_status(
            Op::ChangeNeed {
                id: n.id.clone(),
                description: changed(f.description, &n.description),
                domain: changed(f.domain, &n.domain),
            },
            (status != n.status).then(|| Op::SetNeedStatus {
                id: n.id.clone(),
                status,
            }),
        )
    };
    let name = move || need.with(|n| n.description.clone());
    view! {
        <EditToggle what=Signal::derive(move || format!("need {}", name())) saved_text="Need updated."
            on_open=Callback::new(move |_| f.fill(&need.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Need" value=f.description />
            <TextField label="Area (e.g. medical, social)" value=f.domain />
            <SelectField label="Need status" value=f.status options=enum_options(NeedStatus::ALL, |s| s.as_str()) />
        </EditToggle>
    }
}

#[component]
fn GoalCard(chart: Chart, goal_id: String) -> impl IntoView {
    let record = chart.record;
    let goal = entry(record, |r| &r.care_plan.goals, goal_id.clone());
    let title = Signal::derive(move || goal.with(|g| g.description.clone()));
    let summary = move || {
        goal.with(|g| {
            let measure = match (g.measure.is_empty(), g.target.is_empty()) {
                (true, true) => String::new(),
                (false, true) => format!("Measure: {}", g.measure),
                (true, false) => format!("Target: {}", g.target),
                (false, false) => format!("Measure: {} · target {}", g.measure, g.target),
            };
            joined(vec![
                measure,
                due_text(&g.due),
                format!("Status: {}", humanize(g.status.as_str())),
            ])
        })
    };
    let progress = move || {
        goal.with(|g| {
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
    let action_ids = Memo::new(move |_| action_ids());
    let (chart_actions, chart_edit) = (chart.clone(), chart.clone());
    let heading_id = format!("goal-{goal_id}");
    view! {
        <article class="goal" aria-labelledby=heading_id.clone()>
            <h4 id=heading_id.clone()>"Goal: " {title}</h4>
            <p>{summary}</p>
            <EntryActions chart=chart.clone() list=List::Goals id=goal_id.clone() name=Signal::derive(move || format!("goal {}", title.get())) fields=GOAL_FIELDS>
                <EditGoal chart=chart_edit goal=goal />
            </EntryActions>
            <ItemList items=Signal::derive(progress) empty="No progress recorded yet." label="Progress" />
            <RecordProgress chart=chart.clone() goal_id=goal_id.clone() goal=title />
            <h5>"Actions"</h5>
            <Show when=move || action_ids.with(Vec::is_empty)>
                <p class="muted">"No actions yet."</p>
            </Show>
            <ul class="entries" aria-label=move || format!("Actions for {}", title.get())>
                <For each=move || action_ids.get() key=|id| id.clone() let:action_id>
                    <ActionRow chart=chart_actions.clone() action_id=action_id />
                </For>
            </ul>
            <AddAction chart=chart.clone() goal_id=goal_id.clone() goal=title />
        </article>
    }
}

/// A goal's fields, for adding and editing.
#[derive(Clone, Copy)]
struct GoalFields {
    description: RwSignal<String>,
    measure: RwSignal<String>,
    target: RwSignal<String>,
    due: RwSignal<String>,
    status: RwSignal<String>,
}

impl GoalFields {
    fn new() -> Self {
        Self {
            description: RwSignal::new(String::new()),
            measure: RwSignal::new(String::new()),
            target: RwSignal::new(String::new()),
            due: RwSignal::new(String::new()),
            status: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, g: &Goal) {
        self.description.set(g.description.clone());
        self.measure.set(g.measure.clone());
        self.target.set(g.target.clone());
        self.due
            .set(g.due.as_ref().map(|d| d.0.clone()).unwrap_or_default());
        self.status.set(g.status.as_str().to_string());
    }

    fn check(&self) -> Result<Option<IsoDate>, String> {
        if trimmed(self.description).is_empty() {
            return Err("Describe the goal.".into());
        }
        optional_date(self.due, "due date")
    }

    fn view(self) -> impl IntoView {
        view! {
            <TextField label="Goal" value=self.description />
            <TextField label="Measure" value=self.measure hint="e.g. systolic blood pressure" />
            <TextField label="Target" value=self.target hint="e.g. below 140" />
            <TextField label="Goal due date" value=self.due kind="date" />
        }
    }
}

#[component]
fn AddGoal(chart: Chart, need_id: String, need: Signal<String>) -> impl IntoView {
    let f = GoalFields::new();
    let build = move || {
        let due = f.check()?;
        Ok(vec![Op::AddGoal {
            goal: Goal {
                id: new_item_id(),
                need_id: need_id.clone(),
                description: trimmed(f.description),
                measure: trimmed(f.measure),
                target: trimmed(f.target),
                due,
                status: GoalStatus::Active,
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add goal" open_name=Signal::derive(move || format!("Add goal for {}", need.get()))
            title=Signal::derive(move || format!("Add a goal for {}", need.get())) submit_label="Save goal" saved_text="Goal added."
            on_open=Callback::new(move |_| f.fill(&Goal::default())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </FormToggle>
    }
}

#[component]
fn EditGoal(chart: Chart, goal: Memo<Goal>) -> impl IntoView {
    let f = GoalFields::new();
    let build = move || {
        f.check()?;
        let g = goal.get_untracked();
        let status = GoalStatus::parse(&f.status.get_untracked());
        with_status(
            Op::ChangeGoal {
                id: g.id.clone(),
                description: changed(f.description, &g.description),
                measure: changed(f.measure, &g.measure),
                target: changed(f.target, &g.target),
                due: changed_date(f.due, g.due.as_ref(), "due date")?,
            },
            (status != g.status).then(|| Op::SetGoalStatus {
                id: g.id.clone(),
                status,
            }),
        )
    };
    let name = move || goal.with(|g| g.description.clone());
    view! {
        <EditToggle what=Signal::derive(move || format!("goal {}", name())) saved_text="Goal updated."
            on_open=Callback::new(move |_| f.fill(&goal.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
            <SelectField label="Goal status" value=f.status options=enum_options(GoalStatus::ALL, |s| s.as_str()) />
        </EditToggle>
    }
}

#[component]
fn ActionRow(chart: Chart, action_id: String) -> impl IntoView {
    let action = entry(chart.record, |r| &r.care_plan.actions, action_id.clone());
    let title = Signal::derive(move || action.with(|a| a.description.clone()));
    let detail = move || {
        action.with(|a| {
            joined(vec![
                humanize(a.responsible.as_str()),
                due_text(&a.due),
                humanize(a.status.as_str()),
            ])
        })
    };
    let chart_edit = chart.clone();
    view! {
        <li class="entry">
            <p class="entry-main">{title}</p>
            <p class="entry-meta">{detail}</p>
            <EntryActions chart=chart.clone() list=List::Actions id=action_id.clone() name=Signal::derive(move || format!("action {}", title.get())) fields=ACTION_FIELDS>
                <EditAction chart=chart_edit action=action />
            </EntryActions>
        </li>
    }
}

/// An action's fields, for adding and editing.
#[derive(Clone, Copy)]
struct ActionFields {
    description: RwSignal<String>,
    responsible: RwSignal<String>,
    due: RwSignal<String>,
    status: RwSignal<String>,
}

impl ActionFields {
    fn new() -> Self {
        Self {
            description: RwSignal::new(String::new()),
            responsible: RwSignal::new(String::new()),
            due: RwSignal::new(String::new()),
            status: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, a: &CareAction) {
        self.description.set(a.description.clone());
        self.responsible.set(a.responsible.as_str().to_string());
        self.due
            .set(a.due.as_ref().map(|d| d.0.clone()).unwrap_or_default());
        self.status.set(a.status.as_str().to_string());
    }

    fn check(&self) -> Result<Option<IsoDate>, String> {
        if trimmed(self.description).is_empty() {
            return Err("Describe the action.".into());
        }
        optional_date(self.due, "due date")
    }

    fn view(self) -> impl IntoView {
        view! {
            <TextField label="Action" value=self.description />
            <SelectField label="Who" value=self.responsible options=enum_options(Responsible::ALL, |s| s.as_str()) />
            <TextField label="Action due date" value=self.due kind="date" />
        }
    }
}

#[component]
fn AddAction(chart: Chart, goal_id: String, goal: Signal<String>) -> impl IntoView {
    let f = ActionFields::new();
    let build = move || {
        let due = f.check()?;
        Ok(vec![Op::AddAction {
            action: CareAction {
                id: new_item_id(),
                goal_id: goal_id.clone(),
                description: trimmed(f.description),
                responsible: Responsible::parse(&f.responsible.get_untracked()),
                due,
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add action" open_name=Signal::derive(move || format!("Add action for {}", goal.get()))
            title=Signal::derive(move || format!("Add an action for {}", goal.get())) submit_label="Save action" saved_text="Action added."
            on_open=Callback::new(move |_| f.fill(&CareAction::default())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </FormToggle>
    }
}

#[component]
fn EditAction(chart: Chart, action: Memo<CareAction>) -> impl IntoView {
    let f = ActionFields::new();
    let build = move || {
        f.check()?;
        let a = action.get_untracked();
        let responsible = Responsible::parse(&f.responsible.get_untracked());
        let status = ActionStatus::parse(&f.status.get_untracked());
        with_status(
            Op::ChangeAction {
                id: a.id.clone(),
                description: changed(f.description, &a.description),
                responsible: (responsible != a.responsible).then_some(responsible),
                due: changed_date(f.due, a.due.as_ref(), "due date")?,
            },
            (status != a.status).then(|| Op::SetActionStatus {
                id: a.id.clone(),
                status,
            }),
        )
    };
    let name = move || action.with(|a| a.description.clone());
    view! {
        <EditToggle what=Signal::derive(move || format!("action {}", name())) saved_text="Action updated."
            on_open=Callback::new(move |_| f.fill(&action.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
            <SelectField label="Action status" value=f.status options=enum_options(ActionStatus::ALL, |s| s.as_str()) />
        </EditToggle>
    }
}

#[component]
fn RecordProgress(chart: Chart, goal_id: String, goal: Signal<String>) -> impl IntoView {
    let value = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let reset = move |_| {
        value.set(String::new());
        note.set(String::new());
        date.set(today_iso().0);
    };
    let build = move || {
        let v = trimmed(value);
        if v.is_empty() {
            return Err("Enter the progress measured.".to_string());
        }
        let Some(d) = IsoDate::parse(&date.get_untracked()) else {
            return Err("Enter the date of the progress as a full date.".to_string());
        };
        Ok(vec![Op::RecordProgress {
            goal_id: goal_id.clone(),
            entry: ProgressEntry {
                id: new_item_id(),
                date: d,
                value: v,
                note: trimmed(note),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Record progress" open_name=Signal::derive(move || format!("Record progress on {}", goal.get()))
            title=Signal::derive(move || format!("Record progress on {}", goal.get())) submit_label="Save progress" saved_text="Progress recorded."
            quiet=true on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Progress measured" value=value />
            <TextField label="Progress note" value=note />
            <TextField label="Progress date" value=date kind="date" />
        </FormToggle>
    }
}

fn barrier_line(b: &Barrier) -> String {
    b.description.clone()
}

fn revision_line(v: &PlanRevision) -> String {
    let mut s = format!("{}: {}", format::day(v.date.as_str()), v.reason);
    if !v.summary.is_empty() {
        s.push_str(&format!(" — {}", v.summary));
    }
    s
}

fn agreement_line(a: &Agreement) -> String {
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
}

const BARRIER_FIELDS: &[(&str, &str)] = &[("description", "Barrier")];
const REVISION_FIELDS: &[(&str, &str)] = &[("reason", "Reason"), ("summary", "What changed")];
const AGREEMENT_FIELDS: &[(&str, &str)] = &[("agreed", "Agreed"), ("agreed_by", "Agreed by")];

#[component]
fn Barriers(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let description = RwSignal::new(String::new());
    let build = move || {
        let d = trimmed(description);
        if d.is_empty() {
            return Err("Describe the barrier.".to_string());
        }
        Ok(vec![Op::AddBarrier {
            barrier: Barrier {
                id: new_item_id(),
                description: d,
                ..Default::default()
            },
        }])
    };
    view! {
        <section class="card" aria-labelledby="barriers-title">
            <h2 id="barriers-title">"Barriers"</h2>
            <Entries chart=chart.clone() list=List::Barriers label="Barriers" empty="No barriers recorded." what="barriers"
                items=active_lines(record, |r| &r.care_plan.barriers, barrier_line)
                removed=removed_lines(record, |r| &r.care_plan.barriers, barrier_line) fields=BARRIER_FIELDS />
            <FormToggle open_label="Add barrier" title="Add a barrier" submit_label="Save barrier" saved_text="Barrier added."
                on_open=Callback::new(move |_| description.set(String::new())) changes=build save=move |ops| chart.save(ops)>
                <TextField label="Barrier" value=description />
            </FormToggle>
        </section>
    }
}

#[component]
fn Revisions(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let reason = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let reset = move |_| {
        reason.set(String::new());
        summary.set(String::new());
    };
    let build = move || {
        let r = trimmed(reason);
        if r.is_empty() {
            return Err("Give the reason for revising the plan.".to_string());
        }
        Ok(vec![Op::RevisePlan {
            revision: PlanRevision {
                id: new_item_id(),
                date: today_iso(),
                reason: r,
                summary: trimmed(summary),
                ..Default::default()
            },
        }])
    };
    view! {
        <section class="card" aria-labelledby="revisions-title">
            <h2 id="revisions-title">"Plan revisions"</h2>
            <Entries chart=chart.clone() list=List::Revisions label="Revisions" empty="The plan has not been revised." what="revisions"
                items=active_lines(record, |r| &r.care_plan.revisions, revision_line)
                removed=removed_lines(record, |r| &r.care_plan.revisions, revision_line) fields=REVISION_FIELDS />
            <FormToggle open_label="Revise plan" title="Revise the plan" submit_label="Save revision" saved_text="Revision recorded."
                on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
                <TextField label="Reason for revision" value=reason />
                <TextField label="What changed" value=summary />
            </FormToggle>
        </section>
    }
}

#[component]
fn Agreements(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let method = RwSignal::new(String::new());
    let agreed_by = RwSignal::new(String::new());
    let agreed = RwSignal::new(String::new());
    let reset = move |_| {
        method.set(ConsentMethod::Verbal.as_str().to_string());
        agreed_by.set(String::new());
        agreed.set("yes".to_string());
    };
    let build = move || {
        Ok(vec![Op::RecordAgreement {
            agreement: Agreement {
                id: new_item_id(),
                date: today_iso(),
                agreed: agreed.get_untracked() == "yes",
                method: ConsentMethod::parse(&method.get_untracked()),
                agreed_by: trimmed(agreed_by),
                ..Default::default()
            },
        }])
    };
    let answers = vec![
        ("yes".to_string(), "Agreed to the plan".to_string()),
        ("no".to_string(), "Did not agree".to_string()),
    ];
    view! {
        <section class="card" aria-labelledby="agreement-title">
            <h2 id="agreement-title">"Patient agreement"</h2>
            <Entries chart=chart.clone() list=List::Agreements label="Agreements" empty="Agreement not recorded yet." what="agreements"
                items=active_lines(record, |r| &r.care_plan.agreements, agreement_line)
                removed=removed_lines(record, |r| &r.care_plan.agreements, agreement_line) fields=AGREEMENT_FIELDS />
            <FormToggle open_label="Record patient agreement" title="Record the patient's agreement" submit_label="Save agreement"
                saved_text="Agreement recorded." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
                <SelectField label="Patient's answer" value=agreed options=answers.clone() />
                <SelectField label="How the patient agreed" value=method options=enum_options(ConsentMethod::ALL, |s| s.as_str()) />
                <TextField label="Agreed by (patient or representative)" value=agreed_by />
            </FormToggle>
        </section>
    }
}
