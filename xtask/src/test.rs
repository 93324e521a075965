//! `cargo xtask test`: every test layer; fails if any fails.
//!   1. native: `cargo test` of core, relay and xtask (domain, documents, sync, relay API);
//!   2. browser: wasm-bindgen-test in headless Chromium: the app's tests/ (real IndexedDB) and the
//!      whole core suite compiled to wasm32;
//!   3. end-to-end: Playwright (playwright-core + Debian Chromium) against a freshly built app
//!      served by a relay the harness starts on a free port.

use std::process::Command;

use crate::proc::{self, Result};
use crate::run::{build_relay, native_cargo, Profile};
use crate::setup::Tools;
use crate::wasm::TARGET;
use crate::{build, paths, setup};

pub fn test(args: &[String]) -> Result<()> {
    let only = |layer: &str| args.is_empty() || args.iter().any(|a| a == layer);
    let tools = setup::setup()?;
    let mut failed = Vec::new();
    if only("native") {
        record(&mut failed, "native", native(&tools));
    }
    if only("browser") {
        record(&mut failed, "browser", browser(&tools));
    }
    if only("e2e") {
        record(&mut failed, "end-to-end", end_to_end(&tools));
    }
    if failed.is_empty() {
        println!("\nxtask test: all layers passed");
        Ok(())
    } else {
        Err(format!("failing layers: {}", failed.join(", ")))
    }
}

fn record(failed: &mut Vec<String>, layer: &str, result: Result<()>) {
    if let Err(e) = result {
        eprintln!("\n{layer} tests FAILED: {e}\n");
        failed.push(layer.to_string());
    }
}

fn native(tools: &Tools) -> Result<()> {
    println!("\n== native tests (wire, core, fhir, relay, xtask) ==");
    proc::run(
        native_cargo()
            .args([
                "test",
                "-p",
                "tend-wire",
                "-p",
                "tend-core",
                "-p",
                "tend-fhir",
                "-p",
                "tend-relay",
                "-p",
                "xtask",
            ])
            .current_dir(paths::root())
            // crates/fhir/tests/validate.rs validates every exported Bundle with it.
            .env("TEND_FHIR_PYTHON", &tools.fhir_python),
    )
}

fn browser(tools: &Tools) -> Result<()> {
    println!("\n== browser tests (wasm-bindgen-test, headless Chromium): app storage + the core and wire suites on wasm32 ==");
    let runner = tools.wasm_bindgen_bin.join("wasm-bindgen-test-runner");
    let mut cmd = tools.route.cargo();
    cmd.args([
        "test",
        "-p",
        "tend",
        "-p",
        "tend-core",
        "-p",
        "tend-wire",
        "--target",
        TARGET,
        "--tests",
    ])
    .current_dir(paths::root())
    .env("PATH", tools.path_env())
    // Full debug info makes each wasm test binary ~300 MB (GBs of target/ per run, slow links);
    // line tables keep file:line in panics at a fraction of the size.
    .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
    .env("CHROMEDRIVER", &tools.chromedriver)
    .env("WASM_BINDGEN_TEST_TIMEOUT", "300");
    proc::run(&mut cmd)
}

fn end_to_end(tools: &Tools) -> Result<()> {
    println!("\n== end-to-end tests (Playwright, Debian Chromium) ==");
    let dist = build::build_app(tools)?;
    // The update test switches the relay to this copy, stamped as a newer version.
    let next_dist = build::pwa::next_build(&dist)?;
    let relay = build_relay(Profile::Debug)?;
    proc::run(
        Command::new("npm")
            .args(["test", "--silent"])
            .current_dir(paths::root().join("end2end"))
            .env("TEND_RELAY_BIN", relay)
            .env("TEND_DIST_DIR", dist)
            .env("TEND_NEXT_DIST_DIR", next_dist)
            .env("TEND_CHROMIUM", &tools.chromium)
            .env("TEND_FHIR_PYTHON", &tools.fhir_python),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The relay's own dependency tree (normal edges, what its binary links): no `tend-core`, so
    /// the relay naming a patient type cannot compile.
    #[test]
    fn the_relay_links_the_wire_and_not_the_patient_model() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "tree",
                "-p",
                "tend-relay",
                "-e",
                "normal",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ])
            .current_dir(paths::root())
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        let crates: Vec<&str> = tree
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(crates.contains(&"tend-wire"), "{tree}");
        assert!(!crates.contains(&"tend-core"), "{tree}");
    }
}
