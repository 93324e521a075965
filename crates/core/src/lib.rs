//! Tend's sans-IO core: everything that decides what the data means, with no I/O of its own.
//!
//! Invariants: no I/O, builds for wasm32 and native, never panics on bytes from outside.
//! The app changes a patient's document only through the typed operations in [`ops`], applied
//! with [`PatientDoc::apply`].

mod access;
mod apply;
pub mod assess;
pub mod author;
pub mod billing;
pub mod caseload;
pub mod conflicts;
pub mod coordination;
pub mod document;
pub mod error;
pub mod handout;
pub mod history;
pub mod ids;
pub mod lock;
pub mod ops;
pub mod record;
pub mod rules;
pub mod summary;
pub mod sync;
pub mod team;
pub mod transitions;
pub mod trend;
mod view;
pub mod workspace;

/// What crosses the wire (sync API types, chunk envelope, join codes, the AEAD primitive) lives in
/// `tend-wire`, which the relay depends on instead of this crate; re-exported here for the app.
pub use tend_wire::{aead, crypto, keys, sync_wire};

pub use access::split_path;
pub use author::Author;
pub use conflicts::{Conflict, ConflictValue};
pub use document::PatientDoc;
pub use error::DocError;
pub use history::{ChangeAuthor, FieldChange};
pub use ids::{DocId, PatientId, WORKSPACE_DOC_ID};
pub use ops::{ItemList, NarrativeTarget, Op, ProfileField, TransitionChanges};
pub use record::PatientRecord;
pub use summary::PatientSummary;

// The unit tests also run compiled to wasm32 in headless Chromium.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
