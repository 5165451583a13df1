//! Faults a monitor must survive: a sampler that fails and recovers, a cache callback that
//! blocks, the thread stopping while a callback runs, and no thread left behind.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mempressure_native::{
    Cache, Config, EvictError, Health, MonitorBuilder, Reading, SampleError, Sampler,
};

fn reading(usage: f64) -> Reading {
    let total = 1_000_000_000u64;
    let available = total - (total as f64 * usage) as u64;
    Reading {
        process_bytes: Some(1),
        ..Reading::host(total, available)
    }
}

/// Fails while `broken` is set, then reads 97% used.
struct Flaky(Arc<AtomicBool>);

impl Sampler for Flaky {
    fn read(&mut self) -> Result<Reading, SampleError> {
        if self.0.load(Ordering::SeqCst) {
            Err(SampleError::Unavailable(
                "/proc/meminfo: permission denied".into(),
            ))
        } else {
            Ok(reading(0.97))
        }
    }
}

/// Counts evictions.
struct Counting(AtomicU64);

impl Cache for Counting {
    fn bytes(&self) -> u64 {
        64 << 20
    }

    fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(bytes)
    }
}

/// A writer that keeps what tracing writes, to check the log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_sampler_is_logged_counted_evicts_nothing_and_recovers() {
    let broken = Arc::new(AtomicBool::new(true));
    let monitor = MonitorBuilder::new()
        .sampler(Flaky(Arc::clone(&broken)))
        .build()
        .unwrap();
    let cache = Arc::new(Counting(AtomicU64::new(0)));
    monitor.register_cache("frames", "frame_cache", cache.clone());

    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        assert!(monitor.check_now().is_err());
        assert!(monitor.check_now().is_err());
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("WARN") && text.contains("permission denied"),
        "{text}"
    );

    let status = monitor.status();
    assert_eq!(status.sample_failures, 2);
    assert!(matches!(status.health, Health::Unavailable(_)));
    assert!(
        monitor
            .metrics()
            .encode()
            .contains("mempressure_sample_failures_total 2")
    );
    assert_eq!(
        cache.0.load(Ordering::SeqCst),
        0,
        "no eviction on a failed reading"
    );

    broken.store(false, Ordering::SeqCst);
    monitor.check_now().unwrap();
    assert_eq!(monitor.status().health, Health::Ok);
    assert_eq!(cache.0.load(Ordering::SeqCst), 1);
}

/// Blocks in `evict` until told to go on.
struct Blocking {
    entered: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<mpsc::Receiver<()>>,
    finished: AtomicBool,
}

impl Cache for Blocking {
    fn bytes(&self) -> u64 {
        64 << 20
    }

    fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
        if let Some(entered) = self.entered.lock().unwrap().take() {
            entered.send(()).unwrap();
        }
        let _ = self
            .release
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(30));
        self.finished.store(true, Ordering::SeqCst);
        Ok(bytes)
    }
}

/// Tests that count this process' monitor threads run one at a time.
static THREAD_COUNTING: Mutex<()> = Mutex::new(());

/// Threads of this process (Linux: /proc/self/task).
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn named_monitor_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .filter(|name| name.starts_with("mempressure-mon"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn stop_returns_while_a_callback_blocks_and_the_thread_exits_after_it() {
    let _one_at_a_time = THREAD_COUNTING.lock().unwrap_or_else(|p| p.into_inner());
    assert!(thread_count() > 0, "this test reads /proc/self/task");
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let cache = Arc::new(Blocking {
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(release_rx),
        finished: AtomicBool::new(false),
    });

    let config = {
        let mut config = Config::default();
        config.set_sample_interval_ms(50);
        config
    };
    let monitor = MonitorBuilder::new()
        .config(config)
        .sampler(Flaky(Arc::new(AtomicBool::new(false))))
        .build()
        .unwrap();
    monitor.register_cache("slow", "frame_cache", cache.clone());
    monitor.start().unwrap();
    entered_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the callback is entered");
    assert_eq!(named_monitor_threads(), 1);

    // The callback is blocked: stop() must not wait for it.
    monitor.stop();
    assert!(
        !cache.finished.load(Ordering::SeqCst),
        "stop() returned before the callback ended"
    );

    // Once the callback returns, the thread exits by itself: nothing is left behind.
    release_tx.send(()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while named_monitor_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "the monitor thread was left behind"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(cache.finished.load(Ordering::SeqCst));
}

#[test]
fn dropping_and_restarting_leave_no_thread_behind() {
    let _one_at_a_time = THREAD_COUNTING.lock().unwrap_or_else(|p| p.into_inner());
    let config = {
        let mut config = Config::default();
        config.set_sample_interval_ms(10);
        config
    };
    for _ in 0..20 {
        let monitor = MonitorBuilder::new()
            .config(config.clone())
            .sampler(Flaky(Arc::new(AtomicBool::new(false))))
            .start()
            .unwrap();
        monitor.stop();
        monitor.start().unwrap();
        drop(monitor);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while named_monitor_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "monitor threads were left behind"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
