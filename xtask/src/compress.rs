//! Precompressed copies of the built app: `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip,
//! best) next to each text or wasm file in dist/, which the relay serves as is (`ServeDir`'s
//! precompressed variants) to browsers that accept them. Brotli at quality 11 is far too slow to
//! run per request but shrinks the wasm a care manager's phone downloads on first launch and after
//! each update well below gzip. Run after the last change to dist (the PWA stamp): a copy older
//! than its file would be served instead of it, so stale copies are always rewritten here.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::proc::Result;

/// Extensions worth compressing (images and icons are compressed already).
const COMPRESSIBLE: &[&str] = &[
    "html",
    "js",
    "css",
    "wasm",
    "webmanifest",
    "json",
    "svg",
    "ico",
];
/// The suffixes of the precompressed copies; never precached or compressed themselves.
pub const SUFFIXES: &[&str] = &["br", "gz"];

/// Writes (or rewrites) the `.br` and `.gz` copies of every compressible file under `dist`, and
/// removes copies whose file is gone. Returns the files compressed.
pub fn precompress(dist: &Path) -> Result<Vec<PathBuf>> {
    let mut done = Vec::new();
    for path in crate::paths::files_under(dist)? {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if SUFFIXES.contains(&ext) {
            let original = path.with_extension("");
            if !original.exists() {
                remove(&path)?;
            }
            continue;
        }
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        for (suffix, copy) in [("br", brotli(&bytes)?), ("gz", gzip(&bytes)?)] {
            let copy_path = sibling(&path, suffix);
            if copy.len() < bytes.len() {
                write(&copy_path, &copy)?;
            } else if copy_path.exists() {
                // Not worth sending (a tiny file): the file itself is sent instead.
                remove(&copy_path)?;
            }
        }
        done.push(path);
    }
    Ok(done)
}

/// `dir/file.ext` → `dir/file.ext.<suffix>`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether `path` is a precompressed copy (not a file of the app in its own right).
pub fn is_copy(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SUFFIXES.contains(&e))
}

/// A development build (`TEND_DEV_BUILD=1`, never CI's or a release) trades size for time: its
/// unoptimised wasm is many megabytes, and quality 11 would take minutes on it.
fn dev_build() -> bool {
    std::env::var("TEND_DEV_BUILD").as_deref() == Ok("1")
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: if dev_build() { 4 } else { 11 },
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .map_err(|e| format!("brotli failed: {e}"))?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let level = if dev_build() {
        flate2::Compression::fast()
    } else {
        flate2::Compression::best()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
    gz.write_all(bytes).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn temp_dist(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tend-compress-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("icons")).expect("mkdir");
        dir
    }

    #[test]
    fn copies_decompress_to_the_file_and_follow_its_changes() {
        let dist = temp_dist("roundtrip");
        let wasm: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(dist.join("app.wasm"), &wasm).expect("write");
        let page = |word: &str| format!("<html>{}</html>", word.repeat(40));
        std::fs::write(dist.join("index.html"), page("first")).expect("write");
        std::fs::write(dist.join("icons/icon.png"), [0x89, b'P', b'N', b'G']).expect("write");
        std::fs::write(dist.join("tiny.js"), "f()").expect("write");
        precompress(&dist).expect("precompress");

        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(
            &mut &std::fs::read(dist.join("app.wasm.br")).expect("br")[..],
            &mut unbrotli,
        )
        .expect("brotli decodes");
        assert_eq!(unbrotli, wasm);
        let mut ungzip = Vec::new();
        flate2::read::GzDecoder::new(&std::fs::read(dist.join("app.wasm.gz")).expect("gz")[..])
            .read_to_end(&mut ungzip)
            .expect("gzip decodes");
        assert_eq!(ungzip, wasm);
        assert!(std::fs::read(dist.join("app.wasm.br")).expect("br").len() < wasm.len() / 4);
        assert!(
            !dist.join("icons/icon.png.br").exists(),
            "PNGs are left alone"
        );

        // A changed file gets new copies; a removed one loses its copies.
        std::fs::write(dist.join("index.html"), page("second")).expect("write");
        std::fs::remove_file(dist.join("app.wasm")).expect("remove");
        precompress(&dist).expect("again");
        let mut html = String::new();
        flate2::read::GzDecoder::new(&std::fs::read(dist.join("index.html.gz")).expect("gz")[..])
            .read_to_string(&mut html)
            .expect("gzip decodes");
        assert_eq!(html, page("second"));
        assert!(!dist.join("app.wasm.br").exists());
        assert!(!dist.join("app.wasm.gz").exists());
        std::fs::remove_dir_all(&dist).expect("clean up");
    }
}
