//! The phiguard HTTP API: JSON under `/v1`, problem documents for every error, TLS through
//! rustls, and nothing in a log line but ids, codes and timings.
//!
//! ```text
//!  client ──TLS (rustls, 1.2+)──▶ request id ▶ trace span ▶ timeout ▶ body limit ▶ router
//!                                                                                │
//!     /healthz  /metrics  /openapi.json  /v1/...  ──▶ ApiCaller (bearer token, purpose,
//!                                                    break-glass reason) ──▶ phiguard-vault
//! ```
//!
//! # Contracts
//!
//! - Every request gets an `X-Request-Id` (the caller's, if it is a UUID or 16–64 hex digits,
//!   otherwise a new one); the same id is in the response, the log line and the audit event.
//! - Every error is an RFC 9457 problem document with a stable `type`
//!   (`urn:phiguard:problem:<slug>`) whose `detail` is written by phiguard, never copied from
//!   the request.
//! - Credentials are bearer tokens (`Authorization: Bearer phg_…`); the purpose of use travels
//!   in `X-Purpose-Of-Use` and a break-glass reason in `X-Break-Glass-Reason`.
//!
//! # What it refuses to do
//!
//! - Listen in plain HTTP on a non-loopback address, unless the operator sets
//!   `insecure_plaintext_on_network` (and every start logs a warning).
//! - Log bodies, query strings or header values: spans carry the route template, the request
//!   id, the tenant and actor ids, the status and the latency.
//! - Speak TLS older than 1.2.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use phiguard_server::{ServerConfig, serve};
//! use phiguard_vault::{Vault, VaultConfig};
//!
//! let (vault, _bootstrap) = Vault::open("phiguard-data".as_ref(), VaultConfig::default()).await?;
//! serve(Arc::new(vault), ServerConfig::default(), std::future::pending()).await?;
//! # Ok(()) }
//! ```

mod config;
pub mod detection;
mod extract;
mod metrics;
mod openapi;
mod problem;
mod routes;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use phiguard_core::RequestId;
use phiguard_vault::Vault;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

pub use config::{ServerConfig, TlsConfig};
pub use extract::{BREAK_GLASS_HEADER, PURPOSE_HEADER, RECIPIENT_HEADER, REQUEST_ID_HEADER};
pub use openapi::OPENAPI_JSON;
pub use problem::{ApiError, PROBLEM_JSON};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The vault.
    pub vault: Arc<Vault>,
    /// The server's limits.
    pub config: Arc<ServerConfig>,
    metrics: Arc<metrics::Metrics>,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Plain HTTP on a network address without the explicit override.
    #[error(
        "refusing to listen on {0} without TLS: set [server.tls] cert and key, listen on a \
         loopback address, or (behind a TLS proxy) set insecure_plaintext_on_network = true"
    )]
    PlaintextOnNetwork(SocketAddr),
    /// The TLS certificate or key could not be loaded.
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// The address could not be bound, or accepting failed.
    #[error("listening on {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// The API as a router, for serving or for tests.
pub fn router(vault: Arc<Vault>, config: ServerConfig) -> Router {
    let state = AppState {
        vault,
        config: Arc::new(config.clone()),
        metrics: Arc::new(metrics::Metrics::default()),
    };
    let timeout = Duration::from_secs(config.request_timeout_seconds);

    // The fallbacks come before the layers so that unknown routes and methods get a request
    // id, a log line and a count like every other response.
    routes::routes(&config)
        .fallback(routes::no_such_route)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(middleware::from_fn_with_state(timeout, deadline))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Answers a request that runs past the configured time with a problem document. The handler's
/// future is dropped; a write it had submitted is either committed whole or not at all.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "Request timed out",
            format!(
                "the request did not finish within {} seconds; try again later",
                limit.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Gives the request an id, runs it inside a span, counts it, and stamps the id on the reply.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_opaque_request_id(v))
        .and_then(|v| v.parse::<RequestId>().ok())
        .unwrap_or_else(new_request_id);
    request.extensions_mut().insert(request_id.clone());

    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        route = %route,
        tenant = tracing::field::Empty,
        actor = tracing::field::Empty,
    );

    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();

    let status = response.status();
    state.metrics.observe(&route, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            micros = elapsed.as_micros() as u64,
            "served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Whether a caller's request id is opaque enough to keep: a UUID, or 16 to 64 hex digits. Any
/// other text (which could be an SSN or an order number a client used as a correlation id) is
/// replaced, so that a request id can never carry PHI into logs or the audit trail.
fn is_opaque_request_id(text: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let groups: Vec<&str> = text.split('-').collect();
    let uuid = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]) && groups.iter().all(|g| hex(g));
    let plain = (16..=64).contains(&text.len()) && hex(text);
    uuid || plain
}

fn new_request_id() -> RequestId {
    static FALLBACK: AtomicU64 = AtomicU64::new(0);

    let mut bytes = [0u8; 12];
    let text = match phiguard_crypto::random_bytes(&mut bytes) {
        Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        Err(_) => format!("local-{}", FALLBACK.fetch_add(1, Ordering::Relaxed)),
    };
    text.parse()
        .expect("hex and counter ids are valid request ids")
}

/// Serves the API until `shutdown` resolves, then finishes in-flight requests.
///
/// # Errors
///
/// [`ServeError::PlaintextOnNetwork`] when plain HTTP is asked for on a network address
/// without the override; [`ServeError::Tls`] for unreadable certificates; [`ServeError::Io`]
/// when the address cannot be bound.
pub async fn serve(
    vault: Arc<Vault>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = config.listen;
    let tls = match &config.tls {
        Some(tls) => Some(tls::server_config(tls)?),
        None if addr.ip().is_loopback() => None,
        None if config.insecure_plaintext_on_network => {
            tracing::warn!(
                listen = %addr,
                "serving PLAIN HTTP on a network address because insecure_plaintext_on_network \
                 is set; PHI and bearer tokens cross the network unencrypted unless a TLS proxy \
                 terminates in front of this server"
            );
            None
        }
        None => return Err(ServeError::PlaintextOnNetwork(addr)),
    };

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Io { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServeError::Io { addr, source })?;
    let header_read_timeout = Duration::from_secs(config.header_read_timeout_seconds.max(1));
    let app = router(vault, config);

    tracing::info!(listen = %local, tls = tls.is_some(), "phiguard is serving");
    tls::serve_connections(listener, tls, app, header_read_timeout, shutdown).await
}

/// The answer for a panic inside a handler: a problem document, never the panic message.
pub(crate) fn internal_error() -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "the server failed internally; nothing was disclosed".into(),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_opaque_request_ids_are_kept() {
        assert!(is_opaque_request_id("3f2b8c1e-9a4d-4e2f-8b1c-0d9e8f7a6b5c"));
        assert!(is_opaque_request_id("0123456789abcdef"));
        for refused in [
            "999-38-8871",
            "order-820011",
            "Jane Doe",
            "abc",
            "0123456789abcdefg",
        ] {
            assert!(!is_opaque_request_id(refused), "{refused}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_deadline_gets_a_problem_document() {
        use http_body_util::BodyExt;
        use tower::ServiceExt;

        let slow = Router::new()
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "finished"
                }),
            )
            .route("/quick", axum::routing::get(|| async { "finished" }))
            .layer(middleware::from_fn_with_state(
                Duration::from_secs(5),
                deadline,
            ));
        let request = |path: &str| {
            Request::builder()
                .uri(path)
                .body(axum::body::Body::empty())
                .expect("a request")
        };

        let quick = slow
            .clone()
            .oneshot(request("/quick"))
            .await
            .expect("served");
        assert_eq!(quick.status(), StatusCode::OK);

        let late = slow.oneshot(request("/slow")).await.expect("served");
        assert_eq!(late.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            late.headers()[axum::http::header::CONTENT_TYPE],
            PROBLEM_JSON
        );
        let body = late.into_body().collect().await.expect("a body").to_bytes();
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(problem["type"], "urn:phiguard:problem:timeout");
        assert_eq!(problem["status"], 503);
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("5 seconds")),
            "{problem}"
        );
    }
}
