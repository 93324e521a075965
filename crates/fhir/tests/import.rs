//! Import end to end: an EHR's discharge Bundle and a Tend export read, planned, applied to a
//! patient document; a second import adds nothing; changed details are offered as possible
//! duplicates; every kind of bad file is refused with the right error, and no file panics.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use tend_core::ops::Op;
use tend_core::record::*;
use tend_core::{Author, PatientDoc, PatientId};
use tend_fhir::import::MAX_IMPORT_BYTES;
use tend_fhir::{parse_bundle, plan_import, FhirError, ImportPlan, IncomingPatient, ItemStatus};

const EHR: &str = include_str!("fixtures/ehr_discharge.json");
const TEND: &str = include_str!("fixtures/tend_sample.json");
const T0: i64 = 1_796_601_600_000; // 2026-12-07

fn author() -> Author {
    Author {
        user_id: "u7".into(),
        user_name: "Care Manager Seven".into(),
        device_id: "d7".into(),
    }
}

fn only_patient(text: &str) -> IncomingPatient {
    let bundle = parse_bundle(text).expect("the file reads");
    assert_eq!(bundle.patients.len(), 1);
    bundle.patients.into_iter().next().expect("one patient")
}

/// Creates the patient a new-patient plan describes and applies its ops (with `chosen`
/// duplicates) in one change.
fn create(plan: &ImportPlan) -> PatientDoc {
    assert!(!plan.existing);
    let mut doc =
        PatientDoc::create(&plan.new_patient_id, plan.name.clone(), &author(), T0).expect("create");
    doc.apply_all(plan.ops(&[]), &author(), T0 + 1)
        .unwrap_or_else(|e| panic!("the plan's ops apply: {e}"));
    doc
}

fn apply(doc: &mut PatientDoc, plan: &ImportPlan, chosen: &[usize]) {
    doc.apply_all(plan.ops(chosen), &author(), T0 + 2)
        .unwrap_or_else(|e| panic!("the plan's ops apply: {e}"));
}

fn labels(plan: &ImportPlan, status: fn(&ItemStatus) -> bool) -> Vec<String> {
    plan.items
        .iter()
        .filter(|i| status(&i.status))
        .map(|i| format!("{}: {}", i.section, i.label))
        .collect()
}

fn record(doc: &PatientDoc) -> PatientRecord {
    doc.record().expect("record")
}

#[test]
fn an_ehr_discharge_bundle_becomes_a_new_patient() {
    let bundle = parse_bundle(EHR).expect("the EHR file reads");
    assert_eq!(bundle.not_read, vec![("Practitioner".to_string(), 1)]);
    let incoming = &bundle.patients[0];
    assert_eq!(incoming.fhir_id, "5b0e6c1e-9d4f-4c1a-8f2e-3a7d9b1c2e01");
    assert_eq!(incoming.name.family, "Whitfield");
    assert_eq!(incoming.name.given, "Eleanor");
    assert_eq!(incoming.mrns, vec!["MG-4410287".to_string()]);
    assert_eq!(incoming.tend_id, None);

    let plan = plan_import(incoming, None);
    assert_eq!(plan.new_count(), plan.items.len(), "everything is new");
    let all = labels(&plan, ItemStatus::is_new);
    for expected in [
        "Condition: Type 2 diabetes mellitus (E11.9)",
        "Condition: Essential (primary) hypertension (I10)",
        "Medication: Metformin 500 mg tablet — twice daily",
        "Medication: lisinopril 10 MG Oral Tablet — once daily",
        "Medication: Doxycycline hyclate 100 mg capsule — every 12 hours",
        "Allergy: Penicillin — Hives, moderate",
        "Hospital stay: Hospital stay: Mercy General Hospital, 2026-11-20 to 2026-11-24 — Community-acquired pneumonia",
        "Identifier: MRN MG-4410287 (Mercy General Hospital)",
        "Details: Date of birth: 1946-05-12",
        "Details: Address: 418 Birch Lane, Apt 2, Sacramento, CA 95819, US",
    ] {
        assert!(all.contains(&expected.to_string()), "{expected} in {all:#?}");
    }

    let doc = create(&plan);
    let r = record(&doc);
    assert_eq!(r.name.display(), "Whitfield, Eleanor");
    assert_eq!(r.profile.date_of_birth, IsoDate::parse("1946-05-12"));
    assert_eq!(r.profile.sex, "female");
    assert_eq!(r.profile.preferred_language, "English");
    assert_eq!(r.profile.address.city, "Sacramento");
    assert_eq!(r.profile.address.line2, "Apt 2");
    let mrn = &r.profile.identifiers;
    assert_eq!(mrn.len(), 1);
    assert_eq!(
        (
            mrn[0].system.as_str(),
            mrn[0].value.as_str(),
            mrn[0].issuer.as_str()
        ),
        ("mrn", "MG-4410287", "Mercy General Hospital")
    );
    assert_eq!(r.profile.phones.len(), 2);
    assert!(r
        .profile
        .phones
        .iter()
        .any(|p| p.primary && p.label == "home"));

    let stays = &r.medical.hospitalizations;
    assert_eq!(stays.len(), 1);
    assert_eq!(stays[0].facility, "Mercy General Hospital");
    assert_eq!(stays[0].admitted_on, IsoDate::parse("2026-11-20"));
    assert_eq!(stays[0].discharged_on, IsoDate::parse("2026-11-24"));
    assert_eq!(stays[0].reason, "Community-acquired pneumonia");
    assert!(!stays[0].emergency_only);
    assert_eq!(
        stays[0].recorded.user_id, "u7",
        "stamped by whoever imports"
    );

    let meds = &r.medical.medications;
    assert_eq!(meds.len(), 3);
    let metformin = meds
        .iter()
        .find(|m| m.name.starts_with("Metformin"))
        .expect("metformin");
    assert_eq!(metformin.dose, "500 mg");
    assert_eq!(metformin.frequency, "twice daily");
    assert_eq!(metformin.route, "by mouth");
    assert_eq!(metformin.prescriber, "Dr. Adaeze Okafor");
    assert_eq!(metformin.indication, "Type 2 diabetes mellitus");
    assert_eq!(metformin.status, MedicationStatus::Active);
    assert_eq!(metformin.schedule.food, FoodInstruction::WithFood);
    assert_eq!(
        metformin.last_reconciled, None,
        "an EHR's list is not a reconciliation"
    );
    let lisinopril = meds
        .iter()
        .find(|m| m.name.starts_with("lisinopril"))
        .expect("lisinopril: its name from the coding's display");
    assert_eq!(lisinopril.schedule.times, vec!["morning".to_string()]);
    let doxy = meds
        .iter()
        .find(|m| m.name.starts_with("Doxycycline"))
        .expect("doxycycline");
    assert_eq!(doxy.schedule.stop_on, IsoDate::parse("2026-11-28"));

    let conditions = &r.medical.conditions;
    assert_eq!(conditions.len(), 2);
    let dm = conditions
        .iter()
        .find(|c| c.code == "E11.9")
        .expect("E11.9");
    assert_eq!(
        (dm.code_system.as_str(), dm.text.as_str()),
        ("icd10cm", "Type 2 diabetes mellitus")
    );
    assert_eq!(dm.onset, IsoDate::parse("2014-03-02"));
    let htn = conditions.iter().find(|c| c.code == "I10").expect("I10");
    assert_eq!(htn.text, "Essential (primary) hypertension");

    let allergies = &r.medical.allergies;
    assert_eq!(allergies.len(), 1);
    assert_eq!(
        (
            allergies[0].substance.as_str(),
            allergies[0].reaction.as_str(),
            &allergies[0].severity
        ),
        ("Penicillin", "Hives", &AllergySeverity::Moderate)
    );
}

#[test]
fn a_second_import_of_the_ehr_file_adds_nothing() {
    let incoming = only_patient(EHR);
    let doc = create(&plan_import(&incoming, None));
    let r = record(&doc);
    assert!(incoming.matches(&r), "matched by MRN");

    // Read again: fresh item ids, but the same items.
    let again = only_patient(EHR);
    let plan = plan_import(&again, Some(&r));
    assert!(plan.existing);
    assert_eq!(plan.new_patient_id.as_str(), r.id);
    assert_eq!(
        plan.new_count(),
        0,
        "nothing new: {:#?}",
        labels(&plan, ItemStatus::is_new)
    );
    assert_eq!(plan.duplicate_count(), 0);
    assert_eq!(plan.already_count(), plan.items.len());
    assert!(plan.ops(&[]).is_empty());
    assert!(plan.differences.is_empty(), "{:?}", plan.differences);
}

#[test]
fn a_changed_dose_is_offered_as_a_possible_duplicate() {
    let mut doc = create(&plan_import(&only_patient(EHR), None));
    let r = record(&doc);
    let changed = EHR.replacen("\"value\": 500,", "\"value\": 1000,", 1);
    assert_ne!(changed, EHR);
    let plan = plan_import(&only_patient(&changed), Some(&r));
    assert_eq!(plan.new_count(), 0);
    assert_eq!(plan.duplicate_count(), 1);
    let (index, item) = plan
        .items
        .iter()
        .enumerate()
        .find(|(_, i)| i.status.is_possible_duplicate())
        .expect("a duplicate");
    assert_eq!(item.section, "Medication");
    assert_eq!(item.label, "Metformin 500 mg tablet 1000 mg — twice daily");
    assert_eq!(
        item.status,
        ItemStatus::PossibleDuplicate {
            of: "Metformin 500 mg tablet — twice daily".into()
        }
    );
    assert_eq!(plan.duplicate_indices(), vec![index]);
    // Not ticked: nothing to do. Ticked: the new dose is added beside the old one.
    assert!(plan.ops(&[]).is_empty());
    let ops = plan.ops(&[index]);
    assert_eq!(ops.len(), 1);
    assert!(matches!(&ops[0], Op::AddMedication { medication } if medication.dose == "1000 mg"));
    apply(&mut doc, &plan, &[index]);
    assert_eq!(record(&doc).medical.medications.len(), 4);
}

/// A patient already on the device, with nothing recorded yet.
fn ellie() -> PatientDoc {
    let name = PersonName {
        given: "Ellie".into(),
        family: "Whitfield".into(),
    };
    PatientDoc::create(&PatientId::random(), name, &author(), T0).expect("create")
}

#[test]
fn patients_are_matched_by_tend_id_or_an_active_mrn() {
    let incoming = only_patient(EHR);
    let mut doc = ellie();
    assert!(!incoming.matches(&record(&doc)), "no MRN yet");
    let mrn = |id: &str, value: &str| Op::AddIdentifier {
        identifier: Identifier {
            id: id.into(),
            system: "mrn".into(),
            value: value.into(),
            issuer: "Mercy".into(),
            ..Default::default()
        },
    };
    doc.apply(mrn("i1", "MG-0000001"), &author(), T0)
        .expect("mrn");
    assert!(!incoming.matches(&record(&doc)), "another MRN");
    doc.apply(mrn("i2", " MG-4410287 "), &author(), T0)
        .expect("mrn");
    assert!(incoming.matches(&record(&doc)));
    doc.apply(
        Op::Retire {
            list: tend_core::ItemList::Identifiers,
            id: "i2".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
        &author(),
        T0,
    )
    .expect("retire");
    assert!(
        !incoming.matches(&record(&doc)),
        "a removed MRN does not match"
    );

    // A Tend export matches its own patient by id.
    let tend = only_patient(TEND);
    let tend_id = tend.tend_id.clone().expect("a Tend id");
    let someone = PersonName {
        given: "Someone".into(),
        family: "Else".into(),
    };
    let other = PatientDoc::create(&tend_id, someone, &author(), T0).expect("create");
    assert!(tend.matches(&record(&other)));
    assert!(!tend.matches(&record(&doc)));
}

#[test]
fn details_fill_only_what_the_chart_lacks() {
    let incoming = only_patient(EHR);
    let mut doc = ellie();
    doc.apply_all(
        vec![
            Op::SetDateOfBirth {
                date: IsoDate::parse("1946-05-21"),
            },
            Op::AddPhone {
                phone: Phone {
                    id: "p1".into(),
                    label: "home".into(),
                    number: "916-555-0142".into(),
                    primary: true,
                    ..Default::default()
                },
            },
        ],
        &author(),
        T0,
    )
    .expect("chart");
    let plan = plan_import(&incoming, Some(&record(&doc)));
    assert!(
        !labels(&plan, |_| true)
            .iter()
            .any(|l| l.contains("Date of birth")),
        "a differing birth date is not planned"
    );
    assert!(plan.differences.contains(
        &"Date of birth: the file says 1946-05-12; the chart keeps 1946-05-21".to_string()
    ));
    assert!(plan.differences.contains(
        &"Name: the file says Whitfield, Eleanor; the chart keeps Whitfield, Ellie".to_string()
    ));
    let phones: Vec<(String, ItemStatus)> = plan
        .items
        .iter()
        .filter(|i| i.section == "Phone")
        .map(|i| (i.label.clone(), i.status.clone()))
        .collect();
    assert_eq!(
        phones,
        vec![
            (
                "(916) 555-0142 (home), primary".into(),
                ItemStatus::AlreadyRecorded
            ),
            ("(916) 555-0187 (mobile)".into(), ItemStatus::New),
        ],
        "the same number written differently is already recorded"
    );
    apply(&mut doc, &plan, &[]);
    let r = record(&doc);
    assert_eq!(
        r.profile.date_of_birth,
        IsoDate::parse("1946-05-21"),
        "kept"
    );
    assert_eq!(r.name.given, "Ellie", "kept");
    assert_eq!(r.profile.sex, "female", "filled");
    assert_eq!(r.profile.phones.len(), 2);
    assert_eq!(r.medical.medications.len(), 3);
    assert_eq!(plan_import(&incoming, Some(&r)).new_count(), 0);
}

#[test]
fn a_tend_bundle_round_trips_with_its_ids_and_links() {
    let bundle = parse_bundle(TEND).expect("the Tend file reads");
    assert_eq!(
        bundle.not_read,
        Vec::<(String, usize)>::new(),
        "CareTeam, Provenance and TCM steps are expected, not 'not read'"
    );
    let incoming = &bundle.patients[0];
    let plan = plan_import(incoming, None);
    assert_eq!(
        plan.new_patient_id.as_str(),
        "0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"
    );
    assert_eq!(plan.new_count(), plan.items.len());
    let doc = create(&plan);
    let r = record(&doc);
    let p = &r.profile;
    assert_eq!(p.sex, "female");
    assert_eq!(p.pronouns, "she/her");
    assert!(p.interpreter_needed);
    assert_eq!(p.code_status, CodeStatus::FullCode);
    assert_eq!(p.preferred_language, "Spanish");
    assert_eq!(p.email, "rosa.diaz@example.org");
    let kinds: Vec<&str> = p.identifiers.iter().map(|i| i.system.as_str()).collect();
    assert_eq!(kinds, vec!["mrn", "medicare_mbi"]);
    assert!(p.phones.iter().any(|ph| ph.label == "neighbour"));
    let ana = &r.support.caregivers[0];
    assert_eq!(
        (
            ana.name.as_str(),
            ana.relationship.as_str(),
            ana.phone.as_str()
        ),
        ("Ana Diaz", "daughter", "555-0111")
    );
    assert!(ana.primary && ana.may_share_info);

    let id = |n: u32| format!("7d1e0000-0000-4000-8000-{n:012}");
    let dm = &r.medical.conditions[0];
    assert_eq!(dm.id, id(2));
    assert_eq!(dm.status, ConditionStatus::Controlled);
    assert!(dm.chronic);
    let need = &r.care_plan.needs[0];
    assert_eq!(
        (need.id.as_str(), need.description.as_str(), &need.status),
        (
            id(3).as_str(),
            "Unstable blood sugar",
            &NeedStatus::InProgress
        )
    );
    let sn = &r.social_needs[0];
    assert_eq!(sn.domain, SdohDomain::FoodInsecurity);
    assert_eq!(sn.detail, "Runs out of food at the end of the month");
    assert_eq!(
        r.medical.allergies[0].severity,
        AllergySeverity::LifeThreatening
    );
    let met = &r.medical.medications[0];
    assert_eq!(
        (met.dose.as_str(), met.frequency.as_str()),
        ("500 mg", "twice daily")
    );
    assert_eq!(
        met.schedule.times,
        vec!["morning".to_string(), "evening".to_string()]
    );
    assert_eq!(met.last_reconciled, IsoDate::parse("2026-11-30"));
    assert!(r.medical.hospitalizations[0].emergency_only);
    let t = &r.transitions[0];
    assert_eq!(t.disposition, Disposition::HomeHealth);
    assert_eq!(t.status, TransitionStatus::Discharged);
    assert!(t.emergent);
    let visit = &r.encounters[0];
    assert_eq!(visit.kind, EncounterKind::HomeVisit);
    assert!(visit.signed.is_none(), "signing is the importer's act");
    assert!(visit
        .note
        .as_str()
        .ends_with("[Signed by Nurse 1 on 2026-12-01 in the record it was imported from.]"));
    assert_eq!(r.follow_ups[0].due.as_str(), "2026-12-08");
    let phq = &r.assessments.responses[0];
    assert_eq!((phq.instrument.as_str(), phq.total), ("phq9", Some(6)));
    assert_eq!(phq.answers.len(), 9);
    let goal = &r.care_plan.goals[0];
    assert_eq!(goal.need_id, id(3), "the goal addresses the need");
    let action = &r.care_plan.actions[0];
    assert_eq!(action.id, id(16));
    assert_eq!(action.goal_id, id(14), "the action serves the goal");
    assert_eq!(action.responsible, Responsible::Patient);
    assert_eq!(r.coordination.referrals[0].kind, ReferralKind::FoodBank);
    assert_eq!(r.profile.coverages[0].plan, "Gold Plus HMO");
    let ccm = &r.programs[0];
    assert_eq!(ccm.program, ProgramKind::Ccm);
    assert_eq!(ccm.status, ProgramStatus::Active);
    let changes: Vec<(&str, &str)> = ccm
        .status_changes
        .iter()
        .map(|c| (c.status.as_str(), c.date.as_str()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("active", "2026-01-05"),
            ("paused", "2026-06-01"),
            ("active", "2026-07-01")
        ]
    );
    let consent = ccm
        .consent
        .as_ref()
        .expect("the consent came with its program");
    assert_eq!(consent.method, ConsentMethod::Verbal);
    assert_eq!(consent.obtained_by, "Nurse 1");

    // The same file again: everything is already there, by id.
    let plan = plan_import(&only_patient(TEND), Some(&r));
    assert_eq!(
        plan.new_count(),
        0,
        "{:#?}",
        labels(&plan, ItemStatus::is_new)
    );
    assert_eq!(plan.duplicate_count(), 0);
    assert!(plan.ops(&[]).is_empty());
}

#[test]
fn an_exported_record_imports_as_itself() {
    // Export (the other half of the mapping) of the imported Tend sample, then import that.
    let doc = create(&plan_import(&only_patient(TEND), None));
    let original = record(&doc);
    let ctx = tend_fhir::ExportContext {
        bundle_id: "5f0c2a31-7d2e-4a55-9b1e-2a1c3d4e5f61".into(),
        exported_at_ms: T0,
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
        people: Default::default(),
    };
    let exported = tend_fhir::export_bundle(std::slice::from_ref(&original), &ctx);
    let text = serde_json::to_string(&exported).expect("json");
    let incoming = only_patient(&text);
    assert!(incoming.matches(&original));

    let again = plan_import(&incoming, Some(&original));
    assert_eq!(
        again.new_count(),
        0,
        "{:#?}",
        labels(&again, ItemStatus::is_new)
    );
    assert_eq!(again.duplicate_count(), 0);

    let copy = create(&plan_import(&incoming, None));
    let copy = record(&copy);
    assert_eq!(copy.id, original.id);
    let ids = |r: &PatientRecord| {
        let mut ids: Vec<String> = [
            r.medical
                .conditions
                .iter()
                .map(|i| i.id.clone())
                .collect::<Vec<_>>(),
            r.medical.medications.iter().map(|i| i.id.clone()).collect(),
            r.care_plan.goals.iter().map(|i| i.id.clone()).collect(),
            r.care_plan.actions.iter().map(|i| i.id.clone()).collect(),
            r.assessments
                .responses
                .iter()
                .map(|i| i.id.clone())
                .collect(),
            r.programs.iter().map(|i| i.id.clone()).collect(),
        ]
        .concat();
        ids.sort();
        ids
    };
    assert_eq!(ids(&copy), ids(&original));
    assert_eq!(
        copy.care_plan.actions[0].goal_id,
        original.care_plan.actions[0].goal_id
    );
    assert_eq!(
        copy.care_plan.goals[0].need_id,
        original.care_plan.goals[0].need_id
    );
    assert_eq!(
        copy.medical.medications[0].schedule,
        original.medical.medications[0].schedule
    );
    assert_eq!(copy.profile.address, original.profile.address);
    assert_eq!(copy.programs[0].consent, original.programs[0].consent);
}

// ---------------------------------------------------------------------------------------------
// Bad files

fn ehr() -> Value {
    serde_json::from_str(EHR).expect("fixture")
}

fn entry_of<'a>(bundle: &'a mut Value, rtype: &str) -> (usize, &'a mut Value) {
    let entries = bundle["entry"].as_array_mut().expect("entries");
    let (i, e) = entries
        .iter_mut()
        .enumerate()
        .find(|(_, e)| e["resource"]["resourceType"] == rtype)
        .expect("an entry of that type");
    (i, &mut e["resource"])
}

fn parse(v: &Value) -> Result<tend_fhir::import::ImportBundle, FhirError> {
    parse_bundle(&serde_json::to_string(v).expect("json"))
}

fn not_r4(v: &Value) -> String {
    match parse(v) {
        Err(FhirError::NotR4(why)) => why,
        other => panic!("expected NotR4, got {other:?}"),
    }
}

#[test]
fn files_that_are_not_json_or_not_a_bundle_are_refused() {
    assert!(matches!(
        parse_bundle("PDF-1.7 %âãÏÓ"),
        Err(FhirError::NotJson(_))
    ));
    assert!(matches!(parse_bundle(""), Err(FhirError::NotJson(_))));
    assert!(matches!(
        parse_bundle(&EHR[..EHR.len() / 2]),
        Err(FhirError::NotJson(_))
    ));
    assert_eq!(
        parse_bundle(r#"{"resourceType": "Patient", "id": "p"}"#),
        Err(FhirError::NotBundle("Patient".into()))
    );
    assert_eq!(
        parse_bundle("[1, 2]"),
        Err(FhirError::NotBundle("(not a JSON object)".into()))
    );
    assert_eq!(
        parse_bundle(r#"{"entry": []}"#),
        Err(FhirError::NotBundle("(none)".into()))
    );
}

#[test]
fn a_file_over_the_limit_is_refused_before_reading() {
    let big = format!("{EHR}{}", " ".repeat(MAX_IMPORT_BYTES));
    assert_eq!(
        parse_bundle(&big),
        Err(FhirError::TooLarge(big.len(), MAX_IMPORT_BYTES))
    );
}

#[test]
fn other_fhir_versions_are_named() {
    // R5: Encounter.class is a list.
    let mut b = ehr();
    let (i, enc) = entry_of(&mut b, "Encounter");
    enc["class"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}]}]);
    let why = not_r4(&b);
    assert!(why.starts_with(&format!("entry {i} (Encounter)")), "{why}");
    assert!(why.contains("Encounter.class is a list"), "{why}");

    // R5: MedicationStatement.medication is a CodeableReference.
    let mut b = ehr();
    b["entry"].as_array_mut().expect("entries").push(json!({
        "fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000aa",
        "resource": {
            "resourceType": "MedicationStatement",
            "status": "recorded",
            "medication": {"concept": {"text": "Metformin"}},
            "subject": {"reference": "urn:uuid:5b0e6c1e-9d4f-4c1a-8f2e-3a7d9b1c2e01"}
        }
    }));
    assert!(not_r4(&b).contains("CodeableReference"));

    // STU3: MedicationStatement.taken.
    let mut b = ehr();
    b["entry"].as_array_mut().expect("entries").push(json!({
        "resource": {
            "resourceType": "MedicationStatement",
            "status": "active",
            "taken": "y",
            "medicationCodeableConcept": {"text": "Metformin"},
            "subject": {"reference": "urn:uuid:5b0e6c1e-9d4f-4c1a-8f2e-3a7d9b1c2e01"}
        }
    }));
    assert!(not_r4(&b).contains("MedicationStatement.taken is a FHIR STU3 element"));

    // STU3: a Condition's clinicalStatus is a plain code.
    let mut b = ehr();
    entry_of(&mut b, "Condition").1["clinicalStatus"] = json!("active");
    assert!(not_r4(&b).contains("FHIR STU3"));

    // A resource type only R5 has.
    let mut b = ehr();
    b["entry"].as_array_mut().expect("entries").push(json!({
        "resource": {"resourceType": "MedicationUsage", "status": "recorded"}
    }));
    assert!(not_r4(&b).contains("MedicationUsage is a resource type of FHIR R5"));

    // The Bundle says so.
    let mut b = ehr();
    b["meta"]["profile"] = json!(["http://hl7.org/fhir/5.0/StructureDefinition/Bundle"]);
    assert!(not_r4(&b).contains("FHIR R5"));
    let mut b = ehr();
    b["fhirVersion"] = json!("3.0.2");
    assert!(not_r4(&b).contains("FHIR STU3"));
    let mut b = ehr();
    b["meta"]["profile"] = json!(["http://hl7.org/fhir/StructureDefinition/Bundle|5.0.0"]);
    assert!(not_r4(&b).contains("FHIR R5"));

    // An implementation guide's version is not FHIR's.
    let mut b = ehr();
    entry_of(&mut b, "Patient").1["meta"]["profile"] =
        json!(["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|5.0.1"]);
    assert!(parse(&b).is_ok());
}

fn malformed(v: &Value) -> (String, String) {
    match parse(v) {
        Err(FhirError::Malformed { where_, problem }) => (where_, problem),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn a_malformed_resource_is_named_with_what_is_wrong() {
    let mut b = ehr();
    let (i, cond) = entry_of(&mut b, "Condition");
    cond["code"] = json!("E11.9");
    let (where_, problem) = malformed(&b);
    assert_eq!(where_, format!("entry {i} (Condition)"));
    assert_eq!(problem, "Condition.code is not an object");
    let err = parse(&b).expect_err("malformed").to_string();
    assert_eq!(
        err,
        format!("entry {i} (Condition) is not valid FHIR R4: Condition.code is not an object")
    );

    let mut b = ehr();
    entry_of(&mut b, "MedicationRequest").1["dosageInstruction"][0]["doseAndRate"][0]
        ["doseQuantity"]["value"] = json!("500");
    assert!(malformed(&b)
        .1
        .contains("doseQuantity.value is not a number"));

    // A subject that is not a patient of the file.
    let mut b = ehr();
    let (i, allergy) = entry_of(&mut b, "AllergyIntolerance");
    allergy["patient"] = json!({"reference": "Patient/somebody-else"});
    let (where_, problem) = malformed(&b);
    assert_eq!(where_, format!("entry {i} (AllergyIntolerance)"));
    assert!(problem.contains("Patient/somebody-else"), "{problem}");

    // Only a display: not a reference to anyone.
    let mut b = ehr();
    entry_of(&mut b, "Encounter").1["subject"] = json!({"display": "Eleanor Whitfield"});
    assert!(malformed(&b).1.contains("Eleanor Whitfield"));

    // The Bundle's own shape.
    let mut b = ehr();
    b["entry"] = json!({"resource": {}});
    assert_eq!(
        malformed(&b),
        ("the Bundle".into(), "Bundle.entry is not a list".into())
    );
}

#[test]
fn a_bundle_without_a_patient_is_refused() {
    let mut b = ehr();
    b["entry"]
        .as_array_mut()
        .expect("entries")
        .retain(|e| e["resource"]["resourceType"] != "Patient");
    assert_eq!(parse(&b), Err(FhirError::NoPatient));
    assert_eq!(
        parse_bundle(r#"{"resourceType": "Bundle", "type": "collection"}"#),
        Err(FhirError::NoPatient)
    );
}

#[test]
fn references_reach_patients_in_every_usual_form_and_a_missing_subject_only_in_a_single_patient_file(
) {
    let patient = |id: &str, mrn: &str, full_url: &str| {
        json!({"fullUrl": full_url, "resource": {
            "resourceType": "Patient", "id": id,
            "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                            "system": "http://h.example/mrn", "value": mrn}],
            "name": [{"family": id}]
        }})
    };
    let condition = |text: &str, subject: Value| json!({"resource": {"resourceType": "Condition", "code": {"text": text}, "subject": subject}});
    let bundle = json!({"resourceType": "Bundle", "type": "searchset", "entry": [
        patient("A", "111", "https://ehr.example/fhir/Patient/A"),
        patient("B", "222", "urn:uuid:7a0c1b2d-0000-4000-8000-000000000002"),
        condition("by relative reference", json!({"reference": "Patient/A"})),
        condition("by absolute URL, versioned", json!({"reference": "https://ehr.example/fhir/Patient/A/_history/3"})),
        condition("by urn:uuid", json!({"reference": "urn:uuid:7a0c1b2d-0000-4000-8000-000000000002"})),
        condition("by identifier", json!({"identifier": {"system": "http://h.example/mrn", "value": "222"}})),
    ]});
    let read = parse(&bundle).expect("reads");
    let texts = |p: usize| -> Vec<String> {
        let plan = plan_import(&read.patients[p], None);
        plan.items
            .iter()
            .filter(|i| i.section == "Condition")
            .map(|i| i.label.clone())
            .collect()
    };
    assert_eq!(
        texts(0),
        vec!["by relative reference", "by absolute URL, versioned"]
    );
    assert_eq!(texts(1), vec!["by urn:uuid", "by identifier"]);

    // Two patients: a resource without a subject belongs to no one.
    let mut two = bundle.clone();
    two["entry"]
        .as_array_mut()
        .expect("entries")
        .push(json!({"resource": {"resourceType": "Condition", "code": {"text": "whose?"}}}));
    assert!(malformed(&two).1.contains("the file has 2 patients"));

    // One patient: it is theirs.
    let one = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        patient("A", "111", "urn:uuid:7a0c1b2d-0000-4000-8000-000000000001"),
        {"resource": {"resourceType": "Condition", "code": {"text": "Asthma"}}},
    ]});
    let read = parse(&one).expect("reads");
    assert_eq!(
        read.patients[0].item_count(),
        2,
        "the MRN and the condition"
    );
}

// ---------------------------------------------------------------------------------------------
// Never a panic

/// A small deterministic generator (no dependency for it).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() as usize) % n.max(1)
    }
}

/// Whatever the file, a plan and its ops are made, and a new patient's ops apply.
fn exercise(text: &str) {
    if let Ok(bundle) = parse_bundle(text) {
        for p in &bundle.patients {
            let plan = plan_import(p, None);
            let all = plan.duplicate_indices();
            let ops = plan.ops(&all);
            if plan.name.given.trim().is_empty() && plan.name.family.trim().is_empty() {
                continue;
            }
            let mut doc =
                PatientDoc::create(&plan.new_patient_id, plan.name.clone(), &author(), T0)
                    .expect("create");
            if let Err(e) = doc.apply_all(ops, &author(), T0) {
                panic!("a planned op was refused ({e}) for:\n{text}");
            }
            let r = record(&doc);
            let again = plan_import(p, Some(&r));
            assert_eq!(
                again.new_count(),
                0,
                "{:#?}",
                labels(&again, ItemStatus::is_new)
            );
        }
    }
}

#[test]
fn byte_mutations_and_truncations_never_panic() {
    let mut rng = Lcg(0x5eed);
    for source in [EHR, TEND] {
        let bytes = source.as_bytes();
        for n in 0..400 {
            let mut b = bytes.to_vec();
            match n % 4 {
                0 => b.truncate(rng.below(bytes.len())),
                1 => {
                    for _ in 0..1 + rng.below(8) {
                        let i = rng.below(b.len());
                        b[i] = rng.next() as u8;
                    }
                }
                2 => {
                    let i = rng.below(b.len());
                    let len = rng.below(40).min(b.len() - i);
                    b.drain(i..i + len);
                }
                _ => {
                    let i = rng.below(b.len());
                    let j = rng.below(b.len());
                    let chunk: Vec<u8> = b[j..(j + rng.below(30)).min(b.len())].to_vec();
                    b.splice(i..i, chunk);
                }
            }
            exercise(&String::from_utf8_lossy(&b));
        }
    }
}

/// Replaces one node of the JSON tree (chosen by `pick`) with `with`.
fn replace_nth(v: &mut Value, pick: &mut usize, with: &Value) -> bool {
    if *pick == 0 {
        *v = with.clone();
        return true;
    }
    *pick -= 1;
    match v {
        Value::Object(map) => map.values_mut().any(|c| replace_nth(c, pick, with)),
        Value::Array(items) => items.iter_mut().any(|c| replace_nth(c, pick, with)),
        _ => false,
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Object(map) => map.values().map(count_nodes).sum(),
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        _ => 0,
    }
}

#[test]
fn structural_mutations_never_panic_and_what_is_read_always_applies() {
    let replacements = [
        json!(null),
        json!(""),
        json!(" "),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e300),
        json!(true),
        json!([]),
        json!({}),
        json!([{}]),
        json!("2026-02-30"),
        json!("1999-12-31"),
        json!("2100-01-01T00:00:00Z"),
        json!("urn:uuid:5b0e6c1e-9d4f-4c1a-8f2e-3a7d9b1c2e01"),
        json!({"reference": "Patient/nobody"}),
        json!("a/b"),
        json!("x".repeat(300)),
        json!("entered-in-error"),
    ];
    let mut rng = Lcg(42);
    for source in [EHR, TEND] {
        let original: Value = serde_json::from_str(source).expect("fixture");
        let nodes = count_nodes(&original);
        for _ in 0..300 {
            let mut v = original.clone();
            for _ in 0..1 + rng.below(3) {
                let mut pick = rng.below(nodes);
                let with = &replacements[rng.below(replacements.len())];
                replace_nth(&mut v, &mut pick, with);
            }
            exercise(&serde_json::to_string(&v).expect("json"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fixtures are valid FHIR R4 (the app's end-to-end test imports the EHR file)

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TEND_FHIR_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/tend/tools/fhir-resources-6.1.0/bin/python");
    p.exists().then_some(p)
}

#[test]
fn the_fixtures_are_valid_fhir_r4() {
    let Some(python) = python() else {
        eprintln!("the FHIR validator is not installed (cargo xtask setup): not checked here");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(root.join("../../scripts/validate_fhir.py"))
        .arg(root.join("tests/fixtures/ehr_discharge.json"))
        .arg(root.join("tests/fixtures/tend_sample.json"))
        .output()
        .expect("the validator runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
