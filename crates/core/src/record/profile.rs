//! Identity, demographics, programs, functional status, support system, behavioural health and
//! social needs.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::common::{IsoDate, Retirement, Stamp};
use super::kinds::*;

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Profile {
    pub date_of_birth: Option<IsoDate>,
    /// Sex assigned at birth as recorded by the payer/EHR.
    pub sex: String,
    pub gender_identity: String,
    pub pronouns: String,
    pub preferred_language: String,
    pub interpreter_needed: bool,
    pub email: String,
    pub address: Address,
    pub phones: Vec<Phone>,
    pub identifiers: Vec<Identifier>,
    /// Clinically important: concurrent edits are surfaced as a conflict.
    pub code_status: CodeStatus,
    /// Insurance plans, primary first by `rank`.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub coverages: Vec<Coverage>,
    /// The roster id of the patient's primary care manager; empty: not assigned (a patient from
    /// before teams, in everyone's caseload). Reviewed: two supervisors assigning at once see both.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub care_manager: String,
    /// Others of the team who work with this patient, each in a role.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub team: Vec<TeamMember>,
    /// Every change of primary care manager, oldest first (the first is the assignment at intake).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub handovers: Vec<Handover>,
}

impl Profile {
    /// The roster ids of the care team's current members (besides the care manager).
    pub fn care_team_ids(&self) -> Vec<String> {
        self.team
            .iter()
            .filter(|m| m.retired.is_none())
            .map(|m| m.person_id.clone())
            .collect()
    }
}

/// A person of the roster on a patient's care team.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct TeamMember {
    #[key]
    pub id: String,
    /// Roster id.
    pub person_id: String,
    /// The person's name when they were added (the roster has the current one).
    pub person_name: String,
    /// What they do for this patient.
    pub role: PersonRole,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// The patient passing from one primary care manager to another, with what the receiver should
/// know first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Handover {
    #[key]
    pub id: String,
    /// Roster id of the previous care manager; empty for the first assignment.
    pub from_id: String,
    pub from_name: String,
    pub to_id: String,
    pub to_name: String,
    pub note: String,
    /// Who handed over, when.
    pub recorded: Stamp,
    /// When the receiver read the note ("Got it").
    pub acknowledged: Option<Stamp>,
    pub retired: Option<Retirement>,
}

/// One insurance plan covering the patient.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Coverage {
    #[key]
    pub id: String,
    /// The insurer ("Medicare Advantage — Humana", "Medicaid").
    pub payer: String,
    pub plan: String,
    pub member_id: String,
    pub group: String,
    pub effective_from: Option<IsoDate>,
    pub effective_to: Option<IsoDate>,
    pub rank: CoverageRank,
    /// The payer's appeal window in days, when known.
    pub appeal_window_days: Option<u64>,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Phone {
    #[key]
    pub id: String,
    /// "mobile", "home", "work", "caregiver"...
    pub label: String,
    pub number: String,
    pub primary: bool,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// MRN, Medicare MBI, Medicaid id, plan member id...
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Identifier {
    #[key]
    pub id: String,
    /// "mrn", "medicare_mbi", "medicaid", "plan_member_id"...
    pub system: String,
    pub value: String,
    /// Issuing organisation or payer.
    pub issuer: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Consent {
    pub date: IsoDate,
    pub method: ConsentMethod,
    /// Who obtained it (staff name).
    pub obtained_by: String,
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ProgramEnrollment {
    #[key]
    pub id: String,
    pub program: ProgramKind,
    pub status: ProgramStatus,
    pub start_date: Option<IsoDate>,
    pub end_date: Option<IsoDate>,
    /// For an episode, its outcome.
    pub end_reason: String,
    pub consent: Option<Consent>,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// A case-management episode's acute event ("fall at home, new walker needed").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub reason: String,
    /// The hospital stay (transition id) an episode follows, if any.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub linked_transition: String,
    /// The insurer's authorisation (reference or id) an episode works under, if any.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub linked_authorization: String,
    /// Every pause, resumption and end, dated (time on a paused day does not count).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub status_changes: Vec<ProgramStatusChange>,
    /// Months ("2026-11") billed as complex CCM: moderate or high complexity decision making and
    /// the care plan established or substantially revised that month.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub complex_months: Vec<String>,
}

/// One dated change of a program's status, with the reason given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ProgramStatusChange {
    #[key]
    pub id: String,
    pub status: ProgramStatus,
    pub date: IsoDate,
    pub reason: String,
    pub recorded: Stamp,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct FunctionalStatus {
    pub mobility: String,
    pub assistive_device: String,
    /// ADLs needing help (bathing, dressing...), free text so any instrument's wording fits.
    pub adl_help: String,
    pub iadl_help: String,
    pub falls_past_year: Option<u64>,
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct SupportSystem {
    pub lives_alone: Option<bool>,
    pub caregivers: Vec<Caregiver>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Caregiver {
    #[key]
    pub id: String,
    pub name: String,
    pub relationship: String,
    pub phone: String,
    pub primary: bool,
    /// Whether the patient allows sharing health information with this person.
    pub may_share_info: bool,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct BehavioralHealth {
    pub mental_health_history: String,
    pub substance_use: String,
    pub behavioral_health_provider: String,
    pub crisis_plan: String,
}

/// A social determinant of health need, by Gravity Project domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct SocialNeed {
    #[key]
    pub id: String,
    pub domain: SdohDomain,
    pub status: NeedStatus,
    pub detail: String,
    pub identified_on: Option<IsoDate>,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}
