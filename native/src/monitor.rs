//! The `Monitor` handle: samples on a background thread, drives the core, calls the caches.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mempressure_core::{
    CacheEntry, Config, ConfigError, Event, EvictionOutcome, EvictionPlan, EvictionReport,
    InputError, PressureLevel, PressureMonitor, Profile, Status, describe, format_bytes,
};
use serde::Serialize;

use crate::cache::Cache;
use crate::metrics::Metrics;
use crate::reading::{Reading, SampleError};
use crate::sampler::{Sampler, SystemSampler};
#[cfg(unix)]
use crate::stall_trigger::{self, StallTrigger, StallWaker};

/// The default bound above which a sample counts as slow and is logged.
pub const DEFAULT_SLOW_SAMPLE_BOUND: Duration = Duration::from_millis(100);

/// What subscribers receive.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Notification {
    /// A sample was taken and checked (one per sample).
    Sampled {
        /// The monitor's time, in milliseconds since it was built.
        t_ms: u64,
        /// The level after the sample.
        level: PressureLevel,
        /// The reading.
        reading: Reading,
        /// Seconds until usage reaches the emergency threshold at the current trend;
        /// `None` while usage is not rising.
        seconds_to_exhaustion: Option<f64>,
    },
    /// A decision of the core: level change, eviction, alert.
    Event {
        /// The event.
        event: Event,
    },
    /// Memory could not be read; no decision was made.
    SampleFailed {
        /// The monitor's time, in milliseconds since it was built.
        t_ms: u64,
        /// Why.
        error: String,
    },
}

/// Something the monitor could not do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The config is invalid.
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    /// Memory could not be read.
    #[error(transparent)]
    Sample(#[from] SampleError),
    /// The core refused an input.
    #[error("the pressure core refused the input: {0}")]
    Input(#[from] InputError),
    /// The background thread could not be started.
    #[error("cannot start the monitor thread: {0}")]
    Thread(String),
}

/// Whether the last sample could be taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// No sample was taken yet.
    Starting,
    /// The last sample was read.
    Ok,
    /// The last sample could not be read; the reason is given.
    Unavailable(String),
}

/// A snapshot of the monitor, for status pages and `status --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorStatus {
    /// Whether memory can be read.
    pub health: Health,
    /// The profile in use.
    pub profile: Profile,
    /// The core's state.
    pub core: Status,
    /// The last good reading.
    pub reading: Option<Reading>,
    /// Samples that could not be read, since the monitor was built.
    pub sample_failures: u64,
    /// Samples slower than the bound, since the monitor was built.
    pub slow_samples: u64,
    /// Cache evictions that failed or panicked, since the monitor was built.
    pub eviction_failures: u64,
    /// The latest events (level changes, evictions, alerts), oldest first.
    pub recent_events: Vec<Event>,
    /// The latest samples' usage and level, oldest first, for charts.
    pub history: Vec<HistoryPoint>,
    /// What wakes the monitor when memory stalls start: `armed on <file>`, `refused:
    /// <why>` (sampling at the interval only), or `off`.
    pub stall_trigger: String,
}

/// One sample's usage and level, as kept for charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistoryPoint {
    /// The monitor's time of the sample, in milliseconds since it was built.
    pub t_ms: u64,
    /// The sample's usage (0..1).
    pub usage: f64,
    /// The level after the sample.
    pub level: PressureLevel,
}

/// How many events [`MonitorStatus::recent_events`] keeps.
pub const RECENT_EVENTS: usize = 100;
/// How many samples [`MonitorStatus::history`] keeps.
pub const HISTORY_SAMPLES: usize = 600;

/// What one check did.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// The monitor's time of the sample, in milliseconds since it was built.
    pub t_ms: u64,
    /// The level after the check.
    pub level: PressureLevel,
    /// The reading the check used.
    pub reading: Reading,
    /// The decisions the check made.
    pub events: Vec<Event>,
}

type Callback = Arc<dyn Fn(&Notification) + Send + Sync>;

enum Subscriber {
    Channel(Sender<Notification>),
    Callback(Callback),
}

struct State {
    core: PressureMonitor,
    caches: BTreeMap<String, Arc<dyn Cache>>,
    last_reading: Option<Reading>,
    health: Health,
    sample_failures: u64,
    slow_samples: u64,
    eviction_failures: u64,
    recent_events: VecDeque<Event>,
    history: VecDeque<HistoryPoint>,
    /// The generation of the background thread that should run; a thread whose generation
    /// is older exits at its next chance.
    generation: u64,
    /// Background threads that have not exited yet.
    running_threads: usize,
    /// Set by the stall trigger: sample now rather than at the deadline.
    sample_requested: bool,
    /// What the stall trigger is doing (`armed on ...`, `refused: ...`, `off`).
    stall_trigger: String,
}

pub(crate) struct Shared {
    started: Instant,
    state: Mutex<State>,
    wake: Condvar,
    sampler: Mutex<Box<dyn Sampler>>,
    check: Mutex<()>,
    subscribers: Mutex<Vec<Subscriber>>,
    slow_sample_bound: Duration,
    pub(crate) metrics: Metrics,
}

/// Locks a mutex, taking the data back from a thread that panicked while holding it: the
/// monitor's state stays consistent between steps, so it is safe to go on.
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds a [`Monitor`].
///
/// ```no_run
/// use mempressure_native::{MonitorBuilder, Profile};
///
/// let monitor = MonitorBuilder::new().profile(Profile::Production).start().unwrap();
/// println!("{:?}", monitor.status().core.level);
/// ```
pub struct MonitorBuilder {
    config: Config,
    sampler: Option<Box<dyn Sampler>>,
    slow_sample_bound: Duration,
    #[cfg(unix)]
    stall_trigger: Option<StallTrigger>,
}

impl Default for MonitorBuilder {
    fn default() -> Self {
        MonitorBuilder::new()
    }
}

impl MonitorBuilder {
    /// A builder with the default profile and this machine's sampler.
    pub fn new() -> MonitorBuilder {
        MonitorBuilder {
            config: Config::default(),
            sampler: None,
            slow_sample_bound: DEFAULT_SLOW_SAMPLE_BOUND,
            #[cfg(unix)]
            stall_trigger: None,
        }
    }

    /// Uses a named profile's config.
    pub fn profile(mut self, profile: Profile) -> MonitorBuilder {
        self.config = Config::profile(profile);
        self
    }

    /// Uses this config.
    pub fn config(mut self, config: Config) -> MonitorBuilder {
        self.config = config;
        self
    }

    /// Reads memory from this sampler instead of the machine.
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> MonitorBuilder {
        self.sampler = Some(Box::new(sampler));
        self
    }

    /// What wakes the background thread to sample at once when memory stalls start. The
    /// default is a PSI trigger ([`StallTrigger::Psi`]) with this machine's sampler and
    /// none ([`StallTrigger::Off`]) with a sampler of your own.
    #[cfg(unix)]
    pub fn stall_trigger(mut self, trigger: StallTrigger) -> MonitorBuilder {
        self.stall_trigger = Some(trigger);
        self
    }

    /// Samples slower than this are logged and counted (default 100 ms).
    pub fn slow_sample_bound(mut self, bound: Duration) -> MonitorBuilder {
        self.slow_sample_bound = bound;
        self
    }

    /// Builds the monitor without starting its thread: call [`Monitor::check_now`] from
    /// your own loop, or [`Monitor::start`].
    ///
    /// # Errors
    /// [`MonitorError::Config`] for an invalid config.
    pub fn build(self) -> Result<Monitor, MonitorError> {
        let core = PressureMonitor::new(self.config)?;
        #[cfg(unix)]
        let stall_trigger = self.stall_trigger.unwrap_or(match self.sampler {
            Some(_) => StallTrigger::Off,
            None => StallTrigger::Psi,
        });
        let sampler = self
            .sampler
            .unwrap_or_else(|| Box::new(SystemSampler::new()));
        let shared = Shared {
            started: Instant::now(),
            state: Mutex::new(State {
                core,
                caches: BTreeMap::new(),
                last_reading: None,
                health: Health::Starting,
                sample_failures: 0,
                slow_samples: 0,
                eviction_failures: 0,
                recent_events: VecDeque::new(),
                history: VecDeque::new(),
                generation: 0,
                running_threads: 0,
                sample_requested: false,
                stall_trigger: "off".to_string(),
            }),
            wake: Condvar::new(),
            sampler: Mutex::new(sampler),
            check: Mutex::new(()),
            subscribers: Mutex::new(Vec::new()),
            slow_sample_bound: self.slow_sample_bound,
            metrics: Metrics::new(),
        };
        Ok(Monitor {
            shared: Arc::new(shared),
            thread: Mutex::new(None),
            #[cfg(unix)]
            stall_trigger: Mutex::new(Some(stall_trigger)),
            #[cfg(unix)]
            waker: Mutex::new(None),
        })
    }

    /// Builds the monitor and starts sampling on a background thread.
    ///
    /// # Errors
    /// [`MonitorError::Config`] for an invalid config, [`MonitorError::Thread`] when the
    /// thread cannot be spawned.
    pub fn start(self) -> Result<Monitor, MonitorError> {
        let monitor = self.build()?;
        monitor.start()?;
        Ok(monitor)
    }
}

/// A thread-safe memory-pressure monitor for this process.
///
/// Share it with `Arc<Monitor>`. Dropping it (or [`Monitor::stop`]) stops the background
/// thread and waits for it.
pub struct Monitor {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The trigger to arm at the next start (a PSI trigger is armed anew each time).
    #[cfg(unix)]
    stall_trigger: Mutex<Option<StallTrigger>>,
    #[cfg(unix)]
    waker: Mutex<Option<StallWaker>>,
}

impl Monitor {
    /// Starts the background thread, sampling at the config's interval. Does nothing if it
    /// is already running.
    ///
    /// # Errors
    /// [`MonitorError::Thread`] when the thread cannot be spawned.
    pub fn start(&self) -> Result<(), MonitorError> {
        let mut thread = lock(&self.thread);
        if thread.is_some() {
            return Ok(());
        }

        let generation = {
            let mut state = lock(&self.shared.state);
            state.generation += 1;
            state.running_threads += 1;
            state.generation
        };
        let shared = Arc::clone(&self.shared);
        let handle = thread::Builder::new()
            .name("mempressure-monitor".into())
            .spawn(move || run(&shared, generation))
            .map_err(|e| MonitorError::Thread(e.to_string()))?;
        *thread = Some(handle);
        drop(thread);
        self.arm_stall_trigger();
        Ok(())
    }

    #[cfg(unix)]
    fn arm_stall_trigger(&self) {
        let trigger = {
            let mut slot = lock(&self.stall_trigger);
            match slot.take() {
                // A PSI trigger is armed anew at every start; a descriptor only once.
                Some(StallTrigger::Psi) => {
                    *slot = Some(StallTrigger::Psi);
                    StallTrigger::Psi
                }
                Some(StallTrigger::PsiFile(path)) => {
                    *slot = Some(StallTrigger::PsiFile(path.clone()));
                    StallTrigger::PsiFile(path)
                }
                Some(other) => other,
                None => StallTrigger::Off,
            }
        };
        let weak = Arc::downgrade(&self.shared);
        let (waker, state) = stall_trigger::start(trigger, move || {
            if let Some(shared) = weak.upgrade() {
                shared.request_sample();
            }
        });
        lock(&self.shared.state).stall_trigger = state;
        *lock(&self.waker) = waker;
    }

    #[cfg(not(unix))]
    fn arm_stall_trigger(&self) {
        lock(&self.shared.state).stall_trigger = "off: not supported on this system".into();
    }

    /// Stops the background thread. It is told at once and exits after its current check;
    /// `stop` waits for that at most one sample interval (at least 100 ms). A thread still
    /// inside a slow cache callback then exits on its own when the callback returns.
    pub fn stop(&self) {
        #[cfg(unix)]
        drop(lock(&self.waker).take());
        let handle = lock(&self.thread).take();
        let Some(handle) = handle else { return };
        let interval = {
            let mut state = lock(&self.shared.state);
            state.generation += 1;
            state.core.config().sample_interval_ms
        };
        self.shared.wake.notify_all();

        // Called from a callback on the monitor's own thread: it exits after this check.
        if handle.thread().id() == thread::current().id() {
            return;
        }
        let deadline = Instant::now() + Duration::from_millis(interval.max(100));
        let mut state = lock(&self.shared.state);
        while state.running_threads > 0 {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!("the monitor thread is still in a check; it exits when that ends");
                return;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, deadline - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        drop(state);
        let _ = handle.join();
    }

    /// Samples now and runs one check: level, eviction, alerts.
    ///
    /// # Errors
    /// [`MonitorError::Sample`] when memory cannot be read (nothing is decided then), or
    /// [`MonitorError::Input`] if the core refuses the reading.
    pub fn check_now(&self) -> Result<CheckReport, MonitorError> {
        check(&self.shared)
    }

    /// Registers a cache under `id`, replacing any cache with the same id.
    pub fn register_cache(&self, id: &str, cache_type: &str, cache: Arc<dyn Cache>) {
        let bytes = cache_bytes(id, cache.as_ref()).unwrap_or(0);
        let mut state = lock(&self.shared.state);
        let t_ms = self.shared.now_ms();
        let entry = CacheEntry::new(id, cache_type, bytes, t_ms);
        state
            .core
            .register_cache(t_ms, entry)
            .expect("the monitor's clock never goes back");
        state.caches.insert(id.to_string(), cache);
    }

    /// A registered cache as the monitor knows it: type, bytes at the last check, access
    /// count and last access.
    pub fn cache(&self, id: &str) -> Option<CacheEntry> {
        lock(&self.shared.state).core.caches().get(id).cloned()
    }

    /// Counts one access to a cache, for its priority score.
    pub fn touch(&self, id: &str) -> bool {
        let mut state = lock(&self.shared.state);
        let t_ms = self.shared.now_ms();
        state
            .core
            .touch_cache(t_ms, id)
            .expect("the monitor's clock never goes back")
    }

    /// Removes a cache; returns false when no cache had that id.
    pub fn remove_cache(&self, id: &str) -> bool {
        let mut state = lock(&self.shared.state);
        let t_ms = self.shared.now_ms();
        state.caches.remove(id);
        let removed = state.core.remove_cache(t_ms, id);
        removed
            .expect("the monitor's clock never goes back")
            .is_some()
    }

    /// Receives every notification from now on on a channel.
    pub fn subscribe(&self) -> Receiver<Notification> {
        let (sender, receiver) = mpsc::channel();
        lock(&self.shared.subscribers).push(Subscriber::Channel(sender));
        receiver
    }

    /// Calls `callback` with every notification from now on, on the thread that checks.
    pub fn on_notification(&self, callback: impl Fn(&Notification) + Send + Sync + 'static) {
        lock(&self.shared.subscribers).push(Subscriber::Callback(Arc::new(callback)));
    }

    /// A snapshot of the monitor's state.
    pub fn status(&self) -> MonitorStatus {
        self.shared.status()
    }

    /// The monitor's Prometheus metrics (a handle: clones share the values). Register them
    /// into your own registry with [`Metrics::register`], or read [`Metrics::encode`].
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics.clone()
    }

    /// Serves the status page and `/status` of this monitor over HTTP on `addr` (such as
    /// `127.0.0.1:7878`; port 0 picks a free one), from a background thread, until the
    /// returned server is dropped. `www` is the built page's folder (`www/dist`); without
    /// it only `/status` is served.
    ///
    /// # Errors
    /// [`crate::ServeError`] when the address cannot be bound.
    pub fn serve(
        &self,
        addr: &str,
        www: Option<std::path::PathBuf>,
    ) -> Result<crate::StatusServer, crate::ServeError> {
        crate::server::StatusServer::start(Arc::clone(&self.shared), addr, www)
    }

    /// The config in use.
    pub fn config(&self) -> Config {
        lock(&self.shared.state).core.config().clone()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    pub(crate) fn status(&self) -> MonitorStatus {
        let state = lock(&self.state);
        MonitorStatus {
            health: state.health.clone(),
            profile: state.core.config().profile,
            core: state.core.status(),
            reading: state.last_reading.clone(),
            sample_failures: state.sample_failures,
            slow_samples: state.slow_samples,
            eviction_failures: state.eviction_failures,
            recent_events: state.recent_events.iter().cloned().collect(),
            history: state.history.iter().copied().collect(),
            stall_trigger: state.stall_trigger.clone(),
        }
    }

    /// Wakes the background thread to sample now.
    pub(crate) fn request_sample(&self) {
        lock(&self.state).sample_requested = true;
        self.wake.notify_all();
    }

    pub(crate) fn config(&self) -> Config {
        lock(&self.state).core.config().clone()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn notify(&self, notifications: &[Notification]) {
        if notifications.is_empty() {
            return;
        }
        let callbacks: Vec<Callback> = {
            let mut subscribers = lock(&self.subscribers);
            subscribers.retain(|s| match s {
                Subscriber::Channel(sender) => {
                    notifications.iter().all(|n| sender.send(n.clone()).is_ok())
                }
                Subscriber::Callback(_) => true,
            });
            subscribers
                .iter()
                .filter_map(|s| match s {
                    Subscriber::Callback(c) => Some(Arc::clone(c)),
                    Subscriber::Channel(_) => None,
                })
                .collect()
        };

        for callback in callbacks {
            for notification in notifications {
                let called = catch_unwind(AssertUnwindSafe(|| callback(notification)));
                if called.is_err() {
                    tracing::error!("a notification callback panicked; it is still subscribed");
                }
            }
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

fn cache_bytes(id: &str, cache: &dyn Cache) -> Option<u64> {
    match catch_unwind(AssertUnwindSafe(|| cache.bytes())) {
        Ok(bytes) => Some(bytes),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::warn!(cache = id, "cache panicked reporting its size: {message}");
            None
        }
    }
}

fn run(shared: &Shared, generation: u64) {
    tracing::debug!("monitor thread started");
    loop {
        lock(&shared.state).sample_requested = false;
        let sampled_at = Instant::now();
        let result = check(shared);

        let mut state = lock(&shared.state);
        let interval = Duration::from_millis(state.core.config().sample_interval_ms);
        // After a failed sample the core's deadline is stale: wait one interval from now.
        let deadline = match (&result, state.core.poll_timeout()) {
            (Ok(_), Some(timeout)) => shared.started + Duration::from_millis(timeout.at_ms),
            _ => sampled_at + interval,
        };
        while state.generation == generation {
            let now = Instant::now();
            if now >= deadline || state.sample_requested {
                break;
            }
            state = shared
                .wake
                .wait_timeout(state, deadline - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        if state.generation != generation {
            state.running_threads -= 1;
            shared.wake.notify_all();
            break;
        }
    }
    tracing::debug!("monitor thread stopped");
}

fn check(shared: &Shared) -> Result<CheckReport, MonitorError> {
    let _one_check_at_a_time = lock(&shared.check);

    let read = {
        let mut sampler = lock(&shared.sampler);
        catch_unwind(AssertUnwindSafe(|| sampler.read())).unwrap_or_else(|payload| {
            Err(SampleError::Unavailable(format!(
                "the sampler panicked: {}",
                panic_message(payload.as_ref())
            )))
        })
    };
    let reading = match read {
        Ok(reading) => reading,
        Err(error) => return Err(sample_failed(shared, error)),
    };

    // Ask each cache its size outside the lock: a cache may call back into the monitor.
    let caches: Vec<(String, Arc<dyn Cache>)> = lock(&shared.state)
        .caches
        .iter()
        .map(|(id, c)| (id.clone(), Arc::clone(c)))
        .collect();
    let sizes: Vec<(String, Option<u64>)> = caches
        .iter()
        .map(|(id, cache)| (id.clone(), cache_bytes(id, cache.as_ref())))
        .collect();

    let (t_ms, mut events, plan) = {
        let mut state = lock(&shared.state);
        let t_ms = shared.now_ms();
        for (id, bytes) in sizes {
            if let Some(bytes) = bytes {
                state.core.set_cache_bytes(t_ms, &id, bytes)?;
            }
        }
        if reading.duration > shared.slow_sample_bound {
            state.slow_samples += 1;
            shared.metrics.record_slow_sample();
            tracing::warn!(
                "sampling took {:?}, above the {:?} bound",
                reading.duration,
                shared.slow_sample_bound
            );
        }

        if let Err(refused) = state.core.handle_sample(reading.to_sample(t_ms)) {
            // An impossible reading (total 0, available above total) from a sampler: the
            // same as an unreadable one, never a decision.
            drop(state);
            return Err(sample_failed(
                shared,
                SampleError::Invalid(refused.to_string()),
            ));
        }
        state.health = Health::Ok;
        state.last_reading = Some(reading.clone());
        let (events, plan) = state.core.drain_events();
        (t_ms, events, plan)
    };

    // A plan may be followed by another for what failing caches did not free.
    let mut plan = plan;
    while let Some(current) = plan.take() {
        let outcomes = run_plan(shared, &current);
        let mut state = lock(&shared.state);
        state.eviction_failures += outcomes.iter().filter(|o| o.error.is_some()).count() as u64;
        let report = EvictionReport {
            plan_id: current.id,
            outcomes,
        };
        state
            .core
            .handle_eviction_report(report)
            .expect("the plan awaits this very report");
        let (more, next) = state.core.drain_events();
        events.extend(more);
        plan = next;
    }

    let (level, seconds_to_exhaustion) = {
        let mut state = lock(&shared.state);
        let level = state.core.level();
        let seconds_to_exhaustion = state.core.status().seconds_to_exhaustion;
        remember(
            &mut state.history,
            HistoryPoint {
                t_ms,
                usage: reading.usage(),
                level,
            },
            HISTORY_SAMPLES,
        );
        for event in &events {
            remember(&mut state.recent_events, event.clone(), RECENT_EVENTS);
        }
        let caches = state.core.caches();
        shared
            .metrics
            .record_sample(&reading, level, &caches.breakdown_by_type());
        shared
            .metrics
            .record_events(&events, |id| caches.get(id).map(|c| c.cache_type.clone()));
        shared.metrics.record_trend(seconds_to_exhaustion);
        (level, seconds_to_exhaustion)
    };
    for event in &events {
        log_event(event);
    }
    let mut notifications = vec![Notification::Sampled {
        t_ms,
        level,
        reading: reading.clone(),
        seconds_to_exhaustion,
    }];
    notifications.extend(
        events
            .iter()
            .cloned()
            .map(|event| Notification::Event { event }),
    );
    shared.notify(&notifications);
    Ok(CheckReport {
        t_ms,
        level,
        reading,
        events,
    })
}

fn remember<T>(queue: &mut VecDeque<T>, item: T, capacity: usize) {
    if queue.len() == capacity {
        queue.pop_front();
    }
    queue.push_back(item);
}

fn sample_failed(shared: &Shared, error: SampleError) -> MonitorError {
    let t_ms = {
        let mut state = lock(&shared.state);
        state.sample_failures += 1;
        shared.metrics.record_failure();
        state.health = Health::Unavailable(error.to_string());
        shared.now_ms()
    };
    tracing::warn!("{error}; no decision made");
    shared.notify(&[Notification::SampleFailed {
        t_ms,
        error: error.to_string(),
    }]);
    MonitorError::Sample(error)
}

/// Asks each cache of the plan, outside the lock; a failure or panic in one is recorded and
/// the others are still asked.
fn run_plan(shared: &Shared, plan: &EvictionPlan) -> Vec<EvictionOutcome> {
    let caches = lock(&shared.state).caches.clone();
    plan.requests
        .iter()
        .map(|request| {
            let Some(cache) = caches.get(request.cache.as_str()) else {
                let error = Some("the cache was removed before it could be asked".to_string());
                return EvictionOutcome {
                    cache: request.cache.clone(),
                    freed_bytes: 0,
                    error,
                };
            };
            let asked = catch_unwind(AssertUnwindSafe(|| cache.evict(request.bytes)));
            let (freed_bytes, error) = match asked {
                Ok(Ok(freed)) => (freed, None),
                Ok(Err(e)) => (0, Some(format!("eviction failed: {e}"))),
                Err(payload) => (
                    0,
                    Some(format!(
                        "eviction panicked: {}",
                        panic_message(payload.as_ref())
                    )),
                ),
            };
            if let Some(error) = &error {
                tracing::warn!(cache = %request.cache, "{error}");
            }
            EvictionOutcome {
                cache: request.cache.clone(),
                freed_bytes,
                error,
            }
        })
        .collect()
}

fn log_event(event: &Event) {
    match event {
        Event::Level(change) => tracing::info!(
            from = %change.from,
            to = %change.to,
            usage = change.usage,
            "memory pressure level changed"
        ),
        Event::Evict(eviction) => tracing::info!(
            level = %eviction.level,
            target = %format_bytes(eviction.target_bytes),
            freed = %format_bytes(eviction.freed_bytes),
            dry_run = eviction.dry_run,
            "evicted from caches"
        ),
        Event::Alert(_) => tracing::warn!("{}", describe(event)),
        _ => tracing::debug!("{}", describe(event)),
    }
}
