//! The evidence an assessment is built from: the platform inventory, a scan report and the
//! vault's posture. Each source is optional except the inventory; a missing source turns the
//! checks that need it into "not assessed", never into a pass.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use phiguard_core::posture::{POSTURE_VERSION, VaultPosture};
use phiguard_inventory::{Inventory, InventoryError};
use serde::{Deserialize, Serialize};

/// The scan report format this version of assess reads (`phiguard scan --format json`).
pub const SCAN_REPORT_VERSION: u32 = 1;

/// Everything an assessment looks at.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The platform inventory (required).
    pub inventory: Inventory,
    /// Where the inventory came from, for the evidence index.
    pub inventory_path: PathBuf,
    /// A scan report, when one was given.
    pub scan: Option<ScanEvidence>,
    /// The vault's posture, when a data directory or a vault URL was given.
    pub vault: Option<VaultEvidence>,
    /// The day the assessment speaks for: attestations and re-certifications are judged
    /// against it.
    pub as_of: Date,
}

/// A scan report, reduced to what assess uses.
#[derive(Debug, Clone)]
pub struct ScanEvidence {
    /// Where the report came from.
    pub path: PathBuf,
    /// The scanner's version.
    pub tool_version: String,
    /// Files the scan analysed.
    pub files_scanned: usize,
    /// Files analysed per language (`javascript`, `terraform`, `yaml`, …).
    pub files_by_language: std::collections::BTreeMap<String, usize>,
    /// The findings left after the inventory and the baseline.
    pub findings: Vec<ScanFinding>,
}

/// One scan finding, as the JSON report spells it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanFinding {
    /// The rule id, such as `PHI-STORAGE-001`.
    pub rule: String,
    /// `info` to `critical`.
    pub severity: String,
    /// The file, relative to the scanned root.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// The finding in a sentence (names code identifiers, never data values).
    pub message: String,
    /// The third party that receives the value, for tracker and payment findings.
    #[serde(default)]
    pub recipient: Option<String>,
}

/// The vault's posture and where it was read.
#[derive(Debug, Clone)]
pub struct VaultEvidence {
    /// `data directory /srv/phiguard-data` or `https://vault.example/v1/posture`.
    pub origin: String,
    /// The posture document.
    pub posture: VaultPosture,
}

/// Why an evidence source could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The inventory is unreadable or invalid; its error names file, line and key.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The scan report could not be read.
    #[error("cannot read the scan report {}: {cause}", path.display())]
    ReadScan {
        /// The file.
        path: PathBuf,
        /// What the operating system said (in the message, not repeated as a source).
        cause: std::io::Error,
    },
    /// The scan report is not a phiguard scan JSON report.
    #[error(
        "{} is not a phiguard scan JSON report ({problem}); write one with \
         `phiguard scan PATH --format json --output FILE`",
        path.display()
    )]
    NotAScanReport {
        /// The file.
        path: PathBuf,
        /// What is wrong, without quoting the file.
        problem: String,
    },
    /// The scan report was written by a version of scan with another report format.
    #[error(
        "{} is a scan report of format version {found}, but this phiguard reads version \
         {expected}; re-run `phiguard scan --format json` with this phiguard",
        path.display()
    )]
    ScanVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// The posture document has another version.
    #[error(
        "the vault posture from {origin} has format version {found}, but this phiguard reads \
         version {expected}; use the same phiguard version for the vault and assess"
    )]
    PostureVersion {
        /// Where it came from.
        origin: String,
        /// The version in the document.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
}

#[derive(Deserialize)]
struct ScanReportFile {
    tool: String,
    #[serde(default)]
    tool_version: String,
    findings: Vec<ScanFinding>,
    summary: ScanSummaryFile,
}

#[derive(Deserialize)]
struct ScanSummaryFile {
    files_scanned: usize,
    #[serde(default)]
    files_by_language: std::collections::BTreeMap<String, usize>,
}

impl ScanEvidence {
    /// Reads a `phiguard scan --format json` report.
    ///
    /// # Errors
    /// [`EvidenceError::ReadScan`], [`EvidenceError::NotAScanReport`] for other JSON (a SARIF
    /// file, say) and [`EvidenceError::ScanVersion`] for another report format version.
    pub fn from_path(path: &Path) -> Result<ScanEvidence, EvidenceError> {
        let text = std::fs::read_to_string(path).map_err(|cause| EvidenceError::ReadScan {
            path: path.to_owned(),
            cause,
        })?;
        ScanEvidence::parse(&text, path)
    }

    /// Parses report text; `path` names it in errors.
    ///
    /// # Errors
    /// As [`ScanEvidence::from_path`], without the read error.
    pub fn parse(text: &str, path: &Path) -> Result<ScanEvidence, EvidenceError> {
        let not_a_report = |problem: String| EvidenceError::NotAScanReport {
            path: path.to_owned(),
            problem,
        };

        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|error| not_a_report(format!("not JSON: line {}", error.line())))?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| not_a_report("it has no numeric `version`".to_owned()))?;
        if value.get("tool").and_then(serde_json::Value::as_str) != Some("phiguard scan") {
            return Err(not_a_report("its `tool` is not `phiguard scan`".to_owned()));
        }
        if version != u64::from(SCAN_REPORT_VERSION) {
            return Err(EvidenceError::ScanVersion {
                path: path.to_owned(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
                expected: SCAN_REPORT_VERSION,
            });
        }

        let report: ScanReportFile = serde_json::from_value(value)
            .map_err(|error| not_a_report(strip_values(&error.to_string())))?;
        debug_assert_eq!(report.tool, "phiguard scan");
        Ok(ScanEvidence {
            path: path.to_owned(),
            tool_version: report.tool_version,
            files_scanned: report.summary.files_scanned,
            files_by_language: report.summary.files_by_language,
            findings: report.findings,
        })
    }

    /// The findings of the given rules.
    pub fn findings_of<'a>(
        &'a self,
        rules: &'a [&'a str],
    ) -> impl Iterator<Item = &'a ScanFinding> + 'a {
        self.findings
            .iter()
            .filter(move |finding| rules.contains(&finding.rule.as_str()))
    }
}

impl VaultEvidence {
    /// Wraps a posture document, refusing another format version.
    ///
    /// # Errors
    /// [`EvidenceError::PostureVersion`].
    pub fn new(origin: String, posture: VaultPosture) -> Result<VaultEvidence, EvidenceError> {
        if posture.version != POSTURE_VERSION {
            return Err(EvidenceError::PostureVersion {
                origin,
                found: posture.version,
                expected: POSTURE_VERSION,
            });
        }
        Ok(VaultEvidence { origin, posture })
    }
}

/// serde_json quotes unexpected values in its messages (`invalid type: string "…"`); a scan
/// report holds masked excerpts, but keep every quoted value out of errors anyway.
fn strip_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            quoted = !quoted;
            if quoted {
                out.push_str("\"…\"");
            }
            continue;
        }
        if !quoted {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_report_version_is_named() {
        let text = r#"{"version": 7, "tool": "phiguard scan", "findings": [], "summary": {}}"#;
        let error = ScanEvidence::parse(text, Path::new("scan.json")).unwrap_err();
        assert!(matches!(error, EvidenceError::ScanVersion { found: 7, .. }));
        assert!(error.to_string().contains("version 7"), "{error}");
    }

    #[test]
    fn sarif_is_not_a_scan_report() {
        let text = r#"{"version": "2.1.0", "runs": []}"#;
        let error = ScanEvidence::parse(text, Path::new("scan.sarif")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("scan.sarif is not a phiguard scan JSON report")
        );
    }

    #[test]
    fn wrong_types_do_not_echo_values() {
        let text = r#"{"version": 1, "tool": "phiguard scan", "findings": [{"rule": 5,
            "severity": "high", "path": "a.js", "line": "078-05-1120", "message": "m"}],
            "summary": {"files_scanned": 1}}"#;
        let error = ScanEvidence::parse(text, Path::new("scan.json")).unwrap_err();
        assert!(!error.to_string().contains("078-05-1120"), "{error}");
    }
}
