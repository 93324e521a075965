//! After `trunk build`: stamps the build for offline use. dist/sw.js gets the list of files to
//! precache and a cache version (a hash of those files' contents), and index.html gets
//! `<meta name="tend-build" content="<version>">`, which the app shows in Settings.
//!
//! Stamping is repeatable: an already stamped dist is stamped again from scratch, so a copy of a
//! build can be re-stamped as a distinct "next" version (the update end-to-end test).

use std::path::{Path, PathBuf};

use crate::proc::Result;

/// Files the worker must not precache: itself (the browser fetches it for update checks).
const NOT_PRECACHED: &[&str] = &["sw.js"];
const SW_START: &str = "/*TEND_BUILD*/";
const SW_END: &str = "/*END_TEND_BUILD*/";
const META_START: &str = "<meta name=\"tend-build\" content=\"";
const META_END: &str = "\">";

/// Stamps `dist` (see the module comment) and returns the build version. `salt` is mixed into the
/// version: "" for a normal build; anything else makes an otherwise identical build distinct.
pub fn stamp(dist: &Path, salt: &str) -> Result<String> {
    let index_path = dist.join("index.html");
    let index = read_text(&index_path)?;
    let index = without_build_meta(&index);
    let files = precached_files(dist)?;

    let mut hash = Fnv128::new();
    hash.update(salt.as_bytes());
    for file in &files {
        let bytes = if file == "/index.html" {
            index.as_bytes().to_vec()
        } else {
            read_bytes(&dist.join(file.trim_start_matches('/')))?
        };
        hash.update(file.as_bytes());
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    let version = hash.hex16();

    let Some(head_end) = index.find("</head>") else {
        return Err(format!("{} has no </head>", index_path.display()));
    };
    let stamped = format!(
        "{}{META_START}{version}{META_END}{}",
        &index[..head_end],
        &index[head_end..]
    );
    write(&index_path, &stamped)?;

    let sw_path = dist.join("sw.js");
    let sw = read_text(&sw_path)?;
    let (Some(start), Some(end)) = (sw.find(SW_START), sw.find(SW_END)) else {
        return Err(format!(
            "{} lacks the {SW_START}…{SW_END} markers",
            sw_path.display()
        ));
    };
    let build = serde_json::json!({ "version": version, "precache": files });
    let sw = format!("{}{SW_START}{build}{}", &sw[..start], &sw[end..]);
    write(&sw_path, &sw)?;
    Ok(version)
}

/// Copies a built `dist` to a sibling `<dist>-next` and stamps it as a different version: the
/// "new build" the update end-to-end test switches to.
pub fn next_build(dist: &Path) -> Result<PathBuf> {
    let name = dist
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dist".into());
    let next = dist.with_file_name(format!("{name}-next"));
    if next.exists() {
        std::fs::remove_dir_all(&next)
            .map_err(|e| format!("cannot remove {}: {e}", next.display()))?;
    }
    copy_dir(dist, &next)?;
    stamp(&next, "next")?;
    crate::compress::precompress(&next)?;
    // The relay revalidates with Last-Modified, which has 1-second resolution: a copy stamped
    // within the same second as the original would be answered "304 Not Modified", and the
    // browser would never see the new worker. Date the changed files 2 s after the originals.
    // The precompressed copies are what the relay sends, so they are dated too.
    for name in ["sw.js", "index.html"] {
        let modified = std::fs::metadata(dist.join(name))
            .and_then(|m| m.modified())
            .map_err(|e| format!("cannot read the time of {name}: {e}"))?;
        let file = next.join(name);
        let copies = crate::compress::SUFFIXES
            .iter()
            .map(|suffix| crate::compress::sibling(&file, suffix));
        for path in std::iter::once(file.clone()).chain(copies.filter(|p| p.exists())) {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(modified + std::time::Duration::from_secs(2)))
                .map_err(|e| format!("cannot date {}: {e}", path.display()))?;
        }
    }
    Ok(next)
}

fn without_build_meta(index: &str) -> String {
    let mut out = index.to_string();
    while let Some(start) = out.find(META_START) {
        let Some(len) = out[start..].find(META_END) else {
            break;
        };
        out.replace_range(start..start + len + META_END.len(), "");
    }
    out
}

/// Every file under `dist` except the worker, hidden files and precompressed copies, as sorted
/// absolute URL paths ("/icons/x.png").
fn precached_files(dist: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for path in crate::paths::files_under(dist)? {
        let Ok(rel) = path.strip_prefix(dist) else {
            continue;
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        // Trunk's .trunk-lock and the like, and the copies of app files (served at the file's own
        // URL): not files of the app in their own right.
        if parts.iter().any(|p| p.starts_with('.')) || crate::compress::is_copy(&path) {
            continue;
        }
        let url = parts.join("/");
        if !NOT_PRECACHED.contains(&url.as_str()) {
            files.push(format!("/{url}"));
        }
    }
    files.sort();
    Ok(files)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if path.is_dir() {
            copy_dir(&path, &to.join(name))?;
        } else {
            std::fs::copy(&path, to.join(name))
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Two FNV-1a 64-bit hashes with different offsets: a cache version needs to change whenever a
/// file changes, not to resist an attacker (the files are served by the same origin anyway).
struct Fnv128([u64; 2]);

impl Fnv128 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv128([0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142])
    }

    fn update(&mut self, bytes: &[u8]) {
        for (i, h) in self.0.iter_mut().enumerate() {
            for &b in bytes {
                *h ^= u64::from(b ^ i as u8);
                *h = h.wrapping_mul(Self::PRIME);
            }
        }
    }

    /// 16 hex digits mixing both halves.
    fn hex16(&self) -> String {
        format!("{:016x}", self.0[0] ^ self.0[1].rotate_left(29))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SW: &str = "const BUILD = /*TEND_BUILD*/{ \"version\": \"unbuilt\", \"precache\": [] }/*END_TEND_BUILD*/;\nself.x = 1;\n";

    struct TempDist(PathBuf);

    impl TempDist {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("xtask-pwa-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("icons")).unwrap();
            let files = [
                (
                    "index.html",
                    "<html><head><title>T</title></head><body></body></html>",
                ),
                ("sw.js", SW),
                ("tend-0123456789abcdef.js", "glue"),
                ("tend-0123456789abcdef_bg.wasm", "wasm"),
                ("manifest.webmanifest", "{}"),
                ("icons/icon-192.png", "png"),
                (".trunk-lock", ""),
            ];
            for (name, text) in files {
                std::fs::write(dir.join(name), text).unwrap();
            }
            TempDist(dir)
        }
        fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.0.join(name)).unwrap()
        }
    }

    impl Drop for TempDist {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn build_json(sw: &str) -> serde_json::Value {
        let start = sw.find(SW_START).unwrap() + SW_START.len();
        let end = sw.find(SW_END).unwrap();
        serde_json::from_str(&sw[start..end]).unwrap()
    }

    #[test]
    fn stamps_worker_with_sorted_precache_list_and_version() {
        let dist = TempDist::new("list");
        let version = stamp(&dist.0, "").unwrap();
        assert_eq!(version.len(), 16);
        let sw = dist.read("sw.js");
        let build = build_json(&sw);
        assert_eq!(build["version"], version.as_str());
        assert_eq!(
            build["precache"],
            serde_json::json!([
                "/icons/icon-192.png",
                "/index.html",
                "/manifest.webmanifest",
                "/tend-0123456789abcdef.js",
                "/tend-0123456789abcdef_bg.wasm"
            ])
        );
        assert!(
            sw.ends_with(";\nself.x = 1;\n"),
            "the rest of sw.js is kept: {sw}"
        );
        let index = dist.read("index.html");
        assert!(index.contains(&format!(
            "<meta name=\"tend-build\" content=\"{version}\"></head>"
        )));
    }

    #[test]
    fn restamping_is_repeatable_and_salt_or_content_changes_the_version() {
        let dist = TempDist::new("again");
        let first = stamp(&dist.0, "").unwrap();
        assert_eq!(
            stamp(&dist.0, "").unwrap(),
            first,
            "same files, same version"
        );
        assert_eq!(dist.read("index.html").matches("tend-build").count(), 1);
        let next = stamp(&dist.0, "next").unwrap();
        assert_ne!(next, first);
        assert_eq!(build_json(&dist.read("sw.js"))["version"], next.as_str());
        std::fs::write(dist.0.join("tend-0123456789abcdef_bg.wasm"), "wasm2").unwrap();
        let changed = stamp(&dist.0, "").unwrap();
        assert_ne!(changed, first, "a changed file is a new version");
    }

    #[test]
    fn next_build_is_a_distinct_copy() {
        let dist = TempDist::new("next");
        let version = stamp(&dist.0, "").unwrap();
        let next = next_build(&dist.0).unwrap();
        let next_sw = std::fs::read_to_string(next.join("sw.js")).unwrap();
        let next_version = build_json(&next_sw)["version"]
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(next_version, version);
        assert!(next.join("icons/icon-192.png").exists());
        let time = |dir: &Path| {
            std::fs::metadata(dir.join("sw.js"))
                .and_then(|m| m.modified())
                .unwrap()
        };
        assert!(
            time(&next) >= time(&dist.0) + std::time::Duration::from_secs(2),
            "a later Last-Modified, so revalidation sees the new worker"
        );
        assert_eq!(build_json(&dist.read("sw.js"))["version"], version.as_str());
        let _ = std::fs::remove_dir_all(next);
    }

    #[test]
    fn a_worker_without_markers_is_an_error() {
        let dist = TempDist::new("markers");
        std::fs::write(dist.0.join("sw.js"), "self.x = 1;").unwrap();
        assert!(stamp(&dist.0, "").is_err());
    }
}
