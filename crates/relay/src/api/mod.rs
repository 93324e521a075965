//! The sync API under `/api/v1` (PROTOCOL.md). Every handler is scoped to the workspace of the
//! device token it was called with; bodies are JSON and every error is `{"error", "message"}`.

//!
//! `mod.rs`: the state, the routes, errors and the extractors every handler shares; one module per
//! resource: [`workspaces`] (workspaces, join secrets, devices), [`chunks`] (push, pull), [`keys`]
//! (documents' keys and scope), [`notify`]
//! (the WebSocket).

mod chunks;
mod error;
mod extract;
mod keys;
mod notify;
mod workspaces;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{delete, get, post};
use axum::Router;
use tokio::sync::Semaphore;

pub use chunks::{decode_pull_query, decode_push, PullParams};
pub use error::{api_method_not_allowed, api_not_found, ApiError};
use error::{body_bytes, from_json_object, json_body};
use extract::{bearer, scoped};
pub use extract::{
    hash_secret, limit_client, new_id, new_secret, random_bytes, ApiPath, Auth, BodyBudget,
    ClientIp,
};
pub use keys::decode_key_update;
pub use notify::decode_client_message;

use crate::clock::DynClock;
use crate::config::Config;
use crate::rate::RateLimits;
use crate::store::{DynStore, Notifier};
use chunks::{pull, push};
use keys::{doc_keys, update_keys, KEY_BODY_BYTES};
use notify::notify;
use workspaces::{create_join_secret, create_workspace, join, list_devices, revoke_device};

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
        AppState {
            store,
            notifier,
            rate: RateLimits::new(&config, clock.clone()),
            body_budget: Arc::new(Semaphore::new(body_budget_kib(&config))),
            config,
            clock,
            shutdown,
        }
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.unix_secs()
    }

    fn body_budget_kib(&self) -> usize {
        body_budget_kib(&self.config)
    }
}

/// The push body budget in KiB (at least one whole body; permits are counted in `u32`).
fn body_budget_kib(config: &Config) -> usize {
    config
        .max_inflight_body_bytes
        .max(config.max_body_bytes)
        .div_ceil(1024)
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize))
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
        .route(
            "/workspaces/{ws}/keys",
            post(update_keys).layer(DefaultBodyLimit::max(KEY_BODY_BYTES)),
        )
        .route("/workspaces/{ws}/keys/{doc}", get(doc_keys))
        .route("/workspaces/{ws}/notify", get(notify))
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
