//! The checks: each turns one kind of evidence into a status with the reasons behind it.
//!
//! A check looks at one source. Inventory checks judge what the platform declares, scan checks
//! what its code and infrastructure do, vault checks what the vault measured of itself, and the
//! attestation check the signed statements for what no machine can see. A check whose source is
//! missing answers "not assessed" and says which flag would supply it.

use std::fmt;

use jiff::civil::Date;
use jiff::{Span, Unit};
use phiguard_core::Category;
use phiguard_inventory::{
    AtRest, Audience, BaaStatus, DataStore, DataStoreKind, InTransit, IntegrationKind,
    Provisioning, SurfaceKind,
};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Control};
use crate::evidence::Evidence;
use crate::status::Status;

/// Every check the catalog may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CheckId {
    /// Signed statements in the inventory.
    #[serde(rename = "attestation")]
    Attestation,
    /// Systems and data stores are listed, each store saying whether it holds PHI.
    #[serde(rename = "inventory.asset-inventory")]
    AssetInventory,
    /// PHI data stores are encrypted at rest.
    #[serde(rename = "inventory.at-rest")]
    StoresAtRest,
    /// PHI data stores are reached over TLS.
    #[serde(rename = "inventory.in-transit")]
    StoresInTransit,
    /// PHI databases have encrypted backups.
    #[serde(rename = "inventory.backups")]
    Backups,
    /// Integrations receiving PHI have a signed BAA.
    #[serde(rename = "inventory.baa")]
    BusinessAssociates,
    /// Roles reaching PHI are re-certified on schedule.
    #[serde(rename = "inventory.recertification")]
    Recertification,
    /// No shared accounts; people sign in through SSO.
    #[serde(rename = "inventory.provisioning")]
    Provisioning,
    /// People reaching PHI use a second factor.
    #[serde(rename = "inventory.mfa")]
    Mfa,
    /// Admin and app-settings screens are reachable only by staff and admins.
    #[serde(rename = "inventory.admin-surfaces")]
    AdminSurfaces,
    /// No PHI in browser storage or remembered form fields.
    #[serde(rename = "scan.browser-storage")]
    ScanBrowserStorage,
    /// No PHI in logs.
    #[serde(rename = "scan.logging")]
    ScanLogging,
    /// No PHI to trackers, payment metadata or URLs.
    #[serde(rename = "scan.third-parties")]
    ScanThirdParties,
    /// Infrastructure code encrypts caches, search clusters and backups.
    #[serde(rename = "scan.at-rest")]
    ScanAtRest,
    /// Infrastructure code and configuration reach stores over TLS.
    #[serde(rename = "scan.in-transit")]
    ScanInTransit,
    /// No secrets in plain manifests.
    #[serde(rename = "scan.secrets")]
    ScanSecrets,
    /// The vault encrypts every PHI category.
    #[serde(rename = "vault.encryption")]
    VaultEncryption,
    /// Tenant keys are rotated within a year.
    #[serde(rename = "vault.key-management")]
    KeyManagement,
    /// Every tenant's ledger has recent signed checkpoints.
    #[serde(rename = "vault.audit-trail")]
    AuditTrail,
    /// The ledger re-hashes to its signed checkpoints.
    #[serde(rename = "vault.integrity")]
    LedgerIntegrity,
    /// No tenant policy grants clear PHI broadly.
    #[serde(rename = "vault.minimum-necessary")]
    MinimumNecessary,
    /// Credentials are bound to one actor with a bounded lifetime.
    #[serde(rename = "vault.unique-ids")]
    UniqueIds,
    /// Break-glass is bounded and every use carries a reason.
    #[serde(rename = "vault.emergency-access")]
    EmergencyAccess,
    /// No actor unused for 90 days is still active.
    #[serde(rename = "vault.dormant-actors")]
    DormantActors,
    /// People's credentials expire within hours.
    #[serde(rename = "vault.automatic-logoff")]
    AutomaticLogoff,
    /// The vault's API serves TLS.
    #[serde(rename = "vault.transmission")]
    VaultTransmission,
    /// Subjects can be crypto-shredded and disposals are recorded.
    #[serde(rename = "vault.disposal")]
    Disposal,
}

impl CheckId {
    /// The id as the catalog spells it.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The evidence source the check reads.
    pub const fn source(self) -> Source {
        use CheckId::*;
        match self {
            Attestation => Source::Attestations,
            AssetInventory | StoresAtRest | StoresInTransit | Backups | BusinessAssociates
            | Recertification | Provisioning | Mfa | AdminSurfaces => Source::Inventory,
            ScanBrowserStorage | ScanLogging | ScanThirdParties | ScanAtRest | ScanInTransit
            | ScanSecrets => Source::Scan,
            _ => Source::Vault,
        }
    }

    /// Whether failing this check fails its control outright, whatever else is met: PHI sent to
    /// a party without a BAA, a settings screen open to customers and a ledger that does not
    /// match its signed checkpoint are each a violation on their own.
    pub const fn is_decisive(self) -> bool {
        matches!(
            self,
            CheckId::BusinessAssociates | CheckId::AdminSurfaces | CheckId::LedgerIntegrity
        )
    }

    /// The languages a scan must have analysed for a scan check to say anything: code checks
    /// need storefront or back-end code, infrastructure checks need the files that declare
    /// stores (Terraform, Kubernetes YAML, Magento's `env.php`).
    pub const fn scan_languages(self) -> &'static [&'static str] {
        const CODE: &[&str] = &[
            "javascript",
            "typescript",
            "tsx",
            "liquid",
            "html",
            "php",
            "phtml",
        ];
        match self {
            CheckId::ScanBrowserStorage | CheckId::ScanLogging | CheckId::ScanThirdParties => CODE,
            CheckId::ScanAtRest => &["terraform"],
            CheckId::ScanInTransit => &["terraform", "yaml", "php"],
            CheckId::ScanSecrets => &["yaml"],
            _ => &[],
        }
    }

    /// The scan rules a scan check reads.
    pub const fn scan_rules(self) -> &'static [&'static str] {
        match self {
            CheckId::ScanBrowserStorage => &["PHI-STORAGE-001", "PHI-STORAGE-002", "PHI-FORM-001"],
            CheckId::ScanLogging => &["PHI-LOG-001"],
            CheckId::ScanThirdParties => &[
                "PHI-TRACKER-001",
                "PHI-TRACKER-002",
                "PHI-PAYMENT-001",
                "PHI-URL-001",
            ],
            CheckId::ScanAtRest => &[
                "PHI-INFRA-001",
                "PHI-INFRA-002",
                "PHI-INFRA-003",
                "PHI-INFRA-005",
                "PHI-INFRA-006",
            ],
            CheckId::ScanInTransit => &["PHI-INFRA-004", "PHI-CONFIG-001", "PHI-CONFIG-002"],
            CheckId::ScanSecrets => &["PHI-CONFIG-003"],
            _ => &[],
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// Where a check's evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The platform inventory.
    Inventory,
    /// The inventory's attestations.
    Attestations,
    /// A scan report.
    Scan,
    /// The vault's posture.
    Vault,
}

/// What one check concluded for one control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check.
    pub check: CheckId,
    /// Its status.
    pub status: Status,
    /// The conclusion in a sentence.
    pub summary: String,
    /// The facts behind it, one per line: which store, which file and line, which tenant.
    pub details: Vec<String>,
    /// How likely the gap is to be exploited or to cause a breach, 1 to 5, when it is a gap.
    pub likelihood: u8,
    /// Why that likelihood.
    pub likelihood_reason: String,
    /// Who answers for the evidence behind a gap (system owners, attestation owners).
    pub owners: Vec<String>,
}

/// One observed fact and how it rates.
struct Item {
    status: Status,
    line: String,
    likelihood: u8,
    owner: Option<String>,
}

impl Item {
    fn new(status: Status, likelihood: u8, line: impl Into<String>) -> Item {
        Item {
            status,
            line: line.into(),
            likelihood,
            owner: None,
        }
    }

    fn owned_by(mut self, owner: Option<&str>) -> Item {
        self.owner = owner.map(str::to_owned);
        self
    }
}

/// Runs a check for a control.
pub(crate) fn run(
    check: CheckId,
    catalog: &Catalog,
    control: &Control,
    evidence: &Evidence,
) -> CheckResult {
    let outcome = match check.source() {
        Source::Inventory => Ok(inventory(check, evidence)),
        Source::Attestations => Ok(attestation(catalog, control, evidence)),
        Source::Scan => scan(check, evidence),
        Source::Vault => vault(check, evidence),
    };
    match outcome {
        Ok((summary, items)) => conclude(check, summary, items),
        Err(missing) => CheckResult {
            check,
            status: Status::NotAssessed,
            summary: missing.to_owned(),
            details: Vec::new(),
            likelihood: 3,
            likelihood_reason: "unknown: without evidence the gap is rated as even odds".into(),
            owners: Vec::new(),
        },
    }
}

fn conclude(check: CheckId, summary: &str, items: Vec<Item>) -> CheckResult {
    let mut status = Status::combine(items.iter().map(|item| item.status));

    // PHI sent to one party without an agreement is a disclosure the rule forbids however many
    // other parties are covered; the same holds for one settings screen open to customers.
    let strict = check.is_decisive();
    if strict && items.iter().any(|item| item.status == Status::NotMet) {
        status = Status::NotMet;
    }
    let gaps: Vec<&Item> = items.iter().filter(|item| item.status.is_gap()).collect();
    let worst = gaps.iter().max_by_key(|item| item.likelihood);
    let (likelihood, likelihood_reason) = match worst {
        Some(item) => (item.likelihood, item.line.clone()),
        None => (1, "no gap found".to_owned()),
    };

    let mut owners: Vec<String> = gaps.iter().filter_map(|item| item.owner.clone()).collect();
    owners.sort();
    owners.dedup();

    let counts = |wanted: Status| items.iter().filter(|i| i.status == wanted).count();
    let summary = if items.is_empty() {
        format!("{summary}: nothing to judge")
    } else {
        format!(
            "{summary}: {} met, {} partially met, {} not met, {} not assessed",
            counts(Status::Met),
            counts(Status::PartiallyMet),
            counts(Status::NotMet),
            counts(Status::NotAssessed)
        )
    };
    CheckResult {
        check,
        status,
        summary,
        details: items.into_iter().map(|item| item.line).collect(),
        likelihood,
        likelihood_reason,
        owners,
    }
}

fn inventory(check: CheckId, evidence: &Evidence) -> (&'static str, Vec<Item>) {
    let inventory = &evidence.inventory;
    let owner_of = |system: &str| {
        inventory
            .systems
            .iter()
            .find(|s| s.id == system)
            .and_then(|s| s.owner.as_deref())
            .or(Some(inventory.platform.owner.as_str()))
    };
    let phi_stores = || inventory.data_stores.iter().filter(|store| store.holds_phi);
    let platform_owner = Some(inventory.platform.owner.as_str());

    match check {
        CheckId::AssetInventory => {
            let mut items = vec![];
            let status = if inventory.systems.is_empty() || inventory.data_stores.is_empty() {
                Status::NotMet
            } else {
                Status::Met
            };
            items.push(
                Item::new(
                    status,
                    3,
                    format!(
                        "the inventory lists {} systems, {} data stores ({} holding PHI), {} \
                         integrations and {} surfaces",
                        inventory.systems.len(),
                        inventory.data_stores.len(),
                        phi_stores().count(),
                        inventory.integrations.len(),
                        inventory.surfaces.len()
                    ),
                )
                .owned_by(platform_owner),
            );
            ("Technology asset inventory", items)
        }
        CheckId::StoresAtRest => {
            let items = phi_stores()
                .filter(|store| store.kind != DataStoreKind::Backup)
                .map(|store| at_rest_item(store).owned_by(owner_of(store.system.get_ref())))
                .collect();
            ("PHI data stores encrypted at rest", items)
        }
        CheckId::StoresInTransit => {
            let items = phi_stores()
                .map(|store| {
                    let (status, likelihood, how) = match store.encryption_in_transit {
                        InTransit::Tls => (Status::Met, 1, "over TLS"),
                        InTransit::MutualTls => (Status::Met, 1, "over mutual TLS"),
                        InTransit::None => (Status::NotMet, 4, "in plaintext on the network"),
                        InTransit::Unknown => (
                            Status::NotAssessed,
                            3,
                            "by a route the inventory marks `unknown`",
                        ),
                    };
                    Item::new(
                        status,
                        likelihood,
                        format!("{} `{}` is reached {how}", kind_name(store.kind), store.id),
                    )
                    .owned_by(owner_of(store.system.get_ref()))
                })
                .collect();
            ("PHI data stores protected in transit", items)
        }
        CheckId::Backups => {
            let items = phi_stores()
                .filter(|store| store.kind == DataStoreKind::Database)
                .map(|database| {
                    let backups: Vec<&DataStore> = inventory
                        .data_stores
                        .iter()
                        .filter(|b| b.backup_of.as_ref().map(|o| o.get_ref()) == Some(&database.id))
                        .collect();
                    let owner = owner_of(database.system.get_ref());
                    if backups.is_empty() {
                        return Item::new(
                            Status::NotMet,
                            3,
                            format!("database `{}` has no backup store listed", database.id),
                        )
                        .owned_by(owner);
                    }
                    let unencrypted: Vec<&str> = backups
                        .iter()
                        .filter(|b| b.encryption_at_rest == AtRest::None)
                        .map(|b| b.id.as_str())
                        .collect();
                    let unknown = backups
                        .iter()
                        .any(|b| b.encryption_at_rest == AtRest::Unknown);
                    let (status, likelihood, what) = if !unencrypted.is_empty() {
                        (
                            Status::NotMet,
                            4,
                            format!("unencrypted backup `{}`", unencrypted.join("`, `")),
                        )
                    } else if unknown {
                        (
                            Status::NotAssessed,
                            3,
                            "a backup of unknown encryption".to_owned(),
                        )
                    } else {
                        (
                            Status::Met,
                            1,
                            format!("{} encrypted backup store(s)", backups.len()),
                        )
                    };
                    Item::new(
                        status,
                        likelihood,
                        format!("database `{}` has {what}", database.id),
                    )
                    .owned_by(owner)
                })
                .collect();
            ("PHI databases backed up and encrypted", items)
        }
        CheckId::BusinessAssociates => (
            "Business associate agreements for PHI recipients",
            baa_items(evidence),
        ),
        CheckId::Recertification => {
            let items = inventory
                .roles
                .iter()
                .filter(|role| !role.categories.is_empty())
                .map(|role| {
                    let (status, line) = match (role.recertification_days, role.last_recertified) {
                        (None, _) => (
                            Status::NotMet,
                            format!("role `{}` reaches PHI and is never re-certified", role.id),
                        ),
                        (Some(_), None) => (
                            Status::NotMet,
                            format!(
                                "role `{}` has a re-certification schedule but no recorded \
                                 re-certification",
                                role.id
                            ),
                        ),
                        (Some(days), _) if days > 366 => (
                            Status::NotMet,
                            format!(
                                "role `{}` is re-certified only every {days} days; at least \
                                 yearly is expected",
                                role.id
                            ),
                        ),
                        (Some(0), _) => (
                            Status::NotMet,
                            format!(
                                "role `{}` has a re-certification schedule of 0 days",
                                role.id
                            ),
                        ),
                        (Some(_), Some(last)) if last > evidence.as_of => (
                            Status::NotAssessed,
                            format!(
                                "role `{}` records a re-certification on {last}, after {}",
                                role.id, evidence.as_of
                            ),
                        ),
                        (Some(days), Some(last)) => {
                            let age = days_between(last, evidence.as_of);
                            if age > i64::from(days) {
                                (
                                    Status::NotMet,
                                    format!(
                                        "role `{}` was last re-certified {age} days ago, over \
                                         its {days}-day schedule",
                                        role.id
                                    ),
                                )
                            } else {
                                (
                                    Status::Met,
                                    format!(
                                        "role `{}` was re-certified {age} days ago (every \
                                         {days} days)",
                                        role.id
                                    ),
                                )
                            }
                        }
                    };
                    Item::new(status, 3, line).owned_by(platform_owner)
                })
                .collect();
            ("Access re-certification of roles reaching PHI", items)
        }
        CheckId::Provisioning => {
            let items = inventory
                .roles
                .iter()
                .map(|role| {
                    let (status, likelihood, how) = match role.provisioning {
                        Provisioning::SsoScim => (
                            Status::Met,
                            1,
                            "single sign-on with automated de-provisioning",
                        ),
                        Provisioning::Sso => (
                            Status::Met,
                            2,
                            "single sign-on (accounts are created by hand, so leavers depend \
                             on a manual step)",
                        ),
                        Provisioning::ApiKey => (Status::Met, 1, "service credentials"),
                        Provisioning::Manual if role.categories.is_empty() => (
                            Status::PartiallyMet,
                            2,
                            "local accounts created by hand (no PHI declared)",
                        ),
                        Provisioning::Manual => (
                            Status::NotMet,
                            3,
                            "local accounts created by hand although it reaches PHI",
                        ),
                        Provisioning::SharedAccount => {
                            (Status::NotMet, 4, "one account shared by several people")
                        }
                    };
                    Item::new(status, likelihood, format!("role `{}`: {how}", role.id))
                        .owned_by(platform_owner)
                })
                .collect();
            ("Provisioning of roles", items)
        }
        CheckId::Mfa => {
            let items = inventory
                .roles
                .iter()
                .filter(|role| role.provisioning != Provisioning::ApiKey)
                .filter(|role| {
                    !role.categories.is_empty()
                        || role.id.as_str().contains("admin")
                        || role.provisioning == Provisioning::SharedAccount
                })
                .map(|role| {
                    if role.mfa {
                        Item::new(Status::Met, 1, format!("role `{}` requires MFA", role.id))
                    } else {
                        Item::new(
                            Status::NotMet,
                            4,
                            format!("role `{}` reaches PHI or settings without MFA", role.id),
                        )
                        .owned_by(platform_owner)
                    }
                })
                .collect();
            ("Multi-factor authentication for people reaching PHI", items)
        }
        CheckId::AdminSurfaces => {
            let items = inventory
                .surfaces
                .iter()
                .filter(|s| matches!(s.kind, SurfaceKind::Admin | SurfaceKind::AppSettings))
                .map(|surface| {
                    let owner = owner_of(surface.system.get_ref());
                    if !surface.authenticated {
                        Item::new(
                            Status::NotMet,
                            5,
                            format!("settings surface `{}` needs no sign-in", surface.id),
                        )
                        .owned_by(owner)
                    } else if matches!(surface.audience, Audience::Public | Audience::Customers) {
                        Item::new(
                            Status::NotMet,
                            4,
                            format!(
                                "settings surface `{}` is reachable by customers",
                                surface.id
                            ),
                        )
                        .owned_by(owner)
                    } else {
                        Item::new(
                            Status::Met,
                            1,
                            format!("settings surface `{}` is limited to staff", surface.id),
                        )
                    }
                })
                .collect();
            ("Admin and app-settings surfaces", items)
        }
        _ => ("", Vec::new()),
    }
}

fn at_rest_item(store: &DataStore) -> Item {
    let (status, likelihood, how) = match store.encryption_at_rest {
        AtRest::CustomerManagedKey => (Status::Met, 1, "encrypted under a customer-managed key"),
        AtRest::ProviderManagedKey => (
            Status::Met,
            2,
            "encrypted under a provider-managed key (the platform cannot show the key is kept \
             apart from the data)",
        ),
        AtRest::None => (Status::NotMet, 4, "not encrypted at rest"),
        AtRest::Unknown => (Status::NotAssessed, 3, "of unknown encryption at rest"),
    };
    let likelihood = if status == Status::NotMet
        && matches!(
            store.kind,
            DataStoreKind::Cache | DataStoreKind::SearchIndex
        ) {
        5
    } else {
        likelihood
    };
    Item::new(
        status,
        likelihood,
        format!("{} `{}` is {how}", kind_name(store.kind), store.id),
    )
}

fn baa_items(evidence: &Evidence) -> Vec<Item> {
    let inventory = &evidence.inventory;
    let owner = Some(inventory.platform.owner.as_str());
    let phi_systems: Vec<&str> = inventory
        .surfaces
        .iter()
        .filter(|surface| surface.trackers_see_phi())
        .map(|surface| surface.system.get_ref().as_str())
        .collect();

    inventory
        .integrations
        .iter()
        .filter_map(|integration| {
            let receives = !integration.categories.is_empty();
            let tracker = matches!(
                integration.kind,
                IntegrationKind::Analytics
                    | IntegrationKind::Advertising
                    | IntegrationKind::SessionReplay
            ) && integration
                .systems
                .iter()
                .any(|system| phi_systems.contains(&system.get_ref().as_str()));
            if !receives && !tracker {
                return None;
            }

            let what = if receives {
                format!("receives {}", category_list(&integration.categories))
            } else {
                "runs on authenticated or checkout pages, where trackers see PHI (OCR \
                 tracking-technology guidance)"
                    .to_owned()
            };
            let vendor = &integration.vendor;
            let item = match integration.baa {
                BaaStatus::Signed => Item::new(
                    Status::Met,
                    1,
                    format!("{vendor} {what} under a signed BAA"),
                ),
                BaaStatus::NotSigned => {
                    Item::new(Status::NotMet, 5, format!("{vendor} {what} without a BAA"))
                }
                BaaStatus::NotRequired => Item::new(
                    Status::PartiallyMet,
                    3,
                    format!("{vendor} {what}; the inventory claims no BAA is required"),
                ),
                BaaStatus::Unknown => Item::new(
                    Status::NotAssessed,
                    4,
                    format!("{vendor} {what}; BAA status unknown"),
                ),
            };
            Some(item.owned_by(owner))
        })
        .collect()
}

fn attestation(
    catalog: &Catalog,
    control: &Control,
    evidence: &Evidence,
) -> (&'static str, Vec<Item>) {
    // An attestation names the control it covers. One written for a standard that has
    // specifications is taken as half the evidence for each of them: each specification is its
    // own obligation and wants its own statement.
    let reach = |citation: &str| -> Option<bool> {
        let id = catalog.resolve(citation)?.id.as_str();
        if id == control.id {
            Some(true)
        } else if control.standard.as_deref() == Some(id) {
            Some(false)
        } else {
            None
        }
    };
    let mut items: Vec<Item> = evidence
        .inventory
        .attestations
        .iter()
        .filter_map(|attestation| Some((attestation, reach(attestation.control.get_ref())?)))
        .map(|(attestation, exact)| {
            let owner = Some(attestation.owner.as_str());
            let signed = format!(
                "attestation `{}` for {} by {} on {} ({})",
                attestation.title,
                attestation.control.get_ref(),
                attestation.owner,
                attestation.date,
                attestation.document
            );
            let age = days_between(attestation.date, evidence.as_of);
            let blank = [
                &attestation.title,
                &attestation.owner,
                &attestation.document,
            ]
            .iter()
            .any(|field| field.trim().is_empty());
            let expired_days = attestation
                .expires
                .map(|expires| days_between(expires, evidence.as_of))
                .filter(|days| *days > 0);
            if blank {
                Item::new(
                    Status::NotAssessed,
                    3,
                    format!("{signed} lacks a title, owner or document"),
                )
            } else if age < 0 {
                Item::new(
                    Status::NotAssessed,
                    3,
                    format!("{signed} is dated after {}", evidence.as_of),
                )
            } else if attestation.expires.is_some_and(|e| e < attestation.date) {
                Item::new(
                    Status::NotAssessed,
                    3,
                    format!("{signed} expires before it was signed"),
                )
            } else if let Some(days) = expired_days {
                let status = if days > 365 {
                    Status::NotMet
                } else {
                    Status::PartiallyMet
                };
                Item::new(status, 3, format!("{signed} expired {days} days ago")).owned_by(owner)
            } else if age > 365 {
                let status = if age > 730 {
                    Status::NotMet
                } else {
                    Status::PartiallyMet
                };
                Item::new(
                    status,
                    3,
                    format!("{signed} is {age} days old; renew it at least yearly"),
                )
                .owned_by(owner)
            } else if !exact {
                Item::new(
                    Status::PartiallyMet,
                    3,
                    format!("{signed} covers the standard; attest {} itself", control.id),
                )
                .owned_by(owner)
            } else {
                Item::new(Status::Met, 1, signed).owned_by(owner)
            }
        })
        .collect();

    if items.is_empty() {
        items.push(
            Item::new(
                Status::NotAssessed,
                3,
                format!(
                    "no attestation for {} in the inventory; add one with owner, date and \
                     document",
                    control.id
                ),
            )
            .owned_by(Some(&evidence.inventory.platform.owner)),
        );
    }
    ("Signed attestations", items)
}

fn scan(check: CheckId, evidence: &Evidence) -> Result<(&'static str, Vec<Item>), &'static str> {
    let Some(scan) = &evidence.scan else {
        return Err(
            "not assessed: no scan report was given (run `phiguard scan --format json` \
                    and pass it with --scan)",
        );
    };
    let rules = check.scan_rules();
    let title = match check {
        CheckId::ScanBrowserStorage => "PHI in browser storage and remembered forms",
        CheckId::ScanLogging => "PHI written to logs",
        CheckId::ScanThirdParties => "PHI sent to trackers, payment metadata and URLs",
        CheckId::ScanAtRest => "Encryption at rest in infrastructure code",
        CheckId::ScanInTransit => "TLS in infrastructure code and configuration",
        _ => "Secrets in plain manifests",
    };

    if scan.files_scanned == 0 {
        return Err(
            "not assessed: the scan report analysed no files (check the paths it was \
                    given)",
        );
    }
    let languages = check.scan_languages();
    let covered: usize = languages
        .iter()
        .filter_map(|language| scan.files_by_language.get(*language))
        .sum();
    if covered == 0 {
        return Err(match check {
            CheckId::ScanAtRest => "not assessed: the scan analysed no Terraform",
            CheckId::ScanInTransit => {
                "not assessed: the scan analysed no Terraform, Kubernetes or Magento env.php"
            }
            CheckId::ScanSecrets => "not assessed: the scan analysed no Kubernetes manifests",
            _ => "not assessed: the scan analysed no storefront or back-end code",
        });
    }

    let findings: Vec<Item> = scan
        .findings_of(rules)
        .map(|finding| {
            let likelihood = match finding.severity.as_str() {
                "critical" => 5,
                "high" => 4,
                "medium" => 3,
                "low" => 2,
                _ => 1,
            };
            Item::new(
                Status::NotMet,
                likelihood,
                format!(
                    "{} ({}) at {}:{}: {}",
                    finding.rule,
                    finding.severity,
                    finding.path.display(),
                    finding.line,
                    finding.message
                ),
            )
        })
        .collect();
    if findings.is_empty() {
        return Ok((
            title,
            vec![Item::new(
                Status::Met,
                1,
                format!(
                    "{} files scanned, no finding of {}",
                    scan.files_scanned,
                    rules.join(", ")
                ),
            )],
        ));
    }
    Ok((title, findings))
}

fn vault(check: CheckId, evidence: &Evidence) -> Result<(&'static str, Vec<Item>), &'static str> {
    let Some(vault) = &evidence.vault else {
        return Err("not assessed: no vault evidence was given (pass --data-dir or --vault)");
    };
    let posture = &vault.posture;
    let now = posture.collected_at;
    let age_days = |then: jiff::Timestamp| {
        now.since(then)
            .ok()
            .and_then(|span| span.total(Unit::Hour).ok())
            .map_or(0, |hours| (hours / 24.0).floor() as i64)
    };
    let per_tenant = |f: &dyn Fn(&phiguard_core::posture::TenantPosture) -> Item| {
        posture.tenants.iter().map(f).collect::<Vec<Item>>()
    };

    let result = match check {
        CheckId::VaultEncryption => {
            let fips = if posture.fips {
                "FIPS 140-3 validated"
            } else {
                "not FIPS-validated"
            };
            let status = if posture.field_encryption == "AES-256-GCM" {
                Status::Met
            } else {
                Status::NotMet
            };
            (
                "Field-level encryption of PHI in the vault",
                vec![Item::new(
                    status,
                    4,
                    format!(
                        "every PHI category is encrypted with {} under per-subject keys by {} \
                         ({fips})",
                        posture.field_encryption, posture.crypto_module
                    ),
                )],
            )
        }
        CheckId::KeyManagement => (
            "Tenant key rotation",
            per_tenant(&|tenant| {
                let age = age_days(tenant.key_created);
                let status = if age > 365 {
                    Status::NotMet
                } else {
                    Status::Met
                };
                Item::new(
                    status,
                    2,
                    format!(
                        "tenant `{}` uses key version {} made {age} days ago",
                        tenant.tenant, tenant.key_version
                    ),
                )
            }),
        ),
        CheckId::AuditTrail => (
            "Signed audit trail per tenant",
            per_tenant(&|tenant| match &tenant.latest_checkpoint {
                None if tenant.ledger_size == 0 => Item::new(
                    Status::Met,
                    1,
                    format!("tenant `{}` has an empty ledger", tenant.tenant),
                ),
                None => Item::new(
                    Status::NotMet,
                    4,
                    format!(
                        "tenant `{}` has {} ledger entries and no signed checkpoint",
                        tenant.tenant, tenant.ledger_size
                    ),
                ),
                Some(checkpoint) => {
                    let behind = tenant.ledger_size.saturating_sub(checkpoint.size);
                    let age = age_days(checkpoint.signed_at);
                    let status = if behind > 0 && age >= 1 {
                        Status::PartiallyMet
                    } else {
                        Status::Met
                    };
                    Item::new(
                        status,
                        3,
                        format!(
                            "tenant `{}`: {} entries, latest checkpoint at size {} signed {age} \
                             days before collection ({behind} entries not yet covered)",
                            tenant.tenant, tenant.ledger_size, checkpoint.size
                        ),
                    )
                }
            }),
        ),
        CheckId::LedgerIntegrity => (
            "Ledger verification against signed checkpoints",
            per_tenant(&|tenant| match &tenant.ledger_verification {
                None => Item::new(
                    Status::NotAssessed,
                    3,
                    format!(
                        "tenant `{}` has no checkpoint to verify against",
                        tenant.tenant
                    ),
                ),
                Some(check) if check.consistent => Item::new(
                    Status::Met,
                    1,
                    format!(
                        "tenant `{}`: {} entries re-hashed to the signed checkpoint",
                        tenant.tenant, check.entries
                    ),
                ),
                Some(check) => Item::new(
                    Status::NotMet,
                    5,
                    format!(
                        "tenant `{}`: the ledger does not match its checkpoint ({})",
                        tenant.tenant,
                        check.problem.as_deref().unwrap_or("no detail")
                    ),
                ),
            }),
        ),
        CheckId::MinimumNecessary => {
            let mut items = Vec::new();
            for tenant in &posture.tenants {
                if tenant.broad_phi_grants.is_empty() {
                    items.push(Item::new(
                        Status::Met,
                        1,
                        format!("tenant `{}` has no broad PHI grant", tenant.tenant),
                    ));
                }
                for grant in &tenant.broad_phi_grants {
                    items.push(Item::new(
                        Status::NotMet,
                        4,
                        format!(
                            "tenant `{}` policy `{}` {}",
                            tenant.tenant, grant.policy, grant.reason
                        ),
                    ));
                }
            }
            ("Minimum necessary in tenant policies", items)
        }
        CheckId::UniqueIds => {
            let status = if posture.max_credential_days <= 365 {
                Status::Met
            } else {
                Status::PartiallyMet
            };
            let live: u64 = posture.tenants.iter().map(|t| t.live_credentials).sum();
            let actors: u64 = posture.tenants.iter().map(|t| t.active_actors).sum();
            (
                "Unique identification of actors",
                vec![Item::new(
                    status,
                    2,
                    format!(
                        "{live} live credentials, each bound to one of {actors} active actors; \
                         lifetimes capped at {} days",
                        posture.max_credential_days
                    ),
                )],
            )
        }
        CheckId::EmergencyAccess => {
            let mut items = vec![Item::new(
                if posture.break_glass_minutes <= 240 {
                    Status::Met
                } else {
                    Status::PartiallyMet
                },
                2,
                format!(
                    "break-glass grants last {} minutes",
                    posture.break_glass_minutes
                ),
            )];
            for tenant in &posture.tenants {
                let status = if tenant.break_glass_without_reason_90_days > 0 {
                    Status::NotMet
                } else {
                    Status::Met
                };
                items.push(Item::new(
                    status,
                    3,
                    format!(
                        "tenant `{}`: {} break-glass uses in 90 days, {} without a reason",
                        tenant.tenant,
                        tenant.break_glass_uses_90_days,
                        tenant.break_glass_without_reason_90_days
                    ),
                ));
            }
            ("Emergency access (break-glass)", items)
        }
        CheckId::DormantActors => (
            "Dormant actors",
            per_tenant(&|tenant| {
                if tenant.dormant_actors.is_empty() {
                    Item::new(
                        Status::Met,
                        1,
                        format!(
                            "tenant `{}`: every one of {} active actors acted within {} days",
                            tenant.tenant, tenant.active_actors, posture.dormant_after_days
                        ),
                    )
                } else {
                    let names: Vec<String> = tenant
                        .dormant_actors
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    Item::new(
                        Status::NotMet,
                        3,
                        format!(
                            "tenant `{}`: {} actors unused for {} days are still active ({})",
                            tenant.tenant,
                            names.len(),
                            posture.dormant_after_days,
                            names.join(", ")
                        ),
                    )
                }
            }),
        ),
        CheckId::AutomaticLogoff => (
            "Automatic log-off",
            vec![Item::new(
                if posture.user_credential_minutes <= 720 {
                    Status::Met
                } else {
                    Status::PartiallyMet
                },
                2,
                format!(
                    "credentials issued to people expire {} minutes after issue (an absolute \
                     lifetime; idle sessions in front-ends need their own timeout)",
                    posture.user_credential_minutes
                ),
            )],
        ),
        CheckId::VaultTransmission => (
            "TLS on the vault's API",
            vec![match posture.tls_configured {
                Some(true) => Item::new(
                    Status::Met,
                    1,
                    "the server configuration enables TLS (1.2 and 1.3 only)",
                ),
                Some(false) => Item::new(
                    Status::NotMet,
                    4,
                    "the vault's API is configured without TLS",
                ),
                None => Item::new(
                    Status::NotAssessed,
                    3,
                    "the server configuration was not visible to the collector",
                ),
            }],
        ),
        CheckId::Disposal => {
            let disposals: u64 = posture.tenants.iter().map(|t| t.disposals).sum();
            (
                "Crypto-shredding disposal",
                vec![Item::new(
                    Status::Met,
                    2,
                    format!(
                        "subjects are disposed of by destroying their keys; {disposals} \
                         disposals recorded in the ledger"
                    ),
                )],
            )
        }
        _ => ("", Vec::new()),
    };
    Ok(result)
}

fn kind_name(kind: DataStoreKind) -> &'static str {
    match kind {
        DataStoreKind::Database => "database",
        DataStoreKind::Cache => "cache",
        DataStoreKind::SearchIndex => "search index",
        DataStoreKind::ObjectStore => "object store",
        DataStoreKind::Backup => "backup",
        DataStoreKind::LogSink => "log sink",
    }
}

fn category_list(categories: &[Category]) -> String {
    let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    names.join(", ")
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub(crate) fn days_between(from: Date, to: Date) -> i64 {
    from.until((Unit::Day, to))
        .map(|span: Span| i64::from(span.get_days()))
        .unwrap_or(0)
}
