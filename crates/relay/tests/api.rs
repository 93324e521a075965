//! The relay's API, run against both stores (SQLite and a throwaway PostgreSQL).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{change, snapshot, Backend};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tend_wire::sync_wire::*;
use tokio_tungstenite::tungstenite::Message as WsMsg;

both_stores!(
    health_and_api_errors_are_json,
    workspaces_join_secrets_and_revocation,
    push_is_idempotent_and_pull_pages,
    workspaces_are_isolated,
    snapshots_compact_without_losing_anything,
    bad_input_gets_clear_errors,
    websocket_notifies_and_survives_bad_frames,
    concurrent_pushers_never_make_a_puller_skip,
    restart_keeps_everything,
    revoked_device_websocket_is_closed,
    encrypted_chunks_round_trip_through_the_relay,
    a_revoked_devices_join_secrets_are_void,
    an_over_limit_websocket_message_closes_with_1009,
    names_secrets_and_bodies_are_checked_as_documented,
    a_refused_request_with_an_unread_body_says_connection_close,
    silent_and_slow_clients_are_cut_off_while_others_are_served,
    one_client_flooding_connections_cannot_keep_others_out,
);

async fn health_and_api_errors_are_json(b: Backend) {
    let r = b.start().await;
    let v: Value = r
        .http
        .get(r.url("/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "ok");
    let resp = r.http.get(r.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "not_found");
    let resp = r
        .http
        .put(r.url("/api/v1/workspaces"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "method_not_allowed");
    let resp = r.http.post(r.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "method_not_allowed");

    // A path segment that is not UTF-8 once decoded is the API's JSON 400 on every route that
    // takes one, for a device with a valid token as for anyone.
    let d = r.create_workspace().await;
    let ws = &d.workspace_id;
    for (method, path) in [
        ("GET", "/api/v1/workspaces/%FF/chunks".to_string()),
        ("POST", "/api/v1/workspaces/%FF/chunks".to_string()),
        ("GET", "/api/v1/workspaces/%FF/devices".to_string()),
        ("POST", "/api/v1/workspaces/%FF/join-secrets".to_string()),
        ("DELETE", format!("/api/v1/workspaces/{ws}/devices/%FF")),
        ("GET", "/api/v1/workspaces/%FF/notify".to_string()),
    ] {
        let resp = r
            .http
            .request(method.parse().unwrap(), r.url(&path))
            .bearer_auth(&d.device_token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{method} {path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{method} {path}"
        );
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"], "bad_request", "{method} {path}");
        assert!(
            v["message"].as_str().unwrap().starts_with("invalid path"),
            "{v}"
        );
    }
    r.stop().await;
}

async fn workspaces_join_secrets_and_revocation(b: Backend) {
    let r = b.start().await;
    let a = r.create_workspace().await;
    assert_eq!(a.workspace_id.len(), 32);
    assert!(a.device_token.len() >= 43);
    let s = r.join_secret(&a, None).await;
    // Wrong workspace id with a real secret: rejected, and the secret stays usable.
    let other = r.create_workspace().await;
    let (st, v) = r.join(&other.workspace_id, &s.join_secret).await;
    assert_eq!((st, v["error"].as_str()), (403, Some("join_rejected")));
    let (st, v) = r.join(&a.workspace_id, &s.join_secret).await;
    assert_eq!(st, 201, "{v}");
    let bdev: DeviceCredentials = serde_json::from_value(v).unwrap();
    assert_eq!(bdev.workspace_id, a.workspace_id);
    assert_ne!(bdev.device_token, a.device_token);
    // Single use.
    let (st, _) = r.join(&a.workspace_id, &s.join_secret).await;
    assert_eq!(st, 403);
    // Garbage secret.
    let (st, _) = r.join(&a.workspace_id, "nope").await;
    assert_eq!(st, 403);
    // (Expiry: limits.rs, on a clock the test moves.)
    // B can sync.
    r.push(&bdev, &[change("b1", "doc", b"from b")]).await;
    // Devices listed, then B revoked.
    let list: DeviceList = r
        .http
        .get(r.url(&format!("/api/v1/workspaces/{}/devices", a.workspace_id)))
        .bearer_auth(&a.device_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.devices.len(), 2);
    assert!(list.devices.iter().all(|d| !d.revoked));
    let resp = r
        .http
        .delete(r.url(&format!(
            "/api/v1/workspaces/{}/devices/{}",
            a.workspace_id, bdev.device_id
        )))
        .bearer_auth(&a.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (st, v) = r
        .push_raw(&bdev, &bdev.workspace_id, &[change("b2", "doc", b"x")])
        .await;
    assert_eq!((st, v["error"].as_str()), (401, Some("unauthorized")));
    let (st, _) = r.pull_raw(&bdev, &bdev.workspace_id, "after=0").await;
    assert_eq!(st, 401);
    // A still works; revoking an unknown device is a 404.
    assert_eq!(r.pull(&a, 0, 10).await.chunks.len(), 1);
    let resp = r
        .http
        .delete(r.url(&format!(
            "/api/v1/workspaces/{}/devices/{}",
            a.workspace_id, "ffff"
        )))
        .bearer_auth(&a.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // Creation token, when configured.
    r.stop().await;
    let r = b
        .start_with(|c| c.create_token = Some("letmein".into()))
        .await;
    assert_eq!(r.create_raw(None).await, 401);
    assert_eq!(r.create_raw(Some("letmein")).await, 201);
    r.stop().await;
}

async fn push_is_idempotent_and_pull_pages(b: Backend) {
    let r = b.start().await;
    let d = r.create_workspace().await;
    let empty = r.pull(&d, 0, 10).await;
    assert!(empty.chunks.is_empty() && !empty.more);
    assert_eq!((empty.next_cursor, empty.head_seq), (0, 0));
    let chunks: Vec<_> = (0..25)
        .map(|i| {
            change(
                &format!("c{i}"),
                &format!("doc{}", i % 3),
                format!("payload {i}").as_bytes(),
            )
        })
        .collect();
    let first = r.push(&d, &chunks[..10]).await;
    assert_eq!(first.head_seq, 10);
    assert!(first.results.iter().all(|x| !x.duplicate));
    assert_eq!(
        first.results.iter().map(|x| x.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    // Retrying the whole batch, and a batch overlapping it, never duplicates.
    let again = r.push(&d, &chunks[..10]).await;
    assert!(again.results.iter().all(|x| x.duplicate));
    assert_eq!(
        again.results.iter().map(|x| x.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    let rest = r.push(&d, &chunks[5..]).await;
    assert_eq!(rest.head_seq, 25);
    assert!(rest.results[..5].iter().all(|x| x.duplicate));
    assert!(rest.results[5..].iter().all(|x| !x.duplicate));
    // The same client id from another device is another chunk.
    let s = r.join_secret(&d, None).await;
    let (_, v) = r.join(&d.workspace_id, &s.join_secret).await;
    let d2: DeviceCredentials = serde_json::from_value(v).unwrap();
    let other = r.push(&d2, &[change("c0", "doc0", b"device two")]).await;
    assert_eq!(other.results[0].seq, 26);
    assert!(!other.results[0].duplicate);
    // Pages by count.
    let p1 = r.pull(&d, 0, 10).await;
    assert_eq!(p1.chunks.len(), 10);
    assert!(p1.more);
    assert_eq!(p1.next_cursor, 10);
    assert_eq!(p1.head_seq, 26);
    assert_eq!(p1.chunks[3].ciphertext.clone(), b"payload 3");
    assert_eq!(p1.chunks[3].doc_id, "doc0");
    assert_eq!(p1.chunks[3].device_id, d.device_id);
    let p2 = r.pull(&d, 10, 10).await;
    assert_eq!(p2.chunks.first().unwrap().seq, 11);
    let p3 = r.pull(&d, p2.next_cursor, 10).await;
    assert_eq!(p3.chunks.len(), 6);
    assert!(!p3.more);
    assert_eq!(p3.next_cursor, 26);
    assert_eq!(p3.chunks.last().unwrap().device_id, d2.device_id);
    // Pages by bytes: each payload is 9-10 bytes; 25 bytes hold two chunks.
    let (st, v) = r
        .pull_raw(&d, &d.workspace_id, "after=0&limit=100&max_bytes=25")
        .await;
    assert_eq!(st, 200);
    let pb: PullResponse = serde_json::from_value(v).unwrap();
    assert_eq!(pb.chunks.len(), 2);
    assert!(pb.more);
    assert_eq!(pb.next_cursor, 2);
    // A page always carries at least one chunk, even when it alone exceeds max_bytes.
    let (_, v) = r.pull_raw(&d, &d.workspace_id, "after=0&max_bytes=1").await;
    let pb: PullResponse = serde_json::from_value(v).unwrap();
    assert_eq!(pb.chunks.len(), 1);
    // Everything, page by page, in order, once.
    let (all, cursor) = r.pull_all(&d, 0).await;
    assert_eq!(
        all.iter().map(|c| c.seq).collect::<Vec<_>>(),
        (1..=26).collect::<Vec<_>>()
    );
    assert_eq!(cursor, 26);
    // A cursor past the head is harmless.
    let p = r.pull(&d, 1000, 10).await;
    assert!(p.chunks.is_empty());
    r.stop().await;
}

async fn workspaces_are_isolated(b: Backend) {
    let r = b.start().await;
    let a = r.create_workspace().await;
    let z = r.create_workspace().await;
    r.push(&a, &[change("a1", "doc", b"secret of a")]).await;
    r.push(&z, &[change("z1", "doc", b"secret of z")]).await;
    // z's token on a's paths: forbidden, nothing leaks.
    let (st, v) = r.pull_raw(&z, &a.workspace_id, "after=0").await;
    assert_eq!((st, v["error"].as_str()), (403, Some("forbidden")));
    let (st, _) = r
        .push_raw(&z, &a.workspace_id, &[change("z2", "doc", b"x")])
        .await;
    assert_eq!(st, 403);
    for path in ["devices", "join-secrets"] {
        let url = r.url(&format!("/api/v1/workspaces/{}/{path}", a.workspace_id));
        let req = if path == "devices" {
            r.http.get(url)
        } else {
            r.http.post(url)
        };
        let resp = req.bearer_auth(&z.device_token).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{path}");
    }
    let resp = r
        .http
        .delete(r.url(&format!(
            "/api/v1/workspaces/{}/devices/{}",
            a.workspace_id, a.device_id
        )))
        .bearer_auth(&z.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // z cannot revoke a's device through its own workspace path either.
    let resp = r
        .http
        .delete(r.url(&format!(
            "/api/v1/workspaces/{}/devices/{}",
            z.workspace_id, a.device_id
        )))
        .bearer_auth(&z.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // Seqs are per workspace; each sees only its own.
    let pa = r.pull(&a, 0, 100).await;
    let pz = r.pull(&z, 0, 100).await;
    assert_eq!(pa.chunks.len(), 1);
    assert_eq!(pa.chunks[0].ciphertext.clone(), b"secret of a");
    assert_eq!(pz.chunks.len(), 1);
    assert_eq!(pz.chunks[0].ciphertext.clone(), b"secret of z");
    assert_eq!((pa.chunks[0].seq, pz.chunks[0].seq), (1, 1));
    // No token / bad token.
    let resp = r
        .http
        .get(r.url(&format!("/api/v1/workspaces/{}/chunks", a.workspace_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "unauthorized");
    let resp = r
        .http
        .get(r.url(&format!("/api/v1/workspaces/{}/chunks", a.workspace_id)))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // The WebSocket of another workspace refuses the token.
    let (mut sock, _) = tokio_tungstenite::connect_async(r.ws_url(&a.workspace_id))
        .await
        .unwrap();
    sock.send(WsMsg::text(format!(
        r#"{{"type":"auth","token":"{}"}}"#,
        z.device_token
    )))
    .await
    .unwrap();
    let m = next_json(&mut sock).await.unwrap();
    assert_eq!(m["type"], "error");
    assert_eq!(m["error"], "forbidden");
    r.stop().await;
}

async fn snapshots_compact_without_losing_anything(b: Backend) {
    let r = b.start().await;
    let d = r.create_workspace().await;
    r.push(
        &d,
        &[
            change("a1", "A", b"a1"),
            change("a2", "A", b"a2"),
            change("b1", "B", b"b1"),
        ],
    )
    .await;
    // A device that read up to seq 1 only.
    let early = r.pull(&d, 0, 1).await;
    assert_eq!(early.next_cursor, 1);
    r.push(&d, &[change("a3", "A", b"a3")]).await; // seq 4
                                                   // A snapshot of A made after pulling to 3 misses seq 4: not stored, nothing dropped.
    let stale = r.push(&d, &[snapshot("stale", "A", 3, b"A@3")]).await;
    assert_eq!(
        (stale.results[0].seq, stale.results[0].stale, stale.head_seq),
        (0, true, 4)
    );
    assert_eq!(r.pull_all(&d, 0).await.0.len(), 4);
    // Snapshot of A covering seq 4 (A's chunks 1, 2, 4; B's 3 untouched).
    let s = r.push(&d, &[snapshot("snapA", "A", 4, b"A@4")]).await;
    assert_eq!(s.results[0].seq, 5);
    // A new device sees: B's change, then the snapshot. A's covered changes are gone.
    let (all, cursor) = r.pull_all(&d, 0).await;
    let got: Vec<_> = all
        .iter()
        .map(|c| (c.seq, c.doc_id.as_str(), c.kind))
        .collect();
    assert_eq!(
        got,
        vec![(3, "B", ChunkKind::Change), (5, "A", ChunkKind::Snapshot)]
    );
    assert_eq!(all[1].covers_seq, Some(4));
    assert_eq!(cursor, 5);
    // The early device continues from its cursor and also misses nothing of A: it gets the snapshot.
    let (rest, _) = r.pull_all(&d, early.next_cursor).await;
    assert!(rest
        .iter()
        .any(|c| c.kind == ChunkKind::Snapshot && c.doc_id == "A"));
    // Retrying a compacted push is still recognised.
    let again = r.push(&d, &[change("a1", "A", b"a1")]).await;
    assert_eq!(
        again.results[0],
        PushResult {
            client_chunk_id: "a1".into(),
            seq: 1,
            duplicate: true,
            stale: false
        }
    );
    // A later snapshot replaces the earlier one.
    r.push(&d, &[snapshot("snapA2", "A", 5, b"A@5")]).await;
    let (all, _) = r.pull_all(&d, 0).await;
    let a: Vec<_> = all
        .iter()
        .filter(|c| c.doc_id == "A")
        .map(|c| c.seq)
        .collect();
    assert_eq!(a, vec![6]);
    // Covering beyond the head is refused; snapshots need covers_seq; changes must not have it.
    let (st, v) = r
        .push_raw(&d, &d.workspace_id, &[snapshot("bad", "A", 99, b"x")])
        .await;
    assert_eq!((st, v["error"].as_str()), (409, Some("conflict")));
    let mut no_cover = snapshot("bad2", "A", 1, b"x");
    no_cover.covers_seq = None;
    let (st, _) = r.push_raw(&d, &d.workspace_id, &[no_cover]).await;
    assert_eq!(st, 400);
    let mut covered_change = change("bad3", "A", b"x");
    covered_change.covers_seq = Some(1);
    let (st, _) = r.push_raw(&d, &d.workspace_id, &[covered_change]).await;
    assert_eq!(st, 400);
    // A rejected batch stored nothing (all or none).
    let (st, _) = r
        .push_raw(
            &d,
            &d.workspace_id,
            &[change("ok1", "B", b"x"), snapshot("bad4", "B", 999, b"x")],
        )
        .await;
    assert_eq!(st, 409);
    assert_eq!(r.pull(&d, 0, 100).await.head_seq, 6);
    r.stop().await;
}

async fn bad_input_gets_clear_errors(b: Backend) {
    let r = b
        .start_with(|c| {
            c.max_body_bytes = 64 * 1024;
            c.max_chunk_bytes = 1000;
            c.max_push_chunks = 5;
            c.page_max_chunks = 3;
        })
        .await;
    let d = r.create_workspace().await;
    let url = r.url(&format!("/api/v1/workspaces/{}/chunks", d.workspace_id));
    let send = |body: Vec<u8>| {
        let req = r
            .http
            .post(&url)
            .bearer_auth(&d.device_token)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let resp = req.send().await.unwrap();
            let st = resp.status().as_u16();
            let v: Value = resp.json().await.expect("error body is JSON");
            (st, v)
        }
    };
    for (body, want) in [
        (b"not json".to_vec(), 400),
        (b"{}".to_vec(), 400),
        (br#"{"chunks":[{"client_chunk_id":"x","doc_id":"d","kind":"weird","ciphertext":"AA=="}]}"#.to_vec(), 400),
        (br#"{"chunks":[{"client_chunk_id":"x","doc_id":"d","kind":"change","ciphertext":"%%%"}]}"#.to_vec(), 400),
        (br#"{"chunks":[{"client_chunk_id":"","doc_id":"d","kind":"change","ciphertext":"AA=="}]}"#.to_vec(), 400),
        (br#"{"chunks":[{"client_chunk_id":"x y","doc_id":"d","kind":"change","ciphertext":"AA=="}]}"#.to_vec(), 400),
        (br#"{"chunks":[{"client_chunk_id":"x","doc_id":"d","kind":"change","ciphertext":""}]}"#.to_vec(), 400),
        (br#"{"chunks":[{"client_chunk_id":"x","doc_id":"d","kind":"change","covers_seq":-1,"ciphertext":"AA=="}]}"#.to_vec(), 400),
    ] {
        let (st, v) = send(body.clone()).await;
        assert_eq!(st, want, "{}: {v}", String::from_utf8_lossy(&body));
        assert_eq!(v["error"], "bad_request");
        assert!(v["message"].as_str().unwrap().len() > 5);
    }
    let long_id = "i".repeat(129);
    let (st, _) = r
        .push_raw(&d, &d.workspace_id, &[change(&long_id, "d", b"x")])
        .await;
    assert_eq!(st, 400);
    // Limits: chunk size, chunks per push, body size.
    let (st, v) = r
        .push_raw(&d, &d.workspace_id, &[change("big", "d", &[0u8; 1001])])
        .await;
    assert_eq!((st, v["error"].as_str()), (413, Some("too_large")));
    let (st, _) = r
        .push_raw(&d, &d.workspace_id, &[change("ok", "d", &[0u8; 1000])])
        .await;
    assert_eq!(st, 200);
    let many: Vec<_> = (0..6)
        .map(|i| change(&format!("m{i}"), "d", b"x"))
        .collect();
    let (st, _) = r.push_raw(&d, &d.workspace_id, &many).await;
    assert_eq!(st, 413);
    let (st, v) = send(vec![b' '; 70 * 1024]).await;
    assert_eq!((st, v["error"].as_str()), (413, Some("too_large")));
    // Page size is clamped to the relay's maximum.
    let five: Vec<_> = (0..5)
        .map(|i| change(&format!("p{i}"), "d", b"x"))
        .collect();
    r.push(&d, &five).await;
    let p = r.pull(&d, 0, 1000).await;
    assert_eq!(p.chunks.len(), 3);
    assert!(p.more);
    // Bad query strings.
    for q in ["after=-1", "after=abc", "limit=x", "max_bytes=-5"] {
        let (st, v) = r.pull_raw(&d, &d.workspace_id, q).await;
        assert_eq!((st, v["error"].as_str()), (400, Some("bad_request")), "{q}");
    }
    // Join with garbage.
    let resp = r
        .http
        .post(r.url("/api/v1/join"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // The relay still works after all that.
    assert_eq!(r.pull(&d, 0, 3).await.head_seq, 6);
    r.stop().await;
}

type Sock =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Next JSON text message (skipping pings), or None if the socket closed.
async fn next_json(sock: &mut Sock) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), sock.next())
            .await
            .expect("no WebSocket message within 10 s")?;
        match m {
            Ok(WsMsg::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(WsMsg::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

async fn websocket_notifies_and_survives_bad_frames(b: Backend) {
    let r = b.start_with(|c| c.ws_max_message_bytes = 1024).await;
    let d = r.create_workspace().await;
    r.push(&d, &[change("c1", "doc", b"x")]).await;
    // Auth by first message (browsers).
    let (mut s1, _) = tokio_tungstenite::connect_async(r.ws_url(&d.workspace_id))
        .await
        .unwrap();
    s1.send(WsMsg::text(format!(
        r#"{{"type":"auth","token":"{}"}}"#,
        d.device_token
    )))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut s1).await.unwrap(),
        serde_json::json!({"type":"ready","head_seq":1})
    );
    // Auth by header (native clients).
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        r.ws_url(&d.workspace_id),
    )
    .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", d.device_token).parse().unwrap(),
    );
    let (mut s2, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next_json(&mut s2).await.unwrap()["type"], "ready");
    // A push notifies both.
    r.push(&d, &[change("c2", "doc", b"y"), change("c3", "doc", b"z")])
        .await;
    assert_eq!(
        next_json(&mut s1).await.unwrap(),
        serde_json::json!({"type":"new","seq":3})
    );
    assert_eq!(
        next_json(&mut s2).await.unwrap(),
        serde_json::json!({"type":"new","seq":3})
    );
    // Bad frames: an error message, and the socket keeps working.
    s1.send(WsMsg::text("{nonsense")).await.unwrap();
    let e = next_json(&mut s1).await.unwrap();
    assert_eq!(
        (e["type"].as_str(), e["error"].as_str()),
        (Some("error"), Some("bad_request"))
    );
    s1.send(WsMsg::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(next_json(&mut s1).await.unwrap()["type"], "error");
    s1.send(WsMsg::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(
        next_json(&mut s1).await.unwrap(),
        serde_json::json!({"type":"pong"})
    );
    // An oversized frame closes only that socket.
    s2.send(WsMsg::text("x".repeat(4096))).await.unwrap();
    assert!(next_json(&mut s2).await.is_none());
    r.push(&d, &[change("c4", "doc", b"w")]).await;
    assert_eq!(
        next_json(&mut s1).await.unwrap(),
        serde_json::json!({"type":"new","seq":4})
    );
    // Bad tokens are refused.
    let (mut s3, _) = tokio_tungstenite::connect_async(r.ws_url(&d.workspace_id))
        .await
        .unwrap();
    s3.send(WsMsg::text(r#"{"type":"auth","token":"wrong"}"#))
        .await
        .unwrap();
    assert_eq!(next_json(&mut s3).await.unwrap()["error"], "unauthorized");
    assert!(next_json(&mut s3).await.is_none());
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        r.ws_url(&d.workspace_id),
    )
    .unwrap();
    req.headers_mut()
        .insert("authorization", "Bearer wrong".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    // Shutdown closes sockets instead of hanging.
    r.stop().await;
    assert!(next_json(&mut s1).await.is_none());
}

async fn concurrent_pushers_never_make_a_puller_skip(b: Backend) {
    // The puller asks again at once when nothing is new: on a loaded machine that is more requests
    // than the rate limits allow, and this test is about ordering, not limits.
    let r = Arc::new(
        b.start_with(|c| {
            c.rate_per_ip = 0;
            c.rate_per_workspace = 0;
        })
        .await,
    );
    let d = Arc::new(r.create_workspace().await);
    const PUSHERS: usize = 4;
    const PUSHES: usize = 40;
    const PER_PUSH: usize = 3;
    let total = (PUSHERS * PUSHES * PER_PUSH) as u64;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let puller = {
        let (r, d, done) = (r.clone(), d.clone(), done.clone());
        tokio::spawn(async move {
            let mut cursor = 0u64;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let p = r.pull(&d, cursor, 7).await;
                // Without snapshots, a page is exactly the seqs cursor+1 ..= last: no gap, ever.
                for (i, c) in p.chunks.iter().enumerate() {
                    assert_eq!(c.seq, cursor + 1 + i as u64, "puller skipped a chunk");
                }
                seen.extend(p.chunks.iter().map(|c| c.seq));
                let last = p.chunks.last().map(|c| c.seq).unwrap_or(cursor);
                assert!(p.next_cursor >= last);
                if !p.more {
                    // Nothing between the last chunk and the cursor we are told to continue from.
                    assert_eq!(p.next_cursor, p.head_seq);
                }
                cursor = p.next_cursor;
                if finished && !p.more && cursor == total {
                    return seen;
                }
            }
        })
    };
    let mut pushers = Vec::new();
    for w in 0..PUSHERS {
        let (r, d) = (r.clone(), d.clone());
        pushers.push(tokio::spawn(async move {
            for i in 0..PUSHES {
                let chunks: Vec<_> = (0..PER_PUSH)
                    .map(|k| change(&format!("w{w}-{i}-{k}"), &format!("doc{w}"), b"x"))
                    .collect();
                let res = r.push(&d, &chunks).await;
                // Seqs within one push are consecutive.
                assert_eq!(
                    res.results[PER_PUSH - 1].seq - res.results[0].seq,
                    PER_PUSH as u64 - 1
                );
            }
        }));
    }
    for p in pushers {
        p.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = tokio::time::timeout(Duration::from_secs(60), puller)
        .await
        .expect("puller did not finish")
        .unwrap();
    assert_eq!(seen, (1..=total).collect::<Vec<_>>());
    let set: HashSet<_> = seen.into_iter().collect();
    assert_eq!(set.len() as u64, total);
}

async fn restart_keeps_everything(b: Backend) {
    let r = b.start().await;
    let d = r.create_workspace().await;
    r.push(&d, &[change("c1", "doc", b"before restart")]).await;
    r.stop().await;
    let r = b.start().await;
    let p = r.pull(&d, 0, 10).await;
    assert_eq!(p.chunks[0].ciphertext.clone(), b"before restart");
    let again = r.push(&d, &[change("c1", "doc", b"before restart")]).await;
    assert!(again.results[0].duplicate);
    r.stop().await;
}

/// PostgreSQL deployments run several relay instances on one database: a push through one reaches
/// WebSockets on the other (LISTEN/NOTIFY), and both serve the same log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_instances_share_log_and_notifications() {
    if common::pg::skip() {
        return;
    }
    let b = Backend::postgres().await;
    let one = b.start().await;
    let two = b.start().await;
    let d = one.create_workspace().await;
    let (mut sock, _) = tokio_tungstenite::connect_async(two.ws_url(&d.workspace_id))
        .await
        .unwrap();
    sock.send(WsMsg::text(format!(
        r#"{{"type":"auth","token":"{}"}}"#,
        d.device_token
    )))
    .await
    .unwrap();
    assert_eq!(next_json(&mut sock).await.unwrap()["type"], "ready");
    one.push(&d, &[change("c1", "doc", b"x")]).await;
    assert_eq!(
        next_json(&mut sock).await.unwrap(),
        serde_json::json!({"type":"new","seq":1})
    );
    let p = two.pull(&d, 0, 10).await;
    assert_eq!(p.chunks.len(), 1);
    // Concurrent pushes through both instances still get distinct, gap-free seqs.
    let mut tasks = Vec::new();
    for (n, relay) in [Arc::new(one), Arc::new(two)].into_iter().enumerate() {
        let d = d.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                relay
                    .push(&d, &[change(&format!("i{n}-{i}"), "doc", b"x")])
                    .await;
            }
            relay
        }));
    }
    let mut relays = Vec::new();
    for t in tasks {
        relays.push(t.await.unwrap());
    }
    let (all, cursor) = relays[0].pull_all(&d, 0).await;
    assert_eq!(
        all.iter().map(|c| c.seq).collect::<Vec<_>>(),
        (1..=41).collect::<Vec<_>>()
    );
    assert_eq!(cursor, 41);
    for r in relays {
        Arc::try_unwrap(r).ok().unwrap().stop().await;
    }
}

/// The app's path end to end: seal with the workspace key (tend_wire::crypto), push, pull on another
/// device, open. The relay only ever holds ciphertext, and a chunk replayed under another document or
/// kind does not open.
async fn encrypted_chunks_round_trip_through_the_relay(b: Backend) {
    use tend_wire::crypto::{self, CryptoError, JoinCode, WorkspaceKey};
    let r = b.start().await;
    let a = r.create_workspace().await;
    let key = WorkspaceKey::generate().unwrap();
    let secret = r.join_secret(&a, None).await;
    let code = JoinCode {
        relay_url: r.base.clone(),
        workspace_id: a.workspace_id.clone(),
        join_secret: secret.join_secret.clone(),
        key: key.clone(),
        doc_key: None,
        person: None,
    }
    .encode()
    .unwrap();
    // The new device only has the code.
    let parsed = JoinCode::parse(&code).unwrap();
    let (st, v) = r.join(&parsed.workspace_id, &parsed.join_secret).await;
    assert_eq!(st, 201);
    let bdev: DeviceCredentials = serde_json::from_value(v).unwrap();
    let plaintext = b"automerge incremental save bytes";
    let sealed = crypto::seal(
        &key,
        &a.workspace_id,
        "patient-1",
        ChunkKind::Change,
        plaintext,
    )
    .unwrap();
    r.push(&a, &[change("e1", "patient-1", &sealed)]).await;
    let p = r.pull(&bdev, 0, 10).await;
    let got = p.chunks[0].ciphertext.clone();
    assert!(
        !got.windows(plaintext.len()).any(|w| w == plaintext),
        "relay saw plaintext"
    );
    let opened = crypto::open(
        &parsed.key,
        &bdev.workspace_id,
        &p.chunks[0].doc_id,
        p.chunks[0].kind,
        &got,
    )
    .unwrap();
    assert_eq!(opened, plaintext);
    assert_eq!(
        crypto::open(
            &parsed.key,
            &bdev.workspace_id,
            "patient-2",
            ChunkKind::Change,
            &got
        ),
        Err(CryptoError::Decrypt)
    );
    assert_eq!(
        crypto::open(
            &parsed.key,
            &bdev.workspace_id,
            "patient-1",
            ChunkKind::Snapshot,
            &got
        ),
        Err(CryptoError::Decrypt)
    );
    r.stop().await;
}

async fn revoked_device_websocket_is_closed(b: Backend) {
    let r = b.start_with(|c| c.ws_recheck_secs = 1).await;
    let a = r.create_workspace().await;
    let s = r.join_secret(&a, None).await;
    let (_, v) = r.join(&a.workspace_id, &s.join_secret).await;
    let bdev: DeviceCredentials = serde_json::from_value(v).unwrap();
    let (mut sock, _) = tokio_tungstenite::connect_async(r.ws_url(&a.workspace_id))
        .await
        .unwrap();
    sock.send(WsMsg::text(format!(
        r#"{{"type":"auth","token":"{}"}}"#,
        bdev.device_token
    )))
    .await
    .unwrap();
    assert_eq!(next_json(&mut sock).await.unwrap()["type"], "ready");
    let resp = r
        .http
        .delete(r.url(&format!(
            "/api/v1/workspaces/{}/devices/{}",
            a.workspace_id, bdev.device_id
        )))
        .bearer_auth(&a.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let m = next_json(&mut sock).await.unwrap();
    assert_eq!(
        (m["type"].as_str(), m["error"].as_str()),
        (Some("error"), Some("unauthorized"))
    );
    assert!(next_json(&mut sock).await.is_none());
    r.stop().await;
}

/// A stolen tablet mints a join secret before it is revoked: once revoked, that secret (and any
/// other it minted) lets nobody in, while secrets from devices still trusted keep working.
async fn a_revoked_devices_join_secrets_are_void(b: Backend) {
    let r = b.start().await;
    let a = r.create_workspace().await;
    let invite = r.join_secret(&a, None).await;
    let (status, v) = r.join(&a.workspace_id, &invite.join_secret).await;
    assert_eq!(status, 201, "{v}");
    let tablet: DeviceCredentials = serde_json::from_value(v).unwrap();
    let minted = r.join_secret(&tablet, Some(7 * 24 * 3600)).await;
    let spare = r.join_secret(&tablet, None).await;

    assert_eq!(r.revoke(&a, &a.workspace_id, &tablet.device_id).await, 204);
    let devices_before = r.devices(&a).await;

    for secret in [&minted.join_secret, &spare.join_secret] {
        let (status, v) = r.join(&a.workspace_id, secret).await;
        assert_eq!(status, 403, "{v}");
        assert_eq!(v["error"], "join_rejected");
    }
    assert_eq!(devices_before, r.devices(&a).await, "no device was added");

    // A device still trusted can still invite.
    let fresh = r.join_secret(&a, None).await;
    assert_eq!(r.join(&a.workspace_id, &fresh.join_secret).await.0, 201);
    r.stop().await;
}

/// The close code a socket ends with (none when it just drops).
async fn close_code<S>(sock: &mut S) -> Option<u16>
where
    S: futures_util::Stream<Item = Result<WsMsg, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return None,
            m = sock.next() => match m {
                Some(Ok(WsMsg::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            },
        }
    }
}

/// PROTOCOL.md: a message over the WebSocket limit closes the socket with 1009 — as the first
/// message (before auth) and later.
async fn an_over_limit_websocket_message_closes_with_1009(b: Backend) {
    let r = b.start_with(|c| c.ws_max_message_bytes = 1024).await;
    let d = r.create_workspace().await;
    let big = "x".repeat(4096);

    let (mut first, _) = tokio_tungstenite::connect_async(r.ws_url(&d.workspace_id))
        .await
        .unwrap();
    first.send(WsMsg::text(big.clone())).await.unwrap();
    assert_eq!(close_code(&mut first).await, Some(1009));

    let (mut later, _) = tokio_tungstenite::connect_async(r.ws_url(&d.workspace_id))
        .await
        .unwrap();
    later
        .send(WsMsg::text(format!(
            r#"{{"type":"auth","token":"{}"}}"#,
            d.device_token
        )))
        .await
        .unwrap();
    assert_eq!(next_json(&mut later).await.unwrap()["type"], "ready");
    later.send(WsMsg::text(big)).await.unwrap();
    assert_eq!(close_code(&mut later).await, Some(1009));
    r.stop().await;
}

/// Device names cannot hide direction overrides or invisible characters (one device posing as
/// another in the list); every failure of a join secret, an absurdly long one included, is the
/// same 403; a body must be a JSON object, not an array of its fields. Nothing is stored.
async fn names_secrets_and_bodies_are_checked_as_documented(b: Backend) {
    let r = b.start().await;
    let a = r.create_workspace().await;
    let invite = r.join_secret(&a, None).await;
    let before = r.devices(&a).await;
    let join_as = |name: &str| {
        let body = serde_json::json!({
            "workspace_id": a.workspace_id,
            "join_secret": invite.join_secret,
            "device_name": name,
        });
        let req = r.http.post(r.url("/api/v1/join")).json(&body);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    for name in [
        "Ana\u{202E}s tablet",
        "Ana\u{200B}",
        "\u{FEFF}Ana",
        "Ana\u{2066}x\u{2069}",
    ] {
        let (status, v) = join_as(name).await;
        assert_eq!(status, 400, "{name:?}: {v}");
        assert_eq!(v["error"], "bad_request");
    }
    // Names people really type still work (joiners in emoji and Persian are not "invisible").
    let (status, v) = join_as("Ana\u{2019}s tablet \u{1F469}\u{200D}\u{2695}\u{FE0F}").await;
    assert_eq!(status, 201, "{v}");

    let long = "s".repeat(5000);
    let (status, v) = r.join(&a.workspace_id, &long).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("join_rejected")),
        "{v}"
    );

    for (path, body) in [
        (
            "/api/v1/join".to_string(),
            serde_json::json!([a.workspace_id, invite.join_secret]),
        ),
        (
            format!("/api/v1/workspaces/{}/chunks", a.workspace_id),
            serde_json::json!([[{"client_chunk_id":"c","doc_id":"d","kind":"change","ciphertext":"AA=="}]]),
        ),
        (
            format!("/api/v1/workspaces/{}/join-secrets", a.workspace_id),
            serde_json::json!([3600]),
        ),
    ] {
        let resp = r
            .http
            .post(r.url(&path))
            .bearer_auth(&a.device_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap();
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("bad_request")),
            "{path}: {v}"
        );
    }
    let count = |v: &Value| v["devices"].as_array().map_or(0, Vec::len);
    assert_eq!(
        count(&r.devices(&a).await),
        count(&before) + 1,
        "only the plainly named device joined"
    );
    assert_eq!(
        r.pull(&a, 0, 10).await.chunks.len(),
        0,
        "nothing was pushed"
    );
    r.stop().await;
}

/// A push refused before its body arrives (no token: 401) says `Connection: close`, so a client
/// does not send its next request on a connection the relay is about to drop.
async fn a_refused_request_with_an_unread_body_says_connection_close(b: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let r = b.start().await;
    let d = r.create_workspace().await;
    let mut tcp = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/workspaces/{}/chunks HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000\r\nConnection: keep-alive\r\n\r\n",
        d.workspace_id, r.addr
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Read the whole answer: the relay must end it and close (EOF), not leave us waiting.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the relay closes the connection after its answer")
        .unwrap();
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 401"), "{text}");
    assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
    assert!(text.contains("\"error\":\"unauthorized\""), "{text}");
    r.stop().await;
}

/// Reads until the peer closes (EOF or reset); true if that happens within `within`.
async fn closed_within(tcp: &mut tokio::net::TcpStream, within: Duration) -> (bool, String) {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let r = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    (r.is_ok(), String::from_utf8_lossy(&got).into_owned())
}

/// A connection that sends nothing, half a request line, or headers and then only part of its
/// body is closed after the configured time; meanwhile (and after) other clients are served.
async fn silent_and_slow_clients_are_cut_off_while_others_are_served(b: Backend) {
    use tokio::io::AsyncWriteExt;
    let mut r = b
        .start_with(|c| {
            c.header_timeout_secs = 1;
            c.body_timeout_secs = 1;
        })
        .await;
    // The relay closes idle kept-alive connections after the (1 s) header time: a pooled one could
    // be closed just as the client reuses it. Every request of this test opens its own.
    r.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let d = r.create_workspace().await;
    let mut silent = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    half.write_all(b"GET /api/hea").await.unwrap();
    let mut slow_body = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/workspaces/{}/chunks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"chunks\":",
        d.workspace_id, d.device_token
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();

    // Served while those hang.
    let health = r.http.get(r.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // Each is cut off well within the test's patience (timeouts are 1 s; allow 10).
    let (closed, _) = closed_within(&mut silent, Duration::from_secs(10)).await;
    assert!(closed, "a silent connection is closed");
    let (closed, _) = closed_within(&mut half, Duration::from_secs(10)).await;
    assert!(closed, "half a request line is not waited on for ever");
    let (closed, answer) = closed_within(&mut slow_body, Duration::from_secs(10)).await;
    assert!(
        closed,
        "a body that stops arriving ends the request: {answer}"
    );
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "answered with an error: {answer}"
    );
    assert!(
        answer.contains("\"error\""),
        "the error is the API's JSON: {answer}"
    );
    // Nothing from the half-sent push was stored; the relay still serves.
    assert_eq!(r.pull(&d, 0, 10).await.chunks.len(), 0);
    assert_eq!(
        r.http
            .get(r.url("/api/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    r.stop().await;
}

/// One client opening connection after connection (and sending nothing) gets no more than its
/// share; a client from another address is served at once, and the flooder can connect again
/// once its connections are gone.
async fn one_client_flooding_connections_cannot_keep_others_out(b: Backend) {
    let r = b
        .start_with(|c| {
            c.max_connections_per_ip = 8;
            c.max_connections = 64;
            c.header_timeout_secs = 600;
        })
        .await;
    let mut flood = Vec::new();
    for _ in 0..40 {
        flood.push(tokio::net::TcpStream::connect(r.addr).await.unwrap());
    }
    // Beyond the per-IP cap the relay closes new connections at once.
    let mut refused = 0;
    for tcp in flood.iter_mut() {
        if closed_within(tcp, Duration::from_millis(200)).await.0 {
            refused += 1;
        }
    }
    // (The harness's own kept-alive connection from this address may hold one of the 8 places.)
    let held = 40 - refused;
    assert!(
        (7..=8).contains(&held),
        "at most the per-IP cap is held: {held}"
    );

    // Another client (another address) is served while the flood holds its connections.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let resp = other.get(r.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);

    // Once the flooder lets go, it is served again.
    drop(flood);
    let mut served = false;
    for _ in 0..50 {
        let fresh = reqwest::Client::new();
        if let Ok(resp) = fresh.get(r.url("/api/health")).send().await {
            served = resp.status() == 200;
            if served {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served,
        "the flooding address is served again once its connections close"
    );
    r.stop().await;
}

/// PostgreSQL only: when the database drops every relay connection (a restart, a failover, an
/// administrator), the relay answers 503 at worst while it notices, then serves again on fresh
/// connections from its pool, with nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_connections_dropped_by_the_server_are_replaced() {
    if common::pg::skip() {
        eprintln!("TEND_SKIP_POSTGRES=1: skipped");
        return;
    }
    let b = Backend::postgres().await;
    let Backend::Postgres(url) = &b else {
        unreachable!("a PostgreSQL backend")
    };
    let r = b.start().await;
    let d = r.create_workspace().await;
    r.push(&d, &[change("c1", "doc", b"before")]).await;

    let (admin, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert!(!killed.is_empty(), "the relay had connections to drop");
    drop(admin);
    let _ = task.await;

    // Each attempt either fails cleanly (503, the documented JSON) or succeeds; soon they succeed.
    let mut pushed = false;
    for i in 0..50 {
        let (st, v) = r
            .push_raw(&d, &d.workspace_id, &[change("c2", "doc", b"after")])
            .await;
        match st {
            200 => {
                pushed = true;
                break;
            }
            503 => assert_eq!(v["error"], "store_unavailable", "{v}"),
            other => panic!("attempt {i}: {other} {v}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pushed, "the relay serves again on new connections");
    for _ in 0..10 {
        assert_eq!(r.pull(&d, 0, 10).await.chunks.len(), 2);
    }
    r.stop().await;
}
