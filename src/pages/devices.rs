//! Settings → Devices: every device of the workspace — whose it is, what it is called, when the
//! relay last saw it — and, for team leads, "Revoke" for one that is lost or no longer used. Names
//! and people come from the (encrypted) roster; the relay knows only opaque ids and times.

use leptos::{prelude::*, task::spawn_local};
use tend_core::sync_wire::DeviceInfo;
use tend_core::workspace::WorkspaceRecord;

use crate::components::form::FormToggle;
use crate::format;
use crate::session::{EditError, Session};
use crate::sync::{SyncHandle, SyncStatus};

/// One row of the list: the relay's view of a device joined with the roster's.
#[derive(Clone, Debug, PartialEq)]
struct DeviceRow {
    relay_id: String,
    local_id: Option<String>,
    name: String,
    person: String,
    last_seen: Option<i64>,
    revoked: Option<String>,
    /// The relay has stopped its token (what the list last fetched says).
    stopped: bool,
    this_device: bool,
}

fn rows(relay: &[DeviceInfo], roster: Option<&WorkspaceRecord>, me: &str) -> Vec<DeviceRow> {
    let mut out: Vec<DeviceRow> = relay
        .iter()
        .map(|d| {
            let link = roster.and_then(|r| r.devices.values().find(|l| l.relay_id == d.device_id));
            let person = link
                .and_then(|l| roster.and_then(|r| r.people.get(&l.person_id)))
                .map(|p| p.signed_name())
                .unwrap_or_else(|| "Not on the roster".into());
            let short: String = d.device_id.chars().take(8).collect();
            let name = link
                .map(|l| l.name.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("Device {short}"));
            let revoked = match link.and_then(|l| l.revoked.as_ref()) {
                Some(stamp) => Some(format!(
                    "Revoked {} by {}",
                    format::date(stamp.at),
                    stamp.user_name
                )),
                None if d.revoked => Some("Revoked".into()),
                None => None,
            };
            DeviceRow {
                relay_id: d.device_id.clone(),
                local_id: link.map(|l| l.device_id.clone()),
                name,
                person,
                last_seen: d.last_seen,
                revoked,
                stopped: d.revoked,
                this_device: d.device_id == me,
            }
        })
        .collect();
    // By person and name: a row never moves when its device is revoked (a form in it may be saving).
    out.sort_by(|a, b| (&a.person, &a.name, &a.relay_id).cmp(&(&b.person, &b.name, &b.relay_id)));
    out
}

/// The "Devices" card of Settings (shown once the device is in a workspace).
#[component]
pub fn DevicesSection() -> impl IntoView {
    let Some(sync) = use_context::<SyncHandle>() else {
        return ().into_any();
    };
    let session = expect_context::<Session>();
    let leads = {
        let s = session.clone();
        Memo::new(move |_| s.leads_team())
    };
    let listed = RwSignal::new(None::<Result<Vec<DeviceInfo>, String>>);
    let load = {
        let sync = sync.clone();
        move || {
            let sync = sync.clone();
            spawn_local(async move {
                listed.set(Some(sync.devices().await));
            })
        }
    };
    load();
    let me = sync.device_id().unwrap_or_default();
    let roster = session.workspace_record;
    // The rows, and what changes the list's shape: each row is redrawn in place (keyed by its
    // relay id), so a form open in it (a revocation being saved) is not thrown away.
    let rows_now = Memo::new(move |_| {
        listed.with(|l| match l {
            Some(Ok(devices)) => roster.with(|r| rows(devices, r.as_ref(), &me)),
            _ => Vec::new(),
        })
    });
    let phase = Memo::new(move |_| {
        listed.with(|l| match l {
            None => Ok(false),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(_)) => Ok(true),
        })
    });
    let ids = Memo::new(move |_| {
        rows_now.with(|rows| rows.iter().map(|r| r.relay_id.clone()).collect::<Vec<_>>())
    });
    let status = sync.status;
    // Rotations owed (a revoked device, someone off a care team), counted again after each sync.
    let owed = {
        let sync = sync.clone();
        LocalResource::new(move || {
            status.track();
            let sync = sync.clone();
            async move { sync.unfinished_rotations().await }
        })
    };
    let owed_text = move || {
        owed.get().map(|r| match r {
            Ok(0) => "Keys: every record's keys are up to date.".to_string(),
            Ok(n) => format!(
                "Keys: {n} {} (patients' or the team roster) still readable by a revoked device or by someone no longer on the care team. The next sync of a team lead's device gives them new keys.",
                if n == 1 { "record is" } else { "records are" }
            ),
            Err(e) => format!("Keys: could not be checked ({e})."),
        })
    };
    let reload = load.clone();
    // Said here, outside the list, where it stays whatever the rows do.
    let notice = RwSignal::new(None::<String>);
    let on_revoked = Callback::new(move |name: String| {
        notice.set(Some(format!(
            "Device revoked: {name}. It is signed out and cannot sync again."
        )));
        load();
    });
    view! {
        <section class="card" aria-labelledby="devices-title">
            <h2 id="devices-title">"Devices"</h2>
            <p class="hint">"Every device of this workspace. A team lead can revoke one that is lost, stolen or no longer used: it is signed out at once, and the patients it could read get new keys, so nothing written afterwards can be read with it."</p>
            <button class="button quiet" type="button"
                disabled=move || matches!(status.get(), SyncStatus::Offline { .. })
                on:click=move |_| reload()>"Check devices again"</button>
            <p role="status" class="form-message">{move || notice.get()}</p>
            <Show when=move || leads.get()>
                <p role="status" aria-label="Keys of revoked devices">{owed_text}</p>
            </Show>
            {move || match phase.get() {
                Ok(false) => view! { <p class="muted">"Asking the relay for the device list…"</p> }.into_any(),
                Err(e) => view! { <p class="muted">{format!("The device list needs a connection to the relay: {e}")}</p> }.into_any(),
                Ok(true) => view! {
                    <ul class="people-list" aria-label="Devices">
                        <For each=move || ids.get() key=|id| id.clone() let:id>
                            <DeviceItem id=id rows=rows_now leads=leads on_revoked=on_revoked />
                        </For>
                    </ul>
                }.into_any(),
            }}
        </section>
    }
    .into_any()
}

#[component]
fn DeviceItem(
    id: String,
    rows: Memo<Vec<DeviceRow>>,
    leads: Memo<bool>,
    on_revoked: Callback<String>,
) -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    let row = Memo::new(move |_| rows.with(|rs| rs.iter().find(|r| r.relay_id == id).cloned()));
    let title = move || {
        row.with(|r| match r {
            Some(r) if r.this_device => format!("{} (this device)", r.name),
            Some(r) => r.name.clone(),
            None => String::new(),
        })
    };
    let detail = move || {
        row.with(|r| {
            let Some(r) = r else {
                return String::new();
            };
            match (&r.revoked, r.last_seen) {
                (Some(revoked), _) => format!("{} · {revoked}", r.person),
                (None, Some(at)) => format!(
                    "{} · Last seen {} at {}",
                    r.person,
                    format::date(at * 1000),
                    format::time_of_day(at * 1000)
                ),
                (None, None) => format!("{} · Not seen since it joined", r.person),
            }
        })
    };
    let can_revoke = move || {
        row.with(|r| {
            r.as_ref()
                .is_some_and(|r| r.revoked.is_none() && !r.this_device)
        })
    };
    let revoke_name = move || {
        row.with(|r| {
            format!(
                "Revoke {}",
                r.as_ref().map(|r| r.name.as_str()).unwrap_or("")
            )
        })
    };
    let save = move |_: Vec<()>| {
        let sync = sync.clone();
        let target = row.get_untracked();
        async move {
            let Some(target) = target else {
                return Err(EditError::NotDone("that device is no longer listed".into()));
            };
            sync.revoke(&target.relay_id, target.local_id.as_deref())
                .await
                .map_err(EditError::NotDone)?;
            on_revoked.run(target.name);
            Ok(())
        }
    };
    view! {
        <li>
            <h3>{title}</h3>
            <p class="muted">{detail}</p>
            <Show when=move || leads.get() && can_revoke()>
                <FormToggle
                    open_label="Revoke"
                    open_name=Signal::derive(revoke_name)
                    title=Signal::derive(revoke_name)
                    submit_label="Revoke device"
                    saved_text="Device revoked."
                    changes=|| Ok(vec![()])
                    save=save.clone()
                    quiet=true
                >
                    <p>"The device is signed out at once and cannot sync again. Changes on it that have not synced stay on it only. This cannot be undone: to use it again, reset it and invite it as a new device."</p>
                </FormToggle>
            </Show>
        </li>
    }
}
