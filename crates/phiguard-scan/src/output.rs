//! Report formats: text for people, JSON for machines and `phiguard assess`, SARIF 2.1.0 for
//! GitHub code scanning.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::engine::ScanReport;
use crate::rule::{CATALOG, RuleId};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, with file:line and a masked excerpt.
    Text,
    /// The report as JSON (see [`ScanReport`]).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// Renders a report.
pub fn render(report: &ScanReport, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(report)).unwrap_or_default() + "\n",
    }
}

fn text(report: &ScanReport) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let rule = finding.rule.rule();
        let _ = writeln!(
            out,
            "{} {} {}:{}:{}",
            finding.severity.as_str().to_ascii_uppercase(),
            finding.rule,
            finding.path.display(),
            finding.line,
            finding.column
        );
        let _ = writeln!(out, "  {}", finding.message);
        for why in &finding.evidence {
            let _ = writeln!(out, "  why:  {why}");
        }
        let _ = writeln!(out, "  fix:  {}", rule.fix);
        let _ = writeln!(out, "  cite: {}", rule.citations.join(", "));
        let _ = writeln!(out, "  {:>5} | {}", finding.line, finding.excerpt);
        out.push('\n');
    }

    let summary = &report.summary;
    let _ = writeln!(
        out,
        "Scanned {} files ({:.1} MB) in {} ms.",
        summary.files_scanned,
        summary.bytes_scanned as f64 / 1_000_000.0,
        summary.duration_ms
    );
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let counts: Vec<String> = summary
            .findings_by_severity
            .iter()
            .rev()
            .map(|(severity, count)| format!("{count} {severity}"))
            .collect();
        let _ = writeln!(
            out,
            "{} findings: {}.",
            report.findings.len(),
            counts.join(", ")
        );
    }
    if summary.suppressed_by_inventory > 0 || summary.suppressed_by_baseline > 0 {
        let _ = writeln!(
            out,
            "Suppressed: {} by the inventory (BAA-covered recipients, stores without PHI), {} by \
             the baseline.",
            summary.suppressed_by_inventory, summary.suppressed_by_baseline
        );
    }
    for entry in &summary.expired_baseline_entries {
        let _ = writeln!(
            out,
            "Expired baseline entry: {} in {} (expired {}); it no longer suppresses anything.",
            entry.rule, entry.path, entry.expires
        );
    }
    if !summary.skipped.is_empty() {
        let reasons: Vec<String> = summary
            .skipped_by_reason
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        let _ = writeln!(
            out,
            "Skipped {} files: {}.",
            summary.skipped.len(),
            reasons.join(", ")
        );
        for skip in summary.skipped.iter().take(20) {
            let _ = writeln!(
                out,
                "  skipped {} ({})",
                skip.path.display(),
                skip.reason.label()
            );
        }
        if summary.skipped.len() > 20 {
            let _ = writeln!(
                out,
                "  … and {} more (see --format json)",
                summary.skipped.len() - 20
            );
        }
    }
    if !summary.files_with_syntax_errors.is_empty() {
        let _ = writeln!(
            out,
            "{} files had syntax errors (in templates, often `if` branches that do not nest as \
             HTML); what parsed was analysed.",
            summary.files_with_syntax_errors.len()
        );
    }
    out
}

fn sarif_rule(rule: &crate::rule::Rule) -> Value {
    let mut tags: Vec<String> = vec![
        "security".to_owned(),
        "privacy".to_owned(),
        "HIPAA".to_owned(),
    ];
    tags.extend(rule.citations.iter().map(|c| (*c).to_owned()));
    let citations = rule.citations.join(", ");
    json!({
        "id": rule.id.as_str(),
        "name": rule.name,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.rationale },
        "help": {
            "text": format!("{}\n\nFix: {}\n\nCitations: {}", rule.rationale, rule.fix, citations),
            "markdown": format!(
                "{}\n\n**Fix:** {}\n\n**Citations:** {}",
                rule.rationale, rule.fix, citations
            ),
        },
        "defaultConfiguration": { "level": rule.default_severity.sarif_level() },
        "properties": {
            "tags": tags,
            "precision": "medium",
            "security-severity": rule.default_severity.security_score(),
        },
    })
}

fn sarif(report: &ScanReport) -> Value {
    let rules: Vec<Value> = CATALOG.iter().map(sarif_rule).collect();
    let index_of = |id: RuleId| CATALOG.iter().position(|r| r.id == id).unwrap_or(0);

    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let mut message = finding.message.clone();
            for why in &finding.evidence {
                message.push_str("; ");
                message.push_str(why);
            }
            json!({
                "ruleId": finding.rule.as_str(),
                "ruleIndex": index_of(finding.rule),
                "level": finding.severity.sarif_level(),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": finding.path.to_string_lossy().replace('\\', "/"),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {
                            "startLine": finding.line,
                            "startColumn": finding.column,
                            "snippet": { "text": finding.excerpt },
                        },
                    },
                }],
                "partialFingerprints": { "phiguardFingerprint/v1": finding.fingerprint },
                "properties": {
                    "severity": finding.severity.as_str(),
                    "security-severity": finding.severity.security_score(),
                    "category": finding.category.map(|c| c.as_str()),
                    "recipient": finding.recipient,
                },
            })
        })
        .collect();

    let notifications: Vec<Value> = report
        .summary
        .skipped
        .iter()
        .map(|skip| {
            json!({
                "level": "note",
                "message": { "text": format!("skipped: {}", skip.reason.label()) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": skip.path.to_string_lossy().replace('\\', "/"),
                            "uriBaseId": "%SRCROOT%",
                        },
                    },
                }],
            })
        })
        .collect();

    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "phiguard",
                    "semanticVersion": report.tool_version,
                    "informationUri": "https://github.com/phiguard/phiguard",
                    "rules": rules,
                },
            },
            "automationDetails": { "id": "phiguard-scan/" },
            "results": results,
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
        }],
    })
}
