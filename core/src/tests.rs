//! Scenario tests of the monitor, each a timeline of samples on a virtual clock.

use crate::*;

const MIB: u64 = 1024 * 1024;

/// A monitor driven like an adapter would: every plan is run by caches that free what they
/// are asked, and every event is collected.
struct Harness {
    monitor: PressureMonitor,
    events: Vec<Event>,
}

impl Harness {
    fn new(config: Config) -> Harness {
        Harness {
            monitor: PressureMonitor::new(config).unwrap(),
            events: Vec::new(),
        }
    }

    /// Feeds a sample of `usage` of a 1,000,000-byte total at `t_ms` (exact to 6 decimals).
    fn sample(&mut self, t_ms: u64, usage: f64) -> Vec<Event> {
        let total = 1_000_000;
        let available = total - (total as f64 * usage).round() as u64;
        self.monitor
            .handle_sample(Sample::new(t_ms, total, available))
            .unwrap();
        self.drain()
    }

    fn drain(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(event) = self.monitor.poll_event() {
            if let Event::EvictionPlanned(plan) = &event {
                self.monitor
                    .handle_eviction_report(simulate_eviction(plan))
                    .unwrap();
            }
            out.push(event);
        }
        self.events.extend(out.clone());
        out
    }

    fn cache(&mut self, id: &str, bytes: u64) {
        self.monitor
            .register_cache(0, CacheEntry::new(id, "frame_cache", bytes, 0))
            .unwrap();
    }
}

fn evictions(events: &[Event]) -> Vec<&Eviction> {
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

fn alerts(events: &[Event]) -> Vec<&Alert> {
    events
        .iter()
        .filter_map(|e| {
            if let Event::Alert(a) = e {
                Some(a)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn usage_075_is_warning_with_target_fraction_015() {
    let config = Config::default();
    let level = hysteresis::entry_level(&config.thresholds, 0.75);
    assert_eq!(level, PressureLevel::Warning);
    assert_eq!(config.eviction_targets.for_level(level), Some(0.15));

    let mut h = Harness::new(config);
    let events = h.sample(0, 0.75);
    assert!(matches!(&events[0], Event::Level(c) if c.to == PressureLevel::Warning));
}

#[test]
fn a_100_mib_cache_asked_for_half_frees_50_mib_and_keeps_50() {
    let mut config = Config::default();
    config.eviction_targets.emergency = 0.5;
    let mut h = Harness::new(config);
    h.cache("frames", 100 * MIB);

    let events = h.sample(0, 0.97);
    let evicted = evictions(&events);
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0].target_bytes, 50 * MIB);
    assert_eq!(evicted[0].freed_bytes, 50 * MIB);
    assert_eq!(h.monitor.caches().get("frames").unwrap().bytes, 50 * MIB);
}

#[test]
fn cooldown_refuses_then_allows_eviction() {
    // Critical moved to 0.90 so that 0.80 and 0.82 are both warning, "against 0.70".
    let mut config = Config::default();
    config.thresholds.critical = 0.90;
    config.hysteresis.enable_delta = 0.05;
    config.hysteresis.eviction_cooldown_ms = 10_000;
    let mut h = Harness::new(config);
    h.cache("frames", 100 * MIB);

    // t = 0 s: 0.80 is 0.10 above warning's 0.70 (more than the delta): evict.
    assert_eq!(evictions(&h.sample(0, 0.80)).len(), 1);
    // t = 5 s: 0.82, same level, inside the 10 s cooldown: refused. At warning the next
    // sample is due in 1 s (the interval under pressure).
    assert_eq!(evictions(&h.sample(5_000, 0.82)).len(), 0);
    let under_pressure = TimeoutReason::SampleDueUnderPressure;
    let due = Timeout {
        at_ms: 6_000,
        reason: under_pressure,
    };
    assert_eq!(h.monitor.poll_timeout(), Some(due));
    // t = 9.5 s: still refused; the cooldown ends before the next sample would be due.
    assert_eq!(evictions(&h.sample(9_500, 0.82)).len(), 0);
    let ends = Timeout {
        at_ms: 10_000,
        reason: TimeoutReason::EvictionCooldownEnds,
    };
    assert_eq!(h.monitor.poll_timeout(), Some(ends));
    // t = 15 s: the cooldown has passed: allowed again.
    assert_eq!(evictions(&h.sample(15_000, 0.82)).len(), 1);
}

#[test]
fn cooldown_holds_at_critical_with_the_default_thresholds() {
    let mut h = Harness::new(Config::default());
    h.cache("frames", 100 * MIB);
    assert_eq!(
        evictions(&h.sample(0, 0.80))[0].level,
        PressureLevel::Critical
    );
    assert_eq!(evictions(&h.sample(29_999, 0.82)).len(), 0);
    assert_eq!(evictions(&h.sample(30_000, 0.82)).len(), 1);
}

#[test]
fn warning_evicts_only_beyond_the_enable_delta() {
    let mut h = Harness::new(Config::default());
    h.cache("frames", 100 * MIB);
    assert_eq!(evictions(&h.sample(0, 0.74)).len(), 0);
    assert_eq!(evictions(&h.sample(1_000, 0.76)).len(), 1);
}

#[test]
fn escalation_evicts_at_once_despite_the_cooldown() {
    let mut h = Harness::new(Config::default());
    h.cache("frames", 100 * MIB);
    assert_eq!(evictions(&h.sample(0, 0.76)).len(), 1);
    let escalated = h.sample(1_000, 0.85);
    assert_eq!(evictions(&escalated)[0].level, PressureLevel::Critical);
    // Back at the same level within the cooldown: no more.
    assert_eq!(evictions(&h.sample(2_000, 0.86)).len(), 0);
}

#[test]
fn emergency_with_a_50_mib_cache_evicts_in_one_check() {
    let mut h = Harness::new(Config::default());
    h.cache("frames", 50 * MIB);
    let events = h.sample(0, 0.974);
    assert_eq!(h.monitor.level(), PressureLevel::Emergency);
    assert!(evictions(&events)[0].freed_bytes > 0);
}

#[test]
fn the_plan_follows_the_score_and_stops_at_the_target() {
    let mut h = Harness::new(Config::default());
    h.monitor
        .register_cache(0, CacheEntry::new("frames", "frame_cache", 60 * MIB, 0))
        .unwrap();
    h.monitor
        .register_cache(
            0,
            CacheEntry::new("checks", "validation_cache", 60 * MIB, 0),
        )
        .unwrap();
    let events = h.sample(0, 0.85); // critical: 30% of 120 MiB = 36 MiB
    let eviction = evictions(&events)[0];
    assert_eq!(eviction.target_bytes, 36 * MIB);
    assert_eq!(eviction.requests.len(), 1);
    assert_eq!(eviction.requests[0].cache, "checks");
}

#[test]
fn a_cache_that_frees_less_keeps_what_it_did_not_free() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    monitor
        .register_cache(0, CacheEntry::new("a", "t", 100 * MIB, 0))
        .unwrap();
    monitor.handle_sample(Sample::new(0, 100, 1)).unwrap();
    let plan = loop {
        if let Some(Event::EvictionPlanned(plan)) = monitor.poll_event() {
            break plan;
        }
    };
    assert_eq!(
        monitor.handle_sample(Sample::new(1, 100, 1)),
        Err(InputError::EvictionPending { plan_id: plan.id })
    );

    let report = EvictionReport {
        plan_id: plan.id,
        outcomes: vec![EvictionOutcome {
            cache: "a".into(),
            freed_bytes: 10 * MIB,
            error: None,
        }],
    };
    monitor.handle_eviction_report(report).unwrap();
    assert_eq!(monitor.caches().get("a").unwrap().bytes, 90 * MIB);
    let Some(Event::Evict(eviction)) = monitor.poll_event() else {
        panic!("no evict event")
    };
    assert_eq!(eviction.freed_bytes, 10 * MIB);
}

#[test]
fn alerts_carry_the_sample_and_the_evicted_bytes_once_per_cooldown() {
    let mut h = Harness::new(Config::default());
    h.cache("frames", 100 * MIB);
    let first = h.sample(0, 0.85);
    let alert = alerts(&first)[0];
    assert_eq!(alert.level, PressureLevel::Critical);
    assert_eq!(alert.evicted_bytes, 30 * MIB);
    assert_eq!(alert.total_bytes, 1_000_000);

    assert!(alerts(&h.sample(100_000, 0.85)).is_empty());
    assert_eq!(alerts(&h.sample(300_000, 0.85)).len(), 1);
    // Escalating is a different level: alerted at once.
    assert_eq!(
        alerts(&h.sample(300_001, 0.96))[0].level,
        PressureLevel::Emergency
    );
    // Warning is not an alert level by default.
    h.sample(600_000, 0.72);
    assert_eq!(h.monitor.level(), PressureLevel::Warning);
}

#[test]
fn dry_run_plans_and_alerts_but_frees_nothing() {
    let config = Config {
        auto_eviction: false,
        ..Config::default()
    };
    let mut h = Harness::new(config);
    h.cache("frames", 100 * MIB);
    let events = h.sample(0, 0.97);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::EvictionPlanned(_)))
    );
    let eviction = evictions(&events)[0];
    assert!(eviction.dry_run);
    assert_eq!(eviction.freed_bytes, 0);
    assert_eq!(eviction.target_bytes, 50 * MIB);
    assert_eq!(h.monitor.caches().total_bytes(), 100 * MIB);
    assert_eq!(alerts(&events).len(), 1);
}

#[test]
fn time_going_backwards_is_refused_and_changes_nothing() {
    let mut h = Harness::new(Config::default());
    h.sample(5_000, 0.75);
    let err = h
        .monitor
        .handle_sample(Sample::new(4_000, 100, 1))
        .unwrap_err();
    assert_eq!(
        err,
        InputError::TimeWentBackwards {
            previous_ms: 5_000,
            current_ms: 4_000
        }
    );
    assert_eq!(h.monitor.level(), PressureLevel::Warning);
    assert!(h.monitor.poll_event().is_none());
}

#[test]
fn no_caches_means_no_eviction_event() {
    let mut h = Harness::new(Config::default());
    assert!(evictions(&h.sample(0, 0.99)).is_empty());
}

#[test]
fn case_12_flapping_around_70_percent_changes_once() {
    // 19 samples 10 s apart on a 16 GiB host, usage alternating 69.9% / 70.1% (from
    // ../shared/cases/case-12-threshold-flapping), starting below.
    let mut h = Harness::new(Config::default());
    h.cache("frames", 100 * MIB);
    for i in 0..19u64 {
        let usage = if i % 2 == 0 { 0.699 } else { 0.701 };
        h.sample(i * 10_000, usage);
    }
    let changes: Vec<&LevelChange> = h
        .events
        .iter()
        .filter_map(|e| {
            if let Event::Level(c) = e {
                Some(c)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].t_ms, changes[0].from, changes[0].to),
        (10_000, PressureLevel::Normal, PressureLevel::Warning)
    );
    assert!(evictions(&h.events).len() <= 1);
}

#[test]
fn poll_timeout_asks_for_the_next_sample() {
    let mut h = Harness::new(Config::default());
    assert_eq!(h.monitor.poll_timeout().unwrap().at_ms, 0);
    h.sample(1_000, 0.1);
    assert_eq!(
        h.monitor.poll_timeout(),
        Some(Timeout {
            at_ms: 6_000,
            reason: TimeoutReason::SampleDue
        })
    );
}

#[test]
fn a_shortfall_is_asked_of_the_next_candidates_in_the_same_check() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    let broken = CacheEntry::new("broken", "validation_cache", 100 * MIB, 0);
    monitor.register_cache(0, broken).unwrap();
    monitor
        .register_cache(0, CacheEntry::new("spare", "frame_cache", 100 * MIB, 0))
        .unwrap();
    monitor.handle_sample(Sample::new(0, 100, 1)).unwrap(); // emergency: 50% of 200 MiB

    assert!(matches!(monitor.poll_event(), Some(Event::Level(_))));
    let Some(Event::EvictionPlanned(first)) = monitor.poll_event() else {
        panic!("no plan")
    };
    assert_eq!(first.requests[0].cache, "broken");
    let failed = EvictionOutcome {
        cache: "broken".into(),
        freed_bytes: 0,
        error: Some("oops".into()),
    };
    monitor
        .handle_eviction_report(EvictionReport {
            plan_id: first.id,
            outcomes: vec![failed],
        })
        .unwrap();

    let Some(Event::EvictionPlanned(second)) = monitor.poll_event() else {
        panic!("no follow-up")
    };
    assert_eq!(second.target_bytes, 100 * MIB);
    assert_eq!(second.requests[0].cache, "spare");
    monitor
        .handle_eviction_report(simulate_eviction(&second))
        .unwrap();

    let Some(Event::Evict(eviction)) = monitor.poll_event() else {
        panic!("no evict event")
    };
    assert_eq!(
        (eviction.target_bytes, eviction.freed_bytes),
        (100 * MIB, 100 * MIB)
    );
    assert_eq!(eviction.requests.len(), 2);
    assert_eq!(eviction.requests[0].error.as_deref(), Some("oops"));
    // Nobody is left to ask: the check ends there even though "broken" freed nothing.
    assert!(matches!(monitor.poll_event(), Some(Event::Alert(_))));
}

#[test]
fn a_throttled_sample_is_never_normal() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    let throttled = Sample {
        throttled: true,
        ..Sample::new(0, 100, 50)
    };
    monitor.handle_sample(throttled).unwrap();
    assert_eq!(monitor.level(), PressureLevel::Warning);
    monitor.handle_sample(Sample::new(1, 100, 50)).unwrap();
    assert_eq!(monitor.level(), PressureLevel::Normal);
}

#[test]
fn a_cache_removed_while_evicting_counts_what_it_freed() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    monitor
        .register_cache(0, CacheEntry::new("big", "t", 100 * MIB, 0))
        .unwrap();
    monitor
        .register_cache(0, CacheEntry::new("other", "t", MIB, 0))
        .unwrap();
    monitor.handle_sample(Sample::new(0, 100, 1)).unwrap();
    assert!(matches!(monitor.poll_event(), Some(Event::Level(_))));
    let Some(Event::EvictionPlanned(plan)) = monitor.poll_event() else {
        panic!("no plan")
    };
    assert_eq!(plan.requests[0].cache, "big");

    // The cache frees everything and removes itself from inside its callback.
    monitor.remove_cache(0, "big").unwrap();
    let outcome = EvictionOutcome {
        cache: "big".into(),
        freed_bytes: 100 * MIB,
        error: None,
    };
    monitor
        .handle_eviction_report(EvictionReport {
            plan_id: plan.id,
            outcomes: vec![outcome],
        })
        .unwrap();

    let Some(Event::Evict(eviction)) = monitor.poll_event() else {
        panic!("no evict event")
    };
    assert_eq!(eviction.freed_bytes, 100 * MIB);
    assert_eq!(
        eviction.requests.len(),
        1,
        "no shortfall: nobody else was asked"
    );
}

/// Found by fuzzing (`core_records`): caches whose sizes add up past `u64::MAX` bytes made
/// the registry's total overflow. Such a size is refused, and nothing changes.
#[test]
fn cache_sizes_past_u64_max_in_all_are_refused() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    monitor
        .register_cache(0, CacheEntry::new("a", "t", u64::MAX - 10, 0))
        .unwrap();
    let before = monitor.status();

    let err = monitor
        .register_cache(5, CacheEntry::new("b", "t", 11, 5))
        .unwrap_err();
    assert_eq!(
        err,
        InputError::CacheBytesOverflow {
            t_ms: 5,
            id: "b".to_string(),
            bytes: 11,
            others_bytes: u64::MAX - 10,
        }
    );
    assert!(err.to_string().contains("exceed 2^64 - 1 bytes"), "{err}");
    monitor
        .register_cache(5, CacheEntry::new("b", "t", 10, 5))
        .unwrap();
    assert!(matches!(
        monitor.set_cache_bytes(6, "b", 11),
        Err(InputError::CacheBytesOverflow { .. })
    ));
    assert_eq!(monitor.caches().total_bytes(), u64::MAX);

    // Replacing a cache counts its new size instead of its old one.
    monitor
        .register_cache(7, CacheEntry::new("a", "t", u64::MAX - 10, 7))
        .unwrap();
    assert_eq!(before.cache_count + 1, monitor.status().cache_count);
}

/// Found reading the code while fixing the overflow above: the bytes a check freed could
/// add up past `u64::MAX` when a cache asked to evict was removed and another, as large,
/// reported freeing too. The sum now stops at `u64::MAX`.
#[test]
fn freed_bytes_past_u64_max_in_all_do_not_overflow() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    monitor
        .register_cache(0, CacheEntry::new("a", "t", u64::MAX - 10, 0))
        .unwrap();
    monitor.handle_sample(Sample::new(0, 100, 1)).unwrap();
    assert!(matches!(monitor.poll_event(), Some(Event::Level(_))));
    let Some(Event::EvictionPlanned(plan)) = monitor.poll_event() else {
        panic!("no plan")
    };

    monitor.remove_cache(0, "a").unwrap();
    monitor
        .register_cache(0, CacheEntry::new("b", "t", u64::MAX - 10, 0))
        .unwrap();
    let outcome = |cache: &str| EvictionOutcome {
        cache: cache.into(),
        freed_bytes: u64::MAX,
        error: None,
    };
    monitor
        .handle_eviction_report(EvictionReport {
            plan_id: plan.id,
            outcomes: vec![outcome("a"), outcome("b")],
        })
        .unwrap();

    let Some(Event::Evict(eviction)) = monitor.poll_event() else {
        panic!("no evict event")
    };
    assert_eq!(eviction.requests.len(), 2);
    assert_eq!(eviction.freed_bytes, u64::MAX);
}

/// Outcomes may come in any order: each request takes the first outcome of its cache, and
/// a second outcome of the same cache, or one of a cache not asked, still counts what it
/// freed (at most what the cache still holds), after the requests, in id order.
#[test]
fn a_report_in_another_order_matches_each_request_to_its_cache() {
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    for i in 0..300u64 {
        let entry = CacheEntry::new(&format!("c{i:03}"), "frame_cache", MIB + i, 0);
        monitor.register_cache(0, entry).unwrap();
    }
    monitor.handle_sample(Sample::new(0, 100, 1)).unwrap();
    let plan = loop {
        if let Some(Event::EvictionPlanned(plan)) = monitor.poll_event() {
            break plan;
        }
    };
    assert!(plan.requests.len() > 100);
    let asked = plan.requests.len();

    // Reversed, with a second outcome for the first request and one for a cache not asked.
    let unasked = monitor
        .caches()
        .iter()
        .find(|c| plan.requests.iter().all(|r| r.cache != c.id))
        .map(|c| c.id.clone())
        .unwrap();
    let outcome = |cache: &SmolStr, freed_bytes| EvictionOutcome {
        cache: cache.clone(),
        freed_bytes,
        error: None,
    };
    let mut outcomes: Vec<EvictionOutcome> = plan
        .requests
        .iter()
        .map(|r| outcome(&r.cache, r.bytes / 2))
        .rev()
        .collect();
    outcomes.push(outcome(&plan.requests[0].cache, u64::MAX));
    outcomes.insert(0, outcome(&unasked, 1));
    let first_held = monitor.caches().get(&plan.requests[0].cache).unwrap().bytes;
    let report = EvictionReport {
        plan_id: plan.id,
        outcomes,
    };
    monitor.handle_eviction_report(report).unwrap();

    // Half of each request was freed: the shortfall is asked of other caches first.
    let eviction = loop {
        match monitor.poll_event() {
            Some(Event::EvictionPlanned(next)) => {
                monitor
                    .handle_eviction_report(simulate_eviction(&next))
                    .unwrap();
            }
            Some(Event::Evict(eviction)) => break eviction,
            Some(_) => {}
            None => panic!("no evict event"),
        }
    };
    for (result, request) in eviction.requests.iter().zip(&plan.requests) {
        assert_eq!(result.cache, request.cache);
        assert_eq!(result.freed_bytes, request.bytes / 2, "{}", request.cache);
    }
    let extra: Vec<(&str, u64, u64)> = eviction.requests[asked..asked + 2]
        .iter()
        .map(|r| (r.cache.as_str(), r.bytes, r.freed_bytes))
        .collect();
    let first = &plan.requests[0];
    let mut expected = vec![
        (first.cache.as_str(), 0, first_held - first.bytes / 2),
        (unasked.as_str(), 0, 1),
    ];
    expected.sort();
    assert_eq!(extra, expected);
}

/// Replay feeds each record as it is read, so its error is the first faulty line, even when
/// a later line would not parse.
#[test]
fn replay_reports_the_first_faulty_line_of_either_kind() {
    let text = "{\"format\":\"mempressure-trace\",\"version\":1}\n\
                {\"t_ms\":100,\"total\":100,\"available\":50}\n\
                {\"t_ms\":50,\"total\":100,\"available\":50}\n\
                {\"t_ms\":200,\"total\":\"many\",\"available\":50}\n";
    let Err(ReplayError::Trace(error)) = replay(text, &Config::default()) else {
        panic!("the trace is faulty")
    };
    assert_eq!(error.line, 3);
    assert!(error.to_string().contains("time went backwards"), "{error}");

    let (_, records) = trace_records(text).unwrap();
    let lines: Vec<Result<usize, usize>> = records
        .map(|r| r.map(|(line, _)| line).map_err(|e| e.line))
        .collect();
    assert_eq!(lines, [Ok(2), Ok(3), Err(4)]);
}
