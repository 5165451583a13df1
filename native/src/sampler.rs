//! Samplers: where readings come from.
//!
//! [`SystemSampler`] reads this machine: on Linux through the kernel's files with a
//! [`LinuxReader`] (`/proc/meminfo`, the process' cgroup and its ancestors, ZFS),
//! elsewhere through `sysinfo`. This process' resident memory comes from
//! `/proc/self/statm` on Linux and from `sysinfo` elsewhere. Tests and programs with
//! their own figures implement [`Sampler`].
//!
//! # Cost
//!
//! On Linux a sample keeps every file it reads open and reads each again with one
//! `pread` into a reused buffer, so it costs little more than reading those files.
//! `benches/sampling.rs` measures it against the floor, the same files read directly
//! with their descriptors kept open: about 10.1 µs against 8.9 to 9.3 µs (1.1 times)
//! on a 2-core Linux 6.18 VM, where opening, reading and closing each file and
//! `sysinfo`'s process refresh took 66 µs. Python's psutil `virtual_memory()` and
//! `Process().memory_info()` take about 37 µs there. `sysinfo` is left for this
//! process' memory on Linux for speed alone: see `process_memory.rs` for the figures.

use std::path::Path;
use std::time::Instant;

use sysinfo::{MemoryRefreshKind, System};

use crate::linux::{LinuxReadError, LinuxReader, PressureReader};
use crate::process_memory::ProcessMemory;
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
/// On Linux the files read are kept open between readings, and the cgroup layout
/// found is kept while the process stays in its cgroup ([`LinuxReader`]); each
/// reading still gives what a fresh one would.
///
/// ⚠️ Outside Linux the reading is `sysinfo`'s host figures: no container limits.
#[derive(Debug)]
pub struct SystemSampler {
    memory: MemorySource,
    process: ProcessMemory,
}

/// Where the machine's memory is read from.
#[derive(Debug)]
enum MemorySource {
    /// The kernel's files under a root, and its memory pressure file.
    Files(Box<LinuxReader>, Box<PressureReader>),
    /// `sysinfo`'s host figures.
    Sysinfo(Box<System>),
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
        let memory = match LIVE_ROOT {
            Some(root) => MemorySource::Files(
                Box::new(LinuxReader::new(root)),
                Box::new(PressureReader::new(root)),
            ),
            None => MemorySource::Sysinfo(Box::new(System::new())),
        };
        SystemSampler {
            memory,
            process: ProcessMemory::live(),
        }
    }

    /// A sampler that reads `DIR/proc/meminfo`, `DIR/proc/self/cgroup` and
    /// `DIR/sys/fs/cgroup/...` instead of the live files, on any system: to reproduce a
    /// reading from a bug report, or to test with a fixture tree. The process' resident
    /// memory is `VmRSS` of `DIR/proc/self/status`, unknown when that file is absent.
    ///
    /// The files are kept open between readings, as on a live system: change a
    /// fixture's files in place, not by replacing them ([`LinuxReader`]).
    pub fn with_root(root: impl AsRef<Path>) -> SystemSampler {
        let root = root.as_ref();
        let process = if root == Path::new("/") {
            ProcessMemory::live()
        } else {
            ProcessMemory::Recorded(root.to_path_buf())
        };
        SystemSampler {
            memory: MemorySource::Files(
                Box::new(LinuxReader::new(root)),
                Box::new(PressureReader::new(root)),
            ),
            process,
        }
    }
}

impl MemorySource {
    fn read(
        &mut self,
        process: &mut ProcessMemory,
        started: Instant,
    ) -> Result<Reading, SampleError> {
        match self {
            MemorySource::Files(reader, pressure) => read_files(reader, pressure, process, started),
            MemorySource::Sysinfo(system) => read_sysinfo(system, process, started),
        }
    }
}

fn read_files(
    reader: &mut LinuxReader,
    pressure: &mut PressureReader,
    process: &mut ProcessMemory,
    started: Instant,
) -> Result<Reading, SampleError> {
    // Stall pressure where the kernel has it. An unreadable pressure file is not a failed
    // reading of memory: it only leaves PSI out of this sample, with a warning.
    let psi = match pressure.read() {
        Ok(psi) => psi.map(|(psi, _)| psi),
        Err(e) => {
            tracing::warn!("no stall pressure in this sample: {e}");
            None
        }
    };

    let linux = reader.read().map_err(|e| match e {
        LinuxReadError::Read { .. } => SampleError::Unavailable(e.to_string()),
        _ => SampleError::Invalid(e.to_string()),
    })?;

    Ok(Reading {
        total_bytes: linux.total_bytes,
        available_bytes: linux.available_bytes,
        process_bytes: process.read(),
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

fn read_sysinfo(
    system: &mut System,
    process: &mut ProcessMemory,
    started: Instant,
) -> Result<Reading, SampleError> {
    system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let total = system.total_memory();
    let available = system.available_memory();
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
        process_bytes: process.read(),
        duration: started.elapsed(),
        ..Reading::host(total, available)
    })
}

impl Sampler for SystemSampler {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let started = Instant::now();
        self.memory.read(&mut self.process, started)
    }
}
