//! Bytes from storage or the network never panic the core: arbitrary, truncated or bit-flipped
//! documents and chunks are errors (or harmless), never crashes.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use proptest::prelude::*;
use tend_core::PatientDoc;

fn cases() -> u32 {
    // At run time natively; in the browser (no environment) as set when the test was built.
    std::env::var("PROPTEST_CASES")
        .ok()
        .or(option_env!("PROPTEST_CASES").map(String::from))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}

fn sample() -> (Vec<u8>, Vec<u8>) {
    let mut doc = new_patient();
    let snapshot = doc.save();
    apply(
        &mut doc,
        tend_core::Op::AddMedication {
            medication: med("m1", "metformin", "500 mg"),
        },
        1,
        T0 + 1,
    );
    (snapshot, doc.save_incremental())
}

/// Whatever loads must also hydrate without panicking.
fn exercise(bytes: &[u8]) {
    if let Ok(mut doc) = PatientDoc::load(bytes) {
        let _ = doc.record();
        let _ = doc.summary();
        let _ = doc.conflicts();
        let _ = doc.history("medical/medications/m1/dose");
    }
    let (snapshot, _) = sample();
    if let Ok(mut doc) = PatientDoc::load(&snapshot) {
        let _ = doc.apply_changes(bytes);
        let _ = doc.record();
        let _ = doc.conflicts();
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn every_truncation_of_a_snapshot_and_a_chunk_is_handled() {
    let (snapshot, chunk) = sample();
    for cut in 0..snapshot.len() {
        assert!(
            PatientDoc::load(&snapshot[..cut]).is_err(),
            "snapshot cut at {cut} loaded"
        );
    }
    for cut in 0..chunk.len() {
        exercise(&chunk[..cut]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn corrupted_documents_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), chunk in any::<bool>()) {
        let (snapshot, inc) = sample();
        let mut bytes = if chunk { inc } else { snapshot };
        for (i, x) in flips {
            let n = bytes.len();
            bytes[i % n] ^= x | 1;
        }
        exercise(&bytes);
    }
}
