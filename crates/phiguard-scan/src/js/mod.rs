//! JavaScript, TypeScript and TSX: follows PHI through one file into storage, logs, trackers,
//! payment metadata and URLs.
//!
//! The analysis walks the syntax tree in source order with one flat environment per file
//! (names to taint or to the API they alias). Values are followed through assignments,
//! destructuring, object literals and spreads, `JSON.stringify` and friends, template strings
//! and concatenation, and through calls to functions declared in the same file, which are
//! summarised once: which parameters reach which sink, and which reach the return value.
//! Scopes are not modelled: a name means the same thing everywhere in a file. That is a
//! deliberate trade of precision for speed and simplicity; it errs towards reporting.

mod api;
mod taint;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use tree_sitter::{Node, Parser, Tree};

use crate::classify::{Evidence, classify_member, classify_name, is_safe_member};
use crate::finding::RawFinding;
use crate::rule::RuleId;
use crate::source::Language;

pub(crate) use taint::Taint;

/// Template placeholders (`_$0`, `_$1`, …) standing for Liquid or PHP output inside scripts,
/// with the taint of what they print.
pub(crate) type Placeholders = HashMap<String, Taint>;

/// What the analysis of one script returns.
#[derive(Debug, Default)]
pub(crate) struct ScriptReport {
    /// Findings, with offsets in the enclosing file.
    pub findings: Vec<RawFinding>,
    /// Whether the parser had to recover from syntax errors.
    pub had_errors: bool,
}

/// Parses `text` as `language` and analyses it. `base` is the offset of `text` in its file.
pub(crate) fn analyze(
    text: &str,
    base: usize,
    language: Language,
    placeholders: &Placeholders,
) -> ScriptReport {
    let Some(tree) = parse(text, language) else {
        return ScriptReport {
            findings: Vec::new(),
            had_errors: true,
        };
    };
    let root = tree.root_node();
    let mut analyzer = Analyzer::new(text, base, placeholders);
    analyzer.collect_functions(root);
    analyzer.walk(root);

    let mut findings = analyzer.findings;
    findings.sort_by(|a, b| (a.offset, a.rule, &a.message).cmp(&(b.offset, b.rule, &b.message)));
    findings.dedup_by(|a, b| a.offset == b.offset && a.rule == b.rule && a.message == b.message);
    ScriptReport {
        findings,
        had_errors: root.has_error(),
    }
}

fn parse(text: &str, language: Language) -> Option<Tree> {
    let grammar: tree_sitter::Language = match language {
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        _ => tree_sitter_javascript::LANGUAGE.into(),
    };
    let mut parser = Parser::new();
    parser.set_language(&grammar).ok()?;
    parser.parse(text, None)
}

#[derive(Debug, Clone)]
enum Binding {
    /// A value with its taint.
    Value(Taint),
    /// An API object or function (`localStorage`, `console.log`).
    Alias(String),
    /// A literal constant: never PHI, whatever its name.
    Literal,
}

/// Where a function's parameters go.
#[derive(Debug, Clone, Default)]
struct Summary {
    sinks: Vec<SinkUse>,
    returns: Taint,
}

#[derive(Debug, Clone)]
struct SinkUse {
    rule: RuleId,
    recipient: Option<String>,
    what: String,
    params: u32,
    line_offset: usize,
}

struct Analyzer<'t, 'p> {
    text: &'t str,
    base: usize,
    placeholders: &'p Placeholders,
    env: HashMap<String, Binding>,
    values: HashMap<String, Node<'t>>,
    functions: HashMap<String, Node<'t>>,
    summaries: HashMap<usize, Summary>,
    summarising: Vec<(usize, Summary)>,
    callback_params: HashMap<usize, Vec<Taint>>,
    pixel_handlers: HashSet<usize>,
    pixel_depth: usize,
    findings: Vec<RawFinding>,
}

impl<'t, 'p> Analyzer<'t, 'p> {
    fn new(text: &'t str, base: usize, placeholders: &'p Placeholders) -> Self {
        Analyzer {
            text,
            base,
            placeholders,
            env: HashMap::new(),
            values: HashMap::new(),
            functions: HashMap::new(),
            summaries: HashMap::new(),
            summarising: Vec::new(),
            callback_params: HashMap::new(),
            pixel_handlers: HashSet::new(),
            pixel_depth: 0,
            findings: Vec::new(),
        }
    }

    fn src(&self, node: Node<'_>) -> &'t str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Function declarations and functions bound to names, so calls can be summarised even
    /// before the declaration (hoisting).
    fn collect_functions(&mut self, node: Node<'t>) {
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "function_declaration" | "generator_function_declaration" => {
                    if let Some(name) = node.child_by_field_name("name") {
                        self.functions.insert(self.src(name).to_owned(), node);
                    }
                }
                "variable_declarator" => {
                    let name = node.child_by_field_name("name");
                    let value = node.child_by_field_name("value");
                    if let (Some(name), Some(value)) = (name, value)
                        && name.kind() == "identifier"
                        && is_function(value)
                    {
                        self.functions.insert(self.src(name).to_owned(), value);
                    }
                }
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }

    // ---- the walk: bindings and sinks, in source order ----

    fn walk(&mut self, node: Node<'t>) {
        match node.kind() {
            "import_statement" => self.import(node),
            "variable_declarator" => {
                if let Some(value) = node.child_by_field_name("value") {
                    self.walk(value);
                    if let Some(name) = node.child_by_field_name("name") {
                        self.bind(name, value);
                    }
                }
            }
            "assignment_expression" | "augmented_assignment_expression" => {
                if let Some(right) = node.child_by_field_name("right") {
                    self.walk(right);
                }
                if let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) {
                    self.assign(node, left, right);
                }
            }
            "call_expression" => {
                self.prepare_callbacks(node);
                self.walk_children(node);
                self.check_call(node);
            }
            "new_expression" => {
                self.walk_children(node);
                self.check_new(node);
            }
            "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition" => self.walk_function(node),
            "return_statement" => {
                if let Some(value) = node.named_child(0) {
                    let returned = self.eval(value);
                    if let Some((_, summary)) = self.summarising.last_mut() {
                        summary.returns = std::mem::take(&mut summary.returns).union(returned);
                    }
                }
                self.walk_children(node);
            }
            "template_string" | "binary_expression" => {
                if self.is_outermost_string_build(node) {
                    self.check_url_build(node);
                }
                self.walk_children(node);
            }
            _ => self.walk_children(node),
        }
    }

    fn walk_children(&mut self, node: Node<'t>) {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for child in children {
            self.walk(child);
        }
    }

    fn walk_function(&mut self, node: Node<'t>) {
        let given = self.callback_params.remove(&node.id());
        let is_pixel = self.pixel_handlers.contains(&node.id());
        let params = parameters(node);

        let mut saved = Vec::new();
        for (index, param) in params.iter().enumerate() {
            let taint = given
                .as_ref()
                .and_then(|g| g.get(index).cloned())
                .unwrap_or_default();
            self.bind_pattern(*param, &taint, &mut saved);
        }

        if is_pixel {
            self.pixel_depth += 1;
        }
        if let Some(body) = node.child_by_field_name("body") {
            if body.kind() == "statement_block" {
                self.walk(body);
            } else {
                self.walk(body);
                let returned = self.eval(body);
                if let Some((_, summary)) = self.summarising.last_mut() {
                    summary.returns = std::mem::take(&mut summary.returns).union(returned);
                }
            }
        }
        if is_pixel {
            self.pixel_depth -= 1;
        }

        for (name, previous) in saved.into_iter().rev() {
            match previous {
                Some(binding) => self.env.insert(name, binding),
                None => self.env.remove(&name),
            };
        }
    }

    fn bind_pattern(
        &mut self,
        pattern: Node<'t>,
        taint: &Taint,
        saved: &mut Vec<(String, Option<Binding>)>,
    ) {
        match pattern.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                let name = self.src(pattern).to_owned();
                let previous = self.env.insert(name.clone(), Binding::Value(taint.clone()));
                saved.push((name, previous));
            }
            "required_parameter" | "optional_parameter" => {
                if let Some(inner) = pattern.child_by_field_name("pattern") {
                    self.bind_pattern(inner, taint, saved);
                }
            }
            "assignment_pattern" => {
                if let Some(left) = pattern.child_by_field_name("left") {
                    self.bind_pattern(left, taint, saved);
                }
            }
            "object_pattern" => {
                let mut cursor = pattern.walk();
                let parts: Vec<Node<'t>> = pattern.named_children(&mut cursor).collect();
                for part in parts {
                    match part.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let member = member_taint(taint, self.src(part));
                            self.bind_pattern(part, &member, saved);
                        }
                        "pair_pattern" => {
                            let key = part.child_by_field_name("key").map(|k| self.src(k));
                            let value = part.child_by_field_name("value");
                            if let (Some(key), Some(value)) = (key, value) {
                                let member = member_taint(taint, key.trim_matches(['"', '\'']));
                                self.bind_pattern(value, &member, saved);
                            }
                        }
                        "object_assignment_pattern" => {
                            if let Some(left) = part.child_by_field_name("left") {
                                let member = member_taint(taint, self.src(left));
                                self.bind_pattern(left, &member, saved);
                            }
                        }
                        _ => self.bind_pattern(part, taint, saved),
                    }
                }
            }
            "array_pattern" | "rest_pattern" => {
                let flat = taint.flatten();
                let mut cursor = pattern.walk();
                let parts: Vec<Node<'t>> = pattern.named_children(&mut cursor).collect();
                for part in parts {
                    self.bind_pattern(part, &flat, saved);
                }
            }
            _ => {}
        }
    }

    fn import(&mut self, node: Node<'t>) {
        let Some(source) = node.child_by_field_name("source") else {
            return;
        };
        let module = string_content(self.src(source));
        let Some((default, prefix)) = api::module_binding(module) else {
            return;
        };

        let mut stack = vec![node];
        while let Some(current) = stack.pop() {
            match current.kind() {
                "import_clause" => {
                    let mut cursor = current.walk();
                    for child in current.named_children(&mut cursor) {
                        if child.kind() == "identifier" {
                            self.alias(self.src(child), default.to_owned());
                        } else {
                            stack.push(child);
                        }
                    }
                }
                "namespace_import" => {
                    let mut cursor = current.walk();
                    if let Some(name) = current
                        .named_children(&mut cursor)
                        .find(|c| c.kind() == "identifier")
                    {
                        self.alias(self.src(name), default.to_owned());
                    }
                }
                "import_specifier" => {
                    let imported = current.child_by_field_name("name").map(|n| self.src(n));
                    let local = current.child_by_field_name("alias").map(|n| self.src(n));
                    if let Some(imported) = imported {
                        let local = local.unwrap_or(imported);
                        self.alias(local, format!("{prefix}.{imported}"));
                    }
                }
                _ => {
                    let mut cursor = current.walk();
                    stack.extend(current.named_children(&mut cursor));
                }
            }
        }
    }

    fn alias(&mut self, name: &str, path: String) {
        self.env.insert(name.to_owned(), Binding::Alias(path));
    }

    fn bind(&mut self, name: Node<'t>, value: Node<'t>) {
        match name.kind() {
            "identifier" => {
                let name = self.src(name).to_owned();
                if is_function(value) {
                    self.env.remove(&name);
                    return;
                }
                self.values.insert(name.clone(), value);
                if let Some(path) = self.path_of(value).filter(|p| api::is_known_root(p)) {
                    self.env.insert(name, Binding::Alias(path));
                } else if self.is_constant(value) {
                    self.env.insert(name, Binding::Literal);
                } else {
                    let taint = self.eval(value);
                    self.env.insert(name, Binding::Value(taint));
                }
            }
            "object_pattern" => {
                let module = self.required_module(value);
                let base_path = self.path_of(value).filter(|p| api::is_known_root(p));
                let taint = self.eval(value);
                let mut cursor = name.walk();
                let parts: Vec<Node<'t>> = name.named_children(&mut cursor).collect();
                for part in parts {
                    let (key, local) = match part.kind() {
                        "shorthand_property_identifier_pattern" => (self.src(part), Some(part)),
                        "pair_pattern" => (
                            part.child_by_field_name("key").map_or("", |k| self.src(k)),
                            part.child_by_field_name("value"),
                        ),
                        _ => ("", None),
                    };
                    let Some(local) = local else {
                        let mut saved = Vec::new();
                        self.bind_pattern(part, &taint, &mut saved);
                        continue;
                    };
                    if let Some((_, prefix)) = module {
                        self.alias(self.src(local), format!("{prefix}.{key}"));
                    } else if let Some(base) = &base_path {
                        self.alias(self.src(local), format!("{base}.{key}"));
                    } else {
                        let member = member_taint(&taint, key);
                        let mut saved = Vec::new();
                        self.bind_pattern(local, &member, &mut saved);
                    }
                }
            }
            _ => {
                let taint = self.eval(value);
                let mut saved = Vec::new();
                self.bind_pattern(name, &taint, &mut saved);
            }
        }
    }

    /// `require('module')` as a value: the module's bindings.
    fn required_module(&self, value: Node<'_>) -> Option<(&'static str, &'static str)> {
        if value.kind() != "call_expression" {
            return None;
        }
        let callee = value.child_by_field_name("function")?;
        if self.src(callee) != "require" {
            return None;
        }
        let argument = value.child_by_field_name("arguments")?.named_child(0)?;
        api::module_binding(string_content(self.src(argument)))
    }

    fn assign(&mut self, node: Node<'t>, left: Node<'t>, right: Node<'t>) {
        let target = self.path_of(left);
        if let Some(target) = &target {
            let storage = target.starts_with("localStorage.")
                || target.starts_with("sessionStorage.")
                || target == "document.cookie";
            if storage {
                let taint = self.eval(right);
                self.report(RuleId::BrowserStorage, None, target, &taint, node);
            }
        }

        match left.kind() {
            "identifier" => {
                let name = self.src(left).to_owned();
                if let Some(path) = self.path_of(right).filter(|p| api::is_known_root(p)) {
                    self.env.insert(name, Binding::Alias(path));
                } else {
                    let taint = self.eval(right);
                    let joined = match self.env.get(&name) {
                        Some(Binding::Value(old)) if node.kind() != "assignment_expression" => {
                            old.clone().union(taint)
                        }
                        _ => taint,
                    };
                    self.env.insert(name, Binding::Value(joined));
                }
            }
            "member_expression" => {
                let object = left.child_by_field_name("object");
                let property = left.child_by_field_name("property").map(|p| self.src(p));
                if let (Some(object), Some(property)) = (object, property)
                    && object.kind() == "identifier"
                {
                    let name = self.src(object).to_owned();
                    if let Some(Binding::Value(old)) = self.env.get(&name).cloned() {
                        let mut fields =
                            old.fields.as_deref().cloned().unwrap_or_else(BTreeMap::new);
                        let value = self.eval(right);
                        fields.insert(property.to_owned(), value);
                        let opaque = Taint {
                            fields: None,
                            ..old
                        };
                        self.env
                            .insert(name, Binding::Value(Taint::object(opaque, fields)));
                    }
                }
            }
            _ => {}
        }
    }

    // ---- calls ----

    /// Marks callbacks whose parameters carry PHI before the walk reaches them: Shopify Web
    /// Pixels `analytics.subscribe(event, handler)` hands the handler the checkout.
    fn prepare_callbacks(&mut self, call: Node<'t>) {
        let Some(callee) = call.child_by_field_name("function") else {
            return;
        };
        let path = self.path_of(callee).unwrap_or_default();
        let is_subscribe = path == "analytics.subscribe" || path.ends_with(".analytics.subscribe");
        if !is_subscribe {
            return;
        }
        let arguments = arguments(call);
        let event = arguments
            .first()
            .map(|a| string_content(self.src(*a)))
            .unwrap_or("");
        let Some(handler) = arguments.get(1).copied().filter(|h| is_function(*h)) else {
            return;
        };

        let evidence = Evidence::new(
            phiguard_core::Category::Clinical,
            format!(
                "the Shopify Web Pixels `{event}` event carries the buyer's checkout data \
                 (contact, address and purchased items on a health storefront)"
            ),
        );
        let mut fields = BTreeMap::new();
        fields.insert("data".to_owned(), Taint::phi(evidence));
        self.callback_params
            .insert(handler.id(), vec![Taint::object(Taint::clean(), fields)]);
        self.pixel_handlers.insert(handler.id());
    }

    fn check_call(&mut self, call: Node<'t>) {
        let Some(callee) = call.child_by_field_name("function") else {
            return;
        };
        let arguments = arguments(call);

        if let Some(path) = self.path_of(callee) {
            match path.as_str() {
                "zustand.persist" => return self.check_zustand_persist(call, &arguments),
                "reduxpersist.persistReducer" => {
                    return self.check_redux_persist(call, &arguments);
                }
                "fetch" | "navigator.sendBeacon" => return self.check_beacon(call, &arguments),
                _ => {}
            }
            if let Some(sink) = api::call_sink(&path) {
                return self.check_sink(call, &path, &sink, &arguments);
            }
        }

        if callee.kind() == "identifier" {
            self.check_local_call(call, self.src(callee), &arguments);
        }
    }

    fn check_sink(&mut self, call: Node<'t>, path: &str, sink: &api::Sink, arguments: &[Node<'t>]) {
        let taint = match sink.args {
            api::Args::All => self.union_of(arguments),
            api::Args::From(start) => self.union_of(arguments.get(start..).unwrap_or(&[])),
            api::Args::KeyValue(key, value) => {
                let mut taint = arguments
                    .get(value)
                    .map(|v| self.eval(*v))
                    .unwrap_or_default();
                if let Some(key) = arguments.get(key)
                    && is_string(*key)
                    && let Some(evidence) = classify_name(string_content(self.src(*key)))
                {
                    taint = taint.union(Taint::phi(Evidence::new(
                        evidence.category,
                        format!("the key {}", evidence.reason),
                    )));
                }
                taint
            }
            api::Args::Props(index, props) => {
                let object = arguments
                    .get(index)
                    .map(|a| self.eval(*a))
                    .unwrap_or_default();
                props
                    .iter()
                    .fold(Taint::clean(), |acc, prop| acc.union(object.member(prop)))
            }
        };
        self.report(sink.rule, sink.recipient, path, &taint, call);
    }

    fn check_local_call(&mut self, call: Node<'t>, name: &str, arguments: &[Node<'t>]) {
        if matches!(
            self.env.get(name),
            Some(Binding::Value(_) | Binding::Alias(_))
        ) {
            return;
        }
        let Some(function) = self.functions.get(name).copied() else {
            return;
        };
        let summary = self.summary(function);

        for used in &summary.sinks {
            let mut taint = Taint::clean();
            for (index, argument) in arguments.iter().enumerate() {
                if index < 32 && used.params & (1 << index) != 0 {
                    taint = taint.union(self.eval(*argument));
                }
            }
            let (line, _) = line_col(self.text, used.line_offset);
            let what = format!("{} inside {name}() (line {line} of the script)", used.what);
            self.report(used.rule, used.recipient.as_deref(), &what, &taint, call);
        }
    }

    fn check_new(&mut self, node: Node<'t>) {
        let Some(constructor) = node.child_by_field_name("constructor") else {
            return;
        };
        if self.path_of(constructor).as_deref() == Some("URLSearchParams") {
            let arguments = arguments(node);
            let taint = self.union_of(&arguments);
            self.report(RuleId::UrlQuery, None, "new URLSearchParams", &taint, node);
        }
    }

    fn check_beacon(&mut self, call: Node<'t>, arguments: &[Node<'t>]) {
        let Some(url) = arguments.first() else {
            return;
        };
        let url_text = self.literal_prefix(*url);
        let vendor = api::tracker_host(&url_text).map(str::to_owned).or_else(|| {
            let host = api::host_of(&url_text)?;
            (self.pixel_depth > 0).then(|| format!("the external host {host}"))
        });
        let Some(vendor) = vendor else {
            return;
        };

        let body = match arguments.get(1) {
            Some(options) if options.kind() == "object" => self.eval(*options).member("body"),
            Some(data) => self.eval(*data),
            None => Taint::clean(),
        };
        let what = format!("a request to {vendor}");
        self.report_owned(RuleId::Tracker, Some(vendor), &what, &body, call);
    }

    fn check_zustand_persist(&mut self, call: Node<'t>, arguments: &[Node<'t>]) {
        let options = arguments.get(1).copied().and_then(|o| self.object_node(o));
        let partialize = options.and_then(|o| self.object_property(o, "partialize"));
        let shape = match partialize {
            Some(partialize) => self.returned_object_shape(partialize),
            None => arguments
                .first()
                .map_or_else(Taint::clean, |c| self.returned_object_shape(*c)),
        };
        self.report(
            RuleId::PersistedState,
            None,
            "zustand persist",
            &shape,
            call,
        );
    }

    fn check_redux_persist(&mut self, call: Node<'t>, arguments: &[Node<'t>]) {
        let config = arguments.first().copied().and_then(|c| self.object_node(c));
        let whitelist = config.and_then(|c| self.object_property(c, "whitelist"));
        let blacklist: Vec<String> = config
            .and_then(|c| self.object_property(c, "blacklist"))
            .map(|list| self.string_elements(list))
            .unwrap_or_default();

        let taint = match whitelist {
            Some(list) => self
                .string_elements(list)
                .iter()
                .filter_map(|key| classify_name(key))
                .map(|e| {
                    Taint::phi(Evidence::new(
                        e.category,
                        format!("persisted slice {}", e.reason),
                    ))
                })
                .fold(Taint::clean(), Taint::union),
            None => arguments
                .get(1)
                .map(|reducer| self.reducer_shape(*reducer, &blacklist))
                .unwrap_or_default(),
        };
        self.report(
            RuleId::PersistedState,
            None,
            "redux-persist persistReducer",
            &taint,
            call,
        );
    }

    fn reducer_shape(&self, reducer: Node<'t>, blacklist: &[String]) -> Taint {
        let reducer = self.resolve_value(reducer);
        if reducer.kind() == "identifier" {
            return classify_name(self.src(reducer))
                .map(Taint::phi)
                .unwrap_or_default();
        }
        let Some(object) = arguments(reducer)
            .first()
            .copied()
            .filter(|a| a.kind() == "object")
        else {
            return Taint::clean();
        };
        let mut taint = Taint::clean();
        let mut cursor = object.walk();
        for part in object.named_children(&mut cursor) {
            let key = match part.kind() {
                "pair" => part.child_by_field_name("key").map(|k| self.src(k)),
                "shorthand_property_identifier" => Some(self.src(part)),
                _ => None,
            };
            let Some(key) = key.map(|k| k.trim_matches(['"', '\''])) else {
                continue;
            };
            if blacklist.iter().any(|b| b == key) {
                continue;
            }
            if let Some(e) = classify_name(key) {
                let reason = format!("persisted slice {}", e.reason);
                taint = taint.union(Taint::phi(Evidence::new(e.category, reason)));
            }
        }
        taint
    }

    /// PHI keys of the object a state creator or `partialize` returns: state shape matters even
    /// when initial values are empty.
    fn returned_object_shape(&mut self, function: Node<'t>) -> Taint {
        let function = self.resolve_value(function);
        let Some(body) = function.child_by_field_name("body") else {
            return Taint::clean();
        };
        let mut objects = Vec::new();
        let mut stack = vec![body];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "object" => objects.push(node),
                "parenthesized_expression"
                | "statement_block"
                | "return_statement"
                | "expression_statement" => {
                    let mut cursor = node.walk();
                    stack.extend(node.named_children(&mut cursor));
                }
                _ => {}
            }
        }

        let mut taint = Taint::clean();
        for object in objects {
            let mut cursor = object.walk();
            let parts: Vec<Node<'t>> = object.named_children(&mut cursor).collect();
            for part in parts {
                let (key, value) = match part.kind() {
                    "pair" => (
                        part.child_by_field_name("key").map(|k| self.src(k)),
                        part.child_by_field_name("value"),
                    ),
                    "shorthand_property_identifier" => (Some(self.src(part)), None),
                    _ => (None, None),
                };
                if value.is_some_and(is_function) {
                    continue;
                }
                if let Some(evidence) = key.and_then(|k| classify_name(k.trim_matches(['"', '\''])))
                {
                    let reason = format!("persisted state key {}", evidence.reason);
                    taint = taint.union(Taint::phi(Evidence::new(evidence.category, reason)));
                } else if let Some(value) = value {
                    taint = taint.union(self.eval(value));
                }
            }
        }
        taint
    }

    /// Records a leak: a finding when the taint is PHI, a summary entry when it comes from a
    /// parameter of the function being summarised.
    fn report(
        &mut self,
        rule: RuleId,
        recipient: Option<&str>,
        what: &str,
        taint: &Taint,
        node: Node<'_>,
    ) {
        self.report_owned(rule, recipient.map(str::to_owned), what, taint, node);
    }

    fn report_owned(
        &mut self,
        rule: RuleId,
        recipient: Option<String>,
        what: &str,
        taint: &Taint,
        node: Node<'_>,
    ) {
        if let Some((_, summary)) = self.summarising.last_mut() {
            let params = taint.all_params();
            if params != 0 && taint.first_evidence().is_none() {
                summary.sinks.push(SinkUse {
                    rule,
                    recipient,
                    what: what.to_owned(),
                    params,
                    line_offset: node.start_byte(),
                });
            }
            return;
        }

        let Some(evidence) = taint.first_evidence() else {
            return;
        };
        let message = match (&recipient, rule) {
            (Some(vendor), _) => format!("PHI is sent to {vendor} through {what}"),
            (None, RuleId::Logging) => format!("PHI is written to a log through {what}"),
            (None, RuleId::UrlQuery) => format!("PHI is placed in a URL through {what}"),
            (None, RuleId::PersistedState) => format!("PHI is kept in persisted state by {what}"),
            (None, _) => format!("PHI is written to browser storage through {what}"),
        };
        let mut finding = RawFinding::new(rule, self.base + node.start_byte(), message)
            .because(evidence.reason.clone())
            .category(evidence.category);
        if let Some(vendor) = recipient {
            finding = finding.recipient(vendor);
        }
        self.findings.push(finding);
    }

    fn summary(&mut self, function: Node<'t>) -> Summary {
        if let Some(summary) = self.summaries.get(&function.id()) {
            return summary.clone();
        }
        if self.summarising.iter().any(|(id, _)| *id == function.id()) {
            return Summary::default();
        }

        let saved_env = self.env.clone();
        let saved_callbacks = self.callback_params.clone();
        let params = parameters(function);
        let taints: Vec<Taint> = (0..params.len()).map(Taint::param).collect();
        self.callback_params.insert(function.id(), taints);
        self.summarising.push((function.id(), Summary::default()));
        self.walk_function(function);
        let summary = self.summarising.pop().map(|(_, s)| s).unwrap_or_default();
        self.env = saved_env;
        self.callback_params = saved_callbacks;

        self.summaries.insert(function.id(), summary.clone());
        summary
    }

    // ---- URLs built with PHI ----

    fn is_outermost_string_build(&self, node: Node<'_>) -> bool {
        if node.kind() == "binary_expression" && !self.is_concatenation(node) {
            return false;
        }
        match node.parent() {
            Some(parent) if parent.kind() == "binary_expression" => !self.is_concatenation(parent),
            Some(parent) if parent.kind() == "parenthesized_expression" => parent
                .parent()
                .is_none_or(|g| g.kind() != "binary_expression" || !self.is_concatenation(g)),
            _ => true,
        }
    }

    fn is_concatenation(&self, node: Node<'_>) -> bool {
        node.child_by_field_name("operator")
            .is_some_and(|op| self.src(op) == "+")
    }

    fn check_url_build(&mut self, node: Node<'t>) {
        let mut pieces = Vec::new();
        self.string_pieces(node, &mut pieces);

        let mut before = String::new();
        for piece in pieces {
            match piece {
                Piece::Literal(text) => before.push_str(&text),
                Piece::Value(value) => {
                    if let Some(parameter) = query_parameter_before(&before) {
                        let mut taint = self.eval(value);
                        if let Some(e) = classify_name(&parameter) {
                            let reason = format!("the query parameter {}", e.reason);
                            taint = taint.union(Taint::phi(Evidence::new(e.category, reason)));
                        }
                        let what = "a query string built in code";
                        self.report(RuleId::UrlQuery, None, what, &taint, value);
                    }
                    before.clear();
                }
            }
        }
    }

    fn string_pieces(&self, node: Node<'t>, pieces: &mut Vec<Piece<'t>>) {
        match node.kind() {
            "template_string" => {
                let mut cursor = node.walk();
                let mut last_end = node.start_byte() + 1;
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "template_substitution" {
                        let literal = self.text.get(last_end..child.start_byte()).unwrap_or("");
                        pieces.push(Piece::Literal(literal.to_owned()));
                        if let Some(inner) = child.named_child(0) {
                            pieces.push(Piece::Value(inner));
                        }
                        last_end = child.end_byte();
                    }
                }
                let end = node.end_byte().saturating_sub(1);
                pieces.push(Piece::Literal(
                    self.text.get(last_end..end).unwrap_or("").to_owned(),
                ));
            }
            "binary_expression" if self.is_concatenation(node) => {
                for side in ["left", "right"] {
                    if let Some(child) = node.child_by_field_name(side) {
                        self.string_pieces(child, pieces);
                    }
                }
            }
            "parenthesized_expression" => {
                if let Some(inner) = node.named_child(0) {
                    self.string_pieces(inner, pieces);
                }
            }
            "string" => pieces.push(Piece::Literal(string_content(self.src(node)).to_owned())),
            _ => pieces.push(Piece::Value(node)),
        }
    }

    /// The literal text a URL expression starts with (`'https://x/y?' + a` → `https://x/y?`).
    fn literal_prefix(&self, node: Node<'t>) -> String {
        let mut pieces = Vec::new();
        self.string_pieces(node, &mut pieces);
        match pieces.first() {
            Some(Piece::Literal(text)) => text.clone(),
            _ => String::new(),
        }
    }

    // ---- evaluation: what a value carries ----

    fn union_of(&mut self, nodes: &[Node<'t>]) -> Taint {
        nodes
            .iter()
            .fold(Taint::clean(), |acc, n| acc.union(self.eval(*n)))
    }

    fn eval(&mut self, node: Node<'t>) -> Taint {
        match node.kind() {
            "identifier" | "shorthand_property_identifier" => self.eval_name(self.src(node)),
            "this" | "undefined" | "null" | "true" | "false" | "number" | "regex" => Taint::clean(),
            "string" | "string_fragment" => self.placeholder_taint(self.src(node)),
            "template_string" => {
                let mut taint = self.placeholder_taint(self.src(node));
                let mut cursor = node.walk();
                let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for part in parts {
                    if let Some(inner) = part.named_child(0) {
                        taint = taint.union(self.eval(inner).flatten());
                    }
                }
                taint
            }
            "member_expression" => self.eval_member(node),
            "subscript_expression" => {
                let object = node.child_by_field_name("object");
                let index = node.child_by_field_name("index");
                match (object, index) {
                    (Some(object), Some(index)) if is_string(index) => {
                        let name = string_content(self.src(index)).to_owned();
                        self.member_of(object, &name)
                    }
                    (Some(object), _) => self.eval(object).flatten(),
                    _ => Taint::clean(),
                }
            }
            "call_expression" => self.eval_call(node),
            "new_expression" => {
                let arguments = arguments(node);
                let constructor = node.child_by_field_name("constructor").map(|c| self.src(c));
                match constructor {
                    Some("Date" | "URLSearchParams" | "FormData" | "Blob" | "String") => {
                        self.union_of(&arguments).flatten()
                    }
                    _ => Taint::clean(),
                }
            }
            "binary_expression" => {
                let operator = node.child_by_field_name("operator").map(|o| self.src(o));
                if matches!(operator, Some("+" | "||" | "&&" | "??")) {
                    let left = node.child_by_field_name("left");
                    let right = node.child_by_field_name("right");
                    let left = left.map(|l| self.eval(l)).unwrap_or_default();
                    let right = right.map(|r| self.eval(r)).unwrap_or_default();
                    if operator == Some("+") {
                        left.flatten().union(right.flatten())
                    } else {
                        left.union(right)
                    }
                } else {
                    Taint::clean()
                }
            }
            "ternary_expression" => {
                let a = node
                    .child_by_field_name("consequence")
                    .map(|n| self.eval(n));
                let b = node
                    .child_by_field_name("alternative")
                    .map(|n| self.eval(n));
                a.unwrap_or_default().union(b.unwrap_or_default())
            }
            "object" => self.eval_object(node),
            "array" => {
                let mut cursor = node.walk();
                let items: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                self.union_of(&items).flatten()
            }
            "assignment_expression" => node
                .child_by_field_name("right")
                .map(|r| self.eval(r))
                .unwrap_or_default(),
            "sequence_expression" => {
                let mut cursor = node.walk();
                let last = node.named_children(&mut cursor).last();
                last.map(|l| self.eval(l)).unwrap_or_default()
            }
            "parenthesized_expression"
            | "await_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression"
            | "type_assertion"
            | "spread_element"
            | "jsx_expression" => node
                .named_child(0)
                .map(|n| self.eval(n))
                .unwrap_or_default(),
            _ => Taint::clean(),
        }
    }

    fn eval_name(&self, name: &str) -> Taint {
        if let Some(taint) = self.placeholders.get(name) {
            return taint.clone();
        }
        let by_name = classify_name(name).map(Taint::phi).unwrap_or_default();
        match self.env.get(name) {
            Some(Binding::Value(taint)) => taint.clone().union(by_name),
            Some(Binding::Alias(_) | Binding::Literal) => Taint::clean(),
            None => by_name,
        }
    }

    /// A literal that prints no template placeholder: never PHI, whatever its name.
    fn is_constant(&self, node: Node<'_>) -> bool {
        is_literal(node)
            && self
                .placeholder_taint(self.src(node))
                .first_evidence()
                .is_none()
    }

    fn placeholder_taint(&self, text: &str) -> Taint {
        if self.placeholders.is_empty() || !text.contains("_$") {
            return Taint::clean();
        }
        let mut taint = Taint::clean();
        for (start, _) in text.match_indices("_$") {
            let rest = text.get(start + 2..).unwrap_or("");
            let digits = rest.chars().take_while(char::is_ascii_alphanumeric).count();
            let token = text.get(start..start + 2 + digits).unwrap_or("");
            if let Some(found) = self.placeholders.get(token) {
                taint = taint.union(found.clone());
            }
        }
        taint
    }

    fn eval_member(&mut self, node: Node<'t>) -> Taint {
        let (Some(object), Some(property)) = (
            node.child_by_field_name("object"),
            node.child_by_field_name("property"),
        ) else {
            return Taint::clean();
        };
        let name = self.src(property).to_owned();
        self.member_of(object, &name)
    }

    fn member_of(&mut self, object: Node<'t>, name: &str) -> Taint {
        if is_safe_member(name) {
            return Taint::clean();
        }
        let base = self.eval(object);
        let owner = last_name(self.src(object));
        let by_name = classify_member(owner, name)
            .map(Taint::phi)
            .unwrap_or_default();
        by_name.union(base.member(name))
    }

    fn eval_call(&mut self, call: Node<'t>) -> Taint {
        let Some(callee) = call.child_by_field_name("function") else {
            return Taint::clean();
        };
        let arguments = arguments(call);
        let path = self.path_of(callee);

        if callee.kind() == "identifier" {
            let name = self.src(callee);
            if !matches!(
                self.env.get(name),
                Some(Binding::Value(_) | Binding::Alias(_))
            ) && let Some(function) = self.functions.get(name).copied()
            {
                let summary = self.summary(function);
                let mut taint = Taint {
                    params: 0,
                    ..summary.returns.clone()
                };
                for (index, argument) in arguments.iter().enumerate() {
                    if index < 32 && summary.returns.all_params() & (1 << index) != 0 {
                        taint = taint.union(self.eval(*argument));
                    }
                }
                return taint;
            }
        }

        if let Some(path) = &path {
            if api::passes_through(path) {
                return self.union_of(&arguments);
            }
            if api::is_lookup(path)
                && let Some(first) = arguments.first().filter(|a| is_string(**a))
            {
                let key = string_content(self.src(*first));
                let key = key
                    .trim_start_matches(['#', '.', '['])
                    .trim_end_matches(']');
                let key = key
                    .rsplit('=')
                    .next()
                    .unwrap_or(key)
                    .trim_matches(['"', '\'']);
                if let Some(e) = classify_name(key) {
                    let reason = format!("the value is looked up by a name: {}", e.reason);
                    return Taint::phi(Evidence::new(e.category, reason));
                }
            }
        }

        if callee.kind() == "member_expression" {
            let method = callee
                .child_by_field_name("property")
                .map(|p| self.src(p))
                .unwrap_or("");
            if let Some(receiver) = callee.child_by_field_name("object")
                && !api::method_hides_receiver(method)
                && !path.as_deref().is_some_and(api::is_known_root)
            {
                let mut taint = self.eval(receiver).flatten();
                if matches!(method, "concat" | "assign" | "replace" | "join") {
                    taint = taint.union(self.union_of(&arguments).flatten());
                }
                let by_name = classify_name(method).map(Taint::phi).unwrap_or_default();
                return taint.union(by_name);
            }
            return Taint::clean();
        }

        if callee.kind() == "identifier" && !api::method_hides_receiver(self.src(callee)) {
            return classify_name(self.src(callee))
                .map(Taint::phi)
                .unwrap_or_default();
        }
        Taint::clean()
    }

    fn eval_object(&mut self, node: Node<'t>) -> Taint {
        let mut fields = BTreeMap::new();
        let mut opaque = Taint::clean();
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();

        for part in parts {
            match part.kind() {
                "pair" => {
                    let (Some(key), Some(value)) = (
                        part.child_by_field_name("key"),
                        part.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    let key = string_content(self.src(key)).to_owned();
                    if key == "resourceType" && is_string(value) {
                        let resource = string_content(self.src(value));
                        if let Some(evidence) = fhir_resource(resource) {
                            opaque = opaque.union(Taint::phi(evidence));
                        }
                    }
                    if self.is_constant(value) || is_function(value) {
                        fields.insert(key, Taint::clean());
                        continue;
                    }
                    let mut taint = self.eval(value);
                    if !is_safe_member(&key)
                        && let Some(evidence) = classify_name(&key)
                    {
                        taint = taint.union(Taint::phi(evidence));
                    }
                    fields.insert(key, taint);
                }
                "shorthand_property_identifier" => {
                    let name = self.src(part).to_owned();
                    let taint = self.eval_name(&name);
                    fields.insert(name, taint);
                }
                "spread_element" => {
                    let spread = part
                        .named_child(0)
                        .map(|n| self.eval(n))
                        .unwrap_or_default();
                    if let Some(spread_fields) = &spread.fields {
                        for (key, taint) in spread_fields.iter() {
                            fields.insert(key.clone(), taint.clone());
                        }
                    }
                    opaque = opaque.union(Taint {
                        fields: None,
                        ..spread
                    });
                }
                _ => {}
            }
        }
        Taint::object(opaque, fields)
    }

    // ---- paths: what an expression names ----

    /// The canonical dotted path an expression names, following aliases and dropping
    /// `window.` and `globalThis.`.
    fn path_of(&self, node: Node<'_>) -> Option<String> {
        match node.kind() {
            "identifier" | "property_identifier" | "shorthand_property_identifier" => {
                let name = self.src(node);
                match self.env.get(name) {
                    Some(Binding::Alias(path)) => Some(path.clone()),
                    _ if matches!(name, "window" | "globalThis" | "self") => Some(String::new()),
                    _ => Some(name.to_owned()),
                }
            }
            "this" => Some("this".to_owned()),
            "member_expression" => {
                let base = self.path_of(node.child_by_field_name("object")?)?;
                let property = self.src(node.child_by_field_name("property")?);
                Some(join_path(&base, property))
            }
            "subscript_expression" => {
                let base = self.path_of(node.child_by_field_name("object")?)?;
                let index = node.child_by_field_name("index")?;
                let property = if is_string(index) {
                    string_content(self.src(index))
                } else {
                    "[]"
                };
                Some(join_path(&base, property))
            }
            "call_expression" => {
                let callee = node.child_by_field_name("function")?;
                if self.src(callee) == "require" {
                    let argument = arguments(node).first().copied()?;
                    let (default, _) = api::module_binding(string_content(self.src(argument)))?;
                    return Some(default.to_owned());
                }
                let path = self.path_of(callee)?;
                if let Some(bound) = path.strip_suffix(".bind") {
                    return Some(bound.to_owned());
                }
                api::call_result(&path)
            }
            "new_expression" => {
                let constructor = self.path_of(node.child_by_field_name("constructor")?)?;
                api::construction(&constructor)
            }
            "parenthesized_expression"
            | "await_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression" => self.path_of(node.named_child(0)?),
            "binary_expression" => {
                let operator = self.src(node.child_by_field_name("operator")?);
                if !matches!(operator, "||" | "??") {
                    return None;
                }
                let left = node
                    .child_by_field_name("left")
                    .and_then(|l| self.path_of(l));
                left.filter(|p| api::is_known_root(p))
                    .or_else(|| self.path_of(node.child_by_field_name("right")?))
            }
            "assignment_expression" => self.path_of(node.child_by_field_name("left")?),
            _ => None,
        }
    }

    fn resolve_value(&self, node: Node<'t>) -> Node<'t> {
        if node.kind() == "identifier"
            && let Some(value) = self.values.get(self.src(node))
        {
            return *value;
        }
        if node.kind() == "identifier"
            && let Some(function) = self.functions.get(self.src(node))
        {
            return *function;
        }
        node
    }

    fn object_node(&self, node: Node<'t>) -> Option<Node<'t>> {
        Some(self.resolve_value(node)).filter(|n| n.kind() == "object")
    }

    fn object_property(&self, object: Node<'t>, name: &str) -> Option<Node<'t>> {
        let mut cursor = object.walk();
        let found = object.named_children(&mut cursor).find_map(|part| {
            let key = part.child_by_field_name("key")?;
            (part.kind() == "pair" && string_content(self.src(key)) == name)
                .then(|| part.child_by_field_name("value"))
                .flatten()
        });
        found.map(|value| self.resolve_value(value))
    }

    fn string_elements(&self, list: Node<'_>) -> Vec<String> {
        let mut cursor = list.walk();
        list.named_children(&mut cursor)
            .filter(|item| is_string(*item))
            .map(|item| string_content(self.src(item)).to_owned())
            .collect()
    }
}

enum Piece<'t> {
    Literal(String),
    Value(Node<'t>),
}

/// The query parameter a URL literal ends with (`/x?a=1&dob=` → `dob`).
fn query_parameter_before(literal: &str) -> Option<String> {
    let tail = literal.strip_suffix('=')?;
    let start = tail.rfind(['?', '&'])?;
    let name = tail.get(start + 1..)?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c));
    valid.then(|| name.to_owned())
}

fn fhir_resource(resource: &str) -> Option<Evidence> {
    const CLINICAL: &[&str] = &[
        "Patient",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "Medication",
        "Observation",
        "AllergyIntolerance",
        "Procedure",
        "Encounter",
        "DiagnosticReport",
        "Immunization",
        "Coverage",
        "Claim",
        "ExplanationOfBenefit",
        "CarePlan",
    ];
    CLINICAL.contains(&resource).then(|| {
        Evidence::new(
            phiguard_core::Category::Clinical,
            format!("the object is a FHIR {resource} resource"),
        )
    })
}

fn member_taint(taint: &Taint, key: &str) -> Taint {
    if is_safe_member(key) {
        return Taint::clean();
    }
    let by_name = classify_name(key).map(Taint::phi).unwrap_or_default();
    taint.member(key).union(by_name)
}

fn join_path(base: &str, property: &str) -> String {
    if base.is_empty() {
        property.to_owned()
    } else {
        format!("{base}.{property}")
    }
}

fn last_name(expression: &str) -> &str {
    expression
        .rsplit(['.', '[', ']', '(', ')'])
        .find(|part| !part.trim().is_empty())
        .map_or(expression, |part| part.trim_matches(['"', '\'', ' ']))
}

fn arguments(call: Node<'_>) -> Vec<Node<'_>> {
    let Some(list) = call.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

fn parameters(function: Node<'_>) -> Vec<Node<'_>> {
    if let Some(single) = function.child_by_field_name("parameter") {
        return vec![single];
    }
    let Some(list) = function.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "arrow_function" | "function_expression" | "function" | "generator_function"
    )
}

fn is_string(node: Node<'_>) -> bool {
    node.kind() == "string" || (node.kind() == "template_string" && node.named_child_count() == 0)
}

fn is_literal(node: Node<'_>) -> bool {
    match node.kind() {
        "number" | "true" | "false" | "null" | "undefined" | "regex" => true,
        "string" => true,
        "template_string" => node.named_child_count() == 0,
        "unary_expression" => node.named_child(0).is_some_and(is_literal),
        _ => false,
    }
}

/// The text of a string literal without its quotes.
fn string_content(literal: &str) -> &str {
    let trimmed = literal.trim();
    let mut chars = trimmed.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if a == b && matches!(a, '"' | '\'' | '`') => {
            trimmed.get(1..trimmed.len() - 1).unwrap_or("")
        }
        _ => trimmed,
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Taint from PHI evidence, for the template analysis.
pub(crate) fn taint_of(evidence: Option<Evidence>) -> Taint {
    evidence.map(Taint::phi).unwrap_or_default()
}

/// The reason carried by a taint, if any.
pub(crate) fn reason_of(taint: &Taint) -> Option<Rc<Evidence>> {
    taint.first_evidence()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(code: &str) -> Vec<(RuleId, usize)> {
        let report = analyze(code, 0, Language::JavaScript, &Placeholders::new());
        report
            .findings
            .iter()
            .map(|f| (f.rule, line_col(code, f.offset).0))
            .collect()
    }

    #[test]
    fn direct_writes_are_found() {
        assert_eq!(
            rules("localStorage.setItem('x', dob);"),
            [(RuleId::BrowserStorage, 1)]
        );
        assert_eq!(rules("console.log(patient.ssn);"), [(RuleId::Logging, 1)]);
        assert_eq!(
            rules("fbq('track', 'Lead', { email });"),
            [(RuleId::Tracker, 1)]
        );
    }

    #[test]
    fn aliases_spreads_and_functions_are_followed() {
        let code = "const s = window.localStorage;\nconst d = { ...form, dob };\n\
                    s.setItem('k', JSON.stringify(d));\n";
        assert_eq!(rules(code), [(RuleId::BrowserStorage, 3)]);

        let code = "function save(v) {\n  localStorage.setItem('k', v);\n}\nsave(customer);\n";
        assert_eq!(rules(code), [(RuleId::BrowserStorage, 4)]);
    }

    #[test]
    fn harmless_values_are_not_findings() {
        assert!(rules("localStorage.setItem('cart', cart.token);").is_empty());
        assert!(rules("try { x() } catch (e) { console.error(e); }").is_empty());
        assert!(rules("const { token } = checkout; console.log(token);").is_empty());
    }

    #[test]
    fn query_parameters_are_read_from_literals() {
        assert_eq!(
            query_parameter_before("/x?a=1&dob="),
            Some("dob".to_owned())
        );
        assert_eq!(query_parameter_before("/x?"), None);
        assert_eq!(query_parameter_before("a = "), None);
    }
}
