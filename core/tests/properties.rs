//! Property tests: the core's invariants over random samples, caches and configs.
//!
//! Each test states one invariant of README's "The rules" and checks it over random
//! inputs: usage walks, jumps and oscillations around thresholds, times that repeat and
//! times that move on, caches registered, resized, touched and removed in between, honest
//! and lying eviction reports, and random valid (or deliberately invalid) configs.
//!
//! The default case count keeps `cargo test` fast. The long run:
//!
//! ```text
//! PROPTEST_CASES=10000 cargo test -p mempressure-core --release --test properties
//! ```

use std::collections::{BTreeMap, BTreeSet};

use mempressure_core::config::{DEFAULT_EXIT_BAND, Scoring, Weights};
use mempressure_core::trace::{CacheChange, CacheUpdate, header_line, sample_line};
use mempressure_core::{
    CacheEntry, CacheRegistry, Config, Event, EvictionOutcome, EvictionPlan, EvictionReport,
    PressureLevel, PressureMonitor, Profile, Record, Replayer, Sample, SmolStr, TraceHeader,
    priority::plan_requests, replay, replay_to_log,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 128;

/// Cases per property, and failures kept in `tests/properties.proptest-regressions` to be
/// tried first on the next run (commit that file when it appears).
fn proptest_config() -> ProptestConfig {
    let mut config = ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    config
}

const MIB: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Configs
// ---------------------------------------------------------------------------------------

const LEVELS: [PressureLevel; 3] = [
    PressureLevel::Warning,
    PressureLevel::Critical,
    PressureLevel::Emergency,
];

/// A fraction in (0, 1], with the edges and round numbers people write more likely.
fn fraction() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.001f64..=1.0,
        1 => select(vec![1.0, 0.5, 0.15, 0.3, 0.75, 1e-9, f64::MIN_POSITIVE]),
    ]
}

/// Three strictly increasing thresholds in (0, 1].
fn thresholds() -> impl Strategy<Value = [f64; 3]> {
    prop_oneof![
        3 => (0.05f64..0.9, 0.05f64..=1.0, 0.05f64..=1.0).prop_map(|(w, a, b)| {
            let c = w + (1.0 - w) * a * 0.9;
            let e = c + (1.0 - c) * b;
            [w, c, e]
        }),
        1 => select(vec![
            [0.70, 0.80, 0.95],
            [0.60, 0.75, 0.90],
            [0.50, 0.65, 0.80],
            [0.5, 0.75, 1.0],
            [0.1, 0.11, 0.12],
        ]),
    ]
    .prop_filter("strictly increasing", |t| {
        t[0] > 0.0 && t[0] < t[1] && t[1] < t[2] && t[2] <= 1.0
    })
}

/// A weight: often 0, otherwise a finite number >= 0.
fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 3 => 0.0f64..10.0, 1 => select(vec![1e-300, 1e300, 0.1])]
}

/// A duration in milliseconds: small, round, or anything a `u64` holds.
fn duration_ms(min: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => min..120_000u64,
        1 => select(vec![min, 1_000, 30_000, 300_000, 86_400_000]).prop_map(move |v| v.max(min)),
        1 => min..=u64::MAX,
    ]
}

/// A type name: the profiles' own, plain words, or text that needs quoting.
fn type_name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "frame_cache",
            "validation_cache",
            "resize_cache",
            "thumbs"
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,12}",
        "\\PC{0,8}",
    ]
}

/// Any valid config: a profile with random overrides of every field a file can set.
fn valid_config() -> impl Strategy<Value = Config> {
    let base = (
        select(Profile::ALL.to_vec()),
        thresholds(),
        [fraction(), fraction(), fraction()],
        0.0f64..1.0,
        0.0f64..=1.0,
        duration_ms(0),
        duration_ms(1),
        any::<bool>(),
    );
    let rest = (
        prop::collection::vec(select(LEVELS.to_vec()), 0..4),
        duration_ms(0),
        [weight(), weight(), weight(), weight()],
        prop::collection::btree_map(type_name(), 0.0f64..10.0, 0..4),
        0.0f64..10.0,
    );
    (base, rest).prop_filter_map("weights sum above 0", |(base, rest)| {
        let (profile, t, targets, enable_delta, band, cooldown, interval, auto) = base;
        let (levels, alert_cooldown, w, extra_types, default_type) = rest;

        let mut config = Config::profile(profile);
        config.thresholds.warning = t[0];
        config.thresholds.critical = t[1];
        config.thresholds.emergency = t[2];
        config.eviction_targets.warning = targets[0];
        config.eviction_targets.critical = targets[1];
        config.eviction_targets.emergency = targets[2];
        config.hysteresis.enable_delta = enable_delta;
        // The exit band must stay below warning; `band` picks a point of [0, warning).
        config.hysteresis.exit_band = if band == 1.0 {
            DEFAULT_EXIT_BAND.min(t[0] / 2.0)
        } else {
            t[0] * band * 0.999
        };
        config.hysteresis.eviction_cooldown_ms = cooldown;
        config.sample_interval_ms = interval;
        config.auto_eviction = auto;
        config.alerts.levels = levels;
        config.alerts.cooldown_ms = alert_cooldown;
        config.scoring.weights = Weights {
            age: w[0],
            size: w[1],
            access: w[2],
            type_: w[3],
        };
        // A file can change the profile's type priorities and add types, not remove them.
        config.scoring.type_priorities.extend(extra_types);
        config.scoring.default_type_priority = default_type;

        config.validate().ok().map(|()| config)
    })
}

/// Ways to make a config invalid; each is invalid whatever the other fields hold.
#[derive(Debug, Clone)]
enum Corruption {
    Threshold(usize, f64),
    Target(usize, f64),
    Unordered(usize),
    EnableDelta(f64),
    ExitBand(f64),
    ExitBandAtWarning(f64),
    ZeroInterval,
    AlertOnNormal,
    Weight(usize, f64),
    AllWeightsZero,
    WeightsOverflow,
    TypePriority(String, f64),
    DefaultTypePriority(f64),
}

/// A value outside (0, 1]: NaN, infinities, 0, negatives, above 1.
fn not_a_fraction() -> impl Strategy<Value = f64> {
    prop_oneof![
        select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]),
        -1e6f64..=0.0,
        (1.0f64..1e6).prop_filter("above 1", |v| *v > 1.0),
    ]
}

/// A value outside [0, 1).
fn not_a_band() -> impl Strategy<Value = f64> {
    prop_oneof![
        select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0]),
        (-1e6f64..0.0).prop_filter("below 0", |v| *v < 0.0),
        1.0f64..1e6,
    ]
}

/// A value that is not a finite number >= 0.
fn not_non_negative() -> impl Strategy<Value = f64> {
    prop_oneof![
        select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
        (-1e6f64..0.0).prop_filter("below 0", |v| *v < 0.0),
    ]
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        (0..3usize, not_a_fraction()).prop_map(|(i, v)| Corruption::Threshold(i, v)),
        (0..3usize, not_a_fraction()).prop_map(|(i, v)| Corruption::Target(i, v)),
        (0..2usize).prop_map(Corruption::Unordered),
        not_a_band().prop_map(Corruption::EnableDelta),
        not_a_band().prop_map(Corruption::ExitBand),
        (0.0f64..1.0).prop_map(Corruption::ExitBandAtWarning),
        Just(Corruption::ZeroInterval),
        Just(Corruption::AlertOnNormal),
        (0..4usize, not_non_negative()).prop_map(|(i, v)| Corruption::Weight(i, v)),
        Just(Corruption::AllWeightsZero),
        Just(Corruption::WeightsOverflow),
        (type_name(), not_non_negative()).prop_map(|(n, v)| Corruption::TypePriority(n, v)),
        not_non_negative().prop_map(Corruption::DefaultTypePriority),
    ]
}

fn weights_mut(w: &mut Weights) -> [&mut f64; 4] {
    [&mut w.age, &mut w.size, &mut w.access, &mut w.type_]
}

impl Corruption {
    fn apply(&self, config: &mut Config) {
        let t = &mut config.thresholds;
        let thresholds = [&mut t.warning, &mut t.critical, &mut t.emergency];
        match self {
            Corruption::Threshold(i, v) => *thresholds.into_iter().nth(*i).unwrap() = *v,
            Corruption::Target(i, v) => {
                let e = &mut config.eviction_targets;
                *[&mut e.warning, &mut e.critical, &mut e.emergency]
                    .into_iter()
                    .nth(*i)
                    .unwrap() = *v;
            }
            Corruption::Unordered(i) => {
                // The lower of a pair raised to the upper: not strictly increasing.
                let [w, c, e] = thresholds;
                match i {
                    0 => *w = *c,
                    _ => *c = *e,
                }
            }
            Corruption::EnableDelta(v) => config.hysteresis.enable_delta = *v,
            Corruption::ExitBand(v) => config.hysteresis.exit_band = *v,
            Corruption::ExitBandAtWarning(x) => {
                // At or above warning, yet inside [0, 1) when warning allows it.
                let warning = config.thresholds.warning;
                config.hysteresis.exit_band = warning + (1.0 - warning) * x;
            }
            Corruption::ZeroInterval => config.sample_interval_ms = 0,
            Corruption::AlertOnNormal => config.alerts.levels.push(PressureLevel::Normal),
            Corruption::Weight(i, v) => {
                *weights_mut(&mut config.scoring.weights)
                    .into_iter()
                    .nth(*i)
                    .unwrap() = *v;
            }
            Corruption::AllWeightsZero => {
                for w in weights_mut(&mut config.scoring.weights) {
                    *w = 0.0;
                }
            }
            Corruption::WeightsOverflow => {
                for w in weights_mut(&mut config.scoring.weights) {
                    *w = f64::MAX;
                }
            }
            Corruption::TypePriority(name, v) => {
                config.scoring.type_priorities.insert(name.clone(), *v);
            }
            Corruption::DefaultTypePriority(v) => config.scoring.default_type_priority = *v,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Inputs: samples and cache changes
// ---------------------------------------------------------------------------------------

/// One input to a monitor. Times are steps from the previous input's time.
#[derive(Debug, Clone)]
enum Op {
    /// A sample of `usage` (0..=1) of `total` bytes.
    Sample {
        dt: u64,
        usage: f64,
        total: u64,
        throttled: bool,
    },
    /// Registers or resizes cache `id`.
    Set {
        dt: u64,
        id: u8,
        type_index: u8,
        bytes: u64,
        access_count: Option<u64>,
        last_access_back: Option<u64>,
    },
    Touch {
        dt: u64,
        id: u8,
    },
    Remove {
        dt: u64,
        id: u8,
    },
}

const TYPES: [&str; 4] = ["frame_cache", "validation_cache", "resize_cache", "thumbs"];

fn cache_id(id: u8) -> String {
    format!("c{id}")
}

/// A time step: often 0 (inputs at the same millisecond), else short or long.
fn dt() -> impl Strategy<Value = u64> {
    prop_oneof![2 => Just(0u64), 3 => 1..2_000u64, 1 => 2_000..120_000u64]
}

fn cache_bytes() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        3 => 1..4_096u64,
        3 => MIB..512 * MIB,
        1 => select(vec![1, 10 * MIB, 200 * MIB, 1 << 40]),
    ]
}

/// A cache change: register or resize, touch, or remove one of eight caches.
fn cache_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            dt(),
            0..8u8,
            0..4u8,
            cache_bytes(),
            prop::option::of(0..50u64),
            prop::option::of(0..100_000u64),
        )
            .prop_map(|(dt, id, type_index, bytes, access_count, last_access_back)| {
                Op::Set { dt, id, type_index, bytes, access_count, last_access_back }
            }),
        2 => (dt(), 0..8u8).prop_map(|(dt, id)| Op::Touch { dt, id }),
        1 => (dt(), 0..8u8).prop_map(|(dt, id)| Op::Remove { dt, id }),
    ]
}

/// Usage values shaped like real pressure: a random walk, jumps anywhere, or an
/// oscillation around one of the config's thresholds.
fn usages(config: &Config, len: usize) -> impl Strategy<Value = Vec<f64>> + use<> {
    let t = config.thresholds;
    let centres = vec![t.warning, t.critical, t.emergency];
    let walk =
        (0.0f64..=1.0, prop::collection::vec(-0.04f64..0.04, len)).prop_map(|(start, steps)| {
            let mut u = start;
            steps
                .into_iter()
                .map(|s| {
                    u = (u + s).clamp(0.0, 1.0);
                    u
                })
                .collect()
        });
    let jumps = prop::collection::vec(
        prop_oneof![0.0f64..=1.0, select(vec![0.0, 1.0, t.warning, t.emergency])],
        len,
    );
    let oscillation =
        (select(centres), 0.0f64..0.15, 2..12usize).prop_map(move |(centre, amplitude, period)| {
            (0..len)
                .map(|i| {
                    let phase = (i % period) as f64 / period as f64;
                    let triangle = 4.0 * (phase - 0.5).abs() - 1.0;
                    (centre + amplitude * triangle).clamp(0.0, 1.0)
                })
                .collect()
        });
    prop_oneof![walk, jumps, oscillation]
}

/// A total in bytes: mostly one fixed size, sometimes odd or huge ones.
fn total_bytes() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => Just(8u64 << 30),
        1 => 1..1_000u64,
        1 => select(vec![1, 512 * MIB, u64::MAX]),
    ]
}

/// Samples (usage shaped by [`usages`]) interleaved with cache changes.
fn ops(config: &Config) -> impl Strategy<Value = Vec<Op>> + use<> {
    (1..60usize).prop_flat_map({
        let config = config.clone();
        move |len| {
            let samples = (
                usages(&config, len),
                prop::collection::vec((dt(), total_bytes(), prop::bool::weighted(0.05)), len),
            );
            let caches = prop::collection::vec(prop::collection::vec(cache_op(), 0..4), len);
            (samples, caches).prop_map(|((usages, meta), caches)| {
                let mut out = Vec::new();
                for ((usage, (dt, total, throttled)), changes) in
                    usages.into_iter().zip(meta).zip(caches)
                {
                    out.extend(changes);
                    out.push(Op::Sample {
                        dt,
                        usage,
                        total,
                        throttled,
                    });
                }
                out
            })
        }
    })
}

fn sample_at(t_ms: u64, usage: f64, total: u64, throttled: bool) -> Sample {
    let used = ((total as f64 * usage) as u64).min(total);
    let mut sample = Sample::new(t_ms, total, total - used);
    sample.throttled = throttled;
    sample
}

/// The ops as trace records with absolute times.
fn records(ops: &[Op]) -> Vec<Record> {
    let mut t_ms = 0u64;
    ops.iter()
        .filter_map(|op| match *op {
            Op::Sample {
                dt,
                usage,
                total,
                throttled,
            } => {
                t_ms += dt;
                Some(Record::Sample(sample_at(t_ms, usage, total, throttled)))
            }
            Op::Set {
                dt,
                id,
                type_index,
                bytes,
                access_count,
                last_access_back,
            } => {
                t_ms += dt;
                Some(Record::Cache(CacheUpdate {
                    t_ms,
                    id: cache_id(id),
                    change: CacheChange::Set {
                        cache_type: TYPES[type_index as usize].to_string(),
                        bytes,
                        access_count,
                        last_access_ms: last_access_back.map(|back| t_ms.saturating_sub(back)),
                    },
                }))
            }
            // A trace has no touch record: the time still moves on.
            Op::Touch { dt, .. } => {
                t_ms += dt;
                None
            }
            Op::Remove { dt, id } => {
                t_ms += dt;
                Some(Record::Cache(CacheUpdate {
                    t_ms,
                    id: cache_id(id),
                    change: CacheChange::Remove,
                }))
            }
        })
        .collect()
}

/// The trace text of the records, as `mempressure record` would write it.
fn trace_text(records: &[Record]) -> String {
    let mut text = header_line(&TraceHeader::new("proptest", 1_000));
    text.push('\n');
    for record in records {
        let line = match record {
            Record::Sample(sample) => sample_line(sample),
            Record::Cache(update) => {
                let cache = match &update.change {
                    CacheChange::Set {
                        cache_type,
                        bytes,
                        access_count,
                        last_access_ms,
                    } => serde_json::json!({
                        "id": update.id,
                        "type": cache_type,
                        "bytes": bytes,
                        "access_count": access_count,
                        "last_access_ms": last_access_ms,
                    }),
                    _ => serde_json::json!({ "id": update.id, "remove": true }),
                };
                serde_json::json!({ "t_ms": update.t_ms, "cache": cache }).to_string()
            }
            _ => unreachable!("records() makes samples and cache updates only"),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

// ---------------------------------------------------------------------------------------
// A monitor driven by random inputs and random (honest or lying) eviction reports
// ---------------------------------------------------------------------------------------

/// How the caches answer one eviction request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Exact,
    Half,
    Nothing,
    Double,
    Omitted,
    Failed,
}

/// What happens between a plan and its report.
#[derive(Debug, Clone)]
struct Reporting {
    answers: Vec<Answer>,
    /// Caches removed before the report comes back (by index into the plan's requests).
    removed_while_evicting: Vec<usize>,
    /// A cache (by id) that reports bytes it was not asked for, with the bytes.
    volunteer: Option<(u8, u64)>,
    /// A cache registered while the plan runs.
    registered_while_evicting: Option<(u8, u64)>,
}

fn reporting() -> impl Strategy<Value = Reporting> {
    let answer = prop_oneof![
        6 => Just(Answer::Exact),
        1 => Just(Answer::Half),
        1 => Just(Answer::Nothing),
        1 => Just(Answer::Double),
        1 => Just(Answer::Omitted),
        1 => Just(Answer::Failed),
    ];
    (
        prop::collection::vec(answer, 1..6),
        prop::collection::vec(0..4usize, 0..2),
        prop::option::weighted(0.2, (0..8u8, cache_bytes())),
        prop::option::weighted(0.2, (0..8u8, cache_bytes())),
    )
        .prop_map(
            |(answers, removed_while_evicting, volunteer, registered_while_evicting)| Reporting {
                answers,
                removed_while_evicting,
                volunteer,
                registered_while_evicting,
            },
        )
}

/// A plan with the registry as it was when the plan was handed out.
struct PlanSeen {
    plan: EvictionPlan,
    caches: CacheRegistry,
    level: PressureLevel,
    /// True for the first plan of a check, false for a follow-up for a shortfall.
    first_of_check: bool,
    /// Caches asked or reported on in earlier rounds of the same check.
    asked_before: BTreeSet<SmolStr>,
}

/// Everything a run produced.
#[derive(Default)]
struct Run {
    plans: Vec<PlanSeen>,
    events: Vec<Event>,
}

/// Drives a monitor through `ops`, answering plans as `reportings` say (cyclically).
fn drive(config: &Config, ops: &[Op], reportings: &[Reporting]) -> Run {
    let mut monitor = PressureMonitor::new(config.clone()).unwrap();
    let mut run = Run::default();
    let mut reports = reportings.iter().cycle();
    let mut t_ms = 0u64;

    for op in ops {
        match *op {
            Op::Sample {
                dt,
                usage,
                total,
                throttled,
            } => {
                t_ms += dt;
                monitor
                    .handle_sample(sample_at(t_ms, usage, total, throttled))
                    .unwrap();
                let reporting = reports.next();
                drain(&mut monitor, &mut run, t_ms, reporting);
            }
            Op::Set {
                dt,
                id,
                type_index,
                bytes,
                access_count,
                last_access_back,
            } => {
                t_ms += dt;
                let mut entry =
                    CacheEntry::new(&cache_id(id), TYPES[type_index as usize], bytes, t_ms);
                entry.access_count = access_count.unwrap_or(0);
                entry.last_access_ms = t_ms.saturating_sub(last_access_back.unwrap_or(0));
                monitor.register_cache(t_ms, entry).unwrap();
            }
            Op::Touch { dt, id } => {
                t_ms += dt;
                monitor.touch_cache(t_ms, &cache_id(id)).unwrap();
            }
            Op::Remove { dt, id } => {
                t_ms += dt;
                monitor.remove_cache(t_ms, &cache_id(id)).unwrap();
            }
        }
    }
    run
}

/// Drains the monitor's events, running each plan the way `reporting` says.
fn drain(monitor: &mut PressureMonitor, run: &mut Run, t_ms: u64, reporting: Option<&Reporting>) {
    let mut first_of_check = true;
    let mut asked_before = BTreeSet::new();
    while let Some(event) = monitor.poll_event() {
        let Event::EvictionPlanned(plan) = &event else {
            run.events.push(event);
            continue;
        };
        run.plans.push(PlanSeen {
            plan: plan.clone(),
            caches: monitor.caches().clone(),
            level: monitor.level(),
            first_of_check,
            asked_before: asked_before.clone(),
        });
        first_of_check = false;

        let reporting = reporting.expect("a plan comes from a sample, which draws a reporting");
        let report = run_plan(monitor, plan, reporting, t_ms);
        asked_before.extend(plan.requests.iter().map(|r| r.cache.clone()));
        asked_before.extend(report.outcomes.iter().map(|o| o.cache.clone()));
        monitor.handle_eviction_report(report).unwrap();
    }
}

/// Runs a plan as `reporting` says and returns the (possibly lying) report.
fn run_plan(
    monitor: &mut PressureMonitor,
    plan: &EvictionPlan,
    reporting: &Reporting,
    t_ms: u64,
) -> EvictionReport {
    for &i in &reporting.removed_while_evicting {
        if let Some(request) = plan.requests.get(i) {
            monitor.remove_cache(t_ms, &request.cache).unwrap();
        }
    }
    if let Some((id, bytes)) = reporting.registered_while_evicting {
        let entry = CacheEntry::new(&format!("new{id}"), TYPES[1], bytes, t_ms);
        monitor.register_cache(t_ms, entry).unwrap();
    }

    let mut outcomes = Vec::new();
    for (request, answer) in plan.requests.iter().zip(reporting.answers.iter().cycle()) {
        let (freed_bytes, error) = match answer {
            Answer::Exact => (request.bytes, None),
            Answer::Half => (request.bytes / 2, None),
            Answer::Nothing => (0, None),
            Answer::Double => (request.bytes.saturating_mul(2), None),
            Answer::Omitted => continue,
            Answer::Failed => (
                request.bytes / 3,
                Some("evict callback panicked".to_string()),
            ),
        };
        outcomes.push(EvictionOutcome {
            cache: request.cache.clone(),
            freed_bytes,
            error,
        });
    }
    if let Some((id, bytes)) = reporting.volunteer {
        outcomes.push(EvictionOutcome {
            cache: cache_id(id).into(),
            freed_bytes: bytes,
            error: None,
        });
    }
    EvictionReport {
        plan_id: plan.id,
        outcomes,
    }
}

fn evictions(events: &[Event]) -> impl Iterator<Item = &mempressure_core::Eviction> {
    events.iter().filter_map(|e| match e {
        Event::Evict(e) => Some(e),
        _ => None,
    })
}

/// README rule 3, written out again: `max(cache_bytes × fraction, min(10 MiB, 5 % of
/// cache_bytes))`, never more than the caches hold.
fn readme_target(cache_bytes: u64, fraction: f64) -> u64 {
    let by_fraction = (cache_bytes as f64 * fraction) as u64;
    let five_percent = cache_bytes / 20;
    by_fraction
        .max((10 * MIB).min(five_percent))
        .min(cache_bytes)
}

/// README rule 4, written out again: every cache holding bytes scored with the formula,
/// sorted by score (highest first) then id, asked in turn for what is still needed.
fn naive_plan(
    scoring: &Scoring,
    caches: &[CacheEntry],
    now_ms: u64,
    target: u64,
) -> Vec<(SmolStr, u64)> {
    let candidates: Vec<&CacheEntry> = caches.iter().filter(|c| c.bytes > 0).collect();
    let age = |c: &CacheEntry| now_ms.saturating_sub(c.last_access_ms) as f64;
    let max_of =
        |f: &dyn Fn(&CacheEntry) -> f64| candidates.iter().map(|c| f(c)).fold(0.0f64, f64::max);
    let max_age = max_of(&age);
    let max_bytes = max_of(&|c| c.bytes as f64);
    let max_count = max_of(&|c| c.access_count as f64);
    let max_type = max_of(&|c| scoring.type_priority(&c.cache_type));
    // The formula of the module docs of `priority`, written out: reciprocals of the maxima,
    // weights divided by their sum.
    let inverse = |max: f64| if max > 0.0 { 1.0 / max } else { 0.0 };
    let (i_age, i_bytes, i_count) = (inverse(max_age), inverse(max_bytes), inverse(max_count));

    let w = &scoring.weights;
    let sum = w.age + w.size + w.access + w.type_;
    let mut scored: Vec<(f64, &CacheEntry)> = candidates
        .iter()
        .map(|c| {
            let age_f = age(c) * i_age;
            let size_f = c.bytes as f64 * i_bytes;
            let access_f = if max_count > 0.0 {
                (1.0 - c.access_count as f64 * i_count).max(0.0)
            } else {
                0.0
            };
            let type_f = if max_type > 0.0 {
                scoring.type_priority(&c.cache_type) / max_type
            } else {
                0.0
            };
            let score = w.age / sum * age_f
                + w.size / sum * size_f
                + w.access / sum * access_f
                + w.type_ / sum * type_f;
            (score, *c)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));

    let mut remaining = target;
    let mut plan = Vec::new();
    for (_, cache) in scored {
        if remaining == 0 {
            break;
        }
        let bytes = cache.bytes.min(remaining);
        plan.push((cache.id.clone(), bytes));
        remaining -= bytes;
    }
    plan
}

fn config_and_ops() -> impl Strategy<Value = (Config, Vec<Op>)> {
    valid_config().prop_flat_map(|config| {
        let ops = ops(&config);
        (Just(config), ops)
    })
}

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    /// The level is a function of the history only: the same records give the same
    /// decision log, replayed twice, and the same events fed twice to fresh monitors.
    #[test]
    fn the_same_records_give_the_same_decisions(
        (config, ops) in config_and_ops(),
        backwards in prop::option::weighted(0.1, (any::<prop::sample::Index>(), 1..1_000u64)),
    ) {
        let mut records = records(&ops);
        // Sometimes a time goes backwards: both runs must then fail alike.
        if let Some((index, back)) = backwards {
            let i = index.index(records.len());
            let t = records[i].t_ms().saturating_sub(back);
            match &mut records[i] {
                Record::Sample(s) => s.t_ms = t,
                Record::Cache(c) => c.t_ms = t,
                _ => unreachable!(),
            }
        }
        let text = trace_text(&records);

        let first = replay_to_log(&text, &config);
        let second = replay_to_log(&text, &config);
        prop_assert_eq!(&first, &second);

        let feed = || {
            let mut replayer = Replayer::new(config.clone()).unwrap();
            let mut events = Vec::new();
            let fed: Result<(), _> = records.iter().try_for_each(|r| replayer.feed(r, &mut events));
            (fed, events, replayer.monitor().status())
        };
        let (fed_a, events_a, status_a) = feed();
        let (fed_b, events_b, status_b) = feed();
        prop_assert_eq!(&fed_a, &fed_b);
        prop_assert_eq!(&events_a, &events_b);
        prop_assert_eq!(status_a, status_b);

        // The parsed trace replays to the very events the records gave.
        if fed_a.is_ok() {
            prop_assert_eq!(replay(&text, &config).unwrap(), events_a);
        } else {
            prop_assert!(first.is_err());
        }
    }

    /// The level never skips hysteresis: usage that stays within a band narrower than the
    /// exit band around a threshold changes the level at most once after the first sample,
    /// and only upwards, however often it crosses the threshold.
    #[test]
    fn inside_the_exit_band_the_level_changes_at_most_once(
        config in valid_config(),
        level_index in 0..3usize,
        narrowing in 0.0f64..0.9,
        steps in prop::collection::vec((any::<prop::sample::Index>(), dt()), 2..80),
    ) {
        let t = config.thresholds;
        let thresholds = [0.0, t.warning, t.critical, t.emergency, f64::INFINITY];
        let (lower, threshold, upper) = (
            thresholds[level_index],
            thresholds[level_index + 1],
            thresholds[level_index + 2],
        );
        // The band: narrower than the exit band, inside the neighbouring thresholds.
        let band = config.hysteresis.exit_band.min(threshold - lower).min(upper - threshold)
            * narrowing;

        let total: u64 = 1 << 40;
        let low = ((threshold - band) * total as f64).ceil() as u64;
        let high = (((threshold + band) * total as f64).floor() as u64).clamp(low, total);

        let mut monitor = PressureMonitor::new(config.clone()).unwrap();
        let mut t_ms = 0;
        let mut levels = Vec::new();
        let mut crossings = 0;
        let mut above_before = None;
        for (index, dt) in &steps {
            t_ms += dt;
            let used = low + index.index((high - low + 1) as usize) as u64;
            let sample = Sample::new(t_ms, total, total - used);
            let usage = sample.usage();
            prop_assert!(usage >= lower && usage < upper && usage >= threshold - band - 1e-12);

            let above = usage >= threshold;
            crossings += usize::from(above_before.is_some_and(|b| b != above));
            above_before = Some(above);

            monitor.handle_sample(sample).unwrap();
            while let Some(event) = monitor.poll_event() {
                if let Event::EvictionPlanned(plan) = event {
                    let report = mempressure_core::simulate_eviction(&plan);
                    monitor.handle_eviction_report(report).unwrap();
                }
            }
            levels.push(monitor.level());
        }

        let changes: Vec<_> = levels
            .windows(2)
            .filter(|w| w[0] != w[1])
            .map(|w| (w[0], w[1]))
            .collect();
        prop_assert!(changes.len() <= 1,
            "{} changes over {} crossings: {:?}", changes.len(), crossings, changes);
        for (from, to) in changes {
            prop_assert!(to > from, "left {from} inside the exit band");
        }
    }

    /// No eviction within the cooldown unless the level escalated past the last
    /// eviction's level (dry runs included: they count as evictions).
    #[test]
    fn no_eviction_within_the_cooldown_unless_the_level_rose(
        (config, ops) in config_and_ops(),
        reportings in prop::collection::vec(reporting(), 1..4),
    ) {
        let run = drive(&config, &ops, &reportings);
        let cooldown = config.hysteresis.eviction_cooldown_ms;
        let evictions: Vec<_> = evictions(&run.events).collect();
        for pair in evictions.windows(2) {
            let (last, next) = (pair[0], pair[1]);
            prop_assert!(
                next.t_ms - last.t_ms >= cooldown || next.level > last.level,
                "eviction at {} ({}) only {} ms after one at {} ({}), cooldown {cooldown}",
                next.t_ms, next.level, next.t_ms - last.t_ms, last.t_ms, last.level,
            );
        }
    }

    /// An eviction plan never asks a cache for more than it holds, never names a removed
    /// (or already asked) cache, and its requests sum to the target, or to everything the
    /// caches hold when that is less. The first plan of a check has the README's target.
    #[test]
    fn plans_ask_for_the_target_from_caches_that_hold_it(
        (config, ops) in config_and_ops(),
        reportings in prop::collection::vec(reporting(), 1..4),
    ) {
        let run = drive(&config, &ops, &reportings);
        for seen in &run.plans {
            let plan = &seen.plan;
            let mut named = BTreeSet::new();
            for request in &plan.requests {
                let held = seen.caches.get(&request.cache).map(|c| c.bytes);
                prop_assert!(held.is_some(),
                    "plan {} names {}, not registered", plan.id, request.cache);
                prop_assert!(request.bytes > 0 && request.bytes <= held.unwrap_or(0),
                    "plan {} asks {} for {} of {:?}", plan.id, request.cache, request.bytes, held);
                prop_assert!(named.insert(&request.cache),
                    "plan {} names {} twice", plan.id, request.cache);
                prop_assert!(!seen.asked_before.contains(&request.cache),
                    "plan {} asks {} again in the same check", plan.id, request.cache);
            }

            let available: u64 = seen
                .caches
                .iter()
                .filter(|c| !seen.asked_before.contains(&c.id))
                .map(|c| c.bytes)
                .sum();
            let asked: u64 = plan.requests.iter().map(|r| r.bytes).sum();
            prop_assert_eq!(asked, plan.target_bytes.min(available), "plan {:?}", plan);

            if seen.first_of_check {
                let fraction = config.eviction_targets.for_level(plan.level).unwrap();
                let expected = readme_target(seen.caches.total_bytes(), fraction);
                prop_assert_eq!(plan.target_bytes, expected);
                prop_assert_eq!(plan.level, seen.level);
            } else {
                prop_assert!(plan.target_bytes > 0);
            }
        }

        // Each check's follow-up plans ask for less than the check's first target.
        let mut first_target = 0;
        for seen in &run.plans {
            if seen.first_of_check {
                first_target = seen.plan.target_bytes;
            } else {
                prop_assert!(seen.plan.target_bytes <= first_target);
            }
        }
    }

    /// Candidates are ordered by score, ties broken by id: `plan_requests` asks exactly
    /// what a naive reimplementation of README rules 4 and 5 asks, and ignores the caches
    /// already asked. Removals move caches in the registry's dense storage, so its order is
    /// not the id order.
    #[test]
    fn plans_follow_the_score_then_the_id(
        config in valid_config(),
        removed in prop::collection::vec(0..48u8, 0..12),
        asked in prop::collection::vec(0..48u8, 0..6),
        caches in prop::collection::vec(
            (
                0..48u8,
                0..5usize,
                prop_oneof![select(vec![0u64, 1, 10, 100, MIB]), 0..u64::from(u32::MAX)],
                prop_oneof![select(vec![0u64, 1, 5]), 0..1_000u64],
                prop_oneof![select(vec![0u64, 500, 1_000]), 0..2_000u64],
            ),
            0..40,
        ),
        now_ms in prop_oneof![Just(1_000u64), 0..2_000u64],
        target_share in prop_oneof![Just(0.0f64), Just(1.0), Just(1.5), 0.0f64..1.2],
    ) {
        let types = ["frame_cache", "validation_cache", "resize_cache", "thumbs", "other"];
        let mut registry = CacheRegistry::default();
        for (id, type_index, bytes, access_count, last_access_ms) in caches {
            registry.upsert(CacheEntry {
                id: format!("c{id:02}").into(),
                cache_type: types[type_index].to_string(),
                bytes,
                access_count,
                last_access_ms,
            });
        }
        for id in &removed {
            registry.remove(&format!("c{id:02}"));
        }
        let asked: Vec<String> = asked.iter().map(|id| format!("c{id:02}")).collect();
        let asked: BTreeSet<&str> = asked.iter().map(String::as_str).collect();
        let entries: Vec<CacheEntry> = registry
            .iter()
            .filter(|c| !asked.contains(c.id.as_str()))
            .cloned()
            .collect();
        let target = (registry.total_bytes() as f64 * target_share) as u64;

        let planned: Vec<(SmolStr, u64)> =
            plan_requests(&config.scoring, &registry, &asked, now_ms, target)
                .into_iter()
                .map(|r| (r.cache, r.bytes))
                .collect();
        let naive = naive_plan(&config.scoring, &entries, now_ms, target);
        prop_assert_eq!(planned, naive);
    }

    /// Every valid config survives a TOML and a JSON round trip unchanged.
    #[test]
    fn valid_configs_round_trip(config in valid_config()) {
        let toml = config.to_toml_string();
        prop_assert_eq!(&Config::from_toml_str(&toml).unwrap(), &config, "TOML:\n{}", toml);
        let json = serde_json::to_string(&config).unwrap();
        prop_assert_eq!(&Config::from_json_str(&json).unwrap(), &config, "JSON: {}", json);
    }

    /// Every invalid config (out-of-range, NaN, unordered values) gets an error, never a
    /// panic: from `validate`, from a monitor, and read back from TOML and JSON.
    #[test]
    fn invalid_configs_are_errors(
        config in valid_config(),
        corruptions in prop::collection::vec(corruption(), 1..4),
    ) {
        let mut config = config;
        for corruption in &corruptions {
            corruption.apply(&mut config);
        }
        prop_assert!(config.validate().is_err(), "{:?} left {:?} valid", corruptions, config);
        prop_assert!(PressureMonitor::new(config.clone()).is_err());

        let toml = config.to_toml_string();
        prop_assert!(Config::from_toml_str(&toml).is_err(), "TOML:\n{}", toml);
        // JSON has no NaN or infinity: serde_json writes them as `null`, which a config
        // refuses (never "not set"). `1e999`, a number past f64, is refused as well.
        let json = serde_json::to_string(&config).unwrap();
        prop_assert!(Config::from_json_str(&json).is_err(), "JSON: {}", json);
        let json = json.replace("null", "1e999");
        prop_assert!(Config::from_json_str(&json).is_err(), "JSON: {}", json);
    }
}

/// The generators reach what the properties are about; a property over inputs that never
/// evict or never change level would pass vacuously.
#[test]
fn the_generators_reach_evictions_shortfalls_and_level_changes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (config_and_ops(), prop::collection::vec(reporting(), 1..4));
    let (mut plans, mut follow_ups, mut levels, mut dry_runs) = (0, 0, 0, 0);
    let mut per_level = BTreeMap::new();
    for _ in 0..200 {
        let ((config, ops), reportings) = strategy.new_tree(&mut runner).unwrap().current();
        let run = drive(&config, &ops, &reportings);
        plans += run.plans.len();
        follow_ups += run.plans.iter().filter(|p| !p.first_of_check).count();
        for event in &run.events {
            match event {
                Event::Level(change) => {
                    levels += 1;
                    *per_level.entry(change.to).or_insert(0) += 1;
                }
                Event::Evict(e) if e.dry_run => dry_runs += 1,
                _ => {}
            }
        }
    }
    assert!(plans > 100, "{plans} plans");
    assert!(follow_ups > 10, "{follow_ups} follow-up plans");
    assert!(levels > 200, "{levels} level changes");
    assert!(dry_runs > 10, "{dry_runs} dry runs");
    assert_eq!(per_level.len(), 4, "{per_level:?}");
}
