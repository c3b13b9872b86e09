//! RFC 6962 / RFC 9162 hashing: SHA-256 with one-byte domain separation for leaves and nodes.
//!
//! A leaf hash is `SHA-256(0x00 || entry bytes)`, an interior node is `SHA-256(0x01 || left ||
//! right)`, and the root of the empty tree is `SHA-256("")` (RFC 6962 section 2.1). The prefixes
//! keep a leaf from ever being mistaken for a node, so no one can present two leaf hashes as one
//! entry.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest::{self, SHA256};
use data_encoding::{BASE64, HEXLOWER};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The length of every hash in the ledger, in bytes.
pub const HASH_LEN: usize = 32;

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 hash of a leaf, a node or a whole tree.
///
/// Displays as lowercase hex; serialises as standard base64, the encoding C2SP checkpoints use
/// for root hashes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash([u8; HASH_LEN]);

/// Text or bytes that are not a 32-byte hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a ledger hash must be {HASH_LEN} bytes, written as {encoding}")]
pub struct HashFormatError {
    /// The encoding that was expected.
    pub encoding: &'static str,
}

impl Hash {
    /// Wraps 32 bytes.
    pub const fn from_bytes(bytes: [u8; HASH_LEN]) -> Self {
        Hash(bytes)
    }

    /// Takes a hash from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashFormatError> {
        let array: [u8; HASH_LEN] = bytes.try_into().map_err(|_| HashFormatError {
            encoding: "raw bytes",
        })?;
        Ok(Hash(array))
    }

    /// The hash's bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0)
    }

    /// Parses 64 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<Self, HashFormatError> {
        let error = HashFormatError {
            encoding: "64 lowercase hex characters",
        };
        let bytes = HEXLOWER
            .decode(text.as_bytes())
            .map_err(|_| error.clone())?;
        Hash::from_slice(&bytes).map_err(|_| error)
    }

    /// Standard base64 with padding, 44 characters.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.0)
    }

    /// Parses canonical standard base64 (padding required, no stray bits).
    pub fn from_base64(text: &str) -> Result<Self, HashFormatError> {
        let error = HashFormatError {
            encoding: "44 characters of standard base64",
        };
        let bytes = BASE64.decode(text.as_bytes()).map_err(|_| error.clone())?;
        Hash::from_slice(&bytes).map_err(|_| error)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl FromStr for Hash {
    type Err = HashFormatError;

    /// Parses lowercase hex, the form a hash displays as.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash::from_hex(s)
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hash::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

fn finish(context: digest::Context) -> Hash {
    let digest = context.finish();
    let mut bytes = [0; HASH_LEN];
    bytes.copy_from_slice(digest.as_ref());
    Hash(bytes)
}

/// The hash of one ledger entry: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut context = digest::Context::new(&SHA256);
    context.update(&[LEAF_PREFIX]);
    context.update(entry);
    finish(context)
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut input = [0; 1 + 2 * HASH_LEN];
    input[0] = NODE_PREFIX;
    input[1..=HASH_LEN].copy_from_slice(&left.0);
    input[1 + HASH_LEN..].copy_from_slice(&right.0);

    let mut context = digest::Context::new(&SHA256);
    context.update(&input);
    finish(context)
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    finish(digest::Context::new(&SHA256))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers: SHA-256 of the empty string (FIPS 180-4), and the RFC 6962 leaf hash of the
    // empty entry, which the certificate-transparency test suites list as the size-1 root.
    #[test]
    fn empty_root_and_empty_leaf_match_known_answers() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn leaves_and_nodes_are_domain_separated() {
        let left = leaf_hash(b"a");
        let right = leaf_hash(b"b");
        let mut concatenated = Vec::new();
        concatenated.extend_from_slice(left.as_bytes());
        concatenated.extend_from_slice(right.as_bytes());

        assert_ne!(node_hash(&left, &right), leaf_hash(&concatenated));
        assert_ne!(node_hash(&left, &right), node_hash(&right, &left));
    }

    #[test]
    fn encodings_round_trip_and_refuse_other_lengths() {
        let hash = leaf_hash(b"entry");
        assert_eq!(Hash::from_hex(&hash.to_hex()).unwrap(), hash);
        assert_eq!(Hash::from_base64(&hash.to_base64()).unwrap(), hash);
        assert_eq!(hash.to_string().parse::<Hash>().unwrap(), hash);

        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), hash);

        assert!(Hash::from_hex(&hash.to_hex()[2..]).is_err());
        assert!(Hash::from_hex(&hash.to_hex().to_uppercase()).is_err());
        assert!(Hash::from_base64("AAAA").is_err());
        assert!(Hash::from_slice(&[0; 31]).is_err());
    }
}
