//! The individual notice (164.404(c)) as a draft, and the substitute-notice plan
//! (164.404(d)(2)) for people whose contact details are missing.
//!
//! The draft holds no PHI: the recipient's name and address, and the date of mailing, are the
//! literal placeholders [`RECIPIENT_NAME`], [`RECIPIENT_ADDRESS`] and [`NOTICE_DATE`], filled
//! in by whoever prints or mails it. Every element 164.404(c)(1) requires must be supplied; a
//! missing one is a [`NoticeError`] naming the field, never a blank in the letter.

use std::collections::BTreeSet;

use jiff::civil::Date;
use phiguard_core::Category;
use serde::{Deserialize, Serialize};

use crate::days::{Counting, add_days};
use crate::text::{self, TextProblem};

/// Placeholder for the recipient's name, filled in at mailing time.
pub const RECIPIENT_NAME: &str = "{{recipient_name}}";
/// Placeholder for the recipient's postal address, filled in at mailing time.
pub const RECIPIENT_ADDRESS: &str = "{{recipient_address}}";
/// Placeholder for the date the notice is sent, filled in at mailing time.
pub const NOTICE_DATE: &str = "{{notice_date}}";

/// US toll-free area codes (NANP), for checking the contact number.
const TOLL_FREE_PREFIXES: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// How individuals reach the entity for more information (164.404(c)(1)(E)): a toll-free
/// number, and at least one of email, website or postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactProcedures {
    /// A US toll-free number (800, 833, 844, 855, 866, 877 or 888), in digits. Required.
    #[serde(default)]
    pub toll_free_number: Option<String>,
    /// An email address.
    #[serde(default)]
    pub email: Option<String>,
    /// A website.
    #[serde(default)]
    pub website: Option<String>,
    /// A postal address (may span lines).
    #[serde(default)]
    pub postal_address: Option<String>,
}

/// What the entity says in the individual notice. Every field is required except the breach
/// dates, which 164.404(c)(1)(A) asks for "if known"; the letter then says they are not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeContent {
    /// The covered entity's name as the individuals know it.
    pub entity_name: String,
    /// A brief description of what happened, in plain words and without PHI.
    pub what_happened: String,
    /// The first day of the breach, if known.
    #[serde(default)]
    pub breach_start: Option<Date>,
    /// The last day of the breach, if known and different from the first.
    #[serde(default)]
    pub breach_end: Option<Date>,
    /// The day the breach was discovered.
    pub discovered: Date,
    /// The kinds of PHI involved; described in plain words in the letter.
    pub categories: BTreeSet<Category>,
    /// Steps individuals should take to protect themselves (see [`suggested_steps`]).
    pub steps_for_individuals: Vec<String>,
    /// What the entity is doing to investigate, mitigate harm and prevent a recurrence.
    pub entity_actions: Vec<String>,
    /// How to reach the entity.
    pub contact: ContactProcedures,
}

/// One section of the letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeSection {
    /// The heading (`What happened`).
    pub heading: &'static str,
    /// Paragraphs of running text.
    pub paragraphs: Vec<String>,
    /// A bulleted list after the paragraphs.
    pub bullets: Vec<String>,
}

/// A draft individual notice: the letter's sections, rendered with [`NoticeDraft::to_text`]
/// or [`NoticeDraft::to_markdown`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeDraft {
    /// The letter's title.
    pub title: String,
    /// The address block: the date of mailing, the recipient's name and address, all
    /// placeholders.
    pub address_block: Vec<String>,
    /// `Dear {{recipient_name}},`.
    pub salutation: String,
    /// The paragraph before the sections.
    pub introduction: String,
    /// The sections, in order: what happened, what information was involved, what you can
    /// do, what we are doing, for more information.
    pub sections: Vec<NoticeSection>,
    /// The closing line.
    pub closing: String,
}

/// A required element of the notice is missing or malformed.
///
/// Messages name the field and the fix and never repeat the text that was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// A required element is missing.
    #[error("the notice needs {field}: {hint}")]
    Missing {
        /// The field, as spelt in [`NoticeContent`].
        field: &'static str,
        /// What to supply.
        hint: &'static str,
    },
    /// A field is present but unusable.
    #[error("{field} {problem}")]
    Invalid {
        /// The field, as spelt in [`NoticeContent`] (with an index for lists).
        field: String,
        /// What is wrong and how to fix it.
        problem: &'static str,
    },
}

/// Drafts the individual notice of 164.404(c).
///
/// # Errors
///
/// [`NoticeError::Missing`] when the entity name, the description, the PHI categories, the
/// steps for individuals, the entity's actions, the toll-free number, or every one of email,
/// website and postal address is missing; [`NoticeError::Invalid`] when a text is blank or
/// holds placeholder braces or control characters, the number is not US toll-free, the email
/// has no `@`, or the dates contradict each other (an end without a start, an end before the
/// start, a start after discovery).
pub fn draft_individual_notice(content: &NoticeContent) -> Result<NoticeDraft, NoticeError> {
    check_content(content)?;

    let entity = content.entity_name.trim().to_owned();
    let address_block = vec![
        NOTICE_DATE.to_owned(),
        RECIPIENT_NAME.to_owned(),
        RECIPIENT_ADDRESS.to_owned(),
    ];
    let introduction = format!(
        "We are writing to tell you about an incident at {entity} that involved some of your \
         health information, what we are doing about it, and what you can do."
    );

    let what_happened = NoticeSection {
        heading: "What happened",
        paragraphs: vec![
            content.what_happened.trim().to_owned(),
            breach_dates_sentence(content),
        ],
        bullets: Vec::new(),
    };
    let information = NoticeSection {
        heading: "What information was involved",
        paragraphs: vec!["The information involved included:".to_owned()],
        bullets: content
            .categories
            .iter()
            .map(|category| describe_category(*category).to_owned())
            .collect(),
    };
    let your_steps = NoticeSection {
        heading: "What you can do",
        paragraphs: vec!["We recommend that you:".to_owned()],
        bullets: trimmed(&content.steps_for_individuals),
    };
    let our_actions = NoticeSection {
        heading: "What we are doing",
        paragraphs: Vec::new(),
        bullets: trimmed(&content.entity_actions),
    };
    let contact = NoticeSection {
        heading: "For more information",
        paragraphs: vec![
            "If you have questions, please contact us. You can reach us by:".to_owned(),
        ],
        bullets: contact_lines(&content.contact),
    };

    Ok(NoticeDraft {
        title: format!("Notice of a data breach at {entity}"),
        address_block,
        salutation: format!("Dear {RECIPIENT_NAME},"),
        introduction,
        sections: vec![what_happened, information, your_steps, our_actions, contact],
        closing: format!("Sincerely,\n{entity}"),
    })
}

impl NoticeDraft {
    /// The letter as plain text: the title underlined with `=`, headings with `-`, bullets as
    /// `- `, one blank line between blocks.
    pub fn to_text(&self) -> String {
        let mut blocks = vec![
            format!("{}\n{}", self.title, "=".repeat(self.title.chars().count())),
            self.address_block.join("\n"),
            self.salutation.clone(),
            self.introduction.clone(),
        ];

        for section in &self.sections {
            blocks.push(format!(
                "{}\n{}",
                section.heading,
                "-".repeat(section.heading.len())
            ));
            blocks.extend(section.paragraphs.iter().cloned());
            if !section.bullets.is_empty() {
                let bullets: Vec<String> = section
                    .bullets
                    .iter()
                    .map(|bullet| format!("- {}", bullet.replace('\n', "\n  ")))
                    .collect();
                blocks.push(bullets.join("\n"));
            }
        }

        blocks.push(self.closing.clone());
        blocks.join("\n\n") + "\n"
    }

    /// The letter as Markdown. Text the operator wrote is escaped so it renders as written;
    /// the placeholders stay literal so that a mail merge finds them.
    pub fn to_markdown(&self) -> String {
        let hard_break = |text: &str| text.replace('\n', "  \n");
        let address: Vec<String> = self
            .address_block
            .iter()
            .map(|line| markdown_keeping_placeholders(line))
            .collect();
        let mut blocks = vec![
            format!("# {}", text::markdown(&self.title)),
            address.join("  \n"),
            markdown_keeping_placeholders(&self.salutation),
            text::markdown(&self.introduction),
        ];

        for section in &self.sections {
            blocks.push(format!("## {}", section.heading));
            blocks.extend(
                section
                    .paragraphs
                    .iter()
                    .map(|p| hard_break(&text::markdown(p))),
            );
            if !section.bullets.is_empty() {
                let bullets: Vec<String> = section
                    .bullets
                    .iter()
                    .map(|bullet| format!("- {}", text::markdown(bullet).replace('\n', "  \n  ")))
                    .collect();
                blocks.push(bullets.join("\n"));
            }
        }

        blocks.push(hard_break(&text::markdown(&self.closing)));
        blocks.join("\n\n") + "\n"
    }
}

/// Escapes a line for Markdown except for the `{{...}}` placeholders, which must stay literal
/// for the mail merge. Operator text cannot hold `{{`, so every placeholder is one of ours.
fn markdown_keeping_placeholders(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;

    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}").map(|end| open + end + 2) else {
            break;
        };
        out.push_str(&text::markdown(&rest[..open]));
        out.push_str(&rest[open..close]);
        rest = &rest[close..];
    }
    out.push_str(&text::markdown(rest));
    out
}

/// The plain-words description of a PHI category used in notices.
pub const fn describe_category(category: Category) -> &'static str {
    match category {
        Category::Identifier => {
            "identifying numbers, such as a Social Security number, medical record number, \
             driver's license number or health insurance member ID"
        }
        Category::Name => "your name",
        Category::Contact => "your telephone number or email address",
        Category::Address => "your mailing address",
        Category::Birthdate => "your date of birth",
        Category::Demographic => {
            "demographic details, such as gender, race, ethnicity, marital status or preferred \
             language"
        }
        Category::Clinical => {
            "health information, such as conditions, medications, prescriptions, procedures, \
             test results or dates of care"
        }
        Category::Financial => "billing, payment, claims or health insurance coverage information",
        Category::FreeText => "notes and other free-text information in your records",
    }
}

/// Common protective steps for the kinds of PHI involved, as a starting point for
/// [`NoticeContent::steps_for_individuals`]. The entity chooses what to send; nothing is added
/// to a notice on its own.
pub fn suggested_steps(categories: &BTreeSet<Category>) -> Vec<String> {
    let mut steps = Vec::new();

    if categories.contains(&Category::Identifier) || categories.contains(&Category::Financial) {
        steps.push(
            "Review your bank, credit card and insurance statements, and report anything you \
             do not recognize to the institution."
                .to_owned(),
        );
        steps.push(
            "Consider placing a fraud alert or a security freeze with the three national credit \
             bureaus; both are free."
                .to_owned(),
        );
    }
    if categories.contains(&Category::Clinical) || categories.contains(&Category::Identifier) {
        steps.push(
            "Review the explanation-of-benefits statements from your health plan, and tell the \
             plan about any service you did not receive."
                .to_owned(),
        );
    }
    if categories.contains(&Category::Contact) || categories.contains(&Category::Address) {
        steps.push(
            "Be cautious with calls, emails or letters that ask for personal or payment details, \
             even if they mention this incident."
                .to_owned(),
        );
    }
    steps.push("Keep this letter for your records.".to_owned());
    steps
}

fn check_content(content: &NoticeContent) -> Result<(), NoticeError> {
    let invalid = |field: &str, problem: TextProblem| NoticeError::Invalid {
        field: field.to_owned(),
        problem: problem.describe(),
    };

    if content.entity_name.trim().is_empty() {
        return Err(NoticeError::Missing {
            field: "entity_name",
            hint: "the covered entity's name as the individuals know it",
        });
    }
    text::check_notice(&content.entity_name, false).map_err(|p| invalid("entity_name", p))?;

    if content.what_happened.trim().is_empty() {
        return Err(NoticeError::Missing {
            field: "what_happened",
            hint: "a brief description of what happened, without PHI (164.404(c)(1)(A))",
        });
    }
    text::check_notice(&content.what_happened, true).map_err(|p| invalid("what_happened", p))?;

    check_dates(content)?;

    if content.categories.is_empty() {
        return Err(NoticeError::Missing {
            field: "categories",
            hint: "the kinds of PHI involved (164.404(c)(1)(B))",
        });
    }

    check_list(
        &content.steps_for_individuals,
        "steps_for_individuals",
        "the steps individuals should take to protect themselves (164.404(c)(1)(C))",
    )?;
    check_list(
        &content.entity_actions,
        "entity_actions",
        "what the entity is doing to investigate, mitigate harm and prevent a recurrence \
         (164.404(c)(1)(D))",
    )?;

    check_contact(&content.contact)
}

fn check_dates(content: &NoticeContent) -> Result<(), NoticeError> {
    let invalid = |field: &str, problem: &'static str| NoticeError::Invalid {
        field: field.to_owned(),
        problem,
    };

    match (content.breach_start, content.breach_end) {
        (None, Some(_)) => Err(invalid(
            "breach_end",
            "is given without breach_start; give the start too, or neither",
        )),
        (Some(start), Some(end)) if end < start => Err(invalid(
            "breach_end",
            "is before breach_start; correct one of them",
        )),
        (Some(start), _) if start > content.discovered => Err(invalid(
            "breach_start",
            "is after discovered; a breach cannot be discovered before it happens",
        )),
        _ => Ok(()),
    }
}

fn check_list(
    items: &[String],
    field: &'static str,
    hint: &'static str,
) -> Result<(), NoticeError> {
    if items.is_empty() {
        return Err(NoticeError::Missing { field, hint });
    }
    for (index, item) in items.iter().enumerate() {
        text::check_notice(item, true).map_err(|problem| NoticeError::Invalid {
            field: format!("{field}[{index}]"),
            problem: problem.describe(),
        })?;
    }
    Ok(())
}

fn check_contact(contact: &ContactProcedures) -> Result<(), NoticeError> {
    let Some(number) = contact.toll_free_number.as_deref() else {
        return Err(NoticeError::Missing {
            field: "contact.toll_free_number",
            hint: "a US toll-free number individuals can call (164.404(c)(1)(E))",
        });
    };
    if !is_toll_free(number) {
        return Err(NoticeError::Invalid {
            field: "contact.toll_free_number".to_owned(),
            problem: "is not a US toll-free number; write it in digits with an 800, 833, 844, \
                      855, 866, 877 or 888 area code",
        });
    }

    let others = [
        ("contact.email", &contact.email, false),
        ("contact.website", &contact.website, false),
        ("contact.postal_address", &contact.postal_address, true),
    ];
    let mut any = false;
    for (field, value, multiline) in others {
        let Some(value) = value else { continue };
        text::check_notice(value, multiline).map_err(|problem| NoticeError::Invalid {
            field: field.to_owned(),
            problem: problem.describe(),
        })?;
        any = true;
    }
    if !any {
        return Err(NoticeError::Missing {
            field: "contact.email, contact.website or contact.postal_address",
            hint: "at least one of them besides the toll-free number (164.404(c)(1)(E))",
        });
    }

    if let Some(email) = &contact.email {
        let parts: Vec<&str> = email.trim().split('@').collect();
        let looks_right = parts.len() == 2
            && parts.iter().all(|part| !part.is_empty())
            && !email.trim().contains(char::is_whitespace);
        if !looks_right {
            return Err(NoticeError::Invalid {
                field: "contact.email".to_owned(),
                problem: "is not an email address; write it as name@domain",
            });
        }
    }
    Ok(())
}

fn is_toll_free(number: &str) -> bool {
    let separators_only = number
        .chars()
        .all(|c| c.is_ascii_digit() || " -().+".contains(c));
    if !separators_only {
        return false;
    }

    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => return false,
    };
    TOLL_FREE_PREFIXES
        .iter()
        .any(|prefix| national.starts_with(prefix))
}

fn breach_dates_sentence(content: &NoticeContent) -> String {
    let discovered = format!("We discovered it on {}.", long_date(content.discovered));
    let happened = match (content.breach_start, content.breach_end) {
        (Some(start), Some(end)) if end != start => format!(
            "The breach took place between {} and {}.",
            long_date(start),
            long_date(end)
        ),
        (Some(start), Some(_)) => format!("The breach took place on {}.", long_date(start)),
        (Some(start), None) => format!(
            "The breach began on {}; when it ended is not yet known.",
            long_date(start)
        ),
        (None, _) => "The date of the breach is not yet known.".to_owned(),
    };
    format!("{happened} {discovered}")
}

fn contact_lines(contact: &ContactProcedures) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(number) = &contact.toll_free_number {
        lines.push(format!("calling toll-free {}", number.trim()));
    }
    if let Some(email) = &contact.email {
        lines.push(format!("emailing {}", email.trim()));
    }
    if let Some(website) = &contact.website {
        lines.push(format!("visiting {}", website.trim()));
    }
    if let Some(address) = &contact.postal_address {
        lines.push(format!("writing to:\n{}", address.trim()));
    }
    lines
}

fn trimmed(items: &[String]) -> Vec<String> {
    items.iter().map(|item| item.trim().to_owned()).collect()
}

/// `January 5, 2026`: the form US readers expect in a letter.
fn long_date(date: Date) -> String {
    date.strftime("%B %-d, %Y").to_string()
}

/// How to reach the people whose contact details are missing or out of date (164.404(d)(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SubstitutePlan {
    /// Everyone can be reached by first-class mail (or email, where they agreed to it).
    NotNeeded,
    /// Fewer than 10 people: an alternative form of written notice, telephone or other
    /// means (164.404(d)(2)(i)).
    OtherMeans {
        /// How many people lack usable contact details.
        people: u64,
    },
    /// 10 or more people: a conspicuous posting on the home page of the entity's website for
    /// 90 days, or conspicuous notice in major print or broadcast media where they likely
    /// live, plus a toll-free number active for at least 90 days where people can learn
    /// whether their PHI was involved (164.404(d)(2)(ii)).
    Conspicuous {
        /// How many people lack usable contact details.
        people: u64,
        /// The day the posting or media notice starts (day 0).
        starts_on: Date,
        /// Keep the home-page posting up through this day (90 days after the start).
        post_until: Date,
        /// Keep the toll-free number active at least through this day.
        toll_free_until: Date,
    },
}

/// The number of people below which other means suffice.
pub const SUBSTITUTE_CONSPICUOUS_THRESHOLD: u64 = 10;

/// How long a substitute posting and its toll-free number must last, in days.
pub const SUBSTITUTE_DAYS: u32 = 90;

/// Plans the substitute notice for `missing_contact` people whose contact details are
/// insufficient or out of date, starting on `starts_on`.
///
/// # Errors
///
/// [`NoticeError::Invalid`] when the 90-day end would fall after 9999-12-31.
pub fn substitute_notice_plan(
    missing_contact: u64,
    starts_on: Date,
) -> Result<SubstitutePlan, NoticeError> {
    if missing_contact == 0 {
        return Ok(SubstitutePlan::NotNeeded);
    }
    if missing_contact < SUBSTITUTE_CONSPICUOUS_THRESHOLD {
        return Ok(SubstitutePlan::OtherMeans {
            people: missing_contact,
        });
    }

    let until = add_days(starts_on, SUBSTITUTE_DAYS, Counting::Calendar).ok_or_else(|| {
        NoticeError::Invalid {
            field: "starts_on".to_owned(),
            problem: "is too late for a 90-day posting; check the date",
        }
    })?;
    Ok(SubstitutePlan::Conspicuous {
        people: missing_contact,
        starts_on,
        post_until: until,
        toll_free_until: until,
    })
}

impl SubstitutePlan {
    /// The paragraph of 45 CFR 164.404 the plan follows.
    pub const fn basis(&self) -> &'static str {
        match self {
            SubstitutePlan::NotNeeded => "45 CFR 164.404(d)(1)",
            SubstitutePlan::OtherMeans { .. } => "45 CFR 164.404(d)(2)(i)",
            SubstitutePlan::Conspicuous { .. } => "45 CFR 164.404(d)(2)(ii)",
        }
    }

    /// What to do, step by step.
    pub fn steps(&self) -> Vec<String> {
        match self {
            SubstitutePlan::NotNeeded => vec![
                "Send the notice by first-class mail to each individual's last known address, \
                 or by email to those who agreed to electronic notice."
                    .to_owned(),
            ],
            SubstitutePlan::OtherMeans { people } => vec![format!(
                "Reach the {people} people without usable contact details by an alternative \
                 form of written notice, by telephone or by other means, with the same content \
                 as the letter."
            )],
            SubstitutePlan::Conspicuous {
                people,
                starts_on,
                post_until,
                toll_free_until,
            } => vec![
                format!(
                    "For the {people} people without usable contact details, post a conspicuous \
                     notice on the home page of the website from {starts_on} through \
                     {post_until} (90 days), or place conspicuous notice in major print or \
                     broadcast media where they likely live."
                ),
                format!(
                    "Include a toll-free number, active from {starts_on} through at least \
                     {toll_free_until}, where people can learn whether their information was \
                     involved."
                ),
                "Give the posting the same content as the letter.".to_owned(),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn content() -> NoticeContent {
        NoticeContent {
            entity_name: "Northwind Pharmacy".to_owned(),
            what_happened: "An order-export job sent a file to a vendor without a business \
                            associate agreement."
                .to_owned(),
            breach_start: Some(date(2026, 2, 3)),
            breach_end: Some(date(2026, 2, 5)),
            discovered: date(2026, 2, 9),
            categories: BTreeSet::from([Category::Name, Category::Clinical]),
            steps_for_individuals: suggested_steps(&BTreeSet::from([Category::Clinical])),
            entity_actions: vec!["We had the vendor delete the file.".to_owned()],
            contact: ContactProcedures {
                toll_free_number: Some("1-888-555-0100".to_owned()),
                email: Some("privacy@northwind.example".to_owned()),
                website: None,
                postal_address: Some("1 Main St\nSpringfield, IL 62701".to_owned()),
            },
        }
    }

    #[test]
    fn the_draft_has_every_required_section() {
        let draft = draft_individual_notice(&content()).unwrap();
        let headings: Vec<&str> = draft.sections.iter().map(|s| s.heading).collect();
        assert_eq!(
            headings,
            [
                "What happened",
                "What information was involved",
                "What you can do",
                "What we are doing",
                "For more information"
            ]
        );

        let text = draft.to_text();
        for needle in [
            "between February 3, 2026 and February 5, 2026",
            "We discovered it on February 9, 2026.",
            "- your name",
            "- health information, such as conditions",
            "explanation-of-benefits",
            "We had the vendor delete the file.",
            "calling toll-free 1-888-555-0100",
            "emailing privacy@northwind.example",
            "writing to:\n  1 Main St\n  Springfield, IL 62701",
            RECIPIENT_NAME,
            RECIPIENT_ADDRESS,
            NOTICE_DATE,
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }

        let markdown = draft.to_markdown();
        assert!(markdown.starts_with("# Notice of a data breach at Northwind Pharmacy\n"));
        assert!(markdown.contains("## What you can do"));
        assert!(markdown.contains("Dear {{recipient_name}},"));
        assert!(markdown.contains("privacy@northwind.example"));
    }

    #[test]
    fn unknown_breach_dates_are_said_not_left_blank() {
        let mut c = content();
        c.breach_start = None;
        c.breach_end = None;
        let text = draft_individual_notice(&c).unwrap().to_text();
        assert!(text.contains("The date of the breach is not yet known."));

        c.breach_start = Some(date(2026, 2, 3));
        let text = draft_individual_notice(&c).unwrap().to_text();
        assert!(text.contains("began on February 3, 2026; when it ended is not yet known"));
    }

    #[test]
    fn a_missing_contact_method_is_an_error() {
        let mut c = content();
        c.contact.toll_free_number = None;
        let error = draft_individual_notice(&c).unwrap_err();
        assert!(
            error.to_string().contains("contact.toll_free_number"),
            "{error}"
        );

        let mut c = content();
        c.contact.email = None;
        c.contact.postal_address = None;
        let error = draft_individual_notice(&c).unwrap_err();
        assert!(matches!(error, NoticeError::Missing { .. }));
        assert!(error.to_string().contains("contact.website"), "{error}");

        let mut c = content();
        c.contact.toll_free_number = Some("(217) 555-0100".to_owned());
        let error = draft_individual_notice(&c).unwrap_err();
        assert!(error.to_string().contains("not a US toll-free number"));
        assert!(!error.to_string().contains("555"));
    }

    /// Breaks one field of a valid input.
    type Breakage = fn(&mut NoticeContent);

    #[test]
    fn every_required_element_is_named_when_missing() {
        let cases: [(Breakage, &str); 6] = [
            (|c| c.entity_name.clear(), "entity_name"),
            (|c| c.what_happened = " ".to_owned(), "what_happened"),
            (|c| c.categories.clear(), "categories"),
            (|c| c.steps_for_individuals.clear(), "steps_for_individuals"),
            (|c| c.entity_actions.clear(), "entity_actions"),
            (
                |c| c.entity_actions.push(String::new()),
                "entity_actions[1]",
            ),
        ];
        for (break_it, field) in cases {
            let mut c = content();
            break_it(&mut c);
            let error = draft_individual_notice(&c).unwrap_err();
            assert!(error.to_string().contains(field), "{field}: {error}");
        }
    }

    #[test]
    fn contradictory_dates_and_placeholder_braces_are_refused() {
        let mut c = content();
        c.breach_end = Some(date(2026, 2, 1));
        assert!(
            draft_individual_notice(&c)
                .unwrap_err()
                .to_string()
                .contains("breach_end")
        );

        let mut c = content();
        c.breach_start = Some(date(2026, 2, 10));
        c.breach_end = None;
        assert!(
            draft_individual_notice(&c)
                .unwrap_err()
                .to_string()
                .contains("breach_start")
        );

        let mut c = content();
        c.what_happened = "Dear {{recipient_name}}".to_owned();
        let error = draft_individual_notice(&c).unwrap_err();
        assert!(error.to_string().starts_with("what_happened contains"));
    }

    #[test]
    fn markdown_escapes_what_the_operator_wrote() {
        let mut c = content();
        c.what_happened = "See <script>x</script> and [a](http://evil)".to_owned();
        let markdown = draft_individual_notice(&c).unwrap().to_markdown();
        assert!(markdown.contains("\\<script\\>"));
        assert!(markdown.contains("\\[a\\](http://evil)"));
    }

    #[test]
    fn substitute_plans_at_0_9_and_10() {
        let start = date(2026, 3, 1);
        assert_eq!(
            substitute_notice_plan(0, start).unwrap(),
            SubstitutePlan::NotNeeded
        );

        let nine = substitute_notice_plan(9, start).unwrap();
        assert_eq!(nine, SubstitutePlan::OtherMeans { people: 9 });
        assert_eq!(nine.basis(), "45 CFR 164.404(d)(2)(i)");
        assert!(nine.steps()[0].contains("telephone"));

        let ten = substitute_notice_plan(10, start).unwrap();
        assert_eq!(
            ten,
            SubstitutePlan::Conspicuous {
                people: 10,
                starts_on: start,
                post_until: date(2026, 5, 30),
                toll_free_until: date(2026, 5, 30),
            }
        );
        assert_eq!(ten.basis(), "45 CFR 164.404(d)(2)(ii)");
        let steps = ten.steps().join(" ");
        assert!(steps.contains("home page") && steps.contains("2026-05-30"));

        let json = serde_json::to_value(ten).unwrap();
        assert_eq!(json["method"], "conspicuous");
        assert_eq!(json["toll_free_until"], "2026-05-30");
    }

    #[test]
    fn every_category_has_plain_words() {
        for category in Category::ALL {
            let words = describe_category(category);
            assert!(!words.is_empty() && !words.contains('_'), "{category}");
        }
    }
}
