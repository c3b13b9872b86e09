//! Webhook signatures: HMAC-SHA-256 over the timestamp and the body, for the sender and for
//! receivers.
//!
//! A request carries the Unix time of the attempt in [`TIMESTAMP_HEADER`] and
//! `v1=<hex HMAC-SHA-256(secret, timestamp + "." + body)>` in [`SIGNATURE_HEADER`]. Binding the
//! timestamp lets a receiver refuse a captured request replayed later; a receiver should also
//! keep the alert ids it has seen (in [`ALERT_ID_HEADER`]), since a retry resends the same alert.
//! During a secret rotation the header may carry several `v1=` values separated by commas;
//! one match is enough.

use std::fmt;
use std::time::Duration;

use aws_lc_rs::hmac;
use jiff::Timestamp;

/// The header naming the alert (`alr_…`); the same on every attempt.
pub const ALERT_ID_HEADER: &str = "x-phiguard-alert-id";

/// The header with the attempt's time in Unix seconds, as signed.
pub const TIMESTAMP_HEADER: &str = "x-phiguard-timestamp";

/// The header with the signature, `v1=<64 lowercase hex digits>`.
pub const SIGNATURE_HEADER: &str = "x-phiguard-signature";

/// The signature scheme's label in [`SIGNATURE_HEADER`].
const SCHEME: &str = "v1=";

/// A webhook's signing secret, as an HMAC-SHA-256 key.
///
/// The bytes come from the caller, never from the URL. They are turned into an AWS-LC key at
/// once and not kept; `Debug` shows nothing of them.
#[derive(Clone)]
pub struct WebhookSecret {
    key: hmac::Key,
}

/// A secret too short to sign with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a webhook signing secret must be at least {min} bytes long; generate one from {min} random \
     bytes and give the receiver the same",
    min = WebhookSecret::MIN_LEN
)]
pub struct SecretError;

impl WebhookSecret {
    /// The shortest secret accepted: as long as the SHA-256 output (RFC 2104 §3).
    pub const MIN_LEN: usize = 32;

    /// Takes a secret's bytes.
    pub fn new(bytes: &[u8]) -> Result<WebhookSecret, SecretError> {
        if bytes.len() < Self::MIN_LEN {
            return Err(SecretError);
        }
        Ok(WebhookSecret {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
        })
    }

    fn tag(&self, timestamp: &str, body: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(timestamp.as_bytes());
        context.update(b".");
        context.update(body);
        context.sign()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The [`SIGNATURE_HEADER`] value for a request sent at `timestamp` (Unix seconds, as written
/// in [`TIMESTAMP_HEADER`]) with `body`.
pub fn sign(secret: &WebhookSecret, timestamp: &str, body: &[u8]) -> String {
    let tag = secret.tag(timestamp, body);
    let mut header = String::with_capacity(SCHEME.len() + 64);
    header.push_str(SCHEME);
    for byte in tag.as_ref() {
        header.push(hex_digit(byte >> 4));
        header.push(hex_digit(byte & 0x0f));
    }
    header
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?))
        .collect()
}

/// Why a webhook request's signature is refused. No variant quotes the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The timestamp header is not a Unix time in seconds.
    #[error("the {TIMESTAMP_HEADER} header must be a Unix time in whole seconds")]
    MalformedTimestamp,
    /// The timestamp is further from now than the tolerance, in either direction.
    #[error(
        "the {TIMESTAMP_HEADER} header is more than {} s away from now; refuse the request \
         (a replay, or a clock out of step)",
        tolerance.as_secs()
    )]
    Stale {
        /// The tolerance the timestamp was checked against.
        tolerance: Duration,
    },
    /// The signature header holds no well-formed `v1=` value.
    #[error("the {SIGNATURE_HEADER} header must hold v1=<64 hex digits>")]
    MalformedHeader,
    /// No `v1=` value matches the secret, the timestamp and the body.
    #[error(
        "the {SIGNATURE_HEADER} header does not match the body and timestamp under this secret"
    )]
    Mismatch,
}

/// Checks a webhook request as a receiver: the timestamp is within `tolerance` of `now` and a
/// `v1=` value in `header` is the HMAC of `timestamp + "." + body` under `secret`.
///
/// The comparison takes the same time wherever the values differ. Use the body exactly as
/// received, before any JSON parsing.
///
/// ```
/// use std::time::Duration;
/// use phiguard_delivery::{WebhookSecret, sign, verify_signature};
///
/// let secret = WebhookSecret::new(&[7; 32]).unwrap();
/// let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
/// let header = sign(&secret, "1700000000", b"{}");
/// let tolerance = Duration::from_secs(300);
///
/// assert!(verify_signature(&secret, "1700000000", b"{}", &header, now, tolerance).is_ok());
/// assert!(verify_signature(&secret, "1700000000", b"{ }", &header, now, tolerance).is_err());
/// ```
pub fn verify_signature(
    secret: &WebhookSecret,
    timestamp: &str,
    body: &[u8],
    header: &str,
    now: Timestamp,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let well_formed = !timestamp.is_empty()
        && timestamp.len() <= 12
        && timestamp.bytes().all(|b| b.is_ascii_digit());
    let sent = well_formed
        .then(|| timestamp.parse::<i64>().ok())
        .flatten()
        .ok_or(SignatureError::MalformedTimestamp)?;
    let age = now.as_second().abs_diff(sent);
    if age > tolerance.as_secs() {
        return Err(SignatureError::Stale { tolerance });
    }

    let candidates: Vec<Vec<u8>> = header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix(SCHEME))
        .map(|hex| decode_hex(hex).filter(|tag| tag.len() == 32))
        .collect::<Option<_>>()
        .ok_or(SignatureError::MalformedHeader)?;
    if candidates.is_empty() {
        return Err(SignatureError::MalformedHeader);
    }

    let mut signed = Vec::with_capacity(timestamp.len() + 1 + body.len());
    signed.extend_from_slice(timestamp.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    let mut matched = false;
    for candidate in &candidates {
        matched |= hmac::verify(&secret.key, &signed, candidate).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> WebhookSecret {
        WebhookSecret::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    const MINUTES_5: Duration = Duration::from_secs(300);

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body_in_lowercase_hex() {
        let header = sign(&secret(), "1700000000", b"{\"a\":1}");

        // An independent computation with the one-shot API over the joined message.
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"0123456789abcdef0123456789abcdef");
        let expected = hmac::sign(&key, b"1700000000.{\"a\":1}");
        let hex: String = expected
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(header, format!("v1={hex}"));
    }

    #[test]
    fn rfc_4231_test_case_7_matches() {
        // The message holds one '.', so it splits into a "timestamp" and a body.
        let secret = WebhookSecret::new(&[0xaa; 131]).unwrap();
        let header = sign(
            &secret,
            "This is a test using a larger than block-size key and a larger than block-size data",
            b" The key needs to be hashed before being used by the HMAC algorithm.",
        );
        assert_eq!(
            header,
            "v1=9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        );
    }

    #[test]
    fn a_fresh_untouched_request_verifies() {
        let header = sign(&secret(), "1700000000", b"body");
        verify_signature(
            &secret(),
            "1700000000",
            b"body",
            &header,
            at(1_700_000_100),
            MINUTES_5,
        )
        .unwrap();
    }

    #[test]
    fn a_tampered_body_or_timestamp_fails() {
        let header = sign(&secret(), "1700000000", b"body");
        let now = at(1_700_000_000);
        assert_eq!(
            verify_signature(&secret(), "1700000000", b"bodY", &header, now, MINUTES_5),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&secret(), "1700000001", b"body", &header, now, MINUTES_5),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::new(&[1; 32]).unwrap();
        assert_eq!(
            verify_signature(&other, "1700000000", b"body", &header, now, MINUTES_5),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_fail_even_when_signed() {
        let header = sign(&secret(), "1700000000", b"body");
        for now in [at(1_700_000_301), at(1_699_999_699)] {
            assert_eq!(
                verify_signature(&secret(), "1700000000", b"body", &header, now, MINUTES_5),
                Err(SignatureError::Stale {
                    tolerance: MINUTES_5
                })
            );
        }
        assert!(
            verify_signature(
                &secret(),
                "1700000000",
                b"body",
                &header,
                at(1_700_000_300),
                MINUTES_5
            )
            .is_ok()
        );
    }

    #[test]
    fn malformed_inputs_are_named() {
        let header = sign(&secret(), "1700000000", b"body");
        let now = at(1_700_000_000);
        for timestamp in ["", "-1700000000", "1.7e9", "17000000000000", " 1700000000"] {
            assert_eq!(
                verify_signature(&secret(), timestamp, b"body", &header, now, MINUTES_5),
                Err(SignatureError::MalformedTimestamp),
                "{timestamp:?}"
            );
        }
        for header in ["", "v0=abcd", "v1=zz", "v1=abcd", &header[3..]] {
            assert_eq!(
                verify_signature(&secret(), "1700000000", b"body", header, now, MINUTES_5),
                Err(SignatureError::MalformedHeader),
                "{header:?}"
            );
        }
    }

    #[test]
    fn any_of_several_values_may_match_during_a_rotation() {
        let old = WebhookSecret::new(&[9; 32]).unwrap();
        let header = format!(
            "{}, {}",
            sign(&old, "1700000000", b"body"),
            sign(&secret(), "1700000000", b"body")
        );
        let now = at(1_700_000_000);
        verify_signature(&secret(), "1700000000", b"body", &header, now, MINUTES_5).unwrap();
        verify_signature(&old, "1700000000", b"body", &header, now, MINUTES_5).unwrap();
    }

    #[test]
    fn short_secrets_are_refused_and_debug_shows_nothing() {
        assert_eq!(WebhookSecret::new(&[1; 31]).unwrap_err(), SecretError);
        let debug = format!("{:?}", secret());
        assert_eq!(debug, "WebhookSecret(<redacted>)");
        assert!(!SecretError.to_string().contains("0123"));
    }
}
