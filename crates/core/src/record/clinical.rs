//! Problem list, allergies, medications, providers, hospitalisations and assessments.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::common::{IsoDate, Retirement, Stamp};
use super::kinds::*;
use super::narrative::Narrative;

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Medical {
    pub conditions: Vec<Condition>,
    pub allergies: Vec<Allergy>,
    pub medications: Vec<Medication>,
    pub providers: Vec<Provider>,
    pub hospitalizations: Vec<Hospitalization>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Condition {
    #[key]
    pub id: String,
    /// e.g. ICD-10-CM "E11.9"; may be empty when only text is known.
    pub code: String,
    pub code_system: String,
    pub text: String,
    pub chronic: bool,
    pub onset: Option<IsoDate>,
    pub status: ConditionStatus,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Allergy {
    #[key]
    pub id: String,
    pub substance: String,
    pub reaction: String,
    pub severity: AllergySeverity,
    pub status: AllergyStatus,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Medication {
    #[key]
    pub id: String,
    pub name: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub prescriber: String,
    pub indication: String,
    pub status: MedicationStatus,
    pub last_reconciled: Option<IsoDate>,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// When the current status began (e.g. the day it was stopped); absent before it changed.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub status_since: Option<IsoDate>,
    /// Why the status changed ("stopped by cardiology: low blood pressure").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub status_reason: String,
    /// When in the day it is taken; until set, `frequency` (free text) is what is known.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub schedule: MedicationSchedule,
}

/// A medication's timing, structured: times of day, food, as-needed use, and its dates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct MedicationSchedule {
    /// "morning", "noon", "evening", "bedtime" or a clock time "HH:MM"; empty when unstructured.
    pub times: Vec<String>,
    pub food: FoodInstruction,
    /// Taken only when needed.
    pub as_needed: bool,
    /// What it is taken for when needed ("for pain", "if short of breath").
    pub as_needed_reason: String,
    pub max_per_day: Option<u64>,
    pub start_on: Option<IsoDate>,
    pub stop_on: Option<IsoDate>,
}

impl MedicationSchedule {
    /// Nothing structured is recorded yet (the free-text frequency still says how it is taken).
    pub fn is_empty(&self) -> bool {
        self.times.is_empty() && !self.as_needed
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Provider {
    #[key]
    pub id: String,
    pub name: String,
    /// "pcp", "cardiology", "pharmacy"...
    pub role: String,
    pub organization: String,
    pub phone: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Hospitalization {
    #[key]
    pub id: String,
    pub facility: String,
    pub admitted_on: Option<IsoDate>,
    pub discharged_on: Option<IsoDate>,
    pub reason: String,
    /// ED visit rather than inpatient stay (LACE counts them separately).
    pub emergency_only: bool,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Assessments {
    pub responses: Vec<InstrumentResponse>,
    pub physical: Narrative,
    pub emotional: Narrative,
    pub social: Narrative,
    /// Safety assessments of flagged PHQ-9 responses.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub safety_assessments: Vec<SafetyAssessment>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Answer {
    #[key]
    pub item: String,
    pub value: i64,
}

/// One administration of a standard instrument (PHQ-9, GAD-7, Katz, ...). The total is stored as
/// computed at the time so later rule changes never rewrite a signed score.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct InstrumentResponse {
    #[key]
    pub id: String,
    /// Instrument id as used by the rules module, e.g. "phq9".
    pub instrument: String,
    pub answers: Vec<Answer>,
    pub total: Option<i64>,
    pub date: IsoDate,
    pub administered_by: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// Who acknowledged this response's safety flag (PHQ-9 item 9), and when: the team sees
    /// someone has taken it before the safety assessment is recorded
    /// (`Op::AcknowledgeSafetyFlag`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub safety_acknowledged: Option<Stamp>,
}

/// A clinician's suicide/self-harm safety assessment of a PHQ-9 response whose item 9 raised the
/// safety flag (`response_id`). Recorded once the flag is addressed; the flag stays closed while
/// an active assessment of the latest PHQ-9 exists (`assess::open_safety_flag`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct SafetyAssessment {
    #[key]
    pub id: String,
    /// The instrument response that raised the flag.
    pub response_id: String,
    /// The day the assessment was done.
    pub date: IsoDate,
    /// Who assessed the patient (name and credentials, e.g. "Dr. Lee Kim, LCSW").
    pub assessed_by: String,
    pub risk_level: SafetyRiskLevel,
    /// The 988 Suicide & Crisis Lifeline (or a local crisis line) was given to the patient.
    pub crisis_line_given: bool,
    /// The safety plan (or why none is needed).
    pub plan: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}
