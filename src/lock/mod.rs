//! The device lock (issue 7). A random data key seals every stored value (storage/seal.rs); it is
//! wrapped by a key derived from the PIN and lives only in memory while unlocked. Its screens are
//! mounted by the root gate (`crate::gate`); the app bar's button is `components::lock_button`.
//!
//! - `derive.rs` — PIN → key-encryption key (WebCrypto PBKDF2-HMAC-SHA256);
//! - `control.rs` — the state machine: set PIN, unlock, lock, change PIN, wipe after 10 failures;
//! - `idle.rs` — auto-lock after inactivity;
//! - `settings.rs` — Settings → "Device lock";
//! - `pin_form.rs` — what the PIN forms share (one attempt at a time, alert, status, field).
//!
//! The rules (PIN shape, attempt limit, idle decision) and the cryptography are in tend-core's
//! `lock` module, tested natively and in the browser.

pub mod control;
pub mod derive;
pub mod idle;
pub(crate) mod pin_form;
pub mod settings;

pub use control::LockControl;
