use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable identifier of a patient document (a UUID v4 string); also the document's storage key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PatientId(String);

impl PatientId {
    pub fn random() -> Self {
        PatientId(uuid::Uuid::new_v4().to_string())
    }

    /// Accepts only a well-formed UUID, so ids from storage or a URL cannot smuggle anything else.
    pub fn parse(s: &str) -> Option<Self> {
        uuid::Uuid::parse_str(s)
            .ok()
            .map(|u| PatientId(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fresh random id for a list item (goal, action, note...), so concurrent inserts merge item by item.
pub fn new_item_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The id the workspace document (what everyone in a workspace shares) has on the relay and in
/// storage. One per workspace: chunks on the relay are already scoped to their workspace.
pub use tend_wire::sync_wire::WORKSPACE_DOC_ID;

/// Which document a chunk, outbox entry or stored record belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocId {
    Patient(PatientId),
    Workspace,
}

impl DocId {
    /// A patient id (a UUID) or [`WORKSPACE_DOC_ID`]; anything else is not a document.
    pub fn parse(s: &str) -> Option<Self> {
        if s == WORKSPACE_DOC_ID {
            return Some(DocId::Workspace);
        }
        PatientId::parse(s).map(DocId::Patient)
    }

    pub fn as_str(&self) -> &str {
        match self {
            DocId::Patient(p) => p.as_str(),
            DocId::Workspace => WORKSPACE_DOC_ID,
        }
    }

    pub fn patient(&self) -> Option<&PatientId> {
        match self {
            DocId::Patient(p) => Some(p),
            DocId::Workspace => None,
        }
    }
}

impl From<PatientId> for DocId {
    fn from(p: PatientId) -> Self {
        DocId::Patient(p)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
