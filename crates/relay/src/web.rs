//! HTTP surface: the API under /api and the built app (single-page, so unknown paths get index.html),
//! all with the security and caching headers of `headers.rs`.

use std::{path::Path, sync::Arc};

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
    routing::get,
    Json, Router,
};
use tower_http::compression::Compression;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

pub use crate::api::AppState;

pub fn router(state: Arc<AppState>, static_dir: Option<&Path>) -> Router {
    let max_body = state.config.max_body_bytes;
    let hsts = state.config.behind_tls;
    let api = Router::new()
        .route("/health", get(health))
        .nest(
            "/v1",
            crate::api::routes()
                .method_not_allowed_fallback(crate::api::api_method_not_allowed)
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    crate::api::limit_client,
                )),
        )
        .method_not_allowed_fallback(crate::api::api_method_not_allowed)
        .fallback(crate::api::api_not_found);
    let body_timeout = std::time::Duration::from_secs(state.config.body_timeout_secs.max(1));
    let app = Router::new()
        .nest("/api", api)
        .layer(DefaultBodyLimit::max(max_body))
        // A body that stops arriving is an error, not a task held open for ever.
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    let app = match static_dir {
        Some(dir) => {
            // The wasm is ~2.8 MB raw: a phone on a weak connection waits for it on first launch
            // and after each update. `cargo xtask build` writes brotli (quality 11) and gzip copies
            // next to each file, sent as they are; anything without a copy is gzipped on the fly.
            let index = ServeFile::new(dir.join("index.html"))
                .precompressed_br()
                .precompressed_gzip();
            let spa = ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(index);
            app.fallback_service(Compression::new(spa).gzip(true))
        }
        None => app,
    };
    // Outermost, so every response (API, app files, SPA fallback, errors) gets the headers.
    app.layer(axum::middleware::from_fn(close_on_refused_body))
        .layer(axum::middleware::from_fn(move |request, next| {
            crate::headers::apply(hsts, request, next)
        }))
}

/// An error answered to a request that carries a body (a 401 on a push, say) may come before the
/// body was read; the connection cannot be reused then, so say `Connection: close` instead of
/// dropping it under a client that would send its next request on it.
async fn close_on_refused_body(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    let mut response = next.run(request).await;
    let status = response.status();
    if has_body && (status.is_client_error() || status.is_server_error()) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn health(State(state): State<Arc<AppState>>) -> (StatusCode, Json<serde_json::Value>) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "store unavailable"})),
            )
        }
    }
}
