//! Scoped keys: each document's random content keys, sealed to the devices that may read it
//! (PROTOCOL.md "Document keys and scope").
//!
//! * Every device makes its own X25519 key pair ([`DeviceSecret`]); the secret never leaves it (the app
//!   keeps it sealed by the device lock). Devices publish their public keys inside the encrypted
//!   workspace document, never trusting the relay for them.
//! * Every document has **generations** of random 256-bit [`ContentKey`]s, 1, 2, 3, … A generation's
//!   key is sealed to each reader in a **key envelope** ([`seal_content_key`]): static–static X25519
//!   between the sending and the receiving device, HKDF-SHA256, then XChaCha20-Poly1305 ([`crate::aead`])
//!   bound to the workspace, document, generation and both devices. Only a device of the workspace
//!   can make one the recipient accepts, so the relay, which stores them, can neither open nor forge
//!   them.
//! * A **rotation** makes generation n + 1 with a fresh key and a **link** ([`seal_link`]): key n sealed
//!   under key n + 1. Holding the newest key opens the whole chain back to generation 1, so history
//!   stays readable; nothing links forward, so a device left out of n + 1 can read nothing written after.
//! * Chunks are sealed under their document's current generation ([`KeyRing::seal`]), in envelope
//!   version 2, which names the generation: `0x02 ‖ u32be generation ‖ sealed bytes (format 0x02)`.
//! * [`DocKeyState`] is what the relay keeps per document (generations, links, envelopes) and the one
//!   rule both it and the devices apply to an update ([`DocKeyState::apply`]): grants add readers to
//!   the current generation; a rotation must start from the current generation, so of two devices
//!   rotating at once, one wins and the other plans again from the result.

use std::collections::BTreeMap;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::aead::{self, AeadError, KEY_LEN};
use crate::sync_wire::ChunkKind;

/// Version byte of a chunk envelope sealed under a document's generation key.
pub const CHUNK_ENVELOPE_V2: u8 = 2;
/// Format byte of a key envelope (a content key sealed to one device).
pub const KEY_ENVELOPE_FORMAT: u8 = 3;
/// Format byte of a link (generation n's key sealed under generation n + 1's).
pub const KEY_LINK_FORMAT: u8 = 4;
/// Bytes a version-2 chunk envelope adds to the plaintext.
pub const CHUNK_V2_OVERHEAD: usize = 1 + 4 + aead::OVERHEAD;
/// Length of a device public key.
pub const PUBLIC_KEY_LEN: usize = 32;

const ENVELOPE_LABEL: &[u8] = b"tend/key-envelope/v1";
const LINK_LABEL: &[u8] = b"tend/key-link/v1";
const CHUNK_KEY_LABEL: &[u8] = b"tend/chunk-key/v2";
const CHUNK_AAD_LABEL: &[u8] = b"tend/chunk/v2";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("identifier too long ({0} bytes, at most 65535)")]
    IdTooLong(usize),
    #[error("a public key is {PUBLIC_KEY_LEN} bytes, not {0}")]
    PublicKeyLength(usize),
    /// A public key of small order: no shared secret comes from it.
    #[error("that public key cannot be sealed to")]
    WeakPublicKey,
    #[error("sealed bytes too short ({0} bytes)")]
    TooShort(usize),
    #[error("unknown format {0:#04x}")]
    UnknownFormat(u8),
    /// Generation 0 does not exist: the first key is generation 1.
    #[error("generation 0 is not a key generation")]
    GenerationZero,
    /// Wrong key, tampered bytes, or sealed for another workspace, document, generation or device.
    #[error("the sealed bytes do not open with this key here")]
    Open,
    #[error("sealing failed")]
    Seal,
    /// A chunk sealed under a generation this device holds no key for.
    #[error("no key for generation {0} of this document")]
    MissingKey(u32),
    #[error("a link opens generation {0} - 1 from generation {0}; this one names another")]
    LinkGeneration(u32),
}

impl From<AeadError> for KeyError {
    fn from(e: AeadError) -> Self {
        match e {
            AeadError::Random(m) => KeyError::Random(m),
            AeadError::TooShort(n) => KeyError::TooShort(n),
            AeadError::Format(f) => KeyError::UnknownFormat(f),
            AeadError::Open => KeyError::Open,
            AeadError::Seal => KeyError::Seal,
        }
    }
}

fn random_32() -> Result<[u8; 32], KeyError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(b)
}

// ---------------------------------------------------------------------------------------------------
// Device key pairs

/// A device's X25519 secret. Made on the device, never sent anywhere; wiped from memory when dropped.
/// Debug output never shows it.
#[derive(Clone)]
pub struct DeviceSecret(x25519_dalek::StaticSecret);

impl std::fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceSecret(..)")
    }
}

impl DeviceSecret {
    /// A fresh secret from the platform's CSPRNG.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = random_32()?;
        let secret = DeviceSecret(x25519_dalek::StaticSecret::from(bytes));
        bytes.zeroize();
        Ok(secret)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DeviceSecret(x25519_dalek::StaticSecret::from(bytes))
    }

    /// The secret's bytes, to store sealed by the device lock.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn public_key(&self) -> DevicePublicKey {
        DevicePublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }
}

/// A device's X25519 public key, as the workspace document lists it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevicePublicKey([u8; PUBLIC_KEY_LEN]);

impl std::fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevicePublicKey(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

impl DevicePublicKey {
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Self {
        DevicePublicKey(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        <[u8; PUBLIC_KEY_LEN]>::try_from(bytes)
            .map(DevicePublicKey)
            .map_err(|_| KeyError::PublicKeyLength(bytes.len()))
    }

    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// Standard base64, as the workspace document lists it.
    pub fn to_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| KeyError::PublicKeyLength(0))?;
        Self::from_slice(&bytes)
    }
}

// ---------------------------------------------------------------------------------------------------
// Content keys

/// One generation's random 256-bit key of one document. Wiped from memory when dropped; Debug output
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ContentKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentKey(..)")
    }
}

impl ContentKey {
    /// A fresh key from the platform's CSPRNG.
    pub fn generate() -> Result<Self, KeyError> {
        Ok(ContentKey(Zeroizing::new(random_32()?)))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        ContentKey(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// Where a key belongs: which workspace's which document, and its generation (1, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPlace<'a> {
    pub workspace_id: &'a str,
    pub doc_id: &'a str,
    pub generation: u32,
}

fn put_id(out: &mut Vec<u8>, id: &[u8]) -> Result<(), KeyError> {
    let len = u16::try_from(id.len()).map_err(|_| KeyError::IdTooLong(id.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(id);
    Ok(())
}

impl KeyPlace<'_> {
    /// `u16be len ‖ workspace id ‖ u16be len ‖ doc id ‖ u32be generation`.
    fn encode(&self) -> Result<Vec<u8>, KeyError> {
        if self.generation == 0 {
            return Err(KeyError::GenerationZero);
        }
        let mut out = Vec::with_capacity(8 + self.workspace_id.len() + self.doc_id.len());
        put_id(&mut out, self.workspace_id.as_bytes())?;
        put_id(&mut out, self.doc_id.as_bytes())?;
        out.extend_from_slice(&self.generation.to_be_bytes());
        Ok(out)
    }
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, okm.as_mut())
        .map_err(|_| KeyError::Seal)?;
    Ok(okm)
}

fn with_label(label: &[u8], info: &[u8]) -> Vec<u8> {
    let mut a = Vec::with_capacity(label.len() + info.len());
    a.extend_from_slice(label);
    a.extend_from_slice(info);
    a
}

// ---------------------------------------------------------------------------------------------------
// Key envelopes

/// The device on one end of a key envelope: its relay id and public key.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub device_id: &'a str,
    pub public_key: &'a DevicePublicKey,
}

/// The envelope's key and associated data: X25519(own secret, other's public key), then HKDF-SHA256
/// with the place and both parties (sender first) in `info`.
fn envelope_key(
    place: &KeyPlace<'_>,
    own: &DeviceSecret,
    sender: Party<'_>,
    recipient: Party<'_>,
    other: &DevicePublicKey,
) -> Result<(Zeroizing<[u8; KEY_LEN]>, Vec<u8>), KeyError> {
    let shared = own
        .0
        .diffie_hellman(&x25519_dalek::PublicKey::from(*other.as_bytes()));
    if !shared.was_contributory() {
        return Err(KeyError::WeakPublicKey);
    }
    let mut info = place.encode()?;
    for party in [sender, recipient] {
        put_id(&mut info, party.device_id.as_bytes())?;
        info.extend_from_slice(party.public_key.as_bytes());
    }
    let key = hkdf(ENVELOPE_LABEL, shared.as_bytes(), &info)?;
    Ok((key, with_label(ENVELOPE_LABEL, &info)))
}

/// Seals `key` (the document's key of `place.generation`) from the sending device to one recipient.
/// Envelope: `0x03` ‖ nonce (24) ‖ ciphertext of the 32-byte key ‖ tag (16) = 73 bytes.
pub fn seal_content_key(
    place: &KeyPlace<'_>,
    sender_id: &str,
    sender_secret: &DeviceSecret,
    recipient: Party<'_>,
    key: &ContentKey,
) -> Result<Vec<u8>, KeyError> {
    let sender_public = sender_secret.public_key();
    let sender = Party {
        device_id: sender_id,
        public_key: &sender_public,
    };
    let (k, aad) = envelope_key(
        place,
        sender_secret,
        sender,
        recipient,
        recipient.public_key,
    )?;
    Ok(aead::seal(&k, KEY_ENVELOPE_FORMAT, &aad, key.as_bytes())?)
}

/// Opens a key envelope sealed to this device by `sender` (whose public key the caller took from the
/// workspace document, never from the relay). Never panics on any bytes.
pub fn open_content_key(
    place: &KeyPlace<'_>,
    sender: Party<'_>,
    recipient_id: &str,
    recipient_secret: &DeviceSecret,
    envelope: &[u8],
) -> Result<ContentKey, KeyError> {
    let recipient_public = recipient_secret.public_key();
    let recipient = Party {
        device_id: recipient_id,
        public_key: &recipient_public,
    };
    let (k, aad) = envelope_key(
        place,
        recipient_secret,
        sender,
        recipient,
        sender.public_key,
    )?;
    let plain = Zeroizing::new(aead::open(&k, KEY_ENVELOPE_FORMAT, &aad, envelope)?);
    <[u8; KEY_LEN]>::try_from(plain.as_slice())
        .map(ContentKey::from_bytes)
        .map_err(|_| KeyError::Open)
}

// ---------------------------------------------------------------------------------------------------
// Links

fn link_key(
    new: &KeyPlace<'_>,
    new_key: &ContentKey,
) -> Result<(Zeroizing<[u8; 32]>, Vec<u8>), KeyError> {
    let info = new.encode()?;
    Ok((
        hkdf(LINK_LABEL, new_key.as_bytes(), &info)?,
        with_label(LINK_LABEL, &info),
    ))
}

/// Seals generation `new.generation - 1`'s key under `new.generation`'s. Link: `0x04` ‖ nonce ‖
/// ciphertext of the 32-byte key ‖ tag.
pub fn seal_link(
    new: &KeyPlace<'_>,
    new_key: &ContentKey,
    previous_key: &ContentKey,
) -> Result<Vec<u8>, KeyError> {
    if new.generation < 2 {
        return Err(KeyError::LinkGeneration(new.generation));
    }
    let (k, aad) = link_key(new, new_key)?;
    Ok(aead::seal(
        &k,
        KEY_LINK_FORMAT,
        &aad,
        previous_key.as_bytes(),
    )?)
}

/// Opens a link with the newer key: the key of generation `new.generation - 1`.
pub fn open_link(
    new: &KeyPlace<'_>,
    new_key: &ContentKey,
    link: &[u8],
) -> Result<ContentKey, KeyError> {
    if new.generation < 2 {
        return Err(KeyError::LinkGeneration(new.generation));
    }
    let (k, aad) = link_key(new, new_key)?;
    let plain = Zeroizing::new(aead::open(&k, KEY_LINK_FORMAT, &aad, link)?);
    <[u8; KEY_LEN]>::try_from(plain.as_slice())
        .map(ContentKey::from_bytes)
        .map_err(|_| KeyError::Open)
}

// ---------------------------------------------------------------------------------------------------
// Chunks under a generation's key

/// The generation a version-2 chunk envelope was sealed under, if these bytes are one.
pub fn chunk_generation(envelope: &[u8]) -> Option<u32> {
    match envelope {
        [CHUNK_ENVELOPE_V2, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// Every key of one document this device holds, by generation.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRing {
    workspace_id: String,
    doc_id: String,
    keys: BTreeMap<u32, ContentKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("doc_id", &self.doc_id)
            .field("generations", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    pub fn new(workspace_id: &str, doc_id: &str) -> Self {
        KeyRing {
            workspace_id: workspace_id.to_owned(),
            doc_id: doc_id.to_owned(),
            keys: BTreeMap::new(),
        }
    }

    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    pub fn doc_id(&self) -> &str {
        &self.doc_id
    }

    pub fn place(&self, generation: u32) -> KeyPlace<'_> {
        KeyPlace {
            workspace_id: &self.workspace_id,
            doc_id: &self.doc_id,
            generation,
        }
    }

    pub fn insert(&mut self, generation: u32, key: ContentKey) -> Result<(), KeyError> {
        if generation == 0 {
            return Err(KeyError::GenerationZero);
        }
        self.keys.insert(generation, key);
        Ok(())
    }

    /// The newest generation held and its key.
    pub fn current(&self) -> Option<(u32, &ContentKey)> {
        self.keys.iter().next_back().map(|(g, k)| (*g, k))
    }

    pub fn get(&self, generation: u32) -> Option<&ContentKey> {
        self.keys.get(&generation)
    }

    pub fn generations(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Follows the chain down from every key held: `links` are the document's links by the generation
    /// that seals them (generation n's link holds key n - 1). Returns how many keys were added. A link
    /// that does not open is skipped (the walk goes on from the next key held) and the first such
    /// failure is returned once the walk is done; the keys opened meanwhile stay.
    pub fn unlink(&mut self, links: &BTreeMap<u32, Vec<u8>>) -> Result<usize, KeyError> {
        let mut added = 0;
        let mut first_error = None;
        let mut generation = match self.current() {
            Some((g, _)) => g,
            None => return Ok(0),
        };
        while generation > 1 {
            if !self.keys.contains_key(&(generation - 1)) {
                let (Some(key), Some(link)) = (self.keys.get(&generation), links.get(&generation))
                else {
                    // Not held and not linked from here: continue below from what is held.
                    generation -= 1;
                    continue;
                };
                match open_link(&self.place(generation), key, link) {
                    Ok(older) => {
                        self.keys.insert(generation - 1, older);
                        added += 1;
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            generation -= 1;
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(added),
        }
    }

    fn chunk_key(&self, generation: u32) -> Result<(Zeroizing<[u8; 32]>, Vec<u8>), KeyError> {
        let key = self
            .keys
            .get(&generation)
            .ok_or(KeyError::MissingKey(generation))?;
        let info = self.place(generation).encode()?;
        let k = hkdf(CHUNK_KEY_LABEL, key.as_bytes(), &info)?;
        Ok((k, info))
    }

    fn chunk_aad(info: &[u8], kind: ChunkKind) -> Vec<u8> {
        let mut a = with_label(CHUNK_AAD_LABEL, info);
        a.extend_from_slice(kind.as_str().as_bytes());
        a
    }

    /// Seals a chunk under the newest generation held.
    pub fn seal(&self, kind: ChunkKind, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let generation = self
            .current()
            .map(|(g, _)| g)
            .ok_or(KeyError::MissingKey(1))?;
        self.seal_under(generation, kind, plaintext)
    }

    /// Seals a chunk under one generation: `0x02 ‖ u32be generation ‖ 0x02 ‖ nonce ‖ ciphertext ‖ tag`.
    pub fn seal_under(
        &self,
        generation: u32,
        kind: ChunkKind,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let (k, info) = self.chunk_key(generation)?;
        let sealed = aead::seal(
            &k,
            CHUNK_ENVELOPE_V2,
            &Self::chunk_aad(&info, kind),
            plaintext,
        )?;
        let mut out = Vec::with_capacity(5 + sealed.len());
        out.push(CHUNK_ENVELOPE_V2);
        out.extend_from_slice(&generation.to_be_bytes());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a version-2 chunk envelope of this document and kind. Never panics on any bytes.
    pub fn open(&self, kind: ChunkKind, envelope: &[u8]) -> Result<Vec<u8>, KeyError> {
        let generation = match envelope.first() {
            Some(&CHUNK_ENVELOPE_V2) => {
                chunk_generation(envelope).ok_or(KeyError::TooShort(envelope.len()))?
            }
            Some(&other) => return Err(KeyError::UnknownFormat(other)),
            None => return Err(KeyError::TooShort(0)),
        };
        let (k, info) = self.chunk_key(generation)?;
        Ok(aead::open(
            &k,
            CHUNK_ENVELOPE_V2,
            &Self::chunk_aad(&info, kind),
            &envelope[5..],
        )?)
    }
}

// ---------------------------------------------------------------------------------------------------
// What the relay keeps per document, and the rule for updates

/// One key envelope as stored: who sealed it, and the sealed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedKey {
    pub sender: String,
    pub envelope: Vec<u8>,
}

/// One generation of a document's key: its link to the previous one (none for generation 1) and an
/// envelope per reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationRecord {
    pub link: Option<Vec<u8>>,
    pub envelopes: BTreeMap<String, SealedKey>,
}

/// A change to a document's keys, sent by one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUpdate {
    /// More readers of the current generation (a device joined a care team, a new device of a member).
    Grant {
        generation: u32,
        envelopes: BTreeMap<String, Vec<u8>>,
    },
    /// Generation `from + 1` with a fresh key: its readers are exactly `envelopes`' recipients. `link`
    /// (key `from` sealed under the new key) is required unless `from` is 0 (the document's first key).
    Rotate {
        from: u32,
        link: Option<Vec<u8>>,
        envelopes: BTreeMap<String, Vec<u8>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyUpdateError {
    /// Another device changed the keys first: plan again from generation `current`.
    #[error("the document's keys are at generation {current}; plan again from there")]
    Stale { current: u32 },
    /// The sending device is not a reader of the current generation (it cannot hold the key).
    #[error("this device does not hold the document's current key")]
    NotReader,
    #[error("a rotation names no reader")]
    NoReaders,
    #[error("a rotation from generation {0} needs a link to it (and the first key has none)")]
    Link(u32),
    #[error("generations end at {}", u32::MAX)]
    Exhausted,
    /// A chunk sealed under another generation than the document's current one (or, once the document
    /// has keys, in the workspace-key envelope of version 1).
    #[error(
        "the chunk is sealed under {sealed:?}; the document's current key generation is {current}"
    )]
    ChunkGeneration { sealed: Option<u32>, current: u32 },
}

/// Everything the relay holds about one document's keys. With no generation at all the document is
/// a version-1 one (keys derived from the workspace key) and every device of the workspace may read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocKeyState {
    pub generations: BTreeMap<u32, GenerationRecord>,
}

impl DocKeyState {
    /// The current generation; 0 when the document has no keys yet.
    pub fn current(&self) -> u32 {
        self.generations.keys().next_back().copied().unwrap_or(0)
    }

    /// The readers of the current generation: the devices that may pull, push and be notified.
    pub fn readers(&self) -> impl Iterator<Item = &str> + '_ {
        self.generations
            .values()
            .next_back()
            .into_iter()
            .flat_map(|g| g.envelopes.keys().map(String::as_str))
    }

    pub fn is_reader(&self, device_id: &str) -> bool {
        self.generations
            .values()
            .next_back()
            .is_some_and(|g| g.envelopes.contains_key(device_id))
    }

    /// The links by the generation that seals them, for [`KeyRing::unlink`].
    pub fn links(&self) -> BTreeMap<u32, Vec<u8>> {
        self.generations
            .iter()
            .filter_map(|(g, r)| r.link.clone().map(|l| (*g, l)))
            .collect()
    }

    /// Whether a pushed chunk may be stored: once the document has keys, only under its current
    /// generation, so nothing written after a rotation is readable with a key a removed device had.
    /// (A document without keys is a version-1 one: any envelope.)
    pub fn accepts_chunk(&self, envelope: &[u8]) -> Result<(), KeyUpdateError> {
        let current = self.current();
        let sealed = chunk_generation(envelope);
        if current == 0 || sealed == Some(current) {
            Ok(())
        } else {
            Err(KeyUpdateError::ChunkGeneration { sealed, current })
        }
    }

    /// Applies `update` from `sender`, or changes nothing and says why. A grant to a device that
    /// already has an envelope of that generation keeps the first one (so a repeated grant is
    /// harmless).
    pub fn apply(&mut self, sender: &str, update: &KeyUpdate) -> Result<(), KeyUpdateError> {
        let current = self.current();
        match update {
            KeyUpdate::Grant {
                generation,
                envelopes,
            } => {
                if *generation != current || current == 0 {
                    return Err(KeyUpdateError::Stale { current });
                }
                if !self.is_reader(sender) {
                    return Err(KeyUpdateError::NotReader);
                }
                let record = self.generations.entry(current).or_default();
                for (recipient, envelope) in envelopes {
                    record
                        .envelopes
                        .entry(recipient.clone())
                        .or_insert_with(|| SealedKey {
                            sender: sender.to_owned(),
                            envelope: envelope.clone(),
                        });
                }
                Ok(())
            }
            KeyUpdate::Rotate {
                from,
                link,
                envelopes,
            } => {
                if *from != current {
                    return Err(KeyUpdateError::Stale { current });
                }
                if current > 0 && !self.is_reader(sender) {
                    return Err(KeyUpdateError::NotReader);
                }
                if envelopes.is_empty() {
                    return Err(KeyUpdateError::NoReaders);
                }
                if link.is_some() != (current > 0) {
                    return Err(KeyUpdateError::Link(current));
                }
                let next = current.checked_add(1).ok_or(KeyUpdateError::Exhausted)?;
                let envelopes = envelopes
                    .iter()
                    .map(|(recipient, envelope)| {
                        (
                            recipient.clone(),
                            SealedKey {
                                sender: sender.to_owned(),
                                envelope: envelope.clone(),
                            },
                        )
                    })
                    .collect();
                self.generations.insert(
                    next,
                    GenerationRecord {
                        link: link.clone(),
                        envelopes,
                    },
                );
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// JSON bodies (sync_wire) ↔ the model

/// Why a key update body is not one update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyBodyError {
    #[error("a key update has exactly one of `grant` and `rotate`")]
    NotOne,
    #[error("device {0} has two envelopes in one update")]
    TwoEnvelopes(String),
}

fn envelope_map(
    envelopes: Vec<crate::sync_wire::EnvelopeFor>,
) -> Result<BTreeMap<String, Vec<u8>>, KeyBodyError> {
    let mut out = BTreeMap::new();
    for e in envelopes {
        if out.insert(e.recipient.clone(), e.envelope).is_some() {
            return Err(KeyBodyError::TwoEnvelopes(e.recipient));
        }
    }
    Ok(out)
}

fn envelope_list(envelopes: &BTreeMap<String, Vec<u8>>) -> Vec<crate::sync_wire::EnvelopeFor> {
    envelopes
        .iter()
        .map(|(recipient, envelope)| crate::sync_wire::EnvelopeFor {
            recipient: recipient.clone(),
            envelope: envelope.clone(),
        })
        .collect()
}

impl KeyUpdate {
    /// The request body sending this update for `doc_id`.
    pub fn to_request(&self, doc_id: &str) -> crate::sync_wire::KeyUpdateRequest {
        use crate::sync_wire::{GrantBody, KeyUpdateRequest, RotateBody};
        let (grant, rotate) = match self {
            KeyUpdate::Grant {
                generation,
                envelopes,
            } => (
                Some(GrantBody {
                    generation: *generation,
                    envelopes: envelope_list(envelopes),
                }),
                None,
            ),
            KeyUpdate::Rotate {
                from,
                link,
                envelopes,
            } => (
                None,
                Some(RotateBody {
                    from: *from,
                    link: link.clone(),
                    envelopes: envelope_list(envelopes),
                }),
            ),
        };
        KeyUpdateRequest {
            doc_id: doc_id.to_owned(),
            grant,
            rotate,
        }
    }

    /// The update a request body carries.
    pub fn from_request(req: crate::sync_wire::KeyUpdateRequest) -> Result<Self, KeyBodyError> {
        match (req.grant, req.rotate) {
            (Some(g), None) => Ok(KeyUpdate::Grant {
                generation: g.generation,
                envelopes: envelope_map(g.envelopes)?,
            }),
            (None, Some(r)) => Ok(KeyUpdate::Rotate {
                from: r.from,
                link: r.link,
                envelopes: envelope_map(r.envelopes)?,
            }),
            _ => Err(KeyBodyError::NotOne),
        }
    }

    /// A document's first key (a rotation from no keys).
    pub fn is_first(&self) -> bool {
        matches!(self, KeyUpdate::Rotate { from: 0, .. })
    }

    /// Every envelope's recipient.
    pub fn recipients(&self) -> impl Iterator<Item = &str> + '_ {
        match self {
            KeyUpdate::Grant { envelopes, .. } | KeyUpdate::Rotate { envelopes, .. } => {
                envelopes.keys().map(String::as_str)
            }
        }
    }
}

impl DocKeyState {
    /// The body of `GET …/keys/{doc}`.
    pub fn to_response(&self, doc_id: &str) -> crate::sync_wire::DocKeysResponse {
        use crate::sync_wire::{DocKeysResponse, GenerationBody, StoredEnvelope};
        DocKeysResponse {
            doc_id: doc_id.to_owned(),
            generations: self
                .generations
                .iter()
                .map(|(generation, r)| GenerationBody {
                    generation: *generation,
                    link: r.link.clone(),
                    envelopes: r
                        .envelopes
                        .iter()
                        .map(|(recipient, k)| StoredEnvelope {
                            recipient: recipient.clone(),
                            sender: k.sender.clone(),
                            envelope: k.envelope.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The state a `GET …/keys/{doc}` body describes.
    pub fn from_response(body: crate::sync_wire::DocKeysResponse) -> Self {
        DocKeyState {
            generations: body
                .generations
                .into_iter()
                .map(|g| {
                    (
                        g.generation,
                        GenerationRecord {
                            link: g.link,
                            envelopes: g
                                .envelopes
                                .into_iter()
                                .map(|e| {
                                    (
                                        e.recipient,
                                        SealedKey {
                                            sender: e.sender,
                                            envelope: e.envelope,
                                        },
                                    )
                                })
                                .collect(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// Records a change from the pull feed, as the pulling device `me` learns it: the generation's
    /// link, its readers (other readers' envelopes are not carried: they are kept empty) and the
    /// envelope sealed to `me`. A change for another document is ignored.
    pub fn record_change(&mut self, change: &crate::sync_wire::KeyChange, me: &str) {
        if change.generation == 0 {
            return;
        }
        let record = self.generations.entry(change.generation).or_default();
        if change.link.is_some() {
            record.link = change.link.clone();
        }
        record.envelopes.retain(|r, _| change.readers.contains(r));
        for reader in &change.readers {
            record
                .envelopes
                .entry(reader.clone())
                .or_insert_with(|| SealedKey {
                    sender: String::new(),
                    envelope: Vec::new(),
                });
        }
        if let Some(mine) = change.mine.as_ref().filter(|m| m.recipient == me) {
            record.envelopes.insert(
                me.to_owned(),
                SealedKey {
                    sender: mine.sender.clone(),
                    envelope: mine.envelope.clone(),
                },
            );
        }
    }

    /// Whether `device_id` has an envelope of any generation (it reads, or once read, the document).
    pub fn ever_read_by(&self, device_id: &str) -> bool {
        self.generations
            .values()
            .any(|g| g.envelopes.contains_key(device_id))
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
