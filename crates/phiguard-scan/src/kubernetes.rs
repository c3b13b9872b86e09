//! Kubernetes manifests: Redis and search engines reached or served without TLS, and secrets
//! written into manifests.
//!
//! Only YAML documents with `apiVersion` and `kind` are read; other YAML (CI workflows, Helm
//! values) is left alone. Helm templates with `{{ }}` usually do not parse as YAML and are
//! reported as skipped.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::finding::RawFinding;
use crate::rule::RuleId;

/// Findings in a YAML file, `Ok(None)` when it holds no Kubernetes manifest, or `Err` with the
/// line of a syntax error.
pub(crate) fn analyze(text: &str) -> Result<Option<Vec<RawFinding>>, usize> {
    let documents = MarkedYaml::load_from_str(text).map_err(|e| e.marker().line())?;
    let offsets = CharOffsets::new(text);

    let mut findings = Vec::new();
    let mut any_manifest = false;
    for document in &documents {
        let kind = get(document, "kind").and_then(as_str);
        if kind.is_none() || get(document, "apiVersion").is_none() {
            continue;
        }
        any_manifest = true;
        let mut manifest = Manifest {
            offsets: &offsets,
            findings: &mut findings,
        };
        manifest.check(document, kind.unwrap_or(""));
    }
    Ok(any_manifest.then_some(findings))
}

fn get<'a, 'i>(node: &'a MarkedYaml<'i>, key: &str) -> Option<&'a MarkedYaml<'i>> {
    node.data.as_mapping_get(key)
}

fn as_str<'a>(node: &'a MarkedYaml<'_>) -> Option<&'a str> {
    match &node.data {
        YamlData::Value(Scalar::String(text)) => Some(text),
        _ => None,
    }
}

fn scalar_text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(text)) => Some(text.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn sequence<'a, 'i>(node: Option<&'a MarkedYaml<'i>>) -> &'a [MarkedYaml<'i>] {
    match node.map(|n| &n.data) {
        Some(YamlData::Sequence(items)) => items,
        _ => &[],
    }
}

/// saphyr reports character indexes; findings need byte offsets.
struct CharOffsets<'t> {
    text: &'t str,
}

impl<'t> CharOffsets<'t> {
    fn new(text: &'t str) -> Self {
        CharOffsets { text }
    }

    fn byte(&self, node: &MarkedYaml<'_>) -> usize {
        let index = node.span.start.index();
        self.text
            .char_indices()
            .nth(index)
            .map_or(self.text.len(), |(b, _)| b)
    }
}

struct Manifest<'a, 't> {
    offsets: &'a CharOffsets<'t>,
    findings: &'a mut Vec<RawFinding>,
}

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIALS",
    "AUTH_KEY",
];

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    SECRET_WORDS.iter().any(|word| upper.contains(word))
}

fn is_loopback_url(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url);
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split([':', '/']).next().unwrap_or(host);
    host == "localhost" || host.starts_with("127.") || host.is_empty()
}

impl Manifest<'_, '_> {
    fn push(&mut self, rule: RuleId, node: &MarkedYaml<'_>, message: String, why: &str) {
        self.findings
            .push(RawFinding::new(rule, self.offsets.byte(node), message).because(why.to_owned()));
    }

    fn check(&mut self, document: &MarkedYaml<'_>, kind: &str) {
        match kind {
            "Secret" => {
                for field in ["data", "stringData"] {
                    if let Some(values) = get(document, field)
                        && let YamlData::Mapping(entries) = &values.data
                        && !entries.is_empty()
                    {
                        self.push(
                            RuleId::PlainSecret,
                            values,
                            format!(
                                "a Secret manifest carries {} value(s) in `{field}`",
                                entries.len()
                            ),
                            "Secret data in a manifest is base64 at best, which is an encoding, \
                             not encryption; whoever reads the repository holds the credentials",
                        );
                    }
                }
            }
            "ConfigMap" => {
                if let Some(YamlData::Mapping(entries)) = get(document, "data").map(|d| &d.data) {
                    for (key, value) in entries {
                        let name = as_str(key).unwrap_or("");
                        if let Some(text) = scalar_text(value) {
                            self.value(name, &text, value);
                        }
                    }
                }
            }
            _ => {
                for container in containers(document) {
                    self.container(container);
                }
            }
        }
    }

    fn container(&mut self, container: &MarkedYaml<'_>) {
        for variable in sequence(get(container, "env")) {
            let name = get(variable, "name").and_then(as_str).unwrap_or("");
            if let Some(value) = get(variable, "value")
                && let Some(text) = scalar_text(value)
            {
                self.value(name, &text, value);
            }
        }

        let image = get(container, "image").and_then(as_str).unwrap_or("");
        let image_name = image.rsplit('/').next().unwrap_or(image);
        let is_redis = image_name.starts_with("redis") || image_name.starts_with("valkey");
        if is_redis {
            let arguments: Vec<String> = ["command", "args"]
                .iter()
                .flat_map(|key| sequence(get(container, key)))
                .filter_map(scalar_text)
                .collect();
            let tls = arguments
                .iter()
                .any(|a| a.contains("--tls-port") || a.contains("tls-port "));
            if !tls && let Some(node) = get(container, "image") {
                self.push(
                    RuleId::CacheWithoutTls,
                    node,
                    "a Redis container serves plaintext connections".to_owned(),
                    "no --tls-port argument is given, so clients in the cluster reach it without \
                     TLS",
                );
            }
        }
    }

    /// An environment variable or ConfigMap entry.
    fn value(&mut self, name: &str, text: &str, node: &MarkedYaml<'_>) {
        let upper = name.to_ascii_uppercase();
        let lower = text.trim().to_ascii_lowercase();

        if looks_secret(name) && !text.trim().is_empty() {
            self.push(
                RuleId::PlainSecret,
                node,
                format!("`{name}` is set to a literal secret in the manifest"),
                "credentials belong in a Secret fed from a secret manager, referenced with \
                 valueFrom.secretKeyRef",
            );
        }

        if lower.starts_with("redis://") && !is_loopback_url(&lower) {
            self.push(
                RuleId::CacheWithoutTls,
                node,
                format!("`{name}` points at Redis without TLS"),
                "redis:// is plaintext; use rediss:// with a verified certificate",
            );
        }
        let tls_switch =
            upper.contains("REDIS") && (upper.contains("TLS") || upper.contains("SSL"));
        if tls_switch && matches!(lower.as_str(), "false" | "0" | "no" | "off") {
            self.push(
                RuleId::CacheWithoutTls,
                node,
                format!("`{name}` turns TLS to Redis off"),
                "the switch disables TLS for the Redis connection",
            );
        }

        let search_name = ["ELASTIC", "OPENSEARCH", "SEARCH"]
            .iter()
            .any(|w| upper.contains(w));
        let plain_http = lower.starts_with("http://") && !is_loopback_url(&lower);
        let plain_port = lower.contains(":9200") && !lower.starts_with("https://");
        if search_name && (plain_http || (plain_port && !is_loopback_url(&lower))) {
            self.push(
                RuleId::SearchWithoutTls,
                node,
                format!("`{name}` points at a search engine over plain HTTP"),
                "documents indexed through this URL cross the network readable",
            );
        }
        let disabling = matches!(
            name,
            "xpack.security.http.ssl.enabled" | "plugins.security.ssl.http.enabled"
        ) && lower == "false"
            || (name == "DISABLE_SECURITY_PLUGIN" && lower == "true");
        if disabling {
            self.push(
                RuleId::SearchWithoutTls,
                node,
                format!("`{name}` turns the search engine's TLS layer off"),
                "the search engine then serves plain HTTP",
            );
        }
    }
}

/// The containers of a Pod, a workload's pod template or a CronJob's job template.
fn containers<'a, 'i>(document: &'a MarkedYaml<'i>) -> Vec<&'a MarkedYaml<'i>> {
    let spec = get(document, "spec");
    let pod_specs = [
        spec,
        spec.and_then(|s| get(s, "template"))
            .and_then(|t| get(t, "spec")),
        spec.and_then(|s| get(s, "jobTemplate"))
            .and_then(|j| get(j, "spec"))
            .and_then(|s| get(s, "template"))
            .and_then(|t| get(t, "spec")),
    ];
    pod_specs
        .into_iter()
        .flatten()
        .flat_map(|pod| {
            sequence(get(pod, "containers"))
                .iter()
                .chain(sequence(get(pod, "initContainers")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Option<Vec<RuleId>> {
        analyze(text)
            .unwrap()
            .map(|f| f.into_iter().map(|f| f.rule).collect())
    }

    #[test]
    fn secrets_and_plaintext_redis_are_found() {
        let manifest = [
            "apiVersion: v1",
            "kind: Secret",
            "metadata: {name: db}",
            "stringData:",
            "  password: hunter2",
            "---",
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata: {name: web}",
            "spec:",
            "  template:",
            "    spec:",
            "      containers:",
            "        - name: web",
            "          image: shop/web:1",
            "          env:",
            "            - name: REDIS_URL",
            "              value: redis://cache.default.svc:6379",
            "            - name: REDIS_URL_LOCAL",
            "              value: redis://127.0.0.1:6379",
        ]
        .join("\n");
        let manifest = manifest.as_str();
        assert_eq!(
            rules(manifest),
            Some(vec![RuleId::PlainSecret, RuleId::CacheWithoutTls])
        );
    }

    #[test]
    fn other_yaml_is_not_a_manifest() {
        assert_eq!(rules("name: ci\non: [push]\n"), None);
    }

    #[test]
    fn broken_yaml_reports_a_line() {
        assert!(analyze("a: [1, 2\nb: }").is_err());
    }
}
