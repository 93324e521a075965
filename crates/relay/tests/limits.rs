//! What bounds abuse of the relay (PROTOCOL.md "Limits"): rate limits per client address and per
//! workspace, the per-workspace storage quota and the budget for push bodies in memory — each
//! answering with its documented status and changing nothing — on both stores, with time moved by
//! the test ([`ManualClock`]) rather than waited for.

mod common;

use std::time::Duration;

use common::{change, client_from, snapshot, Backend, ManualClock, Relay};
use serde_json::Value;
use tend_wire::sync_wire::*;
use tokio::io::AsyncWriteExt;

both_stores!(
    join_attempts_are_limited_and_a_refused_join_uses_nothing,
    workspace_creation_is_limited_per_address,
    requests_are_limited_per_address_and_per_workspace,
    the_forwarded_address_counts_only_when_configured,
    pushes_beyond_the_quota_are_refused_and_store_nothing,
    a_workspace_over_its_quota_can_still_compact,
    a_store_from_before_quotas_counts_what_it_holds,
    push_bodies_held_in_memory_are_bounded,
    join_secrets_expire_on_the_relay_clock,
);

/// A 429 with the documented body and `Retry-After`; returns the message.
async fn limited(resp: reqwest::Response, retry_after: u64) -> String {
    assert_eq!(resp.status(), 429);
    assert_eq!(
        resp.headers()["retry-after"].to_str().unwrap(),
        retry_after.to_string()
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "rate_limited", "{v}");
    v["message"].as_str().unwrap().to_owned()
}

async fn join_via(http: &reqwest::Client, r: &Relay, ws: &str, secret: &str) -> reqwest::Response {
    http.post(r.url("/api/v1/join"))
        .json(&JoinRequest {
            workspace_id: ws.into(),
            join_secret: secret.into(),
            device_name: Some("tablet".into()),
        })
        .send()
        .await
        .unwrap()
}

async fn join_attempts_are_limited_and_a_refused_join_uses_nothing(b: Backend) {
    let clock = ManualClock::new();
    let r = b.start_clocked(&clock, |c| c.joins_per_minute = 2).await;
    let a = r.create_workspace().await;
    let other = r.create_workspace().await;
    let s = r.join_secret(&a, None).await;

    // Two guesses use this address's two attempts...
    for guess in ["guess-1", "guess-2"] {
        let (st, _) = r.join(&a.workspace_id, guess).await;
        assert_eq!(st, 403);
    }
    // ...so even the right secret is refused for now (2 a minute: one back every 30 s)...
    let resp = join_via(&r.http, &r, &a.workspace_id, &s.join_secret).await;
    assert!(limited(resp, 30).await.contains("from this address"));
    clock.advance(Duration::from_secs(29));
    let resp = join_via(&r.http, &r, &a.workspace_id, &s.join_secret).await;
    limited(resp, 1).await;
    // ...and was not used up by the refusal.
    clock.advance(Duration::from_secs(1));
    let (st, v) = r.join(&a.workspace_id, &s.join_secret).await;
    assert_eq!(st, 201, "{v}");

    // The workspace's own limit holds whichever address the attempts come from: it has had its
    // two this minute (a guess and the join; a refused attempt was not counted against it).
    let elsewhere = client_from([127, 0, 0, 2]);
    let resp = join_via(&elsewhere, &r, &a.workspace_id, "guess-3").await;
    assert!(limited(resp, 30).await.contains("for this workspace"));
    // Another workspace is not affected.
    let resp = join_via(&elsewhere, &r, &other.workspace_id, "guess-4").await;
    assert_eq!(resp.status(), 403);
    r.stop().await;
}

async fn workspace_creation_is_limited_per_address(b: Backend) {
    let clock = ManualClock::new();
    let r = b
        .start_clocked(&clock, |c| c.creates_per_ip_per_hour = 2)
        .await;
    r.create_workspace().await;
    r.create_workspace().await;
    let create = |http: &reqwest::Client| http.post(r.url("/api/v1/workspaces")).send();
    // 2 an hour: the next one in 30 minutes.
    let msg = limited(create(&r.http).await.unwrap(), 30 * 60).await;
    assert!(msg.contains("workspaces created"), "{msg}");
    // Another address creates at once.
    assert_eq!(
        create(&client_from([127, 0, 0, 3])).await.unwrap().status(),
        201
    );
    clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(create(&r.http).await.unwrap().status(), 201);
    r.stop().await;

    // With a creation token, wrong tokens are counted too: it cannot be guessed quickly.
    let r = b
        .start_clocked(&clock, |c| {
            c.creates_per_ip_per_hour = 2;
            c.create_token = Some("agency-secret".into());
        })
        .await;
    for _ in 0..2 {
        assert_eq!(r.create_raw(Some("a-guess")).await, 401);
    }
    assert_eq!(r.create_raw(Some("agency-secret")).await, 429);
    clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(r.create_raw(Some("agency-secret")).await, 201);
    r.stop().await;
}

async fn requests_are_limited_per_address_and_per_workspace(b: Backend) {
    let clock = ManualClock::new();
    // Per workspace: 1 a second, bursts of 10.
    let r = b.start_clocked(&clock, |c| c.rate_per_workspace = 1).await;
    let a = r.create_workspace().await;
    let other = r.create_workspace().await;
    for _ in 0..10 {
        assert_eq!(r.pull(&a, 0, 10).await.head_seq, 0);
    }
    let (st, v) = r
        .push_raw(&a, &a.workspace_id, &[change("c1", "doc", b"refused")])
        .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (429, Some("rate_limited")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("this workspace"));
    // Another workspace's devices are served.
    assert_eq!(r.pull(&other, 0, 10).await.head_seq, 0);
    clock.advance(Duration::from_secs(1));
    // The refused push stored nothing.
    let page = r.pull(&a, 0, 10).await;
    assert_eq!((page.head_seq, page.chunks.len()), (0, 0));
    r.stop().await;

    // Per address: 1 a second, bursts of 10, for every API request, authenticated or not.
    let r = b.start_clocked(&clock, |c| c.rate_per_ip = 1).await;
    let devices = |http: &reqwest::Client| {
        http.get(r.url("/api/v1/workspaces/w/devices"))
            .bearer_auth("no-such-token")
            .send()
    };
    for _ in 0..10 {
        assert_eq!(devices(&r.http).await.unwrap().status(), 401);
    }
    let msg = limited(devices(&r.http).await.unwrap(), 1).await;
    assert!(msg.contains("this address"), "{msg}");
    // Other addresses are served; the health check is never limited.
    assert_eq!(
        devices(&client_from([127, 0, 0, 4]))
            .await
            .unwrap()
            .status(),
        401
    );
    let health = r.http.get(r.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    clock.advance(Duration::from_secs(1));
    assert_eq!(devices(&r.http).await.unwrap().status(), 401);
    r.stop().await;
}

async fn the_forwarded_address_counts_only_when_configured(b: Backend) {
    let clock = ManualClock::new();
    let r = b
        .start_clocked(&clock, |c| {
            c.rate_per_ip = 1;
            c.forwarded_for = true;
        })
        .await;
    let from = |xff: &'static str| {
        r.http
            .get(r.url("/api/v1/workspaces/w/devices"))
            .header("x-forwarded-for", xff)
            .send()
    };
    for _ in 0..10 {
        assert_eq!(
            from("198.51.100.7, 203.0.113.9").await.unwrap().status(),
            401
        );
    }
    // The proxy appended 203.0.113.9: that client is limited, whatever it put in front.
    limited(from("192.0.2.1, 203.0.113.9").await.unwrap(), 1).await;
    limited(from("203.0.113.9").await.unwrap(), 1).await;
    // Another client behind the same proxy is not.
    assert_eq!(
        from("203.0.113.9, 203.0.113.10").await.unwrap().status(),
        401
    );
    r.stop().await;

    // Without `--forwarded-for` the header is the client's word, and ignored.
    let r = b.start_clocked(&clock, |c| c.rate_per_ip = 1).await;
    for i in 0..10 {
        let resp = r
            .http
            .get(r.url("/api/v1/workspaces/w/devices"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    let resp = r
        .http
        .get(r.url("/api/v1/workspaces/w/devices"))
        .header("x-forwarded-for", "203.0.113.200")
        .send()
        .await
        .unwrap();
    limited(resp, 1).await;
    r.stop().await;
}

fn bytes(n: usize, fill: u8) -> Vec<u8> {
    vec![fill; n]
}

/// The chunks a device pulls from the start, as (doc, ciphertext length).
async fn live(r: &Relay, d: &DeviceCredentials) -> Vec<(String, usize)> {
    let (chunks, _) = r.pull_all(d, 0).await;
    chunks
        .into_iter()
        .map(|c| (c.doc_id, c.ciphertext.clone().len()))
        .collect()
}

async fn assert_over_quota(r: &Relay, d: &DeviceCredentials, chunks: &[PushChunk]) {
    let (st, v) = r.push_raw(d, &d.workspace_id, chunks).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (413, Some("quota_exceeded")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("quota"), "{v}");
}

async fn pushes_beyond_the_quota_are_refused_and_store_nothing(b: Backend) {
    let r = b.start_with(|c| c.workspace_quota_bytes = 1000).await;
    let a = r.create_workspace().await;
    r.push(&a, &[change("c1", "doc1", &bytes(600, 1))]).await;
    assert_over_quota(&r, &a, &[change("c2", "doc1", &bytes(500, 2))]).await;
    // All or nothing: the first chunk would fit, the second not, so neither is stored.
    assert_over_quota(
        &r,
        &a,
        &[
            change("c3", "doc2", &bytes(200, 3)),
            change("c4", "doc2", &bytes(300, 4)),
        ],
    )
    .await;
    assert_eq!(live(&r, &a).await, vec![("doc1".to_string(), 600)]);
    assert_eq!(r.pull(&a, 0, 10).await.head_seq, 1);
    // A retried push of what is stored is still answered (it adds nothing).
    let again = r.push(&a, &[change("c1", "doc1", &bytes(600, 1))]).await;
    assert!(again.results[0].duplicate);
    // Up to the quota exactly.
    r.push(&a, &[change("c5", "doc2", &bytes(400, 5))]).await;
    // A snapshot frees what it covers: doc1's 600 bytes give way to 100.
    r.push(&a, &[snapshot("s1", "doc1", 1, &bytes(100, 6))])
        .await;
    r.push(&a, &[change("c6", "doc2", &bytes(500, 7))]).await;
    // The quota is the workspace's, whichever device pushes.
    let s = r.join_secret(&a, None).await;
    let (st, v) = r.join(&a.workspace_id, &s.join_secret).await;
    assert_eq!(st, 201);
    let second: DeviceCredentials = serde_json::from_value(v).unwrap();
    assert_over_quota(&r, &second, &[change("d1", "doc3", &bytes(1, 8))]).await;
    // Another workspace has its own.
    let other = r.create_workspace().await;
    r.push(&other, &[change("o1", "doc", &bytes(1000, 9))])
        .await;
    assert_eq!(
        live(&r, &a).await,
        vec![
            ("doc2".to_string(), 400),
            ("doc1".to_string(), 100),
            ("doc2".to_string(), 500)
        ]
    );
    r.stop().await;
}

/// A workspace holding what these pushes leave, on a relay without a quota, since stopped.
async fn stored_without_quota(b: &Backend, pushes: &[&[PushChunk]]) -> DeviceCredentials {
    let r = b.start_with(|c| c.workspace_quota_bytes = 0).await;
    let a = r.create_workspace().await;
    for chunks in pushes {
        r.push(&a, chunks).await;
    }
    r.stop().await;
    a
}

async fn a_workspace_over_its_quota_can_still_compact(b: Backend) {
    let a = stored_without_quota(
        &b,
        &[&[
            change("c1", "doc1", &bytes(700, 1)),
            change("c2", "doc1", &bytes(300, 2)),
        ]],
    )
    .await;
    // The operator lowers the quota below what the workspace keeps.
    let r = b.start_with(|c| c.workspace_quota_bytes = 500).await;
    assert_over_quota(&r, &a, &[change("c3", "doc2", &bytes(1, 3))]).await;
    // A snapshot that leaves the workspace smaller is accepted, even while still over...
    r.push(&a, &[snapshot("s1", "doc1", 2, &bytes(600, 4))])
        .await;
    assert_over_quota(&r, &a, &[change("c4", "doc2", &bytes(1, 5))]).await;
    // ...and one that brings it under makes room again.
    r.push(&a, &[snapshot("s2", "doc1", 3, &bytes(200, 6))])
        .await;
    r.push(&a, &[change("c5", "doc2", &bytes(300, 7))]).await;
    assert_over_quota(&r, &a, &[change("c6", "doc2", &bytes(1, 8))]).await;
    assert_eq!(
        live(&r, &a).await,
        vec![("doc1".to_string(), 200), ("doc2".to_string(), 300)]
    );
    r.stop().await;
}

async fn a_store_from_before_quotas_counts_what_it_holds(b: Backend) {
    let a = stored_without_quota(
        &b,
        &[
            &[
                change("c1", "doc1", &bytes(400, 1)),
                change("c2", "doc1", &bytes(300, 2)),
                change("c3", "doc2", &bytes(200, 3)),
            ],
            // Compacted away: not counted.
            &[snapshot("s1", "doc1", 2, &bytes(100, 4))],
        ],
    )
    .await;
    // The store as a relay from before quotas left it: no byte count.
    let drop_column = "ALTER TABLE workspaces DROP COLUMN stored_bytes";
    match &b {
        Backend::Sqlite(dir) => {
            let c = rusqlite::Connection::open(dir.path().join("relay.sqlite3")).unwrap();
            c.execute_batch(drop_column).unwrap();
        }
        Backend::Postgres(url) => {
            let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let task = tokio::spawn(conn);
            c.batch_execute(drop_column).await.unwrap();
            drop(c);
            let _ = task.await;
        }
    }
    // Upgraded, it counts the 300 live bytes (200 + 100): 700 more fit, 701 do not.
    let r = b.start_with(|c| c.workspace_quota_bytes = 1000).await;
    assert_over_quota(&r, &a, &[change("c4", "doc3", &bytes(701, 5))]).await;
    r.push(&a, &[change("c5", "doc3", &bytes(700, 6))]).await;
    assert_over_quota(&r, &a, &[change("c6", "doc3", &bytes(1, 7))]).await;
    r.stop().await;
}

/// A push body of exactly `len` bytes that is not a valid push (answered 400 once read).
fn invalid_push_body(len: usize) -> String {
    let mut body = String::from("{\"chunks\": 1");
    body.push_str(&" ".repeat(len - body.len() - 1));
    body.push('}');
    body
}

/// A relay holding at most 64 KiB of push bodies at once, pushes waiting `wait` seconds for room
/// (waiting itself: the unit tests of `api::BodyBudget`, on tokio's paused clock).
async fn budget_relay(b: &Backend, wait: u64) -> (Relay, DeviceCredentials) {
    let r = b
        .start_with(|c| {
            c.max_body_bytes = 64 * 1024;
            c.max_inflight_body_bytes = 64 * 1024;
            c.body_wait_secs = wait;
        })
        .await;
    let a = r.create_workspace().await;
    (r, a)
}

/// A 10,000-byte push that is not valid: 400 once its body is read.
async fn probe(r: &Relay, a: &DeviceCredentials) -> reqwest::Response {
    r.http
        .post(r.url(&format!("/api/v1/workspaces/{}/chunks", a.workspace_id)))
        .bearer_auth(&a.device_token)
        .header("content-type", "application/json")
        .body(invalid_push_body(10_000))
        .send()
        .await
        .unwrap()
}

/// Probes until the answer is not `skip` (each probe is an attempt; bounded).
async fn probe_until_not(r: &Relay, a: &DeviceCredentials, skip: u16) -> reqwest::Response {
    for _ in 0..200 {
        let resp = probe(r, a).await;
        if resp.status() != skip {
            return resp;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("every probe was answered {skip}");
}

/// A device starts a 60,000-byte push and sends only the beginning of it.
async fn start_slow_push(r: &Relay, a: &DeviceCredentials) -> tokio::net::TcpStream {
    let mut slow = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/workspaces/{}/chunks HTTP/1.1\r\nHost: relay\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: 60000\r\n\r\n{{\"chunks\": [",
        a.workspace_id, a.device_token
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow
}

async fn assert_busy(resp: reqwest::Response) {
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "busy", "{v}");
}

async fn push_bodies_held_in_memory_are_bounded(b: Backend) {
    let (r, a) = budget_relay(&b, 0).await;
    // Budget free: the probe is read, and refused as a bad push.
    assert_eq!(probe(&r, &a).await.status(), 400);
    let slow = start_slow_push(&r, &a).await;
    // Once that holds its share, a 10,000-byte push does not fit beside it and is turned away
    // before its body is read...
    assert_busy(probe_until_not(&r, &a, 400).await).await;
    // ...while a small push still fits and is stored.
    r.push(&a, &[change("small", "doc", b"fits")]).await;
    // When the slow push gives up, its share comes back.
    drop(slow);
    assert_eq!(probe_until_not(&r, &a, 503).await.status(), 400);
    assert_eq!(live(&r, &a).await, vec![("doc".to_string(), 4)]);
    r.stop().await;
}

async fn join_secrets_expire_on_the_relay_clock(b: Backend) {
    let clock = ManualClock::new();
    let r = b.start_clocked(&clock, |_| {}).await;
    let a = r.create_workspace().await;
    let early = r.join_secret(&a, Some(60)).await;
    let late = r.join_secret(&a, Some(60)).await;
    clock.advance(Duration::from_secs(59));
    let (st, v) = r.join(&a.workspace_id, &early.join_secret).await;
    assert_eq!(st, 201, "{v}");
    clock.advance(Duration::from_secs(1));
    let (st, v) = r.join(&a.workspace_id, &late.join_secret).await;
    assert_eq!((st, v["error"].as_str()), (403, Some("join_rejected")));
    r.stop().await;
}
