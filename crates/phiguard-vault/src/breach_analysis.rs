//! Breach analysis: which subjects' PHI the actors under investigation received in an
//! incident's window, at which levels, and where those subjects live.
//!
//! The exposure comes from the audit trail alone — what the vault recorded as disclosed, per
//! category and level — never from guesses about what an actor might have seen. The state of
//! residence comes from each subject's address opened at the *masked* level only (city, state,
//! ZIP3), from which nothing but the state is kept; each such opening is a `read_record` of the
//! breach-analysis system job under purpose `HCOMPL`, recorded like any other read.

use std::collections::{BTreeMap, BTreeSet};

use phiguard_core::{
    ActorId, AuditAction, Category, Decision, Disclosure, Disclosures, EvidenceRef, Outcome,
    PurposeOfUse, SubjectId, TenantId, Timestamp,
};
use phiguard_store::{AuditQuery, Change};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Caller, SystemJob, Vault, VaultError};

/// Events read per page of the audit trail.
const PAGE: u32 = 5_000;

/// The keys of an address that name a state, most specific first.
const STATE_KEYS: [&str; 6] = [
    "province_code",
    "provinceCode",
    "state_code",
    "stateCode",
    "state",
    "province",
];

/// The record types whose address is the subject's own home (a FHIR `Patient`), preferred
/// over addresses found in other records (a shipping address).
const OWN_ADDRESS_TYPES: [&str; 1] = ["fhir.Patient"];

/// What the audit trail shows the actors under investigation received in a window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// Every event of the actors in the window, allowed or not.
    pub events: u64,
    /// The events that disclosed PHI.
    pub disclosing_events: u64,
    /// Per subject, the highest level each category left the vault at.
    pub subjects: BTreeMap<SubjectId, BTreeMap<Category, Disclosure>>,
    /// The first and last disclosing events, for the record.
    pub first_event: Option<EvidenceRef>,
    /// The last disclosing event.
    pub last_event: Option<EvidenceRef>,
}

impl Exposure {
    /// How many subjects had each category disclosed, at any level.
    pub fn categories(&self) -> BTreeMap<Category, u64> {
        let mut counts = BTreeMap::new();
        for categories in self.subjects.values() {
            for category in categories.keys() {
                *counts.entry(*category).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// Where one subject lives, as far as the vault can tell without opening more than a masked
/// address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residence {
    /// The state text of the subject's address (a code or a name), when one was found.
    pub state: Option<String>,
    /// Whether any of the subject's records holds contact details or an address to send a
    /// notice to (known from which parts are stored, without opening them).
    pub reachable: bool,
}

impl Vault {
    /// What `actors` received from `tenant` in `[start, end)`, from the audit trail.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn exposure(
        &self,
        tenant: &TenantId,
        actors: &[ActorId],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Exposure, VaultError> {
        let mut exposure = Exposure::default();
        for actor in actors {
            let mut after = None;
            loop {
                let query = AuditQuery {
                    actor: Some(actor.clone()),
                    since: Some(start),
                    until: Some(end),
                    after_seq: after,
                    limit: PAGE,
                    ..AuditQuery::default()
                };
                let page = self.store().audit_events(tenant, &query)?;
                let Some(last) = page.last() else { break };
                after = Some(last.seq);

                for stored in &page {
                    exposure.events += 1;
                    let event = &stored.event;
                    let Some(subject) = &event.subject else {
                        continue;
                    };
                    if event.decision != Decision::Allow || event.disclosed.is_empty() {
                        continue;
                    }

                    exposure.disclosing_events += 1;
                    let evidence = EvidenceRef {
                        seq: stored.seq,
                        leaf: stored.leaf_index,
                    };
                    exposure.first_event = exposure.first_event.or(Some(evidence));
                    exposure.last_event = Some(evidence);
                    let categories = exposure.subjects.entry(subject.clone()).or_default();
                    for (category, level) in &event.disclosed {
                        let kept = categories.entry(*category).or_insert(*level);
                        if level > kept {
                            *kept = *level;
                        }
                    }
                }
                if page.len() < PAGE as usize {
                    break;
                }
            }
        }
        Ok(exposure)
    }

    /// Where each subject lives and whether it can be reached, read as the breach-analysis
    /// job. Each record whose address is opened is recorded as a `read_record` disclosing the
    /// address masked; disposed subjects are skipped (their keys are gone).
    ///
    /// # Errors
    ///
    /// Storage or decryption failures.
    pub async fn residences(
        &self,
        tenant: &TenantId,
        subjects: &BTreeSet<SubjectId>,
    ) -> Result<BTreeMap<SubjectId, Residence>, VaultError> {
        let analyst = Caller::system(tenant.clone(), SystemJob::BreachAnalysis)
            .with_purpose(Some(PurposeOfUse::Hcompl));
        let mut masked_address = Disclosures::withhold_all();
        masked_address.raise(Category::Address, Disclosure::Masked);

        let mut residences = BTreeMap::new();
        for subject in subjects {
            let Some(stored) = self.store().subject(tenant, subject)? else {
                continue;
            };
            if stored.disposed_at.is_some() {
                continue;
            }

            let mut changes = Vec::new();
            let mut residence = Residence {
                state: None,
                reachable: false,
            };
            let mut own_address = false;
            let mut after = None;
            loop {
                let records =
                    self.store()
                        .records_of_subject(tenant, subject, after.as_ref(), 200)?;
                let Some(last) = records.last() else { break };
                after = Some(last.id.clone());

                for record in &records {
                    let parts = self.store().record_parts(tenant, &record.id)?;
                    let has =
                        |category: Category| parts.iter().any(|p| p.part == category.as_str());
                    let has_address = has(Category::Address);
                    residence.reachable |= has_address || has(Category::Contact);
                    let own = OWN_ADDRESS_TYPES.contains(&record.record_type.as_str());
                    if !has_address || (own_address && !own) {
                        continue;
                    }

                    let (document, _) = self.open_record(record, &masked_address)?;
                    let mut event = self.event(
                        &analyst,
                        AuditAction::ReadRecord,
                        Decision::Allow,
                        Outcome::Success,
                    );
                    event.subject = Some(subject.clone());
                    event.record = Some(record.id.clone());
                    event.record_type = Some(record.record_type.clone());
                    event
                        .disclosed
                        .insert(Category::Address, Disclosure::Masked);
                    event.policies = vec!["breach-analysis".into()];
                    changes.push(Change::Audit(event));

                    let value: Value = serde_json::from_str(document.get())
                        .map_err(|e| VaultError::internal("an opened record", e))?;
                    if let Some(state) = state_of(&value) {
                        if own || residence.state.is_none() {
                            residence.state = Some(state);
                        }
                        own_address |= own;
                    }
                }
                if records.len() < 200 {
                    break;
                }
            }

            // Log before use: the reads are durable before the states are handed on.
            if !changes.is_empty() {
                self.store().submit(changes).await?;
            }
            residences.insert(subject.clone(), residence);
        }
        Ok(residences)
    }
}

/// The first state named in a (masked) document, searching depth first and preferring codes.
fn state_of(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            for key in STATE_KEYS {
                if let Some(Value::String(text)) = map.get(key)
                    && !text.trim().is_empty()
                {
                    return Some(text.trim().to_owned());
                }
            }
            map.values().find_map(state_of)
        }
        Value::Array(items) => items.iter().find_map(state_of),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_are_found_in_fhir_and_shopify_shapes() {
        let fhir = json!({"resourceType": "Patient",
                          "address": [{"city": "Boston", "state": "MA", "postalCode": "021"}]});
        assert_eq!(state_of(&fhir).as_deref(), Some("MA"));

        let shopify = json!({"shipping_address": {"province": "Texas", "province_code": "TX"}});
        assert_eq!(state_of(&shopify).as_deref(), Some("TX"));

        assert_eq!(state_of(&json!({"address": [{"city": "Boston"}]})), None);
        assert_eq!(state_of(&json!({"state": "  "})), None);
    }
}
