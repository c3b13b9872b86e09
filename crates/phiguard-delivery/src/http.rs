//! One HTTP/1.1 POST over a fresh connection, plain or through rustls, within a deadline.
//!
//! Each attempt opens its own connection and asks the receiver to close it: webhooks carry a
//! few alerts an hour, and a fresh connection never reuses a socket the receiver has half
//! closed.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, HeaderValue, RETRY_AFTER, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

use crate::config::{Scheme, WebhookUrl};

/// The `User-Agent` of every request.
const AGENT: &str = concat!("phiguard/", env!("CARGO_PKG_VERSION"));

/// What the receiver answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// A numeric `Retry-After`, when the receiver sent one.
    pub(crate) retry_after: Option<Duration>,
}

/// Sends POSTs to one URL.
pub(crate) struct HttpSender {
    url: WebhookUrl,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    timeout: Duration,
}

/// The platform's trusted roots, read once for every https webhook.
#[derive(Clone)]
pub(crate) struct PlatformRoots(Arc<Vec<CertificateDer<'static>>>);

impl PlatformRoots {
    pub(crate) fn load() -> PlatformRoots {
        let found = rustls_native_certs::load_native_certs();
        if !found.errors.is_empty() {
            tracing::warn!(
                errors = found.errors.len(),
                "some of the platform's trusted certificates could not be read"
            );
        }
        PlatformRoots(Arc::new(found.certs))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "fips")]
    {
        Arc::new(rustls::crypto::default_fips_provider())
    }
    #[cfg(not(feature = "fips"))]
    {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }
}

/// Builds the TLS client configuration: the platform's roots plus the certificates of
/// `ca_file`. The error is in words, naming the file but no URL.
pub(crate) fn tls_config(
    roots: &PlatformRoots,
    ca_file: Option<&Path>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut store = rustls::RootCertStore::empty();
    let (_added, _ignored) = store.add_parsable_certificates(roots.0.iter().cloned());

    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .map_err(|e| format!("cannot read {} as PEM certificates: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{} holds no PEM certificate", path.display()));
        }
        for cert in certs {
            store.add(cert).map_err(|e| {
                format!(
                    "{} holds a certificate that cannot be trusted: {e}",
                    path.display()
                )
            })?;
        }
    }

    if store.is_empty() {
        return Err(
            "no trusted root certificates: the platform has none (install ca-certificates) and \
             no ca_file is given"
                .to_owned(),
        );
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl HttpSender {
    /// A sender for `url`; `tls` is required for an https URL.
    pub(crate) fn new(
        url: WebhookUrl,
        tls: Option<Arc<rustls::ClientConfig>>,
        timeout: Duration,
    ) -> Result<HttpSender, String> {
        let tls = match (url.scheme, tls) {
            (Scheme::Http, _) => None,
            (Scheme::Https, Some(config)) => {
                let name = ServerName::try_from(url.host.clone())
                    .map_err(|_| "the URL's host is not a valid TLS server name".to_owned())?;
                Some((TlsConnector::from(config), name))
            }
            (Scheme::Https, None) => return Err("https needs a TLS configuration".to_owned()),
        };
        Ok(HttpSender { url, tls, timeout })
    }

    /// POSTs `body` with `headers` (besides `Host`, `Content-Type`, `User-Agent` and
    /// `Connection`). The error says what went wrong in words, without the URL.
    pub(crate) async fn post(
        &self,
        headers: &[(&'static str, HeaderValue)],
        body: Bytes,
    ) -> Result<Answer, String> {
        let mut request = Request::post(self.url.path_and_query.as_str())
            .header(HOST, self.url.authority.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, AGENT)
            .header(CONNECTION, "close");
        for (name, value) in headers {
            request = request.header(*name, value.clone());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|_| "the request could not be formed".to_owned())?;

        let millis = self.timeout.as_millis();
        tokio::time::timeout(self.timeout, self.exchange(request))
            .await
            .map_err(|_| format!("no answer within {millis} ms"))?
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<Answer, String> {
        let stream = TcpStream::connect((self.url.host.as_str(), self.url.port))
            .await
            .map_err(|e| format!("cannot connect: {}", e.kind()))?;
        let _ = stream.set_nodelay(true);

        match &self.tls {
            None => send(stream, request).await,
            Some((connector, name)) => {
                let stream = connector
                    .connect(name.clone(), stream)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {}", tls_error_words(&e)))?;
                send(stream, request).await
            }
        }
    }
}

/// A rustls error's own words (such as "invalid peer certificate: UnknownIssuer"), or the I/O
/// error's kind.
fn tls_error_words(error: &std::io::Error) -> String {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => tls.to_string(),
        None => error.kind().to_string(),
    }
}

/// Aborts the task driving a connection when the exchange is over.
struct DriverGuard(JoinHandle<()>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn send<T>(io: T, request: Request<Full<Bytes>>) -> Result<Answer, String>
where
    T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let _driver = DriverGuard(tokio::spawn(async move {
        let _ = connection.await;
    }));

    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the exchange failed: {e}"))?;
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Ok(Answer {
        status: response.status(),
        retry_after,
    })
}
