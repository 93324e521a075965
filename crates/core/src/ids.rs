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
