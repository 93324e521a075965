//! Auto-lock after inactivity. Activity is any pointer, key, touch or scroll event; the check runs
//! on a timer and whenever the page becomes visible again (a device put to sleep runs no timers).
//! Time is `Date.now()`, so a test clock that fast-forwards it (Playwright `page.clock`) works.

use std::{cell::Cell, rc::Rc};

use gloo::events::{EventListener, EventListenerOptions, EventListenerPhase};
use gloo::timers::callback::Interval;
use leptos::prelude::*;
use tend_core::lock::should_lock;

use super::control::LockControl;

/// How often the idle check runs while the page is visible.
const CHECK_EVERY_MS: u32 = 5_000;
const ACTIVITY_EVENTS: [&str; 4] = ["pointerdown", "keydown", "touchstart", "scroll"];

/// Stops watching when dropped (the app unmounted: locked).
pub struct IdleWatch {
    _listeners: Vec<EventListener>,
    _interval: Interval,
}

impl IdleWatch {
    pub fn start(control: LockControl) -> Self {
        let last_activity = Rc::new(Cell::new(js_sys::Date::now()));
        let locking = Rc::new(Cell::new(false));
        let minutes = control.auto_lock_minutes();
        let check = {
            let last_activity = Rc::clone(&last_activity);
            move || {
                let idle_ms = f64::from(minutes.get_untracked()) * 60_000.0;
                if locking.get() || !should_lock(last_activity.get(), js_sys::Date::now(), idle_ms)
                {
                    return;
                }
                locking.set(true);
                let control = control.clone();
                let locking = Rc::clone(&locking);
                let last_activity = Rc::clone(&last_activity);
                leptos::task::spawn_local(async move {
                    if control.lock_now().await.is_err() {
                        // Not locked (a change is not saved yet): try again after another idle period.
                        last_activity.set(js_sys::Date::now());
                        locking.set(false);
                    }
                });
            }
        };
        let check = Rc::new(check);
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            let options = EventListenerOptions {
                phase: EventListenerPhase::Capture,
                passive: true,
            };
            for name in ACTIVITY_EVENTS {
                let last_activity = Rc::clone(&last_activity);
                listeners.push(EventListener::new_with_options(
                    &window,
                    name,
                    options,
                    move |_| {
                        last_activity.set(js_sys::Date::now());
                    },
                ));
            }
            if let Some(document) = window.document() {
                let doc = document.clone();
                let check = Rc::clone(&check);
                listeners.push(EventListener::new(
                    &document,
                    "visibilitychange",
                    move |_| {
                        if doc.visibility_state() == web_sys::VisibilityState::Visible {
                            check();
                        }
                    },
                ));
            }
        }
        let interval = Interval::new(CHECK_EVERY_MS, move || check());
        IdleWatch {
            _listeners: listeners,
            _interval: interval,
        }
    }
}
