//! Test harness: start relays in-process on either store, and a small typed client.
#![allow(dead_code)]

pub mod pg;

use std::time::Duration;

use serde_json::Value;
use std::sync::Arc;
use tend_wire::sync_wire::*;

pub use tend_relay::clock::ManualClock;
use tend_relay::clock::{DynClock, SystemClock};
use tend_relay::config::Config;

pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Backend {
    pub fn sqlite() -> Self {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }

    pub async fn postgres() -> Self {
        Backend::Postgres(pg::fresh_database().await)
    }

    pub fn config(&self) -> Config {
        match self {
            Backend::Sqlite(d) => {
                let mut c = Config::with_data_dir(d.path());
                c.database_url = None; // even if TEND_DATABASE_URL is set in the environment
                c
            }
            Backend::Postgres(url) => {
                let mut c = Config::with_data_dir("/nonexistent-unused");
                c.database_url = Some(url.clone());
                c.pg_pool = 4;
                c
            }
        }
    }

    pub async fn start(&self) -> Relay {
        self.start_with(|_| {}).await
    }

    pub async fn start_with(&self, f: impl FnOnce(&mut Config)) -> Relay {
        let mut config = self.config();
        f(&mut config);
        Relay::start(config).await
    }

    /// A relay on a clock that moves only when the test says so.
    pub async fn start_clocked(
        &self,
        clock: &Arc<ManualClock>,
        f: impl FnOnce(&mut Config),
    ) -> Relay {
        let mut config = self.config();
        f(&mut config);
        Relay::start_on(config, clock.clone()).await
    }
}

/// An HTTP client whose connections come from `ip` (any 127.0.0.0/8 address works on loopback).
pub fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

pub struct Relay {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    pub async fn start(config: Config) -> Relay {
        Self::start_on(config, SystemClock::shared()).await
    }

    pub async fn start_on(config: Config, clock: DynClock) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tend_relay::serve_with_clock(listener, config, clock, async {
                let _ = rx.await;
            })
            .await
            .expect("relay failed");
        });
        let relay = Relay {
            base: format!("http://{addr}"),
            addr,
            http: reqwest::Client::new(),
            stop: Some(tx),
            task: Some(task),
        };
        for _ in 0..200 {
            if let Ok(r) = relay.http.get(relay.url("/api/health")).send().await {
                if r.status() == 200 {
                    return relay;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("relay did not become healthy");
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("relay did not stop in time")
                .unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn ws_url(&self, ws: &str) -> String {
        format!("ws://{}/api/v1/workspaces/{ws}/notify", self.addr)
    }

    pub async fn create_workspace(&self) -> DeviceCredentials {
        let r = self
            .http
            .post(self.url("/api/v1/workspaces"))
            .json(&CreateWorkspaceRequest {
                device_name: Some("first".into()),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// `POST /api/v1/workspaces` with no body, with this creation token if any; the status.
    pub async fn create_raw(&self, token: Option<&str>) -> u16 {
        let mut req = self.http.post(self.url("/api/v1/workspaces"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().status().as_u16()
    }

    pub async fn join_secret(&self, d: &DeviceCredentials, ttl: Option<u64>) -> JoinSecretResponse {
        let req = CreateJoinSecretRequest {
            ttl_secs: ttl,
            workspace_generation: None,
        };
        let (st, v) = self.join_secret_raw(d, &req).await;
        assert_eq!(st, 201, "{v}");
        serde_json::from_value(v).unwrap()
    }

    /// `POST …/join-secrets` as `d`; the status and body.
    pub async fn join_secret_raw(
        &self,
        d: &DeviceCredentials,
        req: &CreateJoinSecretRequest,
    ) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(&format!(
                "/api/v1/workspaces/{}/join-secrets",
                d.workspace_id
            )))
            .bearer_auth(&d.device_token)
            .json(req)
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }

    /// `DELETE …/devices/{device}` as `by`; the status.
    pub async fn revoke(&self, by: &DeviceCredentials, ws: &str, device: &str) -> u16 {
        self.http
            .delete(self.url(&format!("/api/v1/workspaces/{ws}/devices/{device}")))
            .bearer_auth(&by.device_token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The workspace's device list as `d` sees it (the raw JSON).
    pub async fn devices(&self, d: &DeviceCredentials) -> Value {
        self.http
            .get(self.url(&format!("/api/v1/workspaces/{}/devices", d.workspace_id)))
            .bearer_auth(&d.device_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn join(&self, ws: &str, secret: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/api/v1/join"))
            .json(&JoinRequest {
                workspace_id: ws.into(),
                join_secret: secret.into(),
                device_name: Some("second".into()),
            })
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Pushes; returns (status, body).
    pub async fn push_raw(
        &self,
        d: &DeviceCredentials,
        ws: &str,
        chunks: &[PushChunk],
    ) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(&format!("/api/v1/workspaces/{ws}/chunks")))
            .bearer_auth(&d.device_token)
            .json(&PushRequest {
                chunks: chunks.to_vec(),
            })
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn push(&self, d: &DeviceCredentials, chunks: &[PushChunk]) -> PushResponse {
        let (s, v) = self.push_raw(d, &d.workspace_id, chunks).await;
        assert_eq!(s, 200, "push failed: {v}");
        serde_json::from_value(v).unwrap()
    }

    pub async fn pull_raw(&self, d: &DeviceCredentials, ws: &str, query: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(&format!("/api/v1/workspaces/{ws}/chunks?{query}")))
            .bearer_auth(&d.device_token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn pull(&self, d: &DeviceCredentials, after: u64, limit: u32) -> PullResponse {
        let (s, v) = self
            .pull_raw(d, &d.workspace_id, &format!("after={after}&limit={limit}"))
            .await;
        assert_eq!(s, 200, "pull failed: {v}");
        serde_json::from_value(v).unwrap()
    }

    /// Sends a key update; returns (status, body).
    pub async fn keys_raw(&self, d: &DeviceCredentials, body: &KeyUpdateRequest) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(&paths::keys(&d.workspace_id)))
            .bearer_auth(&d.device_token)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// What the relay keeps about a document's keys, as `d` may see it; returns (status, body).
    pub async fn doc_keys_raw(&self, d: &DeviceCredentials, doc: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(&paths::doc_keys(&d.workspace_id, doc)))
            .bearer_auth(&d.device_token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Pulls everything after `after`, page by page.
    pub async fn pull_all(&self, d: &DeviceCredentials, mut after: u64) -> (Vec<PulledChunk>, u64) {
        let mut all = Vec::new();
        loop {
            let p = self.pull(d, after, 1000).await;
            all.extend(p.chunks);
            after = p.next_cursor;
            if !p.more {
                return (all, after);
            }
        }
    }
}

pub fn change(id: &str, doc: &str, payload: &[u8]) -> PushChunk {
    PushChunk {
        client_chunk_id: id.into(),
        doc_id: doc.into(),
        kind: ChunkKind::Change,
        covers_seq: None,
        ciphertext: payload.to_vec(),
    }
}

pub fn snapshot(id: &str, doc: &str, covers: u64, payload: &[u8]) -> PushChunk {
    PushChunk {
        client_chunk_id: id.into(),
        doc_id: doc.into(),
        kind: ChunkKind::Snapshot,
        covers_seq: Some(covers),
        ciphertext: payload.to_vec(),
    }
}

/// Generates `#[tokio::test]`s running each listed `async fn name(Backend)` against SQLite and
/// PostgreSQL (PostgreSQL ones skipped only with TEND_SKIP_POSTGRES=1).
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::common::Backend::sqlite()).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if super::common::pg::skip() {
                        eprintln!("TEND_SKIP_POSTGRES=1: skipped");
                        return;
                    }
                    super::$name(super::common::Backend::postgres().await).await
                }
            )*
        }
    };
}
