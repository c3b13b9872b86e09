//! The shared vocabulary of phiguard.
//!
//! Every other phiguard crate speaks in these types, so that a wrong combination — a subject id
//! where a record id belongs, a purpose of use spelled as a free string, a disclosure level that
//! does not exist — fails to compile or fails to parse at the edge, never deep inside the vault.
//!
//! | concept | type | what it is in the HIPAA world |
//! | --- | --- | --- |
//! | tenant | [`TenantId`] | a healthcare organisation (a covered entity) served by the platform |
//! | actor | [`ActorId`], [`ActorKind`], [`Role`] | who asks: a person, an integration or one of phiguard's own jobs |
//! | subject | [`SubjectId`] | the person the PHI is about, under a pseudonymous id |
//! | record | [`RecordId`] | one typed document about one subject |
//! | category | [`Category`] | the unit of disclosure (name, address, clinical, …) |
//! | purpose of use | [`PurposeOfUse`] | HL7 v3 ActReason code that every request names |
//! | disclosure | [`Disclosure`], [`Disclosures`] | per category: clear, masked or withheld |
//! | audit event | [`AuditEvent`] | one access, allowed or denied, by anyone |
//! | network range | [`NetworkRange`] | where a workforce member or integration called from |
//! | recipient | [`RecipientId`] | a party a caller passes PHI on to, with or without a BAA |
//! | alert | [`Alert`], [`DetectionRule`], [`Severity`] | a detector's finding of possible misuse |
//! | incident | [`IncidentId`] | a possible breach under investigation (45 CFR 164.402) |
//!
//! # What this crate refuses to do
//!
//! It holds no PHI values and does no I/O. Identifiers are opaque and carry no personal data:
//! subject and record ids are random, and tenant and actor ids are slugs chosen by an operator.
//!
//! # Example
//!
//! ```
//! use phiguard_core::{Category, Disclosure, Disclosures, PurposeOfUse};
//!
//! let purpose: PurposeOfUse = "TREAT".parse().unwrap();
//! assert!(purpose.is_treatment());
//!
//! let mut disclosures = Disclosures::withhold_all();
//! disclosures.raise(Category::Name, Disclosure::Masked);
//! disclosures.raise(Category::Name, Disclosure::Clear);
//! disclosures.raise(Category::Name, Disclosure::Withheld);
//! assert_eq!(disclosures.get(Category::Name), Disclosure::Clear);
//! ```

mod actor;
mod alert;
mod audit;
mod category;
mod ids;
mod network;
pub mod posture;
mod purpose;
mod text;

pub use actor::{ActorKind, Role, UnknownActorKind};
pub use alert::{Alert, DetectionRule, EvidenceRef, Severity, UnknownRule};
pub use audit::{AuditAction, AuditEvent, Decision, Outcome};
pub use category::{Category, Disclosure, Disclosures, UnknownCategory};
pub use ids::{
    ActorId, AlertId, CredentialId, IdError, IncidentId, PolicyId, RecipientId, RecordId,
    RequestId, SubjectId, TenantId,
};
pub use network::{NetworkRange, NetworkRangeError};
pub use purpose::{PurposeOfUse, UnknownPurpose};
pub use text::{looks_like_identifier, without_quoted_values};

/// Re-exported so that every crate agrees on one clock type.
pub use jiff::Timestamp;
