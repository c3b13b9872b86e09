//! The disclosure matrix over HTTP: every default role × purposes of use × the PHI categories of
//! a FHIR Patient and a Shopify order, read through the real server.
//!
//! The expected outcome of each cell is written out below by hand from the default policies
//! (`phiguard-policy/cedar/defaults.cedar`) and the masking rules of DESIGN.md; the expected
//! leaves of each fixture are written out with their category and masked form, worked out from
//! the built-in record types. Neither is derived from the code under test.

mod common;

use std::collections::BTreeMap;

use common::fixtures::{self, leaves};
use common::setup::{DEFAULT_ROLES, Tenant};
use common::{Server, Workspace};
use serde_json::{Value, json};

/// The nine categories in the order of the table's columns.
const CATEGORIES: [&str; 9] = [
    "identifier",
    "name",
    "contact",
    "address",
    "birthdate",
    "demographic",
    "clinical",
    "financial",
    "free_text",
];

/// Role × purpose → outcome. An outcome is `403` (forbidden by policy), `400` (break-glass
/// without a reason), or the disclosure of each category in the column order above:
/// `C` clear, `M` masked, `-` withheld.
const MATRIX: &[(&str, &str, &str)] = &[
    // Columns: identifier, name, contact, address, birthdate, demographic, clinical, financial,
    // free_text.
    ("clinician", "TREAT", "C   C   C   C   C   C   C   -   C"),
    ("clinician", "ETREAT", "400"),
    ("clinician", "HPAYMT", "403"),
    ("clinician", "HOPERAT", "403"),
    ("clinician", "PATRQT", "403"),
    ("clinician", "HRESCH", "403"),
    ("pharmacist", "TREAT", "C   C   C   M   C   C   C   -   C"),
    ("pharmacist", "ETREAT", "400"),
    ("pharmacist", "HPAYMT", "403"),
    ("pharmacist", "HOPERAT", "403"),
    ("pharmacist", "PATRQT", "403"),
    ("pharmacist", "HRESCH", "403"),
    ("fulfillment", "TREAT", "403"),
    ("fulfillment", "ETREAT", "400"),
    ("fulfillment", "HPAYMT", "403"),
    (
        "fulfillment",
        "HOPERAT",
        "-   C   C   C   -   -   -   -   -",
    ),
    ("fulfillment", "PATRQT", "403"),
    ("fulfillment", "HRESCH", "403"),
    ("billing", "TREAT", "403"),
    ("billing", "ETREAT", "400"),
    ("billing", "HPAYMT", "C   M   -   -   M   -   -   C   -"),
    ("billing", "HOPERAT", "403"),
    ("billing", "PATRQT", "403"),
    ("billing", "HRESCH", "403"),
    ("support", "TREAT", "403"),
    ("support", "ETREAT", "400"),
    ("support", "HPAYMT", "403"),
    ("support", "HOPERAT", "M   M   M   M   M   -   -   -   -"),
    ("support", "PATRQT", "M   M   M   M   M   -   -   -   -"),
    ("support", "HRESCH", "403"),
    ("storefront", "TREAT", "403"),
    ("storefront", "ETREAT", "400"),
    ("storefront", "HPAYMT", "403"),
    // The storefront shows where an order goes, never identifiers or birth dates.
    ("storefront", "HOPERAT", "-   M   M   M   -   -   -   -   -"),
    ("storefront", "PATRQT", "-   M   M   M   -   -   -   -   -"),
    ("storefront", "HRESCH", "403"),
    ("analytics", "TREAT", "403"),
    ("analytics", "ETREAT", "400"),
    ("analytics", "HPAYMT", "403"),
    ("analytics", "HOPERAT", "-   -   -   -   M   C   -   -   -"),
    ("analytics", "PATRQT", "403"),
    ("analytics", "HRESCH", "-   -   -   -   M   C   -   -   -"),
    ("tenant_admin", "TREAT", "403"),
    ("tenant_admin", "ETREAT", "400"),
    ("tenant_admin", "HPAYMT", "403"),
    ("tenant_admin", "HOPERAT", "403"),
    ("tenant_admin", "PATRQT", "403"),
    ("tenant_admin", "HRESCH", "403"),
    ("platform_operator", "TREAT", "403"),
    ("platform_operator", "ETREAT", "400"),
    ("platform_operator", "HPAYMT", "403"),
    ("platform_operator", "HOPERAT", "403"),
    ("platform_operator", "PATRQT", "403"),
    ("platform_operator", "HRESCH", "403"),
];

/// What a leaf is: structure (always shown) or a category, with the form a `masked`
/// disclosure shows (`None`: dropped).
#[derive(Clone, Copy)]
enum Kind {
    Structure,
    Phi(&'static str, Option<&'static str>),
}

use Kind::{Phi, Structure};

/// Every leaf of `tests/fixtures/patient-marisol.json`, classified by `fhir.Patient`.
const PATIENT_LEAVES: &[(&str, Kind)] = &[
    ("/resourceType", Structure),
    ("/id", Phi("identifier", Some("****4e5f"))),
    ("/meta/lastUpdated", Structure),
    ("/text/status", Structure),
    ("/text/div", Phi("free_text", None)),
    ("/extension/0/url", Structure),
    ("/extension/0/valueString", Phi("name", Some("I. H."))),
    ("/extension/1/url", Structure),
    ("/extension/1/valueCode", Phi("demographic", None)),
    ("/extension/2/url", Structure),
    ("/extension/2/valueDecimal", Phi("clinical", None)),
    ("/identifier/0/type/coding/0/system", Structure),
    ("/identifier/0/type/coding/0/code", Structure),
    ("/identifier/0/system", Structure),
    ("/identifier/0/value", Phi("identifier", Some("****7781"))),
    ("/identifier/1/type/coding/0/system", Structure),
    ("/identifier/1/type/coding/0/code", Structure),
    ("/identifier/1/system", Structure),
    ("/identifier/1/value", Phi("identifier", Some("****3456"))),
    ("/name/0/use", Structure),
    ("/name/0/family", Phi("name", Some("Q."))),
    ("/name/0/given/0", Phi("name", Some("M."))),
    ("/name/0/given/1", Phi("name", Some("J."))),
    ("/name/0/prefix/0", Phi("name", Some("M."))),
    ("/telecom/0/system", Structure),
    ("/telecom/0/value", Phi("contact", Some("****5309"))),
    ("/telecom/0/use", Structure),
    ("/telecom/1/system", Structure),
    ("/telecom/1/value", Phi("contact", Some("m***@example.org"))),
    ("/gender", Phi("demographic", None)),
    ("/birthDate", Phi("birthdate", Some("1984"))),
    ("/deceasedBoolean", Phi("clinical", None)),
    ("/address/0/use", Structure),
    ("/address/0/line/0", Phi("address", None)),
    ("/address/0/city", Phi("address", Some("Lowell"))),
    ("/address/0/state", Phi("address", Some("MA"))),
    ("/address/0/postalCode", Phi("address", Some("018**"))),
    ("/address/0/country", Phi("address", Some("US"))),
    ("/maritalStatus/coding/0/system", Structure),
    ("/maritalStatus/coding/0/code", Phi("demographic", None)),
    ("/maritalStatus/coding/0/display", Phi("demographic", None)),
    ("/communication/0/language/coding/0/system", Structure),
    (
        "/communication/0/language/coding/0/code",
        Phi("demographic", None),
    ),
];

/// Every leaf of `tests/fixtures/order-marisol.json`, classified by `shopify.order` with the
/// tenant's attribute map (`fixtures::order_attribute_map`).
const ORDER_LEAVES: &[(&str, Kind)] = &[
    ("/id", Structure),
    ("/name", Structure),
    ("/email", Phi("contact", Some("m***@example.org"))),
    ("/created_at", Phi("clinical", None)),
    ("/currency", Structure),
    ("/financial_status", Phi("financial", None)),
    ("/total_price", Phi("financial", None)),
    ("/customer_locale", Phi("demographic", None)),
    ("/note", Phi("free_text", None)),
    ("/note_attributes/0/name", Structure),
    ("/note_attributes/0/value", Phi("birthdate", Some("1984"))),
    ("/note_attributes/1/name", Structure),
    (
        "/note_attributes/1/value",
        Phi("identifier", Some("****5678")),
    ),
    ("/note_attributes/2/name", Structure),
    ("/note_attributes/2/value", Phi("free_text", None)),
    ("/note_attributes/3/name", Structure),
    ("/note_attributes/3/value", Structure),
    ("/line_items/0/id", Structure),
    ("/line_items/0/title", Phi("clinical", None)),
    ("/line_items/0/quantity", Phi("clinical", None)),
    ("/line_items/0/price", Phi("financial", None)),
    ("/line_items/0/properties/0/name", Structure),
    ("/line_items/0/properties/0/value", Phi("clinical", None)),
    ("/customer/id", Phi("identifier", Some("****0123"))),
    ("/customer/email", Phi("contact", Some("m***@example.org"))),
    ("/customer/first_name", Phi("name", Some("M."))),
    ("/customer/last_name", Phi("name", Some("Q."))),
    ("/shipping_address/first_name", Phi("name", Some("M."))),
    ("/shipping_address/last_name", Phi("name", Some("Q."))),
    ("/shipping_address/address1", Phi("address", None)),
    ("/shipping_address/city", Phi("address", Some("Lowell"))),
    (
        "/shipping_address/province",
        Phi("address", Some("Massachusetts")),
    ),
    (
        "/shipping_address/province_code",
        Phi("address", Some("MA")),
    ),
    ("/shipping_address/zip", Phi("address", Some("018**"))),
    (
        "/shipping_address/country",
        Phi("address", Some("United States")),
    ),
    ("/shipping_address/phone", Phi("contact", Some("****0134"))),
    (
        "/client_details/browser_ip",
        Phi("identifier", Some("****1324")),
    ),
    (
        "/payment_details/credit_card_company",
        Phi("financial", None),
    ),
];

/// The disclosure of each category, parsed from a row of [`MATRIX`].
fn parse_levels(row: &str) -> BTreeMap<&'static str, &'static str> {
    let levels: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(levels.len(), CATEGORIES.len(), "row {row:?}");
    CATEGORIES
        .iter()
        .zip(levels)
        .map(|(category, level)| {
            let level = match level {
                "C" => "clear",
                "M" => "masked",
                "-" => "withheld",
                other => panic!("unknown level {other} in the matrix"),
            };
            (*category, level)
        })
        .collect()
}

/// The document a caller with `levels` should see, as leaves.
fn expected_leaves(
    document: &Value,
    kinds: &[(&str, Kind)],
    levels: &BTreeMap<&str, &str>,
) -> BTreeMap<String, Value> {
    let all = leaves(document);
    let classified: Vec<&str> = kinds.iter().map(|(pointer, _)| *pointer).collect();
    let unlisted: Vec<&String> = all
        .keys()
        .filter(|p| !classified.contains(&p.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "fixture leaves not in the table: {unlisted:?}"
    );

    let mut expected = BTreeMap::new();
    for (pointer, kind) in kinds {
        let value = all
            .get(*pointer)
            .unwrap_or_else(|| panic!("{pointer} is not a leaf of the fixture"));
        let shown = match kind {
            Structure => Some(value.clone()),
            Phi(category, masked) => match levels[category] {
                "clear" => Some(value.clone()),
                "masked" => masked.map(|m| Value::String(m.to_owned())),
                _ => None,
            },
        };
        if let Some(shown) = shown {
            expected.insert((*pointer).to_owned(), shown);
        }
    }
    expected
}

/// The categories a fixture holds, by its table.
fn categories_of(kinds: &[(&str, Kind)]) -> Vec<&'static str> {
    let mut categories: Vec<&str> = kinds
        .iter()
        .filter_map(|(_, kind)| match kind {
            Phi(category, _) => Some(*category),
            Structure => None,
        })
        .collect();
    categories.sort_unstable();
    categories.dedup();
    categories
}

struct Record {
    what: &'static str,
    id: String,
    document: Value,
    kinds: &'static [(&'static str, Kind)],
}

fn set_up() -> (Workspace, Server, Tenant, Vec<Record>) {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, "northwind");
    let server = workspace.serve();
    tenant.add_default_roles(&server);

    server
        .put(&tenant.path("/record-types/shopify.order/attribute-map"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&fixtures::order_attribute_map())
        .send()
        .expect_status(200);

    let patient = fixtures::patient();
    let created = server
        .post(&tenant.path("/records"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"record_type": "fhir.Patient", "document": patient}))
        .send();
    created.expect_status(201);
    let created = created.json();
    let subject = created["subject_id"]
        .as_str()
        .expect("a subject")
        .to_owned();

    let order = fixtures::order();
    let order_created = server
        .post(&tenant.path(&format!("/subjects/{subject}/records")))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"record_type": "shopify.order", "document": order}))
        .send();
    order_created.expect_status(201);

    let records = vec![
        Record {
            what: "Patient",
            id: created["record_id"].as_str().expect("an id").to_owned(),
            document: patient,
            kinds: PATIENT_LEAVES,
        },
        Record {
            what: "Shopify order",
            id: order_created.json()["record_id"]
                .as_str()
                .expect("an id")
                .to_owned(),
            document: order,
            kinds: ORDER_LEAVES,
        },
    ];
    (workspace, server, tenant, records)
}

fn actor_of(role: &str) -> &'static str {
    DEFAULT_ROLES
        .iter()
        .find(|(r, _, _)| *r == role)
        .map(|(_, _, actor)| *actor)
        .unwrap_or_else(|| panic!("no actor for role {role}"))
}

#[test]
fn every_default_role_sees_exactly_its_disclosure_for_every_purpose() {
    let (_workspace, server, tenant, records) = set_up();
    let mut failures = Vec::new();

    for (role, purpose, outcome) in MATRIX {
        for record in &records {
            let cell = format!("{role} × {purpose} × {}", record.what);
            let response = server
                .get(&tenant.path(&format!("/records/{}", record.id)))
                .bearer(tenant.token(actor_of(role)))
                .purpose(purpose)
                .send();

            let expected_status = match *outcome {
                "403" => 403,
                "400" => 400,
                _ => 200,
            };
            if response.status != expected_status {
                failures.push(format!(
                    "{cell}: status {} instead of {expected_status}: {}",
                    response.status,
                    response.text()
                ));
                continue;
            }
            match expected_status {
                403 => {
                    response.expect_problem(403, "forbidden");
                    continue;
                }
                400 => {
                    response.expect_problem(400, "break-glass-reason-required");
                    continue;
                }
                _ => {}
            }

            let levels = parse_levels(outcome);
            let view = response.json();
            let expected_disclosure: BTreeMap<String, Value> = categories_of(record.kinds)
                .into_iter()
                .map(|c| (c.to_owned(), Value::String(levels[c].to_owned())))
                .collect();
            let disclosure: BTreeMap<String, Value> = view["disclosure"]
                .as_object()
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default();
            if disclosure != expected_disclosure {
                failures.push(format!(
                    "{cell}: disclosure {disclosure:?}, expected {expected_disclosure:?}"
                ));
            }
            if view["break_glass"] != false || view["record_id"] != record.id.as_str() {
                failures.push(format!("{cell}: wrong break_glass or record_id: {view}"));
            }

            let expected = expected_leaves(&record.document, record.kinds, &levels);
            let seen = leaves(&view["document"]);
            if seen != expected {
                let missing: Vec<_> = expected
                    .iter()
                    .filter(|(p, v)| seen.get(*p) != Some(v))
                    .collect();
                let extra: Vec<_> = seen
                    .iter()
                    .filter(|(p, v)| expected.get(*p) != Some(v))
                    .collect();
                failures.push(format!(
                    "{cell}: document differs; expected but missing {missing:?}; \
                     shown but not expected {extra:?}"
                ));
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} cells wrong:\n{}",
        failures.len(),
        MATRIX.len() * records.len(),
        failures.join("\n")
    );
}

#[test]
fn the_matrix_covers_every_default_role_with_every_required_purpose() {
    for (role, _, _) in DEFAULT_ROLES {
        for purpose in ["TREAT", "ETREAT", "HPAYMT", "HOPERAT", "PATRQT", "HRESCH"] {
            assert!(
                MATRIX.iter().any(|(r, p, _)| *r == role && *p == purpose),
                "no row for {role} × {purpose}"
            );
        }
    }
    assert!(categories_of(ORDER_LEAVES).len() == CATEGORIES.len());
}
