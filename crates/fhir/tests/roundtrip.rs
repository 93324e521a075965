//! A patient with every section filled → FHIR export → import into an empty device → the same
//! record, within what FHIR carries (docs/fhir.md lists what it does not; those fields are left out
//! of the comparison here, by name, so a field that silently stops travelling fails this test).

mod common;

use serde_json::Value;
use tend_core::record::PatientRecord;
use tend_core::{PatientDoc, PatientId};
use tend_fhir::{export_bundle, parse_bundle, plan_import};

/// Exports `record`, imports the file into an empty device (as a new patient), returns the copy.
fn round_trip(record: &PatientRecord) -> PatientRecord {
    let text = serde_json::to_string(&export_bundle(std::slice::from_ref(record), &common::ctx()))
        .expect("json");
    let bundle = parse_bundle(&text).expect("our own export parses");
    assert_eq!(bundle.patients.len(), 1);
    let plan = plan_import(&bundle.patients[0], None);
    assert_eq!(plan.duplicate_count(), 0, "nothing to compare with");
    assert_eq!(plan.new_patient_id.as_str(), record.id);
    let importer = tend_core::Author {
        user_id: "importer".into(),
        user_name: "Someone importing".into(),
        device_id: "empty-device".into(),
    };
    let mut doc = PatientDoc::create(
        &PatientId::parse(&record.id).expect("id"),
        plan.name.clone(),
        &importer,
        common::T0 + 2 * 86_400_000,
    )
    .expect("create");
    doc.apply_all(plan.ops(&[]), &importer, common::T0 + 2 * 86_400_000)
        .expect("every planned op applies");
    doc.record().expect("record")
}

/// Fields of every list item that the importing device sets itself: who recorded the item
/// (Provenance is not imported) and retirement (retired items are not exported).
const SET_BY_THE_IMPORTER: &[&str] = &["recorded", "retired"];

/// Fields of particular lists that FHIR does not carry (docs/fhir.md).
const NOT_CARRIED_IN_ITEMS: &[(&[&str], &[&str])] = &[
    // Referral links and history are not mapped.
    (
        &["coordination", "referrals"],
        &[
            "need_id",
            "goal_id",
            "completed_on",
            "status_changes",
            "status_note",
        ],
    ),
    // The TCM work after a stay (attempts, discharge list, LACE parts, decision complexity) is
    // recorded again; its clock is recomputed.
    (
        &["transitions"],
        &[
            "discharge_medications",
            "contact_attempts",
            "lace_overrides",
            "complexity",
            "discharge_summary_received",
        ],
    ),
    (&["care_plan", "goals"], &["progress"]),
    (&["encounters"], &["signed", "addenda"]),
    (&["assessments", "responses"], &["safety_acknowledged"]),
    // Status history arrives as new changes made by the importer (new ids, dated as in the file).
    (&["programs"], &["complex_months", "status_changes"]),
];

/// Record sections FHIR does not carry at all (docs/fhir.md "What FHIR does not carry").
const NOT_CARRIED_SECTIONS: &[&[&str]] = &[
    &["time_log"],
    &["coordination", "authorizations"],
    &["coordination", "education"],
    &["coordination", "advocacy"],
    &["care_plan", "barriers"],
    &["care_plan", "revisions"],
    &["care_plan", "agreements"],
    &["care_plan", "preferences"],
    &["care_plan", "priorities"],
    &["assessments", "safety_assessments"],
    &["assessments", "physical"],
    &["assessments", "emotional"],
    &["assessments", "social"],
    &["functional"],
    &["behavioral"],
    &["support", "lives_alone"],
    &["profile", "handovers"],
    &["profile", "team"],
    &["profile", "care_manager"],
    &["medical", "providers"],
    &["created_at"],
];

/// Lists whose items travel inside another resource (Patient.identifier, .telecom, .contact), where
/// FHIR has no place for Tend's item id: compared by content.
const WITHOUT_ITEM_IDS: &[&[&str]] = &[
    &["profile", "identifiers"],
    &["profile", "phones"],
    &["support", "caregivers"],
];

/// The record as FHIR carries it: active items only, sorted by id, without the fields above.
fn carried(record: &PatientRecord) -> Value {
    let mut v = serde_json::to_value(record).expect("json");
    for path in NOT_CARRIED_SECTIONS {
        let (last, parents) = path.split_last().expect("path");
        let mut node = &mut v;
        for p in parents {
            node = &mut node[*p];
        }
        if let Some(obj) = node.as_object_mut() {
            obj.remove(*last);
        }
    }
    for (path, fields) in NOT_CARRIED_IN_ITEMS {
        let mut node = &mut v;
        for p in *path {
            node = &mut node[*p];
        }
        for item in node.as_array_mut().into_iter().flatten() {
            if let Some(obj) = item.as_object_mut() {
                for field in *fields {
                    obj.remove(*field);
                }
            }
        }
    }
    normalise(&mut v);
    for path in WITHOUT_ITEM_IDS {
        let mut node = &mut v;
        for p in *path {
            node = &mut node[*p];
        }
        if let Some(items) = node.as_array_mut() {
            for item in items.iter_mut() {
                if let Some(obj) = item.as_object_mut() {
                    obj.remove("id");
                }
            }
            items.sort_by_key(Value::to_string);
        }
    }
    v
}

fn normalise(v: &mut Value) {
    match v {
        Value::Array(items) => {
            items.retain(|i| i.get("retired").is_none_or(Value::is_null));
            for i in items.iter_mut() {
                normalise(i);
            }
            items.sort_by_key(|i| i.get("id").map_or_else(|| i.to_string(), Value::to_string));
        }
        Value::Object(map) => {
            if map.contains_key("id") {
                for field in SET_BY_THE_IMPORTER {
                    map.remove(*field);
                }
            }
            for (_, child) in map.iter_mut() {
                normalise(child);
            }
        }
        _ => {}
    }
}

/// The first difference between two JSON values, as a path, for a readable failure.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{path}.{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}:\n  original: {a}\n  imported: {b}")),
    }
}

#[test]
fn every_section_survives_export_and_import_into_an_empty_device() {
    let original = common::full_record();
    let mut copy = round_trip(&original);
    // A signed note arrives unsigned (signing is the act of whoever signs, on their device), with
    // who signed it and when added to its text; nothing else of the note changes.
    for visit in &mut copy.encounters {
        let signed = original
            .encounters
            .iter()
            .find(|e| e.id == visit.id)
            .is_some_and(|e| e.is_signed());
        let text = visit.note.as_str().to_string();
        let marker = text.rfind("\n\n[Signed by ");
        assert_eq!(marker.is_some(), signed, "{text}");
        if let Some(at) = marker {
            assert!(
                text.ends_with("in the record it was imported from.]"),
                "{text}"
            );
            let kept = text[..at].to_string();
            visit.note = tend_core::record::Narrative::new(kept);
        }
    }
    let (a, b) = (carried(&original), carried(&copy));
    if let Some(diff) = first_difference(&a, &b, "record") {
        panic!("the imported record differs at {diff}");
    }
    // The comparison is not vacuous: the sections FHIR carries are filled in.
    for (what, n) in [
        ("conditions", copy.medical.conditions.len()),
        ("allergies", copy.medical.allergies.len()),
        ("medications", copy.medical.medications.len()),
        ("instrument results", copy.assessments.responses.len()),
        ("goals", copy.care_plan.goals.len()),
        ("actions", copy.care_plan.actions.len()),
        ("needs", copy.care_plan.needs.len()),
        ("social needs", copy.social_needs.len()),
        ("referrals", copy.coordination.referrals.len()),
        ("follow-ups", copy.follow_ups.len()),
        ("visits", copy.encounters.len()),
        ("transitions", copy.transitions.len()),
        ("programs", copy.programs.len()),
        ("coverages", copy.profile.coverages.len()),
        ("identifiers", copy.profile.identifiers.len()),
        ("phones", copy.profile.phones.len()),
        ("caregivers", copy.support.caregivers.len()),
    ] {
        assert!(n > 0, "the full record has {what}");
    }
}

#[test]
fn a_round_tripped_record_round_trips_again_unchanged() {
    let once = round_trip(&common::full_record());
    let twice = round_trip(&once);
    assert_eq!(carried(&once), carried(&twice));
}
