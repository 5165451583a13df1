//! The pressure monitor: samples and cache updates in, levels, plans and alerts out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::config::Config;
use crate::error::{ConfigError, InputError, ReportError};
use crate::event::{Alert, Event, LevelChange, LevelReason, ReliefCheck};
use crate::eviction::{
    Eviction, EvictionOutcome, EvictionPlan, EvictionReport, EvictionResult, target_bytes,
};
use crate::hysteresis::{next_level, next_level_by};
use crate::level::PressureLevel;
use crate::priority::plan_requests;
use crate::registry::{CacheEntry, CacheRegistry, TypeBreakdown};
use crate::sample::Sample;
use crate::trend::TrendEstimator;

/// Why the monitor wants to be woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeoutReason {
    /// The sample interval has passed since the last sample.
    SampleDue,
    /// An eviction was held back by the cooldown, which ends then.
    EvictionCooldownEnds,
    /// The faster interval is due: the level is warning or above, or usage is rising toward
    /// exhaustion.
    SampleDueUnderPressure,
}

/// When to feed the monitor its next sample, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeout {
    /// The time to wake at, in milliseconds on the caller's clock.
    pub at_ms: u64,
    /// What happens then.
    pub reason: TimeoutReason,
}

/// A snapshot of the monitor's state, for status pages and `status --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The current level.
    pub level: PressureLevel,
    /// The last sample's usage, if a sample was seen.
    pub usage: Option<f64>,
    /// The last sample accepted.
    pub sample: Option<Sample>,
    /// Bytes held by registered caches.
    pub cache_bytes: u64,
    /// Number of registered caches.
    pub cache_count: usize,
    /// Caches by type.
    pub caches_by_type: BTreeMap<String, TypeBreakdown>,
    /// Time of the last eviction plan, in milliseconds.
    pub last_eviction_ms: Option<u64>,
    /// The plan awaiting its report, if any.
    pub pending_plan: Option<u64>,
    /// Seconds until usage reaches the emergency threshold at the current trend; `None`
    /// while usage is not rising (or too few samples were seen).
    pub seconds_to_exhaustion: Option<f64>,
    /// The smoothed usage slope, in usage per second, once enough samples were seen.
    pub usage_slope_per_s: Option<f64>,
    /// Evictions whose freed bytes never showed up as lower usage (relief checks).
    pub unrelieved_evictions: u64,
    /// Bytes each cache said it freed in evictions that brought no relief.
    pub unrelieved_bytes_by_cache: BTreeMap<String, u64>,
}

/// An eviction whose relief is being watched for.
#[derive(Debug, Clone)]
struct ReliefWatch {
    t_ms: u64,
    used_bytes: u64,
    freed_bytes: u64,
    freed_by_cache: Vec<(SmolStr, u64)>,
}

/// A check whose eviction is under way: the plan handed out, and what earlier rounds of
/// the same check freed.
struct Pending {
    plan: EvictionPlan,
    sample: Sample,
    target_bytes: u64,
    results: Vec<EvictionResult>,
    /// What the cache of each of the plan's requests held when it was asked, in request
    /// order: the most it can be counted as freeing if it removed itself before the report
    /// came back.
    held_bytes: Vec<u64>,
}

impl Pending {
    fn remember_held(&mut self, caches: &CacheRegistry) {
        let held = |cache: &SmolStr| caches.get(cache).map_or(0, |c| c.bytes);
        self.held_bytes = self.plan.requests.iter().map(|r| held(&r.cache)).collect();
    }
}

/// The pressure state machine. It never reads a clock, touches the OS or spawns anything:
/// every input carries its time, every decision comes back from [`PressureMonitor::poll_event`].
///
/// # Driving it
/// 1. Feed an input: [`handle_sample`](Self::handle_sample), or a cache change
///    ([`register_cache`](Self::register_cache), [`set_cache_bytes`](Self::set_cache_bytes),
///    [`touch_cache`](Self::touch_cache), [`remove_cache`](Self::remove_cache)).
/// 2. Drain [`poll_event`](Self::poll_event) until it returns `None`. On
///    [`Event::EvictionPlanned`], run the requests and call
///    [`handle_eviction_report`](Self::handle_eviction_report), then drain again.
/// 3. Wait until [`poll_timeout`](Self::poll_timeout), take a sample, go to 1.
///
/// ```
/// use mempressure_core::{CacheEntry, Config, Event, PressureMonitor, Sample};
///
/// let mut monitor = PressureMonitor::new(Config::default()).unwrap();
/// monitor.register_cache(0, CacheEntry::new("frames", "frame_cache", 50 << 20, 0)).unwrap();
/// monitor.handle_sample(Sample::new(1_000, 1000, 26)).unwrap(); // 97.4% used
///
/// let mut freed = 0;
/// while let Some(event) = monitor.poll_event() {
///     match event {
///         Event::EvictionPlanned(plan) => {
///             // Ask the real caches here; this one frees what it is asked.
///             let report = mempressure_core::simulate_eviction(&plan);
///             monitor.handle_eviction_report(report).unwrap();
///         }
///         Event::Evict(eviction) => freed = eviction.freed_bytes,
///         _ => {}
///     }
/// }
/// assert!(freed > 0);
/// ```
pub struct PressureMonitor {
    config: Config,
    level: PressureLevel,
    now_ms: Option<u64>,
    last_sample: Option<Sample>,
    caches: CacheRegistry,
    last_eviction: Option<(u64, PressureLevel)>,
    held_by_cooldown: bool,
    last_alert_ms: [Option<u64>; 4],
    pending: Option<Pending>,
    events: VecDeque<Event>,
    next_plan_id: u64,
    /// The level usage gives on its own, with hysteresis (one of the components of `level`).
    threshold_level: PressureLevel,
    /// The level stall pressure gives on its own, with hysteresis.
    psi_level: PressureLevel,
    trend: TrendEstimator,
    /// `config.trend.horizon_ms` in seconds, worked out once: the config never changes.
    horizon_s: f64,
    seconds_to_exhaustion: Option<f64>,
    relief_watch: Option<ReliefWatch>,
    cooldown_waived: bool,
    unrelieved_evictions: u64,
    unrelieved_bytes_by_cache: BTreeMap<String, u64>,
}

impl PressureMonitor {
    /// A monitor at `normal` with no caches.
    ///
    /// # Errors
    /// The errors of [`Config::validate`].
    pub fn new(config: Config) -> Result<PressureMonitor, ConfigError> {
        config.validate()?;
        Ok(PressureMonitor {
            horizon_s: config.trend.horizon_ms as f64 / 1000.0,
            config,
            level: PressureLevel::Normal,
            now_ms: None,
            last_sample: None,
            caches: CacheRegistry::default(),
            last_eviction: None,
            held_by_cooldown: false,
            last_alert_ms: [None; 4],
            pending: None,
            events: VecDeque::new(),
            next_plan_id: 1,
            threshold_level: PressureLevel::Normal,
            psi_level: PressureLevel::Normal,
            trend: TrendEstimator::default(),
            seconds_to_exhaustion: None,
            relief_watch: None,
            cooldown_waived: false,
            unrelieved_evictions: 0,
            unrelieved_bytes_by_cache: BTreeMap::new(),
        })
    }

    /// The config in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current level.
    pub fn level(&self) -> PressureLevel {
        self.level
    }

    /// The registered caches.
    pub fn caches(&self) -> &CacheRegistry {
        &self.caches
    }

    /// Feeds one sample: updates the level, and plans an eviction or raises alerts if due.
    ///
    /// # Errors
    /// The sample is refused, and nothing changes, when [`Sample::validate`] fails, when its
    /// time is before an earlier input's ([`InputError::TimeWentBackwards`]), or while an
    /// eviction plan awaits its report ([`InputError::EvictionPending`]).
    pub fn handle_sample(&mut self, sample: Sample) -> Result<(), InputError> {
        sample.validate()?;
        self.check_time(sample.t_ms)?;
        if let Some(pending) = &self.pending {
            return Err(InputError::EvictionPending {
                plan_id: pending.plan.id,
            });
        }

        self.now_ms = Some(sample.t_ms);
        self.last_sample = Some(sample);
        // Worked out once and handed to the steps: the compiler does not share it.
        let usage = sample.usage();
        let (level, reason) = self.update_levels(&sample, usage);
        if level != self.level {
            let from = std::mem::replace(&mut self.level, level);
            self.events.push_back(Event::Level(LevelChange {
                t_ms: sample.t_ms,
                from,
                to: level,
                usage,
                reason,
            }));
        }
        self.check_relief(&sample);

        match self.plan_eviction(&sample, usage) {
            Some(plan) if self.config.auto_eviction => {
                self.events.push_back(Event::EvictionPlanned(plan.clone()));
                let target_bytes = plan.target_bytes;
                let mut pending = Pending {
                    plan,
                    sample,
                    target_bytes,
                    results: Vec::new(),
                    held_bytes: Vec::new(),
                };
                pending.remember_held(&self.caches);
                self.pending = Some(pending);
            }
            Some(plan) => {
                let requests = plan
                    .requests
                    .iter()
                    .map(|r| EvictionResult {
                        cache: r.cache.clone(),
                        bytes: r.bytes,
                        freed_bytes: 0,
                        error: None,
                    })
                    .collect();
                self.finish_eviction(&plan, requests, true);
                self.raise_alert(&sample, 0);
            }
            None => self.raise_alert(&sample, 0),
        }
        Ok(())
    }

    /// Records what the caches freed for the plan awaiting a report, then emits
    /// [`Event::Evict`] and any alert of that check.
    ///
    /// Each cache is counted as having freed what it reported, at most what it held; a cache
    /// that freed less than asked keeps the rest. A request with no outcome freed nothing.
    /// When the caches freed less than the target (one failed, panicked or held less than
    /// it said), the shortfall is asked of the next candidates not yet asked in this check:
    /// a new [`Event::EvictionPlanned`] follows, and the [`Event::Evict`] comes once no
    /// shortfall or no candidate is left, with every round's requests.
    ///
    /// # Errors
    /// [`ReportError`] when no plan awaits a report or the report names another plan.
    pub fn handle_eviction_report(&mut self, report: EvictionReport) -> Result<(), ReportError> {
        let Some(mut pending) = self.pending.take() else {
            return Err(ReportError::NoPendingPlan {
                plan_id: report.plan_id,
            });
        };
        if pending.plan.id != report.plan_id {
            let expected = pending.plan.id;
            self.pending = Some(pending);
            return Err(ReportError::WrongPlan {
                expected,
                got: report.plan_id,
            });
        }

        // Each request takes the first outcome of its cache, in report order; a plan asks
        // each cache once. Found through the outcomes' ids in sorted order, not by a scan
        // per request, which made a report of 300,000 outcomes take minutes.
        let ids: Vec<SmolStr> = report.outcomes.iter().map(|o| o.cache.clone()).collect();
        let mut outcomes: Vec<Option<EvictionOutcome>> =
            report.outcomes.into_iter().map(Some).collect();
        let mut by_cache: Vec<usize> = (0..ids.len()).collect();
        by_cache.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
        for (request, &held) in pending.plan.requests.iter().zip(&pending.held_bytes) {
            let first = by_cache.partition_point(|&i| ids[i] < request.cache);
            let outcome = by_cache
                .get(first)
                .filter(|&&i| ids[i] == request.cache)
                .and_then(|&i| outcomes[i].take());
            let (reported, error) = match outcome {
                Some(o) => (o.freed_bytes, o.error),
                None => (0, Some("no outcome reported".to_string())),
            };
            let freed_bytes = match self.caches.get(&request.cache) {
                Some(_) => self.caches.subtract(&request.cache, reported),
                // Removed while evicting: what it reported, at most what it held when asked.
                None => reported.min(held),
            };
            let cache = request.cache.clone();
            pending.results.push(EvictionResult {
                cache,
                bytes: request.bytes,
                freed_bytes,
                error,
            });
        }
        // Caches that freed without being asked (a callback evicting a neighbour) still count,
        // in id order, then report order.
        for outcome in by_cache.into_iter().filter_map(|i| outcomes[i].take()) {
            let freed_bytes = self.caches.subtract(&outcome.cache, outcome.freed_bytes);
            let (cache, error) = (outcome.cache, outcome.error);
            pending.results.push(EvictionResult {
                cache,
                bytes: 0,
                freed_bytes,
                error,
            });
        }

        let freed = freed_in_all(&pending.results);
        if let Some(next) = self.plan_shortfall(&pending, freed) {
            self.events.push_back(Event::EvictionPlanned(next.clone()));
            pending.plan = next;
            pending.remember_held(&self.caches);
            self.pending = Some(pending);
            return Ok(());
        }

        let mut plan = pending.plan;
        plan.target_bytes = pending.target_bytes;
        if self.config.relief.enabled {
            let freed_by_cache: Vec<(SmolStr, u64)> = pending
                .results
                .iter()
                .filter(|r| r.freed_bytes > 0)
                .map(|r| (r.cache.clone(), r.freed_bytes))
                .collect();
            let freed_bytes = freed_by_cache.iter().map(|(_, b)| b).sum();
            self.relief_watch = (freed_bytes > 0).then(|| ReliefWatch {
                t_ms: pending.sample.t_ms,
                used_bytes: pending.sample.used_bytes(),
                freed_bytes,
                freed_by_cache,
            });
        }
        let freed = self.finish_eviction(&plan, pending.results, false);
        self.raise_alert(&pending.sample, freed);
        Ok(())
    }

    /// The follow-up plan for what a check's eviction still lacks, from caches not yet asked.
    fn plan_shortfall(&mut self, pending: &Pending, freed: u64) -> Option<EvictionPlan> {
        let shortfall = pending.target_bytes.checked_sub(freed).filter(|&b| b > 0)?;
        let asked: BTreeSet<&str> = pending.results.iter().map(|r| r.cache.as_str()).collect();
        let t_ms = pending.sample.t_ms;
        let requests = plan_requests(&self.config.scoring, &self.caches, &asked, t_ms, shortfall);
        if requests.is_empty() {
            return None;
        }

        let id = self.next_plan_id;
        self.next_plan_id += 1;
        Some(EvictionPlan {
            id,
            target_bytes: shortfall,
            requests,
            ..pending.plan.clone()
        })
    }

    /// Registers a cache, or replaces the one with the same id.
    ///
    /// # Errors
    /// [`InputError::TimeWentBackwards`] when `t_ms` is before an earlier input's;
    /// [`InputError::CacheBytesOverflow`] when the caches would hold more than `u64::MAX`
    /// bytes in all.
    pub fn register_cache(&mut self, t_ms: u64, entry: CacheEntry) -> Result<(), InputError> {
        self.check_time(t_ms)?;
        self.check_cache_bytes(t_ms, &entry.id, entry.bytes)?;

        self.now_ms = Some(t_ms);
        self.caches.upsert(entry);
        Ok(())
    }

    /// Sets a registered cache's bytes; returns false when no cache has that id.
    ///
    /// # Errors
    /// As [`PressureMonitor::register_cache`].
    pub fn set_cache_bytes(&mut self, t_ms: u64, id: &str, bytes: u64) -> Result<bool, InputError> {
        self.check_time(t_ms)?;
        self.check_cache_bytes(t_ms, id, bytes)?;

        self.now_ms = Some(t_ms);
        Ok(self.caches.set_bytes(id, bytes))
    }

    /// Refuses a cache size that would take the caches past `u64::MAX` bytes in all.
    fn check_cache_bytes(&self, t_ms: u64, id: &str, bytes: u64) -> Result<(), InputError> {
        let others_bytes = self.caches.others_bytes(id);
        if others_bytes.checked_add(bytes).is_none() {
            return Err(InputError::CacheBytesOverflow {
                t_ms,
                id: id.to_string(),
                bytes,
                others_bytes,
            });
        }
        Ok(())
    }

    /// Counts one access to a cache at `t_ms`; returns false when no cache has that id.
    ///
    /// # Errors
    /// [`InputError::TimeWentBackwards`] when `t_ms` is before an earlier input's.
    pub fn touch_cache(&mut self, t_ms: u64, id: &str) -> Result<bool, InputError> {
        self.advance(t_ms)?;
        Ok(self.caches.touch(id, t_ms))
    }

    /// Removes a cache; returns it if it was registered.
    ///
    /// # Errors
    /// [`InputError::TimeWentBackwards`] when `t_ms` is before an earlier input's.
    pub fn remove_cache(&mut self, t_ms: u64, id: &str) -> Result<Option<CacheEntry>, InputError> {
        self.advance(t_ms)?;
        Ok(self.caches.remove(id))
    }

    /// The next output, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Drains every pending output: the events to pass on, and the eviction plan to run (if
    /// one was handed out) kept apart, for adapters that run plans themselves.
    pub fn drain_events(&mut self) -> (Vec<Event>, Option<EvictionPlan>) {
        let mut events = Vec::new();
        let mut plan = None;
        while let Some(event) = self.poll_event() {
            match event {
                Event::EvictionPlanned(p) => plan = Some(p),
                event => events.push(event),
            }
        }
        (events, plan)
    }

    /// When the monitor next wants a sample, and why; `None` while a plan awaits its report.
    pub fn poll_timeout(&self) -> Option<Timeout> {
        if self.pending.is_some() {
            return None;
        }
        let Some(last) = self.last_sample else {
            let at_ms = self.now_ms.unwrap_or(0);
            return Some(Timeout {
                at_ms,
                reason: TimeoutReason::SampleDue,
            });
        };

        // Faster while it matters: at warning or above, or while usage rises toward the
        // emergency threshold within four trend horizons.
        let rising = self
            .seconds_to_exhaustion
            .is_some_and(|s| s < 4.0 * self.horizon_s);
        let sample_due = if self.level >= PressureLevel::Warning || rising {
            Timeout {
                at_ms: last
                    .t_ms
                    .saturating_add(self.config.sampling.elevated_interval_ms),
                reason: TimeoutReason::SampleDueUnderPressure,
            }
        } else {
            Timeout {
                at_ms: last.t_ms.saturating_add(self.config.sample_interval_ms),
                reason: TimeoutReason::SampleDue,
            }
        };
        let cooldown_end = self
            .last_eviction
            .filter(|_| self.held_by_cooldown)
            .map(|(t, _)| Timeout {
                at_ms: t.saturating_add(self.config.hysteresis.eviction_cooldown_ms),
                reason: TimeoutReason::EvictionCooldownEnds,
            });
        match cooldown_end {
            Some(end) if end.at_ms <= sample_due.at_ms => Some(end),
            _ => Some(sample_due),
        }
    }

    /// A snapshot of the state.
    pub fn status(&self) -> Status {
        Status {
            level: self.level,
            usage: self.last_sample.map(|s| s.usage()),
            sample: self.last_sample,
            cache_bytes: self.caches.total_bytes(),
            cache_count: self.caches.len(),
            caches_by_type: self.caches.breakdown_by_type(),
            last_eviction_ms: self.last_eviction.map(|(t, _)| t),
            pending_plan: self.pending.as_ref().map(|p| p.plan.id),
            seconds_to_exhaustion: self.seconds_to_exhaustion,
            usage_slope_per_s: self.trend.slope_per_s(self.config.trend.smoothing_ms),
            unrelieved_evictions: self.unrelieved_evictions,
            unrelieved_bytes_by_cache: self.unrelieved_bytes_by_cache.clone(),
        }
    }

    /// Updates the three components of the level (usage with hysteresis, stall pressure
    /// with hysteresis, the trend) and returns the level they give, with its reason.
    fn update_levels(&mut self, sample: &Sample, usage: f64) -> (PressureLevel, LevelReason) {
        let config = &self.config;
        let band = config.hysteresis.exit_band;

        self.threshold_level = next_level(&config.thresholds, band, self.threshold_level, usage);
        let mut by_threshold = self.threshold_level;
        if sample.throttled {
            // The kernel is already throttling at memory.high: never normal.
            by_threshold = by_threshold.max(PressureLevel::Warning);
        }

        // Stall pressure, in percent, with the same band in percentage points.
        self.psi_level = match sample.psi_some_avg10 {
            Some(psi) => {
                let threshold = |level| config.psi.for_level(level);
                next_level_by(threshold, band * 100.0, self.psi_level, psi)
            }
            None => PressureLevel::Normal,
        };

        let smoothing = config.trend.smoothing_ms;
        self.trend.push(sample.t_ms, usage, smoothing);
        self.seconds_to_exhaustion =
            self.trend
                .seconds_to(config.thresholds.emergency, usage, smoothing);
        let predicted = self
            .seconds_to_exhaustion
            .is_some_and(|s| s < self.horizon_s);
        let by_trend = if config.trend.enabled && predicted {
            by_threshold.step_up().min(PressureLevel::Critical)
        } else {
            PressureLevel::Normal
        };

        let level = by_threshold.max(self.psi_level).max(by_trend);
        let reason = if level == by_threshold {
            LevelReason::Threshold
        } else if level == self.psi_level {
            LevelReason::Psi
        } else {
            LevelReason::Trend
        };
        (level, reason)
    }

    /// Watches for the usage drop an eviction should bring, and reports it either way.
    fn check_relief(&mut self, sample: &Sample) {
        let Some(watch) = &self.relief_watch else {
            return;
        };
        let drop = watch.used_bytes.saturating_sub(sample.used_bytes());
        // "A meaningful part" of the freed bytes: a quarter. Memory returned by a cache may
        // stay with the allocator or be refilled by others, so all of it rarely shows.
        let relieved = drop.saturating_mul(4) >= watch.freed_bytes;
        let expired = sample.t_ms.saturating_sub(watch.t_ms) >= self.config.relief.window_ms;
        if !relieved && !expired {
            return;
        }

        let watch = self.relief_watch.take().expect("checked above");
        if !relieved {
            // The next eviction at the same level is not held back: the last one did not help.
            self.cooldown_waived = true;
            self.unrelieved_evictions += 1;
            for (cache, bytes) in &watch.freed_by_cache {
                *self
                    .unrelieved_bytes_by_cache
                    .entry(cache.to_string())
                    .or_default() += bytes;
            }
        }
        self.events.push_back(Event::Relief(ReliefCheck {
            t_ms: sample.t_ms,
            eviction_t_ms: watch.t_ms,
            relieved,
            freed_bytes: watch.freed_bytes,
            usage_drop_bytes: drop,
        }));
    }

    fn check_time(&self, t_ms: u64) -> Result<(), InputError> {
        match self.now_ms {
            Some(previous_ms) if t_ms < previous_ms => Err(InputError::TimeWentBackwards {
                previous_ms,
                current_ms: t_ms,
            }),
            _ => Ok(()),
        }
    }

    fn advance(&mut self, t_ms: u64) -> Result<(), InputError> {
        self.check_time(t_ms)?;
        self.now_ms = Some(t_ms);
        Ok(())
    }

    /// The plan for this sample, if eviction is due and the caches hold anything.
    fn plan_eviction(&mut self, sample: &Sample, usage: f64) -> Option<EvictionPlan> {
        let level = self.level;
        let threshold = self.config.thresholds.for_level(level)?;
        let fraction = self.config.eviction_targets.for_level(level)?;
        let pressing = level >= PressureLevel::Critical
            || usage > threshold + self.config.hysteresis.enable_delta;
        if !pressing {
            self.held_by_cooldown = false;
            return None;
        }

        let cooldown = self.config.hysteresis.eviction_cooldown_ms;
        let allowed = match self.last_eviction {
            None => true,
            Some((last_t, last_level)) => {
                level > last_level
                    || sample.t_ms.saturating_sub(last_t) >= cooldown
                    || self.cooldown_waived
            }
        };
        self.held_by_cooldown = !allowed;
        let target = target_bytes(self.caches.total_bytes(), fraction);
        if !allowed || target == 0 {
            return None;
        }

        let plan = EvictionPlan {
            id: self.next_plan_id,
            t_ms: sample.t_ms,
            level,
            usage,
            target_bytes: target,
            requests: plan_requests(
                &self.config.scoring,
                &self.caches,
                &BTreeSet::new(),
                sample.t_ms,
                target,
            ),
        };
        self.next_plan_id += 1;
        self.last_eviction = Some((sample.t_ms, level));
        self.cooldown_waived = false;
        Some(plan)
    }

    fn finish_eviction(
        &mut self,
        plan: &EvictionPlan,
        requests: Vec<EvictionResult>,
        dry_run: bool,
    ) -> u64 {
        let freed_bytes = freed_in_all(&requests);
        self.events.push_back(Event::Evict(Eviction {
            plan_id: plan.id,
            t_ms: plan.t_ms,
            level: plan.level,
            usage: plan.usage,
            target_bytes: plan.target_bytes,
            requests,
            freed_bytes,
            dry_run,
        }));
        freed_bytes
    }

    fn raise_alert(&mut self, sample: &Sample, evicted_bytes: u64) {
        let level = self.level;
        if !self.config.alerts.levels.contains(&level) {
            return;
        }
        let last = &mut self.last_alert_ms[level.index()];
        if last.is_some_and(|t| sample.t_ms.saturating_sub(t) < self.config.alerts.cooldown_ms) {
            return;
        }

        *last = Some(sample.t_ms);
        self.events.push_back(Event::Alert(Alert {
            t_ms: sample.t_ms,
            level,
            usage: sample.usage(),
            total_bytes: sample.total_bytes,
            available_bytes: sample.available_bytes,
            process_bytes: sample.process_bytes,
            evicted_bytes,
        }));
    }
}

/// The bytes the results freed, at most `u64::MAX`: a cache removed while evicting and
/// another registered as large in its place can report more than the caches ever held at
/// once.
fn freed_in_all(results: &[EvictionResult]) -> u64 {
    results
        .iter()
        .fold(0u64, |sum, r| sum.saturating_add(r.freed_bytes))
}

/// The report of a plan whose caches each freed exactly what they were asked.
///
/// This is how replay treats caches; tests and simulations use it too.
pub fn simulate_eviction(plan: &EvictionPlan) -> EvictionReport {
    EvictionReport {
        plan_id: plan.id,
        outcomes: plan
            .requests
            .iter()
            .map(|r| crate::eviction::EvictionOutcome {
                cache: r.cache.clone(),
                freed_bytes: r.bytes,
                error: None,
            })
            .collect(),
    }
}
