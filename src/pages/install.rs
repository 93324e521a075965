//! Settings → "Install Tend": the browser's install offer where there is one, Add-to-Home-Screen
//! steps on iPad/iPhone (where Safari erases the data of sites not added after 7 days without
//! use), and which build is running.

use leptos::{prelude::*, task::spawn_local};

use crate::pwa;

#[component]
pub fn InstallSection() -> impl IntoView {
    let pwa = pwa::state();
    let version = pwa::build_version().unwrap_or_else(|| "development build".into());
    let ios = pwa::is_ios();
    let install = move |_| {
        spawn_local(async move {
            pwa::prompt_install().await;
        })
    };
    view! {
        <section class="card" aria-labelledby="install-title">
            <h2 id="install-title">"App on this device"</h2>
            <dl class="facts">
                <dt>"Version"</dt><dd><code>{version}</code></dd>
            </dl>
            {move || {
                if pwa.installed.get() {
                    view! { <p>"Tend is installed on this device and opens without a network."</p> }
                        .into_any()
                } else if pwa.can_install.get() {
                    view! {
                        <p>"Install Tend to open it from the home screen, in its own window, even offline."</p>
                        <button class="button" on:click=install>"Install Tend"</button>
                    }
                        .into_any()
                } else if ios {
                    view! {
                        <p class="install-warning">
                            <strong>"Add Tend to the Home Screen."</strong>
                            " Safari may erase this site's data, including patients not yet synced, after 7 days without use unless Tend is added to the Home Screen."
                        </p>
                        <ol class="install-steps">
                            <li>"In Safari, tap the Share button (the square with an arrow pointing up)."</li>
                            <li>"Choose \u{201c}Add to Home Screen\u{201d}."</li>
                            <li>"Tap \u{201c}Add\u{201d}, then open Tend from its Home Screen icon."</li>
                        </ol>
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="muted">
                            "This browser has not offered to install Tend. Its menu may have \u{201c}Install app\u{201d} or \u{201c}Add to Home Screen\u{201d}."
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
