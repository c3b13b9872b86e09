//! The detectors inside `phiguard serve`: a thread that tails the audit trail, feeds every event
//! to [`phiguard_detect::Detector`], keeps each alert through the vault (an audit event of its
//! own) and hands new and escalated alerts to [`phiguard_delivery::Dispatcher`].
//!
//! ```text
//!   request ──► vault ──► audit table ──(tail, after the cursor)──► Detector::observe
//!                                                                      │ AlertChange
//!                     Vault::record_alert (alerts row + raise_alert) ◄─┘
//!                                    │ raised or escalated
//!                                    ▼
//!                     Dispatcher: webhooks, syslog, JSON lines ──► dead letters (vault)
//! ```
//!
//! The tail runs beside the request path, never in it: a request only waits for its own audit
//! event, and the detectors read that event after it is durable. The tail has a thread of its own
//! (with a small runtime for its commits), because reading and judging a batch is blocking work
//! that would otherwise hold one of the server's few runtime workers away from requests. The cursor
//! is committed with each batch's alerts in one transaction, so a restart neither skips events
//! nor raises an alert twice. On start the detector learns the last `warm_up_days` of history up to the cursor, so
//! baselines and known networks are in place before it judges.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::{Timestamp, ToSpan};
use phiguard_core::{AlertId, AuditAction, RecipientId, Severity};
use phiguard_delivery::{DeadLetterSink, DeliveryConfig, Dispatcher, WebhookSecret};
use phiguard_detect::{AlertChange, DetectConfig, Detector};
use phiguard_vault::{AlertRecording, Vault};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// How the detectors inside `phiguard serve` run. Detection is on unless `enabled = false` is
/// written down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionSettings {
    /// Run the detectors (default true). Turning them off is logged at every start.
    pub enabled: bool,
    /// How long the tail sleeps when it has caught up, in milliseconds (default 250).
    pub poll_milliseconds: u64,
    /// How many days of history a starting detector learns from (default 28).
    pub warm_up_days: u32,
    /// Events read per batch (default 2,000).
    pub batch: u32,
    /// The recipients a business associate agreement covers; PHI sent anywhere else raises
    /// `recipient_without_baa`.
    pub baa_recipients: Vec<RecipientId>,
    /// Per webhook name (as in `[[delivery.webhooks]]`), the file that holds its signing
    /// secret (at least 32 bytes). The secret is never read from the configuration itself.
    pub webhook_secret_files: BTreeMap<String, PathBuf>,
    /// The rules' thresholds (see `phiguard_detect::DetectConfig`).
    pub rules: DetectConfig,
}

impl Default for DetectionSettings {
    fn default() -> Self {
        DetectionSettings {
            enabled: true,
            poll_milliseconds: 250,
            warm_up_days: 28,
            batch: 2_000,
            baa_recipients: Vec::new(),
            webhook_secret_files: BTreeMap::new(),
            rules: DetectConfig::default(),
        }
    }
}

impl DetectionSettings {
    /// The longest poll interval: beyond a minute, "detection" would be a daily report.
    pub const MAX_POLL_MILLISECONDS: u64 = 60_000;

    /// The longest warm-up.
    pub const MAX_WARM_UP_DAYS: u32 = 3_650;

    /// Checks the settings' ranges.
    ///
    /// # Errors
    ///
    /// [`DetectionError::Settings`] naming the key and its range.
    pub fn validate(&self) -> Result<(), DetectionError> {
        let range = |key: &'static str, range: String| DetectionError::Settings { key, range };
        if !(10..=Self::MAX_POLL_MILLISECONDS).contains(&self.poll_milliseconds) {
            return Err(range(
                "poll_milliseconds",
                format!("10 to {}", Self::MAX_POLL_MILLISECONDS),
            ));
        }
        if self.warm_up_days > Self::MAX_WARM_UP_DAYS {
            return Err(range(
                "warm_up_days",
                format!("0 to {}", Self::MAX_WARM_UP_DAYS),
            ));
        }
        if !(1..=10_000).contains(&self.batch) {
            return Err(range("batch", "1 to 10000".into()));
        }
        Ok(())
    }
}

/// The largest webhook secret file read.
const MAX_SECRET_BYTES: u64 = 4_096;

/// Why detection could not start.
#[derive(Debug, thiserror::Error)]
pub enum DetectionError {
    /// A setting is out of range.
    #[error("detection.{key} must be {range}")]
    Settings {
        /// The key.
        key: &'static str,
        /// Its range, in words.
        range: String,
    },
    /// The rules' configuration is invalid.
    #[error("detection.rules: {0}")]
    Rules(String),
    /// A webhook's secret file could not be read or is too short.
    #[error("detection.webhook_secret_files.{name}: {reason}")]
    Secret {
        /// The webhook's name.
        name: String,
        /// What is wrong (never the secret).
        reason: String,
    },
    /// The delivery configuration is invalid.
    #[error("delivery: {0}")]
    Delivery(String),
    /// The detectors' thread or its runtime could not be started.
    #[error("starting the detectors: {0}")]
    Start(String),
    /// The vault could not be read.
    #[error("reading the vault for the detectors: {0}")]
    Vault(#[from] phiguard_vault::VaultError),
}

/// The running detectors; dropping it does not stop them, [`Detection::stop`] does.
pub struct Detection {
    stop: watch::Sender<bool>,
    thread: std::thread::JoinHandle<Option<Dispatcher>>,
}

impl Detection {
    /// Stops the tail after its current batch and lets deliveries drain for `grace`.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let joined = tokio::task::spawn_blocking(move || self.thread.join());
        match tokio::time::timeout(grace + Duration::from_secs(5), joined).await {
            Ok(Ok(Ok(Some(dispatcher)))) => dispatcher.shutdown(grace).await,
            Ok(Ok(Ok(None))) => {}
            _ => tracing::warn!("the detectors did not stop in time"),
        }
    }
}

/// Dead letters go to the vault, written from the blocking pool the dispatcher calls on.
struct VaultDeadLetters {
    vault: Arc<Vault>,
    runtime: tokio::runtime::Handle,
}

impl DeadLetterSink for VaultDeadLetters {
    fn record(
        &self,
        letter: &phiguard_delivery::DeadLetter,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let stored = phiguard_store::DeadLetter {
            tenant: letter.tenant.clone(),
            alert: letter.alert_id.clone(),
            channel: letter.channel.clone(),
            attempts: letter.attempts,
            first_attempt: letter.first_attempt,
            last_attempt: letter.last_attempt,
            error: format!("{:?}: {}", letter.reason, letter.last_error),
        };
        self.runtime
            .block_on(self.vault.record_dead_letter(stored))
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
    }
}

/// Starts the detectors and alert delivery, or returns `None` when the configuration turns
/// detection off.
///
/// # Errors
///
/// An invalid rule or delivery configuration, an unreadable webhook secret, or a vault read
/// failure while building the directory: `phiguard serve` refuses to start rather than run
/// without the detectors it was configured with.
pub async fn start(
    vault: Arc<Vault>,
    settings: DetectionSettings,
    delivery: DeliveryConfig,
) -> Result<Option<Detection>, DetectionError> {
    settings.validate()?;
    if !settings.enabled {
        tracing::warn!(
            "detection is OFF (detection.enabled = false): no alerts will be raised for misuse \
             of PHI"
        );
        return Ok(None);
    }

    if phiguard_core::DetectionRule::ALL
        .iter()
        .all(|rule| !settings.rules.is_enabled(*rule))
    {
        tracing::warn!(
            "every detection rule is disabled in detection.rules: the detectors run but will \
             raise no alert"
        );
    }
    let directory = vault.detection_directory(None, &settings.baa_recipients, true)?;
    let mut detector = Detector::new(settings.rules.clone(), directory)
        .map_err(|e| DetectionError::Rules(e.to_string()))?;
    let dispatcher = start_delivery(&vault, &settings, delivery)?;

    // Learn history up to where judging starts: the cursor, or on a first start everything
    // committed so far.
    let cursor = match vault.detector_cursor()? {
        Some(cursor) => cursor,
        None => vault.latest_audit_seq()?,
    };
    let now = Timestamp::now();
    let since = now
        .checked_sub(i64::from(settings.warm_up_days).saturating_mul(24).hours())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut learnt = 0;
    for tenant in vault.tenants()? {
        learnt += vault.warm_detector(&mut detector, &tenant.id, since, now, cursor)?;
    }
    tracing::info!(
        learnt,
        cursor,
        warm_up_days = settings.warm_up_days,
        "detectors started"
    );
    for warning in detector.warnings() {
        tracing::warn!(%warning, "detection");
    }

    let (stop, stopped) = watch::channel(false);
    let tail = Tail {
        vault,
        detector,
        dispatcher,
        cursor,
        severities: HashMap::new(),
        poll: Duration::from_millis(settings.poll_milliseconds.max(10)),
        batch: settings.batch.clamp(1, 10_000),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| DetectionError::Start(format!("their runtime: {e}")))?;
    let thread = std::thread::Builder::new()
        .name("phiguard-detection".into())
        .spawn(move || {
            let tailed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(tail.run(stopped))
            }));
            tailed
                .map_err(|_| {
                    tracing::error!(
                        "the detectors stopped after an internal failure: no alert is raised \
                         until phiguard serve restarts (events are kept and judged then)"
                    );
                })
                .ok()
        })
        .map_err(|e| DetectionError::Start(format!("their thread: {e}")))?;
    Ok(Some(Detection { stop, thread }))
}

fn start_delivery(
    vault: &Arc<Vault>,
    settings: &DetectionSettings,
    delivery: DeliveryConfig,
) -> Result<Dispatcher, DetectionError> {
    let sink = Arc::new(VaultDeadLetters {
        vault: vault.clone(),
        runtime: tokio::runtime::Handle::current(),
    });
    let mut builder = Dispatcher::builder(delivery, sink);
    for (name, path) in &settings.webhook_secret_files {
        let secret_error = |reason: String| DetectionError::Secret {
            name: name.clone(),
            reason,
        };
        let metadata = std::fs::metadata(path)
            .map_err(|e| secret_error(format!("cannot read {}: {}", path.display(), e.kind())))?;
        if !metadata.is_file() || metadata.len() > MAX_SECRET_BYTES {
            return Err(secret_error(format!(
                "{} is not a regular file of at most {MAX_SECRET_BYTES} bytes",
                path.display()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if metadata.permissions().mode() & 0o077 != 0 {
                return Err(secret_error(format!(
                    "{} is readable by others; make it private (chmod 600)",
                    path.display()
                )));
            }
        }
        let bytes = std::fs::read(path)
            .map_err(|e| secret_error(format!("cannot read {}: {}", path.display(), e.kind())))?;
        let trimmed = bytes.trim_ascii();
        let secret = WebhookSecret::new(trimmed).map_err(|e| secret_error(e.to_string()))?;
        builder = builder.webhook_secret(name.clone(), secret);
    }
    builder
        .start()
        .map_err(|e| DetectionError::Delivery(e.to_string()))
}

/// The tail's state.
struct Tail {
    vault: Arc<Vault>,
    detector: Detector,
    dispatcher: Dispatcher,
    cursor: u64,
    /// The severity each open alert was last recorded at, to tell escalations from repeats.
    severities: HashMap<AlertId, Severity>,
    poll: Duration,
    batch: u32,
}

impl Tail {
    /// Tails until stopped; hands the dispatcher back so that the caller can drain it on the
    /// server's runtime, where its channels run.
    async fn run(mut self, mut stopped: watch::Receiver<bool>) -> Dispatcher {
        loop {
            if *stopped.borrow() {
                break;
            }
            let caught_up = match self.step().await {
                Ok(read) => read < self.batch as usize,
                Err(error) => {
                    tracing::error!(
                        %error,
                        cursor = self.cursor,
                        "the detectors failed a batch; retrying"
                    );
                    true
                }
            };
            if caught_up {
                tokio::select! {
                    () = tokio::time::sleep(self.poll) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
        self.dispatcher
    }

    /// Reads and judges one batch; returns how many events it read.
    async fn step(&mut self) -> Result<usize, phiguard_vault::VaultError> {
        let events = self.vault.audit_stream(self.cursor, self.batch)?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };

        // Per alert, its latest state in this batch and whether the batch raised it.
        let mut touched: Vec<AlertId> = Vec::new();
        let mut latest: HashMap<AlertId, (phiguard_core::Alert, bool)> = HashMap::new();
        for stored in &events {
            let event = &stored.event;
            // The detectors' own raisings are not judged again; anything that came with a
            // credential is, whatever the actor calls itself.
            if event.action == AuditAction::RaiseAlert && event.credential.is_none() {
                continue;
            }
            match event.action {
                AuditAction::PutActor => {
                    if let Some(actor) = event.target.as_deref().and_then(|t| t.parse().ok()) {
                        self.vault.refresh_detector_actor(
                            &mut self.detector,
                            &event.tenant,
                            &actor,
                        )?;
                    }
                }
                AuditAction::CreateTenant => {
                    let directory =
                        self.vault
                            .detection_directory(Some(&event.tenant), &[], true)?;
                    if let Some(profile) = directory.tenant(&event.tenant) {
                        self.detector
                            .put_tenant(event.tenant.clone(), profile.clone());
                    }
                }
                _ => {}
            }

            let changes = self
                .detector
                .observe(event, phiguard_vault::evidence(stored));
            for change in changes {
                let new = change.is_new();
                let alert = match change {
                    AlertChange::Raised(alert) | AlertChange::Updated(alert) => alert,
                };
                match latest.get_mut(&alert.id) {
                    Some(entry) => entry.0 = alert,
                    None => {
                        touched.push(alert.id.clone());
                        latest.insert(alert.id.clone(), (alert, new));
                    }
                }
            }
        }

        // One commit keeps every alert the batch touched, at its latest state, with the cursor.
        let batch: Vec<(phiguard_core::Alert, Option<Severity>)> = touched
            .iter()
            .filter_map(|id| latest.remove(id))
            .map(|(alert, new)| {
                let previous = if new {
                    None
                } else {
                    Some(
                        self.severities
                            .get(&alert.id)
                            .copied()
                            .unwrap_or(alert.severity),
                    )
                };
                (alert, previous)
            })
            .collect();
        let recordings = self.vault.record_alert_batch(&batch, last).await?;
        self.cursor = last;
        for ((alert, _), recording) in batch.iter().zip(recordings) {
            self.severities.insert(alert.id.clone(), alert.severity);
            if recording != AlertRecording::Folded {
                tracing::warn!(
                    alert = %alert.id,
                    rule = alert.rule.as_str(),
                    severity = alert.severity.as_str(),
                    tenant = %alert.tenant,
                    actor = %alert.actor,
                    occurrences = alert.occurrences,
                    "alert raised"
                );
                self.dispatcher.dispatch(alert);
            }
        }
        self.forget_closed_alerts();
        Ok(events.len())
    }

    /// Drops remembered severities of alerts the detector no longer holds open.
    fn forget_closed_alerts(&mut self) {
        if self.severities.len() < 4_096 {
            return;
        }
        let open: std::collections::HashSet<&AlertId> =
            self.detector.open_alerts().map(|a| &a.id).collect();
        self.severities.retain(|id, _| open.contains(id));
    }
}
