use std::collections::HashMap;

use tend_wire::keys::{DeviceSecret, DocKeyState, KeyUpdate};
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::record::{PersonRole, Stamp};
use crate::sync::keys::{open_ring, senders, Keychain, ThisDevice};
use crate::workspace::{DeviceLink, Person, WorkspaceRecord};
use crate::WORKSPACE_DOC_ID;

const WS: &str = "0123456789abcdef0123456789abcdef";

/// A workspace: Ana (care manager, devices 0 and 1), Ben (care manager, device 2), Sue
/// (supervisor, device 3).
struct Team {
    devices: Vec<ThisDevice>,
    roster: WorkspaceRecord,
}

fn team() -> Team {
    let devices: Vec<ThisDevice> = (0..4)
        .map(|i| ThisDevice {
            device_id: format!("relay-{i}"),
            secret: DeviceSecret::generate().unwrap(),
        })
        .collect();
    let mut roster = WorkspaceRecord::default();
    for (id, role) in [
        ("ana", PersonRole::CareManager),
        ("ben", PersonRole::CareManager),
        ("sue", PersonRole::Supervisor),
    ] {
        roster.people.insert(
            id.into(),
            Person {
                id: id.into(),
                name: id.into(),
                role,
                active: true,
                ..Default::default()
            },
        );
    }
    for (i, owner) in ["ana", "ana", "ben", "sue"].iter().enumerate() {
        roster.devices.insert(
            format!("local-{i}"),
            DeviceLink {
                device_id: format!("local-{i}"),
                person_id: owner.to_string(),
                relay_id: devices[i].device_id.clone(),
                public_key: devices[i].public_key().to_base64(),
                ..Default::default()
            },
        );
    }
    Team { devices, roster }
}

fn patient(id: &str, care_manager: &str, team: &[&str], unsynced: bool) -> HeldDoc {
    HeldDoc {
        doc_id: id.into(),
        care: Some((
            care_manager.into(),
            team.iter().map(|t| t.to_string()).collect(),
        )),
        unsynced,
    }
}

/// Runs the key step as device `i` and applies what it sends, as the relay would.
fn step_as(
    t: &Team,
    i: usize,
    held: &[HeldDoc],
    relay: &mut HashMap<String, DocKeyState>,
) -> Vec<KeyAction> {
    let me = &t.devices[i];
    let directory = senders(&t.roster);
    let (chain, problems) = Keychain::open_all(WS, None, relay, me, &directory);
    assert!(problems.is_empty(), "{problems:?}");
    let actions = key_step(held, relay, &chain, me, &t.roster).unwrap();
    for a in &actions {
        if let KeyAction::Send { doc_id, update, .. } = a {
            relay
                .entry(doc_id.clone())
                .or_default()
                .apply(&me.device_id, update)
                .unwrap();
        }
    }
    actions
}

fn readers(relay: &HashMap<String, DocKeyState>, doc: &str) -> Vec<String> {
    relay[doc].readers().map(str::to_owned).collect()
}

fn kinds(actions: &[KeyAction]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            KeyAction::Send {
                doc_id,
                update: KeyUpdate::Grant { .. },
                ..
            } => format!("grant {doc_id}"),
            KeyAction::Send {
                doc_id,
                update: KeyUpdate::Rotate { from, .. },
                ..
            } => format!("rotate {doc_id} from {from}"),
            KeyAction::Drop { doc_id } => format!("drop {doc_id}"),
            KeyAction::KeepUnsynced { doc_id } => format!("keep {doc_id}"),
            KeyAction::NotGiven { doc_id } => format!("not given {doc_id}"),
            KeyAction::Fetch { doc_id } => format!("fetch {doc_id}"),
        })
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_new_patient_s_first_key_goes_to_its_care_team_and_the_leads_and_ben_fetches_when_added() {
    let t = team();
    let mut relay = HashMap::new();
    let p1 = [patient("p1", "ana", &[], true)];
    let actions = step_as(&t, 0, &p1, &mut relay);
    assert_eq!(kinds(&actions), vec!["rotate p1 from 0"]);
    // Ana's two devices and Sue's; not Ben's.
    assert_eq!(readers(&relay, "p1"), vec!["relay-0", "relay-1", "relay-3"]);
    // Nothing more to do, whoever looks.
    assert!(step_as(&t, 0, &p1, &mut relay).is_empty());
    assert!(step_as(&t, 3, &p1, &mut relay).is_empty());
    // Ana's other device reads p1 and does not hold it yet: it fetches it.
    assert_eq!(kinds(&step_as(&t, 1, &[], &mut relay)), vec!["fetch p1"]);
    // Ben joins the care team: the next reader to sync grants him; then he fetches it.
    let with_ben = [patient("p1", "ana", &["ben"], false)];
    assert_eq!(
        kinds(&step_as(&t, 3, &with_ben, &mut relay)),
        vec!["grant p1"]
    );
    assert_eq!(kinds(&step_as(&t, 2, &[], &mut relay)), vec!["fetch p1"]);
    let (ring, problem) = open_ring(WS, "p1", &relay["p1"], &t.devices[2], &senders(&t.roster));
    assert_eq!((ring.current().map(|(g, _)| g), problem), (Some(1), None));
}

#[wasm_bindgen_test(unsupported = test)]
fn leaving_the_care_team_rotates_and_the_old_device_drops_what_it_has_pushed_only() {
    let t = team();
    let mut relay = HashMap::new();
    let shared = [
        patient("p1", "ana", &["ben"], false),
        patient("p2", "ana", &["ben"], false),
    ];
    step_as(&t, 0, &shared, &mut relay);
    assert!(readers(&relay, "p1").contains(&"relay-2".to_string()));
    // Ben leaves both care teams; Sue (a lead, a reader) rotates him out of each.
    let without = [
        patient("p1", "ana", &[], false),
        patient("p2", "ana", &[], false),
    ];
    assert_eq!(
        kinds(&step_as(&t, 3, &without, &mut relay)),
        vec!["rotate p1 from 1", "rotate p2 from 1"]
    );
    assert!(!readers(&relay, "p1").contains(&"relay-2".to_string()));
    // Ben's device: p1 has nothing unsent and goes; p2 has a change the relay never got: kept.
    let bens = [
        patient("p1", "ana", &[], false),
        patient("p2", "ana", &[], true),
    ];
    assert_eq!(
        kinds(&step_as(&t, 2, &bens, &mut relay)),
        vec!["drop p1", "keep p2"]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_revoked_device_is_rotated_out_and_never_granted_again() {
    let mut t = team();
    let mut relay = HashMap::new();
    let p1 = [patient("p1", "ana", &[], false)];
    step_as(&t, 0, &p1, &mut relay);
    assert!(readers(&relay, "p1").contains(&"relay-1".to_string()));
    // Ana's second device (a tablet) is lost: Sue revokes it on the roster.
    t.roster.devices.get_mut("local-1").unwrap().revoked = Some(Stamp::default());
    // Owed, and shown to leads, until a reader rotates.
    let p2 = patient("p2", "ben", &[], false);
    let held = [p1[0].clone(), p2];
    assert_eq!(unfinished_rotations(&held, &relay, &t.roster), vec!["p1"]);
    assert_eq!(
        kinds(&step_as(&t, 3, &p1, &mut relay)),
        vec!["rotate p1 from 1"]
    );
    assert!(unfinished_rotations(&held, &relay, &t.roster).is_empty());
    assert_eq!(readers(&relay, "p1"), vec!["relay-0", "relay-3"]);
    assert!(
        step_as(&t, 0, &p1, &mut relay).is_empty(),
        "and no grant back"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_device_rotating_itself_out_waits_for_its_own_changes_to_be_pushed() {
    let t = team();
    let mut relay = HashMap::new();
    step_as(&t, 2, &[patient("p1", "ben", &[], false)], &mut relay);
    assert!(readers(&relay, "p1").contains(&"relay-2".to_string()));
    // Ben hands p1 to Ana, but his last edit is not pushed yet: no rotation this round.
    let handed = patient("p1", "ana", &[], true);
    assert!(step_as(&t, 2, std::slice::from_ref(&handed), &mut relay).is_empty());
    // Once it is pushed, it rotates to Ana's devices and Sue's (Ben himself out).
    let pushed = HeldDoc {
        unsynced: false,
        ..handed
    };
    assert_eq!(
        kinds(&step_as(&t, 2, &[pushed], &mut relay)),
        vec!["rotate p1 from 1"]
    );
    assert_eq!(readers(&relay, "p1"), vec!["relay-0", "relay-1", "relay-3"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn nothing_is_sent_before_the_roster_lists_this_device_s_key_and_keys_never_given_are_said() {
    let mut t = team();
    t.roster.devices.get_mut("local-0").unwrap().public_key = String::new();
    let mut relay = HashMap::new();
    let p1 = [patient("p1", "ana", &[], true)];
    assert!(step_as(&t, 0, &p1, &mut relay).is_empty());
    assert!(relay.is_empty());
    // Sue made p1's keys meanwhile (Ana's device 0 had no published key, so it is not a reader).
    step_as(&t, 3, &p1, &mut relay);
    assert_eq!(
        kinds(&step_as(&t, 0, &p1, &mut relay)),
        vec!["not given p1"]
    );
    // Once its changes are pushed (as they were before keys), a copy it was never given keys
    // for does not stay on the device.
    let synced = [patient("p1", "ana", &[], false)];
    assert_eq!(kinds(&step_as(&t, 0, &synced, &mut relay)), vec!["drop p1"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn the_workspace_document_is_keyed_to_every_device_granted_to_new_ones_and_rotated_on_revocation() {
    let mut t = team();
    let mut relay = HashMap::new();
    let roster = HeldDoc {
        doc_id: WORKSPACE_DOC_ID.into(),
        care: None,
        unsynced: false,
    };
    let held = [roster.clone()];
    // Its first key goes to every device of the roster, care managers and leads alike.
    assert_eq!(
        kinds(&step_as(&t, 2, &held, &mut relay)),
        vec!["rotate workspace from 0"]
    );
    assert_eq!(
        readers(&relay, WORKSPACE_DOC_ID),
        vec!["relay-0", "relay-1", "relay-2", "relay-3"]
    );
    // A new device (joined with the key in its code) links itself: the next device to sync
    // grants it; meanwhile it neither drops the roster nor sends anything.
    let new = ThisDevice {
        device_id: "relay-4".into(),
        secret: DeviceSecret::generate().unwrap(),
    };
    t.roster.devices.insert(
        "local-4".into(),
        DeviceLink {
            device_id: "local-4".into(),
            person_id: "ben".into(),
            relay_id: new.device_id.clone(),
            public_key: new.public_key().to_base64(),
            ..Default::default()
        },
    );
    t.devices.push(new);
    let pending = [HeldDoc {
        unsynced: true,
        ..roster.clone()
    }];
    assert!(step_as(&t, 4, &pending, &mut relay).is_empty());
    assert_eq!(
        kinds(&step_as(&t, 0, &held, &mut relay)),
        vec!["grant workspace"]
    );
    assert!(readers(&relay, WORKSPACE_DOC_ID).contains(&"relay-4".to_string()));
    assert_eq!(
        unfinished_rotations(&held, &relay, &t.roster),
        Vec::<String>::new()
    );
    // A lost tablet revoked: owed, then rotated out by the next device that syncs.
    t.roster.devices.get_mut("local-1").unwrap().revoked = Some(Stamp::default());
    assert_eq!(
        unfinished_rotations(&held, &relay, &t.roster),
        vec![WORKSPACE_DOC_ID]
    );
    assert_eq!(
        kinds(&step_as(&t, 4, &held, &mut relay)),
        vec!["rotate workspace from 1"]
    );
    assert_eq!(
        readers(&relay, WORKSPACE_DOC_ID),
        vec!["relay-0", "relay-2", "relay-3", "relay-4"]
    );
    // The revoked tablet is not a reader any more, and is never told to drop the roster (it
    // cannot reach the relay anyway).
    assert!(step_as(&t, 1, &held, &mut relay).is_empty());
}
