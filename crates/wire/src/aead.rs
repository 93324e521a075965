//! The one sealing primitive: XChaCha20-Poly1305 under a 256-bit key with a random 192-bit nonce,
//! framed as `format` (1 byte) ‖ nonce (24) ‖ ciphertext ‖ tag (16). The format byte says what the
//! bytes are (a chunk envelope, a wrapped key, a stored value) and is checked before anything else;
//! the associated data, chosen by the caller, binds the ciphertext to its place, so sealed bytes moved
//! elsewhere do not open.
//!
//! Random nonces are safe at this size: 2^96 seals under one key before a collision is likely.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
/// Bytes sealing adds to the plaintext (format byte, nonce, tag).
pub const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AeadError {
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("sealed bytes too short ({0} bytes)")]
    TooShort(usize),
    #[error("unknown sealed format {0:#04x}")]
    Format(u8),
    /// Wrong key, tampered bytes, or other associated data (the bytes were moved).
    #[error("the sealed bytes do not open with this key here")]
    Open,
    #[error("sealing failed")]
    Seal,
}

/// A fresh random nonce from the platform's CSPRNG.
pub fn random_nonce() -> Result<[u8; NONCE_LEN], AeadError> {
    let mut n = [0u8; NONCE_LEN];
    getrandom::fill(&mut n).map_err(|e| AeadError::Random(e.to_string()))?;
    Ok(n)
}

/// Seals with the given nonce, which must never repeat under this key ([`seal`] draws a random one).
pub fn seal_with_nonce(
    key: &[u8; KEY_LEN],
    format: u8,
    aad: &[u8],
    plaintext: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, AeadError> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| AeadError::Seal)?;
    let ct = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| AeadError::Seal)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(format);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Seals `plaintext` under `key` with a random nonce.
pub fn seal(
    key: &[u8; KEY_LEN],
    format: u8,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AeadError> {
    seal_with_nonce(key, format, aad, plaintext, random_nonce()?)
}

/// Opens bytes sealed with this key, format and associated data. Never panics on any bytes.
pub fn open(
    key: &[u8; KEY_LEN],
    format: u8,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, AeadError> {
    match sealed.first() {
        Some(&f) if f != format => return Err(AeadError::Format(f)),
        _ if sealed.len() < OVERHEAD => return Err(AeadError::TooShort(sealed.len())),
        _ => {}
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| AeadError::Open)?;
    cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed[1 + NONCE_LEN..],
                aad,
            },
        )
        .map_err(|_| AeadError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    const KEY: [u8; KEY_LEN] = [9; KEY_LEN];

    #[wasm_bindgen_test(unsupported = test)]
    fn round_trip_and_layout() {
        let nonce = [3u8; NONCE_LEN];
        let sealed = seal_with_nonce(&KEY, 0x07, b"here", b"hello", nonce).unwrap();
        assert_eq!(sealed.len(), OVERHEAD + 5);
        assert_eq!(sealed[0], 0x07);
        assert_eq!(&sealed[1..1 + NONCE_LEN], &nonce);
        assert_eq!(open(&KEY, 0x07, b"here", &sealed).unwrap(), b"hello");
        // Random nonces: the same plaintext never seals to the same bytes.
        let a = seal(&KEY, 0x07, b"here", b"hello").unwrap();
        let b = seal(&KEY, 0x07, b"here", b"hello").unwrap();
        assert_ne!(a, b);
        assert_eq!(open(&KEY, 0x07, b"here", &a).unwrap(), b"hello");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn wrong_key_place_format_or_any_damage_does_not_open() {
        let sealed = seal(&KEY, 0x07, b"here", b"hello").unwrap();
        assert_eq!(
            open(&[1; KEY_LEN], 0x07, b"here", &sealed),
            Err(AeadError::Open)
        );
        assert_eq!(open(&KEY, 0x07, b"there", &sealed), Err(AeadError::Open));
        assert_eq!(
            open(&KEY, 0x08, b"here", &sealed),
            Err(AeadError::Format(7))
        );
        for i in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                open(&KEY, 0x07, b"here", &bad),
                Err(AeadError::Open),
                "byte {i}"
            );
        }
        for len in 0..OVERHEAD {
            let short = &sealed[..len];
            assert!(open(&KEY, 0x07, b"here", short).is_err(), "length {len}");
        }
    }
}
