//! Coordination and follow-through: referrals, authorisations, education, advocacy, follow-ups,
//! encounters, transitions of care and the CCM/PCM time log.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::common::{IsoDate, Retirement, Stamp};
use super::kinds::*;
use super::narrative::Narrative;

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Coordination {
    pub referrals: Vec<Referral>,
    pub authorizations: Vec<Authorization>,
    pub education: Vec<Education>,
    pub advocacy: Vec<AdvocacyNote>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Referral {
    #[key]
    pub id: String,
    pub kind: ReferralKind,
    /// Specialist, agency or resource referred to.
    pub to: String,
    pub reason: String,
    pub status: ReferralStatus,
    pub status_note: String,
    pub sent_on: Option<IsoDate>,
    pub completed_on: Option<IsoDate>,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// The workspace directory's organisation referred to; empty when `to` is free text.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub organisation_id: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub urgency: ReferralUrgency,
    /// The care plan's need (and goal) the referral serves, empty when none.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub need_id: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub goal_id: String,
    /// The appointment the referral was scheduled for.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub appointment_on: Option<IsoDate>,
    /// What came of it (closing the loop).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub outcome: String,
    /// Every status change, dated and signed, oldest first.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub status_changes: Vec<ReferralStatusChange>,
}

/// One dated change of a referral's status, with who recorded it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ReferralStatusChange {
    #[key]
    pub id: String,
    pub status: ReferralStatus,
    pub date: IsoDate,
    pub note: String,
    pub recorded: Stamp,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Authorization {
    #[key]
    pub id: String,
    pub service: String,
    pub payer: String,
    pub reference: String,
    pub status: AuthorizationStatus,
    pub requested_on: Option<IsoDate>,
    pub decided_on: Option<IsoDate>,
    pub medical_necessity: Narrative,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub units_requested: Option<u64>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub units_approved: Option<u64>,
    /// The period the approval covers.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub valid_from: Option<IsoDate>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub valid_to: Option<IsoDate>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub denial_reason: String,
    /// The date on the denial notice: the appeal window runs from it.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub denied_on: Option<IsoDate>,
    /// The payer's appeal window in days; `None` means the usual
    /// [`crate::coordination::DEFAULT_APPEAL_WINDOW_DAYS`].
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub appeal_window_days: Option<u64>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub appealed_on: Option<IsoDate>,
    /// What the patient does meanwhile, or instead, after a denial.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub alternative_plan: String,
    /// Units used against the approval (visits, trips, supplies...).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub uses: Vec<AuthorizationUse>,
    /// Every status change, dated and signed, oldest first.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub status_changes: Vec<AuthorizationStatusChange>,
}

/// Units of an authorised service used on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AuthorizationUse {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub units: u64,
    pub note: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// One dated change of an authorisation's status, with who recorded it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AuthorizationStatusChange {
    #[key]
    pub id: String,
    pub status: AuthorizationStatus,
    pub date: IsoDate,
    pub note: String,
    pub recorded: Stamp,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Education {
    #[key]
    pub id: String,
    pub topic: String,
    pub materials: String,
    pub teach_back: TeachBack,
    pub date: IsoDate,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// A condition, a medication, a procedure, a self-management skill, warning signs.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub kind: EducationKind,
    /// Told, shown, written material, video...
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub method: TeachingMethod,
    /// Teach the topic again (also implied by a teach-back result of "needs review").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub revisit: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AdvocacyNote {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub text: Narrative,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// Who the care manager advocated with (a payer, a landlord, a pharmacy...).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub with_whom: String,
    /// What it was about.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub topic: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub outcome: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct FollowUp {
    #[key]
    pub id: String,
    pub kind: FollowUpKind,
    pub due: IsoDate,
    pub reason: String,
    pub status: FollowUpStatus,
    pub outcome: String,
    pub symptom_review: String,
    pub completed_on: Option<IsoDate>,
    pub reschedule_count: u64,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Encounter {
    #[key]
    pub id: String,
    pub kind: EncounterKind,
    pub date: IsoDate,
    pub subject: String,
    pub note: Narrative,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// Who signed the note and when. A signed encounter is closed: its note, subject and date
    /// are no longer changed; later words are `addenda` (see `Op::SignEncounterNote`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub signed: Option<Stamp>,
    /// What was added to the note after it was signed, oldest first.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub addenda: Vec<EncounterAddendum>,
}

impl Encounter {
    pub fn is_signed(&self) -> bool {
        self.signed.is_some()
    }
}

/// Words added to a signed encounter's note, with who wrote them and when. Never edited: a
/// correction is another addendum.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct EncounterAddendum {
    #[key]
    pub id: String,
    pub text: String,
    pub recorded: Stamp,
}

/// One stay or visit away from home: an ED visit, a hospital admission (inpatient or
/// observation), or a skilled-nursing or rehab stay — and, after a discharge home, the
/// transitional-care (TCM) work that follows it. What is due and when is derived from these facts
/// by [`crate::transitions`], never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Transition {
    #[key]
    pub id: String,
    pub facility: String,
    pub admitted_on: Option<IsoDate>,
    pub discharged_on: Option<IsoDate>,
    /// Where the patient went (home, home health, SNF, rehab, hospice, died).
    pub disposition: Disposition,
    /// Reason for the stay or the diagnosis.
    pub reason: String,
    pub status: TransitionStatus,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub setting: CareSetting,
    /// Admitted through the emergency department (LACE's acuity).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub emergent: bool,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub discharge_summary_received: bool,
    /// The medication list the patient left with, to reconcile against the chart's list.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub discharge_medications: Vec<DischargeMedication>,
    /// Medical decision making the care manager chose: the face-to-face visit is due within 7
    /// days when high (99496), 14 when moderate (99495).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub complexity: DecisionComplexity,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub contact_attempts: Vec<ContactAttempt>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub face_to_face_on: Option<IsoDate>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub medication_reconciled_on: Option<IsoDate>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub reconciled_by: String,
    /// LACE parts the care manager set by hand, keyed by the part ("length_of_stay", ...).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub lace_overrides: Vec<LaceOverride>,
}

/// A medication as written on the discharge paperwork.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct DischargeMedication {
    #[key]
    pub id: String,
    pub name: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// One try to reach the patient after a discharge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ContactAttempt {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub method: ContactMethod,
    pub outcome: ContactOutcome,
    pub note: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// A LACE part set by hand; `id` is the part ("length_of_stay", "acuity", "comorbidity",
/// "ed_visits"), so two devices overriding the same part merge into one entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct LaceOverride {
    #[key]
    pub id: String,
    pub points: u64,
    pub reason: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// Minutes of care-management time, the basis of CCM/PCM billing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct TimeEntry {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub minutes: u64,
    pub program: ProgramKind,
    pub staff: String,
    pub activity: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
    /// The role of the person whose time this is: it decides which codes the minutes count toward
    /// (clinical staff vs the billing practitioner) or whether they count at all.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub staff_role: PersonRole,
    /// When a timer started it (ms since the epoch); `None` for a manual entry.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub timer_started_at: Option<i64>,
}
