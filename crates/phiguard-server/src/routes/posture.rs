//! The vault's posture, as evidence for `phiguard assess`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use phiguard_vault::VaultError;

use crate::AppState;
use crate::extract::ApiCaller;
use crate::problem::ApiError;

/// `GET /v1/posture`: every tenant for the platform operator, the caller's own tenant for a
/// tenant administrator. Whether this server serves TLS is the server's to say.
///
/// The vault re-hashes each ledger up to its latest checkpoint, which takes seconds on large
/// ones, so the work runs on a blocking thread (in the request's span) and the runtime's
/// workers keep serving other requests meanwhile.
pub(crate) async fn posture(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<axum::response::Response, ApiError> {
    let tls_configured = Some(state.config.tls.is_some());
    let vault = Arc::clone(&state.vault);
    let runtime = tokio::runtime::Handle::current();
    let span = tracing::Span::current();

    let collected = tokio::task::spawn_blocking(move || {
        span.in_scope(|| runtime.block_on(vault.posture(&caller, tls_configured)))
    })
    .await
    .map_err(|_| VaultError::Internal("the posture task ended without an answer".into()))?;

    Ok(Json(collected?).into_response())
}
