//! The control catalog: the Security Rule's standards and implementation specifications as
//! data, shipped inside the binary.
//!
//! Each regime is one TOML file under `catalog/`. The loader denies unknown keys and checks that
//! the catalog holds together (every specification names a standard of the same file, ids are
//! unique, check and failure-pattern ids are ones the engine knows), so a mistake in the data is
//! a failing test rather than a silently skipped control.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::checks::CheckId;

/// The regimes phiguard can assess against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegimeId {
    /// The Security Rule as in force (45 CFR 164.302–318).
    SecurityRule,
    /// The January 2025 proposed update (90 FR 898), not in force.
    #[serde(rename = "nprm-2025")]
    Nprm2025,
}

impl RegimeId {
    /// Both regimes, the default first.
    pub const ALL: [RegimeId; 2] = [RegimeId::SecurityRule, RegimeId::Nprm2025];

    /// The name used on the command line and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegimeId::SecurityRule => "security-rule",
            RegimeId::Nprm2025 => "nprm-2025",
        }
    }

    fn source(self) -> &'static str {
        match self {
            RegimeId::SecurityRule => include_str!("../catalog/security-rule.toml"),
            RegimeId::Nprm2025 => include_str!("../catalog/nprm-2025.toml"),
        }
    }
}

impl fmt::Display for RegimeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text names no regime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown regime; choose `security-rule` (in force) or `nprm-2025` (proposed)")]
pub struct UnknownRegime;

impl FromStr for RegimeId {
    type Err = UnknownRegime;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegimeId::ALL
            .into_iter()
            .find(|regime| regime.as_str() == s)
            .ok_or(UnknownRegime)
    }
}

/// A whole catalog: one regime and its controls in CFR order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// What the regime is.
    pub regime: Regime,
    /// Standards, each followed by its implementation specifications.
    pub controls: Vec<Control>,
}

/// A regime's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    /// The regime.
    pub id: RegimeId,
    /// Its title, for reports.
    pub title: String,
    /// Whether it is law today.
    pub in_force: bool,
    /// Where its text is published.
    pub source: String,
    /// What it is and how to read its statuses.
    pub summary: String,
}

/// A standard or an implementation specification.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// The CFR citation, such as `164.312(a)(2)(iv)`.
    pub id: String,
    /// Standard or specification.
    pub kind: ControlKind,
    /// For a specification: the citation of its standard.
    #[serde(default)]
    pub standard: Option<String>,
    /// The safeguard family.
    pub family: Family,
    /// The title, as the regulation words it.
    pub title: String,
    /// Required or addressable.
    pub requirement: Requirement,
    /// What the control is for, in plain language.
    pub objective: String,
    /// The NIST SP 800-66 Rev. 2 key activities it maps to.
    #[serde(default)]
    pub nist_800_66: Vec<String>,
    /// The checks that produce evidence for it.
    #[serde(default)]
    pub checks: Vec<CheckId>,
    /// The failure patterns it covers.
    #[serde(default)]
    pub patterns: Vec<FailurePattern>,
    /// What an auditor will ask to see.
    #[serde(default)]
    pub documents: Vec<String>,
    /// What to do when it is not met.
    pub remediation: String,
    /// Engineer-weeks to close a typical gap.
    pub effort_weeks: f64,
    /// How bad a breach through this gap would be, 1 to 5.
    pub impact: u8,
    /// Why the control does not apply to a commerce business associate, when it does not.
    #[serde(default)]
    pub not_applicable: Option<String>,
    /// A caveat, such as wording still to verify against the CFR.
    #[serde(default)]
    pub note: Option<String>,
}

/// Standard or implementation specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlKind {
    /// A standard.
    Standard,
    /// An implementation specification of a standard.
    Specification,
}

/// Required or addressable (164.306(d)). Addressable is not optional: the entity implements
/// it or documents why not and what it does instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Required.
    Required,
    /// Addressable.
    Addressable,
}

impl Requirement {
    /// `R` or `A`, as the tables print it.
    pub const fn letter(self) -> &'static str {
        match self {
            Requirement::Required => "R",
            Requirement::Addressable => "A",
        }
    }
}

/// The safeguard families, in the order of the regulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// 164.308.
    Administrative,
    /// 164.310.
    Physical,
    /// 164.312.
    Technical,
    /// 164.314.
    Organizational,
    /// 164.316.
    Documentation,
}

impl Family {
    /// Every family, in regulation order.
    pub const ALL: [Family; 5] = [
        Family::Administrative,
        Family::Physical,
        Family::Technical,
        Family::Organizational,
        Family::Documentation,
    ];

    /// The family's name in reports.
    pub const fn title(self) -> &'static str {
        match self {
            Family::Administrative => "Administrative safeguards (164.308)",
            Family::Physical => "Physical safeguards (164.310)",
            Family::Technical => "Technical safeguards (164.312)",
            Family::Organizational => "Organizational requirements (164.314)",
            Family::Documentation => "Policies, procedures and documentation (164.316)",
        }
    }

    /// A short name for charts.
    pub const fn short(self) -> &'static str {
        match self {
            Family::Administrative => "Administrative",
            Family::Physical => "Physical",
            Family::Technical => "Technical",
            Family::Organizational => "Organizational",
            Family::Documentation => "Documentation",
        }
    }
}

/// The failure patterns that HIPAA audits of commerce platforms keep finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePattern {
    /// Access rules that do not enforce minimum necessary across tenants.
    MinimumNecessary,
    /// Audit logs that miss what automated jobs read.
    SystemAccessUnlogged,
    /// PHI in plaintext in caches, search indexes and backups.
    PlaintextCopies,
    /// Integrations receiving PHI without a business associate agreement.
    PhiWithoutBaa,
    /// Privileges that pile up without periodic re-certification.
    PrivilegeAccumulation,
    /// Checkout code keeping PHI in browser storage.
    BrowserStorage,
    /// App-settings screens exposing PHI configuration to the wrong roles.
    AdminSettingsExposure,
    /// Storefront pages that show unmasked PHI.
    UnmaskedStorefront,
    /// Disposal that leaves copies behind.
    DisposalLeftovers,
}

impl FailurePattern {
    /// The pattern in a few words, for reports.
    pub const fn title(self) -> &'static str {
        match self {
            FailurePattern::MinimumNecessary => "Minimum necessary not enforced across tenants",
            FailurePattern::SystemAccessUnlogged => "Automated access missing from audit logs",
            FailurePattern::PlaintextCopies => "Plaintext PHI in caches, indexes and backups",
            FailurePattern::PhiWithoutBaa => "PHI sent to parties without a BAA",
            FailurePattern::PrivilegeAccumulation => "Privileges never re-certified",
            FailurePattern::BrowserStorage => "PHI kept in browser storage",
            FailurePattern::AdminSettingsExposure => "PHI settings exposed to the wrong roles",
            FailurePattern::UnmaskedStorefront => "Unmasked PHI on storefront pages",
            FailurePattern::DisposalLeftovers => "Disposal that leaves copies behind",
        }
    }
}

/// Why a catalog cannot be used. These are defects in shipped data, caught by the tests.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The TOML does not match the catalog schema.
    #[error("the {regime} catalog is not valid: {problem}")]
    Schema {
        /// The regime.
        regime: RegimeId,
        /// What the TOML parser said.
        problem: String,
    },
    /// The controls do not hold together.
    #[error("the {regime} catalog is inconsistent at `{control}`: {problem}")]
    Inconsistent {
        /// The regime.
        regime: RegimeId,
        /// The control at fault.
        control: String,
        /// What is wrong.
        problem: String,
    },
}

impl Catalog {
    /// Loads the catalog of a regime from the data compiled into the binary.
    ///
    /// # Errors
    /// [`CatalogError`] when the shipped data is malformed; the test suite loads every regime,
    /// so a released binary does not return it.
    pub fn load(regime: RegimeId) -> Result<Catalog, CatalogError> {
        let catalog: Catalog =
            toml::from_str(regime.source()).map_err(|error| CatalogError::Schema {
                regime,
                problem: error.to_string(),
            })?;
        catalog.check(regime)?;
        Ok(catalog)
    }

    /// The control a citation names, as an inventory may write it: exactly, or a standard
    /// written with its paragraph `(i)` (`164.308(a)(5)(i)` for the standard
    /// `164.308(a)(5)`, whose specifications sit under `(ii)`).
    pub fn resolve(&self, citation: &str) -> Option<&Control> {
        let citation = citation.trim();
        self.control(citation).or_else(|| {
            let standard = citation.strip_suffix("(i)")?;
            self.control(standard).filter(|control| {
                control.kind == ControlKind::Standard
                    && self.specifications_of(&control.id).next().is_some()
            })
        })
    }

    /// The control with this citation.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|control| control.id == id)
    }

    /// The specifications of a standard, in catalog order.
    pub fn specifications_of<'a>(
        &'a self,
        standard: &'a str,
    ) -> impl Iterator<Item = &'a Control> + 'a {
        self.controls
            .iter()
            .filter(move |control| control.standard.as_deref() == Some(standard))
    }

    /// Whether a control is assessed on its own: every specification, and every standard that
    /// has no specifications. Standards with specifications are rolled up from them.
    pub fn is_assessed_unit(&self, control: &Control) -> bool {
        match control.kind {
            ControlKind::Specification => true,
            ControlKind::Standard => self.specifications_of(&control.id).next().is_none(),
        }
    }

    fn check(&self, regime: RegimeId) -> Result<(), CatalogError> {
        let fail = |control: &str, problem: String| CatalogError::Inconsistent {
            regime,
            control: control.to_owned(),
            problem,
        };

        if self.regime.id != regime {
            return Err(fail(
                "regime",
                "the file declares another regime".to_owned(),
            ));
        }

        let mut seen = BTreeSet::new();
        for control in &self.controls {
            if !seen.insert(control.id.as_str()) {
                return Err(fail(&control.id, "the id appears twice".to_owned()));
            }
            if !(1..=5).contains(&control.impact) {
                return Err(fail(&control.id, "impact must be 1 to 5".to_owned()));
            }
            if !(control.effort_weeks > 0.0 && control.effort_weeks <= 52.0) {
                return Err(fail(
                    &control.id,
                    "effort must be over 0 and at most 52 weeks".into(),
                ));
            }

            match (control.kind, &control.standard) {
                (ControlKind::Standard, Some(_)) => {
                    return Err(fail(&control.id, "a standard names a standard".to_owned()));
                }
                (ControlKind::Specification, None) => {
                    return Err(fail(
                        &control.id,
                        "a specification names no standard".into(),
                    ));
                }
                (ControlKind::Specification, Some(standard)) => {
                    let parent = self.control(standard).filter(|parent| {
                        parent.kind == ControlKind::Standard && seen.contains(standard.as_str())
                    });
                    if parent.is_none() {
                        return Err(fail(
                            &control.id,
                            format!("its standard `{standard}` is not an earlier standard"),
                        ));
                    }
                }
                (ControlKind::Standard, None) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(catalog: &Catalog, sections: &[&str]) -> (usize, usize, usize) {
        let in_sections = |control: &&Control| {
            sections
                .iter()
                .any(|section| control.id.starts_with(&format!("{section}(")))
        };
        let standards = catalog
            .controls
            .iter()
            .filter(in_sections)
            .filter(|c| c.kind == ControlKind::Standard)
            .count();
        let specifications: Vec<&Control> = catalog
            .controls
            .iter()
            .filter(in_sections)
            .filter(|c| c.kind == ControlKind::Specification)
            .collect();
        let required = specifications
            .iter()
            .filter(|c| c.requirement == Requirement::Required)
            .count();
        (standards, specifications.len(), required)
    }

    #[test]
    fn every_regime_loads() {
        for regime in RegimeId::ALL {
            let catalog = Catalog::load(regime).unwrap();
            assert_eq!(catalog.regime.id, regime);
            assert!(!catalog.controls.is_empty());
        }
    }

    #[test]
    fn the_security_rule_has_the_counts_of_regulation_md() {
        let catalog = Catalog::load(RegimeId::SecurityRule).unwrap();
        assert!(catalog.regime.in_force);

        let (standards, specifications, required) =
            counts(&catalog, &["164.308", "164.310", "164.312"]);
        assert_eq!(standards, 18);
        assert_eq!(specifications, 36);
        assert_eq!(required, 14);
        assert_eq!(specifications - required, 22);

        let (standards, specifications, _) = counts(&catalog, &["164.314", "164.316"]);
        assert_eq!(standards, 4);
        assert_eq!(specifications, 7);
    }

    #[test]
    fn citations_and_statuses_match_the_regulation() {
        let catalog = Catalog::load(RegimeId::SecurityRule).unwrap();
        let expect = [
            (
                "164.308(a)(1)(ii)(A)",
                "Risk analysis",
                Requirement::Required,
            ),
            (
                "164.308(a)(5)(ii)(C)",
                "Log-in monitoring",
                Requirement::Addressable,
            ),
            ("164.308(b)(3)", "Written contract", Requirement::Required),
            ("164.310(d)(2)(i)", "Disposal", Requirement::Required),
            (
                "164.312(a)(2)(iv)",
                "Encryption and decryption",
                Requirement::Addressable,
            ),
            ("164.312(b)", "Audit controls", Requirement::Required),
            ("164.312(e)(2)(ii)", "Encryption", Requirement::Addressable),
            ("164.316(b)(2)(i)", "Time limit", Requirement::Required),
        ];
        for (id, title, requirement) in expect {
            let control = catalog
                .control(id)
                .unwrap_or_else(|| panic!("{id} is missing"));
            assert!(
                control.title.to_lowercase().contains(&title.to_lowercase()),
                "{id}: {}",
                control.title
            );
            assert_eq!(control.requirement, requirement, "{id}");
        }

        let isolating = catalog.control("164.308(a)(4)(ii)(A)").unwrap();
        assert_eq!(isolating.requirement, Requirement::Required);
        assert!(isolating.not_applicable.is_some());
        assert_eq!(
            catalog
                .control("164.312(a)(2)(i)")
                .unwrap()
                .standard
                .as_deref(),
            Some("164.312(a)(1)")
        );
    }

    #[test]
    fn every_assessed_control_has_evidence_or_an_attestation_route() {
        for regime in RegimeId::ALL {
            let catalog = Catalog::load(regime).unwrap();
            for control in &catalog.controls {
                if catalog.is_assessed_unit(control) && control.not_applicable.is_none() {
                    assert!(
                        !control.checks.is_empty(),
                        "{regime} {} has no check: it could never be assessed",
                        control.id
                    );
                }
                assert!(!control.documents.is_empty(), "{regime} {}", control.id);
            }
        }
    }

    #[test]
    fn the_proposal_has_no_addressable_specifications() {
        let catalog = Catalog::load(RegimeId::Nprm2025).unwrap();
        assert!(!catalog.regime.in_force);
        assert!(
            catalog
                .controls
                .iter()
                .all(|c| c.requirement == Requirement::Required)
        );
        let current = Catalog::load(RegimeId::SecurityRule).unwrap();
        assert!(catalog.controls.len() > current.controls.len());
    }

    #[test]
    fn a_standard_may_be_cited_with_its_paragraph() {
        let catalog = Catalog::load(RegimeId::SecurityRule).unwrap();
        assert_eq!(
            catalog.resolve("164.308(a)(5)(i)").unwrap().id,
            "164.308(a)(5)"
        );
        assert_eq!(
            catalog.resolve("164.308(a)(1)(ii)(C)").unwrap().id,
            "164.308(a)(1)(ii)(C)"
        );
        assert!(catalog.resolve("164.308(a)(1)(ii)(Z)").is_none());
        // 164.308(a)(8) has no specifications, so it has no paragraph (i).
        assert!(catalog.resolve("164.308(a)(8)(i)").is_none());
        // A specification ending in (i) is itself, never its standard.
        assert_eq!(
            catalog.resolve("164.310(d)(2)(i)").unwrap().id,
            "164.310(d)(2)(i)"
        );
    }

    #[test]
    fn a_broken_catalog_is_refused() {
        let text = RegimeId::SecurityRule.source().replacen(
            "standard = \"164.308(a)(1)\"",
            "standard = \"164.308(a)(99)\"",
            1,
        );
        let catalog: Catalog = toml::from_str(&text).unwrap();
        let error = catalog.check(RegimeId::SecurityRule).unwrap_err();
        assert!(error.to_string().contains("164.308(a)(99)"), "{error}");
    }
}
