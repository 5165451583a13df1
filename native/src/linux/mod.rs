//! Linux memory readings from `/proc` and the cgroup file systems.
//!
//! Pure parsers for `/proc/meminfo`, `/proc/self/cgroup`, the memory cgroup files
//! and the ZFS ARC statistics, and the choice of the limiting cgroup.

mod cgroup;
mod cgroup_files;
mod error;
mod limit;
mod meminfo;
mod number;
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
pub use limit::{CgroupLevel, HighChoice, LimitChoice, select_limit, select_memory_high};
pub use meminfo::{
    AvailableEstimate, MAX_HOST_TOTAL_BYTES, MIN_HOST_TOTAL_BYTES, Meminfo, estimate_available,
    parse_meminfo,
};
pub use zfs::{ArcStats, parse_arcstats};
