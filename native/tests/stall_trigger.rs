//! A stall trigger wakes the monitor at once instead of at the next tick: with a real PSI
//! trigger where the kernel allows one (or its reported fallback), and with a descriptor
//! standing in for the kernel's event.
#![cfg(unix)]

use std::io::Write;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use mempressure_native::{
    Config, MonitorBuilder, Notification, Reading, SampleError, Sampler, StallTrigger,
};

struct Calm;

impl Sampler for Calm {
    fn read(&mut self) -> Result<Reading, SampleError> {
        Ok(Reading::host(1000, 900))
    }
}

/// A config that samples only every minute, so any quicker sample comes from a wake-up.
fn slow() -> Config {
    let mut config = Config::default();
    config.set_sample_interval_ms(60_000);
    config
}

#[test]
fn a_stall_event_makes_the_monitor_sample_at_once() {
    let (read_end, write_end) = std::os::unix::net::UnixStream::pair().unwrap();
    let monitor = MonitorBuilder::new()
        .config(slow())
        .sampler(Calm)
        .stall_trigger(StallTrigger::Readable(OwnedFd::from(read_end)))
        .build()
        .unwrap();
    let notifications = monitor.subscribe();
    monitor.start().unwrap();
    assert_eq!(monitor.status().stall_trigger, "armed on a descriptor");

    let sampled = |deadline: Instant| loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match notifications.recv_timeout(left) {
            Ok(Notification::Sampled { .. }) => return true,
            Ok(_) => continue,
            Err(_) => return false,
        }
    };
    // The first sample comes at start; the next is a minute away.
    assert!(sampled(Instant::now() + Duration::from_secs(20)));
    assert!(!sampled(Instant::now() + Duration::from_millis(300)));

    // The "kernel" reports a stall: a sample follows well before the interval.
    (&write_end).write_all(b"!").unwrap();
    assert!(
        sampled(Instant::now() + Duration::from_secs(20)),
        "no sample after the stall"
    );
    monitor.stop();
}

#[test]
fn a_psi_trigger_is_armed_or_its_refusal_is_reported() {
    let monitor = MonitorBuilder::new().config(slow()).start().unwrap();
    let state = monitor.status().stall_trigger;
    // On this kind of machine (PSI enabled, running as root) the kernel accepts it;
    // elsewhere the monitor must say why it samples at the interval only.
    assert!(
        state.starts_with("armed on ") || state.starts_with("refused: "),
        "{state}"
    );
    if std::path::Path::new("/proc/pressure/memory").exists() && is_root() {
        assert!(state.starts_with("armed on "), "{state}");
    }
    assert!(monitor.check_now().is_ok());
    monitor.stop();
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
