//! Eviction targets, plans, and what the caches report back.
//!
//! When eviction is due the monitor computes a target in bytes,
//! `max(cache_bytes * target_fraction, min(10 MiB, 5% of cache_bytes))`, capped at what the
//! caches hold, and walks the ranked candidates asking each for at most what is still
//! needed, the last one partially, until the target is met.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::level::PressureLevel;

/// The floor of a target: never ask for less than this (or 5% of cache bytes, if smaller).
pub const MIN_TARGET_BYTES: u64 = 10 * 1024 * 1024;

/// Bytes to ask back from caches holding `cache_bytes` at `fraction`.
///
/// ```
/// use mempressure_core::eviction::target_bytes;
///
/// let mib = 1024 * 1024;
/// assert_eq!(target_bytes(1000 * mib, 0.15), 150 * mib);
/// // The floor: 5% of 100 MiB is above 0.01 * 100 MiB.
/// assert_eq!(target_bytes(100 * mib, 0.01), 5 * mib);
/// ```
pub fn target_bytes(cache_bytes: u64, fraction: f64) -> u64 {
    let by_fraction = (cache_bytes as f64 * fraction) as u64;
    let floor = MIN_TARGET_BYTES.min(cache_bytes / 20);
    by_fraction.max(floor).min(cache_bytes)
}

/// One cache asked to give back bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictionRequest {
    /// The cache's id.
    pub cache: SmolStr,
    /// Bytes asked for.
    pub bytes: u64,
}

/// What the monitor asks the caches to do: who gives back how much.
///
/// The caller runs the requests in order and hands what each cache freed back through
/// [`crate::PressureMonitor::handle_eviction_report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvictionPlan {
    /// Identifies the plan in the report.
    pub id: u64,
    /// The sample time that made the plan, in milliseconds.
    pub t_ms: u64,
    /// The level that made eviction due.
    pub level: PressureLevel,
    /// The sample's usage.
    pub usage: f64,
    /// Bytes to free in all.
    pub target_bytes: u64,
    /// The requests, highest score first; they sum to `target_bytes`.
    pub requests: Vec<EvictionRequest>,
}

/// What one cache did with its request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictionOutcome {
    /// The cache's id.
    pub cache: SmolStr,
    /// Bytes it says it freed.
    pub freed_bytes: u64,
    /// Why it failed (an error or a panic), if it did; it may still have freed some bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The caller's account of running a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictionReport {
    /// The plan it reports on.
    pub plan_id: u64,
    /// One outcome per request that was run.
    pub outcomes: Vec<EvictionOutcome>,
}

/// A request and what came of it, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictionResult {
    /// The cache's id.
    pub cache: SmolStr,
    /// Bytes asked for.
    pub bytes: u64,
    /// Bytes counted as freed: what the cache reported, at most what it held.
    pub freed_bytes: u64,
    /// The failure the cache reported, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A finished eviction: the plan and what was freed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eviction {
    /// The plan's id.
    pub plan_id: u64,
    /// The sample time that made the plan, in milliseconds.
    pub t_ms: u64,
    /// The level that made eviction due.
    pub level: PressureLevel,
    /// The sample's usage.
    pub usage: f64,
    /// Bytes the plan aimed to free.
    pub target_bytes: u64,
    /// Each request with its result.
    pub requests: Vec<EvictionResult>,
    /// Bytes freed in all (at most `u64::MAX`).
    pub freed_bytes: u64,
    /// True when `auto_eviction` was off and no cache was asked.
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn target_uses_the_fraction_the_floor_and_the_cap() {
        assert_eq!(target_bytes(100 * MIB, 0.5), 50 * MIB);
        assert_eq!(target_bytes(1000 * MIB, 0.001), 10 * MIB);
        assert_eq!(target_bytes(100, 1.0), 100);
        assert_eq!(target_bytes(0, 0.5), 0);
    }
}
