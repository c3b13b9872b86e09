//! Additional authenticated data: what a ciphertext is bound to.

use phiguard_core::{RecordId, SubjectId, TenantId};

/// The context a ciphertext or wrapped key is bound to. Opening under any other context fails.
///
/// Encoded as a domain label followed by length-prefixed fields, so that no two different
/// contexts encode to the same bytes (for instance a tenant id ending where a subject id begins).
#[derive(Debug, Clone, Copy)]
pub enum Aad<'a> {
    /// A tenant key wrapped by the root key.
    TenantKey {
        /// The tenant that owns the key.
        tenant: &'a TenantId,
        /// The tenant key's version.
        version: u32,
    },
    /// A tenant's blind-index key wrapped by a tenant key.
    IndexKey {
        /// The tenant that owns the key.
        tenant: &'a TenantId,
        /// The version of the tenant key that wraps it.
        tenant_key_version: u32,
    },
    /// A subject key wrapped by a tenant key.
    SubjectKey {
        /// The tenant the subject belongs to.
        tenant: &'a TenantId,
        /// The subject.
        subject: &'a SubjectId,
        /// The subject key's own version.
        subject_key_version: u32,
        /// The version of the tenant key that wraps it.
        tenant_key_version: u32,
    },
    /// One part (a PHI category, or the record's structure) of one record.
    Part {
        /// The tenant the record belongs to.
        tenant: &'a TenantId,
        /// The subject the record is about.
        subject: &'a SubjectId,
        /// The record.
        record: &'a RecordId,
        /// The part's name: a category name or `structure`.
        part: &'a str,
        /// The version of the subject key that seals it.
        subject_key_version: u32,
    },
}

impl Aad<'_> {
    /// The bytes AES-GCM authenticates.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        match self {
            Aad::TenantKey { tenant, version } => {
                push(&mut out, b"phiguard/tenant-key/v1");
                push(&mut out, tenant.as_str().as_bytes());
                push(&mut out, &version.to_be_bytes());
            }
            Aad::IndexKey {
                tenant,
                tenant_key_version,
            } => {
                push(&mut out, b"phiguard/index-key/v1");
                push(&mut out, tenant.as_str().as_bytes());
                push(&mut out, &tenant_key_version.to_be_bytes());
            }
            Aad::SubjectKey {
                tenant,
                subject,
                subject_key_version,
                tenant_key_version,
            } => {
                push(&mut out, b"phiguard/subject-key/v1");
                push(&mut out, tenant.as_str().as_bytes());
                push(&mut out, subject.as_str().as_bytes());
                push(&mut out, &subject_key_version.to_be_bytes());
                push(&mut out, &tenant_key_version.to_be_bytes());
            }
            Aad::Part {
                tenant,
                subject,
                record,
                part,
                subject_key_version,
            } => {
                push(&mut out, b"phiguard/record-part/v1");
                push(&mut out, tenant.as_str().as_bytes());
                push(&mut out, subject.as_str().as_bytes());
                push(&mut out, record.as_str().as_bytes());
                push(&mut out, part.as_bytes());
                push(&mut out, &subject_key_version.to_be_bytes());
            }
        }
        out
    }
}

fn push(out: &mut Vec<u8>, field: &[u8]) {
    // Ids are at most a few dozen bytes; a u16 length is ample and keeps the encoding short.
    let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&field[..usize::from(len)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a: TenantId = "ab".parse().unwrap();
        let b: TenantId = "a".parse().unwrap();
        let subject = SubjectId::from_random([0; 16]);
        let one = Aad::SubjectKey {
            tenant: &a,
            subject: &subject,
            subject_key_version: 1,
            tenant_key_version: 1,
        };
        let two = Aad::SubjectKey {
            tenant: &b,
            subject: &subject,
            subject_key_version: 1,
            tenant_key_version: 1,
        };
        assert_ne!(one.encode(), two.encode());
    }

    #[test]
    fn kinds_are_domain_separated() {
        let tenant: TenantId = "t".parse().unwrap();
        let tenant_key = Aad::TenantKey {
            tenant: &tenant,
            version: 1,
        };
        let index_key = Aad::IndexKey {
            tenant: &tenant,
            tenant_key_version: 1,
        };
        assert_ne!(tenant_key.encode(), index_key.encode());
    }
}
