//! CDC STEADI "Stay Independent" brochure (Rubenstein et al. 2011), the 12-item fall-risk
//! self-check: "Yes" scores 2 on the first two items and 1 on the others; a total of 4 or more
//! means the person may be at risk for falling.

use super::{
    summed, AnswerOption, Band, Chosen, Flag, Instrument, InstrumentResult, Item, Selection,
};

pub(crate) const STEADI_STEM: &str =
    "Check your risk for falling. Please answer \"Yes\" or \"No\" for each statement below.";

const fn o(label: &'static str, value: u32) -> AnswerOption {
    AnswerOption { label, value }
}

/// Options are No then Yes, so the answer index is the boolean.
const YES2: &[AnswerOption] = &[o("No", 0), o("Yes", 2)];
const YES1: &[AnswerOption] = &[o("No", 0), o("Yes", 1)];

const fn item(id: &'static str, text: &'static str, options: &'static [AnswerOption]) -> Item {
    Item {
        id,
        text,
        domain: None,
        selection: Selection::Single,
        options,
    }
}

pub(crate) const STEADI_ITEMS: &[Item] = &[
    item("steadi_1", "I have fallen in the past year.", YES2),
    item(
        "steadi_2",
        "I use or have been advised to use a cane or walker to get around safely.",
        YES2,
    ),
    item(
        "steadi_3",
        "Sometimes I feel unsteady when I am walking.",
        YES1,
    ),
    item(
        "steadi_4",
        "I steady myself by holding onto furniture when walking at home.",
        YES1,
    ),
    item("steadi_5", "I am worried about falling.", YES1),
    item(
        "steadi_6",
        "I need to push with my hands to stand up from a chair.",
        YES1,
    ),
    item(
        "steadi_7",
        "I have some trouble stepping up onto a curb.",
        YES1,
    ),
    item("steadi_8", "I often have to rush to the toilet.", YES1),
    item("steadi_9", "I have lost some feeling in my feet.", YES1),
    item(
        "steadi_10",
        "I take medicine that sometimes makes me feel light-headed or more tired than usual.",
        YES1,
    ),
    item(
        "steadi_11",
        "I take medicine to help me sleep or improve my mood.",
        YES1,
    ),
    item("steadi_12", "I often feel sad or depressed.", YES1),
];

pub const STEADI_AT_RISK: u32 = 4;

pub(crate) const STEADI_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 3,
        label: "Not at increased risk by this screen",
    },
    Band {
        min: 4,
        max: 14,
        label: "May be at risk for falling",
    },
];

pub(crate) fn score(chosen: &[Chosen]) -> InstrumentResult {
    let mut r = summed(Instrument::SteadiStayIndependent, chosen);
    r.positive = Some(r.total >= STEADI_AT_RISK);
    if r.total >= STEADI_AT_RISK {
        r.flags.push(Flag::FallRisk);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::super::test_support::total;
    use super::*;

    fn yes(items: &[usize]) -> Vec<u32> {
        (0..12).map(|i| items.contains(&i) as u32).collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn weights_two_for_first_two_items() {
        assert_eq!(
            total(Instrument::SteadiStayIndependent, &yes(&[0])).total,
            2
        );
        assert_eq!(
            total(Instrument::SteadiStayIndependent, &yes(&[1])).total,
            2
        );
        for i in 2..12 {
            assert_eq!(
                total(Instrument::SteadiStayIndependent, &yes(&[i])).total,
                1,
                "item {}",
                i + 1
            );
        }
        assert_eq!(Instrument::SteadiStayIndependent.max_total(), 14);
        assert_eq!(total(Instrument::SteadiStayIndependent, &[1; 12]).total, 14);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn at_risk_from_4() {
        for (answers, sum, at_risk) in [
            (yes(&[2, 3, 4]), 3, false),
            (yes(&[0, 5]), 3, false),
            (yes(&[0, 1]), 4, true),
            (yes(&[2, 3, 4, 5]), 4, true),
            (yes(&[0, 1, 11]), 5, true),
        ] {
            let r = total(Instrument::SteadiStayIndependent, &answers);
            assert_eq!(r.total, sum);
            assert_eq!(r.positive, Some(at_risk), "total {sum}");
            assert_eq!(r.flags.contains(&Flag::FallRisk), at_risk);
            assert_eq!(r.band == "May be at risk for falling", at_risk);
        }
    }
}
