//! What handlers take from a request before doing anything: the device (`Auth`), the client's
//! address (`ClientIp`), a share of the body budget (`BodyBudget`), path segments as JSON errors
//! (`ApiPath`) — and the secrets and ids the relay mints.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;

use super::{ApiError, AppState, St};
use crate::store::Principal;

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

pub(super) fn bearer(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
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

/// How stale a device's "last seen" may get before a request records it again.
pub const LAST_SEEN_STEP_SECS: i64 = 60;

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
                // "Last seen", to the minute: one write a minute per device at most.
                let now = state.now();
                if p.last_seen.is_none_or(|t| now - t >= LAST_SEEN_STEP_SECS) {
                    if let Err(e) = state.store.touch_device(&p.device_id, now).await {
                        tracing::warn!("could not record that a device was seen: {e}");
                    }
                }
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

pub(super) fn scoped(p: &Principal, ws: &str) -> Result<(), ApiError> {
    if p.workspace_id == ws {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::config::Config;
    use crate::store::Notifier;

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
