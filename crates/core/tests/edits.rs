//! Correcting what was recorded: every `Change…` op sets only the fields it names (so an edit of
//! another field on another device is kept), refuses what would make the entry invalid, and a
//! plain field set on two devices apart keeps both values — shown quietly — until someone settles
//! it with `Op::ResolveConflict`.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use tend_core::ops::{ItemList, Op, ProfileField};
use tend_core::record::*;
use tend_core::{DocError, PatientDoc};

/// A patient with one entry in every list the `Change…` ops edit (all ids "x1").
fn charted() -> PatientDoc {
    let mut doc = new_patient();
    let ops = vec![
        Op::AddPhone {
            phone: Phone {
                id: "x1".into(),
                label: "home".into(),
                number: "555-0100".into(),
                ..Default::default()
            },
        },
        Op::AddIdentifier {
            identifier: Identifier {
                id: "x1".into(),
                system: "mrn".into(),
                value: "A-1".into(),
                issuer: "County Hospital".into(),
                ..Default::default()
            },
        },
        Op::AddProvider {
            provider: Provider {
                id: "x1".into(),
                name: "Dr Lee".into(),
                role: "pcp".into(),
                organization: "Main St Clinic".into(),
                phone: "555-0200".into(),
                ..Default::default()
            },
        },
        Op::AddCaregiver {
            caregiver: Caregiver {
                id: "x1".into(),
                name: "Luis".into(),
                relationship: "son".into(),
                ..Default::default()
            },
        },
        Op::AddNeed {
            need: Need {
                id: "x1".into(),
                description: "Blood pressure control".into(),
                domain: "medical".into(),
                ..Default::default()
            },
        },
        Op::AddGoal {
            goal: Goal {
                id: "x1".into(),
                need_id: "x1".into(),
                description: "Lower blood pressure".into(),
                measure: "Systolic".into(),
                target: "< 140".into(),
                due: Some(d("2026-03-01")),
                ..Default::default()
            },
        },
        Op::AddAction {
            action: CareAction {
                id: "x1".into(),
                goal_id: "x1".into(),
                description: "Daily BP log".into(),
                responsible: Responsible::Patient,
                ..Default::default()
            },
        },
        Op::StartEncounter {
            encounter: Encounter {
                id: "x1".into(),
                date: d("2026-01-05"),
                subject: "Monthly visit".into(),
                ..Default::default()
            },
        },
    ];
    for op in ops {
        apply(&mut doc, op, 1, T0);
    }
    doc
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn every_change_op_sets_only_the_fields_it_names() {
    let mut doc = charted();
    let ops = vec![
        Op::ChangePhone {
            id: "x1".into(),
            label: None,
            number: s("555-0199"),
            primary: Some(true),
        },
        Op::ChangeIdentifier {
            id: "x1".into(),
            system: None,
            value: s("A-2"),
            issuer: None,
        },
        Op::ChangeProvider {
            id: "x1".into(),
            name: s("Dr Amy Lee"),
            role: None,
            organization: None,
            phone: s("555-0201"),
        },
        Op::ChangeCaregiver {
            id: "x1".into(),
            name: None,
            relationship: s("Son (lives nearby)"),
            phone: s("555-0300"),
            primary: None,
            may_share_info: Some(true),
        },
        Op::ChangeNeed {
            id: "x1".into(),
            description: s("Blood pressure and salt"),
            domain: None,
        },
        Op::ChangeGoal {
            id: "x1".into(),
            description: None,
            measure: None,
            target: s("< 130"),
            due: Some(d("2026-04-15")),
        },
        Op::ChangeAction {
            id: "x1".into(),
            description: s("Daily BP log, mornings"),
            responsible: Some(Responsible::Family),
            due: Some(d("2026-02-01")),
        },
        Op::ChangeEncounter {
            id: "x1".into(),
            subject: s("Monthly home visit"),
            date: Some(d("2026-01-06")),
        },
    ];
    for op in ops {
        assert!(!op.changes_nothing(), "{op:?}");
        apply(&mut doc, op, 2, T0 + 1000);
    }
    let r = doc.record().unwrap();

    let phone = &r.profile.phones[0];
    assert_eq!(
        (phone.label.as_str(), phone.number.as_str(), phone.primary),
        ("home", "555-0199", true)
    );
    let ident = &r.profile.identifiers[0];
    assert_eq!(
        (
            ident.system.as_str(),
            ident.value.as_str(),
            ident.issuer.as_str()
        ),
        ("mrn", "A-2", "County Hospital")
    );
    let prov = &r.medical.providers[0];
    assert_eq!(
        (
            prov.name.as_str(),
            prov.role.as_str(),
            prov.organization.as_str(),
            prov.phone.as_str()
        ),
        ("Dr Amy Lee", "pcp", "Main St Clinic", "555-0201")
    );
    let cg = &r.support.caregivers[0];
    assert_eq!(
        (
            cg.name.as_str(),
            cg.relationship.as_str(),
            cg.phone.as_str(),
            cg.primary,
            cg.may_share_info
        ),
        ("Luis", "Son (lives nearby)", "555-0300", false, true)
    );
    let need = &r.care_plan.needs[0];
    assert_eq!(
        (need.description.as_str(), need.domain.as_str()),
        ("Blood pressure and salt", "medical")
    );
    let goal = &r.care_plan.goals[0];
    assert_eq!(
        (
            goal.description.as_str(),
            goal.measure.as_str(),
            goal.target.as_str(),
            goal.due.clone()
        ),
        (
            "Lower blood pressure",
            "Systolic",
            "< 130",
            Some(d("2026-04-15"))
        )
    );
    let action = &r.care_plan.actions[0];
    assert_eq!(
        (
            action.description.as_str(),
            action.responsible.clone(),
            action.due.clone()
        ),
        (
            "Daily BP log, mornings",
            Responsible::Family,
            Some(d("2026-02-01"))
        )
    );
    let enc = &r.encounters[0];
    assert_eq!(
        (enc.subject.as_str(), enc.date.clone()),
        ("Monthly home visit", d("2026-01-06"))
    );

    // The original stamp (who recorded the entry) is untouched by corrections.
    assert_eq!(goal.recorded.user_id, "u1");
    // Each correction is in the field's history, by the person who made it.
    let history = doc.history("care_plan/goals/x1/target").unwrap();
    let last = history.last().expect("target history");
    assert_eq!(last.by.user_name, "Nurse 2");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_change_op_that_would_break_its_entry_is_refused_and_changes_nothing() {
    let mut doc = charted();
    let before = doc.heads();
    let record_before = doc.record().unwrap();
    let bad = vec![
        Op::ChangeGoal {
            id: "missing".into(),
            description: None,
            measure: None,
            target: None,
            due: None,
        },
        Op::ChangeGoal {
            id: "x1".into(),
            description: s("  "),
            measure: None,
            target: s("< 120"),
            due: None,
        },
        Op::ChangeAction {
            id: "x1".into(),
            description: None,
            responsible: None,
            due: Some(IsoDate("next week".into())),
        },
        Op::ChangeEncounter {
            id: "x1".into(),
            subject: s("ok"),
            date: Some(IsoDate("2026-02-30".into())),
        },
        Op::ChangePhone {
            id: "x1".into(),
            label: None,
            number: s(""),
            primary: None,
        },
        Op::ChangeIdentifier {
            id: "x1".into(),
            system: None,
            value: s(" "),
            issuer: None,
        },
        Op::ChangeProvider {
            id: "x1".into(),
            name: s(""),
            role: None,
            organization: None,
            phone: None,
        },
        Op::ChangeCaregiver {
            id: "x1".into(),
            name: s(" "),
            relationship: None,
            phone: None,
            primary: Some(true),
            may_share_info: None,
        },
        Op::ChangeNeed {
            id: "x1/../y".into(),
            description: s("x"),
            domain: None,
        },
    ];
    assert!(
        bad[0].changes_nothing(),
        "an edit naming no field writes nothing"
    );
    for op in bad {
        let name = op.name();
        let err = doc.apply(op, &author(2), T0 + 5).expect_err(name);
        assert!(
            matches!(err, DocError::Invalid(_) | DocError::NotFound(_)),
            "{name}: {err:?}"
        );
    }
    assert_eq!(doc.heads(), before, "no change was recorded");
    assert_eq!(doc.record().unwrap(), record_before);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn edits_of_different_fields_of_one_goal_on_two_devices_both_land() {
    let (mut a, mut b) = pair(|doc| *doc = charted());
    apply(
        &mut a,
        Op::ChangeGoal {
            id: "x1".into(),
            description: s("Lower blood pressure safely"),
            measure: None,
            target: None,
            due: None,
        },
        1,
        T0 + 10,
    );
    apply(
        &mut b,
        Op::ChangeGoal {
            id: "x1".into(),
            description: None,
            measure: None,
            target: s("< 130"),
            due: Some(d("2026-05-01")),
        },
        2,
        T0 + 20,
    );
    exchange(&mut a, &mut b);
    let goal = a.record().unwrap().care_plan.goals[0].clone();
    assert_eq!(goal.description, "Lower blood pressure safely");
    assert_eq!(goal.target, "< 130");
    assert_eq!(goal.due, Some(d("2026-05-01")));
    assert!(a
        .concurrent_values("care_plan/goals/x1/description")
        .unwrap()
        .is_empty());
}

fn language(value: &str) -> Op {
    Op::SetProfileText {
        field: ProfileField::PreferredLanguage,
        value: value.into(),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_plain_field_set_on_two_devices_apart_keeps_both_values_until_someone_confirms_one() {
    let (mut a, mut b) = pair(|doc| apply(doc, language("English"), 1, T0));
    apply(&mut a, language("Spanish"), 1, T0 + 10);
    apply(&mut b, language("Portuguese"), 2, T0 + 20);
    exchange(&mut a, &mut b);

    let path = "profile/preferred_language";
    let shown = a.record().unwrap().profile.preferred_language;
    let values = a.concurrent_values(path).unwrap();
    assert_eq!(values.len(), 2, "{values:?}");
    assert_eq!(values[0].value, shown, "the shown value comes first");
    let mut seen: Vec<(String, String)> = values
        .iter()
        .map(|v| {
            (
                v.value.clone(),
                v.by.as_ref().expect("author").user_name.clone(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("Portuguese".to_string(), "Nurse 2".to_string()),
            ("Spanish".to_string(), "Nurse 1".to_string())
        ]
    );
    // Not a clinical clash: nothing asks for review.
    assert!(a.conflicts().unwrap().is_empty());
    assert_eq!(a.conflict_count().unwrap(), 0);
    // Its history shows both values and who set them.
    let history: Vec<String> = a
        .history(path)
        .unwrap()
        .iter()
        .filter_map(|h| h.value.clone())
        .collect();
    assert!(history.contains(&"Spanish".to_string()), "{history:?}");
    assert!(history.contains(&"Portuguese".to_string()), "{history:?}");

    // Someone on B confirms the value that is not shown; both devices then hold only it.
    let other = values[1].value.clone();
    apply(
        &mut b,
        Op::ResolveConflict {
            path: path.into(),
            value: other.clone(),
        },
        2,
        T0 + 30,
    );
    exchange(&mut a, &mut b);
    assert!(a.concurrent_values(path).unwrap().is_empty());
    assert_eq!(a.record().unwrap().profile.preferred_language, other);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn only_a_reviewed_or_clashing_field_can_be_settled() {
    let mut doc = charted();
    apply(&mut doc, language("English"), 1, T0);
    let before = doc.heads();
    for path in [
        // A plain field holding one value: edit it with its own op instead.
        "profile/preferred_language",
        "care_plan/goals/x1/description",
        // Not a text field, or not there.
        "profile/interpreter_needed",
        "care_plan/goals/x9/description",
        "",
    ] {
        let err = doc
            .apply(
                Op::ResolveConflict {
                    path: path.into(),
                    value: "Anything".into(),
                },
                &author(1),
                T0 + 1,
            )
            .expect_err(path);
        assert!(
            matches!(err, DocError::Invalid(_) | DocError::NotFound(_)),
            "{path}: {err:?}"
        );
    }
    assert_eq!(doc.heads(), before);
    // A nonexistent or single-valued path holds no concurrent values.
    for path in [
        "profile/preferred_language",
        "care_plan/goals/x9/description",
        "",
    ] {
        assert!(doc.concurrent_values(path).unwrap().is_empty(), "{path}");
    }
    // Retiring still works on every edited list.
    for list in [ItemList::Phones, ItemList::Goals, ItemList::Encounters] {
        apply(
            &mut doc,
            Op::Retire {
                list,
                id: "x1".into(),
                reason: RetireReason::Duplicate,
                note: String::new(),
            },
            1,
            T0 + 2,
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_yes_no_field_set_both_ways_on_two_devices_is_settled_as_yes_or_no() {
    let (mut a, mut b) = pair(|doc| *doc = charted());
    let share = |on: bool| Op::ChangeCaregiver {
        id: "x1".into(),
        name: None,
        relationship: None,
        phone: None,
        primary: None,
        may_share_info: Some(on),
    };
    apply(&mut a, share(true), 1, T0 + 10);
    // On B it is ticked, then unticked again: its last write says "no".
    apply(&mut b, share(true), 2, T0 + 20);
    apply(&mut b, share(false), 2, T0 + 21);
    exchange(&mut a, &mut b);
    let path = "support/caregivers/x1/may_share_info";
    let mut values: Vec<String> = a
        .concurrent_values(path)
        .unwrap()
        .into_iter()
        .map(|v| v.value)
        .collect();
    values.sort();
    assert_eq!(values, vec!["false", "true"]);

    let before = a.heads();
    let err = a
        .apply(
            Op::ResolveConflict {
                path: path.into(),
                value: "maybe".into(),
            },
            &author(1),
            T0 + 30,
        )
        .expect_err("not yes or no");
    assert!(matches!(err, DocError::Invalid(_)), "{err:?}");
    assert_eq!(a.heads(), before);

    apply(
        &mut a,
        Op::ResolveConflict {
            path: path.into(),
            value: "false".into(),
        },
        1,
        T0 + 40,
    );
    exchange(&mut a, &mut b);
    assert!(b.concurrent_values(path).unwrap().is_empty());
    assert!(!b.record().unwrap().support.caregivers[0].may_share_info);
}
