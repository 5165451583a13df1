//! The usage trend: a smoothed slope of usage over time, and the time left until usage
//! reaches the emergency threshold at that slope.
//!
//! The slope is an exponentially weighted average of the slope between consecutive
//! samples, with a weight that follows the time between them: `a = dt / (dt + smoothing)`.
//! A step's slope is its change in usage times `1000 / dt_ms` (one division per interval,
//! not per sample).
//! That is a rational stand-in for `1 - exp(-dt / smoothing)`: it uses only `+ - * /`, so
//! the estimate is the same to the bit on every target (an `exp` from two math libraries
//! may differ in the last bit), and replay stays deterministic. The state is two numbers
//! and the previous sample: constant memory, constant time per sample.

use serde::{Deserialize, Serialize};

/// A smoothed usage slope.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct TrendEstimator {
    previous: Option<(u64, f64)>,
    slope_per_s: f64,
    /// Milliseconds of samples the slope has seen; the estimate waits for one smoothing
    /// period before it speaks.
    seen_ms: u64,
    /// What the last step's interval gave, kept for the next step with the same interval.
    #[serde(skip)]
    step: StepMemo,
}

/// Steps per second and the weight of the last step, for its interval and smoothing.
///
/// Samples usually come at a fixed interval: the two divisions that turn an interval into
/// these are then done once, not per sample, with the very same results.
#[derive(Debug, Clone, Copy, Default)]
struct StepMemo {
    key: Option<(u64, u64)>,
    /// `1000 / dt_ms`: the step's slope is its change in usage times this.
    per_s: f64,
    weight: f64,
}

/// Two estimators are equal when their state is: the kept step is a cache.
impl PartialEq for TrendEstimator {
    fn eq(&self, other: &TrendEstimator) -> bool {
        (self.previous, self.slope_per_s, self.seen_ms)
            == (other.previous, other.slope_per_s, other.seen_ms)
    }
}

impl TrendEstimator {
    /// Takes a sample of `usage` at `t_ms`, smoothing over `smoothing_ms`.
    pub fn push(&mut self, t_ms: u64, usage: f64, smoothing_ms: u64) {
        if let Some((t0, u0)) = self.previous
            && t_ms > t0
        {
            let key = (t_ms - t0, smoothing_ms);
            if self.step.key != Some(key) {
                let dt_ms = key.0 as f64;
                self.step = StepMemo {
                    key: Some(key),
                    per_s: 1000.0 / dt_ms,
                    weight: dt_ms / (dt_ms + smoothing_ms as f64),
                };
            }
            let instant = (usage - u0) * self.step.per_s;
            self.slope_per_s += self.step.weight * (instant - self.slope_per_s);
            self.seen_ms = self.seen_ms.saturating_add(t_ms - t0);
        }
        self.previous = Some((t_ms, usage));
    }

    /// The smoothed slope in usage per second, once a smoothing period was seen.
    pub fn slope_per_s(&self, smoothing_ms: u64) -> Option<f64> {
        (self.seen_ms >= smoothing_ms).then_some(self.slope_per_s)
    }

    /// Seconds until usage reaches `limit` at the current slope: 0 when it is there
    /// already, `None` while usage is not rising (or the estimate is not ready).
    ///
    /// ```
    /// use mempressure_core::trend::TrendEstimator;
    ///
    /// let mut trend = TrendEstimator::default();
    /// for i in 0..=20 {
    ///     trend.push(i * 1_000, 0.50 + 0.01 * i as f64, 5_000); // +1 point per second
    /// }
    /// let left = trend.seconds_to(0.95, 0.70, 5_000).unwrap();
    /// assert!((left - 25.0).abs() < 1.0);
    /// ```
    pub fn seconds_to(&self, limit: f64, usage: f64, smoothing_ms: u64) -> Option<f64> {
        if usage >= limit {
            return Some(0.0);
        }
        let slope = self.slope_per_s(smoothing_ms)?;
        (slope > 0.0).then(|| (limit - usage) / slope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_usage_has_no_exhaustion_time() {
        let mut trend = TrendEstimator::default();
        for i in 0..100 {
            trend.push(i * 100, 0.6, 10_000);
        }
        assert_eq!(trend.seconds_to(0.95, 0.6, 10_000), None);
    }

    #[test]
    fn falling_usage_has_no_exhaustion_time() {
        let mut trend = TrendEstimator::default();
        for i in 0..200 {
            trend.push(i * 100, 0.9 - 0.001 * i as f64, 10_000);
        }
        assert_eq!(trend.seconds_to(0.95, 0.7, 10_000), None);
    }

    #[test]
    fn the_estimate_waits_for_one_smoothing_period() {
        let mut trend = TrendEstimator::default();
        trend.push(0, 0.5, 10_000);
        trend.push(1_000, 0.6, 10_000);
        assert_eq!(trend.seconds_to(0.95, 0.6, 10_000), None);
        assert_eq!(trend.seconds_to(0.95, 0.96, 10_000), Some(0.0));
    }

    #[test]
    fn a_steady_ramp_is_estimated_from_its_slope() {
        let mut trend = TrendEstimator::default();
        // Half a point per second, sampled every 100 ms, for a minute.
        for i in 0..=600u64 {
            trend.push(i * 100, 0.2 + 0.0005 * i as f64, 10_000);
        }
        // After six smoothing periods the average has converged to within e^-6 (0.25%).
        let slope = trend.slope_per_s(10_000).unwrap();
        assert!((slope - 0.005).abs() < 0.005 * 0.003, "{slope}");
        let left = trend.seconds_to(0.95, 0.5, 10_000).unwrap();
        assert!((left - 90.0).abs() < 90.0 * 0.003, "{left}");
    }

    /// The kept step gives the bits of the formula worked out afresh at every step, over
    /// intervals that repeat, change, and come back, and a smoothing that changes.
    #[test]
    fn the_kept_step_changes_no_bit() {
        let mut trend = TrendEstimator::default();
        let (mut slope, mut previous) = (0.0f64, None::<(u64, f64)>);
        let mut t_ms = 0u64;
        for i in 0..400u64 {
            t_ms += [100, 100, 100, 250, 100, 7][(i % 6) as usize];
            let usage = 0.5 + ((i * 7919) % 1000) as f64 / 4000.0;
            let smoothing_ms = if i < 200 { 5_000 } else { 3_000 };
            trend.push(t_ms, usage, smoothing_ms);

            if let Some((t0, u0)) = previous {
                let dt_ms = (t_ms - t0) as f64;
                let instant = (usage - u0) * (1000.0 / dt_ms);
                let weight = dt_ms / (dt_ms + smoothing_ms as f64);
                slope += weight * (instant - slope);
            }
            previous = Some((t_ms, usage));
            assert_eq!(trend.slope_per_s.to_bits(), slope.to_bits(), "step {i}");
        }
    }
}
