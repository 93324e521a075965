use super::*;
use wasm_bindgen_test::wasm_bindgen_test;

const WS: &str = "0123456789abcdef0123456789abcdef";
const DOC: &str = "patient-1";

fn place(generation: u32) -> KeyPlace<'static> {
    KeyPlace {
        workspace_id: WS,
        doc_id: DOC,
        generation,
    }
}

struct Device {
    id: &'static str,
    secret: DeviceSecret,
    public: DevicePublicKey,
}

fn device(id: &'static str) -> Device {
    let secret = DeviceSecret::generate().unwrap();
    let public = secret.public_key();
    Device { id, secret, public }
}

impl Device {
    fn party(&self) -> Party<'_> {
        Party {
            device_id: self.id,
            public_key: &self.public,
        }
    }

    fn seal_to(&self, to: &Device, at: KeyPlace<'_>, key: &ContentKey) -> Vec<u8> {
        seal_content_key(&at, self.id, &self.secret, to.party(), key).unwrap()
    }

    fn open_from(
        &self,
        from: &Device,
        at: KeyPlace<'_>,
        env: &[u8],
    ) -> Result<ContentKey, KeyError> {
        open_content_key(&at, from.party(), self.id, &self.secret, env)
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_key_sealed_to_a_device_opens_only_there_only_from_its_sender_only_in_its_place() {
    let (ana, ben, eve) = (device("ana"), device("ben"), device("eve"));
    let key = ContentKey::generate().unwrap();
    let env = ana.seal_to(&ben, place(1), &key);
    assert_eq!(env.len(), aead::OVERHEAD + 32);
    assert_eq!(env[0], KEY_ENVELOPE_FORMAT);
    assert_eq!(ben.open_from(&ana, place(1), &env).unwrap(), key);

    // Not for eve; not from eve; not for another generation, document or workspace.
    assert_eq!(eve.open_from(&ana, place(1), &env), Err(KeyError::Open));
    assert_eq!(ben.open_from(&eve, place(1), &env), Err(KeyError::Open));
    assert_eq!(ben.open_from(&ana, place(2), &env), Err(KeyError::Open));
    let other_doc = KeyPlace {
        doc_id: "patient-2",
        ..place(1)
    };
    assert_eq!(ben.open_from(&ana, other_doc, &env), Err(KeyError::Open));
    let other_ws = KeyPlace {
        workspace_id: "ffffffffffffffffffffffffffffffff",
        ..place(1)
    };
    assert_eq!(ben.open_from(&ana, other_ws, &env), Err(KeyError::Open));
    // The sender's id is bound too: the same key pair under another name does not pass.
    let ana_renamed = Device {
        id: "mallory",
        secret: ana.secret.clone(),
        public: ana.public,
    };
    assert_eq!(
        ben.open_from(&ana_renamed, place(1), &env),
        Err(KeyError::Open)
    );
    // Two seals of one key differ (random nonce), both open.
    let again = ana.seal_to(&ben, place(1), &key);
    assert_ne!(env, again);
    assert_eq!(ben.open_from(&ana, place(1), &again).unwrap(), key);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_device_secret_survives_its_bytes_and_never_shows_in_debug() {
    let d = device("ana");
    let back = DeviceSecret::from_bytes(*d.secret.to_bytes());
    assert_eq!(back.public_key(), d.public);
    assert_eq!(format!("{:?}", d.secret), "DeviceSecret(..)");
    assert_eq!(
        format!("{:?}", ContentKey::generate().unwrap()),
        "ContentKey(..)"
    );
    assert_eq!(
        DevicePublicKey::from_slice(&[1; 31]),
        Err(KeyError::PublicKeyLength(31))
    );
    assert_eq!(
        DevicePublicKey::from_slice(d.public.as_bytes()).unwrap(),
        d.public
    );
    assert_eq!(
        DevicePublicKey::from_base64(&d.public.to_base64()).unwrap(),
        d.public
    );
    assert!(DevicePublicKey::from_base64("not base64!").is_err());
    assert!(DevicePublicKey::from_base64("AAAA").is_err());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_small_order_public_key_is_refused_and_generation_zero_is_no_place() {
    let ana = device("ana");
    let zero = DevicePublicKey::from_bytes([0; 32]);
    let key = ContentKey::generate().unwrap();
    let to = Party {
        device_id: "nobody",
        public_key: &zero,
    };
    assert_eq!(
        seal_content_key(&place(1), ana.id, &ana.secret, to, &key),
        Err(KeyError::WeakPublicKey)
    );
    let ben = device("ben");
    assert_eq!(
        seal_content_key(&place(0), ana.id, &ana.secret, ben.party(), &key),
        Err(KeyError::GenerationZero)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn damaged_envelopes_and_links_are_errors_never_panics() {
    let (ana, ben) = (device("ana"), device("ben"));
    let key = ContentKey::generate().unwrap();
    let env = ana.seal_to(&ben, place(1), &key);
    let newer = ContentKey::generate().unwrap();
    let link = seal_link(&place(2), &newer, &key).unwrap();
    for cut in 0..env.len() {
        assert!(ben.open_from(&ana, place(1), &env[..cut]).is_err());
        assert!(open_link(&place(2), &newer, &link[..cut]).is_err());
    }
    for i in 0..env.len() {
        let mut bad = env.clone();
        bad[i] ^= 0x01;
        assert!(ben.open_from(&ana, place(1), &bad).is_err(), "byte {i}");
        let mut bad = link.clone();
        bad[i] ^= 0x01;
        assert!(open_link(&place(2), &newer, &bad).is_err(), "byte {i}");
    }
    // A link sealed as an envelope's format is not a link, and the reverse.
    assert_eq!(
        ben.open_from(&ana, place(1), &link),
        Err(KeyError::UnknownFormat(KEY_LINK_FORMAT))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_link_opens_the_previous_key_only_with_the_newer_key_of_its_place() {
    let old = ContentKey::generate().unwrap();
    let new = ContentKey::generate().unwrap();
    let link = seal_link(&place(3), &new, &old).unwrap();
    assert_eq!(open_link(&place(3), &new, &link).unwrap(), old);
    assert_eq!(open_link(&place(3), &old, &link), Err(KeyError::Open));
    assert_eq!(open_link(&place(4), &new, &link), Err(KeyError::Open));
    assert_eq!(
        seal_link(&place(1), &new, &old),
        Err(KeyError::LinkGeneration(1))
    );
}

/// A chain of `n` generations and its links.
fn chain(n: u32) -> (Vec<ContentKey>, BTreeMap<u32, Vec<u8>>) {
    let keys: Vec<ContentKey> = (0..n).map(|_| ContentKey::generate().unwrap()).collect();
    let links = (2..=n)
        .map(|g| {
            let i = g as usize - 1;
            (g, seal_link(&place(g), &keys[i], &keys[i - 1]).unwrap())
        })
        .collect();
    (keys, links)
}

#[wasm_bindgen_test(unsupported = test)]
fn the_newest_key_opens_every_chunk_of_history_through_the_links() {
    let (keys, links) = chain(4);
    // A writer that held each generation in turn sealed one chunk under each.
    let mut writer = KeyRing::new(WS, DOC);
    let mut chunks = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        writer.insert(i as u32 + 1, key.clone()).unwrap();
        let text = format!("written under generation {}", i + 1);
        let sealed = writer.seal(ChunkKind::Change, text.as_bytes()).unwrap();
        assert_eq!(chunk_generation(&sealed), Some(i as u32 + 1));
        assert_eq!(sealed.len(), text.len() + CHUNK_V2_OVERHEAD);
        chunks.push((sealed, text));
    }
    // A reader given only generation 4 reads everything after following the links.
    let mut reader = KeyRing::new(WS, DOC);
    reader.insert(4, keys[3].clone()).unwrap();
    assert_eq!(
        reader.open(ChunkKind::Change, &chunks[0].0),
        Err(KeyError::MissingKey(1))
    );
    assert_eq!(reader.unlink(&links), Ok(3));
    assert_eq!(reader.generations().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    for (sealed, text) in &chunks {
        assert_eq!(
            reader.open(ChunkKind::Change, sealed).unwrap(),
            text.as_bytes()
        );
        // Bound to its kind and document.
        assert_eq!(
            reader.open(ChunkKind::Snapshot, sealed),
            Err(KeyError::Open)
        );
        let mut elsewhere = KeyRing::new(WS, "patient-2");
        for g in 1..=4 {
            elsewhere.insert(g, keys[g as usize - 1].clone()).unwrap();
        }
        assert_eq!(
            elsewhere.open(ChunkKind::Change, sealed),
            Err(KeyError::Open)
        );
    }
    // A holder of generation 2 reads 1 and 2 and nothing later: links only point back.
    let mut old = KeyRing::new(WS, DOC);
    old.insert(2, keys[1].clone()).unwrap();
    assert_eq!(old.unlink(&links), Ok(1));
    assert_eq!(
        old.open(ChunkKind::Change, &chunks[2].0),
        Err(KeyError::MissingKey(3))
    );
    assert_eq!(old.current().map(|(g, _)| g), Some(2));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_broken_link_is_reported_and_the_walk_goes_on_below_it() {
    let (keys, mut links) = chain(4);
    links.insert(3, vec![KEY_LINK_FORMAT; 80]);
    let mut ring = KeyRing::new(WS, DOC);
    ring.insert(4, keys[3].clone()).unwrap();
    assert_eq!(ring.unlink(&links), Err(KeyError::Open));
    // Generation 3 came through the good link of 4; 2 did not; nothing else is invented.
    assert_eq!(ring.generations().collect::<Vec<_>>(), vec![3, 4]);
    // With generation 2 held as well (its own envelope), the broken link is not needed any more.
    ring.insert(2, keys[1].clone()).unwrap();
    assert_eq!(ring.unlink(&links), Ok(1));
    assert_eq!(ring.generations().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
}

#[wasm_bindgen_test(unsupported = test)]
fn chunk_envelopes_that_are_not_version_2_or_are_cut_are_errors() {
    let (keys, _) = chain(1);
    let mut ring = KeyRing::new(WS, DOC);
    ring.insert(1, keys[0].clone()).unwrap();
    let sealed = ring.seal(ChunkKind::Snapshot, b"whole document").unwrap();
    for cut in 0..sealed.len() {
        assert!(ring.open(ChunkKind::Snapshot, &sealed[..cut]).is_err());
    }
    assert_eq!(
        ring.open(ChunkKind::Snapshot, &[1, 2, 3]),
        Err(KeyError::UnknownFormat(1))
    );
    assert_eq!(chunk_generation(&[2, 0, 0]), None);
    assert_eq!(
        KeyRing::new(WS, DOC).seal(ChunkKind::Change, b"x"),
        Err(KeyError::MissingKey(1))
    );
    assert_eq!(
        KeyRing::new(WS, DOC).insert(0, keys[0].clone()),
        Err(KeyError::GenerationZero)
    );
}

fn envelopes(readers: &[&str]) -> BTreeMap<String, Vec<u8>> {
    readers
        .iter()
        .map(|r| (r.to_string(), format!("sealed to {r}").into_bytes()))
        .collect()
}

fn readers(state: &DocKeyState) -> Vec<&str> {
    state.readers().collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn the_first_key_is_a_rotation_from_zero_without_a_link() {
    let mut s = DocKeyState::default();
    assert_eq!(s.current(), 0);
    assert!(!s.is_reader("ana"));
    let with_link = KeyUpdate::Rotate {
        from: 0,
        link: Some(vec![1]),
        envelopes: envelopes(&["ana"]),
    };
    assert_eq!(s.apply("ana", &with_link), Err(KeyUpdateError::Link(0)));
    let nobody = KeyUpdate::Rotate {
        from: 0,
        link: None,
        envelopes: BTreeMap::new(),
    };
    assert_eq!(s.apply("ana", &nobody), Err(KeyUpdateError::NoReaders));
    let grant = KeyUpdate::Grant {
        generation: 0,
        envelopes: envelopes(&["ben"]),
    };
    assert_eq!(
        s.apply("ana", &grant),
        Err(KeyUpdateError::Stale { current: 0 })
    );
    assert_eq!(s, DocKeyState::default(), "refused updates change nothing");
    let first = KeyUpdate::Rotate {
        from: 0,
        link: None,
        envelopes: envelopes(&["ana", "ben"]),
    };
    assert!(first.is_first() && !grant.is_first());
    s.apply("ana", &first).unwrap();
    assert_eq!(s.current(), 1);
    assert_eq!(readers(&s), vec!["ana", "ben"]);
    assert_eq!(s.generations[&1].envelopes["ben"].sender, "ana");
}

#[wasm_bindgen_test(unsupported = test)]
fn grants_add_readers_rotations_replace_them_and_a_late_update_is_stale() {
    let mut s = DocKeyState::default();
    s.apply(
        "ana",
        &KeyUpdate::Rotate {
            from: 0,
            link: None,
            envelopes: envelopes(&["ana", "lost"]),
        },
    )
    .unwrap();
    // Only a reader may grant; a repeated grant keeps the first envelope.
    let grant = KeyUpdate::Grant {
        generation: 1,
        envelopes: envelopes(&["ben"]),
    };
    assert_eq!(s.apply("eve", &grant), Err(KeyUpdateError::NotReader));
    s.apply("ana", &grant).unwrap();
    let regrant = KeyUpdate::Grant {
        generation: 1,
        envelopes: [("ben".to_string(), b"other".to_vec())].into(),
    };
    s.apply("lost", &regrant).unwrap();
    assert_eq!(s.generations[&1].envelopes["ben"].sender, "ana");
    assert_eq!(readers(&s), vec!["ana", "ben", "lost"]);

    // Two devices rotate "lost" out at once: the first wins, the second is stale and changes nothing.
    let by_ana = KeyUpdate::Rotate {
        from: 1,
        link: Some(b"link by ana".to_vec()),
        envelopes: envelopes(&["ana", "ben"]),
    };
    let by_ben = KeyUpdate::Rotate {
        from: 1,
        link: Some(b"link by ben".to_vec()),
        envelopes: envelopes(&["ana", "ben"]),
    };
    s.apply("ana", &by_ana).unwrap();
    let before = s.clone();
    assert_eq!(
        s.apply("ben", &by_ben),
        Err(KeyUpdateError::Stale { current: 2 })
    );
    assert_eq!(s, before);
    assert_eq!(readers(&s), vec!["ana", "ben"]);
    assert!(!s.is_reader("lost"));
    assert_eq!(s.links(), [(2, b"link by ana".to_vec())].into());
    // The removed device can no longer grant or rotate; a rotation without a link is refused.
    assert_eq!(
        s.apply(
            "lost",
            &KeyUpdate::Grant {
                generation: 2,
                envelopes: envelopes(&["eve"])
            }
        ),
        Err(KeyUpdateError::NotReader)
    );
    assert_eq!(
        s.apply(
            "ana",
            &KeyUpdate::Rotate {
                from: 2,
                link: None,
                envelopes: envelopes(&["ana"])
            }
        ),
        Err(KeyUpdateError::Link(2))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn once_a_document_has_keys_only_chunks_under_its_current_generation_are_accepted() {
    let mut s = DocKeyState::default();
    let v1 = [1u8; 60];
    let (keys, _) = chain(2);
    let mut ring = KeyRing::new(WS, DOC);
    ring.insert(1, keys[0].clone()).unwrap();
    let under_1 = ring.seal(ChunkKind::Change, b"x").unwrap();
    ring.insert(2, keys[1].clone()).unwrap();
    let under_2 = ring.seal(ChunkKind::Change, b"x").unwrap();
    // No keys yet: a version-1 document takes anything.
    assert_eq!(s.accepts_chunk(&v1), Ok(()));
    s.apply(
        "ana",
        &KeyUpdate::Rotate {
            from: 0,
            link: None,
            envelopes: envelopes(&["ana"]),
        },
    )
    .unwrap();
    assert_eq!(s.accepts_chunk(&under_1), Ok(()));
    assert_eq!(
        s.accepts_chunk(&v1),
        Err(KeyUpdateError::ChunkGeneration {
            sealed: None,
            current: 1
        })
    );
    s.apply(
        "ana",
        &KeyUpdate::Rotate {
            from: 1,
            link: Some(vec![4; 73]),
            envelopes: envelopes(&["ana"]),
        },
    )
    .unwrap();
    assert_eq!(
        s.accepts_chunk(&under_1),
        Err(KeyUpdateError::ChunkGeneration {
            sealed: Some(1),
            current: 2
        })
    );
    assert_eq!(s.accepts_chunk(&under_2), Ok(()));
}

#[wasm_bindgen_test(unsupported = test)]
fn updates_and_states_survive_their_json_bodies() {
    let rotate = KeyUpdate::Rotate {
        from: 1,
        link: Some(vec![4; 73]),
        envelopes: envelopes(&["ana", "ben"]),
    };
    let grant = KeyUpdate::Grant {
        generation: 2,
        envelopes: envelopes(&["eve"]),
    };
    for update in [&rotate, &grant] {
        let json = serde_json::to_string(&update.to_request("p1")).unwrap();
        let back: crate::sync_wire::KeyUpdateRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back.doc_id, "p1");
        assert_eq!(&KeyUpdate::from_request(back).unwrap(), update);
    }
    let first = serde_json::to_value(
        KeyUpdate::Rotate {
            from: 0,
            link: None,
            envelopes: envelopes(&["ana"]),
        }
        .to_request("p1"),
    )
    .unwrap();
    assert_eq!(
        first,
        serde_json::json!({"doc_id": "p1", "rotate": {"from": 0, "envelopes": [
            {"recipient": "ana", "envelope": "c2VhbGVkIHRvIGFuYQ=="}]}})
    );
    let both: crate::sync_wire::KeyUpdateRequest = serde_json::from_value(serde_json::json!({
        "doc_id": "p1",
        "grant": {"generation": 1, "envelopes": []},
        "rotate": {"from": 1, "envelopes": []}}))
    .unwrap();
    assert_eq!(KeyUpdate::from_request(both), Err(KeyBodyError::NotOne));
    let twice: crate::sync_wire::KeyUpdateRequest = serde_json::from_value(serde_json::json!({
        "doc_id": "p1",
        "grant": {"generation": 1, "envelopes": [
            {"recipient": "ana", "envelope": "AA=="}, {"recipient": "ana", "envelope": "AQ=="}]}}))
    .unwrap();
    assert_eq!(
        KeyUpdate::from_request(twice),
        Err(KeyBodyError::TwoEnvelopes("ana".into()))
    );

    let mut state = DocKeyState::default();
    state
        .apply(
            "ana",
            &KeyUpdate::Rotate {
                from: 0,
                link: None,
                envelopes: envelopes(&["ana", "ben"]),
            },
        )
        .unwrap();
    state.apply("ana", &rotate).unwrap();
    let json = serde_json::to_string(&state.to_response("p1")).unwrap();
    let back = DocKeyState::from_response(serde_json::from_str(&json).unwrap());
    assert_eq!(back, state);
    assert!(back.ever_read_by("ben"));
    assert!(!back.ever_read_by("eve"));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_pull_feed_builds_what_a_device_knows_of_a_document_s_keys() {
    use crate::sync_wire::{KeyChange, StoredEnvelope};
    let change =
        |generation, link: Option<Vec<u8>>, readers: &[&str], mine: Option<&str>| KeyChange {
            seq: generation as u64,
            doc_id: DOC.into(),
            generation,
            link,
            readers: readers.iter().map(|r| r.to_string()).collect(),
            mine: mine.map(|recipient| StoredEnvelope {
                recipient: recipient.into(),
                sender: "ana".into(),
                envelope: vec![3; 73],
            }),
        };
    let mut known = DocKeyState::default();
    known.record_change(&change(1, None, &["ana", "ben"], Some("ben")), "ben");
    assert_eq!(known.current(), 1);
    assert!(known.is_reader("ben"));
    assert_eq!(known.generations[&1].envelopes["ben"].envelope, vec![3; 73]);
    // Other readers are known by id only.
    assert!(known.generations[&1].envelopes["ana"].envelope.is_empty());
    // A grant adds a reader; an envelope for someone else is not taken as ours.
    known.record_change(&change(1, None, &["ana", "ben", "cat"], Some("cat")), "ben");
    assert_eq!(readers(&known), vec!["ana", "ben", "cat"]);
    assert_eq!(known.generations[&1].envelopes["ben"].envelope, vec![3; 73]);
    assert!(known.generations[&1].envelopes["cat"].envelope.is_empty());
    // A rotation that leaves Ben out: generation 2, its link, readers without him.
    known.record_change(&change(2, Some(vec![4; 73]), &["ana", "cat"], None), "ben");
    assert_eq!(known.current(), 2);
    assert!(!known.is_reader("ben"));
    assert_eq!(known.links(), [(2, vec![4; 73])].into());
    // Generation 0 is no change.
    known.record_change(&change(0, None, &["eve"], None), "ben");
    assert!(!known.generations.contains_key(&0));
}
