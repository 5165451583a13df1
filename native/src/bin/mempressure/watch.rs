//! `mempressure watch`: a live line per sample, with level changes highlighted.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use mempressure_native::{Event, MonitorBuilder, Notification, format_bytes};

use crate::options::{CliError, ConfigArgs, RootArg, emit, parse_duration};

#[derive(Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    root: RootArg,
    /// Time between samples (default: the profile's sample interval).
    #[arg(long, value_name = "D", value_parser = parse_duration, allow_hyphen_values = true)]
    interval: Option<Duration>,
    /// Stop after this long instead of waiting for Ctrl-C.
    #[arg(long, value_name = "D", value_parser = parse_duration, allow_hyphen_values = true)]
    duration: Option<Duration>,
}

pub fn run(args: WatchArgs) -> Result<(), CliError> {
    let mut config = args.config.load()?;
    if let Some(interval) = args.interval {
        config.set_sample_interval_ms(u64::try_from(interval.as_millis()).unwrap_or(u64::MAX));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| CliError::Runtime(format!("cannot handle Ctrl-C: {e}")))?;

    let monitor = MonitorBuilder::new()
        .config(config.clone())
        .sampler(args.root.sampler())
        .stall_trigger(args.root.stall_trigger())
        .build()
        .map_err(|e| CliError::Input(e.to_string()))?;
    let notifications = monitor.subscribe();
    monitor
        .start()
        .map_err(|e| CliError::Runtime(e.to_string()))?;

    let t = &config.thresholds;
    emit(&format!(
        "watching this machine's memory every {} with profile {} (warning {:.0}%, critical \
         {:.0}%, emergency {:.0}%); Ctrl-C to stop",
        mempressure_native::core::format_duration_ms(config.sample_interval_ms),
        config.profile,
        t.warning * 100.0,
        t.critical * 100.0,
        t.emergency * 100.0
    ))?;

    let highlight = std::io::stdout().is_terminal();
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && args.duration.is_none_or(|d| started.elapsed() < d) {
        let Ok(notification) = notifications.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        if let Err(error) = print_notification(&notification, highlight) {
            monitor.stop();
            return Err(error);
        }
    }
    monitor.stop();

    let status = monitor.status();
    if status.reading.is_none() && status.sample_failures > 0 {
        return Err(CliError::Runtime(
            "memory could not be read in any sample".into(),
        ));
    }
    Ok(())
}

fn print_notification(notification: &Notification, highlight: bool) -> Result<(), CliError> {
    let line = match notification {
        Notification::Sampled {
            t_ms,
            level,
            reading,
            seconds_to_exhaustion,
        } => {
            let process = reading
                .process_bytes
                .map_or("unknown".to_string(), format_bytes);
            let mut line = format!(
                "{:>9.1}s  {:<9}  {:>6.2}% used  {} available of {}  process {}",
                *t_ms as f64 / 1000.0,
                level.as_str(),
                reading.usage() * 100.0,
                format_bytes(reading.available_bytes),
                format_bytes(reading.total_bytes),
                process
            );
            if let Some(psi) = reading.psi_some_avg10 {
                line.push_str(&format!("  stall {psi:.2}%"));
            }
            if let Some(seconds) = seconds_to_exhaustion {
                line.push_str(&format!("  full in {seconds:.0}s"));
            }
            line
        }
        Notification::Event {
            event: event @ Event::Level(_),
        } => {
            let line = format!(">>> {}", mempressure_native::describe(event).trim_start());
            if highlight {
                format!("\x1b[1;33m{line}\x1b[0m")
            } else {
                line
            }
        }
        Notification::Event { event } => {
            format!("    {}", mempressure_native::describe(event).trim_start())
        }
        Notification::SampleFailed { t_ms, error } => {
            format!("{:>9.1}s  unavailable: {error}", *t_ms as f64 / 1000.0)
        }
        _ => return Ok(()),
    };
    emit(&line)
}
