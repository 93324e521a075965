use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn med(id: &str, name: &str, times: &[&str]) -> Medication {
    Medication {
        id: id.into(),
        name: name.into(),
        dose: "10 mg".into(),
        frequency: "free text".into(),
        schedule: MedicationSchedule {
            times: times.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn slots_parse_order_and_round_trip() {
    assert_eq!(Slot::parse(" Morning "), Some(Slot::Morning));
    assert_eq!(Slot::parse("07:30"), Some(Slot::Clock(450)));
    for bad in ["7:30", "24:00", "12:60", "soon", ""] {
        assert_eq!(Slot::parse(bad), None, "{bad}");
    }
    assert_eq!(Slot::Clock(450).id(), "07:30");
    let mut s = vec![
        Slot::Bedtime,
        Slot::Clock(14 * 60),
        Slot::Morning,
        Slot::Clock(7 * 60),
    ];
    s.sort_by_key(|s| (s.minutes(), *s));
    assert_eq!(
        s,
        vec![
            Slot::Clock(420),
            Slot::Morning,
            Slot::Clock(840),
            Slot::Bedtime
        ]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_day_grid_has_each_medication_in_its_columns() {
    let today = d(2026, 12, 3);
    let mut r = PatientRecord::default();
    let mut metformin = med("m1", "Metformin", &["morning", "evening"]);
    metformin.schedule.food = FoodInstruction::WithFood;
    metformin.indication = "diabetes".into();
    let mut later = med("m2", "Starts next week", &["noon"]);
    later.schedule.start_on = Some(IsoDate::new(d(2026, 12, 10)));
    let mut stopped = med("m3", "Stopped", &["noon"]);
    stopped.status = MedicationStatus::Stopped;
    let mut inhaler = med("m4", "Albuterol", &[]);
    inhaler.schedule.as_needed = true;
    inhaler.schedule.as_needed_reason = "if short of breath".into();
    inhaler.schedule.max_per_day = Some(4);
    r.medical.medications = vec![
        metformin,
        med("m5", "Atorvastatin", &["bedtime"]),
        later,
        stopped,
        inhaler,
        med("m6", "Old record", &[]),
        med("m7", "Levothyroxine", &["06:30"]),
    ];
    let g = day_schedule(&r, today, Lang::En);
    assert_eq!(
        g.columns,
        vec![
            Slot::Clock(390),
            Slot::Morning,
            Slot::Evening,
            Slot::Bedtime
        ]
    );
    let row = |name: &str| g.rows.iter().find(|r| r.name == name).unwrap();
    assert_eq!(row("Metformin").taken, vec![false, true, true, false]);
    assert_eq!(row("Metformin").note, "with food");
    assert_eq!(row("Metformin").purpose, "diabetes");
    assert_eq!(row("Atorvastatin").taken, vec![false, false, false, true]);
    assert_eq!(row("Levothyroxine").taken, vec![true, false, false, false]);
    assert!(g
        .rows
        .iter()
        .all(|r| r.name != "Starts next week" && r.name != "Stopped"));
    assert_eq!(g.as_needed.len(), 1);
    assert_eq!(g.as_needed[0].max_per_day, Some(4));
    assert_eq!(
        g.unstructured,
        vec![("Old record 10 mg".to_string(), "free text".to_string())]
    );
    // From its start date it is on the grid.
    let g = day_schedule(&r, d(2026, 12, 10), Lang::En);
    assert!(g.rows.iter().any(|r| r.name == "Starts next week"));
    assert_eq!(
        schedule_text(&r.medical.medications[4].schedule, Lang::Es),
        "Solo cuando lo necesite (if short of breath), no más de esta cantidad al día: 4"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn topics_are_suggested_from_problems_and_medicines_until_understood() {
    let mut r = PatientRecord::default();
    r.medical.conditions.push(Condition {
        id: "c1".into(),
        code: "I50.9".into(),
        text: "Heart failure".into(),
        ..Default::default()
    });
    r.medical.conditions.push(Condition {
        id: "c2".into(),
        text: "Type 2 diabetes".into(),
        ..Default::default()
    });
    r.medical
        .medications
        .push(med("m1", "Warfarin", &["evening"]));
    let topics: Vec<&str> = suggested_topics(&r).iter().map(|s| s.topic).collect();
    for t in [
        "Daily weights",
        "Low-salt diet",
        "Heart failure: when to call",
        "Checking blood sugar",
        "Blood thinner: bleeding signs and safety",
    ] {
        assert!(topics.contains(&t), "{t} in {topics:?}");
    }
    r.coordination.education.push(Education {
        id: "e1".into(),
        topic: "daily weights".into(),
        teach_back: TeachBack::Understood,
        ..Default::default()
    });
    let topics: Vec<&str> = suggested_topics(&r).iter().map(|s| s.topic).collect();
    assert!(!topics.contains(&"Daily weights"));
    assert_eq!(
        topics.iter().filter(|t| **t == "Low-salt diet").count(),
        1,
        "each topic once"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_topic_needing_review_is_suggested_until_reviewed_or_scheduled() {
    let mut r = PatientRecord::default();
    let taught = |id: &str, day: u32, tb: TeachBack| Education {
        id: id.into(),
        topic: "Inhaler technique".into(),
        teach_back: tb,
        date: IsoDate::new(d(2026, 12, day)),
        ..Default::default()
    };
    r.coordination
        .education
        .push(taught("e1", 1, TeachBack::NeedsReview));
    assert_eq!(topics_to_review(&r).len(), 1);
    // Taught again and understood: nothing to review.
    r.coordination
        .education
        .push(taught("e2", 2, TeachBack::Understood));
    assert!(topics_to_review(&r).is_empty());
    // Needs review again later; a scheduled follow-up for it takes it off the suggestions.
    r.coordination
        .education
        .push(taught("e3", 3, TeachBack::NeedsReview));
    assert_eq!(topics_to_review(&r)[0].id, "e3");
    r.follow_ups.push(FollowUp {
        id: "f1".into(),
        reason: review_reason("Inhaler technique"),
        due: IsoDate::new(d(2026, 12, 10)),
        ..Default::default()
    });
    assert!(topics_to_review(&r).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_handout_speaks_the_patients_language_and_has_what_they_need() {
    let today = d(2026, 12, 3);
    let mut r = PatientRecord {
        name: PersonName {
            given: "Rosa".into(),
            family: "Diaz".into(),
        },
        ..Default::default()
    };
    r.profile.preferred_language = "Spanish".into();
    r.care_plan.goals.push(Goal {
        id: "g1".into(),
        description: "Caminar 10 minutos".into(),
        ..Default::default()
    });
    r.care_plan.actions.push(CareAction {
        id: "a1".into(),
        goal_id: "g1".into(),
        description: "Caminar después del desayuno".into(),
        responsible: Responsible::Patient,
        ..Default::default()
    });
    r.follow_ups.push(FollowUp {
        id: "f-past".into(),
        due: IsoDate::new(d(2026, 12, 1)),
        reason: "past".into(),
        ..Default::default()
    });
    r.follow_ups.push(FollowUp {
        id: "f1".into(),
        kind: FollowUpKind::Visit,
        due: IsoDate::new(d(2026, 12, 9)),
        reason: "Revisar presión".into(),
        ..Default::default()
    });
    r.medical
        .medications
        .push(med("m1", "Lisinopril", &["morning"]));
    let h = handout(&r, today, "Ana López");
    assert_eq!(h.lang, Lang::Es);
    assert_eq!(h.patient, "Rosa Diaz");
    assert_eq!(
        h.goals[0].steps,
        vec![("Yo voy a".into(), "Caminar después del desayuno".into())]
    );
    assert_eq!(
        h.appointments,
        vec![(d(2026, 12, 9), "Visita: Revisar presión".to_string())]
    );
    assert_eq!(h.contacts[0].name, "Ana López");
    assert!(!h.crisis_line);
    assert_eq!(h.schedule.rows[0].name, "Lisinopril");
    assert_eq!(Lang::for_preference("español").labels().goals, "Mis metas");
    assert_eq!(Lang::for_preference("Tagalog"), Lang::En);
    assert_eq!(Lang::Es.date(d(2026, 12, 9)), "mié 9 dic 2026");
    assert_eq!(Lang::En.date(d(2026, 12, 9)), "Wed 9 Dec 2026");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_phq9_safety_flag_prints_the_crisis_line() {
    use crate::rules::{Answer as Chosen, Instrument};
    let mut r = PatientRecord::default();
    assert!(!handout(&r, d(2026, 12, 3), "Ana").crisis_line);
    // PHQ-9 with item 9 ("thoughts that you would be better off dead…") answered "several days".
    let mut answers: Vec<Chosen> = (0..8).map(|_| Chosen::Choice(0)).collect();
    answers.push(Chosen::Choice(1));
    let (response, _) = crate::assess::instrument_response(
        Instrument::Phq9,
        &answers,
        "p1".into(),
        IsoDate::new(d(2026, 12, 2)),
        "Ana".into(),
    )
    .unwrap();
    r.assessments.responses.push(response);
    let h = handout(&r, d(2026, 12, 3), "Ana");
    assert!(h.crisis_line);
    assert!(Lang::En.labels().crisis.contains("988"));
    assert!(Lang::Es.labels().crisis.contains("988"));
}
