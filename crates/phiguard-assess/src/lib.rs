//! `phiguard assess`: a HIPAA Security Rule gap assessment and audit plan built from evidence,
//! not questionnaires.
//!
//! ```text
//!   catalog/*.toml ──► Catalog ─────────────┐
//!   inventory.toml ──► Evidence.inventory ──┤
//!   scan.json ───────► Evidence.scan ───────┼──► assess() ──► Assessment ──► html | md | json
//!   vault posture ───► Evidence.vault ──────┘        │                     └─► OSCAL AR + POA&M
//!                                               checks::run per control
//! ```
//!
//! # What this crate owns
//!
//! The control catalog as data (every standard and implementation specification of 45 CFR
//! 164.308–316 with its required/addressable status, NIST SP 800-66 Rev. 2 key activities,
//! checks, failure patterns, remediation and effort; and the January 2025 proposal as a second
//! regime), the checks that turn evidence into statuses, risk ratings (likelihood × impact,
//! reasoning shown), penalty exposure from the 45 CFR 160.404 tiers, the roadmap, the data-flow
//! map, and the report formats.
//!
//! # What it refuses to do
//!
//! - It never treats missing evidence as a pass: a check whose source was not given, or an
//!   inventory value written as `unknown`, is "not assessed", and a control with such a check
//!   and no failing one is "not assessed" too.
//! - It does no I/O beyond reading the files it is handed: the vault's posture arrives as a
//!   document ([`phiguard_core::posture::VaultPosture`]) collected by the caller.
//! - It holds no PHI: evidence is ids, counts, settings and masked scan messages.
//! - It is not legal advice, and amounts marked unverified are shown as such.
//!
//! Why hand-written parts: the SVG charts and the data-flow layout are drawn here because a
//! self-contained report may not depend on Graphviz or a JavaScript charting library at view
//! time; the DOT output is there for people who have Graphviz.
//!
//! # Example
//!
//! ```
//! use std::path::Path;
//! use phiguard_assess::{Catalog, Evidence, Options, RegimeId, Status, assess};
//! use phiguard_inventory::Inventory;
//!
//! let inventory = Inventory::parse(
//!     r#"
//!     [platform]
//!     name = "Demo"
//!     kind = "shopify_plus"
//!     owner = "platform-team"
//!     "#,
//!     Path::new("inventory.toml"),
//! )
//! .unwrap();
//! let evidence = Evidence {
//!     inventory,
//!     inventory_path: "inventory.toml".into(),
//!     scan: None,
//!     vault: None,
//!     as_of: "2026-12-01".parse().unwrap(),
//! };
//! let catalog = Catalog::load(RegimeId::SecurityRule).unwrap();
//! let options = Options {
//!     capacity_weeks_per_quarter: 12.0,
//!     generated_at: jiff::Timestamp::UNIX_EPOCH,
//! };
//! let report = assess(&catalog, &evidence, &options, None);
//!
//! // Without a vault or a scan, audit controls cannot pass.
//! let audit = report.controls.iter().find(|c| c.id == "164.312(b)").unwrap();
//! assert_eq!(audit.status, Status::NotAssessed);
//! ```

mod assessment;
mod catalog;
mod checks;
mod evidence;
mod flow;
mod html;
mod markdown;
pub mod oscal;
mod penalty;
mod status;

pub use assessment::{
    ASSESSMENT_VERSION, Assessment, Changes, ControlResult, DocumentRequest, FamilyScore, Gap,
    MIN_CAPACITY_WEEKS, Options, PlatformSummary, Quarter, Risk, SourceSummary, StatusChange,
    Summary, assess,
};
pub use catalog::{
    Catalog, CatalogError, Control, ControlKind, FailurePattern, Family, Regime, RegimeId,
    Requirement, UnknownRegime,
};
pub use checks::{CheckId, CheckResult, Source};
pub use evidence::{
    Evidence, EvidenceError, SCAN_REPORT_VERSION, ScanEvidence, ScanFinding, VaultEvidence,
};
pub use flow::{Column, Edge, FlowMap, Node};
pub use penalty::{Exposure, SCHEDULES, Schedule, Tier};
pub use status::Status;

use std::path::Path;

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML page.
    Html,
    /// Markdown.
    Markdown,
    /// The [`Assessment`] as JSON (what `--previous` reads).
    Json,
    /// OSCAL 1.0.6 assessment results (the POA&M is written beside it).
    Oscal,
    /// The data-flow map as Graphviz DOT.
    Dot,
}

/// Renders an assessment. For [`Format::Oscal`] this is the assessment-results document; the
/// POA&M comes from [`oscal::poam`].
pub fn render(assessment: &Assessment, format: Format) -> String {
    match format {
        Format::Html => html::render(assessment),
        Format::Markdown => markdown::render(assessment),
        // Serialised from the struct, not through `Value`, so that the key order is the
        // struct's whether or not another crate turns on serde_json's `preserve_order`.
        Format::Json => serde_json::to_string_pretty(assessment).unwrap_or_default() + "\n",
        Format::Oscal => pretty(&oscal::assessment_results(assessment)),
        Format::Dot => assessment.flows.to_dot(),
    }
}

/// Pretty JSON with a final newline.
pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Why a previous report cannot be compared with.
#[derive(Debug, thiserror::Error)]
pub enum PreviousError {
    /// The file could not be read.
    #[error("cannot read the previous assessment {}: {cause}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said (in the message, not repeated as a source).
        cause: std::io::Error,
    },
    /// The file is not a JSON assessment of this version.
    #[error(
        "{} is not a phiguard assess JSON report of format version {ASSESSMENT_VERSION} \
         ({problem}); compare against a report written with --format json",
        path.display()
    )]
    Format {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Reads a previous `--format json` assessment.
///
/// # Errors
/// [`PreviousError`] when it cannot be read or is not a JSON assessment of this version.
pub fn load_previous(path: &Path) -> Result<Assessment, PreviousError> {
    let text = std::fs::read_to_string(path).map_err(|cause| PreviousError::Read {
        path: path.to_owned(),
        cause,
    })?;
    let format = |problem: String| PreviousError::Format {
        path: path.to_owned(),
        problem,
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format(format!("not JSON at line {}", e.line())))?;
    if value.get("version").and_then(serde_json::Value::as_u64)
        != Some(u64::from(ASSESSMENT_VERSION))
        || value.get("tool").and_then(serde_json::Value::as_str) != Some("phiguard assess")
    {
        return Err(format("its `tool` or `version` differs".to_owned()));
    }
    serde_json::from_value(value).map_err(|e| format(format!("unexpected content: {}", e.line())))
}
