use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use tend_wire::keys::{DeviceSecret, DocKeyState, KeyError, KeyRing, KeyUpdateError};
use tend_wire::sync_wire::ChunkKind;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

const WS: &str = "0123456789abcdef0123456789abcdef";
const DOC: &str = "patient-1";

fn devices(n: usize) -> Vec<ThisDevice> {
    (0..n)
        .map(|i| ThisDevice {
            device_id: format!("device-{i}"),
            secret: DeviceSecret::generate().unwrap(),
        })
        .collect()
}

fn directory_of<'a>(devices: impl IntoIterator<Item = &'a ThisDevice>) -> Directory {
    devices
        .into_iter()
        .map(|d| (d.device_id.clone(), d.public_key()))
        .collect()
}

/// Plans as `me` and, if there is something to send, applies it as the relay would.
fn plan_and_send(
    state: &mut DocKeyState,
    me: &ThisDevice,
    directory: &Directory,
    wanted: &Directory,
) -> Result<Option<KeyRing>, KeyUpdateError> {
    let (ring, _) = open_ring(WS, DOC, state, me, directory);
    match plan(&ring, state, me, wanted).unwrap() {
        KeyPlan::Nothing => Ok(None),
        KeyPlan::Send { update, ring } => {
            state.apply(&me.device_id, &update)?;
            Ok(Some(ring))
        }
    }
}

fn ring_of(state: &DocKeyState, me: &ThisDevice, directory: &Directory) -> KeyRing {
    let (ring, problem) = open_ring(WS, DOC, state, me, directory);
    assert_eq!(problem, None, "{} opens its keys", me.device_id);
    ring
}

#[wasm_bindgen_test(unsupported = test)]
fn a_new_document_s_first_key_reaches_every_wanted_device_and_no_other() {
    let d = devices(4);
    let directory = directory_of(&d);
    let wanted = directory_of(&d[1..3]);
    let mut state = DocKeyState::default();
    let mine = plan_and_send(&mut state, &d[0], &directory, &wanted)
        .unwrap()
        .expect("a first key");
    assert_eq!(state.current(), 1);
    // The creator is a reader (it must push the first chunk) with the wanted devices.
    assert_eq!(
        state.readers().collect::<Vec<_>>(),
        vec!["device-0", "device-1", "device-2"]
    );
    let chunk = mine.seal(ChunkKind::Change, b"first visit").unwrap();
    for reader in &d[..3] {
        let ring = ring_of(&state, reader, &directory);
        assert_eq!(
            ring.open(ChunkKind::Change, &chunk).unwrap(),
            b"first visit"
        );
    }
    let (outsider, problem) = open_ring(WS, DOC, &state, &d[3], &directory);
    assert_eq!(problem, None);
    assert_eq!(outsider.current(), None);
    assert_eq!(
        outsider.open(ChunkKind::Change, &chunk),
        Err(KeyError::MissingKey(1))
    );
    // Everyone is where they should be: nothing more to do.
    let again = plan_and_send(&mut state, &d[1], &directory, &directory_of(&d[..3])).unwrap();
    assert_eq!(again, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn an_envelope_from_a_device_the_workspace_does_not_list_is_not_trusted() {
    let d = devices(2);
    let directory = directory_of(&d);
    let mut state = DocKeyState::default();
    plan_and_send(&mut state, &d[0], &directory, &directory).unwrap();
    // Device 1's directory lacks device 0 (say the relay made that envelope up).
    let partial = directory_of(&d[1..]);
    let (ring, problem) = open_ring(WS, DOC, &state, &d[1], &partial);
    assert_eq!(
        problem,
        Some(KeyPlanError::UnknownSender("device-0".into()))
    );
    assert_eq!(ring.current(), None);
    // A directory listing another key for device 0 does not open it either.
    let mut forged = directory.clone();
    forged.insert(
        "device-0".into(),
        DeviceSecret::generate().unwrap().public_key(),
    );
    let (ring, problem) = open_ring(WS, DOC, &state, &d[1], &forged);
    assert_eq!(problem, Some(KeyPlanError::Key(KeyError::Open)));
    assert_eq!(ring.current(), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_grant_adds_a_reader_of_the_current_key_and_a_removal_rotates() {
    let d = devices(4);
    let directory = directory_of(&d);
    let mut state = DocKeyState::default();
    plan_and_send(&mut state, &d[0], &directory, &directory_of(&d[..2])).unwrap();
    let history = ring_of(&state, &d[0], &directory)
        .seal(ChunkKind::Change, b"before")
        .unwrap();

    // Device 2 joins the care team: a grant of generation 1, sealed by device 1 (a reader).
    let wanted = directory_of(&d[..3]);
    assert!(!rotation_pending(&state, &wanted));
    plan_and_send(&mut state, &d[1], &directory, &wanted).unwrap();
    assert_eq!(state.current(), 1);
    assert_eq!(
        state.generations[&1].envelopes["device-2"].sender,
        "device-1"
    );
    assert_eq!(
        ring_of(&state, &d[2], &directory)
            .open(ChunkKind::Change, &history)
            .unwrap(),
        b"before"
    );
    // A device that does not hold the key plans nothing, whatever is wanted.
    let (empty, _) = open_ring(WS, DOC, &state, &d[3], &directory);
    assert_eq!(
        plan(&empty, &state, &d[3], &directory).unwrap(),
        KeyPlan::Nothing
    );

    // Device 0 leaves: rotation to generation 2, readers exactly 1 and 2.
    let wanted = directory_of(&d[1..3]);
    assert!(rotation_pending(&state, &wanted));
    let ring = plan_and_send(&mut state, &d[1], &directory, &wanted)
        .unwrap()
        .unwrap();
    assert!(!rotation_pending(&state, &wanted));
    assert_eq!(state.current(), 2);
    assert_eq!(
        state.readers().collect::<Vec<_>>(),
        vec!["device-1", "device-2"]
    );
    let after = ring.seal(ChunkKind::Change, b"after").unwrap();
    assert_eq!(state.accepts_chunk(&after), Ok(()));
    assert!(
        state.accepts_chunk(&history).is_err(),
        "generation 1 is over"
    );
    for reader in &d[1..3] {
        let ring = ring_of(&state, reader, &directory);
        assert_eq!(ring.open(ChunkKind::Change, &after).unwrap(), b"after");
        assert_eq!(ring.open(ChunkKind::Change, &history).unwrap(), b"before");
    }
    let gone = ring_of(&state, &d[0], &directory);
    assert_eq!(gone.current().map(|(g, _)| g), Some(1));
    assert_eq!(
        gone.open(ChunkKind::Change, &after),
        Err(KeyError::MissingKey(2))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_device_added_after_rotations_reads_all_history_through_the_chain() {
    let d = devices(5);
    let directory = directory_of(&d);
    let mut state = DocKeyState::default();
    let mut written = Vec::new();
    // Generations 1..=3, each after the first removing one device, each with a chunk.
    for (g, readers) in [
        (1u32, &[0, 1, 2, 3][..]),
        (2, &[0, 1, 2][..]),
        (3, &[0, 1][..]),
    ] {
        let wanted = directory_of(readers.iter().map(|i| &d[*i]));
        let ring = plan_and_send(&mut state, &d[0], &directory, &wanted)
            .unwrap()
            .unwrap();
        assert_eq!(state.current(), g);
        let text = format!("under {g}");
        written.push((ring.seal(ChunkKind::Change, text.as_bytes()).unwrap(), text));
    }
    // Device 4 is added now: one envelope (generation 3), and the whole history opens.
    plan_and_send(
        &mut state,
        &d[0],
        &directory,
        &directory_of([&d[0], &d[1], &d[4]]),
    )
    .unwrap();
    assert_eq!(
        state
            .generations
            .iter()
            .filter(|(_, r)| r.envelopes.contains_key("device-4"))
            .count(),
        1
    );
    let ring = ring_of(&state, &d[4], &directory);
    for (sealed, text) in &written {
        assert_eq!(
            ring.open(ChunkKind::Change, sealed).unwrap(),
            text.as_bytes()
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_keychain_seals_a_document_with_keys_under_its_newest_generation_and_the_rest_under_the_workspace_key(
) {
    use tend_wire::crypto::WorkspaceKey;
    let d = devices(1);
    let directory = directory_of(&d);
    let mut state = DocKeyState::default();
    let ring = plan_and_send(&mut state, &d[0], &directory, &directory)
        .unwrap()
        .unwrap();
    let workspace_key = WorkspaceKey::generate().unwrap();
    let mut chain = Keychain::new(WS, Some(workspace_key.clone()));
    chain.insert(ring.clone());
    // Another workspace's ring is not taken.
    chain.insert(KeyRing::new("other", "patient-2"));
    assert!(chain.ring("patient-2").is_none());

    let keyed = chain.seal(DOC, ChunkKind::Change, b"keyed").unwrap();
    assert_eq!(tend_wire::keys::chunk_generation(&keyed), Some(1));
    assert_eq!(
        chain.open(DOC, ChunkKind::Change, &keyed).unwrap(),
        b"keyed"
    );
    let legacy = chain.seal("patient-2", ChunkKind::Change, b"old").unwrap();
    assert_eq!(legacy[0], 1);
    assert_eq!(
        chain.open("patient-2", ChunkKind::Change, &legacy).unwrap(),
        b"old"
    );
    // A version-1 chunk of a document that has keys now (written before) still opens.
    let before =
        tend_wire::crypto::seal(&workspace_key, WS, DOC, ChunkKind::Change, b"before").unwrap();
    assert_eq!(
        chain.open(DOC, ChunkKind::Change, &before).unwrap(),
        b"before"
    );
    // Without the workspace key, only keyed documents seal and open.
    let mut scoped = Keychain::new(WS, None);
    scoped.insert(ring);
    assert_eq!(
        scoped.open(DOC, ChunkKind::Change, &keyed).unwrap(),
        b"keyed"
    );
    assert_eq!(
        scoped.seal("patient-2", ChunkKind::Change, b"x"),
        Err(ChunkKeyError::NoKey("patient-2".into()))
    );
    assert_eq!(
        scoped.open("patient-2", ChunkKind::Change, &keyed),
        Err(ChunkKeyError::NoKey("patient-2".into()))
    );
    assert_eq!(
        scoped.open(DOC, ChunkKind::Change, &[]),
        Err(ChunkKeyError::Empty)
    );
    assert!(scoped.open(DOC, ChunkKind::Snapshot, &keyed).is_err());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_key_given_outside_envelopes_opens_the_history_before_it_and_seals_under_it() {
    // The roster's keys: generation 1 to Ana, then a rotation to generation 2 (still Ana's).
    let d = devices(2);
    let (ana, new) = (&d[0], &d[1]);
    let directory = directory_of(&d[..1]);
    let mut state = DocKeyState::default();
    let first = plan_and_send(&mut state, ana, &directory, &directory)
        .unwrap()
        .unwrap();
    let old_chunk = first.seal(ChunkKind::Change, b"Ana joined").unwrap();
    let mut rotated = state.clone();
    let (ring, _) = open_ring(WS, DOC, &rotated, ana, &directory);
    let KeyPlan::Send { update, ring } = rotate_to(&ring, 1, ring.get(1), ana, &directory).unwrap()
    else {
        panic!("a rotation");
    };
    rotated.apply(&ana.device_id, &update).unwrap();
    let (generation, key) = ring.current().map(|(g, k)| (g, k.clone())).unwrap();
    assert_eq!(generation, 2);
    let new_chunk = ring.seal(ChunkKind::Change, b"Ben joined").unwrap();

    // A new device holds no envelope: given generation 2 (its join code), it opens generation 2
    // at once, and generation 1 once it knows the document's links.
    let mut chain = Keychain::new(WS, None);
    assert_eq!(
        chain.give(DOC, 0, key.clone()),
        Err(KeyError::GenerationZero)
    );
    chain.give(DOC, generation, key.clone()).unwrap();
    assert_eq!(
        chain.open(DOC, ChunkKind::Change, &new_chunk).unwrap(),
        b"Ben joined"
    );
    assert!(chain.open(DOC, ChunkKind::Change, &old_chunk).is_err());
    let states = HashMap::from([(DOC.to_string(), rotated.clone())]);
    assert_eq!(chain.open_states(&states, new, &directory), vec![]);
    assert_eq!(
        chain.open(DOC, ChunkKind::Change, &old_chunk).unwrap(),
        b"Ana joined"
    );
    // It seals under the generation it was given: what the relay takes while it is current.
    let sealed = chain.seal(DOC, ChunkKind::Change, b"my link").unwrap();
    assert_eq!(rotated.accepts_chunk(&sealed), Ok(()));
    assert_eq!(ring.open(ChunkKind::Change, &sealed).unwrap(), b"my link");
    // Without the key, the same device opens neither.
    let (bare, _) = Keychain::open_all(WS, None, &states, new, &directory);
    assert!(bare.open(DOC, ChunkKind::Change, &new_chunk).is_err());
}

#[wasm_bindgen_test(unsupported = test)]
fn rings_are_opened_once_while_their_keys_and_senders_stay_the_same() {
    let d = devices(3);
    let directory = directory_of(&d);
    let mut state = DocKeyState::default();
    plan_and_send(&mut state, &d[0], &directory, &directory_of(&d[1..2]))
        .unwrap()
        .unwrap();
    let states = HashMap::from([(DOC.to_string(), state.clone())]);
    let me = &d[1];
    let mut cache = RingCache::default();
    let opened = |cache: &mut RingCache, states: &HashMap<String, DocKeyState>, dir: &Directory| {
        let mut chain = Keychain::new(WS, None);
        let problems = chain.open_states_cached(states, me, dir, cache);
        (chain.ring(DOC).cloned(), problems)
    };
    let (first, problems) = opened(&mut cache, &states, &directory);
    assert_eq!(problems, vec![]);
    let first = first.unwrap();
    assert_eq!(first.generations().collect::<Vec<_>>(), vec![1]);
    // The cached ring is what the next round uses: marked here, the mark comes back.
    let marked = {
        let (_, ring) = cache.rings.get_mut(DOC).unwrap();
        ring.insert(9, ContentKey::from_bytes([9; 32])).unwrap();
        ring.clone()
    };
    let (again, _) = opened(&mut cache, &states, &directory);
    assert_eq!(again.as_ref(), Some(&marked), "not opened again");
    // A change to the document's keys opens it again.
    let mut rotated = state.clone();
    plan_and_send(&mut rotated, &d[0], &directory, &directory_of(&d[1..3]))
        .unwrap()
        .unwrap();
    let changed = HashMap::from([(DOC.to_string(), rotated)]);
    let (fresh, _) = opened(&mut cache, &changed, &directory);
    assert_eq!(fresh.unwrap().generations().collect::<Vec<_>>(), vec![1, 2]);
    // So does a change of the senders' keys; and a ring that does not open is not kept.
    let (_, _) = opened(&mut cache, &states, &directory);
    cache.rings.get_mut(DOC).unwrap().1 = marked;
    let without_sender = directory_of(&d[1..]);
    let (unopened, problems) = opened(&mut cache, &states, &without_sender);
    assert_eq!(unopened.unwrap().generations().count(), 0);
    assert_eq!(
        problems,
        vec![(
            DOC.to_string(),
            KeyPlanError::UnknownSender(d[0].device_id.clone())
        )]
    );
    assert!(cache.rings.is_empty());
    // Another device's cache is not this one's.
    let (_, _) = opened(&mut cache, &states, &directory);
    let mut other = Keychain::new(WS, None);
    other.open_states_cached(&states, &d[2], &directory, &mut cache);
    assert!(
        other.ring(DOC).unwrap().current().is_none(),
        "d[2] reads nothing of generation 1"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn who_should_read_follows_the_care_team_the_leads_and_revocation() {
    use crate::record::{PersonRole, Stamp};
    use crate::workspace::{DeviceLink, Person, WorkspaceRecord};
    let d = devices(6);
    let mut ws = WorkspaceRecord::default();
    let people = [
        ("ana", PersonRole::CareManager, true),
        ("ben", PersonRole::CareManager, true),
        ("sue", PersonRole::Supervisor, true),
        ("old", PersonRole::CareManager, false),
    ];
    for (id, role, active) in people {
        ws.people.insert(
            id.into(),
            Person {
                id: id.into(),
                name: id.into(),
                role,
                active,
                ..Default::default()
            },
        );
    }
    // Ana has two devices, one of them revoked; Ben, Sue and Old one each; one device never
    // published a key.
    let owners = ["ana", "ana", "ben", "sue", "old", "ben"];
    for (i, (dev, owner)) in d.iter().zip(owners).enumerate() {
        ws.devices.insert(
            format!("local-{i}"),
            DeviceLink {
                device_id: format!("local-{i}"),
                person_id: owner.into(),
                relay_id: dev.device_id.clone(),
                public_key: if i == 5 {
                    String::new()
                } else {
                    dev.public_key().to_base64()
                },
                revoked: (i == 1).then(Stamp::default),
                ..Default::default()
            },
        );
    }
    let ids = |dir: Directory| dir.into_keys().collect::<Vec<_>>();
    let dev = |i: usize| d[i].device_id.clone();
    // Ana's patient: her live device and the supervisor's.
    assert_eq!(ids(patient_readers(&ws, "ana", &[])), vec![dev(0), dev(3)]);
    // With Ben on the care team, his device (the one with a key) too.
    assert_eq!(
        ids(patient_readers(&ws, "ana", &["ben".into()])),
        vec![dev(0), dev(2), dev(3)]
    );
    // Nobody assigned: every active person's devices; never the inactive person's or the revoked one.
    assert_eq!(
        ids(patient_readers(&ws, "", &[])),
        vec![dev(0), dev(2), dev(3)]
    );
    assert_eq!(ids(workspace_readers(&ws)), vec![dev(0), dev(2), dev(3)]);
    // Envelopes from every device with a key still open, the revoked one's included.
    assert_eq!(
        ids(senders(&ws)),
        vec![dev(0), dev(1), dev(2), dev(3), dev(4)]
    );
    assert_eq!(senders(&ws)[&dev(1)], d[1].public_key());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_page_s_key_changes_open_the_keys_of_the_chunks_after_them() {
    use tend_wire::sync_wire::{KeyChange, StoredEnvelope};
    let d = devices(2);
    let directory = directory_of(&d);
    // Device 0 made p1's first key for both; device 1 learns it from a pull page's feed.
    let mut relay = DocKeyState::default();
    let writer = plan_and_send(&mut relay, &d[0], &directory, &directory)
        .unwrap()
        .unwrap();
    let sealed = writer.seal(ChunkKind::Change, b"after the key").unwrap();
    let g1 = &relay.generations[&1];
    let change = KeyChange {
        seq: 5,
        doc_id: DOC.into(),
        generation: 1,
        link: None,
        readers: g1.envelopes.keys().cloned().collect(),
        mine: Some(StoredEnvelope {
            recipient: d[1].device_id.clone(),
            sender: g1.envelopes[&d[1].device_id].sender.clone(),
            envelope: g1.envelopes[&d[1].device_id].envelope.clone(),
        }),
    };
    let mut states = HashMap::new();
    let (mut chain, problems) = Keychain::open_all(WS, None, &states, &d[1], &directory);
    assert!(problems.is_empty());
    assert_eq!(
        chain.open(DOC, ChunkKind::Change, &sealed),
        Err(ChunkKeyError::NoKey(DOC.into()))
    );
    let changed = record_changes(&mut states, &[change.clone(), change], &d[1].device_id);
    assert_eq!(changed, vec![DOC.to_string()]);
    assert_eq!(chain.refresh(DOC, &states[DOC], &d[1], &directory), None);
    assert_eq!(
        chain.open(DOC, ChunkKind::Change, &sealed).unwrap(),
        b"after the key"
    );
    // Next start: the stored states open the same keychain.
    let (again, problems) = Keychain::open_all(WS, None, &states, &d[1], &directory);
    assert!(problems.is_empty());
    assert_eq!(
        again.open(DOC, ChunkKind::Change, &sealed).unwrap(),
        b"after the key"
    );
    // Without the sender in the directory the key is not trusted, and that is said.
    let (_, problems) = Keychain::open_all(WS, None, &states, &d[1], &directory_of(&d[1..]));
    assert_eq!(
        problems,
        vec![(
            DOC.to_string(),
            KeyPlanError::UnknownSender(d[0].device_id.clone())
        )]
    );
}

// ---------------------------------------------------------------------------------------------------
// Properties

/// The current readers sync in turn until one of them has something to send (a rotation or grant).
fn readers_sync(
    state: &mut DocKeyState,
    d: &[ThisDevice],
    directory: &Directory,
    wanted: &Directory,
) {
    for r in state.readers().map(str::to_owned).collect::<Vec<_>>() {
        let Some(me) = d.iter().find(|x| x.device_id == r) else {
            continue;
        };
        if plan_and_send(state, me, directory, wanted)
            .unwrap()
            .is_some()
        {
            break;
        }
    }
}

/// One step of a document's life: who is wanted changes, a reader writes a chunk.
#[derive(Debug, Clone)]
enum Step {
    /// Device `i` (not device 0, the workspace's first admin) leaves; it never comes back.
    Revoke(usize),
    /// Device `i` (if not revoked) joins the readers.
    Add(usize),
    /// Reader number `i` (mod readers) writes a chunk.
    Write(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1usize..6).prop_map(Step::Revoke),
        (0usize..6).prop_map(Step::Add),
        (0usize..6).prop_map(Step::Write),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever happens, once a device is revoked, no chunk accepted after the rotation that followed
    /// opens with anything it ever held: its secret and every key it could reach while it was a reader.
    /// And every remaining reader opens every chunk ever written.
    #[test]
    fn a_revoked_device_s_keys_never_open_what_is_written_after_the_rotation(
        steps in proptest::collection::vec(step(), 1..14),
    ) {
        let d = devices(6);
        let directory = directory_of(&d);
        let mut wanted: BTreeSet<usize> = [0, 1, 2].into();
        let mut revoked: BTreeSet<usize> = BTreeSet::new();
        let mut state = DocKeyState::default();
        // What each device ever held, and what each revoked device held when it was revoked.
        let mut held: BTreeMap<usize, KeyRing> = BTreeMap::new();
        let mut frozen: BTreeMap<usize, KeyRing> = BTreeMap::new();
        // Chunks, and for each the devices revoked before it was written.
        let mut chunks: Vec<(Vec<u8>, String, BTreeSet<usize>)> = Vec::new();
        let want = |w: &BTreeSet<usize>| -> Directory { w.iter().map(|i| (d[*i].device_id.clone(), d[*i].public_key())).collect() };
        plan_and_send(&mut state, &d[0], &directory, &want(&wanted)).unwrap();

        for (n, s) in steps.iter().enumerate() {
            match *s {
                Step::Revoke(i) => {
                    if revoked.insert(i) {
                        wanted.remove(&i);
                        frozen.insert(i, held.get(&i).cloned().unwrap_or_else(|| KeyRing::new(WS, DOC)));
                    }
                }
                Step::Add(i) => {
                    if !revoked.contains(&i) {
                        wanted.insert(i);
                    }
                }
                Step::Write(i) => {
                    // The readers bring the keys up to date first, then one of them writes.
                    readers_sync(&mut state, &d, &directory, &want(&wanted));
                    let readers: Vec<usize> = state
                        .readers()
                        .map(|r| d.iter().position(|x| x.device_id == r).unwrap())
                        .collect();
                    let writer = readers[i % readers.len()];
                    prop_assert!(!revoked.contains(&writer));
                    let ring = ring_of(&state, &d[writer], &directory);
                    let text = format!("chunk {n}");
                    let sealed = ring.seal(ChunkKind::Change, text.as_bytes()).unwrap();
                    prop_assert_eq!(state.accepts_chunk(&sealed), Ok(()));
                    chunks.push((sealed, text, revoked.clone()));
                }
            }
            // Every device remembers every key it can reach now (a revoked one would try to keep them).
            for (i, dev) in d.iter().enumerate() {
                if revoked.contains(&i) {
                    continue;
                }
                let (ring, _) = open_ring(WS, DOC, &state, dev, &directory);
                let entry = held.entry(i).or_insert_with(|| KeyRing::new(WS, DOC));
                for g in ring.generations() {
                    entry.insert(g, ring.get(g).unwrap().clone()).unwrap();
                }
            }
        }

        readers_sync(&mut state, &d, &directory, &want(&wanted));
        for (sealed, text, revoked_before) in &chunks {
            for r in revoked_before {
                // With what it held, and with what it can open from the relay's state today.
                let (now, _) = open_ring(WS, DOC, &state, &d[*r], &directory);
                for ring in [&frozen[r], &now] {
                    prop_assert!(ring.open(ChunkKind::Change, sealed).is_err(), "device {} read {}", r, text);
                }
            }
        }
        for (i, dev) in d.iter().enumerate() {
            if state.is_reader(&dev.device_id) {
                prop_assert!(!revoked.contains(&i), "revoked device {} still a reader", i);
                let ring = ring_of(&state, dev, &directory);
                for (sealed, text, _) in &chunks {
                    prop_assert_eq!(ring.open(ChunkKind::Change, sealed).unwrap(), text.as_bytes().to_vec());
                }
            }
        }
    }

    /// Two admin devices revoke devices at the same time, each planning from its own (possibly
    /// outdated) pull of the relay's key state and from what its copy of the workspace says, in any
    /// interleaving of pulls, sends and the roster reaching the other: they end on one chain whose
    /// readers are exactly the devices neither revoked, and every one of them reads every generation.
    #[test]
    fn concurrent_rotations_by_two_admins_converge(
        revoked_by_a in proptest::collection::btree_set(2usize..7, 0..3),
        revoked_by_b in proptest::collection::btree_set(2usize..7, 0..3),
        order in proptest::collection::vec(0u8..6, 1..16),
    ) {
        let d = devices(7);
        let directory = directory_of(&d);
        let all: BTreeSet<usize> = (0..7).collect();
        let want = |out: &BTreeSet<usize>| -> Directory {
            all.difference(out).map(|i| (d[*i].device_id.clone(), d[*i].public_key())).collect()
        };
        let mut relay = DocKeyState::default();
        plan_and_send(&mut relay, &d[0], &directory, &want(&BTreeSet::new())).unwrap();
        // Each admin (devices 0 and 1): what it pulled of the relay's state, and what it knows is
        // revoked (its own, then the other's once the workspace document reaches it).
        let mut pulled = [relay.clone(), relay.clone()];
        let mut knows = [revoked_by_a.clone(), revoked_by_b.clone()];
        // Plans from what it pulled and sends; the relay refuses a plan made from an outdated pull.
        let send = |admin: usize, pulled: &mut DocKeyState, knows: &BTreeSet<usize>, relay: &mut DocKeyState| {
            let (ring, _) = open_ring(WS, DOC, pulled, &d[admin], &directory);
            if let KeyPlan::Send { update, .. } = plan(&ring, pulled, &d[admin], &want(knows)).unwrap() {
                let before = relay.clone();
                match relay.apply(&d[admin].device_id, &update) {
                    Ok(()) => *pulled = relay.clone(),
                    Err(e) => {
                        assert!(matches!(e, KeyUpdateError::Stale { .. }), "{e:?}");
                        assert_eq!(&before, relay, "a refused update changes nothing");
                    }
                }
            }
        };
        for o in &order {
            match o {
                0 => pulled[0] = relay.clone(),
                1 => pulled[1] = relay.clone(),
                2 => send(0, &mut pulled[0], &knows[0], &mut relay),
                3 => send(1, &mut pulled[1], &knows[1], &mut relay),
                4 => { let b = knows[1].clone(); knows[0].extend(b); }
                _ => { let a = knows[0].clone(); knows[1].extend(a); }
            }
        }
        // Eventually both copies of the workspace merge, and each admin pulls and syncs in turn.
        let merged: BTreeSet<usize> = revoked_by_a.union(&revoked_by_b).copied().collect();
        knows = [merged.clone(), merged.clone()];
        for admin in [0, 1, 0] {
            pulled[admin] = relay.clone();
            send(admin, &mut pulled[admin], &knows[admin], &mut relay);
        }

        let readers: BTreeSet<String> = relay.readers().map(str::to_owned).collect();
        let expected: BTreeSet<String> = want(&merged).into_keys().collect();
        prop_assert_eq!(&readers, &expected);
        prop_assert!(!rotation_pending(&relay, &want(&merged)));
        // Consecutive generations, each (after the first) linked; every remaining device reads all.
        let gens: Vec<u32> = relay.generations.keys().copied().collect();
        prop_assert_eq!(gens, (1..=relay.current()).collect::<Vec<_>>());
        for i in all.difference(&merged) {
            let ring = ring_of(&relay, &d[*i], &directory);
            prop_assert_eq!(ring.generations().collect::<Vec<_>>(), (1..=relay.current()).collect::<Vec<_>>());
        }
        for r in &merged {
            let (ring, _) = open_ring(WS, DOC, &relay, &d[*r], &directory);
            let last = ring.current().map(|(g, _)| g).unwrap_or(0);
            prop_assert!(last < relay.current(), "revoked {} holds the newest key", r);
        }
    }
}
