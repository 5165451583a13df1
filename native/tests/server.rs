//! `Monitor::serve`: a library user exposes their own process, caches included.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use mempressure_native::{Cache, EvictError, MonitorBuilder};
use serde_json::Value;

struct Fixed(u64);

impl Cache for Fixed {
    fn bytes(&self) -> u64 {
        self.0
    }

    fn evict(&self, _: u64) -> Result<u64, EvictError> {
        Ok(0)
    }
}

/// A plain HTTP/1.0 GET: status line, headers and body.
fn get(addr: std::net::SocketAddr, path: &str) -> (String, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap();
    (
        status.to_string(),
        headers.to_lowercase(),
        response[split + 4..].to_vec(),
    )
}

#[test]
fn status_is_served_with_the_caches_of_the_process() {
    let monitor = MonitorBuilder::new().build().unwrap();
    monitor.register_cache("thumbs", "validation_cache", Arc::new(Fixed(3 << 20)));
    monitor.check_now().unwrap();
    let server = monitor.serve("127.0.0.1:0", None).unwrap();
    assert!(server.url().starts_with("http://127.0.0.1:"));

    let (status, headers, body) = get(server.local_addr(), "/status");
    assert!(status.contains("200"), "{status}");
    assert!(headers.contains("content-type: application/json"));
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["cache_count"], 1);
    assert_eq!(json["caches_by_type"]["validation_cache"]["bytes"], 3 << 20);
    assert!(json["total_bytes"].as_u64().unwrap() > 0);
    assert_eq!(json["history"].as_array().unwrap().len(), 1);
    assert_eq!(json["config"]["profile"], "default");

    // Without a page folder only /status exists; nothing outside is ever served.
    assert!(get(server.local_addr(), "/").0.contains("404"));
    assert!(get(server.local_addr(), "/../Cargo.toml").0.contains("404"));
}

#[test]
fn the_page_folder_is_served_with_a_content_security_policy() {
    let www = std::env::temp_dir().join(format!("mempressure-www-{}", std::process::id()));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(www.join("app.js"), "export {};").unwrap();

    let monitor = MonitorBuilder::new().build().unwrap();
    let server = monitor.serve("127.0.0.1:0", Some(www.clone())).unwrap();
    let (status, headers, body) = get(server.local_addr(), "/");
    assert!(status.contains("200"));
    assert!(headers.contains("content-security-policy: default-src 'self'; script-src 'self'"));
    assert_eq!(body, b"<!doctype html><title>t</title>");
    assert!(
        get(server.local_addr(), "/app.js")
            .1
            .contains("text/javascript")
    );

    // Before the first sample, /status says so instead of inventing a reading.
    let json: Value = serde_json::from_slice(&get(server.local_addr(), "/status").2).unwrap();
    assert_eq!(json["status"], "starting");
    assert!(json.get("total_bytes").is_none());
    drop(server);
    std::fs::remove_dir_all(www).unwrap();
}

/// Readings at 97% used, so that the first check evicts.
struct Pressed;

impl mempressure_native::Sampler for Pressed {
    fn read(&mut self) -> Result<mempressure_native::Reading, mempressure_native::SampleError> {
        Ok(mempressure_native::Reading {
            process_bytes: Some(7),
            duration: std::time::Duration::from_micros(50),
            ..mempressure_native::Reading::host(1000, 30)
        })
    }
}

struct Frees;

impl Cache for Frees {
    fn bytes(&self) -> u64 {
        100 << 20
    }

    fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
        Ok(bytes / 2)
    }
}

#[test]
fn metrics_are_served_in_the_openmetrics_format() {
    let monitor = MonitorBuilder::new().sampler(Pressed).build().unwrap();
    monitor.register_cache("frames", "frame_cache", Arc::new(Frees));
    monitor.check_now().unwrap();
    let server = monitor.serve("127.0.0.1:0", None).unwrap();

    let (status, headers, body) = get(server.local_addr(), "/metrics");
    assert!(status.contains("200"));
    assert!(headers.contains("content-type: application/openmetrics-text; version=1.0.0"));
    let text = String::from_utf8(body).unwrap();
    for line in [
        "mempressure_memory_usage_ratio 0.97",
        "mempressure_memory_total_bytes{source=\"host\"} 1000",
        "mempressure_process_resident_bytes 7",
        "mempressure_level 3",
        "mempressure_level_state{level=\"emergency\"} 1",
        "mempressure_level_state{level=\"normal\"} 0",
        "mempressure_pressure_events_total{level=\"emergency\"} 1",
        "mempressure_evictions_total{cache_type=\"frame_cache\"} 1",
        "mempressure_eviction_target_bytes_total{cache_type=\"frame_cache\"} 52428800",
        "mempressure_evicted_bytes_total{cache_type=\"frame_cache\"} 26214400",
        "mempressure_alerts_total{level=\"emergency\"} 1",
        "mempressure_cache_count{cache_type=\"frame_cache\"} 1",
        "mempressure_sample_duration_seconds_count 1",
        "# EOF",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} is not in:\n{text}");
    }
}
