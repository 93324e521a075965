//! A patient's Automerge document and the typed operations that are the only way to change it.

use automerge::{transaction::CommitOptions, AutoCommit, ChangeHash, LoadOptions, TextEncoding};
use autosurgeon::{hydrate_prop, reconcile};

use crate::author::{Author, ChangeMeta};
use crate::error::DocError;
use crate::ids::PatientId;
use crate::ops::Op;
use crate::record::{PatientRecord, PersonName, SCHEMA_VERSION};
use crate::summary::PatientSummary;

/// Text positions count Unicode scalar values on every platform (the wasm build of automerge
/// would otherwise default to UTF-16), so an edit means the same thing on every device.
const TEXT_ENCODING: TextEncoding = TextEncoding::UnicodeCodePoint;

/// One patient's document. Holds the Automerge state; hands out typed views and typed changes.
#[derive(Debug)]
pub struct PatientDoc {
    pub(crate) doc: AutoCommit,
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
            doc: AutoCommit::new_with_encoding(TEXT_ENCODING),
        };
        // Every section and list is created here, once: if two replicas later created the same
        // container concurrently, one of the two objects (and its items) would lose.
        let record = PatientRecord {
            schema_version: SCHEMA_VERSION,
            id: id.to_string(),
            name,
            created_at: now_ms,
            ..Default::default()
        };
        reconcile(&mut doc.doc, &record)?;
        doc.commit("create_patient", author, now_ms);
        Ok(doc)
    }

    /// Opens a document from its saved bytes (a snapshot, or a snapshot followed by chunks).
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let doc =
            AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(TEXT_ENCODING))
                .map_err(|e| DocError::Corrupt(e.to_string()))?;
        let this = PatientDoc { doc };
        this.check_schema()?;
        Ok(this)
    }

    /// Merges an incremental save (or any set of changes) into this document. Re-applying changes
    /// that are already present is harmless; changes whose dependencies have not arrived yet wait
    /// inside Automerge until they do.
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

    /// The changes after `heads` (what a peer that has `heads` is missing).
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn record(&self) -> Result<PatientRecord, DocError> {
        crate::view::read_record(&self.doc)
    }

    pub fn summary(&self) -> Result<PatientSummary, DocError> {
        self.with_review_flag(PatientSummary::of(&self.record()?))
    }

    /// The summary as of `today` (adds age and overdue flags).
    pub fn summary_on(&self, today: chrono::NaiveDate) -> Result<PatientSummary, DocError> {
        self.with_review_flag(PatientSummary::of_on(&self.record()?, Some(today)))
    }

    /// Clashes live in the document, not the record: flag them so Today can count them from
    /// summaries alone.
    fn with_review_flag(&self, mut summary: PatientSummary) -> Result<PatientSummary, DocError> {
        if self.conflict_count()? > 0 {
            summary
                .flags
                .push(crate::conflicts::NEEDS_REVIEW_FLAG.to_string());
        }
        Ok(summary)
    }

    /// The primary care manager's roster id ("" when unassigned) and the ids of the others on
    /// the care team — read without hydrating the whole record (checked before every edit).
    pub fn care_team(&self) -> (String, Vec<String>) {
        let Ok(profile) = crate::access::resolve(&self.doc, &["profile"]) else {
            return (String::new(), Vec::new());
        };
        let manager: String = hydrate_prop(&self.doc, &profile, "care_manager").unwrap_or_default();
        let team: Vec<crate::record::TeamMember> =
            hydrate_prop(&self.doc, &profile, "team").unwrap_or_default();
        let ids = team
            .into_iter()
            .filter(|m| m.retired.is_none())
            .map(|m| m.person_id)
            .collect();
        (manager, ids)
    }

    /// Typed operation: correct the patient's name.
    pub fn rename(
        &mut self,
        name: PersonName,
        author: &Author,
        now_ms: i64,
    ) -> Result<(), DocError> {
        self.apply(Op::Rename { name }, author, now_ms)
    }

    /// Applies one typed operation as one Automerge change carrying its author and time.
    /// A rejected op leaves the document untouched.
    pub fn apply(&mut self, op: Op, author: &Author, now_ms: i64) -> Result<(), DocError> {
        let name = op.name();
        match self.write(op, author, now_ms) {
            Ok(()) => {
                self.commit(name, author, now_ms);
                Ok(())
            }
            Err(e) => {
                self.doc.rollback();
                Err(e)
            }
        }
    }

    /// Applies several typed operations as ONE change (one form saving several fields): all of
    /// them or, if any is rejected, none. The change's op name lists them joined by '+'.
    pub fn apply_all(
        &mut self,
        ops: Vec<Op>,
        author: &Author,
        now_ms: i64,
    ) -> Result<(), DocError> {
        if ops.len() == 1 {
            if let Some(op) = ops.into_iter().next() {
                return self.apply(op, author, now_ms);
            }
            return Ok(());
        }
        if ops.is_empty() {
            return Ok(());
        }
        let name = ops.iter().map(Op::name).collect::<Vec<_>>().join("+");
        for op in ops {
            if let Err(e) = self.write(op, author, now_ms) {
                self.doc.rollback();
                return Err(e);
            }
        }
        self.commit(&name, author, now_ms);
        Ok(())
    }

    pub(crate) fn commit(&mut self, op: &str, author: &Author, now_ms: i64) {
        let meta = ChangeMeta::new(op, author);
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(meta.encode())
                .with_time(now_ms),
        );
    }

    /// Refuses documents from a newer schema. Only the version is read: hydrating the whole record
    /// here would double the cost of opening a document, and a malformed one still fails (as an
    /// error) in `record()`.
    fn check_schema(&self) -> Result<(), DocError> {
        let version: u64 = hydrate_prop(&self.doc, automerge::ROOT, "schema_version")?;
        if version > SCHEMA_VERSION {
            return Err(DocError::NewerSchema {
                found: version,
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

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
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

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn empty_name_is_rejected() {
        let err = PatientDoc::create(&PatientId::random(), name(" ", ""), &author(), 0);
        assert!(matches!(err, Err(DocError::Invalid(_))));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
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

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
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
