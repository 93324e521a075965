//! The installable, offline app: registers the service worker (public/sw.js), notices when a new
//! version is waiting, activates it only when the user agrees (after saving), and keeps the
//! browser's install offer for the Settings page.
//!
//! Update flow: the browser installs a new worker beside the running one; it waits (sw.js never
//! skips waiting by itself). `update_ready` turns true, the banner asks; `apply_update` saves every
//! pending edit, then posts `{type: 'SKIP_WAITING'}`; the new worker activates and claims this
//! page (`controllerchange`), and the page reloads exactly once, into the new version.
//!
//! `start` runs before Leptos mounts, so futures here use wasm-bindgen's executor directly.

use std::cell::RefCell;

use gloo::events::EventListener;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};

use crate::session::{SaveState, Session};

/// How often a long-open app asks the relay whether a new version exists.
const UPDATE_CHECK_MS: u32 = 30 * 60 * 1000;

/// How long an update waits for a save in progress: 5 s in steps of 25 ms.
const SAVE_WAIT_STEPS: u32 = 200;
const SAVE_WAIT_STEP_MS: u32 = 25;

/// What the UI shows about the installed app. Copy: read it anywhere with `pwa::state()`.
#[derive(Clone, Copy)]
pub struct Pwa {
    /// A new version is installed and waiting for the user to switch.
    pub update_ready: RwSignal<bool>,
    /// The browser offered installation (its `beforeinstallprompt` event is kept).
    pub can_install: RwSignal<bool>,
    /// Running as an installed app (standalone window), or just installed.
    pub installed: RwSignal<bool>,
}

#[derive(Default)]
struct Inner {
    registration: Option<ServiceWorkerRegistration>,
    install_prompt: Option<web_sys::Event>,
    /// The user accepted the update: the next controller change reloads (once).
    reload_on_change: bool,
    reloaded: bool,
    listeners: Vec<EventListener>,
    interval: Option<gloo::timers::callback::Interval>,
}

thread_local! {
    static STATE: Pwa = Pwa {
        update_ready: RwSignal::new(false),
        can_install: RwSignal::new(false),
        installed: RwSignal::new(is_standalone()),
    };
    static INNER: RefCell<Inner> = RefCell::new(Inner::default());
}

pub fn state() -> Pwa {
    STATE.with(|s| *s)
}

/// The build this page runs (`<meta name="tend-build">`, stamped by `cargo xtask build`); `None`
/// for an unstamped development build (e.g. `trunk serve`), which registers no service worker.
pub fn build_version() -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let meta = doc.query_selector("meta[name=\"tend-build\"]").ok()??;
    meta.get_attribute("content").filter(|v| !v.is_empty())
}

/// Called once at start, before anything else: the install offer can come early.
pub fn start() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let pwa = state();
    let on_prompt = EventListener::new_with_options(
        &window,
        "beforeinstallprompt",
        gloo::events::EventListenerOptions::enable_prevent_default(),
        move |event| {
            // Keep the browser's offer for our own "Install Tend" button instead of its mini-bar.
            event.prevent_default();
            INNER.with(|i| i.borrow_mut().install_prompt = Some(event.clone()));
            pwa.can_install.set(true);
        },
    );
    let on_installed = EventListener::new(&window, "appinstalled", move |_| {
        INNER.with(|i| i.borrow_mut().install_prompt = None);
        pwa.can_install.set(false);
        pwa.installed.set(true);
    });
    INNER.with(|i| i.borrow_mut().listeners.extend([on_prompt, on_installed]));

    if build_version().is_none() {
        return;
    }
    let Some(container) = container() else {
        return; // not a secure context, or no service workers in this browser
    };
    let on_change = EventListener::new(&container, "controllerchange", |_| {
        let reload = INNER.with(|i| {
            let mut i = i.borrow_mut();
            let reload = i.reload_on_change && !i.reloaded;
            if reload {
                i.reloaded = true;
            }
            reload
        });
        if reload {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        }
    });
    INNER.with(|i| i.borrow_mut().listeners.push(on_change));
    wasm_bindgen_futures::spawn_local(async move {
        match JsFuture::from(container.register("/sw.js")).await {
            Ok(reg) => watch(reg.unchecked_into()),
            // Not an error for the user: the app works online without it.
            Err(e) => gloo::console::warn!("service worker registration failed", e),
        }
    });
}

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let has = js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).ok()?;
    has.then(|| navigator.service_worker())
}

/// A worker waiting while another controls this page is a new version (the very first worker
/// never waits and there is no controller yet, so it shows no banner).
fn waiting_update(reg: &ServiceWorkerRegistration) -> bool {
    let controlled = container().and_then(|c| c.controller()).is_some();
    controlled && reg.waiting().is_some()
}

fn watch(reg: ServiceWorkerRegistration) {
    let pwa = state();
    if waiting_update(&reg) {
        pwa.update_ready.set(true);
    }
    let on_found = {
        let reg = reg.clone();
        EventListener::new(&reg.clone(), "updatefound", move |_| {
            let Some(installing) = reg.installing() else {
                return;
            };
            let reg = reg.clone();
            let watched = installing.clone();
            let on_state = EventListener::new(&installing, "statechange", move |_| {
                if watched.state() == ServiceWorkerState::Installed && waiting_update(&reg) {
                    pwa.update_ready.set(true);
                }
            });
            INNER.with(|i| i.borrow_mut().listeners.push(on_state));
        })
    };
    // Check for a new version when the care manager comes back to the app, and now and then.
    let on_visible = web_sys::window().and_then(|w| w.document()).map(|doc| {
        EventListener::new(&doc, "visibilitychange", move |_| {
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if visible {
                check_for_update();
            }
        })
    });
    let interval = gloo::timers::callback::Interval::new(UPDATE_CHECK_MS, check_for_update);
    INNER.with(|i| {
        let mut i = i.borrow_mut();
        i.registration = Some(reg);
        i.listeners.push(on_found);
        i.listeners.extend(on_visible);
        i.interval = Some(interval);
    });
}

/// Asks the browser to fetch sw.js again; a changed file installs as a waiting worker.
pub fn check_for_update() {
    let Some(reg) = INNER.with(|i| i.borrow().registration.clone()) else {
        return;
    };
    let Ok(promise) = reg.update() else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        // Offline or relay down: the next check tries again.
        let _ = JsFuture::from(promise).await;
    });
}

/// Saves every pending edit, then switches to the waiting version (the page reloads once).
/// If something could not be saved, nothing is switched and the reason is returned.
pub async fn apply_update(session: &Session) -> Result<(), String> {
    // An edit flushed as the button took focus (a note editor saves on blur) is still being
    // written: let it finish, so it is saved, not merely pending.
    for _ in 0..SAVE_WAIT_STEPS {
        if session.save_state.get_untracked() != SaveState::Saving {
            break;
        }
        pause(SAVE_WAIT_STEP_MS).await;
    }
    if session.save_state.get_untracked() == SaveState::Saving {
        return Err("a save is still in progress".into());
    }
    session.save_pending().await.map_err(|e| e.to_string())?;
    let waiting: Option<ServiceWorker> = INNER
        .with(|i| i.borrow().registration.clone())
        .and_then(|r| r.waiting());
    let Some(waiting) = waiting else {
        return Err("the new version is no longer waiting; reload to use it".into());
    };
    INNER.with(|i| i.borrow_mut().reload_on_change = true);
    let message = js_sys::Object::new();
    js_sys::Reflect::set(&message, &"type".into(), &"SKIP_WAITING".into())
        .map_err(|_| "could not ask the new version to start".to_string())?;
    waiting
        .post_message(&message)
        .map_err(|_| "could not ask the new version to start".to_string())
}

/// Shows the browser's install dialog (only after it offered one). Returns whether the user
/// accepted.
pub async fn prompt_install() -> bool {
    let Some(event) = INNER.with(|i| i.borrow_mut().install_prompt.take()) else {
        return false;
    };
    // The offer can be used once.
    state().can_install.set(false);
    let call = |name: &str| -> Option<js_sys::Promise> {
        let f = js_sys::Reflect::get(&event, &JsValue::from_str(name)).ok()?;
        let f: js_sys::Function = f.dyn_into().ok()?;
        f.call0(&event).ok()?.dyn_into().ok()
    };
    let Some(shown) = call("prompt") else {
        return false;
    };
    if JsFuture::from(shown).await.is_err() {
        return false;
    }
    let Ok(choice) = js_sys::Reflect::get(&event, &JsValue::from_str("userChoice")) else {
        return false;
    };
    let Ok(choice) = choice.dyn_into::<js_sys::Promise>() else {
        return false;
    };
    let Ok(result) = JsFuture::from(choice).await else {
        return false;
    };
    let accepted = js_sys::Reflect::get(&result, &JsValue::from_str("outcome"))
        .ok()
        .and_then(|o| o.as_string())
        .is_some_and(|o| o == "accepted");
    if accepted {
        state().installed.set(true);
    }
    accepted
}

/// Running as an installed app (its own window, or from the iOS Home Screen).
pub fn is_standalone() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let media = window
        .match_media("(display-mode: standalone)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let ios = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("standalone"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    media || ios
}

/// iPhone, iPod or iPad (iPadOS reports itself as a Mac with a touch screen). There, only Safari's
/// "Add to Home Screen" installs, and Safari erases a site's data after 7 days without use unless
/// it was added.
pub fn is_ios() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    let ua = navigator.user_agent().unwrap_or_default();
    ua.contains("iPhone")
        || ua.contains("iPad")
        || ua.contains("iPod")
        || (ua.contains("Macintosh") && navigator.max_touch_points() > 1)
}

async fn pause(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        gloo::timers::callback::Timeout::new(ms, move || {
            let _ = resolve.call0(&JsValue::NULL);
        })
        .forget();
    });
    let _ = JsFuture::from(promise).await;
}
