//! A FHIR R4 Bundle in: read, matched to a patient, planned item by item, never overwriting.
//!
//! CONTRACT (used by the app; keep these names and meanings):
//! - [`parse_bundle`] reads a file's text into one [`IncomingPatient`] per Patient resource (with
//!   the resources that refer to it), or a [`FhirError`] that says what is wrong; nothing else.
//! - [`IncomingPatient::matches`] says whether an existing record is this patient (same Tend
//!   patient id, or an MRN in common).
//! - [`plan_import`] compares an incoming patient with the existing record (or none: a new patient)
//!   and lists every item as New, AlreadyRecorded (nothing to add: a second import of the same file)
//!   or PossibleDuplicate (same code or name, different details: added only if the care manager
//!   ticks it).
//! - [`ImportPlan::ops`] gives the core ops for the New items plus the chosen duplicates; the app
//!   applies them with `PatientDoc::apply_all` (one change: all or nothing).
//!
//! Layout: `json` reads JSON elements carefully (types checked, never panics), `read` turns the
//! Bundle's resources into Tend's terms ([`Content`]), `plan` compares them with a record and
//! makes the ops.

mod json;
mod plan;
mod read;
#[cfg(test)]
mod tests;

use tend_core::ids::PatientId;
use tend_core::record::{
    Address, Allergy, CareAction, Caregiver, CodeStatus, Condition, Coverage, Encounter, FollowUp,
    Goal, Hospitalization, Identifier, InstrumentResponse, IsoDate, Medication, Need,
    PatientRecord, PersonName, Phone, ProgramEnrollment, Referral, SocialNeed, Transition,
};
use tend_core::Op;

pub use plan::plan_import;
pub use read::parse_bundle;

/// The largest file offered for import (a caseload export of a few hundred patients fits).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// One patient of the file, as read.
#[derive(Clone, Debug, PartialEq)]
pub struct IncomingPatient {
    /// `Patient.id` in the file.
    pub fhir_id: String,
    pub name: PersonName,
    /// MRN values (identifiers typed MR, or Tend's `mrn`).
    pub mrns: Vec<String>,
    /// The Tend patient id, when the file is a Tend export (`urn:tend:patient` identifier).
    pub tend_id: Option<PatientId>,
    // The resources that refer to this patient, read into Tend's terms (private to the module).
    pub(crate) content: Content,
}

impl IncomingPatient {
    /// Whether `record` is this patient: the same Tend patient id, or an MRN value in common with
    /// one of the record's active MRN identifiers.
    pub fn matches(&self, record: &PatientRecord) -> bool {
        if self
            .tend_id
            .as_ref()
            .is_some_and(|id| id.as_str() == record.id)
        {
            return true;
        }
        record
            .profile
            .identifiers
            .iter()
            .filter(|i| i.retired.is_none() && i.system == "mrn")
            .any(|i| {
                let value = i.value.trim();
                !value.is_empty() && self.mrns.iter().any(|m| m.trim() == value)
            })
    }

    /// How many items of the file are this patient's (identifiers, phones and list items; the
    /// demographic details not counted).
    pub fn item_count(&self) -> usize {
        self.content.item_count()
    }
}

/// What a Bundle held, per patient, plus what Tend does not read.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportBundle {
    pub patients: Vec<IncomingPatient>,
    /// Resources Tend does not import, counted by type ("Practitioner": 2), for the preview.
    pub not_read: Vec<(String, usize)>,
}

/// Whether an incoming item is new to the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    New,
    /// The record already holds it (same Tend item id, or same code/name and same details).
    AlreadyRecorded,
    /// Same code or name as `of` (the existing item, as listed), different details.
    PossibleDuplicate {
        of: String,
    },
}

impl ItemStatus {
    pub fn is_new(&self) -> bool {
        matches!(self, ItemStatus::New)
    }

    pub fn is_already_recorded(&self) -> bool {
        matches!(self, ItemStatus::AlreadyRecorded)
    }

    pub fn is_possible_duplicate(&self) -> bool {
        matches!(self, ItemStatus::PossibleDuplicate { .. })
    }
}

/// One line of the preview.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedItem {
    /// Where it goes, as the chart names it: "Details", "Identifier", "Condition", "Allergy",
    /// "Medication", "Hospital stay", "Visit", ...
    pub section: String,
    /// What it is, in words ("Type 2 diabetes mellitus (E11.9)", "Metformin 500 mg twice daily").
    pub label: String,
    pub status: ItemStatus,
    pub(crate) ops: Vec<Op>,
    /// For a possible duplicate: (the incoming item's id, the existing item's id). When it is not
    /// chosen, links of other items to it (a goal's need, an action's goal) go to the existing one.
    pub(crate) replaces: Option<(String, String)>,
}

/// What importing one incoming patient would do.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPlan {
    /// The patient's name as the file gives it.
    pub name: PersonName,
    /// Whether the patient is already on the device (matched); otherwise importing creates them.
    pub existing: bool,
    /// The id for a new patient: the Tend id in the file when there is one, else a fresh one.
    /// (For an existing patient: the record's id.)
    pub new_patient_id: PatientId,
    pub items: Vec<PlannedItem>,
    /// Details the file gives differently from the chart, which the import leaves as the care
    /// manager recorded them ("Date of birth: the file says 1946-05-21; the chart keeps
    /// 1946-05-12"), for the preview.
    pub differences: Vec<String>,
}

impl ImportPlan {
    /// Ops for every New item plus the PossibleDuplicate items whose index (in `items`) is in
    /// `chosen_duplicates` (other indices there are ignored), in the plan's order (a need before
    /// its goals, a goal before its actions).
    pub fn ops(&self, chosen_duplicates: &[usize]) -> Vec<Op> {
        let chosen = |i: usize, item: &PlannedItem| match item.status {
            ItemStatus::New => true,
            ItemStatus::PossibleDuplicate { .. } => chosen_duplicates.contains(&i),
            ItemStatus::AlreadyRecorded => false,
        };
        // A duplicate left out: what linked to it links to the item already in the chart.
        let redirect: Vec<(&str, &str)> = self
            .items
            .iter()
            .enumerate()
            .filter(|(i, item)| !chosen(*i, item))
            .filter_map(|(_, item)| item.replaces.as_ref())
            .map(|(from, to)| (from.as_str(), to.as_str()))
            .collect();
        let mut ops: Vec<Op> = self
            .items
            .iter()
            .enumerate()
            .filter(|(i, item)| chosen(*i, item))
            .flat_map(|(_, item)| item.ops.iter().cloned())
            .collect();
        if !redirect.is_empty() {
            for op in &mut ops {
                for link in plan::links_of_op(op) {
                    if let Some((_, to)) = redirect.iter().find(|(from, _)| *from == link.as_str())
                    {
                        *link = (*to).to_string();
                    }
                }
            }
        }
        ops
    }

    /// How many items have a status for which `status` is true
    /// (e.g. `plan.count(ItemStatus::is_new)`).
    pub fn count(&self, status: fn(&ItemStatus) -> bool) -> usize {
        self.items.iter().filter(|i| status(&i.status)).count()
    }

    pub fn new_count(&self) -> usize {
        self.count(ItemStatus::is_new)
    }

    pub fn duplicate_count(&self) -> usize {
        self.count(ItemStatus::is_possible_duplicate)
    }

    pub fn already_count(&self) -> usize {
        self.count(ItemStatus::is_already_recorded)
    }

    /// The indices (in `items`) of the possible duplicates, for a "choose all" in the preview.
    pub fn duplicate_indices(&self) -> Vec<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.status.is_possible_duplicate())
            .map(|(n, _)| n)
            .collect()
    }
}

/// The patient's demographic details as the file gives them (empty: not given).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Details {
    pub(crate) date_of_birth: Option<IsoDate>,
    pub(crate) sex: String,
    pub(crate) gender_identity: String,
    pub(crate) pronouns: String,
    pub(crate) preferred_language: String,
    pub(crate) interpreter_needed: Option<bool>,
    pub(crate) email: String,
    pub(crate) address: Address,
    /// `Unknown`: not given.
    pub(crate) code_status: CodeStatus,
}

/// One patient's resources read into Tend's items. Ids are the Tend item ids the file carries,
/// else fresh ones; links (a goal's need, an action's goal) use these ids. A program's
/// `status_changes` hold its history as read (turned into `SetProgramStatus` ops).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Content {
    pub(crate) details: Details,
    pub(crate) identifiers: Vec<Identifier>,
    pub(crate) phones: Vec<Phone>,
    pub(crate) caregivers: Vec<Caregiver>,
    pub(crate) coverages: Vec<Coverage>,
    pub(crate) programs: Vec<ProgramEnrollment>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) allergies: Vec<Allergy>,
    pub(crate) medications: Vec<Medication>,
    pub(crate) hospitalizations: Vec<Hospitalization>,
    pub(crate) transitions: Vec<Transition>,
    pub(crate) encounters: Vec<Encounter>,
    pub(crate) follow_ups: Vec<FollowUp>,
    pub(crate) responses: Vec<InstrumentResponse>,
    pub(crate) social_needs: Vec<SocialNeed>,
    pub(crate) needs: Vec<Need>,
    pub(crate) goals: Vec<Goal>,
    pub(crate) actions: Vec<CareAction>,
    pub(crate) referrals: Vec<Referral>,
}

impl Content {
    fn item_count(&self) -> usize {
        self.identifiers.len()
            + self.phones.len()
            + self.caregivers.len()
            + self.coverages.len()
            + self.programs.len()
            + self.conditions.len()
            + self.allergies.len()
            + self.medications.len()
            + self.hospitalizations.len()
            + self.transitions.len()
            + self.encounters.len()
            + self.follow_ups.len()
            + self.responses.len()
            + self.social_needs.len()
            + self.needs.len()
            + self.goals.len()
            + self.actions.len()
            + self.referrals.len()
    }
}
