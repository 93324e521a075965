//! The session in real IndexedDB (headless Chromium): "who I am" is stored and signs later changes;
//! an edit core refuses is `EditError::Rejected` and changes nothing; an edit storage cannot keep
//! is `EditError::NotSaved` and stays in memory.
#![cfg(target_arch = "wasm32")]

#[path = "support/common.rs"]
mod common;

use std::rc::Rc;

use common::{fresh, name};
use leptos::prelude::*;
use tend::lock::control::{LockControl, Screen};
use tend::session::{EditError, IdentityError, OpenDocHandle, SaveState, Session};
use tend::storage::{Storage, StorageError};
use tend_core::{
    author::PersonNameError,
    record::{Medication, PersonRole},
    DocError, Op, PatientId,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn init_executor() {
    leptos::mount::mount_to_body(|| ());
}

fn add_med(id: &str, name: &str) -> Op {
    Op::AddMedication {
        medication: Medication {
            id: id.into(),
            name: name.into(),
            dose: "10 mg".into(),
            ..Default::default()
        },
    }
}

/// A new patient in `session`, opened.
async fn add_and_open(session: &Session) -> (PatientId, OpenDocHandle) {
    let summary = session
        .add_patient(name("Rosa", "Diaz"))
        .await
        .expect("add");
    let id = PatientId::parse(&summary.id).expect("id");
    let open = session.open_patient(&id).await.expect("open patient");
    (id, open)
}

/// A session over a fresh, unkeyed database.
async fn fresh_session(db: &str) -> Session {
    init_executor();
    drop(fresh(db).await);
    Session::open(db).await.expect("open")
}

#[wasm_bindgen_test]
async fn who_i_am_is_asked_once_stored_and_signs_later_changes() {
    let db = "test-session-identity";
    let session = fresh_session(db).await;
    assert_eq!(session.identity.get_untracked(), None, "a new device asks");

    let refused = session.set_identity("   ", PersonRole::Nurse).await;
    assert!(matches!(
        refused,
        Err(IdentityError::Name(PersonNameError::Missing))
    ));
    assert_eq!(session.identity.get_untracked(), None, "nothing stored");

    let me = session
        .set_identity("  Ana   López ", PersonRole::SocialWorker)
        .await
        .expect("identity saved");
    assert_eq!(me.name, "Ana López");

    let (id, open) = add_and_open(&session).await;
    session
        .edit(&open, |doc, author, now| {
            doc.apply(add_med("m1", "Metformin"), author, now)
        })
        .await
        .expect("edit saved");
    drop(open);
    drop(session);

    // Another start on the same device: not asked again, and history names the person.
    let again = Session::open(db).await.expect("reopen");
    let identity = again.identity.get_untracked().expect("remembered");
    assert_eq!(
        (identity.name.as_str(), identity.role),
        ("Ana López", PersonRole::SocialWorker)
    );
    let open = again.open_patient(&id).await.expect("open patient");
    let history = open
        .borrow_mut()
        .doc
        .history("medical/medications/m1/name")
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].by.user_name, "Ana López");
    assert_eq!(history[0].by.user_id, again.author().user_id);
    assert_ne!(
        history[0].by.user_id, history[0].by.device_id,
        "a person id of its own, not the device's"
    );
}

#[wasm_bindgen_test]
async fn a_refused_edit_is_rejected_and_changes_nothing() {
    let db = "test-session-rejected";
    let session = fresh_session(db).await;
    let (_, open) = add_and_open(&session).await;
    let before = open.borrow_mut().doc.heads();

    let result = session
        .edit(&open, |doc, author, now| {
            doc.apply(add_med("m1", "  "), author, now)
        })
        .await;
    let err = match result {
        Err(e @ EditError::Rejected(DocError::Invalid(_))) => e,
        other => panic!("expected Rejected(Invalid), got {other:?}"),
    };
    assert!(
        err.to_string().starts_with("Not allowed:"),
        "the user is told it was not allowed: {err}"
    );
    assert_eq!(open.borrow_mut().doc.heads(), before, "nothing changed");
    assert_ne!(
        session.save_state.get_untracked(),
        SaveState::Saving,
        "no save was started"
    );
}

#[wasm_bindgen_test]
async fn an_edit_storage_cannot_keep_is_not_saved_and_stays_in_memory() {
    init_executor();
    let db = "test-session-not-saved";
    Storage::delete(db).await.expect("delete");
    let storage = Rc::new(Storage::open_locked(db).await.expect("open"));
    let control = LockControl::new(Rc::clone(&storage));
    control.start().await;
    control.set_pin("482915", "482915").await.expect("set PIN");
    let Screen::Unlocked(session) = control.screen().get_untracked() else {
        panic!("expected the app to be unlocked");
    };
    let (_, open) = add_and_open(&session).await;

    // The data key goes away (as when the device locks): storage can write nothing.
    storage.seal().forget();
    let result = session
        .edit(&open, |doc, author, now| {
            doc.apply(add_med("m1", "Metformin"), author, now)
        })
        .await;
    let err = match result {
        Err(e @ EditError::NotSaved(StorageError::Locked)) => e,
        other => panic!("expected NotSaved(Locked), got {other:?}"),
    };
    assert!(err.to_string().starts_with("Not saved:"), "{err}");
    assert!(matches!(
        session.save_state.get_untracked(),
        SaveState::Failed(_)
    ));
    let record = open.borrow().doc.record().expect("record");
    assert_eq!(
        record.medical.medications.len(),
        1,
        "the change is kept in memory for the next save"
    );
}

/// The form pattern's typed validation: an edit form sends only the fields that differ from the
/// record, nothing at all when none does, and a date it cannot read is a message, not an op.
#[wasm_bindgen_test]
fn edit_forms_send_only_what_changed_and_refuse_unreadable_dates() {
    use tend::components::form::{changed, changed_date, edit_of, optional_date};
    use tend_core::record::IsoDate;

    let text = RwSignal::new("  Metformin ".to_string());
    assert_eq!(
        changed(text, "Metformin"),
        None,
        "surrounding spaces are not a change"
    );
    text.set("Metformin XR".into());
    assert_eq!(changed(text, "Metformin"), Some("Metformin XR".into()));

    let day = |s: &str| IsoDate::parse(s).expect("date");
    let due = RwSignal::new(String::new());
    assert_eq!(optional_date(due, "due date"), Ok(None));
    assert_eq!(
        changed_date(due, Some(&day("2026-03-01")), "due date"),
        Ok(None),
        "left empty: kept"
    );
    due.set("2026-03-01".into());
    assert_eq!(
        changed_date(due, Some(&day("2026-03-01")), "due date"),
        Ok(None),
        "same date"
    );
    due.set("2026-04-15".into());
    assert_eq!(
        changed_date(due, Some(&day("2026-03-01")), "due date"),
        Ok(Some(day("2026-04-15")))
    );
    due.set("next week".into());
    assert_eq!(
        optional_date(due, "due date"),
        Err("Enter the due date as a full date.".to_string())
    );

    let nothing = Op::ChangeGoal {
        id: "g1".into(),
        description: None,
        measure: None,
        target: None,
        due: None,
    };
    assert_eq!(
        edit_of(nothing),
        Ok(Vec::new()),
        "no field changed: nothing to save"
    );
    let target = Op::ChangeGoal {
        id: "g1".into(),
        description: None,
        measure: None,
        target: Some("< 130".into()),
        due: None,
    };
    assert_eq!(edit_of(target.clone()), Ok(vec![target]));
}

#[wasm_bindgen_test]
async fn the_device_key_is_made_once_and_its_public_half_goes_on_the_roster() {
    let db = "test-session-device-key";
    let session = fresh_session(db).await;
    session
        .set_identity("Ana López", PersonRole::CareManager)
        .await
        .expect("identity");
    let first = session.device_secret().await.expect("made");
    let again = session.device_secret().await.expect("read");
    assert_eq!(first.public_key(), again.public_key(), "made once");

    session
        .join_roster(false, Some("Ana's tablet".into()), "relay-device-1")
        .await
        .expect("on the roster");
    let record = session
        .workspace_record
        .get_untracked()
        .expect("roster loaded");
    let link = &record.devices[&session.author().device_id];
    assert_eq!(
        (link.relay_id.as_str(), link.name.as_str(), link.key()),
        ("relay-device-1", "Ana's tablet", Some(first.public_key()))
    );
    assert_eq!(link.person_id, session.author().user_id);
    drop(session);

    // A restart reads the same secret: what others sealed to its public key still opens here.
    let reopened = Session::open(db).await.expect("reopen");
    assert_eq!(
        reopened.device_secret().await.expect("stored").public_key(),
        first.public_key()
    );
}
