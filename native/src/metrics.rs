//! The monitor's figures for Prometheus, in the OpenMetrics text format, through the
//! `prometheus-client` crate. The core stays free of them: the native monitor updates them
//! after each check.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `mempressure_memory_usage_ratio` | gauge | |
//! | `mempressure_memory_available_bytes`, `mempressure_memory_total_bytes` | gauge | `source` |
//! | `mempressure_process_resident_bytes` | gauge | |
//! | `mempressure_level` (0 normal .. 3 emergency) | gauge | |
//! | `mempressure_level_state` (1 for the current level, 0 for the others) | gauge | `level` |
//! | `mempressure_cache_bytes`, `mempressure_cache_count` | gauge | `cache_type` |
//! | `mempressure_pressure_events_total` (level entered) | counter | `level` |
//! | `mempressure_evictions_total`, `mempressure_evicted_bytes_total` | counter | `cache_type` |
//! | `mempressure_eviction_target_bytes_total` | counter | `cache_type` |
//! | `mempressure_eviction_failures_total` | counter | |
//! | `mempressure_alerts_total` | counter | `level` |
//! | `mempressure_sample_failures_total`, `mempressure_slow_samples_total` | counter | |
//! | `mempressure_sample_duration_seconds` | histogram | |
//! | `mempressure_last_sample_timestamp_seconds` | gauge | |
//! | `mempressure_seconds_to_exhaustion` (absent while usage is not rising) | gauge | |
//! | `mempressure_memory_stall_some_ratio` (PSI some avg10; absent without PSI) | gauge | |
//! | `mempressure_memory_stall_full_ratio` (PSI full avg10; absent without PSI) | gauge | |
//! | `mempressure_relief_checks_total` | counter | `relieved` |
//! | `mempressure_unrelieved_freed_bytes_total` | counter | |

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mempressure_core::{Event, PressureLevel, TypeBreakdown};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::reading::Reading;

/// The `source` label: where the total came from.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

/// The `level` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabel {
    level: String,
}

/// The `cache_type` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheTypeLabel {
    cache_type: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of one monitor. Cloning shares the same values.
#[derive(Clone, Debug)]
pub struct Metrics {
    usage: FloatGauge,
    available: Family<SourceLabel, Gauge>,
    total: Family<SourceLabel, Gauge>,
    process: Gauge,
    level: Gauge,
    level_state: Family<LevelLabel, Gauge>,
    cache_bytes: Family<CacheTypeLabel, Gauge>,
    cache_count: Family<CacheTypeLabel, Gauge>,
    pressure_events: Family<LevelLabel, Counter>,
    evictions: Family<CacheTypeLabel, Counter>,
    evicted_bytes: Family<CacheTypeLabel, Counter>,
    eviction_target_bytes: Family<CacheTypeLabel, Counter>,
    eviction_failures: Counter,
    alerts: Family<LevelLabel, Counter>,
    sample_failures: Counter,
    slow_samples: Counter,
    sample_duration: Histogram,
    last_sample: FloatGauge,
    seconds_to_exhaustion: Family<Vec<(String, String)>, FloatGauge>,
    stall_some: Family<Vec<(String, String)>, FloatGauge>,
    stall_full: Family<Vec<(String, String)>, FloatGauge>,
    relief_checks: Family<ReliefLabel, Counter>,
    unrelieved_bytes: Counter,
}

/// The `relieved` label of relief checks.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReliefLabel {
    relieved: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics, all at zero.
    pub fn new() -> Metrics {
        // 10 µs to about 170 ms, times 4 per bucket.
        let buckets = exponential_buckets(0.000_01, 4.0, 8);
        let metrics = Metrics {
            usage: FloatGauge::default(),
            available: Family::default(),
            total: Family::default(),
            process: Gauge::default(),
            level: Gauge::default(),
            level_state: Family::default(),
            cache_bytes: Family::default(),
            cache_count: Family::default(),
            pressure_events: Family::default(),
            evictions: Family::default(),
            evicted_bytes: Family::default(),
            eviction_target_bytes: Family::default(),
            eviction_failures: Counter::default(),
            alerts: Family::default(),
            sample_failures: Counter::default(),
            slow_samples: Counter::default(),
            sample_duration: Histogram::new(buckets),
            last_sample: FloatGauge::default(),
            seconds_to_exhaustion: Family::default(),
            stall_some: Family::default(),
            stall_full: Family::default(),
            relief_checks: Family::default(),
            unrelieved_bytes: Counter::default(),
        };
        for level in PressureLevel::ALL {
            let label = LevelLabel {
                level: level.as_str().to_string(),
            };
            metrics
                .level_state
                .get_or_create(&label)
                .set(i64::from(level == PressureLevel::Normal));
            if level != PressureLevel::Normal {
                // Counters exist from the start, so rate() sees their first increase.
                drop(metrics.pressure_events.get_or_create(&label));
                drop(metrics.alerts.get_or_create(&label));
            }
        }
        metrics
    }

    /// Registers every metric into `registry` (names start with `mempressure_`), so a
    /// program can expose them with its own exporter.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// mempressure_native::Metrics::new().register(&mut registry);
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    /// assert!(text.contains("mempressure_level"));
    /// ```
    pub fn register(&self, registry: &mut Registry) {
        let r = registry;
        r.register(
            "mempressure_memory_usage_ratio",
            "Fraction of the effective total memory in use (0..1)",
            self.usage.clone(),
        );
        r.register(
            "mempressure_memory_available_bytes",
            "Memory still available, by where the total came from",
            self.available.clone(),
        );
        r.register(
            "mempressure_memory_total_bytes",
            "Effective total memory (the cgroup limit inside a container)",
            self.total.clone(),
        );
        r.register(
            "mempressure_process_resident_bytes",
            "Resident memory of the monitored process",
            self.process.clone(),
        );
        r.register(
            "mempressure_level",
            "Pressure level: 0 normal, 1 warning, 2 critical, 3 emergency",
            self.level.clone(),
        );
        r.register(
            "mempressure_level_state",
            "1 for the current pressure level, 0 for the others",
            self.level_state.clone(),
        );
        r.register(
            "mempressure_cache_bytes",
            "Bytes held by registered caches, by cache type",
            self.cache_bytes.clone(),
        );
        r.register(
            "mempressure_cache_count",
            "Registered caches, by cache type",
            self.cache_count.clone(),
        );
        r.register(
            "mempressure_pressure_events",
            "Times each pressure level was entered",
            self.pressure_events.clone(),
        );
        r.register(
            "mempressure_evictions",
            "Eviction requests made to caches, by cache type",
            self.evictions.clone(),
        );
        r.register(
            "mempressure_evicted_bytes",
            "Bytes caches freed when asked, by cache type",
            self.evicted_bytes.clone(),
        );
        r.register(
            "mempressure_eviction_target_bytes",
            "Bytes caches were asked to free, by cache type",
            self.eviction_target_bytes.clone(),
        );
        r.register(
            "mempressure_eviction_failures",
            "Cache evictions that failed or panicked",
            self.eviction_failures.clone(),
        );
        r.register(
            "mempressure_alerts",
            "Alerts raised, by level",
            self.alerts.clone(),
        );
        r.register(
            "mempressure_sample_failures",
            "Samples that could not be read or were impossible",
            self.sample_failures.clone(),
        );
        r.register(
            "mempressure_slow_samples",
            "Samples slower than the configured bound",
            self.slow_samples.clone(),
        );
        r.register(
            "mempressure_sample_duration_seconds",
            "Time to take one sample",
            self.sample_duration.clone(),
        );
        r.register(
            "mempressure_last_sample_timestamp_seconds",
            "Unix time of the last good sample",
            self.last_sample.clone(),
        );
        r.register(
            "mempressure_seconds_to_exhaustion",
            "Predicted seconds until the emergency threshold; absent while usage is not rising",
            self.seconds_to_exhaustion.clone(),
        );
        r.register(
            "mempressure_memory_stall_some_ratio",
            "Share of the last 10 s some tasks stalled on memory (PSI some avg10); \
             absent without PSI",
            self.stall_some.clone(),
        );
        r.register(
            "mempressure_memory_stall_full_ratio",
            "Share of the last 10 s all tasks stalled on memory (PSI full avg10); \
             absent without PSI",
            self.stall_full.clone(),
        );
        r.register(
            "mempressure_relief_checks",
            "Relief checks after evictions, by whether lower usage followed",
            self.relief_checks.clone(),
        );
        r.register(
            "mempressure_unrelieved_freed_bytes",
            "Bytes caches said they freed that never showed up as lower usage",
            self.unrelieved_bytes.clone(),
        );
    }

    /// The metrics as OpenMetrics text, as `/metrics` serves them.
    pub fn encode(&self) -> String {
        let mut registry = Registry::default();
        self.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry)
            .expect("writing to a String cannot fail");
        text
    }

    /// Records a good sample with the level after it and the caches by type.
    pub(crate) fn record_sample(
        &self,
        reading: &Reading,
        level: PressureLevel,
        caches: &BTreeMap<String, TypeBreakdown>,
    ) {
        let source = SourceLabel {
            source: reading.source.to_string(),
        };
        self.usage.set(reading.usage());
        self.available.clear();
        self.total.clear();
        self.available
            .get_or_create(&source)
            .set(saturating_i64(reading.available_bytes));
        self.total
            .get_or_create(&source)
            .set(saturating_i64(reading.total_bytes));
        if let Some(bytes) = reading.process_bytes {
            self.process.set(saturating_i64(bytes));
        }

        self.level.set(level.index() as i64);
        for each in PressureLevel::ALL {
            let label = LevelLabel {
                level: each.as_str().to_string(),
            };
            self.level_state
                .get_or_create(&label)
                .set(i64::from(each == level));
        }

        self.cache_bytes.clear();
        self.cache_count.clear();
        for (cache_type, breakdown) in caches {
            let label = CacheTypeLabel {
                cache_type: cache_type.clone(),
            };
            self.cache_bytes
                .get_or_create(&label)
                .set(saturating_i64(breakdown.bytes));
            self.cache_count
                .get_or_create(&label)
                .set(saturating_i64(breakdown.count));
        }

        self.record_stall(reading.psi_some_avg10, reading.psi_full_avg10);
        self.sample_duration.observe(reading.duration.as_secs_f64());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.last_sample.set(now.as_secs_f64());
    }

    /// Counts the decisions of a check; `type_of` names a cache's type.
    pub(crate) fn record_events(&self, events: &[Event], type_of: impl Fn(&str) -> Option<String>) {
        for event in events {
            match event {
                Event::Level(change) if change.to > change.from => {
                    let label = LevelLabel {
                        level: change.to.as_str().to_string(),
                    };
                    self.pressure_events.get_or_create(&label).inc();
                }
                Event::Evict(eviction) if !eviction.dry_run => {
                    for request in &eviction.requests {
                        let cache_type =
                            type_of(&request.cache).unwrap_or_else(|| "removed".into());
                        let label = CacheTypeLabel { cache_type };
                        self.evictions.get_or_create(&label).inc();
                        self.evicted_bytes
                            .get_or_create(&label)
                            .inc_by(request.freed_bytes);
                        self.eviction_target_bytes
                            .get_or_create(&label)
                            .inc_by(request.bytes);
                        if request.error.is_some() {
                            self.eviction_failures.inc();
                        }
                    }
                }
                Event::Relief(check) => {
                    let label = ReliefLabel {
                        relieved: check.relieved.to_string(),
                    };
                    self.relief_checks.get_or_create(&label).inc();
                    if !check.relieved {
                        self.unrelieved_bytes.inc_by(check.freed_bytes);
                    }
                }
                Event::Alert(alert) => {
                    let label = LevelLabel {
                        level: alert.level.as_str().to_string(),
                    };
                    self.alerts.get_or_create(&label).inc();
                }
                _ => {}
            }
        }
    }

    /// Records the predicted time to exhaustion; absent while usage is not rising.
    pub(crate) fn record_trend(&self, seconds_to_exhaustion: Option<f64>) {
        self.seconds_to_exhaustion.clear();
        if let Some(seconds) = seconds_to_exhaustion {
            self.seconds_to_exhaustion
                .get_or_create(&Vec::new())
                .set(seconds);
        }
    }

    /// Records stall pressure in percent; absent when the sample had none.
    pub(crate) fn record_stall(&self, some_avg10: Option<f64>, full_avg10: Option<f64>) {
        for (family, value) in [
            (&self.stall_some, some_avg10),
            (&self.stall_full, full_avg10),
        ] {
            family.clear();
            if let Some(percent) = value {
                family.get_or_create(&Vec::new()).set(percent / 100.0);
            }
        }
    }

    /// Counts a sample that could not be read.
    pub(crate) fn record_failure(&self) {
        self.sample_failures.inc();
    }

    /// Counts a sample slower than the bound.
    pub(crate) fn record_slow_sample(&self) {
        self.slow_samples.inc();
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
