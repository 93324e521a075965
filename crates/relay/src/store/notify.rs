//! In-process fan-out of "workspace W has chunks up to seq N" to connected WebSockets. SQLite publishes
//! after each commit; PostgreSQL publishes from LISTEN, so pushes through any instance reach every
//! instance's sockets.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

#[derive(Default)]
pub struct Notifier {
    channels: Mutex<HashMap<String, broadcast::Sender<u64>>>,
}

impl Notifier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn subscribe(&self, workspace_id: &str) -> broadcast::Receiver<u64> {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(workspace_id.to_owned())
            .or_insert_with(|| broadcast::channel(64).0)
            .subscribe()
    }

    pub fn publish(&self, workspace_id: &str, seq: u64) {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(workspace_id) {
            if tx.send(seq).is_err() {
                // Nobody listens any more.
                map.remove(workspace_id);
            }
        }
    }
}
