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
