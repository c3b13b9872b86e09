//! The bare read path, for the read benchmark only.
//!
//! Compiled only with the `bench` feature, and called only by the `phiguard-bench` crate's own
//! router: no route of `phiguard serve` reaches it, so no configuration can turn policy or
//! decryption off in a deployment.

use phiguard_core::{AuditAction, Decision, Outcome, RecordId, TenantId};
use phiguard_store::Change;
use serde_json::{Value, json};

use crate::{Caller, Vault, VaultError};

impl Vault {
    /// The read path with policy and decryption off: the same tenant and purpose checks, the
    /// same record and part lookups and the same durable audit event as
    /// [`Vault::read_record`], but no Cedar decision, no key unwrapping, no decryption and no
    /// reassembly. Returns the record's metadata and the sizes of its sealed parts.
    ///
    /// # Errors
    ///
    /// As for [`Vault::read_record`], without the policy errors.
    pub async fn read_record_bare(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &RecordId,
    ) -> Result<Value, VaultError> {
        if caller.tenant() != tenant {
            return Err(crate::error::mismatch(tenant));
        }
        caller.require_purpose()?;
        let found = self.store().record(tenant, id)?;
        let Some((record, _)) = found.filter(|(_, s)| s.disposed_at.is_none()) else {
            return Err(VaultError::NotFound("the record"));
        };
        let parts = self.store().record_parts(tenant, id)?;

        let mut event = self.event(
            caller,
            AuditAction::ReadRecord,
            Decision::Allow,
            Outcome::Success,
        );
        event.subject = Some(record.subject.clone());
        event.record = Some(record.id.clone());
        event.record_type = Some(record.record_type.clone());
        self.store().submit(vec![Change::Audit(event)]).await?;

        let sizes: Vec<Value> = parts
            .iter()
            .map(|p| json!({"part": p.part, "bytes": p.sealed.len()}))
            .collect();
        Ok(json!({
            "record_id": record.id,
            "subject_id": record.subject,
            "record_type": record.record_type,
            "created_at": record.created_at,
            "parts": sizes,
        }))
    }
}
