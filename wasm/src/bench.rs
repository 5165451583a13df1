//! Hidden exports for the benchmarks (feature `_bench`, internal; never in the npm
//! package): the core step and eviction planning on the workloads of
//! `mempressure_core::workload`, so `benches/wasm.mjs` can time them under Node.
//!
//! Each workload is built by a setup call and kept in a thread-local, so the timed call
//! runs only what the native criterion bench times.

use std::cell::RefCell;
use std::collections::BTreeSet;

use mempressure_core::priority::plan_requests;
use mempressure_core::{Config, PressureMonitor, Sample, workload};
use wasm_bindgen::prelude::*;

thread_local! {
    static SAMPLES: RefCell<Vec<Sample>> = const { RefCell::new(Vec::new()) };
    static PLANNER: RefCell<Option<(PressureMonitor, u64)>> = const { RefCell::new(None) };
}

/// Builds `workload::samples(n)` for [`bench_core_step`].
#[wasm_bindgen(js_name = __benchSetupCoreStep)]
pub fn bench_setup_core_step(n: usize) {
    SAMPLES.with(|s| *s.borrow_mut() = workload::samples(n));
}

/// Runs the samples of the last setup through a monitor with three caches; returns how
/// many events came out.
#[wasm_bindgen(js_name = __benchCoreStep)]
pub fn bench_core_step() -> usize {
    let mut monitor = workload::monitor_with_caches(3);
    SAMPLES.with(|s| workload::run(&mut monitor, &s.borrow()))
}

/// Registers `workload::caches(n)` in a monitor for [`bench_planning`], outside the timing.
#[wasm_bindgen(js_name = __benchSetupPlanning)]
pub fn bench_setup_planning(n: usize) {
    let monitor = workload::monitor_with_caches(n);
    let target = monitor.caches().total_bytes() * 3 / 10;
    PLANNER.with(|p| *p.borrow_mut() = Some((monitor, target)));
}

/// Plans an eviction of 30% of the set-up caches' bytes at t = 60 s; returns how many
/// caches the plan asks.
///
/// # Panics
/// When [`bench_setup_planning`] was not called first.
#[wasm_bindgen(js_name = __benchPlanning)]
pub fn bench_planning() -> usize {
    let scoring = Config::default().scoring;
    PLANNER.with(|p| {
        let planner = p.borrow();
        let (monitor, target) = planner.as_ref().expect("__benchSetupPlanning runs first");
        plan_requests(
            &scoring,
            monitor.caches(),
            &BTreeSet::new(),
            60_000,
            *target,
        )
        .len()
    })
}

/// The text of `workload::trace_text(n)`: a trace of `n` samples with three caches.
#[wasm_bindgen(js_name = __benchTraceText)]
pub fn bench_trace_text(n: usize) -> String {
    workload::trace_text(n)
}
