//! `mempressure replay`: a trace through the pressure rules, as a decision log.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use clap::Args;
use mempressure_native::core::trace::{TraceErrorKind, parse_header, parse_record};
use mempressure_native::core::{Event, Replayer, describe, format_bytes, log_line};

use crate::options::{CliError, ConfigArgs, emit, plural};

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The trace file (JSON Lines, see the README's trace format).
    file: PathBuf,
    #[command(flatten)]
    config: ConfigArgs,
    /// Print the decision log as JSON Lines instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ReplayArgs) -> Result<(), CliError> {
    let config = args.config.load()?;
    let file = File::open(&args.file)
        .map_err(|e| CliError::Input(format!("cannot open {}: {e}", args.file.display())))?;
    let mut replayer = Replayer::new(config).map_err(|e| CliError::Input(e.to_string()))?;

    let at = |line: usize, what: &dyn std::fmt::Display| {
        CliError::Input(format!("{}:{line}: {what}", args.file.display()))
    };
    let mut lines = BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    let header = match lines.next() {
        Some((n, line)) => line.map_err(|e| read_error(&args.file, n, e))?,
        None => {
            return Err(at(
                1,
                &"empty file: expected a mempressure-trace header line",
            ));
        }
    };
    parse_header(&header).map_err(|kind| at(1, &trace_message(kind)))?;

    let mut summary = Summary::default();
    let mut events = Vec::new();
    for (n, line) in lines {
        let line = line.map_err(|e| read_error(&args.file, n, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_record(&line).map_err(|kind| at(n, &trace_message(kind)))?;
        summary.records += 1;
        replayer.feed(&record, &mut events).map_err(|e| at(n, &e))?;
        for event in events.drain(..) {
            summary.count(&event);
            if !args.json {
                emit(&describe(&event))?;
            } else if let Some(line) = log_line(&event) {
                emit(&line)?;
            }
        }
    }

    if args.json {
        // Standard output stays pure JSON Lines; the summary goes to standard error.
        eprintln!("{}", summary.describe());
    } else {
        emit(&summary.describe())?;
    }
    Ok(())
}

fn read_error(path: &Path, line: usize, e: std::io::Error) -> CliError {
    let what = if e.kind() == std::io::ErrorKind::InvalidData {
        "not valid UTF-8".to_string()
    } else {
        e.to_string()
    };
    CliError::Input(format!("{}:{line}: {what}", path.display()))
}

fn trace_message(kind: TraceErrorKind) -> String {
    // The message of a TraceError without its "line N: " prefix (the caller adds the place).
    let full = mempressure_native::core::TraceError { line: 0, kind }.to_string();
    full.trim_start_matches("line 0: ").to_string()
}

#[derive(Default)]
struct Summary {
    records: u64,
    level_changes: u64,
    evictions: u64,
    freed_bytes: u64,
    alerts: u64,
}

impl Summary {
    fn count(&mut self, event: &Event) {
        match event {
            Event::Level(_) => self.level_changes += 1,
            Event::Evict(e) => {
                self.evictions += 1;
                self.freed_bytes += e.freed_bytes;
            }
            Event::Alert(_) => self.alerts += 1,
            _ => {}
        }
    }

    fn describe(&self) -> String {
        format!(
            "{}: {}, {} ({} freed), {}",
            plural(self.records, "record"),
            plural(self.level_changes, "level change"),
            plural(self.evictions, "eviction"),
            format_bytes(self.freed_bytes),
            plural(self.alerts, "alert")
        )
    }
}
