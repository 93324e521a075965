//! The workspace document: what everyone in a workspace shares, one Automerge document synced
//! end-to-end encrypted like a patient's (id [`crate::ids::WORKSPACE_DOC_ID`]). It holds the
//! community resource directory ([`directory`]).
//!
//! **Invariant:** every device starts the document from the same genesis change (fixed actor,
//! time 0, the same containers), so documents started apart — offline, before a join, or by a
//! build that had none — are one document and merge item by item; no container is ever created
//! twice.

use automerge::{
    transaction::CommitOptions, ActorId, AutoCommit, ChangeHash, LoadOptions, TextEncoding,
};
use autosurgeon::{hydrate_prop, reconcile};

use crate::author::{Author, ChangeMeta};
use crate::error::DocError;

pub mod csv;
pub mod directory;
mod ops;

pub use csv::{
    guess_mapping, import_preview, parse_csv, BadRow, BadRowReason, ColumnMapping, CsvError,
    ImportPreview, Row, Table,
};
pub use directory::{Organisation, ServiceType, WorkspaceRecord};
pub use ops::{OrganisationChanges, WorkspaceOp};

/// The shape of the workspace document this build writes.
pub const WORKSPACE_SCHEMA_VERSION: u64 = 1;

const TEXT_ENCODING: TextEncoding = TextEncoding::UnicodeCodePoint;

/// The actor of the genesis change, the same on every device.
const GENESIS_ACTOR: [u8; 16] = *b"tend-workspace-0";

#[derive(Debug)]
pub struct WorkspaceDoc {
    doc: AutoCommit,
}

impl WorkspaceDoc {
    /// The document as every device starts it: the genesis change only, then a random actor for
    /// this device's own changes.
    pub fn new() -> Self {
        let mut doc =
            AutoCommit::new_with_encoding(TEXT_ENCODING).with_actor(ActorId::from(GENESIS_ACTOR));
        let record = WorkspaceRecord {
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
        Ok(WorkspaceDoc { doc })
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
}
