//! The reading: the host's memory, corrected by the cgroup limit that applies.
//!
//! Everything here is pure: parsed figures come in, a [`LinuxReading`] goes out.
//! [`read_memory`](super::read_memory) feeds it from files; tests feed it directly.

use std::fmt;

use serde::Serialize;

use super::cgroup::CgroupVersion;
use super::cgroup_files::CgroupUsage;
use super::error::ParseError;
use super::flag::ReadingFlag;
use super::meminfo::{Meminfo, estimate_available};
use super::zfs::ArcStats;

/// `MemAvailable` of 0 is implausible when at least `MemTotal / 10` is free.
///
/// The kernel's `MemAvailable` starts from free memory and subtracts only the
/// reserved watermarks, a few percent of memory at most, so it cannot be 0 while a
/// tenth of memory is free.
const PLENTY_FREE_DIVISOR: u64 = 10;

/// Where the effective total of a [`LinuxReading`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LimitSource {
    /// The host's `MemTotal`: no cgroup limit below it applies.
    #[serde(rename = "host")]
    Host,
    /// A cgroup v1 `memory.limit_in_bytes`.
    #[serde(rename = "cgroup-v1")]
    CgroupV1,
    /// A cgroup v2 `memory.max`.
    #[serde(rename = "cgroup-v2")]
    CgroupV2,
}

impl fmt::Display for LimitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitSource::Host => "host",
            LimitSource::CgroupV1 => "cgroup-v1",
            LimitSource::CgroupV2 => "cgroup-v2",
        })
    }
}

impl From<CgroupVersion> for LimitSource {
    fn from(version: CgroupVersion) -> Self {
        match version {
            CgroupVersion::V1 => LimitSource::CgroupV1,
            CgroupVersion::V2 => LimitSource::CgroupV2,
        }
    }
}

/// The memory this process can count on, in bytes, and how that was worked out.
///
/// Usage for the pressure level is `1 - available_bytes / total_bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinuxReading {
    /// The effective total, in bytes: the cgroup limit that applies, or the host's
    /// `MemTotal` when none does.
    pub total_bytes: u64,
    /// The effective available memory, in bytes. Under a cgroup limit:
    /// `limit - (usage - inactive_file)`, but never more than the host has
    /// available. On the host: `MemAvailable` plus the reclaimable ZFS ARC.
    pub available_bytes: u64,
    /// The host's `MemTotal`, in bytes.
    pub host_total_bytes: u64,
    /// The host's available memory, in bytes: `MemAvailable` (or its estimate) plus
    /// the ZFS ARC above its minimum size, capped at `host_total_bytes`.
    pub host_available_bytes: u64,
    /// Where `total_bytes` comes from.
    pub source: LimitSource,
    /// The cgroup that sets the limit, when a cgroup limit applies.
    pub cgroup_path: Option<String>,
    /// The smallest cgroup v2 `memory.high` on the way to the root, in bytes, when
    /// one is below the host's total.
    pub memory_high_bytes: Option<u64>,
    /// True when the working set (`memory.current - inactive_file`) of the cgroup
    /// that sets `memory.high` is at or above it: the kernel is throttling. Such a
    /// reading should never count as normal pressure.
    pub at_or_above_memory_high: bool,
    /// True when `MemAvailable` was absent or implausible and was estimated.
    pub estimated: bool,
    /// What was set aside or could not be seen; empty when all was plausible.
    pub flags: Vec<ReadingFlag>,
}

/// The host's memory from `/proc/meminfo` and the ZFS ARC, in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostMemory {
    /// `MemTotal`, in bytes.
    pub total_bytes: u64,
    /// `MemAvailable` (or its estimate) plus the reclaimable ARC, in bytes.
    pub available_bytes: u64,
    /// True when `MemAvailable` was estimated.
    pub estimated: bool,
    /// What was set aside on the host side.
    pub flags: Vec<ReadingFlag>,
}

/// A cgroup's limit, or `memory.high`, with the usage measured where it is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CgroupMeasurement {
    /// The interface the cgroup belongs to.
    pub version: CgroupVersion,
    /// The cgroup that sets the figure.
    pub path: String,
    /// The limit or `memory.high`, in bytes.
    pub bytes: u64,
    /// The cgroup's usage.
    pub usage: CgroupUsage,
}

/// What the cgroup side found: the limit and `memory.high` that apply, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CgroupFindings {
    /// The limit below the host's total that applies, with usage where it is set.
    pub limit: Option<CgroupMeasurement>,
    /// The smallest `memory.high` below the host's total, with usage where it is set.
    pub high: Option<CgroupMeasurement>,
    /// What was set aside or could not be seen on the cgroup side.
    pub flags: Vec<ReadingFlag>,
}

/// Works out the host's memory from `/proc/meminfo` and, where ZFS is loaded, the
/// ARC statistics.
///
/// Available memory is `MemAvailable`, never `MemFree`. When `MemAvailable` is
/// absent, reads 0 while a tenth of memory or more is free, or exceeds `MemTotal`,
/// it is estimated with [`estimate_available`] and the result is marked
/// `estimated` with a flag saying why. The ARC above its minimum size is added.
///
/// # Errors
///
/// [`ParseError::CannotEstimateAvailable`] when an estimate is needed and the lines
/// for it are missing.
pub fn host_memory(meminfo: &Meminfo, arc: Option<&ArcStats>) -> Result<HostMemory, ParseError> {
    let total = meminfo.total_bytes;
    let free = meminfo.free_bytes.unwrap_or(0);
    let estimate = || estimate_available(meminfo).ok_or(ParseError::CannotEstimateAvailable);

    let (available, flag) = match meminfo.available_bytes {
        None => {
            let (bytes, method) = estimate()?;
            (
                bytes,
                Some(ReadingFlag::MemAvailableMissing { estimate: method }),
            )
        }
        Some(0) if free >= total / PLENTY_FREE_DIVISOR => {
            let (bytes, method) = estimate()?;
            let flag = ReadingFlag::MemAvailableZeroWhileFree {
                mem_free_bytes: free,
                estimate: method,
            };
            (bytes, Some(flag))
        }
        Some(bytes) if bytes > total => {
            let (estimated, method) = estimate()?;
            let flag = ReadingFlag::MemAvailableAboveTotal {
                mem_available_bytes: bytes,
                mem_total_bytes: total,
                estimate: method,
            };
            (estimated, Some(flag))
        }
        Some(bytes) => (bytes, None),
    };

    let arc_bytes = arc.map_or(0, ArcStats::reclaimable_bytes);
    Ok(HostMemory {
        total_bytes: total,
        available_bytes: available.saturating_add(arc_bytes).min(total),
        estimated: flag.is_some(),
        flags: flag.into_iter().collect(),
    })
}

/// Combines the host's memory with what the cgroup side found.
///
/// 1. Start from the host: total `MemTotal`, available as in [`host_memory`].
/// 2. Report `memory.high` and whether the working set of the cgroup that sets it
///    is at or above it.
/// 3. Where a limit below the host's total applies, the total is that limit and
///    available is `limit - working set` (never below 0), but no more than the host
///    has available: a cgroup cannot get memory the host does not have.
/// 4. A cgroup whose usage exceeds the host's total is implausible: it is flagged
///    and set aside, and the host reading stands.
pub fn effective_reading(host: &HostMemory, cgroup: &CgroupFindings) -> LinuxReading {
    let mut reading = LinuxReading {
        total_bytes: host.total_bytes,
        available_bytes: host.available_bytes,
        host_total_bytes: host.total_bytes,
        host_available_bytes: host.available_bytes,
        source: LimitSource::Host,
        cgroup_path: None,
        memory_high_bytes: None,
        at_or_above_memory_high: false,
        estimated: host.estimated,
        flags: host.flags.clone(),
    };
    reading.flags.extend(cgroup.flags.iter().cloned());

    if let Some(high) = &cgroup.high {
        reading.memory_high_bytes = Some(high.bytes);
        if plausible(high, host, &mut reading.flags) {
            reading.at_or_above_memory_high = high.usage.working_set_bytes() >= high.bytes;
        }
    }

    let Some(limit) = &cgroup.limit else {
        return reading;
    };
    if limit.bytes >= host.total_bytes || !plausible(limit, host, &mut reading.flags) {
        return reading;
    }

    let cgroup_available = limit.bytes.saturating_sub(limit.usage.working_set_bytes());
    reading.total_bytes = limit.bytes;
    reading.available_bytes = cgroup_available.min(host.available_bytes);
    reading.source = limit.version.into();
    reading.cgroup_path = Some(limit.path.clone());
    reading
}

/// False, with a flag added once, when the cgroup uses more than the host has.
fn plausible(
    measured: &CgroupMeasurement,
    host: &HostMemory,
    flags: &mut Vec<ReadingFlag>,
) -> bool {
    if measured.usage.current_bytes <= host.total_bytes {
        return true;
    }

    let flag = ReadingFlag::CgroupUsageAboveHostTotal {
        cgroup_path: measured.path.clone(),
        usage_bytes: measured.usage.current_bytes,
        host_total_bytes: host.total_bytes,
    };
    if !flags.contains(&flag) {
        flags.push(flag);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::meminfo::AvailableEstimate;

    const GIB: u64 = 1 << 30;

    fn meminfo(total: u64, free: Option<u64>, available: Option<u64>) -> Meminfo {
        Meminfo {
            total_bytes: total,
            free_bytes: free,
            available_bytes: available,
            cached_bytes: Some(GIB),
            active_file_bytes: None,
            inactive_file_bytes: None,
            s_reclaimable_bytes: None,
        }
    }

    fn host(total: u64, available: u64) -> HostMemory {
        HostMemory {
            total_bytes: total,
            available_bytes: available,
            estimated: false,
            flags: Vec::new(),
        }
    }

    fn measured(path: &str, bytes: u64, current: u64, inactive_file: u64) -> CgroupMeasurement {
        CgroupMeasurement {
            version: CgroupVersion::V2,
            path: path.to_owned(),
            bytes,
            usage: CgroupUsage {
                current_bytes: current,
                inactive_file_bytes: inactive_file,
            },
        }
    }

    #[test]
    fn available_is_mem_available_not_mem_free() {
        let host = host_memory(&meminfo(64 * GIB, Some(GIB), Some(48 * GIB)), None).unwrap();

        assert_eq!(host.available_bytes, 48 * GIB);
        assert!(!host.estimated);
        assert!(host.flags.is_empty());
    }

    #[test]
    fn missing_mem_available_is_estimated_and_flagged() {
        let host = host_memory(&meminfo(8 * GIB, Some(2 * GIB), None), None).unwrap();

        assert_eq!(host.available_bytes, 3 * GIB);
        assert!(host.estimated);
        assert_eq!(
            host.flags,
            [ReadingFlag::MemAvailableMissing {
                estimate: AvailableEstimate::FreePlusCached
            }]
        );
    }

    #[test]
    fn zero_mem_available_with_plenty_free_is_estimated() {
        let host = host_memory(&meminfo(8 * GIB, Some(4 * GIB), Some(0)), None).unwrap();

        assert_eq!(host.available_bytes, 5 * GIB);
        assert!(host.estimated);
    }

    #[test]
    fn zero_mem_available_with_little_free_is_believed() {
        let host = host_memory(&meminfo(8 * GIB, Some(GIB / 100), Some(0)), None).unwrap();

        assert_eq!(host.available_bytes, 0);
        assert!(!host.estimated);
    }

    #[test]
    fn mem_available_above_total_is_estimated() {
        let host = host_memory(&meminfo(8 * GIB, Some(GIB), Some(9 * GIB)), None).unwrap();

        assert_eq!(host.available_bytes, 2 * GIB);
        assert!(matches!(
            host.flags[..],
            [ReadingFlag::MemAvailableAboveTotal { .. }]
        ));
    }

    #[test]
    fn no_way_to_estimate_is_an_error() {
        let mut info = meminfo(8 * GIB, None, None);
        info.cached_bytes = None;

        assert_eq!(
            host_memory(&info, None),
            Err(ParseError::CannotEstimateAvailable)
        );
    }

    #[test]
    fn arc_above_its_minimum_counts_as_available() {
        let arc = ArcStats {
            size_bytes: 20 * GIB,
            c_min_bytes: GIB,
        };

        let host = host_memory(&meminfo(32 * GIB, Some(GIB), Some(4 * GIB)), Some(&arc)).unwrap();
        let capped = host_memory(&meminfo(32 * GIB, Some(GIB), Some(20 * GIB)), Some(&arc));

        assert_eq!(host.available_bytes, 23 * GIB);
        assert_eq!(capped.unwrap().available_bytes, 32 * GIB);
    }

    #[test]
    fn limit_below_host_is_the_total_and_page_cache_is_not_used() {
        let findings = CgroupFindings {
            limit: Some(measured("/app", 4 * GIB, 3 * GIB, 2 * GIB)),
            ..CgroupFindings::default()
        };

        let reading = effective_reading(&host(16 * GIB, 10 * GIB), &findings);

        assert_eq!(reading.total_bytes, 4 * GIB);
        assert_eq!(reading.available_bytes, 3 * GIB);
        assert_eq!(reading.source, LimitSource::CgroupV2);
        assert_eq!(reading.cgroup_path.as_deref(), Some("/app"));
    }

    #[test]
    fn host_with_less_available_than_the_cgroup_caps_it() {
        let findings = CgroupFindings {
            limit: Some(measured("/app", 8 * GIB, GIB, 0)),
            ..CgroupFindings::default()
        };

        let reading = effective_reading(&host(16 * GIB, 2 * GIB), &findings);

        assert_eq!(reading.total_bytes, 8 * GIB);
        assert_eq!(reading.available_bytes, 2 * GIB);
    }

    #[test]
    fn usage_above_limit_leaves_nothing_available() {
        let findings = CgroupFindings {
            limit: Some(measured("/app", GIB, 2 * GIB, 0)),
            ..CgroupFindings::default()
        };

        let reading = effective_reading(&host(16 * GIB, 10 * GIB), &findings);

        assert_eq!(reading.available_bytes, 0);
    }

    #[test]
    fn usage_above_host_is_flagged_and_the_host_reading_stands() {
        let findings = CgroupFindings {
            limit: Some(measured("/app", 4 * GIB, 64 * GIB, 0)),
            high: Some(measured("/app", 2 * GIB, 64 * GIB, 0)),
            flags: Vec::new(),
        };

        let reading = effective_reading(&host(16 * GIB, 10 * GIB), &findings);

        assert_eq!(reading.source, LimitSource::Host);
        assert_eq!(reading.total_bytes, 16 * GIB);
        assert_eq!(reading.available_bytes, 10 * GIB);
        assert!(!reading.at_or_above_memory_high);
        assert_eq!(reading.flags.len(), 1);
    }

    #[test]
    fn memory_high_compares_the_working_set() {
        let over = CgroupFindings {
            high: Some(measured("/app", 2 * GIB, 3 * GIB, GIB)),
            ..CgroupFindings::default()
        };
        let cache_only = CgroupFindings {
            high: Some(measured("/app", 2 * GIB, 3 * GIB, GIB + 1)),
            ..CgroupFindings::default()
        };

        let over = effective_reading(&host(16 * GIB, 10 * GIB), &over);
        let cache_only = effective_reading(&host(16 * GIB, 10 * GIB), &cache_only);

        assert_eq!(over.memory_high_bytes, Some(2 * GIB));
        assert!(over.at_or_above_memory_high);
        assert_eq!(over.source, LimitSource::Host);
        assert!(!cache_only.at_or_above_memory_high);
    }

    #[test]
    fn serialises_source_names() {
        let reading = effective_reading(&host(16 * GIB, 10 * GIB), &CgroupFindings::default());

        let json = serde_json::to_value(&reading).unwrap();

        assert_eq!(json["source"], "host");
        assert_eq!(
            serde_json::to_value(LimitSource::CgroupV1).unwrap(),
            "cgroup-v1"
        );
    }
}
