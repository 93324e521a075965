//! The relay binary killed with SIGKILL in the middle of 1,000 pushes and restarted: every push it had
//! acknowledged is still there, and retrying the unacknowledged ones completes the log without
//! duplicates. Runs against SQLite and PostgreSQL.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::change;
use tend_wire::sync_wire::*;

const TOTAL: usize = 1000;
const KILL_AFTER_ACKS: usize = 400;
const PUSHERS: usize = 4;

struct Proc {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn spawn_relay(data_dir: &std::path::Path, database_url: Option<&str>) -> Proc {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tend-relay"));
    cmd.arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "error")
        .env_remove("TEND_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    let mut child = cmd.spawn().expect("spawn tend-relay");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/api/health")).send().await {
            if r.status() == 200 {
                return Proc { child, base };
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("relay binary did not become healthy");
}

async fn push_one(
    http: &reqwest::Client,
    base: &str,
    d: &DeviceCredentials,
    id: &str,
) -> Result<PushResult, String> {
    let resp = http
        .post(format!(
            "{base}/api/v1/workspaces/{}/chunks",
            d.workspace_id
        ))
        .bearer_auth(&d.device_token)
        .json(&PushRequest {
            chunks: vec![change(id, "doc", id.as_bytes())],
        })
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status() != 200 {
        return Err(format!("status {}", resp.status()));
    }
    let r: PushResponse = resp.json().await.map_err(|e| e.to_string())?;
    Ok(r.results.into_iter().next().unwrap())
}

async fn pull_all(http: &reqwest::Client, base: &str, d: &DeviceCredentials) -> Vec<PulledChunk> {
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let p: PullResponse = http
            .get(format!(
                "{base}/api/v1/workspaces/{}/chunks?after={after}&limit=1000",
                d.workspace_id
            ))
            .bearer_auth(&d.device_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.extend(p.chunks);
        after = p.next_cursor;
        if !p.more {
            return all;
        }
    }
}

async fn kill_during_pushes(database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let first = spawn_relay(dir.path(), database_url.as_deref()).await;
    let base = first.base.clone();
    let d: DeviceCredentials = http
        .post(format!("{base}/api/v1/workspaces"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d = Arc::new(d);
    let child = Arc::new(Mutex::new(first.child));
    let next = Arc::new(AtomicUsize::new(0));
    let acked: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..PUSHERS {
        let (http, base, d, child, next, acked) = (
            http.clone(),
            base.clone(),
            d.clone(),
            child.clone(),
            next.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= TOTAL {
                    return;
                }
                let id = format!("push-{i:04}");
                match push_one(&http, &base, &d, &id).await {
                    Ok(r) => {
                        assert_eq!(r.client_chunk_id, id);
                        let n = {
                            let mut a = acked.lock().unwrap();
                            a.push((id, r.seq));
                            a.len()
                        };
                        if n == KILL_AFTER_ACKS {
                            // SIGKILL while the other pushers are mid-request.
                            child.lock().unwrap().kill().unwrap();
                        }
                    }
                    Err(_) => return, // the relay is gone: this push is in doubt
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let _ = child.lock().unwrap().wait();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER_ACKS, "killed too early");
    assert!(
        acked.len() < TOTAL,
        "the relay was not killed during the pushes"
    );

    // Restart on the same data: everything acknowledged is there, with its seq and bytes.
    let mut second = spawn_relay(dir.path(), database_url.as_deref()).await;
    let all = pull_all(&http, &second.base, &d).await;
    let by_seq: HashMap<u64, &PulledChunk> = all.iter().map(|c| (c.seq, c)).collect();
    for (id, seq) in &acked {
        let c = by_seq
            .get(seq)
            .unwrap_or_else(|| panic!("acknowledged push {id} (seq {seq}) lost"));
        assert_eq!(c.ciphertext.clone(), id.as_bytes());
    }
    // Seqs are gap-free after the crash too.
    let seqs: Vec<u64> = all.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=all.len() as u64).collect::<Vec<_>>());

    // Retry everything not acknowledged (in-doubt pushes may already be there: no duplicates).
    let acked_ids: HashSet<&str> = acked.iter().map(|(i, _)| i.as_str()).collect();
    for i in 0..TOTAL {
        let id = format!("push-{i:04}");
        if !acked_ids.contains(id.as_str()) {
            push_one(&http, &second.base, &d, &id).await.unwrap();
        }
    }
    let all = pull_all(&http, &second.base, &d).await;
    assert_eq!(all.len(), TOTAL);
    let payloads: HashSet<Vec<u8>> = all.iter().map(|c| c.ciphertext.clone()).collect();
    assert_eq!(payloads.len(), TOTAL);
    second.child.kill().unwrap();
    let _ = second.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_pushes_loses_nothing_acknowledged_sqlite() {
    kill_during_pushes(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_pushes_loses_nothing_acknowledged_postgres() {
    if common::pg::skip() {
        return;
    }
    kill_during_pushes(Some(common::pg::fresh_database().await)).await;
}
