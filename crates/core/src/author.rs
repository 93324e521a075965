use serde::{Deserialize, Serialize};

/// Who makes a change: the signed-in care manager on one device. Every change carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub user_id: String,
    pub user_name: String,
    pub device_id: String,
}

/// What a change says about itself, stored as the Automerge change message (JSON) so per-field
/// history can be shown offline from the document alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    /// The typed operation, e.g. "create_patient", "add_goal".
    pub op: String,
    pub user_id: String,
    pub user_name: String,
    pub device_id: String,
}

impl ChangeMeta {
    pub fn new(op: &str, author: &Author) -> Self {
        ChangeMeta {
            op: op.to_string(),
            user_id: author.user_id.clone(),
            user_name: author.user_name.clone(),
            device_id: author.device_id.clone(),
        }
    }

    pub fn encode(&self) -> String {
        // Serialising a struct of plain strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Messages written by other tools (or tampered) decode to `None`, not an error.
    pub fn decode(message: &str) -> Option<Self> {
        serde_json::from_str(message).ok()
    }
}
