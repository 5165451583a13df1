//! Memory-pressure monitoring for Rust programs: samples this machine, drives
//! `mempressure-core` on a background thread, and asks the program's caches to give memory
//! back, least valuable first.
//!
//! ```no_run
//! use std::sync::Arc;
//! use mempressure_native::{Cache, EvictError, MonitorBuilder, Notification, Profile};
//!
//! struct Frames;
//! impl Cache for Frames {
//!     fn bytes(&self) -> u64 { 64 << 20 }
//!     fn evict(&self, bytes: u64) -> Result<u64, EvictError> { Ok(bytes) }
//! }
//!
//! let monitor = MonitorBuilder::new().profile(Profile::Production).start().unwrap();
//! monitor.register_cache("frames", "frame_cache", Arc::new(Frames));
//! for notification in monitor.subscribe() {
//!     if let Notification::Event { event } = notification {
//!         println!("{}", mempressure_native::describe(&event));
//!     }
//! }
//! ```
//!
//! # Logging
//! Through `tracing`: level changes and evictions at info, sampling failures, slow samples,
//! failed evictions and alerts at warn. The `mempressure` binary installs a subscriber; a
//! library user installs their own.

mod cache;
pub mod linux;
mod metrics;
mod monitor;
mod process_memory;
mod reading;
mod sampler;
mod server;
#[cfg(unix)]
mod stall_trigger;
mod status_json;

pub use cache::{Cache, EvictError};
pub use mempressure_core::{
    self as core, Config, Event, PressureLevel, Profile, describe, format_bytes,
};
pub use metrics::Metrics;
pub use monitor::{
    CheckReport, DEFAULT_SLOW_SAMPLE_BOUND, HISTORY_SAMPLES, Health, HistoryPoint, Monitor,
    MonitorBuilder, MonitorError, MonitorStatus, Notification, RECENT_EVENTS,
};
pub use reading::{LimitSource, Reading, ReadingFlag, SampleError};
pub use sampler::{Sampler, SystemSampler};
pub use server::{CONTENT_SECURITY_POLICY, ServeError, StatusServer};
#[cfg(unix)]
pub use stall_trigger::{PSI_TRIGGER, StallTrigger};
pub use status_json::{ServedStatus, StatusJson};
