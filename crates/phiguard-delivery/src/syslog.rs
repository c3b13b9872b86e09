//! RFC 5424 syslog over UDP (RFC 5426), TCP with octet counting (RFC 6587) or a Unix datagram
//! socket.
//!
//! ```text
//! <81>1 2026-03-02T14:05:09.123456Z vault-1 phiguard 4242 break_glass [phiguard@32473
//!   alert_id="alr_…" rule="break_glass" severity="critical" tenant="northwind" actor="dr-okafor"
//!   actor_kind="user" occurrences="1" evidence_total="1" first_seen="…" last_seen="…"] summary
//! ```
//!
//! PRI is `facility * 8 + severity`, the severity from [`Severity::syslog_code`]
//! (low → warning 4, medium → error 3, high → critical 2, critical → alert 1). MSGID is the
//! rule. The SD-ID `phiguard@32473` uses 32473, the enterprise number RFC 5612 reserves for
//! documentation: phiguard has no IANA private enterprise number of its own, and a collector
//! may want to match on this ID, so it is fixed here. TIMESTAMP is when the message is
//! written, in UTC with microseconds.
//!
//! [`Severity::syslog_code`]: phiguard_core::Severity::syslog_code

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use phiguard_core::Alert;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket, UnixDatagram};

use crate::backoff::{Backoff, Jitter};
use crate::channel::{Attempts, ChannelContext, Deliver, Job};
use crate::config::{Facility, SyslogConfig, SyslogTransport, is_print_ascii};
use crate::dead_letter::DeadLetterReason;

/// The syslog channel's label.
pub(crate) const LABEL: &str = "syslog";

/// The SD-ID of the structured data element.
pub(crate) const SD_ID: &str = "phiguard@32473";

/// The largest message sent, in octets: what RFC 5426 says every receiver SHOULD take. The
/// free-text MSG is shortened to fit.
pub(crate) const MAX_MESSAGE: usize = 2048;

/// The byte order mark RFC 5424 §6.4 puts before a MSG in UTF-8.
const BOM: &str = "\u{feff}";

/// The fields of the header that do not change between messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) facility: Facility,
    pub(crate) hostname: String,
    pub(crate) app_name: String,
    pub(crate) procid: String,
}

impl Header {
    pub(crate) fn from_config(config: &SyslogConfig) -> Header {
        Header {
            facility: config.facility,
            hostname: config.hostname.clone().unwrap_or_else(machine_name),
            app_name: config.app_name.clone(),
            procid: std::process::id().to_string(),
        }
    }
}

/// The kernel's name for this machine, or the NILVALUE `-`.
fn machine_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| is_print_ascii(name, 255))
        .unwrap_or_else(|| "-".to_owned())
}

/// Escapes a PARAM-VALUE: `"`, `\` and `]` get a backslash (RFC 5424 §6.3.3).
pub(crate) fn escape_param_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The structured data element of an alert.
pub(crate) fn structured_data(alert: &Alert) -> String {
    let params: [(&str, String); 10] = [
        ("alert_id", alert.id.to_string()),
        ("rule", alert.rule.to_string()),
        ("severity", alert.severity.to_string()),
        ("tenant", alert.tenant.to_string()),
        ("actor", alert.actor.to_string()),
        ("actor_kind", alert.actor_kind.to_string()),
        ("occurrences", alert.occurrences.to_string()),
        ("evidence_total", alert.evidence_total.to_string()),
        ("first_seen", rfc5424_time(alert.first_seen)),
        ("last_seen", rfc5424_time(alert.last_seen)),
    ];
    let mut element = format!("[{SD_ID}");
    for (name, value) in params {
        let _ = write!(element, " {name}=\"{}\"", escape_param_value(&value));
    }
    element.push(']');
    element
}

/// A timestamp as RFC 5424 writes it: UTC, exactly six fraction digits.
fn rfc5424_time(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The free text: control characters become spaces, and a BOM marks text beyond ASCII.
fn message_text(summary: &str, room: usize) -> String {
    let clean: String = summary
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let (prefix, room) = if clean.is_ascii() {
        ("", room)
    } else {
        (BOM, room.saturating_sub(BOM.len()))
    };

    let mut end = clean.len().min(room);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    format!("{prefix}{}", &clean[..end])
}

/// One RFC 5424 message for `alert`, written at `now`, at most [`MAX_MESSAGE`] octets.
pub(crate) fn format_message(alert: &Alert, header: &Header, now: Timestamp) -> String {
    let pri = u16::from(header.facility.code()) * 8 + u16::from(alert.severity.syslog_code());
    let mut message = format!(
        "<{pri}>1 {} {} {} {} {} {}",
        rfc5424_time(now),
        header.hostname,
        header.app_name,
        header.procid,
        alert.rule.as_str(),
        structured_data(alert),
    );

    let room = MAX_MESSAGE.saturating_sub(message.len() + 1);
    let text = message_text(&alert.summary, room);
    if !text.is_empty() && text != BOM {
        message.push(' ');
        message.push_str(&text);
    }
    message
}

/// Where messages go, with the socket kept between messages.
pub(crate) enum Transport {
    Udp {
        address: String,
        socket: Option<UdpSocket>,
    },
    Tcp {
        address: String,
        stream: Option<TcpStream>,
    },
    Unix {
        path: PathBuf,
        socket: Option<UnixDatagram>,
    },
}

impl Transport {
    pub(crate) fn from_config(config: &SyslogConfig) -> Transport {
        match config.transport {
            SyslogTransport::Udp => Transport::Udp {
                address: config.address.clone(),
                socket: None,
            },
            SyslogTransport::Tcp => Transport::Tcp {
                address: config.address.clone(),
                stream: None,
            },
            SyslogTransport::Unix => Transport::Unix {
                path: PathBuf::from(&config.address),
                socket: None,
            },
        }
    }

    /// Sends one message; on failure the socket is dropped, to be opened again next time.
    async fn send(&mut self, message: &str) -> Result<(), String> {
        let sent = self.try_send(message).await;
        if sent.is_err() {
            match self {
                Transport::Udp { socket, .. } => *socket = None,
                Transport::Tcp { stream, .. } => *stream = None,
                Transport::Unix { socket, .. } => *socket = None,
            }
        }
        sent
    }

    async fn try_send(&mut self, message: &str) -> Result<(), String> {
        match self {
            Transport::Udp { address, socket } => {
                if socket.is_none() {
                    *socket = Some(udp_socket(address).await?);
                }
                if let Some(socket) = socket {
                    socket
                        .send(message.as_bytes())
                        .await
                        .map_err(|e| format!("sending the datagram failed: {}", e.kind()))?;
                }
                Ok(())
            }
            Transport::Tcp { address, stream } => {
                if stream.as_ref().is_some_and(|open| !still_open(open)) {
                    *stream = None;
                }
                if stream.is_none() {
                    let connected = TcpStream::connect(address.as_str())
                        .await
                        .map_err(|e| format!("cannot connect: {}", e.kind()))?;
                    *stream = Some(connected);
                }
                if let Some(stream) = stream {
                    let frame = format!("{} {message}", message.len());
                    stream
                        .write_all(frame.as_bytes())
                        .await
                        .map_err(|e| format!("writing to the stream failed: {}", e.kind()))?;
                }
                Ok(())
            }
            Transport::Unix { path, socket } => {
                if socket.is_none() {
                    let unbound = UnixDatagram::unbound()
                        .map_err(|e| format!("cannot open a Unix socket: {}", e.kind()))?;
                    *socket = Some(unbound);
                }
                if let Some(socket) = socket {
                    socket
                        .send_to(message.as_bytes(), &*path)
                        .await
                        .map_err(|e| format!("sending the datagram failed: {}", e.kind()))?;
                }
                Ok(())
            }
        }
    }
}

/// Whether the collector has not closed the stream. Collectors send nothing on a syslog
/// stream, so anything readable is the end of it: a message written into a closed stream
/// would be lost without an error.
fn still_open(stream: &TcpStream) -> bool {
    let mut probe = [0_u8; 1];
    match stream.try_read(&mut probe) {
        Ok(0) => false,
        Ok(_) => true,
        Err(error) => error.kind() == std::io::ErrorKind::WouldBlock,
    }
}

/// A UDP socket connected to the first address `address` resolves to.
async fn udp_socket(address: &str) -> Result<UdpSocket, String> {
    let target = tokio::net::lookup_host(address)
        .await
        .map_err(|e| format!("cannot resolve the address: {}", e.kind()))?
        .next()
        .ok_or_else(|| "the address resolves to nothing".to_owned())?;
    let local: SocketAddr = if target.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0_u16; 8], 0))
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("cannot open a UDP socket: {}", e.kind()))?;
    socket
        .connect(target)
        .await
        .map_err(|e| format!("cannot address the collector: {}", e.kind()))?;
    Ok(socket)
}

/// The syslog channel.
pub(crate) struct Syslog {
    pub(crate) header: Header,
    pub(crate) transport: Transport,
    pub(crate) max_attempts: u32,
    pub(crate) timeout: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) jitter: Jitter,
}

impl Syslog {
    /// The pause between syslog attempts: 100 ms doubling up to 5 s, with jitter.
    pub(crate) const BACKOFF: Backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(5),
    };
}

impl Deliver for Syslog {
    async fn deliver(&mut self, job: &Job, context: &ChannelContext) {
        let mut attempts = Attempts::default();
        let message = format_message(&job.alert, &self.header, Timestamp::now());
        let millis = self.timeout.as_millis();

        loop {
            attempts.start();
            let timeout = self.timeout;
            let sent = context
                .until_stopped(tokio::time::timeout(timeout, self.transport.send(&message)))
                .await;
            let error = match sent {
                None => {
                    let error = "the dispatcher stopped during an attempt".to_owned();
                    context.give_up(job, DeadLetterReason::ShutDown, &attempts, error);
                    return;
                }
                Some(Ok(Ok(()))) => {
                    context.counters.delivered();
                    return;
                }
                Some(Ok(Err(error))) => error,
                Some(Err(_)) => {
                    self.transport.forget();
                    format!("no progress within {millis} ms")
                }
            };

            if attempts.count >= self.max_attempts {
                context.give_up(job, DeadLetterReason::AttemptsExhausted, &attempts, error);
                return;
            }
            let wait = self.backoff.delay(attempts.count, self.jitter, None);
            if !context.sleep(wait).await {
                context.give_up(job, DeadLetterReason::ShutDown, &attempts, error);
                return;
            }
            context.counters.retried();
        }
    }
}

impl Transport {
    /// Drops the socket after a timeout, which may have left half a frame on a stream.
    fn forget(&mut self) {
        match self {
            Transport::Udp { socket, .. } => *socket = None,
            Transport::Tcp { stream, .. } => *stream = None,
            Transport::Unix { socket, .. } => *socket = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiguard_core::{ActorKind, AlertId, DetectionRule, Severity};

    fn alert(summary: &str) -> Alert {
        Alert {
            id: AlertId::from_random([1; 10]),
            rule: DetectionRule::BreakGlass,
            severity: Severity::Critical,
            tenant: "northwind".parse().unwrap(),
            actor: "dr-okafor".parse().unwrap(),
            actor_kind: ActorKind::User,
            first_seen: Timestamp::from_second(1_772_460_000).unwrap(),
            last_seen: Timestamp::from_second(1_772_460_309).unwrap(),
            occurrences: 2,
            evidence: Vec::new(),
            evidence_total: 2,
            summary: summary.to_owned(),
        }
    }

    fn header() -> Header {
        Header {
            facility: Facility::Authpriv,
            hostname: "vault-1".into(),
            app_name: "phiguard".into(),
            procid: "4242".into(),
        }
    }

    #[test]
    fn the_message_has_the_exact_rfc_5424_shape() {
        let now = Timestamp::from_microsecond(1_772_460_309_123_456).unwrap();
        let message = format_message(&alert("break-glass read by dr-okafor"), &header(), now);
        let id = AlertId::from_random([1; 10]);
        assert_eq!(
            message,
            format!(
                "<81>1 2026-03-02T14:05:09.123456Z vault-1 phiguard 4242 break_glass \
                 [phiguard@32473 alert_id=\"{id}\" rule=\"break_glass\" severity=\"critical\" \
                 tenant=\"northwind\" actor=\"dr-okafor\" actor_kind=\"user\" \
                 occurrences=\"2\" evidence_total=\"2\" \
                 first_seen=\"2026-03-02T14:00:00.000000Z\" \
                 last_seen=\"2026-03-02T14:05:09.000000Z\"] break-glass read by dr-okafor"
            )
        );
    }

    #[test]
    fn pri_is_facility_times_eight_plus_the_alert_severity() {
        let now = Timestamp::UNIX_EPOCH;
        for (severity, pri) in [
            (Severity::Low, "<84>"),
            (Severity::Medium, "<83>"),
            (Severity::High, "<82>"),
            (Severity::Critical, "<81>"),
        ] {
            let mut alert = alert("x");
            alert.severity = severity;
            assert!(format_message(&alert, &header(), now).starts_with(pri));
        }
        let mut local7 = header();
        local7.facility = Facility::Local7;
        assert!(format_message(&alert("x"), &local7, now).starts_with("<185>1 "));
    }

    #[test]
    fn param_values_escape_quote_backslash_and_bracket() {
        assert_eq!(escape_param_value(r#"a"b\c]d[e"#), r#"a\"b\\c\]d[e"#);
        assert_eq!(escape_param_value("plain"), "plain");
    }

    #[test]
    fn free_text_is_one_line_bounded_and_marked_when_beyond_ascii() {
        let now = Timestamp::UNIX_EPOCH;
        let message = format_message(&alert("line one\nline two\r\x07"), &header(), now);
        assert!(message.ends_with("] line one line two  "), "{message}");

        let message = format_message(&alert("café"), &header(), now);
        assert!(message.ends_with("] \u{feff}café"), "{message}");

        let long = "é".repeat(4000);
        let message = format_message(&alert(&long), &header(), now);
        assert!(message.len() <= MAX_MESSAGE, "{}", message.len());
        assert!(message.len() > MAX_MESSAGE - 4);

        let message = format_message(&alert(""), &header(), now);
        assert!(message.ends_with(']'), "{message}");
    }
}
