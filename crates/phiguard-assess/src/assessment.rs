//! The assessment: every control's status with its evidence, the gaps with their risk, cost and
//! exposure, the roadmap, the data-flow map and the documents an auditor will ask for.
//!
//! [`assess`] is pure: the same catalog, evidence and options give the same [`Assessment`],
//! field for field, apart from `generated_at`. Every list is in a defined order.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, ControlKind, FailurePattern, Family, Regime, Requirement};
use crate::checks::{self, CheckResult, Source};
use crate::evidence::Evidence;
use crate::flow::FlowMap;
use crate::penalty::{self, Exposure};
use crate::status::Status;

/// The version of the JSON assessment format; `--previous` refuses other versions.
pub const ASSESSMENT_VERSION: u32 = 1;

/// How to assess.
#[derive(Debug, Clone)]
pub struct Options {
    /// Engineer-weeks the team can spend on remediation per quarter.
    pub capacity_weeks_per_quarter: f64,
    /// When the report is written.
    pub generated_at: Timestamp,
}

/// A finished assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// [`ASSESSMENT_VERSION`].
    pub version: u32,
    /// `phiguard assess`.
    pub tool: String,
    /// The tool's version.
    pub tool_version: String,
    /// When the report was written: the one field that differs between identical runs.
    pub generated_at: Timestamp,
    /// The day the assessment speaks for.
    pub as_of: Date,
    /// The regime assessed against.
    pub regime: Regime,
    /// The platform.
    pub platform: PlatformSummary,
    /// The evidence sources, used or missing.
    pub sources: Vec<SourceSummary>,
    /// Scores and counts.
    pub summary: Summary,
    /// Every control, in catalog order.
    pub controls: Vec<ControlResult>,
    /// Controls that are not met, partially met or not assessed, riskiest first.
    pub gaps: Vec<Gap>,
    /// Gaps placed in quarters by risk and team capacity.
    pub roadmap: Vec<Quarter>,
    /// Where PHI flows.
    pub flows: FlowMap,
    /// What an auditor will ask for, by control.
    pub documents: Vec<DocumentRequest>,
    /// What changed since the previous assessment, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
}

/// The platform as the inventory names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformSummary {
    /// Its name.
    pub name: String,
    /// The commerce platform.
    pub kind: String,
    /// Who answers for it.
    pub owner: String,
    /// The tenants it serves.
    pub tenants: Vec<String>,
}

/// One evidence source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// `E1`, `E2`… for the evidence index.
    pub id: String,
    /// The kind of source.
    pub kind: Source,
    /// Whether it was given.
    pub used: bool,
    /// What it is: a path, a URL, counts.
    pub description: String,
    /// SHA-256 of the file, for files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Scores and counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The overall score, 0 to 100: met counts 1, partially met ½, the rest 0, over every
    /// assessed control that applies.
    pub score: f64,
    /// Per safeguard family.
    pub families: Vec<FamilyScore>,
    /// Assessed controls per status (standards with specifications are not counted twice).
    pub statuses: BTreeMap<Status, usize>,
    /// Required controls that are not met.
    pub required_not_met: usize,
    /// Required controls that are partially met.
    pub required_partially_met: usize,
    /// Gaps on the roadmap.
    pub gaps: usize,
    /// Engineer-weeks to close every gap.
    pub effort_weeks: f64,
    /// Gaps per failure pattern.
    pub patterns: BTreeMap<FailurePattern, usize>,
}

/// One family's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyScore {
    /// The family.
    pub family: Family,
    /// 0 to 100.
    pub score: f64,
    /// Controls per status.
    pub statuses: BTreeMap<Status, usize>,
}

/// One control's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    /// The citation.
    pub id: String,
    /// Standard or specification.
    pub kind: ControlKind,
    /// The standard of a specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// The family.
    pub family: Family,
    /// The title.
    pub title: String,
    /// Required or addressable.
    pub requirement: Requirement,
    /// The outcome.
    pub status: Status,
    /// Whether it is judged on its own (specifications and standards without them).
    pub assessed_unit: bool,
    /// The objective.
    pub objective: String,
    /// NIST SP 800-66 Rev. 2 key activities.
    pub nist_800_66: Vec<String>,
    /// The checks and what each found.
    pub checks: Vec<CheckResult>,
    /// Why it does not apply, when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// A caveat from the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A gap: a control to fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// The citation.
    pub control: String,
    /// The title.
    pub title: String,
    /// The family.
    pub family: Family,
    /// Required or addressable.
    pub requirement: Requirement,
    /// Not met, partially met or not assessed.
    pub status: Status,
    /// Likelihood × impact.
    pub risk: Risk,
    /// The failure patterns it belongs to.
    pub patterns: Vec<FailurePattern>,
    /// What to do.
    pub remediation: String,
    /// Engineer-weeks.
    pub effort_weeks: f64,
    /// Who should own the fix.
    pub owners: Vec<String>,
    /// The roadmap quarter, such as `2027-Q1`.
    pub quarter: String,
    /// Penalty exposure.
    pub exposure: Exposure,
    /// Days since an earlier assessment first reported it, when `--previous` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_since_days: Option<i64>,
}

/// A risk rating with its reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    /// 1 to 5.
    pub likelihood: u8,
    /// 1 to 5.
    pub impact: u8,
    /// Likelihood × impact, 1 to 25.
    pub score: u8,
    /// `low`, `medium`, `high` or `critical`.
    pub level: String,
    /// Why, in a sentence or two.
    pub reasoning: String,
}

/// One quarter of the roadmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarter {
    /// `2027-Q1`.
    pub quarter: String,
    /// Gaps planned, by control id.
    pub controls: Vec<String>,
    /// Engineer-weeks planned.
    pub effort_weeks: f64,
}

/// A document an auditor will ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRequest {
    /// The control.
    pub control: String,
    /// What to have ready.
    pub document: String,
    /// Whether an attestation in the inventory already points at a document for it.
    pub on_file: Option<String>,
}

/// What changed since a previous assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// When the previous one was made.
    pub previous_as_of: Date,
    /// Its score.
    pub previous_score: f64,
    /// Controls whose status changed: id, before, after.
    pub status_changes: Vec<StatusChange>,
    /// Gaps that are new.
    pub new_gaps: Vec<String>,
    /// Gaps that were closed.
    pub closed_gaps: Vec<String>,
}

/// One control whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The control.
    pub control: String,
    /// Its status before.
    pub before: Status,
    /// Its status now.
    pub after: Status,
}

/// Assesses `evidence` against `catalog`.
pub fn assess(
    catalog: &Catalog,
    evidence: &Evidence,
    options: &Options,
    previous: Option<&Assessment>,
) -> Assessment {
    let mut controls: Vec<ControlResult> = Vec::with_capacity(catalog.controls.len());
    for control in &catalog.controls {
        let assessed_unit = catalog.is_assessed_unit(control);
        let checks: Vec<CheckResult> = if control.not_applicable.is_some() || !assessed_unit {
            Vec::new()
        } else {
            control
                .checks
                .iter()
                .map(|check| checks::run(*check, catalog, control, evidence))
                .collect()
        };
        let status = if control.not_applicable.is_some() {
            Status::NotApplicable
        } else if checks
            .iter()
            .any(|c| c.check.is_decisive() && c.status == Status::NotMet)
        {
            Status::NotMet
        } else if assessed_unit {
            let status = Status::combine(checks.iter().map(|c| c.status));
            if status == Status::NotApplicable && !checks.is_empty() {
                // Every check found nothing to judge: nothing of the control is in place to
                // look at, which is not the same as the control not applying.
                Status::NotAssessed
            } else {
                status
            }
        } else {
            // A standard with specifications: rolled up below, once they are all assessed.
            Status::NotAssessed
        };
        controls.push(ControlResult {
            id: control.id.clone(),
            kind: control.kind,
            standard: control.standard.clone(),
            family: control.family,
            title: control.title.clone(),
            requirement: control.requirement,
            status,
            assessed_unit,
            objective: control.objective.clone(),
            nist_800_66: control.nist_800_66.clone(),
            checks,
            not_applicable: control.not_applicable.clone(),
            note: control.note.clone(),
        });
    }
    // Standards precede their specifications in the catalog, so they are rolled up here.
    for i in 0..controls.len() {
        if controls[i].assessed_unit || controls[i].not_applicable.is_some() {
            continue;
        }
        let id = controls[i].id.clone();
        controls[i].status = Status::combine(
            controls
                .iter()
                .filter(|c| c.standard.as_deref() == Some(id.as_str()))
                .map(|c| c.status),
        );
    }

    let previous_gaps = previous.map(|p| {
        let days = crate::checks::days_between(p.as_of, evidence.as_of);
        let open: BTreeMap<String, i64> = p
            .gaps
            .iter()
            .map(|g| (g.control.clone(), g.open_since_days.unwrap_or(0) + days))
            .collect();
        open
    });

    let mut gaps: Vec<Gap> = controls
        .iter()
        .filter(|c| c.assessed_unit && c.status.is_gap())
        .filter_map(|result| {
            let control = catalog.control(&result.id)?;
            let open_since_days = previous_gaps
                .as_ref()
                .and_then(|g| g.get(&result.id).copied());
            Some(gap(control, result, open_since_days))
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.risk
            .score
            .cmp(&a.risk.score)
            .then((a.requirement as u8).cmp(&(b.requirement as u8)))
            .then(urgency(a.status).cmp(&urgency(b.status)))
            .then_with(|| {
                catalog_index(catalog, &a.control).cmp(&catalog_index(catalog, &b.control))
            })
    });
    let roadmap = plan(
        &mut gaps,
        evidence.as_of,
        options.capacity_weeks_per_quarter,
    );

    let summary = summarise(&controls, &gaps);
    let flows = FlowMap::derive(&evidence.inventory, evidence.scan.as_ref());
    let documents = documents(catalog, &controls, evidence);
    let changes = previous.map(|p| changes(p, &controls, &gaps));

    Assessment {
        version: ASSESSMENT_VERSION,
        tool: "phiguard assess".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        generated_at: options.generated_at,
        as_of: evidence.as_of,
        regime: catalog.regime.clone(),
        platform: PlatformSummary {
            name: evidence.inventory.platform.name.clone(),
            kind: crate::flow::snake(&format!("{:?}", evidence.inventory.platform.kind)),
            owner: evidence.inventory.platform.owner.clone(),
            tenants: evidence
                .inventory
                .platform
                .tenants
                .iter()
                .map(ToString::to_string)
                .collect(),
        },
        sources: sources(evidence),
        summary,
        controls,
        gaps,
        roadmap,
        flows,
        documents,
        changes,
    }
}

/// Not met before partially met before not assessed.
fn urgency(status: Status) -> u8 {
    match status {
        Status::NotMet => 0,
        Status::PartiallyMet => 1,
        _ => 2,
    }
}

fn catalog_index(catalog: &Catalog, id: &str) -> usize {
    catalog
        .controls
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(usize::MAX)
}

fn gap(
    control: &crate::catalog::Control,
    result: &ControlResult,
    open_since_days: Option<i64>,
) -> Gap {
    let worst = result
        .checks
        .iter()
        .filter(|check| check.status.is_gap())
        .max_by_key(|check| check.likelihood);
    let (likelihood, because) = match worst {
        Some(check) => (
            check.likelihood,
            format!("{} — {}", check.check, check.likelihood_reason),
        ),
        None => (3, "no check produced evidence".to_owned()),
    };
    let score = likelihood * control.impact;
    let level = match score {
        20.. => "critical",
        12..=19 => "high",
        6..=11 => "medium",
        _ => "low",
    };

    let mut owners: Vec<String> = result
        .checks
        .iter()
        .flat_map(|c| c.owners.clone())
        .collect();
    owners.sort();
    owners.dedup();

    Gap {
        control: control.id.clone(),
        title: control.title.clone(),
        family: control.family,
        requirement: control.requirement,
        status: result.status,
        risk: Risk {
            likelihood,
            impact: control.impact,
            score,
            level: level.to_owned(),
            reasoning: format!(
                "likelihood {likelihood}/5 from {because}; impact {}/5 as the catalog rates a \
                 failure of {}",
                control.impact,
                control.title.to_lowercase()
            ),
        },
        patterns: control.patterns.clone(),
        remediation: control.remediation.clone(),
        effort_weeks: control.effort_weeks,
        owners,
        quarter: String::new(),
        exposure: penalty::exposure(
            open_since_days,
            control.requirement == Requirement::Addressable,
        ),
        open_since_days,
    }
}

/// The smallest capacity a roadmap accepts, in engineer-weeks per quarter.
pub const MIN_CAPACITY_WEEKS: f64 = 1.0;

/// Places gaps in quarters, riskiest first, filling each quarter up to the team's capacity.
/// The first quarter is the one after `as_of`; a gap larger than a quarter's capacity starts
/// a quarter of its own and takes as many following quarters as it needs.
fn plan(gaps: &mut [Gap], as_of: Date, capacity: f64) -> Vec<Quarter> {
    let capacity = if capacity.is_finite() && capacity >= MIN_CAPACITY_WEEKS {
        capacity
    } else {
        12.0
    };
    let first = i64::from(as_of.year()) * 4 + i64::from((as_of.month() - 1) / 3) + 1;
    let label = |index: i64| format!("{}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1);

    let mut roadmap: Vec<Quarter> = Vec::new();
    let (mut quarter, mut used) = (first, 0.0);
    for gap in gaps.iter_mut() {
        if used > 0.0 && used + gap.effort_weeks > capacity {
            quarter += 1;
            used = 0.0;
        }
        gap.quarter = label(quarter);
        used += gap.effort_weeks;
        match roadmap.last_mut() {
            Some(last) if last.quarter == gap.quarter => {
                last.controls.push(gap.control.clone());
                last.effort_weeks += gap.effort_weeks;
            }
            _ => roadmap.push(Quarter {
                quarter: gap.quarter.clone(),
                controls: vec![gap.control.clone()],
                effort_weeks: gap.effort_weeks,
            }),
        }
        if used > capacity {
            // Efforts are at most 52 weeks (the catalog checks), so this is a small number.
            let spill = ((used - capacity) / capacity).ceil() as i64;
            quarter += spill;
            used -= capacity * spill as f64;
        }
    }
    roadmap
}

fn summarise(controls: &[ControlResult], gaps: &[Gap]) -> Summary {
    let units = || controls.iter().filter(|c| c.assessed_unit);
    let score_of = |results: Vec<&ControlResult>| {
        let applicable: Vec<&&ControlResult> = results
            .iter()
            .filter(|c| c.status != Status::NotApplicable)
            .collect();
        if applicable.is_empty() {
            return 0.0;
        }
        let points: f64 = applicable.iter().map(|c| c.status.points()).sum();
        (points / applicable.len() as f64 * 1000.0).round() / 10.0
    };
    let count = |results: &[&ControlResult]| {
        let mut statuses: BTreeMap<Status, usize> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for result in results {
            *statuses.entry(result.status).or_default() += 1;
        }
        statuses
    };

    let all: Vec<&ControlResult> = units().collect();
    let families = Family::ALL
        .into_iter()
        .filter_map(|family| {
            let members: Vec<&ControlResult> = units().filter(|c| c.family == family).collect();
            (!members.is_empty()).then(|| FamilyScore {
                family,
                statuses: count(&members),
                score: score_of(members),
            })
        })
        .collect();

    let required = |status: Status| {
        units()
            .filter(|c| c.requirement == Requirement::Required && c.status == status)
            .count()
    };
    let mut patterns: BTreeMap<FailurePattern, usize> = BTreeMap::new();
    for gap in gaps {
        for pattern in &gap.patterns {
            *patterns.entry(*pattern).or_default() += 1;
        }
    }

    Summary {
        score: score_of(all.clone()),
        families,
        statuses: count(&all),
        required_not_met: required(Status::NotMet),
        required_partially_met: required(Status::PartiallyMet),
        gaps: gaps.len(),
        effort_weeks: gaps.iter().map(|g| g.effort_weeks).sum(),
        patterns,
    }
}

fn sources(evidence: &Evidence) -> Vec<SourceSummary> {
    let inventory = &evidence.inventory;
    let mut sources = vec![SourceSummary {
        id: "E1".to_owned(),
        kind: Source::Inventory,
        used: true,
        description: format!(
            "platform inventory {}: {} systems, {} data stores, {} integrations, {} surfaces, \
             {} roles",
            evidence.inventory_path.display(),
            inventory.systems.len(),
            inventory.data_stores.len(),
            inventory.integrations.len(),
            inventory.surfaces.len(),
            inventory.roles.len()
        ),
        sha256: file_digest(&evidence.inventory_path),
    }];
    sources.push(SourceSummary {
        id: "E2".to_owned(),
        kind: Source::Attestations,
        used: !inventory.attestations.is_empty(),
        description: format!(
            "{} attestations in the inventory",
            inventory.attestations.len()
        ),
        sha256: None,
    });
    sources.push(match &evidence.scan {
        Some(scan) => SourceSummary {
            id: "E3".to_owned(),
            kind: Source::Scan,
            used: true,
            description: format!(
                "scan report {} (phiguard scan {}): {} files, {} findings",
                scan.path.display(),
                scan.tool_version,
                scan.files_scanned,
                scan.findings.len()
            ),
            sha256: file_digest(&scan.path),
        },
        None => SourceSummary {
            id: "E3".to_owned(),
            kind: Source::Scan,
            used: false,
            description: "missing: no --scan report; code and infrastructure checks are not \
                          assessed"
                .to_owned(),
            sha256: None,
        },
    });
    sources.push(match &evidence.vault {
        Some(vault) => SourceSummary {
            id: "E4".to_owned(),
            kind: Source::Vault,
            used: true,
            description: format!(
                "vault posture from {}, collected {}: {} tenants, {}",
                vault.origin,
                vault.posture.collected_at,
                vault.posture.tenants.len(),
                vault.posture.crypto_module
            ),
            sha256: None,
        },
        None => SourceSummary {
            id: "E4".to_owned(),
            kind: Source::Vault,
            used: false,
            description: "missing: no --data-dir or --vault; vault checks are not assessed"
                .to_owned(),
            sha256: None,
        },
    });
    sources
}

fn file_digest(path: &std::path::Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let digest = Sha256::digest(&bytes);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn documents(
    catalog: &Catalog,
    controls: &[ControlResult],
    evidence: &Evidence,
) -> Vec<DocumentRequest> {
    let mut requests = Vec::new();
    for result in controls {
        if result.status == Status::NotApplicable {
            continue;
        }
        let Some(control) = catalog.control(&result.id) else {
            continue;
        };
        let on_file = evidence
            .inventory
            .attestations
            .iter()
            .find(|a| {
                catalog.resolve(a.control.get_ref()).map(|c| c.id.as_str()) == Some(&control.id)
            })
            .map(|a| a.document.clone());
        for document in &control.documents {
            requests.push(DocumentRequest {
                control: control.id.clone(),
                document: document.clone(),
                on_file: on_file.clone(),
            });
        }
    }
    requests
}

fn changes(previous: &Assessment, controls: &[ControlResult], gaps: &[Gap]) -> Changes {
    let before: BTreeMap<&str, Status> = previous
        .controls
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect();
    let status_changes = controls
        .iter()
        .filter_map(|c| {
            let was = *before.get(c.id.as_str())?;
            (was != c.status).then(|| StatusChange {
                control: c.id.clone(),
                before: was,
                after: c.status,
            })
        })
        .collect();
    let old: BTreeSet<&str> = previous.gaps.iter().map(|g| g.control.as_str()).collect();
    let now: BTreeSet<&str> = gaps.iter().map(|g| g.control.as_str()).collect();
    Changes {
        previous_as_of: previous.as_of,
        previous_score: previous.summary.score,
        status_changes,
        new_gaps: now.difference(&old).map(|s| (*s).to_owned()).collect(),
        closed_gaps: old.difference(&now).map(|s| (*s).to_owned()).collect(),
    }
}
