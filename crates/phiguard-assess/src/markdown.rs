//! The assessment as Markdown, for a repository or a pull request.

use std::fmt::Write as _;

use crate::assessment::Assessment;
use crate::penalty::dollars;
use crate::status::Status;

/// Renders the report. Text from the inventory, the scan and the catalog is escaped, so a name
/// such as `<script>` reads as text wherever the Markdown is rendered.
pub(crate) fn render(assessment: &Assessment) -> String {
    let mut out = String::new();
    let a = assessment;
    let _ = writeln!(
        out,
        "# HIPAA Security Rule assessment: {}\n",
        one_line(&a.platform.name)
    );
    let _ = writeln!(
        out,
        "- Regime: {}{}\n- As of: {}\n- Generated: {} by {} {}\n- Owner: {}\n",
        a.regime.title,
        if a.regime.in_force {
            ""
        } else {
            " — proposed, not in force"
        },
        a.as_of,
        a.generated_at,
        a.tool,
        a.tool_version,
        one_line(&a.platform.owner)
    );

    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "Overall score **{:.1} / 100**. {} gaps, {:.1} engineer-weeks to close; {} required \
         specifications not met and {} partially met.\n",
        a.summary.score,
        a.summary.gaps,
        a.summary.effort_weeks,
        a.summary.required_not_met,
        a.summary.required_partially_met
    );
    out.push_str("| family | score | met | partial | not met | not assessed | n/a |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for family in &a.summary.families {
        let n = |s: Status| family.statuses.get(&s).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} | {} | {} | {} | {} |",
            family.family.title(),
            family.score,
            n(Status::Met),
            n(Status::PartiallyMet),
            n(Status::NotMet),
            n(Status::NotAssessed),
            n(Status::NotApplicable)
        );
    }

    let _ = writeln!(out, "\n## Evidence\n");
    for source in &a.sources {
        let digest = source
            .sha256
            .as_deref()
            .map(|d| format!(" (sha256 `{}`)", &d[..16.min(d.len())]))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}** {}{digest}",
            source.id,
            one_line(&source.description)
        );
    }

    if let Some(changes) = &a.changes {
        let _ = writeln!(
            out,
            "\n## Changes since {}\n\nScore {:.1} → {:.1}. New gaps: {}. Closed gaps: {}.\n",
            changes.previous_as_of,
            changes.previous_score,
            a.summary.score,
            list_or_none(&changes.new_gaps),
            list_or_none(&changes.closed_gaps)
        );
        for change in &changes.status_changes {
            let _ = writeln!(
                out,
                "- {}: {} → {}",
                change.control,
                change.before.label(),
                change.after.label()
            );
        }
    }

    let _ = writeln!(out, "\n## Roadmap\n");
    for quarter in &a.roadmap {
        let _ = writeln!(
            out,
            "- **{}** ({:.1} engineer-weeks): {}",
            quarter.quarter,
            quarter.effort_weeks,
            quarter.controls.join(", ")
        );
    }

    let _ = writeln!(out, "\n## Gaps, riskiest first\n");
    for gap in &a.gaps {
        let _ = writeln!(
            out,
            "### {} {} ({}, {})\n",
            gap.control,
            gap.title,
            gap.requirement.letter(),
            gap.status.label()
        );
        let _ = writeln!(
            out,
            "- Risk: **{}** ({} × {} = {}). {}",
            gap.risk.level,
            gap.risk.likelihood,
            gap.risk.impact,
            gap.risk.score,
            gap.risk.reasoning
        );
        if !gap.patterns.is_empty() {
            let names: Vec<&str> = gap.patterns.iter().map(|p| p.title()).collect();
            let _ = writeln!(out, "- Failure patterns: {}", names.join("; "));
        }
        let _ = writeln!(
            out,
            "- Fix ({:.1} engineer-weeks, {}, owner {}): {}",
            gap.effort_weeks,
            gap.quarter,
            if gap.owners.is_empty() {
                one_line(&a.platform.owner)
            } else {
                one_line(&gap.owners.join(", "))
            },
            gap.remediation
        );
        let _ = writeln!(out, "- Penalty exposure: {}\n", gap.exposure.note);
    }

    let _ = writeln!(out, "## Controls\n");
    out.push_str(
        "| control | title | R/A | status | evidence |\n| --- | --- | --- | --- | --- |\n",
    );
    for control in &a.controls {
        let evidence: Vec<String> = control
            .checks
            .iter()
            .map(|c| format!("{}: {}", c.check, c.status.label()))
            .collect();
        let evidence = match &control.not_applicable {
            Some(reason) => reason.clone(),
            None if evidence.is_empty() => "rolled up from its specifications".to_owned(),
            None => evidence.join("; "),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            control.id,
            control.title,
            control.requirement.letter(),
            control.status.label(),
            evidence.replace('|', "\\|")
        );
    }

    let _ = writeln!(out, "\n## Data flows that carry risk\n");
    let mut any = false;
    for edge in a.flows.risky_edges() {
        any = true;
        let _ = writeln!(
            out,
            "- {} → {}: {} ({})",
            one_line(&edge.from),
            one_line(&edge.to),
            one_line(&edge.label),
            edge.risk.as_deref().unwrap_or_default()
        );
    }
    if !any {
        out.push_str("None found.\n");
    }

    let _ = writeln!(out, "\n## Documents an auditor will ask for\n");
    for request in &a.documents {
        let on_file = request
            .on_file
            .as_deref()
            .map(|d| format!(" — on file: `{}`", one_line(d).replace('`', "'")))
            .unwrap_or_default();
        let _ = writeln!(out, "- {}: {}{on_file}", request.control, request.document);
    }

    let _ = writeln!(
        out,
        "\nPenalty amounts follow 45 CFR 160.404 and 102.3 (schedules of 2026-01-28 and \
         2024-08-08; 2019 enforcement-discretion caps); tier 4 maximum ${}.",
        dollars(crate::penalty::SCHEDULES[0].tiers[3].maximum)
    );
    escape_html(&out)
}

/// Markdown renderers pass raw HTML through; nothing in a report is meant as HTML.
fn escape_html(text: &str) -> String {
    crate::flow::without_bidi_controls(
        &text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

/// Text from the inventory on one line, with the characters that would open Markdown links,
/// code spans or table cells escaped: a name cannot add headings, rows or live links.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => out.push(' '),
            '[' | ']' | '`' | '|' | '*' | '_' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
