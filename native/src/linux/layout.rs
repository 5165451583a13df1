//! The cgroup layout a reader keeps between readings: which memory cgroup the
//! process is in, where its hierarchy is mounted, the walk of its ancestors and
//! their files, found once from one text of `/proc/self/cgroup`.
//!
//! The limits, usage and statistics themselves are read again on every reading;
//! only where to read them is kept. The reader keeps a layout for as long as
//! `/proc/self/cgroup` reads the same, and finds a new one when it changes or
//! when a kept file can no longer be read.

use std::path::{Path, PathBuf};

use super::cgroup::{
    CgroupVersion, ProcessCgroup, cgroup_ancestry, memory_cgroup, parse_proc_self_cgroup,
};
use super::cgroup_files::{
    CgroupUsage, MemoryStat, parse_limit_in_bytes, parse_memory_high, parse_memory_max,
    parse_memory_stat, parse_usage_file,
};
use super::error::{LinuxReadError, ParseError};
use super::flag::ReadingFlag;
use super::kept_file::{Failure, Files, Slot};
use super::limit::{CgroupLevel, select_limit, select_memory_high};
use super::reading::{CgroupFindings, CgroupMeasurement};

/// `/proc/self/cgroup`, relative to the root.
pub(crate) const PROC_SELF_CGROUP: &str = "proc/self/cgroup";
/// Where cgroup v1's memory hierarchy is mounted, relative to the root.
const CGROUP_V1_MEMORY: &str = "sys/fs/cgroup/memory";
/// Where the cgroup v2 hierarchy is mounted on a unified host.
const CGROUP_V2: &str = "sys/fs/cgroup";
/// Where systemd mounts the cgroup v2 hierarchy on a hybrid host.
const CGROUP_V2_HYBRID: &str = "sys/fs/cgroup/unified";

/// What one text of `/proc/self/cgroup` says about where to read the cgroup's
/// memory.
#[derive(Debug)]
pub(crate) struct CgroupLayout {
    /// The text of `/proc/self/cgroup` the layout was found from.
    membership: String,
    /// The levels to read, the process' own first; `None` when there is no
    /// memory cgroup to look at.
    walk: Option<Walk>,
    /// What finding the layout set aside or could not see.
    flags: Vec<ReadingFlag>,
}

/// The cgroup and its ancestors, with the files kept for each.
#[derive(Debug)]
struct Walk {
    names: CgroupFiles,
    levels: Vec<Level>,
}

/// One cgroup on the walk and its memory files.
#[derive(Debug)]
struct Level {
    /// The cgroup's path, as `/proc/self/cgroup` writes it.
    cgroup: String,
    /// Its directory under the mount.
    dir: PathBuf,
    limit: Slot,
    high: Slot,
    usage: Slot,
    stat: Slot,
}

impl CgroupLayout {
    /// Finds the layout from the text of `/proc/self/cgroup` under `root`: the
    /// memory cgroup, its mount and the walk to the top. No file is opened yet.
    ///
    /// # Errors
    ///
    /// [`LinuxReadError::Parse`] when the text is not what the kernel writes.
    pub(crate) fn find(root: &Path, membership: &str) -> Result<CgroupLayout, LinuxReadError> {
        let entries =
            parse_proc_self_cgroup(membership).map_err(in_file(&root.join(PROC_SELF_CGROUP)))?;
        let mut layout = CgroupLayout {
            membership: membership.to_owned(),
            walk: None,
            flags: Vec::new(),
        };

        let Some(process) = memory_cgroup(&entries) else {
            return Ok(layout);
        };
        let mount = cgroup_mount(root, process.version);
        if !mount.is_dir() {
            layout.flags.push(ReadingFlag::CgroupMountMissing {
                path: mount.display().to_string(),
            });
            return Ok(layout);
        }

        let levels = walk_paths(&mount, &process, &mut layout.flags)
            .into_iter()
            .map(|cgroup| Level {
                dir: mount.join(relative(&cgroup)),
                cgroup,
                limit: Slot::default(),
                high: Slot::default(),
                usage: Slot::default(),
                stat: Slot::default(),
            })
            .collect();
        layout.walk = Some(Walk {
            names: CgroupFiles::new(process.version),
            levels,
        });
        Ok(layout)
    }

    /// True when the layout was found from this text of `/proc/self/cgroup`.
    pub(crate) fn is_for(&self, membership: &str) -> bool {
        self.membership == membership
    }

    /// Finds the cgroup limit and `memory.high` that apply, with usage where each
    /// is set.
    ///
    /// # Errors
    ///
    /// As [`read_memory`](super::read_memory) for the cgroup's files, or
    /// [`Failure::Stale`] when a file kept from an earlier reading is gone.
    pub(crate) fn read(
        &mut self,
        files: &mut Files,
        host_total_bytes: u64,
    ) -> Result<CgroupFindings, Failure> {
        let mut findings = CgroupFindings {
            flags: self.flags.clone(),
            ..CgroupFindings::default()
        };
        let Some(walk) = &mut self.walk else {
            return Ok(findings);
        };

        let levels = walk
            .levels
            .iter_mut()
            .map(|level| level.read_limits(files, &walk.names))
            .collect::<Result<Vec<_>, _>>()?;
        let own_stat = walk.read_own_stat(files)?;
        let hierarchical = own_stat
            .as_ref()
            .and_then(|stat| stat.hierarchical_memory_limit_bytes);

        let limit = select_limit(&levels, hierarchical, host_total_bytes);
        if let Some(choice) = limit {
            if choice.set_above_visible_hierarchy {
                findings
                    .flags
                    .push(ReadingFlag::LimitSetAboveVisibleHierarchy {
                        limit_bytes: choice.limit_bytes,
                        measured_at: levels[choice.level].path.clone(),
                    });
            }
            let measured =
                walk.measure(files, choice.level, choice.limit_bytes, own_stat.as_ref())?;
            findings.limit = Some(measured);
        }

        if let Some(choice) = select_memory_high(&levels, host_total_bytes) {
            let mut measured = match &findings.limit {
                Some(limit) if limit.path == levels[choice.level].path => limit.clone(),
                _ => walk.measure(files, choice.level, choice.high_bytes, own_stat.as_ref())?,
            };
            measured.bytes = choice.high_bytes;
            findings.high = Some(measured);
        }

        Ok(findings)
    }
}

impl Walk {
    /// v1's `memory.stat` of the process' own cgroup, for its
    /// `hierarchical_memory_limit`, if the file exists; `None` for v2.
    fn read_own_stat(&mut self, files: &mut Files) -> Result<Option<MemoryStat>, Failure> {
        if self.names.version == CgroupVersion::V2 {
            return Ok(None);
        }

        let own = &mut self.levels[0];
        let Some(text) = files.optional(&mut own.stat, || own.dir.join("memory.stat"))? else {
            return Ok(None);
        };
        let stat = parse_memory_stat(text).map_err(in_file(&own.dir.join("memory.stat")))?;
        Ok(Some(stat))
    }

    /// Measures usage at level `index`, which sets `bytes`. A limit is known to
    /// apply there, so every file is required: falling back to the host would hide
    /// it. `own_stat` is the own cgroup's `memory.stat` when this reading has read
    /// it already.
    fn measure(
        &mut self,
        files: &mut Files,
        index: usize,
        bytes: u64,
        own_stat: Option<&MemoryStat>,
    ) -> Result<CgroupMeasurement, Failure> {
        let names = &self.names;
        let level = &mut self.levels[index];

        let usage_text = files.required(&mut level.usage, || level.dir.join(names.usage))?;
        let current_bytes = parse_usage_file(usage_text, names.usage)
            .map_err(in_file(&level.dir.join(names.usage)))?;

        let stat_path = || level.dir.join("memory.stat");
        let stat = match own_stat {
            Some(stat) if index == 0 => *stat,
            _ => {
                let text = files.required(&mut level.stat, stat_path)?;
                parse_memory_stat(text).map_err(in_file(&stat_path()))?
            }
        };
        let (inactive_file, field) = match names.version {
            CgroupVersion::V1 => (stat.total_inactive_file_bytes, "total_inactive_file"),
            CgroupVersion::V2 => (stat.inactive_file_bytes, "inactive_file"),
        };
        let inactive_file_bytes = inactive_file.ok_or_else(|| LinuxReadError::Parse {
            path: stat_path(),
            source: ParseError::MissingField { field },
        })?;

        Ok(CgroupMeasurement {
            version: names.version,
            path: level.cgroup.clone(),
            bytes,
            usage: CgroupUsage {
                current_bytes,
                inactive_file_bytes,
            },
        })
    }
}

impl Level {
    /// Reads the limit, and for v2 `memory.high`, of this cgroup. An absent file
    /// means no limit at this level (the root, or v2 without the controller here).
    fn read_limits(
        &mut self,
        files: &mut Files,
        names: &CgroupFiles,
    ) -> Result<CgroupLevel, Failure> {
        let limit_path = || self.dir.join(names.limit);
        let limit_bytes = match (files.optional(&mut self.limit, limit_path)?, names.version) {
            (None, _) => None,
            (Some(text), CgroupVersion::V1) => {
                Some(parse_limit_in_bytes(text).map_err(in_file(&limit_path()))?)
            }
            (Some(text), CgroupVersion::V2) => {
                parse_memory_max(text).map_err(in_file(&limit_path()))?
            }
        };

        let high_path = || self.dir.join("memory.high");
        let high_bytes = match names.version {
            CgroupVersion::V1 => None,
            CgroupVersion::V2 => match files.optional(&mut self.high, high_path)? {
                Some(text) => parse_memory_high(text).map_err(in_file(&high_path()))?,
                None => None,
            },
        };

        Ok(CgroupLevel {
            path: self.cgroup.clone(),
            limit_bytes,
            high_bytes,
        })
    }
}

/// Where the hierarchy holding the memory controller is mounted.
///
/// TODO: read the mount points from `/proc/self/mountinfo` instead of assuming
/// the usual ones; a hierarchy mounted elsewhere is reported as
/// [`ReadingFlag::CgroupMountMissing`] today.
fn cgroup_mount(root: &Path, version: CgroupVersion) -> PathBuf {
    match version {
        CgroupVersion::V1 => root.join(CGROUP_V1_MEMORY),
        CgroupVersion::V2 => {
            let hybrid = root.join(CGROUP_V2_HYBRID);
            let unified_at_top = root.join(CGROUP_V2).join("cgroup.controllers").exists();
            if !unified_at_top && hybrid.join("cgroup.controllers").exists() {
                hybrid
            } else {
                root.join(CGROUP_V2)
            }
        }
    }
}

/// The cgroup paths to walk, the process' own first. When its directory is not
/// under the mount, the walk starts at the mount's top instead, with a flag.
fn walk_paths(mount: &Path, process: &ProcessCgroup, flags: &mut Vec<ReadingFlag>) -> Vec<String> {
    let visible = cgroup_ancestry(&process.path).filter(|walk| {
        walk.first()
            .is_some_and(|own| mount.join(relative(own)).is_dir())
    });
    if let Some(walk) = visible {
        return walk;
    }

    flags.push(ReadingFlag::CgroupPathNotFound {
        cgroup_path: process.path.clone(),
        walked_from: "/".to_owned(),
    });
    vec!["/".to_owned()]
}

/// The names of the memory controller's files for one cgroup version.
#[derive(Debug)]
struct CgroupFiles {
    version: CgroupVersion,
    limit: &'static str,
    usage: &'static str,
}

impl CgroupFiles {
    fn new(version: CgroupVersion) -> Self {
        match version {
            CgroupVersion::V1 => CgroupFiles {
                version,
                limit: "memory.limit_in_bytes",
                usage: "memory.usage_in_bytes",
            },
            CgroupVersion::V2 => CgroupFiles {
                version,
                limit: "memory.max",
                usage: "memory.current",
            },
        }
    }
}

/// A cgroup path without its leading `/`, to join under a mount.
fn relative(cgroup: &str) -> &str {
    cgroup.trim_start_matches('/')
}

/// Wraps a parse error with the path of the file it was found in.
pub(crate) fn in_file(path: &Path) -> impl Fn(ParseError) -> LinuxReadError + '_ {
    move |source| LinuxReadError::Parse {
        path: path.to_owned(),
        source,
    }
}
