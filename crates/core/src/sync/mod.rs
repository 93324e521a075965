//! Sync logic with no I/O: the engine's state machine, and the pure steps of a round (opening a pull
//! page, batching pushes, choosing what to compact). The app's driver does the I/O.

pub mod machine;

pub use machine::{
    backoff_ms, Effect, Event, Inputs, Machine, Phase, RoundOutcome, SocketPhase, Stored,
    SyncStatus, Timer,
};
pub mod batch;
pub mod page;

pub use batch::{plan_batches, PUSH_MAX_BYTES, PUSH_MAX_CHUNKS};
pub use page::{
    acked_after_pull, merge_chunks, open_page, OpenedPage, PullBatch, PulledBatch, RelayBytes,
    SetAsideChunk, PULL_BATCH_MAX_BYTES, PULL_BATCH_MAX_CHUNKS,
};
pub mod compact;
pub mod key_step;
pub mod keys;
pub mod received;
pub mod snapshot;

pub use received::{acked_after_append, change_hashes, ReceivedError};
pub use snapshot::{read_snapshot_plain, snapshot_plain, Carried, SnapshotError};

pub use compact::{logs_after_page, should_snapshot, snapshot_chunk, RelayLog};
pub mod tabs;

pub use tabs::{TabMessage, LEADER_LOCK, SYNC_CHANNEL};
