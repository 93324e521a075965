use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::record::*;

/// What the caseload list shows for one patient, stored apart from the document so the list opens
/// without loading any Automerge document (see [`PatientSummary::to_stored`] for the stored form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSummary {
    pub id: String,
    pub display_name: String,
    /// Lower-cased name used for search.
    pub sort_key: String,
    pub created_at: i64,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// Whole years on the day the summary was made (only with `summary_on`).
    #[serde(default)]
    pub age: Option<u32>,
    /// Active programs ("ccm", "tcm", ...).
    #[serde(default)]
    pub programs: Vec<String>,
    /// Short machine-readable flags the list shows as badges ("interpreter_needed", "lives_alone",
    /// "dnr", "in_hospital", "overdue", ...).
    #[serde(default)]
    pub flags: Vec<String>,
    /// The earliest open dated item: follow-up, care-plan action or goal.
    #[serde(default)]
    pub next_due: Option<DueItem>,
    #[serde(default)]
    pub open_follow_ups: u32,
    #[serde(default)]
    pub active_conditions: u32,
    #[serde(default)]
    pub active_medications: u32,
    /// Care-management minutes logged in the calendar month of `summary_on`'s day.
    #[serde(default)]
    pub minutes_this_month: u64,
    /// Risk tier id from the rules module ("low", "moderate", "high", "very_high"); only with
    /// `summary_on`, since it depends on today's date.
    #[serde(default)]
    pub risk_tier: Option<String>,
    /// Worklist priority (higher first); 0 without a date.
    #[serde(default)]
    pub priority: u32,
    /// Why the tier is what it is, as sentences.
    #[serde(default)]
    pub risk_reasons: Vec<String>,
    /// Current identifier values (MRN, Medicare/Medicaid ids, plan member ids): a care manager on the
    /// phone with a hospital or payer searches by these, not by name.
    #[serde(default)]
    pub identifiers: Vec<String>,
    /// Open transitional-care steps of running TCM clocks (kind "tcm_contact", "tcm_visit",
    /// "tcm_med_rec"; id: the transition), earliest due first; only with `summary_on`.
    #[serde(default)]
    pub transition_steps: Vec<DueItem>,
    /// Enrolments and minutes per month, program and class: the monthly report and Today's
    /// "close to a threshold" read these (`billing::program_months`) without opening documents.
    #[serde(default)]
    pub billing: crate::billing::BillingFacts,
    /// Open referrals, denials not yet appealed and approvals, as dated facts: Today lists what is
    /// due or overdue with `coordination::due_items(&summary.coordination, today)`.
    #[serde(default)]
    pub coordination: crate::coordination::CoordinationFacts,
    /// Roster id of the primary care manager; empty when unassigned.
    #[serde(default)]
    pub care_manager: String,
    /// Roster ids of the others on the care team.
    #[serde(default)]
    pub care_team: Vec<String>,
    /// When the care plan was last made or revised ("YYYY-MM-DD"); `None` without a plan.
    #[serde(default)]
    pub plan_reviewed_on: Option<String>,
    /// Every open dated item (follow-ups, care-plan actions, goals), earliest first: Today lists
    /// each one due or overdue, not only the earliest.
    #[serde(default)]
    pub due_items: Vec<DueItem>,
    /// The day ("YYYY-MM-DD") the dated fields (age, risk tier, priority, reasons, overdue) were
    /// computed for; `None` for an undated summary. A summary from an earlier day is recomputed.
    #[serde(default)]
    pub as_of: Option<String>,
}

/// The shape stored with version 6 (before every due item and the day it is as of).
#[derive(Deserialize)]
struct SummaryV6 {
    v5: SummaryV5,
    care_manager: String,
    care_team: Vec<String>,
    plan_reviewed_on: Option<String>,
}

impl From<SummaryV6> for PatientSummary {
    fn from(v: SummaryV6) -> Self {
        PatientSummary {
            care_manager: v.care_manager,
            care_team: v.care_team,
            plan_reviewed_on: v.plan_reviewed_on,
            ..v.v5.into()
        }
    }
}

/// The shape stored with version 5 (before the care team): version 4's fields followed by the
/// coordination facts.
#[derive(Deserialize)]
struct SummaryV5 {
    v4: SummaryV4,
    coordination: crate::coordination::CoordinationFacts,
}

impl From<SummaryV5> for PatientSummary {
    fn from(v: SummaryV5) -> Self {
        PatientSummary {
            coordination: v.coordination,
            ..v.v4.into()
        }
    }
}

/// The shape stored with version 4 (before coordination facts): version 3's fields followed by
/// the billing facts.
#[derive(Deserialize)]
struct SummaryV4 {
    v3: SummaryV3,
    billing: crate::billing::BillingFacts,
}

impl From<SummaryV4> for PatientSummary {
    fn from(v: SummaryV4) -> Self {
        PatientSummary {
            billing: v.billing,
            ..v.v3.into()
        }
    }
}

/// The shape stored with version 3 (before billing facts). Postcard writes a struct as its fields
/// in order, so version 2's fields followed by the steps read the same bytes.
#[derive(Deserialize)]
struct SummaryV3 {
    v2: SummaryV2,
    transition_steps: Vec<DueItem>,
}

impl From<SummaryV3> for PatientSummary {
    fn from(v: SummaryV3) -> Self {
        PatientSummary {
            transition_steps: v.transition_steps,
            ..v.v2.into()
        }
    }
}

/// The shape stored with version 2 (before transition steps), read so an older summary still
/// shows until it is recomputed.
#[derive(Deserialize)]
struct SummaryV2 {
    id: String,
    display_name: String,
    sort_key: String,
    created_at: i64,
    date_of_birth: Option<String>,
    age: Option<u32>,
    programs: Vec<String>,
    flags: Vec<String>,
    next_due: Option<DueItem>,
    open_follow_ups: u32,
    active_conditions: u32,
    active_medications: u32,
    minutes_this_month: u64,
    risk_tier: Option<String>,
    priority: u32,
    risk_reasons: Vec<String>,
    identifiers: Vec<String>,
}

impl From<SummaryV2> for PatientSummary {
    fn from(v: SummaryV2) -> Self {
        PatientSummary {
            id: v.id,
            display_name: v.display_name,
            sort_key: v.sort_key,
            created_at: v.created_at,
            date_of_birth: v.date_of_birth,
            age: v.age,
            programs: v.programs,
            flags: v.flags,
            next_due: v.next_due,
            open_follow_ups: v.open_follow_ups,
            active_conditions: v.active_conditions,
            active_medications: v.active_medications,
            minutes_this_month: v.minutes_this_month,
            risk_tier: v.risk_tier,
            priority: v.priority,
            risk_reasons: v.risk_reasons,
            identifiers: v.identifiers,
            transition_steps: Vec::new(),
            billing: Default::default(),
            coordination: Default::default(),
            care_manager: String::new(),
            care_team: Vec::new(),
            plan_reviewed_on: None,
            due_items: Vec::new(),
            as_of: None,
        }
    }
}

/// First byte of the stored summary encoding (postcard). A summary in any other encoding — the
/// first builds stored JSON, which starts with `{` — still reads, but as [`Stored::Outdated`].
/// Bump it when the struct changes shape: postcard is not self-describing.
pub const STORED_SUMMARY_VERSION: u8 = 7;

/// A summary read back from storage.
#[derive(Debug, PartialEq)]
pub enum Stored {
    Current(PatientSummary),
    /// Written by an older build: show it, then recompute it from the document (it may lack fields
    /// such as identifiers, which the caseload search needs).
    Outdated(PatientSummary),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SummaryDecodeError {
    #[error("empty summary record")]
    Empty,
    #[error("the summary record does not decode: {0}")]
    Malformed(String),
    #[error("the summary record has {0} unexpected trailing bytes")]
    Trailing(usize),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the summary could not be encoded: {0}")]
pub struct SummaryEncodeError(String);

impl SummaryEncodeError {
    pub(crate) fn new(reason: String) -> Self {
        SummaryEncodeError(reason)
    }
}

impl Stored {
    pub fn summary(self) -> PatientSummary {
        match self {
            Stored::Current(s) | Stored::Outdated(s) => s,
        }
    }
}

impl PatientSummary {
    /// The stored form: version byte + postcard. The caseload of thousands of patients is decoded
    /// on every app start, so this is the format that start-up time depends on.
    pub fn to_stored(&self) -> Result<Vec<u8>, SummaryEncodeError> {
        postcard::to_extend(self, vec![STORED_SUMMARY_VERSION])
            .map_err(|e| SummaryEncodeError(e.to_string()))
    }

    /// Reads a stored summary (never panics on bad bytes).
    pub fn from_stored(bytes: &[u8]) -> Result<Stored, SummaryDecodeError> {
        match bytes.split_first() {
            None => Err(SummaryDecodeError::Empty),
            Some((&STORED_SUMMARY_VERSION, body)) => {
                let (summary, rest) = postcard::take_from_bytes::<PatientSummary>(body)
                    .map_err(|e| SummaryDecodeError::Malformed(e.to_string()))?;
                if rest.is_empty() {
                    Ok(Stored::Current(summary))
                } else {
                    Err(SummaryDecodeError::Trailing(rest.len()))
                }
            }
            Some((6, body)) => match postcard::take_from_bytes::<SummaryV6>(body) {
                Ok((summary, [])) => Ok(Stored::Outdated(summary.into())),
                Ok((_, rest)) => Err(SummaryDecodeError::Trailing(rest.len())),
                Err(e) => Err(SummaryDecodeError::Malformed(e.to_string())),
            },
            Some((5, body)) => match postcard::take_from_bytes::<SummaryV5>(body) {
                Ok((summary, [])) => Ok(Stored::Outdated(summary.into())),
                Ok((_, rest)) => Err(SummaryDecodeError::Trailing(rest.len())),
                Err(e) => Err(SummaryDecodeError::Malformed(e.to_string())),
            },
            Some((4, body)) => match postcard::take_from_bytes::<SummaryV4>(body) {
                Ok((summary, [])) => Ok(Stored::Outdated(summary.into())),
                Ok((_, rest)) => Err(SummaryDecodeError::Trailing(rest.len())),
                Err(e) => Err(SummaryDecodeError::Malformed(e.to_string())),
            },
            Some((3, body)) => match postcard::take_from_bytes::<SummaryV3>(body) {
                Ok((summary, [])) => Ok(Stored::Outdated(summary.into())),
                Ok((_, rest)) => Err(SummaryDecodeError::Trailing(rest.len())),
                Err(e) => Err(SummaryDecodeError::Malformed(e.to_string())),
            },
            Some((2, body)) => match postcard::take_from_bytes::<SummaryV2>(body) {
                Ok((summary, [])) => Ok(Stored::Outdated(summary.into())),
                Ok((_, rest)) => Err(SummaryDecodeError::Trailing(rest.len())),
                Err(e) => Err(SummaryDecodeError::Malformed(e.to_string())),
            },
            // The first builds' JSON; its new fields default (`#[serde(default)]`).
            Some((b'{', _)) => serde_json::from_slice(bytes)
                .map(Stored::Outdated)
                .map_err(|e| SummaryDecodeError::Malformed(e.to_string())),
            Some((other, _)) => Err(SummaryDecodeError::Malformed(format!(
                "unknown summary format {other}"
            ))),
        }
    }

    /// Whether the dated fields (risk tier, priority, reasons, overdue, age) were computed for a day
    /// before `day` (or for no day): such a summary is recomputed, so every screen shows the tier
    /// as of today rather than as of the last edit.
    pub fn dated_before(&self, day: NaiveDate) -> bool {
        self.as_of
            .as_deref()
            .and_then(IsoDate::parse)
            .and_then(|d| d.date())
            .is_none_or(|d| d < day)
    }

    /// Whether the caseload search `query` (already trimmed and lower-cased) finds this patient:
    /// part of the name, the start of the patient id, or part of a current identifier.
    pub fn matches_search(&self, query: &str) -> bool {
        query.is_empty()
            || self.sort_key.contains(query)
            || self.id.starts_with(query)
            || self
                .identifiers
                .iter()
                .any(|v| v.to_lowercase().contains(query))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// "follow_up", "action" or "goal".
    pub kind: String,
    pub id: String,
    pub label: String,
    /// "YYYY-MM-DD".
    pub date: String,
}

/// Whole years from `dob` to `on`.
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> Option<u32> {
    on.years_since(dob)
}

impl PatientSummary {
    pub fn of(record: &PatientRecord) -> Self {
        Self::of_on(record, None)
    }

    pub fn of_on(record: &PatientRecord, today: Option<NaiveDate>) -> Self {
        let display_name = record.name.display();
        let dob = record.profile.date_of_birth.as_ref();

        let programs = record
            .programs
            .iter()
            .filter(|p| p.is_active() && p.status == ProgramStatus::Active)
            .map(|p| p.program.as_str().to_string())
            .collect();

        let due_items = due_items(record);
        let next_due = due_items.first().cloned();
        let mut flags = Vec::new();
        if record.profile.interpreter_needed {
            flags.push("interpreter_needed".to_string());
        }
        if record.support.lives_alone == Some(true) {
            flags.push("lives_alone".to_string());
        }
        if matches!(
            record.profile.code_status,
            CodeStatus::Dnr | CodeStatus::DnrDni | CodeStatus::ComfortCare
        ) {
            flags.push(record.profile.code_status.as_str().to_string());
        }
        if crate::transitions::in_hospital(record, today.unwrap_or(NaiveDate::MAX)).is_some() {
            flags.push("in_hospital".to_string());
        }
        if let (Some(today), Some(due)) = (today, &next_due) {
            if IsoDate(due.date.clone()).date().is_some_and(|d| d < today) {
                flags.push("overdue".to_string());
            }
        }

        for flag in crate::assess::instrument_flags(record) {
            flags.push(crate::assess::flag_id(flag));
        }
        let risk = today.map(|t| crate::assess::assess(record, t));

        let minutes_this_month = today.map_or(0, |t| {
            record
                .time_log
                .iter()
                .filter(|e| e.is_active())
                .filter(|e| {
                    e.date
                        .date()
                        .is_some_and(|d| d.year() == t.year() && d.month() == t.month())
                })
                .map(|e| e.minutes)
                .sum()
        });

        PatientSummary {
            id: record.id.clone(),
            sort_key: display_name.to_lowercase(),
            display_name,
            created_at: record.created_at,
            date_of_birth: dob.map(|d| d.0.clone()),
            age: match (dob.and_then(IsoDate::date), today) {
                (Some(d), Some(t)) => age_on(d, t),
                _ => None,
            },
            programs,
            flags,
            next_due,
            open_follow_ups: count(
                record
                    .follow_ups
                    .iter()
                    .filter(|f| f.is_active() && f.status == FollowUpStatus::Scheduled),
            ),
            active_conditions: count(record.medical.conditions.iter().filter(|c| {
                c.is_active()
                    && matches!(
                        c.status,
                        ConditionStatus::Active | ConditionStatus::Controlled
                    )
            })),
            active_medications: count(
                record
                    .medical
                    .medications
                    .iter()
                    .filter(|m| m.is_active() && m.status == MedicationStatus::Active),
            ),
            minutes_this_month,
            risk_tier: risk.as_ref().map(|r| r.tier.id().to_string()),
            priority: risk.as_ref().map_or(0, |r| r.priority),
            risk_reasons: risk.map(|r| r.reasons).unwrap_or_default(),
            billing: crate::billing::BillingFacts::of(record),
            coordination: crate::coordination::CoordinationFacts::of(record),
            transition_steps: today.map_or_else(Vec::new, |t| {
                crate::transitions::open_tcm_steps(record, t)
                    .into_iter()
                    .map(|(id, step)| DueItem {
                        kind: step.kind.id().to_string(),
                        id,
                        label: step.kind.label().to_string(),
                        date: IsoDate::new(step.due()).0,
                    })
                    .collect()
            }),
            identifiers: record
                .profile
                .identifiers
                .iter()
                .filter(|i| i.is_active() && !i.value.trim().is_empty())
                .map(|i| i.value.trim().to_string())
                .collect(),
            care_manager: record.profile.care_manager.clone(),
            care_team: record.profile.care_team_ids(),
            plan_reviewed_on: plan_reviewed_on(record).map(|d| IsoDate::new(d).0),
            due_items,
            as_of: today.map(|t| IsoDate::new(t).0),
        }
    }
}

/// The day the care plan was last revised, or else made (its first need or goal was recorded);
/// `None` when it has no active need or goal.
fn plan_reviewed_on(record: &PatientRecord) -> Option<NaiveDate> {
    let plan = &record.care_plan;
    let made = plan
        .needs
        .iter()
        .filter(|n| n.is_active())
        .map(|n| n.recorded.at)
        .chain(
            plan.goals
                .iter()
                .filter(|g| g.is_active())
                .map(|g| g.recorded.at),
        )
        .min()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.date_naive())?;
    let revised = plan
        .revisions
        .iter()
        .filter(|r| r.is_active())
        .filter_map(|r| r.date.date())
        .max();
    Some(revised.map_or(made, |r| r.max(made)))
}

fn count<I: Iterator>(it: I) -> u32 {
    u32::try_from(it.count()).unwrap_or(u32::MAX)
}

/// Open dated follow-ups, care-plan actions and goals, earliest first (the first is `next_due`).
fn due_items(record: &PatientRecord) -> Vec<DueItem> {
    let follow_ups = record
        .follow_ups
        .iter()
        .filter(|f| f.is_active() && f.status == FollowUpStatus::Scheduled)
        .map(|f| ("follow_up", &f.id, &f.reason, Some(&f.due)));
    let actions = record
        .care_plan
        .actions
        .iter()
        .filter(|a| {
            a.is_active() && matches!(a.status, ActionStatus::Planned | ActionStatus::InProgress)
        })
        .map(|a| ("action", &a.id, &a.description, a.due.as_ref()));
    let goals = record
        .care_plan
        .goals
        .iter()
        .filter(|g| g.is_active() && matches!(g.status, GoalStatus::Active | GoalStatus::Proposed))
        .map(|g| ("goal", &g.id, &g.description, g.due.as_ref()));
    let mut items: Vec<(NaiveDate, DueItem)> = follow_ups
        .chain(actions)
        .chain(goals)
        .filter_map(|(kind, id, label, due)| {
            let date = due?.date()?;
            Some((
                date,
                DueItem {
                    kind: kind.to_string(),
                    id: id.clone(),
                    label: label.clone(),
                    date: IsoDate::new(date).0,
                },
            ))
        })
        .collect();
    // Stable: on one day, follow-ups before actions before goals, each in record order.
    items.sort_by_key(|(date, _)| *date);
    items.into_iter().map(|(_, item)| item).collect()
}
