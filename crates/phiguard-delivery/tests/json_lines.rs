//! JSON lines: the line format, and a full queue dead-lettering instead of blocking.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::alert;
use phiguard_delivery::{
    DeadLetterReason, DeliveryConfig, Dispatcher, ENVELOPE_TYPE, ENVELOPE_VERSION, Envelope,
    MemoryDeadLetters,
};
use tokio::io::AsyncReadExt;

fn json_lines(queue_capacity: usize) -> DeliveryConfig {
    DeliveryConfig {
        json_lines: true,
        queue_capacity,
        ..DeliveryConfig::default()
    }
}

#[tokio::test]
async fn each_alert_is_one_compact_line_holding_its_envelope() {
    let sink = Arc::new(MemoryDeadLetters::new());
    let (writer, mut reader) = tokio::io::duplex(1 << 16);
    let dispatcher = Dispatcher::builder(json_lines(8), sink.clone())
        .json_lines_writer(writer)
        .start()
        .unwrap();
    let metrics = dispatcher.metrics();

    let mut with_newline = alert(2);
    with_newline.summary = "two\nlines and a \"quote\"".into();
    for alert in [alert(1), with_newline.clone()] {
        assert_eq!(dispatcher.dispatch(&alert).queued, 1);
    }
    dispatcher.shutdown(Duration::from_secs(5)).await;

    let mut output = String::new();
    reader.read_to_string(&mut output).await.unwrap();
    let lines: Vec<&str> = output.split_terminator('\n').collect();
    assert_eq!(lines.len(), 2, "{output}");
    assert!(output.ends_with('\n'));

    for (line, sent) in lines.iter().zip([alert(1), with_newline]) {
        let envelope: Envelope = serde_json::from_str(line).unwrap();
        assert_eq!(envelope.kind, ENVELOPE_TYPE);
        assert_eq!(envelope.version, ENVELOPE_VERSION);
        assert_eq!(envelope.alert, sent);
        assert_eq!(*line, serde_json::to_string(&envelope).unwrap(), "compact");
    }
    assert!(lines[0].starts_with(r#"{"type":"phiguard.alert","version":1,"alert":{"id":"alr_"#));

    assert_eq!(metrics.channel("stdout").unwrap().delivered, 2);
    assert!(sink.letters().is_empty());
}

#[tokio::test]
async fn a_full_queue_dead_letters_instead_of_blocking() {
    let sink = Arc::new(MemoryDeadLetters::new());
    // A writer nobody reads: after 16 bytes every write waits forever.
    let (writer, _reader) = tokio::io::duplex(16);
    let dispatcher = Dispatcher::builder(json_lines(2), sink.clone())
        .json_lines_writer(writer)
        .start()
        .unwrap();
    let metrics = dispatcher.metrics();

    let started = Instant::now();
    let mut refused = 0;
    for n in 0..50 {
        refused += dispatcher.dispatch(&alert(n)).dead_lettered;
        tokio::task::yield_now().await;
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "dispatching took {took:?}");
    // At most one alert in the writer and two in the queue.
    assert!(refused >= 47, "only {refused} refused");

    dispatcher.shutdown(Duration::from_millis(50)).await;
    let letters = sink.letters();
    assert_eq!(letters.len(), 50, "every alert is accounted for");
    let queue_full = letters
        .iter()
        .filter(|l| l.reason == DeadLetterReason::QueueFull)
        .count();
    assert_eq!(queue_full, refused);
    for letter in letters
        .iter()
        .filter(|l| l.reason == DeadLetterReason::QueueFull)
    {
        assert_eq!(letter.attempts, 0);
        assert_eq!(letter.first_attempt, letter.last_attempt);
        assert_eq!(letter.last_attempt, letter.recorded_at);
        assert_eq!(letter.channel, "stdout");
    }
    assert!(letters.iter().all(|l| matches!(
        l.reason,
        DeadLetterReason::QueueFull | DeadLetterReason::ShutDown
    )));

    let counts = metrics.channel("stdout").unwrap();
    assert_eq!((counts.delivered, counts.dead_lettered), (0, 50));
    assert_eq!(metrics.dead_letters_lost(), 0);
}
