use super::*;
use crate::author::Author;
use crate::ids::PatientId;
use crate::ops::{AuthorizationDecision, ItemList, Op, ReferralChanges};
use crate::{DocError, PatientDoc};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn iso(s: &str) -> IsoDate {
    IsoDate::parse(s).unwrap()
}

fn denied(on: &str, window: Option<u64>) -> Authorization {
    Authorization {
        id: "a1".into(),
        service: "home oxygen".into(),
        payer: "Medicare Advantage".into(),
        status: AuthorizationStatus::Denied,
        denied_on: Some(iso(on)),
        appeal_window_days: window,
        ..Default::default()
    }
}

fn sent(id: &str, urgency: ReferralUrgency, on: &str) -> Referral {
    Referral {
        id: id.into(),
        to: "Eastside Food Bank".into(),
        urgency,
        status: ReferralStatus::Sent,
        sent_on: Some(iso(on)),
        ..Default::default()
    }
}

fn with_referrals(referrals: Vec<Referral>) -> PatientRecord {
    let mut r = PatientRecord::default();
    r.coordination.referrals = referrals;
    r
}

fn with_authorizations(authorizations: Vec<Authorization>) -> PatientRecord {
    let mut r = PatientRecord::default();
    r.coordination.authorizations = authorizations;
    r
}

fn kinds(items: &[CoordinationItem]) -> Vec<(CoordinationKind, bool)> {
    items.iter().map(|i| (i.kind, i.overdue)).collect()
}

fn use_of(id: &str, on: &str, units: u64) -> AuthorizationUse {
    AuthorizationUse {
        id: id.into(),
        date: iso(on),
        units,
        ..Default::default()
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_appeal_deadline_counts_calendar_days_across_month_ends() {
    // 60 days by default: 31 Jan 2026 + 60 = 1 Apr 2026 (February has 28 days).
    assert_eq!(
        appeal_deadline(&denied("2026-01-31", None)),
        Some(iso("2026-04-01"))
    );
    assert_eq!(
        appeal_deadline(&denied("2026-01-31", Some(28))),
        Some(iso("2026-02-28"))
    );
    // A leap year: 31 Jan 2028 + 30 = 1 Mar 2028 (29 February exists).
    assert_eq!(
        appeal_deadline(&denied("2028-01-31", Some(30))),
        Some(iso("2028-03-01"))
    );
    // Across the year end.
    assert_eq!(
        appeal_deadline(&denied("2026-12-31", Some(30))),
        Some(iso("2027-01-30"))
    );
    assert_eq!(
        appeal_deadline(&denied("2026-11-15", Some(180))),
        Some(iso("2027-05-14"))
    );
    // No denial date, no deadline.
    let mut a = denied("2026-01-31", None);
    a.denied_on = None;
    assert_eq!(appeal_deadline(&a), None);
    a.denied_on = Some(IsoDate("soon".into()));
    assert_eq!(appeal_deadline(&a), None);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn units_used_leave_out_retired_uses_and_never_go_below_zero() {
    let mut a = Authorization {
        units_approved: Some(6),
        uses: vec![use_of("u1", "2026-02-01", 2), use_of("u2", "2026-02-03", 3)],
        ..Default::default()
    };
    assert_eq!(units_used(&a), 5);
    assert_eq!(units_left(&a), Some(1));
    a.uses[1].retired = Some(Retirement::default());
    assert_eq!(units_used(&a), 2);
    assert_eq!(units_left(&a), Some(4));
    a.uses.push(use_of("u3", "2026-02-05", 9));
    assert_eq!(units_left(&a), Some(0));
    a.units_approved = None;
    assert_eq!(units_left(&a), None);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_unscheduled_referral_is_due_by_urgency_and_overdue_the_day_after() {
    for (urgency, days) in [
        (ReferralUrgency::Emergent, EMERGENT_SCHEDULE_DAYS),
        (ReferralUrgency::Urgent, URGENT_SCHEDULE_DAYS),
        (ReferralUrgency::Routine, ROUTINE_SCHEDULE_DAYS),
    ] {
        let sent_on = d(2026, 2, 25);
        let due = sent_on + chrono::Days::new(days);
        let r = with_referrals(vec![sent("r1", urgency.clone(), "2026-02-25")]);
        let before = due.pred_opt().unwrap();
        assert!(
            coordination_items(&r, before).is_empty(),
            "{urgency} the day before"
        );
        let on_day = coordination_items(&r, due);
        assert_eq!(
            kinds(&on_day),
            vec![(CoordinationKind::ReferralNotScheduled, false)],
            "{urgency} on the day"
        );
        assert_eq!(on_day[0].due, IsoDate::new(due));
        let after = coordination_items(&r, due.succ_opt().unwrap());
        assert_eq!(
            kinds(&after),
            vec![(CoordinationKind::ReferralNotScheduled, true)],
            "{urgency} the day after"
        );
    }
    // Emergent: due the next day (across the month end), overdue the day after.
    let r = with_referrals(vec![sent("r1", ReferralUrgency::Emergent, "2026-02-28")]);
    let items = coordination_items(&r, d(2026, 3, 2));
    assert_eq!(items[0].due, iso("2026-03-01"));
    assert!(items[0].overdue);
    assert_eq!(
        items[0].label,
        "Referral to Eastside Food Bank: not scheduled 2 days after sending"
    );
    // An accepted referral is still unscheduled.
    let mut accepted = sent("r1", ReferralUrgency::Routine, "2026-01-01");
    accepted.status = ReferralStatus::Accepted;
    let items = coordination_items(&with_referrals(vec![accepted]), d(2026, 1, 17));
    assert_eq!(
        items[0].label,
        "Referral to Eastside Food Bank: not scheduled 16 days after sending"
    );
    assert_eq!(items[0].item_id, "r1");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_passed_appointment_without_an_outcome_is_overdue_from_the_next_day() {
    let mut r = sent("r1", ReferralUrgency::Routine, "2026-03-01");
    r.status = ReferralStatus::Scheduled;
    r.appointment_on = Some(iso("2026-03-10"));
    let record = with_referrals(vec![r.clone()]);
    assert!(coordination_items(&record, d(2026, 3, 10)).is_empty());
    let items = coordination_items(&record, d(2026, 3, 11));
    assert_eq!(
        kinds(&items),
        vec![(CoordinationKind::ReferralNoOutcome, true)]
    );
    assert_eq!(
        items[0].label,
        "Referral to Eastside Food Bank: appointment on 2026-03-10 passed, no outcome recorded"
    );
    // Once completed (or missed), it is off the list.
    for closed in [
        ReferralStatus::Completed,
        ReferralStatus::NoShow,
        ReferralStatus::Declined,
        ReferralStatus::Cancelled,
        ReferralStatus::Draft,
    ] {
        let mut r = r.clone();
        r.status = closed.clone();
        assert!(
            coordination_items(&with_referrals(vec![r]), d(2026, 5, 1)).is_empty(),
            "{closed}"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_referral_open_more_than_fourteen_days_is_listed_once() {
    // Scheduled with a later appointment: only "open" applies, from day 15.
    let mut r = sent("r1", ReferralUrgency::Urgent, "2026-03-01");
    r.status = ReferralStatus::Scheduled;
    r.appointment_on = Some(iso("2026-04-02"));
    let record = with_referrals(vec![r.clone()]);
    assert!(coordination_items(&record, d(2026, 3, 15)).is_empty());
    let items = coordination_items(&record, d(2026, 3, 16));
    assert_eq!(kinds(&items), vec![(CoordinationKind::ReferralOpen, true)]);
    assert_eq!(items[0].due, iso("2026-03-15"));
    assert_eq!(
        items[0].label,
        "Referral to Eastside Food Bank: open 15 days since sending (appointment 2026-04-02)"
    );
    // A sent routine referral past both thresholds is one item (not scheduled), not two.
    let record = with_referrals(vec![sent("r2", ReferralUrgency::Routine, "2026-03-01")]);
    assert_eq!(
        kinds(&coordination_items(&record, d(2026, 3, 20))),
        vec![(CoordinationKind::ReferralNotScheduled, true)]
    );
    // Retired, or never sent: nothing.
    let mut gone = sent("r3", ReferralUrgency::Routine, "2026-01-01");
    gone.retired = Some(Retirement::default());
    let mut unsent = sent("r4", ReferralUrgency::Routine, "2026-01-01");
    unsent.sent_on = None;
    assert!(coordination_items(&with_referrals(vec![gone, unsent]), d(2026, 3, 20)).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_denial_shows_its_appeal_deadline_with_the_days_left() {
    let record = with_authorizations(vec![denied("2025-12-16", None)]);
    // 16 Dec 2025 + 60 = 14 Feb 2026.
    let items = coordination_items(&record, d(2026, 2, 2));
    assert_eq!(
        kinds(&items),
        vec![(CoordinationKind::AppealDeadline, false)]
    );
    assert_eq!(
        items[0].label,
        "Appeal to Medicare Advantage due 2026-02-14 (12 days left)"
    );
    assert_eq!(
        coordination_items(&record, d(2026, 2, 13))[0].label,
        "Appeal to Medicare Advantage due 2026-02-14 (1 day left)"
    );
    let due_day = coordination_items(&record, d(2026, 2, 14));
    assert_eq!(
        due_day[0].label,
        "Appeal to Medicare Advantage due 2026-02-14 (due today)"
    );
    assert!(!due_day[0].overdue);
    let late = coordination_items(&record, d(2026, 2, 17));
    assert!(late[0].overdue);
    assert_eq!(
        late[0].label,
        "Appeal to Medicare Advantage due 2026-02-14 (3 days overdue)"
    );
    // Appealed: off the list.
    let mut a = denied("2025-12-16", None);
    a.appealed_on = Some(iso("2026-01-05"));
    assert!(coordination_items(&with_authorizations(vec![a]), d(2026, 2, 2)).is_empty());
    // No payer: named by the service.
    let mut a = denied("2025-12-16", None);
    a.payer = String::new();
    assert_eq!(
        coordination_items(&with_authorizations(vec![a]), d(2026, 2, 2))[0].label,
        "Appeal for home oxygen due 2026-02-14 (12 days left)"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_approval_ending_or_used_up_is_listed() {
    let approval = Authorization {
        id: "a1".into(),
        service: "physical therapy".into(),
        status: AuthorizationStatus::PartiallyApproved,
        units_approved: Some(4),
        valid_to: Some(iso("2026-03-31")),
        ..Default::default()
    };
    let record = with_authorizations(vec![approval.clone()]);
    assert!(coordination_items(&record, d(2026, 3, 16)).is_empty());
    let items = coordination_items(&record, d(2026, 3, 17));
    assert_eq!(
        kinds(&items),
        vec![(CoordinationKind::AuthorizationEnding, false)]
    );
    assert_eq!(
        items[0].label,
        "Authorization for physical therapy ends 2026-03-31 (14 days left)"
    );
    let ended = coordination_items(&record, d(2026, 4, 14));
    assert_eq!(
        ended[0].label,
        "Authorization for physical therapy ended 2026-03-31"
    );
    assert!(ended[0].overdue);
    assert!(coordination_items(&record, d(2026, 4, 15)).is_empty());

    // Units used up: due the day of the use that reached the number approved.
    let mut used = approval.clone();
    used.valid_to = None;
    used.uses = vec![
        use_of("u2", "2026-03-09", 2),
        use_of("u1", "2026-03-02", 1),
        use_of("u3", "2026-03-12", 1),
    ];
    let items = coordination_items(&with_authorizations(vec![used.clone()]), d(2026, 3, 12));
    assert_eq!(
        kinds(&items),
        vec![(CoordinationKind::AuthorizationUsedUp, false)]
    );
    assert_eq!(items[0].due, iso("2026-03-12"));
    used.uses[2].retired = Some(Retirement::default());
    assert!(coordination_items(&with_authorizations(vec![used]), d(2026, 3, 12)).is_empty());

    // Still requested, or denied and appealed: neither.
    let mut requested = approval;
    requested.status = AuthorizationStatus::Requested;
    assert!(coordination_items(&with_authorizations(vec![requested]), d(2026, 3, 30)).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn items_are_in_due_order_and_facts_carry_no_today() {
    let mut record = with_referrals(vec![sent("r1", ReferralUrgency::Routine, "2026-01-01")]);
    record.coordination.authorizations = vec![denied("2026-01-10", Some(30))];
    let facts = CoordinationFacts::of(&record);
    assert_eq!(facts.referrals.len(), 1);
    assert_eq!(facts.authorizations[0].appeal_by, Some(iso("2026-02-09")));
    let items = due_items(&facts, d(2026, 1, 20));
    assert_eq!(
        items.iter().map(|i| i.due.as_str()).collect::<Vec<_>>(),
        vec!["2026-01-15", "2026-02-09"]
    );
    assert_eq!(items, coordination_items(&record, d(2026, 1, 20)));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn referrals_for_a_need_leave_out_retired_ones() {
    let mut a = sent("r1", ReferralUrgency::Routine, "2026-01-01");
    a.need_id = "n1".into();
    a.goal_id = "g1".into();
    let mut b = a.clone();
    b.id = "r2".into();
    b.retired = Some(Retirement::default());
    let mut c = a.clone();
    c.id = "r3".into();
    c.need_id = "n2".into();
    let record = with_referrals(vec![a, b, c]);
    let ids = |v: Vec<&Referral>| v.into_iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(referrals_for_need(&record, "n1")), vec!["r1"]);
    assert_eq!(ids(referrals_for_need(&record, "n2")), vec!["r3"]);
    assert!(referrals_for_need(&record, "").is_empty());
    assert_eq!(ids(referrals_for_goal(&record, "g1")), vec!["r1", "r3"]);
}

// ---- The status rules, applied to a document ----------------------------------------------------

fn author() -> Author {
    Author {
        user_id: "u1".into(),
        user_name: "Ana Nurse".into(),
        device_id: "d1".into(),
    }
}

fn patient() -> PatientDoc {
    let name = PersonName {
        given: "Rosa".into(),
        family: "Diaz".into(),
    };
    PatientDoc::create(&PatientId::random(), name, &author(), 1).unwrap()
}

fn ok(doc: &mut PatientDoc, op: Op) {
    let name = op.name();
    doc.apply(op, &author(), 2)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// Applies `op`, which must be refused as invalid, and checks nothing changed.
fn refused(doc: &mut PatientDoc, op: Op) -> String {
    let before = doc.heads();
    let record = doc.record().unwrap();
    let msg = match doc.apply(op.clone(), &author(), 3) {
        Err(DocError::Invalid(m)) => m,
        other => panic!("{op:?} gave {other:?}"),
    };
    assert_eq!(doc.heads(), before, "{op:?} changed the document");
    assert_eq!(doc.record().unwrap(), record);
    msg
}

fn referral_status(
    status: ReferralStatus,
    date: Option<&str>,
    appointment_on: Option<&str>,
    outcome: Option<&str>,
) -> Op {
    Op::SetReferralStatus {
        id: "r1".into(),
        status,
        note: String::new(),
        date: date.map(iso),
        change_id: "c1".into(),
        appointment_on: appointment_on.map(iso),
        outcome: outcome.map(str::to_string),
    }
}

fn with_referral() -> PatientDoc {
    let mut doc = patient();
    ok(
        &mut doc,
        Op::AddReferral {
            referral: Referral {
                id: "r1".into(),
                to: "Cardiology".into(),
                sent_on: Some(iso("2026-03-05")),
                status: ReferralStatus::Sent,
                ..Default::default()
            },
        },
    );
    doc
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn referral_status_changes_refuse_what_they_lack() {
    let mut doc = with_referral();
    let s = ReferralStatus::Scheduled;
    assert!(refused(
        &mut doc,
        referral_status(s.clone(), Some("2026-03-06"), None, None)
    )
    .contains("appointment"));
    assert!(refused(
        &mut doc,
        referral_status(
            ReferralStatus::Completed,
            Some("2026-03-20"),
            None,
            Some("  ")
        )
    )
    .contains("outcome"));
    // Undated, a bad date, an appointment before the referral was sent, no change id.
    assert!(refused(
        &mut doc,
        referral_status(s.clone(), None, Some("2026-03-20"), None)
    )
    .contains("date"));
    refused(
        &mut doc,
        Op::SetReferralStatus {
            id: "r1".into(),
            status: s.clone(),
            note: String::new(),
            date: Some(IsoDate("2026-02-30".into())),
            change_id: "c1".into(),
            appointment_on: Some(iso("2026-03-20")),
            outcome: None,
        },
    );
    assert!(refused(
        &mut doc,
        referral_status(s.clone(), Some("2026-03-06"), Some("2026-03-01"), None)
    )
    .contains("before"));
    let mut no_id = referral_status(s.clone(), Some("2026-03-06"), Some("2026-03-20"), None);
    if let Op::SetReferralStatus { change_id, .. } = &mut no_id {
        change_id.clear();
    }
    refused(&mut doc, no_id);
    refused(
        &mut doc,
        referral_status(
            ReferralStatus::Other("lost".into()),
            Some("2026-03-06"),
            None,
            None,
        ),
    );
    // An unknown referral is not found (and changes nothing either).
    let before = doc.heads();
    let mut unknown = referral_status(s.clone(), Some("2026-03-06"), Some("2026-03-20"), None);
    if let Op::SetReferralStatus { id, .. } = &mut unknown {
        *id = "nope".into();
    }
    assert!(matches!(
        doc.apply(unknown, &author(), 3),
        Err(DocError::NotFound(_))
    ));
    assert_eq!(doc.heads(), before);

    // An outcome recorded earlier closes the loop.
    ok(
        &mut doc,
        Op::ChangeReferral {
            id: "r1".into(),
            changes: ReferralChanges {
                outcome: Some("Seen; echo ordered".into()),
                ..Default::default()
            },
        },
    );
    ok(
        &mut doc,
        referral_status(ReferralStatus::Completed, Some("2026-03-20"), None, None),
    );
    let r = &doc.record().unwrap().coordination.referrals[0];
    assert_eq!(r.status, ReferralStatus::Completed);
    assert_eq!(r.completed_on, Some(iso("2026-03-20")));
    assert_eq!(r.outcome, "Seen; echo ordered");
    assert_eq!(r.status_changes.len(), 1);
    // The change id is taken now.
    refused(
        &mut doc,
        referral_status(ReferralStatus::Completed, Some("2026-03-21"), None, None),
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn referral_edits_keep_dates_in_order_and_the_target_named() {
    let mut doc = with_referral();
    let change = |changes: ReferralChanges| Op::ChangeReferral {
        id: "r1".into(),
        changes,
    };
    refused(
        &mut doc,
        change(ReferralChanges {
            to: Some(" ".into()),
            ..Default::default()
        }),
    );
    refused(
        &mut doc,
        change(ReferralChanges {
            completed_on: Some(iso("2026-03-01")),
            ..Default::default()
        }),
    );
    refused(
        &mut doc,
        change(ReferralChanges {
            sent_on: Some(iso("2026-04-01")),
            appointment_on: Some(iso("2026-03-20")),
            ..Default::default()
        }),
    );
    ok(
        &mut doc,
        change(ReferralChanges {
            urgency: Some(ReferralUrgency::Urgent),
            need_id: Some("n1".into()),
            organisation_id: Some("org-7".into()),
            ..Default::default()
        }),
    );
    let r = &doc.record().unwrap().coordination.referrals[0];
    assert_eq!(r.urgency, ReferralUrgency::Urgent);
    assert_eq!(r.need_id, "n1");
    assert_eq!(r.organisation_id, "org-7");
    assert_eq!(r.to, "Cardiology");
    assert!(change(ReferralChanges::default()).changes_nothing());
}

fn auth_status(status: AuthorizationStatus, date: &str, decision: AuthorizationDecision) -> Op {
    Op::SetAuthorizationStatus {
        id: "a1".into(),
        status,
        date: Some(iso(date)),
        change_id: format!("c-{date}"),
        note: String::new(),
        decision,
    }
}

fn with_authorization(necessity: &str) -> PatientDoc {
    let mut doc = patient();
    ok(
        &mut doc,
        Op::AddAuthorization {
            authorization: Authorization {
                id: "a1".into(),
                service: "physical therapy".into(),
                payer: "Medicare Advantage".into(),
                units_requested: Some(12),
                medical_necessity: Narrative::new(necessity),
                ..Default::default()
            },
        },
    );
    doc
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn authorization_status_rules_refuse_bad_transitions() {
    use AuthorizationStatus as S;
    let none = AuthorizationDecision::default;
    let mut doc = with_authorization("");
    // Appeals only follow a denial; their outcome only follows an appeal.
    let statement = || AuthorizationDecision {
        medical_necessity: Some("Needs PT after hip fracture".into()),
        ..Default::default()
    };
    assert!(refused(
        &mut doc,
        auth_status(S::Appealed, "2026-03-02", statement())
    )
    .contains("denial"));
    refused(
        &mut doc,
        auth_status(S::AppealApproved, "2026-03-02", none()),
    );
    refused(&mut doc, auth_status(S::AppealDenied, "2026-03-02", none()));
    // A partial approval is fewer units than requested; no approval is of zero units.
    let units = |n| AuthorizationDecision {
        units_approved: Some(n),
        ..Default::default()
    };
    assert!(refused(
        &mut doc,
        auth_status(S::PartiallyApproved, "2026-03-02", units(12))
    )
    .contains("fewer"));
    refused(&mut doc, auth_status(S::Approved, "2026-03-02", units(0)));
    // The valid period does not end before it starts.
    refused(
        &mut doc,
        auth_status(
            S::Approved,
            "2026-03-02",
            AuthorizationDecision {
                valid_from: Some(iso("2026-03-02")),
                valid_to: Some(iso("2026-03-01")),
                ..Default::default()
            },
        ),
    );
    refused(
        &mut doc,
        auth_status(
            S::Denied,
            "2026-03-02",
            AuthorizationDecision {
                appeal_window_days: Some(0),
                ..Default::default()
            },
        ),
    );

    // Denied, then an appeal without a statement is refused; with one it is recorded.
    ok(
        &mut doc,
        auth_status(
            S::Denied,
            "2026-03-02",
            AuthorizationDecision {
                denial_reason: Some("not medically necessary".into()),
                alternative_plan: Some("home exercise program".into()),
                ..Default::default()
            },
        ),
    );
    assert!(
        refused(&mut doc, auth_status(S::Appealed, "2026-03-05", none()))
            .contains("medical-necessity")
    );
    refused(
        &mut doc,
        auth_status(S::AppealApproved, "2026-03-05", none()),
    );
    ok(
        &mut doc,
        auth_status(S::Appealed, "2026-03-05", statement()),
    );
    let a = &doc.record().unwrap().coordination.authorizations[0];
    assert_eq!(a.status, S::Appealed);
    assert_eq!(a.denied_on, Some(iso("2026-03-02")));
    assert_eq!(a.decided_on, Some(iso("2026-03-02")));
    assert_eq!(a.appealed_on, Some(iso("2026-03-05")));
    assert_eq!(a.denial_reason, "not medically necessary");
    assert_eq!(a.alternative_plan, "home exercise program");
    assert_eq!(a.medical_necessity.as_str(), "Needs PT after hip fracture");
    assert_eq!(
        a.status_changes
            .iter()
            .map(|c| c.status.clone())
            .collect::<Vec<_>>(),
        vec![S::Denied, S::Appealed]
    );
    // Not appealed twice.
    refused(
        &mut doc,
        auth_status(S::Appealed, "2026-03-06", statement()),
    );
    ok(
        &mut doc,
        auth_status(S::AppealApproved, "2026-04-01", units(8)),
    );
    let a = &doc.record().unwrap().coordination.authorizations[0];
    assert_eq!(a.units_approved, Some(8));
    assert_eq!(a.decided_on, Some(iso("2026-04-01")));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_denial_takes_the_payers_appeal_window_from_its_coverage() {
    let mut doc = with_authorization("SpO2 86% at rest");
    ok(
        &mut doc,
        Op::AddCoverage {
            coverage: Coverage {
                id: "cov1".into(),
                payer: "medicare advantage ".into(),
                appeal_window_days: Some(65),
                ..Default::default()
            },
        },
    );
    ok(
        &mut doc,
        auth_status(
            AuthorizationStatus::Denied,
            "2026-01-01",
            AuthorizationDecision::default(),
        ),
    );
    let a = &doc.record().unwrap().coordination.authorizations[0];
    assert_eq!(a.appeal_window_days, Some(65));
    assert_eq!(appeal_deadline(a), Some(iso("2026-03-07")));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn uses_count_against_the_approval_and_can_be_retired() {
    let mut doc = with_authorization("");
    ok(
        &mut doc,
        auth_status(
            AuthorizationStatus::Approved,
            "2026-03-01",
            AuthorizationDecision {
                units_approved: Some(2),
                ..Default::default()
            },
        ),
    );
    let record_use = |id: &str, units| Op::RecordAuthorizationUse {
        authorization_id: "a1".into(),
        entry: use_of(id, "2026-03-04", units),
    };
    refused(&mut doc, record_use("u0", 0));
    ok(&mut doc, record_use("u1", 1));
    ok(&mut doc, record_use("u2", 1));
    refused(&mut doc, record_use("u2", 1));
    let a = doc.record().unwrap().coordination.authorizations[0].clone();
    assert_eq!(units_left(&a), Some(0));
    assert_eq!(a.uses[0].recorded.user_name, "Ana Nurse");
    assert_eq!(
        kinds(&coordination_items(&doc.record().unwrap(), d(2026, 3, 5))),
        vec![(CoordinationKind::AuthorizationUsedUp, true)]
    );
    ok(
        &mut doc,
        Op::RetireAuthorizationUse {
            authorization_id: "a1".into(),
            id: "u2".into(),
            reason: RetireReason::EnteredInError,
            note: String::new(),
        },
    );
    let a = doc.record().unwrap().coordination.authorizations[0].clone();
    assert_eq!(units_left(&a), Some(1));
    assert!(coordination_items(&doc.record().unwrap(), d(2026, 3, 5)).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn coverages_are_added_changed_and_retired() {
    let mut doc = patient();
    let coverage = |id: &str, payer: &str, rank| Coverage {
        id: id.into(),
        payer: payer.into(),
        rank,
        ..Default::default()
    };
    refused(
        &mut doc,
        Op::AddCoverage {
            coverage: coverage("c0", " ", CoverageRank::Primary),
        },
    );
    refused(
        &mut doc,
        Op::AddCoverage {
            coverage: Coverage {
                effective_from: Some(iso("2026-02-01")),
                effective_to: Some(iso("2026-01-01")),
                ..coverage("c0", "Medicaid", CoverageRank::Primary)
            },
        },
    );
    ok(
        &mut doc,
        Op::AddCoverage {
            coverage: coverage("c2", "Medicaid", CoverageRank::Secondary),
        },
    );
    ok(
        &mut doc,
        Op::AddCoverage {
            coverage: coverage("c1", "Medicare", CoverageRank::Primary),
        },
    );
    ok(
        &mut doc,
        Op::ChangeCoverage {
            id: "c1".into(),
            changes: crate::ops::CoverageChanges {
                member_id: Some("1EG4-TE5-MK72".into()),
                ..Default::default()
            },
        },
    );
    let record = doc.record().unwrap();
    let payers: Vec<&str> = coverages(&record)
        .iter()
        .map(|c| c.payer.as_str())
        .collect();
    assert_eq!(payers, vec!["Medicare", "Medicaid"]);
    assert_eq!(record.profile.coverages[1].member_id, "1EG4-TE5-MK72");
    ok(
        &mut doc,
        Op::Retire {
            list: ItemList::Coverages,
            id: "c2".into(),
            reason: RetireReason::NoLongerApplicable,
            note: String::new(),
        },
    );
    assert_eq!(coverages(&doc.record().unwrap()).len(), 1);
}
