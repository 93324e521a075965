//! The one seam every stored value passes through. Today it is the identity; the device-lock work
//! supplies a data key here so everything at rest is encrypted without touching any caller.

#[derive(Debug, thiserror::Error)]
#[error("a stored value could not be unsealed: {0}")]
pub struct SealError(pub String);

#[derive(Clone, Debug, Default)]
pub struct Seal {
    _private: (),
}

impl Seal {
    pub fn identity() -> Self {
        Seal { _private: () }
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        plaintext.to_vec()
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        Ok(sealed.to_vec())
    }
}
