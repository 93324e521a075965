//! How this machine builds wasm32: rustup's target when it is installed, otherwise Debian's
//! rustc-web with `-Zbuild-std`. Setup never runs `rustup target add`: that downloads a prebuilt std
//! from outside the package registries, which this project does not do.
//! The settings go into the environment of the wasm commands only: a root `.cargo/config.toml`
//! would turn every native build (relay, xtask) into a wasm build.

use std::path::Path;
use std::process::Command;

use crate::proc::{self, Result};

pub const TARGET: &str = "wasm32-unknown-unknown";
const DEBIAN_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-llvm",
    "lld-22",
];

#[derive(Clone, Debug)]
pub enum Route {
    /// rustup's toolchain has the wasm32 std: plain `cargo --target`.
    Rustup,
    /// Debian's rustc-web builds std from source (stable compiler, so RUSTC_BOOTSTRAP).
    Debian,
}

impl Route {
    pub fn detect_or_install() -> Result<Route> {
        if let Some(route) = Route::detect() {
            match route {
                Route::Rustup => println!("setup: wasm32 via rustup's {TARGET} target (installed)"),
                Route::Debian => {
                    println!("setup: wasm32 via Debian rustc-web + build-std (installed)")
                }
            }
            return Ok(route);
        }
        proc::apt_install(DEBIAN_PACKAGES, "building the app for wasm32")?;
        if debian_ready() {
            Ok(Route::Debian)
        } else {
            Err("Debian's rustc-web was installed but /usr/bin/rustc or the std sources are still missing".into())
        }
    }

    /// The route this machine already has, if any (installs nothing).
    pub fn detect() -> Option<Route> {
        if rustup_has_target() {
            Some(Route::Rustup)
        } else if debian_ready() {
            Some(Route::Debian)
        } else {
            None
        }
    }

    /// A `cargo` command for wasm32 work with this route's environment.
    pub fn cargo(&self) -> Command {
        let mut cmd = match self {
            Route::Rustup => Command::new("cargo"),
            Route::Debian => Command::new("/usr/bin/cargo"),
        };
        self.apply_env(&mut cmd);
        cmd
    }

    /// Environment for any tool that runs cargo for wasm32 itself (trunk, test runners).
    pub fn apply_env(&self, cmd: &mut Command) {
        if let Route::Debian = self {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("/usr/bin:{path}"))
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTDOC", "/usr/bin/rustdoc")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env("RUSTC_BOOTSTRAP", "1")
                // rustup's proxy variables would send nested cargo calls back to rustup's toolchain.
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("CARGO");
        }
    }
}

impl Route {
    /// Downloads into cargo's registry cache everything a later `--offline` wasm32 build of the
    /// package at `dir` needs: its own dependencies AND, on the Debian route, std's (dlmalloc,
    /// compiler_builtins, libc, ...), which `-Zbuild-std` resolves from the registry too. `trunk build
    /// --offline` downloads nothing, so on a machine with an empty cache it fails without this
    /// step. A no-op (about a second) when the cache is warm.
    pub fn fetch_for_offline(&self, dir: &Path) -> Result<()> {
        proc::run(&mut self.fetch_command(dir)).map_err(|e| {
            format!("{e}\n(fetching what the offline wasm32 build needs; is crates.io reachable?)")
        })
    }
}

impl Route {
    /// The command `fetch_for_offline` runs (separate so a test can point it at an empty registry).
    fn fetch_command(&self, dir: &Path) -> Command {
        let mut cmd = self.cargo();
        cmd.args(["fetch", "--target", TARGET]).current_dir(dir);
        cmd
    }
}

fn rustup_has_target() -> bool {
    proc::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .map(|out| out.lines().any(|l| l.trim() == TARGET))
        .unwrap_or(false)
}

fn debian_ready() -> bool {
    let rustc = proc::output(Command::new("/usr/bin/rustc").arg("--version"));
    let lld = Path::new("/usr/bin/lld-22").exists() || Path::new("/usr/bin/rust-lld").exists();
    rustc.is_some()
        && Path::new("/usr/bin/cargo").exists()
        && Path::new("/usr/lib/rustlib/src/rust/library/std").exists()
        && lld
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh machine's registry cache, for real: an empty `CARGO_HOME`. A tiny wasm32 crate with
    /// one dependency must fail to build offline from it (so this test can fail), and build offline
    /// after `fetch_for_offline`'s command — std's own crates included on the Debian route, which
    /// is what `trunk build --offline` of the app needed and did not have (issue 12).
    #[test]
    fn an_offline_wasm32_build_works_from_an_empty_registry_after_the_fetch() {
        let route = Route::detect().expect(
            "this machine has no wasm32 route yet: `cargo xtask test` installs it (or run `cargo xtask setup`)",
        );
        let tmp = tempfile::tempdir().expect("temporary directory");
        let home = tmp.path().join("cargo-home");
        let krate = tmp.path().join("tiny");
        std::fs::create_dir_all(krate.join("src")).expect("crate directory");
        std::fs::create_dir_all(&home).expect("cargo home");
        std::fs::write(
            krate.join("Cargo.toml"),
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nitoa = \"1\"\n\n[workspace]\n",
        )
        .expect("Cargo.toml");
        std::fs::write(
            krate.join("src/lib.rs"),
            "pub fn shown(n: u32) -> String { itoa::Buffer::new().format(n).to_owned() }\n",
        )
        .expect("lib.rs");
        let isolate = |mut cmd: Command| {
            cmd.env("CARGO_HOME", &home)
                .env("CARGO_TARGET_DIR", tmp.path().join("target"))
                .env("CARGO_TERM_COLOR", "never");
            cmd
        };
        let offline_build = || {
            let mut cmd = isolate(route.cargo());
            cmd.args(["check", "--offline", "--target", TARGET])
                .current_dir(&krate);
            cmd.output().expect("cargo starts")
        };

        let before = offline_build();
        assert!(
            !before.status.success(),
            "an offline build from an empty registry should fail, or this test proves nothing"
        );

        let fetched = isolate(route.fetch_command(&krate))
            .output()
            .expect("cargo fetch starts");
        assert!(
            fetched.status.success(),
            "fetch failed: {}",
            String::from_utf8_lossy(&fetched.stderr)
        );

        let after = offline_build();
        assert!(
            after.status.success(),
            "offline wasm32 build after the fetch failed:\n{}",
            String::from_utf8_lossy(&after.stderr)
        );
    }
}
