//! The care team: whose patients are whose, who may change a chart, and the supervisor's
//! dashboard — all computed from caseload summaries, so they work offline with thousands of
//! patients and never open a document.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::billing::program_months;
use crate::record::{IsoDate, PersonRole, ProgramKind};
use crate::rules::programs::YearMonth;
use crate::rules::risk::RiskTier;
use crate::summary::PatientSummary;
use crate::workspace::Person;

/// A care plan not revised for this many days is due for review.
pub const PLAN_REVIEW_DAYS: i64 = 90;

/// A referral still open this many days after it was sent needs chasing.
pub const REFERRAL_STALE_DAYS: i64 = 14;

/// Whether the patient is in `person_id`'s caseload: their primary care manager, on their care
/// team, or not assigned to anyone (a patient from before teams belongs to everyone until a
/// supervisor assigns them).
pub fn in_caseload_of(summary: &PatientSummary, person_id: &str) -> bool {
    summary.care_manager.is_empty()
        || summary.care_manager == person_id
        || summary.care_team.iter().any(|p| p == person_id)
}

/// Whether a person may change this patient's chart: team leads always; care staff when the
/// patient is in their caseload. (Everyone may read what the device holds.)
pub fn may_edit(
    care_manager: &str,
    care_team: &[String],
    person_id: &str,
    role: &PersonRole,
) -> bool {
    role.leads_team()
        || care_manager.is_empty()
        || care_manager == person_id
        || care_team.iter().any(|p| p == person_id)
}

/// One number of the dashboard and the patients behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// Stable id ("caseload", "tier_high", "overdue", ...), used in links.
    pub id: &'static str,
    pub label: &'static str,
    /// Patient ids, in caseload order.
    pub patients: Vec<String>,
}

/// The dashboard of one person (their primary caseload), of the whole team, or of the patients
/// no one is assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DashboardRow {
    pub scope: Scope,
    /// The person's name, "Whole team" or "Not assigned".
    pub name: String,
    pub measures: Vec<Measure>,
    /// CCM and PCM minutes logged this month by everyone for these patients.
    pub ccm_pcm_minutes: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Scope {
    Team,
    Person(String),
    Unassigned,
}

impl Scope {
    /// The id used in links: "team", the person id, or "unassigned".
    pub fn id(&self) -> &str {
        match self {
            Scope::Team => "team",
            Scope::Person(id) => id,
            Scope::Unassigned => "unassigned",
        }
    }
}

/// What each measure counts. Every patient lands in exactly one tier measure.
const MEASURES: &[(&str, &str)] = &[
    ("caseload", "Patients"),
    ("tier_very_high", "Very high risk"),
    ("tier_high", "High risk"),
    ("tier_moderate", "Moderate risk"),
    ("tier_low", "Low risk"),
    ("tier_none", "Risk not assessed"),
    ("overdue", "Overdue follow-ups or plan actions"),
    ("tcm_due", "Transition-of-care steps due or missed"),
    ("no_plan", "No care plan"),
    ("plan_review", "Care plan not reviewed in 90 days"),
    (
        "below_threshold",
        "CCM/PCM below the billable minutes this month",
    ),
    ("billable", "CCM/PCM billable this month"),
    ("referrals_stale", "Referrals open more than 14 days"),
];

/// The ids of the measures a patient counts in on `today` (besides "caseload"), and their
/// CCM/PCM minutes this month.
fn classify(s: &PatientSummary, today: NaiveDate) -> (Vec<&'static str>, u32) {
    let mut ids = Vec::new();
    ids.push(match s.risk_tier.as_deref().and_then(RiskTier::from_id) {
        Some(RiskTier::VeryHigh) => "tier_very_high",
        Some(RiskTier::High) => "tier_high",
        Some(RiskTier::Moderate) => "tier_moderate",
        Some(RiskTier::Low) => "tier_low",
        None => "tier_none",
    });
    let before_today = |d: &str| IsoDate(d.to_string()).date().is_some_and(|d| d < today);
    let by_today = |d: &str| IsoDate(d.to_string()).date().is_some_and(|d| d <= today);
    if s.next_due.as_ref().is_some_and(|d| before_today(&d.date)) {
        ids.push("overdue");
    }
    if s.transition_steps.iter().any(|d| by_today(&d.date)) {
        ids.push("tcm_due");
    }
    match s
        .plan_reviewed_on
        .as_deref()
        .and_then(|d| IsoDate(d.to_string()).date())
    {
        None => ids.push("no_plan"),
        Some(d) if (today - d).num_days() > PLAN_REVIEW_DAYS => ids.push("plan_review"),
        Some(_) => {}
    }
    let mut minutes = 0;
    let mut below = false;
    let mut billable = false;
    for m in program_months(&s.billing, YearMonth::of(today)) {
        if !matches!(m.program, ProgramKind::Ccm | ProgramKind::Pcm) {
            continue;
        }
        minutes += m.minutes_logged;
        if m.codes.is_empty() {
            below = true;
        } else if m.billable() {
            billable = true;
        }
    }
    if below {
        ids.push("below_threshold");
    }
    if billable {
        ids.push("billable");
    }
    let stale = s.coordination.referrals.iter().any(|r| {
        r.sent_on
            .as_ref()
            .and_then(IsoDate::date)
            .is_some_and(|d| (today - d).num_days() > REFERRAL_STALE_DAYS)
    });
    if stale {
        ids.push("referrals_stale");
    }
    (ids, minutes)
}

fn empty_row(scope: Scope, name: String) -> DashboardRow {
    DashboardRow {
        scope,
        name,
        measures: MEASURES
            .iter()
            .map(|(id, label)| Measure {
                id,
                label,
                patients: Vec::new(),
            })
            .collect(),
        ccm_pcm_minutes: 0,
    }
}

fn count_in(row: &mut DashboardRow, id: &str, ids: &[&'static str], minutes: u32) {
    row.ccm_pcm_minutes = row.ccm_pcm_minutes.saturating_add(minutes);
    for m in &mut row.measures {
        if m.id == "caseload" || ids.contains(&m.id) {
            m.patients.push(id.to_string());
        }
    }
}

/// The dashboard on `today`: the whole team first, then each person of the roster with a
/// caseload or an active care role (by name), then the patients no one is assigned to (if any).
/// A person's row counts the patients they are primary care manager of.
pub fn dashboard(
    summaries: &[PatientSummary],
    people: &BTreeMap<String, Person>,
    today: NaiveDate,
) -> Vec<DashboardRow> {
    let mut team = empty_row(Scope::Team, "Whole team".into());
    let mut by_person: BTreeMap<&str, DashboardRow> = BTreeMap::new();
    let mut unassigned = empty_row(Scope::Unassigned, "Not assigned".into());
    for p in people.values() {
        if p.active && !p.role.leads_team() {
            by_person.insert(
                p.id.as_str(),
                empty_row(Scope::Person(p.id.clone()), p.name.clone()),
            );
        }
    }
    for s in summaries {
        let (ids, minutes) = classify(s, today);
        count_in(&mut team, &s.id, &ids, minutes);
        if s.care_manager.is_empty() {
            count_in(&mut unassigned, &s.id, &ids, minutes);
            continue;
        }
        let row = by_person.entry(s.care_manager.as_str()).or_insert_with(|| {
            let name = people.get(&s.care_manager).map_or_else(
                || "Someone not on the roster".to_string(),
                |p| p.name.clone(),
            );
            empty_row(Scope::Person(s.care_manager.clone()), name)
        });
        count_in(row, &s.id, &ids, minutes);
    }
    let mut rows: Vec<DashboardRow> = by_person.into_values().collect();
    rows.sort_by_key(|r| r.name.to_lowercase());
    rows.insert(0, team);
    if !unassigned.measures[0].patients.is_empty() {
        rows.push(unassigned);
    }
    rows
}
