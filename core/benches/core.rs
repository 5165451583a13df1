//! Core benchmarks: one sample through the whole machine, eviction planning with many
//! caches, and replay from trace text to decision log.
//!
//! `MEMPRESSURE_BENCH_SMOKE=1` shrinks every size, for the test command's smoke run.

use std::collections::BTreeSet;
use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mempressure_core::priority::plan_requests;
use mempressure_core::{Config, Sample, replay_to_log, workload};

fn smoke() -> bool {
    std::env::var_os("MEMPRESSURE_BENCH_SMOKE").is_some()
}

fn core_step(c: &mut Criterion) {
    let n = if smoke() { 2_000 } else { 1_000_000 };
    let samples = workload::samples(n);
    let mut group = c.benchmark_group("core_step");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter_batched_ref(
            || workload::monitor_with_caches(3),
            |monitor| black_box(workload::run(monitor, &samples)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn planning(c: &mut Criterion) {
    let sizes: &[usize] = if smoke() {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    let scoring = Config::default().scoring;
    let mut group = c.benchmark_group("planning");
    group.sample_size(10);
    for &n in sizes {
        let monitor = workload::monitor_with_caches(n);
        let caches = monitor.caches();
        let target = caches.total_bytes() * 3 / 10;
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                black_box(plan_requests(
                    &scoring,
                    caches,
                    &BTreeSet::new(),
                    60_000,
                    target,
                ))
            })
        });
    }
    group.finish();
}

/// The floor under planning's growth: one pass that reads `n` records of 32 bytes (what
/// planning reads per cache in each of its two passes) and does nothing else. From 100k to
/// 1M records the input leaves the processor's caches, so this alone grows more than 10
/// times.
fn planning_floor(c: &mut Criterion) {
    let sizes: &[usize] = if smoke() {
        &[1_000]
    } else {
        &[100_000, 1_000_000]
    };
    let mut group = c.benchmark_group("planning_floor");
    group.sample_size(10);
    for &n in sizes {
        let records: Vec<[u64; 4]> = (0..n as u64).map(|i| [i, i * 3, i * 7, i % 4]).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let records = black_box(&records);
                records.iter().fold(0u64, |sum, r| {
                    sum.wrapping_add(r[0] ^ r[1]).wrapping_add(r[2] ^ r[3])
                })
            })
        });
    }
    group.finish();
}

fn replay(c: &mut Criterion) {
    let n = if smoke() { 2_000 } else { 200_000 };
    let text = workload::trace_text(n);
    let config = Config::default();
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| black_box(replay_to_log(&text, &config).expect("the workload trace is valid")))
    });
    group.finish();
}

/// The floor under replay: serde_json reading the same lines into samples, one by one,
/// with nothing else done (no checks, no monitor, no log).
fn replay_floor(c: &mut Criterion) {
    let n = if smoke() { 2_000 } else { 200_000 };
    let text = workload::trace_text(n);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("\"total\"")).collect();
    assert_eq!(lines.len(), n, "one sample line per sample");
    let mut group = c.benchmark_group("replay_floor");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            let mut t_ms = 0;
            for line in &lines {
                let sample: Sample = serde_json::from_str(line).expect("a sample line");
                t_ms ^= black_box(sample).t_ms;
            }
            t_ms
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    core_step,
    planning,
    planning_floor,
    replay,
    replay_floor
);
criterion_main!(benches);
