//! Charlson comorbidity index (Charlson et al., J Chronic Dis 1987;40:373-83) with the optional age
//! adjustment of the combined age-comorbidity index (Charlson et al., J Clin Epidemiol 1994):
//! one point per decade from 50 (50–59: 1, 60–69: 2, 70–79: 3, 80 and over: 4).
//!
//! Weights as published: 1 for MI, CHF, PVD, cerebrovascular disease, dementia, chronic pulmonary
//! disease, connective tissue disease, ulcer disease, mild liver disease, diabetes; 2 for hemiplegia,
//! moderate/severe renal disease, diabetes with end-organ damage, any tumour, leukaemia, lymphoma;
//! 3 for moderate/severe liver disease; 6 for metastatic solid tumour and AIDS.
//!
//! Hierarchy (as in the Deyo/Quan coding algorithms): when a condition and its more severe form are
//! both present, only the more severe one counts (diabetes, liver disease, tumour), so one disease is
//! never counted twice. Groups as published: 0, 1–2, 3–4, 5 or more.

use serde::{Deserialize, Serialize};

use super::{
    picked, value_of, AnswerOption, Band, Chosen, Instrument, InstrumentResult, Item, Selection,
    Subscore,
};

pub(crate) const CHARLSON_STEM: &str =
    "Mark each condition the patient has, from the record, and the patient's age.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CharlsonCondition {
    MyocardialInfarction,
    CongestiveHeartFailure,
    PeripheralVascularDisease,
    CerebrovascularDisease,
    Dementia,
    ChronicPulmonaryDisease,
    ConnectiveTissueDisease,
    PepticUlcerDisease,
    MildLiverDisease,
    Diabetes,
    Hemiplegia,
    ModerateOrSevereRenalDisease,
    DiabetesWithEndOrganDamage,
    AnyTumor,
    Leukemia,
    Lymphoma,
    ModerateOrSevereLiverDisease,
    MetastaticSolidTumor,
    Aids,
}

use CharlsonCondition as C;

impl CharlsonCondition {
    /// In item order.
    pub const ALL: [CharlsonCondition; 19] = [
        C::MyocardialInfarction,
        C::CongestiveHeartFailure,
        C::PeripheralVascularDisease,
        C::CerebrovascularDisease,
        C::Dementia,
        C::ChronicPulmonaryDisease,
        C::ConnectiveTissueDisease,
        C::PepticUlcerDisease,
        C::MildLiverDisease,
        C::Diabetes,
        C::Hemiplegia,
        C::ModerateOrSevereRenalDisease,
        C::DiabetesWithEndOrganDamage,
        C::AnyTumor,
        C::Leukemia,
        C::Lymphoma,
        C::ModerateOrSevereLiverDisease,
        C::MetastaticSolidTumor,
        C::Aids,
    ];

    pub fn weight(self) -> u32 {
        match self {
            C::MyocardialInfarction
            | C::CongestiveHeartFailure
            | C::PeripheralVascularDisease
            | C::CerebrovascularDisease
            | C::Dementia
            | C::ChronicPulmonaryDisease
            | C::ConnectiveTissueDisease
            | C::PepticUlcerDisease
            | C::MildLiverDisease
            | C::Diabetes => 1,
            C::Hemiplegia
            | C::ModerateOrSevereRenalDisease
            | C::DiabetesWithEndOrganDamage
            | C::AnyTumor
            | C::Leukemia
            | C::Lymphoma => 2,
            C::ModerateOrSevereLiverDisease => 3,
            C::MetastaticSolidTumor | C::Aids => 6,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            C::MyocardialInfarction => "Myocardial infarction (history, not just ECG changes)",
            C::CongestiveHeartFailure => "Congestive heart failure",
            C::PeripheralVascularDisease => {
                "Peripheral vascular disease (including aortic aneurysm ≥ 6 cm)"
            }
            C::CerebrovascularDisease => {
                "Cerebrovascular disease (stroke or TIA with minor or no residua)"
            }
            C::Dementia => "Dementia",
            C::ChronicPulmonaryDisease => "Chronic pulmonary disease",
            C::ConnectiveTissueDisease => "Connective tissue disease",
            C::PepticUlcerDisease => "Peptic ulcer disease",
            C::MildLiverDisease => {
                "Mild liver disease (chronic hepatitis or cirrhosis without portal hypertension)"
            }
            C::Diabetes => "Diabetes without end-organ damage",
            C::Hemiplegia => "Hemiplegia",
            C::ModerateOrSevereRenalDisease => "Moderate or severe renal disease",
            C::DiabetesWithEndOrganDamage => "Diabetes with end-organ damage",
            C::AnyTumor => "Any tumor without metastasis (in the last 5 years)",
            C::Leukemia => "Leukemia",
            C::Lymphoma => "Lymphoma",
            C::ModerateOrSevereLiverDisease => {
                "Moderate or severe liver disease (cirrhosis with portal hypertension)"
            }
            C::MetastaticSolidTumor => "Metastatic solid tumor",
            C::Aids => "AIDS",
        }
    }

    /// The more severe form that supersedes this condition, if any.
    fn superseded_by(self) -> Option<CharlsonCondition> {
        match self {
            C::Diabetes => Some(C::DiabetesWithEndOrganDamage),
            C::MildLiverDisease => Some(C::ModerateOrSevereLiverDisease),
            C::AnyTumor => Some(C::MetastaticSolidTumor),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharlsonScore {
    /// Weighted comorbidity points (the unadjusted index; this is LACE's C input).
    pub comorbidity: u32,
    /// Age points (0 when no age was given).
    pub age_points: u32,
    pub total: u32,
}

/// Age points: one per decade from 50, capped at 4 for 80 and over.
pub fn charlson_age_points(age_years: u32) -> u32 {
    match age_years {
        0..=49 => 0,
        50..=59 => 1,
        60..=69 => 2,
        70..=79 => 3,
        _ => 4,
    }
}

/// The Charlson index of `conditions` (duplicates count once), age-adjusted when `age_years` is given.
pub fn charlson_index(conditions: &[CharlsonCondition], age_years: Option<u32>) -> CharlsonScore {
    let has = |c: CharlsonCondition| conditions.contains(&c);
    let comorbidity = CharlsonCondition::ALL
        .iter()
        .filter(|c| has(**c))
        .filter(|c| !c.superseded_by().is_some_and(has))
        .map(|c| c.weight())
        .sum();
    let age_points = age_years.map(charlson_age_points).unwrap_or(0);
    CharlsonScore {
        comorbidity,
        age_points,
        total: comorbidity + age_points,
    }
}

const fn o(label: &'static str, value: u32) -> AnswerOption {
    AnswerOption { label, value }
}

const W1: &[AnswerOption] = &[o("No", 0), o("Yes", 1)];
const W2: &[AnswerOption] = &[o("No", 0), o("Yes", 2)];
const W3: &[AnswerOption] = &[o("No", 0), o("Yes", 3)];
const W6: &[AnswerOption] = &[o("No", 0), o("Yes", 6)];

const fn cond(id: &'static str, text: &'static str, options: &'static [AnswerOption]) -> Item {
    Item {
        id,
        text,
        domain: Some("Conditions"),
        selection: Selection::Single,
        options,
    }
}

pub(crate) const CHARLSON_ITEMS: &[Item] = &[
    cond(
        "charlson_mi",
        "Myocardial infarction (history, not just ECG changes)",
        W1,
    ),
    cond("charlson_chf", "Congestive heart failure", W1),
    cond(
        "charlson_pvd",
        "Peripheral vascular disease (including aortic aneurysm ≥ 6 cm)",
        W1,
    ),
    cond(
        "charlson_cvd",
        "Cerebrovascular disease (stroke or TIA with minor or no residua)",
        W1,
    ),
    cond("charlson_dementia", "Dementia", W1),
    cond("charlson_copd", "Chronic pulmonary disease", W1),
    cond("charlson_ctd", "Connective tissue disease", W1),
    cond("charlson_ulcer", "Peptic ulcer disease", W1),
    cond(
        "charlson_mild_liver",
        "Mild liver disease (chronic hepatitis or cirrhosis without portal hypertension)",
        W1,
    ),
    cond("charlson_diabetes", "Diabetes without end-organ damage", W1),
    cond("charlson_hemiplegia", "Hemiplegia", W2),
    cond("charlson_renal", "Moderate or severe renal disease", W2),
    cond(
        "charlson_diabetes_eod",
        "Diabetes with end-organ damage",
        W2,
    ),
    cond(
        "charlson_tumor",
        "Any tumor without metastasis (in the last 5 years)",
        W2,
    ),
    cond("charlson_leukemia", "Leukemia", W2),
    cond("charlson_lymphoma", "Lymphoma", W2),
    cond(
        "charlson_severe_liver",
        "Moderate or severe liver disease (cirrhosis with portal hypertension)",
        W3,
    ),
    cond("charlson_metastatic", "Metastatic solid tumor", W6),
    cond("charlson_aids", "AIDS", W6),
    Item {
        id: "charlson_age",
        text: "Age (for the age-adjusted index)",
        domain: Some("Age"),
        selection: Selection::Single,
        options: &[
            o("Under 50", 0),
            o("50 to 59", 1),
            o("60 to 69", 2),
            o("70 to 79", 3),
            o("80 or older", 4),
        ],
    },
];

/// Index of the age item.
const AGE_ITEM: usize = 19;

/// Highest possible total: every condition (after the hierarchy) plus 4 age points.
pub(crate) const CHARLSON_MAX: u32 = 37;

pub(crate) const CHARLSON_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 0,
        label: "No comorbidity (index 0)",
    },
    Band {
        min: 1,
        max: 2,
        label: "Index 1–2",
    },
    Band {
        min: 3,
        max: 4,
        label: "Index 3–4",
    },
    Band {
        min: 5,
        max: CHARLSON_MAX,
        label: "Index 5 or more",
    },
];

pub(crate) fn score(chosen: &[Chosen]) -> InstrumentResult {
    let present: Vec<CharlsonCondition> = CharlsonCondition::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| picked(chosen, *i, 1))
        .map(|(_, c)| *c)
        .collect();
    let unadjusted = charlson_index(&present, None);
    let age_points = value_of(chosen, AGE_ITEM);
    let total = unadjusted.comorbidity + age_points;
    InstrumentResult {
        instrument: Instrument::Charlson,
        total,
        max_total: CHARLSON_MAX,
        band: super::band_label(CHARLSON_BANDS, total).to_string(),
        positive: None,
        flags: Vec::new(),
        subscores: vec![
            Subscore {
                label: "Comorbidity (unadjusted)".into(),
                value: unadjusted.comorbidity,
            },
            Subscore {
                label: "Age".into(),
                value: age_points,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::total;
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn items_follow_condition_order_and_weights() {
        for (item, c) in CHARLSON_ITEMS.iter().zip(CharlsonCondition::ALL) {
            assert_eq!(item.text, c.label());
            assert_eq!(item.options[1].value, c.weight(), "{:?}", c);
        }
        assert_eq!(CHARLSON_ITEMS.len(), AGE_ITEM + 1);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn weights_as_published() {
        assert_eq!(charlson_index(&[C::MyocardialInfarction], None).total, 1);
        assert_eq!(charlson_index(&[C::Hemiplegia], None).total, 2);
        assert_eq!(
            charlson_index(&[C::ModerateOrSevereLiverDisease], None).total,
            3
        );
        assert_eq!(charlson_index(&[C::Aids], None).total, 6);
        assert_eq!(charlson_index(&[C::MetastaticSolidTumor], None).total, 6);
        assert_eq!(
            charlson_index(
                &[
                    C::CongestiveHeartFailure,
                    C::Diabetes,
                    C::ChronicPulmonaryDisease
                ],
                None
            )
            .total,
            3
        );
        assert_eq!(charlson_index(&[], None).total, 0);
        // Duplicates count once.
        assert_eq!(charlson_index(&[C::Dementia, C::Dementia], None).total, 1);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn hierarchy_counts_only_the_severe_form() {
        assert_eq!(
            charlson_index(&[C::Diabetes, C::DiabetesWithEndOrganDamage], None).total,
            2
        );
        assert_eq!(
            charlson_index(
                &[C::MildLiverDisease, C::ModerateOrSevereLiverDisease],
                None
            )
            .total,
            3
        );
        assert_eq!(
            charlson_index(&[C::AnyTumor, C::MetastaticSolidTumor], None).total,
            6
        );
        // Leukaemia and lymphoma are not superseded by metastatic solid tumour.
        assert_eq!(
            charlson_index(&[C::Leukemia, C::MetastaticSolidTumor], None).total,
            8
        );
        assert_eq!(
            charlson_index(&CharlsonCondition::ALL, Some(90)).total,
            CHARLSON_MAX
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn age_points_at_each_decade() {
        for (age, pts) in [
            (0, 0),
            (49, 0),
            (50, 1),
            (59, 1),
            (60, 2),
            (69, 2),
            (70, 3),
            (79, 3),
            (80, 4),
            (81, 4),
            (u32::MAX, 4),
        ] {
            assert_eq!(charlson_age_points(age), pts, "age {age}");
            let s = charlson_index(&[C::Dementia], Some(age));
            assert_eq!((s.comorbidity, s.age_points, s.total), (1, pts, 1 + pts));
        }
        assert_eq!(charlson_index(&[C::Dementia], None).age_points, 0);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn instrument_bands_at_thresholds() {
        let mut a = vec![0u32; 20];
        let r = total(Instrument::Charlson, &a);
        assert_eq!((r.total, r.band.as_str()), (0, "No comorbidity (index 0)"));
        a[0] = 1; // MI
        assert_eq!(total(Instrument::Charlson, &a).band, "Index 1–2");
        a[10] = 1; // hemiplegia: 3
        let r = total(Instrument::Charlson, &a);
        assert_eq!((r.total, r.band.as_str()), (3, "Index 3–4"));
        a[AGE_ITEM] = 1; // 50-59: 4
        assert_eq!(total(Instrument::Charlson, &a).total, 4);
        a[AGE_ITEM] = 2; // 60-69: 5
        let r = total(Instrument::Charlson, &a);
        assert_eq!((r.total, r.band.as_str()), (5, "Index 5 or more"));
        assert_eq!(r.subscores[0].value, 3);
        assert_eq!(r.subscores[1].value, 2);
        // Hierarchy applies to the instrument too: diabetes + diabetes with end-organ damage = 2.
        let mut a = vec![0u32; 20];
        a[9] = 1;
        a[12] = 1;
        assert_eq!(total(Instrument::Charlson, &a).total, 2);
        // Everything: the maximum.
        let mut a = vec![1u32; 20];
        a[AGE_ITEM] = 4;
        assert_eq!(total(Instrument::Charlson, &a).total, CHARLSON_MAX);
    }
}
