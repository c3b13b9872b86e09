//! The detectors' configuration: one typed struct, every threshold with its default here.
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `dedup.window_minutes` | 60 | a repeat this soon after an alert's last event folds in |
//! | `dedup.evidence_cap` | 50 | evidence references kept per alert (all are counted) |
//! | `denied_burst.threshold` | 20 | refused events by one actor that make a burst |
//! | `denied_burst.window_minutes` | 5 | the longest time those refusals may span |
//! | `bulk_read.floor` | 100 | reads per hour that never alert; the threshold until history |
//! | `bulk_read.multiplier` | 3.0 | times the baseline an hour must exceed |
//! | `bulk_read.quantile` | 0.95 | the quantile of past active hours that is the baseline |
//! | `bulk_read.min_active_hours` | 20 | active hours of history before the baseline is used |
//! | `bulk_read.history_hours` | 720 | most recent active hours the baseline remembers |
//! | `bulk_export.threshold` | 100 | distinct subjects in one request, or an event's `count` |
//! | `bulk_export.request_idle_minutes` | 15 | a request id unseen this long is forgotten |
//! | `off_hours.business_hours` | mon–fri 07:00–19:00 | hours of tenants without their own |
//! | `off_hours.tenants.<tenant>` | none | a tenant's `time_zone` and `business_hours` |
//! | `dormant_actor.idle_days` | 30 | idle days after which acting again alerts |
//! | `new_network.ignore_loopback` | true | loopback ranges are neither learnt nor alerted on |
//!
//! Every rule has `enabled = true` by default; a rule is off only where the configuration says
//! `enabled = false` for it.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use phiguard_core::{DetectionRule, TenantId};
use serde::{Deserialize, Serialize};

use crate::hours::BusinessHours;

/// Why a detection configuration cannot be used.
///
/// Each message names the key and what to write instead. Configuration holds no PHI, so
/// values are quoted where that helps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The text is not TOML, has a key this version does not know, or a value of the wrong
    /// type.
    #[error(
        "the detection configuration could not be read ({0}); the keys and their defaults are \
         listed in the documentation of DetectConfig"
    )]
    Syntax(String),
    /// A number lies outside what the key accepts.
    #[error("{key} is {value}, but it must be {allowed}; {fix}")]
    OutOfRange {
        /// The dotted key, such as `denied_burst.threshold`.
        key: String,
        /// The value written.
        value: String,
        /// The accepted values, in words.
        allowed: &'static str,
        /// What to write instead.
        fix: &'static str,
    },
    /// A time zone name is not in the IANA database bundled with phiguard.
    #[error(
        "{key} does not name a time zone of the IANA database; write a name such as \
         America/Chicago or America/New_York"
    )]
    UnknownTimeZone {
        /// The dotted key.
        key: String,
    },
    /// Business hours that cannot be applied.
    #[error("{key} {problem}")]
    BusinessHours {
        /// The dotted key.
        key: String,
        /// What is wrong and how to fix it.
        problem: &'static str,
    },
}

/// The configuration of every detector.
///
/// Read it with [`DetectConfig::from_toml`] (which also validates) or build it in code and
/// call [`DetectConfig::validate`]. Unknown keys are refused, so a misspelt key cannot silently
/// leave a default in place.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// How repeats fold into one alert.
    pub dedup: DedupConfig,
    /// [`DetectionRule::DeniedBurst`].
    pub denied_burst: DeniedBurstConfig,
    /// [`DetectionRule::CrossTenant`].
    pub cross_tenant: RuleSwitch,
    /// [`DetectionRule::BulkRead`].
    pub bulk_read: BulkReadConfig,
    /// [`DetectionRule::BulkExport`].
    pub bulk_export: BulkExportConfig,
    /// [`DetectionRule::OffHours`].
    pub off_hours: OffHoursConfig,
    /// [`DetectionRule::DormantActor`].
    pub dormant_actor: DormantActorConfig,
    /// [`DetectionRule::BreakGlass`].
    pub break_glass: RuleSwitch,
    /// [`DetectionRule::RecipientWithoutBaa`].
    pub recipient_without_baa: RuleSwitch,
    /// [`DetectionRule::OutsideDeclaredPurpose`].
    pub outside_declared_purpose: RuleSwitch,
    /// [`DetectionRule::NewNetwork`].
    pub new_network: NewNetworkConfig,
}

/// How repeats of one rule for one actor fold into one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// A firing within this many minutes after an open alert's `last_seen` folds into it;
    /// later, a new alert opens. Default 60.
    pub window_minutes: u64,
    /// How many evidence references an alert keeps; `evidence_total` counts them all.
    /// Default 50.
    pub evidence_cap: usize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            window_minutes: 60,
            evidence_cap: 50,
        }
    }
}

/// A rule with nothing to tune but whether it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleSwitch {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
}

impl Default for RuleSwitch {
    fn default() -> Self {
        RuleSwitch { enabled: true }
    }
}

/// Many refused requests by one actor in a short time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeniedBurstConfig {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// How many refused events make a burst. Default 20.
    pub threshold: u64,
    /// The longest time, in minutes, from the first to the last of those events. Default 5.
    pub window_minutes: u64,
}

impl Default for DeniedBurstConfig {
    fn default() -> Self {
        DeniedBurstConfig {
            enabled: true,
            threshold: 20,
            window_minutes: 5,
        }
    }
}

/// PHI reads far above the actor's own hourly baseline.
///
/// Each clock hour (UTC) with at least one PHI read is an *active hour*. The baseline is the
/// `quantile` (nearest rank) of the read counts of the actor's last `history_hours` active
/// hours. An hour alerts once its count exceeds `max(floor, ceil(multiplier × baseline))`, or
/// exceeds `floor` while the actor has fewer than `min_active_hours` of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BulkReadConfig {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Reads per hour that never alert, and the threshold while history is short. Default 100.
    pub floor: u64,
    /// How many times the baseline an hour must exceed. Default 3.0.
    pub multiplier: f64,
    /// Which quantile of past active hours is the baseline, in (0.5, 1]. Default 0.95.
    pub quantile: f64,
    /// Active hours of history needed before the baseline is used. Default 20.
    pub min_active_hours: u32,
    /// How many of the most recent active hours the baseline remembers. Default 720.
    pub history_hours: u32,
}

impl Default for BulkReadConfig {
    fn default() -> Self {
        BulkReadConfig {
            enabled: true,
            floor: 100,
            multiplier: 3.0,
            quantile: 0.95,
            min_active_hours: 20,
            history_hours: 720,
        }
    }
}

/// One request that returned or listed many subjects at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BulkExportConfig {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Distinct subjects read within one request, or an event's `count`, that make an export.
    /// Default 100.
    pub threshold: u64,
    /// Minutes after its latest event that a request id is forgotten. Default 15.
    pub request_idle_minutes: u64,
}

impl Default for BulkExportConfig {
    fn default() -> Self {
        BulkExportConfig {
            enabled: true,
            threshold: 100,
            request_idle_minutes: 15,
        }
    }
}

/// PHI access by a person outside the tenant's business hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OffHoursConfig {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Hours for every tenant that neither the directory nor `tenants` gives its own.
    /// Default Monday to Friday, 07:00 to 19:00.
    pub business_hours: BusinessHours,
    /// Per-tenant settings; they take precedence over the directory's.
    pub tenants: BTreeMap<TenantId, TenantHours>,
}

impl Default for OffHoursConfig {
    fn default() -> Self {
        OffHoursConfig {
            enabled: true,
            business_hours: BusinessHours::default(),
            tenants: BTreeMap::new(),
        }
    }
}

/// One tenant's time zone and business hours as configuration gives them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantHours {
    /// An IANA time zone name, such as `America/Chicago`.
    pub time_zone: Option<String>,
    /// The tenant's business hours.
    pub business_hours: Option<BusinessHours>,
}

/// An actor acting again after a long idle time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DormantActorConfig {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Days without activity after which acting again alerts. Default 30.
    pub idle_days: u64,
}

impl Default for DormantActorConfig {
    fn default() -> Self {
        DormantActorConfig {
            enabled: true,
            idle_days: 30,
        }
    }
}

/// A credential used from a network range it has not been seen in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewNetworkConfig {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Whether loopback ranges are ignored (neither learnt nor alerted on). Default true.
    pub ignore_loopback: bool,
}

impl Default for NewNetworkConfig {
    fn default() -> Self {
        NewNetworkConfig {
            enabled: true,
            ignore_loopback: true,
        }
    }
}

impl DetectConfig {
    /// Reads and validates a configuration from TOML text.
    pub fn from_toml(text: &str) -> Result<DetectConfig, ConfigError> {
        let config: DetectConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.message().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    /// Whether a rule runs under this configuration.
    pub fn is_enabled(&self, rule: DetectionRule) -> bool {
        match rule {
            DetectionRule::DeniedBurst => self.denied_burst.enabled,
            DetectionRule::CrossTenant => self.cross_tenant.enabled,
            DetectionRule::BulkRead => self.bulk_read.enabled,
            DetectionRule::BulkExport => self.bulk_export.enabled,
            DetectionRule::OffHours => self.off_hours.enabled,
            DetectionRule::DormantActor => self.dormant_actor.enabled,
            DetectionRule::BreakGlass => self.break_glass.enabled,
            DetectionRule::RecipientWithoutBaa => self.recipient_without_baa.enabled,
            DetectionRule::OutsideDeclaredPurpose => self.outside_declared_purpose.enabled,
            DetectionRule::NewNetwork => self.new_network.enabled,
        }
    }

    /// Checks every value, including those of disabled rules, and the time zone names.
    pub fn validate(&self) -> Result<(), ConfigError> {
        range(
            "dedup.window_minutes",
            self.dedup.window_minutes,
            1,
            7 * 24 * 60,
            "from 1 to 10080 (one week)",
            "write the minutes after an alert's last event in which repeats still fold into it",
        )?;
        range(
            "dedup.evidence_cap",
            self.dedup.evidence_cap as u64,
            1,
            10_000,
            "from 1 to 10000",
            "all evidence is counted in evidence_total whatever the cap",
        )?;

        range(
            "denied_burst.threshold",
            self.denied_burst.threshold,
            1,
            100_000,
            "from 1 to 100000",
            "to turn the rule off write denied_burst.enabled = false",
        )?;
        range(
            "denied_burst.window_minutes",
            self.denied_burst.window_minutes,
            1,
            24 * 60,
            "from 1 to 1440 (one day)",
            "to turn the rule off write denied_burst.enabled = false",
        )?;

        self.validate_bulk_read()?;

        range(
            "bulk_export.threshold",
            self.bulk_export.threshold,
            2,
            10_000_000,
            "from 2 to 10000000",
            "to turn the rule off write bulk_export.enabled = false",
        )?;
        range(
            "bulk_export.request_idle_minutes",
            self.bulk_export.request_idle_minutes,
            1,
            24 * 60,
            "from 1 to 1440 (one day)",
            "write how long after its latest event a request may still add subjects",
        )?;

        range(
            "dormant_actor.idle_days",
            self.dormant_actor.idle_days,
            1,
            3650,
            "from 1 to 3650",
            "to turn the rule off write dormant_actor.enabled = false",
        )?;

        self.validate_off_hours()
    }

    fn validate_bulk_read(&self) -> Result<(), ConfigError> {
        let bulk = &self.bulk_read;
        range(
            "bulk_read.floor",
            bulk.floor,
            1,
            100_000_000,
            "from 1 to 100000000",
            "to turn the rule off write bulk_read.enabled = false",
        )?;
        if !(bulk.multiplier.is_finite() && (1.0..=1000.0).contains(&bulk.multiplier)) {
            return Err(ConfigError::OutOfRange {
                key: "bulk_read.multiplier".into(),
                value: bulk.multiplier.to_string(),
                allowed: "a number from 1.0 to 1000.0",
                fix: "a value below 1 would alert on ordinary hours; 3.0 is the default",
            });
        }
        if !(bulk.quantile.is_finite() && bulk.quantile > 0.5 && bulk.quantile <= 1.0) {
            return Err(ConfigError::OutOfRange {
                key: "bulk_read.quantile".into(),
                value: bulk.quantile.to_string(),
                allowed: "above 0.5 and at most 1.0",
                fix: "the baseline is a high quantile of past hours; 0.95 is the default",
            });
        }
        range(
            "bulk_read.history_hours",
            u64::from(bulk.history_hours),
            1,
            24 * 366,
            "from 1 to 8784 (a year of hours)",
            "write how many recent active hours the baseline remembers",
        )?;
        if bulk.min_active_hours == 0 || bulk.min_active_hours > bulk.history_hours {
            return Err(ConfigError::OutOfRange {
                key: "bulk_read.min_active_hours".into(),
                value: bulk.min_active_hours.to_string(),
                allowed: "from 1 to bulk_read.history_hours",
                fix: "the baseline cannot need more hours than it remembers",
            });
        }
        Ok(())
    }

    fn validate_off_hours(&self) -> Result<(), ConfigError> {
        if let Some(problem) = self.off_hours.business_hours.problem() {
            return Err(ConfigError::BusinessHours {
                key: "off_hours.business_hours".into(),
                problem,
            });
        }

        for (tenant, hours) in &self.off_hours.tenants {
            if let Some(name) = &hours.time_zone
                && TimeZone::get(name).is_err()
            {
                return Err(ConfigError::UnknownTimeZone {
                    key: format!("off_hours.tenants.{tenant}.time_zone"),
                });
            }
            if let Some(problem) = hours.business_hours.as_ref().and_then(|h| h.problem()) {
                return Err(ConfigError::BusinessHours {
                    key: format!("off_hours.tenants.{tenant}.business_hours"),
                    problem,
                });
            }
        }
        Ok(())
    }

    pub(crate) fn dedup_window(&self) -> SignedDuration {
        minutes(self.dedup.window_minutes)
    }
}

/// A whole number of minutes as a duration (saturating; validation keeps values small).
pub(crate) fn minutes(count: u64) -> SignedDuration {
    SignedDuration::from_secs(i64::try_from(count.saturating_mul(60)).unwrap_or(i64::MAX))
}

fn range(
    key: &str,
    value: u64,
    min: u64,
    max: u64,
    allowed: &'static str,
    fix: &'static str,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            key: key.to_owned(),
            value: value.to_string(),
            allowed,
            fix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_run_every_rule() {
        let config = DetectConfig::from_toml("").unwrap();
        assert_eq!(config, DetectConfig::default());
        for rule in DetectionRule::ALL {
            assert!(config.is_enabled(rule), "{rule} is off by default");
        }
        assert_eq!(config.denied_burst.threshold, 20);
        assert_eq!(config.bulk_export.threshold, 100);
        assert_eq!(config.dormant_actor.idle_days, 30);
        assert_eq!(config.dedup.window_minutes, 60);
        assert_eq!(config.dedup.evidence_cap, 50);
        assert_eq!(
            config.off_hours.business_hours.to_string(),
            "mon,tue,wed,thu,fri 07:00-19:00"
        );
    }

    #[test]
    fn the_default_configuration_round_trips_through_toml() {
        let text = toml::to_string(&DetectConfig::default()).unwrap();
        assert_eq!(
            DetectConfig::from_toml(&text).unwrap(),
            DetectConfig::default()
        );
    }

    #[test]
    fn a_rule_is_off_only_when_the_configuration_says_so() {
        let config = DetectConfig::from_toml(
            r#"
            [off_hours]
            [new_network]
            enabled = false
            "#,
        )
        .unwrap();
        assert!(config.is_enabled(DetectionRule::OffHours));
        assert!(!config.is_enabled(DetectionRule::NewNetwork));
    }

    #[test]
    fn misspelt_keys_are_refused() {
        let error = DetectConfig::from_toml("[bulk_read]\nflor = 3\n").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("flor"), "{message}");
        assert!(message.contains("DetectConfig"), "{message}");

        let error = DetectConfig::from_toml("[breakglass]\nenabled = false\n").unwrap_err();
        assert!(matches!(error, ConfigError::Syntax(_)));
    }

    #[test]
    fn out_of_range_values_name_the_key_and_the_fix() {
        let error = DetectConfig::from_toml("[denied_burst]\nthreshold = 0\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "denied_burst.threshold is 0, but it must be from 1 to 100000; to turn the rule \
             off write denied_burst.enabled = false"
        );

        let error = DetectConfig::from_toml("[bulk_read]\nquantile = 0.2\n").unwrap_err();
        assert!(error.to_string().starts_with("bulk_read.quantile is 0.2"));

        let error =
            DetectConfig::from_toml("[bulk_read]\nhistory_hours = 10\nmin_active_hours = 20\n")
                .unwrap_err();
        assert!(error.to_string().contains("bulk_read.min_active_hours"));

        let error = DetectConfig::from_toml("[dedup]\nevidence_cap = 0\n").unwrap_err();
        assert!(error.to_string().starts_with("dedup.evidence_cap is 0"));
    }

    #[test]
    fn tenant_time_zones_and_hours_are_checked() {
        let error = DetectConfig::from_toml(
            "[off_hours.tenants.north]\ntime_zone = \"Eastern Standard\"\n",
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("off_hours.tenants.north.time_zone does not name a time zone"),
            "{error}"
        );

        let error = DetectConfig::from_toml(
            "[off_hours.tenants.north.business_hours]\ndays = [\"mon\"]\nstart = \"09:00\"\n\
             end = \"09:00\"\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("\"00:00\""), "{error}");

        let error = DetectConfig::from_toml(
            "[off_hours.business_hours]\ndays = []\nstart = \"09:00\"\n\
                                     end = \"17:00\"\n",
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("off_hours.enabled = false"),
            "{error}"
        );

        let error = DetectConfig::from_toml(
            "[off_hours.business_hours]\ndays = [\"mon\"]\nstart = \"7am\"\nend = \"17:00\"\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("HH:MM"), "{error}");

        let config = DetectConfig::from_toml(
            "[off_hours.tenants.north]\ntime_zone = \"America/Chicago\"\n\
             [off_hours.tenants.north.business_hours]\ndays = [\"monday\", \"sat\"]\n\
             start = \"06:00\"\nend = \"22:00\"\n",
        )
        .unwrap();
        let north = &config.off_hours.tenants[&"north".parse::<TenantId>().unwrap()];
        assert_eq!(north.time_zone.as_deref(), Some("America/Chicago"));
    }
}
