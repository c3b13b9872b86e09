//! The assessment as one self-contained HTML page: styles and charts inline, no scripts, no
//! external assets, so it opens the same on an auditor's laptop as in CI artifacts.

use std::fmt::Write as _;

use crate::assessment::Assessment;
use crate::flow::xml_escape as esc;
use crate::status::Status;

const STYLE: &str = "
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#1d2329;
background:#f6f7f9;line-height:1.45}
header{background:#17324d;color:#fff;padding:24px 40px}
header h1{margin:0 0 6px;font-size:26px}header p{margin:2px 0;opacity:.9}
main{padding:8px 40px 40px;max-width:1400px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:18px 24px;
margin:18px 0}
h2{margin-top:0;font-size:20px;color:#17324d}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #e5e8ec;padding:6px 8px;text-align:left;vertical-align:top}
td:first-child{white-space:nowrap}
th{background:#f0f2f5}
.pill{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;white-space:nowrap}
.met{background:#d4edda;color:#155724}.partially_met{background:#fff3cd;color:#856404}
.not_met{background:#f8d7da;color:#721c24}.not_assessed{background:#e2e3e5;color:#383d41}
.not_applicable{background:#eef0f2;color:#6c757d}
.critical{background:#721c24;color:#fff}.high{background:#f8d7da;color:#721c24}
.medium{background:#fff3cd;color:#856404}.low{background:#d4edda;color:#155724}
.grid{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.flow{overflow-x:auto}
details summary{cursor:pointer}
.muted{color:#6c757d;font-size:13px}
.warn{background:#fff3cd;border:1px solid #ffe69c;padding:8px 12px;border-radius:6px}
code{font-size:13px}
";

fn class(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::PartiallyMet => "partially_met",
        Status::NotMet => "not_met",
        Status::NotAssessed => "not_assessed",
        Status::NotApplicable => "not_applicable",
    }
}

fn color(status: Status) -> &'static str {
    match status {
        Status::Met => "#2e8b57",
        Status::PartiallyMet => "#e0a800",
        Status::NotMet => "#c0392b",
        Status::NotAssessed => "#8a9099",
        Status::NotApplicable => "#d6d9dd",
    }
}

fn pill(status: Status) -> String {
    format!(
        "<span class=\"pill {}\">{}</span>",
        class(status),
        status.label()
    )
}

/// Renders the report.
pub(crate) fn render(assessment: &Assessment) -> String {
    let a = assessment;
    let mut out = String::with_capacity(256 * 1024);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>HIPAA assessment: {}</title><style>{STYLE}</style></head><body>",
        esc(&a.platform.name)
    );
    let _ = writeln!(
        out,
        "<header><h1>HIPAA Security Rule assessment — {}</h1><p>{}{}</p>\
         <p>As of {} · generated {} by {} {} · owner {}</p></header><main>",
        esc(&a.platform.name),
        esc(&a.regime.title),
        if a.regime.in_force {
            ""
        } else {
            " (proposed, not in force)"
        },
        a.as_of,
        a.generated_at,
        esc(&a.tool),
        esc(&a.tool_version),
        esc(&a.platform.owner)
    );

    summary(&mut out, a);
    if let Some(changes) = a.changes.as_ref().filter(|c| {
        !(c.status_changes.is_empty() && c.new_gaps.is_empty() && c.closed_gaps.is_empty())
    }) {
        let _ = writeln!(
            out,
            "<section><h2>Changes since {}</h2><p>Score {:.1} → {:.1}. New gaps: {}. Closed \
             gaps: {}.</p><table><tr><th>control</th><th>before</th><th>after</th></tr>",
            changes.previous_as_of,
            changes.previous_score,
            a.summary.score,
            esc(&join_or_none(&changes.new_gaps)),
            esc(&join_or_none(&changes.closed_gaps))
        );
        for change in &changes.status_changes {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&change.control),
                pill(change.before),
                pill(change.after)
            );
        }
        out.push_str("</table></section>\n");
    }

    let _ = write!(
        out,
        "<section><h2>Where PHI flows</h2><p class=\"muted\">From the inventory{}. Red: PHI to a \
         party without a BAA or into a store not known to be encrypted. Hover for details.</p>\
         <div class=\"flow\">{}</div></section>",
        if a.sources.iter().any(|s| s.id == "E3" && s.used) {
            " and the flows the scan saw in code"
        } else {
            ""
        },
        a.flows.to_svg()
    );

    roadmap(&mut out, a);
    gaps(&mut out, a);
    controls(&mut out, a);

    out.push_str(
        "<section><h2>Evidence index</h2><table><tr><th>id</th><th>source</th>\
                  <th>used</th><th>description</th><th>sha-256</th></tr>",
    );
    for source in &a.sources {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            source.id,
            source.kind,
            if source.used { "yes" } else { "<b>missing</b>" },
            esc(&source.description),
            source.sha256.as_deref().unwrap_or("")
        );
    }
    out.push_str("</table></section>\n");

    out.push_str(
        "<section><h2>Documents an auditor will ask for</h2><table><tr>\
                  <th>control</th><th>document</th><th>on file</th></tr>",
    );
    for request in &a.documents {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&request.control),
            esc(&request.document),
            esc(request.on_file.as_deref().unwrap_or("—"))
        );
    }
    out.push_str("</table></section>\n");

    let _ = write!(
        out,
        "<section><h2>About this regime</h2><p>{}</p><p class=\"muted\">Source: {}. Penalty \
         figures: 45 CFR 160.404 tiers with the amounts of 45 CFR 102.3 (schedules effective \
         2026-01-28 and 2024-08-08, amounts not yet verified against the CFR) and the annual \
         caps of HHS's 2019 notice of enforcement discretion.</p></section>",
        esc(&a.regime.summary),
        esc(&a.regime.source)
    );
    out.push_str("</main></body></html>\n");
    out
}

fn summary(out: &mut String, a: &Assessment) {
    let missing: Vec<&str> = a
        .sources
        .iter()
        .filter(|s| !s.used)
        .map(|s| s.description.as_str())
        .collect();
    let _ = write!(out, "<section><h2>Summary</h2>");
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"warn\">Evidence missing — affected controls are <b>not assessed</b>, not \
             passed: {}</p>",
            esc(&missing.join(" · "))
        );
    }
    let _ = write!(
        out,
        "<div class=\"grid\">{}{}{}</div><p>{} gaps, {:.1} engineer-weeks to close. Required \
         specifications not met: <b>{}</b>; partially met: <b>{}</b>.</p></section>",
        donut(a.summary.score),
        family_bars(a),
        heat_map(a),
        a.summary.gaps,
        a.summary.effort_weeks,
        a.summary.required_not_met,
        a.summary.required_partially_met
    );
}

fn donut(score: f64) -> String {
    let radius = 54.0;
    let circumference = 2.0 * std::f64::consts::PI * radius;
    let filled = circumference * score.clamp(0.0, 100.0) / 100.0;
    format!(
        "<svg width=\"170\" height=\"170\" viewBox=\"0 0 170 170\" role=\"img\" \
         aria-label=\"Overall score {score:.1} of 100\"><circle cx=\"85\" cy=\"85\" r=\"{radius}\" \
         fill=\"none\" stroke=\"#e5e8ec\" stroke-width=\"18\"/><circle cx=\"85\" cy=\"85\" \
         r=\"{radius}\" fill=\"none\" stroke=\"#17324d\" stroke-width=\"18\" \
         stroke-dasharray=\"{filled:.2} {circumference:.2}\" transform=\"rotate(-90 85 85)\"/>\
         <text x=\"85\" y=\"90\" text-anchor=\"middle\" font-size=\"28\" font-weight=\"bold\" \
         fill=\"#17324d\">{score:.0}</text><text x=\"85\" y=\"112\" text-anchor=\"middle\" \
         font-size=\"12\" fill=\"#555\">overall score</text></svg>"
    )
}

fn family_bars(a: &Assessment) -> String {
    let width = 420.0;
    let row = 34.0;
    let height = 30.0 + row * a.summary.families.len() as f64 + 30.0;
    let mut svg = format!(
        "<svg width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" role=\"img\" \
         aria-label=\"Controls per status for each safeguard family\" font-size=\"12\">\
         <text x=\"0\" y=\"14\" font-weight=\"bold\" font-size=\"13\">Score per safeguard \
         family</text>",
        width + 200.0,
        width + 200.0
    );
    for (i, family) in a.summary.families.iter().enumerate() {
        let y = 26.0 + i as f64 * row;
        let total: usize = family.statuses.values().sum();
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{} {:.0}</text>",
            y + 15.0,
            family.family.short(),
            family.score
        );
        let mut x = 150.0;
        for status in Status::ALL {
            let n = family.statuses.get(&status).copied().unwrap_or(0);
            if n == 0 || total == 0 {
                continue;
            }
            let w = width * n as f64 / total as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"22\" fill=\"{}\">\
                 <title>{n} {}</title></rect>",
                color(status),
                status.label()
            );
            if w > 18.0 {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{}\" fill=\"#fff\" text-anchor=\"middle\">{n}</text>",
                    x + w / 2.0,
                    y + 15.0
                );
            }
            x += w;
        }
    }
    let legend_y = height - 12.0;
    let mut x = 150.0;
    for status in Status::ALL {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" \
             y=\"{legend_y}\">{}</text>",
            legend_y - 9.0,
            color(status),
            x + 14.0,
            status.label()
        );
        x += 92.0;
    }
    svg.push_str("</svg>");
    svg
}

fn heat_map(a: &Assessment) -> String {
    let cell = 34.0;
    let mut svg = String::from(
        "<svg width=\"250\" height=\"250\" viewBox=\"0 0 250 250\" role=\"img\" \
         aria-label=\"Gaps by likelihood and impact\" font-size=\"12\"><text x=\"0\" y=\"14\" \
         font-weight=\"bold\" font-size=\"13\">Gaps: likelihood × impact</text>",
    );
    for likelihood in 1..=5u8 {
        for impact in 1..=5u8 {
            let count = a
                .gaps
                .iter()
                .filter(|g| g.risk.likelihood == likelihood && g.risk.impact == impact)
                .count();
            let score = likelihood * impact;
            let fill = match score {
                20.. => "#c0392b",
                12..=19 => "#e67e22",
                6..=11 => "#f1c40f",
                _ => "#a9d8b8",
            };
            let x = 40.0 + f64::from(impact - 1) * cell;
            let y = 24.0 + f64::from(5 - likelihood) * cell;
            let opacity = if count == 0 { 0.25 } else { 1.0 };
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" \
                 opacity=\"{opacity}\" stroke=\"#fff\"><title>likelihood {likelihood}, impact \
                 {impact}: {count} gaps</title></rect>",
                cell, cell
            );
            if count > 0 {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">\
                     {count}</text>",
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0
                );
            }
        }
    }
    for n in 1..=5u8 {
        let along = 40.0 + f64::from(n - 1) * cell + cell / 2.0;
        let _ = write!(
            svg,
            "<text x=\"{along}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{n}</text>\
             <text x=\"32\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{n}</text>",
            24.0 + 5.0 * cell + 14.0,
            24.0 + f64::from(5 - n) * cell + cell / 2.0 + 4.0
        );
    }
    svg.push_str(
        "<text x=\"125\" y=\"220\" text-anchor=\"middle\">impact →</text><text x=\"12\" \
         y=\"110\" transform=\"rotate(-90 12 110)\" text-anchor=\"middle\">likelihood →</text>\
         </svg>",
    );
    svg
}

fn roadmap(out: &mut String, a: &Assessment) {
    let _ = write!(out, "<section><h2>Remediation roadmap</h2>");
    if a.roadmap.is_empty() {
        out.push_str("<p>No gaps: nothing to plan.</p></section>\n");
        return;
    }
    let max = a.roadmap.iter().map(|q| q.effort_weeks).fold(1.0, f64::max);
    let row = 30.0;
    let height = 10.0 + row * a.roadmap.len() as f64;
    let _ = write!(
        out,
        "<svg width=\"800\" height=\"{height}\" viewBox=\"0 0 800 {height}\" role=\"img\" \
         aria-label=\"Engineer-weeks per quarter\" font-size=\"12\">"
    );
    for (i, quarter) in a.roadmap.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let w = 420.0 * quarter.effort_weeks / max;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"80\" y=\"{y}\" width=\"{w:.1}\" \
             height=\"20\" fill=\"#17324d\" rx=\"3\"/><text x=\"{:.1}\" y=\"{}\">{:.1} \
             engineer-weeks, {} controls</text>",
            y + 15.0,
            quarter.quarter,
            86.0 + w,
            y + 15.0,
            quarter.effort_weeks,
            quarter.controls.len()
        );
    }
    out.push_str(
        "</svg><table><tr><th>quarter</th><th>control</th><th>status</th><th>risk</th>\
                  <th>effort</th><th>owner</th><th>remediation</th></tr>",
    );
    for gap in &a.gaps {
        let owners = if gap.owners.is_empty() {
            a.platform.owner.clone()
        } else {
            gap.owners.join(", ")
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td><b>{}</b> {}</td><td>{}</td><td><span class=\"pill {}\">{} \
             {}</span></td><td>{:.1} wk</td><td>{}</td><td>{}</td></tr>",
            esc(&gap.quarter),
            esc(&gap.control),
            esc(&gap.title),
            pill(gap.status),
            esc(&gap.risk.level),
            esc(&gap.risk.level),
            gap.risk.score,
            gap.effort_weeks,
            esc(&owners),
            esc(&gap.remediation)
        );
    }
    out.push_str("</table></section>\n");
}

fn gaps(out: &mut String, a: &Assessment) {
    out.push_str("<section><h2>Gaps, riskiest first</h2>");
    if a.gaps.is_empty() {
        out.push_str("<p>No gaps.</p>");
    }
    for gap in &a.gaps {
        let patterns: Vec<&str> = gap.patterns.iter().map(|p| p.title()).collect();
        let since = gap
            .open_since_days
            .map(|d| format!(" · open for {d} days since an earlier assessment"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<details><summary><b>{}</b> {} — {} <span class=\"pill {}\">risk {} ({})</span> \
             <span class=\"muted\">{}{}</span></summary><ul><li>Risk: {}</li>\
             <li>Failure patterns: {}</li><li>Remediation: {}</li><li>Penalty exposure: {} \
             <span class=\"muted\">({})</span></li></ul></details>",
            esc(&gap.control),
            esc(&gap.title),
            pill(gap.status),
            esc(&gap.risk.level),
            gap.risk.score,
            esc(&gap.risk.level),
            gap.requirement.letter(),
            esc(&since),
            esc(&gap.risk.reasoning),
            esc(&if patterns.is_empty() {
                "—".to_owned()
            } else {
                patterns.join("; ")
            }),
            esc(&gap.remediation),
            esc(&gap.exposure.note),
            esc(&gap.exposure.reasoning)
        );
    }
    out.push_str("</section>\n");
}

fn controls(out: &mut String, a: &Assessment) {
    out.push_str(
        "<section><h2>Every control</h2><table><tr><th>control</th><th>title</th>\
                  <th>R/A</th><th>status</th><th>evidence</th></tr>",
    );
    for control in &a.controls {
        let indent = if control.standard.is_some() {
            "&nbsp;&nbsp;&nbsp;"
        } else {
            ""
        };
        let mut evidence = String::new();
        if let Some(reason) = &control.not_applicable {
            let _ = write!(evidence, "{}", esc(reason));
        } else if control.checks.is_empty() {
            evidence.push_str("<span class=\"muted\">rolled up from its specifications</span>");
        }
        for check in &control.checks {
            let _ = write!(
                evidence,
                "<details><summary>{} {}</summary><p>{}</p><ul>",
                pill(check.status),
                esc(&check.check.to_string()),
                esc(&check.summary)
            );
            for line in &check.details {
                let _ = write!(evidence, "<li>{}</li>", esc(line));
            }
            evidence.push_str("</ul></details>");
        }
        if let Some(note) = &control.note {
            let _ = write!(evidence, "<p class=\"muted\">Note: {}</p>", esc(note));
        }
        let title = if control.standard.is_none() {
            format!("<b>{}</b>", esc(&control.title))
        } else {
            esc(&control.title)
        };
        let _ = write!(
            out,
            "<tr><td>{indent}{}</td><td>{title}<div class=\"muted\">{}</div></td><td>{}</td>\
             <td>{}</td><td>{evidence}</td></tr>",
            esc(&control.id),
            esc(&control.objective),
            control.requirement.letter(),
            pill(control.status)
        );
    }
    out.push_str("</table></section>\n");
}

fn join_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
