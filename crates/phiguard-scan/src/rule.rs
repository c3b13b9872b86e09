//! The rule catalog: what each rule looks for, why it matters, how to fix it and where the
//! Security or Privacy Rule says so.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered, so `--fail-on` compares with `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; not a gap by itself (a provider-managed key where a customer key is
    /// preferred).
    Info,
    /// A weakness that matters in some deployments.
    Low,
    /// PHI exposed to people or systems inside the platform that should not hold it.
    Medium,
    /// PHI exposed outside the platform's control or stored unprotected.
    High,
    /// PHI sent to a party without a BAA from an authenticated, checkout or account page.
    Critical,
}

impl Severity {
    /// Every severity from least to most severe.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The severity's name as flags and JSON spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The SARIF `level` for this severity.
    pub const fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Low | Severity::Medium => "warning",
            Severity::High | Severity::Critical => "error",
        }
    }

    /// The GitHub `security-severity` score (0.0–10.0) for this severity.
    pub const fn security_score(self) -> &'static str {
        match self {
            Severity::Info => "1.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a severity name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity; expected info, low, medium, high or critical")]
pub struct UnknownSeverity;

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == s)
            .ok_or(UnknownSeverity)
    }
}

/// Every rule phiguard scan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleId {
    /// PHI written to localStorage, sessionStorage, cookies or IndexedDB.
    #[serde(rename = "PHI-STORAGE-001")]
    BrowserStorage,
    /// PHI kept in persisted framework state (Redux Persist, Zustand persist).
    #[serde(rename = "PHI-STORAGE-002")]
    PersistedState,
    /// PHI written to logs.
    #[serde(rename = "PHI-LOG-001")]
    Logging,
    /// PHI passed to a tracker, analytics or marketing script of a party without a BAA.
    #[serde(rename = "PHI-TRACKER-001")]
    Tracker,
    /// A session-replay script records PHI fields without masking them.
    #[serde(rename = "PHI-TRACKER-002")]
    SessionReplay,
    /// PHI in payment metadata sent to a processor.
    #[serde(rename = "PHI-PAYMENT-001")]
    PaymentMetadata,
    /// PHI placed in a URL or query string.
    #[serde(rename = "PHI-URL-001")]
    UrlQuery,
    /// A sensitive health-form input the browser may remember.
    #[serde(rename = "PHI-FORM-001")]
    FormAutocomplete,
    /// A cache that may hold PHI without encryption at rest.
    #[serde(rename = "PHI-INFRA-001")]
    CacheAtRest,
    /// A search cluster that may hold PHI without encryption at rest.
    #[serde(rename = "PHI-INFRA-002")]
    SearchAtRest,
    /// Backups and snapshots without encryption.
    #[serde(rename = "PHI-INFRA-003")]
    BackupAtRest,
    /// A data store that accepts plaintext connections.
    #[serde(rename = "PHI-INFRA-004")]
    InTransit,
    /// Encryption that depends on an input the scan cannot see.
    #[serde(rename = "PHI-INFRA-005")]
    DependsOnInput,
    /// Encrypted by default under a provider key, not a customer-managed one.
    #[serde(rename = "PHI-INFRA-006")]
    ProviderManagedKey,
    /// Redis, session or cache backends reached without TLS (Kubernetes, Magento env.php).
    #[serde(rename = "PHI-CONFIG-001")]
    CacheWithoutTls,
    /// Search engines reached without TLS (Kubernetes, Magento env.php).
    #[serde(rename = "PHI-CONFIG-002")]
    SearchWithoutTls,
    /// Secrets written in plain manifests.
    #[serde(rename = "PHI-CONFIG-003")]
    PlainSecret,
}

/// What a rule is, for reports, SARIF rule metadata and documentation.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The rule.
    pub id: RuleId,
    /// A short name, as SARIF wants it (PascalCase).
    pub name: &'static str,
    /// One line saying what the rule finds.
    pub title: &'static str,
    /// Severity before the inventory and the page raise or lower it.
    pub default_severity: Severity,
    /// Why it matters.
    pub rationale: &'static str,
    /// What to do instead.
    pub fix: &'static str,
    /// The 45 CFR sections that make it a compliance matter.
    pub citations: &'static [&'static str],
}

impl RuleId {
    /// Every rule, in catalog order.
    pub const ALL: [RuleId; 17] = [
        RuleId::BrowserStorage,
        RuleId::PersistedState,
        RuleId::Logging,
        RuleId::Tracker,
        RuleId::SessionReplay,
        RuleId::PaymentMetadata,
        RuleId::UrlQuery,
        RuleId::FormAutocomplete,
        RuleId::CacheAtRest,
        RuleId::SearchAtRest,
        RuleId::BackupAtRest,
        RuleId::InTransit,
        RuleId::DependsOnInput,
        RuleId::ProviderManagedKey,
        RuleId::CacheWithoutTls,
        RuleId::SearchWithoutTls,
        RuleId::PlainSecret,
    ];

    /// The stable identifier (`PHI-STORAGE-001`).
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleId::BrowserStorage => "PHI-STORAGE-001",
            RuleId::PersistedState => "PHI-STORAGE-002",
            RuleId::Logging => "PHI-LOG-001",
            RuleId::Tracker => "PHI-TRACKER-001",
            RuleId::SessionReplay => "PHI-TRACKER-002",
            RuleId::PaymentMetadata => "PHI-PAYMENT-001",
            RuleId::UrlQuery => "PHI-URL-001",
            RuleId::FormAutocomplete => "PHI-FORM-001",
            RuleId::CacheAtRest => "PHI-INFRA-001",
            RuleId::SearchAtRest => "PHI-INFRA-002",
            RuleId::BackupAtRest => "PHI-INFRA-003",
            RuleId::InTransit => "PHI-INFRA-004",
            RuleId::DependsOnInput => "PHI-INFRA-005",
            RuleId::ProviderManagedKey => "PHI-INFRA-006",
            RuleId::CacheWithoutTls => "PHI-CONFIG-001",
            RuleId::SearchWithoutTls => "PHI-CONFIG-002",
            RuleId::PlainSecret => "PHI-CONFIG-003",
        }
    }

    /// The rule's metadata.
    pub fn rule(self) -> &'static Rule {
        CATALOG
            .iter()
            .find(|rule| rule.id == self)
            .unwrap_or(&CATALOG[0])
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a rule id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule id; rule ids look like PHI-STORAGE-001 (see `phiguard scan --list-rules`)")]
pub struct UnknownRule;

impl FromStr for RuleId {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .into_iter()
            .find(|rule| rule.as_str() == s)
            .ok_or(UnknownRule)
    }
}

const STORAGE: &[&str] = &["45 CFR 164.312(a)(2)(iv)", "45 CFR 164.312(e)(1)"];
const LOGS: &[&str] = &["45 CFR 164.312(b)", "45 CFR 164.502(b)"];
const THIRD_PARTY: &[&str] = &["45 CFR 164.502(e)", "45 CFR 164.308(b)(1)"];
const AT_REST: &[&str] = &["45 CFR 164.312(a)(2)(iv)", "45 CFR 164.310(d)(2)(iv)"];
const TRANSIT: &[&str] = &["45 CFR 164.312(e)(1)", "45 CFR 164.312(e)(2)(ii)"];

/// The catalog, one entry per [`RuleId`].
pub static CATALOG: [Rule; 17] = [
    Rule {
        id: RuleId::BrowserStorage,
        name: "PhiInBrowserStorage",
        title: "PHI written to browser storage",
        default_severity: Severity::High,
        rationale: "localStorage, sessionStorage, cookies and IndexedDB keep data in plaintext on \
            the device, readable by every script on the origin and by the next person at a shared \
            computer, long after checkout ends.",
        fix: "Keep PHI on the server (or in the phiguard vault) and store only an opaque, \
            short-lived reference in the browser; clear it when the flow ends.",
        citations: STORAGE,
    },
    Rule {
        id: RuleId::PersistedState,
        name: "PhiInPersistedState",
        title: "PHI kept in persisted framework state",
        default_severity: Severity::High,
        rationale: "Redux Persist and Zustand persist write the whole state slice to \
            localStorage by default, so PHI held in that state lands in browser storage.",
        fix: "Exclude PHI slices from persistence (a whitelist without them, or a partialize \
            that drops them) and keep PHI in memory only.",
        citations: STORAGE,
    },
    Rule {
        id: RuleId::Logging,
        name: "PhiInLogs",
        title: "PHI written to logs",
        default_severity: Severity::Medium,
        rationale: "Logs are copied to consoles, log pipelines and vendors, kept for long \
            periods and read by people with no need to see PHI; the minimum-necessary standard \
            applies to them too.",
        fix: "Log opaque ids (record, order or subject ids) instead of values, or mask the value \
            before it is logged.",
        citations: LOGS,
    },
    Rule {
        id: RuleId::Tracker,
        name: "PhiToThirdPartyScript",
        title: "PHI passed to a third-party script without a BAA",
        default_severity: Severity::High,
        rationale: "Pixels, tag managers, analytics and marketing tools are third parties; \
            sending them PHI is a disclosure that needs a business associate agreement, and the \
            OCR tracking-technology guidance treats trackers on authenticated and checkout pages \
            as seeing PHI.",
        fix: "Stop sending the value, send a non-identifying event instead, or route it through a \
            vendor that signed a BAA and list that vendor as `baa = \"signed\"` in the inventory.",
        citations: THIRD_PARTY,
    },
    Rule {
        id: RuleId::SessionReplay,
        name: "UnmaskedSessionReplay",
        title: "Session replay records PHI fields without masking",
        default_severity: Severity::High,
        rationale: "Hotjar and FullStory record what visitors type unless a field is marked as \
            suppressed; on a health form that recording is PHI sent to a third party.",
        fix: "Mark the field (`data-hj-suppress`, `fs-mask` or `fs-exclude`) or remove session \
            replay from health forms.",
        citations: THIRD_PARTY,
    },
    Rule {
        id: RuleId::PaymentMetadata,
        name: "PhiInPaymentMetadata",
        title: "PHI in payment metadata",
        default_severity: Severity::High,
        rationale: "Payment processors need the amount and the card, not the diagnosis: \
            metadata, descriptions and custom fields are stored and shown by a party that has \
            signed no BAA.",
        fix: "Put only an opaque order reference in metadata and keep clinical details in the \
            covered system.",
        citations: THIRD_PARTY,
    },
    Rule {
        id: RuleId::UrlQuery,
        name: "PhiInUrl",
        title: "PHI placed in a URL or query string",
        default_severity: Severity::Medium,
        rationale: "URLs end up in browser history, server and CDN logs, Referer headers and \
            every analytics tag on the next page.",
        fix: "Send PHI in a POST body over TLS and keep URLs to opaque identifiers.",
        citations: &[
            "45 CFR 164.312(e)(1)",
            "45 CFR 164.502(b)",
            "45 CFR 164.312(a)(2)(iv)",
        ],
    },
    Rule {
        id: RuleId::FormAutocomplete,
        name: "HealthInputRemembered",
        title: "A sensitive health input the browser may remember",
        default_severity: Severity::Low,
        rationale: "Browsers store what is typed into inputs for autofill; on a shared or \
            pharmacy-counter computer the next visitor sees the last patient's identifiers or \
            conditions.",
        fix: "Add autocomplete=\"off\" to identifier and clinical inputs (or to the form).",
        citations: &["45 CFR 164.312(a)(2)(iv)", "45 CFR 164.310(b)"],
    },
    Rule {
        id: RuleId::CacheAtRest,
        name: "CacheWithoutEncryptionAtRest",
        title: "A cache without encryption at rest",
        default_severity: Severity::High,
        rationale: "Caches hold sessions, carts and rendered pages, which on a health storefront \
            carry PHI; their snapshots and swap land on disk.",
        fix: "Enable at-rest encryption (ElastiCache at_rest_encryption_enabled with a KMS key) \
            or keep PHI out of the cache and say so in the inventory.",
        citations: AT_REST,
    },
    Rule {
        id: RuleId::SearchAtRest,
        name: "SearchWithoutEncryptionAtRest",
        title: "A search cluster without encryption at rest",
        default_severity: Severity::High,
        rationale: "Search indexes copy records field by field; an order or patient index is a \
            second PHI database that is easy to forget.",
        fix: "Enable encrypt_at_rest with a KMS key and node-to-node encryption.",
        citations: AT_REST,
    },
    Rule {
        id: RuleId::BackupAtRest,
        name: "BackupWithoutEncryption",
        title: "Backups or snapshots without encryption",
        default_severity: Severity::High,
        rationale: "Backups are full copies of PHI that outlive the systems they came from and \
            travel to other accounts and regions.",
        fix: "Encrypt the volume, database, bucket or vault with a customer-managed KMS key.",
        citations: AT_REST,
    },
    Rule {
        id: RuleId::InTransit,
        name: "StoreWithoutTransitEncryption",
        title: "A data store that accepts plaintext connections",
        default_severity: Severity::High,
        rationale: "Without TLS, anyone on the network path reads PHI as it moves between the \
            application and its cache, search cluster or database.",
        fix: "Require TLS (transit_encryption_enabled, enforce_https, node-to-node encryption, \
            rds.force_ssl).",
        citations: TRANSIT,
    },
    Rule {
        id: RuleId::DependsOnInput,
        name: "EncryptionDependsOnInput",
        title: "Encryption depends on an input the scan cannot see",
        default_severity: Severity::Low,
        rationale: "The setting comes from a variable or a conditional, so whether this store is \
            encrypted is decided at plan time; the scan cannot tell and does not guess.",
        fix: "Check the values every environment passes, or make encryption unconditional.",
        citations: AT_REST,
    },
    Rule {
        id: RuleId::ProviderManagedKey,
        name: "NotCustomerManagedKey",
        title: "Encrypted, but not under a customer-managed key",
        default_severity: Severity::Info,
        rationale: "The service encrypts by default under a key the provider controls: the data \
            is encrypted, but the platform cannot revoke, rotate or audit use of the key.",
        fix: "Set a customer-managed KMS key (kms_key_id / kms_key_arn) where PHI is stored.",
        citations: &["45 CFR 164.312(a)(2)(iv)"],
    },
    Rule {
        id: RuleId::CacheWithoutTls,
        name: "CacheBackendWithoutTls",
        title: "A Redis, session or cache backend reached without TLS",
        default_severity: Severity::High,
        rationale: "Sessions and carts of a health storefront carry PHI; a plaintext Redis \
            connection exposes them on the network.",
        fix: "Use TLS (rediss:// or tls:// with a verified certificate) for every non-loopback \
            cache or session backend.",
        citations: TRANSIT,
    },
    Rule {
        id: RuleId::SearchWithoutTls,
        name: "SearchEngineWithoutTls",
        title: "A search engine reached without TLS",
        default_severity: Severity::High,
        rationale: "Search engines receive whole documents; over plain HTTP those documents \
            cross the network readable.",
        fix: "Reach the search engine over https:// with authentication, and enable its TLS layer.",
        citations: TRANSIT,
    },
    Rule {
        id: RuleId::PlainSecret,
        name: "PlaintextSecretInManifest",
        title: "A secret written in a plain manifest",
        default_severity: Severity::High,
        rationale: "Credentials committed in manifests open the databases and caches that hold \
            PHI to anyone who can read the repository; base64 is an encoding, not encryption.",
        fix: "Reference secrets from a secret manager (External Secrets, Sealed Secrets, SOPS) \
            instead of writing them into the manifest.",
        citations: &["45 CFR 164.312(a)(1)", "45 CFR 164.312(d)"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_one_catalog_entry() {
        for id in RuleId::ALL {
            assert_eq!(
                CATALOG.iter().filter(|rule| rule.id == id).count(),
                1,
                "{id}"
            );
            assert_eq!(id.rule().id, id);
            assert_eq!(id.as_str().parse::<RuleId>().unwrap(), id);
            assert!(!id.rule().citations.is_empty());
            for citation in id.rule().citations {
                assert!(citation.starts_with("45 CFR 164."), "{citation}");
            }
        }
    }

    #[test]
    fn serde_names_match_the_ids() {
        for id in RuleId::ALL {
            assert_eq!(serde_json::to_value(id).unwrap(), id.as_str());
        }
    }

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("medium".parse::<Severity>().unwrap(), Severity::Medium);
        assert!("severe".parse::<Severity>().is_err());
    }
}
