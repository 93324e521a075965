//! What can be wrong with a file offered for import. Every error leaves the device unchanged.

/// Why a file cannot be imported; the message is shown to the care manager as is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FhirError {
    #[error("the file is not JSON ({0})")]
    NotJson(String),
    #[error("the file is not a FHIR Bundle (its resourceType is {0:?})")]
    NotBundle(String),
    /// A shape only another FHIR version has (R5's list-valued `Encounter.class`, STU3's
    /// `MedicationStatement.taken`, ...).
    #[error("the file is not FHIR R4: {0}")]
    NotR4(String),
    /// Valid JSON, but a resource Tend reads is malformed (`where_`: e.g. "entry 3 (Condition)").
    #[error("{where_} is not valid FHIR R4: {problem}")]
    Malformed { where_: String, problem: String },
    #[error("the Bundle has no Patient")]
    NoPatient,
    #[error("the file is too large to import ({0} bytes; at most {1})")]
    TooLarge(usize, usize),
}
