//! Document keys and scope, written once and pure (PROTOCOL.md "Document keys and scope"): what a
//! key update writes, given the document's key state read inside the update's transaction, and how
//! a pull page is cut when it carries key changes as well as chunks. Each store reads the inputs and
//! writes the result under the workspace's write lock.
//!
//! Tables (both stores):
//! * `doc_generations(workspace_id, doc_id, generation, link, seq, created_by)` — a document has keys
//!   once it has a row here;
//! * `doc_keys(workspace_id, doc_id, generation, recipient, sender, envelope)` — the sealed keys;
//! * `doc_readers(workspace_id, doc_id, device_id)` — the recipients of the current generation (the
//!   scope), replaced by a rotation, added to by a grant;
//! * `key_log(workspace_id, seq, doc_id, generation)` — each update's place in the workspace's seq.

use tend_wire::keys::{DocKeyState, KeyUpdate};

use super::{Result, StoreError};

/// Most envelopes in one update, and the largest envelope or link (a key envelope is 73 bytes).
pub const MAX_ENVELOPES: usize = 10_000;
pub const MAX_SEALED_KEY_BYTES: usize = 256;

/// Rows a stored key update writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyWrite {
    /// The generation the update grants or makes: the document's current one after it.
    pub generation: u32,
    /// A rotation's new generation row: its link (none for the first key).
    pub new_generation: Option<Option<Vec<u8>>>,
    /// (recipient, envelope) rows of `generation`, all from the sender. For a rotation, these are
    /// also the document's readers from now on (the old readers go); for a grant, readers added.
    pub envelopes: Vec<(String, Vec<u8>)>,
}

/// Checks an update's sizes (before anything is read).
pub fn check_sizes(update: &KeyUpdate) -> Result<()> {
    let (envelopes, link) = match update {
        KeyUpdate::Grant { envelopes, .. } => (envelopes, None),
        KeyUpdate::Rotate {
            envelopes, link, ..
        } => (envelopes, link.as_ref()),
    };
    if envelopes.len() > MAX_ENVELOPES {
        return Err(StoreError::BadKeys(format!(
            "at most {MAX_ENVELOPES} envelopes in one update"
        )));
    }
    let too_big = envelopes
        .values()
        .chain(link)
        .any(|b| b.is_empty() || b.len() > MAX_SEALED_KEY_BYTES);
    if too_big {
        return Err(StoreError::BadKeys(format!(
            "an envelope or link is empty or larger than {MAX_SEALED_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Plans a key update from `sender` against the document's stored key state, by the one rule
/// ([`DocKeyState::apply`]). `recipient_ok` says whether a recipient is a device of the workspace that
/// is not revoked: an envelope for anything else is refused (a revoked device is never granted again).
pub fn plan_update(
    state: &DocKeyState,
    sender: &str,
    update: &KeyUpdate,
    recipient_ok: impl Fn(&str) -> bool,
) -> Result<KeyWrite> {
    check_sizes(update)?;
    if let Some(bad) = update.recipients().find(|r| !recipient_ok(r)) {
        return Err(StoreError::BadKeys(format!(
            "device {bad} is not a device of this workspace that may be given keys"
        )));
    }
    let mut after = state.clone();
    after.apply(sender, update).map_err(StoreError::Keys)?;
    let generation = after.current();
    let before = state.generations.get(&generation);
    let record = after
        .generations
        .get(&generation)
        .ok_or_else(|| StoreError::Task("a key update left no current generation".into()))?;
    let envelopes = record
        .envelopes
        .iter()
        .filter(|(recipient, _)| before.is_none_or(|b| !b.envelopes.contains_key(*recipient)))
        .map(|(recipient, k)| (recipient.clone(), k.envelope.clone()))
        .collect();
    Ok(KeyWrite {
        generation,
        new_generation: match update {
            KeyUpdate::Rotate { link, .. } => Some(link.clone()),
            KeyUpdate::Grant { .. } => None,
        },
        envelopes,
    })
}

/// How many chunks and key changes a pull page carries, and its cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageCut {
    pub chunks: usize,
    pub keys: usize,
    pub next_cursor: u64,
    pub more: bool,
}

/// Cuts a page from the live chunks `(seq, size)` and the key changes' seqs after the cursor (each
/// ascending, up to `limit + 1` of each): in seq order, at most `limit` entries, and chunks' bytes at
/// most `max_bytes` beyond the first chunk. Uncut, the cursor is the head.
pub fn cut_page(
    sizes: &[(u64, u64)],
    keys: &[u64],
    after: u64,
    head: u64,
    limit: u32,
    max_bytes: u64,
) -> PageCut {
    let (mut i, mut j, mut total) = (0usize, 0usize, 0u64);
    let mut last = after;
    let mut more = false;
    loop {
        let chunk_first = match (sizes.get(i), keys.get(j)) {
            (None, None) => break,
            (Some(&(seq, _)), Some(&k)) => seq < k,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if i + j >= limit as usize {
            more = true;
            break;
        }
        if chunk_first {
            let (seq, size) = sizes[i];
            if i > 0 && total + size > max_bytes {
                more = true;
                break;
            }
            total += size;
            i += 1;
            last = seq;
        } else {
            last = keys[j];
            j += 1;
        }
    }
    PageCut {
        chunks: i,
        keys: j,
        next_cursor: if more { last } else { head.max(after) },
        more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn envelopes(readers: &[&str]) -> BTreeMap<String, Vec<u8>> {
        readers
            .iter()
            .map(|r| (r.to_string(), vec![3; 73]))
            .collect()
    }

    #[test]
    fn a_rotation_writes_its_generation_and_every_envelope_a_grant_only_the_new_ones() {
        let mut state = DocKeyState::default();
        let first = KeyUpdate::Rotate {
            from: 0,
            link: None,
            envelopes: envelopes(&["a", "b"]),
        };
        let w = plan_update(&state, "a", &first, |_| true).unwrap();
        assert_eq!(w.generation, 1);
        assert_eq!(w.new_generation, Some(None));
        assert_eq!(w.envelopes.len(), 2);
        state.apply("a", &first).unwrap();
        let grant = KeyUpdate::Grant {
            generation: 1,
            envelopes: envelopes(&["b", "c"]),
        };
        let w = plan_update(&state, "b", &grant, |_| true).unwrap();
        assert_eq!(w.new_generation, None);
        assert_eq!(w.envelopes, vec![("c".to_string(), vec![3; 73])]);
        // A recipient the relay does not know (or revoked) refuses the whole update.
        assert!(matches!(
            plan_update(&state, "b", &grant, |r| r != "c"),
            Err(StoreError::BadKeys(_))
        ));
        let stale = KeyUpdate::Rotate {
            from: 0,
            link: None,
            envelopes: envelopes(&["a"]),
        };
        assert!(matches!(
            plan_update(&state, "a", &stale, |_| true),
            Err(StoreError::Keys(_))
        ));
        let huge = KeyUpdate::Grant {
            generation: 1,
            envelopes: [("c".to_string(), vec![3; 257])].into(),
        };
        assert!(matches!(
            plan_update(&state, "a", &huge, |_| true),
            Err(StoreError::BadKeys(_))
        ));
    }

    #[test]
    fn a_page_takes_chunks_and_key_changes_in_seq_order_within_its_limits() {
        // Chunks 1, 2, 5 (sizes 10) and key changes 3, 4.
        let sizes = [(1, 10), (2, 10), (5, 10)];
        let keys = [3, 4];
        let all = cut_page(&sizes, &keys, 0, 7, 10, 1_000);
        assert_eq!(
            all,
            PageCut {
                chunks: 3,
                keys: 2,
                next_cursor: 7,
                more: false
            }
        );
        let four = cut_page(&sizes, &keys, 0, 7, 4, 1_000);
        assert_eq!(
            four,
            PageCut {
                chunks: 2,
                keys: 2,
                next_cursor: 4,
                more: true
            }
        );
        // Bytes cut chunks only, never the first; key changes before the cut still come.
        let bytes = cut_page(&sizes, &keys, 0, 7, 10, 15);
        assert_eq!(
            bytes,
            PageCut {
                chunks: 1,
                keys: 0,
                next_cursor: 1,
                more: true
            }
        );
        let keys_only = cut_page(&[], &keys, 2, 9, 1, 15);
        assert_eq!(
            keys_only,
            PageCut {
                chunks: 0,
                keys: 1,
                next_cursor: 3,
                more: true
            }
        );
        let empty = cut_page(&[], &[], 9, 7, 10, 15);
        assert_eq!(empty.next_cursor, 9);
        assert!(!empty.more);
    }
}
