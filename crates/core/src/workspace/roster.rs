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
    /// The relay's id of this device: what key envelopes and the relay's scope name. Empty for a
    /// device linked before keys (it links itself again when it next syncs).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub relay_id: String,
    /// Its X25519 public key (standard base64), which keys are sealed to. Written by the device
    /// itself; the only place other devices take it from.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub public_key: String,
    /// Revoked (lost, stolen, retired) by a team lead: it is given no key again, and every document
    /// it could read gets a new key.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub revoked: Option<Stamp>,
}

impl DeviceLink {
    /// Its public key, if it published a well-formed one.
    pub fn key(&self) -> Option<tend_wire::keys::DevicePublicKey> {
        tend_wire::keys::DevicePublicKey::from_base64(&self.public_key).ok()
    }
}

impl PersonRole {
    /// Supervisors and administrators manage the roster, reassign patients and see the team.
    pub fn leads_team(&self) -> bool {
        matches!(self, PersonRole::Supervisor | PersonRole::Administrator)
    }
}
