//! Which cgroup limits the process: walking from its cgroup up to the root.
//!
//! A limit on any ancestor applies to every cgroup below it, so the process' own
//! `memory.max` alone says little (a Kubernetes pod sets the limit on the pod's
//! cgroup, not the container's). We take the smallest limit on the way up and
//! measure usage at the cgroup that sets it, because that is where the kernel
//! compares usage with the limit.
//!
//! "No limit" is not a limit: a v2 `max`, a v1 value near 2^63, and any limit at or
//! above the host's total all leave the host's total in charge. We compare with the
//! host's total, never with one magic number, because the v1 value depends on the
//! kernel version and its page size.

use serde::Serialize;

/// The limits found in one cgroup directory on the walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CgroupLevel {
    /// The cgroup's path, as in `/proc/self/cgroup` (`/` for the highest visible).
    pub path: String,
    /// `memory.max` (v2) or `memory.limit_in_bytes` (v1), in bytes; `None` for `max`
    /// or when the file is absent (the root cgroup, or v2 without the memory
    /// controller enabled at this level).
    pub limit_bytes: Option<u64>,
    /// `memory.high` (v2 only), in bytes; `None` for `max` or when absent.
    pub high_bytes: Option<u64>,
}

/// The limit that applies to the process, and where to measure usage against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LimitChoice {
    /// Index into the walk of the cgroup that sets the limit.
    pub level: usize,
    /// The limit, in bytes; below the host's total.
    pub limit_bytes: u64,
    /// True when the limit is set by an ancestor above the highest visible cgroup
    /// (v1 `hierarchical_memory_limit` smaller than every visible limit). Usage is
    /// then measured at the highest visible cgroup, which may undercount.
    pub set_above_visible_hierarchy: bool,
}

/// The smallest `memory.high` on the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HighChoice {
    /// Index into the walk of the cgroup that sets it.
    pub level: usize,
    /// `memory.high`, in bytes; below the host's total.
    pub high_bytes: u64,
}

/// Chooses the limit that applies to the process, or `None` when the host's total
/// is the limit.
///
/// `levels` runs from the process' cgroup up to the highest visible one. Limits at
/// or above `host_total_bytes` are no limits. Of equal limits, the one nearest the
/// root wins: its usage includes the others', so it is the tighter.
///
/// `hierarchical_limit_bytes` is v1's `hierarchical_memory_limit` from the process'
/// own `memory.stat` (pass `None` for v2). The kernel works it out over all
/// ancestors, even those outside the cgroup namespace, and it honours
/// `memory.use_hierarchy`, so when present it decides which limit applies; the walk
/// then only finds the cgroup that sets it.
///
/// # Example
///
/// ```
/// use mempressure_native::linux::{CgroupLevel, select_limit};
///
/// let level = |path: &str, limit| CgroupLevel {
///     path: path.to_owned(),
///     limit_bytes: limit,
///     high_bytes: None,
/// };
/// let levels = [level("/pod/ctr", None), level("/pod", Some(2 << 30)), level("/", None)];
///
/// let choice = select_limit(&levels, None, 16 << 30).unwrap();
/// assert_eq!((choice.level, choice.limit_bytes), (1, 2 << 30));
/// ```
pub fn select_limit(
    levels: &[CgroupLevel],
    hierarchical_limit_bytes: Option<u64>,
    host_total_bytes: u64,
) -> Option<LimitChoice> {
    let is_limit = |bytes: &u64| *bytes < host_total_bytes;
    let walked = smallest(
        levels.iter().map(|level| level.limit_bytes),
        host_total_bytes,
    );

    let Some(hierarchical) = hierarchical_limit_bytes else {
        return walked.map(|(level, limit_bytes)| LimitChoice {
            level,
            limit_bytes,
            set_above_visible_hierarchy: false,
        });
    };
    if !is_limit(&hierarchical) {
        return None;
    }

    // The cgroup nearest the root whose own limit is the hierarchical one sets it.
    let setter = levels
        .iter()
        .rposition(|level| level.limit_bytes == Some(hierarchical));
    let highest_visible = levels.len().checked_sub(1)?;
    Some(LimitChoice {
        level: setter.unwrap_or(highest_visible),
        limit_bytes: hierarchical,
        set_above_visible_hierarchy: setter.is_none(),
    })
}

/// Chooses the smallest `memory.high` on the walk, or `None` when none is below the
/// host's total. Ties go to the cgroup nearest the root, as in [`select_limit`].
pub fn select_memory_high(levels: &[CgroupLevel], host_total_bytes: u64) -> Option<HighChoice> {
    smallest(
        levels.iter().map(|level| level.high_bytes),
        host_total_bytes,
    )
    .map(|(level, high_bytes)| HighChoice { level, high_bytes })
}

/// Index and value of the smallest value below `ceiling`, the last one of equals.
fn smallest(values: impl Iterator<Item = Option<u64>>, ceiling: u64) -> Option<(usize, u64)> {
    values
        .enumerate()
        .filter_map(|(index, value)| Some((index, value.filter(|v| *v < ceiling)?)))
        .min_by(|(a_index, a), (b_index, b)| a.cmp(b).then(b_index.cmp(a_index)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;
    const HOST: u64 = 16 * GIB;
    const V1_UNLIMITED: u64 = 9_223_372_036_854_771_712;

    fn level(path: &str, limit_bytes: Option<u64>, high_bytes: Option<u64>) -> CgroupLevel {
        CgroupLevel {
            path: path.to_owned(),
            limit_bytes,
            high_bytes,
        }
    }

    #[test]
    fn no_limit_anywhere_is_the_host() {
        let levels = [
            level("/a", None, None),
            level("/", Some(V1_UNLIMITED), None),
        ];

        assert_eq!(select_limit(&levels, None, HOST), None);
    }

    #[test]
    fn limit_at_or_above_host_is_no_limit() {
        let levels = [
            level("/a", Some(HOST), None),
            level("/", Some(HOST + 1), None),
        ];

        assert_eq!(select_limit(&levels, None, HOST), None);
    }

    #[test]
    fn smallest_limit_on_the_walk_wins() {
        let levels = [
            level("/s/app", Some(8 * GIB), None),
            level("/s", Some(4 * GIB), None),
            level("/", None, None),
        ];

        assert_eq!(
            select_limit(&levels, None, HOST),
            Some(LimitChoice {
                level: 1,
                limit_bytes: 4 * GIB,
                set_above_visible_hierarchy: false
            })
        );
    }

    #[test]
    fn equal_limits_go_to_the_cgroup_nearest_the_root() {
        let levels = [
            level("/p/c", Some(2 * GIB), None),
            level("/p", Some(2 * GIB), None),
            level("/", None, None),
        ];

        assert_eq!(select_limit(&levels, None, HOST).unwrap().level, 1);
    }

    #[test]
    fn v1_hierarchical_limit_finds_its_setter() {
        let levels = [
            level("/k/pod/ctr", Some(V1_UNLIMITED), None),
            level("/k/pod", Some(2 * GIB), None),
            level("/k", Some(V1_UNLIMITED), None),
            level("/", Some(V1_UNLIMITED), None),
        ];

        let choice = select_limit(&levels, Some(2 * GIB), HOST).unwrap();

        assert_eq!(choice.level, 1);
        assert!(!choice.set_above_visible_hierarchy);
    }

    #[test]
    fn v1_hierarchical_limit_above_the_visible_walk_is_kept() {
        let levels = [level("/", Some(V1_UNLIMITED), None)];

        let choice = select_limit(&levels, Some(GIB), HOST).unwrap();

        assert_eq!(
            choice,
            LimitChoice {
                level: 0,
                limit_bytes: GIB,
                set_above_visible_hierarchy: true
            }
        );
    }

    #[test]
    fn v1_hierarchical_unlimited_overrides_ancestors_without_hierarchy() {
        // memory.use_hierarchy = 0: the parent's limit does not apply to the child.
        let levels = [
            level("/c", Some(V1_UNLIMITED), None),
            level("/", Some(GIB), None),
        ];

        assert_eq!(select_limit(&levels, Some(V1_UNLIMITED), HOST), None);
    }

    #[test]
    fn smallest_high_wins_and_max_is_none() {
        let levels = [
            level("/a/b", None, Some(6 * GIB)),
            level("/a", None, Some(3 * GIB)),
            level("/", None, None),
        ];

        assert_eq!(
            select_memory_high(&levels, HOST),
            Some(HighChoice {
                level: 1,
                high_bytes: 3 * GIB
            })
        );
        assert_eq!(select_memory_high(&levels[2..], HOST), None);
    }
}
