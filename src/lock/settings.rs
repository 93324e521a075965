//! Settings → "Device lock": what the PIN protects, the auto-lock time, and "Change PIN" (re-wraps
//! the data key; stored records are not re-encrypted).

use leptos::{prelude::*, task::spawn_local};
use tend_core::lock::AUTO_LOCK_MINUTES;

use super::control::LockControl;
use super::pin_form::{PinField, PinForm};

#[component]
pub fn LockSettings() -> impl IntoView {
    // Without the gate (tests mounting the app directly) there is no lock to configure.
    use_context::<LockControl>().map(|control| {
        view! {
            <section class="card" aria-labelledby="lock-title">
                <h2 id="lock-title">"Device lock"</h2>
                <p>"Everything Tend stores on this device is encrypted with a key that only your PIN unlocks. When Tend locks, the key and the open records leave memory; after 10 wrong PINs the data on this device is erased."</p>
                <AutoLock control=control.clone() />
                <ChangePin control=control />
            </section>
        }
    })
}

#[component]
fn AutoLock(control: LockControl) -> impl IntoView {
    let minutes = control.auto_lock_minutes();
    let message = RwSignal::new(String::new());
    let change = move |ev: leptos::ev::Event| {
        let Ok(chosen) = event_target_value(&ev).parse::<u32>() else {
            return;
        };
        let control = control.clone();
        spawn_local(async move {
            match control.set_auto_lock_minutes(chosen).await {
                Ok(()) => message.try_set(format!(
                    "Tend now locks after {} without use.",
                    minutes_label(chosen)
                )),
                Err(e) => message.try_set(format!("The setting could not be saved: {e}")),
            };
        });
    };
    view! {
        <label class="field">
            <span>"Lock automatically after"</span>
            <select on:change=change prop:value=move || minutes.get().to_string()>
                {AUTO_LOCK_MINUTES
                    .iter()
                    .map(|m| {
                        let label = minutes_label(*m);
                        view! { <option value=m.to_string() selected=move || minutes.get() == *m>{label}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
        <p class="form-message" role="status">{move || message.get()}</p>
    }
}

#[component]
fn ChangePin(control: LockControl) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let done = RwSignal::new(String::new());
    let form = PinForm::new();
    let submit = form.on_submit(move || {
        let control = control.clone();
        done.set(String::new());
        async move {
            control
                .change_pin(
                    &current.get_untracked(),
                    &new.get_untracked(),
                    &repeated.get_untracked(),
                )
                .await?;
            current.try_set(String::new());
            new.try_set(String::new());
            repeated.try_set(String::new());
            done.try_set("PIN changed. Use the new PIN from now on.".into());
            Ok(())
        }
    });
    view! {
        <form class="form" on:submit=submit>
            <h3>"Change PIN"</h3>
            <PinField label="Current PIN" value=current autocomplete="current-password" />
            <PinField label="New PIN" value=new autocomplete="new-password" />
            <PinField label="Repeat new PIN" value=repeated autocomplete="new-password" />
            {form.feedback("Changing PIN…")}
            <p class="form-message" role="status">{move || done.get()}</p>
            <button type="submit" class="button" disabled=move || form.busy()>"Change PIN"</button>
        </form>
    }
}

fn minutes_label(m: u32) -> String {
    if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}
