//! Alerts raised by the detectors, with their evidence and failed deliveries.
//!
//! Each read is decided as `read_audit` (alerts are a view of the audit trail) and recorded by
//! the vault as `read_alerts`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use phiguard_core::{AlertId, AuditAction, DetectionRule, TenantId, Timestamp};
use phiguard_store::AlertQuery;
use serde_json::json;

use super::path_id;
use crate::AppState;
use crate::extract::{ApiCaller, QueryPairs};
use crate::problem::ApiError;

type Reply = Result<axum::response::Response, ApiError>;

/// The default number of alerts one list holds.
const DEFAULT_LIMIT: u32 = 100;

/// `GET /v1/tenants/{tenant}/alerts?since=&rule=&limit=`: newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
    pairs: QueryPairs,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::ReadAlerts, &tenant).await?;
    let query = AlertQuery {
        since: pairs.get("since", |v| v.parse::<Timestamp>().ok())?,
        rule: pairs.get("rule", |v| v.parse::<DetectionRule>().ok())?,
        limit: pairs
            .get("limit", |v| v.parse().ok().filter(|n| *n > 0))?
            .unwrap_or(DEFAULT_LIMIT),
    };
    let alerts = state.vault.alerts(&caller, &tenant, &query).await?;
    Ok(Json(json!({ "items": alerts })).into_response())
}

/// `GET /v1/tenants/{tenant}/alerts/{alert}`: one alert and the audit events it rests on.
pub(crate) async fn one(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, alert)): Path<(String, String)>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::ReadAlerts, &tenant).await?;
    let id: AlertId = path_id(&state, &caller, AuditAction::ReadAlerts, &alert).await?;
    let (alert, evidence) = state.vault.alert(&caller, &tenant, &id).await?;
    Ok(Json(json!({ "alert": alert, "evidence": evidence })).into_response())
}

/// `GET /v1/tenants/{tenant}/alert-dead-letters`: deliveries that failed for good.
pub(crate) async fn dead_letters(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::ReadAlerts, &tenant).await?;
    let letters = state.vault.dead_letters(&caller, &tenant).await?;
    Ok(Json(json!({ "items": letters })).into_response())
}
