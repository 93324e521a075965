//! LACE index for 30-day death or unplanned readmission after discharge (van Walraven et al.,
//! CMAJ 2010;182(6):551-7). Points as published:
//!
//! | Component | Points |
//! |---|---|
//! | **L**ength of stay (days) | <1: 0, 1: 1, 2: 2, 3: 3, 4–6: 4, 7–13: 5, ≥14: 7 |
//! | **A**cuity: emergent admission | 3 |
//! | **C**omorbidity: Charlson index | 0: 0, 1: 1, 2: 2, 3: 3, ≥4: 5 |
//! | **E**D visits in the 6 months before admission | 0: 0, 1: 1, 2: 2, 3: 3, ≥4: 4 |
//!
//! Total 0–19; 10 or more is high risk (the usual cut-off); 5–9 moderate; 0–4 low.
//! The C component takes the Charlson score without age adjustment (see [`super::charlson_index`]).

use serde::{Deserialize, Serialize};

use super::{
    summed, AnswerOption, Band, Chosen, Flag, Instrument, InstrumentResult, Item, Selection,
    Subscore,
};

pub(crate) const LACE_STEM: &str =
    "Complete from the index admission. Count emergency department visits in the 6 months before \
the admission, not including the visit that led to it.";

const fn o(label: &'static str, value: u32) -> AnswerOption {
    AnswerOption { label, value }
}

/// (lowest value in the row, points), ascending.
const LOS_POINTS: &[(u32, u32)] = &[(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (7, 5), (14, 7)];
const ACUITY_POINTS: u32 = 3;
const CHARLSON_POINTS: &[(u32, u32)] = &[(0, 0), (1, 1), (2, 2), (3, 3), (4, 5)];
const ED_POINTS: &[(u32, u32)] = &[(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)];

/// LACE total at or above which readmission risk is high.
pub const LACE_HIGH_RISK: u32 = 10;

fn points(table: &[(u32, u32)], x: u32) -> u32 {
    table
        .iter()
        .rev()
        .find(|(min, _)| x >= *min)
        .map(|(_, p)| *p)
        .unwrap_or(0)
}

pub(crate) const LACE_ITEMS: &[Item] = &[
    Item {
        id: "lace_length_of_stay",
        text: "Length of stay (days)",
        domain: Some("L"),
        selection: Selection::Single,
        options: &[
            o("Less than 1 day", 0),
            o("1 day", 1),
            o("2 days", 2),
            o("3 days", 3),
            o("4 to 6 days", 4),
            o("7 to 13 days", 5),
            o("14 days or more", 7),
        ],
    },
    Item {
        id: "lace_acuity",
        text: "Acuity of admission: was the patient admitted through the emergency department (emergent admission)?",
        domain: Some("A"),
        selection: Selection::Single,
        options: &[o("Yes, emergent admission", ACUITY_POINTS), o("No, elective admission", 0)],
    },
    Item {
        id: "lace_comorbidity",
        text: "Comorbidity: Charlson comorbidity index score",
        domain: Some("C"),
        selection: Selection::Single,
        options: &[o("0", 0), o("1", 1), o("2", 2), o("3", 3), o("4 or more", 5)],
    },
    Item {
        id: "lace_ed_visits",
        text: "Emergency department visits in the 6 months before admission",
        domain: Some("E"),
        selection: Selection::Single,
        options: &[o("0", 0), o("1", 1), o("2", 2), o("3", 3), o("4 or more", 4)],
    },
];

pub(crate) const LACE_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 4,
        label: "Low risk of readmission",
    },
    Band {
        min: 5,
        max: 9,
        label: "Moderate risk of readmission",
    },
    Band {
        min: 10,
        max: 19,
        label: "High risk of readmission",
    },
];

/// Raw facts for a LACE score, for callers that have them as numbers rather than answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaceInput {
    /// Whole days from admission to discharge (0 for a same-day stay).
    pub length_of_stay_days: u32,
    /// Admitted emergently (through the emergency department).
    pub emergent_admission: bool,
    /// Charlson comorbidity index, not age-adjusted.
    pub charlson_score: u32,
    /// ED visits in the 6 months before admission, excluding the one that led to it.
    pub ed_visits_past_6_months: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaceScore {
    pub length_of_stay: u32,
    pub acuity: u32,
    pub comorbidity: u32,
    pub ed_visits: u32,
    pub total: u32,
    /// `total >= 10`.
    pub high_risk: bool,
}

/// The LACE index from raw facts.
pub fn lace_index(input: &LaceInput) -> LaceScore {
    let length_of_stay = points(LOS_POINTS, input.length_of_stay_days);
    let acuity = if input.emergent_admission {
        ACUITY_POINTS
    } else {
        0
    };
    let comorbidity = points(CHARLSON_POINTS, input.charlson_score);
    let ed_visits = points(ED_POINTS, input.ed_visits_past_6_months);
    let total = length_of_stay + acuity + comorbidity + ed_visits;
    LaceScore {
        length_of_stay,
        acuity,
        comorbidity,
        ed_visits,
        total,
        high_risk: total >= LACE_HIGH_RISK,
    }
}

pub(crate) fn score(chosen: &[Chosen]) -> InstrumentResult {
    let mut r = summed(Instrument::Lace, chosen);
    r.positive = Some(r.total >= LACE_HIGH_RISK);
    if r.total >= LACE_HIGH_RISK {
        r.flags.push(Flag::HighReadmissionRisk);
    }
    r.subscores = ["Length of stay", "Acuity", "Comorbidity", "ED visits"]
        .iter()
        .enumerate()
        .map(|(i, label)| Subscore {
            label: (*label).to_string(),
            value: super::value_of(chosen, i),
        })
        .collect();
    r
}

#[cfg(test)]
mod tests {
    use super::super::test_support::total;
    use super::*;

    fn input(los: u32, emergent: bool, charlson: u32, ed: u32) -> LaceInput {
        LaceInput {
            length_of_stay_days: los,
            emergent_admission: emergent,
            charlson_score: charlson,
            ed_visits_past_6_months: ed,
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn length_of_stay_points_at_each_boundary() {
        let cases = [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 4),
            (6, 4),
            (7, 5),
            (13, 5),
            (14, 7),
            (15, 7),
            (u32::MAX, 7),
        ];
        for (days, pts) in cases {
            assert_eq!(
                lace_index(&input(days, false, 0, 0)).length_of_stay,
                pts,
                "{days} days"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn comorbidity_and_ed_points() {
        for (c, pts) in [(0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (5, 5), (37, 5)] {
            assert_eq!(
                lace_index(&input(0, false, c, 0)).comorbidity,
                pts,
                "charlson {c}"
            );
        }
        for (e, pts) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 4),
            (5, 4),
            (u32::MAX, 4),
        ] {
            assert_eq!(lace_index(&input(0, false, 0, e)).ed_visits, pts, "ed {e}");
        }
        assert_eq!(lace_index(&input(0, true, 0, 0)).acuity, 3);
        assert_eq!(lace_index(&input(0, false, 0, 0)).acuity, 0);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn high_risk_at_10() {
        // 4 (4-6 days) + 3 (emergent) + 2 (Charlson 2) + 0 = 9: not high.
        let s = lace_index(&input(5, true, 2, 0));
        assert_eq!((s.total, s.high_risk), (9, false));
        // + 1 ED visit = 10: high.
        let s = lace_index(&input(5, true, 2, 1));
        assert_eq!((s.total, s.high_risk), (10, true));
        let s = lace_index(&input(5, true, 2, 2));
        assert_eq!((s.total, s.high_risk), (11, true));
        let s = lace_index(&input(u32::MAX, true, u32::MAX, u32::MAX));
        assert_eq!(s.total, 19);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn instrument_matches_typed_function_and_bands() {
        // Options: LOS index 4 (4-6 days), acuity index 0 (emergent), Charlson index 2, ED index k.
        for (ed, expected_total, band) in [
            (0, 9, "Moderate risk of readmission"),
            (1, 10, "High risk of readmission"),
            (2, 11, "High risk of readmission"),
        ] {
            let r = total(Instrument::Lace, &[4, 0, 2, ed]);
            assert_eq!(r.total, expected_total);
            assert_eq!(r.total, lace_index(&input(5, true, 2, ed)).total);
            assert_eq!(r.band, band);
            assert_eq!(
                r.flags.contains(&Flag::HighReadmissionRisk),
                expected_total >= 10
            );
        }
        let r = total(Instrument::Lace, &[0, 1, 0, 4]);
        assert_eq!((r.total, r.band.as_str()), (4, "Low risk of readmission"));
        let r = total(Instrument::Lace, &[1, 1, 0, 4]);
        assert_eq!(
            (r.total, r.band.as_str()),
            (5, "Moderate risk of readmission")
        );
        assert_eq!(
            r.subscores.iter().map(|s| s.value).collect::<Vec<_>>(),
            vec![1, 0, 0, 4]
        );
        assert_eq!(Instrument::Lace.max_total(), 19);
    }
}
