//! The PHQ-9 safety flag's workflow: an item-9-positive PHQ-9 opens the flag; someone acknowledges
//! it; a safety assessment of that response closes it (it leaves the summary flags and the risk
//! reasons stop asking for same-day follow-up) while staying in the record and its history; a new
//! positive PHQ-9 opens a new flag; refused ops change nothing; concurrent assessments merge.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use chrono::NaiveDate;
use common::*;
use tend_core::assess::{self, SafetyFlag};
use tend_core::ops::{ItemList, Op};
use tend_core::record::*;
use tend_core::rules::{self, risk::SAFETY_FLAG_REASON, Flag, Instrument};
use tend_core::{DocError, PatientDoc, PatientSummary};

const SAFETY_RISK: &str = "safety_risk";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).expect("date")
}

/// A PHQ-9 response built by core (item ids and total), items 1-8 "several days" and item 9 as
/// given.
fn phq9(id: &str, date: &str, item9: u32) -> InstrumentResponse {
    let mut answers: Vec<rules::Answer> = (0..8).map(|_| rules::Answer::Choice(1)).collect();
    answers.push(rules::Answer::Choice(item9));
    let (response, _) = assess::instrument_response(
        Instrument::Phq9,
        &answers,
        id.into(),
        d(date),
        "Nurse 1".into(),
    )
    .expect("valid PHQ-9");
    response
}

fn record_phq9(doc: &mut PatientDoc, id: &str, date: &str, item9: u32, at: i64) {
    apply(
        doc,
        Op::RecordInstrument {
            response: phq9(id, date, item9),
        },
        1,
        at,
    );
}

fn assessment(id: &str, response_id: &str, risk: SafetyRiskLevel) -> SafetyAssessment {
    SafetyAssessment {
        id: id.into(),
        response_id: response_id.into(),
        date: d("2026-12-07"),
        assessed_by: "Dr. Lee Kim, LCSW".into(),
        risk_level: risk,
        crisis_line_given: true,
        plan: "Safety plan reviewed; means restriction discussed; call back tomorrow.".into(),
        ..Default::default()
    }
}

fn record_assessment(doc: &mut PatientDoc, a: SafetyAssessment, who: u32, at: i64) {
    apply(doc, Op::RecordSafetyAssessment { assessment: a }, who, at);
}

fn summary(doc: &PatientDoc) -> PatientSummary {
    doc.summary_on(today()).expect("summary")
}

/// The risk reasons that speak of PHQ-9.
fn phq9_reasons(s: &PatientSummary) -> Vec<String> {
    s.risk_reasons
        .iter()
        .filter(|r| r.contains("PHQ-9"))
        .cloned()
        .collect()
}

/// A patient whose PHQ-9 `phq-1` (2026-12-07) has item 9 positive.
fn flagged_patient() -> PatientDoc {
    let mut doc = new_patient();
    record_phq9(&mut doc, "phq-1", "2026-12-07", 2, T0 + DAY_MS);
    doc
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_open_flag_is_acknowledged_then_closed_by_its_safety_assessment() {
    let mut doc = flagged_patient();
    let r = doc.record().unwrap();
    assert_eq!(
        assess::open_safety_flag(&r).map(|p| p.id.as_str()),
        Some("phq-1")
    );
    assert!(assess::instrument_flags(&r).contains(&Flag::SafetyRisk));
    let s = summary(&doc);
    assert!(s.flags.contains(&SAFETY_RISK.to_string()), "{:?}", s.flags);
    assert_eq!(s.risk_tier.as_deref(), Some("very_high"));
    // The reason is given once, and asks for the same-day assessment.
    assert_eq!(phq9_reasons(&s), vec![SAFETY_FLAG_REASON.to_string()]);

    // Acknowledged by Nurse 2: the flag stays open, showing who took it and when.
    apply(
        &mut doc,
        Op::AcknowledgeSafetyFlag {
            response_id: "phq-1".into(),
        },
        2,
        T0 + DAY_MS + 60_000,
    );
    let r = doc.record().unwrap();
    match assess::safety_flag(&r) {
        Some(SafetyFlag::Open {
            response,
            acknowledged: Some(by),
        }) => {
            assert_eq!(response.id, "phq-1");
            assert_eq!(by.user_name, "Nurse 2");
            assert_eq!(by.at, T0 + DAY_MS + 60_000);
        }
        other => panic!("expected an acknowledged open flag, got {other:?}"),
    }
    assert!(summary(&doc).flags.contains(&SAFETY_RISK.to_string()));
    // Acknowledging again keeps the first acknowledgement.
    apply(
        &mut doc,
        Op::AcknowledgeSafetyFlag {
            response_id: "phq-1".into(),
        },
        3,
        T0 + DAY_MS + 120_000,
    );
    assert_eq!(doc.record().unwrap(), r);

    // The safety assessment closes it. A stamp sent by the caller is replaced by the author's.
    let mut sa = assessment("sa-1", "phq-1", SafetyRiskLevel::Low);
    sa.recorded.user_name = "Someone else".into();
    sa.assessed_by = "  Dr. Lee Kim, LCSW ".into();
    record_assessment(&mut doc, sa, 3, T0 + DAY_MS + 180_000);
    let r = doc.record().unwrap();
    assert_eq!(assess::open_safety_flag(&r), None);
    let Some(SafetyFlag::Addressed {
        response,
        assessment,
    }) = assess::safety_flag(&r)
    else {
        panic!("expected the flag addressed");
    };
    assert_eq!(response.id, "phq-1");
    assert_eq!(assessment.id, "sa-1");
    assert_eq!(assessment.assessed_by, "Dr. Lee Kim, LCSW");
    assert_eq!(assessment.risk_level, SafetyRiskLevel::Low);
    assert!(assessment.crisis_line_given);
    assert_eq!(assessment.recorded.user_name, "Nurse 3");
    assert_eq!(assessment.recorded.at, T0 + DAY_MS + 180_000);
    assert!(!assess::instrument_flags(&r).contains(&Flag::SafetyRisk));
    // The patient keeps the crisis line on the handout.
    assert!(assess::latest_safety_response(&r).is_some());

    let s = summary(&doc);
    assert!(!s.flags.contains(&SAFETY_RISK.to_string()), "{:?}", s.flags);
    assert_eq!(
        phq9_reasons(&s),
        vec!["PHQ-9 item 9 positive; safety assessed 2026-12-07 (risk: low)".to_string()]
    );
    assert!(s.risk_reasons.iter().all(|r| !r.contains("same-day")));
    // Assessed low risk and nothing else: one factor, no longer forced to the top.
    assert_eq!(s.risk_tier.as_deref(), Some("moderate"));

    // Still in the record after a reload, and in the history with who and when.
    let bytes = doc.save();
    let mut reloaded = PatientDoc::load(&bytes).unwrap();
    assert_eq!(reloaded.record().unwrap(), r);
    let history = reloaded
        .history("assessments/safety_assessments/sa-1/risk_level")
        .unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].value.as_deref(), Some("low"));
    assert_eq!(history[0].by.user_name, "Nurse 3");
    assert_eq!(history[0].by.op, "record_safety_assessment");
    assert_eq!(history[0].by.at, T0 + DAY_MS + 180_000);
    let acks = reloaded
        .history("assessments/responses/phq-1/safety_acknowledged")
        .unwrap();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].by.user_name, "Nurse 2");
    assert_eq!(acks[0].by.op, "acknowledge_safety_flag");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_high_risk_assessment_keeps_the_tier_very_high() {
    let mut doc = flagged_patient();
    record_assessment(
        &mut doc,
        assessment("sa-1", "phq-1", SafetyRiskLevel::Imminent),
        1,
        T0 + 2 * DAY_MS,
    );
    let s = summary(&doc);
    assert!(!s.flags.contains(&SAFETY_RISK.to_string()));
    assert_eq!(s.risk_tier.as_deref(), Some("very_high"));
    assert_eq!(
        phq9_reasons(&s),
        vec!["PHQ-9 item 9 positive; safety assessed 2026-12-07 (risk: imminent)".to_string()]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn refused_safety_ops_change_nothing() {
    let mut doc = flagged_patient();
    // phq-0: item 9 "not at all" — no flag.
    record_phq9(&mut doc, "phq-0", "2026-12-01", 0, T0);
    let before = doc.record().unwrap();
    let heads = doc.heads();

    let refused = |doc: &mut PatientDoc, op: Op| {
        let name = format!("{op:?}");
        let result = doc.apply(op, &author(2), T0 + 5 * DAY_MS);
        assert!(result.is_err(), "{name} was accepted");
        result.err()
    };
    let not_flagged = refused(
        &mut doc,
        Op::RecordSafetyAssessment {
            assessment: assessment("sa-x", "phq-0", SafetyRiskLevel::Low),
        },
    );
    assert!(
        matches!(not_flagged, Some(DocError::Invalid(_))),
        "{not_flagged:?}"
    );
    let missing = refused(
        &mut doc,
        Op::RecordSafetyAssessment {
            assessment: assessment("sa-x", "no-such-response", SafetyRiskLevel::Low),
        },
    );
    assert!(
        matches!(missing, Some(DocError::NotFound(_))),
        "{missing:?}"
    );
    assert!(matches!(
        refused(
            &mut doc,
            Op::AcknowledgeSafetyFlag {
                response_id: "phq-0".into()
            }
        ),
        Some(DocError::Invalid(_))
    ));
    // Incomplete assessments of the flagged response are refused too.
    let incomplete = [
        SafetyAssessment {
            risk_level: SafetyRiskLevel::NotRecorded,
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
        SafetyAssessment {
            risk_level: SafetyRiskLevel::Other("unsure".into()),
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
        SafetyAssessment {
            assessed_by: "  ".into(),
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
        SafetyAssessment {
            plan: String::new(),
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
        SafetyAssessment {
            date: IsoDate("tomorrow".into()),
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
        // Before the PHQ-9 that raised the flag.
        SafetyAssessment {
            date: d("2026-12-06"),
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
        SafetyAssessment {
            id: String::new(),
            ..assessment("sa-x", "phq-1", SafetyRiskLevel::Low)
        },
    ];
    for a in incomplete {
        let e = refused(&mut doc, Op::RecordSafetyAssessment { assessment: a });
        assert!(matches!(e, Some(DocError::Invalid(_))), "{e:?}");
    }
    assert_eq!(doc.heads(), heads, "no change was written");
    assert_eq!(doc.record().unwrap(), before);
    assert!(assess::open_safety_flag(&before).is_some());

    // A removed response can no longer be assessed.
    apply(
        &mut doc,
        Op::Retire {
            list: ItemList::InstrumentResponses,
            id: "phq-1".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
        1,
        T0 + 6 * DAY_MS,
    );
    let after_retire = doc.record().unwrap();
    assert_eq!(
        assess::safety_flag(&after_retire),
        None,
        "phq-0 is now the latest"
    );
    let e = refused(
        &mut doc,
        Op::RecordSafetyAssessment {
            assessment: assessment("sa-x", "phq-1", SafetyRiskLevel::Low),
        },
    );
    assert!(matches!(e, Some(DocError::Invalid(_))), "{e:?}");
    assert_eq!(doc.record().unwrap(), after_retire);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_new_positive_phq9_reopens_the_flag_and_a_removed_assessment_reopens_it_too() {
    let mut doc = flagged_patient();
    record_assessment(
        &mut doc,
        assessment("sa-1", "phq-1", SafetyRiskLevel::Low),
        1,
        T0 + 2 * DAY_MS,
    );
    assert_eq!(assess::open_safety_flag(&doc.record().unwrap()), None);

    // Two weeks later item 9 is positive again: a new open flag, for the new response.
    record_phq9(&mut doc, "phq-2", "2026-12-21", 1, T0 + 20 * DAY_MS);
    let r = doc.record().unwrap();
    assert_eq!(
        assess::open_safety_flag(&r).map(|p| p.id.as_str()),
        Some("phq-2")
    );
    assert!(matches!(
        assess::safety_flag(&r),
        Some(SafetyFlag::Open {
            acknowledged: None,
            ..
        })
    ));
    let later = NaiveDate::from_ymd_opt(2026, 12, 21).unwrap();
    let s = doc.summary_on(later).unwrap();
    assert!(s.flags.contains(&SAFETY_RISK.to_string()));
    assert_eq!(phq9_reasons(&s), vec![SAFETY_FLAG_REASON.to_string()]);
    // The earlier assessment is kept.
    assert_eq!(r.assessments.safety_assessments.len(), 1);
    assert_eq!(assess::safety_assessments_of(&r, "phq-1").len(), 1);

    // Assessing phq-2 closes it; removing that assessment (entered in error) reopens it.
    record_assessment(
        &mut doc,
        SafetyAssessment {
            date: d("2026-12-21"),
            ..assessment("sa-2", "phq-2", SafetyRiskLevel::Moderate)
        },
        1,
        T0 + 21 * DAY_MS,
    );
    assert!(!doc
        .summary_on(later)
        .unwrap()
        .flags
        .contains(&SAFETY_RISK.to_string()));
    apply(
        &mut doc,
        Op::Retire {
            list: ItemList::SafetyAssessments,
            id: "sa-2".into(),
            reason: RetireReason::EnteredInError,
            note: "wrong patient".into(),
        },
        1,
        T0 + 22 * DAY_MS,
    );
    let r = doc.record().unwrap();
    assert_eq!(
        assess::open_safety_flag(&r).map(|p| p.id.as_str()),
        Some("phq-2")
    );

    // A later PHQ-9 with item 9 "not at all": no safety flag, no PHQ-9 reason.
    record_phq9(&mut doc, "phq-3", "2027-01-04", 0, T0 + 30 * DAY_MS);
    let r = doc.record().unwrap();
    assert_eq!(assess::safety_flag(&r), None);
    let s = doc
        .summary_on(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap())
        .unwrap();
    assert!(!s.flags.contains(&SAFETY_RISK.to_string()));
    assert!(phq9_reasons(&s).is_empty(), "{:?}", s.risk_reasons);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_acknowledgements_and_assessments_from_two_devices_merge() {
    let (mut a, mut b) = pair(|doc| record_phq9(doc, "phq-1", "2026-12-07", 3, T0 + DAY_MS));
    for (doc, who) in [(&mut a, 1), (&mut b, 2)] {
        apply(
            doc,
            Op::AcknowledgeSafetyFlag {
                response_id: "phq-1".into(),
            },
            who,
            T0 + DAY_MS + i64::from(who),
        );
    }
    record_assessment(
        &mut a,
        assessment("sa-a", "phq-1", SafetyRiskLevel::Moderate),
        1,
        T0 + DAY_MS + 100,
    );
    record_assessment(
        &mut b,
        SafetyAssessment {
            assessed_by: "Dr. Ana Ortiz, MD".into(),
            ..assessment("sa-b", "phq-1", SafetyRiskLevel::High)
        },
        2,
        T0 + DAY_MS + 200,
    );
    exchange(&mut a, &mut b);
    for doc in [&a, &b] {
        let r = doc.record().unwrap();
        let mut ids: Vec<&str> = r
            .assessments
            .safety_assessments
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        ids.sort();
        assert_eq!(ids, vec!["sa-a", "sa-b"], "both assessments are kept");
        assert_eq!(assess::open_safety_flag(&r), None);
        // Shown: the later-recorded one (same day).
        match assess::safety_flag(&r) {
            Some(SafetyFlag::Addressed { assessment, .. }) => assert_eq!(assessment.id, "sa-b"),
            other => panic!("expected addressed, got {other:?}"),
        }
        let acked = r.assessments.responses[0].safety_acknowledged.as_ref();
        assert!(acked.is_some_and(|s| s.user_name == "Nurse 1" || s.user_name == "Nurse 2"));
        let s = summary(doc);
        assert!(!s.flags.contains(&SAFETY_RISK.to_string()), "{:?}", s.flags);
        assert_eq!(phq9_reasons(&s).len(), 1, "{:?}", s.risk_reasons);
        assert!(s.risk_reasons.iter().all(|r| !r.contains("same-day")));
        // Neither device's acknowledgement is a clash to review.
        assert_eq!(doc.conflict_count().unwrap(), 0);
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_document_without_the_safety_list_still_opens_and_takes_an_assessment() {
    let mut doc = flagged_patient();
    // As an older build wrote it: no `assessments/safety_assessments`.
    let mut raw = automerge::AutoCommit::load(&doc.save()).unwrap();
    let assessments = match automerge::ReadDoc::get(&raw, automerge::ROOT, "assessments") {
        Ok(Some((_, id))) => id,
        other => panic!("no assessments map: {other:?}"),
    };
    automerge::transaction::Transactable::delete(&mut raw, &assessments, "safety_assessments")
        .unwrap();
    let mut old = PatientDoc::load(&raw.save()).unwrap();
    let r = old.record().unwrap();
    assert!(r.assessments.safety_assessments.is_empty());
    assert!(assess::open_safety_flag(&r).is_some());
    record_assessment(
        &mut old,
        assessment("sa-1", "phq-1", SafetyRiskLevel::Low),
        1,
        T0 + 2 * DAY_MS,
    );
    assert_eq!(assess::open_safety_flag(&old.record().unwrap()), None);
}
