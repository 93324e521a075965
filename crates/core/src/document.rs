//! A patient's Automerge document and the typed operations that are the only way to change it.

use automerge::{transaction::CommitOptions, AutoCommit, ChangeHash};
use autosurgeon::{hydrate, reconcile};

use crate::author::{Author, ChangeMeta};
use crate::error::DocError;
use crate::ids::PatientId;
use crate::record::{PatientRecord, PersonName, SCHEMA_VERSION};
use crate::summary::PatientSummary;

/// One patient's document. Holds the Automerge state; hands out typed views and typed changes.
#[derive(Debug)]
pub struct PatientDoc {
    doc: AutoCommit,
}

impl PatientDoc {
    /// A new patient. `now_ms` comes from the caller: core reads no clock.
    pub fn create(
        id: &PatientId,
        name: PersonName,
        author: &Author,
        now_ms: i64,
    ) -> Result<Self, DocError> {
        if name.given.trim().is_empty() && name.family.trim().is_empty() {
            return Err(DocError::Invalid("a patient needs a name".into()));
        }
        let mut doc = PatientDoc {
            doc: AutoCommit::new(),
        };
        let record = PatientRecord {
            schema_version: SCHEMA_VERSION,
            id: id.to_string(),
            name,
            created_at: now_ms,
        };
        reconcile(&mut doc.doc, &record)?;
        doc.commit("create_patient", author, now_ms);
        Ok(doc)
    }

    /// Opens a document from its saved bytes (a snapshot, or a snapshot followed by chunks).
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let doc = AutoCommit::load(bytes).map_err(|e| DocError::Corrupt(e.to_string()))?;
        let this = PatientDoc { doc };
        this.check_schema()?;
        Ok(this)
    }

    /// Merges an incremental save (or any set of changes) into this document. Re-applying changes
    /// that are already present is harmless.
    pub fn apply_changes(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        self.doc
            .load_incremental(bytes)
            .map_err(|e| DocError::Corrupt(e.to_string()))?;
        Ok(())
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made since the previous `save` or `save_incremental` (empty when none).
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn record(&self) -> Result<PatientRecord, DocError> {
        Ok(hydrate(&self.doc)?)
    }

    pub fn summary(&self) -> Result<PatientSummary, DocError> {
        Ok(PatientSummary::of(&self.record()?))
    }

    /// Typed operation: correct the patient's name.
    pub fn rename(
        &mut self,
        name: PersonName,
        author: &Author,
        now_ms: i64,
    ) -> Result<(), DocError> {
        if name.given.trim().is_empty() && name.family.trim().is_empty() {
            return Err(DocError::Invalid("a patient needs a name".into()));
        }
        let mut record = self.record()?;
        record.name = name;
        reconcile(&mut self.doc, &record)?;
        self.commit("rename", author, now_ms);
        Ok(())
    }

    fn commit(&mut self, op: &str, author: &Author, now_ms: i64) {
        let meta = ChangeMeta::new(op, author);
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(meta.encode())
                .with_time(now_ms),
        );
    }

    fn check_schema(&self) -> Result<(), DocError> {
        let record = self.record()?;
        if record.schema_version > SCHEMA_VERSION {
            return Err(DocError::NewerSchema {
                found: record.schema_version,
                known: SCHEMA_VERSION,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author() -> Author {
        Author {
            user_id: "u1".into(),
            user_name: "Ana Nurse".into(),
            device_id: "d1".into(),
        }
    }

    fn name(g: &str, f: &str) -> PersonName {
        PersonName {
            given: g.into(),
            family: f.into(),
        }
    }

    #[test]
    fn create_save_load_round_trip() {
        let id = PatientId::random();
        let mut doc =
            PatientDoc::create(&id, name("Rosa", "Diaz"), &author(), 1_700_000_000_000).unwrap();
        let bytes = doc.save();
        let loaded = PatientDoc::load(&bytes).unwrap();
        let record = loaded.record().unwrap();
        assert_eq!(record.id, id.to_string());
        assert_eq!(record.name.display(), "Diaz, Rosa");
        assert_eq!(loaded.summary().unwrap().display_name, "Diaz, Rosa");
    }

    #[test]
    fn empty_name_is_rejected() {
        let err = PatientDoc::create(&PatientId::random(), name(" ", ""), &author(), 0);
        assert!(matches!(err, Err(DocError::Invalid(_))));
    }

    #[test]
    fn incremental_changes_apply_to_a_snapshot() {
        let id = PatientId::random();
        let mut doc = PatientDoc::create(&id, name("Rosa", "Diaz"), &author(), 1).unwrap();
        let snapshot = doc.save();
        doc.rename(name("Rosa", "Díaz-Ortiz"), &author(), 2)
            .unwrap();
        let chunk = doc.save_incremental();
        assert!(!chunk.is_empty());
        let mut other = PatientDoc::load(&snapshot).unwrap();
        other.apply_changes(&chunk).unwrap();
        other.apply_changes(&chunk).unwrap();
        assert_eq!(other.record().unwrap().name.family, "Díaz-Ortiz");
    }

    #[test]
    fn garbage_and_truncated_bytes_are_errors_not_panics() {
        assert!(PatientDoc::load(b"not automerge").is_err());
        let mut doc =
            PatientDoc::create(&PatientId::random(), name("A", "B"), &author(), 1).unwrap();
        let bytes = doc.save();
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(PatientDoc::load(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
