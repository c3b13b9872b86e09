//! JSON lines: one compact envelope per line, on standard output or any writer.

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::channel::{Attempts, ChannelContext, Deliver, Job};
use crate::dead_letter::DeadLetterReason;

/// The JSON lines channel's label, whatever the writer.
pub(crate) const LABEL: &str = "stdout";

/// Writes each alert as one line. A failed write is not retried: a writer that failed once
/// (a closed pipe) rarely recovers.
pub(crate) struct JsonLines {
    pub(crate) writer: Box<dyn AsyncWrite + Send + Unpin>,
}

impl Deliver for JsonLines {
    async fn deliver(&mut self, job: &Job, context: &ChannelContext) {
        let mut attempts = Attempts::default();
        attempts.start();

        let mut line = Vec::with_capacity(job.envelope.len() + 1);
        line.extend_from_slice(&job.envelope);
        line.push(b'\n');
        let written = context
            .until_stopped(async {
                self.writer.write_all(&line).await?;
                self.writer.flush().await
            })
            .await;

        match written {
            Some(Ok(())) => context.counters.delivered(),
            Some(Err(error)) => context.give_up(
                job,
                DeadLetterReason::AttemptsExhausted,
                &attempts,
                format!("writing the line failed: {}", error.kind()),
            ),
            None => context.give_up(
                job,
                DeadLetterReason::ShutDown,
                &attempts,
                "the dispatcher stopped while the line was being written".to_owned(),
            ),
        }
    }
}
