//! HTTP surface: the API under /api and the built app (single-page, so unknown paths get index.html).

use std::{path::Path, sync::Arc};

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use tower_http::services::{ServeDir, ServeFile};

use crate::store::Store;

pub struct AppState {
    pub store: Store,
}

pub fn router(state: Arc<AppState>, static_dir: Option<&Path>) -> Router {
    let api = Router::new().route("/health", get(health));
    let app = Router::new().nest("/api", api).with_state(state);
    match static_dir {
        Some(dir) => {
            let spa = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
            app.fallback_service(spa)
        }
        None => app,
    }
}

async fn health(State(state): State<Arc<AppState>>) -> (StatusCode, Json<serde_json::Value>) {
    match state.store.ping() {
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
