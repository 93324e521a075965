//! What crosses the wire between a Tend device and its relay, and nothing else:
//!
//! * [`sync_wire`] — the sync API's JSON types, paths and the base64 of ciphertext (PROTOCOL.md);
//! * [`crypto`] — the sealed chunk envelope (per-document keys under the workspace key) and the join
//!   code that carries the workspace key to a new device;
//! * [`aead`] — the one authenticated-encryption primitive every sealed thing in Tend uses: chunk
//!   envelopes here, and the device lock's wrapped key and stored values in `tend-core`.
//!
//! **Architecture invariant:** this crate knows nothing of patients. The relay depends on it and not
//! on `tend-core`, so the relay naming a patient type is a compile error.

pub mod aead;
pub mod crypto;
pub mod keys;
pub mod sync_wire;

// The unit tests also run compiled to wasm32 in headless Chromium (`cargo xtask test`).
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
