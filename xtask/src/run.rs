//! `cargo xtask run`: build the app, then serve it and the sync API from one origin.

use std::process::Command;

use crate::proc::{self, Result};
use crate::{build, paths, setup};

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

pub fn run(args: &[String]) -> Result<()> {
    let addr = args
        .windows(2)
        .find(|w| w[0] == "--addr")
        .map(|w| w[1].clone())
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let tools = setup::setup()?;
    let dist = build::build_app(&tools)?;
    // The server people deploy: the release build, not the debug one the tests start.
    let relay = build_relay(Profile::Release)?;
    let data = paths::root().join("data");
    println!(
        "\nTend is running at http://{addr}  (data in {}; Ctrl-C stops it)\n",
        data.display()
    );
    let mut cmd = Command::new(relay);
    cmd.arg("--addr")
        .arg(&addr)
        .arg("--data-dir")
        .arg(&data)
        .arg("--static-dir")
        .arg(&dist);
    exec(cmd)
}

/// Which cargo profile a relay binary is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// What `cargo xtask run` serves and people deploy.
    Release,
    /// What the end-to-end tests start: shares the native test build, so CI compiles it once.
    Debug,
}

/// Builds the relay binary (native, default toolchain) and returns its path.
pub fn build_relay(profile: Profile) -> Result<std::path::PathBuf> {
    let mut cmd = native_cargo();
    cmd.args(["build", "-p", "tend-relay"]);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    proc::run(cmd.current_dir(paths::root()))?;
    let dir = match profile {
        Profile::Release => "release",
        Profile::Debug => "debug",
    };
    Ok(paths::target().join(dir).join("tend-relay"))
}

/// The cargo that started xtask (rustup's, normally): native builds stay on the native toolchain.
pub fn native_cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Replaces xtask with the relay, so Ctrl-C reaches the relay directly and it shuts down cleanly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(format!("could not start the relay: {err}"))
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result<()> {
    proc::run(&mut cmd)
}
