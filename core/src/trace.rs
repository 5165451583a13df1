//! Reading trace files: JSON Lines of samples and cache updates after a header line.
//!
//! ```text
//! {"format":"mempressure-trace","version":1,"source":"linux-meminfo","interval_ms":100}
//! {"t_ms":0,"total":17179869184,"available":5368709120,"process":734003200}
//! {"t_ms":0,"cache":{"id":"f1","type":"frame_cache","bytes":1048576,"access_count":3}}
//! {"t_ms":9000,"cache":{"id":"f1","bytes":0,"remove":true}}
//! ```
//!
//! A sample may say `"throttled":true` (the kernel throttles the cgroup at `memory.high`;
//! absent means false). Unknown fields are ignored (recordings carry `host_total` and
//! more). Blank lines are skipped. A cache update needs `id`, and unless it removes the
//! cache, `type` and `bytes`; a missing `access_count` keeps the cache's count (0 for a
//! new cache) and a missing `last_access_ms` keeps its last access (the record's `t_ms`
//! for a new cache).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::sample::Sample;

/// The `format` value of a trace header.
pub const TRACE_FORMAT: &str = "mempressure-trace";
/// The trace format version this crate reads and writes.
pub const TRACE_VERSION: u64 = 1;

/// The first line of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Always `mempressure-trace`.
    pub format: String,
    /// Always 1 for this crate.
    pub version: u64,
    /// Where the samples came from (`linux-meminfo`, `cgroup-v1`, ...), if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Free text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The sampling interval, if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
}

impl TraceHeader {
    /// A version 1 header with a source and interval.
    pub fn new(source: &str, interval_ms: u64) -> TraceHeader {
        TraceHeader {
            format: TRACE_FORMAT.to_string(),
            version: TRACE_VERSION,
            source: Some(source.to_string()),
            description: None,
            interval_ms: Some(interval_ms),
        }
    }
}

/// A change to one cache in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheUpdate {
    /// Time of the record, in milliseconds.
    pub t_ms: u64,
    /// The cache's id.
    pub id: String,
    /// What happens to it.
    pub change: CacheChange,
}

/// Set a cache's figures, or remove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CacheChange {
    /// Register the cache or update it.
    Set {
        /// Its type.
        cache_type: String,
        /// Bytes it holds.
        bytes: u64,
        /// Its access count, if given.
        access_count: Option<u64>,
        /// Its last access time, if given.
        last_access_ms: Option<u64>,
    },
    /// Remove it.
    Remove,
}

/// One line of a trace after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Record {
    /// A memory sample.
    Sample(Sample),
    /// A cache update.
    Cache(CacheUpdate),
}

impl Record {
    /// The record's time, in milliseconds.
    pub fn t_ms(&self) -> u64 {
        match self {
            Record::Sample(s) => s.t_ms,
            Record::Cache(c) => c.t_ms,
        }
    }
}

/// What is wrong with one line of a trace.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TraceErrorKind {
    /// The file has no header line.
    Empty,
    /// Line 1 is not a `mempressure-trace` header.
    NotAHeader {
        /// What line 1 holds instead.
        message: String,
    },
    /// The header names another version.
    UnsupportedVersion {
        /// The version found.
        found: u64,
    },
    /// The line is not valid JSON, or a field has the wrong type.
    Json {
        /// 1-based column in the line.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A required field is missing.
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A line has both a `cache` object and sample fields.
    SampleAndCache,
    /// The record is well-formed but the monitor refused it (impossible sample, time going
    /// backwards).
    Input(InputError),
}

/// A fault in a trace, with its 1-based line number.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceError {
    /// 1-based line number in the trace.
    pub line: usize,
    /// What is wrong.
    pub kind: TraceErrorKind,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            TraceErrorKind::Empty => f.write_str("empty trace: expected a header line"),
            TraceErrorKind::NotAHeader { message } => write!(
                f,
                "not a mempressure trace header ({message}); expected \
                 {{\"format\":\"mempressure-trace\",\"version\":1}}"
            ),
            TraceErrorKind::UnsupportedVersion { found } => {
                write!(
                    f,
                    "trace version {found} is not supported (this reads version 1)"
                )
            }
            TraceErrorKind::Json { column, message } => write!(f, "column {column}: {message}"),
            TraceErrorKind::MissingField { field } => write!(f, "missing field `{field}`"),
            TraceErrorKind::SampleAndCache => {
                f.write_str("a line is either a sample or a cache update, not both")
            }
            TraceErrorKind::Input(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TraceError {}

/// Drops serde_json's " at line L column C" suffix, for messages that give their own place.
pub(crate) fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> TraceErrorKind {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = strip_serde_position(&inner.to_string());
    let message = if path == "." {
        message
    } else {
        format!("field `{path}`: {message}")
    };
    TraceErrorKind::Json {
        column: inner.column(),
        message,
    }
}

/// Reads a header line. Only `format` and `version` are checked; `source`, `description`
/// and `interval_ms` are kept when they have the expected type, and every other field is
/// free.
///
/// # Errors
/// [`TraceErrorKind::NotAHeader`] or [`TraceErrorKind::UnsupportedVersion`].
pub fn parse_header(line: &str) -> Result<TraceHeader, TraceErrorKind> {
    let not_a_header = |message: String| TraceErrorKind::NotAHeader { message };
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    if line.trim().is_empty() {
        return Err(not_a_header("the line is empty".to_string()));
    }
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| not_a_header(strip_serde_position(&e.to_string())))?;
    let Some(fields) = value.as_object() else {
        return Err(not_a_header("not a JSON object".to_string()));
    };

    let format = fields.get("format").and_then(|f| f.as_str());
    if format != Some(TRACE_FORMAT) {
        let found = fields
            .get("format")
            .map_or("missing".to_string(), |f| f.to_string());
        return Err(not_a_header(format!("format is {found}")));
    }
    let version = match fields.get("version").and_then(|v| v.as_u64()) {
        Some(TRACE_VERSION) => TRACE_VERSION,
        Some(found) => return Err(TraceErrorKind::UnsupportedVersion { found }),
        None => {
            return Err(not_a_header(
                "version is missing or not a whole number".to_string(),
            ));
        }
    };

    let text = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_string);
    Ok(TraceHeader {
        format: TRACE_FORMAT.to_string(),
        version,
        source: text("source"),
        description: text("description"),
        interval_ms: fields.get("interval_ms").and_then(|v| v.as_u64()),
    })
}

#[derive(Deserialize)]
#[serde(expecting = "a JSON object: a sample or a cache update")]
struct RawLine {
    t_ms: Option<u64>,
    total: Option<u64>,
    available: Option<u64>,
    process: Option<u64>,
    psi_some_avg10: Option<f64>,
    psi_full_avg10: Option<f64>,
    throttled: Option<bool>,
    cache: Option<RawCache>,
}

#[derive(Deserialize)]
#[serde(expecting = "a JSON object with the cache's id, type and bytes")]
struct RawCache {
    id: Option<String>,
    #[serde(rename = "type")]
    cache_type: Option<String>,
    bytes: Option<u64>,
    access_count: Option<u64>,
    last_access_ms: Option<u64>,
    #[serde(default)]
    remove: bool,
}

/// A sample line, read straight into its fields: the fast path of [`parse_record`]. A line
/// this does not read (a cache update, a faulty line) is read again as a [`RawLine`], so
/// what a line means and what its error says do not depend on this path.
#[derive(Deserialize)]
struct SampleLine {
    t_ms: u64,
    total: u64,
    available: u64,
    process: Option<u64>,
    psi_some_avg10: Option<f64>,
    psi_full_avg10: Option<f64>,
    throttled: Option<bool>,
    cache: Option<serde::de::IgnoredAny>,
}

impl SampleLine {
    /// The sample, checked.
    fn into_record(self) -> Result<Record, TraceErrorKind> {
        let sample = Sample {
            t_ms: self.t_ms,
            total_bytes: self.total,
            available_bytes: self.available,
            process_bytes: self.process,
            psi_some_avg10: self.psi_some_avg10,
            psi_full_avg10: self.psi_full_avg10,
            throttled: self.throttled.unwrap_or(false),
        };
        sample.validate().map_err(TraceErrorKind::Input)?;
        Ok(Record::Sample(sample))
    }
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T, TraceErrorKind> {
    value.ok_or(TraceErrorKind::MissingField { field })
}

/// Reads one record line (not the header).
///
/// # Errors
/// [`TraceErrorKind::Json`], [`TraceErrorKind::MissingField`],
/// [`TraceErrorKind::SampleAndCache`], or [`TraceErrorKind::Input`] for a sample that
/// cannot be right (total 0, available above total).
pub fn parse_record(line: &str) -> Result<Record, TraceErrorKind> {
    // Most lines are samples, read first into a sample's fields alone.
    if let Ok(fast @ SampleLine { cache: None, .. }) = serde_json::from_str(line) {
        return fast.into_record();
    }
    read_any_record(line)
}

/// What [`parse_record`] gives, for any line: the full reading behind its fast path.
fn read_any_record(line: &str) -> Result<Record, TraceErrorKind> {
    // Parsed plainly first; only a faulty line is parsed again to name its field.
    let raw: RawLine = match serde_json::from_str(line) {
        Ok(raw) => raw,
        Err(plain) => {
            let mut deserializer = serde_json::Deserializer::from_str(line);
            return Err(
                match serde_path_to_error::deserialize::<_, RawLine>(&mut deserializer) {
                    Err(e) => json_error(e),
                    Ok(_) => TraceErrorKind::Json {
                        column: plain.column(),
                        message: strip_serde_position(&plain.to_string()),
                    },
                },
            );
        }
    };
    let t_ms = required(raw.t_ms, "t_ms")?;

    let Some(cache) = raw.cache else {
        let sample = SampleLine {
            t_ms,
            total: required(raw.total, "total")?,
            available: required(raw.available, "available")?,
            process: raw.process,
            psi_some_avg10: raw.psi_some_avg10,
            psi_full_avg10: raw.psi_full_avg10,
            throttled: raw.throttled,
            cache: None,
        };
        return sample.into_record();
    };

    if raw.total.is_some() || raw.available.is_some() {
        return Err(TraceErrorKind::SampleAndCache);
    }
    let id = required(cache.id, "cache.id")?;
    let change = if cache.remove {
        CacheChange::Remove
    } else {
        CacheChange::Set {
            cache_type: required(cache.cache_type, "cache.type")?,
            bytes: required(cache.bytes, "cache.bytes")?,
            access_count: cache.access_count,
            last_access_ms: cache.last_access_ms,
        }
    };
    Ok(Record::Cache(CacheUpdate { t_ms, id, change }))
}

/// The records of a trace's text, each with its line number, after checking the header.
///
/// ```
/// let text = "{\"format\":\"mempressure-trace\",\"version\":1}\n\
///             {\"t_ms\":0,\"total\":10,\"available\":5}\n";
/// let (header, records) = mempressure_core::parse_trace(text).unwrap();
/// assert_eq!(header.version, 1);
/// assert_eq!(records.len(), 1);
/// assert_eq!(records[0].0, 2);
/// ```
///
/// # Errors
/// The first faulty line's [`TraceError`].
pub fn parse_trace(text: &str) -> Result<(TraceHeader, Vec<(usize, Record)>), TraceError> {
    let (header, records) = trace_records(text)?;
    Ok((header, records.collect::<Result<_, _>>()?))
}

/// The header of a trace's text, and its records one by one, each with its line number:
/// what [`parse_trace`] collects, for a caller that handles each record as it is read
/// (replay does, and so never holds a long trace's records all at once).
///
/// # Errors
/// The header's [`TraceError`]; each faulty record line yields its own.
pub fn trace_records(text: &str) -> Result<(TraceHeader, TraceRecords<'_>), TraceError> {
    let mut records = TraceRecords {
        rest: text,
        line: 0,
    };
    let Some(first) = records.next_line() else {
        return Err(TraceError {
            line: 1,
            kind: TraceErrorKind::Empty,
        });
    };

    let header = parse_header(first).map_err(|kind| TraceError { line: 1, kind })?;
    Ok((header, records))
}

/// The records of a trace after its header, from [`trace_records`]: each with its line
/// number, or the [`TraceError`] of its line. Blank lines are skipped.
pub struct TraceRecords<'a> {
    /// The text after the last line handed out.
    rest: &'a str,
    /// The 1-based number of the last line handed out, 0 before the first.
    line: usize,
}

impl<'a> TraceRecords<'a> {
    /// The next line without its `\n` or `\r\n`, as [`str::lines`] splits, found with the
    /// `memchr` crate (serde_json's own dependency), which scans several bytes at a time.
    fn next_line(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }

        let (line, rest) = match memchr::memchr(b'\n', self.rest.as_bytes()) {
            Some(end) => {
                let line = &self.rest[..end];
                (
                    line.strip_suffix('\r').unwrap_or(line),
                    &self.rest[end + 1..],
                )
            }
            None => (self.rest, ""),
        };
        self.rest = rest;
        self.line += 1;
        Some(line)
    }
}

impl Iterator for TraceRecords<'_> {
    type Item = Result<(usize, Record), TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        // A record starts with `{`; only other lines need the full whitespace check.
        let text = loop {
            let text = self.next_line()?;
            if text.starts_with('{') || !text.trim().is_empty() {
                break text;
            }
        };

        let line = self.line;
        Some(
            parse_record(text)
                .map(|r| (line, r))
                .map_err(|kind| TraceError { line, kind }),
        )
    }
}

/// Writes a sample as one trace line (no newline).
pub fn sample_line(sample: &Sample) -> String {
    serde_json::to_string(sample).expect("a Sample serialises: plain numbers and options")
}

/// Writes a header as one trace line (no newline).
pub fn header_line(header: &TraceHeader) -> String {
    serde_json::to_string(header).expect("a TraceHeader serialises: strings and numbers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn error_of(text: &str) -> TraceError {
        parse_trace(text).unwrap_err()
    }

    const HEADER: &str = "{\"format\":\"mempressure-trace\",\"version\":1}\n";

    #[test]
    fn reads_samples_and_cache_updates() {
        let text = format!(
            "{HEADER}{{\"t_ms\":0,\"total\":100,\"available\":40,\
             \"process\":7,\"host_total\":9}}\n\n\
             {{\"t_ms\":5,\"cache\":{{\"id\":\"f\",\"type\":\"frame_cache\",\"bytes\":10}}}}\n\
             {{\"t_ms\":6,\"cache\":{{\"id\":\"f\",\"bytes\":0,\"remove\":true}}}}\n"
        );
        let (_, records) = parse_trace(&text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[0],
            (
                2,
                Record::Sample(Sample::new(0, 100, 40).with_process_bytes(7))
            )
        );
        assert_eq!(records[1].0, 4);
        assert!(matches!(
            &records[2].1,
            Record::Cache(CacheUpdate {
                change: CacheChange::Remove,
                ..
            })
        ));
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let missing = error_of(&format!("{HEADER}{{\"t_ms\":0,\"total\":100}}\n"));
        assert_eq!(missing.to_string(), "line 2: missing field `available`");

        let above = error_of(&format!(
            "{HEADER}{{\"t_ms\":0,\"total\":1}}\n{{\"t_ms\":0,\"total\":10,\"available\":11}}\n"
        ));
        assert_eq!(above.line, 2);

        let above = error_of(&format!(
            "{HEADER}{{\"t_ms\":0,\"total\":10,\"available\":11}}\n"
        ));
        assert!(
            above
                .to_string()
                .contains("available (11 bytes) is above total (10 bytes)"),
            "{above}"
        );

        let negative = error_of(&format!(
            "{HEADER}{{\"t_ms\":0,\"total\":-3,\"available\":1}}\n"
        ));
        assert!(
            negative.to_string().starts_with("line 2: column"),
            "{negative}"
        );

        let broken = error_of(&format!("{HEADER}{{\"t_ms\":0,\"tot"));
        assert_eq!(broken.line, 2);

        let no_type = error_of(&format!(
            "{HEADER}{{\"t_ms\":0,\"cache\":{{\"id\":\"x\",\"bytes\":1}}}}\n"
        ));
        assert_eq!(no_type.to_string(), "line 2: missing field `cache.type`");
    }

    #[test]
    fn the_header_is_checked() {
        assert_eq!(error_of("").kind, TraceErrorKind::Empty);
        assert!(matches!(
            error_of("{\"t_ms\":0}\n").kind,
            TraceErrorKind::NotAHeader { .. }
        ));
        assert!(matches!(
            error_of("{\"format\":\"other\",\"version\":1}\n").kind,
            TraceErrorKind::NotAHeader { .. }
        ));
        assert_eq!(
            error_of("{\"format\":\"mempressure-trace\",\"version\":2}\n").kind,
            TraceErrorKind::UnsupportedVersion { found: 2 }
        );
    }

    #[test]
    fn written_lines_read_back() {
        let sample = Sample::new(5, 100, 50).with_process_bytes(3);
        assert_eq!(
            parse_record(&sample_line(&sample)),
            Ok(Record::Sample(sample))
        );
        let header = TraceHeader::new("linux-meminfo", 1000);
        assert_eq!(parse_header(&header_line(&header)), Ok(header));
    }

    #[test]
    fn a_line_with_both_kinds_takes_the_full_reading() {
        let both = "{\"t_ms\":0,\"total\":10,\"available\":5,\"cache\":{\"id\":\"x\"}}";
        assert_eq!(parse_record(both), Err(TraceErrorKind::SampleAndCache));

        let null_cache = "{\"t_ms\":0,\"total\":10,\"available\":5,\"cache\":null}";
        assert_eq!(
            parse_record(null_cache),
            Ok(Record::Sample(Sample::new(0, 10, 5)))
        );

        let wrong_type = "{\"t_ms\":0,\"total\":10,\"available\":5,\"process\":\"7\"}";
        let Err(TraceErrorKind::Json { message, .. }) = parse_record(wrong_type) else {
            panic!("a string for a number is a JSON error");
        };
        assert!(
            message.starts_with("field `process`: invalid type"),
            "{message}"
        );
    }

    /// The value a generated line gives a key: mostly right, sometimes of another type,
    /// out of range, null, or an object.
    fn value_strategy() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "0",
            "5",
            "100",
            "17179869184",
            "18446744073709551615",
            "18446744073709551616",
            "-3",
            "0.5",
            "101.0",
            "1e400",
            "\"7\"",
            "null",
            "true",
            "false",
            "[1]",
            "{}",
            "{\"id\":\"a\",\"type\":\"t\",\"bytes\":1}",
            "{\"id\":\"a\",\"bytes\":0,\"remove\":true}",
            "{\"id\":5}",
        ])
    }

    fn key_strategy() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "t_ms",
            "total",
            "available",
            "process",
            "psi_some_avg10",
            "psi_full_avg10",
            "throttled",
            "cache",
            "host_total",
        ])
    }

    proptest::proptest! {
        /// The fast path for samples gives what the full reading gives, errors included,
        /// on lines of any mix of keys, types, duplicates and truncation.
        #[test]
        fn the_sample_fast_path_agrees_with_the_full_reading(
            fields in prop::collection::vec((key_strategy(), value_strategy()), 0..9),
            good_sample in any::<bool>(),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut fields: Vec<String> =
                fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            if good_sample {
                fields.insert(0, "\"t_ms\":1,\"total\":100,\"available\":40".to_string());
            }
            let mut line = format!("{{{}}}", fields.join(","));
            if truncate {
                line.truncate(cut.index(line.len()));
            }
            prop_assert_eq!(parse_record(&line), read_any_record(&line), "{}", line);
        }

        /// Records come with the line numbers and text of `str::lines`, blank lines
        /// skipped, under `\n` and `\r\n` endings, with or without a last newline.
        #[test]
        fn lines_split_as_str_lines_splits(
            lines in prop::collection::vec(
                prop::sample::select(vec![
                    "{\"t_ms\":1,\"total\":100,\"available\":40}",
                    "{\"t_ms\":2,\"total\":100,\"available\":30} ",
                    "",
                    "  ",
                    "\r",
                    "{\"t_ms\":3,\"total\":100,\"available\":20}\r",
                    "{\"t_ms\":4,\"tot",
                ]),
                0..12,
            ),
            crlf in prop::collection::vec(any::<bool>(), 12),
            last_newline in any::<bool>(),
        ) {
            let mut text = HEADER.replace('\n', if crlf[0] { "\r\n" } else { "\n" });
            for (i, line) in lines.iter().enumerate() {
                text.push_str(line);
                if i + 1 < lines.len() || last_newline {
                    text.push_str(if crlf[i] { "\r\n" } else { "\n" });
                }
            }

            let expected: Vec<_> = text
                .lines()
                .enumerate()
                .skip(1)
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| {
                    parse_record(line)
                        .map(|r| (i + 1, r))
                        .map_err(|kind| TraceError { line: i + 1, kind })
                })
                .collect();
            let (_, records) = trace_records(&text).unwrap();
            prop_assert_eq!(records.collect::<Vec<_>>(), expected);
        }
    }
}
