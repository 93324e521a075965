//! `cargo xtask setup | run | test | bench` — the project's only build scripting.
//!
//! Every command calls `setup` first; setup checks each tool and installs only what is missing,
//! so the second run is a fast path. Nothing is downloaded except through cargo, npm or apt.

mod bench;
mod bench_sync;
mod build;
mod compress;
mod lighthouse;
mod paths;
mod proc;
mod run;
mod setup;
mod test;
mod wasm;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup().map(|_| ()),
        Some("run") => run::run(&args[1..]),
        Some("test") => test::test(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("build") => setup::setup().and_then(|tools| build::build_app(&tools).map(|_| ())),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  setup   install what the project needs (idempotent)\n  run     build the app and serve it with the relay on http://127.0.0.1:8080\n  test    run every test layer (native, browser, end-to-end)\n  bench   run the benchmarks, writing target/bench/results.json\n  build   build the app (release) into dist/"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}
