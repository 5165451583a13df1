//! The decision log: one JSON line per level change, eviction and alert.
//!
//! ```text
//! {"t_ms":47700,"event":"level","from":"normal","to":"warning","usage":0.7012,"reason":"threshold"}
//! {"t_ms":55200,"event":"evict","level":"critical","target_bytes":31457280,"requests":[{"cache":"frames","bytes":31457280}],"freed_bytes":31457280}
//! {"t_ms":55200,"event":"alert","level":"critical","usage":0.8003,"total_bytes":..,"available_bytes":..,"process_bytes":null,"evicted_bytes":31457280}
//! ```
//!
//! Usage is rounded to 4 decimals in the log (the events keep the exact value). An evict line
//! has `"dry_run":true` when `auto_eviction` was off, and a request has `"freed_bytes"` and
//! `"error"` only when the cache freed something other than what it was asked, or failed.

use serde::Serialize;

use crate::event::{Event, LevelReason};
use crate::level::PressureLevel;

/// `usage` rounded to 4 decimals, as the log writes it.
pub fn rounded_usage(usage: f64) -> f64 {
    (usage * 10_000.0).round() / 10_000.0
}

#[derive(Serialize)]
struct LevelLine {
    t_ms: u64,
    event: &'static str,
    from: PressureLevel,
    to: PressureLevel,
    usage: f64,
    reason: LevelReason,
}

#[derive(Serialize)]
struct ReliefLine {
    t_ms: u64,
    event: &'static str,
    relieved: bool,
    eviction_t_ms: u64,
    freed_bytes: u64,
    usage_drop_bytes: u64,
}

#[derive(Serialize)]
struct RequestLine<'a> {
    cache: &'a str,
    bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    freed_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct EvictLine<'a> {
    t_ms: u64,
    event: &'static str,
    level: PressureLevel,
    target_bytes: u64,
    requests: Vec<RequestLine<'a>>,
    freed_bytes: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dry_run: bool,
}

#[derive(Serialize)]
struct AlertLine {
    t_ms: u64,
    event: &'static str,
    level: PressureLevel,
    usage: f64,
    total_bytes: u64,
    available_bytes: u64,
    process_bytes: Option<u64>,
    evicted_bytes: u64,
}

/// The decision-log line of an event (no newline); `None` for events that are not logged
/// ([`Event::EvictionPlanned`]: its outcome is logged as `evict`).
pub fn log_line(event: &Event) -> Option<String> {
    let line = match event {
        Event::Level(change) => serde_json::to_string(&LevelLine {
            t_ms: change.t_ms,
            event: "level",
            from: change.from,
            to: change.to,
            usage: rounded_usage(change.usage),
            reason: change.reason,
        }),
        Event::Relief(check) => serde_json::to_string(&ReliefLine {
            t_ms: check.t_ms,
            event: "relief",
            relieved: check.relieved,
            eviction_t_ms: check.eviction_t_ms,
            freed_bytes: check.freed_bytes,
            usage_drop_bytes: check.usage_drop_bytes,
        }),
        Event::Evict(eviction) => {
            let requests = eviction
                .requests
                .iter()
                .map(|r| {
                    let exact = r.freed_bytes == r.bytes || eviction.dry_run;
                    RequestLine {
                        cache: &r.cache,
                        bytes: r.bytes,
                        freed_bytes: (!exact).then_some(r.freed_bytes),
                        error: r.error.as_deref(),
                    }
                })
                .collect();
            serde_json::to_string(&EvictLine {
                t_ms: eviction.t_ms,
                event: "evict",
                level: eviction.level,
                target_bytes: eviction.target_bytes,
                requests,
                freed_bytes: eviction.freed_bytes,
                dry_run: eviction.dry_run,
            })
        }
        Event::Alert(alert) => serde_json::to_string(&AlertLine {
            t_ms: alert.t_ms,
            event: "alert",
            level: alert.level,
            usage: rounded_usage(alert.usage),
            total_bytes: alert.total_bytes,
            available_bytes: alert.available_bytes,
            process_bytes: alert.process_bytes,
            evicted_bytes: alert.evicted_bytes,
        }),
        Event::EvictionPlanned(_) => return None,
    };
    Some(line.expect("log lines serialise: numbers, strings and level names"))
}

/// A one-line description of an event for people, such as
/// `47.700s  level  normal -> warning at 70.12% used`.
pub fn describe(event: &Event) -> String {
    let seconds = |t_ms: u64| format!("{}.{:03}s", t_ms / 1000, t_ms % 1000);
    let percent = |usage: f64| format!("{:.2}%", usage * 100.0);
    match event {
        Event::Level(c) => format!(
            "{:>12}  level  {} -> {} at {} used{}",
            seconds(c.t_ms),
            c.from,
            c.to,
            percent(c.usage),
            match c.reason {
                LevelReason::Threshold => "",
                LevelReason::Trend => " (trend: exhaustion predicted)",
                LevelReason::Psi => " (stall pressure)",
            }
        ),
        Event::Relief(r) => format!(
            "{:>12}  relief {} for the eviction at {}: freed {}, usage fell {}",
            seconds(r.t_ms),
            if r.relieved { "seen" } else { "NOT seen" },
            seconds(r.eviction_t_ms),
            format_bytes(r.freed_bytes),
            format_bytes(r.usage_drop_bytes)
        ),
        Event::EvictionPlanned(p) => format!(
            "{:>12}  plan   {} at {}: ask {} cache(s) for {}",
            seconds(p.t_ms),
            p.level,
            percent(p.usage),
            p.requests.len(),
            format_bytes(p.target_bytes)
        ),
        Event::Evict(e) => {
            let caches: Vec<String> = e
                .requests
                .iter()
                .map(|r| {
                    let id = printable_id(&r.cache);
                    match (e.dry_run, &r.error) {
                        (true, _) => format!("{id} would give {}", format_bytes(r.bytes)),
                        (false, None) => format!("{id} {}", format_bytes(r.freed_bytes)),
                        (false, Some(error)) => format!(
                            "{id} {} (asked {}: {error})",
                            format_bytes(r.freed_bytes),
                            format_bytes(r.bytes)
                        ),
                    }
                })
                .collect();
            format!(
                "{:>12}  evict  {} target {}, freed {}{} [{}]",
                seconds(e.t_ms),
                e.level,
                format_bytes(e.target_bytes),
                format_bytes(e.freed_bytes),
                if e.dry_run { " (dry run)" } else { "" },
                caches.join(", ")
            )
        }
        Event::Alert(a) => format!(
            "{:>12}  ALERT  {} at {} used: {} of {} available, evicted {}",
            seconds(a.t_ms),
            a.level,
            percent(a.usage),
            format_bytes(a.available_bytes),
            format_bytes(a.total_bytes),
            format_bytes(a.evicted_bytes)
        ),
    }
}

/// A cache id as it can be shown on a terminal: control characters escaped, at most 64
/// characters.
fn printable_id(id: &str) -> String {
    let escaped: String = id.chars().flat_map(|c| c.escape_debug()).collect();
    match escaped.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

/// Bytes in binary units for people: `512 B`, `1.5 KiB`, `23.54 GiB`.
///
/// ```
/// assert_eq!(mempressure_core::format_bytes(1536), "1.50 KiB");
/// assert_eq!(mempressure_core::format_bytes(512), "512 B");
/// ```
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}
