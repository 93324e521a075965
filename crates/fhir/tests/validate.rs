//! Every Bundle Tend exports is valid FHIR R4 according to a library that is not ours:
//! fhir.resources 6.1.0 (FHIR 4.0.1) plus the checks in scripts/validate_fhir.py (required
//! bindings, code systems, empty values, references, US Core must-haves). `cargo xtask setup`
//! installs it; `cargo xtask test` passes its Python in `TEND_FHIR_PYTHON`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use tend_core::record::PatientRecord;
use tend_fhir::export_bundle;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// The validator's Python: `TEND_FHIR_PYTHON`, else where `cargo xtask setup` puts it.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TEND_FHIR_PYTHON") {
        return PathBuf::from(p);
    }
    let tools = std::env::var_os("TEND_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("tend").join("tools"))
        })
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/tend/tools")))
        .expect("HOME is set");
    let python = tools.join("fhir-resources-6.1.0/bin/python");
    assert!(
        python.exists(),
        "the FHIR validator is not installed at {}: run `cargo xtask setup`",
        python.display()
    );
    python
}

/// Runs the validator on `bundle`; returns its verdict (success) and what it printed.
fn validate(name: &str, bundle: &serde_json::Value) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("tend-fhir-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(bundle).expect("json")).expect("write");
    let out = Command::new(python())
        .arg(root().join("scripts/validate_fhir.py"))
        .arg(&file)
        .output()
        .expect("the validator runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn minimal() -> PatientRecord {
    let doc = tend_core::PatientDoc::create(
        &tend_core::PatientId::random(),
        tend_core::record::PersonName {
            given: "Solo".into(),
            family: "Name".into(),
        },
        &common::author(),
        1_796_000_000_000,
    )
    .expect("create");
    doc.record().expect("record")
}

#[test]
fn a_full_record_exports_as_valid_fhir_r4() {
    let bundle = export_bundle(&[common::full_record()], &common::ctx());
    let (ok, text) = validate("full", &bundle);
    assert!(ok, "{text}");
    assert!(text.contains("valid FHIR R4"), "{text}");
    // US Core is claimed where Tend meets the profile (and the validator checks the claim).
    let claims = |rtype: &str| -> Vec<String> {
        bundle["entry"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["resource"]["resourceType"] == rtype)
            .flat_map(|e| {
                e["resource"]["meta"]["profile"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|p| p.as_str().map(String::from))
            .collect()
    };
    for (rtype, profile) in [
        ("Patient", "us-core-patient"),
        ("Condition", "us-core-condition-problems-health-concerns"),
        ("AllergyIntolerance", "us-core-allergyintolerance"),
        ("Goal", "us-core-goal"),
        ("CarePlan", "us-core-careplan"),
        ("CareTeam", "us-core-careteam"),
    ] {
        let url = format!("http://hl7.org/fhir/us/core/StructureDefinition/{profile}");
        let found = claims(rtype);
        assert!(
            !found.is_empty() && found.iter().all(|p| *p == url),
            "{rtype}: {found:?}"
        );
    }
}

#[test]
fn a_caseload_with_a_name_only_patient_exports_as_valid_fhir_r4() {
    let bundle = export_bundle(&[common::full_record(), minimal()], &common::ctx());
    let patients = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Patient")
        .count();
    assert_eq!(patients, 2);
    let (ok, text) = validate("caseload", &bundle);
    assert!(ok, "{text}");
}

#[test]
fn the_sample_ehr_bundle_the_import_tests_use_is_valid_fhir_r4() {
    let text =
        std::fs::read_to_string(root().join("crates/fhir/tests/fixtures/ehr_discharge.json"))
            .expect("fixture");
    let bundle: serde_json::Value = serde_json::from_str(&text).expect("json");
    let (ok, out) = validate("ehr", &bundle);
    assert!(ok, "{out}");
}

/// The validator is not a rubber stamp: breaking an export in ways FHIR forbids is caught.
#[test]
fn the_validator_rejects_what_fhir_forbids() {
    let good = export_bundle(&[common::full_record()], &common::ctx());
    let entries = good["entry"].as_array().expect("entries").len();
    let break_first = |rtype: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut b = good.clone();
        let e = b["entry"]
            .as_array_mut()
            .expect("entries")
            .iter_mut()
            .find(|e| e["resource"]["resourceType"] == rtype)
            .unwrap_or_else(|| panic!("the export has a {rtype}"));
        f(&mut e["resource"]);
        b
    };
    let cases = [
        (
            "observation-without-code",
            break_first("Observation", &|r| {
                r.as_object_mut().expect("object").remove("code");
            }),
        ),
        (
            "unknown-element",
            break_first("Patient", &|r| r["favouriteColour"] = "blue".into()),
        ),
        (
            "bad-gender",
            break_first("Patient", &|r| r["gender"] = "femme".into()),
        ),
        (
            "bad-status",
            break_first("MedicationStatement", &|r| r["status"] = "paused".into()),
        ),
        (
            "bad-loinc",
            break_first("Observation", &|r| {
                r["code"]["coding"][0]["code"] = "PHQ9".into()
            }),
        ),
        (
            "empty-string",
            break_first("Condition", &|r| r["code"]["text"] = "".into()),
        ),
        (
            "unchecked-profile",
            break_first("Observation", &|r| {
                r["meta"]["profile"] = serde_json::json!([
                    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"
                ])
            }),
        ),
        (
            "careteam-without-role",
            break_first("CareTeam", &|r| {
                if let Some(p) = r["participant"][0].as_object_mut() {
                    p.remove("role");
                }
            }),
        ),
        (
            "dangling-reference",
            break_first("Goal", &|r| {
                r["subject"]["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000".into()
            }),
        ),
    ];
    for (name, bad) in cases {
        assert_eq!(bad["entry"].as_array().map(Vec::len), Some(entries));
        let (ok, text) = validate(name, &bad);
        assert!(!ok, "{name} should be rejected:\n{text}");
        assert!(text.contains("INVALID"), "{name}: {text}");
    }
}
