//! The HTTP server of `mempressure serve` and [`crate::Monitor::serve`]: the status page,
//! `/status` as JSON and `/metrics` for Prometheus, on loopback by default.

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Request, Response, Server};

use crate::monitor::Shared;
use crate::status_json::ServedStatus;

/// The Content-Security-Policy of every page: no inline script, scripts and wasm only from
/// this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' \
    'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// The server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound (in use, not local, malformed).
    #[error("cannot listen on {addr}: {message}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        message: String,
    },
}

/// A running status server; dropping it stops it.
pub struct StatusServer {
    server: Arc<Server>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl StatusServer {
    pub(crate) fn start(
        shared: Arc<Shared>,
        addr: &str,
        www: Option<PathBuf>,
    ) -> Result<StatusServer, ServeError> {
        let bind_error = |message: String| ServeError::Bind {
            addr: addr.to_string(),
            message,
        };
        let server = Server::http(addr).map_err(|e| bind_error(e.to_string()))?;
        let local = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| bind_error("not an IP address".to_string()))?;

        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let thread = std::thread::Builder::new()
            .name("mempressure-server".into())
            .spawn(move || {
                for request in serving.incoming_requests() {
                    handle(&shared, www.as_deref(), request);
                }
            })
            .map_err(|e| bind_error(format!("cannot start the server thread: {e}")))?;
        Ok(StatusServer {
            server,
            addr: local,
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL, such as `http://127.0.0.1:7878/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for StatusServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .expect("header names and values are ASCII")
}

fn respond(request: Request, status: u16, content_type: &str, body: Vec<u8>) {
    let mut response = Response::new(
        status.into(),
        vec![
            header("Content-Type", content_type),
            header("Cache-Control", "no-store"),
            header("X-Content-Type-Options", "nosniff"),
            header("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ],
        Cursor::new(body.clone()),
        Some(body.len()),
        None,
    );
    if content_type.starts_with("text/html") {
        response.add_header(header("Referrer-Policy", "no-referrer"));
    }
    if let Err(e) = request.respond(response) {
        tracing::debug!("client went away before the response: {e}");
    }
}

fn handle(shared: &Shared, www: Option<&Path>, request: Request) {
    if *request.method() != Method::Get && *request.method() != Method::Head {
        return respond(
            request,
            405,
            "text/plain; charset=utf-8",
            b"only GET\n".to_vec(),
        );
    }
    let path = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_string();

    if path == "/status" {
        let status = shared.status();
        let config = shared.config();
        let body = serde_json::to_vec(&ServedStatus::new(&status, &config))
            .expect("the status serialises: numbers, strings and maps with string keys");
        return respond(request, 200, "application/json", body);
    }

    if path == "/metrics" {
        let body = shared.metrics.encode().into_bytes();
        let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        return respond(request, 200, content_type, body);
    }

    let Some(www) = www else {
        let body = b"no page is served here; see /status\n".to_vec();
        return respond(request, 404, "text/plain; charset=utf-8", body);
    };
    match static_file(www, &path) {
        Some((body, content_type)) => respond(request, 200, content_type, body),
        None if path == "/" => {
            let body = format!(
                "the status page is not built in {}: run `bash www/build.sh`; /status works\n",
                www.display()
            );
            respond(request, 503, "text/plain; charset=utf-8", body.into_bytes())
        }
        None => respond(
            request,
            404,
            "text/plain; charset=utf-8",
            b"not found\n".to_vec(),
        ),
    }
}

/// A file under `www` for a URL path; `None` for anything outside it or missing.
fn static_file(www: &Path, path: &str) -> Option<(Vec<u8>, &'static str)> {
    let relative = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let relative = Path::new(relative);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }

    let file = www.join(relative);
    let body = std::fs::read(&file).ok()?;
    let content_type = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jsonl") => "application/jsonl",
        _ => "application/octet-stream",
    };
    Some((body, content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_files_stay_inside_the_folder() {
        let www = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(static_file(www, "/Cargo.toml").is_some());
        assert!(static_file(www, "/../Cargo.toml").is_none());
        assert!(static_file(www, "/src/../Cargo.toml").is_none());
        assert!(static_file(www, "//etc/passwd").is_none());
        assert!(static_file(www, "/nope").is_none());
    }
}
