//! Prints what the benchmark workloads decide, as one JSON object, so that
//! `benches/reference.py` can check its Python yardstick against the Rust core
//! (feature `_bench`).
//!
//! Usage: `bench_workload SAMPLES CACHES`: the core step over `workload::samples(SAMPLES)`
//! with three caches (counts of each event and the first evictions), and the plan over
//! `workload::caches(CACHES)` at t = 60 s for 30% of their bytes.

use std::collections::BTreeSet;

use mempressure_core::priority::plan_requests;
use mempressure_core::{Config, Event, simulate_eviction, workload};
use serde_json::json;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let samples = args
        .next()
        .unwrap_or(Ok(20_000))
        .expect("SAMPLES is a count");
    let caches = args.next().unwrap_or(Ok(1_000)).expect("CACHES is a count");

    // The core step: the loop of `workload::run`, keeping what each event says.
    let mut monitor = workload::monitor_with_caches(3);
    let (mut levels, mut evictions, mut alerts) = (0, 0, 0);
    let mut first_evictions = Vec::new();
    for sample in workload::samples(samples) {
        monitor
            .handle_sample(sample)
            .expect("the workload's samples are valid and in order");
        while let Some(event) = monitor.poll_event() {
            match event {
                Event::EvictionPlanned(plan) => {
                    let report = simulate_eviction(&plan);
                    monitor
                        .handle_eviction_report(report)
                        .expect("the plan awaits this report");
                }
                Event::Level(_) => levels += 1,
                Event::Evict(e) => {
                    evictions += 1;
                    if first_evictions.len() < 5 {
                        let requests: Vec<_> = e
                            .requests
                            .iter()
                            .map(|r| json!([r.cache, r.bytes]))
                            .collect();
                        first_evictions.push(json!({"t_ms": e.t_ms, "requests": requests}));
                    }
                }
                Event::Alert(_) => alerts += 1,
                _ => {}
            }
        }
    }

    // Planning: the bench's call, over a registry of `caches` caches.
    let planner = workload::monitor_with_caches(caches);
    let registry = planner.caches();
    let target = registry.total_bytes() * 3 / 10;
    let scoring = Config::default().scoring;
    let requests = plan_requests(&scoring, registry, &BTreeSet::new(), 60_000, target);
    let first: Vec<_> = requests
        .iter()
        .take(10)
        .map(|r| json!([r.cache, r.bytes]))
        .collect();

    let out = json!({
        "core_step": {
            "samples": samples,
            "level_changes": levels,
            "evictions": evictions,
            "alerts": alerts,
            "first_evictions": first_evictions,
        },
        "planning": {
            "caches": caches,
            "target_bytes": target,
            "request_count": requests.len(),
            "first_requests": first,
        },
    });
    println!("{out}");
}
