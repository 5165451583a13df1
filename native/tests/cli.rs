//! The `mempressure` binary, run as a process the way a user runs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn mempressure(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mempressure"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn trace(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/traces")
        .join(name);
    root.to_str().unwrap().to_string()
}

/// A scratch directory for one test, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn status_json_reports_this_machine() {
    let output = mempressure(&["status", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let status: Value = serde_json::from_str(&stdout(&output)).unwrap();

    let total = status["total_bytes"].as_u64().unwrap();
    let available = status["available_bytes"].as_u64().unwrap();
    assert!(total > 0 && available <= total);
    let usage = status["usage"].as_f64().unwrap();
    assert!((usage - (total - available) as f64 / total as f64).abs() < 1e-12);
    assert!(
        ["normal", "warning", "critical", "emergency"].contains(&status["level"].as_str().unwrap())
    );
    assert!(status["process_bytes"].as_u64().unwrap() > 0);
    assert!(
        ["host", "cgroup-v1", "cgroup-v2", "cgroup"].contains(&status["source"].as_str().unwrap())
    );
}

#[test]
fn status_text_names_level_usage_and_limit() {
    let output = mempressure(&["status", "--detailed", "--profile", "low_memory"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for word in [
        "level:",
        "usage:",
        "process:",
        "limit:",
        "host:",
        "low_memory",
    ] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
}

#[test]
fn replay_prints_the_expected_level_changes() {
    let output = mempressure(&[
        "replay",
        &trace("05-cgroup-512m-ramp-spike.jsonl"),
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let levels: Vec<(u64, String)> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"] == "level")
        .map(|v| {
            (
                v["t_ms"].as_u64().unwrap(),
                v["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let firsts: Vec<(u64, &str)> = levels
        .iter()
        .take(3)
        .map(|(t, l)| (*t, l.as_str()))
        .collect();
    assert_eq!(
        firsts,
        [
            (19_701, "warning"),
            (22_100, "critical"),
            (28_200, "emergency")
        ]
    );
    assert_eq!(levels.last().unwrap().1, "normal");

    let text = mempressure(&["replay", &trace("05-cgroup-512m-ramp-spike.jsonl")]);
    assert!(
        stdout(&text).contains("normal -> warning at 70.51% used"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn replay_with_a_profile_and_a_config_file() {
    let dir = scratch("replay_config");
    let config = dir.join("strict.toml");
    std::fs::write(
        &config,
        "profile = \"low_memory\"\n[thresholds]\nwarning = 0.2\n",
    )
    .unwrap();

    let output = mempressure(&[
        "replay",
        &trace("13-nezha-currencyservice-pod-20h.jsonl"),
        "--json",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let first: Value = serde_json::from_str(stdout(&output).lines().next().unwrap()).unwrap();
    // At 28% used the pod is above the 20% warning line from the first sample on.
    assert_eq!(
        (first["t_ms"].as_u64(), first["to"].as_str()),
        (Some(0), Some("warning"))
    );

    let output = mempressure(&[
        "replay",
        &trace("13-nezha-currencyservice-pod-20h.jsonl"),
        "--json",
        "--profile",
        "development",
    ]);
    assert!(output.status.success());
}

#[test]
fn a_broken_trace_names_the_file_line_and_field_and_exits_2() {
    let dir = scratch("broken_trace");
    let path = dir.join("broken.jsonl");
    let text = "{\"format\":\"mempressure-trace\",\"version\":1}\n\
                {\"t_ms\":0,\"total\":100,\"available\":50}\n\
                {\"t_ms\":100,\"total\":100}\n";
    std::fs::write(&path, text).unwrap();

    let output = mempressure(&["replay", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("broken.jsonl:3:"), "{message}");
    assert!(message.contains("`available`"), "{message}");

    let backwards = "{\"format\":\"mempressure-trace\",\"version\":1}\n\
                     {\"t_ms\":5,\"total\":9,\"available\":1}\n\
                     {\"t_ms\":4,\"total\":9,\"available\":1}\n";
    std::fs::write(&path, backwards).unwrap();
    let output = mempressure(&["replay", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(":3: time went backwards"),
        "{}",
        stderr(&output)
    );

    std::fs::write(&path, "not json\n").unwrap();
    let output = mempressure(&["replay", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(":1: not a mempressure trace header"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_files_bad_configs_and_bad_usage_exit_2() {
    let missing = mempressure(&["replay", "/nonexistent/trace.jsonl"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/trace.jsonl"));

    let dir = scratch("bad_config");
    let config = dir.join("bad.toml");
    std::fs::write(&config, "[thresholds]\nwarning = 0.9\n").unwrap();
    let bad = mempressure(&["status", "--config", config.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("thresholds.warning = 0.9"),
        "{}",
        stderr(&bad)
    );

    for args in [
        &["status", "--profile", "turbo"][..],
        &["frobnicate"],
        &["watch", "--interval", "soon"],
        &["record"],
    ] {
        let output = mempressure(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn record_writes_a_trace_that_replays() {
    let dir = scratch("record");
    let out = dir.join("machine.jsonl");
    let output = mempressure(&[
        "record",
        "--out",
        out.to_str().unwrap(),
        "--duration",
        "1s",
        "--interval",
        "200ms",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let text = std::fs::read_to_string(&out).unwrap();
    let (header, records) = mempressure_native::core::parse_trace(&text).unwrap();
    assert_eq!(header.interval_ms, Some(200));
    assert!(records.len() >= 3, "{text}");

    let replayed = mempressure(&["replay", out.to_str().unwrap()]);
    assert!(replayed.status.success(), "{}", stderr(&replayed));

    let again = mempressure(&["record", "--out", out.to_str().unwrap(), "--duration", "1s"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
}

/// Runs the command for `wait`, then sends it SIGINT.
fn interrupt_after(args: &[&str], wait: Duration) -> Output {
    signal_after(args, wait, "INT")
}

/// Runs the command for `wait`, then sends it `signal` (`INT`, `TERM`, `KILL`).
fn signal_after(args: &[&str], wait: Duration, signal: &str) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_mempressure"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(wait);
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}

#[test]
fn record_terminated_or_killed_leaves_only_complete_lines() {
    for signal in ["TERM", "KILL"] {
        let dir = scratch(&format!("record_{signal}"));
        let out = dir.join("trace.jsonl");
        let args = [
            "record",
            "--out",
            out.to_str().unwrap(),
            "--interval",
            "20ms",
        ];
        let output = signal_after(&args, Duration::from_millis(1500), signal);
        if signal == "TERM" {
            assert!(output.status.success(), "{}", stderr(&output));
        }
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.ends_with('\n'), "{signal}: the last line is cut");
        let (_, records) = mempressure_native::core::parse_trace(&text).unwrap();
        assert!(!records.is_empty(), "{signal}");
    }
}

#[test]
fn record_interrupted_leaves_only_complete_lines() {
    let dir = scratch("record_interrupted");
    let out = dir.join("interrupted.jsonl");
    let output = interrupt_after(
        &[
            "record",
            "--out",
            out.to_str().unwrap(),
            "--interval",
            "50ms",
        ],
        Duration::from_millis(1500),
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with('\n'));
    let (_, records) = mempressure_native::core::parse_trace(&text).unwrap();
    assert!(!records.is_empty());
}

#[test]
fn watch_prints_a_line_per_sample_until_interrupted() {
    let started = Instant::now();
    let output = interrupt_after(
        &["watch", "--interval", "200ms"],
        Duration::from_millis(1500),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let samples = text.lines().filter(|l| l.contains("% used")).count();
    assert!(samples >= 2, "{text}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("watching this machine's memory every 200ms")
    );
    // Bounded run: a hang guard only.
    assert!(started.elapsed() < Duration::from_secs(60));

    let bounded = mempressure(&["watch", "--interval", "100ms", "--duration", "500ms"]);
    assert!(bounded.status.success());
}

#[test]
fn a_full_disk_on_standard_output_is_a_runtime_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mempressure"))
        .args(["status", "--json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot write to standard output"));
}

#[test]
fn an_unwritable_record_file_is_a_runtime_error() {
    let output = mempressure(&[
        "record",
        "--out",
        "/nonexistent/dir/x.jsonl",
        "--duration",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("/nonexistent/dir/x.jsonl"));
}

#[test]
fn replay_json_keeps_standard_output_pure_json_lines() {
    let output = mempressure(&[
        "replay",
        &trace("02-host-spike-90-stressng.jsonl"),
        "--json",
    ]);
    assert!(output.status.success());
    for line in stdout(&output).lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    assert!(
        stderr(&output).contains("768 records: 4 level changes, 0 evictions"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn serve_arms_the_stall_trigger_on_this_machine() {
    let (serve, addr) = common::serve("200ms");
    let mut status = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !status.contains("\"stall_trigger\"") || status.contains("\"starting\"") {
        assert!(Instant::now() < deadline, "{status}");
        std::thread::sleep(Duration::from_millis(100));
        status = common::http_get(&addr, "/status").unwrap_or_default();
    }
    drop(serve);

    let body: Value = serde_json::from_str(&status).unwrap();
    let trigger = body["stall_trigger"].as_str().unwrap();
    // Armed where the kernel allows it, otherwise the reason; never silently off.
    assert!(
        trigger.starts_with("armed on ") || trigger.starts_with("refused: "),
        "{trigger}"
    );
    assert!(
        body.get("error").is_none(),
        "no error key while all is well"
    );
}
