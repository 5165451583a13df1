//! What the monitor hands back: level changes, eviction plans, evictions and alerts.

use serde::{Deserialize, Serialize};

use crate::eviction::{Eviction, EvictionPlan};
use crate::level::PressureLevel;

/// What set a new level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LevelReason {
    /// Usage against the thresholds (with hysteresis), or the kernel throttling the cgroup.
    Threshold,
    /// The usage trend: exhaustion predicted within the horizon.
    Trend,
    /// Stall pressure against the PSI thresholds.
    Psi,
}

/// The level changed on a sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelChange {
    /// Time of the sample, in milliseconds.
    pub t_ms: u64,
    /// The level before.
    pub from: PressureLevel,
    /// The level now.
    pub to: PressureLevel,
    /// The sample's usage (0..1).
    pub usage: f64,
    /// What set the new level.
    pub reason: LevelReason,
}

/// Whether an eviction's freed bytes showed up as lower usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliefCheck {
    /// Time of the sample that decided it, in milliseconds.
    pub t_ms: u64,
    /// Time of the eviction, in milliseconds.
    pub eviction_t_ms: u64,
    /// True when usage fell by at least a quarter of the freed bytes within the window.
    pub relieved: bool,
    /// Bytes the caches said they freed.
    pub freed_bytes: u64,
    /// How much used memory fell since the eviction's sample, in bytes.
    pub usage_drop_bytes: u64,
}

/// What a person on call needs to know about a level worth alerting on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Time of the sample, in milliseconds.
    pub t_ms: u64,
    /// The level alerted on.
    pub level: PressureLevel,
    /// The sample's usage (0..1).
    pub usage: f64,
    /// The sample's total bytes.
    pub total_bytes: u64,
    /// The sample's available bytes.
    pub available_bytes: u64,
    /// The process' resident bytes, when the sample had them.
    pub process_bytes: Option<u64>,
    /// Bytes freed by the eviction of the same check (0 when none ran).
    pub evicted_bytes: u64,
}

/// One output of [`crate::PressureMonitor::poll_event`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The level changed.
    Level(LevelChange),
    /// Eviction is due: run the plan's requests, then call
    /// [`crate::PressureMonitor::handle_eviction_report`]. Samples are refused until then.
    EvictionPlanned(EvictionPlan),
    /// An eviction finished (or was simulated, in a dry run): what was asked and freed.
    Evict(Eviction),
    /// An alert for a person.
    Alert(Alert),
    /// The outcome of a relief check after an eviction.
    Relief(ReliefCheck),
}
