//! Programs, consent and time through the typed ops: what counts toward which code in which month,
//! pauses, retired and edited entries, bad input, and two devices logging time offline.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use proptest::prelude::*;
use tend_core::billing::{program_months, BillingFacts, Blocker};
use tend_core::ops::{ItemList, Op};
use tend_core::record::*;
use tend_core::rules::programs::YearMonth;
use tend_core::{DocError, PatientDoc, PatientSummary};

const NOV: YearMonth = YearMonth {
    year: 2026,
    month: 11,
};

fn enrol(id: &str, program: ProgramKind, start: &str, consent: Option<&str>) -> Op {
    Op::EnrollProgram {
        enrollment: ProgramEnrollment {
            id: id.into(),
            program,
            status: ProgramStatus::Active,
            start_date: Some(d(start)),
            consent: consent.map(|c| Consent {
                date: d(c),
                method: ConsentMethod::Verbal,
                obtained_by: "Nurse 1".into(),
                note: String::new(),
            }),
            ..Default::default()
        },
    }
}

fn minutes(id: &str, on: &str, m: u64, role: PersonRole) -> Op {
    Op::LogMinutes {
        entry: TimeEntry {
            id: id.into(),
            date: d(on),
            minutes: m,
            program: ProgramKind::Ccm,
            staff: "Nurse 1".into(),
            activity: "Phone call".into(),
            staff_role: role,
            ..Default::default()
        },
    }
}

/// Corrects a time entry's date, minutes or activity.
fn correct(id: &str, date: Option<&str>, minutes: Option<u64>, activity: Option<&str>) -> Op {
    Op::ChangeTimeEntry {
        id: id.into(),
        date: date.map(d),
        minutes,
        program: None,
        activity: activity.map(Into::into),
        staff: None,
        staff_role: None,
    }
}

/// Adds chronic conditions `(id, text)`.
fn chronic(doc: &mut PatientDoc, conditions: &[(&str, &str)]) {
    for (id, text) in conditions {
        apply(
            doc,
            Op::AddCondition {
                condition: Condition {
                    id: (*id).into(),
                    text: (*text).into(),
                    chronic: true,
                    ..Default::default()
                },
            },
            1,
            T0,
        );
    }
}

/// A CCM patient: two chronic conditions, a goal, enrolled with consent on 1 November.
fn ccm_patient() -> PatientDoc {
    let mut doc = new_patient();
    chronic(
        &mut doc,
        &[("c1", "Heart failure"), ("c2", "Type 2 diabetes")],
    );
    apply(
        &mut doc,
        Op::AddGoal {
            goal: Goal {
                id: "g1".into(),
                description: "Walk to the mailbox".into(),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    apply(
        &mut doc,
        enrol("p1", ProgramKind::Ccm, "2026-11-01", Some("2026-11-01")),
        1,
        T0,
    );
    doc
}

fn november(doc: &PatientDoc) -> tend_core::billing::ProgramMonth {
    let facts = BillingFacts::of(&doc.record().unwrap());
    let mut months = program_months(&facts, NOV);
    assert_eq!(months.len(), 1, "{months:?}");
    months.remove(0)
}

fn codes(m: &tend_core::billing::ProgramMonth) -> Vec<(&'static str, u32)> {
    m.codes.iter().map(|c| (c.code, c.units)).collect()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn logged_minutes_reach_99490_and_show_in_the_summary() {
    let mut doc = ccm_patient();
    apply(
        &mut doc,
        minutes("e1", "2026-11-03", 2, PersonRole::Nurse),
        1,
        T0,
    );
    apply(
        &mut doc,
        minutes("e2", "2026-11-30", 20, PersonRole::Nurse),
        1,
        T0,
    );
    // The first of December is another month.
    apply(
        &mut doc,
        minutes("e3", "2026-12-01", 15, PersonRole::Nurse),
        1,
        T0,
    );
    let m = november(&doc);
    assert_eq!(m.minutes_counted, 22);
    assert_eq!(codes(&m), vec![("99490", 1)]);
    assert!(m.billable());
    // The summary carries the same facts, so the report needs no document.
    let summary = doc
        .summary_on(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        .unwrap();
    assert_eq!(program_months(&summary.billing, NOV), vec![m]);
    assert_eq!(summary.minutes_this_month, 22);
    let stored = PatientSummary::from_stored(&summary.to_stored().unwrap())
        .unwrap()
        .summary();
    assert_eq!(stored.billing, summary.billing);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn retired_and_edited_entries_count_as_corrected() {
    let mut doc = ccm_patient();
    apply(
        &mut doc,
        minutes("e1", "2026-11-03", 25, PersonRole::Nurse),
        1,
        T0,
    );
    apply(
        &mut doc,
        minutes("e2", "2026-11-04", 30, PersonRole::Nurse),
        1,
        T0,
    );
    assert_eq!(november(&doc).minutes_counted, 55);
    apply(
        &mut doc,
        Op::Retire {
            list: ItemList::TimeEntries,
            id: "e2".into(),
            reason: RetireReason::EnteredInError,
            note: "logged twice".into(),
        },
        1,
        T0,
    );
    assert_eq!(november(&doc).minutes_counted, 25);
    // 25 → 15 minutes: below 99490.
    apply(
        &mut doc,
        correct("e1", None, Some(15), Some("Care plan review")),
        1,
        T0,
    );
    let m = november(&doc);
    assert_eq!(m.minutes_counted, 15);
    assert!(codes(&m).is_empty());
    assert_eq!(m.next, Some((5, "99490")));
    // Moved to December: nothing left in November.
    apply(
        &mut doc,
        correct("e1", Some("2026-12-02"), None, None),
        1,
        T0,
    );
    assert_eq!(november(&doc).minutes_logged, 0);
    let r = doc.record().unwrap();
    assert_eq!(r.time_log[0].activity, "Care plan review");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn paused_days_before_consent_and_non_billing_roles_do_not_count() {
    let mut doc = new_patient();
    chronic(&mut doc, &[("c1", "COPD"), ("c2", "CKD stage 3")]);
    apply(
        &mut doc,
        Op::AddNeed {
            need: Need {
                id: "n1".into(),
                description: "Breathless on stairs".into(),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    apply(
        &mut doc,
        enrol("p1", ProgramKind::Ccm, "2026-11-01", None),
        1,
        T0,
    );
    apply(
        &mut doc,
        minutes("before", "2026-11-02", 5, PersonRole::Nurse),
        1,
        T0,
    );
    apply(
        &mut doc,
        Op::RecordConsent {
            program_id: "p1".into(),
            consent: Consent {
                date: d("2026-11-05"),
                method: ConsentMethod::Written,
                obtained_by: "Nurse 1".into(),
                note: String::new(),
            },
        },
        1,
        T0,
    );
    let status = |status: ProgramStatus, on: &str, id: &str| Op::SetProgramStatus {
        program_id: "p1".into(),
        status,
        date: Some(d(on)),
        reason: "Patient travelling".into(),
        change_id: id.into(),
    };
    apply(
        &mut doc,
        status(ProgramStatus::Paused, "2026-11-10", "s1"),
        1,
        T0,
    );
    apply(
        &mut doc,
        status(ProgramStatus::Active, "2026-11-20", "s2"),
        1,
        T0 + 1,
    );
    apply(
        &mut doc,
        minutes("ok1", "2026-11-06", 12, PersonRole::Nurse),
        1,
        T0,
    );
    apply(
        &mut doc,
        minutes("paused", "2026-11-12", 30, PersonRole::Nurse),
        1,
        T0,
    );
    apply(
        &mut doc,
        minutes("ok2", "2026-11-20", 9, PersonRole::CareManager),
        1,
        T0,
    );
    apply(
        &mut doc,
        minutes("chw", "2026-11-21", 7, PersonRole::CommunityHealthWorker),
        1,
        T0,
    );
    let m = november(&doc);
    assert_eq!(m.minutes_logged, 5 + 12 + 30 + 9 + 7);
    assert_eq!(m.minutes_counted, 21);
    assert_eq!(codes(&m), vec![("99490", 1)]);
    assert!(m.billable());
    assert_eq!(
        m.blockers,
        vec![
            Blocker::NonBillingRole { minutes: 7 },
            Blocker::NotEnrolled { minutes: 30 },
            Blocker::BeforeConsent { minutes: 5 },
        ]
    );
    let r = doc.record().unwrap();
    let changes = &r.programs[0].status_changes;
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].reason, "Patient travelling");
    assert_eq!(r.programs[0].status, ProgramStatus::Active);

    // Ending the program: later time does not count; the end reason is kept.
    apply(
        &mut doc,
        Op::SetProgramStatus {
            program_id: "p1".into(),
            status: ProgramStatus::Ended,
            date: Some(d("2026-11-25")),
            reason: "Moved to hospice".into(),
            change_id: "s3".into(),
        },
        1,
        T0 + 2,
    );
    apply(
        &mut doc,
        minutes("late", "2026-11-26", 40, PersonRole::Nurse),
        1,
        T0,
    );
    let m = november(&doc);
    assert_eq!(m.minutes_counted, 21);
    assert!(m.blockers.contains(&Blocker::NotEnrolled { minutes: 70 }));
    assert_eq!(
        doc.record().unwrap().programs[0].end_reason,
        "Moved to hospice"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn complex_months_are_marked_per_month() {
    let mut doc = ccm_patient();
    apply(
        &mut doc,
        minutes("e1", "2026-11-03", 65, PersonRole::Nurse),
        1,
        T0,
    );
    assert_eq!(codes(&november(&doc)), vec![("99490", 1), ("99439", 2)]);
    let complex = |on: bool| Op::SetComplexMonth {
        program_id: "p1".into(),
        month: "2026-11".into(),
        complex: on,
    };
    apply(&mut doc, complex(true), 1, T0);
    apply(&mut doc, complex(true), 1, T0);
    assert_eq!(
        doc.record().unwrap().programs[0].complex_months,
        vec!["2026-11"]
    );
    assert_eq!(codes(&november(&doc)), vec![("99487", 1)]);
    apply(&mut doc, complex(false), 1, T0);
    assert_eq!(codes(&november(&doc)), vec![("99490", 1), ("99439", 2)]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bad_time_and_program_input_changes_nothing() {
    let mut doc = ccm_patient();
    apply(
        &mut doc,
        minutes("e1", "2026-11-03", 25, PersonRole::Nurse),
        1,
        T0,
    );
    let before = doc.record().unwrap();
    let heads = doc.heads();
    let bad = [
        minutes("zero", "2026-11-03", 0, PersonRole::Nurse),
        minutes("day", "2026-11-03", 1441, PersonRole::Nurse),
        Op::LogMinutes {
            entry: TimeEntry {
                id: "date".into(),
                date: IsoDate("2026-02-30".into()),
                minutes: 5,
                ..Default::default()
            },
        },
        minutes("e1", "2026-11-03", 5, PersonRole::Nurse),
        correct("e1", None, Some(0), None),
        correct("missing", None, Some(5), None),
        Op::SetComplexMonth {
            program_id: "p1".into(),
            month: "November".into(),
            complex: true,
        },
        Op::SetProgramStatus {
            program_id: "missing".into(),
            status: ProgramStatus::Paused,
            date: Some(d("2026-11-10")),
            reason: String::new(),
            change_id: "x".into(),
        },
    ];
    for op in bad {
        let name = format!("{op:?}");
        let err = doc.apply(op, &author(1), T0).unwrap_err();
        assert!(
            matches!(err, DocError::Invalid(_) | DocError::NotFound(_)),
            "{name}: {err:?}"
        );
    }
    assert_eq!(doc.record().unwrap(), before);
    assert_eq!(doc.heads(), heads);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_devices_log_time_offline_and_every_minute_counts_once() {
    let (mut a, mut b) = pair(|a| {
        let mut doc = ccm_patient();
        std::mem::swap(a, &mut doc);
        apply(
            a,
            minutes("shared", "2026-11-02", 10, PersonRole::Nurse),
            1,
            T0,
        );
    });
    apply(
        &mut a,
        minutes("a1", "2026-11-03", 7, PersonRole::Nurse),
        1,
        T0,
    );
    apply(
        &mut b,
        minutes("b1", "2026-11-04", 8, PersonRole::Nurse),
        2,
        T0,
    );
    // Both correct the shared entry: one entry, last writer's minutes, never counted twice.
    let change = |m| correct("shared", None, Some(m), None);
    apply(&mut a, change(12), 1, T0 + 5);
    apply(&mut b, change(12), 2, T0 + 6);
    exchange(&mut a, &mut b);
    let m = november(&a);
    assert_eq!(m.minutes_counted, 12 + 7 + 8);
    assert_eq!(codes(&m), vec![("99490", 1)]);
    assert_eq!(a.record().unwrap().time_log.len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whatever each device logs offline, after the exchange both count the sum of both.
    #[test]
    fn offline_time_on_two_devices_sums(
        on_a in proptest::collection::vec((1u32..=30, 1u64..=120), 0..8),
        on_b in proptest::collection::vec((1u32..=30, 1u64..=120), 0..8),
    ) {
        let (mut a, mut b) = pair(|a| {
            let mut doc = ccm_patient();
            std::mem::swap(a, &mut doc);
        });
        for (i, (day, m)) in on_a.iter().enumerate() {
            apply(&mut a, minutes(&format!("a{i}"), &format!("2026-11-{day:02}"), *m, PersonRole::Nurse), 1, T0);
        }
        for (i, (day, m)) in on_b.iter().enumerate() {
            apply(&mut b, minutes(&format!("b{i}"), &format!("2026-11-{day:02}"), *m, PersonRole::Nurse), 2, T0);
        }
        exchange(&mut a, &mut b);
        let expected: u64 = on_a.iter().chain(on_b.iter()).map(|(_, m)| m).sum();
        let fa = BillingFacts::of(&a.record().unwrap());
        let fb = BillingFacts::of(&b.record().unwrap());
        prop_assert_eq!(&fa, &fb);
        let counted: u32 = program_months(&fa, NOV).iter().map(|m| m.minutes_counted).sum();
        prop_assert_eq!(u64::from(counted), expected);
    }
}
