//! Documents saved by every released schema must keep opening. The fixtures are real saved
//! bytes, compiled in with `include_bytes!` (the suite also runs in a browser, without files).
//! Add a new version's fixture by creating an empty file and running once with
//! `TEND_WRITE_FIXTURES=1` (natively); never regenerate an old one to make it pass.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use autosurgeon::{Hydrate, Reconcile};
use common::*;
use tend_core::ops::Op;
use tend_core::record::*;
use tend_core::PatientDoc;

/// The stored bytes of `tests/fixtures/<name>`; with `TEND_WRITE_FIXTURES` set (native only), an
/// empty fixture file is first filled with `make()`.
macro_rules! fixture {
    ($name:literal, $make:expr) => {
        fixture_bytes($name, include_bytes!(concat!("fixtures/", $name)), $make)
    };
}

fn fixture_bytes(name: &str, stored: &[u8], make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    #[cfg(not(target_arch = "wasm32"))]
    if stored.is_empty() && std::env::var_os("TEND_WRITE_FIXTURES").is_some() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let bytes = make();
        std::fs::write(&p, &bytes).expect("write fixture");
        return bytes;
    }
    #[cfg(target_arch = "wasm32")]
    let _ = make;
    assert!(!stored.is_empty(), "fixture {name} is empty");
    stored.to_vec()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn v1_patient_with_a_year_of_activity_still_opens() {
    let bytes = fixture!("patient_v1.automerge", || {
        let mut doc = new_patient();
        year_of_activity(&mut doc);
        doc.save()
    });
    let mut doc = PatientDoc::load(&bytes).expect("v1 fixture loads");
    let r = doc.record().expect("v1 fixture hydrates");
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.name.display(), "Diaz, Rosa");
    assert_eq!(r.profile.date_of_birth, Some(d("1948-03-14")));
    assert_eq!(r.medical.medications.len(), 8);
    assert_eq!(r.medical.medications[0].dose, "2750 mg");
    assert_eq!(r.follow_ups.len(), 12);
    assert_eq!(
        r.encounters[0].note.as_str(),
        "Patient in good spirits. Reviewed meds and symptoms."
    );
    assert_eq!(r.time_log.len(), 36);
    assert!(doc.conflicts().unwrap().is_empty());
    assert_eq!(doc.history("medical/medications/m0/dose").unwrap().len(), 4);
    // And it is still writable by this build.
    apply(
        &mut doc,
        Op::SetMedicationStatus {
            id: "m0".into(),
            since: None,
            reason: String::new(),
            status: MedicationStatus::OnHold,
        },
        1,
        T0 + 400 * DAY_MS,
    );
    assert_eq!(
        doc.record().unwrap().medical.medications[0].status,
        MedicationStatus::OnHold
    );
}

/// The shape written by the first skeleton (name only), before the v1 sections existed.
#[derive(Reconcile, Hydrate)]
struct SkeletonRecord {
    schema_version: u64,
    id: String,
    name: PersonName,
    created_at: i64,
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn skeleton_document_without_sections_opens_with_defaults() {
    let bytes = fixture!("patient_skeleton.automerge", || {
        let mut doc = automerge::AutoCommit::new();
        let old = SkeletonRecord {
            schema_version: 1,
            id: "7d0c3a51-9a43-4c53-9d8e-2f0f2f4b8a11".into(),
            name: name("Ada", "Lovelace"),
            created_at: T0,
        };
        autosurgeon::reconcile(&mut doc, &old).expect("reconcile");
        doc.save()
    });
    let mut doc = PatientDoc::load(&bytes).expect("skeleton loads");
    assert!(doc.conflicts().unwrap().is_empty());
    let r = doc.record().unwrap();
    assert_eq!(r.name.display(), "Lovelace, Ada");
    assert_eq!(r.medical, Medical::default());
    assert_eq!(doc.summary().unwrap().display_name, "Lovelace, Ada");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_newer_schema_is_refused_not_misread() {
    let mut doc = automerge::AutoCommit::new();
    let newer = SkeletonRecord {
        schema_version: 99,
        id: "x".into(),
        name: name("A", "B"),
        created_at: 0,
    };
    autosurgeon::reconcile(&mut doc, &newer).unwrap();
    assert!(matches!(
        PatientDoc::load(&doc.save()),
        Err(tend_core::DocError::NewerSchema { found: 99, .. })
    ));
}
