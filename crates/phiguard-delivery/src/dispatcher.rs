//! The dispatcher: one bounded queue and one task per channel, and a task that keeps dead
//! letters.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use phiguard_core::Alert;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::backoff::{Backoff, Jitter};
use crate::channel::{Attempts, ChannelContext, DeadLetterOutbox, Deliver, Job, run};
use crate::config::{CONFIG_TABLE, ConfigError, DeliveryConfig, Scheme, WebhookUrl};
use crate::dead_letter::{DeadLetter, DeadLetterReason, DeadLetterSink};
use crate::envelope;
use crate::http::{HttpSender, PlatformRoots, tls_config};
use crate::json_lines::{self, JsonLines};
use crate::metrics::{ChannelCounters, DeliveryMetrics, LostLetters};
use crate::signature::WebhookSecret;
use crate::syslog::{self, Syslog};
use crate::webhook::Webhook;

/// Why the dispatcher cannot start. Messages name keys under `[delivery]` and webhooks by
/// name, never a URL or a secret.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `start` was called outside a tokio runtime.
    #[error("the delivery dispatcher must be started from within a tokio runtime")]
    NoRuntime,
    /// A configured webhook was given no signing secret.
    #[error(
        "{key} (webhook {name}) has no signing secret; give the dispatcher one under that name"
    )]
    MissingSecret {
        /// The webhook's key, such as `delivery.webhooks[0]`.
        key: String,
        /// The webhook's name.
        name: String,
    },
    /// A secret was given for a name no webhook has.
    #[error(
        "a signing secret was given for webhook {name}, which the configuration does not name; \
         check the spelling against {CONFIG_TABLE}.webhooks"
    )]
    UnknownSecret {
        /// The name the secret was given under.
        name: String,
    },
    /// An https webhook's trust roots cannot be set up.
    #[error("{key} cannot use TLS: {problem}")]
    Tls {
        /// The webhook's key, such as `delivery.webhooks[0].ca_file`.
        key: String,
        /// What is wrong, in words.
        problem: String,
    },
}

/// What happened to one dispatched alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dispatched {
    /// Channels whose queue took the alert.
    pub queued: usize,
    /// Channels that dead-lettered it at once (queue full, or the alert could not be encoded).
    pub dead_lettered: usize,
}

/// Builds a [`Dispatcher`]: the configuration, the dead-letter sink, the webhooks' secrets.
pub struct DispatcherBuilder {
    config: DeliveryConfig,
    sink: Arc<dyn DeadLetterSink>,
    secrets: Vec<(String, WebhookSecret)>,
    json_writer: Option<Box<dyn AsyncWrite + Send + Unpin>>,
    jitter: Jitter,
}

impl fmt::Debug for DispatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret_names: Vec<&str> = self.secrets.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("DispatcherBuilder")
            .field("config", &self.config)
            .field("secrets_for", &secret_names)
            .field("json_writer", &self.json_writer.as_ref().map(|_| "custom"))
            .field("jitter", &self.jitter)
            .finish_non_exhaustive()
    }
}

impl DispatcherBuilder {
    /// Gives the signing secret of the webhook named `name`. Every configured webhook needs
    /// one; giving one twice keeps the last.
    pub fn webhook_secret(mut self, name: impl Into<String>, secret: WebhookSecret) -> Self {
        let name = name.into();
        self.secrets.retain(|(known, _)| *known != name);
        self.secrets.push((name, secret));
        self
    }

    /// Sends JSON lines to `writer` instead of standard output. The channel still runs only
    /// when `json_lines` is on.
    pub fn json_lines_writer(mut self, writer: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        self.json_writer = Some(Box::new(writer));
        self
    }

    /// How retry waits are drawn (full jitter unless changed; [`Jitter::None`] for tests).
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Validates the configuration, reads the trust roots of https webhooks and starts one task
    /// per channel and one for dead letters on the current tokio runtime.
    pub fn start(mut self) -> Result<Dispatcher, StartError> {
        self.config.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let webhooks = self.webhooks()?;

        let capacity = self.config.queue_capacity;
        let channel_count = webhooks.len()
            + usize::from(self.config.json_lines)
            + usize::from(self.config.syslog.is_some());
        let (stop, stop_signal) = watch::channel(false);
        let (letters, letter_queue) = mpsc::channel(capacity.max(64) * channel_count.max(1));
        let lost = LostLetters::default();
        let outbox = DeadLetterOutbox {
            sender: letters,
            lost: lost.clone(),
        };
        let mut channels = Channels {
            runtime: &runtime,
            capacity,
            stop: stop_signal,
            outbox: outbox.clone(),
            queues: Vec::with_capacity(channel_count),
            workers: Vec::with_capacity(channel_count),
        };

        if self.config.json_lines {
            let writer = self
                .json_writer
                .take()
                .unwrap_or_else(|| Box::new(tokio::io::stdout()));
            channels.spawn(json_lines::LABEL.to_owned(), JsonLines { writer });
        }
        for (label, webhook) in webhooks {
            channels.spawn(label, webhook);
        }
        if let Some(config) = &self.config.syslog {
            let channel = Syslog {
                header: syslog::Header::from_config(config),
                transport: syslog::Transport::from_config(config),
                max_attempts: config.max_attempts,
                timeout: Duration::from_millis(config.timeout_ms),
                backoff: Syslog::BACKOFF,
                jitter: self.jitter,
            };
            channels.spawn(syslog::LABEL.to_owned(), channel);
        }

        let Channels {
            queues, workers, ..
        } = channels;
        let counters = queues
            .iter()
            .map(|queue| (queue.label.clone(), queue.counters.clone()))
            .collect();
        let metrics = DeliveryMetrics::new(counters, lost.clone());
        let keeper = runtime.spawn(keep_dead_letters(letter_queue, self.sink, lost));
        if queues.is_empty() {
            tracing::warn!(
                "no delivery channel is configured: alerts are kept and listed by the vault but \
                 not pushed to anyone; configure [delivery]"
            );
        }

        Ok(Dispatcher {
            queues,
            outbox,
            metrics,
            workers,
            keeper,
            stop,
        })
    }

    /// The webhooks' channels, each with its secret, sender and retry policy.
    fn webhooks(&self) -> Result<Vec<(String, Webhook)>, StartError> {
        for (name, _) in &self.secrets {
            if !self.config.webhooks.iter().any(|w| w.name == *name) {
                return Err(StartError::UnknownSecret { name: name.clone() });
            }
        }

        let needs_roots = self.config.webhooks.iter().any(|webhook| {
            WebhookUrl::parse(&webhook.url).is_ok_and(|url| url.scheme == Scheme::Https)
        });
        let roots = needs_roots.then(PlatformRoots::load);

        let mut channels = Vec::with_capacity(self.config.webhooks.len());
        for (index, config) in self.config.webhooks.iter().enumerate() {
            let key = format!("{CONFIG_TABLE}.webhooks[{index}]");
            let Some((_, secret)) = self.secrets.iter().find(|(name, _)| *name == config.name)
            else {
                return Err(StartError::MissingSecret {
                    key,
                    name: config.name.clone(),
                });
            };

            let url = config.target(&key)?;
            let tls = match (url.scheme, &roots) {
                (Scheme::Https, Some(roots)) => Some(
                    tls_config(roots, config.ca_file.as_deref()).map_err(|problem| {
                        StartError::Tls {
                            key: format!("{key}.ca_file"),
                            problem,
                        }
                    })?,
                ),
                _ => None,
            };
            let timeout = Duration::from_millis(config.timeout_ms);
            let sender = HttpSender::new(url, tls, timeout).map_err(|problem| StartError::Tls {
                key: format!("{key}.url"),
                problem,
            })?;

            let webhook = Webhook {
                sender,
                secret: secret.clone(),
                max_attempts: config.max_attempts,
                backoff: Backoff {
                    initial: Duration::from_millis(config.initial_backoff_ms),
                    max: Duration::from_millis(config.max_backoff_ms),
                },
                jitter: self.jitter,
            };
            channels.push((config.channel_name(), webhook));
        }
        Ok(channels)
    }
}

/// Spawns channels while the dispatcher starts.
struct Channels<'a> {
    runtime: &'a tokio::runtime::Handle,
    capacity: usize,
    stop: watch::Receiver<bool>,
    outbox: DeadLetterOutbox,
    queues: Vec<ChannelQueue>,
    workers: Vec<JoinHandle<()>>,
}

impl Channels<'_> {
    fn spawn<D: Deliver>(&mut self, label: String, channel: D) {
        let counters = Arc::new(ChannelCounters::default());
        let (sender, queue) = mpsc::channel::<Arc<Job>>(self.capacity);

        let context = ChannelContext {
            label: label.clone(),
            counters: counters.clone(),
            outbox: self.outbox.clone(),
            stop: self.stop.clone(),
        };
        self.workers
            .push(self.runtime.spawn(run(channel, queue, context)));
        self.queues.push(ChannelQueue {
            label,
            sender,
            counters,
        });
    }
}

/// The dispatching side of one channel.
struct ChannelQueue {
    label: String,
    sender: mpsc::Sender<Arc<Job>>,
    counters: Arc<ChannelCounters>,
}

/// Delivers alerts to the configured channels without ever making the caller wait.
///
/// Each channel has a bounded queue and a task of its own, so a webhook that hangs delays
/// neither syslog nor the other webhooks. An alert that finds a queue full is dead-lettered
/// for that channel at once.
pub struct Dispatcher {
    queues: Vec<ChannelQueue>,
    outbox: DeadLetterOutbox,
    metrics: DeliveryMetrics,
    workers: Vec<JoinHandle<()>>,
    keeper: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channels: Vec<&str> = self.queues.iter().map(|q| q.label.as_str()).collect();
        f.debug_struct("Dispatcher")
            .field("channels", &channels)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Starts building a dispatcher for `config` whose dead letters go to `sink`.
    pub fn builder(config: DeliveryConfig, sink: Arc<dyn DeadLetterSink>) -> DispatcherBuilder {
        DispatcherBuilder {
            config,
            sink,
            secrets: Vec::new(),
            json_writer: None,
            jitter: Jitter::default(),
        }
    }

    /// Queues `alert` on every channel and returns at once: it never waits for a queue, a
    /// socket or the dead-letter sink.
    pub fn dispatch(&self, alert: &Alert) -> Dispatched {
        let mut dispatched = Dispatched::default();
        let nothing_tried = Attempts::default();

        let envelope = match envelope::encode(alert) {
            Ok(envelope) => envelope,
            Err(_) => {
                for queue in &self.queues {
                    self.outbox.give_up(
                        alert,
                        &queue.label,
                        &queue.counters,
                        DeadLetterReason::Unencodable,
                        &nothing_tried,
                        "the alert could not be written as JSON".to_owned(),
                    );
                    dispatched.dead_lettered += 1;
                }
                return dispatched;
            }
        };

        let job = Arc::new(Job {
            alert: alert.clone(),
            envelope,
        });
        for queue in &self.queues {
            let (reason, error) = match queue.sender.try_send(job.clone()) {
                Ok(()) => {
                    dispatched.queued += 1;
                    continue;
                }
                Err(TrySendError::Full(_)) => (
                    DeadLetterReason::QueueFull,
                    "the channel's queue was full; raise queue_capacity if this is not a burst",
                ),
                Err(TrySendError::Closed(_)) => {
                    (DeadLetterReason::ShutDown, "the channel's task has ended")
                }
            };
            self.outbox.give_up(
                alert,
                &queue.label,
                &queue.counters,
                reason,
                &nothing_tried,
                error.to_owned(),
            );
            dispatched.dead_lettered += 1;
        }
        dispatched
    }

    /// The delivery counters, to read now or keep for later.
    pub fn metrics(&self) -> DeliveryMetrics {
        self.metrics.clone()
    }

    /// Stops taking alerts and lets each channel finish its queue for up to `grace`; then
    /// channels stop retrying, and every alert not yet delivered is dead-lettered as
    /// [`DeadLetterReason::ShutDown`]. Returns once the sink has every dead letter.
    pub async fn shutdown(self, grace: Duration) {
        let Dispatcher {
            queues,
            outbox,
            metrics: _,
            workers,
            keeper,
            stop,
        } = self;
        drop(queues);
        drop(outbox);

        let mut pending: VecDeque<JoinHandle<()>> = workers.into();
        let drained = tokio::time::timeout(grace, async {
            while let Some(worker) = pending.front_mut() {
                let _ = worker.await;
                pending.pop_front();
            }
        })
        .await;
        if drained.is_err() {
            let _ = stop.send(true);
            for worker in pending {
                let _ = worker.await;
            }
        }

        let _ = keeper.await;
    }
}

/// Hands dead letters to the sink one at a time, on the blocking pool.
async fn keep_dead_letters(
    mut queue: mpsc::Receiver<DeadLetter>,
    sink: Arc<dyn DeadLetterSink>,
    lost: LostLetters,
) {
    while let Some(letter) = queue.recv().await {
        let alert_id = letter.alert_id.clone();
        let channel = letter.channel.clone();
        let sink = sink.clone();

        let kept = tokio::task::spawn_blocking(move || {
            sink.record(&letter).map_err(|error| error.to_string())
        })
        .await;
        let problem = match kept {
            Ok(Ok(())) => continue,
            Ok(Err(error)) => error,
            Err(_) => "the sink panicked".to_owned(),
        };
        lost.lost();
        tracing::error!(
            alert_id = %alert_id,
            channel,
            error = %problem,
            "the dead-letter sink could not keep a dead letter"
        );
    }
}
