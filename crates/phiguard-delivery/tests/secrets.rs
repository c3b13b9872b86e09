//! No secret in `Debug` output, errors, dead letters or logs: not the signing secret, not a
//! token in the webhook URL's path or query, not the body a receiver answered with.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Receiver, Reply, SECRET, alert, secret, webhook_config};
use phiguard_delivery::{DeadLetterReason, Dispatcher, MemoryDeadLetters, WebhookSecret, sign};

/// Everything a test must never find in what the crate shows.
const FORBIDDEN: [&str; 4] = [
    "must-not-leak",
    "t0ken-in-path",
    "t0ken-in-query",
    "receiver-body-secret",
];

fn assert_clean(what: &str, text: &str) {
    for forbidden in FORBIDDEN {
        assert!(
            !text.contains(forbidden),
            "{what} shows {forbidden}: {text}"
        );
    }
    let signature = sign(&secret(), "1700000000", b"x");
    assert!(
        !text.contains(&signature[3..19]),
        "{what} shows signature bytes"
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_and_url_tokens_never_show() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let refusal = Reply {
        status: 400,
        retry_after: None,
        body: "receiver-body-secret",
    };
    let receiver = Receiver::start(vec![Reply::status(503), refusal]).await;
    let url = receiver.url("http", "/hooks/t0ken-in-path?key=t0ken-in-query");
    let config = webhook_config("on-call", &url, 5, 1, 5);
    let sink = Arc::new(MemoryDeadLetters::new());
    let builder = Dispatcher::builder(config.clone(), sink.clone())
        .webhook_secret("on-call", WebhookSecret::new(SECRET).unwrap());

    assert_clean("the secret's Debug", &format!("{:?}", secret()));
    assert_clean("the configuration's Debug", &format!("{config:?}"));
    assert_clean("the builder's Debug", &format!("{builder:?}"));

    let dispatcher = builder.start().unwrap();
    assert_clean("the dispatcher's Debug", &format!("{dispatcher:?}"));
    dispatcher.dispatch(&alert(1));
    dispatcher.shutdown(Duration::from_secs(10)).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/hooks/t0ken-in-path?key=t0ken-in-query");
    let letters = sink.letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::Refused);
    assert_eq!(
        letters[0].channel,
        format!("webhook:on-call ({})", receiver.addr)
    );
    assert_clean("the dead letter", &format!("{:?}", letters[0]));
    assert_clean(
        "the dead letter's JSON",
        &serde_json::to_string(&letters[0]).unwrap(),
    );

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("alert dead-lettered"), "{logged}");
    assert!(
        logged.contains("webhook attempt failed; retrying"),
        "{logged}"
    );
    assert_clean("the logs", &logged);
}

#[tokio::test]
async fn errors_quote_neither_urls_nor_secrets() {
    let sink = Arc::new(MemoryDeadLetters::new());

    let bad_url = webhook_config(
        "on-call",
        "https://user:must-not-leak@hooks.example/t0ken-in-path",
        3,
        5,
        20,
    );
    let error = Dispatcher::builder(bad_url.clone(), sink.clone())
        .webhook_secret("on-call", secret())
        .start()
        .unwrap_err();
    assert_clean("a configuration error", &error.to_string());
    assert_clean("a configuration error's Debug", &format!("{error:?}"));
    assert_clean(
        "a validation error",
        &bad_url.validate().unwrap_err().to_string(),
    );

    let missing = webhook_config("on-call", "http://127.0.0.1:9/t0ken-in-path", 3, 5, 20);
    let error = Dispatcher::builder(missing, sink).start().unwrap_err();
    assert_clean("a start error", &error.to_string());

    let short = WebhookSecret::new(&SECRET[..20]).unwrap_err();
    assert_clean("a secret error", &format!("{short} {short:?}"));
}
