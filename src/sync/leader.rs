//! One syncer per browser (see `tend_core::sync::tabs`): the Web Lock that makes a tab the leader,
//! and the BroadcastChannel on which the leader and the other tabs talk.
//!
//! The lock is held for as long as a promise this module keeps pending: the browser releases it
//! when the tab closes or crashes, and `release` resolves the promise (the app locked). The next
//! tab waiting in `navigator.locks.request` is then granted it. `web-sys`' Web Locks bindings are
//! unstable, so the one call is made through `js_sys::Reflect`.

use std::{cell::RefCell, rc::Rc};

use js_sys::{Function, Promise, Reflect};
use tend_core::sync::{TabMessage, LEADER_LOCK, SYNC_CHANNEL};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

#[derive(Default)]
struct LockState {
    /// Resolves the promise that holds the lock (set once granted).
    release: Option<Function>,
    /// Released (or given up) before it was granted: a later grant is returned at once.
    done: bool,
}

/// This tab's place in the queue for the leader lock.
pub struct LeaderLock {
    state: Rc<RefCell<LockState>>,
}

impl LeaderLock {
    /// Queues for the lock; `on_granted` runs when this tab becomes the leader. `None` when the
    /// browser has no Web Locks (then this tab leads on its own, as every tab did before).
    pub fn request(on_granted: impl FnOnce() + 'static) -> Option<Self> {
        let navigator: JsValue = web_sys::window()?.navigator().into();
        let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
        if locks.is_undefined() || locks.is_null() {
            return None;
        }
        let request = Reflect::get(&locks, &JsValue::from_str("request"))
            .ok()?
            .dyn_into::<Function>()
            .ok()?;
        let state = Rc::new(RefCell::new(LockState::default()));
        let granted = Rc::clone(&state);
        let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            if granted.borrow().done {
                // Stopped while waiting: hand the lock straight on.
                return Promise::resolve(&JsValue::UNDEFINED).into();
            }
            let held = Promise::new(&mut |resolve, _reject| {
                granted.borrow_mut().release = Some(resolve);
            });
            on_granted();
            held.into()
        });
        request
            .call2(&locks, &JsValue::from_str(LEADER_LOCK), &callback)
            .ok()?;
        Some(LeaderLock { state })
    }

    /// Gives the lock up (or the place in the queue): another tab may lead.
    pub fn release(&self) {
        let release = {
            let mut state = self.state.borrow_mut();
            state.done = true;
            state.release.take()
        };
        if let Some(resolve) = release {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

impl Drop for LeaderLock {
    fn drop(&mut self) {
        self.release();
    }
}

/// The leader's and followers' channel, open for the life of the engine.
pub struct SyncChannel {
    channel: BroadcastChannel,
    _listener: Closure<dyn FnMut(MessageEvent)>,
}

impl SyncChannel {
    /// `None` without BroadcastChannel (then no tab hears another: each leads on its own).
    pub fn open(on_message: impl Fn(TabMessage) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(SYNC_CHANNEL).ok()?;
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(message) = event.data().as_string().and_then(|t| TabMessage::parse(&t)) {
                on_message(message);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some(SyncChannel {
            channel,
            _listener: listener,
        })
    }

    pub fn post(&self, message: &TabMessage) {
        let _ = self
            .channel
            .post_message(&JsValue::from_str(&message.to_text()));
    }
}

impl Drop for SyncChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
