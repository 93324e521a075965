//! Code systems and the codes Tend writes and reads, in one place so export and import agree.

use tend_core::rules::instruments::Instrument;

pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
pub const V3_ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
pub const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
pub const ALLERGY_CLINICAL: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
pub const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
pub const CAREPLAN_CATEGORY_US_CORE: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/careplan-category";
pub const GOAL_ACHIEVEMENT: &str = "http://terminology.hl7.org/CodeSystem/goal-achievement";
pub const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
pub const CONSENT_CATEGORY_LOINC: &str = LOINC;
pub const LANGUAGE: &str = "urn:ietf:bcp:47";
pub const US_CORE_INTERPRETER: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-interpreter-needed";
pub const MEDICARE_MBI: &str = "http://hl7.org/fhir/sid/us-mbi";
/// US Core profiles: `<prefix><profile id>`, e.g. `…/us-core-patient`.
pub const US_CORE_PROFILE_PREFIX: &str = "http://hl7.org/fhir/us/core/StructureDefinition/";

/// Tend's own code systems and identifier systems (for what no standard system names). A Tend
/// export marks every resource with [`TEND_ITEM`] (the item's id), so importing the same file
/// twice recognises what it already holds.
pub const TEND_ITEM: &str = "urn:tend:item";
pub const TEND_PATIENT: &str = "urn:tend:patient";
/// Tend's identifier kinds without a public system ("mrn" with no issuer URI, "medicaid", ...):
/// `urn:tend:identifier:<kind>`.
pub const TEND_IDENTIFIER_PREFIX: &str = "urn:tend:identifier:";
/// Instruments without a LOINC total-score code.
pub const TEND_INSTRUMENT: &str = "urn:tend:instrument";
/// Tend's vocabularies (program kind, referral kind, ...): `urn:tend:code:<vocabulary>`.
pub const TEND_CODE_PREFIX: &str = "urn:tend:code:";

/// The LOINC code of an instrument's total score, where LOINC has one.
pub fn instrument_total_loinc(instrument: Instrument) -> Option<(&'static str, &'static str)> {
    match instrument {
        Instrument::Phq9 => Some((
            "44261-6",
            "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
        )),
        Instrument::Phq2 => Some((
            "55758-7",
            "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]",
        )),
        Instrument::Gad7 => Some((
            "70274-6",
            "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
        )),
        _ => None,
    }
}

/// The instrument whose total score `system|code` is (LOINC or Tend's own system).
pub fn instrument_from_code(system: &str, code: &str) -> Option<Instrument> {
    if system == LOINC {
        return Instrument::ALL
            .iter()
            .copied()
            .find(|i| instrument_total_loinc(*i).map(|(c, _)| c) == Some(code));
    }
    if system == TEND_INSTRUMENT {
        return Instrument::from_id(code);
    }
    None
}

/// The identifier system URI for a Tend identifier kind ("mrn", "medicare_mbi", ...).
pub fn identifier_system(kind: &str) -> String {
    match kind {
        "medicare_mbi" => MEDICARE_MBI.to_string(),
        other => format!("{TEND_IDENTIFIER_PREFIX}{other}"),
    }
}

/// The Tend identifier kind of a FHIR identifier: its system, or "mrn" for any identifier typed MR
/// (v2-0203), which is how EHRs mark a medical record number.
pub fn identifier_kind(system: &str, type_codes: &[(&str, &str)]) -> String {
    if system == MEDICARE_MBI {
        return "medicare_mbi".into();
    }
    if let Some(kind) = system.strip_prefix(TEND_IDENTIFIER_PREFIX) {
        return kind.to_string();
    }
    if type_codes.iter().any(|(s, c)| *s == V2_0203 && *c == "MR") {
        return "mrn".into();
    }
    "other".into()
}

/// A stable id derived from an item's id for the `n`-th resource made from it (an instrument
/// result is an Observation and a QuestionnaireResponse; each resource has a Provenance).
pub fn derived_id(item_id: &str, what: &str) -> String {
    let base = uuid::Uuid::parse_str(item_id)
        .unwrap_or_else(|_| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, item_id.as_bytes()));
    uuid::Uuid::new_v5(&base, what.as_bytes()).to_string()
}

// ---------------------------------------------------------------------------------------------
// Added with the export (docs/fhir.md names them; import reads the same).

/// `meta.tag` system saying which Tend list a resource came from (`visit`, `hospitalization`,
/// `transition`, `tcm_step`, `follow_up`, `need`, `social_need`, `problem`).
pub const TEND_KIND: &str = "urn:tend:kind";
/// Bundle.identifier system of a Tend export.
pub const TEND_EXPORT: &str = "urn:tend:export";
/// Provenance agent identifiers: the user who recorded an item, and the device.
pub const TEND_USER: &str = "urn:tend:user";
pub const TEND_DEVICE: &str = "urn:tend:device";
/// Extensions for Tend-only facts: `urn:tend:ext:<name>`.
pub const TEND_EXT_PREFIX: &str = "urn:tend:ext:";
/// QuestionnaireResponse.questionnaire of an instrument: `urn:tend:questionnaire:<instrument id>`.
pub const TEND_QUESTIONNAIRE_PREFIX: &str = "urn:tend:questionnaire:";

pub const CONDITION_VER_STATUS: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
pub const US_CORE_CONDITION_CATEGORY: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/condition-category";
pub const US_CORE_CATEGORY: &str = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category";
pub const US_CORE_BIRTHSEX: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";
pub const PROVENANCE_PARTICIPANT_TYPE: &str =
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
pub const COVERAGE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/coverage-class";
pub const UCUM: &str = "http://unitsofmeasure.org";

/// The url of Tend extension `name` (`urn:tend:ext:<name>`).
pub fn tend_ext(name: &str) -> String {
    format!("{TEND_EXT_PREFIX}{name}")
}

/// The system of Tend vocabulary `vocabulary` (`urn:tend:code:<vocabulary>`).
pub fn tend_code_system(vocabulary: &str) -> String {
    format!("{TEND_CODE_PREFIX}{vocabulary}")
}

/// Languages Tend names in words, with their BCP-47 codes (`communication.language`).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("English", "en"),
    ("Spanish", "es"),
    ("Chinese", "zh"),
    ("Mandarin", "zh"),
    ("Cantonese", "yue"),
    ("Vietnamese", "vi"),
    ("Tagalog", "tl"),
    ("Arabic", "ar"),
    ("French", "fr"),
    ("Haitian Creole", "ht"),
    ("Korean", "ko"),
    ("Russian", "ru"),
    ("Portuguese", "pt"),
    ("German", "de"),
    ("Italian", "it"),
    ("Polish", "pl"),
    ("Japanese", "ja"),
    ("Hindi", "hi"),
    ("Bengali", "bn"),
    ("Urdu", "ur"),
    ("Punjabi", "pa"),
    ("Persian", "fa"),
    ("Farsi", "fa"),
    ("Somali", "so"),
    ("Amharic", "am"),
    ("Greek", "el"),
    ("Hmong", "hmn"),
    ("Navajo", "nv"),
    ("American Sign Language", "ase"),
];

/// The BCP-47 code of a language written in words ("Spanish" → "es"), case-insensitively.
pub fn language_code(name: &str) -> Option<&'static str> {
    let name = name.trim();
    LANGUAGES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, c)| *c)
}

/// The language a BCP-47 code names, in words ("es" or "es-MX" → "Spanish"); the first listed
/// name when several share a code.
pub fn language_name(code: &str) -> Option<&'static str> {
    let primary = code.trim().split('-').next().unwrap_or_default();
    LANGUAGES
        .iter()
        .find(|(_, c)| c.eq_ignore_ascii_case(primary) || c.eq_ignore_ascii_case(code.trim()))
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instrument_codes_round_trip() {
        for i in Instrument::ALL {
            let (system, code) = match instrument_total_loinc(i) {
                Some((c, _)) => (LOINC, c.to_string()),
                None => (TEND_INSTRUMENT, i.id().to_string()),
            };
            assert_eq!(instrument_from_code(system, &code), Some(i));
        }
        assert_eq!(
            instrument_from_code(LOINC, "44261-6"),
            Some(Instrument::Phq9)
        );
        assert_eq!(instrument_from_code(LOINC, "1234-5"), None);
    }

    #[test]
    fn derived_ids_are_stable_distinct_uuids() {
        let item = "0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0";
        let a = derived_id(item, "Observation");
        assert_eq!(a, derived_id(item, "Observation"));
        assert_ne!(a, derived_id(item, "Provenance"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        assert!(uuid::Uuid::parse_str(&derived_id("not-a-uuid", "x")).is_ok());
    }

    #[test]
    fn mrns_are_recognised_by_type() {
        assert_eq!(
            identifier_kind("http://hospital.example/mrn", &[(V2_0203, "MR")]),
            "mrn"
        );
        assert_eq!(
            identifier_kind(&identifier_system("medicaid"), &[]),
            "medicaid"
        );
        assert_eq!(identifier_kind(MEDICARE_MBI, &[]), "medicare_mbi");
    }
}
