//! Replay: a trace and a config in, the decision log out, the same on every target.
//!
//! In replay a cache asked to evict frees exactly what it was asked for, up to its size.

use std::fmt;

use crate::config::Config;
use crate::decision_log::log_line;
use crate::error::{ConfigError, InputError};
use crate::event::Event;
use crate::monitor::{PressureMonitor, simulate_eviction};
use crate::registry::CacheEntry;
use crate::trace::{CacheChange, CacheUpdate, Record, TraceError, TraceErrorKind, trace_records};
use smol_str::SmolStr;

/// Drives a [`PressureMonitor`] with trace records, running eviction plans as simulated
/// caches would.
pub struct Replayer {
    monitor: PressureMonitor,
}

impl Replayer {
    /// A replayer with a fresh monitor.
    ///
    /// # Errors
    /// The errors of [`Config::validate`].
    pub fn new(config: Config) -> Result<Replayer, ConfigError> {
        Ok(Replayer {
            monitor: PressureMonitor::new(config)?,
        })
    }

    /// The monitor being driven.
    pub fn monitor(&self) -> &PressureMonitor {
        &self.monitor
    }

    /// Feeds one record and appends the logged events it caused to `out`.
    ///
    /// # Errors
    /// [`InputError`] when the monitor refuses the record (time going backwards).
    pub fn feed(&mut self, record: &Record, out: &mut Vec<Event>) -> Result<(), InputError> {
        match record {
            Record::Sample(sample) => self.monitor.handle_sample(*sample)?,
            Record::Cache(update) => self.apply_cache_update(update)?,
        }

        while let Some(event) = self.monitor.poll_event() {
            match event {
                Event::EvictionPlanned(plan) => self
                    .monitor
                    .handle_eviction_report(simulate_eviction(&plan))
                    .expect("the plan just handed out awaits exactly this report"),
                event => out.push(event),
            }
        }
        Ok(())
    }

    fn apply_cache_update(&mut self, update: &CacheUpdate) -> Result<(), InputError> {
        let t_ms = update.t_ms;
        let (cache_type, bytes, access_count, last_access_ms) = match &update.change {
            CacheChange::Remove => return self.monitor.remove_cache(t_ms, &update.id).map(drop),
            CacheChange::Set {
                cache_type,
                bytes,
                access_count,
                last_access_ms,
            } => (cache_type, *bytes, *access_count, *last_access_ms),
        };

        let previous = self.monitor.caches().get(&update.id);
        let entry = CacheEntry {
            id: SmolStr::new(&update.id),
            cache_type: cache_type.clone(),
            bytes,
            access_count: access_count
                .or(previous.map(|p| p.access_count))
                .unwrap_or(0),
            last_access_ms: last_access_ms
                .or(previous.map(|p| p.last_access_ms))
                .unwrap_or(t_ms),
        };
        self.monitor.register_cache(t_ms, entry)
    }
}

/// A replay that could not run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReplayError {
    /// The config is invalid.
    Config(ConfigError),
    /// A line of the trace is faulty.
    Trace(TraceError),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Config(e) => write!(f, "{e}"),
            ReplayError::Trace(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Replays a trace's text with `config` and returns the logged events in time order.
///
/// # Errors
/// [`ReplayError`] naming the config field or the trace line at fault.
pub fn replay(trace_text: &str, config: &Config) -> Result<Vec<Event>, ReplayError> {
    let (_, records) = trace_records(trace_text).map_err(ReplayError::Trace)?;
    let mut replayer = Replayer::new(config.clone()).map_err(ReplayError::Config)?;

    // Each record is fed as it is read: the first faulty line, whether it does not parse
    // or the monitor refuses it, is the error.
    let mut events = Vec::new();
    for record in records {
        let (line, record) = record.map_err(ReplayError::Trace)?;
        replayer.feed(&record, &mut events).map_err(|e| {
            ReplayError::Trace(TraceError {
                line,
                kind: TraceErrorKind::Input(e),
            })
        })?;
    }
    Ok(events)
}

/// Replays a trace's text and writes the decision log, one JSON line per event, each ending
/// in a newline.
///
/// # Errors
/// As [`replay`].
pub fn replay_to_log(trace_text: &str, config: &Config) -> Result<String, ReplayError> {
    let events = replay(trace_text, config)?;
    let mut log = String::new();
    for line in events.iter().filter_map(log_line) {
        log.push_str(&line);
        log.push('\n');
    }
    Ok(log)
}
