//! The thin reader: loads the memory files from a root directory and hands them to
//! the pure functions.
//!
//! The root is `/` on a live system and a fixture tree in tests, so both run the
//! same code. Missing files are handled by the rule in the module docs of
//! [`linux`](super): a missing cgroup file falls back to the host reading with a
//! flag, unless a limit is known to apply, in which case it is an error.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::cgroup::{
    CgroupVersion, ProcessCgroup, cgroup_ancestry, memory_cgroup, parse_proc_self_cgroup,
};
use super::cgroup_files::{
    CgroupUsage, parse_limit_in_bytes, parse_memory_high, parse_memory_max, parse_memory_stat,
    parse_usage_file,
};
use super::error::{LinuxReadError, ParseError};
use super::flag::ReadingFlag;
use super::limit::{CgroupLevel, select_limit, select_memory_high};
use super::meminfo::parse_meminfo;
use super::reading::{
    CgroupFindings, CgroupMeasurement, LinuxReading, effective_reading, host_memory,
};
use super::zfs::{ArcStats, parse_arcstats};

/// `/proc/meminfo`, relative to the root.
const PROC_MEMINFO: &str = "proc/meminfo";
/// `/proc/self/cgroup`, relative to the root.
const PROC_SELF_CGROUP: &str = "proc/self/cgroup";
/// The ZFS ARC statistics, relative to the root.
const ZFS_ARCSTATS: &str = "proc/spl/kstat/zfs/arcstats";
/// Where cgroup v1's memory hierarchy is mounted, relative to the root.
const CGROUP_V1_MEMORY: &str = "sys/fs/cgroup/memory";
/// Where the cgroup v2 hierarchy is mounted on a unified host.
const CGROUP_V2: &str = "sys/fs/cgroup";
/// Where systemd mounts the cgroup v2 hierarchy on a hybrid host.
const CGROUP_V2_HYBRID: &str = "sys/fs/cgroup/unified";

/// Reads the memory this process can count on, from the files under `root`.
///
/// `root` is `/` on a live system. The files read are `proc/meminfo`,
/// `proc/self/cgroup`, the memory cgroup's files under `sys/fs/cgroup` for the
/// process' cgroup and each ancestor, and `proc/spl/kstat/zfs/arcstats` if present.
///
/// # Errors
///
/// - [`LinuxReadError::Read`] when `proc/meminfo` cannot be read, or when a limit
///   applies but the files to measure usage against it cannot be read.
/// - [`LinuxReadError::Parse`] when any file read holds something the kernel does
///   not write, including a `MemTotal` or cgroup limit outside sane bounds. The
///   error names the file's full path, the line and the field.
///
/// # Example
///
/// ```
/// use std::path::Path;
///
/// let reading = mempressure_native::linux::read_memory(Path::new("/"))?;
/// assert!(reading.available_bytes <= reading.total_bytes);
/// println!("{} of {} bytes available ({})", reading.available_bytes,
///          reading.total_bytes, reading.source);
/// # Ok::<(), mempressure_native::linux::LinuxReadError>(())
/// ```
pub fn read_memory(root: &Path) -> Result<LinuxReading, LinuxReadError> {
    let meminfo_path = root.join(PROC_MEMINFO);
    let meminfo_text = read_required(&meminfo_path)?;
    let meminfo = parse_meminfo(&meminfo_text).map_err(in_file(&meminfo_path))?;

    let mut arc_flags = Vec::new();
    let arc = read_arcstats(root, &mut arc_flags);
    let mut host = host_memory(&meminfo, arc.as_ref()).map_err(in_file(&meminfo_path))?;
    host.flags.extend(arc_flags);

    let cgroup = read_cgroup(root, host.total_bytes)?;
    Ok(effective_reading(&host, &cgroup))
}

/// The ARC statistics, or `None` without ZFS. A file that exists but cannot be
/// used is flagged and skipped: the ARC then counts as used, which can only
/// understate available memory.
fn read_arcstats(root: &Path, flags: &mut Vec<ReadingFlag>) -> Option<ArcStats> {
    let path = root.join(ZFS_ARCSTATS);
    let result = match fs::read_to_string(&path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return None,
        Err(error) => Err(error.to_string()),
        Ok(text) => parse_arcstats(&text).map_err(|error| error.to_string()),
    };

    result
        .map_err(|reason| {
            flags.push(ReadingFlag::ZfsArcstatsUnusable {
                path: path.display().to_string(),
                reason,
            });
        })
        .ok()
}

/// Finds the cgroup limit and `memory.high` that apply, with usage where each is set.
fn read_cgroup(root: &Path, host_total_bytes: u64) -> Result<CgroupFindings, LinuxReadError> {
    let mut findings = CgroupFindings::default();

    let Some(process) = read_membership(root, &mut findings.flags)? else {
        return Ok(findings);
    };
    let mount = cgroup_mount(root, process.version);
    if !mount.is_dir() {
        findings.flags.push(ReadingFlag::CgroupMountMissing {
            path: mount.display().to_string(),
        });
        return Ok(findings);
    }

    let walk = walk_paths(&mount, &process, &mut findings.flags);
    let files = CgroupFiles::new(process.version);
    let levels = walk
        .iter()
        .map(|path| files.read_level(&mount, path))
        .collect::<Result<Vec<_>, _>>()?;
    let hierarchical = files.read_hierarchical_limit(&mount, &walk[0])?;

    let limit = select_limit(&levels, hierarchical, host_total_bytes);
    if let Some(choice) = limit {
        let path = &levels[choice.level].path;
        if choice.set_above_visible_hierarchy {
            findings
                .flags
                .push(ReadingFlag::LimitSetAboveVisibleHierarchy {
                    limit_bytes: choice.limit_bytes,
                    measured_at: path.clone(),
                });
        }
        findings.limit = Some(files.measure(&mount, path, choice.limit_bytes)?);
    }

    if let Some(choice) = select_memory_high(&levels, host_total_bytes) {
        let path = &levels[choice.level].path;
        let mut measured = match &findings.limit {
            Some(limit) if &limit.path == path => limit.clone(),
            _ => files.measure(&mount, path, choice.high_bytes)?,
        };
        measured.bytes = choice.high_bytes;
        findings.high = Some(measured);
    }

    Ok(findings)
}

/// The process' memory cgroup, or `None` (with a flag when the file is unreadable)
/// when there is none to look at.
fn read_membership(
    root: &Path,
    flags: &mut Vec<ReadingFlag>,
) -> Result<Option<ProcessCgroup>, LinuxReadError> {
    let path = root.join(PROC_SELF_CGROUP);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            flags.push(ReadingFlag::CgroupMembershipUnreadable {
                path: path.display().to_string(),
                reason: error.to_string(),
            });
            return Ok(None);
        }
    };

    let entries = parse_proc_self_cgroup(&text).map_err(in_file(&path))?;
    Ok(memory_cgroup(&entries))
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

    /// Reads the limit, and for v2 `memory.high`, of one cgroup. An absent file
    /// means no limit at this level (the root, or v2 without the controller here).
    fn read_level(&self, mount: &Path, cgroup: &str) -> Result<CgroupLevel, LinuxReadError> {
        let dir = mount.join(relative(cgroup));

        let limit_path = dir.join(self.limit);
        let limit_bytes = match (read_optional(&limit_path)?, self.version) {
            (None, _) => None,
            (Some(text), CgroupVersion::V1) => {
                Some(parse_limit_in_bytes(&text).map_err(in_file(&limit_path))?)
            }
            (Some(text), CgroupVersion::V2) => {
                parse_memory_max(&text).map_err(in_file(&limit_path))?
            }
        };

        let high_bytes = match self.version {
            CgroupVersion::V1 => None,
            CgroupVersion::V2 => {
                let high_path = dir.join("memory.high");
                match read_optional(&high_path)? {
                    Some(text) => parse_memory_high(&text).map_err(in_file(&high_path))?,
                    None => None,
                }
            }
        };

        Ok(CgroupLevel {
            path: cgroup.to_owned(),
            limit_bytes,
            high_bytes,
        })
    }

    /// v1's `hierarchical_memory_limit` from the process' own `memory.stat`, if
    /// the file and line exist; `None` for v2.
    fn read_hierarchical_limit(
        &self,
        mount: &Path,
        own: &str,
    ) -> Result<Option<u64>, LinuxReadError> {
        if self.version == CgroupVersion::V2 {
            return Ok(None);
        }

        let path = mount.join(relative(own)).join("memory.stat");
        let Some(text) = read_optional(&path)? else {
            return Ok(None);
        };
        let stat = parse_memory_stat(&text).map_err(in_file(&path))?;
        Ok(stat.hierarchical_memory_limit_bytes)
    }

    /// Measures usage at the cgroup that sets `bytes`. A limit is known to apply
    /// here, so every file is required: falling back to the host would hide it.
    fn measure(
        &self,
        mount: &Path,
        cgroup: &str,
        bytes: u64,
    ) -> Result<CgroupMeasurement, LinuxReadError> {
        let dir = mount.join(relative(cgroup));

        let usage_path = dir.join(self.usage);
        let usage_text = read_required(&usage_path)?;
        let current_bytes =
            parse_usage_file(&usage_text, self.usage).map_err(in_file(&usage_path))?;

        let stat_path = dir.join("memory.stat");
        let stat_text = read_required(&stat_path)?;
        let stat = parse_memory_stat(&stat_text).map_err(in_file(&stat_path))?;
        let (inactive_file, field) = match self.version {
            CgroupVersion::V1 => (stat.total_inactive_file_bytes, "total_inactive_file"),
            CgroupVersion::V2 => (stat.inactive_file_bytes, "inactive_file"),
        };
        let inactive_file_bytes = inactive_file.ok_or(LinuxReadError::Parse {
            path: stat_path,
            source: ParseError::MissingField { field },
        })?;

        Ok(CgroupMeasurement {
            version: self.version,
            path: cgroup.to_owned(),
            bytes,
            usage: CgroupUsage {
                current_bytes,
                inactive_file_bytes,
            },
        })
    }
}

/// A cgroup path without its leading `/`, to join under a mount.
fn relative(cgroup: &str) -> &str {
    cgroup.trim_start_matches('/')
}

fn read_required(path: &Path) -> Result<String, LinuxReadError> {
    fs::read_to_string(path).map_err(|source| LinuxReadError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The file's text, or `None` when it does not exist. Other failures are errors.
fn read_optional(path: &Path) -> Result<Option<String>, LinuxReadError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LinuxReadError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn in_file(path: &Path) -> impl Fn(ParseError) -> LinuxReadError + '_ {
    move |source| LinuxReadError::Parse {
        path: path.to_owned(),
        source,
    }
}
