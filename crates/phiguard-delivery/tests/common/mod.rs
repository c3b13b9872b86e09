//! Test receivers on 127.0.0.1 and alert fixtures.

// Each test binary uses a different part; test fixtures may unwrap.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use phiguard_core::{ActorKind, Alert, AlertId, DetectionRule, EvidenceRef, Severity, Timestamp};
use phiguard_delivery::{DeliveryConfig, WebhookConfig, WebhookSecret};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The signing secret of the test webhooks; tests assert it never shows.
pub const SECRET: &[u8] = b"test-signing-secret-must-not-leak-0123456789";

pub fn secret() -> WebhookSecret {
    WebhookSecret::new(SECRET).unwrap()
}

/// An alert whose id is derived from `n`.
pub fn alert(n: u8) -> Alert {
    Alert {
        id: AlertId::from_random([n; 10]),
        rule: DetectionRule::BulkRead,
        severity: Severity::High,
        tenant: "northwind".parse().unwrap(),
        actor: "svc-analytics".parse().unwrap(),
        actor_kind: ActorKind::Service,
        first_seen: Timestamp::from_second(1_772_460_000).unwrap(),
        last_seen: Timestamp::from_second(1_772_460_309).unwrap(),
        occurrences: 3,
        evidence: vec![EvidenceRef { seq: 7, leaf: 6 }],
        evidence_total: 41,
        summary: "41 record reads in one hour against a baseline of 4".into(),
    }
}

/// A configuration with one webhook named `name` and the given retry policy.
pub fn webhook_config(
    name: &str,
    url: &str,
    max_attempts: u32,
    initial_backoff_ms: u64,
    max_backoff_ms: u64,
) -> DeliveryConfig {
    let mut webhook = WebhookConfig::new(name, url);
    webhook.max_attempts = max_attempts;
    webhook.initial_backoff_ms = initial_backoff_ms;
    webhook.max_backoff_ms = max_backoff_ms;
    webhook.timeout_ms = 5_000;
    DeliveryConfig {
        webhooks: vec![webhook],
        ..DeliveryConfig::default()
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub body: &'static str,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            retry_after: None,
            body: "",
        }
    }
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    requests: Vec<Received>,
}

/// A hyper server on 127.0.0.1 that answers from a script, then 200.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Receiver {
        Self::start_with(script, None).await
    }

    pub async fn start_tls(script: Vec<Reply>, tls: Arc<rustls::ServerConfig>) -> Receiver {
        Self::start_with(script, Some(TlsAcceptor::from(tls))).await
    }

    async fn start_with(script: Vec<Reply>, tls: Option<TlsAcceptor>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            requests: Vec::new(),
        }));

        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve(stream, state).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, state).await;
                            }
                        }
                    }
                });
            }
        });
        Receiver { addr, state, task }
    }

    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Received> {
        self.state.lock().unwrap().requests.clone()
    }
}

async fn serve<S>(stream: S, state: Arc<Mutex<State>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        let state = state.clone();
        async move {
            let path = request.uri().to_string();
            let headers = request.headers().clone();
            let body = request.into_body().collect().await.unwrap().to_bytes();

            let mut state = state.lock().unwrap();
            let reply = state
                .script
                .pop_front()
                .unwrap_or_else(|| Reply::status(200));
            state.requests.push(Received {
                at: Instant::now(),
                path,
                headers,
                body,
                answered: reply.status,
            });
            let mut response =
                Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
            if let Some(retry_after) = reply.retry_after {
                response = response.header("retry-after", retry_after);
            }
            Ok::<_, Infallible>(response.body(Full::new(Bytes::from(reply.body))).unwrap())
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// A listener that accepts connections and never answers.
pub struct Silent {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Silent {
    pub async fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut held: Vec<TcpStream> = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Silent { addr, task }
    }
}

/// A loopback port nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// Waits for `done` to hold, checking every 10 ms, for at most `limit`.
pub async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not done within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
