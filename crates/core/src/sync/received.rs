//! Received changes stored without loading their document: the catch-up fast path.
//!
//! Merging a pull into a patient's stored document used to mean loading it, applying the changes,
//! recomputing its caseload summary and saving — tens of milliseconds per patient in the browser,
//! whatever the size of the change. Automerge changes commute, so a device can instead append the
//! received changes to the document's stored chunks as they are (the document is always loaded
//! from its snapshot plus every chunk) and recompute the summary afterwards ("settling"). What that
//! needs without the document is here: splitting the received bytes into Automerge chunks, checking
//! that each is a well-formed change (checksum included), and the hashes that tell the push side
//! what the relay already has.
//!
//! Architecture invariant: a patient whose stored changes are newer than its summary has a stale
//! marker, written in the transaction that stored them; it is cleared only by writing a summary
//! computed from a load that saw those changes.

use automerge::{Change, ChangeHash};

/// Automerge's chunk magic bytes (every document and change chunk starts with them).
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Magic, 4 checksum bytes, then the chunk type.
const TYPE_AT: usize = 8;
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED_CHANGE: u8 = 2;

/// Why received bytes cannot be stored as plain changes (the caller then merges them the slow way,
/// which sets aside what does not apply).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceivedError {
    #[error("not Automerge data at byte {0}")]
    NotAutomerge(usize),
    #[error("an Automerge chunk is cut short at byte {0}")]
    Truncated(usize),
    #[error("a whole document, not changes (a snapshot)")]
    Document,
    #[error("an Automerge chunk of kind {0} that is not a change")]
    OtherKind(u8),
    #[error("a change does not read: {0}")]
    BadChange(String),
}

/// The hashes of the changes in `bytes` (one or more Automerge change chunks back to back, as
/// `save_after` writes them), each chunk parsed and its checksum checked.
/// A document chunk (a snapshot) or anything malformed is an error: such bytes need the document.
/// No bytes are no changes (an edit that changed nothing saves as nothing).
pub fn change_hashes(bytes: &[u8]) -> Result<Vec<ChangeHash>, ReceivedError> {
    let mut hashes = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = chunk_len(bytes, at)?;
        match bytes[at + TYPE_AT] {
            CHUNK_CHANGE | CHUNK_COMPRESSED_CHANGE => {}
            CHUNK_DOCUMENT => return Err(ReceivedError::Document),
            other => return Err(ReceivedError::OtherKind(other)),
        }
        let change = Change::try_from(&bytes[at..at + len])
            .map_err(|e| ReceivedError::BadChange(e.to_string()))?;
        // Parsing does not check the header's checksum (the first bytes of the change's hash,
        // computed over the uncompressed change for a compressed chunk too): check it here.
        let hash = change.hash();
        if hash.0[..4] != bytes[at + 4..at + TYPE_AT] {
            return Err(ReceivedError::BadChange(
                "its checksum does not match".into(),
            ));
        }
        hashes.push(hash);
        at += len;
    }
    Ok(hashes)
}

/// The whole length (header included) of the chunk starting at `at`.
fn chunk_len(bytes: &[u8], at: usize) -> Result<usize, ReceivedError> {
    let rest = &bytes[at..];
    if rest.len() < TYPE_AT + 2 {
        return Err(if rest.starts_with(&MAGIC[..rest.len().min(4)]) {
            ReceivedError::Truncated(at)
        } else {
            ReceivedError::NotAutomerge(at)
        });
    }
    if rest[..4] != MAGIC {
        return Err(ReceivedError::NotAutomerge(at));
    }
    // The data length: unsigned LEB128 after the type byte.
    let mut data_len: u64 = 0;
    let mut i = TYPE_AT + 1;
    let mut shift = 0u32;
    loop {
        let Some(&b) = rest.get(i) else {
            return Err(ReceivedError::Truncated(at));
        };
        if shift > 56 {
            return Err(ReceivedError::NotAutomerge(at));
        }
        data_len |= u64::from(b & 0x7f) << shift;
        shift += 7;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    let total = usize::try_from(data_len)
        .ok()
        .and_then(|d| d.checked_add(i))
        .ok_or(ReceivedError::Truncated(at))?;
    if total > rest.len() {
        return Err(ReceivedError::Truncated(at));
    }
    Ok(total)
}

/// The acknowledged heads after storing received changes unmerged: what came from the relay is on
/// the relay (with its history), so it joins the acknowledged heads and is never pushed back. The
/// list may name ancestors of one another and changes the document lacks; `save_after` ignores
/// both. Settling a document with no local changes waiting replaces it with the document's heads.
pub fn acked_after_append(acked: &[String], received: &[ChangeHash]) -> Vec<String> {
    let mut out = acked.to_vec();
    for h in received {
        let hex = h.to_string();
        if !out.contains(&hex) {
            out.push(hex);
        }
    }
    out
}

#[cfg(test)]
#[path = "received_tests.rs"]
mod tests;
