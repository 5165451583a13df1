//! Native adapter for `mempressure-core`: samples this machine and drives the core.

#[cfg(target_os = "linux")]
pub mod linux;
