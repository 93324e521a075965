//! One module per screen.

pub mod billing;
pub mod caseload;
pub mod chart;
pub mod devices;
pub mod directory;
pub mod exchange;
pub mod handout;
pub mod identity;
pub mod install;
pub mod not_found;
pub mod settings;
pub mod sync_setup;
pub mod team;
pub mod today;
