//! Bearer credentials: random tokens that the vault stores only as keyed hashes.

use std::fmt;

use aws_lc_rs::{constant_time, hkdf, hmac};
use data_encoding::BASE32_NOPAD;
use phiguard_core::CredentialId;
use zeroize::Zeroizing;

use crate::{CryptoError, KeyMaterial, random_bytes};

const TOKEN_PREFIX: &str = "phg_";
const SECRET_BYTES: usize = 32;

/// A bearer token as the holder sees it: `phg_<credential id>_<secret>`, both parts lowercase
/// base32. The secret part carries 256 random bits.
///
/// `Debug` and `Display` are not implemented for the secret: only [`BearerToken::expose`]
/// gives the text, so that a token cannot reach a log line by accident.
pub struct BearerToken(Zeroizing<String>);

impl BearerToken {
    /// The token text, to hand to its holder exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Parses a presented token into its credential id and secret.
    ///
    /// # Errors
    ///
    /// [`CryptoError::MalformedToken`] when the text is not of phiguard's form.
    pub fn parse(text: &str) -> Result<(CredentialId, BearerToken), CryptoError> {
        let rest = text
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(CryptoError::MalformedToken)?;
        let (id_part, secret) = rest.split_once('_').ok_or(CryptoError::MalformedToken)?;

        let id: CredentialId = format!("{}{id_part}", CredentialId::PREFIX)
            .parse()
            .map_err(|_| CryptoError::MalformedToken)?;
        let secret_ok = secret.len() == BASE32_NOPAD.encode_len(SECRET_BYTES)
            && secret
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
        if !secret_ok {
            return Err(CryptoError::MalformedToken);
        }

        Ok((id, BearerToken(Zeroizing::new(secret.to_owned()))))
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// The stored form of a credential's secret: HMAC-SHA-256 under a key derived from the root key.
/// A copy of the credential table alone does not let anyone test guesses offline.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialSecretHash(pub [u8; 32]);

impl fmt::Debug for CredentialSecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialSecretHash(..)")
    }
}

/// Issues credentials and checks presented ones.
pub struct CredentialHasher(hmac::Key);

struct HmacKeyLen;

impl hkdf::KeyType for HmacKeyLen {
    fn len(&self) -> usize {
        32
    }
}

impl CredentialHasher {
    /// Derives the hashing key from the root key with HKDF-SHA-256 (fixed salt and label, so
    /// the derivation is separated from every other use of the root key).
    ///
    /// # Errors
    ///
    /// [`CryptoError::Seal`] if HKDF fails, which it does not for these lengths.
    pub fn derive(root: &KeyMaterial) -> Result<Self, CryptoError> {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"phiguard credential hashing salt v1");
        let prk = salt.extract(root.expose());
        let info: [&[u8]; 1] = [b"phiguard/credential-hash/v1"];
        let okm = prk
            .expand(&info, HmacKeyLen)
            .map_err(|_| CryptoError::Seal)?;

        let mut bytes = Zeroizing::new([0u8; 32]);
        okm.fill(bytes.as_mut()).map_err(|_| CryptoError::Seal)?;
        Ok(CredentialHasher(hmac::Key::new(
            hmac::HMAC_SHA256,
            bytes.as_ref(),
        )))
    }

    /// Mints a new credential: its public id, the token for its holder, and the hash to store.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Random`] if the random generator fails.
    pub fn issue(&self) -> Result<(CredentialId, BearerToken, CredentialSecretHash), CryptoError> {
        let mut id_bytes = [0; CredentialId::RANDOM_BYTES];
        random_bytes(&mut id_bytes)?;
        let id = CredentialId::from_random(id_bytes);

        let mut secret_bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        random_bytes(secret_bytes.as_mut())?;
        let secret = Zeroizing::new(
            BASE32_NOPAD
                .encode(secret_bytes.as_ref())
                .to_ascii_lowercase(),
        );

        let id_part = &id.as_str()[CredentialId::PREFIX.len()..];
        let token = Zeroizing::new(format!("{TOKEN_PREFIX}{id_part}_{}", secret.as_str()));
        let hash = self.hash_secret(&BearerToken(secret));
        Ok((id, BearerToken(token), hash))
    }

    /// The stored hash of a presented secret (as returned by [`BearerToken::parse`]).
    pub fn hash_secret(&self, secret: &BearerToken) -> CredentialSecretHash {
        let tag = hmac::sign(&self.0, secret.expose().as_bytes());
        let mut hash = [0; 32];
        hash.copy_from_slice(tag.as_ref());
        CredentialSecretHash(hash)
    }

    /// Whether a presented secret matches a stored hash, in constant time.
    pub fn verify(&self, secret: &BearerToken, stored: &CredentialSecretHash) -> bool {
        let presented = self.hash_secret(secret);
        constant_time::verify_slices_are_equal(&presented.0, &stored.0).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_parse_and_verify() {
        let hasher = CredentialHasher::derive(&KeyMaterial::from_bytes([9; 32])).unwrap();
        let (id, token, stored) = hasher.issue().unwrap();

        let (parsed_id, secret) = BearerToken::parse(token.expose()).unwrap();
        assert_eq!(parsed_id, id);
        assert!(hasher.verify(&secret, &stored));

        let (_, other_token, _) = hasher.issue().unwrap();
        let (_, other_secret) = BearerToken::parse(other_token.expose()).unwrap();
        assert!(!hasher.verify(&other_secret, &stored));
    }

    #[test]
    fn hashes_depend_on_the_root_key() {
        let one = CredentialHasher::derive(&KeyMaterial::from_bytes([1; 32])).unwrap();
        let two = CredentialHasher::derive(&KeyMaterial::from_bytes([2; 32])).unwrap();
        let (_, token, stored) = one.issue().unwrap();
        let (_, secret) = BearerToken::parse(token.expose()).unwrap();
        assert!(!two.verify(&secret, &stored));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "Bearer x",
            "phg_",
            "phg_abc_def",
            "phg_aaaaaaaaaaaaaaaa_tooshort",
            &format!("phg_aaaaaaaaaaaaaaaa_{}", "A".repeat(52)),
            &format!("phg_aaaaaaaaaaaaaaaa_{}", "a".repeat(53)),
        ] {
            assert!(BearerToken::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn tokens_never_print() {
        let hasher = CredentialHasher::derive(&KeyMaterial::from_bytes([9; 32])).unwrap();
        let (_, token, _) = hasher.issue().unwrap();
        assert!(!format!("{token:?}").contains(&token.expose()[8..]));
    }
}
