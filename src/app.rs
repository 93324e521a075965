//! The shell: skip link, top bar with navigation and the always-visible save/sync status, routes.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes, A},
    path,
};

use crate::components::lock_button::LockButton;
use crate::components::status::StatusBar;
use crate::components::update_banner::UpdateBanner;
use crate::pages::{
    billing::BillingPage, caseload::CaseloadPage, chart::PatientPage, directory::DirectoryPage,
    handout::HandoutPage, not_found::NotFound, settings::SettingsPage, team::TeamPage,
    today::TodayPage,
};
use crate::session::Session;

#[component]
pub fn App(session: Session) -> impl IntoView {
    provide_context(session);
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="app-bar">
                <span class="brand" aria-hidden="true">"Tend"</span>
                <nav aria-label="Main">
                    <A href="/" exact=true>"Today"</A>
                    <A href="/caseload">"Caseload"</A>
                    <A href="/directory">"Resources"</A>
                    <A href="/billing">"Billing"</A>
                    <A href="/team">"Team"</A>
                    <A href="/settings">"Settings"</A>
                </nav>
                <StatusBar />
                <LockButton />
            </header>
            <ProblemBanner />
            <NoticeBanner />
            <UpdateBanner />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=TodayPage />
                    <Route path=path!("/caseload") view=CaseloadPage />
                    <Route path=path!("/billing") view=BillingPage />
                    <Route path=path!("/team") view=TeamPage />
                    <Route path=path!("/directory") view=DirectoryPage />
                    <Route path=path!("/patients/:id") view=PatientPage />
                    <Route path=path!("/patients/:id/handout") view=HandoutPage />
                    <Route path=path!("/settings") view=SettingsPage />
                </Routes>
            </main>
        </Router>
    }
}

/// Problems with stored data (unreadable records set aside, failed tidy-ups): shown, not hidden.
#[component]
fn ProblemBanner() -> impl IntoView {
    let problems = expect_context::<Session>().problems;
    view! { <ListBanner items=problems class="banner-warning" role="alert" label="Problems with saved data" /> }
}

/// What sync changed on this device that the user should know: shown, not hidden, until dismissed.
#[component]
fn NoticeBanner() -> impl IntoView {
    let notices = expect_context::<Session>().notices;
    view! { <ListBanner items=notices class="banner-info" role="status" label="Changes on this device" /> }
}

/// A dismissable banner listing `items`, shown while there are any.
#[component]
fn ListBanner(
    items: RwSignal<Vec<String>>,
    class: &'static str,
    role: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || !items.get().is_empty()>
            <section class=format!("banner {class}") role=role aria-label=label>
                <ul>
                    <For each=move || items.get() key=|i| i.clone() let:item>
                        <li>{item}</li>
                    </For>
                </ul>
                <button class="button" on:click=move |_| items.set(Vec::new())>"Dismiss"</button>
            </section>
        </Show>
    }
}

/// Shown instead of the app when device storage cannot be opened at all.
/// Shown while storage has not opened after a moment: usually a newer version upgrading the
/// database while another tab still runs the older one (a slow device can also be the reason, so
/// it does not claim more than it knows).
#[component]
pub fn StorageWaiting() -> impl IntoView {
    view! {
        <main id="main" class="startup-failure">
            <h1>"Opening Tend is taking longer than usual"</h1>
            <p role="status">
                "If Tend is open in another tab or window, close it there: an update to how Tend stores data waits for it. Tend continues on its own; nothing is lost."
            </p>
        </main>
    }
}

#[component]
pub fn StartupFailure(reason: String) -> impl IntoView {
    view! {
        <main id="main" class="startup-failure">
            <h1>"Tend cannot open this device's storage"</h1>
            <p role="alert">{reason}</p>
            <p>"Private browsing or a full disk can cause this. Nothing was changed. Close other Tend tabs and reload."</p>
        </main>
    }
}
