//! The vault's posture: what it can show about its own safeguards, as evidence for
//! `phiguard assess` ([`phiguard_core::posture`]).
//!
//! Every value is measured from the vault's own state when the posture is asked for: the
//! cryptographic module, the configured lifetimes, and per tenant its key's age, its ledger
//! (verified against the latest checkpoint, entry by entry), the tenant policies that clear PHI
//! broadly ([`crate::broad_grants`]), break-glass use, dormant actors, live credentials,
//! disposals and restrictions. No record is opened and no key is unwrapped: the document holds
//! ids, counts, times and settings only.
//!
//! # Who may read it
//!
//! - A platform operator (a caller of the [`PLATFORM_TENANT`] that policy allows to
//!   `create_tenant`) sees every tenant.
//! - A caller that policy allows both `read_configuration` and `read_audit` on its own tenant
//!   (a tenant administrator) sees that tenant only.
//! - One of phiguard's own jobs ([`Caller::system`], used by the command line on a data
//!   directory) sees every tenant.
//!
//! Everyone else is refused, and the refusal is recorded as a `read_configuration`. An allowed
//! read is recorded as a `read_configuration` with target `posture`, in the caller's tenant and
//! in every tenant it covers, like the other configuration and audit reads that are recorded.

use jiff::SignedDuration;
use phiguard_core::posture::{CheckpointPosture, POSTURE_VERSION, TenantPosture, VaultPosture};
use phiguard_core::{AuditAction, Decision, Outcome, Timestamp};
use phiguard_policy::{Action, Resource};
use phiguard_store::Tenant;

use crate::{Caller, PLATFORM_TENANT, SystemJob, Vault, VaultError};

/// The cipher that seals every PHI category at rest.
pub(crate) const FIELD_ENCRYPTION: &str = "AES-256-GCM";

/// Days without an audit event after which an active actor counts as dormant.
pub(crate) const DORMANT_AFTER_DAYS: u32 = 90;

/// The window break-glass use is counted over, in days.
pub(crate) const BREAK_GLASS_WINDOW_DAYS: u32 = 90;

/// Which tenants a caller's posture covers.
enum Scope {
    /// Every tenant of the vault.
    Every,
    /// The caller's own tenant.
    Own,
}

impl Vault {
    /// The vault's posture as `caller` may see it, tenants ordered by id. `tls_configured` is
    /// whether the HTTP API serves TLS, as the caller knows it (`None` when it cannot tell,
    /// such as a command reading a bare data directory).
    ///
    /// A platform operator (a caller of the [`PLATFORM_TENANT`] that policy allows to
    /// `create_tenant`) and phiguard's own jobs ([`Caller::system`]) see every tenant; a caller
    /// that policy allows both `read_configuration` and `read_audit` on its own tenant (a tenant
    /// administrator) sees that tenant. Everyone else is refused. The read is recorded as a
    /// `read_configuration` with target `posture`, in the caller's tenant and in every tenant
    /// covered; a refusal is recorded as well.
    ///
    /// Re-hashes each tenant's log up to its latest checkpoint, so it takes time in proportion
    /// to the ledgers' size (3.1 s for a log of a million entries in a release build, on one
    /// core); everything else is a few index reads per tenant, a millisecond or so. Async
    /// callers with other work to serve should run it off their executor's workers.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`] when policy allows neither reach; [`VaultError::UnknownPurpose`];
    /// storage failures.
    pub async fn posture(
        &self,
        caller: &Caller,
        tls_configured: Option<bool>,
    ) -> Result<VaultPosture, VaultError> {
        let scope = match self.posture_scope(caller) {
            Ok(scope) => scope,
            Err(e) => {
                return Err(self
                    .refuse(caller, AuditAction::ReadConfiguration, None, None, e)
                    .await);
            }
        };

        let collected_at = Timestamp::now();
        let tenants: Vec<Tenant> = match scope {
            Scope::Every => self.store().tenants()?,
            Scope::Own => {
                let own = self
                    .store()
                    .tenant(caller.tenant())?
                    .ok_or(VaultError::NotFound("the tenant"))?;
                vec![own]
            }
        };
        let mut postures = Vec::with_capacity(tenants.len());
        for tenant in &tenants {
            postures.push(self.tenant_posture(tenant, collected_at)?);
        }

        self.record_posture_read(caller, &tenants).await?;
        let module = self.crypto_module();
        let fips = module.fips_build && module.fips_mode;
        Ok(VaultPosture {
            version: POSTURE_VERSION,
            collected_at,
            crypto_module: if fips {
                format!("{} FIPS 140-3", module.name)
            } else {
                module.name.to_owned()
            },
            fips,
            field_encryption: FIELD_ENCRYPTION.to_owned(),
            tls_configured,
            max_credential_days: self.config().max_credential_days,
            user_credential_minutes: self.config().user_credential_minutes,
            break_glass_minutes: self.config().break_glass_minutes,
            dormant_after_days: DORMANT_AFTER_DAYS,
            tenants: postures,
        })
    }

    /// Decides how far `caller` sees, as the [module](self) documentation describes.
    fn posture_scope(&self, caller: &Caller) -> Result<Scope, VaultError> {
        caller.check_purpose()?;
        if caller.authenticated().is_none() {
            return Ok(Scope::Every);
        }

        let own = caller.tenant();
        let operator = own.as_str() == PLATFORM_TENANT
            && self
                .authorize(caller, own, Action::CreateTenant, Resource::Tenant(own))
                .is_ok();
        if operator {
            return Ok(Scope::Every);
        }

        for action in [Action::ReadConfiguration, Action::ReadAudit] {
            self.authorize(caller, own, action, Resource::Tenant(own))?;
        }
        Ok(Scope::Own)
    }

    /// One tenant's posture, measured at `now`.
    fn tenant_posture(&self, tenant: &Tenant, now: Timestamp) -> Result<TenantPosture, VaultError> {
        let id = &tenant.id;
        let days_ago = |days: u32| {
            now.checked_sub(SignedDuration::from_hours(24 * i64::from(days)))
                .map_err(|_| VaultError::internal("computing a posture window", "out of range"))
        };

        let (key_version, key_created) = self.key_status(id)?.ok_or_else(|| {
            VaultError::Internal(format!("tenant {id} has no tenant key in the keyring"))
        })?;

        let latest = self.store().latest_checkpoint(id)?;
        let ledger_verification = match &latest {
            Some(checkpoint) => Some(self.verify_ledger(id, checkpoint)?),
            None => None,
        };

        let emergency = self
            .store()
            .emergency_access(id, days_ago(BREAK_GLASS_WINDOW_DAYS)?)?;
        let live = self.store().live_credentials(id, now)?;
        let dormant_since = days_ago(DORMANT_AFTER_DAYS)?;
        let last_activity = self.store().last_activity(id)?;
        let active: Vec<_> = self
            .store()
            .actors(id)?
            .into_iter()
            .filter(|actor| !actor.disabled)
            .collect();
        let dormant_actors = active
            .iter()
            .filter(|actor| actor.created_at <= dormant_since)
            .filter(|actor| {
                last_activity
                    .get(&actor.id)
                    .is_none_or(|t| *t < dormant_since)
            })
            // phiguard's own jobs act from the data directory, not with a login; they count only
            // when someone has handed one a credential.
            .filter(|actor| !is_job_actor(actor.id.as_str()) || live.contains_key(&actor.id))
            .map(|actor| actor.id.clone())
            .collect();
        let subjects = self.store().subject_states(id)?;

        Ok(TenantPosture {
            tenant: id.clone(),
            time_zone: tenant.time_zone.clone(),
            key_version,
            key_created,
            ledger_size: self.store().ledger_size(id)?,
            latest_checkpoint: latest.map(|checkpoint| CheckpointPosture {
                size: checkpoint.size,
                signed_at: checkpoint.issued_at,
            }),
            ledger_verification,
            broad_phi_grants: crate::broad_grants::broad_grants(&self.store().policies(id)?),
            break_glass_uses_90_days: emergency.accesses,
            break_glass_without_reason_90_days: emergency.without_reason,
            active_actors: active.len() as u64,
            dormant_actors,
            live_credentials: live.values().sum(),
            disposals: subjects.disposed,
            restricted_subjects: subjects.restricted,
        })
    }

    /// Records the read in the caller's tenant and in every tenant it covered.
    async fn record_posture_read(
        &self,
        caller: &Caller,
        tenants: &[Tenant],
    ) -> Result<(), VaultError> {
        let mut event = self.event(
            caller,
            AuditAction::ReadConfiguration,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some("posture".into());
        event.count = Some(tenants.len() as u64);

        let mut events = vec![event.clone()];
        for tenant in tenants.iter().filter(|t| &t.id != caller.tenant()) {
            let mut copy = event.clone();
            copy.tenant = tenant.id.clone();
            events.push(copy);
        }
        self.record(events).await
    }
}

fn is_job_actor(id: &str) -> bool {
    SystemJob::ALL.iter().any(|job| job.actor_id() == id)
}
