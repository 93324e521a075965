//! Scale benchmark (issue 20), native, release:
//! `cargo run --release -p tend-relay --example scale_bench`. Prints ONE JSON object on stdout (read
//! by `cargo xtask bench scale`); progress goes to stderr.
//!
//! Starts the relay in-process on 127.0.0.1 (SQLite in a temporary directory) and seeds, through its
//! HTTP API with tend-core's own ops, planner and crypto (not timed):
//! - a workspace of 100 people (1 administrator, 2 supervisors, 33 care managers, 64 nurses, social
//!   workers and community health workers), one device each, each device's public key linked in the
//!   roster by the device itself; the workspace document (roster and a 150-organisation directory)
//!   gets its first key from the administrator's key step (sealed to every device) and is compacted;
//! - 10,000 patients (tests/support/fake_patients.rs set-up history, assigned to a care manager,
//!   every fourth with a care-team member), each given its first key by its care manager's tablet
//!   with core's planner (`plan`, readers from `patient_readers`: the care manager's devices, the
//!   team member's and the team leads'), then pushed as the relay holds a compacted patient: a
//!   version-2 snapshot carrying its summary, then two everyday changes. Patients are created
//!   interleaved across care managers, so each one's patients are spread over the whole log.
//!   The target care manager has exactly 300.
//!
//! A new phone syncs as the app's engine does (`src/sync/mod.rs` `round_once`): it joins with a
//! join code (which carries the workspace document's current key), learns the workspace document's
//! keys, fetches it with `doc=`, pulls the feed from its cursor in pages of 1,000 (the next page on
//! its way while one is opened; key changes recorded and rings opened before a page's chunks),
//! opens its keys again with the roster (`open_states_cached`), pushes its roster link, runs core's
//! `key_step`, and gets the documents it was given late: given more than it holds (a new phone),
//! one more pass of the feed from 0; otherwise one `doc=…&after=0` pull each (`fetch_docs`).
//! Every chunk is decrypted (`open_page`) and loaded or merged into a `PatientDoc`
//! (`merge_chunks`); there is no IndexedDB natively, nothing is stored.
//!
//! - `scale_new_phone_first_sync_300_of_10k_ms` (and `…_bytes`): the care manager's new phone, as in
//!   the app: its first round (roster, feed, its link pushed) comes before anyone can grant it
//!   anything; her tablet's key step then grants it the roster and her 300 patients (not timed:
//!   `tablet_grants_ms`); its next round learns the grants from the feed and, holding none of the
//!   300, pulls the feed again from 0 in one pass. Value: both rounds. Baseline: a supervisor's phone that reads all 10,000
//!   (a reader since their first keys) pulling everything in one pass of the feed from 0: the
//!   fastest way to get all 10,000, so the ratio understates the saving.
//! - `scale_new_phone_one_pass_300_of_10k_ms`: the grants exist before the phone's first pull (its
//!   link pushed first), so its first pass of the feed brings the 300; baseline: the app's path
//!   above (ratio < 1: what the extra round and second pass cost).
//! - With `SCALE_BENCH_APP_ALL=1`, `scale_new_phone_first_sync_all_10k_app_path_ms`: a
//!   supervisor's new phone on the app's path (10,000 grants, then the feed again from 0);
//!   baseline: the one-pass supervisor phone. Minutes more: off by default.
//!
//! Every phone must end with exactly its patients, each with the heads that were seeded, and the
//! roster as seeded, and must have been sent no chunk or key change of any other patient (the
//! relay's scope); otherwise the bench fails. Median of `SCALE_BENCH_RUNS` (default 3) phones for
//! the 300-patient measures; `SCALE_BENCH_PATIENTS` (default 10,000) shrinks the workspace.

#[path = "../../../tests/support/fake_patients.rs"]
mod fake;
#[path = "support/local_relay.rs"]
mod local_relay;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::ChangeHash;
use serde_json::json;
use tend_core::crypto::{InvitedPerson, JoinCode, JoinDocKey, WorkspaceKey};
use tend_core::keys::{ContentKey, DeviceSecret, DocKeyState, KeyRing, KeyUpdate};
use tend_core::ops::Op;
use tend_core::record::{Handover, PersonRole, TeamMember};
use tend_core::sync::key_step::{key_step, HeldDoc, KeyAction};
use tend_core::sync::keys::{
    patient_readers, plan, record_changes, senders, Directory, KeyPlan, Keychain, RingCache,
    ThisDevice,
};
use tend_core::sync::{
    merge_chunks, open_page, plan_batches, snapshot_plain, Carried, PullBatch, PulledBatch,
};
use tend_core::sync_wire::{
    paths, ChunkKind, DeviceCredentials, DocKeysResponse, JoinRequest, JoinSecretResponse,
    KeyUpdateResponse, PullResponse, PushChunk, PushRequest, PushResponse,
};
use tend_core::workspace::{
    DeviceLink, Organisation, Person, WorkspaceDoc, WorkspaceOp, WorkspaceRecord,
};
use tend_core::{Author, DocId, PatientDoc};
use tend_relay::config::Config;

/// The workspace document's id (PROTOCOL.md "Conventions").
const WS_DOC: &str = tend_core::WORKSPACE_DOC_ID;
const PATIENTS: usize = 10_000;
/// Patients of the care manager whose new phone is measured.
const TARGET_PATIENTS: usize = 300;
const ADMINS: usize = 1;
const SUPERVISORS: usize = 2;
const CARE_MANAGERS: usize = 33;
/// Nurses, social workers, community health workers: 100 people in all.
const STAFF: usize = 64;
/// Organisations in the workspace document's resource directory.
const ORGANISATIONS: usize = 150;
/// The set-up history of tests/support/fake_patients.rs (profile, program, three conditions,
/// three medications, a follow-up, a PHQ-9) and the assignment go into the snapshot; then this
/// many everyday edits, one change chunk each.
const SET_UP_OPS: usize = 11;
const EDITS_AFTER_SNAPSHOT: usize = 2;
/// The app's pull page (`src/sync/net.rs` `PULL_PAGE_CHUNKS`).
const PAGE_LIMIT: u32 = 1_000;
/// Seeding (not timed): patients built per block, and pushes as large as the relay takes.
const SEED_BLOCK: usize = 250;
const SEED_PUSH_CHUNKS: usize = 1_000;
const SEED_PUSH_BYTES: usize = 8 << 20;
const SEED: u64 = 0x5ca1_e020;
const RELAY_URL: &str = "http://127.0.0.1";

type Res<T> = Result<T, String>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------------
// HTTP, counting what comes back

/// One device's HTTP client: its own connections, and a count of its requests and response bytes.
struct Net {
    http: reqwest::Client,
    base: String,
    down: AtomicU64,
    requests: AtomicU64,
}

impl Net {
    fn new(base: &str) -> Res<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Net {
            http,
            base: base.to_string(),
            down: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        })
    }

    /// (response body bytes, requests) so far.
    fn meter(&self) -> (u64, u64) {
        (
            self.down.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed),
        )
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Res<T> {
        let r = req.send().await.map_err(|e| format!("{what}: {e}"))?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| format!("{what}: {e}"))?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.down.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).into_owned();
            return Err(format!("{what}: {status} {text}"));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{what}: unreadable answer: {e}"))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> Res<T> {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        self.send(req, &format!("GET {path}")).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> Res<T> {
        let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req, &format!("POST {path}")).await
    }

    async fn pull(&self, d: &DeviceCredentials, after: u64) -> Res<PullResponse> {
        let path = paths::pull(&d.workspace_id, after, Some(PAGE_LIMIT), None);
        self.get(&path, &d.device_token).await
    }

    async fn pull_doc(&self, d: &DeviceCredentials, doc: &str, after: u64) -> Res<PullResponse> {
        let path = paths::pull_doc(&d.workspace_id, doc, after, Some(PAGE_LIMIT));
        self.get(&path, &d.device_token).await
    }

    async fn head(&self, d: &DeviceCredentials) -> Res<u64> {
        Ok(self.pull(d, u64::MAX / 2).await?.head_seq)
    }

    async fn push(&self, d: &DeviceCredentials, chunks: Vec<PushChunk>) -> Res<PushResponse> {
        let n = chunks.len();
        let resp: PushResponse = self
            .post(
                &paths::chunks(&d.workspace_id),
                Some(&d.device_token),
                &PushRequest { chunks },
            )
            .await?;
        if resp.results.len() != n || resp.results.iter().any(|r| r.stale) {
            return Err(format!(
                "push of {n} chunks: the relay stored {} of them ({} stale)",
                resp.results.len(),
                resp.results.iter().filter(|r| r.stale).count()
            ));
        }
        Ok(resp)
    }

    async fn update_keys(&self, d: &DeviceCredentials, doc: &str, update: &KeyUpdate) -> Res<u64> {
        let stored: KeyUpdateResponse = self
            .post(
                &paths::keys(&d.workspace_id),
                Some(&d.device_token),
                &update.to_request(doc),
            )
            .await?;
        Ok(stored.head_seq)
    }
}

// ---------------------------------------------------------------------------------------------------
// The workspace as seeded

/// A device: its relay credentials, its key pair, and who it signs changes as.
#[derive(Clone)]
struct Device {
    creds: DeviceCredentials,
    me: ThisDevice,
    author: Author,
}

impl Device {
    fn new(creds: DeviceCredentials, person: &Person, local_id: String) -> Res<Self> {
        Ok(Device {
            me: ThisDevice {
                device_id: creds.device_id.clone(),
                secret: DeviceSecret::generate().map_err(|e| e.to_string())?,
            },
            author: Author {
                user_id: person.id.clone(),
                user_name: person.name.clone(),
                device_id: local_id,
            },
            creds,
        })
    }

    /// The roster change this device makes about itself: its link, with its relay id and public
    /// key (what `Session::join_roster` writes), on the workspace document as a device that just
    /// joined holds it (the genesis only): concurrent with everything, merged by everyone.
    fn link_change(&self, name: &str, at: i64) -> Res<Vec<u8>> {
        let mut doc = WorkspaceDoc::new();
        let before = doc.heads();
        doc.apply(
            WorkspaceOp::LinkDevice {
                link: DeviceLink {
                    device_id: self.author.device_id.clone(),
                    person_id: self.author.user_id.clone(),
                    name: name.to_string(),
                    relay_id: self.creds.device_id.clone(),
                    public_key: self.me.public_key().to_base64(),
                    ..Default::default()
                },
            },
            &self.author,
            at,
        )
        .map_err(|e| format!("link device: {e}"))?;
        Ok(doc.save_after(&before))
    }
}

/// A person of the roster and their device (a tablet).
#[derive(Clone)]
struct Member {
    person: Person,
    device: Device,
}

/// A seeded patient: who cares for them and the heads the relay holds.
struct Seeded {
    id: String,
    care_manager: String,
    team: Vec<String>,
    heads: Vec<ChangeHash>,
}

/// What the relay holds, as a device that has synced everything knows it: the roster, every
/// document's keys and their rings (the seeding devices' and tablets' view, never the phones').
struct World {
    ws_id: String,
    key: WorkspaceKey,
    workspace: WorkspaceDoc,
    states: HashMap<String, DocKeyState>,
    rings: HashMap<String, KeyRing>,
    patients: Vec<Seeded>,
}

impl World {
    fn merge_workspace(&mut self, change: &[u8]) -> Res<()> {
        self.workspace
            .apply_changes(change)
            .map_err(|e| format!("workspace document: {e}"))
    }

    /// The workspace document's current generation (0: no keys yet).
    fn ws_generation(&self) -> u32 {
        self.states.get(WS_DOC).map_or(0, DocKeyState::current)
    }

    /// Seals what the seeding devices write to the workspace document: under its current key
    /// once it has one, else under the workspace key (version 1).
    fn keychain(&self) -> Keychain {
        let mut chain = Keychain::new(&self.ws_id, Some(self.key.clone()));
        if let Some(ring) = self.rings.get(WS_DOC) {
            chain.insert(ring.clone());
        }
        chain
    }

    fn workspace_chunk(
        &self,
        kind: ChunkKind,
        covers: Option<u64>,
        bytes: &[u8],
    ) -> Res<PushChunk> {
        Ok(PushChunk {
            client_chunk_id: chunk_id(bytes),
            doc_id: WS_DOC.into(),
            kind,
            covers_seq: covers,
            ciphertext: self
                .keychain()
                .seal(WS_DOC, kind, bytes)
                .map_err(|e| e.to_string())?,
        })
    }

    /// A change to the workspace document pushed by `by`, and merged here.
    async fn push_workspace(&mut self, net: &Net, by: &Device, change: Vec<u8>) -> Res<()> {
        let chunk = self.workspace_chunk(ChunkKind::Change, None, &change)?;
        net.push(&by.creds, vec![chunk]).await?;
        self.merge_workspace(&change)
    }

    /// A join code for a new device of `person`, made by `inviter` as the app's "Invite a device"
    /// makes it: a join secret minted for the workspace document's current generation, and that
    /// generation's key.
    async fn invite(&self, net: &Net, inviter: &Device, person: &Person) -> Res<String> {
        let generation = self.ws_generation();
        let secret: JoinSecretResponse = net
            .post(
                &paths::join_secrets(&self.ws_id),
                Some(&inviter.creds.device_token),
                &json!({ "workspace_generation": generation }),
            )
            .await?;
        let doc_key = match generation {
            0 => None,
            g => Some(JoinDocKey {
                generation: g,
                key: self
                    .rings
                    .get(WS_DOC)
                    .and_then(|r| r.get(g))
                    .ok_or("the inviting device lacks the workspace document's key")?
                    .clone(),
            }),
        };
        JoinCode {
            relay_url: RELAY_URL.into(),
            workspace_id: self.ws_id.clone(),
            join_secret: secret.join_secret,
            key: self.key.clone(),
            doc_key,
            person: Some(InvitedPerson {
                id: person.id.clone(),
                name: person.name.clone(),
                role: person.role.as_str().to_string(),
            }),
        }
        .encode()
        .map_err(|e| format!("join code: {e}"))
    }

    /// What `granter` (a device that reads the workspace document and `docs`, and has synced)
    /// sends in its key step: core's `key_step` over the workspace document and those patients,
    /// every `Send` posted one after another. Returns (ms, requests). The planning (pure) runs on
    /// two threads here to keep the bench short; the time reported adds both threads' planning
    /// (what one thread would take) to the posts.
    async fn key_step_of(
        &mut self,
        net: &Net,
        granter: &Device,
        docs: &[usize],
    ) -> Res<(f64, u64)> {
        let record = self.workspace.record().map_err(|e| e.to_string())?;
        let mut chain = self.keychain();
        let roster = HeldDoc {
            doc_id: WS_DOC.into(),
            care: None,
            unsynced: false,
        };
        let held: Vec<HeldDoc> = std::iter::once(roster)
            .chain(docs.iter().map(|&i| {
                let p = &self.patients[i];
                if let Some(ring) = self.rings.get(&p.id) {
                    chain.insert(ring.clone());
                }
                HeldDoc {
                    doc_id: p.id.clone(),
                    care: Some((p.care_manager.clone(), p.team.clone())),
                    unsynced: false,
                }
            }))
            .collect();
        let (states, me) = (&self.states, &granter.me);
        let halves: Vec<Res<(Vec<KeyAction>, f64)>> = std::thread::scope(|s| {
            let jobs: Vec<_> = held
                .chunks(held.len().div_ceil(2).max(1))
                .map(|part| {
                    let (chain, record) = (&chain, &record);
                    s.spawn(move || {
                        let t = Instant::now();
                        key_step(part, states, chain, me, record)
                            .map(|a| (a, ms_since(t)))
                            .map_err(|e| format!("key step: {e}"))
                    })
                })
                .collect();
            jobs.into_iter()
                .map(|j| {
                    j.join()
                        .unwrap_or_else(|_| Err("a key step thread panicked".into()))
                })
                .collect()
        });
        let mut planning_ms = 0.0;
        let mut actions = Vec::new();
        for half in halves {
            let (a, ms) = half?;
            planning_ms += ms;
            actions.extend(a);
        }
        let held_ids: HashSet<&str> = held.iter().map(|h| h.doc_id.as_str()).collect();
        let t = Instant::now();
        let mut sent = 0;
        for action in actions {
            let (doc_id, update, ring) = match action {
                KeyAction::Send {
                    doc_id,
                    update,
                    ring,
                } => (doc_id, update, ring),
                // Planned in halves: each half sees the other's documents as not held here.
                KeyAction::Fetch { doc_id } if held_ids.contains(doc_id.as_str()) => continue,
                other => return Err(format!("unexpected key action of a tablet: {other:?}")),
            };
            net.update_keys(&granter.creds, &doc_id, &update).await?;
            self.states
                .entry(doc_id.clone())
                .or_default()
                .apply(&granter.me.device_id, &update)
                .map_err(|e| format!("{doc_id}: {e}"))?;
            self.rings.insert(doc_id, ring);
            sent += 1;
        }
        Ok((planning_ms + ms_since(t), sent))
    }
}

/// A client chunk id from the content (deterministic, unique enough here).
fn chunk_id(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    let a = h.finish();
    bytes.len().hash(&mut h);
    format!("{a:016x}{:016x}", h.finish())
}

const GIVEN: &[&str] = &[
    "Ana", "Ben", "Chioma", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Keiko",
    "Luis", "Mei", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tomás",
];
const FAMILY: &[&str] = &[
    "López", "Okafor", "Nguyen", "Petrov", "Haddad", "Kim", "Silva", "Mensah", "Rossi", "Tanaka",
    "Yilmaz", "Walsh", "Novak", "Ibrahim", "Larsen", "Costa", "Moreau",
];

fn person(i: usize, role: PersonRole) -> Person {
    Person {
        id: format!("person-{i:03}"),
        name: format!(
            "{} {}",
            GIVEN[i % GIVEN.len()],
            FAMILY[(i / GIVEN.len() + i) % FAMILY.len()]
        ),
        credentials: match role {
            PersonRole::Nurse => "RN".into(),
            PersonRole::SocialWorker => "LCSW".into(),
            PersonRole::CareManager => "RN, CCM".into(),
            _ => String::new(),
        },
        role,
        ..Default::default()
    }
}

fn organisation(i: usize, rng: &mut fake::Rng) -> Organisation {
    const KINDS: &[&str] = &[
        "Food Pantry",
        "Senior Center",
        "Housing Assistance",
        "Transportation Program",
        "Legal Aid",
        "Mental Health Clinic",
        "Home Care Agency",
        "Utility Assistance",
    ];
    Organisation {
        id: format!("org-{i:04}"),
        name: format!("{} {} {i}", FAMILY[i % FAMILY.len()], rng.pick(KINDS)),
        area_served: format!("ZIP codes 787{:02}–787{:02}", i % 50, i % 50 + 5),
        eligibility: "Adults 60+, or with a disability; income under 200% FPL".into(),
        hours: "Mon–Fri 9–5, Sat 10–2".into(),
        phone: format!("512-555-{:04}", rng.below(10_000)),
        address: format!("{} Main Street, Suite {}", 100 + i, rng.below(400)),
        website: format!("https://example.org/{i}"),
        languages: vec!["English".into(), "Spanish".into()],
        notes: "Call ahead; bring ID and proof of address. Intake takes about 30 minutes.".into(),
        ..Default::default()
    }
}

/// The roster index of patient `i`'s care manager: the target care manager's 300 are spread
/// evenly over the patients (so over the log), the other care managers take turns.
fn care_manager_of(i: usize, patients: usize) -> usize {
    let first = ADMINS + SUPERVISORS;
    let stride = (patients / TARGET_PATIENTS).max(1);
    if i.is_multiple_of(stride) && i / stride < TARGET_PATIENTS {
        first
    } else {
        first + 1 + i % (CARE_MANAGERS - 1)
    }
}

/// Every fourth patient also has a nurse, social worker or community health worker on the team.
fn team_member_of(i: usize) -> Option<usize> {
    (i % 4 == 3).then_some(ADMINS + SUPERVISORS + CARE_MANAGERS + (i * 7) % STAFF)
}

/// A patient as its care manager's tablet made it and gave it its first key.
struct Built {
    cm: usize,
    seeded: Seeded,
    /// The snapshot plaintext a compacting device pushes (the document, its summary and heads).
    snapshot: Vec<u8>,
    changes: Vec<Vec<u8>>,
    first_key: KeyUpdate,
    ring: KeyRing,
}

fn build_patient(
    i: usize,
    patients: usize,
    members: &[Member],
    record: &WorkspaceRecord,
    ws_id: &str,
) -> Res<Built> {
    let cm = care_manager_of(i, patients);
    let (manager, member) = (&members[cm], team_member_of(i).map(|m| &members[m]));
    let mut rng = fake::Rng::new(SEED ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let id = fake::patient_id(&mut rng);
    let author = &manager.device.author;
    let err = |e: tend_core::DocError| format!("patient {i}: {e}");
    let mut doc = PatientDoc::create(&id, fake::name(&mut rng), author, fake::T0).map_err(err)?;
    for k in 0..SET_UP_OPS {
        doc.apply(fake::op(&mut rng, k), author, fake::at(k))
            .map_err(err)?;
    }
    doc.apply(
        Op::HandOver {
            handover: Handover {
                id: "h0".into(),
                to_id: manager.person.id.clone(),
                to_name: manager.person.name.clone(),
                note: "New referral from the hospital discharge team.".into(),
                ..Default::default()
            },
        },
        author,
        fake::at(SET_UP_OPS),
    )
    .map_err(err)?;
    if let Some(m) = member {
        doc.apply(
            Op::AddTeamMember {
                member: TeamMember {
                    id: "tm0".into(),
                    person_id: m.person.id.clone(),
                    person_name: m.person.name.clone(),
                    role: m.person.role.clone(),
                    ..Default::default()
                },
            },
            author,
            fake::at(SET_UP_OPS + 1),
        )
        .map_err(err)?;
    }
    let summary = doc.summary().map_err(err)?;
    let heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
    let snapshot = snapshot_plain(&doc.save(), Some(&Carried { summary, heads }));
    let mut changes = Vec::new();
    for k in SET_UP_OPS..SET_UP_OPS + EDITS_AFTER_SNAPSHOT {
        doc.apply(fake::op(&mut rng, k), author, fake::at(k + 2))
            .map_err(err)?;
        changes.push(doc.save_incremental());
    }
    let (care_manager, team) = doc.care_team();
    // Its first key, by core's planner: sealed to whoever should read it, and the tablet itself.
    let wanted = patient_readers(record, &care_manager, &team);
    let id = id.to_string();
    let KeyPlan::Send { update, ring } = plan(
        &KeyRing::new(ws_id, &id),
        &DocKeyState::default(),
        &manager.device.me,
        &wanted,
    )
    .map_err(|e| format!("first key of {id}: {e}"))?
    else {
        return Err(format!("the planner made no first key for {id}"));
    };
    Ok(Built {
        cm,
        seeded: Seeded {
            id,
            care_manager,
            team,
            heads: doc.heads(),
        },
        snapshot,
        changes,
        first_key: update,
        ring,
    })
}

/// Everything seeding leaves: the world, the people, the baseline phone, and facts about it.
struct Seeding {
    world: World,
    members: Vec<Member>,
    /// The care manager with 300 patients, and the supervisor whose phone reads everything.
    target_cm: usize,
    supervisor: usize,
    /// The supervisor's phone, linked before the patients got their first keys (so a reader of
    /// every one), which has not synced yet.
    reads_all: Option<Phone>,
    seconds: f64,
    patient_bytes: u64,
    chunks: usize,
}

async fn seed(base: &str, net: &Net, patients: usize) -> Res<Seeding> {
    let started = Instant::now();
    let first: DeviceCredentials = net
        .post(&paths::create_workspace(), None, &json!({}))
        .await?;
    let mut world = World {
        ws_id: first.workspace_id.clone(),
        key: WorkspaceKey::generate().map_err(|e| e.to_string())?,
        workspace: WorkspaceDoc::new(),
        states: HashMap::new(),
        rings: HashMap::new(),
        patients: Vec::new(),
    };

    // The roster: 100 people, one device each (the first is the administrator's).
    let mut people = Vec::new();
    for i in 0..ADMINS {
        people.push(person(i, PersonRole::Administrator));
    }
    for i in 0..SUPERVISORS {
        people.push(person(ADMINS + i, PersonRole::Supervisor));
    }
    for i in 0..CARE_MANAGERS {
        people.push(person(ADMINS + SUPERVISORS + i, PersonRole::CareManager));
    }
    for i in 0..STAFF {
        let role = match i % 3 {
            0 => PersonRole::Nurse,
            1 => PersonRole::SocialWorker,
            _ => PersonRole::CommunityHealthWorker,
        };
        people.push(person(ADMINS + SUPERVISORS + CARE_MANAGERS + i, role));
    }
    eprintln!(
        "scale_bench: seeding a workspace of {} people, one device each",
        people.len()
    );
    let admin_person = people[0].clone();
    let admin = Device::new(first, &admin_person, "tablet-000".into())?;
    let mut members = vec![Member {
        person: admin_person,
        device: admin.clone(),
    }];
    for (i, p) in people.into_iter().enumerate().skip(1) {
        let code = world.invite(net, &admin, &p).await?;
        let creds = join_with(net, &code).await?.0;
        let device = Device::new(creds, &p, format!("tablet-{i:03}"))?;
        members.push(Member { person: p, device });
    }

    // The administrator starts the roster and the directory (one change, as an import); then
    // each device links itself, as `join_roster` does.
    let before = world.workspace.heads();
    let mut rng = fake::Rng::new(SEED);
    let mut ops: Vec<WorkspaceOp> = members
        .iter()
        .map(|m| WorkspaceOp::AddPerson {
            person: m.person.clone(),
        })
        .collect();
    ops.push(WorkspaceOp::ImportOrganisations {
        organisations: (0..ORGANISATIONS)
            .map(|i| organisation(i, &mut rng))
            .collect(),
    });
    world
        .workspace
        .apply_all(ops, &admin.author, fake::T0)
        .map_err(|e| format!("roster: {e}"))?;
    let roster = world.workspace.save_after(&before);
    let chunk = world.workspace_chunk(ChunkKind::Change, None, &roster)?;
    net.push(&admin.creds, vec![chunk]).await?;
    for (i, m) in members.iter().enumerate() {
        let change = m
            .device
            .link_change(&format!("{}'s tablet", m.person.name), fake::T0 + i as i64)?;
        world.push_workspace(net, &m.device, change).await?;
    }
    // The administrator's key step gives the workspace document its first key (sealed to every
    // device of the roster), then it compacts the document (its changes outgrew a snapshot).
    world.key_step_of(net, &admin, &[]).await?;
    let head = net.head(&admin.creds).await?;
    let saved = world.workspace.save();
    let chunk = world.workspace_chunk(ChunkKind::Snapshot, Some(head), &saved)?;
    net.push(&admin.creds, vec![chunk]).await?;

    // The supervisor's phone that will read everything joins now (its code carries the roster's
    // key), links itself, and the administrator's key step grants it the roster: it is a device
    // of a team lead when the patients get their first keys, so a reader of every one of them.
    let supervisor = ADMINS;
    let reads_all = Phone::join(
        base,
        net,
        &world,
        &admin,
        &members[supervisor].person,
        "the supervisor's phone (reads all)".into(),
    )
    .await?;
    let mut reads_all = reads_all;
    let link = std::mem::take(&mut reads_all.st.outbox)
        .pop()
        .unwrap_or_default();
    world.push_workspace(net, &reads_all.device(), link).await?;
    world.key_step_of(net, &admin, &[]).await?;

    // Patients: two threads build them and plan their first keys, a block at a time; meanwhile
    // the care managers' tablets post the keys and push the chunks, in the order they were made.
    eprintln!(
        "scale_bench: {patients} patients built with tend-core ops and given their first keys by their care managers' tablets (2 threads)"
    );
    let record = Arc::new(world.workspace.record().map_err(|e| e.to_string())?);
    let shared = Arc::new(members.clone());
    let blocks = patients.div_ceil(SEED_BLOCK);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Res<Vec<Built>>)>(4);
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (tx, record, members) = (tx.clone(), record.clone(), shared.clone());
            let ws_id = world.ws_id.clone();
            std::thread::spawn(move || {
                for b in (w..blocks).step_by(2) {
                    let built = (b * SEED_BLOCK..((b + 1) * SEED_BLOCK).min(patients))
                        .map(|i| build_patient(i, patients, &members, &record, &ws_id))
                        .collect();
                    if tx.blocking_send((b, built)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let (mut patient_bytes, mut chunks) = (0u64, 0usize);
    let mut waiting: HashMap<usize, Vec<Built>> = HashMap::new();
    let mut next_block = 0;
    while let Some((b, built)) = rx.recv().await {
        waiting.insert(b, built?);
        while let Some(block) = waiting.remove(&next_block) {
            next_block += 1;
            let mut by_tablet: HashMap<usize, Vec<PushChunk>> = HashMap::new();
            for p in block {
                let tablet = &members[p.cm].device;
                let head = net
                    .update_keys(&tablet.creds, &p.seeded.id, &p.first_key)
                    .await?;
                world
                    .states
                    .entry(p.seeded.id.clone())
                    .or_default()
                    .apply(&tablet.me.device_id, &p.first_key)
                    .map_err(|e| format!("{}: {e}", p.seeded.id))?;
                let seal = |kind, plain: &[u8]| p.ring.seal(kind, plain).map_err(|e| e.to_string());
                let out = by_tablet.entry(p.cm).or_default();
                out.push(PushChunk {
                    client_chunk_id: format!("{}-snapshot", p.seeded.id),
                    doc_id: p.seeded.id.clone(),
                    kind: ChunkKind::Snapshot,
                    // A compacting device's snapshot covers the log as far as it pulled.
                    covers_seq: Some(head),
                    ciphertext: seal(ChunkKind::Snapshot, &p.snapshot)?,
                });
                for (n, c) in p.changes.iter().enumerate() {
                    out.push(PushChunk {
                        client_chunk_id: format!("{}-change-{n}", p.seeded.id),
                        doc_id: p.seeded.id.clone(),
                        kind: ChunkKind::Change,
                        covers_seq: None,
                        ciphertext: seal(ChunkKind::Change, c)?,
                    });
                }
                world.rings.insert(p.seeded.id.clone(), p.ring);
                world.patients.push(p.seeded);
            }
            let mut tablets: Vec<usize> = by_tablet.keys().copied().collect();
            tablets.sort();
            for cm in tablets {
                let sealed = by_tablet.remove(&cm).unwrap_or_default();
                let sizes: Vec<usize> = sealed.iter().map(|c| c.ciphertext.len()).collect();
                patient_bytes += sizes.iter().sum::<usize>() as u64;
                chunks += sealed.len();
                let mut rest = sealed.into_iter();
                for batch in plan_batches(&sizes, SEED_PUSH_CHUNKS, SEED_PUSH_BYTES) {
                    let part = rest.by_ref().take(batch.len()).collect();
                    net.push(&members[cm].device.creds, part).await?;
                }
            }
        }
    }
    for w in workers {
        w.join()
            .map_err(|_| "a seeding thread panicked".to_string())?;
    }
    if world.patients.len() != patients {
        return Err(format!(
            "seeded {} patients of {patients}",
            world.patients.len()
        ));
    }
    Ok(Seeding {
        world,
        members,
        target_cm: care_manager_of(0, patients),
        supervisor,
        reads_all: Some(reads_all),
        seconds: started.elapsed().as_secs_f64(),
        patient_bytes,
        chunks,
    })
}

/// A new device joins with a join code: parses it and posts its secret, as the app does.
async fn join_with(net: &Net, code: &str) -> Res<(DeviceCredentials, Option<JoinDocKey>)> {
    let code = JoinCode::parse(code).map_err(|e| format!("join code: {e}"))?;
    let req = JoinRequest {
        workspace_id: code.workspace_id.clone(),
        join_secret: code.join_secret.clone(),
        device_name: None,
    };
    let creds: DeviceCredentials = net.post(&paths::join(), None, &req).await?;
    Ok((creds, code.doc_key))
}

// ---------------------------------------------------------------------------------------------------
// A new phone, syncing as the app does

#[derive(Default, Clone, Copy)]
struct Stats {
    pages: u64,
    fetch_requests: u64,
    /// Passes of the feed from 0 after the key step (given more than it held).
    repulls: u64,
    chunks: u64,
    key_changes: u64,
    /// Opening rings: at the start of a round and after the pull (`round_keys`:
    /// `open_states_cached`), per key change in the feed (`refresh`), and `learn_keys`.
    rings_ms: f64,
    /// Rings opened (each: the envelopes sealed to this device opened, X25519 + HKDF + AEAD).
    ring_opens: u64,
    /// Decrypting (and reading the changes' hashes): `open_page`.
    open_ms: f64,
    /// Loading and merging into `PatientDoc`s / the workspace document: `merge_chunks`.
    merge_ms: f64,
    /// Time in `pull_all` (the feed: requests, key changes, decrypting, merging).
    feed_ms: f64,
    /// Time waiting for `doc=` fetch answers (the relay's work and the transfer).
    fetch_wait_ms: f64,
}

/// What the phone keeps between rounds (in the app: IndexedDB, and the engine's ring cache).
struct PhoneState {
    label: String,
    me: ThisDevice,
    author: Author,
    ws_id: String,
    key: WorkspaceKey,
    /// The workspace document's key from the join code.
    given: Option<(u32, ContentKey)>,
    cursor: u64,
    states: HashMap<String, DocKeyState>,
    to_fetch: BTreeSet<String>,
    workspace: WorkspaceDoc,
    patients: HashMap<String, PatientDoc>,
    /// Workspace-document changes not pushed yet (its roster link).
    outbox: Vec<Vec<u8>>,
    rings: RingCache,
    /// The key states as last opened by `round_keys` (to count what the cache had to open).
    opened: HashMap<String, DocKeyState>,
    /// Every document a chunk or key change sent to this phone named.
    seen: BTreeSet<String>,
    stats: Stats,
}

struct Phone {
    net: Net,
    creds: DeviceCredentials,
    st: PhoneState,
}

impl PhoneState {
    /// `round_keys`: the workspace key, the join code's key, and every document's keys this device
    /// knows of (rings kept from earlier rounds reused), each envelope trusted only from a device
    /// its roster lists.
    fn round_keys(&mut self, report: bool) -> Res<(Keychain, Directory)> {
        let record = self.workspace.record().map_err(|e| e.to_string())?;
        let directory = senders(&record);
        let mut chain = Keychain::new(&self.ws_id, Some(self.key.clone()));
        if let Some((generation, key)) = &self.given {
            chain
                .give(WS_DOC, *generation, key.clone())
                .map_err(|e| format!("the join code's key: {e}"))?;
        }
        let t = Instant::now();
        let problems =
            chain.open_states_cached(&self.states, &self.me, &directory, &mut self.rings);
        self.stats.rings_ms += ms_since(t);
        self.stats.ring_opens += self
            .states
            .iter()
            .filter(|(d, s)| self.opened.get(*d) != Some(*s) || d.as_str() == WS_DOC)
            .count() as u64;
        self.opened = self.states.clone();
        if report && !problems.is_empty() {
            return Err(format!(
                "{}: {} documents' keys did not open, e.g. {} ({})",
                self.label,
                problems.len(),
                problems[0].0,
                problems[0].1
            ));
        }
        Ok((chain, directory))
    }

    fn note(&mut self, page: &PullResponse) {
        self.stats.chunks += page.chunks.len() as u64;
        self.stats.key_changes += page.keys.len() as u64;
        for doc in page
            .chunks
            .iter()
            .map(|c| &c.doc_id)
            .chain(page.keys.iter().map(|k| &k.doc_id))
        {
            if !self.seen.contains(doc) {
                self.seen.insert(doc.clone());
            }
        }
    }

    /// Merges a batch (`apply_batch`, without storage): nothing may be set aside.
    fn apply_batch(&mut self, batch: PullBatch, fetched: bool) -> Res<()> {
        let PulledBatch {
            opened,
            next_cursor,
            ..
        } = batch.finish();
        if let Some(bad) = opened.set_aside.first() {
            return Err(format!(
                "{}: {} chunks set aside, e.g. seq {} of {} ({})",
                self.label,
                opened.set_aside.len(),
                bad.seq,
                bad.doc_id,
                bad.reason
            ));
        }
        let t = Instant::now();
        for d in opened.docs {
            match d.id {
                DocId::Patient(p) => {
                    let id = p.to_string();
                    let held = self.patients.remove(&id);
                    let m = merge_chunks(held, &id, d.chunks);
                    if let Some(bad) = m.set_aside.first() {
                        return Err(format!("{}: {id} did not load: {}", self.label, bad.reason));
                    }
                    if let Some(doc) = m.doc {
                        self.patients.insert(id, doc);
                    }
                }
                DocId::Workspace => {
                    let held = std::mem::take(&mut self.workspace);
                    let m = merge_chunks(Some(held), WS_DOC, d.chunks);
                    if let Some(bad) = m.set_aside.first() {
                        return Err(format!(
                            "{}: workspace document: {}",
                            self.label, bad.reason
                        ));
                    }
                    self.workspace = m.doc.unwrap_or_default();
                }
            }
        }
        self.stats.merge_ms += ms_since(t);
        if !fetched {
            self.cursor = next_cursor;
        }
        Ok(())
    }
}

impl Phone {
    /// A new phone of `person`: joins with a join code `inviter` made, makes its key pair and its
    /// roster link (pushed in its first round, as the app does, or before by the caller).
    async fn join(
        base: &str,
        seeding_net: &Net,
        world: &World,
        inviter: &Device,
        person: &Person,
        label: String,
    ) -> Res<Phone> {
        let net = Net::new(base)?;
        let code = world.invite(seeding_net, inviter, person).await?;
        let (creds, doc_key) = join_with(&net, &code).await?;
        let device = Device::new(
            creds.clone(),
            person,
            format!("phone-{}", &creds.device_id[..8]),
        )?;
        let change =
            device.link_change(&format!("{}'s new phone", person.name), fake::T0 + 9_999)?;
        let mut workspace = WorkspaceDoc::new();
        workspace
            .apply_changes(&change)
            .map_err(|e| e.to_string())?;
        Ok(Phone {
            net,
            creds,
            st: PhoneState {
                label,
                me: device.me,
                author: device.author,
                ws_id: world.ws_id.clone(),
                key: world.key.clone(),
                given: doc_key.map(|d| (d.generation, d.key)),
                cursor: 0,
                states: HashMap::new(),
                to_fetch: BTreeSet::new(),
                workspace,
                patients: HashMap::new(),
                outbox: vec![change],
                rings: RingCache::default(),
                opened: HashMap::new(),
                seen: BTreeSet::new(),
                stats: Stats::default(),
            },
        })
    }

    fn device(&self) -> Device {
        Device {
            creds: self.creds.clone(),
            me: self.st.me.clone(),
            author: self.st.author.clone(),
        }
    }

    /// `learn_keys`: a document's keys as the relay holds them now (`GET …/keys/{doc}`).
    async fn learn_keys(
        &mut self,
        chain: &mut Keychain,
        directory: &Directory,
        doc: &str,
    ) -> Res<()> {
        let path = paths::doc_keys(&self.creds.workspace_id, doc);
        let body: DocKeysResponse = self.net.get(&path, &self.creds.device_token).await?;
        let state = DocKeyState::from_response(body);
        let t = Instant::now();
        let _ = chain.refresh(doc, &state, &self.st.me, directory);
        self.st.stats.rings_ms += ms_since(t);
        self.st.stats.ring_opens += 1;
        self.st.states.insert(doc.to_owned(), state);
        Ok(())
    }

    /// `push_outbox` of the workspace document: its roster link, sealed under the document's
    /// current key (the join code's, until a device of the roster grants it its own).
    async fn push_workspace_outbox(&mut self, chain: &Keychain) -> Res<Vec<Vec<u8>>> {
        let pushed = std::mem::take(&mut self.st.outbox);
        for change in &pushed {
            let envelope = chain
                .seal(WS_DOC, ChunkKind::Change, change)
                .map_err(|e| e.to_string())?;
            let chunk = PushChunk {
                client_chunk_id: chunk_id(change),
                doc_id: WS_DOC.into(),
                kind: ChunkKind::Change,
                covers_seq: None,
                ciphertext: envelope,
            };
            self.net.push(&self.creds, vec![chunk]).await?;
        }
        Ok(pushed)
    }

    /// `fetch_docs`: each document whole from the relay's start with `doc=`, one after another,
    /// merged like pulled pages; the cursor stays where it is.
    async fn fetch_docs(&mut self, chain: &Keychain, docs: &[String]) -> Res<()> {
        for doc_id in docs {
            let mut batch = PullBatch::new(0);
            let mut after = 0;
            loop {
                let t = Instant::now();
                let pulled = self.net.pull_doc(&self.creds, doc_id, after).await?;
                self.st.stats.fetch_wait_ms += ms_since(t);
                self.st.stats.fetch_requests += 1;
                self.st.note(&pulled);
                let (more, next) = (pulled.more, pulled.next_cursor);
                let mut unkeyed = false;
                let t = Instant::now();
                batch.add(pulled, |chunks| {
                    let opened = open_page(chain, "", chunks);
                    unkeyed = !opened.unkeyed.is_empty();
                    opened
                });
                self.st.stats.open_ms += ms_since(t);
                if unkeyed {
                    return Err(format!(
                        "{}: {doc_id} fetched, but a chunk is under a key it was not given",
                        self.st.label
                    ));
                }
                if !more || next <= after {
                    break;
                }
                after = next;
            }
            self.st.apply_batch(batch, true)?;
            self.st.to_fetch.remove(doc_id);
        }
        Ok(())
    }

    /// `pull_all`: every page from `start` to the head; a page's key changes are recorded (and
    /// rings opened) before its chunks are opened; the next page is asked for before this one is
    /// worked on. From 0 it brings every document whole, marked ones included, its own chunks too.
    async fn pull_all(
        &mut self,
        chain: &mut Keychain,
        directory: &Directory,
        start: u64,
    ) -> Res<()> {
        let Phone { net, creds, st } = self;
        let me = st.me.device_id.clone();
        if start == 0 {
            st.to_fetch.clear();
        }
        let own = if start == 0 {
            String::new()
        } else {
            me.clone()
        };
        let before = st.states.clone();
        let held: HashSet<String> = st.patients.keys().cloned().collect();
        let mut batch = PullBatch::new(start);
        let mut next = Some(net.pull(creds, start).await?);
        while let Some(pulled) = next.take() {
            if pulled.chunks.is_empty()
                && pulled.keys.is_empty()
                && pulled.next_cursor == batch.cursor()
            {
                break;
            }
            st.stats.pages += 1;
            st.note(&pulled);
            let (more, after) = (pulled.more, pulled.next_cursor);
            let fetch = async {
                match more {
                    true => net.pull(creds, after).await.map(Some),
                    false => Ok(None),
                }
            };
            let work = async {
                if !pulled.keys.is_empty() {
                    let t = Instant::now();
                    for doc in record_changes(&mut st.states, &pulled.keys, &me) {
                        let state = &st.states[&doc];
                        let _ = chain.refresh(&doc, state, &st.me, directory);
                        st.stats.ring_opens += 1;
                        let was = before.get(&doc);
                        let first_key_of_held =
                            was.is_none() && state.current() == 1 && held.contains(&doc);
                        if start > 0
                            && state.is_reader(&me)
                            && !was.is_some_and(|w| w.is_reader(&me))
                            && !first_key_of_held
                        {
                            st.to_fetch.insert(doc);
                        }
                    }
                    st.stats.rings_ms += ms_since(t);
                }
                let t = Instant::now();
                let marks = &mut st.to_fetch;
                let full = batch.add(pulled, |chunks| {
                    let mut opened = open_page(chain, &own, chunks);
                    marks.extend(opened.unkeyed.drain(..));
                    opened.docs.retain(|d| !marks.contains(d.id.as_str()));
                    opened
                });
                st.stats.open_ms += ms_since(t);
                if !full {
                    return Ok(());
                }
                let full = std::mem::replace(&mut batch, PullBatch::new(after));
                st.apply_batch(full, false)
            };
            let (fetched, worked) = tokio::join!(fetch, work);
            worked?;
            next = fetched?;
        }
        let cursor = batch.cursor();
        if batch.pages() > 0 {
            st.apply_batch(batch, false)?;
        }
        st.cursor = cursor;
        Ok(())
    }

    /// One round (`round_once`): a new device's workspace document first (its keys, then the
    /// document), the feed, keys opened again with the roster, the roster link pushed, the key
    /// step, documents given late fetched whole. Returns the workspace changes it pushed.
    async fn round(&mut self) -> Res<Vec<Vec<u8>>> {
        if self.st.cursor == 0 {
            let (mut chain, directory) = self.st.round_keys(false)?;
            self.learn_keys(&mut chain, &directory, WS_DOC).await?;
            self.fetch_docs(&chain, &[WS_DOC.to_string()]).await?;
        }
        let (mut chain, directory) = self.st.round_keys(false)?;
        let t = Instant::now();
        self.pull_all(&mut chain, &directory, self.st.cursor)
            .await?;
        self.st.stats.feed_ms += ms_since(t);
        let (mut chain, directory) = self.st.round_keys(true)?;
        let pushed = self.push_workspace_outbox(&chain).await?;
        let record = self.st.workspace.record().map_err(|e| e.to_string())?;
        let roster = HeldDoc {
            doc_id: WS_DOC.into(),
            care: None,
            unsynced: false,
        };
        let held: Vec<HeldDoc> = std::iter::once(roster)
            .chain(self.st.patients.iter().map(|(id, doc)| HeldDoc {
                doc_id: id.clone(),
                care: Some(doc.care_team()),
                unsynced: false,
            }))
            .collect();
        let actions = key_step(&held, &self.st.states, &chain, &self.st.me, &record)
            .map_err(|e| format!("{}: key step: {e}", self.st.label))?;
        let mut fetch = self.st.to_fetch.clone();
        for action in actions {
            match action {
                KeyAction::Fetch { doc_id } => {
                    fetch.insert(doc_id);
                }
                // The set-up grants every device it links before a phone holds what it reads, so a
                // phone has nothing to send or drop in its first sync: anything else would be time
                // spent on something other than its first sync.
                other => {
                    return Err(format!(
                        "{}: unexpected key action in its first sync: {other:?}",
                        self.st.label
                    ))
                }
            }
        }
        let me = &self.st.me.device_id;
        let wanted: Vec<String> = fetch
            .into_iter()
            .filter(|d| self.st.states.get(d).is_some_and(|s| s.is_reader(me)))
            .collect();
        // Given more than it holds: the feed again from 0, in one pass (as the app does).
        if !wanted.is_empty() && wanted.len() > self.st.patients.len() {
            let t = Instant::now();
            self.pull_all(&mut chain, &directory, 0).await?;
            self.st.stats.feed_ms += ms_since(t);
            self.st.stats.repulls += 1;
        } else {
            self.fetch_docs(&chain, &wanted).await?;
        }
        Ok(pushed)
    }

    /// Exactly `expected`'s patients, each as seeded; the roster as everyone has it; and nothing
    /// of anyone else's patients ever sent to it.
    fn check(&mut self, world: &mut World, expected: &[usize]) -> Res<()> {
        let label = self.st.label.clone();
        let want: HashSet<&str> = expected
            .iter()
            .map(|&i| world.patients[i].id.as_str())
            .collect();
        if let Some(d) = self
            .st
            .seen
            .iter()
            .find(|d| d.as_str() != WS_DOC && !want.contains(d.as_str()))
        {
            return Err(format!(
                "{label} was sent a chunk or key change of patient {d}, who is not among its {} (the relay's scope)",
                want.len()
            ));
        }
        let have: HashSet<&str> = self.st.patients.keys().map(String::as_str).collect();
        if have != want {
            let missing = want.difference(&have).count();
            let extra = have.difference(&want).count();
            return Err(format!(
                "{label} holds {} patients, expected {} ({missing} missing, {extra} not its own)",
                have.len(),
                want.len()
            ));
        }
        for &i in expected {
            let p = &world.patients[i];
            let doc = self
                .st
                .patients
                .get_mut(&p.id)
                .ok_or_else(|| format!("{label}: {} missing", p.id))?;
            let mut got = doc.heads();
            let mut seeded = p.heads.clone();
            got.sort();
            seeded.sort();
            if got != seeded {
                return Err(format!("{label}: {} differs from what was seeded", p.id));
            }
        }
        let (mut a, mut b) = (self.st.workspace.heads(), world.workspace.heads());
        a.sort();
        b.sort();
        if a != b {
            return Err(format!(
                "{label}: its workspace document differs from the relay's"
            ));
        }
        Ok(())
    }
}

/// One phone's first sync.
#[derive(Clone, Copy, Default)]
struct Run {
    ms: f64,
    round1_ms: f64,
    round2_ms: f64,
    /// Round 1's pass of the feed from 0 (the relay skips every chunk out of scope).
    round1_feed_ms: f64,
    bytes: u64,
    round1_bytes: u64,
    requests: u64,
    stats: Stats,
}

/// What a scenario measured: its phones' runs, and the granting tablet's work.
struct Scenario {
    runs: Vec<Run>,
    grant_ms: f64,
    grant_requests: u64,
}

impl Scenario {
    fn median(&self, f: impl Fn(&Run) -> f64) -> f64 {
        round(median(self.runs.iter().map(f).collect()))
    }

    /// The run whose time is the median (its counts are reported).
    fn typical(&self) -> Run {
        let mut v = self.runs.clone();
        v.sort_by(|a, b| a.ms.total_cmp(&b.ms));
        v[v.len() / 2]
    }

    fn fields(&self) -> serde_json::Value {
        let t = self.typical();
        let s = t.stats;
        json!({
            "ms": self.median(|r| r.ms),
            "round1_ms": self.median(|r| r.round1_ms),
            "round2_ms": self.median(|r| r.round2_ms),
            "round1_feed_ms": self.median(|r| r.round1_feed_ms),
            "bytes": t.bytes,
            "round1_bytes": t.round1_bytes,
            "requests": t.requests,
            "fetch_requests": s.fetch_requests,
            "repulls_from_0": s.repulls,
            "feed_pages": s.pages,
            "chunks_received": s.chunks,
            "key_changes_received": s.key_changes,
            "feed_ms": self.median(|r| r.stats.feed_ms),
            "fetch_wait_ms": self.median(|r| r.stats.fetch_wait_ms),
            "fetch_wait_ms_per_request": round(s.fetch_wait_ms / s.fetch_requests.max(1) as f64),
            "rings_ms": self.median(|r| r.stats.rings_ms),
            "ring_opens": s.ring_opens,
            "ms_per_ring_open": round(s.rings_ms / s.ring_opens.max(1) as f64),
            "decrypt_ms": self.median(|r| r.stats.open_ms),
            "load_merge_ms": self.median(|r| r.stats.merge_ms),
            "runs": self.runs.len(),
            "tablet_grants_ms": round(self.grant_ms),
            "tablet_grant_requests": self.grant_requests,
        })
    }
}

/// The app's path today: the phone's first round comes before anyone can grant it anything (its
/// link is pushed in that round); the tablet's key step then grants it; its next round gets what
/// it was given (the feed again from 0, as it holds none of it). Timed: the phone's two rounds.
/// One phone at a time: a phone whose feed brings other devices' roster links along with its own
/// grant would run its key step on a roster without them, which is not what is measured here.
async fn app_path(
    base: &str,
    s: &mut Seeding,
    owner: usize,
    docs: &[usize],
    runs: usize,
    what: &str,
) -> Res<Scenario> {
    let net = Net::new(base)?;
    let granter = s.members[owner].device.clone();
    let person = s.members[owner].person.clone();
    let mut out = Vec::new();
    let (mut grant_ms, mut grant_requests) = (Vec::new(), 0);
    for r in 0..runs {
        let label = format!("{what} new phone {}", r + 1);
        let mut phone = Phone::join(base, &net, &s.world, &granter, &person, label).await?;
        let mut run = Run::default();
        eprintln!(
            "scale_bench: {}: first round (before any grant)",
            phone.st.label
        );
        let (b0, q0) = phone.net.meter();
        let t = Instant::now();
        let pushed = phone.round().await?;
        run.round1_ms = ms_since(t);
        run.round1_bytes = phone.net.meter().0 - b0;
        run.round1_feed_ms = phone.st.stats.feed_ms;
        for change in pushed {
            s.world.merge_workspace(&change)?;
        }
        if let Some(d) = phone.st.seen.iter().find(|d| d.as_str() != WS_DOC) {
            return Err(format!(
                "{}: its first round was sent {d}, before it was granted anything",
                phone.st.label
            ));
        }
        eprintln!(
            "scale_bench: {what} tablet grants it the roster and {} patients",
            docs.len()
        );
        let (ms, requests) = s.world.key_step_of(&net, &granter, docs).await?;
        grant_ms.push(ms);
        grant_requests = requests;
        eprintln!(
            "scale_bench: {}: next round (gets what it was given)",
            phone.st.label
        );
        let t = Instant::now();
        phone.round().await?;
        run.round2_ms = ms_since(t);
        run.ms = run.round1_ms + run.round2_ms;
        let (b, q) = phone.net.meter();
        (run.bytes, run.requests) = (b - b0, q - q0);
        run.stats = phone.st.stats;
        phone.check(&mut s.world, docs)?;
        out.push(run);
    }
    Ok(Scenario {
        runs: out,
        grant_ms: median(grant_ms),
        grant_requests,
    })
}

/// One phone's first round, timed and checked.
async fn first_round(phone: &mut Phone, world: &mut World, docs: &[usize]) -> Res<Run> {
    eprintln!("scale_bench: {}: first round", phone.st.label);
    let (b0, q0) = phone.net.meter();
    let t = Instant::now();
    let pushed = phone.round().await?;
    let ms = ms_since(t);
    let (b, q) = phone.net.meter();
    for change in pushed {
        world.merge_workspace(&change)?;
    }
    phone.check(world, docs)?;
    Ok(Run {
        ms,
        round1_ms: ms,
        round2_ms: 0.0,
        round1_feed_ms: phone.st.stats.feed_ms,
        bytes: b - b0,
        round1_bytes: b - b0,
        requests: q - q0,
        stats: phone.st.stats,
    })
}

/// The grants exist before the phone's first pull (its link pushed before): one pass of the feed
/// from 0 brings its documents. Timed: that first round.
async fn one_pass(
    base: &str,
    s: &mut Seeding,
    owner: usize,
    docs: &[usize],
    runs: usize,
    what: &str,
) -> Res<Scenario> {
    let net = Net::new(base)?;
    let granter = s.members[owner].device.clone();
    let person = s.members[owner].person.clone();
    let mut phones = Vec::new();
    for r in 0..runs {
        let label = format!("{what} new phone {} (granted first)", r + 1);
        let mut phone = Phone::join(base, &net, &s.world, &granter, &person, label).await?;
        let chain = {
            let mut c = Keychain::new(&s.world.ws_id, Some(s.world.key.clone()));
            if let Some((g, k)) = &phone.st.given {
                c.give(WS_DOC, *g, k.clone()).map_err(|e| e.to_string())?;
            }
            c
        };
        for change in phone.push_workspace_outbox(&chain).await? {
            s.world.merge_workspace(&change)?;
        }
        phones.push(phone);
    }
    eprintln!(
        "scale_bench: {what} tablet grants {runs} new phone(s) the roster and {} patients before their first pull",
        docs.len()
    );
    let (grant_ms, grant_requests) = s.world.key_step_of(&net, &granter, docs).await?;
    let mut out = Vec::new();
    for phone in phones.iter_mut() {
        out.push(first_round(phone, &mut s.world, docs).await?);
    }
    Ok(Scenario {
        runs: out,
        grant_ms,
        grant_requests,
    })
}

async fn run(base: &str) -> Res<serde_json::Value> {
    let patients = env_usize("SCALE_BENCH_PATIENTS", PATIENTS).max(TARGET_PATIENTS + CARE_MANAGERS);
    let runs = env_usize("SCALE_BENCH_RUNS", 3).max(1);
    let app_all = std::env::var("SCALE_BENCH_APP_ALL").as_deref() == Ok("1");
    let net = Net::new(base)?;
    let mut s = seed(base, &net, patients).await?;
    let (_, seed_requests) = net.meter();
    eprintln!(
        "scale_bench: seeded {patients} patients ({} chunks, {:.1} MB of envelopes) in {:.1} s ({seed_requests} requests)",
        s.chunks,
        s.patient_bytes as f64 / 1e6,
        s.seconds
    );
    let cm_id = s.members[s.target_cm].person.id.clone();
    let cm_docs: Vec<usize> = (0..s.world.patients.len())
        .filter(|&i| s.world.patients[i].care_manager == cm_id)
        .collect();
    if cm_docs.len() != TARGET_PATIENTS {
        return Err(format!(
            "the target care manager has {} patients, not {TARGET_PATIENTS}",
            cm_docs.len()
        ));
    }
    let all_docs: Vec<usize> = (0..s.world.patients.len()).collect();
    let (cm, sup) = (s.target_cm, s.supervisor);

    // The care manager's phones, granted first, then on the app's path; then the phone that reads
    // everything (it has synced nothing so far).
    let cm_one_pass = one_pass(base, &mut s, cm, &cm_docs, runs, "the care manager's").await?;
    let cm_app = app_path(base, &mut s, cm, &cm_docs, runs, "the care manager's").await?;
    let mut reads_all = s.reads_all.take().ok_or("no phone that reads all")?;
    let all = Scenario {
        runs: vec![first_round(&mut reads_all, &mut s.world, &all_docs).await?],
        grant_ms: 0.0,
        grant_requests: 0,
    };
    let sup_app = match app_all {
        true => Some(app_path(base, &mut s, sup, &all_docs, 1, "the supervisor's").await?),
        false => None,
    };

    let head = net.head(&s.members[0].device.creds).await?;
    let n = patients;
    let workspace = json!({
        "patients": n,
        "people": s.members.len(),
        "target_care_manager_patients": TARGET_PATIENTS,
        "patient_chunks": s.chunks,
        "patient_envelope_bytes": s.patient_bytes,
        "relay_log_seq_at_end": head,
        "seed_s": round(s.seconds),
        "seed_requests": seed_requests,
    });
    let native = "native client (reqwest) playing the app's sync engine with core's own steps; no IndexedDB: nothing is written, and every document is loaded/merged into a PatientDoc during the sync (the app stores a patient received as a snapshot that carries its summary without loading it, and loads it when settling afterwards: load_merge_ms is that part)";
    let cm_f = cm_app.fields();
    let all_f = all.fields();
    let mut out = json!({
        "scale_new_phone_first_sync_300_of_10k_ms": {
            "value": cm_f["ms"],
            "unit": "ms",
            "baseline": all_f["ms"],
            "baseline_what": format!("a supervisor's phone that reads all {n} patients pulling everything in one pass of the feed from 0 (the fastest way to get all of them; the app's path for {n} is the opt-in SCALE_BENCH_APP_ALL=1)"),
            "phone": cm_f,
            "baseline_phone": all_f,
            "workspace": workspace,
            "note": format!("{native}. Round 1 (workspace document keys and doc=, feed from 0, its roster link pushed) comes before any grant, as in the app; the tablet's key step (tablet_grants_ms: one POST /keys per patient, plus the roster) runs between the rounds, not counted; round 2 = feed from round 1's cursor (the grants), keys opened again, then (given more than it holds) the feed again from 0 in one pass, its own chunks included"),
        },
        "scale_new_phone_first_sync_300_of_10k_bytes": {
            "value": cm_f["bytes"],
            "unit": "bytes",
            "baseline": all_f["bytes"],
            "baseline_what": format!("response bytes of the phone that pulls all {n} patients in one pass"),
            "requests": cm_f["requests"],
            "baseline_requests": all_f["requests"],
            "note": "response bodies (JSON, ciphertext in base64) of both rounds; the relay does not compress API responses",
        },
        "scale_new_phone_one_pass_300_of_10k_ms": {
            "value": cm_one_pass.median(|r| r.ms),
            "unit": "ms",
            "baseline": cm_f["ms"],
            "baseline_what": "the same phone owner on the app's path (first round, grants, then the feed again from 0)",
            "phone": cm_one_pass.fields(),
            "note": "grants made before the phone's first pull: its first pass of the feed from 0 brings every chunk; ratio < 1 is what the app's extra round and second pass cost",
        },
    });
    if let Some(app) = sup_app {
        out["scale_new_phone_first_sync_all_10k_app_path_ms"] = json!({
            "value": app.median(|r| r.ms),
            "unit": "ms",
            "baseline": all_f["ms"],
            "baseline_what": format!("the phone that pulls all {n} patients in one pass"),
            "phone": app.fields(),
        });
    }
    Ok(out)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = Config::with_data_dir(dir.path());
    config.workspace_quota_bytes = 64 << 30;
    let t = Instant::now();
    let result = local_relay::with_relay(config, |base| async move { run(&base).await }).await;
    match result {
        Ok(out) => {
            eprintln!("scale_bench: done in {:.1} s", t.elapsed().as_secs_f64());
            println!("{out}");
        }
        Err(e) => {
            eprintln!("scale_bench: {e}");
            std::process::exit(1);
        }
    }
}
