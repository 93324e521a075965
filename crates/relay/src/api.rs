//! The sync API under `/api/v1` (PROTOCOL.md). Every handler is scoped to the workspace of the
//! device token it was called with; bodies are JSON and every error is `{"error", "message"}`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{body::Bytes, Json, Router};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tend_wire::sync_wire::{
    ChunkKind, ClientMessage, CreateJoinSecretRequest, CreateWorkspaceRequest, DeviceCredentials,
    DeviceList, ErrorBody, JoinRequest, JoinSecretResponse, PullResponse, PulledChunk, PushRequest,
    PushResponse, PushResult, ServerMessage,
};
use tokio::sync::broadcast::error::RecvError;

use crate::clock::DynClock;
use crate::config::Config;
use crate::rate::RateLimits;
use crate::store::{DynStore, NewChunk, Notifier, Principal, StoreError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct AppState {
    pub store: DynStore,
    pub notifier: Arc<Notifier>,
    pub config: Config,
    pub clock: DynClock,
    pub rate: RateLimits,
    /// KiB of push bodies that may be held in memory at once (see [`BodyBudget`]).
    pub body_budget: Arc<Semaphore>,
    /// Becomes true when the relay is shutting down (WebSockets close themselves).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    pub fn new(
        store: DynStore,
        notifier: Arc<Notifier>,
        config: Config,
        clock: DynClock,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        let mut state = AppState {
            store,
            notifier,
            rate: RateLimits::new(&config, clock.clone()),
            body_budget: Arc::new(Semaphore::new(0)),
            config,
            clock,
            shutdown,
        };
        state.body_budget = Arc::new(Semaphore::new(state.body_budget_kib()));
        state
    }

    fn now(&self) -> i64 {
        self.clock.unix_secs()
    }

    fn body_budget_kib(&self) -> usize {
        self.config
            .max_inflight_body_bytes
            .max(self.config.max_body_bytes)
            .div_ceil(1024)
            .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize))
    }
}

type St = State<Arc<AppState>>;

/// Longest accepted doc id / client chunk id / device name, in bytes.
pub const MAX_ID_LEN: usize = 128;
pub const MAX_NAME_LEN: usize = 200;
/// Default join secret lifetime.
pub const DEFAULT_JOIN_TTL: u64 = 24 * 3600;
/// Largest body of the small JSON requests (create a workspace, join, mint a join secret): anyone
/// can send those, so the relay reads no more of them than that.
pub const SMALL_BODY_BYTES: usize = 16 * 1024;
/// Default pull page size (chunks) when the request names none.
pub const DEFAULT_PAGE_CHUNKS: u32 = 500;
const WS_AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const WS_KEEPALIVE: Duration = Duration::from_secs(30);

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/workspaces",
            post(create_workspace).layer(DefaultBodyLimit::max(SMALL_BODY_BYTES)),
        )
        .route(
            "/join",
            post(join).layer(DefaultBodyLimit::max(SMALL_BODY_BYTES)),
        )
        .route(
            "/workspaces/{ws}/join-secrets",
            post(create_join_secret).layer(DefaultBodyLimit::max(SMALL_BODY_BYTES)),
        )
        .route("/workspaces/{ws}/devices", get(list_devices))
        .route("/workspaces/{ws}/devices/{device}", delete(revoke_device))
        .route("/workspaces/{ws}/chunks", post(push).get(pull))
        .route("/workspaces/{ws}/notify", get(notify))
}

// ----------------------------------------------------------------------------------------------
// Errors

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
    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
    fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    fn forbidden() -> Self {
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

fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("request body larger than the relay accepts: {r}"))
        } else {
            ApiError::new(r.status(), "bad_request", r.body_text())
        }
    })?;
    from_json_object(&bytes)
}

/// A request body, which must be a JSON object: serde would otherwise also read a struct from an
/// array of its fields in order (`["ws", "secret"]`), which no client sends on purpose.
fn from_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::bad("the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))
}

// ----------------------------------------------------------------------------------------------
// Tokens and ids

pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| {
        tracing::error!("no randomness: {e}");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no randomness",
        )
    })?;
    Ok(b)
}

/// 256-bit random secret, base64url without padding (43 characters).
pub fn new_secret() -> Result<String, ApiError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// 128-bit random id, lowercase hex (32 characters).
pub fn new_id() -> Result<String, ApiError> {
    Ok(random_bytes::<16>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn bearer(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    let v = headers.get(axum::http::header::AUTHORIZATION)?;
    Some(
        v.to_str()
            .ok()
            .and_then(|s| s.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <device token>`")),
    )
}

/// The authenticated device of a request (`Authorization: Bearer <device token>`).
pub struct Auth(pub Principal);

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .unwrap_or_else(|| Err(ApiError::unauthorized("missing device token")))?;
        match state.store.authenticate(hash_secret(token)).await? {
            Some(p) => {
                state.rate.request_for(&p.workspace_id)?;
                Ok(Auth(p))
            }
            None => Err(ApiError::unauthorized("unknown or revoked device token")),
        }
    }
}

/// The client's address: the connection's peer, or, with `--forwarded-for` (behind a reverse
/// proxy), the last `X-Forwarded-For` entry — the one the proxy itself appended.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<Arc<AppState>> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        if !state.config.forwarded_for {
            return Ok(ClientIp(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        Ok(ClientIp(forwarded.unwrap_or(peer)))
    }
}

/// Counts every API request against its client's rate limit (middleware on `/api/v1`).
pub async fn limit_client(
    State(st): St,
    ClientIp(ip): ClientIp,
    request: Request,
    next: Next,
) -> Response {
    match st.rate.request_from(ip) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// A share of the relay's budget for push bodies in memory, held until the request is answered:
/// however many devices push at once, the bodies held (and what decoding them allocates) stay
/// bounded. Taken after authentication, so only a workspace's devices can spend it; a push that
/// finds the budget spent waits its turn up to `--body-wait-secs`, then is answered `503 busy`
/// with `Retry-After` without its body being read.
pub struct BodyBudget(#[allow(dead_code)] OwnedSemaphorePermit);

impl FromRequestParts<Arc<AppState>> for BodyBudget {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let max = state.config.max_body_bytes as u64;
        // Without a length (chunked), count the most the body may be.
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(max)
            .min(max);
        let kib = declared
            .div_ceil(1024)
            .clamp(1, state.body_budget_kib() as u64) as u32;
        // Wait a while for room (the body waits unread in the connection meanwhile), in turn.
        let wait = Duration::from_secs(state.config.body_wait_secs);
        match tokio::time::timeout(wait, state.body_budget.clone().acquire_many_owned(kib)).await {
            Ok(Ok(permit)) => Ok(BodyBudget(permit)),
            _ => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the relay is receiving as much as it holds at once; retry shortly",
            )
            .retry_after(1)),
        }
    }
}

/// `Path`, answering a segment that cannot be read (say invalid UTF-8 once percent-decoded) with
/// the API's JSON `400` instead of axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|e| ApiError::bad(format!("invalid path: {}", e.body_text())))
    }
}

fn scoped(p: &Principal, ws: &str) -> Result<(), ApiError> {
    if p.workspace_id == ws {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Unicode format characters that change how text is shown without being seen: direction marks,
/// embeddings, overrides and isolates, the zero-width space and word joiner, the BOM, invisible
/// operators and fillers. Joiners (U+200C/U+200D), variation selectors and tag characters stay
/// allowed: scripts such as Persian and emoji sequences (flags, "health worker") need them.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

fn check_name(name: &Option<String>) -> Result<(), ApiError> {
    match name {
        Some(n) if n.len() > MAX_NAME_LEN => Err(ApiError::bad(format!(
            "device_name longer than {MAX_NAME_LEN} bytes"
        ))),
        Some(n) if n.chars().any(char::is_control) => {
            Err(ApiError::bad("device_name contains control characters"))
        }
        // Direction overrides and invisible characters would let one device's name pose as
        // another's in the device list ("Ana\u{202E}s tablet", "Ana\u{200B}").
        Some(n) if n.chars().any(is_invisible_format) => Err(ApiError::bad(
            "device_name contains direction or invisible formatting characters",
        )),
        _ => Ok(()),
    }
}

fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ApiError::bad(format!(
            "{what} must be 1 to {MAX_ID_LEN} bytes"
        )));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad(format!(
            "{what} must be printable ASCII without spaces"
        )));
    }
    Ok(())
}

// ----------------------------------------------------------------------------------------------
// Workspaces and devices

async fn create_workspace(
    State(st): St,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<DeviceCredentials>), ApiError> {
    // Counted before the creation token is checked: guessing it is limited too.
    st.rate.create_from(ip)?;
    if let Some(required) = &st.config.create_token {
        let given = bearer(&headers)
            .unwrap_or_else(|| Err(ApiError::unauthorized("creating a workspace needs a token")))?;
        if hash_secret(given) != hash_secret(required) {
            return Err(ApiError::unauthorized("wrong workspace creation token"));
        }
    }
    let req: CreateWorkspaceRequest = if body.as_ref().map(|b| b.is_empty()).unwrap_or(false) {
        CreateWorkspaceRequest::default()
    } else {
        json_body(body)?
    };
    check_name(&req.device_name)?;
    let (ws, dev, token) = (new_id()?, new_id()?, new_secret()?);
    st.store
        .create_workspace(&ws, &dev, hash_secret(&token), req.device_name, st.now())
        .await?;
    tracing::info!(workspace = %ws, device = %dev, "workspace created");
    Ok((
        StatusCode::CREATED,
        Json(DeviceCredentials {
            workspace_id: ws,
            device_id: dev,
            device_token: token,
        }),
    ))
}

async fn create_join_secret(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<JoinSecretResponse>), ApiError> {
    scoped(&p, &ws)?;
    let req: CreateJoinSecretRequest = if body.as_ref().map(|b| b.is_empty()).unwrap_or(false) {
        CreateJoinSecretRequest::default()
    } else {
        json_body(body)?
    };
    let ttl = req
        .ttl_secs
        .unwrap_or(DEFAULT_JOIN_TTL)
        .clamp(1, st.config.join_secret_max_ttl.max(1));
    let secret = new_secret()?;
    let expires_at = st.now().saturating_add(ttl as i64);
    st.store
        .create_join_secret(&ws, hash_secret(&secret), expires_at, &p.device_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(JoinSecretResponse {
            join_secret: secret,
            expires_at,
        }),
    ))
}

async fn join(
    State(st): St,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<DeviceCredentials>), ApiError> {
    st.rate.join_from(ip)?;
    let req: JoinRequest = json_body(body)?;
    check_name(&req.device_name)?;
    // Like every other failure of the secret itself: 403, indistinguishable (PROTOCOL.md).
    if req.workspace_id.len() > MAX_ID_LEN || req.join_secret.len() > MAX_ID_LEN {
        return Err(join_rejected());
    }
    st.rate.join_into(&req.workspace_id)?;
    let (dev, token) = (new_id()?, new_secret()?);
    match st
        .store
        .join(
            &req.workspace_id,
            hash_secret(&req.join_secret),
            st.now(),
            &dev,
            hash_secret(&token),
            req.device_name,
        )
        .await?
    {
        Ok(()) => {
            tracing::info!(workspace = %req.workspace_id, device = %dev, "device joined");
            Ok((
                StatusCode::CREATED,
                Json(DeviceCredentials {
                    workspace_id: req.workspace_id,
                    device_id: dev,
                    device_token: token,
                }),
            ))
        }
        Err(_) => Err(join_rejected()),
    }
}

fn join_rejected() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "join_rejected",
        "the join secret is unknown, already used, expired, revoked, or for another workspace",
    )
}

async fn list_devices(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
) -> Result<Json<DeviceList>, ApiError> {
    scoped(&p, &ws)?;
    Ok(Json(DeviceList {
        devices: st.store.list_devices(&ws).await?,
    }))
}

async fn revoke_device(
    State(st): St,
    Auth(p): Auth,
    ApiPath((ws, device)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    scoped(&p, &ws)?;
    if st.store.revoke_device(&ws, &device, st.now()).await? {
        tracing::info!(workspace = %ws, device = %device, by = %p.device_id, "device revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such device in this workspace",
        ))
    }
}

// ----------------------------------------------------------------------------------------------
// Chunks

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
        // Reject before decoding anything huge.
        if c.ciphertext.len() / 4 * 3 > config.max_chunk_bytes + 3 {
            return Err(ApiError::too_large(format!(
                "chunk {i}: larger than {} bytes",
                config.max_chunk_bytes
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(c.ciphertext.as_bytes())
            .map_err(|e| ApiError::bad(format!("chunk {i}: ciphertext is not base64: {e}")))?;
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

async fn push(
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

async fn pull(
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
    let page = st.store.pull(&ws, q.after, limit, max_bytes).await?;
    let b64 = base64::engine::general_purpose::STANDARD;
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
                ciphertext: b64.encode(&c.ciphertext),
            })
            .collect(),
        next_cursor: page.next_cursor,
        more: page.more,
        head_seq: page.head_seq,
    }))
}

// ----------------------------------------------------------------------------------------------
// Notify WebSocket

/// Parses one text frame from a device. Pure: fuzzed.
pub fn decode_client_message(text: &str) -> Result<ClientMessage, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::bad(format!("invalid message: {e}")))
}

fn server_msg(m: &ServerMessage) -> Message {
    Message::Text(
        serde_json::to_string(m)
            .unwrap_or_else(|_| "{}".into())
            .into(),
    )
}

fn err_msg(e: &ApiError) -> Message {
    server_msg(&ServerMessage::Error {
        error: e.code.to_owned(),
        message: e.message.clone(),
    })
}

async fn notify(
    State(st): St,
    ApiPath(ws): ApiPath<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|r| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected a WebSocket upgrade: {}", r.body_text()),
        )
    })?;
    // Authenticate before upgrading when the client can send a header.
    let pre = match bearer(&headers) {
        Some(t) => {
            let hash = hash_secret(t?);
            let p = st
                .store
                .authenticate(hash)
                .await?
                .ok_or_else(|| ApiError::unauthorized("unknown or revoked device token"))?;
            scoped(&p, &ws)?;
            Some(hash)
        }
        None => None,
    };
    let max = st.config.ws_max_message_bytes.max(64);
    Ok(upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| run_socket(st, ws, pre, socket)))
}

/// Whether a receive failed because the message was over the limit (`max_message_size`).
fn is_too_big(e: &axum::Error) -> bool {
    matches!(
        std::error::Error::source(e).and_then(|s| s.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run_socket(st: Arc<AppState>, ws: String, pre: Option<[u8; 32]>, mut socket: WebSocket) {
    let token_hash = match pre {
        Some(h) => h,
        None => {
            let first = tokio::time::timeout(WS_AUTH_TIMEOUT, socket.recv()).await;
            let token = match first {
                Ok(Some(Ok(Message::Text(t)))) => match decode_client_message(&t) {
                    Ok(ClientMessage::Auth { token }) => token,
                    Ok(_) => {
                        let e = ApiError::unauthorized("the first message must be auth");
                        let _ = socket.send(err_msg(&e)).await;
                        return close(socket, 1008, "unauthorized").await;
                    }
                    Err(e) => {
                        let _ = socket.send(err_msg(&e)).await;
                        return close(socket, 1008, "unauthorized").await;
                    }
                },
                Ok(Some(Err(e))) if is_too_big(&e) => {
                    return close(socket, 1009, "message too big").await
                }
                _ => return close(socket, 1008, "unauthorized").await,
            };
            hash_secret(&token)
        }
    };
    let ok = match st.store.authenticate(token_hash).await {
        Ok(Some(p)) if p.workspace_id == ws => true,
        Ok(Some(_)) => {
            let _ = socket.send(err_msg(&ApiError::forbidden())).await;
            false
        }
        Ok(None) => {
            let e = ApiError::unauthorized("unknown or revoked device token");
            let _ = socket.send(err_msg(&e)).await;
            false
        }
        Err(e) => {
            let _ = socket.send(err_msg(&ApiError::from(e))).await;
            false
        }
    };
    if !ok {
        return close(socket, 1008, "unauthorized").await;
    }
    // Subscribe before reading the head, so nothing falls between them.
    let mut rx = st.notifier.subscribe(&ws);
    let head = match st.store.head(&ws).await {
        Ok(h) => h,
        Err(_) => return close(socket, 1011, "store unavailable").await,
    };
    if socket
        .send(server_msg(&ServerMessage::Ready { head_seq: head }))
        .await
        .is_err()
    {
        return;
    }
    let mut last_sent = head;
    let mut shutdown = st.shutdown.clone();
    let mut keepalive = tokio::time::interval(WS_KEEPALIVE);
    keepalive.tick().await;
    let mut recheck = tokio::time::interval(Duration::from_secs(st.config.ws_recheck_secs.max(1)));
    recheck.tick().await;
    loop {
        tokio::select! {
            n = rx.recv() => {
                let seq = match n {
                    Ok(seq) => seq,
                    Err(RecvError::Lagged(_)) => match st.store.head(&ws).await {
                        Ok(h) => h,
                        Err(_) => continue,
                    },
                    Err(RecvError::Closed) => break,
                };
                // Only news: each socket sees strictly increasing seqs (PostgreSQL may deliver late).
                if seq <= last_sent {
                    continue;
                }
                last_sent = seq;
                if socket.send(server_msg(&ServerMessage::New { seq })).await.is_err() {
                    break;
                }
            }
            m = socket.recv() => {
                let reply = match m {
                    Some(Err(e)) if is_too_big(&e) => {
                        return close(socket, 1009, "message too big").await
                    }
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(t))) => match decode_client_message(&t) {
                        Ok(ClientMessage::Ping) => server_msg(&ServerMessage::Pong),
                        Ok(ClientMessage::Auth { .. }) => err_msg(&ApiError::bad("already authenticated")),
                        Err(e) => err_msg(&e),
                    },
                    Some(Ok(Message::Binary(_))) => err_msg(&ApiError::bad("binary messages are not accepted")),
                    Some(Ok(_)) => continue,
                };
                if socket.send(reply).await.is_err() {
                    break;
                }
            }
            _ = keepalive.tick() => {
                if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
            _ = recheck.tick() => {
                if let Ok(None) = st.store.authenticate(token_hash).await {
                    let e = ApiError::unauthorized("device revoked");
                    let _ = socket.send(err_msg(&e)).await;
                    return close(socket, 1008, "revoked").await;
                }
            }
            _ = shutdown.changed() => {
                return close(socket, 1001, "relay shutting down").await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    async fn state(wait_secs: u64) -> (Arc<AppState>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::with_data_dir(dir.path());
        config.database_url = None;
        config.max_body_bytes = 64 * 1024;
        config.max_inflight_body_bytes = 64 * 1024;
        config.body_wait_secs = wait_secs;
        let notifier = Arc::new(Notifier::new());
        let store = crate::store::open(&config, notifier.clone())
            .await
            .expect("store");
        let (_, shutdown) = tokio::sync::watch::channel(false);
        let st = AppState::new(store, notifier, config, SystemClock::shared(), shutdown);
        (Arc::new(st), dir)
    }

    fn push_parts(content_length: u64) -> Parts {
        let (parts, ()) = axum::http::Request::post("/api/v1/workspaces/w/chunks")
            .header(header::CONTENT_LENGTH, content_length)
            .body(())
            .expect("request")
            .into_parts();
        parts
    }

    async fn budget(st: &Arc<AppState>, bytes: u64) -> Result<BodyBudget, ApiError> {
        BodyBudget::from_request_parts(&mut push_parts(bytes), st).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_push_waits_its_turn_for_room_then_is_turned_away_or_served() {
        let (st, _dir) = state(10).await;
        let slow = budget(&st, 60_000).await.expect("room for the first");
        // No room beside it: the next one waits...
        let mut waiting = Box::pin(budget(&st, 10_000));
        assert!(tokio::time::timeout(Duration::ZERO, &mut waiting)
            .await
            .is_err());
        // ...and gets in as soon as the first is answered.
        drop(slow);
        assert!(waiting.await.is_ok());

        // One that waits longer than it may is turned away, and its place is not kept.
        let slow = budget(&st, 60_000).await.expect("room again");
        let refused = budget(&st, 10_000)
            .await
            .err()
            .expect("busy after the wait");
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!((refused.code, refused.retry_after), ("busy", Some(1)));
        drop(slow);
        assert!(budget(&st, 64 * 1024).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_wait_a_push_that_does_not_fit_is_turned_away_at_once_and_small_ones_fit() {
        let (st, _dir) = state(0).await;
        let _slow = budget(&st, 60_000).await.expect("room for the first");
        let start = tokio::time::Instant::now();
        assert!(budget(&st, 10_000).await.is_err());
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert!(budget(&st, 1_000).await.is_ok());
        // A body without a length counts as the largest allowed.
        let (mut parts, ()) = axum::http::Request::post("/x")
            .body(())
            .expect("request")
            .into_parts();
        drop(_slow);
        let whole = BodyBudget::from_request_parts(&mut parts, &st).await;
        assert!(whole.is_ok());
        assert!(budget(&st, 1).await.is_err());
    }
}
