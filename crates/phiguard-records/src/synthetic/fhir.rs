//! Synthea-shaped FHIR R4 transaction bundles about fictional patients.

use serde_json::{Value, json};

use super::rng::Rng;
use super::vocabulary::*;

/// How big each generated patient bundle is.
///
/// The default gives about 130 entries and 0.3 MB of JSON, in the range of Synthea's sample
/// bundles (70–700 entries, 0.3–0.7 MB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleShape {
    /// Encounters per patient. Each encounter gets a Claim and an ExplanationOfBenefit; there
    /// is a Condition for every third, a Procedure and an Immunization for every second, and a
    /// MedicationRequest and a DiagnosticReport for every fourth.
    pub encounters: usize,
    /// Observations per encounter (every fourth is a blood pressure panel with components,
    /// every ninth a smoking status with a coded value).
    pub observations_per_encounter: usize,
}

impl Default for BundleShape {
    fn default() -> Self {
        BundleShape {
            encounters: 14,
            observations_per_encounter: 5,
        }
    }
}

impl BundleShape {
    fn conditions(&self) -> usize {
        self.encounters.div_ceil(3)
    }

    fn every_second(&self) -> usize {
        self.encounters.div_ceil(2)
    }

    fn every_fourth(&self) -> usize {
        self.encounters.div_ceil(4)
    }

    /// The number of entries a bundle of this shape has: the patient, one Organization, one
    /// Practitioner, one CarePlan (a type without a built-in record type) and the clinical and
    /// financial resources.
    pub fn entries(&self) -> usize {
        let per_encounter = 3 + self.observations_per_encounter;
        let care_plan = usize::from(self.encounters > 0);
        3 + care_plan
            + self.encounters * per_encounter
            + self.conditions()
            + 2 * self.every_second()
            + 2 * self.every_fourth()
    }
}

/// One generated bundle and the identifying values planted in it.
#[derive(Clone, PartialEq)]
pub struct SyntheticBundle {
    /// The FHIR Bundle (type `transaction`) as JSON.
    pub bundle: Value,
    /// The patient's `id` (also the MRN and the `urn:uuid:` of its entry).
    pub patient_id: String,
    /// Every identifying value the generator put into the patient's resources: names,
    /// identifiers, telecom, address line, birth date, narrative. Independent of any record
    /// type, so tests can check classification against it.
    pub planted: Vec<String>,
}

impl SyntheticBundle {
    /// The bundle as JSON bytes, as an import file holds it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bundle.to_string().into_bytes()
    }
}

impl std::fmt::Debug for SyntheticBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticBundle")
            .field("planted", &self.planted.len())
            .finish()
    }
}

struct Person {
    id: String,
    given: String,
    family: String,
    female: bool,
    maiden_family: Option<String>,
    mother_maiden_name: String,
    ssn: String,
    drivers_license: Option<String>,
    passport: Option<String>,
    phone: String,
    line: String,
    city: &'static str,
    postal_code: &'static str,
    birth_date: String,
    birth_year: u64,
    narrative: String,
}

/// Synthea appends digits to generated names; so do we, half of the time.
fn with_digits(rng: &mut Rng, name: &str) -> String {
    if rng.chance(50) {
        format!("{name}{}", rng.between(10, 999))
    } else {
        name.to_owned()
    }
}

impl Person {
    fn generate(rng: &mut Rng) -> Person {
        let female = rng.chance(50);
        let given = *rng.pick(if female { GIVEN_FEMALE } else { GIVEN_MALE });
        let given = with_digits(rng, given);
        let family = *rng.pick(FAMILY);
        let family = with_digits(rng, family);
        let birth_date = rng.date(1930, 2012);
        let birth_year = birth_date[..4].parse().unwrap_or(1970);
        let maiden_family = (female && rng.chance(50)).then(|| {
            let maiden = *rng.pick(FAMILY);
            with_digits(rng, maiden)
        });
        let mother_maiden_name = format!("{} {}", rng.pick(GIVEN_FEMALE), rng.pick(FAMILY));
        let (city, postal_code) = *rng.pick(CITIES);
        let line = format!(
            "{} {} {}{}",
            rng.between(2, 980),
            rng.pick(STREETS),
            rng.pick(STREET_SUFFIXES),
            if rng.chance(30) {
                format!(" Suite {}", rng.between(2, 90))
            } else {
                String::new()
            }
        );
        let narrative = format!(
            "<div xmlns=\"http://www.w3.org/1999/xhtml\">{given} {family} lives at {line} and \
             was first seen in {}.</div>",
            birth_year + 1
        );

        Person {
            id: rng.uuid(),
            ssn: format!("999-{}-{}", rng.digits(2), rng.digits(4)),
            drivers_license: rng.chance(80).then(|| format!("S99{}", rng.digits(7))),
            passport: rng.chance(60).then(|| format!("X{}X", rng.digits(8))),
            phone: format!("555-{}-{}", rng.digits(3), rng.digits(4)),
            given,
            family,
            female,
            maiden_family,
            mother_maiden_name,
            line,
            city,
            postal_code,
            birth_date,
            birth_year,
            narrative,
        }
    }

    fn planted(&self) -> Vec<String> {
        let mut planted = vec![
            self.id.clone(),
            self.given.clone(),
            self.family.clone(),
            self.mother_maiden_name.clone(),
            self.ssn.clone(),
            self.phone.clone(),
            self.line.clone(),
            self.birth_date.clone(),
            self.narrative.clone(),
        ];
        planted.extend(self.maiden_family.clone());
        planted.extend(self.drivers_license.clone());
        planted.extend(self.passport.clone());
        planted
    }
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [{"system": system, "code": code, "display": display}], "text": display})
}

fn identifier_type(code: &str, display: &str) -> Value {
    coding(
        "http://terminology.hl7.org/CodeSystem/v2-0203",
        code,
        display,
    )
}

fn reference(uuid: &str) -> Value {
    json!({"reference": format!("urn:uuid:{uuid}")})
}

fn entry(uuid: &str, resource: Value) -> Value {
    let resource_type = resource["resourceType"].clone();
    json!({
        "fullUrl": format!("urn:uuid:{uuid}"),
        "resource": resource,
        "request": {"method": "POST", "url": resource_type}
    })
}

fn meta() -> Value {
    json!({"tag": [{"system": "https://phiguard.invalid/tags", "code": "synthetic"}]})
}

fn patient(person: &Person) -> Value {
    let mut identifiers = vec![
        json!({"system": "https://github.com/synthetichealth/synthea", "value": person.id}),
        json!({"type": identifier_type("MR", "Medical Record Number"),
            "system": "http://hospital.smarthealthit.org", "value": person.id}),
        json!({"type": identifier_type("SS", "Social Security Number"),
            "system": "http://hl7.org/fhir/sid/us-ssn", "value": person.ssn}),
    ];
    if let Some(licence) = &person.drivers_license {
        identifiers.push(json!({"type": identifier_type("DL", "Driver's License"),
            "system": "urn:oid:2.16.840.1.113883.4.3.25", "value": licence}));
    }
    if let Some(passport) = &person.passport {
        identifiers.push(json!({"type": identifier_type("PPN", "Passport Number"),
            "system": "http://standardhealthrecord.org/fhir/StructureDefinition/passportNumber",
            "value": passport}));
    }

    let prefix = if person.female { "Ms." } else { "Mr." };
    let mut names = vec![json!({"use": "official", "family": person.family,
        "given": [person.given], "prefix": [prefix]})];
    if let Some(maiden) = &person.maiden_family {
        names.push(
            json!({"use": "maiden", "family": maiden, "given": [person.given],
            "prefix": ["Mrs."]}),
        );
    }

    let race = json!({"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
    "extension": [
        {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238",
            "code": "2106-3", "display": "White"}},
        {"url": "text", "valueString": "White"}
    ]});
    let ethnicity = json!({
        "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
    "extension": [
        {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238",
            "code": "2186-5", "display": "Not Hispanic or Latino"}},
        {"url": "text", "valueString": "Not Hispanic or Latino"}
    ]});

    json!({
        "resourceType": "Patient",
        "id": person.id,
        "text": {"status": "generated", "div": person.narrative},
        "extension": [
            race,
            ethnicity,
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                "valueString": person.mother_maiden_name},
            {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": if person.female { "F" } else { "M" }},
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"city": "Springfield", "state": "Massachusetts", "country": "US"}},
            {"url": "http://synthetichealth.github.io/synthea/disability-adjusted-life-years",
                "valueDecimal": 0.4},
            {"url": "http://synthetichealth.github.io/synthea/quality-adjusted-life-years",
                "valueDecimal": 31.2}
        ],
        "identifier": identifiers,
        "name": names,
        "telecom": [{"system": "phone", "value": person.phone, "use": "home"}],
        "gender": if person.female { "female" } else { "male" },
        "birthDate": person.birth_date,
        "address": [{
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                "extension": [
                    {"url": "latitude", "valueDecimal": 42.150664},
                    {"url": "longitude", "valueDecimal": -71.517783}
                ]}],
            "line": [person.line],
            "city": person.city,
            "state": "Massachusetts",
            "postalCode": person.postal_code,
            "country": "US"
        }],
        "maritalStatus": coding("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "S",
            "Never Married"),
        "multipleBirthBoolean": false,
        "communication": [{"language": coding("urn:ietf:bcp:47", "en-US", "English")}],
        "meta": meta()
    })
}

/// A date-time on `date` at a random hour, with a Massachusetts offset.
fn moment(rng: &mut Rng, date: &str) -> String {
    format!(
        "{date}T{:02}:{:02}:00-04:00",
        rng.between(7, 18),
        rng.between(0, 59)
    )
}

struct Context<'p> {
    person: &'p Person,
    organization: String,
    practitioner: String,
}

struct Visit {
    uuid: String,
    start: String,
    end: String,
    code: (&'static str, &'static str),
}

fn encounter(rng: &mut Rng, context: &Context<'_>) -> (Visit, Value) {
    let date = rng.date(
        context.person.birth_year + 1,
        context.person.birth_year + 60,
    );
    let start = moment(rng, &date);
    let end = format!("{date}T{}", &moment(rng, &date)[11..]);
    let code = *rng.pick(ENCOUNTER_TYPES);
    let visit = Visit {
        uuid: rng.uuid(),
        start,
        end,
        code,
    };

    let mut resource = json!({
        "resourceType": "Encounter",
        "id": visit.uuid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [coding("http://snomed.info/sct", code.0, code.1)],
        "subject": reference(&context.person.id),
        "participant": [{"individual": reference(&context.practitioner)}],
        "period": {"start": visit.start, "end": visit.end},
        "serviceProvider": reference(&context.organization),
        "meta": meta()
    });
    if rng.chance(30) {
        let reason = rng.pick(CONDITIONS);
        resource["reasonCode"] = json!([coding("http://snomed.info/sct", reason.0, reason.1)]);
    }
    (visit, resource)
}

fn observation(rng: &mut Rng, context: &Context<'_>, visit: &Visit, ordinal: usize) -> Value {
    let mut resource = json!({
        "resourceType": "Observation",
        "id": rng.uuid(),
        "status": "final",
        "category": [coding("http://terminology.hl7.org/CodeSystem/observation-category",
            "vital-signs", "vital-signs")],
        "subject": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "effectiveDateTime": visit.start,
        "issued": format!("{}.000-04:00", &visit.start[..19]),
        "meta": meta()
    });

    if ordinal % 9 == 8 {
        resource["code"] = coding("http://loinc.org", "72166-2", "Tobacco smoking status NHIS");
        resource["valueCodeableConcept"] =
            coding("http://snomed.info/sct", "266919005", "Never smoker");
    } else if ordinal % 4 == 3 {
        resource["code"] = coding("http://loinc.org", "85354-9", "Blood Pressure");
        let component = |code: &str, display: &str, value: u64| {
            json!({"code": coding("http://loinc.org", code, display),
                "valueQuantity": {"value": value, "unit": "mm[Hg]",
                    "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}})
        };
        resource["component"] = json!([
            component("8462-4", "Diastolic Blood Pressure", rng.between(60, 95)),
            component("8480-6", "Systolic Blood Pressure", rng.between(100, 150)),
        ]);
    } else {
        let (code, display, unit, low, high) = *rng.pick(VITALS);
        let value = rng.between(low * 10, high * 10) as f64 / 10.0;
        resource["code"] = coding("http://loinc.org", code, display);
        resource["valueQuantity"] = json!({"value": value, "unit": unit,
            "system": "http://unitsofmeasure.org", "code": unit});
    }
    resource
}

fn condition(rng: &mut Rng, context: &Context<'_>, visit: &Visit) -> Value {
    let code = rng.pick(CONDITIONS);
    let mut resource = json!({
        "resourceType": "Condition",
        "id": rng.uuid(),
        "clinicalStatus": coding("http://terminology.hl7.org/CodeSystem/condition-clinical",
            "active", "Active"),
        "verificationStatus": coding("http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "confirmed", "Confirmed"),
        "code": coding("http://snomed.info/sct", code.0, code.1),
        "subject": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "onsetDateTime": visit.start,
        "recordedDate": visit.start,
        "meta": meta()
    });
    if rng.chance(40) {
        resource["abatementDateTime"] = json!(visit.end);
    }
    resource
}

fn procedure(rng: &mut Rng, context: &Context<'_>, visit: &Visit) -> Value {
    let code = rng.pick(PROCEDURES);
    json!({
        "resourceType": "Procedure",
        "id": rng.uuid(),
        "status": "completed",
        "code": coding("http://snomed.info/sct", code.0, code.1),
        "subject": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "performedPeriod": {"start": visit.start, "end": visit.end},
        "meta": meta()
    })
}

fn immunization(rng: &mut Rng, context: &Context<'_>, visit: &Visit) -> Value {
    let code = rng.pick(VACCINES);
    json!({
        "resourceType": "Immunization",
        "id": rng.uuid(),
        "status": "completed",
        "vaccineCode": coding("http://hl7.org/fhir/sid/cvx", code.0, code.1),
        "patient": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "occurrenceDateTime": visit.start,
        "primarySource": true,
        "meta": meta()
    })
}

fn medication_request(rng: &mut Rng, context: &Context<'_>, visit: &Visit) -> Value {
    let code = rng.pick(MEDICATIONS);
    json!({
        "resourceType": "MedicationRequest",
        "id": rng.uuid(),
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": coding("http://www.nlm.nih.gov/research/umls/rxnorm",
            code.0, code.1),
        "subject": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "authoredOn": visit.start,
        "requester": reference(&context.practitioner),
        "dosageInstruction": [{"sequence": 1, "asNeededBoolean": false,
            "timing": {"repeat": {"frequency": 1, "period": 1.0, "periodUnit": "d"}},
            "doseAndRate": [{"type": coding(
                "http://terminology.hl7.org/CodeSystem/dose-rate-type", "ordered", "Ordered"),
                "doseQuantity": {"value": 1.0}}]}],
        "meta": meta()
    })
}

fn diagnostic_report(
    rng: &mut Rng,
    context: &Context<'_>,
    visit: &Visit,
    results: &[String],
) -> Value {
    let result: Vec<Value> = results
        .iter()
        .map(|uuid| json!({"reference": format!("urn:uuid:{uuid}"), "display": "Glucose"}))
        .collect();
    json!({
        "resourceType": "DiagnosticReport",
        "id": rng.uuid(),
        "status": "final",
        "category": [coding("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
        "code": coding("http://loinc.org", "51990-0", "Basic Metabolic Panel"),
        "subject": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "effectiveDateTime": visit.start,
        "issued": format!("{}.000-04:00", &visit.start[..19]),
        "result": result,
        "meta": meta()
    })
}

fn claim(rng: &mut Rng, context: &Context<'_>, visit: &Visit) -> (String, Value, u64) {
    let uuid = rng.uuid();
    let price = rng.between(60, 900);
    let resource = json!({
        "resourceType": "Claim",
        "id": uuid,
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
            "code": "institutional"}]},
        "use": "claim",
        "patient": reference(&context.person.id),
        "billablePeriod": {"start": visit.start, "end": visit.end},
        "created": visit.end,
        "provider": reference(&context.organization),
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
            "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": true, "coverage": {"display": "Guardian Mutual"}}],
        "item": [{
            "sequence": 1,
            "productOrService": coding("http://snomed.info/sct", visit.code.0, visit.code.1),
            "encounter": [reference(&visit.uuid)],
            "net": {"value": price, "currency": "USD"}
        }],
        "total": {"value": price, "currency": "USD"},
        "meta": meta()
    });
    (uuid, resource, price)
}

fn explanation_of_benefit(
    rng: &mut Rng,
    context: &Context<'_>,
    visit: &Visit,
    claim_uuid: &str,
    price: u64,
) -> Value {
    let adjudication = |code: &str, display: &str, amount: f64| {
        json!({"category": coding("https://bluebutton.cms.gov/resources/codesystem/adjudication",
            code, display), "amount": {"value": amount, "currency": "USD"}})
    };
    let paid = price as f64 * 0.8;
    json!({
        "resourceType": "ExplanationOfBenefit",
        "id": rng.uuid(),
        "contained": [
            {"resourceType": "ServiceRequest", "id": "referral", "status": "completed",
                "intent": "order", "subject": reference(&context.person.id),
                "requester": reference(&context.practitioner),
                "performer": [reference(&context.practitioner)]},
            {"resourceType": "Coverage", "id": "coverage", "status": "active",
                "type": {"text": "Guardian Mutual"},
                "beneficiary": reference(&context.person.id),
                "payor": [{"display": "Guardian Mutual"}]}
        ],
        "identifier": [
            {"system": "https://bluebutton.cms.gov/resources/variables/clm_id",
                "value": claim_uuid},
            {"system": "https://bluebutton.cms.gov/resources/identifier/claim-group",
                "value": rng.digits(11)}
        ],
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
            "code": "institutional"}]},
        "use": "claim",
        "patient": reference(&context.person.id),
        "billablePeriod": {"start": visit.start, "end": visit.end},
        "created": visit.end,
        "insurer": {"display": "Guardian Mutual"},
        "provider": reference(&context.practitioner),
        "referral": {"reference": "#referral"},
        "claim": reference(claim_uuid),
        "outcome": "complete",
        "careTeam": [{"sequence": 1, "provider": reference(&context.practitioner),
            "role": coding("http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary",
                "Primary Care Practitioner")}],
        "insurance": [{"focal": true, "coverage": {"reference": "#coverage",
            "display": "Guardian Mutual"}}],
        "item": [{
            "sequence": 1,
            "category": coding(
                "https://bluebutton.cms.gov/resources/variables/line_cms_type_srvc_cd",
                "1",
                "Medical care"
            ),
            "productOrService": coding("http://snomed.info/sct", visit.code.0, visit.code.1),
            "servicedPeriod": {"start": visit.start, "end": visit.end},
            "locationCodeableConcept": coding(
                "http://terminology.hl7.org/CodeSystem/ex-serviceplace", "19",
                "Off Campus-Outpatient Hospital"),
            "encounter": [reference(&visit.uuid)],
            "net": {"value": price, "currency": "USD"},
            "adjudication": [
                adjudication("https://bluebutton.cms.gov/resources/variables/line_prcsg_ind_cd",
                    "Line Processing Indicator Code", 0.0),
                adjudication("https://bluebutton.cms.gov/resources/variables/line_bene_pmt_amt",
                    "Line Beneficiary Payment Amount", paid)
            ]
        }],
        "total": [{"category": coding("http://terminology.hl7.org/CodeSystem/adjudication",
            "submitted", "Submitted Amount"), "amount": {"value": price, "currency": "USD"}}],
        "payment": {"amount": {"value": paid, "currency": "USD"}},
        "meta": meta()
    })
}

fn organization(uuid: &str) -> Value {
    json!({
        "resourceType": "Organization",
        "id": uuid,
        "identifier": [{"system": "https://github.com/synthetichealth/synthea", "value": uuid}],
        "active": true,
        "type": [coding("http://terminology.hl7.org/CodeSystem/organization-type", "prov",
            "Healthcare Provider")],
        "name": "HARBORVIEW FICTIONAL HEALTH",
        "telecom": [{"system": "phone", "value": "5085550100"}],
        "address": [{"line": ["1 CLINIC WAY"], "city": "MILFORD", "state": "MA",
            "postalCode": "01757", "country": "US"}],
        "meta": meta()
    })
}

fn practitioner(uuid: &str) -> Value {
    json!({
        "resourceType": "Practitioner",
        "id": uuid,
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "9999999999"}],
        "active": true,
        "name": [{"family": "Okafor", "given": ["Imani"], "prefix": ["Dr."]}],
        "gender": "female",
        "meta": meta()
    })
}

fn care_plan(rng: &mut Rng, context: &Context<'_>, visit: &Visit) -> Value {
    json!({
        "resourceType": "CarePlan",
        "id": rng.uuid(),
        "status": "active",
        "intent": "order",
        "subject": reference(&context.person.id),
        "encounter": reference(&visit.uuid),
        "period": {"start": visit.start},
        "meta": meta()
    })
}

/// A transaction bundle about one fictional patient.
pub(crate) fn patient_bundle(rng: &mut Rng, shape: &BundleShape) -> SyntheticBundle {
    let person = Person::generate(rng);
    let context = Context {
        person: &person,
        organization: rng.uuid(),
        practitioner: rng.uuid(),
    };

    let mut entries = vec![
        entry(&context.organization, organization(&context.organization)),
        entry(&context.practitioner, practitioner(&context.practitioner)),
        entry(&person.id, patient(&person)),
    ];

    for number in 0..shape.encounters {
        let (visit, resource) = encounter(rng, &context);
        entries.push(entry(&visit.uuid, resource));

        let mut observation_ids = Vec::new();
        for ordinal in 0..shape.observations_per_encounter {
            let resource = observation(rng, &context, &visit, number + ordinal);
            let uuid = resource["id"].as_str().unwrap_or_default().to_owned();
            entries.push(entry(&uuid, resource));
            observation_ids.push(uuid);
        }

        let mut clinical = Vec::new();
        if number % 3 == 0 {
            clinical.push(condition(rng, &context, &visit));
        }
        if number % 2 == 0 {
            clinical.push(procedure(rng, &context, &visit));
            clinical.push(immunization(rng, &context, &visit));
        }
        if number % 4 == 0 {
            clinical.push(medication_request(rng, &context, &visit));
            clinical.push(diagnostic_report(rng, &context, &visit, &observation_ids));
        }
        if number == 0 {
            clinical.push(care_plan(rng, &context, &visit));
        }
        for resource in clinical {
            let uuid = resource["id"].as_str().unwrap_or_default().to_owned();
            entries.push(entry(&uuid, resource));
        }

        let (claim_uuid, claim_resource, price) = claim(rng, &context, &visit);
        entries.push(entry(&claim_uuid, claim_resource));
        let eob = explanation_of_benefit(rng, &context, &visit, &claim_uuid, price);
        let eob_uuid = eob["id"].as_str().unwrap_or_default().to_owned();
        entries.push(entry(&eob_uuid, eob));
    }

    SyntheticBundle {
        bundle: json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
        patient_id: person.id.clone(),
        planted: person.planted(),
    }
}
