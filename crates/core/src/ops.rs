//! Typed operations: the only way the app changes a patient document. Each op is plain data
//! (serde-serialisable, so it can be logged, replayed or generated in tests); item ids are chosen
//! by the caller (`ids::new_item_id()`), so an op means the same thing on every replica.

use serde::{Deserialize, Serialize};

use crate::record::*;

/// Free-text profile fields set one at a time, so concurrent edits of different fields both land.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    Sex,
    GenderIdentity,
    Pronouns,
    PreferredLanguage,
    Email,
}

impl ProfileField {
    pub fn key(self) -> &'static str {
        match self {
            ProfileField::Sex => "sex",
            ProfileField::GenderIdentity => "gender_identity",
            ProfileField::Pronouns => "pronouns",
            ProfileField::PreferredLanguage => "preferred_language",
            ProfileField::Email => "email",
        }
    }
}

/// The lists whose items can be retired (never deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemList {
    Phones,
    Identifiers,
    Coverages,
    CareTeam,
    Handovers,
    Programs,
    Conditions,
    Allergies,
    Medications,
    Providers,
    Hospitalizations,
    Caregivers,
    SocialNeeds,
    InstrumentResponses,
    SafetyAssessments,
    Needs,
    Goals,
    Actions,
    Barriers,
    Revisions,
    Agreements,
    Referrals,
    Authorizations,
    Education,
    Advocacy,
    FollowUps,
    Encounters,
    Transitions,
    TimeEntries,
}

impl ItemList {
    pub const ALL: &'static [ItemList] = &[
        ItemList::Phones,
        ItemList::Identifiers,
        ItemList::Coverages,
        ItemList::CareTeam,
        ItemList::Handovers,
        ItemList::Programs,
        ItemList::Conditions,
        ItemList::Allergies,
        ItemList::Medications,
        ItemList::Providers,
        ItemList::Hospitalizations,
        ItemList::Caregivers,
        ItemList::SocialNeeds,
        ItemList::InstrumentResponses,
        ItemList::SafetyAssessments,
        ItemList::Needs,
        ItemList::Goals,
        ItemList::Actions,
        ItemList::Barriers,
        ItemList::Revisions,
        ItemList::Agreements,
        ItemList::Referrals,
        ItemList::Authorizations,
        ItemList::Education,
        ItemList::Advocacy,
        ItemList::FollowUps,
        ItemList::Encounters,
        ItemList::Transitions,
        ItemList::TimeEntries,
    ];

    /// Where the list lives in the document.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            ItemList::Phones => &["profile", "phones"],
            ItemList::Identifiers => &["profile", "identifiers"],
            ItemList::Coverages => &["profile", "coverages"],
            ItemList::CareTeam => &["profile", "team"],
            ItemList::Handovers => &["profile", "handovers"],
            ItemList::Programs => &["programs"],
            ItemList::Conditions => &["medical", "conditions"],
            ItemList::Allergies => &["medical", "allergies"],
            ItemList::Medications => &["medical", "medications"],
            ItemList::Providers => &["medical", "providers"],
            ItemList::Hospitalizations => &["medical", "hospitalizations"],
            ItemList::Caregivers => &["support", "caregivers"],
            ItemList::SocialNeeds => &["social_needs"],
            ItemList::InstrumentResponses => &["assessments", "responses"],
            ItemList::SafetyAssessments => &["assessments", "safety_assessments"],
            ItemList::Needs => &["care_plan", "needs"],
            ItemList::Goals => &["care_plan", "goals"],
            ItemList::Actions => &["care_plan", "actions"],
            ItemList::Barriers => &["care_plan", "barriers"],
            ItemList::Revisions => &["care_plan", "revisions"],
            ItemList::Agreements => &["care_plan", "agreements"],
            ItemList::Referrals => &["coordination", "referrals"],
            ItemList::Authorizations => &["coordination", "authorizations"],
            ItemList::Education => &["coordination", "education"],
            ItemList::Advocacy => &["coordination", "advocacy"],
            ItemList::FollowUps => &["follow_ups"],
            ItemList::Encounters => &["encounters"],
            ItemList::Transitions => &["transitions"],
            ItemList::TimeEntries => &["time_log"],
        }
    }
}

/// What [`Op::UpdateTransition`] sets: the discharge and the TCM work after it. Fields left `None`
/// are not written, so a concurrent change of another field is kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransitionChanges {
    pub discharged_on: Option<IsoDate>,
    pub disposition: Option<Disposition>,
    pub status: Option<TransitionStatus>,
    #[serde(default)]
    pub discharge_summary_received: Option<bool>,
    #[serde(default)]
    pub complexity: Option<DecisionComplexity>,
    #[serde(default)]
    pub face_to_face_on: Option<IsoDate>,
    #[serde(default)]
    pub medication_reconciled_on: Option<IsoDate>,
    #[serde(default)]
    pub reconciled_by: Option<String>,
}

/// What [`Op::ChangeCoverage`] corrects; fields left `None` are not written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoverageChanges {
    pub payer: Option<String>,
    pub plan: Option<String>,
    pub member_id: Option<String>,
    pub group: Option<String>,
    pub effective_from: Option<IsoDate>,
    pub effective_to: Option<IsoDate>,
    pub rank: Option<CoverageRank>,
    pub appeal_window_days: Option<u64>,
}

/// What [`Op::ChangeReferral`] corrects (not the status: that is [`Op::SetReferralStatus`], which
/// keeps the dated history); fields left `None` are not written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralChanges {
    pub kind: Option<ReferralKind>,
    pub to: Option<String>,
    pub organisation_id: Option<String>,
    pub reason: Option<String>,
    pub urgency: Option<ReferralUrgency>,
    pub need_id: Option<String>,
    pub goal_id: Option<String>,
    pub sent_on: Option<IsoDate>,
    pub appointment_on: Option<IsoDate>,
    pub completed_on: Option<IsoDate>,
    pub outcome: Option<String>,
}

/// What [`Op::ChangeAuthorization`] corrects (not the status); fields left `None` are not written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthorizationChanges {
    pub service: Option<String>,
    pub payer: Option<String>,
    pub reference: Option<String>,
    pub requested_on: Option<IsoDate>,
    pub units_requested: Option<u64>,
    pub units_approved: Option<u64>,
    pub valid_from: Option<IsoDate>,
    pub valid_to: Option<IsoDate>,
    pub denied_on: Option<IsoDate>,
    pub denial_reason: Option<String>,
    pub appeal_window_days: Option<u64>,
    pub appealed_on: Option<IsoDate>,
    pub alternative_plan: Option<String>,
}

/// What a payer's decision (or an appeal) adds with [`Op::SetAuthorizationStatus`]; fields left
/// `None` are not written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthorizationDecision {
    /// Units approved (approval, partial approval, approval on appeal).
    pub units_approved: Option<u64>,
    pub valid_from: Option<IsoDate>,
    pub valid_to: Option<IsoDate>,
    pub denial_reason: Option<String>,
    /// The medical-necessity statement: replaces the authorisation's narrative (an appeal needs
    /// one, given here or written before).
    pub medical_necessity: Option<String>,
    pub alternative_plan: Option<String>,
    pub appeal_window_days: Option<u64>,
}

/// The lists inside one transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionList {
    DischargeMedications,
    ContactAttempts,
    LaceOverrides,
}

impl TransitionList {
    /// The list's property in a transition.
    pub fn prop(self) -> &'static str {
        match self {
            TransitionList::DischargeMedications => "discharge_medications",
            TransitionList::ContactAttempts => "contact_attempts",
            TransitionList::LaceOverrides => "lace_overrides",
        }
    }
}

/// Which narrative text an edit applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NarrativeTarget {
    /// Assessment sections (physical, emotional, social) and the care plan's preferences/priorities.
    Section {
        section: NarrativeSection,
    },
    EncounterNote {
        id: String,
    },
    AdvocacyNote {
        id: String,
    },
    MedicalNecessity {
        id: String,
    },
}

/// A typed change to a patient's record. Applied with [`crate::PatientDoc::apply`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    // Identity and demographics.
    Rename {
        name: PersonName,
    },
    SetProfileText {
        field: ProfileField,
        value: String,
    },
    SetDateOfBirth {
        date: Option<IsoDate>,
    },
    SetInterpreterNeeded {
        needed: bool,
    },
    SetAddress {
        address: Address,
    },
    SetCodeStatus {
        status: CodeStatus,
    },
    AddPhone {
        phone: Phone,
    },
    /// Changes only the fields given (as every `Change…` op), so a concurrent edit of another
    /// field is kept.
    ChangePhone {
        id: String,
        label: Option<String>,
        number: Option<String>,
        primary: Option<bool>,
    },
    AddIdentifier {
        identifier: Identifier,
    },
    ChangeIdentifier {
        id: String,
        system: Option<String>,
        value: Option<String>,
        issuer: Option<String>,
    },
    /// An insurance plan; removed with [`Op::Retire`] (list `coverages`).
    AddCoverage {
        coverage: Coverage,
    },
    ChangeCoverage {
        id: String,
        #[serde(flatten)]
        changes: CoverageChanges,
    },
    /// Makes `handover.to_id` the primary care manager and records the handover (who from, the
    /// note the receiver reads first). `from_id` must be the care manager now: a handover made
    /// from a stale screen is refused instead of silently overriding a newer one.
    HandOver {
        handover: Handover,
    },
    /// The receiver has read the handover note.
    AcknowledgeHandover {
        id: String,
    },
    /// A person joins the patient's care team (leaves it with [`Op::Retire`], list `care_team`).
    AddTeamMember {
        member: TeamMember,
    },
    EnrollProgram {
        enrollment: ProgramEnrollment,
    },
    RecordConsent {
        program_id: String,
        consent: Consent,
    },
    /// Pause, resume, end (or record a decline): sets the status and keeps a dated entry in the
    /// program's `status_changes` (id `change_id`) when a date is given.
    SetProgramStatus {
        program_id: String,
        status: ProgramStatus,
        date: Option<IsoDate>,
        reason: String,
        #[serde(default)]
        change_id: String,
    },
    /// Corrects an enrolment or episode; fields left `None` are not written.
    ChangeProgram {
        id: String,
        start_date: Option<IsoDate>,
        reason: Option<String>,
        linked_transition: Option<String>,
        linked_authorization: Option<String>,
    },
    /// Marks (or unmarks) a month ("2026-11") of a CCM enrolment as complex CCM.
    SetComplexMonth {
        program_id: String,
        month: String,
        complex: bool,
    },
    // Medical.
    AddCondition {
        condition: Condition,
    },
    SetConditionStatus {
        id: String,
        status: ConditionStatus,
    },
    AddAllergy {
        allergy: Allergy,
    },
    UpdateAllergy {
        id: String,
        reaction: Option<String>,
        severity: Option<AllergySeverity>,
        status: Option<AllergyStatus>,
    },
    AddMedication {
        medication: Medication,
    },
    /// Changes only the fields given, so a concurrent edit of another field is kept.
    ChangeMedication {
        id: String,
        #[serde(default)]
        name: Option<String>,
        dose: Option<String>,
        route: Option<String>,
        frequency: Option<String>,
        prescriber: Option<String>,
        #[serde(default)]
        indication: Option<String>,
    },
    /// Stop, hold, complete or resume, with the day it took effect and why (both kept with the
    /// medication; each change of them is in its history).
    SetMedicationStatus {
        id: String,
        status: MedicationStatus,
        #[serde(default)]
        since: Option<IsoDate>,
        #[serde(default)]
        reason: String,
    },
    MarkMedicationReconciled {
        id: String,
        date: IsoDate,
    },
    /// Sets a medication's structured timing (times of day, food, as needed, dates) as a whole.
    SetMedicationSchedule {
        id: String,
        schedule: MedicationSchedule,
    },
    AddProvider {
        provider: Provider,
    },
    ChangeProvider {
        id: String,
        name: Option<String>,
        role: Option<String>,
        organization: Option<String>,
        phone: Option<String>,
    },
    AddHospitalization {
        hospitalization: Hospitalization,
    },
    // Function, support, behavioural health, social needs.
    SetFunctionalStatus {
        functional: FunctionalStatus,
    },
    SetLivesAlone {
        lives_alone: Option<bool>,
    },
    AddCaregiver {
        caregiver: Caregiver,
    },
    ChangeCaregiver {
        id: String,
        name: Option<String>,
        relationship: Option<String>,
        phone: Option<String>,
        primary: Option<bool>,
        may_share_info: Option<bool>,
    },
    SetBehavioralHealth {
        behavioral: BehavioralHealth,
    },
    AddSocialNeed {
        need: SocialNeed,
    },
    SetSocialNeedStatus {
        id: String,
        status: NeedStatus,
    },
    // Assessments and narratives.
    RecordInstrument {
        response: InstrumentResponse,
    },
    /// Someone has taken the safety flag (PHQ-9 item 9) raised by `response_id`: the chart shows
    /// who and when until the safety assessment is recorded. Refused unless that response raised
    /// the flag; acknowledging it again changes nothing.
    AcknowledgeSafetyFlag {
        response_id: String,
    },
    /// The safety assessment of the flagged response `assessment.response_id` (which must exist,
    /// be active and have raised the flag); it closes the flag. Removed with [`Op::Retire`]
    /// (list `safety_assessments`), which reopens the flag.
    RecordSafetyAssessment {
        assessment: SafetyAssessment,
    },
    EditNarrative {
        target: NarrativeTarget,
        edit: TextEdit,
    },
    // Care plan.
    AddNeed {
        need: Need,
    },
    ChangeNeed {
        id: String,
        description: Option<String>,
        domain: Option<String>,
    },
    SetNeedStatus {
        id: String,
        status: NeedStatus,
    },
    AddGoal {
        goal: Goal,
    },
    /// `due` sets a new due date (a goal's due date is moved, not removed).
    ChangeGoal {
        id: String,
        description: Option<String>,
        measure: Option<String>,
        target: Option<String>,
        due: Option<IsoDate>,
    },
    SetGoalStatus {
        id: String,
        status: GoalStatus,
    },
    RecordProgress {
        goal_id: String,
        entry: ProgressEntry,
    },
    AddAction {
        action: CareAction,
    },
    ChangeAction {
        id: String,
        description: Option<String>,
        responsible: Option<Responsible>,
        due: Option<IsoDate>,
    },
    SetActionStatus {
        id: String,
        status: ActionStatus,
    },
    AddBarrier {
        barrier: Barrier,
    },
    RevisePlan {
        revision: PlanRevision,
    },
    RecordAgreement {
        agreement: Agreement,
    },
    // Coordination.
    AddReferral {
        referral: Referral,
    },
    /// Moves a referral on (the date is required) and keeps the change, signed, in its
    /// `status_changes` (id `change_id`). Sent sets `sent_on`; Scheduled requires the
    /// `appointment_on`; Completed sets `completed_on` and requires an outcome (given here or
    /// recorded before). `appointment_on` and `outcome` are written whenever given.
    SetReferralStatus {
        id: String,
        status: ReferralStatus,
        note: String,
        date: Option<IsoDate>,
        #[serde(default)]
        change_id: String,
        #[serde(default)]
        appointment_on: Option<IsoDate>,
        #[serde(default)]
        outcome: Option<String>,
    },
    /// Corrects a referral; only the fields given change.
    ChangeReferral {
        id: String,
        #[serde(flatten)]
        changes: ReferralChanges,
    },
    AddAuthorization {
        authorization: Authorization,
    },
    /// Records a payer's decision or an appeal (the date is required) and keeps the change, signed,
    /// in `status_changes` (id `change_id`). Approved and partially approved take the units
    /// approved (a partial approval fewer than requested); Denied sets `denied_on` (the appeal
    /// window runs from it); Appealed only follows a denial and needs the medical-necessity
    /// statement; the appeal's outcome only follows an appeal.
    SetAuthorizationStatus {
        id: String,
        status: AuthorizationStatus,
        date: Option<IsoDate>,
        #[serde(default)]
        change_id: String,
        #[serde(default)]
        note: String,
        #[serde(flatten)]
        decision: AuthorizationDecision,
    },
    /// Corrects an authorisation; only the fields given change.
    ChangeAuthorization {
        id: String,
        #[serde(flatten)]
        changes: AuthorizationChanges,
    },
    /// Units of an authorised service used (`entry.id` chosen by the caller).
    RecordAuthorizationUse {
        authorization_id: String,
        entry: AuthorizationUse,
    },
    /// Retires a use recorded in error.
    RetireAuthorizationUse {
        authorization_id: String,
        id: String,
        reason: RetireReason,
        note: String,
    },
    RecordEducation {
        education: Education,
    },
    AddAdvocacyNote {
        note: AdvocacyNote,
    },
    /// Corrects an advocacy note's date, counterpart, topic or outcome (its text is a narrative,
    /// edited with [`Op::EditNarrative`]); only the fields given change.
    ChangeAdvocacyNote {
        id: String,
        #[serde(default)]
        date: Option<IsoDate>,
        #[serde(default)]
        with_whom: Option<String>,
        #[serde(default)]
        topic: Option<String>,
        #[serde(default)]
        outcome: Option<String>,
    },
    // Follow-ups, encounters, transitions, time.
    ScheduleFollowUp {
        follow_up: FollowUp,
    },
    RescheduleFollowUp {
        id: String,
        due: IsoDate,
    },
    CompleteFollowUp {
        id: String,
        completed_on: IsoDate,
        outcome: String,
        symptom_review: String,
    },
    SetFollowUpStatus {
        id: String,
        status: FollowUpStatus,
    },
    StartEncounter {
        encounter: Encounter,
    },
    /// Refused once the encounter is signed.
    ChangeEncounter {
        id: String,
        subject: Option<String>,
        date: Option<IsoDate>,
    },
    /// Signs an encounter's note; the signer and the time are the change's author and time (kept
    /// in `signed`). A signed encounter is closed: edits of its note and `ChangeEncounter` are
    /// refused, later words are addenda ([`Op::AddEncounterAddendum`]); it may still be removed
    /// with [`Op::Retire`]. An empty note, or one already signed, is refused.
    SignEncounterNote {
        id: String,
    },
    /// Appends an addendum (`addendum.id` chosen by the caller) to a signed encounter's note,
    /// stamped with its author and time. Refused on an unsigned note and when empty.
    AddEncounterAddendum {
        encounter_id: String,
        addendum: EncounterAddendum,
    },
    RecordTransition {
        transition: Transition,
    },
    /// Corrects what was recorded at admission; only the fields given change.
    ChangeTransition {
        id: String,
        facility: Option<String>,
        admitted_on: Option<IsoDate>,
        reason: Option<String>,
        setting: Option<CareSetting>,
        emergent: Option<bool>,
    },
    /// The discharge and the TCM work after it; only the fields given change.
    UpdateTransition {
        id: String,
        #[serde(flatten)]
        changes: TransitionChanges,
    },
    AddDischargeMedication {
        transition_id: String,
        medication: DischargeMedication,
    },
    LogContactAttempt {
        transition_id: String,
        attempt: ContactAttempt,
    },
    /// Sets one LACE part by hand (replacing an earlier override of the same part).
    SetLaceOverride {
        transition_id: String,
        part: LaceOverride,
    },
    /// Retires an item of a transition's own lists (an attempt logged in error, an override).
    RetireTransitionItem {
        transition_id: String,
        list: TransitionList,
        id: String,
        reason: RetireReason,
        note: String,
    },
    LogMinutes {
        entry: TimeEntry,
    },
    /// Corrects a time entry; fields left `None` are not written.
    ChangeTimeEntry {
        id: String,
        date: Option<IsoDate>,
        minutes: Option<u64>,
        program: Option<ProgramKind>,
        activity: Option<String>,
        staff: Option<String>,
        staff_role: Option<PersonRole>,
    },
    // Lifecycle and review.
    Retire {
        list: ItemList,
        id: String,
        reason: RetireReason,
        note: String,
    },
    /// Writes one value over a reported conflict (see [`crate::conflicts`]).
    ResolveConflict {
        path: String,
        value: String,
    },
}

impl Op {
    /// A `Change…` or update op that names no field: applying it would write nothing, so an edit
    /// form that produced it has nothing to save.
    pub fn changes_nothing(&self) -> bool {
        match self {
            Op::ChangeTimeEntry {
                date,
                minutes,
                program,
                activity,
                staff,
                staff_role,
                ..
            } => {
                date.is_none()
                    && minutes.is_none()
                    && program.is_none()
                    && activity.is_none()
                    && staff.is_none()
                    && staff_role.is_none()
            }
            Op::ChangeProgram {
                start_date,
                reason,
                linked_transition,
                linked_authorization,
                ..
            } => {
                start_date.is_none()
                    && [reason, linked_transition, linked_authorization]
                        .iter()
                        .all(|f| f.is_none())
            }
            Op::ChangeMedication {
                name,
                dose,
                route,
                frequency,
                prescriber,
                indication,
                ..
            } => [name, dose, route, frequency, prescriber, indication]
                .iter()
                .all(|f| f.is_none()),
            Op::UpdateAllergy {
                reaction,
                severity,
                status,
                ..
            } => reaction.is_none() && severity.is_none() && status.is_none(),
            Op::ChangePhone {
                label,
                number,
                primary,
                ..
            } => label.is_none() && number.is_none() && primary.is_none(),
            Op::ChangeIdentifier {
                system,
                value,
                issuer,
                ..
            } => system.is_none() && value.is_none() && issuer.is_none(),
            Op::ChangeProvider {
                name,
                role,
                organization,
                phone,
                ..
            } => [name, role, organization, phone]
                .iter()
                .all(|f| f.is_none()),
            Op::ChangeCaregiver {
                name,
                relationship,
                phone,
                primary,
                may_share_info,
                ..
            } => {
                [name, relationship, phone].iter().all(|f| f.is_none())
                    && primary.is_none()
                    && may_share_info.is_none()
            }
            Op::ChangeNeed {
                description,
                domain,
                ..
            } => description.is_none() && domain.is_none(),
            Op::ChangeGoal {
                description,
                measure,
                target,
                due,
                ..
            } => [description, measure, target].iter().all(|f| f.is_none()) && due.is_none(),
            Op::ChangeAction {
                description,
                responsible,
                due,
                ..
            } => description.is_none() && responsible.is_none() && due.is_none(),
            Op::ChangeEncounter { subject, date, .. } => subject.is_none() && date.is_none(),
            Op::ChangeTransition {
                facility,
                admitted_on,
                reason,
                setting,
                emergent,
                ..
            } => {
                facility.is_none()
                    && admitted_on.is_none()
                    && reason.is_none()
                    && setting.is_none()
                    && emergent.is_none()
            }
            Op::UpdateTransition { changes, .. } => *changes == TransitionChanges::default(),
            Op::ChangeCoverage { changes, .. } => *changes == CoverageChanges::default(),
            Op::ChangeReferral { changes, .. } => *changes == ReferralChanges::default(),
            Op::ChangeAuthorization { changes, .. } => *changes == AuthorizationChanges::default(),
            Op::ChangeAdvocacyNote {
                date,
                with_whom,
                topic,
                outcome,
                ..
            } => date.is_none() && [with_whom, topic, outcome].iter().all(|f| f.is_none()),
            _ => false,
        }
    }

    /// The name recorded in each change's metadata (and shown in history).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Rename { .. } => "rename",
            Op::SetProfileText { .. } => "set_profile_text",
            Op::SetDateOfBirth { .. } => "set_date_of_birth",
            Op::SetInterpreterNeeded { .. } => "set_interpreter_needed",
            Op::SetAddress { .. } => "set_address",
            Op::SetCodeStatus { .. } => "set_code_status",
            Op::AddPhone { .. } => "add_phone",
            Op::ChangePhone { .. } => "change_phone",
            Op::AddIdentifier { .. } => "add_identifier",
            Op::ChangeIdentifier { .. } => "change_identifier",
            Op::AddCoverage { .. } => "add_coverage",
            Op::ChangeCoverage { .. } => "change_coverage",
            Op::HandOver { .. } => "hand_over",
            Op::AcknowledgeHandover { .. } => "acknowledge_handover",
            Op::AddTeamMember { .. } => "add_team_member",
            Op::EnrollProgram { .. } => "enroll_program",
            Op::RecordConsent { .. } => "record_consent",
            Op::SetProgramStatus { .. } => "set_program_status",
            Op::ChangeProgram { .. } => "change_program",
            Op::SetComplexMonth { .. } => "set_complex_month",
            Op::AddCondition { .. } => "add_condition",
            Op::SetConditionStatus { .. } => "set_condition_status",
            Op::AddAllergy { .. } => "add_allergy",
            Op::UpdateAllergy { .. } => "update_allergy",
            Op::AddMedication { .. } => "add_medication",
            Op::ChangeMedication { .. } => "change_medication",
            Op::SetMedicationStatus { .. } => "set_medication_status",
            Op::MarkMedicationReconciled { .. } => "mark_medication_reconciled",
            Op::SetMedicationSchedule { .. } => "set_medication_schedule",
            Op::AddProvider { .. } => "add_provider",
            Op::ChangeProvider { .. } => "change_provider",
            Op::AddHospitalization { .. } => "add_hospitalization",
            Op::SetFunctionalStatus { .. } => "set_functional_status",
            Op::SetLivesAlone { .. } => "set_lives_alone",
            Op::AddCaregiver { .. } => "add_caregiver",
            Op::ChangeCaregiver { .. } => "change_caregiver",
            Op::SetBehavioralHealth { .. } => "set_behavioral_health",
            Op::AddSocialNeed { .. } => "add_social_need",
            Op::SetSocialNeedStatus { .. } => "set_social_need_status",
            Op::RecordInstrument { .. } => "record_instrument",
            Op::AcknowledgeSafetyFlag { .. } => "acknowledge_safety_flag",
            Op::RecordSafetyAssessment { .. } => "record_safety_assessment",
            Op::EditNarrative { .. } => "edit_narrative",
            Op::AddNeed { .. } => "add_need",
            Op::ChangeNeed { .. } => "change_need",
            Op::SetNeedStatus { .. } => "set_need_status",
            Op::AddGoal { .. } => "add_goal",
            Op::ChangeGoal { .. } => "change_goal",
            Op::SetGoalStatus { .. } => "set_goal_status",
            Op::RecordProgress { .. } => "record_progress",
            Op::AddAction { .. } => "add_action",
            Op::ChangeAction { .. } => "change_action",
            Op::SetActionStatus { .. } => "set_action_status",
            Op::AddBarrier { .. } => "add_barrier",
            Op::RevisePlan { .. } => "revise_plan",
            Op::RecordAgreement { .. } => "record_agreement",
            Op::AddReferral { .. } => "add_referral",
            Op::SetReferralStatus { .. } => "set_referral_status",
            Op::ChangeReferral { .. } => "change_referral",
            Op::AddAuthorization { .. } => "add_authorization",
            Op::SetAuthorizationStatus { .. } => "set_authorization_status",
            Op::ChangeAuthorization { .. } => "change_authorization",
            Op::RecordAuthorizationUse { .. } => "record_authorization_use",
            Op::RetireAuthorizationUse { .. } => "retire_authorization_use",
            Op::RecordEducation { .. } => "record_education",
            Op::AddAdvocacyNote { .. } => "add_advocacy_note",
            Op::ChangeAdvocacyNote { .. } => "change_advocacy_note",
            Op::ScheduleFollowUp { .. } => "schedule_follow_up",
            Op::RescheduleFollowUp { .. } => "reschedule_follow_up",
            Op::CompleteFollowUp { .. } => "complete_follow_up",
            Op::SetFollowUpStatus { .. } => "set_follow_up_status",
            Op::StartEncounter { .. } => "start_encounter",
            Op::ChangeEncounter { .. } => "change_encounter",
            Op::SignEncounterNote { .. } => "sign_encounter_note",
            Op::AddEncounterAddendum { .. } => "add_encounter_addendum",
            Op::RecordTransition { .. } => "record_transition",
            Op::ChangeTransition { .. } => "change_transition",
            Op::UpdateTransition { .. } => "update_transition",
            Op::AddDischargeMedication { .. } => "add_discharge_medication",
            Op::LogContactAttempt { .. } => "log_contact_attempt",
            Op::SetLaceOverride { .. } => "set_lace_override",
            Op::RetireTransitionItem { .. } => "retire_transition_item",
            Op::LogMinutes { .. } => "log_minutes",
            Op::ChangeTimeEntry { .. } => "change_time_entry",
            Op::Retire { .. } => "retire",
            Op::ResolveConflict { .. } => "resolve_conflict",
        }
    }
}
