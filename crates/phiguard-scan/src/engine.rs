//! The scan itself: discover files, analyse them in parallel, judge findings against the
//! inventory and the baseline, and add up what happened.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use phiguard_inventory::Inventory;
use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::{self, Parse};
use crate::baseline::{Accepted, Baseline};
use crate::finding::{Finding, RawFinding, fingerprint};
use crate::html::PageContext;
use crate::mask::mask_excerpt;
use crate::rule::{RuleId, Severity};
use crate::source::{Language, SourceFile};
use crate::walk::{self, Candidate, ChangedSinceError, SkipReason, Skipped};

/// The version of the JSON report's shape; `phiguard assess` refuses other versions.
pub const REPORT_VERSION: u32 = 1;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and directories to scan.
    pub roots: Vec<PathBuf>,
    /// The platform inventory, if any.
    pub inventory: Option<Inventory>,
    /// The baseline, if any.
    pub baseline: Option<Baseline>,
    /// Only files changed since this git revision.
    pub changed_since: Option<String>,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Show a progress bar (only ever drawn when stderr is a terminal).
    pub progress: bool,
    /// The day baselines are judged against.
    pub today: jiff::civil::Date,
}

impl ScanOptions {
    /// Defaults for `roots`: no inventory or baseline, 2 MB files, all cores, progress on.
    pub fn new(roots: Vec<PathBuf>) -> Self {
        ScanOptions {
            roots,
            inventory: None,
            baseline: None,
            changed_since: None,
            max_file_size: 2 * 1024 * 1024,
            threads: 0,
            progress: true,
            today: jiff::ZonedDateTime::now().date(),
        }
    }
}

/// The result of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// The report format version ([`REPORT_VERSION`]).
    pub version: u32,
    /// The tool that wrote it.
    pub tool: &'static str,
    /// The tool's version.
    pub tool_version: &'static str,
    /// The roots scanned, as given.
    pub roots: Vec<PathBuf>,
    /// Findings that remain after the inventory and the baseline, ordered by path and line.
    pub findings: Vec<Finding>,
    /// What was scanned, skipped and suppressed.
    pub summary: Summary,
}

/// The numbers behind a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Files analysed.
    pub files_scanned: usize,
    /// Bytes analysed.
    pub bytes_scanned: u64,
    /// Files analysed per language.
    pub files_by_language: BTreeMap<String, usize>,
    /// Files analysed although they had syntax errors the parser recovered from.
    pub files_with_syntax_errors: Vec<PathBuf>,
    /// Files not analysed, with the reason.
    pub skipped: Vec<Skipped>,
    /// Skipped files per reason.
    pub skipped_by_reason: BTreeMap<String, usize>,
    /// Files walked but in no language scan reads.
    pub files_unsupported: usize,
    /// Scripts and PHP files, counted in `files_scanned`, that name no sink at all and so were
    /// not parsed.
    pub files_prefiltered: usize,
    /// Files left out by `--changed-since`.
    pub files_unchanged: usize,
    /// Findings per severity.
    pub findings_by_severity: BTreeMap<Severity, usize>,
    /// Findings dropped because the inventory lists the recipient with a signed BAA, or the
    /// data store as holding no PHI.
    pub suppressed_by_inventory: usize,
    /// Findings accepted by the baseline.
    pub suppressed_by_baseline: usize,
    /// Baseline entries past their expiry date (they suppress nothing).
    pub expired_baseline_entries: Vec<Accepted>,
    /// Wall-clock time of the scan.
    pub duration_ms: u128,
}

/// Runs a scan.
///
/// # Errors
/// Only `--changed-since` can fail as a whole (git missing, not a repository, unknown
/// revision); every per-file problem becomes a skip in the summary.
pub fn scan(options: &ScanOptions) -> Result<ScanReport, ChangedSinceError> {
    let started = Instant::now();
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(2, usize::from)
    } else {
        options.threads
    };

    let mut discovery = walk::discover(&options.roots, threads);
    let mut files_unchanged = 0;
    if let Some(revision) = &options.changed_since {
        let mut changed = std::collections::BTreeSet::new();
        for root in &options.roots {
            changed.extend(walk::changed_since(root, revision)?);
        }
        let before = discovery.candidates.len();
        discovery
            .candidates
            .retain(|c| changed.contains(&walk::canonical(&c.path)));
        files_unchanged = before - discovery.candidates.len();
    }

    let page = PageContext {
        replay_vendor: replay_vendor(options.inventory.as_ref()),
    };
    let progress = progress_bar(options.progress, discovery.candidates.len());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let run = || {
        discovery
            .candidates
            .par_iter()
            .map(|candidate| {
                let outcome = scan_file(candidate, options, &page);
                progress.inc(1);
                outcome
            })
            .collect::<Vec<_>>()
    };
    let outcomes = match &pool {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    progress.finish_and_clear();

    let mut report = assemble(options, outcomes, discovery.skipped, discovery.unsupported);
    report.summary.files_unchanged = files_unchanged;
    report.summary.duration_ms = started.elapsed().as_millis();
    Ok(report)
}

fn progress_bar(wanted: bool, files: usize) -> ProgressBar {
    if !wanted || files < 200 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn replay_vendor(inventory: Option<&Inventory>) -> Option<String> {
    inventory?
        .integrations
        .iter()
        .find(|i| {
            i.kind == phiguard_inventory::IntegrationKind::SessionReplay && !i.baa.covers_phi()
        })
        .map(|i| i.vendor.clone())
}

enum FileOutcome {
    Scanned {
        source: SourceFile,
        findings: Vec<RawFinding>,
        recovered: bool,
        prefiltered: bool,
        bytes: u64,
    },
    Skipped(Skipped),
    NotApplicable,
}

fn scan_file(candidate: &Candidate, options: &ScanOptions, page: &PageContext) -> FileOutcome {
    let skip = |reason| {
        FileOutcome::Skipped(Skipped {
            path: candidate.display.clone(),
            reason,
        })
    };
    let text = match walk::read(candidate, options.max_file_size) {
        Ok(text) => text,
        Err(reason) => return skip(reason),
    };
    let bytes = text.len() as u64;
    let source = SourceFile::new(candidate.display.clone(), candidate.language, text);

    // A parser bug must not take the whole scan down: the file is skipped and reported.
    let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analysis::analyze(&source, page)
    }));
    let Ok(analysis) = analysed else {
        return skip(SkipReason::Unreadable {
            error: "internal analysis error".to_owned(),
        });
    };

    match analysis.parse {
        Parse::Failed(line) => skip(SkipReason::SyntaxError { line }),
        Parse::NotApplicable => FileOutcome::NotApplicable,
        Parse::Clean | Parse::Recovered | Parse::Prefiltered => FileOutcome::Scanned {
            recovered: analysis.parse == Parse::Recovered,
            prefiltered: analysis.parse == Parse::Prefiltered,
            findings: analysis.findings,
            source,
            bytes,
        },
    }
}

fn assemble(
    options: &ScanOptions,
    outcomes: Vec<FileOutcome>,
    mut skipped: Vec<Skipped>,
    unsupported: usize,
) -> ScanReport {
    let mut summary = Summary {
        files_unsupported: unsupported,
        ..Summary::default()
    };
    let judge = Judge::new(options.inventory.as_ref());
    let mut findings = Vec::new();

    for outcome in outcomes {
        match outcome {
            FileOutcome::Scanned {
                source,
                findings: raw,
                recovered,
                prefiltered,
                bytes,
            } => {
                summary.files_scanned += 1;
                summary.files_prefiltered += usize::from(prefiltered);
                summary.bytes_scanned += bytes;
                *summary
                    .files_by_language
                    .entry(source.language.as_str().to_owned())
                    .or_default() += 1;
                if recovered {
                    summary.files_with_syntax_errors.push(source.path.clone());
                }
                let mut occurrences: HashMap<(RuleId, String), usize> = HashMap::new();
                for raw in raw {
                    match judge.finding(&source, raw, &mut occurrences) {
                        Some(finding) => findings.push(finding),
                        None => summary.suppressed_by_inventory += 1,
                    }
                }
            }
            FileOutcome::Skipped(skip) => skipped.push(skip),
            FileOutcome::NotApplicable => summary.files_unsupported += 1,
        }
    }

    if let Some(baseline) = &options.baseline {
        let before = findings.len();
        findings.retain(|finding| baseline.accepts(finding, options.today).is_none());
        summary.suppressed_by_baseline = before - findings.len();
        summary.expired_baseline_entries = baseline.expired(options.today).cloned().collect();
    }

    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    for finding in &findings {
        *summary
            .findings_by_severity
            .entry(finding.severity)
            .or_default() += 1;
    }
    skipped.sort();
    for skip in &skipped {
        *summary
            .skipped_by_reason
            .entry(skip.reason.label().to_owned())
            .or_default() += 1;
    }
    summary.skipped = skipped;
    summary.files_with_syntax_errors.sort();

    ScanReport {
        version: REPORT_VERSION,
        tool: "phiguard scan",
        tool_version: env!("CARGO_PKG_VERSION"),
        roots: options.roots.clone(),
        findings,
        summary,
    }
}

/// Turns raw findings into reported ones: position, excerpt, fingerprint, and the inventory's
/// say on recipients, pages and data stores.
struct Judge<'i> {
    inventory: Option<&'i Inventory>,
    surfaces: Option<phiguard_inventory::SurfaceMatcher<'i>>,
}

impl<'i> Judge<'i> {
    fn new(inventory: Option<&'i Inventory>) -> Self {
        Judge {
            inventory,
            surfaces: inventory.map(Inventory::surface_matcher),
        }
    }

    fn finding(
        &self,
        source: &SourceFile,
        raw: RawFinding,
        occurrences: &mut HashMap<(RuleId, String), usize>,
    ) -> Option<Finding> {
        let mut evidence = raw.evidence;
        let mut severity = raw.severity.unwrap_or(raw.rule.rule().default_severity);

        if let Some(vendor) = &raw.recipient {
            match self.inventory.map(|i| i.integration_for_vendor(vendor)) {
                Some(Some(integration)) if integration.baa.covers_phi() => return None,
                Some(Some(integration)) => evidence.push(format!(
                    "the inventory lists {} (`{}`) without a signed BAA",
                    integration.vendor, integration.id
                )),
                Some(None) => evidence.push(format!(
                    "{vendor} is not in the inventory, so no BAA is on record"
                )),
                None => evidence.push(format!(
                    "no inventory was given, so no BAA with {vendor} is on record"
                )),
            }
            if matches!(raw.rule, RuleId::Tracker | RuleId::SessionReplay)
                && let Some(page) = self.sensitive_page(source)
            {
                severity = Severity::Critical;
                evidence.push(page);
            }
        }

        if let Some(address) = &raw.resource
            && let Some(inventory) = self.inventory
        {
            match inventory.data_store_for_resource(address) {
                Some(store) if !store.holds_phi => return None,
                Some(store) => {
                    evidence.push(format!(
                        "the inventory's data store `{}` holds PHI",
                        store.id
                    ));
                }
                None => evidence.push(
                    "no inventory data store names this resource; it is assumed to hold PHI"
                        .to_owned(),
                ),
            }
        }

        let (line, column) = source.position(raw.offset);
        let line_text = source.line_text(line);
        let path = source.path.to_string_lossy().into_owned();
        let key = (
            raw.rule,
            line_text.split_whitespace().collect::<Vec<_>>().join(" "),
        );
        let occurrence = occurrences.entry(key).or_default();
        let fingerprint = fingerprint(raw.rule, &path, line_text, *occurrence);
        *occurrence += 1;

        Some(Finding {
            rule: raw.rule,
            severity,
            path: source.path.clone(),
            line,
            column,
            message: raw.message,
            evidence,
            category: raw.category,
            recipient: raw.recipient,
            excerpt: mask_excerpt(line_text.trim()).chars().take(200).collect(),
            fingerprint,
        })
    }

    /// Why a tracker on this file sees PHI: the inventory's surfaces, or without an inventory,
    /// a path that names a checkout, cart or account page.
    fn sensitive_page(&self, source: &SourceFile) -> Option<String> {
        if let Some(matcher) = &self.surfaces {
            let surfaces = matcher.surfaces_for(Path::new(&source.path));
            return surfaces.iter().find(|s| s.trackers_see_phi()).map(|s| {
                format!(
                    "the file renders the `{}` surface, a checkout, account or signed-in page \
                     where the OCR tracking guidance treats tracked data as PHI",
                    s.id
                )
            });
        }
        if matches!(source.language, Language::Terraform | Language::Yaml) {
            return None;
        }
        let path = source.path.to_string_lossy().to_ascii_lowercase();
        [
            "checkout",
            "account",
            "customers/",
            "customer/",
            "cart",
            "order",
        ]
        .iter()
        .any(|word| path.contains(word))
        .then(|| {
            "the path suggests a checkout, cart or account page, where the OCR tracking \
                 guidance treats tracked data as PHI (give --inventory to be precise)"
                .to_owned()
        })
    }
}
