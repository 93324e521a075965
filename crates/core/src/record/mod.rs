use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// The schema version this build writes. Evolution is additive: new fields are optional with defaults.
pub const SCHEMA_VERSION: u64 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct PersonName {
    pub given: String,
    pub family: String,
}

impl PersonName {
    /// "Family, Given" as care managers scan lists; falls back to whichever part exists.
    pub fn display(&self) -> String {
        match (self.given.trim(), self.family.trim()) {
            ("", "") => String::new(),
            (g, "") => g.to_string(),
            ("", f) => f.to_string(),
            (g, f) => format!("{f}, {g}"),
        }
    }
}

/// One patient's whole record, as stored in their Automerge document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct PatientRecord {
    pub schema_version: u64,
    pub id: String,
    pub name: PersonName,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}
