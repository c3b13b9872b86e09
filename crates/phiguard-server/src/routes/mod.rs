//! The route table.

mod admin;
mod alerts;
mod audit;
mod ledger;
mod meta;
mod posture;
mod records;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post, put};

use crate::problem::ApiError;
use crate::{AppState, ServerConfig};

/// Every route, with its body limit.
pub(crate) fn routes(config: &ServerConfig) -> Router<AppState> {
    let import = Router::new()
        .route(
            "/v1/tenants/{tenant}/import/{format}",
            post(records::import),
        )
        .layer(DefaultBodyLimit::max(config.max_import_bytes));

    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/openapi.json", get(meta::openapi))
        .route("/v1/status", get(meta::status))
        .route("/v1/posture", get(posture::posture))
        .route("/v1/policies/global", get(admin::global_policies))
        .route("/v1/tenants", post(admin::create_tenant))
        .route("/v1/tenants/{tenant}", get(admin::tenant))
        .route(
            "/v1/tenants/{tenant}/actors",
            get(admin::actors).post(admin::create_actor),
        )
        .route("/v1/tenants/{tenant}/actors/{actor}", put(admin::put_actor))
        .route(
            "/v1/tenants/{tenant}/actors/{actor}/credentials",
            post(admin::issue_credential),
        )
        .route("/v1/tenants/{tenant}/credentials", get(admin::credentials))
        .route(
            "/v1/tenants/{tenant}/credentials/{credential}",
            axum::routing::delete(admin::revoke_credential),
        )
        .route("/v1/tenants/{tenant}/policies", get(admin::policies))
        .route(
            "/v1/tenants/{tenant}/policies/{policy}",
            put(admin::put_policy).delete(admin::delete_policy),
        )
        .route(
            "/v1/tenants/{tenant}/record-types",
            get(admin::record_types),
        )
        .route(
            "/v1/tenants/{tenant}/record-types/{name}",
            put(admin::put_record_type),
        )
        .route(
            "/v1/tenants/{tenant}/record-types/{name}/attribute-map",
            put(admin::put_attribute_map),
        )
        .route("/v1/tenants/{tenant}/keys/rotate", post(admin::rotate_keys))
        .route("/v1/tenants/{tenant}/alerts", get(alerts::list))
        .route("/v1/tenants/{tenant}/alerts/{alert}", get(alerts::one))
        .route(
            "/v1/tenants/{tenant}/alert-dead-letters",
            get(alerts::dead_letters),
        )
        .route("/v1/tenants/{tenant}/records", post(records::create))
        .route("/v1/tenants/{tenant}/records/{record}", get(records::read))
        .route("/v1/tenants/{tenant}/search", post(records::search))
        .route(
            "/v1/tenants/{tenant}/subjects/{subject}",
            axum::routing::delete(records::dispose),
        )
        .route(
            "/v1/tenants/{tenant}/subjects/{subject}/records",
            get(records::list).post(records::create_for_subject),
        )
        .route(
            "/v1/tenants/{tenant}/subjects/{subject}/restriction",
            put(records::restrict),
        )
        .route(
            "/v1/tenants/{tenant}/subjects/{subject}/audit-events",
            get(audit::of_subject),
        )
        .route("/v1/tenants/{tenant}/audit-events", get(audit::of_tenant))
        .route(
            "/v1/tenants/{tenant}/subjects/{subject}/disclosures",
            get(ledger::disclosures),
        )
        .route(
            "/v1/tenants/{tenant}/ledger/checkpoint",
            get(ledger::latest_checkpoint).post(ledger::issue_checkpoint),
        )
        .route(
            "/v1/tenants/{tenant}/ledger/checkpoints",
            get(ledger::checkpoints),
        )
        .route(
            "/v1/tenants/{tenant}/ledger/proof/inclusion",
            get(ledger::inclusion_proof),
        )
        .route(
            "/v1/tenants/{tenant}/ledger/proof/consistency",
            get(ledger::consistency_proof),
        )
        .route("/v1/tenants/{tenant}/ledger/entries", get(ledger::entries))
        .route("/v1/tenants/{tenant}/ledger/key", get(ledger::verifier_key))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .merge(import)
}

/// A path that names no route.
pub(crate) async fn no_such_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no-such-route",
        "No such route",
        "no endpoint has this path; see /openapi.json".into(),
    )
}

/// A route that exists, with another method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this endpoint does not accept that method; see /openapi.json".into(),
    )
}

/// Parses an id from a path segment; a malformed id is refused (and recorded) without quoting
/// it.
pub(crate) async fn path_id<T: std::str::FromStr<Err = phiguard_core::IdError>>(
    state: &AppState,
    caller: &phiguard_vault::Caller,
    action: phiguard_core::AuditAction,
    raw: &str,
) -> Result<T, ApiError> {
    match raw.parse::<T>() {
        Ok(id) => Ok(id),
        Err(e) => {
            let error = phiguard_vault::VaultError::InvalidId(e);
            Err(state
                .vault
                .refuse_request(caller, action, error)
                .await
                .into())
        }
    }
}
