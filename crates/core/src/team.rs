//! The care team: whose patients are whose, who may change a chart, and the supervisor's
//! dashboard — all computed from caseload summaries, so they work offline with thousands of
//! patients and never open a document.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::billing::program_months;
use crate::record::{PersonRole, ProgramKind};
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
    /// The patients, as indices into the summaries given to [`dashboard`], in their order (no
    /// id is copied: with 10,000 patients the dashboard stays well within a frame budget).
    pub patients: Vec<usize>,
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

/// What each measure counts, in order; a patient's measures are a bit set over this list.
/// Every patient lands in exactly one tier measure.
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

/// The bit of measure `id` (its place in [`MEASURES`]).
const fn bit(i: usize) -> u32 {
    1 << i
}
const CASELOAD: u32 = bit(0);
const TIER_VERY_HIGH: u32 = bit(1);
const TIER_HIGH: u32 = bit(2);
const TIER_MODERATE: u32 = bit(3);
const TIER_LOW: u32 = bit(4);
const TIER_NONE: u32 = bit(5);
const OVERDUE: u32 = bit(6);
const TCM_DUE: u32 = bit(7);
const NO_PLAN: u32 = bit(8);
const PLAN_REVIEW: u32 = bit(9);
const BELOW_THRESHOLD: u32 = bit(10);
const BILLABLE: u32 = bit(11);
const REFERRALS_STALE: u32 = bit(12);

/// A stored "YYYY-MM-DD" day, read without allocating (summaries hold thousands of them).
fn day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// The measures a patient counts in on `today`, and their CCM/PCM minutes this month.
fn classify(s: &PatientSummary, today: NaiveDate, month: YearMonth) -> (u32, u32) {
    let mut bits = CASELOAD;
    bits |= match s.risk_tier.as_deref().and_then(RiskTier::from_id) {
        Some(RiskTier::VeryHigh) => TIER_VERY_HIGH,
        Some(RiskTier::High) => TIER_HIGH,
        Some(RiskTier::Moderate) => TIER_MODERATE,
        Some(RiskTier::Low) => TIER_LOW,
        None => TIER_NONE,
    };
    if s.next_due
        .as_ref()
        .and_then(|d| day(&d.date))
        .is_some_and(|d| d < today)
    {
        bits |= OVERDUE;
    }
    if s.transition_steps
        .iter()
        .any(|d| day(&d.date).is_some_and(|d| d <= today))
    {
        bits |= TCM_DUE;
    }
    match s.plan_reviewed_on.as_deref().and_then(day) {
        None => bits |= NO_PLAN,
        Some(d) if (today - d).num_days() > PLAN_REVIEW_DAYS => bits |= PLAN_REVIEW,
        Some(_) => {}
    }
    let mut minutes = 0;
    let time_billed = s
        .billing
        .enrollments
        .iter()
        .any(|e| matches!(e.program, ProgramKind::Ccm | ProgramKind::Pcm));
    if time_billed {
        for m in program_months(&s.billing, month) {
            if !matches!(m.program, ProgramKind::Ccm | ProgramKind::Pcm) {
                continue;
            }
            minutes += m.minutes_logged;
            if m.codes.is_empty() {
                bits |= BELOW_THRESHOLD;
            } else if m.billable() {
                bits |= BILLABLE;
            }
        }
    }
    let stale = s.coordination.referrals.iter().any(|r| {
        r.sent_on
            .as_ref()
            .and_then(|d| day(d.as_str()))
            .is_some_and(|d| (today - d).num_days() > REFERRAL_STALE_DAYS)
    });
    if stale {
        bits |= REFERRALS_STALE;
    }
    (bits, minutes)
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

fn count_in(row: &mut DashboardRow, index: usize, bits: u32, minutes: u32) {
    row.ccm_pcm_minutes = row.ccm_pcm_minutes.saturating_add(minutes);
    for (i, m) in row.measures.iter_mut().enumerate() {
        if bits & bit(i) != 0 {
            m.patients.push(index);
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
    let month = YearMonth::of(today);
    for (index, s) in summaries.iter().enumerate() {
        let (bits, minutes) = classify(s, today, month);
        count_in(&mut team, index, bits, minutes);
        if s.care_manager.is_empty() {
            count_in(&mut unassigned, index, bits, minutes);
            continue;
        }
        let row = by_person.entry(s.care_manager.as_str()).or_insert_with(|| {
            let name = people.get(&s.care_manager).map_or_else(
                || "Someone not on the roster".to_string(),
                |p| p.name.clone(),
            );
            empty_row(Scope::Person(s.care_manager.clone()), name)
        });
        count_in(row, index, bits, minutes);
    }
    let mut rows: Vec<DashboardRow> = by_person.into_values().collect();
    rows.sort_by_key(|r| r.name.to_lowercase());
    rows.insert(0, team);
    if !unassigned.measures[0].patients.is_empty() {
        rows.push(unassigned);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_like_iso_dates_and_bad_ones_are_none() {
        for s in ["2026-02-28", "2024-02-29", "0001-01-01", "9999-12-31"] {
            assert_eq!(day(s), crate::record::IsoDate(s.into()).date(), "{s}");
        }
        for s in [
            "2026-02-30",
            "2026-13-01",
            "26-02-01",
            "2026/02/01",
            "2026-0a-01",
            "",
            "2026-02-011",
            "２０２６-02-01",
        ] {
            assert_eq!(day(s), None, "{s}");
        }
    }

    #[test]
    fn the_measure_bits_follow_the_measure_list() {
        let named = [
            ("caseload", CASELOAD),
            ("tier_very_high", TIER_VERY_HIGH),
            ("tier_high", TIER_HIGH),
            ("tier_moderate", TIER_MODERATE),
            ("tier_low", TIER_LOW),
            ("tier_none", TIER_NONE),
            ("overdue", OVERDUE),
            ("tcm_due", TCM_DUE),
            ("no_plan", NO_PLAN),
            ("plan_review", PLAN_REVIEW),
            ("below_threshold", BELOW_THRESHOLD),
            ("billable", BILLABLE),
            ("referrals_stale", REFERRALS_STALE),
        ];
        assert_eq!(named.len(), MEASURES.len());
        for (i, (id, b)) in named.iter().enumerate() {
            assert_eq!(MEASURES[i].0, *id);
            assert_eq!(*b, bit(i));
        }
    }
}
