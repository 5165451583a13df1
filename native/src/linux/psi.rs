//! Memory pressure stall information (PSI): how much of the time tasks stalled waiting
//! for memory, from a cgroup's `memory.pressure` or `/proc/pressure/memory`.
//!
//! ```text
//! some avg10=1.53 avg60=0.87 avg300=0.22 total=12345678
//! full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//! ```
//!
//! `some` is the share of time at least one task stalled, `full` the share all did, as
//! percentages averaged over 10, 60 and 300 s; `total` is microseconds since boot. Kernels
//! before 4.20 have no such file; a kernel built with PSI but booted with `psi=0` has the
//! file but refuses to read it (`EOPNOTSUPP`). Both mean "no PSI", never zeros.

use std::io::ErrorKind;
use std::path::Path;

use serde::Serialize;

use super::error::ParseError;

/// One memory PSI reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MemoryPressure {
    /// `some avg10`, percent.
    pub some_avg10: f64,
    /// `full avg10`, percent (0 where the file has no `full` line, as for the CPU).
    pub full_avg10: f64,
    /// `some total`, microseconds stalled since boot.
    pub some_total_us: u64,
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
}

fn percentage(line_no: usize, line: &str, key: &str) -> Result<f64, ParseError> {
    let malformed = || ParseError::MalformedLine {
        line: line_no,
        expected: "`some|full avg10=P avg60=P avg300=P total=N`",
        text: line.to_string(),
    };
    let text = field(line, key).ok_or_else(malformed)?;
    let value: f64 = text.parse().map_err(|_| ParseError::NotANumber {
        line: line_no,
        field: key.to_string(),
        value: text.to_string(),
    })?;
    if !(0.0..=100.0).contains(&value) {
        return Err(malformed());
    }
    Ok(value)
}

/// Reads the text of a memory pressure file.
///
/// ```
/// use mempressure_native::linux::parse_memory_pressure;
///
/// let text = "some avg10=1.53 avg60=0.87 avg300=0.22 total=12345\n\
///             full avg10=0.50 avg60=0.10 avg300=0.00 total=99\n";
/// let psi = parse_memory_pressure(text).unwrap();
/// assert_eq!((psi.some_avg10, psi.full_avg10, psi.some_total_us), (1.53, 0.5, 12345));
/// ```
///
/// # Errors
/// [`ParseError`] naming the line and field when the text is not what the kernel writes.
pub fn parse_memory_pressure(text: &str) -> Result<MemoryPressure, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let (mut some, mut full) = (None, None);
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        match line.split_whitespace().next() {
            Some("some") => {
                let total = field(line, "total").unwrap_or("");
                let total_us = total.parse().map_err(|_| ParseError::NotANumber {
                    line: line_no,
                    field: "total".into(),
                    value: total.into(),
                })?;
                some = Some((percentage(line_no, line, "avg10")?, total_us));
            }
            Some("full") => full = Some(percentage(line_no, line, "avg10")?),
            _ if line.trim().is_empty() => {}
            _ => {
                return Err(ParseError::MalformedLine {
                    line: line_no,
                    expected: "a `some` or `full` line",
                    text: line.to_string(),
                });
            }
        }
    }
    let (some_avg10, some_total_us) = some.ok_or(ParseError::MalformedLine {
        line: 1,
        expected: "a `some` line",
        text: text.lines().next().unwrap_or("").to_string(),
    })?;
    Ok(MemoryPressure {
        some_avg10,
        full_avg10: full.unwrap_or(0.0),
        some_total_us,
    })
}

/// Where a memory pressure reading comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PressureSource {
    /// The process' cgroup v2 `memory.pressure`.
    Cgroup,
    /// The whole machine's `/proc/pressure/memory`.
    Host,
}

/// The memory pressure file for a process whose cgroup v2 path is `cgroup` (from
/// `/proc/self/cgroup`'s `0::` line), under `root`: its cgroup's `memory.pressure` when it
/// exists, else `/proc/pressure/memory`; `None` when neither exists.
pub fn memory_pressure_file(
    root: &Path,
    cgroup: Option<&str>,
) -> Option<(std::path::PathBuf, PressureSource)> {
    if let Some(cgroup) = cgroup {
        let relative = cgroup.trim_start_matches('/');
        let path = root
            .join("sys/fs/cgroup")
            .join(relative)
            .join("memory.pressure");
        if path.is_file() {
            return Some((path, PressureSource::Cgroup));
        }
    }
    let host = root.join("proc/pressure/memory");
    host.is_file().then_some((host, PressureSource::Host))
}

/// True for the error a kernel booted with `psi=0` gives when its pressure file is read.
pub fn psi_disabled(error: &std::io::Error) -> bool {
    const EOPNOTSUPP: i32 = 95;
    error.kind() == ErrorKind::Unsupported || error.raw_os_error() == Some(EOPNOTSUPP)
}

/// Reads memory PSI for this process under `root`: `Ok(None)` where the kernel has none
/// (no file, or PSI disabled at boot), an error for a file with something else in it.
///
/// # Errors
/// [`super::LinuxReadError`] naming the file.
pub fn read_memory_pressure(
    root: &Path,
) -> Result<Option<(MemoryPressure, PressureSource)>, super::LinuxReadError> {
    let membership = std::fs::read_to_string(root.join("proc/self/cgroup")).unwrap_or_default();
    let v2 = membership.lines().find_map(|l| l.strip_prefix("0::"));
    let Some((path, source)) = memory_pressure_file(root, v2) else {
        return Ok(None);
    };

    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if psi_disabled(&e) => return Ok(None),
        Err(e) => return Err(super::LinuxReadError::Read { path, source: e }),
    };
    match parse_memory_pressure(&text) {
        Ok(psi) => Ok(Some((psi, source))),
        Err(e) => Err(super::LinuxReadError::Parse { path, source: e }),
    }
}

/// Reads memory PSI again and again with the pressure file kept open (read from offset 0
/// each time, as the kernel gives fresh contents), finding the file again after an error.
#[derive(Debug)]
pub struct PressureReader {
    root: std::path::PathBuf,
    kept: Option<Option<(std::path::PathBuf, std::fs::File, PressureSource)>>,
    buffer: Vec<u8>,
}

impl PressureReader {
    /// A reader of the pressure file under `root` (`/` for this machine).
    pub fn new(root: impl Into<std::path::PathBuf>) -> PressureReader {
        PressureReader {
            root: root.into(),
            kept: None,
            buffer: vec![0; 512],
        }
    }

    /// Memory PSI now: `Ok(None)` where the kernel has none.
    ///
    /// # Errors
    /// [`super::LinuxReadError`] naming the file; the next call looks for it again.
    pub fn read(
        &mut self,
    ) -> Result<Option<(MemoryPressure, PressureSource)>, super::LinuxReadError> {
        use std::os::unix::fs::FileExt;

        if self.kept.is_none() {
            let membership =
                std::fs::read_to_string(self.root.join("proc/self/cgroup")).unwrap_or_default();
            let v2 = membership.lines().find_map(|l| l.strip_prefix("0::"));
            let found = memory_pressure_file(&self.root, v2).and_then(|(path, source)| {
                Some((path.clone(), std::fs::File::open(&path).ok()?, source))
            });
            self.kept = Some(found);
        }
        let Some(Some((path, file, source))) = &self.kept else {
            return Ok(None);
        };

        let read = file.read_at(&mut self.buffer, 0);
        let n = match read {
            Ok(n) => n,
            Err(e) if psi_disabled(&e) => return Ok(None),
            Err(e) => {
                let path = path.clone();
                self.kept = None;
                return Err(super::LinuxReadError::Read { path, source: e });
            }
        };
        let text = String::from_utf8_lossy(&self.buffer[..n]);
        match parse_memory_pressure(&text) {
            Ok(psi) => Ok(Some((psi, *source))),
            Err(e) => {
                let path = path.clone();
                self.kept = None;
                Err(super::LinuxReadError::Parse { path, source: e })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_file_contents_parse() {
        // From this project's recording VM (Linux 6.18) and a cgroup v2 memory.pressure.
        let host = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n\
                    full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_memory_pressure(host).unwrap().some_avg10, 0.0);
        let busy = "some avg10=37.42 avg60=12.01 avg300=3.10 total=98765432\n\
                    full avg10=21.00 avg60=7.50 avg300=1.90 total=4567890\n";
        let psi = parse_memory_pressure(busy).unwrap();
        assert_eq!(
            (psi.some_avg10, psi.full_avg10, psi.some_total_us),
            (37.42, 21.0, 98_765_432)
        );
    }

    #[test]
    fn a_kernel_with_psi_disabled_reads_as_no_psi() {
        assert!(psi_disabled(&std::io::Error::from_raw_os_error(95)));
        assert!(!psi_disabled(&std::io::Error::from_raw_os_error(13)));
    }

    #[test]
    fn a_cgroup_without_memory_pressure_falls_back_to_the_host_file() {
        let root = std::env::temp_dir().join(format!("mempressure-psi-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("proc/self")).unwrap();
        std::fs::create_dir_all(root.join("proc/pressure")).unwrap();
        std::fs::create_dir_all(root.join("sys/fs/cgroup/app.slice")).unwrap();
        std::fs::write(root.join("proc/self/cgroup"), "0::/app.slice\n").unwrap();
        let host =
            "some avg10=2.00 avg60=0 avg300=0 total=5\nfull avg10=1.00 avg60=0 avg300=0 total=1\n";
        std::fs::write(root.join("proc/pressure/memory"), host).unwrap();

        let (psi, source) = read_memory_pressure(&root).unwrap().unwrap();
        assert_eq!((psi.some_avg10, source), (2.0, PressureSource::Host));

        let cgroup =
            "some avg10=9.00 avg60=0 avg300=0 total=7\nfull avg10=3.00 avg60=0 avg300=0 total=2\n";
        std::fs::write(root.join("sys/fs/cgroup/app.slice/memory.pressure"), cgroup).unwrap();
        let (psi, source) = read_memory_pressure(&root).unwrap().unwrap();
        assert_eq!((psi.some_avg10, source), (9.0, PressureSource::Cgroup));

        // Neither file: no PSI, not zeros.
        std::fs::remove_file(root.join("proc/pressure/memory")).unwrap();
        std::fs::remove_file(root.join("sys/fs/cgroup/app.slice/memory.pressure")).unwrap();
        assert_eq!(read_memory_pressure(&root).unwrap(), None);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn this_machine_has_psi() {
        // This kind of machine has PSI enabled (checked); other kernels may not.
        if Path::new("/proc/pressure/memory").exists() {
            let (psi, _) = read_memory_pressure(Path::new("/")).unwrap().unwrap();
            assert!((0.0..=100.0).contains(&psi.some_avg10));
            let mut reader = PressureReader::new("/");
            for _ in 0..3 {
                let (kept, _) = reader.read().unwrap().unwrap();
                assert!((0.0..=100.0).contains(&kept.some_avg10));
            }
        }
    }

    #[test]
    fn garbage_is_an_error_naming_the_line() {
        let err = parse_memory_pressure("some avg10=x avg60=0 avg300=0 total=0\n").unwrap_err();
        assert!(
            err.to_string().contains("line 1") && err.to_string().contains("avg10"),
            "{err}"
        );
        assert!(parse_memory_pressure("").is_err());
        assert!(parse_memory_pressure("cpu 1 2 3\n").is_err());
        assert!(parse_memory_pressure("some avg10=250.0 avg60=0 avg300=0 total=0\n").is_err());
    }
}
