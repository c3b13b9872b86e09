//! Which channels get alerts, and how hard each one tries: one typed configuration with every
//! default documented here.
//!
//! The configuration holds no secret. A webhook's signing secret is handed to
//! [`DispatcherBuilder::webhook_secret`](crate::DispatcherBuilder::webhook_secret) by the
//! caller, under the webhook's `name`, and the URL is never read for one.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use hyper::Uri;
use serde::{Deserialize, Serialize};

/// The table the configuration lives under in `phiguard.toml`; errors name keys from there.
pub const CONFIG_TABLE: &str = "delivery";

/// The largest `queue_capacity` accepted.
pub const MAX_QUEUE_CAPACITY: usize = 65_536;

/// The most attempts a webhook may make for one alert.
pub const MAX_WEBHOOK_ATTEMPTS: u32 = 100;

/// The longest a single webhook attempt or syslog send may take, in milliseconds (5 minutes).
pub const MAX_TIMEOUT_MS: u64 = 300_000;

/// The longest wait between two webhook attempts, in milliseconds (one day).
pub const MAX_BACKOFF_MS: u64 = 86_400_000;

/// The most attempts syslog makes for one alert.
pub const MAX_SYSLOG_ATTEMPTS: u32 = 10;

/// Where alerts go and how hard delivery tries.
///
/// ```toml
/// [delivery]
/// queue_capacity = 1024      # alerts waiting per channel; beyond it they are dead-lettered
/// json_lines = false         # one JSON line per alert on standard output
///
/// [[delivery.webhooks]]
/// name = "on-call"           # the label the caller's signing secret is given under
/// url = "https://hooks.example.com/phiguard"
/// timeout_ms = 10000         # one attempt: connect, TLS, request and response headers
/// max_attempts = 8           # then the alert is dead-lettered
/// initial_backoff_ms = 1000  # ceiling of the first wait; doubles each retry (full jitter)
/// max_backoff_ms = 300000    # no wait is longer, Retry-After included
/// # ca_file = "/etc/phiguard/webhook-ca.pem"  # trusted besides the platform's roots
/// # insecure_plaintext = false                # allow http:// to a non-loopback host
///
/// [delivery.syslog]
/// transport = "udp"          # udp | tcp | unix
/// address = "127.0.0.1:514"  # host:port, or the socket's path for unix
/// app_name = "phiguard"
/// facility = "authpriv"
/// # hostname = "vault-1"     # default: the machine's name
/// max_attempts = 3
/// timeout_ms = 5000
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// How many alerts may wait for each channel (1024; 1 to [`MAX_QUEUE_CAPACITY`]). An alert
    /// that finds its channel's queue full is dead-lettered at once instead of waiting.
    pub queue_capacity: usize,
    /// Writes each alert as one compact JSON line on standard output (off).
    pub json_lines: bool,
    /// Webhooks, each a channel of its own (none).
    pub webhooks: Vec<WebhookConfig>,
    /// RFC 5424 syslog (off).
    pub syslog: Option<SyslogConfig>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            queue_capacity: 1024,
            json_lines: false,
            webhooks: Vec::new(),
            syslog: None,
        }
    }
}

/// One webhook: alerts are POSTed to its URL, signed with the secret given under its name.
///
/// Its `Debug` form shows the URL's scheme and host only: paths and query strings of webhook
/// URLs often carry a token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// A label chosen by the operator (a lowercase slug, unique among the webhooks): the
    /// caller gives the signing secret under it, and logs and dead letters show it.
    pub name: String,
    /// Where to POST: an `http` or `https` URL without user name or password.
    pub url: String,
    /// How long one attempt may take, in milliseconds: connecting, the TLS handshake, sending
    /// and the response's headers (10 000; 1 to [`MAX_TIMEOUT_MS`]).
    #[serde(default = "default_webhook_timeout_ms")]
    pub timeout_ms: u64,
    /// How many attempts an alert gets before it is dead-lettered (8; 1 to
    /// [`MAX_WEBHOOK_ATTEMPTS`]).
    #[serde(default = "default_webhook_attempts")]
    pub max_attempts: u32,
    /// The ceiling of the wait before the first retry, in milliseconds (1000). The ceiling
    /// doubles with each retry up to `max_backoff_ms`; the wait is drawn at random below it.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// The longest wait between attempts, in milliseconds (300 000, five minutes; at most
    /// [`MAX_BACKOFF_MS`]). A receiver's `Retry-After` is honoured up to this.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// A PEM file of certificates trusted for this webhook besides the platform's roots
    /// (none). Only for `https` URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Allows `http://` to a host that is not loopback (off): alerts would cross the network
    /// readable by anyone on the path. For a TLS-terminating proxy on the same host or network
    /// namespace only.
    #[serde(default)]
    pub insecure_plaintext: bool,
}

fn default_webhook_timeout_ms() -> u64 {
    10_000
}

fn default_webhook_attempts() -> u32 {
    8
}

fn default_initial_backoff_ms() -> u64 {
    1_000
}

fn default_max_backoff_ms() -> u64 {
    300_000
}

impl WebhookConfig {
    /// A webhook with every optional setting at its default.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        WebhookConfig {
            name: name.into(),
            url: url.into(),
            timeout_ms: default_webhook_timeout_ms(),
            max_attempts: default_webhook_attempts(),
            initial_backoff_ms: default_initial_backoff_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            ca_file: None,
            insecure_plaintext: false,
        }
    }

    /// The channel's label in metrics, logs and dead letters: `webhook:NAME (HOST)`, with the
    /// port when the URL names one. Never the path or the query string.
    pub fn channel_name(&self) -> String {
        match WebhookUrl::parse(&self.url) {
            Ok(url) => format!("webhook:{} ({})", self.name, url.authority),
            Err(_) => format!("webhook:{}", self.name),
        }
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match WebhookUrl::parse(&self.url) {
            Ok(url) => format!("{}://{}/…", url.scheme.as_str(), url.authority),
            Err(_) => "<not a valid URL>".to_owned(),
        };
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &url)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff_ms", &self.initial_backoff_ms)
            .field("max_backoff_ms", &self.max_backoff_ms)
            .field("ca_file", &self.ca_file)
            .field("insecure_plaintext", &self.insecure_plaintext)
            .finish()
    }
}

/// How syslog messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyslogTransport {
    /// One UDP datagram per message (RFC 5426); `address` is `host:port`.
    Udp,
    /// A TCP stream with octet-counting framing (RFC 6587 §3.4.1); `address` is `host:port`.
    Tcp,
    /// One datagram per message on a Unix socket such as `/dev/log`; `address` is its path.
    Unix,
}

/// The syslog facility alerts are filed under (RFC 5424 §6.2.1). The kernel's facility and
/// the reserved ones (12–15) are not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facility {
    /// User-level messages (1).
    User,
    /// Mail system (2).
    Mail,
    /// System daemons (3).
    Daemon,
    /// Security and authorisation messages (4).
    Auth,
    /// Messages of syslogd itself (5).
    Syslog,
    /// Line printer (6).
    Lpr,
    /// Network news (7).
    News,
    /// UUCP (8).
    Uucp,
    /// Clock daemon (9).
    Cron,
    /// Private security and authorisation messages (10): the default, because alerts name
    /// tenants and actors and belong with the logs that only administrators read.
    #[default]
    Authpriv,
    /// FTP daemon (11).
    Ftp,
    /// Local use 0 (16).
    Local0,
    /// Local use 1 (17).
    Local1,
    /// Local use 2 (18).
    Local2,
    /// Local use 3 (19).
    Local3,
    /// Local use 4 (20).
    Local4,
    /// Local use 5 (21).
    Local5,
    /// Local use 6 (22).
    Local6,
    /// Local use 7 (23).
    Local7,
}

impl Facility {
    /// The facility's numeric code; the PRI of a message is `code * 8 + severity`.
    pub const fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Mail => 2,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::Syslog => 5,
            Facility::Lpr => 6,
            Facility::News => 7,
            Facility::Uucp => 8,
            Facility::Cron => 9,
            Facility::Authpriv => 10,
            Facility::Ftp => 11,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

/// RFC 5424 syslog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// UDP, TCP or a Unix datagram socket.
    pub transport: SyslogTransport,
    /// `host:port` for UDP and TCP; the socket's absolute path for `unix` (such as
    /// `/dev/log`).
    pub address: String,
    /// The APP-NAME field (`phiguard`): 1 to 48 printable ASCII characters.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// The facility (`authpriv`).
    #[serde(default)]
    pub facility: Facility,
    /// The HOSTNAME field: 1 to 255 printable ASCII characters (default: the machine's name
    /// from the kernel, or `-` when it cannot be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// How many attempts a message gets before it is dead-lettered (3; 1 to
    /// [`MAX_SYSLOG_ATTEMPTS`]). A TCP connection is opened again before each retry.
    #[serde(default = "default_syslog_attempts")]
    pub max_attempts: u32,
    /// How long connecting or sending may take, in milliseconds (5000; 1 to
    /// [`MAX_TIMEOUT_MS`]).
    #[serde(default = "default_syslog_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_app_name() -> String {
    "phiguard".to_owned()
}

fn default_syslog_attempts() -> u32 {
    3
}

fn default_syslog_timeout_ms() -> u64 {
    5_000
}

impl SyslogConfig {
    /// Syslog over `transport` to `address`, every other setting at its default.
    pub fn new(transport: SyslogTransport, address: impl Into<String>) -> Self {
        SyslogConfig {
            transport,
            address: address.into(),
            app_name: default_app_name(),
            facility: Facility::default(),
            hostname: None,
            max_attempts: default_syslog_attempts(),
            timeout_ms: default_syslog_timeout_ms(),
        }
    }
}

/// A setting that cannot work, named by its key under `[delivery]`.
///
/// The message never quotes a URL: webhook URLs often carry a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} {problem}")]
pub struct ConfigError {
    key: String,
    problem: String,
}

impl ConfigError {
    fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// The key, such as `delivery.webhooks[0].url`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl DeliveryConfig {
    /// Checks every setting, returning the first that cannot work.
    ///
    /// Does no I/O: whether a `ca_file` can be read or a host resolves is found out when the
    /// dispatcher starts or sends.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let table = CONFIG_TABLE;

        if !(1..=MAX_QUEUE_CAPACITY).contains(&self.queue_capacity) {
            return Err(ConfigError::new(
                format!("{table}.queue_capacity"),
                format!("must be between 1 and {MAX_QUEUE_CAPACITY}"),
            ));
        }

        for (index, webhook) in self.webhooks.iter().enumerate() {
            webhook.validate(&format!("{table}.webhooks[{index}]"))?;
            let earlier = &self.webhooks[..index];
            if earlier.iter().any(|other| other.name == webhook.name) {
                return Err(ConfigError::new(
                    format!("{table}.webhooks[{index}].name"),
                    "must differ from the names of the webhooks before it",
                ));
            }
        }

        if let Some(syslog) = &self.syslog {
            syslog.validate(&format!("{table}.syslog"))?;
        }
        Ok(())
    }
}

impl WebhookConfig {
    /// The URL taken apart; the error names `{prefix}.url`.
    pub(crate) fn target(&self, prefix: &str) -> Result<WebhookUrl, ConfigError> {
        WebhookUrl::parse(&self.url)
            .map_err(|problem| ConfigError::new(format!("{prefix}.url"), problem.0))
    }

    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        if !is_slug(&self.name) {
            return Err(ConfigError::new(
                format!("{prefix}.name"),
                "must be 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter \
                 or digit",
            ));
        }

        let url = self.target(prefix)?;
        if url.scheme == Scheme::Http && !url.is_loopback() && !self.insecure_plaintext {
            return Err(ConfigError::new(
                format!("{prefix}.url"),
                "must use https:// for a host that is not loopback, or set \
                 insecure_plaintext = true for a TLS-terminating proxy beside phiguard",
            ));
        }
        if self.ca_file.is_some() && url.scheme == Scheme::Http {
            return Err(ConfigError::new(
                format!("{prefix}.ca_file"),
                "must be left out for an http:// URL; it is only used with https://",
            ));
        }

        check_range(
            &format!("{prefix}.timeout_ms"),
            self.timeout_ms,
            1,
            MAX_TIMEOUT_MS,
        )?;
        check_range(
            &format!("{prefix}.max_attempts"),
            u64::from(self.max_attempts),
            1,
            u64::from(MAX_WEBHOOK_ATTEMPTS),
        )?;
        check_range(
            &format!("{prefix}.initial_backoff_ms"),
            self.initial_backoff_ms,
            1,
            MAX_BACKOFF_MS,
        )?;
        if self.max_backoff_ms < self.initial_backoff_ms || self.max_backoff_ms > MAX_BACKOFF_MS {
            return Err(ConfigError::new(
                format!("{prefix}.max_backoff_ms"),
                format!("must be between initial_backoff_ms and {MAX_BACKOFF_MS}"),
            ));
        }
        Ok(())
    }
}

impl SyslogConfig {
    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        match self.transport {
            SyslogTransport::Udp | SyslogTransport::Tcp => {
                if split_host_port(&self.address).is_none() {
                    return Err(ConfigError::new(
                        format!("{prefix}.address"),
                        "must be host:port (such as 127.0.0.1:514 or [::1]:6514) for udp and tcp",
                    ));
                }
            }
            SyslogTransport::Unix => {
                if !self.address.starts_with('/') {
                    return Err(ConfigError::new(
                        format!("{prefix}.address"),
                        "must be the socket's absolute path (such as /dev/log) for unix",
                    ));
                }
            }
        }

        if !is_print_ascii(&self.app_name, 48) {
            return Err(ConfigError::new(
                format!("{prefix}.app_name"),
                "must be 1 to 48 printable ASCII characters without spaces",
            ));
        }
        if let Some(hostname) = &self.hostname
            && !is_print_ascii(hostname, 255)
        {
            return Err(ConfigError::new(
                format!("{prefix}.hostname"),
                "must be 1 to 255 printable ASCII characters without spaces",
            ));
        }

        check_range(
            &format!("{prefix}.max_attempts"),
            u64::from(self.max_attempts),
            1,
            u64::from(MAX_SYSLOG_ATTEMPTS),
        )?;
        check_range(
            &format!("{prefix}.timeout_ms"),
            self.timeout_ms,
            1,
            MAX_TIMEOUT_MS,
        )
    }
}

fn check_range(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!("must be between {min} and {max}"),
        ))
    }
}

fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c));
    first_ok && rest_ok && s.len() <= 63
}

/// PRINTUSASCII of RFC 5424: `!` to `~`.
pub(crate) fn is_print_ascii(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (33..=126).contains(&b))
}

/// Splits `host:port` (with `[v6]:port` for IPv6) into a host without brackets and a port.
pub(crate) fn split_host_port(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let port = port.parse::<u16>().ok().filter(|port| *port != 0)?;
    let host = match host.strip_prefix('[') {
        Some(bracketed) => {
            let inner = bracketed.strip_suffix(']')?;
            inner.parse::<std::net::Ipv6Addr>().ok()?;
            inner
        }
        None if host.contains(':') => return None,
        None => host,
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/') {
        return None;
    }
    Some((host.to_owned(), port))
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A webhook URL taken apart for sending.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct WebhookUrl {
    pub(crate) scheme: Scheme,
    /// The host for connecting and for TLS, without the brackets of an IPv6 literal.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `host` or `host:port` as written, for the `Host` header and the channel's label.
    pub(crate) authority: String,
    /// The path and query, for the request line only: never logged.
    pub(crate) path_and_query: String,
}

/// Why a URL cannot be a webhook's; never quotes the URL.
#[derive(Debug)]
pub(crate) struct UrlProblem(&'static str);

impl WebhookUrl {
    pub(crate) fn parse(text: &str) -> Result<WebhookUrl, UrlProblem> {
        if text.contains('#') {
            return Err(UrlProblem(
                "must not carry a fragment (#…); receivers never see it",
            ));
        }
        let uri: Uri = text
            .parse()
            .map_err(|_| UrlProblem("is not a valid URL; write it as https://host[:port]/path"))?;

        let scheme = match uri.scheme_str() {
            Some("https") => Scheme::Https,
            Some("http") => Scheme::Http,
            _ => {
                return Err(UrlProblem(
                    "must start with https:// (or http:// for a receiver on this host)",
                ));
            }
        };
        let Some(authority) = uri.authority() else {
            return Err(UrlProblem("must name a host, as in https://host/path"));
        };
        if authority.as_str().contains('@') {
            return Err(UrlProblem(
                "must not carry a user name or password; receivers check the signature instead",
            ));
        }

        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(UrlProblem("must name a host, as in https://host/path"));
        }
        let port = match (authority.port_u16(), scheme) {
            (Some(0), _) => return Err(UrlProblem("must not name port 0")),
            (Some(port), _) => port,
            (None, Scheme::Http) => 80,
            (None, Scheme::Https) => 443,
        };
        let path_and_query = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());

        Ok(WebhookUrl {
            scheme,
            host: host.to_owned(),
            port,
            authority: authority.as_str().to_owned(),
            path_and_query,
        })
    }

    pub(crate) fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self
                .host
                .parse::<IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        queue_capacity = 16
        json_lines = true

        [[webhooks]]
        name = "on-call"
        url = "https://hooks.example.com/phiguard?token=s3cr3t-t0ken"

        [[webhooks]]
        name = "local"
        url = "http://127.0.0.1:9000/in"
        max_attempts = 3
        initial_backoff_ms = 5
        max_backoff_ms = 50

        [syslog]
        transport = "tcp"
        address = "127.0.0.1:6514"
    "#;

    fn example() -> DeliveryConfig {
        toml::from_str(EXAMPLE).unwrap()
    }

    #[test]
    fn the_documented_shape_parses_with_defaults_filled_in() {
        let config = example();
        config.validate().unwrap();
        assert_eq!(config.queue_capacity, 16);
        assert!(config.json_lines);

        let on_call = &config.webhooks[0];
        assert_eq!(on_call.timeout_ms, 10_000);
        assert_eq!(on_call.max_attempts, 8);
        assert_eq!(on_call.initial_backoff_ms, 1_000);
        assert_eq!(on_call.max_backoff_ms, 300_000);
        assert_eq!(config.webhooks[1].max_attempts, 3);

        let syslog = config.syslog.unwrap();
        assert_eq!(syslog.facility, Facility::Authpriv);
        assert_eq!(syslog.app_name, "phiguard");
        assert_eq!(syslog.max_attempts, 3);
        assert_eq!(syslog.timeout_ms, 5_000);
    }

    #[test]
    fn the_doc_comment_example_parses_and_is_valid() {
        #[derive(Deserialize)]
        struct File {
            delivery: DeliveryConfig,
        }
        let doc = r#"
            [delivery]
            queue_capacity = 1024
            json_lines = false

            [[delivery.webhooks]]
            name = "on-call"
            url = "https://hooks.example.com/phiguard"
            timeout_ms = 10000
            max_attempts = 8
            initial_backoff_ms = 1000
            max_backoff_ms = 300000

            [delivery.syslog]
            transport = "udp"
            address = "127.0.0.1:514"
            app_name = "phiguard"
            facility = "authpriv"
            max_attempts = 3
            timeout_ms = 5000
        "#;
        let file: File = toml::from_str(doc).unwrap();
        file.delivery.validate().unwrap();
        assert_eq!(file.delivery.webhooks[0], {
            let mut expected = WebhookConfig::new("on-call", "https://hooks.example.com/phiguard");
            expected.max_attempts = 8;
            expected
        });
    }

    #[test]
    fn defaults_deliver_nowhere_and_are_valid() {
        let config = DeliveryConfig::default();
        config.validate().unwrap();
        assert!(config.webhooks.is_empty() && config.syslog.is_none() && !config.json_lines);
        let empty: DeliveryConfig = toml::from_str("").unwrap();
        assert_eq!(empty, config);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<DeliveryConfig>("queue_capasity = 3").unwrap_err();
        assert!(error.to_string().contains("queue_capasity"), "{error}");
        let webhook = "[[webhooks]]\nname = \"a\"\nurl = \"https://h/\"\nsecret = \"x\"\n";
        assert!(toml::from_str::<DeliveryConfig>(webhook).is_err());
    }

    fn error_for(edit: impl FnOnce(&mut DeliveryConfig)) -> ConfigError {
        let mut config = example();
        edit(&mut config);
        config.validate().unwrap_err()
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        type Edit = Box<dyn FnOnce(&mut DeliveryConfig)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|c| c.queue_capacity = 0),
                "delivery.queue_capacity",
            ),
            (
                Box::new(|c| c.webhooks[1].name = "Local".into()),
                "delivery.webhooks[1].name",
            ),
            (
                Box::new(|c| c.webhooks[1].name = "on-call".into()),
                "delivery.webhooks[1].name",
            ),
            (
                Box::new(|c| c.webhooks[0].url = "ftp://hooks.example.com/x".into()),
                "delivery.webhooks[0].url",
            ),
            (
                Box::new(|c| c.webhooks[0].max_attempts = 0),
                "delivery.webhooks[0].max_attempts",
            ),
            (
                Box::new(|c| c.webhooks[1].max_backoff_ms = 1),
                "delivery.webhooks[1].max_backoff_ms",
            ),
            (
                Box::new(|c| c.webhooks[1].timeout_ms = 0),
                "delivery.webhooks[1].timeout_ms",
            ),
            (
                Box::new(|c| c.webhooks[1].ca_file = Some("/ca.pem".into())),
                "delivery.webhooks[1].ca_file",
            ),
            (
                Box::new(|c| c.syslog.as_mut().unwrap().address = "localhost".into()),
                "delivery.syslog.address",
            ),
            (
                Box::new(|c| c.syslog.as_mut().unwrap().app_name = "php guard".into()),
                "delivery.syslog.app_name",
            ),
            (
                Box::new(|c| c.syslog.as_mut().unwrap().hostname = Some(String::new())),
                "delivery.syslog.hostname",
            ),
            (
                Box::new(|c| {
                    let syslog = c.syslog.as_mut().unwrap();
                    syslog.transport = SyslogTransport::Unix;
                    syslog.address = "dev/log".into();
                }),
                "delivery.syslog.address",
            ),
        ];
        for (edit, key) in cases {
            let error = error_for(edit);
            assert_eq!(error.key(), key, "{error}");
            assert!(error.to_string().starts_with(key), "{error}");
            assert!(error.to_string().contains("must"), "{error}");
        }
    }

    #[test]
    fn urls_with_credentials_or_plaintext_to_the_network_are_refused_without_being_quoted() {
        for url in [
            "https://admin:s3cr3t-t0ken@hooks.example.com/x",
            "https://s3cr3t-t0ken@hooks.example.com/x",
            "http://hooks.example.com/s3cr3t-t0ken",
            "https://hooks.example.com/s3cr3t-t0ken#frag",
            "hooks.example.com/s3cr3t-t0ken",
            "https:///s3cr3t-t0ken",
        ] {
            let error = error_for(|c| c.webhooks[0].url = url.into());
            assert_eq!(error.key(), "delivery.webhooks[0].url", "{url}: {error}");
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }

        let allowed = |url: &str, insecure: bool| {
            let mut config = example();
            config.webhooks[0].url = url.into();
            config.webhooks[0].insecure_plaintext = insecure;
            config.validate().is_ok()
        };
        assert!(allowed("http://hooks.example.com/x", true));
        assert!(allowed("http://localhost:8080/x", false));
        assert!(allowed("http://[::1]:8080/x", false));
        assert!(allowed("https://hooks.example.com", false));
    }

    #[test]
    fn urls_are_taken_apart_for_sending() {
        let url = WebhookUrl::parse("https://[::1]:8443/a/b?c=d").unwrap();
        assert_eq!(url.scheme, Scheme::Https);
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, 8443);
        assert_eq!(url.authority, "[::1]:8443");
        assert_eq!(url.path_and_query, "/a/b?c=d");

        let url = WebhookUrl::parse("http://example.com").unwrap();
        assert_eq!((url.port, url.path_and_query.as_str()), (80, "/"));
    }

    #[test]
    fn debug_and_channel_names_show_the_host_but_not_the_path_or_query() {
        let config = example();
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("hooks.example.com"), "{debug}");
        assert_eq!(
            config.webhooks[0].channel_name(),
            "webhook:on-call (hooks.example.com)"
        );
        assert_eq!(
            config.webhooks[1].channel_name(),
            "webhook:local (127.0.0.1:9000)"
        );
    }

    #[test]
    fn host_port_pairs_split_with_v6_brackets() {
        assert_eq!(
            split_host_port("127.0.0.1:514"),
            Some(("127.0.0.1".into(), 514))
        );
        assert_eq!(split_host_port("[::1]:514"), Some(("::1".into(), 514)));
        assert_eq!(
            split_host_port("logs.internal:6514"),
            Some(("logs.internal".into(), 6514))
        );
        for bad in ["::1:514", "host", "host:0", ":514", "host:http", "[::1:514"] {
            assert_eq!(split_host_port(bad), None, "{bad}");
        }
    }

    #[test]
    fn facility_codes_follow_rfc_5424() {
        assert_eq!(Facility::default(), Facility::Authpriv);
        assert_eq!(Facility::Authpriv.code(), 10);
        assert_eq!(Facility::Local7.code(), 23);
        let parsed: SyslogConfig =
            toml::from_str("transport = \"unix\"\naddress = \"/dev/log\"\nfacility = \"local3\"")
                .unwrap();
        assert_eq!(parsed.facility, Facility::Local3);
    }
}
