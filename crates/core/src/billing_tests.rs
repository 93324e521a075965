use super::*;
use crate::record::{IsoDate, ProgramKind};
use crate::rules::programs::YearMonth;

fn ym(year: i32, month: u32) -> YearMonth {
    YearMonth { year, month }
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn enrolled(program: ProgramKind, consent: Option<&str>) -> EnrollmentFacts {
    EnrollmentFacts {
        id: "p1".into(),
        program,
        status: ProgramStatus::Active,
        start: Some(IsoDate("2026-01-01".into())),
        end: None,
        consent_on: consent.map(|c| IsoDate(c.into())),
        complex_months: Vec::new(),
    }
}

fn facts(program: ProgramKind, minutes: &[(TimeClass, u32)]) -> BillingFacts {
    BillingFacts {
        enrollments: vec![enrolled(program.clone(), Some("2026-01-01"))],
        minutes: minutes
            .iter()
            .map(|(class, m)| MonthMinutes {
                month: ym(2026, 11),
                program: program.clone(),
                class: *class,
                minutes: *m,
            })
            .collect(),
        chronic_conditions: 2,
        has_care_plan: true,
    }
}

fn codes(m: &ProgramMonth) -> Vec<(&'static str, u32)> {
    m.codes.iter().map(|c| (c.code, c.units)).collect()
}

fn only(f: &BillingFacts) -> ProgramMonth {
    let months = program_months(f, ym(2026, 11));
    assert_eq!(months.len(), 1, "{months:?}");
    months.into_iter().next().unwrap()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn ccm_staff_time_reaches_99490_then_99439_capped_at_two() {
    type Case = (
        u32,
        &'static [(&'static str, u32)],
        Option<(u32, &'static str)>,
    );
    let cases: &[Case] = &[
        (19, &[], Some((1, "99490"))),
        (20, &[("99490", 1)], Some((20, "99439"))),
        (22, &[("99490", 1)], Some((18, "99439"))),
        (40, &[("99490", 1), ("99439", 1)], Some((20, "99439"))),
        (60, &[("99490", 1), ("99439", 2)], None),
        (200, &[("99490", 1), ("99439", 2)], None),
    ];
    for (minutes, expected, next) in cases {
        let m = only(&facts(ProgramKind::Ccm, &[(TimeClass::Staff, *minutes)]));
        assert_eq!(codes(&m), expected.to_vec(), "{minutes} min");
        assert_eq!(m.next, *next, "{minutes} min");
        assert_eq!(m.billable(), !expected.is_empty());
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn complex_ccm_counts_all_time_toward_99487_and_99489() {
    let mut f = facts(
        ProgramKind::Ccm,
        &[(TimeClass::Staff, 70), (TimeClass::Practitioner, 25)],
    );
    // Not complex: the practitioner's 25 min (under 99491's 30) count with staff time: 95 min.
    let m = only(&f);
    assert!(!m.complex);
    assert_eq!(codes(&m), vec![("99490", 1), ("99439", 2)]);
    // Complex this month: 95 min → 99487 + one 99489 (90 min).
    f.enrollments[0].complex_months = vec![ym(2026, 11)];
    let m = only(&f);
    assert!(m.complex);
    assert_eq!(codes(&m), vec![("99487", 1), ("99489", 1)]);
    assert_eq!(m.codes_text(), "99487, 99489");
    assert_eq!(m.next, Some((25, "99489")));
    // Another month is not complex.
    f.minutes[0].month = ym(2026, 12);
    f.minutes[1].month = ym(2026, 12);
    let dec = program_months(&f, ym(2026, 12));
    assert!(!dec[0].complex);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn practitioner_time_reaches_99491_or_counts_with_staff() {
    let m = only(&facts(
        ProgramKind::Ccm,
        &[(TimeClass::Staff, 20), (TimeClass::Practitioner, 65)],
    ));
    assert_eq!(codes(&m), vec![("99491", 1), ("99437", 1), ("99490", 1)]);
    assert_eq!(
        only(&facts(ProgramKind::Ccm, &[(TimeClass::Staff, 60)])).codes_text(),
        "99490, 99439 ×2"
    );
    let m = only(&facts(
        ProgramKind::Pcm,
        &[(TimeClass::Staff, 10), (TimeClass::Practitioner, 25)],
    ));
    // 35 min together reach 99426 (staff code); 99424 needs 30 of the practitioner's own.
    assert_eq!(codes(&m), vec![("99426", 1)]);
    let m = only(&facts(
        ProgramKind::Pcm,
        &[(TimeClass::Staff, 60), (TimeClass::Practitioner, 30)],
    ));
    assert_eq!(codes(&m), vec![("99424", 1), ("99426", 1), ("99427", 1)]);
    let m = only(&facts(
        ProgramKind::Bhi,
        &[(TimeClass::Staff, 15), (TimeClass::Practitioner, 5)],
    ));
    assert_eq!(codes(&m), vec![("99484", 1)]);
    assert_eq!(m.next, None);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn blockers_say_why_a_month_cannot_be_billed() {
    let mut f = facts(
        ProgramKind::Ccm,
        &[
            (TimeClass::Staff, 25),
            (TimeClass::NonBillingRole, 10),
            (TimeClass::BeforeConsent, 4),
        ],
    );
    let m = only(&f);
    assert!(m.billable());
    assert_eq!(m.minutes_logged, 39);
    assert_eq!(m.minutes_counted, 25);
    assert_eq!(
        m.blockers,
        vec![
            Blocker::NonBillingRole { minutes: 10 },
            Blocker::BeforeConsent { minutes: 4 }
        ]
    );
    f.chronic_conditions = 1;
    f.has_care_plan = false;
    f.enrollments[0].consent_on = None;
    let m = only(&f);
    assert!(!m.billable());
    assert_eq!(codes(&m), vec![("99490", 1)], "codes still shown");
    let texts: Vec<String> = m.blockers.iter().map(Blocker::text).collect();
    assert_eq!(
        texts[..3],
        [
            "No consent on file".to_string(),
            "No care plan".to_string(),
            "Too few chronic conditions (1 of 2)".to_string()
        ]
    );
    // PCM needs one chronic condition; BHI none.
    let mut pcm = facts(ProgramKind::Pcm, &[(TimeClass::Staff, 30)]);
    pcm.chronic_conditions = 1;
    assert!(only(&pcm).billable());
    pcm.chronic_conditions = 0;
    assert!(!only(&pcm).billable());
    let mut bhi = facts(ProgramKind::Bhi, &[(TimeClass::Staff, 30)]);
    bhi.chronic_conditions = 0;
    assert!(only(&bhi).billable());
    // Consent given after the month does not cover it.
    let mut late = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 30)]);
    late.enrollments[0].consent_on = Some(IsoDate("2026-12-01".into()));
    assert_eq!(only(&late).blockers, vec![Blocker::NoConsent]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn only_months_an_enrolment_overlaps_are_listed() {
    let mut f = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 25)]);
    f.enrollments[0].start = Some(IsoDate("2026-12-01".into()));
    assert!(program_months(&f, ym(2026, 11)).is_empty());
    f.enrollments[0].start = Some(IsoDate("2026-11-30".into()));
    assert_eq!(program_months(&f, ym(2026, 11)).len(), 1);
    f.enrollments[0].end = Some(IsoDate("2026-10-31".into()));
    assert!(program_months(&f, ym(2026, 11)).is_empty());
    f.enrollments[0].end = None;
    f.enrollments[0].status = ProgramStatus::Declined;
    assert!(program_months(&f, ym(2026, 11)).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn near_threshold_only_in_the_last_week_and_when_billable() {
    let f = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 12)]);
    assert!(
        near_threshold(&f, day("2026-11-23")).is_empty(),
        "7 days left"
    );
    let near = near_threshold(&f, day("2026-11-26"));
    assert_eq!(near.len(), 1);
    assert_eq!(near[0].text(), "8 min to 99490, 4 days left");
    assert_eq!(
        near_threshold(&f, day("2026-11-30"))[0].text(),
        "8 min to 99490, last day of the month"
    );
    let far = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 0)]);
    assert_eq!(
        near_threshold(&far, day("2026-11-29")).len(),
        1,
        "20 min is near"
    );
    let mut blocked = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 12)]);
    blocked.has_care_plan = false;
    assert!(near_threshold(&blocked, day("2026-11-29")).is_empty());
    let capped = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 60)]);
    assert!(near_threshold(&capped, day("2026-11-29")).is_empty());
    let mut paused = facts(ProgramKind::Ccm, &[(TimeClass::Staff, 12)]);
    paused.enrollments[0].status = ProgramStatus::Paused;
    assert!(near_threshold(&paused, day("2026-11-29")).is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_timer_splits_at_local_midnight_and_month_end() {
    // 23:30 → 00:10 local across the month's end: 30 min in November, 10 in December.
    assert_eq!(
        split_by_day(dt("2026-11-30 23:30:00"), dt("2026-12-01 00:10:00")),
        vec![(day("2026-11-30"), 30), (day("2026-12-01"), 10)]
    );
    // Seconds carry over the boundary: 90 s + 40 s = 2 min 10 s → 2 min in all, none lost.
    let parts = split_by_day(dt("2026-11-30 23:58:30"), dt("2026-12-01 00:00:40"));
    assert_eq!(parts.iter().map(|(_, m)| m).sum::<u32>(), 2);
    assert_eq!(parts, vec![(day("2026-11-30"), 1), (day("2026-12-01"), 1)]);
    assert!(split_by_day(dt("2026-11-30 10:00:00"), dt("2026-11-30 10:00:59")).is_empty());
    assert!(split_by_day(dt("2026-11-30 10:00:00"), dt("2026-11-30 09:00:00")).is_empty());
    // Three days.
    let long = split_by_day(dt("2026-11-29 22:00:00"), dt("2026-12-01 01:00:00"));
    assert_eq!(
        long,
        vec![
            (day("2026-11-29"), 120),
            (day("2026-11-30"), 1440),
            (day("2026-12-01"), 60)
        ]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_timer_at_2330_local_on_the_last_day_counts_in_that_month() {
    // 23:30 on 30 November in New York (UTC−5) is 04:30 on 1 December in UTC.
    let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T04:30:00Z")
        .unwrap()
        .timestamp_millis();
    let t = Timer {
        patient_id: "p".into(),
        started_at: start,
        offset_minutes: -300,
        program: ProgramKind::Ccm,
        activity: "Call".into(),
    };
    let stop = start + 20 * 60_000 + 59_000;
    assert_eq!(t.entries(stop, -300), vec![(day("2026-11-30"), 20)]);
    assert_eq!(t.elapsed_minutes(stop), 20);
    // The same instant in Tokyo (UTC+9) is 13:30 on 1 December.
    let tokyo = Timer {
        offset_minutes: 540,
        ..t.clone()
    };
    assert_eq!(tokyo.entries(stop, 540), vec![(day("2026-12-01"), 20)]);
    assert!(!t.is_long(start + 90 * 60_000));
    assert!(t.is_long(start + 91 * 60_000));
    assert_eq!(t.elapsed_minutes(start - 5_000), 0, "clock went backwards");
    assert!(t.entries(i64::MAX, 0).is_empty(), "out of range");
    assert_eq!(local_time(0, -60), Some(dt("1969-12-31 23:00:00")));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn months_parse_and_print() {
    assert_eq!(parse_month("2026-11"), Some(ym(2026, 11)));
    assert_eq!(parse_month(" 2026-02 "), Some(ym(2026, 2)));
    for bad in [
        "2026-13", "2026-00", "26-11", "2026-1", "2026/11", "", "nope-11",
    ] {
        assert_eq!(parse_month(bad), None, "{bad}");
    }
    assert_eq!(month_id(ym(2026, 3)), "2026-03");
    assert_eq!(month_label(ym(2026, 11)), "November 2026");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_csv_has_one_row_per_patient_program_and_code_and_is_safe() {
    let billed = only(&facts(ProgramKind::Ccm, &[(TimeClass::Staff, 45)]));
    let mut blocked_facts = facts(ProgramKind::Pcm, &[(TimeClass::Staff, 10)]);
    blocked_facts.has_care_plan = false;
    let blocked = only(&blocked_facts);
    let rows = vec![
        ReportRow {
            patient_id: "a1".into(),
            patient: "Diaz, Rosa".into(),
            month: billed,
        },
        ReportRow {
            patient_id: "b2".into(),
            patient: "=HYPERLINK(\"x\")".into(),
            month: blocked,
        },
    ];
    let csv = report_csv(&rows);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines[1], "2026-11,a1,\"Diaz, Rosa\",CCM,45,45,99490,1,yes,");
    assert_eq!(lines[2], "2026-11,a1,\"Diaz, Rosa\",CCM,45,45,99439,1,yes,");
    assert_eq!(
        lines[3],
        "2026-11,b2,\"'=HYPERLINK(\"\"x\"\")\",PCM,10,10,,,no,No care plan"
    );
    assert_eq!(lines[4], "");
    assert_eq!(lines.len(), 5);
    let t = totals(&rows);
    assert_eq!(t.patients, 2);
    assert_eq!(t.minutes_counted, 55);
    assert_eq!((t.billable_rows, t.blocked_rows), (1, 1));
    assert_eq!(
        t.units,
        vec![("99439".to_string(), 1), ("99490".to_string(), 1)]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn requirements_explain_eligibility() {
    let mut f = facts(ProgramKind::Ccm, &[]);
    f.chronic_conditions = 1;
    let ccm = requirements(&f, &ProgramKind::Ccm, true);
    assert_eq!(ccm.len(), 3);
    assert_eq!(
        ccm[0],
        (
            "2 or more chronic conditions expected to last 12 months or more (has 1)".to_string(),
            false
        )
    );
    assert!(ccm[1].1 && ccm[2].1);
    assert!(requirements(&f, &ProgramKind::Pcm, false)[0].1);
    assert!(!requirements(&f, &ProgramKind::Pcm, false)[1].1);
    assert_eq!(requirements(&f, &ProgramKind::Bhi, true).len(), 2);
    assert!(requirements(&f, &ProgramKind::Tcm, true).is_empty());
}
