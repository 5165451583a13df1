//! The floor of a native sample: the kernel files the sampler reads on this host, read
//! and parsed directly with their descriptors kept open. Shared by the sampling bench and
//! the `idle_monitor` example (`floor:INTERVAL`), which includes this file by path.
//!
//! The floor finds the files as the sampler does on a usual host: `/proc/meminfo`, the
//! ZFS ARC statistics if present, `/proc/self/cgroup`, the memory limit files of the
//! process' cgroup and each ancestor (v2 also `memory.high`), v1's own `memory.stat`, the
//! usage files where the smallest limit below `MemTotal` is set, `/proc/self/statm`, and the
//! memory pressure file (PSI). It does not measure at a `memory.high` set elsewhere than
//! the limit.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The files a reading of this host needs, opened once.
pub struct Floor {
    files: Vec<File>,
    buffer: Vec<u8>,
}

impl Floor {
    pub fn open() -> Floor {
        let paths = floor_paths();
        eprintln!("floor reads {paths:#?}");
        let files = paths
            .iter()
            .map(|p| File::open(p).expect("opened"))
            .collect();
        Floor {
            files,
            buffer: vec![0; 64 * 1024],
        }
    }

    /// Reads every file from offset 0 and parses the first number after each key it needs.
    pub fn read(&mut self) -> u64 {
        let mut sum = 0u64;
        for file in &self.files {
            let n = file.read_at(&mut self.buffer, 0).unwrap_or(0);
            let text = &self.buffer[..n];
            sum = sum.wrapping_add(first_number_after(text, b"MemTotal:"));
            sum = sum.wrapping_add(first_number_after(text, b"MemAvailable:"));
            sum = sum.wrapping_add(first_number_after(text, b"hierarchical_memory_limit"));
            sum = sum.wrapping_add(first_number_after(text, b""));
        }
        sum
    }
}

/// The files the sampler reads on this host, in its order.
fn floor_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("/proc/meminfo")];
    let arcstats = Path::new("/proc/spl/kstat/zfs/arcstats");
    if arcstats.exists() {
        paths.push(arcstats.to_owned());
    }
    paths.push(PathBuf::from("/proc/self/cgroup"));

    let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let v1 = membership.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':').skip(1);
        let controllers = fields.next()?;
        let path = fields.next()?;
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then(|| path.to_owned())
    });
    let v2 = membership.lines().find_map(|line| line.strip_prefix("0::"));
    let (mount, own, limit, usage, high) = match (&v1, v2) {
        (Some(own), _) => (
            "/sys/fs/cgroup/memory",
            own.as_str(),
            "memory.limit_in_bytes",
            "memory.usage_in_bytes",
            None,
        ),
        (None, Some(own)) => (
            "/sys/fs/cgroup",
            own,
            "memory.max",
            "memory.current",
            Some("memory.high"),
        ),
        (None, None) => return with_statm(paths),
    };

    // The process' own cgroup and each ancestor, up to the mount's top.
    let mut dirs = vec![Path::new(mount).join(own.trim_start_matches('/'))];
    while let Some(parent) = dirs.last().unwrap().parent() {
        if !parent.starts_with(mount) {
            break;
        }
        dirs.push(parent.to_owned());
    }

    let host_total = first_number_after(
        std::fs::read_to_string("/proc/meminfo").unwrap().as_bytes(),
        b"MemTotal:",
    ) * 1024;
    let mut smallest: Option<(u64, &Path)> = None;
    for dir in &dirs {
        let limit_path = dir.join(limit);
        if let Ok(text) = std::fs::read_to_string(&limit_path) {
            let bytes = text.trim().parse().unwrap_or(u64::MAX);
            if bytes < host_total && smallest.is_none_or(|(s, _)| bytes < s) {
                smallest = Some((bytes, dir));
            }
            paths.push(limit_path);
        }
        if let Some(high) = high.map(|name| dir.join(name)).filter(|p| p.exists()) {
            paths.push(high);
        }
    }
    if v1.is_some() && dirs[0].join("memory.stat").exists() {
        paths.push(dirs[0].join("memory.stat"));
    }
    if let Some((_, dir)) = smallest {
        paths.push(dir.join(usage));
        if v1.is_none() || dir != dirs[0] {
            paths.push(dir.join("memory.stat"));
        }
    }

    with_statm(paths)
}

/// The process' resident memory, and the memory pressure file the sampler reads for PSI.
fn with_statm(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.push(PathBuf::from("/proc/self/statm"));
    let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let v2 = membership.lines().find_map(|l| l.strip_prefix("0::"));
    if let Some((psi, _)) = mempressure_native::linux::memory_pressure_file(Path::new("/"), v2) {
        paths.push(psi);
    }
    paths
}

fn first_number_after(text: &[u8], key: &[u8]) -> u64 {
    let start = if key.is_empty() {
        0
    } else {
        match text.windows(key.len()).position(|w| w == key) {
            Some(i) => i + key.len(),
            None => return 0,
        }
    };
    let digits = text[start..].iter().skip_while(|b| !b.is_ascii_digit());
    digits
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
}
