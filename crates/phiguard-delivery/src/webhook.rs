//! Webhooks: a signed POST of the envelope, retried with backoff while a retry can help.
//!
//! | outcome | what happens |
//! | --- | --- |
//! | 2xx | delivered |
//! | connection error, TLS failure, timeout, 408, 429, 5xx | retried after a backoff |
//! | any other status (other 4xx, a redirect) | dead-lettered at once |
//!
//! A numeric `Retry-After` on a retried answer is honoured up to `max_backoff_ms`; after
//! `max_attempts` the alert is dead-lettered.

use std::time::Duration;

use hyper::StatusCode;
use hyper::header::HeaderValue;
use jiff::Timestamp;

use crate::backoff::{Backoff, Jitter};
use crate::channel::{Attempts, ChannelContext, Deliver, Job};
use crate::dead_letter::DeadLetterReason;
use crate::http::{Answer, HttpSender};
use crate::signature::{ALERT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSecret, sign};

/// One webhook's sender, secret and retry policy.
pub(crate) struct Webhook {
    pub(crate) sender: HttpSender,
    pub(crate) secret: WebhookSecret,
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) jitter: Jitter,
}

/// What one attempt's outcome means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Delivered,
    Retry {
        error: String,
        retry_after: Option<Duration>,
    },
    Refused(String),
}

fn judge(answer: Answer) -> Verdict {
    let status = answer.status;
    if status.is_success() {
        return Verdict::Delivered;
    }

    let retryable = status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS;
    if retryable {
        Verdict::Retry {
            error: format!("the receiver answered {status}"),
            retry_after: answer.retry_after,
        }
    } else {
        Verdict::Refused(format!(
            "the receiver answered {status}; only 408, 429 and 5xx are retried, and redirects \
             are not followed"
        ))
    }
}

impl Webhook {
    /// The headers of one attempt, signed for the time it starts.
    fn headers(&self, job: &Job) -> Vec<(&'static str, HeaderValue)> {
        let timestamp = Timestamp::now().as_second().to_string();
        let signature = sign(&self.secret, &timestamp, &job.envelope);
        let mut headers = Vec::with_capacity(3);
        if let Ok(id) = HeaderValue::from_str(job.alert.id.as_str()) {
            headers.push((ALERT_ID_HEADER, id));
        }
        if let Ok(timestamp) = HeaderValue::from_str(&timestamp) {
            headers.push((TIMESTAMP_HEADER, timestamp));
        }
        if let Ok(mut signature) = HeaderValue::from_str(&signature) {
            signature.set_sensitive(true);
            headers.push((SIGNATURE_HEADER, signature));
        }
        headers
    }
}

impl Deliver for Webhook {
    async fn deliver(&mut self, job: &Job, context: &ChannelContext) {
        let mut attempts = Attempts::default();

        loop {
            attempts.start();
            let headers = self.headers(job);
            let outcome = context
                .until_stopped(self.sender.post(&headers, job.envelope.clone()))
                .await;
            let verdict = match outcome {
                None => {
                    let error = "the dispatcher stopped during an attempt".to_owned();
                    context.give_up(job, DeadLetterReason::ShutDown, &attempts, error);
                    return;
                }
                Some(Ok(answer)) => judge(answer),
                Some(Err(error)) => Verdict::Retry {
                    error,
                    retry_after: None,
                },
            };

            let (error, retry_after) = match verdict {
                Verdict::Delivered => {
                    context.counters.delivered();
                    tracing::debug!(
                        alert_id = %job.alert.id,
                        channel = context.label,
                        attempts = attempts.count,
                        "alert delivered"
                    );
                    return;
                }
                Verdict::Refused(error) => {
                    context.give_up(job, DeadLetterReason::Refused, &attempts, error);
                    return;
                }
                Verdict::Retry { error, retry_after } => (error, retry_after),
            };
            if attempts.count >= self.max_attempts {
                context.give_up(job, DeadLetterReason::AttemptsExhausted, &attempts, error);
                return;
            }

            let wait = self.backoff.delay(attempts.count, self.jitter, retry_after);
            tracing::debug!(
                alert_id = %job.alert.id,
                channel = context.label,
                attempt = attempts.count,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %error,
                "webhook attempt failed; retrying"
            );
            if !context.sleep(wait).await {
                context.give_up(job, DeadLetterReason::ShutDown, &attempts, error);
                return;
            }
            context.counters.retried();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: u16, retry_after: Option<u64>) -> Answer {
        Answer {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn statuses_are_judged_as_the_table_says() {
        for code in [200, 201, 202, 204] {
            assert_eq!(judge(answer(code, None)), Verdict::Delivered, "{code}");
        }
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(judge(answer(code, None)), Verdict::Retry { .. }),
                "{code}"
            );
        }
        for code in [301, 302, 400, 401, 403, 404, 410, 413, 422] {
            assert!(
                matches!(judge(answer(code, None)), Verdict::Refused(_)),
                "{code}"
            );
        }
        assert_eq!(
            judge(answer(429, Some(7))),
            Verdict::Retry {
                error: "the receiver answered 429 Too Many Requests".into(),
                retry_after: Some(Duration::from_secs(7)),
            }
        );
    }
}
