//! Katz Index of Independence in ADL (Katz 1963/1970) and Lawton IADL scale (Lawton & Brody 1969),
//! with the wording of the Hartford Institute "Try This" forms.

use super::{
    summed, AnswerOption, Band, Chosen, Flag, Instrument, InstrumentResult, Item, Selection,
};

pub(crate) const KATZ_STEM: &str = "For each activity, choose the description that applies. \
Independence means without supervision, direction or personal assistance.";

pub(crate) const LAWTON_STEM: &str =
    "For each area, choose the description that most closely resembles the person's highest functional level.";

const fn katz(independent: &'static str, dependent: &'static str) -> [AnswerOption; 2] {
    [
        AnswerOption {
            label: independent,
            value: 1,
        },
        AnswerOption {
            label: dependent,
            value: 0,
        },
    ]
}

const BATHING: [AnswerOption; 2] = katz(
    "Independent: bathes self completely or needs help in bathing only a single part of the body such as the back, genital area or disabled extremity",
    "Dependent: needs help with bathing more than one part of the body, getting in or out of the tub or shower; requires total bathing",
);
const DRESSING: [AnswerOption; 2] = katz(
    "Independent: gets clothes from closets and drawers and puts on clothes and outer garments complete with fasteners; may have help tying shoes",
    "Dependent: needs help with dressing self or needs to be completely dressed",
);
const TOILETING: [AnswerOption; 2] = katz(
    "Independent: goes to toilet, gets on and off, arranges clothes, cleans genital area without help",
    "Dependent: needs help transferring to the toilet, cleaning self or uses bedpan or commode",
);
const TRANSFERRING: [AnswerOption; 2] = katz(
    "Independent: moves in and out of bed or chair unassisted; mechanical transfer aids are acceptable",
    "Dependent: needs help in moving from bed to chair or requires a complete transfer",
);
const CONTINENCE: [AnswerOption; 2] = katz(
    "Independent: exercises complete self-control over urination and defecation",
    "Dependent: is partially or totally incontinent of bowel or bladder",
);
const FEEDING: [AnswerOption; 2] = katz(
    "Independent: gets food from plate into mouth without help; preparation of food may be done by another person",
    "Dependent: needs partial or total help with feeding or requires parenteral feeding",
);

const fn single(id: &'static str, text: &'static str, options: &'static [AnswerOption]) -> Item {
    Item {
        id,
        text,
        domain: None,
        selection: Selection::Single,
        options,
    }
}

pub(crate) const KATZ_ITEMS: &[Item] = &[
    single("katz_bathing", "Bathing", &BATHING),
    single("katz_dressing", "Dressing", &DRESSING),
    single("katz_toileting", "Toileting", &TOILETING),
    single("katz_transferring", "Transferring", &TRANSFERRING),
    single("katz_continence", "Continence", &CONTINENCE),
    single("katz_feeding", "Feeding", &FEEDING),
];

/// 6 = full function; 3–5 moderate impairment; 2 or less severe functional impairment.
pub(crate) const KATZ_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 2,
        label: "Severe functional impairment",
    },
    Band {
        min: 3,
        max: 5,
        label: "Moderate functional impairment",
    },
    Band {
        min: 6,
        max: 6,
        label: "Full function",
    },
];

const fn o(label: &'static str, value: u32) -> AnswerOption {
    AnswerOption { label, value }
}

pub(crate) const LAWTON_ITEMS: &[Item] = &[
    single(
        "lawton_telephone",
        "Ability to use telephone",
        &[
            o("Operates telephone on own initiative; looks up and dials numbers", 1),
            o("Dials a few well-known numbers", 1),
            o("Answers telephone, but does not dial", 1),
            o("Does not use telephone at all", 0),
        ],
    ),
    single(
        "lawton_shopping",
        "Shopping",
        &[
            o("Takes care of all shopping needs independently", 1),
            o("Shops independently for small purchases", 0),
            o("Needs to be accompanied on any shopping trip", 0),
            o("Completely unable to shop", 0),
        ],
    ),
    single(
        "lawton_food_preparation",
        "Food preparation",
        &[
            o("Plans, prepares, and serves adequate meals independently", 1),
            o("Prepares adequate meals if supplied with ingredients", 0),
            o("Heats and serves prepared meals or prepares meals but does not maintain adequate diet", 0),
            o("Needs to have meals prepared and served", 0),
        ],
    ),
    single(
        "lawton_housekeeping",
        "Housekeeping",
        &[
            o("Maintains house alone with occasional assistance (heavy work)", 1),
            o("Performs light daily tasks such as dishwashing, bed making", 1),
            o("Performs light daily tasks, but cannot maintain acceptable level of cleanliness", 1),
            o("Needs help with all home maintenance tasks", 1),
            o("Does not participate in any housekeeping tasks", 0),
        ],
    ),
    single(
        "lawton_laundry",
        "Laundry",
        &[
            o("Does personal laundry completely", 1),
            o("Launders small items, rinses socks, stockings, etc.", 1),
            o("All laundry must be done by others", 0),
        ],
    ),
    single(
        "lawton_transportation",
        "Mode of transportation",
        &[
            o("Travels independently on public transportation or drives own car", 1),
            o("Arranges own travel via taxi, but does not otherwise use public transportation", 1),
            o("Travels on public transportation when assisted or accompanied by another", 1),
            o("Travel limited to taxi or automobile with assistance of another", 0),
            o("Does not travel at all", 0),
        ],
    ),
    single(
        "lawton_medications",
        "Responsibility for own medications",
        &[
            o("Is responsible for taking medication in correct dosages at correct time", 1),
            o("Takes responsibility if medication is prepared in advance in separate dosages", 0),
            o("Is not capable of dispensing own medication", 0),
        ],
    ),
    single(
        "lawton_finances",
        "Ability to handle finances",
        &[
            o("Manages financial matters independently (budgets, writes checks, pays rent and bills, goes to bank); collects and keeps track of income", 1),
            o("Manages day-to-day purchases, but needs help with banking, major purchases, etc.", 1),
            o("Incapable of handling money", 0),
        ],
    ),
];

/// Lawton & Brody publish no cut-offs: 0 is low function (dependent), 8 high function
/// (independent). These labels only name the two ends and the range between.
pub(crate) const LAWTON_BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 0,
        label: "Dependent in all instrumental activities",
    },
    Band {
        min: 1,
        max: 7,
        label: "Needs help with some instrumental activities",
    },
    Band {
        min: 8,
        max: 8,
        label: "Independent in all instrumental activities",
    },
];

pub(crate) fn score(instrument: Instrument, chosen: &[Chosen]) -> InstrumentResult {
    let mut r = summed(instrument, chosen);
    if instrument == Instrument::KatzAdl && r.total < 6 {
        r.flags.push(Flag::AdlImpairment);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::super::test_support::total;
    use super::*;

    /// Katz answers with `independent` activities (option 0) and the rest dependent (option 1).
    fn katz_with(independent: usize) -> Vec<u32> {
        (0..6)
            .map(|i| if i < independent { 0 } else { 1 })
            .collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn katz_bands_at_each_threshold() {
        let cases = [
            (0, "Severe functional impairment", true),
            (2, "Severe functional impairment", true),
            (3, "Moderate functional impairment", true),
            (4, "Moderate functional impairment", true),
            (5, "Moderate functional impairment", true),
            (6, "Full function", false),
        ];
        for (n, band, impaired) in cases {
            let r = total(Instrument::KatzAdl, &katz_with(n));
            assert_eq!(r.total, n as u32);
            assert_eq!(r.band, band, "score {n}");
            assert_eq!(
                r.flags.contains(&Flag::AdlImpairment),
                impaired,
                "score {n}"
            );
        }
        assert_eq!(Instrument::KatzAdl.max_total(), 6);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn lawton_scores_each_domain_as_published() {
        // Highest level everywhere: 8.
        let r = total(Instrument::LawtonIadl, &[0; 8]);
        assert_eq!(
            (r.total, r.band.as_str()),
            (8, "Independent in all instrumental activities")
        );
        // Lowest level everywhere: 0.
        let r = total(Instrument::LawtonIadl, &[3, 3, 3, 4, 2, 4, 2, 2]);
        assert_eq!(
            (r.total, r.band.as_str()),
            (0, "Dependent in all instrumental activities")
        );
        // Domains where lower options still score 1: telephone 3rd option, housekeeping 4th,
        // laundry 2nd, transport 3rd, finances 2nd.
        let r = total(Instrument::LawtonIadl, &[2, 3, 3, 3, 1, 2, 2, 1]);
        assert_eq!(r.total, 5);
        // ...and where only the first option scores: shopping, food preparation, medications.
        let r = total(Instrument::LawtonIadl, &[3, 1, 1, 4, 2, 3, 1, 2]);
        assert_eq!(
            (r.total, r.band.as_str()),
            (0, "Dependent in all instrumental activities")
        );
        let r = total(Instrument::LawtonIadl, &[0, 1, 0, 4, 2, 3, 0, 2]);
        assert_eq!(
            (r.total, r.band.as_str()),
            (3, "Needs help with some instrumental activities")
        );
        let r = total(Instrument::LawtonIadl, &[0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(
            (r.total, r.band.as_str()),
            (7, "Needs help with some instrumental activities")
        );
        assert!(r.flags.is_empty());
    }
}
