//! Magento's `app/etc/env.php`: session and cache backends on Redis without TLS, and search
//! engines reached over plain HTTP.
//!
//! Magento reaches Redis over TLS only when the host is written `tls://…`, and OpenSearch or
//! Elasticsearch over HTTPS only when the hostname is written `https://…`. Loopback hosts and
//! Unix sockets never leave the machine and are not findings. A value computed at run time
//! (`getenv('REDIS_HOST')`) is reported as depending on input, not as plaintext.

use tree_sitter::Node;

use crate::finding::RawFinding;
use crate::php::{parse, string_content};
use crate::rule::{RuleId, Severity};

/// A value of the configuration array.
#[derive(Debug)]
enum Value {
    Text(String, usize),
    Array(Vec<(String, Value)>),
    Computed(String, usize),
}

impl Value {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Array(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn path(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter().try_fold(self, |value, key| value.get(key))
    }

    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(text, _) => Some(text),
            _ => None,
        }
    }
}

/// Findings in an `env.php`, and whether it failed to parse.
pub(crate) fn analyze(text: &str) -> (Vec<RawFinding>, bool) {
    let Some(tree) = parse(text) else {
        return (Vec::new(), true);
    };
    let root = tree.root_node();
    let Some(array) = returned_array(root) else {
        return (Vec::new(), root.has_error());
    };
    let config = value(text, array);

    let mut findings = Vec::new();
    check_session(&config, &mut findings);
    check_caches(&config, &mut findings);
    check_search(&config, &mut findings);
    (findings, root.has_error())
}

fn returned_array(root: Node<'_>) -> Option<Node<'_>> {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == "return_statement" {
            let mut cursor = node.walk();
            return node
                .named_children(&mut cursor)
                .find(|c| c.kind() == "array_creation_expression");
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    None
}

fn value(text: &str, node: Node<'_>) -> Value {
    let source = text.get(node.byte_range()).unwrap_or("");
    match node.kind() {
        "array_creation_expression" => {
            let mut entries = Vec::new();
            let mut cursor = node.walk();
            for element in node.named_children(&mut cursor) {
                let mut inner = element.walk();
                let parts: Vec<Node<'_>> = element.named_children(&mut inner).collect();
                if let [key, item] = parts.as_slice() {
                    let key = string_content(text.get(key.byte_range()).unwrap_or("")).to_owned();
                    entries.push((key, value(text, *item)));
                }
            }
            Value::Array(entries)
        }
        "string" | "encapsed_string" if !source.contains('$') => {
            Value::Text(string_content(source).to_owned(), node.start_byte())
        }
        "integer" => Value::Text(source.to_owned(), node.start_byte()),
        _ => Value::Computed(source.to_owned(), node.start_byte()),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim();
    let bare = host
        .trim_start_matches("tcp://")
        .split([':', '/'])
        .next()
        .unwrap_or(host);
    host.starts_with('/')
        || host.starts_with("unix://")
        || bare == "localhost"
        || bare.starts_with("127.")
        || host.starts_with("[::1]")
        || host == "::1"
}

fn check_redis_host(host: &Value, role: &str, findings: &mut Vec<RawFinding>) {
    match host {
        Value::Text(text, offset) => {
            let tls = text.starts_with("tls://") || text.starts_with("rediss://");
            if !tls && !is_loopback(text) {
                findings.push(
                    RawFinding::new(
                        RuleId::CacheWithoutTls,
                        *offset,
                        format!("the {role} Redis backend is reached without TLS"),
                    )
                    .because(format!(
                        "the host is not written tls://… and is not a loopback address; \
                         Magento then speaks plaintext Redis to it (PHI in {role} data crosses \
                         the network readable)"
                    )),
                );
            }
        }
        Value::Computed(expression, offset) => findings.push(
            RawFinding::new(
                RuleId::DependsOnInput,
                *offset,
                format!("whether the {role} Redis backend uses TLS depends on input"),
            )
            .because(format!(
                "the host comes from `{}`, which is only known at run time",
                expression.chars().take(60).collect::<String>()
            ))
            .severity(Severity::Low),
        ),
        Value::Array(_) => {}
    }
}

fn check_session(config: &Value, findings: &mut Vec<RawFinding>) {
    let Some(session) = config.get("session") else {
        return;
    };
    if session.get("save").and_then(Value::text) != Some("redis") {
        return;
    }
    if let Some(host) = session.path(&["redis", "host"]) {
        check_redis_host(host, "session", findings);
    }
}

fn check_caches(config: &Value, findings: &mut Vec<RawFinding>) {
    let Some(Value::Array(frontends)) = config.path(&["cache", "frontend"]) else {
        return;
    };
    for (name, frontend) in frontends {
        let backend = frontend.get("backend").and_then(Value::text).unwrap_or("");
        let remote = frontend
            .get("remote_backend")
            .and_then(Value::text)
            .unwrap_or("");
        if backend.to_ascii_lowercase().contains("redis")
            && let Some(server) = frontend.path(&["backend_options", "server"])
        {
            check_redis_host(server, &format!("`{name}` cache"), findings);
        }
        if remote.to_ascii_lowercase().contains("redis")
            && let Some(server) = frontend.path(&["remote_backend_options", "server"])
        {
            check_redis_host(server, &format!("`{name}` remote cache"), findings);
        }
    }
}

fn check_search(config: &Value, findings: &mut Vec<RawFinding>) {
    let Some(search) = config.path(&["system", "default", "catalog", "search"]) else {
        return;
    };
    let engine = search.get("engine").and_then(Value::text).unwrap_or("");
    let engine = engine.trim_end_matches(|c: char| c.is_ascii_digit());
    if engine.is_empty() {
        return;
    }
    let hostname_key = format!("{engine}_server_hostname");
    let Some(host) = search.get(&hostname_key).or_else(|| {
        let Value::Array(entries) = search else {
            return None;
        };
        entries
            .iter()
            .find(|(k, _)| k.ends_with("_server_hostname"))
            .map(|(_, v)| v)
    }) else {
        return;
    };

    match host {
        Value::Text(text, offset) if !text.starts_with("https://") && !is_loopback(text) => {
            findings.push(
                RawFinding::new(
                    RuleId::SearchWithoutTls,
                    *offset,
                    format!("the {engine} search engine is reached over plain HTTP"),
                )
                .because(
                    "the hostname is not written https://… and is not a loopback address, so \
                     indexed catalog and customer documents cross the network readable",
                ),
            );
        }
        Value::Computed(expression, offset) => findings.push(
            RawFinding::new(
                RuleId::DependsOnInput,
                *offset,
                format!("whether the {engine} search engine uses TLS depends on input"),
            )
            .because(format!(
                "the hostname comes from `{}`, which is only known at run time",
                expression.chars().take(60).collect::<String>()
            ))
            .severity(Severity::Low),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_remote_redis_and_search_are_found() {
        let env = r"<?php
return [
    'session' => ['save' => 'redis', 'redis' => ['host' => 'redis.internal', 'port' => '6379']],
    'cache' => ['frontend' => [
        'default' => ['backend' => 'Magento\\Framework\\Cache\\Backend\\Redis',
                      'backend_options' => ['server' => 'tls://cache.internal']],
        'page_cache' => ['backend' => 'Magento\\Framework\\Cache\\Backend\\Redis',
                         'backend_options' => ['server' => '127.0.0.1']],
    ]],
    'system' => ['default' => ['catalog' => ['search' => [
        'engine' => 'opensearch', 'opensearch_server_hostname' => 'search.internal']]]],
];
";
        let (findings, errors) = analyze(env);
        assert!(!errors);
        let rules: Vec<RuleId> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, [RuleId::CacheWithoutTls, RuleId::SearchWithoutTls]);
    }

    #[test]
    fn loopback_and_sockets_are_fine() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost:6379"));
        assert!(is_loopback("/var/run/redis/redis.sock"));
        assert!(!is_loopback("redis.internal"));
        assert!(!is_loopback("127x.example"));
    }
}
