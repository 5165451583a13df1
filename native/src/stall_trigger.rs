//! Waking the monitor when memory stalls start (Linux PSI triggers), instead of at the
//! next tick.
//!
//! A trigger is armed by writing `some <stall µs> <window µs>` with a trailing NUL byte to
//! a pressure file opened for writing; the kernel then raises `POLLPRI` on that descriptor
//! whenever the stall time within a window exceeds the threshold. Unprivileged processes
//! may only use windows that are multiples of 2 s, so the trigger here is
//! `some 150000 2000000`: 150 ms of stall in 2 s (7.5 %, near lmkd's 70 ms per second).
//! Such a trigger can fire once right after it is armed; an event within the first window
//! is ignored. Where the kernel refuses (no PSI, a container without the file, an old
//! kernel), the monitor falls back to plain sampling and says why in its status.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};

/// The trigger armed on the pressure file: 150 ms of `some` stall within 2 s.
pub const PSI_TRIGGER: &[u8] = b"some 150000 2000000\0";
const ARM_GRACE: Duration = Duration::from_secs(2);

/// What wakes the monitor early.
#[derive(Debug)]
#[non_exhaustive]
pub enum StallTrigger {
    /// A PSI trigger on this process' memory pressure file (the cgroup's `memory.pressure`,
    /// else `/proc/pressure/memory`): the default on Linux.
    Psi,
    /// A PSI trigger on this pressure file.
    PsiFile(PathBuf),
    /// Any descriptor that becomes readable when the monitor should sample now (a pipe, an
    /// eventfd): for programs with their own signal, and for tests.
    Readable(OwnedFd),
    /// No early wake-up: sample at the interval only.
    Off,
}

/// The running waker thread; dropping it stops the thread.
pub(crate) struct StallWaker {
    stop: OwnedFd,
    thread: Option<JoinHandle<()>>,
}

impl Drop for StallWaker {
    fn drop(&mut self) {
        let _ = rustix::io::write(&self.stop, b"x");
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens `path` and arms the PSI trigger on it.
fn arm(path: &Path) -> std::io::Result<File> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    file.write_all(PSI_TRIGGER)?;
    Ok(file)
}

/// Where the default trigger goes: the process' cgroup v2 pressure file, else the host's.
fn default_pressure_file() -> Option<PathBuf> {
    let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let v2 = membership.lines().find_map(|l| l.strip_prefix("0::"));
    crate::linux::memory_pressure_file(Path::new("/"), v2).map(|(path, _)| path)
}

/// Arms `trigger` and starts the thread that calls `wake` on each stall; returns the
/// waker and a description of what was armed, or why nothing was.
pub(crate) fn start(
    trigger: StallTrigger,
    wake: impl Fn() + Send + 'static,
) -> (Option<StallWaker>, String) {
    // A pressure file is always readable: only POLLPRI means a stall there.
    let (fd, what, grace, events): (OwnedFd, String, Duration, PollFlags) = match trigger {
        StallTrigger::Off => return (None, "off".to_string()),
        StallTrigger::Readable(fd) => (
            fd,
            "armed on a descriptor".to_string(),
            Duration::ZERO,
            PollFlags::IN,
        ),
        StallTrigger::Psi | StallTrigger::PsiFile(_) => {
            let path = match trigger {
                StallTrigger::PsiFile(path) => Some(path),
                _ => default_pressure_file(),
            };
            let Some(path) = path else {
                return (
                    None,
                    "refused: no memory pressure file (kernel without PSI)".into(),
                );
            };
            match arm(&path) {
                Ok(file) => {
                    let what = format!("armed on {}", path.display());
                    (file.into(), what, ARM_GRACE, PollFlags::PRI)
                }
                Err(e) => {
                    let why = format!("refused: cannot arm a trigger on {}: {e}", path.display());
                    tracing::info!("{why}; sampling at the interval only");
                    return (None, why);
                }
            }
        }
    };

    let (stop_read, stop_write) = match rustix::pipe::pipe() {
        Ok(pair) => pair,
        Err(e) => return (None, format!("refused: cannot make a pipe: {e}")),
    };
    let thread = std::thread::Builder::new()
        .name("mempressure-psi".into())
        .spawn(move || watch(fd, events, stop_read, grace, wake));
    match thread {
        Ok(thread) => (
            Some(StallWaker {
                stop: stop_write,
                thread: Some(thread),
            }),
            what,
        ),
        Err(e) => (
            None,
            format!("refused: cannot start the trigger thread: {e}"),
        ),
    }
}

fn watch(trigger: OwnedFd, events: PollFlags, stop: OwnedFd, grace: Duration, wake: impl Fn()) {
    let armed_at = Instant::now();
    let mut first = true;
    loop {
        let mut fds = [
            PollFd::new(&trigger, events),
            PollFd::new(&stop, PollFlags::IN),
        ];
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => {
                tracing::warn!("stall trigger stopped: poll failed: {e}");
                return;
            }
        }
        let (fired, stopped) = (fds[0].revents(), fds[1].revents());
        if !stopped.is_empty() {
            return;
        }
        if fired.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL) {
            tracing::warn!("stall trigger stopped: the pressure file went away");
            return;
        }
        if events.contains(PollFlags::IN) && fired.contains(PollFlags::IN) {
            // A plain descriptor: take what was written so that it is not readable again.
            let mut buffer = [0u8; 64];
            let _ = rustix::io::read(trigger.as_fd(), &mut buffer);
        }
        let spurious = first && armed_at.elapsed() < grace;
        first = false;
        if !spurious {
            tracing::debug!("memory stall: sampling now");
            wake();
        }
    }
}
