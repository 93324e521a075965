//! The patient record: the Rust shape of one patient's Automerge document.
//!
//! Every list item has a stable string `id` (`#[key]`) so concurrent inserts and edits merge item
//! by item; every clinical item carries who recorded it and may be retired, never deleted.
//! Evolution is additive: a field added after v1 must hydrate from a document that lacks it
//! (`#[autosurgeon(missing = "Default::default")]`).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

pub mod care_plan;
pub mod clinical;
pub mod common;
pub mod coordination;
pub mod kinds;
pub mod narrative;
pub mod profile;

pub use care_plan::*;
pub use clinical::*;
pub use common::*;
pub use coordination::*;
pub use kinds::*;
pub use narrative::{Narrative, TextEdit};
pub use profile::*;

/// The schema version this build writes. Evolution is additive: new fields are optional with defaults.
pub const SCHEMA_VERSION: u64 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct PersonName {
    pub given: String,
    pub family: String,
}

impl PersonName {
    /// "Family, Given" as care managers scan lists; falls back to whichever part exists.
    pub fn display(&self) -> String {
        match (self.given.trim(), self.family.trim()) {
            ("", "") => String::new(),
            (g, "") => g.to_string(),
            ("", f) => f.to_string(),
            (g, f) => format!("{f}, {g}"),
        }
    }
}

/// One patient's whole record, as stored in their Automerge document.
///
/// Sections default when absent so documents from the first skeleton (name only) still open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct PatientRecord {
    pub schema_version: u64,
    pub id: String,
    pub name: PersonName,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub profile: Profile,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub programs: Vec<ProgramEnrollment>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub medical: Medical,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub functional: FunctionalStatus,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub support: SupportSystem,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub behavioral: BehavioralHealth,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub social_needs: Vec<SocialNeed>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub assessments: Assessments,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub care_plan: CarePlan,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub coordination: Coordination,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub encounters: Vec<Encounter>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub transitions: Vec<Transition>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub time_log: Vec<TimeEntry>,
}

common::list_items!(
    Phone,
    Identifier,
    Coverage,
    TeamMember,
    Handover,
    ProgramEnrollment,
    Caregiver,
    SocialNeed,
    Condition,
    Allergy,
    Medication,
    Provider,
    Hospitalization,
    InstrumentResponse,
    SafetyAssessment,
    Need,
    Goal,
    ProgressEntry,
    CareAction,
    Barrier,
    PlanRevision,
    Agreement,
    Referral,
    Authorization,
    AuthorizationUse,
    Education,
    AdvocacyNote,
    FollowUp,
    Encounter,
    Transition,
    DischargeMedication,
    ContactAttempt,
    LaceOverride,
    TimeEntry,
);
