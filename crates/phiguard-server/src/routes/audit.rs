//! Reading the audit trail.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use phiguard_core::{AuditAction, SubjectId, TenantId, Timestamp};
use phiguard_store::AuditQuery;
use serde_json::json;

use super::path_id;
use crate::AppState;
use crate::extract::{ApiCaller, QueryPairs};
use crate::problem::ApiError;

type Reply = Result<axum::response::Response, ApiError>;

fn query_from(pairs: &QueryPairs, subject: Option<SubjectId>) -> Result<AuditQuery, ApiError> {
    Ok(AuditQuery {
        subject,
        actor: pairs.get("actor", |v| v.parse().ok())?,
        since: pairs.get("since", |v| v.parse::<Timestamp>().ok())?,
        until: pairs.get("until", |v| v.parse::<Timestamp>().ok())?,
        after_seq: pairs.get("after", |v| v.parse().ok())?,
        limit: pairs.get("limit", |v| v.parse().ok())?.unwrap_or(1000),
    })
}

pub(crate) async fn of_tenant(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
    pairs: QueryPairs,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::ReadAudit, &tenant).await?;
    let query = query_from(&pairs, None)?;
    let events = state.vault.audit_events(&caller, &tenant, &query).await?;
    let next = events.last().map(|e| e.seq);
    Ok(Json(json!({ "items": events, "next_after": next })).into_response())
}

pub(crate) async fn of_subject(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, subject)): Path<(String, String)>,
    pairs: QueryPairs,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::ReadAudit, &tenant).await?;
    let subject: SubjectId = path_id(&state, &caller, AuditAction::ReadAudit, &subject).await?;
    let query = query_from(&pairs, Some(subject))?;
    let events = state.vault.audit_events(&caller, &tenant, &query).await?;
    let next = events.last().map(|e| e.seq);
    Ok(Json(json!({ "items": events, "next_after": next })).into_response())
}
