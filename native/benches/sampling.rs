//! One full native sample (system memory, cgroup limit and usage, process resident
//! memory) against the floor: the same kernel files read and parsed directly, with their
//! descriptors kept open, in the same run.

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;

use criterion::{Criterion, criterion_group, criterion_main};
use mempressure_native::{Sampler, SystemSampler};

/// The files a reading of this host needs, opened once.
struct Floor {
    files: Vec<File>,
    buffer: Vec<u8>,
}

impl Floor {
    fn open() -> Floor {
        let paths = [
            "/proc/meminfo",
            "/proc/self/cgroup",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.stat",
            "/proc/self/statm",
        ];
        let files = paths.iter().filter_map(|p| File::open(p).ok()).collect();
        Floor {
            files,
            buffer: vec![0; 64 * 1024],
        }
    }

    /// Reads every file from offset 0 and parses the first number after each key it needs.
    fn read(&mut self) -> u64 {
        let mut sum = 0u64;
        for file in &self.files {
            let n = file.read_at(&mut self.buffer, 0).unwrap_or(0);
            let text = &self.buffer[..n];
            sum = sum.wrapping_add(first_number_after(text, b"MemTotal:"));
            sum = sum.wrapping_add(first_number_after(text, b"MemAvailable:"));
            sum = sum.wrapping_add(first_number_after(text, b"hierarchical_memory_limit"));
            sum = sum.wrapping_add(first_number_after(text, b""));
        }
        sum
    }
}

fn first_number_after(text: &[u8], key: &[u8]) -> u64 {
    let start = if key.is_empty() {
        0
    } else {
        match text.windows(key.len()).position(|w| w == key) {
            Some(i) => i + key.len(),
            None => return 0,
        }
    };
    let digits = text[start..].iter().skip_while(|b| !b.is_ascii_digit());
    digits
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
}

fn sampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("sample");
    let mut sampler = SystemSampler::new();
    group.bench_function("full", |b| {
        b.iter(|| black_box(sampler.read().expect("memory is readable")))
    });
    let mut floor = Floor::open();
    group.bench_function("floor", |b| b.iter(|| black_box(floor.read())));
    group.finish();
}

criterion_group!(benches, sampling);
criterion_main!(benches);
