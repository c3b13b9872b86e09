//! Webhooks against receivers on 127.0.0.1: retries, backoff, Retry-After, refusals, dead
//! receivers, signatures, TLS, and a dead webhook not holding up other channels.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Receiver, Reply, Silent, alert, closed_port, secret, webhook_config};
use phiguard_core::Timestamp;
use phiguard_delivery::{
    ALERT_ID_HEADER, DeadLetterReason, DeliveryConfig, Dispatcher, ENVELOPE_TYPE, ENVELOPE_VERSION,
    Envelope, Jitter, MemoryDeadLetters, SIGNATURE_HEADER, StartError, TIMESTAMP_HEADER,
    verify_signature,
};
use tokio::io::AsyncBufReadExt;

const GRACE: Duration = Duration::from_secs(30);

fn start(config: DeliveryConfig, jitter: Jitter) -> (Dispatcher, Arc<MemoryDeadLetters>) {
    let sink = Arc::new(MemoryDeadLetters::new());
    let dispatcher = Dispatcher::builder(config, sink.clone())
        .webhook_secret("on-call", secret())
        .jitter(jitter)
        .start()
        .expect("the dispatcher starts");
    (dispatcher, sink)
}

#[tokio::test]
async fn a_receiver_that_recovers_gets_the_alert_once_signed_after_growing_waits() {
    let failures = 3;
    let receiver = Receiver::start(vec![Reply::status(503); failures]).await;
    let config = webhook_config("on-call", &receiver.url("http", "/alerts"), 8, 60, 5_000);
    let (dispatcher, sink) = start(config, Jitter::None);
    let metrics = dispatcher.metrics();

    let sent = alert(1);
    assert_eq!(dispatcher.dispatch(&sent).queued, 1);
    dispatcher.shutdown(GRACE).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), failures + 1);
    let accepted: Vec<_> = requests.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(accepted.len(), 1, "delivered exactly once");
    assert_eq!(requests.last().unwrap().answered, 200);

    for request in &requests {
        assert_eq!(request.path, "/alerts");
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(request.header(ALERT_ID_HEADER), sent.id.as_str());
        assert_eq!(
            request.body, requests[0].body,
            "every attempt sends the same body"
        );
        verify_signature(
            &secret(),
            request.header(TIMESTAMP_HEADER),
            &request.body,
            request.header(SIGNATURE_HEADER),
            Timestamp::now(),
            Duration::from_secs(300),
        )
        .unwrap();
    }
    let envelope: Envelope = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(envelope.kind, ENVELOPE_TYPE);
    assert_eq!(envelope.version, ENVELOPE_VERSION);
    assert_eq!(envelope.alert, sent);

    // Without jitter each wait is its ceiling: 60, 120, 240 ms.
    let gaps: Vec<Duration> = requests
        .windows(2)
        .map(|pair| pair[1].at - pair[0].at)
        .collect();
    for (retry, gap) in gaps.iter().enumerate() {
        let ceiling = Duration::from_millis(60 << retry);
        assert!(
            *gap >= ceiling,
            "wait {retry} was {gap:?}, below {ceiling:?}"
        );
    }
    assert!(gaps[2] > gaps[0], "waits grow: {gaps:?}");

    let counts = metrics.channels();
    assert_eq!(
        counts[0].channel,
        format!("webhook:on-call ({})", receiver.addr)
    );
    assert_eq!(
        (
            counts[0].delivered,
            counts[0].retried,
            counts[0].dead_lettered
        ),
        (1, 3, 0)
    );
    assert!(sink.letters().is_empty());
}

#[tokio::test]
async fn a_receiver_down_for_good_dead_letters_after_max_attempts() {
    let port = closed_port().await;
    let config = webhook_config("on-call", &format!("http://{port}/alerts"), 4, 5, 20);
    let (dispatcher, sink) = start(config, Jitter::Full);
    let metrics = dispatcher.metrics();

    dispatcher.dispatch(&alert(2));
    dispatcher.shutdown(GRACE).await;

    let letters = sink.letters();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.alert_id, alert(2).id);
    assert_eq!(letter.tenant.as_str(), "northwind");
    assert_eq!(letter.channel, format!("webhook:on-call ({port})"));
    assert_eq!(letter.reason, DeadLetterReason::AttemptsExhausted);
    assert_eq!(letter.attempts, 4);
    assert!(letter.first_attempt < letter.last_attempt);
    assert!(letter.last_attempt <= letter.recorded_at);
    assert!(
        letter.last_error.contains("cannot connect"),
        "{}",
        letter.last_error
    );

    let counts = metrics.channels();
    assert_eq!(
        (
            counts[0].delivered,
            counts[0].retried,
            counts[0].dead_lettered
        ),
        (0, 3, 1)
    );
}

#[tokio::test]
async fn a_bad_request_is_dead_lettered_at_once() {
    let receiver = Receiver::start(vec![Reply::status(400)]).await;
    let config = webhook_config("on-call", &receiver.url("http", "/"), 8, 5, 20);
    let (dispatcher, sink) = start(config, Jitter::Full);
    let metrics = dispatcher.metrics();

    dispatcher.dispatch(&alert(3));
    dispatcher.shutdown(GRACE).await;

    assert_eq!(receiver.requests().len(), 1, "a refusal is not retried");
    let letters = sink.letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::Refused);
    assert_eq!(letters[0].attempts, 1);
    assert!(
        letters[0].last_error.contains("400 Bad Request"),
        "{}",
        letters[0].last_error
    );
    assert_eq!(metrics.channels()[0].retried, 0);
}

#[tokio::test]
async fn too_many_requests_waits_as_long_as_retry_after_asks() {
    let busy = Reply {
        status: 429,
        retry_after: Some("1"),
        body: "",
    };
    let receiver = Receiver::start(vec![busy]).await;
    let config = webhook_config("on-call", &receiver.url("http", "/"), 3, 1, 5_000);
    let (dispatcher, sink) = start(config, Jitter::Full);

    dispatcher.dispatch(&alert(4));
    dispatcher.shutdown(GRACE).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_secs(1), "waited only {gap:?}");
    assert!(sink.letters().is_empty());
}

#[tokio::test]
async fn retry_after_is_capped_at_the_maximum_backoff() {
    let busy = Reply {
        status: 503,
        retry_after: Some("3600"),
        body: "",
    };
    let receiver = Receiver::start(vec![busy]).await;
    let config = webhook_config("on-call", &receiver.url("http", "/"), 3, 1, 200);
    let (dispatcher, _sink) = start(config, Jitter::Full);

    dispatcher.dispatch(&alert(5));
    dispatcher.shutdown(GRACE).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(200), "{gap:?}");
    assert!(gap < Duration::from_secs(5), "{gap:?}");
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_and_is_retried() {
    let silent = Silent::start().await;
    let mut config = webhook_config("on-call", &format!("http://{}/", silent.addr), 2, 5, 20);
    config.webhooks[0].timeout_ms = 100;
    let (dispatcher, sink) = start(config, Jitter::Full);

    dispatcher.dispatch(&alert(6));
    dispatcher.shutdown(GRACE).await;

    let letters = sink.letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attempts, 2);
    assert_eq!(letters[0].last_error, "no answer within 100 ms");
}

#[tokio::test]
async fn a_hanging_webhook_does_not_delay_json_lines_and_shutdown_dead_letters_it() {
    let silent = Silent::start().await;
    let mut config = webhook_config("on-call", &format!("http://{}/", silent.addr), 8, 5, 20);
    config.webhooks[0].timeout_ms = 60_000;
    config.json_lines = true;
    let sink = Arc::new(MemoryDeadLetters::new());
    let (writer, reader) = tokio::io::duplex(1 << 16);
    let dispatcher = Dispatcher::builder(config, sink.clone())
        .webhook_secret("on-call", secret())
        .json_lines_writer(writer)
        .start()
        .unwrap();

    assert_eq!(dispatcher.dispatch(&alert(7)).queued, 2);
    let mut lines = tokio::io::BufReader::new(reader).lines();
    let line = tokio::time::timeout(Duration::from_secs(2), lines.next_line())
        .await
        .expect("the JSON line arrives while the webhook hangs")
        .unwrap()
        .unwrap();
    assert!(line.contains(alert(7).id.as_str()));

    dispatcher.shutdown(Duration::from_millis(100)).await;
    let letters = sink.letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::ShutDown);
    assert!(letters[0].channel.starts_with("webhook:on-call"));
}

#[tokio::test]
async fn every_webhook_needs_its_secret_and_every_secret_a_webhook() {
    let config = webhook_config("on-call", "http://127.0.0.1:9/", 3, 5, 20);
    let sink = Arc::new(MemoryDeadLetters::new());

    let missing = Dispatcher::builder(config.clone(), sink.clone())
        .start()
        .unwrap_err();
    assert!(matches!(missing, StartError::MissingSecret { .. }));
    assert_eq!(
        missing.to_string(),
        "delivery.webhooks[0] (webhook on-call) has no signing secret; give the dispatcher one \
         under that name"
    );

    let unknown = Dispatcher::builder(config, sink)
        .webhook_secret("on-call", secret())
        .webhook_secret("oncall", secret())
        .start()
        .unwrap_err();
    assert!(matches!(unknown, StartError::UnknownSecret { .. }));
}

#[test]
fn starting_outside_a_runtime_is_an_error_not_a_panic() {
    let sink = Arc::new(MemoryDeadLetters::new());
    let error = Dispatcher::builder(DeliveryConfig::default(), sink)
        .start()
        .unwrap_err();
    assert!(matches!(error, StartError::NoRuntime), "{error}");
}

mod tls {
    use super::*;

    /// A certificate for 127.0.0.1, its PEM file and a server configuration using it.
    fn certificate(dir: &tempfile::TempDir) -> (std::path::PathBuf, Arc<rustls::ServerConfig>) {
        let issued = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
        let path = dir.path().join("receiver-ca.pem");
        std::fs::write(&path, issued.cert.pem()).expect("writing the certificate");

        let key = rustls::pki_types::PrivateKeyDer::try_from(issued.signing_key.serialize_der())
            .expect("the key in DER");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![issued.cert.der().clone()], key)
            .expect("the certificate and key");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        (path, Arc::new(config))
    }

    #[tokio::test]
    async fn https_with_the_receivers_ca_file_delivers_signed() {
        let dir = tempfile::tempdir().unwrap();
        let (ca_file, server) = certificate(&dir);
        let receiver = Receiver::start_tls(vec![], server).await;
        let mut config = webhook_config("on-call", &receiver.url("https", "/tls"), 2, 5, 20);
        config.webhooks[0].ca_file = Some(ca_file);
        let (dispatcher, sink) = start(config, Jitter::Full);
        let metrics = dispatcher.metrics();

        dispatcher.dispatch(&alert(8));
        dispatcher.shutdown(GRACE).await;

        assert!(sink.letters().is_empty(), "{:?}", sink.letters());
        let requests = receiver.requests();
        assert_eq!(requests.len(), 1);
        verify_signature(
            &secret(),
            requests[0].header(TIMESTAMP_HEADER),
            &requests[0].body,
            requests[0].header(SIGNATURE_HEADER),
            Timestamp::now(),
            Duration::from_secs(300),
        )
        .unwrap();
        assert_eq!(metrics.channels()[0].delivered, 1);
    }

    #[tokio::test]
    async fn https_to_a_receiver_nobody_vouches_for_is_dead_lettered() {
        let dir = tempfile::tempdir().unwrap();
        let (_ca_file, server) = certificate(&dir);
        let receiver = Receiver::start_tls(vec![], server).await;
        let config = webhook_config("on-call", &receiver.url("https", "/tls"), 1, 5, 20);
        let (dispatcher, sink) = start(config, Jitter::Full);

        dispatcher.dispatch(&alert(9));
        dispatcher.shutdown(GRACE).await;

        assert!(receiver.requests().is_empty());
        let letters = sink.letters();
        assert_eq!(letters.len(), 1);
        assert!(
            letters[0]
                .last_error
                .starts_with("TLS handshake failed: invalid peer certificate"),
            "{}",
            letters[0].last_error
        );
    }

    #[tokio::test]
    async fn an_unreadable_ca_file_stops_the_start_naming_the_key() {
        let mut config = webhook_config("on-call", "https://127.0.0.1:9/", 1, 5, 20);
        config.webhooks[0].ca_file = Some("/nonexistent/ca.pem".into());
        let sink = Arc::new(MemoryDeadLetters::new());
        let error = Dispatcher::builder(config, sink)
            .webhook_secret("on-call", secret())
            .start()
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("delivery.webhooks[0].ca_file cannot use TLS"),
            "{message}"
        );
    }
}
