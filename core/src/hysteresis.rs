//! Level changes with an exit band, so usage hovering at a threshold changes the level once.
//!
//! A level is entered as soon as usage reaches its threshold (`usage >= threshold`), on that
//! very sample, skipping levels if usage jumped. It is left only when usage falls below its
//! threshold minus the exit band; the level then drops to the highest level whose own exit
//! condition is not met. This is the rule the kubelet and the W3C Compute Pressure discussion
//! arrived at after their conditions flapped (see `tests/traces/` and case 12).

use crate::config::Thresholds;
use crate::level::PressureLevel;

/// The level usage alone reaches, without hysteresis.
///
/// ```
/// use mempressure_core::{Config, PressureLevel, hysteresis::entry_level};
///
/// let t = Config::default().thresholds;
/// assert_eq!(entry_level(&t, 0.75), PressureLevel::Warning);
/// assert_eq!(entry_level(&t, 0.95), PressureLevel::Emergency);
/// ```
pub fn entry_level(thresholds: &Thresholds, usage: f64) -> PressureLevel {
    entry_level_by(|level| thresholds.for_level(level), usage)
}

/// The level a value reaches under thresholds that may be missing for some levels (a
/// missing threshold is never reached).
pub fn entry_level_by(
    threshold: impl Fn(PressureLevel) -> Option<f64>,
    value: f64,
) -> PressureLevel {
    PressureLevel::ALL
        .into_iter()
        .rev()
        .find(|&level| {
            level == PressureLevel::Normal || threshold(level).is_some_and(|t| value >= t)
        })
        .unwrap_or(PressureLevel::Normal)
}

/// The level after a sample of `usage`, coming from `current`.
///
/// ```
/// use mempressure_core::{Config, PressureLevel, hysteresis::next_level};
///
/// let t = Config::default().thresholds;
/// // 0.68 is below 0.70 but inside the 0.05 exit band: still warning.
/// assert_eq!(next_level(&t, 0.05, PressureLevel::Warning, 0.68), PressureLevel::Warning);
/// assert_eq!(next_level(&t, 0.05, PressureLevel::Warning, 0.64), PressureLevel::Normal);
/// ```
pub fn next_level(
    thresholds: &Thresholds,
    exit_band: f64,
    current: PressureLevel,
    usage: f64,
) -> PressureLevel {
    next_level_by(
        |level| thresholds.for_level(level),
        exit_band,
        current,
        usage,
    )
}

/// [`next_level`] under thresholds that may be missing for some levels (stall pressure).
pub fn next_level_by(
    threshold: impl Fn(PressureLevel) -> Option<f64>,
    exit_band: f64,
    current: PressureLevel,
    value: f64,
) -> PressureLevel {
    let entered = entry_level_by(&threshold, value);
    if entered >= current {
        return entered;
    }

    // Falling: stay at the highest level at or below `current` not yet left.
    PressureLevel::ALL
        .into_iter()
        .rev()
        .filter(|&level| level <= current && level > entered)
        .find(|&level| threshold(level).is_some_and(|t| value >= t - exit_band))
        .unwrap_or(entered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use PressureLevel::*;

    fn thresholds() -> Thresholds {
        Config::default().thresholds
    }

    #[test]
    fn enters_on_the_sample_that_reaches_the_threshold() {
        let t = thresholds();
        assert_eq!(next_level(&t, 0.05, Normal, 0.6999), Normal);
        assert_eq!(next_level(&t, 0.05, Normal, 0.70), Warning);
        assert_eq!(next_level(&t, 0.05, Normal, 0.80), Critical);
        assert_eq!(next_level(&t, 0.05, Normal, 0.974), Emergency);
    }

    #[test]
    fn leaves_only_below_the_exit_band() {
        let t = thresholds();
        assert_eq!(next_level(&t, 0.05, Critical, 0.76), Critical);
        assert_eq!(next_level(&t, 0.05, Critical, 0.74), Warning);
        assert_eq!(next_level(&t, 0.05, Emergency, 0.50), Normal);
        assert_eq!(next_level(&t, 0.05, Emergency, 0.70), Warning);
    }

    #[test]
    fn oscillation_inside_the_band_changes_the_level_once() {
        let t = thresholds();
        let mut level = Normal;
        let mut changes = 0;
        for i in 0..100 {
            let usage = if i % 2 == 0 { 0.699 } else { 0.701 };
            let next = next_level(&t, 0.05, level, usage);
            changes += usize::from(next != level);
            level = next;
        }
        assert_eq!((changes, level), (1, Warning));
    }

    #[test]
    fn a_zero_band_is_a_plain_comparison() {
        let t = thresholds();
        assert_eq!(next_level(&t, 0.0, Warning, 0.6999), Normal);
    }

    #[test]
    fn a_band_wider_than_the_gap_keeps_the_level_between() {
        let t = thresholds();
        // Leaving critical (0.80) with a 0.2 band at 0.59: warning's own exit is at 0.50.
        assert_eq!(next_level(&t, 0.2, Critical, 0.59), Warning);
    }
}
