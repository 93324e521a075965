//! The team roster: the people of a workspace, their roles, and which devices are theirs.
//!
//! A person's id is the `user_id` every change they make carries, so history, the care team and
//! "my patients" all name the same person whichever of their devices they use.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::record::{PersonRole, Stamp};

/// One person of the team.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub role: PersonRole,
    /// Professional credentials as they sign, e.g. "RN, CCM" or "LCSW".
    pub credentials: String,
    /// An inactive person (left the team) keeps their history but gets no new patients.
    pub active: bool,
    pub added: Stamp,
}

impl Person {
    /// "Ana López, RN" — the name with credentials, as a colleague reads it.
    pub fn signed_name(&self) -> String {
        match self.credentials.trim() {
            "" => self.name.clone(),
            c => format!("{}, {c}", self.name),
        }
    }
}

/// A device of the workspace and whose it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct DeviceLink {
    pub device_id: String,
    pub person_id: String,
    /// What its owner calls it ("Ana's tablet"); travels only inside the encrypted document.
    pub name: String,
    pub linked: Stamp,
}

impl PersonRole {
    /// Supervisors and administrators manage the roster, reassign patients and see the team.
    pub fn leads_team(&self) -> bool {
        matches!(self, PersonRole::Supervisor | PersonRole::Administrator)
    }
}
