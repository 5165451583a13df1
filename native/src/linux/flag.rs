//! What a reading set aside or could not see, told alongside the reading.

use std::fmt;

use serde::Serialize;

use super::meminfo::AvailableEstimate;

/// Something implausible or missing that the reading set aside, and what it did
/// instead.
///
/// A flag never means the figures are invented: each says which real figure was
/// used in place of the one set aside. Serialised with a `kind` tag in kebab-case,
/// e.g. `{"kind": "mem-available-missing", "estimate": "kernel-formula"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ReadingFlag {
    /// `/proc/meminfo` has no `MemAvailable` line (kernel before 3.14, some vendor
    /// builds, WSL1); available memory was estimated.
    MemAvailableMissing {
        /// How it was estimated.
        estimate: AvailableEstimate,
    },

    /// `MemAvailable` read 0 although a tenth or more of memory was free, which the
    /// kernel's own formula cannot give; available memory was estimated.
    MemAvailableZeroWhileFree {
        /// `MemFree`, in bytes.
        mem_free_bytes: u64,
        /// How available memory was estimated.
        estimate: AvailableEstimate,
    },

    /// `MemAvailable` was larger than `MemTotal`; available memory was estimated.
    MemAvailableAboveTotal {
        /// `MemAvailable` as read, in bytes.
        mem_available_bytes: u64,
        /// `MemTotal`, in bytes.
        mem_total_bytes: u64,
        /// How available memory was estimated.
        estimate: AvailableEstimate,
    },

    /// The ZFS ARC statistics exist but could not be read or understood, so the
    /// ARC was counted as used; available memory may be understated.
    ZfsArcstatsUnusable {
        /// Full path of the file.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// `/proc/self/cgroup` could not be read, so no cgroup limit could be looked
    /// for; the host reading is used.
    CgroupMembershipUnreadable {
        /// Full path of the file.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// The memory cgroup file system is not mounted where expected, so no cgroup
    /// limit could be looked for; the host reading is used.
    CgroupMountMissing {
        /// Full path of the missing directory.
        path: String,
    },

    /// The process' cgroup directory does not exist under the mount (typical of a
    /// container without its own cgroup namespace, whose mount shows only its own
    /// cgroup). The walk started at the highest visible cgroup instead.
    CgroupPathNotFound {
        /// The process' cgroup path from `/proc/self/cgroup`.
        cgroup_path: String,
        /// The cgroup where the walk started instead.
        walked_from: String,
    },

    /// cgroup v1's `hierarchical_memory_limit` is set by an ancestor outside the
    /// visible hierarchy. The limit is used, but usage is measured at the highest
    /// visible cgroup and may leave out the ancestor's other children.
    LimitSetAboveVisibleHierarchy {
        /// The limit, in bytes.
        limit_bytes: u64,
        /// The cgroup where usage was measured.
        measured_at: String,
    },

    /// A cgroup claims to use more memory than the host has, which cannot be true;
    /// its reading was set aside and the host reading used.
    CgroupUsageAboveHostTotal {
        /// The cgroup's path.
        cgroup_path: String,
        /// `memory.current` or `memory.usage_in_bytes`, in bytes.
        usage_bytes: u64,
        /// The host's `MemTotal`, in bytes.
        host_total_bytes: u64,
    },
}

impl fmt::Display for ReadingFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadingFlag::MemAvailableMissing { estimate } => {
                write!(
                    f,
                    "no MemAvailable in /proc/meminfo; estimated as {estimate}"
                )
            }
            ReadingFlag::MemAvailableZeroWhileFree {
                mem_free_bytes,
                estimate,
            } => write!(
                f,
                "MemAvailable read 0 with {mem_free_bytes} bytes free; estimated as {estimate}"
            ),
            ReadingFlag::MemAvailableAboveTotal {
                mem_available_bytes,
                mem_total_bytes,
                estimate,
            } => write!(
                f,
                "MemAvailable {mem_available_bytes} bytes exceeds MemTotal {mem_total_bytes} \
                 bytes; estimated as {estimate}"
            ),
            ReadingFlag::ZfsArcstatsUnusable { path, reason } => {
                write!(f, "ZFS ARC counted as used: cannot use {path}: {reason}")
            }
            ReadingFlag::CgroupMembershipUnreadable { path, reason } => {
                write!(f, "cgroup limits not checked: cannot read {path}: {reason}")
            }
            ReadingFlag::CgroupMountMissing { path } => {
                write!(f, "cgroup limits not checked: {path} is not a directory")
            }
            ReadingFlag::CgroupPathNotFound {
                cgroup_path,
                walked_from,
            } => write!(
                f,
                "cgroup {cgroup_path} not found under the mount; walked from {walked_from}"
            ),
            ReadingFlag::LimitSetAboveVisibleHierarchy {
                limit_bytes,
                measured_at,
            } => write!(
                f,
                "limit of {limit_bytes} bytes set above the visible cgroups; usage measured \
                 at {measured_at}"
            ),
            ReadingFlag::CgroupUsageAboveHostTotal {
                cgroup_path,
                usage_bytes,
                host_total_bytes,
            } => write!(
                f,
                "cgroup {cgroup_path} claims {usage_bytes} bytes, more than the host's \
                 {host_total_bytes}; host reading used"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_a_kind_tag() {
        let flag = ReadingFlag::MemAvailableMissing {
            estimate: AvailableEstimate::KernelFormula,
        };

        let json = serde_json::to_string(&flag).unwrap();

        assert_eq!(
            json,
            r#"{"kind":"mem-available-missing","estimate":"kernel-formula"}"#
        );
    }

    #[test]
    fn displays_for_humans() {
        let flag = ReadingFlag::CgroupUsageAboveHostTotal {
            cgroup_path: "/".to_owned(),
            usage_bytes: 2,
            host_total_bytes: 1,
        };

        assert_eq!(
            flag.to_string(),
            "cgroup / claims 2 bytes, more than the host's 1; host reading used"
        );
    }
}
