//! Envelope encryption, the key chain, blind indexes and bearer credentials for phiguard.
//!
//! Everything here runs on [aws-lc-rs], AWS-LC's Rust binding; with the `fips` feature it runs on
//! the FIPS 140-3 validated AWS-LC module, and only approved primitives are used in either build:
//! AES-256-GCM with library-chosen random nonces, HMAC-SHA-256, and HKDF-SHA-256 with a salt.
//!
//! # The key chain
//!
//! ```text
//!  root key (file, mode 0600, never stored in a database)
//!    │ wraps (AES-256-GCM, AAD = tenant + version)
//!    ▼
//!  tenant key vN ──wraps──▶ blind-index key (HMAC-SHA-256, one per tenant)
//!    │ wraps (AAD = tenant + subject + both versions)
//!    ▼
//!  subject key ──seals──▶ one ciphertext per record and part
//!                          (AAD = tenant + subject + record + part + subject key version)
//! ```
//!
//! Destroying a subject key crypto-shreds every ciphertext of that subject, wherever a copy of
//! it went. Rotating a tenant key adds version N+1 and re-wraps the keys beneath it; ciphertexts
//! of records do not change. Because every [`Aad`] names its tenant, subject, record and part, a
//! ciphertext or wrapped key copied to another row, tenant or category fails to open.
//!
//! # Non-features
//!
//! - No key storage: the caller stores wrapped keys; this crate only wraps and unwraps them.
//! - No choice of algorithm or nonce: callers cannot pick a weaker cipher or reuse a nonce.
//! - No plaintext in errors: [`CryptoError`] says which operation failed, never with what data.
//! - No hand-written primitives: AWS-LC does all cryptography; this crate only fixes how it is
//!   used (formats, AAD layout, domain separation).
//!
//! # Example
//!
//! ```
//! use phiguard_crypto::{Aad, SecretKey};
//!
//! let tenant: phiguard_core::TenantId = "northwind".parse().unwrap();
//! let subject = phiguard_core::SubjectId::from_random([1; 16]);
//! let record = phiguard_core::RecordId::from_random([2; 16]);
//!
//! let subject_key = SecretKey::generate().unwrap();
//! let aad = Aad::Part { tenant: &tenant, subject: &subject, record: &record,
//!                       part: "clinical", subject_key_version: 1 };
//! let sealed = subject_key.seal(b"hypothyroidism", &aad).unwrap();
//! assert_eq!(subject_key.open(&sealed, &aad).unwrap().as_slice(), b"hypothyroidism");
//!
//! let moved = Aad::Part { tenant: &tenant, subject: &subject, record: &record,
//!                         part: "name", subject_key_version: 1 };
//! assert!(subject_key.open(&sealed, &moved).is_err());
//! ```
//!
//! [aws-lc-rs]: https://docs.rs/aws-lc-rs

mod aad;
mod blind;
mod credential;
mod error;
mod key;
mod module;
mod root;

pub use aad::Aad;
pub use blind::{BLIND_DIGEST_LEN, BlindDigest, BlindIndexKey};
pub use credential::{BearerToken, CredentialHasher, CredentialSecretHash};
pub use error::CryptoError;
pub use key::{KeyMaterial, SecretKey};
pub use module::CryptoModule;
pub use root::RootKey;

/// Fills `out` with bytes from AWS-LC's random generator.
///
/// # Errors
///
/// [`CryptoError::Random`] if the generator fails, which AWS-LC only reports when the operating
/// system's entropy source is unavailable.
pub fn random_bytes(out: &mut [u8]) -> Result<(), CryptoError> {
    aws_lc_rs::rand::fill(out).map_err(|_| CryptoError::Random)
}

/// Mints a fresh subject id from random bytes.
///
/// # Errors
///
/// [`CryptoError::Random`] if the random generator fails.
pub fn new_subject_id() -> Result<phiguard_core::SubjectId, CryptoError> {
    let mut bytes = [0; phiguard_core::SubjectId::RANDOM_BYTES];
    random_bytes(&mut bytes)?;
    Ok(phiguard_core::SubjectId::from_random(bytes))
}

/// Mints a fresh record id from random bytes.
///
/// # Errors
///
/// [`CryptoError::Random`] if the random generator fails.
pub fn new_record_id() -> Result<phiguard_core::RecordId, CryptoError> {
    let mut bytes = [0; phiguard_core::RecordId::RANDOM_BYTES];
    random_bytes(&mut bytes)?;
    Ok(phiguard_core::RecordId::from_random(bytes))
}
