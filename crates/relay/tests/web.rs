//! The app as the relay serves it: security headers on everything, caching that lets updates be
//! seen (index.html, sw.js, manifest revalidated; hashed build files immutable; API never stored),
//! content types the browser insists on, and the single-page fallback.

mod common;

use common::Backend;
use tend_relay::headers::{CSP, IMMUTABLE, NO_CACHE, NO_STORE};

const INDEX: &str = "<!DOCTYPE html><html><head><title>Tend</title></head><body></body></html>";
const JS: &str = "tend-0123456789abcdef.js";
const WASM: &str = "tend-0123456789abcdef_bg.wasm";

fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write("index.html", INDEX.as_bytes());
    write(JS, b"export default function init() {}");
    write(WASM, b"\0asm\x01\0\0\0");
    write("main-0123456789abcdef.css", b"body{}");
    write("sw.js", b"self.addEventListener('fetch', () => {});");
    write("manifest.webmanifest", b"{\"name\":\"Tend\"}");
    dir
}

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get(r: &common::Relay, path: &str) -> Got {
    let resp = r.http.get(r.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Got {
        status,
        headers,
        body,
    }
}

impl Got {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("<missing>")
    }

    fn assert_security_headers(&self, what: &str) {
        assert_eq!(self.header("content-security-policy"), CSP, "{what}");
        assert_eq!(self.header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(self.header("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(self.header("x-frame-options"), "DENY", "{what}");
        assert_eq!(
            self.header("cross-origin-opener-policy"),
            "same-origin",
            "{what}"
        );
        assert!(
            self.header("permissions-policy").contains("camera=()"),
            "{what}"
        );
        assert!(
            self.headers.get("strict-transport-security").is_none(),
            "{what}: no HSTS unless behind TLS"
        );
    }
}

#[tokio::test]
async fn app_files_get_security_and_cache_headers() {
    let dist = fake_dist();
    let b = Backend::sqlite();
    let r = b
        .start_with(|c| c.static_dir = Some(dist.path().to_path_buf()))
        .await;

    for path in [
        "/",
        "/caseload",
        "/patients/0f8fad5b-d9cb-469f-a165-70867728950e",
    ] {
        let got = get(&r, path).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.body, INDEX, "{path} is the app (single-page fallback)");
        assert!(
            got.header("content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(got.header("cache-control"), NO_CACHE, "{path}");
        got.assert_security_headers(path);
    }

    let csp = get(&r, "/")
        .await
        .header("content-security-policy")
        .to_string();
    for directive in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "CSP has {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    let js = get(&r, &format!("/{JS}")).await;
    assert_eq!(js.status, 200);
    assert_eq!(js.header("cache-control"), IMMUTABLE);
    assert!(js.header("content-type").contains("javascript"));
    js.assert_security_headers("hashed js");

    let wasm = get(&r, &format!("/{WASM}")).await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), "application/wasm");
    assert_eq!(wasm.header("cache-control"), IMMUTABLE);

    let css = get(&r, "/main-0123456789abcdef.css").await;
    assert_eq!(css.header("cache-control"), IMMUTABLE);

    let sw = get(&r, "/sw.js").await;
    assert_eq!(sw.status, 200);
    assert!(sw.header("content-type").contains("javascript"));
    assert_eq!(sw.header("cache-control"), NO_CACHE, "updates must be seen");
    sw.assert_security_headers("sw.js");

    let manifest = get(&r, "/manifest.webmanifest").await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.header("content-type"), "application/manifest+json");
    assert_eq!(manifest.header("cache-control"), NO_CACHE);

    // A hashed name that is not there gets the fallback page, which must not be cached forever.
    let gone = get(&r, "/tend-fedcba9876543210.js").await;
    assert!(gone.header("content-type").starts_with("text/html"));
    assert_eq!(gone.header("cache-control"), NO_CACHE);

    for path in ["/api/health", "/api/v1/nope"] {
        let api = get(&r, path).await;
        assert_eq!(api.header("cache-control"), NO_STORE, "{path}");
        assert!(
            api.header("content-type").starts_with("application/json"),
            "{path}"
        );
        api.assert_security_headers(path);
    }
    let post = r
        .http
        .post(r.url("/api/v1/workspaces"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        post.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some(NO_STORE)
    );
    r.stop().await;
}

#[tokio::test]
async fn hsts_only_when_behind_tls() {
    let dist = fake_dist();
    let b = Backend::sqlite();
    let r = b
        .start_with(|c| {
            c.static_dir = Some(dist.path().to_path_buf());
            c.behind_tls = true;
        })
        .await;
    for path in ["/", "/api/health"] {
        let got = get(&r, path).await;
        assert!(
            got.header("strict-transport-security")
                .starts_with("max-age="),
            "{path}"
        );
    }
    r.stop().await;
}

#[tokio::test]
async fn app_files_are_sent_gzipped_to_browsers_that_accept_it() {
    use std::io::Read;
    let dist = fake_dist();
    // A wasm module big enough to be worth compressing (the real one is ~2.7 MB).
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dist.path().join(WASM), &wasm).unwrap();
    let b = Backend::sqlite();
    let relay = b
        .start_with(|c| c.static_dir = Some(dist.path().to_path_buf()))
        .await;

    let resp = relay
        .http
        .get(relay.url(&format!("/{WASM}")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("<missing>")
            .to_string()
    };
    assert_eq!(header("content-encoding"), "gzip");
    // Streaming compilation needs the real type; caching and CSP headers still apply.
    assert_eq!(header("content-type"), "application/wasm");
    assert_eq!(header("cache-control"), IMMUTABLE);
    assert_eq!(header("content-security-policy"), CSP);
    let compressed = resp.bytes().await.unwrap();
    assert!(
        compressed.len() < wasm.len() / 2,
        "{} bytes",
        compressed.len()
    );
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, wasm);

    // Without Accept-Encoding the file is sent as is.
    let plain = get(&relay, &format!("/{WASM}")).await;
    assert_eq!(plain.header("content-encoding"), "<missing>");
}

#[tokio::test]
async fn precompressed_copies_are_sent_as_they_are_with_the_files_headers() {
    let dist = fake_dist();
    // Stand-ins for the brotli and gzip copies `cargo xtask build` writes: the relay must send the
    // copy's bytes untouched, labelled with its encoding and the original file's type.
    let write = |name: &str, bytes: &[u8]| std::fs::write(dist.path().join(name), bytes).unwrap();
    write(&format!("{WASM}.br"), b"brotli copy of the wasm");
    write(&format!("{WASM}.gz"), b"gzip copy of the wasm");
    write("index.html.br", b"brotli copy of index");
    let b = Backend::sqlite();
    let relay = b
        .start_with(|c| c.static_dir = Some(dist.path().to_path_buf()))
        .await;
    let fetch = |path: String, accept: &'static str| {
        let request = relay
            .http
            .get(relay.url(&path))
            .header("accept-encoding", accept);
        async move {
            let resp = request.send().await.unwrap();
            let headers = resp.headers().clone();
            let header = move |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("<missing>")
                    .to_string()
            };
            (resp.status().as_u16(), header, resp.bytes().await.unwrap())
        }
    };

    let (status, header, body) = fetch(format!("/{WASM}"), "gzip, deflate, br").await;
    assert_eq!(status, 200);
    assert_eq!(header("content-encoding"), "br");
    assert_eq!(&body[..], b"brotli copy of the wasm");
    assert_eq!(header("content-type"), "application/wasm");
    assert_eq!(header("cache-control"), IMMUTABLE);
    assert_eq!(header("content-security-policy"), CSP);
    assert!(header("vary").to_lowercase().contains("accept-encoding"));

    let (_, header, body) = fetch(format!("/{WASM}"), "gzip").await;
    assert_eq!(header("content-encoding"), "gzip");
    assert_eq!(&body[..], b"gzip copy of the wasm");

    // The single-page fallback (any app path) sends index.html's copy, still never cached.
    let (status, header, body) = fetch("/patients/some-id".into(), "br").await;
    assert_eq!(status, 200);
    assert_eq!(header("content-encoding"), "br");
    assert_eq!(&body[..], b"brotli copy of index");
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(header("cache-control"), NO_CACHE);

    // A browser that accepts neither gets the file itself.
    let (_, header, body) = fetch(format!("/{WASM}"), "identity").await;
    assert_eq!(header("content-encoding"), "<missing>");
    assert_eq!(&body[..], b"\0asm\x01\0\0\0");
}
