//! Encryption in transit: TLS 1.3 and 1.2 with a certificate from configuration, nothing older,
//! and no plain HTTP on the TLS port.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::http::{Response, raw_exchange};
use common::{ServeOptions, Server, Workspace};
use rustls::pki_types::{CertificateDer, ServerName};

/// A self-signed certificate for `localhost` written beside the data directory.
struct Certificate {
    der: CertificateDer<'static>,
    cert_path: String,
    key_path: String,
}

fn certificate(workspace: &Workspace) -> Certificate {
    let issued =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
    let cert_path = workspace.path("tls-cert.pem");
    let key_path = workspace.path("tls-key.pem");
    std::fs::write(&cert_path, issued.cert.pem()).expect("writing the certificate");
    std::fs::write(&key_path, issued.signing_key.serialize_pem()).expect("writing the key");
    Certificate {
        der: issued.cert.der().clone(),
        cert_path: cert_path.to_str().expect("a UTF-8 path").to_owned(),
        key_path: key_path.to_str().expect("a UTF-8 path").to_owned(),
    }
}

/// Serves TLS with the certificate given through `PHIGUARD_SERVER__TLS__*` variables.
fn serve_tls(workspace: &Workspace, certificate: &Certificate) -> Server {
    workspace.cli_ok(&["tenants", "list"]);
    workspace.serve_with(&ServeOptions {
        env: vec![
            (
                "PHIGUARD_SERVER__TLS__CERT".into(),
                certificate.cert_path.clone(),
            ),
            (
                "PHIGUARD_SERVER__TLS__KEY".into(),
                certificate.key_path.clone(),
            ),
        ],
        tls: true,
        ..ServeOptions::default()
    })
}

/// A rustls client limited to `versions` that trusts only `certificate`.
fn client(
    certificate: &Certificate,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(certificate.der.clone())
        .expect("trusting the test certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("the protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// GET `/healthz` over TLS; returns the negotiated version and the response.
fn get_healthz(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> (rustls::ProtocolVersion, Response) {
    let name = ServerName::try_from("localhost").expect("a server name");
    let connection = rustls::ClientConnection::new(config, name).expect("a TLS client");
    let socket = TcpStream::connect(addr).expect("connecting");
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("the TLS handshake and request");

    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tls.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    let version = tls.conn.protocol_version().expect("a negotiated version");
    (version, Response::parse(&received))
}

/// A TLS ClientHello record as a client from before TLS 1.2 sends it (no
/// `supported_versions` extension), offering `client_version`.
fn client_hello(client_version: [u8; 2]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&client_version);
    body.extend_from_slice(&[0x5a; 32]);
    body.push(0);
    let suites: [[u8; 2]; 8] = [
        [0xc0, 0x2b],
        [0xc0, 0x2f],
        [0xc0, 0x09],
        [0xc0, 0x0a],
        [0xc0, 0x13],
        [0xc0, 0x14],
        [0x00, 0x2f],
        [0x00, 0x35],
    ];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        body.extend_from_slice(&suite);
    }
    body.extend_from_slice(&[1, 0]);

    let mut extensions = Vec::new();
    let mut extension = |kind: u16, data: &[u8]| {
        extensions.extend_from_slice(&kind.to_be_bytes());
        extensions.extend_from_slice(&(data.len() as u16).to_be_bytes());
        extensions.extend_from_slice(data);
    };
    extension(0x000a, &[0x00, 0x04, 0x00, 0x17, 0x00, 0x1d]);
    extension(0x000b, &[0x01, 0x00]);
    extension(0x000d, &[0x00, 0x04, 0x04, 0x03, 0x08, 0x04]);
    extension(0x0017, &[]);
    extension(0xff01, &[0x00]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);

    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

#[test]
fn tls_1_3_and_1_2_clients_are_served() {
    let workspace = Workspace::new();
    let certificate = certificate(&workspace);
    let server = serve_tls(&workspace, &certificate);

    let (version, response) = get_healthz(
        server.addr(),
        client(&certificate, &[&rustls::version::TLS13]),
    );
    assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
    response.expect_status(200);
    assert!(response.header("x-request-id").is_some());

    let (version, response) = get_healthz(
        server.addr(),
        client(&certificate, &[&rustls::version::TLS12]),
    );
    assert_eq!(version, rustls::ProtocolVersion::TLSv1_2);
    response.expect_status(200);

    // A client that allows both gets the newest.
    let (version, _) = get_healthz(
        server.addr(),
        client(
            &certificate,
            &[&rustls::version::TLS12, &rustls::version::TLS13],
        ),
    );
    assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
}

#[test]
fn clients_limited_to_tls_1_1_or_1_0_get_no_server_hello() {
    let workspace = Workspace::new();
    let certificate = certificate(&workspace);
    let server = serve_tls(&workspace, &certificate);

    // The same hand-written hello offering TLS 1.2 is answered with a ServerHello, so the
    // refusals below are about the version, not about a malformed hello.
    let answer = raw_exchange(
        server.addr(),
        &client_hello([0x03, 0x03]),
        Duration::from_secs(10),
        6,
    );
    assert_eq!(
        answer.first(),
        Some(&0x16),
        "a TLS 1.2 hello gets a handshake record back"
    );
    assert_eq!(answer.get(5), Some(&0x02), "and it is a ServerHello");

    for (name, version) in [("TLS 1.1", [0x03, 0x02]), ("TLS 1.0", [0x03, 0x01])] {
        let answer = raw_exchange(
            server.addr(),
            &client_hello(version),
            Duration::from_secs(10),
            usize::MAX,
        );
        assert!(
            answer.first() != Some(&0x16),
            "a {name} client must not get a handshake record: {answer:02x?}"
        );
        if let Some(kind) = answer.first() {
            assert_eq!(
                *kind, 0x15,
                "anything sent back to a {name} client is an alert"
            );
            assert_eq!(answer.get(6), Some(&70), "the alert is protocol_version");
        }
    }
}

#[test]
fn plain_http_on_the_tls_port_gets_no_http_answer() {
    let workspace = Workspace::new();
    let certificate = certificate(&workspace);
    // This time the certificate comes from phiguard.toml in the working directory.
    std::fs::write(
        workspace.path("phiguard.toml"),
        format!(
            "[server.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            certificate.cert_path, certificate.key_path
        ),
    )
    .expect("writing phiguard.toml");
    workspace.cli_ok(&["tenants", "list"]);
    let server = workspace.serve_with(&ServeOptions {
        tls: true,
        ..ServeOptions::default()
    });

    let answer = raw_exchange(
        server.addr(),
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        Duration::from_secs(10),
        usize::MAX,
    );
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP got an HTTP answer: {}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        answer.is_empty() || answer[0] == 0x15,
        "the only answer to plain HTTP is a TLS alert: {answer:02x?}"
    );

    // And the port does speak TLS.
    let (_, response) = get_healthz(
        server.addr(),
        client(&certificate, &[&rustls::version::TLS13]),
    );
    response.expect_status(200);

    let status = workspace.cli_ok(&["status"]);
    assert!(status.contains("TLS              configured"), "{status}");
}
