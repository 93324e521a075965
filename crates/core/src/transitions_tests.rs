use super::*;
use crate::rules::tcm::TaskStatus;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn iso(y: i32, m: u32, day: u32) -> Option<IsoDate> {
    Some(IsoDate::new(d(y, m, day)))
}

fn stay(id: &str, admitted: NaiveDate, discharged: Option<NaiveDate>) -> Transition {
    Transition {
        id: id.into(),
        facility: "Springfield General".into(),
        admitted_on: Some(IsoDate::new(admitted)),
        discharged_on: discharged.map(IsoDate::new),
        disposition: if discharged.is_some() {
            Disposition::Home
        } else {
            Disposition::NotRecorded
        },
        emergent: true,
        ..Default::default()
    }
}

fn attempt(id: &str, on: NaiveDate, outcome: ContactOutcome) -> ContactAttempt {
    ContactAttempt {
        id: id.into(),
        date: IsoDate::new(on),
        outcome,
        ..Default::default()
    }
}

fn with(transitions: Vec<Transition>) -> PatientRecord {
    PatientRecord {
        transitions,
        ..Default::default()
    }
}

fn clock(record: &PatientRecord, id: &str, today: NaiveDate) -> TcmClock {
    let t = record.transitions.iter().find(|t| t.id == id).unwrap();
    match tcm_state(record, t, today) {
        TcmState::Clock(c) => *c,
        other => panic!("expected a clock, got {other:?}"),
    }
}

fn step(c: &TcmClock, kind: TcmStepKind) -> TaskStatus {
    c.steps.iter().find(|s| s.kind == kind).unwrap().status
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn friday_discharge_contact_due_tuesday_and_visit_by_complexity() {
    // Friday 20 Nov 2026: two business days → Tuesday 24 Nov.
    let mut t = stay("t", d(2026, 11, 17), Some(d(2026, 11, 20)));
    t.complexity = DecisionComplexity::High;
    let r = with(vec![t.clone()]);
    let c = clock(&r, "t", d(2026, 11, 21));
    assert_eq!(c.deadlines.interactive_contact_by, d(2026, 11, 24));
    assert_eq!(c.deadlines.face_to_face_by, d(2026, 11, 27));
    assert_eq!(c.deadlines.service_period_end, d(2026, 12, 19));
    t.complexity = DecisionComplexity::Moderate;
    let c = clock(&with(vec![t]), "t", d(2026, 11, 21));
    assert_eq!(c.deadlines.face_to_face_by, d(2026, 12, 4));
    assert!(c.running);
    assert_eq!(c.open_steps().count(), 3);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn holiday_discharge_skips_thanksgiving() {
    // Wednesday 25 Nov 2026; Thursday 26 is Thanksgiving → Friday 27, Monday 30.
    let r = with(vec![stay("t", d(2026, 11, 20), Some(d(2026, 11, 25)))]);
    let c = clock(&r, "t", d(2026, 11, 25));
    assert_eq!(c.deadlines.interactive_contact_by, d(2026, 11, 30));
    // Saturday discharge → Tuesday.
    let r = with(vec![stay("t", d(2026, 11, 18), Some(d(2026, 11, 21)))]);
    assert_eq!(
        clock(&r, "t", d(2026, 11, 21))
            .deadlines
            .interactive_contact_by,
        d(2026, 11, 24)
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_timely_failed_attempts_meet_the_contact_and_a_reached_one_does_too() {
    let mut t = stay("t", d(2026, 11, 17), Some(d(2026, 11, 20)));
    t.contact_attempts = vec![attempt("a1", d(2026, 11, 23), ContactOutcome::NoAnswer)];
    let c = clock(&with(vec![t.clone()]), "t", d(2026, 11, 23));
    assert!(!step(&c, TcmStepKind::Contact).is_met());
    assert_eq!(c.unsuccessful_attempts, 1);
    t.contact_attempts
        .push(attempt("a2", d(2026, 11, 24), ContactOutcome::LeftMessage));
    let c = clock(&with(vec![t.clone()]), "t", d(2026, 11, 25));
    assert_eq!(
        step(&c, TcmStepKind::Contact),
        TaskStatus::Met {
            on: d(2026, 11, 24)
        }
    );
    assert!(c.status.contact_met_by_attempts);
    // A retired attempt does not count.
    t.contact_attempts[1].retired = Some(Retirement::default());
    let c = clock(&with(vec![t.clone()]), "t", d(2026, 11, 25));
    assert!(matches!(
        step(&c, TcmStepKind::Contact),
        TaskStatus::Overdue { .. }
    ));
    // Reaching the patient meets it on the first reached date.
    t.contact_attempts
        .push(attempt("a3", d(2026, 11, 23), ContactOutcome::Reached));
    let c = clock(&with(vec![t]), "t", d(2026, 11, 25));
    assert_eq!(
        step(&c, TcmStepKind::Contact),
        TaskStatus::Met {
            on: d(2026, 11, 23)
        }
    );
    assert!(!c.status.contact_met_by_attempts);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn visit_after_the_deadline_and_the_code_it_supports() {
    let mut t = stay("t", d(2026, 11, 1), Some(d(2026, 11, 2)));
    t.complexity = DecisionComplexity::High;
    t.contact_attempts = vec![attempt("a", d(2026, 11, 3), ContactOutcome::Reached)];
    t.face_to_face_on = iso(2026, 11, 12); // day 10: late for high, in time for moderate
    t.medication_reconciled_on = iso(2026, 11, 12);
    let c = clock(&with(vec![t.clone()]), "t", d(2026, 11, 20));
    assert!(matches!(
        step(&c, TcmStepKind::Visit),
        TaskStatus::DoneLate { .. }
    ));
    assert_eq!(c.status.supported_code, Some("99495"));
    assert_eq!(c.code_text(), "Qualifies for TCM 99495");
    assert_eq!(c.open_steps().count(), 0);
    // Day 17: no code, and the text says why.
    t.face_to_face_on = iso(2026, 11, 19);
    t.medication_reconciled_on = iso(2026, 11, 19);
    let c = clock(&with(vec![t.clone()]), "t", d(2026, 11, 20));
    assert_eq!(c.status.supported_code, None);
    assert!(c.code_text().contains("face-to-face visit was not within"));
    // Seen on day 5 with meds reconciled the same day: 99496.
    t.face_to_face_on = iso(2026, 11, 7);
    t.medication_reconciled_on = iso(2026, 11, 7);
    let c = clock(&with(vec![t]), "t", d(2026, 11, 20));
    assert_eq!(c.status.supported_code, Some("99496"));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn readmission_within_30_days_stops_the_clock_and_the_next_discharge_restarts_it() {
    let first = stay("first", d(2026, 11, 1), Some(d(2026, 11, 4)));
    let second = stay("second", d(2026, 11, 10), None);
    let r = with(vec![first.clone(), second.clone()]);
    let today = d(2026, 11, 12);
    let c = clock(&r, "first", today);
    assert_eq!(c.readmitted_on, Some(d(2026, 11, 10)));
    assert!(!c.running);
    assert_eq!(c.open_steps().count(), 0);
    assert!(c.code_text().contains("readmitted on 2026-11-10"));
    assert_eq!(
        in_hospital(&r, today).map(|t| t.id.as_str()),
        Some("second")
    );
    assert!(open_tcm_steps(&r, today).is_empty());
    // Discharged home again on Friday 13 Nov: a new clock from that date.
    let mut second = second;
    second.discharged_on = iso(2026, 11, 13);
    second.disposition = Disposition::HomeHealth;
    let r = with(vec![first, second]);
    let today = d(2026, 11, 14);
    assert!(in_hospital(&r, today).is_none());
    let steps = open_tcm_steps(&r, today);
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|(id, _)| id == "second"));
    assert_eq!(steps[0].1.kind, TcmStepKind::Contact);
    assert_eq!(steps[0].1.due(), d(2026, 11, 17));
    // A readmission planned for the future (recorded ahead) does not stop today's clock.
    let r2 = with(vec![
        stay("a", d(2026, 11, 1), Some(d(2026, 11, 4))),
        stay("b", d(2026, 11, 20), None),
    ]);
    assert!(clock(&r2, "a", d(2026, 11, 5)).running);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn deceased_facility_and_ed_visit_start_no_clock() {
    let mut t = stay("t", d(2026, 11, 1), Some(d(2026, 11, 4)));
    t.disposition = Disposition::Deceased;
    let r = with(vec![t.clone()]);
    assert_eq!(
        tcm_state(&r, &r.transitions[0], d(2026, 11, 5)),
        TcmState::Deceased
    );
    assert!(open_tcm_steps(&r, d(2026, 11, 5)).is_empty());
    for disposition in [Disposition::Snf, Disposition::Rehab, Disposition::Hospice] {
        t.disposition = disposition;
        let r = with(vec![t.clone()]);
        assert!(matches!(
            tcm_state(&r, &r.transitions[0], d(2026, 11, 5)),
            TcmState::NotApplicable(_)
        ));
    }
    let mut ed = stay("ed", d(2026, 11, 1), Some(d(2026, 11, 1)));
    ed.setting = CareSetting::EdVisit;
    let r = with(vec![ed]);
    assert!(matches!(
        tcm_state(&r, &r.transitions[0], d(2026, 11, 2)),
        TcmState::NotApplicable(_)
    ));
    assert_eq!(last_discharge(&r, d(2026, 11, 2)), None);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn service_period_end_closes_the_clock_and_work_before_discharge_is_invalid() {
    let r = with(vec![stay("t", d(2026, 10, 1), Some(d(2026, 10, 2)))]);
    // Last day of the period: still running (overdue steps listed); the day after: closed.
    assert!(clock(&r, "t", d(2026, 10, 31)).running);
    assert_eq!(open_tcm_steps(&r, d(2026, 10, 31)).len(), 3);
    assert!(!clock(&r, "t", d(2026, 11, 1)).running);
    assert!(open_tcm_steps(&r, d(2026, 11, 1)).is_empty());
    let mut t = stay("t", d(2026, 10, 1), Some(d(2026, 10, 2)));
    t.face_to_face_on = iso(2026, 9, 30);
    let r = with(vec![t]);
    assert!(matches!(
        tcm_state(&r, &r.transitions[0], d(2026, 10, 5)),
        TcmState::Invalid(_)
    ));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn lace_is_derived_from_the_stay_the_problem_list_and_ed_visits() {
    // 5-day emergent stay (4 points + 3), CHF + diabetes with CKD (1 + 2 + 2 = 5 → 5 points),
    // 2 ED visits in the 6 months before (2 points), one 7 months before (not counted), and the
    // ED visit on the day of admission (the one that led to it, not counted).
    let mut r = with(vec![stay("t", d(2026, 11, 10), Some(d(2026, 11, 15)))]);
    for (i, code) in ["I50.9", "E11.22", "N18.4", "I10"].iter().enumerate() {
        r.medical.conditions.push(Condition {
            id: format!("c{i}"),
            code: code.to_string(),
            text: code.to_string(),
            ..Default::default()
        });
    }
    for (i, on) in [d(2026, 6, 1), d(2026, 9, 3), d(2026, 4, 1), d(2026, 11, 10)]
        .into_iter()
        .enumerate()
    {
        let mut ed = stay(&format!("ed{i}"), on, Some(on));
        ed.setting = CareSetting::EdVisit;
        r.transitions.push(ed);
    }
    let t = r.transitions[0].clone();
    let lace = derive_lace(&r, &t).unwrap();
    let points: Vec<u32> = lace.parts.iter().map(LacePart::points).collect();
    assert_eq!(points, vec![4, 3, 5, 2]);
    assert_eq!(lace.total, 14);
    assert!(lace.high_risk);
    assert_eq!(lace.parts[0].basis, "5 days");
    assert_eq!(lace.parts[3].basis, "2 ED visits");
    // A resolved condition does not count.
    r.medical.conditions[2].status = ConditionStatus::Resolved;
    let lace = derive_lace(&r, &t).unwrap();
    assert_eq!(lace.parts[2].derived, 3); // CHF 1 + diabetes with damage 2

    // The care manager overrides a part with a reason; the latest override of a part wins, and a
    // retired one no longer applies.
    let mut t = t;
    t.lace_overrides = vec![
        LaceOverride {
            id: "ed_visits".into(),
            points: 4,
            reason: "Two more ED visits at another hospital".into(),
            recorded: Stamp {
                at: 1,
                ..Default::default()
            },
            ..Default::default()
        },
        LaceOverride {
            id: "ed_visits".into(),
            points: 3,
            reason: "One more".into(),
            recorded: Stamp {
                at: 2,
                ..Default::default()
            },
            ..Default::default()
        },
    ];
    let lace = derive_lace(&r, &t).unwrap();
    assert_eq!(lace.parts[3].overridden, Some((3, "One more".into())));
    assert_eq!(lace.total, 4 + 3 + 3 + 3);
    t.lace_overrides[1].retired = Some(Retirement::default());
    assert_eq!(derive_lace(&r, &t).unwrap().parts[3].points(), 4);

    // Picked conditions from a Charlson questionnaire count too (metastatic tumour: 6 → 5 points).
    let mut r2 = with(vec![stay("t", d(2026, 11, 10), Some(d(2026, 11, 10)))]);
    r2.assessments.responses.push(InstrumentResponse {
        id: "ch".into(),
        instrument: "charlson".into(),
        answers: vec![Answer {
            item: "charlson_metastatic".into(),
            value: 1,
        }],
        date: IsoDate::new(d(2026, 11, 1)),
        ..Default::default()
    });
    let t2 = r2.transitions[0].clone();
    let lace = derive_lace(&r2, &t2).unwrap();
    assert_eq!(lace.parts[0].derived, 0, "same-day stay");
    assert_eq!(lace.parts[2].derived, 5);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_risk_tier_uses_the_derived_lace_only_within_30_days_of_discharge() {
    let mut r = with(vec![stay("t", d(2026, 11, 1), Some(d(2026, 11, 15)))]);
    // 14-day emergent stay: 7 + 3 = 10.
    assert_eq!(risk_lace(&r, d(2026, 11, 16)), Some(10));
    let a = crate::assess::assess(&r, d(2026, 11, 16));
    assert!(a
        .factors
        .contains(&crate::rules::RiskFactor::HighReadmissionRisk { lace: 10 }));
    assert!(a
        .factors
        .contains(&crate::rules::RiskFactor::RecentDischarge { days_ago: 1 }));
    assert_eq!(risk_lace(&r, d(2026, 12, 16)), None);
    // An ED visit is not a discharge from hospital.
    r.transitions[0].setting = CareSetting::EdVisit;
    assert_eq!(last_discharge(&r, d(2026, 11, 16)), None);
}

fn med(id: &str, name: &str, dose: &str) -> Medication {
    Medication {
        id: id.into(),
        name: name.into(),
        dose: dose.into(),
        ..Default::default()
    }
}

fn dmed(id: &str, name: &str, dose: &str) -> DischargeMedication {
    DischargeMedication {
        id: id.into(),
        name: name.into(),
        dose: dose.into(),
        ..Default::default()
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn reconciliation_pairs_lists_flags_discrepancies_and_builds_the_ops() {
    let mut r = with(vec![stay("t", d(2026, 11, 1), Some(d(2026, 11, 4)))]);
    r.medical.medications = vec![
        med("m1", "Lisinopril", "10 mg"),
        med("m2", "Furosemide", "20 mg"),
        med("m3", "Metoprolol tartrate", "25 mg"),
        Medication {
            status: MedicationStatus::Stopped,
            ..med("m4", "Aspirin", "81 mg")
        },
    ];
    r.transitions[0].discharge_medications = vec![
        dmed("d1", "lisinopril ", "10 mg"),
        dmed("d2", "Furosemide", "40 mg"),
        dmed("d3", "Metoprolol succinate", "50 mg"),
    ];
    let t = r.transitions[0].clone();
    let lines = reconciliation_lines(&r, &t);
    let keys: Vec<&str> = lines.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["m1", "m2", "m3", "d3"],
        "stopped aspirin is not on the list"
    );
    assert!(lines[0].discrepancies.is_empty());
    assert_eq!(
        lines[1].discrepancies,
        vec![Discrepancy::DoseDiffers {
            before: "20 mg".into(),
            after: "40 mg".into()
        }]
    );
    assert!(lines[2]
        .discrepancies
        .contains(&Discrepancy::NotOnDischargeList));
    assert!(lines[2]
        .discrepancies
        .contains(&Discrepancy::DuplicateTherapy {
            with: "Metoprolol succinate".into()
        }));
    assert!(lines[3]
        .discrepancies
        .contains(&Discrepancy::NewAtDischarge));

    let on = IsoDate::new(d(2026, 11, 5));
    // The chart-only line needs a decision.
    assert_eq!(
        reconciliation_ops(&lines, &[], "t", &on, "Ana", || "new".into()),
        Err(RecError::Undecided("Metoprolol tartrate".into()))
    );
    let decisions = vec![(
        "m3".to_string(),
        RecDecision::Stop {
            reason: "Replaced by succinate".into(),
        },
    )];
    let ops = reconciliation_ops(&lines, &decisions, "t", &on, "Ana", || "new".into()).unwrap();
    let author = crate::Author {
        user_id: "u1".into(),
        user_name: "Ana".into(),
        device_id: "d1".into(),
    };
    let name = PersonName {
        given: "Rosa".into(),
        family: "Diaz".into(),
    };
    let mut doc = crate::PatientDoc::create(&crate::PatientId::random(), name, &author, 1).unwrap();
    let mut setup: Vec<Op> = r
        .medical
        .medications
        .iter()
        .map(|m| Op::AddMedication {
            medication: m.clone(),
        })
        .collect();
    setup.push(Op::RecordTransition {
        transition: t.clone(),
    });
    doc.apply_all(setup, &author, 1).unwrap();
    doc.apply_all(ops, &author, 2).unwrap();
    let after = doc.record().unwrap();
    let by_name = |n: &str| {
        after
            .medical
            .medications
            .iter()
            .find(|m| m.name == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("Furosemide").dose, "40 mg");
    assert_eq!(
        by_name("Metoprolol tartrate").status,
        MedicationStatus::Stopped
    );
    assert_eq!(
        by_name("Metoprolol tartrate").status_reason,
        "Replaced by succinate"
    );
    let added = by_name("Metoprolol succinate");
    assert_eq!(added.dose, "50 mg");
    assert_eq!(added.status, MedicationStatus::Active);
    for name in [
        "Lisinopril",
        "Furosemide",
        "Metoprolol tartrate",
        "Metoprolol succinate",
    ] {
        assert_eq!(by_name(name).last_reconciled, Some(on.clone()), "{name}");
    }
    assert_eq!(by_name("Aspirin").last_reconciled, None);
    assert_eq!(
        after.transitions[0].medication_reconciled_on,
        Some(on.clone())
    );
    assert_eq!(after.transitions[0].reconciled_by, "Ana");
    // The TCM step is met by the reconciliation.
    let c = clock(&after, "t", d(2026, 11, 6));
    assert!(step(&c, TcmStepKind::MedicationReconciliation).is_met());
}
