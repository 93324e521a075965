//! Signed visit notes: a note is signed (who, when) and then read-only; later words are addenda.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use tend_core::ops::{NarrativeTarget, Op};
use tend_core::record::*;
use tend_core::{DocError, ItemList, PatientDoc};

fn start(doc: &mut PatientDoc, id: &str, note: &str) {
    apply(
        doc,
        Op::StartEncounter {
            encounter: Encounter {
                id: id.into(),
                kind: EncounterKind::HomeVisit,
                date: d("2026-12-07"),
                subject: "monthly visit".into(),
                note: Narrative::new(note),
                ..Default::default()
            },
        },
        1,
        T0,
    );
}

fn note_edit(id: &str, pos: usize, insert: &str) -> Op {
    Op::EditNarrative {
        target: NarrativeTarget::EncounterNote { id: id.into() },
        edit: edit(pos, 0, insert),
    }
}

fn sign(id: &str) -> Op {
    Op::SignEncounterNote { id: id.into() }
}

fn addendum(encounter_id: &str, id: &str, text: &str) -> Op {
    Op::AddEncounterAddendum {
        encounter_id: encounter_id.into(),
        addendum: EncounterAddendum {
            id: id.into(),
            text: text.into(),
            ..Default::default()
        },
    }
}

fn encounter(doc: &PatientDoc, id: &str) -> Encounter {
    doc.record()
        .expect("record")
        .encounters
        .into_iter()
        .find(|e| e.id == id)
        .expect("encounter")
}

/// Applying `op` is refused as invalid, and the document does not change.
fn refused(doc: &mut PatientDoc, op: Op, who: u32, at: i64) -> String {
    let heads = doc.heads();
    let before = doc.record().expect("record");
    let name = op.name();
    match doc.apply(op, &author(who), at) {
        Err(DocError::Invalid(msg)) => {
            assert_eq!(doc.heads(), heads, "{name}: refused, yet a change was made");
            assert_eq!(
                doc.record().expect("record"),
                before,
                "{name}: record changed"
            );
            msg
        }
        other => panic!("{name}: expected a refusal, got {other:?}"),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_signed_note_cannot_be_edited_and_takes_an_addendum() {
    let mut doc = new_patient();
    start(&mut doc, "e1", "Seen at home.");
    // Unsigned: the note is edited in place and takes no addendum.
    apply(&mut doc, note_edit("e1", 13, " Walking well."), 1, T0 + 1);
    let msg = refused(&mut doc, addendum("e1", "ad0", "Too early."), 1, T0 + 2);
    assert!(msg.contains("signed"), "{msg}");
    assert!(!encounter(&doc, "e1").is_signed());

    apply(&mut doc, sign("e1"), 2, T0 + 10);
    let e = encounter(&doc, "e1");
    let signed = e.signed.clone().expect("signed");
    assert_eq!(
        (
            signed.user_id.as_str(),
            signed.user_name.as_str(),
            signed.at
        ),
        ("u2", "Nurse 2", T0 + 10)
    );
    assert_eq!(e.note.as_str(), "Seen at home. Walking well.");

    // The note, subject and date are closed now; the refusal says what to do instead.
    let msg = refused(&mut doc, note_edit("e1", 0, "Edited: "), 2, T0 + 11);
    assert!(msg.contains("addendum"), "{msg}");
    refused(
        &mut doc,
        Op::ChangeEncounter {
            id: "e1".into(),
            subject: Some("changed".into()),
            date: None,
        },
        2,
        T0 + 12,
    );
    refused(
        &mut doc,
        Op::ChangeEncounter {
            id: "e1".into(),
            subject: None,
            date: Some(d("2026-12-08")),
        },
        2,
        T0 + 13,
    );
    // Signed once only; an empty addendum is refused.
    refused(&mut doc, sign("e1"), 1, T0 + 14);
    refused(&mut doc, addendum("e1", "ad1", "  \n "), 1, T0 + 15);

    // The addendum is kept with its author and time (not the ones a caller sent).
    let mut op = addendum("e1", "ad1", "  Daughter called: fall last night.\n");
    if let Op::AddEncounterAddendum { addendum, .. } = &mut op {
        addendum.recorded.user_name = "someone else".into();
    }
    apply(&mut doc, op, 3, T0 + 20);
    apply(&mut doc, addendum("e1", "ad2", "GP informed."), 1, T0 + 30);
    refused(
        &mut doc,
        addendum("e1", "ad2", "Same id again."),
        1,
        T0 + 31,
    );
    let e = encounter(&doc, "e1");
    let got: Vec<(&str, &str, &str, i64)> = e
        .addenda
        .iter()
        .map(|a| {
            (
                a.id.as_str(),
                a.text.as_str(),
                a.recorded.user_name.as_str(),
                a.recorded.at,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "ad1",
                "Daughter called: fall last night.",
                "Nurse 3",
                T0 + 20
            ),
            ("ad2", "GP informed.", "Nurse 1", T0 + 30),
        ]
    );
    assert_eq!(e.note.as_str(), "Seen at home. Walking well.");
    assert_eq!(e.signed, Some(signed));

    // It survives a save and load.
    let loaded = PatientDoc::load(&doc.save()).expect("load");
    assert_eq!(encounter(&loaded, "e1"), e);

    // A signed encounter can still be removed with a reason.
    apply(
        &mut doc,
        Op::Retire {
            list: ItemList::Encounters,
            id: "e1".into(),
            reason: RetireReason::EnteredInError,
            note: "wrong patient".into(),
        },
        1,
        T0 + 40,
    );
    assert!(encounter(&doc, "e1").retired.is_some());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn signing_is_refused_for_empty_removed_missing_or_presigned_notes() {
    let mut doc = new_patient();
    start(&mut doc, "empty", "   ");
    refused(&mut doc, sign("empty"), 1, T0 + 1);
    assert!(matches!(
        doc.apply(sign("nope"), &author(1), T0 + 2),
        Err(DocError::NotFound(_))
    ));
    start(&mut doc, "gone", "Visit.");
    apply(
        &mut doc,
        Op::Retire {
            list: ItemList::Encounters,
            id: "gone".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
        1,
        T0 + 3,
    );
    refused(&mut doc, sign("gone"), 1, T0 + 4);
    // A new encounter cannot arrive already signed or with addenda.
    refused(
        &mut doc,
        Op::StartEncounter {
            encounter: Encounter {
                id: "forged".into(),
                date: d("2026-12-07"),
                note: Narrative::new("x"),
                signed: Some(Stamp::new(&author(9), T0)),
                ..Default::default()
            },
        },
        1,
        T0 + 5,
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_encounter_from_an_older_build_is_signed_and_takes_addenda() {
    // An encounter written before signing existed has neither `signed` nor `addenda`.
    let mut doc = new_patient();
    start(&mut doc, "old", "Old note.");
    let mut raw = automerge::AutoCommit::load(&doc.save()).expect("raw");
    {
        use automerge::{transaction::Transactable, ReadDoc, Value};
        let (_, encounters) = raw
            .get(automerge::ROOT, "encounters")
            .expect("get")
            .expect("encounters");
        let Some((Value::Object(_), item)) = raw.get(&encounters, 0).expect("get") else {
            panic!("no encounter");
        };
        raw.delete(&item, "signed").expect("delete signed");
        raw.delete(&item, "addenda").expect("delete addenda");
        assert!(raw.get(&item, "addenda").expect("get").is_none());
    }
    let mut old = PatientDoc::load(&raw.save()).expect("load old");
    assert_eq!(encounter(&old, "old").signed, None);
    apply(&mut old, note_edit("old", 0, "Still editable. "), 1, T0 + 1);
    apply(&mut old, sign("old"), 1, T0 + 2);
    apply(&mut old, addendum("old", "a1", "Later."), 2, T0 + 3);
    let e = encounter(&old, "old");
    assert!(e.is_signed());
    assert_eq!(e.note.as_str(), "Still editable. Old note.");
    assert_eq!(e.addenda.len(), 1);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn signing_while_another_device_edits_keeps_both_texts_and_closes_the_note() {
    let (mut a, mut b) = pair(|a| start(a, "e1", "Seen at home."));
    // A signs; B, offline, is still writing the note.
    apply(&mut a, sign("e1"), 1, T0 + 10);
    apply(&mut b, note_edit("e1", 13, " BP 150/90."), 2, T0 + 11);
    exchange(&mut a, &mut b);

    for doc in [&a, &b] {
        let e = encounter(doc, "e1");
        assert_eq!(
            e.note.as_str(),
            "Seen at home. BP 150/90.",
            "both texts kept"
        );
        assert_eq!(e.signed.as_ref().map(|s| s.user_id.as_str()), Some("u1"));
    }
    // From the merge on, B's edits are refused too; B adds an addendum instead.
    refused(&mut b, note_edit("e1", 0, "late "), 2, T0 + 20);
    apply(
        &mut b,
        addendum("e1", "ad1", "BP recheck booked."),
        2,
        T0 + 21,
    );
    exchange(&mut a, &mut b);
    assert_eq!(encounter(&a, "e1").addenda[0].text, "BP recheck booked.");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_addenda_are_both_kept() {
    let (mut a, mut b) = pair(|a| {
        start(a, "e1", "Seen.");
        apply(a, sign("e1"), 1, T0 + 1);
    });
    apply(&mut a, addendum("e1", "x", "From A."), 1, T0 + 10);
    apply(&mut b, addendum("e1", "y", "From B."), 2, T0 + 11);
    exchange(&mut a, &mut b);
    let mut texts: Vec<String> = encounter(&a, "e1")
        .addenda
        .into_iter()
        .map(|x| x.text)
        .collect();
    texts.sort();
    assert_eq!(texts, vec!["From A.", "From B."]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn history_lists_the_signing_and_each_addendum_with_who_and_when() {
    let mut doc = new_patient();
    start(&mut doc, "e1", "Seen.");
    // Before signing, neither field has any history (created empty is nobody's entry).
    assert!(doc.history("encounters/e1/signed").unwrap().is_empty());
    assert!(doc.history("encounters/e1/addenda").unwrap().is_empty());

    apply(&mut doc, sign("e1"), 2, T0 + 10);
    apply(&mut doc, addendum("e1", "a1", "Fall reported."), 3, T0 + 20);
    apply(&mut doc, addendum("e1", "a2", "GP told."), 1, T0 + 30);

    let signed = doc.history("encounters/e1/signed").unwrap();
    let got: Vec<(&str, &str, i64)> = signed
        .iter()
        .map(|c| (c.by.op.as_str(), c.by.user_name.as_str(), c.by.at))
        .collect();
    assert_eq!(got, vec![("sign_encounter_note", "Nurse 2", T0 + 10)]);

    let addenda = doc.history("encounters/e1/addenda").unwrap();
    let got: Vec<(&str, &str, i64, Option<&str>)> = addenda
        .iter()
        .map(|c| {
            (
                c.by.op.as_str(),
                c.by.user_name.as_str(),
                c.by.at,
                c.value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "add_encounter_addendum",
                "Nurse 3",
                T0 + 20,
                Some("Fall reported.")
            ),
            (
                "add_encounter_addendum",
                "Nurse 1",
                T0 + 30,
                Some("GP told.")
            ),
        ]
    );
}
