//! One module per screen.

pub mod caseload;
pub mod format;
pub mod not_found;
pub mod patient;
pub mod settings;
