//! The signed-in session on this device: storage, who the author is, the caseload list and the
//! honest "saved on this device" state. Pages reach it through Leptos context.

use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use tend_core::{
    author::{person_name, PersonNameError},
    keys::DeviceSecret,
    record::Handover,
    record::{PersonName, PersonRole},
    workspace::{DeviceLink, Person, PersonChanges, WorkspaceDoc, WorkspaceOp, WorkspaceRecord},
    Author, DocError, Op, PatientDoc, PatientId, PatientSummary, WORKSPACE_DOC_ID,
};

use crate::clock::now_ms;
use crate::storage::{CacheState, Storage, StorageError, COMPACT_AFTER_CHUNKS};

/// After this many summary writes the caseload cache is rebuilt, so start-up never has many
/// logged rows to read one by one (storage/caseload.rs).
const CACHE_REBUILD_AFTER_WRITES: u32 = 32;
/// A rebuild waits this long: at start so it never competes with the first screen, and after
/// writes so a burst of them (a large sync) leads to one rebuild, not many.
const CACHE_REBUILD_DELAY_MS: u32 = 2_000;

/// Whether every edit made on this device is durable in IndexedDB.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Nothing edited since the app opened; everything stored is, by definition, saved.
    Idle,
    Saving,
    Saved {
        at_ms: i64,
    },
    /// The last save failed; the edit is kept in memory and retried with the next save.
    Failed(String),
}

/// Set once this device's person and the device itself are on the workspace's roster
/// ([`ROSTER_WITH_KEYS`] once the link carries the device's relay id and public key).
const ROSTER_META: &str = "roster_joined";
const ROSTER_WITH_KEYS: &str = "2";
/// Meta key of this device's X25519 secret (base64; sealed like every stored value).
const DEVICE_SECRET_META: &str = "device_secret";

/// Why an edit did not become durable. The two cases mean different things to the user:
/// core refused the change (nothing changed; say "not allowed" and why), or the change is in
/// the open document but storage could not keep it (it stays in memory and is retried with
/// the next save; say "not saved").
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("Not allowed: {0}")]
    Rejected(DocError),
    #[error("Not saved: {0}")]
    NotSaved(StorageError),
    /// A change that needs the relay, which did not take it (offline, refused); nothing changed.
    #[error("Not done: {0}")]
    NotDone(String),
}

/// Who is using this device ("who I am"): every change they make carries their name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub role: PersonRole,
}

/// Why "who I am" was not saved.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Name(#[from] PersonNameError),
    #[error("Not saved: {0}")]
    NotSaved(#[from] StorageError),
}

/// A patient's document held in memory while their chart is open.
pub struct OpenDoc {
    pub id: PatientId,
    pub doc: PatientDoc,
    /// Changes not yet durable (a failed save puts them back here, so nothing is dropped).
    pending: Vec<u8>,
}

pub type OpenDocHandle = Rc<RefCell<OpenDoc>>;

#[derive(Clone)]
pub struct Session {
    storage: SendWrapper<Rc<Storage>>,
    author: SendWrapper<Rc<RefCell<Author>>>,
    /// `None` until the person using this device has said who they are (asked after the PIN).
    pub identity: RwSignal<Option<Identity>>,
    pub caseload: RwSignal<Vec<PatientSummary>>,
    pub save_state: RwSignal<SaveState>,
    /// Problems found while reading stored data, shown to the user until dismissed.
    pub problems: RwSignal<Vec<String>>,
    /// What sync changed that the user should know (a patient taken off this device), shown
    /// until dismissed.
    pub notices: RwSignal<Vec<String>>,
    /// Bumped whenever sync merged changes from other devices into stored documents (and into the
    /// open ones): a chart watching it re-reads its record.
    pub remote_version: RwSignal<u64>,
    /// Documents open in memory, so sync can merge remote changes into them.
    open_docs: SendWrapper<Rc<RefCell<Vec<Weak<RefCell<OpenDoc>>>>>>,
    /// Other tabs of the app on this device (set once the session exists; see `listen_to_tabs`).
    tabs: SendWrapper<Rc<RefCell<Option<crate::tabs::Tabs>>>>,
    cache_upkeep: SendWrapper<Rc<CacheUpkeep>>,
    /// The workspace document (the shared directory), loaded on first use.
    workspace: SendWrapper<Rc<RefCell<SharedDoc>>>,
    /// What the workspace document holds; `None` until it is loaded ([`Session::workspace`]).
    pub workspace_record: RwSignal<Option<WorkspaceRecord>>,
    /// Patients whose changes from other devices are stored but whose caseload row is still being
    /// brought up to date ([`Session::settle_received`]); 0 when none.
    pub settling: RwSignal<usize>,
    settle_running: SendWrapper<Rc<Cell<bool>>>,
}

/// The workspace document in memory, like an [`OpenDoc`].
#[derive(Default)]
struct SharedDoc {
    doc: Option<WorkspaceDoc>,
    /// Changes not yet durable (kept after a failed save, retried with the next).
    pending: Vec<u8>,
}

/// This tab's share of keeping the caseload cache fresh.
#[derive(Default)]
struct CacheUpkeep {
    writes_since_rebuild: Cell<u32>,
    rebuilding: Cell<bool>,
}

impl Session {
    /// Opens a session over an unkeyed database (tests and benchmarks).
    pub async fn open(db_name: &str) -> Result<Self, StorageError> {
        Self::open_with(Rc::new(Storage::open(db_name).await?)).await
    }

    /// Opens a session over `storage` (the app's is keyed and unlocked; see `lock/`).
    pub async fn open_with(storage: Rc<Storage>) -> Result<Self, StorageError> {
        let device_id = match storage.meta("device_id").await? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                storage.set_meta("device_id", &id).await?;
                id
            }
        };
        // A person id of its own (not the device's), so one person's devices can be joined later.
        let user_id = match storage.meta("user_id").await? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                storage.set_meta("user_id", &id).await?;
                id
            }
        };
        let identity = match (
            storage.meta("user_name").await?,
            storage.meta("user_role").await?,
        ) {
            (Some(name), Some(role)) => Some(Identity {
                name,
                role: PersonRole::parse(&role),
            }),
            _ => None,
        };
        let caseload = storage.caseload().await?;
        let mut problems = Vec::new();
        if caseload.unreadable > 0 {
            problems.push(format!(
                "{} patient summaries on this device could not be read; open those patients from a synced device or contact support.",
                caseload.unreadable
            ));
        }
        let session = Session {
            storage: SendWrapper::new(storage),
            author: SendWrapper::new(Rc::new(RefCell::new(Author {
                user_id,
                user_name: identity
                    .as_ref()
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                device_id,
            }))),
            identity: RwSignal::new(identity),
            caseload: RwSignal::new(caseload.summaries),
            save_state: RwSignal::new(SaveState::Idle),
            problems: RwSignal::new(problems),
            notices: RwSignal::new(Vec::new()),
            remote_version: RwSignal::new(0),
            open_docs: SendWrapper::new(Rc::new(RefCell::new(Vec::new()))),
            tabs: SendWrapper::new(Rc::new(RefCell::new(None))),
            cache_upkeep: SendWrapper::new(Rc::new(CacheUpkeep::default())),
            workspace: SendWrapper::new(Rc::new(RefCell::new(SharedDoc::default()))),
            workspace_record: RwSignal::new(None),
            settling: RwSignal::new(0),
            settle_running: SendWrapper::new(Rc::new(Cell::new(false))),
        };
        // Summaries from an older build, and those dated before today (risk tier, priority and
        // overdue as of an earlier day), are recomputed in the background.
        let day = crate::clock::today();
        let mut refresh = caseload.outdated;
        let known: std::collections::HashSet<String> = refresh.iter().cloned().collect();
        refresh.extend(session.caseload.with_untracked(|all| {
            all.iter()
                .filter(|s| s.dated_before(day) && !known.contains(&s.id))
                .map(|s| s.id.clone())
                .collect::<Vec<_>>()
        }));
        if !refresh.is_empty() {
            // The cache is rebuilt once these are current (it never holds an outdated summary).
            let session = session.clone();
            wasm_bindgen_futures::spawn_local(async move {
                session.refresh_outdated_summaries(refresh).await;
                session.rebuild_caseload_cache(0);
            });
        } else if caseload.cache != CacheState::Fresh && caseload.unreadable == 0 {
            session.rebuild_caseload_cache(CACHE_REBUILD_DELAY_MS);
        }
        Ok(session)
    }

    /// Keeps this tab current with saves made in other tabs of the app on this device.
    pub fn listen_to_tabs(&self) {
        let session = self.clone();
        let tabs = crate::tabs::Tabs::listen(move |doc_id| {
            let session = session.clone();
            leptos::task::spawn_local(async move { session.refresh_from_storage(&doc_id).await });
        });
        *self.tabs.borrow_mut() = Some(tabs);
    }

    /// Merges what storage holds for `doc_id` into the open copies and the caseload row.
    async fn refresh_from_storage(&self, doc_id: &str) {
        if doc_id == WORKSPACE_DOC_ID {
            if let Ok(mut loaded) = self.storage.load_workspace().await {
                self.merge_remote_workspace(&[loaded.doc.save()]);
            }
            return;
        }
        let Some(id) = PatientId::parse(doc_id) else {
            return;
        };
        let Ok(mut loaded) = self.storage.load_patient(&id).await else {
            return;
        };
        let Ok(summary) = loaded.doc.summary_on(crate::clock::today()) else {
            return;
        };
        let all = loaded.doc.save();
        self.merge_remote(&id, &[all], Some(summary));
    }

    /// Another tab (the one that syncs) stored documents merged from the relay: the ones open
    /// here are merged from storage, and the caseload is read again once.
    pub async fn refresh_pulled(&self, doc_ids: &[String]) {
        let open: Vec<String> = self
            .open_docs
            .borrow()
            .iter()
            .filter_map(|weak| weak.upgrade())
            .filter_map(|handle| handle.try_borrow().ok().map(|o| o.id.to_string()))
            .filter(|id| doc_ids.contains(id))
            .collect();
        for id in open {
            self.refresh_from_storage(&id).await;
        }
        if doc_ids.iter().any(|d| d == WORKSPACE_DOC_ID) {
            self.refresh_from_storage(WORKSPACE_DOC_ID).await;
        }
        if let Ok(caseload) = self.storage.caseload().await {
            self.caseload.set(caseload.summaries);
        }
        self.remote_version.update(|v| *v += 1);
    }

    /// Shows `notices` (each once, however many rounds say it).
    pub fn notify(&self, notices: Vec<String>) {
        if notices.is_empty() {
            return;
        }
        self.notices.update(|shown| {
            for n in notices {
                if !shown.contains(&n) {
                    shown.push(n);
                }
            }
        });
    }

    /// Stops listening to other tabs (the app is locking; this session is being dropped).
    pub fn close(&self) {
        self.tabs.borrow_mut().take();
    }

    fn announce_saved(&self, id: &str) {
        if let Some(tabs) = self.tabs.borrow().as_ref() {
            tabs.announce_saved(id);
        }
    }

    pub fn storage(&self) -> Rc<Storage> {
        Rc::clone(&self.storage)
    }

    /// Who signs this device's changes now.
    pub fn author(&self) -> Author {
        self.author.borrow().clone()
    }

    /// Records who is using this device (first run, or Settings). The name is checked and tidied
    /// by core; changes made after this carry it.
    pub async fn set_identity(
        &self,
        name: &str,
        role: PersonRole,
    ) -> Result<Identity, IdentityError> {
        let name = person_name(name)?;
        // Role first: the name's presence is what marks "who I am" as answered.
        self.storage.set_meta("user_role", role.as_str()).await?;
        self.storage.set_meta("user_name", &name).await?;
        let identity = Identity { name, role };
        self.author.borrow_mut().user_name = identity.name.clone();
        self.identity.set(Some(identity.clone()));
        if self.in_roster() {
            // The roster follows: the name always, the role only where this person may set roles.
            let changes = PersonChanges {
                name: Some(identity.name.clone()),
                role: self.leads_team().then(|| identity.role.clone()),
                ..Default::default()
            };
            let op = WorkspaceOp::ChangePerson {
                id: self.person_id(),
                changes,
            };
            if let Err(e) = self.edit_workspace(vec![op]).await {
                self.problems
                    .update(|p| p.push(format!("The team roster was not updated: {e}")));
            }
        }
        Ok(identity)
    }

    /// This person's roster id (the `user_id` their changes carry).
    pub fn person_id(&self) -> String {
        self.author.borrow().user_id.clone()
    }

    /// Whether this person is on the workspace's roster (as loaded).
    pub fn in_roster(&self) -> bool {
        let me = self.person_id();
        self.workspace_record
            .with_untracked(|r| r.as_ref().is_some_and(|r| r.people.contains_key(&me)))
    }

    /// This person's role: the roster's when they are on it, else what they said on this device.
    pub fn role(&self) -> PersonRole {
        let me = self.person_id();
        let rostered = self.workspace_record.with(|r| {
            r.as_ref()
                .and_then(|r| r.people.get(&me))
                .map(|p| p.role.clone())
        });
        rostered
            .or_else(|| self.identity.with(|i| i.as_ref().map(|i| i.role.clone())))
            .unwrap_or_default()
    }

    /// Whether this person manages the roster, reassigns patients and sees the team dashboard:
    /// supervisors and administrators, or anyone while the roster names no active one (a small
    /// practice without a supervisor still needs someone to do it).
    pub fn leads_team(&self) -> bool {
        if self.role().leads_team() {
            return true;
        }
        self.workspace_record.with(|r| {
            !r.as_ref()
                .is_some_and(|r| r.people.values().any(|p| p.active && p.role.leads_team()))
        })
    }

    /// Everyone on the roster, by name.
    pub fn people(&self) -> Vec<Person> {
        let mut people: Vec<Person> = self.workspace_record.with(|r| {
            r.as_ref()
                .map(|r| r.people.values().cloned().collect())
                .unwrap_or_default()
        });
        people.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()));
        people
    }

    /// Active people of the roster but `except` (a person id, or ""), as (id, "Name, credentials")
    /// choices for a select.
    pub fn people_choices(&self, except: &str) -> Vec<(String, String)> {
        self.people()
            .into_iter()
            .filter(|p| p.active && p.id != except)
            .map(|p| (p.id.clone(), p.signed_name()))
            .collect()
    }

    /// A person's name as the roster has it ("" when unknown).
    pub fn person_name(&self, id: &str) -> String {
        self.workspace_record.with(|r| {
            r.as_ref()
                .and_then(|r| r.people.get(id))
                .map(|p| p.name.clone())
                .unwrap_or_default()
        })
    }

    /// This device joined a workspace with an invite for `person`: from now on it is theirs —
    /// its changes carry their id, name and role.
    pub async fn adopt_person(
        &self,
        id: &str,
        name: &str,
        role: PersonRole,
    ) -> Result<(), StorageError> {
        self.storage.set_meta("user_id", id).await?;
        self.storage.set_meta("user_role", role.as_str()).await?;
        self.storage.set_meta("user_name", name).await?;
        {
            let mut author = self.author.borrow_mut();
            author.user_id = id.to_string();
            author.user_name = name.to_string();
        }
        self.identity.set(Some(Identity {
            name: name.to_string(),
            role,
        }));
        Ok(())
    }

    /// This device's X25519 secret: made the first time it is asked for (one for every tab: the
    /// first one stored wins), kept sealed in `meta` like every stored value.
    pub async fn device_secret(&self) -> Result<DeviceSecret, StorageError> {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let fresh = DeviceSecret::generate().map_err(|e| StorageError::Failed(e.to_string()))?;
        let stored = self
            .storage
            .meta_or_insert(DEVICE_SECRET_META, &engine.encode(*fresh.to_bytes()))
            .await?;
        let bytes = zeroize::Zeroizing::new(
            engine
                .decode(stored.as_bytes())
                .map_err(|e| StorageError::Corrupt(format!("device key: {e}")))?,
        );
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StorageError::Corrupt("device key has the wrong length".into()))?;
        Ok(DeviceSecret::from_bytes(bytes))
    }

    /// Puts this person and device on the workspace's roster: at "Start a workspace", at a join
    /// (`invited`: the roster already names the person, it arrives with the first pull, so only
    /// the device is linked), and once on a device that was in a workspace before rosters or
    /// before device keys. The link carries the relay's id of this device and its public key,
    /// which is where other devices take it from to seal keys to it.
    pub async fn join_roster(
        &self,
        invited: bool,
        device_name: Option<String>,
        relay_id: &str,
    ) -> Result<(), EditError> {
        self.workspace().await.map_err(EditError::NotSaved)?;
        let public_key = self
            .device_secret()
            .await
            .map_err(EditError::NotSaved)?
            .public_key();
        let me = self.person_id();
        let mut ops = Vec::new();
        if !invited && !self.in_roster() {
            let identity = self.identity.get_untracked();
            ops.push(WorkspaceOp::AddPerson {
                person: Person {
                    id: me.clone(),
                    name: identity
                        .as_ref()
                        .map(|i| i.name.clone())
                        .unwrap_or_default(),
                    role: identity.map(|i| i.role).unwrap_or_default(),
                    ..Default::default()
                },
            });
        }
        ops.push(WorkspaceOp::LinkDevice {
            link: DeviceLink {
                device_id: self.author().device_id,
                person_id: me,
                name: device_name.unwrap_or_default(),
                relay_id: relay_id.to_owned(),
                public_key: public_key.to_base64(),
                ..Default::default()
            },
        });
        self.edit_workspace(ops).await?;
        self.storage
            .set_meta(ROSTER_META, ROSTER_WITH_KEYS)
            .await
            .map_err(EditError::NotSaved)
    }

    /// On a device in a workspace since before rosters, or before device keys: (re)joins it once,
    /// keeping the name its link has.
    pub async fn join_roster_if_new(&self) {
        if self.identity.with_untracked(Option::is_none) {
            return;
        }
        let Ok(Some(stored)) = self.storage.meta(crate::sync::WORKSPACE_META).await else {
            return;
        };
        let Ok(ws) = serde_json::from_str::<crate::sync::Workspace>(&stored) else {
            return;
        };
        if let Ok(Some(done)) = self.storage.meta(ROSTER_META).await {
            if done == ROSTER_WITH_KEYS {
                return;
            }
        }
        let me = self.author().device_id;
        let name = self.workspace_record.with_untracked(|r| {
            r.as_ref()
                .and_then(|r| r.devices.get(&me))
                .map(|l| l.name.clone())
        });
        if let Err(e) = self.join_roster(false, name, &ws.device_id).await {
            self.problems
                .update(|p| p.push(format!("This device could not join the team roster: {e}")));
        }
    }

    /// Whether this person may change the chart of a patient with this care team.
    pub fn may_edit(&self, care_manager: &str, care_team: &[String]) -> bool {
        tend_core::team::may_edit(care_manager, care_team, &self.person_id(), &self.role())
    }

    /// Hands several patients to `to` with one note, one change per patient; returns how many
    /// were handed over and the problems of those that were not.
    pub async fn hand_over(
        &self,
        patients: &[String],
        to: &Person,
        note: &str,
    ) -> (usize, Vec<String>) {
        let mut done = 0;
        let mut problems = Vec::new();
        for id in patients {
            let Some(pid) = PatientId::parse(id) else {
                problems.push(format!("{id}: not a patient id"));
                continue;
            };
            let open = match self.open_patient(&pid).await {
                Ok(open) => open,
                Err(e) => {
                    problems.push(format!("{id}: {e}"));
                    continue;
                }
            };
            let from_id = open.borrow().doc.care_team().0;
            let handover = Handover {
                id: uuid::Uuid::new_v4().to_string(),
                from_name: self.person_name(&from_id),
                from_id,
                to_id: to.id.clone(),
                to_name: to.name.clone(),
                note: note.to_string(),
                ..Default::default()
            };
            let result = self
                .edit(&open, move |doc, author, now| {
                    doc.apply(Op::HandOver { handover }, author, now)
                })
                .await;
            match result {
                Ok(()) => done += 1,
                Err(e) => {
                    let name = open
                        .borrow()
                        .doc
                        .record()
                        .map(|r| r.name.display())
                        .unwrap_or_else(|_| id.clone());
                    problems.push(format!("{name}: {e}"));
                }
            }
        }
        (done, problems)
    }

    /// Creates a patient and stores them; the caseload shows them only once they are saved.
    pub async fn add_patient(&self, name: PersonName) -> Result<PatientSummary, EditError> {
        self.add_patient_for(name, None).await
    }

    /// Creates a patient assigned to `care_manager` (someone who leads the team may add a
    /// patient for a colleague), or else to the person adding them.
    pub async fn add_patient_for(
        &self,
        name: PersonName,
        care_manager: Option<&Person>,
    ) -> Result<PatientSummary, EditError> {
        self.create_patient(PatientId::random(), name, care_manager, Vec::new())
            .await
    }

    /// A patient read from a file (FHIR import): created with `id` and assigned to the person
    /// importing, with `ops` applied in the same step — all of them or, if any is refused, no
    /// patient at all.
    pub async fn import_patient(
        &self,
        id: PatientId,
        name: PersonName,
        ops: Vec<Op>,
    ) -> Result<PatientSummary, EditError> {
        self.create_patient(id, name, None, ops).await
    }

    async fn create_patient(
        &self,
        id: PatientId,
        name: PersonName,
        care_manager: Option<&Person>,
        ops: Vec<Op>,
    ) -> Result<PatientSummary, EditError> {
        let author = self.author();
        let mut doc =
            PatientDoc::create(&id, name, &author, now_ms()).map_err(EditError::Rejected)?;
        let (to_id, to_name) = match care_manager {
            Some(p) => (p.id.clone(), p.name.clone()),
            None => (author.user_id.clone(), author.user_name.clone()),
        };
        let handover = Handover {
            id: uuid::Uuid::new_v4().to_string(),
            to_id,
            to_name,
            ..Default::default()
        };
        doc.apply(Op::HandOver { handover }, &author, now_ms())
            .map_err(EditError::Rejected)?;
        doc.apply_all(ops, &author, now_ms())
            .map_err(EditError::Rejected)?;
        self.save_state.set(SaveState::Saving);
        match self.storage.create_patient(&mut doc).await {
            Ok(summary) => {
                self.save_state.set(SaveState::Saved { at_ms: now_ms() });
                self.upsert_summary(summary.clone());
                self.announce_saved(&summary.id);
                Ok(summary)
            }
            Err(e) => {
                self.save_state.set(SaveState::Failed(e.to_string()));
                Err(EditError::NotSaved(e))
            }
        }
    }

    pub async fn open_patient(&self, id: &PatientId) -> Result<OpenDocHandle, StorageError> {
        let loaded = self.storage.load_patient(id).await?;
        if !loaded.problems.is_empty() {
            self.problems.update(|p| p.extend(loaded.problems));
        }
        let handle = Rc::new(RefCell::new(OpenDoc {
            id: id.clone(),
            doc: loaded.doc,
            pending: Vec::new(),
        }));
        let mut open = self.open_docs.borrow_mut();
        open.retain(|w| w.strong_count() > 0);
        open.push(Rc::downgrade(&handle));
        Ok(handle)
    }

    /// Sync stored changes from other devices: merge them into the open copies of `id` (their
    /// next save stores them again, harmlessly), refresh the caseload row, and tell open charts.
    /// `summary`: the patient's new caseload row (`None` while it is being settled).
    pub fn merge_remote(
        &self,
        id: &PatientId,
        chunks: &[Vec<u8>],
        summary: Option<PatientSummary>,
    ) {
        for weak in self.open_docs.borrow().iter() {
            let Some(handle) = weak.upgrade() else {
                continue;
            };
            let Ok(mut open) = handle.try_borrow_mut() else {
                continue;
            };
            if &open.id == id {
                for chunk in chunks {
                    // Already durable in storage; a chunk that does not apply here is re-read on reopen.
                    let _ = open.doc.apply_changes(chunk);
                }
            }
        }
        if let Some(summary) = summary {
            self.upsert_summary(summary);
        }
        self.remote_version.update(|v| *v += 1);
    }

    /// Brings up to date, one patient at a time and yielding to the page between them, the
    /// caseload rows of patients whose received changes were stored unmerged
    /// (`crate::sync::settle`). Returns the ids settled. Runs once at a time: a call while it runs
    /// returns at once (the running one picks up what is new before it ends).
    pub async fn settle_received(&self) -> Vec<String> {
        if self.settle_running.replace(true) {
            return Vec::new();
        }
        let mut settled = Vec::new();
        let mut busy = Vec::new();
        loop {
            let Ok(stale) = self.storage.stale_patients().await else {
                break;
            };
            let todo: Vec<PatientId> = stale.into_iter().filter(|id| !busy.contains(id)).collect();
            if todo.is_empty() {
                break;
            }
            for (done, id) in todo.iter().enumerate() {
                self.settling.try_set(todo.len() - done);
                let mut problems = Vec::new();
                let outcome = crate::sync::settle::settle(
                    &self.storage,
                    id,
                    crate::clock::today(),
                    &mut problems,
                )
                .await;
                if !problems.is_empty() {
                    self.problems.update(|p| p.extend(problems));
                }
                match outcome {
                    Ok(crate::sync::settle::Settled::Summary(summary)) => {
                        self.upsert_summary(summary);
                        settled.push(id.to_string());
                    }
                    Ok(crate::sync::settle::Settled::Busy) => busy.push(id.clone()),
                    Ok(_) => settled.push(id.to_string()),
                    // Locked or storage failing: the rest stays stale, settled after the next round.
                    Err(_) => {
                        self.settling.try_set(0);
                        self.settle_running.set(false);
                        return settled;
                    }
                }
                crate::clock::yield_to_page().await;
            }
        }
        self.settling.try_set(0);
        self.settle_running.set(false);
        settled
    }

    /// The workspace document's content, loading it first if needed (a device that has none yet
    /// starts from the shared genesis; it is stored with its first change).
    pub async fn workspace(&self) -> Result<WorkspaceRecord, StorageError> {
        if let Some(record) = self.workspace_record.get_untracked() {
            return Ok(record);
        }
        let loaded = match self.storage.load_workspace().await {
            Ok(loaded) => {
                if !loaded.problems.is_empty() {
                    self.problems.update(|p| p.extend(loaded.problems));
                }
                loaded.doc
            }
            Err(StorageError::NotFound(_)) => WorkspaceDoc::new(),
            Err(e) => return Err(e),
        };
        let mut shared = self.workspace.borrow_mut();
        // Another call may have loaded it meanwhile: keep that one (it may hold edits).
        let doc = shared.doc.get_or_insert(loaded);
        let record = doc.record()?;
        self.workspace_record.set(Some(record.clone()));
        Ok(record)
    }

    /// Applies typed operations to the workspace document as one change and makes it durable,
    /// like [`Session::edit`] does for a patient.
    pub async fn edit_workspace(&self, ops: Vec<WorkspaceOp>) -> Result<(), EditError> {
        self.workspace().await.map_err(EditError::NotSaved)?;
        let author = self.author();
        let (batch, record) = {
            let mut shared = self.workspace.borrow_mut();
            let shared = &mut *shared;
            let Some(doc) = shared.doc.as_mut() else {
                return Err(EditError::NotSaved(StorageError::NotFound(
                    WORKSPACE_DOC_ID.into(),
                )));
            };
            doc.apply_all(ops, &author, now_ms())
                .map_err(EditError::Rejected)?;
            let record = doc
                .record()
                .map_err(|e| EditError::NotSaved(StorageError::Document(e)))?;
            let mut batch = std::mem::take(&mut shared.pending);
            batch.extend(doc.save_incremental());
            (batch, record)
        };
        self.workspace_record.set(Some(record));
        if batch.is_empty() {
            return Ok(());
        }
        self.save_state.set(SaveState::Saving);
        match self.storage.append_workspace_changes(&batch).await {
            Ok(()) => {
                self.save_state.set(SaveState::Saved { at_ms: now_ms() });
                self.announce_saved(WORKSPACE_DOC_ID);
                Ok(())
            }
            Err(e) => {
                let mut shared = self.workspace.borrow_mut();
                let newer = std::mem::take(&mut shared.pending);
                shared.pending = batch;
                shared.pending.extend(newer);
                self.save_state.set(SaveState::Failed(e.to_string()));
                Err(EditError::NotSaved(e))
            }
        }
    }

    /// Stored changes to the workspace document from other devices or tabs: merged into the
    /// copy in memory (if loaded) and shown.
    pub fn merge_remote_workspace(&self, chunks: &[Vec<u8>]) {
        let record = {
            let Ok(mut shared) = self.workspace.try_borrow_mut() else {
                return;
            };
            let Some(doc) = shared.doc.as_mut() else {
                // Not loaded here: the next `workspace()` reads it from storage.
                return;
            };
            for chunk in chunks {
                // Already durable in storage; one that does not apply is re-read on reload.
                let _ = doc.apply_changes(chunk);
            }
            doc.record().ok()
        };
        if let Some(record) = record {
            self.workspace_record.set(Some(record));
        }
        self.remote_version.update(|v| *v += 1);
    }

    /// Applies one typed operation and makes it durable. The in-memory document changes at once
    /// (typing never waits for IndexedDB); the UI says "saved" only after the transaction commits.
    pub async fn edit(
        &self,
        open: &OpenDocHandle,
        op: impl FnOnce(&mut PatientDoc, &Author, i64) -> Result<(), DocError>,
    ) -> Result<(), EditError> {
        self.edit_checked(open, op, true).await
    }

    /// "Join the care team" on a chart outside this person's caseload: the one change they may
    /// make there, recorded like any other (who, when) for the team to see.
    pub async fn join_care_team(&self, open: &OpenDocHandle) -> Result<(), EditError> {
        let me = self.person_id();
        let member = tend_core::record::TeamMember {
            id: uuid::Uuid::new_v4().to_string(),
            person_name: self.author().user_name,
            person_id: me,
            role: self.role(),
            ..Default::default()
        };
        self.edit_checked(
            open,
            move |doc, author, now| doc.apply(Op::AddTeamMember { member }, author, now),
            false,
        )
        .await
    }

    async fn edit_checked(
        &self,
        open: &OpenDocHandle,
        op: impl FnOnce(&mut PatientDoc, &Author, i64) -> Result<(), DocError>,
        check: bool,
    ) -> Result<(), EditError> {
        let author = self.author();
        let (id, batch, summary) = {
            let mut o = open.borrow_mut();
            let (care_manager, team) = o.doc.care_team();
            if check && !self.may_edit(&care_manager, &team) {
                return Err(EditError::Rejected(DocError::Invalid(
                    "this patient is not in your caseload; join the care team to make changes"
                        .into(),
                )));
            }
            op(&mut o.doc, &author, now_ms()).map_err(EditError::Rejected)?;
            // Dated summary: risk tier, priority, reasons and overdue flag for the device's today.
            // Taken before the incremental save, so if it fails the change stays in the document
            // and goes out with the next save instead of being dropped.
            let summary = o
                .doc
                .summary_on(crate::clock::today())
                .map_err(|e| EditError::NotSaved(StorageError::Document(e)))?;
            let fresh = o.doc.save_incremental();
            let mut batch = std::mem::take(&mut o.pending);
            batch.extend(fresh);
            (o.id.clone(), batch, summary)
        };
        if batch.is_empty() {
            return Ok(());
        }
        self.save_state.set(SaveState::Saving);
        match self.storage.append_changes(&id, &batch, &summary).await {
            Ok(()) => {
                self.save_state.set(SaveState::Saved { at_ms: now_ms() });
                self.upsert_summary(summary);
                self.announce_saved(id.as_str());
                self.compact_if_due(open).await;
                Ok(())
            }
            // Nowhere to keep it: the patient left this device (the user is told why).
            Err(e @ StorageError::NotOnDevice(_)) => {
                self.save_state.set(SaveState::Failed(e.to_string()));
                Err(EditError::NotSaved(e))
            }
            Err(e) => {
                // Keep the batch (ahead of anything newer) so the next save retries it.
                let mut o = open.borrow_mut();
                let newer = std::mem::take(&mut o.pending);
                o.pending = batch;
                o.pending.extend(newer);
                self.save_state.set(SaveState::Failed(e.to_string()));
                Err(EditError::NotSaved(e))
            }
        }
    }

    /// Recomputes, in the background and one patient at a time, summaries an older build stored
    /// (they may lack fields the list needs, such as identifiers for search) or made on an earlier
    /// day (their tier and overdue items are as of then). Stops at the first
    /// storage failure (e.g. the app locked): the old summaries stay usable and are retried next start.
    async fn refresh_outdated_summaries(&self, ids: Vec<String>) {
        for id in ids.iter().filter_map(|id| PatientId::parse(id)) {
            let Ok(loaded) = self.storage.load_patient(&id).await else {
                return;
            };
            let Ok(summary) = loaded.doc.summary_on(crate::clock::today()) else {
                continue;
            };
            match self.storage.replace_outdated_summary(&summary).await {
                Ok(true) => self.upsert_summary(summary),
                Ok(false) => {}
                Err(_) => return,
            }
        }
    }

    /// Retries the pending (not yet durable) changes of every open document. `Err` if any could
    /// not be saved: the changes stay in memory, and callers must not go on as if they were saved.
    pub async fn save_pending(&self) -> Result<(), EditError> {
        let open: Vec<OpenDocHandle> = self
            .open_docs
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for handle in open {
            if handle.borrow().pending.is_empty() {
                continue;
            }
            // A no-op edit stores exactly the pending batch (see `edit`).
            self.edit(&handle, |_, _, _| Ok(())).await?;
        }
        if !self.workspace.borrow().pending.is_empty() {
            self.edit_workspace(Vec::new()).await?;
        }
        Ok(())
    }

    async fn compact_if_due(&self, open: &OpenDocHandle) {
        let id = open.borrow().id.clone();
        let Ok(count) = self.storage.chunk_count(id.as_str()).await else {
            return;
        };
        if count < COMPACT_AFTER_CHUNKS {
            return;
        }
        // Compaction works on a copy so the open document is never borrowed across an await.
        let copy = PatientDoc::load(&open.borrow_mut().doc.save());
        if let Ok(mut copy) = copy {
            if let Err(e) = self.storage.compact(id.as_str(), &mut copy).await {
                // Not fatal: the chunks are still there; the next edit tries again.
                self.problems
                    .update(|p| p.push(format!("Tidying saved data failed: {e}")));
            }
        }
    }

    fn upsert_summary(&self, summary: PatientSummary) {
        self.caseload.update(|list| {
            match list.iter_mut().find(|s| s.id == summary.id) {
                Some(existing) => *existing = summary,
                None => list.push(summary),
            }
            tend_core::caseload::sort(list);
        });
        let upkeep = &self.cache_upkeep;
        upkeep
            .writes_since_rebuild
            .set(upkeep.writes_since_rebuild.get() + 1);
        if upkeep.writes_since_rebuild.get() >= CACHE_REBUILD_AFTER_WRITES {
            // Delayed: during a large sync this caps rebuilds at one per delay, not one per 32 rows.
            self.rebuild_caseload_cache(CACHE_REBUILD_DELAY_MS);
        }
    }

    /// Rebuilds the caseload cache in the background after `delay_ms`, one rebuild at a time per
    /// tab. A failure is harmless (start-up then reads the rows), so it is not reported.
    fn rebuild_caseload_cache(&self, delay_ms: u32) {
        let upkeep = Rc::clone(&self.cache_upkeep);
        if upkeep.rebuilding.replace(true) {
            return;
        }
        upkeep.writes_since_rebuild.set(0);
        // Weak: storage nobody holds any more (a closed test or benchmark session) is not touched.
        // If the app locked meanwhile, the rebuild fails with `Locked` and writes nothing.
        let storage = Rc::downgrade(&self.storage);
        let rebuild = async move {
            if let Some(storage) = storage.upgrade() {
                let _ = storage.rebuild_caseload_cache().await;
            }
            upkeep.rebuilding.set(false);
        };
        if delay_ms == 0 {
            wasm_bindgen_futures::spawn_local(rebuild);
        } else {
            gloo::timers::callback::Timeout::new(delay_ms, move || {
                wasm_bindgen_futures::spawn_local(rebuild)
            })
            .forget();
        }
    }
}
