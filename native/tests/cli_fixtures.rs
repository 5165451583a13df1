//! Every Linux fixture tree through `mempressure status --json --root DIR`: the shared
//! cases give their expected reading and level through the binary, with the real core
//! deciding the level, and the `own-*` trees give their whole expected reading.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const FRACTION_TOLERANCE: f64 = 0.0005;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux")
}

/// Runs `status --json --root DIR`: exit code, stdout parsed (when it is JSON), stderr.
fn status(root: &Path) -> (Option<i32>, Option<Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mempressure"))
        .args(["status", "--json", "--root", root.to_str().unwrap()])
        .env("MEMPRESSURE_LOG", "off")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (
        output.status.code(),
        serde_json::from_str(&stdout).ok(),
        stderr,
    )
}

fn expected(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= FRACTION_TOLERANCE
}

/// Checks the fields a shared case's `expected.json` names against the status object.
fn check_case_fields(name: &str, want: &Value, got: &Value) {
    let total = got["total_bytes"].as_u64().unwrap();
    let available = got["available_bytes"].as_u64().unwrap();
    let usage = got["usage"].as_f64().unwrap();

    for key in ["effective_total_bytes", "total_bytes"] {
        if let Some(t) = want[key].as_u64() {
            assert_eq!(total, t, "{name}: {key}");
        }
    }
    if let Some(a) = want["available_bytes"].as_u64() {
        assert_eq!(available, a, "{name}: available_bytes");
    }
    if let Some(u) = want["used_bytes"].as_u64() {
        assert_eq!(total - available, u, "{name}: used_bytes");
    }
    if let Some(f) = want["usage_fraction"].as_f64() {
        assert!(close(usage, f), "{name}: usage {usage} is not {f}");
    }
    if let Some(range) = want["usage_fraction_range"].as_array() {
        let (low, high) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
        assert!(
            usage >= low - FRACTION_TOLERANCE && usage <= high + FRACTION_TOLERANCE,
            "{name}: {usage}"
        );
    }
    if let Some(range) = want["available_kib_range"].as_array() {
        let kib = available / 1024;
        assert!(
            kib >= range[0].as_u64().unwrap() && kib <= range[1].as_u64().unwrap(),
            "{name}: {kib} KiB"
        );
    }
    if let Some(applied) = want["cgroup_limit_applied"].as_bool() {
        assert_eq!(
            got["source"] != "host",
            applied,
            "{name}: source {}",
            got["source"]
        );
    }
    assert_eq!(got["level"], want["level"], "{name}: level");
}

#[test]
fn every_shared_case_gives_its_expected_reading_through_the_binary() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("case-") {
            continue;
        }

        let want = expected(&dir);
        let want = want
            .get("applies_to_every_variant")
            .unwrap_or(&want["expected"]);
        let (code, got, stderr) = status(&dir);
        assert_eq!(code, Some(0), "{name}: {stderr}");
        check_case_fields(&name, want, &got.unwrap());
        checked += 1;
    }
    assert_eq!(
        checked, 10,
        "five case-01 variants and cases 02, 04, 06, 08, 09"
    );
}

#[test]
fn case_09_second_host_has_the_right_total_or_a_clear_error() {
    let dir = fixtures_dir().join("case-09-units-kib-vs-bytes/second_host");
    let (code, _, stderr) = status(&dir);
    // Only MemTotal is given: available cannot be known, so it must not be invented.
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("proc/meminfo"), "{stderr}");
}

#[test]
fn own_fixtures_give_their_whole_reading_or_error() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("own-") {
            continue;
        }
        let want = expected(&dir)["expected"].clone();
        let (code, got, stderr) = status(&dir);
        checked += 1;

        if let Some(pieces) = want["error_contains"].as_array() {
            assert_eq!(code, Some(2), "{name}: {stderr}");
            for piece in pieces {
                assert!(
                    stderr.contains(piece.as_str().unwrap()),
                    "{name}: {stderr} lacks {piece}"
                );
            }
            continue;
        }

        assert_eq!(code, Some(0), "{name}: {stderr}");
        let got = got.unwrap();
        let root = dir.display().to_string();
        for (key, value) in want["reading"].as_object().unwrap() {
            let value: Value =
                serde_json::from_str(&value.to_string().replace("{root}", &root)).unwrap();
            assert_eq!(got[key], value, "{name}: {key}");
        }
        assert!(
            close(
                got["usage"].as_f64().unwrap(),
                want["usage_fraction"].as_f64().unwrap()
            ),
            "{name}"
        );
        assert_eq!(got["level"], want["level"], "{name}: level");
    }
    assert!(checked >= 16);
}
