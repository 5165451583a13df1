//! The reader: loads the memory files from a root directory and hands them to
//! the pure functions, keeping what it can between readings.
//!
//! The root is `/` on a live system and a fixture tree in tests, so both run the
//! same code. Missing files are handled by the rule in the module docs of
//! [`linux`](super): a missing cgroup file falls back to the host reading with a
//! flag, unless a limit is known to apply, in which case it is an error.
//!
//! [`read_memory`] is a fresh [`LinuxReader`] used once, so the stateless reading
//! and the kept one are the same code.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::LinuxReadError;
use super::flag::ReadingFlag;
use super::kept_file::{Failure, Files, Slot};
use super::layout::{CgroupLayout, PROC_SELF_CGROUP, in_file};
use super::meminfo::parse_meminfo;
use super::reading::{CgroupFindings, LinuxReading, effective_reading, host_memory};
use super::zfs::{ArcStats, parse_arcstats};

/// `/proc/meminfo`, relative to the root.
const PROC_MEMINFO: &str = "proc/meminfo";
/// The ZFS ARC statistics, relative to the root.
const ZFS_ARCSTATS: &str = "proc/spl/kstat/zfs/arcstats";

/// How long a [`LinuxReader`] keeps its files and layout before it finds them
/// again from scratch, unless told otherwise ([`LinuxReader::forget_after`]).
pub const DEFAULT_FORGET_AFTER: Duration = Duration::from_secs(10);

/// Reads the memory this process can count on, from the files under `root`, once.
///
/// `root` is `/` on a live system. The files read are `proc/meminfo`,
/// `proc/self/cgroup`, the memory cgroup's files under `sys/fs/cgroup` for the
/// process' cgroup and each ancestor, and `proc/spl/kstat/zfs/arcstats` if present.
/// To read again and again, keep a [`LinuxReader`]: it gives the same readings
/// for a fraction of the cost.
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
    LinuxReader::new(root).read()
}

/// Reads the memory this process can count on, again and again, from the files
/// under a root, keeping the files open between readings.
///
/// Each reading gives what [`read_memory`] would give at that moment: the same
/// figures, flags and errors from the same files. What is kept is where to read,
/// never what was read:
///
/// - Every file read is kept open and read again from offset 0 into one reused
///   buffer; the kernel writes fresh contents on each such read.
/// - `/proc/self/cgroup` is read on every reading. While its text stays the same,
///   the cgroup layout found from it is kept: the mount, the walk of ancestors
///   and which of their limit files exist. When the text changes (the process
///   moved to another cgroup), the layout is found again.
/// - When a file kept from an earlier reading can no longer be read (its cgroup
///   was removed), everything is forgotten and the reading starts over from
///   scratch, once. When the process id changes (after a `fork`, the kept
///   `/proc/self` files name the parent), everything is forgotten too.
/// - Files found absent are remembered as absent: the ZFS ARC statistics, and
///   limit files at levels without them (the root cgroup, v2 levels without the
///   memory controller). So are a missing cgroup directory or mount. To see such
///   a file once it appears (ZFS loaded, the controller enabled), the reader
///   forgets everything [`DEFAULT_FORGET_AFTER`] (10 s) after finding it, or as
///   often as [`LinuxReader::forget_after`] says.
///
/// ⚠️ Up to that interval after a file appears, a reading can differ from
/// [`read_memory`]'s: it does not count the ZFS ARC yet, or a limit set where
/// there was no limit file before. Every file it reads is read afresh.
///
/// ⚠️ Under a root of regular files (a fixture tree, a copy from a bug report), a
/// file that is replaced or deleted is not noticed: the kept descriptor still
/// reads the old file. Change such files in place, or use [`read_memory`].
///
/// # Example
///
/// ```
/// use mempressure_native::linux::LinuxReader;
///
/// let mut reader = LinuxReader::new("/");
/// for _ in 0..3 {
///     let reading = reader.read()?;
///     println!("{} of {} bytes available", reading.available_bytes, reading.total_bytes);
/// }
/// # Ok::<(), mempressure_native::linux::LinuxReadError>(())
/// ```
#[derive(Debug)]
pub struct LinuxReader {
    root: PathBuf,
    /// The process the `/proc/self` files were opened for.
    pid: u32,
    /// When the kept files and layout were first looked for.
    found_at: Instant,
    /// How long they are kept before being looked for again.
    forget_after: Duration,
    files: Files,
    meminfo: Slot,
    arcstats: Slot,
    membership: Slot,
    /// The layout found from the last text of `/proc/self/cgroup` read.
    cgroup: Option<CgroupLayout>,
}

impl LinuxReader {
    /// A reader of the files under `root` (`/` on a live system). Nothing is
    /// opened before the first reading.
    pub fn new(root: impl Into<PathBuf>) -> LinuxReader {
        LinuxReader {
            root: root.into(),
            pid: std::process::id(),
            found_at: Instant::now(),
            forget_after: DEFAULT_FORGET_AFTER,
            files: Files::default(),
            meminfo: Slot::default(),
            arcstats: Slot::default(),
            membership: Slot::default(),
            cgroup: None,
        }
    }

    /// Forgets every kept file and the cgroup layout `interval` after finding
    /// them, and finds them again from scratch: a file that was absent is seen
    /// at most `interval` after it appears. `Duration::ZERO` makes every reading
    /// a fresh one, as [`read_memory`]'s.
    pub fn forget_after(mut self, interval: Duration) -> LinuxReader {
        self.forget_after = interval;
        self
    }

    /// The root directory the files are read under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the memory this process can count on now.
    ///
    /// # Errors
    ///
    /// As [`read_memory`], for the files as they are now.
    ///
    /// # Panics
    ///
    /// Never: a reading started from scratch has no kept file that could be gone.
    pub fn read(&mut self) -> Result<LinuxReading, LinuxReadError> {
        let pid = std::process::id();
        if pid != self.pid || self.found_at.elapsed() >= self.forget_after {
            self.forget();
            self.pid = pid;
        }

        match self.read_once() {
            Ok(reading) => return Ok(reading),
            Err(Failure::Error(error)) => return Err(error),
            Err(Failure::Stale) => self.forget(),
        }

        // Every file is opened anew in this attempt, so none can be stale.
        self.read_once().map_err(|failure| match failure {
            Failure::Error(error) => error,
            Failure::Stale => unreachable!("a reading from scratch keeps no earlier file"),
        })
    }

    /// Closes every kept file and forgets the cgroup layout; the buffer stays.
    fn forget(&mut self) {
        self.found_at = Instant::now();
        self.meminfo = Slot::default();
        self.arcstats = Slot::default();
        self.membership = Slot::default();
        self.cgroup = None;
    }

    /// One attempt at a reading with what is kept.
    fn read_once(&mut self) -> Result<LinuxReading, Failure> {
        self.files.start_reading();

        let meminfo_path = || self.root.join(PROC_MEMINFO);
        let meminfo_text = self.files.required(&mut self.meminfo, meminfo_path)?;
        let meminfo = parse_meminfo(meminfo_text).map_err(in_file(&meminfo_path()))?;

        let mut arc_flags = Vec::new();
        let arc = self.read_arcstats(&mut arc_flags)?;
        let meminfo_path = self.root.join(PROC_MEMINFO);
        let mut host = host_memory(&meminfo, arc.as_ref()).map_err(in_file(&meminfo_path))?;
        host.flags.extend(arc_flags);

        let cgroup = self.read_cgroup(host.total_bytes)?;
        Ok(effective_reading(&host, &cgroup))
    }

    /// The ARC statistics, or `None` without ZFS. A file that exists but cannot be
    /// used is flagged and skipped: the ARC then counts as used, which can only
    /// understate available memory.
    fn read_arcstats(&mut self, flags: &mut Vec<ReadingFlag>) -> Result<Option<ArcStats>, Failure> {
        let path = || self.root.join(ZFS_ARCSTATS);
        let result = match self.files.optional(&mut self.arcstats, path) {
            Ok(None) => return Ok(None),
            Ok(Some(text)) => parse_arcstats(text).map_err(|error| error.to_string()),
            Err(Failure::Error(LinuxReadError::Read { source, .. })) => Err(source.to_string()),
            Err(failure) => return Err(failure),
        };

        let stats = result
            .map_err(|reason| {
                flags.push(ReadingFlag::ZfsArcstatsUnusable {
                    path: path().display().to_string(),
                    reason,
                });
            })
            .ok();
        Ok(stats)
    }

    /// Finds the cgroup limit and `memory.high` that apply, with usage where each
    /// is set, through the layout kept for the current text of `/proc/self/cgroup`.
    fn read_cgroup(&mut self, host_total_bytes: u64) -> Result<CgroupFindings, Failure> {
        let path = || self.root.join(PROC_SELF_CGROUP);
        let membership = match self.files.required(&mut self.membership, path) {
            Ok(text) => text,
            Err(Failure::Error(LinuxReadError::Read { source, .. })) => {
                let flag = ReadingFlag::CgroupMembershipUnreadable {
                    path: path().display().to_string(),
                    reason: source.to_string(),
                };
                return Ok(CgroupFindings {
                    flags: vec![flag],
                    ..CgroupFindings::default()
                });
            }
            Err(failure) => return Err(failure),
        };

        let layout = match &mut self.cgroup {
            Some(layout) if layout.is_for(membership) => layout,
            kept => {
                *kept = None;
                kept.insert(CgroupLayout::find(&self.root, membership)?)
            }
        };
        layout.read(&mut self.files, host_total_bytes)
    }
}
