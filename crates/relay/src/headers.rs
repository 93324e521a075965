//! Response headers for everything the relay serves: a strict Content-Security-Policy and the usual
//! security headers on every response, and caching that lets app updates be seen at once while the
//! hashed (immutable) build files are cached for a year. API responses are never stored.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};

/// No inline scripts or styles; wasm may be compiled ('wasm-unsafe-eval', needed by wasm-bindgen);
/// the app talks only to its own origin (HTTP and WebSocket).
pub const CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Powerful features the app never uses. Only features Chromium knows: an unknown one is a console
/// error on every page load.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), \
geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), \
serial=(), usb=()";

pub const HSTS: &str = "max-age=31536000; includeSubDomains";
pub const NO_STORE: &str = "no-store";
/// Revalidate every time (cheap: Last-Modified/304): index.html, sw.js, the manifest, icons.
pub const NO_CACHE: &str = "no-cache";
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Middleware adding the headers; `hsts` only when the relay is told it is reached over TLS.
pub async fn apply(hsts: bool, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    let headers = response.headers_mut();
    let cache = cache_control(&path, status, headers);
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CACHE_CONTROL, cache);
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    if hsts {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // App files are sent brotli, gzip or plain depending on the request: caches must key on it.
    // (A precompressed copy leaves ServeDir without this header; on-the-fly gzip adds it.)
    let is_api = path == "/api" || path.starts_with("/api/");
    if !is_api && !headers.contains_key(header::VARY) {
        set(headers, header::VARY, "accept-encoding");
    }
    response
}

fn cache_control(path: &str, status: StatusCode, headers: &HeaderMap) -> &'static str {
    if path == "/api" || path.starts_with("/api/") {
        return NO_STORE;
    }
    // The SPA fallback answers unknown paths with index.html: never make that immutable.
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let ok = status.is_success() || status == StatusCode::NOT_MODIFIED;
    if ok && !is_html && is_hashed(path) {
        IMMUTABLE
    } else {
        NO_CACHE
    }
}

/// Trunk's hashed file names: `<stem>-<hash>` then `.ext` or `_bg.wasm`, the hash being a u64 in
/// hex without leading zeros (so usually 16 digits, sometimes fewer).
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.match_indices('-').any(|(i, _)| {
        let rest = &name.as_bytes()[i + 1..];
        let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        (10..=16).contains(&digits) && matches!(rest.get(digits), Some(b'.' | b'_'))
    })
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn trunk_hashed_names() {
        assert!(is_hashed("/tend-ccd59de23180d534.js"));
        assert!(is_hashed("/tend-c7906874e3996875_bg.wasm"));
        assert!(is_hashed("/main-1a1e3cf7cffa3e9a.css"));
        assert!(is_hashed("/boot-1a1e3cf7cffa3e9a.js"));
        assert!(!is_hashed("/sw.js"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/manifest.webmanifest"));
        assert!(!is_hashed("/icons/icon-192.png"));
        assert!(!is_hashed("/patients/0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(
            is_hashed("/tend-71ccb2864cbb87b.js"),
            "15 digits: a leading zero dropped"
        );
        assert!(!is_hashed("/tend-ccd59de2.js"));
        assert!(!is_hashed("/tend-0123456789abcdef0.js"));
    }
}
