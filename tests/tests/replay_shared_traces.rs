//! Replays the recorded traces in `tests/traces/` (copied from the project's shared traces)
//! and checks the level changes against values computed here, independently of the core:
//! the samples are read with plain `serde_json`, and the hysteresis rule is written out
//! step by step below, as a reader of the README would apply it by hand.

use std::path::PathBuf;

use mempressure_core::{Config, Event, PressureLevel, replay, replay_to_log};
use serde_json::Value;

const THRESHOLDS: [f64; 3] = [0.70, 0.80, 0.95];
const EXIT_BAND: f64 = 0.05;

fn trace_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(trace_path(name)).unwrap()
}

/// (t_ms, usage) of every sample, read without the core.
fn samples(text: &str) -> Vec<(u64, f64)> {
    text.lines()
        .skip(1)
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|v| v.get("cache").is_none())
        .map(|v| {
            let total = v["total"].as_u64().unwrap() as f64;
            let available = v["available"].as_u64().unwrap() as f64;
            (v["t_ms"].as_u64().unwrap(), (total - available) / total)
        })
        .collect()
}

/// The level changes (t_ms, from, to) the README's rule gives, as indices 0..=3.
fn expected_changes(samples: &[(u64, f64)]) -> Vec<(u64, usize, usize)> {
    let mut level = 0;
    let mut changes = Vec::new();
    for &(t_ms, usage) in samples {
        let reached = THRESHOLDS.iter().filter(|&&t| usage >= t).count();
        let mut next = level;
        if reached > level {
            next = reached;
        } else {
            // Step down one level at a time while usage is below that level's exit line.
            while next > reached && usage < THRESHOLDS[next - 1] - EXIT_BAND {
                next -= 1;
            }
        }
        if next != level {
            changes.push((t_ms, level, next));
            level = next;
        }
    }
    changes
}

fn actual_changes(text: &str) -> Vec<(u64, usize, usize)> {
    replay(text, &Config::default())
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Level(c) => Some((c.t_ms, c.from.index(), c.to.index())),
            _ => None,
        })
        .collect()
}

/// First time each level is reached, from `tests/traces/README.md` (70% / 80% / 95%).
fn first_reached(changes: &[(u64, usize, usize)], level: usize) -> Option<u64> {
    changes.iter().find(|c| c.2 >= level).map(|c| c.0)
}

fn check_trace(name: &str, first: [Option<u64>; 3]) {
    let text = read(name);
    let actual = actual_changes(&text);
    assert_eq!(actual, expected_changes(&samples(&text)), "{name}");
    for (i, expected) in first.iter().enumerate() {
        assert_eq!(
            first_reached(&actual, i + 1),
            *expected,
            "{name}: first at level {}",
            i + 1
        );
    }
}

#[test]
fn host_spike_to_90_percent() {
    check_trace(
        "02-host-spike-90-stressng.jsonl",
        [Some(47_700), Some(55_200), None],
    );
}

#[test]
fn host_oscillating_around_70_percent_changes_twice_not_12_times() {
    let name = "04-host-oscillate-70.jsonl";
    check_trace(name, [Some(6_000), None, None]);
    // 12 crossings of 70% in the recording; with the exit band, one entry and one exit.
    assert_eq!(actual_changes(&read(name)).len(), 2);
}

#[test]
fn cgroup_512m_ramp_and_spike() {
    check_trace(
        "05-cgroup-512m-ramp-spike.jsonl",
        [Some(19_701), Some(22_100), Some(28_200)],
    );
}

#[test]
fn java_pod_near_its_limit() {
    check_trace(
        "11-nezha-adservice-java-pod-near-limit.jsonl",
        [Some(0), Some(0), Some(15_360_000)],
    );
}

#[test]
fn cart_pod_with_one_spike() {
    let first = Some(3_000_000);
    check_trace(
        "12-nezha-cartservice-pod-transient-spikes.jsonl",
        [first, first, first],
    );
}

#[test]
fn currency_pod_over_20_hours() {
    check_trace(
        "13-nezha-currencyservice-pod-20h.jsonl",
        [Some(5_460_000), Some(5_460_000), Some(5_520_000)],
    );
}

#[test]
fn alerts_repeat_only_after_the_cooldown() {
    let events = replay(
        &read("11-nezha-adservice-java-pod-near-limit.jsonl"),
        &Config::default(),
    );
    let mut last: [Option<u64>; 4] = [None; 4];
    for event in events.unwrap() {
        if let Event::Alert(alert) = event {
            assert!(alert.level >= PressureLevel::Critical);
            let slot = &mut last[alert.level.index()];
            if let Some(previous) = *slot {
                assert!(
                    alert.t_ms - previous >= 300_000,
                    "alert at {} after {previous}",
                    alert.t_ms
                );
            }
            *slot = Some(alert.t_ms);
        }
    }
}

#[test]
fn replay_is_deterministic_to_the_byte() {
    for name in [
        "02-host-spike-90-stressng.jsonl",
        "05-cgroup-512m-ramp-spike.jsonl",
    ] {
        let text = read(name);
        let first = replay_to_log(&text, &Config::default()).unwrap();
        assert_eq!(first, replay_to_log(&text, &Config::default()).unwrap());
        assert!(
            first.lines().all(|l| l.starts_with("{\"t_ms\":")),
            "{first}"
        );
    }
}

#[test]
fn case_12_flapping_samples_change_the_level_once() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases/case-12-threshold-flapping");
    let csv = std::fs::read_to_string(dir.join("samples.csv")).unwrap();
    let mut trace = String::from("{\"format\":\"mempressure-trace\",\"version\":1}\n");
    // A cache, so that eviction requests can be counted.
    trace.push_str(
        "{\"t_ms\":0,\"cache\":{\"id\":\"c\",\"type\":\"frame_cache\",\"bytes\":104857600}}\n",
    );
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        trace.push_str(&format!(
            "{{\"t_ms\":{},\"total\":{},\"available\":{}}}\n",
            f[0], f[1], f[2]
        ));
    }

    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let expected = &expected["expected"];
    let events = replay(&trace, &Config::default()).unwrap();
    let changes: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let Event::Level(c) = e {
                Some(c)
            } else {
                None
            }
        })
        .collect();
    let evictions = events
        .iter()
        .filter(|e| matches!(e, Event::Evict(_)))
        .count();

    assert!(changes.len() as u64 <= expected["level_transitions_max"].as_u64().unwrap());
    let first = &expected["first_transition"];
    assert_eq!(changes[0].t_ms, first["t_ms"].as_u64().unwrap());
    assert_eq!(changes[0].from.as_str(), first["from"].as_str().unwrap());
    assert_eq!(changes[0].to.as_str(), first["to"].as_str().unwrap());
    assert!(!changes.iter().any(|c| c.to == PressureLevel::Normal));
    assert!(evictions as u64 <= expected["eviction_requests_max"].as_u64().unwrap());
}
