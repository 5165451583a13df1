//! A real Prometheus scrapes a running `mempressure serve`, with the shipped rules loaded.
//!
//! Needs Debian's `prometheus` package (`scripts/install-tools.sh` installs it), so it is
//! ignored by a plain `cargo test`; `scripts/test.sh` runs it with `--ignored`.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Running, http_get};
use serde_json::Value;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The result vector of an instant query, once it is not empty (bounded wait).
fn query(prometheus: &str, promql: &str, deadline: Instant) -> Vec<Value> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    loop {
        let body = http_get(prometheus, &format!("/api/v1/query?query={encoded}"));
        if let Some(body) = body {
            let json: Value = serde_json::from_str(&body).unwrap();
            let result = json["data"]["result"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !result.is_empty() {
                return result;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no result for {promql} before the deadline"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn value_of(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

#[test]
#[ignore = "needs Prometheus (Debian's prometheus package); scripts/test.sh runs it"]
fn prometheus_scrapes_the_level_and_usage_of_a_running_monitor() {
    let deadline = Instant::now() + Duration::from_secs(90);

    // The monitor, on a free port.
    let (_serve, target) = common::serve("200ms");

    // A real Prometheus scraping it every second, with the shipped rules.
    let dir = std::env::temp_dir().join(format!("mempressure-prometheus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("prometheus/mempressure.rules.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\n\
         scrape_configs:\n  - job_name: mempressure\n    static_configs:\n\
         \x20     - targets: [\"{target}\"]\n",
        rules.display()
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let prometheus_addr = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let prometheus = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={prometheus_addr}"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("Prometheus is installed (scripts/install-tools.sh installs Debian's prometheus)");
    let _prometheus = Running(prometheus);

    // Scraped: the target is up and the series are there.
    let up = query(&prometheus_addr, "up{job=\"mempressure\"} == 1", deadline);
    assert_eq!(up[0]["metric"]["instance"], target);
    let level = query(&prometheus_addr, "mempressure_level", deadline);
    let usage = query(&prometheus_addr, "mempressure_memory_usage_ratio", deadline);
    let total = query(&prometheus_addr, "mempressure_memory_total_bytes", deadline);

    // With the right values: the same as the monitor's own /status.
    let status: Value = serde_json::from_str(&http_get(&target, "/status").unwrap()).unwrap();
    let levels = ["normal", "warning", "critical", "emergency"];
    assert_eq!(
        levels[value_of(&level[0]) as usize],
        status["current_level"]
    );
    let usage_now = status["usage"].as_f64().unwrap();
    assert!(
        (value_of(&usage[0]) - usage_now).abs() < 0.05,
        "{usage:?} vs {usage_now}"
    );
    assert_eq!(
        value_of(&total[0]) as u64,
        status["total_bytes"].as_u64().unwrap()
    );
    assert_eq!(total[0]["metric"]["source"], status["source"]);

    // The rules loaded and evaluate against the scraped series.
    let rules = http_get(&prometheus_addr, "/api/v1/rules").unwrap();
    for name in [
        "MemoryPressureCritical",
        "MemoryEvictionThrashing",
        "MemoryPressureMonitorDown",
    ] {
        assert!(rules.contains(name), "{name} is not loaded");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
