//! A process that does nothing for a while, optionally with a started monitor: what
//! `benches/overhead.py` measures from outside to find the monitor's own CPU time and
//! resident memory.
//!
//! Usage: `idle_monitor SECONDS [INTERVAL]`, e.g. `idle_monitor 20 100ms`. Without an
//! interval no monitor is built; with one, a [`MonitorBuilder`] monitor with the default
//! profile and this machine's sampler samples at that interval until the end.

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
    let interval_ms = args.next().map(|a| match parse_duration_ms(&a) {
        Ok(ms) => ms,
        Err(e) => {
            eprintln!("idle_monitor: interval {a:?}: {e}");
            std::process::exit(2);
        }
    });

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
