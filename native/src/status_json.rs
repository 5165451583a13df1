//! The JSON objects of `mempressure status --json` and of the server's `/status`.

use mempressure_core::config::Thresholds;
use mempressure_core::{Config, Event, PressureLevel, TypeBreakdown};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::monitor::{Health, HistoryPoint, MonitorStatus};
use crate::reading::Reading;

/// One reading with its level: the object `mempressure status --json` prints.
///
/// `status` is `"ok"`; the reading's fields (`total_bytes`, `available_bytes`,
/// `process_bytes`, `source`, `cgroup_path`, `flags`, ...) sit beside `level` and `usage`.
#[derive(Debug, Serialize)]
pub struct StatusJson<'a> {
    /// Always `"ok"`: an unreadable sample has no such object.
    pub status: &'static str,
    /// The level after the reading.
    pub level: PressureLevel,
    /// Usage of the reading (0..1).
    pub usage: f64,
    /// The reading's fields.
    #[serde(flatten)]
    pub reading: &'a Reading,
    /// How long the reading took, in microseconds.
    pub sample_duration_us: u64,
    /// The profile in use.
    pub profile: &'static str,
    /// The thresholds in use.
    pub thresholds: &'a Thresholds,
    /// Seconds until usage reaches the emergency threshold at the current trend; null while
    /// usage is not rising or after a single sample.
    pub seconds_to_exhaustion: Option<f64>,
}

impl<'a> StatusJson<'a> {
    /// The object for a reading at a level under a config.
    pub fn new(reading: &'a Reading, level: PressureLevel, config: &'a Config) -> StatusJson<'a> {
        StatusJson {
            status: "ok",
            level,
            usage: reading.usage(),
            reading,
            sample_duration_us: u64::try_from(reading.duration.as_micros()).unwrap_or(u64::MAX),
            profile: config.profile.as_str(),
            thresholds: &config.thresholds,
            seconds_to_exhaustion: None,
        }
    }
}

/// The object the server's `/status` serves: the same fields as `status --json` (when a
/// reading was made), plus the monitor's caches, counters, recent events, history and config.
#[derive(Debug, Serialize)]
pub struct ServedStatus<'a> {
    /// `"ok"`, `"starting"` (no sample yet) or `"unavailable"` (the last sample failed).
    /// Written once: by the flattened reading when there is one, else here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Why the last sample failed, when it did (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// The last reading with its level, when there is one.
    #[serde(flatten)]
    pub reading: Option<StatusJson<'a>>,
    /// The current level, also when the last sample failed.
    pub current_level: PressureLevel,
    /// Bytes held by registered caches.
    pub cache_bytes: u64,
    /// Number of registered caches.
    pub cache_count: usize,
    /// Caches by type.
    pub caches_by_type: &'a BTreeMap<String, TypeBreakdown>,
    /// Samples that could not be read.
    pub sample_failures: u64,
    /// Samples slower than the bound.
    pub slow_samples: u64,
    /// Cache evictions that failed.
    pub eviction_failures: u64,
    /// The latest level changes, evictions and alerts.
    pub recent_events: &'a [Event],
    /// The latest samples' usage and level.
    pub history: &'a [HistoryPoint],
    /// The whole config in use.
    pub config: &'a Config,
    /// What wakes the monitor when memory stalls start.
    pub stall_trigger: &'a str,
}

impl<'a> ServedStatus<'a> {
    /// The object for a monitor's status under its config.
    pub fn new(status: &'a MonitorStatus, config: &'a Config) -> ServedStatus<'a> {
        let (label, error) = match &status.health {
            Health::Starting => ("starting", None),
            Health::Ok => ("ok", None),
            Health::Unavailable(reason) => ("unavailable", Some(reason.as_str())),
        };
        let reading = status.reading.as_ref().map(|r| {
            let mut json = StatusJson::new(r, status.core.level, config);
            json.status = label;
            json.seconds_to_exhaustion = status.core.seconds_to_exhaustion;
            json
        });
        ServedStatus {
            status: if reading.is_none() { Some(label) } else { None },
            error,
            reading,
            current_level: status.core.level,
            cache_bytes: status.core.cache_bytes,
            cache_count: status.core.cache_count,
            caches_by_type: &status.core.caches_by_type,
            sample_failures: status.sample_failures,
            slow_samples: status.slow_samples,
            eviction_failures: status.eviction_failures,
            recent_events: &status.recent_events,
            history: &status.history,
            config,
            stall_trigger: &status.stall_trigger,
        }
    }
}
