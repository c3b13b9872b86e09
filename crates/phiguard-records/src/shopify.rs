//! Importing Shopify order webhook bodies (`orders/create` and friends).

use std::fmt;

use serde_json::Value;

use crate::json_error::JsonSyntax;
use crate::search::{Normalizer, SearchTerm};

/// The search field of the match key built from the Shopify customer id.
pub const SOURCE_CUSTOMER_FIELD: &str = "source_shopify_customer";

/// The search field of the match key built from the order's email, for guest checkouts.
pub const SOURCE_EMAIL_FIELD: &str = "source_shopify_email";

/// Why an order body was rejected. Never quotes the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The bytes are not JSON.
    #[error("the order is not valid JSON: {0}")]
    NotJson(JsonSyntax),
    /// The body is neither `{"order": {...}}` nor an order object.
    #[error("the body is not a Shopify order: expected an order object or {{\"order\": {{...}}}}")]
    NotAnOrder,
    /// Nothing identifies the buyer.
    #[error(
        "the order has neither a customer id (customer.id) nor an email address (email, \
         contact_email or customer.email) to match its subject by"
    )]
    NoSubject,
}

/// An order ready to store as a `shopify.order` record.
#[derive(Clone, PartialEq)]
pub struct OrderImport {
    /// The order object (unwrapped from `{"order": ...}` when the body had that shape).
    pub order: Value,
    /// The order's Shopify id as text, when present: not PHI, useful to skip re-imports.
    pub order_id: Option<String>,
    /// The keys the vault blind-indexes to find the order's subject: the customer id when the
    /// order has one, otherwise the normalised email.
    pub match_keys: Vec<SearchTerm>,
}

/// Shows the order id and match key fields only: the order is PHI.
impl fmt::Debug for OrderImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderImport")
            .field("order_id", &self.order_id)
            .field("match_keys", &self.match_keys)
            .finish()
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Parses an order webhook body: either `{"order": {...}}` or the bare order object.
pub fn parse_order(bytes: &[u8]) -> Result<OrderImport, OrderError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| OrderError::NotJson(JsonSyntax::from(&e)))?;
    let order = match document {
        Value::Object(mut body) if body.get("order").is_some_and(Value::is_object) => {
            body.remove("order").unwrap_or_default()
        }
        body @ Value::Object(_) => body,
        _ => return Err(OrderError::NotAnOrder),
    };

    let customer = order.get("customer");
    let customer_id = text_of(customer.and_then(|c| c.get("id")))
        .and_then(|id| Normalizer::Digits.apply(&id).ok());
    let match_key = match customer_id {
        Some(normalized) => SearchTerm {
            field: SOURCE_CUSTOMER_FIELD.to_owned(),
            normalized,
        },
        None => {
            let emails = [
                order.get("email"),
                order.get("contact_email"),
                customer.and_then(|c| c.get("email")),
            ];
            let normalized = emails
                .into_iter()
                .filter_map(|email| email.and_then(Value::as_str))
                .find_map(|email| Normalizer::Email.apply(email).ok())
                .ok_or(OrderError::NoSubject)?;
            SearchTerm {
                field: SOURCE_EMAIL_FIELD.to_owned(),
                normalized,
            }
        }
    };

    Ok(OrderImport {
        order_id: text_of(order.get("id")),
        order,
        match_keys: vec![match_key],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Value {
        json!({
            "id": 4401,
            "email": "Jane.Roe@Example.org",
            "customer": {"id": 9001, "email": "jane.roe@example.org"},
            "line_items": []
        })
    }

    #[test]
    fn wrapped_and_bare_bodies_give_the_same_order() {
        let bare = parse_order(order().to_string().as_bytes()).unwrap();
        let wrapped = parse_order(json!({"order": order()}).to_string().as_bytes()).unwrap();
        assert_eq!(bare, wrapped);
        assert_eq!(bare.order, order());
        assert_eq!(bare.order_id.as_deref(), Some("4401"));
        assert_eq!(bare.match_keys.len(), 1);
        assert_eq!(bare.match_keys[0].field, SOURCE_CUSTOMER_FIELD);
        assert_eq!(bare.match_keys[0].normalized, "9001");
        assert!(!format!("{bare:?}").contains("Roe"));
    }

    #[test]
    fn guest_orders_match_by_normalised_email() {
        let mut guest = order();
        guest.as_object_mut().unwrap().remove("customer");
        let import = parse_order(guest.to_string().as_bytes()).unwrap();
        assert_eq!(import.match_keys[0].field, SOURCE_EMAIL_FIELD);
        assert_eq!(import.match_keys[0].normalized, "jane.roe@example.org");

        guest["email"] = json!("not an email");
        guest["contact_email"] = json!("Jane@Example.org");
        let import = parse_order(guest.to_string().as_bytes()).unwrap();
        assert_eq!(import.match_keys[0].normalized, "jane@example.org");
    }

    #[test]
    fn orders_without_a_subject_or_shape_are_rejected() {
        let anonymous = json!({"id": 1, "customer": {"id": null}, "email": ""});
        assert_eq!(
            parse_order(anonymous.to_string().as_bytes()),
            Err(OrderError::NoSubject)
        );
        assert_eq!(parse_order(b"[1, 2]"), Err(OrderError::NotAnOrder));
        assert_eq!(
            parse_order(br#"{"order": "x", "id": 2}"#),
            Err(OrderError::NoSubject)
        );
        let error = parse_order(b"{\"email\": \"jane@").unwrap_err();
        assert!(matches!(error, OrderError::NotJson(_)));
        assert!(!error.to_string().contains("jane"));
    }
}
