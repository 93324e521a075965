//! Reusable pieces of UI.

pub mod status;
