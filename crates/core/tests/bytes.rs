//! Bytes from storage or the network never panic the core: arbitrary, truncated or bit-flipped
//! documents and chunks are errors (or harmless), never crashes.

mod common;

use common::*;
use proptest::prelude::*;
use tend_core::PatientDoc;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
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

#[test]
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

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
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
