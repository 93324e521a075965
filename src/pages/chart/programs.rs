//! Programs & time: this month's minutes and billing codes, the time log (manual entries, edits,
//! removal), long-term programs (enrolment with consent, eligibility explained, pause, resume,
//! end, complex CCM months) and case-management episodes. The rules are core `billing`.

use leptos::prelude::*;
use tend_core::{
    billing::{self, program_months, program_name, requirements, BillingFacts},
    ids::new_item_id,
    record::{
        Consent, ConsentMethod, IsoDate, ListItem, PersonRole, ProgramEnrollment, ProgramKind,
        ProgramStatus, TimeEntry,
    },
    rules::programs::YearMonth,
    ItemList as List, Op, PatientRecord,
};

use super::entries::{active_lines, entry, removed_lines, Entries};
use super::{today_iso, Chart};
use crate::clock::today;
use crate::components::fields::{role_label, role_options, CheckField, SelectField, TextField};
use crate::components::form::{
    changed, changed_date, edit_of, optional_date, trimmed, ConfirmToggle, EditToggle, FormToggle,
};
use crate::format;

const TIME_FIELDS: &[(&str, &str)] = &[
    ("date", "Date"),
    ("minutes", "Minutes"),
    ("program", "Program"),
    ("activity", "Activity"),
    ("staff", "Staff"),
];

/// Programs time can be logged to.
fn program_options() -> Vec<(String, String)> {
    ProgramKind::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), program_name(p).to_string()))
        .collect()
}

fn status_label(s: &ProgramStatus) -> &'static str {
    match s {
        ProgramStatus::Active => "Active",
        ProgramStatus::Paused => "Paused",
        ProgramStatus::Ended => "Ended",
        ProgramStatus::Declined => "Declined",
        ProgramStatus::Other(_) => "Unknown status",
    }
}

fn consent_method_label(m: &ConsentMethod) -> String {
    match m {
        ConsentMethod::Verbal => "Verbal".into(),
        ConsentMethod::Written => "Written (signed)".into(),
        ConsentMethod::Electronic => "Electronic".into(),
        ConsentMethod::Other(o) => o.clone(),
    }
}

fn time_line(e: &TimeEntry) -> String {
    let mut parts = vec![
        format::day(e.date.as_str()),
        format!("{} min", e.minutes),
        program_name(&e.program).to_string(),
    ];
    if !e.activity.trim().is_empty() {
        parts.push(e.activity.trim().to_string());
    }
    let who = e.staff.trim();
    parts.push(if who.is_empty() {
        role_label(&e.staff_role)
    } else {
        format!("{who} ({})", role_label(&e.staff_role))
    });
    if e.timer_started_at.is_some() {
        parts.push("timed".into());
    }
    parts.join(" · ")
}

fn or_none(codes: String) -> String {
    if codes.is_empty() {
        "None yet".into()
    } else {
        codes
    }
}

fn next_text(m: &billing::ProgramMonth) -> String {
    match m.next {
        Some((min, code)) => format!("{min} min to {code}"),
        None => "All units for the month reached".into(),
    }
}

/// Whether this item is a case-management episode (vs a long-term program).
fn is_episode(p: &ProgramEnrollment) -> bool {
    p.program == ProgramKind::CaseManagement
}

#[component]
pub fn ProgramsSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let programs = Memo::new(move |_| {
        record.with(|r| {
            r.programs
                .iter()
                .filter(|p| p.is_active() && !is_episode(p))
                .map(|p| p.id.clone())
                .collect::<Vec<_>>()
        })
    });
    let episodes = Memo::new(move |_| {
        record.with(|r| {
            let mut e: Vec<(bool, String, String)> = r
                .programs
                .iter()
                .filter(|p| p.is_active() && is_episode(p))
                .map(|p| {
                    let open = !matches!(p.status, ProgramStatus::Ended | ProgramStatus::Declined);
                    (
                        !open,
                        p.start_date.clone().unwrap_or_default().0,
                        p.id.clone(),
                    )
                })
                .collect();
            e.sort();
            e.into_iter().map(|(_, _, id)| id).collect::<Vec<_>>()
        })
    });
    let time_items = active_lines(record, |r| &r.time_log, time_line);
    let time_removed = removed_lines(record, |r| &r.time_log, time_line);
    let (c1, c2) = (chart.clone(), chart.clone());
    view! {
        <ThisMonth record=record />
        <section class="card" aria-labelledby="time-title">
            <h2 id="time-title">"Time log"</h2>
            <p class="muted">"Use “Start timer” at the top of the chart during a call or visit, or log time afterwards."</p>
            <Entries chart=chart.clone() list=List::TimeEntries label="Time logged" empty="No time logged yet."
                what="time entries" items=time_items removed=time_removed fields=TIME_FIELDS
                edit=|chart, id| view! { <EditTimeEntry chart=chart id=id /> }.into_any() />
            <LogTime chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="programs-title">
            <h2 id="programs-title">"Care-management programs"</h2>
            <p class="muted">"Long-term care management (CCM, PCM, BHI, TCM): consent, eligibility and status."</p>
            <Show when=move || programs.with(Vec::is_empty)>
                <p class="muted">"Not enrolled in a program."</p>
            </Show>
            <For each=move || programs.get() key=|id| id.clone() let:id>
                <ProgramCard chart=c1.clone() id=id />
            </For>
            <EnrollProgram chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="episodes-title">
            <h2 id="episodes-title">"Case management episodes"</h2>
            <p class="muted">"Episodic case management for an acute event: open, track, close with an outcome."</p>
            <Show when=move || episodes.with(Vec::is_empty)>
                <p class="muted">"No episodes."</p>
            </Show>
            <For each=move || episodes.get() key=|id| id.clone() let:id>
                <EpisodeCard chart=c2.clone() id=id />
            </For>
            <OpenEpisode chart=chart.clone() />
        </section>
    }
}

/// This month per program: minutes, codes reached, minutes to the next code, and what blocks
/// billing.
#[component]
fn ThisMonth(record: RwSignal<PatientRecord>) -> impl IntoView {
    let month = YearMonth::of(today());
    let facts = Memo::new(move |_| record.with(BillingFacts::of));
    let rows = Memo::new(move |_| facts.with(|f| program_months(f, month)));
    let others = Memo::new(move |_| {
        facts.with(|f| {
            f.minutes_by_program(month)
                .into_iter()
                .filter(|(p, _)| !billing::TIME_BILLED.contains(p))
                .collect::<Vec<_>>()
        })
    });
    let title = format!("This month: {}", billing::month_label(month));
    view! {
        <section class="card" aria-labelledby="month-title">
            <h2 id="month-title">{title}</h2>
            <Show when=move || rows.with(Vec::is_empty) && others.with(Vec::is_empty)>
                <p class="muted">"Not enrolled in a time-billed program this month (CCM, PCM or BHI)."</p>
            </Show>
            <ul class="entries" aria-label="This month by program">
                <For each=move || rows.get() key=|m| format!("{m:?}") let:m>
                    <li class=if m.billable() { "entry" } else { "entry entry-warn" }>
                        <p class="entry-main">
                            <strong>{program_name(&m.program)}</strong>
                            {format!(": {} min", m.minutes_counted)}
                            {(m.minutes_logged != m.minutes_counted).then(|| format!(" counted of {} logged", m.minutes_logged))}
                            {m.complex.then_some(" · complex CCM")}
                        </p>
                        <p class="entry-meta">{format!("Codes reached: {} · {}", or_none(m.codes_text()), next_text(&m))}</p>
                        {(!m.blockers.is_empty()).then(|| view! {
                            <ul class="blockers" aria-label=format!("{} billing problems", program_name(&m.program))>
                                {m.blockers.iter().map(|b| view! { <li>{b.text()}</li> }).collect_view()}
                            </ul>
                        })}
                    </li>
                </For>
                <For each=move || others.get() key=|o| format!("{o:?}") let:o>
                    <li class="entry">
                        <p class="entry-main"><strong>{program_name(&o.0)}</strong>{format!(": {} min", o.1)}</p>
                        <p class="entry-meta">"Not billed by time"</p>
                    </li>
                </For>
            </ul>
        </section>
    }
}

/// The fields of a time entry, shared by "Log time" and "Edit".
#[derive(Clone, Copy)]
struct TimeFields {
    date: RwSignal<String>,
    minutes: RwSignal<String>,
    program: RwSignal<String>,
    activity: RwSignal<String>,
    staff: RwSignal<String>,
    role: RwSignal<String>,
}

impl TimeFields {
    fn new() -> Self {
        TimeFields {
            date: RwSignal::new(String::new()),
            minutes: RwSignal::new(String::new()),
            program: RwSignal::new(String::new()),
            activity: RwSignal::new(String::new()),
            staff: RwSignal::new(String::new()),
            role: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, e: &TimeEntry) {
        self.date.set(e.date.0.clone());
        self.minutes.set(e.minutes.to_string());
        self.program.set(e.program.as_str().to_string());
        self.activity.set(e.activity.clone());
        self.staff.set(e.staff.clone());
        self.role.set(e.staff_role.as_str().to_string());
    }

    /// The checked values: date, minutes.
    fn check(&self) -> Result<(IsoDate, u64), String> {
        let Some(date) = optional_date(self.date, "date")? else {
            return Err("Enter the date the time was spent.".into());
        };
        if date.date().is_some_and(|d| d > today()) {
            return Err("The date cannot be in the future.".into());
        }
        let minutes = trimmed(self.minutes)
            .parse::<u64>()
            .ok()
            .filter(|m| (1..=1440).contains(m))
            .ok_or_else(|| "Enter the minutes as a whole number from 1 to 1440.".to_string())?;
        if trimmed(self.staff).is_empty() {
            return Err("Enter whose time it was.".into());
        }
        Ok((date, minutes))
    }

    fn view(&self) -> impl IntoView {
        view! {
            <TextField label="Date" value=self.date kind="date" />
            <TextField label="Minutes" value=self.minutes kind="number" />
            <SelectField label="Program" value=self.program options=program_options() />
            <TextField label="Activity" value=self.activity hint="e.g. Phone call with daughter, care plan review" />
            <TextField label="Staff" value=self.staff />
            <SelectField label="Staff role" value=self.role options=role_options() />
        }
    }
}

/// The program time is logged to by default: the first active time-billed one, else case
/// management.
pub(super) fn default_program(r: &PatientRecord) -> ProgramKind {
    r.programs
        .iter()
        .filter(|p| p.is_active() && p.status == ProgramStatus::Active)
        .map(|p| p.program.clone())
        .find(|p| billing::TIME_BILLED.contains(p))
        .unwrap_or(ProgramKind::CaseManagement)
}

#[component]
fn LogTime(chart: Chart) -> impl IntoView {
    let f = TimeFields::new();
    let record = chart.record;
    let me = chart.session.identity;
    let reset = move |_| {
        f.date.set(today_iso().0);
        f.minutes.set(String::new());
        f.program
            .set(record.with_untracked(default_program).as_str().to_string());
        f.activity.set(String::new());
        let who = me.get_untracked();
        f.staff
            .set(who.as_ref().map(|i| i.name.clone()).unwrap_or_default());
        f.role.set(
            who.map(|i| i.role.as_str().to_string())
                .unwrap_or_else(|| PersonRole::CareManager.as_str().to_string()),
        );
    };
    let build = move || {
        let (date, minutes) = f.check()?;
        Ok(vec![Op::LogMinutes {
            entry: TimeEntry {
                id: new_item_id(),
                date,
                minutes,
                program: ProgramKind::parse(&f.program.get_untracked()),
                activity: trimmed(f.activity),
                staff: trimmed(f.staff),
                staff_role: PersonRole::parse(&f.role.get_untracked()),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Log time" title="Log time" submit_label="Save time" saved_text="Time logged."
            on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </FormToggle>
    }
}

#[component]
fn EditTimeEntry(chart: Chart, id: String) -> impl IntoView {
    let item = entry(chart.record, |r| &r.time_log, id);
    let f = TimeFields::new();
    let build = move || {
        let e = item.get_untracked();
        f.check()?;
        let minutes = trimmed(f.minutes)
            .parse::<u64>()
            .ok()
            .filter(|m| *m != e.minutes);
        let program = ProgramKind::parse(&f.program.get_untracked());
        let role = PersonRole::parse(&f.role.get_untracked());
        edit_of(Op::ChangeTimeEntry {
            id: e.id.clone(),
            date: changed_date(f.date, Some(&e.date), "date")?,
            minutes,
            program: (program != e.program).then_some(program),
            activity: changed(f.activity, &e.activity),
            staff: changed(f.staff, &e.staff),
            staff_role: (role != e.staff_role).then_some(role),
        })
    };
    let name = Signal::derive(move || item.with(time_line));
    view! {
        <EditToggle what=name saved_text="Time entry updated."
            on_open=Callback::new(move |_| f.fill(&item.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            {f.view()}
        </EditToggle>
    }
}

/// Consent fields, shared by "Enroll" and "Record consent".
#[derive(Clone, Copy)]
struct ConsentFields {
    date: RwSignal<String>,
    method: RwSignal<String>,
    by: RwSignal<String>,
    note: RwSignal<String>,
}

impl ConsentFields {
    fn new() -> Self {
        ConsentFields {
            date: RwSignal::new(String::new()),
            method: RwSignal::new(String::new()),
            by: RwSignal::new(String::new()),
            note: RwSignal::new(String::new()),
        }
    }

    fn reset(&self, me: &str) {
        self.date.set(today_iso().0);
        self.method.set(ConsentMethod::Verbal.as_str().to_string());
        self.by.set(me.to_string());
        self.note.set(String::new());
    }

    fn check(&self) -> Result<Consent, String> {
        let Some(date) = optional_date(self.date, "consent date")? else {
            return Err("Enter the date consent was given.".into());
        };
        if date.date().is_some_and(|d| d > today()) {
            return Err("The consent date cannot be in the future.".into());
        }
        let by = trimmed(self.by);
        if by.is_empty() {
            return Err("Enter who obtained consent.".into());
        }
        Ok(Consent {
            date,
            method: ConsentMethod::parse(&self.method.get_untracked()),
            obtained_by: by,
            note: trimmed(self.note),
        })
    }

    fn view(&self) -> impl IntoView {
        let methods: Vec<(String, String)> = ConsentMethod::ALL
            .iter()
            .map(|m| (m.as_str().to_string(), consent_method_label(m)))
            .collect();
        view! {
            <TextField label="Consent date" value=self.date kind="date" />
            <SelectField label="How consent was given" value=self.method options=methods />
            <TextField label="Consent obtained by" value=self.by />
            <TextField label="Consent note (optional)" value=self.note />
        }
    }
}

fn my_name(chart: &Chart) -> String {
    chart
        .session
        .identity
        .get_untracked()
        .map(|i| i.name)
        .unwrap_or_else(|| chart.author_name())
}

#[component]
fn EnrollProgram(chart: Chart) -> impl IntoView {
    let program = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let with_consent = RwSignal::new(true);
    let consent = ConsentFields::new();
    let me = my_name(&chart);
    let reset = move |_| {
        program.set(ProgramKind::Ccm.as_str().to_string());
        start.set(today_iso().0);
        with_consent.set(true);
        consent.reset(&me);
    };
    let build = move || {
        let Some(date) = optional_date(start, "start date")? else {
            return Err("Enter the start date.".to_string());
        };
        let consent = if with_consent.get_untracked() {
            Some(consent.check()?)
        } else {
            None
        };
        Ok(vec![Op::EnrollProgram {
            enrollment: ProgramEnrollment {
                id: new_item_id(),
                program: ProgramKind::parse(&program.get_untracked()),
                status: ProgramStatus::Active,
                start_date: Some(date),
                consent,
                ..Default::default()
            },
        }])
    };
    let options: Vec<(String, String)> = [
        ProgramKind::Ccm,
        ProgramKind::Pcm,
        ProgramKind::Bhi,
        ProgramKind::Tcm,
    ]
    .iter()
    .map(|p| (p.as_str().to_string(), program_name(p).to_string()))
    .collect();
    view! {
        <FormToggle open_label="Enroll in a program" title="Enroll in a program" submit_label="Enroll"
            saved_text="Enrolled." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            <SelectField label="Program" value=program options=options.clone() />
            <TextField label="Start date" value=start kind="date" />
            <CheckField label="The patient has given consent" value=with_consent />
            <Show when=move || with_consent.get()>
                {consent.view()}
            </Show>
            <Show when=move || !with_consent.get()>
                <p class="hint">"Without consent, time logged does not count toward billing."</p>
            </Show>
        </FormToggle>
    }
}

/// One long-term program: status, consent, eligibility, status history and its actions.
#[component]
fn ProgramCard(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let item = entry(record, |r| &r.programs, id.clone());
    let name = Signal::derive(move || item.with(|p| program_name(&p.program).to_string()));
    let heading = move || {
        item.with(|p| {
            let since = p
                .start_date
                .as_ref()
                .map(|d| format!(" since {}", format::day(d.as_str())))
                .unwrap_or_default();
            match p.status {
                ProgramStatus::Ended | ProgramStatus::Declined => format!(
                    "{} — {}{}",
                    program_name(&p.program),
                    status_label(&p.status),
                    p.end_date
                        .as_ref()
                        .map(|d| format!(" {}", format::day(d.as_str())))
                        .unwrap_or_default()
                ),
                ProgramStatus::Paused => {
                    let paused_on = p
                        .status_changes
                        .iter()
                        .filter(|c| c.status == ProgramStatus::Paused)
                        .max_by_key(|c| (c.date.clone(), c.recorded.at))
                        .map(|c| format!(" {}", format::day(c.date.as_str())))
                        .unwrap_or_default();
                    format!("{} — Paused{paused_on}", program_name(&p.program))
                }
                _ => format!(
                    "{} — {}{since}",
                    program_name(&p.program),
                    status_label(&p.status)
                ),
            }
        })
    };
    let consent = move || {
        item.with(|p| match &p.consent {
            Some(c) => format!(
                "Consent: {}, {}, obtained by {}{}",
                consent_method_label(&c.method).to_lowercase(),
                format::day(c.date.as_str()),
                c.obtained_by,
                if c.note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.note)
                }
            ),
            None => "No consent recorded: time does not count toward billing.".into(),
        })
    };
    let has_consent = move || item.with(|p| p.consent.is_some());
    let reqs = Memo::new(move |_| {
        let facts = record.with(BillingFacts::of);
        item.with(|p| requirements(&facts, &p.program, p.consent.is_some()))
    });
    let history = move || {
        item.with(|p| {
            p.status_changes
                .iter()
                .map(|c| {
                    let why = if c.reason.trim().is_empty() {
                        String::new()
                    } else {
                        format!(": {}", c.reason.trim())
                    };
                    let what = match c.status {
                        ProgramStatus::Active => "Resumed",
                        ref other => status_label(other),
                    };
                    format!(
                        "{what} {} by {}{why}",
                        format::day(c.date.as_str()),
                        c.recorded.user_name
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let status = Memo::new(move |_| item.with(|p| p.status.clone()));
    let is_ccm = move || item.with(|p| p.program == ProgramKind::Ccm);
    let (title_id, labelled_by) = (format!("program-{id}"), format!("program-{id}"));
    let (c1, c2, c3, c4, c5) = (
        chart.clone(),
        chart.clone(),
        chart.clone(),
        chart.clone(),
        chart,
    );
    let (i1, i2, i3, i4, i5) = (id.clone(), id.clone(), id.clone(), id.clone(), id);
    view! {
        <article class="subcard" aria-labelledby=labelled_by>
            <h3 id=title_id>{heading}</h3>
            <p class=move || if has_consent() { "" } else { "warn" }>{consent}</p>
            <Show when=move || !reqs.with(Vec::is_empty)>
                <h4>"Eligibility"</h4>
                <ul class="requirements" aria-label=move || format!("{} eligibility", name.get())>
                    {move || reqs.get().into_iter().map(|(text, met)| view! {
                        <li class=if met { "met" } else { "unmet" }>
                            {if met { "Met: " } else { "Missing: " }}{text}
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
            <Show when=move || !history().is_empty()>
                <h4>"Status history"</h4>
                <ul class="history-list">{move || history().into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ul>
            </Show>
            <div class="entry-actions">
                <Show when=move || !has_consent()>
                    <RecordConsent chart=c1.clone() id=i1.clone() name=name />
                </Show>
                <Show when=move || status.get() == ProgramStatus::Active>
                    <ChangeStatus chart=c2.clone() id=i2.clone() name=name to=ProgramStatus::Paused />
                </Show>
                <Show when=move || status.get() == ProgramStatus::Paused>
                    <ChangeStatus chart=c3.clone() id=i3.clone() name=name to=ProgramStatus::Active />
                </Show>
                <Show when=move || matches!(status.get(), ProgramStatus::Active | ProgramStatus::Paused)>
                    <ChangeStatus chart=c4.clone() id=i4.clone() name=name to=ProgramStatus::Ended />
                </Show>
                <Show when=is_ccm>
                    <ComplexMonth chart=c5.clone() id=i5.clone() />
                </Show>
            </div>
        </article>
    }
}

#[component]
fn RecordConsent(chart: Chart, id: String, name: Signal<String>) -> impl IntoView {
    let consent = ConsentFields::new();
    let me = my_name(&chart);
    let build = move || {
        Ok(vec![Op::RecordConsent {
            program_id: id.clone(),
            consent: consent.check()?,
        }])
    };
    let label = Signal::derive(move || format!("Record consent for {}", name.get()));
    view! {
        <FormToggle open_label="Record consent" open_name=label title=label submit_label="Save consent"
            saved_text="Consent recorded." quiet=true on_open=Callback::new(move |_| consent.reset(&me))
            changes=build save=move |ops| chart.save(ops)>
            {consent.view()}
        </FormToggle>
    }
}

/// Pause, resume or end (close) a program or episode, dated, with a reason (an episode's outcome).
#[component]
fn ChangeStatus(
    chart: Chart,
    id: String,
    name: Signal<String>,
    to: ProgramStatus,
    #[prop(optional)] episode: bool,
) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let (verb, done, reason_label, need_reason) = match (&to, episode) {
        (ProgramStatus::Paused, _) => ("Pause", "Program paused.", "Reason", true),
        (ProgramStatus::Active, _) => ("Resume", "Program resumed.", "Note (optional)", false),
        (_, true) => ("Close episode", "Episode closed.", "Outcome", true),
        _ => ("End", "Program ended.", "Reason", true),
    };
    let to_for_build = to.clone();
    let build = move || {
        let Some(on) = optional_date(date, "date")? else {
            return Err("Enter the date.".to_string());
        };
        if on.date().is_some_and(|d| d > today()) {
            return Err("The date cannot be in the future.".to_string());
        }
        let why = trimmed(reason);
        if need_reason && why.is_empty() {
            return Err(format!("Enter the {}.", reason_label.to_lowercase()));
        }
        Ok(vec![Op::SetProgramStatus {
            program_id: id.clone(),
            status: to_for_build.clone(),
            date: Some(on),
            reason: why,
            change_id: new_item_id(),
        }])
    };
    let label = Signal::derive(move || {
        if episode {
            format!("{verb}: {}", name.get())
        } else {
            format!("{verb} {}", name.get())
        }
    });
    let reset = move |_| {
        date.set(today_iso().0);
        reason.set(String::new());
    };
    view! {
        <FormToggle open_label=verb open_name=label title=label submit_label=verb saved_text=done quiet=true
            on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Date" value=date kind="date" />
            <TextField label=reason_label value=reason />
        </FormToggle>
    }
}

/// Marks this month as complex CCM, or back.
#[component]
fn ComplexMonth(chart: Chart, id: String) -> impl IntoView {
    let month = billing::month_id(YearMonth::of(today()));
    let record = chart.record;
    let (id_for_check, month_for_check) = (id.clone(), month.clone());
    let complex = Memo::new(move |_| {
        record.with(|r| {
            r.programs
                .iter()
                .any(|p| p.id == id_for_check && p.complex_months.contains(&month_for_check))
        })
    });
    let label = billing::month_label(YearMonth::of(today()));
    move || {
        let on = !complex.get();
        let (open, title, saved) = if on {
            (
                "Bill as complex CCM",
                format!("Bill as complex CCM: {label}"),
                "This month is complex CCM.",
            )
        } else {
            (
                "Bill as standard CCM",
                format!("Bill as standard CCM: {label}"),
                "This month is standard CCM.",
            )
        };
        let ops = vec![Op::SetComplexMonth {
            program_id: id.clone(),
            month: month.clone(),
            complex: on,
        }];
        let chart = chart.clone();
        view! {
            <ConfirmToggle open_label=open open_name=title.clone() title=title submit_label="Confirm"
                saved_text=saved ops=ops save=move |ops| chart.save(ops)>
                <p>{if on {
                    "Complex CCM (99487, 99489) needs moderate or high complexity decision making and a care plan established or substantially revised this month; at least 60 minutes."
                } else {
                    "Standard CCM: 99490 at 20 minutes, 99439 for each further 20 (two at most)."
                }}</p>
            </ConfirmToggle>
        }
    }
}

fn stay_options(r: &PatientRecord) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "None".to_string())];
    out.extend(r.transitions.iter().filter(|t| t.is_active()).map(|t| {
        let when = t
            .admitted_on
            .as_ref()
            .map(|d| format!(", {}", format::day(d.as_str())))
            .unwrap_or_default();
        (t.id.clone(), format!("{}{when}", t.facility.trim()))
    }));
    out
}

fn authorization_options(r: &PatientRecord) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "None".to_string())];
    out.extend(
        r.coordination
            .authorizations
            .iter()
            .filter(|a| a.is_active())
            .map(|a| {
                let reference = if a.reference.trim().is_empty() {
                    String::new()
                } else {
                    format!(" #{}", a.reference.trim())
                };
                (
                    a.id.clone(),
                    format!("{} — {}{reference}", a.service.trim(), a.payer.trim()),
                )
            }),
    );
    out
}

#[component]
fn OpenEpisode(chart: Chart) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let stay = RwSignal::new(String::new());
    let auth = RwSignal::new(String::new());
    let record = chart.record;
    let reset = move |_| {
        reason.set(String::new());
        start.set(today_iso().0);
        stay.set(String::new());
        auth.set(String::new());
    };
    let build = move || {
        let why = trimmed(reason);
        if why.is_empty() {
            return Err("Enter the event the episode is for.".to_string());
        }
        let Some(date) = optional_date(start, "start date")? else {
            return Err("Enter the start date.".to_string());
        };
        Ok(vec![Op::EnrollProgram {
            enrollment: ProgramEnrollment {
                id: new_item_id(),
                program: ProgramKind::CaseManagement,
                status: ProgramStatus::Active,
                start_date: Some(date),
                reason: why,
                linked_transition: stay.get_untracked(),
                linked_authorization: auth.get_untracked(),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Open an episode" title="Open a case management episode" submit_label="Open episode"
            saved_text="Episode opened." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Reason (the acute event)" value=reason />
            <TextField label="Start date" value=start kind="date" />
            {move || view! { <SelectField label="Linked hospital stay" value=stay options=record.with(stay_options) /> }}
            {move || view! { <SelectField label="Linked authorisation" value=auth options=record.with(authorization_options) /> }}
        </FormToggle>
    }
}

#[component]
fn EpisodeCard(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let item = entry(record, |r| &r.programs, id.clone());
    let name = Signal::derive(move || item.with(|p| p.reason.trim().to_string()));
    let heading = move || {
        item.with(|p| {
            let from = p
                .start_date
                .as_ref()
                .map(|d| format::day(d.as_str()))
                .unwrap_or_default();
            match p.status {
                ProgramStatus::Ended | ProgramStatus::Declined => format!(
                    "{} — closed{}",
                    p.reason.trim(),
                    p.end_date
                        .as_ref()
                        .map(|d| format!(" {}", format::day(d.as_str())))
                        .unwrap_or_default()
                ),
                ProgramStatus::Paused => format!("{} — on hold (opened {from})", p.reason.trim()),
                _ => format!("{} — open since {from}", p.reason.trim()),
            }
        })
    };
    let details = move || {
        record.with(|r| {
            item.with(|p| {
                let mut out = Vec::new();
                if let Some(t) = r.transitions.iter().find(|t| t.id == p.linked_transition) {
                    out.push(format!("Hospital stay: {}", t.facility.trim()));
                }
                if let Some(a) = r
                    .coordination
                    .authorizations
                    .iter()
                    .find(|a| a.id == p.linked_authorization)
                {
                    out.push(format!(
                        "Authorisation: {} — {}",
                        a.service.trim(),
                        a.payer.trim()
                    ));
                }
                let minutes: u64 = r
                    .time_log
                    .iter()
                    .filter(|e| e.is_active() && e.program == ProgramKind::CaseManagement)
                    .filter(|e| {
                        p.start_date.as_ref().is_none_or(|s| e.date >= *s)
                            && p.end_date.as_ref().is_none_or(|end| e.date <= *end)
                    })
                    .map(|e| e.minutes)
                    .sum();
                out.push(format!(
                    "Case management time in the episode: {minutes} min"
                ));
                if matches!(p.status, ProgramStatus::Ended) && !p.end_reason.trim().is_empty() {
                    out.push(format!("Outcome: {}", p.end_reason.trim()));
                }
                out
            })
        })
    };
    let open = Memo::new(move |_| item.with(|p| p.status == ProgramStatus::Active));
    let (title_id, labelled_by) = (format!("episode-{id}"), format!("episode-{id}"));
    view! {
        <article class="subcard" aria-labelledby=labelled_by>
            <h3 id=title_id>{heading}</h3>
            <ul class="facts-list">{move || details().into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
            <Show when=move || open.get()>
                <div class="entry-actions">
                    <ChangeStatus chart=chart.clone() id=id.clone() name=name to=ProgramStatus::Ended episode=true />
                </div>
            </Show>
        </article>
    }
}
