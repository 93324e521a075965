//! Settings → Sync: start a workspace, invite a device (join code as text and QR), join with a code.

use base64::Engine as _;
use leptos::{prelude::*, task::spawn_local};

use crate::sync::{StatusText, SyncHandle, SyncStatus};

/// The "Sync between devices" card of the settings page.
#[component]
pub fn SyncSetup() -> impl IntoView {
    let Some(sync) = use_context::<SyncHandle>() else {
        return view! { <p class="muted">"Sync is not available in this view."</p> }.into_any();
    };
    let status = sync.status;
    // A removed device sees the join form again (the status says why).
    let removed_check = sync.clone();
    let set_up = move || {
        let st = status.get();
        !matches!(st, SyncStatus::NotSetUp | SyncStatus::Starting) && !removed_check.is_removed()
    };

    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let device_name = RwSignal::new(String::new());
    let join_code = RwSignal::new(String::new());
    let invite = RwSignal::new(None::<String>);

    let name_opt = move || {
        let n = device_name.get_untracked().trim().to_string();
        (!n.is_empty()).then_some(n)
    };

    let s = sync.clone();
    let start = move |_| {
        let s = s.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match s.start_workspace(name_opt()).await {
                Ok(()) => message.set(Some(
                    "Workspace started. Invite your other devices below.".into(),
                )),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let s = sync.clone();
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let s = s.clone();
        let code = join_code.get_untracked();
        if code.trim().is_empty() {
            error.set(Some(
                "Paste the join code shown on the other device.".into(),
            ));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match s.join(&code, name_opt()).await {
                Ok(()) => {
                    join_code.set(String::new());
                    message.set(Some(
                        "Joined. This device is receiving the workspace's patients.".into(),
                    ));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let session = expect_context::<crate::session::Session>();
    // Whom the next invite is for: this person by default (their own second device); people
    // of the roster for someone who leads the team.
    let invite_for = RwSignal::new(session.person_id());
    let invitees = {
        let session = session.clone();
        move || {
            let me = session.person_id();
            let leads = session.leads_team();
            let mut options = vec![(me.clone(), format!("Me ({})", session.author().user_name))];
            if leads {
                options.extend(session.people_choices(&me));
                options.push((
                    String::new(),
                    "Someone new (they say who they are on the device)".to_string(),
                ));
            }
            options
        }
    };
    let s = sync.clone();
    let chooser = session.clone();
    let make_invite = move |_| {
        let s = s.clone();
        let chosen = invite_for.get_untracked();
        let person = if chosen.is_empty() {
            // Someone new: the device joins as whoever says who they are on it.
            None
        } else {
            chooser
                .people()
                .into_iter()
                .find(|p| p.id == chosen)
                .or_else(|| {
                    // Not on the roster yet (a device that never synced it): invite as who is here.
                    chooser
                        .identity
                        .get_untracked()
                        .map(|i| tend_core::workspace::Person {
                            id: chooser.person_id(),
                            name: i.name,
                            role: i.role,
                            active: true,
                            ..Default::default()
                        })
                })
        };
        busy.set(true);
        error.set(None);
        // The code on screen is for whoever was chosen before: never leave it showing while a new
        // one (perhaps for someone else) is made.
        invite.set(None);
        spawn_local(async move {
            match s.invite(person.as_ref()).await {
                Ok(code) => invite.set(Some(code)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let s = sync.clone();
    let sync_now = move |_| s.sync_now();
    let ws_id = {
        let s = sync.clone();
        move || s.workspace_id().unwrap_or_default()
    };
    let follower = {
        let s = sync.clone();
        move || !s.is_leader()
    };

    view! {
        <section class="card" aria-labelledby="sync-title">
            <h2 id="sync-title">"Sync between devices"</h2>
            <p role="status" class="hint">{move || status.get().describe()}</p>
            {move || error.get().map(|e| view! { <p role="alert" class="status-error">{e}</p> })}
            {move || message.get().map(|m| view! { <p class="form-message">{m}</p> })}
            <Show
                when=set_up
                fallback=move || {
                    view! {
                        <p>"Patients are kept on this device only. To share them with your team's other devices, start a workspace here, or join one another device started."</p>
                        <label class="field">
                            <span>"Name of this device"</span>
                            <span class="hint">"Optional, e.g. \"Ana's tablet\""</span>
                            <input type="text" autocomplete="off" prop:value=device_name
                                on:input=move |ev| device_name.set(event_target_value(&ev)) />
                        </label>
                        <button class="button button-primary" on:click=start.clone()
                            prop:disabled=move || busy.get()>"Start a workspace"</button>
                        <form class="form" on:submit=join.clone()>
                            <h3>"Join a workspace"</h3>
                            <label class="field">
                                <span>"Join code"</span>
                                <textarea rows="3" autocomplete="off" spellcheck="false" aria-describedby="join-code-hint"
                                    prop:value=join_code
                                    on:input=move |ev| join_code.set(event_target_value(&ev))></textarea>
                            </label>
                            <p id="join-code-hint" class="hint">"Shown under \"Invite a device\" on a device already in the workspace."</p>
                            <button class="button" type="submit" prop:disabled=move || busy.get()>"Join workspace"</button>
                        </form>
                    }
                }
            >
                <dl class="facts">
                    <dt>"Workspace"</dt><dd><code>{ws_id.clone()}</code></dd>
                </dl>
                <Show when=follower.clone()>
                    <p class="hint">"Another Tend tab on this device syncs for it; this tab shows its status, and \"Sync now\" asks that tab."</p>
                </Show>
                <label class="field">
                    <span>"New device is for"</span>
                    <select on:change=move |ev| { invite_for.set(event_target_value(&ev)); invite.set(None); }
                        prop:value=move || invite_for.get()>
                        {let invitees = invitees.clone(); move || invitees().into_iter().map(|(id, label)| {
                            let selected = id == invite_for.get_untracked();
                            view! { <option value=id selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <div class="toolbar">
                    <button class="button" on:click=sync_now.clone()>"Sync now"</button>
                    <button class="button" on:click=make_invite.clone()
                        prop:disabled=move || busy.get()>"Invite a device"</button>
                </div>
                {move || invite.get().map(|code| view! { <Invite code=code /> })}
            </Show>
        </section>
    }
    .into_any()
}

/// A join code as selectable text and as a QR code. It carries the workspace key: show it only to
/// the person setting up the new device.
#[component]
fn Invite(code: String) -> impl IntoView {
    let qr = qr_data_url(&code);
    view! {
        <div class="invite">
            <p>"On the new device, open Settings and paste this join code (or scan the QR code). The device will belong to the person it is for. It works once, for 24 hours. Anyone with it can read this workspace's patients: share it only in person."</p>
            <label class="field field-wide">
                <span>"Join code for a new device"</span>
                <textarea readonly rows="3" spellcheck="false">{code.clone()}</textarea>
            </label>
            {qr.map(|src| view! {
                <img class="qr" src=src width="240" height="240"
                    alt="QR code of the join code above, for the new device's camera" />
            })}
        </div>
    }
}

fn qr_data_url(code: &str) -> Option<String> {
    let qr = qrcode::QrCode::new(code.as_bytes()).ok()?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}
