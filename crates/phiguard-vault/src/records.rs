//! Records: storing, reading, listing, searching, restricting and disposing.

use std::collections::{BTreeMap, HashMap};

use phiguard_core::{
    AuditAction, AuditEvent, Category, Decision, Disclosure, Disclosures, Outcome, RecordId,
    SubjectId, TenantId, Timestamp,
};
use phiguard_crypto::{Aad, SecretKey, new_record_id, new_subject_id};
use phiguard_policy::{Action, Resource};
use phiguard_records::{Part, RecordType, reassemble_encoded_json, search_terms, split};
use phiguard_store::{BreakGlassGrant, Change, IndexEntry, KeyChange, Record, RecordPart, Subject};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::mismatch;
use crate::keys::SUBJECT_KEY_VERSION;
use crate::policies::refusal;
use crate::{Caller, Vault, VaultError};

/// Categories that have no reduced form: a `masked` grant for them discloses nothing, so the
/// vault lowers it to `withheld` before opening anything.
const WITHOUT_MASKED_FORM: [Category; 4] = [
    Category::Demographic,
    Category::Clinical,
    Category::Financial,
    Category::FreeText,
];

/// A record to store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// The record type's name, such as `fhir.Observation`.
    pub record_type: String,
    /// The subject it is about; a new subject is created when absent.
    #[serde(default)]
    pub subject_id: Option<SubjectId>,
    /// The document.
    pub document: Value,
}

/// A record as stored, without content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordSummary {
    /// The record.
    pub record_id: RecordId,
    /// The subject it is about.
    pub subject_id: SubjectId,
    /// Its type.
    pub record_type: String,
    /// When it was stored.
    pub created_at: Timestamp,
    /// When it was last replaced.
    pub updated_at: Timestamp,
}

/// A record as one caller may see it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// The record.
    pub record_id: RecordId,
    /// The subject it is about.
    pub subject_id: SubjectId,
    /// Its type.
    pub record_type: String,
    /// When it was stored.
    pub created_at: Timestamp,
    /// When it was last replaced.
    pub updated_at: Timestamp,
    /// For each PHI category the record holds, how much of it this caller sees.
    pub disclosure: BTreeMap<Category, Disclosure>,
    /// Whether break-glass access was used.
    pub break_glass: bool,
    /// The document, reduced to what the caller may see, as JSON text (written straight from
    /// the decrypted fragments, without an intermediate tree). Parse it with
    /// [`RecordView::document_value`].
    pub document: Box<RawValue>,
}

impl RecordView {
    /// The document as a JSON value.
    ///
    /// # Errors
    ///
    /// Never in practice: the vault writes the text from a well-formed tree.
    pub fn document_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.document.get())
    }
}

/// An equality search on one declared search field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The search field, such as `ssn`, `mrn`, `email`, `phone` or `family_birthdate`.
    pub field: String,
    /// The value; for compound fields such as `family_birthdate`, use `values`.
    #[serde(default)]
    pub value: Option<String>,
    /// One value per part of a compound field, in the field's order.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A record found by a search. Searching reveals that a subject exists, not what its records
/// say; read the record to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The subject.
    pub subject_id: SubjectId,
    /// The record whose field matched.
    pub record_id: RecordId,
}

/// What a disposal did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisposalReport {
    /// The subject.
    pub subject_id: SubjectId,
    /// When its key was destroyed.
    pub disposed_at: Timestamp,
    /// Whether a subject key existed and was destroyed.
    pub key_destroyed: bool,
}

/// A record sealed and indexed, ready to store.
pub(crate) struct SealedRecord {
    pub(crate) parts: Vec<RecordPart>,
    pub(crate) index: Vec<IndexEntry>,
}

impl Vault {
    /// Splits, seals and indexes one document for storage.
    pub(crate) fn seal(
        &self,
        tenant: &TenantId,
        subject: &SubjectId,
        record: &RecordId,
        key: &SecretKey,
        record_type: &RecordType,
        document: &Value,
    ) -> Result<SealedRecord, VaultError> {
        let split = split(record_type, document).map_err(|e| VaultError::InvalidInput {
            what: "the document",
            reason: e.to_string(),
        })?;

        let mut parts = Vec::with_capacity(split.parts().len());
        for (part, fragment) in split.parts() {
            let aad = Aad::Part {
                tenant,
                subject,
                record,
                part: part.as_str(),
                subject_key_version: SUBJECT_KEY_VERSION,
            };
            parts.push(RecordPart {
                part: part.as_str().to_owned(),
                sealed: key.seal(&fragment.encode(), &aad)?,
            });
        }

        let index_key = self.keys.index_key(self.store(), tenant)?;
        let index = search_terms(record_type, document)
            .into_iter()
            .map(|term| IndexEntry {
                digest: index_key.digest(&term.field, &term.normalized),
                field: term.field,
            })
            .collect();
        Ok(SealedRecord { parts, index })
    }

    /// Opens the parts of `record` that `disclosures` let out and rebuilds its document as JSON
    /// text. Returns the document and, per category present, the level actually disclosed.
    pub(crate) fn open_record(
        &self,
        record: &Record,
        disclosures: &Disclosures,
    ) -> Result<(Box<RawValue>, BTreeMap<Category, Disclosure>), VaultError> {
        let Some((version, key)) =
            self.keys
                .subject_key(self.store(), &record.tenant, &record.subject)?
        else {
            return Err(VaultError::NotFound("the record"));
        };

        let mut opened: Vec<(Part, Vec<u8>)> = Vec::new();
        let mut disclosed = BTreeMap::new();
        for stored in self.store().record_parts(&record.tenant, &record.id)? {
            let part: Part = stored
                .part
                .parse()
                .map_err(|_| VaultError::internal("a stored record", "has an unknown part"))?;
            if let Part::Phi(category) = part {
                let level = disclosures.get(category);
                disclosed.insert(category, level);
                if level == Disclosure::Withheld {
                    continue;
                }
            }

            let aad = Aad::Part {
                tenant: &record.tenant,
                subject: &record.subject,
                record: &record.id,
                part: part.as_str(),
                subject_key_version: version,
            };
            opened.push((part, key.open(&stored.sealed, &aad)?));
        }

        let borrowed: Vec<(Part, &[u8])> = opened
            .iter()
            .map(|(part, bytes)| (*part, bytes.as_slice()))
            .collect();
        let text = reassemble_encoded_json(&borrowed, disclosures)
            .map_err(|e| VaultError::internal("a stored fragment", e))?;
        let document = RawValue::from_string(text)
            .map_err(|_| VaultError::internal("reassembly", "produced invalid JSON"))?;
        Ok((document, disclosed))
    }

    /// Stores a new record, creating its subject when none is named. Allowed by
    /// `create_record`.
    ///
    /// # Errors
    ///
    /// [`VaultError::UnknownRecordType`], [`VaultError::InvalidInput`] for a document that is
    /// not an object or nests too deep, [`VaultError::NotFound`] for an unknown or disposed
    /// subject, [`VaultError::Forbidden`].
    pub async fn create_record(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        new: NewRecord,
    ) -> Result<RecordSummary, VaultError> {
        let action = AuditAction::CreateRecord;
        let subject = match &new.subject_id {
            Some(id) => match self.store().subject(tenant, id)? {
                Some(s) if s.disposed_at.is_none() => Some(s),
                _ => {
                    let e = VaultError::NotFound("the subject");
                    return Err(self.refuse(caller, action, Some(id), None, e).await);
                }
            },
            None => None,
        };
        let subject_id = match &subject {
            Some(s) => s.id.clone(),
            None => new_subject_id()?,
        };
        let restricted = subject.as_ref().is_some_and(|s| s.restricted);

        let resource = Resource::Subject {
            tenant,
            subject: &subject_id,
            restricted,
        };
        let prepared = self
            .authorize(caller, tenant, Action::CreateRecord, resource)
            .and_then(|_| self.record_type(tenant, &new.record_type));
        let record_type = match prepared {
            Ok(t) => t,
            Err(e) => {
                return Err(self
                    .refuse(caller, action, Some(&subject_id), None, e)
                    .await);
            }
        };

        let record_id = new_record_id()?;
        let (key, new_key) = match &subject {
            Some(_) => match self.keys.subject_key(self.store(), tenant, &subject_id)? {
                Some((_, key)) => (key, false),
                None => {
                    let e = VaultError::NotFound("the subject");
                    return Err(self
                        .refuse(caller, action, Some(&subject_id), None, e)
                        .await);
                }
            },
            None => (SecretKey::generate()?, true),
        };
        let sealed = match self.seal(
            tenant,
            &subject_id,
            &record_id,
            &key,
            &record_type,
            &new.document,
        ) {
            Ok(s) => s,
            Err(e) => {
                return Err(self
                    .refuse(caller, action, Some(&subject_id), None, e)
                    .await);
            }
        };

        if new_key {
            self.keys
                .store_subject_keys(self.store(), tenant, &[(&subject_id, &key)])?;
        }
        let now = Timestamp::now();
        let record = Record {
            tenant: tenant.clone(),
            id: record_id.clone(),
            subject: subject_id.clone(),
            record_type: new.record_type.clone(),
            subject_key_version: SUBJECT_KEY_VERSION,
            created_at: now,
            updated_at: now,
        };
        let mut changes = Vec::new();
        if subject.is_none() {
            changes.push(Change::InsertSubject(Subject {
                tenant: tenant.clone(),
                id: subject_id.clone(),
                restricted: false,
                created_at: now,
                disposed_at: None,
            }));
        }
        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.subject = Some(subject_id.clone());
        event.record = Some(record_id.clone());
        event.record_type = Some(new.record_type.clone());
        changes.push(Change::PutRecord {
            record,
            parts: sealed.parts,
            index: sealed.index,
            source: None,
        });
        changes.push(Change::Audit(event));
        self.store().submit(changes).await?;

        Ok(RecordSummary {
            record_id,
            subject_id,
            record_type: new.record_type,
            created_at: now,
            updated_at: now,
        })
    }

    /// Whether `caller` reads `subject` under break-glass, opening a grant if the request asks
    /// for one with a reason. Returns the flag for policy and the changes that record a newly
    /// opened grant (committed together with the read's own event).
    fn break_glass(
        &self,
        caller: &Caller,
        subject: &Subject,
    ) -> Result<(bool, Vec<Change>), VaultError> {
        let purpose = caller.require_purpose()?;
        let reason = caller.break_glass_reason.as_deref();
        if !purpose.is_break_glass() {
            return match reason {
                Some(_) => Err(VaultError::BreakGlassReasonInvalid(
                    "a break-glass reason is accepted only with purpose of use ETREAT",
                )),
                None => Ok((false, Vec::new())),
            };
        }

        let now = Timestamp::now();
        let active = self.store().active_break_glass(
            &subject.tenant,
            caller.actor_id(),
            &subject.id,
            now,
        )?;
        if active.is_some() {
            return Ok((true, Vec::new()));
        }

        let reason = reason.ok_or(VaultError::BreakGlassReasonRequired)?.trim();
        let max = self.config().break_glass_reason_max_chars;
        if reason.is_empty() || reason.chars().count() > max {
            return Err(VaultError::BreakGlassReasonInvalid(
                "the break-glass reason must be between 1 and 500 characters",
            ));
        }
        if looks_like_phi(reason) {
            return Err(VaultError::BreakGlassReasonInvalid(
                "the break-glass reason is kept in the audit trail, so it must not hold PHI: \
                 leave out email addresses, dates and numbers of seven digits or more",
            ));
        }

        let minutes = i64::from(self.config().break_glass_minutes);
        let expires_at = now
            .checked_add(jiff::SignedDuration::from_mins(minutes))
            .map_err(|_| VaultError::internal("computing a grant's expiry", "out of range"))?;
        let grant = BreakGlassGrant {
            tenant: subject.tenant.clone(),
            actor: caller.actor_id().clone(),
            subject: subject.id.clone(),
            reason: reason.to_owned(),
            granted_at: now,
            expires_at,
        };
        let mut event = self.event(
            caller,
            AuditAction::BreakGlass,
            Decision::Allow,
            Outcome::Success,
        );
        event.subject = Some(subject.id.clone());
        event.target = Some(format!("grant until {expires_at}"));
        Ok((
            true,
            vec![Change::InsertBreakGlass(grant), Change::Audit(event)],
        ))
    }

    /// Reads one record, disclosing each category as policy decides for the caller's purpose.
    /// The response leaves only after its audit event is durable.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] (also for another tenant's record, and once disposed),
    /// [`VaultError::Forbidden`], [`VaultError::PolicyFailure`], [`VaultError::PurposeRequired`],
    /// [`VaultError::BreakGlassReasonRequired`].
    pub async fn read_record(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &RecordId,
    ) -> Result<RecordView, VaultError> {
        let action = AuditAction::ReadRecord;
        if caller.tenant() != tenant {
            return Err(self
                .refuse(caller, action, None, Some(id), mismatch(tenant))
                .await);
        }
        if let Err(e) = caller.require_purpose() {
            return Err(self.refuse(caller, action, None, Some(id), e).await);
        }
        let found = self.store().record(tenant, id)?;
        let Some((record, subject)) = found.filter(|(_, s)| s.disposed_at.is_none()) else {
            let e = VaultError::NotFound("the record");
            return Err(self.refuse(caller, action, None, Some(id), e).await);
        };

        let (view, changes) = match self.disclose(caller, &record, &subject).await {
            Ok(done) => done,
            Err(e) => {
                return Err(self
                    .refuse(caller, action, Some(&subject.id), Some(id), e)
                    .await);
            }
        };
        self.store().submit(changes).await?;
        Ok(view)
    }

    /// Decides, opens and reassembles one record; returns the view and the audit changes that
    /// must be committed before it is shown.
    async fn disclose(
        &self,
        caller: &Caller,
        record: &Record,
        subject: &Subject,
    ) -> Result<(RecordView, Vec<Change>), VaultError> {
        let (break_glass, mut changes) = self.break_glass(caller, subject)?;
        let resource = Resource::Record {
            tenant: &record.tenant,
            subject: &record.subject,
            record: &record.id,
            record_type: &record.record_type,
            restricted: subject.restricted,
        };
        let decision = self.decide(
            caller,
            &record.tenant,
            Action::ReadRecord,
            resource,
            break_glass,
        )?;
        refusal(&decision, Action::ReadRecord)?;

        let disclosures = effective(decision.disclosures);
        let (document, disclosed) = self.open_record(record, &disclosures)?;

        let mut event = self.event(
            caller,
            AuditAction::ReadRecord,
            Decision::Allow,
            Outcome::Success,
        );
        event.subject = Some(record.subject.clone());
        event.record = Some(record.id.clone());
        event.record_type = Some(record.record_type.clone());
        event.policies = decision.policies;
        event.disclosed = disclosed
            .iter()
            .filter(|(_, l)| **l != Disclosure::Withheld)
            .map(|(c, l)| (*c, *l))
            .collect();
        if !break_glass {
            event.break_glass_reason = None;
        }
        changes.push(Change::Audit(event));

        let view = RecordView {
            record_id: record.id.clone(),
            subject_id: record.subject.clone(),
            record_type: record.record_type.clone(),
            created_at: record.created_at,
            updated_at: record.updated_at,
            disclosure: disclosed,
            break_glass,
            document,
        };
        Ok((view, changes))
    }

    /// Reads a page of a subject's records, each disclosed as policy decides. One audit event
    /// per record returned, plus one for the listing, all durable before the response.
    ///
    /// # Errors
    ///
    /// As for [`Vault::read_record`]; records the caller may not read are left out of the page.
    pub async fn list_records(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        subject_id: &SubjectId,
        after: Option<&RecordId>,
        limit: u32,
    ) -> Result<Vec<RecordView>, VaultError> {
        let action = AuditAction::ListRecords;
        if caller.tenant() != tenant {
            let e = mismatch(tenant);
            return Err(self.refuse(caller, action, Some(subject_id), None, e).await);
        }
        let subject = match self.store().subject(tenant, subject_id)? {
            Some(s) if s.disposed_at.is_none() => s,
            _ => {
                let e = VaultError::NotFound("the subject");
                return Err(self.refuse(caller, action, Some(subject_id), None, e).await);
            }
        };
        let gate = self
            .break_glass(caller, &subject)
            .and_then(|(break_glass, changes)| {
                let resource = Resource::Subject {
                    tenant,
                    subject: subject_id,
                    restricted: subject.restricted,
                };
                let decision =
                    self.decide(caller, tenant, Action::ListRecords, resource, break_glass)?;
                refusal(&decision, Action::ListRecords)?;
                Ok(changes)
            });
        let mut changes = match gate {
            Ok(changes) => changes,
            Err(e) => return Err(self.refuse(caller, action, Some(subject_id), None, e).await),
        };

        let limit = limit.clamp(1, self.config().max_page_size);
        let records = self
            .store()
            .records_of_subject(tenant, subject_id, after, limit)?;
        let mut views = Vec::with_capacity(records.len());
        for record in &records {
            match self.disclose(caller, record, &subject).await {
                Ok((view, more)) => {
                    views.push(view);
                    changes.extend(more.into_iter().filter(|c| !is_break_glass_grant(c)));
                }
                Err(VaultError::Forbidden { .. }) => {}
                Err(e) => return Err(self.refuse(caller, action, Some(subject_id), None, e).await),
            }
        }

        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.subject = Some(subject_id.clone());
        event.count = Some(views.len() as u64);
        changes.push(Change::Audit(event));
        self.store().submit(changes).await?;
        Ok(views)
    }

    /// Finds records by a declared search field, through the tenant's blind index: the query is
    /// normalised and hashed exactly as stored values were, and no plaintext is compared.
    /// One audit event per subject found (or one with a count of zero). Allowed by `search`.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] for an unknown field or a value that does not normalise;
    /// [`VaultError::Forbidden`]; [`VaultError::PurposeRequired`].
    pub async fn search(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>, VaultError> {
        let action = AuditAction::Search;
        let prepared = self
            .authorize(caller, tenant, Action::Search, Resource::Tenant(tenant))
            .and_then(|_| self.search_digests(tenant, query));
        let digests = match prepared {
            Ok(d) => d,
            Err(e) => return Err(self.refuse(caller, action, None, None, e).await),
        };

        let mut hits = Vec::new();
        for digest in digests {
            for hit in
                self.store()
                    .search(tenant, &query.field, &digest, self.config().max_search_hits)?
            {
                let hit = SearchHit {
                    subject_id: hit.subject,
                    record_id: hit.record,
                };
                if !hits.contains(&hit) {
                    hits.push(hit);
                }
            }
        }
        hits.truncate(self.config().max_search_hits as usize);

        let mut per_subject: BTreeMap<&SubjectId, u64> = BTreeMap::new();
        for hit in &hits {
            *per_subject.entry(&hit.subject_id).or_default() += 1;
        }
        let base = {
            let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
            event.target = Some(query.field.clone());
            event
        };
        let events: Vec<AuditEvent> = if per_subject.is_empty() {
            vec![AuditEvent {
                count: Some(0),
                ..base
            }]
        } else {
            per_subject
                .into_iter()
                .map(|(subject, count)| AuditEvent {
                    subject: Some(subject.clone()),
                    count: Some(count),
                    ..base.clone()
                })
                .collect()
        };
        self.record(events).await?;
        Ok(hits)
    }

    fn search_digests(
        &self,
        tenant: &TenantId,
        query: &SearchQuery,
    ) -> Result<Vec<[u8; 16]>, VaultError> {
        let invalid = |reason: &str| VaultError::InvalidInput {
            what: "the search",
            reason: reason.to_owned(),
        };
        let raw: Vec<&str> = match (&query.value, query.values.is_empty()) {
            (Some(value), true) => vec![value.as_str()],
            (None, false) => query.values.iter().map(String::as_str).collect(),
            _ => {
                return Err(invalid(
                    "give either `value` or `values`, not both and not neither",
                ));
            }
        };

        let types = self.types_with_search_field(tenant, &query.field)?;
        if types.is_empty() {
            return Err(invalid(
                "no record type of this tenant declares that search field",
            ));
        }

        let index_key = self.keys.index_key(self.store(), tenant)?;
        let mut keys: HashMap<String, ()> = HashMap::new();
        let mut last_error = None;
        for record_type in &types {
            let Some(field) = record_type.search_field(&query.field) else {
                continue;
            };
            match field.query_key(&raw) {
                Ok(key) => {
                    keys.insert(key, ());
                }
                Err(e) => last_error = Some(e),
            }
        }
        if keys.is_empty() {
            let reason =
                last_error.map_or_else(|| "the value does not normalise".into(), |e| e.to_string());
            return Err(VaultError::InvalidInput {
                what: "the search value",
                reason,
            });
        }
        Ok(keys
            .into_keys()
            .map(|key| index_key.digest(&query.field, &key))
            .collect())
    }

    /// Marks a subject as restricted (its records then need break-glass access) or lifts the
    /// restriction. Allowed by `restrict_subject`.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`]; [`VaultError::Forbidden`].
    pub async fn restrict_subject(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        subject_id: &SubjectId,
        restricted: bool,
    ) -> Result<(), VaultError> {
        let action = AuditAction::RestrictSubject;
        let subject = match self.store().subject(tenant, subject_id) {
            Ok(Some(s)) if s.disposed_at.is_none() => s,
            _ => {
                let e = VaultError::NotFound("the subject");
                return Err(self.refuse(caller, action, Some(subject_id), None, e).await);
            }
        };
        let resource = Resource::Subject {
            tenant,
            subject: subject_id,
            restricted: subject.restricted,
        };
        if let Err(e) = self.authorize(caller, tenant, Action::RestrictSubject, resource) {
            return Err(self.refuse(caller, action, Some(subject_id), None, e).await);
        }

        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.subject = Some(subject_id.clone());
        event.target = Some(
            if restricted {
                "restricted"
            } else {
                "unrestricted"
            }
            .into(),
        );
        let change = Change::SetRestricted {
            tenant: tenant.clone(),
            subject: subject_id.clone(),
            restricted,
        };
        self.store()
            .submit(vec![change, Change::Audit(event)])
            .await?;
        Ok(())
    }

    /// Crypto-shreds a subject: destroys its key (so every ciphertext of it, in this store or
    /// any copy, can no longer be opened), then drops its records and index entries and marks
    /// it disposed. The audit trail keeps its events; the disposal itself is one of them.
    /// Allowed by `dispose_subject`.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] for an unknown or already disposed subject;
    /// [`VaultError::Forbidden`].
    pub async fn dispose_subject(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        subject_id: &SubjectId,
    ) -> Result<DisposalReport, VaultError> {
        let action = AuditAction::DisposeSubject;
        let subject = match self.store().subject(tenant, subject_id) {
            Ok(Some(s)) if s.disposed_at.is_none() => s,
            _ => {
                let e = VaultError::NotFound("the subject");
                return Err(self.refuse(caller, action, Some(subject_id), None, e).await);
            }
        };
        let resource = Resource::Subject {
            tenant,
            subject: subject_id,
            restricted: subject.restricted,
        };
        if let Err(e) = self.authorize(caller, tenant, Action::DisposeSubject, resource) {
            return Err(self.refuse(caller, action, Some(subject_id), None, e).await);
        }

        // The key goes first: from this moment nothing of the subject can be opened, even if
        // the rest of the disposal were interrupted.
        let receipt = self.store().apply_keys(vec![KeyChange::DestroySubjectKey {
            tenant: tenant.clone(),
            subject: subject_id.clone(),
        }])?;

        let now = Timestamp::now();
        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.subject = Some(subject_id.clone());
        event.count = Some(receipt.destroyed_subject_keys);
        let change = Change::DisposeSubject {
            tenant: tenant.clone(),
            subject: subject_id.clone(),
            at: now,
        };
        self.store()
            .submit(vec![change, Change::Audit(event)])
            .await?;

        if let Some(sqlite) = &self.sqlite
            && let Err(e) = sqlite.checkpoint().await
        {
            tracing::warn!(error = %e, "could not truncate the write-ahead logs after disposal");
        }
        Ok(DisposalReport {
            subject_id: subject_id.clone(),
            disposed_at: now,
            key_destroyed: receipt.destroyed_subject_keys > 0,
        })
    }
}

/// Whether a break-glass reason may be recorded: not blank, not too long, not PHI-shaped.
pub(crate) fn acceptable_reason(reason: &str, max_chars: usize) -> bool {
    !reason.is_empty() && reason.chars().count() <= max_chars && !looks_like_phi(reason)
}

/// Whether a break-glass reason carries something shaped like PHI: an email address, a date,
/// or a run of seven or more digits (an SSN, phone, MRN or member id, separators ignored).
/// Reasons are stored in the audit trail as written, so these are refused rather than kept.
fn looks_like_phi(reason: &str) -> bool {
    if phiguard_core::looks_like_identifier(reason) {
        return true;
    }

    let bytes = reason.as_bytes();
    bytes.windows(10).any(|w| {
        let d = |i: usize| w[i].is_ascii_digit();
        (d(0)
            && d(1)
            && d(2)
            && d(3)
            && w[4] == b'-'
            && d(5)
            && d(6)
            && w[7] == b'-'
            && d(8)
            && d(9))
            || (d(0) && d(1) && w[2] == b'/' && d(3) && d(4) && w[5] == b'/' && (6..10).all(d))
    })
}

/// Lowers `masked` to `withheld` for categories that have no reduced form.
fn effective(mut disclosures: Disclosures) -> Disclosures {
    for category in WITHOUT_MASKED_FORM {
        disclosures.cap(
            category,
            if disclosures.get(category) == Disclosure::Masked {
                Disclosure::Withheld
            } else {
                Disclosure::Clear
            },
        );
    }
    disclosures
}

fn is_break_glass_grant(change: &Change) -> bool {
    matches!(change, Change::InsertBreakGlass(_))
        || matches!(change, Change::Audit(event) if event.action == AuditAction::BreakGlass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_glass_reasons_with_phi_shapes_are_refused() {
        for phi in [
            "patient 999-38-8871 unconscious",
            "call 617 555 0142",
            "reach her at jane@example.org",
            "born 1984-03-09",
            "dob 03/09/1984",
            "MRN 12345678",
        ] {
            assert!(looks_like_phi(phi), "{phi}");
        }
        for fine in [
            "unconscious in the emergency department, bed 12",
            "covering for Dr. Okafor on call tonight",
            "suspected overdose, needs medication history now",
        ] {
            assert!(!looks_like_phi(fine), "{fine}");
        }
    }

    #[test]
    fn masked_without_a_reduced_form_is_withheld() {
        let disclosures = effective(Disclosures::uniform(Disclosure::Masked));
        assert_eq!(disclosures.get(Category::Clinical), Disclosure::Withheld);
        assert_eq!(disclosures.get(Category::FreeText), Disclosure::Withheld);
        assert_eq!(disclosures.get(Category::Name), Disclosure::Masked);
        let clear = effective(Disclosures::uniform(Disclosure::Clear));
        assert_eq!(clear.get(Category::Clinical), Disclosure::Clear);
    }
}
