//! Compaction by devices, against the in-process relay: devices that run core's sync steps
//! (`tend_core::sync::{page, compact}`) as the app does — pull to the head, merge, push changes,
//! then snapshot documents whose log outgrew their snapshot — keep the relay's bytes bounded, lose
//! nothing when they edit while another compacts, and a new device gets snapshot + later changes.

mod common;
#[path = "../../../tests/support/fake_patients.rs"]
mod fake;

use std::collections::HashMap;

use automerge::ChangeHash;
use proptest::prelude::*;
use tend_core::crypto::{self, WorkspaceKey};
use tend_core::sync::{compact, page, RelayLog};
use tend_core::sync_wire::{ChunkKind, DeviceCredentials, PushChunk};
use tend_core::{PatientDoc, PatientId};

use common::{Backend, Relay};

struct Device {
    creds: DeviceCredentials,
    key: WorkspaceKey,
    docs: HashMap<PatientId, PatientDoc>,
    /// Heads the relay has, per document.
    acked: HashMap<PatientId, Vec<ChangeHash>>,
    logs: HashMap<String, RelayLog>,
    cursor: u64,
    compacts: bool,
    pushed: u64,
    snapshots: u64,
    pushed_since_pull: Vec<String>,
    /// Snapshots the relay did not store (a chunk of the document came after the cursor).
    refused: u64,
}

impl Device {
    /// The workspace key, as this device opens and seals chunks with it.
    fn keys(&self) -> tend_core::sync::keys::Keychain {
        tend_core::sync::keys::Keychain::new(&self.creds.workspace_id, Some(self.key.clone()))
    }

    fn new(creds: DeviceCredentials, key: &WorkspaceKey, compacts: bool) -> Self {
        Device {
            creds,
            key: WorkspaceKey::from_bytes(*key.as_bytes()),
            docs: HashMap::new(),
            acked: HashMap::new(),
            logs: HashMap::new(),
            cursor: 0,
            compacts,
            pushed: 0,
            snapshots: 0,
            pushed_since_pull: Vec::new(),
            refused: 0,
        }
    }

    /// Pulls to the head (`more = false`); returns the ciphertext bytes downloaded.
    async fn pull(&mut self, r: &Relay) -> u64 {
        let mut downloaded = 0;
        loop {
            let p = r.pull(&self.creds, self.cursor, 50).await;
            downloaded += p
                .chunks
                .iter()
                .map(|c| c.ciphertext.len() as u64)
                .sum::<u64>();
            let opened = page::open_page(&self.keys(), &self.creds.device_id, p.chunks);
            for (doc_id, bytes) in &opened.relay {
                self.logs.entry(doc_id.clone()).or_default().count(*bytes);
            }
            for s in &opened.set_aside {
                self.logs.entry(s.doc_id.clone()).or_default().set_aside = true;
            }
            for d in opened.docs {
                let Some(id) = d.id.patient().cloned() else {
                    continue;
                };
                let mut existing = self.docs.remove(&id);
                let before = existing.as_mut().map(|d| d.heads()).unwrap_or_default();
                let merged = page::merge_chunks(existing, d.id.as_str(), d.chunks);
                assert!(merged.set_aside.is_empty(), "nothing here is damaged");
                if let Some(mut doc) = merged.doc {
                    let hex =
                        |h: &[ChangeHash]| h.iter().map(|h| h.to_string()).collect::<Vec<_>>();
                    let acked = self.acked.entry(id.clone()).or_default();
                    *acked = page::acked_after_pull(&hex(acked), &before, &doc.heads())
                        .iter()
                        .map(|h| h.parse().unwrap())
                        .collect();
                    self.docs.insert(id, doc);
                }
            }
            self.cursor = p.next_cursor;
            if !p.more {
                self.pushed_since_pull.clear();
                return downloaded;
            }
        }
    }

    /// Pushes every document with local changes; remembers which (they have chunks after the
    /// cursor until the next pull).
    async fn push(&mut self, r: &Relay) {
        let mut chunks = Vec::new();
        let mut heads = Vec::new();
        for (id, doc) in self.docs.iter_mut() {
            let acked = self.acked.get(id).cloned().unwrap_or_default();
            let bytes = doc.save_after(&acked);
            if bytes.is_empty() {
                continue;
            }
            let envelope = crypto::seal(
                &self.key,
                &self.creds.workspace_id,
                id.as_str(),
                ChunkKind::Change,
                &bytes,
            )
            .unwrap();
            self.pushed += 1;
            chunks.push(PushChunk {
                client_chunk_id: format!("{}-{}", self.creds.device_id, self.pushed),
                doc_id: id.to_string(),
                kind: ChunkKind::Change,
                covers_seq: None,
                ciphertext: envelope,
            });
            heads.push((id.clone(), doc.heads()));
        }
        if chunks.is_empty() {
            return;
        }
        r.push(&self.creds, &chunks).await;
        for (id, h) in heads {
            self.pushed_since_pull.push(id.to_string());
            self.acked.insert(id, h);
        }
    }

    /// After a complete pull: a snapshot for every document whose log outgrew it.
    async fn compact(&mut self, r: &Relay) {
        if !self.compacts {
            return;
        }
        let mut chunks = Vec::new();
        let keys = self.keys();
        for (id, doc) in self.docs.iter_mut() {
            let log = self.logs.entry(id.to_string()).or_default();
            if !log.worth_checking() || self.pushed_since_pull.contains(&id.to_string()) {
                continue;
            }
            self.snapshots += 1;
            let chunk = compact::snapshot_chunk(
                &keys,
                id.as_str(),
                &doc.save(),
                self.cursor,
                format!("{}-snap-{}", self.creds.device_id, self.snapshots),
            )
            .unwrap();
            let size = chunk.ciphertext.len() as u64;
            if compact::should_snapshot(log, size) {
                chunks.push(chunk);
            } else {
                log.checked_snapshot = size;
            }
        }
        if !chunks.is_empty() {
            let resp = r.push(&self.creds, &chunks).await;
            self.refused += resp.results.iter().filter(|r| r.stale).count() as u64;
        }
    }

    async fn round(&mut self, r: &Relay) {
        self.pull(r).await;
        self.push(r).await;
        self.compact(r).await;
    }

    fn edit(&mut self, rng: &mut fake::Rng, k: usize) {
        let mut ids: Vec<PatientId> = self.docs.keys().cloned().collect();
        ids.sort();
        let id = rng.pick(&ids).clone();
        let op = fake::op(rng, k);
        let doc = self.docs.get_mut(&id).unwrap();
        // Some generated ops do not apply to every record (an item it does not have): skip those.
        let _ = doc.apply(op, &fake::author(), fake::at(k));
    }

    fn heads(&mut self) -> Vec<(PatientId, Vec<ChangeHash>)> {
        let mut out: Vec<_> = self
            .docs
            .iter_mut()
            .map(|(id, d)| {
                let mut h = d.heads();
                h.sort();
                (id.clone(), h)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

async fn second_device(r: &Relay, a: &DeviceCredentials) -> DeviceCredentials {
    let secret = r.join_secret(a, None).await;
    let (status, body) = r.join(&a.workspace_id, &secret.join_secret).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A year of a caseload's activity: 8 patients, 3 edits a day by one device, a round each day.
/// Returns (live bytes a new device downloads, bytes of one snapshot of every document, the new
/// device's heads equal the writer's).
async fn a_year(compacts: bool) -> (u64, u64, bool) {
    let b = Backend::sqlite();
    let r = b.start().await;
    let a = r.create_workspace().await;
    let key = WorkspaceKey::from_bytes([7; 32]);
    let mut dev = Device::new(a.clone(), &key, compacts);
    let mut rng = fake::Rng::new(0x5eed_2026);
    for _ in 0..8 {
        let (id, doc) = fake::patient(&mut rng);
        dev.docs.insert(id, doc);
    }
    let mut k = 0;
    for _day in 0..365 {
        for _ in 0..3 {
            dev.edit(&mut rng, k);
            k += 1;
        }
        dev.round(&r).await;
    }
    dev.pull(&r).await;
    let snapshots: u64 = dev.docs.values_mut().map(|d| d.save().len() as u64).sum();
    let mut new = Device::new(second_device(&r, &a).await, &key, false);
    let downloaded = new.pull(&r).await;
    let same = new.heads() == dev.heads();
    r.stop().await;
    (downloaded, snapshots, same)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_edits_keeps_the_relays_bytes_bounded() {
    let (compacted, snapshots, same) = a_year(true).await;
    assert!(same, "the new device has every change");
    let (uncompacted, _, same) = a_year(false).await;
    assert!(same);
    eprintln!(
        "a year, 8 patients: live bytes {compacted} with compaction, {uncompacted} without; \
         snapshots {snapshots}"
    );
    // Each document's log is at most about twice its snapshot (it is compacted when it outgrows it;
    // envelopes add a little).
    assert!(
        compacted <= 2 * snapshots + 8 * 2 * compact::MIN_COMPACT_BYTES,
        "{compacted} > 2 × {snapshots}"
    );
    assert!(
        compacted * 3 < uncompacted,
        "compaction saves little: {compacted} vs {uncompacted}"
    );
}

#[derive(Clone, Debug)]
enum Step {
    Edit(bool),
    Pull(bool),
    Push(bool),
    Compact(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => any::<bool>().prop_map(Step::Edit),
        2 => any::<bool>().prop_map(Step::Pull),
        2 => any::<bool>().prop_map(Step::Push),
        2 => any::<bool>().prop_map(Step::Compact),
    ]
}

/// Two devices edit and sync in any interleaving of the steps of their rounds (so one pushes while
/// the other is between its pull and its snapshot); then both finish their rounds, and a new device
/// pulls from 0: all three have every change either made.
async fn two_devices_interleaved(steps: Vec<Step>, seed: u64) {
    let b = Backend::sqlite();
    let r = b.start().await;
    let a_creds = r.create_workspace().await;
    let b_creds = second_device(&r, &a_creds).await;
    let key = WorkspaceKey::from_bytes([3; 32]);
    let mut devs = [
        Device::new(a_creds.clone(), &key, true),
        Device::new(b_creds, &key, true),
    ];
    let mut rng = fake::Rng::new(seed);
    for _ in 0..3 {
        let (id, doc) = fake::patient(&mut rng);
        devs[0].docs.insert(id, doc);
    }
    // Tiny documents would never be worth compacting: grow them first.
    for k in 0..60 {
        devs[0].edit(&mut rng, k);
        if k % 10 == 0 {
            devs[0].round(&r).await;
        }
    }
    devs[0].round(&r).await;
    devs[1].round(&r).await;
    let mut k = 100;
    for s in steps {
        match s {
            Step::Edit(which) => {
                devs[which as usize].edit(&mut rng, k);
                k += 1;
            }
            Step::Pull(which) => {
                devs[which as usize].pull(&r).await;
            }
            Step::Push(which) => devs[which as usize].push(&r).await,
            // Compacts with the cursor of its last complete pull, whatever happened since.
            Step::Compact(which) => devs[which as usize].compact(&r).await,
        }
    }
    for _ in 0..2 {
        for d in devs.iter_mut() {
            d.round(&r).await;
        }
    }
    let mut c = Device::new(second_device(&r, &a_creds).await, &key, false);
    c.pull(&r).await;
    let (ha, hb, hc) = (devs[0].heads(), devs[1].heads(), c.heads());
    assert_eq!(ha, hb, "the two devices converge");
    assert_eq!(
        hc, ha,
        "a new device gets everything: snapshots and later changes"
    );
    r.stop().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn devices_editing_while_another_compacts_lose_nothing(
        steps in prop::collection::vec(step(), 1..40),
        seed in any::<u64>(),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(two_devices_interleaved(steps, seed));
    }
}
