//! Deciding from names alone whether a value is PHI, and saying why.
//!
//! A name is split into lowercase words (`insuranceMemberId` → `insurance member id`,
//! `date_of_birth` → `date of birth`, `getDob` → `get dob`) and matched against phrases. Three
//! outcomes:
//!
//! * a PHI phrase that ends the name wins: `memberId`, `postalCode`, `customerEmail`;
//! * otherwise a last word that names a harmless facet of the value makes it safe: `dobLabel`,
//!   `checkoutToken`, `cartId`, `emailValid`, `patientId` (internal keys are not PHI here —
//!   medical record and member numbers are named as such);
//! * otherwise any PHI phrase in the name classifies it: `emailInput`, `rxNumber`.
//!
//! Whole commerce objects count when the name is the object itself: `customer` and `checkout`
//! carry contact details, addresses and purchased items on a health storefront; `order`, `cart`
//! and `item` count only through their PHI members (`order.note`, `cart.attributes`,
//! `item.properties`).

use phiguard_core::Category;

/// Why a value is taken for PHI: the category and a sentence for the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Evidence {
    /// The PHI category the value belongs to.
    pub category: Category,
    /// Why, in words: "`dob` names a date of birth".
    pub reason: String,
}

impl Evidence {
    /// Evidence with a reason.
    pub(crate) fn new(category: Category, reason: impl Into<String>) -> Self {
        Evidence {
            category,
            reason: reason.into(),
        }
    }
}

struct Phrase {
    words: &'static [&'static str],
    category: Category,
    meaning: &'static str,
}

const fn phrase(
    words: &'static [&'static str],
    category: Category,
    meaning: &'static str,
) -> Phrase {
    Phrase {
        words,
        category,
        meaning,
    }
}

use Category::{
    Address, Birthdate, Clinical, Contact, Demographic, Financial, FreeText, Identifier, Name,
};

static PHRASES: &[Phrase] = &[
    phrase(&["dob"], Birthdate, "a date of birth"),
    phrase(&["birth", "date"], Birthdate, "a date of birth"),
    phrase(&["date", "of", "birth"], Birthdate, "a date of birth"),
    phrase(&["dateofbirth"], Birthdate, "a date of birth"),
    phrase(&["birthdate"], Birthdate, "a date of birth"),
    phrase(&["birthday"], Birthdate, "a date of birth"),
    phrase(&["bday"], Birthdate, "a date of birth"),
    phrase(&["ssn"], Identifier, "a social security number"),
    phrase(
        &["social", "security"],
        Identifier,
        "a social security number",
    ),
    phrase(&["mrn"], Identifier, "a medical record number"),
    phrase(
        &["medical", "record"],
        Identifier,
        "a medical record number",
    ),
    phrase(&["member", "id"], Identifier, "an insurance member id"),
    phrase(&["memberid"], Identifier, "an insurance member id"),
    phrase(
        &["subscriber", "id"],
        Identifier,
        "an insurance subscriber id",
    ),
    phrase(&["insurance", "id"], Identifier, "an insurance id"),
    phrase(&["insurance", "number"], Identifier, "an insurance number"),
    phrase(
        &["policy", "number"],
        Identifier,
        "an insurance policy number",
    ),
    phrase(
        &["group", "number"],
        Identifier,
        "an insurance group number",
    ),
    phrase(&["medicaid"], Identifier, "a Medicaid number"),
    phrase(&["medicare"], Identifier, "a Medicare number"),
    phrase(&["passport"], Identifier, "a passport number"),
    phrase(
        &["driver", "license"],
        Identifier,
        "a driver's licence number",
    ),
    phrase(
        &["drivers", "license"],
        Identifier,
        "a driver's licence number",
    ),
    phrase(
        &["driver", "licence"],
        Identifier,
        "a driver's licence number",
    ),
    phrase(&["insurance"], Financial, "insurance details"),
    phrase(&["diagnosis"], Clinical, "a diagnosis"),
    phrase(&["diagnoses"], Clinical, "diagnoses"),
    phrase(&["icd"], Clinical, "a diagnosis code"),
    phrase(&["prescription"], Clinical, "a prescription"),
    phrase(&["prescriptions"], Clinical, "prescriptions"),
    phrase(
        &["prescriber"],
        Clinical,
        "a prescriber, which reveals treatment",
    ),
    phrase(&["rx"], Clinical, "a prescription"),
    phrase(&["medication"], Clinical, "a medication"),
    phrase(&["medications"], Clinical, "medications"),
    phrase(&["dosage"], Clinical, "a dosage"),
    phrase(&["condition"], Clinical, "a health condition"),
    phrase(&["conditions"], Clinical, "health conditions"),
    phrase(&["allergy"], Clinical, "an allergy"),
    phrase(&["allergies"], Clinical, "allergies"),
    phrase(&["symptom"], Clinical, "a symptom"),
    phrase(&["symptoms"], Clinical, "symptoms"),
    phrase(&["treatment"], Clinical, "a treatment"),
    phrase(&["therapy"], Clinical, "a therapy"),
    phrase(&["lab", "result"], Clinical, "a lab result"),
    phrase(&["lab", "results"], Clinical, "lab results"),
    phrase(&["medical", "history"], Clinical, "a medical history"),
    phrase(&["health", "history"], Clinical, "a health history"),
    phrase(
        &["health", "questionnaire"],
        Clinical,
        "health questionnaire answers",
    ),
    phrase(&["intake"], Clinical, "health intake answers"),
    phrase(&["pregnancy"], Clinical, "a pregnancy status"),
    phrase(&["pregnant"], Clinical, "a pregnancy status"),
    phrase(&["immunization"], Clinical, "an immunization"),
    phrase(&["vaccination"], Clinical, "a vaccination"),
    phrase(&["patient"], Clinical, "a patient"),
    phrase(&["patients"], Clinical, "patients"),
    phrase(&["clinical"], Clinical, "clinical data"),
    phrase(&["first", "name"], Name, "a person's name"),
    phrase(&["last", "name"], Name, "a person's name"),
    phrase(&["full", "name"], Name, "a person's name"),
    phrase(&["given", "name"], Name, "a person's name"),
    phrase(&["family", "name"], Name, "a person's name"),
    phrase(&["middle", "name"], Name, "a person's name"),
    phrase(&["maiden", "name"], Name, "a person's name"),
    phrase(&["firstname"], Name, "a person's name"),
    phrase(&["lastname"], Name, "a person's name"),
    phrase(&["fullname"], Name, "a person's name"),
    phrase(&["customer", "name"], Name, "a person's name"),
    phrase(&["email"], Contact, "an email address"),
    phrase(&["e", "mail"], Contact, "an email address"),
    phrase(&["phone"], Contact, "a phone number"),
    phrase(&["telephone"], Contact, "a phone number"),
    phrase(&["mobile", "number"], Contact, "a phone number"),
    phrase(&["fax"], Contact, "a fax number"),
    phrase(&["address"], Address, "a postal address"),
    phrase(&["address1"], Address, "a postal address"),
    phrase(&["address2"], Address, "a postal address"),
    phrase(&["street"], Address, "a postal address"),
    phrase(&["postal", "code"], Address, "a postal code"),
    phrase(&["postcode"], Address, "a postal code"),
    phrase(&["zip"], Address, "a ZIP code"),
    phrase(&["zipcode"], Address, "a ZIP code"),
    phrase(&["zip", "code"], Address, "a ZIP code"),
    phrase(&["gender"], Demographic, "a gender"),
    phrase(&["ethnicity"], Demographic, "an ethnicity"),
    phrase(&["race"], Demographic, "a race"),
    phrase(&["marital", "status"], Demographic, "a marital status"),
    phrase(
        &["note", "attributes"],
        FreeText,
        "Shopify note attributes (health forms put answers there)",
    ),
    phrase(
        &["noteattributes"],
        FreeText,
        "Shopify note attributes (health forms put answers there)",
    ),
    phrase(
        &["cart", "attributes"],
        FreeText,
        "Shopify cart attributes (health forms put answers there)",
    ),
    phrase(
        &["custom", "attributes"],
        FreeText,
        "custom attributes (health forms put answers there)",
    ),
    phrase(
        &["line", "item", "properties"],
        FreeText,
        "line-item properties (prescription and condition answers)",
    ),
    phrase(
        &["order", "note"],
        FreeText,
        "an order note (free text about care)",
    ),
    phrase(
        &["cart", "note"],
        FreeText,
        "a cart note (free text about care)",
    ),
];

/// Whole commerce objects that count as PHI when named on their own.
static OBJECTS: &[Phrase] = &[
    phrase(
        &["customer"],
        Contact,
        "the customer object (name, contact details, addresses)",
    ),
    phrase(
        &["checkout"],
        Clinical,
        "the checkout object (contact, address and purchased items on a health storefront)",
    ),
    phrase(
        &["quote"],
        Clinical,
        "the Magento quote (customer, addresses and items)",
    ),
    phrase(&["billing", "address"], Address, "a billing address"),
    phrase(&["shipping", "address"], Address, "a shipping address"),
];

/// Last words that name a harmless facet of a value rather than the value itself, whatever
/// the value is: `dobLabel`, `ssnError`, `checkoutToken`.
static SAFE_LAST_WORDS: &[&str] = &[
    "id",
    "ids",
    "uuid",
    "guid",
    "token",
    "tokens",
    "key",
    "keys",
    "count",
    "length",
    "size",
    "step",
    "version",
    "locale",
    "timestamp",
    "handle",
    "sku",
    "url",
    "enabled",
    "disabled",
    "visible",
    "hidden",
    "loading",
    "loaded",
    "error",
    "errors",
    "message",
    "label",
    "labels",
    "placeholder",
    "selector",
    "class",
    "classname",
    "template",
    "index",
    "required",
    "valid",
    "invalid",
    "validator",
    "validation",
    "format",
    "pattern",
    "regex",
    "mask",
    "masked",
    "redacted",
    "encrypted",
    "field",
    "fields",
    "schema",
    "config",
    "options",
    "settings",
    "button",
    "btn",
    "link",
    "icon",
    "container",
    "wrapper",
    "section",
    "form",
    "modal",
    "tab",
    "heading",
    "help",
    "hint",
    "tooltip",
    "changed",
    "change",
    "handler",
    "listener",
    "callback",
    "event",
    "events",
    "at",
    "status",
    "type",
];

/// Last words that are harmless as members (`checkout.totalPrice`, `cart.currency`) but not
/// after a clinical word in one name (`diagnosisCode`).
static WEAK_SAFE_LAST_WORDS: &[&str] = &[
    "code", "total", "subtotal", "price", "prices", "amount", "currency", "quantity", "qty",
];

/// Leading verbs of getters and helpers that say nothing about the value.
static VERBS: &[&str] = &[
    "get", "fetch", "load", "read", "find", "select", "use", "current",
];

/// Splits an identifier into lowercase words at `_`, `-`, `.`, spaces, digits and camel-case
/// boundaries.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();

    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            flush(&mut current, &mut words);
            continue;
        }

        let previous = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = match previous {
            Some(p) if p.is_lowercase() && c.is_uppercase() => true,
            Some(p) if p.is_uppercase() && c.is_uppercase() => next.is_some_and(char::is_lowercase),
            Some(p) if p.is_ascii_digit() != c.is_ascii_digit() => {
                // `address1` stays one word; `icd10` splits. Digits glue to an `address` prefix.
                !(c.is_ascii_digit() && current.eq_ignore_ascii_case("address"))
            }
            _ => false,
        };
        if boundary {
            flush(&mut current, &mut words);
        }
        current.extend(c.to_lowercase());
    }
    flush(&mut current, &mut words);
    words
}

fn flush(current: &mut String, words: &mut Vec<String>) {
    if !current.is_empty() {
        words.push(std::mem::take(current));
    }
}

/// The first phrase of `table` found in `words`, with the index of its last word.
fn find_phrase<'t>(table: &'t [Phrase], words: &[String]) -> Option<(&'t Phrase, usize)> {
    let mut best: Option<(&Phrase, usize)> = None;
    for entry in table {
        let n = entry.words.len();
        if n > words.len() {
            continue;
        }
        for start in 0..=words.len() - n {
            let matches = entry
                .words
                .iter()
                .zip(&words[start..start + n])
                .all(|(a, b)| a == b);
            if matches {
                let end = start + n - 1;
                if best.is_none_or(|(_, e)| end > e) {
                    best = Some((entry, end));
                }
            }
        }
    }
    best
}

/// Classifies one name (a variable, property, key or getter) by its words.
pub(crate) fn classify_name(name: &str) -> Option<Evidence> {
    let mut words = words(name);
    while words.len() > 1 && VERBS.contains(&words[0].as_str()) {
        words.remove(0);
    }
    let last = words.len().checked_sub(1)?;

    if let Some((entry, end)) = find_phrase(PHRASES, &words) {
        if end == last || !is_safe_word(&words[last]) {
            return Some(Evidence::new(
                entry.category,
                format!("`{name}` names {}", entry.meaning),
            ));
        }
        return None;
    }

    match find_phrase(OBJECTS, &words) {
        Some((entry, end)) if end == last => Some(Evidence::new(
            entry.category,
            format!("`{name}` is {}", entry.meaning),
        )),
        _ => None,
    }
}

/// Whether a member name is a harmless facet (`token`, `id`, `totalPrice`) that carries no PHI
/// even when its object does.
pub(crate) fn is_safe_member(name: &str) -> bool {
    if classify_name(name).is_some() {
        return false;
    }
    words(name)
        .last()
        .is_some_and(|last| is_safe_word(last) || WEAK_SAFE_LAST_WORDS.contains(&last.as_str()))
}

fn is_safe_word(word: &str) -> bool {
    SAFE_LAST_WORDS.contains(&word)
}

/// Classifies a member given the object it is read from: `order.note`, `cart.attributes` and
/// `item.properties` are PHI only through their object; everything else by its own name.
pub(crate) fn classify_member(object: &str, member: &str) -> Option<Evidence> {
    if let Some(evidence) = classify_name(member) {
        return Some(evidence);
    }

    let object_words = words(object);
    let owner = object_words.last().map(String::as_str).unwrap_or("");
    let member_words = words(member);
    let member_word = member_words.last().map(String::as_str).unwrap_or("");
    let reason = match (owner, member_word) {
        ("order" | "cart" | "checkout", "note") => "an order note (free text about care)",
        ("cart" | "checkout" | "order", "attributes") => {
            "Shopify cart attributes (health forms put answers there)"
        }
        ("item" | "items" | "lineitem" | "lineitems" | "line", "properties") => {
            "line-item properties (prescription and condition answers)"
        }
        _ => return None,
    };
    Some(Evidence::new(
        FreeText,
        format!("`{object}.{member}` is {reason}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn category(name: &str) -> Option<Category> {
        classify_name(name).map(|e| e.category)
    }

    #[test]
    fn words_split_every_naming_style() {
        assert_eq!(words("insuranceMemberId"), ["insurance", "member", "id"]);
        assert_eq!(words("date_of_birth"), ["date", "of", "birth"]);
        assert_eq!(words("SSNNumber"), ["ssn", "number"]);
        assert_eq!(words("icd10-code"), ["icd", "10", "code"]);
        assert_eq!(words("address1"), ["address1"]);
        assert_eq!(words("getDob"), ["get", "dob"]);
    }

    #[test]
    fn phi_names_are_classified() {
        assert_eq!(category("dob"), Some(Birthdate));
        assert_eq!(category("dateOfBirth"), Some(Birthdate));
        assert_eq!(category("birth_date"), Some(Birthdate));
        assert_eq!(category("ssn"), Some(Identifier));
        assert_eq!(category("mrn"), Some(Identifier));
        assert_eq!(category("insurance_member_id"), Some(Identifier));
        assert_eq!(category("diagnosis"), Some(Clinical));
        assert_eq!(category("rx"), Some(Clinical));
        assert_eq!(category("medication"), Some(Clinical));
        assert_eq!(category("allergies"), Some(Clinical));
        assert_eq!(category("postalCode"), Some(Address));
        assert_eq!(category("customerEmail"), Some(Contact));
        assert_eq!(category("getDob"), Some(Birthdate));
        assert_eq!(category("getFirstname"), Some(Name));
        assert_eq!(category("customer"), Some(Contact));
        assert_eq!(category("checkout"), Some(Clinical));
        assert_eq!(category("note_attributes"), Some(FreeText));
        assert_eq!(category("emailInput"), Some(Contact));
        assert_eq!(category("diagnosisCode"), Some(Clinical));
        assert_eq!(category("medicationName"), Some(Clinical));
        assert_eq!(category("hashedEmail"), Some(Contact));
    }

    #[test]
    fn harmless_facets_and_generic_words_are_not_phi() {
        for name in [
            "checkoutToken",
            "checkout_token",
            "cart_token",
            "cartId",
            "orderId",
            "dobLabel",
            "emailValid",
            "patientId",
            "customerId",
            "getCustomerId",
            "currencyCode",
            "order",
            "cart",
            "sortOrder",
            "properties",
            "note",
            "product",
            "conditional",
            "title",
            "totalPrice",
            "ssnError",
            "message",
        ] {
            assert_eq!(category(name), None, "{name}");
        }
    }

    #[test]
    fn members_are_judged_with_their_object() {
        assert_eq!(
            classify_member("order", "note").map(|e| e.category),
            Some(FreeText)
        );
        assert_eq!(
            classify_member("cart", "attributes").map(|e| e.category),
            Some(FreeText)
        );
        assert_eq!(
            classify_member("line_item", "properties").map(|e| e.category),
            Some(FreeText)
        );
        assert_eq!(classify_member("element", "properties"), None);
        assert_eq!(
            classify_member("checkout", "email").map(|e| e.category),
            Some(Contact)
        );
        assert!(is_safe_member("token"));
        assert!(is_safe_member("totalPrice"));
        assert!(!is_safe_member("email"));
        assert!(!is_safe_member("postalCode"));
    }

    proptest! {
        #[test]
        fn a_safe_suffix_never_hides_a_trailing_phrase(prefix in "[a-z]{0,6}") {
            // Whatever comes first, a name ending in a PHI phrase stays PHI.
            let name = format!("{prefix}_member_id");
            prop_assert_eq!(category(&name), Some(Identifier));
            let name = format!("{prefix}_date_of_birth");
            prop_assert_eq!(category(&name), Some(Birthdate));
        }

        #[test]
        fn words_are_lowercase_alphanumeric(name in "[A-Za-z0-9_.-]{0,30}") {
            for word in words(&name) {
                prop_assert!(!word.is_empty());
                prop_assert!(word.chars().all(|c| c.is_alphanumeric() && !c.is_uppercase()));
            }
        }
    }
}
