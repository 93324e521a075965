//! Reusable pieces of UI.

pub mod fields;
pub mod form;
pub mod lock_button;
pub mod narrative;
pub mod status;
pub mod trend;
pub mod update_banner;
