//! HTML (and the shadow HTML of Liquid and PHTML templates): scripts, health-form inputs,
//! session-replay masking, and links or GET forms that put PHI in URLs.

use tree_sitter::{Node, Parser};

use crate::classify::{Evidence, classify_name};
use crate::finding::RawFinding;
use crate::js::{self, Placeholders, Taint, reason_of};
use crate::rule::RuleId;
use crate::source::Language;
use phiguard_core::Category;

/// What the HTML analysis needs beyond the text.
#[derive(Debug, Default, Clone)]
pub(crate) struct PageContext {
    /// A session-replay vendor without a BAA that the inventory says runs on every page.
    pub replay_vendor: Option<String>,
}

/// Findings in one HTML document, and whether its parse needed error recovery.
pub(crate) fn analyze(
    text: &str,
    placeholders: &Placeholders,
    context: &PageContext,
) -> (Vec<RawFinding>, bool) {
    let mut parser = Parser::new();
    let grammar: tree_sitter::Language = tree_sitter_html::LANGUAGE.into();
    if parser.set_language(&grammar).is_err() {
        return (Vec::new(), true);
    }
    let Some(tree) = parser.parse(text, None) else {
        return (Vec::new(), true);
    };

    let root = tree.root_node();
    let mut page = Page {
        text,
        placeholders,
        findings: Vec::new(),
        had_errors: root.has_error(),
    };
    let replay = context
        .replay_vendor
        .clone()
        .or_else(|| replay_on_page(text));

    let mut stack = vec![(root, FormState::default())];
    while let Some((node, form)) = stack.pop() {
        let mut form = form;
        match node.kind() {
            "script_element" => page.script(node),
            "element" | "self_closing_tag" => {
                if let Some(tag) = start_tag(node) {
                    let name = page.tag_name(tag);
                    if name == "form" {
                        form = FormState {
                            autocomplete_off: page.attribute(tag, "autocomplete").as_deref()
                                == Some("off"),
                            get: page
                                .attribute(tag, "method")
                                .is_some_and(|m| m.eq_ignore_ascii_case("get")),
                        };
                    }
                    page.url_attributes(tag);
                    if matches!(name.as_str(), "input" | "textarea" | "select") {
                        page.field(tag, &name, &form, replay.as_deref());
                    }
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for child in children.into_iter().rev() {
            stack.push((child, form));
        }
    }

    (page.findings, page.had_errors)
}

/// Which session-replay vendor a page loads, from its script sources and snippets.
fn replay_on_page(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("static.hotjar.com") || lower.contains("_hjsettings") {
        Some("Hotjar".to_owned())
    } else if lower.contains("fullstory.com") || lower.contains("window['_fs_") {
        Some("FullStory".to_owned())
    } else {
        None
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct FormState {
    autocomplete_off: bool,
    get: bool,
}

struct Page<'a> {
    text: &'a str,
    placeholders: &'a Placeholders,
    findings: Vec<RawFinding>,
    had_errors: bool,
}

impl Page<'_> {
    fn src(&self, node: Node<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    fn tag_name(&self, tag: Node<'_>) -> String {
        let mut cursor = tag.walk();
        tag.named_children(&mut cursor)
            .find(|c| c.kind() == "tag_name")
            .map(|n| self.src(n).to_ascii_lowercase())
            .unwrap_or_default()
    }

    fn attributes<'n>(&self, tag: Node<'n>) -> Vec<(String, String, Node<'n>)> {
        let mut cursor = tag.walk();
        tag.named_children(&mut cursor)
            .filter(|c| c.kind() == "attribute")
            .map(|attribute| {
                let mut inner = attribute.walk();
                let mut name = String::new();
                let mut value = String::new();
                for part in attribute.named_children(&mut inner) {
                    match part.kind() {
                        "attribute_name" => name = self.src(part).to_ascii_lowercase(),
                        "attribute_value" => value = self.src(part).to_owned(),
                        "quoted_attribute_value" => {
                            value = self.src(part).trim_matches(['"', '\'']).to_owned();
                        }
                        _ => {}
                    }
                }
                (name, value, attribute)
            })
            .collect()
    }

    fn attribute(&self, tag: Node<'_>, wanted: &str) -> Option<String> {
        self.attributes(tag)
            .into_iter()
            .find(|(name, _, _)| name == wanted)
            .map(|(_, value, _)| value)
    }

    fn script(&mut self, node: Node<'_>) {
        let tag = start_tag(node);
        let kind = tag
            .and_then(|t| self.attribute(t, "type"))
            .unwrap_or_default();
        let runs = kind.is_empty()
            || kind.contains("javascript")
            || kind == "module"
            || kind == "text/babel";
        if !runs {
            return;
        }

        let mut cursor = node.walk();
        let Some(raw) = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "raw_text")
        else {
            return;
        };
        let code = self.src(raw);
        let report = js::analyze(
            code,
            raw.start_byte(),
            Language::JavaScript,
            self.placeholders,
        );
        self.had_errors |= report.had_errors;
        self.findings.extend(report.findings);
    }

    /// Inputs: remembered health identifiers, unmasked fields under session replay, fields of
    /// GET forms.
    fn field(&mut self, tag: Node<'_>, element: &str, form: &FormState, replay: Option<&str>) {
        let attributes = self.attributes(tag);
        let get = |wanted: &str| {
            attributes
                .iter()
                .find(|(n, _, _)| n == wanted)
                .map(|(_, v, _)| v.as_str())
        };
        let input_type = get("type").unwrap_or("text").to_ascii_lowercase();
        if matches!(
            input_type.as_str(),
            "hidden"
                | "password"
                | "submit"
                | "button"
                | "checkbox"
                | "radio"
                | "file"
                | "image"
                | "reset"
        ) {
            return;
        }

        let Some(evidence) = ["name", "id", "autocomplete"]
            .iter()
            .filter_map(|a| get(a))
            .find_map(|value| classify_name(&field_name(value)))
        else {
            return;
        };
        let offset = tag.start_byte();

        let sensitive = matches!(evidence.category, Category::Identifier | Category::Clinical);
        let autocomplete_off = matches!(get("autocomplete"), Some("off" | "new-password"))
            || (form.autocomplete_off && get("autocomplete").is_none());
        if element == "input" && sensitive && !autocomplete_off {
            self.findings.push(
                RawFinding::new(
                    RuleId::FormAutocomplete,
                    offset,
                    "a sensitive health input lets the browser remember what is typed",
                )
                .because(evidence.reason.clone())
                .category(evidence.category),
            );
        }

        if let Some(vendor) = replay {
            let class = get("class").unwrap_or("");
            let masked = attributes.iter().any(|(n, _, _)| {
                n == "data-hj-suppress" || n == "data-hj-masked" || n == "data-fs-mask"
            }) || class
                .split_whitespace()
                .any(|c| matches!(c, "fs-mask" | "fs-exclude" | "fs-block" | "hj-suppress"));
            if !masked {
                self.findings.push(
                    RawFinding::new(
                        RuleId::SessionReplay,
                        offset,
                        format!("{vendor} session replay records this PHI field unmasked"),
                    )
                    .because(evidence.reason.clone())
                    .category(evidence.category)
                    .recipient(vendor),
                );
            }
        }

        if form.get {
            self.findings.push(
                RawFinding::new(
                    RuleId::UrlQuery,
                    offset,
                    "a form submitted with GET puts this PHI field in the URL",
                )
                .because(evidence.reason)
                .category(evidence.category),
            );
        }
    }

    /// `href`, `src` and `action` values whose query string carries a template value that is
    /// PHI, or a dynamic value under a PHI parameter name.
    fn url_attributes(&mut self, tag: Node<'_>) {
        for (name, value, attribute) in self.attributes(tag) {
            if !matches!(
                name.as_str(),
                "href" | "src" | "action" | "data-url" | "formaction"
            ) {
                continue;
            }
            let Some(query_start) = value.find('?') else {
                continue;
            };
            for pair in value.get(query_start + 1..).unwrap_or("").split('&') {
                let Some((parameter, parameter_value)) = pair.split_once('=') else {
                    continue;
                };
                let placeholder_taint = self.placeholder_in(parameter_value);
                let Some(placeholder_taint) = placeholder_taint else {
                    continue;
                };
                let by_name = classify_name(parameter).map(|e| {
                    Taint::phi(Evidence::new(
                        e.category,
                        format!("the query parameter {}", e.reason),
                    ))
                });
                let taint = placeholder_taint.union(by_name.unwrap_or_default());
                if let Some(evidence) = reason_of(&taint) {
                    self.findings.push(
                        RawFinding::new(
                            RuleId::UrlQuery,
                            attribute.start_byte(),
                            format!("PHI is placed in the `{name}` URL's query string"),
                        )
                        .because(evidence.reason.clone())
                        .category(evidence.category),
                    );
                }
            }
        }
    }

    /// The taint of the template placeholders in an attribute value, if it holds any.
    fn placeholder_in(&self, value: &str) -> Option<Taint> {
        let mut found = None;
        for (start, _) in value.match_indices("_$") {
            let rest = value.get(start + 2..).unwrap_or("");
            let digits = rest.chars().take_while(char::is_ascii_alphanumeric).count();
            let token = value.get(start..start + 2 + digits).unwrap_or("");
            if let Some(taint) = self.placeholders.get(token) {
                found = Some(found.unwrap_or_else(Taint::clean).union(taint.clone()));
            }
        }
        found
    }
}

fn start_tag(node: Node<'_>) -> Option<Node<'_>> {
    if node.kind() == "self_closing_tag" {
        return Some(node);
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .find(|c| c.kind() == "start_tag" || c.kind() == "self_closing_tag")
}

/// The field a form name addresses: `attributes[insurance_member_id]` → `insurance_member_id`,
/// `customer[dob]` → `dob`.
fn field_name(value: &str) -> String {
    let inner = value
        .rsplit('[')
        .next()
        .map(|s| s.trim_end_matches(']'))
        .filter(|s| !s.is_empty())
        .unwrap_or(value);
    inner.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(html: &str) -> Vec<RuleId> {
        let (findings, _) = analyze(html, &Placeholders::new(), &PageContext::default());
        findings.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn sensitive_inputs_need_autocomplete_off() {
        assert_eq!(rules("<input name=\"ssn\">"), [RuleId::FormAutocomplete]);
        assert!(rules("<input name=\"ssn\" autocomplete=\"off\">").is_empty());
        assert!(rules("<form autocomplete=\"off\"><input name=\"ssn\"></form>").is_empty());
        assert!(rules("<input name=\"email\">").is_empty());
        assert!(rules("<input type=\"hidden\" name=\"ssn\">").is_empty());
        assert_eq!(
            rules("<input name=\"attributes[insurance_member_id]\">"),
            [RuleId::FormAutocomplete]
        );
    }

    #[test]
    fn get_forms_and_replay_are_found() {
        assert_eq!(
            rules("<form method=\"get\"><input name=\"email\"></form>"),
            [RuleId::UrlQuery]
        );
        let page = "<script src=\"https://static.hotjar.com/c/hotjar.js\"></script>\
                    <input name=\"dob\"><input name=\"dob\" data-hj-suppress>";
        assert_eq!(rules(page), [RuleId::SessionReplay]);
    }

    #[test]
    fn scripts_are_analysed() {
        assert_eq!(
            rules("<script>console.log(patient)</script>"),
            [RuleId::Logging]
        );
        assert!(rules("<script type=\"application/ld+json\">{\"patient\":1}</script>").is_empty());
    }

    #[test]
    fn field_names_come_from_brackets() {
        assert_eq!(field_name("properties[Prescription]"), "Prescription");
        assert_eq!(field_name("dob"), "dob");
    }
}
