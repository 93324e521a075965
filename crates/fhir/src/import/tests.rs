//! Unit tests of the import: how each resource is read, what is not read, links and ids, and
//! the plan's choices (the end-to-end tests are in tests/import.rs).

use serde_json::{json, Value};
use tend_core::record::*;
use tend_core::{Author, Op, PatientDoc, PatientId};

use super::*;

const PATIENT: &str = "urn:uuid:11111111-1111-4111-8111-111111111111";
const V3: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

fn author() -> Author {
    Author {
        user_id: "u1".into(),
        user_name: "Nurse 1".into(),
        device_id: "d1".into(),
    }
}

/// A Bundle of one patient (MRN 900) and `resources`, each referring to the patient unless it
/// says otherwise.
fn bundle(resources: Vec<Value>) -> String {
    let mut entries = vec![json!({"fullUrl": PATIENT, "resource": {
        "resourceType": "Patient",
        "identifier": [{"type": {"coding": [{"system": crate::codes::V2_0203, "code": "MR"}]},
                        "system": "http://h.example/mrn", "value": "900"}],
        "name": [{"family": "Nguyen", "given": ["Lan"]}]
    }})];
    for (i, r) in resources.into_iter().enumerate() {
        entries.push(json!({
            "fullUrl": format!("urn:uuid:22222222-2222-4222-8222-{i:012}"),
            "resource": r,
        }));
    }
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries}).to_string()
}

fn subject() -> Value {
    json!({"reference": PATIENT})
}

fn read(resources: Vec<Value>) -> (Content, Vec<(String, usize)>) {
    let b = parse_bundle(&bundle(resources)).expect("reads");
    let content = b.patients[0].content.clone();
    (content, b.not_read)
}

fn not_read(resources: Vec<Value>) -> Vec<(String, usize)> {
    read(resources).1
}

fn med_request(name: &str, dosage: Value) -> Value {
    json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
           "medicationCodeableConcept": {"text": name}, "subject": subject(),
           "dosageInstruction": [dosage]})
}

/// Applies a new-patient plan's ops (with `chosen` duplicates) to a fresh document.
fn applied(plan: &ImportPlan) -> PatientRecord {
    let mut doc =
        PatientDoc::create(&PatientId::random(), plan.name.clone(), &author(), 1).expect("create");
    doc.apply_all(plan.ops(&plan.duplicate_indices()), &author(), 2)
        .expect("the plan applies");
    doc.record().expect("record")
}

#[test]
fn dosages_are_read_into_dose_frequency_and_schedule() {
    let (c, _) = read(vec![
        med_request(
            "Oxycodone 5 mg tablet",
            json!({
                "text": "1 tablet every 6 hours as needed for pain, max 4 a day",
                "timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}},
                "asNeededCodeableConcept": {"text": "for pain"},
                "maxDosePerPeriod": {"numerator": {"value": 4},
                                     "denominator": {"value": 1, "unit": "day", "code": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg"}}],
            }),
        ),
        med_request(
            "Levothyroxine",
            json!({"timing": {"repeat": {"timeOfDay": ["06:30:00"], "frequency": 1, "period": 1,
                                         "periodUnit": "d"}},
                   "additionalInstruction": [{"text": "On an empty stomach"}],
                   "doseAndRate": [{"doseQuantity": {"value": 0.05, "unit": "mg"}}]}),
        ),
        med_request(
            "Furosemide",
            json!({"text": "40 mg by mouth every other morning"}),
        ),
        med_request(
            "Vitamin D",
            json!({"timing": {"code": {"text": "once weekly"}, "repeat": {"when": ["HS"]}}}),
        ),
    ]);
    let m = &c.medications;
    assert_eq!(m.len(), 4);
    assert_eq!(
        (m[0].dose.as_str(), m[0].frequency.as_str()),
        ("5 mg", "every 6 hours")
    );
    assert!(m[0].schedule.as_needed);
    assert_eq!(m[0].schedule.as_needed_reason, "for pain");
    assert_eq!(m[0].schedule.max_per_day, Some(4));
    assert_eq!(
        (m[1].dose.as_str(), m[1].frequency.as_str()),
        ("0.05 mg", "once daily")
    );
    assert_eq!(m[1].schedule.times, vec!["06:30".to_string()]);
    assert_eq!(m[1].schedule.food, FoodInstruction::WithoutFood);
    // Nothing structured: the instructions' words are the frequency.
    assert_eq!(
        (m[2].dose.as_str(), m[2].frequency.as_str()),
        ("", "40 mg by mouth every other morning")
    );
    assert_eq!(m[3].frequency, "once weekly");
    assert_eq!(m[3].schedule.times, vec!["bedtime".to_string()]);
}

#[test]
fn medication_statuses_and_names_from_references() {
    let (c, not) = read(vec![
        json!({"resourceType": "Medication", "id": "m1",
               "code": {"coding": [{"system": crate::codes::RXNORM, "code": "197361",
                                     "display": "amlodipine 5 MG Oral Tablet"}]}}),
        json!({"resourceType": "MedicationRequest", "status": "on-hold", "intent": "order",
               "medicationReference": {"reference": "Medication/m1"}, "subject": subject()}),
        json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "contained": [{"resourceType": "Medication", "id": "c1", "code": {"text": "Aspirin 81 mg"}}],
               "medicationReference": {"reference": "#c1"}, "subject": subject()}),
        json!({"resourceType": "MedicationStatement", "status": "stopped",
               "medicationCodeableConcept": {"text": "Warfarin"}, "subject": subject(),
               "statusReason": [{"text": "bleeding"}]}),
        json!({"resourceType": "MedicationRequest", "status": "entered-in-error", "intent": "order",
               "medicationCodeableConcept": {"text": "Wrong drug"}, "subject": subject()}),
        json!({"resourceType": "MedicationRequest", "status": "cancelled", "intent": "order",
               "medicationCodeableConcept": {"text": "Never started"}, "subject": subject()}),
        json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "doNotPerform": true,
               "medicationCodeableConcept": {"text": "Ibuprofen"}, "subject": subject()}),
    ]);
    let names: Vec<(&str, &MedicationStatus)> = c
        .medications
        .iter()
        .map(|m| (m.name.as_str(), &m.status))
        .collect();
    assert_eq!(
        names,
        vec![
            ("amlodipine 5 MG Oral Tablet", &MedicationStatus::OnHold),
            ("Aspirin 81 mg", &MedicationStatus::Active),
            ("Warfarin", &MedicationStatus::Stopped),
        ]
    );
    assert_eq!(c.medications[2].status_reason, "bleeding");
    // The Medication was read into the request; the three refused requests were not read.
    assert_eq!(not, vec![("MedicationRequest".to_string(), 3)]);
}

#[test]
fn encounters_become_stays_visits_or_nothing_by_tag_and_class() {
    let enc = |class: &str, status: &str, extra: Value| {
        let mut e = json!({"resourceType": "Encounter", "status": status,
                           "class": {"system": V3, "code": class}, "subject": subject(),
                           "period": {"start": "2026-10-02T08:00:00Z", "end": "2026-10-03"}});
        if let (Some(e), Value::Object(extra)) = (e.as_object_mut(), extra) {
            e.extend(extra);
        }
        e
    };
    let (c, not) = read(vec![
        json!({"resourceType": "Location", "id": "loc1", "name": "County ED"}),
        enc(
            "EMER",
            "finished",
            json!({"location": [{"location": {"reference": "Location/loc1"}}],
                   "reasonCode": [{"coding": [{"system": "http://snomed.info/sct", "code": "161898004",
                                               "display": "Fall"}]}]}),
        ),
        enc(
            "OBSENC",
            "finished",
            json!({"serviceProvider": {"display": "Mercy"}}),
        ),
        enc(
            "AMB",
            "finished",
            json!({"reasonCode": [{"text": "Diabetes check"}]}),
        ),
        enc("VR", "finished", json!({})),
        enc("HH", "finished", json!({})),
        enc("AMB", "cancelled", json!({})),
        enc(
            "AMB",
            "finished",
            json!({"meta": {"tag": [{"system": "urn:tend:kind", "code": "tcm_step"}]}}),
        ),
    ]);
    let stays: Vec<(&str, bool, &str)> = c
        .hospitalizations
        .iter()
        .map(|h| (h.facility.as_str(), h.emergency_only, h.reason.as_str()))
        .collect();
    assert_eq!(
        stays,
        vec![("County ED", true, "Fall"), ("Mercy", false, "")]
    );
    assert_eq!(
        c.hospitalizations[0].admitted_on,
        IsoDate::parse("2026-10-02")
    );
    let visits: Vec<(&EncounterKind, &str)> = c
        .encounters
        .iter()
        .map(|e| (&e.kind, e.subject.as_str()))
        .collect();
    assert_eq!(
        visits,
        vec![
            (&EncounterKind::Visit, "Diabetes check"),
            (&EncounterKind::Call, ""),
            (&EncounterKind::HomeVisit, "")
        ]
    );
    assert_eq!(
        not,
        vec![("Encounter".to_string(), 2), ("Location".to_string(), 1)]
    );
}

fn phq9(total: Value, answers: &[i64], qr_questionnaire: &str) -> Vec<Value> {
    let qr = "urn:uuid:33333333-3333-4333-8333-333333333333";
    vec![
        json!({"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": crate::codes::LOINC, "code": "44261-6"}]},
               "subject": subject(), "effectiveDateTime": "2026-12-01", "valueInteger": total,
               "derivedFrom": [{"reference": qr}]}),
        json!({"resourceType": "QuestionnaireResponse", "id": "33333333-3333-4333-8333-333333333333",
               "status": "completed", "questionnaire": qr_questionnaire, "subject": subject(),
               "item": answers.iter().enumerate().map(|(i, a)| json!({
                   "linkId": format!("phq9_{}", i + 1), "answer": [{"valueInteger": a}]
               })).collect::<Vec<_>>()}),
    ]
}

/// The QR's fullUrl is the one `phq9` refers to.
fn read_phq9(resources: Vec<Value>) -> (Content, Vec<(String, usize)>) {
    let mut text: Value = serde_json::from_str(&bundle(resources)).expect("json");
    if let Some(entries) = text["entry"].as_array_mut() {
        for e in entries {
            if e["resource"]["resourceType"] == "QuestionnaireResponse" {
                e["fullUrl"] = json!("urn:uuid:33333333-3333-4333-8333-333333333333");
            }
        }
    }
    let b = parse_bundle(&text.to_string()).expect("reads");
    (b.patients[0].content.clone(), b.not_read)
}

#[test]
fn instrument_results_need_answers_that_score_to_the_total() {
    let ok = [1, 1, 0, 2, 1, 0, 1, 0, 0];
    let (c, not) = read_phq9(phq9(json!(6), &ok, "urn:tend:questionnaire:phq9"));
    assert!(not.is_empty(), "{not:?}");
    assert_eq!(c.responses.len(), 1);
    assert_eq!(c.responses[0].total, Some(6));
    assert_eq!(c.responses[0].answers[3].value, 2);

    // A total the answers do not give, a missing answer, an out-of-range answer, another
    // questionnaire: not read (neither resource).
    for (total, answers, q) in [
        (json!(7), &ok[..], "urn:tend:questionnaire:phq9"),
        (json!(6), &ok[..8], "urn:tend:questionnaire:phq9"),
        (
            json!(9),
            &[1, 1, 0, 2, 1, 0, 1, 0, 4][..],
            "urn:tend:questionnaire:phq9",
        ),
        (json!(6), &ok[..], "urn:tend:questionnaire:gad7"),
    ] {
        let (c, not) = read_phq9(phq9(total, answers, q));
        assert!(c.responses.is_empty());
        assert_eq!(
            not,
            vec![
                ("Observation".to_string(), 1),
                ("QuestionnaireResponse".to_string(), 1)
            ]
        );
    }
    // An Observation alone, a lab result: not read.
    let (_, not) = read(vec![phq9(json!(6), &ok, "")[0].clone()]);
    assert_eq!(not, vec![("Observation".to_string(), 1)]);
    let (_, not) = read(vec![
        json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": crate::codes::LOINC, "code": "4548-4"}]},
        "subject": {"reference": "Patient/elsewhere"}, "valueQuantity": {"value": 7.9}}),
    ]);
    assert_eq!(
        not,
        vec![("Observation".to_string(), 1)],
        "a lab's subject is not checked: it is not read"
    );
}

#[test]
fn tasks_service_requests_and_episodes_tend_does_not_know_are_not_read() {
    let not = not_read(vec![
        json!({"resourceType": "Task", "status": "requested", "intent": "order", "for": subject()}),
        json!({"resourceType": "Task", "status": "requested", "intent": "plan", "for": subject(),
               "meta": {"tag": [{"system": "urn:tend:kind", "code": "tcm_step"}]}}),
        json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
               "category": [{"coding": [{"system": crate::codes::SNOMED, "code": "108252007"}]}],
               "code": {"text": "HbA1c"}, "subject": subject()}),
        json!({"resourceType": "EpisodeOfCare", "status": "active", "patient": subject(),
               "type": [{"text": "Oncology"}]}),
        json!({"resourceType": "Consent", "status": "active", "patient": subject(),
               "scope": {"text": "privacy"}}),
        json!({"resourceType": "CareTeam", "status": "active", "subject": subject()}),
        json!({"resourceType": "Provenance", "recorded": "2026-01-01T00:00:00Z"}),
        json!({"resourceType": "Organization", "name": "Mercy"}),
    ]);
    assert_eq!(
        not,
        vec![
            ("Consent".to_string(), 1),
            ("EpisodeOfCare".to_string(), 1),
            ("Organization".to_string(), 1),
            ("ServiceRequest".to_string(), 1),
            ("Task".to_string(), 1),
        ]
    );
}

#[test]
fn an_ehr_referral_and_coverage_are_read() {
    let (c, not) = read(vec![
        json!({"resourceType": "Organization", "id": "payer", "name": "Blue Shield of California"}),
        json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
               "priority": "asap", "code": {"text": "Cardiology consult"},
               "performer": [{"display": "Dr. Patel, Cardiology"}],
               "reasonCode": [{"text": "New atrial fibrillation"}],
               "authoredOn": "2026-11-24T09:00:00Z", "occurrenceDateTime": "2026-11-20",
               "subject": subject()}),
        json!({"resourceType": "Coverage", "status": "active", "beneficiary": subject(),
               "payor": [{"reference": "Organization/payer"}], "subscriberId": "XK12",
               "class": [{"type": {"coding": [{"system": crate::codes::COVERAGE_CLASS, "code": "group"}]},
                          "value": "G-77", "name": "State employees"}],
               "period": {"start": "2026-01-01", "end": "2025-12-31"}, "order": 2}),
    ]);
    let r = &c.referrals[0];
    assert_eq!(
        (&r.kind, r.to.as_str(), &r.status, &r.urgency),
        (
            &ReferralKind::Specialist,
            "Dr. Patel, Cardiology",
            &ReferralStatus::Sent,
            &ReferralUrgency::Urgent
        )
    );
    assert_eq!(
        r.appointment_on, None,
        "an appointment before the referral was sent is left out"
    );
    let cov = &c.coverages[0];
    assert_eq!(
        (cov.payer.as_str(), cov.group.as_str(), &cov.rank),
        (
            "Blue Shield of California",
            "State employees (G-77)",
            &CoverageRank::Secondary
        )
    );
    assert_eq!(
        cov.effective_to, None,
        "an end before the start is left out"
    );
    assert_eq!(not, vec![("Organization".to_string(), 1)]);
}

#[test]
fn conditions_by_tag_and_status() {
    let cond = |extra: Value| {
        let mut c = json!({"resourceType": "Condition", "subject": subject()});
        if let (Some(c), Value::Object(extra)) = (c.as_object_mut(), extra) {
            c.extend(extra);
        }
        c
    };
    let (c, not) = read(vec![
        cond(
            json!({"code": {"coding": [{"system": crate::codes::SNOMED, "code": "44054006",
                                          "display": "Diabetes mellitus type 2"}]},
                    "clinicalStatus": {"coding": [{"code": "remission"}]}}),
        ),
        cond(json!({"code": {"text": "Ruled out MI"},
                    "verificationStatus": {"coding": [{"code": "refuted"}]}})),
        cond(json!({"code": {"coding": [{"system": "http://local.example", "code": "X1"}]}})),
        cond(
            json!({"meta": {"tag": [{"system": "urn:tend:kind", "code": "need"}]},
                    "code": {"text": "Needs transport to dialysis"},
                    "clinicalStatus": {"coding": [{"code": "resolved"}]}}),
        ),
        cond(
            json!({"meta": {"tag": [{"system": "urn:tend:kind", "code": "social_need"}]},
                    "code": {"coding": [{"system": "urn:tend:code:sdoh-domain", "code": "housing_instability"}],
                             "text": "Housing instability"}}),
        ),
        cond(json!({"code": {}})),
    ]);
    let problems: Vec<(&str, &str, &str, &ConditionStatus)> = c
        .conditions
        .iter()
        .map(|c| {
            (
                c.text.as_str(),
                c.code.as_str(),
                c.code_system.as_str(),
                &c.status,
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                "Diabetes mellitus type 2",
                "44054006",
                "snomed",
                &ConditionStatus::Inactive
            ),
            ("X1", "", "", &ConditionStatus::Active),
        ]
    );
    assert_eq!(c.needs[0].status, NeedStatus::Met);
    assert_eq!(c.social_needs[0].domain, SdohDomain::HousingInstability);
    assert_eq!(
        c.social_needs[0].detail, "",
        "the domain's words are no detail"
    );
    assert_eq!(not, vec![("Condition".to_string(), 2)]);
}

#[test]
fn patient_details_identifiers_and_contacts() {
    let text = json!({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Patient", "id": "p1",
        "identifier": [
            {"system": "urn:tend:patient", "value": "not-a-uuid"},
            {"type": {"coding": [{"system": crate::codes::V2_0203, "code": "MA"}]},
             "system": "urn:oid:2.16.840.1.113883.4.3.6", "value": "94-777"},
            {"type": {"coding": [{"system": crate::codes::V2_0203, "code": "MR"}]},
             "system": "http://h.example/mrn", "value": "OLD-1", "use": "old"},
            {"system": "http://h.example/other", "value": "Z9"}
        ],
        "name": [{"use": "old", "family": "Brown"}, {"text": "Mary Ann Smith"}],
        "telecom": [{"system": "sms", "value": "555 0101"}, {"system": "email", "value": "m@example.org"}],
        "address": [{"use": "old", "city": "Fresno"}, {"text": "General Delivery, Lodi"}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "vi-VN"}]}}],
        "extension": [{"url": crate::codes::US_CORE_INTERPRETER, "valueBoolean": true}],
        "gender": "other",
        "birthDate": "1950-07",
        "contact": [{"relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                                                    "code": "N", "display": "Next-of-Kin"}]}],
                     "name": {"family": "Smith", "given": ["John"]},
                     "telecom": [{"system": "email", "value": "j@example.org"}, {"system": "phone", "value": "555 0102"}]},
                    {"organization": {"display": "Home care agency"}}]
    }}]});
    let b = parse_bundle(&text.to_string()).expect("reads");
    let p = &b.patients[0];
    assert_eq!(p.tend_id, None, "a Tend id that is not a UUID is not taken");
    assert_eq!(
        (p.name.given.as_str(), p.name.family.as_str()),
        ("Mary Ann", "Smith")
    );
    assert!(p.mrns.is_empty(), "an old MRN is not the patient's MRN");
    let ids: Vec<(&str, &str, &str)> = p
        .content
        .identifiers
        .iter()
        .map(|i| (i.system.as_str(), i.value.as_str(), i.issuer.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("medicaid", "94-777", ""),
            ("other", "Z9", "http://h.example/other")
        ]
    );
    let d = &p.content.details;
    assert_eq!(d.preferred_language, "Vietnamese");
    assert_eq!(d.interpreter_needed, Some(true));
    assert_eq!(
        d.sex, "",
        "administrative gender 'other' says nothing of sex"
    );
    assert_eq!(d.date_of_birth, None, "a partial birth date is not a date");
    assert_eq!(d.email, "m@example.org");
    assert_eq!(d.address.line1, "General Delivery, Lodi");
    assert_eq!(p.content.phones[0].label, "mobile");
    let cg = &p.content.caregivers;
    assert_eq!(cg.len(), 1, "a contact without a name is not a caregiver");
    assert_eq!(
        (
            cg[0].name.as_str(),
            cg[0].relationship.as_str(),
            cg[0].phone.as_str()
        ),
        ("John Smith", "Next-of-Kin", "555 0102")
    );
}

fn tend_need(id: &str, text: &str) -> Value {
    json!({"resourceType": "Condition", "id": id,
           "meta": {"tag": [{"system": "urn:tend:kind", "code": "need"}]},
           "identifier": [{"system": crate::codes::TEND_ITEM, "value": id}],
           "code": {"text": text}, "subject": subject()})
}

fn tend_goal(id: &str, need: &str) -> Value {
    json!({"resourceType": "Goal", "id": id, "lifecycleStatus": "active",
           "identifier": [{"system": crate::codes::TEND_ITEM, "value": id}],
           "description": {"text": "Get to dialysis three times a week"}, "subject": subject(),
           "addresses": [{"reference": format!("Condition/{need}")}]})
}

#[test]
fn repeats_within_a_file_count_once_and_links_follow_the_one_kept() {
    let (c, _) = read(vec![
        tend_need("n1", "Needs transport to dialysis"),
        // The same need again under another id (an EHR and a Tend export merged, say).
        tend_need("n2", "needs  transport to Dialysis"),
        tend_goal("g1", "n2"),
        med_request("Metformin", json!({"text": "500 mg twice daily"})),
        med_request("Metformin", json!({"text": "500 mg twice daily"})),
    ]);
    assert_eq!(c.needs.len(), 1);
    assert_eq!(c.goals[0].need_id, "n1");
    assert_eq!(c.medications.len(), 1);
}

fn record_with(ops: Vec<Op>) -> PatientRecord {
    let name = PersonName {
        given: "Lan".into(),
        family: "Nguyen".into(),
    };
    let mut doc = PatientDoc::create(&PatientId::random(), name, &author(), 1).expect("create");
    doc.apply_all(ops, &author(), 1).expect("setup");
    doc.record().expect("record")
}

fn need_op(id: &str, description: &str, status: NeedStatus) -> Op {
    Op::AddNeed {
        need: Need {
            id: id.into(),
            description: description.into(),
            status,
            ..Default::default()
        },
    }
}

/// The care-plan ops of a plan (the patient's MRN left out).
fn plan_ops(plan: &ImportPlan, chosen: &[usize]) -> Vec<Op> {
    plan.ops(chosen)
        .into_iter()
        .filter(|op| !matches!(op, Op::AddIdentifier { .. }))
        .collect()
}

fn status_of<'a>(plan: &'a ImportPlan, section: &str) -> &'a ItemStatus {
    &plan
        .items
        .iter()
        .find(|i| i.section == section)
        .expect("the section is planned")
        .status
}

#[test]
fn a_goal_links_to_the_need_the_chart_will_have() {
    let incoming = || {
        parse_bundle(&bundle(vec![
            tend_need("n1", "Needs transport to dialysis"),
            tend_goal("g1", "n1"),
        ]))
        .expect("reads")
        .patients
        .remove(0)
    };

    // The chart has the same need under another id: the goal links to it.
    let chart = record_with(vec![need_op(
        "chart-need",
        "Needs transport to dialysis",
        NeedStatus::Identified,
    )]);
    let plan = plan_import(&incoming(), Some(&chart));
    assert_eq!(status_of(&plan, "Need"), &ItemStatus::AlreadyRecorded);
    let ops = plan_ops(&plan, &[]);
    assert!(
        matches!(&ops[..], [Op::AddGoal { goal }] if goal.need_id == "chart-need"),
        "{ops:?}"
    );

    // A possible duplicate (another status): the goal goes with whichever is kept.
    let chart = record_with(vec![need_op(
        "chart-need",
        "Needs transport to dialysis",
        NeedStatus::InProgress,
    )]);
    let plan = plan_import(&incoming(), Some(&chart));
    let dup = plan.duplicate_indices();
    assert_eq!(dup.len(), 1);
    assert!(matches!(
        &plan_ops(&plan, &[])[..],
        [Op::AddGoal { goal }] if goal.need_id == "chart-need"
    ));
    assert!(matches!(
        &plan_ops(&plan, &dup)[..],
        [Op::AddNeed { need }, Op::AddGoal { goal }] if goal.need_id == need.id && need.id == "n1"
    ));

    // The chart once had this very need, removed since: it is new again, under a fresh id (the
    // removed one's is taken), and the goal follows it.
    let mut doc = PatientDoc::create(
        &PatientId::random(),
        PersonName {
            given: "Lan".into(),
            family: "Nguyen".into(),
        },
        &author(),
        1,
    )
    .expect("create");
    doc.apply_all(
        vec![
            need_op("n1", "Needs transport to dialysis", NeedStatus::Identified),
            Op::Retire {
                list: tend_core::ItemList::Needs,
                id: "n1".into(),
                reason: RetireReason::EnteredInError,
                note: String::new(),
            },
        ],
        &author(),
        1,
    )
    .expect("setup");
    let chart = doc.record().expect("record");
    let plan = plan_import(&incoming(), Some(&chart));
    assert_eq!(status_of(&plan, "Need"), &ItemStatus::New);
    assert_eq!(status_of(&plan, "Goal"), &ItemStatus::New);
    let ops = plan_ops(&plan, &[]);
    let [Op::AddNeed { need }, Op::AddGoal { goal }] = &ops[..] else {
        panic!("{ops:?}");
    };
    assert_ne!(need.id, "n1");
    assert_eq!(goal.need_id, need.id);
    doc.apply_all(ops, &author(), 2).expect("applies");
}

#[test]
fn labels_read_as_the_chart_does() {
    let (c, _) = read(vec![
        json!({"resourceType": "Encounter", "status": "in-progress",
               "class": {"system": V3, "code": "IMP"}, "subject": subject(),
               "period": {"start": "2026-11-20"}, "serviceProvider": {"display": "Mercy General"}}),
        json!({"resourceType": "AllergyIntolerance", "patient": subject(),
               "code": {"text": "Latex"}, "criticality": "high",
               "reaction": [{"manifestation": [{"text": "Anaphylaxis"}], "severity": "severe"}]}),
    ]);
    let incoming = IncomingPatient {
        fhir_id: String::new(),
        name: PersonName::default(),
        mrns: Vec::new(),
        tend_id: None,
        content: c,
    };
    let plan = plan_import(&incoming, None);
    let labels: Vec<&str> = plan.items.iter().map(|i| i.label.as_str()).collect();
    assert!(labels.contains(&"Hospital stay: Mercy General, from 2026-11-20"));
    assert!(labels.contains(&"Latex — Anaphylaxis, life threatening"));
}

#[test]
fn a_new_patients_plan_applies_whatever_it_holds() {
    let b = parse_bundle(include_str!("../../tests/fixtures/tend_sample.json")).expect("reads");
    let plan = plan_import(&b.patients[0], None);
    let r = applied(&plan);
    assert_eq!(r.programs.len(), 1);
    assert_eq!(r.programs[0].status_changes.len(), 3);
    assert_eq!(r.programs[0].status_changes[1].recorded.user_id, "u1");
}
