//! `/proc/self/cgroup`: which memory cgroup the process is in, and its ancestors.
//!
//! Each line reads `hierarchy-ID:controller-list:cgroup-path` (see `cgroups(7)`).
//! Under cgroup v1 the memory controller has its own hierarchy, named `memory` in the
//! controller list. Under cgroup v2 there is one line, `0::/path`. A hybrid host has
//! both; the memory controller then lives on v1, so a v1 `memory` line wins.

use serde::Serialize;

use super::error::ParseError;
use super::number::parse_u64;

/// The cgroup interface that holds the memory controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CgroupVersion {
    /// cgroup v1: `memory.limit_in_bytes`, `memory.usage_in_bytes`.
    #[serde(rename = "cgroup-v1")]
    V1,
    /// cgroup v2: `memory.max`, `memory.high`, `memory.current`.
    #[serde(rename = "cgroup-v2")]
    V2,
}

/// One line of `/proc/self/cgroup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CgroupEntry {
    /// The hierarchy ID; 0 for the cgroup v2 hierarchy.
    pub hierarchy_id: u64,
    /// The controllers bound to the hierarchy (`memory`, `cpu`, `name=systemd`);
    /// empty for cgroup v2.
    pub controllers: Vec<String>,
    /// The process' cgroup, relative to the hierarchy's root as this process sees
    /// it (its cgroup namespace). Starts with `/`.
    pub path: String,
}

/// The process' memory cgroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessCgroup {
    /// The interface holding the memory controller.
    pub version: CgroupVersion,
    /// The cgroup's path, as in [`CgroupEntry::path`].
    pub path: String,
}

/// Parses the text of `/proc/self/cgroup`.
///
/// # Errors
///
/// - [`ParseError::Empty`] for an empty text; a kernel with cgroups always writes at
///   least one line.
/// - [`ParseError::MalformedLine`] for a line without three `:`-separated fields or
///   whose path does not start with `/`.
/// - [`ParseError::NotANumber`] for a hierarchy ID that is not a number.
///
/// # Example
///
/// ```
/// use mempressure_native::linux::parse_proc_self_cgroup;
///
/// let entries = parse_proc_self_cgroup("4:memory:/docker/abc\n0::/\n")?;
/// assert_eq!(entries[0].controllers, ["memory"]);
/// assert_eq!(entries[1].path, "/");
/// # Ok::<(), mempressure_native::linux::ParseError>(())
/// ```
pub fn parse_proc_self_cgroup(text: &str) -> Result<Vec<CgroupEntry>, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }

    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }

        // The path may itself hold a `:`, so split off only the first two fields.
        let mut fields = raw.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed(line, raw));
        };
        if !path.starts_with('/') {
            return Err(malformed(line, raw));
        }

        entries.push(CgroupEntry {
            hierarchy_id: parse_u64(line, "hierarchy-ID", id)?,
            controllers: controllers
                .split(',')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
            path: path.to_owned(),
        });
    }

    Ok(entries)
}

/// Finds the process' memory cgroup among the lines of `/proc/self/cgroup`.
///
/// A v1 line naming the `memory` controller wins; otherwise the v2 line (`0::`).
/// `None` means no memory controller is in use, so no cgroup limit can apply.
pub fn memory_cgroup(entries: &[CgroupEntry]) -> Option<ProcessCgroup> {
    let v1 = entries
        .iter()
        .find(|entry| entry.controllers.iter().any(|name| name == "memory"));
    if let Some(entry) = v1 {
        return Some(ProcessCgroup {
            version: CgroupVersion::V1,
            path: entry.path.clone(),
        });
    }

    entries
        .iter()
        .find(|entry| entry.hierarchy_id == 0 && entry.controllers.is_empty())
        .map(|entry| ProcessCgroup {
            version: CgroupVersion::V2,
            path: entry.path.clone(),
        })
}

/// The cgroup path and each ancestor up to the root, the process' own first.
///
/// `"/a/b"` gives `["/a/b", "/a", "/"]`. Returns `None` for a path with `.` or `..`
/// components: the kernel writes `/..` when the process' cgroup lies outside its
/// cgroup namespace, and such a path cannot be followed under the mount.
///
/// # Example
///
/// ```
/// use mempressure_native::linux::cgroup_ancestry;
///
/// assert_eq!(cgroup_ancestry("/a/b").unwrap(), ["/a/b", "/a", "/"]);
/// assert_eq!(cgroup_ancestry("/../c"), None);
/// ```
pub fn cgroup_ancestry(path: &str) -> Option<Vec<String>> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if components.iter().any(|c| *c == "." || *c == "..") {
        return None;
    }

    let ancestry = (0..=components.len())
        .rev()
        .map(|depth| format!("/{}", components[..depth].join("/")))
        .collect();
    Some(ancestry)
}

fn malformed(line: usize, raw: &str) -> ParseError {
    ParseError::MalformedLine {
        line,
        expected: "`hierarchy-ID:controller-list:/cgroup-path`",
        text: raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/self/cgroup` on a hybrid host (v1 controllers, v2 for systemd only).
    const HYBRID: &str = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/3a33\n\
                          2:cpu,cpuacct:/\n0::/\n";

    #[test]
    fn hybrid_host_uses_the_v1_memory_line() {
        let entries = parse_proc_self_cgroup(HYBRID).unwrap();

        assert_eq!(entries.len(), 5);
        assert_eq!(entries[3].controllers, ["cpu", "cpuacct"]);
        assert_eq!(
            memory_cgroup(&entries),
            Some(ProcessCgroup {
                version: CgroupVersion::V1,
                path: "/process_api/3a33".to_owned()
            })
        );
    }

    #[test]
    fn unified_host_uses_the_v2_line() {
        let entries = parse_proc_self_cgroup("0::/user.slice/session-2.scope\n").unwrap();

        assert_eq!(
            memory_cgroup(&entries),
            Some(ProcessCgroup {
                version: CgroupVersion::V2,
                path: "/user.slice/session-2.scope".to_owned()
            })
        );
    }

    #[test]
    fn v1_without_memory_controller_has_no_memory_cgroup() {
        let entries = parse_proc_self_cgroup("2:cpu:/\n1:name=systemd:/\n").unwrap();

        assert_eq!(memory_cgroup(&entries), None);
    }

    #[test]
    fn path_with_colon_is_kept_whole() {
        let entries = parse_proc_self_cgroup("0::/a:b\n").unwrap();

        assert_eq!(entries[0].path, "/a:b");
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert_eq!(parse_proc_self_cgroup(""), Err(ParseError::Empty));
        assert!(matches!(
            parse_proc_self_cgroup("0::/\nrubbish\n"),
            Err(ParseError::MalformedLine { line: 2, .. })
        ));
        assert!(matches!(
            parse_proc_self_cgroup("x:memory:/\n"),
            Err(ParseError::NotANumber { line: 1, .. })
        ));
        assert!(matches!(
            parse_proc_self_cgroup("4:memory:relative\n"),
            Err(ParseError::MalformedLine { line: 1, .. })
        ));
    }

    #[test]
    fn ancestry_runs_from_the_process_to_the_root() {
        assert_eq!(cgroup_ancestry("/").unwrap(), ["/"]);
        assert_eq!(
            cgroup_ancestry("/kubepods/burstable/pod1").unwrap(),
            [
                "/kubepods/burstable/pod1",
                "/kubepods/burstable",
                "/kubepods",
                "/"
            ]
        );
        assert_eq!(cgroup_ancestry("/../../user.slice"), None);
    }
}
