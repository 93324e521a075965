//! Where things live: the checkout, and the per-user tool cache OUTSIDE it (a fresh clone, as in CI,
//! reuses tools already built on this machine instead of rebuilding trunk for 12 minutes).

use std::path::{Path, PathBuf};

use crate::proc::Result;

pub fn root() -> PathBuf {
    // xtask/ sits at the root of the workspace. `cargo run` sets CARGO_MANIFEST_DIR at run time;
    // prefer it to the compile-time value, which goes stale when two checkouts share one target
    // dir (cargo then reuses an xtask binary built in the other checkout).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TEND_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"));
    cache.join("tend").join("tools")
}

/// Where `trunk build` writes the app. `TEND_BUILD_DIST` moves it, so parallel builds (or a second
/// "next version" build for the update test) do not overwrite each other.
pub fn dist() -> PathBuf {
    std::env::var_os("TEND_BUILD_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("dist"))
}

pub fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Every file below `dir` (recursively), sorted.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
