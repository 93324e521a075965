use proptest::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::ops::{Op, ProfileField};
use crate::record::PersonName;
use crate::{Author, PatientDoc, PatientId};

fn author(device: &str) -> Author {
    Author {
        user_id: "u1".into(),
        user_name: "Ana Nurse".into(),
        device_id: device.into(),
    }
}

fn new_doc() -> PatientDoc {
    let name = PersonName {
        given: "Rosa".into(),
        family: "Diaz".into(),
    };
    PatientDoc::create(&PatientId::random(), name, &author("d1"), 1).unwrap()
}

fn edit(doc: &mut PatientDoc, value: &str, at: i64) {
    let op = Op::SetProfileText {
        field: ProfileField::PreferredLanguage,
        value: value.into(),
    };
    doc.apply(op, &author("d1"), at).unwrap();
}

/// A document and the bytes of `n` changes made to it after `base` (as a pull delivers them).
fn with_changes(n: usize) -> (PatientDoc, Vec<ChangeHash>, Vec<u8>) {
    let mut doc = new_doc();
    let base = doc.heads();
    let mut made = Vec::new();
    for i in 0..n {
        edit(&mut doc, &format!("Language {i}"), 10 + i as i64);
        made.extend(doc.heads());
    }
    let bytes = doc.save_after(&base);
    (doc, made, bytes)
}

#[wasm_bindgen_test(unsupported = test)]
fn the_hashes_of_changes_back_to_back_are_read_without_the_document() {
    let (_, made, bytes) = with_changes(3);
    assert_eq!(change_hashes(&bytes).unwrap(), made);
    // Several received chunks concatenated read the same as one.
    let (_, more, next) = with_changes(2);
    let both = [bytes.clone(), next].concat();
    assert_eq!(change_hashes(&both).unwrap(), [made, more].concat());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_snapshot_or_anything_malformed_is_refused() {
    let (mut doc, _, bytes) = with_changes(2);
    assert_eq!(change_hashes(&doc.save()), Err(ReceivedError::Document));
    assert_eq!(change_hashes(&[]), Ok(Vec::new()), "nothing is no changes");
    assert_eq!(
        change_hashes(b"not automerge at all"),
        Err(ReceivedError::NotAutomerge(0))
    );
    // Cut short, in the header or in the data.
    assert_eq!(change_hashes(&bytes[..6]), Err(ReceivedError::Truncated(0)));
    assert!(matches!(
        change_hashes(&bytes[..bytes.len() - 1]),
        Err(ReceivedError::Truncated(_))
    ));
    // One flipped byte in the data: the checksum no longer matches.
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x55;
    assert!(matches!(
        change_hashes(&flipped),
        Err(ReceivedError::BadChange(_))
    ));
    // Junk after good changes.
    let junk = [bytes, b"junk".to_vec()].concat();
    assert!(change_hashes(&junk).is_err());
}

#[wasm_bindgen_test(unsupported = test)]
fn received_changes_join_the_acknowledged_heads_and_are_never_pushed_back() {
    // Device A and device B share a base the relay has; A's changes reach B by pull while B has
    // a change of its own waiting.
    let mut a = new_doc();
    let mut b = PatientDoc::load(&a.save()).unwrap();
    let base = a.heads();
    let acked: Vec<String> = base.iter().map(|h| h.to_string()).collect();
    edit(&mut a, "Spanish", 20);
    edit(&mut a, "Tagalog", 21);
    let received = a.save_after(&base);
    edit(&mut b, "Korean", 22);
    let local = b.save_after(&base);

    // Stored unmerged: the acked heads take the received hashes (no document needed)...
    let acked = acked_after_append(&acked, &change_hashes(&received).unwrap());
    assert_eq!(acked.len(), 3);
    // ...and once B's document is loaded with them, only its own change is unacknowledged.
    b.apply_changes(&received).unwrap();
    let heads: Vec<ChangeHash> = acked.iter().map(|h| h.parse().unwrap()).collect();
    assert_eq!(b.save_after(&heads), local);
    // A hash the document lacks (a received change set aside when loading) is ignored.
    let mut other = new_doc();
    let mut with_unknown = heads.clone();
    with_unknown.extend(other.heads());
    assert_eq!(b.save_after(&with_unknown), local);
    // Appending the same hashes twice adds nothing.
    assert_eq!(
        acked_after_append(&acked, &change_hashes(&received).unwrap()),
        acked
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any cut or corruption of received bytes is an error or the same hashes, never a panic and
    /// never hashes of changes that are not there.
    #[test]
    fn damaged_bytes_never_read_as_other_changes(cut in 0usize..2000, at in 0usize..2000, xor in 1u8..=255) {
        let (_, made, bytes) = with_changes(3);
        let cut = cut % (bytes.len() + 1);
        if let Ok(h) = change_hashes(&bytes[..cut]) {
            prop_assert!(made.starts_with(&h));
        }
        let mut damaged = bytes.clone();
        let at = at % damaged.len();
        damaged[at] ^= xor;
        if let Ok(h) = change_hashes(&damaged) {
            // A flip the format does not cover (it would have to keep every checksum): the
            // hashes still name only these changes.
            prop_assert!(h.iter().all(|x| made.contains(x)));
        }
    }
}
