//! Importing FHIR R4 bundles (Synthea's transaction bundles and collections).
//!
//! [`parse_bundle`] sorts a bundle's resources by the patient they are about:
//!
//! - a Patient is its own patient;
//! - a resource whose `subject`, `patient` or `beneficiary` references a Patient in the bundle
//!   belongs to that patient;
//! - otherwise, a resource whose `encounter` (or R3 `context`) references an Encounter in the
//!   bundle belongs to that encounter's patient.
//!
//! References are resolved against entries' `fullUrl` (`urn:uuid:…` in Synthea), against
//! `Type/id` built from each resource's type and id (absolute URLs ending in `/Type/id` too),
//! and, for conditional references such as `Patient?identifier=system|value`, against the
//! identifiers of the bundle's Patients.
//!
//! Resources about no patient (Organization, Practitioner, Location) and resource types with no
//! built-in record type (CarePlan, Goal, ImagingStudy, …) are counted as skipped, per resource
//! type; neither is an error. The Patient's id is PHI (Synthea's equals the MRN): the vault
//! keeps it only as the blind-indexed match key.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::Value;

use crate::builtin::fhir_type;
use crate::json_error::JsonSyntax;
use crate::record_type::RecordTypeName;
use crate::search::{Normalizer, SearchTerm};

/// The search field of the match key that finds a FHIR patient again on re-import.
pub const SOURCE_PATIENT_FIELD: &str = "source_fhir_patient";

/// Why a bundle was rejected. Names the entry by its position, never a value from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The bytes are not JSON.
    #[error("the bundle is not valid JSON: {0}")]
    NotJson(JsonSyntax),
    /// The document is not a FHIR Bundle resource.
    #[error(
        "the document is not a FHIR Bundle (expected an object with \"resourceType\": \"Bundle\")"
    )]
    NotABundle,
    /// The bundle's type is not one this importer reads.
    #[error("the bundle's type must be transaction or collection")]
    BundleType,
    /// `entry` is not a list.
    #[error("the bundle's `entry` must be a list")]
    EntriesNotAList,
    /// An entry is not an object or has no `resource` object.
    #[error("bundle entry {index} has no resource")]
    EntryWithoutResource {
        /// The entry's position in `entry`, counting from 0.
        index: usize,
    },
    /// A resource has no valid `resourceType`.
    #[error("bundle entry {index}: the resource has no valid resourceType")]
    ResourceType {
        /// The entry's position in `entry`, counting from 0.
        index: usize,
    },
    /// A reference to a patient that the bundle does not contain.
    #[error("bundle entry {index} references a patient that is not in the bundle")]
    MissingPatient {
        /// The entry's position in `entry`, counting from 0.
        index: usize,
    },
    /// A resource references two different patients (directly and through its encounter).
    #[error("bundle entry {index} references two different patients")]
    ConflictingPatients {
        /// The entry's position in `entry`, counting from 0.
        index: usize,
    },
    /// A Patient without a usable `id` or `fullUrl` to recognise it by.
    #[error("bundle entry {index}: the Patient has neither an id nor a fullUrl")]
    PatientWithoutId {
        /// The entry's position in `entry`, counting from 0.
        index: usize,
    },
    /// Two Patient entries with the same id.
    #[error("bundle entry {index} repeats the Patient of entry {first}")]
    DuplicatePatient {
        /// The later entry's position.
        index: usize,
        /// The earlier entry's position.
        first: usize,
    },
}

/// One resource to store, with its record type.
#[derive(Clone, PartialEq)]
pub struct ImportedRecord {
    /// The built-in type, such as `fhir.Observation`.
    pub record_type: RecordTypeName,
    /// The resource as it appeared in the bundle.
    pub resource: Value,
}

/// One patient of a bundle and everything about them.
#[derive(Clone, PartialEq)]
pub struct PatientImport {
    /// The Patient's id (or, without one, its `fullUrl` minus `urn:uuid:`). PHI.
    pub source_key: String,
    /// The Patient resource (record type `fhir.Patient`).
    pub patient: Value,
    /// The patient's other resources of built-in types, in bundle order.
    pub records: Vec<ImportedRecord>,
}

impl PatientImport {
    /// The keys the vault blind-indexes to find this subject again on re-import.
    pub fn match_keys(&self) -> Vec<SearchTerm> {
        Normalizer::Token
            .apply(&self.source_key)
            .map(|normalized| SearchTerm {
                field: SOURCE_PATIENT_FIELD.to_owned(),
                normalized,
            })
            .into_iter()
            .collect()
    }

    /// Every record to store: the Patient first, then the others.
    pub fn all_records(&self) -> impl Iterator<Item = (&str, &Value)> {
        std::iter::once(("fhir.Patient", &self.patient)).chain(
            self.records
                .iter()
                .map(|r| (r.record_type.as_str(), &r.resource)),
        )
    }
}

/// What a bundle holds, sorted by patient.
#[derive(Clone, Default, PartialEq)]
pub struct BundleImport {
    /// The bundle's patients, in bundle order.
    pub patients: Vec<PatientImport>,
    /// Resources not imported, counted per resource type (types outside FHIR R4 as
    /// [`OTHER_RESOURCE_TYPE`]).
    pub skipped: BTreeMap<String, usize>,
}

impl BundleImport {
    /// How many records the import stores: every patient and their records.
    pub fn record_count(&self) -> usize {
        self.patients.iter().map(|p| 1 + p.records.len()).sum()
    }

    /// How many resources were skipped.
    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// Shows counts only: the resources are PHI.
impl fmt::Debug for BundleImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleImport")
            .field("patients", &self.patients.len())
            .field("records", &self.record_count())
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Shows counts only: the resources are PHI.
impl fmt::Debug for PatientImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientImport")
            .field("records", &self.records.len())
            .finish()
    }
}

/// Shows the record type only: the resource is PHI.
impl fmt::Debug for ImportedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedRecord")
            .field("record_type", &self.record_type)
            .finish()
    }
}

struct Entry {
    resource_type: String,
    resource: Value,
}

impl Entry {
    fn is(&self, resource_type: &str) -> bool {
        self.resource_type == resource_type
    }

    fn reference(&self, field: &str) -> Option<&str> {
        self.resource.get(field)?.get("reference")?.as_str()
    }
}

/// Parses a FHIR R4 Bundle of type `transaction` or `collection`. See the
/// [module documentation](self) for how resources are assigned to patients.
pub fn parse_bundle(bytes: &[u8]) -> Result<BundleImport, BundleError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| BundleError::NotJson(JsonSyntax::from(&e)))?;
    let Value::Object(mut bundle) = document else {
        return Err(BundleError::NotABundle);
    };
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(BundleError::NotABundle);
    }
    if !matches!(
        bundle.get("type").and_then(Value::as_str),
        Some("transaction" | "collection")
    ) {
        return Err(BundleError::BundleType);
    }

    let raw_entries = match bundle.remove("entry") {
        None => Vec::new(),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(BundleError::EntriesNotAList),
    };
    let (entries, full_urls) = read_entries(raw_entries)?;
    let resolver = Resolver::new(&entries, &full_urls);

    let mut owners = Vec::with_capacity(entries.len());
    for index in 0..entries.len() {
        owners.push(resolver.patient_of(index)?);
    }

    assemble(entries, &full_urls, &owners)
}

/// The resource types of FHIR R4 (4.0.1), sorted. Skipped resources are counted under these
/// names only: any other `resourceType` text is counted as [`OTHER_RESOURCE_TYPE`], so that an
/// import summary never repeats arbitrary text from the file.
const R4_RESOURCE_TYPES: [&str; 146] = [
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

/// The name skipped resources of types outside FHIR R4 are counted under.
pub const OTHER_RESOURCE_TYPE: &str = "(other)";

fn reported_type(resource_type: String) -> String {
    if R4_RESOURCE_TYPES
        .binary_search(&resource_type.as_str())
        .is_ok()
    {
        resource_type
    } else {
        OTHER_RESOURCE_TYPE.to_owned()
    }
}

fn valid_resource_type(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The entries' resources and full URLs, checked.
fn read_entries(raw: Vec<Value>) -> Result<(Vec<Entry>, Vec<Option<String>>), BundleError> {
    let mut entries = Vec::with_capacity(raw.len());
    let mut full_urls = Vec::with_capacity(raw.len());
    for (index, entry) in raw.into_iter().enumerate() {
        let Value::Object(mut entry) = entry else {
            return Err(BundleError::EntryWithoutResource { index });
        };
        let resource = match entry.remove("resource") {
            Some(resource @ Value::Object(_)) => resource,
            _ => return Err(BundleError::EntryWithoutResource { index }),
        };
        let resource_type = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .filter(|text| valid_resource_type(text))
            .ok_or(BundleError::ResourceType { index })?
            .to_owned();
        full_urls.push(
            entry
                .get("fullUrl")
                .and_then(Value::as_str)
                .map(str::to_owned),
        );
        entries.push(Entry {
            resource_type,
            resource,
        });
    }
    Ok((entries, full_urls))
}

struct Resolver<'e> {
    entries: &'e [Entry],
    by_reference: HashMap<String, usize>,
}

impl<'e> Resolver<'e> {
    fn new(entries: &'e [Entry], full_urls: &[Option<String>]) -> Self {
        let mut by_reference = HashMap::with_capacity(entries.len() * 2);
        for (index, (entry, full_url)) in entries.iter().zip(full_urls).enumerate() {
            if let Some(url) = full_url {
                by_reference.entry(url.clone()).or_insert(index);
            }
            if let Some(id) = entry.resource.get("id").and_then(Value::as_str) {
                by_reference
                    .entry(format!("{}/{id}", entry.resource_type))
                    .or_insert(index);
            }
        }
        Resolver {
            entries,
            by_reference,
        }
    }

    /// The entry a reference points to, if it is in the bundle.
    fn resolve(&self, reference: &str) -> Option<usize> {
        if let Some(&index) = self.by_reference.get(reference) {
            return Some(index);
        }
        if let Some(query) = reference.strip_prefix("Patient?identifier=") {
            return self.patient_by_identifier(query);
        }

        // An absolute URL such as https://server/fhir/Patient/123 (possibly with /_history/n).
        let path = reference.split("/_history/").next().unwrap_or(reference);
        let mut segments = path.rsplit('/');
        let (id, resource_type) = (segments.next()?, segments.next()?);
        self.by_reference
            .get(&format!("{resource_type}/{id}"))
            .copied()
    }

    fn patient_by_identifier(&self, query: &str) -> Option<usize> {
        let (system, value) = match query.split_once('|') {
            Some((system, value)) => (Some(system), value),
            None => (None, query),
        };
        self.entries.iter().position(|entry| {
            entry.is("Patient")
                && entry
                    .resource
                    .get("identifier")
                    .and_then(Value::as_array)
                    .is_some_and(|ids| {
                        ids.iter().any(|id| {
                            id.get("value").and_then(Value::as_str) == Some(value)
                                && system.is_none_or(|s| {
                                    s.is_empty()
                                        || id.get("system").and_then(Value::as_str) == Some(s)
                                })
                        })
                    })
        })
    }

    /// The patient `index` references directly through `subject`, `patient` or `beneficiary`.
    fn direct_patient(&self, index: usize) -> Result<Option<usize>, BundleError> {
        let entry = &self.entries[index];
        let mut found = None;
        for field in ["subject", "patient", "beneficiary"] {
            let Some(reference) = entry.reference(field) else {
                continue;
            };
            match self.resolve(reference) {
                Some(target) if self.entries[target].is("Patient") => {
                    found = merge(found, target, index)?;
                }
                Some(_) => {}
                None if may_name_a_patient(reference) => {
                    return Err(BundleError::MissingPatient { index });
                }
                None => {}
            }
        }
        Ok(found)
    }

    /// The patient entry `index` belongs to, if any.
    fn patient_of(&self, index: usize) -> Result<Option<usize>, BundleError> {
        if self.entries[index].is("Patient") {
            return Ok(Some(index));
        }

        let mut found = self.direct_patient(index)?;
        for field in ["encounter", "context"] {
            let Some(reference) = self.entries[index].reference(field) else {
                continue;
            };
            let Some(encounter) = self.resolve(reference) else {
                continue;
            };
            if !self.entries[encounter].is("Encounter") {
                continue;
            }
            if let Some(patient) = self.direct_patient(encounter)? {
                found = merge(found, patient, index)?;
            }
        }
        Ok(found)
    }
}

/// A reference that could name a patient: only such references must resolve. A `urn:uuid:`
/// reference in a bundle is meant to point into it, so an unresolved one counts too.
fn may_name_a_patient(reference: &str) -> bool {
    reference.starts_with("urn:")
        || reference.starts_with("Patient/")
        || reference.starts_with("Patient?")
        || reference.contains("/Patient/")
}

fn merge(found: Option<usize>, patient: usize, index: usize) -> Result<Option<usize>, BundleError> {
    match found {
        Some(existing) if existing != patient => Err(BundleError::ConflictingPatients { index }),
        _ => Ok(Some(patient)),
    }
}

fn assemble(
    entries: Vec<Entry>,
    full_urls: &[Option<String>],
    owners: &[Option<usize>],
) -> Result<BundleImport, BundleError> {
    let mut import = BundleImport::default();
    let mut slot_of_patient: HashMap<usize, usize> = HashMap::new();
    let mut first_with_key: HashMap<String, usize> = HashMap::new();

    for (index, entry) in entries.iter().enumerate() {
        if !entry.is("Patient") {
            continue;
        }
        let source_key = entry
            .resource
            .get("id")
            .and_then(Value::as_str)
            .or_else(|| {
                full_urls[index]
                    .as_deref()
                    .map(|u| u.trim_start_matches("urn:uuid:"))
            })
            .filter(|key| Normalizer::Token.apply(key).is_ok())
            .ok_or(BundleError::PatientWithoutId { index })?
            .to_owned();
        if let Some(&first) = first_with_key.get(&source_key) {
            return Err(BundleError::DuplicatePatient { index, first });
        }
        first_with_key.insert(source_key.clone(), index);
        slot_of_patient.insert(index, import.patients.len());
        import.patients.push(PatientImport {
            source_key,
            patient: Value::Null,
            records: Vec::new(),
        });
    }

    for (index, entry) in entries.into_iter().enumerate() {
        let owner = owners[index].and_then(|patient| slot_of_patient.get(&patient).copied());
        let Some(slot) = owner else {
            *import
                .skipped
                .entry(reported_type(entry.resource_type))
                .or_default() += 1;
            continue;
        };
        if entry.is("Patient") {
            import.patients[slot].patient = entry.resource;
            continue;
        }
        match fhir_type(&entry.resource_type) {
            Some(record_type) => import.patients[slot].records.push(ImportedRecord {
                record_type: record_type.name().clone(),
                resource: entry.resource,
            }),
            None => {
                *import
                    .skipped
                    .entry(reported_type(entry.resource_type))
                    .or_default() += 1
            }
        }
    }
    Ok(import)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn bundle(entries: Value) -> Vec<u8> {
        json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
            .to_string()
            .into_bytes()
    }

    fn patient_entry(uuid: &str) -> Value {
        json!({
            "fullUrl": format!("urn:uuid:{uuid}"),
            "resource": {"resourceType": "Patient", "id": uuid, "name": [{"family": "Roe"}]},
            "request": {"method": "POST", "url": "Patient"}
        })
    }

    fn entry(uuid: &str, resource: Value) -> Value {
        json!({"fullUrl": format!("urn:uuid:{uuid}"), "resource": resource})
    }

    #[test]
    fn resources_land_on_their_patient_directly_and_through_encounters() {
        let bytes = bundle(json!([
            entry(
                "org-1",
                json!({"resourceType": "Organization", "id": "org-1"})
            ),
            patient_entry("p-1"),
            entry(
                "enc-1",
                json!({"resourceType": "Encounter", "id": "enc-1",
                "subject": {"reference": "urn:uuid:p-1"}})
            ),
            entry(
                "obs-1",
                json!({"resourceType": "Observation", "id": "obs-1",
                "subject": {"reference": "urn:uuid:p-1"},
                "encounter": {"reference": "urn:uuid:enc-1"}})
            ),
            // No subject: the patient comes through the encounter.
            entry(
                "proc-1",
                json!({"resourceType": "Procedure", "id": "proc-1",
                "encounter": {"reference": "urn:uuid:enc-1"}})
            ),
            entry(
                "eob-1",
                json!({"resourceType": "ExplanationOfBenefit", "id": "eob-1",
                "patient": {"reference": "Patient/p-1"}})
            ),
            entry(
                "goal-1",
                json!({"resourceType": "Goal", "id": "goal-1",
                "subject": {"reference": "urn:uuid:p-1"}})
            ),
            entry(
                "prac-1",
                json!({"resourceType": "Practitioner", "id": "prac-1"})
            ),
            entry(
                "x-1",
                json!({"resourceType": "JaneRoe", "subject": {"reference": "urn:uuid:p-1"}})
            ),
        ]));
        let import = parse_bundle(&bytes).unwrap();

        assert_eq!(import.patients.len(), 1);
        let patient = &import.patients[0];
        assert_eq!(patient.source_key, "p-1");
        assert_eq!(patient.patient["name"][0]["family"], "Roe");
        let types: Vec<&str> = patient
            .records
            .iter()
            .map(|r| r.record_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                "fhir.Encounter",
                "fhir.Observation",
                "fhir.Procedure",
                "fhir.ExplanationOfBenefit"
            ]
        );
        assert_eq!(patient.all_records().count(), 5);
        assert_eq!(
            import.skipped,
            BTreeMap::from([
                (OTHER_RESOURCE_TYPE.to_owned(), 1),
                ("Goal".to_owned(), 1),
                ("Organization".to_owned(), 1),
                ("Practitioner".to_owned(), 1)
            ])
        );
        assert_eq!(patient.match_keys()[0].field, SOURCE_PATIENT_FIELD);
        assert_eq!(patient.match_keys()[0].normalized, "P1");
        assert!(!format!("{import:?}").contains("Roe"));
    }

    const REFERENCE: &str = "(urn:uuid:|Patient/|Encounter/|Patient\\?identifier=)?[a-c|/]{0,6}";

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_bundle(&bytes);
            let _ = crate::shopify::parse_order(&bytes);
        }

        #[test]
        fn bundles_with_arbitrary_references_never_panic(
            references in prop::collection::vec(REFERENCE, 1..6)
        ) {
            let encounter = json!({"resourceType": "Encounter", "id": "b"});
            let mut entries = vec![patient_entry("a"), entry("e", encounter)];
            for (n, reference) in references.iter().enumerate() {
                let observation = json!({"resourceType": "Observation",
                    "subject": {"reference": reference}, "encounter": {"reference": reference}});
                entries.push(entry(&format!("r{n}"), observation));
            }
            let _ = parse_bundle(&bundle(json!(entries)));
        }
    }

    #[test]
    fn the_resource_type_list_is_sorted_for_lookup() {
        assert!(R4_RESOURCE_TYPES.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(R4_RESOURCE_TYPES.contains(&"ExplanationOfBenefit"));
    }

    #[test]
    fn several_patients_and_conditional_references() {
        let mut second = patient_entry("p-2");
        second["resource"]["identifier"] = json!([{"system": "urn:mrn", "value": "M-2"}]);
        let bytes = bundle(json!([
            patient_entry("p-1"),
            second,
            entry(
                "c-1",
                json!({"resourceType": "Condition",
                "subject": {"reference": "Patient?identifier=urn:mrn|M-2"}})
            ),
            entry(
                "c-2",
                json!({"resourceType": "Condition",
                "subject": {"reference": "https://ehr.example/fhir/Patient/p-1/_history/3"}})
            ),
        ]));
        let import = parse_bundle(&bytes).unwrap();
        assert_eq!(import.patients[0].records.len(), 1);
        assert_eq!(import.patients[1].records.len(), 1);
        assert_eq!(import.record_count(), 4);
    }

    #[test]
    fn a_reference_to_a_missing_patient_is_an_error() {
        let bytes = bundle(json!([
            patient_entry("p-1"),
            entry(
                "obs-1",
                json!({"resourceType": "Observation",
                "subject": {"reference": "urn:uuid:999-38-8871"}})
            ),
        ]));
        let error = parse_bundle(&bytes).unwrap_err();
        assert_eq!(error, BundleError::MissingPatient { index: 1 });
        assert!(!error.to_string().contains("999"));

        // A subject that names another kind of resource is not a patient reference.
        let group = bundle(json!([entry(
            "obs-1",
            json!({"resourceType": "Observation",
            "subject": {"reference": "Group/g-1"}})
        )]));
        assert_eq!(parse_bundle(&group).unwrap().skipped_count(), 1);
    }

    #[test]
    fn conflicting_patients_are_an_error() {
        let bytes = bundle(json!([
            patient_entry("p-1"),
            patient_entry("p-2"),
            entry(
                "enc-1",
                json!({"resourceType": "Encounter", "subject": {"reference": "urn:uuid:p-2"}})
            ),
            entry(
                "obs-1",
                json!({"resourceType": "Observation",
                "subject": {"reference": "urn:uuid:p-1"},
                "encounter": {"reference": "urn:uuid:enc-1"}})
            ),
        ]));
        assert_eq!(
            parse_bundle(&bytes),
            Err(BundleError::ConflictingPatients { index: 3 })
        );
    }

    #[test]
    fn malformed_bundles_are_rejected_with_the_entry_index() {
        assert!(matches!(
            parse_bundle(b"{\"resourceType\": "),
            Err(BundleError::NotJson(_))
        ));
        assert_eq!(parse_bundle(b"[]"), Err(BundleError::NotABundle));
        assert_eq!(
            parse_bundle(br#"{"resourceType": "Patient"}"#),
            Err(BundleError::NotABundle)
        );
        assert_eq!(
            parse_bundle(br#"{"resourceType": "Bundle", "type": "searchset"}"#),
            Err(BundleError::BundleType)
        );
        assert_eq!(
            parse_bundle(br#"{"resourceType": "Bundle", "type": "collection", "entry": {}}"#),
            Err(BundleError::EntriesNotAList)
        );
        assert!(
            parse_bundle(br#"{"resourceType": "Bundle", "type": "collection"}"#)
                .unwrap()
                .patients
                .is_empty()
        );

        let cases = [
            (
                json!([patient_entry("p-1"), {"fullUrl": "urn:uuid:x"}]),
                BundleError::EntryWithoutResource { index: 1 },
            ),
            (json!([1]), BundleError::EntryWithoutResource { index: 0 }),
            (
                json!([{"resource": {"id": "x"}}]),
                BundleError::ResourceType { index: 0 },
            ),
            (
                json!([{"resource": {"resourceType": "Jane Roe"}}]),
                BundleError::ResourceType { index: 0 },
            ),
            (
                json!([{"resource": {"resourceType": "Patient"}}]),
                BundleError::PatientWithoutId { index: 0 },
            ),
            (
                json!([patient_entry("p-1"), patient_entry("p-1")]),
                BundleError::DuplicatePatient { index: 1, first: 0 },
            ),
        ];
        for (entries, expected) in cases {
            assert_eq!(
                parse_bundle(&bundle(entries)),
                Err(expected.clone()),
                "{expected}"
            );
        }
    }
}
