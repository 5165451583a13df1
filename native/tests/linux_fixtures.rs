//! Fixture trees laid out like a real root, read through `read_memory`, the same code
//! path as the live reader.
//!
//! `tests/fixtures/linux/case-*` come from the shared cases (their `expected.json`
//! and `README.md` copied verbatim, `FIXTURE.md` saying what was added);
//! `own-*` are ours, with the whole expected reading in `expected.json`.
#![cfg(target_os = "linux")]

use std::fs;
use std::path::{Path, PathBuf};

use mempressure_native::linux::{
    AvailableEstimate, LimitSource, LinuxReadError, LinuxReading, ParseError, ReadingFlag,
    parse_meminfo, read_memory,
};
use serde_json::Value;

const KIB: u64 = 1024;

/// Expected fractions are rounded to three or four places.
const FRACTION_TOLERANCE: f64 = 0.0005;

const CASE_01_VARIANTS: &[&str] = &[
    "case-01-cgroup-unlimited-sentinel-a-v1-4k-pages",
    "case-01-cgroup-unlimited-sentinel-b-v1-old-kernel-3.10",
    "case-01-cgroup-unlimited-sentinel-c-v1-64k-pages",
    "case-01-cgroup-unlimited-sentinel-d-v2-max",
    "case-01-cgroup-unlimited-sentinel-e-v2-finite-above-host",
];

const OTHER_CASES: &[&str] = &[
    "case-02-cgroup-v2-container-limit",
    "case-04-page-cache-counted-as-used",
    "case-06-memavailable-missing",
    "case-08-free-instead-of-available",
    "case-09-units-kib-vs-bytes",
];

const OWN_FIXTURES: &[&str] = &[
    "own-cgroup-usage-above-host",
    "own-garbage-meminfo",
    "own-memtotal-huge",
    "own-memtotal-zero",
    "own-v1-ancestor-hierarchical-limit",
    "own-v1-container-without-cgroupns",
    "own-v1-limit-above-visible",
    "own-v1-live-like-no-limit",
    "own-v2-garbage-limit",
    "own-v2-host-tighter-than-cgroup",
    "own-v2-limit-without-usage-files",
    "own-v2-memory-high-cache-only",
    "own-v2-memory-high-throttled",
    "own-v2-nested-ancestor-limit",
    "own-wsl1-memavailable-zero",
    "own-zfs-arc-reclaimable",
];

// --- shared cases ---------------------------------------------------------------

#[test]
fn case_01_no_limit_values_mean_the_host_total() {
    for name in CASE_01_VARIANTS {
        let want = &expected(name)["applies_to_every_variant"];

        let reading = read(name);

        assert_eq!(
            reading.total_bytes,
            u64_at(want, "effective_total_bytes"),
            "{name}"
        );
        assert_eq!(reading.source, LimitSource::Host, "{name}");
        assert_eq!(reading.cgroup_path, None, "{name}");
        assert_eq!(want["cgroup_limit_applied"], false);
        assert_fraction(usage(&reading), f64_at(want, "usage_fraction"), name);
        assert_eq!(level_of(&reading), str_at(want, "level"), "{name}");
        assert_eq!(reading.flags, [], "{name}");
    }
}

#[test]
fn case_02_v2_container_limit_and_working_set() {
    let name = "case-02-cgroup-v2-container-limit";
    let want = &expected(name)["expected"];

    let reading = read(name);

    assert_eq!(reading.total_bytes, u64_at(want, "effective_total_bytes"));
    assert_eq!(used(&reading), u64_at(want, "used_bytes"));
    assert_eq!(reading.available_bytes, u64_at(want, "available_bytes"));
    assert_fraction(usage(&reading), f64_at(want, "usage_fraction"), name);
    assert_eq!(level_of(&reading), str_at(want, "level"));
    assert_eq!(want["cgroup_limit_applied"], true);
    assert_eq!(reading.source, LimitSource::CgroupV2);
    assert_eq!(reading.cgroup_path.as_deref(), Some("/"));
}

#[test]
fn case_04_page_cache_is_not_used_memory() {
    let name = "case-04-page-cache-counted-as-used";
    let want = &expected(name)["expected"];

    let reading = read(name);

    assert_eq!(used(&reading), u64_at(want, "used_bytes"));
    assert_fraction(usage(&reading), f64_at(want, "usage_fraction"), name);
    assert_eq!(level_of(&reading), str_at(want, "level"));
    assert_eq!(reading.source, LimitSource::CgroupV2);
}

#[test]
fn case_06_missing_mem_available_is_estimated() {
    let name = "case-06-memavailable-missing";
    let want = &expected(name)["expected"];

    let reading = read(name);

    assert_eq!(want["returns_error"], false);
    let [low_kib, high_kib] = pair(&want["available_kib_range"]);
    let available_kib = reading.available_bytes / KIB;
    assert!(
        (low_kib as u64..=high_kib as u64).contains(&available_kib),
        "{available_kib} KiB"
    );
    let [low, high] = pair(&want["usage_fraction_range"]);
    let fraction = usage(&reading);
    assert!(
        fraction >= low - FRACTION_TOLERANCE && fraction <= high + FRACTION_TOLERANCE,
        "{fraction}"
    );
    assert_eq!(level_of(&reading), str_at(want, "level"));
    assert!(reading.estimated);
    assert_eq!(
        reading.flags[0],
        ReadingFlag::MemAvailableMissing {
            estimate: AvailableEstimate::KernelFormula
        }
    );
    assert!(matches!(
        reading.flags[1],
        ReadingFlag::CgroupMembershipUnreadable { .. }
    ));
}

#[test]
fn case_08_available_is_mem_available_not_mem_free() {
    let name = "case-08-free-instead-of-available";
    let want = &expected(name)["expected"];

    let reading = read(name);

    assert_eq!(reading.available_bytes, u64_at(want, "available_bytes"));
    assert_eq!(reading.total_bytes, u64_at(want, "total_bytes"));
    assert_fraction(usage(&reading), f64_at(want, "usage_fraction"), name);
    assert_eq!(level_of(&reading), str_at(want, "level"));
    assert_eq!(reading.source, LimitSource::Host);
    assert!(!reading.estimated);
    assert_eq!(reading.flags, []);
}

#[test]
fn case_09_kb_is_kib_and_totals_are_sane() {
    let name = "case-09-units-kib-vs-bytes";
    let want = &expected(name)["expected"];

    let reading = read(name);

    assert_eq!(reading.total_bytes, u64_at(want, "total_bytes"));
    assert_eq!(reading.available_bytes, u64_at(want, "available_bytes"));
    assert_fraction(usage(&reading), f64_at(want, "usage_fraction"), name);
    assert_eq!(level_of(&reading), str_at(want, "level"));
    assert!((16 * KIB * KIB..=1 << 50).contains(&reading.total_bytes));
    assert!(reading.available_bytes <= reading.total_bytes);
    assert_eq!(reading.source, LimitSource::Host);
    assert_eq!(reading.flags, []);
}

#[test]
fn case_09_second_host_total_and_no_invented_available() {
    let name = "case-09-units-kib-vs-bytes";
    let want = &expected(name)["expected"];
    let root = fixture(name).join("second_host");
    let meminfo_path = root.join("proc/meminfo");

    let meminfo = parse_meminfo(&fs::read_to_string(&meminfo_path).unwrap()).unwrap();
    let result = read_memory(&root);

    assert_eq!(meminfo.total_bytes, u64_at(want, "second_host_total_bytes"));
    // Only MemTotal is known: available memory must not be made up.
    match result {
        Err(LinuxReadError::Parse { path, source }) => {
            assert_eq!(path, meminfo_path);
            assert_eq!(source, ParseError::CannotEstimateAvailable);
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

// --- own fixtures, one per rule ----------------------------------------------------

#[test]
fn rule_1_v1_unlimited_on_every_level_of_a_hybrid_host() {
    check_own("own-v1-live-like-no-limit");
}

#[test]
fn rule_2_v1_ancestor_limit_measured_at_the_pod() {
    check_own("own-v1-ancestor-hierarchical-limit");
}

#[test]
fn rule_2_v2_parent_slice_limit_wins_over_larger_own_limit() {
    check_own("own-v2-nested-ancestor-limit");
}

#[test]
fn rule_2_v1_container_without_cgroup_namespace() {
    check_own("own-v1-container-without-cgroupns");
}

#[test]
fn rule_2_v1_limit_set_above_the_visible_cgroups() {
    check_own("own-v1-limit-above-visible");
}

#[test]
fn rule_4_wsl1_mem_available_zero_is_estimated() {
    check_own("own-wsl1-memavailable-zero");
}

#[test]
fn rule_5_cgroup_usage_above_host_falls_back_to_host() {
    check_own("own-cgroup-usage-above-host");
}

#[test]
fn rule_6_garbage_meminfo_is_a_clear_error() {
    check_own("own-garbage-meminfo");
}

#[test]
fn rule_6_huge_mem_total_is_rejected() {
    check_own("own-memtotal-huge");
}

#[test]
fn rule_6_zero_mem_total_is_rejected() {
    check_own("own-memtotal-zero");
}

#[test]
fn rule_7_working_set_above_memory_high_is_never_normal() {
    check_own("own-v2-memory-high-throttled");
}

#[test]
fn rule_7_page_cache_above_memory_high_is_not_throttling() {
    check_own("own-v2-memory-high-cache-only");
}

#[test]
fn rule_8_zfs_arc_above_minimum_is_available() {
    check_own("own-zfs-arc-reclaimable");
}

#[test]
fn garbage_limit_file_is_an_error_not_no_limit() {
    check_own("own-v2-garbage-limit");
}

#[test]
fn limit_without_usage_files_is_an_error_not_the_host() {
    check_own("own-v2-limit-without-usage-files");
}

#[test]
fn host_with_less_available_caps_the_cgroup() {
    check_own("own-v2-host-tighter-than-cgroup");
}

#[test]
fn every_fixture_tree_is_tested() {
    let mut on_disk: Vec<String> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();

    let mut tested: Vec<String> = [CASE_01_VARIANTS, OTHER_CASES, OWN_FIXTURES]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect();
    tested.sort();

    assert_eq!(on_disk, tested);
}

// --- helpers -----------------------------------------------------------------------

/// Checks an `own-*` fixture against its `expected.json`: the whole reading with
/// its usage and level, or the pieces its error message must contain.
fn check_own(name: &str) {
    let root = fixture(name);
    let want = &expected(name)["expected"];

    let result = read_memory(&root);

    if let Some(pieces) = want["error_contains"].as_array() {
        let message = match result {
            Err(error) => error.to_string(),
            Ok(reading) => panic!("{name}: expected an error, got {reading:?}"),
        };
        for piece in pieces {
            let piece = piece.as_str().unwrap();
            assert!(
                message.contains(piece),
                "{name}: {message:?} lacks {piece:?}"
            );
        }
        return;
    }

    let reading = result.unwrap_or_else(|error| panic!("{name}: {error}"));
    let mut want_reading = want["reading"].clone();
    replace_root(&mut want_reading, &root);
    assert_eq!(
        serde_json::to_value(&reading).unwrap(),
        want_reading,
        "{name}"
    );
    assert_fraction(usage(&reading), f64_at(want, "usage_fraction"), name);
    assert_eq!(level_of(&reading), str_at(want, "level"), "{name}");
}

/// The pressure level from the default thresholds (warning 0.70, critical 0.80,
/// emergency 0.95), raised from normal to warning at or above `memory.high`. A
/// stand-in for the core, which owns the real rule.
fn level_of(reading: &LinuxReading) -> &'static str {
    let fraction = usage(reading);
    let by_usage = match fraction {
        f if f >= 0.95 => "emergency",
        f if f >= 0.80 => "critical",
        f if f >= 0.70 => "warning",
        _ => "normal",
    };

    if by_usage == "normal" && reading.at_or_above_memory_high {
        "warning"
    } else {
        by_usage
    }
}

fn usage(reading: &LinuxReading) -> f64 {
    1.0 - reading.available_bytes as f64 / reading.total_bytes as f64
}

fn used(reading: &LinuxReading) -> u64 {
    reading.total_bytes - reading.available_bytes
}

fn assert_fraction(actual: f64, expected: f64, name: &str) {
    assert!(
        (actual - expected).abs() <= FRACTION_TOLERANCE,
        "{name}: usage {actual} is not {expected}"
    );
}

fn read(name: &str) -> LinuxReading {
    read_memory(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux")
}

fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

fn expected(name: &str) -> Value {
    let text = fs::read_to_string(fixture(name).join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Paths in flags are full paths under the root; `expected.json` writes `{root}`.
fn replace_root(value: &mut Value, root: &Path) {
    match value {
        Value::String(text) => *text = text.replace("{root}", &root.display().to_string()),
        Value::Array(items) => items.iter_mut().for_each(|item| replace_root(item, root)),
        Value::Object(map) => map.values_mut().for_each(|item| replace_root(item, root)),
        _ => {}
    }
}

fn u64_at(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no integer {key}"))
}

fn f64_at(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number {key}"))
}

fn str_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key}"))
}

fn pair(value: &Value) -> [f64; 2] {
    [value[0].as_f64().unwrap(), value[1].as_f64().unwrap()]
}
