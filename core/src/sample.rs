//! One reading of memory at one moment.

use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// Memory as read at `t_ms`: total and available bytes, and optionally the process' own.
///
/// Serialises with the trace format's names (`total`, `available`, `process`).
///
/// ```
/// use mempressure_core::Sample;
///
/// let sample = Sample::new(0, 16 << 30, 4 << 30);
/// assert_eq!(sample.usage(), 0.75);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// When the sample was taken, in milliseconds on the caller's monotonic clock.
    pub t_ms: u64,
    /// Memory the process may use in all, in bytes (the cgroup limit inside a container).
    #[serde(rename = "total")]
    pub total_bytes: u64,
    /// Memory still available to it, in bytes.
    #[serde(rename = "available")]
    pub available_bytes: u64,
    /// The process' resident memory, in bytes, when known.
    #[serde(rename = "process", default, skip_serializing_if = "Option::is_none")]
    pub process_bytes: Option<u64>,
    /// Share of time some tasks stalled on memory over 10 s, in percent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psi_some_avg10: Option<f64>,
    /// Share of time all tasks stalled on memory over 10 s, in percent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psi_full_avg10: Option<f64>,
    /// True when the kernel is already throttling the process' cgroup (its working set is
    /// at or above cgroup v2 `memory.high`): the level is then at least `warning`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub throttled: bool,
}

impl Sample {
    /// A sample with total and available bytes only.
    pub fn new(t_ms: u64, total_bytes: u64, available_bytes: u64) -> Sample {
        Sample {
            t_ms,
            total_bytes,
            available_bytes,
            process_bytes: None,
            psi_some_avg10: None,
            psi_full_avg10: None,
            throttled: false,
        }
    }

    /// The same sample with the process' resident bytes.
    pub fn with_process_bytes(mut self, process_bytes: u64) -> Sample {
        self.process_bytes = Some(process_bytes);
        self
    }

    /// Checks that the sample can be right.
    ///
    /// # Errors
    /// [`InputError::ZeroTotal`], [`InputError::AvailableAboveTotal`], or
    /// [`InputError::InvalidPsi`] for a stall figure outside [0, 100].
    pub fn validate(&self) -> Result<(), InputError> {
        if self.total_bytes == 0 {
            return Err(InputError::ZeroTotal { t_ms: self.t_ms });
        }
        if self.available_bytes > self.total_bytes {
            return Err(InputError::AvailableAboveTotal {
                t_ms: self.t_ms,
                available_bytes: self.available_bytes,
                total_bytes: self.total_bytes,
            });
        }

        check_psi("psi_some_avg10", self.psi_some_avg10)?;
        check_psi("psi_full_avg10", self.psi_full_avg10)
    }

    /// Bytes in use: `total - available`.
    pub fn used_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.available_bytes)
    }

    /// Fraction of memory in use, `(total - available) / total`, from 0 to 1.
    ///
    /// Only meaningful for a sample that passed [`Sample::validate`]; a zero total gives 0.
    pub fn usage(&self) -> f64 {
        if self.total_bytes == 0 {
            return 0.0;
        }
        self.used_bytes() as f64 / self.total_bytes as f64
    }
}

/// A stall figure is a percentage: from 0 to 100, or absent.
fn check_psi(field: &'static str, value: Option<f64>) -> Result<(), InputError> {
    match value {
        Some(value) if !(0.0..=100.0).contains(&value) => {
            Err(InputError::InvalidPsi { field, value })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_used_over_total() {
        assert_eq!(Sample::new(0, 100, 25).usage(), 0.75);
        assert_eq!(Sample::new(0, 100, 100).usage(), 0.0);
        assert_eq!(Sample::new(0, 100, 0).usage(), 1.0);
    }

    #[test]
    fn impossible_samples_are_rejected() {
        assert_eq!(
            Sample::new(7, 0, 0).validate(),
            Err(InputError::ZeroTotal { t_ms: 7 })
        );
        assert_eq!(
            Sample::new(7, 10, 11).validate(),
            Err(InputError::AvailableAboveTotal {
                t_ms: 7,
                available_bytes: 11,
                total_bytes: 10
            })
        );
        let mut psi = Sample::new(0, 10, 5);
        psi.psi_some_avg10 = Some(f64::NAN);
        assert!(matches!(psi.validate(), Err(InputError::InvalidPsi { .. })));
    }
}
