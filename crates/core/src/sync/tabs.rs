//! One syncer per browser: the tab holding the `tend-sync` Web Lock runs the engine (the leader);
//! every other tab of the app (a follower) shows the leader's status and hands it what concerns
//! sync. These are the messages they exchange on a BroadcastChannel, as JSON text. A message that
//! does not parse (another version of the app mid-update, say) is ignored by the receiver.

use serde::{Deserialize, Serialize};

use super::SyncStatus;

/// The Web Lock whose holder syncs.
pub const LEADER_LOCK: &str = "tend-sync";
/// The channel the leader and followers talk on.
pub const SYNC_CHANNEL: &str = "tend-sync";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TabMessage {
    /// Leader → followers: the status changed (also the answer to [`TabMessage::Hello`]).
    Status {
        status: SyncStatus,
        /// The relay refused this device: it may join again.
        removed: bool,
        /// The workspace the leader syncs (a follower that set one up reads it from storage).
        workspace_id: Option<String>,
    },
    /// Leader → followers: documents merged from the relay are stored; open copies and caseload
    /// rows read them again.
    Pulled { docs: Vec<String> },
    /// Follower → leader: a follower started (or lost its leader); send the status.
    Hello,
    /// Follower → leader: the user pressed "Sync now".
    SyncNow,
    /// Follower → leader: a local edit was saved durably.
    Edited,
    /// Follower → leader: this device created or joined a workspace (stored, sync state reset).
    Adopted,
}

impl TabMessage {
    pub fn to_text(&self) -> String {
        // Plain enums of strings and numbers: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` for anything that is not a message of this version.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_reads_back_as_sent() {
        let messages = [
            TabMessage::Status {
                status: SyncStatus::Error {
                    reason: "the relay is busy".into(),
                    retry_in_s: Some(30),
                },
                removed: false,
                workspace_id: Some("ws-1".into()),
            },
            TabMessage::Status {
                status: SyncStatus::UpToDate { at_ms: 1_700_000 },
                removed: true,
                workspace_id: None,
            },
            TabMessage::Status {
                status: SyncStatus::Offline { waiting: 3 },
                removed: false,
                workspace_id: None,
            },
            TabMessage::Pulled {
                docs: vec!["a".into(), "b".into()],
            },
            TabMessage::Hello,
            TabMessage::SyncNow,
            TabMessage::Edited,
            TabMessage::Adopted,
        ];
        for m in messages {
            assert_eq!(TabMessage::parse(&m.to_text()), Some(m));
        }
    }

    #[test]
    fn what_is_not_a_message_is_ignored() {
        for text in [
            "",
            "3f2a9c1e-0000-4000-8000-000000000000",
            "tend:device-erased",
            r#"{"type":"status"}"#,
            r#"{"type":"reboot"}"#,
            r#"{"type":"status","status":{"state":"up_to_date"},"removed":false,"workspace_id":null}"#,
        ] {
            assert_eq!(TabMessage::parse(text), None, "{text:?}");
        }
    }
}
