//! AES-256-GCM keys: sealing data and wrapping other keys.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad as AwsAad, NONCE_LEN, Nonce, RandomizedNonceKey};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Aad, CryptoError, random_bytes};

/// The first byte of every ciphertext this crate writes. A future format bumps it, and old
/// ciphertexts stay readable by their version.
const FORMAT_V1: u8 = 1;
const TAG_LEN: usize = 16;

/// 32 bytes of key material, wiped from memory when dropped. `Debug` never prints the bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct KeyMaterial([u8; 32]);

impl KeyMaterial {
    /// The length of every phiguard key, in bytes.
    pub const LEN: usize = 32;

    /// Fresh key material from the random generator.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Random`] if the generator fails.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = [0; 32];
        random_bytes(&mut bytes)?;
        Ok(KeyMaterial(bytes))
    }

    /// Wraps existing bytes. The caller should wipe its own copy.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        KeyMaterial(bytes)
    }

    /// The raw bytes, for wrapping or writing to the root key file only.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

/// An AES-256-GCM key that seals data or wraps other keys.
///
/// Nonces are 96-bit values drawn by AWS-LC for every seal; callers cannot supply one. The
/// sealed form is `version (1 byte) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
pub struct SecretKey {
    material: KeyMaterial,
    aead: RandomizedNonceKey,
}

impl SecretKey {
    /// A fresh random key.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Random`] if the random generator fails.
    pub fn generate() -> Result<Self, CryptoError> {
        Self::from_material(KeyMaterial::generate()?)
    }

    /// A key from existing material (an unwrapped key, or the root key file).
    ///
    /// # Errors
    ///
    /// [`CryptoError::Seal`] if AWS-LC rejects the material, which it does not for 32 bytes.
    pub fn from_material(material: KeyMaterial) -> Result<Self, CryptoError> {
        let aead = RandomizedNonceKey::new(&AES_256_GCM, material.expose())
            .map_err(|_| CryptoError::Seal)?;
        Ok(SecretKey { material, aead })
    }

    /// The key's material, for wrapping it under another key.
    pub fn material(&self) -> &KeyMaterial {
        &self.material
    }

    /// Encrypts `plaintext`, bound to `aad`.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Seal`] if AES-GCM refuses the input (over 64 GiB).
    pub fn seal(&self, plaintext: &[u8], aad: &Aad<'_>) -> Result<Vec<u8>, CryptoError> {
        let mut in_out = Vec::with_capacity(plaintext.len() + TAG_LEN);
        in_out.extend_from_slice(plaintext);

        let nonce = self
            .aead
            .seal_in_place_append_tag(AwsAad::from(aad.encode()), &mut in_out)
            .map_err(|_| CryptoError::Seal)?;

        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Decrypts a value sealed by [`SecretKey::seal`] under the same key and `aad`.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Malformed`] for a truncated value or unknown format version;
    /// [`CryptoError::Open`] for a wrong key, a different `aad`, or altered bytes.
    pub fn open(&self, sealed: &[u8], aad: &Aad<'_>) -> Result<Vec<u8>, CryptoError> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(CryptoError::Malformed("it is empty"));
        };
        if version != FORMAT_V1 {
            return Err(CryptoError::Malformed("unknown format version"));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed(
                "it is shorter than a nonce and a tag",
            ));
        }

        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Open)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext_len = self
            .aead
            .open_in_place(nonce, AwsAad::from(aad.encode()), &mut in_out)
            .map_err(|_| CryptoError::Open)?
            .len();
        in_out.truncate(plaintext_len);
        Ok(in_out)
    }

    /// Encrypts another key's material under this key.
    ///
    /// # Errors
    ///
    /// As for [`SecretKey::seal`].
    pub fn wrap(&self, child: &KeyMaterial, aad: &Aad<'_>) -> Result<Vec<u8>, CryptoError> {
        self.seal(child.expose(), aad)
    }

    /// Decrypts key material wrapped by [`SecretKey::wrap`].
    ///
    /// # Errors
    ///
    /// As for [`SecretKey::open`], plus [`CryptoError::Malformed`] if the plaintext is not 32
    /// bytes long.
    pub fn unwrap_key(&self, wrapped: &[u8], aad: &Aad<'_>) -> Result<KeyMaterial, CryptoError> {
        let mut plaintext = self.open(wrapped, aad)?;
        let bytes: Result<[u8; 32], _> = plaintext.as_slice().try_into();
        plaintext.zeroize();
        bytes
            .map(KeyMaterial::from_bytes)
            .map_err(|_| CryptoError::Malformed("a wrapped key is not 32 bytes long"))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiguard_core::{RecordId, SubjectId, TenantId};
    use proptest::prelude::*;

    fn ids() -> (TenantId, SubjectId, RecordId) {
        (
            "t1".parse().unwrap(),
            SubjectId::from_random([1; 16]),
            RecordId::from_random([2; 16]),
        )
    }

    #[test]
    fn a_ciphertext_opens_only_where_it_was_sealed() {
        let (tenant, subject, record) = ids();
        let other_tenant: TenantId = "t2".parse().unwrap();
        let other_record = RecordId::from_random([3; 16]);
        let key = SecretKey::generate().unwrap();
        let aad = |t, r, part, v| Aad::Part {
            tenant: t,
            subject: &subject,
            record: r,
            part,
            subject_key_version: v,
        };

        let sealed = key
            .seal(b"999-38-8871", &aad(&tenant, &record, "identifier", 1))
            .unwrap();
        assert_eq!(
            key.open(&sealed, &aad(&tenant, &record, "identifier", 1))
                .unwrap(),
            b"999-38-8871"
        );

        for wrong in [
            aad(&other_tenant, &record, "identifier", 1),
            aad(&tenant, &other_record, "identifier", 1),
            aad(&tenant, &record, "name", 1),
            aad(&tenant, &record, "identifier", 2),
        ] {
            assert!(matches!(key.open(&sealed, &wrong), Err(CryptoError::Open)));
        }

        let stranger = SecretKey::generate().unwrap();
        assert!(
            stranger
                .open(&sealed, &aad(&tenant, &record, "identifier", 1))
                .is_err()
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let (tenant, _, _) = ids();
        let key = SecretKey::generate().unwrap();
        let aad = Aad::TenantKey {
            tenant: &tenant,
            version: 1,
        };
        assert_ne!(
            key.seal(b"same", &aad).unwrap(),
            key.seal(b"same", &aad).unwrap()
        );
    }

    #[test]
    fn malformed_ciphertexts_are_named_not_panicked_on() {
        let (tenant, _, _) = ids();
        let key = SecretKey::generate().unwrap();
        let aad = Aad::TenantKey {
            tenant: &tenant,
            version: 1,
        };
        assert!(matches!(
            key.open(&[], &aad),
            Err(CryptoError::Malformed(_))
        ));
        assert!(matches!(
            key.open(&[9, 1, 2], &aad),
            Err(CryptoError::Malformed(_))
        ));
        assert!(matches!(
            key.open(&[1; 20], &aad),
            Err(CryptoError::Malformed(_))
        ));
    }

    #[test]
    fn keys_wrap_and_unwrap() {
        let (tenant, subject, _) = ids();
        let kek = SecretKey::generate().unwrap();
        let child = KeyMaterial::generate().unwrap();
        let aad = Aad::SubjectKey {
            tenant: &tenant,
            subject: &subject,
            subject_key_version: 1,
            tenant_key_version: 3,
        };
        let wrapped = kek.wrap(&child, &aad).unwrap();
        assert_eq!(kek.unwrap_key(&wrapped, &aad).unwrap(), child);
        assert!(format!("{child:?}").contains("redacted"));
    }

    proptest! {
        #[test]
        fn any_single_bit_flip_is_detected(plaintext in proptest::collection::vec(any::<u8>(), 0..200),
                                           bit in any::<usize>()) {
            let (tenant, _, _) = ids();
            let key = SecretKey::generate().unwrap();
            let aad = Aad::TenantKey { tenant: &tenant, version: 1 };
            let mut sealed = key.seal(&plaintext, &aad).unwrap();
            let bit = bit % (sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(key.open(&sealed, &aad).is_err());
        }
    }
}
