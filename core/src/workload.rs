//! Synthetic workloads for the benchmarks (feature `_bench`, internal): the same sequences
//! natively, in wasm and in the Python reference (`benches/reference.py` builds them with
//! the same formulas).

use crate::event::Event;
use crate::monitor::{PressureMonitor, simulate_eviction};
use crate::registry::CacheEntry;
use crate::sample::Sample;

const TOTAL: u64 = 16 << 30;
const TYPES: [&str; 4] = [
    "frame_cache",
    "validation_cache",
    "resize_cache",
    "thumbnails",
];

/// `n` samples 100 ms apart whose usage rises and falls between 50% and 98% every 2000
/// samples (a triangle wave), crossing every threshold on the way.
pub fn samples(n: usize) -> Vec<Sample> {
    (0..n)
        .map(|i| {
            let phase = (i % 2000) as f64;
            let tri = if phase < 1000.0 {
                phase / 1000.0
            } else {
                (2000.0 - phase) / 1000.0
            };
            let usage = 0.5 + 0.48 * tri;
            let used = (TOTAL as f64 * usage) as u64;
            Sample::new(i as u64 * 100, TOTAL, TOTAL - used)
        })
        .collect()
}

/// `n` caches with ids `cache-0000000`..., four types, 1 MiB to 5 MiB each, access counts
/// 0 to 99 and last accesses in the minute before t = 60 s.
pub fn caches(n: usize) -> Vec<CacheEntry> {
    (0..n as u64)
        .map(|i| CacheEntry {
            id: format!("cache-{i:07}").into(),
            cache_type: TYPES[(i % 4) as usize].to_string(),
            bytes: (1 << 20) + (i * 7919 % 1000) * 4096,
            access_count: i * 31 % 100,
            last_access_ms: i * 13 % 60_000,
        })
        .collect()
}

/// A monitor with the first `n` of [`caches`] registered.
pub fn monitor_with_caches(n: usize) -> PressureMonitor {
    let mut monitor =
        PressureMonitor::new(crate::Config::default()).expect("the default config is valid");
    for cache in caches(n) {
        monitor
            .register_cache(0, cache)
            .expect("time 0 never goes back");
    }
    monitor
}

/// Drives `monitor` with `samples` like an adapter (plans run by caches that free what they
/// are asked); returns how many events came out.
pub fn run(monitor: &mut PressureMonitor, samples: &[Sample]) -> usize {
    let mut events = 0;
    for sample in samples {
        monitor
            .handle_sample(*sample)
            .expect("the workload's samples are valid and in order");
        while let Some(event) = monitor.poll_event() {
            if let Event::EvictionPlanned(plan) = &event {
                let report = simulate_eviction(plan);
                monitor
                    .handle_eviction_report(report)
                    .expect("the plan awaits this report");
            }
            events += 1;
        }
    }
    events
}

/// A trace text of `n` samples of [`samples`], with three caches.
pub fn trace_text(n: usize) -> String {
    let mut text = String::from("{\"format\":\"mempressure-trace\",\"version\":1}\n");
    for cache in caches(3) {
        text.push_str(&format!(
            "{{\"t_ms\":0,\"cache\":{{\"id\":\"{}\",\"type\":\"{}\",\"bytes\":{}}}}}\n",
            cache.id, cache.cache_type, cache.bytes
        ));
    }
    for sample in samples(n) {
        text.push_str(&crate::trace::sample_line(&sample));
        text.push('\n');
    }
    text
}
