//! Reading a Bundle into Tend's terms: the version and shape checks, the patients, and every
//! resource Tend reads (docs/fhir.md, "What import reads"), attached to its patient by reference.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tend_core::handout::Slot;
use tend_core::ids::{new_item_id, PatientId};
use tend_core::record::*;
use tend_core::rules::{self, Instrument};

use super::json::{day_of, usable_id, Concept, Node, Reference, Res};
use super::{plan, Content, ImportBundle, IncomingPatient, MAX_IMPORT_BYTES};
use crate::codes;
use crate::error::FhirError;

/// A value of a Tend vocabulary when it is one this build knows.
macro_rules! known {
    ($t:ty, $s:expr) => {
        <$t>::ALL.iter().find(|v| v.as_str() == $s).cloned()
    };
}

/// Resource types that exist only after R4 (R4B / R5).
const AFTER_R4: &[&str] = &[
    "MedicationUsage",
    "ActorDefinition",
    "ArtifactAssessment",
    "BiologicallyDerivedProductDispense",
    "ConditionDefinition",
    "DeviceAssociation",
    "DeviceDispense",
    "DeviceUsage",
    "EncounterHistory",
    "FormularyItem",
    "GenomicStudy",
    "ImagingSelection",
    "InventoryItem",
    "InventoryReport",
    "NutritionIntake",
    "NutritionProduct",
    "Permission",
    "RequestOrchestration",
    "Requirements",
    "SubscriptionStatus",
    "SubscriptionTopic",
    "TestPlan",
    "Transport",
];

/// Resource types that exist only before R4 (STU3 / DSTU2).
const BEFORE_R4: &[&str] = &[
    "BodySite",
    "DataElement",
    "DeviceComponent",
    "DiagnosticOrder",
    "DeviceUseRequest",
    "EligibilityRequest",
    "EligibilityResponse",
    "ExpansionProfile",
    "ImagingManifest",
    "MedicationOrder",
    "Order",
    "OrderResponse",
    "ProcedureRequest",
    "ProcessRequest",
    "ProcessResponse",
    "ReferralRequest",
    "Sequence",
    "ServiceDefinition",
];

/// Encounter classes (v3-ActCode) that make an untagged Encounter a hospital stay.
const STAY_CLASSES: &[&str] = &["IMP", "ACUTE", "NONAC", "EMER", "OBSENC"];

/// Reads a file's text into its patients (each with the resources that refer to it) and a count
/// of the resources Tend does not read. Errors, in the order they are looked for: too large, not
/// JSON, not a Bundle, not R4 (a shape only another version has), no Patient, a resource Tend
/// reads that is malformed ("entry 3 (Condition)": entries are counted from 0, as in
/// `Bundle.entry[3]`).
pub fn parse_bundle(text: &str) -> Result<ImportBundle, FhirError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(FhirError::TooLarge(text.len(), MAX_IMPORT_BYTES));
    }
    let root: Value = serde_json::from_str(text).map_err(|e| FhirError::NotJson(e.to_string()))?;
    let rtype = match root.get("resourceType") {
        Some(Value::String(s)) => s.clone(),
        _ if root.is_object() => "(none)".to_string(),
        _ => "(not a JSON object)".to_string(),
    };
    if rtype != "Bundle" {
        return Err(FhirError::NotBundle(rtype));
    }
    if let Some(why) = version_hint(&root) {
        return Err(FhirError::NotR4(format!("the Bundle says it is {why}")));
    }
    let entries = entries(&root)?;
    for e in &entries {
        check_r4(e)?;
    }
    if !entries.iter().any(|e| e.rtype == "Patient") {
        return Err(FhirError::NoPatient);
    }
    let mut reader = Reader::new(&entries);
    reader.read()?;
    Ok(reader.finish())
}

/// One entry of the Bundle that has a resource.
struct Entry<'a> {
    /// "entry 3 (Condition)".
    label: String,
    full_url: String,
    rtype: String,
    id: String,
    res: &'a Value,
}

impl<'a> Entry<'a> {
    fn node(&self) -> Node<'_> {
        Node::new(self.res, &self.label, self.rtype.clone())
    }
}

fn bundle_malformed(problem: String) -> FhirError {
    FhirError::Malformed {
        where_: "the Bundle".into(),
        problem,
    }
}

fn entries(root: &Value) -> Res<Vec<Entry<'_>>> {
    let list = match root.get("entry") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bundle_malformed("Bundle.entry is not a list".into())),
    };
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let Value::Object(entry) = entry else {
            return Err(bundle_malformed(format!(
                "Bundle.entry[{i}] is not an object"
            )));
        };
        let res = match entry.get("resource") {
            None | Some(Value::Null) => continue,
            Some(r @ Value::Object(_)) => r,
            Some(_) => {
                return Err(bundle_malformed(format!(
                    "Bundle.entry[{i}].resource is not an object"
                )))
            }
        };
        let full_url = match entry.get("fullUrl") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => {
                return Err(bundle_malformed(format!(
                    "Bundle.entry[{i}].fullUrl is not a string"
                )))
            }
        };
        let rtype = match res.get("resourceType") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                return Err(bundle_malformed(format!(
                    "Bundle.entry[{i}].resource has no resourceType"
                )))
            }
        };
        let label = format!("entry {i} ({rtype})");
        let id = match res.get("id") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => {
                return Err(FhirError::Malformed {
                    where_: label,
                    problem: format!("{rtype}.id is not a string"),
                })
            }
        };
        out.push(Entry {
            label,
            full_url,
            rtype,
            id,
            res,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Versions

/// The FHIR release a version string names, when it is not R4 ("4.0.1", "4.3.0" are R4 / R4B).
fn release_of(version: &str) -> Option<&'static str> {
    let v = version.trim().to_ascii_uppercase();
    if v.starts_with("4.") || v == "R4" || v == "R4B" {
        None
    } else if v.starts_with("5.") || v.starts_with("6.") || v == "R5" || v == "R6" {
        Some("FHIR R5")
    } else if v.starts_with("3.") || v == "STU3" || v == "R3" {
        Some("FHIR STU3")
    } else if v.starts_with("1.") || v.starts_with("0.") || v == "DSTU2" {
        Some("FHIR DSTU2")
    } else {
        None
    }
}

/// A base-specification profile's FHIR release ("http://hl7.org/fhir/5.0/StructureDefinition/…",
/// "http://hl7.org/fhir/StructureDefinition/Bundle|5.0.0"); an implementation guide's profile
/// ("http://hl7.org/fhir/us/core/…|5.0.1") says nothing about the base version.
fn profile_release(url: &str) -> Option<&'static str> {
    let rest = url
        .trim()
        .strip_prefix("http://hl7.org/fhir/")
        .or_else(|| url.trim().strip_prefix("https://hl7.org/fhir/"))?;
    if let Some(sd) = rest.strip_prefix("StructureDefinition/") {
        let (_, version) = sd.split_once('|')?;
        return release_of(version);
    }
    let segment = rest.split('/').next()?;
    if segment.chars().next().is_some_and(|c| c.is_ascii_digit())
        || matches!(
            segment.to_ascii_uppercase().as_str(),
            "R5" | "R6" | "STU3" | "DSTU2"
        )
    {
        release_of(segment)
    } else {
        None
    }
}

/// What a resource's (or the Bundle's) `fhirVersion` or `meta` says about its version.
fn version_hint(v: &Value) -> Option<String> {
    let meta = v.get("meta");
    for version in [
        v.get("fhirVersion"),
        meta.and_then(|m| m.get("fhirVersion")),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(release) = version.as_str().and_then(release_of) {
            return Some(format!("{release} (fhirVersion {})", version.as_str()?));
        }
    }
    if let Some(Value::Array(profiles)) = meta.and_then(|m| m.get("profile")) {
        for p in profiles.iter().filter_map(Value::as_str) {
            if let Some(release) = profile_release(p) {
                return Some(format!("{release} (meta.profile {p})"));
            }
        }
    }
    None
}

/// Shapes of another FHIR version in a resource.
fn check_r4(e: &Entry) -> Res<()> {
    let not_r4 = |what: String| FhirError::NotR4(format!("{}: {what}", e.label));
    let t = e.rtype.as_str();
    if AFTER_R4.contains(&t) {
        return Err(not_r4(format!("{t} is a resource type of FHIR R5, not R4")));
    }
    if BEFORE_R4.contains(&t) {
        return Err(not_r4(format!(
            "{t} is a resource type of FHIR STU3 or DSTU2, not R4"
        )));
    }
    if let Some(why) = version_hint(e.res) {
        return Err(not_r4(format!("the resource says it is {why}")));
    }
    let r = e.res;
    let has = |f: &str| r.get(f).is_some_and(|v| !v.is_null());
    let is_string = |f: &str| r.get(f).is_some_and(Value::is_string);
    let shape = match t {
        "Encounter" if r.get("class").is_some_and(Value::is_array) => {
            Some("Encounter.class is a list (FHIR R5); R4 has one Coding")
        }
        "Encounter" if has("actualPeriod") || has("virtualService") => {
            Some("Encounter.actualPeriod / virtualService are FHIR R5 elements")
        }
        "MedicationStatement" | "MedicationRequest" if has("medication") => Some(
            "medication is a CodeableReference (FHIR R5); R4 has medicationCodeableConcept or medicationReference",
        ),
        "MedicationStatement" if has("taken") => {
            Some("MedicationStatement.taken is a FHIR STU3 element")
        }
        "MedicationStatement" if has("adherence") => {
            Some("MedicationStatement.adherence is a FHIR R5 element")
        }
        "Condition" | "AllergyIntolerance"
            if is_string("clinicalStatus") || is_string("verificationStatus") =>
        {
            Some("clinicalStatus / verificationStatus is a code (FHIR STU3); R4 has a CodeableConcept")
        }
        "AllergyIntolerance" if r.get("type").is_some_and(Value::is_object) => {
            Some("AllergyIntolerance.type is a CodeableConcept (FHIR R5); R4 has a code")
        }
        "Goal" if has("status") && !has("lifecycleStatus") => {
            Some("Goal.status is a FHIR STU3 element; R4 has lifecycleStatus")
        }
        "ServiceRequest" if r.get("code").is_some_and(|c| c.get("concept").is_some()) => {
            Some("ServiceRequest.code is a CodeableReference (FHIR R5)")
        }
        "Coverage" if has("kind") || has("paymentBy") => {
            Some("Coverage.kind / paymentBy are FHIR R5 elements")
        }
        "Consent" if has("decision") => Some("Consent.decision is a FHIR R5 element"),
        "Patient" if has("animal") => Some("Patient.animal is a FHIR STU3 element"),
        "CarePlan" => match r.get("activity") {
            Some(Value::Array(acts))
                if acts.iter().any(|a| {
                    a.get("performedActivity").is_some()
                        || a.get("plannedActivityReference").is_some()
                }) =>
            {
                Some("CarePlan.activity.performedActivity / plannedActivityReference are FHIR R5 elements")
            }
            _ => None,
        },
        _ => None,
    };
    match shape {
        Some(what) => Err(not_r4(what.to_string())),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// The reader

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Counted in "not read" (the default, and what a read resource Tend cannot use becomes).
    NotRead,
    Read,
    /// Expected and skipped without a word (CareTeam, Provenance, TCM steps).
    Ignored,
}

/// What a reader made of a resource.
enum Outcome {
    Read,
    NotRead,
    Ignored,
}

struct Reader<'a> {
    entries: &'a [Entry<'a>],
    /// Reference key ("urn:uuid:…", "Patient/123", a fullUrl) → entry position.
    index: HashMap<String, usize>,
    state: Vec<State>,
    patients: Vec<IncomingPatient>,
    /// Patient entry position → patient index.
    patient_at: HashMap<usize, usize>,
    /// Condition entry position → the need's id (for Goal.addresses).
    needs_at: HashMap<usize, String>,
    /// Goal entry position → the goal's id (for CarePlan activities).
    goals_at: HashMap<usize, String>,
    /// Program id (Tend's, from the Consent's extension) → (consent entry, patient, consent).
    consents: HashMap<String, (usize, usize, Consent)>,
}

impl<'a> Reader<'a> {
    fn new(entries: &'a [Entry<'a>]) -> Self {
        let mut index = HashMap::new();
        for (pos, e) in entries.iter().enumerate() {
            if !e.full_url.is_empty() {
                index.entry(e.full_url.clone()).or_insert(pos);
            }
            if !e.id.is_empty() {
                index.entry(format!("{}/{}", e.rtype, e.id)).or_insert(pos);
            }
        }
        // "urn:uuid:<id>" of an entry whose fullUrl is something else (a fullUrl wins).
        for (pos, e) in entries.iter().enumerate() {
            if !e.id.is_empty() {
                index.entry(format!("urn:uuid:{}", e.id)).or_insert(pos);
            }
        }
        Reader {
            entries,
            index,
            state: vec![State::NotRead; entries.len()],
            patients: Vec::new(),
            patient_at: HashMap::new(),
            needs_at: HashMap::new(),
            goals_at: HashMap::new(),
            consents: HashMap::new(),
        }
    }

    /// The entry a reference points to: a fullUrl, "Type/id" (relative, or the end of an
    /// absolute URL, a version suffix "/_history/n" left out), or "urn:uuid:<id>" of an entry
    /// whose fullUrl is something else. Every lookup is a hash lookup: a file's size never makes
    /// resolving slow.
    fn resolve(&self, reference: &str) -> Option<usize> {
        let r = reference.trim();
        if r.is_empty() || r.starts_with('#') {
            return None;
        }
        if let Some(pos) = self.index.get(r) {
            return Some(*pos);
        }
        let r = r.split("/_history/").next().unwrap_or(r);
        if let Some(pos) = self.index.get(r) {
            return Some(*pos);
        }
        let mut segments = r.rsplit('/');
        let (id, rtype) = (segments.next()?, segments.next()?);
        self.index.get(&format!("{rtype}/{id}")).copied()
    }

    /// The entry a reference points to, if it is of type `rtype`.
    fn resolve_as(&self, r: &Reference, rtype: &str) -> Option<usize> {
        self.resolve(&r.reference)
            .filter(|pos| self.entries.get(*pos).is_some_and(|e| e.rtype == rtype))
    }

    /// The patient a resource belongs to, from its `field` reference. Without the element, the
    /// only patient of a single-patient file; a reference that does not lead to a Patient of the
    /// file is malformed.
    fn patient_of(&self, n: &Node, field: &str) -> Res<usize> {
        let Some(r) = n.reference(field)? else {
            if self.patients.len() == 1 {
                return Ok(0);
            }
            return Err(n.malformed(format!(
                "{}.{field} is missing: the file has {} patients",
                n.v.get("resourceType")
                    .and_then(Value::as_str)
                    .unwrap_or("the resource"),
                self.patients.len()
            )));
        };
        if let Some(p) = self
            .resolve(&r.reference)
            .and_then(|pos| self.patient_at.get(&pos))
        {
            return Ok(*p);
        }
        if r.reference.is_empty() && !r.identifier_value.is_empty() {
            let found = self.patients.iter().position(|p| {
                p.content
                    .identifiers
                    .iter()
                    .any(|i| i.value == r.identifier_value)
            });
            if let Some(p) = found {
                return Ok(p);
            }
        }
        let what = [&r.reference, &r.display, &r.identifier_value]
            .into_iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| "an empty reference".into());
        Err(n.malformed(format!("its {field} ({what}) is not a Patient of the file")))
    }

    /// A referenced resource's name: the reference's display, else the `name` of the entry it
    /// points to (an Organization's or Location's text, a Practitioner's HumanName).
    fn name_of(&self, r: &Reference) -> Res<String> {
        if !r.display.is_empty() {
            return Ok(r.display.clone());
        }
        let Some(e) = self.resolve(&r.reference).and_then(|p| self.entries.get(p)) else {
            return Ok(String::new());
        };
        let n = e.node();
        match n.raw("name") {
            Some(Value::String(s)) => Ok(s.trim().to_string()),
            Some(Value::Array(_)) => match n.first("name")? {
                Some(name) => human_name(&name),
                None => Ok(String::new()),
            },
            _ => Ok(String::new()),
        }
    }

    fn content(&mut self, patient: usize) -> Option<&mut Content> {
        self.patients.get_mut(patient).map(|p| &mut p.content)
    }

    fn read(&mut self) -> Res<()> {
        let entries = self.entries;
        for (pos, e) in entries.iter().enumerate() {
            if e.rtype == "Patient" {
                let patient = read_patient(&e.node())?;
                self.patient_at.insert(pos, self.patients.len());
                self.patients.push(patient);
                self.state[pos] = State::Read;
            }
        }
        // Goals link to needs (Conditions), actions to goals, programs take their consents:
        // read in that order.
        let passes: [&[&str]; 3] = [
            &[
                "Condition",
                "AllergyIntolerance",
                "MedicationStatement",
                "MedicationRequest",
                "Encounter",
                "Task",
                "ServiceRequest",
                "Coverage",
                "Consent",
                "CareTeam",
                "Provenance",
            ],
            &["Goal"],
            &["CarePlan", "Observation", "EpisodeOfCare"],
        ];
        for types in passes {
            for (pos, e) in entries.iter().enumerate() {
                if !types.contains(&e.rtype.as_str()) {
                    continue;
                }
                let n = e.node();
                let outcome = match e.rtype.as_str() {
                    "Condition" => self.condition(pos, &n)?,
                    "AllergyIntolerance" => self.allergy(&n)?,
                    "MedicationStatement" => self.medication(&n, false)?,
                    "MedicationRequest" => self.medication(&n, true)?,
                    "Encounter" => self.encounter(&n)?,
                    "Task" => self.task(&n)?,
                    "ServiceRequest" => self.referral(&n)?,
                    "Coverage" => self.coverage(&n)?,
                    "Consent" => self.consent(pos, &n)?,
                    "Goal" => self.goal(pos, &n)?,
                    "CarePlan" => self.care_plan(&n)?,
                    "Observation" => self.observation(&n)?,
                    "EpisodeOfCare" => self.episode(&n)?,
                    _ => Outcome::Ignored,
                };
                // A resource another one consumed (a Medication, a QuestionnaireResponse, a
                // Consent) keeps its Read.
                if self.state[pos] != State::Read {
                    self.state[pos] = match outcome {
                        Outcome::Read => State::Read,
                        Outcome::NotRead => State::NotRead,
                        Outcome::Ignored => State::Ignored,
                    };
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> ImportBundle {
        let mut not_read: BTreeMap<String, usize> = BTreeMap::new();
        for (e, state) in self.entries.iter().zip(&self.state) {
            if *state == State::NotRead {
                *not_read.entry(e.rtype.clone()).or_default() += 1;
            }
        }
        for p in &mut self.patients {
            plan::dedupe_content(&mut p.content);
        }
        ImportBundle {
            patients: self.patients,
            not_read: not_read.into_iter().collect(),
        }
    }

    // --- Conditions: problems, needs, social needs ------------------------------------------

    fn condition(&mut self, pos: usize, n: &Node) -> Res<Outcome> {
        let kind = n.tend_kind()?;
        let code = n.concept("code")?.unwrap_or_default();
        let clinical = status_code(n.concept("clinicalStatus")?, codes::CONDITION_CLINICAL);
        let verification = n.concept("verificationStatus")?.unwrap_or_default();
        let status_ext = n.ext_str("status")?;
        let chronic = n.ext_bool("chronic")?;
        let onset = match n.date("onsetDateTime")? {
            Some(d) => Some(d),
            None => n.period("onsetPeriod")?.0,
        };
        let domain = n.ext_str("domain")?;
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "subject")?;
        if verification
            .codings
            .iter()
            .any(|c| c.code == "entered-in-error" || c.code == "refuted")
        {
            return Ok(Outcome::NotRead);
        }
        let id = item_id.unwrap_or_else(new_item_id);
        let need_status = status_ext
            .and_then(|s| known!(NeedStatus, s))
            .unwrap_or(match clinical.as_str() {
                "resolved" | "inactive" | "remission" => NeedStatus::Met,
                _ => NeedStatus::Identified,
            });
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        match kind.as_deref() {
            Some("need") => {
                let description = code.label();
                if description.is_empty() {
                    return Ok(Outcome::NotRead);
                }
                content.needs.push(Need {
                    id: id.clone(),
                    description,
                    domain: domain.unwrap_or("").to_string(),
                    status: need_status,
                    ..Default::default()
                });
                self.needs_at.insert(pos, id);
            }
            Some("social_need") => {
                let Some(domain) = code
                    .code_in(&codes::tend_code_system("sdoh-domain"))
                    .and_then(|d| known!(SdohDomain, d))
                else {
                    return Ok(Outcome::NotRead);
                };
                let detail = if same_words(&code.text, domain.as_str()) {
                    String::new()
                } else {
                    code.text.clone()
                };
                content.social_needs.push(SocialNeed {
                    id,
                    domain,
                    status: need_status,
                    detail,
                    identified_on: onset,
                    ..Default::default()
                });
            }
            _ => {
                let (code_value, code_system, display) =
                    if let Some(c) = coding_in(&code, codes::ICD10CM) {
                        (c.0, "icd10cm", c.1)
                    } else if let Some(c) = coding_in(&code, codes::SNOMED) {
                        (c.0, "snomed", c.1)
                    } else {
                        (String::new(), "", String::new())
                    };
                let text = [code.text.clone(), display, code.label(), code_value.clone()]
                    .into_iter()
                    .find(|t| !t.is_empty())
                    .unwrap_or_default();
                if text.is_empty() {
                    return Ok(Outcome::NotRead);
                }
                let status = match status_ext.and_then(|s| known!(ConditionStatus, s)) {
                    Some(s) => s,
                    None => match clinical.as_str() {
                        "resolved" => ConditionStatus::Resolved,
                        "inactive" | "remission" => ConditionStatus::Inactive,
                        _ => ConditionStatus::Active,
                    },
                };
                content.conditions.push(Condition {
                    id,
                    code: code_value,
                    code_system: code_system.to_string(),
                    text,
                    chronic: chronic.unwrap_or(false),
                    onset,
                    status,
                    ..Default::default()
                });
            }
        }
        Ok(Outcome::Read)
    }

    // --- Allergies ------------------------------------------------------------------------------

    fn allergy(&mut self, n: &Node) -> Res<Outcome> {
        let code = n.concept("code")?.unwrap_or_default();
        let clinical = status_code(n.concept("clinicalStatus")?, codes::ALLERGY_CLINICAL);
        let verification = status_code(
            n.concept("verificationStatus")?,
            codes::ALLERGY_VERIFICATION,
        );
        let criticality = n.str("criticality")?;
        let severity_ext = n.ext_str("severity")?;
        let (mut reaction, mut severity) = (String::new(), None);
        if let Some(r) = n.first("reaction")? {
            reaction = r.first_concept_label("manifestation")?;
            if reaction.is_empty() {
                reaction = r.text("description")?;
            }
            severity = r.str("severity")?;
        }
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "patient")?;
        if verification == "entered-in-error" {
            return Ok(Outcome::NotRead);
        }
        let substance = code.label();
        if substance.is_empty() {
            return Ok(Outcome::NotRead);
        }
        let severity = match severity_ext.and_then(|s| known!(AllergySeverity, s)) {
            Some(s) => s,
            None => match severity {
                Some("mild") => AllergySeverity::Mild,
                Some("moderate") => AllergySeverity::Moderate,
                Some("severe") if criticality == Some("high") => AllergySeverity::LifeThreatening,
                Some("severe") => AllergySeverity::Severe,
                _ => AllergySeverity::Unknown,
            },
        };
        let status = if verification == "refuted" {
            AllergyStatus::Refuted
        } else {
            match clinical.as_str() {
                "inactive" | "resolved" => AllergyStatus::Inactive,
                _ => AllergyStatus::Active,
            }
        };
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.allergies.push(Allergy {
            id: item_id.unwrap_or_else(new_item_id),
            substance,
            reaction,
            severity,
            status,
            ..Default::default()
        });
        Ok(Outcome::Read)
    }

    // --- Medications --------------------------------------------------------------------------

    /// A MedicationStatement (Tend's export, an EHR's list) or MedicationRequest (an EHR's
    /// discharge prescriptions).
    fn medication(&mut self, n: &Node, request: bool) -> Res<Outcome> {
        let status = n.str("status")?;
        let item_id = n.tend_item_id()?;
        let mut name = n
            .concept("medicationCodeableConcept")?
            .map(|c| c.label())
            .unwrap_or_default();
        let mut consumed = None;
        if name.is_empty() {
            if let Some(r) = n.reference("medicationReference")? {
                if let Some(pos) = self.resolve_as(&r, "Medication") {
                    if let Some(e) = self.entries.get(pos) {
                        name = e
                            .node()
                            .concept("code")?
                            .map(|c| c.label())
                            .unwrap_or_default();
                        consumed = Some(pos);
                    }
                } else if let Some(id) = r.reference.strip_prefix('#') {
                    for contained in n.objs("contained")? {
                        if contained.str("id")? == Some(id)
                            && contained.str("resourceType")? == Some("Medication")
                        {
                            name = contained
                                .concept("code")?
                                .map(|c| c.label())
                                .unwrap_or_default();
                        }
                    }
                }
                if name.is_empty() {
                    name = r.display.clone();
                }
            }
        }
        let dosage = n.first(if request {
            "dosageInstruction"
        } else {
            "dosage"
        })?;
        let dosage = match dosage {
            Some(d) => read_dosage(&d, item_id.is_none())?,
            None => Dosage::default(),
        };
        let (start, stop) = n.period("effectivePeriod")?;
        let prescriber = if request {
            n.reference("requester")?
        } else {
            n.reference("informationSource")?
        };
        let prescriber = match prescriber {
            Some(r) => self.name_of(&r)?,
            None => String::new(),
        };
        let indication = n.first_concept_label("reasonCode")?;
        let indication = if indication.is_empty() {
            n.references("reasonReference")?
                .into_iter()
                .map(|r| r.display)
                .find(|d| !d.is_empty())
                .unwrap_or_default()
        } else {
            indication
        };
        let status_reason = n.first_concept_label("statusReason")?;
        let status_since = n.ext_date("status-since")?;
        // Only Tend marks a list reconciled; an EHR's dateAsserted is when it was written down.
        let last_reconciled = match item_id {
            Some(_) => n.date("dateAsserted")?,
            None => None,
        };
        let do_not_perform = request && n.bool("doNotPerform")? == Some(true);
        let patient = self.patient_of(n, "subject")?;
        if do_not_perform || name.is_empty() {
            return Ok(Outcome::NotRead);
        }
        let status = match status {
            Some("active") | Some("intended") | Some("unknown") | None => MedicationStatus::Active,
            Some("on-hold") => MedicationStatus::OnHold,
            Some("stopped") => MedicationStatus::Stopped,
            Some("completed") => MedicationStatus::Completed,
            // entered-in-error, not-taken, draft, cancelled (withdrawn before any dose): not a
            // medication the patient takes or took.
            Some(_) => return Ok(Outcome::NotRead),
        };
        let mut schedule = dosage.schedule;
        schedule.start_on = start.or(schedule.start_on);
        schedule.stop_on = stop.or(schedule.stop_on);
        if let (Some(a), Some(b)) = (&schedule.start_on, &schedule.stop_on) {
            if b < a {
                schedule.stop_on = None;
            }
        }
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.medications.push(Medication {
            id: item_id.unwrap_or_else(new_item_id),
            name,
            dose: dosage.dose,
            route: dosage.route,
            frequency: dosage.frequency,
            prescriber,
            indication,
            status,
            last_reconciled,
            status_since,
            status_reason,
            schedule,
            ..Default::default()
        });
        if let Some(pos) = consumed {
            self.state[pos] = State::Read;
        }
        Ok(Outcome::Read)
    }

    // --- Encounters: stays, transitions, visits -------------------------------------------------

    fn encounter(&mut self, n: &Node) -> Res<Outcome> {
        let kind = n.tend_kind()?;
        let status = n.str("status")?;
        let class = n.coding("class")?.unwrap_or_default();
        let (start, end) = n.period("period")?;
        let mut reason = n.first_concept_label("reasonCode")?;
        if reason.is_empty() {
            for r in n.references("reasonReference")? {
                reason = self.condition_text(&r)?;
                if !reason.is_empty() {
                    break;
                }
            }
        }
        if reason.is_empty() {
            for d in n.objs("diagnosis")? {
                if let Some(r) = d.reference("condition")? {
                    reason = self.condition_text(&r)?;
                    if !reason.is_empty() {
                        break;
                    }
                }
            }
        }
        let mut facility = match n.reference("serviceProvider")? {
            Some(r) => self.name_of(&r)?,
            None => String::new(),
        };
        if facility.is_empty() {
            if let Some(l) = n.first("location")? {
                if let Some(r) = l.reference("location")? {
                    facility = self.name_of(&r)?;
                }
            }
        }
        let item_id = n.tend_item_id()?;
        let setting = n.ext_str("setting")?;
        let transition_status = n.ext_str("status")?;
        let emergent = n.ext_bool("emergent")?;
        let disposition = match n.obj("hospitalization")? {
            Some(h) => h.concept("dischargeDisposition")?.unwrap_or_default(),
            None => Concept::default(),
        };
        let note = n.ext_str("note")?.unwrap_or("").to_string();
        let signed_by = n.ext_str("signed-by")?;
        let signed_at = n.extension("urn:tend:ext:signed-at")?;
        let signed_at = match signed_at {
            Some(ext) => ext.str("valueDateTime")?,
            None => None,
        };
        let type_kind = n.concepts("type")?.iter().find_map(|c| {
            c.code_in(&codes::tend_code_system("encounter-kind"))
                .map(str::to_string)
        });
        let patient = self.patient_of(n, "subject")?;
        if matches!(
            status,
            Some("cancelled") | Some("entered-in-error") | Some("planned")
        ) {
            return Ok(Outcome::NotRead);
        }
        let class_code = class.code.as_str();
        let id = item_id.unwrap_or_else(new_item_id);
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        let stay = match kind.as_deref() {
            Some("hospitalization") => true,
            Some("visit") => false,
            Some("transition") => {
                let setting =
                    setting
                        .and_then(|s| known!(CareSetting, s))
                        .unwrap_or(match class_code {
                            "EMER" => CareSetting::EdVisit,
                            "OBSENC" => CareSetting::Observation,
                            _ => CareSetting::Inpatient,
                        });
                let status = transition_status
                    .and_then(|s| known!(TransitionStatus, s))
                    .unwrap_or(if end.is_some() {
                        TransitionStatus::Discharged
                    } else {
                        TransitionStatus::Admitted
                    });
                let discharged_on = match (&start, end) {
                    (Some(a), Some(b)) if b < *a => None,
                    (_, end) => end,
                };
                content.transitions.push(Transition {
                    id,
                    facility: if facility.is_empty() {
                        "Facility not named".to_string()
                    } else {
                        facility
                    },
                    admitted_on: start,
                    discharged_on,
                    disposition: disposition_of(&disposition),
                    reason,
                    status,
                    setting,
                    emergent: emergent.unwrap_or(false),
                    ..Default::default()
                });
                return Ok(Outcome::Read);
            }
            Some(_) => return Ok(Outcome::NotRead),
            None => STAY_CLASSES.contains(&class_code),
        };
        if stay {
            content.hospitalizations.push(Hospitalization {
                id,
                facility,
                admitted_on: start,
                discharged_on: end,
                reason,
                emergency_only: class_code == "EMER",
                ..Default::default()
            });
            return Ok(Outcome::Read);
        }
        let Some(date) = start.or(end) else {
            return Ok(Outcome::NotRead);
        };
        let kind = type_kind
            .and_then(|k| known!(EncounterKind, k.as_str()))
            .unwrap_or(match class_code {
                "HH" => EncounterKind::HomeVisit,
                "VR" => EncounterKind::Call,
                _ => EncounterKind::Visit,
            });
        // A note signed elsewhere comes in unsigned (signing is the importer's act); the
        // signature is kept in its words.
        let note = match signed_by {
            Some(by) if !note.trim().is_empty() => {
                let at = signed_at
                    .and_then(day_of)
                    .map(|d| format!(" on {}", d.as_str()));
                format!(
                    "{note}\n\n[Signed by {by}{} in the record it was imported from.]",
                    at.unwrap_or_default()
                )
            }
            _ => note,
        };
        content.encounters.push(Encounter {
            id,
            kind,
            date,
            subject: reason,
            note: Narrative::new(note),
            ..Default::default()
        });
        Ok(Outcome::Read)
    }

    /// What a referenced Condition is (its display, or its code's text).
    fn condition_text(&self, r: &Reference) -> Res<String> {
        if !r.display.is_empty() {
            return Ok(r.display.clone());
        }
        match self
            .resolve_as(r, "Condition")
            .and_then(|p| self.entries.get(p))
        {
            Some(e) => Ok(e
                .node()
                .concept("code")?
                .map(|c| c.label())
                .unwrap_or_default()),
            None => Ok(String::new()),
        }
    }

    // --- Follow-ups -----------------------------------------------------------------------------

    fn task(&mut self, n: &Node) -> Res<Outcome> {
        match n.tend_kind()?.as_deref() {
            Some("follow_up") => {}
            // Computed from the transition on the device: expected, never imported.
            Some("tcm_step") => return Ok(Outcome::Ignored),
            _ => return Ok(Outcome::NotRead),
        }
        let status = n.str("status")?;
        let code = n.concept("code")?.unwrap_or_default();
        let due = match n.obj("restriction")? {
            Some(r) => r.period("period")?.1,
            None => None,
        };
        let (exec_start, exec_end) = n.period("executionPeriod")?;
        let reason = n.text("description")?;
        let outcome = match n.first("note")? {
            Some(note) => note.text("text")?,
            None => String::new(),
        };
        let symptom_review = n.ext_str("symptom-review")?.unwrap_or("").to_string();
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "for")?;
        let status = match status {
            Some("completed") => FollowUpStatus::Completed,
            Some("failed") => FollowUpStatus::Missed,
            Some("cancelled") | Some("rejected") => FollowUpStatus::Cancelled,
            Some("entered-in-error") => return Ok(Outcome::NotRead),
            _ => FollowUpStatus::Scheduled,
        };
        let Some(due) = due.or(exec_start) else {
            return Ok(Outcome::NotRead);
        };
        let kind = code
            .code_in(&codes::tend_code_system("follow-up-kind"))
            .and_then(|k| known!(FollowUpKind, k))
            .unwrap_or_default();
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.follow_ups.push(FollowUp {
            id: item_id.unwrap_or_else(new_item_id),
            kind,
            due,
            reason,
            completed_on: if status == FollowUpStatus::Completed {
                exec_end
            } else {
                None
            },
            status,
            outcome,
            symptom_review,
            ..Default::default()
        });
        Ok(Outcome::Read)
    }

    // --- Instrument results ---------------------------------------------------------------------

    /// An Observation whose code is an instrument's total, with the QuestionnaireResponse it is
    /// derived from (the answers); anything else is not read.
    fn observation(&mut self, n: &Node) -> Res<Outcome> {
        let code = n.concept("code")?.unwrap_or_default();
        let Some(instrument) = code
            .codings
            .iter()
            .find_map(|c| codes::instrument_from_code(&c.system, &c.code))
        else {
            return Ok(Outcome::NotRead);
        };
        let status = n.str("status")?;
        let total = n.int("valueInteger")?;
        let date = n.date("effectiveDateTime")?;
        let administered_by = match n.first("performer")? {
            Some(p) => self.name_of(&p.as_reference()?)?,
            None => String::new(),
        };
        let derived = n.references("derivedFrom")?;
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "subject")?;
        if matches!(status, Some("entered-in-error") | Some("cancelled")) {
            return Ok(Outcome::NotRead);
        }
        let Some(qr_pos) = derived
            .iter()
            .find_map(|r| self.resolve_as(r, "QuestionnaireResponse"))
        else {
            return Ok(Outcome::NotRead);
        };
        let Some(qr_entry) = self.entries.get(qr_pos) else {
            return Ok(Outcome::NotRead);
        };
        let qr = qr_entry.node();
        let questionnaire = qr.str("questionnaire")?;
        let authored = qr.date("authored")?;
        let mut answers = Vec::new();
        for item in qr.objs("item")? {
            let link = item.text("linkId")?;
            let value = match item.first("answer")? {
                Some(a) => a.int("valueInteger")?,
                None => None,
            };
            if let Some(value) = value {
                answers.push(Answer { item: link, value });
            }
        }
        let qr_patient = match qr.reference("subject")? {
            Some(r) => self
                .resolve(&r.reference)
                .and_then(|pos| self.patient_at.get(&pos))
                .copied(),
            None => Some(patient),
        };
        if qr_patient != Some(patient) {
            return Ok(Outcome::NotRead);
        }
        if let Some(q) = questionnaire {
            if let Some(id) = q.strip_prefix(codes::TEND_QUESTIONNAIRE_PREFIX) {
                if id != instrument.id() {
                    return Ok(Outcome::NotRead);
                }
            }
        }
        // The answers must score, and to the total the file gives.
        let Some(scored) = score(instrument, &answers) else {
            return Ok(Outcome::NotRead);
        };
        if total.is_some_and(|t| t != scored) {
            return Ok(Outcome::NotRead);
        }
        let Some(date) = date.or(authored) else {
            return Ok(Outcome::NotRead);
        };
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.responses.push(InstrumentResponse {
            id: item_id.unwrap_or_else(new_item_id),
            instrument: instrument.id().to_string(),
            answers,
            total: Some(scored),
            date,
            administered_by,
            ..Default::default()
        });
        self.state[qr_pos] = State::Read;
        Ok(Outcome::Read)
    }

    // --- Care plan: goals and actions -----------------------------------------------------------

    fn goal(&mut self, pos: usize, n: &Node) -> Res<Outcome> {
        let lifecycle = n.str("lifecycleStatus")?;
        let achievement = status_code(n.concept("achievementStatus")?, codes::GOAL_ACHIEVEMENT);
        let description = n
            .concept("description")?
            .map(|c| c.label())
            .unwrap_or_default();
        let status_ext = n.ext_str("status")?;
        let (mut measure, mut target, mut due) = (String::new(), String::new(), None);
        if let Some(t) = n.first("target")? {
            measure = t.concept("measure")?.map(|c| c.label()).unwrap_or_default();
            target = t.text("detailString")?;
            if target.is_empty() {
                if let Some(q) = t.obj("detailQuantity")? {
                    target = quantity(&q)?;
                }
            }
            due = t.date("dueDate")?;
        }
        let addresses = n.references("addresses")?;
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "subject")?;
        if lifecycle == Some("entered-in-error") || description.is_empty() {
            return Ok(Outcome::NotRead);
        }
        let status = match status_ext.and_then(|s| known!(GoalStatus, s)) {
            Some(s) => s,
            None => match lifecycle {
                Some("proposed") | Some("planned") => GoalStatus::Proposed,
                Some("completed") if achievement == "not-achieved" => GoalStatus::NotAchieved,
                Some("completed") => GoalStatus::Achieved,
                Some("cancelled") | Some("rejected") => GoalStatus::Cancelled,
                _ => GoalStatus::Active,
            },
        };
        let need_id = addresses
            .iter()
            .filter_map(|r| self.resolve(&r.reference))
            .find_map(|p| self.needs_at.get(&p).cloned())
            .unwrap_or_default();
        let id = item_id.unwrap_or_else(new_item_id);
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.goals.push(Goal {
            id: id.clone(),
            need_id,
            description,
            measure,
            target,
            due,
            status,
            ..Default::default()
        });
        self.goals_at.insert(pos, id);
        Ok(Outcome::Read)
    }

    /// The CarePlan's activities as actions (the plan itself is read: its narrative is Tend's
    /// own, made from the record).
    fn care_plan(&mut self, n: &Node) -> Res<Outcome> {
        let status = n.str("status")?;
        let mut actions = Vec::new();
        for activity in n.objs("activity")? {
            let Some(detail) = activity.obj("detail")? else {
                continue;
            };
            let mut description = detail.text("description")?;
            if description.is_empty() {
                description = detail
                    .concept("code")?
                    .map(|c| c.label())
                    .unwrap_or_default();
            }
            let status = detail.str("status")?;
            let due = detail.str("scheduledString")?.and_then(day_of);
            let performer = match detail.first("performer")? {
                Some(p) => p.as_reference()?.display,
                None => String::new(),
            };
            let responsible = match activity.ext_str("responsible")? {
                Some(r) => known!(Responsible, r),
                None => None,
            };
            let goal_id = detail
                .references("goal")?
                .iter()
                .filter_map(|r| self.resolve(&r.reference))
                .find_map(|p| self.goals_at.get(&p).cloned())
                .unwrap_or_default();
            let item_id = activity.ext_str("item")?.filter(|id| usable_id(id));
            if description.is_empty() {
                continue;
            }
            let status = match status {
                Some("in-progress") => ActionStatus::InProgress,
                Some("completed") => ActionStatus::Done,
                Some("cancelled") | Some("stopped") => ActionStatus::Cancelled,
                Some("on-hold") => ActionStatus::Blocked,
                Some("entered-in-error") => continue,
                _ => ActionStatus::Planned,
            };
            actions.push(CareAction {
                id: item_id.map(str::to_string).unwrap_or_else(new_item_id),
                goal_id,
                description,
                responsible: responsible.unwrap_or_else(|| responsible_of(&performer)),
                due,
                status,
                ..Default::default()
            });
        }
        let patient = self.patient_of(n, "subject")?;
        if status == Some("entered-in-error") {
            return Ok(Outcome::NotRead);
        }
        if let Some(content) = self.content(patient) {
            content.actions.extend(actions);
        }
        Ok(Outcome::Read)
    }

    // --- Referrals, coverage, programs ----------------------------------------------------------

    fn referral(&mut self, n: &Node) -> Res<Outcome> {
        let categories = n.concepts("category")?;
        let kind_system = codes::tend_code_system("referral-kind");
        let tend_kind = categories
            .iter()
            .find_map(|c| c.code_in(&kind_system))
            .and_then(|k| known!(ReferralKind, k));
        // Laboratory and imaging orders are not referrals.
        let order = categories.iter().any(|c| {
            c.has_code(codes::SNOMED, "108252007") || c.has_code(codes::SNOMED, "363679005")
        });
        if tend_kind.is_none() && order {
            return Ok(Outcome::NotRead);
        }
        let status = n.str("status")?;
        let status_ext = n.ext_str("status")?;
        let priority = n.str("priority")?;
        let code = n.concept("code")?.unwrap_or_default();
        let to = match n.first("performer")? {
            Some(p) => self.name_of(&p.as_reference()?)?,
            None => String::new(),
        };
        let reason = n.first_concept_label("reasonCode")?;
        let sent_on = n.date("authoredOn")?;
        let appointment_on = match n.date("occurrenceDateTime")? {
            Some(d) => Some(d),
            None => n.period("occurrencePeriod")?.0,
        };
        let outcome = match n.first("note")? {
            Some(note) => note.text("text")?,
            None => String::new(),
        };
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "subject")?;
        let status = match status_ext.and_then(|s| known!(ReferralStatus, s)) {
            Some(s) => s,
            None => match status {
                Some("active") | Some("on-hold") => ReferralStatus::Sent,
                Some("completed") => ReferralStatus::Completed,
                Some("revoked") => ReferralStatus::Cancelled,
                Some("entered-in-error") => return Ok(Outcome::NotRead),
                _ => ReferralStatus::Draft,
            },
        };
        let to = if to.is_empty() { code.label() } else { to };
        if to.is_empty() {
            return Ok(Outcome::NotRead);
        }
        // The appointment cannot be before the referral was sent (core refuses it).
        let appointment_on = match (&sent_on, appointment_on) {
            (Some(s), Some(a)) if a < *s => None,
            (_, a) => a,
        };
        let urgency = match priority {
            Some("urgent") | Some("asap") => ReferralUrgency::Urgent,
            Some("stat") => ReferralUrgency::Emergent,
            _ => ReferralUrgency::Routine,
        };
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.referrals.push(Referral {
            id: item_id.unwrap_or_else(new_item_id),
            kind: tend_kind.unwrap_or(ReferralKind::Specialist),
            to,
            reason,
            status,
            sent_on,
            urgency,
            appointment_on,
            outcome,
            ..Default::default()
        });
        Ok(Outcome::Read)
    }

    fn coverage(&mut self, n: &Node) -> Res<Outcome> {
        let status = n.str("status")?;
        let mut payer = String::new();
        for r in n.references("payor")? {
            payer = self.name_of(&r)?;
            if !payer.is_empty() {
                break;
            }
        }
        let member_id = n.text("subscriberId")?;
        let (mut plan, mut group) = (String::new(), String::new());
        for class in n.objs("class")? {
            let kind = class.concept("type")?.unwrap_or_default();
            let kind = kind
                .code_in(codes::COVERAGE_CLASS)
                .or(kind.any_code())
                .unwrap_or("")
                .to_string();
            let value = class.text("value")?;
            let name = class.text("name")?;
            let words = if !name.is_empty() && name != value && !value.is_empty() {
                format!("{name} ({value})")
            } else if name.is_empty() {
                value
            } else {
                name
            };
            match kind.as_str() {
                "plan" if plan.is_empty() => plan = words,
                "group" if group.is_empty() => group = words,
                _ => {}
            }
        }
        let (from, to) = n.period("period")?;
        let order = n.int("order")?;
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "beneficiary")?;
        if matches!(status, Some("cancelled") | Some("entered-in-error")) || payer.is_empty() {
            return Ok(Outcome::NotRead);
        }
        let to = match (&from, to) {
            (Some(f), Some(t)) if t < *f => None,
            (_, t) => t,
        };
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.coverages.push(Coverage {
            id: item_id.unwrap_or_else(new_item_id),
            payer,
            plan,
            member_id,
            group,
            effective_from: from,
            effective_to: to,
            rank: match order {
                Some(2) => CoverageRank::Secondary,
                Some(3) => CoverageRank::Tertiary,
                _ => CoverageRank::Primary,
            },
            ..Default::default()
        });
        Ok(Outcome::Read)
    }

    /// A program's consent, kept for its EpisodeOfCare (not read until one takes it).
    fn consent(&mut self, pos: usize, n: &Node) -> Res<Outcome> {
        let Some(program) = n.ext_str("program")? else {
            return Ok(Outcome::NotRead);
        };
        let status = n.str("status")?;
        let date = n.date("dateTime")?;
        let method = n.ext_str("method")?.and_then(|m| known!(ConsentMethod, m));
        let obtained_by = match n.first("performer")? {
            Some(p) => self.name_of(&p.as_reference()?)?,
            None => String::new(),
        };
        let note = n.ext_str("note")?.unwrap_or("").to_string();
        let patient = self.patient_of(n, "patient")?;
        if !matches!(status, Some("active") | None) {
            return Ok(Outcome::NotRead);
        }
        let Some(date) = date else {
            return Ok(Outcome::NotRead);
        };
        self.consents.insert(
            program.to_string(),
            (
                pos,
                patient,
                Consent {
                    date,
                    method: method.unwrap_or_default(),
                    obtained_by,
                    note,
                },
            ),
        );
        Ok(Outcome::NotRead)
    }

    fn episode(&mut self, n: &Node) -> Res<Outcome> {
        let program = n
            .concepts("type")?
            .iter()
            .find_map(|c| {
                c.code_in(&codes::tend_code_system("program"))
                    .map(str::to_string)
            })
            .and_then(|p| known!(ProgramKind, p.as_str()));
        // An EHR's episode is not one of Tend's programs.
        let Some(program) = program else {
            return Ok(Outcome::NotRead);
        };
        let status = n.str("status")?;
        let (start, end) = n.period("period")?;
        let reason = n.ext_str("reason")?.unwrap_or("").to_string();
        let end_reason = n.ext_str("end-reason")?.unwrap_or("").to_string();
        let mut history = Vec::new();
        for h in n.objs("statusHistory")? {
            let status = h.str("status")?.and_then(program_status);
            let (from, _) = h.period("period")?;
            if let (Some(status), Some(date)) = (status, from) {
                history.push(ProgramStatusChange {
                    id: new_item_id(),
                    status,
                    date,
                    ..Default::default()
                });
            }
        }
        let item_id = n.tend_item_id()?;
        let patient = self.patient_of(n, "patient")?;
        let Some(status) = status.map_or(Some(ProgramStatus::Active), program_status) else {
            return Ok(Outcome::NotRead);
        };
        let resource_id = n.str("id")?.unwrap_or("").to_string();
        let consent = [item_id.as_deref(), Some(resource_id.as_str())]
            .into_iter()
            .flatten()
            .filter(|k| !k.is_empty())
            .find_map(|k| self.consents.get(k).cloned())
            .filter(|(_, p, _)| *p == patient);
        let ending = matches!(status, ProgramStatus::Ended | ProgramStatus::Declined);
        let Some(content) = self.content(patient) else {
            return Ok(Outcome::NotRead);
        };
        content.programs.push(ProgramEnrollment {
            id: item_id.unwrap_or_else(new_item_id),
            program,
            status,
            start_date: start,
            end_date: if ending { end } else { None },
            end_reason: if ending { end_reason } else { String::new() },
            consent: consent.as_ref().map(|(_, _, c)| c.clone()),
            reason,
            status_changes: history,
            ..Default::default()
        });
        if let Some((pos, _, _)) = consent {
            self.state[pos] = State::Read;
        }
        Ok(Outcome::Read)
    }
}

// ---------------------------------------------------------------------------------------------
// Patient

fn human_name(n: &Node) -> Res<String> {
    let text = n.text("text")?;
    if !text.is_empty() {
        return Ok(text);
    }
    let given = n.strs("given")?.join(" ");
    Ok([given, n.text("family")?]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" "))
}

/// The Tend identifier kind of an EHR identifier (codes::identifier_kind, plus the v2-0203 types
/// Tend has kinds for).
fn identifier_kind(system: &str, typ: &Concept) -> String {
    let pairs: Vec<(&str, &str)> = typ
        .codings
        .iter()
        .map(|c| (c.system.as_str(), c.code.as_str()))
        .collect();
    let kind = codes::identifier_kind(system, &pairs);
    if kind != "other" {
        return kind;
    }
    match typ.code_in(codes::V2_0203) {
        Some("MC") => "medicare_mbi".into(),
        Some("MA") => "medicaid".into(),
        Some("MB") | Some("SN") => "plan_member_id".into(),
        _ => kind,
    }
}

fn read_patient(n: &Node) -> Res<IncomingPatient> {
    let mut c = Content::default();
    let mut mrns = Vec::new();
    let mut tend_id = None;
    for ident in n.objs("identifier")? {
        let use_ = ident.str("use")?;
        let system = ident.text("system")?;
        let typ = ident.concept("type")?.unwrap_or_default();
        let assigner = ident.reference("assigner")?;
        let Some(value) = ident.str("value")? else {
            continue;
        };
        if system == codes::TEND_PATIENT {
            tend_id = PatientId::parse(value);
            continue;
        }
        if use_ == Some("old") {
            continue;
        }
        let kind = identifier_kind(&system, &typ);
        let issuer = match assigner {
            Some(a) if !a.display.is_empty() => a.display,
            _ if kind == "other" => system.clone(),
            _ => String::new(),
        };
        if kind == "mrn" {
            mrns.push(value.to_string());
        }
        c.identifiers.push(Identifier {
            id: new_item_id(),
            system: kind,
            value: value.to_string(),
            issuer,
            ..Default::default()
        });
    }

    // The official name, else a usual one, else any but an old one.
    let mut best: Option<(u8, Node)> = None;
    for name in n.objs("name")? {
        let rank = match name.str("use")? {
            Some("official") => 0,
            Some("usual") => 1,
            Some("old") | Some("maiden") => 3,
            _ => 2,
        };
        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((rank, name));
        }
    }
    let mut person = PersonName::default();
    if let Some((_, name)) = best {
        person.family = name.text("family")?;
        person.given = name.strs("given")?.join(" ");
        if person.family.is_empty() && person.given.is_empty() {
            let text = name.text("text")?;
            match text.rsplit_once(' ') {
                Some((given, family)) => {
                    person.given = given.trim().to_string();
                    person.family = family.trim().to_string();
                }
                None => person.family = text,
            }
        }
    }

    let d = &mut c.details;
    for t in n.objs("telecom")? {
        let system = t.str("system")?;
        let use_ = t.str("use")?;
        let rank = t.int("rank")?;
        let label = t.ext_str("label")?;
        let Some(value) = t.str("value")? else {
            continue;
        };
        if use_ == Some("old") {
            continue;
        }
        match system {
            Some("email") if d.email.is_empty() => d.email = value.to_string(),
            Some("phone") | Some("sms") => {
                let label = match (label, use_) {
                    (Some(l), _) => l.to_string(),
                    (None, Some(u @ ("mobile" | "home" | "work"))) => u.to_string(),
                    (None, _) if system == Some("sms") => "mobile".to_string(),
                    _ => String::new(),
                };
                c.phones.push(Phone {
                    id: new_item_id(),
                    label,
                    number: value.to_string(),
                    primary: rank == Some(1),
                    ..Default::default()
                });
            }
            _ => {}
        }
    }

    let mut address: Option<(u8, Node)> = None;
    for a in n.objs("address")? {
        let rank = match a.str("use")? {
            Some("home") => 0,
            Some("old") => continue,
            _ => 1,
        };
        if address.as_ref().is_none_or(|(r, _)| rank < *r) {
            address = Some((rank, a));
        }
    }
    if let Some((_, a)) = address {
        let lines = a.strs("line")?;
        d.address = Address {
            line1: lines.first().map(|s| s.to_string()).unwrap_or_default(),
            line2: lines.get(1..).map(|l| l.join(", ")).unwrap_or_default(),
            city: a.text("city")?,
            region: a.text("state")?,
            postal_code: a.text("postalCode")?,
            country: a.text("country")?,
        };
        if plan::address_line(&d.address).is_empty() {
            d.address.line1 = a.text("text")?;
        }
    }

    let mut language: Option<(u8, Node)> = None;
    for comm in n.objs("communication")? {
        let rank = if comm.bool("preferred")? == Some(true) {
            0
        } else {
            1
        };
        if language.as_ref().is_none_or(|(r, _)| rank < *r) {
            language = Some((rank, comm));
        }
    }
    if let Some((_, comm)) = language {
        let lang = comm.concept("language")?.unwrap_or_default();
        d.preferred_language = if !lang.text.is_empty() {
            lang.text.clone()
        } else if let Some(disp) = lang.codings.iter().find(|c| !c.display.is_empty()) {
            disp.display.clone()
        } else {
            lang.any_code()
                .map(|code| {
                    let base = code.split('-').next().unwrap_or(code);
                    codes::language_name(code)
                        .or_else(|| codes::language_name(base))
                        .map(str::to_string)
                        .unwrap_or_else(|| code.to_string())
                })
                .unwrap_or_default()
        };
    }

    d.interpreter_needed = match n.ext_bool("interpreter-needed")? {
        Some(b) => Some(b),
        None => n.ext_bool(codes::US_CORE_INTERPRETER)?,
    };
    d.gender_identity = n.ext_str("gender-identity")?.unwrap_or("").to_string();
    d.pronouns = n.ext_str("pronouns")?.unwrap_or("").to_string();
    d.code_status = n
        .ext_str("code-status")?
        .and_then(|s| known!(CodeStatus, s))
        .unwrap_or_default();
    let birthsex = match n.ext_str(codes::US_CORE_BIRTHSEX)? {
        Some("F") => Some("female"),
        Some("M") => Some("male"),
        Some("UNK") => Some("unknown"),
        _ => None,
    };
    let gender = match n.str("gender")? {
        Some(g @ ("female" | "male")) => Some(g),
        _ => None,
    };
    d.sex = birthsex.or(gender).unwrap_or("").to_string();
    d.date_of_birth = n.date("birthDate")?;

    for contact in n.objs("contact")? {
        let name = match contact.obj("name")? {
            Some(name) => human_name(&name)?,
            None => String::new(),
        };
        let relationship = contact.first_concept_label("relationship")?;
        let mut phone = String::new();
        for t in contact.objs("telecom")? {
            if matches!(t.str("system")?, Some("phone") | Some("sms")) && phone.is_empty() {
                phone = t.text("value")?;
            }
        }
        let primary = contact.ext_bool("primary")?.unwrap_or(false);
        let may_share_info = contact.ext_bool("may-share-info")?.unwrap_or(false);
        if name.is_empty() {
            continue;
        }
        c.caregivers.push(Caregiver {
            id: new_item_id(),
            name,
            relationship,
            phone,
            primary,
            may_share_info,
            ..Default::default()
        });
    }

    Ok(IncomingPatient {
        fhir_id: n.text("id")?,
        name: person,
        mrns,
        tend_id,
        content: c,
    })
}

// ---------------------------------------------------------------------------------------------
// Small readers

/// A status concept's code (in `system`, else any), "" when absent.
fn status_code(concept: Option<Concept>, system: &str) -> String {
    concept
        .as_ref()
        .and_then(|c| c.code_in(system).or(c.any_code()))
        .unwrap_or("")
        .to_string()
}

/// The (code, display) of the first coding in `system`.
fn coding_in(c: &Concept, system: &str) -> Option<(String, String)> {
    c.codings
        .iter()
        .find(|x| x.system == system && !x.code.is_empty())
        .map(|x| (x.code.clone(), x.display.clone()))
}

/// "Food insecurity" is the words of "food_insecurity".
fn same_words(text: &str, code: &str) -> bool {
    let w = |s: &str| {
        s.to_lowercase()
            .replace(['_', '-'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    text.trim().is_empty() || w(text) == w(code)
}

fn program_status(s: &str) -> Option<ProgramStatus> {
    match s {
        "active" | "planned" | "waitlist" => Some(ProgramStatus::Active),
        "onhold" => Some(ProgramStatus::Paused),
        "finished" => Some(ProgramStatus::Ended),
        "cancelled" => Some(ProgramStatus::Declined),
        _ => None,
    }
}

fn disposition_of(c: &Concept) -> Disposition {
    let candidates = [c.text.clone(), c.any_code().unwrap_or("").to_string()]
        .into_iter()
        .chain(c.codings.iter().map(|x| x.display.clone()));
    for s in candidates {
        let key = s.trim().to_lowercase().replace([' ', '-'], "_");
        if key.is_empty() {
            continue;
        }
        if let Some(d) = known!(Disposition, key.as_str()) {
            return d;
        }
        // HL7 discharge-disposition codes.
        let d = match key.as_str() {
            "alt_home" => Disposition::Home,
            "hosp" => Disposition::Hospice,
            "exp" | "expired" => Disposition::Deceased,
            _ => continue,
        };
        return d;
    }
    Disposition::NotRecorded
}

/// Who does an action, from a performer's name ("Patient", "Care manager", ...).
fn responsible_of(performer: &str) -> Responsible {
    let key = performer.trim().to_lowercase().replace(' ', "_");
    match key.as_str() {
        "other" => Responsible::OtherPerson,
        k => known!(Responsible, k).unwrap_or_default(),
    }
}

/// A number as written by people ("500", "0.5").
fn number_words(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A Quantity in words ("500 mg").
fn quantity(q: &Node) -> Res<String> {
    let value = q.number("value")?;
    let unit = match q.str("unit")? {
        Some(u) => u.to_string(),
        None => q.text("code")?,
    };
    Ok(match value {
        Some(v) => format!("{} {unit}", number_words(v)).trim().to_string(),
        None => String::new(),
    })
}

/// Scores answers keyed by item id; `None` when they do not fit the instrument.
fn score(instrument: Instrument, answers: &[Answer]) -> Option<i64> {
    let pairs = answers.iter().map(|a| (a.item.as_str(), a.value));
    let answers = rules::answers_by_item_id(instrument, pairs).ok()?;
    rules::score(instrument, &answers)
        .ok()
        .map(|r| i64::from(r.total))
}

/// A dosage in Tend's terms.
#[derive(Default)]
struct Dosage {
    dose: String,
    route: String,
    frequency: String,
    schedule: MedicationSchedule,
}

/// How often, in words, from a Timing's repeat ("twice daily", "every 8 hours").
fn frequency_words(r: &Node) -> Res<String> {
    let frequency = r.int("frequency")?.unwrap_or(1).max(1);
    let period = r.number("period")?.unwrap_or(1.0);
    let Some(unit) = r.str("periodUnit")? else {
        return Ok(String::new());
    };
    let unit_word = match unit {
        "s" => "second",
        "min" => "minute",
        "h" => "hour",
        "d" => "day",
        "wk" => "week",
        "mo" => "month",
        "a" => "year",
        _ => return Ok(String::new()),
    };
    if period == 1.0 {
        return Ok(match (unit, frequency) {
            ("d", 1) => "once daily".into(),
            ("d", 2) => "twice daily".into(),
            ("d", 3) => "three times daily".into(),
            ("d", 4) => "four times daily".into(),
            ("d", n) => format!("{n} times daily"),
            ("wk", 1) => "once weekly".into(),
            ("mo", 1) => "once monthly".into(),
            ("h", 1) => "every hour".into(),
            (_, 1) => format!("once a {unit_word}"),
            (_, n) => format!("{n} times a {unit_word}"),
        });
    }
    let every = format!("every {} {unit_word}s", number_words(period));
    Ok(if frequency == 1 {
        every
    } else {
        format!("{frequency} times {every}")
    })
}

/// dosage[0]: Tend's own extensions when the file is Tend's, else what an EHR writes (the dose
/// quantity, the timing, the route) — and, when nothing structured says how it is taken, the
/// instructions' text as the frequency (`free_text_fallback`, for files that are not Tend's).
fn read_dosage(d: &Node, free_text_fallback: bool) -> Res<Dosage> {
    let text = d.text("text")?;
    let route = d.concept("route")?.map(|c| c.label()).unwrap_or_default();
    let dose_ext = d.ext_str("dose")?;
    let frequency_ext = d.ext_str("frequency")?;
    let mut dose = dose_ext.unwrap_or("").to_string();
    if dose_ext.is_none() {
        if let Some(dr) = d.first("doseAndRate")? {
            if let Some(q) = dr.obj("doseQuantity")? {
                dose = quantity(&q)?;
            }
        }
    }
    let mut s = MedicationSchedule::default();
    let mut frequency = frequency_ext.unwrap_or("").to_string();
    if let Some(timing) = d.obj("timing")? {
        let code = timing
            .concept("code")?
            .map(|c| c.label())
            .unwrap_or_default();
        if let Some(repeat) = timing.obj("repeat")? {
            if frequency_ext.is_none() {
                frequency = if code.is_empty() {
                    frequency_words(&repeat)?
                } else {
                    code
                };
            }
            for when in repeat.strs("when")? {
                let slot = match when {
                    "MORN" | "MORN.early" | "MORN.late" | "WAKE" => "morning",
                    "NOON" => "noon",
                    "EVE" | "EVE.early" | "EVE.late" => "evening",
                    "HS" => "bedtime",
                    _ => continue,
                };
                if !s.times.iter().any(|t| t == slot) {
                    s.times.push(slot.to_string());
                }
            }
            let mut clock: Vec<&str> = repeat.strs("timeOfDay")?;
            // Clock times next to named ones ride in Tend's extension (FHIR's tim-10).
            for ext in repeat.objs("extension")? {
                if ext.str("url")? == Some("urn:tend:ext:time-of-day") {
                    if let Some(t) = ext.str("valueTime")? {
                        clock.push(t);
                    }
                }
            }
            for t in clock {
                let hhmm = t.get(..5).unwrap_or(t);
                if let Some(slot) = Slot::parse(hhmm) {
                    let id = slot.id();
                    if !s.times.contains(&id) {
                        s.times.push(id);
                    }
                }
            }
            let (start, stop) = repeat.period("boundsPeriod")?;
            s.start_on = start;
            s.stop_on = stop;
        } else if frequency_ext.is_none() {
            frequency = code;
        }
    }
    if d.bool("asNeededBoolean")? == Some(true) {
        s.as_needed = true;
    }
    if let Some(reason) = d.concept("asNeededCodeableConcept")? {
        s.as_needed = true;
        s.as_needed_reason = reason.label();
    }
    let instruction = d
        .first_concept_label("additionalInstruction")?
        .to_lowercase();
    s.food = if instruction.contains("without food") || instruction.contains("empty stomach") {
        FoodInstruction::WithoutFood
    } else if instruction.contains("with food") || instruction.contains("with meals") {
        FoodInstruction::WithFood
    } else {
        FoodInstruction::NotSaid
    };
    if let Some(max) = d.obj("maxDosePerPeriod")? {
        let per_day = match max.obj("denominator")? {
            Some(den) => {
                let unit = den.str("code")?.or(den.str("unit")?);
                den.number("value")? == Some(1.0) && matches!(unit, Some("d") | Some("day"))
            }
            None => true,
        };
        if let Some(num) = max.obj("numerator")? {
            if let Some(v) = num.number("value")? {
                if per_day && v >= 1.0 && v.fract() == 0.0 && v < 1e9 {
                    s.max_per_day = Some(v as u64);
                }
            }
        }
    }
    if free_text_fallback {
        if frequency.is_empty() && dose.is_empty() {
            frequency = text;
        } else if frequency.is_empty() && !s.times.is_empty() {
            frequency = s.times.join(" and ");
        }
        if frequency.is_empty() && s.as_needed {
            frequency = "as needed".into();
        }
    }
    Ok(Dosage {
        dose,
        route,
        frequency,
        schedule: s,
    })
}
