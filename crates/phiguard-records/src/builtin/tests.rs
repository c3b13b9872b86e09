//! Hand-written expectations for every built-in type: fictional resources shaped like
//! Synthea's, with the classification every leaf must get, written from the HIPAA reasoning in
//! the type descriptions, not copied from the classifier's output.

use super::*;
use crate::attributes::AttributeMap;
use crate::classification::Classification;
use crate::path::LeafPath;
use crate::walk::walk_leaves;
use phiguard_core::Category;
use serde_json::json;

/// Asserts that the leaves of `document` are exactly those of `expected`, each with the given
/// classification, and that every one of them is decided by a rule, not by the default.
fn check(type_name: &str, document: &Value, expected: &[(&str, &str)]) {
    let record_type = builtin_type(type_name).unwrap_or_else(|| panic!("{type_name} missing"));

    let mut leaves = Vec::new();
    walk_leaves(document, &mut |site| {
        leaves.push(site.steps.iter().cloned().collect::<LeafPath>());
    })
    .unwrap();
    let mut listed: Vec<&str> = expected.iter().map(|(path, _)| *path).collect();
    let mut found: Vec<String> = leaves.iter().map(LeafPath::to_string).collect();
    listed.sort_unstable();
    found.sort_unstable();
    assert_eq!(
        found, listed,
        "{type_name}: the expectations must list every leaf"
    );

    for (path, want) in expected {
        let path: LeafPath = path.parse().unwrap();
        let got = record_type.classify(document, &path);
        assert_eq!(got.as_str(), *want, "{type_name} {path}");
        assert!(
            record_type.matching_rule(document, &path).is_some(),
            "{type_name} {path} falls to free_text by default"
        );
    }
}

#[test]
fn every_definition_parses() {
    let names: Vec<&str> = builtin_types().iter().map(|t| t.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "fhir.Patient",
            "fhir.Observation",
            "fhir.Condition",
            "fhir.Encounter",
            "fhir.Procedure",
            "fhir.Immunization",
            "fhir.MedicationRequest",
            "fhir.DiagnosticReport",
            "fhir.Claim",
            "fhir.ExplanationOfBenefit",
            "shopify.order",
        ]
    );
    assert!(load_all().is_ok());
    assert_eq!(
        fhir_type("Observation").unwrap().name().as_str(),
        "fhir.Observation"
    );
    assert!(fhir_type("Organization").is_none());
    assert!(builtin_type(SHOPIFY_ORDER).is_some());
    for record_type in builtin_types() {
        assert!(!record_type.description().is_empty());
        assert!(record_type.name().is_reserved());
    }
}

#[test]
fn search_fields_with_one_name_normalise_alike_across_types() {
    let mut seen: HashMap<&str, Vec<crate::search::Normalizer>> = HashMap::new();
    for record_type in builtin_types() {
        for field in record_type.search_fields() {
            let normalizers = field.normalizers();
            let first = seen
                .entry(field.name().as_str())
                .or_insert_with(|| normalizers.clone());
            assert_eq!(*first, normalizers, "field {}", field.name());
        }
    }
    assert!(seen.contains_key("family_birthdate") && seen.contains_key("ssn"));
}

use std::collections::HashMap;

fn patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": "5e1f0c2a-0000-4000-8000-000000000001",
        "text": {"status": "generated", "div": "<div>Zoë Ashgrove</div>"},
        "extension": [
            {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                "extension": [
                    {"url": "ombCategory", "valueCoding": {
                        "system": "urn:oid:2.16.840.1.113883.6.238", "code": "2106-3",
                        "display": "White"}},
                    {"url": "text", "valueString": "White"}]},
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                "valueString": "Coletta Brekke"},
            {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": "F"},
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"city": "Springfield", "state": "Massachusetts", "country": "US"}},
            {"url": "http://synthetichealth.github.io/synthea/quality-adjusted-life-years",
                "valueDecimal": 31.2}
        ],
        "identifier": [
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                "code": "SS", "display": "Social Security Number"}],
                "text": "Social Security Number"},
                "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"}
        ],
        "name": [{"use": "official", "family": "Ashgrove", "given": ["Zoë"], "prefix": ["Ms."]}],
        "telecom": [{"system": "phone", "value": "555-010-0199", "use": "home"}],
        "gender": "female",
        "birthDate": "1984-03-09",
        "deceasedDateTime": "2020-01-01T00:00:00+00:00",
        "address": [{
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                "extension": [{"url": "latitude", "valueDecimal": 42.1}]}],
            "line": ["41 Alder Row"], "city": "Milford", "state": "Massachusetts",
            "postalCode": "01757", "country": "US"
        }],
        "maritalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
            "code": "M", "display": "Married"}], "text": "Married"},
        "multipleBirthBoolean": false,
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en-US",
            "display": "English"}], "text": "English"}}],
        "meta": {"tag": [{"system": "https://smarthealthit.org/tags", "code": "synthea-5-2019"}]}
    })
}

#[test]
fn patient_leaves() {
    check(
        "fhir.Patient",
        &patient(),
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("text.status", "not_phi"),
            ("text.div", "free_text"),
            ("extension[0].url", "not_phi"),
            ("extension[0].extension[0].url", "not_phi"),
            (
                "extension[0].extension[0].valueCoding.system",
                "demographic",
            ),
            ("extension[0].extension[0].valueCoding.code", "demographic"),
            (
                "extension[0].extension[0].valueCoding.display",
                "demographic",
            ),
            ("extension[0].extension[1].url", "not_phi"),
            ("extension[0].extension[1].valueString", "demographic"),
            ("extension[1].url", "not_phi"),
            ("extension[1].valueString", "name"),
            ("extension[2].url", "not_phi"),
            ("extension[2].valueCode", "demographic"),
            ("extension[3].url", "not_phi"),
            ("extension[3].valueAddress.city", "demographic"),
            ("extension[3].valueAddress.state", "demographic"),
            ("extension[3].valueAddress.country", "demographic"),
            ("extension[4].url", "not_phi"),
            ("extension[4].valueDecimal", "clinical"),
            ("identifier[0].type.coding[0].system", "not_phi"),
            ("identifier[0].type.coding[0].code", "not_phi"),
            ("identifier[0].type.coding[0].display", "not_phi"),
            ("identifier[0].type.text", "not_phi"),
            ("identifier[0].system", "not_phi"),
            ("identifier[0].value", "identifier"),
            ("name[0].use", "not_phi"),
            ("name[0].family", "name"),
            ("name[0].given[0]", "name"),
            ("name[0].prefix[0]", "name"),
            ("telecom[0].system", "not_phi"),
            ("telecom[0].value", "contact"),
            ("telecom[0].use", "not_phi"),
            ("gender", "demographic"),
            ("birthDate", "birthdate"),
            ("deceasedDateTime", "clinical"),
            ("address[0].extension[0].url", "not_phi"),
            ("address[0].extension[0].extension[0].url", "not_phi"),
            (
                "address[0].extension[0].extension[0].valueDecimal",
                "address",
            ),
            ("address[0].line[0]", "address"),
            ("address[0].city", "address"),
            ("address[0].state", "address"),
            ("address[0].postalCode", "address"),
            ("address[0].country", "address"),
            ("maritalStatus.coding[0].system", "not_phi"),
            ("maritalStatus.coding[0].code", "demographic"),
            ("maritalStatus.coding[0].display", "demographic"),
            ("maritalStatus.text", "demographic"),
            ("multipleBirthBoolean", "demographic"),
            ("communication[0].language.coding[0].system", "not_phi"),
            ("communication[0].language.coding[0].code", "demographic"),
            ("communication[0].language.coding[0].display", "demographic"),
            ("communication[0].language.text", "demographic"),
            ("meta.tag[0].system", "not_phi"),
            ("meta.tag[0].code", "not_phi"),
        ],
    );
}

#[test]
fn observation_leaves() {
    let observation = json!({
        "resourceType": "Observation",
        "id": "obs-1",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs", "display": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9",
            "display": "Blood Pressure"}], "text": "Blood Pressure"},
        "subject": {"reference": "urn:uuid:p-1"},
        "encounter": {"reference": "urn:uuid:e-1"},
        "effectiveDateTime": "2011-05-02T10:00:00-04:00",
        "issued": "2011-05-02T10:00:00.000-04:00",
        "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
            "valueQuantity": {"value": 121, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                "code": "mm[Hg]"}}],
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "266919005"}]
        },
        "note": [{"text": "Patient anxious during reading"}]
    });
    check(
        "fhir.Observation",
        &observation,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("category[0].coding[0].system", "not_phi"),
            ("category[0].coding[0].code", "clinical"),
            ("category[0].coding[0].display", "clinical"),
            ("code.coding[0].system", "not_phi"),
            ("code.coding[0].code", "clinical"),
            ("code.coding[0].display", "clinical"),
            ("code.text", "clinical"),
            ("subject.reference", "identifier"),
            ("encounter.reference", "identifier"),
            ("effectiveDateTime", "clinical"),
            ("issued", "clinical"),
            ("component[0].code.coding[0].system", "not_phi"),
            ("component[0].code.coding[0].code", "clinical"),
            ("component[0].valueQuantity.value", "clinical"),
            ("component[0].valueQuantity.unit", "clinical"),
            ("component[0].valueQuantity.system", "clinical"),
            ("component[0].valueQuantity.code", "clinical"),
            ("valueCodeableConcept.coding[0].system", "not_phi"),
            ("valueCodeableConcept.coding[0].code", "clinical"),
            ("note[0].text", "free_text"),
        ],
    );
}

#[test]
fn condition_procedure_immunization_and_medication_leaves() {
    let condition = json!({
        "resourceType": "Condition", "id": "c-1",
        "clinicalStatus": {"coding": [{"system": "http://x/condition-clinical", "code": "active"}]},
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "44054006"}],
            "text": "Diabetes"
        },
        "subject": {"reference": "urn:uuid:p-1"},
        "onsetDateTime": "2001-01-01",
        "abatementDateTime": "2002-01-01",
        "recordedDate": "2001-01-01"
    });
    check(
        "fhir.Condition",
        &condition,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("clinicalStatus.coding[0].system", "not_phi"),
            ("clinicalStatus.coding[0].code", "clinical"),
            ("code.coding[0].system", "not_phi"),
            ("code.coding[0].code", "clinical"),
            ("code.text", "clinical"),
            ("subject.reference", "identifier"),
            ("onsetDateTime", "clinical"),
            ("abatementDateTime", "clinical"),
            ("recordedDate", "clinical"),
        ],
    );

    let procedure = json!({
        "resourceType": "Procedure", "id": "pr-1", "status": "completed",
        "code": {"text": "Throat culture"},
        "performedPeriod": {"start": "2001-01-01", "end": "2001-01-02"},
        "reasonReference": [{"reference": "urn:uuid:c-1", "display": "Acute viral pharyngitis"}]
    });
    check(
        "fhir.Procedure",
        &procedure,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("code.text", "clinical"),
            ("performedPeriod.start", "clinical"),
            ("performedPeriod.end", "clinical"),
            ("reasonReference[0].reference", "clinical"),
            ("reasonReference[0].display", "clinical"),
        ],
    );

    let immunization = json!({
        "resourceType": "Immunization", "id": "i-1", "status": "completed",
        "vaccineCode": {"text": "Influenza"}, "patient": {"reference": "urn:uuid:p-1"},
        "occurrenceDateTime": "2001-01-01", "primarySource": true
    });
    check(
        "fhir.Immunization",
        &immunization,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("vaccineCode.text", "clinical"),
            ("patient.reference", "identifier"),
            ("occurrenceDateTime", "clinical"),
            ("primarySource", "clinical"),
        ],
    );

    let medication = json!({
        "resourceType": "MedicationRequest", "id": "m-1", "status": "active", "intent": "order",
        "medicationCodeableConcept": {"text": "lisinopril 10 MG Oral Tablet"},
        "authoredOn": "2001-01-01", "requester": {"reference": "urn:uuid:pr-9"},
        "dosageInstruction": [{"sequence": 1, "timing": {"repeat": {"frequency": 1}}}]
    });
    check(
        "fhir.MedicationRequest",
        &medication,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("intent", "not_phi"),
            ("medicationCodeableConcept.text", "clinical"),
            ("authoredOn", "clinical"),
            ("requester.reference", "clinical"),
            ("dosageInstruction[0].sequence", "clinical"),
            ("dosageInstruction[0].timing.repeat.frequency", "clinical"),
        ],
    );
}

#[test]
fn encounter_and_report_leaves() {
    let encounter = json!({
        "resourceType": "Encounter", "id": "e-1", "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
        "type": [{"text": "Emergency room admission"}],
        "subject": {"reference": "urn:uuid:p-1", "display": "Zoë Ashgrove"},
        "participant": [{"individual": {"reference": "urn:uuid:pr-9"}}],
        "period": {"start": "2001-01-01T10:00:00Z"},
        "hospitalization": {"dischargeDisposition": {"text": "Home"}},
        "serviceProvider": {"reference": "urn:uuid:o-1"}
    });
    check(
        "fhir.Encounter",
        &encounter,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("class.system", "clinical"),
            ("class.code", "clinical"),
            ("type[0].text", "clinical"),
            ("subject.reference", "identifier"),
            ("subject.display", "name"),
            ("participant[0].individual.reference", "clinical"),
            ("period.start", "clinical"),
            ("hospitalization.dischargeDisposition.text", "clinical"),
            ("serviceProvider.reference", "clinical"),
        ],
    );

    let report = json!({
        "resourceType": "DiagnosticReport", "id": "d-1", "status": "final",
        "code": {"text": "Lipid Panel"}, "encounter": {"reference": "urn:uuid:e-1"},
        "issued": "2001-01-01",
        "result": [{"reference": "urn:uuid:obs-1", "display": "Cholesterol"}],
        "conclusion": "Borderline; recheck in six months"
    });
    check(
        "fhir.DiagnosticReport",
        &report,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("code.text", "clinical"),
            ("encounter.reference", "identifier"),
            ("issued", "clinical"),
            ("result[0].reference", "clinical"),
            ("result[0].display", "clinical"),
            ("conclusion", "free_text"),
        ],
    );
}

#[test]
fn claim_leaves() {
    let claim = json!({
        "resourceType": "Claim", "id": "cl-1", "status": "active", "use": "claim",
        "type": {"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}
        ]},
        "patient": {"reference": "urn:uuid:p-1"},
        "billablePeriod": {"start": "2001-01-01"}, "created": "2001-01-01",
        "provider": {"reference": "urn:uuid:o-1"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": true, "coverage": {"display": "Guardian Mutual"}}],
        "diagnosis": [{"sequence": 1, "diagnosisReference": {"reference": "urn:uuid:c-1"}}],
        "item": [{"sequence": 1, "diagnosisSequence": [1],
            "productOrService": {"text": "Encounter for symptom"},
            "encounter": [{"reference": "urn:uuid:e-1"}],
            "net": {"value": 129.16, "currency": "USD"}}],
        "total": {"value": 129.16, "currency": "USD"}
    });
    check(
        "fhir.Claim",
        &claim,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("status", "not_phi"),
            ("use", "not_phi"),
            ("type.coding[0].system", "not_phi"),
            ("type.coding[0].code", "financial"),
            ("patient.reference", "identifier"),
            ("billablePeriod.start", "clinical"),
            ("created", "clinical"),
            ("provider.reference", "clinical"),
            ("priority.coding[0].code", "financial"),
            ("insurance[0].sequence", "not_phi"),
            ("insurance[0].focal", "financial"),
            ("insurance[0].coverage.display", "financial"),
            ("diagnosis[0].sequence", "not_phi"),
            ("diagnosis[0].diagnosisReference.reference", "clinical"),
            ("item[0].sequence", "not_phi"),
            ("item[0].diagnosisSequence[0]", "not_phi"),
            ("item[0].productOrService.text", "clinical"),
            ("item[0].encounter[0].reference", "identifier"),
            ("item[0].net.value", "financial"),
            ("item[0].net.currency", "financial"),
            ("total.value", "financial"),
            ("total.currency", "financial"),
        ],
    );
}

#[test]
fn explanation_of_benefit_leaves() {
    let eob = json!({
        "resourceType": "ExplanationOfBenefit", "id": "eob-1",
        "contained": [
            {"resourceType": "ServiceRequest", "id": "referral", "status": "completed",
                "intent": "order", "subject": {"reference": "urn:uuid:p-1"},
                "requester": {"reference": "urn:uuid:pr-9"}},
            {"resourceType": "Coverage", "id": "coverage", "status": "active",
                "type": {"text": "Medicaid"}, "beneficiary": {"reference": "urn:uuid:p-1"},
                "payor": [{"display": "Medicaid"}]}
        ],
        "identifier": [
            {"system": "https://bluebutton.cms.gov/resources/variables/clm_id", "value": "cl-1"}
        ],
        "status": "active", "use": "claim", "outcome": "complete",
        "patient": {"reference": "urn:uuid:p-1"},
        "insurer": {"display": "Medicaid"},
        "referral": {"reference": "#referral"},
        "claim": {"reference": "urn:uuid:cl-1"},
        "careTeam": [{"sequence": 1, "provider": {"reference": "urn:uuid:pr-9"},
            "role": {"coding": [{"code": "primary"}]}}],
        "item": [{"sequence": 1,
            "category": {"coding": [{"code": "1", "display": "Medical care"}]},
            "servicedPeriod": {"start": "2001-01-01"},
            "locationCodeableConcept": {"coding": [{"code": "19"}]},
            "adjudication": [{"category": {"coding": [{"code": "submitted"}]},
                "amount": {"value": 12.5, "currency": "USD"}}]}],
        "total": [{"category": {"text": "Submitted Amount"}, "amount": {"value": 12.5}}],
        "payment": {"amount": {"value": 0}}
    });
    check(
        "fhir.ExplanationOfBenefit",
        &eob,
        &[
            ("resourceType", "not_phi"),
            ("id", "identifier"),
            ("contained[0].resourceType", "not_phi"),
            ("contained[0].id", "not_phi"),
            ("contained[0].status", "not_phi"),
            ("contained[0].intent", "not_phi"),
            ("contained[0].subject.reference", "identifier"),
            ("contained[0].requester.reference", "clinical"),
            ("contained[1].resourceType", "not_phi"),
            ("contained[1].id", "not_phi"),
            ("contained[1].status", "not_phi"),
            ("contained[1].type.text", "financial"),
            ("contained[1].beneficiary.reference", "identifier"),
            ("contained[1].payor[0].display", "financial"),
            ("identifier[0].system", "not_phi"),
            ("identifier[0].value", "identifier"),
            ("status", "not_phi"),
            ("use", "not_phi"),
            ("outcome", "not_phi"),
            ("patient.reference", "identifier"),
            ("insurer.display", "financial"),
            ("referral.reference", "clinical"),
            ("claim.reference", "identifier"),
            ("careTeam[0].sequence", "not_phi"),
            ("careTeam[0].provider.reference", "clinical"),
            ("careTeam[0].role.coding[0].code", "clinical"),
            ("item[0].sequence", "not_phi"),
            ("item[0].category.coding[0].code", "financial"),
            ("item[0].category.coding[0].display", "financial"),
            ("item[0].servicedPeriod.start", "clinical"),
            ("item[0].locationCodeableConcept.coding[0].code", "clinical"),
            (
                "item[0].adjudication[0].category.coding[0].code",
                "financial",
            ),
            ("item[0].adjudication[0].amount.value", "financial"),
            ("item[0].adjudication[0].amount.currency", "financial"),
            ("total[0].category.text", "financial"),
            ("total[0].amount.value", "financial"),
            ("payment.amount.value", "financial"),
        ],
    );
}

fn order() -> Value {
    json!({
        "id": 4401, "name": "#4401", "email": "zoe.a@example.org",
        "created_at": "2026-01-02T09:00:00-05:00", "currency": "USD",
        "financial_status": "paid", "total_price": "40.00",
        "note": "Allergic to latex",
        "note_attributes": [{"name": "Date of Birth", "value": "1984-03-09"}],
        "line_items": [{"id": 1, "title": "Thyroid care refill", "quantity": 1, "price": "40.00",
            "sku": "RX-1", "properties": [{"name": "Prescription", "value": "Levothyroxine"}]}],
        "billing_address": {"address1": "41 Alder Row", "city": "Milford", "company": null,
            "first_name": "Zoë", "last_name": "Ashgrove", "phone": "+1 617-555-0100",
            "zip": "01757", "name": "Zoë Ashgrove", "province_code": "MA"},
        "customer": {"id": 9001, "email": "zoe.a@example.org", "first_name": "Zoë",
            "last_name": "Ashgrove", "note": null, "tags": "",
            "default_address": {"address2": ""}},
        "client_details": {"browser_ip": "203.0.113.9", "user_agent": "Mozilla/5.0"},
        "payment_details": {"credit_card_number": "XXXX-XXXX-XXXX-0000"}
    })
}

#[test]
fn shopify_order_leaves() {
    check(
        SHOPIFY_ORDER,
        &order(),
        &[
            ("id", "not_phi"),
            ("name", "not_phi"),
            ("email", "contact"),
            ("created_at", "clinical"),
            ("currency", "not_phi"),
            ("financial_status", "financial"),
            ("total_price", "financial"),
            ("note", "free_text"),
            ("note_attributes[0].name", "not_phi"),
            ("note_attributes[0].value", "free_text"),
            ("line_items[0].id", "not_phi"),
            ("line_items[0].title", "clinical"),
            ("line_items[0].quantity", "clinical"),
            ("line_items[0].price", "financial"),
            ("line_items[0].sku", "clinical"),
            ("line_items[0].properties[0].name", "not_phi"),
            ("line_items[0].properties[0].value", "free_text"),
            ("billing_address.address1", "address"),
            ("billing_address.city", "address"),
            ("billing_address.company", "address"),
            ("billing_address.first_name", "name"),
            ("billing_address.last_name", "name"),
            ("billing_address.phone", "contact"),
            ("billing_address.zip", "address"),
            ("billing_address.name", "name"),
            ("billing_address.province_code", "address"),
            ("customer.id", "identifier"),
            ("customer.email", "contact"),
            ("customer.first_name", "name"),
            ("customer.last_name", "name"),
            ("customer.note", "free_text"),
            ("customer.tags", "free_text"),
            ("customer.default_address.address2", "address"),
            ("client_details.browser_ip", "identifier"),
            ("client_details.user_agent", "identifier"),
            ("payment_details.credit_card_number", "financial"),
        ],
    );
}

#[test]
fn tenant_attribute_maps_classify_form_values() {
    let mut map = AttributeMap::new();
    map.insert("date of birth", Classification::Phi(Category::Birthdate))
        .unwrap();
    map.insert("PRESCRIPTION", Classification::Phi(Category::Clinical))
        .unwrap();
    let base = builtin_type(SHOPIFY_ORDER).unwrap();
    let tenant = base.with_attribute_map(&map);
    assert_eq!(tenant.rules().len(), base.rules().len() + 4);

    let doc = order();
    let classify = |t: &RecordType, path: &str| t.classify(&doc, &path.parse().unwrap());
    let birthdate = Classification::Phi(Category::Birthdate);
    let clinical = Classification::Phi(Category::Clinical);
    assert_eq!(classify(&tenant, "note_attributes[0].value"), birthdate);
    assert_eq!(
        classify(&tenant, "line_items[0].properties[0].value"),
        clinical
    );
    assert_eq!(
        classify(&tenant, "note_attributes[0].name"),
        Classification::NotPhi
    );
    assert_eq!(
        classify(base, "note_attributes[0].value"),
        Classification::UNMATCHED
    );

    // Types without attribute lists are unchanged.
    let patient_type = builtin_type("fhir.Patient").unwrap();
    assert_eq!(
        patient_type.with_attribute_map(&map).rules(),
        patient_type.rules()
    );
}

#[test]
fn builtin_search_fields_find_the_patient_and_the_buyer() {
    let terms = crate::search::search_terms(builtin_type("fhir.Patient").unwrap(), &patient());
    let texts: Vec<String> = terms
        .iter()
        .map(|t| format!("{}={}", t.field, t.normalized))
        .collect();
    assert_eq!(
        texts,
        [
            "ssn=999123456",
            "phone=5550100199",
            "family_birthdate=8:ashgrove10:1984-03-09"
        ]
    );

    let terms = crate::search::search_terms(builtin_type(SHOPIFY_ORDER).unwrap(), &order());
    let texts: Vec<String> = terms
        .iter()
        .map(|t| format!("{}={}", t.field, t.normalized))
        .collect();
    assert_eq!(
        texts,
        [
            "email=zoe.a@example.org",
            "phone=6175550100",
            "shopify_customer=9001",
            "family_birthdate=8:ashgrove10:1984-03-09"
        ]
    );
}

#[test]
fn masked_patient_shows_only_reduced_forms() {
    use phiguard_core::{Disclosure, Disclosures};
    let record = crate::split::split(builtin_type("fhir.Patient").unwrap(), &patient()).unwrap();
    let rebuilt = record.reassemble(&Disclosures::uniform(Disclosure::Masked));

    assert_eq!(rebuilt["name"][0]["family"], "A.");
    assert_eq!(rebuilt["name"][0]["given"][0], "Z.");
    assert_eq!(rebuilt["birthDate"], "1984");
    assert_eq!(rebuilt["identifier"][0]["value"], "****3456");
    assert_eq!(
        rebuilt["identifier"][0]["system"],
        "http://hl7.org/fhir/sid/us-ssn"
    );
    assert_eq!(rebuilt["telecom"][0]["value"], "****0199");
    assert_eq!(rebuilt["address"][0]["postalCode"], "017**");
    assert_eq!(rebuilt["address"][0]["city"], "Milford");
    assert!(rebuilt["address"][0].get("line").is_none());
    assert!(rebuilt.get("gender").is_none() && rebuilt.get("text").is_some());
    assert!(rebuilt["text"].get("div").is_none());
    assert_eq!(rebuilt["id"], "****0001");
}

#[test]
fn masked_order_shows_only_reduced_forms() {
    use phiguard_core::{Disclosure, Disclosures};
    let record = crate::split::split(builtin_type(SHOPIFY_ORDER).unwrap(), &order()).unwrap();
    let rebuilt = record.reassemble(&Disclosures::uniform(Disclosure::Masked));

    assert_eq!(rebuilt["email"], "z***@example.org");
    assert_eq!(rebuilt["billing_address"]["phone"], "****0100");
    assert_eq!(rebuilt["billing_address"]["zip"], "017**");
    assert_eq!(rebuilt["billing_address"]["city"], "Milford");
    assert_eq!(rebuilt["billing_address"]["name"], "Z. A.");
    assert!(rebuilt["billing_address"].get("address1").is_none());
    assert_eq!(
        rebuilt["customer"]["id"], "****",
        "a short customer id is not revealed"
    );
    assert_eq!(
        rebuilt["note_attributes"],
        json!([{"name": "Date of Birth"}])
    );
    assert_eq!(
        rebuilt["line_items"][0],
        json!({"id": 1, "properties": [{"name": "Prescription"}]})
    );
    for withheld in ["note", "created_at", "total_price", "financial_status"] {
        assert!(rebuilt.get(withheld).is_none(), "{withheld}");
    }
}
