//! Coordinating services, read from the record: which referrals are stuck (sent and not
//! scheduled, an appointment passed without an outcome, open too long), the appeal window of a
//! denied authorisation, and approvals running out (end date near, units used up). Nothing here
//! is stored: what is due is derived from the merged facts ([`crate::record::Referral`],
//! [`crate::record::Authorization`]).
//!
//! Today reads these from summaries alone: [`CoordinationFacts::of`] reduces a record to the dated
//! facts (no "today" in them), the summary carries them, and [`due_items`] compares them with the
//! day the screen is shown, so "overdue" is always against the real today.
//!
//! Rules:
//! - A sent (or accepted) referral not yet scheduled is due to be scheduled within
//!   [`EMERGENT_SCHEDULE_DAYS`], [`URGENT_SCHEDULE_DAYS`] or [`ROUTINE_SCHEDULE_DAYS`] of sending,
//!   by urgency; it is listed from that day and overdue after it.
//! - A scheduled referral whose appointment day has passed and is still "scheduled" asks for its
//!   outcome (overdue from the day after the appointment).
//! - Any other referral still open (sent, accepted, scheduled with a later appointment) is listed
//!   once more than [`OPEN_REFERRAL_DAYS`] days have passed since sending. One item per referral.
//! - A denial not yet appealed is listed from the day it is recorded with its appeal deadline
//!   ([`appeal_deadline`]: the denial date plus the payer's window, [`DEFAULT_APPEAL_WINDOW_DAYS`]
//!   when not known), overdue after the deadline.
//! - An approval (also partial, also on appeal) is listed from [`EXPIRY_NOTICE_DAYS`] days before
//!   its last valid day until as many days after it, overdue after it; and once its approved units
//!   are used up (due the day of the use that used them up).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::record::*;

/// The appeal window when the payer's is not recorded (days from the denial).
pub const DEFAULT_APPEAL_WINDOW_DAYS: u64 = 60;
/// Days after sending by which an emergent referral should be scheduled.
pub const EMERGENT_SCHEDULE_DAYS: u64 = 1;
/// Days after sending by which an urgent referral should be scheduled.
pub const URGENT_SCHEDULE_DAYS: u64 = 3;
/// Days after sending by which a routine referral should be scheduled.
pub const ROUTINE_SCHEDULE_DAYS: u64 = 14;
/// A referral still open this many days after sending is listed (the loop is not closed).
pub const OPEN_REFERRAL_DAYS: u64 = 14;
/// How many days before (and after) an approval's last valid day it is listed.
pub const EXPIRY_NOTICE_DAYS: u64 = 14;

fn date(d: &Option<IsoDate>) -> Option<NaiveDate> {
    d.as_ref().and_then(IsoDate::date)
}

fn plus(d: NaiveDate, days: u64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(days))
}

/// Days after sending by which a referral of this urgency should be scheduled.
pub fn schedule_within_days(urgency: &ReferralUrgency) -> u64 {
    match urgency {
        ReferralUrgency::Emergent => EMERGENT_SCHEDULE_DAYS,
        ReferralUrgency::Urgent => URGENT_SCHEDULE_DAYS,
        ReferralUrgency::Routine | ReferralUrgency::Other(_) => ROUTINE_SCHEDULE_DAYS,
    }
}

/// Whether the referral's loop is still open: sent and not yet completed, declined, cancelled or
/// missed (a draft is not open; neither is a status this build does not know).
pub fn referral_open(status: &ReferralStatus) -> bool {
    matches!(
        status,
        ReferralStatus::Sent | ReferralStatus::Accepted | ReferralStatus::Scheduled
    )
}

/// Whether the status is an approval (in full, in part, or on appeal).
pub fn approved(status: &AuthorizationStatus) -> bool {
    matches!(
        status,
        AuthorizationStatus::Approved
            | AuthorizationStatus::PartiallyApproved
            | AuthorizationStatus::AppealApproved
    )
}

/// The payer's appeal window for this authorisation, in days.
pub fn appeal_window_days(a: &Authorization) -> u64 {
    a.appeal_window_days.unwrap_or(DEFAULT_APPEAL_WINDOW_DAYS)
}

/// The last day to appeal a denial: the denial date plus the appeal window (calendar days).
/// `None` without a denial date.
pub fn appeal_deadline(a: &Authorization) -> Option<IsoDate> {
    plus(date(&a.denied_on)?, appeal_window_days(a)).map(IsoDate::new)
}

fn active_uses(a: &Authorization) -> impl Iterator<Item = &AuthorizationUse> {
    a.uses.iter().filter(|u| u.is_active())
}

/// Units recorded as used (uses not retired).
pub fn units_used(a: &Authorization) -> u64 {
    active_uses(a).fold(0u64, |sum, u| sum.saturating_add(u.units))
}

/// Approved units not used yet; `None` when no number of units was approved.
pub fn units_left(a: &Authorization) -> Option<u64> {
    a.units_approved.map(|n| n.saturating_sub(units_used(a)))
}

/// The day the approved units ran out: the date of the use that reached the number approved.
fn used_up_on(a: &Authorization) -> Option<IsoDate> {
    let approved = a.units_approved?;
    let mut uses: Vec<&AuthorizationUse> = active_uses(a).collect();
    uses.sort_by_key(|u| (u.date.date(), u.recorded.at));
    let mut sum = 0u64;
    for u in uses {
        sum = sum.saturating_add(u.units);
        if sum >= approved {
            return Some(u.date.clone());
        }
    }
    None
}

/// The referrals (not retired) made for a care-plan need, oldest first, so the need can show its
/// referral and what came of it.
pub fn referrals_for_need<'a>(record: &'a PatientRecord, need_id: &str) -> Vec<&'a Referral> {
    referrals_where(record, |r| !need_id.is_empty() && r.need_id == need_id)
}

/// The referrals (not retired) made for a care-plan goal, oldest first.
pub fn referrals_for_goal<'a>(record: &'a PatientRecord, goal_id: &str) -> Vec<&'a Referral> {
    referrals_where(record, |r| !goal_id.is_empty() && r.goal_id == goal_id)
}

fn referrals_where(record: &PatientRecord, keep: impl Fn(&Referral) -> bool) -> Vec<&Referral> {
    let mut out: Vec<&Referral> = record
        .coordination
        .referrals
        .iter()
        .filter(|r| r.is_active() && keep(r))
        .collect();
    out.sort_by_key(|r| r.recorded.at);
    out
}

/// The active insurance plans, primary first (then secondary, tertiary, then as recorded).
pub fn coverages(record: &PatientRecord) -> Vec<&Coverage> {
    let rank = |c: &Coverage| match c.rank {
        CoverageRank::Primary => 0,
        CoverageRank::Secondary => 1,
        CoverageRank::Tertiary => 2,
        CoverageRank::Other(_) => 3,
    };
    let mut out: Vec<&Coverage> = record
        .profile
        .coverages
        .iter()
        .filter(|c| c.is_active())
        .collect();
    out.sort_by_key(|c| (rank(c), c.recorded.at));
    out
}

/// The active coverage of the payer named `payer` (compared trimmed, ignoring case), if any: its
/// appeal window is the one a denial by that payer gets when none is given.
pub fn coverage_of_payer<'a>(record: &'a PatientRecord, payer: &str) -> Option<&'a Coverage> {
    let payer = payer.trim();
    if payer.is_empty() {
        return None;
    }
    coverages(record)
        .into_iter()
        .find(|c| c.payer.trim().eq_ignore_ascii_case(payer))
}

// ---------------------------------------------------------------------------------------------
// Facts carried in the summary

/// What the worklist needs of an open referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralFacts {
    pub id: String,
    /// Who it was sent to.
    pub to: String,
    pub urgency: ReferralUrgency,
    pub status: ReferralStatus,
    pub sent_on: Option<IsoDate>,
    pub appointment_on: Option<IsoDate>,
}

/// What the worklist needs of a denied or approved authorisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationFacts {
    pub id: String,
    pub service: String,
    pub payer: String,
    pub status: AuthorizationStatus,
    /// A denial not yet appealed: the last day to appeal.
    pub appeal_by: Option<IsoDate>,
    /// An approval: its last valid day.
    pub valid_to: Option<IsoDate>,
    /// An approval whose units are used up: the day they ran out.
    pub used_up_on: Option<IsoDate>,
}

/// A record reduced to the dated facts the coordination worklist needs; stored in the caseload
/// summary (it does not depend on today).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinationFacts {
    /// Open referrals (sent, accepted or scheduled), not retired.
    pub referrals: Vec<ReferralFacts>,
    /// Denials not yet appealed and approvals, not retired.
    pub authorizations: Vec<AuthorizationFacts>,
}

impl CoordinationFacts {
    pub fn of(record: &PatientRecord) -> Self {
        let c = &record.coordination;
        let referrals = c
            .referrals
            .iter()
            .filter(|r| r.is_active() && referral_open(&r.status))
            .map(|r| ReferralFacts {
                id: r.id.clone(),
                to: r.to.clone(),
                urgency: r.urgency.clone(),
                status: r.status.clone(),
                sent_on: r.sent_on.clone(),
                appointment_on: r.appointment_on.clone(),
            })
            .collect();
        let authorizations = c
            .authorizations
            .iter()
            .filter(|a| a.is_active())
            .filter_map(|a| {
                let denied = a.status == AuthorizationStatus::Denied && a.appealed_on.is_none();
                let facts = AuthorizationFacts {
                    id: a.id.clone(),
                    service: a.service.clone(),
                    payer: a.payer.clone(),
                    status: a.status.clone(),
                    appeal_by: if denied { appeal_deadline(a) } else { None },
                    valid_to: a.valid_to.clone().filter(|_| approved(&a.status)),
                    used_up_on: used_up_on(a).filter(|_| approved(&a.status)),
                };
                (facts.appeal_by.is_some()
                    || facts.valid_to.is_some()
                    || facts.used_up_on.is_some())
                .then_some(facts)
            })
            .collect();
        CoordinationFacts {
            referrals,
            authorizations,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The worklist

/// Why a coordination item is on the worklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CoordinationKind {
    /// Sent and not scheduled within its urgency's days.
    ReferralNotScheduled,
    /// Scheduled, the appointment day passed, the outcome not recorded.
    ReferralNoOutcome,
    /// Open more than [`OPEN_REFERRAL_DAYS`] days since sending.
    ReferralOpen,
    /// A denial not yet appealed: the last day to appeal.
    AppealDeadline,
    /// An approval's last valid day is near (or just passed).
    AuthorizationEnding,
    /// An approval's units are used up.
    AuthorizationUsedUp,
}

impl CoordinationKind {
    /// A stable id for screens and tests.
    pub fn id(self) -> &'static str {
        match self {
            CoordinationKind::ReferralNotScheduled => "referral_not_scheduled",
            CoordinationKind::ReferralNoOutcome => "referral_no_outcome",
            CoordinationKind::ReferralOpen => "referral_open",
            CoordinationKind::AppealDeadline => "appeal_deadline",
            CoordinationKind::AuthorizationEnding => "authorization_ending",
            CoordinationKind::AuthorizationUsedUp => "authorization_used_up",
        }
    }

    /// Whether the item is about a referral (else an authorisation).
    pub fn is_referral(self) -> bool {
        matches!(
            self,
            CoordinationKind::ReferralNotScheduled
                | CoordinationKind::ReferralNoOutcome
                | CoordinationKind::ReferralOpen
        )
    }
}

/// One thing to follow through on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinationItem {
    pub kind: CoordinationKind,
    /// The referral's or the authorisation's id.
    pub item_id: String,
    /// e.g. "Referral to Eastside Food Bank: not scheduled 16 days after sending".
    pub label: String,
    pub due: IsoDate,
    /// `today` is after `due`.
    pub overdue: bool,
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// "(12 days left)", "(due today)", "(3 days overdue)".
fn countdown(due: NaiveDate, today: NaiveDate) -> String {
    let n = (due - today).num_days();
    match n {
        0 => "(due today)".to_string(),
        n if n > 0 => format!("({} left)", days(n)),
        n => format!("({} overdue)", days(-n)),
    }
}

fn item(
    kind: CoordinationKind,
    id: &str,
    label: String,
    due: NaiveDate,
    today: NaiveDate,
) -> CoordinationItem {
    CoordinationItem {
        kind,
        item_id: id.to_string(),
        label,
        due: IsoDate::new(due),
        overdue: today > due,
    }
}

fn referral_item(r: &ReferralFacts, today: NaiveDate) -> Option<CoordinationItem> {
    let to = r.to.trim();
    let sent = date(&r.sent_on);
    let appointment = date(&r.appointment_on);
    if r.status == ReferralStatus::Scheduled {
        if let Some(day) = appointment.filter(|d| *d < today) {
            let label = format!(
                "Referral to {to}: appointment on {} passed, no outcome recorded",
                IsoDate::new(day).as_str()
            );
            return Some(item(
                CoordinationKind::ReferralNoOutcome,
                &r.id,
                label,
                day,
                today,
            ));
        }
    }
    let sent = sent?;
    let since = (today - sent).num_days();
    if matches!(r.status, ReferralStatus::Sent | ReferralStatus::Accepted) {
        let due = plus(sent, schedule_within_days(&r.urgency))?;
        if today >= due {
            let label = format!(
                "Referral to {to}: not scheduled {} after sending",
                days(since)
            );
            return Some(item(
                CoordinationKind::ReferralNotScheduled,
                &r.id,
                label,
                due,
                today,
            ));
        }
    }
    let due = plus(sent, OPEN_REFERRAL_DAYS)?;
    if today > due {
        let mut label = format!("Referral to {to}: open {} since sending", days(since));
        if let Some(day) = appointment.filter(|_| r.status == ReferralStatus::Scheduled) {
            label.push_str(&format!(" (appointment {})", IsoDate::new(day).as_str()));
        }
        return Some(item(
            CoordinationKind::ReferralOpen,
            &r.id,
            label,
            due,
            today,
        ));
    }
    None
}

fn authorization_items(a: &AuthorizationFacts, today: NaiveDate, out: &mut Vec<CoordinationItem>) {
    let what = if a.payer.trim().is_empty() {
        format!("for {}", a.service.trim())
    } else {
        format!("to {}", a.payer.trim())
    };
    if let Some(due) = date(&a.appeal_by) {
        let label = format!(
            "Appeal {what} due {} {}",
            IsoDate::new(due).as_str(),
            countdown(due, today)
        );
        out.push(item(
            CoordinationKind::AppealDeadline,
            &a.id,
            label,
            due,
            today,
        ));
    }
    if let Some(end) = date(&a.valid_to) {
        let from = end.checked_sub_days(Days::new(EXPIRY_NOTICE_DAYS));
        let until = plus(end, EXPIRY_NOTICE_DAYS);
        if from.is_some_and(|f| today >= f) && until.is_some_and(|u| today <= u) {
            let day = IsoDate::new(end);
            let label = if today > end {
                format!(
                    "Authorization for {} ended {}",
                    a.service.trim(),
                    day.as_str()
                )
            } else {
                format!(
                    "Authorization for {} ends {} {}",
                    a.service.trim(),
                    day.as_str(),
                    countdown(end, today)
                )
            };
            out.push(item(
                CoordinationKind::AuthorizationEnding,
                &a.id,
                label,
                end,
                today,
            ));
        }
    }
    if let Some(day) = date(&a.used_up_on) {
        let label = format!(
            "Authorization for {}: approved units used up on {}",
            a.service.trim(),
            IsoDate::new(day).as_str()
        );
        out.push(item(
            CoordinationKind::AuthorizationUsedUp,
            &a.id,
            label,
            day,
            today,
        ));
    }
}

/// What to follow through on as of `today`, earliest due first.
pub fn due_items(facts: &CoordinationFacts, today: NaiveDate) -> Vec<CoordinationItem> {
    let mut out: Vec<CoordinationItem> = facts
        .referrals
        .iter()
        .filter_map(|r| referral_item(r, today))
        .collect();
    for a in &facts.authorizations {
        authorization_items(a, today, &mut out);
    }
    out.sort_by(|x, y| (x.due.date(), x.kind, &x.item_id).cmp(&(y.due.date(), y.kind, &y.item_id)));
    out
}

/// [`due_items`] of one record.
pub fn coordination_items(record: &PatientRecord, today: NaiveDate) -> Vec<CoordinationItem> {
    due_items(&CoordinationFacts::of(record), today)
}

#[cfg(test)]
#[path = "coordination_tests.rs"]
mod tests;
