//! Dead letters: alerts a channel gave up on, handed to the caller to keep.

use std::error::Error;
use std::fmt;
use std::sync::Mutex;

use jiff::Timestamp;
use phiguard_core::{AlertId, TenantId};
use serde::{Deserialize, Serialize};

/// Why a channel gave up on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterReason {
    /// The channel's queue was full when the alert was dispatched; it was never attempted.
    QueueFull,
    /// The receiver refused the alert in a way a retry cannot change (a 4xx other than 408
    /// and 429, or a redirect, which is not followed).
    Refused,
    /// Every attempt failed.
    AttemptsExhausted,
    /// The dispatcher shut down before the alert was delivered.
    ShutDown,
    /// The alert could not be written as JSON.
    Unencodable,
}

impl DeadLetterReason {
    /// The reason's name as stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeadLetterReason::QueueFull => "queue_full",
            DeadLetterReason::Refused => "refused",
            DeadLetterReason::AttemptsExhausted => "attempts_exhausted",
            DeadLetterReason::ShutDown => "shut_down",
            DeadLetterReason::Unencodable => "unencodable",
        }
    }
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert one channel gave up on.
///
/// It carries ids, a label, counts, times and an error in words: no secret, no URL path or
/// query, no response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The alert.
    pub alert_id: AlertId,
    /// The tenant the alert is about.
    pub tenant: TenantId,
    /// The channel's label: `stdout` (JSON lines), `syslog`, or `webhook:NAME (HOST)`.
    pub channel: String,
    /// Why the channel gave up.
    pub reason: DeadLetterReason,
    /// How many attempts were made (0 when the alert never left the queue).
    pub attempts: u32,
    /// When the first attempt started; with no attempt, when the channel gave up.
    pub first_attempt: Timestamp,
    /// When the last attempt started; with no attempt, when the channel gave up.
    pub last_attempt: Timestamp,
    /// The last error in words: a status code, a connection error's kind, a timeout.
    pub last_error: String,
    /// When the channel gave up.
    pub recorded_at: Timestamp,
}

/// Where dead letters go. The server keeps them in its store; tests use
/// [`MemoryDeadLetters`].
///
/// `record` runs on tokio's blocking pool, one letter at a time, so it may write to a database
/// or a file. An error is logged with the alert id and counted in
/// [`DeliveryMetrics::dead_letters_lost`](crate::DeliveryMetrics::dead_letters_lost); the
/// letter is not retried.
pub trait DeadLetterSink: Send + Sync + 'static {
    /// Keeps one dead letter.
    fn record(&self, letter: &DeadLetter) -> Result<(), Box<dyn Error + Send + Sync>>;
}

/// Dead letters kept in memory, for tests and for a dispatcher that has nowhere better.
#[derive(Debug, Default)]
pub struct MemoryDeadLetters {
    letters: Mutex<Vec<DeadLetter>>,
}

impl MemoryDeadLetters {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the letters kept so far, oldest first.
    pub fn letters(&self) -> Vec<DeadLetter> {
        match self.letters.lock() {
            Ok(letters) => letters.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl DeadLetterSink for MemoryDeadLetters {
    fn record(&self, letter: &DeadLetter) -> Result<(), Box<dyn Error + Send + Sync>> {
        match self.letters.lock() {
            Ok(mut letters) => letters.push(letter.clone()),
            Err(poisoned) => poisoned.into_inner().push(letter.clone()),
        }
        Ok(())
    }
}
