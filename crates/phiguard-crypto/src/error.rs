use std::path::PathBuf;

/// Why a cryptographic operation failed.
///
/// Messages name the operation and, for files, the path — never key bytes or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The random generator failed.
    #[error(
        "the random number generator failed; the operating system's entropy source may be \
             unavailable"
    )]
    Random,
    /// A ciphertext or wrapped key did not open: wrong key, wrong AAD (moved to another row,
    /// tenant or category), or tampered bytes. The three are indistinguishable by design.
    #[error(
        "a ciphertext did not open: it was sealed under another key or for another place, \
             or it was altered"
    )]
    Open,
    /// A ciphertext is too short or has an unknown format version.
    #[error("a ciphertext is malformed: {0}")]
    Malformed(&'static str),
    /// AES-GCM refused to seal (the input exceeds its limits).
    #[error("sealing failed")]
    Seal,
    /// The root key file could not be read or written.
    #[error("root key file {path}: {source}")]
    RootKeyIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The root key file is readable by users other than its owner.
    #[error(
        "root key file {path} has mode {mode:o}, readable by others; phiguard refuses to \
             use it. Run `chmod 600 {path}` after checking who may have copied it"
    )]
    RootKeyMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The root key file does not hold a phiguard root key.
    #[error("root key file {path} is not a phiguard root key: {reason}")]
    RootKeyFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A bearer token is not of the form phiguard issues.
    #[error("the bearer token is malformed; expected `phg_` followed by two base32 parts")]
    MalformedToken,
}
