//! The `Monitor` handle with a scripted sampler and real cache objects.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mempressure_native::{
    Cache, Config, Event, EvictError, Health, MonitorBuilder, MonitorError, Notification,
    PressureLevel, Reading, SampleError, Sampler,
};

const MIB: u64 = 1024 * 1024;
const TOTAL: u64 = 1_000_000_000;

/// Hands out scripted readings, then repeats the last one.
struct Scripted(Arc<Mutex<VecDeque<Result<f64, SampleError>>>>);

impl Scripted {
    fn new(usages: impl IntoIterator<Item = Result<f64, SampleError>>) -> Scripted {
        Scripted(Arc::new(Mutex::new(usages.into_iter().collect())))
    }
}

fn reading(usage: f64) -> Reading {
    let available = TOTAL - (TOTAL as f64 * usage) as u64;
    Reading {
        process_bytes: Some(42),
        ..Reading::host(TOTAL, available)
    }
}

impl Sampler for Scripted {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let mut script = self.0.lock().unwrap();
        let next = if script.len() > 1 {
            script.pop_front()
        } else {
            script.front().cloned()
        };
        next.expect("a script with at least one step").map(reading)
    }
}

/// A cache of `bytes` that frees what it is asked and counts its calls.
struct Counted {
    bytes: AtomicU64,
    calls: AtomicU64,
}

impl Counted {
    fn new(bytes: u64) -> Arc<Counted> {
        Arc::new(Counted {
            bytes: AtomicU64::new(bytes),
            calls: AtomicU64::new(0),
        })
    }
}

impl Cache for Counted {
    fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::SeqCst)
    }

    fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let held = self.bytes.load(Ordering::SeqCst);
        let freed = bytes.min(held);
        self.bytes.store(held - freed, Ordering::SeqCst);
        Ok(freed)
    }
}

struct Panicking;

impl Cache for Panicking {
    fn bytes(&self) -> u64 {
        500 * MIB
    }

    fn evict(&self, _: u64) -> Result<u64, EvictError> {
        panic!("cache exploded")
    }
}

struct Failing;

impl Cache for Failing {
    fn bytes(&self) -> u64 {
        400 * MIB
    }

    fn evict(&self, _: u64) -> Result<u64, EvictError> {
        Err("disk full".into())
    }
}

fn evictions(events: &[Event]) -> Vec<&mempressure_native::core::Eviction> {
    events
        .iter()
        .filter_map(|e| {
            if let Event::Evict(e) = e {
                Some(e)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn check_now_levels_and_evicts_from_the_real_caches() {
    let sampler = Scripted::new([Ok(0.5), Ok(0.97)]);
    let monitor = MonitorBuilder::new().sampler(sampler).build().unwrap();
    let frames = Counted::new(100 * MIB);
    monitor.register_cache("frames", "frame_cache", frames.clone());

    let calm = monitor.check_now().unwrap();
    assert_eq!(calm.level, PressureLevel::Normal);
    assert!(calm.events.is_empty());

    let pressed = monitor.check_now().unwrap();
    assert_eq!(pressed.level, PressureLevel::Emergency);
    let eviction = evictions(&pressed.events)[0];
    assert_eq!(eviction.freed_bytes, 50 * MIB);
    assert_eq!(frames.bytes(), 50 * MIB);
    assert_eq!(frames.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panicking_or_failing_cache_does_not_stop_the_others() {
    let monitor = MonitorBuilder::new()
        .sampler(Scripted::new([Ok(0.97)]))
        .build()
        .unwrap();
    let frames = Counted::new(100 * MIB);
    // validation_cache has the highest type priority, so these two are asked first.
    monitor.register_cache("boom", "validation_cache", Arc::new(Panicking));
    monitor.register_cache("full", "validation_cache", Arc::new(Failing));
    monitor.register_cache("frames", "frame_cache", frames.clone());

    let report = monitor.check_now().unwrap();
    let eviction = evictions(&report.events)[0];
    // 50% of 1000 MiB: the two failing caches hold 900 MiB and are asked for 500 MiB between them.
    let errors: Vec<_> = eviction
        .requests
        .iter()
        .filter_map(|r| r.error.as_deref())
        .collect();
    assert_eq!(errors.len(), 2, "{eviction:?}");
    assert!(errors.iter().any(|e| e.contains("cache exploded")));
    assert!(errors.iter().any(|e| e.contains("disk full")));
    assert_eq!(monitor.status().eviction_failures, 2);
    // What the two did not free was asked of the next candidate in the same check.
    assert_eq!(frames.calls.load(Ordering::SeqCst), 1);
    assert_eq!(eviction.freed_bytes, 100 * MIB);
    assert_eq!(eviction.target_bytes, 500 * MIB);

    // The monitor still works: the next check runs.
    assert!(monitor.check_now().is_ok());
}

#[test]
fn unreadable_memory_is_reported_and_decides_nothing() {
    let unavailable = SampleError::Unavailable("no /proc/meminfo".into());
    let sampler = Scripted::new([Err(unavailable.clone()), Ok(0.97)]);
    let monitor = MonitorBuilder::new().sampler(sampler).build().unwrap();
    let frames = Counted::new(100 * MIB);
    monitor.register_cache("frames", "frame_cache", frames.clone());

    assert_eq!(
        monitor.check_now().unwrap_err(),
        MonitorError::Sample(unavailable)
    );
    let status = monitor.status();
    assert!(matches!(status.health, Health::Unavailable(ref m) if m.contains("no /proc/meminfo")));
    assert_eq!(status.sample_failures, 1);
    assert_eq!(status.core.level, PressureLevel::Normal);
    assert_eq!(frames.calls.load(Ordering::SeqCst), 0);

    // Readings come back: the monitor recovers by itself.
    assert_eq!(monitor.check_now().unwrap().level, PressureLevel::Emergency);
    assert_eq!(monitor.status().health, Health::Ok);
}

/// A sampler whose figures cannot be right (available above total).
struct Impossible;

impl Sampler for Impossible {
    fn read(&mut self) -> Result<Reading, SampleError> {
        Ok(Reading {
            available_bytes: TOTAL + 1,
            ..reading(0.5)
        })
    }
}

#[test]
fn an_impossible_reading_is_a_sampling_failure() {
    let monitor = MonitorBuilder::new().sampler(Impossible).build().unwrap();
    let notifications = monitor.subscribe();
    let error = monitor.check_now().unwrap_err();
    let MonitorError::Sample(SampleError::Invalid(message)) = error else {
        panic!("expected an invalid reading, got {error:?}")
    };
    assert!(message.contains("above total"), "{message}");
    let status = monitor.status();
    assert!(matches!(status.health, Health::Unavailable(_)));
    assert_eq!(status.sample_failures, 1);
    assert!(matches!(
        notifications.try_recv(),
        Ok(Notification::SampleFailed { .. })
    ));
}

#[test]
fn dry_run_asks_no_cache() {
    let config = Config {
        auto_eviction: false,
        ..Config::default()
    };
    let monitor = MonitorBuilder::new()
        .config(config)
        .sampler(Scripted::new([Ok(0.97)]))
        .build()
        .unwrap();
    let frames = Counted::new(100 * MIB);
    monitor.register_cache("frames", "frame_cache", frames.clone());

    let report = monitor.check_now().unwrap();
    let eviction = evictions(&report.events)[0];
    assert!(eviction.dry_run);
    assert_eq!(eviction.target_bytes, 50 * MIB);
    assert_eq!(frames.calls.load(Ordering::SeqCst), 0);
    assert_eq!(frames.bytes(), 100 * MIB);
}

#[test]
fn a_cache_may_call_back_into_the_monitor_while_evicting() {
    struct Reentrant(Arc<Mutex<Option<Arc<mempressure_native::Monitor>>>>);
    impl Cache for Reentrant {
        fn bytes(&self) -> u64 {
            10 * MIB
        }
        fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
            let monitor = self.0.lock().unwrap().clone().unwrap();
            monitor.remove_cache("self");
            monitor.register_cache("other", "frame_cache", Counted::new(MIB));
            monitor.touch("other");
            Ok(bytes)
        }
    }

    let slot = Arc::new(Mutex::new(None));
    let monitor = Arc::new(
        MonitorBuilder::new()
            .sampler(Scripted::new([Ok(0.97)]))
            .build()
            .unwrap(),
    );
    *slot.lock().unwrap() = Some(Arc::clone(&monitor));
    monitor.register_cache(
        "self",
        "frame_cache",
        Arc::new(Reentrant(Arc::clone(&slot))),
    );

    monitor.check_now().unwrap();
    let status = monitor.status();
    assert_eq!(status.core.cache_count, 1);
    assert!(status.core.caches_by_type.contains_key("frame_cache"));
    slot.lock().unwrap().take();
}

#[test]
fn the_background_thread_samples_notifies_and_stops() {
    let config = {
        let mut config = Config::default();
        config.set_sample_interval_ms(20);
        config
    };
    let monitor = MonitorBuilder::new()
        .config(config)
        .sampler(Scripted::new([Ok(0.5), Ok(0.75), Ok(0.75)]))
        .build()
        .unwrap();
    let notifications = monitor.subscribe();
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    monitor.on_notification(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    monitor.start().unwrap();

    // Generous bound: this guards against a hang, it does not measure speed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut level_change = None;
    while level_change.is_none() && Instant::now() < deadline {
        if let Ok(Notification::Event {
            event: Event::Level(change),
        }) = notifications.recv_timeout(Duration::from_millis(100))
        {
            level_change = Some(change);
        }
    }
    assert_eq!(level_change.unwrap().to, PressureLevel::Warning);

    monitor.stop();
    assert!(seen.load(Ordering::SeqCst) >= 3);
    // Stopped: the channel drains and no new sample arrives.
    while notifications.try_recv().is_ok() {}
    std::thread::sleep(Duration::from_millis(100));
    assert!(notifications.try_recv().is_err());
}

#[test]
fn dropping_the_monitor_stops_its_thread() {
    let config = {
        let mut config = Config::default();
        config.set_sample_interval_ms(10);
        config
    };
    let sampler = Scripted::new([Ok(0.1)]);
    let monitor = MonitorBuilder::new()
        .config(config)
        .sampler(sampler)
        .start()
        .unwrap();
    let notifications = monitor.subscribe();
    notifications.recv_timeout(Duration::from_secs(20)).unwrap();
    drop(monitor);
    // The sender lived in the monitor: once its thread is gone the channel disconnects.
    while notifications.recv_timeout(Duration::from_secs(20)).is_ok() {}
}

#[test]
fn the_real_machine_can_be_read() {
    let monitor = MonitorBuilder::new().build().unwrap();
    let report = monitor.check_now().unwrap();
    let reading = &report.reading;
    assert!(reading.total_bytes > 0);
    assert!(reading.available_bytes <= reading.total_bytes);
    assert!(reading.total_bytes <= reading.host_total_bytes);
    assert!(reading.process_bytes.is_some_and(|b| b > 0));
}
