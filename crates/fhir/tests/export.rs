//! The export of a record with every section filled follows docs/fhir.md: one resource per active
//! item with the values the mapping names, nothing retired, references that resolve, no empty
//! values, a Provenance per item resource. (Validity against an independent FHIR library is
//! tests/validate.rs.)

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use common::{full_record, id};
use serde_json::{json, Value};
use tend_fhir::codes;
use tend_fhir::export::file_name;
use tend_fhir::{export_bundle, ExportContext};

/// The full record's Bundle, also written to the temp directory for validating by hand
/// (`scripts/validate_fhir.py $TMPDIR/tend-full-record.fhir.json`).
fn bundle() -> Value {
    let bundle = export_bundle(&[full_record()], &common::ctx());
    let file = std::env::temp_dir().join("tend-full-record.fhir.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&bundle).expect("json")).expect("write");
    bundle
}

fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .collect()
}

fn of_type<'b>(bundle: &'b Value, rtype: &str) -> Vec<&'b Value> {
    resources(bundle)
        .into_iter()
        .filter(|r| r["resourceType"] == rtype)
        .collect()
}

/// The resource of type `rtype` carrying Tend item `name`'s id.
fn item<'b>(bundle: &'b Value, rtype: &str, name: &str) -> &'b Value {
    let want = id(name);
    of_type(bundle, rtype)
        .into_iter()
        .find(|r| {
            let ids = match &r["identifier"] {
                Value::Array(list) => list.iter().collect::<Vec<_>>(),
                one => vec![one],
            };
            ids.iter()
                .any(|i| i["system"] == codes::TEND_ITEM && i["value"] == want.as_str())
        })
        .unwrap_or_else(|| panic!("no {rtype} for {name}"))
}

fn by_url<'r>(node: &'r Value, url: &str) -> Option<&'r Value> {
    node["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == url)
}

fn ext<'r>(node: &'r Value, name: &str) -> &'r Value {
    by_url(node, &codes::tend_ext(name)).unwrap_or_else(|| panic!("no extension {name}"))
}

fn tag(r: &Value) -> &str {
    r["meta"]["tag"][0]["code"].as_str().unwrap_or_default()
}

fn urn(name: &str) -> String {
    format!("urn:uuid:{}", id(name))
}

#[test]
fn the_bundle_is_a_collection_of_unique_entries_whose_references_resolve() {
    let b = bundle();
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "collection");
    assert_eq!(b["timestamp"], "2026-11-30T00:53:20Z");
    assert_eq!(
        b["identifier"],
        json!({"system": "urn:tend:export", "value": "5b0c2a34-61f5-4f57-9a7c-0b8d3c0e2f11"})
    );
    let entries = b["entry"].as_array().expect("entries");
    let urls: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["fullUrl"].as_str().expect("fullUrl"))
        .collect();
    assert_eq!(urls.len(), entries.len(), "fullUrls are unique");
    for e in entries {
        let id = e["resource"]["id"].as_str().expect("id");
        assert_eq!(e["fullUrl"], format!("urn:uuid:{id}"));
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id} is a UUID");
    }
    let mut refs = Vec::new();
    walk(&b, &mut |key, v| {
        if key == "reference" {
            refs.push(v.as_str().expect("reference").to_string());
        }
    });
    assert!(refs.len() > 50);
    for r in refs {
        assert!(urls.contains(r.as_str()), "{r} resolves");
    }
}

/// What FHIR forbids (ele-1): null, a blank string, an empty list or object.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[test]
fn nothing_is_empty_or_null() {
    walk(&bundle(), &mut |key, v| {
        assert!(!is_empty(v), "{key} is empty: {v}");
    });
}

#[test]
fn retired_items_are_not_exported() {
    let b = bundle();
    let text = b.to_string();
    for name in [
        "phone-old",
        "id-wrong",
        "cond-wrong",
        "allergy-wrong",
        "med-wrong",
        "sdoh-wrong",
        "phq2-wrong",
        "need-wrong",
        "goal-wrong",
    ] {
        assert!(!text.contains(&id(name)), "{name} is retired");
    }
    for gone in [
        "+1 217 555 0199",
        "Z99999",
        "Breast cancer",
        "Warfarin",
        "Shellfish",
    ] {
        assert!(!text.contains(gone), "{gone} is retired");
    }
}

#[test]
fn the_patient_has_demographics_identifiers_telecom_and_caregivers() {
    let b = bundle();
    let p = of_type(&b, "Patient")[0];
    assert_eq!(p["id"], common::PATIENT_ID);
    assert_eq!(
        p["name"],
        json!([{"use": "official", "family": "Díaz", "given": ["Rosa"]}])
    );
    assert_eq!(p["gender"], "female");
    assert_eq!(p["birthDate"], "1948-03-14");
    assert_eq!(
        by_url(p, codes::US_CORE_BIRTHSEX).expect("birthsex")["valueCode"],
        "F"
    );
    assert_eq!(ext(p, "gender-identity")["valueString"], "woman");
    assert_eq!(ext(p, "pronouns")["valueString"], "she/her");
    assert_eq!(ext(p, "interpreter-needed")["valueBoolean"], true);
    assert_eq!(ext(p, "code-status")["valueCode"], "dnr_dni");
    let ids = p["identifier"].as_array().expect("identifiers");
    assert_eq!(
        ids[0],
        json!({"system": "urn:tend:patient", "value": common::PATIENT_ID})
    );
    let mrn = ids
        .iter()
        .find(|i| i["value"] == "A12345")
        .expect("the MRN");
    assert_eq!(mrn["system"], "urn:tend:identifier:mrn");
    assert_eq!(mrn["type"]["coding"][0]["code"], "MR");
    assert_eq!(mrn["type"]["coding"][0]["system"], codes::V2_0203);
    assert_eq!(mrn["assigner"]["display"], "Springfield Memorial Hospital");
    let mbi = ids
        .iter()
        .find(|i| i["value"] == "1EG4TE5MK73")
        .expect("MBI");
    assert_eq!(mbi["system"], codes::MEDICARE_MBI);
    assert_eq!(mbi["type"]["coding"][0]["code"], "MC");
    let medicaid = ids
        .iter()
        .find(|i| i["value"] == "IL-998877")
        .expect("Medicaid");
    assert_eq!(medicaid["type"]["coding"][0]["code"], "MA");
    assert_eq!(ids.len(), 5, "patient id + 4 active identifiers");
    let telecom = p["telecom"].as_array().expect("telecom");
    assert_eq!(
        telecom[0],
        json!({"system": "email", "value": "rosa.diaz@example.org"})
    );
    assert_eq!(
        telecom[1],
        json!({"system": "phone", "value": "+1 217 555 0100", "use": "mobile", "rank": 1})
    );
    assert_eq!(telecom[2]["use"], "home");
    assert!(telecom[3].get("use").is_none());
    assert_eq!(ext(&telecom[3], "label")["valueString"], "neighbour");
    assert_eq!(telecom.len(), 4);
    assert_eq!(
        p["address"][0],
        json!({"line": ["12 Elm St", "Apt 3"], "city": "Springfield", "state": "IL",
               "postalCode": "62701", "country": "US"})
    );
    assert_eq!(
        p["communication"][0],
        json!({"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es",
               "display": "Spanish"}], "text": "Spanish"}, "preferred": true})
    );
    let contacts = p["contact"].as_array().expect("contacts");
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["name"]["text"], "Luis Díaz");
    assert_eq!(contacts[0]["relationship"][0]["text"], "son");
    assert_eq!(
        contacts[0]["telecom"],
        json!([{"system": "phone", "value": "+1 217 555 0110"}])
    );
    assert_eq!(ext(&contacts[0], "primary")["valueBoolean"], true);
    assert_eq!(ext(&contacts[0], "may-share-info")["valueBoolean"], true);
    assert!(contacts[1].get("telecom").is_none());
    assert_eq!(ext(&contacts[1], "may-share-info")["valueBoolean"], false);
}

#[test]
fn problems_needs_and_social_needs_are_conditions() {
    let b = bundle();
    let dm = item(&b, "Condition", "cond-diabetes");
    assert_eq!(tag(dm), "problem");
    assert_eq!(
        dm["code"]["coding"][0],
        json!({"system": codes::ICD10CM, "code": "E11.9",
               "display": "Type 2 diabetes mellitus without complications"})
    );
    assert_eq!(dm["clinicalStatus"]["coding"][0]["code"], "active");
    assert_eq!(ext(dm, "status")["valueCode"], "controlled");
    assert_eq!(ext(dm, "chronic")["valueBoolean"], true);
    assert_eq!(dm["category"][0]["coding"][0]["code"], "problem-list-item");
    assert_eq!(dm["verificationStatus"]["coding"][0]["code"], "confirmed");
    assert_eq!(dm["onsetDateTime"], "2012-05-01");
    assert!(dm["recordedDate"]
        .as_str()
        .expect("recorded")
        .ends_with('Z'));
    let htn = item(&b, "Condition", "cond-htn");
    assert_eq!(htn["code"]["coding"][0]["system"], codes::SNOMED);
    let pneumonia = item(&b, "Condition", "cond-pneumonia");
    assert_eq!(pneumonia["clinicalStatus"]["coding"][0]["code"], "resolved");
    assert!(by_url(pneumonia, &codes::tend_ext("status")).is_none());
    let knee = item(&b, "Condition", "cond-knee");
    assert_eq!(knee["code"], json!({"text": "Knee pain"}));

    let need = item(&b, "Condition", "need-diabetes");
    assert_eq!(tag(need), "need");
    assert_eq!(need["code"]["text"], "Diabetes control");
    assert_eq!(
        need["category"][0]["coding"][0],
        json!({"system": codes::US_CORE_CONDITION_CATEGORY, "code": "health-concern",
               "display": "Health Concern"})
    );
    assert_eq!(need["clinicalStatus"]["coding"][0]["code"], "active");
    assert_eq!(ext(need, "status")["valueCode"], "in_progress");
    assert_eq!(ext(need, "domain")["valueString"], "medical");
    let met = item(&b, "Condition", "need-transport");
    assert_eq!(met["clinicalStatus"]["coding"][0]["code"], "resolved");

    let ride = item(&b, "Condition", "sdoh-transport");
    assert_eq!(tag(ride), "social_need");
    assert_eq!(ride["category"][1]["coding"][0]["code"], "sdoh");
    assert_eq!(
        ride["code"]["coding"][0]["system"],
        "urn:tend:code:sdoh-domain"
    );
    assert_eq!(
        ride["code"]["coding"][0]["code"],
        "transportation_insecurity"
    );
    assert_eq!(ride["code"]["text"], "No ride to dialysis evaluation");
    assert_eq!(ride["onsetDateTime"], "2026-11-03");
    assert_eq!(ext(ride, "status")["valueCode"], "in_progress");
    let food = item(&b, "Condition", "sdoh-food");
    assert_eq!(food["code"]["text"], "Food insecurity");
    assert_eq!(food["clinicalStatus"]["coding"][0]["code"], "resolved");
}

#[test]
fn allergies_keep_status_severity_and_reaction() {
    let b = bundle();
    let peanut = item(&b, "AllergyIntolerance", "allergy-peanut");
    assert_eq!(peanut["code"]["text"], "Peanuts");
    assert_eq!(peanut["criticality"], "high");
    assert_eq!(
        peanut["reaction"],
        json!([{"manifestation": [{"text": "Anaphylaxis"}], "severity": "severe"}])
    );
    assert_eq!(ext(peanut, "severity")["valueCode"], "life_threatening");
    assert_eq!(peanut["clinicalStatus"]["coding"][0]["code"], "active");
    let sulfa = item(&b, "AllergyIntolerance", "allergy-sulfa");
    assert!(sulfa.get("clinicalStatus").is_none());
    assert_eq!(sulfa["verificationStatus"]["coding"][0]["code"], "refuted");
    assert!(sulfa.get("reaction").is_none());
    let latex = item(&b, "AllergyIntolerance", "allergy-latex");
    assert_eq!(latex["clinicalStatus"]["coding"][0]["code"], "inactive");
    assert_eq!(
        latex["verificationStatus"]["coding"][0]["code"],
        "confirmed"
    );
}

#[test]
fn medications_carry_their_status_and_structured_schedule() {
    let b = bundle();
    let metformin = item(&b, "MedicationStatement", "med-metformin");
    assert_eq!(metformin["status"], "active");
    assert_eq!(metformin["medicationCodeableConcept"]["text"], "Metformin");
    assert_eq!(metformin["informationSource"]["display"], "Dr. Priya Patel");
    assert_eq!(metformin["reasonCode"][0]["text"], "Type 2 diabetes");
    assert_eq!(metformin["dateAsserted"], "2026-12-02");
    assert_eq!(
        metformin["effectivePeriod"],
        json!({"start": "2026-01-10", "end": "2027-01-10"})
    );
    let dosage = &metformin["dosage"][0];
    assert_eq!(dosage["text"], "500 mg oral twice daily");
    assert_eq!(dosage["route"]["text"], "oral");
    assert_eq!(dosage["timing"]["repeat"]["when"], json!(["MORN", "EVE"]));
    assert_eq!(dosage["additionalInstruction"][0]["text"], "with food");
    assert_eq!(ext(dosage, "dose")["valueString"], "500 mg");
    assert_eq!(ext(dosage, "frequency")["valueString"], "twice daily");
    assert!(dosage.get("asNeededBoolean").is_none());

    let prn = &item(&b, "MedicationStatement", "med-acetaminophen")["dosage"][0];
    assert_eq!(prn["asNeededCodeableConcept"]["text"], "for knee pain");
    assert_eq!(
        prn["maxDosePerPeriod"],
        json!({"numerator": {"value": 4},
               "denominator": {"value": 1, "unit": "d", "system": codes::UCUM, "code": "d"}})
    );
    let furosemide = &item(&b, "MedicationStatement", "med-furosemide")["dosage"][0];
    assert_eq!(
        furosemide["timing"]["repeat"],
        json!({"timeOfDay": ["08:00:00"]})
    );
    assert_eq!(
        furosemide["additionalInstruction"][0]["text"],
        "without food"
    );

    let stopped = item(&b, "MedicationStatement", "med-lisinopril");
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(
        stopped["statusReason"][0]["text"],
        "Stopped by cardiology: low blood pressure"
    );
    assert_eq!(ext(stopped, "status-since")["valueDate"], "2026-10-02");
}

#[test]
fn stays_transitions_and_visits_are_tagged_encounters() {
    let b = bundle();
    let stay = item(&b, "Encounter", "hosp-chf");
    assert_eq!(tag(stay), "hospitalization");
    assert_eq!(stay["status"], "finished");
    assert_eq!(
        stay["class"],
        json!({"system": codes::V3_ACT_CODE, "code": "IMP", "display": "inpatient encounter"})
    );
    assert_eq!(
        stay["period"],
        json!({"start": "2026-06-10", "end": "2026-06-14"})
    );
    assert_eq!(stay["reasonCode"][0]["text"], "Heart failure exacerbation");
    assert_eq!(
        stay["serviceProvider"]["display"],
        "Springfield Memorial Hospital"
    );
    assert_eq!(item(&b, "Encounter", "hosp-ed")["class"]["code"], "EMER");

    let t = item(&b, "Encounter", "tr-stay");
    assert_eq!(tag(t), "transition");
    assert_eq!(t["class"]["code"], "IMP");
    assert_eq!(t["status"], "finished");
    assert_eq!(t["hospitalization"]["dischargeDisposition"]["text"], "home");
    assert_eq!(ext(t, "setting")["valueCode"], "inpatient");
    assert_eq!(ext(t, "status")["valueCode"], "discharged");
    assert_eq!(ext(t, "emergent")["valueBoolean"], true);
    let ed = item(&b, "Encounter", "tr-ed");
    assert_eq!(ed["class"]["code"], "EMER");

    let home = item(&b, "Encounter", "enc-home");
    assert_eq!(tag(home), "visit");
    assert_eq!(home["status"], "finished");
    assert_eq!(home["class"]["code"], "HH");
    assert_eq!(
        home["type"][0]["coding"][0]["system"],
        "urn:tend:code:encounter-kind"
    );
    assert_eq!(home["type"][0]["coding"][0]["code"], "home_visit");
    assert_eq!(home["period"], json!({"start": "2026-11-21"}));
    assert_eq!(home["reasonCode"][0]["text"], "Monthly CCM visit");
    assert_eq!(
        ext(home, "note")["valueString"],
        "Weight stable at 71 kg. Reviewed pill box with son."
    );
    assert_eq!(ext(home, "signed-by")["valueString"], "Ana Reyes");
    assert!(ext(home, "signed-at")["valueDateTime"]
        .as_str()
        .expect("signed at")
        .ends_with('Z'));
    let call = item(&b, "Encounter", "enc-call");
    assert_eq!(call["class"]["code"], "VR");
    assert!(by_url(call, &codes::tend_ext("signed-by")).is_none());
}

#[test]
fn tcm_steps_are_computed_tasks_on_the_transition() {
    let b = bundle();
    let steps: Vec<&Value> = of_type(&b, "Task")
        .into_iter()
        .filter(|t| tag(t) == "tcm_step")
        .collect();
    assert_eq!(
        steps.len(),
        3,
        "one discharge home; the ED visit starts no TCM"
    );
    let step = |label: &str| {
        *steps
            .iter()
            .find(|t| t["code"]["text"] == label)
            .unwrap_or_else(|| panic!("step {label}"))
    };
    let contact = step("Interactive contact");
    assert_eq!(contact["status"], "completed");
    assert_eq!(contact["intent"], "plan");
    assert_eq!(contact["focus"]["reference"], urn("tr-stay"));
    assert_eq!(contact["restriction"]["period"]["end"], "2026-12-03");
    let visit = step("Face-to-face visit");
    assert_eq!(visit["status"], "requested");
    assert_eq!(visit["restriction"]["period"]["end"], "2026-12-08");
    assert_eq!(step("Medication reconciliation")["status"], "requested");
    // A day after the 30-day service period, only the done step is left.
    let later = ExportContext {
        today: NaiveDate::from_ymd_opt(2027, 1, 15).expect("date"),
        ..common::ctx()
    };
    let b = export_bundle(&[full_record()], &later);
    let left: Vec<&Value> = of_type(&b, "Task")
        .into_iter()
        .filter(|t| tag(t) == "tcm_step")
        .collect();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["status"], "completed");
}

#[test]
fn follow_ups_are_tasks_with_due_dates_and_outcomes() {
    let b = bundle();
    let call = item(&b, "Task", "fu-call");
    assert_eq!(tag(call), "follow_up");
    assert_eq!(call["status"], "requested");
    assert_eq!(call["intent"], "plan");
    assert_eq!(
        call["code"]["coding"][0],
        json!({"system": "urn:tend:code:follow-up-kind", "code": "call"})
    );
    assert_eq!(call["description"], "Check weight and swelling");
    assert_eq!(call["restriction"]["period"]["end"], "2026-12-10");
    assert_eq!(
        call["for"]["reference"],
        format!("urn:uuid:{}", common::PATIENT_ID)
    );
    let done = item(&b, "Task", "fu-visit");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["executionPeriod"]["end"], "2026-11-21");
    assert_eq!(done["note"][0]["text"], "Doing well; weight stable");
    assert_eq!(
        ext(done, "symptom-review")["valueString"],
        "No shortness of breath; mild ankle swelling"
    );
    assert_eq!(item(&b, "Task", "fu-missed")["status"], "failed");
}

#[test]
fn instrument_results_are_an_observation_and_a_questionnaire_response() {
    let record = full_record();
    let phq9 = record
        .assessments
        .responses
        .iter()
        .find(|r| r.instrument == "phq9")
        .expect("PHQ-9");
    let total = phq9.total.expect("total");
    let b = bundle();
    let obs = item(&b, "Observation", "phq9");
    assert_eq!(obs["id"], id("phq9"));
    assert_eq!(obs["status"], "final");
    assert_eq!(obs["category"][0]["coding"][0]["code"], "survey");
    assert_eq!(obs["code"]["coding"][0]["system"], codes::LOINC);
    assert_eq!(obs["code"]["coding"][0]["code"], "44261-6");
    assert_eq!(obs["valueInteger"], total);
    assert_eq!(obs["effectiveDateTime"], "2026-12-02");
    assert_eq!(obs["performer"], json!([{"display": "Ben Okafor, RN"}]));
    let qr_url = obs["derivedFrom"][0]["reference"]
        .as_str()
        .expect("derivedFrom");
    let qr = item(&b, "QuestionnaireResponse", "phq9");
    assert_eq!(
        qr_url,
        format!("urn:uuid:{}", qr["id"].as_str().expect("id"))
    );
    assert_eq!(
        qr["id"],
        codes::derived_id(&id("phq9"), "QuestionnaireResponse")
    );
    assert_eq!(
        qr["identifier"]["value"],
        id("phq9"),
        "one Identifier, not a list"
    );
    assert_eq!(qr["status"], "completed");
    assert_eq!(qr["questionnaire"], "urn:tend:questionnaire:phq9");
    assert_eq!(qr["authored"], "2026-12-02");
    let items = qr["item"].as_array().expect("items");
    assert_eq!(items.len(), 9);
    let item9 = items
        .iter()
        .find(|i| i["linkId"] == "phq9_9")
        .expect("item 9");
    assert_eq!(item9["answer"], json!([{"valueInteger": 1}]));

    let gad7 = item(&b, "Observation", "gad7");
    assert_eq!(gad7["code"]["coding"][0]["code"], "70274-6");
    let katz = item(&b, "Observation", "katz");
    assert_eq!(
        katz["code"]["coding"][0],
        json!({"system": "urn:tend:instrument", "code": "katz_adl",
               "display": "Katz Index of Independence in Activities of Daily Living"})
    );
    // The PHQ-9 is the first Observation (tests/validate.rs breaks the first one's LOINC code).
    assert_eq!(of_type(&b, "Observation")[0]["id"], id("phq9"));
}

#[test]
fn goals_and_the_care_plan_link_needs_goals_and_actions() {
    let b = bundle();
    let goal = item(&b, "Goal", "goal-a1c");
    assert_eq!(goal["lifecycleStatus"], "active");
    assert_eq!(
        goal["achievementStatus"]["coding"][0]["code"],
        "in-progress"
    );
    assert_eq!(
        goal["description"],
        json!({"text": "Bring blood sugar under control"})
    );
    assert_eq!(
        goal["target"],
        json!([{"measure": {"text": "HbA1c"}, "detailString": "< 8%", "dueDate": "2027-03-01"}])
    );
    assert_eq!(
        goal["addresses"],
        json!([{"reference": urn("need-diabetes")}])
    );
    assert_eq!(ext(goal, "status")["valueCode"], "active");
    let achieved = item(&b, "Goal", "goal-rides");
    assert_eq!(achieved["lifecycleStatus"], "completed");
    assert_eq!(
        achieved["achievementStatus"]["coding"][0]["code"],
        "achieved"
    );

    let plans = of_type(&b, "CarePlan");
    assert_eq!(plans.len(), 1);
    let plan = plans[0];
    assert_eq!(
        plan["id"],
        codes::derived_id(common::PATIENT_ID, "CarePlan")
    );
    assert_eq!(plan["status"], "active");
    assert_eq!(plan["intent"], "plan");
    assert_eq!(plan["category"][0]["coding"][0]["code"], "assess-plan");
    let div = plan["text"]["div"].as_str().expect("div");
    assert!(div.starts_with(r#"<div xmlns="http://www.w3.org/1999/xhtml">"#));
    assert!(div.contains("Stay at home; keep out of hospital."));
    assert!(div.contains("Calls in the morning, in Spanish"));
    assert!(div.contains("Diabetes control"));
    assert_eq!(plan["text"]["status"], "generated");
    assert_eq!(
        plan["goal"],
        json!([{"reference": urn("goal-a1c")}, {"reference": urn("goal-rides")}])
    );
    let addresses: Vec<&str> = plan["addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .map(|r| r["reference"].as_str().expect("reference"))
        .collect();
    assert!(
        addresses.contains(&urn("cond-diabetes").as_str()),
        "controlled is active"
    );
    assert!(
        !addresses.contains(&urn("cond-pneumonia").as_str()),
        "resolved is not"
    );
    let activities = plan["activity"].as_array().expect("activities");
    assert_eq!(activities.len(), 3);
    let glucose = &activities[0];
    assert_eq!(ext(glucose, "item")["valueString"], id("action-glucose"));
    assert_eq!(ext(glucose, "responsible")["valueCode"], "patient");
    assert_eq!(
        glucose["detail"],
        json!({
            "status": "in-progress",
            "description": "Check blood sugar before breakfast and log it",
            "scheduledString": "2026-12-31",
            "performer": [{"display": "Patient"}],
            "goal": [{"reference": urn("goal-a1c")}],
        })
    );
    assert_eq!(activities[1]["detail"]["status"], "not-started");
    assert_eq!(activities[2]["detail"]["status"], "completed");
}

#[test]
fn referrals_coverage_programs_and_consent() {
    let b = bundle();
    let cardio = item(&b, "ServiceRequest", "ref-cardio");
    assert_eq!(cardio["status"], "active");
    assert_eq!(cardio["intent"], "order");
    assert_eq!(cardio["priority"], "urgent");
    assert_eq!(cardio["category"][0]["coding"][0]["code"], "specialist");
    assert_eq!(cardio["code"]["text"], "Specialist");
    assert_eq!(
        cardio["performer"][0]["display"],
        "Springfield Heart Center"
    );
    assert_eq!(cardio["authoredOn"], "2026-12-02");
    assert_eq!(cardio["occurrenceDateTime"], "2026-12-09");
    assert_eq!(ext(cardio, "status")["valueCode"], "scheduled");
    let rides = item(&b, "ServiceRequest", "ref-rides");
    assert_eq!(rides["status"], "completed");
    assert_eq!(
        rides["note"][0]["text"],
        "Enrolled; rides booked for every cardiology visit"
    );

    let primary = item(&b, "Coverage", "cov-ma");
    assert_eq!(primary["status"], "active");
    assert_eq!(primary["order"], 1);
    assert_eq!(
        primary["payor"],
        json!([{"display": "Humana Medicare Advantage"}])
    );
    assert_eq!(primary["subscriberId"], "H1234-5678");
    assert_eq!(primary["class"][0]["type"]["coding"][0]["code"], "group");
    assert_eq!(primary["class"][0]["value"], "GRP-42");
    assert_eq!(primary["class"][1]["value"], "Gold Plus HMO");
    assert_eq!(
        primary["beneficiary"]["reference"],
        format!("urn:uuid:{}", common::PATIENT_ID)
    );
    let medicaid = item(&b, "Coverage", "cov-medicaid");
    assert_eq!(medicaid["order"], 2);
    assert!(medicaid.get("class").is_none());
    assert_eq!(
        medicaid["period"],
        json!({"start": "2025-07-01", "end": "2027-06-30"})
    );

    let ccm = item(&b, "EpisodeOfCare", "prog-ccm");
    assert_eq!(ccm["status"], "active");
    assert_eq!(ccm["type"][0]["coding"][0]["code"], "ccm");
    assert_eq!(ccm["period"], json!({"start": "2026-01-05"}));
    assert_eq!(
        ccm["statusHistory"],
        json!([
            {"status": "onhold", "period": {"start": "2026-09-01", "end": "2026-09-20"}},
            {"status": "active", "period": {"start": "2026-09-20"}},
        ])
    );
    let episode = item(&b, "EpisodeOfCare", "prog-episode");
    assert_eq!(episode["status"], "finished");
    assert_eq!(
        ext(episode, "reason")["valueString"],
        "Fall at home, new walker needed"
    );
    assert_eq!(
        ext(episode, "end-reason")["valueString"],
        "Walker delivered; goals met"
    );
    assert_eq!(episode["period"]["end"], "2026-07-30");

    let consent = item(&b, "Consent", "prog-ccm");
    assert_eq!(consent["id"], codes::derived_id(&id("prog-ccm"), "Consent"));
    assert_eq!(consent["status"], "active");
    assert_eq!(consent["scope"]["coding"][0]["code"], "treatment");
    assert_eq!(consent["category"][0]["coding"][0]["code"], "59284-0");
    assert_eq!(consent["policyRule"]["coding"][0]["code"], "OPTIN");
    assert_eq!(consent["dateTime"], "2026-01-05");
    assert_eq!(consent["performer"], json!([{"display": "Ana Reyes"}]));
    assert_eq!(ext(consent, "method")["valueCode"], "verbal");
    assert_eq!(ext(consent, "program")["valueString"], id("prog-ccm"));
    assert_eq!(
        ext(consent, "note")["valueString"],
        "Patient agreed by phone; cost sharing explained."
    );
    assert_eq!(of_type(&b, "Consent").len(), 2);
}

#[test]
fn the_care_team_names_the_care_manager_from_the_roster() {
    let b = bundle();
    let team = of_type(&b, "CareTeam")[0];
    assert_eq!(
        team["id"],
        codes::derived_id(common::PATIENT_ID, "CareTeam")
    );
    assert_eq!(team["status"], "active");
    let p = team["participant"].as_array().expect("participants");
    assert_eq!(
        p[0],
        json!({"role": [{"text": "Care manager"}], "member": {"display": "Ana Reyes"}})
    );
    assert_eq!(
        p[1],
        json!({"role": [{"text": "Social worker"}], "member": {"display": "Sam Ortiz"}})
    );
    assert_eq!(p[2]["member"]["display"], "Dr. Priya Patel");
    assert_eq!(p[2]["role"][0]["text"], "Primary care provider");
    assert_eq!(p[2]["onBehalfOf"]["display"], "Springfield Family Medicine");
    assert_eq!(p.len(), 4);
    // Not on the roster: the role stands in for the name; the id is not shown.
    let unknown = ExportContext {
        people: Default::default(),
        ..common::ctx()
    };
    let b = export_bundle(&[full_record()], &unknown);
    let team = of_type(&b, "CareTeam")[0];
    assert_eq!(team["participant"][0]["member"]["display"], "Care manager");
    assert!(!team.to_string().contains("cm-1"));
}

#[test]
fn every_item_resource_has_a_provenance_naming_author_and_device() {
    let b = bundle();
    let provenance = of_type(&b, "Provenance");
    let targets: BTreeSet<&str> = provenance
        .iter()
        .map(|p| p["target"][0]["reference"].as_str().expect("target"))
        .collect();
    assert_eq!(targets.len(), provenance.len());
    for r in resources(&b) {
        let rtype = r["resourceType"].as_str().expect("type");
        let computed = tag(r) == "tcm_step";
        let whole_record = matches!(rtype, "Patient" | "CarePlan" | "CareTeam" | "Provenance");
        let url = format!("urn:uuid:{}", r["id"].as_str().expect("id"));
        assert_eq!(
            targets.contains(url.as_str()),
            !computed && !whole_record,
            "{rtype} {url}"
        );
    }
    let qr_id = codes::derived_id(&id("phq9"), "QuestionnaireResponse");
    let p = provenance
        .iter()
        .find(|p| p["target"][0]["reference"] == format!("urn:uuid:{qr_id}"))
        .expect("the PHQ-9 answers' provenance");
    assert_eq!(p["id"], codes::derived_id(&qr_id, "Provenance"));
    assert!(p["recorded"].as_str().expect("recorded").ends_with('Z'));
    assert_eq!(
        p["agent"][0],
        json!({
            "type": {"coding": [{"system": codes::PROVENANCE_PARTICIPANT_TYPE, "code": "author",
                                  "display": "Author"}]},
            "who": {
                "display": "Ben Okafor, RN",
                "identifier": {"system": "urn:tend:user", "value": "rn-2"},
            },
        })
    );
    assert_eq!(p["agent"][1]["type"]["coding"][0]["code"], "enterer");
    assert_eq!(
        p["agent"][1]["who"],
        json!({
            "display": "laptop-3",
            "identifier": {"system": "urn:tend:device", "value": "laptop-3"},
        })
    );
}

#[test]
fn exporting_twice_gives_the_same_bundle_and_a_file_name() {
    let record = full_record();
    assert_eq!(
        export_bundle(std::slice::from_ref(&record), &common::ctx()),
        export_bundle(&[full_record()], &common::ctx())
    );
    assert_eq!(
        file_name(&[record], common::ctx().today),
        "tend-diaz-rosa-2026-12-07.fhir.json"
    );
}

/// Calls `f(key, value)` for every value of `v` (key: the object key or list's key it sits under).
fn walk(v: &Value, f: &mut dyn FnMut(&str, &Value)) {
    fn go(key: &str, v: &Value, f: &mut dyn FnMut(&str, &Value)) {
        f(key, v);
        match v {
            Value::Array(items) => items.iter().for_each(|i| go(key, i, f)),
            Value::Object(fields) => fields.iter().for_each(|(k, x)| go(k, x, f)),
            _ => {}
        }
    }
    go("", v, f);
}

/// A record as another writer (or an old version) might leave it: ids that are not UUIDs, dates
/// that do not parse, blank texts, values this build does not know, stamps naming nobody. The
/// export still has no empty values and every reference resolves (written to the temp directory
/// as `tend-odd-record.fhir.json` for the validator).
#[test]
fn an_odd_record_exports_without_empty_values_or_dangling_references() {
    use tend_core::record::*;
    let bad = || Some(IsoDate("someday".into()));
    let odd = |s: &str| s.to_string();
    let mut r = PatientRecord {
        id: "not-a-uuid".into(),
        name: PersonName {
            given: " Ann ".into(),
            family: String::new(),
        },
        ..Default::default()
    };
    r.profile.sex = "Intersex".into();
    r.profile.date_of_birth = bad();
    r.profile.preferred_language = "Klingon".into();
    r.profile.care_manager = "cm-gone".into();
    r.profile.phones.push(Phone {
        id: "p_1".into(),
        label: "Mobile".into(),
        ..Default::default()
    });
    r.profile.identifiers.push(Identifier {
        id: "i 1".into(),
        system: String::new(),
        value: "123".into(),
        ..Default::default()
    });
    r.profile.team.push(TeamMember {
        id: "t1".into(),
        person_id: "x".into(),
        role: PersonRole::Other(String::new()),
        ..Default::default()
    });
    r.profile.coverages.push(Coverage {
        id: "cov_1".into(),
        rank: CoverageRank::Other(odd("quaternary")),
        effective_from: bad(),
        ..Default::default()
    });
    r.support.caregivers.push(Caregiver {
        id: "cg".into(),
        ..Default::default()
    });
    r.medical.conditions.push(Condition {
        id: "c_1".into(),
        code: "e119".into(),
        code_system: "icd10cm".into(),
        status: ConditionStatus::Other(odd("in remission")),
        onset: bad(),
        ..Default::default()
    });
    r.medical.allergies.push(Allergy {
        id: "a_1".into(),
        severity: AllergySeverity::LifeThreatening,
        status: AllergyStatus::Other(odd("suspected")),
        ..Default::default()
    });
    r.medical.medications.push(Medication {
        id: "m_1".into(),
        status: MedicationStatus::Other(odd("paused")),
        schedule: MedicationSchedule {
            times: vec!["morning".into(), "08:00".into(), "whenever".into()],
            as_needed: true,
            max_per_day: Some(2),
            start_on: bad(),
            ..Default::default()
        },
        ..Default::default()
    });
    r.medical.hospitalizations.push(Hospitalization {
        id: "h_1".into(),
        ..Default::default()
    });
    r.transitions.push(Transition {
        id: "tr_1".into(),
        admitted_on: bad(),
        setting: CareSetting::Other(odd("hotel")),
        ..Default::default()
    });
    r.encounters.push(Encounter {
        id: "e_1".into(),
        kind: EncounterKind::Other(odd("carrier pigeon")),
        date: IsoDate("yesterday".into()),
        signed: Some(Stamp::default()),
        ..Default::default()
    });
    r.follow_ups.push(FollowUp {
        id: "f_1".into(),
        status: FollowUpStatus::Other(odd("snoozed")),
        due: IsoDate(String::new()),
        ..Default::default()
    });
    r.assessments.responses.push(InstrumentResponse {
        id: "r_1".into(),
        instrument: "mystery".into(),
        answers: vec![
            Answer {
                item: String::new(),
                value: 1,
            },
            Answer {
                item: "q1".into(),
                value: 2,
            },
        ],
        date: IsoDate("soon".into()),
        recorded: Stamp {
            at: crate::common::T0,
            ..Default::default()
        },
        ..Default::default()
    });
    r.care_plan.goals.push(Goal {
        id: "g_1".into(),
        need_id: "gone".into(),
        target: "5".into(),
        status: GoalStatus::Other(odd("dreaming")),
        ..Default::default()
    });
    r.care_plan.actions.push(CareAction {
        id: "ac_1".into(),
        goal_id: "gone".into(),
        status: ActionStatus::Other(odd("pondering")),
        responsible: Responsible::Other(odd("neighbour")),
        ..Default::default()
    });
    r.coordination.referrals.push(Referral {
        id: "rf_1".into(),
        kind: ReferralKind::Other(odd("dog_walker")),
        status: ReferralStatus::Other(odd("awaiting_insurer")),
        urgency: ReferralUrgency::Other(odd("whenever")),
        ..Default::default()
    });
    r.programs.push(ProgramEnrollment {
        id: "pr_1".into(),
        program: ProgramKind::Other(odd("rpm")),
        status: ProgramStatus::Other(odd("thinking")),
        consent: Some(Consent {
            date: IsoDate("2026-13-01".into()),
            ..Default::default()
        }),
        status_changes: vec![
            ProgramStatusChange {
                id: "s1".into(),
                date: IsoDate("bad".into()),
                ..Default::default()
            },
            ProgramStatusChange {
                id: "s2".into(),
                status: ProgramStatus::Paused,
                date: IsoDate("2026-05-01".into()),
                ..Default::default()
            },
        ],
        ..Default::default()
    });
    let b = export_bundle(&[r], &crate::common::ctx());
    let file = std::env::temp_dir().join("tend-odd-record.fhir.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&b).expect("json")).expect("write");
    let urls: BTreeSet<String> = b["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["fullUrl"].as_str().expect("fullUrl").to_string())
        .collect();
    walk(&b, &mut |key, v| {
        assert!(!is_empty(v), "{key} is empty: {v}");
        if key == "reference" {
            assert!(
                urls.contains(v.as_str().expect("reference")),
                "{v} resolves"
            );
        }
    });
    for url in &urls {
        let id = url.trim_start_matches("urn:uuid:");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{url}");
    }
    let p = of_type(&b, "Patient")[0];
    assert_eq!(p["gender"], "unknown");
    assert_eq!(
        by_url(p, codes::US_CORE_BIRTHSEX).expect("birthsex")["valueCode"],
        "UNK"
    );
    assert_eq!(p["identifier"][0]["value"], "not-a-uuid");
    assert!(p.get("birthDate").is_none());
    assert_eq!(
        p["communication"][0]["language"],
        json!({"text": "Klingon"})
    );
    assert!(
        p.get("contact").is_none(),
        "a caregiver with no name or phone"
    );
    let c = item_by_raw(&b, "Condition", "c_1");
    assert_eq!(
        c["code"],
        json!({"text": "e119"}),
        "not ICD-10-CM's shape: text only"
    );
    assert_eq!(c["clinicalStatus"]["coding"][0]["code"], "active");
    let a = item_by_raw(&b, "AllergyIntolerance", "a_1");
    assert_eq!(a["criticality"], "high");
    assert!(a.get("reaction").is_none());
    let m = item_by_raw(&b, "MedicationStatement", "m_1");
    assert_eq!(m["status"], "unknown");
    assert_eq!(m["dosage"][0]["asNeededBoolean"], true);
    assert!(m.get("effectivePeriod").is_none());
    let obs = item_by_raw(&b, "Observation", "r_1");
    assert_eq!(obs["code"]["coding"][0]["system"], "urn:tend:instrument");
    assert!(obs["effectiveDateTime"]
        .as_str()
        .expect("effective")
        .ends_with('Z'));
    let e = item_by_raw(&b, "Encounter", "e_1");
    assert!(
        by_url(e, &codes::tend_ext("signed-at")).is_none(),
        "a stamp never set has no time"
    );
    assert!(e.get("period").is_none(), "the day does not parse");
    let qr = item_by_raw(&b, "QuestionnaireResponse", "r_1");
    assert_eq!(qr["item"].as_array().map(Vec::len), Some(1));
    let g = item_by_raw(&b, "Goal", "g_1");
    assert_eq!(g["target"][0]["measure"]["text"], "Goal");
    assert!(g.get("addresses").is_none());
    let ep = item_by_raw(&b, "EpisodeOfCare", "pr_1");
    assert_eq!(ep["statusHistory"].as_array().map(Vec::len), Some(1));
    assert!(of_type(&b, "Provenance").is_empty(), "stamps name nobody");
}

/// The resource of type `rtype` whose `urn:tend:item` identifier is `raw` (an id as stored).
fn item_by_raw<'b>(bundle: &'b Value, rtype: &str, raw: &str) -> &'b Value {
    of_type(bundle, rtype)
        .into_iter()
        .find(|r| {
            let ids = match &r["identifier"] {
                Value::Array(list) => list.iter().collect::<Vec<_>>(),
                one => vec![one],
            };
            ids.iter().any(|i| i["value"] == raw)
        })
        .unwrap_or_else(|| panic!("no {rtype} for {raw}"))
}

/// A Tend file imported as a second patient keeps its item ids: a caseload export of both still
/// has unique fullUrls, and each patient's references stay within that patient.
#[test]
fn two_patients_sharing_item_ids_get_distinct_resource_ids() {
    let first = full_record();
    let mut second = full_record();
    second.id = "2b8e6f0a-5d4c-4e3b-9a1f-7c6d5e4f3a2b".into();
    let b = export_bundle(&[first, second], &common::ctx());
    let entries = b["entry"].as_array().expect("entries");
    let urls: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["fullUrl"].as_str().expect("fullUrl"))
        .collect();
    assert_eq!(urls.len(), entries.len());
    let half = entries.len() / 2;
    assert_eq!(entries[half]["resource"]["resourceType"], "Patient");
    for (i, e) in entries.iter().enumerate() {
        let r = &e["resource"];
        assert_eq!(
            e["fullUrl"],
            format!("urn:uuid:{}", r["id"].as_str().expect("id"))
        );
        let mine: BTreeSet<&str> = entries[if i < half {
            0..half
        } else {
            half..entries.len()
        }]
        .iter()
        .map(|e| e["fullUrl"].as_str().expect("fullUrl"))
        .collect();
        walk(r, &mut |key, v| {
            if key == "reference" {
                assert!(
                    mine.contains(v.as_str().expect("reference")),
                    "{v} in entry {i}"
                );
            }
        });
    }
    // The item ids themselves are kept, for import.
    let conditions = of_type(&b, "Condition");
    let diabetes: Vec<&&Value> = conditions
        .iter()
        .filter(|c| c["identifier"][0]["value"] == id("cond-diabetes"))
        .collect();
    assert_eq!(diabetes.len(), 2);
    assert_ne!(diabetes[0]["id"], diabetes[1]["id"]);
    let file = std::env::temp_dir().join("tend-two-patients.fhir.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&b).expect("json")).expect("write");
}
