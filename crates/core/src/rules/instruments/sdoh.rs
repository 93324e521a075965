//! CMS Accountable Health Communities (AHC) Health-Related Social Needs Screening Tool, the ten core
//! questions across five domains, with the positive-screen rules of the CMS AHC tool guide:
//!
//! - Living situation: Q1 answered "worried about losing it" or "no steady place" (housing
//!   instability), or Q2 any problem other than "None of the above" (housing quality).
//! - Food insecurity: Q3 or Q4 "Often true" or "Sometimes true".
//! - Transportation: Q5 "Yes".
//! - Utilities: Q6 "Yes" or "Already shut off".
//! - Interpersonal safety: Q7–Q10 scored Never 1 … Frequently 5; positive when the sum is over 10.
//!
//! The total is the number of positive domains (0–5); the flags say which needs were found.

use super::{
    picked, value_of, AnswerOption, Band, Chosen, Flag, Instrument, InstrumentResult, Item,
    Selection, Subscore,
};

pub(crate) const AHC_STEM: &str = "These questions ask about things like where you live, food, \
transportation, utilities and safety. Your answers help us connect you with resources.";

pub(crate) const AHC_MAX: u32 = 5;

const fn o(label: &'static str, value: u32) -> AnswerOption {
    AnswerOption { label, value }
}

const TRUE_OPTIONS: &[AnswerOption] = &[
    o("Often true", 1),
    o("Sometimes true", 1),
    o("Never true", 0),
];

const SAFETY_OPTIONS: &[AnswerOption] = &[
    o("Never", 1),
    o("Rarely", 2),
    o("Sometimes", 3),
    o("Fairly often", 4),
    o("Frequently", 5),
];

const LIVING: Option<&str> = Some("Living situation");
const FOOD: Option<&str> = Some("Food");
const TRANSPORT: Option<&str> = Some("Transportation");
const UTILITIES: Option<&str> = Some("Utilities");
const SAFETY: Option<&str> = Some("Safety");

/// Index of "None of the above" in Q2.
const Q2_NONE: u32 = 7;

pub(crate) const AHC_ITEMS: &[Item] = &[
    Item {
        id: "ahc_1_living_situation",
        text: "What is your living situation today?",
        domain: LIVING,
        selection: Selection::Single,
        options: &[
            o("I have a steady place to live", 0),
            o("I have a place to live today, but I am worried about losing it in the future", 1),
            o("I do not have a steady place to live (I am temporarily staying with others, in a hotel, in a shelter, living outside on the street, on a beach, in a car, abandoned building, bus or train station, or in a park)", 1),
        ],
    },
    Item {
        id: "ahc_2_housing_problems",
        text: "Think about the place you live. Do you have problems with any of the following? (Choose all that apply)",
        domain: LIVING,
        selection: Selection::Multiple { exclusive: Some(Q2_NONE) },
        options: &[
            o("Pests such as bugs, ants, or mice", 1),
            o("Mold", 1),
            o("Lead paint or pipes", 1),
            o("Lack of heat", 1),
            o("Oven or stove not working", 1),
            o("Smoke detectors missing or not working", 1),
            o("Water leaks", 1),
            o("None of the above", 0),
        ],
    },
    Item {
        id: "ahc_3_food_worry",
        text: "Within the past 12 months, you worried that your food would run out before you got money to buy more.",
        domain: FOOD,
        selection: Selection::Single,
        options: TRUE_OPTIONS,
    },
    Item {
        id: "ahc_4_food_ran_out",
        text: "Within the past 12 months, the food you bought just didn't last and you didn't have money to get more.",
        domain: FOOD,
        selection: Selection::Single,
        options: TRUE_OPTIONS,
    },
    Item {
        id: "ahc_5_transportation",
        text: "In the past 12 months, has lack of reliable transportation kept you from medical appointments, meetings, work or from getting things needed for daily living?",
        domain: TRANSPORT,
        selection: Selection::Single,
        options: &[o("Yes", 1), o("No", 0)],
    },
    Item {
        id: "ahc_6_utilities",
        text: "In the past 12 months has the electric, gas, oil, or water company threatened to shut off services in your home?",
        domain: UTILITIES,
        selection: Selection::Single,
        options: &[o("Yes", 1), o("No", 0), o("Already shut off", 1)],
    },
    Item {
        id: "ahc_7_physically_hurt",
        text: "How often does anyone, including family and friends, physically hurt you?",
        domain: SAFETY,
        selection: Selection::Single,
        options: SAFETY_OPTIONS,
    },
    Item {
        id: "ahc_8_insult",
        text: "How often does anyone, including family and friends, insult or talk down to you?",
        domain: SAFETY,
        selection: Selection::Single,
        options: SAFETY_OPTIONS,
    },
    Item {
        id: "ahc_9_threaten",
        text: "How often does anyone, including family and friends, threaten you with harm?",
        domain: SAFETY,
        selection: Selection::Single,
        options: SAFETY_OPTIONS,
    },
    Item {
        id: "ahc_10_scream_curse",
        text: "How often does anyone, including family and friends, scream or curse at you?",
        domain: SAFETY,
        selection: Selection::Single,
        options: SAFETY_OPTIONS,
    },
];

pub(crate) const AHC_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 0,
        label: "No health-related social needs identified",
    },
    Band {
        min: 1,
        max: 5,
        label: "Health-related social needs identified",
    },
];

/// Interpersonal safety is positive when Q7–Q10 sum to more than this.
const SAFETY_THRESHOLD: u32 = 10;

pub(crate) fn score(chosen: &[Chosen]) -> InstrumentResult {
    let mut flags = Vec::new();
    let mut domains = 0u32;

    let housing_instability = value_of(chosen, 0) > 0;
    let housing_quality = value_of(chosen, 1) > 0 && !picked(chosen, 1, Q2_NONE);
    if housing_instability {
        flags.push(Flag::HousingInstability);
    }
    if housing_quality {
        flags.push(Flag::HousingQuality);
    }
    if housing_instability || housing_quality {
        domains += 1;
    }
    if value_of(chosen, 2) > 0 || value_of(chosen, 3) > 0 {
        flags.push(Flag::FoodInsecurity);
        domains += 1;
    }
    if value_of(chosen, 4) > 0 {
        flags.push(Flag::TransportationProblems);
        domains += 1;
    }
    if value_of(chosen, 5) > 0 {
        flags.push(Flag::UtilityHelpNeeds);
        domains += 1;
    }
    let safety: u32 = (6..10).map(|i| value_of(chosen, i)).sum();
    if safety > SAFETY_THRESHOLD {
        flags.push(Flag::InterpersonalSafety);
        domains += 1;
    }

    InstrumentResult {
        instrument: Instrument::AhcHrsn,
        total: domains,
        max_total: AHC_MAX,
        band: super::band_label(AHC_BANDS, domains).to_string(),
        positive: Some(domains > 0),
        flags,
        subscores: vec![Subscore {
            label: "Interpersonal safety (4–20)".into(),
            value: safety,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::super::{score as score_any, Answer, RuleError};
    use super::*;

    /// A negative screen: steady housing, no problems, never true, no, no, all "Never".
    fn negative() -> Vec<Answer> {
        vec![
            Answer::Choice(0),
            Answer::Choices(vec![Q2_NONE]),
            Answer::Choice(2),
            Answer::Choice(2),
            Answer::Choice(1),
            Answer::Choice(1),
            Answer::Choice(0),
            Answer::Choice(0),
            Answer::Choice(0),
            Answer::Choice(0),
        ]
    }

    fn run(a: &[Answer]) -> InstrumentResult {
        score_any(Instrument::AhcHrsn, a).expect("valid")
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn all_negative() {
        let r = run(&negative());
        assert_eq!(r.total, 0);
        assert_eq!(r.positive, Some(false));
        assert!(r.flags.is_empty());
        assert_eq!(r.subscores[0].value, 4);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn living_situation_rules() {
        for (q1, flagged) in [(0, false), (1, true), (2, true)] {
            let mut a = negative();
            a[0] = Answer::Choice(q1);
            let r = run(&a);
            assert_eq!(r.flags.contains(&Flag::HousingInstability), flagged);
            assert_eq!(r.total, flagged as u32);
        }
        let mut a = negative();
        a[1] = Answer::Choices(vec![1, 6]);
        let r = run(&a);
        assert_eq!(r.flags, vec![Flag::HousingQuality]);
        assert_eq!(r.total, 1);
        // Both housing needs are one domain.
        a[0] = Answer::Choice(2);
        let r = run(&a);
        assert_eq!(
            r.flags,
            vec![Flag::HousingInstability, Flag::HousingQuality]
        );
        assert_eq!(r.total, 1);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn none_of_the_above_must_be_alone() {
        let mut a = negative();
        a[1] = Answer::Choices(vec![0, Q2_NONE]);
        assert!(matches!(
            score_any(Instrument::AhcHrsn, &a),
            Err(RuleError::InvalidSelection { item: 2, .. })
        ));
        a[1] = Answer::Choices(vec![]);
        assert!(score_any(Instrument::AhcHrsn, &a).is_err());
        a[1] = Answer::Choices(vec![3, 3]);
        assert!(score_any(Instrument::AhcHrsn, &a).is_err());
        a[1] = Answer::Choices(vec![8]);
        assert!(score_any(Instrument::AhcHrsn, &a).is_err());
        a[1] = Answer::Choice(0);
        assert!(matches!(
            score_any(Instrument::AhcHrsn, &a),
            Err(RuleError::WrongAnswerKind { item: 2, .. })
        ));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn food_either_question_often_or_sometimes() {
        for (q3, q4, flagged) in [
            (2, 2, false),
            (0, 2, true),
            (1, 2, true),
            (2, 1, true),
            (2, 0, true),
        ] {
            let mut a = negative();
            a[2] = Answer::Choice(q3);
            a[3] = Answer::Choice(q4);
            assert_eq!(
                run(&a).flags.contains(&Flag::FoodInsecurity),
                flagged,
                "{q3} {q4}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn transportation_and_utilities() {
        let mut a = negative();
        a[4] = Answer::Choice(0);
        assert_eq!(run(&a).flags, vec![Flag::TransportationProblems]);
        for (q6, flagged) in [(0, true), (1, false), (2, true)] {
            let mut a = negative();
            a[5] = Answer::Choice(q6);
            assert_eq!(run(&a).flags.contains(&Flag::UtilityHelpNeeds), flagged);
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn safety_positive_when_sum_over_10() {
        // Option index i scores i + 1. Sums 10 (below), 11 (at the first positive), 12 (above).
        for (answers, sum, flagged) in [
            ([2, 2, 1, 1], 10, false),
            ([2, 2, 2, 1], 11, true),
            ([2, 2, 2, 2], 12, true),
            ([4, 4, 4, 4], 20, true),
            ([4, 4, 0, 0], 12, true),
        ] {
            let mut a = negative();
            for (k, v) in answers.iter().enumerate() {
                a[6 + k] = Answer::Choice(*v);
            }
            let r = run(&a);
            assert_eq!(r.subscores[0].value, sum);
            assert_eq!(
                r.flags.contains(&Flag::InterpersonalSafety),
                flagged,
                "sum {sum}"
            );
            assert_eq!(r.positive, Some(flagged));
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn all_five_domains() {
        let a = vec![
            Answer::Choice(1),
            Answer::Choices(vec![0, 1, 2, 3, 4, 5, 6]),
            Answer::Choice(0),
            Answer::Choice(0),
            Answer::Choice(0),
            Answer::Choice(2),
            Answer::Choice(4),
            Answer::Choice(4),
            Answer::Choice(4),
            Answer::Choice(4),
        ];
        let r = run(&a);
        assert_eq!(r.total, 5);
        assert_eq!(r.flags.len(), 6);
    }
}
