//! Shared test (and benchmark) helpers: authors, item builders, and a realistic year of activity.
#![allow(dead_code)]

use tend_core::ops::{NarrativeTarget, Op, ProfileField};
use tend_core::record::*;
use tend_core::{Author, PatientDoc, PatientId};

pub const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
pub const DAY_MS: i64 = 86_400_000;

pub fn author(n: u32) -> Author {
    Author {
        user_id: format!("u{n}"),
        user_name: format!("Nurse {n}"),
        device_id: format!("d{n}"),
    }
}

pub fn d(s: &str) -> IsoDate {
    IsoDate::parse(s).expect("test date")
}

pub fn name(g: &str, f: &str) -> PersonName {
    PersonName {
        given: g.into(),
        family: f.into(),
    }
}

pub fn new_patient() -> PatientDoc {
    PatientDoc::create(&PatientId::random(), name("Rosa", "Diaz"), &author(1), T0).expect("create")
}

/// A new patient with one medication, `m1` metformin 500 mg (added by u1 at T0).
pub fn patient_on_metformin() -> PatientDoc {
    let mut doc = new_patient();
    apply(
        &mut doc,
        Op::AddMedication {
            medication: med("m1", "metformin", "500 mg"),
        },
        1,
        T0,
    );
    doc
}

/// Two replicas of one patient (distinct Automerge actors), after `setup` on the first.
pub fn pair(setup: impl FnOnce(&mut PatientDoc)) -> (PatientDoc, PatientDoc) {
    let mut a = new_patient();
    setup(&mut a);
    let bytes = a.save();
    (a, PatientDoc::load(&bytes).expect("load"))
}

/// Two replicas of a patient on metformin (`m1`).
pub fn pair_on_metformin() -> (PatientDoc, PatientDoc) {
    pair(|a| {
        apply(
            a,
            Op::AddMedication {
                medication: med("m1", "metformin", "500 mg"),
            },
            1,
            T0,
        )
    })
}

/// Each replica receives the other's changes; they must then be identical.
pub fn exchange(a: &mut PatientDoc, b: &mut PatientDoc) {
    let from_a = a.save_incremental();
    let from_b = b.save_incremental();
    a.apply_changes(&from_b).expect("apply b");
    b.apply_changes(&from_a).expect("apply a");
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.record().expect("record a"), b.record().expect("record b"));
}

pub fn med(id: &str, name: &str, dose: &str) -> Medication {
    Medication {
        id: id.into(),
        name: name.into(),
        dose: dose.into(),
        route: "oral".into(),
        frequency: "daily".into(),
        ..Default::default()
    }
}

pub fn edit(pos: usize, delete: usize, insert: &str) -> TextEdit {
    TextEdit {
        pos,
        delete,
        insert: insert.into(),
    }
}

/// Applies `op` as `who` at `at`, panicking with context on failure (tests only).
pub fn apply(doc: &mut PatientDoc, op: Op, who: u32, at: i64) {
    let name = op.name();
    doc.apply(op, &author(who), at)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

fn day(n: i64) -> IsoDate {
    let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    IsoDate::new(base + chrono::Duration::days(n))
}

/// A patient with a realistic year of care management: setup, then a monthly rhythm of calls,
/// notes, minutes, scores and plan progress. Returns the number of changes made.
pub fn year_of_activity(doc: &mut PatientDoc) -> usize {
    let mut n = 0usize;
    let mut t = T0;
    let mut go = |doc: &mut PatientDoc, op: Op| {
        t += 60_000;
        apply(doc, op, 1 + (n % 3) as u32, t);
        n += 1;
    };
    go(
        doc,
        Op::SetDateOfBirth {
            date: Some(d("1948-03-14")),
        },
    );
    go(
        doc,
        Op::SetProfileText {
            field: ProfileField::Sex,
            value: "female".into(),
        },
    );
    go(
        doc,
        Op::SetProfileText {
            field: ProfileField::PreferredLanguage,
            value: "Spanish".into(),
        },
    );
    go(doc, Op::SetInterpreterNeeded { needed: true });
    go(
        doc,
        Op::SetCodeStatus {
            status: CodeStatus::FullCode,
        },
    );
    go(
        doc,
        Op::SetAddress {
            address: Address {
                line1: "12 Elm St".into(),
                city: "Springfield".into(),
                region: "IL".into(),
                postal_code: "62701".into(),
                country: "US".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::AddPhone {
            phone: Phone {
                id: "ph1".into(),
                label: "mobile".into(),
                number: "555-0100".into(),
                primary: true,
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::AddIdentifier {
            identifier: Identifier {
                id: "mrn".into(),
                system: "mrn".into(),
                value: "A12345".into(),
                issuer: "Springfield Clinic".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::AddIdentifier {
            identifier: Identifier {
                id: "mbi".into(),
                system: "medicare_mbi".into(),
                value: "1EG4-TE5-MK73".into(),
                issuer: "CMS".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::EnrollProgram {
            enrollment: ProgramEnrollment {
                id: "ccm".into(),
                program: ProgramKind::Ccm,
                start_date: Some(day(2)),
                consent: Some(Consent {
                    date: day(2),
                    method: ConsentMethod::Verbal,
                    obtained_by: "Nurse 1".into(),
                    note: String::new(),
                }),
                ..Default::default()
            },
        },
    );
    for (i, (code, text)) in [
        ("E11.9", "Type 2 diabetes"),
        ("I10", "Hypertension"),
        ("I50.9", "Heart failure"),
        ("N18.3", "CKD stage 3"),
        ("F32.A", "Depression"),
        ("M17.0", "Knee osteoarthritis"),
    ]
    .iter()
    .enumerate()
    {
        go(
            doc,
            Op::AddCondition {
                condition: Condition {
                    id: format!("c{i}"),
                    code: (*code).into(),
                    code_system: "icd10cm".into(),
                    text: (*text).into(),
                    chronic: true,
                    ..Default::default()
                },
            },
        );
    }
    for (i, s) in ["penicillin", "sulfa", "shellfish"].iter().enumerate() {
        go(
            doc,
            Op::AddAllergy {
                allergy: Allergy {
                    id: format!("al{i}"),
                    substance: (*s).into(),
                    reaction: "rash".into(),
                    severity: AllergySeverity::Moderate,
                    ..Default::default()
                },
            },
        );
    }
    let meds = [
        ("metformin", "500 mg"),
        ("lisinopril", "10 mg"),
        ("furosemide", "20 mg"),
        ("atorvastatin", "40 mg"),
        ("sertraline", "50 mg"),
        ("metoprolol", "25 mg"),
        ("aspirin", "81 mg"),
        ("acetaminophen", "500 mg"),
    ];
    for (i, (m, dose)) in meds.iter().enumerate() {
        go(
            doc,
            Op::AddMedication {
                medication: med(&format!("m{i}"), m, dose),
            },
        );
    }
    for (i, (nm, role)) in [
        ("Dr. Patel", "pcp"),
        ("Dr. Gomez", "cardiology"),
        ("Main St Pharmacy", "pharmacy"),
    ]
    .iter()
    .enumerate()
    {
        go(
            doc,
            Op::AddProvider {
                provider: Provider {
                    id: format!("pr{i}"),
                    name: (*nm).into(),
                    role: (*role).into(),
                    ..Default::default()
                },
            },
        );
    }
    go(
        doc,
        Op::AddCaregiver {
            caregiver: Caregiver {
                id: "cg1".into(),
                name: "Luis Diaz".into(),
                relationship: "son".into(),
                primary: true,
                may_share_info: true,
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::SetLivesAlone {
            lives_alone: Some(true),
        },
    );
    go(
        doc,
        Op::SetFunctionalStatus {
            functional: FunctionalStatus {
                mobility: "cane".into(),
                iadl_help: "shopping, transport".into(),
                falls_past_year: Some(1),
                ..Default::default()
            },
        },
    );
    for (i, dom) in [
        SdohDomain::TransportationInsecurity,
        SdohDomain::FoodInsecurity,
        SdohDomain::SocialConnection,
    ]
    .into_iter()
    .enumerate()
    {
        go(
            doc,
            Op::AddSocialNeed {
                need: SocialNeed {
                    id: format!("sn{i}"),
                    domain: dom,
                    identified_on: Some(day(2)),
                    ..Default::default()
                },
            },
        );
    }
    go(
        doc,
        Op::EditNarrative {
            target: NarrativeTarget::Section {
                section: NarrativeSection::Physical,
            },
            edit: edit(0, 0, "Walks with a cane; short of breath on stairs."),
        },
    );
    go(
        doc,
        Op::EditNarrative {
            target: NarrativeTarget::Section {
                section: NarrativeSection::Social,
            },
            edit: edit(0, 0, "Lives alone; son visits weekly."),
        },
    );
    go(
        doc,
        Op::EditNarrative {
            target: NarrativeTarget::Section {
                section: NarrativeSection::Preferences,
            },
            edit: edit(
                0,
                0,
                "Wants to stay at home; prefers calls in the morning, in Spanish.",
            ),
        },
    );
    for (i, need) in [
        "Diabetes control",
        "Heart failure self-care",
        "Transport to appointments",
    ]
    .iter()
    .enumerate()
    {
        go(
            doc,
            Op::AddNeed {
                need: Need {
                    id: format!("n{i}"),
                    description: (*need).into(),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::AddGoal {
                goal: Goal {
                    id: format!("g{i}"),
                    need_id: format!("n{i}"),
                    description: format!("Improve {need}"),
                    measure: "monthly check".into(),
                    target: "on track".into(),
                    due: Some(day(180)),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::AddAction {
                action: CareAction {
                    id: format!("a{i}"),
                    goal_id: format!("g{i}"),
                    description: format!("Weekly check-in on {need}"),
                    responsible: Responsible::CareManager,
                    due: Some(day(30)),
                    ..Default::default()
                },
            },
        );
    }
    go(
        doc,
        Op::RecordAgreement {
            agreement: Agreement {
                id: "ag1".into(),
                date: day(3),
                agreed: true,
                method: ConsentMethod::Verbal,
                agreed_by: "patient".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::AddReferral {
            referral: Referral {
                id: "r1".into(),
                kind: ReferralKind::Transport,
                to: "County ride program".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::SetReferralStatus {
            id: "r1".into(),
            status: ReferralStatus::Sent,
            note: "faxed".into(),
            date: Some(day(4)),
            change_id: "r1s1".into(),
            appointment_on: None,
            outcome: None,
        },
    );
    go(
        doc,
        Op::SetReferralStatus {
            id: "r1".into(),
            status: ReferralStatus::Completed,
            note: "rides booked".into(),
            date: Some(day(20)),
            change_id: "r1s2".into(),
            appointment_on: None,
            outcome: Some("rides booked".into()),
        },
    );
    for month in 0..12i64 {
        let base = month * 30 + 5;
        let fu = format!("fu{month}");
        go(
            doc,
            Op::ScheduleFollowUp {
                follow_up: FollowUp {
                    id: fu.clone(),
                    kind: FollowUpKind::Call,
                    due: day(base),
                    reason: "monthly check-in".into(),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::RescheduleFollowUp {
                id: fu.clone(),
                due: day(base + 2),
            },
        );
        go(
            doc,
            Op::CompleteFollowUp {
                id: fu,
                completed_on: day(base),
                outcome: "reached".into(),
                symptom_review: "no chest pain; mild ankle swelling".into(),
            },
        );
        let enc = format!("e{month}");
        go(
            doc,
            Op::StartEncounter {
                encounter: Encounter {
                    id: enc.clone(),
                    kind: EncounterKind::Call,
                    date: day(base),
                    subject: "monthly call".into(),
                    note: Narrative::new("Reviewed meds and symptoms."),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::EditNarrative {
                target: NarrativeTarget::EncounterNote { id: enc },
                edit: edit(0, 0, "Patient in good spirits. "),
            },
        );
        go(
            doc,
            Op::LogMinutes {
                entry: TimeEntry {
                    id: format!("t{month}a"),
                    date: day(base),
                    minutes: 20,
                    program: ProgramKind::Ccm,
                    staff: "Nurse 1".into(),
                    activity: "call".into(),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::LogMinutes {
                entry: TimeEntry {
                    id: format!("t{month}b"),
                    date: day(base + 1),
                    minutes: 15,
                    program: ProgramKind::Ccm,
                    staff: "Nurse 2".into(),
                    activity: "care coordination".into(),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::LogMinutes {
                entry: TimeEntry {
                    id: format!("t{month}c"),
                    date: day(base + 2),
                    minutes: 10,
                    program: ProgramKind::Ccm,
                    staff: "Nurse 3".into(),
                    activity: "medication review".into(),
                    ..Default::default()
                },
            },
        );
        let status = if month % 2 == 0 {
            ActionStatus::InProgress
        } else {
            ActionStatus::Planned
        };
        go(
            doc,
            Op::SetActionStatus {
                id: format!("a{}", month % 2),
                status,
            },
        );
        go(
            doc,
            Op::RecordProgress {
                goal_id: format!("g{}", month % 3),
                entry: ProgressEntry {
                    id: format!("pg{month}"),
                    date: day(base),
                    value: format!("month {month}"),
                    note: "steady".into(),
                    ..Default::default()
                },
            },
        );
        go(
            doc,
            Op::RecordEducation {
                education: Education {
                    id: format!("edm{month}"),
                    topic: "medication adherence".into(),
                    materials: "pill organiser".into(),
                    teach_back: TeachBack::Partial,
                    date: day(base),
                    ..Default::default()
                },
            },
        );
        if month % 3 == 0 {
            go(
                doc,
                Op::RecordInstrument {
                    response: InstrumentResponse {
                        id: format!("phq{month}"),
                        instrument: "phq9".into(),
                        answers: (1..=9)
                            .map(|i| Answer {
                                item: format!("q{i}"),
                                value: (i + month) % 3,
                            })
                            .collect(),
                        total: Some(9),
                        date: day(base),
                        administered_by: "Nurse 1".into(),
                        ..Default::default()
                    },
                },
            );
        }
        if month % 4 == 1 {
            go(
                doc,
                Op::ChangeMedication {
                    id: "m0".into(),
                    name: None,
                    indication: None,
                    dose: Some(format!("{} mg", 500 + month * 250)),
                    route: None,
                    frequency: Some("twice daily".into()),
                    prescriber: None,
                },
            );
            go(
                doc,
                Op::MarkMedicationReconciled {
                    id: "m0".into(),
                    date: day(base),
                },
            );
        }
    }
    go(
        doc,
        Op::RecordTransition {
            transition: Transition {
                id: "tr1".into(),
                facility: "Springfield General".into(),
                admitted_on: Some(day(200)),
                reason: "CHF exacerbation".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::UpdateTransition {
            id: "tr1".into(),
            changes: tend_core::TransitionChanges {
                discharged_on: Some(day(204)),
                disposition: Some(Disposition::HomeHealth),
                status: Some(TransitionStatus::Discharged),
                discharge_summary_received: Some(true),
                complexity: Some(DecisionComplexity::High),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::AddHospitalization {
            hospitalization: Hospitalization {
                id: "h1".into(),
                facility: "Springfield General".into(),
                admitted_on: Some(day(200)),
                discharged_on: Some(day(204)),
                reason: "CHF exacerbation".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::RevisePlan {
            revision: PlanRevision {
                id: "rev1".into(),
                date: day(206),
                reason: "post-discharge".into(),
                summary: "daily weights added".into(),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::RecordEducation {
            education: Education {
                id: "ed1".into(),
                topic: "daily weights".into(),
                materials: "HF zones handout (es)".into(),
                teach_back: TeachBack::Understood,
                date: day(206),
                ..Default::default()
            },
        },
    );
    go(
        doc,
        Op::SetActionStatus {
            id: "a2".into(),
            status: ActionStatus::Done,
        },
    );
    go(
        doc,
        Op::Retire {
            list: tend_core::ItemList::Medications,
            id: "m7".into(),
            reason: RetireReason::NoLongerApplicable,
            note: "stopped by PCP".into(),
        },
    );
    n
}

/// How many cases a property test runs: `PROPTEST_CASES` at run or build time, else 200.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .or(option_env!("PROPTEST_CASES").map(String::from))
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}
