//! What a snapshot chunk's plaintext holds. A snapshot of a patient also carries the patient's
//! caseload summary and the document's heads as the compacting device computed them, so a device
//! that receives the patient for the first time (a new device, or one newly on the care team) can
//! store and list it at once, with no Automerge load: the new-device fast path. The receiving device
//! still recomputes the summary from the document afterwards (settling), so what was carried only
//! stands in until then.
//!
//! Format (PROTOCOL.md "Snapshot plaintext"): either a bare Automerge document (what devices
//! wrote before this format, and the workspace document's snapshots), or
//! `"TSNP" | version (1) | u32 LE length of the document | the document | JSON of [`Carried`]`.
//! An Automerge document starts with its magic bytes, never with `TSNP`, so the two cannot be
//! confused.

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::PatientSummary;

const TAG: &[u8; 4] = b"TSNP";
const VERSION: u8 = 1;
/// Tag, version and the document's length.
const HEADER: usize = 4 + 1 + 4;

/// What a patient's snapshot carries besides its document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    pub summary: PatientSummary,
    /// The document's heads (hex change hashes): what the relay holds of it once the snapshot is
    /// there.
    pub heads: Vec<String>,
}

impl Carried {
    /// The heads, if every one reads as a change hash.
    pub fn change_hashes(&self) -> Option<Vec<ChangeHash>> {
        self.heads.iter().map(|h| h.parse().ok()).collect()
    }
}

/// Why a snapshot's plaintext does not read (the chunk is then set aside like any bad chunk).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("a snapshot of an unknown format version {0}")]
    Version(u8),
    #[error("a snapshot cut short")]
    Truncated,
}

/// A snapshot's plaintext: the saved document, with what it carries (patients only).
pub fn snapshot_plain(doc: &[u8], carried: Option<&Carried>) -> Vec<u8> {
    let Some(carried) = carried else {
        return doc.to_vec();
    };
    // A summary always serialises (plain data); were it ever not to, the bare document stands.
    let Ok(json) = serde_json::to_vec(carried) else {
        return doc.to_vec();
    };
    let Ok(len) = u32::try_from(doc.len()) else {
        return doc.to_vec();
    };
    let mut out = Vec::with_capacity(HEADER + doc.len() + json.len());
    out.extend_from_slice(TAG);
    out.push(VERSION);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(doc);
    out.extend_from_slice(&json);
    out
}

/// Reads a snapshot's plaintext: the document's bytes, and what it carries. Carried data that does
/// not read (a newer summary format, say) is dropped: the document is what counts, and the
/// receiving device computes the summary from it.
pub fn read_snapshot_plain(plain: &[u8]) -> Result<(&[u8], Option<Carried>), SnapshotError> {
    if !plain.starts_with(TAG) {
        return Ok((plain, None));
    }
    let version = *plain.get(4).ok_or(SnapshotError::Truncated)?;
    if version != VERSION {
        return Err(SnapshotError::Version(version));
    }
    let len_bytes: [u8; 4] = plain
        .get(5..HEADER)
        .and_then(|b| b.try_into().ok())
        .ok_or(SnapshotError::Truncated)?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let doc = plain
        .get(HEADER..HEADER.saturating_add(len))
        .ok_or(SnapshotError::Truncated)?;
    let carried = serde_json::from_slice(&plain[HEADER + len..]).ok();
    Ok((doc, carried))
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn carried() -> Carried {
        let id = crate::PatientId::random();
        let name = crate::record::PersonName {
            given: "Rosa".into(),
            family: "Diaz".into(),
        };
        let author = crate::Author {
            user_id: "u1".into(),
            user_name: "Ana Nurse".into(),
            device_id: "d1".into(),
        };
        let mut doc = crate::PatientDoc::create(&id, name, &author, 1).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        Carried {
            summary: doc.summary_on(today).unwrap(),
            heads: doc.heads().iter().map(|h| h.to_string()).collect(),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_snapshot_reads_back_as_written_with_or_without_what_it_carries() {
        let doc = [0x85, 0x6f, 0x4a, 0x83, 1, 2, 3];
        let c = carried();
        let plain = snapshot_plain(&doc, Some(&c));
        assert!(plain.starts_with(b"TSNP"));
        assert_eq!(read_snapshot_plain(&plain), Ok((&doc[..], Some(c.clone()))));
        assert_eq!(c.change_hashes().map(|h| h.len()), Some(1));
        // Bare: the document itself (the workspace document, and snapshots written before).
        assert_eq!(snapshot_plain(&doc, None), doc.to_vec());
        assert_eq!(read_snapshot_plain(&doc), Ok((&doc[..], None)));
        assert_eq!(read_snapshot_plain(&[]), Ok((&[][..], None)));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_damaged_snapshot_is_an_error_and_damaged_carried_data_is_dropped() {
        let doc = [0x85, 0x6f, 0x4a, 0x83, 1, 2, 3];
        let plain = snapshot_plain(&doc, Some(&carried()));
        // Cut anywhere inside the header or the document: an error, never a panic.
        for cut in 4..HEADER + doc.len() {
            assert_eq!(
                read_snapshot_plain(&plain[..cut]),
                Err(SnapshotError::Truncated),
                "{cut}"
            );
        }
        let mut later = plain.clone();
        later[4] = 2;
        assert_eq!(read_snapshot_plain(&later), Err(SnapshotError::Version(2)));
        // Cut inside what it carries: the document stands, the carried data is dropped.
        let cut = &plain[..plain.len() - 3];
        assert_eq!(read_snapshot_plain(cut), Ok((&doc[..], None)));
        // Heads that are not change hashes are not used.
        let mut c = carried();
        c.heads.push("not a hash".into());
        assert_eq!(c.change_hashes(), None);
    }
}
