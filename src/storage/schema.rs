//! The IndexedDB schema, declared in full on every open: rexie deletes stores that an upgrade
//! does not declare, so a partial declaration would silently drop data.

use rexie::{Index, ObjectStore, Rexie};

pub const VERSION: u32 = 3;

/// Compacted document per patient: `{doc_id, bytes}`.
pub const SNAPSHOTS: &str = "snapshots";
/// Incremental Automerge saves appended per edit batch: `{seq (auto), doc_id, bytes}`.
pub const CHUNKS: &str = "chunks";
pub const CHUNKS_BY_DOC: &str = "by_doc";
/// Caseload summaries, written in the same transaction as the change they reflect: `{id, bytes}`.
pub const SUMMARIES: &str = "summaries";
/// Sync bookkeeping per document and the relay cursor, written with the data it describes.
pub const SYNC_STATE: &str = "sync_state";
/// Device and workspace metadata: `{key, value}`.
pub const META: &str = "meta";
/// Records that failed to decode, kept aside (never deleted) for support: `{qid (auto), ...}`.
pub const QUARANTINE: &str = "quarantine";
/// The device lock's record (KDF parameters, wrapped data key, failed attempts): `{key, json}`.
/// The only store that is NOT sealed: it is what unseals the others. Added in version 2.
pub const LOCK: &str = "lock";

/// Which patients' summaries were written, in order: `{seq (auto), id}`, added in the transaction
/// of every summary write; the caseload cache (in `meta`) records the last `seq` it reflects.
/// Holds record keys only — no values, so nothing to seal (like `chunks`' `doc_id`). Added in v3.
pub const CASELOAD_LOG: &str = "caseload_log";

/// Where a patient's record, caseload row and sync rows live: what a write that must see all of
/// them at once (settling a summary, removing the patient) opens.
pub const PATIENT_STORES: [&str; 5] = [SNAPSHOTS, CHUNKS, SUMMARIES, CASELOAD_LOG, SYNC_STATE];

/// Every store whose values pass through the seal (everything but `lock` and `caseload_log`).
pub const SEALED_STORES: [&str; 6] = [SNAPSHOTS, CHUNKS, SUMMARIES, SYNC_STATE, META, QUARANTINE];

/// Every store: what erasing the device clears.
pub const ALL_STORES: [&str; 8] = [
    SNAPSHOTS,
    CHUNKS,
    SUMMARIES,
    SYNC_STATE,
    META,
    QUARANTINE,
    LOCK,
    CASELOAD_LOG,
];

pub fn builder(name: &str) -> rexie::RexieBuilder {
    Rexie::builder(name)
        .version(VERSION)
        .add_object_store(ObjectStore::new(SNAPSHOTS).key_path("doc_id"))
        .add_object_store(
            ObjectStore::new(CHUNKS)
                .key_path("seq")
                .auto_increment(true)
                .add_index(Index::new(CHUNKS_BY_DOC, "doc_id")),
        )
        .add_object_store(ObjectStore::new(SUMMARIES).key_path("id"))
        .add_object_store(ObjectStore::new(SYNC_STATE).key_path("key"))
        .add_object_store(ObjectStore::new(META).key_path("key"))
        .add_object_store(
            ObjectStore::new(QUARANTINE)
                .key_path("qid")
                .auto_increment(true),
        )
        .add_object_store(ObjectStore::new(LOCK).key_path("key"))
        .add_object_store(
            ObjectStore::new(CASELOAD_LOG)
                .key_path("seq")
                .auto_increment(true),
        )
}
