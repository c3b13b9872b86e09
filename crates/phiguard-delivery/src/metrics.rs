//! Delivery counters per channel, readable at any time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counters of one channel.
#[derive(Debug, Default)]
pub(crate) struct ChannelCounters {
    delivered: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
}

impl ChannelCounters {
    pub(crate) fn delivered(&self) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dead_lettered(&self) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one channel has done since the dispatcher started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMetrics {
    /// The channel's label, as in dead letters.
    pub channel: String,
    /// Alerts delivered.
    pub delivered: u64,
    /// Retries: attempts after an alert's first.
    pub retried: u64,
    /// Alerts dead-lettered, whatever the reason.
    pub dead_lettered: u64,
}

/// Counts dead letters that could not be kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct LostLetters(Arc<AtomicU64>);

impl LostLetters {
    pub(crate) fn lost(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The dispatcher's counters; cheap to clone and read from another task (for `/metrics`).
#[derive(Debug, Clone, Default)]
pub struct DeliveryMetrics {
    channels: Arc<Vec<(String, Arc<ChannelCounters>)>>,
    lost: Arc<AtomicU64>,
}

impl DeliveryMetrics {
    pub(crate) fn new(channels: Vec<(String, Arc<ChannelCounters>)>, lost: LostLetters) -> Self {
        DeliveryMetrics {
            channels: Arc::new(channels),
            lost: lost.0,
        }
    }

    /// Every channel's counters, in the order the channels were configured: JSON lines,
    /// the webhooks, then syslog.
    pub fn channels(&self) -> Vec<ChannelMetrics> {
        self.channels
            .iter()
            .map(|(channel, counters)| ChannelMetrics {
                channel: channel.clone(),
                delivered: counters.delivered.load(Ordering::Relaxed),
                retried: counters.retried.load(Ordering::Relaxed),
                dead_lettered: counters.dead_lettered.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The counters of the channel labelled `channel`, if there is one.
    pub fn channel(&self, channel: &str) -> Option<ChannelMetrics> {
        self.channels().into_iter().find(|c| c.channel == channel)
    }

    /// Dead letters that could not be kept: the dead-letter queue was full or the sink
    /// returned an error. Each is also logged with its alert id.
    pub fn dead_letters_lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }
}
