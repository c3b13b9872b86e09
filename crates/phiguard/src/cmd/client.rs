//! The plain-HTTP GET that the commands asking a running vault share (`ledger watch`,
//! `assess --vault`): one request with a deadline and a cap on the body, and the `detail` of a
//! problem document when the vault refuses.

use std::time::Duration;

use anyhow::anyhow;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A client for one base URL.
pub(crate) struct VaultClient {
    client: Client<HttpConnector, Empty<Bytes>>,
    timeout: Duration,
    max_body: usize,
}

/// Why a GET gave no successful answer.
pub(crate) enum GetError {
    /// The vault could not be reached, did not answer in time, or its body was unreadable.
    Unreachable(anyhow::Error),
    /// The vault answered with an error status; the message carries the problem's `detail`.
    Refused(anyhow::Error),
}

impl VaultClient {
    /// A client whose requests end after `timeout` and read at most `max_body` bytes.
    pub(crate) fn new(timeout: Duration, max_body: usize) -> Self {
        VaultClient {
            client: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
            max_body,
        }
    }

    /// GETs `uri` with `headers` and returns the body of a successful answer.
    pub(crate) async fn get(
        &self,
        uri: &hyper::Uri,
        headers: &[(&str, &str)],
    ) -> Result<Bytes, GetError> {
        let mut request = hyper::Request::get(uri.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Empty::new()).map_err(|_| {
            GetError::Unreachable(anyhow!("the request to {uri} could not be formed"))
        })?;

        let timeout = self.timeout;
        let response = tokio::time::timeout(timeout, self.client.request(request))
            .await
            .map_err(|_| GetError::Unreachable(anyhow!("{uri} did not answer within {timeout:?}")))?
            .map_err(|e| GetError::Unreachable(anyhow!("cannot reach {uri}: {e}")))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), self.max_body)
            .collect()
            .await
            .map_err(|_| GetError::Unreachable(anyhow!("the answer from {uri} could not be read")))?
            .to_bytes();

        if !status.is_success() {
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|problem| problem["detail"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(GetError::Refused(anyhow!(
                "{uri} answered {status}: {detail}"
            )));
        }
        Ok(body)
    }
}
