//! The `mempressure` command-line tool: status, watch, record and replay.

mod options;
mod record;
mod replay;
mod serve;
mod status;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Memory-pressure monitoring: see this machine's pressure level, record its memory, and
/// replay recordings through the pressure rules.
#[derive(Parser)]
#[command(name = "mempressure", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print this machine's memory and pressure level once.
    Status(status::StatusArgs),
    /// Print a line per sample, highlighting level changes, until Ctrl-C.
    Watch(watch::WatchArgs),
    /// Record this machine's memory to a trace file, one line per sample.
    Record(record::RecordArgs),
    /// Replay a trace file through the pressure rules and print the decision log.
    Replay(replay::ReplayArgs),
    /// Monitor this machine and serve the status page and /status over HTTP.
    Serve(serve::ServeArgs),
}

/// Logs to standard error: warnings by default for the long-running commands, errors only
/// for the one-shot ones (whose failures end in their own message), or `MEMPRESSURE_LOG`.
fn init_logging(command: &Command) {
    use std::io::IsTerminal;

    let default = match command {
        Command::Watch(_) | Command::Record(_) | Command::Serve(_) => "warn",
        Command::Status(_) | Command::Replay(_) => "error",
    };
    let filter = match std::env::var("MEMPRESSURE_LOG") {
        Ok(wanted) => tracing_subscriber::EnvFilter::try_new(&wanted).unwrap_or_else(|e| {
            eprintln!("mempressure: ignoring MEMPRESSURE_LOG={wanted:?}: {e}");
            tracing_subscriber::EnvFilter::new(default)
        }),
        Err(_) => tracing_subscriber::EnvFilter::new(default),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);

    let result = match cli.command {
        Command::Status(args) => status::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Record(args) => record::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Serve(args) => serve::run(args),
    };

    match result {
        Ok(()) | Err(options::CliError::OutputClosed) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mempressure: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
