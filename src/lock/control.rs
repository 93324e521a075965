//! The lock's state machine: first PIN, unlock (with the failed-attempt count persisted before the
//! PIN is checked), lock (nothing pending is dropped), change PIN (re-wrap only) and the wipe after
//! too many wrong PINs. The screens (`gate.rs`) call it; it owns the storage handle for the page's
//! life and the session while unlocked.

use std::{cell::RefCell, rc::Rc};

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use tend_core::lock::{
    self, check_new_pin, DataKey, FailedAttempt, LockError, LockRecord, Pbkdf2Params,
};

use super::derive::derive_kek;
use crate::session::{SaveState, Session};
use crate::storage::{Storage, StorageError};
use crate::sync::SyncHandle;
use crate::tabs::Tabs;

/// Sealed meta key of the auto-lock setting (minutes).
pub const AUTO_LOCK_META: &str = "auto_lock_minutes";

/// What the gate shows.
#[derive(Clone)]
pub enum Screen {
    Opening,
    FirstRun,
    Locked,
    Unlocked(Session),
    Failure(String),
}

/// Why an unlock did not succeed.
#[derive(Clone, Debug, PartialEq)]
pub enum UnlockFailure {
    WrongPin {
        remaining: u32,
        warn: bool,
    },
    /// Too many wrong PINs: the data was erased (the gate shows first run).
    Wiped,
    Other(String),
}

struct Inner {
    storage: Rc<Storage>,
    screen: RwSignal<Screen>,
    /// A message kept across screens (the data was erased; locking failed).
    notice: RwSignal<Option<String>>,
    /// Minutes of inactivity before the app locks itself (from sealed meta after unlock).
    auto_lock_minutes: RwSignal<u32>,
    sync: RefCell<Option<SyncHandle>>,
    /// Listens for "erased" from other tabs for the page's life.
    tabs: RefCell<Option<Tabs>>,
}

/// The lock, shared by the gate, the app bar's "Lock" button, idle tracking and settings.
#[derive(Clone)]
pub struct LockControl(SendWrapper<Rc<Inner>>);

impl LockControl {
    pub fn new(storage: Rc<Storage>) -> Self {
        let control = LockControl(SendWrapper::new(Rc::new(Inner {
            storage,
            screen: RwSignal::new(Screen::Opening),
            notice: RwSignal::new(None),
            auto_lock_minutes: RwSignal::new(lock::DEFAULT_AUTO_LOCK_MINUTES),
            sync: RefCell::new(None),
            tabs: RefCell::new(None),
        })));
        let on_wiped = control.clone();
        *control.0.tabs.borrow_mut() = Some(Tabs::listen_for_wipe(move || {
            on_wiped.drop_everything(Screen::FirstRun);
            on_wiped.0.notice.set(Some(ERASED_NOTICE.into()));
        }));
        control
    }

    pub fn screen(&self) -> RwSignal<Screen> {
        self.0.screen
    }

    pub fn notice(&self) -> RwSignal<Option<String>> {
        self.0.notice
    }

    pub fn auto_lock_minutes(&self) -> RwSignal<u32> {
        self.0.auto_lock_minutes
    }

    pub fn storage(&self) -> Rc<Storage> {
        Rc::clone(&self.0.storage)
    }

    /// Reads the lock record: first run, or locked.
    pub async fn start(&self) {
        let screen = match self.0.storage.lock_record().await {
            Ok(None) => Screen::FirstRun,
            Ok(Some(_)) => Screen::Locked,
            Err(e) => Screen::Failure(format!("The device lock could not be read: {e}")),
        };
        self.0.screen.set(screen);
    }

    /// The sync engine started for the unlocked session; stopped when locking.
    pub fn adopt_sync(&self, sync: SyncHandle) {
        *self.0.sync.borrow_mut() = Some(sync);
    }

    /// First run: a new data key wrapped by the PIN; data written before the lock is re-sealed in
    /// the same transaction that stores the lock record.
    pub async fn set_pin(&self, pin: &str, repeated: &str) -> Result<(), String> {
        check_new_pin(pin, repeated).map_err(|e| e.to_string())?;
        let params = Pbkdf2Params::generate().map_err(|e| e.to_string())?;
        let kek = derive_kek(pin, &params).await.map_err(|e| e.to_string())?;
        let key = DataKey::generate().map_err(|e| e.to_string())?;
        let record = LockRecord::new(params, &kek, &key).map_err(|e| e.to_string())?;
        self.0
            .storage
            .set_up_lock(&record, key)
            .await
            .map_err(|e| format!("The PIN could not be saved on this device: {e}"))?;
        self.0.notice.set(None);
        self.open_session().await;
        Ok(())
    }

    /// Unlocks with `pin`. The attempt is counted in storage BEFORE the PIN is checked, so closing
    /// the tab mid-attempt cannot reset the count; a right PIN resets it.
    pub async fn unlock(&self, pin: &str) -> Result<(), UnlockFailure> {
        let other = |e: StorageError| UnlockFailure::Other(e.to_string());
        let mut record = match self.0.storage.lock_record().await.map_err(other)? {
            Some(record) => record,
            None => {
                self.0.screen.set(Screen::FirstRun);
                return Err(UnlockFailure::Other("No PIN is set on this device.".into()));
            }
        };
        record.failed_attempts = record.failed_attempts.saturating_add(1);
        self.0
            .storage
            .put_lock_record(&record)
            .await
            .map_err(other)?;
        let kek = derive_kek(pin, &record.kdf)
            .await
            .map_err(|e| UnlockFailure::Other(e.to_string()))?;
        match lock::unwrap_data_key(&kek, &record.wrapped_key) {
            Ok(key) => {
                record.failed_attempts = 0;
                self.0
                    .storage
                    .put_lock_record(&record)
                    .await
                    .map_err(other)?;
                self.0.storage.seal().set_key(key);
                self.0.notice.set(None);
                self.open_session().await;
                Ok(())
            }
            Err(LockError::WrongPin) => match lock::after_failed_attempt(record.failed_attempts) {
                FailedAttempt::TryAgain { remaining, warn } => {
                    Err(UnlockFailure::WrongPin { remaining, warn })
                }
                FailedAttempt::Wipe => {
                    self.wipe().await.map_err(UnlockFailure::Other)?;
                    Err(UnlockFailure::Wiped)
                }
            },
            Err(e) => Err(UnlockFailure::Other(e.to_string())),
        }
    }

    async fn open_session(&self) {
        let storage = Rc::clone(&self.0.storage);
        if let Ok(Some(m)) = storage.meta(AUTO_LOCK_META).await {
            self.0
                .auto_lock_minutes
                .set(lock::auto_lock_minutes(Some(&m)));
        }
        match Session::open_with(storage).await {
            Ok(session) => {
                session.listen_to_tabs();
                self.0.screen.set(Screen::Unlocked(session));
            }
            Err(e) => {
                self.0.storage.seal().forget();
                self.0.screen.set(Screen::Failure(e.to_string()));
            }
        }
    }

    /// Locks: saves what is pending first; if that fails the app stays unlocked and says why.
    pub async fn lock_now(&self) -> Result<(), String> {
        let Screen::Unlocked(session) = self.0.screen.get_untracked() else {
            return Ok(());
        };
        // A focused narrative editor sends its text on blur.
        blur_active_element();
        settle(&session).await;
        if let Err(e) = session.save_pending().await {
            let msg = format!(
                "Tend did not lock: your latest change is not saved yet ({e}). It is kept in memory; lock again once it is saved."
            );
            session.problems.update(|p| {
                if !p.contains(&msg) {
                    p.push(msg.clone())
                }
            });
            return Err(msg);
        }
        // Unmount first (editors save on unmount, with the key still present), then drop the key.
        self.stop_sync();
        self.0.screen.set(Screen::Locked);
        settle(&session).await;
        if let SaveState::Failed(e) = session.save_state.get_untracked() {
            self.0.notice.set(Some(format!(
                "A change made just before locking could not be saved: {e}"
            )));
        }
        session.close();
        self.0.storage.seal().forget();
        Ok(())
    }

    /// Change PIN: re-wraps the same data key (no record is re-encrypted) under a fresh salt.
    pub async fn change_pin(&self, current: &str, new: &str, repeated: &str) -> Result<(), String> {
        check_new_pin(new, repeated).map_err(|e| e.to_string())?;
        let mut record = self
            .0
            .storage
            .lock_record()
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "No PIN is set on this device.".to_string())?;
        let old_kek = derive_kek(current, &record.kdf)
            .await
            .map_err(|e| e.to_string())?;
        let key = lock::unwrap_data_key(&old_kek, &record.wrapped_key)
            .map_err(|_| "The current PIN is wrong. Your PIN was not changed.".to_string())?;
        let params = Pbkdf2Params::generate().map_err(|e| e.to_string())?;
        let new_kek = derive_kek(new, &params).await.map_err(|e| e.to_string())?;
        record.wrapped_key = lock::wrap_data_key(&new_kek, &key).map_err(|e| e.to_string())?;
        record.kdf = params;
        record.failed_attempts = 0;
        self.0
            .storage
            .put_lock_record(&record)
            .await
            .map_err(|e| format!("The new PIN could not be saved: {e}"))
    }

    /// Erases this device's data (every store, the lock record included), tells the other tabs,
    /// and shows first run with a notice.
    async fn wipe(&self) -> Result<(), String> {
        self.0
            .storage
            .erase_everything()
            .await
            .map_err(|e| format!("Erasing this device's data failed: {e}"))?;
        if let Some(tabs) = self.0.tabs.borrow().as_ref() {
            tabs.announce_wiped();
        }
        self.drop_everything(Screen::FirstRun);
        self.0.notice.set(Some(ERASED_NOTICE.into()));
        Ok(())
    }

    /// Another tab erased the data (or this one did): no saving, nothing is left to save into.
    fn drop_everything(&self, next: Screen) {
        self.stop_sync();
        if let Screen::Unlocked(session) = self.0.screen.get_untracked() {
            session.close();
        }
        self.0.storage.seal().forget();
        self.0.screen.set(next);
    }

    fn stop_sync(&self) {
        if let Some(sync) = self.0.sync.borrow_mut().take() {
            sync.stop();
        }
    }

    /// Stores the auto-lock setting (sealed meta).
    pub async fn set_auto_lock_minutes(&self, minutes: u32) -> Result<(), String> {
        let minutes = lock::auto_lock_minutes(Some(&minutes.to_string()));
        self.0
            .storage
            .set_meta(AUTO_LOCK_META, &minutes.to_string())
            .await
            .map_err(|e| e.to_string())?;
        self.0.auto_lock_minutes.set(minutes);
        Ok(())
    }
}

pub const ERASED_NOTICE: &str = "Too many wrong PINs: the Tend data on this device was erased. Set a new PIN to start again; patients shared through a workspace can be downloaded again by joining it.";

fn blur_active_element() {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.blur();
    }
}

/// Lets edits that were just started (blur, unmount) run, then waits while a save is in flight.
async fn settle(session: &Session) {
    for _ in 0..200 {
        next_tick().await;
        if session.save_state.get_untracked() != SaveState::Saving {
            return;
        }
    }
}

/// One macrotask turn (a zero timeout), so spawned futures and IndexedDB callbacks get to run.
async fn next_tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
