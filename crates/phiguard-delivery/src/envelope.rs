//! The JSON document a webhook receives and a JSON line holds: the alert inside an envelope
//! that names its type and version, so that receivers can refuse what they do not understand.

use hyper::body::Bytes;
use phiguard_core::Alert;
use serde::{Deserialize, Serialize};

/// The envelope's `type`.
pub const ENVELOPE_TYPE: &str = "phiguard.alert";

/// The envelope's `version`; a change a receiver could misread raises it.
pub const ENVELOPE_VERSION: u32 = 1;

/// `{"type":"phiguard.alert","version":1,"alert":{…}}`, for receivers written in Rust.
///
/// Fields may be added within a version; a receiver should check `type` and `version` and
/// ignore what it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// [`ENVELOPE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// [`ENVELOPE_VERSION`].
    pub version: u32,
    /// The alert, as `phiguard_core` serialises it.
    pub alert: Alert,
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u32,
    alert: &'a Alert,
}

/// The compact JSON of an alert's envelope.
pub(crate) fn encode(alert: &Alert) -> Result<Bytes, serde_json::Error> {
    let envelope = EnvelopeRef {
        kind: ENVELOPE_TYPE,
        version: ENVELOPE_VERSION,
        alert,
    };
    serde_json::to_vec(&envelope).map(Bytes::from)
}
