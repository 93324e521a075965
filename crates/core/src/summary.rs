use serde::{Deserialize, Serialize};

use crate::record::PatientRecord;

/// What the caseload list shows for one patient, stored apart from the document so the list opens
/// without loading any Automerge document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSummary {
    pub id: String,
    pub display_name: String,
    /// Lower-cased name used for search.
    pub sort_key: String,
    pub created_at: i64,
}

impl PatientSummary {
    pub fn of(record: &PatientRecord) -> Self {
        let display_name = record.name.display();
        PatientSummary {
            id: record.id.clone(),
            sort_key: display_name.to_lowercase(),
            display_name,
            created_at: record.created_at,
        }
    }
}
