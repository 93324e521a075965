//! The call/visit timer at the top of every chart section. A running timer is kept in this device's
//! sealed `meta` store (`timer:<patient>`, core `billing::Timer`), not in memory, so it survives a
//! reload, the lock and a closed tab. Stopping logs the time (one entry per local day it ran on);
//! past 90 minutes it asks first.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use send_wrapper::SendWrapper;
use tend_core::{
    billing::{program_name, Timer},
    ids::new_item_id,
    record::{IsoDate, PersonRole, ProgramKind, TimeEntry},
    Op,
};

use super::Chart;
use crate::clock::now_ms;
use crate::components::fields::{SelectField, TextField};

fn meta_key(patient: &str) -> String {
    format!("timer:{patient}")
}

/// Minutes east of UTC now (js `getTimezoneOffset` is minutes west).
fn local_offset() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

fn clock_text(ms: i64) -> String {
    let secs = (ms / 1000).max(0);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[derive(Clone, PartialEq)]
enum Phase {
    Loading,
    Idle,
    Choosing,
    Running(Timer),
    /// Stopped after more than 90 minutes: asks how much to log.
    Confirming(Timer, i64),
}

#[component]
pub fn TimerControl(chart: Chart) -> impl IntoView {
    let patient = chart.record.with_untracked(|r| r.id.clone());
    let key = meta_key(&patient);
    let phase = RwSignal::new(Phase::Loading);
    let message = RwSignal::new(None::<(String, bool)>);
    let now = RwSignal::new(now_ms());
    let program = RwSignal::new(String::new());
    let activity = RwSignal::new(String::new());
    let long_minutes = RwSignal::new(String::new());
    let busy = RwSignal::new(false);

    // Read the stored timer (a damaged or unreadable one reads as none, and says so).
    {
        let storage = chart.session.storage();
        let key = key.clone();
        spawn_local(async move {
            let stored = storage.meta(&key).await;
            let next = match stored {
                Ok(Some(s)) if !s.is_empty() => match serde_json::from_str::<Timer>(&s) {
                    Ok(t) => Phase::Running(t),
                    Err(_) => {
                        message.try_set(Some((
                            "A stored timer could not be read; start a new one.".into(),
                            true,
                        )));
                        Phase::Idle
                    }
                },
                Ok(_) => Phase::Idle,
                Err(e) => {
                    message.try_set(Some((format!("The timer could not be read: {e}"), true)));
                    Phase::Idle
                }
            };
            phase.try_set(next);
        });
    }
    let ticker = gloo::timers::callback::Interval::new(1_000, move || {
        now.try_set(now_ms());
    });
    let ticker = SendWrapper::new(ticker);
    on_cleanup(move || drop(ticker));

    let store = {
        let chart = chart.clone();
        let key = key.clone();
        move |value: String| {
            let storage = chart.session.storage();
            let key = key.clone();
            async move { storage.set_meta(&key, &value).await }
        }
    };

    let choose = move |_| {
        program.set(
            chart
                .record
                .with_untracked(super::programs::default_program)
                .as_str()
                .to_string(),
        );
        activity.set("Phone call".into());
        message.set(None);
        phase.set(Phase::Choosing);
    };

    let start = {
        let store = store.clone();
        let patient = patient.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let timer = Timer {
                patient_id: patient.clone(),
                started_at: now_ms(),
                offset_minutes: local_offset(),
                program: ProgramKind::parse(&program.get_untracked()),
                activity: activity.get_untracked().trim().to_string(),
            };
            let Ok(json) = serde_json::to_string(&timer) else {
                return;
            };
            let save = store(json);
            spawn_local(async move {
                match save.await {
                    Ok(()) => {
                        now.try_set(now_ms());
                        phase.try_set(Phase::Running(timer));
                    }
                    Err(e) => {
                        message.try_set(Some((format!("The timer was not started: {e}"), true)));
                    }
                }
            });
        }
    };

    // Logs `parts` (date, minutes) for `timer`, then forgets the timer.
    let log = {
        let chart = chart.clone();
        let store = store.clone();
        let key = key.clone();
        move |timer: Timer, parts: Vec<(IsoDate, u32)>| {
            let who = chart.session.identity.get_untracked();
            let (staff, role) = match who {
                Some(i) => (i.name, i.role),
                None => (chart.author_name(), PersonRole::CareManager),
            };
            let total: u32 = parts.iter().map(|(_, m)| m).sum();
            let ops: Vec<Op> = parts
                .into_iter()
                .map(|(date, minutes)| Op::LogMinutes {
                    entry: TimeEntry {
                        id: new_item_id(),
                        date,
                        minutes: u64::from(minutes),
                        program: timer.program.clone(),
                        staff: staff.clone(),
                        activity: timer.activity.clone(),
                        staff_role: role.clone(),
                        timer_started_at: Some(timer.started_at),
                        ..Default::default()
                    },
                })
                .collect();
            let save = chart.save(ops);
            let forget = store(String::new());
            let storage = chart.session.storage();
            let key = key.clone();
            busy.set(true);
            spawn_local(async move {
                // Another tab of this chart may have stopped (and logged) this timer already.
                let stored = match storage.meta(&key).await {
                    Ok(stored) => stored,
                    Err(e) => {
                        message.try_set(Some((format!("Nothing logged: {e}"), true)));
                        busy.try_set(false);
                        return;
                    }
                };
                let still_running = stored
                    .is_some_and(|s| serde_json::from_str::<Timer>(&s).is_ok_and(|t| t == timer));
                if !still_running {
                    phase.try_set(Phase::Idle);
                    message.try_set(Some((
                        "This timer was already stopped in another tab; nothing logged again."
                            .into(),
                        true,
                    )));
                    busy.try_set(false);
                    return;
                }
                let saved = save.await;
                match saved {
                    Ok(()) => {
                        let _ = forget.await;
                        phase.try_set(Phase::Idle);
                        message.try_set(Some((
                            format!("Logged {total} min of {}.", program_name(&timer.program)),
                            false,
                        )));
                    }
                    Err(e) => {
                        message.try_set(Some((e.to_string(), true)));
                    }
                }
                busy.try_set(false);
            });
        }
    };

    let stop = {
        let log = log.clone();
        move |_| {
            let Phase::Running(timer) = phase.get_untracked() else {
                return;
            };
            let stop_at = now_ms();
            if timer.is_long(stop_at) {
                long_minutes.set(timer.elapsed_minutes(stop_at).to_string());
                phase.set(Phase::Confirming(timer, stop_at));
                return;
            }
            let parts: Vec<(IsoDate, u32)> = timer
                .entries(stop_at, local_offset())
                .into_iter()
                .map(|(d, m)| (IsoDate::new(d), m))
                .collect();
            if parts.is_empty() {
                message.set(Some((
                    "Less than a minute so far: keep the timer running or discard it.".into(),
                    true,
                )));
                return;
            }
            log(timer, parts);
        }
    };

    let confirm_long = {
        let log = log.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let Phase::Confirming(timer, stop_at) = phase.get_untracked() else {
                return;
            };
            let Some(minutes) = long_minutes
                .get_untracked()
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|m| (1..=1440).contains(m))
            else {
                message.set(Some((
                    "Enter the minutes as a whole number from 1 to 1440.".into(),
                    true,
                )));
                return;
            };
            let parts: Vec<(IsoDate, u32)> = if minutes == timer.elapsed_minutes(stop_at) {
                timer
                    .entries(stop_at, local_offset())
                    .into_iter()
                    .map(|(d, m)| (IsoDate::new(d), m))
                    .collect()
            } else {
                let day = tend_core::billing::local_time(timer.started_at, timer.offset_minutes)
                    .map(|t| IsoDate::new(t.date()))
                    .unwrap_or_else(super::today_iso);
                vec![(day, minutes)]
            };
            log(timer, parts);
        }
    };

    let discard = {
        let store = store.clone();
        move |_| {
            let forget = store(String::new());
            spawn_local(async move {
                match forget.await {
                    Ok(()) => {
                        phase.try_set(Phase::Idle);
                        message.try_set(Some(("Timer discarded; nothing logged.".into(), false)));
                    }
                    Err(e) => {
                        message.try_set(Some((format!("The timer was not discarded: {e}"), true)));
                    }
                }
            });
        }
    };

    let programs: Vec<(String, String)> = ProgramKind::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), program_name(p).to_string()))
        .collect();

    view! {
        <div class="timer" role="group" aria-label="Time on this call or visit">
            {move || {
                let (stop, discard, start, confirm_long) = (stop.clone(), discard.clone(), start.clone(), confirm_long.clone());
                match phase.get() {
                    Phase::Loading => ().into_any(),
                    Phase::Idle => view! {
                        <button type="button" class="button" on:click=choose>"Start timer"</button>
                    }.into_any(),
                    Phase::Choosing => view! {
                        <form class="timer-form" on:submit=start aria-label="Start timer">
                            <SelectField label="Program" value=program options=programs.clone() />
                            <TextField label="Activity" value=activity />
                            <div class="form-actions">
                                <button type="submit" class="button button-primary">"Start"</button>
                                <button type="button" class="button" on:click=move |_| phase.set(Phase::Idle)>"Cancel"</button>
                            </div>
                        </form>
                    }.into_any(),
                    Phase::Running(timer) => {
                        let started = timer.started_at;
                        let what = format!("{} · {}", program_name(&timer.program), timer.activity);
                        view! {
                            <p class="timer-running">
                                <strong>"Timer running: "</strong>
                                <span class="timer-clock">{move || clock_text(now.get() - started)}</span>
                                " — " {what}
                            </p>
                            <button type="button" class="button button-primary" on:click=stop disabled=move || busy.get()>"Stop and log time"</button>
                            <button type="button" class="button" on:click=discard disabled=move || busy.get()>"Discard timer"</button>
                        }.into_any()
                    }
                    Phase::Confirming(timer, stop_at) => {
                        let ran = timer.elapsed_minutes(stop_at);
                        view! {
                            <form class="timer-form" on:submit=confirm_long aria-labelledby="long-timer-title">
                                <h3 id="long-timer-title">{format!("The timer ran {} h {} min", ran / 60, ran % 60)}</h3>
                                <p>"That is more than 90 minutes. Log all of it, or enter the minutes actually spent with or for this patient."</p>
                                <TextField label="Minutes to log" value=long_minutes kind="number" />
                                <div class="form-actions">
                                    <button type="submit" class="button button-primary" disabled=move || busy.get()>"Log these minutes"</button>
                                    <button type="button" class="button" on:click=discard>"Discard timer"</button>
                                </div>
                            </form>
                        }.into_any()
                    }
                }
            }}
            <p class="form-message" role="status" aria-live="polite">
                {move || message.get().map(|(t, _)| t).unwrap_or_default()}
            </p>
        </div>
    }
}
