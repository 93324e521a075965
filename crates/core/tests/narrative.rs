//! Property: the splice the editor sends (`TextEdit::between`) turns a stored narrative into the
//! new text when applied to the Automerge document, for any text (positions are Unicode scalars on
//! both sides).

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use proptest::prelude::*;
use tend_core::ops::{NarrativeTarget, Op};
use tend_core::record::*;

/// Text from a small alphabet (so prefixes and suffixes often overlap) or any printable text.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[aé👍 \n]{0,12}", "\\PC{0,40}"]
}

fn send(doc: &mut tend_core::PatientDoc, old: &str, new: &str, at: i64) {
    if let Some(edit) = TextEdit::between(old, new) {
        let target = NarrativeTarget::Section {
            section: NarrativeSection::Physical,
        };
        apply(doc, Op::EditNarrative { target, edit }, 1, at);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn sent_splices_turn_the_document_text_into_the_new_text(
        old in text(),
        new in text(),
    ) {
        let mut doc = new_patient();
        send(&mut doc, "", &old, T0 + 1);
        prop_assert_eq!(doc.record().unwrap().assessments.physical.0, old.clone());
        send(&mut doc, &old, &new, T0 + 2);
        prop_assert_eq!(doc.record().unwrap().assessments.physical.0, new);
    }
}
