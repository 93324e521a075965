//! The one seam every stored value passes through.
//!
//! * Unkeyed (`Seal::identity`, format 0x01): the value is stored in the clear, framed with a CRC32,
//!   so a record damaged on disk is detected here (and set aside) instead of being half-applied:
//!   Automerge's incremental loader silently accepts some truncated or garbled input. Used only by
//!   tests, benchmarks and the one-time migration of data written before the device lock existed.
//! * Keyed (`Seal::locked` + `set_key`, format 0x02): XChaCha20-Poly1305 under the device's data key
//!   (tend_core::lock), bound to the value's store and record key; the AEAD tag takes over the
//!   checksum's role. Every clone shares one key slot, so `forget()` locks every Storage/Session
//!   clone at once: afterwards reads and writes fail with [`SealError::Locked`] — never plaintext.
//!   A keyed seal refuses 0x01 records (they go to quarantine like any bad record).

use std::{cell::RefCell, rc::Rc};

use tend_core::lock::{self, DataKey, LockError, Place};

const FORMAT_PLAIN_V1: u8 = 0x01;
const CHECKSUM_LEN: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("Tend is locked")]
    Locked,
    #[error("a stored value is damaged: {0}")]
    Damaged(String),
}

#[derive(Clone, Debug, Default)]
pub struct Seal {
    /// `None`: unkeyed (0x01 frames). `Some(slot)`: keyed; an empty slot means locked.
    key: Option<Rc<RefCell<Option<DataKey>>>>,
}

impl Seal {
    /// Unkeyed: checksum frame only (tests, benchmarks, reading pre-lock data).
    pub fn identity() -> Self {
        Seal { key: None }
    }

    /// Keyed mode with no key yet: nothing can be read or written until `set_key`.
    pub fn locked() -> Self {
        Seal {
            key: Some(Rc::new(RefCell::new(None))),
        }
    }

    pub fn with_key(key: DataKey) -> Self {
        Seal {
            key: Some(Rc::new(RefCell::new(Some(key)))),
        }
    }

    pub fn is_keyed(&self) -> bool {
        self.key.is_some()
    }

    /// True when values can be read and written (unkeyed, or keyed and unlocked).
    pub fn is_open(&self) -> bool {
        match &self.key {
            None => true,
            Some(slot) => slot.borrow().is_some(),
        }
    }

    /// Supplies the data key (after unlock) to every clone of this seal.
    pub fn set_key(&self, key: DataKey) {
        if let Some(slot) = &self.key {
            *slot.borrow_mut() = Some(key);
        }
    }

    /// Drops the data key (zeroized on drop) from every clone of this seal.
    pub fn forget(&self) {
        if let Some(slot) = &self.key {
            slot.borrow_mut().take();
        }
    }

    pub fn seal(&self, place: Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        match &self.key {
            None => Ok(frame_plain(plaintext)),
            Some(slot) => {
                let slot = slot.borrow();
                let key = slot.as_ref().ok_or(SealError::Locked)?;
                lock::seal_at_rest(key, place, plaintext)
                    .map_err(|e| SealError::Damaged(e.to_string()))
            }
        }
    }

    pub fn open(&self, place: Place<'_>, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        match &self.key {
            None => open_plain(sealed),
            Some(slot) => {
                let slot = slot.borrow();
                let key = slot.as_ref().ok_or(SealError::Locked)?;
                lock::open_at_rest(key, place, sealed).map_err(|e| match e {
                    LockError::UnknownFormat(FORMAT_PLAIN_V1) => {
                        SealError::Damaged("an unencrypted record on a locked device".into())
                    }
                    other => SealError::Damaged(other.to_string()),
                })
            }
        }
    }
}

fn frame_plain(plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + plaintext.len() + CHECKSUM_LEN);
    out.push(FORMAT_PLAIN_V1);
    out.extend_from_slice(plaintext);
    out.extend_from_slice(&crc32fast::hash(plaintext).to_le_bytes());
    out
}

/// Opens a 0x01 frame (also used by the one-time migration to the keyed format).
pub(super) fn open_plain(sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    let Some((&format, rest)) = sealed.split_first() else {
        return Err(SealError::Damaged("empty record".into()));
    };
    if format != FORMAT_PLAIN_V1 {
        return Err(SealError::Damaged("unknown record format".into()));
    }
    if rest.len() < CHECKSUM_LEN {
        return Err(SealError::Damaged("record too short".into()));
    }
    let (payload, checksum) = rest.split_at(rest.len() - CHECKSUM_LEN);
    if crc32fast::hash(payload).to_le_bytes() != checksum {
        return Err(SealError::Damaged("checksum mismatch".into()));
    }
    Ok(payload.to_vec())
}
