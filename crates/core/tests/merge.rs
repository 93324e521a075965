//! Merge semantics between replicas: list items merge by id, narratives keep both writers'
//! words, concurrent clinical scalars surface as conflicts, and history attributes every change.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use tend_core::ops::{NarrativeTarget, Op};
use tend_core::record::*;

fn dose_change(dose: &str) -> Op {
    Op::ChangeMedication {
        id: "m1".into(),
        name: None,
        indication: None,
        dose: Some(dose.into()),
        route: None,
        frequency: None,
        prescriber: None,
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_dose_edits_are_reported_and_resolved() {
    let (mut a, mut b) = pair_on_metformin();
    apply(&mut a, dose_change("1000 mg"), 1, T0 + 10);
    apply(&mut b, dose_change("850 mg"), 2, T0 + 20);
    // A concurrent edit of another field of the same medication is not a conflict.
    apply(
        &mut b,
        Op::SetMedicationStatus {
            id: "m1".into(),
            since: None,
            reason: String::new(),
            status: MedicationStatus::Active,
        },
        2,
        T0 + 21,
    );
    assert!(a.conflicts().unwrap().is_empty());
    exchange(&mut a, &mut b);

    let conflicts = a.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(a.conflict_count().unwrap(), 1);
    let flagged = |doc: &tend_core::PatientDoc| {
        doc.summary()
            .unwrap()
            .flags
            .contains(&tend_core::conflicts::NEEDS_REVIEW_FLAG.to_string())
    };
    assert!(
        flagged(&a) && flagged(&b),
        "both summaries say there is something to review"
    );
    let c = &conflicts[0];
    assert_eq!(c.path, "medical/medications/m1/dose");
    assert_eq!(c.label, "metformin: dose");
    let mut seen: Vec<(String, String, i64)> = c
        .values
        .iter()
        .map(|v| {
            let by = v.by.clone().unwrap();
            (v.value.clone(), by.user_id, by.at)
        })
        .collect();
    // The first value is the one the record shows.
    assert_eq!(seen[0].0, a.record().unwrap().medical.medications[0].dose);
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("1000 mg".into(), "u1".into(), T0 + 10),
            ("850 mg".into(), "u2".into(), T0 + 20)
        ]
    );
    assert_eq!(b.conflicts().unwrap(), conflicts);

    // Later ops elsewhere in the record must not silently resolve it.
    apply(
        &mut a,
        Op::AddMedication {
            medication: med("m2", "lisinopril", "10 mg"),
        },
        1,
        T0 + 30,
    );
    apply(
        &mut a,
        Op::MarkMedicationReconciled {
            id: "m1".into(),
            date: d("2026-01-05"),
        },
        1,
        T0 + 31,
    );
    assert_eq!(a.conflicts().unwrap().len(), 1);

    // A reviewer picks the value; the conflict is gone on both replicas after sync.
    apply(
        &mut b,
        Op::ResolveConflict {
            path: c.path.clone(),
            value: "850 mg".into(),
        },
        3,
        T0 + 40,
    );
    assert!(b.conflicts().unwrap().is_empty());
    exchange(&mut a, &mut b);
    assert!(a.conflicts().unwrap().is_empty());
    assert_eq!(a.conflict_count().unwrap(), 0);
    assert!(!flagged(&a), "resolved: the flag is gone");
    assert_eq!(a.record().unwrap().medical.medications[0].dose, "850 mg");
    // History keeps all three values with who set them.
    let dose_history: Vec<(Option<String>, String)> = a
        .history("medical/medications/m1/dose")
        .unwrap()
        .into_iter()
        .map(|ch| (ch.value, ch.by.user_id))
        .collect();
    for expected in [("1000 mg", "u1"), ("850 mg", "u2"), ("850 mg", "u3")] {
        assert!(
            dose_history.contains(&(Some(expected.0.to_string()), expected.1.to_string())),
            "{expected:?} in {dose_history:?}"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn code_status_and_allergy_conflicts_are_reported() {
    let (mut a, mut b) = pair(|a| {
        apply(
            a,
            Op::AddAllergy {
                allergy: Allergy {
                    id: "al1".into(),
                    substance: "penicillin".into(),
                    ..Default::default()
                },
            },
            1,
            T0,
        )
    });
    apply(
        &mut a,
        Op::SetCodeStatus {
            status: CodeStatus::Dnr,
        },
        1,
        T0 + 1,
    );
    apply(
        &mut b,
        Op::SetCodeStatus {
            status: CodeStatus::FullCode,
        },
        2,
        T0 + 2,
    );
    apply(
        &mut a,
        Op::UpdateAllergy {
            id: "al1".into(),
            reaction: None,
            severity: Some(AllergySeverity::Severe),
            status: None,
        },
        1,
        T0 + 3,
    );
    apply(
        &mut b,
        Op::UpdateAllergy {
            id: "al1".into(),
            reaction: None,
            severity: Some(AllergySeverity::Mild),
            status: None,
        },
        2,
        T0 + 4,
    );
    exchange(&mut a, &mut b);
    let mut paths: Vec<String> = a.conflicts().unwrap().into_iter().map(|c| c.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec!["medical/allergies/al1/severity", "profile/code_status"]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_list_inserts_and_item_edits_merge_item_by_item() {
    let (mut a, mut b) = pair(|a| {
        apply(
            a,
            Op::AddGoal {
                goal: Goal {
                    id: "g1".into(),
                    description: "walk daily".into(),
                    ..Default::default()
                },
            },
            1,
            T0,
        )
    });
    apply(
        &mut a,
        Op::AddAction {
            action: CareAction {
                id: "a1".into(),
                goal_id: "g1".into(),
                description: "buy shoes".into(),
                ..Default::default()
            },
        },
        1,
        T0 + 1,
    );
    apply(
        &mut b,
        Op::AddAction {
            action: CareAction {
                id: "a2".into(),
                goal_id: "g1".into(),
                description: "find a buddy".into(),
                ..Default::default()
            },
        },
        2,
        T0 + 2,
    );
    apply(
        &mut a,
        Op::RecordProgress {
            goal_id: "g1".into(),
            entry: ProgressEntry {
                id: "p1".into(),
                date: d("2026-01-03"),
                value: "2 days".into(),
                ..Default::default()
            },
        },
        1,
        T0 + 3,
    );
    apply(
        &mut b,
        Op::RecordProgress {
            goal_id: "g1".into(),
            entry: ProgressEntry {
                id: "p2".into(),
                date: d("2026-01-04"),
                value: "3 days".into(),
                ..Default::default()
            },
        },
        2,
        T0 + 4,
    );
    apply(
        &mut b,
        Op::SetGoalStatus {
            id: "g1".into(),
            status: GoalStatus::Achieved,
        },
        2,
        T0 + 5,
    );
    exchange(&mut a, &mut b);
    let r = a.record().unwrap();
    let mut actions: Vec<&str> = r.care_plan.actions.iter().map(|x| x.id.as_str()).collect();
    actions.sort();
    assert_eq!(actions, vec!["a1", "a2"]);
    assert_eq!(r.care_plan.goals[0].progress.len(), 2);
    assert_eq!(r.care_plan.goals[0].status, GoalStatus::Achieved);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_people_editing_one_note_keep_both_words() {
    let (mut a, mut b) = pair(|a| {
        apply(
            a,
            Op::StartEncounter {
                encounter: Encounter {
                    id: "e1".into(),
                    date: d("2026-01-02"),
                    note: Narrative::new("Patient reports pain."),
                    ..Default::default()
                },
            },
            1,
            T0,
        )
    });
    let note = NarrativeTarget::EncounterNote { id: "e1".into() };
    // "Patient reports pain." -> a inserts "knee " before "pain", b appends a sentence.
    apply(
        &mut a,
        Op::EditNarrative {
            target: note.clone(),
            edit: edit(16, 0, "knee "),
        },
        1,
        T0 + 1,
    );
    apply(
        &mut b,
        Op::EditNarrative {
            target: note.clone(),
            edit: edit(21, 0, " Ice advised."),
        },
        2,
        T0 + 2,
    );
    exchange(&mut a, &mut b);
    assert_eq!(
        a.record().unwrap().encounters[0].note.as_str(),
        "Patient reports knee pain. Ice advised."
    );
    // Non-ASCII positions count characters.
    apply(
        &mut a,
        Op::EditNarrative {
            target: note.clone(),
            edit: edit(0, 7, "Paciente"),
        },
        1,
        T0 + 3,
    );
    apply(
        &mut a,
        Op::EditNarrative {
            target: note,
            edit: edit(8, 0, " (señora)"),
        },
        1,
        T0 + 4,
    );
    assert_eq!(
        a.record().unwrap().encounters[0].note.as_str(),
        "Paciente (señora) reports knee pain. Ice advised."
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn history_lists_who_changed_a_field_and_when() {
    let (mut a, mut b) = pair_on_metformin();
    apply(&mut a, dose_change("1000 mg"), 1, T0 + 10);
    apply(
        &mut a,
        Op::SetMedicationStatus {
            id: "m1".into(),
            since: None,
            reason: String::new(),
            status: MedicationStatus::OnHold,
        },
        1,
        T0 + 11,
    );
    exchange(&mut a, &mut b);
    apply(&mut b, dose_change("750 mg"), 2, T0 + 20);
    exchange(&mut a, &mut b);

    let h = a.history("medical/medications/m1/dose").unwrap();
    let seen: Vec<(&str, &str, i64, Option<&str>)> = h
        .iter()
        .map(|c| {
            (
                c.by.op.as_str(),
                c.by.user_id.as_str(),
                c.by.at,
                c.value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("add_medication", "u1", T0, Some("500 mg")),
            ("change_medication", "u1", T0 + 10, Some("1000 mg")),
            ("change_medication", "u2", T0 + 20, Some("750 mg")),
        ]
    );
    assert_eq!(b.history("medical/medications/m1/dose").unwrap(), h);
    assert_eq!(a.history("medical/medications/m1/status").unwrap().len(), 2);
    assert_eq!(a.history("name/family").unwrap()[0].by.op, "create_patient");

    // Narrative history: every edit, with the text after it.
    let note = NarrativeTarget::Section {
        section: NarrativeSection::Physical,
    };
    apply(
        &mut a,
        Op::EditNarrative {
            target: note.clone(),
            edit: edit(0, 0, "Uses cane."),
        },
        1,
        T0 + 30,
    );
    apply(
        &mut b,
        Op::EditNarrative {
            target: note,
            edit: edit(0, 0, "Frail. "),
        },
        2,
        T0 + 31,
    );
    exchange(&mut a, &mut b);
    let h = a.history("assessments/physical").unwrap();
    let users: Vec<&str> = h.iter().map(|c| c.by.user_id.as_str()).collect();
    assert_eq!(h.len(), 3, "{h:?}"); // created empty, then two edits
    assert!(users.contains(&"u2"));
    assert!(a.history("medical/medications/none/dose").is_err());
    // Odd paths are answered, never a panic.
    for odd in [
        "",
        "/",
        "medical",
        "medical/medications",
        "medical/medications/m1",
        "name/given/x",
        "profile/phones/0",
    ] {
        let _ = a.history(odd);
    }
}

/// Keeping the value the record already shows (the deterministic winner) writes no new visible
/// value, only ends the clash: history must still list that decision and who made it.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn keeping_the_shown_value_is_in_the_history() {
    let (mut a, mut b) = pair_on_metformin();
    apply(&mut a, dose_change("1000 mg"), 1, T0 + 10);
    apply(&mut b, dose_change("850 mg"), 2, T0 + 20);
    exchange(&mut a, &mut b);
    let shown = b.record().unwrap().medical.medications[0].dose.clone();
    apply(
        &mut b,
        Op::ResolveConflict {
            path: "medical/medications/m1/dose".into(),
            value: shown.clone(),
        },
        3,
        T0 + 40,
    );
    assert_eq!(b.conflict_count().unwrap(), 0);
    let last = b
        .history("medical/medications/m1/dose")
        .unwrap()
        .pop()
        .expect("history");
    assert_eq!(
        (last.value, last.by.user_id.as_str(), last.by.op.as_str()),
        (Some(shown), "u3", "resolve_conflict")
    );
}
