//! The keys that sign checkpoints and the verifiers that check them.
//!
//! Two signature types of the C2SP signed-note spec are supported:
//!
//! | type | algorithm | key id | key in a verifier key |
//! | --- | --- | --- | --- |
//! | `0x01` | Ed25519 (RFC 8032) | `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]` | 32 raw bytes |
//! | `0x02` | ECDSA P-256, SHA-256, DER signature | `SHA-256(SPKI DER)[:4]` | DER SPKI |
//!
//! `0x02` is the spec's "ECDSA signatures as implemented by github.com/transparency-dev/witness",
//! which names P-256 as the curve to use. Ed25519 is the default; with the `fips` feature the
//! default is ECDSA P-256, the approved algorithm of the two. Both verify in either build.
//!
//! A verifier key is the text `<name>+<8 hex digits of key id>+<base64(type byte ‖ public key)>`,
//! the form Go's `golang.org/x/mod/sumdb/note` and transparency-dev tools read.

use std::fmt;

use aws_lc_rs::digest::{self, SHA256};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::pkcs8::Document;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ED25519, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair, ParsedPublicKey,
};
use data_encoding::{BASE64, HEXLOWER};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::note::{Note, NoteSignature, check_key_name};

const ED25519_TYPE: u8 = 0x01;
const ECDSA_TYPE: u8 = 0x02;
const ED25519_PUBLIC_KEY_LEN: usize = 32;

/// A checkpoint signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// Ed25519, signed-note type `0x01`.
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256, signed-note type `0x02`.
    EcdsaP256,
}

impl SignatureAlgorithm {
    /// The algorithm new keys use: Ed25519, or ECDSA P-256 when built with `fips`.
    pub const DEFAULT: SignatureAlgorithm = if cfg!(feature = "fips") {
        SignatureAlgorithm::EcdsaP256
    } else {
        SignatureAlgorithm::Ed25519
    };

    /// The signed-note signature type byte.
    pub const fn type_byte(self) -> u8 {
        match self {
            SignatureAlgorithm::Ed25519 => ED25519_TYPE,
            SignatureAlgorithm::EcdsaP256 => ECDSA_TYPE,
        }
    }

    /// The algorithm's name as configuration and status output spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::EcdsaP256 => "ecdsa-p256",
        }
    }
}

/// The text is not a checkpoint signature algorithm name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown checkpoint signature algorithm; expected ed25519 or ecdsa-p256")]
pub struct UnknownAlgorithm;

impl std::str::FromStr for SignatureAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [SignatureAlgorithm::Ed25519, SignatureAlgorithm::EcdsaP256]
            .into_iter()
            .find(|algorithm| algorithm.as_str() == s)
            .ok_or(UnknownAlgorithm)
    }
}

impl Default for SignatureAlgorithm {
    fn default() -> Self {
        SignatureAlgorithm::DEFAULT
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key could not be made, read or used. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The system random generator or AWS-LC failed to make a key.
    #[error("a checkpoint signing key could not be generated")]
    Generate,
    /// The PKCS#8 document is not an Ed25519 or P-256 private key.
    #[error("the checkpoint signing key is not a PKCS#8 Ed25519 or ECDSA P-256 private key")]
    NotASigningKey,
    /// The key could not be written as PKCS#8.
    #[error("the checkpoint signing key could not be encoded as PKCS#8")]
    Export,
    /// Signing failed inside AWS-LC.
    #[error("the checkpoint could not be signed")]
    Sign,
    /// A public or verifier key is malformed.
    #[error("the verifier key is malformed: {0}")]
    BadVerifierKey(&'static str),
}

/// A public key with its algorithm: what a verifier needs besides the key name.
///
/// Displays as `base64(type byte ‖ key)`, the last part of a verifier key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: SignatureAlgorithm,
    bytes: Vec<u8>,
    parsed: ParsedKey,
}

#[derive(Clone)]
struct ParsedKey(std::sync::Arc<ParsedPublicKey>);

impl PartialEq for ParsedKey {
    fn eq(&self, _: &Self) -> bool {
        // Two PublicKeys are equal when algorithm and bytes are; the parsed form follows.
        true
    }
}

impl Eq for ParsedKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm, self)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(1 + self.bytes.len());
        bytes.push(self.algorithm.type_byte());
        bytes.extend_from_slice(&self.bytes);
        f.write_str(&BASE64.encode(&bytes))
    }
}

impl PublicKey {
    /// A public key from its algorithm and encoding (32 raw bytes for Ed25519, DER
    /// `SubjectPublicKeyInfo` for ECDSA P-256). Refuses other encodings, so that the key id is
    /// computed over the same bytes every implementation uses.
    pub fn new(algorithm: SignatureAlgorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        let parsed = match algorithm {
            SignatureAlgorithm::Ed25519 => {
                if bytes.len() != ED25519_PUBLIC_KEY_LEN {
                    return Err(KeyError::BadVerifierKey(
                        "an Ed25519 public key is 32 bytes",
                    ));
                }
                ParsedPublicKey::new(&ED25519, bytes)
                    .map_err(|_| KeyError::BadVerifierKey("not an Ed25519 public key"))?
            }
            SignatureAlgorithm::EcdsaP256 => {
                let not_spki = KeyError::BadVerifierKey(
                    "an ECDSA key must be a DER SubjectPublicKeyInfo on curve P-256",
                );
                let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, bytes)
                    .map_err(|_| not_spki.clone())?;
                let canonical = parsed.as_der().map_err(|_| not_spki.clone())?;
                if canonical.as_ref() != bytes {
                    return Err(not_spki);
                }
                parsed
            }
        };
        Ok(PublicKey {
            algorithm,
            bytes: bytes.to_vec(),
            parsed: ParsedKey(std::sync::Arc::new(parsed)),
        })
    }

    /// Parses `base64(type byte ‖ key)`, the form [`PublicKey`] displays as.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = BASE64
            .decode(text.trim().as_bytes())
            .map_err(|_| KeyError::BadVerifierKey("the public key is not standard base64"))?;
        let (&type_byte, key) = bytes
            .split_first()
            .ok_or(KeyError::BadVerifierKey("the public key is empty"))?;

        let algorithm = match type_byte {
            ED25519_TYPE => SignatureAlgorithm::Ed25519,
            ECDSA_TYPE => SignatureAlgorithm::EcdsaP256,
            _ => return Err(KeyError::BadVerifierKey("unsupported signature type byte")),
        };
        PublicKey::new(algorithm, key)
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The key's encoding (raw Ed25519 key or ECDSA SPKI DER).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The signed-note key id of this key under `name`.
    pub fn key_id(&self, name: &str) -> u32 {
        let mut context = digest::Context::new(&SHA256);
        match self.algorithm {
            SignatureAlgorithm::Ed25519 => {
                context.update(name.as_bytes());
                context.update(&[b'\n', ED25519_TYPE]);
                context.update(&self.bytes);
            }
            SignatureAlgorithm::EcdsaP256 => context.update(&self.bytes),
        }

        let digest = context.finish();
        let id = digest.as_ref();
        u32::from_be_bytes([id[0], id[1], id[2], id[3]])
    }

    /// The verifier key `<name>+<key id hex>+<base64(type ‖ key)>`.
    pub fn verifier_key(&self, name: &str) -> Result<String, KeyError> {
        check_key_name(name).map_err(|_| KeyError::BadVerifierKey("bad key name"))?;
        Ok(format!("{name}+{:08x}+{self}", self.key_id(name)))
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.0.verify_sig(message, signature).is_ok()
    }
}

enum SigningKey {
    Ed25519(Ed25519KeyPair),
    EcdsaP256(EcdsaKeyPair),
}

/// A private key that signs checkpoints. The key name of each signature is the checkpoint's
/// origin (see [`crate::checkpoint`]), so one key serves every tenant of a deployment while each
/// tenant gets its own verifier key.
pub struct CheckpointSigner {
    key: SigningKey,
    public: PublicKey,
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A PKCS#8 private key document, wiped from memory when dropped.
pub struct Pkcs8Key(Document);

impl Pkcs8Key {
    /// The DER bytes, to be written to a file readable by the owner only.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl fmt::Debug for Pkcs8Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs8Key(..)")
    }
}

impl CheckpointSigner {
    /// Generates a new key.
    pub fn generate(algorithm: SignatureAlgorithm) -> Result<Self, KeyError> {
        let key = match algorithm {
            SignatureAlgorithm::Ed25519 => {
                SigningKey::Ed25519(Ed25519KeyPair::generate().map_err(|_| KeyError::Generate)?)
            }
            SignatureAlgorithm::EcdsaP256 => SigningKey::EcdsaP256(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| KeyError::Generate)?,
            ),
        };
        CheckpointSigner::from_key(key)
    }

    /// Reads a PKCS#8 (v1 or v2) Ed25519 or ECDSA P-256 private key; the algorithm follows the
    /// key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let key = if let Ok(pair) = Ed25519KeyPair::from_pkcs8(der) {
            SigningKey::Ed25519(pair)
        } else {
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
                .map_err(|_| KeyError::NotASigningKey)?;
            SigningKey::EcdsaP256(pair)
        };
        CheckpointSigner::from_key(key)
    }

    fn from_key(key: SigningKey) -> Result<Self, KeyError> {
        let public = match &key {
            SigningKey::Ed25519(pair) => {
                PublicKey::new(SignatureAlgorithm::Ed25519, pair.public_key().as_ref())?
            }
            SigningKey::EcdsaP256(pair) => {
                let der = pair.public_key().as_der().map_err(|_| KeyError::Generate)?;
                PublicKey::new(SignatureAlgorithm::EcdsaP256, der.as_ref())?
            }
        };
        Ok(CheckpointSigner { key, public })
    }

    /// The key as a PKCS#8 v1 document.
    pub fn to_pkcs8(&self) -> Result<Pkcs8Key, KeyError> {
        let document = match &self.key {
            SigningKey::Ed25519(pair) => pair.to_pkcs8v1(),
            SigningKey::EcdsaP256(pair) => pair.to_pkcs8v1(),
        };
        document.map(Pkcs8Key).map_err(|_| KeyError::Export)
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> SignatureAlgorithm {
        self.public.algorithm
    }

    /// The public half.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The verifier key for the log named `origin`, to publish to that tenant.
    pub fn verifier_key(&self, origin: &str) -> Result<String, KeyError> {
        self.public.verifier_key(origin)
    }

    /// Signs a checkpoint and returns the signed note's text.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, KeyError> {
        let mut note = Note::new(checkpoint.to_text()).map_err(|_| KeyError::Sign)?;
        let message = note.text().as_bytes();

        let signature = match &self.key {
            SigningKey::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            SigningKey::EcdsaP256(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map_err(|_| KeyError::Sign)?
                .as_ref()
                .to_vec(),
        };

        let name = checkpoint.origin().to_owned();
        let key_id = self.public.key_id(&name);
        note.add_signature(NoteSignature {
            name,
            key_id,
            signature,
        })
        .map_err(|_| KeyError::Sign)?;
        Ok(note.to_text())
    }
}

/// Checks signed checkpoints of one log against one public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointVerifier {
    name: String,
    key_id: u32,
    public: PublicKey,
}

impl CheckpointVerifier {
    /// A verifier for the log named `origin` and the given public key.
    pub fn new(origin: &str, public: PublicKey) -> Result<Self, KeyError> {
        check_key_name(origin).map_err(|_| KeyError::BadVerifierKey("bad key name"))?;
        let key_id = public.key_id(origin);
        Ok(CheckpointVerifier {
            name: origin.to_owned(),
            key_id,
            public,
        })
    }

    /// Reads a verifier key `<name>+<key id hex>+<base64(type ‖ key)>`, checking that the key
    /// id matches the key.
    pub fn from_verifier_key(vkey: &str) -> Result<Self, KeyError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::BadVerifierKey("expected <name>+<key id>+<key>"));
        };

        let id_bytes = HEXLOWER
            .decode(id.as_bytes())
            .ok()
            .filter(|bytes| bytes.len() == 4)
            .ok_or(KeyError::BadVerifierKey(
                "the key id is not 8 lowercase hex digits",
            ))?;
        let claimed = u32::from_be_bytes([id_bytes[0], id_bytes[1], id_bytes[2], id_bytes[3]]);

        let verifier = CheckpointVerifier::new(name, PublicKey::from_base64(key)?)?;
        if verifier.key_id != claimed {
            return Err(KeyError::BadVerifierKey(
                "the key id does not match the key",
            ));
        }
        Ok(verifier)
    }

    /// The log name (origin) this verifier accepts.
    pub fn origin(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub const fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The public key.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The verifier key text.
    pub fn verifier_key(&self) -> String {
        format!("{}+{:08x}+{}", self.name, self.key_id, self.public)
    }

    /// Verifies a signed checkpoint from untrusted bytes and returns its body.
    ///
    /// Signatures by other keys are ignored, as the signed-note spec requires (they may be
    /// witnesses' cosignatures). The note is refused when no signature is by this key, when any
    /// signature by this key fails, or when the checkpoint's origin is not this key's name.
    pub fn verify(&self, signed_note: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let note = Note::parse(signed_note)?;

        let mut verified = false;
        for signature in note.signatures() {
            if signature.name != self.name || signature.key_id != self.key_id {
                continue;
            }
            if !self
                .public
                .verify(note.text().as_bytes(), &signature.signature)
            {
                return Err(CheckpointError::BadSignature);
            }
            verified = true;
        }
        if !verified {
            return Err(CheckpointError::NoKnownSignature);
        }

        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin() != self.name {
            return Err(CheckpointError::OriginMismatch);
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn checkpoint(size: u64) -> Checkpoint {
        Checkpoint::new(
            "phi.example.com/phiguard/northwind",
            size,
            leaf_hash(b"root"),
        )
        .unwrap()
    }

    fn both() -> [SignatureAlgorithm; 2] {
        [SignatureAlgorithm::Ed25519, SignatureAlgorithm::EcdsaP256]
    }

    #[test]
    fn signed_checkpoints_verify_with_the_published_key() {
        for algorithm in both() {
            let signer = CheckpointSigner::generate(algorithm).unwrap();
            let body = checkpoint(42);
            let note = signer.sign(&body).unwrap();
            assert!(note.starts_with(&body.to_text()));
            assert!(note.contains("\n\n\u{2014} phi.example.com/phiguard/northwind "));

            let vkey = signer.verifier_key(body.origin()).unwrap();
            let verifier = CheckpointVerifier::from_verifier_key(&vkey).unwrap();
            assert_eq!(verifier.verifier_key(), vkey);
            assert_eq!(verifier.verify(note.as_bytes()).unwrap(), body);
        }
    }

    // The Ed25519 key id is computed as the signed-note spec defines it; checked against an
    // independent computation of SHA-256(name || 0x0A || 0x01 || key).
    #[test]
    fn key_ids_follow_the_specification() {
        let signer = CheckpointSigner::generate(SignatureAlgorithm::Ed25519).unwrap();
        let name = "phi.example.com/phiguard/northwind";
        let mut input = name.as_bytes().to_vec();
        input.push(0x0a);
        input.push(0x01);
        input.extend_from_slice(signer.public_key().as_bytes());
        let digest = digest::digest(&SHA256, &input);
        let expected = u32::from_be_bytes(digest.as_ref()[..4].try_into().unwrap());
        assert_eq!(signer.public_key().key_id(name), expected);

        let ecdsa = CheckpointSigner::generate(SignatureAlgorithm::EcdsaP256).unwrap();
        let spki = ecdsa.public_key().as_bytes();
        let digest = digest::digest(&SHA256, spki);
        let expected = u32::from_be_bytes(digest.as_ref()[..4].try_into().unwrap());
        assert_eq!(ecdsa.public_key().key_id("any name"), expected);
        assert_eq!(spki[0], 0x30, "an SPKI is a DER SEQUENCE");
    }

    #[test]
    fn algorithm_names_round_trip() {
        for algorithm in both() {
            assert_eq!(
                algorithm.as_str().parse::<SignatureAlgorithm>(),
                Ok(algorithm)
            );
        }
        assert_eq!("rsa".parse::<SignatureAlgorithm>(), Err(UnknownAlgorithm));
        let expected = if cfg!(feature = "fips") {
            "ecdsa-p256"
        } else {
            "ed25519"
        };
        assert_eq!(SignatureAlgorithm::default().as_str(), expected);
    }

    #[test]
    fn keys_survive_pkcs8() {
        for algorithm in both() {
            let signer = CheckpointSigner::generate(algorithm).unwrap();
            let der = signer.to_pkcs8().unwrap();
            let back = CheckpointSigner::from_pkcs8(der.as_bytes()).unwrap();
            assert_eq!(back.public_key(), signer.public_key());
            assert_eq!(back.algorithm(), algorithm);
        }
        assert_eq!(
            CheckpointSigner::from_pkcs8(b"not a key").unwrap_err(),
            KeyError::NotASigningKey
        );
    }

    #[test]
    fn tampered_or_foreign_notes_are_refused() {
        let signer = CheckpointSigner::generate(SignatureAlgorithm::Ed25519).unwrap();
        let other = CheckpointSigner::generate(SignatureAlgorithm::Ed25519).unwrap();
        let body = checkpoint(42);
        let verifier =
            CheckpointVerifier::from_verifier_key(&signer.verifier_key(body.origin()).unwrap())
                .unwrap();
        let note = signer.sign(&body).unwrap();

        let bigger = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(
            verifier.verify(bigger.as_bytes()),
            Err(CheckpointError::BadSignature)
        );

        let foreign = other.sign(&body).unwrap();
        assert_eq!(
            verifier.verify(foreign.as_bytes()),
            Err(CheckpointError::NoKnownSignature)
        );

        let renamed =
            Checkpoint::new("phi.example.com/phiguard/contoso", 42, *body.root()).unwrap();
        let renamed_note = signer.sign(&renamed).unwrap();
        assert_eq!(
            verifier.verify(renamed_note.as_bytes()),
            Err(CheckpointError::NoKnownSignature),
            "the key name is the origin, so another tenant's note is not by this key"
        );

        // A witness cosignature (unknown key) beside the log's own is ignored...
        let foreign_line = foreign.split("\n\n").nth(1).unwrap();
        let cosigned = format!("{note}{foreign_line}");
        assert_eq!(verifier.verify(cosigned.as_bytes()).unwrap(), body);
        // ...but a bad signature under the log's own name and key id sinks the note.
        let own_line = note.split("\n\n").nth(1).unwrap().trim_end();
        let mut forged_bytes = BASE64
            .decode(own_line.rsplit(' ').next().unwrap().as_bytes())
            .unwrap();
        forged_bytes[10] ^= 1;
        let forged = format!(
            "{note}\u{2014} {} {}\n",
            body.origin(),
            BASE64.encode(&forged_bytes)
        );
        assert_eq!(
            verifier.verify(forged.as_bytes()),
            Err(CheckpointError::BadSignature)
        );
    }

    #[test]
    fn malformed_verifier_keys_are_refused() {
        let signer = CheckpointSigner::generate(SignatureAlgorithm::EcdsaP256).unwrap();
        let vkey = signer.verifier_key("log.example/phiguard/a").unwrap();
        let (name, rest) = vkey.split_once('+').unwrap();
        let (id, key) = rest.split_once('+').unwrap();

        let wrong_id = format!(
            "{name}+{:08x}+{key}",
            u32::from_str_radix(id, 16).unwrap() ^ 1
        );
        let upper_id = format!("{name}+{}+{key}", id.to_uppercase());
        let short_id = format!("{name}+{}+{key}", &id[1..]);
        let no_key = format!("{name}+{id}");
        let bad_type = format!("{name}+{id}+{}", BASE64.encode(&[7, 1, 2, 3]));
        for text in [wrong_id, no_key, bad_type, short_id, "x".to_owned()] {
            assert!(
                CheckpointVerifier::from_verifier_key(&text).is_err(),
                "accepted {text}"
            );
        }
        if upper_id != vkey {
            assert!(CheckpointVerifier::from_verifier_key(&upper_id).is_err());
        }

        let raw_point = signer.public_key().as_bytes();
        assert!(
            PublicKey::new(
                SignatureAlgorithm::EcdsaP256,
                &raw_point[raw_point.len() - 65..]
            )
            .is_err()
        );
        assert!(PublicKey::new(SignatureAlgorithm::Ed25519, &[0; 31]).is_err());
    }
}
