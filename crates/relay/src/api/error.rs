//! The API's one error shape, `{"error", "message"}` (PROTOCOL.md "Errors"), and reading JSON bodies.

use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{body::Bytes, Json};
use serde::de::DeserializeOwned;
use tend_wire::sync_wire::ErrorBody;

use tend_wire::keys::KeyUpdateError;

use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which the same request may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this device token belongs to another workspace",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: self.code.to_owned(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such workspace")
            }
            StoreError::Rejected(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::OutOfScope(doc) => ApiError::new(
                StatusCode::FORBIDDEN,
                "out_of_scope",
                format!("this device does not read document {doc}"),
            ),
            StoreError::Keys(e) => match e {
                KeyUpdateError::Stale { .. } | KeyUpdateError::ChunkGeneration { .. } => {
                    ApiError::new(StatusCode::CONFLICT, "stale_keys", e.to_string())
                }
                KeyUpdateError::NotReader => {
                    ApiError::new(StatusCode::FORBIDDEN, "out_of_scope", e.to_string())
                }
                KeyUpdateError::NoReaders | KeyUpdateError::Link(_) | KeyUpdateError::Exhausted => {
                    ApiError::bad(e.to_string())
                }
            },
            StoreError::BadKeys(m) => ApiError::bad(m),
            StoreError::QuotaExceeded {
                stored,
                quota,
                after,
            } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "quota_exceeded",
                format!(
                    "this workspace keeps {stored} bytes on the relay, its quota is {quota}; \
                     this push would make it {after}. Nothing was stored. Snapshots free the \
                     changes they cover; the relay's operator can raise the quota"
                ),
            ),
            other => {
                tracing::error!("store failure: {other}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the relay's store failed; retry later",
                )
            }
        }
    }
}

pub async fn api_method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that HTTP method",
    )
}

pub async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}

pub(super) fn json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    from_json_object(&body_bytes(body)?)
}

/// A request's body, or the error for a body that could not be read (too large, cut off).
pub(super) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("request body larger than the relay accepts: {r}"))
        } else {
            ApiError::new(r.status(), "bad_request", r.body_text())
        }
    })
}

/// A request body, which must be a JSON object: serde would otherwise also read a struct from an
/// array of its fields in order (`["ws", "secret"]`), which no client sends on purpose.
pub(super) fn from_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::bad("the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))
}
