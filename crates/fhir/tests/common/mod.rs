//! Shared by the FHIR tests: a record with every section the export maps filled in, built through
//! the core's typed ops (so it is what the app would hold), plus its author and item ids.
#![allow(dead_code)]

use tend_core::ops::{ItemList, NarrativeTarget, Op, TransitionChanges};
use tend_core::record::*;
use tend_core::rules::{self, Instrument};
use tend_core::{Author, PatientDoc, PatientId};

/// The patient's id in [`full_record`].
pub const PATIENT_ID: &str = "7e1c4b52-9a0d-4f3e-8b61-2d5f0c9a7e13";
/// 2026-11-02T00:00:00Z: the first op of [`full_record`]; each later op is a minute after.
pub const T0: i64 = 1_793_577_600_000;
/// The roster id of the care manager (named "Ana Reyes" in the tests' roster).
pub const CARE_MANAGER: &str = "cm-1";

/// Who recorded most of [`full_record`]: the care manager on her tablet.
pub fn author() -> Author {
    Author {
        user_id: CARE_MANAGER.into(),
        user_name: "Ana Reyes".into(),
        device_id: "tablet-7".into(),
    }
}

/// A nurse who recorded some items on another device (Provenance differs by item).
pub fn nurse() -> Author {
    Author {
        user_id: "rn-2".into(),
        user_name: "Ben Okafor, RN".into(),
        device_id: "laptop-3".into(),
    }
}

/// The item id [`full_record`] gives the item it calls `name` (a stable UUID, as the app's are).
pub fn id(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("tend-test:{name}").as_bytes(),
    )
    .to_string()
}

pub fn d(s: &str) -> IsoDate {
    IsoDate::parse(s).expect("test date")
}

/// Records ops one minute apart, as [`author`] unless told otherwise.
struct Builder {
    doc: PatientDoc,
    at: i64,
}

impl Builder {
    fn op(&mut self, op: Op) {
        self.op_as(op, &author());
    }

    fn op_as(&mut self, op: Op, who: &Author) {
        self.at += 60_000;
        let name = op.name();
        self.doc
            .apply(op, who, self.at)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    fn retire(&mut self, list: ItemList, name: &str) {
        self.op(Op::Retire {
            list,
            id: id(name),
            reason: RetireReason::EnteredInError,
            note: "wrong patient".into(),
        });
    }
}

/// Rosa Díaz: every section the FHIR export maps, including retired items (a phone, an
/// identifier, a condition, an allergy, a medication, a social need, a goal) that must not be
/// exported. Dates fit a `today` of 2026-12-07: discharged home on 2026-12-01 (high complexity),
/// reached on 2026-12-02, so the TCM contact is done and the visit and medication reconciliation
/// are due 2026-12-08.
pub fn full_record() -> PatientRecord {
    let patient = PatientId::parse(PATIENT_ID).expect("uuid");
    let name = PersonName {
        given: "Rosa".into(),
        family: "Díaz".into(),
    };
    let doc = PatientDoc::create(&patient, name, &author(), T0).expect("create");
    let mut b = Builder { doc, at: T0 };
    profile(&mut b);
    team_and_programs(&mut b);
    medical(&mut b);
    support_and_social(&mut b);
    instruments(&mut b);
    care_plan(&mut b);
    coordination(&mut b);
    encounters_and_transitions(&mut b);
    b.doc.record().expect("record")
}

fn profile(b: &mut Builder) {
    use tend_core::ProfileField as F;
    b.op(Op::SetDateOfBirth {
        date: Some(d("1948-03-14")),
    });
    for (field, value) in [
        (F::Sex, "female"),
        (F::GenderIdentity, "woman"),
        (F::Pronouns, "she/her"),
        (F::PreferredLanguage, "Spanish"),
        (F::Email, "rosa.diaz@example.org"),
    ] {
        b.op(Op::SetProfileText {
            field,
            value: value.into(),
        });
    }
    b.op(Op::SetInterpreterNeeded { needed: true });
    b.op(Op::SetCodeStatus {
        status: CodeStatus::DnrDni,
    });
    b.op(Op::SetAddress {
        address: Address {
            line1: "12 Elm St".into(),
            line2: "Apt 3".into(),
            city: "Springfield".into(),
            region: "IL".into(),
            postal_code: "62701".into(),
            country: "US".into(),
        },
    });
    for (name, label, number, primary) in [
        ("phone-mobile", "mobile", "+1 217 555 0100", true),
        ("phone-home", "home", "+1 217 555 0101", false),
        ("phone-neighbour", "neighbour", "+1 217 555 0102", false),
        ("phone-old", "work", "+1 217 555 0199", false),
    ] {
        b.op(Op::AddPhone {
            phone: Phone {
                id: id(name),
                label: label.into(),
                number: number.into(),
                primary,
                ..Default::default()
            },
        });
    }
    b.retire(ItemList::Phones, "phone-old");
    for (name, system, value, issuer) in [
        ("id-mrn", "mrn", "A12345", "Springfield Memorial Hospital"),
        ("id-mbi", "medicare_mbi", "1EG4TE5MK73", "CMS"),
        ("id-medicaid", "medicaid", "IL-998877", "Illinois HFS"),
        ("id-member", "plan_member_id", "H1234-5678", "Humana"),
        ("id-wrong", "mrn", "Z99999", "Elsewhere Clinic"),
    ] {
        b.op(Op::AddIdentifier {
            identifier: Identifier {
                id: id(name),
                system: system.into(),
                value: value.into(),
                issuer: issuer.into(),
                ..Default::default()
            },
        });
    }
    b.retire(ItemList::Identifiers, "id-wrong");
    for (name, payer, plan, member, group, from, to, rank) in [
        (
            "cov-ma",
            "Humana Medicare Advantage",
            "Gold Plus HMO",
            "H1234-5678",
            "GRP-42",
            Some("2026-01-01"),
            None,
            CoverageRank::Primary,
        ),
        (
            "cov-medicaid",
            "Illinois Medicaid",
            "",
            "IL-998877",
            "",
            Some("2025-07-01"),
            Some("2027-06-30"),
            CoverageRank::Secondary,
        ),
    ] {
        b.op(Op::AddCoverage {
            coverage: Coverage {
                id: id(name),
                payer: payer.into(),
                plan: plan.into(),
                member_id: member.into(),
                group: group.into(),
                effective_from: from.map(d),
                effective_to: to.map(d),
                rank,
                ..Default::default()
            },
        });
    }
}

fn team_and_programs(b: &mut Builder) {
    b.op(Op::HandOver {
        handover: Handover {
            id: id("handover-intake"),
            to_id: CARE_MANAGER.into(),
            to_name: "Ana Reyes".into(),
            note: "New CCM patient.".into(),
            ..Default::default()
        },
    });
    b.op(Op::AddTeamMember {
        member: TeamMember {
            id: id("team-sw"),
            person_id: "sw-4".into(),
            person_name: "Sam Ortiz".into(),
            role: PersonRole::SocialWorker,
            ..Default::default()
        },
    });
    b.op(Op::EnrollProgram {
        enrollment: ProgramEnrollment {
            id: id("prog-ccm"),
            program: ProgramKind::Ccm,
            start_date: Some(d("2026-01-05")),
            consent: Some(Consent {
                date: d("2026-01-05"),
                method: ConsentMethod::Verbal,
                obtained_by: "Ana Reyes".into(),
                note: "Patient agreed by phone; cost sharing explained.".into(),
            }),
            ..Default::default()
        },
    });
    b.op(Op::SetProgramStatus {
        program_id: id("prog-ccm"),
        status: ProgramStatus::Paused,
        date: Some(d("2026-09-01")),
        reason: "In rehab after a fall".into(),
        change_id: id("prog-ccm-pause"),
    });
    b.op(Op::SetProgramStatus {
        program_id: id("prog-ccm"),
        status: ProgramStatus::Active,
        date: Some(d("2026-09-20")),
        reason: "Home again".into(),
        change_id: id("prog-ccm-resume"),
    });
    b.op(Op::EnrollProgram {
        enrollment: ProgramEnrollment {
            id: id("prog-episode"),
            program: ProgramKind::CaseManagement,
            start_date: Some(d("2026-06-15")),
            reason: "Fall at home, new walker needed".into(),
            consent: Some(Consent {
                date: d("2026-06-15"),
                method: ConsentMethod::Written,
                obtained_by: "Sam Ortiz".into(),
                note: String::new(),
            }),
            ..Default::default()
        },
    });
    b.op(Op::SetProgramStatus {
        program_id: id("prog-episode"),
        status: ProgramStatus::Ended,
        date: Some(d("2026-07-30")),
        reason: "Walker delivered; goals met".into(),
        change_id: id("prog-episode-end"),
    });
}

fn medical(b: &mut Builder) {
    for (name, code, system, text, chronic, onset, status) in [
        (
            "cond-diabetes",
            "E11.9",
            "icd10cm",
            "Type 2 diabetes mellitus without complications",
            true,
            Some("2012-05-01"),
            ConditionStatus::Controlled,
        ),
        (
            "cond-hf",
            "I50.9",
            "icd10cm",
            "Heart failure, unspecified",
            true,
            Some("2019-02-11"),
            ConditionStatus::Active,
        ),
        (
            "cond-htn",
            "38341003",
            "snomed",
            "Hypertension",
            true,
            None,
            ConditionStatus::Active,
        ),
        (
            "cond-pneumonia",
            "J18.9",
            "icd10cm",
            "Pneumonia",
            false,
            Some("2026-03-02"),
            ConditionStatus::Resolved,
        ),
        (
            "cond-knee",
            "",
            "",
            "Knee pain",
            false,
            None,
            ConditionStatus::Active,
        ),
        (
            "cond-wrong",
            "C50.9",
            "icd10cm",
            "Breast cancer",
            true,
            None,
            ConditionStatus::Active,
        ),
    ] {
        b.op(Op::AddCondition {
            condition: Condition {
                id: id(name),
                code: code.into(),
                code_system: system.into(),
                text: text.into(),
                chronic,
                onset: onset.map(d),
                status,
                ..Default::default()
            },
        });
    }
    b.retire(ItemList::Conditions, "cond-wrong");
    for (name, substance, reaction, severity, status) in [
        (
            "allergy-penicillin",
            "Penicillin",
            "Hives",
            AllergySeverity::Moderate,
            AllergyStatus::Active,
        ),
        (
            "allergy-peanut",
            "Peanuts",
            "Anaphylaxis",
            AllergySeverity::LifeThreatening,
            AllergyStatus::Active,
        ),
        (
            "allergy-sulfa",
            "Sulfa drugs",
            "",
            AllergySeverity::Unknown,
            AllergyStatus::Refuted,
        ),
        (
            "allergy-latex",
            "Latex",
            "Rash",
            AllergySeverity::Mild,
            AllergyStatus::Inactive,
        ),
        (
            "allergy-wrong",
            "Shellfish",
            "Rash",
            AllergySeverity::Mild,
            AllergyStatus::Active,
        ),
    ] {
        b.op(Op::AddAllergy {
            allergy: Allergy {
                id: id(name),
                substance: substance.into(),
                reaction: reaction.into(),
                severity,
                status,
                ..Default::default()
            },
        });
    }
    b.retire(ItemList::Allergies, "allergy-wrong");
    for (name, med, dose, route, frequency, indication) in [
        (
            "med-metformin",
            "Metformin",
            "500 mg",
            "oral",
            "twice daily",
            "Type 2 diabetes",
        ),
        (
            "med-acetaminophen",
            "Acetaminophen",
            "500 mg",
            "oral",
            "every 6 hours as needed",
            "Knee pain",
        ),
        (
            "med-lisinopril",
            "Lisinopril",
            "10 mg",
            "oral",
            "daily",
            "Hypertension",
        ),
        (
            "med-furosemide",
            "Furosemide",
            "20 mg",
            "oral",
            "daily",
            "Heart failure",
        ),
        ("med-wrong", "Warfarin", "5 mg", "oral", "daily", ""),
    ] {
        b.op(Op::AddMedication {
            medication: Medication {
                id: id(name),
                name: med.into(),
                dose: dose.into(),
                route: route.into(),
                frequency: frequency.into(),
                prescriber: "Dr. Priya Patel".into(),
                indication: indication.into(),
                ..Default::default()
            },
        });
    }
    b.retire(ItemList::Medications, "med-wrong");
    b.op(Op::SetMedicationSchedule {
        id: id("med-metformin"),
        schedule: MedicationSchedule {
            times: vec!["morning".into(), "evening".into()],
            food: FoodInstruction::WithFood,
            start_on: Some(d("2026-01-10")),
            stop_on: Some(d("2027-01-10")),
            ..Default::default()
        },
    });
    b.op(Op::SetMedicationSchedule {
        id: id("med-acetaminophen"),
        schedule: MedicationSchedule {
            as_needed: true,
            as_needed_reason: "for knee pain".into(),
            max_per_day: Some(4),
            ..Default::default()
        },
    });
    b.op(Op::SetMedicationSchedule {
        id: id("med-furosemide"),
        schedule: MedicationSchedule {
            times: vec!["08:00".into()],
            food: FoodInstruction::WithoutFood,
            ..Default::default()
        },
    });
    b.op(Op::SetMedicationStatus {
        id: id("med-lisinopril"),
        status: MedicationStatus::Stopped,
        since: Some(d("2026-10-02")),
        reason: "Stopped by cardiology: low blood pressure".into(),
    });
    b.op(Op::MarkMedicationReconciled {
        id: id("med-metformin"),
        date: d("2026-12-02"),
    });
    for (name, who, role, org) in [
        (
            "prov-pcp",
            "Dr. Priya Patel",
            "pcp",
            "Springfield Family Medicine",
        ),
        (
            "prov-cardio",
            "Dr. Luis Gomez",
            "cardiology",
            "Springfield Heart Center",
        ),
    ] {
        b.op(Op::AddProvider {
            provider: Provider {
                id: id(name),
                name: who.into(),
                role: role.into(),
                organization: org.into(),
                phone: "+1 217 555 0150".into(),
                ..Default::default()
            },
        });
    }
    for (name, facility, admitted, discharged, reason, emergency_only) in [
        (
            "hosp-chf",
            "Springfield Memorial Hospital",
            "2026-06-10",
            Some("2026-06-14"),
            "Heart failure exacerbation",
            false,
        ),
        (
            "hosp-ed",
            "Springfield Memorial ED",
            "2026-04-02",
            Some("2026-04-02"),
            "Dizziness",
            true,
        ),
    ] {
        b.op(Op::AddHospitalization {
            hospitalization: Hospitalization {
                id: id(name),
                facility: facility.into(),
                admitted_on: Some(d(admitted)),
                discharged_on: discharged.map(d),
                reason: reason.into(),
                emergency_only,
                ..Default::default()
            },
        });
    }
}

fn support_and_social(b: &mut Builder) {
    for (name, who, relationship, phone, primary, share) in [
        ("cg-son", "Luis Díaz", "son", "+1 217 555 0110", true, true),
        ("cg-neighbour", "Mrs. Olsen", "neighbour", "", false, false),
    ] {
        b.op(Op::AddCaregiver {
            caregiver: Caregiver {
                id: id(name),
                name: who.into(),
                relationship: relationship.into(),
                phone: phone.into(),
                primary,
                may_share_info: share,
                ..Default::default()
            },
        });
    }
    b.op(Op::SetLivesAlone {
        lives_alone: Some(true),
    });
    for (name, domain, detail, on) in [
        (
            "sdoh-transport",
            SdohDomain::TransportationInsecurity,
            "No ride to dialysis evaluation",
            "2026-11-03",
        ),
        ("sdoh-food", SdohDomain::FoodInsecurity, "", "2026-02-01"),
        (
            "sdoh-wrong",
            SdohDomain::Homelessness,
            "Entered on the wrong chart",
            "2026-02-01",
        ),
    ] {
        b.op(Op::AddSocialNeed {
            need: SocialNeed {
                id: id(name),
                domain,
                detail: detail.into(),
                identified_on: Some(d(on)),
                ..Default::default()
            },
        });
    }
    b.op(Op::SetSocialNeedStatus {
        id: id("sdoh-transport"),
        status: NeedStatus::InProgress,
    });
    b.op(Op::SetSocialNeedStatus {
        id: id("sdoh-food"),
        status: NeedStatus::Met,
    });
    b.retire(ItemList::SocialNeeds, "sdoh-wrong");
}

/// The PHQ-9 (item 9 positive) first: the validation tests break the first Observation's LOINC.
fn instruments(b: &mut Builder) {
    let nurse = nurse();
    for (name, instrument, indices, date) in [
        (
            "phq9",
            Instrument::Phq9,
            vec![2, 1, 2, 1, 1, 2, 1, 0, 1],
            "2026-12-02",
        ),
        (
            "gad7",
            Instrument::Gad7,
            vec![1, 1, 2, 0, 1, 1, 0],
            "2026-12-02",
        ),
        (
            "katz",
            Instrument::KatzAdl,
            vec![1, 0, 0, 0, 1, 0],
            "2026-12-03",
        ),
        ("phq2-wrong", Instrument::Phq2, vec![3, 3], "2026-12-02"),
    ] {
        let answers: Vec<rules::Answer> = indices.into_iter().map(rules::Answer::Choice).collect();
        let (response, _) = tend_core::assess::instrument_response(
            instrument,
            &answers,
            id(name),
            d(date),
            "Ben Okafor, RN".into(),
        )
        .expect("valid answers");
        b.op_as(Op::RecordInstrument { response }, &nurse);
    }
    b.retire(ItemList::InstrumentResponses, "phq2-wrong");
}

fn care_plan(b: &mut Builder) {
    for (section, text) in [
        (
            NarrativeSection::Priorities,
            "Stay at home; keep out of hospital.",
        ),
        (
            NarrativeSection::Preferences,
            "Calls in the morning, in Spanish; son joins visits.",
        ),
    ] {
        b.op(Op::EditNarrative {
            target: NarrativeTarget::Section { section },
            edit: TextEdit {
                pos: 0,
                delete: 0,
                insert: text.into(),
            },
        });
    }
    for (name, description, domain) in [
        ("need-diabetes", "Diabetes control", "medical"),
        (
            "need-transport",
            "Transport to appointments",
            "transportation",
        ),
        ("need-wrong", "Duplicate need", "medical"),
    ] {
        b.op(Op::AddNeed {
            need: Need {
                id: id(name),
                description: description.into(),
                domain: domain.into(),
                ..Default::default()
            },
        });
    }
    b.op(Op::SetNeedStatus {
        id: id("need-diabetes"),
        status: NeedStatus::InProgress,
    });
    b.op(Op::SetNeedStatus {
        id: id("need-transport"),
        status: NeedStatus::Met,
    });
    b.retire(ItemList::Needs, "need-wrong");
    for (name, need, description, measure, target, due) in [
        (
            "goal-a1c",
            "need-diabetes",
            "Bring blood sugar under control",
            "HbA1c",
            "< 8%",
            "2027-03-01",
        ),
        (
            "goal-rides",
            "need-transport",
            "Get to every cardiology appointment",
            "appointments missed per month",
            "0",
            "2026-12-31",
        ),
        (
            "goal-wrong",
            "need-wrong",
            "Duplicate goal",
            "",
            "",
            "2027-01-01",
        ),
    ] {
        b.op(Op::AddGoal {
            goal: Goal {
                id: id(name),
                need_id: id(need),
                description: description.into(),
                measure: measure.into(),
                target: target.into(),
                due: Some(d(due)),
                ..Default::default()
            },
        });
    }
    b.op(Op::SetGoalStatus {
        id: id("goal-rides"),
        status: GoalStatus::Achieved,
    });
    b.retire(ItemList::Goals, "goal-wrong");
    for (name, goal, description, responsible, due, status) in [
        (
            "action-glucose",
            "goal-a1c",
            "Check blood sugar before breakfast and log it",
            Responsible::Patient,
            Some("2026-12-31"),
            ActionStatus::InProgress,
        ),
        (
            "action-teach",
            "goal-a1c",
            "Teach diabetic diet with the son",
            Responsible::CareManager,
            Some("2026-12-15"),
            ActionStatus::Planned,
        ),
        (
            "action-ride",
            "goal-rides",
            "Arrange the county's medical rides",
            Responsible::Family,
            None,
            ActionStatus::Done,
        ),
    ] {
        b.op(Op::AddAction {
            action: CareAction {
                id: id(name),
                goal_id: id(goal),
                description: description.into(),
                responsible,
                due: due.map(d),
                status,
                ..Default::default()
            },
        });
    }
}

fn coordination(b: &mut Builder) {
    b.op(Op::AddReferral {
        referral: Referral {
            id: id("ref-cardio"),
            kind: ReferralKind::Specialist,
            to: "Springfield Heart Center".into(),
            reason: "Heart failure follow-up after discharge".into(),
            urgency: ReferralUrgency::Urgent,
            need_id: id("need-diabetes"),
            ..Default::default()
        },
    });
    b.op(Op::SetReferralStatus {
        id: id("ref-cardio"),
        status: ReferralStatus::Sent,
        note: "Faxed".into(),
        date: Some(d("2026-12-02")),
        change_id: id("ref-cardio-sent"),
        appointment_on: None,
        outcome: None,
    });
    b.op(Op::SetReferralStatus {
        id: id("ref-cardio"),
        status: ReferralStatus::Scheduled,
        note: String::new(),
        date: Some(d("2026-12-03")),
        change_id: id("ref-cardio-scheduled"),
        appointment_on: Some(d("2026-12-09")),
        outcome: None,
    });
    b.op(Op::AddReferral {
        referral: Referral {
            id: id("ref-rides"),
            kind: ReferralKind::Transport,
            to: "County Medical Rides".into(),
            reason: "No ride to appointments".into(),
            ..Default::default()
        },
    });
    b.op(Op::SetReferralStatus {
        id: id("ref-rides"),
        status: ReferralStatus::Sent,
        note: String::new(),
        date: Some(d("2026-11-05")),
        change_id: id("ref-rides-sent"),
        appointment_on: None,
        outcome: None,
    });
    b.op(Op::SetReferralStatus {
        id: id("ref-rides"),
        status: ReferralStatus::Completed,
        note: String::new(),
        date: Some(d("2026-11-12")),
        change_id: id("ref-rides-done"),
        appointment_on: None,
        outcome: Some("Enrolled; rides booked for every cardiology visit".into()),
    });
    for (name, kind, due, reason) in [
        (
            "fu-call",
            FollowUpKind::Call,
            "2026-12-10",
            "Check weight and swelling",
        ),
        (
            "fu-visit",
            FollowUpKind::Visit,
            "2026-11-20",
            "Monthly CCM visit",
        ),
        (
            "fu-missed",
            FollowUpKind::Video,
            "2026-11-10",
            "Medication review",
        ),
    ] {
        b.op(Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: id(name),
                kind,
                due: d(due),
                reason: reason.into(),
                ..Default::default()
            },
        });
    }
    b.op(Op::CompleteFollowUp {
        id: id("fu-visit"),
        completed_on: d("2026-11-21"),
        outcome: "Doing well; weight stable".into(),
        symptom_review: "No shortness of breath; mild ankle swelling".into(),
    });
    b.op(Op::SetFollowUpStatus {
        id: id("fu-missed"),
        status: FollowUpStatus::Missed,
    });
}

fn encounters_and_transitions(b: &mut Builder) {
    let nurse = nurse();
    b.op(Op::StartEncounter {
        encounter: Encounter {
            id: id("enc-home"),
            kind: EncounterKind::HomeVisit,
            date: d("2026-11-21"),
            subject: "Monthly CCM visit".into(),
            note: Narrative::new("Weight stable at 71 kg. Reviewed pill box with son."),
            ..Default::default()
        },
    });
    b.op(Op::SignEncounterNote { id: id("enc-home") });
    b.op_as(
        Op::StartEncounter {
            encounter: Encounter {
                id: id("enc-call"),
                kind: EncounterKind::Call,
                date: d("2026-12-02"),
                subject: "Post-discharge call".into(),
                note: Narrative::new("Reached patient; PHQ-9 and GAD-7 done."),
                ..Default::default()
            },
        },
        &nurse,
    );
    b.op(Op::RecordTransition {
        transition: Transition {
            id: id("tr-ed"),
            facility: "Springfield Memorial ED".into(),
            admitted_on: Some(d("2026-08-03")),
            reason: "Fall".into(),
            setting: CareSetting::EdVisit,
            emergent: true,
            ..Default::default()
        },
    });
    b.op(Op::UpdateTransition {
        id: id("tr-ed"),
        changes: TransitionChanges {
            discharged_on: Some(d("2026-08-03")),
            disposition: Some(Disposition::Home),
            status: Some(TransitionStatus::Discharged),
            ..Default::default()
        },
    });
    b.op(Op::RecordTransition {
        transition: Transition {
            id: id("tr-stay"),
            facility: "Springfield Memorial Hospital".into(),
            admitted_on: Some(d("2026-11-27")),
            reason: "Heart failure exacerbation".into(),
            setting: CareSetting::Inpatient,
            emergent: true,
            ..Default::default()
        },
    });
    b.op(Op::UpdateTransition {
        id: id("tr-stay"),
        changes: TransitionChanges {
            discharged_on: Some(d("2026-12-01")),
            disposition: Some(Disposition::Home),
            status: Some(TransitionStatus::Discharged),
            complexity: Some(DecisionComplexity::High),
            discharge_summary_received: Some(true),
            ..Default::default()
        },
    });
    b.op(Op::LogContactAttempt {
        transition_id: id("tr-stay"),
        attempt: ContactAttempt {
            id: id("tr-stay-call"),
            date: d("2026-12-02"),
            method: ContactMethod::Phone,
            outcome: ContactOutcome::Reached,
            ..Default::default()
        },
    });
    b.op(Op::AddDischargeMedication {
        transition_id: id("tr-stay"),
        medication: DischargeMedication {
            id: id("tr-stay-med"),
            name: "Furosemide".into(),
            dose: "40 mg".into(),
            route: "oral".into(),
            frequency: "daily".into(),
            ..Default::default()
        },
    });
}

/// The export context the tests use: a fixed bundle id and time, today 2026-12-07 (the day
/// [`full_record`]'s dates are set for), and the care manager on the roster.
pub fn ctx() -> tend_fhir::ExportContext {
    tend_fhir::ExportContext {
        bundle_id: "5b0c2a34-61f5-4f57-9a7c-0b8d3c0e2f11".into(),
        exported_at_ms: 1_796_000_000_000,
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
        people: [(CARE_MANAGER.to_string(), "Ana Reyes".to_string())]
            .into_iter()
            .collect(),
    }
}
