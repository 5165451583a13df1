//! A process that does nothing for a while, optionally with a started monitor: what
//! `benches/overhead.py` measures from outside to find the monitor's own CPU time and
//! resident memory.
//!
//! Usage: `idle_monitor SECONDS [INTERVAL | floor:INTERVAL]`, e.g. `idle_monitor 20 100ms`.
//! Without an interval no monitor is built; with one, a [`MonitorBuilder`] monitor with
//! the default profile and this machine's sampler samples at that interval until the end.
//! With `floor:INTERVAL` a thread only reads the files the sampler reads (the sampling
//! bench's floor: kept descriptors, a direct parse) once per interval: the cost of the
//! kernel's side of sampling at that interval, which no monitor can go below.

#[path = "../benches/floor/mod.rs"]
mod floor;

use std::time::Duration;

use mempressure_native::core::parse_duration_ms;
use mempressure_native::{Config, MonitorBuilder};

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = match args.next().map(|a| a.parse()) {
        Some(Ok(s)) => s,
        _ => {
            eprintln!("usage: idle_monitor SECONDS [INTERVAL]");
            std::process::exit(2);
        }
    };
    let mode = args.next();
    let (floor_only, interval) = match mode.as_deref().map(|a| a.strip_prefix("floor:")) {
        Some(Some(interval)) => (true, Some(interval.to_string())),
        _ => (false, mode),
    };
    let interval_ms = interval.map(|a| match parse_duration_ms(&a) {
        Ok(ms) if ms > 0 => ms,
        Ok(_) => {
            eprintln!("idle_monitor: interval {a:?}: must be above 0");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("idle_monitor: interval {a:?}: {e}");
            std::process::exit(2);
        }
    });

    if floor_only && let Some(ms) = interval_ms {
        let mut floor = floor::Floor::open();
        std::thread::spawn(move || {
            loop {
                std::hint::black_box(floor.read());
                std::thread::sleep(Duration::from_millis(ms));
            }
        });
        std::thread::sleep(Duration::from_secs_f64(seconds));
        return;
    }

    let monitor = interval_ms.map(|ms| {
        let mut config = Config::default();
        config.set_sample_interval_ms(ms);
        MonitorBuilder::new()
            .config(config)
            .start()
            .expect("the default config with a non-zero interval is valid")
    });

    std::thread::sleep(Duration::from_secs_f64(seconds));

    if let Some(monitor) = monitor {
        let status = monitor.status();
        eprintln!(
            "idle_monitor: {} samples kept, {} failed, health {:?}",
            status.history.len(),
            status.sample_failures,
            status.health
        );
    }
}
