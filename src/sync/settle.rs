//! Settling: a patient whose received changes were appended unmerged (`pull.rs`, core
//! `tend_core::sync::received`) gets its summary recomputed from the stored document, after the
//! sync round, one patient at a time.

use tend_core::{DocId, PatientId, PatientSummary};

use crate::storage::{Storage, StorageError};

/// Loads before giving up on one patient for now when it keeps being saved meanwhile (it stays
/// stale and is settled after the next round).
const TRIES: usize = 5;

/// What settling one patient did.
#[derive(Debug)]
pub enum Settled {
    /// The summary was written (and the patient is no longer stale).
    Summary(PatientSummary),
    /// Saved meanwhile on every try: still stale.
    Busy,
    /// Nothing readable is stored for the patient (what was received was set aside; reported):
    /// nothing to settle.
    Gone,
    /// The record does not read even without the received changes (reported; marker cleared).
    Unreadable,
}

/// Settles one patient. `problems` gets what could not be read: records set aside while loading,
/// or received changes that left the document unreadable (set aside, and the patient settled
/// without them).
pub async fn settle(
    storage: &Storage,
    id: &PatientId,
    today: chrono::NaiveDate,
    problems: &mut Vec<String>,
) -> Result<Settled, StorageError> {
    let doc = DocId::Patient(id.clone());
    for _ in 0..TRIES {
        let stamp = storage.doc_stamp(&doc).await?;
        let mut loaded = match storage.load_patient(id).await {
            Ok(loaded) => loaded,
            Err(StorageError::NotFound(_)) => {
                // Nothing left to settle (what was received did not read and was set aside):
                // the marker goes, or it would be settled again and again.
                storage.clear_stale(&doc).await?;
                problems.push(
                    "A patient's record received from another device could not be read; it was set aside.".into(),
                );
                return Ok(Settled::Gone);
            }
            Err(e) => return Err(e),
        };
        problems.append(&mut loaded.problems);
        match loaded.doc.summary_on(today) {
            Ok(summary) => {
                let heads = loaded.doc.heads().iter().map(|h| h.to_string()).collect();
                if storage.settle_summary(id, &stamp, &summary, heads).await? {
                    return Ok(Settled::Summary(summary));
                }
            }
            Err(e) => {
                let reason = format!("the record did not read with them: {e}");
                match storage.set_aside_received(id, &stamp, &reason).await? {
                    // Saved meanwhile: load again.
                    None => {}
                    Some(0) => {
                        problems.push(format!("A patient's record could not be read ({e})."));
                        return Ok(Settled::Unreadable);
                    }
                    Some(_) => problems.push(format!(
                        "Changes received from another device left a patient's record unreadable ({e}); they were set aside."
                    )),
                }
            }
        }
    }
    Ok(Settled::Busy)
}
