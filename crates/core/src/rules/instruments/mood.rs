//! PHQ-2, PHQ-9 (Kroenke, Spitzer & Williams) and GAD-7 (Spitzer et al. 2006). Public domain
//! (developed with a grant from Pfizer; no permission required to reproduce or use).

use super::{
    band_label, summed, value_of, AnswerOption, Band, Chosen, Flag, Instrument, InstrumentResult,
    Item, Selection,
};

pub(crate) const PHQ_STEM: &str =
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?";
pub(crate) const GAD7_STEM: &str =
    "Over the last 2 weeks, how often have you been bothered by the following problems?";

const FREQUENCY: &[AnswerOption] = &[
    AnswerOption {
        label: "Not at all",
        value: 0,
    },
    AnswerOption {
        label: "Several days",
        value: 1,
    },
    AnswerOption {
        label: "More than half the days",
        value: 2,
    },
    AnswerOption {
        label: "Nearly every day",
        value: 3,
    },
];

const fn item(id: &'static str, text: &'static str) -> Item {
    Item {
        id,
        text,
        domain: None,
        selection: Selection::Single,
        options: FREQUENCY,
    }
}

const PHQ_1: &str = "Little interest or pleasure in doing things";
const PHQ_2: &str = "Feeling down, depressed, or hopeless";

pub(crate) const PHQ2_ITEMS: &[Item] = &[item("phq2_1", PHQ_1), item("phq2_2", PHQ_2)];

pub(crate) const PHQ9_ITEMS: &[Item] = &[
    item("phq9_1", PHQ_1),
    item("phq9_2", PHQ_2),
    item("phq9_3", "Trouble falling or staying asleep, or sleeping too much"),
    item("phq9_4", "Feeling tired or having little energy"),
    item("phq9_5", "Poor appetite or overeating"),
    item(
        "phq9_6",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    ),
    item(
        "phq9_7",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    item(
        "phq9_8",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
    ),
    item(
        "phq9_9",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
];

pub(crate) const GAD7_ITEMS: &[Item] = &[
    item("gad7_1", "Feeling nervous, anxious, or on edge"),
    item("gad7_2", "Not being able to stop or control worrying"),
    item("gad7_3", "Worrying too much about different things"),
    item("gad7_4", "Trouble relaxing"),
    item("gad7_5", "Being so restless that it's hard to sit still"),
    item("gad7_6", "Becoming easily annoyed or irritable"),
    item(
        "gad7_7",
        "Feeling afraid as if something awful might happen",
    ),
];

pub(crate) const PHQ2_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 2,
        label: "Negative screen",
    },
    Band {
        min: 3,
        max: 6,
        label: "Positive screen: administer PHQ-9",
    },
];

pub(crate) const PHQ9_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 4,
        label: "Minimal depression",
    },
    Band {
        min: 5,
        max: 9,
        label: "Mild depression",
    },
    Band {
        min: 10,
        max: 14,
        label: "Moderate depression",
    },
    Band {
        min: 15,
        max: 19,
        label: "Moderately severe depression",
    },
    Band {
        min: 20,
        max: 27,
        label: "Severe depression",
    },
];

pub(crate) const GAD7_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 4,
        label: "Minimal anxiety",
    },
    Band {
        min: 5,
        max: 9,
        label: "Mild anxiety",
    },
    Band {
        min: 10,
        max: 14,
        label: "Moderate anxiety",
    },
    Band {
        min: 15,
        max: 21,
        label: "Severe anxiety",
    },
];

/// PHQ-2 is positive at 3 or more (Kroenke 2003). PHQ-9 and GAD-7 use their published cut point
/// of 10 for "positive" (further evaluation warranted); the band is the severity.
const PHQ2_CUT: u32 = 3;
const PHQ9_CUT: u32 = 10;
const GAD7_CUT: u32 = 10;
/// PHQ-9 item 9 is the ninth item (index 8).
const PHQ9_SAFETY_ITEM: usize = 8;

pub(crate) fn score(instrument: Instrument, chosen: &[Chosen]) -> InstrumentResult {
    let mut r = summed(instrument, chosen);
    r.band = band_label(instrument.bands(), r.total).to_string();
    match instrument {
        Instrument::Phq2 => r.positive = Some(r.total >= PHQ2_CUT),
        Instrument::Phq9 => {
            r.positive = Some(r.total >= PHQ9_CUT);
            // Any answer above "Not at all" on item 9, whatever the total.
            if value_of(chosen, PHQ9_SAFETY_ITEM) > 0 {
                r.flags.push(Flag::SafetyRisk);
            }
        }
        Instrument::Gad7 => r.positive = Some(r.total >= GAD7_CUT),
        _ => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::super::test_support::total;
    use super::super::{score, Answer};
    use super::*;

    /// PHQ-9 answers reaching `sum` without using item 9.
    fn phq9_with_total(sum: u32) -> Vec<u32> {
        let mut left = sum;
        (0..9)
            .map(|i| {
                if i == 8 {
                    return 0;
                }
                let v = left.min(3);
                left -= v;
                v
            })
            .collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn phq2_cut_point_at_3() {
        let r = total(Instrument::Phq2, &[1, 1]);
        assert_eq!((r.total, r.positive), (2, Some(false)));
        let r = total(Instrument::Phq2, &[2, 1]);
        assert_eq!((r.total, r.positive), (3, Some(true)));
        assert_eq!(r.band, "Positive screen: administer PHQ-9");
        let r = total(Instrument::Phq2, &[3, 1]);
        assert_eq!((r.total, r.positive), (4, Some(true)));
        assert_eq!(total(Instrument::Phq2, &[3, 3]).total, 6);
        assert_eq!(Instrument::Phq2.max_total(), 6);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn phq9_bands_at_each_threshold() {
        let cases = [
            (0, "Minimal depression"),
            (4, "Minimal depression"),
            (5, "Mild depression"),
            (6, "Mild depression"),
            (9, "Mild depression"),
            (10, "Moderate depression"),
            (11, "Moderate depression"),
            (14, "Moderate depression"),
            (15, "Moderately severe depression"),
            (16, "Moderately severe depression"),
            (19, "Moderately severe depression"),
            (20, "Severe depression"),
            (21, "Severe depression"),
            (24, "Severe depression"),
        ];
        for (sum, band) in cases {
            let r = total(Instrument::Phq9, &phq9_with_total(sum));
            assert_eq!(r.total, sum);
            assert_eq!(r.band, band, "total {sum}");
            assert_eq!(r.positive, Some(sum >= 10), "total {sum}");
            assert!(r.flags.is_empty());
        }
        let r = total(Instrument::Phq9, &[3; 9]);
        assert_eq!((r.total, r.band.as_str()), (27, "Severe depression"));
        assert_eq!(r.max_total, 27);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn phq9_item9_raises_safety_flag_at_any_answer_above_zero() {
        for (answer, flagged) in [(0, false), (1, true), (2, true), (3, true)] {
            let mut a = vec![0; 9];
            a[8] = answer;
            let r = total(Instrument::Phq9, &a);
            assert_eq!(r.total, answer);
            assert_eq!(
                r.flags.contains(&Flag::SafetyRisk),
                flagged,
                "item 9 = {answer}"
            );
        }
        // A high total without item 9 is not a safety flag; item 1 at 1 is not item 9.
        let mut a = vec![0; 9];
        a[0] = 1;
        assert!(total(Instrument::Phq9, &a).flags.is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn gad7_bands_at_each_threshold() {
        let cases = [
            (4, "Minimal anxiety"),
            (5, "Mild anxiety"),
            (9, "Mild anxiety"),
            (10, "Moderate anxiety"),
            (14, "Moderate anxiety"),
            (15, "Severe anxiety"),
            (16, "Severe anxiety"),
            (21, "Severe anxiety"),
        ];
        for (sum, band) in cases {
            let mut left = sum;
            let a: Vec<u32> = (0..7)
                .map(|_| {
                    let v = left.min(3);
                    left -= v;
                    v
                })
                .collect();
            let r = total(Instrument::Gad7, &a);
            assert_eq!((r.total, r.band.as_str()), (sum, band));
            assert_eq!(r.positive, Some(sum >= 10));
        }
        assert_eq!(Instrument::Gad7.max_total(), 21);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn option_index_four_is_rejected() {
        let mut a: Vec<Answer> = vec![Answer::Choice(0); 7];
        a[3] = Answer::Choice(4);
        assert!(score(Instrument::Gad7, &a).is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn phq9_wording_of_item_9() {
        assert_eq!(
            Instrument::Phq9.items()[8].text,
            "Thoughts that you would be better off dead or of hurting yourself in some way"
        );
        let phq2: Vec<&str> = Instrument::Phq2.items().iter().map(|i| i.text).collect();
        let phq9: Vec<&str> = Instrument::Phq9.items()[..2]
            .iter()
            .map(|i| i.text)
            .collect();
        assert_eq!(phq2, phq9);
    }
}
