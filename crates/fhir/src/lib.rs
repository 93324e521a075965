//! FHIR R4 (4.0.1) for Tend, following US Core where a profile exists.
//!
//! - [`export`]: patient records → one `Bundle` (type `collection`), a resource per item with a
//!   `Provenance` saying who recorded it, when, on which device.
//! - [`import`]: a `Bundle` (an EHR's discharge export, or Tend's own) → per patient an
//!   [`ImportPlan`]: what would be created, what is already there, what looks like a duplicate —
//!   and the typed core [`tend_core::Op`]s that carry it out. Nothing is written here: the app shows
//!   the plan, then applies its ops in one change.
//!
//! Pure: no I/O, no clock (times come in), builds for wasm32 and native, never panics on a file.

pub mod codes;
pub mod error;
pub mod export;
pub mod import;

pub use error::FhirError;
pub use export::{export_bundle, ExportContext};
pub use import::{parse_bundle, plan_import, ImportPlan, IncomingPatient, ItemStatus, PlannedItem};
