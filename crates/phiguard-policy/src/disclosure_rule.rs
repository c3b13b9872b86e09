//! Reading the disclosure annotations of one policy.
//!
//! A permit grants categories with `@clear("...")` and `@masked("...")`; a forbid that carries
//! `@withhold("...")` or `@mask("...")` is a ceiling rather than a denial. Each annotation's
//! value is a comma-separated list of category names, or `"*"` for all nine.

use cedar_policy::{Effect, Policy};
use phiguard_core::{Category, Disclosure, Disclosures};

use crate::{AnnotationProblem, PolicyError};

/// The annotation phiguard adds to a ceiling `forbid` when it compiles it into a `permit`;
/// authors cannot write it themselves (it is not among the known annotations).
pub(crate) const CEILING_MARKER: &str = "phiguard_ceiling";

/// What a satisfied policy contributes to the disclosures of an allowed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DisclosureRule {
    /// A permit that discloses no category (it applies to non-PHI actions only), or a forbid
    /// that denies the whole request.
    Plain,
    /// A permit granting at least these levels.
    Grant(Disclosures),
    /// A ceiling capping the categories at these levels; it grants nothing by itself.
    Ceiling(Disclosures),
}

/// Reads and checks the annotations of `policy`, named `id` in messages.
///
/// `may_disclose` tells whether the policy can apply to `read_record` or `list_records`:
/// disclosure annotations on a policy that cannot are rejected, and so is a permit that can but
/// names no category.
pub(crate) fn read_rule(
    id: &str,
    policy: &Policy,
    may_disclose: bool,
) -> Result<DisclosureRule, PolicyError> {
    let permit = policy.effect() == Effect::Permit;
    let mut grant = Disclosures::withhold_all();
    let mut ceiling = Disclosures::uniform(Disclosure::Clear);
    let mut named: Vec<Category> = Vec::new();
    let mut first_disclosure_key: Option<&str> = None;

    for (key, value) in policy.annotations() {
        let problem = |problem| PolicyError::Annotation {
            policy: id.to_owned(),
            annotation: key.to_owned(),
            problem,
        };

        let (level, belongs_on_permit) = match key {
            "id" | "description" => continue,
            "clear" => (Disclosure::Clear, true),
            "masked" => (Disclosure::Masked, true),
            "withhold" => (Disclosure::Withheld, false),
            "mask" => (Disclosure::Masked, false),
            _ => return Err(problem(AnnotationProblem::Unknown)),
        };
        if belongs_on_permit != permit {
            let belongs_on = if belongs_on_permit {
                "permit"
            } else {
                "forbid"
            };
            return Err(problem(AnnotationProblem::WrongEffect { belongs_on }));
        }
        first_disclosure_key.get_or_insert(key);

        for category in parse_categories(value).map_err(problem)? {
            if named.contains(&category) {
                return Err(problem(AnnotationProblem::Conflict { category }));
            }
            named.push(category);
            if permit {
                grant.raise(category, level);
            } else {
                ceiling.cap(category, level);
            }
        }
    }

    match (first_disclosure_key, permit) {
        (Some(key), _) if !may_disclose => Err(PolicyError::Annotation {
            policy: id.to_owned(),
            annotation: key.to_owned(),
            problem: AnnotationProblem::NotPhiAction,
        }),
        (Some(_), true) => Ok(DisclosureRule::Grant(grant)),
        (Some(_), false) => Ok(DisclosureRule::Ceiling(ceiling)),
        (None, true) if may_disclose => Err(PolicyError::MissingDisclosure {
            policy: id.to_owned(),
        }),
        (None, _) => Ok(DisclosureRule::Plain),
    }
}

/// Parses `"name, birthdate"` or `"*"` into categories, without repeats.
fn parse_categories(value: &str) -> Result<Vec<Category>, AnnotationProblem> {
    let mut categories = Vec::new();
    for entry in value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        if entry == "*" {
            categories.extend(Category::ALL);
        } else {
            let category =
                entry
                    .parse::<Category>()
                    .map_err(|_| AnnotationProblem::UnknownCategory {
                        name: entry.to_owned(),
                    })?;
            categories.push(category);
        }
    }

    categories.sort();
    categories.dedup();
    if categories.is_empty() {
        Err(AnnotationProblem::Empty)
    } else {
        Ok(categories)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_lists_accept_names_stars_spacing_and_repeats() {
        assert_eq!(parse_categories("*").unwrap(), Category::ALL);
        assert_eq!(parse_categories("name, *").unwrap(), Category::ALL);
        assert_eq!(
            parse_categories(" contact,name ,contact,").unwrap(),
            [Category::Name, Category::Contact]
        );
    }

    #[test]
    fn category_lists_refuse_unknown_names_and_emptiness() {
        assert_eq!(
            parse_categories("name, Name"),
            Err(AnnotationProblem::UnknownCategory {
                name: "Name".into()
            })
        );
        assert_eq!(
            parse_categories("free text"),
            Err(AnnotationProblem::UnknownCategory {
                name: "free text".into()
            })
        );
        assert_eq!(parse_categories(""), Err(AnnotationProblem::Empty));
        assert_eq!(parse_categories(" ,, "), Err(AnnotationProblem::Empty));
    }

    #[test]
    fn grants_and_ceilings_are_read_per_effect() {
        let grant = Policy::parse(
            None,
            r#"@clear("name") @masked("address") permit (principal, action, resource);"#,
        )
        .unwrap();
        let mut expected = Disclosures::withhold_all();
        expected.set(Category::Name, Disclosure::Clear);
        expected.set(Category::Address, Disclosure::Masked);
        assert_eq!(
            read_rule("p", &grant, true),
            Ok(DisclosureRule::Grant(expected))
        );

        let ceiling = Policy::parse(
            None,
            r#"@withhold("clinical") @mask("name") forbid (principal, action, resource);"#,
        )
        .unwrap();
        let mut caps = Disclosures::uniform(Disclosure::Clear);
        caps.set(Category::Clinical, Disclosure::Withheld);
        caps.set(Category::Name, Disclosure::Masked);
        assert_eq!(
            read_rule("p", &ceiling, true),
            Ok(DisclosureRule::Ceiling(caps))
        );

        let forbid = Policy::parse(None, "forbid (principal, action, resource);").unwrap();
        assert_eq!(read_rule("p", &forbid, true), Ok(DisclosureRule::Plain));
        let permit = Policy::parse(None, "permit (principal, action, resource);").unwrap();
        assert_eq!(read_rule("p", &permit, false), Ok(DisclosureRule::Plain));
    }
}
