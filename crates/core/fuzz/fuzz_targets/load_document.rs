//! Bytes from storage or the network, as a whole document and as a chunk applied to a real
//! patient: every outcome must be Ok or Err, never a panic, and whatever loads must hydrate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tend_core::PatientDoc;

// Small on purpose: loading it runs on every input, and a slow target finds little.
const BASE: &[u8] = include_bytes!("../../tests/fixtures/patient_skeleton.automerge");

fuzz_target!(|data: &[u8]| {
    if let Ok(mut doc) = PatientDoc::load(data) {
        let _ = doc.record();
        let _ = doc.summary();
        let _ = doc.conflicts();
        // History walks every change; only worth it on small inputs.
        if data.len() < 2048 {
            let _ = doc.history("medical/medications/m0/dose");
            let _ = doc.history("assessments/physical");
        }
    }
    if let Ok(mut doc) = PatientDoc::load(BASE) {
        if doc.apply_changes(data).is_ok() {
            let _ = doc.record();
            let _ = doc.conflicts();
            let _ = doc.save();
        }
    }
});
