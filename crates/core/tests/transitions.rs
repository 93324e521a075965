//! Transitions of care through the typed ops: admission, discharge, contact attempts, the visit,
//! LACE overrides; bad input changes nothing; two devices offline merge to the same TCM state.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use chrono::NaiveDate;
use common::*;
use tend_core::ops::{Op, TransitionList};
use tend_core::record::*;
use tend_core::summary::Stored;
use tend_core::transitions::{tcm_state, TcmState, TcmStepKind};
use tend_core::{DocError, PatientSummary};

const T1: i64 = T0 + 1_000;

fn admit(id: &str, on: &str) -> Op {
    Op::RecordTransition {
        transition: Transition {
            id: id.into(),
            facility: "Springfield General".into(),
            admitted_on: Some(d(on)),
            reason: "CHF exacerbation".into(),
            setting: CareSetting::Inpatient,
            emergent: true,
            ..Default::default()
        },
    }
}

fn discharge(id: &str, on: &str, disposition: Disposition) -> Op {
    Op::UpdateTransition {
        id: id.into(),
        changes: tend_core::TransitionChanges {
            discharged_on: Some(d(on)),
            disposition: Some(disposition),
            status: Some(TransitionStatus::Discharged),
            discharge_summary_received: Some(true),
            complexity: Some(DecisionComplexity::High),
            ..Default::default()
        },
    }
}

fn attempt(transition: &str, id: &str, on: &str, outcome: ContactOutcome) -> Op {
    Op::LogContactAttempt {
        transition_id: transition.into(),
        attempt: ContactAttempt {
            id: id.into(),
            date: d(on),
            method: ContactMethod::Phone,
            outcome,
            note: String::new(),
            ..Default::default()
        },
    }
}

fn day(s: &str) -> NaiveDate {
    d(s).date().unwrap()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn admission_discharge_and_tcm_work_are_recorded_and_summarised() {
    let mut doc = new_patient();
    apply(&mut doc, admit("t1", "2026-11-28"), 1, T0);
    let s = PatientSummary::of_on(&doc.record().unwrap(), Some(day("2026-11-30")));
    assert!(s.flags.contains(&"in_hospital".to_string()));
    assert!(s.transition_steps.is_empty());

    apply(
        &mut doc,
        discharge("t1", "2026-12-02", Disposition::Home),
        1,
        T0,
    );
    apply(
        &mut doc,
        Op::AddDischargeMedication {
            transition_id: "t1".into(),
            medication: DischargeMedication {
                id: "dm1".into(),
                name: "Furosemide".into(),
                dose: "40 mg".into(),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    apply(
        &mut doc,
        attempt("t1", "a1", "2026-12-03", ContactOutcome::NoAnswer),
        1,
        T0,
    );
    let r = doc.record().unwrap();
    let t = &r.transitions[0];
    assert_eq!(t.disposition, Disposition::Home);
    assert!(t.discharge_summary_received);
    assert_eq!(t.discharge_medications[0].recorded.user_id, "u1");
    assert_eq!(t.contact_attempts.len(), 1);
    // Wednesday 2 Dec 2026: contact by Friday 4, visit (high) by Wednesday 9.
    let s = PatientSummary::of_on(&r, Some(day("2026-12-03")));
    assert!(!s.flags.contains(&"in_hospital".to_string()));
    let steps: Vec<(&str, &str)> = s
        .transition_steps
        .iter()
        .map(|i| (i.kind.as_str(), i.date.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("tcm_contact", "2026-12-04"),
            ("tcm_visit", "2026-12-09"),
            ("tcm_med_rec", "2026-12-09")
        ]
    );
    assert!(s.risk_reasons.iter().any(|r| r.contains("Discharged")));

    // The visit is done; the summary keeps only what is still open.
    apply(
        &mut doc,
        attempt("t1", "a2", "2026-12-03", ContactOutcome::Reached),
        1,
        T0,
    );
    apply(
        &mut doc,
        Op::UpdateTransition {
            id: "t1".into(),
            changes: tend_core::TransitionChanges {
                face_to_face_on: Some(d("2026-12-05")),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    let s = PatientSummary::of_on(&doc.record().unwrap(), Some(day("2026-12-05")));
    let kinds: Vec<&str> = s.transition_steps.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, vec!["tcm_med_rec"]);
    assert_eq!(s.transition_steps[0].date, "2026-12-05", "due by the visit");

    // A contact attempt logged in error is retired and no longer counts.
    apply(
        &mut doc,
        Op::RetireTransitionItem {
            transition_id: "t1".into(),
            list: TransitionList::ContactAttempts,
            id: "a2".into(),
            reason: RetireReason::EnteredInError,
            note: "wrong patient".into(),
        },
        1,
        T0,
    );
    let r = doc.record().unwrap();
    match tcm_state(&r, &r.transitions[0], day("2026-12-05")) {
        TcmState::Clock(c) => assert!(c.open_steps().any(|s| s.kind == TcmStepKind::Contact)),
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bad_transition_input_is_rejected_and_changes_nothing() {
    let mut doc = new_patient();
    apply(&mut doc, admit("t1", "2026-11-28"), 1, T0);
    let before = doc.record().unwrap();
    let heads = doc.heads();
    let bad = vec![
        Op::SetLaceOverride {
            transition_id: "t1".into(),
            part: LaceOverride {
                id: "length_of_stay".into(),
                points: 8,
                reason: "too many".into(),
                ..Default::default()
            },
        },
        Op::SetLaceOverride {
            transition_id: "t1".into(),
            part: LaceOverride {
                id: "charm".into(),
                points: 1,
                reason: "no such part".into(),
                ..Default::default()
            },
        },
        Op::SetLaceOverride {
            transition_id: "t1".into(),
            part: LaceOverride {
                id: "acuity".into(),
                points: 0,
                reason: "  ".into(),
                ..Default::default()
            },
        },
        Op::LogContactAttempt {
            transition_id: "t1".into(),
            attempt: ContactAttempt {
                id: "a1".into(),
                date: IsoDate("yesterday".into()),
                ..Default::default()
            },
        },
        attempt("missing", "a1", "2026-12-01", ContactOutcome::Reached),
        Op::AddDischargeMedication {
            transition_id: "t1".into(),
            medication: DischargeMedication {
                id: "dm".into(),
                name: " ".into(),
                ..Default::default()
            },
        },
        Op::ChangeTransition {
            id: "t1".into(),
            facility: Some("".into()),
            admitted_on: None,
            reason: None,
            setting: None,
            emergent: None,
        },
        Op::RetireTransitionItem {
            transition_id: "t1".into(),
            list: TransitionList::ContactAttempts,
            id: "nope".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
    ];
    for op in bad {
        let name = format!("{op:?}");
        let result = doc.apply(op, &author(1), T1);
        assert!(
            matches!(
                result,
                Err(DocError::Invalid(_)) | Err(DocError::NotFound(_))
            ),
            "{name}: {result:?}"
        );
        assert_eq!(doc.heads(), heads, "{name} changed the document");
    }
    assert_eq!(doc.record().unwrap(), before);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_lace_override_replaces_the_earlier_one_of_its_part() {
    let mut doc = new_patient();
    apply(&mut doc, admit("t1", "2026-11-20"), 1, T0);
    apply(
        &mut doc,
        discharge("t1", "2026-11-25", Disposition::Home),
        1,
        T0,
    );
    for (points, reason) in [
        (4, "two ED visits elsewhere"),
        (2, "one was a clinic visit"),
    ] {
        apply(
            &mut doc,
            Op::SetLaceOverride {
                transition_id: "t1".into(),
                part: LaceOverride {
                    id: "ed_visits".into(),
                    points,
                    reason: reason.into(),
                    ..Default::default()
                },
            },
            1,
            T0,
        );
    }
    let r = doc.record().unwrap();
    assert_eq!(r.transitions[0].lace_overrides.len(), 1);
    let lace = tend_core::transitions::derive_lace(&r, &r.transitions[0]).unwrap();
    // 5 days → 4, emergent → 3, no Charlson conditions → 0, override → 2.
    assert_eq!(lace.total, 9);
    assert_eq!(
        lace.parts[3].overridden,
        Some((2, "one was a clinic visit".to_string()))
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_devices_offline_merge_to_the_same_tcm_state() {
    let (mut a, mut b) = pair(|a| {
        apply(a, admit("t1", "2026-11-28"), 1, T0);
        apply(
            a,
            discharge("t1", "2026-12-02", Disposition::HomeHealth),
            1,
            T0,
        );
    });
    // Device A: one unsuccessful call. Device B: another unsuccessful call and the visit.
    apply(
        &mut a,
        attempt("t1", "a1", "2026-12-03", ContactOutcome::NoAnswer),
        1,
        T1,
    );
    apply(
        &mut b,
        attempt("t1", "b1", "2026-12-04", ContactOutcome::LeftMessage),
        2,
        T1,
    );
    apply(
        &mut b,
        Op::UpdateTransition {
            id: "t1".into(),
            changes: tend_core::TransitionChanges {
                face_to_face_on: Some(d("2026-12-08")),
                medication_reconciled_on: Some(d("2026-12-08")),
                reconciled_by: Some("Nurse 2".into()),
                ..Default::default()
            },
        },
        2,
        T1,
    );
    exchange(&mut a, &mut b);
    let r = a.record().unwrap();
    assert_eq!(r.transitions[0].contact_attempts.len(), 2);
    match tcm_state(&r, &r.transitions[0], day("2026-12-10")) {
        TcmState::Clock(c) => {
            // Two timely unsuccessful attempts (one per device) meet the contact requirement.
            assert!(c.status.contact_met_by_attempts);
            assert_eq!(c.open_steps().count(), 0);
            assert_eq!(c.status.supported_code, Some("99496"));
        }
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_summary_stored_before_transition_steps_reads_as_outdated() {
    let mut doc = new_patient();
    apply(&mut doc, admit("t1", "2026-11-28"), 1, T0);
    let mut s = PatientSummary::of_on(&doc.record().unwrap(), Some(day("2026-11-30")));
    assert!(s.transition_steps.is_empty());
    s.billing = Default::default();
    s.due_items.clear();
    s.as_of = None;
    // Version 6 is version 7 without the due items and the day (empty: two 0 bytes); version 5
    // is version 6 without the care team (empty: three 0 bytes); version 4 is version
    // 5 without the trailing coordination facts (empty: two 0 bytes);
    // version 3 is version 4 without the trailing billing facts (empty: four 0 bytes); version 2
    // is version 3 without the trailing (empty) list: postcard writes it as one 0 byte.
    let mut v2 = s.to_stored().unwrap();
    for _ in 0..5 {
        assert_eq!(v2.pop(), Some(0));
    }
    for _ in 0..2 {
        assert_eq!(v2.pop(), Some(0));
    }
    v2[0] = 4;
    assert_eq!(
        PatientSummary::from_stored(&v2),
        Ok(Stored::Outdated(s.clone()))
    );
    for _ in 0..4 {
        assert_eq!(v2.pop(), Some(0));
    }
    v2[0] = 3;
    assert_eq!(
        PatientSummary::from_stored(&v2),
        Ok(Stored::Outdated(s.clone()))
    );
    assert_eq!(v2.pop(), Some(0));
    v2[0] = 2;
    assert_eq!(
        PatientSummary::from_stored(&v2),
        Ok(Stored::Outdated(s.clone()))
    );
    v2.push(7);
    assert!(PatientSummary::from_stored(&v2).is_err());
}
