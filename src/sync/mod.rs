//! Sync with the relay. The only module that touches the network (see PROTOCOL.md).
//! Until a workspace is joined, this device keeps everything to itself and says so.

/// What the user is told about sync. Never claims success for a sync that did not complete.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncStatus {
    NotSetUp,
}

impl SyncStatus {
    pub fn current() -> Self {
        SyncStatus::NotSetUp
    }

    pub fn describe(&self) -> &'static str {
        match self {
            SyncStatus::NotSetUp => "Sync not set up: data stays on this device",
        }
    }
}
