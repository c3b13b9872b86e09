//! What every channel's task shares: its queue, its counters, the way to the dead letters and
//! the stop signal.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use jiff::Timestamp;
use phiguard_core::Alert;
use tokio::sync::{mpsc, watch};

use crate::dead_letter::{DeadLetter, DeadLetterReason};
use crate::metrics::{ChannelCounters, LostLetters};

/// One alert on its way, with its envelope encoded once for every channel.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) alert: Alert,
    pub(crate) envelope: Bytes,
}

/// The attempts made for one alert on one channel.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Attempts {
    pub(crate) count: u32,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Attempts {
    /// Notes that an attempt starts now.
    pub(crate) fn start(&mut self) {
        let now = Timestamp::now();
        self.count = self.count.saturating_add(1);
        self.first.get_or_insert(now);
        self.last = Some(now);
    }
}

/// Hands dead letters to the task that keeps them, never waiting.
#[derive(Clone)]
pub(crate) struct DeadLetterOutbox {
    pub(crate) sender: mpsc::Sender<DeadLetter>,
    pub(crate) lost: LostLetters,
}

impl DeadLetterOutbox {
    /// Gives up on `alert` for `channel`: logs it, counts it and queues the dead letter.
    pub(crate) fn give_up(
        &self,
        alert: &Alert,
        channel: &str,
        counters: &ChannelCounters,
        reason: DeadLetterReason,
        attempts: &Attempts,
        last_error: String,
    ) {
        counters.dead_lettered();
        tracing::warn!(
            alert_id = %alert.id,
            tenant = %alert.tenant,
            channel,
            reason = reason.as_str(),
            attempts = attempts.count,
            error = %last_error,
            "alert dead-lettered"
        );

        let now = Timestamp::now();
        let letter = DeadLetter {
            alert_id: alert.id.clone(),
            tenant: alert.tenant.clone(),
            channel: channel.to_owned(),
            reason,
            attempts: attempts.count,
            first_attempt: attempts.first.unwrap_or(now),
            last_attempt: attempts.last.unwrap_or(now),
            last_error,
            recorded_at: now,
        };
        if self.sender.try_send(letter).is_err() {
            self.lost.lost();
            tracing::error!(
                alert_id = %alert.id,
                channel,
                "dead letter lost: the dead-letter queue is full or closed"
            );
        }
    }
}

/// What a channel's task knows besides its transport.
pub(crate) struct ChannelContext {
    pub(crate) label: String,
    pub(crate) counters: Arc<ChannelCounters>,
    pub(crate) outbox: DeadLetterOutbox,
    pub(crate) stop: watch::Receiver<bool>,
}

impl ChannelContext {
    /// Gives up on `job` on this channel.
    pub(crate) fn give_up(
        &self,
        job: &Job,
        reason: DeadLetterReason,
        attempts: &Attempts,
        last_error: String,
    ) {
        self.outbox.give_up(
            &job.alert,
            &self.label,
            &self.counters,
            reason,
            attempts,
            last_error,
        );
    }

    /// Resolves once the dispatcher says stop (or is gone without saying it).
    pub(crate) async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|stop| *stop).await;
    }

    /// Runs `work` unless the dispatcher says stop first (`None` then).
    pub(crate) async fn until_stopped<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            () = self.stopped() => None,
            done = work => Some(done),
        }
    }

    /// Sleeps for `wait`; false when the dispatcher said stop meanwhile.
    pub(crate) async fn sleep(&self, wait: Duration) -> bool {
        self.until_stopped(tokio::time::sleep(wait)).await.is_some()
    }
}

/// A channel's way of delivering one alert. It counts deliveries and retries and gives up
/// through the context; the shared loop does the rest.
pub(crate) trait Deliver: Send + 'static {
    /// Delivers `job`, retrying as the channel does, until it is delivered, given up on or the
    /// dispatcher says stop.
    fn deliver(&mut self, job: &Job, context: &ChannelContext) -> impl Future<Output = ()> + Send;
}

/// A channel's task: takes alerts off the queue one at a time until the queue closes (the
/// dispatcher shut down and everything queued is done) or the dispatcher says stop, when
/// what is still queued is dead-lettered.
pub(crate) async fn run<D: Deliver>(
    mut channel: D,
    mut queue: mpsc::Receiver<Arc<Job>>,
    context: ChannelContext,
) {
    loop {
        let next = tokio::select! {
            biased;
            () = context.stopped() => break,
            next = queue.recv() => next,
        };
        let Some(job) = next else {
            return;
        };
        channel.deliver(&job, &context).await;
    }

    queue.close();
    while let Ok(job) = queue.try_recv() {
        context.give_up(
            &job,
            DeadLetterReason::ShutDown,
            &Attempts::default(),
            "the dispatcher stopped before this alert was attempted".to_owned(),
        );
    }
}
