//! Sync with the relay. The only module that touches the network (see PROTOCOL.md).
//!
//! One tab per browser syncs: the one holding the leader lock (`leader`); the other tabs show its
//! status and hand it their "sync now", saves and workspace set-up over a BroadcastChannel
//! (`tend_core::sync::tabs`). When the leader closes or locks, a waiting tab takes over.
//!
//! The decisions — when a round runs, backoff, reconnecting, what the status says — are core's
//! sans-IO [`Machine`] (`tend_core::sync::machine`, tested natively). This module is its driver: it
//! turns browser events (network, visibility, saves, the notify WebSocket, timers) into machine
//! events and carries out the effects it returns. A round pulls every page after the stored cursor
//! (decrypt → merge, or append a patient's changes unmerged → one IndexedDB transaction per batch
//! with the cursor), then pushes each document in the outbox (the changes since the heads the relay
//! acknowledged, recorded with their `client_chunk_id` before sending). After the round, patients
//! whose changes were appended are settled (`settle`: summary recomputed), one at a time in the
//! background. Until a workspace is set up, this device keeps everything to itself.

pub mod leader;
pub mod net;
pub mod pull;
pub mod settle;

use std::{
    cell::{Cell, RefCell},
    collections::{BTreeSet, HashMap, HashSet, VecDeque},
    rc::Rc,
};

use base64::Engine as _;
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::{Deserialize, Serialize};
use tend_core::{
    crypto::{InvitedPerson, JoinCode, JoinDocKey, WorkspaceKey, KEY_LEN},
    keys::{chunk_generation, ContentKey, DocKeyState, KeyRing, KeyUpdate},
    record::PersonRole,
    sync::{
        key_step::{key_step, unfinished_rotations, HeldDoc, KeyAction},
        keys::{self, Keychain, ThisDevice},
        logs_after_page, page, plan_batches, should_snapshot, snapshot_chunk, snapshot_plain,
        Carried, Effect as SyncEffect, Event, Inputs, Machine, Phase, PullBatch, PulledBatch,
        RelayLog, RoundOutcome, Stored, TabMessage, Timer, PUSH_MAX_BYTES, PUSH_MAX_CHUNKS,
    },
    sync_wire::{ChunkKind, DeviceInfo, JoinRequest, PushChunk, PushRequest, ServerMessage},
    workspace::Person,
    workspace::SyncDoc,
    workspace::WorkspaceOp,
    DocId, PatientSummary, WORKSPACE_DOC_ID,
};
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

pub use tend_core::sync::SyncStatus;

use crate::clock::now_ms;
use crate::session::Session;
use crate::storage::{sync_state::PendingPush, Storage, StorageError};
use leader::{LeaderLock, SyncChannel};
use net::{NetError, Relay};

/// Meta key of this device's workspace credentials (sealed like every stored value).
pub const WORKSPACE_META: &str = "sync_workspace";
/// Writing a pull batch again after a document changed under it (each time only that document is
/// merged again): this many tries, then the sync round fails (and backs off) like any storage
/// failure.
const PULL_PAGE_TRIES: u32 = 10;

/// The sync status in words, as the header and Settings show it.
pub trait StatusText {
    fn describe(&self) -> String;
}

impl StatusText for SyncStatus {
    fn describe(&self) -> String {
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
    /// The workspace document's key this device joined with (from its join code): it reads the
    /// roster and pushes its own link with it until a device of the roster seals the key to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_with: Option<JoinedWith>,
}

/// One generation of the workspace document's key, as a join code gave it.
#[derive(Clone, Serialize, Deserialize)]
pub struct JoinedWith {
    pub generation: u32,
    /// Standard base64 of the 32-byte key.
    pub key: String,
}

/// A 32-byte key kept as standard base64 (`what` names it in the error).
fn stored_key(text: &str, what: &str) -> Result<[u8; KEY_LEN], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("stored {what} is not base64 ({e})"))?;
    bytes
        .try_into()
        .map_err(|_| format!("stored {what} has the wrong length"))
}

impl Workspace {
    fn workspace_key(&self) -> Result<WorkspaceKey, String> {
        stored_key(&self.key, "workspace key").map(WorkspaceKey::from_bytes)
    }

    fn relay(&self) -> Relay {
        Relay::new(&self.relay_url, Some(self.device_token.clone()))
    }

    /// The workspace document's key from the join code, if it came with one.
    fn joined_with(&self) -> Result<Option<(u32, ContentKey)>, String> {
        let Some(j) = &self.joined_with else {
            return Ok(None);
        };
        let key = stored_key(&j.key, "workspace document key")?;
        Ok(Some((j.generation, ContentKey::from_bytes(key))))
    }
}

/// What a round seals and opens with, and what it knows of documents' keys (followed as pages
/// bring changes to them).
struct RoundKeys {
    chain: Keychain,
    states: HashMap<String, DocKeyState>,
    me: ThisDevice,
    directory: keys::Directory,
    /// Documents stored here that have keys on the relay this device was never given (its first
    /// key for them came too late): not pushed until a reader grants them.
    not_given: HashSet<String>,
}

impl RoundKeys {
    /// Whether this device may push to `doc_id`: a document without keys, one it reads, or the
    /// workspace document while it holds its current key (from its join code).
    fn may_push(&self, doc_id: &str) -> bool {
        let holds_current = |s: &DocKeyState| {
            doc_id == WORKSPACE_DOC_ID
                && self
                    .chain
                    .ring(doc_id)
                    .and_then(|r| r.current())
                    .is_some_and(|(g, _)| g == s.current())
        };
        !self.not_given.contains(doc_id)
            && self.states.get(doc_id).is_none_or(|s| {
                s.current() == 0 || s.is_reader(&self.me.device_id) || holds_current(s)
            })
    }
}

/// What a pull batch writes besides its documents.
#[derive(Default)]
struct BatchExtras {
    doc_keys: HashMap<String, DocKeyState>,
    to_fetch: Vec<String>,
    /// The batch is a document fetched again from the start: the cursor stays where it is, and the
    /// document's `fetch:` mark goes.
    fetched: Option<String>,
}

/// Tries of a round whose push met keys changed meanwhile (409 `stale_keys`, 403 `out_of_scope`):
/// each pulls again, so it seals under the keys the relay holds now.
const ROUND_TRIES: u32 = 3;

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

impl SyncError {
    /// What the user is told when something they asked for failed with it.
    fn describe(self) -> String {
        match self {
            SyncError::Net(e) => describe_setup_error(&e),
            SyncError::Storage(e) => format!("Device storage failed ({e})."),
            SyncError::Local(m) => m,
        }
    }

    fn outcome(self) -> RoundOutcome {
        match self {
            SyncError::Net(NetError::Unauthorized) => RoundOutcome::Unauthorized,
            SyncError::Net(e) => RoundOutcome::Failed {
                reason: e.reason(),
                retry_after_ms: e.retry_after_ms(),
            },
            SyncError::Storage(e) => RoundOutcome::Failed {
                reason: format!("device storage failed ({e})"),
                retry_after_ms: None,
            },
            SyncError::Local(reason) => RoundOutcome::Failed {
                reason,
                retry_after_ms: None,
            },
        }
    }
}

struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

/// The driver: the machine, and the browser resources its effects ask for.
pub struct Engine {
    session: Session,
    storage: Rc<Storage>,
    status: RwSignal<SyncStatus>,
    workspace: RefCell<Option<Workspace>>,
    machine: RefCell<Machine>,
    /// Events waiting to be handled (an effect may cause one while another is being handled).
    queue: RefCell<VecDeque<Event>>,
    dispatching: Cell<bool>,
    timers: RefCell<HashMap<Timer, Timeout>>,
    socket: RefCell<Option<Socket>>,
    /// Bumped whenever the socket is replaced: events of an older socket are ignored.
    socket_gen: Cell<u32>,
    listeners: RefCell<Vec<EventListener>>,
    /// This tab runs the machine (it holds the leader lock, or the browser has none).
    leading: RwSignal<bool>,
    /// The workspace's id, for the screens (follows `workspace`).
    workspace_id: RwSignal<Option<String>>,
    /// A follower's copy of the leader's "this device was removed".
    removed: Cell<bool>,
    lock: RefCell<Option<LeaderLock>>,
    channel: RefCell<Option<SyncChannel>>,
    /// Documents' key rings opened in earlier rounds (a lead's device reads thousands).
    rings: RefCell<keys::RingCache>,
    /// Documents a pass of the feed from the start left unfetched (a key of theirs did not open):
    /// fetched one by one, so that they do not make every round read the whole feed again.
    not_whole: RefCell<HashSet<String>>,
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

impl SyncHandle {
    /// Reads the stored workspace (if any) and starts the engine: at once if this tab becomes the
    /// leader, otherwise as a follower of the tab that syncs. Call inside the app's reactive owner.
    pub fn start(session: Session) -> Self {
        let status = RwSignal::new(SyncStatus::Starting);
        let engine = Rc::new(Engine {
            storage: session.storage(),
            session,
            status,
            workspace: RefCell::new(None),
            machine: RefCell::new(Machine::new(online())),
            queue: RefCell::new(VecDeque::new()),
            dispatching: Cell::new(false),
            timers: RefCell::new(HashMap::new()),
            socket: RefCell::new(None),
            socket_gen: Cell::new(0),
            listeners: RefCell::new(Vec::new()),
            leading: RwSignal::new(false),
            workspace_id: RwSignal::new(None),
            removed: Cell::new(false),
            lock: RefCell::new(None),
            channel: RefCell::new(None),
            rings: RefCell::new(keys::RingCache::default()),
            not_whole: RefCell::new(HashSet::new()),
        });
        Engine::watch_edits(&engine);
        let e = Rc::clone(&engine);
        *engine.channel.borrow_mut() = SyncChannel::open(move |m| Engine::on_tab_message(&e, m));
        let e = Rc::clone(&engine);
        match LeaderLock::request(move || Engine::lead(&e)) {
            Some(lock) => {
                *engine.lock.borrow_mut() = Some(lock);
                // Shown until this tab leads or the leader answers.
                Engine::reload_workspace(&engine);
                engine.post(&TabMessage::Hello);
            }
            None => Engine::lead(&engine),
        }
        SyncHandle {
            engine: SendWrapper::new(engine),
            status,
        }
    }

    /// Stops the engine for good (the app is locking): removes its listeners and timers, closes the
    /// socket, makes any round still in flight end without touching state, and hands the leader
    /// lock on. A round that is writing when the data key is dropped fails with a storage error;
    /// the relay keeps everything, so the next unlock's engine pulls it again.
    pub fn stop(&self) {
        let e = &self.engine;
        e.listeners.borrow_mut().clear();
        if e.leads() {
            Engine::dispatch(e, Event::Locked);
        }
        e.lock.borrow_mut().take();
        e.channel.borrow_mut().take();
        // Content keys do not outlive the unlock (ContentKey wipes itself when dropped).
        *e.rings.borrow_mut() = keys::RingCache::default();
    }

    /// "Sync now": runs at once (a pending backoff is skipped), in whichever tab syncs.
    pub fn sync_now(&self) {
        Engine::hand_over(&self.engine, Event::SyncNow, TabMessage::SyncNow);
    }

    /// True when this tab is the one that syncs (the others follow it). Reactive.
    pub fn is_leader(&self) -> bool {
        self.engine.leading.get()
    }

    /// The workspace's id (reactive: a follower learns it after another tab set one up).
    pub fn workspace_id(&self) -> Option<String> {
        self.engine.workspace_id.get()
    }

    pub fn is_set_up(&self) -> bool {
        self.engine.workspace.borrow().is_some()
    }

    /// The relay's id of this device, once it is in a workspace.
    pub fn device_id(&self) -> Option<String> {
        self.engine
            .workspace
            .borrow()
            .as_ref()
            .map(|w| w.device_id.clone())
    }

    /// True when the relay refused this device (revoked): it may join again.
    pub fn is_removed(&self) -> bool {
        if self.engine.leads() {
            *self.engine.machine.borrow().phase() == Phase::Removed
        } else {
            self.engine.removed.get()
        }
    }

    /// "Start a workspace": registers this device with the relay (the app's origin) and generates
    /// the workspace key here; the key never goes to the relay.
    pub async fn start_workspace(&self, device_name: Option<String>) -> Result<(), String> {
        let key = WorkspaceKey::generate().map_err(|e| e.to_string())?;
        let origin = own_origin();
        // The device's name goes only into the (encrypted) roster, never to the relay.
        let creds = Relay::new(&origin, None)
            .create_workspace()
            .await
            .map_err(|e| describe_setup_error(&e))?;
        let relay_id = creds.device_id.clone();
        self.adopt(Workspace {
            relay_url: origin,
            workspace_id: creds.workspace_id,
            device_id: creds.device_id,
            device_token: creds.device_token,
            key: base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
            joined_with: None,
        })
        .await?;
        // Whoever starts the workspace is its roster's first person.
        self.engine
            .session
            .join_roster(false, device_name, &relay_id)
            .await
            .map_err(|e| format!("The workspace started, but the team roster was not: {e}"))
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
                device_name: None,
            })
            .await
            .map_err(|e| match e {
                NetError::Status { status: 403, .. } => "The relay refused this join code: it was already used, has expired, was made before the workspace's keys changed (after a device was revoked), or is for another workspace. Ask for a new invitation.".to_string(),
                other => describe_setup_error(&other),
            })?;
        let relay_id = creds.device_id.clone();
        self.adopt(Workspace {
            relay_url: code.relay_url.clone(),
            workspace_id: creds.workspace_id,
            device_id: creds.device_id,
            device_token: creds.device_token,
            key: base64::engine::general_purpose::STANDARD.encode(code.key.as_bytes()),
            joined_with: code.doc_key.as_ref().map(|d| JoinedWith {
                generation: d.generation,
                key: base64::engine::general_purpose::STANDARD.encode(d.key.as_bytes()),
            }),
        })
        .await?;
        // An invite for a person makes this device theirs; one without joins as who is here.
        let session = &self.engine.session;
        if let Some(p) = &code.person {
            session
                .adopt_person(&p.id, &p.name, PersonRole::parse(&p.role))
                .await
                .map_err(|e| format!("Joined, but who this device is for was not saved: {e}"))?;
        }
        session
            .join_roster(code.person.is_some(), device_name, &relay_id)
            .await
            .map_err(|e| format!("Joined, but the team roster was not updated: {e}"))
    }

    /// This device's membership, for what needs the relay.
    fn workspace(&self) -> Result<Workspace, String> {
        self.engine
            .workspace
            .borrow()
            .clone()
            .ok_or_else(|| "Set up a workspace first.".to_string())
    }

    /// "Invite a device": a fresh one-time join secret, wrapped with the workspace key and the
    /// workspace document's current key into a join code (the code stops working when that key
    /// is rotated: on a revocation).
    pub async fn invite(&self, person: Option<&Person>) -> Result<String, String> {
        let ws = self.workspace()?;
        let mut tries = 0;
        let (secret, doc_key) = loop {
            tries += 1;
            let doc_key = self
                .engine
                .join_doc_key(&ws)
                .await
                .map_err(SyncError::describe)?;
            match ws
                .relay()
                .mint_join_secret(&ws.workspace_id, doc_key.generation)
                .await
            {
                Ok(secret) => break (secret, doc_key),
                // Rotated meanwhile: again with the new key.
                Err(e) if tries < ROUND_TRIES && keys_changed_meanwhile(&e) => continue,
                Err(e) => return Err(describe_setup_error(&e)),
            }
        };
        let key = ws.workspace_key()?;
        JoinCode {
            relay_url: ws.relay_url.clone(),
            workspace_id: ws.workspace_id.clone(),
            join_secret: secret.join_secret,
            key,
            doc_key: Some(doc_key),
            person: person.map(|p| InvitedPerson {
                id: p.id.clone(),
                name: p.name.clone(),
                role: p.role.as_str().to_string(),
            }),
        }
        .encode()
        .map_err(|e| e.to_string())
    }

    /// Every device of the workspace as the relay lists it (needs a connection).
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, String> {
        let ws = self.workspace()?;
        ws.relay()
            .devices(&ws.workspace_id)
            .await
            .map(|l| l.devices)
            .map_err(|e| describe_setup_error(&e))
    }

    /// How many patients stored here still have keys a device that should not read them holds
    /// (revoked, left the care team): rotations owed and not done yet (a team lead's device that
    /// syncs does them).
    pub async fn unfinished_rotations(&self) -> Result<usize, String> {
        let e = &self.engine;
        let record = e.session.workspace().await.map_err(|e| e.to_string())?;
        let states = e
            .storage
            .doc_key_states()
            .await
            .map_err(|e| e.to_string())?;
        let (held, _) = e.held_docs().await.map_err(|e| e.to_string())?;
        Ok(unfinished_rotations(&held, &states, &record).len())
    }

    /// Revokes a device (a team lead's "lost tablet"): the relay stops its token at once, then
    /// the roster marks it revoked (`local_id`, if it is on the roster), so no device gives it a
    /// key again and every document it could read gets a new one.
    pub async fn revoke(&self, relay_id: &str, local_id: Option<&str>) -> Result<(), String> {
        let ws = self.workspace()?;
        match ws.relay().revoke_device(&ws.workspace_id, relay_id).await {
            // Already gone from the relay: the roster still has to say so.
            Ok(()) | Err(NetError::Status { status: 404, .. }) => {}
            Err(e) => return Err(describe_setup_error(&e)),
        }
        let Some(local_id) = local_id else {
            return Ok(());
        };
        let already = self.engine.session.workspace_record.with_untracked(|r| {
            r.as_ref()
                .and_then(|r| r.devices.get(local_id))
                .is_some_and(|d| d.revoked.is_some())
        });
        if already {
            return Ok(());
        }
        self.engine
            .session
            .edit_workspace(vec![WorkspaceOp::RevokeDevice {
                device_id: local_id.to_owned(),
            }])
            .await
            .map_err(|e| {
                format!("The relay stopped the device, but the roster was not updated: {e}")
            })
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
        self.engine
            .workspace_id
            .try_set(Some(ws.workspace_id.clone()));
        *self.engine.workspace.borrow_mut() = Some(ws);
        Engine::hand_over(&self.engine, Event::Adopted, TabMessage::Adopted);
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
    /// This tab takes over syncing (it was granted the leader lock): the machine starts from what
    /// is stored now (another tab may have set up a workspace since this one opened).
    fn lead(self: &Rc<Self>) {
        self.leading.try_set(true);
        *self.machine.borrow_mut() = Machine::new(online());
        self.install_listeners();
        let e = Rc::clone(self);
        leptos::task::spawn_local(async move {
            let stored = e.read_stored().await;
            Engine::dispatch(&e, Event::Started(stored));
            // Changes an earlier session stored but did not settle (it locked or closed), even
            // with no network now.
            e.session.settle_received().await;
        });
    }

    /// The stored workspace (kept in `workspace`) and cursor, as the machine's start needs them.
    async fn read_stored(&self) -> Stored {
        match self.storage.meta(WORKSPACE_META).await {
            Ok(Some(json)) => match serde_json::from_str::<Workspace>(&json) {
                Ok(ws) => {
                    self.workspace_id.try_set(Some(ws.workspace_id.clone()));
                    *self.workspace.borrow_mut() = Some(ws);
                    match self.storage.sync_cursor().await {
                        Ok(cursor) => Stored::SetUp { cursor },
                        Err(err) => Stored::Unreadable {
                            reason: format!("device storage failed ({err})"),
                        },
                    }
                }
                Err(_) => Stored::Unreadable {
                    reason: "this device's workspace settings could not be read — join the workspace again".into(),
                },
            },
            Ok(None) => {
                self.workspace_id.try_set(None);
                *self.workspace.borrow_mut() = None;
                Stored::NotSetUp
            }
            Err(err) => Stored::Unreadable {
                reason: format!("device storage failed ({err})"),
            },
        }
    }

    /// A follower reads the workspace again (Settings shows it; another tab may have set it up).
    fn reload_workspace(self: &Rc<Self>) {
        let e = Rc::clone(self);
        leptos::task::spawn_local(async move {
            e.read_stored().await;
        });
    }

    /// This tab syncs (safe after the app's reactive owner is gone: then it does not).
    fn leads(&self) -> bool {
        self.leading.try_get_untracked().unwrap_or(false)
    }

    /// What this tab's user did, for the machine: handled here if this tab syncs, otherwise sent
    /// to the tab that does.
    fn hand_over(self: &Rc<Self>, event: Event, message: TabMessage) {
        if self.leads() {
            Engine::dispatch(self, event);
        } else {
            self.post(&message);
        }
    }

    fn post(&self, message: &TabMessage) {
        if let Some(channel) = self.channel.borrow().as_ref() {
            channel.post(message);
        }
    }

    /// The leader tells the followers its status.
    fn post_status(&self) {
        let Some(status) = self.status.try_get_untracked() else {
            return;
        };
        self.post(&TabMessage::Status {
            status,
            removed: *self.machine.borrow().phase() == Phase::Removed,
            workspace_id: self
                .workspace
                .borrow()
                .as_ref()
                .map(|w| w.workspace_id.clone()),
        });
    }

    fn on_tab_message(self: &Rc<Self>, message: TabMessage) {
        if self.leads() {
            match message {
                TabMessage::Hello => self.post_status(),
                TabMessage::SyncNow => Engine::dispatch(self, Event::SyncNow),
                TabMessage::Edited => Engine::dispatch(self, Event::Edited),
                TabMessage::Adopted => {
                    let e = Rc::clone(self);
                    leptos::task::spawn_local(async move {
                        if matches!(e.read_stored().await, Stored::SetUp { .. }) {
                            Engine::dispatch(&e, Event::Adopted);
                        }
                    });
                }
                // Another leader's news (only without Web Locks, where each tab leads).
                TabMessage::Status { .. } | TabMessage::Pulled { .. } => {}
            }
            return;
        }
        match message {
            TabMessage::Status {
                status,
                removed,
                workspace_id,
            } => {
                self.removed.set(removed);
                self.status.try_set(status);
                let ours = self
                    .workspace
                    .borrow()
                    .as_ref()
                    .map(|w| w.workspace_id.clone());
                if ours != workspace_id {
                    self.reload_workspace();
                }
            }
            TabMessage::Pulled { docs } => {
                let session = self.session.clone();
                leptos::task::spawn_local(async move { session.refresh_pulled(&docs).await });
            }
            // Other followers' requests are the leader's business.
            TabMessage::Hello | TabMessage::SyncNow | TabMessage::Edited | TabMessage::Adopted => {}
        }
    }

    /// Hands an event to the machine and carries out its effects, in order. Re-entrant calls
    /// (an effect that reports at once) are queued and handled after.
    fn dispatch(self: &Rc<Self>, event: Event) {
        self.queue.borrow_mut().push_back(event);
        if self.dispatching.replace(true) {
            return;
        }
        loop {
            let Some(event) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            let inputs = Inputs {
                now_ms: now_ms(),
                random: js_sys::Math::random(),
            };
            let effects = self.machine.borrow_mut().handle(event, inputs);
            for effect in effects {
                self.perform(effect);
            }
        }
        self.dispatching.set(false);
    }

    fn stopped(&self) -> bool {
        *self.machine.borrow().phase() == Phase::Stopped
    }

    fn perform(self: &Rc<Self>, effect: SyncEffect) {
        match effect {
            SyncEffect::StartRound => {
                let e = Rc::clone(self);
                leptos::task::spawn_local(async move {
                    let outcome = e.round().await;
                    Engine::dispatch(&e, Event::RoundFinished(outcome));
                    // After the status is out: received changes are stored and synced already;
                    // this brings their patients' caseload rows up to date.
                    let settled = e.session.settle_received().await;
                    if !settled.is_empty() && !e.stopped() {
                        e.post(&TabMessage::Pulled { docs: settled });
                    }
                });
            }
            SyncEffect::SetTimer { timer, after_ms } => {
                let e = Rc::clone(self);
                let t = Timeout::new(after_ms, move || {
                    // Dropped after this callback returns (a closure must not be freed while it runs).
                    let fired = e.timers.borrow_mut().remove(&timer);
                    leptos::task::spawn_local(async move { drop(fired) });
                    Engine::dispatch(&e, Event::TimerFired(timer));
                });
                self.timers.borrow_mut().insert(timer, t);
            }
            SyncEffect::CancelTimer(timer) => {
                self.timers.borrow_mut().remove(&timer);
            }
            SyncEffect::OpenSocket => self.connect_socket(),
            SyncEffect::CloseSocket => self.close_socket(),
            SyncEffect::SetStatus(s) => {
                self.status.set(s);
                self.post_status();
            }
            SyncEffect::CountWaiting { ticket } => {
                let e = Rc::clone(self);
                leptos::task::spawn_local(async move {
                    let count = e.storage.outbox().await.map(|o| o.len()).unwrap_or(0);
                    Engine::dispatch(&e, Event::WaitingCounted { ticket, count });
                });
            }
        }
    }

    fn install_listeners(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = self.listeners.borrow_mut();
        let e = Rc::clone(self);
        listeners.push(EventListener::new(&window, "online", move |_| {
            Engine::dispatch(&e, Event::Online);
        }));
        let e = Rc::clone(self);
        listeners.push(EventListener::new(&window, "offline", move |_| {
            Engine::dispatch(&e, Event::Offline);
        }));
        if let Some(document) = window.document() {
            let e = Rc::clone(self);
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    if doc.visibility_state() == web_sys::VisibilityState::Visible {
                        Engine::dispatch(&e, Event::Visible);
                    }
                },
            ));
        }
    }

    /// After every durable local edit.
    fn watch_edits(self: &Rc<Self>) {
        let e = SendWrapper::new(Rc::clone(self));
        let save_state = self.session.save_state;
        Effect::new(move |_| {
            if matches!(save_state.get(), crate::session::SaveState::Saved { .. }) {
                Engine::hand_over(&e, Event::Edited, TabMessage::Edited);
            }
        });
    }

    /// One round: pull everything, then push the outbox.
    async fn round(self: &Rc<Self>) -> RoundOutcome {
        let Some(ws) = self.workspace.borrow().clone() else {
            return RoundOutcome::Failed {
                reason: "this device has no workspace".into(),
                retry_after_ms: None,
            };
        };
        match self.round_with(&ws).await {
            Ok(outcome) => outcome,
            Err(e) => e.outcome(),
        }
    }

    async fn round_with(self: &Rc<Self>, ws: &Workspace) -> Result<RoundOutcome, SyncError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.round_once(ws).await {
                Err(SyncError::Net(e)) if tries < ROUND_TRIES && keys_changed_meanwhile(&e) => {
                    continue
                }
                other => return other,
            }
        }
    }

    /// Pull → documents' keys (send, drop, fetch or pull again from the start) → push → compact.
    async fn round_once(self: &Rc<Self>, ws: &Workspace) -> Result<RoundOutcome, SyncError> {
        let start = self.storage.sync_cursor().await?;
        if start == 0 {
            // A new device reads the roster first: the keys sent to it open only with the public
            // keys it lists. Its keys' links first, so the key its join code carried opens the
            // roster's older generations too.
            let mut keys = self.round_keys(ws, false).await?;
            self.learn_keys(ws, &mut keys, WORKSPACE_DOC_ID).await?;
            self.fetch_docs(
                ws,
                &keys,
                &[WORKSPACE_DOC_ID.to_string()],
                &mut HashMap::new(),
            )
            .await?;
        }
        let keys = RefCell::new(self.round_keys(ws, false).await?);
        let (cursor, mut logs) = self.pull_all(ws, &keys, start).await?;
        // The roster may have changed with the pull: keys are opened again with what it lists
        // (what still does not open is said then, not before).
        let mut keys = self.round_keys(ws, true).await?;
        // The roster first: a key update this round may name this device or a device linked
        // here, and others trust envelopes only from devices their roster lists (so theirs must
        // have the link before they see the update, or they would take the device out again).
        let mut pushed = self
            .push_outbox(ws, &keys, |id| *id == DocId::Workspace)
            .await?;
        let (cursor, logs) = if self.key_step(ws, &mut keys, &mut logs).await? {
            let keys_now = RefCell::new(keys);
            let pulled = self.pull_all(ws, &keys_now, 0).await?;
            keys = keys_now.into_inner();
            // What that pass could not bring whole is fetched one by one from now on.
            let left = self.storage.docs_to_fetch().await?;
            self.not_whole.borrow_mut().extend(left);
            pulled
        } else {
            (cursor, logs)
        };
        pushed.extend(
            self.push_outbox(ws, &keys, |id| *id != DocId::Workspace)
                .await?,
        );
        self.compact(ws, &keys, &logs, cursor, &pushed).await?;
        Ok(RoundOutcome::Done {
            // What the pull wrote last (or found stored, with nothing new).
            cursor,
            waiting: self.storage.outbox().await?.len(),
        })
    }

    /// After the pull, for every patient stored here and every document this device was given
    /// (core `sync::key_step`): sends first keys, grants and rotations; removes what a rotation
    /// took away (with a notice) unless it holds changes the relay never got (kept, with a notice);
    /// fetches from the start what it was given and does not hold in full, one document at a time
    /// — or, given more documents than it holds (not counting those a pass from the start could
    /// not bring whole before), returns `true`: the round then pulls the whole feed again from the
    /// start, one pass that brings them all whole.
    async fn key_step(
        &self,
        ws: &Workspace,
        keys: &mut RoundKeys,
        logs: &mut HashMap<String, RelayLog>,
    ) -> Result<bool, SyncError> {
        let record = self.session.workspace().await?;
        let (held, caseload) = self.held_docs().await?;
        let actions = key_step(&held, &keys.states, &keys.chain, &keys.me, &record)
            .map_err(|e| SyncError::Local(format!("documents' keys could not be made ({e})")))?;
        // A patient whose received changes are not settled yet has a summary that may name an
        // old care team: its readers are changed once it is settled (a later round).
        let unsettled: HashSet<String> = self
            .storage
            .stale_patients()
            .await?
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        let name_of = |doc_id: &str| {
            caseload
                .iter()
                .find(|s| s.id == doc_id)
                .map(|s| s.display_name.clone())
                .unwrap_or_else(|| "A patient".into())
        };
        let mut fetch: BTreeSet<String> = self.storage.docs_to_fetch().await?.into_iter().collect();
        // Roster chunks this device could not open yet (under a key it was not given): its roster
        // may lack devices others already gave keys to, so it changes nobody's keys this round
        // (it would take them out again).
        let roster_stale = fetch.contains(WORKSPACE_DOC_ID);
        let (mut dropped, mut dropped_names, mut notices) = (Vec::new(), Vec::new(), Vec::new());
        for action in actions {
            match action {
                KeyAction::Send { doc_id, .. } if roster_stale || unsettled.contains(&doc_id) => {}
                KeyAction::Send {
                    doc_id,
                    update,
                    ring,
                } => self.send_keys(ws, keys, &doc_id, update, ring).await?,
                KeyAction::Drop { doc_id } => {
                    let Some(id) = DocId::parse(&doc_id) else {
                        continue;
                    };
                    let stamp = self.storage.doc_stamp(&id).await?;
                    match self.storage.remove_patient(&id, &stamp).await {
                        Ok(()) => {
                            dropped_names.push(name_of(&doc_id));
                            dropped.push(doc_id);
                        }
                        // Changed meanwhile (an edit here): the next round decides again.
                        Err(StorageError::ChangedMeanwhile(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                KeyAction::KeepUnsynced { doc_id } => notices.push(format!(
                    "{} was taken off this device's caseload, but it holds changes to them that never reached the relay. They are kept here: ask someone on their care team to add you back so they can sync.",
                    name_of(&doc_id)
                )),
                KeyAction::NotGiven { .. } => {}
                KeyAction::Fetch { doc_id } => {
                    fetch.insert(doc_id);
                }
            }
        }
        let mut wanted = Vec::new();
        for doc_id in fetch {
            // The workspace document is every device's: kept marked until its chunks open.
            if doc_id == WORKSPACE_DOC_ID
                || keys
                    .states
                    .get(&doc_id)
                    .is_some_and(|s| s.is_reader(&keys.me.device_id))
            {
                wanted.push(doc_id);
            } else {
                // No longer this device's to read (or never was): nothing to fetch.
                self.storage.clear_to_fetch(&doc_id).await?;
            }
        }
        // Given more than it holds (a new device's first grants, above all): one pass of the feed
        // from the start brings them whole, instead of one request and one write per document.
        // Not for documents an earlier round could not bring whole (a key of theirs that does not
        // open): those are tried one by one, not with the whole feed every round.
        let given_now = {
            let not_whole = self.not_whole.borrow();
            wanted.iter().filter(|d| !not_whole.contains(*d)).count()
        };
        let reread = given_now > 0 && given_now > caseload.len();
        if !reread {
            self.fetch_docs(ws, keys, &wanted, logs).await?;
        }
        notices.extend(dropped_notice(&dropped_names));
        if !dropped.is_empty() {
            self.post(&TabMessage::Pulled {
                docs: dropped.clone(),
            });
            self.session.refresh_pulled(&dropped).await;
        }
        self.session.notify(notices);
        Ok(reread)
    }

    /// Sends a key update the key step planned; once the relay stores it, keeps the state and
    /// uses `ring`. If another device changed the keys first, the next pull says how (and this
    /// device plans again from it).
    async fn send_keys(
        &self,
        ws: &Workspace,
        keys: &mut RoundKeys,
        doc_id: &str,
        update: KeyUpdate,
        ring: KeyRing,
    ) -> Result<(), SyncError> {
        let sent = ws
            .relay()
            .update_keys(&ws.workspace_id, &update.to_request(doc_id))
            .await;
        match sent {
            Ok(_) => {
                let state = keys.states.entry(doc_id.to_owned()).or_default();
                if state.apply(&keys.me.device_id, &update).is_ok() {
                    self.storage.set_doc_key_state(doc_id, state).await?;
                    keys.chain.insert(ring);
                }
            }
            // Another device gave the document its first key, which this device never saw in
            // its feed (it was not a reader then): what the relay holds says whether this device
            // reads it now.
            Err(e) if keys_changed_meanwhile(&e) && update.is_first() => {
                self.learn_keys(ws, keys, doc_id).await?;
            }
            Err(e) if keys_changed_meanwhile(&e) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// The workspace document's current key, for a join code. If the document has no keys yet,
    /// this device makes its first (sealed to every device of the roster) now, so that no code
    /// is made without one.
    async fn join_doc_key(&self, ws: &Workspace) -> Result<JoinDocKey, SyncError> {
        let mut keys = self.round_keys(ws, false).await?;
        // As the relay holds them now: this device's feed may be behind.
        self.learn_keys(ws, &mut keys, WORKSPACE_DOC_ID).await?;
        let current = |keys: &RoundKeys| {
            keys.states
                .get(WORKSPACE_DOC_ID)
                .map_or(0, DocKeyState::current)
        };
        if current(&keys) == 0 {
            let record = self.session.workspace().await?;
            let roster = HeldDoc {
                doc_id: WORKSPACE_DOC_ID.into(),
                care: None,
                unsynced: false,
            };
            let actions = key_step(&[roster], &keys.states, &keys.chain, &keys.me, &record)
                .map_err(|e| {
                    SyncError::Local(format!("the workspace's keys could not be made ({e})"))
                })?;
            for action in actions {
                if let KeyAction::Send {
                    doc_id,
                    update,
                    ring,
                } = action
                {
                    self.send_keys(ws, &mut keys, &doc_id, update, ring).await?;
                }
            }
        }
        let generation = current(&keys);
        match keys
            .chain
            .ring(WORKSPACE_DOC_ID)
            .and_then(|r| r.get(generation))
        {
            Some(key) if generation > 0 => Ok(JoinDocKey {
                generation,
                key: key.clone(),
            }),
            _ => Err(SyncError::Local(
                "This device does not hold the workspace's current keys yet. Let it sync, then make the invitation again.".into(),
            )),
        }
    }

    /// The workspace document and the patients stored here, as the key step sees them (with the
    /// patients' summaries).
    async fn held_docs(&self) -> Result<(Vec<HeldDoc>, Vec<PatientSummary>), StorageError> {
        let outbox: HashSet<String> = self
            .storage
            .outbox()
            .await?
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        let caseload = self.storage.caseload().await?.summaries;
        // The workspace document (read by every device of the roster), then the patients.
        let roster = HeldDoc {
            doc_id: WORKSPACE_DOC_ID.into(),
            care: None,
            unsynced: outbox.contains(WORKSPACE_DOC_ID),
        };
        let held = std::iter::once(roster)
            .chain(caseload.iter().map(|s| HeldDoc {
                doc_id: s.id.clone(),
                care: Some((s.care_manager.clone(), s.care_team.clone())),
                unsynced: outbox.contains(&s.id),
            }))
            .collect();
        Ok((held, caseload))
    }

    /// Asks the relay for a document's keys this device's feed did not show: stored (and opened) if
    /// it reads the document or once did; otherwise the document is not this device's to push.
    async fn learn_keys(
        &self,
        ws: &Workspace,
        keys: &mut RoundKeys,
        doc_id: &str,
    ) -> Result<(), SyncError> {
        match ws.relay().doc_keys(&ws.workspace_id, doc_id).await {
            Ok(body) => {
                let state = DocKeyState::from_response(body);
                self.storage.set_doc_key_state(doc_id, &state).await?;
                if let Some(p) = keys
                    .chain
                    .refresh(doc_id, &state, &keys.me, &keys.directory)
                {
                    self.report_key_problems(vec![(doc_id.to_owned(), p)]);
                }
                keys.states.insert(doc_id.to_owned(), state);
            }
            Err(NetError::Status { status: 403, .. }) => {
                keys.not_given.insert(doc_id.to_owned());
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Fetches documents whole from the relay's start (`pull … doc=`) and merges them like pulled
    /// pages, leaving the cursor where it is. A document whose chunks still do not all open is
    /// left for a later round (its `fetch:` mark stays), so it is never stored in part.
    async fn fetch_docs(
        &self,
        ws: &Workspace,
        keys: &RoundKeys,
        docs: &[String],
        logs: &mut HashMap<String, RelayLog>,
    ) -> Result<(), SyncError> {
        let relay = ws.relay();
        'docs: for doc_id in docs {
            let mut batch = PullBatch::new(0);
            let mut after = 0;
            loop {
                let pulled = match relay.pull_doc(&ws.workspace_id, doc_id, after).await {
                    Ok(p) => p,
                    // Taken out meanwhile: the next pull says so.
                    Err(NetError::Status { status: 403, .. }) => continue 'docs,
                    Err(e) => return Err(e.into()),
                };
                let (more, next) = (pulled.more, pulled.next_cursor);
                let mut unkeyed = false;
                // Every chunk, this device's own too: what it had of the document may be gone.
                batch.add(pulled, |chunks| {
                    let opened = page::open_page(&keys.chain, "", chunks);
                    unkeyed = !opened.unkeyed.is_empty();
                    opened
                });
                if unkeyed {
                    continue 'docs;
                }
                if !more || next <= after {
                    break;
                }
                after = next;
            }
            // Counted again from the start.
            logs.remove(doc_id);
            let extras = BatchExtras {
                fetched: Some(doc_id.clone()),
                ..BatchExtras::default()
            };
            self.apply_batch(batch, extras, logs).await?;
        }
        Ok(())
    }

    /// The keys this round seals and opens with: the workspace key, and every document's keys this
    /// device knows of (each envelope trusted only from a device the roster lists).
    async fn round_keys(&self, ws: &Workspace, report: bool) -> Result<RoundKeys, SyncError> {
        let me = ThisDevice {
            device_id: ws.device_id.clone(),
            secret: self.session.device_secret().await?,
        };
        // The roster as stored (read if no screen has yet); none before this device has one.
        let directory = self
            .session
            .workspace()
            .await
            .map(|r| keys::senders(&r))
            .unwrap_or_default();
        let states = self.storage.doc_key_states().await?;
        let workspace_key = ws.workspace_key().map_err(SyncError::Local)?;
        let mut chain = Keychain::new(&ws.workspace_id, Some(workspace_key));
        if let Some((generation, key)) = ws.joined_with().map_err(SyncError::Local)? {
            chain
                .give(WORKSPACE_DOC_ID, generation, key)
                .map_err(|e| SyncError::Local(format!("the join code's key is unusable ({e})")))?;
        }
        let problems =
            chain.open_states_cached(&states, &me, &directory, &mut self.rings.borrow_mut());
        if report {
            self.report_key_problems(problems);
        }
        Ok(RoundKeys {
            chain,
            states,
            me,
            directory,
            not_given: HashSet::new(),
        })
    }

    fn report_key_problems(&self, problems: Vec<(String, keys::KeyPlanError)>) {
        if problems.is_empty() {
            return;
        }
        let reports: Vec<String> = problems
            .into_iter()
            .map(|(doc, e)| {
                format!("The keys of record {doc} sent to this device could not all be opened ({e}); what they seal stays unread until they are sent again.")
            })
            .collect();
        // Keys are opened more than once a round: each problem is said once.
        self.session.problems.update(|p| {
            for r in reports {
                if !p.contains(&r) {
                    p.push(r);
                }
            }
        });
    }

    /// Pulls every page to the head; returns the cursor it reached (everything up to it is merged
    /// here, or set aside) and the documents' relay logs as they stand after it. Pages are merged in batches (`PullBatch`): each document touched is
    /// loaded, merged, summarised and written once per batch, with the batch's cursor. Each page is
    /// decrypted as it arrives while the next one is on its way, and a full batch is merged and
    /// written while the page after it is.
    async fn pull_all(
        &self,
        ws: &Workspace,
        keys: &RefCell<RoundKeys>,
        start: u64,
    ) -> Result<(u64, HashMap<String, RelayLog>), SyncError> {
        let relay = ws.relay();
        // Documents to fetch again from the start (stored marks, and what this pull finds): their
        // chunks in the feed are not applied, the fetch brings them all. A pull from the start
        // brings every document whole: it applies the marked ones (and clears their marks).
        let marked: BTreeSet<String> = self.storage.docs_to_fetch().await?.into_iter().collect();
        let to_fetch: RefCell<BTreeSet<String>> = match start {
            0 => RefCell::default(),
            _ => RefCell::new(marked.clone()),
        };
        // From the start, this device's own chunks too: what it had of a document may be gone.
        let own = if start == 0 {
            ""
        } else {
            ws.device_id.as_str()
        };
        // What this device knew of documents' keys when the round began, and what it held.
        let before = keys.borrow().states.clone();
        let held: HashSet<String> = self
            .session
            .caseload
            .with_untracked(|c| c.iter().map(|s| s.id.clone()).collect());
        let me = keys.borrow().me.device_id.clone();
        let open = |chunks| {
            let mut opened = page::open_page(&keys.borrow().chain, own, chunks);
            let mut marks = to_fetch.borrow_mut();
            marks.extend(opened.unkeyed.drain(..));
            opened.docs.retain(|d| !marks.contains(d.id.as_str()));
            opened
        };
        let mut batch = PullBatch::new(start);
        // What the pages of the batch being gathered taught of documents' keys (written with it),
        // and which documents it marked to fetch.
        let mut extras = BatchExtras::default();
        // The relay logs (compaction's input, counted on by each batch) are read while the first
        // page is on its way.
        let (first, logs) = futures::join!(
            relay.pull(&ws.workspace_id, batch.cursor()),
            self.storage.relay_logs()
        );
        // From the start, every document's log is counted again.
        let (mut next, mut logs) = (
            Some(first?),
            if start == 0 { HashMap::new() } else { logs? },
        );
        let logs = &mut logs;
        while let Some(pulled) = next.take() {
            if pulled.chunks.is_empty()
                && pulled.keys.is_empty()
                && pulled.next_cursor == batch.cursor()
            {
                break;
            }
            let (more, after) = (pulled.more, pulled.next_cursor);
            // Polled first, so the request is on its way before this page is worked on.
            let fetch = async {
                match more {
                    true => relay.pull(&ws.workspace_id, after).await.map(Some),
                    false => Ok(None),
                }
            };
            let work = async {
                // A change to a document's keys comes before the chunks sealed under it: the
                // keychain follows it before this page is opened.
                if !pulled.keys.is_empty() {
                    let mut k = keys.borrow_mut();
                    let RoundKeys {
                        chain,
                        states,
                        me: this,
                        directory,
                        ..
                    } = &mut *k;
                    for doc in keys::record_changes(states, &pulled.keys, &this.device_id) {
                        let state = &states[&doc];
                        // What does not open is said after the pull, once the roster it may
                        // bring is in (a chunk it leaves unopened is fetched then).
                        let _ = chain.refresh(&doc, state, this, directory);
                        // Given a document whose chunks before the cursor went by unseen (out
                        // of scope then): it is fetched from the start. Not a document held here
                        // whose first key this is (everything before was readable by all), nor
                        // the workspace document (in every device's scope: its chunks all came).
                        let was = before.get(&doc);
                        let first_key_of_held =
                            was.is_none() && state.current() == 1 && held.contains(&doc);
                        if start > 0
                            && doc != WORKSPACE_DOC_ID
                            && state.is_reader(&me)
                            && !was.is_some_and(|w| w.is_reader(&me))
                            && !first_key_of_held
                        {
                            to_fetch.borrow_mut().insert(doc.clone());
                        }
                        extras.doc_keys.insert(doc, state.clone());
                    }
                }
                if !batch.add(pulled, open) {
                    return Ok(());
                }
                let full = std::mem::replace(&mut batch, PullBatch::new(after));
                let mut done = std::mem::take(&mut extras);
                done.to_fetch = to_fetch.borrow().iter().cloned().collect();
                self.apply_batch(full, done, logs).await
            };
            let (fetched, worked) = futures::join!(fetch, work);
            worked?;
            next = fetched?;
        }
        let cursor = batch.cursor();
        if batch.pages() > 0 {
            // The relay said it had more, then had nothing after all.
            extras.to_fetch = to_fetch.borrow().iter().cloned().collect();
            self.apply_batch(batch, extras, logs).await?;
        }
        if start == 0 {
            // Brought whole by this pass (unless a chunk of it still did not open).
            for doc_id in marked.difference(&to_fetch.borrow()) {
                self.storage.clear_to_fetch(doc_id).await?;
            }
        }
        Ok((cursor, std::mem::take(logs)))
    }

    /// Merges and writes a batch, then tells open charts and other tabs what it changed.
    async fn apply_batch(
        &self,
        batch: PullBatch,
        extras: BatchExtras,
        logs: &mut HashMap<String, RelayLog>,
    ) -> Result<(), SyncError> {
        if self.stopped() {
            return Err(SyncError::Local("sync stopped".into()));
        }
        let prepared = self.prepare_and_apply(batch.finish(), extras, logs).await?;
        let merged = prepared.merged();
        if !merged.is_empty() {
            self.post(&TabMessage::Pulled {
                docs: merged.iter().map(|m| m.id.to_string()).collect(),
            });
        }
        for m in merged {
            match m.id {
                DocId::Patient(id) => self.session.merge_remote(&id, &m.chunks, m.summary),
                DocId::Workspace => self.session.merge_remote_workspace(&m.chunks),
            }
        }
        let problems = prepared.problems();
        if !problems.is_empty() {
            self.session.problems.update(|p| p.extend(problems));
        }
        Ok(())
    }

    /// Merges a batch of pull pages into the stored documents and writes it. If a document was
    /// saved while the batch was being merged (an edit here or in another tab), the write is
    /// refused untouched and that document is merged again from what is stored now.
    async fn prepare_and_apply(
        &self,
        batch: PulledBatch,
        extras: BatchExtras,
        logs: &mut HashMap<String, RelayLog>,
    ) -> Result<pull::Prepared, SyncError> {
        let mut prepared = pull::prepare_batch(&self.storage, batch, crate::clock::today()).await?;
        let mut tries = 0;
        loop {
            tries += 1;
            let after = logs_after_page(logs, &prepared.relay, &prepared.set_aside_docs());
            let mut page = prepared.page(after.clone());
            page.doc_keys = extras
                .doc_keys
                .iter()
                .map(|(d, k)| (d.clone(), k.clone()))
                .collect();
            page.to_fetch = extras.to_fetch.clone();
            if let Some(doc) = &extras.fetched {
                page.next_cursor = None;
                page.fetched = vec![doc.clone()];
            }
            match self.storage.apply_pulled_page(&page).await {
                Ok(()) => {
                    logs.extend(after);
                    return Ok(prepared);
                }
                Err(StorageError::ChangedMeanwhile(id)) if tries < PULL_PAGE_TRIES => {
                    prepared.prepare_again(&self.storage, &id).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The chunk to push for one outbox entry: the one recorded earlier (a retry sends exactly it
    /// again), or the changes since the acknowledged heads, sealed and recorded before sending.
    /// `None`: nothing to push (the document is gone, or the relay has it all).
    async fn pending_push(
        &self,
        keys: &Keychain,
        id: &DocId,
        marker: &str,
    ) -> Result<Option<PendingPush>, SyncError> {
        let mut sync = self.storage.doc_sync(id).await?;
        if let Some(p) = sync.pending.clone() {
            // Sealed under keys the document no longer has (a rotation since): made again under
            // its current ones (the relay keeps one copy of each change, so it does no harm if
            // the old chunk did arrive).
            let current = keys
                .ring(id.as_str())
                .and_then(|r| r.current())
                .map(|(g, _)| g);
            if chunk_generation(&p.envelope) == current {
                return Ok(Some(p));
            }
        }
        let acked: Vec<automerge::ChangeHash> = sync
            .acked_heads
            .iter()
            .filter_map(|h| h.parse().ok())
            .collect();
        let loaded = match id {
            DocId::Patient(p) => self
                .storage
                .load_patient(p)
                .await
                .map(|mut l| unacked(&mut l.doc, &acked)),
            DocId::Workspace => self
                .storage
                .load_workspace()
                .await
                .map(|mut l| unacked(&mut l.doc, &acked)),
        };
        let (heads, bytes) = match loaded {
            Ok(found) => found,
            Err(StorageError::NotFound(_)) => {
                self.storage
                    .record_acked(id, sync.acked_heads.clone(), marker)
                    .await?;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        if bytes.is_empty() {
            self.storage.record_acked(id, heads, marker).await?;
            return Ok(None);
        }
        let envelope = keys
            .seal(id.as_str(), ChunkKind::Change, &bytes)
            .map_err(|e| SyncError::Local(e.to_string()))?;
        let p = PendingPush {
            client_chunk_id: uuid::Uuid::new_v4().to_string(),
            envelope,
            heads,
        };
        sync.pending = Some(p.clone());
        self.storage.record_pending(id, &sync).await?;
        Ok(Some(p))
    }

    /// Pushes every document with local changes; returns their ids.
    /// Documents with keys this device does not read wait (their changes are kept here; the key
    /// step said so).
    async fn push_outbox(
        &self,
        ws: &Workspace,
        keys: &RoundKeys,
        which: impl Fn(&DocId) -> bool,
    ) -> Result<Vec<String>, SyncError> {
        let mut pending: Vec<(DocId, String, PendingPush)> = Vec::new();
        for (id, marker) in self.storage.outbox().await? {
            if !which(&id) || !keys.may_push(id.as_str()) {
                continue;
            }
            if let Some(p) = self.pending_push(&keys.chain, &id, &marker).await? {
                pending.push((id, marker, p));
            }
        }
        let pushed = pending.iter().map(|(id, _, _)| id.to_string()).collect();
        let sizes: Vec<usize> = pending.iter().map(|(_, _, p)| p.envelope.len()).collect();
        let mut rest = pending.into_iter();
        for batch in plan_batches(&sizes, PUSH_MAX_CHUNKS, PUSH_MAX_BYTES) {
            let batch: Vec<_> = rest.by_ref().take(batch.len()).collect();
            self.flush(ws, batch).await?;
        }
        Ok(pushed)
    }

    async fn flush(
        &self,
        ws: &Workspace,
        batch: Vec<(DocId, String, PendingPush)>,
    ) -> Result<(), SyncError> {
        let req = PushRequest {
            chunks: batch
                .iter()
                .map(|(id, _, p)| PushChunk {
                    client_chunk_id: p.client_chunk_id.clone(),
                    doc_id: id.to_string(),
                    kind: ChunkKind::Change,
                    covers_seq: None,
                    ciphertext: p.envelope.clone(),
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

    /// After a complete pull to `cursor`: a snapshot of every document whose log on the relay has
    /// outgrown it, covering `cursor` (`tend_core::sync::compact` says why that is safe). The relay
    /// then drops the changes it covers; this device's next pull sees its own snapshot and counts
    /// the log again from it. Documents `pushed` this round have chunks after `cursor`: next round.
    async fn compact(
        &self,
        ws: &Workspace,
        round: &RoundKeys,
        logs: &HashMap<String, RelayLog>,
        cursor: u64,
        pushed: &[String],
    ) -> Result<(), SyncError> {
        let keys = &round.chain;
        let mut snapshots = Vec::new();
        for (doc_id, log) in logs
            .iter()
            .filter(|(d, l)| l.worth_checking() && !pushed.contains(d) && round.may_push(d))
        {
            // Not while received changes wait to be settled (one may yet be set aside), nor with
            // anything of it set aside here: the relay may hold the only good copy.
            if let Some(id) = DocId::parse(doc_id) {
                if self.storage.is_stale(&id).await? || self.storage.has_quarantined(doc_id).await?
                {
                    continue;
                }
            }
            let saved = match DocId::parse(doc_id) {
                // A patient's snapshot carries its summary and heads, so a device that receives
                // the patient for the first time lists it without loading it (core
                // `sync::snapshot`).
                Some(DocId::Patient(id)) => self.storage.load_patient(&id).await.map(|mut l| {
                    let carried = l.doc.summary_on(crate::clock::today()).ok().map(|summary| {
                        let heads = l.doc.heads().iter().map(|h| h.to_string()).collect();
                        Carried { summary, heads }
                    });
                    snapshot_plain(&l.doc.save(), carried.as_ref())
                }),
                Some(DocId::Workspace) => self
                    .storage
                    .load_workspace()
                    .await
                    .map(|mut l| l.doc.save()),
                None => continue,
            };
            let saved = match saved {
                Ok(saved) => saved,
                // Not on this device (everything set aside, say): nothing to compact with.
                Err(StorageError::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            let chunk = snapshot_chunk(
                keys,
                doc_id,
                &saved,
                cursor,
                uuid::Uuid::new_v4().to_string(),
            )
            .map_err(|e| SyncError::Local(e.to_string()))?;
            let size = chunk.ciphertext.len() as u64;
            if should_snapshot(log, size) {
                snapshots.push(chunk);
            } else {
                let checked = RelayLog {
                    checked_snapshot: size,
                    ..*log
                };
                self.storage.set_relay_log(doc_id, &checked).await?;
            }
        }
        let sizes: Vec<usize> = snapshots.iter().map(|c| c.ciphertext.len()).collect();
        let mut rest = snapshots.into_iter();
        for batch in plan_batches(&sizes, PUSH_MAX_CHUNKS, PUSH_MAX_BYTES) {
            let chunks: Vec<PushChunk> = rest.by_ref().take(batch.len()).collect();
            // A snapshot the relay answers `stale` (another device pushed to its document
            // meanwhile), or one whose keys changed meanwhile, is simply tried again in a later
            // round.
            match ws
                .relay()
                .push(&ws.workspace_id, &PushRequest { chunks })
                .await
            {
                Err(e) if keys_changed_meanwhile(&e) => {}
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    fn connect_socket(self: &Rc<Self>) {
        self.close_socket();
        let Some(ws) = self.workspace.borrow().clone() else {
            return;
        };
        let url = format!(
            "{}{}",
            ws.relay_url
                .trim_end_matches('/')
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1),
            tend_core::sync_wire::paths::notify(&ws.workspace_id)
        );
        let generation = self.socket_gen.get();
        let Ok(socket) = WebSocket::new(&url) else {
            Engine::dispatch(self, Event::SocketClosed);
            return;
        };

        let s = socket.clone();
        let token = ws.device_token.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
            let _ = s.send_with_str(&auth);
        });
        let e = Rc::clone(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if e.socket_gen.get() != generation {
                return;
            }
            let Some(text) = ev.data().as_string() else {
                return;
            };
            let event = match serde_json::from_str::<ServerMessage>(&text) {
                Ok(ServerMessage::Ready { head_seq }) => Event::SocketReady { head_seq },
                Ok(ServerMessage::New { seq }) => Event::SocketNew { seq },
                Ok(ServerMessage::Error { error, .. }) if error == "unauthorized" => {
                    Event::SocketUnauthorized
                }
                _ => return,
            };
            Engine::dispatch(&e, event);
        });
        let e = Rc::clone(self);
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_ev: CloseEvent| {
            if e.socket_gen.get() != generation {
                return;
            }
            e.socket_gen.set(generation.wrapping_add(1));
            // Dropped after this callback returns (a closure must not be freed while it runs).
            let old = e.socket.borrow_mut().take();
            leptos::task::spawn_local(async move { drop(old) });
            Engine::dispatch(&e, Event::SocketClosed);
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

    fn close_socket(&self) {
        self.socket_gen.set(self.socket_gen.get().wrapping_add(1));
        if let Some(old) = self.socket.borrow_mut().take() {
            old.ws.set_onopen(None);
            old.ws.set_onmessage(None);
            old.ws.set_onclose(None);
            let _ = old.ws.close();
            leptos::task::spawn_local(async move { drop(old) });
        }
    }
}

/// What the user is told about patients taken off this device: one line each, or one line for
/// many (a device that held everyone's patients before keys drops most of them at once).
fn dropped_notice(names: &[String]) -> Vec<String> {
    const NAMED: usize = 3;
    if names.len() <= NAMED {
        return names
            .iter()
            .map(|n| format!("{n} is no longer on this device: you are not on their care team."))
            .collect();
    }
    vec![format!(
        "{} patients are no longer on this device, as you are not on their care teams: {} and {} more.",
        names.len(),
        names[..NAMED].join("; "),
        names.len() - NAMED
    )]
}

/// The relay refused a push or key update because a document's keys changed since this device
/// pulled (409 `stale_keys`), or it no longer reads the document (403 `out_of_scope`).
fn keys_changed_meanwhile(e: &NetError) -> bool {
    matches!(e, NetError::Status { status: 409 | 403, error, .. }
        if error == "stale_keys" || error == "out_of_scope")
}

/// A document's heads and its changes after `acked` (what the relay lacks).
fn unacked<D: SyncDoc>(doc: &mut D, acked: &[automerge::ChangeHash]) -> (Vec<String>, Vec<u8>) {
    let heads = doc.heads().iter().map(|h| h.to_string()).collect();
    (heads, doc.save_after(acked))
}
