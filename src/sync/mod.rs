//! Sync with the relay. The only module that touches the network (see PROTOCOL.md).
//!
//! One engine per app: it pulls every page after the stored cursor (decrypt → merge → one IndexedDB
//! transaction per page with the cursor), then pushes each document in the outbox (the changes since
//! the heads the relay acknowledged, recorded with their `client_chunk_id` before sending). It runs
//! on launch, on `online`, on `visibilitychange` to visible, on relay notifications (WebSocket),
//! after local edits (debounced), every minute while online, and from "Sync now"; failures back off
//! exponentially with jitter. Until a workspace is set up, this device keeps everything to itself.

pub mod net;
pub mod pull;

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use base64::Engine as _;
use gloo::events::EventListener;
use gloo::timers::callback::{Interval, Timeout};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::{Deserialize, Serialize};
use tend_core::{
    crypto::{self, JoinCode, WorkspaceKey, KEY_LEN},
    sync_wire::{ChunkKind, JoinRequest, PullResponse, PushChunk, PushRequest, ServerMessage},
    PatientId,
};
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::clock::now_ms;
use crate::session::Session;
use crate::storage::{sync_state::PendingPush, Storage, StorageError};
use net::{NetError, Relay};

/// Meta key of this device's workspace credentials (sealed like every stored value).
pub const WORKSPACE_META: &str = "sync_workspace";
/// Wait after a local edit before pushing, so a burst of typing becomes one push.
const EDIT_DEBOUNCE_MS: u32 = 500;
/// Pull even without a notification this often while online.
const PERIODIC_MS: u32 = 60_000;
/// Keep a push request well under the relay's 16 MiB body limit (base64 adds a third).
const PUSH_MAX_BYTES: usize = 4 * 1024 * 1024;
const PUSH_MAX_CHUNKS: usize = 200;
/// Merging a pull page again after a document changed under it: a few tries, then the sync round
/// fails (and backs off) like any storage failure.
const PULL_PAGE_TRIES: u32 = 3;
/// Longest wait between retries.
const BACKOFF_CAP_MS: f64 = 300_000.0;

/// What the user is told about sync. Never claims success for a sync that did not complete.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncStatus {
    NotSetUp,
    /// Starting up (reading the stored workspace).
    Starting,
    /// The browser says there is no network; `waiting` documents have changes to send.
    Offline {
        waiting: usize,
    },
    Syncing,
    UpToDate {
        at_ms: i64,
    },
    /// Changes saved on this device that the relay has not acknowledged yet.
    Waiting {
        count: usize,
    },
    /// Something the user can act on (or wait for: `retry_in_s`).
    Error {
        reason: String,
        retry_in_s: Option<u32>,
    },
}

impl SyncStatus {
    pub fn describe(&self) -> String {
        match self {
            SyncStatus::NotSetUp => "Sync not set up: data stays on this device".into(),
            SyncStatus::Starting => "Sync starting…".into(),
            SyncStatus::Offline { waiting: 0 } => {
                "Offline: changes will sync when back online".into()
            }
            SyncStatus::Offline { waiting } => {
                format!("Offline: {} waiting to sync", changes(*waiting))
            }
            SyncStatus::Syncing => "Syncing…".into(),
            SyncStatus::UpToDate { at_ms } => format!(
                "Synced: up to date (at {})",
                crate::format::time_of_day(*at_ms)
            ),
            SyncStatus::Waiting { count } => format!("{} waiting to sync", changes(*count)),
            SyncStatus::Error {
                reason,
                retry_in_s: Some(s),
            } => format!("Not synced: {reason} — will retry in {s} s"),
            SyncStatus::Error { reason, .. } => format!("Not synced: {reason}"),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, SyncStatus::Error { .. })
    }
}

fn changes(n: usize) -> String {
    if n == 1 {
        "1 patient's changes".into()
    } else {
        format!("{n} patients' changes")
    }
}

/// This device's membership of a workspace. Never logged; the token goes only to the relay's auth
/// header and the key only into join codes.
#[derive(Clone, Serialize, Deserialize)]
pub struct Workspace {
    pub relay_url: String,
    pub workspace_id: String,
    pub device_id: String,
    pub device_token: String,
    /// Standard base64 of the 32-byte workspace key.
    pub key: String,
}

impl Workspace {
    fn workspace_key(&self) -> Result<WorkspaceKey, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.key)
            .map_err(|e| e.to_string())?;
        let arr: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| "stored workspace key has the wrong length".to_string())?;
        Ok(WorkspaceKey::from_bytes(arr))
    }

    fn relay(&self) -> Relay {
        Relay::new(&self.relay_url, Some(self.device_token.clone()))
    }
}

#[derive(Debug)]
enum SyncError {
    Net(NetError),
    Storage(StorageError),
    Local(String),
}

impl From<NetError> for SyncError {
    fn from(e: NetError) -> Self {
        SyncError::Net(e)
    }
}
impl From<StorageError> for SyncError {
    fn from(e: StorageError) -> Self {
        SyncError::Storage(e)
    }
}

struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

pub struct Engine {
    session: Session,
    storage: Rc<Storage>,
    status: RwSignal<SyncStatus>,
    workspace: RefCell<Option<Workspace>>,
    running: Cell<bool>,
    again: Cell<bool>,
    failures: Cell<u32>,
    retry: RefCell<Option<Timeout>>,
    debounce: RefCell<Option<Timeout>>,
    socket: RefCell<Option<Socket>>,
    socket_gen: Cell<u32>,
    socket_failures: Cell<u32>,
    socket_retry: RefCell<Option<Timeout>>,
    cursor: Cell<u64>,
    /// The relay refused this device (401): nothing more until it joins again.
    removed: Cell<bool>,
    listeners: RefCell<Vec<EventListener>>,
    interval: RefCell<Option<Interval>>,
    /// Stopped for good (the app locked): no more rounds, sockets, timers or status updates.
    stopped: Cell<bool>,
}

/// The engine as Leptos context.
#[derive(Clone)]
pub struct SyncHandle {
    engine: SendWrapper<Rc<Engine>>,
    pub status: RwSignal<SyncStatus>,
}

fn online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// The relay is the app's own origin.
pub fn own_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

fn backoff_ms(failures: u32) -> u32 {
    let exp = 1000.0 * 2f64.powi(failures.saturating_sub(1).min(20) as i32);
    let capped = exp.min(BACKOFF_CAP_MS);
    // Full jitter in the upper half: devices that lost the relay together do not return together.
    let jittered = capped * (0.5 + 0.5 * js_sys::Math::random());
    jittered.max(500.0) as u32
}

impl SyncHandle {
    /// Reads the stored workspace (if any) and starts the engine. Call inside the app's reactive owner.
    pub fn start(session: Session) -> Self {
        let status = RwSignal::new(SyncStatus::Starting);
        let engine = Rc::new(Engine {
            storage: session.storage(),
            session,
            status,
            workspace: RefCell::new(None),
            running: Cell::new(false),
            again: Cell::new(false),
            failures: Cell::new(0),
            retry: RefCell::new(None),
            debounce: RefCell::new(None),
            socket: RefCell::new(None),
            socket_gen: Cell::new(0),
            socket_failures: Cell::new(0),
            socket_retry: RefCell::new(None),
            cursor: Cell::new(0),
            removed: Cell::new(false),
            listeners: RefCell::new(Vec::new()),
            interval: RefCell::new(None),
            stopped: Cell::new(false),
        });
        engine.install_listeners();
        Engine::watch_edits(&engine);
        let e = Rc::clone(&engine);
        leptos::task::spawn_local(async move {
            match e.storage.meta(WORKSPACE_META).await {
                Ok(Some(json)) => match serde_json::from_str::<Workspace>(&json) {
                    Ok(ws) => {
                        e.cursor.set(e.storage.sync_cursor().await.unwrap_or(0));
                        *e.workspace.borrow_mut() = Some(ws);
                        e.connect_socket();
                        e.request();
                    }
                    Err(_) => e.status.set(SyncStatus::Error {
                        reason: "this device's workspace settings could not be read — join the workspace again".into(),
                        retry_in_s: None,
                    }),
                },
                Ok(None) => e.status.set(SyncStatus::NotSetUp),
                Err(err) => e.status.set(SyncStatus::Error {
                    reason: format!("device storage failed ({err})"),
                    retry_in_s: None,
                }),
            }
        });
        SyncHandle {
            engine: SendWrapper::new(engine),
            status,
        }
    }

    /// Stops the engine for good (the app is locking): removes its listeners and timers, closes the
    /// socket, and makes any round still in flight end without touching state. A round that is
    /// writing when the data key is dropped fails with a storage error; the relay keeps everything,
    /// so the next unlock's engine pulls it again.
    pub fn stop(&self) {
        let e = &self.engine;
        e.stopped.set(true);
        e.listeners.borrow_mut().clear();
        e.interval.borrow_mut().take();
        e.retry.borrow_mut().take();
        e.debounce.borrow_mut().take();
        e.close_socket();
    }

    /// "Sync now": runs at once (a pending backoff is skipped).
    pub fn sync_now(&self) {
        self.engine.failures.set(0);
        self.engine.retry.borrow_mut().take();
        if self.engine.socket.borrow().is_none() {
            self.engine.socket_failures.set(0);
            self.engine.connect_socket();
        }
        self.engine.request();
    }

    pub fn workspace_id(&self) -> Option<String> {
        self.engine
            .workspace
            .borrow()
            .as_ref()
            .map(|w| w.workspace_id.clone())
    }

    pub fn is_set_up(&self) -> bool {
        self.engine.workspace.borrow().is_some()
    }

    /// True when the relay refused this device (revoked): it may join again.
    pub fn is_removed(&self) -> bool {
        self.engine.removed.get()
    }

    /// "Start a workspace": registers this device with the relay (the app's origin) and generates
    /// the workspace key here; the key never goes to the relay.
    pub async fn start_workspace(&self, device_name: Option<String>) -> Result<(), String> {
        let key = WorkspaceKey::generate().map_err(|e| e.to_string())?;
        let origin = own_origin();
        let creds = Relay::new(&origin, None)
            .create_workspace(device_name)
            .await
            .map_err(|e| describe_setup_error(&e))?;
        self.adopt(Workspace {
            relay_url: origin,
            workspace_id: creds.workspace_id,
            device_id: creds.device_id,
            device_token: creds.device_token,
            key: base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
        })
        .await
    }

    /// "Join a workspace" with a pasted (or scanned) join code; then pulls everything from 0.
    pub async fn join(&self, code: &str, device_name: Option<String>) -> Result<(), String> {
        let code = JoinCode::parse(code).map_err(|e| {
            format!(
                "That is not a valid join code ({e}). Copy the whole code, starting with TEND1-."
            )
        })?;
        let creds = Relay::new(&code.relay_url, None)
            .join(&JoinRequest {
                workspace_id: code.workspace_id.clone(),
                join_secret: code.join_secret.clone(),
                device_name,
            })
            .await
            .map_err(|e| match e {
                NetError::Status { status: 403, .. } => "The relay refused this join code: it was already used, has expired, or is for another workspace. Ask for a new invitation.".to_string(),
                other => describe_setup_error(&other),
            })?;
        self.adopt(Workspace {
            relay_url: code.relay_url.clone(),
            workspace_id: creds.workspace_id,
            device_id: creds.device_id,
            device_token: creds.device_token,
            key: base64::engine::general_purpose::STANDARD.encode(code.key.as_bytes()),
        })
        .await
    }

    /// "Invite a device": a fresh one-time join secret, wrapped with the key into a join code.
    pub async fn invite(&self) -> Result<String, String> {
        let ws = self
            .engine
            .workspace
            .borrow()
            .clone()
            .ok_or_else(|| "Set up a workspace first.".to_string())?;
        let secret = ws
            .relay()
            .mint_join_secret(&ws.workspace_id)
            .await
            .map_err(|e| describe_setup_error(&e))?;
        let key = ws.workspace_key()?;
        JoinCode {
            relay_url: ws.relay_url.clone(),
            workspace_id: ws.workspace_id.clone(),
            join_secret: secret.join_secret,
            key,
        }
        .encode()
        .map_err(|e| e.to_string())
    }

    async fn adopt(&self, ws: Workspace) -> Result<(), String> {
        let json = serde_json::to_string(&ws).map_err(|e| e.to_string())?;
        // A new identity or workspace: the old cursor and acknowledgements do not apply to it.
        self.engine
            .storage
            .reset_sync_state()
            .await
            .map_err(|e| format!("Sync could not be prepared on this device: {e}"))?;
        self.engine
            .storage
            .set_meta(WORKSPACE_META, &json)
            .await
            .map_err(|e| format!("The workspace could not be saved on this device: {e}"))?;
        self.engine.removed.set(false);
        self.engine.failures.set(0);
        *self.engine.workspace.borrow_mut() = Some(ws);
        self.engine.close_socket();
        self.engine.connect_socket();
        self.engine.request();
        Ok(())
    }
}

/// What a failed workspace set-up (create, join) tells the user.
pub fn describe_setup_error(e: &NetError) -> String {
    match e {
        NetError::Unreachable(_) => {
            "The relay could not be reached. Check the connection and try again.".into()
        }
        NetError::Unauthorized => "The relay refused this request (not authorised).".into(),
        NetError::Status {
            status: 429 | 503,
            retry_after_s,
            ..
        } => {
            let wait = match retry_after_s {
                Some(s) if *s > 90 => format!("{} minutes", s.div_ceil(60)),
                Some(s) if *s > 1 => format!("{s} seconds"),
                _ => "a moment".into(),
            };
            format!("The relay is busy with too many requests. Try again in {wait}.")
        }
        NetError::Status {
            status, message, ..
        } => format!("The relay refused this request ({status}: {message})."),
        NetError::Protocol(m) => format!("The relay gave an unexpected answer ({m})."),
    }
}

impl Engine {
    fn install_listeners(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = self.listeners.borrow_mut();
        let e = Rc::clone(self);
        listeners.push(EventListener::new(&window, "online", move |_| {
            e.failures.set(0);
            e.socket_failures.set(0);
            e.retry.borrow_mut().take();
            e.connect_socket();
            e.request();
        }));
        let e = Rc::clone(self);
        listeners.push(EventListener::new(&window, "offline", move |_| {
            // The browser does not close open sockets when the network goes: do it here.
            e.close_socket();
            e.retry.borrow_mut().take();
            if e.workspace.borrow().is_some() && !e.removed.get() && !e.running.get() {
                e.refresh_idle_status();
            }
        }));
        if let Some(document) = window.document() {
            let e = Rc::clone(self);
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    if doc.visibility_state() == web_sys::VisibilityState::Visible {
                        e.connect_socket();
                        e.request();
                    }
                },
            ));
        }
        let e = Rc::clone(self);
        *self.interval.borrow_mut() = Some(Interval::new(PERIODIC_MS, move || {
            if online() && e.failures.get() == 0 {
                e.request();
            }
        }));
    }

    /// After every durable local edit: say that changes wait, and push after a short pause.
    fn watch_edits(self: &Rc<Self>) {
        let e = SendWrapper::new(Rc::clone(self));
        let save_state = self.session.save_state;
        Effect::new(move |_| {
            if !matches!(save_state.get(), crate::session::SaveState::Saved { .. }) {
                return;
            }
            if e.workspace.borrow().is_none() {
                return;
            }
            if !e.running.get() {
                e.refresh_idle_status();
            }
            let inner = Rc::clone(&e);
            *e.debounce.borrow_mut() = Some(Timeout::new(EDIT_DEBOUNCE_MS, move || {
                inner.request();
            }));
        });
    }

    /// Status when no sync is running: offline / N waiting / error kept.
    fn refresh_idle_status(self: &Rc<Self>) {
        let e = Rc::clone(self);
        leptos::task::spawn_local(async move {
            let waiting = e.storage.outbox().await.map(|o| o.len()).unwrap_or(0);
            if e.running.get() || e.stopped.get() {
                return;
            }
            if !online() {
                e.status.set(SyncStatus::Offline { waiting });
            } else if waiting > 0 && !e.status.with_untracked(|s| s.is_error()) {
                e.status.set(SyncStatus::Waiting { count: waiting });
            }
        });
    }

    /// Asks for a sync round; if one is running, another follows it.
    fn request(self: &Rc<Self>) {
        if self.workspace.borrow().is_none() || self.removed.get() || self.stopped.get() {
            return;
        }
        if self.running.get() {
            self.again.set(true);
            return;
        }
        self.running.set(true);
        let e = Rc::clone(self);
        leptos::task::spawn_local(async move {
            loop {
                e.again.set(false);
                let result = e.sync_once().await;
                e.after_round(result).await;
                if !e.again.get() || e.removed.get() {
                    break;
                }
            }
            e.running.set(false);
        });
    }

    async fn after_round(self: &Rc<Self>, result: Result<bool, SyncError>) {
        if self.stopped.get() {
            return;
        }
        match result {
            Ok(true) => {
                self.failures.set(0);
                let waiting = self.storage.outbox().await.map(|o| o.len()).unwrap_or(0);
                self.status.set(if waiting == 0 {
                    SyncStatus::UpToDate { at_ms: now_ms() }
                } else {
                    SyncStatus::Waiting { count: waiting }
                });
            }
            Ok(false) => {
                let waiting = self.storage.outbox().await.map(|o| o.len()).unwrap_or(0);
                self.status.set(SyncStatus::Offline { waiting });
            }
            Err(SyncError::Net(NetError::Unauthorized)) => {
                self.removed.set(true);
                self.close_socket();
                self.status.set(SyncStatus::Error {
                    reason: "this device was removed from the workspace — join again in Settings"
                        .into(),
                    retry_in_s: None,
                });
            }
            Err(err) => {
                if !online() {
                    let waiting = self.storage.outbox().await.map(|o| o.len()).unwrap_or(0);
                    self.status.set(SyncStatus::Offline { waiting });
                    return;
                }
                let failures = self.failures.get() + 1;
                self.failures.set(failures);
                // Never sooner than the relay asked (rate limits, busy).
                let delay = match &err {
                    SyncError::Net(e) => e.retry_after_ms(),
                    _ => None,
                }
                .map_or(backoff_ms(failures), |asked| {
                    asked.max(backoff_ms(failures))
                });
                let reason = match &err {
                    SyncError::Net(e) => e.reason(),
                    SyncError::Storage(e) => format!("device storage failed ({e})"),
                    SyncError::Local(e) => e.clone(),
                };
                self.status.set(SyncStatus::Error {
                    reason,
                    retry_in_s: Some(delay.div_ceil(1000)),
                });
                let e = Rc::clone(self);
                *self.retry.borrow_mut() = Some(Timeout::new(delay, move || {
                    e.retry.borrow_mut().take();
                    e.request();
                }));
            }
        }
    }

    /// One round: pull everything, then push the outbox. `Ok(false)`: offline, nothing tried.
    async fn sync_once(self: &Rc<Self>) -> Result<bool, SyncError> {
        if !online() {
            return Ok(false);
        }
        let Some(ws) = self.workspace.borrow().clone() else {
            return Ok(true);
        };
        self.status.set(SyncStatus::Syncing);
        let key = ws.workspace_key().map_err(SyncError::Local)?;
        self.pull_all(&ws, &key).await?;
        self.push_outbox(&ws, &key).await?;
        Ok(true)
    }

    async fn pull_all(&self, ws: &Workspace, key: &WorkspaceKey) -> Result<(), SyncError> {
        let relay = ws.relay();
        loop {
            let after = self.storage.sync_cursor().await?;
            let page = relay.pull(&ws.workspace_id, after).await?;
            if page.chunks.is_empty() && page.next_cursor == after {
                self.cursor.set(after);
                return Ok(());
            }
            let prepared = self.prepare_and_apply(ws, key, &page).await?;
            self.cursor.set(page.next_cursor);
            for m in prepared.merged {
                self.session.merge_remote(&m.id, &m.chunks, m.summary);
            }
            if !prepared.problems.is_empty() {
                self.session
                    .problems
                    .update(|p| p.extend(prepared.problems));
            }
            if !page.more {
                return Ok(());
            }
        }
    }

    /// Merges a pull page into the stored documents and writes it. If a document was saved while
    /// the page was being merged (an edit here or in another tab), the write is refused untouched
    /// and the page is merged again from what is stored now.
    async fn prepare_and_apply(
        &self,
        ws: &Workspace,
        key: &WorkspaceKey,
        page: &PullResponse,
    ) -> Result<pull::Prepared, SyncError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let prepared = pull::prepare(
                &self.storage,
                key,
                &ws.workspace_id,
                &ws.device_id,
                page,
                crate::clock::today(),
            )
            .await?;
            match self.storage.apply_pulled_page(&prepared.page).await {
                Ok(()) => return Ok(prepared),
                Err(StorageError::ChangedMeanwhile(_)) if tries < PULL_PAGE_TRIES => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn push_outbox(&self, ws: &Workspace, key: &WorkspaceKey) -> Result<(), SyncError> {
        let outbox = self.storage.outbox().await?;
        let mut batch: Vec<(PatientId, String, PendingPush)> = Vec::new();
        let mut batch_bytes = 0;
        for (id, marker) in outbox {
            let mut sync = self.storage.doc_sync(&id).await?;
            let pending = match sync.pending.clone() {
                // Recorded before an earlier send that got no answer: resend it unchanged.
                Some(p) => p,
                None => {
                    let mut doc = match self.storage.load_patient(&id).await {
                        Ok(loaded) => loaded.doc,
                        Err(StorageError::NotFound(_)) => {
                            self.storage
                                .record_acked(&id, sync.acked_heads.clone(), &marker)
                                .await?;
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    };
                    let acked: Vec<automerge::ChangeHash> = sync
                        .acked_heads
                        .iter()
                        .filter_map(|h| h.parse().ok())
                        .collect();
                    let heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
                    let bytes = doc.save_after(&acked);
                    if bytes.is_empty() {
                        self.storage.record_acked(&id, heads, &marker).await?;
                        continue;
                    }
                    let envelope = crypto::seal(
                        key,
                        &ws.workspace_id,
                        id.as_str(),
                        ChunkKind::Change,
                        &bytes,
                    )
                    .map_err(|e| SyncError::Local(e.to_string()))?;
                    let p = PendingPush {
                        client_chunk_id: uuid::Uuid::new_v4().to_string(),
                        envelope,
                        heads,
                    };
                    sync.pending = Some(p.clone());
                    self.storage.record_pending(&id, &sync).await?;
                    p
                }
            };
            batch_bytes += pending.envelope.len();
            batch.push((id, marker, pending));
            if batch.len() >= PUSH_MAX_CHUNKS || batch_bytes >= PUSH_MAX_BYTES {
                self.flush(ws, std::mem::take(&mut batch)).await?;
                batch_bytes = 0;
            }
        }
        if !batch.is_empty() {
            self.flush(ws, batch).await?;
        }
        Ok(())
    }

    async fn flush(
        &self,
        ws: &Workspace,
        batch: Vec<(PatientId, String, PendingPush)>,
    ) -> Result<(), SyncError> {
        let req = PushRequest {
            chunks: batch
                .iter()
                .map(|(id, _, p)| PushChunk {
                    client_chunk_id: p.client_chunk_id.clone(),
                    doc_id: id.to_string(),
                    kind: ChunkKind::Change,
                    covers_seq: None,
                    ciphertext: base64::engine::general_purpose::STANDARD.encode(&p.envelope),
                })
                .collect(),
        };
        let resp = ws.relay().push(&ws.workspace_id, &req).await?;
        for (id, marker, p) in batch {
            // Recorded as pushed only if the 200 lists it.
            if resp
                .results
                .iter()
                .any(|r| r.client_chunk_id == p.client_chunk_id)
            {
                self.storage.record_acked(&id, p.heads, &marker).await?;
            }
        }
        Ok(())
    }

    fn connect_socket(self: &Rc<Self>) {
        if self.socket.borrow().is_some() || self.removed.get() || self.stopped.get() || !online() {
            return;
        }
        let Some(ws) = self.workspace.borrow().clone() else {
            return;
        };
        self.socket_retry.borrow_mut().take();
        let url = format!(
            "{}{}",
            ws.relay_url
                .trim_end_matches('/')
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1),
            tend_core::sync_wire::paths::notify(&ws.workspace_id)
        );
        let Ok(socket) = WebSocket::new(&url) else {
            self.schedule_reconnect();
            return;
        };
        let generation = self.socket_gen.get().wrapping_add(1);
        self.socket_gen.set(generation);

        let s = socket.clone();
        let token = ws.device_token.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
            let _ = s.send_with_str(&auth);
        });
        let e = Rc::clone(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(text) = ev.data().as_string() else {
                return;
            };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(ServerMessage::Ready { .. }) => {
                    // Pull after every (re)connect: a notification may have been missed.
                    e.socket_failures.set(0);
                    e.failures.set(0);
                    e.retry.borrow_mut().take();
                    e.request();
                }
                Ok(ServerMessage::New { seq }) => {
                    if seq > e.cursor.get() {
                        e.request();
                    }
                }
                Ok(ServerMessage::Error { error, .. }) if error == "unauthorized" => {
                    e.removed.set(true);
                    e.status.set(SyncStatus::Error {
                        reason:
                            "this device was removed from the workspace — join again in Settings"
                                .into(),
                        retry_in_s: None,
                    });
                }
                _ => {}
            }
        });
        let e = Rc::clone(self);
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_ev: CloseEvent| {
            if e.socket_gen.get() != generation {
                return;
            }
            // Dropped after this callback returns (a closure must not be freed while it runs).
            let old = e.socket.borrow_mut().take();
            leptos::task::spawn_local(async move { drop(old) });
            e.schedule_reconnect();
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *self.socket.borrow_mut() = Some(Socket {
            ws: socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        if self.stopped.get()
            || self.removed.get()
            || !online()
            || self.workspace.borrow().is_none()
        {
            return;
        }
        let failures = self.socket_failures.get() + 1;
        self.socket_failures.set(failures);
        let e = Rc::clone(self);
        *self.socket_retry.borrow_mut() = Some(Timeout::new(backoff_ms(failures), move || {
            e.socket_retry.borrow_mut().take();
            e.connect_socket();
        }));
    }

    fn close_socket(&self) {
        self.socket_gen.set(self.socket_gen.get().wrapping_add(1));
        self.socket_retry.borrow_mut().take();
        if let Some(old) = self.socket.borrow_mut().take() {
            old.ws.set_onopen(None);
            old.ws.set_onmessage(None);
            old.ws.set_onclose(None);
            let _ = old.ws.close();
            leptos::task::spawn_local(async move { drop(old) });
        }
    }
}
