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
        if rustup_has_target() {
            println!("setup: wasm32 via rustup's {TARGET} target (installed)");
            return Ok(Route::Rustup);
        }
        if debian_ready() {
            println!("setup: wasm32 via Debian rustc-web + build-std (installed)");
            return Ok(Route::Debian);
        }
        proc::apt_install(DEBIAN_PACKAGES, "building the app for wasm32")?;
        if debian_ready() {
            Ok(Route::Debian)
        } else {
            Err("Debian's rustc-web was installed but /usr/bin/rustc or the std sources are still missing".into())
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
