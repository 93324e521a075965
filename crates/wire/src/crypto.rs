//! End-to-end encryption of sync chunks, and the join code that carries the workspace key between devices.
//!
//! * A random 256-bit [`WorkspaceKey`] is shared by the workspace's devices (via the [`JoinCode`]) and
//!   never sent to the relay.
//! * Each document gets its own key: HKDF-SHA256(ikm = workspace key, salt = "tend/doc-key/v1",
//!   info = len‖workspace id‖len‖doc id).
//! * Chunks and snapshots are sealed with [`crate::aead`] (XChaCha20-Poly1305, random 192-bit nonce). The associated
//!   data binds the ciphertext to its place: version, workspace id, doc id and chunk kind. A chunk moved to
//!   another document, workspace or kind fails to open with [`CryptoError::Decrypt`].
//!
//! Envelope (bytes): `0x01` (version) ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes).
//! Associated data: `"tend/chunk/v1"` ‖ u16be len ‖ workspace id ‖ u16be len ‖ doc id ‖ kind
//! (`"change"` | `"snapshot"`).
//!
//! Sans-IO: callers may pass the key and nonce bytes themselves; [`WorkspaceKey::generate`] and
//! [`seal`] take randomness from `getrandom` (on wasm32 the app enables its JS backend).

use base64::Engine as _;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use crate::aead::{self, AeadError};
pub use crate::aead::{KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::keys::ContentKey;
use crate::sync_wire::{ChunkKind, PulledChunk, PushChunk};

/// Version byte of the chunk envelope (the [`aead`] format byte).
pub const ENVELOPE_VERSION: u8 = 1;
/// Bytes an envelope adds to the plaintext.
pub const ENVELOPE_OVERHEAD: usize = aead::OVERHEAD;

const AAD_LABEL: &[u8] = b"tend/chunk/v1";
const HKDF_SALT: &[u8] = b"tend/doc-key/v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("envelope too short ({0} bytes)")]
    TooShort(usize),
    #[error("unknown envelope version {0}")]
    UnknownVersion(u8),
    /// Wrong key, tampered bytes, or a chunk presented for another workspace, document or kind.
    #[error("the chunk does not open with this key for this workspace, document and kind")]
    Decrypt,
    #[error("identifier too long ({0} bytes, at most 65535)")]
    IdTooLong(usize),
    #[error("encryption failed")]
    Encrypt,
}

impl From<AeadError> for CryptoError {
    fn from(e: AeadError) -> Self {
        match e {
            AeadError::Random(m) => CryptoError::Random(m),
            AeadError::TooShort(n) => CryptoError::TooShort(n),
            AeadError::Format(v) => CryptoError::UnknownVersion(v),
            AeadError::Open => CryptoError::Decrypt,
            AeadError::Seal => CryptoError::Encrypt,
        }
    }
}

/// The workspace's 256-bit secret. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WorkspaceKey([u8; KEY_LEN]);

impl std::fmt::Debug for WorkspaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkspaceKey(..)")
    }
}

impl WorkspaceKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        WorkspaceKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A fresh random key from the platform's CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut k = [0u8; KEY_LEN];
        getrandom::fill(&mut k).map_err(|e| CryptoError::Random(e.to_string()))?;
        Ok(WorkspaceKey(k))
    }

    /// The key of one document: HKDF-SHA256 with the workspace and document ids in `info`.
    pub fn doc_key(&self, workspace_id: &str, doc_id: &str) -> Result<DocKey, CryptoError> {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.0);
        let ws_len = id_len(workspace_id)?;
        let doc_len = id_len(doc_id)?;
        let mut okm = [0u8; KEY_LEN];
        hk.expand_multi_info(
            &[
                &ws_len,
                workspace_id.as_bytes(),
                &doc_len,
                doc_id.as_bytes(),
            ],
            &mut okm,
        )
        .map_err(|_| CryptoError::Encrypt)?;
        Ok(DocKey {
            key: okm,
            workspace_id: workspace_id.to_owned(),
            doc_id: doc_id.to_owned(),
        })
    }
}

/// A document's derived key, bound to the ids it was derived for.
#[derive(Clone)]
pub struct DocKey {
    key: [u8; KEY_LEN],
    workspace_id: String,
    doc_id: String,
}

impl std::fmt::Debug for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocKey")
            .field("workspace_id", &self.workspace_id)
            .field("doc_id", &self.doc_id)
            .finish_non_exhaustive()
    }
}

fn id_len(id: &str) -> Result<[u8; 2], CryptoError> {
    u16::try_from(id.len())
        .map(u16::to_be_bytes)
        .map_err(|_| CryptoError::IdTooLong(id.len()))
}

fn aad(workspace_id: &str, doc_id: &str, kind: ChunkKind) -> Result<Vec<u8>, CryptoError> {
    let mut a = Vec::with_capacity(AAD_LABEL.len() + 4 + workspace_id.len() + doc_id.len() + 8);
    a.extend_from_slice(AAD_LABEL);
    a.extend_from_slice(&id_len(workspace_id)?);
    a.extend_from_slice(workspace_id.as_bytes());
    a.extend_from_slice(&id_len(doc_id)?);
    a.extend_from_slice(doc_id.as_bytes());
    a.extend_from_slice(kind.as_str().as_bytes());
    Ok(a)
}

impl DocKey {
    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    pub fn doc_id(&self) -> &str {
        &self.doc_id
    }

    /// Seals `plaintext` with the given nonce (must never repeat under this key; random is fine).
    pub fn seal_with_nonce(
        &self,
        kind: ChunkKind,
        plaintext: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>, CryptoError> {
        let aad = aad(&self.workspace_id, &self.doc_id, kind)?;
        aead::seal_with_nonce(&self.key, ENVELOPE_VERSION, &aad, plaintext, nonce)
            .map_err(CryptoError::from)
    }

    /// Seals with a random nonce.
    pub fn seal(&self, kind: ChunkKind, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let aad = aad(&self.workspace_id, &self.doc_id, kind)?;
        aead::seal(&self.key, ENVELOPE_VERSION, &aad, plaintext).map_err(CryptoError::from)
    }

    /// Opens an envelope sealed for this workspace, document and kind. Never panics on any bytes.
    pub fn open(&self, kind: ChunkKind, envelope: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let aad = aad(&self.workspace_id, &self.doc_id, kind)?;
        aead::open(&self.key, ENVELOPE_VERSION, &aad, envelope).map_err(CryptoError::from)
    }
}

/// Convenience: derive the document key and seal with a random nonce.
pub fn seal(
    key: &WorkspaceKey,
    workspace_id: &str,
    doc_id: &str,
    kind: ChunkKind,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    key.doc_key(workspace_id, doc_id)?.seal(kind, plaintext)
}

/// Convenience: derive the document key and open.
pub fn open(
    key: &WorkspaceKey,
    workspace_id: &str,
    doc_id: &str,
    kind: ChunkKind,
    envelope: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    key.doc_key(workspace_id, doc_id)?.open(kind, envelope)
}

/// Seals a document's bytes into a ready-to-send [`PushChunk`] (`covers_seq` only for snapshots).
pub fn seal_push_chunk(
    key: &WorkspaceKey,
    workspace_id: &str,
    doc_id: &str,
    kind: ChunkKind,
    covers_seq: Option<u64>,
    client_chunk_id: &str,
    plaintext: &[u8],
) -> Result<PushChunk, CryptoError> {
    let envelope = seal(key, workspace_id, doc_id, kind, plaintext)?;
    Ok(PushChunk {
        client_chunk_id: client_chunk_id.to_owned(),
        doc_id: doc_id.to_owned(),
        kind,
        covers_seq,
        ciphertext: envelope,
    })
}

/// Opens a chunk from a pull page: checks it belongs to this workspace, its document and its kind.
pub fn open_pulled_chunk(
    key: &WorkspaceKey,
    workspace_id: &str,
    chunk: &PulledChunk,
) -> Result<Vec<u8>, CryptoError> {
    open(
        key,
        workspace_id,
        &chunk.doc_id,
        chunk.kind,
        &chunk.ciphertext,
    )
}

// ---------------------------------------------------------------------------------------------------
// Join code

/// Version byte of a join code payload without the workspace document's key (its document has no
/// keys yet) and with it.
pub const JOIN_CODE_VERSION: u8 = 1;
pub const JOIN_CODE_VERSION_DOC_KEY: u8 = 2;
/// Every join code starts with this, so a scanned QR is recognisable.
pub const JOIN_CODE_PREFIX: &str = "TEND1-";
const JOIN_CHECKSUM_LEN: usize = 4;
/// Longest accepted join code string (a QR code holds far more, but nothing legitimate is longer).
pub const JOIN_CODE_MAX_LEN: usize = 2048;

/// What a new device needs to join a workspace: where the relay is, which workspace, a one-time secret
/// to register with the relay, and the workspace key (which the relay never sees).
#[derive(Clone, PartialEq, Eq)]
pub struct JoinCode {
    pub relay_url: String,
    pub workspace_id: String,
    pub join_secret: String,
    pub key: WorkspaceKey,
    /// The workspace document's current key (none before it has keys): a new device reads the
    /// roster and pushes its own link with it before any device has sealed the key to it.
    pub doc_key: Option<JoinDocKey>,
    /// Whom the invite is for: the new device belongs to this person of the roster.
    pub person: Option<InvitedPerson>,
}

/// One generation of the workspace document's key, as a join code carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinDocKey {
    pub generation: u32,
    pub key: ContentKey,
}

impl std::fmt::Debug for JoinDocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinDocKey")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// The person a join code is for, as the inviting device's roster knows them (id, name, role
/// id). The code never reaches the relay: it is passed from hand to hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitedPerson {
    pub id: String,
    pub name: String,
    pub role: String,
}

impl std::fmt::Debug for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinCode")
            .field("relay_url", &self.relay_url)
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinCodeError {
    #[error("this is not a Tend join code")]
    NotAJoinCode,
    #[error("the join code is too long")]
    TooLong,
    #[error("the join code contains characters that do not belong in it")]
    BadEncoding,
    #[error("the join code was made by a newer version of Tend (version {0})")]
    UnknownVersion(u8),
    #[error("the join code is incomplete or mistyped")]
    Truncated,
    #[error("the join code is mistyped (checksum mismatch)")]
    Checksum,
    #[error("the join code's {0} is not valid text")]
    BadText(&'static str),
    #[error("the join code's {0} is too long")]
    FieldTooLong(&'static str),
}

fn put_field(out: &mut Vec<u8>, s: &str, what: &'static str) -> Result<(), JoinCodeError> {
    let len = u16::try_from(s.len()).map_err(|_| JoinCodeError::FieldTooLong(what))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn take_field(buf: &mut &[u8], what: &'static str) -> Result<String, JoinCodeError> {
    if buf.len() < 2 {
        return Err(JoinCodeError::Truncated);
    }
    let len = u16::from_be_bytes([buf[0], buf[1]]) as usize;
    let rest = &buf[2..];
    if rest.len() < len {
        return Err(JoinCodeError::Truncated);
    }
    let s = std::str::from_utf8(&rest[..len]).map_err(|_| JoinCodeError::BadText(what))?;
    *buf = &rest[len..];
    Ok(s.to_owned())
}

fn checksum(payload: &[u8]) -> [u8; JOIN_CHECKSUM_LEN] {
    let d = Sha256::digest(payload);
    [d[0], d[1], d[2], d[3]]
}

impl JoinCode {
    /// `TEND1-` ‖ base64url (no padding) of: version ‖ key (32) ‖ (version 2 only: u32be
    /// generation ‖ the workspace document's key of that generation (32)) ‖ u16be len ‖ workspace
    /// id ‖ u16be len ‖ join secret ‖ u16be len ‖ relay URL ‖ (optionally, for an invite naming a
    /// person: u16be len ‖ person id ‖ u16be len ‖ name ‖ u16be len ‖ role) ‖ first 4 bytes of
    /// SHA-256 of everything before. Version 1 without `doc_key`, version 2 with it.
    pub fn encode(&self) -> Result<String, JoinCodeError> {
        let mut p = Vec::with_capacity(100 + self.relay_url.len() + self.join_secret.len());
        match &self.doc_key {
            None => {
                p.push(JOIN_CODE_VERSION);
                p.extend_from_slice(self.key.as_bytes());
            }
            Some(d) => {
                p.push(JOIN_CODE_VERSION_DOC_KEY);
                p.extend_from_slice(self.key.as_bytes());
                p.extend_from_slice(&d.generation.to_be_bytes());
                p.extend_from_slice(d.key.as_bytes());
            }
        }
        put_field(&mut p, &self.workspace_id, "workspace id")?;
        put_field(&mut p, &self.join_secret, "join secret")?;
        put_field(&mut p, &self.relay_url, "relay URL")?;
        if let Some(person) = &self.person {
            put_field(&mut p, &person.id, "person id")?;
            put_field(&mut p, &person.name, "person name")?;
            put_field(&mut p, &person.role, "person role")?;
        }
        let c = checksum(&p);
        p.extend_from_slice(&c);
        let s = format!(
            "{JOIN_CODE_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&p)
        );
        if s.len() > JOIN_CODE_MAX_LEN {
            return Err(JoinCodeError::TooLong);
        }
        Ok(s)
    }

    /// Parses a join code (surrounding whitespace ignored). Never panics.
    pub fn parse(s: &str) -> Result<Self, JoinCodeError> {
        let s = s.trim();
        if s.len() > JOIN_CODE_MAX_LEN {
            return Err(JoinCodeError::TooLong);
        }
        let body = match s.get(..JOIN_CODE_PREFIX.len()) {
            Some(p) if p.eq_ignore_ascii_case(JOIN_CODE_PREFIX) => &s[JOIN_CODE_PREFIX.len()..],
            _ => return Err(JoinCodeError::NotAJoinCode),
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| JoinCodeError::BadEncoding)?;
        let Some((&version, _)) = bytes.split_first() else {
            return Err(JoinCodeError::Truncated);
        };
        let keys_len = match version {
            JOIN_CODE_VERSION => KEY_LEN,
            JOIN_CODE_VERSION_DOC_KEY => KEY_LEN + 4 + KEY_LEN,
            other => return Err(JoinCodeError::UnknownVersion(other)),
        };
        if bytes.len() < 1 + keys_len + 6 + JOIN_CHECKSUM_LEN {
            return Err(JoinCodeError::Truncated);
        }
        let (payload, sum) = bytes.split_at(bytes.len() - JOIN_CHECKSUM_LEN);
        if checksum(payload) != sum {
            return Err(JoinCodeError::Checksum);
        }
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&payload[1..1 + KEY_LEN]);
        let doc_key = match version {
            JOIN_CODE_VERSION => None,
            _ => {
                let at = 1 + KEY_LEN;
                let mut generation = [0u8; 4];
                generation.copy_from_slice(&payload[at..at + 4]);
                let mut doc = [0u8; KEY_LEN];
                doc.copy_from_slice(&payload[at + 4..at + 4 + KEY_LEN]);
                let generation = u32::from_be_bytes(generation);
                if generation == 0 {
                    return Err(JoinCodeError::Truncated);
                }
                Some(JoinDocKey {
                    generation,
                    key: ContentKey::from_bytes(doc),
                })
            }
        };
        let mut rest = &payload[1 + keys_len..];
        let workspace_id = take_field(&mut rest, "workspace id")?;
        let join_secret = take_field(&mut rest, "join secret")?;
        let relay_url = take_field(&mut rest, "relay URL")?;
        let person = if rest.is_empty() {
            None
        } else {
            Some(InvitedPerson {
                id: take_field(&mut rest, "person id")?,
                name: take_field(&mut rest, "person name")?,
                role: take_field(&mut rest, "person role")?,
            })
        };
        if !rest.is_empty() {
            return Err(JoinCodeError::Truncated);
        }
        Ok(JoinCode {
            relay_url,
            workspace_id,
            join_secret,
            key: WorkspaceKey::from_bytes(key),
            doc_key,
            person,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> WorkspaceKey {
        WorkspaceKey::from_bytes([7u8; 32])
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn round_trip_both_kinds() {
        let k = WorkspaceKey::generate().unwrap();
        for kind in [ChunkKind::Change, ChunkKind::Snapshot] {
            for len in [0usize, 1, 1000, 100_000] {
                let pt: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                let env = seal(&k, "ws1", "doc1", kind, &pt).unwrap();
                assert_eq!(env.len(), pt.len() + ENVELOPE_OVERHEAD);
                assert_eq!(open(&k, "ws1", "doc1", kind, &env).unwrap(), pt);
            }
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn deterministic_with_given_nonce_and_distinct_doc_keys() {
        let a = key().doc_key("ws", "a").unwrap();
        let b = key().doc_key("ws", "b").unwrap();
        let e1 = a.seal_with_nonce(ChunkKind::Change, b"x", [1; 24]).unwrap();
        let e2 = a.seal_with_nonce(ChunkKind::Change, b"x", [1; 24]).unwrap();
        assert_eq!(e1, e2);
        let e3 = b.seal_with_nonce(ChunkKind::Change, b"x", [1; 24]).unwrap();
        assert_ne!(e1[25..], e3[25..]);
        // Random nonces differ.
        assert_ne!(
            a.seal(ChunkKind::Change, b"x").unwrap(),
            a.seal(ChunkKind::Change, b"x").unwrap()
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn tampering_is_detected() {
        let k = key();
        let env = seal(&k, "ws", "doc", ChunkKind::Change, b"hello patient").unwrap();
        for i in 0..env.len() {
            let mut t = env.clone();
            t[i] ^= 0x01;
            let r = open(&k, "ws", "doc", ChunkKind::Change, &t);
            if i == 0 {
                assert_eq!(r, Err(CryptoError::UnknownVersion(0)));
            } else {
                assert_eq!(r, Err(CryptoError::Decrypt), "flip at {i}");
            }
        }
        let mut longer = env.clone();
        longer.push(0);
        assert_eq!(
            open(&k, "ws", "doc", ChunkKind::Change, &longer),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            open(&k, "ws", "doc", ChunkKind::Change, &env[..10]),
            Err(CryptoError::TooShort(10))
        );
        let other = WorkspaceKey::from_bytes([8u8; 32]);
        assert_eq!(
            open(&other, "ws", "doc", ChunkKind::Change, &env),
            Err(CryptoError::Decrypt)
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn misplaced_chunks_do_not_open() {
        let k = key();
        let env = seal(&k, "ws", "doc", ChunkKind::Change, b"data").unwrap();
        assert_eq!(
            open(&k, "ws", "doc2", ChunkKind::Change, &env),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            open(&k, "ws2", "doc", ChunkKind::Change, &env),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            open(&k, "ws", "doc", ChunkKind::Snapshot, &env),
            Err(CryptoError::Decrypt)
        );
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        let env = seal(&k, "ab", "c", ChunkKind::Change, b"data").unwrap();
        assert_eq!(
            open(&k, "a", "bc", ChunkKind::Change, &env),
            Err(CryptoError::Decrypt)
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn garbage_never_panics() {
        let dk = key().doc_key("ws", "doc").unwrap();
        let mut x: u32 = 12345;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            assert!(dk.open(ChunkKind::Change, &bytes).is_err());
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn push_and_pull_helpers() {
        let k = key();
        let p = seal_push_chunk(
            &k,
            "ws",
            "doc",
            ChunkKind::Snapshot,
            Some(4),
            "c1",
            b"bytes",
        )
        .unwrap();
        assert_eq!(
            (p.kind, p.covers_seq, p.doc_id.as_str()),
            (ChunkKind::Snapshot, Some(4), "doc")
        );
        let mut pulled = PulledChunk {
            seq: 5,
            doc_id: p.doc_id.clone(),
            kind: p.kind,
            covers_seq: p.covers_seq,
            device_id: "dev".into(),
            ciphertext: p.ciphertext.clone(),
        };
        assert_eq!(open_pulled_chunk(&k, "ws", &pulled).unwrap(), b"bytes");
        assert_eq!(
            open_pulled_chunk(&k, "ws2", &pulled),
            Err(CryptoError::Decrypt)
        );
        pulled.doc_id = "other".into();
        assert_eq!(
            open_pulled_chunk(&k, "ws", &pulled),
            Err(CryptoError::Decrypt)
        );
        pulled.doc_id = p.doc_id.clone();
        let last = pulled.ciphertext.len() - 1;
        pulled.ciphertext[last] ^= 1;
        assert_eq!(
            open_pulled_chunk(&k, "ws", &pulled),
            Err(CryptoError::Decrypt)
        );
    }

    fn sample_code() -> JoinCode {
        JoinCode {
            relay_url: "https://relay.example.org".into(),
            workspace_id: "0123456789abcdef0123456789abcdef".into(),
            join_secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t".into(),
            key: WorkspaceKey::from_bytes([42u8; 32]),
            doc_key: None,
            person: None,
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn join_code_with_the_workspace_documents_key_round_trips() {
        let mut c = sample_code();
        let v1 = c.encode().unwrap();
        c.doc_key = Some(JoinDocKey {
            generation: 7,
            key: ContentKey::from_bytes([9u8; 32]),
        });
        c.person = Some(InvitedPerson {
            id: "3f2c7a4e-1b9d-4c55-9a0e-7d1e2f3a4b5c".into(),
            name: "Ana María López-Hernández".into(),
            role: "care_manager".into(),
        });
        let s = c.encode().unwrap();
        let back = JoinCode::parse(&s).unwrap();
        assert_eq!(back, c);
        let d = back.doc_key.unwrap();
        assert_eq!((d.generation, d.key.as_bytes()), (7, &[9u8; 32]));
        assert!(s.len() <= 412, "still fits a QR code: {} chars", s.len());
        for n in 0..s.len() {
            assert!(JoinCode::parse(&s[..n]).is_err(), "prefix {n}");
        }
        // A version-1 code still reads, without a document key.
        assert_eq!(JoinCode::parse(&v1).unwrap().doc_key, None);
        assert_eq!(
            format!("{:?}", c.doc_key.unwrap()),
            "JoinDocKey { generation: 7, .. }"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn join_code_for_a_person_round_trips_and_stays_scannable() {
        let mut c = sample_code();
        c.person = Some(InvitedPerson {
            id: "3f2c7a4e-1b9d-4c55-9a0e-7d1e2f3a4b5c".into(),
            name: "Ana María López-Hernández".into(),
            role: "care_manager".into(),
        });
        let s = c.encode().unwrap();
        assert_eq!(JoinCode::parse(&s).unwrap(), c);
        // QR version 15 at level M (the app's default) holds 412 bytes: still a code a phone's
        // camera reads from a tablet screen.
        assert!(s.len() <= 412, "still fits a QR code: {} chars", s.len());
        for n in 0..s.len() {
            assert!(JoinCode::parse(&s[..n]).is_err(), "prefix {n}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn join_code_round_trip() {
        let c = sample_code();
        let s = c.encode().unwrap();
        assert!(s.starts_with(JOIN_CODE_PREFIX));
        assert!(s.len() < 200, "compact: {} chars", s.len());
        assert_eq!(JoinCode::parse(&s).unwrap(), c);
        assert_eq!(JoinCode::parse(&format!("  {s}\n")).unwrap(), c);
        assert!(!format!("{c:?}").contains("42"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn join_code_garbage_is_typed() {
        let s = sample_code().encode().unwrap();
        assert_eq!(JoinCode::parse(""), Err(JoinCodeError::NotAJoinCode));
        assert_eq!(
            JoinCode::parse("hello world"),
            Err(JoinCodeError::NotAJoinCode)
        );
        assert_eq!(
            JoinCode::parse("TEND1-!!!"),
            Err(JoinCodeError::BadEncoding)
        );
        assert_eq!(JoinCode::parse("TEND1-"), Err(JoinCodeError::Truncated));
        assert_eq!(
            JoinCode::parse(&"A".repeat(5000)),
            Err(JoinCodeError::TooLong)
        );
        // A version-3 payload.
        let v3 = format!(
            "TEND1-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([3u8; 60])
        );
        assert_eq!(JoinCode::parse(&v3), Err(JoinCodeError::UnknownVersion(3)));
        // A typo in the middle: checksum or encoding error, never a wrong code.
        let mut chars: Vec<char> = s.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(
            JoinCode::parse(&typo),
            Err(JoinCodeError::Checksum) | Err(JoinCodeError::BadEncoding)
        ));
        // Every truncation fails cleanly.
        for n in 0..s.len() {
            assert!(JoinCode::parse(&s[..n]).is_err(), "prefix {n}");
        }
        // Non-ASCII input at the prefix boundary does not panic.
        assert!(JoinCode::parse("TEND\u{e9}xyz").is_err());
    }
}
