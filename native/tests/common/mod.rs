//! What the process tests share: a child that is killed when dropped, a running
//! `mempressure serve` on a free port, and a plain HTTP GET.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills a child process when dropped, so a failing test leaves nothing running.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `mempressure serve` on a free port of 127.0.0.1, sampling at `interval`, and the
/// `host:port` it printed on its first line.
pub fn serve(interval: &str) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mempressure"))
        .args(["serve", "--addr", "127.0.0.1:0", "--interval", interval])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let running = Running(child);

    let host_port = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in serve's first line: {first_line:?}"))
        .to_string();
    (running, host_port)
}

/// The body of `GET path` on `host_port`, when the answer is `200`.
pub fn http_get(host_port: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(host_port).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host_port}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    // Go answers an HTTP/1.0 request as HTTP/1.0.
    let status = head.lines().next()?;
    status.contains(" 200 ").then(|| body.to_string())
}
