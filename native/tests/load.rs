//! Eight threads register, update, touch and remove caches at full speed while the monitor
//! checks pressure and runs eviction plans: no deadlock, no lost update, bounded time.
//!
//! The stress run: `MEMPRESSURE_STRESS_ROUNDS=200 cargo test --release -p mempressure-native
//! --test load` (the default is a few rounds, for the test command).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use mempressure_native::{
    Cache, EvictError, Monitor, MonitorBuilder, Reading, SampleError, Sampler,
};

const THREADS: usize = 8;
const CACHES_PER_THREAD: usize = 16;
const OPS_PER_THREAD: usize = 2_000;

/// Always 97% used: every check is at emergency and may evict.
struct Pressed;

impl Sampler for Pressed {
    fn read(&mut self) -> Result<Reading, SampleError> {
        Ok(Reading {
            process_bytes: Some(1),
            ..Reading::host(1_000_000, 30_000)
        })
    }
}

/// A cache whose size the test sets and eviction lowers.
struct Sized(AtomicU64);

impl Cache for Sized {
    fn bytes(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
        let held = self.0.load(Ordering::SeqCst);
        let freed = bytes.min(held);
        self.0.fetch_sub(freed, Ordering::SeqCst);
        Ok(freed)
    }
}

/// What one thread did to its own caches: which remain, and how often each was touched.
#[derive(Default)]
struct Done {
    registered: BTreeMap<String, Arc<Sized>>,
    touches: BTreeMap<String, u64>,
}

fn worker(monitor: &Monitor, thread: usize, start: &Barrier) -> Done {
    let mut done = Done::default();
    start.wait();
    for op in 0..OPS_PER_THREAD {
        let id = format!("t{thread}-c{}", op % CACHES_PER_THREAD);
        match op % 7 {
            0 | 1 => {
                let cache = Arc::new(Sized(AtomicU64::new(1 << 20)));
                monitor.register_cache(&id, "frame_cache", cache.clone());
                done.registered.insert(id.clone(), cache);
                done.touches.insert(id, 0);
            }
            2 | 3 => {
                if let Some(cache) = done.registered.get(&id) {
                    cache.0.store((op as u64 % 64 + 1) << 16, Ordering::SeqCst);
                }
            }
            4 | 5 => {
                let touched = monitor.touch(&id);
                assert_eq!(touched, done.registered.contains_key(&id), "{id}");
                if touched {
                    *done.touches.get_mut(&id).unwrap() += 1;
                }
            }
            _ => {
                let removed = monitor.remove_cache(&id);
                assert_eq!(removed, done.registered.remove(&id).is_some(), "{id}");
                done.touches.remove(&id);
            }
        }
    }
    done
}

fn one_round() {
    let monitor = Arc::new(MonitorBuilder::new().sampler(Pressed).build().unwrap());
    let start = Arc::new(Barrier::new(THREADS + 1));
    let finished = Arc::new(AtomicBool::new(false));

    // The checker: samples and evicts as fast as it can while the workers run.
    let checker = {
        let (monitor, start, finished) = (monitor.clone(), start.clone(), finished.clone());
        std::thread::spawn(move || {
            start.wait();
            let mut checks = 0u64;
            while !finished.load(Ordering::SeqCst) {
                monitor.check_now().unwrap();
                checks += 1;
            }
            checks
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (monitor, start) = (monitor.clone(), start.clone());
            std::thread::spawn(move || worker(&monitor, t, &start))
        })
        .collect();
    let done: Vec<Done> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    finished.store(true, Ordering::SeqCst);
    assert!(checker.join().unwrap() > 0);

    // One last check brings every size up to date; then the registry is exactly what the
    // threads left, with every touch counted.
    monitor.check_now().unwrap();
    let expected: usize = done.iter().map(|d| d.registered.len()).sum();
    assert_eq!(monitor.status().core.cache_count, expected);
    for thread in &done {
        for (id, cache) in &thread.registered {
            let entry = monitor.cache(id).unwrap_or_else(|| panic!("{id} was lost"));
            assert_eq!(entry.access_count, thread.touches[id], "touches of {id}");
            assert_eq!(entry.bytes, cache.bytes(), "bytes of {id}");
        }
    }
}

#[test]
fn eight_threads_and_a_checker_lose_nothing_and_never_deadlock() {
    let rounds: usize = std::env::var("MEMPRESSURE_STRESS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);

    // A deadlock would hang the test: a watchdog ends the process with a message instead.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let limit = Duration::from_secs(120 + 10 * rounds as u64);
    std::thread::spawn(move || {
        if done_rx.recv_timeout(limit).is_err() {
            eprintln!("the load test did not finish within {limit:?}: deadlock?");
            std::process::abort();
        }
    });

    for _ in 0..rounds {
        one_round();
    }
    done_tx.send(()).unwrap();
}
