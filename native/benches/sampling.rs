//! One full native sample (system memory, cgroup limit and usage, process resident
//! memory) against the floor: the same kernel files read and parsed directly, with their
//! descriptors kept open, in the same run (the floor is in `floor/mod.rs`). Check that
//! both read the same files with
//! `strace -e trace=openat,pread64 target/release/deps/sampling-* --bench --profile-time 1`.

mod floor;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mempressure_native::{Sampler, SystemSampler};

fn sampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("sample");
    let mut sampler = SystemSampler::new();
    group.bench_function("full", |b| {
        b.iter(|| black_box(sampler.read().expect("memory is readable")))
    });
    let mut floor = floor::Floor::open();
    group.bench_function("floor", |b| b.iter(|| black_box(floor.read())));
    group.finish();
}

criterion_group!(benches, sampling);
criterion_main!(benches);
