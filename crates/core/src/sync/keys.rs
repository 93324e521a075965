//! Who holds a document's key, and what to change when that is not who should (PROTOCOL.md
//! "Document keys and scope"). Pure: the relay's [`DocKeyState`] of a document, this device's keys
//! and the readers the document should have in, one [`KeyPlan`] out; the driver sends it and, if the
//! relay answers that another device changed the keys first, plans again from what it pulls.
//!
//! * [`open_ring`]: every generation this device was given (each envelope opened with its sender's
//!   public key **from the workspace document**, never from the relay), then the links down to 1.
//! * [`plan`]: a document without keys gets its first (readers: the wanted devices and this one); a
//!   reader that should not be one any more means a **rotation** (a fresh key sealed to exactly the
//!   wanted devices, linked to the current one); wanted devices without an envelope get a **grant**
//!   of the current key. A device that does not hold the current key plans nothing: another reader
//!   will, and [`rotation_pending`] says meanwhile that it is owed.

use std::collections::BTreeMap;

use tend_wire::keys::{
    open_content_key, seal_content_key, seal_link, ContentKey, DevicePublicKey, DeviceSecret,
    DocKeyState, KeyError, KeyPlace, KeyRing, KeyUpdate, Party,
};

/// This device: its relay id and its secret.
#[derive(Debug, Clone)]
pub struct ThisDevice {
    pub device_id: String,
    pub secret: DeviceSecret,
}

impl ThisDevice {
    pub fn public_key(&self) -> DevicePublicKey {
        self.secret.public_key()
    }
}

/// Devices by relay id, with the public keys the workspace document lists for them.
pub type Directory = BTreeMap<String, DevicePublicKey>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyPlanError {
    #[error(transparent)]
    Key(#[from] KeyError),
    /// An envelope from a device the workspace document does not list (or lists without a key):
    /// it is not trusted until it does.
    #[error("a key envelope comes from device {0}, which the workspace does not list")]
    UnknownSender(String),
}

/// Every key of the document this device can reach: the envelopes sealed to it, then the links.
/// A generation whose envelope does not open is skipped and the first such problem returned with
/// the ring (the keys that did open are still usable).
pub fn open_ring(
    workspace_id: &str,
    doc_id: &str,
    state: &DocKeyState,
    me: &ThisDevice,
    directory: &Directory,
) -> (KeyRing, Option<KeyPlanError>) {
    let mut ring = KeyRing::new(workspace_id, doc_id);
    let mut problem = None;
    for (generation, record) in &state.generations {
        let Some(sealed) = record.envelopes.get(&me.device_id) else {
            continue;
        };
        let Some(sender_key) = directory.get(&sealed.sender) else {
            problem.get_or_insert(KeyPlanError::UnknownSender(sealed.sender.clone()));
            continue;
        };
        let sender = Party {
            device_id: &sealed.sender,
            public_key: sender_key,
        };
        let place = KeyPlace {
            workspace_id,
            doc_id,
            generation: *generation,
        };
        match open_content_key(&place, sender, &me.device_id, &me.secret, &sealed.envelope) {
            Ok(key) => {
                // Generations are never 0 in a state the relay accepted; a 0 is skipped like a bad envelope.
                if let Err(e) = ring.insert(*generation, key) {
                    problem.get_or_insert(e.into());
                }
            }
            Err(e) => {
                problem.get_or_insert(e.into());
            }
        }
    }
    if let Err(e) = ring.unlink(&state.links()) {
        problem.get_or_insert(e.into());
    }
    (ring, problem)
}

/// What this device should send about one document's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlan {
    /// The readers are the wanted devices (or this device cannot change them).
    Nothing,
    /// Send `update`; once the relay stores it, `ring` (with the new key) is this device's.
    Send { update: KeyUpdate, ring: KeyRing },
}

/// Whether the document has a reader that should not be one: a rotation is owed (shown to team leads
/// until a reader that holds the key does it).
pub fn rotation_pending(state: &DocKeyState, wanted: &Directory) -> bool {
    state.readers().any(|r| !wanted.contains_key(r))
}

/// Plans the update that makes the document's readers the `wanted` devices (only those with a public
/// key in the workspace document can be sealed to). See the module docs.
pub fn plan(
    ring: &KeyRing,
    state: &DocKeyState,
    me: &ThisDevice,
    wanted: &Directory,
) -> Result<KeyPlan, KeyError> {
    let current = state.current();
    if current == 0 {
        let mut readers = wanted.clone();
        readers.insert(me.device_id.clone(), me.public_key());
        return rotate_to(ring, 0, None, me, &readers);
    }
    let Some(key) = ring.get(current) else {
        return Ok(KeyPlan::Nothing);
    };
    if wanted.is_empty() {
        // Nobody to hand the key to: keep the readers rather than lock everyone out.
        return Ok(KeyPlan::Nothing);
    }
    if rotation_pending(state, wanted) {
        return rotate_to(ring, current, Some(key), me, wanted);
    }
    let place = ring.place(current);
    let mut envelopes = BTreeMap::new();
    for (device_id, public_key) in wanted {
        if state.is_reader(device_id) {
            continue;
        }
        let to = Party {
            device_id,
            public_key,
        };
        envelopes.insert(
            device_id.clone(),
            seal_content_key(&place, &me.device_id, &me.secret, to, key)?,
        );
    }
    if envelopes.is_empty() {
        return Ok(KeyPlan::Nothing);
    }
    Ok(KeyPlan::Send {
        update: KeyUpdate::Grant {
            generation: current,
            envelopes,
        },
        ring: ring.clone(),
    })
}

fn rotate_to(
    ring: &KeyRing,
    from: u32,
    previous: Option<&ContentKey>,
    me: &ThisDevice,
    readers: &Directory,
) -> Result<KeyPlan, KeyError> {
    let generation = from.checked_add(1).ok_or(KeyError::Seal)?;
    let key = ContentKey::generate()?;
    let mut next = ring.clone();
    next.insert(generation, key.clone())?;
    let place = next.place(generation);
    let link = previous
        .map(|old| seal_link(&place, &key, old))
        .transpose()?;
    let mut envelopes = BTreeMap::new();
    for (device_id, public_key) in readers {
        let to = Party {
            device_id,
            public_key,
        };
        envelopes.insert(
            device_id.clone(),
            seal_content_key(&place, &me.device_id, &me.secret, to, &key)?,
        );
    }
    Ok(KeyPlan::Send {
        update: KeyUpdate::Rotate {
            from,
            link,
            envelopes,
        },
        ring: next,
    })
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
