//! Options shared by the commands, and the errors they end with.

use std::path::PathBuf;

use clap::Args;
use mempressure_native::{Config, Profile, SystemSampler};

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input or usage: a missing or broken file, an invalid config. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// Something failed at run time: memory unreadable, a file not writable. Exit code 1.
    #[error("{0}")]
    Runtime(String),
    /// Whoever read standard output has gone (`| head`): stop quietly. Exit code 0.
    #[error("standard output was closed")]
    OutputClosed,
}

/// Prints one line to standard output.
pub fn emit(line: &str) -> Result<(), CliError> {
    use std::io::Write;

    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::OutputClosed),
        Err(e) => Err(CliError::Runtime(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Runtime(_) => 1,
            CliError::OutputClosed => 0,
        }
    }
}

/// Which pressure rules to use.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// Named profile: default, development, production or low_memory.
    #[arg(long, value_name = "P", conflicts_with = "config")]
    pub profile: Option<Profile>,
    /// TOML config file (names its own base profile).
    #[arg(long, value_name = "F")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// The config these options name.
    pub fn load(&self) -> Result<Config, CliError> {
        if let Some(path) = &self.config {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Input(format!("cannot read config {}: {e}", path.display()))
            })?;
            return Config::from_toml_str(&text)
                .map_err(|e| CliError::Input(format!("{}: {e}", path.display())));
        }
        Ok(Config::profile(self.profile.unwrap_or_default()))
    }
}

/// Where memory is read from.
#[derive(Args, Debug, Clone)]
pub struct RootArg {
    /// Read DIR/proc/meminfo, DIR/proc/self/cgroup and DIR/sys/fs/cgroup instead of the
    /// live files (to reproduce a reading from a bug report).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

impl RootArg {
    /// What wakes the monitor early: a PSI trigger on this machine, none under `--root`
    /// (the files there are a recording, not a live kernel).
    #[cfg(unix)]
    pub fn stall_trigger(&self) -> mempressure_native::StallTrigger {
        match self.root {
            None => mempressure_native::StallTrigger::Psi,
            Some(_) => mempressure_native::StallTrigger::Off,
        }
    }

    /// The sampler these options name.
    pub fn sampler(&self) -> SystemSampler {
        match &self.root {
            Some(root) => SystemSampler::with_root(root),
            None => SystemSampler::new(),
        }
    }
}

/// Parses a duration written as people write them (`500ms`, `5s`, `2m`), for clap.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let ms = mempressure_native::core::parse_duration_ms(text)?;
    if ms == 0 {
        return Err("must be more than 0".to_string());
    }
    Ok(std::time::Duration::from_millis(ms))
}

/// `1 sample`, `2 samples`.
pub fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
