//! The log: push and pull (PROTOCOL.md "The log").

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{body::Bytes, Json};
use serde::Deserialize;
use tend_wire::sync_wire::{
    ChunkKind, PullResponse, PulledChunk, PushRequest, PushResponse, PushResult,
};

use super::{
    check_id, from_json_object, scoped, ApiError, ApiPath, Auth, BodyBudget, St,
    DEFAULT_PAGE_CHUNKS,
};
use crate::config::Config;
use crate::store::{NewChunk, PullQuery};

/// Validates and decodes a push request against the limits. Pure: fuzzed.
pub fn decode_push(config: &Config, body: &[u8]) -> Result<Vec<NewChunk>, ApiError> {
    let req: PushRequest = from_json_object(body)?;
    if req.chunks.len() > config.max_push_chunks {
        return Err(ApiError::too_large(format!(
            "at most {} chunks per push",
            config.max_push_chunks
        )));
    }
    let mut out = Vec::with_capacity(req.chunks.len());
    for (i, c) in req.chunks.into_iter().enumerate() {
        check_id("client_chunk_id", &c.client_chunk_id)?;
        check_id("doc_id", &c.doc_id)?;
        match (c.kind, c.covers_seq) {
            (ChunkKind::Snapshot, None) => {
                return Err(ApiError::bad(format!(
                    "chunk {i}: a snapshot needs covers_seq"
                )))
            }
            (ChunkKind::Change, Some(_)) => {
                return Err(ApiError::bad(format!(
                    "chunk {i}: covers_seq is only for snapshots"
                )))
            }
            (_, Some(s)) if s > i64::MAX as u64 => {
                return Err(ApiError::bad(format!("chunk {i}: covers_seq out of range")))
            }
            _ => {}
        }
        // The body limit bounds what was decoded; base64 was checked by the wire type.
        let bytes = c.ciphertext;
        if bytes.len() > config.max_chunk_bytes {
            return Err(ApiError::too_large(format!(
                "chunk {i}: larger than {} bytes",
                config.max_chunk_bytes
            )));
        }
        if bytes.is_empty() {
            return Err(ApiError::bad(format!("chunk {i}: empty ciphertext")));
        }
        out.push(NewChunk {
            client_chunk_id: c.client_chunk_id,
            doc_id: c.doc_id,
            kind: c.kind,
            covers_seq: c.covers_seq,
            ciphertext: bytes,
        });
    }
    Ok(out)
}

pub(super) async fn push(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
    _budget: BodyBudget,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    scoped(&p, &ws)?;
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "request body larger than {} bytes",
                st.config.max_body_bytes
            ))
        } else {
            ApiError::new(r.status(), "bad_request", r.body_text())
        }
    })?;
    let chunks = decode_push(&st.config, &bytes)?;
    let quota = match st.config.workspace_quota_bytes {
        0 => u64::MAX,
        q => q,
    };
    let outcome = st.store.push(&ws, &p.device_id, chunks, quota).await?;
    Ok(Json(PushResponse {
        results: outcome
            .results
            .into_iter()
            .map(|r| PushResult {
                client_chunk_id: r.client_chunk_id,
                seq: r.seq,
                duplicate: r.duplicate,
                stale: r.stale,
            })
            .collect(),
        head_seq: outcome.head_seq,
    }))
}

#[derive(Debug, Deserialize)]
pub struct PullParams {
    #[serde(default)]
    pub after: u64,
    pub limit: Option<u32>,
    pub max_bytes: Option<u64>,
    /// Only this document's chunks.
    pub doc: Option<String>,
}

/// Parses a pull query string (`after=..&limit=..&max_bytes=..`). Pure: fuzzed.
pub fn decode_pull_query(query: &str) -> Result<PullParams, ApiError> {
    let uri: axum::http::Uri = format!("/?{query}")
        .parse()
        .map_err(|_| ApiError::bad("invalid query string"))?;
    Query::<PullParams>::try_from_uri(&uri)
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad(format!("invalid query: {}", e.body_text())))
}

pub(super) async fn pull(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
    q: Result<Query<PullParams>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    scoped(&p, &ws)?;
    let Query(q) = q.map_err(|e| ApiError::bad(format!("invalid query: {}", e.body_text())))?;
    let limit = q
        .limit
        .unwrap_or(DEFAULT_PAGE_CHUNKS)
        .clamp(1, st.config.page_max_chunks.max(1));
    let max_bytes = q
        .max_bytes
        .unwrap_or(st.config.page_max_bytes)
        .clamp(1, st.config.page_max_bytes.max(1));
    if let Some(doc) = &q.doc {
        check_id("doc", doc)?;
    }
    let page = st
        .store
        .pull(
            &ws,
            &p.device_id,
            PullQuery {
                after: q.after,
                limit,
                max_bytes,
                doc: q.doc,
            },
        )
        .await?;
    Ok(Json(PullResponse {
        chunks: page
            .chunks
            .into_iter()
            .map(|c| PulledChunk {
                seq: c.seq,
                doc_id: c.doc_id,
                kind: c.kind,
                covers_seq: c.covers_seq,
                device_id: c.device_id,
                ciphertext: c.ciphertext,
            })
            .collect(),
        next_cursor: page.next_cursor,
        more: page.more,
        head_seq: page.head_seq,
        keys: page.keys,
    }))
}
