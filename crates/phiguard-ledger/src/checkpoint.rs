//! C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed statement "the log
//! named by this origin had this many entries and this root".
//!
//! ```text
//! phi.example.com/phiguard/northwind      <- origin: "<deployment>/phiguard/<tenant>"
//! 1024                                    <- tree size, decimal, no leading zeros
//! 3y3W5bq8yJ7o5F0N3Qq1xJ6ZkqXJpG1B1a4S2n2Q9mE=   <- root hash, standard base64
//!                                         <- blank line
//! — phi.example.com/phiguard/northwind AbCd…     <- signature: key id || signature
//! ```
//!
//! # The origin convention
//!
//! phiguard keeps one log per tenant, and names it `<deployment>/phiguard/<tenant>`, where
//! `<deployment>` is a schema-less URL the operator chooses for the installation (such as
//! `phi.example.com` or `vault.acme-health.internal/prod`) and `<tenant>` the tenant id. The
//! signing key's name is the origin itself (as the tlog-checkpoint spec recommends), so every
//! tenant has its own verifier key, `<origin>+<key id>+<public key>`, and a checkpoint of one
//! tenant can never pass as another's: both the signed text and the key name differ.

use phiguard_core::TenantId;

use crate::hash::Hash;
use crate::note::{NoteError, check_key_name};

/// The longest origin accepted, in bytes.
pub const MAX_ORIGIN_BYTES: usize = 256;

/// The most extension lines accepted after the root hash.
pub const MAX_EXTENSIONS: usize = 16;

const ORIGIN_INFIX: &str = "/phiguard/";

/// Why text is not a checkpoint, or a checkpoint failed to verify. Never quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The signed-note envelope is malformed.
    #[error("the checkpoint is not a well-formed signed note: {0}")]
    Note(#[from] NoteError),
    /// The note text is not origin, size and root hash lines.
    #[error("the checkpoint text is malformed: {0}")]
    Malformed(&'static str),
    /// The origin is empty, too long, or holds a space or `+`.
    #[error("a checkpoint origin must be 1 to {MAX_ORIGIN_BYTES} bytes with no spaces and no '+'")]
    BadOrigin,
    /// The checkpoint is for another log than the verifier's key.
    #[error("the checkpoint is for another log than the one its verifier key names")]
    OriginMismatch,
    /// No signature on the note is by the verifier's key.
    #[error("the checkpoint carries no signature by the expected key")]
    NoKnownSignature,
    /// A signature by the verifier's key does not verify.
    #[error("the checkpoint's signature by the expected key does not verify")]
    BadSignature,
}

/// The unsigned body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint of the log named `origin`.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        check_origin(origin)?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// A checkpoint of `tenant`'s log in `deployment`, with the origin
    /// `<deployment>/phiguard/<tenant>`.
    pub fn for_tenant(
        deployment: &str,
        tenant: &TenantId,
        size: u64,
        root: Hash,
    ) -> Result<Self, CheckpointError> {
        Checkpoint::new(&origin_for(deployment, tenant)?, size, root)
    }

    /// Adds an extension line (non-empty, at most [`MAX_EXTENSIONS`]). Monitors cannot audit
    /// extension lines, so phiguard writes none; they are accepted for completeness.
    pub fn with_extension(mut self, line: &str) -> Result<Self, CheckpointError> {
        if line.is_empty() || line.contains('\n') || line.chars().any(char::is_control) {
            return Err(CheckpointError::Malformed(
                "an extension line is empty or holds controls",
            ));
        }
        if self.extensions.len() >= MAX_EXTENSIONS {
            return Err(CheckpointError::Malformed("too many extension lines"));
        }
        self.extensions.push(line.to_owned());
        Ok(self)
    }

    /// The log's name.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The root hash at that size.
    pub const fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines, usually none.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The tenant the origin names, when it follows `<deployment>/phiguard/<tenant>`.
    pub fn tenant(&self) -> Option<TenantId> {
        tenant_of_origin(&self.origin)
    }

    /// The note text: origin, size, base64 root, extensions, each ending in a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses note text (already separated from its signatures) as a checkpoint.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed(
            "the text does not end with a newline",
        ))?;
        let mut lines = body.split('\n');

        let origin = lines.next().unwrap_or_default();
        check_origin(origin)?;
        let size = parse_size(lines.next())?;
        let root = lines
            .next()
            .and_then(|line| Hash::from_base64(line).ok())
            .ok_or(CheckpointError::Malformed(
                "the third line is not a base64 SHA-256 hash",
            ))?;

        let mut checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: vec![],
        };
        for line in lines {
            checkpoint = checkpoint.with_extension(line)?;
        }
        Ok(checkpoint)
    }
}

/// The origin of `tenant`'s log in `deployment`: `<deployment>/phiguard/<tenant>`.
pub fn origin_for(deployment: &str, tenant: &TenantId) -> Result<String, CheckpointError> {
    let deployment = deployment.trim_end_matches('/');
    if deployment.is_empty() || deployment.contains(ORIGIN_INFIX) {
        return Err(CheckpointError::BadOrigin);
    }

    let origin = format!("{deployment}{ORIGIN_INFIX}{tenant}");
    check_origin(&origin)?;
    Ok(origin)
}

/// The tenant an origin of the form `<deployment>/phiguard/<tenant>` names.
pub fn tenant_of_origin(origin: &str) -> Option<TenantId> {
    let (deployment, tenant) = origin.rsplit_once(ORIGIN_INFIX)?;
    if deployment.is_empty() {
        return None;
    }
    tenant.parse().ok()
}

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.len() > MAX_ORIGIN_BYTES {
        return Err(CheckpointError::BadOrigin);
    }
    check_key_name(origin).map_err(|_| CheckpointError::BadOrigin)
}

fn parse_size(line: Option<&str>) -> Result<u64, CheckpointError> {
    let bad = CheckpointError::Malformed(
        "the second line is not a decimal tree size without leading zeros",
    );
    let line = line.ok_or(bad.clone())?;

    let canonical = !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && (line == "0" || !line.starts_with('0'));
    if !canonical {
        return Err(bad);
    }
    line.parse().map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    // The example checkpoint body of the C2SP tlog-checkpoint specification.
    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn the_specification_example_parses_and_writes_back() {
        let checkpoint = Checkpoint::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(checkpoint.origin(), "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size(), 20_852_163);
        assert_eq!(checkpoint.to_text(), SPEC_EXAMPLE);
        assert_eq!(checkpoint.tenant(), None);
    }

    #[test]
    fn tenant_origins_follow_the_convention() {
        let tenant: TenantId = "northwind".parse().unwrap();
        let checkpoint =
            Checkpoint::for_tenant("phi.example.com/", &tenant, 3, leaf_hash(b"")).unwrap();
        assert_eq!(checkpoint.origin(), "phi.example.com/phiguard/northwind");
        assert_eq!(checkpoint.tenant(), Some(tenant.clone()));

        assert!(origin_for("", &tenant).is_err());
        assert!(origin_for("has space", &tenant).is_err());
        assert!(origin_for("a+b", &tenant).is_err());
        assert!(origin_for("x/phiguard/y", &tenant).is_err());
    }

    #[test]
    fn non_canonical_or_malformed_bodies_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases = [
            format!("origin\n020852163\n{root}\n"),
            format!("origin\n+5\n{root}\n"),
            format!("origin\n\n{root}\n"),
            format!("origin\n18446744073709551616\n{root}\n"),
            format!("origin\n5\n{}\n", &root[..40]),
            format!("origin\n5\n{root}"),
            format!("origin\n5\n{root}\n\n"),
            format!("\n5\n{root}\n"),
            format!("ori gin\n5\n{root}\n"),
            "origin\n5\n".to_owned(),
        ];
        for text in cases {
            assert!(Checkpoint::parse(&text).is_err(), "accepted {text:?}");
        }

        let with_extension = format!("origin\n0\n{root}\nextension one\n");
        assert_eq!(
            Checkpoint::parse(&with_extension)
                .unwrap()
                .extensions()
                .len(),
            1
        );
    }
}
