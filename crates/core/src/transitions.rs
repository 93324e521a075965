//! Transitions of care, read from the record: whether the patient is in hospital, the TCM clock
//! after a discharge home, LACE derived from the stay and the problem list, and the medication
//! reconciliation lines. Nothing here is stored: every device derives the same answer from the
//! same merged facts ([`crate::record::Transition`]).
//!
//! Rules beyond [`crate::rules::tcm`]:
//! - The clock starts only at a discharge to the community (home, home with home health, assisted
//!   living). An ED visit, a discharge to a SNF, rehab or hospice, and a death start none.
//! - A readmission after a discharge and within its 30-day service period stops that clock (its
//!   steps leave the worklist); the next discharge home starts a new one.
//! - The interactive contact is the first attempt whose outcome is "reached"; every other attempt
//!   is unsuccessful (two timely ones satisfy the requirement).
//! - A step stays open, overdue, until it is done or the service period ends.

use chrono::{Months, NaiveDate};

use crate::assess::latest_response;
use crate::ops::{Op, TransitionChanges};
use crate::record::*;
use crate::rules::instruments::{
    charlson_for_icd10, charlson_from_answers, charlson_index, lace_index, CharlsonCondition,
    LaceInput, LACE_HIGH_RISK,
};
use crate::rules::tcm::{
    tcm_deadlines, tcm_status, TaskStatus, TcmComplexity, TcmDeadlines, TcmProgress, TcmStatus,
};
use crate::rules::Instrument;

/// The LACE parts, as override ids, in L-A-C-E order.
pub const LACE_PARTS: [&str; 4] = ["length_of_stay", "acuity", "comorbidity", "ed_visits"];

/// The most points LACE gives a part (an override may not exceed it).
pub fn max_lace_points(part: &str) -> u64 {
    match part {
        "length_of_stay" => 7,
        "acuity" => 3,
        "comorbidity" => 5,
        "ed_visits" => 4,
        _ => 0,
    }
}

fn date(d: &Option<IsoDate>) -> Option<NaiveDate> {
    d.as_ref().and_then(IsoDate::date)
}

/// Active stays and visits, oldest admission first.
pub fn transitions(record: &PatientRecord) -> Vec<&Transition> {
    let mut out: Vec<&Transition> = record
        .transitions
        .iter()
        .filter(|t| t.is_active())
        .collect();
    out.sort_by(|a, b| {
        (date(&a.admitted_on), a.recorded.at).cmp(&(date(&b.admitted_on), b.recorded.at))
    });
    out
}

/// The stay the patient is in now: admitted (on or before `today`) and not yet discharged.
pub fn in_hospital(record: &PatientRecord, today: NaiveDate) -> Option<&Transition> {
    transitions(record)
        .into_iter()
        .rev()
        .find(|t| t.discharged_on.is_none() && date(&t.admitted_on).is_none_or(|d| d <= today))
}

/// A stay that ended in a discharge from hospital or facility (not an ED visit).
fn discharged_stay(t: &Transition) -> Option<NaiveDate> {
    if t.setting == CareSetting::EdVisit {
        return None;
    }
    date(&t.discharged_on)
}

/// The most recent discharge from a stay (not an ED visit) on or before `today`, from the
/// transitions and the older hospitalisation list.
pub fn last_discharge(record: &PatientRecord, today: NaiveDate) -> Option<NaiveDate> {
    let stays = record
        .transitions
        .iter()
        .filter(|t| t.is_active())
        .filter_map(discharged_stay);
    let older = record
        .medical
        .hospitalizations
        .iter()
        .filter(|h| h.is_active() && !h.emergency_only)
        .filter_map(|h| date(&h.discharged_on));
    stays.chain(older).filter(|d| *d <= today).max()
}

// ---------------------------------------------------------------------------------------------
// LACE

/// One LACE part: what the record gives, and a hand-set value if there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LacePart {
    /// One of [`LACE_PARTS`].
    pub id: &'static str,
    pub label: &'static str,
    /// Points derived from the record.
    pub derived: u32,
    /// What the derived points come from, in words.
    pub basis: String,
    /// `(points, reason)` set by the care manager.
    pub overridden: Option<(u32, String)>,
}

impl LacePart {
    pub fn points(&self) -> u32 {
        self.overridden.as_ref().map_or(self.derived, |(p, _)| *p)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedLace {
    pub parts: Vec<LacePart>,
    pub total: u32,
    pub high_risk: bool,
}

/// Charlson conditions from the problem list (active or controlled conditions, by ICD-10 code)
/// and from the latest Charlson questionnaire, each once.
pub fn charlson_conditions(record: &PatientRecord) -> Vec<CharlsonCondition> {
    let mut out: Vec<CharlsonCondition> = record
        .medical
        .conditions
        .iter()
        .filter(|c| {
            c.is_active()
                && matches!(
                    c.status,
                    ConditionStatus::Active | ConditionStatus::Controlled
                )
        })
        .filter_map(|c| charlson_for_icd10(&c.code))
        .collect();
    if let Some(r) = latest_response(record, Instrument::Charlson) {
        out.extend(charlson_from_answers(
            r.answers.iter().map(|a| (a.item.as_str(), a.value)),
        ));
    }
    out.sort_by_key(|c| CharlsonCondition::ALL.iter().position(|x| x == c));
    out.dedup();
    out
}

/// Dates of ED visits (recorded visits and older emergency-only hospitalisations).
fn ed_visit_dates(record: &PatientRecord) -> Vec<NaiveDate> {
    let visits = record
        .transitions
        .iter()
        .filter(|t| t.is_active() && t.setting == CareSetting::EdVisit)
        .filter_map(|t| date(&t.admitted_on));
    let older = record
        .medical
        .hospitalizations
        .iter()
        .filter(|h| h.is_active() && h.emergency_only)
        .filter_map(|h| date(&h.admitted_on));
    visits.chain(older).collect()
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// LACE for a stay that ended in a discharge, from the record; `None` for an ED visit or a stay
/// without both dates (or discharged before admitted).
pub fn derive_lace(record: &PatientRecord, t: &Transition) -> Option<DerivedLace> {
    if t.setting == CareSetting::EdVisit {
        return None;
    }
    let admitted = date(&t.admitted_on)?;
    let discharged = date(&t.discharged_on)?;
    let stay = discharged.signed_duration_since(admitted).num_days();
    let stay = u32::try_from(stay).ok()?;
    let conditions = charlson_conditions(record);
    let charlson = charlson_index(&conditions, None).comorbidity;
    let six_months_before = admitted.checked_sub_months(Months::new(6))?;
    let ed_visits = ed_visit_dates(record)
        .into_iter()
        .filter(|d| *d >= six_months_before && *d < admitted)
        .count();
    let ed_visits = u32::try_from(ed_visits).unwrap_or(u32::MAX);
    let derived = lace_index(&LaceInput {
        length_of_stay_days: stay,
        emergent_admission: t.emergent,
        charlson_score: charlson,
        ed_visits_past_6_months: ed_visits,
    });
    let override_of = |part: &str| {
        t.lace_overrides
            .iter()
            .filter(|o| o.is_active() && o.id == part)
            .max_by_key(|o| o.recorded.at)
            .map(|o| {
                let cap = max_lace_points(part);
                (
                    u32::try_from(o.points.min(cap)).unwrap_or(0),
                    o.reason.clone(),
                )
            })
    };
    let comorbidity_basis = if conditions.is_empty() {
        "No Charlson condition in the problem list".to_string()
    } else {
        let names: Vec<&str> = conditions.iter().map(|c| c.label()).collect();
        format!("Charlson index {charlson}: {}", names.join("; "))
    };
    let parts = vec![
        LacePart {
            id: LACE_PARTS[0],
            label: "Length of stay",
            derived: derived.length_of_stay,
            basis: plural(i64::from(stay), "day", "days"),
            overridden: override_of(LACE_PARTS[0]),
        },
        LacePart {
            id: LACE_PARTS[1],
            label: "Acuity of admission",
            derived: derived.acuity,
            basis: if t.emergent {
                "Admitted through the emergency department".into()
            } else {
                "Planned (elective) admission".into()
            },
            overridden: override_of(LACE_PARTS[1]),
        },
        LacePart {
            id: LACE_PARTS[2],
            label: "Comorbidity",
            derived: derived.comorbidity,
            basis: comorbidity_basis,
            overridden: override_of(LACE_PARTS[2]),
        },
        LacePart {
            id: LACE_PARTS[3],
            label: "ED visits in the 6 months before",
            derived: derived.ed_visits,
            basis: plural(i64::from(ed_visits), "ED visit", "ED visits"),
            overridden: override_of(LACE_PARTS[3]),
        },
    ];
    let total = parts.iter().map(LacePart::points).sum();
    Some(DerivedLace {
        parts,
        total,
        high_risk: total >= LACE_HIGH_RISK,
    })
}

/// The LACE the risk tier uses: that of the most recent discharge when it was within the last
/// 30 days, none when it was longer ago, and the latest LACE questionnaire when no discharge is
/// recorded at all.
pub fn risk_lace(record: &PatientRecord, today: NaiveDate) -> Option<u32> {
    let latest = transitions(record)
        .into_iter()
        .filter(|t| discharged_stay(t).is_some_and(|d| d <= today))
        .max_by_key(|t| (discharged_stay(t), t.recorded.at));
    match latest {
        Some(t) => {
            let discharged = discharged_stay(t)?;
            let days = today.signed_duration_since(discharged).num_days();
            if days > crate::rules::risk::RECENT_DISCHARGE_DAYS {
                return None;
            }
            derive_lace(record, t).map(|l| l.total)
        }
        None => latest_response(record, Instrument::Lace)
            .and_then(crate::assess::rescore)
            .map(|r| r.total),
    }
}

// ---------------------------------------------------------------------------------------------
// TCM

/// The three TCM steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcmStepKind {
    Contact,
    Visit,
    MedicationReconciliation,
}

impl TcmStepKind {
    /// The id a stored summary keeps.
    pub fn id(self) -> &'static str {
        match self {
            TcmStepKind::Contact => "tcm_contact",
            TcmStepKind::Visit => "tcm_visit",
            TcmStepKind::MedicationReconciliation => "tcm_med_rec",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TcmStepKind::Contact => "Interactive contact",
            TcmStepKind::Visit => "Face-to-face visit",
            TcmStepKind::MedicationReconciliation => "Medication reconciliation",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcmStep {
    pub kind: TcmStepKind,
    pub status: TaskStatus,
}

impl TcmStep {
    /// Neither met nor done late.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            TaskStatus::Pending { .. } | TaskStatus::Overdue { .. }
        )
    }

    pub fn due(&self) -> NaiveDate {
        match self.status {
            TaskStatus::Met { on } => on,
            TaskStatus::Pending { due, .. }
            | TaskStatus::Overdue { due, .. }
            | TaskStatus::DoneLate { due, .. } => due,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcmClock {
    pub deadlines: TcmDeadlines,
    pub status: TcmStatus,
    /// Contact, visit, medication reconciliation.
    pub steps: Vec<TcmStep>,
    /// A readmission within the service period stopped this clock.
    pub readmitted_on: Option<NaiveDate>,
    /// `today` is on or before the last day of the service period and no readmission stopped it.
    pub running: bool,
    pub unsuccessful_attempts: usize,
}

impl TcmClock {
    /// Open steps the worklist shows (none once the clock stopped).
    pub fn open_steps(&self) -> impl Iterator<Item = &TcmStep> {
        self.steps
            .iter()
            .filter(move |s| self.running && s.is_open())
    }

    /// Which TCM code the documented work supports, or why none (yet).
    pub fn code_text(&self) -> String {
        if let Some(code) = self.status.supported_code {
            return format!("Qualifies for TCM {code}");
        }
        if let Some(d) = self.readmitted_on {
            return format!(
                "No TCM code: readmitted on {} before the steps were met; the clock restarts at the next discharge home",
                IsoDate::new(d).as_str()
            );
        }
        let missed: Vec<&str> = self
            .steps
            .iter()
            .filter(|s| {
                matches!(
                    s.status,
                    TaskStatus::DoneLate { .. } | TaskStatus::Overdue { .. }
                )
            })
            .map(|s| match s.kind {
                TcmStepKind::Contact => {
                    "the interactive contact was not made within 2 business days"
                }
                TcmStepKind::Visit => "the face-to-face visit was not within the deadline",
                TcmStepKind::MedicationReconciliation => {
                    "medications were not reconciled by the visit"
                }
            })
            .collect();
        // A high-complexity visit after day 7 still supports 99495 when seen by day 14, so an
        // overdue visit alone is not final while day 14 is ahead.
        if !missed.is_empty() {
            return format!("No TCM code: {}", missed.join("; "));
        }
        "Not yet: the steps still open must be done by their dates".to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcmState {
    /// Not discharged yet.
    InHospital,
    /// An ED visit, or a discharge that starts no TCM (facility, hospice, not recorded).
    NotApplicable(String),
    /// The patient died at the end of this stay.
    Deceased,
    Clock(Box<TcmClock>),
    /// The recorded dates do not make sense (work dated before the discharge).
    Invalid(String),
}

/// TCM for one stay on `today`.
pub fn tcm_state(record: &PatientRecord, t: &Transition, today: NaiveDate) -> TcmState {
    if t.setting == CareSetting::EdVisit {
        return TcmState::NotApplicable(
            "An emergency department visit without admission starts no transitional care management."
                .into(),
        );
    }
    let Some(discharge) = date(&t.discharged_on) else {
        return TcmState::InHospital;
    };
    let complexity = match t.complexity {
        DecisionComplexity::High => TcmComplexity::High,
        _ => TcmComplexity::Moderate,
    };
    match &t.disposition {
        Disposition::Home | Disposition::HomeHealth | Disposition::AssistedLiving => {}
        Disposition::Deceased => return TcmState::Deceased,
        Disposition::Snf | Disposition::Rehab => return TcmState::NotApplicable(
            "Discharged to a facility: the TCM clock starts when the patient goes home from there."
                .into(),
        ),
        Disposition::Hospice => {
            return TcmState::NotApplicable(
                "Discharged to hospice: hospice coordinates care; no TCM clock.".into(),
            )
        }
        Disposition::NotRecorded | Disposition::Other(_) => {
            return TcmState::NotApplicable(
                "Record where the patient went to start the TCM clock.".into(),
            )
        }
    }
    let deadlines = match tcm_deadlines(discharge, complexity) {
        Ok(d) => d,
        Err(e) => return TcmState::Invalid(e.to_string()),
    };
    let attempts: Vec<&ContactAttempt> = t
        .contact_attempts
        .iter()
        .filter(|a| a.is_active())
        .collect();
    let reached = attempts
        .iter()
        .filter(|a| a.outcome == ContactOutcome::Reached)
        .filter_map(|a| a.date.date())
        .min();
    let unsuccessful: Vec<NaiveDate> = attempts
        .iter()
        .filter(|a| a.outcome != ContactOutcome::Reached)
        .filter_map(|a| a.date.date())
        .collect();
    let progress = TcmProgress {
        interactive_contact: reached,
        unsuccessful_contact_attempts: unsuccessful.clone(),
        face_to_face: date(&t.face_to_face_on),
        medication_reconciliation: date(&t.medication_reconciled_on),
    };
    let status = match tcm_status(&deadlines, &progress, today) {
        Ok(s) => s,
        Err(e) => return TcmState::Invalid(e.to_string()),
    };
    let readmitted_on = transitions(record)
        .into_iter()
        .filter(|o| o.id != t.id && o.setting != CareSetting::EdVisit)
        .filter_map(|o| date(&o.admitted_on))
        .filter(|d| *d > discharge && *d <= deadlines.service_period_end && *d <= today)
        .min();
    let steps = vec![
        TcmStep {
            kind: TcmStepKind::Contact,
            status: status.interactive_contact,
        },
        TcmStep {
            kind: TcmStepKind::Visit,
            status: status.face_to_face,
        },
        TcmStep {
            kind: TcmStepKind::MedicationReconciliation,
            status: status.medication_reconciliation,
        },
    ];
    let running = readmitted_on.is_none() && today <= deadlines.service_period_end;
    TcmState::Clock(Box::new(TcmClock {
        deadlines,
        status,
        steps,
        readmitted_on,
        running,
        unsuccessful_attempts: unsuccessful.len(),
    }))
}

/// Every open TCM step of every running clock: `(transition id, step)`, earliest due first.
pub fn open_tcm_steps(record: &PatientRecord, today: NaiveDate) -> Vec<(String, TcmStep)> {
    let mut out: Vec<(String, TcmStep)> = transitions(record)
        .into_iter()
        .filter_map(|t| match tcm_state(record, t, today) {
            TcmState::Clock(clock) => Some(
                clock
                    .open_steps()
                    .map(|s| (t.id.clone(), s.clone()))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    out.sort_by_key(|(_, s)| s.due());
    out
}

// ---------------------------------------------------------------------------------------------
// Medication reconciliation

/// Where a line of the reconciliation comes from. (A reconciliation has tens of lines, built once
/// per screen: the larger pair variant costs nothing worth boxing.)
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum RecSource {
    /// On the chart's list before admission and on the discharge list.
    Both {
        chart: Medication,
        discharge: DischargeMedication,
    },
    /// On the chart's list only.
    ChartOnly(Medication),
    /// On the discharge list only.
    DischargeOnly(DischargeMedication),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discrepancy {
    NotOnDischargeList,
    NewAtDischarge,
    DoseDiffers {
        before: String,
        after: String,
    },
    /// Another line has a medicine of the same name (first word), e.g. two metoprolols.
    DuplicateTherapy {
        with: String,
    },
}

impl Discrepancy {
    pub fn text(&self) -> String {
        match self {
            Discrepancy::NotOnDischargeList => "Not on the discharge list".into(),
            Discrepancy::NewAtDischarge => "New at discharge".into(),
            Discrepancy::DoseDiffers { before, after } => {
                format!("Dose differs: {before} before, {after} at discharge")
            }
            Discrepancy::DuplicateTherapy { with } => format!("Possible duplicate of {with}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecLine {
    /// Stable within one reconciliation: the chart medication's id, else the discharge one's.
    pub key: String,
    pub source: RecSource,
    pub discrepancies: Vec<Discrepancy>,
}

impl RecLine {
    pub fn name(&self) -> &str {
        match &self.source {
            RecSource::Both { chart, .. } | RecSource::ChartOnly(chart) => &chart.name,
            RecSource::DischargeOnly(d) => &d.name,
        }
    }

    /// What is decided unless the care manager chooses otherwise; `None` when a choice is
    /// required (a chart medication missing from the discharge list).
    pub fn default_decision(&self) -> Option<RecDecision> {
        match &self.source {
            RecSource::Both { chart, discharge } => {
                if same_text(&chart.dose, &discharge.dose) || discharge.dose.trim().is_empty() {
                    Some(RecDecision::Continue)
                } else {
                    Some(RecDecision::Change {
                        dose: discharge.dose.trim().to_string(),
                    })
                }
            }
            RecSource::ChartOnly(_) => None,
            RecSource::DischargeOnly(_) => Some(RecDecision::Add),
        }
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_text(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

fn first_word(s: &str) -> String {
    normalise(s)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The chart's current list (active and on-hold medications) beside the discharge list, paired by
/// name, with what differs.
pub fn reconciliation_lines(record: &PatientRecord, t: &Transition) -> Vec<RecLine> {
    let chart: Vec<&Medication> = record
        .medical
        .medications
        .iter()
        .filter(|m| {
            m.is_active()
                && matches!(
                    m.status,
                    MedicationStatus::Active | MedicationStatus::OnHold
                )
        })
        .collect();
    let discharge: Vec<&DischargeMedication> = t
        .discharge_medications
        .iter()
        .filter(|m| m.is_active())
        .collect();
    let mut used = vec![false; discharge.len()];
    let mut lines = Vec::new();
    for m in chart {
        let pair = discharge
            .iter()
            .enumerate()
            .find(|(i, d)| !used[*i] && same_text(&d.name, &m.name));
        match pair {
            Some((i, d)) => {
                used[i] = true;
                let mut discrepancies = Vec::new();
                if !same_text(&m.dose, &d.dose) && !d.dose.trim().is_empty() {
                    discrepancies.push(Discrepancy::DoseDiffers {
                        before: m.dose.trim().to_string(),
                        after: d.dose.trim().to_string(),
                    });
                }
                lines.push(RecLine {
                    key: m.id.clone(),
                    source: RecSource::Both {
                        chart: m.clone(),
                        discharge: (*d).clone(),
                    },
                    discrepancies,
                });
            }
            None => lines.push(RecLine {
                key: m.id.clone(),
                source: RecSource::ChartOnly(m.clone()),
                discrepancies: vec![Discrepancy::NotOnDischargeList],
            }),
        }
    }
    for (i, d) in discharge.iter().enumerate() {
        if !used[i] {
            lines.push(RecLine {
                key: d.id.clone(),
                source: RecSource::DischargeOnly((*d).clone()),
                discrepancies: vec![Discrepancy::NewAtDischarge],
            });
        }
    }
    // Duplicate therapy: two lines whose names start with the same word.
    let names: Vec<(String, String)> = lines
        .iter()
        .map(|l| (first_word(l.name()), l.name().trim().to_string()))
        .collect();
    for (i, line) in lines.iter_mut().enumerate() {
        let (word, _) = &names[i];
        if word.len() < 3 {
            continue;
        }
        for (j, (other_word, other_name)) in names.iter().enumerate() {
            if i != j && other_word == word {
                line.discrepancies.push(Discrepancy::DuplicateTherapy {
                    with: other_name.clone(),
                });
            }
        }
    }
    lines
}

/// What the care manager decides for one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecDecision {
    /// Keep taking it as on the chart.
    Continue,
    /// Keep taking it at a new dose.
    Change { dose: String },
    /// Stop it (a discharge-only medication: do not start it), with why.
    Stop { reason: String },
    /// Add a discharge-only medication to the chart's list.
    Add,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecError {
    #[error("Choose continue, change or stop for {0}.")]
    Undecided(String),
    #[error("Enter the new dose for {0}.")]
    NoDose(String),
    #[error("Enter why {0} is stopped.")]
    NoReason(String),
    #[error("{0} is not on the chart's list, so it can only be added or not started.")]
    NotOnChart(String),
}

/// The ops that finish a reconciliation: each chart medication marked reconciled on `on` (with
/// its change or stop), each added medication created reconciled, and the transition's
/// reconciliation date and who did it. `decisions` are by [`RecLine::key`]; a line without one
/// takes its default. `new_id` names added medications.
pub fn reconciliation_ops(
    lines: &[RecLine],
    decisions: &[(String, RecDecision)],
    transition_id: &str,
    on: &IsoDate,
    by: &str,
    mut new_id: impl FnMut() -> String,
) -> Result<Vec<Op>, RecError> {
    let mut ops = Vec::new();
    for line in lines {
        let decision = decisions
            .iter()
            .find(|(k, _)| *k == line.key)
            .map(|(_, d)| d.clone())
            .or_else(|| line.default_decision())
            .ok_or_else(|| RecError::Undecided(line.name().to_string()))?;
        let name = line.name().to_string();
        match (&line.source, decision) {
            (RecSource::Both { chart, .. } | RecSource::ChartOnly(chart), decision) => {
                match decision {
                    RecDecision::Continue => {}
                    RecDecision::Change { dose } => {
                        if dose.trim().is_empty() {
                            return Err(RecError::NoDose(name));
                        }
                        if !same_text(&dose, &chart.dose) {
                            ops.push(Op::ChangeMedication {
                                id: chart.id.clone(),
                                name: None,
                                dose: Some(dose.trim().to_string()),
                                route: None,
                                frequency: None,
                                prescriber: None,
                                indication: None,
                            });
                        }
                    }
                    RecDecision::Stop { reason } => {
                        if reason.trim().is_empty() {
                            return Err(RecError::NoReason(name));
                        }
                        ops.push(Op::SetMedicationStatus {
                            id: chart.id.clone(),
                            status: MedicationStatus::Stopped,
                            since: Some(on.clone()),
                            reason: reason.trim().to_string(),
                        });
                    }
                    RecDecision::Add => return Err(RecError::Undecided(name)),
                }
                ops.push(Op::MarkMedicationReconciled {
                    id: chart.id.clone(),
                    date: on.clone(),
                });
            }
            (RecSource::DischargeOnly(d), decision) => {
                let (status, reason) = match decision {
                    RecDecision::Add => (MedicationStatus::Active, String::new()),
                    RecDecision::Stop { reason } => {
                        if reason.trim().is_empty() {
                            return Err(RecError::NoReason(name));
                        }
                        (MedicationStatus::Stopped, reason.trim().to_string())
                    }
                    RecDecision::Continue | RecDecision::Change { .. } => {
                        return Err(RecError::NotOnChart(name))
                    }
                };
                let stopped = status == MedicationStatus::Stopped;
                ops.push(Op::AddMedication {
                    medication: Medication {
                        id: new_id(),
                        name: d.name.trim().to_string(),
                        dose: d.dose.trim().to_string(),
                        route: d.route.trim().to_string(),
                        frequency: d.frequency.trim().to_string(),
                        status,
                        last_reconciled: Some(on.clone()),
                        status_since: stopped.then(|| on.clone()),
                        status_reason: reason,
                        ..Default::default()
                    },
                });
            }
        }
    }
    ops.push(Op::UpdateTransition {
        id: transition_id.to_string(),
        changes: TransitionChanges {
            medication_reconciled_on: Some(on.clone()),
            reconciled_by: Some(by.trim().to_string()),
            ..Default::default()
        },
    });
    Ok(ops)
}

#[cfg(test)]
#[path = "transitions_tests.rs"]
mod tests;
