//! The community resource directory: organisations and their services, shared by the workspace.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// The workspace document's content. Maps keyed by id, so two devices' edits merge item by item
/// and field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct WorkspaceRecord {
    pub schema_version: u64,
    pub organisations: BTreeMap<String, Organisation>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Organisation {
    pub id: String,
    pub name: String,
}
