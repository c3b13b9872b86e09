//! Health, metrics, the OpenAPI document and status.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::AppState;
use crate::openapi::OPENAPI_JSON;

pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

pub(crate) async fn status(State(state): State<AppState>) -> Json<Value> {
    let module = state.vault.crypto_module();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "crypto": {
            "module": module.name,
            "version": module.version,
            "fips_build": module.fips_build,
            "fips_mode": module.fips_mode,
        },
        "tls": state.config.tls.is_some(),
    }))
}
