//! The one seam every stored value passes through. Until the device lock supplies a data key, a
//! value is stored in the clear but framed with a checksum, so a record damaged on disk is detected
//! here (and set aside) instead of being half-applied: Automerge's incremental loader silently
//! accepts some truncated or garbled input. With a key, the AEAD tag takes over that role.

const FORMAT_PLAIN_V1: u8 = 0x01;
const CHECKSUM_LEN: usize = 4;

#[derive(Debug, thiserror::Error)]
#[error("a stored value is damaged: {0}")]
pub struct SealError(pub &'static str);

#[derive(Clone, Debug, Default)]
pub struct Seal {
    _private: (),
}

impl Seal {
    pub fn identity() -> Self {
        Seal { _private: () }
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + plaintext.len() + CHECKSUM_LEN);
        out.push(FORMAT_PLAIN_V1);
        out.extend_from_slice(plaintext);
        out.extend_from_slice(&crc32fast::hash(plaintext).to_le_bytes());
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let Some((&format, rest)) = sealed.split_first() else {
            return Err(SealError("empty record"));
        };
        if format != FORMAT_PLAIN_V1 {
            return Err(SealError("unknown record format"));
        }
        if rest.len() < CHECKSUM_LEN {
            return Err(SealError("record too short"));
        }
        let (payload, checksum) = rest.split_at(rest.len() - CHECKSUM_LEN);
        if crc32fast::hash(payload).to_le_bytes() != checksum {
            return Err(SealError("checksum mismatch"));
        }
        Ok(payload.to_vec())
    }
}
