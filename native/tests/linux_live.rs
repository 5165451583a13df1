//! The live reader on the machine running the tests, checked against sysinfo.
#![cfg(target_os = "linux")]

use std::fs;
use std::path::Path;

use mempressure_native::linux::{LimitSource, read_memory};

#[test]
fn live_reading_is_plausible_and_agrees_with_sysinfo() {
    let mut system = sysinfo::System::new();
    system.refresh_memory();

    let reading = read_memory(Path::new("/")).unwrap_or_else(|error| panic!("{error}"));

    // Both read MemTotal in bytes; a KiB/bytes mix-up would be off by 1024.
    assert_eq!(reading.host_total_bytes, system.total_memory());
    assert!(reading.total_bytes > 0);
    assert!(reading.total_bytes <= reading.host_total_bytes);
    assert!(reading.available_bytes <= reading.total_bytes);
    assert!(reading.host_available_bytes <= reading.host_total_bytes);
    assert!(reading.available_bytes <= reading.host_available_bytes);

    // Available memory moves between the two reads, but not by a tenth of RAM.
    let drift = reading
        .host_available_bytes
        .abs_diff(system.available_memory());
    assert!(drift < reading.host_total_bytes / 10, "drift {drift} bytes");

    match reading.source {
        LimitSource::Host => {
            assert_eq!(reading.total_bytes, reading.host_total_bytes);
            assert_eq!(reading.cgroup_path, None);
        }
        LimitSource::CgroupV1 | LimitSource::CgroupV2 => {
            assert!(reading.cgroup_path.is_some());
            assert!(reading.total_bytes < reading.host_total_bytes);
        }
    }
}

/// This development machine is a cgroup v1 host with no memory limit. Where the
/// process' own v1 `hierarchical_memory_limit` (read here independently of the
/// reader) is at or above the host's total, the reading must be the host's.
/// Elsewhere the test has nothing to check and says so.
#[test]
fn live_v1_host_without_a_limit_reads_as_host() {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    let Some(limit) = own_v1_hierarchical_limit() else {
        eprintln!("skipped: no cgroup v1 memory controller here");
        return;
    };
    if limit < system.total_memory() {
        eprintln!("skipped: a cgroup v1 limit of {limit} bytes applies here");
        return;
    }

    let reading = read_memory(Path::new("/")).unwrap_or_else(|error| panic!("{error}"));

    assert_eq!(reading.source, LimitSource::Host);
    assert_eq!(reading.total_bytes, system.total_memory());
    assert_eq!(reading.cgroup_path, None);
    assert!(!reading.estimated);
    assert_eq!(reading.flags, []);
}

/// `hierarchical_memory_limit` from the process' own v1 memory cgroup.
fn own_v1_hierarchical_limit() -> Option<u64> {
    let membership = fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = membership.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let controllers = fields.nth(1)?;
        let path = fields.next()?;
        controllers
            .split(',')
            .any(|name| name == "memory")
            .then(|| path.to_owned())
    })?;

    let stat = fs::read_to_string(format!("/sys/fs/cgroup/memory{path}/memory.stat")).ok()?;
    stat.lines().find_map(|line| {
        line.strip_prefix("hierarchical_memory_limit ")?
            .trim()
            .parse()
            .ok()
    })
}
