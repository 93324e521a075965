use std::collections::HashMap;

use proptest::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

const NOW: i64 = 1_700_000_000_000;

/// A fake driver: carries out effects the way the browser driver does and checks that the machine
/// never asks for something impossible (two rounds at once, a second socket, a round while offline).
struct Driver {
    m: Machine,
    timers: HashMap<Timer, u32>,
    socket_open: bool,
    rounds_in_flight: u32,
    rounds_started: u32,
    status: Option<SyncStatus>,
    count_requests: Vec<u64>,
    random: f64,
    now: i64,
}

impl Driver {
    fn new(online: bool) -> Self {
        Driver {
            m: Machine::new(online),
            timers: HashMap::new(),
            socket_open: false,
            rounds_in_flight: 0,
            rounds_started: 0,
            status: None,
            count_requests: Vec::new(),
            random: 0.5,
            now: NOW,
        }
    }

    fn set_up(cursor: u64) -> Self {
        let mut d = Driver::new(true);
        d.send(Event::Started(Stored::SetUp { cursor }));
        d
    }

    fn send(&mut self, e: Event) -> Vec<Effect> {
        let online_before = self.m.online;
        let fx = self.m.handle(
            e,
            Inputs {
                now_ms: self.now,
                random: self.random,
            },
        );
        for f in &fx {
            match f {
                Effect::StartRound => {
                    assert_eq!(self.rounds_in_flight, 0, "two rounds at once: {fx:?}");
                    assert!(self.m.online, "a round while offline");
                    self.rounds_in_flight += 1;
                    self.rounds_started += 1;
                }
                Effect::SetTimer { timer, after_ms } => {
                    self.timers.insert(*timer, *after_ms);
                }
                Effect::CancelTimer(t) => {
                    self.timers.remove(t);
                }
                Effect::OpenSocket => {
                    assert!(!self.socket_open, "a second socket");
                    assert!(online_before || self.m.online, "a socket while offline");
                    self.socket_open = true;
                }
                Effect::CloseSocket => {
                    assert!(self.socket_open, "closing a socket that is not open");
                    self.socket_open = false;
                }
                Effect::SetStatus(s) => self.status = Some(s.clone()),
                Effect::CountWaiting { ticket } => self.count_requests.push(*ticket),
            }
        }
        fx
    }

    fn finish(&mut self, outcome: RoundOutcome) -> Vec<Effect> {
        assert_eq!(self.rounds_in_flight, 1, "no round to finish");
        self.rounds_in_flight -= 1;
        self.send(Event::RoundFinished(outcome))
    }

    fn done(&mut self, cursor: u64, waiting: usize) -> Vec<Effect> {
        self.finish(RoundOutcome::Done { cursor, waiting })
    }

    fn fail(&mut self) -> Vec<Effect> {
        self.finish(RoundOutcome::Failed {
            reason: "relay unreachable".into(),
            retry_after_ms: None,
        })
    }

    /// The driver's socket closed by itself.
    fn socket_closed(&mut self) -> Vec<Effect> {
        self.socket_open = false;
        self.send(Event::SocketClosed)
    }

    fn fire(&mut self, t: Timer) -> Vec<Effect> {
        assert!(self.timers.remove(&t).is_some(), "{t:?} was not set");
        self.send(Event::TimerFired(t))
    }

    fn status(&self) -> SyncStatus {
        self.status.clone().expect("a status was set")
    }
}

fn error_retry(s: &SyncStatus) -> Option<u32> {
    match s {
        SyncStatus::Error { retry_in_s, .. } => *retry_in_s,
        _ => None,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn backoff_doubles_from_one_second_to_five_minutes_with_jitter_in_the_upper_half() {
    // (failures, random, expected ms)
    let table = [
        (1, 1.0, 1_000),
        (1, 0.0, 500),
        (1, 0.5, 750),
        (2, 1.0, 2_000),
        (3, 1.0, 4_000),
        (4, 0.0, 4_000),
        (9, 1.0, 256_000),
        (10, 1.0, 300_000),
        (10, 0.0, 150_000),
        (1_000, 1.0, 300_000),
        (0, 1.0, 1_000),
        // Out-of-range randomness is clamped, never a wait below the floor.
        (1, -3.0, 500),
        (1, 7.0, 1_000),
    ];
    for (failures, random, want) in table {
        assert_eq!(backoff_ms(failures, random), want, "{failures} {random}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_device_that_is_not_set_up_does_nothing_but_say_so() {
    let mut d = Driver::new(true);
    assert_eq!(d.m.status(), Some(SyncStatus::Starting));
    d.send(Event::Started(Stored::NotSetUp));
    assert_eq!(d.status(), SyncStatus::NotSetUp);
    for e in [
        Event::Online,
        Event::Visible,
        Event::Edited,
        Event::SyncNow,
        Event::SocketNew { seq: 9 },
        Event::TimerFired(Timer::Periodic),
    ] {
        let fx = d.send(e.clone());
        assert!(fx.is_empty(), "{e:?} → {fx:?}");
    }
    assert_eq!(d.rounds_started, 0);
    assert!(!d.socket_open);
}

#[wasm_bindgen_test(unsupported = test)]
fn unreadable_settings_are_shown_and_nothing_runs() {
    let mut d = Driver::new(true);
    d.send(Event::Started(Stored::Unreadable {
        reason: "this device's workspace settings could not be read".into(),
    }));
    assert_eq!(
        d.status(),
        SyncStatus::Error {
            reason: "this device's workspace settings could not be read".into(),
            retry_in_s: None
        }
    );
    d.send(Event::SyncNow);
    assert_eq!(d.rounds_started, 0);
    // Joining again starts everything.
    d.send(Event::Adopted);
    assert_eq!((d.rounds_started, d.socket_open), (1, true));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_set_up_device_opens_its_socket_and_syncs_at_once_then_says_when() {
    let mut d = Driver::set_up(7);
    assert!(d.socket_open);
    assert_eq!(d.rounds_in_flight, 1);
    assert_eq!(d.timers.get(&Timer::Periodic), Some(&PERIODIC_MS));
    assert_eq!(d.status(), SyncStatus::Syncing);
    d.now = NOW + 5_000;
    d.done(12, 0);
    assert_eq!(d.status(), SyncStatus::UpToDate { at_ms: NOW + 5_000 });
    assert_eq!(d.m.cursor(), 12);
}

#[wasm_bindgen_test(unsupported = test)]
fn starting_offline_waits_for_the_network() {
    let mut d = Driver::new(false);
    d.send(Event::Started(Stored::SetUp { cursor: 0 }));
    assert_eq!((d.rounds_started, d.socket_open), (0, false));
    let ticket = *d.count_requests.last().expect("asked for the outbox count");
    d.send(Event::WaitingCounted { ticket, count: 3 });
    assert_eq!(d.status(), SyncStatus::Offline { waiting: 3 });
    d.send(Event::Online);
    assert_eq!((d.rounds_started, d.socket_open), (1, true));
    assert_eq!(d.status(), SyncStatus::Syncing);
}

#[wasm_bindgen_test(unsupported = test)]
fn failures_back_off_and_edits_wait_for_the_retry() {
    let mut d = Driver::set_up(0);
    d.random = 1.0;
    let mut expected = Vec::new();
    for n in 1..=4u32 {
        d.fail();
        let delay = d.timers[&Timer::Retry];
        expected.push(delay);
        assert_eq!(delay, backoff_ms(n, 1.0));
        assert_eq!(error_retry(&d.status()), Some(delay.div_ceil(1000)));
        // An edit and a notification do not cut the wait short.
        d.send(Event::Edited);
        d.fire(Timer::Debounce);
        d.send(Event::SocketNew { seq: 99 });
        assert_eq!(d.rounds_in_flight, 0, "no round before the retry");
        d.fire(Timer::Retry);
        assert_eq!(d.rounds_in_flight, 1);
    }
    assert_eq!(expected, vec![1_000, 2_000, 4_000, 8_000]);
    // Success resets the backoff.
    d.done(5, 0);
    d.send(Event::SyncNow);
    d.fail();
    assert_eq!(d.timers[&Timer::Retry], 1_000);
}

#[wasm_bindgen_test(unsupported = test)]
fn never_retries_sooner_than_the_relay_asked() {
    let mut d = Driver::set_up(0);
    d.finish(RoundOutcome::Failed {
        reason: "the relay asked this device to slow down".into(),
        retry_after_ms: Some(30_000),
    });
    assert_eq!(d.timers[&Timer::Retry], 30_000);
    assert_eq!(error_retry(&d.status()), Some(30));
    d.fire(Timer::Retry);
    // A shorter Retry-After than the backoff: the backoff wins.
    d.random = 1.0;
    d.finish(RoundOutcome::Failed {
        reason: "busy".into(),
        retry_after_ms: Some(10),
    });
    assert_eq!(d.timers[&Timer::Retry], 2_000);
}

#[wasm_bindgen_test(unsupported = test)]
fn sync_now_going_online_and_a_fresh_socket_skip_the_backoff() {
    for skip in [
        Event::SyncNow,
        Event::Online,
        Event::SocketReady { head_seq: 3 },
    ] {
        let mut d = Driver::set_up(0);
        d.send(Event::SocketReady { head_seq: 0 });
        d.fail();
        d.fail_twice_more();
        assert!(d.timers.contains_key(&Timer::Retry));
        if let Event::SocketReady { .. } = skip {
            d.socket_closed();
            d.fire(Timer::Reconnect);
        }
        d.send(skip.clone());
        assert!(!d.timers.contains_key(&Timer::Retry), "{skip:?}");
        assert_eq!(d.rounds_in_flight, 1, "{skip:?}");
        // The count starts again.
        d.fail();
        assert!(d.timers[&Timer::Retry] <= 1_000, "{skip:?}");
    }
}

impl Driver {
    fn fail_twice_more(&mut self) {
        for _ in 0..2 {
            self.fire(Timer::Retry);
            self.fail();
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_removed_device_stops_and_says_so_until_it_joins_again() {
    for via_socket in [false, true] {
        let mut d = Driver::set_up(0);
        if via_socket {
            d.done(0, 0);
            d.send(Event::SocketUnauthorized);
        } else {
            d.finish(RoundOutcome::Unauthorized);
        }
        assert_eq!(
            d.status(),
            SyncStatus::Error {
                reason: REMOVED_REASON.into(),
                retry_in_s: None
            }
        );
        assert!(!d.socket_open);
        assert!(d.timers.is_empty(), "{:?}", d.timers);
        let before = d.rounds_started;
        for e in [
            Event::Online,
            Event::SyncNow,
            Event::Edited,
            Event::Visible,
            Event::SocketNew { seq: 50 },
            Event::SocketReady { head_seq: 50 },
            Event::TimerFired(Timer::Periodic),
            Event::TimerFired(Timer::Retry),
        ] {
            d.send(e);
        }
        assert_eq!(d.rounds_started, before);
        assert!(!d.socket_open);
        d.send(Event::Adopted);
        assert_eq!(d.rounds_started, before + 1);
        assert!(d.socket_open);
        assert_eq!(d.status(), SyncStatus::Syncing);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn locking_stops_everything_and_a_late_round_changes_nothing() {
    for stop in [Event::Locked, Event::Stop] {
        let mut d = Driver::set_up(0);
        d.send(Event::Edited);
        let status = d.status();
        d.send(stop.clone());
        assert!(!d.socket_open);
        assert!(d.timers.is_empty(), "{:?}", d.timers);
        assert_eq!(d.m.phase(), &Phase::Stopped);
        assert_eq!(d.m.status(), None);
        // The round that was running ends after the lock: nothing happens, not even a status.
        d.rounds_in_flight = 0;
        for e in [
            Event::RoundFinished(RoundOutcome::Done {
                cursor: 9,
                waiting: 0,
            }),
            Event::Online,
            Event::SyncNow,
            Event::Adopted,
            Event::TimerFired(Timer::Retry),
            Event::SocketClosed,
        ] {
            assert!(d.send(e.clone()).is_empty(), "{stop:?} then {e:?}");
        }
        assert_eq!(d.status(), status);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_lost_socket_reconnects_with_backoff_and_pulls_when_ready() {
    let mut d = Driver::set_up(0);
    d.random = 1.0;
    d.done(0, 0);
    d.send(Event::SocketReady { head_seq: 0 });
    assert_eq!(d.m.socket(), SocketPhase::Ready);
    assert_eq!(d.rounds_in_flight, 0, "nothing new on the relay");
    let mut delays = Vec::new();
    d.socket_closed();
    for _ in 0..3 {
        delays.push(d.timers[&Timer::Reconnect]);
        d.fire(Timer::Reconnect);
        assert!(d.socket_open);
        // Closed again before it was ready.
        d.socket_closed();
    }
    assert_eq!(delays, vec![1_000, 2_000, 4_000]);
    d.fire(Timer::Reconnect);
    let started = d.rounds_started;
    d.send(Event::SocketReady { head_seq: 7 });
    assert_eq!(
        d.rounds_started,
        started + 1,
        "pulls what arrived while disconnected"
    );
    d.done(7, 0);
    d.socket_closed();
    assert_eq!(d.timers[&Timer::Reconnect], 1_000, "ready resets the count");
    // A close from a socket the machine no longer has is ignored.
    let fx = d.send(Event::SocketClosed);
    assert!(fx.is_empty(), "{fx:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn going_offline_closes_the_socket_and_stops_retrying() {
    let mut d = Driver::set_up(0);
    d.fail();
    assert!(d.timers.contains_key(&Timer::Retry));
    d.send(Event::Offline);
    assert!(!d.socket_open);
    assert!(!d.timers.contains_key(&Timer::Retry));
    assert!(!d.timers.contains_key(&Timer::Reconnect));
    let ticket = *d.count_requests.last().unwrap();
    d.send(Event::WaitingCounted { ticket, count: 2 });
    assert_eq!(d.status(), SyncStatus::Offline { waiting: 2 });
    // Edits offline only count.
    d.send(Event::Edited);
    d.fire(Timer::Debounce);
    d.send(Event::SyncNow);
    assert_eq!(d.rounds_in_flight, 0);
    // A round that fails because the network went is not an error.
    d.send(Event::Online);
    d.send(Event::Offline);
    d.fail();
    assert!(matches!(d.status(), SyncStatus::Offline { .. }));
    assert!(!d.timers.contains_key(&Timer::Retry));
}

#[wasm_bindgen_test(unsupported = test)]
fn what_the_relay_announces_during_a_round_asks_for_another_only_if_the_round_fell_short() {
    // The socket comes up during the first round (as when going online): the round reaches the
    // head the relay announced, so no second round delays "up to date".
    let mut d = Driver::set_up(10);
    d.send(Event::SocketReady { head_seq: 30 });
    d.send(Event::SocketNew { seq: 35 });
    assert_eq!(d.rounds_started, 1);
    d.done(35, 0);
    assert_eq!(d.rounds_in_flight, 0);
    assert!(matches!(d.status(), SyncStatus::UpToDate { .. }));
    // A round that ends short of an announced chunk is followed by another.
    d.send(Event::Visible);
    assert_eq!(d.rounds_in_flight, 1);
    d.send(Event::SocketNew { seq: 40 });
    d.done(38, 0);
    assert_eq!(
        d.rounds_in_flight, 1,
        "seq 40 was announced, the round reached 38"
    );
    d.done(40, 0);
    assert_eq!(d.rounds_in_flight, 0);
    // Idle: an announcement of what is pulled asks for nothing; past it, a round.
    d.send(Event::SocketNew { seq: 40 });
    assert_eq!(d.rounds_in_flight, 0);
    d.socket_closed();
    d.fire(Timer::Reconnect);
    d.send(Event::SocketReady { head_seq: 40 });
    assert_eq!(d.rounds_in_flight, 0);
    d.socket_closed();
    d.fire(Timer::Reconnect);
    d.send(Event::SocketReady { head_seq: 41 });
    assert_eq!(d.rounds_in_flight, 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn requests_during_a_round_make_exactly_one_more() {
    let mut d = Driver::set_up(0);
    for _ in 0..5 {
        d.send(Event::SocketNew { seq: 40 });
        d.send(Event::Visible);
    }
    assert_eq!(d.rounds_started, 1);
    d.done(40, 0);
    assert_eq!(d.rounds_started, 2);
    d.done(40, 0);
    assert_eq!(d.rounds_in_flight, 0);
    // A notification the device has already pulled asks for nothing.
    d.send(Event::SocketNew { seq: 40 });
    assert_eq!(d.rounds_in_flight, 0);
    d.send(Event::SocketNew { seq: 41 });
    assert_eq!(d.rounds_in_flight, 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn the_periodic_pull_rearms_and_runs_only_when_healthy() {
    let mut d = Driver::set_up(0);
    d.done(0, 0);
    d.fire(Timer::Periodic);
    assert_eq!(d.rounds_in_flight, 1);
    assert!(d.timers.contains_key(&Timer::Periodic));
    d.fail();
    d.fire(Timer::Periodic);
    assert_eq!(d.rounds_in_flight, 0, "not while backing off");
    assert!(d.timers.contains_key(&Timer::Periodic));
}

#[wasm_bindgen_test(unsupported = test)]
fn an_edit_during_a_round_is_never_reported_as_synced() {
    let mut d = Driver::set_up(0);
    d.send(Event::Edited);
    // The round ends having read the outbox before the edit: its count says 0.
    d.done(3, 0);
    assert_eq!(d.status(), SyncStatus::Waiting { count: 1 });
    d.fire(Timer::Debounce);
    assert_eq!(d.rounds_in_flight, 1);
    d.done(4, 0);
    assert!(matches!(d.status(), SyncStatus::UpToDate { .. }));
}

#[wasm_bindgen_test(unsupported = test)]
fn an_outbox_count_taken_before_a_round_finished_is_ignored() {
    let mut d = Driver::set_up(0);
    d.send(Event::Edited);
    let stale = *d.count_requests.last().unwrap();
    d.fire(Timer::Debounce);
    d.done(0, 0);
    d.done(0, 0);
    d.send(Event::WaitingCounted {
        ticket: stale,
        count: 4,
    });
    assert!(matches!(d.status(), SyncStatus::UpToDate { .. }));
    d.send(Event::Edited);
    let fresh = *d.count_requests.last().unwrap();
    d.send(Event::WaitingCounted {
        ticket: fresh,
        count: 4,
    });
    assert_eq!(d.status(), SyncStatus::Waiting { count: 4 });
}

#[wasm_bindgen_test(unsupported = test)]
fn adopting_a_workspace_starts_over_with_a_fresh_socket() {
    let mut d = Driver::set_up(30);
    d.done(30, 0);
    d.send(Event::SocketReady { head_seq: 30 });
    d.send(Event::Adopted);
    assert_eq!(d.m.cursor(), 0);
    assert!(d.socket_open, "a new socket for the new membership");
    assert_eq!(d.rounds_in_flight, 1);
    // During a round: one more follows it.
    d.send(Event::Adopted);
    d.done(30, 0);
    assert_eq!(d.rounds_in_flight, 1);
}

// --- Property: whatever happens, the status never says "up to date" while an edit waits, the
// driver is never asked for something impossible, and once the network and relay are fine every
// edit is pushed and the status says so.

#[derive(Clone, Debug)]
enum Step {
    Edit,
    Online,
    Offline,
    Visible,
    SyncNow,
    Fire(u8),
    SocketReady,
    SocketNew(u8),
    SocketClosed,
    /// The round in flight reads the outbox (what it will push).
    RoundReads,
    RoundOk,
    RoundFails(bool),
    CountArrives,
    Random(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Edit),
        1 => Just(Step::Online),
        1 => Just(Step::Offline),
        1 => Just(Step::Visible),
        1 => Just(Step::SyncNow),
        3 => (0u8..4).prop_map(Step::Fire),
        1 => Just(Step::SocketReady),
        1 => (0u8..20).prop_map(Step::SocketNew),
        1 => Just(Step::SocketClosed),
        3 => Just(Step::RoundReads),
        3 => Just(Step::RoundOk),
        2 => any::<bool>().prop_map(Step::RoundFails),
        2 => Just(Step::CountArrives),
        1 => any::<u8>().prop_map(Step::Random),
    ]
}

struct Model {
    d: Driver,
    /// Documents with changes not on the relay (each edit: one more).
    outbox: usize,
    /// What the round in flight has read from the outbox, once it read it.
    read: Option<usize>,
    cursor: u64,
    online: bool,
}

impl Model {
    fn apply(&mut self, s: Step) {
        match s {
            Step::Edit => {
                self.outbox += 1;
                self.d.send(Event::Edited);
            }
            Step::Online => {
                self.online = true;
                self.d.send(Event::Online);
            }
            Step::Offline => {
                self.online = false;
                self.d.send(Event::Offline);
            }
            Step::Visible => {
                self.d.send(Event::Visible);
            }
            Step::SyncNow => {
                self.d.send(Event::SyncNow);
            }
            Step::Fire(i) => {
                let t = Timer::ALL[i as usize % 4];
                if self.d.timers.contains_key(&t) {
                    self.d.fire(t);
                }
            }
            Step::SocketReady => {
                if self.d.socket_open {
                    self.d.send(Event::SocketReady {
                        head_seq: self.cursor,
                    });
                }
            }
            Step::SocketNew(n) => {
                if self.d.socket_open {
                    self.d.send(Event::SocketNew {
                        seq: self.cursor + n as u64,
                    });
                }
            }
            Step::SocketClosed => {
                if self.d.socket_open {
                    self.d.socket_closed();
                }
            }
            Step::RoundReads => {
                if self.d.rounds_in_flight == 1 && self.read.is_none() {
                    self.read = Some(self.outbox);
                }
            }
            Step::RoundOk => self.round_ok(),
            Step::RoundFails(with_retry_after) => {
                if self.d.rounds_in_flight == 1 {
                    self.read = None;
                    self.d.finish(RoundOutcome::Failed {
                        reason: "x".into(),
                        retry_after_ms: with_retry_after.then_some(20_000),
                    });
                }
            }
            Step::CountArrives => {
                if let Some(ticket) = self.d.count_requests.pop() {
                    // The count as it is now (possibly stale by the time it is delivered).
                    self.d.send(Event::WaitingCounted {
                        ticket,
                        count: self.outbox,
                    });
                }
            }
            Step::Random(r) => self.d.random = r as f64 / 255.0,
        }
        self.d.now += 100;
    }

    fn round_ok(&mut self) {
        if self.d.rounds_in_flight == 1 {
            let pushed = self.read.take().unwrap_or(self.outbox);
            self.outbox -= pushed;
            self.cursor += 1;
            self.d.done(self.cursor, self.outbox);
        }
    }

    fn check(&self) {
        if let Some(SyncStatus::UpToDate { .. }) = &self.d.status {
            assert_eq!(self.outbox, 0, "claims synced while {} wait", self.outbox);
        }
        assert_eq!(self.d.m.online, self.online);
        if !self.online {
            assert!(!self.d.socket_open, "a socket while offline");
            assert!(!self.d.timers.contains_key(&Timer::Retry));
        }
        if self.d.timers.contains_key(&Timer::Retry) {
            assert!(matches!(self.d.m.phase(), Phase::BackingOff { .. }));
        }
        if let Phase::BackingOff { .. } = self.d.m.phase() {
            assert!(
                self.d.timers.contains_key(&Timer::Retry),
                "backing off with no retry set"
            );
        }
        assert!(self.d.rounds_in_flight <= 1);
        let running = matches!(self.d.m.phase(), Phase::Running { .. });
        assert_eq!(running, self.d.rounds_in_flight == 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[wasm_bindgen_test(unsupported = test)]
    fn status_is_honest_and_every_edit_is_eventually_pushed(
        start_online in any::<bool>(),
        steps in prop::collection::vec(step(), 0..80),
    ) {
        let mut m = Model {
            d: Driver::new(start_online),
            outbox: 0,
            read: None,
            cursor: 0,
            online: start_online,
        };
        m.d.send(Event::Started(Stored::SetUp { cursor: 0 }));
        m.check();
        for s in steps {
            m.apply(s);
            m.check();
        }
        // Then the network comes back and the relay answers: everything drains.
        m.apply(Step::Online);
        for _ in 0..20 {
            m.round_ok();
            for t in [Timer::Retry, Timer::Debounce] {
                if m.d.timers.contains_key(&t) {
                    m.d.fire(t);
                }
            }
            m.check();
        }
        prop_assert_eq!(m.d.rounds_in_flight, 0);
        prop_assert_eq!(m.outbox, 0);
        prop_assert!(
            matches!(m.d.status, Some(SyncStatus::UpToDate { .. })),
            "{:?}", m.d.status
        );
    }
}
