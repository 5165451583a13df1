//! The kept reader, `LinuxReader`, gives what `read_memory` gives: on every
//! fixture tree, on every reading, and after the process moves to another cgroup.
#![cfg(target_os = "linux")]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mempressure_native::linux::{
    LimitSource, LinuxReadError, LinuxReader, LinuxReading, ReadingFlag, read_memory,
};

const GIB: u64 = 1 << 30;

#[test]
fn every_fixture_reads_the_same_as_read_memory_on_every_reading() {
    let roots = fixture_roots(&fixtures_dir());
    assert!(
        roots.len() >= 26,
        "found only {} fixture trees",
        roots.len()
    );

    for root in roots {
        let want = outcome(read_memory(&root));
        let mut reader = LinuxReader::new(&root);

        for reading in 1..=3 {
            let got = outcome(reader.read());
            assert_eq!(got, want, "{}, reading {reading}", root.display());
        }
    }
}

#[test]
fn a_limit_changed_in_place_is_seen_on_the_next_reading() {
    let root = copy_fixture("own-v2-nested-ancestor-limit", "limit-changed");
    let mut reader = LinuxReader::new(&root);
    assert_eq!(reader.read().unwrap().total_bytes, 4 * GIB);

    fs::write(
        root.join("sys/fs/cgroup/system.slice/memory.max"),
        "3221225472\n",
    )
    .unwrap();

    let reading = reader.read().unwrap();
    assert_eq!(reading.total_bytes, 3 * GIB);
    assert_eq!(reading, read_memory(&root).unwrap());

    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_reader_follows_the_process_to_another_cgroup() {
    let root = copy_fixture("own-v2-nested-ancestor-limit", "moved");
    add_v2_cgroup(&root, "batch.slice", 2 * GIB);
    let mut reader = LinuxReader::new(&root);

    // In /system.slice/app.service: the parent slice's 4 GiB limit applies.
    let before = reader.read().unwrap();
    assert_eq!(before.cgroup_path.as_deref(), Some("/system.slice"));
    assert_eq!(before.total_bytes, 4 * GIB);

    // Moved to /batch.slice, which has a limit of its own.
    move_to(&root, "/batch.slice");
    let moved = reader.read().unwrap();
    assert_eq!(moved.cgroup_path.as_deref(), Some("/batch.slice"));
    assert_eq!(moved.total_bytes, 2 * GIB);
    assert_eq!(moved, read_memory(&root).unwrap());

    // Moved to a cgroup this tree does not show: the walk starts at the top.
    move_to(&root, "/gone.slice");
    let unseen = reader.read().unwrap();
    assert_eq!(unseen.source, LimitSource::Host);
    assert_eq!(
        unseen.flags,
        [ReadingFlag::CgroupPathNotFound {
            cgroup_path: "/gone.slice".to_owned(),
            walked_from: "/".to_owned(),
        }]
    );
    assert_eq!(unseen, read_memory(&root).unwrap());

    // Back where it started.
    move_to(&root, "/system.slice/app.service");
    assert_eq!(reader.read().unwrap(), before);

    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_membership_file_turned_bad_is_the_same_error_and_then_recovers() {
    let root = copy_fixture("own-v2-nested-ancestor-limit", "bad-membership");
    let mut reader = LinuxReader::new(&root);
    let good = reader.read().unwrap();

    fs::write(root.join("proc/self/cgroup"), "no colons here\n").unwrap();
    let error = reader.read().unwrap_err();
    assert!(matches!(error, LinuxReadError::Parse { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        read_memory(&root).unwrap_err().to_string()
    );

    move_to(&root, "/system.slice/app.service");
    assert_eq!(reader.read().unwrap(), good);

    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_limit_file_that_appears_is_seen_once_the_reader_forgets() {
    let root = copy_fixture("own-v2-nested-ancestor-limit", "limit-appears");
    let own_max = root.join("sys/fs/cgroup/system.slice/app.service/memory.max");
    fs::remove_file(&own_max).unwrap();
    let mut keeping = LinuxReader::new(&root);
    let mut forgetting = LinuxReader::new(&root).forget_after(Duration::ZERO);
    assert_eq!(keeping.read().unwrap().total_bytes, 4 * GIB);
    assert_eq!(forgetting.read().unwrap().total_bytes, 4 * GIB);

    fs::write(&own_max, format!("{}\n", GIB)).unwrap();

    // Within the interval the absence is kept, as documented.
    let kept = keeping.read().unwrap();
    assert_eq!(kept.cgroup_path.as_deref(), Some("/system.slice"));
    let fresh = forgetting.read().unwrap();
    assert_eq!(
        fresh.cgroup_path.as_deref(),
        Some("/system.slice/app.service")
    );
    assert_eq!(fresh.total_bytes, GIB);
    assert_eq!(fresh, read_memory(&root).unwrap());

    fs::remove_dir_all(&root).unwrap();
}

/// The reading, or the error's variant and message: `LinuxReadError` holds an
/// `io::Error` and cannot be compared directly.
fn outcome(result: Result<LinuxReading, LinuxReadError>) -> Result<LinuxReading, String> {
    result.map_err(|error| format!("{error:?}"))
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux")
}

/// Every directory under `dir` laid out like a root, with a `proc` directory.
fn fixture_roots(dir: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if dir.join("proc").is_dir() {
        roots.push(dir.to_owned());
    }

    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !path.ends_with("proc") && !path.ends_with("sys"))
        .collect();
    entries.sort();
    for entry in entries {
        roots.extend(fixture_roots(&entry));
    }
    roots
}

/// A copy of a fixture tree in a fresh temporary directory.
fn copy_fixture(name: &str, test: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "mempressure-linux-reader-{}-{test}",
        std::process::id()
    ));
    if root.exists() {
        fs::remove_dir_all(&root).unwrap();
    }
    copy_tree(&fixtures_dir().join(name), &root);
    root
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// A cgroup v2 directory under the root cgroup with a limit of `max_bytes`, half
/// of it in use, a tenth of that inactive page cache.
fn add_v2_cgroup(root: &Path, name: &str, max_bytes: u64) {
    let dir = root.join("sys/fs/cgroup").join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("memory.max"), format!("{max_bytes}\n")).unwrap();
    fs::write(dir.join("memory.high"), "max\n").unwrap();
    fs::write(dir.join("memory.current"), format!("{}\n", max_bytes / 2)).unwrap();
    let stat = format!(
        "anon {}\nfile {}\ninactive_file {}\n",
        max_bytes / 4,
        max_bytes / 4,
        max_bytes / 20
    );
    fs::write(dir.join("memory.stat"), stat).unwrap();
}

/// Rewrites `proc/self/cgroup` in place, as the kernel shows a moved process.
fn move_to(root: &Path, cgroup: &str) {
    fs::write(root.join("proc/self/cgroup"), format!("0::{cgroup}\n")).unwrap();
}
