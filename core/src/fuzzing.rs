//! The bodies of the fuzz targets in `fuzz/` (feature `_fuzz`, internal).
//!
//! Each function takes the fuzzer's bytes and panics only when an invariant breaks: bad
//! input must come back as an error. Keeping the bodies here lets the unit tests below run
//! them over the seed corpus in every `cargo test`, so the targets cannot rot unseen;
//! `fuzz/fuzz_targets/*.rs` only hand the bytes over.
//!
//! `core_records` decodes its bytes as a small program (see [`core_records`]) rather than
//! through a derive of `arbitrary`, so the core needs no extra dependency for fuzzing.

use crate::config::{Config, Profile};
use crate::decision_log::{describe, log_line};
use crate::event::Event;
use crate::eviction::{EvictionOutcome, EvictionPlan, EvictionReport};
use crate::monitor::PressureMonitor;
use crate::registry::CacheEntry;
use crate::replay::replay_to_log;
use crate::sample::Sample;
use crate::trace::parse_trace;

/// Trace text (any bytes, read as lossy UTF-8) parsed and replayed with the default config.
///
/// # Panics
/// When parsing or replay panics, when replay accepts a trace that parsing refused, or when
/// two replays of the same text differ.
pub fn trace_replay(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = parse_trace(&text);
    let config = Config::default();
    let log = replay_to_log(&text, &config);

    if parsed.is_err() {
        assert!(log.is_err(), "replay accepted a trace that parsing refused");
    }
    assert_eq!(
        log,
        replay_to_log(&text, &config),
        "replay is not deterministic"
    );
}

/// Config text read as TOML; a config that reads must be valid and survive a round trip.
///
/// # Panics
/// When reading panics, or an accepted config fails validation or a round trip.
#[cfg(feature = "toml")]
pub fn config_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_toml_str(text) {
        check_accepted(&config);
    }
}

/// Config text read as JSON; a config that reads must be valid and survive a round trip.
///
/// # Panics
/// When reading panics, or an accepted config fails validation or a round trip.
pub fn config_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_json_str(text) {
        check_accepted(&config);
    }
}

fn check_accepted(config: &Config) {
    config.validate().expect("an accepted config validates");
    let json = serde_json::to_string(config).expect("a config serialises to JSON");
    assert_eq!(
        Config::from_json_str(&json).as_ref(),
        Ok(config),
        "JSON round trip of {json}"
    );
    #[cfg(feature = "toml")]
    {
        let toml = config.to_toml_string();
        assert_eq!(
            Config::from_toml_str(&toml).as_ref(),
            Ok(config),
            "TOML round trip of {toml}"
        );
    }
}

/// Reads the fuzzer's bytes as numbers; past the end every read gives zeros.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u64(&mut self) -> u64 {
        let take = self.data.len().min(8);
        let (head, rest) = self.data.split_at(take);
        self.data = rest;
        let mut bytes = [0u8; 8];
        bytes[..take].copy_from_slice(head);
        u64::from_le_bytes(bytes)
    }

    /// A number shaped to hit edges: small, around a power of two, or anything.
    fn number(&mut self) -> u64 {
        match self.byte() % 4 {
            0 => u64::from(self.byte()),
            1 => 1u64 << (self.byte() % 64),
            2 => u64::MAX - u64::from(self.byte()),
            _ => self.u64(),
        }
    }

    /// A time: the same as now, a little later, much later, or anything (even earlier).
    fn time(&mut self, now: u64) -> u64 {
        match self.byte() % 4 {
            0 => now,
            1 => now.saturating_add(u64::from(self.byte()) * 100),
            2 => now.saturating_add(self.u64() % 10_000_000),
            _ => self.number(),
        }
    }

    /// A cache id: one of a few, so that records meet the same caches again.
    fn cache_id(&mut self) -> String {
        format!("c{}", self.byte() % 8)
    }

    fn psi(&mut self) -> Option<f64> {
        match self.byte() % 4 {
            0 => None,
            1 => Some(f64::from(self.byte())),
            2 => Some(f64::from_bits(self.u64())),
            _ => Some(f64::from(self.byte()) / 2.55),
        }
    }
}

/// How the caches answer a plan: the decoded reply to one `EvictionPlanned`.
enum Reply {
    /// Every cache frees what it was asked.
    Honest,
    /// Each request gets a decoded answer (exact, more, less, none, omitted, failed),
    /// plus possibly a cache that was not asked.
    Lying,
    /// A report naming another plan first (refused), then an honest one.
    WrongPlanFirst,
    /// No report yet: the next records arrive while the plan is pending.
    Later,
}

/// Records decoded from the bytes drive a [`PressureMonitor`] directly: samples with
/// arbitrary fields, cache registrations, resizes, touches and removals, and eviction
/// reports honest or lying. Errors are expected; panics are not.
///
/// The first byte picks the profile and `auto_eviction`, the next two the cooldowns. Then
/// each record starts with a byte whose low three bits pick its kind.
///
/// # Panics
/// When the monitor panics, or a report that it refused changed its state.
pub fn core_records(data: &[u8]) {
    let mut input = Input { data };
    let mut config = Config::profile(Profile::ALL[usize::from(input.byte() % 4)]);
    config.auto_eviction = !input.byte().is_multiple_of(4);
    config.hysteresis.eviction_cooldown_ms = u64::from(input.byte()) * 1_000;
    config.alerts.cooldown_ms = u64::from(input.byte()) * 1_000;
    let mut monitor = PressureMonitor::new(config).expect("a profile is a valid config");

    let mut now = 0u64;
    let mut pending: Option<EvictionPlan> = None;
    while !input.is_empty() {
        let kind = input.byte();
        let t_ms = input.time(now);
        let accepted = match kind % 8 {
            0 | 1 => {
                let mut sample = Sample::new(t_ms, input.number(), input.number());
                if kind & 0x10 != 0 {
                    // A consistent reading: available is a share of total.
                    let total = sample.total_bytes;
                    sample.available_bytes = total / 256 * u64::from(input.byte());
                }
                sample.process_bytes = (kind & 0x20 != 0).then(|| input.number());
                sample.psi_some_avg10 = input.psi();
                sample.psi_full_avg10 = input.psi();
                sample.throttled = kind & 0x40 != 0;
                monitor.handle_sample(sample).is_ok()
            }
            2 | 3 => {
                let id = input.cache_id();
                let types = ["frame_cache", "validation_cache", "resize_cache", "other"];
                let mut entry = CacheEntry::new(
                    &id,
                    types[usize::from(input.byte() % 4)],
                    input.number(),
                    t_ms,
                );
                entry.access_count = input.number();
                entry.last_access_ms = input.time(t_ms);
                monitor.register_cache(t_ms, entry).is_ok()
            }
            4 => {
                let id = input.cache_id();
                monitor.set_cache_bytes(t_ms, &id, input.number()).is_ok()
            }
            5 => monitor.touch_cache(t_ms, &input.cache_id()).is_ok(),
            6 => monitor.remove_cache(t_ms, &input.cache_id()).is_ok(),
            _ => {
                // A report for the pending plan, or for none.
                let plan = pending.take();
                report(&mut monitor, &mut input, plan.as_ref(), Reply::Lying);
                true
            }
        };
        if accepted {
            now = now.max(t_ms);
        }

        drain(&mut monitor, &mut input, &mut pending);
        let _ = monitor.poll_timeout();
        let _ = monitor.status();
    }
}

/// Drains the monitor's events, answering each plan as the bytes say.
fn drain(monitor: &mut PressureMonitor, input: &mut Input, pending: &mut Option<EvictionPlan>) {
    while let Some(event) = monitor.poll_event() {
        let _ = log_line(&event);
        let _ = describe(&event);
        let Event::EvictionPlanned(plan) = event else {
            continue;
        };

        let reply = match input.byte() % 8 {
            0..=3 => Reply::Honest,
            4 | 5 => Reply::Lying,
            6 => Reply::WrongPlanFirst,
            _ => Reply::Later,
        };
        if let Reply::Later = reply {
            *pending = Some(plan);
            continue;
        }
        report(monitor, input, Some(&plan), reply);
    }
}

/// Sends a report for `plan` (or a made-up one when there is no plan).
fn report(
    monitor: &mut PressureMonitor,
    input: &mut Input,
    plan: Option<&EvictionPlan>,
    reply: Reply,
) {
    let Some(plan) = plan else {
        let made_up = EvictionReport {
            plan_id: input.number(),
            outcomes: Vec::new(),
        };
        let before = monitor.status();
        if monitor.handle_eviction_report(made_up).is_err() {
            assert_eq!(
                monitor.status(),
                before,
                "a refused report changed the state"
            );
        }
        return;
    };

    if let Reply::WrongPlanFirst = reply {
        let wrong = EvictionReport {
            plan_id: plan.id.wrapping_add(1 + u64::from(input.byte())),
            outcomes: Vec::new(),
        };
        let before = monitor.status();
        assert!(monitor.handle_eviction_report(wrong).is_err());
        assert_eq!(
            monitor.status(),
            before,
            "a refused report changed the state"
        );
    }

    let mut outcomes = Vec::new();
    for request in &plan.requests {
        let freed_bytes = match reply {
            Reply::Lying => match input.byte() % 6 {
                0 => request.bytes,
                1 => request.bytes.saturating_mul(2),
                2 => request.bytes / 2,
                3 => 0,
                4 => continue,
                _ => input.number(),
            },
            _ => request.bytes,
        };
        let error = (freed_bytes < request.bytes).then(|| "freed less".to_string());
        outcomes.push(EvictionOutcome {
            cache: request.cache.clone(),
            freed_bytes,
            error,
        });
    }
    if let Reply::Lying = reply
        && input.byte().is_multiple_of(2)
    {
        outcomes.push(EvictionOutcome {
            cache: input.cache_id().into(),
            freed_bytes: input.number(),
            error: None,
        });
    }

    let report = EvictionReport {
        plan_id: plan.id,
        outcomes,
    };
    monitor
        .handle_eviction_report(report)
        .expect("the report names the plan that awaits it");
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The seed corpus of one target, in `fuzz/seeds/<target>/`.
    fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds")
            .join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seeds in {}", dir.display());
        files
            .into_iter()
            .map(|path| {
                let data = std::fs::read(&path).unwrap();
                (path, data)
            })
            .collect()
    }

    #[test]
    fn trace_replay_runs_over_its_seeds() {
        for (_, data) in seeds("trace_replay") {
            trace_replay(&data);
        }
    }

    #[cfg(feature = "toml")]
    #[test]
    fn config_toml_runs_over_its_seeds() {
        for (_, data) in seeds("config_toml") {
            config_toml(&data);
        }
    }

    #[test]
    fn config_json_runs_over_its_seeds() {
        for (_, data) in seeds("config_json") {
            config_json(&data);
        }
    }

    #[test]
    fn core_records_runs_over_its_seeds() {
        for (_, data) in seeds("core_records") {
            core_records(&data);
        }
    }

    /// Crashes the fuzzer found, minimized (`cargo fuzz tmin`), each with what it broke.
    #[test]
    fn core_records_regressions() {
        // Two caches of about 2^64 bytes each: the registry's total overflowed. The size
        // that would overflow it is now refused (`InputError::CacheBytesOverflow`).
        core_records(&[
            0x00, 0x01, 0x1e, 0x60, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda,
            0xda, 0xda, 0xda, 0xda, 0xda, 0xda, 0xff, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda, 0xda,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
    }

    #[test]
    fn core_records_survives_short_and_patterned_inputs() {
        core_records(&[]);
        for byte in 0..=255u8 {
            core_records(&[byte; 64]);
        }
        let counting: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        core_records(&counting);
    }
}
