//! PHP (Magento modules and PHTML templates): PHI into logs, cookies, URLs and payment
//! metadata.
//!
//! Like the JavaScript analysis, one flat environment per file maps variables to taint, and
//! values are followed through assignments, arrays, concatenation, interpolation and
//! pass-through functions (`json_encode`, `print_r($x, true)`, `sprintf`). Magento's objects are
//! classified by their getters: `$quote->getCustomer()`, `$address->getTelephone()`,
//! `$customer->getDob()`.

use std::collections::{BTreeMap, HashMap};

use tree_sitter::{Node, Parser, Tree};

use crate::classify::{Evidence, classify_name, is_safe_member};
use crate::finding::RawFinding;
use crate::js::Taint;
use crate::rule::RuleId;

/// Findings in a PHP file, and whether its parse needed error recovery.
pub(crate) fn analyze(text: &str) -> (Vec<RawFinding>, bool) {
    let Some(tree) = parse(text) else {
        return (Vec::new(), true);
    };
    let root = tree.root_node();
    let mut analyzer = Analyzer {
        text,
        env: HashMap::new(),
        findings: Vec::new(),
    };
    analyzer.walk(root);

    let mut findings = analyzer.findings;
    findings.sort_by(|a, b| (a.offset, a.rule, &a.message).cmp(&(b.offset, b.rule, &b.message)));
    findings.dedup_by(|a, b| a.offset == b.offset && a.rule == b.rule && a.message == b.message);
    (findings, root.has_error())
}

/// Parses PHP (with its HTML around it).
pub(crate) fn parse(text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    let grammar: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
    parser.set_language(&grammar).ok()?;
    parser.parse(text, None)
}

const LOG_METHODS: &[&str] = &[
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
    "log",
    "addDebug",
    "addInfo",
    "addError",
];

const PASS_THROUGH: &[&str] = &[
    "json_encode",
    "serialize",
    "print_r",
    "var_export",
    "implode",
    "join",
    "sprintf",
    "vsprintf",
    "base64_encode",
    "http_build_query",
    "urlencode",
    "rawurlencode",
    "strtolower",
    "strtoupper",
    "trim",
    "array_merge",
    "array_values",
    "array_filter",
    "array_replace",
    "array_slice",
    "array_unique",
    "compact",
    "strval",
    "md5",
    "sha1",
    "hash",
    "ucfirst",
    "ucwords",
    "htmlspecialchars",
    "nl2br",
];

struct Analyzer<'t> {
    text: &'t str,
    env: HashMap<String, Taint>,
    findings: Vec<RawFinding>,
}

impl<'t> Analyzer<'t> {
    fn src(&self, node: Node<'_>) -> &'t str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    fn walk(&mut self, node: Node<'_>) {
        match node.kind() {
            "assignment_expression" | "augmented_assignment_expression" => {
                self.walk_children(node);
                let left = node.child_by_field_name("left");
                let right = node.child_by_field_name("right");
                if let (Some(left), Some(right)) = (left, right)
                    && left.kind() == "variable_name"
                {
                    let taint = self.eval(right);
                    self.env.insert(self.src(left).to_owned(), taint);
                }
                return;
            }
            "function_call_expression" => self.check_function_call(node),
            "member_call_expression" | "nullsafe_member_call_expression" => {
                self.check_method_call(node);
            }
            "scoped_call_expression" => self.check_static_call(node),
            _ => {}
        }
        self.walk_children(node);
    }

    fn walk_children(&mut self, node: Node<'_>) {
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for child in children {
            self.walk(child);
        }
    }

    fn check_function_call(&mut self, call: Node<'_>) {
        let name = call
            .child_by_field_name("function")
            .map(|f| self.src(f))
            .unwrap_or("");
        let name = name.trim_start_matches('\\');
        let arguments = arguments(call);

        match name {
            "error_log" | "syslog" | "trigger_error" => {
                let taint = self.union_of(&arguments);
                self.report(RuleId::Logging, None, name, &taint, call);
            }
            "file_put_contents" => {
                let target = arguments.first().map(|a| self.src(*a)).unwrap_or("");
                if target.to_ascii_lowercase().contains("log") {
                    let taint = arguments.get(1).map(|a| self.eval(*a)).unwrap_or_default();
                    self.report(
                        RuleId::Logging,
                        None,
                        "file_put_contents to a log",
                        &taint,
                        call,
                    );
                }
            }
            "setcookie" | "setrawcookie" => {
                let taint = self.key_value(&arguments);
                self.report(RuleId::BrowserStorage, None, name, &taint, call);
            }
            "header" => {
                let location = arguments.first().is_some_and(|a| {
                    self.src(*a)
                        .trim_start_matches(['\'', '"'])
                        .to_ascii_lowercase()
                        .starts_with("location")
                });
                if location && let Some(value) = arguments.first() {
                    self.check_url_build(*value);
                }
            }
            "http_build_query" => {
                let taint = self.union_of(&arguments);
                self.report(RuleId::UrlQuery, None, name, &taint, call);
            }
            _ => {}
        }
    }

    fn check_method_call(&mut self, call: Node<'_>) {
        let method = call
            .child_by_field_name("name")
            .map(|n| self.src(n))
            .unwrap_or("");
        let object = call
            .child_by_field_name("object")
            .map(|o| self.src(o))
            .unwrap_or("");
        let arguments = arguments(call);
        let receiver = object.rsplit("->").next().unwrap_or(object);
        let receiver = receiver
            .trim_start_matches('$')
            .trim_start_matches('_')
            .to_ascii_lowercase();

        let is_logger = receiver.ends_with("logger") || receiver == "log";
        if is_logger && LOG_METHODS.contains(&method) {
            let taint = self.union_of(&arguments);
            let what = format!("{receiver}->{method}()");
            self.report(RuleId::Logging, None, &what, &taint, call);
            return;
        }

        if matches!(method, "setPublicCookie" | "setSensitiveCookie") {
            let taint = self.key_value(&arguments);
            let what = format!("the cookie manager's {method}()");
            self.report(RuleId::BrowserStorage, None, &what, &taint, call);
            return;
        }

        let payment = object.to_ascii_lowercase();
        if payment.contains("stripe")
            && [
                "paymentIntents",
                "customers",
                "charges",
                "sessions",
                "subscriptions",
            ]
            .iter()
            .any(|resource| object.ends_with(resource))
            && matches!(method, "create" | "update")
        {
            self.payment(call, &arguments, "Stripe");
        } else if method == "sale" && payment.contains("transaction") {
            self.payment(call, &arguments, "Braintree");
        } else if method == "setDescription" && payment.contains("order") {
            let taint = self.union_of(&arguments);
            let what = "the Authorize.net order description";
            self.report(
                RuleId::PaymentMetadata,
                Some("Authorize.net"),
                what,
                &taint,
                call,
            );
        }
    }

    fn check_static_call(&mut self, call: Node<'_>) {
        let scope = call
            .child_by_field_name("scope")
            .map(|s| self.src(s))
            .unwrap_or("");
        let method = call
            .child_by_field_name("name")
            .map(|n| self.src(n))
            .unwrap_or("");
        let arguments = arguments(call);
        let stripe = scope.contains("Stripe")
            && [
                "PaymentIntent",
                "Customer",
                "Charge",
                "Session",
                "Subscription",
            ]
            .iter()
            .any(|resource| scope.ends_with(resource));
        if stripe && matches!(method, "create" | "update") {
            self.payment(call, &arguments, "Stripe");
        } else if scope.contains("Braintree") && scope.ends_with("Transaction") && method == "sale"
        {
            self.payment(call, &arguments, "Braintree");
        }
    }

    fn payment(&mut self, call: Node<'_>, arguments: &[Node<'_>], vendor: &str) {
        let Some(first) = arguments.first() else {
            return;
        };
        let object = self.eval(*first);
        let taint = [
            "metadata",
            "description",
            "customFields",
            "statement_descriptor",
        ]
        .iter()
        .fold(Taint::clean(), |acc, key| acc.union(object.member(key)));
        let what = format!("{vendor} payment metadata");
        self.report(RuleId::PaymentMetadata, Some(vendor), &what, &taint, call);
    }

    fn key_value(&mut self, arguments: &[Node<'_>]) -> Taint {
        let mut taint = arguments.get(1).map(|v| self.eval(*v)).unwrap_or_default();
        if let Some(key) = arguments.first()
            && let Some(e) = classify_name(string_content(self.src(*key)))
        {
            taint = taint.union(Taint::phi(Evidence::new(
                e.category,
                format!("the key {}", e.reason),
            )));
        }
        taint
    }

    fn check_url_build(&mut self, node: Node<'_>) {
        let mut pieces = Vec::new();
        self.pieces(node, &mut pieces);
        let mut before = String::new();
        for piece in pieces {
            match piece {
                Piece::Literal(text) => before.push_str(&text),
                Piece::Value(value) => {
                    let parameter = before
                        .strip_suffix('=')
                        .and_then(|t| t.rfind(['?', '&']).map(|i| t[i + 1..].to_owned()));
                    if let Some(parameter) = parameter {
                        let mut taint = self.eval(value);
                        if let Some(e) = classify_name(&parameter) {
                            let reason = format!("the query parameter {}", e.reason);
                            taint = taint.union(Taint::phi(Evidence::new(e.category, reason)));
                        }
                        self.report(RuleId::UrlQuery, None, "a redirect URL", &taint, value);
                    }
                    before.clear();
                }
            }
        }
    }

    fn pieces<'n>(&self, node: Node<'n>, pieces: &mut Vec<Piece<'n>>) {
        match node.kind() {
            "binary_expression"
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| self.src(o) == ".") =>
            {
                for side in ["left", "right"] {
                    if let Some(child) = node.child_by_field_name(side) {
                        self.pieces(child, pieces);
                    }
                }
            }
            "argument" | "parenthesized_expression" => {
                if let Some(inner) = node.named_child(0) {
                    self.pieces(inner, pieces);
                }
            }
            "string" => pieces.push(Piece::Literal(string_content(self.src(node)).to_owned())),
            "encapsed_string" => {
                let mut cursor = node.walk();
                for part in node.named_children(&mut cursor) {
                    if matches!(
                        part.kind(),
                        "string_content" | "string_value" | "escape_sequence"
                    ) {
                        pieces.push(Piece::Literal(self.src(part).to_owned()));
                    } else {
                        pieces.push(Piece::Value(part));
                    }
                }
            }
            _ => pieces.push(Piece::Value(node)),
        }
    }

    fn report(
        &mut self,
        rule: RuleId,
        recipient: Option<&str>,
        what: &str,
        taint: &Taint,
        node: Node<'_>,
    ) {
        let Some(evidence) = taint.first_evidence() else {
            return;
        };
        let message = match (recipient, rule) {
            (Some(vendor), _) => format!("PHI is sent to {vendor} through {what}"),
            (None, RuleId::Logging) => format!("PHI is written to a log through {what}"),
            (None, RuleId::UrlQuery) => format!("PHI is placed in a URL through {what}"),
            (None, _) => format!("PHI is written to a browser cookie through {what}"),
        };
        let mut finding = RawFinding::new(rule, node.start_byte(), message)
            .because(evidence.reason.clone())
            .category(evidence.category);
        if let Some(vendor) = recipient {
            finding = finding.recipient(vendor);
        }
        self.findings.push(finding);
    }

    fn union_of(&mut self, nodes: &[Node<'_>]) -> Taint {
        nodes
            .iter()
            .fold(Taint::clean(), |acc, n| acc.union(self.eval(*n)))
    }

    fn eval(&mut self, node: Node<'_>) -> Taint {
        match node.kind() {
            "variable_name" => {
                let text = self.src(node);
                let name = text.trim_start_matches('$');
                if name == "this" {
                    return Taint::clean();
                }
                let by_name = classify_name(name).map(Taint::phi).unwrap_or_default();
                self.env
                    .get(text)
                    .cloned()
                    .unwrap_or_default()
                    .union(by_name)
            }
            "member_access_expression" | "nullsafe_member_access_expression" => {
                let name = node
                    .child_by_field_name("name")
                    .map(|n| self.src(n))
                    .unwrap_or("");
                if is_safe_member(name) {
                    return Taint::clean();
                }
                let object = node.child_by_field_name("object");
                let base = object.map(|o| self.eval(o)).unwrap_or_default();
                let by_name = classify_name(name).map(Taint::phi).unwrap_or_default();
                base.member(name).union(by_name)
            }
            "member_call_expression" | "nullsafe_member_call_expression" => {
                let method = node
                    .child_by_field_name("name")
                    .map(|n| self.src(n))
                    .unwrap_or("");
                if is_safe_member(method) {
                    return Taint::clean();
                }
                let arguments = arguments(node);
                if method.starts_with("escape") || method == "getData" && arguments.is_empty() {
                    let receiver = node.child_by_field_name("object").map(|o| self.eval(o));
                    let inner = self.union_of(&arguments);
                    return inner.union(receiver.unwrap_or_default().flatten());
                }
                let lookup = matches!(
                    method,
                    "getData" | "getParam" | "getPost" | "getPostValue" | "getQuery" | "getCookie"
                );
                if lookup && let Some(key) = arguments.first() {
                    let key = string_content(self.src(*key)).to_owned();
                    if is_safe_member(&key) {
                        return Taint::clean();
                    }
                    let receiver = node.child_by_field_name("object").map(|o| self.eval(o));
                    let by_key = classify_name(&key).map(Taint::phi).unwrap_or_default();
                    return receiver.unwrap_or_default().flatten().union(by_key);
                }
                let receiver = node.child_by_field_name("object").map(|o| self.eval(o));
                let by_name = classify_name(method).map(Taint::phi).unwrap_or_default();
                receiver.unwrap_or_default().flatten().union(by_name)
            }
            "function_call_expression" => {
                let name = node
                    .child_by_field_name("function")
                    .map(|f| self.src(f))
                    .unwrap_or("");
                let name = name.trim_start_matches('\\');
                let arguments = arguments(node);
                if PASS_THROUGH.contains(&name) {
                    return self.union_of(&arguments).flatten();
                }
                classify_name(name).map(Taint::phi).unwrap_or_default()
            }
            "array_creation_expression" => self.eval_array(node),
            "binary_expression" => {
                let operator = node.child_by_field_name("operator").map(|o| self.src(o));
                if matches!(operator, Some("." | "??" | "?:" | "||" | "or")) {
                    let left = node.child_by_field_name("left").map(|l| self.eval(l));
                    let right = node.child_by_field_name("right").map(|r| self.eval(r));
                    left.unwrap_or_default()
                        .flatten()
                        .union(right.unwrap_or_default().flatten())
                } else {
                    Taint::clean()
                }
            }
            "conditional_expression" => {
                let body = node.child_by_field_name("body").map(|n| self.eval(n));
                let alternative = node
                    .child_by_field_name("alternative")
                    .map(|n| self.eval(n));
                body.unwrap_or_default()
                    .union(alternative.unwrap_or_default())
            }
            "encapsed_string"
            | "argument"
            | "parenthesized_expression"
            | "cast_expression"
            | "heredoc" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                self.union_of(&parts).flatten()
            }
            "subscript_expression" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                let base = parts.first().map(|b| self.eval(*b)).unwrap_or_default();
                match parts
                    .get(1)
                    .map(|i| string_content(self.src(*i)).to_owned())
                {
                    Some(key) if is_safe_member(&key) => Taint::clean(),
                    Some(key) => {
                        let by_key = classify_name(&key).map(Taint::phi).unwrap_or_default();
                        base.member(&key).union(by_key)
                    }
                    None => base.flatten(),
                }
            }
            _ => Taint::clean(),
        }
    }

    fn eval_array(&mut self, node: Node<'_>) -> Taint {
        let mut fields = BTreeMap::new();
        let mut opaque = Taint::clean();
        let mut cursor = node.walk();
        let elements: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for element in elements {
            let mut inner = element.walk();
            let parts: Vec<Node<'_>> = element.named_children(&mut inner).collect();
            match parts.as_slice() {
                [key, value] => {
                    let key = string_content(self.src(*key)).to_owned();
                    let mut taint = self.eval(*value);
                    if !is_safe_member(&key)
                        && !is_literal(*value)
                        && let Some(e) = classify_name(&key)
                    {
                        taint = taint.union(Taint::phi(e));
                    }
                    fields.insert(key, taint);
                }
                [value] => opaque = opaque.union(self.eval(*value).flatten()),
                _ => {}
            }
        }
        Taint::object(opaque, fields)
    }
}

enum Piece<'n> {
    Literal(String),
    Value(Node<'n>),
}

fn arguments(call: Node<'_>) -> Vec<Node<'_>> {
    let Some(list) = call.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .map(|argument| {
            argument
                .named_child(argument.named_child_count().saturating_sub(1))
                .unwrap_or(argument)
        })
        .collect()
}

fn is_literal(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "string" | "integer" | "float" | "boolean" | "null"
    )
}

/// The text of a PHP string literal without quotes.
pub(crate) fn string_content(literal: &str) -> &str {
    let trimmed = literal.trim();
    let mut chars = trimmed.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if a == b && matches!(a, '"' | '\'') && trimmed.len() >= 2 => {
            trimmed.get(1..trimmed.len() - 1).unwrap_or("")
        }
        _ => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(code: &str) -> Vec<RuleId> {
        analyze(code).0.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn magento_loggers_and_error_log_are_sinks() {
        assert_eq!(
            rules("<?php $this->logger->info('quote', ['dob' => $quote->getCustomerDob()]);"),
            [RuleId::Logging]
        );
        assert_eq!(
            rules("<?php error_log(json_encode($customer));"),
            [RuleId::Logging]
        );
        assert!(rules("<?php $this->logger->critical($e->getMessage());").is_empty());
        assert!(rules("<?php $this->logger->info('order', ['id' => $order->getId()]);").is_empty());
    }

    #[test]
    fn cookies_urls_and_payments_are_sinks() {
        assert_eq!(
            rules("<?php setcookie('rx', $prescription);"),
            [RuleId::BrowserStorage]
        );
        assert_eq!(
            rules("<?php header('Location: /done?dob=' . $dob);"),
            [RuleId::UrlQuery]
        );
        let charge = |metadata: &str| {
            let call = "\\Stripe\\PaymentIntent::create";
            format!("<?php {call}(['amount' => 5, 'metadata' => {metadata}]);")
        };
        assert_eq!(
            rules(&charge("['diagnosis' => $d]")),
            [RuleId::PaymentMetadata]
        );
        assert!(rules(&charge("['order_id' => $id]")).is_empty());
    }
}
