//! One reading of this machine's memory, with where its figures came from.

use std::time::Duration;

use mempressure_core::Sample;
use serde::Serialize;

pub use crate::linux::{LimitSource, ReadingFlag};

/// Memory as read from the machine, before it becomes a [`Sample`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// Memory this process may use in all, in bytes: the cgroup limit when one applies.
    pub total_bytes: u64,
    /// Memory still available to it, in bytes.
    pub available_bytes: u64,
    /// This process' resident memory, in bytes; `None` when it could not be read.
    pub process_bytes: Option<u64>,
    /// The machine's own total, in bytes.
    pub host_total_bytes: u64,
    /// The machine's own available memory, in bytes.
    pub host_available_bytes: u64,
    /// Where `total_bytes` came from.
    pub source: LimitSource,
    /// The cgroup whose limit applies, when one does.
    pub cgroup_path: Option<String>,
    /// The smallest cgroup v2 `memory.high` that applies, in bytes.
    pub memory_high_bytes: Option<u64>,
    /// True when the working set is at or above `memory.high`: the kernel is throttling,
    /// and the level is at least `warning`.
    pub at_or_above_memory_high: bool,
    /// True when available memory was estimated (no usable `MemAvailable`).
    pub estimated: bool,
    /// Implausible or missing figures that were set aside, and what was used instead.
    pub flags: Vec<ReadingFlag>,
    /// Share of the last 10 s in which some tasks stalled on memory (PSI), percent; `None`
    /// where the kernel reports no PSI.
    pub psi_some_avg10: Option<f64>,
    /// Share of the last 10 s in which all tasks stalled on memory (PSI), percent.
    pub psi_full_avg10: Option<f64>,
    /// How long the reading took.
    #[serde(skip)]
    pub duration: Duration,
}

impl Reading {
    /// A reading of a machine with no container limit: `total_bytes` and
    /// `available_bytes` for both the effective and the host figures, nothing else known.
    /// For samplers of your own; set other fields with struct update syntax.
    ///
    /// ```
    /// use mempressure_native::Reading;
    ///
    /// let reading = Reading { process_bytes: Some(4096), ..Reading::host(1 << 30, 1 << 29) };
    /// assert_eq!(reading.usage(), 0.5);
    /// ```
    pub fn host(total_bytes: u64, available_bytes: u64) -> Reading {
        Reading {
            total_bytes,
            available_bytes,
            process_bytes: None,
            host_total_bytes: total_bytes,
            host_available_bytes: available_bytes,
            source: LimitSource::Host,
            cgroup_path: None,
            memory_high_bytes: None,
            at_or_above_memory_high: false,
            estimated: false,
            flags: Vec::new(),
            psi_some_avg10: None,
            psi_full_avg10: None,
            duration: std::time::Duration::ZERO,
        }
    }

    /// The reading as a core sample at `t_ms`.
    pub fn to_sample(&self, t_ms: u64) -> Sample {
        Sample {
            t_ms,
            total_bytes: self.total_bytes,
            available_bytes: self.available_bytes,
            process_bytes: self.process_bytes,
            psi_some_avg10: self.psi_some_avg10,
            psi_full_avg10: self.psi_full_avg10,
            throttled: self.at_or_above_memory_high,
        }
    }

    /// Fraction of `total_bytes` in use.
    pub fn usage(&self) -> f64 {
        self.to_sample(0).usage()
    }
}

/// Memory could not be read, or what was read cannot be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// The OS gave no figure (a file missing or unreadable, an unsupported system).
    #[error("memory cannot be read: {0}")]
    Unavailable(String),
    /// The OS gave figures that cannot be right (total 0, available above total).
    #[error("memory reading is invalid: {0}")]
    Invalid(String),
}
