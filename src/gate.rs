//! The root gate, mounted by `start()` above the app: what is shown instead of the app until the
//! device is unlocked. First run (choose a PIN), locked (enter it), unlocked (who I am, then the
//! app, with the sync engine and idle tracking), or a startup failure. Unlocking remounts the app
//! on the same URL, so the router puts the user back where they were.

use leptos::{prelude::*, task::spawn_local};

use crate::app::{App, StartupFailure};
use crate::lock::control::{LockControl, Screen, UnlockFailure};
use crate::lock::idle::IdleWatch;
use crate::lock::pin_form::{PinField, PinForm};
use crate::pages::identity::WhoAmI;
use crate::session::Session;
use crate::sync::SyncHandle;

#[component]
pub fn Gate(control: LockControl) -> impl IntoView {
    provide_context(control.clone());
    let screen = control.screen();
    let notice = control.notice();
    let start = control.clone();
    spawn_local(async move { start.start().await });
    view! {
        <Show when=move || notice.get().is_some() && !matches!(screen.get(), Screen::Unlocked(_))>
            <section class="banner banner-warning lock-notice" role="alert">
                <p>{move || notice.get().unwrap_or_default()}</p>
            </section>
        </Show>
        {move || match screen.get() {
            Screen::Opening => view! { <main id="main" class="lock-screen"><p role="status">"Opening Tend…"</p></main> }.into_any(),
            Screen::FirstRun => view! { <FirstRun /> }.into_any(),
            Screen::Locked => view! { <Locked /> }.into_any(),
            Screen::Unlocked(session) => view! { <Unlocked session=session /> }.into_any(),
            Screen::Failure(reason) => view! { <StartupFailure reason=reason /> }.into_any(),
        }}
    }
}

/// The app, with the services that live exactly as long as the unlock.
#[component]
fn Unlocked(session: Session) -> impl IntoView {
    let control = expect_context::<LockControl>();
    let sync = SyncHandle::start(session.clone());
    control.adopt_sync(sync.clone());
    {
        // The roster (in the workspace document) decides roles and names: load it now, and put
        // a device that was in a workspace before rosters on it once.
        let session = session.clone();
        spawn_local(async move {
            if session.workspace().await.is_ok() {
                session.join_roster_if_new().await;
            }
        });
    }
    provide_context(sync);
    let idle = send_wrapper::SendWrapper::new(IdleWatch::start(control.clone()));
    on_cleanup(move || drop(idle));
    // Nothing can be changed before the person says who they are: every change carries them.
    let identity = session.identity;
    let asking = session.clone();
    view! {
        <Show
            when=move || identity.with(Option::is_some)
            fallback=move || view! { <WhoAmI session=asking.clone() /> }
        >
            <App session=session.clone() />
        </Show>
    }
}

#[component]
fn FirstRun() -> impl IntoView {
    let control = expect_context::<LockControl>();
    let pin = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let form = PinForm::new();
    // On success this screen is replaced by the app.
    let submit = form.on_submit(move || {
        let control = control.clone();
        async move {
            control
                .set_pin(&pin.get_untracked(), &repeated.get_untracked())
                .await
        }
    });
    view! {
        <main id="main" class="lock-screen">
            <form class="card form lock-card" on:submit=submit>
                <h1>"Protect patient data on this device"</h1>
                <p>"Choose a PIN or passphrase of at least 6 characters. Tend encrypts everything it stores on this device with a key that only this PIN unlocks, and locks itself when the device is left idle."</p>
                <p class="hint">"There is no way to recover a forgotten PIN: after 10 wrong tries the data on this device is erased (changes already synced to your workspace are kept there)."</p>
                <PinField label="New PIN" value=pin autocomplete="new-password" />
                <PinField label="Repeat new PIN" value=repeated autocomplete="new-password" />
                {form.feedback("Setting up encryption…")}
                <button type="submit" class="button button-primary" disabled=move || form.busy()>"Set PIN"</button>
            </form>
        </main>
    }
}

#[component]
fn Locked() -> impl IntoView {
    let control = expect_context::<LockControl>();
    let pin = RwSignal::new(String::new());
    let form = PinForm::new();
    let submit = form.on_submit(move || {
        let control = control.clone();
        async move {
            let message = match control.unlock(&pin.get_untracked()).await {
                // Unlocked, or erased: either way this screen is replaced.
                Ok(()) | Err(UnlockFailure::Wiped) => return Ok(()),
                Err(UnlockFailure::WrongPin { remaining, warn }) => {
                    wrong_pin_message(remaining, warn)
                }
                Err(UnlockFailure::Other(e)) => e,
            };
            pin.try_set(String::new());
            Err(message)
        }
    });
    view! {
        <main id="main" class="lock-screen">
            <form class="card form lock-card" on:submit=submit>
                <h1>"Tend is locked"</h1>
                <p>"Enter your PIN to open patient data on this device."</p>
                <PinField label="PIN" value=pin autocomplete="current-password" autofocus=true />
                {form.feedback("Unlocking…")}
                <button type="submit" class="button button-primary" disabled=move || form.busy()>"Unlock"</button>
            </form>
        </main>
    }
}

pub fn wrong_pin_message(remaining: u32, warn: bool) -> String {
    if !warn {
        return "Wrong PIN. Try again.".into();
    }
    let attempts = if remaining == 1 {
        "1 attempt remains".to_string()
    } else {
        format!("{remaining} attempts remain")
    };
    format!("Wrong PIN. {attempts} before this device's Tend data is erased (changes not yet synced would be lost).")
}
