//! Time and billing: which logged minutes count, toward which codes, in which calendar month, and
//! what stops a month from being billed.
//!
//! The chart, the monthly report and Today all go through one path: [`BillingFacts::of`] reduces a
//! record to what billing needs (enrolments, and minutes per month, program and [`TimeClass`]); the
//! facts travel in the caseload summary, so the report and Today never open a document;
//! [`program_months`] turns facts into codes and blockers for any month (`rules::programs` holds
//! the thresholds).
//!
//! Rules applied (CMS, per calendar month, per patient):
//! - A minute counts only on a day an enrolment of its program is active (started, not paused,
//!   not ended) and consent was recorded on or before that day; time by a community health worker
//!   is not clinical staff time and is reported, not counted.
//! - CCM: when the month is marked complex, all time counts toward 99487/99489. Otherwise the
//!   billing practitioner's own time reaches 99491/99437 once it is 30 min; below that it counts
//!   with clinical staff time toward 99490/99439 (never both: no minute is counted twice).
//! - PCM: the same with 99424/99425 (practitioner) and 99426/99427 (clinical staff).
//! - BHI: 99484 at 20 min of staff or practitioner time.
//! - A month is billable only with consent, a care plan, and enough chronic conditions (CCM 2,
//!   PCM 1).

use chrono::{Days, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::record::{
    ListItem, PatientRecord, PersonRole, ProgramEnrollment, ProgramKind, ProgramStatus,
};
use crate::rules::programs::{
    billing_codes, minutes_to_next_unit, BillingUnit, CareProgram, YearMonth,
};

/// Programs billed by time, in the order screens list them.
pub const TIME_BILLED: [ProgramKind; 3] = [ProgramKind::Ccm, ProgramKind::Pcm, ProgramKind::Bhi];

/// A timer running longer than this asks before its time is logged.
pub const LONG_TIMER_MINUTES: u32 = 90;

/// Days before the month's end when Today starts listing patients close to a threshold.
pub const LAST_WEEK_DAYS: u32 = 7;

/// How close (minutes) counts as "close to a threshold" on Today.
pub const NEAR_THRESHOLD_MINUTES: u32 = 20;

/// Whether, and how, a logged minute counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimeClass {
    /// Clinical staff time.
    Staff,
    /// The billing practitioner's own time (physician, NP, PA).
    Practitioner,
    /// Logged by a role whose time is not clinical staff time.
    NonBillingRole,
    /// Logged on a day no enrolment of the program was active (before it started, paused, ended).
    NotEnrolled,
    /// Logged before consent was recorded.
    BeforeConsent,
}

/// Minutes of one program in one month, of one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthMinutes {
    pub month: YearMonth,
    pub program: ProgramKind,
    pub class: TimeClass,
    pub minutes: u32,
}

/// What billing needs to know of one enrolment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentFacts {
    pub id: String,
    pub program: ProgramKind,
    pub status: ProgramStatus,
    pub start: Option<crate::record::IsoDate>,
    pub end: Option<crate::record::IsoDate>,
    pub consent_on: Option<crate::record::IsoDate>,
    pub complex_months: Vec<YearMonth>,
}

/// A record reduced to what billing needs; stored in the caseload summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingFacts {
    /// Enrolments in time-billed programs (CCM, PCM, BHI), not retired.
    pub enrollments: Vec<EnrollmentFacts>,
    /// Every active time entry, summed per month, program and class (all programs).
    pub minutes: Vec<MonthMinutes>,
    /// Active or controlled conditions marked chronic.
    pub chronic_conditions: u32,
    /// At least one need or goal in the care plan.
    pub has_care_plan: bool,
}

/// Why a month cannot be billed, or minutes that did not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Blocker {
    NoConsent,
    NoCarePlan,
    TooFewChronicConditions { has: u32, needs: u32 },
    NonBillingRole { minutes: u32 },
    NotEnrolled { minutes: u32 },
    BeforeConsent { minutes: u32 },
}

impl Blocker {
    /// Whether it stops the month from being billed at all (the others only leave minutes out).
    pub fn blocks_billing(&self) -> bool {
        matches!(
            self,
            Blocker::NoConsent | Blocker::NoCarePlan | Blocker::TooFewChronicConditions { .. }
        )
    }

    pub fn text(&self) -> String {
        match self {
            Blocker::NoConsent => "No consent on file".to_string(),
            Blocker::NoCarePlan => "No care plan".to_string(),
            Blocker::TooFewChronicConditions { has, needs } => {
                format!("Too few chronic conditions ({has} of {needs})")
            }
            Blocker::NonBillingRole { minutes } => {
                format!("{minutes} min logged by a non-billing role, not counted")
            }
            Blocker::NotEnrolled { minutes } => {
                format!("{minutes} min logged while not enrolled or paused, not counted")
            }
            Blocker::BeforeConsent { minutes } => {
                format!("{minutes} min logged before consent, not counted")
            }
        }
    }
}

/// One time-billed program of one patient in one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgramMonth {
    pub program: ProgramKind,
    pub month: YearMonth,
    /// Every minute logged for the program that month.
    pub minutes_logged: u32,
    /// The minutes that count (staff + practitioner).
    pub minutes_counted: u32,
    pub staff_minutes: u32,
    pub practitioner_minutes: u32,
    /// CCM billed as complex this month.
    pub complex: bool,
    /// Codes the counted minutes reach (even when a blocker stops billing them).
    pub codes: Vec<BillingUnit>,
    /// Minutes to the next unit and its code, if one can still be reached.
    pub next: Option<(u32, &'static str)>,
    pub blockers: Vec<Blocker>,
}

impl ProgramMonth {
    /// Codes reached and nothing blocks billing them.
    pub fn billable(&self) -> bool {
        !self.codes.is_empty() && !self.blockers.iter().any(Blocker::blocks_billing)
    }

    /// The codes as a person reads them, "99490, 99439 ×2" (empty when none is reached).
    pub fn codes_text(&self) -> String {
        self.codes
            .iter()
            .map(|c| match c.units {
                1 => c.code.to_string(),
                n => format!("{} ×{n}", c.code),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn time_billed(p: &ProgramKind) -> bool {
    TIME_BILLED.contains(p)
}

fn month_bounds(month: YearMonth) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(month.year, month.month, 1)?;
    let last = first
        .checked_add_months(chrono::Months::new(1))?
        .pred_opt()?;
    Some((first, last))
}

/// "2026-11" → the month.
pub fn parse_month(s: &str) -> Option<YearMonth> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let month = YearMonth {
        year: y.parse().ok()?,
        month: m.parse().ok()?,
    };
    month_bounds(month).map(|_| month)
}

/// The month as the `<input type=month>` value, "2026-11".
pub fn month_id(month: YearMonth) -> String {
    format!("{:04}-{:02}", month.year, month.month)
}

/// "November 2026".
pub fn month_label(month: YearMonth) -> String {
    month_bounds(month).map_or_else(
        || month_id(month),
        |(first, _)| first.format("%B %Y").to_string(),
    )
}

/// Whether the enrolment is active on `day`: started, not ended, and not paused (its dated status
/// changes, latest on or before the day, decide).
pub fn active_on(e: &ProgramEnrollment, day: NaiveDate) -> bool {
    if !e.is_active() || e.status == ProgramStatus::Declined {
        return false;
    }
    if e.start_date
        .as_ref()
        .and_then(|d| d.date())
        .is_some_and(|s| day < s)
    {
        return false;
    }
    if e.end_date
        .as_ref()
        .and_then(|d| d.date())
        .is_some_and(|end| day > end)
    {
        return false;
    }
    let mut changes: Vec<_> = e
        .status_changes
        .iter()
        .filter_map(|c| c.date.date().map(|d| (d, c.recorded.at, &c.status)))
        .filter(|(d, _, _)| *d <= day)
        .collect();
    changes.sort_by_key(|(d, at, _)| (*d, *at));
    match changes.last() {
        Some((_, _, status)) => **status == ProgramStatus::Active,
        None => true,
    }
}

fn consented_by(e: &ProgramEnrollment, day: NaiveDate) -> bool {
    e.consent
        .as_ref()
        .and_then(|c| c.date.date())
        .is_some_and(|d| d <= day)
}

impl BillingFacts {
    pub fn of(record: &PatientRecord) -> Self {
        let enrolments: Vec<&ProgramEnrollment> = record
            .programs
            .iter()
            .filter(|p| p.is_active() && time_billed(&p.program))
            .collect();
        let mut sums: std::collections::BTreeMap<(YearMonth, String, TimeClass), u32> =
            Default::default();
        for entry in record.time_log.iter().filter(|e| e.is_active()) {
            let Some(day) = entry.date.date() else {
                continue;
            };
            let class = if !time_billed(&entry.program) {
                TimeClass::Staff
            } else {
                let covering: Vec<_> = enrolments
                    .iter()
                    .filter(|e| e.program == entry.program && active_on(e, day))
                    .collect();
                if covering.is_empty() {
                    TimeClass::NotEnrolled
                } else if !covering.iter().any(|e| consented_by(e, day)) {
                    TimeClass::BeforeConsent
                } else {
                    match entry.staff_role {
                        PersonRole::CommunityHealthWorker => TimeClass::NonBillingRole,
                        PersonRole::Practitioner => TimeClass::Practitioner,
                        _ => TimeClass::Staff,
                    }
                }
            };
            let minutes = u32::try_from(entry.minutes).unwrap_or(u32::MAX);
            let slot = sums
                .entry((
                    YearMonth::of(day),
                    entry.program.as_str().to_string(),
                    class,
                ))
                .or_insert(0);
            *slot = slot.saturating_add(minutes);
        }
        let minutes = sums
            .into_iter()
            .map(|((month, program, class), minutes)| MonthMinutes {
                month,
                program: ProgramKind::parse(&program),
                class,
                minutes,
            })
            .collect();
        let enrollments = enrolments
            .iter()
            .map(|e| EnrollmentFacts {
                id: e.id.clone(),
                program: e.program.clone(),
                status: e.status.clone(),
                start: e.start_date.clone(),
                end: e.end_date.clone(),
                consent_on: e.consent.as_ref().map(|c| c.date.clone()),
                complex_months: {
                    let mut m: Vec<_> = e
                        .complex_months
                        .iter()
                        .filter_map(|s| parse_month(s))
                        .collect();
                    m.sort();
                    m.dedup();
                    m
                },
            })
            .collect();
        let chronic_conditions = record
            .medical
            .conditions
            .iter()
            .filter(|c| {
                c.is_active()
                    && c.chronic
                    && matches!(
                        c.status,
                        crate::record::ConditionStatus::Active
                            | crate::record::ConditionStatus::Controlled
                    )
            })
            .count();
        let plan = &record.care_plan;
        BillingFacts {
            enrollments,
            minutes,
            chronic_conditions: u32::try_from(chronic_conditions).unwrap_or(u32::MAX),
            has_care_plan: plan.needs.iter().any(|n| n.is_active())
                || plan.goals.iter().any(|g| g.is_active()),
        }
    }

    /// Minutes logged per program in `month` (every program, counted or not), in program order.
    pub fn minutes_by_program(&self, month: YearMonth) -> Vec<(ProgramKind, u32)> {
        let mut out: Vec<(ProgramKind, u32)> = Vec::new();
        for m in self.minutes.iter().filter(|m| m.month == month) {
            match out.iter_mut().find(|(p, _)| *p == m.program) {
                Some((_, sum)) => *sum = sum.saturating_add(m.minutes),
                None => out.push((m.program.clone(), m.minutes)),
            }
        }
        out
    }

    fn sum(&self, month: YearMonth, program: &ProgramKind, class: TimeClass) -> u32 {
        self.minutes
            .iter()
            .filter(|m| m.month == month && m.program == *program && m.class == class)
            .fold(0u32, |acc, m| acc.saturating_add(m.minutes))
    }
}

/// The codes for counted minutes: staff and practitioner tracks, complex CCM, BHI.
fn codes_for(
    program: &ProgramKind,
    complex: bool,
    staff: u32,
    practitioner: u32,
) -> (Vec<BillingUnit>, Option<(u32, &'static str)>) {
    let both = staff.saturating_add(practitioner);
    let split = |staff_rule: CareProgram, own_rule: CareProgram| {
        let own_base = own_rule.billing_rule().base_minutes;
        if practitioner >= own_base {
            let mut codes = billing_codes(own_rule, practitioner);
            codes.extend(billing_codes(staff_rule, staff));
            let next = minutes_to_next_unit(staff_rule, staff);
            (codes, next)
        } else {
            (
                billing_codes(staff_rule, both),
                minutes_to_next_unit(staff_rule, both),
            )
        }
    };
    match program {
        ProgramKind::Ccm if complex => (
            billing_codes(CareProgram::ComplexCcm, both),
            minutes_to_next_unit(CareProgram::ComplexCcm, both),
        ),
        ProgramKind::Ccm => split(CareProgram::Ccm, CareProgram::CcmPractitioner),
        ProgramKind::Pcm => split(CareProgram::Pcm, CareProgram::PcmPractitioner),
        ProgramKind::Bhi => (
            billing_codes(CareProgram::Bhi, both),
            minutes_to_next_unit(CareProgram::Bhi, both),
        ),
        _ => (Vec::new(), None),
    }
}

fn overlaps(e: &EnrollmentFacts, first: NaiveDate, last: NaiveDate) -> bool {
    e.status != ProgramStatus::Declined
        && e.start
            .as_ref()
            .and_then(|d| d.date())
            .is_none_or(|s| s <= last)
        && e.end
            .as_ref()
            .and_then(|d| d.date())
            .is_none_or(|end| end >= first)
}

/// Every time-billed program the patient was enrolled in during `month`, with its minutes, codes
/// and blockers.
pub fn program_months(facts: &BillingFacts, month: YearMonth) -> Vec<ProgramMonth> {
    let Some((first, last)) = month_bounds(month) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for program in TIME_BILLED {
        let enrolled: Vec<_> = facts
            .enrollments
            .iter()
            .filter(|e| e.program == program && overlaps(e, first, last))
            .collect();
        if enrolled.is_empty() {
            continue;
        }
        let staff = facts.sum(month, &program, TimeClass::Staff);
        let practitioner = facts.sum(month, &program, TimeClass::Practitioner);
        let non_billing = facts.sum(month, &program, TimeClass::NonBillingRole);
        let not_enrolled = facts.sum(month, &program, TimeClass::NotEnrolled);
        let before_consent = facts.sum(month, &program, TimeClass::BeforeConsent);
        let complex = program == ProgramKind::Ccm
            && enrolled.iter().any(|e| e.complex_months.contains(&month));
        let (codes, next) = codes_for(&program, complex, staff, practitioner);

        let mut blockers = Vec::new();
        let consented = enrolled.iter().any(|e| {
            e.consent_on
                .as_ref()
                .and_then(|d| d.date())
                .is_some_and(|d| d <= last)
        });
        if !consented {
            blockers.push(Blocker::NoConsent);
        }
        if !facts.has_care_plan {
            blockers.push(Blocker::NoCarePlan);
        }
        let needs = match program {
            ProgramKind::Ccm => crate::rules::programs::CCM_MIN_CONDITIONS,
            ProgramKind::Pcm => 1,
            _ => 0,
        };
        if facts.chronic_conditions < needs {
            blockers.push(Blocker::TooFewChronicConditions {
                has: facts.chronic_conditions,
                needs,
            });
        }
        for (minutes, blocker) in [
            (
                non_billing,
                Blocker::NonBillingRole {
                    minutes: non_billing,
                },
            ),
            (
                not_enrolled,
                Blocker::NotEnrolled {
                    minutes: not_enrolled,
                },
            ),
            (
                before_consent,
                Blocker::BeforeConsent {
                    minutes: before_consent,
                },
            ),
        ] {
            if minutes > 0 {
                blockers.push(blocker);
            }
        }
        out.push(ProgramMonth {
            program,
            month,
            minutes_logged: staff
                .saturating_add(practitioner)
                .saturating_add(non_billing)
                .saturating_add(not_enrolled)
                .saturating_add(before_consent),
            minutes_counted: staff.saturating_add(practitioner),
            staff_minutes: staff,
            practitioner_minutes: practitioner,
            complex,
            codes,
            next,
            blockers,
        });
    }
    out
}

/// What a program needs before its time can be billed, each with whether it is met, as the chart
/// explains eligibility. Programs not billed by time need nothing here.
pub fn requirements(
    facts: &BillingFacts,
    program: &ProgramKind,
    consent_on_file: bool,
) -> Vec<(String, bool)> {
    let n = facts.chronic_conditions;
    let conditions = match program {
        ProgramKind::Ccm => Some((
            format!("2 or more chronic conditions expected to last 12 months or more (has {n})"),
            n >= crate::rules::programs::CCM_MIN_CONDITIONS,
        )),
        ProgramKind::Pcm => Some((
            format!("One complex chronic condition expected to last 3 months or more (has {n})"),
            n >= 1,
        )),
        ProgramKind::Bhi => None,
        _ => return Vec::new(),
    };
    let mut out: Vec<(String, bool)> = conditions.into_iter().collect();
    out.push(("Consent recorded".to_string(), consent_on_file));
    out.push((
        "A care plan (at least one need or goal)".to_string(),
        facts.has_care_plan,
    ));
    out
}

/// A patient close to a threshold in the last week of the month ("8 min to 99490, 4 days left").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NearThreshold {
    pub program: ProgramKind,
    pub minutes_short: u32,
    pub code: &'static str,
    /// Days of the month left after today.
    pub days_left: u32,
}

impl NearThreshold {
    pub fn text(&self) -> String {
        let days = match self.days_left {
            0 => "last day of the month".to_string(),
            1 => "1 day left".to_string(),
            n => format!("{n} days left"),
        };
        format!("{} min to {}, {days}", self.minutes_short, self.code)
    }
}

/// In the last week of `today`'s month: each active program within [`NEAR_THRESHOLD_MINUTES`] of
/// its next unit that nothing blocks from billing.
pub fn near_threshold(facts: &BillingFacts, today: NaiveDate) -> Vec<NearThreshold> {
    let month = YearMonth::of(today);
    let Some((_, last)) = month_bounds(month) else {
        return Vec::new();
    };
    let days_left = u32::try_from((last - today).num_days()).unwrap_or(0);
    if days_left >= LAST_WEEK_DAYS {
        return Vec::new();
    }
    program_months(facts, month)
        .into_iter()
        .filter(|m| !m.blockers.iter().any(Blocker::blocks_billing))
        // Only programs still running: a paused or ended one gets no more time this month.
        .filter(|m| {
            facts
                .enrollments
                .iter()
                .any(|e| e.program == m.program && e.status == ProgramStatus::Active)
        })
        .filter_map(|m| {
            let (short, code) = m.next?;
            (short <= NEAR_THRESHOLD_MINUTES).then_some(NearThreshold {
                program: m.program,
                minutes_short: short,
                code,
                days_left,
            })
        })
        .collect()
}

// ---- The timer ----------------------------------------------------------------------------------

/// A running timer, kept on the device (not in the patient's document) so it survives a reload, the
/// lock and a closed tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub patient_id: String,
    /// Milliseconds since the epoch.
    pub started_at: i64,
    /// The device's offset from UTC when it started, minutes east (UTC−5 is −300).
    pub offset_minutes: i32,
    pub program: ProgramKind,
    pub activity: String,
}

/// Local wall-clock time of `utc_ms` at `offset_minutes` east of UTC.
pub fn local_time(utc_ms: i64, offset_minutes: i32) -> Option<NaiveDateTime> {
    let shifted = utc_ms.checked_add(i64::from(offset_minutes).checked_mul(60_000)?)?;
    chrono::DateTime::from_timestamp_millis(shifted).map(|t| t.naive_utc())
}

impl Timer {
    /// Whole minutes run by `now_ms` (0 if the clock went backwards).
    pub fn elapsed_minutes(&self, now_ms: i64) -> u32 {
        u32::try_from(now_ms.saturating_sub(self.started_at).max(0) / 60_000).unwrap_or(u32::MAX)
    }

    /// Whether stopping now must ask before counting the time.
    pub fn is_long(&self, now_ms: i64) -> bool {
        self.elapsed_minutes(now_ms) > LONG_TIMER_MINUTES
    }

    /// The time from start to `stop_ms` (local offset then `stop_offset`) as whole minutes per local
    /// day: a timer running past midnight — or past the month's end — logs each part on its own
    /// day, so each month gets the minutes spent in it. Empty below one minute.
    pub fn entries(&self, stop_ms: i64, stop_offset: i32) -> Vec<(NaiveDate, u32)> {
        let (Some(start), Some(end)) = (
            local_time(self.started_at, self.offset_minutes),
            local_time(stop_ms, stop_offset),
        ) else {
            return Vec::new();
        };
        split_by_day(start, end)
    }
}

/// Whole minutes between `start` and `end`, per day. The day parts' minutes add up to the whole
/// (each boundary rounds the running total down, so no minute is lost or invented).
pub fn split_by_day(start: NaiveDateTime, end: NaiveDateTime) -> Vec<(NaiveDate, u32)> {
    if end <= start {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut day = start.date();
    let mut counted = 0i64;
    while let Some(next_midnight) = day
        .checked_add_days(Days::new(1))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        let part_end = end.min(next_midnight);
        let total_minutes = (part_end - start).num_seconds() / 60;
        let minutes = total_minutes - counted;
        counted = total_minutes;
        if minutes > 0 {
            out.push((day, u32::try_from(minutes).unwrap_or(u32::MAX)));
        }
        if part_end >= end {
            break;
        }
        day = next_midnight.date();
    }
    out
}

// ---- The monthly report -------------------------------------------------------------------------

/// One patient's program in the monthly report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub patient_id: String,
    pub patient: String,
    pub month: ProgramMonth,
}

/// The report's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportTotals {
    pub patients: u32,
    pub minutes_counted: u32,
    pub billable_rows: u32,
    pub blocked_rows: u32,
    /// Units per code, billable rows only, in code order.
    pub units: Vec<(String, u32)>,
}

pub fn totals(rows: &[ReportRow]) -> ReportTotals {
    let mut t = ReportTotals::default();
    let mut patients: Vec<&str> = rows.iter().map(|r| r.patient_id.as_str()).collect();
    patients.sort_unstable();
    patients.dedup();
    t.patients = u32::try_from(patients.len()).unwrap_or(u32::MAX);
    let mut units: std::collections::BTreeMap<String, u32> = Default::default();
    for r in rows {
        t.minutes_counted = t.minutes_counted.saturating_add(r.month.minutes_counted);
        if r.month.billable() {
            t.billable_rows += 1;
            for c in &r.month.codes {
                let slot = units.entry(c.code.to_string()).or_insert(0);
                *slot = slot.saturating_add(c.units);
            }
        } else {
            t.blocked_rows += 1;
        }
    }
    t.units = units.into_iter().collect();
    t
}

/// Program name as the report and chart say it.
pub fn program_name(p: &ProgramKind) -> &'static str {
    match p {
        ProgramKind::Ccm => "CCM",
        ProgramKind::Pcm => "PCM",
        ProgramKind::Bhi => "BHI",
        ProgramKind::Tcm => "TCM",
        ProgramKind::CaseManagement => "Case management",
        ProgramKind::Other(_) => "Other program",
    }
}

/// A CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is defused with `'` so a
/// spreadsheet never runs a name as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV header.
pub const CSV_HEADER: &str =
    "month,patient_id,patient,program,minutes_logged,minutes_counted,code,units,billable,blockers";

/// The report as CSV: one row per patient, program and code (one row with an empty code when no
/// code was reached), CRLF line ends (RFC 4180).
pub fn report_csv(rows: &[ReportRow]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for r in rows {
        let m = &r.month;
        let blockers = m
            .blockers
            .iter()
            .map(Blocker::text)
            .collect::<Vec<_>>()
            .join("; ");
        let codes: Vec<(&str, String)> = if m.codes.is_empty() {
            vec![("", String::new())]
        } else {
            m.codes
                .iter()
                .map(|c| (c.code, c.units.to_string()))
                .collect()
        };
        for (code, units) in codes {
            let fields = [
                month_id(m.month),
                r.patient_id.clone(),
                r.patient.clone(),
                program_name(&m.program).to_string(),
                m.minutes_logged.to_string(),
                m.minutes_counted.to_string(),
                code.to_string(),
                units,
                if m.billable() { "yes" } else { "no" }.to_string(),
                blockers.clone(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
#[path = "billing_tests.rs"]
mod tests;
