//! Blind indexes: equality search over PHI without storing it.

use std::fmt;

use aws_lc_rs::hmac;

use crate::KeyMaterial;

/// Length of a stored blind-index digest: HMAC-SHA-256 truncated to 128 bits, enough that two
/// different values of one field never share a digest in practice, so a match needs no check
/// against the plaintext.
pub const BLIND_DIGEST_LEN: usize = 16;

/// A blind-index digest as stored.
pub type BlindDigest = [u8; BLIND_DIGEST_LEN];

/// A tenant's keyed hash for blind indexes.
///
/// The same normalised value gives the same digest within one tenant and unrelated digests in
/// another, so an index row copied across tenants matches nothing there. The field name is
/// part of the input, so an SSN and a phone number with the same digits do not collide.
pub struct BlindIndexKey(hmac::Key);

impl BlindIndexKey {
    /// The index key from its (unwrapped) material.
    pub fn new(material: &KeyMaterial) -> Self {
        BlindIndexKey(hmac::Key::new(hmac::HMAC_SHA256, material.expose()))
    }

    /// The digest of one normalised value of one search field.
    pub fn digest(&self, field: &str, normalized: &str) -> BlindDigest {
        let mut context = hmac::Context::with_key(&self.0);
        let field_len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        context.update(&field_len.to_be_bytes());
        context.update(field.as_bytes());
        context.update(normalized.as_bytes());

        let tag = context.sign();
        let mut digest = [0; BLIND_DIGEST_LEN];
        digest.copy_from_slice(&tag.as_ref()[..BLIND_DIGEST_LEN]);
        digest
    }
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_key_field_and_value() {
        let a = BlindIndexKey::new(&KeyMaterial::from_bytes([1; 32]));
        let b = BlindIndexKey::new(&KeyMaterial::from_bytes([2; 32]));

        assert_eq!(a.digest("ssn", "999388871"), a.digest("ssn", "999388871"));
        assert_ne!(a.digest("ssn", "999388871"), b.digest("ssn", "999388871"));
        assert_ne!(a.digest("ssn", "999388871"), a.digest("phone", "999388871"));
        assert_ne!(a.digest("ab", "c"), a.digest("a", "bc"));
    }
}
