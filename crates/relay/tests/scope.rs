//! Scope: the relay serves a document only to the devices its keys name (PROTOCOL.md "Document keys
//! and scope"), on both stores. The envelopes are real ones, made by tend-core's planner, so each
//! test also checks what a device can and cannot decrypt.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tend_core::sync::keys::{open_ring, plan, Directory, KeyPlan, ThisDevice};
use tend_wire::keys::{DeviceSecret, DocKeyState, KeyError, KeyRing};
use tend_wire::sync_wire::*;
use tokio_tungstenite::tungstenite::Message as WsMsg;

both_stores!(
    a_device_reaches_only_the_documents_its_keys_name,
    scope_follows_grants_and_rotations,
    key_updates_are_checked_against_the_workspace_and_the_rule,
    a_device_is_notified_only_of_what_it_reads,
    the_relay_keeps_no_device_names_and_says_when_each_was_last_seen,
    the_workspace_document_is_every_devices_under_its_current_key,
    a_new_key_for_the_workspace_document_voids_unused_join_secrets,
);

/// A device of the test: its relay credentials and its key pair.
struct Dev {
    creds: DeviceCredentials,
    me: ThisDevice,
}

async fn devices(r: &Relay, n: usize) -> Vec<Dev> {
    let first = r.create_workspace().await;
    let mut out = vec![first];
    for _ in 1..n {
        let secret = r.join_secret(&out[0], None).await;
        let (st, v) = r.join(&out[0].workspace_id, &secret.join_secret).await;
        assert_eq!(st, 201, "{v}");
        out.push(serde_json::from_value(v).unwrap());
    }
    out.into_iter()
        .map(|creds| Dev {
            me: ThisDevice {
                device_id: creds.device_id.clone(),
                secret: DeviceSecret::generate().unwrap(),
            },
            creds,
        })
        .collect()
}

/// The workspace document's directory: every device's public key.
fn directory(devs: &[&Dev]) -> Directory {
    devs.iter()
        .map(|d| (d.me.device_id.clone(), d.me.public_key()))
        .collect()
}

async fn state(r: &Relay, d: &Dev, doc: &str) -> DocKeyState {
    let (st, v) = r.doc_keys_raw(&d.creds, doc).await;
    assert_eq!(st, 200, "{v}");
    DocKeyState::from_response(serde_json::from_value(v).unwrap())
}

async fn ring(r: &Relay, d: &Dev, doc: &str, dir: &Directory) -> KeyRing {
    let s = state(r, d, doc).await;
    let (ring, problem) = open_ring(&d.creds.workspace_id, doc, &s, &d.me, dir);
    assert_eq!(problem, None);
    ring
}

/// `by` plans what makes `wanted` the readers and sends it; returns the status and body.
async fn make_readers(
    r: &Relay,
    by: &Dev,
    doc: &str,
    dir: &Directory,
    wanted: &[&Dev],
) -> (u16, Value) {
    let s = if state_exists(r, by, doc).await {
        state(r, by, doc).await
    } else {
        DocKeyState::default()
    };
    let (ring, _) = open_ring(&by.creds.workspace_id, doc, &s, &by.me, dir);
    match plan(&ring, &s, &by.me, &directory(wanted)).unwrap() {
        KeyPlan::Send { update, .. } => r.keys_raw(&by.creds, &update.to_request(doc)).await,
        KeyPlan::Nothing => panic!("nothing to send"),
    }
}

async fn state_exists(r: &Relay, d: &Dev, doc: &str) -> bool {
    r.doc_keys_raw(&d.creds, doc).await.0 == 200
}

/// A document's keys as `d` learns them from the pull feed alone, and the ring it opens from them.
async fn from_feed(r: &Relay, d: &Dev, doc: &str, dir: &Directory) -> (DocKeyState, KeyRing) {
    let mut known = DocKeyState::default();
    let mut after = 0;
    loop {
        // Small pages: the feed is cut like chunks are.
        let p = r.pull(&d.creds, after, 2).await;
        for k in p.keys.iter().filter(|k| k.doc_id == doc) {
            known.record_change(k, &d.me.device_id);
        }
        after = p.next_cursor;
        if !p.more {
            break;
        }
    }
    let (ring, problem) = open_ring(&d.creds.workspace_id, doc, &known, &d.me, dir);
    assert_eq!(problem, None);
    (known, ring)
}

fn sealed_change(ring: &KeyRing, id: &str, text: &str) -> PushChunk {
    change(
        id,
        ring.doc_id(),
        &ring.seal(ChunkKind::Change, text.as_bytes()).unwrap(),
    )
}

fn docs_of(chunks: &[PulledChunk]) -> Vec<&str> {
    chunks.iter().map(|c| c.doc_id.as_str()).collect()
}

async fn a_device_reaches_only_the_documents_its_keys_name(b: Backend) {
    let r = b.start().await;
    let d = devices(&r, 3).await;
    let (ana, ben, cat) = (&d[0], &d[1], &d[2]);
    let dir = directory(&[ana, ben, cat]);

    // A document from before keys (version 1) is everyone's.
    r.push(&cat.creds, &[change("old", "p0", b"v1 envelope bytes")])
        .await;
    // p1's readers: Ana (who makes the key) and Ben.
    let (st, v) = make_readers(&r, ana, "p1", &dir, &[ben]).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["generation"], 1);
    let anas = ring(&r, ana, "p1", &dir).await;
    r.push(
        &ana.creds,
        &[sealed_change(&anas, "c1", "blood pressure 128/82")],
    )
    .await;
    let head = r.pull(&ana.creds, 0, 100).await.head_seq;

    // Cat is not a reader: her push is refused whole, nothing stored, nothing returned.
    let (st, v) = r
        .push_raw(
            &cat.creds,
            &cat.creds.workspace_id,
            &[
                change("ok-alone", "p0", b"fine"),
                sealed_change(&anas, "c2", "forged by someone who stole a key"),
            ],
        )
        .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("out_of_scope")),
        "{v}"
    );
    let cats = r.pull(&cat.creds, 0, 100).await;
    assert_eq!(cats.head_seq, head, "nothing stored");
    assert_eq!(docs_of(&cats.chunks), vec!["p0"]);
    assert!(cats.keys.is_empty(), "{:?}", cats.keys);
    let (st, v) = r
        .pull_raw(&cat.creds, &cat.creds.workspace_id, "after=0&doc=p1")
        .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("out_of_scope")),
        "{v}"
    );
    assert!(v.get("chunks").is_none());
    let (st, v) = r.doc_keys_raw(&cat.creds, "p1").await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("out_of_scope")),
        "{v}"
    );
    // A document nobody made keys for reads as keyless, to anyone.
    let (st, v) = r.doc_keys_raw(&cat.creds, "p9").await;
    assert_eq!(
        (st, v["generations"].as_array().map(Vec::len)),
        (200, Some(0))
    );

    // Ben reads p1: its chunk, and the key change that made him a reader, in seq order.
    let bens = r.pull(&ben.creds, 0, 100).await;
    assert_eq!(docs_of(&bens.chunks), vec!["p0", "p1"]);
    assert_eq!(
        bens.keys
            .iter()
            .map(|k| (k.doc_id.as_str(), k.generation))
            .collect::<Vec<_>>(),
        vec![("p1", 1)]
    );
    assert!(bens.keys[0].seq < bens.chunks[1].seq);
    let ring_b = ring(&r, ben, "p1", &dir).await;
    assert_eq!(
        ring_b
            .open(ChunkKind::Change, &bens.chunks[1].ciphertext)
            .unwrap(),
        b"blood pressure 128/82"
    );
    // A page of one entry at a time walks chunks and key changes alike, skipping nothing.
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let p = r.pull(&ben.creds, after, 1).await;
        assert!(p.chunks.len() + p.keys.len() <= 1);
        seen.extend(p.chunks.iter().map(|c| c.seq));
        seen.extend(p.keys.iter().map(|k| k.seq));
        after = p.next_cursor;
        if !p.more {
            break;
        }
    }
    let mut all: Vec<u64> = bens.chunks.iter().map(|c| c.seq).collect();
    all.extend(bens.keys.iter().map(|k| k.seq));
    all.sort();
    assert_eq!(seen, all);

    // Once p1 has keys, only version-2 chunks under its current generation are stored.
    let (st, v) = r
        .push_raw(
            &ana.creds,
            &ana.creds.workspace_id,
            &[change("v1", "p1", b"a version-1 envelope")],
        )
        .await;
    assert_eq!((st, v["error"].as_str()), (409, Some("stale_keys")), "{v}");
    r.stop().await;
}

async fn scope_follows_grants_and_rotations(b: Backend) {
    let r = b.start().await;
    let d = devices(&r, 3).await;
    let (ana, ben, cat) = (&d[0], &d[1], &d[2]);
    let dir = directory(&[ana, ben, cat]);
    make_readers(&r, ana, "p1", &dir, &[ana, ben]).await;
    let gen1 = ring(&r, ana, "p1", &dir).await;
    r.push(&ana.creds, &[sealed_change(&gen1, "c1", "first visit")])
        .await;
    let cursor_c = r.pull(&cat.creds, 0, 100).await.next_cursor;

    // Cat joins the care team: Ben (a reader) grants her generation 1.
    let (st, v) = make_readers(&r, ben, "p1", &dir, &[ana, ben, cat]).await;
    assert_eq!((st, v["generation"].as_u64()), (200, Some(1)), "{v}");
    let p = r.pull(&cat.creds, cursor_c, 100).await;
    assert_eq!(p.keys.len(), 1, "the grant tells her");
    assert!(p.chunks.is_empty(), "the chunk is behind her cursor");
    // She fetches what she missed of p1, and reads it.
    let (st, v) = r
        .pull_raw(&cat.creds, &cat.creds.workspace_id, "after=0&doc=p1")
        .await;
    assert_eq!(st, 200, "{v}");
    let missed: PullResponse = serde_json::from_value(v).unwrap();
    assert_eq!(docs_of(&missed.chunks), vec!["p1"]);
    let cats = ring(&r, cat, "p1", &dir).await;
    assert_eq!(
        cats.open(ChunkKind::Change, &missed.chunks[0].ciphertext)
            .unwrap(),
        b"first visit"
    );

    // Ben leaves the care team: Ana rotates him out.
    let cursor_b = r.pull(&ben.creds, 0, 100).await.next_cursor;
    let (st, v) = make_readers(&r, ana, "p1", &dir, &[ana, cat]).await;
    assert_eq!((st, v["generation"].as_u64()), (200, Some(2)), "{v}");
    let gen2 = ring(&r, ana, "p1", &dir).await;
    r.push(&ana.creds, &[sealed_change(&gen2, "c2", "after Ben left")])
        .await;
    // Ben learns he was rotated out (the key change names generation 2), gets no new chunk, and
    // cannot push to p1 any more, with any key he has.
    let p = r.pull(&ben.creds, cursor_b, 100).await;
    assert_eq!(
        p.keys
            .iter()
            .map(|k| (k.doc_id.as_str(), k.generation))
            .collect::<Vec<_>>(),
        vec![("p1", 2)]
    );
    assert!(p.chunks.is_empty(), "{:?}", docs_of(&p.chunks));
    let old = ring(&r, ben, "p1", &dir).await;
    let (st, v) = r
        .push_raw(
            &ben.creds,
            &ben.creds.workspace_id,
            &[sealed_change(&old, "late", "written with the old key")],
        )
        .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("out_of_scope")),
        "{v}"
    );
    // What was written after the rotation, fetched straight from the store, does not open with
    // anything Ben holds; Cat reads both generations.
    let (all, _) = r.pull_all(&ana.creds, 0).await;
    let after_rotation = all
        .iter()
        .find(|c| c.seq == all.last().unwrap().seq)
        .unwrap();
    assert_eq!(
        old.open(ChunkKind::Change, &after_rotation.ciphertext),
        Err(KeyError::MissingKey(2))
    );
    let cats = ring(&r, cat, "p1", &dir).await;
    // What the pull feed alone tells each device is enough: Cat's keys from it equal the stored
    // ones; Ben learns from it that he no longer reads p1.
    let (cat_known, cat_ring) = from_feed(&r, cat, "p1", &dir).await;
    assert_eq!(cat_ring, cats);
    assert_eq!(cat_known.current(), 2);
    assert!(cat_known.is_reader(&cat.me.device_id));
    assert_eq!(cat_known.readers().count(), 2);
    let (ben_known, ben_ring) = from_feed(&r, ben, "p1", &dir).await;
    assert_eq!(ben_known.current(), 2);
    assert!(!ben_known.is_reader(&ben.me.device_id));
    assert_eq!(ben_ring.current().map(|(g, _)| g), Some(1));
    let texts: Vec<Vec<u8>> = all
        .iter()
        .filter(|c| c.doc_id == "p1")
        .map(|c| cats.open(ChunkKind::Change, &c.ciphertext).unwrap())
        .collect();
    assert_eq!(
        texts,
        vec![b"first visit".to_vec(), b"after Ben left".to_vec()]
    );
    // A chunk still sealed under generation 1 is refused, even from a reader.
    let (st, v) = r
        .push_raw(
            &cat.creds,
            &cat.creds.workspace_id,
            &[sealed_change(&gen1, "stale", "old key")],
        )
        .await;
    assert_eq!((st, v["error"].as_str()), (409, Some("stale_keys")), "{v}");
    r.stop().await;
}

async fn key_updates_are_checked_against_the_workspace_and_the_rule(b: Backend) {
    let r = b.start().await;
    let d = devices(&r, 3).await;
    let (ana, ben, cat) = (&d[0], &d[1], &d[2]);
    let dir = directory(&[ana, ben, cat]);
    make_readers(&r, ana, "p1", &dir, &[ana, ben, cat]).await;
    let head = r.pull(&ana.creds, 0, 10).await.head_seq;

    // Two devices rotate Cat out at once from generation 1: the first wins, the second is stale.
    let s = state(&r, ana, "p1").await;
    let wanted = directory(&[ana, ben]);
    let plans: Vec<_> = [ana, ben]
        .iter()
        .map(|dev| {
            let (ring, _) = open_ring(&dev.creds.workspace_id, "p1", &s, &dev.me, &dir);
            match plan(&ring, &s, &dev.me, &wanted).unwrap() {
                KeyPlan::Send { update, .. } => update,
                KeyPlan::Nothing => panic!("a rotation is due"),
            }
        })
        .collect();
    let (st, _) = r.keys_raw(&ana.creds, &plans[0].to_request("p1")).await;
    assert_eq!(st, 200);
    let (st, v) = r.keys_raw(&ben.creds, &plans[1].to_request("p1")).await;
    assert_eq!((st, v["error"].as_str()), (409, Some("stale_keys")), "{v}");
    let s = state(&r, ben, "p1").await;
    assert_eq!(s.current(), 2);
    assert_eq!(s.readers().count(), 2);
    // Ben, planning again from what is stored, has nothing left to do.
    let (ring_b, _) = open_ring(&ben.creds.workspace_id, "p1", &s, &ben.me, &dir);
    assert_eq!(
        plan(&ring_b, &s, &ben.me, &wanted).unwrap(),
        KeyPlan::Nothing
    );

    // Cat, no longer a reader, cannot grant herself back.
    let grant = tend_wire::keys::KeyUpdate::Grant {
        generation: 2,
        envelopes: [(cat.me.device_id.clone(), vec![3; 73])].into(),
    };
    let (st, v) = r.keys_raw(&cat.creds, &grant.to_request("p1")).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("out_of_scope")),
        "{v}"
    );
    // Nobody can grant to a device the workspace does not have, or to a revoked one.
    let unknown = tend_wire::keys::KeyUpdate::Grant {
        generation: 2,
        envelopes: [("0000000000000000ffffffffffffffff".to_string(), vec![3; 73])].into(),
    };
    let (st, v) = r.keys_raw(&ana.creds, &unknown.to_request("p1")).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    assert_eq!(
        r.revoke(&ana.creds, &ana.creds.workspace_id, &cat.creds.device_id)
            .await,
        204
    );
    let (st, v) = r.keys_raw(&ana.creds, &grant.to_request("p1")).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    // Malformed bodies: both kinds, neither, a bad id.
    for body in [
        serde_json::json!({"doc_id": "p1"}),
        serde_json::json!({"doc_id": "p1", "grant": {"generation": 2, "envelopes": []},
                           "rotate": {"from": 2, "envelopes": []}}),
        serde_json::json!({"doc_id": "bad id", "grant": {"generation": 2, "envelopes": []}}),
        serde_json::json!({"doc_id": "p1", "grant": {"generation": 2, "envelopes": [
            {"recipient": "x", "envelope": "%%%"}]}}),
    ] {
        let resp = r
            .http
            .post(r.url(&paths::keys(&ana.creds.workspace_id)))
            .bearer_auth(&ana.creds.device_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{body}");
    }
    // Refused updates took no seq and changed nothing: the head moved once, for the rotation.
    assert_eq!(r.pull(&ana.creds, 0, 10).await.head_seq, head + 1);
    assert_eq!(state(&r, ana, "p1").await, s);
    r.stop().await;
}

type Sock =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(r: &Relay, d: &Dev) -> Sock {
    let (mut s, _) = tokio_tungstenite::connect_async(r.ws_url(&d.creds.workspace_id))
        .await
        .unwrap();
    s.send(WsMsg::text(format!(
        r#"{{"type":"auth","token":"{}"}}"#,
        d.creds.device_token
    )))
    .await
    .unwrap();
    assert_eq!(next_text(&mut s).await["type"], "ready");
    s
}

/// The next JSON text message (pings skipped).
async fn next_text(s: &mut Sock) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .unwrap();
        if let WsMsg::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn a_device_is_notified_only_of_what_it_reads(b: Backend) {
    let r = b.start().await;
    let d = devices(&r, 3).await;
    let (ana, ben, cat) = (&d[0], &d[1], &d[2]);
    let dir = directory(&[ana, ben, cat]);
    let mut cats = socket(&r, cat).await;
    let mut bens = socket(&r, ben).await;
    // p1 is Ana's and Ben's: its key and its chunk wake Ben, not Cat.
    let (_, v) = make_readers(&r, ana, "p1", &dir, &[ben]).await;
    let key_seq = v["seq"].as_u64().unwrap();
    assert_eq!(
        next_text(&mut bens).await,
        serde_json::json!({"type": "new", "seq": key_seq})
    );
    let ring = ring(&r, ana, "p1", &dir).await;
    let p = r
        .push(&ana.creds, &[sealed_change(&ring, "c1", "private")])
        .await;
    assert_eq!(
        next_text(&mut bens).await,
        serde_json::json!({"type": "new", "seq": p.head_seq})
    );
    // A keyless document is everyone's: the first thing Cat hears of is that one.
    let p0 = r
        .push(&ana.creds, &[change("c0", "p0", b"directory")])
        .await;
    assert_eq!(
        next_text(&mut cats).await,
        serde_json::json!({"type": "new", "seq": p0.head_seq})
    );
    assert_eq!(
        next_text(&mut bens).await,
        serde_json::json!({"type": "new", "seq": p0.head_seq})
    );
    // Cat's socket is still alive and had nothing else queued before it.
    cats.send(WsMsg::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(
        next_text(&mut cats).await,
        serde_json::json!({"type": "pong"})
    );
    r.stop().await;
}

async fn the_relay_keeps_no_device_names_and_says_when_each_was_last_seen(b: Backend) {
    let clock = ManualClock::new();
    let r = b.start_clocked(&clock, |_| {}).await;
    let created = r
        .http
        .post(r.url(&paths::create_workspace()))
        .json(&serde_json::json!({"device_name": "Ana's tablet"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let ana: DeviceCredentials = created.json().await.unwrap();
    let secret = r.join_secret(&ana, None).await;
    let joined = r
        .http
        .post(r.url(&paths::join()))
        .json(&serde_json::json!({"workspace_id": ana.workspace_id,
            "join_secret": secret.join_secret, "device_name": "Ben's phone"}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status().as_u16(), 201);
    let ben: DeviceCredentials = joined.json().await.unwrap();
    let list = r.devices(&ana).await;
    let text = list.to_string();
    assert!(
        !text.contains("tablet") && !text.contains("phone"),
        "{text}"
    );
    let seen = |list: &Value, id: &str| {
        list["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device_id"] == id)
            .unwrap()["last_seen"]
            .as_i64()
            .unwrap()
    };
    let ben_at_join = seen(&list, &ben.device_id);
    // An hour later Ben pulls: his "last seen" moves, Ana's (who only listed) moves with her request.
    clock.advance(std::time::Duration::from_secs(3600));
    r.pull(&ben, 0, 10).await;
    let list = r.devices(&ana).await;
    assert_eq!(seen(&list, &ben.device_id), ben_at_join + 3600);
    assert!(seen(&list, &ana.device_id) >= ben_at_join + 3600);
    // Within the minute, requests do not write it again.
    clock.advance(std::time::Duration::from_secs(30));
    r.pull(&ben, 0, 10).await;
    assert_eq!(
        seen(&r.devices(&ana).await, &ben.device_id),
        ben_at_join + 3600
    );
    r.stop().await;
}

async fn the_workspace_document_is_every_devices_under_its_current_key(b: Backend) {
    let r = b.start().await;
    let d = devices(&r, 3).await;
    let (ana, ben, cat) = (&d[0], &d[1], &d[2]);
    let dir = directory(&[ana, ben, cat]);
    let ws = WORKSPACE_DOC_ID;
    // The roster before keys (version 1), then its first key, sealed to Ana and Ben only (Cat
    // joined with a code carrying the key and has no envelope yet).
    r.push(&ana.creds, &[change("r0", ws, b"v1 roster")]).await;
    let (st, v) = make_readers(&r, ana, ws, &dir, &[ben]).await;
    assert_eq!(st, 200, "{v}");
    let anas = ring(&r, ana, ws, &dir).await;
    r.push(&ana.creds, &[sealed_change(&anas, "r1", "Ben joined")])
        .await;
    // A patient's document with keys is still out of Cat's scope.
    let (st, v) = make_readers(&r, ana, "p1", &dir, &[ben]).await;
    assert_eq!(st, 200, "{v}");
    let p1 = ring(&r, ana, "p1", &dir).await;
    r.push(&ana.creds, &[sealed_change(&p1, "c1", "private")])
        .await;

    // Cat pulls the roster (feed and `doc=`), sees its key changes and reads its keys.
    let cats = r.pull(&cat.creds, 0, 100).await;
    assert_eq!(docs_of(&cats.chunks), vec![ws, ws]);
    let seen: Vec<(&str, u32, bool)> = cats
        .keys
        .iter()
        .map(|k| (k.doc_id.as_str(), k.generation, k.mine.is_some()))
        .collect();
    assert_eq!(seen, vec![(ws, 1, false)]);
    let (st, v) = r
        .pull_raw(&cat.creds, &cat.creds.workspace_id, "after=0&doc=workspace")
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["chunks"].as_array().map(Vec::len), Some(2));
    assert_eq!(state(&r, cat, ws).await.current(), 1);
    // With the key its join code carried, Cat opens the roster and pushes to it; under no other.
    let opened = anas
        .open(ChunkKind::Change, &cats.chunks[1].ciphertext)
        .unwrap();
    assert_eq!(opened, b"Ben joined");
    let p = r
        .push(
            &cat.creds,
            &[sealed_change(&anas, "r2", "Cat's device key")],
        )
        .await;
    let (st, v) = r
        .push_raw(
            &cat.creds,
            &cat.creds.workspace_id,
            &[change("r3", ws, b"a version-1 roster change")],
        )
        .await;
    assert_eq!((st, v["error"].as_str()), (409, Some("stale_keys")), "{v}");
    // Ana rotates the roster's key without Ben (revoked, say): Cat's old key no longer pushes,
    // and what Ben sees of the roster is still every chunk, none of which he can open after.
    let mut sock = socket(&r, cat).await;
    let (st, v) = make_readers(&r, ana, ws, &dir, &[cat]).await;
    assert_eq!((st, v["generation"].as_u64()), (200, Some(2)), "{v}");
    assert_eq!(next_text(&mut sock).await["type"], "new", "Cat is told");
    let (st, v) = r
        .push_raw(
            &cat.creds,
            &cat.creds.workspace_id,
            &[sealed_change(&anas, "r4", "under the old key")],
        )
        .await;
    assert_eq!((st, v["error"].as_str()), (409, Some("stale_keys")), "{v}");
    let cat2 = ring(&r, cat, ws, &dir).await;
    assert_eq!(cat2.current().map(|(g, _)| g), Some(2));
    assert!(cat2.get(1).is_some(), "the old key through the link");
    let p2 = r
        .push(
            &cat.creds,
            &[sealed_change(&cat2, "r5", "after the rotation")],
        )
        .await;
    assert!(p2.head_seq > p.head_seq);
    let bens = r.pull(&ben.creds, 0, 100).await;
    let last = bens.chunks.last().unwrap();
    assert_eq!((last.doc_id.as_str(), last.seq), (ws, p2.head_seq));
    let (_, bens_ring) = from_feed(&r, ben, ws, &dir).await;
    assert_eq!(bens_ring.current().map(|(g, _)| g), Some(1));
    assert!(bens_ring.open(ChunkKind::Change, &last.ciphertext).is_err());
    r.stop().await;
}

async fn a_new_key_for_the_workspace_document_voids_unused_join_secrets(b: Backend) {
    let r = b.start().await;
    let d = devices(&r, 2).await;
    let (ana, ben) = (&d[0], &d[1]);
    let dir = directory(&[ana, ben]);
    let ws = WORKSPACE_DOC_ID;
    let at = |g: Option<u32>| CreateJoinSecretRequest {
        ttl_secs: None,
        workspace_generation: g,
    };
    // A code made before the roster has keys.
    let (st, v) = r.join_secret_raw(&ana.creds, &at(None)).await;
    assert_eq!(st, 201, "{v}");
    let before: JoinSecretResponse = serde_json::from_value(v).unwrap();
    let (st, v) = make_readers(&r, ana, ws, &dir, &[ben]).await;
    assert_eq!(st, 200, "{v}");
    // Its code carries no key that can push to the roster: it no longer joins.
    let (st, v) = r.join(&ana.creds.workspace_id, &before.join_secret).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("join_rejected")),
        "{v}"
    );
    // A code must carry the current generation.
    for stale in [None, Some(0), Some(2)] {
        let (st, v) = r.join_secret_raw(&ana.creds, &at(stale)).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (409, Some("stale_keys")),
            "{stale:?}: {v}"
        );
    }
    let (st, v) = r.join_secret_raw(&ana.creds, &at(Some(1))).await;
    assert_eq!(st, 201, "{v}");
    let used: JoinSecretResponse = serde_json::from_value(v).unwrap();
    let (st, v) = r.join_secret_raw(&ben.creds, &at(Some(1))).await;
    assert_eq!(st, 201, "{v}");
    let unused: JoinSecretResponse = serde_json::from_value(v).unwrap();
    let (st, v) = r.join(&ana.creds.workspace_id, &used.join_secret).await;
    assert_eq!(st, 201, "{v}");
    let joined: DeviceCredentials = serde_json::from_value(v).unwrap();
    // A rotation (Ana's device leaves the roster's readers) voids the unused one; the device
    // that joined stays, and sees both changes to the roster's keys.
    let (st, v) = make_readers(&r, ana, ws, &dir, &[ben]).await;
    assert_eq!((st, v["generation"].as_u64()), (200, Some(2)), "{v}");
    let (st, v) = r.join(&ana.creds.workspace_id, &unused.join_secret).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (403, Some("join_rejected")),
        "{v}"
    );
    assert_eq!(r.pull(&joined, 0, 100).await.keys.len(), 2);
    r.stop().await;
}
