//! This process' resident memory, in bytes.
//!
//! - Linux: the second field of `/proc/self/statm` (resident pages) times the page
//!   size, with the file kept open and read again from offset 0. This departs
//!   from `sysinfo`, used before, for speed alone: `sysinfo`'s refresh of one
//!   process lists `/proc/PID/task` and opens, reads and closes `status`, `stat`
//!   and `statm`, about 12 µs, where one `pread` of the kept `statm` takes about
//!   0.3 µs and one of `/proc/self/status` (its `VmRSS` line) about 2.1 µs (Linux
//!   6.18, x86-64). All three report the same kernel counter of resident pages.
//! - Elsewhere: `sysinfo`.
//! - Under a recorded root (`SystemSampler::with_root` other than `/`): `VmRSS` of
//!   `ROOT/proc/self/status`, the process the files were copied from.

use std::path::{Path, PathBuf};

/// Where this process' resident memory is read from.
#[derive(Debug)]
pub(crate) enum ProcessMemory {
    /// This process, now.
    Live(LiveProcess),
    /// The process recorded under a root directory.
    Recorded(PathBuf),
}

impl ProcessMemory {
    /// This process, read the fastest way the system allows.
    pub(crate) fn live() -> ProcessMemory {
        ProcessMemory::Live(LiveProcess::new())
    }

    /// The resident memory, in bytes; `None` when it cannot be read, or for this
    /// process when it reads 0, which no running process has.
    pub(crate) fn read(&mut self) -> Option<u64> {
        match self {
            ProcessMemory::Live(live) => live.read().filter(|&bytes| bytes > 0),
            ProcessMemory::Recorded(root) => recorded_process_bytes(root),
        }
    }
}

cfg_if::cfg_if! {
    if #[cfg(target_os = "linux")] {
        use std::fs::File;
        use std::os::unix::fs::FileExt;

        /// `/proc/self/statm` holds seven numbers of at most 20 digits each.
        const STATM_BUFFER_BYTES: usize = 256;

        /// `/proc/self/statm`, kept open.
        #[derive(Debug)]
        pub(crate) struct LiveProcess {
            statm: Option<File>,
            /// The process the file was opened for: after a `fork` it names the parent.
            pid: u32,
            page_bytes: u64,
        }

        impl LiveProcess {
            fn new() -> LiveProcess {
                LiveProcess {
                    statm: None,
                    pid: std::process::id(),
                    page_bytes: page_size::get() as u64,
                }
            }

            /// Resident pages times the page size. A file that cannot be opened or
            /// read is given up for this reading and opened again for the next.
            fn read(&mut self) -> Option<u64> {
                let pid = std::process::id();
                if pid != self.pid {
                    self.statm = None;
                    self.pid = pid;
                }

                let file = match self.statm.take() {
                    Some(file) => self.statm.insert(file),
                    None => self.statm.insert(File::open("/proc/self/statm").ok()?),
                };
                let mut buffer = [0; STATM_BUFFER_BYTES];
                let Ok(length) = file.read_at(&mut buffer, 0) else {
                    self.statm = None;
                    return None;
                };

                let pages = parse_statm_resident_pages(&buffer[..length])?;
                pages.checked_mul(self.page_bytes)
            }
        }

        /// The second field of `/proc/self/statm`: resident pages; `None` unless
        /// it is a whole number.
        fn parse_statm_resident_pages(text: &[u8]) -> Option<u64> {
            let text = std::str::from_utf8(text).ok()?;
            text.split_ascii_whitespace().nth(1)?.parse().ok()
        }
    } else {
        use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

        /// `sysinfo`'s view of this process.
        #[derive(Debug)]
        pub(crate) struct LiveProcess {
            system: System,
            pid: Option<Pid>,
        }

        impl LiveProcess {
            fn new() -> LiveProcess {
                LiveProcess {
                    system: System::new(),
                    pid: sysinfo::get_current_pid().ok(),
                }
            }

            fn read(&mut self) -> Option<u64> {
                let pid = self.pid?;
                let kind = ProcessRefreshKind::nothing().with_memory();
                self.system
                    .refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
                self.system.process(pid).map(|p| p.memory())
            }
        }
    }
}

/// `VmRSS` of `ROOT/proc/self/status`, in bytes; `None` when the file or line is
/// absent or not a number of kB.
fn recorded_process_bytes(root: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(root.join("proc/self/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn statm_gives_the_second_field() {
        assert_eq!(
            parse_statm_resident_pages(b"1465 993 918 598 0 95 0\n"),
            Some(993)
        );
        assert_eq!(parse_statm_resident_pages(b"1465\n"), None);
        assert_eq!(parse_statm_resident_pages(b"1465 -3 918\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn live_statm_agrees_with_vm_rss_of_status() {
        let mut live = ProcessMemory::live();

        let from_statm = live.read().expect("statm is readable");
        let from_status = recorded_process_bytes(Path::new("/")).expect("status is readable");

        // Both read the same counter; the process may grow a little in between.
        let difference = from_statm.abs_diff(from_status);
        assert!(difference <= 4 << 20, "{from_statm} vs {from_status}");
        assert_eq!(live.read().map(|bytes| bytes > 0), Some(true));
    }

    #[test]
    fn a_recorded_root_without_status_has_no_figure() {
        let mut recorded = ProcessMemory::Recorded(PathBuf::from("/nonexistent-root"));

        assert_eq!(recorded.read(), None);
    }
}
