//! Bulk import of FHIR bundles and Shopify orders: parse everything, then seal everything, then
//! commit once — a malformed file stops the import before anything is stored.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use phiguard_core::{AuditAction, Decision, Outcome, SubjectId, TenantId, Timestamp};
use phiguard_crypto::{SecretKey, new_record_id, new_subject_id};
use phiguard_policy::{Action, Resource};
use phiguard_records::{SearchTerm, fhir, shopify};
use phiguard_store::{Change, Record, Subject};
use serde::Serialize;
use serde_json::Value;

use crate::keys::SUBJECT_KEY_VERSION;
use crate::{Caller, Vault, VaultError};

/// The field under which a record's id in its source system is blind-indexed, so that importing
/// the same file twice updates rather than duplicates.
const SOURCE_RECORD_FIELD: &str = "source_record";

/// What the input files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// FHIR R4 transaction or collection bundles, such as Synthea's output.
    FhirBundle,
    /// Shopify order webhook bodies (`orders/create`).
    ShopifyOrder,
}

impl ImportFormat {
    /// The format's name on the command line and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::FhirBundle => "fhir-bundle",
            ImportFormat::ShopifyOrder => "shopify-order",
        }
    }
}

impl std::str::FromStr for ImportFormat {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, VaultError> {
        match s {
            "fhir-bundle" => Ok(ImportFormat::FhirBundle),
            "shopify-order" => Ok(ImportFormat::ShopifyOrder),
            _ => Err(VaultError::InvalidInput {
                what: "the import format",
                reason: "expected fhir-bundle or shopify-order".into(),
            }),
        }
    }
}

/// Receives progress reports from a long import (the CLI draws a progress bar with them).
pub trait ImportProgress: Send + Sync {
    /// `done` of `total` files have been parsed and checked.
    fn parsed(&self, done: u64, total: u64);
    /// `done` of `total` records have been sealed.
    fn sealed(&self, done: u64, total: u64);
    /// Everything is sealed; the single commit is running.
    fn committing(&self);
}

/// Ignores progress.
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn parsed(&self, _: u64, _: u64) {}
    fn sealed(&self, _: u64, _: u64) {}
    fn committing(&self) {}
}

/// What an import stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// Files read.
    pub files: usize,
    /// Subjects created.
    pub subjects_created: usize,
    /// Subjects that already existed (matched by their source id).
    pub subjects_matched: usize,
    /// Records stored for the first time.
    pub records_created: usize,
    /// Records replaced because the same source record was imported before.
    pub records_updated: usize,
    /// Resources not imported, per resource type (organisations, practitioners, …).
    pub skipped: BTreeMap<String, usize>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// One subject's documents from the input, before anything is stored.
struct Planned {
    match_keys: Vec<SearchTerm>,
    records: Vec<(String, Value, Option<String>)>,
}

impl Vault {
    /// Imports files of one format into `tenant`, in one atomic commit. Run as the import
    /// system job from the CLI, or by an authenticated caller through the API (then each
    /// subject's records need `create_record`).
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidFile`] naming the first malformed file (nothing is stored);
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn import(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        format: ImportFormat,
        files: &[(String, Vec<u8>)],
        progress: &dyn ImportProgress,
    ) -> Result<ImportSummary, VaultError> {
        let started = Instant::now();
        let action = AuditAction::Import;
        if caller.tenant() != tenant {
            return Err(self
                .refuse(caller, action, None, None, crate::error::mismatch(tenant))
                .await);
        }
        if self.store().tenant(tenant)?.is_none() {
            return Err(self
                .refuse(
                    caller,
                    action,
                    None,
                    None,
                    VaultError::NotFound("the tenant"),
                )
                .await);
        }

        let mut summary = ImportSummary {
            files: files.len(),
            ..Default::default()
        };
        let planned = match parse_all(format, files, &mut summary, progress) {
            Ok(p) => p,
            Err(e) => return Err(self.refuse(caller, action, None, None, e).await),
        };

        let committed = self
            .store_planned(caller, tenant, planned, &mut summary, progress)
            .await;
        if let Err(e) = committed {
            return Err(self.refuse(caller, action, None, None, e).await);
        }
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Replacing a stored record overwrites what clinicians rely on, so only a caller who may
    /// read that record in full (every category in clear) may do it; phiguard's own import job
    /// (the command line) may too. Others — a storefront re-sending an order, say — are refused
    /// and the stored record stays as it was.
    fn check_may_replace(
        &self,
        caller: &Caller,
        previous: &Record,
        restricted: bool,
    ) -> Result<(), VaultError> {
        if caller.authenticated().is_none() {
            return Ok(());
        }

        let resource = Resource::Record {
            tenant: &previous.tenant,
            subject: &previous.subject,
            record: &previous.id,
            record_type: &previous.record_type,
            restricted,
        };
        let decision = self.decide(
            caller,
            &previous.tenant,
            Action::ReadRecord,
            resource,
            false,
        )?;
        let sees_everything = decision.is_allowed()
            && decision
                .disclosures
                .iter()
                .all(|(_, level)| level == phiguard_core::Disclosure::Clear);
        if sees_everything {
            Ok(())
        } else {
            Err(VaultError::Conflict(
                "the input would replace a record stored earlier, and only an actor who may \
                 read that record in full may replace it"
                    .into(),
            ))
        }
    }

    async fn store_planned(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        planned: Vec<Planned>,
        summary: &mut ImportSummary,
        progress: &dyn ImportProgress,
    ) -> Result<(), VaultError> {
        let index_key = self.keys.index_key(self.store(), tenant)?;
        let total: u64 = planned.iter().map(|p| p.records.len() as u64).sum();
        let now = Timestamp::now();

        let mut changes: Vec<Change> = Vec::new();
        let mut batch_subjects: HashMap<[u8; 16], SubjectId> = HashMap::new();
        let mut new_keys: HashMap<SubjectId, SecretKey> = HashMap::new();
        let mut sealed = 0u64;

        for plan in planned {
            let digests: Vec<(String, [u8; 16])> = plan
                .match_keys
                .iter()
                .map(|k| (k.field.clone(), index_key.digest(&k.field, &k.normalized)))
                .collect();

            let mut subject_id = None;
            for (field, digest) in &digests {
                if let Some(id) = batch_subjects.get(digest) {
                    subject_id = Some(id.clone());
                    break;
                }
                if let Some(id) = self.store().linked_subject(tenant, field, digest)? {
                    subject_id = Some(id);
                    summary.subjects_matched += 1;
                    break;
                }
            }
            let (subject_id, restricted) = match subject_id {
                Some(id) => {
                    let restricted = self
                        .store()
                        .subject(tenant, &id)?
                        .is_some_and(|s| s.restricted);
                    (id, restricted)
                }
                None => {
                    let id = new_subject_id()?;
                    new_keys.insert(id.clone(), SecretKey::generate()?);
                    changes.push(Change::InsertSubject(Subject {
                        tenant: tenant.clone(),
                        id: id.clone(),
                        restricted: false,
                        created_at: now,
                        disposed_at: None,
                    }));
                    let mut event = self.event(
                        caller,
                        AuditAction::CreateSubject,
                        Decision::Allow,
                        Outcome::Success,
                    );
                    event.subject = Some(id.clone());
                    changes.push(Change::Audit(event));
                    summary.subjects_created += 1;
                    (id, false)
                }
            };
            for (field, digest) in digests {
                batch_subjects.insert(digest, subject_id.clone());
                changes.push(Change::LinkSubject {
                    tenant: tenant.clone(),
                    field,
                    digest,
                    subject: subject_id.clone(),
                });
            }

            let resource = Resource::Subject {
                tenant,
                subject: &subject_id,
                restricted,
            };
            self.authorize(caller, tenant, Action::CreateRecord, resource)?;

            let existing_key;
            let key = match new_keys.get(&subject_id) {
                Some(key) => key,
                None => {
                    existing_key = self
                        .keys
                        .subject_key(self.store(), tenant, &subject_id)?
                        .map(|(_, key)| key)
                        .ok_or(VaultError::NotFound("the subject's key"))?;
                    &existing_key
                }
            };

            for (type_name, document, source_id) in plan.records {
                let record_type = self.record_type(tenant, &type_name)?;
                let source = source_id
                    .map(|id| index_key.digest(SOURCE_RECORD_FIELD, &format!("{type_name}/{id}")));
                let previous = match &source {
                    Some(digest) => self.store().record_by_source(tenant, digest)?,
                    None => None,
                };
                let (record_id, created_at, audit_action) = match previous {
                    Some(previous) if previous.subject == subject_id => {
                        self.check_may_replace(caller, &previous, restricted)?;
                        summary.records_updated += 1;
                        (previous.id, previous.created_at, AuditAction::UpdateRecord)
                    }
                    Some(_) => {
                        return Err(VaultError::Conflict(
                            "a record in the input was imported before for another subject".into(),
                        ));
                    }
                    None => {
                        summary.records_created += 1;
                        (new_record_id()?, now, AuditAction::CreateRecord)
                    }
                };

                let parts = self.seal(
                    tenant,
                    &subject_id,
                    &record_id,
                    key,
                    &record_type,
                    &document,
                )?;
                let mut event = self.event(caller, audit_action, Decision::Allow, Outcome::Success);
                event.subject = Some(subject_id.clone());
                event.record = Some(record_id.clone());
                event.record_type = Some(type_name.clone());
                changes.push(Change::PutRecord {
                    record: Record {
                        tenant: tenant.clone(),
                        id: record_id,
                        subject: subject_id.clone(),
                        record_type: type_name,
                        subject_key_version: SUBJECT_KEY_VERSION,
                        created_at,
                        updated_at: now,
                    },
                    parts: parts.parts,
                    index: parts.index,
                    source,
                });
                changes.push(Change::Audit(event));

                sealed += 1;
                progress.sealed(sealed, total);
            }
        }

        let mut event = self.event(
            caller,
            AuditAction::Import,
            Decision::Allow,
            Outcome::Success,
        );
        event.count = Some((summary.records_created + summary.records_updated) as u64);
        event.target = Some(format!("{} files", summary.files));
        changes.push(Change::Audit(event));

        progress.committing();
        // Keys first: should the data commit fail, unused keys remain, never keyless records.
        if !new_keys.is_empty() {
            let keys: Vec<(&SubjectId, &SecretKey)> = new_keys.iter().collect();
            self.keys.store_subject_keys(self.store(), tenant, &keys)?;
        }
        self.store().submit(changes).await?;
        Ok(())
    }
}

fn parse_all(
    format: ImportFormat,
    files: &[(String, Vec<u8>)],
    summary: &mut ImportSummary,
    progress: &dyn ImportProgress,
) -> Result<Vec<Planned>, VaultError> {
    let mut planned = Vec::new();
    for (done, (name, bytes)) in files.iter().enumerate() {
        let invalid = |reason: String| VaultError::InvalidFile {
            file: name.clone(),
            reason,
        };
        match format {
            ImportFormat::FhirBundle => {
                let bundle = fhir::parse_bundle(bytes).map_err(|e| invalid(e.to_string()))?;
                for (resource_type, count) in &bundle.skipped {
                    *summary.skipped.entry(resource_type.clone()).or_default() += count;
                }
                for patient in bundle.patients {
                    let match_keys = patient.match_keys();
                    let records = patient
                        .all_records()
                        .map(|(type_name, resource)| {
                            let id = resource
                                .get("id")
                                .and_then(Value::as_str)
                                .map(str::to_owned);
                            (type_name.to_owned(), resource.clone(), id)
                        })
                        .collect();
                    planned.push(Planned {
                        match_keys,
                        records,
                    });
                }
            }
            ImportFormat::ShopifyOrder => {
                let order = shopify::parse_order(bytes).map_err(|e| invalid(e.to_string()))?;
                planned.push(Planned {
                    match_keys: order.match_keys,
                    records: vec![("shopify.order".to_owned(), order.order, order.order_id)],
                });
            }
        }
        progress.parsed(done as u64 + 1, files.len() as u64);
    }
    Ok(planned)
}
