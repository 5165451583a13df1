//! One reading of this machine's memory, with where its figures came from.

use std::fmt;
use std::time::Duration;

use mempressure_core::Sample;
use serde::Serialize;

/// Where the effective total memory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    /// The machine's memory: no container limit applies.
    Host,
    /// A cgroup v1 memory limit.
    CgroupV1,
    /// A cgroup v2 memory limit.
    CgroupV2,
    /// A cgroup limit reported by `sysinfo`, which does not say which version.
    Cgroup,
}

impl LimitSource {
    /// The name used in `status --json` (`host`, `cgroup-v1`, `cgroup-v2`, `cgroup`).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitSource::Host => "host",
            LimitSource::CgroupV1 => "cgroup-v1",
            LimitSource::CgroupV2 => "cgroup-v2",
            LimitSource::Cgroup => "cgroup",
        }
    }
}

impl fmt::Display for LimitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// True when available memory was estimated (no `MemAvailable` on this kernel).
    pub estimated: bool,
    /// Implausible figures that were set aside, in words.
    pub flags: Vec<String>,
    /// How long the reading took.
    #[serde(skip)]
    pub duration: Duration,
}

impl Reading {
    /// The reading as a core sample at `t_ms`.
    pub fn to_sample(&self, t_ms: u64) -> Sample {
        Sample {
            t_ms,
            total_bytes: self.total_bytes,
            available_bytes: self.available_bytes,
            process_bytes: self.process_bytes,
            psi_some_avg10: None,
            psi_full_avg10: None,
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
