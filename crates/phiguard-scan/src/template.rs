//! Liquid and PHTML templates, turned into HTML the HTML and script analysis can read.
//!
//! A template is split into text and template islands. Each output island (`{{ customer.email }}`,
//! `<?= $block->getDob() ?>`) is replaced by a placeholder identifier (`_$0`, `_$1`, …) padded
//! with spaces to the island's length, and each tag island (`{% if %}`, `<?php … ?>`) by spaces,
//! so that byte offsets and line numbers of the shadow text are those of the template. The
//! placeholders carry the taint of what they print: a script that reads `{{ customer.email |
//! json }}` reads a PHI value, and a link with `?dob={{ … }}` puts one in a URL.
//!
//! The Liquid tokenizer is hand-written: no maintained tree-sitter grammar for Liquid is
//! published as a Rust crate, and Liquid's lexical structure (output `{{ }}`, tags `{% %}`,
//! whitespace-control dashes, `raw` and `comment` blocks) is small enough to scan exactly.

use std::collections::HashMap;

use crate::classify::{classify_member, classify_name, is_safe_member};
use crate::js::{Placeholders, Taint, taint_of};

/// A template with its islands replaced.
#[derive(Debug, Default)]
pub(crate) struct Shadow {
    /// The shadow text: same length and line structure as the template.
    pub text: String,
    /// Placeholder → taint of what the island prints.
    pub placeholders: Placeholders,
    /// `{% javascript %}` blocks of Shopify sections: byte ranges of plain JavaScript.
    pub scripts: Vec<std::ops::Range<usize>>,
    /// Whether an island was left open at the end of the file.
    pub unterminated: bool,
}

/// Builds the shadow of a Liquid template.
pub(crate) fn liquid(template: &str) -> Shadow {
    let mut shadow = ShadowBuilder::new(template);
    let mut variables: HashMap<String, Taint> = HashMap::new();
    let mut position = 0;
    let mut skip_until: Option<&str> = None;
    let mut skip_start = 0;

    while let Some(found) = find_island(template, position) {
        let (start, is_output) = found;
        let close = if is_output { "}}" } else { "%}" };
        let Some(end) = template.get(start + 2..).and_then(|rest| rest.find(close)) else {
            shadow.unterminated = true;
            shadow.blank(start, template.len());
            break;
        };
        let end = start + 2 + end + 2;
        let inner = template
            .get(start + 2..end - 2)
            .unwrap_or("")
            .trim_matches('-')
            .trim();

        if let Some(closing) = skip_until {
            if !is_output && tag_name(inner) == closing {
                skip_until = None;
                let from = if closing == "endraw" {
                    start
                } else {
                    skip_start
                };
                shadow.blank(from, end);
            }
            position = end;
            continue;
        }

        if is_output {
            let taint = output_taint(inner, &variables);
            shadow.placeholder(start, end, taint);
        } else {
            skip_start = start;
            match tag_name(inner) {
                "comment" => skip_until = Some("endcomment"),
                "schema" => skip_until = Some("endschema"),
                "style" | "stylesheet" => {
                    skip_until = Some(if tag_name(inner) == "style" {
                        "endstyle"
                    } else {
                        "endstylesheet"
                    });
                }
                "raw" => skip_until = Some("endraw"),
                "javascript" => {
                    if let Some(close) = template.get(end..).and_then(|r| r.find("{%")) {
                        shadow.scripts.push(end..end + close);
                    }
                }
                "assign" => {
                    if let Some((name, value)) = inner.trim_start_matches("assign").split_once('=')
                    {
                        let name = name.trim().to_owned();
                        let taint = output_taint(value.trim(), &variables)
                            .union(taint_of(classify_name(&name)));
                        variables.insert(name, taint);
                    }
                }
                _ => {}
            }
            shadow.blank(start, end);
        }
        position = end;
    }
    shadow.finish()
}

/// Builds the shadow of a PHTML template (HTML with PHP islands).
pub(crate) fn phtml(template: &str) -> Shadow {
    let mut shadow = ShadowBuilder::new(template);
    let mut position = 0;

    while let Some(start) = template
        .get(position..)
        .and_then(|r| r.find("<?"))
        .map(|i| i + position)
    {
        let end = template
            .get(start + 2..)
            .and_then(|rest| rest.find("?>"))
            .map_or(template.len(), |i| start + 2 + i + 2);
        let island = template.get(start..end).unwrap_or("");
        if island.starts_with("<?=") {
            let taint = php_output_taint(island);
            shadow.placeholder(start, end, taint);
        } else {
            shadow.blank(start, end);
        }
        position = end;
    }
    shadow.finish()
}

fn find_island(template: &str, from: usize) -> Option<(usize, bool)> {
    let rest = template.get(from..)?;
    let index = rest.find('{').and_then(|first| {
        let mut offset = first;
        loop {
            let bytes = rest.as_bytes();
            match bytes.get(offset + 1) {
                Some(b'{') => return Some((offset, true)),
                Some(b'%') => return Some((offset, false)),
                _ => {}
            }
            offset += 1 + rest.get(offset + 1..)?.find('{')?;
        }
    })?;
    Some((from + index.0, index.1))
}

fn tag_name(inner: &str) -> &str {
    inner.split_whitespace().next().unwrap_or("")
}

/// The taint of a Liquid output expression: `customer.email | json`, `line_item.properties`,
/// `checkout.token`.
pub(crate) fn output_taint(expression: &str, variables: &HashMap<String, Taint>) -> Taint {
    let mut parts = expression.split('|');
    let value = parts.next().unwrap_or("").trim();
    let hiding = parts.any(|filter| {
        let name = filter.split(':').next().unwrap_or("").trim();
        matches!(
            name,
            "size" | "money" | "money_with_currency" | "money_without_currency"
        )
    });
    if hiding || value.starts_with(['\'', '"']) {
        return Taint::clean();
    }

    let segments: Vec<&str> = value
        .split(['.', '['])
        .map(|s| s.trim_end_matches(']').trim_matches(['\'', '"']))
        .filter(|s| !s.is_empty())
        .collect();
    let Some((first, rest)) = segments.split_first() else {
        return Taint::clean();
    };

    let mut taint = variables
        .get(*first)
        .cloned()
        .unwrap_or_default()
        .union(taint_of(classify_name(first)));
    let mut owner = *first;
    for segment in rest {
        if is_safe_member(segment) {
            return Taint::clean();
        }
        taint = taint_of(classify_member(owner, segment)).union(taint.flatten());
        owner = segment;
    }
    taint
}

/// The taint of a PHP output island: the names of its variables and getters.
fn php_output_taint(island: &str) -> Taint {
    let code = island.trim_start_matches("<?=").trim_end_matches("?>");
    let mut taint = Taint::clean();
    let mut last_safe = false;
    for name in php_names(code) {
        if is_safe_member(&name) {
            last_safe = true;
            continue;
        }
        last_safe = false;
        if let Some(evidence) = classify_name(&name) {
            taint = taint.union(Taint::phi(evidence));
        }
    }
    if last_safe && !code.contains(',') {
        return Taint::clean();
    }
    taint
}

/// Variable and method names in a PHP expression, in order (`$block->getDob()` → block, getDob).
fn php_names(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut in_string: Option<char> = None;
    for c in code.chars() {
        match in_string {
            Some(quote) if c == quote => in_string = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                in_string = Some(c);
                flush_name(&mut current, &mut names);
            }
            None if c.is_alphanumeric() || c == '_' => current.push(c),
            None => flush_name(&mut current, &mut names),
        }
    }
    flush_name(&mut current, &mut names);
    names
        .into_iter()
        .filter(|n| !n.starts_with("escape") && n != "this" && n != "block" && n != "__")
        .collect()
}

fn flush_name(current: &mut String, names: &mut Vec<String>) {
    if !current.is_empty() {
        names.push(std::mem::take(current));
    }
}

struct ShadowBuilder {
    bytes: Vec<u8>,
    placeholders: Placeholders,
    scripts: Vec<std::ops::Range<usize>>,
    unterminated: bool,
}

impl ShadowBuilder {
    fn new(template: &str) -> Self {
        ShadowBuilder {
            bytes: template.as_bytes().to_vec(),
            placeholders: Placeholders::new(),
            scripts: Vec::new(),
            unterminated: false,
        }
    }

    /// Replaces `start..end` with spaces, keeping line breaks.
    fn blank(&mut self, start: usize, end: usize) {
        let end = end.min(self.bytes.len());
        for byte in self.bytes.get_mut(start..end).into_iter().flatten() {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b' ';
            }
        }
    }

    /// Replaces `start..end` with a placeholder carrying `taint`, or blanks it when the island
    /// is too short to hold one (such islands are too short to print PHI by name either).
    fn placeholder(&mut self, start: usize, end: usize, taint: Taint) {
        let name = format!("_${}", self.placeholders.len());
        self.blank(start, end);
        let fits = end.saturating_sub(start) >= name.len()
            && !self
                .bytes
                .get(start..end)
                .is_some_and(|b| b.contains(&b'\n'));
        if fits && let Some(slot) = self.bytes.get_mut(start..start + name.len()) {
            slot.copy_from_slice(name.as_bytes());
            self.placeholders.insert(name, taint);
        }
    }

    fn finish(self) -> Shadow {
        // Only ASCII bytes replaced ASCII or whole UTF-8 sequences inside islands, which are
        // blanked byte by byte; a multi-byte character cut at an island edge cannot happen
        // because island delimiters are ASCII.
        let text = String::from_utf8(self.bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Shadow {
            text,
            placeholders: self.placeholders,
            scripts: self.scripts,
            unterminated: self.unterminated,
        }
    }
}

/// Evidence for a Liquid or PHP expression, for tests and reports.
#[cfg(test)]
fn evidence_of(taint: &Taint) -> Option<crate::classify::Evidence> {
    taint.first_evidence().map(|e| (*e).clone())
}

#[cfg(test)]
mod tests {
    use phiguard_core::Category;

    use super::*;

    #[test]
    fn liquid_outputs_become_placeholders_of_the_same_length() {
        let template = "<p>{{ customer.email }}</p>\n{% if x %}<b>{{ cart.token }}</b>{% endif %}";
        let shadow = liquid(template);
        assert_eq!(shadow.text.len(), template.len());
        assert_eq!(shadow.text.lines().count(), template.lines().count());
        assert!(shadow.text.starts_with("<p>_$0"));
        assert!(evidence_of(&shadow.placeholders["_$0"]).is_some());
        assert!(evidence_of(&shadow.placeholders["_$1"]).is_none());
        assert!(!shadow.text.contains("if x"));
    }

    #[test]
    fn liquid_expressions_are_classified_by_path() {
        let none = HashMap::new();
        let category = |e: &str| evidence_of(&output_taint(e, &none)).map(|e| e.category);
        assert_eq!(category("customer.email | json"), Some(Category::Contact));
        assert_eq!(category("line_item.properties"), Some(Category::FreeText));
        assert_eq!(category("order.note"), Some(Category::FreeText));
        assert_eq!(
            category("checkout.note_attributes | json"),
            Some(Category::FreeText)
        );
        assert_eq!(category("checkout.token"), None);
        assert_eq!(category("customer.orders_count"), None);
        assert_eq!(category("cart.item_count"), None);
        assert_eq!(category("cart.total_price | money"), None);
        assert_eq!(category("'Date of birth' | t"), None);
        assert_eq!(category("product.title"), None);
    }

    #[test]
    fn comments_raw_and_schema_are_not_read() {
        let template =
            "{% comment %}{{ customer.email }}{% endcomment %}{% schema %}{\"a\":1}{% endschema %}";
        let shadow = liquid(template);
        assert!(shadow.placeholders.is_empty());
        assert!(shadow.text.trim().is_empty());
    }

    #[test]
    fn assigned_variables_keep_their_taint() {
        let shadow = liquid("{% assign who = customer %}<script>x({{ who | json }})</script>");
        assert!(evidence_of(&shadow.placeholders["_$0"]).is_some());
    }

    #[test]
    fn unterminated_islands_are_noted() {
        let shadow = liquid("<p>{{ customer.email </p>");
        assert!(shadow.unterminated);
        assert_eq!(shadow.text.len(), "<p>{{ customer.email </p>".len());
    }

    #[test]
    fn phtml_outputs_are_classified_by_getter() {
        let template = "<div><?= $block->escapeHtml($block->getCustomerDob()) ?></div>\n\
                        <?php $x = 1; ?><a href=\"<?= $block->getUrl('x') ?>\">";
        let shadow = phtml(template);
        assert_eq!(shadow.text.len(), template.len());
        assert!(evidence_of(&shadow.placeholders["_$0"]).is_some());
        assert!(evidence_of(&shadow.placeholders["_$1"]).is_none());
        assert!(!shadow.text.contains("$x = 1"));
    }

    #[test]
    fn phtml_placeholders_inside_script_strings() {
        let template = "<script>\n fbq('t', {\n em: \
                        '<?= $block->escapeJs($block->getCustomerEmail()) ?>'\n });\n</script>";
        let shadow = phtml(template);
        assert!(evidence_of(&shadow.placeholders["_$0"]).is_some());
    }
}
