//! Syslog over UDP, TCP and a Unix datagram socket, received on this machine: the RFC 5424
//! shape, PRI, octet-count framing and SD escaping.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::alert;
use phiguard_core::{Alert, Severity, Timestamp};
use phiguard_delivery::{
    DeadLetterReason, DeliveryConfig, Dispatcher, Facility, MemoryDeadLetters, SyslogConfig,
    SyslogTransport,
};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket, UnixDatagram};

fn syslog(transport: SyslogTransport, address: String) -> DeliveryConfig {
    let mut syslog = SyslogConfig::new(transport, address);
    syslog.hostname = Some("vault-1".into());
    syslog.max_attempts = 2;
    syslog.timeout_ms = 1_000;
    DeliveryConfig {
        syslog: Some(syslog),
        ..DeliveryConfig::default()
    }
}

fn start(config: DeliveryConfig) -> (Dispatcher, Arc<MemoryDeadLetters>) {
    let sink = Arc::new(MemoryDeadLetters::new());
    let dispatcher = Dispatcher::builder(config, sink.clone())
        .start()
        .expect("the dispatcher starts");
    (dispatcher, sink)
}

/// The structured data element expected for `alert`.
fn expected_sd(alert: &Alert) -> String {
    format!(
        "[phiguard@32473 alert_id=\"{}\" rule=\"bulk_read\" severity=\"{}\" tenant=\"northwind\" \
         actor=\"svc-analytics\" actor_kind=\"service\" occurrences=\"3\" evidence_total=\"41\" \
         first_seen=\"2026-03-02T14:00:00.000000Z\" last_seen=\"2026-03-02T14:05:09.000000Z\"]",
        alert.id, alert.severity
    )
}

/// Checks one message field by field and returns its TIMESTAMP.
fn check_message(message: &str, alert: &Alert, pri: u8) -> Timestamp {
    let prefix = format!("<{pri}>1 ");
    assert!(message.starts_with(&prefix), "{message}");
    let rest = &message[prefix.len()..];

    let fields: Vec<&str> = rest.splitn(6, ' ').collect();
    let [timestamp, hostname, app_name, procid, msgid, tail] = fields[..] else {
        panic!("not six header fields: {message}");
    };
    assert_eq!(
        timestamp.len(),
        "2026-03-02T14:05:09.123456Z".len(),
        "{timestamp}"
    );
    assert!(
        timestamp.ends_with('Z') && timestamp.as_bytes()[19] == b'.',
        "{timestamp}"
    );
    let timestamp: Timestamp = timestamp.parse().expect("an RFC 3339 timestamp");
    assert_eq!(hostname, "vault-1");
    assert_eq!(app_name, "phiguard");
    assert_eq!(procid, std::process::id().to_string());
    assert_eq!(msgid, "bulk_read");

    let sd = expected_sd(alert);
    assert_eq!(tail, format!("{sd} {}", alert.summary));
    timestamp
}

#[tokio::test]
async fn udp_datagrams_carry_one_rfc_5424_message_each() {
    let collector = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = collector.local_addr().unwrap().to_string();
    let (dispatcher, sink) = start(syslog(SyslogTransport::Udp, address));

    let sent = alert(1);
    let before = Timestamp::now();
    dispatcher.dispatch(&sent);
    let mut buffer = vec![0_u8; 4096];
    let len = tokio::time::timeout(Duration::from_secs(5), collector.recv(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    let message = std::str::from_utf8(&buffer[..len]).unwrap();

    // authpriv (10) * 8 + high (critical, 2) = 82
    let written = check_message(message, &sent, 82);
    assert!(
        written
            >= before
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap()
    );

    dispatcher.shutdown(Duration::from_secs(5)).await;
    assert!(sink.letters().is_empty());
}

#[tokio::test]
async fn tcp_frames_are_octet_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mut config = syslog(SyslogTransport::Tcp, address);
    config.syslog.as_mut().unwrap().facility = Facility::Local4;
    let (dispatcher, sink) = start(config);
    let metrics = dispatcher.metrics();

    let first = alert(1);
    let mut second = alert(2);
    second.severity = Severity::Low;
    second.summary = "café: 9 reads".into();
    dispatcher.dispatch(&first);
    dispatcher.dispatch(&second);
    dispatcher.shutdown(Duration::from_secs(5)).await;

    let (mut stream, _) = listener.accept().await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();

    let mut frames = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let space = rest.iter().position(|b| *b == b' ').unwrap();
        let len: usize = std::str::from_utf8(&rest[..space])
            .unwrap()
            .parse()
            .unwrap();
        let frame = &rest[space + 1..space + 1 + len];
        frames.push(std::str::from_utf8(frame).unwrap().to_owned());
        rest = &rest[space + 1 + len..];
    }
    assert_eq!(frames.len(), 2, "{:?}", String::from_utf8_lossy(&bytes));

    // local4 (20) * 8 + high (2) = 162; + low (warning, 4) = 164
    check_message(&frames[0], &first, 162);
    let mut as_sent = second.clone();
    as_sent.summary = format!("\u{feff}{}", second.summary);
    check_message(&frames[1], &as_sent, 164);
    assert!(bytes.starts_with(format!("{} <162>1 ", frames[0].len()).as_bytes()));

    assert_eq!(metrics.channel("syslog").unwrap().delivered, 2);
    assert!(sink.letters().is_empty());
}

#[tokio::test]
async fn a_unix_datagram_socket_gets_the_same_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let collector = UnixDatagram::bind(&path).unwrap();
    let (dispatcher, _sink) = start(syslog(
        SyslogTransport::Unix,
        path.to_str().unwrap().to_owned(),
    ));

    let mut sent = alert(3);
    sent.severity = Severity::Critical;
    dispatcher.dispatch(&sent);
    let mut buffer = vec![0_u8; 4096];
    let len = tokio::time::timeout(Duration::from_secs(5), collector.recv(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    check_message(std::str::from_utf8(&buffer[..len]).unwrap(), &sent, 81);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_collector_that_is_not_there_dead_letters_after_the_attempts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let (dispatcher, sink) = start(syslog(SyslogTransport::Tcp, address));

    dispatcher.dispatch(&alert(4));
    dispatcher.shutdown(Duration::from_secs(10)).await;

    let letters = sink.letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].channel, "syslog");
    assert_eq!(letters[0].reason, DeadLetterReason::AttemptsExhausted);
    assert_eq!(letters[0].attempts, 2);
    assert_eq!(letters[0].last_error, "cannot connect: connection refused");
}

#[tokio::test]
async fn a_collector_that_closed_the_stream_gets_a_new_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (dispatcher, sink) = start(syslog(SyslogTransport::Tcp, address));

    dispatcher.dispatch(&alert(1));
    let (mut first, _) = listener.accept().await.unwrap();
    let mut buffer = vec![0_u8; 4096];
    let len = first.read(&mut buffer).await.unwrap();
    assert!(
        std::str::from_utf8(&buffer[..len])
            .unwrap()
            .contains(alert(1).id.as_str())
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;

    dispatcher.dispatch(&alert(2));
    let (mut second, _) = tokio::time::timeout(Duration::from_secs(5), listener.accept())
        .await
        .expect("a second connection")
        .unwrap();
    let len = second.read(&mut buffer).await.unwrap();
    assert!(
        std::str::from_utf8(&buffer[..len])
            .unwrap()
            .contains(alert(2).id.as_str())
    );

    dispatcher.shutdown(Duration::from_secs(5)).await;
    assert!(sink.letters().is_empty());
}
