//! Reading requests: the request id, the caller, JSON bodies and query strings — each with
//! errors that never quote what the client sent.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use phiguard_core::{NetworkRange, RecipientId, RequestId};
use phiguard_vault::Caller;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::ApiError;

/// The header that carries the purpose of use.
pub const PURPOSE_HEADER: &str = "x-purpose-of-use";

/// The header that carries the break-glass reason.
pub const BREAK_GLASS_HEADER: &str = "x-break-glass-reason";

/// The header that carries the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The header in which an integration names the party it passes what it reads on to (a
/// payment processor, a fulfilment partner). The detectors check it against the platform's
/// register of business associate agreements.
pub const RECIPIENT_HEADER: &str = "x-recipient";

/// The network range of the connection a request arrived on, set by the connection loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientNetwork(pub(crate) NetworkRange);

/// The authenticated caller of a request, with its purpose of use and request id.
pub(crate) struct ApiCaller(pub(crate) Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers);
        let authenticated = state.vault.authenticate(token.as_deref()).await?;

        let span = tracing::Span::current();
        span.record("tenant", authenticated.actor.tenant.as_str());
        span.record("actor", authenticated.actor.id.as_str());

        // A request that names two purposes names none that can be trusted: it is decided as
        // an unknown purpose (refused), never by whichever header came first.
        let purposes = parts.headers.get_all(PURPOSE_HEADER).iter().count();
        let purpose = parts
            .headers
            .get(PURPOSE_HEADER)
            .map(|v| v.to_str().unwrap_or("\u{fffd}"))
            .map(|code| if purposes > 1 { "\u{fffd}" } else { code });
        let reason = parts
            .headers
            .get(BREAK_GLASS_HEADER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let request_id = parts.extensions.get::<RequestId>().cloned();
        let network = parts.extensions.get::<ClientNetwork>().map(|n| n.0);
        let recipient = recipient(&parts.headers)?;

        let caller = Caller::new(authenticated)
            .with_purpose_code(purpose)
            .with_break_glass_reason(reason)
            .with_request_id(request_id)
            .with_network(network)
            .with_recipient(recipient);
        Ok(ApiCaller(caller))
    }
}

/// The recipient a request names. Two headers, or one that is not a recipient id, are refused:
/// a detector must never be told "no recipient" by a request that named one badly.
fn recipient(headers: &HeaderMap) -> Result<Option<RecipientId>, ApiError> {
    let mut values = headers.get_all(RECIPIENT_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_header(
            RECIPIENT_HEADER,
            "name one recipient per request",
        ));
    }
    value
        .to_str()
        .ok()
        // An SSN, phone number or email has no place in a recipient's name, which the trail
        // keeps.
        .filter(|v| !phiguard_core::looks_like_identifier(v))
        .and_then(|v| v.parse::<RecipientId>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_header(
                RECIPIENT_HEADER,
                "a recipient id is a lowercase slug of letters, digits, '-', '_' and '.'",
            )
        })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// A JSON body. Requires `Content-Type: application/json`; a body that does not parse is
/// refused with its line and column only, never with serde's message (which can quote values).
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type("application/json"));
        }

        let limit = state.config.max_body_bytes;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::too_large(limit))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON object with phiguard's own error messages.
///
/// Every request body phiguard takes is an object; an array (which serde would otherwise accept
/// for a struct, field by position) or a scalar is refused as the wrong shape.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if let Some(at) = first
        && bytes[at] != b'{'
    {
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let column = at
            - bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |n| n + 1)
            + 1;
        return Err(ApiError::malformed_json(line, column, false));
    }

    serde_json::from_slice(bytes).map_err(|e| {
        let syntax = matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        ApiError::malformed_json(e.line(), e.column(), syntax)
    })
}

/// A raw body of any media type within the ordinary body size limit (a policy's Cedar text, an
/// optional small JSON body). Over the limit it is refused with a problem document, like every
/// other error.
pub(crate) struct SmallBody(pub(crate) Bytes);

impl FromRequest<AppState> for SmallBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_body_bytes;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::too_large(limit))?;
        Ok(SmallBody(bytes))
    }
}

/// A raw body (an import file) within the import size limit.
pub(crate) struct RawBody(pub(crate) Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_import_bytes;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::too_large(limit))?;
        Ok(RawBody(bytes))
    }
}

/// The query string as plain key-value pairs, decoded by hand so that no parse error can quote
/// a value.
pub(crate) struct QueryPairs(pub(crate) HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut pairs = HashMap::new();
        for pair in parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)
                .ok_or_else(|| ApiError::bad_query("the query string is not valid UTF-8"))?;
            let value = percent_decode(value)
                .ok_or_else(|| ApiError::bad_query("the query string is not valid UTF-8"))?;
            pairs.insert(key, value);
        }
        Ok(QueryPairs(pairs))
    }
}

impl QueryPairs {
    /// A query parameter parsed with `parse`, or a problem naming the parameter.
    pub(crate) fn get<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(raw) => parse(raw)
                .map(Some)
                .ok_or_else(|| ApiError::bad_query(&format!("the `{name}` parameter is invalid"))),
        }
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_refuses_garbage() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%e2"), None);
        assert_eq!(percent_decode("%"), None);
    }

    #[test]
    fn json_errors_never_quote_the_body() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Shape {
            count: u32,
        }
        for body in [
            r#"{"count": "999-38-8871"}"#,
            r#"{"999-38-8871": 1}"#,
            "{\"count\": 1",
        ] {
            let error = parse_json::<Shape>(body.as_bytes()).unwrap_err();
            let text = format!("{error:?}");
            assert!(!text.contains("999-38-8871"), "{text}");
        }
    }
}
