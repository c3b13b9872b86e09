//! The fields of HHS's breach portal report (164.408), as a JSON document.
//!
//! The portal is a web form; this struct holds what it asks so that the report can be
//! prepared, reviewed and kept with the incident, then typed or pasted in. The option lists
//! (breach type, location, safeguards) follow the portal's form as summarised in
//! REGULATION.md and phiguard's reading of it: check them against the live form before filing.
//!
//! [`HhsBreachReport::to_json`] validates before it serialises, so a report with a missing
//! field or impossible dates never becomes JSON.

use std::collections::BTreeSet;

use jiff::civil::Date;
use phiguard_core::Category;
use serde::{Deserialize, Serialize};

use crate::jurisdiction::Jurisdiction;
use crate::text::{self, TextProblem};

/// Whether this is the first report of a breach or an addition to one already filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportType {
    /// The first report.
    Initial,
    /// An addendum to a report already filed (new counts, end dates, actions).
    Addendum,
}

/// The kind of covered entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// A health plan.
    HealthPlan,
    /// A health care provider (pharmacies, telehealth providers, labs).
    HealthcareProvider,
    /// A health care clearinghouse.
    HealthcareClearinghouse,
}

/// A US postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    /// Street address, possibly over two lines.
    pub street: String,
    /// City.
    pub city: String,
    /// State or jurisdiction.
    pub state: Jurisdiction,
    /// ZIP code: five digits, optionally followed by `-` and four more.
    pub zip: String,
}

/// The person HHS may contact about the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPerson {
    /// Full name.
    pub name: String,
    /// Job title, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Telephone number.
    pub phone: String,
    /// Email address.
    pub email: String,
}

/// The covered entity that files the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoveredEntityDetails {
    /// Legal name.
    pub name: String,
    /// Kind of covered entity.
    pub entity_type: EntityType,
    /// Address.
    pub address: PostalAddress,
    /// Contact for the report.
    pub contact: ContactPerson,
}

/// The business associate involved, when the breach happened at or through one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessAssociateDetails {
    /// Legal name.
    pub name: String,
    /// Address.
    pub address: PostalAddress,
    /// Contact at the business associate.
    pub contact: ContactPerson,
}

/// The type of breach, as the portal lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachType {
    /// Hacking or another IT incident.
    HackingItIncident,
    /// Improper disposal.
    ImproperDisposal,
    /// Loss.
    Loss,
    /// Theft.
    Theft,
    /// Unauthorized access or disclosure.
    UnauthorizedAccessDisclosure,
    /// Something else, described in `breach_type_other`.
    Other,
}

/// Where the breached information was, as the portal lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// An electronic medical record.
    ElectronicMedicalRecord,
    /// Email.
    Email,
    /// A network server.
    NetworkServer,
    /// A laptop.
    Laptop,
    /// Another portable electronic device.
    OtherPortableElectronicDevice,
    /// Paper or films.
    PaperFilms,
    /// A desktop computer.
    DesktopComputer,
    /// Somewhere else, described in `location_other`.
    Other,
}

/// Safeguards in place before the breach, by family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Safeguard {
    /// None; cannot be combined with another.
    None,
    /// Privacy Rule safeguards (training, policies and procedures).
    PrivacyRule,
    /// Security Rule administrative safeguards (164.308).
    SecurityRuleAdministrative,
    /// Security Rule physical safeguards (164.310).
    SecurityRulePhysical,
    /// Security Rule technical safeguards (164.312).
    SecurityRuleTechnical,
}

/// The report for HHS's breach portal. Serialises with these field names, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HhsBreachReport {
    /// Initial report or addendum.
    pub report_type: ReportType,
    /// For an addendum, the portal's identifier of the initial report; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addendum_to: Option<String>,
    /// The covered entity.
    pub covered_entity: CoveredEntityDetails,
    /// The business associate involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_associate: Option<BusinessAssociateDetails>,
    /// First day of the breach.
    pub breach_start: Date,
    /// Last day of the breach, when it is over and known.
    #[serde(default)]
    pub breach_end: Option<Date>,
    /// The day the breach was discovered; not before `breach_start`.
    pub discovery_start: Date,
    /// The last day of the discovery period, when discovery was not a single day.
    #[serde(default)]
    pub discovery_end: Option<Date>,
    /// Approximate number of individuals affected; at least 1.
    pub individuals_affected: u64,
    /// The types of breach; at least one.
    pub breach_types: BTreeSet<BreachType>,
    /// Required when `breach_types` holds `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach_type_other: Option<String>,
    /// Where the information was; at least one.
    pub locations: BTreeSet<Location>,
    /// Required when `locations` holds `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_other: Option<String>,
    /// The kinds of PHI involved, in phiguard's categories; at least one.
    pub phi_types: BTreeSet<Category>,
    /// A brief description of the breach, without PHI.
    pub description: String,
    /// Safeguards in place before the breach; at least one (`none` alone if there were none).
    pub safeguards_in_place: BTreeSet<Safeguard>,
    /// Actions taken in response; at least one.
    pub actions_taken: Vec<String>,
}

/// The report is incomplete or contradicts itself. Messages name the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HhsReportError {
    /// A required field is missing or empty.
    #[error("the HHS report needs {field}: {hint}")]
    Missing {
        /// The field, as spelt in the JSON.
        field: &'static str,
        /// What to supply.
        hint: &'static str,
    },
    /// A field is present but unusable.
    #[error("{field} {problem}")]
    Invalid {
        /// The field, as spelt in the JSON (with an index for lists).
        field: String,
        /// What is wrong and how to fix it.
        problem: &'static str,
    },
    /// Two dates are in the wrong order.
    #[error("{later} is before {earlier}; correct one of them")]
    DateOrder {
        /// The field that must come first.
        earlier: &'static str,
        /// The field that must not be before it.
        later: &'static str,
    },
    /// A date lies in the future.
    #[error("{field} is after today; a report can only describe what has happened")]
    Future {
        /// The field.
        field: &'static str,
    },
}

impl HhsBreachReport {
    /// Checks that every required field is there and that the dates make sense: the breach
    /// ends on or after it starts, is discovered on or after it starts, the discovery period
    /// ends on or after it starts, and no date is after `today`.
    ///
    /// # Errors
    ///
    /// The first problem found, as an [`HhsReportError`].
    pub fn validate(&self, today: Date) -> Result<(), HhsReportError> {
        match (self.report_type, &self.addendum_to) {
            (ReportType::Addendum, None) => {
                return Err(HhsReportError::Missing {
                    field: "addendum_to",
                    hint: "the portal's identifier of the initial report this one adds to",
                });
            }
            (ReportType::Initial, Some(_)) => {
                return Err(invalid(
                    "addendum_to",
                    "is given for an initial report; set report_type to addendum or remove it",
                ));
            }
            (ReportType::Addendum, Some(id)) => plain("addendum_to", id, false)?,
            (ReportType::Initial, None) => {}
        }

        let entity = &self.covered_entity;
        plain("covered_entity.name", &entity.name, false)?;
        check_address("covered_entity.address", &entity.address)?;
        check_contact("covered_entity.contact", &entity.contact)?;
        if let Some(associate) = &self.business_associate {
            plain("business_associate.name", &associate.name, false)?;
            check_address("business_associate.address", &associate.address)?;
            check_contact("business_associate.contact", &associate.contact)?;
        }

        self.check_dates(today)?;

        if self.individuals_affected == 0 {
            return Err(HhsReportError::Missing {
                field: "individuals_affected",
                hint: "the number of individuals affected, at least 1 (an estimate is allowed)",
            });
        }
        self.check_choices()?;
        plain("description", &self.description, true)?;

        if self.actions_taken.is_empty() {
            return Err(HhsReportError::Missing {
                field: "actions_taken",
                hint: "at least one action taken in response to the breach",
            });
        }
        for (index, action) in self.actions_taken.iter().enumerate() {
            text::check(action, true).map_err(|problem| HhsReportError::Invalid {
                field: format!("actions_taken[{index}]"),
                problem: problem.describe(),
            })?;
        }
        Ok(())
    }

    /// Validates the report and serialises it as pretty-printed JSON.
    ///
    /// # Errors
    ///
    /// [`HhsReportError`] from [`HhsBreachReport::validate`].
    pub fn to_json(&self, today: Date) -> Result<String, HhsReportError> {
        self.validate(today)?;
        serde_json::to_string_pretty(self).map_err(|_| HhsReportError::Invalid {
            field: "report".to_owned(),
            problem: "could not be serialised",
        })
    }

    fn check_dates(&self, today: Date) -> Result<(), HhsReportError> {
        let order = |earlier, later| HhsReportError::DateOrder { earlier, later };

        if self.breach_end.is_some_and(|end| end < self.breach_start) {
            return Err(order("breach_start", "breach_end"));
        }
        if self.discovery_start < self.breach_start {
            return Err(order("breach_start", "discovery_start"));
        }
        if self
            .discovery_end
            .is_some_and(|end| end < self.discovery_start)
        {
            return Err(order("discovery_start", "discovery_end"));
        }

        let dates = [
            ("breach_start", Some(self.breach_start)),
            ("breach_end", self.breach_end),
            ("discovery_start", Some(self.discovery_start)),
            ("discovery_end", self.discovery_end),
        ];
        for (field, date) in dates {
            if date.is_some_and(|date| date > today) {
                return Err(HhsReportError::Future { field });
            }
        }
        Ok(())
    }

    fn check_choices(&self) -> Result<(), HhsReportError> {
        if self.breach_types.is_empty() {
            return Err(HhsReportError::Missing {
                field: "breach_types",
                hint: "at least one type of breach",
            });
        }
        check_other(
            self.breach_types.contains(&BreachType::Other),
            self.breach_type_other.as_deref(),
            "breach_type_other",
            "a description of the other type of breach",
        )?;

        if self.locations.is_empty() {
            return Err(HhsReportError::Missing {
                field: "locations",
                hint: "at least one location of the breached information",
            });
        }
        check_other(
            self.locations.contains(&Location::Other),
            self.location_other.as_deref(),
            "location_other",
            "a description of the other location",
        )?;

        if self.phi_types.is_empty() {
            return Err(HhsReportError::Missing {
                field: "phi_types",
                hint: "at least one kind of PHI involved",
            });
        }

        if self.safeguards_in_place.is_empty() {
            return Err(HhsReportError::Missing {
                field: "safeguards_in_place",
                hint: "the safeguards in place before the breach, or `none`",
            });
        }
        if self.safeguards_in_place.contains(&Safeguard::None) && self.safeguards_in_place.len() > 1
        {
            return Err(invalid(
                "safeguards_in_place",
                "holds `none` with other safeguards; keep one or the other",
            ));
        }
        Ok(())
    }
}

fn invalid(field: &str, problem: &'static str) -> HhsReportError {
    HhsReportError::Invalid {
        field: field.to_owned(),
        problem,
    }
}

fn plain(field: &str, value: &str, multiline: bool) -> Result<(), HhsReportError> {
    text::check(value, multiline).map_err(|problem| match problem {
        TextProblem::Blank => invalid(field, "is empty; fill it in"),
        other => invalid(field, other.describe()),
    })
}

fn check_other(
    chosen: bool,
    description: Option<&str>,
    field: &'static str,
    hint: &'static str,
) -> Result<(), HhsReportError> {
    match (chosen, description) {
        (true, None) => Err(HhsReportError::Missing { field, hint }),
        (true, Some(text)) => plain(field, text, false),
        (false, Some(_)) => Err(invalid(
            field,
            "is given but `other` is not chosen; remove it",
        )),
        (false, None) => Ok(()),
    }
}

fn check_address(prefix: &'static str, address: &PostalAddress) -> Result<(), HhsReportError> {
    plain(&format!("{prefix}.street"), &address.street, true)?;
    plain(&format!("{prefix}.city"), &address.city, false)?;

    let zip = address.zip.trim();
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    let valid = match zip.split_once('-') {
        Some((five, four)) => digits(five, 5) && digits(four, 4),
        None => digits(zip, 5),
    };
    if !valid {
        return Err(invalid(
            &format!("{prefix}.zip"),
            "is not a ZIP code; write five digits, optionally followed by -1234",
        ));
    }
    Ok(())
}

fn check_contact(prefix: &'static str, contact: &ContactPerson) -> Result<(), HhsReportError> {
    plain(&format!("{prefix}.name"), &contact.name, false)?;
    if let Some(title) = &contact.title {
        plain(&format!("{prefix}.title"), title, false)?;
    }
    plain(&format!("{prefix}.phone"), &contact.phone, false)?;
    plain(&format!("{prefix}.email"), &contact.email, false)?;
    if !contact.email.contains('@') {
        return Err(invalid(
            &format!("{prefix}.email"),
            "is not an email address; write it as name@domain",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn address() -> PostalAddress {
        PostalAddress {
            street: "1 Main St".to_owned(),
            city: "Springfield".to_owned(),
            state: "IL".parse().unwrap(),
            zip: "62701".to_owned(),
        }
    }

    fn contact() -> ContactPerson {
        ContactPerson {
            name: "Privacy Officer".to_owned(),
            title: None,
            phone: "217-555-0100".to_owned(),
            email: "privacy@northwind.example".to_owned(),
        }
    }

    fn report() -> HhsBreachReport {
        HhsBreachReport {
            report_type: ReportType::Initial,
            addendum_to: None,
            covered_entity: CoveredEntityDetails {
                name: "Northwind Pharmacy".to_owned(),
                entity_type: EntityType::HealthcareProvider,
                address: address(),
                contact: contact(),
            },
            business_associate: Some(BusinessAssociateDetails {
                name: "Commerce Platform Inc.".to_owned(),
                address: address(),
                contact: contact(),
            }),
            breach_start: date(2026, 2, 3),
            breach_end: Some(date(2026, 2, 5)),
            discovery_start: date(2026, 2, 9),
            discovery_end: None,
            individuals_affected: 812,
            breach_types: BTreeSet::from([BreachType::UnauthorizedAccessDisclosure]),
            breach_type_other: None,
            locations: BTreeSet::from([Location::NetworkServer, Location::Email]),
            location_other: None,
            phi_types: BTreeSet::from([Category::Name, Category::Clinical]),
            description: "An export job sent order data to a vendor without a BAA.".to_owned(),
            safeguards_in_place: BTreeSet::from([Safeguard::SecurityRuleTechnical]),
            actions_taken: vec!["Vendor deleted the file and attested to it.".to_owned()],
        }
    }

    const TODAY: Date = date(2026, 3, 1);

    #[test]
    fn serialises_with_the_expected_field_names() {
        let json = report().to_json(TODAY).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "report_type",
            "covered_entity",
            "business_associate",
            "breach_start",
            "breach_end",
            "discovery_start",
            "discovery_end",
            "individuals_affected",
            "breach_types",
            "locations",
            "phi_types",
            "description",
            "safeguards_in_place",
            "actions_taken",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert_eq!(value["report_type"], "initial");
        assert_eq!(
            value["covered_entity"]["entity_type"],
            "healthcare_provider"
        );
        assert_eq!(value["covered_entity"]["address"]["state"], "IL");
        assert_eq!(value["breach_start"], "2026-02-03");
        assert_eq!(value["breach_types"][0], "unauthorized_access_disclosure");
        assert_eq!(
            value["locations"],
            serde_json::json!(["email", "network_server"])
        );
        assert_eq!(value["phi_types"], serde_json::json!(["name", "clinical"]));
        assert_eq!(value["safeguards_in_place"][0], "security_rule_technical");

        let back: HhsBreachReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report());
    }

    #[test]
    fn bad_dates_are_refused() {
        let mut r = report();
        r.breach_end = Some(date(2026, 2, 1));
        assert_eq!(
            r.to_json(TODAY),
            Err(HhsReportError::DateOrder {
                earlier: "breach_start",
                later: "breach_end"
            })
        );

        let mut r = report();
        r.discovery_start = date(2026, 2, 2);
        assert_eq!(
            r.validate(TODAY),
            Err(HhsReportError::DateOrder {
                earlier: "breach_start",
                later: "discovery_start"
            })
        );

        let mut r = report();
        r.discovery_end = Some(date(2026, 2, 8));
        assert!(matches!(
            r.validate(TODAY),
            Err(HhsReportError::DateOrder { .. })
        ));

        let error = report().validate(date(2026, 2, 8)).unwrap_err();
        assert_eq!(
            error,
            HhsReportError::Future {
                field: "discovery_start"
            }
        );
        assert!(error.to_string().contains("after today"));
    }

    /// Breaks one field of a valid input.
    type Breakage = fn(&mut HhsBreachReport);

    #[test]
    fn required_fields_are_named() {
        let cases: [(Breakage, &str); 9] = [
            (
                |r| r.covered_entity.name = " ".to_owned(),
                "covered_entity.name",
            ),
            (
                |r| r.covered_entity.address.zip = "6270".to_owned(),
                "covered_entity.address.zip",
            ),
            (|r| r.individuals_affected = 0, "individuals_affected"),
            (|r| r.breach_types.clear(), "breach_types"),
            (
                |r| {
                    r.locations.insert(Location::Other);
                },
                "location_other",
            ),
            (|r| r.phi_types.clear(), "phi_types"),
            (
                |r| {
                    r.safeguards_in_place.insert(Safeguard::None);
                },
                "safeguards_in_place",
            ),
            (|r| r.actions_taken.clear(), "actions_taken"),
            (|r| r.report_type = ReportType::Addendum, "addendum_to"),
        ];
        for (break_it, field) in cases {
            let mut r = report();
            break_it(&mut r);
            let error = r.to_json(TODAY).unwrap_err();
            assert!(error.to_string().contains(field), "{field}: {error}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_when_read() {
        let mut value = serde_json::to_value(report()).unwrap();
        value["ssn"] = serde_json::json!("x");
        assert!(serde_json::from_value::<HhsBreachReport>(value).is_err());
    }
}
