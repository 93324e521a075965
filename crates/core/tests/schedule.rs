//! A medication's structured timing through its op: set as a whole, bad times rejected without
//! a change, two devices' schedules of different medications both kept.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use tend_core::ops::Op;
use tend_core::record::*;
use tend_core::DocError;

fn schedule(times: &[&str]) -> MedicationSchedule {
    MedicationSchedule {
        times: times.iter().map(|t| t.to_string()).collect(),
        food: FoodInstruction::WithFood,
        ..Default::default()
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_schedule_is_set_and_bad_ones_change_nothing() {
    let mut doc = patient_on_metformin();
    apply(
        &mut doc,
        Op::SetMedicationSchedule {
            id: "m1".into(),
            schedule: schedule(&["morning", "18:00"]),
        },
        1,
        T0,
    );
    let r = doc.record().unwrap();
    assert_eq!(
        r.medical.medications[0].schedule.times,
        vec!["morning", "18:00"]
    );
    assert_eq!(
        r.medical.medications[0].frequency, "daily",
        "the free text is kept"
    );
    let heads = doc.heads();
    let bad = [
        schedule(&["after lunch"]),
        schedule(&["25:00"]),
        MedicationSchedule {
            start_on: Some(d("2026-12-10")),
            stop_on: Some(d("2026-12-01")),
            ..Default::default()
        },
        MedicationSchedule {
            as_needed: true,
            max_per_day: Some(0),
            ..Default::default()
        },
    ];
    for s in bad {
        let result = doc.apply(
            Op::SetMedicationSchedule {
                id: "m1".into(),
                schedule: s.clone(),
            },
            &author(1),
            T0,
        );
        assert!(
            matches!(result, Err(DocError::Invalid(_))),
            "{s:?}: {result:?}"
        );
        assert_eq!(doc.heads(), heads);
    }
    let missing = doc.apply(
        Op::SetMedicationSchedule {
            id: "nope".into(),
            schedule: schedule(&["noon"]),
        },
        &author(1),
        T0,
    );
    assert!(missing.is_err());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_devices_schedule_different_medications_offline_and_both_are_kept() {
    let (mut a, mut b) = pair(|a| {
        for (id, name) in [("m1", "metformin"), ("m2", "lisinopril")] {
            apply(
                a,
                Op::AddMedication {
                    medication: med(id, name, "10 mg"),
                },
                1,
                T0,
            );
        }
    });
    apply(
        &mut a,
        Op::SetMedicationSchedule {
            id: "m1".into(),
            schedule: schedule(&["morning", "evening"]),
        },
        1,
        T0 + 1,
    );
    apply(
        &mut b,
        Op::SetMedicationSchedule {
            id: "m2".into(),
            schedule: schedule(&["bedtime"]),
        },
        2,
        T0 + 1,
    );
    exchange(&mut a, &mut b);
    let r = a.record().unwrap();
    assert_eq!(
        r.medical.medications[0].schedule.times,
        vec!["morning", "evening"]
    );
    assert_eq!(r.medical.medications[1].schedule.times, vec!["bedtime"]);
}
