//! Care-management rules: pure, table-driven functions that turn answers, counts and dates into
//! scores, risk tiers, billing codes and deadlines.
//!
//! Why a separate module: these rules are what a care manager (and an auditor) must be able to trust,
//! so they are kept free of storage, UI and clocks. Every function takes its inputs — including
//! "today" — as arguments, returns the same output for the same input, and never panics: answers
//! or dates outside what a rule accepts come back as a [`RuleError`].
//!
//! - [`instruments`]: validated questionnaires and indices (PHQ-2/9, GAD-7, Katz ADL, Lawton IADL,
//!   AHC HRSN, LACE, Charlson, STEADI) with item texts and answer options for the UI.
//! - [`risk`]: risk tier with human-readable reasons, and the worklist priority score.
//! - [`programs`]: CCM eligibility, monthly minutes to CCM/complex CCM/PCM billing codes.
//! - [`calendar`]: US federal holidays (by rule, any year) and business-day arithmetic.
//! - [`tcm`]: transitional care management deadlines and their status.

pub mod calendar;
pub mod instruments;
pub mod programs;
pub mod risk;
pub mod tcm;

#[cfg(test)]
mod props;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use instruments::{
    answers_by_item_id, item_id_values, score, Answer, Flag, Instrument, InstrumentResult,
};
pub use risk::{
    assess_risk, AssessedRisk, RiskAssessment, RiskFactor, RiskInputs, RiskTier, SafetyAssessed,
};

/// Why a rule could not produce a result. Inputs come from people and old documents, so every
/// malformed input ends here rather than in a panic.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum RuleError {
    #[error("{instrument} expects {expected} answers, got {got}")]
    WrongAnswerCount {
        instrument: String,
        expected: usize,
        got: usize,
    },
    #[error("item {item} has {options} answer options; option {chosen} does not exist")]
    AnswerOutOfRange {
        item: usize,
        chosen: u32,
        options: usize,
    },
    #[error("item {item} expects {expected}")]
    WrongAnswerKind { item: usize, expected: String },
    #[error("item {item}: {reason}")]
    InvalidSelection { item: usize, reason: String },
    #[error("{what} is out of the supported range: {detail}")]
    OutOfRange { what: String, detail: String },
    #[error("{instrument} has no item \"{item}\"")]
    UnknownItem { instrument: String, item: String },
    #[error("item \"{item}\" is answered more than once")]
    DuplicateAnswer { item: String },
    #[error("item \"{item}\" is not answered")]
    MissingAnswer { item: String },
    #[error("{what} ({date}) is before the discharge date ({discharge})")]
    BeforeDischarge {
        what: String,
        date: chrono::NaiveDate,
        discharge: chrono::NaiveDate,
    },
}
