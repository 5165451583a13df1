//! Pure memory-pressure state machines: samples and time in, levels, eviction plans and
//! alerts out.
//!
//! This crate never reads a clock, touches the OS, spawns a thread or prints. Every input
//! carries its time as `t_ms`; every decision comes back as a value. That is what lets the
//! same recorded samples give the same decisions natively, in the browser through
//! WebAssembly, and in tests that run hours of pressure in microseconds.
//!
//! # What it does
//! - [`PressureMonitor`]: levels with hysteresis ([`hysteresis`]), eviction plans with a
//!   cooldown ([`eviction`]), ranked by a priority score ([`priority`]), and alerts.
//! - [`Config`]: four named [`Profile`]s, TOML and JSON config files, validation.
//! - Trace files ([`parse_trace`]), the decision log ([`decision_log`]) and [`replay`].
//!
//! # The drive loop
//! 1. Feed one input: [`PressureMonitor::handle_sample`] or a cache change.
//! 2. Drain [`PressureMonitor::poll_event`]; run any [`Event::EvictionPlanned`] and report
//!    it with [`PressureMonitor::handle_eviction_report`]; drain again.
//! 3. Sleep until [`PressureMonitor::poll_timeout`] and take the next sample.
//!
//! ```
//! use mempressure_core::{Config, Event, PressureLevel, PressureMonitor, Sample};
//!
//! let mut monitor = PressureMonitor::new(Config::default()).unwrap();
//! monitor.handle_sample(Sample::new(0, 100, 25)).unwrap(); // 75% used
//! match monitor.poll_event() {
//!     Some(Event::Level(change)) => assert_eq!(change.to, PressureLevel::Warning),
//!     other => panic!("expected a level change, got {other:?}"),
//! }
//! ```
//!
//! # Determinism
//! Decisions use only integer arithmetic and `+ - * /` on `f64`, which IEEE 754 rounds the
//! same way everywhere; caches are walked in id order. Replaying a trace gives the same
//! decision log, byte for byte, on every target.

#![forbid(unsafe_code)]

pub mod config;
pub mod decision_log;
mod duration;
pub mod error;
pub mod event;
pub mod eviction;
#[cfg(any(test, feature = "_fuzz"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod hysteresis;
pub mod level;
pub mod monitor;
pub mod priority;
pub mod registry;
pub mod replay;
pub mod sample;
pub mod trace;
pub mod trend;
#[cfg(feature = "_bench")]
#[doc(hidden)]
pub mod workload;

pub use config::{Config, PartialConfig, Profile};
pub use decision_log::{describe, format_bytes, log_line};
pub use duration::{format_duration_ms, parse_duration_ms};
pub use error::{ConfigError, InputError, ReportError};
pub use event::{Alert, Event, LevelChange, LevelReason, ReliefCheck};
pub use eviction::{Eviction, EvictionOutcome, EvictionPlan, EvictionReport, EvictionRequest};
pub use level::PressureLevel;
pub use monitor::{PressureMonitor, Status, Timeout, TimeoutReason, simulate_eviction};
pub use registry::{CacheEntry, CacheRegistry, TypeBreakdown};
pub use replay::{ReplayError, Replayer, replay, replay_to_log};
pub use sample::Sample;
/// The string type of cache ids: [`CacheEntry::id`] and the `cache` of plans and reports.
pub use smol_str::SmolStr;
pub use trace::{Record, TraceError, TraceHeader, TraceRecords, parse_trace, trace_records};

#[cfg(test)]
mod tests;
