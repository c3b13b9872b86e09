//! Administration from the data directory: tenants, actors, credentials, policies, keys,
//! audit events and status. Every command runs as one of phiguard's system actors in the
//! tenant it touches, so the tenant's audit trail records it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use phiguard_core::{ActorId, ActorKind, CredentialId, Role, SubjectId, TenantId, Timestamp};
use phiguard_store::AuditQuery;
use phiguard_vault::{ActorSpec, Caller, SystemJob};

use crate::Failure;
use crate::config::Config;
use crate::output;

use super::administration as admin;

/// `phiguard tenants …`
#[derive(Debug, Subcommand)]
pub(crate) enum TenantsCommand {
    /// Create a tenant with its keys.
    Create {
        /// The tenant's id: a lowercase slug such as `northwind-pharmacy`.
        id: TenantId,
        /// The organisation's display name.
        #[arg(long)]
        name: String,
        /// Its IANA time zone, such as America/New_York.
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// List tenants.
    List,
}

pub(crate) async fn tenants(config: &Config, command: TenantsCommand) -> Result<ExitCode, Failure> {
    let vault = super::open_vault(config).await?;
    match command {
        TenantsCommand::Create {
            id,
            name,
            time_zone,
        } => {
            let tenant = vault
                .create_tenant(&admin(&id), id.clone(), name, time_zone)
                .await?;
            output::line(&format!("created tenant {}", tenant.id));
        }
        TenantsCommand::List => {
            for tenant in vault.tenants()? {
                let zone = tenant.time_zone.as_deref().unwrap_or("-");
                output::line(&format!("{:<32} {:<28} {}", tenant.id, zone, tenant.name));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `phiguard actors …`
#[derive(Debug, Subcommand)]
pub(crate) enum ActorsCommand {
    /// Create or replace an actor.
    Create {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The actor's id within the tenant.
        id: ActorId,
        /// user, service or system.
        #[arg(long, value_parser = parse_kind)]
        kind: ActorKind,
        /// A role; repeat for several (clinician, pharmacist, fulfillment, billing, support,
        /// storefront, analytics, tenant_admin, platform_operator, or the tenant's own).
        #[arg(long = "role")]
        roles: Vec<Role>,
        /// An attribute policies can read, as key=value; repeat for several.
        #[arg(long = "attr", value_parser = parse_attribute)]
        attributes: Vec<(String, String)>,
        /// A display name for audit trails.
        #[arg(long)]
        name: Option<String>,
    },
    /// List a tenant's actors.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
    },
}

fn parse_kind(text: &str) -> Result<ActorKind, String> {
    text.parse()
        .map_err(|e: phiguard_core::UnknownActorKind| e.to_string())
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| "expected key=value".to_owned())
}

pub(crate) async fn actors(config: &Config, command: ActorsCommand) -> Result<ExitCode, Failure> {
    let vault = super::open_vault(config).await?;
    match command {
        ActorsCommand::Create {
            tenant,
            id,
            kind,
            roles,
            attributes,
            name,
        } => {
            let spec = ActorSpec {
                id,
                kind,
                display_name: name.unwrap_or_default(),
                roles,
                attributes: attributes.into_iter().collect::<BTreeMap<_, _>>(),
                disabled: false,
            };
            let actor = vault.put_actor(&admin(&tenant), &tenant, spec).await?;
            output::line(&format!(
                "stored actor {} in tenant {}",
                actor.id, actor.tenant
            ));
        }
        ActorsCommand::List { tenant } => {
            for actor in vault.actors(&admin(&tenant), &tenant).await? {
                let roles: Vec<&str> = actor.roles.iter().map(Role::as_str).collect();
                let state = if actor.disabled { " (disabled)" } else { "" };
                output::line(&format!(
                    "{:<32} {:<8} {}{state}",
                    actor.id,
                    actor.kind.as_str(),
                    roles.join(",")
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `phiguard credentials …`
#[derive(Debug, Subcommand)]
pub(crate) enum CredentialsCommand {
    /// Issue a bearer credential; the token is printed once.
    Issue {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The actor it is bound to.
        #[arg(long)]
        actor: ActorId,
        /// Lifetime in minutes (default by actor kind: 12 hours for people, 90 days for
        /// integrations, 24 hours for jobs).
        #[arg(long, value_name = "MINUTES")]
        lifetime_minutes: Option<i64>,
        /// A note on what the credential is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// List a tenant's credentials (never their secrets).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
    },
    /// Revoke a credential; the next request that presents it is refused.
    Revoke {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The credential id (`cred_…`).
        id: CredentialId,
    },
}

pub(crate) async fn credentials(
    config: &Config,
    command: CredentialsCommand,
) -> Result<ExitCode, Failure> {
    let vault = super::open_vault(config).await?;
    match command {
        CredentialsCommand::Issue {
            tenant,
            actor,
            lifetime_minutes,
            label,
        } => {
            let lifetime = lifetime_minutes.map(jiff::SignedDuration::from_mins);
            let issued = vault
                .issue_credential(&admin(&tenant), &tenant, &actor, lifetime, label)
                .await?;
            output::line(issued.token.expose());
            tracing::info!(credential = %issued.id, expires_at = %issued.expires_at, "issued");
        }
        CredentialsCommand::List { tenant } => {
            for c in vault.credentials(&admin(&tenant), &tenant, None).await? {
                let state = match (c.revoked_at, c.expires_at <= Timestamp::now()) {
                    (Some(_), _) => "revoked",
                    (None, true) => "expired",
                    (None, false) => "active",
                };
                output::line(&format!(
                    "{}  {:<24} {:<8} expires {}  {}",
                    c.id,
                    c.actor,
                    state,
                    c.expires_at,
                    c.label.as_deref().unwrap_or("")
                ));
            }
        }
        CredentialsCommand::Revoke { tenant, id } => {
            vault
                .revoke_credential(&admin(&tenant), &tenant, &id)
                .await?;
            output::line(&format!("revoked {id}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `phiguard policies …`
#[derive(Debug, Subcommand)]
pub(crate) enum PoliciesCommand {
    /// Add or replace a tenant policy from a Cedar file.
    Add {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The policy's id within the tenant.
        #[arg(long)]
        id: String,
        /// A file holding one Cedar policy.
        file: PathBuf,
    },
    /// List a tenant's own policies.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
    },
    /// Print the global policies every tenant is decided by.
    Global,
    /// Remove a tenant policy.
    Remove {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The policy's id.
        id: String,
    },
}

pub(crate) async fn policies(
    config: &Config,
    command: PoliciesCommand,
) -> Result<ExitCode, Failure> {
    let vault = super::open_existing_vault(config).await?;
    match command {
        PoliciesCommand::Add { tenant, id, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read policy file {}", file.display()))
                .map_err(Failure::Input)?;
            let policy = vault.put_policy(&admin(&tenant), &tenant, id, text).await?;
            output::line(&format!(
                "stored policy {} in tenant {}",
                policy.id, policy.tenant
            ));
        }
        PoliciesCommand::List { tenant } => {
            for policy in vault.policies(&admin(&tenant), &tenant).await? {
                output::line(&format!("// {}\n{}\n", policy.id, policy.text.trim_end()));
            }
        }
        PoliciesCommand::Global => output::line(vault.global_policies()),
        PoliciesCommand::Remove { tenant, id } => {
            vault.delete_policy(&admin(&tenant), &tenant, &id).await?;
            output::line(&format!("removed policy {id}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `phiguard keys …`
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Add a tenant key version and re-wrap every key beneath it.
    Rotate {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
    },
}

pub(crate) async fn keys(config: &Config, command: KeysCommand) -> Result<ExitCode, Failure> {
    let vault = super::open_vault(config).await?;
    match command {
        KeysCommand::Rotate { tenant } => {
            let caller = Caller::system(tenant.clone(), SystemJob::KeyRotation);
            let report = vault.rotate_keys(&caller, &tenant).await?;
            let destroyed: Vec<String> = report
                .destroyed_versions
                .iter()
                .map(|v| format!("v{v}"))
                .collect();
            output::line(&format!(
                "tenant {} now uses key v{}; re-wrapped {} subject keys; destroyed {}",
                report.tenant,
                report.new_version,
                report.rewrapped_subject_keys,
                if destroyed.is_empty() {
                    "none".to_owned()
                } else {
                    destroyed.join(", ")
                }
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `phiguard audit`
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The tenant.
    #[arg(long)]
    tenant: TenantId,
    /// Only events about this subject.
    #[arg(long)]
    subject: Option<SubjectId>,
    /// Only events by this actor.
    #[arg(long)]
    actor: Option<ActorId>,
    /// At most this many events.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn audit(config: &Config, args: AuditArgs) -> Result<ExitCode, Failure> {
    let vault = super::open_existing_vault(config).await?;
    let query = AuditQuery {
        subject: args.subject,
        actor: args.actor,
        limit: args.limit,
        ..AuditQuery::default()
    };
    let events = vault
        .audit_events(&admin(&args.tenant), &args.tenant, &query)
        .await?;
    for stored in events {
        if args.json {
            output::line(&serde_json::to_string(&stored).unwrap_or_default());
            continue;
        }
        let e = &stored.event;
        let disclosed: Vec<String> = e
            .disclosed
            .iter()
            .map(|(c, l)| format!("{c}:{l}"))
            .collect();
        output::line(&format!(
            "{:>6} {} {:<22} {:<7} {:<18} {:<8} {:<12} {} {}",
            stored.seq,
            e.time,
            e.actor,
            e.actor_kind.as_str(),
            e.action.as_str(),
            e.purpose.map_or("-", |p| p.code()),
            e.outcome.as_str(),
            e.subject.as_ref().map_or("-", |s| s.as_str()),
            disclosed.join(",")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `phiguard status`
pub(crate) async fn status(config: &Config) -> Result<ExitCode, Failure> {
    let vault = super::open_existing_vault(config).await?;
    let module = vault.crypto_module();
    output::line(&format!("data directory   {}", config.data_dir.display()));
    output::line(&format!(
        "crypto module    {} {} ({}; FIPS mode {})",
        module.name,
        module.version,
        if module.fips_build {
            "FIPS build"
        } else {
            "standard build"
        },
        if module.fips_mode { "on" } else { "off" }
    ));
    output::line(&format!("listen           {}", config.server.listen));
    output::line(&format!(
        "TLS              {}",
        if config.server.tls.is_some() {
            "configured"
        } else {
            "off (loopback only)"
        }
    ));
    output::line("");
    output::line(&format!(
        "{:<28} {:>9} {:>9} {:>9} {:>10}  key",
        "tenant", "subjects", "disposed", "records", "events"
    ));
    for tenant in vault.tenants()? {
        let (_, counts) = vault.tenant(&admin(&tenant.id), &tenant.id).await?;
        let key = vault
            .key_status(&tenant.id)?
            .map_or("-".to_owned(), |(v, at)| {
                format!("v{v} since {}", at.strftime("%Y-%m-%d"))
            });
        output::line(&format!(
            "{:<28} {:>9} {:>9} {:>9} {:>10}  {key}",
            tenant.id.as_str(),
            counts.subjects,
            counts.disposed_subjects,
            counts.records,
            counts.audit_events
        ));
    }
    Ok(ExitCode::SUCCESS)
}
