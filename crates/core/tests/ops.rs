//! Every typed operation changes what it says, and only that; bad input is rejected without
//! changing the document.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use tend_core::ops::{ItemList, NarrativeTarget, Op, ProfileField};
use tend_core::record::*;
use tend_core::summary::{Stored, SummaryDecodeError};
use tend_core::{DocError, PatientDoc, PatientRecord, PatientSummary};

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_year_of_activity_applies_every_kind_of_op() {
    let mut doc = new_patient();
    let n = year_of_activity(&mut doc);
    assert!(n >= 190, "{n} changes");
    let r = doc.record().unwrap();
    assert_eq!(r.profile.date_of_birth, Some(d("1948-03-14")));
    assert!(r.profile.interpreter_needed);
    assert_eq!(r.profile.preferred_language, "Spanish");
    assert_eq!(r.profile.code_status, CodeStatus::FullCode);
    assert_eq!(r.profile.address.city, "Springfield");
    assert_eq!(r.profile.identifiers.len(), 2);
    assert_eq!(
        r.programs[0].consent.as_ref().unwrap().method,
        ConsentMethod::Verbal
    );
    assert_eq!(r.medical.conditions.len(), 6);
    assert_eq!(r.medical.allergies.len(), 3);
    assert_eq!(r.medical.medications.len(), 8);
    let metformin = &r.medical.medications[0];
    assert_eq!(metformin.dose, "2750 mg");
    assert_eq!(metformin.frequency, "twice daily");
    assert!(metformin.last_reconciled.is_some());
    assert_eq!(
        r.medical.medications[7].retired.as_ref().unwrap().note,
        "stopped by PCP"
    );
    assert_eq!(r.follow_ups.len(), 12);
    assert!(r
        .follow_ups
        .iter()
        .all(|f| f.status == FollowUpStatus::Completed && f.reschedule_count == 1));
    assert_eq!(
        r.encounters[3].note.as_str(),
        "Patient in good spirits. Reviewed meds and symptoms."
    );
    assert_eq!(r.time_log.iter().map(|t| t.minutes).sum::<u64>(), 12 * 45);
    assert_eq!(r.care_plan.goals[0].progress.len(), 4);
    assert_eq!(r.care_plan.actions[2].status, ActionStatus::Done);
    assert_eq!(
        r.coordination.referrals[0].status,
        ReferralStatus::Completed
    );
    assert_eq!(
        r.coordination.referrals[0].completed_on,
        Some(d("2026-01-21"))
    );
    assert_eq!(r.transitions[0].status, TransitionStatus::Discharged);
    assert_eq!(r.assessments.responses.len(), 4);
    assert!(r
        .care_plan
        .preferences
        .as_str()
        .starts_with("Wants to stay"));
    // Items are stamped with who added them, not with what the caller sent.
    assert_eq!(r.medical.conditions[0].recorded.user_id, "u2");
    // The fast serde view and autosurgeon's hydrate describe the same shape.
    let am = automerge::AutoCommit::load(&doc.save()).unwrap();
    assert_eq!(autosurgeon::hydrate::<_, PatientRecord>(&am).unwrap(), r);
    // Survives save/load unchanged.
    let mut loaded = PatientDoc::load(&doc.save()).unwrap();
    assert_eq!(loaded.record().unwrap(), r);
    assert_eq!(loaded.heads(), doc.heads());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn remaining_ops_each_change_their_field() {
    let mut doc = new_patient();
    let ops = vec![
        Op::Rename {
            name: name("Rosa María", "Diaz"),
        },
        Op::SetProfileText {
            field: ProfileField::Pronouns,
            value: "she/her".into(),
        },
        Op::SetProfileText {
            field: ProfileField::GenderIdentity,
            value: "woman".into(),
        },
        Op::SetProfileText {
            field: ProfileField::Email,
            value: "rosa@example.org".into(),
        },
        Op::EnrollProgram {
            enrollment: ProgramEnrollment {
                id: "p1".into(),
                program: ProgramKind::Pcm,
                ..Default::default()
            },
        },
        Op::RecordConsent {
            program_id: "p1".into(),
            consent: Consent {
                date: d("2026-02-01"),
                method: ConsentMethod::Written,
                obtained_by: "Nurse 1".into(),
                note: "signed".into(),
            },
        },
        Op::SetProgramStatus {
            program_id: "p1".into(),
            status: ProgramStatus::Ended,
            date: Some(d("2026-06-01")),
            reason: "moved".into(),
            change_id: "s1".into(),
        },
        Op::AddCondition {
            condition: Condition {
                id: "c1".into(),
                text: "COPD".into(),
                ..Default::default()
            },
        },
        Op::SetConditionStatus {
            id: "c1".into(),
            status: ConditionStatus::Controlled,
        },
        Op::AddAllergy {
            allergy: Allergy {
                id: "al1".into(),
                substance: "latex".into(),
                ..Default::default()
            },
        },
        Op::UpdateAllergy {
            id: "al1".into(),
            reaction: Some("hives".into()),
            severity: Some(AllergySeverity::Severe),
            status: None,
        },
        Op::AddMedication {
            medication: med("m1", "albuterol", "2 puffs"),
        },
        Op::SetMedicationStatus {
            id: "m1".into(),
            since: None,
            reason: String::new(),
            status: MedicationStatus::OnHold,
        },
        Op::SetBehavioralHealth {
            behavioral: BehavioralHealth {
                substance_use: "none".into(),
                ..Default::default()
            },
        },
        Op::SetSocialNeedStatus {
            id: "sn1".into(),
            status: NeedStatus::Met,
        },
        Op::AddNeed {
            need: Need {
                id: "n1".into(),
                description: "Breathing".into(),
                ..Default::default()
            },
        },
        Op::SetNeedStatus {
            id: "n1".into(),
            status: NeedStatus::InProgress,
        },
        Op::AddGoal {
            goal: Goal {
                id: "g1".into(),
                need_id: "n1".into(),
                description: "No ED visits".into(),
                ..Default::default()
            },
        },
        Op::SetGoalStatus {
            id: "g1".into(),
            status: GoalStatus::Achieved,
        },
        Op::AddBarrier {
            barrier: Barrier {
                id: "b1".into(),
                description: "cost of inhalers".into(),
                goal_id: "g1".into(),
                ..Default::default()
            },
        },
        Op::AddAuthorization {
            authorization: Authorization {
                id: "au1".into(),
                service: "home oxygen".into(),
                payer: "Medicare".into(),
                medical_necessity: Narrative::new("SpO2 86%"),
                ..Default::default()
            },
        },
        Op::SetAuthorizationStatus {
            id: "au1".into(),
            status: AuthorizationStatus::Denied,
            date: Some(d("2026-03-01")),
            change_id: "au1s1".into(),
            note: String::new(),
            decision: Default::default(),
        },
        Op::EditNarrative {
            target: NarrativeTarget::MedicalNecessity { id: "au1".into() },
            edit: edit(8, 0, " at rest"),
        },
        Op::SetAuthorizationStatus {
            id: "au1".into(),
            status: AuthorizationStatus::Appealed,
            date: Some(d("2026-03-02")),
            change_id: "au1s2".into(),
            note: String::new(),
            decision: Default::default(),
        },
        Op::AddAdvocacyNote {
            note: AdvocacyNote {
                id: "adv1".into(),
                date: d("2026-03-02"),
                text: Narrative::new("Called plan"),
                ..Default::default()
            },
        },
        Op::EditNarrative {
            target: NarrativeTarget::AdvocacyNote { id: "adv1".into() },
            edit: edit(11, 0, " re appeal"),
        },
        Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: "f1".into(),
                due: d("2026-03-10"),
                ..Default::default()
            },
        },
        Op::SetFollowUpStatus {
            id: "f1".into(),
            status: FollowUpStatus::Missed,
        },
        Op::EditNarrative {
            target: NarrativeTarget::Section {
                section: NarrativeSection::Emotional,
            },
            edit: edit(0, 0, "Anxious about breathing."),
        },
        Op::EditNarrative {
            target: NarrativeTarget::Section {
                section: NarrativeSection::Priorities,
            },
            edit: edit(0, 0, "Stay out of hospital."),
        },
    ];
    apply(
        &mut doc,
        Op::AddSocialNeed {
            need: SocialNeed {
                id: "sn1".into(),
                domain: SdohDomain::UtilityInsecurity,
                ..Default::default()
            },
        },
        1,
        T0,
    );
    for (i, op) in ops.into_iter().enumerate() {
        apply(&mut doc, op, 2, T0 + i as i64);
    }
    let r = doc.record().unwrap();
    assert_eq!(r.name.given, "Rosa María");
    assert_eq!(r.profile.pronouns, "she/her");
    assert_eq!(r.profile.gender_identity, "woman");
    assert_eq!(r.profile.email, "rosa@example.org");
    assert_eq!(r.programs[0].status, ProgramStatus::Ended);
    assert_eq!(r.programs[0].end_date, Some(d("2026-06-01")));
    assert_eq!(r.programs[0].consent.as_ref().unwrap().note, "signed");
    assert_eq!(r.medical.conditions[0].status, ConditionStatus::Controlled);
    assert_eq!(r.medical.allergies[0].reaction, "hives");
    assert_eq!(r.medical.allergies[0].severity, AllergySeverity::Severe);
    assert_eq!(r.medical.medications[0].status, MedicationStatus::OnHold);
    assert_eq!(r.behavioral.substance_use, "none");
    assert_eq!(r.social_needs[0].status, NeedStatus::Met);
    assert_eq!(r.care_plan.needs[0].status, NeedStatus::InProgress);
    assert_eq!(r.care_plan.goals[0].status, GoalStatus::Achieved);
    assert_eq!(r.care_plan.barriers[0].goal_id, "g1");
    let auth = &r.coordination.authorizations[0];
    assert_eq!(auth.status, AuthorizationStatus::Appealed);
    assert_eq!(auth.decided_on, Some(d("2026-03-01")));
    assert_eq!(auth.medical_necessity.as_str(), "SpO2 86% at rest");
    assert_eq!(
        r.coordination.advocacy[0].text.as_str(),
        "Called plan re appeal"
    );
    assert_eq!(r.follow_ups[0].status, FollowUpStatus::Missed);
    assert_eq!(r.assessments.emotional.as_str(), "Anxious about breathing.");
    assert_eq!(r.care_plan.priorities.as_str(), "Stay out of hospital.");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn rejected_ops_leave_the_document_untouched() {
    let mut doc = patient_on_metformin();
    let before = doc.heads();
    let who = author(1);
    let bad = vec![
        Op::AddMedication {
            medication: med("m1", "dup", "1 mg"),
        },
        Op::AddMedication {
            medication: med("", "no id", "1 mg"),
        },
        Op::AddMedication {
            medication: med("a/b", "slash", "1 mg"),
        },
        Op::AddMedication {
            medication: med("m2", " ", "1 mg"),
        },
        Op::ChangeMedication {
            id: "nope".into(),
            name: None,
            indication: None,
            dose: Some("1".into()),
            route: None,
            frequency: None,
            prescriber: None,
        },
        Op::ChangeMedication {
            id: "m1".into(),
            name: Some("  ".into()),
            indication: None,
            dose: Some("2 mg".into()),
            route: None,
            frequency: None,
            prescriber: None,
        },
        Op::SetMedicationStatus {
            id: "m1".into(),
            status: MedicationStatus::Stopped,
            since: Some(IsoDate("2026-13-01".into())),
            reason: "bad date".into(),
        },
        Op::SetMedicationStatus {
            id: "nope".into(),
            status: MedicationStatus::Stopped,
            since: None,
            reason: String::new(),
        },
        Op::SetDateOfBirth {
            date: Some(IsoDate("1948-02-30".into())),
        },
        Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: "f".into(),
                due: IsoDate("tomorrow".into()),
                ..Default::default()
            },
        },
        Op::LogMinutes {
            entry: TimeEntry {
                id: "t".into(),
                date: d("2026-01-02"),
                minutes: 0,
                ..Default::default()
            },
        },
        Op::EditNarrative {
            target: NarrativeTarget::Section {
                section: NarrativeSection::Physical,
            },
            edit: edit(5, 0, "x"),
        },
        Op::EditNarrative {
            target: NarrativeTarget::EncounterNote { id: "none".into() },
            edit: edit(0, 0, "x"),
        },
        Op::Rename {
            name: name("", " "),
        },
        Op::ResolveConflict {
            path: "name/given".into(),
            value: "x".into(),
        },
        Op::ResolveConflict {
            path: "medical/medications/zz/dose".into(),
            value: "x".into(),
        },
        Op::Retire {
            list: ItemList::Goals,
            id: "m1".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
    ];
    for op in bad {
        let name = op.name();
        let err = doc.apply(op, &who, T0 + 5).expect_err(name);
        assert!(
            matches!(err, DocError::Invalid(_) | DocError::NotFound(_)),
            "{name}: {err}"
        );
        assert_eq!(doc.heads(), before, "{name} changed the document");
    }
    // Retiring twice is refused; the first retirement (who, when, why) stays.
    let retire = Op::Retire {
        list: ItemList::Medications,
        id: "m1".into(),
        reason: RetireReason::EnteredInError,
        note: "wrong patient".into(),
    };
    apply(&mut doc, retire.clone(), 2, T0 + 10);
    assert!(doc.apply(retire, &who, T0 + 11).is_err());
    let r = doc.record().unwrap();
    let ret = r.medical.medications[0].retired.as_ref().unwrap();
    assert_eq!(
        (ret.reason.clone(), ret.stamp.user_id.as_str(), ret.stamp.at),
        (RetireReason::EnteredInError, "u2", T0 + 10)
    );
    // Retired, not deleted.
    assert_eq!(r.medical.medications.len(), 1);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn summary_reflects_the_record() {
    let mut doc = new_patient();
    year_of_activity(&mut doc);
    apply(
        &mut doc,
        Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: "next".into(),
                due: d("2027-01-05"),
                reason: "annual review".into(),
                ..Default::default()
            },
        },
        1,
        T0 + 400 * DAY_MS,
    );
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let s = doc.summary_on(today).unwrap();
    assert_eq!(s.display_name, "Diaz, Rosa");
    assert_eq!(s.age, Some(78));
    assert_eq!(s.programs, vec!["ccm"]);
    assert!(s.flags.contains(&"interpreter_needed".to_string()));
    assert!(s.flags.contains(&"lives_alone".to_string()));
    // Goals g0/g1 are due 2026-06-30 and still active: they come first and are overdue.
    let due = s.next_due.clone().unwrap();
    assert_eq!(
        (due.kind.as_str(), due.date.as_str()),
        ("action", "2026-01-31")
    );
    assert!(s.flags.contains(&"overdue".to_string()));
    assert_eq!(s.open_follow_ups, 1);
    assert_eq!(s.active_medications, 7);
    assert_eq!(s.active_conditions, 6);
    assert_eq!(s.minutes_this_month, 45);
    // Risk from the rules module: 6 chronic conditions + a behavioural-health diagnosis (F32.A).
    assert_eq!(s.risk_tier.as_deref(), Some("high"), "{:?}", s.risk_reasons);
    assert_eq!(s.risk_reasons.len(), 2);
    assert!(s.priority >= 200);
    // Searchable by current identifiers: the MRN and the Medicare id, in any case, in part.
    assert_eq!(s.identifiers, vec!["A12345", "1EG4-TE5-MK73"]);
    assert!(s.matches_search("a1234"));
    assert!(s.matches_search("te5-mk"));
    assert!(s.matches_search("rosa"));
    assert!(!s.matches_search("b9999"));
    // A retired identifier no longer finds the patient.
    apply(
        &mut doc,
        Op::Retire {
            list: ItemList::Identifiers,
            id: "mrn".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
        1,
        T0 + 400 * DAY_MS + 1,
    );
    let s = doc.summary_on(today).unwrap();
    assert!(!s.matches_search("a1234"), "{:?}", s.identifiers);
    // A PHQ-9 with item 9 above zero raises the safety flag and the tier.
    let answers = (1..=9)
        .map(|i| Answer {
            item: format!("phq9_{i}"),
            value: i64::from(i == 9),
        })
        .collect();
    apply(
        &mut doc,
        Op::RecordInstrument {
            response: InstrumentResponse {
                id: "phq-now".into(),
                instrument: "phq9".into(),
                answers,
                total: Some(1),
                date: d("2026-11-24"),
                ..Default::default()
            },
        },
        1,
        T0 + 401 * DAY_MS,
    );
    let s2 = doc.summary_on(today).unwrap();
    assert!(
        s2.flags.contains(&"safety_risk".to_string()),
        "{:?}",
        s2.flags
    );
    assert_eq!(s2.risk_tier.as_deref(), Some("very_high"));
    // Stored form: round-trips as current, smaller than JSON; the first builds' JSON (without the
    // newer fields) still reads, as outdated so it gets recomputed.
    let stored = s.to_stored().unwrap();
    assert_eq!(
        PatientSummary::from_stored(&stored),
        Ok(Stored::Current(s.clone()))
    );
    let json = serde_json::to_vec(&s).unwrap();
    assert!(
        stored.len() < json.len(),
        "{} vs {}",
        stored.len(),
        json.len()
    );
    assert_eq!(
        PatientSummary::from_stored(&json),
        Ok(Stored::Outdated(s.clone()))
    );
    let old = br#"{"id":"x","display_name":"A","sort_key":"a","created_at":1}"#;
    match PatientSummary::from_stored(old) {
        Ok(Stored::Outdated(o)) => assert!(o.identifiers.is_empty()),
        other => panic!("old JSON summary: {other:?}"),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn damaged_stored_summaries_are_errors_not_panics() {
    let mut doc = new_patient();
    year_of_activity(&mut doc);
    let stored = doc.summary().unwrap().to_stored().unwrap();
    assert_eq!(
        PatientSummary::from_stored(&[]),
        Err(SummaryDecodeError::Empty)
    );
    for cut in [1, 2, stored.len() / 2, stored.len() - 1] {
        assert!(
            PatientSummary::from_stored(&stored[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let mut longer = stored.clone();
    longer.push(0);
    assert_eq!(
        PatientSummary::from_stored(&longer),
        Err(SummaryDecodeError::Trailing(1))
    );
    assert!(PatientSummary::from_stored(&[0x7f, 1, 2, 3]).is_err());
    assert!(PatientSummary::from_stored(b"{not json").is_err());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn ops_are_serde_data() {
    let op = Op::ChangeMedication {
        id: "m1".into(),
        name: None,
        indication: None,
        dose: Some("5 mg".into()),
        route: None,
        frequency: None,
        prescriber: None,
    };
    let json = serde_json::to_string(&op).unwrap();
    assert!(json.contains(r#""op":"change_medication""#), "{json}");
    assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), op);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_medication_is_corrected_field_by_field_then_stopped_and_resumed_with_when_and_why() {
    let mut doc = new_patient();
    apply(
        &mut doc,
        Op::AddMedication {
            medication: med("m1", "Metforman", "500 mg"),
        },
        1,
        T0,
    );
    apply(
        &mut doc,
        Op::ChangeMedication {
            id: "m1".into(),
            name: Some("Metformin".into()),
            dose: Some("1000 mg".into()),
            route: None,
            frequency: Some("twice daily".into()),
            prescriber: Some("Dr Okafor".into()),
            indication: Some("Type 2 diabetes".into()),
        },
        2,
        T0 + 1,
    );
    let m = doc.record().unwrap().medical.medications[0].clone();
    assert_eq!(
        (
            m.name.as_str(),
            m.dose.as_str(),
            m.route.as_str(),
            m.frequency.as_str(),
            m.prescriber.as_str(),
            m.indication.as_str()
        ),
        (
            "Metformin",
            "1000 mg",
            "oral",
            "twice daily",
            "Dr Okafor",
            "Type 2 diabetes"
        ),
        "given fields change, the route (not given) stays"
    );
    assert_eq!(
        (m.status_since.clone(), m.status_reason.as_str()),
        (None, "")
    );

    apply(
        &mut doc,
        Op::SetMedicationStatus {
            id: "m1".into(),
            status: MedicationStatus::Stopped,
            since: Some(d("2026-03-02")),
            reason: "GI upset".into(),
        },
        2,
        T0 + 2,
    );
    let m = doc.record().unwrap().medical.medications[0].clone();
    assert_eq!(m.status, MedicationStatus::Stopped);
    assert_eq!(m.status_since, Some(d("2026-03-02")));
    assert_eq!(m.status_reason, "GI upset");
    assert!(
        m.is_active(),
        "stopped is a clinical status, not a retirement"
    );

    apply(
        &mut doc,
        Op::SetMedicationStatus {
            id: "m1".into(),
            status: MedicationStatus::Active,
            since: Some(d("2026-04-01")),
            reason: "restarted at lower dose".into(),
        },
        1,
        T0 + 3,
    );
    let status_history: Vec<Option<String>> = doc
        .history("medical/medications/m1/status")
        .unwrap()
        .into_iter()
        .map(|c| c.value)
        .collect();
    assert_eq!(
        status_history,
        vec![
            Some("active".to_string()),
            Some("stopped".to_string()),
            Some("active".to_string())
        ]
    );
    let m = doc.record().unwrap().medical.medications[0].clone();
    assert_eq!(m.status_reason, "restarted at lower dose");
    // The serde view and autosurgeon agree on the new fields.
    let am = automerge::AutoCommit::load(&doc.save()).unwrap();
    assert_eq!(
        autosurgeon::hydrate::<_, PatientRecord>(&am).unwrap(),
        doc.record().unwrap()
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn apply_all_is_one_change_holding_every_op_or_none_of_them() {
    let mut doc = patient_on_metformin();
    let before = doc.heads();
    let good = Op::Rename {
        name: name("Rosa M.", "Diaz"),
    };
    let bad = Op::SetMedicationStatus {
        id: "missing".into(),
        status: MedicationStatus::Stopped,
        since: None,
        reason: String::new(),
    };
    let err = doc
        .apply_all(vec![good.clone(), bad], &author(1), T0 + 1)
        .expect_err("one rejected op rejects the batch");
    assert!(
        matches!(err, DocError::NotFound(_) | DocError::Invalid(_)),
        "{err}"
    );
    assert_eq!(doc.heads(), before, "nothing of the batch was kept");
    assert_eq!(doc.record().unwrap().name.given, "Rosa");

    doc.apply_all(
        vec![
            good,
            Op::SetProfileText {
                field: ProfileField::Pronouns,
                value: "she/her".into(),
            },
        ],
        &author(2),
        T0 + 2,
    )
    .expect("batch applies");
    let r = doc.record().unwrap();
    assert_eq!(
        (r.name.given.as_str(), r.profile.pronouns.as_str()),
        ("Rosa M.", "she/her")
    );
    let history = doc.history("profile/pronouns").unwrap();
    let last = history.last().expect("pronouns history");
    assert_eq!(last.by.op, "rename+set_profile_text");
    assert_eq!(last.by.user_id, "u2");
    assert_eq!(
        doc.history("name/given").unwrap().last().unwrap().hash,
        last.hash,
        "one change"
    );
}
