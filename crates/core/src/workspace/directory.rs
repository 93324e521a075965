//! The community resource directory: organisations and their services, shared by the workspace.
//!
//! Evolution is additive: every field but `id` and `name` hydrates from a document that lacks it
//! (`#[autosurgeon(missing = "Default::default")]`), and every field added later must do the same.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::record::{IsoDate, Retirement, SdohDomain, Stamp};

/// The workspace document's content. Maps keyed by id, so two devices' edits merge item by item
/// and field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct WorkspaceRecord {
    /// The shape of the document ([`super::WORKSPACE_SCHEMA_VERSION`] when this build wrote it).
    pub schema_version: u64,
    /// The directory's organisations (retired ones included), keyed by their id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub organisations: BTreeMap<String, Organisation>,
    /// The team roster: everyone who works in the workspace, keyed by person id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub people: BTreeMap<String, super::roster::Person>,
    /// Which person each device belongs to, keyed by device id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub devices: BTreeMap<String, super::roster::DeviceLink>,
}

/// One organisation of the directory: who they are, what they offer, to whom, and how to reach
/// them. Everything but the name is free text a care manager may leave empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Organisation {
    /// Stable id, also the key under `organisations`.
    pub id: String,
    /// The organisation's name, as care managers look it up (required).
    pub name: String,
    /// What it offers, in the order given.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub service_types: Vec<ServiceType>,
    /// The social-risk domain it addresses, when one was chosen.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub sdoh_domain: Option<SdohDomain>,
    /// Where it serves ("Travis County", "ZIP codes 78701–78705").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub area_served: String,
    /// Who qualifies ("65+, income under 200% FPL").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub eligibility: String,
    /// Opening hours as written ("Mon–Fri 9–5").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub hours: String,
    /// Phone number(s) as written.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub phone: String,
    /// Street address as written.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub address: String,
    /// Web address as written.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub website: String,
    /// Languages spoken ("English", "Spanish"), as written.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Anything else worth knowing (intake process, what to bring).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub notes: String,
    /// The day someone last checked these details were right.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub last_verified: Option<IsoDate>,
    /// Who added it and when.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub recorded: Stamp,
    /// Set when it left the directory (closed, duplicate); it is never deleted.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub retired: Option<Retirement>,
}

impl Organisation {
    /// Whether it is still in the directory (not retired).
    pub fn is_active(&self) -> bool {
        self.retired.is_none()
    }

    /// Whether it addresses `domain`: chosen explicitly, or implied by one of its service types
    /// (a food pantry addresses food insecurity).
    pub fn serves_domain(&self, domain: &SdohDomain) -> bool {
        self.sdoh_domain.as_ref() == Some(domain)
            || self
                .service_types
                .iter()
                .any(|s| s.domain().as_ref() == Some(domain))
    }

    /// Whether it lists `language`, ignoring case and surrounding spaces.
    pub fn speaks(&self, language: &str) -> bool {
        let wanted = language.trim().to_lowercase();
        self.languages
            .iter()
            .any(|l| l.trim().to_lowercase() == wanted)
    }

    /// Whether every word of `query` appears (ignoring case) in its name, service types, notes,
    /// area served, eligibility, address or languages. An empty query matches everything.
    pub fn matches(&self, query: &str) -> bool {
        let mut haystack = [
            self.name.as_str(),
            self.notes.as_str(),
            self.area_served.as_str(),
            self.eligibility.as_str(),
            self.address.as_str(),
        ]
        .join("\n");
        for s in &self.service_types {
            haystack.push('\n');
            haystack.push_str(&s.label());
            haystack.push('\n');
            haystack.push_str(s.as_str());
        }
        for l in &self.languages {
            haystack.push('\n');
            haystack.push_str(l);
        }
        let haystack = haystack.to_lowercase();
        query
            .to_lowercase()
            .split_whitespace()
            .all(|word| haystack.contains(word))
    }
}

/// Sorts organisations as lists show them: by name ignoring case, then by id so the order is
/// stable.
fn by_name<'a>(orgs: impl Iterator<Item = &'a Organisation>) -> Vec<&'a Organisation> {
    let mut orgs: Vec<_> = orgs.collect();
    orgs.sort_by_cached_key(|o| (o.name.trim().to_lowercase(), o.id.clone()));
    orgs
}

impl WorkspaceRecord {
    /// The organisations still in the directory, sorted by name.
    pub fn active(&self) -> Vec<&Organisation> {
        by_name(self.organisations.values().filter(|o| o.is_active()))
    }

    /// The retired organisations, sorted by name (for a "show removed" view and restoring).
    pub fn retired(&self) -> Vec<&Organisation> {
        by_name(self.organisations.values().filter(|o| !o.is_active()))
    }

    /// The active organisations matching `query` ([`Organisation::matches`]) and every filter
    /// given, sorted by name.
    pub fn search(
        &self,
        query: &str,
        service_type: Option<&ServiceType>,
        domain: Option<&SdohDomain>,
        language: Option<&str>,
    ) -> Vec<&Organisation> {
        by_name(self.organisations.values().filter(|o| {
            o.is_active()
                && service_type.is_none_or(|s| o.service_types.contains(s))
                && domain.is_none_or(|d| o.serves_domain(d))
                && language.is_none_or(|l| o.speaks(l))
                && o.matches(query)
        }))
    }

    /// Every language the active organisations list, once each (first spelling kept), sorted;
    /// for a language filter's choices.
    pub fn languages(&self) -> Vec<String> {
        let mut seen = BTreeMap::new();
        for o in self.organisations.values().filter(|o| o.is_active()) {
            for l in &o.languages {
                let l = l.trim();
                if !l.is_empty() {
                    seen.entry(l.to_lowercase())
                        .or_insert_with(|| l.to_string());
                }
            }
        }
        seen.into_values().collect()
    }
}

/// What an organisation offers. Stored as its lower-snake-case string; a value this build does
/// not know — written by a newer version, or typed/imported free text — is kept in `Other`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServiceType {
    /// Food pantries, meals, nutrition programmes.
    Food,
    /// Shelter, rental help, housing programmes.
    Housing,
    /// Rides to appointments, transit passes.
    Transportation,
    /// Help with electricity, gas, water and phone bills.
    Utilities,
    /// Cash assistance, bill help, benefits enrolment.
    FinancialAid,
    /// Pharmacies that deliver medications.
    PrescriptionDelivery,
    /// Home health agencies and in-home care.
    HomeHealth,
    /// Physical, occupational and speech therapy.
    Therapy,
    /// Durable medical equipment.
    Dme,
    /// Mental health and substance use services.
    BehavioralHealth,
    /// Legal aid.
    Legal,
    /// Respite and support for family caregivers.
    CaregiverSupport,
    /// Specialist clinicians.
    Specialist,
    /// Anything else, as written.
    Other(String),
}

/// A known service type: its stored key, its label, and the words that recognise it in free text.
struct Known {
    ty: ServiceType,
    key: &'static str,
    label: &'static str,
    /// Word starts, matched against the text's words ("pantr" finds "Pantries"); a trailing space
    /// asks for the whole word ("bus " does not find "business").
    words: &'static [&'static str],
}

const fn known(
    ty: ServiceType,
    key: &'static str,
    label: &'static str,
    words: &'static [&'static str],
) -> Known {
    Known {
        ty,
        key,
        label,
        words,
    }
}

/// The known service types in the order [`ServiceType::recognise`] tries them: the first whose
/// word appears wins, so specific ones ("home health", "legal counsel", "financial counseling")
/// come before general ones ("counsel", "therapy").
const KNOWN: &[Known] = &[
    known(
        ServiceType::PrescriptionDelivery,
        "prescription_delivery",
        "Prescription delivery",
        &["prescription", "pharmac", "medication delivery"],
    ),
    known(
        ServiceType::HomeHealth,
        "home_health",
        "Home health",
        &[
            "home health",
            "home care",
            "homecare",
            "in home",
            "home nursing",
        ],
    ),
    known(
        ServiceType::Legal,
        "legal",
        "Legal",
        &["legal", "law ", "laws ", "attorney", "lawyer"],
    ),
    known(
        ServiceType::Dme,
        "dme",
        "DME (medical equipment)",
        &[
            "dme ",
            "durable",
            "medical equipment",
            "medical supplies",
            "oxygen",
        ],
    ),
    known(
        ServiceType::Food,
        "food",
        "Food",
        &[
            "food",
            "pantr",
            "meal",
            "nutrition",
            "grocer",
            "snap ",
            "wic ",
            "soup kitchen",
        ],
    ),
    known(
        ServiceType::Housing,
        "housing",
        "Housing",
        &[
            "housing", "shelter", "homeless", "rent", "eviction", "tenant",
        ],
    ),
    known(
        ServiceType::Utilities,
        "utilities",
        "Utilities",
        &[
            "utilit",
            "electric",
            "energy",
            "heating",
            "cooling",
            "liheap",
            "water bill",
            "weatheriz",
        ],
    ),
    known(
        ServiceType::Transportation,
        "transportation",
        "Transportation",
        &[
            "transport",
            "ride",
            "transit",
            "bus ",
            "buses ",
            "paratransit",
            "nemt ",
        ],
    ),
    known(
        ServiceType::FinancialAid,
        "financial_aid",
        "Financial aid",
        &[
            "financ",
            "cash",
            "money",
            "bill pay",
            "emergency assistance",
            "benefits",
        ],
    ),
    known(
        ServiceType::BehavioralHealth,
        "behavioral_health",
        "Behavioral health",
        &[
            "behavioral",
            "behavioural",
            "mental",
            "psychiatr",
            "counsel",
            "substance",
            "addiction",
        ],
    ),
    known(
        ServiceType::CaregiverSupport,
        "caregiver_support",
        "Caregiver support",
        &["caregiv", "carer", "respite"],
    ),
    known(
        ServiceType::Therapy,
        "therapy",
        "Therapy",
        &["therap", "rehab", "occupational", "speech"],
    ),
    known(
        ServiceType::Specialist,
        "specialist",
        "Specialist",
        &["specialist", "specialty", "speciality"],
    ),
];

impl ServiceType {
    /// The known service types in picker order.
    pub const ALL: &'static [ServiceType] = &[
        ServiceType::Food,
        ServiceType::Housing,
        ServiceType::Transportation,
        ServiceType::Utilities,
        ServiceType::FinancialAid,
        ServiceType::PrescriptionDelivery,
        ServiceType::HomeHealth,
        ServiceType::Therapy,
        ServiceType::Dme,
        ServiceType::BehavioralHealth,
        ServiceType::Legal,
        ServiceType::CaregiverSupport,
        ServiceType::Specialist,
    ];

    fn known(&self) -> Option<&'static Known> {
        KNOWN.iter().find(|k| k.ty == *self)
    }

    /// The stored string: a known type's key, or an `Other`'s text.
    pub fn as_str(&self) -> &str {
        match self {
            ServiceType::Other(s) => s.as_str(),
            known => known.known().map_or("", |k| k.key),
        }
    }

    /// The type a stored string names; anything unknown is kept as `Other`.
    pub fn parse(s: &str) -> Self {
        KNOWN
            .iter()
            .find(|k| k.key == s)
            .map_or_else(|| ServiceType::Other(s.to_string()), |k| k.ty.clone())
    }

    /// What the UI shows: "Food", "DME (medical equipment)"; an `Other`'s own text, or "Other"
    /// when it has none.
    pub fn label(&self) -> String {
        match self {
            ServiceType::Other(s) if s.trim().is_empty() => "Other".to_string(),
            ServiceType::Other(s) => s.trim().to_string(),
            known => known.known().map_or("", |k| k.label).to_string(),
        }
    }

    /// The type free text names ("Food Pantry" → Food, "Mental Health Counseling" →
    /// BehavioralHealth), matching words by their start and ignoring case; text naming none of
    /// them becomes `Other` with the trimmed text.
    pub fn recognise(text: &str) -> Self {
        let text = text.trim();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let words = format!(" {} ", words.join(" "));
        KNOWN
            .iter()
            .find(|k| {
                // A stored key ("financial_aid") or the label itself also names the type.
                text.eq_ignore_ascii_case(k.key)
                    || text.eq_ignore_ascii_case(k.label)
                    || k.words.iter().any(|w| words.contains(&format!(" {w}")))
            })
            .map_or_else(|| ServiceType::Other(text.to_string()), |k| k.ty.clone())
    }

    /// The types a cell lists, split on `;`, `,`, `|` and line breaks, each [recognised],
    /// without repeats.
    ///
    /// [recognised]: ServiceType::recognise
    pub fn recognise_list(text: &str) -> Vec<Self> {
        let mut out: Vec<ServiceType> = Vec::new();
        for part in text.split([';', ',', '|', '\n']) {
            if part.trim().is_empty() {
                continue;
            }
            let t = ServiceType::recognise(part);
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// The Gravity Project domain the type addresses, when there is a clear one.
    pub fn domain(&self) -> Option<SdohDomain> {
        match self {
            ServiceType::Food => Some(SdohDomain::FoodInsecurity),
            ServiceType::Housing => Some(SdohDomain::HousingInstability),
            ServiceType::Transportation => Some(SdohDomain::TransportationInsecurity),
            ServiceType::Utilities => Some(SdohDomain::UtilityInsecurity),
            ServiceType::FinancialAid => Some(SdohDomain::FinancialInsecurity),
            _ => None,
        }
    }
}

impl Default for ServiceType {
    fn default() -> Self {
        ServiceType::Other(String::new())
    }
}

impl std::fmt::Display for ServiceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Reconcile for ServiceType {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(self.as_str())
    }
}

impl Hydrate for ServiceType {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        Ok(ServiceType::parse(s))
    }
}

impl Serialize for ServiceType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServiceType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        Ok(ServiceType::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, name: &str, types: &[ServiceType]) -> Organisation {
        Organisation {
            id: id.into(),
            name: name.into(),
            service_types: types.to_vec(),
            ..Default::default()
        }
    }

    fn directory(orgs: Vec<Organisation>) -> WorkspaceRecord {
        WorkspaceRecord {
            schema_version: 1,
            organisations: orgs.into_iter().map(|o| (o.id.clone(), o)).collect(),
            ..Default::default()
        }
    }

    fn names(orgs: Vec<&Organisation>) -> Vec<&str> {
        orgs.into_iter().map(|o| o.name.as_str()).collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn service_types_round_trip_and_keep_unknown_values() {
        for t in ServiceType::ALL {
            assert_eq!(&ServiceType::parse(t.as_str()), t);
            assert_eq!(&ServiceType::recognise(&t.label()), t, "{t:?}");
            assert_eq!(&ServiceType::recognise(t.as_str()), t, "{t:?}");
        }
        assert_eq!(ServiceType::ALL.len(), KNOWN.len());
        let newer = ServiceType::parse("laundry");
        assert_eq!(newer, ServiceType::Other("laundry".into()));
        assert_eq!(newer.as_str(), "laundry");
        assert_eq!(ServiceType::Dme.label(), "DME (medical equipment)");
        assert_eq!(ServiceType::Other(" ".into()).label(), "Other");
        let json = serde_json::to_string(&ServiceType::FinancialAid).unwrap();
        assert_eq!(json, "\"financial_aid\"");
        assert_eq!(
            serde_json::from_str::<ServiceType>(&json).unwrap(),
            ServiceType::FinancialAid
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn free_text_names_service_types() {
        let cases = [
            ("Food Pantry", ServiceType::Food),
            ("Home-Delivered Meals", ServiceType::Food),
            ("TRANSPORTATION", ServiceType::Transportation),
            ("Medical Transportation", ServiceType::Transportation),
            ("Mental Health Counseling", ServiceType::BehavioralHealth),
            ("Home Health Care", ServiceType::HomeHealth),
            ("Physical Therapy", ServiceType::Therapy),
            ("Rent Assistance", ServiceType::Housing),
            ("Utility Assistance", ServiceType::Utilities),
            ("Durable Medical Equipment", ServiceType::Dme),
            ("Respite for caregivers", ServiceType::CaregiverSupport),
            ("Legal Aid", ServiceType::Legal),
            ("financial_aid", ServiceType::FinancialAid),
            ("Pharmacy delivery", ServiceType::PrescriptionDelivery),
        ];
        for (text, want) in cases {
            assert_eq!(ServiceType::recognise(text), want, "{text}");
        }
        // Words match by their start: "parents" is not "rent".
        assert_eq!(
            ServiceType::recognise(" Parenting classes "),
            ServiceType::Other("Parenting classes".into())
        );
        assert_eq!(
            ServiceType::recognise_list("Food Pantry; Meals, Clothing |"),
            vec![ServiceType::Food, ServiceType::Other("Clothing".into())]
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn active_is_sorted_by_name_and_leaves_out_the_retired() {
        let mut gone = org("c", "Closed Clinic", &[]);
        gone.retired = Some(Retirement::default());
        let dir = directory(vec![
            org("a", "zeta Rides", &[ServiceType::Transportation]),
            org("b", "Alpha Food Bank", &[ServiceType::Food]),
            gone,
        ]);
        assert_eq!(names(dir.active()), ["Alpha Food Bank", "zeta Rides"]);
        assert_eq!(names(dir.retired()), ["Closed Clinic"]);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn search_matches_names_types_and_text_with_filters() {
        let mut pantry = org("a", "St Mary's Pantry", &[ServiceType::Food]);
        pantry.languages = vec!["English".into(), "Spanish".into()];
        let mut bank = org(
            "b",
            "Capital Food Bank",
            &[ServiceType::Other("Donations".into())],
        );
        bank.area_served = "Travis County".into();
        let mut rides = org("c", "RideCare", &[ServiceType::Transportation]);
        rides.notes = "Wheelchair vans; book 48 hours ahead".into();
        rides.eligibility = "Medicaid members".into();
        let mut closed = org("d", "Old Food Hall", &[ServiceType::Food]);
        closed.retired = Some(Retirement::default());
        let dir = directory(vec![pantry, bank, rides, closed]);

        let search = |q, t, d, l| names(dir.search(q, t, d, l));
        assert_eq!(
            search("food", None, None, None),
            ["Capital Food Bank", "St Mary's Pantry"]
        );
        assert_eq!(
            search("FOOD travis", None, None, None),
            ["Capital Food Bank"]
        );
        assert_eq!(search("wheelchair", None, None, None), ["RideCare"]);
        assert_eq!(search("medicaid", None, None, None), ["RideCare"]);
        assert_eq!(search("", None, None, None).len(), 3);
        assert_eq!(
            search("", Some(&ServiceType::Food), None, None),
            ["St Mary's Pantry"]
        );
        assert_eq!(
            search("", None, Some(&SdohDomain::TransportationInsecurity), None),
            ["RideCare"]
        );
        assert_eq!(
            search("", None, None, Some(" spanish ")),
            ["St Mary's Pantry"]
        );
        assert!(search("housing", None, None, None).is_empty());
        assert_eq!(dir.languages(), ["English", "Spanish"]);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn an_organisation_with_only_id_and_name_still_opens() {
        use automerge::{transaction::Transactable, AutoCommit, ObjType, ROOT};
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "schema_version", 1u64).unwrap();
        let orgs = doc.put_object(ROOT, "organisations", ObjType::Map).unwrap();
        let o = doc.put_object(&orgs, "o1", ObjType::Map).unwrap();
        doc.put(&o, "id", "o1").unwrap();
        doc.put(&o, "name", "Food Bank").unwrap();
        doc.put(&o, "colour", "written by a newer build").unwrap();
        let record: WorkspaceRecord = autosurgeon::hydrate(&doc).expect("hydrates");
        assert_eq!(record.organisations["o1"], org("o1", "Food Bank", &[]));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn an_explicit_domain_counts_as_well_as_implied_ones() {
        let mut o = org("a", "Safe Home", &[]);
        o.sdoh_domain = Some(SdohDomain::InterpersonalSafety);
        assert!(o.serves_domain(&SdohDomain::InterpersonalSafety));
        assert!(!o.serves_domain(&SdohDomain::FoodInsecurity));
        o.service_types.push(ServiceType::Food);
        assert!(o.serves_domain(&SdohDomain::FoodInsecurity));
    }
}
