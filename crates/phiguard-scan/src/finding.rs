//! Findings: what a rule found, where, why, and a fingerprint that survives edits elsewhere.

use std::path::PathBuf;

use phiguard_core::Category;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rule::{RuleId, Severity};

/// One finding, ready for a report.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule that fired.
    pub rule: RuleId,
    /// Severity after the inventory and the page were taken into account.
    pub severity: Severity,
    /// The file, relative to the scanned root, with `/` separators.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was found, in a sentence. Names code identifiers, never data values.
    pub message: String,
    /// Why the value is taken for PHI, or why the setting is a gap.
    pub evidence: Vec<String>,
    /// The PHI category involved, when the finding is about a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The third party that receives the value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The source line, with PHI-shaped literals masked.
    pub excerpt: String,
    /// A stable identity for baselines and SARIF: rule, path, the line's text and its
    /// occurrence number, not the line number, so edits above the finding do not change it.
    pub fingerprint: String,
}

/// What an analyzer reports before positions, severity and fingerprints are settled.
#[derive(Debug, Clone)]
pub(crate) struct RawFinding {
    /// The rule.
    pub rule: RuleId,
    /// Byte offset in the file where the finding points.
    pub offset: usize,
    /// The sentence for the report.
    pub message: String,
    /// Why.
    pub evidence: Vec<String>,
    /// The category, for value findings.
    pub category: Option<Category>,
    /// The recipient vendor, for third-party findings.
    pub recipient: Option<String>,
    /// The Terraform address, for infrastructure findings, so the inventory can say whether
    /// the store holds PHI.
    pub resource: Option<String>,
    /// A severity other than the rule's default.
    pub severity: Option<Severity>,
}

impl RawFinding {
    /// A finding of `rule` at `offset`.
    pub(crate) fn new(rule: RuleId, offset: usize, message: impl Into<String>) -> Self {
        RawFinding {
            rule,
            offset,
            message: message.into(),
            evidence: Vec::new(),
            category: None,
            recipient: None,
            resource: None,
            severity: None,
        }
    }

    /// Adds a line of evidence.
    pub(crate) fn because(mut self, why: impl Into<String>) -> Self {
        self.evidence.push(why.into());
        self
    }

    /// Sets the PHI category.
    pub(crate) fn category(mut self, category: Category) -> Self {
        self.category = Some(category);
        self
    }

    /// Sets the recipient vendor.
    pub(crate) fn recipient(mut self, vendor: impl Into<String>) -> Self {
        self.recipient = Some(vendor.into());
        self
    }

    /// Sets the Terraform resource address.
    pub(crate) fn resource(mut self, address: impl Into<String>) -> Self {
        self.resource = Some(address.into());
        self
    }

    /// Overrides the rule's default severity.
    pub(crate) fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// The fingerprint of a finding: SHA-256 over rule, path, whitespace-normalised line text and
/// occurrence number, first 16 bytes in hex.
pub(crate) fn fingerprint(rule: RuleId, path: &str, line_text: &str, occurrence: usize) -> String {
    let normalised: Vec<&str> = line_text.split_whitespace().collect();
    let mut hasher = Sha256::new();
    for part in [
        rule.as_str(),
        path,
        &normalised.join(" "),
        &occurrence.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_indentation_but_not_content() {
        let a = fingerprint(RuleId::Logging, "a.js", "  console.log(dob);", 0);
        let b = fingerprint(RuleId::Logging, "a.js", "console.log(dob);   ", 0);
        let c = fingerprint(RuleId::Logging, "a.js", "console.log(ssn);", 0);
        let d = fingerprint(RuleId::Logging, "a.js", "console.log(dob);", 1);
        let e = fingerprint(RuleId::Tracker, "a.js", "console.log(dob);", 0);
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        for other in [c, d, e] {
            assert_ne!(a, other);
        }
    }
}
