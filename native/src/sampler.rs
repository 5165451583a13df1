//! Samplers: where readings come from.
//!
//! [`SystemSampler`] reads this machine: on Linux through the kernel's files
//! ([`crate::linux::read_memory`]: `/proc/meminfo`, the process' cgroup and its
//! ancestors, ZFS), elsewhere through `sysinfo`; this process' resident memory always
//! through `sysinfo`. Tests and programs with their own figures implement [`Sampler`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::linux::{LimitSource, LinuxReadError, read_memory};
use crate::reading::{Reading, SampleError};

/// A source of memory readings.
pub trait Sampler: Send {
    /// Reads memory now.
    ///
    /// # Errors
    /// [`SampleError`] when memory cannot be read or the figures cannot be right; a sampler
    /// never invents a reading.
    fn read(&mut self) -> Result<Reading, SampleError>;
}

/// Reads this machine's memory and this process' resident memory.
///
/// ⚠️ Outside Linux the reading is `sysinfo`'s host figures: no container limits.
pub struct SystemSampler {
    system: System,
    pid: Option<Pid>,
    root: Option<PathBuf>,
    /// True for a root other than the live one: the process is the one recorded there.
    replayed_root: bool,
}

cfg_if::cfg_if! {
    if #[cfg(target_os = "linux")] {
        /// Linux: read the kernel's files under `/`.
        const LIVE_ROOT: Option<&str> = Some("/");
    } else {
        /// Elsewhere: `sysinfo`'s figures.
        const LIVE_ROOT: Option<&str> = None;
    }
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
            root: LIVE_ROOT.map(PathBuf::from),
            replayed_root: false,
        }
    }

    /// A sampler that reads `DIR/proc/meminfo`, `DIR/proc/self/cgroup` and
    /// `DIR/sys/fs/cgroup/...` instead of the live files, on any system: to reproduce a
    /// reading from a bug report, or to test with a fixture tree. The process' resident
    /// memory is `VmRSS` of `DIR/proc/self/status`, unknown when that file is absent.
    pub fn with_root(root: impl AsRef<Path>) -> SystemSampler {
        let root = root.as_ref().to_path_buf();
        let replayed_root = root != Path::new("/");
        SystemSampler {
            root: Some(root),
            replayed_root,
            ..SystemSampler::new()
        }
    }

    fn process_bytes(&mut self) -> Option<u64> {
        let pid = self.pid?;
        let kind = ProcessRefreshKind::nothing().with_memory();
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
        self.system
            .process(pid)
            .map(|p| p.memory())
            .filter(|&bytes| bytes > 0)
    }

    fn read_files(&mut self, root: &Path, started: Instant) -> Result<Reading, SampleError> {
        // Stall pressure where the kernel has it; an unreadable pressure file is not a
        // failed reading of memory, so it only drops PSI from this sample (with a warning).
        let psi = match crate::linux::read_memory_pressure(root) {
            Ok(psi) => psi.map(|(psi, _)| psi),
            Err(e) => {
                tracing::warn!("no stall pressure in this sample: {e}");
                None
            }
        };
        let linux = read_memory(root).map_err(|e| match e {
            LinuxReadError::Read { .. } => SampleError::Unavailable(e.to_string()),
            _ => SampleError::Invalid(e.to_string()),
        })?;
        Ok(Reading {
            total_bytes: linux.total_bytes,
            available_bytes: linux.available_bytes,
            process_bytes: if self.replayed_root {
                recorded_process_bytes(root)
            } else {
                self.process_bytes()
            },
            host_total_bytes: linux.host_total_bytes,
            host_available_bytes: linux.host_available_bytes,
            source: linux.source,
            cgroup_path: linux.cgroup_path,
            memory_high_bytes: linux.memory_high_bytes,
            at_or_above_memory_high: linux.at_or_above_memory_high,
            estimated: linux.estimated,
            flags: linux.flags,
            psi_some_avg10: psi.map(|p| p.some_avg10),
            psi_full_avg10: psi.map(|p| p.full_avg10),
            duration: started.elapsed(),
        })
    }

    fn read_sysinfo(&mut self, started: Instant) -> Result<Reading, SampleError> {
        self.system
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        let total = self.system.total_memory();
        let available = self.system.available_memory();
        if total == 0 {
            return Err(SampleError::Unavailable(
                "the system reports 0 bytes of memory".into(),
            ));
        }
        if available > total {
            return Err(SampleError::Invalid(format!(
                "available ({available} bytes) is above total ({total} bytes)"
            )));
        }

        Ok(Reading {
            total_bytes: total,
            available_bytes: available,
            process_bytes: self.process_bytes(),
            host_total_bytes: total,
            host_available_bytes: available,
            source: LimitSource::Host,
            cgroup_path: None,
            memory_high_bytes: None,
            at_or_above_memory_high: false,
            estimated: false,
            flags: Vec::new(),
            psi_some_avg10: None,
            psi_full_avg10: None,
            duration: started.elapsed(),
        })
    }
}

impl Sampler for SystemSampler {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let started = Instant::now();
        match self.root.clone() {
            Some(root) => self.read_files(&root, started),
            None => self.read_sysinfo(started),
        }
    }
}

/// `VmRSS` of `ROOT/proc/self/status`, in bytes; `None` when the file or line is absent or
/// not a number of kB.
fn recorded_process_bytes(root: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(root.join("proc/self/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}
