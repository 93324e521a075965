//! Several tabs of Tend on one device. Every tab appends its own chunks (storage never overwrites a
//! document), so no tab can lose another's edits; this channel only keeps open tabs *current*: after
//! a save, a tab names the document, and the others merge it from storage into their open copy and
//! refresh its caseload row.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "tend-documents";

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
            if let Some(doc_id) = event.data().as_string() {
                on_saved(doc_id);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Tabs {
            channel: Some(channel),
            _listener: Some(listener),
        }
    }

    /// Tells the other tabs that `doc_id` has new durable changes.
    pub fn announce_saved(&self, doc_id: &str) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(doc_id));
        }
    }
}
