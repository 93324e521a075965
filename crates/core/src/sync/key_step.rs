//! What a round does about documents' keys once it has pulled (PROTOCOL.md "Document keys and
//! scope"), decided with no I/O: from what this device knows of each document's keys, the roster
//! and each patient's care team, and what it stores and has not pushed yet, one [`KeyAction`] per
//! document that needs one. The driver sends, drops, fetches and reports.
//!
//! * A document stored here without keys gets its first key (readers: who should read it, and this
//!   device, which must push it).
//! * A document this device reads gets a grant for every device that should read it and has no
//!   key yet, or a rotation when a reader should not be one (revoked, left the care team).
//! * A document a rotation took this device out of, or whose keys it was never given (held from
//!   before it had keys), is removed here — unless it holds changes the relay never got: those
//!   are kept (and said, for a device taken out), never dropped silently.
//! * A document this device was given and does not hold is fetched from the start.
//! * The workspace document (held with `care: None`) is read by every device the roster lists and
//!   has not revoked; it is never dropped.
//! * Nothing is sent until the roster lists this device's own public key: the others could not
//!   trust its envelopes before. A rotation that takes this device itself out waits until its own
//!   changes to the document are pushed.

use std::collections::{BTreeSet, HashMap};

use tend_wire::keys::{DocKeyState, KeyError, KeyRing, KeyUpdate};

use super::keys::{
    patient_readers, plan, rotation_pending, senders, workspace_readers, KeyPlan, Keychain,
    ThisDevice,
};
use crate::workspace::WorkspaceRecord;

/// One document as this device holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldDoc {
    pub doc_id: String,
    /// A patient's primary care manager and care team (as its summary says); `None` for the
    /// workspace document.
    pub care: Option<(String, Vec<String>)>,
    /// Changes to it wait in the outbox (the relay does not have them yet).
    pub unsynced: bool,
}

/// What to do about one document's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction {
    /// Send `update`; once the relay stores it, `ring` is this device's ring of the document.
    Send {
        doc_id: String,
        update: KeyUpdate,
        ring: KeyRing,
    },
    /// A rotation left this device out: remove the document's data here.
    Drop { doc_id: String },
    /// A rotation left this device out, but it holds changes the relay never got: keep them and
    /// say so (someone who reads the document can take them over by hand).
    KeepUnsynced { doc_id: String },
    /// The document has keys this device was never given (it held it from before the document
    /// had keys) and it holds changes to it the relay does not have: kept as it is, and not
    /// pushed, until a reader grants them.
    NotGiven { doc_id: String },
    /// This device reads a document it does not hold: fetch it from the relay's start.
    Fetch { doc_id: String },
}

/// Decides what to do about every document's keys. `held`: the documents stored here; `states`:
/// what this device knows of each document's keys (from the pull feed); `chain`: the rings it
/// opened from them.
pub fn key_step(
    held: &[HeldDoc],
    states: &HashMap<String, DocKeyState>,
    chain: &Keychain,
    me: &ThisDevice,
    workspace: &WorkspaceRecord,
) -> Result<Vec<KeyAction>, KeyError> {
    let published = senders(workspace).get(&me.device_id) == Some(&me.public_key());
    let no_keys = DocKeyState::default();
    let mut actions = Vec::new();
    let held_ids: BTreeSet<&str> = held.iter().map(|d| d.doc_id.as_str()).collect();
    for doc in held {
        let state = states.get(&doc.doc_id).unwrap_or(&no_keys);
        if state.current() > 0 && !state.is_reader(&me.device_id) && doc.care.is_none() {
            // The workspace document is every device's: one not given its key yet (it joined with
            // the key in its code) waits for a reader to grant it, and hands out nothing.
            continue;
        }
        if state.current() > 0 && !state.is_reader(&me.device_id) {
            let doc_id = doc.doc_id.clone();
            actions.push(match (doc.unsynced, state.ever_read_by(&me.device_id)) {
                // Held from before the document had keys, never given them: nothing here may be
                // pushed until a reader grants them (if this device should read it).
                (true, false) => KeyAction::NotGiven { doc_id },
                (true, true) => KeyAction::KeepUnsynced { doc_id },
                // Not this device's to hold (any more): if it is given the keys later, the
                // document is fetched whole then.
                (false, _) => KeyAction::Drop { doc_id },
            });
            continue;
        }
        if !published {
            continue;
        }
        let wanted = match &doc.care {
            Some((care_manager, team)) => patient_readers(workspace, care_manager, team),
            None => workspace_readers(workspace),
        };
        let empty = KeyRing::new(chain.workspace_id(), &doc.doc_id);
        let ring = chain.ring(&doc.doc_id).unwrap_or(&empty);
        if let KeyPlan::Send { update, ring } = plan(ring, state, me, &wanted)? {
            // A rotation that takes this device out waits until its own changes are pushed.
            let leaves = update.recipients().all(|r| r != me.device_id);
            if leaves && doc.unsynced {
                continue;
            }
            actions.push(KeyAction::Send {
                doc_id: doc.doc_id.clone(),
                update,
                ring,
            });
        }
    }
    // Documents this device reads and does not hold.
    let mut fetch: Vec<&String> = states
        .iter()
        .filter(|(id, s)| !held_ids.contains(id.as_str()) && s.is_reader(&me.device_id))
        .map(|(id, _)| id)
        .collect();
    fetch.sort();
    actions.extend(fetch.into_iter().map(|doc_id| KeyAction::Fetch {
        doc_id: doc_id.clone(),
    }));
    Ok(actions)
}

/// The documents held here whose keys a device that should not read them still holds (revoked,
/// left the care team): rotations owed and not yet done, which team leads see until the next
/// device that reads the document and syncs does them.
pub fn unfinished_rotations(
    held: &[HeldDoc],
    states: &HashMap<String, DocKeyState>,
    workspace: &WorkspaceRecord,
) -> Vec<String> {
    held.iter()
        .filter(|doc| {
            let Some(state) = states.get(&doc.doc_id).filter(|s| s.current() > 0) else {
                return false;
            };
            let wanted = match &doc.care {
                Some((care_manager, team)) => patient_readers(workspace, care_manager, team),
                None => workspace_readers(workspace),
            };
            !wanted.is_empty() && rotation_pending(state, &wanted)
        })
        .map(|doc| doc.doc_id.clone())
        .collect()
}

#[cfg(test)]
#[path = "key_step_tests.rs"]
mod tests;
