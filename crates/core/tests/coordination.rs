//! Coordinating services: a referral's loop from draft to outcome with its signed history, two
//! devices working on one referral offline, a denied authorisation and its appeal window, bad
//! input refused without a trace, and documents written before these fields still opening.

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use autosurgeon::{Hydrate, Reconcile};
use chrono::NaiveDate;
use common::*;
use tend_core::coordination::{
    appeal_deadline, coordination_items, due_items, referrals_for_need, units_left,
    CoordinationKind,
};
use tend_core::ops::{
    AuthorizationChanges, AuthorizationDecision, CoverageChanges, NarrativeTarget, Op,
    ReferralChanges,
};
use tend_core::record::*;
use tend_core::summary::Stored;
use tend_core::{DocError, PatientDoc, PatientSummary};

fn day(s: &str) -> NaiveDate {
    d(s).date().expect("date")
}

fn status(id: &str, change: &str, status: ReferralStatus, on: &str) -> Op {
    Op::SetReferralStatus {
        id: id.into(),
        status,
        note: String::new(),
        date: Some(d(on)),
        change_id: change.into(),
        appointment_on: None,
        outcome: None,
    }
}

fn food_bank_referral() -> Op {
    Op::AddReferral {
        referral: Referral {
            id: "r1".into(),
            kind: ReferralKind::FoodBank,
            to: "Eastside Food Bank".into(),
            organisation_id: "org-eastside".into(),
            reason: "Runs out of food before the end of the month".into(),
            urgency: ReferralUrgency::Urgent,
            need_id: "n1".into(),
            ..Default::default()
        },
    }
}

fn auth_status(status: AuthorizationStatus, change: &str, on: &str) -> Op {
    Op::SetAuthorizationStatus {
        id: "a1".into(),
        status,
        date: Some(d(on)),
        change_id: change.into(),
        note: String::new(),
        decision: AuthorizationDecision::default(),
    }
}

fn oxygen() -> Op {
    Op::AddAuthorization {
        authorization: Authorization {
            id: "a1".into(),
            service: "home oxygen".into(),
            payer: "Medicare Advantage".into(),
            reference: "PA-3391".into(),
            requested_on: Some(d("2025-12-01")),
            units_requested: Some(3),
            ..Default::default()
        },
    }
}

/// Applies `op`, which must be refused, and checks the document did not change.
fn refused(doc: &mut PatientDoc, op: Op) -> DocError {
    let before = doc.heads();
    let record = doc.record().unwrap();
    let name = op.name();
    let err = doc
        .apply(op, &author(1), T0)
        .err()
        .unwrap_or_else(|| panic!("{name} was accepted"));
    assert_eq!(doc.heads(), before, "{name} changed the heads");
    assert_eq!(doc.record().unwrap(), record, "{name} changed the record");
    err
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_referral_goes_from_draft_to_its_outcome_with_a_signed_history() {
    let mut doc = new_patient();
    apply(
        &mut doc,
        Op::AddNeed {
            need: Need {
                id: "n1".into(),
                description: "Not enough food".into(),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    apply(&mut doc, food_bank_referral(), 1, T0);
    assert_eq!(
        doc.record().unwrap().coordination.referrals[0].status,
        ReferralStatus::Draft
    );
    // A draft is not on the worklist.
    assert!(coordination_items(&doc.record().unwrap(), day("2026-06-01")).is_empty());

    apply(
        &mut doc,
        status("r1", "s1", ReferralStatus::Sent, "2026-03-02"),
        1,
        T0 + DAY_MS,
    );
    // Urgent: to be scheduled within 3 days of sending.
    let r = doc.record().unwrap();
    assert!(coordination_items(&r, day("2026-03-04")).is_empty());
    let items = coordination_items(&r, day("2026-03-06"));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, CoordinationKind::ReferralNotScheduled);
    assert_eq!(items[0].due, d("2026-03-05"));
    assert!(items[0].overdue);
    assert_eq!(
        items[0].label,
        "Referral to Eastside Food Bank: not scheduled 4 days after sending"
    );

    apply(
        &mut doc,
        Op::SetReferralStatus {
            id: "r1".into(),
            status: ReferralStatus::Scheduled,
            note: "intake appointment".into(),
            date: Some(d("2026-03-06")),
            change_id: "s2".into(),
            appointment_on: Some(d("2026-03-12")),
            outcome: None,
        },
        2,
        T0 + 2 * DAY_MS,
    );
    let r = doc.record().unwrap();
    assert!(coordination_items(&r, day("2026-03-12")).is_empty());
    let items = coordination_items(&r, day("2026-03-13"));
    assert_eq!(items[0].kind, CoordinationKind::ReferralNoOutcome);

    apply(
        &mut doc,
        Op::SetReferralStatus {
            id: "r1".into(),
            status: ReferralStatus::Completed,
            note: String::new(),
            date: Some(d("2026-03-13")),
            change_id: "s3".into(),
            appointment_on: None,
            outcome: Some("Enrolled; weekly box delivered on Fridays".into()),
        },
        1,
        T0 + 3 * DAY_MS,
    );
    let record = doc.record().unwrap();
    let r = &record.coordination.referrals[0];
    assert_eq!(r.status, ReferralStatus::Completed);
    assert_eq!(r.sent_on, Some(d("2026-03-02")));
    assert_eq!(r.appointment_on, Some(d("2026-03-12")));
    assert_eq!(r.completed_on, Some(d("2026-03-13")));
    assert_eq!(r.outcome, "Enrolled; weekly box delivered on Fridays");
    assert_eq!(r.organisation_id, "org-eastside");
    let history: Vec<(ReferralStatus, &str, &str, i64)> = r
        .status_changes
        .iter()
        .map(|c| {
            (
                c.status.clone(),
                c.date.as_str(),
                c.recorded.user_name.as_str(),
                c.recorded.at,
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (ReferralStatus::Sent, "2026-03-02", "Nurse 1", T0 + DAY_MS),
            (
                ReferralStatus::Scheduled,
                "2026-03-06",
                "Nurse 2",
                T0 + 2 * DAY_MS
            ),
            (
                ReferralStatus::Completed,
                "2026-03-13",
                "Nurse 1",
                T0 + 3 * DAY_MS
            ),
        ]
    );
    assert_eq!(r.status_changes[1].note, "intake appointment");
    // The care plan's need shows its referral and what came of it; nothing is left to do.
    let for_need = referrals_for_need(&record, "n1");
    assert_eq!(for_need.len(), 1);
    assert_eq!(for_need[0].outcome, r.outcome);
    assert!(coordination_items(&record, day("2026-06-01")).is_empty());
    assert_eq!(
        doc.history("coordination/referrals/r1/status")
            .unwrap()
            .len(),
        4
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_devices_offline_schedule_and_edit_one_referral_and_both_survive() {
    let (mut a, mut b) = pair(|a| {
        apply(a, food_bank_referral(), 1, T0);
        apply(
            a,
            status("r1", "s1", ReferralStatus::Sent, "2026-03-02"),
            1,
            T0,
        );
        apply(
            a,
            Op::AddAdvocacyNote {
                note: AdvocacyNote {
                    id: "adv1".into(),
                    date: d("2026-03-02"),
                    text: Narrative::new("Called the food bank."),
                    ..Default::default()
                },
            },
            1,
            T0,
        );
    });
    // Device A schedules the referral.
    apply(
        &mut a,
        Op::SetReferralStatus {
            id: "r1".into(),
            status: ReferralStatus::Scheduled,
            note: String::new(),
            date: Some(d("2026-03-03")),
            change_id: "a-s2".into(),
            appointment_on: Some(d("2026-03-09")),
            outcome: None,
        },
        1,
        T0 + DAY_MS,
    );
    // Device B, offline, makes it emergent, links the goal, and records the advocacy.
    apply(
        &mut b,
        Op::ChangeReferral {
            id: "r1".into(),
            changes: ReferralChanges {
                urgency: Some(ReferralUrgency::Emergent),
                goal_id: Some("g1".into()),
                ..Default::default()
            },
        },
        2,
        T0 + DAY_MS,
    );
    apply(
        &mut b,
        Op::ChangeAdvocacyNote {
            id: "adv1".into(),
            date: None,
            with_whom: Some("Eastside intake desk".into()),
            topic: Some("Earlier intake slot".into()),
            outcome: Some("Moved up a week".into()),
        },
        2,
        T0 + DAY_MS,
    );
    apply(
        &mut b,
        Op::EditNarrative {
            target: NarrativeTarget::AdvocacyNote { id: "adv1".into() },
            edit: edit(21, 0, " Asked for an earlier slot."),
        },
        2,
        T0 + DAY_MS,
    );
    exchange(&mut a, &mut b);
    let record = a.record().unwrap();
    let r = &record.coordination.referrals[0];
    assert_eq!(r.status, ReferralStatus::Scheduled);
    assert_eq!(r.appointment_on, Some(d("2026-03-09")));
    assert_eq!(r.urgency, ReferralUrgency::Emergent);
    assert_eq!(r.goal_id, "g1");
    assert_eq!(r.status_changes.len(), 2);
    let note = &record.coordination.advocacy[0];
    assert_eq!(note.with_whom, "Eastside intake desk");
    assert_eq!(note.topic, "Earlier intake slot");
    assert_eq!(note.outcome, "Moved up a week");
    assert_eq!(
        note.text.as_str(),
        "Called the food bank. Asked for an earlier slot."
    );
    assert!(a.conflicts().unwrap().is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_denied_authorization_shows_its_appeal_deadline_until_appealed() {
    let mut doc = new_patient();
    apply(
        &mut doc,
        Op::AddCoverage {
            coverage: Coverage {
                id: "cov1".into(),
                payer: "Medicare Advantage".into(),
                plan: "Humana Gold Plus".into(),
                member_id: "H1234-567".into(),
                rank: CoverageRank::Primary,
                ..Default::default()
            },
        },
        1,
        T0,
    );
    apply(&mut doc, oxygen(), 1, T0);
    apply(
        &mut doc,
        Op::SetAuthorizationStatus {
            id: "a1".into(),
            status: AuthorizationStatus::Denied,
            date: Some(d("2025-12-16")),
            change_id: "s1".into(),
            note: "letter received".into(),
            decision: AuthorizationDecision {
                denial_reason: Some("SpO2 not documented at rest".into()),
                alternative_plan: Some("Portable concentrator loaned by the clinic".into()),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    let a = doc.record().unwrap().coordination.authorizations[0].clone();
    // The coverage records no window: the usual 60 days.
    assert_eq!(a.appeal_window_days, None);
    assert_eq!(appeal_deadline(&a), Some(d("2026-02-14")));
    assert_eq!(a.denied_on, Some(d("2025-12-16")));
    assert_eq!(a.status_changes[0].recorded.user_name, "Nurse 1");

    // Today reads it from the summary alone, against the day it is shown.
    let summary = doc.summary_on(day("2025-12-20")).unwrap();
    let stored = PatientSummary::from_stored(&summary.to_stored().unwrap()).unwrap();
    let Stored::Current(stored) = stored else {
        panic!("not current")
    };
    assert_eq!(stored.coordination, summary.coordination);
    let items = due_items(&stored.coordination, day("2026-02-02"));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, CoordinationKind::AppealDeadline);
    assert_eq!(
        items[0].label,
        "Appeal to Medicare Advantage due 2026-02-14 (12 days left)"
    );
    assert!(!items[0].overdue);
    assert!(due_items(&stored.coordination, day("2026-02-15"))[0].overdue);

    // The payer's window, once known, moves the deadline.
    apply(
        &mut doc,
        Op::ChangeAuthorization {
            id: "a1".into(),
            changes: AuthorizationChanges {
                appeal_window_days: Some(65),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    let items = coordination_items(&doc.record().unwrap(), day("2026-02-02"));
    assert_eq!(items[0].due, d("2026-02-19"));

    // Appealed with the statement: the deadline leaves the worklist.
    apply(
        &mut doc,
        Op::SetAuthorizationStatus {
            id: "a1".into(),
            status: AuthorizationStatus::Appealed,
            date: Some(d("2026-01-20")),
            change_id: "s2".into(),
            note: String::new(),
            decision: AuthorizationDecision {
                medical_necessity: Some("SpO2 86% at rest on room air, 2 readings".into()),
                ..Default::default()
            },
        },
        2,
        T0,
    );
    assert!(coordination_items(&doc.record().unwrap(), day("2026-02-02")).is_empty());
    assert!(doc
        .summary()
        .unwrap()
        .coordination
        .authorizations
        .is_empty());

    // Approved on appeal, in part: the approval's end shows two weeks ahead.
    apply(
        &mut doc,
        Op::SetAuthorizationStatus {
            id: "a1".into(),
            status: AuthorizationStatus::AppealApproved,
            date: Some(d("2026-02-10")),
            change_id: "s3".into(),
            note: String::new(),
            decision: AuthorizationDecision {
                units_approved: Some(2),
                valid_from: Some(d("2026-02-10")),
                valid_to: Some(d("2026-05-10")),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    let record = doc.record().unwrap();
    let a = &record.coordination.authorizations[0];
    assert_eq!(a.status, AuthorizationStatus::AppealApproved);
    assert_eq!(units_left(a), Some(2));
    assert_eq!(
        a.status_changes
            .iter()
            .map(|c| (c.status.as_str(), c.recorded.user_name.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("denied", "Nurse 1"),
            ("appealed", "Nurse 2"),
            ("appeal_approved", "Nurse 1")
        ]
    );
    assert!(coordination_items(&record, day("2026-04-25")).is_empty());
    assert_eq!(
        coordination_items(&record, day("2026-04-26"))[0].label,
        "Authorization for home oxygen ends 2026-05-10 (14 days left)"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bad_coordination_input_changes_nothing() {
    let mut doc = new_patient();
    apply(&mut doc, food_bank_referral(), 1, T0);
    apply(
        &mut doc,
        status("r1", "s1", ReferralStatus::Sent, "2026-03-02"),
        1,
        T0,
    );
    apply(&mut doc, oxygen(), 1, T0);
    apply(
        &mut doc,
        Op::SetAuthorizationStatus {
            id: "a1".into(),
            status: AuthorizationStatus::Approved,
            date: Some(d("2025-12-10")),
            change_id: "as1".into(),
            note: String::new(),
            decision: AuthorizationDecision {
                units_approved: Some(3),
                ..Default::default()
            },
        },
        1,
        T0,
    );

    // Unknown ids.
    for op in [
        status("nope", "s9", ReferralStatus::Declined, "2026-03-03"),
        Op::ChangeReferral {
            id: "nope".into(),
            changes: ReferralChanges {
                reason: Some("x".into()),
                ..Default::default()
            },
        },
        auth_status(AuthorizationStatus::Denied, "as9", "2026-03-03").with_id("nope"),
        Op::ChangeAuthorization {
            id: "nope".into(),
            changes: AuthorizationChanges::default(),
        },
        Op::RecordAuthorizationUse {
            authorization_id: "nope".into(),
            entry: AuthorizationUse {
                id: "u1".into(),
                date: d("2026-03-03"),
                units: 1,
                ..Default::default()
            },
        },
        Op::ChangeAdvocacyNote {
            id: "nope".into(),
            date: None,
            with_whom: Some("x".into()),
            topic: None,
            outcome: None,
        },
        Op::ChangeCoverage {
            id: "nope".into(),
            changes: CoverageChanges {
                plan: Some("x".into()),
                ..Default::default()
            },
        },
    ] {
        let name = op.name();
        assert!(
            matches!(refused(&mut doc, op), DocError::NotFound(_)),
            "{name}"
        );
    }

    // Completed without an outcome.
    let err = refused(
        &mut doc,
        status("r1", "s2", ReferralStatus::Completed, "2026-03-20"),
    );
    assert!(err.to_string().contains("outcome"), "{err}");
    // Scheduled without the appointment.
    refused(
        &mut doc,
        status("r1", "s2", ReferralStatus::Scheduled, "2026-03-03"),
    );
    // Appealed from Approved (even with a statement), and an appeal's outcome without an appeal.
    let mut appeal = auth_status(AuthorizationStatus::Appealed, "as2", "2026-03-03");
    if let Op::SetAuthorizationStatus { decision, .. } = &mut appeal {
        decision.medical_necessity = Some("Needed at night".into());
    }
    let err = refused(&mut doc, appeal);
    assert!(err.to_string().contains("only a denial"), "{err}");
    refused(
        &mut doc,
        auth_status(AuthorizationStatus::AppealDenied, "as2", "2026-03-03"),
    );
    // Denied, then appealed without a statement.
    apply(
        &mut doc,
        auth_status(AuthorizationStatus::Denied, "as2", "2026-03-03"),
        1,
        T0,
    );
    let err = refused(
        &mut doc,
        auth_status(AuthorizationStatus::Appealed, "as3", "2026-03-04"),
    );
    assert!(err.to_string().contains("medical-necessity"), "{err}");
    // An undated status change, a referral without a target, a partial approval of everything.
    let mut undated = status("r1", "s2", ReferralStatus::Declined, "2026-03-03");
    if let Op::SetReferralStatus { date, .. } = &mut undated {
        *date = None;
    }
    refused(&mut doc, undated);
    refused(
        &mut doc,
        Op::AddReferral {
            referral: Referral {
                id: "r2".into(),
                to: "  ".into(),
                ..Default::default()
            },
        },
    );
    refused(
        &mut doc,
        Op::ChangeAuthorization {
            id: "a1".into(),
            changes: AuthorizationChanges {
                valid_from: Some(d("2026-04-01")),
                valid_to: Some(d("2026-03-01")),
                ..Default::default()
            },
        },
    );
}

trait WithId {
    fn with_id(self, id: &str) -> Self;
}

impl WithId for Op {
    fn with_id(mut self, new: &str) -> Self {
        if let Op::SetAuthorizationStatus { id, .. } = &mut self {
            *id = new.into();
        }
        self
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_v1_document_reads_its_referral_with_defaults_and_takes_the_new_ops() {
    let bytes = include_bytes!("fixtures/patient_v1.automerge");
    let mut doc = PatientDoc::load(bytes).expect("v1 fixture loads");
    let record = doc.record().expect("v1 fixture hydrates");
    let r = &record.coordination.referrals[0];
    assert_eq!(r.status, ReferralStatus::Completed);
    assert_eq!(r.urgency, ReferralUrgency::Routine);
    assert_eq!(r.organisation_id, "");
    assert_eq!(r.appointment_on, None);
    assert!(r.status_changes.is_empty());
    assert!(record.profile.coverages.is_empty());
    // The lists an older build never wrote are created on first use.
    apply(
        &mut doc,
        Op::ChangeReferral {
            id: "r1".into(),
            changes: ReferralChanges {
                outcome: Some("rides booked through June".into()),
                ..Default::default()
            },
        },
        1,
        T0 + 400 * DAY_MS,
    );
    apply(
        &mut doc,
        status("r1", "late1", ReferralStatus::Completed, "2026-01-21"),
        1,
        T0 + 400 * DAY_MS,
    );
    apply(
        &mut doc,
        Op::AddCoverage {
            coverage: Coverage {
                id: "cov1".into(),
                payer: "Medicaid".into(),
                ..Default::default()
            },
        },
        1,
        T0 + 400 * DAY_MS,
    );
    let record = doc.record().unwrap();
    assert_eq!(record.coordination.referrals[0].status_changes.len(), 1);
    assert_eq!(record.profile.coverages[0].payer, "Medicaid");
    let bytes = doc.save();
    assert_eq!(PatientDoc::load(&bytes).unwrap().record().unwrap(), record);
}

/// An authorisation, advocacy note and profile as the builds before coordinating services wrote
/// them (without the fields added since).
#[derive(Reconcile, Hydrate)]
struct OldRecord {
    schema_version: u64,
    id: String,
    name: PersonName,
    created_at: i64,
    profile: OldProfile,
    coordination: OldCoordination,
}

#[derive(Reconcile, Hydrate)]
struct OldProfile {
    date_of_birth: Option<IsoDate>,
    sex: String,
    gender_identity: String,
    pronouns: String,
    preferred_language: String,
    interpreter_needed: bool,
    email: String,
    address: Address,
    phones: Vec<Phone>,
    identifiers: Vec<Identifier>,
    code_status: CodeStatus,
}

#[derive(Reconcile, Hydrate)]
struct OldCoordination {
    referrals: Vec<OldReferral>,
    authorizations: Vec<OldAuthorization>,
    education: Vec<Education>,
    advocacy: Vec<OldAdvocacyNote>,
}

#[derive(Reconcile, Hydrate)]
struct OldReferral {
    #[key]
    id: String,
    kind: ReferralKind,
    to: String,
    reason: String,
    status: ReferralStatus,
    status_note: String,
    sent_on: Option<IsoDate>,
    completed_on: Option<IsoDate>,
    recorded: Stamp,
    retired: Option<Retirement>,
}

#[derive(Reconcile, Hydrate)]
struct OldAuthorization {
    #[key]
    id: String,
    service: String,
    payer: String,
    reference: String,
    status: AuthorizationStatus,
    requested_on: Option<IsoDate>,
    decided_on: Option<IsoDate>,
    medical_necessity: Narrative,
    recorded: Stamp,
    retired: Option<Retirement>,
}

#[derive(Reconcile, Hydrate)]
struct OldAdvocacyNote {
    #[key]
    id: String,
    date: IsoDate,
    text: Narrative,
    recorded: Stamp,
    retired: Option<Retirement>,
}

fn old_document() -> Vec<u8> {
    let mut doc = automerge::AutoCommit::new();
    let old = OldRecord {
        schema_version: 1,
        id: "5b1d2f0e-4c8a-4f7e-9d3b-0a6c1e2f3a4b".into(),
        name: name("Ada", "Byrne"),
        created_at: T0,
        profile: OldProfile {
            date_of_birth: None,
            sex: String::new(),
            gender_identity: String::new(),
            pronouns: String::new(),
            preferred_language: String::new(),
            interpreter_needed: false,
            email: String::new(),
            address: Address::default(),
            phones: Vec::new(),
            identifiers: Vec::new(),
            code_status: CodeStatus::Unknown,
        },
        coordination: OldCoordination {
            referrals: vec![OldReferral {
                id: "r1".into(),
                kind: ReferralKind::Specialist,
                to: "Pulmonology".into(),
                reason: "COPD".into(),
                status: ReferralStatus::Sent,
                status_note: "faxed".into(),
                sent_on: Some(d("2026-01-05")),
                completed_on: None,
                recorded: Stamp::default(),
                retired: None,
            }],
            authorizations: vec![OldAuthorization {
                id: "a1".into(),
                service: "home oxygen".into(),
                payer: "Medicare".into(),
                reference: String::new(),
                status: AuthorizationStatus::Denied,
                requested_on: Some(d("2026-01-02")),
                decided_on: Some(d("2026-01-09")),
                medical_necessity: Narrative::new("SpO2 86% at rest"),
                recorded: Stamp::default(),
                retired: None,
            }],
            education: Vec::new(),
            advocacy: vec![OldAdvocacyNote {
                id: "adv1".into(),
                date: d("2026-01-10"),
                text: Narrative::new("Called Medicare"),
                recorded: Stamp::default(),
                retired: None,
            }],
        },
    };
    autosurgeon::reconcile(&mut doc, &old).expect("reconcile");
    doc.save()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn older_authorizations_and_notes_without_the_new_fields_still_read_and_change() {
    let mut doc = PatientDoc::load(&old_document()).expect("old document loads");
    let record = doc.record().expect("old document hydrates");
    let a = &record.coordination.authorizations[0];
    assert_eq!(a.status, AuthorizationStatus::Denied);
    assert_eq!(a.units_requested, None);
    assert_eq!(a.denied_on, None);
    assert!(a.uses.is_empty() && a.status_changes.is_empty());
    // Without a denial date there is no deadline to show (the date is added by a correction).
    assert_eq!(appeal_deadline(a), None);
    let note = &record.coordination.advocacy[0];
    assert_eq!(note.with_whom, "");
    assert_eq!(
        record.coordination.referrals[0].urgency,
        ReferralUrgency::Routine
    );
    assert!(doc.summary().is_ok());

    apply(
        &mut doc,
        Op::ChangeAuthorization {
            id: "a1".into(),
            changes: AuthorizationChanges {
                denied_on: Some(d("2026-01-09")),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    let items = coordination_items(&doc.record().unwrap(), day("2026-01-20"));
    assert_eq!(
        items
            .iter()
            .map(|i| (i.kind, i.due.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (CoordinationKind::ReferralNotScheduled, "2026-01-19"),
            (CoordinationKind::AppealDeadline, "2026-03-10"),
        ]
    );
    apply(
        &mut doc,
        auth_status(AuthorizationStatus::Appealed, "s1", "2026-01-20"),
        1,
        T0,
    );
    apply(
        &mut doc,
        auth_status(AuthorizationStatus::AppealApproved, "s2", "2026-02-01"),
        1,
        T0,
    );
    apply(
        &mut doc,
        Op::RecordAuthorizationUse {
            authorization_id: "a1".into(),
            entry: AuthorizationUse {
                id: "u1".into(),
                date: d("2026-02-02"),
                units: 1,
                note: "delivered".into(),
                ..Default::default()
            },
        },
        1,
        T0,
    );
    apply(
        &mut doc,
        Op::ChangeAdvocacyNote {
            id: "adv1".into(),
            date: None,
            with_whom: Some("Medicare".into()),
            topic: Some("Oxygen denial".into()),
            outcome: None,
        },
        1,
        T0,
    );
    apply(
        &mut doc,
        status("r1", "rs1", ReferralStatus::NoShow, "2026-02-03"),
        1,
        T0,
    );
    let record = doc.record().unwrap();
    let a = &record.coordination.authorizations[0];
    assert_eq!(a.status, AuthorizationStatus::AppealApproved);
    assert_eq!(a.status_changes.len(), 2);
    assert_eq!(a.uses[0].note, "delivered");
    assert_eq!(record.coordination.advocacy[0].topic, "Oxygen denial");
    let r = &record.coordination.referrals[0];
    assert_eq!(r.status, ReferralStatus::NoShow);
    assert_eq!(r.status_changes.len(), 1);
    assert!(coordination_items(&record, day("2026-02-10")).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_summary_stored_before_coordination_facts_reads_as_outdated() {
    let mut doc = new_patient();
    apply(&mut doc, oxygen(), 1, T0);
    let mut s = doc.summary().unwrap();
    assert!(s.coordination.referrals.is_empty() && s.coordination.authorizations.is_empty());
    s.billing = Default::default();
    s.due_items.clear();
    // Version 6 is version 7 without every due item and the day (an empty list and no day: two
    // 0 bytes).
    let mut v6 = s.to_stored().unwrap();
    for _ in 0..2 {
        assert_eq!(v6.pop(), Some(0));
    }
    v6[0] = 6;
    assert_eq!(
        PatientSummary::from_stored(&v6),
        Ok(Stored::Outdated(s.clone()))
    );
    // Version 5 is version 6 without the care team (an empty name, an empty list and no plan
    // date: three 0 bytes); version 4 is version 5 without the coordination facts (two empty
    // lists: two 0 bytes).
    let mut v5 = v6.clone();
    for _ in 0..3 {
        assert_eq!(v5.pop(), Some(0));
    }
    v5[0] = 5;
    assert_eq!(
        PatientSummary::from_stored(&v5),
        Ok(Stored::Outdated(s.clone()))
    );
    let mut v4 = v5.clone();
    assert_eq!(v4.pop(), Some(0));
    assert_eq!(v4.pop(), Some(0));
    v4[0] = 4;
    assert_eq!(
        PatientSummary::from_stored(&v4),
        Ok(Stored::Outdated(s.clone()))
    );
    v4.push(7);
    assert!(PatientSummary::from_stored(&v4).is_err());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_new_ops_round_trip_through_json_flat() {
    let ops = vec![
        Op::SetAuthorizationStatus {
            id: "a1".into(),
            status: AuthorizationStatus::PartiallyApproved,
            date: Some(d("2026-03-01")),
            change_id: "c1".into(),
            note: "by phone".into(),
            decision: AuthorizationDecision {
                units_approved: Some(4),
                valid_to: Some(d("2026-06-01")),
                ..Default::default()
            },
        },
        Op::ChangeReferral {
            id: "r1".into(),
            changes: ReferralChanges {
                urgency: Some(ReferralUrgency::Emergent),
                ..Default::default()
            },
        },
        Op::ChangeCoverage {
            id: "c1".into(),
            changes: CoverageChanges {
                appeal_window_days: Some(65),
                ..Default::default()
            },
        },
    ];
    for op in ops {
        let json = serde_json::to_value(&op).unwrap();
        assert!(json.get("changes").is_none() && json.get("decision").is_none());
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), op);
    }
    // The fields a caller leaves out are `None`.
    let op: Op = serde_json::from_str(
        r#"{"op":"set_referral_status","id":"r1","status":"no_show","note":"","date":"2026-03-01","change_id":"c2"}"#,
    )
    .unwrap();
    assert_eq!(op, status("r1", "c2", ReferralStatus::NoShow, "2026-03-01"));
}
