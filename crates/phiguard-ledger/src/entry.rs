//! The canonical, versioned encoding of an audit event as a ledger entry.
//!
//! An entry's bytes are the leaf input of the Merkle tree, so they must be reproducible bit for
//! bit: compact JSON (no whitespace), fields in the fixed order of [`LedgerEntry`], absent optional
//! fields and empty collections left out, strings escaped the way `serde_json` escapes them, times
//! in RFC 3339 UTC with the fewest fractional digits. One entry is one line of a JSON Lines
//! export, and the line (without its newline) is exactly what was hashed.
//!
//! [`LedgerEntry::decode`] accepts only bytes that re-encode to themselves, so an edit that keeps
//! the JSON meaning but changes the bytes (a space, an escape, a reordered field) is caught as
//! surely as an edit of a value.
//!
//! Version 1 (`"v":1`) fields, in order:
//!
//! | field | meaning |
//! | --- | --- |
//! | `v` | encoding version, always 1 |
//! | `index` | the entry's leaf index in its tenant's log |
//! | `time` | when the vault decided (RFC 3339, UTC) |
//! | `tenant` | the tenant whose log this is |
//! | `actor`, `actor_kind` | who asked: `user`, `service` or `system` |
//! | `action` | what was asked (`read_record`, `dispose_subject`, …) |
//! | `purpose` | HL7 purpose of use, when the request named one |
//! | `break_glass_reason` | the written reason of an `ETREAT` request |
//! | `subject`, `record`, `record_type` | what was touched, as opaque ids |
//! | `decision` | `allow` or `deny` |
//! | `disclosed` | per category that left the vault, the level it left at |
//! | `outcome` | how the request ended |
//! | `policies` | ids of the policies that decided |
//! | `target`, `count` | a non-PHI name and a count, for actions that have them |
//! | `request_id` | the request the entry belongs to |
//!
//! Version 2 (`"v":2`) adds four optional fields after `request_id`, in this order, and is
//! written only when at least one of them is present; an entry without them stays version 1,
//! byte for byte, so logs written before version 2 existed verify unchanged.
//!
//! | field | meaning |
//! | --- | --- |
//! | `credential` | the public id of the credential the request presented |
//! | `network` | the caller's network range (an IPv4 /24 or IPv6 /48) |
//! | `recipient` | the party the caller said it passes the data on to |
//! | `requested_tenant` | another tenant than the caller's that the request named |

use std::collections::BTreeMap;

use phiguard_core::{
    ActorId, ActorKind, AuditAction, AuditEvent, Category, CredentialId, Decision, Disclosure,
    NetworkRange, Outcome, PurposeOfUse, RecipientId, RecordId, RequestId, SubjectId, TenantId,
    Timestamp,
};
use serde::{Deserialize, Serialize};

/// The newest encoding version this crate writes (for entries that need its fields; others are
/// written as [`ENTRY_VERSION_1`]).
pub const ENTRY_VERSION: u32 = 2;

/// The first encoding version, still written for entries without the version 2 fields.
pub const ENTRY_VERSION_1: u32 = 1;

/// The largest entry accepted by [`LedgerEntry::decode`], in bytes.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;

const VERSION_PREFIX: &[u8] = b"{\"v\":";

/// Why bytes are not a valid ledger entry. Never quotes the bytes: a tampered entry may hold
/// anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The entry is larger than [`MAX_ENTRY_BYTES`].
    #[error("the ledger entry is {len} bytes long, more than the {MAX_ENTRY_BYTES} allowed")]
    TooLarge {
        /// The entry's length.
        len: usize,
    },
    /// The entry names an encoding version this build does not know.
    #[error("the ledger entry has encoding version {found}; this build reads versions 1 and 2")]
    UnsupportedVersion {
        /// The version the entry names.
        found: u64,
    },
    /// The bytes are not JSON of the entry's shape (missing, unknown or ill-typed fields).
    #[error("the ledger entry is not a valid entry of its version (problem near byte {column})")]
    Malformed {
        /// The 1-based column of the problem on the entry's single line.
        column: usize,
    },
    /// The bytes parse, but are not the canonical encoding of what they contain.
    #[error("the ledger entry is not in canonical form, so it was altered after it was written")]
    NotCanonical,
    /// The entry could not be serialised (not expected for any value of the type).
    #[error("the ledger entry could not be encoded")]
    Encode,
}

/// One audit event as the ledger stores it: ids, codes and category names only, never a PHI
/// value. The field order is the encoding's field order; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// Encoding version: [`ENTRY_VERSION_1`], or [`ENTRY_VERSION`] when a version 2 field is
    /// present.
    pub v: u32,
    /// The entry's leaf index in its tenant's log, so that a moved, dropped or swapped entry is
    /// named by position even when its stored leaf hash was moved with it.
    pub index: u64,
    /// When the vault decided.
    pub time: Timestamp,
    /// The tenant whose log holds the entry.
    pub tenant: TenantId,
    /// Who asked.
    pub actor: ActorId,
    /// What kind of actor asked.
    pub actor_kind: ActorKind,
    /// What was asked.
    pub action: AuditAction,
    /// The purpose of use the request named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<PurposeOfUse>,
    /// The written reason of a break-glass request (bounded free text written by the actor,
    /// who is told it is recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_reason: Option<String>,
    /// The subject concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectId>,
    /// The record concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordId>,
    /// The record's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Allowed or denied.
    pub decision: Decision,
    /// The categories that left the vault and the level they left at.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub disclosed: BTreeMap<Category, Disclosure>,
    /// How the request ended.
    pub outcome: Outcome,
    /// The ids of the policies that decided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// A non-PHI name of what was touched besides a record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A count, for actions that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The request the entry belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// The credential the request presented (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialId>,
    /// The caller's network range (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkRange>,
    /// The party the caller passes the data on to (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientId>,
    /// Another tenant the request named (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_tenant: Option<TenantId>,
}

impl LedgerEntry {
    /// The entry for `event` at leaf `index` of its tenant's log.
    pub fn from_event(index: u64, event: &AuditEvent) -> Self {
        let mut entry = LedgerEntry {
            v: ENTRY_VERSION,
            index,
            time: event.time,
            tenant: event.tenant.clone(),
            actor: event.actor.clone(),
            actor_kind: event.actor_kind,
            action: event.action,
            purpose: event.purpose,
            break_glass_reason: event.break_glass_reason.clone(),
            subject: event.subject.clone(),
            record: event.record.clone(),
            record_type: event.record_type.clone(),
            decision: event.decision,
            disclosed: event.disclosed.clone(),
            outcome: event.outcome,
            policies: event.policies.clone(),
            target: event.target.clone(),
            count: event.count,
            request_id: event.request_id.clone(),
            credential: event.credential.clone(),
            network: event.network,
            recipient: event.recipient.clone(),
            requested_tenant: event.requested_tenant.clone(),
        };
        entry.v = entry.required_version();
        entry
    }

    /// The version this entry's fields call for: 2 when any version 2 field is present.
    fn required_version(&self) -> u32 {
        let version_2 = self.credential.is_some()
            || self.network.is_some()
            || self.recipient.is_some()
            || self.requested_tenant.is_some();
        if version_2 {
            ENTRY_VERSION
        } else {
            ENTRY_VERSION_1
        }
    }

    /// The audit event this entry records (for accounting of disclosures, FHIR rendering).
    pub fn into_event(self) -> AuditEvent {
        AuditEvent {
            time: self.time,
            tenant: self.tenant,
            actor: self.actor,
            actor_kind: self.actor_kind,
            action: self.action,
            purpose: self.purpose,
            break_glass_reason: self.break_glass_reason,
            subject: self.subject,
            record: self.record,
            record_type: self.record_type,
            decision: self.decision,
            disclosed: self.disclosed,
            outcome: self.outcome,
            policies: self.policies,
            target: self.target,
            count: self.count,
            request_id: self.request_id,
            credential: self.credential,
            network: self.network,
            recipient: self.recipient,
            requested_tenant: self.requested_tenant,
        }
    }

    /// The canonical bytes: the leaf input, and one line of a JSON Lines export (without the
    /// newline).
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        serde_json::to_vec(self).map_err(|_| EntryError::Encode)
    }

    /// Parses entry bytes without re-encoding them to check canonical form: for readers of the
    /// vault's own store that must keep up with it (the detectors' tail), where proving the
    /// bytes unaltered is the verifier's job ([`LedgerEntry::decode`], `phiguard ledger
    /// verify`), not the reader's. Version and shape are still checked.
    ///
    /// # Errors
    ///
    /// As for [`LedgerEntry::decode`], except [`EntryError::NotCanonical`] for re-encoding.
    pub fn decode_fields(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge { len: bytes.len() });
        }
        let version = version_of(bytes)?;
        if version != u64::from(ENTRY_VERSION) && version != u64::from(ENTRY_VERSION_1) {
            return Err(EntryError::UnsupportedVersion { found: version });
        }
        serde_json::from_slice(bytes).map_err(|error| EntryError::Malformed {
            column: error.column(),
        })
    }

    /// Parses canonical entry bytes, refusing anything that does not re-encode to itself.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge { len: bytes.len() });
        }

        // Read the version before the fields, so that a later version is reported as such and
        // not as a pile of unknown fields.
        let version = version_of(bytes)?;
        if version != u64::from(ENTRY_VERSION) && version != u64::from(ENTRY_VERSION_1) {
            return Err(EntryError::UnsupportedVersion { found: version });
        }

        let entry: LedgerEntry =
            serde_json::from_slice(bytes).map_err(|error| EntryError::Malformed {
                column: error.column(),
            })?;

        // A version 1 entry holding version 2 fields, or a version 2 entry without them, is
        // not what the encoder writes.
        if entry.v != entry.required_version() || entry.encode()? != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}

/// The version number of canonical bytes, which always begin `{"v":<digits>,`.
fn version_of(bytes: &[u8]) -> Result<u64, EntryError> {
    let Some(rest) = bytes.strip_prefix(VERSION_PREFIX) else {
        return Err(EntryError::NotCanonical);
    };

    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let canonical_number = digits > 0 && digits <= 19 && (digits == 1 || rest[0] != b'0');
    if !canonical_number || rest.get(digits) != Some(&b',') {
        return Err(EntryError::NotCanonical);
    }

    rest[..digits]
        .iter()
        .try_fold(0u64, |value, digit| {
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })
        .ok_or(EntryError::NotCanonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_event() -> AuditEvent {
        let mut event = AuditEvent::new(
            "northwind".parse().unwrap(),
            "dr-okafor".parse().unwrap(),
            ActorKind::User,
            AuditAction::ReadRecord,
            Decision::Allow,
            Outcome::Success,
        );
        event.time = "2026-03-01T09:30:00.25Z".parse().unwrap();
        event.purpose = Some(PurposeOfUse::Etreat);
        event.break_glass_reason = Some("unconscious on arrival".to_owned());
        event.subject = Some(SubjectId::from_random([3; 16]));
        event.record = Some(RecordId::from_random([4; 16]));
        event.record_type = Some("fhir.Patient".to_owned());
        event.disclosed.insert(Category::Name, Disclosure::Clear);
        event
            .disclosed
            .insert(Category::Clinical, Disclosure::Masked);
        event.policies = vec!["break-glass".to_owned()];
        event.request_id = Some("req-42".parse().unwrap());
        event
    }

    #[test]
    fn encoding_is_compact_and_in_the_documented_order() {
        let entry = LedgerEntry::from_event(7, &read_event());
        let text = String::from_utf8(entry.encode().unwrap()).unwrap();

        assert!(text.starts_with(r#"{"v":1,"index":7,"time":"2026-03-01T09:30:00.25Z","#));
        let without_reason = text.replace("unconscious on arrival", "");
        assert!(
            !without_reason.contains(' '),
            "compact JSON has no spaces: {text}"
        );
        assert!(!text.contains('\n'));
        assert!(
            !text.contains("\"target\""),
            "absent fields are left out: {text}"
        );

        let order = [
            "\"tenant\"",
            "\"actor\"",
            "\"action\"",
            "\"purpose\"",
            "\"subject\"",
            "\"decision\"",
            "\"disclosed\"",
            "\"outcome\"",
            "\"request_id\"",
        ];
        let positions: Vec<usize> = order.iter().map(|key| text.find(key).unwrap()).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    #[test]
    fn entries_round_trip_to_the_same_event() {
        let event = read_event();
        let bytes = LedgerEntry::from_event(0, &event).encode().unwrap();
        let decoded = LedgerEntry::decode(&bytes).unwrap();

        assert_eq!(decoded.index, 0);
        assert_eq!(decoded.into_event(), event);
    }

    #[test]
    fn equivalent_but_different_bytes_are_refused() {
        let bytes = LedgerEntry::from_event(1, &read_event()).encode().unwrap();
        let text = String::from_utf8(bytes).unwrap();

        let spaced = text.replacen(",\"index\"", ", \"index\"", 1);
        let escaped = text.replacen("dr-okafor", "dr\\u002dokafor", 1);
        let offset = text.replacen("09:30:00.25Z", "10:30:00.25+01:00", 1);
        let padded = text.replacen("\"index\":1", "\"index\":01", 1);
        let trailing = format!("{text}\n");
        for altered in [spaced, escaped, offset, padded, trailing] {
            assert_ne!(altered, text);
            let result = LedgerEntry::decode(altered.as_bytes());
            assert!(result.is_err(), "accepted {altered}");
        }
    }

    #[test]
    fn other_versions_and_shapes_are_named() {
        let later = br#"{"v":3,"index":0}"#;
        assert_eq!(
            LedgerEntry::decode(later),
            Err(EntryError::UnsupportedVersion { found: 3 })
        );

        let text =
            String::from_utf8(LedgerEntry::from_event(1, &read_event()).encode().unwrap()).unwrap();
        let unknown = text.replacen("\"index\":1,", "\"index\":1,\"ssn\":\"x\",", 1);
        assert!(matches!(
            LedgerEntry::decode(unknown.as_bytes()),
            Err(EntryError::Malformed { .. })
        ));
        assert_eq!(LedgerEntry::decode(b"[]"), Err(EntryError::NotCanonical));
        assert_eq!(
            LedgerEntry::decode(&vec![b' '; MAX_ENTRY_BYTES + 1]),
            Err(EntryError::TooLarge {
                len: MAX_ENTRY_BYTES + 1
            })
        );
    }

    #[test]
    fn version_2_fields_raise_the_version_and_only_then() {
        let plain = LedgerEntry::from_event(1, &read_event());
        assert_eq!(plain.v, ENTRY_VERSION_1);

        let mut event = read_event();
        event.credential = Some(CredentialId::from_random([5; 10]));
        event.network = Some(NetworkRange::of("203.0.113.9".parse().unwrap()));
        event.recipient = Some("stripe".parse().unwrap());
        event.requested_tenant = Some("southgate".parse().unwrap());
        let entry = LedgerEntry::from_event(2, &event);
        assert_eq!(entry.v, ENTRY_VERSION);
        let bytes = entry.encode().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(r#"{"v":2,"#), "{text}");
        assert!(
            text.ends_with(
                r#""network":"203.0.113.0/24","recipient":"stripe","requested_tenant":"southgate"}"#
            ),
            "{text}"
        );
        assert_eq!(LedgerEntry::decode(&bytes).unwrap().into_event(), event);

        // The version must match the fields, in both directions.
        let downgraded = text.replacen(r#"{"v":2,"#, r#"{"v":1,"#, 1);
        assert_eq!(
            LedgerEntry::decode(downgraded.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let plain_text = String::from_utf8(plain.encode().unwrap()).unwrap();
        let upgraded = plain_text.replacen(r#"{"v":1,"#, r#"{"v":2,"#, 1);
        assert_eq!(
            LedgerEntry::decode(upgraded.as_bytes()),
            Err(EntryError::NotCanonical)
        );
    }

    #[test]
    fn errors_do_not_quote_the_entry() {
        let text =
            String::from_utf8(LedgerEntry::from_event(1, &read_event()).encode().unwrap()).unwrap();
        let altered = text.replacen("\"decision\":\"allow\"", "\"decision\":\"Jane Roe\"", 1);
        let message = LedgerEntry::decode(altered.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!message.contains("Jane"), "{message}");
    }

    proptest! {
        #[test]
        fn any_reason_text_round_trips(reason in any::<String>(), index in any::<u64>()) {
            let mut event = read_event();
            event.break_glass_reason = Some(reason);
            let bytes = LedgerEntry::from_event(index, &event).encode().unwrap();
            let decoded = LedgerEntry::decode(&bytes).unwrap();
            prop_assert_eq!(decoded.index, index);
            prop_assert_eq!(decoded.into_event(), event);
        }
    }
}
