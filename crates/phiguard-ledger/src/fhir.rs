//! Ledger entries as FHIR R4 `AuditEvent` resources (<https://hl7.org/fhir/R4/auditevent.html>),
//! the form in which an accounting of disclosures travels to an EHR or a compliance tool.
//!
//! One entry becomes one `AuditEvent`: the actor as the requesting agent (identified by id,
//! never by name), the purpose of use as `purposeOfEvent` (HL7 v3 ActReason), the subject and
//! the record as entities, each disclosed category as a detail of the record entity, and the
//! entry's place in the ledger (index, leaf hash, inclusion proof) as details of a third entity,
//! so that every line of the rendering can still be checked against a signed checkpoint.
//! Like the entries they come from, the resources hold ids and codes only, never a PHI value.

use phiguard_core::{ActorKind, AuditAction, Outcome};
use serde_json::{Value, json};

use crate::entry::LedgerEntry;
use crate::hash::Hash;
use crate::proof::InclusionProof;

const AUDIT_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const SECURITY_ROLE: &str = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";

/// One ledger entry with what proves it: its leaf hash and, when there is one, its inclusion
/// proof against a checkpoint.
#[derive(Debug, Clone)]
pub struct ProvenAuditEvent {
    /// The entry.
    pub entry: LedgerEntry,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// Its inclusion proof, bound to the tree size it names.
    pub proof: Option<InclusionProof>,
}

/// The FHIR `AuditEvent.action` code and the `subtype` interaction of an action.
fn action_codes(action: AuditAction) -> (&'static str, &'static str) {
    use AuditAction as A;

    match action {
        A::ReadRecord | A::ReadConfiguration | A::ReadAudit | A::ReadAlerts | A::ReadIncident => {
            ("R", "read")
        }
        A::ListRecords | A::Search => ("E", "search-type"),
        A::Authenticate | A::ComputeBlastRadius => ("E", "operation"),
        A::CreateRecord
        | A::CreateSubject
        | A::CreateTenant
        | A::IssueCredential
        | A::Import
        | A::BreakGlass
        | A::RaiseAlert
        | A::OpenIncident => ("C", "create"),
        A::UpdateRecord
        | A::RestrictSubject
        | A::PutActor
        | A::PutPolicy
        | A::PutRecordType
        | A::RotateKeys
        | A::AssessIncident
        | A::DecideIncident
        | A::DelayNotification
        | A::RecordNotification => ("U", "update"),
        A::DisposeSubject | A::RevokeCredential | A::DeletePolicy => ("D", "delete"),
    }
}

/// The FHIR R4 outcome code: 0 success, 4 minor failure, 8 serious failure.
fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "0",
        Outcome::Denied | Outcome::NotFound | Outcome::Invalid => "4",
        Outcome::PolicyError | Outcome::Failed => "8",
    }
}

fn identifier(system: &str, value: &str) -> Value {
    json!({ "identifier": { "system": system, "value": value } })
}

/// One entry as an `AuditEvent` resource. `origin` is the log's checkpoint origin
/// (`<deployment>/phiguard/<tenant>`), which names the observing system.
pub fn audit_event(origin: &str, proven: &ProvenAuditEvent) -> Value {
    let entry = &proven.entry;
    let (action, interaction) = action_codes(entry.action);
    let tenant = entry.tenant.as_str();

    let agent_role = match entry.actor_kind {
        ActorKind::User => ("humanuser", "human user"),
        ActorKind::Service | ActorKind::System => ("dataprocessor", "data processor"),
    };
    let mut agent = json!({
        "type": { "coding": [{ "system": SECURITY_ROLE, "code": agent_role.0,
                               "display": agent_role.1 }] },
        "who": identifier(&format!("urn:phiguard:{tenant}:actor"), entry.actor.as_str()),
        "requestor": true,
        "policy": entry.policies.iter().map(|p| format!("urn:phiguard:{tenant}:policy:{p}"))
            .collect::<Vec<_>>(),
    });
    if entry.actor_kind == ActorKind::System {
        agent["altId"] = json!("system");
    }

    let mut entities = Vec::new();
    if let Some(subject) = &entry.subject {
        entities.push(json!({
            "what": identifier(&format!("urn:phiguard:{tenant}:subject"), subject.as_str()),
            "type": { "system": ENTITY_TYPE, "code": "1", "display": "Person" },
            "role": { "system": OBJECT_ROLE, "code": "1", "display": "Patient" },
        }));
    }
    if entry.record.is_some() || !entry.disclosed.is_empty() {
        let mut record = json!({
            "type": { "system": ENTITY_TYPE, "code": "2", "display": "System Object" },
            "detail": entry.disclosed.iter().map(|(category, level)| json!({
                "type": format!("disclosed:{}", category.as_str()),
                "valueString": level.as_str(),
            })).collect::<Vec<_>>(),
        });
        if let Some(id) = &entry.record {
            record["what"] = identifier(&format!("urn:phiguard:{tenant}:record"), id.as_str());
        }
        if let Some(record_type) = &entry.record_type {
            record["name"] = json!(record_type);
        }
        entities.push(record);
    }
    entities.push(ledger_entity(tenant, proven));

    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("{tenant}-{}", entry.index),
        "type": { "system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation" },
        "subtype": [{ "system": RESTFUL_INTERACTION, "code": interaction }],
        "action": action,
        "recorded": entry.time.to_string(),
        "outcome": outcome_code(entry.outcome),
        "outcomeDesc": format!("{} ({})", entry.outcome.as_str(), entry.decision.as_str()),
        "agent": [agent],
        "source": {
            "site": origin,
            "observer": { "display": format!("phiguard {origin}") },
            "type": [{ "system": SOURCE_TYPE, "code": "4", "display": "Application Server" }],
        },
        "entity": entities,
    });
    if let Some(purpose) = entry.purpose {
        event["purposeOfEvent"] = json!([{ "coding": [{
            "system": ACT_REASON, "code": purpose.code(), "display": purpose.title(),
        }] }]);
    }
    event
}

/// The entity that places the event in the ledger: index, leaf hash and inclusion proof.
fn ledger_entity(tenant: &str, proven: &ProvenAuditEvent) -> Value {
    let index = proven.entry.index;
    let mut details = vec![
        json!({ "type": "ledger-index", "valueString": index.to_string() }),
        json!({ "type": "leaf-hash", "valueBase64Binary": proven.leaf_hash.to_base64() }),
    ];
    if let Some(proof) = &proven.proof {
        details.push(json!({
            "type": "inclusion-proof-tree-size",
            "valueString": proof.tree_size.to_string(),
        }));
        for hash in &proof.hashes {
            details.push(json!({ "type": "inclusion-proof-hash", "valueBase64Binary":
                hash.to_base64() }));
        }
    }
    if let Some(request) = &proven.entry.request_id {
        details.push(json!({ "type": "request-id", "valueString": request.as_str() }));
    }
    json!({
        "what": identifier(&format!("urn:phiguard:{tenant}:ledger"), &index.to_string()),
        "type": { "system": ENTITY_TYPE, "code": "4", "display": "Other" },
        "detail": details,
    })
}

/// Several entries as a FHIR `Bundle` of type `collection`.
pub fn audit_bundle(origin: &str, events: &[ProvenAuditEvent]) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "total": events.len(),
        "entry": events.iter().map(|proven| json!({
            "fullUrl": format!("urn:phiguard:ledger:{}:{}", proven.entry.tenant,
                proven.entry.index),
            "resource": audit_event(origin, proven),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use phiguard_core::{
        AuditEvent, Category, Decision, Disclosure, PurposeOfUse, RecordId, SubjectId,
    };

    fn read(kind: ActorKind, outcome: Outcome) -> ProvenAuditEvent {
        let mut event = AuditEvent::new(
            "northwind".parse().unwrap(),
            "dr-okafor".parse().unwrap(),
            kind,
            AuditAction::ReadRecord,
            Decision::Allow,
            outcome,
        );
        event.purpose = Some(PurposeOfUse::Treat);
        event.subject = Some(SubjectId::from_random([1; 16]));
        event.record = Some(RecordId::from_random([2; 16]));
        event.disclosed.insert(Category::Name, Disclosure::Masked);
        event
            .disclosed
            .insert(Category::Clinical, Disclosure::Clear);
        let entry = LedgerEntry::from_event(9, &event);
        let leaf_hash = leaf_hash(&entry.encode().unwrap());
        ProvenAuditEvent {
            entry,
            leaf_hash,
            proof: Some(InclusionProof {
                leaf_index: 9,
                tree_size: 12,
                hashes: vec![leaf_hash, leaf_hash],
            }),
        }
    }

    #[test]
    fn a_read_becomes_an_audit_event_with_purpose_entities_and_proof() {
        let proven = read(ActorKind::User, Outcome::Success);
        let event = audit_event("phi.example.com/phiguard/northwind", &proven);

        assert_eq!(event["resourceType"], "AuditEvent");
        assert_eq!(event["action"], "R");
        assert_eq!(event["outcome"], "0");
        assert_eq!(event["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
        assert_eq!(event["agent"][0]["who"]["identifier"]["value"], "dr-okafor");
        assert_eq!(event["agent"][0]["type"]["coding"][0]["code"], "humanuser");
        let entities = event["entity"].as_array().unwrap();
        assert_eq!(entities.len(), 3);
        assert_eq!(
            entities[0]["what"]["identifier"]["value"],
            proven.entry.subject.as_ref().unwrap().as_str()
        );
        let disclosed: Vec<(&str, &str)> = entities[1]["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["type"].as_str().unwrap(),
                    d["valueString"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            disclosed,
            [
                ("disclosed:name", "masked"),
                ("disclosed:clinical", "clear")
            ]
        );
        let proof_hashes = entities[2]["detail"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["type"] == "inclusion-proof-hash")
            .count();
        assert_eq!(proof_hashes, 2);
    }

    #[test]
    fn failures_and_system_actors_are_coded_as_such() {
        let denied = audit_event(
            "o/phiguard/northwind",
            &read(ActorKind::User, Outcome::Denied),
        );
        assert_eq!(denied["outcome"], "4");
        let failed = audit_event(
            "o/phiguard/northwind",
            &read(ActorKind::System, Outcome::Failed),
        );
        assert_eq!(failed["outcome"], "8");
        assert_eq!(failed["agent"][0]["altId"], "system");
        assert_eq!(
            failed["agent"][0]["type"]["coding"][0]["code"],
            "dataprocessor"
        );
    }

    #[test]
    fn a_bundle_holds_one_resource_per_entry() {
        let events = [
            read(ActorKind::User, Outcome::Success),
            read(ActorKind::Service, Outcome::Success),
        ];
        let bundle = audit_bundle("o/phiguard/northwind", &events);
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["total"], 2);
        assert_eq!(bundle["entry"][1]["resource"]["resourceType"], "AuditEvent");
    }
}
