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

use std::collections::{BTreeMap, HashMap};

use tend_wire::crypto::{self, CryptoError, WorkspaceKey};
use tend_wire::keys::{
    open_content_key, seal_content_key, seal_link, ContentKey, DevicePublicKey, DeviceSecret,
    DocKeyState, KeyError, KeyPlace, KeyRing, KeyUpdate, Party, CHUNK_ENVELOPE_V2,
};
use tend_wire::sync_wire::{ChunkKind, KeyChange};

use crate::workspace::WorkspaceRecord;

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

/// Every device the workspace document lists with a public key, revoked ones included: whose
/// envelopes this device may open (a revoked device's envelopes from before stay good).
pub fn senders(workspace: &WorkspaceRecord) -> Directory {
    workspace
        .devices
        .values()
        .filter(|d| !d.relay_id.is_empty())
        .filter_map(|d| Some((d.relay_id.clone(), d.key()?)))
        .collect()
}

/// The devices of `people` that may hold keys: linked, with a public key, not revoked.
fn devices_of(workspace: &WorkspaceRecord, people: &dyn Fn(&str) -> bool) -> Directory {
    workspace
        .devices
        .values()
        .filter(|d| d.revoked.is_none() && !d.relay_id.is_empty() && people(&d.person_id))
        .filter_map(|d| Some((d.relay_id.clone(), d.key()?)))
        .collect()
}

fn active(workspace: &WorkspaceRecord, person_id: &str) -> bool {
    // A device linked before its person's roster entry arrived counts as active meanwhile.
    workspace.people.get(person_id).is_none_or(|p| p.active)
}

/// Who should read the workspace document: every device of every active person, not revoked.
pub fn workspace_readers(workspace: &WorkspaceRecord) -> Directory {
    devices_of(workspace, &|p| active(workspace, p))
}

/// Who should read a patient: the devices of its primary care manager, its care team and the team
/// leads (supervisors and administrators); of everyone when nobody is assigned (as the caseload
/// counts it, `team::in_caseload_of`). Only active people's devices that are not revoked.
pub fn patient_readers(
    workspace: &WorkspaceRecord,
    care_manager: &str,
    care_team: &[String],
) -> Directory {
    devices_of(workspace, &|p| {
        active(workspace, p)
            && (care_manager.is_empty()
                || care_manager == p
                || care_team.iter().any(|t| t == p)
                || workspace
                    .people
                    .get(p)
                    .is_some_and(|person| person.role.leads_team()))
    })
}

/// Records a pull page's key changes into what this device knows of each document's keys; returns
/// the documents whose keys changed, in the order first changed.
pub fn record_changes(
    states: &mut HashMap<String, DocKeyState>,
    changes: &[KeyChange],
    me: &str,
) -> Vec<String> {
    let mut changed: Vec<String> = Vec::new();
    for change in changes {
        states
            .entry(change.doc_id.clone())
            .or_default()
            .record_change(change, me);
        if !changed.contains(&change.doc_id) {
            changed.push(change.doc_id.clone());
        }
    }
    changed
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

// ---------------------------------------------------------------------------------------------------
// Sealing and opening chunks with whatever keys the device holds

/// Why a chunk could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkKeyError {
    /// A version-1 envelope (the workspace key's).
    #[error(transparent)]
    V1(#[from] CryptoError),
    /// A version-2 envelope (a document's generation key).
    #[error(transparent)]
    V2(#[from] KeyError),
    #[error("this device holds no key for document {0}")]
    NoKey(String),
    #[error("empty envelope")]
    Empty,
}

/// Rings opened in earlier rounds, by document, with the key state each was opened from
/// ([`Keychain::open_states_cached`]).
#[derive(Debug, Default)]
pub struct RingCache {
    owner: Option<(String, String, DevicePublicKey)>,
    directory: Directory,
    rings: HashMap<String, (DocKeyState, KeyRing)>,
}

/// Every key this device holds for a workspace: the documents' key rings (version-2 envelopes) and,
/// for documents without keys, the workspace key (version 1). A document with a ring is sealed
/// under its newest generation; one without, under the workspace key.
#[derive(Debug, Clone)]
pub struct Keychain {
    workspace_id: String,
    workspace_key: Option<WorkspaceKey>,
    rings: HashMap<String, KeyRing>,
    /// Keys handed over outside any envelope (the workspace document's, in a join code), by
    /// document: kept in its ring whenever it is opened again.
    given: HashMap<String, BTreeMap<u32, ContentKey>>,
}

impl Keychain {
    pub fn new(workspace_id: &str, workspace_key: Option<WorkspaceKey>) -> Self {
        Keychain {
            workspace_id: workspace_id.to_owned(),
            workspace_key,
            rings: HashMap::new(),
            given: HashMap::new(),
        }
    }

    /// Adds a key this device was handed outside any envelope: a join code's key of the workspace
    /// document, which a new device reads the roster and pushes its own link with before anyone
    /// has sealed the key to it. Older generations open through the links when the ring is
    /// opened again; a key opened from an envelope wins over it.
    pub fn give(&mut self, doc_id: &str, generation: u32, key: ContentKey) -> Result<(), KeyError> {
        let ring = self
            .rings
            .entry(doc_id.to_owned())
            .or_insert_with(|| KeyRing::new(&self.workspace_id, doc_id));
        if ring.get(generation).is_none() {
            ring.insert(generation, key.clone())?;
        }
        self.given
            .entry(doc_id.to_owned())
            .or_default()
            .insert(generation, key);
        Ok(())
    }

    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    /// Adds (or replaces) a document's ring; a ring of another workspace is ignored.
    pub fn insert(&mut self, ring: KeyRing) {
        if ring.workspace_id() == self.workspace_id {
            self.rings.insert(ring.doc_id().to_owned(), ring);
        }
    }

    pub fn ring(&self, doc_id: &str) -> Option<&KeyRing> {
        self.rings.get(doc_id)
    }

    /// Opens (again) the ring of `doc_id` from what this device knows of its keys: after a pull
    /// brought a change to them, before the chunks after it are opened. A problem opening some
    /// generation is returned; the generations that did open are used.
    pub fn refresh(
        &mut self,
        doc_id: &str,
        state: &DocKeyState,
        me: &ThisDevice,
        directory: &Directory,
    ) -> Option<KeyPlanError> {
        let (mut ring, mut problem) = open_ring(&self.workspace_id, doc_id, state, me, directory);
        if let Some(given) = self.given.get(doc_id) {
            for (generation, key) in given {
                if ring.get(*generation).is_none() {
                    // Generation 0 was refused when it was given.
                    let _ = ring.insert(*generation, key.clone());
                }
            }
            if let Err(e) = ring.unlink(&state.links()) {
                problem.get_or_insert(e.into());
            }
        }
        self.rings.insert(doc_id.to_owned(), ring);
        problem
    }

    /// The keychain of every document this device knows the keys of; with each document whose
    /// keys did not all open, why.
    pub fn open_all(
        workspace_id: &str,
        workspace_key: Option<WorkspaceKey>,
        states: &HashMap<String, DocKeyState>,
        me: &ThisDevice,
        directory: &Directory,
    ) -> (Self, Vec<(String, KeyPlanError)>) {
        let mut chain = Keychain::new(workspace_id, workspace_key);
        let problems = chain.open_states(states, me, directory);
        (chain, problems)
    }

    /// [`Keychain::open_states`], reusing the rings `cache` kept from an earlier call for the
    /// documents whose key state is unchanged (opening a ring costs an X25519 agreement per
    /// envelope: thousands of documents are opened once, not every round). The cache starts over
    /// when the device, its workspace or the senders' keys change; a ring that did not open
    /// cleanly is never kept. A document with a key given outside envelopes is always opened.
    pub fn open_states_cached(
        &mut self,
        states: &HashMap<String, DocKeyState>,
        me: &ThisDevice,
        directory: &Directory,
        cache: &mut RingCache,
    ) -> Vec<(String, KeyPlanError)> {
        let owner = (
            self.workspace_id.clone(),
            me.device_id.clone(),
            me.public_key(),
        );
        if cache.owner.as_ref() != Some(&owner) || cache.directory != *directory {
            *cache = RingCache {
                owner: Some(owner),
                directory: directory.clone(),
                rings: HashMap::new(),
            };
        }
        cache.rings.retain(|doc_id, _| states.contains_key(doc_id));
        let mut problems = Vec::new();
        for (doc_id, state) in states {
            if !self.given.contains_key(doc_id) {
                if let Some((kept, ring)) = cache.rings.get(doc_id) {
                    if kept == state {
                        self.rings.insert(doc_id.clone(), ring.clone());
                        continue;
                    }
                }
            }
            match self.refresh(doc_id, state, me, directory) {
                Some(p) => {
                    cache.rings.remove(doc_id);
                    problems.push((doc_id.clone(), p));
                }
                None => {
                    if let Some(ring) = self.rings.get(doc_id) {
                        cache
                            .rings
                            .insert(doc_id.clone(), (state.clone(), ring.clone()));
                    }
                }
            }
        }
        problems
    }

    /// Opens (again) the ring of every document in `states` ([`Keychain::refresh`]); with each
    /// document whose keys did not all open, why.
    pub fn open_states(
        &mut self,
        states: &HashMap<String, DocKeyState>,
        me: &ThisDevice,
        directory: &Directory,
    ) -> Vec<(String, KeyPlanError)> {
        states
            .iter()
            .filter_map(|(doc_id, state)| {
                self.refresh(doc_id, state, me, directory)
                    .map(|p| (doc_id.clone(), p))
            })
            .collect()
    }

    /// Seals a chunk of `doc_id`: under its newest generation if it has keys here, else under the
    /// workspace key.
    pub fn seal(
        &self,
        doc_id: &str,
        kind: ChunkKind,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, ChunkKeyError> {
        if let Some(ring) = self.rings.get(doc_id).filter(|r| r.current().is_some()) {
            return Ok(ring.seal(kind, plaintext)?);
        }
        match &self.workspace_key {
            Some(key) => Ok(crypto::seal(
                key,
                &self.workspace_id,
                doc_id,
                kind,
                plaintext,
            )?),
            None => Err(ChunkKeyError::NoKey(doc_id.to_owned())),
        }
    }

    /// Opens a chunk of `doc_id` by its envelope's version. Never panics on any bytes.
    pub fn open(
        &self,
        doc_id: &str,
        kind: ChunkKind,
        envelope: &[u8],
    ) -> Result<Vec<u8>, ChunkKeyError> {
        match envelope.first() {
            None => Err(ChunkKeyError::Empty),
            Some(&CHUNK_ENVELOPE_V2) => match self.rings.get(doc_id) {
                Some(ring) => Ok(ring.open(kind, envelope)?),
                None => Err(ChunkKeyError::NoKey(doc_id.to_owned())),
            },
            Some(_) => match &self.workspace_key {
                Some(key) => Ok(crypto::open(
                    key,
                    &self.workspace_id,
                    doc_id,
                    kind,
                    envelope,
                )?),
                None => Err(ChunkKeyError::NoKey(doc_id.to_owned())),
            },
        }
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
