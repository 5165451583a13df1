//! `mempressure record`: this machine's memory as a trace, one complete line per sample.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use mempressure_native::Sampler;
use mempressure_native::core::trace::{TraceHeader, header_line, sample_line};

use crate::options::{CliError, RootArg, parse_duration, plural};

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The trace file to write.
    #[arg(long, value_name = "F")]
    out: PathBuf,
    /// Stop after this long (default: until Ctrl-C).
    #[arg(long, value_name = "D", value_parser = parse_duration, allow_hyphen_values = true)]
    duration: Option<Duration>,
    /// Time between samples.
    #[arg(
        long,
        value_name = "D",
        value_parser = parse_duration,
        default_value = "1s",
        allow_hyphen_values = true
    )]
    interval: Duration,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    root: RootArg,
}

pub fn run(args: RecordArgs) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(&args.out).map_err(|e| {
        let message = format!("cannot create {}: {e}", args.out.display());
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            // A usage matter: the user named a file that exists without --force.
            CliError::Input(format!("{message} (use --force to replace it)"))
        } else {
            CliError::Runtime(message)
        }
    })?;

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| CliError::Runtime(format!("cannot handle Ctrl-C: {e}")))?;

    let interval_ms = u64::try_from(args.interval.as_millis()).unwrap_or(u64::MAX);
    let mut header = TraceHeader::new(
        &format!("mempressure record ({})", std::env::consts::OS),
        interval_ms,
    );
    header.description = Some(format!(
        "recorded by mempressure {}",
        env!("CARGO_PKG_VERSION")
    ));
    let write_line = |file: &mut std::fs::File, line: String| {
        // One write per complete line: an interruption never leaves half a line.
        file.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", args.out.display())))
    };
    write_line(&mut file, header_line(&header))?;

    let mut sampler = args.root.sampler();
    let started = Instant::now();
    let (mut written, mut failed) = (0u64, 0u64);
    for tick in 0u32.. {
        if stop.load(Ordering::SeqCst) || args.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let t_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match sampler.read() {
            Ok(reading) => {
                write_line(&mut file, sample_line(&reading.to_sample(t_ms)))?;
                written += 1;
            }
            Err(error) => {
                tracing::warn!("no sample at t_ms {t_ms}: {error}");
                failed += 1;
            }
        }
        wait_until(
            started + args.interval * (tick + 1),
            &stop,
            args.duration.map(|d| started + d),
        );
    }

    eprintln!(
        "recorded {} to {} ({failed} could not be read)",
        plural(written, "sample"),
        args.out.display()
    );
    if written == 0 && failed > 0 {
        return Err(CliError::Runtime(
            "memory could not be read in any sample".into(),
        ));
    }
    Ok(())
}

fn wait_until(deadline: Instant, stop: &AtomicBool, end: Option<Instant>) {
    let deadline = end.map_or(deadline, |end| deadline.min(end));
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}
