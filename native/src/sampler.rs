//! Samplers: where readings come from.
//!
//! [`SystemSampler`] reads this machine through `sysinfo`, which honours a cgroup memory
//! limit on Linux. Tests and programs with their own figures implement [`Sampler`].

use std::time::Instant;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::reading::{LimitSource, Reading, SampleError};

/// A source of memory readings.
pub trait Sampler: Send {
    /// Reads memory now.
    ///
    /// # Errors
    /// [`SampleError`] when memory cannot be read or the figures cannot be right; a sampler
    /// never invents a reading.
    fn read(&mut self) -> Result<Reading, SampleError>;
}

/// Reads this machine's memory and this process' resident memory with `sysinfo`.
///
/// Inside a container the effective total is the cgroup limit, when `sysinfo` finds one below
/// the machine's memory, and the reading's source says so.
pub struct SystemSampler {
    system: System,
    pid: Option<Pid>,
}

impl Default for SystemSampler {
    fn default() -> Self {
        SystemSampler::new()
    }
}

impl SystemSampler {
    /// A sampler of this machine and this process.
    pub fn new() -> SystemSampler {
        SystemSampler {
            system: System::new(),
            pid: sysinfo::get_current_pid().ok(),
        }
    }

    fn process_bytes(&mut self) -> Option<u64> {
        let pid = self.pid?;
        let kind = ProcessRefreshKind::nothing().with_memory();
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
        self.system.process(pid).map(|p| p.memory())
    }
}

impl Sampler for SystemSampler {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let started = Instant::now();
        self.system
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        let host_total = self.system.total_memory();
        let host_available = self.system.available_memory();
        if host_total == 0 {
            return Err(SampleError::Unavailable(
                "the system reports 0 bytes of memory".into(),
            ));
        }
        if host_available > host_total {
            return Err(SampleError::Invalid(format!(
                "available ({host_available} bytes) is above total ({host_total} bytes)"
            )));
        }

        let limit = self
            .system
            .cgroup_limits()
            .filter(|l| l.total_memory < host_total);
        let (total, available, source) = match limit {
            Some(l) => (
                l.total_memory,
                l.free_memory.min(l.total_memory),
                LimitSource::Cgroup,
            ),
            None => (host_total, host_available, LimitSource::Host),
        };

        Ok(Reading {
            total_bytes: total,
            available_bytes: available,
            process_bytes: self.process_bytes(),
            host_total_bytes: host_total,
            host_available_bytes: host_available,
            source,
            cgroup_path: None,
            estimated: false,
            flags: Vec::new(),
            duration: started.elapsed(),
        })
    }
}
