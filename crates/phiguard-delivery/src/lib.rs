//! Getting alerts to people: signed webhooks, RFC 5424 syslog and JSON lines, with retries,
//! dead letters and counters.
//!
//! ```text
//!                         ┌─ queue ─► json_lines task ──► stdout (or a writer)
//!  dispatch(&Alert) ──────┼─ queue ─► webhook task ─────► POST, signed; retry with backoff
//!  (never waits;          ├─ queue ─► webhook task ─────► …
//!   a full queue          └─ queue ─► syslog task ──────► UDP | TCP (octet counting) | unix
//!   dead-letters)                         │
//!                                         └─ gave up ──► dead-letter task ──► DeadLetterSink
//! ```
//!
//! # What this crate owns
//!
//! The delivery configuration ([`DeliveryConfig`], under `[delivery]` in `phiguard.toml`), the
//! [`Dispatcher`] with one bounded queue and one tokio task per channel, the webhook envelope
//! and its HMAC-SHA-256 signature ([`sign`], and [`verify_signature`] for receivers), the
//! RFC 5424 message, dead letters ([`DeadLetter`], [`DeadLetterSink`]) and delivery counters
//! ([`DeliveryMetrics`]).
//!
//! # What it refuses to do
//!
//! - It never makes the caller wait: [`Dispatcher::dispatch`] queues or dead-letters at once.
//! - It never drops an alert silently: what a channel gives up on becomes a dead letter, and a
//!   dead letter that cannot be kept is logged and counted.
//! - It never shows a secret: signing secrets come from the caller as bytes (never from a URL),
//!   are held as AWS-LC keys, and `Debug` shows nothing of them; webhook URLs appear by host
//!   only, since their paths and queries often carry tokens; errors and dead letters say what
//!   went wrong without a response body.
//! - It takes no webhook URL with a user name or password, no scheme but `http` and `https`,
//!   and no plain `http` to a host off this machine unless the operator says so.
//! - It follows no redirect and retries no refusal: a 4xx other than 408 and 429 is final.
//! - It raises no alert and reads no configuration file: the caller does both.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use phiguard_core::{ActorKind, Alert, AlertId, DetectionRule, Severity, Timestamp};
//! use phiguard_delivery::{DeliveryConfig, Dispatcher, MemoryDeadLetters};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let config: DeliveryConfig = toml::from_str("json_lines = true").unwrap();
//! let dead_letters = Arc::new(MemoryDeadLetters::new());
//! let (writer, mut reader) = tokio::io::duplex(4096);
//! let dispatcher = Dispatcher::builder(config, dead_letters.clone())
//!     .json_lines_writer(writer)
//!     .start()
//!     .unwrap();
//!
//! let alert = Alert {
//!     id: AlertId::from_random([3; 10]),
//!     rule: DetectionRule::BreakGlass,
//!     severity: Severity::Critical,
//!     tenant: "northwind".parse().unwrap(),
//!     actor: "dr-okafor".parse().unwrap(),
//!     actor_kind: ActorKind::User,
//!     first_seen: Timestamp::UNIX_EPOCH,
//!     last_seen: Timestamp::UNIX_EPOCH,
//!     occurrences: 1,
//!     evidence: Vec::new(),
//!     evidence_total: 1,
//!     summary: "break-glass access with a written reason".into(),
//! };
//! assert_eq!(dispatcher.dispatch(&alert).queued, 1);
//! dispatcher.shutdown(Duration::from_secs(1)).await;
//!
//! let mut lines = String::new();
//! tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut lines).await.unwrap();
//! assert!(lines.starts_with(r#"{"type":"phiguard.alert","version":1,"alert":{"#));
//! assert!(dead_letters.letters().is_empty());
//! # });
//! ```

mod backoff;
mod channel;
mod config;
mod dead_letter;
mod dispatcher;
mod envelope;
mod http;
mod json_lines;
mod metrics;
mod signature;
mod syslog;
mod webhook;

pub use backoff::Jitter;
pub use config::{
    CONFIG_TABLE, ConfigError, DeliveryConfig, Facility, MAX_BACKOFF_MS, MAX_QUEUE_CAPACITY,
    MAX_SYSLOG_ATTEMPTS, MAX_TIMEOUT_MS, MAX_WEBHOOK_ATTEMPTS, SyslogConfig, SyslogTransport,
    WebhookConfig,
};
pub use dead_letter::{DeadLetter, DeadLetterReason, DeadLetterSink, MemoryDeadLetters};
pub use dispatcher::{Dispatched, Dispatcher, DispatcherBuilder, StartError};
pub use envelope::{ENVELOPE_TYPE, ENVELOPE_VERSION, Envelope};
pub use metrics::{ChannelMetrics, DeliveryMetrics};
pub use signature::{
    ALERT_ID_HEADER, SIGNATURE_HEADER, SecretError, TIMESTAMP_HEADER, WebhookSecret, sign,
    verify_signature,
};

/// The SD-ID of the RFC 5424 structured data element, `phiguard@32473`. 32473 is the
/// enterprise number that RFC 5612 reserves for documentation; see the `syslog` section of
/// [`SyslogConfig`].
pub const SYSLOG_SD_ID: &str = syslog::SD_ID;
