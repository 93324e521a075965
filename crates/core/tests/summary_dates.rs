//! The caseload summary as Today reads it: every open dated item (not only the earliest), and the
//! day its dated fields are as of, so a summary made on an earlier day is recomputed.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use chrono::NaiveDate;
use common::*;
use tend_core::ops::Op;
use tend_core::record::*;
use tend_core::PatientSummary;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test day")
}

fn follow_up(id: &str, due: &str, reason: &str) -> Op {
    Op::ScheduleFollowUp {
        follow_up: FollowUp {
            id: id.into(),
            due: d(due),
            reason: reason.into(),
            ..Default::default()
        },
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn every_open_dated_item_is_listed_earliest_first_and_done_ones_leave() {
    let mut doc = new_patient();
    apply(
        &mut doc,
        follow_up("f-today", "2026-03-10", "Check blood pressure log"),
        1,
        T0,
    );
    apply(
        &mut doc,
        follow_up("f-late", "2026-03-08", "Call about refill"),
        1,
        T0 + 1,
    );
    apply(
        &mut doc,
        follow_up("f-later", "2026-03-20", "Home visit"),
        1,
        T0 + 2,
    );
    let s = doc.summary_on(day("2026-03-10")).unwrap();
    let listed: Vec<(&str, &str)> = s
        .due_items
        .iter()
        .map(|i| (i.id.as_str(), i.date.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("f-late", "2026-03-08"),
            ("f-today", "2026-03-10"),
            ("f-later", "2026-03-20")
        ]
    );
    // The earliest is still `next_due`, so an overdue item no longer hides the one due today.
    assert_eq!(s.next_due.as_ref().map(|i| i.id.as_str()), Some("f-late"));
    assert!(s.flags.iter().any(|f| f == "overdue"));

    apply(
        &mut doc,
        Op::CompleteFollowUp {
            id: "f-late".into(),
            completed_on: d("2026-03-10"),
            outcome: "Refill sent".into(),
            symptom_review: String::new(),
        },
        1,
        T0 + 3,
    );
    let s = doc.summary_on(day("2026-03-10")).unwrap();
    let ids: Vec<&str> = s.due_items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["f-today", "f-later"]);
    assert!(!s.flags.iter().any(|f| f == "overdue"));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_summary_knows_the_day_it_is_as_of() {
    let doc = new_patient();
    let undated = doc.summary().unwrap();
    assert_eq!(undated.as_of, None);
    assert!(undated.dated_before(day("2026-03-10")));

    let s = doc.summary_on(day("2026-03-10")).unwrap();
    assert_eq!(s.as_of.as_deref(), Some("2026-03-10"));
    assert!(!s.dated_before(day("2026-03-10")));
    assert!(!s.dated_before(day("2026-03-09")));
    assert!(s.dated_before(day("2026-03-11")));
    // A new patient has a tier as of the day it was made (the chart's rule), not "not assessed".
    assert!(s.risk_tier.is_some());
    let stored = PatientSummary::from_stored(&s.to_stored().unwrap())
        .unwrap()
        .summary();
    assert_eq!(stored, s);
}
