//! Referrals & insurance: referrals to completion (from a care plan need or the shared directory;
//! sent → scheduled → completed with the outcome, or declined / cancelled / no show, each change
//! dated and signed), insurance coverage, authorisation requests with the payer's decision, the
//! appeal and its deadline, units used, and advocacy notes. The rules are core `coordination`.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tend_core::{
    coordination::{
        self, appeal_deadline, appeal_window_days, referral_open, units_left, units_used,
    },
    ids::new_item_id,
    ops::AuthorizationDecision,
    record::{
        AdvocacyNote, Authorization, AuthorizationStatus, AuthorizationUse, Coverage, CoverageRank,
        IsoDate, ListItem, Narrative, Referral, ReferralKind, ReferralStatus, ReferralUrgency,
    },
    workspace::{Organisation, ServiceType},
    ItemList as List, Op, PatientRecord,
};

use super::entries::{active_lines, entry, removed_lines, Entries};
use super::{today_iso, Chart};
use crate::components::fields::{enum_options, humanize, SelectField, TextArea, TextField};
use crate::components::form::{optional_date, trimmed, FormToggle};
use crate::format;

fn date_text(d: &Option<IsoDate>) -> String {
    d.as_ref()
        .map(|d| format::day(d.as_str()))
        .unwrap_or_default()
}

fn required_date(value: RwSignal<String>, what: &str) -> Result<IsoDate, String> {
    optional_date(value, what)?.ok_or_else(|| format!("Enter the {what}."))
}

fn number(value: RwSignal<String>, what: &str) -> Result<Option<u64>, String> {
    let raw = trimmed(value);
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<u64>()
        .map(Some)
        .map_err(|_| format!("Enter the {what} as a whole number."))
}

pub fn referral_status_label(s: &ReferralStatus) -> String {
    match s {
        ReferralStatus::NoShow => "No show".into(),
        other => humanize(other.as_str()),
    }
}

pub fn authorization_status_label(s: &AuthorizationStatus) -> String {
    humanize(s.as_str())
}

/// The referral kind a directory organisation's first service suggests.
fn kind_for(org: &Organisation) -> ReferralKind {
    let kind = match org.service_types.first() {
        Some(ServiceType::Food) => "food_bank",
        Some(ServiceType::Transportation) => "transport",
        Some(ServiceType::FinancialAid) => "financial_aid",
        Some(ServiceType::PrescriptionDelivery) => "prescription_delivery",
        Some(ServiceType::HomeHealth) => "home_health",
        Some(ServiceType::Therapy) => "therapy",
        Some(ServiceType::Dme) => "dme",
        Some(ServiceType::BehavioralHealth) => "behavioral_health",
        Some(ServiceType::Specialist) => "specialist",
        _ => "community_resource",
    };
    ReferralKind::parse(kind)
}

#[component]
pub fn CoordinationSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let referrals = Memo::new(move |_| {
        record.with(|r| {
            let mut ids: Vec<(bool, String, String)> = r
                .coordination
                .referrals
                .iter()
                .filter(|x| x.is_active())
                .map(|x| {
                    (
                        !referral_open(&x.status),
                        format!("{:020}", x.recorded.at),
                        x.id.clone(),
                    )
                })
                .collect();
            ids.sort();
            ids.into_iter().map(|(_, _, id)| id).collect::<Vec<_>>()
        })
    });
    let auths = Memo::new(move |_| {
        record.with(|r| {
            r.coordination
                .authorizations
                .iter()
                .filter(|x| x.is_active())
                .map(|x| x.id.clone())
                .collect::<Vec<_>>()
        })
    });
    let coverage_items = active_lines(record, |r| &r.profile.coverages, coverage_line);
    let coverage_removed = removed_lines(record, |r| &r.profile.coverages, coverage_line);
    let advocacy_items = active_lines(record, |r| &r.coordination.advocacy, advocacy_line);
    let advocacy_removed = removed_lines(record, |r| &r.coordination.advocacy, advocacy_line);
    let query = use_query_map();
    let refer_org = query.with_untracked(|q| q.get("refer"));
    let (c1, c2) = (chart.clone(), chart.clone());
    view! {
        <section class="card" aria-labelledby="referrals-title">
            <h2 id="referrals-title">"Referrals"</h2>
            <Show when=move || referrals.with(Vec::is_empty)>
                <p class="muted">"No referrals yet. Refer from a care plan need, from Resources, or here."</p>
            </Show>
            <For each=move || referrals.get() key=|id| id.clone() let:id>
                <ReferralCard chart=c1.clone() id=id />
            </For>
            <Refer chart=chart.clone() need_id=String::new() organisation_id=refer_org.unwrap_or_default() />
        </section>
        <section class="card" aria-labelledby="coverage-title">
            <h2 id="coverage-title">"Insurance"</h2>
            <Entries chart=chart.clone() list=List::Coverages label="Insurance plans" empty="No insurance recorded."
                what="insurance plans" items=coverage_items removed=coverage_removed fields=COVERAGE_FIELDS />
            <AddCoverage chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="auth-title">
            <h2 id="auth-title">"Authorizations"</h2>
            <Show when=move || auths.with(Vec::is_empty)>
                <p class="muted">"No authorization requests."</p>
            </Show>
            <For each=move || auths.get() key=|id| id.clone() let:id>
                <AuthorizationCard chart=c2.clone() id=id />
            </For>
            <RequestAuthorization chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="advocacy-title">
            <h2 id="advocacy-title">"Advocacy"</h2>
            <Entries chart=chart.clone() list=List::Advocacy label="Advocacy notes" empty="No advocacy notes."
                what="advocacy notes" items=advocacy_items removed=advocacy_removed fields=ADVOCACY_FIELDS />
            <AddAdvocacy chart=chart.clone() />
        </section>
    }
}

const COVERAGE_FIELDS: &[(&str, &str)] = &[
    ("payer", "Payer"),
    ("plan", "Plan"),
    ("member_id", "Member id"),
    ("group", "Group"),
    ("rank", "Order"),
];

const ADVOCACY_FIELDS: &[(&str, &str)] = &[
    ("date", "Date"),
    ("topic", "What"),
    ("with_whom", "With whom"),
    ("outcome", "Outcome"),
];

fn coverage_line(c: &Coverage) -> String {
    let mut parts = vec![format!("{}: {}", humanize(c.rank.as_str()), c.payer)];
    if !c.plan.is_empty() {
        parts.push(c.plan.clone());
    }
    if !c.member_id.is_empty() {
        parts.push(format!("member {}", c.member_id));
    }
    if !c.group.is_empty() {
        parts.push(format!("group {}", c.group));
    }
    match (&c.effective_from, &c.effective_to) {
        (Some(f), Some(t)) => parts.push(format!(
            "{} to {}",
            format::day(f.as_str()),
            format::day(t.as_str())
        )),
        (Some(f), None) => parts.push(format!("from {}", format::day(f.as_str()))),
        (None, Some(t)) => parts.push(format!("to {}", format::day(t.as_str()))),
        (None, None) => {}
    }
    if let Some(days) = c.appeal_window_days {
        parts.push(format!(
            "appeals within {}",
            crate::format::count(usize::try_from(days).unwrap_or(usize::MAX), "day", "days")
        ));
    }
    parts.join(" · ")
}

fn advocacy_line(a: &AdvocacyNote) -> String {
    let mut parts = vec![format::day(a.date.as_str())];
    for p in [&a.topic, &a.with_whom] {
        if !p.trim().is_empty() {
            parts.push(p.trim().to_string());
        }
    }
    if !a.outcome.trim().is_empty() {
        parts.push(format!("Outcome: {}", a.outcome.trim()));
    }
    if !a.text.as_str().trim().is_empty() {
        parts.push(a.text.as_str().trim().to_string());
    }
    parts.join(" · ")
}

/// "Refer": to a directory organisation or someone else, for a need (when `need_id` is given).
#[component]
pub fn Refer(
    chart: Chart,
    need_id: String,
    #[prop(optional)] organisation_id: String,
) -> impl IntoView {
    let session = chart.session.clone();
    let directory = session.workspace_record;
    {
        let session = session.clone();
        leptos::task::spawn_local(async move {
            let _ = session.workspace().await;
        });
    }
    let org = RwSignal::new(String::new());
    let other = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let urgency = RwSignal::new(String::new());
    let need = RwSignal::new(String::new());
    let goal = RwSignal::new(String::new());
    let record = chart.record;
    let fixed_need = need_id.clone();
    let start_org = organisation_id.clone();
    let reset = Callback::new(move |_| {
        org.set(start_org.clone());
        other.set(String::new());
        let suggested = directory.with_untracked(|d| {
            d.as_ref()
                .and_then(|d| d.organisations.get(&start_org))
                .map(kind_for)
        });
        kind.set(suggested.unwrap_or_default().as_str().to_string());
        reason.set(String::new());
        urgency.set(ReferralUrgency::Routine.as_str().to_string());
        need.set(fixed_need.clone());
        goal.set(String::new());
    });
    let org_options = move || {
        let mut options = vec![(String::new(), "Someone not in the directory".to_string())];
        directory.with(|d| {
            if let Some(d) = d {
                options.extend(
                    d.active()
                        .into_iter()
                        .map(|o| (o.id.clone(), o.name.clone())),
                );
            }
        });
        options
    };
    let need_options = move || {
        let mut options = vec![(String::new(), "No particular need".to_string())];
        record.with(|r| {
            options.extend(
                r.care_plan
                    .needs
                    .iter()
                    .filter(|n| n.is_active())
                    .map(|n| (n.id.clone(), n.description.clone())),
            )
        });
        options
    };
    // The goals of the chosen need (or every active goal when no need is chosen).
    let goal_options = move || {
        let for_need = need.get();
        let mut options = vec![(String::new(), "No particular goal".to_string())];
        record.with(|r| {
            options.extend(
                r.care_plan
                    .goals
                    .iter()
                    .filter(|g| g.is_active() && (for_need.is_empty() || g.need_id == for_need))
                    .map(|g| (g.id.clone(), g.description.clone())),
            )
        });
        options
    };
    // Choosing an organisation suggests the kind of referral.
    Effect::new(move |_| {
        let id = org.get();
        if let Some(k) = directory.with_untracked(|d| {
            d.as_ref()
                .and_then(|d| d.organisations.get(&id))
                .map(kind_for)
        }) {
            kind.set(k.as_str().to_string());
        }
    });
    let build = move || {
        let org_id = org.get_untracked();
        let to = if org_id.is_empty() {
            trimmed(other)
        } else {
            directory
                .with_untracked(|d| {
                    d.as_ref()
                        .and_then(|d| d.organisations.get(&org_id))
                        .map(|o| o.name.clone())
                })
                .unwrap_or_default()
        };
        if to.is_empty() {
            return Err(
                "Choose an organization from the directory, or type who the referral is to."
                    .to_string(),
            );
        }
        Ok(vec![Op::AddReferral {
            referral: Referral {
                id: new_item_id(),
                kind: ReferralKind::parse(&kind.get_untracked()),
                to,
                organisation_id: org_id,
                reason: trimmed(reason),
                urgency: ReferralUrgency::parse(&urgency.get_untracked()),
                need_id: need.get_untracked(),
                goal_id: goal.get_untracked(),
                status: ReferralStatus::Draft,
                ..Default::default()
            },
        }])
    };
    let for_need = !need_id.is_empty();
    let label = if for_need {
        "Refer for this need"
    } else {
        "Refer"
    };
    let nid = need_id.clone();
    let name = Signal::derive(move || {
        if nid.is_empty() {
            return "Refer".to_string();
        }
        let need = record.with(|r| {
            r.care_plan
                .needs
                .iter()
                .find(|n| n.id == nid)
                .map(|n| n.description.clone())
        });
        format!("Refer for this need: {}", need.unwrap_or_default())
    });
    let chart_save = chart.clone();
    let start_open = !organisation_id.is_empty();
    view! {
        <FormToggle open_label=label open_name=name title=name submit_label="Save referral" saved_text="Referral saved as a draft. Mark it sent when it goes out."
            on_open=reset changes=build save=move |ops| chart_save.save(ops) quiet=for_need start_open=start_open>
            {move || view! { <SelectField label="Organization" value=org options=org_options() /> }}
            <Show when=move || org.get().is_empty()>
                <TextField label="Referred to" value=other hint="A specialist, agency or service not in the directory" />
            </Show>
            <SelectField label="Kind of referral" value=kind options=enum_options(ReferralKind::ALL, |k| k.as_str()) />
            <TextField label="Reason" value=reason />
            <SelectField label="Urgency" value=urgency options=enum_options(ReferralUrgency::ALL, |u| u.as_str()) />
            {(!for_need).then(|| view! { {move || view! { <SelectField label="For need" value=need options=need_options() /> }} })}
            {move || view! { <SelectField label="For goal" value=goal options=goal_options() /> }}
        </FormToggle>
    }
}

/// One step of a referral's loop: the date, and what that step needs (appointment, outcome).
#[component]
fn ReferralStep(
    chart: Chart,
    id: String,
    to: Signal<String>,
    status: ReferralStatus,
) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let appointment = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let reset = Callback::new(move |_| {
        date.set(today_iso().as_str().to_string());
        appointment.set(String::new());
        outcome.set(String::new());
        note.set(String::new());
    });
    let (open_label, submit, saved) = match status {
        ReferralStatus::Sent => ("Mark sent", "Mark sent", "Referral marked sent."),
        ReferralStatus::Scheduled => ("Mark scheduled", "Save appointment", "Referral scheduled."),
        ReferralStatus::Completed => ("Record outcome", "Close referral", "Referral completed."),
        ReferralStatus::Declined => ("Declined", "Mark declined", "Referral marked declined."),
        ReferralStatus::Cancelled => ("Cancel referral", "Cancel referral", "Referral cancelled."),
        _ => ("No show", "Mark no show", "Referral marked no show."),
    };
    let st = status.clone();
    let build = move || {
        let date = required_date(date, "date")?;
        let appointment_on = if st == ReferralStatus::Scheduled {
            Some(required_date(appointment, "appointment date")?)
        } else {
            None
        };
        let outcome_text = trimmed(outcome);
        if st == ReferralStatus::Completed && outcome_text.is_empty() {
            return Err(
                "Say what came of the referral: closing the loop needs the outcome.".to_string(),
            );
        }
        Ok(vec![Op::SetReferralStatus {
            id: id.clone(),
            status: st.clone(),
            note: trimmed(note),
            date: Some(date),
            change_id: new_item_id(),
            appointment_on,
            outcome: (!outcome_text.is_empty()).then_some(outcome_text),
        }])
    };
    let name = Signal::derive(move || format!("{open_label}: referral to {}", to.get()));
    let title = Signal::derive(move || format!("{open_label}: referral to {}", to.get()));
    let date_label = match status {
        ReferralStatus::Sent => "Date sent",
        ReferralStatus::Scheduled => "Date scheduled",
        _ => "Date",
    };
    let scheduled = status == ReferralStatus::Scheduled;
    let completed = status == ReferralStatus::Completed;
    view! {
        <FormToggle open_label=open_label open_name=name title=title submit_label=submit saved_text=saved quiet=true
            on_open=reset changes=build save=move |ops| chart.save(ops)>
            <TextField label=date_label value=date kind="date" />
            {scheduled.then(|| view! { <TextField label="Appointment date" value=appointment kind="date" /> })}
            {completed.then(|| view! { <TextArea label="Outcome" value=outcome rows=3 hint="What happened: services started, what the patient received" /> })}
            <TextField label="Note" value=note />
        </FormToggle>
    }
}

#[component]
fn ReferralCard(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let r = entry(record, |r| &r.coordination.referrals, id.clone());
    let to = Signal::derive(move || r.with(|r| r.to.clone()));
    let heading_id = format!("referral-{id}");
    let need_name = move || {
        r.with(|x| {
            record.with(|rec| {
                rec.care_plan
                    .needs
                    .iter()
                    .find(|n| n.id == x.need_id && !x.need_id.is_empty())
                    .map(|n| n.description.clone())
            })
        })
    };
    let goal_name = move || {
        r.with(|x| {
            record.with(|rec| {
                rec.care_plan
                    .goals
                    .iter()
                    .find(|g| g.id == x.goal_id && !x.goal_id.is_empty())
                    .map(|g| g.description.clone())
            })
        })
    };
    let facts = move || {
        r.with(|x| {
            let mut parts = vec![
                humanize(x.kind.as_str()),
                format!("{} urgency", humanize(x.urgency.as_str())),
            ];
            if !x.reason.is_empty() {
                parts.push(x.reason.clone());
            }
            parts.join(" · ")
        })
    };
    let state = move || {
        r.with(|x| {
            let mut s = format!("Status: {}", referral_status_label(&x.status));
            if let Some(d) = &x.sent_on {
                s.push_str(&format!(" · sent {}", format::day(d.as_str())));
            }
            if let Some(d) = &x.appointment_on {
                s.push_str(&format!(" · appointment {}", format::day(d.as_str())));
            }
            if let Some(d) = &x.completed_on {
                s.push_str(&format!(" · completed {}", format::day(d.as_str())));
            }
            s
        })
    };
    let outcome = move || r.with(|x| (!x.outcome.is_empty()).then(|| x.outcome.clone()));
    let history = move || {
        r.with(|x| {
            x.status_changes
                .iter()
                .map(|c| {
                    let mut line = format!(
                        "{}: {} by {}",
                        format::day(c.date.as_str()),
                        referral_status_label(&c.status),
                        c.recorded.user_name
                    );
                    if !c.note.is_empty() {
                        line.push_str(&format!(" ({})", c.note));
                    }
                    line
                })
                .collect::<Vec<_>>()
        })
    };
    let steps = move || {
        let status = r.with(|x| x.status.clone());
        let next: Vec<ReferralStatus> = match status {
            ReferralStatus::Draft => vec![ReferralStatus::Sent, ReferralStatus::Cancelled],
            ReferralStatus::Sent | ReferralStatus::Accepted => vec![
                ReferralStatus::Scheduled,
                ReferralStatus::Completed,
                ReferralStatus::Declined,
                ReferralStatus::Cancelled,
            ],
            ReferralStatus::Scheduled => vec![
                ReferralStatus::Completed,
                ReferralStatus::NoShow,
                ReferralStatus::Cancelled,
            ],
            ReferralStatus::NoShow => vec![ReferralStatus::Scheduled, ReferralStatus::Cancelled],
            _ => Vec::new(),
        };
        let chart = chart.clone();
        let id = r.with_untracked(|x| x.id.clone());
        next.into_iter()
            .map(|s| view! { <ReferralStep chart=chart.clone() id=id.clone() to=to status=s /> })
            .collect_view()
    };
    view! {
        <article class="entry referral" aria-labelledby=heading_id.clone()>
            <h3 id=heading_id.clone()>"Referral to " {to}</h3>
            <p class="entry-main">{facts}</p>
            {move || need_name().map(|n| view! { <p class="muted">{format!("For need: {n}")}</p> })}
            {move || goal_name().map(|g| view! { <p class="muted">{format!("For goal: {g}")}</p> })}
            <p role="status"><strong>{state}</strong></p>
            {move || outcome().map(|o| view! { <p>{format!("Outcome: {o}")}</p> })}
            <ul class="plain history-lines" aria-label=move || format!("Status history of the referral to {}", to.get())>
                {move || history().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            <div class="entry-actions">{steps}</div>
        </article>
    }
}

/// The referrals of one care plan need, with their status and outcome (shown on the need).
#[component]
pub fn NeedReferrals(record: RwSignal<PatientRecord>, need_id: String) -> impl IntoView {
    let lines = Memo::new(move |_| {
        record.with(|r| {
            coordination::referrals_for_need(r, &need_id)
                .into_iter()
                .map(|x| {
                    let mut line =
                        format!("Referral to {}: {}", x.to, referral_status_label(&x.status));
                    if let Some(d) = &x.appointment_on {
                        if x.status == ReferralStatus::Scheduled {
                            line.push_str(&format!(" for {}", format::day(d.as_str())));
                        }
                    }
                    if !x.outcome.is_empty() {
                        line.push_str(&format!(". Outcome: {}", x.outcome));
                    }
                    line
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <Show when=move || !lines.with(Vec::is_empty)>
            <ul class="plain need-referrals" aria-label="Referrals for this need">
                {move || lines.get().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
        </Show>
    }
}

#[component]
fn AddCoverage(chart: Chart) -> impl IntoView {
    let payer = RwSignal::new(String::new());
    let plan = RwSignal::new(String::new());
    let member = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let rank = RwSignal::new(String::new());
    let window = RwSignal::new(String::new());
    let reset = Callback::new(move |_| {
        for f in [payer, plan, member, group, from, to, window] {
            f.set(String::new());
        }
        rank.set(CoverageRank::Primary.as_str().to_string());
    });
    let build = move || {
        let payer_name = trimmed(payer);
        if payer_name.is_empty() {
            return Err("Enter the payer (the insurer).".to_string());
        }
        Ok(vec![Op::AddCoverage {
            coverage: Coverage {
                id: new_item_id(),
                payer: payer_name,
                plan: trimmed(plan),
                member_id: trimmed(member),
                group: trimmed(group),
                effective_from: optional_date(from, "effective date")?,
                effective_to: optional_date(to, "end date")?,
                rank: CoverageRank::parse(&rank.get_untracked()),
                appeal_window_days: number(window, "appeal window")?,
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add insurance" title="Add insurance" submit_label="Save insurance" saved_text="Insurance added."
            on_open=reset changes=build save=move |ops| chart.save(ops)>
            <TextField label="Payer" value=payer />
            <TextField label="Plan" value=plan />
            <TextField label="Member id" value=member />
            <TextField label="Group number" value=group />
            <TextField label="Effective from" value=from kind="date" />
            <TextField label="Effective to" value=to kind="date" />
            <SelectField label="Order" value=rank options=enum_options(CoverageRank::ALL, |r| r.as_str()) />
            <TextField label="Appeal window (days)" value=window kind="number" hint="How long this payer allows for an appeal; 60 if left empty" />
        </FormToggle>
    }
}

#[component]
fn RequestAuthorization(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let payer = RwSignal::new(String::new());
    let service = RwSignal::new(String::new());
    let units = RwSignal::new(String::new());
    let reference = RwSignal::new(String::new());
    let requested = RwSignal::new(String::new());
    let reset = Callback::new(move |_| {
        let primary =
            record.with_untracked(|r| coordination::coverages(r).first().map(|c| c.payer.clone()));
        payer.set(primary.unwrap_or_default());
        service.set(String::new());
        units.set(String::new());
        reference.set(String::new());
        requested.set(today_iso().as_str().to_string());
    });
    let build = move || {
        let (p, s) = (trimmed(payer), trimmed(service));
        if p.is_empty() || s.is_empty() {
            return Err("Enter the payer and the service.".to_string());
        }
        Ok(vec![Op::AddAuthorization {
            authorization: Authorization {
                id: new_item_id(),
                payer: p,
                service: s,
                reference: trimmed(reference),
                units_requested: number(units, "units requested")?,
                requested_on: Some(required_date(requested, "request date")?),
                status: AuthorizationStatus::Requested,
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Request authorization" title="Request an authorization" submit_label="Save request"
            saved_text="Authorization request saved." on_open=reset changes=build save=move |ops| chart.save(ops)>
            <TextField label="Payer" value=payer />
            <TextField label="Service" value=service hint="e.g. Home health visits, power wheelchair" />
            <TextField label="Units or visits requested" value=units kind="number" />
            <TextField label="Reference number" value=reference />
            <TextField label="Requested on" value=requested kind="date" />
        </FormToggle>
    }
}

/// The payer's decision, an appeal, or the appeal's decision.
#[component]
fn AuthorizationStep(
    chart: Chart,
    id: String,
    what: Signal<String>,
    step: &'static str,
) -> impl IntoView {
    let record = chart.record;
    let status = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let units = RwSignal::new(String::new());
    let valid_to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let statement = RwSignal::new(String::new());
    let alternative = RwSignal::new(String::new());
    let window = RwSignal::new(String::new());
    let aid = id.clone();
    let reset = Callback::new(move |_| {
        date.set(today_iso().as_str().to_string());
        for f in [units, valid_to, reason, statement, alternative] {
            f.set(String::new());
        }
        let a = record
            .with_untracked(|r| {
                r.coordination
                    .authorizations
                    .iter()
                    .find(|a| a.id == aid)
                    .cloned()
            })
            .unwrap_or_default();
        statement.set(a.medical_necessity.as_str().to_string());
        alternative.set(a.alternative_plan.clone());
        let payer_window = record.with_untracked(|r| {
            coordination::coverage_of_payer(r, &a.payer).and_then(|c| c.appeal_window_days)
        });
        window.set(
            a.appeal_window_days
                .or(payer_window)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        status.set(
            match step {
                "appeal" => AuthorizationStatus::Appealed,
                "appeal_decision" => AuthorizationStatus::AppealApproved,
                _ => AuthorizationStatus::Approved,
            }
            .as_str()
            .to_string(),
        );
    });
    let build = move || {
        let st = AuthorizationStatus::parse(&status.get_untracked());
        let d = required_date(date, "date")?;
        let mut decision = AuthorizationDecision::default();
        match st {
            AuthorizationStatus::Approved
            | AuthorizationStatus::PartiallyApproved
            | AuthorizationStatus::AppealApproved => {
                decision.units_approved = number(units, "units approved")?;
                decision.valid_to = optional_date(valid_to, "approved-until date")?;
            }
            AuthorizationStatus::Denied => {
                let why = trimmed(reason);
                if why.is_empty() {
                    return Err("Enter the reason the payer gave for the denial.".to_string());
                }
                decision.denial_reason = Some(why);
                decision.appeal_window_days = number(window, "appeal window")?;
            }
            AuthorizationStatus::Appealed => {
                let text = trimmed(statement);
                if text.is_empty() {
                    return Err(
                        "Write the medical-necessity statement the appeal makes.".to_string()
                    );
                }
                decision.medical_necessity = Some(text);
                let alt = trimmed(alternative);
                decision.alternative_plan = (!alt.is_empty()).then_some(alt);
            }
            _ => {}
        }
        Ok(vec![Op::SetAuthorizationStatus {
            id: id.clone(),
            status: st,
            date: Some(d),
            change_id: new_item_id(),
            note: String::new(),
            decision,
        }])
    };
    let (open_label, submit) = match step {
        "appeal" => ("Appeal", "Save appeal"),
        "appeal_decision" => ("Record appeal decision", "Save decision"),
        _ => ("Record decision", "Save decision"),
    };
    let options: Vec<AuthorizationStatus> = match step {
        "appeal" => vec![AuthorizationStatus::Appealed],
        "appeal_decision" => vec![
            AuthorizationStatus::AppealApproved,
            AuthorizationStatus::AppealDenied,
        ],
        _ => vec![
            AuthorizationStatus::Approved,
            AuthorizationStatus::PartiallyApproved,
            AuthorizationStatus::Denied,
        ],
    };
    let options: Vec<(String, String)> = options
        .iter()
        .map(|s| (s.as_str().to_string(), authorization_status_label(s)))
        .collect();
    let name = Signal::derive(move || format!("{open_label}: {}", what.get()));
    let shows = move |wanted: &[AuthorizationStatus]| {
        let now = AuthorizationStatus::parse(&status.get());
        wanted.contains(&now)
    };
    view! {
        <FormToggle open_label=open_label open_name=name title=name submit_label=submit saved_text="Authorization updated."
            quiet=true on_open=reset changes=build save=move |ops| chart.save(ops)>
            {(step != "appeal").then(|| view! { <SelectField label="Decision" value=status options=options.clone() /> })}
            <TextField label=if step == "appeal" { "Date appealed" } else { "Decided on" } value=date kind="date" />
            <Show when=move || shows(&[AuthorizationStatus::Approved, AuthorizationStatus::PartiallyApproved, AuthorizationStatus::AppealApproved])>
                <TextField label="Units or visits approved" value=units kind="number" />
                <TextField label="Approved until" value=valid_to kind="date" />
            </Show>
            <Show when=move || shows(&[AuthorizationStatus::Denied])>
                <TextField label="Reason for denial" value=reason />
                <TextField label="Appeal window (days)" value=window kind="number" hint="From the denial notice; 60 if left empty" />
            </Show>
            <Show when=move || shows(&[AuthorizationStatus::Appealed])>
                <TextArea label="Medical-necessity statement" value=statement rows=6 />
                <TextArea label="Alternative plan" value=alternative rows=3 hint="What the patient can do meanwhile or instead" />
            </Show>
        </FormToggle>
    }
}

#[component]
fn RecordUse(chart: Chart, id: String, what: Signal<String>) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let units = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let reset = Callback::new(move |_| {
        date.set(today_iso().as_str().to_string());
        units.set("1".into());
        note.set(String::new());
    });
    let build = move || {
        let n = number(units, "units")?
            .filter(|n| *n > 0)
            .ok_or("Enter how many units were used.")?;
        Ok(vec![Op::RecordAuthorizationUse {
            authorization_id: id.clone(),
            entry: AuthorizationUse {
                id: new_item_id(),
                date: required_date(date, "date")?,
                units: n,
                note: trimmed(note),
                ..Default::default()
            },
        }])
    };
    let name = Signal::derive(move || format!("Record units used: {}", what.get()));
    view! {
        <FormToggle open_label="Record units used" open_name=name title=name submit_label="Save" saved_text="Units recorded."
            quiet=true on_open=reset changes=build save=move |ops| chart.save(ops)>
            <TextField label="Date" value=date kind="date" />
            <TextField label="Units used" value=units kind="number" />
            <TextField label="Note" value=note />
        </FormToggle>
    }
}

#[component]
fn AuthorizationCard(chart: Chart, id: String) -> impl IntoView {
    let record = chart.record;
    let a = entry(record, |r| &r.coordination.authorizations, id.clone());
    let what = Signal::derive(move || a.with(|a| format!("{} ({})", a.service, a.payer)));
    let heading_id = format!("auth-{id}");
    let today = today_iso();
    let lines = move || {
        a.with(|a| {
            let mut out = Vec::new();
            if !a.reference.is_empty() {
                out.push(format!("Reference {}", a.reference));
            }
            let mut units = Vec::new();
            if let Some(n) = a.units_requested {
                units.push(format!("{n} requested"));
            }
            if let Some(n) = a.units_approved {
                units.push(format!("{n} approved"));
                units.push(format!("{} used", units_used(a)));
                if let Some(left) = units_left(a) {
                    units.push(format!("{left} left"));
                }
            }
            if !units.is_empty() {
                out.push(format!("Units: {}", units.join(", ")));
            }
            if let Some(d) = &a.valid_to {
                out.push(format!("Approved until {}", format::day(d.as_str())));
            }
            if a.status == AuthorizationStatus::Denied || a.denied_on.is_some() {
                if !a.denial_reason.is_empty() {
                    out.push(format!(
                        "Denied {}: {}",
                        date_text(&a.denied_on),
                        a.denial_reason
                    ));
                }
            }
            out
        })
    };
    let deadline = move || {
        a.with(|a| {
            if a.status != AuthorizationStatus::Denied {
                return None;
            }
            let due = appeal_deadline(a)?;
            let days = due.date()?.signed_duration_since(today.date()?).num_days();
            Some(if days < 0 {
                format!(
                    "Appeal deadline passed on {} ({} days ago)",
                    format::day(due.as_str()),
                    -days
                )
            } else {
                format!(
                    "Appeal by {} ({days} days left; {}-day window)",
                    format::day(due.as_str()),
                    appeal_window_days(a)
                )
            })
        })
    };
    let appeal = move || {
        a.with(|a| {
            (!a.medical_necessity.as_str().is_empty() && a.appealed_on.is_some()).then(|| {
                (
                    a.medical_necessity.as_str().to_string(),
                    a.alternative_plan.clone(),
                )
            })
        })
    };
    let history = move || {
        a.with(|a| {
            a.status_changes
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} by {}",
                        format::day(c.date.as_str()),
                        authorization_status_label(&c.status),
                        c.recorded.user_name
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let actions = move || {
        let status = a.with(|a| a.status.clone());
        let chart = chart.clone();
        let id = a.with_untracked(|a| a.id.clone());
        match status {
            AuthorizationStatus::Requested => {
                view! { <AuthorizationStep chart=chart id=id what=what step="decision" /> }
                    .into_any()
            }
            AuthorizationStatus::Denied => {
                view! { <AuthorizationStep chart=chart id=id what=what step="appeal" /> }.into_any()
            }
            AuthorizationStatus::Appealed => {
                view! { <AuthorizationStep chart=chart id=id what=what step="appeal_decision" /> }
                    .into_any()
            }
            AuthorizationStatus::Approved
            | AuthorizationStatus::PartiallyApproved
            | AuthorizationStatus::AppealApproved => {
                view! { <RecordUse chart=chart id=id what=what /> }.into_any()
            }
            _ => ().into_any(),
        }
    };
    view! {
        <article class="entry authorization" aria-labelledby=heading_id.clone()>
            <h3 id=heading_id.clone()>{move || a.with(|a| format!("{} — {}", a.service, a.payer))}</h3>
            <p role="status"><strong>{move || a.with(|a| format!("Status: {}", authorization_status_label(&a.status)))}</strong></p>
            <ul class="plain">{move || lines().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            {move || deadline().map(|d| view! { <p class="warn"><strong>{d}</strong></p> })}
            {move || appeal().map(|(statement, alt)| view! {
                <h4>"Medical-necessity statement"</h4>
                <p class="narrative">{statement}</p>
                {(!alt.is_empty()).then(|| view! { <p>{format!("Alternative plan: {alt}")}</p> })}
            })}
            <ul class="plain history-lines" aria-label=move || format!("Status history of {}", what.get())>
                {move || history().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            <div class="entry-actions">{actions}</div>
        </article>
    }
}

#[component]
fn AddAdvocacy(chart: Chart) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let topic = RwSignal::new(String::new());
    let with_whom = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let reset = Callback::new(move |_| {
        date.set(today_iso().as_str().to_string());
        for f in [topic, with_whom, outcome, text] {
            f.set(String::new());
        }
    });
    let build = move || {
        let what = trimmed(topic);
        if what.is_empty() {
            return Err("Say what the advocacy was about.".to_string());
        }
        Ok(vec![Op::AddAdvocacyNote {
            note: AdvocacyNote {
                id: new_item_id(),
                date: required_date(date, "date")?,
                topic: what,
                with_whom: trimmed(with_whom),
                outcome: trimmed(outcome),
                text: Narrative::new(trimmed(text)),
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle open_label="Add advocacy note" title="Add an advocacy note" submit_label="Save note"
            saved_text="Advocacy note saved." on_open=reset changes=build save=move |ops| chart.save(ops)>
            <TextField label="Date" value=date kind="date" />
            <TextField label="What" value=topic hint="e.g. Disputed a pharmacy charge" />
            <TextField label="With whom" value=with_whom />
            <TextField label="Outcome" value=outcome />
            <TextArea label="Notes" value=text rows=3 />
        </FormToggle>
    }
}
