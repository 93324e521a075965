//! Validated instruments: item texts, answer options, exact scoring and published interpretation.
//!
//! Why table-driven: the UI renders each item and its options from the same static tables that the
//! scorer reads, so what the patient was asked and how it was scored cannot drift apart.
//!
//! Answers are **option indices** (position in [`Item::options`]), not values: some instruments give
//! several options the same value (Lawton IADL), and storing the index keeps which words the patient
//! chose. Invariant: option lists are never reordered or shortened once released, because stored
//! answers refer to them by position.
//!
//! Only public-domain instruments live here; licensed ones (Morisky, PRAPARE) must not be added.

mod charlson;
mod function;
mod lace;
mod mood;
mod sdoh;
mod steadi;

use serde::{Deserialize, Serialize};

use super::RuleError;

pub use charlson::{
    charlson_age_points, charlson_for_icd10, charlson_from_answers, charlson_index,
    CharlsonCondition, CharlsonScore,
};
pub use lace::{lace_index, LaceInput, LaceScore, LACE_HIGH_RISK};
pub use steadi::STEADI_AT_RISK;

/// The instruments Tend can administer and score. Serialized as its [`Instrument::id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instrument {
    Phq2,
    Phq9,
    Gad7,
    KatzAdl,
    LawtonIadl,
    AhcHrsn,
    Lace,
    Charlson,
    SteadiStayIndependent,
}

/// One answer option as shown to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AnswerOption {
    pub label: &'static str,
    /// Points (or, for the AHC safety items, the 1–5 frequency value) this option contributes.
    pub value: u32,
}

/// Whether an item takes one option or "choose all that apply".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Selection {
    Single,
    /// Several options may be chosen; `exclusive` is an option (e.g. "None of the above") that must
    /// be chosen alone.
    Multiple {
        exclusive: Option<u32>,
    },
}

/// One question of an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Stable identifier, e.g. `"phq9_9"`.
    pub id: &'static str,
    pub text: &'static str,
    /// Sub-scale or domain heading the UI may group items under.
    pub domain: Option<&'static str>,
    pub selection: Selection,
    pub options: &'static [AnswerOption],
}

/// An interpretation band: totals in `min..=max` get `label`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Band {
    pub min: u32,
    pub max: u32,
    pub label: &'static str,
}

/// The answer to one item: an option index, or several for a "choose all that apply" item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Answer {
    Choice(u32),
    Choices(Vec<u32>),
}

/// Something a result asks the care team to act on. Serialized as its [`Flag::id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// PHQ-9 item 9 (thoughts of being better off dead or self-harm) answered above "Not at all":
    /// needs same-day clinical follow-up whatever the total.
    SafetyRisk,
    /// Katz ADL below 6: dependent in at least one activity of daily living.
    AdlImpairment,
    HousingInstability,
    HousingQuality,
    FoodInsecurity,
    TransportationProblems,
    UtilityHelpNeeds,
    InterpersonalSafety,
    FallRisk,
    HighReadmissionRisk,
}

impl Flag {
    pub const ALL: [Flag; 10] = [
        Flag::SafetyRisk,
        Flag::AdlImpairment,
        Flag::HousingInstability,
        Flag::HousingQuality,
        Flag::FoodInsecurity,
        Flag::TransportationProblems,
        Flag::UtilityHelpNeeds,
        Flag::InterpersonalSafety,
        Flag::FallRisk,
        Flag::HighReadmissionRisk,
    ];

    /// Stable machine-readable id, e.g. for summary badges: "safety_risk", "food_insecurity", ...
    pub fn id(self) -> &'static str {
        match self {
            Flag::SafetyRisk => "safety_risk",
            Flag::AdlImpairment => "adl_impairment",
            Flag::HousingInstability => "housing_instability",
            Flag::HousingQuality => "housing_quality",
            Flag::FoodInsecurity => "food_insecurity",
            Flag::TransportationProblems => "transportation_problems",
            Flag::UtilityHelpNeeds => "utility_help_needs",
            Flag::InterpersonalSafety => "interpersonal_safety",
            Flag::FallRisk => "fall_risk",
            Flag::HighReadmissionRisk => "high_readmission_risk",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Flag::SafetyRisk => "Safety risk: thoughts of death or self-harm reported",
            Flag::AdlImpairment => "Dependent in one or more activities of daily living",
            Flag::HousingInstability => "Housing instability",
            Flag::HousingQuality => "Housing quality problems",
            Flag::FoodInsecurity => "Food insecurity",
            Flag::TransportationProblems => "Transportation problems",
            Flag::UtilityHelpNeeds => "Utility help needs",
            Flag::InterpersonalSafety => "Interpersonal safety concern",
            Flag::FallRisk => "At risk for falling",
            Flag::HighReadmissionRisk => "High risk of readmission",
        }
    }
}

/// A named part of a total (LACE components, Charlson comorbidity vs age points, AHC safety sum).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscore {
    pub label: String,
    pub value: u32,
}

/// The scored result of one administration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentResult {
    pub instrument: Instrument,
    pub total: u32,
    pub max_total: u32,
    /// The published interpretation band for `total`.
    pub band: String,
    /// For screens with a published cut-off: whether the screen is positive.
    pub positive: Option<bool>,
    /// Sorted, without duplicates.
    pub flags: Vec<Flag>,
    pub subscores: Vec<Subscore>,
}

impl Instrument {
    pub const ALL: [Instrument; 9] = [
        Instrument::Phq2,
        Instrument::Phq9,
        Instrument::Gad7,
        Instrument::KatzAdl,
        Instrument::LawtonIadl,
        Instrument::AhcHrsn,
        Instrument::Lace,
        Instrument::Charlson,
        Instrument::SteadiStayIndependent,
    ];

    /// Stable identifier for storage.
    pub fn id(self) -> &'static str {
        match self {
            Instrument::Phq2 => "phq2",
            Instrument::Phq9 => "phq9",
            Instrument::Gad7 => "gad7",
            Instrument::KatzAdl => "katz_adl",
            Instrument::LawtonIadl => "lawton_iadl",
            Instrument::AhcHrsn => "ahc_hrsn",
            Instrument::Lace => "lace",
            Instrument::Charlson => "charlson",
            Instrument::SteadiStayIndependent => "steadi_stay_independent",
        }
    }

    pub fn from_id(id: &str) -> Option<Instrument> {
        Instrument::ALL.iter().copied().find(|i| i.id() == id)
    }

    pub fn name(self) -> &'static str {
        match self {
            Instrument::Phq2 => "Patient Health Questionnaire-2 (PHQ-2)",
            Instrument::Phq9 => "Patient Health Questionnaire-9 (PHQ-9)",
            Instrument::Gad7 => "Generalized Anxiety Disorder-7 (GAD-7)",
            Instrument::KatzAdl => "Katz Index of Independence in Activities of Daily Living",
            Instrument::LawtonIadl => "Lawton Instrumental Activities of Daily Living Scale",
            Instrument::AhcHrsn => "AHC Health-Related Social Needs Screening Tool (core)",
            Instrument::Lace => "LACE Index for readmission risk",
            Instrument::Charlson => "Charlson Comorbidity Index",
            Instrument::SteadiStayIndependent => "STEADI Stay Independent brochure",
        }
    }

    /// Instructions read before the items.
    pub fn instructions(self) -> &'static str {
        match self {
            Instrument::Phq2 | Instrument::Phq9 => mood::PHQ_STEM,
            Instrument::Gad7 => mood::GAD7_STEM,
            Instrument::KatzAdl => function::KATZ_STEM,
            Instrument::LawtonIadl => function::LAWTON_STEM,
            Instrument::AhcHrsn => sdoh::AHC_STEM,
            Instrument::Lace => lace::LACE_STEM,
            Instrument::Charlson => charlson::CHARLSON_STEM,
            Instrument::SteadiStayIndependent => steadi::STEADI_STEM,
        }
    }

    pub fn items(self) -> &'static [Item] {
        match self {
            Instrument::Phq2 => mood::PHQ2_ITEMS,
            Instrument::Phq9 => mood::PHQ9_ITEMS,
            Instrument::Gad7 => mood::GAD7_ITEMS,
            Instrument::KatzAdl => function::KATZ_ITEMS,
            Instrument::LawtonIadl => function::LAWTON_ITEMS,
            Instrument::AhcHrsn => sdoh::AHC_ITEMS,
            Instrument::Lace => lace::LACE_ITEMS,
            Instrument::Charlson => charlson::CHARLSON_ITEMS,
            Instrument::SteadiStayIndependent => steadi::STEADI_ITEMS,
        }
    }

    /// The interpretation bands, lowest first; they cover `0..=max_total` without gaps.
    pub fn bands(self) -> &'static [Band] {
        match self {
            Instrument::Phq2 => mood::PHQ2_BANDS,
            Instrument::Phq9 => mood::PHQ9_BANDS,
            Instrument::Gad7 => mood::GAD7_BANDS,
            Instrument::KatzAdl => function::KATZ_BANDS,
            Instrument::LawtonIadl => function::LAWTON_BANDS,
            Instrument::AhcHrsn => sdoh::AHC_BANDS,
            Instrument::Lace => lace::LACE_BANDS,
            Instrument::Charlson => charlson::CHARLSON_BANDS,
            Instrument::SteadiStayIndependent => steadi::STEADI_BANDS,
        }
    }

    /// Highest possible total.
    pub fn max_total(self) -> u32 {
        match self {
            Instrument::AhcHrsn => sdoh::AHC_MAX,
            Instrument::Charlson => charlson::CHARLSON_MAX,
            _ => self
                .items()
                .iter()
                .map(|i| i.options.iter().map(|o| o.value).max().unwrap_or(0))
                .sum(),
        }
    }
}

/// A validated answer: the chosen option indices and the sum of their values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chosen {
    pub indices: Vec<u32>,
    pub value: u32,
}

/// Value of item `i` (0 if absent — cannot happen after validation, but never index blindly).
pub(crate) fn value_of(chosen: &[Chosen], i: usize) -> u32 {
    chosen.get(i).map(|c| c.value).unwrap_or(0)
}

/// Whether option `option` was chosen for item `i`.
pub(crate) fn picked(chosen: &[Chosen], i: usize, option: u32) -> bool {
    chosen
        .get(i)
        .map(|c| c.indices.contains(&option))
        .unwrap_or(false)
}

/// Checks every answer against its item and resolves option values.
fn validate(instrument: Instrument, answers: &[Answer]) -> Result<Vec<Chosen>, RuleError> {
    let items = instrument.items();
    if answers.len() != items.len() {
        return Err(RuleError::WrongAnswerCount {
            instrument: instrument.id().to_string(),
            expected: items.len(),
            got: answers.len(),
        });
    }
    let mut out = Vec::with_capacity(items.len());
    for (n, (item, answer)) in items.iter().zip(answers).enumerate() {
        let item_no = n + 1;
        let option_value = |idx: u32| -> Result<u32, RuleError> {
            item.options
                .get(idx as usize)
                .map(|o| o.value)
                .ok_or(RuleError::AnswerOutOfRange {
                    item: item_no,
                    chosen: idx,
                    options: item.options.len(),
                })
        };
        let chosen = match (item.selection, answer) {
            (Selection::Single, Answer::Choice(idx)) => Chosen {
                indices: vec![*idx],
                value: option_value(*idx)?,
            },
            (Selection::Multiple { exclusive }, Answer::Choices(list)) => {
                if list.is_empty() {
                    return Err(RuleError::InvalidSelection {
                        item: item_no,
                        reason: "choose at least one option".into(),
                    });
                }
                let mut sorted = list.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if sorted.len() != list.len() {
                    return Err(RuleError::InvalidSelection {
                        item: item_no,
                        reason: "an option is chosen twice".into(),
                    });
                }
                if let Some(ex) = exclusive {
                    if sorted.len() > 1 && sorted.contains(&ex) {
                        return Err(RuleError::InvalidSelection {
                            item: item_no,
                            reason: format!(
                                "\"{}\" cannot be combined with other options",
                                item.options.get(ex as usize).map(|o| o.label).unwrap_or("")
                            ),
                        });
                    }
                }
                let mut value = 0u32;
                for idx in &sorted {
                    value = value.saturating_add(option_value(*idx)?);
                }
                Chosen {
                    indices: sorted,
                    value,
                }
            }
            (Selection::Single, Answer::Choices(_)) => {
                return Err(RuleError::WrongAnswerKind {
                    item: item_no,
                    expected: "a single choice".into(),
                })
            }
            (Selection::Multiple { .. }, Answer::Choice(_)) => {
                return Err(RuleError::WrongAnswerKind {
                    item: item_no,
                    expected: "a list of choices".into(),
                })
            }
        };
        out.push(chosen);
    }
    Ok(out)
}

/// The band label for `total` (the last band if `total` somehow exceeds every band).
pub(crate) fn band_label(bands: &[Band], total: u32) -> &'static str {
    bands
        .iter()
        .find(|b| b.min <= total && total <= b.max)
        .or(bands.last())
        .map(|b| b.label)
        .unwrap_or("")
}

/// Result for instruments whose total is the sum of the chosen option values.
pub(crate) fn summed(instrument: Instrument, chosen: &[Chosen]) -> InstrumentResult {
    let total = chosen.iter().fold(0u32, |a, c| a.saturating_add(c.value));
    InstrumentResult {
        instrument,
        total,
        max_total: instrument.max_total(),
        band: band_label(instrument.bands(), total).to_string(),
        positive: None,
        flags: Vec::new(),
        subscores: Vec::new(),
    }
}

/// Scores one administration of `instrument`. `answers` holds one [`Answer`] per item, in item
/// order. Every item must be answered: a partial administration has no published interpretation.
pub fn score(instrument: Instrument, answers: &[Answer]) -> Result<InstrumentResult, RuleError> {
    let chosen = validate(instrument, answers)?;
    let mut result = match instrument {
        Instrument::Phq2 | Instrument::Phq9 | Instrument::Gad7 => mood::score(instrument, &chosen),
        Instrument::KatzAdl | Instrument::LawtonIadl => function::score(instrument, &chosen),
        Instrument::AhcHrsn => sdoh::score(&chosen),
        Instrument::Lace => lace::score(&chosen),
        Instrument::Charlson => charlson::score(&chosen),
        Instrument::SteadiStayIndependent => steadi::score(&chosen),
    };
    result.flags.sort();
    result.flags.dedup();
    Ok(result)
}

/// Converts answers keyed by item id (the shape stored in the patient document) into the item-ordered
/// list [`score`] takes. For a single-choice item `value` is the option index; for a "choose all that
/// apply" item it is a bit set of option indices (bit `i` set = option `i` chosen). Unknown items,
/// duplicates and unanswered items are errors, so a stored response is never scored half-read.
pub fn answers_by_item_id<'a, I>(instrument: Instrument, pairs: I) -> Result<Vec<Answer>, RuleError>
where
    I: IntoIterator<Item = (&'a str, i64)>,
{
    let items = instrument.items();
    let mut slots: Vec<Option<Answer>> = vec![None; items.len()];
    for (item_id, value) in pairs {
        let Some(pos) = items.iter().position(|i| i.id == item_id) else {
            return Err(RuleError::UnknownItem {
                instrument: instrument.id().to_string(),
                item: item_id.to_string(),
            });
        };
        let out_of_range = || RuleError::AnswerOutOfRange {
            item: pos + 1,
            chosen: u32::try_from(value).unwrap_or(u32::MAX),
            options: items.get(pos).map(|i| i.options.len()).unwrap_or(0),
        };
        let answer = match items.get(pos).map(|i| i.selection) {
            Some(Selection::Multiple { .. }) => {
                let bits = u64::try_from(value).map_err(|_| out_of_range())?;
                Answer::Choices((0..64u32).filter(|b| bits & (1u64 << b) != 0).collect())
            }
            _ => Answer::Choice(u32::try_from(value).map_err(|_| out_of_range())?),
        };
        match slots.get_mut(pos) {
            Some(slot @ None) => *slot = Some(answer),
            _ => {
                return Err(RuleError::DuplicateAnswer {
                    item: item_id.to_string(),
                })
            }
        }
    }
    items
        .iter()
        .zip(slots)
        .map(|(item, slot)| {
            slot.ok_or_else(|| RuleError::MissingAnswer {
                item: item.id.to_string(),
            })
        })
        .collect()
}

/// The inverse of [`answers_by_item_id`]: `(item id, value)` pairs for storing, in item order.
/// Answers beyond the instrument's items are ignored; option indices of 64 and above cannot be
/// expressed in a multi-select bit set and are dropped (no instrument has that many options).
pub fn item_id_values(instrument: Instrument, answers: &[Answer]) -> Vec<(&'static str, i64)> {
    instrument
        .items()
        .iter()
        .zip(answers)
        .map(|(item, answer)| {
            let value = match answer {
                Answer::Choice(i) => i64::from(*i),
                Answer::Choices(list) => list
                    .iter()
                    .filter(|b| **b < 63)
                    .fold(0i64, |acc, b| acc | (1i64 << b)),
            };
            (item.id, value)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Single-choice answers from option indices.
    pub fn ans(indices: &[u32]) -> Vec<Answer> {
        indices.iter().map(|i| Answer::Choice(*i)).collect()
    }

    pub fn total(instrument: Instrument, indices: &[u32]) -> InstrumentResult {
        score(instrument, &ans(indices)).expect("valid answers")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn ids_round_trip_and_are_unique() {
        for i in Instrument::ALL {
            assert_eq!(Instrument::from_id(i.id()), Some(i));
        }
        assert_eq!(Instrument::from_id("morisky"), None);
        for i in Instrument::ALL {
            assert_eq!(
                serde_json::to_string(&i).unwrap(),
                format!("\"{}\"", i.id())
            );
        }
        for f in Flag::ALL {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.id())
            );
            assert!(!f.label().is_empty());
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn every_instrument_has_texts_options_and_gapless_bands() {
        for i in Instrument::ALL {
            assert!(!i.name().is_empty() && !i.instructions().is_empty());
            let mut item_ids = std::collections::HashSet::new();
            for item in i.items() {
                assert!(item_ids.insert(item.id), "duplicate item id {}", item.id);
                assert!(!item.text.is_empty(), "{}", item.id);
                assert!(item.options.len() >= 2, "{}", item.id);
                assert!(item.options.iter().all(|o| !o.label.is_empty()));
            }
            let bands = i.bands();
            assert_eq!(bands.first().map(|b| b.min), Some(0), "{:?}", i);
            assert_eq!(bands.last().map(|b| b.max), Some(i.max_total()), "{:?}", i);
            for pair in bands.windows(2) {
                assert_eq!(pair[0].max + 1, pair[1].min, "{:?}", i);
            }
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn wrong_shapes_are_typed_errors() {
        assert_eq!(
            score(Instrument::Phq2, &ans(&[1])),
            Err(RuleError::WrongAnswerCount {
                instrument: "phq2".into(),
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            score(Instrument::Phq2, &ans(&[1, 4])),
            Err(RuleError::AnswerOutOfRange {
                item: 2,
                chosen: 4,
                options: 4
            })
        );
        assert!(matches!(
            score(
                Instrument::Phq2,
                &[Answer::Choice(0), Answer::Choices(vec![1])]
            ),
            Err(RuleError::WrongAnswerKind { item: 2, .. })
        ));
        assert!(score(Instrument::Phq2, &ans(&[u32::MAX, 0])).is_err());
        assert!(score(Instrument::Phq9, &[]).is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn item_keyed_answers_round_trip() {
        // AHC with a multi-select: Q2 options 1 and 6 chosen -> bits 1 and 6.
        let answers = vec![
            Answer::Choice(0),
            Answer::Choices(vec![1, 6]),
            Answer::Choice(2),
            Answer::Choice(2),
            Answer::Choice(1),
            Answer::Choice(1),
            Answer::Choice(0),
            Answer::Choice(0),
            Answer::Choice(0),
            Answer::Choice(0),
        ];
        let stored = item_id_values(Instrument::AhcHrsn, &answers);
        assert_eq!(stored[1], ("ahc_2_housing_problems", 0b100_0010));
        // Order in storage does not matter.
        let mut shuffled = stored.clone();
        shuffled.reverse();
        let back = answers_by_item_id(Instrument::AhcHrsn, shuffled.iter().map(|(k, v)| (*k, *v)));
        assert_eq!(back, Ok(answers.clone()));
        assert_eq!(
            score(Instrument::AhcHrsn, &answers).map(|r| r.flags),
            Ok(vec![Flag::HousingQuality])
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn item_keyed_answers_reject_bad_input() {
        let full: Vec<(&str, i64)> = Instrument::Phq2.items().iter().map(|i| (i.id, 1)).collect();
        assert_eq!(
            answers_by_item_id(Instrument::Phq2, full.clone()),
            Ok(vec![Answer::Choice(1), Answer::Choice(1)])
        );
        assert_eq!(
            answers_by_item_id(Instrument::Phq2, vec![("phq2_1", 1)]),
            Err(RuleError::MissingAnswer {
                item: "phq2_2".into()
            })
        );
        assert!(matches!(
            answers_by_item_id(
                Instrument::Phq2,
                vec![("phq2_1", 1), ("phq2_1", 2), ("phq2_2", 0)]
            ),
            Err(RuleError::DuplicateAnswer { .. })
        ));
        assert!(matches!(
            answers_by_item_id(Instrument::Phq2, vec![("phq9_9", 1)]),
            Err(RuleError::UnknownItem { .. })
        ));
        assert!(matches!(
            answers_by_item_id(Instrument::Phq2, vec![("phq2_1", -1), ("phq2_2", 0)]),
            Err(RuleError::AnswerOutOfRange { item: 1, .. })
        ));
        // Out-of-range indices pass conversion and are caught by `score`.
        let a = answers_by_item_id(Instrument::Phq2, vec![("phq2_1", 9), ("phq2_2", 0)]);
        assert!(a.is_ok_and(|a| score(Instrument::Phq2, &a).is_err()));
        let a = answers_by_item_id(Instrument::Phq2, vec![("phq2_1", i64::MAX), ("phq2_2", 0)]);
        assert!(a.is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn any_single_choice_answers_never_panic() {
        // Every instrument, every answer index 0..=6 on every item: Ok or Err, never a panic, and
        // an Ok total never exceeds the maximum.
        for i in Instrument::ALL {
            let n = i.items().len();
            for v in 0..=6u32 {
                for (pos, item) in i.items().iter().enumerate() {
                    let answers: Vec<Answer> = i
                        .items()
                        .iter()
                        .enumerate()
                        .map(|(k, it)| {
                            let idx = if k == pos { v } else { 0 };
                            match it.selection {
                                Selection::Single => Answer::Choice(idx),
                                Selection::Multiple { .. } => Answer::Choices(vec![idx]),
                            }
                        })
                        .collect();
                    assert_eq!(answers.len(), n);
                    if let Ok(r) = score(i, &answers) {
                        assert!(r.total <= r.max_total, "{:?} {}", i, item.id);
                        assert!(!r.band.is_empty());
                    }
                }
            }
        }
    }
}
