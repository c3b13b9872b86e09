//! Minimum-necessary access decisions with Cedar: one evaluation yields allow or deny and a
//! disclosure per PHI category.
//!
//! # What this crate owns
//!
//! - The Cedar [schema](SCHEMA) of phiguard (namespace `Phiguard`): tenants, roles, actors,
//!   subjects, records, the thirteen [`Action`]s and the request context (`purpose`,
//!   `break_glass`).
//! - The [default policies](DEFAULT_POLICIES) for the nine default roles, the tenant wall and
//!   break-glass.
//! - Compiling a tenant's own policies, validated in strict mode, into an immutable
//!   [`TenantPolicies`] together with the global ones ([`PolicyEngine::compile_tenant`]).
//! - Deciding one [`AccessRequest`] into an [`AccessDecision`] ([`TenantPolicies::decide`]).
//!
//! ```text
//!   PolicyEngine::new()                 schema + global policies, compiled once
//!        │
//!        │ compile_tenant(tenant, &[TenantPolicy])   parse, validate (strict), read
//!        ▼                                           annotations, rewrite ceilings
//!   TenantPolicies (Arc)  ── decide(&AccessRequest) ──►  AccessDecision
//!        ▲                     one Cedar evaluation       decision, outcome,
//!        │                                                disclosures per category,
//!   Principal (per actor, cached by the vault)            policies, errors
//! ```
//!
//! # What it refuses to do
//!
//! - It never sees a PHI value. Entities carry ids, record type names, flags, the actor's kind
//!   and the actor's own workforce attributes; the context carries the purpose code and the
//!   break-glass flag. Cedar's evaluation errors therefore cannot quote PHI; in practice, since
//!   policies are validated in strict mode (every attribute required, tags read only after
//!   `hasTag`, extension constructors on literals), the errors left are arithmetic overflows
//!   and extension-function failures whose messages name the policy id and quote operands
//!   from the policy text. They are safe to log.
//! - It never evaluates all tenants' policies together: a [`TenantPolicies`] holds the global
//!   policies plus one tenant's, and refuses principals of any other tenant.
//! - It keeps no state between decisions and does no I/O; storing policies, opening
//!   break-glass grants and recording audit events are the vault's jobs.
//! - It does not mask values; it says which categories leave the vault and at what level.
//!
//! # Disclosure semantics
//!
//! Only `read_record` and `list_records` return PHI. Their permits name what they grant with
//! annotations whose value lists categories (`identifier`, `name`, `contact`, `address`,
//! `birthdate`, `demographic`, `clinical`, `financial`, `free_text`) separated by commas, or
//! `"*"` for all nine:
//!
//! - `@clear("...")` and `@masked("...")` on a **permit** grant those categories at that level.
//! - `@withhold("...")` and `@mask("...")` on a **forbid** make it a **ceiling**: when its
//!   condition holds it does not deny the request but caps those categories at withheld or
//!   masked. A forbid without these annotations denies, as in Cedar.
//!
//! A request is evaluated once. Then:
//!
//! 1. If Cedar reports any evaluation error, the decision is a deny with
//!    [`Outcome::PolicyError`](phiguard_core::Outcome::PolicyError) and the error texts, even
//!    if other policies permit (fail closed).
//! 2. If any ordinary forbid is satisfied, the decision is a deny.
//! 3. Otherwise the request is allowed only if at least one satisfied permit is not a ceiling.
//! 4. Each category's level is the most revealing level any satisfied permit grants it
//!    (withheld if none does), then lowered to the strictest satisfied ceiling for it.
//!
//! A deny always discloses nothing, and so does an allow of an action other than
//! `read_record` and `list_records`. An allow can withhold every category (when ceilings take
//! everything away): the caller learns that the record exists, not what it says. `masked` on a
//! category without a reduced form (clinical, demographic, financial, free text) is reported as
//! `masked`; the vault's masking withholds it.
//!
//! Ceilings are implemented inside the single evaluation: at compile time a ceiling forbid is
//! rewritten (through Cedar's JSON policy format) into a permit carrying the internal
//! annotation `phiguard_ceiling`, so that Cedar lists it among the reasons of an allow.
//!
//! Annotations are checked when a policy is compiled. Rejected: a permit that can apply to
//! `read_record` or `list_records` without `@clear` or `@masked` (it would disclose nothing);
//! `@clear`/`@masked` on a forbid and `@withhold`/`@mask` on a permit; disclosure annotations on
//! a policy whose scope excludes both PHI actions; unknown category names; a category named by
//! two disclosure annotations of one policy; and any annotation other than these four and
//! `@id` and `@description`.
//!
//! For example, with the default policies a clinician reading under `TREAT` sees every
//! category but `financial` in clear; a tenant that adds
//!
//! ```cedar
//! @withhold("clinical")
//! forbid (principal, action == Phiguard::Action::"read_record", resource)
//! when { resource.record_type == "shopify.order" };
//! ```
//!
//! still lets the clinician read orders, without their clinical category, while a plain
//! `forbid` with the same scope would deny the read.
//!
//! # The default roles
//!
//! | role | read_record / list_records | purposes |
//! | --- | --- | --- |
//! | clinician (user) | all clear but financial | TREAT, CAREMGT |
//! | pharmacist (user) | like clinician, address masked | TREAT, CAREMGT |
//! | fulfillment | name, address, contact clear | HOPERAT |
//! | billing | identifier, financial clear; name, birthdate masked | HPAYMT |
//! | support | identifier, name, contact, address, birthdate masked | HOPERAT, PATRQT |
//! | storefront (service) | name, contact, address masked | HOPERAT, PATRQT |
//! | analytics (service) | demographic clear, birthdate masked | HOPERAT, HQUALIMP, HRESCH |
//! | tenant_admin | none (configuration, keys, audit, imports) | HSYSADMIN, HOPERAT, HCOMPL¹ |
//! | platform_operator | none (creates tenants, manages any tenant's actors) | HSYSADMIN, HOPERAT |
//!
//! ¹ HCOMPL only to read audit events and configuration.
//!
//! Clinicians and pharmacists (users) also read under `ETREAT` when the request carries
//! `break_glass`: every category but financial in clear, restricted subjects included. No other
//! default permit reaches a restricted subject; a tenant that needs, say, fulfillment for a
//! restricted subject writes that exception as its own policy. Search: clinician and
//! pharmacist (TREAT, CAREMGT, or ETREAT with break-glass), billing (HPAYMT), fulfillment
//! (HOPERAT), support and storefront (HOPERAT, PATRQT). Record creation: clinician,
//! pharmacist, storefront, tenant_admin. Roles marked (user) or (service) grant nothing to
//! actors of another kind. See [`DEFAULT_POLICIES`] for the text.
//!
//! # Walls no tenant policy lowers
//!
//! Forbids win in Cedar, so these global forbids hold whatever a tenant writes:
//!
//! - **The tenant wall**: no actor acts on a tenant, subject or record of another tenant (a
//!   record counts as inside only if its subject is too). The one exception: an actor of the
//!   [`PLATFORM_TENANT`] holding `platform_operator` may `create_tenant` and `manage_actors`
//!   on any tenant, to bootstrap its admin.
//! - `platform_operator` does nothing but those two actions, in any tenant; outside the
//!   platform tenant the role grants nothing cross-tenant and cannot create tenants, so a
//!   tenant admin who hands it out gains nothing.
//!
//! Entity uids are unique across tenants (`Phiguard::Actor::"<tenant>/<actor>"`, likewise for
//! subjects and records; see [`SCHEMA`]). Tenant policy ids are slugs, named `tenant/<id>`;
//! global ones are `global/<id>`, so the two never collide.
//!
//! # Cost
//!
//! One decision is one Cedar evaluation. To keep it cheap, a [`Principal`] is prepared once per
//! actor (its entity with roles closed over), request contexts are built once per engine, and
//! Cedar is handed only the policies that can apply: those whose action scope admits the
//! request's action and whose `principal in Phiguard::Role::"..."` scope names a role the actor
//! holds (a scope that fails evaluates to false without error, so leaving such a policy out
//! changes nothing, errors included). `examples/bench_decide.rs` measures it against the
//! alternative of one evaluation per category.
//!
//! # Example
//!
//! ```
//! use phiguard_core::{ActorKind, Category, Disclosure, PurposeOfUse, RecordId, SubjectId};
//! use phiguard_policy::{AccessRequest, Action, PolicyEngine, Principal, Resource, TenantPolicy};
//!
//! let engine = PolicyEngine::new()?;
//! let tenant = "northwind".parse()?;
//! let ceiling = TenantPolicy {
//!     id: "no-clinical-on-orders".into(),
//!     text: r#"@withhold("clinical")
//!              forbid (principal, action == Phiguard::Action::"read_record", resource)
//!              when { resource.record_type == "shopify.order" };"#
//!         .into(),
//! };
//! let policies = engine.compile_tenant(&tenant, &[ceiling])?;
//!
//! let clinician = Principal::new(
//!     tenant.clone(),
//!     "dr-okafor".parse()?,
//!     ActorKind::User,
//!     ["clinician".parse()?],
//!     [("department".to_owned(), "cardiology".to_owned())],
//! )?;
//! let (subject, record) = (SubjectId::from_random([1; 16]), RecordId::from_random([2; 16]));
//! let request = AccessRequest {
//!     principal: &clinician,
//!     action: Action::ReadRecord,
//!     resource: Resource::Record {
//!         tenant: &tenant,
//!         subject: &subject,
//!         record: &record,
//!         record_type: "shopify.order",
//!         restricted: false,
//!     },
//!     purpose: PurposeOfUse::Treat,
//!     break_glass: false,
//! };
//!
//! let decision = policies.decide(&request);
//! assert!(decision.is_allowed());
//! assert_eq!(decision.disclosures.get(Category::Name), Disclosure::Clear);
//! assert_eq!(decision.disclosures.get(Category::Clinical), Disclosure::Withheld);
//! assert_eq!(decision.policies, ["global/clinician-treatment", "tenant/no-clinical-on-orders"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod action;
mod compile;
mod decision;
mod defaults;
mod disclosure_rule;
mod error;
mod request;
mod schema;
mod selection;
#[cfg(test)]
mod testing;

pub use action::{Action, UnknownAction};
pub use compile::{GLOBAL_PREFIX, PolicyEngine, TENANT_PREFIX, TenantPolicy};
pub use decision::{AccessDecision, TenantPolicies};
pub use defaults::{DEFAULT_POLICIES, PLATFORM_TENANT};
pub use error::{AnnotationProblem, PolicyError};
pub use request::{AccessRequest, Principal, Resource};
pub use schema::SCHEMA;
