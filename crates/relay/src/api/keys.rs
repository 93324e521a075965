//! Documents' keys (PROTOCOL.md "Document keys and scope"): grants and rotations, and reading what
//! is stored about one document's keys. The relay stores sealed envelopes it cannot open; from them
//! it knows which devices read which document.

use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::{body::Bytes, Json};
use tend_wire::keys::KeyUpdate;
use tend_wire::sync_wire::{
    DocKeysResponse, KeyUpdateRequest, KeyUpdateResponse, WORKSPACE_DOC_ID,
};

use super::{body_bytes, check_id, scoped, ApiError, ApiPath, Auth, St};

/// Largest key update body: 10,000 envelopes of 73 bytes in base64 JSON with their device ids.
pub const KEY_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Validates and decodes a key update body. Pure: fuzzed.
pub fn decode_key_update(body: &[u8]) -> Result<(String, KeyUpdate), ApiError> {
    let req: KeyUpdateRequest = super::from_json_object(body)?;
    check_id("doc_id", &req.doc_id)?;
    let doc_id = req.doc_id.clone();
    let update = KeyUpdate::from_request(req).map_err(|e| ApiError::bad(e.to_string()))?;
    for r in update.recipients() {
        check_id("recipient", r)?;
    }
    Ok((doc_id, update))
}

pub(super) async fn update_keys(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<KeyUpdateResponse>, ApiError> {
    scoped(&p, &ws)?;
    let (doc_id, update) = decode_key_update(&body_bytes(body)?)?;
    let applied = st
        .store
        .update_keys(&ws, &p.device_id, &doc_id, update)
        .await?;
    let head_seq = st.store.head(&ws).await?;
    Ok(Json(KeyUpdateResponse {
        generation: applied.generation,
        seq: applied.seq,
        head_seq,
    }))
}

pub(super) async fn doc_keys(
    State(st): St,
    Auth(p): Auth,
    ApiPath((ws, doc)): ApiPath<(String, String)>,
) -> Result<Json<DocKeysResponse>, ApiError> {
    scoped(&p, &ws)?;
    check_id("doc", &doc)?;
    let state = st.store.doc_keys(&ws, &doc).await?;
    // A device sees the keys of documents it reads or once read (so it learns it was rotated out),
    // and that a document has no keys; nothing about anyone else's documents. The workspace
    // document is every device's.
    if state.current() > 0 && doc != WORKSPACE_DOC_ID && !state.ever_read_by(&p.device_id) {
        return Err(crate::store::StoreError::OutOfScope(doc).into());
    }
    Ok(Json(state.to_response(&doc)))
}
