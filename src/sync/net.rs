//! HTTP calls to the relay (PROTOCOL.md) through the browser's `fetch`. Every answer is checked:
//! a body that does not parse is an error, never a panic.

use serde::{de::DeserializeOwned, Serialize};
use tend_core::sync_wire::{
    paths, CreateJoinSecretRequest, CreateWorkspaceRequest, DeviceCredentials, DeviceList,
    DocKeysResponse, ErrorBody, JoinRequest, JoinSecretResponse, KeyUpdateRequest,
    KeyUpdateResponse, PullResponse, PushRequest, PushResponse,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// Chunks asked for per pull page: the relay's largest page (its default `page_max_chunks`), so
/// a catch-up takes few round trips; the relay also caps a page's bytes.
pub const PULL_PAGE_CHUNKS: u32 = 1000;

/// Why a call to the relay did not succeed.
#[derive(Clone, Debug, PartialEq)]
pub enum NetError {
    /// No answer at all (offline, relay down, connection reset).
    Unreachable(String),
    /// 401: the device token is unknown or revoked.
    Unauthorized,
    /// Any other error status, with the relay's code and message.
    Status {
        status: u16,
        error: String,
        message: String,
        /// The relay's `Retry-After`, in seconds (rate limits, busy).
        retry_after_s: Option<u32>,
    },
    /// The answer was not what the protocol says.
    Protocol(String),
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Unreachable(m) => write!(f, "relay unreachable ({m})"),
            NetError::Unauthorized => write!(f, "the relay refused this device's token"),
            NetError::Status {
                status,
                error,
                message,
                ..
            } => write!(f, "relay answered {status} {error}: {message}"),
            NetError::Protocol(m) => write!(f, "unexpected answer from the relay: {m}"),
        }
    }
}

impl NetError {
    /// Why a sync round failed, as the sync status shows it.
    pub fn reason(&self) -> String {
        match self {
            NetError::Unreachable(_) => "relay unreachable".into(),
            NetError::Status {
                status: 413, error, ..
            } if error == "quota_exceeded" => "the workspace's storage on the relay is full — \
                 changes stay safe on this device; ask whoever runs the relay to raise its quota"
                .into(),
            NetError::Status { status: 413, .. } => "a change is too large for the relay".into(),
            NetError::Status { status: 429, .. } => {
                "the relay asked this device to slow down".into()
            }
            NetError::Status {
                status: 503, error, ..
            } if error == "busy" => "the relay is busy".into(),
            NetError::Status { status: 503, .. } => "the relay's storage is unavailable".into(),
            other => other.to_string(),
        }
    }

    /// How long the relay asked to wait before trying again, if it said.
    pub fn retry_after_ms(&self) -> Option<u32> {
        match self {
            NetError::Status {
                retry_after_s: Some(s),
                ..
            } => Some(s.saturating_mul(1000)),
            _ => None,
        }
    }
}

/// The relay at `base` (an origin such as `https://tend.example.org`), as one device.
#[derive(Clone, Debug)]
pub struct Relay {
    pub base: String,
    pub token: Option<String>,
}

impl Relay {
    pub fn new(base: &str, token: Option<String>) -> Self {
        Relay {
            base: base.trim_end_matches('/').to_string(),
            token,
        }
    }

    pub async fn create_workspace(&self) -> Result<DeviceCredentials, NetError> {
        self.call(
            "POST",
            &paths::create_workspace(),
            Some(&CreateWorkspaceRequest::default()),
        )
        .await
    }

    pub async fn join(&self, req: &JoinRequest) -> Result<DeviceCredentials, NetError> {
        self.call("POST", &paths::join(), Some(req)).await
    }

    /// A join secret for a code carrying the workspace document's key of `workspace_generation`
    /// (0: it has none); 409 `stale_keys` unless that is the current generation.
    pub async fn mint_join_secret(
        &self,
        ws: &str,
        workspace_generation: u32,
    ) -> Result<JoinSecretResponse, NetError> {
        self.call(
            "POST",
            &paths::join_secrets(ws),
            Some(&CreateJoinSecretRequest {
                ttl_secs: None,
                workspace_generation: Some(workspace_generation),
            }),
        )
        .await
    }

    pub async fn push(&self, ws: &str, req: &PushRequest) -> Result<PushResponse, NetError> {
        self.call("POST", &paths::chunks(ws), Some(req)).await
    }

    pub async fn pull(&self, ws: &str, after: u64) -> Result<PullResponse, NetError> {
        self.call::<(), _>(
            "GET",
            &paths::pull(ws, after, Some(PULL_PAGE_CHUNKS), None),
            None,
        )
        .await
    }

    /// One document's chunks after `after` (this device must read it: 403 otherwise).
    pub async fn pull_doc(
        &self,
        ws: &str,
        doc_id: &str,
        after: u64,
    ) -> Result<PullResponse, NetError> {
        self.call::<(), _>(
            "GET",
            &paths::pull_doc(ws, doc_id, after, Some(PULL_PAGE_CHUNKS)),
            None,
        )
        .await
    }

    /// Everything the relay keeps about one document's keys (403 unless this device reads it or
    /// once did, or it is the workspace document).
    pub async fn doc_keys(&self, ws: &str, doc_id: &str) -> Result<DocKeysResponse, NetError> {
        self.call::<(), _>("GET", &paths::doc_keys(ws, doc_id), None)
            .await
    }

    /// A grant or rotation of a document's keys (409 `stale_keys`: another device changed them
    /// first).
    pub async fn update_keys(
        &self,
        ws: &str,
        req: &KeyUpdateRequest,
    ) -> Result<KeyUpdateResponse, NetError> {
        self.call("POST", &paths::keys(ws), Some(req)).await
    }

    /// Every device of the workspace as the relay knows it (opaque ids, when each was last seen).
    pub async fn devices(&self, ws: &str) -> Result<DeviceList, NetError> {
        self.call::<(), _>("GET", &paths::devices(ws), None).await
    }

    /// Revokes a device: its token stops working at once (`204`, no body).
    pub async fn revoke_device(&self, ws: &str, device_id: &str) -> Result<(), NetError> {
        let (status, retry_after_s, text) = self
            .send::<()>("DELETE", &paths::device(ws, device_id), None)
            .await?;
        match status {
            200..=299 => Ok(()),
            _ => Err(status_error(status, retry_after_s, &text)),
        }
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, NetError> {
        let (status, retry_after_s, text) = self.send(method, path, body).await?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| NetError::Protocol(e.to_string()));
        }
        Err(status_error(status, retry_after_s, &text))
    }

    async fn send<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<(u16, Option<u32>, String), NetError> {
        let unreachable = |e: JsValue| NetError::Unreachable(js_text(&e));
        let init = RequestInit::new();
        init.set_method(method);
        // The service worker never caches relay responses; neither should the HTTP cache.
        init.set_cache(web_sys::RequestCache::NoStore);
        if let Some(body) = body {
            let json =
                serde_json::to_string(body).map_err(|e| NetError::Protocol(e.to_string()))?;
            init.set_body(&JsValue::from_str(&json));
        }
        let url = format!("{}{}", self.base, path);
        let request = Request::new_with_str_and_init(&url, &init).map_err(unreachable)?;
        let headers = request.headers();
        if body.is_some() {
            headers
                .set("Content-Type", "application/json")
                .map_err(unreachable)?;
        }
        if let Some(token) = &self.token {
            headers
                .set("Authorization", &format!("Bearer {token}"))
                .map_err(unreachable)?;
        }
        let window = web_sys::window().ok_or_else(|| NetError::Unreachable("no window".into()))?;
        let response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(unreachable)?;
        let response: Response = response
            .dyn_into()
            .map_err(|_| NetError::Protocol("fetch did not return a Response".into()))?;
        let status = response.status();
        // Seconds only (the relay never sends an HTTP date).
        let retry_after_s = response
            .headers()
            .get("Retry-After")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u32>().ok());
        let text = JsFuture::from(response.text().map_err(unreachable)?)
            .await
            .map_err(unreachable)?
            .as_string()
            .unwrap_or_default();
        Ok((status, retry_after_s, text))
    }
}

/// The error an answer other than 2xx means.
fn status_error(status: u16, retry_after_s: Option<u32>, text: &str) -> NetError {
    if status == 401 {
        return NetError::Unauthorized;
    }
    let (error, message) = match serde_json::from_str::<ErrorBody>(text) {
        Ok(b) => (b.error, b.message),
        Err(_) => (String::new(), text.chars().take(200).collect()),
    };
    NetError::Status {
        status,
        error,
        message,
        retry_after_s,
    }
}

pub fn js_text(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    format!("{e:?}")
}
