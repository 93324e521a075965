//! Settings: who uses this device (name and role), how safe the device's copy of the data is, sync,
//! and the workspace's devices.

use leptos::{prelude::*, task::spawn_local};

use crate::session::Session;
use crate::storage::device;

use super::install::InstallSection;
use super::sync_setup::SyncSetup;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let author = session.author();
    let usage = RwSignal::new(None::<device::Usage>);
    let persisted = RwSignal::new(None::<bool>);
    let refresh = move || {
        spawn_local(async move {
            usage.set(device::usage().await);
            persisted.set(device::is_persisted().await);
        })
    };
    refresh();
    let keep = move |_| {
        spawn_local(async move {
            persisted.set(device::request_persistence().await);
            usage.set(device::usage().await);
        })
    };
    let usage_text = move || match usage.get() {
        Some(u) => format!(
            "{} used of {} available to Tend",
            megabytes(u.used_bytes),
            megabytes(u.quota_bytes)
        ),
        None => "This browser does not report storage use.".into(),
    };
    view! {
        <section class="page" aria-labelledby="settings-title">
            <h1 id="settings-title">"Settings"</h1>
            <super::identity::IdentitySettings />
            <section class="card" aria-labelledby="device-title">
                <h2 id="device-title">"This device"</h2>
                <dl class="facts">
                    <dt>"Device id"</dt><dd><code>{author.device_id}</code></dd>
                    <dt>"Storage"</dt><dd>{usage_text}</dd>
                    <dt>"Protected from clean-up"</dt>
                    <dd>{move || match persisted.get() {
                        Some(true) => "Yes: the browser will not clear Tend's data to free space.",
                        Some(false) => "No: the browser may clear Tend's data when the device is short of space. Install Tend to the home screen, then try again.",
                        None => "Unknown in this browser.",
                    }}</dd>
                </dl>
                <Show when=move || persisted.get() != Some(true)>
                    <button class="button" on:click=keep>"Keep data on this device"</button>
                </Show>
            </section>
            <crate::lock::settings::LockSettings />
            <InstallSection />
            <SyncSetup />
            {use_context::<crate::sync::SyncHandle>().map(|sync| view! {
                <Show when=move || sync.workspace_id().is_some() && !sync.is_removed()>
                    <super::devices::DevicesSection />
                </Show>
            })}
        </section>
    }
}

fn megabytes(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}
