//! Records, search, subjects and import.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use phiguard_core::{AuditAction, RecordId, SubjectId, TenantId};
use phiguard_vault::{ImportFormat, NewRecord, NoProgress, SearchQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::path_id;
use crate::AppState;
use crate::extract::{ApiCaller, JsonBody, QueryPairs, RawBody};
use crate::problem::ApiError;

type Reply = Result<axum::response::Response, ApiError>;

pub(crate) async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<NewRecord>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::CreateRecord, &tenant).await?;
    let summary = state.vault.create_record(&caller, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubjectRecord {
    record_type: String,
    document: Value,
}

pub(crate) async fn create_for_subject(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, subject)): Path<(String, String)>,
    JsonBody(body): JsonBody<SubjectRecord>,
) -> Reply {
    let action = AuditAction::CreateRecord;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let subject: SubjectId = path_id(&state, &caller, action, &subject).await?;
    let new = NewRecord {
        record_type: body.record_type,
        subject_id: Some(subject),
        document: body.document,
    };
    let summary = state.vault.create_record(&caller, &tenant, new).await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

pub(crate) async fn read(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, record)): Path<(String, String)>,
) -> Reply {
    let action = AuditAction::ReadRecord;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let record: RecordId = path_id(&state, &caller, action, &record).await?;
    let view = state.vault.read_record(&caller, &tenant, &record).await?;
    Ok(Json(view).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, subject)): Path<(String, String)>,
    query: QueryPairs,
) -> Reply {
    let action = AuditAction::ListRecords;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let subject: SubjectId = path_id(&state, &caller, action, &subject).await?;
    let after: Option<RecordId> = query.get("after", |v| v.parse().ok())?;
    let limit: u32 = query.get("limit", |v| v.parse().ok())?.unwrap_or(50);

    let views = state
        .vault
        .list_records(&caller, &tenant, &subject, after.as_ref(), limit)
        .await?;
    let next = (views.len() as u32 >= limit.min(state.vault.config().max_page_size))
        .then(|| views.last().map(|v| v.record_id.clone()))
        .flatten();
    Ok(Json(json!({ "items": views, "next_after": next })).into_response())
}

pub(crate) async fn search(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
    JsonBody(query): JsonBody<SearchQuery>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::Search, &tenant).await?;
    let hits = state.vault.search(&caller, &tenant, &query).await?;
    Ok(Json(json!({ "items": hits })).into_response())
}

pub(crate) async fn dispose(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, subject)): Path<(String, String)>,
) -> Reply {
    let action = AuditAction::DisposeSubject;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let subject: SubjectId = path_id(&state, &caller, action, &subject).await?;
    let report = state
        .vault
        .dispose_subject(&caller, &tenant, &subject)
        .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Restriction {
    restricted: bool,
}

pub(crate) async fn restrict(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, subject)): Path<(String, String)>,
    JsonBody(body): JsonBody<Restriction>,
) -> Reply {
    let action = AuditAction::RestrictSubject;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let subject: SubjectId = path_id(&state, &caller, action, &subject).await?;
    state
        .vault
        .restrict_subject(&caller, &tenant, &subject, body.restricted)
        .await?;
    Ok(Json(json!({ "subject_id": subject, "restricted": body.restricted })).into_response())
}

pub(crate) async fn import(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, format)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> Reply {
    let action = AuditAction::Import;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let format: ImportFormat = match format.parse() {
        Ok(format) => format,
        Err(e) => return Err(state.vault.refuse_request(&caller, action, e).await.into()),
    };
    let files = [("request body".to_owned(), body.to_vec())];
    let summary = state
        .vault
        .import(&caller, &tenant, format, &files, &NoProgress)
        .await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}
