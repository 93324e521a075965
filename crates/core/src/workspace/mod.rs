//! The workspace document: what everyone in a workspace shares, one Automerge document synced
//! end-to-end encrypted like a patient's (id [`crate::ids::WORKSPACE_DOC_ID`]). It holds the
//! community resource directory ([`directory`]) and the team roster ([`roster`]).
//!
//! **Invariant:** every device starts the document from the same genesis change (fixed actor,
//! time 0, the same containers), so documents started apart — offline, before a join, or by a
//! build that had none — are one document and merge item by item; no container is ever created
//! twice. Containers added later (the roster's `people` and `devices`) come the same way: from
//! a fixed upgrade change every build applies ([`roster_upgrade`]), identical on every device.

use automerge::{
    transaction::CommitOptions, ActorId, AutoCommit, ChangeHash, LoadOptions, TextEncoding,
};
use automerge::{transaction::Transactable, ReadDoc};
use autosurgeon::{hydrate_prop, reconcile};

use crate::author::{Author, ChangeMeta};
use crate::error::DocError;

pub mod csv;
pub mod directory;
mod ops;
pub mod roster;

pub use csv::{
    guess_mapping, import_preview, parse_csv, BadRow, BadRowReason, ColumnMapping, CsvError,
    ImportPreview, Row, Table,
};
pub use directory::{Organisation, ServiceType, WorkspaceRecord};
pub use ops::{OrganisationChanges, PersonChanges, WorkspaceOp};
pub use roster::{DeviceLink, Person};

/// The shape of the workspace document this build writes.
pub const WORKSPACE_SCHEMA_VERSION: u64 = 1;

const TEXT_ENCODING: TextEncoding = TextEncoding::UnicodeCodePoint;

/// The actor of the genesis change, the same on every device.
const GENESIS_ACTOR: [u8; 16] = *b"tend-workspace-0";

/// The actor of the roster upgrade change, the same on every device.
const ROSTER_ACTOR: [u8; 16] = *b"tend-workspace-1";

/// What the genesis change wrote, field for field (its bytes must never change: every
/// workspace document ever made starts with it).
#[derive(Default, autosurgeon::Reconcile)]
struct Genesis {
    schema_version: u64,
    organisations: std::collections::BTreeMap<String, Organisation>,
}

fn genesis() -> AutoCommit {
    let mut doc =
        AutoCommit::new_with_encoding(TEXT_ENCODING).with_actor(ActorId::from(GENESIS_ACTOR));
    let record = Genesis {
        schema_version: WORKSPACE_SCHEMA_VERSION,
        ..Default::default()
    };
    // Reconciling a default record into an empty document cannot fail; if it ever did, the
    // document would simply hold fewer containers and `record()` would report its shape.
    let _ = reconcile(&mut doc, &record);
    doc.commit_with(
        CommitOptions::default()
            .with_message("{\"op\":\"create_workspace\",\"user_id\":\"\",\"user_name\":\"\",\"device_id\":\"\"}")
            .with_time(0),
    );
    doc
}

/// The change that adds the roster's containers (`people`, `devices`) on top of the genesis:
/// made the same way on every device (fixed actor, time 0, the genesis as its only dependency),
/// so it is byte-for-byte one change wherever it is made, and applying it twice is a no-op.
pub fn roster_upgrade() -> Vec<u8> {
    let mut doc = genesis();
    let base = doc.get_heads();
    doc.set_actor(ActorId::from(ROSTER_ACTOR));
    let made = doc
        .put_object(automerge::ROOT, "people", automerge::ObjType::Map)
        .and_then(|_| doc.put_object(automerge::ROOT, "devices", automerge::ObjType::Map));
    if made.is_err() {
        return Vec::new();
    }
    doc.commit_with(
        CommitOptions::default()
            .with_message(
                "{\"op\":\"create_roster\",\"user_id\":\"\",\"user_name\":\"\",\"device_id\":\"\"}",
            )
            .with_time(0),
    );
    doc.save_after(&base)
}

#[derive(Debug)]
pub struct WorkspaceDoc {
    doc: AutoCommit,
}

impl WorkspaceDoc {
    /// The document as every device starts it: the genesis change only, then a random actor for
    /// this device's own changes.
    pub fn new() -> Self {
        let mut doc = genesis();
        // The upgrade is made from the genesis alone, so it always applies to it.
        let _ = doc.load_incremental(&roster_upgrade());
        doc.set_actor(ActorId::random());
        WorkspaceDoc { doc }
    }

    /// Opens the document from saved bytes (a snapshot, or a snapshot followed by chunks).
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let doc =
            AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(TEXT_ENCODING))
                .map_err(|e| DocError::Corrupt(e.to_string()))?;
        let version: u64 = hydrate_prop(&doc, automerge::ROOT, "schema_version")?;
        if version > WORKSPACE_SCHEMA_VERSION {
            return Err(DocError::NewerSchema {
                found: version,
                known: WORKSPACE_SCHEMA_VERSION,
            });
        }
        let mut doc = WorkspaceDoc { doc };
        doc.upgrade()?;
        Ok(doc)
    }

    /// Adds the roster upgrade to a document saved before it existed (a no-op once it is there).
    fn upgrade(&mut self) -> Result<(), DocError> {
        if self.doc.get(automerge::ROOT, "people")?.is_none() {
            self.doc
                .load_incremental(&roster_upgrade())
                .map_err(|e| DocError::Corrupt(e.to_string()))?;
        }
        Ok(())
    }

    pub fn apply_changes(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        self.doc
            .load_incremental(bytes)
            .map_err(|e| DocError::Corrupt(e.to_string()))?;
        Ok(())
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn record(&self) -> Result<WorkspaceRecord, DocError> {
        autosurgeon::hydrate(&self.doc).map_err(DocError::from)
    }

    /// Applies typed operations as ONE change (all or none), carrying author and time.
    pub fn apply_all(
        &mut self,
        ops: Vec<WorkspaceOp>,
        author: &Author,
        now_ms: i64,
    ) -> Result<(), DocError> {
        if ops.is_empty() {
            return Ok(());
        }
        let name = ops
            .iter()
            .map(WorkspaceOp::name)
            .collect::<Vec<_>>()
            .join("+");
        for op in ops {
            if let Err(e) = ops::write(&mut self.doc, op, author, now_ms) {
                self.doc.rollback();
                return Err(e);
            }
        }
        let meta = ChangeMeta::new(&name, author);
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(meta.encode())
                .with_time(now_ms),
        );
        Ok(())
    }

    pub fn apply(&mut self, op: WorkspaceOp, author: &Author, now_ms: i64) -> Result<(), DocError> {
        self.apply_all(vec![op], author, now_ms)
    }
}

impl Default for WorkspaceDoc {
    fn default() -> Self {
        Self::new()
    }
}

/// What sync needs of a document, whichever kind it is.
pub trait SyncDoc: Sized {
    fn load(bytes: &[u8]) -> Result<Self, DocError>;
    fn apply_changes(&mut self, bytes: &[u8]) -> Result<(), DocError>;
    fn save(&mut self) -> Vec<u8>;
    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8>;
    fn heads(&mut self) -> Vec<ChangeHash>;
}

macro_rules! sync_doc {
    ($t:ty) => {
        impl SyncDoc for $t {
            fn load(bytes: &[u8]) -> Result<Self, DocError> {
                <$t>::load(bytes)
            }
            fn apply_changes(&mut self, bytes: &[u8]) -> Result<(), DocError> {
                <$t>::apply_changes(self, bytes)
            }
            fn save(&mut self) -> Vec<u8> {
                <$t>::save(self)
            }
            fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
                <$t>::save_after(self, heads)
            }
            fn heads(&mut self) -> Vec<ChangeHash> {
                <$t>::heads(self)
            }
        }
    };
}
sync_doc!(WorkspaceDoc);
sync_doc!(crate::PatientDoc);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_started_apart_share_their_genesis() {
        let mut a = WorkspaceDoc::new();
        let mut b = WorkspaceDoc::new();
        assert_eq!(a.heads(), b.heads());
        assert_eq!(a.heads().len(), 1);
        assert_eq!(
            a.record().map(|r| r.schema_version).ok(),
            Some(WORKSPACE_SCHEMA_VERSION)
        );
    }

    #[test]
    fn the_genesis_never_changes() {
        // Every workspace document in use starts with this change: a build that made another
        // one would fork every device's document from everyone else's.
        let mut doc = genesis();
        assert_eq!(
            doc.get_heads()
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>(),
            ["f519b01799b6465fb9e5452d2c682fef972463ac76871a3ef73601431a132484"]
        );
    }

    #[test]
    fn a_document_from_before_the_roster_gets_the_same_roster_containers() {
        // A document saved by a build without the roster, with a directory edit in it.
        let mut old = genesis();
        old.set_actor(ActorId::random());
        old.put(automerge::ROOT, "note", "x").unwrap();
        old.commit();
        let bytes = old.save();
        let mut upgraded = WorkspaceDoc::load(&bytes).unwrap();
        let mut fresh = WorkspaceDoc::new();
        assert!(upgraded.record().unwrap().people.is_empty());
        // Both hold the one upgrade change: merging them creates no second `people` map.
        let author = crate::Author {
            user_id: "p1".into(),
            user_name: "Ana".into(),
            device_id: "d1".into(),
        };
        fresh
            .apply(
                WorkspaceOp::AddPerson {
                    person: Person {
                        id: "p1".into(),
                        name: "Ana".into(),
                        ..Default::default()
                    },
                },
                &author,
                1,
            )
            .unwrap();
        let other = author.clone();
        upgraded
            .apply(
                WorkspaceOp::AddPerson {
                    person: Person {
                        id: "p2".into(),
                        name: "Ben".into(),
                        ..Default::default()
                    },
                },
                &other,
                2,
            )
            .unwrap();
        let from_fresh = fresh.save();
        upgraded.apply_changes(&from_fresh).unwrap();
        let people = upgraded.record().unwrap().people;
        assert_eq!(people.keys().collect::<Vec<_>>(), ["p1", "p2"]);
    }
}
