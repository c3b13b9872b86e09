//! Shopify-shaped order webhook bodies from a fictional health storefront.

use serde_json::{Value, json};

use super::rng::Rng;
use super::vocabulary::*;

/// One generated order webhook body and the identifying values planted in it.
#[derive(Clone, PartialEq)]
pub struct SyntheticOrder {
    /// The webhook body, `{"order": {...}}`.
    pub body: Value,
    /// Every identifying or clinical value the generator put in: email, names, phone, street
    /// line, birth date, member id, prescription, condition and the free-text note.
    pub planted: Vec<String>,
}

impl SyntheticOrder {
    /// The body as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.body.to_string().into_bytes()
    }
}

impl std::fmt::Debug for SyntheticOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticOrder")
            .field("planted", &self.planted.len())
            .finish()
    }
}

/// An order; a fifth of them are guest checkouts without a `customer`.
pub(crate) fn order(rng: &mut Rng, serial: u64) -> SyntheticOrder {
    let female = rng.chance(50);
    let first = *rng.pick(if female { GIVEN_FEMALE } else { GIVEN_MALE });
    let last = *rng.pick(FAMILY);
    let full_name = format!("{first} {last}");
    let email = format!(
        "{}.{}{}@example.org",
        first.to_lowercase(),
        last.to_lowercase().replace([' ', '-'], ""),
        rng.digits(3)
    );
    let phone = format!("+1 617-555-{}", rng.digits(4));
    let birth_date = rng.date(1940, 2006);
    let member_id = format!("MBR-{}-{}", rng.digits(3), rng.digits(5));
    let (city, zip) = *rng.pick(CITIES);
    let line = format!(
        "{} {} {}",
        rng.between(2, 980),
        rng.pick(STREETS),
        rng.pick(STREET_SUFFIXES)
    );
    let (title, sku, prescription, condition) = *rng.pick(PRODUCTS);
    let note = format!("Patient reports {condition}; please include the dosing leaflet.");
    let price = format!("{}.{}", rng.between(20, 240), rng.digits(2));
    let order_id = 820_000 + serial * 10;

    let address = json!({
        "address1": line,
        "address2": "",
        "city": city,
        "company": null,
        "country": "United States",
        "first_name": first,
        "last_name": last,
        "phone": phone,
        "province": "Massachusetts",
        "zip": zip,
        "name": full_name,
        "country_code": "US",
        "province_code": "MA"
    });

    let mut order = json!({
        "id": order_id,
        "name": format!("#{serial}"),
        "email": email,
        "created_at": format!("{}T09:14:00-04:00", rng.date(2024, 2026)),
        "currency": "USD",
        "financial_status": "paid",
        "total_price": price,
        "note": note,
        "note_attributes": [
            {"name": "Date of Birth", "value": birth_date},
            {"name": "Prescriber", "value": "Dr. Imani Okafor, NPI 9999999999"},
            {"name": "Insurance Member ID", "value": member_id},
            {"name": "Gift wrap", "value": "no"}
        ],
        "line_items": [{
            "id": order_id + 1,
            "title": title,
            "quantity": 1,
            "price": price,
            "sku": format!("{sku}-{}", rng.digits(3)),
            "properties": [
                {"name": "Prescription", "value": prescription},
                {"name": "Condition", "value": condition}
            ]
        }],
        "billing_address": address,
        "shipping_address": address,
        "client_details": {"browser_ip": "203.0.113.24", "user_agent": "Mozilla/5.0"},
        "payment_details": {
            "credit_card_number": format!("XXXX-XXXX-XXXX-{}", rng.digits(4)),
            "credit_card_company": "Visa"
        }
    });
    if rng.between(1, 5) > 1 {
        order["customer"] = json!({
            "id": order_id + 8,
            "email": email,
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "note": null,
            "tags": "",
            "default_address": address
        });
    }

    let planted = vec![
        email,
        first.to_owned(),
        last.to_owned(),
        full_name,
        phone,
        line,
        birth_date,
        member_id,
        prescription.to_owned(),
        condition.to_owned(),
        note,
    ];
    SyntheticOrder {
        body: json!({ "order": order }),
        planted,
    }
}
