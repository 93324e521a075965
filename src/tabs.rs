//! Several tabs of Tend on one device. Every tab appends its own chunks (storage never overwrites a
//! document), so no tab can lose another's edits; this channel only keeps open tabs *current*: after
//! a save, a tab names the document, and the others merge it from storage into their open copy and
//! refresh its caseload row.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "tend-documents";
/// Sent on the channel after this device's data was erased (too many wrong PINs): every other tab
/// drops its key and shows the first-run screen. Never a document id (those are UUIDs).
const WIPED: &str = "tend:device-erased";

/// The channel, kept alive for the life of the page.
pub struct Tabs {
    channel: Option<BroadcastChannel>,
    _listener: Option<Closure<dyn FnMut(MessageEvent)>>,
}

impl Tabs {
    /// Listens for other tabs' saves; `on_saved` gets the id of each document they saved.
    /// Without BroadcastChannel (very old browsers) each tab still sees the others' edits on reload.
    pub fn listen(on_saved: impl Fn(String) + 'static) -> Self {
        let Ok(channel) = BroadcastChannel::new(CHANNEL) else {
            return Tabs {
                channel: None,
                _listener: None,
            };
        };
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(doc_id) = event.data().as_string().filter(|m| m != WIPED) {
                on_saved(doc_id);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Tabs {
            channel: Some(channel),
            _listener: Some(listener),
        }
    }

    /// Calls `on_wiped` when another tab erased this device's data.
    pub fn listen_for_wipe(on_wiped: impl Fn() + 'static) -> Self {
        let Ok(channel) = BroadcastChannel::new(CHANNEL) else {
            return Tabs {
                channel: None,
                _listener: None,
            };
        };
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if event.data().as_string().as_deref() == Some(WIPED) {
                on_wiped();
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Tabs {
            channel: Some(channel),
            _listener: Some(listener),
        }
    }

    /// Tells the other tabs that this device's data was erased.
    pub fn announce_wiped(&self) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(WIPED));
        }
    }

    /// Tells the other tabs that `doc_id` has new durable changes.
    pub fn announce_saved(&self, doc_id: &str) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(doc_id));
        }
    }
}

impl Drop for Tabs {
    /// A locked session stops listening (and its closure is freed only after the channel is closed).
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
