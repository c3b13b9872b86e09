//! The data-flow map: every place PHI goes, derived from the inventory and the scan.
//!
//! Four columns, left to right: the surfaces people use, the systems behind them, the data
//! stores those systems keep, and the third parties they send data to. A flow is risky when PHI
//! goes to a party without a BAA or into a store that is not encrypted; scan findings add the
//! flows the code really makes, including to parties the inventory does not list. The map is
//! rendered as Graphviz DOT for people who have Graphviz, and as SVG drawn here so the HTML
//! report needs nothing else.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use phiguard_inventory::{AtRest, BaaStatus, InTransit, Inventory};
use serde::{Deserialize, Serialize};

use crate::evidence::ScanEvidence;

/// A node's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// Pages and screens.
    Surface,
    /// Applications and services.
    System,
    /// Databases, caches, indexes, backups, log sinks.
    Store,
    /// Third parties.
    Party,
}

/// A place on the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// `surface:checkout`, `system:storefront`, `store:rx-db`, `party:stripe`.
    pub id: String,
    /// The column.
    pub column: Column,
    /// The label.
    pub label: String,
    /// A second line: kind, engine, BAA status.
    pub detail: String,
    /// Whether the node holds or receives PHI.
    pub phi: bool,
    /// Why the node is a risk, when it is one.
    pub risk: Option<String>,
}

/// A flow between two places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// The node data leaves.
    pub from: String,
    /// The node data reaches.
    pub to: String,
    /// What flows: PHI categories, or `PHI (tracker on an authenticated page)`.
    pub label: String,
    /// Whether PHI flows.
    pub phi: bool,
    /// Why the flow is a risk, when it is one.
    pub risk: Option<String>,
    /// Scan findings that show the flow in code.
    pub findings: usize,
}

/// The whole map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowMap {
    /// Nodes, by column and then by inventory order.
    pub nodes: Vec<Node>,
    /// Edges, in a stable order.
    pub edges: Vec<Edge>,
}

impl FlowMap {
    /// Derives the map.
    pub fn derive(inventory: &Inventory, scan: Option<&ScanEvidence>) -> FlowMap {
        let mut map = FlowMap::default();

        let phi_systems: Vec<&str> = inventory
            .systems
            .iter()
            .filter(|s| s.handles_phi)
            .map(|s| s.id.as_str())
            .collect();

        for surface in &inventory.surfaces {
            let sees_phi = surface.trackers_see_phi() || surface.health_context;
            map.nodes.push(Node {
                id: format!("surface:{}", surface.id),
                column: Column::Surface,
                label: surface.id.clone(),
                detail: format!(
                    "{}, {}",
                    snake(&format!("{:?}", surface.kind)),
                    snake(&format!("{:?}", surface.audience))
                ),
                phi: sees_phi,
                risk: None,
            });
            map.edges.push(Edge {
                from: format!("surface:{}", surface.id),
                to: format!("system:{}", surface.system.get_ref()),
                label: if sees_phi {
                    "PHI entered or shown"
                } else {
                    "page views"
                }
                .to_owned(),
                phi: sees_phi,
                risk: None,
                findings: 0,
            });
        }

        for system in &inventory.systems {
            map.nodes.push(Node {
                id: format!("system:{}", system.id),
                column: Column::System,
                label: system.id.clone(),
                detail: system
                    .hosting
                    .clone()
                    .unwrap_or_else(|| snake(&format!("{:?}", system.kind))),
                phi: system.handles_phi,
                risk: None,
            });
        }

        for store in &inventory.data_stores {
            let unencrypted = store.holds_phi
                && matches!(store.encryption_at_rest, AtRest::None | AtRest::Unknown);
            let plaintext_wire = store.holds_phi
                && matches!(
                    store.encryption_in_transit,
                    InTransit::None | InTransit::Unknown
                );
            map.nodes.push(Node {
                id: format!("store:{}", store.id),
                column: Column::Store,
                label: store.id.clone(),
                detail: store
                    .engine
                    .clone()
                    .unwrap_or_else(|| snake(&format!("{:?}", store.kind))),
                phi: store.holds_phi,
                risk: unencrypted.then(|| "PHI not known to be encrypted at rest".to_owned()),
            });
            let (from, label) = match &store.backup_of {
                Some(original) => (format!("store:{}", original.get_ref()), "backup".to_owned()),
                None => (
                    format!("system:{}", store.system.get_ref()),
                    category_label(&store.categories, store.holds_phi),
                ),
            };
            map.edges.push(Edge {
                from,
                to: format!("store:{}", store.id),
                label,
                phi: store.holds_phi,
                risk: if unencrypted {
                    Some("into a store not known to be encrypted at rest".to_owned())
                } else if plaintext_wire {
                    Some("over a connection not known to use TLS".to_owned())
                } else {
                    None
                },
                findings: 0,
            });
        }

        let surface_systems: Vec<&str> = inventory
            .surfaces
            .iter()
            .filter(|s| s.trackers_see_phi())
            .map(|s| s.system.get_ref().as_str())
            .collect();
        for integration in &inventory.integrations {
            let receives = !integration.categories.is_empty();
            let uncovered = !integration.baa.covers_phi();
            let mut party_phi = receives;
            for system in &integration.systems {
                let tracker_on_phi_page = !receives
                    && surface_systems.contains(&system.get_ref().as_str())
                    && phi_systems.contains(&system.get_ref().as_str())
                    && is_tracker(integration.kind);
                let phi = receives || tracker_on_phi_page;
                party_phi |= phi;
                let label = if receives {
                    category_label(&integration.categories, true)
                } else if tracker_on_phi_page {
                    "PHI (tracker on authenticated or checkout pages)".to_owned()
                } else {
                    "no PHI declared".to_owned()
                };
                map.edges.push(Edge {
                    from: format!("system:{}", system.get_ref()),
                    to: format!("party:{}", integration.id),
                    label,
                    phi,
                    risk: (phi && uncovered).then(|| "PHI to a party without a BAA".to_owned()),
                    findings: 0,
                });
            }
            map.nodes.push(Node {
                id: format!("party:{}", integration.id),
                column: Column::Party,
                label: integration.vendor.clone(),
                detail: format!("BAA {}", baa_label(integration.baa)),
                phi: party_phi,
                risk: (party_phi && uncovered).then(|| "receives PHI without a BAA".to_owned()),
            });
        }

        if let Some(scan) = scan {
            map.add_scan_flows(inventory, scan);
        }
        map.nodes.sort_by_key(|node| node.column);
        map
    }

    fn add_scan_flows(&mut self, inventory: &Inventory, scan: &ScanEvidence) {
        let matcher = inventory.surface_matcher();
        // Per flow: how many findings show it, and whether a signed BAA covers the recipient.
        let mut seen: BTreeMap<(String, String), (usize, bool)> = BTreeMap::new();
        for finding in &scan.findings {
            let Some(recipient) = &finding.recipient else {
                continue;
            };
            let from = matcher
                .surfaces_for(&finding.path)
                .first()
                .map(|surface| format!("system:{}", surface.system.get_ref()))
                .or_else(|| {
                    inventory
                        .systems
                        .iter()
                        .find(|s| s.kind == phiguard_inventory::SystemKind::Storefront)
                        .map(|s| format!("system:{}", s.id))
                })
                .unwrap_or_else(|| "system:code".to_owned());
            let (to, covered) = match inventory.integration_for_vendor(recipient) {
                Some(integration) => (
                    format!("party:{}", integration.id),
                    integration.baa.covers_phi(),
                ),
                None => (format!("party:unlisted-{}", slug(recipient)), false),
            };
            seen.entry((from, to)).or_insert((0, covered)).0 += 1;
        }

        for ((from, to), (count, covered)) in seen {
            if !self.nodes.iter().any(|n| n.id == from) {
                self.nodes.push(Node {
                    id: from.clone(),
                    column: Column::System,
                    label: "scanned code".to_owned(),
                    detail: "not in the inventory".to_owned(),
                    phi: true,
                    risk: None,
                });
            }
            if let Some(node) = self.nodes.iter_mut().find(|n| n.id == to) {
                node.phi = true;
                if node.risk.is_none() && !covered {
                    node.risk = Some("code sends it PHI without a BAA".to_owned());
                }
            } else {
                let vendor = to.trim_start_matches("party:unlisted-").to_owned();
                self.nodes.push(Node {
                    id: to.clone(),
                    column: Column::Party,
                    label: vendor,
                    detail: "not in the inventory".to_owned(),
                    phi: true,
                    risk: Some("receives PHI in code, unknown to the inventory".to_owned()),
                });
            }
            match self.edges.iter_mut().find(|e| e.from == from && e.to == to) {
                Some(edge) => {
                    edge.findings += count;
                    edge.phi = true;
                    if !covered && edge.risk.is_none() {
                        edge.risk = Some("PHI to a party without a BAA (seen in code)".into());
                    }
                }
                None => self.edges.push(Edge {
                    from,
                    to,
                    label: "PHI (seen in code)".to_owned(),
                    phi: true,
                    risk: (!covered).then(|| "PHI to a party without a BAA (seen in code)".into()),
                    findings: count,
                }),
            }
        }
    }

    /// Flows that are risks.
    pub fn risky_edges(&self) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(|edge| edge.risk.is_some())
    }

    /// The map as Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph phi_flows {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", \
             fontname=\"Helvetica\", fillcolor=\"#ffffff\"];\n  edge [fontname=\"Helvetica\", \
             fontsize=10];\n",
        );
        for column in [
            Column::Surface,
            Column::System,
            Column::Store,
            Column::Party,
        ] {
            out.push_str("  { rank=same;");
            for node in self.nodes.iter().filter(|n| n.column == column) {
                let _ = write!(out, " \"{}\";", dot_escape(&node.id));
            }
            out.push_str(" }\n");
        }
        for node in &self.nodes {
            let fill = match (&node.risk, node.phi) {
                (Some(_), _) => "#f8d7da",
                (None, true) => "#fff3cd",
                (None, false) => "#ffffff",
            };
            let _ = writeln!(
                out,
                "  \"{}\" [label=\"{}\\n{}\", fillcolor=\"{fill}\"];",
                dot_escape(&node.id),
                dot_escape(&node.label),
                dot_escape(&node.detail)
            );
        }
        for edge in &self.edges {
            let (color, style) = match (&edge.risk, edge.phi) {
                (Some(_), _) => ("#c0392b", "bold"),
                (None, true) => ("#b7791f", "solid"),
                (None, false) => ("#999999", "dashed"),
            };
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [label=\"{}\", color=\"{color}\", style={style}];",
                dot_escape(&edge.from),
                dot_escape(&edge.to),
                dot_escape(&edge.label)
            );
        }
        out.push_str("}\n");
        out
    }

    /// The map as a standalone SVG element.
    pub fn to_svg(&self) -> String {
        const WIDTH: f64 = 210.0;
        const HEIGHT: f64 = 46.0;
        const GAP_X: f64 = 90.0;
        const GAP_Y: f64 = 18.0;
        const TOP: f64 = 40.0;

        // Three lanes: surfaces, systems, and on the right the data stores with the third
        // parties stacked under them, so that no flow from a system to a party crosses a store.
        let lane = |column: Column| match column {
            Column::Surface => 0.0,
            Column::System => 1.0,
            Column::Store | Column::Party => 2.0,
        };
        let count = |column: Column| self.nodes.iter().filter(|n| n.column == column).count();
        let party_top = TOP + count(Column::Store) as f64 * (HEIGHT + GAP_Y) + 36.0;
        let mut places: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        let mut bottom: f64 = TOP;
        for column in [
            Column::Surface,
            Column::System,
            Column::Store,
            Column::Party,
        ] {
            let top = if column == Column::Party {
                party_top
            } else {
                TOP
            };
            for (r, node) in self.nodes.iter().filter(|n| n.column == column).enumerate() {
                let x = 20.0 + lane(column) * (WIDTH + GAP_X);
                let y = top + r as f64 * (HEIGHT + GAP_Y);
                places.insert(node.id.as_str(), (x, y));
                bottom = bottom.max(y + HEIGHT);
            }
        }
        let total_w = 40.0 + 3.0 * WIDTH + 2.0 * GAP_X + 60.0;
        let total_h = bottom + 60.0;

        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {total_w} {total_h}\" \
             width=\"{total_w}\" height=\"{total_h}\" role=\"img\" \
             aria-label=\"Data-flow map of PHI\" font-family=\"Helvetica, Arial, sans-serif\">\n\
             <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 \
             5L0 10z\" fill=\"context-stroke\"/></marker></defs>\n"
        );
        let right = 20.0 + 2.0 * (WIDTH + GAP_X);
        for (x, y, title) in [
            (20.0, 22.0, "Surfaces"),
            (20.0 + WIDTH + GAP_X, 22.0, "Systems"),
            (right, 22.0, "Data stores"),
            (right, party_top - 14.0, "Third parties"),
        ] {
            let _ = writeln!(
                out,
                "<text x=\"{x}\" y=\"{y}\" font-size=\"14\" font-weight=\"bold\" \
                 fill=\"#333\">{title}</text>"
            );
        }

        for edge in &self.edges {
            let (Some(&(x1, y1)), Some(&(x2, y2))) =
                (places.get(edge.from.as_str()), places.get(edge.to.as_str()))
            else {
                continue;
            };
            let (color, width, dash) = match (&edge.risk, edge.phi) {
                (Some(_), _) => ("#c0392b", 2.5, ""),
                (None, true) => ("#b7791f", 1.5, ""),
                (None, false) => ("#9aa0a6", 1.0, " stroke-dasharray=\"4 3\""),
            };
            let path = if (x1 - x2).abs() < f64::EPSILON {
                let x = x1 + WIDTH;
                let (a, b) = (y1 + HEIGHT / 2.0, y2 + HEIGHT / 2.0);
                format!("M{x} {a} C{} {a} {} {b} {x} {b}", x + 40.0, x + 40.0)
            } else {
                let (sx, sy) = (x1 + WIDTH, y1 + HEIGHT / 2.0);
                let (ex, ey) = (x2, y2 + HEIGHT / 2.0);
                let mid = (sx + ex) / 2.0;
                format!("M{sx} {sy} C{mid} {sy} {mid} {ey} {ex} {ey}")
            };
            let title = match &edge.risk {
                Some(risk) => format!("{}: {risk}", edge.label),
                None => edge.label.clone(),
            };
            let _ = writeln!(
                out,
                "<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"\
                 {dash} marker-end=\"url(#arrow)\"><title>{}</title></path>",
                xml_escape(&title)
            );
        }

        for node in &self.nodes {
            let Some(&(x, y)) = places.get(node.id.as_str()) else {
                continue;
            };
            let (fill, stroke) = match (&node.risk, node.phi) {
                (Some(_), _) => ("#f8d7da", "#c0392b"),
                (None, true) => ("#fff3cd", "#b7791f"),
                (None, false) => ("#ffffff", "#9aa0a6"),
            };
            let title = match &node.risk {
                Some(risk) => format!("{} — {risk}", node.label),
                None => node.label.clone(),
            };
            let _ = writeln!(
                out,
                "<g><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{WIDTH}\" \
                 height=\"{HEIGHT}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#111\">{}</text>\
                 <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}</text></g>",
                xml_escape(&title),
                x + 8.0,
                y + 19.0,
                xml_escape(&truncate(&node.label, 28)),
                x + 8.0,
                y + 36.0,
                xml_escape(&truncate(&node.detail, 32))
            );
        }

        let legend_y = total_h - 22.0;
        let _ = writeln!(
            out,
            "<g font-size=\"12\"><rect x=\"20\" y=\"{}\" width=\"14\" height=\"14\" \
             fill=\"#f8d7da\" stroke=\"#c0392b\"/><text x=\"40\" y=\"{legend_y}\">risk: no BAA or \
             not encrypted</text><rect x=\"250\" y=\"{}\" width=\"14\" height=\"14\" \
             fill=\"#fff3cd\" stroke=\"#b7791f\"/><text x=\"270\" y=\"{legend_y}\">holds or \
             receives PHI</text><rect x=\"440\" y=\"{}\" width=\"14\" height=\"14\" \
             fill=\"#ffffff\" stroke=\"#9aa0a6\"/><text x=\"460\" y=\"{legend_y}\">no PHI \
             declared</text></g>",
            legend_y - 11.0,
            legend_y - 11.0,
            legend_y - 11.0
        );
        out.push_str("</svg>\n");
        out
    }
}

fn is_tracker(kind: phiguard_inventory::IntegrationKind) -> bool {
    use phiguard_inventory::IntegrationKind::*;
    matches!(kind, Analytics | Advertising | SessionReplay | Marketing)
}

fn baa_label(baa: BaaStatus) -> &'static str {
    match baa {
        BaaStatus::Signed => "signed",
        BaaStatus::NotSigned => "not signed",
        BaaStatus::NotRequired => "not required (claimed)",
        BaaStatus::Unknown => "unknown",
    }
}

fn category_label(categories: &[phiguard_core::Category], phi: bool) -> String {
    if categories.is_empty() {
        return if phi { "PHI" } else { "no PHI" }.to_owned();
    }
    let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    names.join(", ")
}

/// `StorefrontPage` as the inventory spells it: `storefront_page`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Replaces the Unicode bidirectional controls (U+202A–U+202E, U+2066–U+2069), which can make
/// a name read as something else, with U+FFFD.
pub(crate) fn without_bidi_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Escapes text for XML and HTML.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => out.push('\u{FFFD}'),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
