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

/// ICD-10 code prefixes (dots removed) of each Charlson condition: Quan et al., "Coding algorithms
/// for defining comorbidities in ICD-9-CM and ICD-10 administrative data", Med Care
/// 2005;43(11):1130-9, with ICD-10-CM's diabetes subdivisions (E08–E13: .2–.5 and .7 are
/// end-organ damage; .0, .1, .6, .8, .9 are not).
const ICD10: &[(CharlsonCondition, &[&str])] = &[
    (C::MyocardialInfarction, &["I21", "I22", "I252"]),
    (
        C::CongestiveHeartFailure,
        &[
            "I099", "I110", "I130", "I132", "I255", "I420", "I425", "I426", "I427", "I428", "I429",
            "I43", "I50", "P290",
        ],
    ),
    (
        C::PeripheralVascularDisease,
        &[
            "I70", "I71", "I731", "I738", "I739", "I771", "I790", "I792", "K551", "K558", "K559",
            "Z958", "Z959",
        ],
    ),
    (
        C::CerebrovascularDisease,
        &[
            "G45", "G46", "H340", "I60", "I61", "I62", "I63", "I64", "I65", "I66", "I67", "I68",
            "I69",
        ],
    ),
    (
        C::Dementia,
        &["F00", "F01", "F02", "F03", "F051", "G30", "G311"],
    ),
    (
        C::ChronicPulmonaryDisease,
        &[
            "I278", "I279", "J40", "J41", "J42", "J43", "J44", "J45", "J46", "J47", "J60", "J61",
            "J62", "J63", "J64", "J65", "J66", "J67", "J684", "J701", "J703",
        ],
    ),
    (
        C::ConnectiveTissueDisease,
        &[
            "M05", "M06", "M315", "M32", "M33", "M34", "M351", "M353", "M360",
        ],
    ),
    (C::PepticUlcerDisease, &["K25", "K26", "K27", "K28"]),
    (
        C::MildLiverDisease,
        &[
            "B18", "K700", "K701", "K702", "K703", "K709", "K713", "K714", "K715", "K717", "K73",
            "K74", "K760", "K762", "K763", "K764", "K768", "K769", "Z944",
        ],
    ),
    (
        C::Diabetes,
        &[
            "E080", "E081", "E086", "E088", "E089", "E090", "E091", "E096", "E098", "E099", "E100",
            "E101", "E106", "E108", "E109", "E110", "E111", "E116", "E118", "E119", "E130", "E131",
            "E136", "E138", "E139", "E140", "E141", "E146", "E148", "E149",
        ],
    ),
    (
        C::Hemiplegia,
        &[
            "G041", "G114", "G801", "G802", "G81", "G82", "G830", "G831", "G832", "G833", "G834",
            "G839",
        ],
    ),
    (
        C::ModerateOrSevereRenalDisease,
        &[
            "I120", "I131", "N032", "N033", "N034", "N035", "N036", "N037", "N052", "N053", "N054",
            "N055", "N056", "N057", "N18", "N19", "N250", "Z490", "Z491", "Z492", "Z940", "Z992",
        ],
    ),
    (
        C::DiabetesWithEndOrganDamage,
        &[
            "E082", "E083", "E084", "E085", "E087", "E092", "E093", "E094", "E095", "E097", "E102",
            "E103", "E104", "E105", "E107", "E112", "E113", "E114", "E115", "E117", "E132", "E133",
            "E134", "E135", "E137", "E142", "E143", "E144", "E145", "E147",
        ],
    ),
    (C::Leukemia, &["C91", "C92", "C93", "C94", "C95"]),
    (
        C::Lymphoma,
        &["C81", "C82", "C83", "C84", "C85", "C88", "C90", "C96"],
    ),
    (
        C::ModerateOrSevereLiverDisease,
        &[
            "I850", "I859", "I864", "I982", "K704", "K711", "K721", "K729", "K765", "K766", "K767",
        ],
    ),
    (C::MetastaticSolidTumor, &["C77", "C78", "C79", "C80"]),
    (C::Aids, &["B20", "B21", "B22", "B24"]),
];

/// Solid tumours without metastasis: C00–C76 except the chapters Quan leaves out (C27–C29,
/// C35–C36, C42, C44, C59), and C97.
fn is_solid_tumor(code: &str) -> bool {
    let Some(rest) = code.strip_prefix('C') else {
        return false;
    };
    let Some(n) = rest.get(..2).and_then(|d| d.parse::<u32>().ok()) else {
        return false;
    };
    matches!(n, 0..=26 | 30..=34 | 37..=41 | 43 | 45..=58 | 60..=76 | 97)
}

/// The Charlson condition an ICD-10(-CM) code belongs to, if any ("I50.9" → congestive heart
/// failure). Case, dots and spaces do not matter.
pub fn charlson_for_icd10(code: &str) -> Option<CharlsonCondition> {
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.len() < 3 {
        return None;
    }
    ICD10
        .iter()
        .find(|(_, prefixes)| prefixes.iter().any(|p| code.starts_with(p)))
        .map(|(c, _)| *c)
        .or_else(|| is_solid_tumor(&code).then_some(C::AnyTumor))
}

/// The conditions of an administered Charlson questionnaire: each item answered "Yes" (values
/// keyed by item id, as stored).
pub fn charlson_from_answers<'a>(
    answers: impl IntoIterator<Item = (&'a str, i64)>,
) -> Vec<CharlsonCondition> {
    let mut out: Vec<CharlsonCondition> = answers
        .into_iter()
        .filter(|(_, value)| *value > 0)
        .filter_map(|(item, _)| {
            CHARLSON_ITEMS[..AGE_ITEM]
                .iter()
                .position(|i| i.id == item)
                .and_then(|pos| CharlsonCondition::ALL.get(pos).copied())
        })
        .collect();
    out.sort_by_key(|c| CharlsonCondition::ALL.iter().position(|x| x == c));
    out.dedup();
    out
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

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn icd10_codes_map_to_charlson_conditions() {
        let cases = [
            ("I50.9", Some(C::CongestiveHeartFailure)),
            ("i11.0", Some(C::CongestiveHeartFailure)),
            ("I10", None),
            ("E11.9", Some(C::Diabetes)),
            ("E11.22", Some(C::DiabetesWithEndOrganDamage)),
            ("E11.65", Some(C::Diabetes)),
            ("J44.1", Some(C::ChronicPulmonaryDisease)),
            ("N18.4", Some(C::ModerateOrSevereRenalDisease)),
            ("I25.2", Some(C::MyocardialInfarction)),
            ("I25.10", None),
            ("C50.911", Some(C::AnyTumor)),
            ("C44.91", None),
            ("C78.7", Some(C::MetastaticSolidTumor)),
            ("C92.10", Some(C::Leukemia)),
            ("C83.3", Some(C::Lymphoma)),
            ("K70.30", Some(C::MildLiverDisease)),
            ("K70.40", Some(C::ModerateOrSevereLiverDisease)),
            ("F03.90", Some(C::Dementia)),
            ("G30.9", Some(C::Dementia)),
            ("B20", Some(C::Aids)),
            ("", None),
            ("Z", None),
        ];
        for (code, expected) in cases {
            assert_eq!(charlson_for_icd10(code), expected, "{code}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn questionnaire_answers_give_their_conditions() {
        let got = charlson_from_answers([
            ("charlson_chf", 1),
            ("charlson_mi", 0),
            ("charlson_metastatic", 1),
            ("charlson_age", 3),
            ("unknown", 1),
        ]);
        assert_eq!(
            got,
            vec![C::CongestiveHeartFailure, C::MetastaticSolidTumor]
        );
    }
}
