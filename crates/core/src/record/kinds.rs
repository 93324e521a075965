//! Closed vocabularies stored as plain strings. Every enum keeps unknown strings in `Other`, so a
//! document written by a newer version with a new status still opens here (additive evolution).

/// Declares a string-valued enum with an `Other(String)` fallback, stored in Automerge and JSON as
/// its lower-snake-case string.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? } default $default:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this build does not know (written by a newer version).
            Other(String),
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $s,)+
                    $name::Other(s) => s.as_str(),
                }
            }

            pub fn parse(s: &str) -> Self {
                match s {
                    $($s => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
                r.str(self.as_str())
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                Ok($name::parse(s))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}

string_enum!(
    /// Care-management programs a patient can be enrolled in.
    ProgramKind { Ccm = "ccm", Pcm = "pcm", Tcm = "tcm", CaseManagement = "case_management", Bhi = "bhi" } default CaseManagement
);
string_enum!(
    /// How consent was obtained (CCM/PCM require documented verbal or written consent).
    ConsentMethod { Verbal = "verbal", Written = "written", Electronic = "electronic" } default Verbal
);
string_enum!(
    ProgramStatus { Active = "active", Paused = "paused", Ended = "ended", Declined = "declined" } default Active
);
string_enum!(
    CodeStatus { Unknown = "unknown", FullCode = "full_code", Dnr = "dnr", DnrDni = "dnr_dni", ComfortCare = "comfort_care" } default Unknown
);
string_enum!(
    ConditionStatus { Active = "active", Controlled = "controlled", Resolved = "resolved", Inactive = "inactive" } default Active
);
string_enum!(
    AllergySeverity { Unknown = "unknown", Mild = "mild", Moderate = "moderate", Severe = "severe", LifeThreatening = "life_threatening" } default Unknown
);
string_enum!(
    AllergyStatus { Active = "active", Inactive = "inactive", Refuted = "refuted" } default Active
);
string_enum!(
    MedicationStatus { Active = "active", OnHold = "on_hold", Stopped = "stopped", Completed = "completed" } default Active
);
string_enum!(
    /// Gravity Project social-risk domains.
    SdohDomain {
        FoodInsecurity = "food_insecurity",
        HousingInstability = "housing_instability",
        InadequateHousing = "inadequate_housing",
        Homelessness = "homelessness",
        TransportationInsecurity = "transportation_insecurity",
        UtilityInsecurity = "utility_insecurity",
        FinancialInsecurity = "financial_insecurity",
        InterpersonalSafety = "interpersonal_safety",
        SocialConnection = "social_connection",
        Education = "education",
        Employment = "employment",
        HealthLiteracy = "health_literacy",
        HealthInsurance = "health_insurance",
        Stress = "stress",
    } default FoodInsecurity
);
string_enum!(
    NeedStatus { Identified = "identified", InProgress = "in_progress", Met = "met", Declined = "declined", NotMet = "not_met" } default Identified
);
string_enum!(
    GoalStatus { Proposed = "proposed", Active = "active", Achieved = "achieved", NotAchieved = "not_achieved", Cancelled = "cancelled" } default Active
);
string_enum!(
    ActionStatus { Planned = "planned", InProgress = "in_progress", Done = "done", Cancelled = "cancelled", Blocked = "blocked" } default Planned
);
string_enum!(
    Responsible { Patient = "patient", Family = "family", CareManager = "care_manager", Provider = "provider", OtherPerson = "other" } default CareManager
);
string_enum!(
    ReferralKind {
        Specialist = "specialist", HomeHealth = "home_health", Therapy = "therapy", Transport = "transport",
        PrescriptionDelivery = "prescription_delivery", FoodBank = "food_bank", FinancialAid = "financial_aid",
        BehavioralHealth = "behavioral_health", Dme = "dme", CommunityResource = "community_resource",
    } default CommunityResource
);
string_enum!(
    /// A referral's place in the loop: sent, then scheduled, then closed with its outcome (completed)
    /// or without one (declined, cancelled, no-show).
    ReferralStatus { Draft = "draft", Sent = "sent", Accepted = "accepted", Scheduled = "scheduled", Completed = "completed", Declined = "declined", Cancelled = "cancelled", NoShow = "no_show" } default Draft
);
string_enum!(
    /// How soon the referral must be acted on: it decides how many days after sending an
    /// unscheduled referral becomes overdue (`coordination::schedule_within_days`).
    ReferralUrgency { Routine = "routine", Urgent = "urgent", Emergent = "emergent" } default Routine
);
string_enum!(
    AuthorizationStatus { Requested = "requested", Approved = "approved", PartiallyApproved = "partially_approved", Denied = "denied", Appealed = "appealed", AppealApproved = "appeal_approved", AppealDenied = "appeal_denied" } default Requested
);
string_enum!(
    /// Which payer is billed first (coordination of benefits).
    CoverageRank { Primary = "primary", Secondary = "secondary", Tertiary = "tertiary" } default Primary
);
string_enum!(
    /// "Not understood" (older records) and "needs review" both mean: teach it again.
    TeachBack { NotAssessed = "not_assessed", Understood = "understood", Partial = "partial", NeedsReview = "needs_review", NotUnderstood = "not_understood" } default NotAssessed
);
string_enum!(
    FollowUpKind { Call = "call", Visit = "visit", Video = "video", Message = "message" } default Call
);
string_enum!(
    FollowUpStatus { Scheduled = "scheduled", Completed = "completed", Missed = "missed", Cancelled = "cancelled" } default Scheduled
);
string_enum!(
    EncounterKind { Visit = "visit", HomeVisit = "home_visit", Call = "call", Video = "video", Message = "message" } default Call
);
string_enum!(
    TransitionStatus { Admitted = "admitted", Discharged = "discharged", FollowUpDone = "follow_up_done" } default Admitted
);
string_enum!(
    /// Where a stay happened. An ED visit is not an admission (LACE counts it apart; no TCM).
    CareSetting { Inpatient = "inpatient", Observation = "observation", EdVisit = "ed_visit", Snf = "snf", Rehab = "rehab" } default Inpatient
);
string_enum!(
    /// Where the patient went at discharge; empty until discharged.
    Disposition {
        NotRecorded = "", Home = "home", HomeHealth = "home_health", AssistedLiving = "assisted_living",
        Snf = "snf", Rehab = "rehab", Hospice = "hospice", Deceased = "deceased",
    } default NotRecorded
);
string_enum!(
    /// Medical decision making for TCM: moderate (99495, visit within 14 days) or high (99496, 7).
    DecisionComplexity { Moderate = "moderate", High = "high" } default Moderate
);
string_enum!(
    ContactMethod { Phone = "phone", Video = "video", InPerson = "in_person", PortalMessage = "portal_message" } default Phone
);
string_enum!(
    /// Only "reached" is an interactive contact; the others are unsuccessful attempts.
    ContactOutcome { Reached = "reached", NoAnswer = "no_answer", LeftMessage = "left_message", WrongNumber = "wrong_number" } default Reached
);
string_enum!(
    EducationKind { Condition = "condition", Medication = "medication", Procedure = "procedure", SelfManagement = "self_management", WarningSigns = "warning_signs" } default Condition
);
string_enum!(
    TeachingMethod { Verbal = "verbal", Demonstration = "demonstration", Written = "written", Video = "video" } default Verbal
);
string_enum!(
    /// Empty when nothing is said about food.
    FoodInstruction { NotSaid = "", WithFood = "with_food", WithoutFood = "without_food" } default NotSaid
);
string_enum!(
    /// Why an entry left the active record. Nothing clinical is hard-deleted.
    RetireReason { EnteredInError = "entered_in_error", NoLongerApplicable = "no_longer_applicable", Duplicate = "duplicate", Superseded = "superseded" } default NoLongerApplicable
);
string_enum!(
    /// What a person does on the team (who-I-am on a device; the team roster later).
    PersonRole { CareManager = "care_manager", Nurse = "nurse", SocialWorker = "social_worker", CommunityHealthWorker = "community_health_worker", Supervisor = "supervisor", Administrator = "administrator", Practitioner = "practitioner" } default CareManager
);
string_enum!(
    NarrativeSection { Physical = "physical", Emotional = "emotional", Social = "social", Preferences = "preferences", Priorities = "priorities" } default Physical
);
string_enum!(
    /// Suicide/self-harm risk as judged in a safety assessment. Empty until chosen: a safety
    /// assessment is refused without a level (`Op::RecordSafetyAssessment`).
    SafetyRiskLevel { NotRecorded = "", Low = "low", Moderate = "moderate", High = "high", Imminent = "imminent" } default NotRecorded
);

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        for s in MedicationStatus::ALL {
            assert_eq!(&MedicationStatus::parse(s.as_str()), s);
        }
        let newer = ReferralStatus::parse("awaiting_insurer");
        assert_eq!(newer, ReferralStatus::Other("awaiting_insurer".into()));
        assert_eq!(newer.as_str(), "awaiting_insurer");
        let json = serde_json::to_string(&CodeStatus::DnrDni).unwrap();
        assert_eq!(json, "\"dnr_dni\"");
        assert_eq!(
            serde_json::from_str::<CodeStatus>(&json).unwrap(),
            CodeStatus::DnrDni
        );
    }
}
