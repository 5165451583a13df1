//! `mempressure status`: one reading of this machine and its pressure level.

use clap::Args;
use mempressure_native::{
    Config, MonitorBuilder, MonitorError, PressureLevel, Reading, StatusJson, format_bytes,
};

use crate::options::{CliError, ConfigArgs, RootArg, emit};

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Also print the machine's own figures, the thresholds and the reading's details.
    #[arg(long)]
    detailed: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    root: RootArg,
}

pub fn run(args: StatusArgs) -> Result<(), CliError> {
    let config = args.config.load()?;
    let monitor = MonitorBuilder::new()
        .config(config.clone())
        .sampler(args.root.sampler())
        .build()
        .map_err(|e| CliError::Input(e.to_string()))?;

    let report = match monitor.check_now() {
        Ok(report) => report,
        Err(MonitorError::Sample(error)) => {
            if args.json {
                let object =
                    serde_json::json!({"status": "unavailable", "error": error.to_string()});
                emit(&object.to_string())?;
            }
            // Files under --root are the user's input; the live files are the machine's.
            return Err(match args.root.root {
                Some(_) => CliError::Input(error.to_string()),
                None => CliError::Runtime(error.to_string()),
            });
        }
        Err(other) => return Err(CliError::Runtime(other.to_string())),
    };

    if args.json {
        print_json(&report.reading, report.level, &config)?;
    } else {
        for line in text_lines(&report.reading, report.level, &config, args.detailed) {
            emit(&line)?;
        }
    }
    Ok(())
}

fn print_json(reading: &Reading, level: PressureLevel, config: &Config) -> Result<(), CliError> {
    let object = StatusJson::new(reading, level, config);
    emit(&serde_json::to_string(&object).expect("status serialises"))
}

fn text_lines(
    reading: &Reading,
    level: PressureLevel,
    config: &Config,
    detailed: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    lines.push(format!("level:     {level}"));
    lines.push(format!(
        "usage:     {:.2}% ({} available of {})",
        reading.usage() * 100.0,
        format_bytes(reading.available_bytes),
        format_bytes(reading.total_bytes)
    ));
    match reading.process_bytes {
        Some(bytes) => lines.push(format!("process:   {} resident", format_bytes(bytes))),
        None => lines.push("process:   unknown (not read)".to_string()),
    }
    let limit = match &reading.cgroup_path {
        Some(path) => format!("{} ({path})", reading.source),
        None => reading.source.to_string(),
    };
    lines.push(format!("limit:     {limit}"));
    if !detailed {
        return lines;
    }

    lines.push(format!(
        "host:      {} available of {}",
        format_bytes(reading.host_available_bytes),
        format_bytes(reading.host_total_bytes)
    ));
    let t = &config.thresholds;
    lines.push(format!(
        "profile:   {} (warning {:.0}%, critical {:.0}%, emergency {:.0}%)",
        config.profile,
        t.warning * 100.0,
        t.critical * 100.0,
        t.emergency * 100.0
    ));
    if let Some(high) = reading.memory_high_bytes {
        let state = if reading.at_or_above_memory_high {
            "reached: throttled"
        } else {
            "not reached"
        };
        lines.push(format!("mem.high:  {} ({state})", format_bytes(high)));
    }
    match (reading.psi_some_avg10, reading.psi_full_avg10) {
        (Some(some), full) => lines.push(format!(
            "stall:     some {some:.2}%, full {:.2}% of the last 10 s (PSI)",
            full.unwrap_or(0.0)
        )),
        _ => lines.push("stall:     not reported (no PSI here)".to_string()),
    }
    let estimated = if reading.estimated {
        "yes (no usable MemAvailable)"
    } else {
        "no"
    };
    lines.push(format!("estimated: {estimated}"));
    for flag in &reading.flags {
        lines.push(format!("flag:      {flag}"));
    }
    lines.push(format!("sampled in {:?}", reading.duration));
    lines
}
