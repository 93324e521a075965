use thiserror::Error;

/// Why a document could not be opened or changed. Bytes from storage or the network end here,
/// never in a panic.
#[derive(Debug, Error)]
pub enum DocError {
    #[error("the document bytes are not a valid Automerge document: {0}")]
    Corrupt(String),
    #[error("the document does not have the expected shape: {0}")]
    Shape(String),
    #[error("the document was written by a newer version of Tend (schema {found}, this app knows up to {known})")]
    NewerSchema { found: u64, known: u64 },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("no such entry: {0}")]
    NotFound(String),
}

impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Corrupt(e.to_string())
    }
}

impl From<autosurgeon::HydrateError> for DocError {
    fn from(e: autosurgeon::HydrateError) -> Self {
        DocError::Shape(e.to_string())
    }
}

impl From<autosurgeon::ReconcileError> for DocError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        DocError::Shape(e.to_string())
    }
}
