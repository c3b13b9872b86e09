//! How the server listens.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Listening address, TLS and request limits. Every field has a default; a deployment sets
/// them in the `[server]` table of `phiguard.toml` or with `PHIGUARD_SERVER__*` variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Where to listen (default `127.0.0.1:8620`).
    pub listen: SocketAddr,
    /// Certificate and key for TLS. Without them the server speaks plain HTTP, which it only
    /// does on a loopback address unless `insecure_plaintext_on_network` is set.
    pub tls: Option<TlsConfig>,
    /// Allows plain HTTP on a non-loopback address (for a TLS-terminating proxy on the same
    /// host or network namespace). Off by default; logged as a warning at every start.
    pub insecure_plaintext_on_network: bool,
    /// Largest request body accepted on ordinary endpoints, in bytes (1 MiB).
    pub max_body_bytes: usize,
    /// Largest request body accepted by the import endpoint, in bytes (64 MiB).
    pub max_import_bytes: usize,
    /// A request still running after this many seconds is answered with 503 (30).
    pub request_timeout_seconds: u64,
    /// A connection that has not sent a request's headers within this many seconds is closed
    /// (10; at least 1), so slow or silent clients cannot hold connections open.
    pub header_read_timeout_seconds: u64,
}

/// PEM files for TLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8620)),
            tls: None,
            insecure_plaintext_on_network: false,
            max_body_bytes: 1 << 20,
            max_import_bytes: 64 << 20,
            request_timeout_seconds: 30,
            header_read_timeout_seconds: 10,
        }
    }
}
