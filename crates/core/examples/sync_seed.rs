//! Device A of the browser sync benchmark (`cargo xtask bench sync`, issue 18), native and without
//! a browser: it fills a workspace on a running relay with the workload of
//! `tests/support/sync_workload.rs`, sealed exactly as the app seals what it pushes, and hands the
//! browser device (B) a join code. One JSON object on stdout per command; progress on stderr.
//!
//! ```text
//! cargo run --release -p tend-core --example sync_seed -- create --relay http://127.0.0.1:PORT \
//!     --state FILE [--patients 200] [--seed N] [--whole] [--cache DIR]
//! cargo run --release -p tend-core --example sync_seed -- edit --state FILE --round R
//! ```
//! - `create`: a new workspace, a fresh workspace key, `--patients` patients with a year of history
//!   each, pushed one chunk per Automerge change (`--whole`: one chunk per patient holding its whole
//!   document, for the memory measure's 2,000 patients), then compacted as A's app would after its
//!   round (a snapshot carrying the summary for each patient whose log outgrew it; not with
//!   `--whole`), then a join code for one device.
//! - `edit`: `EDITS_PER_PATIENT` changes to every patient, round-robin across patients (as the
//!   peer benchmark edits), each pushed as its own chunk. The last one per patient sets a marker dose.
//!
//! Pushes are batches of at most 200 chunks / 4 MiB of envelopes (the app's own limits), sealed with
//! `crypto::seal_push_chunk` and sent as the serde wire types, so the bytes follow the protocol.
//! The workspace (credentials, key, documents) is kept in `--state` between commands.

#[path = "../../../tests/support/sync_workload.rs"]
mod workload;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tend_core::crypto::{self, JoinCode, WorkspaceKey, KEY_LEN};
use tend_core::sync::{should_snapshot, snapshot_chunk, snapshot_plain, Carried, RelayLog};
use tend_core::sync_wire::{
    paths, ChunkKind, CreateWorkspaceRequest, DeviceCredentials, JoinSecretResponse, PushChunk,
    PushRequest, PushResponse,
};
use tend_core::{PatientDoc, PatientId};
use workload::*;

type Res<T> = Result<T, String>;

/// What decides the patients' documents (the cache key).
const WORKLOAD_SOURCE: [&str; 2] = [
    include_str!("../../../tests/support/sync_workload.rs"),
    include_str!("../tests/common/mod.rs"),
];
const PUSH_MAX_CHUNKS: usize = 200;
const PUSH_MAX_BYTES: usize = 4 * 1024 * 1024;

/// What `create` leaves for `edit`.
#[derive(Serialize, Deserialize)]
struct State {
    relay: String,
    creds: DeviceCredentials,
    key: Vec<u8>,
    seed: u64,
    /// (id, "Family, Given", saved document)
    patients: Vec<(String, String, Vec<u8>)>,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.windows(2).find(|w| w[0] == name).map(|w| w[1].clone())
}

fn need(args: &[String], name: &str) -> Res<String> {
    arg(args, name).ok_or_else(|| format!("missing {name}"))
}

/// A tiny HTTP/1.1 client for the loopback relay (one request per connection).
fn http(base: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> Res<Vec<u8>> {
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// relays: {base}"))?
        .trim_end_matches('/');
    let mut s = TcpStream::connect(host).map_err(|e| format!("{method} {path}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body))
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no HTTP response"))?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    if headers.contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    let status: u16 = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !(200..300).contains(&status) {
        return Err(format!(
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(body)
}

fn dechunk(mut b: &[u8]) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunked body")?;
        let size = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap_or("").trim(), 16)
            .map_err(|_| "bad chunk size")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("truncated chunked body")?);
        b = b.get(size + 2..).ok_or("truncated chunked body")?;
    }
}

fn call<T: serde::de::DeserializeOwned>(
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &impl Serialize,
) -> Res<T> {
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let out = http(base, "POST", path, token, &body)?;
    serde_json::from_slice(&out).map_err(|e| format!("POST {path}: {e}"))
}

/// Pushes sealed chunks in the app's batch sizes; returns (head seq, request body bytes).
struct Pusher<'a> {
    state: &'a State,
    key: WorkspaceKey,
    batch: Vec<PushChunk>,
    batch_bytes: usize,
    next_id: usize,
    prefix: String,
    chunks: usize,
    envelope_bytes: usize,
    body_bytes: usize,
    head_seq: u64,
    /// Envelope bytes pushed per document: its log on the relay.
    logs: std::collections::HashMap<String, u64>,
}

impl<'a> Pusher<'a> {
    fn new(state: &'a State, prefix: &str) -> Self {
        let key: [u8; KEY_LEN] = state.key.clone().try_into().expect("32-byte key");
        Pusher {
            state,
            key: WorkspaceKey::from_bytes(key),
            batch: Vec::new(),
            batch_bytes: 0,
            next_id: 0,
            prefix: prefix.into(),
            chunks: 0,
            envelope_bytes: 0,
            body_bytes: 0,
            head_seq: 0,
            logs: Default::default(),
        }
    }

    /// Queues a sealed chunk, pushing the batch first if it would not fit.
    fn add_chunk(&mut self, chunk: PushChunk) -> Res<()> {
        let sealed = chunk.ciphertext.len();
        if !self.batch.is_empty()
            && (self.batch.len() >= PUSH_MAX_CHUNKS || self.batch_bytes + sealed > PUSH_MAX_BYTES)
        {
            self.flush()?;
        }
        self.batch_bytes += sealed;
        self.batch.push(chunk);
        Ok(())
    }

    fn add(&mut self, doc_id: &str, plaintext: &[u8]) -> Res<()> {
        let id = format!("{}-{}", self.prefix, self.next_id);
        self.next_id += 1;
        let ws = &self.state.creds.workspace_id;
        let chunk = crypto::seal_push_chunk(
            &self.key,
            ws,
            doc_id,
            ChunkKind::Change,
            None,
            &id,
            plaintext,
        )
        .map_err(|e| e.to_string())?;
        let sealed = chunk.ciphertext.len();
        self.chunks += 1;
        self.envelope_bytes += sealed;
        *self.logs.entry(doc_id.to_string()).or_default() += sealed as u64;
        self.add_chunk(chunk)
    }

    fn flush(&mut self) -> Res<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let req = PushRequest {
            chunks: std::mem::take(&mut self.batch),
        };
        self.batch_bytes = 0;
        let body = serde_json::to_vec(&req).map_err(|e| e.to_string())?;
        self.body_bytes += body.len();
        let creds = &self.state.creds;
        let out = http(
            &self.state.relay,
            "POST",
            &paths::chunks(&creds.workspace_id),
            Some(&creds.device_token),
            &body,
        )?;
        let resp: PushResponse = serde_json::from_slice(&out).map_err(|e| e.to_string())?;
        if resp.results.len() != req.chunks.len() {
            return Err("the relay did not list every pushed chunk".into());
        }
        self.head_seq = resp.head_seq;
        Ok(())
    }

    fn report(&self) -> Value {
        json!({
            "chunks": self.chunks,
            "envelope_bytes": self.envelope_bytes,
            "push_body_bytes": self.body_bytes,
            "head_seq": self.head_seq,
        })
    }
}

/// Patients `0..n` with their history: (id, name, doc, changes). Building them takes ~0.2 s of
/// CPU each, so with `--cache DIR` the saved documents are kept there, keyed by the workload's
/// source, the seed and the count, and later runs only reload them (delete DIR after a change to
/// tend-core that should show in the documents).
/// A patient as seeded: id, display name, document, and its changes one per chunk.
type Seeded = (PatientId, String, PatientDoc, Vec<Vec<u8>>);

fn patients(seed: u64, n: usize, cache: Option<&str>) -> Res<Vec<Seeded>> {
    let file = match cache {
        Some(dir) => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&WORKLOAD_SOURCE, &mut h);
            let key = std::hash::Hasher::finish(&h);
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
            Some(std::path::Path::new(dir).join(format!("patients-{key:016x}-{seed}-{n}.bin")))
        }
        None => None,
    };
    if let Some(saved) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        let docs: Vec<(String, String, Vec<u8>)> =
            postcard::from_bytes(&saved).map_err(|e| format!("bad patient cache: {e}"))?;
        eprintln!("sync_seed: {n} patients from the cache");
        return docs
            .into_iter()
            .map(|(id, shown, bytes)| {
                let id = PatientId::parse(&id).ok_or("bad id in the patient cache")?;
                let doc = PatientDoc::load(&bytes).map_err(|e| e.to_string())?;
                let changes = changes_of(&bytes).map_err(|e| e.to_string())?;
                Ok((id, shown, doc, changes))
            })
            .collect();
    }
    eprintln!("sync_seed: building {n} patients with a year of history");
    let mut built = build_patients(seed, n);
    if let Some(file) = file {
        let docs: Vec<(String, String, Vec<u8>)> = built
            .iter_mut()
            .map(|(id, shown, doc, _)| (id.to_string(), shown.clone(), doc.save()))
            .collect();
        let bytes = postcard::to_allocvec(&docs).map_err(|e| e.to_string())?;
        std::fs::write(&file, bytes)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    Ok(built)
}

/// Builds patients `0..n` on every core (each patient is independent): (id, name, doc, changes).
fn build_patients(seed: u64, n: usize) -> Vec<(PatientId, String, PatientDoc, Vec<Vec<u8>>)> {
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut out: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| {
                            let (id, name) = identity(seed, i);
                            let shown = display_name(&name);
                            let (doc, changes) = patient_with_history(&id, name);
                            (i, (id, shown, doc, changes))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("builder thread"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, p)| p).collect()
}

fn join_code(state: &State) -> Res<String> {
    let secret: JoinSecretResponse = call(
        &state.relay,
        &paths::join_secrets(&state.creds.workspace_id),
        Some(&state.creds.device_token),
        &json!({}),
    )?;
    let key: [u8; KEY_LEN] = state.key.clone().try_into().expect("32-byte key");
    JoinCode {
        relay_url: state.relay.clone(),
        workspace_id: state.creds.workspace_id.clone(),
        join_secret: secret.join_secret,
        key: WorkspaceKey::from_bytes(key),
        doc_key: None,
        person: None,
    }
    .encode()
    .map_err(|e| e.to_string())
}

fn create(args: &[String]) -> Res<Value> {
    let relay = need(args, "--relay")?;
    let state_file = need(args, "--state")?;
    let n: usize = arg(args, "--patients")
        .map(|s| s.parse().map_err(|_| "bad --patients"))
        .transpose()?
        .unwrap_or(PATIENTS);
    let seed: u64 = arg(args, "--seed")
        .map(|s| s.parse().map_err(|_| "bad --seed"))
        .transpose()?
        .unwrap_or(SEED);
    let whole = args.iter().any(|a| a == "--whole");
    let t = Instant::now();
    let creds: DeviceCredentials = call(
        &relay,
        &paths::create_workspace(),
        None,
        &CreateWorkspaceRequest {
            device_name: Some("bench device A".into()),
        },
    )?;
    let key = WorkspaceKey::generate().map_err(|e| e.to_string())?;
    let mut built = patients(seed, n, arg(args, "--cache").as_deref())?;
    let build_s = t.elapsed().as_secs_f64();
    let mut state = State {
        relay,
        creds,
        key: key.as_bytes().to_vec(),
        seed,
        patients: Vec::with_capacity(n),
    };
    let mut changes_made = 0;
    let mut pushed = {
        let mut p = Pusher::new(&state, "seed");
        for (id, _, doc, changes) in built.iter_mut() {
            changes_made += changes.len();
            if whole {
                p.add(id.as_str(), &doc.save())?;
            } else {
                for c in changes {
                    p.add(id.as_str(), c)?;
                }
            }
        }
        p.flush()?;
        let mut report = p.report();
        if !whole {
            // Then A compacts as the app does after a complete round (`Engine::compact`): each
            // patient whose log on the relay outgrew its snapshot gets one, carrying its summary.
            let (snapshots, bytes) = compact(&mut p, &mut built)?;
            report["snapshots"] = json!(snapshots);
            report["relay_envelope_bytes"] = json!(bytes);
        }
        report
    };
    for (id, shown, mut doc, _) in built {
        state.patients.push((id.to_string(), shown, doc.save()));
    }
    let code = join_code(&state)?;
    std::fs::write(
        &state_file,
        postcard::to_allocvec(&state).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot write {state_file}: {e}"))?;
    let samples: Vec<&str> = sample_indices(n)
        .into_iter()
        .map(|i| state.patients[i].1.as_str())
        .collect();
    pushed["changes"] = json!(changes_made);
    pushed["patients"] = json!(n);
    pushed["build_s"] = json!(build_s);
    pushed["seconds"] = json!(t.elapsed().as_secs_f64());
    pushed["join_code"] = json!(code);
    pushed["workspace_id"] = json!(state.creds.workspace_id);
    pushed["sample_names"] = json!(samples);
    let first: Vec<&str> = state
        .patients
        .iter()
        .take(20)
        .map(|p| p.1.as_str())
        .collect();
    pushed["first_names"] = json!(first);
    Ok(pushed)
}

/// Compaction by device A after pushing its history: (snapshots pushed, the envelope bytes the
/// relay keeps afterwards: each patient's snapshot, or its changes if it was not worth one).
fn compact(p: &mut Pusher, built: &mut [Seeded]) -> Res<(usize, usize)> {
    let covers = p.head_seq;
    let today = chrono::Utc::now().date_naive();
    let ws = p.state.creds.workspace_id.clone();
    let (mut snapshots, mut bytes) = (0, 0);
    for (id, _, doc, _) in built.iter_mut() {
        let log = RelayLog {
            bytes: p.logs.get(id.as_str()).copied().unwrap_or(0),
            ..RelayLog::default()
        };
        let carried = doc.summary_on(today).ok().map(|summary| Carried {
            summary,
            heads: doc.heads().iter().map(|h| h.to_string()).collect(),
        });
        let plain = snapshot_plain(&doc.save(), carried.as_ref());
        let keys = tend_core::sync::keys::Keychain::new(&ws, Some(p.key.clone()));
        let chunk = snapshot_chunk(&keys, id.as_str(), &plain, covers, format!("snapshot-{id}"))
            .map_err(|e| e.to_string())?;
        if should_snapshot(&log, chunk.ciphertext.len() as u64) {
            snapshots += 1;
            bytes += chunk.ciphertext.len();
            p.add_chunk(chunk)?;
        } else {
            bytes += log.bytes as usize;
        }
    }
    p.flush()?;
    Ok((snapshots, bytes))
}

fn sample_indices(n: usize) -> Vec<usize> {
    let mut v = vec![0, n / 2, n.saturating_sub(1)];
    v.dedup();
    v
}

fn load_state(args: &[String]) -> Res<(String, State)> {
    let file = need(args, "--state")?;
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let state = postcard::from_bytes(&bytes).map_err(|e| format!("bad state {file}: {e}"))?;
    Ok((file, state))
}

fn edit(args: &[String]) -> Res<Value> {
    let (file, mut state) = load_state(args)?;
    let round: usize = need(args, "--round")?.parse().map_err(|_| "bad --round")?;
    let t = Instant::now();
    let mut docs = state
        .patients
        .iter()
        .map(|(_, _, bytes)| PatientDoc::load(bytes).map_err(|e| e.to_string()))
        .collect::<Res<Vec<_>>>()?;
    let mut rng = edit_rng(state.seed, round);
    let author = editor();
    let mut pusher = Pusher::new(&state, &format!("edit{round}"));
    // Round-robin: every patient gets its k-th change before any gets its (k+1)-th.
    for k in 0..EDITS_PER_PATIENT {
        for (i, doc) in docs.iter_mut().enumerate() {
            let op = edit_op(&mut rng, i, round, k);
            let name = op.name();
            let before = doc.heads();
            doc.apply(op, &author, edit_at(round, k))
                .map_err(|e| format!("patient {i}, edit {k} ({name}): {e}"))?;
            // What the app pushes: the changes since the heads the relay acknowledged.
            let chunk = doc.save_after(&before);
            pusher.add(&state.patients[i].0, &chunk)?;
        }
    }
    pusher.flush()?;
    let mut out = pusher.report();
    for (p, doc) in state.patients.iter_mut().zip(docs.iter_mut()) {
        p.2 = doc.save();
    }
    std::fs::write(
        &file,
        postcard::to_allocvec(&state).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot write {file}: {e}"))?;
    let samples: Vec<Value> = sample_indices(state.patients.len())
        .into_iter()
        .map(|i| json!({"name": state.patients[i].1, "medication": marker_text(i, round)}))
        .collect();
    out["changes"] = json!(EDITS_PER_PATIENT * state.patients.len());
    out["seconds"] = json!(t.elapsed().as_secs_f64());
    out["samples"] = json!(samples);
    Ok(out)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("create") => create(&args[1..]),
        Some("edit") => edit(&args[1..]),
        _ => Err("usage: sync_seed create --relay URL --state FILE [--patients N] [--seed N] [--whole] [--cache DIR] | edit --state FILE --round R".into()),
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("sync_seed: {e}");
            std::process::exit(1);
        }
    }
}
