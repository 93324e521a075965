//! Tend's sans-IO core: everything that decides what the data means, with no I/O of its own.
//!
//! Invariants: no I/O, builds for wasm32 and native, never panics on bytes from outside.
//! The app changes a patient's document only through the typed operations in [`document`].

pub mod author;
pub mod crypto;
pub mod document;
pub mod error;
pub mod ids;
pub mod record;
pub mod rules;
pub mod summary;
pub mod sync_wire;

pub use author::Author;
pub use document::PatientDoc;
pub use error::DocError;
pub use ids::PatientId;
pub use record::PatientRecord;
pub use summary::PatientSummary;
