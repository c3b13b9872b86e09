//! The tamper-evident ledger over HTTP: signed checkpoints, inclusion and consistency proofs,
//! the canonical entries, the verifier key, and the accounting of disclosures of one subject.
//!
//! Every read is decided as `read_audit` and recorded in the tenant's own ledger by the vault.
//! Numbers in the query string that do not parse are refused with `400 invalid-query`; numbers
//! that parse but lie outside the log with `422 invalid-input`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use phiguard_core::{AuditAction, SubjectId, TenantId};
use phiguard_ledger::{LedgerEntry, fhir};
use phiguard_vault::{CheckpointView, DisclosureAccounting, VaultError};
use serde_json::json;

use super::path_id;
use crate::AppState;
use crate::extract::{ApiCaller, QueryPairs};
use crate::problem::ApiError;

type Reply = Result<Response, ApiError>;

/// The media type of JSON Lines: one canonical entry per line.
const JSON_LINES: &str = "application/jsonl";

/// The media type of a FHIR R4 resource in JSON.
const FHIR_JSON: &str = "application/fhir+json";

/// The default and largest number of entries one page holds.
const DEFAULT_PAGE: u32 = 1000;
const MAX_PAGE: u32 = 10_000;

/// Whether the client asked for `media_type` in `Accept` (ahead of JSON, if it names both).
fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let position = |wanted: &str| {
        accept
            .split(',')
            .position(|item| item.split(';').next().is_some_and(|m| m.trim() == wanted))
    };
    match (position(media_type), position("application/json")) {
        (Some(asked), Some(json)) => asked < json,
        (Some(_), None) => true,
        _ => false,
    }
}

fn with_type(body: impl Into<axum::body::Body>, media_type: &'static str) -> Response {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    response
}

fn checkpoint_reply(view: &CheckpointView, headers: &HeaderMap) -> Response {
    if accepts(headers, "text/plain") {
        return with_type(view.note.clone(), "text/plain; charset=utf-8");
    }
    Json(view).into_response()
}

fn number(pairs: &QueryPairs, name: &'static str) -> Result<Option<u64>, ApiError> {
    pairs.get(name, |v| v.parse::<u64>().ok())
}

fn required(pairs: &QueryPairs, name: &'static str) -> Result<u64, ApiError> {
    number(pairs, name)?
        .ok_or_else(|| ApiError::bad_query(&format!("the `{name}` parameter is required")))
}

async fn tenant_of(state: &AppState, caller: &ApiCaller, raw: &str) -> Result<TenantId, ApiError> {
    path_id(state, &caller.0, AuditAction::ReadAudit, raw).await
}

/// `GET /v1/tenants/{tenant}/ledger/checkpoint`: the latest signed checkpoint.
pub(crate) async fn latest_checkpoint(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let view = state.vault.latest_checkpoint(&caller.0, &tenant).await?;
    Ok(checkpoint_reply(&view, &headers))
}

/// `POST /v1/tenants/{tenant}/ledger/checkpoint`: signs a checkpoint now.
pub(crate) async fn issue_checkpoint(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let view = state.vault.issue_checkpoint(&caller.0, &tenant).await?;
    Ok(checkpoint_reply(&view, &headers))
}

/// `GET /v1/tenants/{tenant}/ledger/checkpoints`: every checkpoint ever issued.
pub(crate) async fn checkpoints(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let all = state.vault.checkpoints(&caller.0, &tenant).await?;
    Ok(Json(json!({ "items": all })).into_response())
}

/// `GET /v1/tenants/{tenant}/ledger/proof/inclusion?index=I[&size=N]`.
pub(crate) async fn inclusion_proof(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
    pairs: QueryPairs,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let index = required(&pairs, "index")?;
    let size = number(&pairs, "size")?;

    let proven = state
        .vault
        .inclusion_proof(&caller.0, &tenant, index, size)
        .await?;

    // The parsed entry loses its field order; the stored text is what the leaf hash covers.
    Ok(Json(json!({
        "index": proven.index,
        "entry": proven.entry,
        "entry_text": proven.entry_text,
        "leaf_hash": proven.leaf_hash,
        "proof": proven.proof,
    }))
    .into_response())
}

/// `GET /v1/tenants/{tenant}/ledger/proof/consistency?old=M[&new=N]`.
pub(crate) async fn consistency_proof(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
    pairs: QueryPairs,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let old = required(&pairs, "old")?;
    let new = number(&pairs, "new")?;

    let proof = state
        .vault
        .consistency_proof(&caller.0, &tenant, old, new)
        .await?;
    Ok(Json(proof).into_response())
}

/// `GET /v1/tenants/{tenant}/ledger/entries?from=I&limit=L`: canonical entries, as JSON (each
/// entry's exact text in `entry`) or as JSON Lines (`Accept: application/jsonl`, or
/// `format=jsonl`), where each line is exactly the bytes the leaf hash covers.
pub(crate) async fn entries(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
    pairs: QueryPairs,
    headers: HeaderMap,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let from = number(&pairs, "from")?.unwrap_or(0);
    let limit = pairs
        .get("limit", |v| {
            v.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE).contains(n))
        })?
        .unwrap_or(DEFAULT_PAGE);
    let lines = match pairs.get("format", |v| match v {
        "json" => Some(false),
        "jsonl" => Some(true),
        _ => None,
    })? {
        Some(lines) => lines,
        None => accepts(&headers, JSON_LINES),
    };

    let leaves = state
        .vault
        .ledger_entries(&caller.0, &tenant, from, limit)
        .await?;

    if lines {
        let mut body = Vec::with_capacity(leaves.iter().map(|l| l.entry.len() + 1).sum());
        for leaf in &leaves {
            body.extend_from_slice(&leaf.entry);
            body.push(b'\n');
        }
        return Ok(with_type(body, JSON_LINES));
    }

    let next = leaves.last().map(|leaf| leaf.index + 1);
    let items: Vec<serde_json::Value> = leaves
        .iter()
        .map(|leaf| {
            json!({
                "index": leaf.index,
                "entry": String::from_utf8_lossy(&leaf.entry),
                "leaf_hash": phiguard_ledger::Hash::from_bytes(leaf.leaf_hash),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_from": next })).into_response())
}

/// `GET /v1/tenants/{tenant}/ledger/key`: the verifier key of the tenant's checkpoints. Public
/// by nature, but served only to a credential of the tenant.
pub(crate) async fn verifier_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    if caller.0.tenant() != &tenant {
        let refused = state
            .vault
            .refuse_request(
                &caller.0,
                AuditAction::ReadAudit,
                VaultError::TenantMismatch {
                    requested: tenant.clone(),
                },
            )
            .await;
        return Err(refused.into());
    }

    let key = state.vault.verifier_key(&tenant)?;
    if accepts(&headers, "text/plain") {
        return Ok(with_type(format!("{key}\n"), "text/plain; charset=utf-8"));
    }
    Ok(Json(json!({ "tenant": tenant, "verifier_key": key })).into_response())
}

/// `GET /v1/tenants/{tenant}/subjects/{subject}/disclosures[?format=fhir]`: the accounting of
/// disclosures of one subject (45 CFR 164.528), each line with an inclusion proof; as FHIR R4
/// `AuditEvent` resources in a `Bundle` with `format=fhir`.
pub(crate) async fn disclosures(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((tenant, subject)): Path<(String, String)>,
    pairs: QueryPairs,
) -> Reply {
    let tenant = tenant_of(&state, &caller, &tenant).await?;
    let subject: SubjectId = path_id(&state, &caller.0, AuditAction::ReadAudit, &subject).await?;
    let as_fhir = pairs
        .get("format", |v| match v {
            "json" => Some(false),
            "fhir" => Some(true),
            _ => None,
        })?
        .unwrap_or(false);

    let accounting = state
        .vault
        .disclosures(&caller.0, &tenant, &subject)
        .await?;
    if as_fhir {
        let bundle = fhir_bundle(&accounting);
        let body = serde_json::to_vec(&bundle).unwrap_or_default();
        return Ok(with_type(body, FHIR_JSON));
    }
    Ok(Json(accounting).into_response())
}

/// The accounting as a FHIR R4 `Bundle` of `AuditEvent` resources.
fn fhir_bundle(accounting: &DisclosureAccounting) -> serde_json::Value {
    let events: Vec<fhir::ProvenAuditEvent> = accounting
        .disclosures
        .iter()
        .filter_map(|line| {
            let entry = serde_json::from_str::<LedgerEntry>(&line.entry_text).ok()?;
            Some(fhir::ProvenAuditEvent {
                entry,
                leaf_hash: line.leaf_hash,
                proof: Some(line.proof.clone()),
            })
        })
        .collect();
    fhir::audit_bundle(&accounting.checkpoint.origin, &events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn text_is_chosen_only_when_asked_for_ahead_of_json() {
        assert!(accepts(&accept("text/plain"), "text/plain"));
        assert!(accepts(
            &accept("text/plain;q=0.9, application/json"),
            "text/plain"
        ));
        assert!(!accepts(
            &accept("application/json, text/plain"),
            "text/plain"
        ));
        assert!(!accepts(&accept("*/*"), "text/plain"));
        assert!(!accepts(&HeaderMap::new(), "text/plain"));
    }
}
