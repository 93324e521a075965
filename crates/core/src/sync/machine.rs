//! The sync engine's decisions, sans IO: [`Machine::handle`] takes an [`Event`] (with the time and
//! a random number passed in) and returns the [`Effect`]s to carry out. A thin driver in the app maps
//! browser events (network, visibility, WebSocket, timers, finished rounds) to events and performs
//! the effects; everything it decides is tested here, natively.
//!
//! Rules:
//! - A round (pull everything, push the outbox, compact) runs only while online and set up, one at a
//!   time; a request during a round asks for one more after it. What the relay announces on the
//!   socket (its head when the socket is ready, each new chunk) asks for a round only if it is past
//!   what this device pulled: during a round, only if the round ends short of it.
//! - A failed round backs off exponentially with jitter (and never sooner than the relay asked);
//!   while backing off, edits and notifications wait for the retry. Going online, the socket
//!   becoming ready, and "Sync now" retry at once.
//! - 401 (the device was removed): nothing more until the device joins again.
//! - The status never says "up to date" while a change may be waiting: only after a round that
//!   started after the last local edit finished with nothing waiting.

/// Wait after a local edit before pushing, so a burst of typing becomes one push.
pub const EDIT_DEBOUNCE_MS: u32 = 500;
/// Pull even without a notification this often while online and healthy.
pub const PERIODIC_MS: u32 = 60_000;
/// First retry after a failure (then doubling).
pub const BACKOFF_BASE_MS: f64 = 1_000.0;
/// Longest wait between retries.
pub const BACKOFF_CAP_MS: f64 = 300_000.0;
/// Shortest wait between retries, whatever the jitter.
pub const BACKOFF_MIN_MS: f64 = 500.0;

/// What the status says when the relay refused this device.
pub const REMOVED_REASON: &str =
    "this device was removed from the workspace — join again in Settings";

/// What the user is told about sync. Never claims success for a sync that did not complete.
/// (Serialisable: the tab that syncs tells the other tabs, see [`super::tabs`].)
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncStatus {
    NotSetUp,
    /// Starting up (reading the stored workspace, or before the first round).
    Starting,
    /// The browser says there is no network; `waiting` documents have changes to send.
    Offline {
        waiting: usize,
    },
    Syncing,
    UpToDate {
        at_ms: i64,
    },
    /// Changes saved on this device that the relay has not acknowledged yet.
    Waiting {
        count: usize,
    },
    /// Something the user can act on (or wait for: `retry_in_s`).
    Error {
        reason: String,
        retry_in_s: Option<u32>,
    },
}

impl SyncStatus {
    pub fn is_error(&self) -> bool {
        matches!(self, SyncStatus::Error { .. })
    }
}

/// The driver's timers. Each is one-shot; setting one again replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// A pause after an edit before the round that pushes it.
    Debounce,
    /// The next try after a failed round.
    Retry,
    /// The next try to open the notification socket.
    Reconnect,
    /// The periodic pull.
    Periodic,
}

impl Timer {
    pub const ALL: [Timer; 4] = [
        Timer::Debounce,
        Timer::Retry,
        Timer::Reconnect,
        Timer::Periodic,
    ];
}

/// What the driver found when it read this device's stored workspace.
#[derive(Clone, Debug, PartialEq)]
pub enum Stored {
    /// Set up; `cursor` is the stored pull cursor.
    SetUp {
        cursor: u64,
    },
    NotSetUp,
    /// The settings (or storage) could not be read: shown, nothing runs.
    Unreadable {
        reason: String,
    },
}

/// How a round ended.
#[derive(Clone, Debug, PartialEq)]
pub enum RoundOutcome {
    /// Pulled to `cursor` and pushed; `waiting` documents still have changes to send (edits made
    /// during the round).
    Done { cursor: u64, waiting: usize },
    /// 401: the relay refused this device's token.
    Unauthorized,
    /// Anything else; `retry_after_ms`: the relay's `Retry-After`.
    Failed {
        reason: String,
        retry_after_ms: Option<u32>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The stored workspace was read.
    Started(Stored),
    /// This device created or joined a workspace (its sync state was reset to cursor 0).
    Adopted,
    Online,
    Offline,
    /// The page became visible again.
    Visible,
    /// A local edit was saved durably.
    Edited,
    /// The user asked to sync now.
    SyncNow,
    /// The outbox count asked for by [`Effect::CountWaiting`].
    WaitingCounted {
        ticket: u64,
        count: usize,
    },
    TimerFired(Timer),
    /// The current socket authenticated; the relay's head is `head_seq`.
    SocketReady {
        head_seq: u64,
    },
    /// The relay has chunks up to `seq`.
    SocketNew {
        seq: u64,
    },
    /// The current socket closed (or could not be opened).
    SocketClosed,
    /// The relay refused the socket's token.
    SocketUnauthorized,
    RoundFinished(RoundOutcome),
    /// The app locked: the data key is gone, nothing may run.
    Locked,
    /// This engine stops for good (another tab took over, or the app is closing).
    Stop,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Run one round and report [`Event::RoundFinished`].
    StartRound,
    SetTimer {
        timer: Timer,
        after_ms: u32,
    },
    CancelTimer(Timer),
    /// Open the notification socket (close any other first) and report its events.
    OpenSocket,
    /// Close the socket; report nothing more from it.
    CloseSocket,
    SetStatus(SyncStatus),
    /// Count the documents waiting to be pushed; report [`Event::WaitingCounted`] with `ticket`.
    CountWaiting {
        ticket: u64,
    },
}

/// Time and randomness, passed in with every event.
#[derive(Clone, Copy, Debug)]
pub struct Inputs {
    pub now_ms: i64,
    /// Uniform in `[0, 1)`: the jitter of the next backoff, if one is chosen.
    pub random: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Reading the stored workspace.
    Starting,
    NotSetUp,
    /// The stored settings could not be read; nothing runs until the device joins again.
    Broken {
        reason: String,
    },
    /// Set up, no round running, none failed.
    Idle,
    /// A round is in flight. `again`: another was asked for meanwhile. `failures`: consecutive
    /// failed rounds before this one.
    Running {
        again: bool,
        failures: u32,
    },
    /// The last `failures` rounds failed; the retry timer is set.
    BackingOff {
        failures: u32,
        reason: String,
        retry_in_s: u32,
    },
    /// The relay refused this device (401).
    Removed,
    /// Locked or stopped: nothing more happens.
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketPhase {
    Closed,
    /// Opened, not yet authenticated; `failures`: consecutive closes before it was ready.
    Opening {
        failures: u32,
    },
    Ready,
    /// The reconnect timer is set.
    Reconnecting {
        failures: u32,
    },
}

/// The sync engine's state. See the module docs for its rules.
#[derive(Clone, Debug)]
pub struct Machine {
    phase: Phase,
    socket: SocketPhase,
    online: bool,
    /// Pulled up to here (as of the last finished round, or the stored cursor).
    cursor: u64,
    /// The highest seq the relay announced on the socket (for this membership).
    announced: u64,
    /// Documents waiting to be pushed, as last counted.
    waiting: usize,
    /// A local edit happened after the current (or last) round started.
    edited: bool,
    synced_at: Option<i64>,
    /// Counts requested before this ticket are stale (a round finished since).
    count_ticket: u64,
    /// The last status handed to the driver.
    shown: Option<SyncStatus>,
}

/// Wait before retry number `failures` (1 = first retry): doubling from 1 s, capped at 5 minutes,
/// jittered into the upper half so devices that lost the relay together do not return together.
pub fn backoff_ms(failures: u32, random: f64) -> u32 {
    let exp = BACKOFF_BASE_MS * 2f64.powi(failures.saturating_sub(1).min(20) as i32);
    let capped = exp.min(BACKOFF_CAP_MS);
    let jittered = capped * (0.5 + 0.5 * random.clamp(0.0, 1.0));
    jittered.max(BACKOFF_MIN_MS) as u32
}

impl Machine {
    pub fn new(online: bool) -> Self {
        Machine {
            phase: Phase::Starting,
            socket: SocketPhase::Closed,
            online,
            cursor: 0,
            announced: 0,
            waiting: 0,
            edited: false,
            synced_at: None,
            count_ticket: 0,
            shown: None,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn socket(&self) -> SocketPhase {
        self.socket
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The status as it stands (what the last [`Effect::SetStatus`] said, or will say).
    pub fn status(&self) -> Option<SyncStatus> {
        let waiting = if self.edited {
            self.waiting.max(1)
        } else {
            self.waiting
        };
        Some(match &self.phase {
            Phase::Stopped => return None,
            Phase::Starting => SyncStatus::Starting,
            Phase::NotSetUp => SyncStatus::NotSetUp,
            Phase::Broken { reason } => SyncStatus::Error {
                reason: reason.clone(),
                retry_in_s: None,
            },
            Phase::Removed => SyncStatus::Error {
                reason: REMOVED_REASON.into(),
                retry_in_s: None,
            },
            _ if !self.online => SyncStatus::Offline { waiting },
            Phase::Running { .. } => SyncStatus::Syncing,
            Phase::BackingOff {
                reason, retry_in_s, ..
            } => SyncStatus::Error {
                reason: reason.clone(),
                retry_in_s: Some(*retry_in_s),
            },
            Phase::Idle if waiting > 0 => SyncStatus::Waiting { count: waiting },
            Phase::Idle => match self.synced_at {
                Some(at_ms) => SyncStatus::UpToDate { at_ms },
                None => SyncStatus::Starting,
            },
        })
    }

    fn socket_is_open(&self) -> bool {
        matches!(
            self.socket,
            SocketPhase::Opening { .. } | SocketPhase::Ready
        )
    }

    fn set_up(&self) -> bool {
        matches!(
            self.phase,
            Phase::Idle | Phase::Running { .. } | Phase::BackingOff { .. }
        )
    }

    pub fn handle(&mut self, event: Event, inputs: Inputs) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.phase == Phase::Stopped {
            return fx;
        }
        match event {
            Event::Started(stored) => {
                if self.phase == Phase::Starting {
                    match stored {
                        Stored::SetUp { cursor } => {
                            self.cursor = cursor;
                            self.begin(&mut fx);
                        }
                        Stored::NotSetUp => self.phase = Phase::NotSetUp,
                        Stored::Unreadable { reason } => self.phase = Phase::Broken { reason },
                    }
                }
            }
            Event::Adopted => {
                self.cursor = 0;
                self.announced = 0;
                self.synced_at = None;
                if self.socket_is_open() {
                    fx.push(Effect::CloseSocket);
                }
                self.socket = SocketPhase::Closed;
                fx.push(Effect::CancelTimer(Timer::Reconnect));
                fx.push(Effect::CancelTimer(Timer::Retry));
                // A round in flight belongs to the old membership; `begin` asks for one after it.
                self.begin(&mut fx);
            }
            Event::Online => {
                self.online = true;
                if self.set_up() {
                    self.reset_socket_backoff(&mut fx);
                    self.open_socket(&mut fx, 0);
                    self.request(&mut fx, true);
                }
            }
            Event::Offline => {
                self.online = false;
                // Browsers keep open sockets when the network goes: close it here.
                if self.socket_is_open() {
                    fx.push(Effect::CloseSocket);
                }
                self.socket = SocketPhase::Closed;
                fx.push(Effect::CancelTimer(Timer::Reconnect));
                if let Phase::BackingOff { .. } = self.phase {
                    fx.push(Effect::CancelTimer(Timer::Retry));
                    self.phase = Phase::Idle;
                }
                if self.set_up() {
                    self.count_waiting(&mut fx);
                }
            }
            Event::Visible => {
                if self.set_up() {
                    self.open_socket(&mut fx, 0);
                    self.request(&mut fx, false);
                }
            }
            Event::Edited => {
                if self.set_up() {
                    self.edited = true;
                    self.count_waiting(&mut fx);
                    fx.push(Effect::SetTimer {
                        timer: Timer::Debounce,
                        after_ms: EDIT_DEBOUNCE_MS,
                    });
                }
            }
            Event::SyncNow => {
                if self.set_up() {
                    self.reset_socket_backoff(&mut fx);
                    self.open_socket(&mut fx, 0);
                    self.request(&mut fx, true);
                }
            }
            Event::WaitingCounted { ticket, count } => {
                if ticket == self.count_ticket {
                    self.waiting = count;
                }
            }
            Event::TimerFired(timer) => match timer {
                Timer::Debounce => self.request(&mut fx, false),
                Timer::Retry => {
                    if let Phase::BackingOff { failures, .. } = self.phase {
                        self.start_round(&mut fx, failures);
                    }
                }
                Timer::Reconnect => {
                    if let SocketPhase::Reconnecting { failures } = self.socket {
                        self.socket = SocketPhase::Closed;
                        self.open_socket(&mut fx, failures);
                    }
                }
                Timer::Periodic => {
                    if self.set_up() {
                        fx.push(Effect::SetTimer {
                            timer: Timer::Periodic,
                            after_ms: PERIODIC_MS,
                        });
                        if self.phase == Phase::Idle {
                            self.request(&mut fx, false);
                        }
                    }
                }
            },
            Event::SocketReady { head_seq } => {
                if self.set_up() && matches!(self.socket, SocketPhase::Opening { .. }) {
                    self.socket = SocketPhase::Ready;
                    if let Phase::BackingOff { .. } = self.phase {
                        // The relay is reachable again: retry now.
                        self.request(&mut fx, true);
                    } else {
                        // A notification may have been missed while disconnected.
                        self.announce(&mut fx, head_seq, true);
                    }
                }
            }
            Event::SocketNew { seq } => {
                if self.set_up() {
                    self.announce(&mut fx, seq, false);
                }
            }
            Event::SocketClosed => {
                let failures = match self.socket {
                    SocketPhase::Opening { failures } => failures + 1,
                    SocketPhase::Ready => 1,
                    // Not ours (already closed or waiting to reconnect).
                    SocketPhase::Closed | SocketPhase::Reconnecting { .. } => return self.done(fx),
                };
                self.socket = SocketPhase::Closed;
                if self.set_up() && self.online {
                    self.socket = SocketPhase::Reconnecting { failures };
                    fx.push(Effect::SetTimer {
                        timer: Timer::Reconnect,
                        after_ms: backoff_ms(failures, inputs.random),
                    });
                }
            }
            Event::SocketUnauthorized => {
                if self.set_up() {
                    self.removed(&mut fx);
                }
            }
            Event::RoundFinished(outcome) => {
                let Phase::Running { again, failures } = self.phase else {
                    return self.done(fx);
                };
                match outcome {
                    RoundOutcome::Done { cursor, waiting } => {
                        self.cursor = cursor;
                        self.waiting = waiting;
                        self.count_ticket += 1;
                        self.synced_at = Some(inputs.now_ms);
                        self.phase = Phase::Idle;
                        if again || self.announced > cursor {
                            self.request(&mut fx, false);
                        }
                    }
                    RoundOutcome::Unauthorized => self.removed(&mut fx),
                    RoundOutcome::Failed {
                        reason,
                        retry_after_ms,
                    } => {
                        if !self.online {
                            // Offline explains it; going online retries.
                            self.phase = Phase::Idle;
                            self.count_waiting(&mut fx);
                        } else {
                            let failures = failures + 1;
                            let delay = backoff_ms(failures, inputs.random)
                                .max(retry_after_ms.unwrap_or(0));
                            self.phase = Phase::BackingOff {
                                failures,
                                reason,
                                retry_in_s: delay.div_ceil(1000),
                            };
                            fx.push(Effect::SetTimer {
                                timer: Timer::Retry,
                                after_ms: delay,
                            });
                        }
                    }
                }
            }
            Event::Locked | Event::Stop => self.halt(&mut fx, Phase::Stopped),
        }
        self.done(fx)
    }

    /// Appends the status if it changed.
    fn done(&mut self, mut fx: Vec<Effect>) -> Vec<Effect> {
        let now = self.status();
        if now.is_some() && now != self.shown {
            self.shown = now.clone();
            if let Some(s) = now {
                fx.push(Effect::SetStatus(s));
            }
        }
        fx
    }

    /// Set up (stored or adopted): socket, periodic pull, a first round.
    fn begin(&mut self, fx: &mut Vec<Effect>) {
        if !matches!(self.phase, Phase::Running { .. }) {
            self.phase = Phase::Idle;
        }
        fx.push(Effect::SetTimer {
            timer: Timer::Periodic,
            after_ms: PERIODIC_MS,
        });
        self.count_waiting(fx);
        self.open_socket(fx, 0);
        self.request(fx, false);
    }

    fn count_waiting(&mut self, fx: &mut Vec<Effect>) {
        fx.push(Effect::CountWaiting {
            ticket: self.count_ticket,
        });
    }

    fn open_socket(&mut self, fx: &mut Vec<Effect>, failures: u32) {
        if self.online && self.socket == SocketPhase::Closed {
            self.socket = SocketPhase::Opening { failures };
            fx.push(Effect::OpenSocket);
        }
    }

    /// Going online or "Sync now": a socket waiting to reconnect tries at once.
    fn reset_socket_backoff(&mut self, fx: &mut Vec<Effect>) {
        if let SocketPhase::Reconnecting { .. } = self.socket {
            fx.push(Effect::CancelTimer(Timer::Reconnect));
            self.socket = SocketPhase::Closed;
        }
    }

    /// Asks for a round. `now`: skip a backoff in progress (the user or the network asked).
    fn request(&mut self, fx: &mut Vec<Effect>, now: bool) {
        if !self.online {
            return;
        }
        match self.phase {
            Phase::Idle => self.start_round(fx, 0),
            Phase::Running { failures, .. } => {
                self.phase = Phase::Running {
                    again: true,
                    failures: if now { 0 } else { failures },
                }
            }
            Phase::BackingOff { .. } if now => {
                fx.push(Effect::CancelTimer(Timer::Retry));
                self.start_round(fx, 0);
            }
            _ => {}
        }
    }

    /// The relay has chunks up to `seq`: a round if this device has not pulled them. A round in
    /// flight may reach them; when it finishes short of them, another follows.
    fn announce(&mut self, fx: &mut Vec<Effect>, seq: u64, now: bool) {
        self.announced = self.announced.max(seq);
        if seq > self.cursor && !matches!(self.phase, Phase::Running { .. }) {
            self.request(fx, now);
        }
    }

    fn start_round(&mut self, fx: &mut Vec<Effect>, failures: u32) {
        if !self.online {
            self.phase = Phase::Idle;
            return;
        }
        self.phase = Phase::Running {
            again: false,
            failures,
        };
        // The round reads the outbox after it starts: every edit before now is in it.
        self.edited = false;
        fx.push(Effect::CancelTimer(Timer::Debounce));
        fx.push(Effect::StartRound);
    }

    fn removed(&mut self, fx: &mut Vec<Effect>) {
        self.halt(fx, Phase::Removed);
    }

    /// Removed or stopped: no timer, no socket.
    fn halt(&mut self, fx: &mut Vec<Effect>, phase: Phase) {
        self.phase = phase;
        for t in Timer::ALL {
            fx.push(Effect::CancelTimer(t));
        }
        if self.socket_is_open() {
            fx.push(Effect::CloseSocket);
        }
        self.socket = SocketPhase::Closed;
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
