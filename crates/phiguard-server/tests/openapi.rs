//! The OpenAPI document against the server it describes.
//!
//! Three checks keep the two from drifting apart: the document is OpenAPI 3.1 with every
//! reference resolvable and every error described as a problem document; every documented
//! operation reaches a handler on a live server (and only documented statuses come back); and the
//! route table in `src/routes/mod.rs`, read from its source text, names exactly the documented
//! operations.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use phiguard_core::{
    ActorId, ActorKind, AuditAction, Category, CredentialId, Disclosure, PurposeOfUse, RecordId,
    RequestId, Role, SubjectId, TenantId,
};
use phiguard_server::{OPENAPI_JSON, PROBLEM_JSON, ServerConfig};
use phiguard_vault::{ActorSpec, Caller, SystemJob, Vault, VaultConfig};
use proptest::prelude::*;
use regex::Regex;
use serde_json::Value;

const ROUTES_SOURCE: &str = include_str!("../src/routes/mod.rs");
const PROBLEM_SOURCE: &str = include_str!("../src/problem.rs");

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// An opaque request id, which the server keeps (it replaces anything that could carry PHI).
const REQUEST_ID: &str = "3f2b8c1e-9a4d-4e2f-8b1c-0d9e8f7a6b5c";

fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

/// Every (METHOD, path template) the document describes.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Follows a local `$ref` (`#/components/...`) to its target, repeatedly.
fn resolve<'d>(doc: &'d Value, mut value: &'d Value) -> &'d Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not a local reference"));
        value = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} points at nothing"));
    }
    value
}

fn schema<'d>(doc: &'d Value, name: &str) -> &'d Value {
    &doc["components"]["schemas"][name]
}

/// The path and operation parameters of one operation, resolved.
fn parameters<'d>(doc: &'d Value, path: &str, method: &str) -> Vec<&'d Value> {
    let item = &doc["paths"][path];
    let shared = item["parameters"].as_array().into_iter().flatten();
    let own = item[method]["parameters"].as_array().into_iter().flatten();
    shared.chain(own).map(|p| resolve(doc, p)).collect()
}

fn every_ref(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    out.push(child.as_str().expect("$ref is a string").to_owned());
                } else {
                    every_ref(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|child| every_ref(child, out)),
        _ => {}
    }
}

fn enum_strings(schema: &Value) -> BTreeSet<String> {
    schema["enum"]
        .as_array()
        .expect("an enum")
        .iter()
        .map(|v| v.as_str().expect("enum values are strings").to_owned())
        .collect()
}

/// Whether `text` satisfies a string schema's `minLength`, `maxLength` and `pattern`, the
/// keywords the document's id schemas use. Lengths count characters, as JSON Schema does.
fn satisfies(schema: &Value, text: &str) -> bool {
    let chars = text.chars().count() as u64;
    let min_ok = schema["minLength"].as_u64().is_none_or(|min| chars >= min);
    let max_ok = schema["maxLength"].as_u64().is_none_or(|max| chars <= max);
    let pattern_ok = schema["pattern"].as_str().is_none_or(|pattern| {
        Regex::new(pattern)
            .expect("documented patterns compile")
            .is_match(text)
    });
    min_ok && max_ok && pattern_ok
}

// ------------------------------------------------------------------------------------------
// (a) The document is OpenAPI 3.1 and internally consistent.
// ------------------------------------------------------------------------------------------

#[test]
fn document_is_openapi_3_1() {
    let spec = oas3::from_json(OPENAPI_JSON).expect("an OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3.1."), "version {}", spec.openapi);
    assert_eq!(spec.info.version, env!("CARGO_PKG_VERSION"));
    assert!(spec.components.is_some());
    assert!(
        spec.components
            .as_ref()
            .is_some_and(|c| c.security_schemes.contains_key("bearer"))
    );

    let doc = document();
    assert_eq!(spec.operations().count(), documented_operations(&doc).len());
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut references = Vec::new();
    every_ref(&doc, &mut references);
    assert!(
        references.len() > 100,
        "the document is built from components"
    );
    for reference in references {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{reference} is dangling");
    }
}

#[test]
fn every_operation_is_described_and_named_once() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (method, path) in documented_operations(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        let id = operation["operationId"].as_str().expect("an operationId");
        assert!(ids.insert(id.to_owned()), "{id} is used twice");
        for field in ["summary", "description"] {
            let text = operation[field].as_str().unwrap_or("");
            assert!(text.len() > 10, "{method} {path} lacks a {field}");
        }
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has no tag"
        );
    }
}

#[test]
fn path_templates_and_path_parameters_agree() {
    let doc = document();
    let placeholder = Regex::new(r"\{([a-z_]+)\}").expect("regex");
    for (method, path) in documented_operations(&doc) {
        let in_template: BTreeSet<&str> = placeholder
            .captures_iter(&path)
            .map(|c| c.get(1).expect("group").as_str())
            .collect();
        let declared: BTreeSet<&str> = parameters(&doc, &path, &method.to_lowercase())
            .into_iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{path}: path parameters are required");
                p["name"].as_str().expect("a name")
            })
            .collect();
        assert_eq!(in_template, declared, "{method} {path}");
    }
}

#[test]
fn every_error_is_a_problem_document_and_every_success_carries_the_request_id() {
    let doc = document();
    for (method, path) in documented_operations(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        let responses = operation["responses"].as_object().expect("responses");
        let open = operation.get("security") == Some(&serde_json::json!([]));
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path} documents no success"
        );

        for (status, response) in responses {
            let response = resolve(&doc, response);
            assert!(
                response["headers"]["X-Request-Id"].is_object(),
                "{method} {path} {status} lacks X-Request-Id"
            );
            if status.starts_with('2') {
                continue;
            }
            let content = response["content"].as_object().expect("error content");
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                [PROBLEM_JSON],
                "{method} {path} {status}"
            );
            let problem = &content[PROBLEM_JSON]["schema"];
            let base = resolve(&doc, &problem["allOf"][0]);
            assert_eq!(base, schema(&doc, "Problem"), "{method} {path} {status}");
            assert_eq!(
                problem["allOf"][1]["properties"]["status"]["const"],
                status.parse::<u64>().expect("numeric status"),
                "{method} {path} {status}"
            );
        }

        if open {
            assert!(
                !responses.contains_key("401"),
                "{method} {path} needs no credential"
            );
        } else {
            assert!(
                operation.get("security").is_none(),
                "{path} keeps bearer auth"
            );
            for status in ["401", "500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
        if !path.starts_with("/v1/") {
            assert!(open, "{path} is served to anyone");
        }
        if path.contains("{tenant}") {
            for status in ["400", "403"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
        let json_body = operation["requestBody"]["content"]
            .as_object()
            .is_some_and(|c| c.keys().eq(["application/json"]));
        if json_body && operation["operationId"] != "issueCredential" {
            for status in ["400", "413", "415"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
}

/// The problem types in `problem.rs`, by status, must be the ones the shared responses list.
#[test]
fn documented_problem_types_match_the_server_source() {
    let doc = document();
    let pairs = Regex::new(r#"(?:S|StatusCode)::([A-Z_]+),\s*"([a-z-]+)""#).expect("regex");
    let mut from_source: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for capture in pairs.captures_iter(PROBLEM_SOURCE) {
        let status = match &capture[1] {
            "BAD_REQUEST" => 400,
            "UNAUTHORIZED" => 401,
            "FORBIDDEN" => 403,
            "NOT_FOUND" => 404,
            "CONFLICT" => 409,
            "PAYLOAD_TOO_LARGE" => 413,
            "UNSUPPORTED_MEDIA_TYPE" => 415,
            "UNPROCESSABLE_ENTITY" => 422,
            "INTERNAL_SERVER_ERROR" => 500,
            other => panic!("problem.rs uses {other}; document it"),
        };
        from_source
            .entry(status)
            .or_default()
            .insert(format!("urn:phiguard:problem:{}", &capture[2]));
    }
    assert!(from_source.values().map(BTreeSet::len).sum::<usize>() >= 20);

    let mut documented: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for response in doc["components"]["responses"]
        .as_object()
        .expect("responses")
        .values()
    {
        let extra = &response["content"][PROBLEM_JSON]["schema"]["allOf"][1]["properties"];
        let Some(status) = extra["status"]["const"].as_u64() else {
            continue;
        };
        let types = documented.entry(status as u16).or_default();
        if let Some(one) = extra["type"]["const"].as_str() {
            types.insert(one.to_owned());
        }
        if extra["type"].get("enum").is_some() {
            types.extend(enum_strings(&extra["type"]));
        }
    }
    documented.remove(&503);
    assert_eq!(documented, from_source);
}

#[test]
fn vocabulary_enums_match_phiguard_core() {
    let doc = document();
    let purposes: BTreeSet<String> = PurposeOfUse::ALL.iter().map(|p| p.code().into()).collect();
    assert_eq!(enum_strings(schema(&doc, "PurposeOfUse")), purposes);
    let categories: BTreeSet<String> = Category::ALL.iter().map(|c| c.as_str().into()).collect();
    assert_eq!(enum_strings(schema(&doc, "Category")), categories);
    let mut classifications = categories.clone();
    classifications.insert("not_phi".into());
    assert_eq!(
        enum_strings(schema(&doc, "Classification")),
        classifications
    );

    for level in enum_strings(schema(&doc, "Disclosure")) {
        let parsed: Disclosure = serde_json::from_value(Value::String(level.clone()))
            .unwrap_or_else(|_| panic!("{level} is not a disclosure"));
        assert_eq!(parsed.as_str(), level);
    }
    assert_eq!(enum_strings(schema(&doc, "Disclosure")).len(), 3);
    for kind in enum_strings(schema(&doc, "ActorKind")) {
        assert_eq!(kind.parse::<ActorKind>().expect("a kind").as_str(), kind);
    }

    let actions = enum_strings(schema(&doc, "AuditAction"));
    for action in &actions {
        let parsed: AuditAction = serde_json::from_value(Value::String(action.clone()))
            .unwrap_or_else(|_| panic!("{action} is not an audit action"));
        assert_eq!(parsed.as_str(), action);
    }
    // Every action the vault can record appears: the variants named in the core source.
    let core_source = include_str!("../../phiguard-core/src/audit.rs");
    let as_str = Regex::new(r#"AuditAction::[A-Za-z]+ => "([a-z_]+)""#).expect("regex");
    let in_core: BTreeSet<String> = as_str
        .captures_iter(core_source)
        .map(|c| c[1].to_owned())
        .collect();
    assert_eq!(actions, in_core);
}

#[test]
fn id_examples_are_valid_ids() {
    let doc = document();
    let example = |name: &str| -> String {
        let schema = schema(&doc, name);
        let text = schema["examples"][0]
            .as_str()
            .expect("an example")
            .to_owned();
        assert!(satisfies(schema, &text), "{name} example {text}");
        text
    };
    example("TenantId").parse::<TenantId>().expect("tenant");
    example("ActorId").parse::<ActorId>().expect("actor");
    example("SubjectId").parse::<SubjectId>().expect("subject");
    example("RecordId").parse::<RecordId>().expect("record");
    example("CredentialId")
        .parse::<CredentialId>()
        .expect("credential");
    example("Role").parse::<Role>().expect("role");
}

fn slug_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._-]{0,70}",
        "[A-Za-z0-9 ._/\u{e9}-]{0,70}",
        "[a-z][a-z0-9_]{0,64}",
    ]
}

proptest! {
    /// The documented id formats accept exactly what the server's parsers accept.
    #[test]
    fn id_schemas_agree_with_the_parsers(text in slug_text()) {
        let doc = document();
        let tenant = satisfies(schema(&doc, "TenantId"), &text);
        prop_assert_eq!(tenant, text.parse::<TenantId>().is_ok());
        let actor = satisfies(schema(&doc, "ActorId"), &text);
        prop_assert_eq!(actor, text.parse::<ActorId>().is_ok());
        let policy = satisfies(schema(&doc, "PolicyId"), &text);
        prop_assert_eq!(policy, actor, "policy ids are slugs like actor ids");
        prop_assert_eq!(satisfies(schema(&doc, "Role"), &text), text.parse::<Role>().is_ok());
        prop_assert_eq!(
            satisfies(schema(&doc, "RequestId"), &text),
            text.parse::<RequestId>().is_ok()
        );
    }

    #[test]
    fn minted_id_schemas_agree_with_the_parsers(
        bytes in any::<[u8; 16]>(),
        noise in "(sub_|rec_|cred_)[a-z2-9A-Z]{14,28}",
    ) {
        let doc = document();
        let subject = SubjectId::from_random(bytes);
        prop_assert!(satisfies(schema(&doc, "SubjectId"), subject.as_str()));
        let record = RecordId::from_random(bytes);
        prop_assert!(satisfies(schema(&doc, "RecordId"), record.as_str()));
        let mut short = [0u8; 10];
        short.copy_from_slice(&bytes[..10]);
        let credential = CredentialId::from_random(short);
        prop_assert!(satisfies(schema(&doc, "CredentialId"), credential.as_str()));

        prop_assert_eq!(
            satisfies(schema(&doc, "SubjectId"), &noise),
            noise.parse::<SubjectId>().is_ok()
        );
        prop_assert_eq!(
            satisfies(schema(&doc, "RecordId"), &noise),
            noise.parse::<RecordId>().is_ok()
        );
        prop_assert_eq!(
            satisfies(schema(&doc, "CredentialId"), &noise),
            noise.parse::<CredentialId>().is_ok()
        );
    }
}

// ------------------------------------------------------------------------------------------
// (c) The route table's source names exactly the documented operations.
// ------------------------------------------------------------------------------------------

/// The text between the parenthesis opening at `start` and its partner.
fn balanced(text: &str, start: usize) -> &str {
    let mut depth = 0usize;
    for (offset, c) in text[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start + 1..start + offset];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in routes/mod.rs")
}

/// (METHOD, path) for every `.route("path", method(handler).other(handler))` in the source.
fn routes_in_source(source: &str) -> BTreeSet<(String, String)> {
    let literal = Regex::new(r#"^\s*"([^"]+)"\s*,"#).expect("regex");
    let method = Regex::new(r"\b(get|post|put|delete|patch)\(").expect("regex");
    let mut routes = BTreeSet::new();
    for (at, _) in source.match_indices(".route(") {
        let arguments = balanced(source, at + ".route".len());
        let path = literal
            .captures(arguments)
            .unwrap_or_else(|| panic!("a route without a literal path: {arguments}"))[1]
            .to_owned();
        let methods: Vec<String> = method
            .captures_iter(arguments)
            .map(|c| c[1].to_uppercase())
            .collect();
        assert!(!methods.is_empty(), "{path} routes no method");
        for m in methods {
            assert!(routes.insert((m.clone(), path.clone())), "{m} {path} twice");
        }
    }
    routes
}

#[test]
fn route_parser_reads_chained_and_multiline_routes() {
    let source = r#"
        Router::new()
            .route("/a", get(x::a))
            .route(
                "/b/{id}",
                get(x::b).post(x::c),
            )
            .route("/c", axum::routing::delete(x::d))
    "#;
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/a"),
        ("GET", "/b/{id}"),
        ("POST", "/b/{id}"),
        ("DELETE", "/c"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(routes_in_source(source), expected);
}

#[test]
fn documented_operations_are_exactly_the_routes_in_the_source() {
    let routed = routes_in_source(ROUTES_SOURCE);
    let documented = documented_operations(&document());
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not documented: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
    assert!(routed.len() >= 30);
}

// ------------------------------------------------------------------------------------------
// (b) Every documented operation reaches a handler on a live server.
// ------------------------------------------------------------------------------------------

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Live {
    base: String,
    client: HttpClient,
    token: String,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: u16,
    content_type: String,
    request_id: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn problem_type(&self) -> Option<String> {
        let body: Value = serde_json::from_slice(&self.body).ok()?;
        body["type"].as_str().map(str::to_owned)
    }
}

/// A vault in a temporary directory with the example tenant and a tenant administrator, served
/// on a free loopback port.
async fn start() -> Live {
    let doc = document();
    let tenant: TenantId = schema(&doc, "TenantId")["examples"][0]
        .as_str()
        .expect("example")
        .parse()
        .expect("tenant");

    let dir = tempfile::tempdir().expect("temp dir");
    let (vault, _bootstrap) = Vault::open(dir.path(), VaultConfig::default())
        .await
        .expect("vault");
    let admin = Caller::system(tenant.clone(), SystemJob::Administration);
    vault
        .create_tenant(&admin, tenant.clone(), "Northwind Pharmacy".into(), None)
        .await
        .expect("tenant");
    let actor: ActorId = "tenant-admin".parse().expect("actor");
    let spec = ActorSpec {
        id: actor.clone(),
        kind: ActorKind::User,
        display_name: String::new(),
        roles: vec![Role::TENANT_ADMIN.parse().expect("role")],
        attributes: BTreeMap::new(),
        disabled: false,
    };
    vault.put_actor(&admin, &tenant, spec).await.expect("actor");
    let issued = vault
        .issue_credential(&admin, &tenant, &actor, None, None)
        .await
        .expect("credential");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = phiguard_server::router(Arc::new(vault), ServerConfig::default());
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });

    Live {
        base: format!("http://{addr}"),
        client: Client::builder(TokioExecutor::new()).build_http(),
        token: issued.token.expose().to_owned(),
        _dir: dir,
    }
}

impl Live {
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Reply {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let bytes = match body {
            Some((media_type, text)) => {
                request = request.header("content-type", media_type);
                Bytes::from(text.to_owned())
            }
            None => Bytes::new(),
        };
        let response = self
            .client
            .request(request.body(Full::new(bytes)).expect("request"))
            .await
            .expect("response");

        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            content_type,
            request_id,
            body,
        }
    }
}

/// A concrete path for a template: each parameter's documented example, or its first enum
/// value.
fn concrete_path(doc: &Value, path: &str, method: &str) -> String {
    let mut concrete = path.to_owned();
    for parameter in parameters(doc, path, method) {
        if parameter["in"] != "path" {
            continue;
        }
        let schema = resolve(doc, &parameter["schema"]);
        let value = schema["examples"][0]
            .as_str()
            .or_else(|| schema["enum"][0].as_str())
            .unwrap_or_else(|| panic!("{path}: parameter without example or enum"));
        let name = parameter["name"].as_str().expect("name");
        concrete = concrete.replace(&format!("{{{name}}}"), value);
    }
    assert!(!concrete.contains('{'), "{concrete}");
    concrete
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed_and_answers_as_documented() {
    let live = start().await;
    let doc = document();
    let bearer = format!("Bearer {}", live.token);

    for (method, path) in documented_operations(&doc) {
        let lower = method.to_lowercase();
        let operation = &doc["paths"][&path][&lower];
        let target = concrete_path(&doc, &path, &lower);
        let content = operation["requestBody"]["content"].as_object();
        let body = content.map(|c| match c.keys().next().map(String::as_str) {
            Some("application/json") => ("application/json", "{}"),
            Some(other) => (other, ""),
            None => panic!("{method} {path}: a request body without content"),
        });
        let headers = [
            ("authorization", bearer.as_str()),
            ("x-purpose-of-use", "HSYSADMIN"),
            ("x-request-id", REQUEST_ID),
        ];
        let reply = live.send(&method, &target, &headers, body).await;

        let problem = reply.problem_type();
        for unrouted in ["no-such-route", "method-not-allowed"] {
            assert_ne!(
                problem.as_deref(),
                Some(format!("urn:phiguard:problem:{unrouted}").as_str()),
                "{method} {target} is not routed"
            );
        }
        let documented = operation["responses"]
            .as_object()
            .expect("responses")
            .contains_key(&reply.status.to_string());
        assert!(
            documented,
            "{method} {target} answered an undocumented {}",
            reply.status
        );
        assert_eq!(
            reply.request_id.as_deref(),
            Some(REQUEST_ID),
            "{method} {target}"
        );
        if reply.status >= 400 {
            assert_eq!(reply.content_type, PROBLEM_JSON, "{method} {target}");
            assert!(
                problem.is_some(),
                "{method} {target}: not a problem document"
            );
        }

        let anonymous = live.send(&method, &target, &[], body).await;
        if operation.get("security") == Some(&serde_json::json!([])) {
            assert_ne!(
                anonymous.status, 401,
                "{method} {target} is documented as open"
            );
        } else {
            assert_eq!(
                anonymous.status, 401,
                "{method} {target} without a credential"
            );
            assert_eq!(
                anonymous.problem_type().as_deref(),
                Some("urn:phiguard:problem:unauthenticated")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undocumented_methods_are_not_allowed_and_the_document_is_served() {
    let live = start().await;
    let doc = document();
    let bearer = format!("Bearer {}", live.token);

    for (path, item) in doc["paths"].as_object().expect("paths") {
        let some_method = METHODS
            .iter()
            .find(|m| item.get(**m).is_some())
            .expect("a method");
        let target = concrete_path(&doc, path, some_method);
        for method in METHODS.iter().filter(|m| item.get(**m).is_none()) {
            let headers = [("authorization", bearer.as_str())];
            let reply = live
                .send(&method.to_uppercase(), &target, &headers, None)
                .await;
            assert_eq!(reply.status, 405, "{method} {target}");
            assert_eq!(
                reply.problem_type().as_deref(),
                Some("urn:phiguard:problem:method-not-allowed"),
                "{method} {target}"
            );
        }
    }

    let served = live.send("GET", "/openapi.json", &[], None).await;
    assert_eq!(served.status, 200);
    let served: Value = serde_json::from_slice(&served.body).expect("JSON");
    assert_eq!(served, doc);
}
