//! Terraform: caches, search clusters, databases, backups and snapshots that may hold PHI
//! without encryption at rest or in transit.
//!
//! Three verdicts are kept apart, because they call for different work:
//!
//! * **unencrypted** — the setting is absent where the provider's default is off, or written
//!   `false` (rules PHI-INFRA-001 to 004);
//! * **depends on input** — the setting is a variable, a conditional or a function call, so
//!   the answer is decided at plan time (PHI-INFRA-005);
//! * **not customer-managed** — the service always encrypts (S3 since 2023, AWS Backup,
//!   ElastiCache Serverless) or encryption is on, but no customer-managed key is set
//!   (PHI-INFRA-006).

use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::finding::RawFinding;
use crate::rule::{RuleId, Severity};

/// Findings in one Terraform file, or `Err` with the parser's line when it does not parse.
pub(crate) fn analyze(text: &str) -> Result<Vec<RawFinding>, usize> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| e.location().line())?;
    let file = File::new(&body);

    let mut findings = Vec::new();
    for resource in &file.resources {
        check(&file, resource, &mut findings);
    }
    Ok(findings)
}

struct Resource<'b> {
    kind: String,
    name: String,
    block: &'b Block,
}

impl Resource<'_> {
    fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }

    fn offset(&self) -> usize {
        self.block.span().map_or(0, |s| s.start)
    }
}

struct File<'b> {
    resources: Vec<Resource<'b>>,
    ebs_default_encryption: bool,
}

impl<'b> File<'b> {
    fn new(body: &'b Body) -> Self {
        let resources: Vec<Resource<'b>> = body
            .get_blocks("resource")
            .filter_map(|block| {
                let kind = block.labels.first()?.as_str().to_owned();
                let name = block.labels.get(1)?.as_str().to_owned();
                Some(Resource { kind, name, block })
            })
            .collect();
        let ebs_default_encryption = resources.iter().any(|r| {
            r.kind == "aws_ebs_encryption_by_default"
                && !matches!(setting(&r.block.body, "enabled"), Setting::False(_))
        });
        File {
            resources,
            ebs_default_encryption,
        }
    }

    /// Resources of `kind` that point at `target` (`bucket = aws_s3_bucket.backups.id`).
    fn attached(&self, kind: &str, target: &Resource<'_>) -> Vec<&Resource<'b>> {
        let reference = format!("{}.{}.", target.kind, target.name);
        self.resources
            .iter()
            .filter(|r| r.kind == kind)
            .filter(|r| {
                r.block.body.attributes().any(|attribute| {
                    expression_text(&attribute.value).is_some_and(|t| t.contains(&reference))
                })
            })
            .collect()
    }
}

/// What an attribute says.
#[derive(Debug)]
enum Setting {
    Missing,
    True(Range<usize>),
    False(Range<usize>),
    Text(String, Range<usize>),
    Dynamic(String, Range<usize>),
}

fn setting(body: &Body, key: &str) -> Setting {
    let Some(attribute) = body.get_attribute(key) else {
        return Setting::Missing;
    };
    let span = attribute.span().unwrap_or(0..0);
    match &attribute.value {
        Expression::Bool(value) => {
            if *value.value() {
                Setting::True(span)
            } else {
                Setting::False(span)
            }
        }
        Expression::String(value) => Setting::Text(value.value().to_string(), span),
        Expression::Number(value) => Setting::Text(value.to_string(), span),
        other => Setting::Dynamic(expression_text(other).unwrap_or_default(), span),
    }
}

fn expression_text(expression: &Expression) -> Option<String> {
    Some(expression.to_string().trim().to_owned())
}

fn nested<'a>(body: &'a Body, name: &'a str) -> Option<&'a Body> {
    body.get_blocks(name).next().map(|block| &block.body)
}

fn text_setting(body: &Body, key: &str) -> Option<String> {
    match setting(body, key) {
        Setting::Text(text, _) => Some(text),
        _ => None,
    }
}

struct Check<'a, 'b> {
    resource: &'a Resource<'b>,
    findings: &'a mut Vec<RawFinding>,
}

impl Check<'_, '_> {
    /// Reports an encryption flag: absent (when the default is off) or false is unencrypted, an
    /// expression depends on input.
    fn flag(&mut self, setting: Setting, rule: RuleId, default_on: bool, what: &str, why: &str) {
        match setting {
            Setting::True(_) => {}
            Setting::Missing if default_on => {}
            Setting::Missing => self.push(rule, self.resource.offset(), what, why),
            Setting::False(span) => self.push(rule, span.start, what, why),
            Setting::Text(text, span) => {
                if !text.eq_ignore_ascii_case("true") {
                    self.push(rule, span.start, what, why);
                }
            }
            Setting::Dynamic(expression, span) => self.depends(&expression, span.start, what),
        }
    }

    fn push(&mut self, rule: RuleId, offset: usize, what: &str, why: &str) {
        let address = self.resource.address();
        self.findings.push(
            RawFinding::new(rule, offset, format!("{address}: {what}"))
                .because(why.to_owned())
                .resource(address),
        );
    }

    fn depends(&mut self, expression: &str, offset: usize, what: &str) {
        let address = self.resource.address();
        let expression: String = expression.chars().take(80).collect();
        self.findings.push(
            RawFinding::new(
                RuleId::DependsOnInput,
                offset,
                format!("{address}: whether it is {what} depends on input"),
            )
            .because(format!(
                "the setting is `{expression}`, decided at plan time; the scan does not guess"
            ))
            .resource(address),
        );
    }

    fn customer_key(&mut self, body: &Body, keys: &[&str], service: &str) {
        let set = keys
            .iter()
            .any(|key| !matches!(setting(body, key), Setting::Missing));
        if !set {
            let address = self.resource.address();
            self.findings.push(
                RawFinding::new(
                    RuleId::ProviderManagedKey,
                    self.resource.offset(),
                    format!("{address}: encrypted, but not under a customer-managed key"),
                )
                .because(format!(
                    "{service} encrypts under a provider key when no {} is set",
                    keys.first().copied().unwrap_or("key")
                ))
                .resource(address)
                .severity(Severity::Info),
            );
        }
    }
}

fn check(file: &File<'_>, resource: &Resource<'_>, findings: &mut Vec<RawFinding>) {
    let body = &resource.block.body;
    let mut c = Check { resource, findings };

    match resource.kind.as_str() {
        "aws_elasticache_replication_group" => {
            let engine = text_setting(body, "engine").unwrap_or_else(|| "redis".to_owned());
            let valkey = engine == "valkey";
            let at_rest = setting(body, "at_rest_encryption_enabled");
            let encrypted = matches!(at_rest, Setting::True(_))
                || (valkey && matches!(at_rest, Setting::Missing));
            c.flag(
                at_rest,
                RuleId::CacheAtRest,
                valkey,
                "the cache is not encrypted at rest",
                "at_rest_encryption_enabled is absent or false; for Redis OSS it defaults to off",
            );
            if encrypted {
                c.customer_key(body, &["kms_key_id"], "ElastiCache");
            }
            c.flag(
                setting(body, "transit_encryption_enabled"),
                RuleId::InTransit,
                false,
                "the cache accepts plaintext connections",
                "transit_encryption_enabled is absent or false, so clients connect without TLS",
            );
        }
        "aws_elasticache_cluster" => {
            if !matches!(setting(body, "replication_group_id"), Setting::Missing) {
                return;
            }
            let engine = text_setting(body, "engine").unwrap_or_default();
            if engine == "memcached" {
                c.push(
                    RuleId::CacheAtRest,
                    resource.offset(),
                    "Memcached cannot encrypt at rest",
                    "ElastiCache for Memcached has no at-rest encryption; keep PHI out of it or \
                     use Redis/Valkey with encryption",
                );
                c.flag(
                    setting(body, "transit_encryption_enabled"),
                    RuleId::InTransit,
                    false,
                    "the cache accepts plaintext connections",
                    "transit_encryption_enabled is absent or false",
                );
            } else if engine == "redis" {
                c.push(
                    RuleId::CacheAtRest,
                    resource.offset(),
                    "a single-node Redis cluster cannot encrypt at rest",
                    "aws_elasticache_cluster offers no at-rest or transit encryption for Redis; \
                     use aws_elasticache_replication_group with encryption enabled",
                );
            }
        }
        "aws_elasticache_serverless_cache" => {
            c.customer_key(body, &["kms_key_id"], "ElastiCache Serverless");
        }
        "aws_memorydb_cluster" => {
            c.flag(
                setting(body, "tls_enabled"),
                RuleId::InTransit,
                true,
                "the cache accepts plaintext connections",
                "tls_enabled is false",
            );
            c.customer_key(body, &["kms_key_arn"], "MemoryDB");
        }
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
            let at_rest = nested(body, "encrypt_at_rest").map(|b| setting(b, "enabled"));
            let encrypted = matches!(at_rest, Some(Setting::True(_)));
            c.flag(
                at_rest.unwrap_or(Setting::Missing),
                RuleId::SearchAtRest,
                false,
                "the search cluster is not encrypted at rest",
                "encrypt_at_rest { enabled = true } is absent or false",
            );
            if encrypted && let Some(block) = nested(body, "encrypt_at_rest") {
                c.customer_key(block, &["kms_key_id"], "OpenSearch");
            }
            c.flag(
                nested(body, "node_to_node_encryption")
                    .map_or(Setting::Missing, |b| setting(b, "enabled")),
                RuleId::InTransit,
                false,
                "nodes talk to each other in plaintext",
                "node_to_node_encryption { enabled = true } is absent or false",
            );
            c.flag(
                nested(body, "domain_endpoint_options")
                    .map_or(Setting::Missing, |b| setting(b, "enforce_https")),
                RuleId::InTransit,
                false,
                "the search endpoint accepts plain HTTP",
                "domain_endpoint_options { enforce_https = true } is absent or false",
            );
        }
        "aws_db_instance" | "aws_rds_cluster" | "aws_docdb_cluster" | "aws_neptune_cluster" => {
            let inherits = [
                "replicate_source_db",
                "replication_source_identifier",
                "snapshot_identifier",
            ]
            .iter()
            .any(|key| !matches!(setting(body, key), Setting::Missing));
            let serverless_v1 = text_setting(body, "engine_mode").as_deref() == Some("serverless");
            if inherits {
                return;
            }
            let storage = setting(body, "storage_encrypted");
            let encrypted = matches!(storage, Setting::True(_)) || serverless_v1;
            c.flag(
                storage,
                RuleId::BackupAtRest,
                serverless_v1,
                "the database storage, and so its automated backups and snapshots, is not \
                 encrypted",
                "storage_encrypted is absent or false; it defaults to off and cannot be turned \
                 on later without a snapshot restore",
            );
            if encrypted {
                c.customer_key(body, &["kms_key_id"], "RDS");
            }
        }
        "aws_db_parameter_group" | "aws_rds_cluster_parameter_group" => {
            for parameter in body.get_blocks("parameter") {
                let name = text_setting(&parameter.body, "name").unwrap_or_default();
                let value = text_setting(&parameter.body, "value").unwrap_or_default();
                let off = matches!(value.to_ascii_lowercase().as_str(), "0" | "off" | "false");
                if (name == "rds.force_ssl" || name == "require_secure_transport") && off {
                    let offset = parameter.span().map_or(resource.offset(), |s| s.start);
                    c.push(
                        RuleId::InTransit,
                        offset,
                        "the database accepts plaintext connections",
                        "the parameter group turns TLS enforcement off",
                    );
                }
            }
        }
        "aws_backup_vault" => c.customer_key(body, &["kms_key_arn"], "AWS Backup"),
        "aws_ebs_volume" | "aws_ebs_snapshot_copy" => {
            let default_on = file.ebs_default_encryption && resource.kind == "aws_ebs_volume";
            let encrypted = setting(body, "encrypted");
            let is_on = matches!(encrypted, Setting::True(_))
                || (default_on && matches!(encrypted, Setting::Missing));
            c.flag(
                encrypted,
                RuleId::BackupAtRest,
                default_on,
                "the volume or snapshot is not encrypted",
                "encrypted is absent or false and the file does not turn on EBS encryption by \
                 default",
            );
            if is_on {
                c.customer_key(body, &["kms_key_id"], "EBS");
            }
        }
        "aws_instance" | "aws_launch_template" => {
            for name in ["root_block_device", "ebs_block_device", "ebs"] {
                for device in body.get_blocks(name) {
                    let encrypted = setting(&device.body, "encrypted");
                    if !file.ebs_default_encryption || !matches!(encrypted, Setting::Missing) {
                        c.flag(
                            encrypted,
                            RuleId::BackupAtRest,
                            file.ebs_default_encryption,
                            "an attached volume is not encrypted",
                            "the block device sets no encrypted = true",
                        );
                    }
                }
            }
            if let Some(mappings) = nested(body, "block_device_mappings")
                && let Some(ebs) = nested(mappings, "ebs")
            {
                c.flag(
                    setting(ebs, "encrypted"),
                    RuleId::BackupAtRest,
                    file.ebs_default_encryption,
                    "an attached volume is not encrypted",
                    "the block device sets no encrypted = true",
                );
            }
        }
        "aws_s3_bucket" => check_bucket(file, resource, findings),
        "azurerm_redis_cache" => {
            c.flag(
                match setting(body, "non_ssl_port_enabled") {
                    Setting::Missing => setting(body, "enable_non_ssl_port"),
                    other => other,
                }
                .negate(),
                RuleId::InTransit,
                true,
                "the cache opens a plaintext port",
                "the non-TLS port 6379 is enabled",
            );
        }
        "google_redis_instance" => {
            let mode = setting(body, "transit_encryption_mode");
            let mode = match mode {
                Setting::Text(text, span) if text == "SERVER_AUTHENTICATION" => Setting::True(span),
                Setting::Text(_, span) => Setting::False(span),
                other => other,
            };
            c.flag(
                mode,
                RuleId::InTransit,
                false,
                "the cache accepts plaintext connections",
                "transit_encryption_mode is absent or DISABLED",
            );
        }
        _ => {}
    }
}

impl Setting {
    /// For flags that say "plaintext allowed": true becomes a finding, false becomes fine.
    fn negate(self) -> Setting {
        match self {
            Setting::True(span) => Setting::False(span),
            Setting::False(span) => Setting::True(span),
            Setting::Missing => Setting::True(0..0),
            other => other,
        }
    }
}

/// S3 encrypts every object by default since January 2023, so a bucket is never reported as
/// unencrypted; buckets that look like backups or exports are reported when no
/// customer-managed key is configured.
fn check_bucket(file: &File<'_>, bucket: &Resource<'_>, findings: &mut Vec<RawFinding>) {
    let label = format!(
        "{} {}",
        bucket.name,
        text_setting(&bucket.block.body, "bucket").unwrap_or_default()
    );
    let sensitive = crate::classify::words(&label).iter().any(|w| {
        matches!(
            w.as_str(),
            "backup"
                | "backups"
                | "snapshot"
                | "snapshots"
                | "export"
                | "exports"
                | "dump"
                | "dumps"
                | "archive"
                | "phi"
                | "patient"
                | "patients"
                | "rx"
                | "prescriptions"
                | "medical"
                | "health"
                | "ehr"
        )
    });

    let uses_kms = |body: &Body| {
        let mut rules = body.get_blocks("rule").collect::<Vec<_>>();
        if let Some(configuration) = nested(body, "server_side_encryption_configuration") {
            rules.extend(configuration.get_blocks("rule"));
        }
        rules.iter().any(|rule| {
            nested(&rule.body, "apply_server_side_encryption_by_default").is_some_and(|d| {
                text_setting(d, "sse_algorithm").is_some_and(|a| a.starts_with("aws:kms"))
            })
        })
    };

    let configured = uses_kms(&bucket.block.body)
        || file
            .attached("aws_s3_bucket_server_side_encryption_configuration", bucket)
            .iter()
            .any(|c| uses_kms(&c.block.body));
    if sensitive && !configured {
        let address = bucket.address();
        findings.push(
            RawFinding::new(
                RuleId::ProviderManagedKey,
                bucket.offset(),
                format!("{address}: encrypted by S3 default, but not under a customer-managed key"),
            )
            .because(
                "the bucket name suggests backups or exports; S3 applies SSE-S3 by default, and \
                 no aws:kms encryption configuration is attached",
            )
            .resource(address)
            .severity(Severity::Info),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<RuleId> {
        analyze(text).unwrap().into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn an_unencrypted_cache_is_found_twice() {
        let text = r#"resource "aws_elasticache_replication_group" "s" {
  replication_group_id = "s"
  engine = "redis"
}"#;
        assert_eq!(rules(text), [RuleId::CacheAtRest, RuleId::InTransit]);
    }

    #[test]
    fn variables_depend_on_input() {
        let text = r#"resource "aws_elasticache_replication_group" "s" {
  at_rest_encryption_enabled = var.encrypt
  transit_encryption_enabled = var.env == "prod" ? true : false
  kms_key_id = aws_kms_key.k.arn
}"#;
        assert_eq!(
            rules(text),
            [RuleId::DependsOnInput, RuleId::DependsOnInput]
        );
    }

    #[test]
    fn default_encrypted_services_are_not_unencrypted() {
        let text = r#"resource "aws_backup_vault" "v" { name = "v" }
resource "aws_s3_bucket" "db_backups" { bucket = "acme-db-backups" }
resource "aws_s3_bucket" "assets" { bucket = "acme-assets" }"#;
        assert_eq!(
            rules(text),
            [RuleId::ProviderManagedKey, RuleId::ProviderManagedKey]
        );
    }

    #[test]
    fn syntax_errors_are_reported_with_a_line() {
        assert_eq!(analyze("resource \"x\" {\n  a = \n}").unwrap_err(), 2);
    }
}
