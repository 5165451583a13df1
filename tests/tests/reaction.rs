//! Reacting earlier: the usage trend, stall pressure (PSI), adaptive sampling and relief
//! checks, replayed on the recorded traces in `tests/traces/`.

use std::path::PathBuf;

use mempressure_core::{
    Config, Event, LevelReason, PressureLevel, PressureMonitor, Record, TimeoutReason, parse_trace,
    replay, simulate_eviction,
};

fn read(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn with_trend() -> Config {
    Config::from_toml_str("[trend]\nenabled = true\n").unwrap()
}

/// First time the level reaches warning or above, and what set it.
fn first_warning(events: &[Event]) -> Option<(u64, LevelReason)> {
    events.iter().find_map(|e| match e {
        Event::Level(c) if c.to >= PressureLevel::Warning => Some((c.t_ms, c.reason)),
        _ => None,
    })
}

#[test]
fn the_trend_warns_earlier_on_the_ramps() {
    for (name, threshold_ms) in [
        ("02-host-spike-90-stressng.jsonl", 47_700),
        ("05-cgroup-512m-ramp-spike.jsonl", 19_701),
    ] {
        let text = read(name);
        let plain = first_warning(&replay(&text, &Config::default()).unwrap()).unwrap();
        assert_eq!(plain, (threshold_ms, LevelReason::Threshold), "{name}");

        let (t_ms, reason) = first_warning(&replay(&text, &with_trend()).unwrap()).unwrap();
        assert_eq!(reason, LevelReason::Trend, "{name}");
        // Measurably earlier: at least five seconds before the threshold is crossed.
        assert!(
            t_ms + 5_000 <= threshold_ms,
            "{name}: trend warning at {t_ms}"
        );
    }
}

#[test]
fn the_trend_never_changes_the_level_on_flat_or_oscillating_traces() {
    for name in [
        "04-host-oscillate-70.jsonl",
        "11-nezha-adservice-java-pod-near-limit.jsonl",
        "13-nezha-currencyservice-pod-20h.jsonl",
    ] {
        let text = read(name);
        let trend = replay(&text, &with_trend()).unwrap();
        let by_trend: Vec<_> = trend
            .iter()
            .filter(|e| matches!(e, Event::Level(c) if c.reason == LevelReason::Trend))
            .collect();
        assert!(by_trend.is_empty(), "{name}: {by_trend:?}");
        // And the decisions are exactly those without the trend.
        assert_eq!(trend, replay(&text, &Config::default()).unwrap(), "{name}");
    }
}

#[test]
fn prediction_alone_never_goes_above_critical() {
    let events = replay(&read("05-cgroup-512m-ramp-spike.jsonl"), &with_trend()).unwrap();
    for event in events {
        if let Event::Level(c) = event
            && c.reason == LevelReason::Trend
        {
            assert!(c.to <= PressureLevel::Critical, "{c:?}");
        }
    }
}

/// A trace of the oscillating recording with its PSI replaced by a stall that starts at
/// 20 s and ends at 40 s.
fn with_stall(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            let t = value["t_ms"].as_u64().unwrap();
            let stall = if (20_000..40_000).contains(&t) {
                35.0
            } else {
                0.0
            };
            value["psi_some_avg10"] = stall.into();
            out.push_str(&value.to_string());
        }
        out.push('\n');
    }
    out
}

#[test]
fn stall_pressure_raises_the_level_while_it_lasts() {
    let text = with_stall(&read("04-host-oscillate-70.jsonl"));
    let config = Config::from_toml_str("[psi]\nwarning = 10.0\ncritical = 30.0\n").unwrap();
    let events = replay(&text, &config).unwrap();
    let by_psi: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Level(c) if c.reason == LevelReason::Psi => Some((c.t_ms, c.to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        by_psi.first().map(|c| c.1),
        Some(PressureLevel::Critical),
        "{by_psi:?}"
    );
    assert!((20_000..20_200).contains(&by_psi[0].0), "{by_psi:?}");

    // After the stall, usage alone decides again: back to the level of the plain replay.
    let level_after = |events: &[Event]| {
        events.iter().rev().find_map(|e| match e {
            Event::Level(c) if c.t_ms < 45_000 => Some(c.to),
            _ => None,
        })
    };
    let plain = replay(&text, &Config::default()).unwrap();
    assert_eq!(level_after(&events), level_after(&plain));

    // PSI configured but absent from the samples changes nothing.
    let without = replay(&read("04-host-oscillate-70.jsonl"), &config).unwrap();
    assert_eq!(
        without,
        replay(&read("04-host-oscillate-70.jsonl"), &Config::default()).unwrap()
    );
}

/// Drives a monitor over a trace's samples and records the interval it asks for next.
fn asked_intervals(name: &str) -> Vec<(PressureLevel, u64, TimeoutReason)> {
    let (_, records) = parse_trace(&read(name)).unwrap();
    let mut monitor = PressureMonitor::new(Config::default()).unwrap();
    let mut asked = Vec::new();
    for (_, record) in records {
        let Record::Sample(sample) = record else {
            continue;
        };
        monitor.handle_sample(sample).unwrap();
        while let Some(event) = monitor.poll_event() {
            if let Event::EvictionPlanned(plan) = event {
                monitor
                    .handle_eviction_report(simulate_eviction(&plan))
                    .unwrap();
            }
        }
        let timeout = monitor.poll_timeout().unwrap();
        asked.push((monitor.level(), timeout.at_ms - sample.t_ms, timeout.reason));
    }
    asked
}

#[test]
fn sampling_is_faster_only_while_pressure_is_elevated_or_rising() {
    let asked = asked_intervals("05-cgroup-512m-ramp-spike.jsonl");
    // At rest: the profile's 5 s. Under pressure: 1 s.
    assert_eq!(
        asked.first().unwrap(),
        &(PressureLevel::Normal, 5_000, TimeoutReason::SampleDue)
    );
    for (level, interval, reason) in &asked {
        if *level >= PressureLevel::Warning {
            assert_eq!(
                (*interval, *reason),
                (1_000, TimeoutReason::SampleDueUnderPressure)
            );
        }
    }
    // The ramp makes it sample faster before warning is reached.
    let rising_early = asked
        .iter()
        .any(|(level, interval, _)| *level == PressureLevel::Normal && *interval == 1_000);
    assert!(rising_early);
    assert_eq!(
        asked.last().unwrap().1,
        5_000,
        "back to resting after the pressure"
    );

    // On the flat trace, the resting interval throughout.
    let flat = asked_intervals("13-nezha-currencyservice-pod-20h.jsonl");
    let normal_fast = flat
        .iter()
        .filter(|(l, i, _)| *l == PressureLevel::Normal && *i < 5_000);
    assert_eq!(normal_fast.count(), 0);
}

/// The cgroup recording with a 64 MiB cache registered at the start.
fn with_cache(text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let cache = r#"{"t_ms":0,"cache":{"id":"frames","type":"frame_cache","bytes":67108864}}"#;
    lines.insert(1, cache.to_string());
    lines.join("\n") + "\n"
}

#[test]
fn relief_checks_report_whether_freed_bytes_showed_up() {
    let text = with_cache(&read("05-cgroup-512m-ramp-spike.jsonl"));
    let config = Config::from_toml_str("[relief]\nenabled = true\nwindow = \"2s\"\n").unwrap();
    let events = replay(&text, &config).unwrap();
    let checks: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let Event::Relief(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .collect();
    assert!(!checks.is_empty());

    // In a replay the recorded usage does not follow what the simulated cache frees: on the
    // ramp the first eviction is followed by rising usage, so no relief is seen...
    let first = &checks[0];
    assert!(!first.relieved, "{first:?}");
    assert!(first.t_ms - first.eviction_t_ms >= 2_000);

    // ... and the next eviction at the same level is not held back by the 30 s cooldown.
    let evictions: Vec<(u64, PressureLevel)> = events
        .iter()
        .filter_map(|e| {
            if let Event::Evict(x) = e {
                Some((x.t_ms, x.level))
            } else {
                None
            }
        })
        .collect();
    let after = evictions.iter().find(|(t, _)| *t >= first.t_ms).unwrap();
    let before = evictions
        .iter()
        .rev()
        .find(|(t, _)| *t <= first.eviction_t_ms)
        .unwrap();
    assert_eq!(after.1, before.1, "both at the same level");
    assert!(after.0 - before.0 < 30_000, "{before:?} then {after:?}");

    // When usage falls right after (the big drop at the end of the recording), relief is seen.
    assert!(checks.iter().any(|r| r.relieved), "{checks:?}");

    // Off by default: no relief events at all.
    let plain = replay(&text, &Config::default()).unwrap();
    assert!(!plain.iter().any(|e| matches!(e, Event::Relief(_))));
}
