//! Tenants, actors, credentials, policies, record types and keys.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use jiff::SignedDuration;
use phiguard_core::{ActorId, ActorKind, AuditAction, CredentialId, Role, TenantId, Timestamp};
use phiguard_store::Credential;
use phiguard_vault::{ActorSpec, VaultError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::path_id;
use crate::AppState;
use crate::extract::{ApiCaller, JsonBody, SmallBody, parse_json};
use crate::problem::ApiError;

type Reply = Result<axum::response::Response, ApiError>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTenant {
    id: String,
    name: String,
    #[serde(default)]
    time_zone: Option<String>,
}

pub(crate) async fn create_tenant(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(body): JsonBody<NewTenant>,
) -> Reply {
    let id: TenantId = path_id(&state, &caller, AuditAction::CreateTenant, &body.id).await?;
    let tenant = state
        .vault
        .create_tenant(&caller, id, body.name, body.time_zone)
        .await?;
    Ok((StatusCode::CREATED, Json(tenant)).into_response())
}

pub(crate) async fn tenant(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId =
        path_id(&state, &caller, AuditAction::ReadConfiguration, &tenant).await?;
    let (tenant, counts) = state.vault.tenant(&caller, &tenant).await?;
    let key = state.vault.key_status(&tenant.id)?;
    Ok(Json(json!({
        "tenant": tenant,
        "counts": counts,
        "key": key.map(|(version, created_at)| json!({"version": version, "created_at": created_at})),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActorBody {
    #[serde(default)]
    id: Option<String>,
    kind: ActorKind,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    disabled: bool,
}

async fn actor_spec(
    state: &AppState,
    caller: &phiguard_vault::Caller,
    id: &str,
    body: ActorBody,
) -> Result<ActorSpec, ApiError> {
    let id: ActorId = path_id(state, caller, AuditAction::PutActor, id).await?;
    let mut roles = Vec::with_capacity(body.roles.len());
    for role in &body.roles {
        roles.push(path_id::<Role>(state, caller, AuditAction::PutActor, role).await?);
    }
    Ok(ActorSpec {
        id,
        kind: body.kind,
        display_name: body.display_name,
        roles,
        attributes: body.attributes,
        disabled: body.disabled,
    })
}

pub(crate) async fn create_actor(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<ActorBody>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::PutActor, &tenant).await?;
    let Some(id) = body.id.clone() else {
        return Err(ApiError::from(
            state
                .vault
                .refuse_request(
                    &caller,
                    AuditAction::PutActor,
                    VaultError::InvalidInput {
                        what: "the actor",
                        reason: "it needs an `id`".into(),
                    },
                )
                .await,
        ));
    };
    let spec = actor_spec(&state, &caller, &id, body).await?;
    let actor = state.vault.put_actor(&caller, &tenant, spec).await?;
    Ok((StatusCode::CREATED, Json(actor)).into_response())
}

pub(crate) async fn put_actor(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, actor)): Path<(String, String)>,
    JsonBody(body): JsonBody<ActorBody>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::PutActor, &tenant).await?;
    if body.id.as_deref().is_some_and(|id| id != actor) {
        let error = VaultError::InvalidInput {
            what: "the actor",
            reason: "the `id` in the body differs from the one in the path".into(),
        };
        return Err(state
            .vault
            .refuse_request(&caller, AuditAction::PutActor, error)
            .await
            .into());
    }
    let spec = actor_spec(&state, &caller, &actor, body).await?;
    let actor = state.vault.put_actor(&caller, &tenant, spec).await?;
    Ok(Json(actor).into_response())
}

pub(crate) async fn actors(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId =
        path_id(&state, &caller, AuditAction::ReadConfiguration, &tenant).await?;
    let actors = state.vault.actors(&caller, &tenant).await?;
    Ok(Json(json!({ "items": actors })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialBody {
    #[serde(default)]
    lifetime_minutes: Option<i64>,
    #[serde(default)]
    label: Option<String>,
}

pub(crate) async fn issue_credential(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, actor)): Path<(String, String)>,
    SmallBody(body): SmallBody,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::IssueCredential, &tenant).await?;
    let actor: ActorId = path_id(&state, &caller, AuditAction::IssueCredential, &actor).await?;
    let body: CredentialBody = if body.is_empty() {
        CredentialBody::default()
    } else {
        parse_json(&body)?
    };
    // Saturating: a lifetime beyond any representable duration is still refused by the vault's
    // bounds check (with its audit event), not by an overflow.
    let lifetime = body
        .lifetime_minutes
        .map(|minutes| SignedDuration::from_secs(minutes.saturating_mul(60)));

    let issued = state
        .vault
        .issue_credential(&caller, &tenant, &actor, lifetime, body.label)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "id": issued.id,
            "token": issued.token.expose(),
            "tenant": issued.tenant,
            "actor": issued.actor,
            "expires_at": issued.expires_at,
        })),
    )
        .into_response())
}

#[derive(Serialize)]
struct CredentialView {
    id: CredentialId,
    actor: ActorId,
    label: Option<String>,
    created_at: Timestamp,
    expires_at: Timestamp,
    revoked_at: Option<Timestamp>,
}

impl From<Credential> for CredentialView {
    fn from(c: Credential) -> Self {
        CredentialView {
            id: c.id,
            actor: c.actor,
            label: c.label,
            created_at: c.created_at,
            expires_at: c.expires_at,
            revoked_at: c.revoked_at,
        }
    }
}

pub(crate) async fn credentials(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId =
        path_id(&state, &caller, AuditAction::ReadConfiguration, &tenant).await?;
    let items: Vec<CredentialView> = state
        .vault
        .credentials(&caller, &tenant, None)
        .await?
        .into_iter()
        .map(CredentialView::from)
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

pub(crate) async fn revoke_credential(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, credential)): Path<(String, String)>,
) -> Reply {
    let action = AuditAction::RevokeCredential;
    let tenant: TenantId = path_id(&state, &caller, action, &tenant).await?;
    let credential: CredentialId = path_id(&state, &caller, action, &credential).await?;
    state
        .vault
        .revoke_credential(&caller, &tenant, &credential)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn global_policies(
    State(state): State<AppState>,
    ApiCaller(_caller): ApiCaller,
) -> Reply {
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.vault.global_policies(),
    )
        .into_response())
}

pub(crate) async fn policies(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId =
        path_id(&state, &caller, AuditAction::ReadConfiguration, &tenant).await?;
    let policies = state.vault.policies(&caller, &tenant).await?;
    Ok(Json(json!({ "items": policies })).into_response())
}

/// The body is either the Cedar text itself (`text/plain`) or `{"text": "..."}`.
pub(crate) async fn put_policy(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, policy)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    SmallBody(body): SmallBody,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::PutPolicy, &tenant).await?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let text = if is_json {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PolicyBody {
            text: String,
        }
        parse_json::<PolicyBody>(&body)?.text
    } else {
        String::from_utf8(body.to_vec()).map_err(|_| {
            ApiError::from(VaultError::InvalidInput {
                what: "the policy",
                reason: "it is not valid UTF-8".into(),
            })
        })?
    };

    let stored = state
        .vault
        .put_policy(&caller, &tenant, policy, text)
        .await?;
    Ok(Json(stored).into_response())
}

pub(crate) async fn delete_policy(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, policy)): Path<(String, String)>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::DeletePolicy, &tenant).await?;
    state.vault.delete_policy(&caller, &tenant, &policy).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn record_types(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId =
        path_id(&state, &caller, AuditAction::ReadConfiguration, &tenant).await?;
    let types = state.vault.record_types(&caller, &tenant).await?;
    Ok(Json(json!({ "items": types })).into_response())
}

pub(crate) async fn put_record_type(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, name)): Path<(String, String)>,
    JsonBody(definition): JsonBody<Value>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::PutRecordType, &tenant).await?;
    if definition.get("name").and_then(Value::as_str) != Some(name.as_str()) {
        let error = VaultError::InvalidInput {
            what: "the record type definition",
            reason: "its `name` must equal the name in the path".into(),
        };
        return Err(state
            .vault
            .refuse_request(&caller, AuditAction::PutRecordType, error)
            .await
            .into());
    }
    let bytes = serde_json::to_vec(&definition).unwrap_or_default();
    let info = state
        .vault
        .put_custom_record_type(&caller, &tenant, &bytes)
        .await?;
    Ok(Json(info).into_response())
}

pub(crate) async fn put_attribute_map(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((tenant, name)): Path<(String, String)>,
    JsonBody(map): JsonBody<Value>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::PutRecordType, &tenant).await?;
    let info = state
        .vault
        .put_attribute_map(&caller, &tenant, &name, &map)
        .await?;
    Ok(Json(info).into_response())
}

pub(crate) async fn rotate_keys(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant: TenantId = path_id(&state, &caller, AuditAction::RotateKeys, &tenant).await?;
    let report = state.vault.rotate_keys(&caller, &tenant).await?;
    Ok(Json(report).into_response())
}
