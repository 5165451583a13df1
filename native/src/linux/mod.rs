//! Linux memory readings from `/proc` and the cgroup file systems.
//!
//! [`read_memory`] answers one question: how much memory can this process count
//! on, and how much of it is still available? On a bare host that is `MemTotal`
//! and `MemAvailable`. In a container it is the cgroup's limit and what is left
//! under it. It does not read the process' own resident memory, and it decides no
//! pressure level: the core does that from the [`LinuxReading`].
//!
//! # How a reading is made
//!
//! 1. [`parse_meminfo`] reads `/proc/meminfo` (`kB` means KiB). [`host_memory`]
//!    takes `MemAvailable`, never `MemFree`; it estimates `MemAvailable` the
//!    kernel's way where the line is missing or implausible, and adds the ZFS ARC
//!    above its minimum size ([`parse_arcstats`]).
//! 2. [`parse_proc_self_cgroup`] and [`memory_cgroup`] find the process' memory
//!    cgroup and whether it is on cgroup v1 or v2.
//! 3. For the cgroup and each ancestor ([`cgroup_ancestry`]) the reader reads the
//!    limit and, on v2, `memory.high`. [`select_limit`] keeps the smallest limit
//!    below the host's total; "no limit" values (`max`, numbers near 2^63, or
//!    anything at or above the host's total) are not limits.
//! 4. Usage is measured where that limit is set: `memory.current` (v1
//!    `memory.usage_in_bytes`) minus `inactive_file` (v1 `total_inactive_file`),
//!    never below 0 ([`CgroupUsage::working_set_bytes`]).
//! 5. [`effective_reading`] combines both sides and flags anything implausible it
//!    set aside ([`ReadingFlag`]).
//!
//! Steps 1, 2 and 5 and all parsing are pure functions of file contents; only
//! the reader touches the file system, relative to a root directory, so the
//! fixture trees in `tests/fixtures/linux` run the same code as a live system.
//! [`read_memory`] reads once; a [`LinuxReader`] reads again and again, keeping
//! the files open and the cgroup layout it found, for the same readings at a
//! fraction of the cost.
//!
//! # Missing and bad files
//!
//! - `/proc/meminfo` unreadable, or any file holding what the kernel does not
//!   write: an error naming the file, line and field. Nothing is defaulted.
//! - `/proc/self/cgroup` unreadable, the cgroup file system not mounted, or the
//!   process' cgroup not under the mount: the host reading (or the walk from the
//!   top of the mount) with a [`ReadingFlag`] saying so. Nothing can be measured
//!   there, so no limit we could see is hidden.
//! - A limit file absent at some level: no limit at that level (the root cgroup
//!   has none; v2 has none where the memory controller is not enabled).
//! - A limit file present but unreadable, or the usage files missing where a limit
//!   applies: an error, because falling back to the host would hide a real limit.
//! - ZFS statistics present but unusable: flagged, and the ARC counted as used.
//!
//! # `memory.high`
//!
//! cgroup v2 `memory.high` is a throttle, not a limit: above it the kernel
//! reclaims and then slows the cgroup's allocations. We report the smallest one on
//! the walk as `memory_high_bytes`, and set `at_or_above_memory_high` when the
//! working set of the cgroup that sets it has reached it. We compare the working
//! set rather than `memory.current` because the kernel reclaims page cache first:
//! a cgroup whose cache fills up to `memory.high` is not throttled. The sampler marks
//! such a sample `throttled`, and the core makes it at least `warning`, never `normal`.
//!
//! # Example
//!
//! ```
//! use mempressure_native::linux::{LimitSource, read_memory};
//! use std::path::Path;
//!
//! let reading = read_memory(Path::new("/"))?;
//! let used = 1.0 - reading.available_bytes as f64 / reading.total_bytes as f64;
//! if reading.source != LimitSource::Host {
//!     println!("limited by {:?}", reading.cgroup_path);
//! }
//! println!("{:.1} % used", used * 100.0);
//! # Ok::<(), mempressure_native::linux::LinuxReadError>(())
//! ```

mod cgroup;
mod cgroup_files;
mod error;
mod flag;
mod kept_file;
mod layout;
mod limit;
mod meminfo;
mod number;
mod psi;
mod reader;
mod reading;
mod zfs;

pub use cgroup::{
    CgroupEntry, CgroupVersion, ProcessCgroup, cgroup_ancestry, memory_cgroup,
    parse_proc_self_cgroup,
};
pub use cgroup_files::{
    CgroupUsage, MIN_CGROUP_LIMIT_BYTES, MemoryStat, parse_limit_in_bytes, parse_memory_high,
    parse_memory_max, parse_memory_stat, parse_usage_file,
};
pub use error::{LinuxReadError, ParseError};
pub use flag::ReadingFlag;
pub use limit::{CgroupLevel, HighChoice, LimitChoice, select_limit, select_memory_high};
pub use meminfo::{
    AvailableEstimate, MAX_HOST_TOTAL_BYTES, MIN_HOST_TOTAL_BYTES, Meminfo, estimate_available,
    parse_meminfo,
};
pub use psi::{
    MemoryPressure, PressureReader, PressureSource, memory_pressure_file, parse_memory_pressure,
    psi_disabled, read_memory_pressure,
};
pub use reader::{DEFAULT_FORGET_AFTER, LinuxReader, read_memory};
pub use reading::{
    CgroupFindings, CgroupMeasurement, HostMemory, LimitSource, LinuxReading, effective_reading,
    host_memory,
};
pub use zfs::{ArcStats, parse_arcstats};
