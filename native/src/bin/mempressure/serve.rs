//! `mempressure serve`: monitors this machine like `watch` and serves the status page.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use mempressure_native::MonitorBuilder;

use crate::options::{CliError, ConfigArgs, RootArg, emit, parse_duration};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    addr: SocketAddr,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    root: RootArg,
    /// Time between samples (default: the profile's sample interval).
    #[arg(long, value_name = "D", value_parser = parse_duration, allow_hyphen_values = true)]
    interval: Option<Duration>,
    /// The built page (default: MEMPRESSURE_WWW, else www/dist of this source tree).
    #[arg(long, value_name = "DIR")]
    www: Option<PathBuf>,
}

/// Where the built page is looked for when `--www` is not given.
fn default_www() -> PathBuf {
    match std::env::var_os("MEMPRESSURE_WWW") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/dist")),
    }
}

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let mut config = args.config.load()?;
    if let Some(interval) = args.interval {
        config.set_sample_interval_ms(u64::try_from(interval.as_millis()).unwrap_or(u64::MAX));
    }
    let www = args.www.unwrap_or_else(default_www);
    if !www.join("index.html").is_file() {
        tracing::warn!(
            "no built page in {}: run `bash www/build.sh` (only /status is served until then)",
            www.display()
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| CliError::Runtime(format!("cannot handle Ctrl-C: {e}")))?;

    let monitor = MonitorBuilder::new()
        .config(config)
        .sampler(args.root.sampler())
        .stall_trigger(args.root.stall_trigger())
        .build()
        .map_err(|e| CliError::Input(e.to_string()))?;
    let server = monitor
        .serve(&args.addr.to_string(), Some(www))
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    monitor
        .start()
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    emit(&format!(
        "serving this machine's memory pressure at {} (Ctrl-C to stop)",
        server.url()
    ))?;

    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);
    monitor.stop();
    Ok(())
}
