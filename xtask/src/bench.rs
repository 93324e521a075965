//! `cargo xtask bench`: measures and writes target/bench/results.json, one entry per measure:
//! `{"<measure>": {"value", "unit", "baseline", "ratio", ...}}`, each baseline measured in the same
//! run (`ratio = value / baseline`; extra fields such as `baseline_what`, `target`, `note` explain it).
//!
//! Sections (`cargo xtask bench [core] [sync] [scale] [storage] [team] [lighthouse]`, default all):
//!   - core: `crates/core/examples/core_bench.rs` (native, release);
//!   - sync: `crates/relay/examples/sync_bench.rs` (native, release; relay in-process on 127.0.0.1),
//!     then the browser measure against automerge-repo (`bench_sync.rs`: the release app in headless
//!     Chromium against the release relay, its no-network baseline and the peer, same run);
//!   - scale: `crates/relay/examples/scale_bench.rs` (native, release; relay in-process on 127.0.0.1):
//!     a workspace of 10,000 patients and 100 people; a care manager's new phone's first sync (her
//!     300 patients) next to a supervisor's new phone reading all 10,000, same run;
//!   - storage: `tests/bench_storage.rs` (wasm-bindgen-test, headless Chromium, real IndexedDB; an
//!     ignored test, run here with `--include-ignored --nocapture`; it logs one `BENCH_JSON {...}` line);
//!   - team: `tests/bench_team.rs` (the same kind of ignored wasm-bindgen test): the supervisor's
//!     dashboard of 10,000 summaries computed and rendered, next to the same table set with innerHTML;
//!   - lighthouse: `end2end/lighthouse.mjs` (Lighthouse 12.8.2, Debian Chromium) on the release build
//!     served by the relay, next to a reference page served by an identical relay (`lighthouse.rs`).
//!
//! Every section that ran is written even if another failed; the command then fails.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{Map, Value};

use crate::proc::{self, Result};
use crate::run::native_cargo;
use crate::setup::Tools;
use crate::wasm::TARGET;
use crate::{bench_sync, lighthouse, paths, setup};

const JSON_MARKER: &str = "BENCH_JSON ";

pub fn bench(args: &[String]) -> Result<()> {
    let only = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    let mut results = Map::new();
    let mut failed = Vec::new();
    let mut section = |name: &str, r: Result<Value>| match r {
        Ok(v) => merge(&mut results, v),
        Err(e) => {
            eprintln!("\nbench {name} FAILED: {e}\n");
            failed.push(name.to_string());
        }
    };
    if only("core") {
        section("core", native_example("tend-core", "core_bench"));
    }
    if only("sync") {
        section("sync", native_example("tend-relay", "sync_bench"));
        let r = setup::setup().and_then(|tools| bench_sync::bench(&tools));
        section("sync (browser)", r);
    }
    if only("scale") {
        section("scale", native_example("tend-relay", "scale_bench"));
    }
    if only("storage") {
        let r = setup::setup()
            .and_then(|tools| wasm_bench(&tools, "bench_storage", "the storage benchmark"));
        section("storage", r);
    }
    if only("team") {
        let r = setup::setup()
            .and_then(|tools| wasm_bench(&tools, "bench_team", "the team dashboard benchmark"));
        section("team", r);
    }
    if only("lighthouse") {
        match setup::setup().and_then(|tools| lighthouse::bench(&tools)) {
            Ok(lh) => {
                section("lighthouse", Ok(lh.entries));
                if let Some(problem) = lh.problem {
                    section("lighthouse flow", Err(problem));
                }
            }
            Err(e) => section("lighthouse", Err(e)),
        }
    }
    write(&results)?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failing benchmarks: {}", failed.join(", ")))
    }
}

/// A native release example that prints one JSON object on stdout (progress on stderr).
fn native_example(package: &str, example: &str) -> Result<Value> {
    println!("\n== bench: {example} ({package}, native release) ==");
    let mut cmd = native_cargo();
    cmd.args([
        "run",
        "--release",
        "-q",
        "-p",
        package,
        "--example",
        example,
    ])
    .current_dir(paths::root())
    .stderr(Stdio::inherit());
    println!("$ {}", proc::describe(&cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("could not run {example}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{example} failed ({})", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{example} printed invalid JSON: {e}"))
}

/// A browser benchmark: runs the ignored wasm-bindgen test `tests/<test>.rs` (headless Chromium;
/// the storage one with real IndexedDB) and parses the one `BENCH_JSON` line it logs.
pub fn wasm_bench(tools: &Tools, test: &str, what: &str) -> Result<Value> {
    println!("\n== bench: {what} (wasm-bindgen-test {test}, headless Chromium) ==");
    let runner = tools.wasm_bindgen_bin.join("wasm-bindgen-test-runner");
    let mut cmd = tools.route.cargo();
    cmd.args([
        "test",
        // The shipped optimisation (see [profile.wasm-bench]): a debug build measures the compiler.
        "--profile",
        "wasm-bench",
        "-p",
        "tend",
        "--target",
        TARGET,
        "--test",
        test,
    ])
    .args(["--", "--include-ignored", "--nocapture", "bench_"])
    .current_dir(paths::root())
    .env("PATH", tools.path_env())
    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
    .env("CHROMEDRIVER", &tools.chromedriver)
    .env("WASM_BINDGEN_TEST_TIMEOUT", "1200")
    .stdout(Stdio::piped());
    println!("$ {}", proc::describe(&cmd));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start {what}: {e}"))?;
    let mut found = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            match line.find(JSON_MARKER) {
                Some(at) => found = Some(line[at + JSON_MARKER.len()..].trim().to_string()),
                None => println!("{line}"),
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{what} failed ({status})"));
    }
    let json = found.ok_or_else(|| format!("{what} printed no BENCH_JSON line"))?;
    serde_json::from_str(&json).map_err(|e| format!("{what} printed invalid JSON: {e}"))
}

pub fn merge(into: &mut Map<String, Value>, from: Value) {
    if let Value::Object(map) = from {
        for (k, v) in map {
            into.insert(k, with_ratio(flatten_baseline(v)));
        }
    }
}

/// `"baseline": {"value", "what"}` (core_bench's form) becomes `"baseline": n, "baseline_what"`.
fn flatten_baseline(mut entry: Value) -> Value {
    if let Some(obj) = entry.as_object_mut() {
        if let Some(Value::Object(b)) = obj.get("baseline").cloned() {
            if let Some(v) = b.get("value") {
                obj.insert("baseline".into(), v.clone());
            }
            if let Some(w) = b.get("what") {
                obj.insert("baseline_what".into(), w.clone());
            }
        }
    }
    entry
}

/// Adds `ratio = value / baseline` where a baseline was measured.
fn with_ratio(mut entry: Value) -> Value {
    let value = entry.get("value").and_then(Value::as_f64);
    let baseline = entry.get("baseline").and_then(Value::as_f64);
    if let (Some(v), Some(b), Some(obj)) = (value, baseline, entry.as_object_mut()) {
        if b > 0.0 {
            obj.insert(
                "ratio".into(),
                Value::from((v / b * 1000.0).round() / 1000.0),
            );
        }
    }
    entry
}

fn write(results: &Map<String, Value>) -> Result<()> {
    let dir = paths::target().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join("results.json");
    let text = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    std::fs::write(&file, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("\n{}", table(results));
    println!("bench results written to {}", file.display());
    Ok(())
}

fn num(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(n) if n.abs() >= 1000.0 => format!("{n:.0}"),
        Some(n) => format!("{n:.3}"),
        None => "-".into(),
    }
}

/// A readable table: measure, value, baseline, ratio, peer, peer ratio, unit, target.
fn table(results: &Map<String, Value>) -> String {
    const COLS: usize = 8;
    let rows: Vec<[String; COLS]> = results
        .iter()
        .map(|(k, v)| {
            let target = match (v.get("target").and_then(Value::as_str), v.get("target_met")) {
                (Some(t), Some(Value::Bool(met))) if t != "-" => {
                    format!("{t} ({})", if *met { "met" } else { "NOT met" })
                }
                (Some(t), _) if t != "-" => t.to_string(),
                _ => String::new(),
            };
            [
                k.clone(),
                num(v.get("value")),
                num(v.get("baseline")),
                num(v.get("ratio")),
                num(v.get("peer")),
                num(v.get("peer_ratio")),
                v.get("unit").and_then(Value::as_str).unwrap_or("").into(),
                target,
            ]
        })
        .collect();
    let head = [
        "measure",
        "value",
        "baseline",
        "ratio",
        "peer",
        "peer ratio",
        "unit",
        "target",
    ]
    .map(String::from);
    let mut widths = head.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |r: &[String; COLS]| {
        let mut s = format!("{:<w$}", r[0], w = widths[0]);
        for i in 1..6 {
            s.push_str(&format!("  {:>w$}", r[i], w = widths[i]));
        }
        s.push_str(&format!("  {:<w$}  {}", r[6], r[7], w = widths[6]));
        s.trim_end().to_string()
    };
    let mut out = line(&head) + "\n";
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (COLS - 1)));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_value_over_baseline() {
        let e = with_ratio(serde_json::json!({"value": 30.0, "unit": "ms", "baseline": 20.0}));
        assert_eq!(e["ratio"], Value::from(1.5));
    }

    #[test]
    fn no_baseline_no_ratio() {
        let e = with_ratio(serde_json::json!({"value": 30.0, "unit": "ms"}));
        assert!(e.get("ratio").is_none());
    }

    #[test]
    fn object_baselines_are_flattened() {
        let mut m = Map::new();
        merge(
            &mut m,
            serde_json::json!({"x": {"value": 3.0, "unit": "ms", "baseline": {"value": 2.0, "unit": "ms", "what": "json"}}}),
        );
        assert_eq!(m["x"]["baseline"], Value::from(2.0));
        assert_eq!(m["x"]["baseline_what"], Value::from("json"));
        assert_eq!(m["x"]["ratio"], Value::from(1.5));
        assert!(table(&m).contains("1.500"));
    }
}
