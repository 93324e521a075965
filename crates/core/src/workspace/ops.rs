//! Typed changes to the workspace document.

use automerge::AutoCommit;

use crate::author::Author;
use crate::error::DocError;

use super::directory::Organisation;

#[derive(Clone, Debug, PartialEq)]
pub enum WorkspaceOp {
    AddOrganisation { organisation: Organisation },
}

impl WorkspaceOp {
    pub fn name(&self) -> &'static str {
        match self {
            WorkspaceOp::AddOrganisation { .. } => "add_organisation",
        }
    }
}

pub(super) fn write(
    doc: &mut AutoCommit,
    op: WorkspaceOp,
    _author: &Author,
    _now_ms: i64,
) -> Result<(), DocError> {
    match op {
        WorkspaceOp::AddOrganisation { organisation } => {
            let _ = (doc, organisation);
            Err(DocError::Invalid("not yet".into()))
        }
    }
}
