//! Sync benchmark (issue 5), native, release: `cargo run --release -p tend-relay --example sync_bench`.
//! Prints ONE JSON object on stdout (read by `cargo xtask bench`); progress goes to stderr.
//!
//! Starts the relay in-process on 127.0.0.1 (SQLite in a temporary directory) and measures:
//! - `sync_catch_up_5000_changes_ms`: device A makes 5,000 changes across 200 patients (real tend-core
//!   ops, each incremental save sealed with core's crypto, pushed in batches) while device B is
//!   offline; then B pulls every page, decrypts and applies into `PatientDoc`s until it has A's heads.
//!   Baseline: moving the same number of bytes (the pull responses) over one loopback TCP connection.
//! - `relay_ingest_100_devices_chunks_per_s`: 100 devices of one workspace push concurrently (each
//!   50 chunks in pushes of 10). Baseline: the same request bytes over loopback TCP, as chunks/s —
//!   so the ratio is relay rate / wire rate (higher is better, 1.0 would be "free").
//!
//! Only loopback addresses; every loop is bounded; the relay is stopped at the end.
//! Median of `SYNC_BENCH_RUNS` (default 3) runs for each timing.

#[path = "../../../tests/support/fake_patients.rs"]
mod fake;
#[path = "support/local_relay.rs"]
mod local_relay;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;
use tend_core::PatientDoc;
use tend_relay::config::Config;
use tend_wire::crypto::{self, WorkspaceKey};
use tend_wire::sync_wire::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PATIENTS: usize = 200;
const CHANGES: usize = 5_000;
const PUSH_BATCH: usize = 250;
const PAGE_LIMIT: u32 = 1_000;
const DEVICES: usize = 100;
const PER_DEVICE: usize = 50;
const DEVICE_BATCH: usize = 10;

type Res<T> = Result<T, String>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(base: &str) -> Res<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Client {
            http,
            base: base.to_string(),
        })
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Res<T> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.map_err(|e| format!("POST {path}: {e}"))?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "POST {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("POST {path}: {e}"))
    }

    async fn push(&self, d: &DeviceCredentials, body: Vec<u8>) -> Res<PushResponse> {
        let path = format!("/api/v1/workspaces/{}/chunks", d.workspace_id);
        self.post(&path, Some(&d.device_token), body).await
    }

    /// One pull page and the number of response bytes that crossed the wire.
    async fn pull(&self, d: &DeviceCredentials, after: u64) -> Res<(PullResponse, usize)> {
        let url = format!(
            "{}/api/v1/workspaces/{}/chunks?after={after}&limit={PAGE_LIMIT}",
            self.base, d.workspace_id
        );
        let r = self
            .http
            .get(url)
            .bearer_auth(&d.device_token)
            .send()
            .await
            .map_err(|e| format!("pull: {e}"))?;
        if !r.status().is_success() {
            return Err(format!("pull: {}", r.status()));
        }
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        let page = serde_json::from_slice(&bytes).map_err(|e| format!("pull: {e}"))?;
        Ok((page, bytes.len()))
    }

    async fn join(&self, owner: &DeviceCredentials, name: &str) -> Res<DeviceCredentials> {
        let path = format!("/api/v1/workspaces/{}/join-secrets", owner.workspace_id);
        let secret: JoinSecretResponse = self
            .post(&path, Some(&owner.device_token), b"{}".to_vec())
            .await?;
        let req = JoinRequest {
            workspace_id: owner.workspace_id.clone(),
            join_secret: secret.join_secret,
            device_name: Some(name.into()),
        };
        self.post(
            "/api/v1/join",
            None,
            serde_json::to_vec(&req).map_err(|e| e.to_string())?,
        )
        .await
    }
}

/// Time to move `total` bytes from one end of a loopback TCP connection to the other (connect included).
async fn loopback_ms(total: usize) -> Res<f64> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let t = Instant::now();
    let reader = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0usize;
        while got < total {
            let n = sock.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("loopback closed early".to_string());
            }
            got += n;
        }
        Ok::<_, String>(())
    });
    let mut sock = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let block = vec![0x5au8; 64 * 1024];
    let mut sent = 0usize;
    while sent < total {
        let n = (total - sent).min(block.len());
        sock.write_all(&block[..n])
            .await
            .map_err(|e| e.to_string())?;
        sent += n;
    }
    sock.flush().await.map_err(|e| e.to_string())?;
    reader.await.map_err(|e| e.to_string())??;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

async fn median_loopback_ms(total: usize, runs: usize) -> Res<f64> {
    let mut v = Vec::new();
    for _ in 0..runs {
        v.push(loopback_ms(total).await?);
    }
    Ok(median(v))
}

fn push_body(chunks: Vec<PushChunk>) -> Res<Vec<u8>> {
    serde_json::to_vec(&PushRequest { chunks }).map_err(|e| e.to_string())
}

/// Device B catching up from cursor 0: pull every page, decrypt, apply. Returns (ms, bytes, pages, docs).
async fn catch_up(
    c: &Client,
    b: &DeviceCredentials,
    key: &WorkspaceKey,
) -> Res<(f64, usize, usize, HashMap<String, PatientDoc>)> {
    let t = Instant::now();
    let mut docs: HashMap<String, PatientDoc> = HashMap::new();
    let mut keys = HashMap::new();
    let (mut after, mut bytes, mut pages) = (0u64, 0usize, 0usize);
    loop {
        let (page, n) = c.pull(b, after).await?;
        bytes += n;
        pages += 1;
        for chunk in page.chunks {
            let envelope = chunk.ciphertext;
            if !keys.contains_key(&chunk.doc_id) {
                let k = key
                    .doc_key(&b.workspace_id, &chunk.doc_id)
                    .map_err(|e| e.to_string())?;
                keys.insert(chunk.doc_id.clone(), k);
            }
            let plain = keys[&chunk.doc_id]
                .open(chunk.kind, &envelope)
                .map_err(|e| format!("decrypt: {e}"))?;
            match docs.get_mut(&chunk.doc_id) {
                Some(doc) => doc.apply_changes(&plain).map_err(|e| e.to_string())?,
                None => {
                    let doc = PatientDoc::load(&plain).map_err(|e| e.to_string())?;
                    docs.insert(chunk.doc_id, doc);
                }
            }
        }
        after = page.next_cursor;
        if !page.more {
            break;
        }
        if pages > 10_000 {
            return Err("pull did not finish".into());
        }
    }
    Ok((t.elapsed().as_secs_f64() * 1000.0, bytes, pages, docs))
}

async fn run(base: &str, runs: usize) -> Res<serde_json::Value> {
    let c = Client::new(base)?;
    let a: DeviceCredentials = c
        .post(
            "/api/v1/workspaces",
            None,
            br#"{"device_name":"A"}"#.to_vec(),
        )
        .await?;
    let key = WorkspaceKey::generate().map_err(|e| e.to_string())?;
    let b = c.join(&a, "B").await?;

    // Device A: 200 patients created, then edited round-robin until 5,000 changes; B is offline.
    eprintln!("sync_bench: device A makes {CHANGES} changes across {PATIENTS} patients");
    let mut rng = fake::Rng::new(0x7e4d_5eed);
    let author = fake::author();
    let mut patients = Vec::with_capacity(PATIENTS);
    for _ in 0..PATIENTS {
        let id = fake::patient_id(&mut rng);
        let doc = PatientDoc::create(&id, fake::name(&mut rng), &author, fake::T0)
            .map_err(|e| e.to_string())?;
        patients.push((id, doc));
    }
    let mut outbox: Vec<PushChunk> = Vec::new();
    let mut sealed_all: Vec<PushChunk> = Vec::with_capacity(CHANGES);
    let mut made = 0usize;
    let mut k = 0usize;
    while made < CHANGES {
        for (id, doc) in patients.iter_mut() {
            if made == CHANGES {
                break;
            }
            if k > 0 {
                let op = fake::op(&mut rng, k - 1);
                doc.apply(op, &author, fake::at(k))
                    .map_err(|e| e.to_string())?;
            }
            let changes = doc.save_incremental();
            let envelope = crypto::seal(
                &key,
                &a.workspace_id,
                id.as_str(),
                ChunkKind::Change,
                &changes,
            )
            .map_err(|e| e.to_string())?;
            let chunk = PushChunk {
                client_chunk_id: format!("a-{made}"),
                doc_id: id.to_string(),
                kind: ChunkKind::Change,
                covers_seq: None,
                ciphertext: envelope,
            };
            sealed_all.push(chunk.clone());
            outbox.push(chunk);
            made += 1;
            if outbox.len() == PUSH_BATCH {
                c.push(&a, push_body(std::mem::take(&mut outbox))?).await?;
            }
        }
        k += 1;
    }
    if !outbox.is_empty() {
        c.push(&a, push_body(std::mem::take(&mut outbox))?).await?;
    }
    let expected: HashMap<String, Vec<_>> = patients
        .iter_mut()
        .map(|(id, doc)| (id.to_string(), doc.heads()))
        .collect();

    // Device B reconnects: catch up (several runs: B's cursor starts at 0 each time).
    eprintln!("sync_bench: device B catches up ({runs} runs)");
    let mut times = Vec::new();
    let (mut bytes, mut pages) = (0, 0);
    for i in 0..runs {
        let (ms, n, p, mut docs) = catch_up(&c, &b, &key).await?;
        if i == 0 {
            if docs.len() != PATIENTS {
                return Err(format!(
                    "B has {} patients, expected {PATIENTS}",
                    docs.len()
                ));
            }
            for (id, doc) in docs.iter_mut() {
                if expected.get(id) != Some(&doc.heads()) {
                    return Err(format!("B's copy of {id} differs from A's"));
                }
            }
        }
        times.push(ms);
        (bytes, pages) = (n, p);
    }
    let catch_up_ms = median(times);
    let catch_up_wire = median_loopback_ms(bytes, runs.max(5)).await?;

    // Ingest: 100 devices of the workspace push concurrently.
    eprintln!(
        "sync_bench: {DEVICES} devices join, then push {PER_DEVICE} chunks each concurrently"
    );
    let mut devices = Vec::with_capacity(DEVICES);
    for d in 0..DEVICES {
        devices.push(c.join(&a, &format!("device {d}")).await?);
    }
    let mut rates = Vec::new();
    let mut ingest_bytes = 0usize;
    for run in 0..runs {
        let mut jobs = Vec::with_capacity(DEVICES);
        let mut total_bytes = 0usize;
        for (d, dev) in devices.iter().enumerate() {
            let mut bodies = Vec::new();
            for batch in 0..PER_DEVICE / DEVICE_BATCH {
                let chunks = (0..DEVICE_BATCH)
                    .map(|j| {
                        let n = batch * DEVICE_BATCH + j;
                        let mut ch = sealed_all[(d * PER_DEVICE + n) % sealed_all.len()].clone();
                        ch.client_chunk_id = format!("r{run}-d{d}-{n}");
                        ch
                    })
                    .collect();
                let body = push_body(chunks)?;
                total_bytes += body.len();
                bodies.push(body);
            }
            jobs.push((Client::new(base)?, dev.clone(), bodies));
        }
        let t = Instant::now();
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(client, dev, bodies)| {
                tokio::spawn(async move {
                    for body in bodies {
                        client.push(&dev, body).await?;
                    }
                    Ok::<_, String>(())
                })
            })
            .collect();
        for h in handles {
            h.await.map_err(|e| e.to_string())??;
        }
        let secs = t.elapsed().as_secs_f64();
        rates.push((DEVICES * PER_DEVICE) as f64 / secs);
        ingest_bytes = total_bytes;
    }
    let ingest_rate = median(rates);
    let ingest_wire_ms = median_loopback_ms(ingest_bytes, runs.max(5)).await?;
    let wire_rate = (DEVICES * PER_DEVICE) as f64 / (ingest_wire_ms / 1000.0);

    Ok(json!({
        "sync_catch_up_5000_changes_ms": {
            "value": round(catch_up_ms),
            "unit": "ms",
            "baseline": round(catch_up_wire),
            "baseline_what": format!("the same {bytes} bytes (the {pages} pull responses) over one loopback TCP connection"),
        },
        "relay_ingest_100_devices_chunks_per_s": {
            "value": round(ingest_rate),
            "unit": "chunks/s",
            "baseline": round(wire_rate),
            "baseline_what": format!("the same {ingest_bytes} request bytes over one loopback TCP connection, as chunks/s"),
            "note": "a rate: ratio = relay / loopback, higher is better (each push is fsynced before it is acknowledged)",
        },
    }))
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("SYNC_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = Config::with_data_dir(dir.path());
    let result =
        local_relay::with_relay(config, |base| async move { run(&base, runs).await }).await;
    match result {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("sync_bench: {e}");
            std::process::exit(1);
        }
    }
}
