//! Configuration: thresholds, eviction targets, hysteresis, alerts and scoring weights.
//!
//! A [`Config`] always starts from one of four named [`Profile`]s; a config file (TOML) or a
//! config object (JSON, or a JavaScript object in the browser) names the base profile and
//! overrides any field of it ([`PartialConfig`]). Unknown keys are errors, and every value is
//! checked by [`Config::validate`] before a monitor can use it.
//!
//! ```
//! # #[cfg(feature = "toml")] {
//! use mempressure_core::{Config, Profile};
//!
//! let config = Config::from_toml_str(
//!     "profile = \"production\"\n[thresholds]\nwarning = 0.7\n",
//! )
//! .unwrap();
//! assert_eq!(config.profile, Profile::Production);
//! assert_eq!(config.thresholds.warning, 0.7);
//! assert_eq!(config.thresholds.critical, 0.85);
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::duration::serde_ms;
use crate::error::ConfigError;
use crate::level::PressureLevel;

/// A named starting point for a [`Config`].
///
/// | profile | warning | critical | emergency | targets w/c/e | sample interval |
/// |---|---|---|---|---|---|
/// | `default` | 0.70 | 0.80 | 0.95 | 0.15 / 0.30 / 0.50 | 5 s |
/// | `development` | 0.60 | 0.75 | 0.90 | 0.15 / 0.30 / 0.50 | 2 s |
/// | `production` | 0.75 | 0.85 | 0.95 | 0.15 / 0.30 / 0.50 | 10 s |
/// | `low_memory` | 0.50 | 0.65 | 0.80 | 0.25 / 0.50 / 0.75 | 5 s |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Balanced defaults for a desktop or server program.
    #[default]
    Default,
    /// Earlier thresholds and faster sampling, to see pressure while developing.
    Development,
    /// Later thresholds and slower sampling for busy servers.
    Production,
    /// Early thresholds and larger eviction targets for small devices and tight containers.
    LowMemory,
}

impl Profile {
    /// Every profile, in the order of the table above.
    pub const ALL: [Profile; 4] = [
        Profile::Default,
        Profile::Development,
        Profile::Production,
        Profile::LowMemory,
    ];

    /// The profile's name as written in config files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Development => "development",
            Profile::Production => "production",
            Profile::LowMemory => "low_memory",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Profile {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.as_str() == s)
            .ok_or_else(|| ConfigError::UnknownProfile {
                name: s.to_string(),
            })
    }
}

/// Usage fractions (0..1 of total memory used) at which each level is entered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Usage fraction at which `warning` is entered.
    pub warning: f64,
    /// Usage fraction at which `critical` is entered.
    pub critical: f64,
    /// Usage fraction at which `emergency` is entered.
    pub emergency: f64,
}

impl Thresholds {
    /// The threshold that enters `level`; `None` for `normal`, which has none.
    pub fn for_level(&self, level: PressureLevel) -> Option<f64> {
        match level {
            PressureLevel::Normal => None,
            PressureLevel::Warning => Some(self.warning),
            PressureLevel::Critical => Some(self.critical),
            PressureLevel::Emergency => Some(self.emergency),
        }
    }
}

/// Fractions of the registered caches' bytes to ask back at each level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvictionTargets {
    /// Fraction of cache bytes to evict at `warning`.
    pub warning: f64,
    /// Fraction of cache bytes to evict at `critical`.
    pub critical: f64,
    /// Fraction of cache bytes to evict at `emergency`.
    pub emergency: f64,
}

impl EvictionTargets {
    /// The target fraction at `level`; `None` at `normal`, where nothing is evicted.
    pub fn for_level(&self, level: PressureLevel) -> Option<f64> {
        match level {
            PressureLevel::Normal => None,
            PressureLevel::Warning => Some(self.warning),
            PressureLevel::Critical => Some(self.critical),
            PressureLevel::Emergency => Some(self.emergency),
        }
    }
}

/// What keeps levels and evictions from flapping.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hysteresis {
    /// At `warning`, eviction is due only once usage is more than this above the threshold.
    pub enable_delta: f64,
    /// A level is left only when usage falls below its threshold minus this band.
    pub exit_band: f64,
    /// Minimum time between two evictions at the same or a lower level, in milliseconds.
    #[serde(rename = "eviction_cooldown", with = "serde_ms")]
    pub eviction_cooldown_ms: u64,
}

/// Which levels raise alerts for a person, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Levels that raise an alert while the monitor is at them.
    pub levels: Vec<PressureLevel>,
    /// Minimum time between two alerts of the same level, in milliseconds.
    #[serde(rename = "cooldown", with = "serde_ms")]
    pub cooldown_ms: u64,
}

/// Weights of the four factors of a cache's priority score; see [`crate::priority`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Weight of the time since last access.
    pub age: f64,
    /// Weight of the cache's size in bytes.
    pub size: f64,
    /// Weight of how rarely the cache is accessed.
    pub access: f64,
    /// Weight of the cache type's priority.
    #[serde(rename = "type")]
    pub type_: f64,
}

/// How caches are ranked for eviction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// The factor weights.
    pub weights: Weights,
    /// Priority by cache type; higher is evicted first.
    pub type_priorities: BTreeMap<String, f64>,
    /// Priority of a cache type not listed in `type_priorities`.
    pub default_type_priority: f64,
}

impl Scoring {
    /// The priority of a cache type (higher is evicted first).
    pub fn type_priority(&self, cache_type: &str) -> f64 {
        self.type_priorities
            .get(cache_type)
            .copied()
            .unwrap_or(self.default_type_priority)
    }
}

/// How often to sample while pressure is elevated or rising.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
    /// The interval while the level is warning or above, or usage is rising toward the
    /// emergency threshold, in milliseconds (the profile's interval divided by 5 by default).
    #[serde(rename = "elevated_interval", with = "serde_ms")]
    pub elevated_interval_ms: u64,
}

/// Raising the level early when usage is rising fast toward the emergency threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trend {
    /// When true, a predicted time to exhaustion under `horizon` raises the level one step
    /// (never above critical on prediction alone). Off by default.
    pub enabled: bool,
    /// The time to exhaustion under which the level is raised, in milliseconds.
    #[serde(rename = "horizon", with = "serde_ms")]
    pub horizon_ms: u64,
    /// The time constant of the smoothed usage slope, in milliseconds.
    #[serde(rename = "smoothing", with = "serde_ms")]
    pub smoothing_ms: u64,
}

/// Stall-pressure thresholds: `some avg10` percentages (0..100) that enter each level.
/// Each is optional; none is set by default.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsiThresholds {
    /// `some avg10` percentage that enters `warning`.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub warning: Option<f64>,
    /// `some avg10` percentage that enters `critical`.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub critical: Option<f64>,
    /// `some avg10` percentage that enters `emergency`.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub emergency: Option<f64>,
}

impl PsiThresholds {
    /// The threshold that enters `level`, if set.
    pub fn for_level(&self, level: PressureLevel) -> Option<f64> {
        match level {
            PressureLevel::Normal => None,
            PressureLevel::Warning => self.warning,
            PressureLevel::Critical => self.critical,
            PressureLevel::Emergency => self.emergency,
        }
    }
}

/// Checking that an eviction brought relief.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relief {
    /// When true, an eviction whose freed bytes do not show up as lower usage within
    /// `window` is reported, and the next eviction is not held back by the cooldown.
    pub enabled: bool,
    /// How long to wait for relief after an eviction, in milliseconds.
    #[serde(rename = "window", with = "serde_ms")]
    pub window_ms: u64,
}

/// A complete, validated set of rules for a [`crate::PressureMonitor`].
///
/// Serialises to the same shape a config file has, with durations as text (`"30s"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The profile this config started from.
    pub profile: Profile,
    /// How often the adapters take a sample, in milliseconds.
    #[serde(rename = "sample_interval", with = "serde_ms")]
    pub sample_interval_ms: u64,
    /// When false the monitor is a dry run: it reports levels, plans and alerts but asks no
    /// cache to evict.
    pub auto_eviction: bool,
    /// Level entry thresholds.
    pub thresholds: Thresholds,
    /// Eviction target fractions.
    pub eviction_targets: EvictionTargets,
    /// Flap protection.
    pub hysteresis: Hysteresis,
    /// Alert rules.
    pub alerts: Alerts,
    /// Eviction ranking.
    pub scoring: Scoring,
    /// Faster sampling under pressure.
    pub sampling: Sampling,
    /// Early warning from the usage trend.
    pub trend: Trend,
    /// Levels from stall pressure.
    pub psi: PsiThresholds,
    /// Relief checks after evictions.
    pub relief: Relief,
}

/// The documented default exit band: a level is left 5 points of usage below its threshold.
pub const DEFAULT_EXIT_BAND: f64 = 0.05;

impl Default for Config {
    fn default() -> Self {
        Config::profile(Profile::Default)
    }
}

impl Config {
    /// The config of a named profile, unchanged.
    ///
    /// ```
    /// use mempressure_core::{Config, Profile};
    ///
    /// let low = Config::profile(Profile::LowMemory);
    /// assert_eq!(low.thresholds.warning, 0.50);
    /// assert_eq!(low.eviction_targets.emergency, 0.75);
    /// ```
    pub fn profile(profile: Profile) -> Config {
        let (thresholds, targets, interval_ms) = match profile {
            Profile::Default => ([0.70, 0.80, 0.95], [0.15, 0.30, 0.50], 5_000),
            Profile::Development => ([0.60, 0.75, 0.90], [0.15, 0.30, 0.50], 2_000),
            Profile::Production => ([0.75, 0.85, 0.95], [0.15, 0.30, 0.50], 10_000),
            Profile::LowMemory => ([0.50, 0.65, 0.80], [0.25, 0.50, 0.75], 5_000),
        };

        let type_priorities = [
            ("validation_cache", 3.0),
            ("resize_cache", 2.0),
            ("frame_cache", 1.0),
        ]
        .into_iter()
        .map(|(name, priority)| (name.to_string(), priority))
        .collect();

        Config {
            profile,
            sample_interval_ms: interval_ms,
            auto_eviction: true,
            thresholds: Thresholds {
                warning: thresholds[0],
                critical: thresholds[1],
                emergency: thresholds[2],
            },
            eviction_targets: EvictionTargets {
                warning: targets[0],
                critical: targets[1],
                emergency: targets[2],
            },
            hysteresis: Hysteresis {
                enable_delta: 0.05,
                exit_band: DEFAULT_EXIT_BAND,
                eviction_cooldown_ms: 30_000,
            },
            alerts: Alerts {
                levels: vec![PressureLevel::Critical, PressureLevel::Emergency],
                cooldown_ms: 300_000,
            },
            scoring: Scoring {
                weights: Weights {
                    age: 0.4,
                    size: 0.3,
                    access: 0.2,
                    type_: 0.1,
                },
                type_priorities,
                default_type_priority: 2.0,
            },
            sampling: Sampling {
                elevated_interval_ms: interval_ms / 5,
            },
            trend: Trend {
                enabled: false,
                horizon_ms: 30_000,
                smoothing_ms: 10_000,
            },
            psi: PsiThresholds::default(),
            relief: Relief {
                enabled: false,
                window_ms: 10_000,
            },
        }
    }

    /// Sets the resting sample interval, keeping the interval under pressure no longer.
    ///
    /// ```
    /// let mut config = mempressure_core::Config::default();
    /// config.set_sample_interval_ms(200);
    /// assert_eq!((config.sample_interval_ms, config.sampling.elevated_interval_ms), (200, 200));
    /// ```
    pub fn set_sample_interval_ms(&mut self, ms: u64) {
        self.sample_interval_ms = ms;
        self.sampling.elevated_interval_ms = self.sampling.elevated_interval_ms.min(ms);
    }

    /// Reads a TOML config file's text: a base profile plus overrides (feature `toml`).
    ///
    /// # Errors
    /// [`ConfigError::Syntax`] with line and column for malformed TOML, unknown keys and
    /// values of the wrong type; the validation errors of [`Config::validate`] otherwise.
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let syntax = |e: &toml::de::Error, path: &str| {
            let (line, column) = match e.span() {
                Some(span) => line_and_column(text, span.start),
                None => (0, 0),
            };
            let message = e.message().trim_end();
            let message = match path {
                "." | "" => message.to_string(),
                path => format!("{path}: {message}"),
            };
            ConfigError::Syntax {
                format: "TOML",
                line,
                column,
                message,
            }
        };

        let deserializer = toml::de::Deserializer::parse(text).map_err(|e| syntax(&e, ""))?;
        let partial: PartialConfig = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| syntax(e.inner(), &e.path().to_string()))?;
        partial.into_config()
    }

    /// Reads a JSON config object: a base profile plus overrides, with the same keys as TOML.
    ///
    /// # Errors
    /// As [`Config::from_toml_str`].
    pub fn from_json_str(text: &str) -> Result<Config, ConfigError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let partial: PartialConfig =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let message = crate::trace::strip_serde_position(&inner.to_string());
                let message = if path == "." {
                    message
                } else {
                    format!("{path}: {message}")
                };
                ConfigError::Syntax {
                    format: "JSON",
                    line: inner.line(),
                    column: inner.column(),
                    message,
                }
            })?;
        partial.into_config()
    }

    /// Writes the whole config as TOML that [`Config::from_toml_str`] reads back unchanged
    /// (feature `toml`).
    #[cfg(feature = "toml")]
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self)
            .expect("a Config always serialises to TOML: no maps with non-string keys")
    }

    /// Checks every value; a config that passes can drive a monitor.
    ///
    /// # Errors
    /// - [`ConfigError::OutOfRange`] for a threshold or target outside (0, 1], a band or delta
    ///   outside [0, 1), a zero sample interval, a negative or non-finite weight or priority,
    ///   or NaN anywhere;
    /// - [`ConfigError::NotIncreasing`] when thresholds are not strictly increasing;
    /// - [`ConfigError::Invalid`] for alert levels that include `normal`, or weights that sum
    ///   to zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fractions = [
            ("thresholds.warning", self.thresholds.warning),
            ("thresholds.critical", self.thresholds.critical),
            ("thresholds.emergency", self.thresholds.emergency),
            ("eviction_targets.warning", self.eviction_targets.warning),
            ("eviction_targets.critical", self.eviction_targets.critical),
            (
                "eviction_targets.emergency",
                self.eviction_targets.emergency,
            ),
        ];
        for (field, value) in fractions {
            check_range(field, value, "in (0, 1]", |v| v > 0.0 && v <= 1.0)?;
        }

        let ordered = [
            ("thresholds.warning", self.thresholds.warning),
            ("thresholds.critical", self.thresholds.critical),
            ("thresholds.emergency", self.thresholds.emergency),
        ];
        for pair in ordered.windows(2) {
            let ((lower_field, lower), (upper_field, upper)) = (pair[0], pair[1]);
            if lower >= upper {
                return Err(ConfigError::NotIncreasing {
                    lower_field,
                    lower,
                    upper_field,
                    upper,
                });
            }
        }

        let bands = [
            ("hysteresis.enable_delta", self.hysteresis.enable_delta),
            ("hysteresis.exit_band", self.hysteresis.exit_band),
        ];
        for (field, value) in bands {
            check_range(field, value, "in [0, 1)", |v| (0.0..1.0).contains(&v))?;
        }

        let warning = self.thresholds.warning;
        if self.hysteresis.exit_band >= warning {
            return Err(ConfigError::Invalid {
                field: "hysteresis.exit_band".to_string(),
                message: format!(
                    "{} is not below thresholds.warning = {warning}: warning could never be left",
                    self.hysteresis.exit_band
                ),
            });
        }

        if self.sample_interval_ms == 0 {
            return Err(ConfigError::OutOfRange {
                field: "sample_interval".to_string(),
                value: 0.0,
                expected: "more than 0 ms",
            });
        }

        self.validate_alerts()?;
        self.validate_scoring()?;
        self.validate_reaction()
    }

    fn validate_reaction(&self) -> Result<(), ConfigError> {
        let positive = [
            (
                "sampling.elevated_interval",
                self.sampling.elevated_interval_ms,
            ),
            ("trend.horizon", self.trend.horizon_ms),
            ("trend.smoothing", self.trend.smoothing_ms),
            ("relief.window", self.relief.window_ms),
        ];
        for (field, ms) in positive {
            if ms == 0 {
                let field = field.to_string();
                return Err(ConfigError::OutOfRange {
                    field,
                    value: 0.0,
                    expected: "more than 0 ms",
                });
            }
        }
        if self.sampling.elevated_interval_ms > self.sample_interval_ms {
            return Err(ConfigError::Invalid {
                field: "sampling.elevated_interval".to_string(),
                message: format!(
                    "{} is longer than sample_interval ({}): \
                     sampling under pressure would be slower",
                    crate::format_duration_ms(self.sampling.elevated_interval_ms),
                    crate::format_duration_ms(self.sample_interval_ms)
                ),
            });
        }

        let psi = [
            ("psi.warning", self.psi.warning),
            ("psi.critical", self.psi.critical),
            ("psi.emergency", self.psi.emergency),
        ];
        let mut previous: Option<(&'static str, f64)> = None;
        for (field, value) in psi {
            let Some(value) = value else { continue };
            check_range(field, value, "a percentage in (0, 100]", |v| {
                v > 0.0 && v <= 100.0
            })?;
            if let Some((lower_field, lower)) = previous
                && lower >= value
            {
                return Err(ConfigError::Invalid {
                    field: field.to_string(),
                    message: format!("{value} is not above {lower_field} = {lower}"),
                });
            }
            previous = Some((field, value));
        }
        Ok(())
    }

    fn validate_alerts(&self) -> Result<(), ConfigError> {
        if self.alerts.levels.contains(&PressureLevel::Normal) {
            return Err(ConfigError::Invalid {
                field: "alerts.levels".to_string(),
                message: "\"normal\" cannot raise an alert; use warning, critical or emergency"
                    .to_string(),
            });
        }
        Ok(())
    }

    fn validate_scoring(&self) -> Result<(), ConfigError> {
        let w = &self.scoring.weights;
        let weights = [
            ("scoring.weights.age", w.age),
            ("scoring.weights.size", w.size),
            ("scoring.weights.access", w.access),
            ("scoring.weights.type", w.type_),
        ];
        let non_negative = |v: f64| v.is_finite() && v >= 0.0;
        for (field, value) in weights {
            check_range(field, value, "a finite number >= 0", non_negative)?;
        }
        let sum = w.age + w.size + w.access + w.type_;
        if sum <= 0.0 || !sum.is_finite() {
            return Err(ConfigError::Invalid {
                field: "scoring.weights".to_string(),
                message: format!("the weights sum to {sum}; the sum must be above 0 and finite"),
            });
        }

        let default = self.scoring.default_type_priority;
        check_range(
            "scoring.default_type_priority",
            default,
            "a finite number >= 0",
            non_negative,
        )?;
        for (name, &value) in &self.scoring.type_priorities {
            let field = format!("scoring.type_priorities.{name}");
            check_range(&field, value, "a finite number >= 0", non_negative)?;
        }
        Ok(())
    }
}

fn check_range(
    field: &str,
    value: f64,
    expected: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<(), ConfigError> {
    if value.is_nan() || !ok(value) {
        return Err(ConfigError::OutOfRange {
            field: field.to_string(),
            value,
            expected,
        });
    }
    Ok(())
}

/// 1-based line and column of a byte offset in `text`.
#[cfg(feature = "toml")]
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A config file or object: a base profile and any fields to override, all optional.
///
/// Every table is optional and so is every key in it; what is missing comes from the profile
/// (`default` when `profile` is missing). Unknown keys are errors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialConfig {
    /// Base profile; `default` when missing.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Override of [`Config::sample_interval_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sample_interval: Option<u64>,
    /// Override of [`Config::auto_eviction`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub auto_eviction: Option<bool>,
    /// Overrides of [`Config::thresholds`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<PartialLevels>,
    /// Overrides of [`Config::eviction_targets`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub eviction_targets: Option<PartialLevels>,
    /// Overrides of [`Config::hysteresis`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub hysteresis: Option<PartialHysteresis>,
    /// Overrides of [`Config::alerts`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub alerts: Option<PartialAlerts>,
    /// Overrides of [`Config::scoring`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub scoring: Option<PartialScoring>,
    /// Overrides of [`Config::sampling`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub sampling: Option<PartialSampling>,
    /// Overrides of [`Config::trend`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub trend: Option<PartialTrend>,
    /// Overrides of [`Config::psi`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub psi: Option<PsiThresholds>,
    /// Overrides of [`Config::relief`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub relief: Option<PartialRelief>,
}

/// Optional sampling overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialSampling {
    /// Override of [`Sampling::elevated_interval_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub elevated_interval: Option<u64>,
}

/// Optional trend overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialTrend {
    /// Override of [`Trend::enabled`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Override of [`Trend::horizon_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub horizon: Option<u64>,
    /// Override of [`Trend::smoothing_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub smoothing: Option<u64>,
}

/// Optional relief overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialRelief {
    /// Override of [`Relief::enabled`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Override of [`Relief::window_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub window: Option<u64>,
}

/// Optional per-level values (thresholds or eviction targets).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialLevels {
    /// Value at `warning`.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub warning: Option<f64>,
    /// Value at `critical`.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub critical: Option<f64>,
    /// Value at `emergency`.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub emergency: Option<f64>,
}

/// Optional hysteresis overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialHysteresis {
    /// Override of [`Hysteresis::enable_delta`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub enable_delta: Option<f64>,
    /// Override of [`Hysteresis::exit_band`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub exit_band: Option<f64>,
    /// Override of [`Hysteresis::eviction_cooldown_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub eviction_cooldown: Option<u64>,
}

/// Optional alert overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialAlerts {
    /// Override of [`Alerts::levels`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<PressureLevel>>,
    /// Override of [`Alerts::cooldown_ms`].
    #[serde(
        default,
        with = "serde_ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub cooldown: Option<u64>,
}

/// Optional scoring overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialScoring {
    /// Overrides of single weights.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub weights: Option<PartialWeights>,
    /// Type priorities to add or replace; types not named keep the profile's priority.
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub type_priorities: Option<BTreeMap<String, f64>>,
    /// Override of [`Scoring::default_type_priority`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub default_type_priority: Option<f64>,
}

/// Optional weight overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialWeights {
    /// Override of [`Weights::age`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub age: Option<f64>,
    /// Override of [`Weights::size`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    /// Override of [`Weights::access`].
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub access: Option<f64>,
    /// Override of [`Weights::type_`].
    #[serde(rename = "type")]
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    pub type_: Option<f64>,
}

/// Serde helper for an optional key: missing means "keep the profile's value", but a
/// key that is there must hold a value. `null` is refused, never read as "not set":
/// JSON writers (`JSON.stringify` and serde_json among them) write NaN and infinite
/// numbers as `null`, and a NaN threshold must not fall back to the profile's silently.
mod present {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The error text for a `null` value.
    pub(super) const NULL: &str = "null is not a value: leave the key out to keep the \
        profile's value (NaN and infinite numbers become null in JSON)";

    pub fn serialize<S, T>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        value.serialize(serializer)
    }

    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        match Option::<T>::deserialize(deserializer)? {
            Some(value) => Ok(Some(value)),
            None => Err(D::Error::custom(NULL)),
        }
    }
}

mod serde_ms_option {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => super::serde_ms::serialize(ms, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        super::serde_ms::deserialize_option(d)
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

impl PartialLevels {
    fn apply(self, warning: &mut f64, critical: &mut f64, emergency: &mut f64) {
        set(warning, self.warning);
        set(critical, self.critical);
        set(emergency, self.emergency);
    }
}

impl PartialConfig {
    /// Applies the overrides to the base profile and validates the result.
    ///
    /// # Errors
    /// The errors of [`Config::validate`].
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let mut config = Config::profile(self.profile.unwrap_or_default());
        set(&mut config.sample_interval_ms, self.sample_interval);
        set(&mut config.auto_eviction, self.auto_eviction);

        if let Some(t) = self.thresholds {
            let c = &mut config.thresholds;
            t.apply(&mut c.warning, &mut c.critical, &mut c.emergency);
        }
        if let Some(t) = self.eviction_targets {
            let c = &mut config.eviction_targets;
            t.apply(&mut c.warning, &mut c.critical, &mut c.emergency);
        }
        if let Some(h) = self.hysteresis {
            set(&mut config.hysteresis.enable_delta, h.enable_delta);
            set(&mut config.hysteresis.exit_band, h.exit_band);
            set(
                &mut config.hysteresis.eviction_cooldown_ms,
                h.eviction_cooldown,
            );
        }
        if let Some(a) = self.alerts {
            set(&mut config.alerts.levels, a.levels);
            set(&mut config.alerts.cooldown_ms, a.cooldown);
        }
        if let Some(s) = self.scoring {
            let scoring = &mut config.scoring;
            if let Some(w) = s.weights {
                set(&mut scoring.weights.age, w.age);
                set(&mut scoring.weights.size, w.size);
                set(&mut scoring.weights.access, w.access);
                set(&mut scoring.weights.type_, w.type_);
            }
            scoring
                .type_priorities
                .extend(s.type_priorities.unwrap_or_default());
            set(&mut scoring.default_type_priority, s.default_type_priority);
        }
        if let Some(sampling) = self.sampling {
            set(
                &mut config.sampling.elevated_interval_ms,
                sampling.elevated_interval,
            );
        } else if self.sample_interval.is_some() {
            // A new base interval without an interval under pressure keeps the profile's
            // ratio of 5 to 1.
            config.sampling.elevated_interval_ms = (config.sample_interval_ms / 5).max(1);
        }
        if let Some(t) = self.trend {
            set(&mut config.trend.enabled, t.enabled);
            set(&mut config.trend.horizon_ms, t.horizon);
            set(&mut config.trend.smoothing_ms, t.smoothing);
        }
        if let Some(psi) = self.psi {
            config.psi = psi;
        }
        if let Some(r) = self.relief {
            set(&mut config.relief.enabled, r.enabled);
            set(&mut config.relief.window_ms, r.window);
        }

        config.validate()?;
        Ok(config)
    }
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

    #[test]
    fn profiles_have_the_documented_values() {
        let d = Config::profile(Profile::Default);
        assert_eq!(
            (
                d.thresholds.warning,
                d.thresholds.critical,
                d.thresholds.emergency
            ),
            (0.70, 0.80, 0.95)
        );
        assert_eq!(d.sample_interval_ms, 5_000);
        assert_eq!(d.hysteresis.eviction_cooldown_ms, 30_000);
        assert_eq!(d.alerts.cooldown_ms, 300_000);
        assert!(d.auto_eviction);

        let dev = Config::profile(Profile::Development);
        assert_eq!(
            (dev.thresholds.warning, dev.thresholds.emergency),
            (0.60, 0.90)
        );
        assert_eq!(dev.sample_interval_ms, 2_000);

        let prod = Config::profile(Profile::Production);
        assert_eq!(
            (prod.thresholds.warning, prod.thresholds.critical),
            (0.75, 0.85)
        );
        assert_eq!(prod.sample_interval_ms, 10_000);

        let low = Config::profile(Profile::LowMemory);
        assert_eq!(low.eviction_targets.warning, 0.25);
        assert_eq!(low.eviction_targets.critical, 0.50);
        for profile in Profile::ALL {
            Config::profile(profile).validate().unwrap();
        }
    }

    #[test]
    fn the_issue_example_file_parses() {
        let text = r#"
profile = "production"
sample_interval = "10s"
auto_eviction = true
[thresholds]
warning = 0.75
critical = 0.85
emergency = 0.95
[eviction_targets]
warning = 0.15
critical = 0.30
emergency = 0.50
[hysteresis]
enable_delta = 0.05
exit_band = 0.05
eviction_cooldown = "30s"
[alerts]
levels = ["critical", "emergency"]
cooldown = "300s"
[scoring]
weights = { age = 0.4, size = 0.3, access = 0.2, type = 0.1 }
type_priorities = { validation_cache = 3.0, resize_cache = 2.0, frame_cache = 1.0 }
"#;
        let config = Config::from_toml_str(text).unwrap();
        assert_eq!(config, Config::profile(Profile::Production));
    }

    #[test]
    fn overrides_keep_the_rest_of_the_profile() {
        let config =
            Config::from_toml_str("profile = \"low_memory\"\n[hysteresis]\nexit_band = 0.02\n")
                .unwrap();
        let mut expected = Config::profile(Profile::LowMemory);
        expected.hysteresis.exit_band = 0.02;
        assert_eq!(config, expected);
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let err = Config::from_toml_str("[thresholds]\nwarning = 0.7\nwarnin = 0.8\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("warnin"), "{text}");
    }

    #[test]
    fn unknown_profile_is_an_error() {
        let err = Config::from_toml_str("profile = \"fast\"\n").unwrap_err();
        assert!(err.to_string().contains("fast"), "{err}");
    }

    #[test]
    fn thresholds_out_of_order_are_rejected() {
        let err = Config::from_toml_str("[thresholds]\nwarning = 0.9\n").unwrap_err();
        assert_eq!(
            err,
            ConfigError::NotIncreasing {
                lower_field: "thresholds.warning",
                lower: 0.9,
                upper_field: "thresholds.critical",
                upper: 0.8,
            }
        );
    }

    #[test]
    fn out_of_range_values_are_rejected_by_name() {
        let cases = [
            ("[thresholds]\nemergency = 1.5\n", "thresholds.emergency"),
            ("[thresholds]\nwarning = 0.0\n", "thresholds.warning"),
            (
                "[eviction_targets]\ncritical = 0\n",
                "eviction_targets.critical",
            ),
            (
                "[eviction_targets]\ncritical = 1.01\n",
                "eviction_targets.critical",
            ),
            ("[thresholds]\nwarning = nan\n", "thresholds.warning"),
            ("[hysteresis]\nexit_band = -0.1\n", "hysteresis.exit_band"),
            ("[scoring.weights]\nage = -1\n", "scoring.weights.age"),
            ("sample_interval = \"0s\"\n", "sample_interval"),
            ("[hysteresis]\nexit_band = 0.75\n", "hysteresis.exit_band"),
            (
                "[scoring.weights]\nage = 1e308\nsize = 1e308\n",
                "scoring.weights",
            ),
            ("sample_interval = 5\n", "sample_interval"),
        ];
        for (text, field) in cases {
            let err = Config::from_toml_str(text).unwrap_err();
            assert!(err.to_string().contains(field), "{text:?} gave {err}");
        }
    }

    #[test]
    fn negative_durations_are_rejected() {
        let err = Config::from_toml_str("[hysteresis]\neviction_cooldown = \"-5s\"\n").unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
        let err = Config::from_json_str(r#"{"alerts":{"cooldown":-5}}"#).unwrap_err();
        assert!(
            err.to_string().contains("a duration with its unit"),
            "{err}"
        );
    }

    #[test]
    fn json_null_is_an_error_naming_the_key_not_the_profile_value() {
        let cases = [
            (r#"{"thresholds":{"warning":null}}"#, "thresholds.warning: "),
            (
                r#"{"hysteresis":{"exit_band":null}}"#,
                "hysteresis.exit_band: ",
            ),
            (
                r#"{"scoring":{"weights":{"type":null}}}"#,
                "scoring.weights.type: ",
            ),
            (r#"{"psi":{"critical":null}}"#, "psi.critical: "),
            (r#"{"auto_eviction":null}"#, "auto_eviction: "),
            (r#"{"profile":null}"#, "profile: "),
            (r#"{"trend":null}"#, "trend: "),
        ];

        for (text, path) in cases {
            let err = Config::from_json_str(text).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{path}{}", super::present::NULL)),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn config_with_psi_set_and_unset_round_trips_through_json() {
        let mut config = Config::default();
        config.psi.warning = Some(10.0);

        let text = serde_json::to_string(&config).unwrap();

        assert!(!text.contains("null"), "{text}");
        assert_eq!(Config::from_json_str(&text).unwrap(), config);
    }

    #[test]
    fn normal_cannot_alert() {
        let err = Config::from_toml_str("[alerts]\nlevels = [\"normal\"]\n").unwrap_err();
        assert!(err.to_string().contains("alerts.levels"), "{err}");
    }

    #[test]
    fn json_uses_the_same_keys() {
        let config = Config::from_json_str(concat!(
            r#"{"profile":"development","sample_interval":"500ms","#,
            r#""scoring":{"type_priorities":{"thumbs":5}}}"#,
        ))
        .unwrap();
        assert_eq!(config.sample_interval_ms, 500);
        assert_eq!(config.scoring.type_priority("thumbs"), 5.0);
        assert_eq!(config.scoring.type_priority("frame_cache"), 1.0);
        assert_eq!(config.scoring.type_priority("other"), 2.0);
    }

    /// Found by the property tests: without serde_json's `float_roundtrip` a number could
    /// read back one unit in the last place off, so a config did not survive JSON.
    #[test]
    fn json_numbers_read_back_exactly() {
        let text = concat!(
            r#"{"thresholds":{"warning":0.5,"critical":0.6720869870141526,"#,
            r#""emergency":0.9902744926567945}}"#,
        );
        let config = Config::from_json_str(text).unwrap();
        assert_eq!(config.thresholds.emergency, 0.9902744926567945);
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(Config::from_json_str(&json).unwrap(), config);
    }

    #[test]
    fn every_profile_round_trips_through_toml() {
        for profile in Profile::ALL {
            let config = Config::profile(profile);
            assert_eq!(
                Config::from_toml_str(&config.to_toml_string()).unwrap(),
                config
            );
        }
    }
}
