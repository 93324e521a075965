//! Entry points for the fuzz targets (crates/relay/fuzz) and their regression test: every decoder that
//! sees outside bytes. Each must return an error for bad input, never panic.

use tend_wire::crypto::{JoinCode, WorkspaceKey};
use tend_wire::sync_wire::{
    ChunkKind, CreateJoinSecretRequest, CreateWorkspaceRequest, JoinRequest, PullResponse,
    PushResponse,
};

use crate::api::{decode_client_message, decode_key_update, decode_pull_query, decode_push};
use crate::config::Config;

fn small_limits() -> Config {
    let mut c = Config::with_data_dir("unused");
    c.max_chunk_bytes = 4096;
    c.max_push_chunks = 16;
    c
}

/// `POST .../chunks` bodies: JSON, ids, kinds, base64, limits.
pub fn push_body(data: &[u8]) {
    if let Ok(chunks) = decode_push(&small_limits(), data) {
        for c in chunks {
            assert!(!c.ciphertext.is_empty() && c.ciphertext.len() <= 4096);
            assert!(!c.doc_id.is_empty() && c.doc_id.len() <= crate::api::MAX_ID_LEN);
            assert_eq!(c.kind == ChunkKind::Snapshot, c.covers_seq.is_some());
        }
    }
}

/// WebSocket text frames from devices.
pub fn client_message(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = decode_client_message(s);
    }
}

/// Pull query strings.
pub fn pull_query(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = decode_pull_query(s);
    }
}

/// The other JSON bodies (and the responses a client decodes).
pub fn api_bodies(data: &[u8]) {
    let _ = serde_json::from_slice::<CreateWorkspaceRequest>(data);
    let _ = serde_json::from_slice::<CreateJoinSecretRequest>(data);
    let _ = serde_json::from_slice::<JoinRequest>(data);
    let _ = serde_json::from_slice::<PullResponse>(data);
    let _ = serde_json::from_slice::<PushResponse>(data);
}

/// Join codes typed or scanned by a user; valid ones re-encode to themselves.
pub fn join_code(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(code) = JoinCode::parse(s) {
            let again = code.encode().expect("a parsed code encodes");
            assert_eq!(JoinCode::parse(&again).as_ref(), Ok(&code));
        }
    }
}

/// Chunk envelopes from the relay: opening garbage fails cleanly.
pub fn chunk_envelope(data: &[u8]) {
    let key = WorkspaceKey::from_bytes([9u8; 32]);
    let dk = key.doc_key("ws", "doc").expect("short ids");
    assert!(dk.open(ChunkKind::Change, data).is_err());
    assert!(dk.open(ChunkKind::Snapshot, data).is_err());
}

/// `POST .../keys` bodies: JSON, ids, one of grant/rotate, base64 envelopes.
pub fn key_update_body(data: &[u8]) {
    if let Ok((doc, update)) = decode_key_update(data) {
        assert!(!doc.is_empty() && doc.len() <= crate::api::MAX_ID_LEN);
        assert!(update
            .recipients()
            .all(|r| !r.is_empty() && r.len() <= crate::api::MAX_ID_LEN));
        let _ = crate::store::keys::plan_update(
            &tend_wire::keys::DocKeyState::default(),
            "device",
            &update,
            |_| true,
        );
    }
    let _ = serde_json::from_slice::<tend_wire::sync_wire::DocKeysResponse>(data);
}

/// Key envelopes, links and version-2 chunks from the relay: opening garbage fails cleanly.
pub fn key_material(data: &[u8]) {
    use tend_wire::keys::{
        open_content_key, open_link, ContentKey, DeviceSecret, KeyPlace, KeyRing, Party,
    };
    let place = KeyPlace {
        workspace_id: "ws",
        doc_id: "doc",
        generation: 2,
    };
    let me = DeviceSecret::from_bytes([7; 32]);
    let sender = DeviceSecret::from_bytes([8; 32]).public_key();
    let from = Party {
        device_id: "sender",
        public_key: &sender,
    };
    assert!(open_content_key(&place, from, "me", &me, data).is_err());
    let key = ContentKey::from_bytes([9; 32]);
    assert!(open_link(&place, &key, data).is_err());
    let mut ring = KeyRing::new("ws", "doc");
    ring.insert(2, key).expect("generation 2");
    assert!(ring.open(ChunkKind::Change, data).is_err());
}

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every fuzz target by name (for the regression test).
pub const TARGETS: &[(&str, Target)] = &[
    ("push_body", push_body),
    ("client_message", client_message),
    ("pull_query", pull_query),
    ("api_bodies", api_bodies),
    ("join_code", join_code),
    ("chunk_envelope", chunk_envelope),
    ("key_update_body", key_update_body),
    ("key_material", key_material),
];
