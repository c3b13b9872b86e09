//! Tenants, actors, credentials and keys: the vault's configuration.

use std::collections::BTreeMap;

use jiff::{SignedDuration, tz::TimeZone};
use phiguard_core::{
    ActorId, ActorKind, AuditAction, CredentialId, Decision, Outcome, Role, TenantId, Timestamp,
};
use phiguard_crypto::BearerToken;
use phiguard_policy::{Action, Resource};
use phiguard_store::{Actor, Change, Credential, KeyChange, Tenant, TenantCounts};
use serde::{Deserialize, Serialize};

use crate::{
    BOOTSTRAP_ACTOR, Caller, PLATFORM_TENANT, RotationReport, SystemJob, Vault, VaultError,
};

/// What a caller asks for when creating or changing an actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    /// The actor's id within the tenant.
    pub id: ActorId,
    /// Person, integration or job.
    pub kind: ActorKind,
    /// A label for audit trails.
    #[serde(default)]
    pub display_name: String,
    /// Roles that policies grant disclosures to.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Free-form attributes that policies can read. Never a subject's PHI.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// A disabled actor's credentials are refused.
    #[serde(default)]
    pub disabled: bool,
}

/// A credential just issued: the only moment its token is visible.
#[derive(Debug)]
pub struct IssuedCredential {
    /// The credential's public id.
    pub id: CredentialId,
    /// The token to hand to the holder. Not stored anywhere.
    pub token: BearerToken,
    /// The tenant it is bound to.
    pub tenant: TenantId,
    /// The actor it is bound to.
    pub actor: ActorId,
    /// When it stops working.
    pub expires_at: Timestamp,
}

const RESERVED_ACTOR_PREFIX: &str = "phiguard-";
const MAX_ATTRIBUTES: usize = 32;
const MAX_LABEL_CHARS: usize = 200;

/// The system actor of `job` in `tenant`.
fn system_actor(tenant: &TenantId, job: SystemJob, now: Timestamp) -> Actor {
    Actor {
        tenant: tenant.clone(),
        id: job.actor(),
        kind: ActorKind::System,
        display_name: format!(
            "phiguard {}",
            job.actor_id().trim_start_matches("phiguard-")
        ),
        roles: Vec::new(),
        attributes: BTreeMap::new(),
        disabled: false,
        created_at: now,
        updated_at: now,
    }
}

impl Vault {
    /// Gives every tenant the system actors of jobs added since it was created (detection and
    /// breach analysis came later than the first tenants), so that their events name an actor
    /// the tenant has.
    async fn add_missing_system_actors(&self, tenants: &[Tenant]) -> Result<(), VaultError> {
        let now = Timestamp::now();
        let mut changes = Vec::new();
        for tenant in tenants {
            for job in SystemJob::ALL {
                if self.store().actor(&tenant.id, &job.actor())?.is_none() {
                    changes.push(Change::PutActor(system_actor(&tenant.id, job, now)));
                }
            }
        }
        if !changes.is_empty() {
            self.store().submit(changes).await?;
        }
        Ok(())
    }

    /// On a data directory without tenants, creates the platform tenant, its bootstrap
    /// administrator and a 24-hour credential, and returns the token.
    pub(crate) async fn bootstrap(&self) -> Result<Option<BearerToken>, VaultError> {
        let tenants = self.store().tenants()?;
        if !tenants.is_empty() {
            self.add_missing_system_actors(&tenants).await?;
            return Ok(None);
        }

        let platform: TenantId = parse_const(PLATFORM_TENANT)?;
        let system = Caller::system(platform.clone(), SystemJob::Administration);
        self.insert_tenant(&system, platform.clone(), "Platform operator".into(), None)
            .await?;

        let admin = ActorSpec {
            id: parse_const(BOOTSTRAP_ACTOR)?,
            kind: ActorKind::User,
            display_name: "Bootstrap administrator".into(),
            roles: vec![parse_const(Role::PLATFORM_OPERATOR)?],
            attributes: BTreeMap::new(),
            disabled: false,
        };
        self.put_actor(&system, &platform, admin.clone()).await?;
        let issued = self
            .issue_credential(
                &system,
                &platform,
                &admin.id,
                Some(SignedDuration::from_hours(24)),
                Some("bootstrap".into()),
            )
            .await?;
        tracing::info!(
            tenant = PLATFORM_TENANT,
            actor = BOOTSTRAP_ACTOR,
            "created the bootstrap administrator"
        );
        Ok(Some(issued.token))
    }

    /// Creates a tenant with its keys and its system actors. Allowed by `create_tenant`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Conflict`] if the id is taken; [`VaultError::InvalidInput`] for an unknown
    /// time zone; [`VaultError::Forbidden`] when policy does not allow it.
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        id: TenantId,
        name: String,
        time_zone: Option<String>,
    ) -> Result<Tenant, VaultError> {
        let decided = self
            .authorize(caller, &id, Action::CreateTenant, Resource::Tenant(&id))
            .and_then(|_| check_tenant_id(&id));
        if let Err(e) = decided.and_then(|_| check_tenant_fields(&name, time_zone.as_deref())) {
            return Err(self
                .refuse(caller, AuditAction::CreateTenant, None, None, e)
                .await);
        }
        self.insert_tenant(caller, id, name, time_zone).await
    }

    async fn insert_tenant(
        &self,
        caller: &Caller,
        id: TenantId,
        name: String,
        time_zone: Option<String>,
    ) -> Result<Tenant, VaultError> {
        check_tenant_fields(&name, time_zone.as_deref())?;
        if self.store().tenant(&id)?.is_some() {
            let error = VaultError::Conflict("a tenant with this id already exists".into());
            return Err(self
                .refuse(caller, AuditAction::CreateTenant, None, None, error)
                .await);
        }

        // Keys first: a crash after this leaves unused keys, never a tenant without keys.
        let key_changes: Vec<KeyChange> = self.keys.new_tenant(&id)?;
        self.store().apply_keys(key_changes)?;

        let now = Timestamp::now();
        let tenant = Tenant {
            id: id.clone(),
            name,
            time_zone,
            created_at: now,
        };
        let mut changes = vec![Change::InsertTenant(tenant.clone())];
        for job in SystemJob::ALL {
            changes.push(Change::PutActor(system_actor(&id, job, now)));
        }

        // The event belongs to the new tenant's trail when the operator acts from elsewhere.
        let mut event = self.event(
            caller,
            AuditAction::CreateTenant,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(id.to_string());
        changes.push(Change::Audit(event.clone()));
        if caller.tenant() != &id {
            let mut own = event;
            own.tenant = id.clone();
            changes.push(Change::Audit(own));
        }
        self.store().submit(changes).await?;
        Ok(tenant)
    }

    /// Every tenant. For operators with access to the data directory (the CLI) and for the
    /// platform operator.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn tenants(&self) -> Result<Vec<Tenant>, VaultError> {
        Ok(self.store().tenants()?)
    }

    /// One tenant with counts of its holdings, if the caller may read its configuration.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`]; [`VaultError::Forbidden`].
    pub async fn tenant(
        &self,
        caller: &Caller,
        id: &TenantId,
    ) -> Result<(Tenant, TenantCounts), VaultError> {
        if let Err(e) = self.authorize(caller, id, Action::ReadConfiguration, Resource::Tenant(id))
        {
            return Err(self
                .refuse(caller, AuditAction::ReadConfiguration, None, None, e)
                .await);
        }
        let tenant = self
            .store()
            .tenant(id)?
            .ok_or(VaultError::NotFound("the tenant"))?;
        let counts = self.store().counts(id)?;
        Ok((tenant, counts))
    }

    /// Creates or replaces an actor. Allowed by `manage_actors`.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] for a reserved id or too many attributes;
    /// [`VaultError::NotFound`] for an unknown tenant; [`VaultError::Forbidden`].
    pub async fn put_actor(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        spec: ActorSpec,
    ) -> Result<Actor, VaultError> {
        let decided = self.authorize(
            caller,
            tenant,
            Action::ManageActors,
            Resource::Tenant(tenant),
        );
        let checked = decided.and_then(|_| check_actor(caller, &spec));
        let existing = match checked {
            Ok(()) => self.store().actor(tenant, &spec.id)?,
            Err(e) => {
                return Err(self
                    .refuse(caller, AuditAction::PutActor, None, None, e)
                    .await);
            }
        };
        let within_reach =
            check_operator_reach(caller, tenant, &spec.roles).and_then(|()| match &existing {
                Some(actor) => check_operator_reach(caller, tenant, &actor.roles),
                None => Ok(()),
            });
        if let Err(e) = within_reach {
            return Err(self
                .refuse(caller, AuditAction::PutActor, None, None, e)
                .await);
        }
        if self.store().tenant(tenant)?.is_none() {
            let e = VaultError::NotFound("the tenant");
            return Err(self
                .refuse(caller, AuditAction::PutActor, None, None, e)
                .await);
        }

        let now = Timestamp::now();
        let created_at = existing.map_or(now, |a| a.created_at);
        let display_name = if spec.display_name.is_empty() {
            spec.id.to_string()
        } else {
            spec.display_name
        };
        let actor = Actor {
            tenant: tenant.clone(),
            id: spec.id,
            kind: spec.kind,
            display_name,
            roles: spec.roles,
            attributes: spec.attributes,
            disabled: spec.disabled,
            created_at,
            updated_at: now,
        };

        let mut event = self.event(
            caller,
            AuditAction::PutActor,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(actor.id.to_string());
        let mut changes = vec![
            Change::PutActor(actor.clone()),
            Change::Audit(event.clone()),
        ];
        if caller.tenant() != tenant {
            event.tenant = tenant.clone();
            changes.push(Change::Audit(event));
        }
        self.store().submit(changes).await?;
        Ok(actor)
    }

    /// A tenant's actors. Allowed by `read_configuration`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn actors(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Vec<Actor>, VaultError> {
        let action = Action::ReadConfiguration;
        if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
            return Err(self
                .refuse(caller, AuditAction::ReadConfiguration, None, None, e)
                .await);
        }
        Ok(self.store().actors(tenant)?)
    }

    /// Issues a credential bound to one actor of one tenant. The lifetime defaults by actor
    /// kind (short for people) and may not exceed the configured maximum. Allowed by
    /// `manage_actors`.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] for an unknown actor; [`VaultError::InvalidInput`] for a
    /// lifetime that is not positive or exceeds the maximum; [`VaultError::Forbidden`].
    pub async fn issue_credential(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        actor: &ActorId,
        lifetime: Option<SignedDuration>,
        label: Option<String>,
    ) -> Result<IssuedCredential, VaultError> {
        let action = Action::ManageActors;
        let checked = self
            .authorize(caller, tenant, action, Resource::Tenant(tenant))
            .and_then(|_| check_label(label.as_deref()));
        if let Err(e) = checked {
            return Err(self
                .refuse(caller, AuditAction::IssueCredential, None, None, e)
                .await);
        }
        let Some(holder) = self.store().actor(tenant, actor)? else {
            let e = VaultError::NotFound("the actor");
            return Err(self
                .refuse(caller, AuditAction::IssueCredential, None, None, e)
                .await);
        };
        if let Err(e) = check_operator_reach(caller, tenant, &holder.roles) {
            return Err(self
                .refuse(caller, AuditAction::IssueCredential, None, None, e)
                .await);
        }
        if holder.kind == ActorKind::System || holder.id.as_str().starts_with(RESERVED_ACTOR_PREFIX)
        {
            let e = VaultError::InvalidInput {
                what: "the actor",
                reason: "phiguard's own jobs act without credentials; issue one to a person or \
                         an integration"
                    .into(),
            };
            return Err(self
                .refuse(caller, AuditAction::IssueCredential, None, None, e)
                .await);
        }

        let lifetime = match lifetime {
            Some(lifetime) => lifetime,
            None => self.default_lifetime(holder.kind),
        };
        let max = SignedDuration::from_hours(24 * i64::from(self.config().max_credential_days));
        if lifetime <= SignedDuration::ZERO || lifetime > max {
            let e = VaultError::InvalidInput {
                what: "the credential lifetime",
                reason: format!(
                    "it must be positive and at most {} days",
                    self.config().max_credential_days
                ),
            };
            return Err(self
                .refuse(caller, AuditAction::IssueCredential, None, None, e)
                .await);
        }

        let now = Timestamp::now();
        let expires_at = now
            .checked_add(lifetime)
            .map_err(|_| VaultError::internal("computing an expiry", "out of range"))?;
        let (id, token, hash) = self.credentials.issue()?;
        let credential = Credential {
            id: id.clone(),
            tenant: tenant.clone(),
            actor: actor.clone(),
            secret_hash: hash.0,
            label,
            created_at: now,
            expires_at,
            revoked_at: None,
        };

        let mut event = self.event(
            caller,
            AuditAction::IssueCredential,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(format!("{id} for {actor}"));
        let mut changes = vec![
            Change::InsertCredential(credential),
            Change::Audit(event.clone()),
        ];
        if caller.tenant() != tenant {
            event.tenant = tenant.clone();
            changes.push(Change::Audit(event));
        }
        self.store().submit(changes).await?;
        Ok(IssuedCredential {
            id,
            token,
            tenant: tenant.clone(),
            actor: actor.clone(),
            expires_at,
        })
    }

    fn default_lifetime(&self, kind: ActorKind) -> SignedDuration {
        let config = self.config();
        match kind {
            ActorKind::User => SignedDuration::from_mins(i64::from(config.user_credential_minutes)),
            ActorKind::Service => {
                SignedDuration::from_hours(24 * i64::from(config.service_credential_days))
            }
            ActorKind::System => {
                SignedDuration::from_hours(i64::from(config.system_credential_hours))
            }
        }
    }

    /// A tenant's credentials (ids, holders, lifetimes; never secrets). Allowed by
    /// `read_configuration`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn credentials(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        actor: Option<&ActorId>,
    ) -> Result<Vec<Credential>, VaultError> {
        let action = Action::ReadConfiguration;
        if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
            return Err(self
                .refuse(caller, AuditAction::ReadConfiguration, None, None, e)
                .await);
        }
        Ok(self.store().credentials(tenant, actor)?)
    }

    /// Revokes a credential; the next request presenting it is refused. An actor may always
    /// revoke its own credentials; revoking others' is allowed by `manage_actors`.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] if the tenant has no such credential; [`VaultError::Forbidden`].
    pub async fn revoke_credential(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &CredentialId,
    ) -> Result<(), VaultError> {
        let own = self
            .store()
            .credential(id)?
            .is_some_and(|c| &c.credential.tenant == tenant && &c.actor.id == caller.actor_id());
        if !own {
            let action = Action::ManageActors;
            if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
                return Err(self
                    .refuse(caller, AuditAction::RevokeCredential, None, None, e)
                    .await);
            }
        } else if caller.tenant() != tenant {
            let e = crate::error::mismatch(tenant);
            return Err(self
                .refuse(caller, AuditAction::RevokeCredential, None, None, e)
                .await);
        }

        let mut event = self.event(
            caller,
            AuditAction::RevokeCredential,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(id.to_string());
        let change = Change::RevokeCredential {
            tenant: tenant.clone(),
            id: id.clone(),
            at: Timestamp::now(),
        };
        match self
            .store()
            .submit(vec![change, Change::Audit(event)])
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let error = VaultError::from(e);
                Err(self
                    .refuse(caller, AuditAction::RevokeCredential, None, None, error)
                    .await)
            }
        }
    }

    /// Adds a tenant key version and re-wraps every key beneath it; older versions are
    /// destroyed once nothing depends on them. Recorded as the key-rotation system actor's
    /// access when run as a system job. Allowed by `rotate_keys`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; keyring failures.
    pub async fn rotate_keys(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<RotationReport, VaultError> {
        if let Err(e) = self.authorize(caller, tenant, Action::RotateKeys, Resource::Tenant(tenant))
        {
            return Err(self
                .refuse(caller, AuditAction::RotateKeys, None, None, e)
                .await);
        }
        if self.store().tenant(tenant)?.is_none() {
            let e = VaultError::NotFound("the tenant");
            return Err(self
                .refuse(caller, AuditAction::RotateKeys, None, None, e)
                .await);
        }

        let report = match self.keys.rotate(self.store(), tenant) {
            Ok(report) => report,
            Err(e) => {
                return Err(self
                    .refuse(caller, AuditAction::RotateKeys, None, None, e)
                    .await);
            }
        };
        let mut event = self.event(
            caller,
            AuditAction::RotateKeys,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(format!("tenant key v{}", report.new_version));
        event.count = Some(report.rewrapped_subject_keys);
        self.record(vec![event]).await?;
        Ok(report)
    }

    /// The newest tenant key version and when it was created, for status and assessments.
    ///
    /// # Errors
    ///
    /// Keyring failures.
    pub fn key_status(&self, tenant: &TenantId) -> Result<Option<(u32, Timestamp)>, VaultError> {
        Ok(self
            .store()
            .tenant_keys(tenant)?
            .into_iter()
            .map(|k| (k.version, k.created_at))
            .max())
    }
}

fn parse_const<T: std::str::FromStr>(text: &str) -> Result<T, VaultError> {
    text.parse()
        .map_err(|_| VaultError::internal("a built-in id", "does not parse"))
}

/// Tenant ids starting with `phiguard-` are phiguard's own: the audit trail names an unknown
/// tenant a request asked for as [`crate::UNKNOWN_TENANT`].
fn check_tenant_id(id: &TenantId) -> Result<(), VaultError> {
    if id.as_str().starts_with(RESERVED_ACTOR_PREFIX) {
        return Err(VaultError::InvalidInput {
            what: "the tenant id",
            reason: format!("ids starting with `{RESERVED_ACTOR_PREFIX}` are reserved"),
        });
    }
    Ok(())
}

fn check_tenant_fields(name: &str, time_zone: Option<&str>) -> Result<(), VaultError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(VaultError::InvalidInput {
            what: "the tenant name",
            reason: "it must be between 1 and 200 characters".into(),
        });
    }
    if let Some(zone) = time_zone {
        TimeZone::get(zone).map_err(|_| VaultError::InvalidInput {
            what: "the time zone",
            reason: "it is not an IANA time zone name such as America/New_York".into(),
        })?;
    }
    Ok(())
}

/// Keeps the platform operator to bootstrapping a tenant's administrators.
///
/// Policy lets the operator manage actors of other tenants so that a new tenant can be given its
/// first administrator. Without this check the same permission would let the operator create a
/// clinician in any tenant, or hand itself a clinician's credential, and read PHI the design
/// keeps from it. Across tenants, an actor the operator creates, changes or issues a credential
/// for must hold no role but `tenant_admin` (which discloses no PHI).
fn check_operator_reach(
    caller: &Caller,
    tenant: &TenantId,
    roles: &[Role],
) -> Result<(), VaultError> {
    if caller.tenant() == tenant {
        return Ok(());
    }
    if roles.iter().all(|r| r.as_str() == Role::TENANT_ADMIN) {
        Ok(())
    } else {
        // Across tenants the operator may manage tenant administrators only.
        Err(VaultError::Forbidden {
            action: "manage_actors",
        })
    }
}

/// Checks an actor about to be created or changed. The `phiguard-` ids belong to phiguard's
/// own jobs, which the vault creates itself: nobody, not even the command line, may create or
/// reshape one (a job actor given a role and a credential would act under a name the detectors
/// and auditors trust).
fn check_actor(_caller: &Caller, spec: &ActorSpec) -> Result<(), VaultError> {
    if spec.kind == ActorKind::System {
        return Err(VaultError::InvalidInput {
            what: "the actor kind",
            reason: "`system` is the kind of phiguard's own jobs; use `user` for a person or \
                     `service` for an integration"
                .into(),
        });
    }
    if spec.id.as_str().starts_with(RESERVED_ACTOR_PREFIX) {
        return Err(VaultError::InvalidInput {
            what: "the actor id",
            reason: format!(
                "ids starting with `{RESERVED_ACTOR_PREFIX}` are reserved for phiguard's own jobs"
            ),
        });
    }
    if spec.attributes.len() > MAX_ATTRIBUTES
        || spec
            .attributes
            .iter()
            .any(|(k, v)| k.len() > 64 || v.len() > 256 || k.is_empty())
    {
        return Err(VaultError::InvalidInput {
            what: "the actor's attributes",
            reason: format!(
                "at most {MAX_ATTRIBUTES} attributes, with names of 1 to 64 bytes and values of \
                 at most 256 bytes"
            ),
        });
    }
    check_declarations(&spec.attributes)?;
    if spec.display_name.chars().count() > MAX_LABEL_CHARS {
        return Err(VaultError::InvalidInput {
            what: "the display name",
            reason: format!("it must be at most {MAX_LABEL_CHARS} characters"),
        });
    }
    Ok(())
}

/// The attributes the detectors read must parse: a misspelt purpose or recipient would
/// otherwise switch a rule off for that actor without a word.
fn check_declarations(attributes: &BTreeMap<String, String>) -> Result<(), VaultError> {
    if let Some(codes) = attributes.get(crate::PURPOSES_ATTRIBUTE) {
        let all_known = codes
            .split([' ', ','])
            .filter(|c| !c.is_empty())
            .all(|code| code.parse::<phiguard_core::PurposeOfUse>().is_ok());
        if !all_known || codes.trim().is_empty() {
            return Err(VaultError::InvalidInput {
                what: "the `purposes` attribute",
                reason: "list HL7 purpose-of-use codes separated by spaces or commas, such as \
                         `HPAYMT HOPERAT`"
                    .into(),
            });
        }
    }
    if let Some(name) = attributes.get(crate::RECIPIENT_ATTRIBUTE) {
        let valid = name.parse::<phiguard_core::RecipientId>().is_ok()
            && !phiguard_core::looks_like_identifier(name);
        if !valid {
            return Err(VaultError::InvalidInput {
                what: "the `recipient` attribute",
                reason: "name the recipient as a lowercase slug such as `stripe`".into(),
            });
        }
    }
    Ok(())
}

fn check_label(label: Option<&str>) -> Result<(), VaultError> {
    match label {
        Some(label) if label.chars().count() > MAX_LABEL_CHARS => Err(VaultError::InvalidInput {
            what: "the credential label",
            reason: format!("it must be at most {MAX_LABEL_CHARS} characters"),
        }),
        _ => Ok(()),
    }
}
