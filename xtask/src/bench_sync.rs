//! `cargo xtask bench sync`, browser part (issue 18): the real app (release build) in headless
//! Debian Chromium against the real relay (release binary) on loopback, next to its no-network
//! baseline and to the peer, automerge-repo 2.5.x, measured on the same workload in the same run.
//!
//! Pieces, each run here in turn (one build at a time):
//! - `crates/core/examples/sync_seed.rs` — device A, native: seeds workspaces through the relay's
//!   API with tend-core's real ops, sealed as the app seals them, and makes the catch-up edits;
//! - `end2end/bench/sync.mjs` — device B: Playwright drives the app as a person would (PIN, who I
//!   am, join code in Settings, offline/online) and times (b) a new device joining 200 patients
//!   with a year of history, (a) catching up on 5,000 changes, (c) the bytes of both, (d) memory
//!   after unlocking with 2,000 patients and opening 20 charts;
//! - `tests/bench_sync.rs` — the baseline: the same workload's pages decrypted and applied by the
//!   app's own pull path in the browser, with no network and no UI (wasm-bindgen-test);
//! - `end2end/bench/peer/peer.mjs` — automerge-repo on the same counts (its own npm packages).
//!
//! Entries: `value`, `unit`, `baseline` (+ `ratio = value / baseline`), `peer` and
//! `peer_ratio = value / peer` (below 1: Tend does better; 0.2 = five times faster), `target`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::proc::{self, Result};
use crate::run::{build_relay, native_cargo, Profile};
use crate::setup::Tools;
use crate::{bench, build, paths, setup};

/// Repetitions of the sync rounds (each side); `BENCH_SYNC_REPS` overrides. Two keep the whole
/// section near 20 minutes on a 2-core machine (a Tend round takes ~2 minutes, a peer round ~1).
const DEFAULT_REPS: &str = "2";
/// A stuck browser or server never holds the bench longer than this.
const NODE_TIMEOUT: Duration = Duration::from_secs(40 * 60);
const MIB: f64 = 1024.0 * 1024.0;

pub fn bench(tools: &Tools) -> Result<Value> {
    println!("\n== bench: sync in the browser (release app + relay on loopback, Debian Chromium) vs automerge-repo ==");
    if proc::output(Command::new("node").arg("--version")).is_none() {
        return Err("node is not installed: the browser sync benchmark drives Chromium from Node.js (apt-get install -y nodejs npm)".into());
    }
    if !tools.chromium.exists() {
        return Err(format!(
            "Chromium is missing at {}",
            tools.chromium.display()
        ));
    }
    let reps = std::env::var("BENCH_SYNC_REPS").unwrap_or_else(|_| DEFAULT_REPS.into());
    let baseline = bench::wasm_bench(tools, "bench_sync", "the sync baseline")?;
    let dist = build::build_app(tools)?;
    let relay = build_relay(Profile::Release)?;
    if !relay.exists() {
        return Err(format!("the relay binary is missing: {}", relay.display()));
    }
    proc::run(
        native_cargo()
            .args([
                "build",
                "--release",
                "-p",
                "tend-core",
                "--example",
                "sync_seed",
            ])
            .current_dir(paths::root()),
    )?;
    let seeder = paths::target().join("release/examples/sync_seed");

    let end2end = paths::root().join("end2end");
    let mut tend = Command::new("node");
    tend.arg("bench/sync.mjs")
        .current_dir(&end2end)
        .env("TEND_RELAY_BIN", &relay)
        .env("TEND_DIST_DIR", &dist)
        .env("TEND_SEED_BIN", &seeder)
        // Patients take ~0.2 s of CPU each to build: kept between runs, keyed by the seeder binary.
        .env(
            "TEND_SEED_CACHE",
            paths::target().join("bench").join("sync-seed-cache"),
        )
        .env("TEND_CHROMIUM", &tools.chromium)
        .env("BENCH_SYNC_REPS", &reps);
    let tend = node_json(&mut tend, "bench/sync.mjs")?;
    save_raw("tend", &tend)?;

    let peer_dir = end2end.join("bench").join("peer");
    setup::npm_packages(&peer_dir, "the peer benchmark's")?;
    let mut peer = Command::new("node");
    peer.arg("peer.mjs")
        .arg(format!("--reps={reps}"))
        .current_dir(&peer_dir)
        .env("CHROMIUM", &tools.chromium);
    let peer = node_json(&mut peer, "peer.mjs")?;
    save_raw("peer", &peer)?;
    save_raw("baseline", &baseline)?;
    entries(&tend, &baseline, &peer)
}

/// Every figure each side reported, next to results.json (target/bench/sync-browser-<side>.json).
fn save_raw(side: &str, v: &Value) -> Result<()> {
    let dir = paths::target().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join(format!("sync-browser-{side}.json"));
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// Runs a Node script that prints one JSON object on stdout (progress on stderr), within
/// `NODE_TIMEOUT`; killed and reported if it takes longer.
fn node_json(cmd: &mut Command, what: &str) -> Result<Value> {
    println!("$ {}", proc::describe(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start {what}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + NODE_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{what} did not finish in {} min: killed",
                NODE_TIMEOUT.as_secs() / 60
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = reader.join().map_err(|_| "stdout reader panicked")?;
    if !status.success() {
        return Err(format!("{what} failed ({status})"));
    }
    serde_json::from_str(out.trim()).map_err(|e| format!("{what} printed invalid JSON: {e}"))
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    (n > 0).then(|| (v[(n - 1) / 2] + v[n / 2]) / 2.0)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The median over Tend's rounds of `pick(round)`, and every run.
fn over_rounds(tend: &Value, pick: impl Fn(&Value) -> Option<f64>) -> Result<(f64, Vec<f64>)> {
    let runs: Vec<f64> = tend["rounds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(&pick)
        .collect();
    let m = median(runs.clone()).ok_or("bench/sync.mjs reported no round")?;
    Ok((m, runs.into_iter().map(round3).collect()))
}

/// The peer's median of a bench-sync.mjs statistic (from its runs, as Tend's).
fn peer_median(peer: &Value, key: &str) -> Result<f64> {
    let runs = peer["sync"][key]["runs"].as_array().into_iter().flatten();
    median(runs.filter_map(f).collect()).ok_or_else(|| format!("peer.mjs reported no {key}"))
}

/// One results entry with the peer alongside: `peer_ratio = value / peer`.
fn entry(value: f64, unit: &str, baseline: Option<(f64, String)>, peer: (f64, &str)) -> Value {
    let mut e = json!({
        "value": round3(value),
        "unit": unit,
        "peer": round3(peer.0),
        "peer_what": peer.1,
        "peer_ratio": (peer.0 > 0.0).then(|| round3(value / peer.0)),
    });
    if let Some((b, what)) = baseline {
        e["baseline"] = json!(round3(b));
        e["baseline_what"] = json!(what);
    }
    e
}

pub fn entries(tend: &Value, baseline: &Value, peer: &Value) -> Result<Value> {
    let mut out = Map::new();
    let reps = tend["reps"].as_u64().unwrap_or(0);
    let peer_reps = peer["sync"]["rounds"].as_array().map_or(0, Vec::len);
    let round0 = &tend["rounds"][0];
    let num = |v: &Value| v.as_f64().unwrap_or(0.0);
    let note = format!(
        "Tend: median of {reps} rounds, each a fresh workspace, fresh relay workspace and fresh incognito context (in-memory IndexedDB, as the peer's contexts); release app + release relay (SQLite) on 127.0.0.1, headless {}. Peer: automerge-repo {} (automerge {}), median of {peer_reps} rounds of its own harness (fresh Node sync server and contexts each round). peer_ratio = value / peer: below 1 Tend does better, 0.2 = five times faster.",
        tend["chromium"].as_str().unwrap_or("Chromium"),
        peer["packages"]["@automerge/automerge-repo"].as_str().unwrap_or("?"),
        peer["packages"]["@automerge/automerge"].as_str().unwrap_or("?"),
    );

    // (a) catch-up.
    let (catch_up, catch_runs) = over_rounds(tend, |r| f(&r["catchUpMs"]))?;
    let base = f(&baseline["catch_up"]["ms"]).ok_or("the baseline reported no catch-up")?;
    let peer_catch = peer_median(peer, "reconnectToCaughtUp_ms")?;
    let mut e = entry(
        catch_up,
        "ms",
        Some((base, format!(
            "no network, no UI: the same workload's {} chunks as {} pull pages of JSON, parsed, gathered into batches as the app pulls them, decrypted, appended unmerged and committed by the app's own code (sync::pull::prepare + Storage::apply_pulled_page) in the browser (tests/bench_sync.rs, median of its runs)",
            baseline["catch_up"]["chunks"], baseline["catch_up"]["pages"]
        ))),
        (peer_catch, "automerge-repo: B's WebSocket handshake reply (reconnect) until all 200 docs have A's heads in memory; it excludes the wait for its 1 s retry tick (see peer_online_ms)"),
    );
    let met = catch_up * 5.0 <= peer_catch && catch_up <= 1.5 * base;
    e["what"] = json!("device B offline while A made 5,000 changes (25 to each of 200 patients with a year of history, one chunk per change); from the page's `online` event until the status bar says \"Synced: up to date\" (every page pulled, decrypted and committed to IndexedDB, each patient's changes appended unmerged; the caseload rows are brought up to date after it: sync_browser_catch_up_settled_ms); charts then show the dose A wrote last");
    e["runs"] = json!(catch_runs);
    e["peer_online_ms"] = json!(peer_median(peer, "onlineToCaughtUp_ms")?);
    e["target"] = json!("≥ 5× faster than the peer (peer_ratio ≤ 0.2) and ≤ 1.5× the no-network apply (ratio ≤ 1.5)");
    e["target_met"] = json!(met);
    e["note"] = json!(note);
    out.insert("sync_browser_catch_up_5000_changes_ms".into(), e);

    // (a') the same catch-up until the caseload is current too (no target: what a user waits
    // for to see every row's risk and due items with A's changes).
    let (settled, settled_runs) = over_rounds(tend, |r| f(&r["catchUpSettledMs"]))?;
    let mut e = entry(
        settled,
        "ms",
        Some((
            base + f(&baseline["catch_up"]["settle_ms"]).unwrap_or(0.0),
            "no network, no UI: the baseline's catch-up plus settling its 200 patients (tests/bench_sync.rs settle_ms)".into(),
        )),
        (peer_catch, "automerge-repo: as for the catch-up (the peer keeps no summaries)"),
    );
    e["what"] = json!("the catch-up above, from the `online` event until the caseload no longer says it is updating rows with changes from other devices (every patient's summary recomputed from its stored document, one at a time in the background)");
    e["runs"] = json!(settled_runs);
    e["note"] = json!(note);
    out.insert("sync_browser_catch_up_settled_ms".into(), e);

    // (b) a new device.
    let (new_device, new_runs) = over_rounds(tend, |r| f(&r["newDeviceMs"]))?;
    let base = f(&baseline["new_device"]["ms"]).ok_or("the baseline reported no new device")?;
    let peer_new = peer_median(peer, "bInitialFetch_ms")?;
    let mut e = entry(
        new_device,
        "ms",
        Some((base, format!(
            "no network, no UI: the same workload's {} chunks as {} pull pages into an empty database by the app's own code (tests/bench_sync.rs)",
            baseline["new_device"]["chunks"], baseline["new_device"]["pages"]
        ))),
        (peer_new, "automerge-repo: a fresh context (B) fetching the 200 docs of 200 changes each from the sync server, Promise.all(repo.find(url)) until every doc is ready"),
    );
    e["what"] = json!(format!(
        "a new device joins a workspace of 200 patients with a year of history each ({} changes, pushed one chunk per change, then compacted by A as its app does after a round: {} snapshots, each carrying its patient's summary): from the click on \"Join workspace\" until \"Synced: up to date\" (every patient stored and listed, its chart readable; the caseload then says \"200 patients\" and recomputes each row's summary in the background: sync_browser_new_device_settled_ms)",
        num(&round0["created"]["changes"]),
        num(&round0["created"]["snapshots"])
    ));
    e["runs"] = json!(new_runs);
    e["target"] = json!("≥ 5× faster than the peer (peer_ratio ≤ 0.2)");
    e["target_met"] = json!(new_device * 5.0 <= peer_new);
    e["note"] = json!(note);
    out.insert("sync_browser_new_device_200_patients_ms".into(), e);

    // (b') the same until the caseload has recomputed every row (no target).
    let (settled, settled_runs) = over_rounds(tend, |r| f(&r["newDeviceSettledMs"]))?;
    let mut e = entry(
        settled,
        "ms",
        Some((
            base + f(&baseline["new_device"]["settle_ms"]).unwrap_or(0.0),
            "no network, no UI: the baseline's new device plus settling its 200 patients (tests/bench_sync.rs)".into(),
        )),
        (peer_new, "automerge-repo: as for the new device (the peer keeps no summaries)"),
    );
    e["what"] = json!("the new device above, from the click on \"Join workspace\" until the caseload no longer says it is updating rows (each summary recomputed from the stored document in the background; polled every 50 ms)");
    e["runs"] = json!(settled_runs);
    e["note"] = json!(note);
    out.insert("sync_browser_new_device_settled_ms".into(), e);

    // (c) bytes.
    let bytes_what = "bytes B received: every /api response as received (CDP Network encodedDataLength: HTTP headers + JSON body with base64 ciphertext) + WebSocket frame payloads";
    for (key, tend_key, created_key, peer_key, peer_what) in [
        (
            "sync_browser_catch_up_bytes",
            "catchUpBytes",
            "edited",
            "catchupBytesServerToB",
            "automerge-repo: WebSocket payload bytes server → B during the catch-up (counted in the server; CBOR envelopes included, framing excluded)",
        ),
        (
            "sync_browser_new_device_bytes",
            "newDeviceBytes",
            "created",
            "bInitialFetchBytesServerToB",
            "automerge-repo: WebSocket payload bytes server → B while B fetched the 200 docs",
        ),
    ] {
        let (value, runs) = over_rounds(tend, |r| f(&r[tend_key]["toB"]))?;
        // After A's compaction the relay keeps less than A pushed: what a new device must fetch.
        let envelopes = round0[created_key]["relay_envelope_bytes"]
            .as_f64()
            .unwrap_or_else(|| num(&round0[created_key]["envelope_bytes"]));
        let mut e = entry(
            value,
            "bytes",
            Some((envelopes, "the sealed envelopes themselves (what must cross at the least: Automerge changes + 41 bytes of nonce, tag and version each)".into())),
            (peer_median(peer, peer_key)?, peer_what),
        );
        e["what"] = json!(bytes_what);
        e["runs"] = json!(runs);
        e["sent_by_b"] = round0[tend_key].clone();
        e["note"] = json!("reported, no target in the issue");
        out.insert(key.into(), e);
    }

    // (d) memory.
    if let (Some(mem), Some(peer_mem)) = (tend["memory"].as_object(), peer["memory"].as_object()) {
        let mib = |v: &Value| num(v) / MIB;
        let value = mib(&mem["loaded"]["totalBytes"]);
        let mut e = entry(
            value,
            "MiB",
            Some((mib(&mem["empty"]["totalBytes"]), "the same app after unlocking on an empty device (its floor), measured the same way in the same run".into())),
            (mib(&peer_mem["totalBytes"]), "automerge-repo with the same number of docs (200 changes each) loaded after a page reload, as its caseload needs every doc (peer harness cold-load mode), measured the same way"),
        );
        e["what"] = json!(format!(
            "wasm linear memory (of every instance the page made, noted by an init script) + JS heap used (CDP Runtime.getHeapUsage), after a forced GC, after a reload, unlock with {} patients on the device (persistent profile) and opening {} charts",
            num(&mem["patients"]), num(&mem["charts"])
        ));
        e["wasm_mib"] = json!(round3(mib(&mem["loaded"]["wasmBytes"])));
        e["js_heap_mib"] = json!(round3(mib(&mem["loaded"]["jsHeapUsedBytes"])));
        e["peer_wasm_mib"] = json!(round3(mib(&peer_mem["wasmBytes"])));
        e["peer_js_heap_mib"] = json!(round3(mib(&peer_mem["jsHeapUsedBytes"])));
        e["target"] = json!("≤ 100 MiB");
        e["target_met"] = json!(value <= 100.0);
        e["note"] = json!("one measurement per run (not repeated)");
        out.insert(
            format!(
                "sync_browser_memory_{}_patients_mib",
                mem["patients"].as_u64().unwrap_or(0)
            ),
            e,
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (Value, Value, Value) {
        let round = |new: f64, catch: f64| {
            json!({
                "newDeviceMs": new, "catchUpMs": catch, "catchUpSettledMs": catch + 4_000.0,
                "newDeviceSettledMs": new + 5_000.0,
                "newDeviceBytes": {"toB": 25_000_000.0}, "catchUpBytes": {"toB": 2_600_000.0},
                "created": {"changes": 38200, "envelope_bytes": 14_772_690, "snapshots": 200,
                    "relay_envelope_bytes": 1_800_000},
                "edited": {"envelope_bytes": 1_427_276},
            })
        };
        let tend = json!({
            "chromium": "156.0", "reps": 2,
            "rounds": [round(20_000.0, 60_000.0), round(30_000.0, 80_000.0)],
            "memory": {"patients": 2000, "charts": 20,
                "loaded": {"wasmBytes": 7_340_032, "jsHeapUsedBytes": 3_145_728, "totalBytes": 10_485_760},
                "empty": {"wasmBytes": 1_048_576, "jsHeapUsedBytes": 2_097_152, "totalBytes": 3_145_728}},
        });
        let baseline = json!({
            "new_device": {"ms": 20_000.0, "chunks": 200, "pages": 1, "settle_ms": 4_000.0},
            "catch_up": {"ms": 50_000.0, "chunks": 5000, "pages": 10, "settle_ms": 3_000.0},
        });
        let stat = |a: f64, b: f64| json!({"median": b, "runs": [a, b]});
        let peer = json!({
            "packages": {"@automerge/automerge-repo": "2.5.6", "@automerge/automerge": "3.5.0"},
            "sync": {"rounds": [{}, {}],
                "reconnectToCaughtUp_ms": stat(1_000.0, 2_000.0), "onlineToCaughtUp_ms": stat(2_000.0, 3_000.0),
                "bInitialFetch_ms": stat(4_000.0, 6_000.0),
                "catchupBytesServerToB": stat(890_000.0, 890_000.0),
                "bInitialFetchBytesServerToB": stat(2_000_000.0, 2_000_000.0)},
            "memory": {"wasmBytes": 490_733_568, "jsHeapUsedBytes": 104_857_600, "totalBytes": 595_591_168},
        });
        (tend, baseline, peer)
    }

    #[test]
    fn entries_carry_value_baseline_peer_and_targets() {
        let (tend, baseline, peer) = fixture();
        let e = entries(&tend, &baseline, &peer).unwrap();
        let c = &e["sync_browser_catch_up_5000_changes_ms"];
        // Medians of two runs are their mean, on both sides.
        assert_eq!(c["value"], json!(70_000.0));
        assert_eq!(c["baseline"], json!(50_000.0));
        assert_eq!(c["peer"], json!(1_500.0));
        assert_eq!(c["peer_ratio"], json!(46.667));
        assert_eq!(c["target_met"], json!(false));
        let s = &e["sync_browser_catch_up_settled_ms"];
        assert_eq!(s["value"], json!(74_000.0));
        assert_eq!(s["baseline"], json!(53_000.0));
        assert_eq!(s["runs"], json!([64_000.0, 84_000.0]));
        let n = &e["sync_browser_new_device_200_patients_ms"];
        assert_eq!(n["peer"], json!(5_000.0));
        assert_eq!(n["runs"], json!([20_000.0, 30_000.0]));
        let s = &e["sync_browser_new_device_settled_ms"];
        assert_eq!(s["value"], json!(30_000.0));
        assert_eq!(s["baseline"], json!(24_000.0));
        // What the relay keeps after A's compaction is what a new device must fetch at least.
        assert_eq!(
            e["sync_browser_new_device_bytes"]["baseline"],
            json!(1_800_000.0)
        );
        assert_eq!(
            e["sync_browser_catch_up_bytes"]["baseline"],
            json!(1_427_276.0)
        );
        let m = &e["sync_browser_memory_2000_patients_mib"];
        assert_eq!(m["value"], json!(10.0));
        assert_eq!(m["baseline"], json!(3.0));
        assert_eq!(m["target_met"], json!(true));
        assert_eq!(m["peer_ratio"], json!(0.018));
        // The ratio to the baseline is added when the entries are merged, like every section's.
        let mut merged = Map::new();
        bench::merge(&mut merged, Value::Object(e.as_object().unwrap().clone()));
        assert_eq!(
            merged["sync_browser_catch_up_5000_changes_ms"]["ratio"],
            json!(1.4)
        );
    }

    #[test]
    fn a_missing_round_or_peer_figure_is_an_error() {
        let (mut tend, baseline, mut peer) = fixture();
        peer["sync"]["bInitialFetch_ms"] = json!({});
        assert!(entries(&tend, &baseline, &peer)
            .unwrap_err()
            .contains("bInitialFetch_ms"));
        tend["rounds"] = json!([]);
        assert!(entries(&tend, &baseline, &fixture().2).is_err());
    }
}
