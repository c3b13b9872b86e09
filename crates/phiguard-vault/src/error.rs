//! The vault's errors, each a sentence a caller can act on, none carrying a PHI value.

use phiguard_core::{IdError, TenantId, UnknownPurpose};

/// Why a credential was refused. The reasons are told to the holder, who already has the
/// token; a wrong secret and an unknown credential read the same, so that ids cannot be probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialProblem {
    /// No credential was presented.
    Missing,
    /// The text is not a phiguard bearer token.
    Malformed,
    /// No credential matches.
    Unknown,
    /// The credential's lifetime is over.
    Expired,
    /// The credential was revoked.
    Revoked,
    /// The actor it is bound to is disabled.
    ActorDisabled,
}

impl CredentialProblem {
    fn describe(self) -> &'static str {
        match self {
            CredentialProblem::Missing => {
                "no bearer credential was presented; send `Authorization: Bearer phg_…`"
            }
            CredentialProblem::Malformed => "the bearer credential is not a phiguard token",
            CredentialProblem::Unknown => "the bearer credential is not valid",
            CredentialProblem::Expired => "the bearer credential has expired; ask for a new one",
            CredentialProblem::Revoked => "the bearer credential was revoked",
            CredentialProblem::ActorDisabled => "the actor this credential belongs to is disabled",
        }
    }
}

/// Why a vault operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The caller could not be authenticated.
    #[error("{}", .0.describe())]
    Unauthenticated(CredentialProblem),

    /// The request names a tenant other than the one the credential is bound to. The tenant it
    /// named goes into the audit event of the refusal (`requested_tenant`), where the
    /// cross-tenant detector looks for it; the message does not repeat it.
    #[error("this credential is bound to another tenant than the one in the request")]
    TenantMismatch {
        /// The tenant the request named.
        requested: TenantId,
    },

    /// Policy denied the request.
    #[error("policy does not allow {action} for this actor and purpose of use")]
    Forbidden {
        /// The action that was refused.
        action: &'static str,
    },

    /// A policy failed to evaluate, so the request was denied (fail closed).
    #[error(
        "a policy failed to evaluate, so the request was denied; the tenant's administrator \
             should review its policies"
    )]
    PolicyFailure,

    /// The thing asked for does not exist for this tenant.
    #[error("{0} was not found")]
    NotFound(&'static str),

    /// The request does not name a purpose of use, and this operation needs one.
    #[error(
        "this operation needs a purpose of use; send an `X-Purpose-Of-Use` header with an \
             HL7 ActReason code such as TREAT, HPAYMT or HOPERAT"
    )]
    PurposeRequired,

    /// The purpose of use is not a code phiguard knows.
    #[error("{0}")]
    UnknownPurpose(#[from] UnknownPurpose),

    /// Emergency access was asked for without a written reason.
    #[error(
        "break-glass access (purpose ETREAT) needs a written reason in the \
             `X-Break-Glass-Reason` header"
    )]
    BreakGlassReasonRequired,

    /// A break-glass reason was sent without purpose ETREAT, or is too long or blank.
    #[error("{0}")]
    BreakGlassReasonInvalid(&'static str),

    /// An identifier in the request is malformed.
    #[error("{0}")]
    InvalidId(#[from] IdError),

    /// The request is malformed in a way the message describes.
    #[error("{what} is invalid: {reason}")]
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// What is wrong with it (never its value).
        reason: String,
    },

    /// An input file is malformed; nothing of the import was stored.
    #[error("{file}: {reason}; nothing was imported")]
    InvalidFile {
        /// The file's name as given.
        file: String,
        /// What is wrong with it (positions, never values).
        reason: String,
    },

    /// The record type is neither built in nor registered by the tenant.
    #[error("unknown record type; list the available types at /v1/tenants/{{tenant}}/record-types")]
    UnknownRecordType,

    /// A policy the tenant submitted is not valid.
    #[error("policy {id} is not valid: {message}")]
    InvalidPolicy {
        /// The policy's id.
        id: String,
        /// The validator's message.
        message: String,
    },

    /// The change conflicts with what exists.
    #[error("{0}")]
    Conflict(String),

    /// The deployment is set up wrongly (a root key others can read, say); the message says
    /// how to fix it.
    #[error("{0}")]
    Setup(String),

    /// The vault failed internally; nothing was disclosed. The message is for logs only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl VaultError {
    pub(crate) fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        VaultError::Internal(format!("{context}: {error}"))
    }

    /// The audit outcome this error is recorded with.
    pub fn outcome(&self) -> phiguard_core::Outcome {
        use phiguard_core::Outcome;

        match self {
            VaultError::Forbidden { .. } | VaultError::TenantMismatch { .. } => Outcome::Denied,
            VaultError::Unauthenticated(_) => Outcome::Denied,
            VaultError::PolicyFailure => Outcome::PolicyError,
            VaultError::NotFound(_) => Outcome::NotFound,
            VaultError::Internal(_) | VaultError::Setup(_) => Outcome::Failed,
            _ => Outcome::Invalid,
        }
    }
}

impl From<phiguard_store::StoreError> for VaultError {
    fn from(error: phiguard_store::StoreError) -> Self {
        match error {
            phiguard_store::StoreError::Conflict(what) => {
                VaultError::Conflict(format!("{what} already exists"))
            }
            phiguard_store::StoreError::Missing(what) => VaultError::NotFound(what),
            other => VaultError::internal("storage", other),
        }
    }
}

impl From<phiguard_crypto::CryptoError> for VaultError {
    fn from(error: phiguard_crypto::CryptoError) -> Self {
        use phiguard_crypto::CryptoError as C;

        match error {
            // A root key file others can read, or that is not a key, is the operator's to fix.
            C::RootKeyMode { .. } | C::RootKeyFormat { .. } => VaultError::Setup(error.to_string()),
            other => VaultError::internal("cryptography", other),
        }
    }
}

/// The refusal of a request that named `requested` instead of the caller's own tenant.
pub(crate) fn mismatch(requested: &TenantId) -> VaultError {
    VaultError::TenantMismatch {
        requested: requested.clone(),
    }
}
