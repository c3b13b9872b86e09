//! The assessment as OSCAL 1.0.6 JSON: assessment results and a plan of action and milestones.
//!
//! Identifiers are name-based: each UUID is derived from SHA-256 of the platform, the regime
//! and what it names (a control, a check, a gap), with the version nibble set to 5 and the
//! RFC 4122 variant bits, so the same inputs give the same documents. Control ids become OSCAL
//! tokens by replacing the citation's punctuation (`164.312(a)(2)(iv)` →
//! `hipaa-164.312-a-2-iv`); the citation itself travels in a property.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::assessment::{Assessment, Gap};
use crate::status::Status;

/// The OSCAL version the documents declare, and whose schemas the tests validate against.
pub const OSCAL_VERSION: &str = "1.0.6";

/// The namespace of phiguard's own property and facet names.
pub const NAMESPACE: &str = "https://phiguard.dev/ns/oscal";

/// A name-based UUID in the textual form OSCAL wants.
pub fn uuid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut bytes: [u8; 16] = [0; 16];
    bytes.copy_from_slice(&hasher.finalize()[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A control citation as an OSCAL token.
pub fn control_token(citation: &str) -> String {
    let mut token = String::from("hipaa-");
    for c in citation.chars() {
        match c {
            '(' => token.push('-'),
            ')' => {}
            c if c.is_ascii_alphanumeric() || c == '.' => token.push(c),
            _ => token.push('_'),
        }
    }
    token
}

fn seed(a: &Assessment) -> [String; 2] {
    [a.platform.name.clone(), a.regime.id.to_string()]
}

fn metadata(a: &Assessment, title: &str) -> Value {
    let party = uuid(&[&a.platform.name, "party", &a.platform.owner]);
    json!({
        "title": title,
        "last-modified": a.generated_at.to_string(),
        "version": format!("{}", a.as_of),
        "oscal-version": OSCAL_VERSION,
        "props": [
            { "name": "regime", "ns": NAMESPACE, "value": a.regime.id.to_string() },
            { "name": "as-of", "ns": NAMESPACE, "value": a.as_of.to_string() },
        ],
        "roles": [ { "id": "system-owner", "title": "System owner" } ],
        "parties": [ { "uuid": party, "type": "organization", "name": a.platform.owner } ],
        "responsible-parties": [ { "role-id": "system-owner", "party-uuids": [party] } ],
    })
}

fn tool_origin(a: &Assessment) -> Value {
    json!({ "actors": [ { "type": "tool", "actor-uuid": tool_uuid(a) } ] })
}

fn tool_uuid(a: &Assessment) -> String {
    uuid(&[&a.tool, &a.tool_version])
}

fn observation_uuid(a: &Assessment, control: &str, check: &str) -> String {
    let [platform, regime] = seed(a);
    uuid(&[&platform, &regime, "observation", control, check])
}

fn risk_uuid(a: &Assessment, control: &str) -> String {
    let [platform, regime] = seed(a);
    uuid(&[&platform, &regime, "risk", control])
}

fn text(value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        "none".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn observations(a: &Assessment) -> Vec<Value> {
    let mut observations = Vec::new();
    for control in &a.controls {
        for check in &control.checks {
            let method = match check.check.source() {
                crate::checks::Source::Scan | crate::checks::Source::Vault => "TEST",
                _ => "EXAMINE",
            };
            let mut description = text(&check.summary);
            for line in &check.details {
                description.push_str("\n\n- ");
                description.push_str(line);
            }
            observations.push(json!({
                "uuid": observation_uuid(a, &control.id, &check.check.to_string()),
                "title": format!("{} for {}", check.check, control.id),
                "description": description,
                "props": [
                    { "name": "check", "ns": NAMESPACE, "value": check.check.to_string() },
                    { "name": "status", "ns": NAMESPACE, "value": status_token(check.status) },
                ],
                "methods": [method],
                "types": ["control-objective"],
                "origins": [tool_origin(a)],
                "collected": a.generated_at.to_string(),
            }));
        }
    }
    observations
}

fn risk(a: &Assessment, gap: &Gap) -> Value {
    let effort = format!("{:.1}", gap.effort_weeks);
    let facet =
        |name: &str, value: String| json!({ "name": name, "system": NAMESPACE, "value": value });
    json!({
        "uuid": risk_uuid(a, &gap.control),
        "title": format!("{} {}: {}", gap.control, gap.title, gap.status.label()),
        "description": text(&gap.risk.reasoning),
        "statement": text(&format!("{} Penalty exposure: {}", gap.remediation, gap.exposure.note)),
        "props": [
            { "name": "control", "ns": NAMESPACE, "value": gap.control },
            { "name": "quarter", "ns": NAMESPACE, "value": gap.quarter },
            { "name": "effort-weeks", "ns": NAMESPACE, "value": effort },
        ],
        "status": "open",
        "characterizations": [ {
            "origin": tool_origin(a),
            "facets": [
                facet("likelihood", gap.risk.likelihood.to_string()),
                facet("impact", gap.risk.impact.to_string()),
                facet("risk-score", gap.risk.score.to_string()),
                facet("risk-level", gap.risk.level.clone()),
            ],
        } ],
        "remediations": [ {
            "uuid": uuid(&[&a.platform.name, "remediation", &gap.control]),
            "lifecycle": "recommendation",
            "title": format!("Close {}", gap.control),
            "description": text(&gap.remediation),
        } ],
    })
}

fn status_token(status: Status) -> String {
    status.label().replace(' ', "-")
}

/// The assessment-results document.
pub fn assessment_results(a: &Assessment) -> Value {
    let [platform, regime] = seed(a);
    let assessed: Vec<_> = a.controls.iter().filter(|c| c.assessed_unit).collect();
    let findings: Vec<Value> = assessed
        .iter()
        .map(|control| {
            let state = if control.status == Status::Met {
                "satisfied"
            } else {
                "not-satisfied"
            };
            let reason = match control.status {
                Status::Met => "pass",
                Status::NotMet | Status::PartiallyMet => "fail",
                _ => "other",
            };
            let mut finding = json!({
                "uuid": uuid(&[&platform, &regime, "finding", &control.id]),
                "title": format!("{} {}", control.id, control.title),
                "description": format!(
                    "{} Status: {}.",
                    text(&control.objective),
                    control.status.label()
                ),
                "props": [
                    { "name": "citation", "ns": NAMESPACE, "value": control.id },
                    { "name": "requirement", "ns": NAMESPACE,
                      "value": format!("{:?}", control.requirement).to_lowercase() },
                    { "name": "status", "ns": NAMESPACE, "value": status_token(control.status) },
                ],
                "target": {
                    "type": "objective-id",
                    "target-id": control_token(&control.id),
                    "status": { "state": state, "reason": reason },
                },
            });
            let related: Vec<Value> = control
                .checks
                .iter()
                .map(|c| observation_uuid(a, &control.id, &c.check.to_string()))
                .map(|uuid| json!({ "observation-uuid": uuid }))
                .collect();
            if !related.is_empty() {
                finding["related-observations"] = Value::Array(related);
            }
            if a.gaps.iter().any(|g| g.control == control.id) {
                finding["related-risks"] = json!([{ "risk-uuid": risk_uuid(a, &control.id) }]);
            }
            if let Some(reason) = &control.not_applicable {
                finding["remarks"] = Value::String(text(reason));
            }
            finding
        })
        .collect();

    let mut result = json!({
        "uuid": uuid(&[&platform, &regime, "result", &a.as_of.to_string()]),
        "title": format!("{} as of {}", a.regime.title, a.as_of),
        "description": format!(
            "Gap assessment of {} by phiguard assess from evidence: {}.",
            a.platform.name,
            a.sources.iter().map(|s| s.description.clone()).collect::<Vec<_>>().join("; ")
        ),
        "start": a.generated_at.to_string(),
        "reviewed-controls": {
            "control-selections": [ {
                "include-controls": assessed
                    .iter()
                    .map(|c| json!({ "control-id": control_token(&c.id) }))
                    .collect::<Vec<_>>(),
            } ],
        },
        "findings": findings,
    });
    let observations = observations(a);
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    let risks: Vec<Value> = a.gaps.iter().map(|gap| risk(a, gap)).collect();
    if !risks.is_empty() {
        result["risks"] = Value::Array(risks);
    }

    json!({
        "assessment-results": {
            "uuid": uuid(&[&platform, &regime, "assessment-results"]),
            "metadata": metadata(a, &format!("HIPAA assessment results: {}", a.platform.name)),
            "import-ap": {
                "href": format!("urn:phiguard:catalog:{}", a.regime.id),
                "remarks": "phiguard's assessment plan is its shipped control catalog for \
                            this regime.",
            },
            "results": [result],
        }
    })
}

/// The plan of action and milestones: one item per gap, with its risk.
pub fn poam(a: &Assessment) -> Value {
    let [platform, regime] = seed(a);
    let items: Vec<Value> = a
        .gaps
        .iter()
        .map(|gap| {
            let effort = format!("{:.1}", gap.effort_weeks);
            let owner = if gap.owners.is_empty() {
                a.platform.owner.clone()
            } else {
                gap.owners.join(", ")
            };
            json!({
                "uuid": uuid(&[&platform, &regime, "poam-item", &gap.control]),
                "title": format!("{} {}", gap.control, gap.title),
                "description": text(&gap.remediation),
                "props": [
                    { "name": "milestone", "ns": NAMESPACE, "value": gap.quarter },
                    { "name": "effort-weeks", "ns": NAMESPACE, "value": effort },
                    { "name": "owner", "ns": NAMESPACE, "value": owner },
                ],
                "related-risks": [ { "risk-uuid": risk_uuid(a, &gap.control) } ],
            })
        })
        .collect();

    let title = format!("HIPAA plan of action and milestones: {}", a.platform.name);
    let mut document = json!({
        "uuid": uuid(&[&platform, &regime, "poam"]),
        "metadata": metadata(a, &title),
    });
    if items.is_empty() {
        // OSCAL wants at least one item; say plainly that nothing is open.
        document["poam-items"] = json!([{
            "uuid": uuid(&[&platform, &regime, "poam-item", "none"]),
            "title": "No open gaps",
            "description": "Every assessed control is met or does not apply.",
        }]);
    } else {
        document["risks"] = Value::Array(a.gaps.iter().map(|gap| risk(a, gap)).collect());
        document["poam-items"] = Value::Array(items);
    }
    json!({ "plan-of-action-and-milestones": document })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let one = uuid(&["a", "b"]);
        assert_eq!(one, uuid(&["a", "b"]));
        assert_ne!(one, uuid(&["ab"]));
        assert_eq!(one.len(), 36);
        assert_eq!(&one[14..15], "5");
        assert!(matches!(&one[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn citations_become_tokens() {
        assert_eq!(control_token("164.312(a)(2)(iv)"), "hipaa-164.312-a-2-iv");
        assert_eq!(
            control_token("164.308(a)(1)(ii)(A)"),
            "hipaa-164.308-a-1-ii-A"
        );
    }
}
