//! `GET /v1/posture` on a live server: who sees which tenants, the problem documents of those
//! refused, and a body that is the posture document the OpenAPI document describes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use phiguard_core::posture::VaultPosture;
use phiguard_core::{ActorKind, Role, TenantId};
use phiguard_server::{OPENAPI_JSON, PROBLEM_JSON, ServerConfig};
use phiguard_vault::{ActorSpec, Caller, SystemJob, Vault, VaultConfig};
use serde_json::Value;

const REQUEST_ID: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

struct Live {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    operator: String,
    admin: String,
    support: String,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: u16,
    content_type: String,
    request_id: Option<String>,
    body: Value,
}

/// A vault with the tenants `northwind` and `southgate`, a tenant administrator and a support
/// agent of `northwind`, served on a free loopback port.
async fn start() -> Live {
    let dir = tempfile::tempdir().expect("temp dir");
    let (vault, bootstrap) = Vault::open(dir.path(), VaultConfig::default())
        .await
        .expect("vault");
    let northwind: TenantId = "northwind".parse().expect("tenant");
    for id in ["northwind", "southgate"] {
        let tenant: TenantId = id.parse().expect("tenant");
        let system = Caller::system(tenant.clone(), SystemJob::Administration);
        vault
            .create_tenant(&system, tenant, format!("{id} pharmacy"), None)
            .await
            .expect("tenant");
    }

    let system = Caller::system(northwind.clone(), SystemJob::Administration);
    let mut tokens = Vec::new();
    for (id, role) in [
        ("it-lead", Role::TENANT_ADMIN),
        ("front-desk", Role::SUPPORT),
    ] {
        let spec = ActorSpec {
            id: id.parse().expect("actor"),
            kind: ActorKind::User,
            display_name: String::new(),
            roles: vec![role.parse().expect("role")],
            attributes: BTreeMap::new(),
            disabled: false,
        };
        vault
            .put_actor(&system, &northwind, spec.clone())
            .await
            .expect("actor");
        let issued = vault
            .issue_credential(&system, &northwind, &spec.id, None, None)
            .await
            .expect("credential");
        tokens.push(issued.token.expose().to_owned());
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = phiguard_server::router(Arc::new(vault), ServerConfig::default());
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });

    let support = tokens.pop().expect("support token");
    let admin = tokens.pop().expect("admin token");
    Live {
        base: format!("http://{addr}"),
        client: Client::builder(TokioExecutor::new()).build_http(),
        operator: bootstrap.expect("bootstrap token").expose().to_owned(),
        admin,
        support,
        _dir: dir,
    }
}

impl Live {
    async fn get_posture(&self, token: Option<&str>, purpose: Option<&str>) -> Reply {
        let mut request = hyper::Request::builder()
            .method("GET")
            .uri(format!("{}/v1/posture", self.base))
            .header("x-request-id", REQUEST_ID);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(purpose) = purpose {
            request = request.header("x-purpose-of-use", purpose);
        }
        let response = self
            .client
            .request(request.body(Full::new(Bytes::new())).expect("request"))
            .await
            .expect("response");

        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            content_type,
            request_id,
            body: serde_json::from_slice(&bytes).expect("a JSON body"),
        }
    }
}

fn tenant_ids(body: &Value) -> Vec<&str> {
    body["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| t["tenant"].as_str().expect("a tenant id"))
        .collect()
}

/// The documented schema `name`: its required fields and its properties.
fn documented_fields(name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("the OpenAPI document");
    let schema = &doc["components"]["schemas"][name];
    let required = schema["required"]
        .as_array()
        .expect("required fields")
        .iter()
        .map(|f| f.as_str().expect("a name").to_owned())
        .collect();
    let properties = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    (required, properties)
}

fn fields(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_posture_is_served_to_administrators_within_their_reach() {
    let live = start().await;

    let own = live.get_posture(Some(&live.admin), Some("HCOMPL")).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.content_type, "application/json");
    assert_eq!(own.request_id.as_deref(), Some(REQUEST_ID));
    assert_eq!(tenant_ids(&own.body), ["northwind"]);
    assert_eq!(own.body["tls_configured"], false, "served in plain HTTP");
    let posture: VaultPosture =
        serde_json::from_value(own.body.clone()).expect("a posture document");
    assert_eq!(posture.field_encryption, "AES-256-GCM");

    // The body has exactly the fields the OpenAPI document names, all of them required.
    for (name, object) in [
        ("VaultPosture", &own.body),
        ("TenantPosture", &own.body["tenants"][0]),
    ] {
        let (required, properties) = documented_fields(name);
        assert_eq!(required, properties, "{name}: every field is required");
        assert_eq!(fields(object), properties, "{name}");
    }

    let all = live.get_posture(Some(&live.operator), None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(
        tenant_ids(&all.body),
        ["northwind", "platform", "southgate"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_out_of_reach_get_problem_documents() {
    let live = start().await;

    for (token, purpose, status, problem) in [
        (Some(live.support.as_str()), None, 403, "forbidden"),
        (None, None, 401, "unauthenticated"),
        (
            Some(live.admin.as_str()),
            Some("NOT-A-PURPOSE"),
            400,
            "unknown-purpose",
        ),
    ] {
        let reply = live.get_posture(token, purpose).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.content_type, PROBLEM_JSON);
        assert_eq!(
            reply.body["type"],
            format!("urn:phiguard:problem:{problem}")
        );
        assert!(reply.body.get("tenants").is_none());
    }
}
