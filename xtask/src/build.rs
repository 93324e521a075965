//! Building the app: `trunk build --release` with our tools, the PWA stamp (`pwa.rs`: service
//! worker precache list + build version), then the size report.

use std::path::PathBuf;
use std::process::Command;

use crate::paths;
use crate::proc::{self, Result};
use crate::setup::Tools;

/// The PWA stamp that follows `trunk build` (declared here, next to its only callers' module).
#[path = "pwa.rs"]
pub mod pwa;

/// Builds the app into dist/ and returns the dist directory. Release unless `TEND_DEV_BUILD=1`
/// (faster iteration on the UI; never used by CI).
pub fn build_app(tools: &Tools) -> Result<PathBuf> {
    let mut cmd = Command::new(&tools.trunk);
    cmd.args(["build", "--offline", "--dist"])
        .arg(paths::dist())
        .current_dir(paths::root());
    if std::env::var("TEND_DEV_BUILD").as_deref() != Ok("1") {
        cmd.arg("--release");
    }
    tools.route.apply_env(&mut cmd);
    cmd.env("PATH", tools.path_env())
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("NO_COLOR", "true");
    proc::run(&mut cmd)?;
    let version = pwa::stamp(&paths::dist(), "")?;
    println!("build version {version} (service worker precache list written)");
    // Last: the copies must be of the final (stamped) files.
    crate::compress::precompress(&paths::dist())?;
    report_sizes()?;
    Ok(paths::dist())
}

/// Prints each app file's size raw, gzip and brotli (the copies the relay serves; what a phone
/// actually downloads).
fn report_sizes() -> Result<()> {
    let dist = paths::dist();
    let entries =
        std::fs::read_dir(&dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    for entry in entries.flatten() {
        let path = entry.path();
        let is_asset = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "css")
        );
        if !is_asset {
            continue;
        }
        println!(
            "size: {:<40} {:>9} bytes raw, {:>9} gzip, {:>9} brotli",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size(&path),
            size(&crate::compress::sibling(&path, "gz")),
            size(&crate::compress::sibling(&path, "br")),
        );
    }
    Ok(())
}
