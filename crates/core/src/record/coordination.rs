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
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AdvocacyNote {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub text: Narrative,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
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
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Transition {
    #[key]
    pub id: String,
    pub facility: String,
    pub admitted_on: Option<IsoDate>,
    pub discharged_on: Option<IsoDate>,
    /// Home, home with home health, SNF, rehab...
    pub disposition: String,
    pub reason: String,
    pub status: TransitionStatus,
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
}
