//! Wire types of the relay's HTTP/WebSocket API (PROTOCOL.md), shared by the app's sync engine and the
//! relay. Plain serde structs: no I/O, no patient schema. Ciphertext travels as standard base64 (with
//! padding) inside JSON so the API stays one format; the bytes are the envelope of [`crate::crypto`].

use serde::{Deserialize, Serialize};

/// Version prefix of every API path: `/api/v1/...`.
pub const API_PREFIX: &str = "/api/v1";

/// The id of the workspace document (the roster and directory: what every device of a workspace
/// shares). Every live device of the workspace may pull and push it; once it has keys, only under
/// its current generation (PROTOCOL.md "Scope").
pub const WORKSPACE_DOC_ID: &str = "workspace";

/// What a chunk holds: an incremental Automerge save, or a whole-document snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChunkKind {
    Change,
    Snapshot,
}

impl ChunkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Change => "change",
            ChunkKind::Snapshot => "snapshot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "change" => Some(ChunkKind::Change),
            "snapshot" => Some(ChunkKind::Snapshot),
            _ => None,
        }
    }
}

/// `POST /api/v1/workspaces` (no auth).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWorkspaceRequest {
    /// Accepted for older clients, checked, and never stored: names travel only inside the
    /// encrypted workspace document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

/// Answer to creating a workspace or joining one: who this device is and its bearer token
/// (shown once; the relay keeps only its SHA-256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCredentials {
    pub workspace_id: String,
    pub device_id: String,
    pub device_token: String,
}

/// `POST /api/v1/workspaces/{ws}/join-secrets` (auth).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateJoinSecretRequest {
    /// Lifetime in seconds; the relay clamps it to its maximum. Default 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// The workspace document's key generation the join code carries (0 or absent: it has no keys
    /// yet). Refused with `409 stale_keys` unless it is the current one: a code carrying an old key
    /// could never push its device's link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_generation: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinSecretResponse {
    pub join_secret: String,
    /// Unix seconds after which the secret no longer works.
    pub expires_at: i64,
}

/// `POST /api/v1/join` (no auth: the secret is the credential; it works once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub workspace_id: String,
    pub join_secret: String,
    /// Accepted for older clients, checked, and never stored (as when creating a workspace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

/// One row of `GET /api/v1/workspaces/{ws}/devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: String,
    /// Unix seconds.
    pub created_at: i64,
    pub revoked: bool,
    /// When the relay last had a request from it (Unix seconds, to the minute).
    #[serde(default)]
    pub last_seen: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

/// One chunk in `POST /api/v1/workspaces/{ws}/chunks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushChunk {
    /// Chosen by the device (a UUID); retrying the same id from the same device never duplicates.
    pub client_chunk_id: String,
    pub doc_id: String,
    pub kind: ChunkKind,
    /// Snapshots only: the snapshot contains every chunk of this document with seq <= covers_seq.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_seq: Option<u64>,
    /// The encrypted envelope; standard base64 in JSON.
    #[serde(with = "base64_bytes")]
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub chunks: Vec<PushChunk>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    pub client_chunk_id: String,
    pub seq: u64,
    /// True when this id had been pushed before: `seq` is the original one.
    pub duplicate: bool,
    /// A snapshot that was not stored because its document has a chunk after its `covers_seq`
    /// (pushed while it was being made): pull, and snapshot again later. `seq` is 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Same order as the request.
    pub results: Vec<PushResult>,
    /// Highest seq in the workspace when the push committed.
    pub head_seq: u64,
}

/// One chunk of a pull page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledChunk {
    pub seq: u64,
    pub doc_id: String,
    pub kind: ChunkKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_seq: Option<u64>,
    /// Device that pushed it.
    pub device_id: String,
    /// The encrypted envelope; standard base64 in JSON.
    #[serde(with = "base64_bytes")]
    pub ciphertext: Vec<u8>,
}

/// `GET /api/v1/workspaces/{ws}/chunks?after=N&limit=L&max_bytes=B`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Ascending seq, all > `after`.
    pub chunks: Vec<PulledChunk>,
    /// Pass as `after` next time. Everything <= next_cursor has been delivered (or compacted into a
    /// snapshot that was delivered or comes later).
    pub next_cursor: u64,
    /// True when the page was cut by a limit: ask again at once.
    pub more: bool,
    pub head_seq: u64,
    /// Changes to the keys of documents this device reads or read until that change, with seq in
    /// `(after, next_cursor]` (PROTOCOL.md "Document keys and scope"). Omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyChange>,
}

/// A grant or rotation of a document's keys, as the pull feed lists it: enough for the pulling
/// device to know the generation, who reads it, and its own key of it, without asking again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyChange {
    pub seq: u64,
    pub doc_id: String,
    /// The generation granted or made.
    pub generation: u32,
    /// The generation's link (the previous key sealed under it); absent for generation 1.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "base64_opt")]
    pub link: Option<Vec<u8>>,
    /// The generation's readers as the relay holds them when this page is read.
    #[serde(default)]
    pub readers: Vec<String>,
    /// The generation's envelope sealed to the pulling device, if it is a reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<StoredEnvelope>,
}

/// One key envelope in a key update: the content key sealed to `recipient`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeFor {
    pub recipient: String,
    #[serde(with = "base64_bytes")]
    pub envelope: Vec<u8>,
}

/// `grant` of a key update: more readers of the current generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantBody {
    pub generation: u32,
    pub envelopes: Vec<EnvelopeFor>,
}

/// `rotate` of a key update: generation `from + 1`, read by exactly the envelopes' recipients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateBody {
    pub from: u32,
    /// Key `from` sealed under the new key; absent for a document's first key (`from` = 0).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "base64_opt")]
    pub link: Option<Vec<u8>>,
    pub envelopes: Vec<EnvelopeFor>,
}

/// `POST /api/v1/workspaces/{ws}/keys`: exactly one of `grant` and `rotate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUpdateRequest {
    pub doc_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<GrantBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<RotateBody>,
}

/// Answer to a stored key update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUpdateResponse {
    /// The document's current generation after the update.
    pub generation: u32,
    /// The update's place in the workspace's log (its [`KeyChange`] seq).
    pub seq: u64,
    pub head_seq: u64,
}

/// One stored envelope of `GET /api/v1/workspaces/{ws}/keys/{doc}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEnvelope {
    pub recipient: String,
    pub sender: String,
    #[serde(with = "base64_bytes")]
    pub envelope: Vec<u8>,
}

/// One generation of `GET /api/v1/workspaces/{ws}/keys/{doc}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationBody {
    pub generation: u32,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "base64_opt")]
    pub link: Option<Vec<u8>>,
    pub envelopes: Vec<StoredEnvelope>,
}

/// `GET /api/v1/workspaces/{ws}/keys/{doc}`: everything the relay keeps about a document's keys,
/// oldest generation first (empty: the document has no keys, a version-1 document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocKeysResponse {
    pub doc_id: String,
    pub generations: Vec<GenerationBody>,
}

/// Messages the relay sends on the notify WebSocket (text frames, JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMessage {
    /// Sent once after successful authentication.
    Ready {
        head_seq: u64,
    },
    /// Chunks up to `seq` exist: pull.
    New {
        seq: u64,
    },
    Pong,
    /// A bad frame or failed auth. After a bad frame the connection stays open; after failed auth the
    /// relay closes it.
    Error {
        error: String,
        message: String,
    },
}

/// Messages a device sends on the notify WebSocket (text frames, JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientMessage {
    /// First frame, unless the upgrade request carried `Authorization: Bearer`.
    Auth {
        token: String,
    },
    Ping,
}

/// Every API error: HTTP status plus this body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `unauthorized`, `bad_request`, `too_large`.
    pub error: String,
    /// Human-readable detail.
    pub message: String,
}

/// Paths of the API (relative to the relay's origin), so clients build them one way.
pub mod paths {
    use super::API_PREFIX;

    pub fn create_workspace() -> String {
        format!("{API_PREFIX}/workspaces")
    }
    pub fn join() -> String {
        format!("{API_PREFIX}/join")
    }
    pub fn join_secrets(workspace_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/join-secrets")
    }
    pub fn devices(workspace_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/devices")
    }
    pub fn device(workspace_id: &str, device_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/devices/{device_id}")
    }
    /// `POST` to push, `GET` with [`pull_query`] to pull.
    pub fn chunks(workspace_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/chunks")
    }
    pub fn pull(
        workspace_id: &str,
        after: u64,
        limit: Option<u32>,
        max_bytes: Option<u64>,
    ) -> String {
        let mut p = format!("{}?after={after}", chunks(workspace_id));
        if let Some(l) = limit {
            p.push_str(&format!("&limit={l}"));
        }
        if let Some(b) = max_bytes {
            p.push_str(&format!("&max_bytes={b}"));
        }
        p
    }
    /// Only the chunks of one document (a device that has just become one of its readers fetches
    /// what it missed from 0).
    pub fn pull_doc(workspace_id: &str, doc_id: &str, after: u64, limit: Option<u32>) -> String {
        let mut p = pull(workspace_id, after, limit, None);
        p.push_str(&format!("&doc={doc_id}"));
        p
    }
    /// `POST` a key update.
    pub fn keys(workspace_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/keys")
    }
    /// `GET` one document's keys.
    pub fn doc_keys(workspace_id: &str, doc_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/keys/{doc_id}")
    }
    /// The notify WebSocket (use `ws://` / `wss://` with the relay's host).
    pub fn notify(workspace_id: &str) -> String {
        format!("{API_PREFIX}/workspaces/{workspace_id}/notify")
    }
}

/// Bytes as they travel in JSON: standard base64 with padding. `#[serde(with = "base64_bytes")]`;
/// anything else is a deserialisation error (the relay answers `400 bad_request`).
pub mod base64_bytes {
    use base64::Engine as _;
    use serde::{de, Deserializer, Serializer};

    const ENGINE: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&ENGINE.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("standard base64 with padding")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                ENGINE
                    .decode(v)
                    .map_err(|e| E::custom(format_args!("not base64: {e}")))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// Optional bytes as standard base64 (`null` or absent: none).
pub mod base64_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::base64_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::base64_bytes")] Vec<u8>);
        Ok(Option::<Wrap>::deserialize(d)?.map(|Wrap(b)| b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn messages_have_the_documented_shape() {
        let m = serde_json::to_string(&ServerMessage::New { seq: 7 }).unwrap();
        assert_eq!(m, r#"{"type":"new","seq":7}"#);
        let c: ClientMessage = serde_json::from_str(r#"{"type":"auth","token":"t"}"#).unwrap();
        assert_eq!(c, ClientMessage::Auth { token: "t".into() });
        let k = serde_json::to_string(&ChunkKind::Snapshot).unwrap();
        assert_eq!(k, r#""snapshot""#);
        assert!(serde_json::from_str::<ChunkKind>(r#""other""#).is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn ciphertext_travels_as_standard_base64() {
        let c = PulledChunk {
            seq: 1,
            doc_id: "d".into(),
            kind: ChunkKind::Change,
            covers_seq: None,
            device_id: "x".into(),
            ciphertext: b"\x00\xffab".to_vec(),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""ciphertext":"AP9hYg==""#), "{json}");
        assert_eq!(serde_json::from_str::<PulledChunk>(&json).unwrap(), c);
        // Escaped JSON strings decode too (an owned string, not a borrowed one).
        let escaped = json.replace("AP9hYg==", "AP9hYg\\u003d=");
        assert_eq!(serde_json::from_str::<PulledChunk>(&escaped).unwrap(), c);
        for bad in ["%%", "AP9hYg", "AP9h Yg==", "AP9hYg==="] {
            let err = serde_json::from_str::<PulledChunk>(&json.replace("AP9hYg==", bad))
                .unwrap_err()
                .to_string();
            assert!(err.contains("not base64"), "{bad}: {err}");
        }
        let number = json.replace(r#""AP9hYg==""#, "7");
        assert!(serde_json::from_str::<PulledChunk>(&number).is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn paths() {
        assert_eq!(paths::chunks("w"), "/api/v1/workspaces/w/chunks");
        assert_eq!(
            paths::pull("w", 5, Some(10), None),
            "/api/v1/workspaces/w/chunks?after=5&limit=10"
        );
        assert_eq!(paths::notify("w"), "/api/v1/workspaces/w/notify");
    }
}
