//! "A new version of Tend is ready": offered when a new build is waiting (see `pwa.rs`). Updating
//! first saves every pending edit; if that fails nothing is switched and the user is told why.

use leptos::{prelude::*, task::spawn_local};

use crate::pwa;
use crate::session::Session;

#[component]
pub fn UpdateBanner() -> impl IntoView {
    let session = expect_context::<Session>();
    let ready = pwa::state().update_ready;
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let update = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let session = session.clone();
        spawn_local(async move {
            // On success the page reloads into the new version; the button stays busy until then.
            if let Err(e) = pwa::apply_update(&session).await {
                problem.set(Some(e));
                busy.set(false);
            }
        });
    };
    view! {
        // Always present, so screen readers announce the banner when it appears.
        <div role="status" class="update-region">
            <Show when=move || ready.get()>
                <section class="banner banner-update" aria-label="App update">
                    <div>
                        <p class="banner-title">"A new version of Tend is ready"</p>
                        {move || problem.get().map(|p| view! {
                            <p class="error">
                                {format!("Not updated: {p}. Your work is still here; try again once it is saved.")}
                            </p>
                        })}
                    </div>
                    <button class="button" on:click=update.clone() disabled=move || busy.get()>
                        {move || if busy.get() { "Saving, then updating…" } else { "Update now" }}
                    </button>
                </section>
            </Show>
        </div>
    }
}
