//! The memory controller's files: limits, usage and `memory.stat`.
//!
//! All of them count bytes, with no unit written (see the kernel's
//! `Documentation/admin-guide/cgroup-v2.rst` and `cgroup-v1/memory.rst`). cgroup v2
//! writes the word `max` for "no limit"; v1 writes a large number near 2^63 whose
//! exact value depends on the kernel and its page size. Neither is compared against
//! a magic number here: [`select_limit`](super::select_limit) compares limits with
//! the host's total instead.

use serde::Serialize;

use super::error::ParseError;
use super::number::{lines, parse_u64};

/// The smallest cgroup memory limit we accept, in bytes (1 MiB).
///
/// The process itself is charged to its cgroup, so a smaller limit cannot be real
/// while it runs; such a figure is a unit mix-up or a corrupted file.
pub const MIN_CGROUP_LIMIT_BYTES: u64 = 1024 * 1024;

/// The lines of `memory.stat` this crate uses, in bytes.
///
/// The file holds many overlapping lines (`anon` and `inactive_anon` count the same
/// pages) and event counters (`pgfault`), so it is never summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MemoryStat {
    /// `inactive_file`: file pages first in line for reclaim, in bytes. For v1 this
    /// counts this cgroup alone.
    pub inactive_file_bytes: Option<u64>,
    /// `total_inactive_file` (v1 only): `inactive_file` of this cgroup and all its
    /// descendants, in bytes, matching `memory.usage_in_bytes`.
    pub total_inactive_file_bytes: Option<u64>,
    /// `hierarchical_memory_limit` (v1 only): the smallest limit of this cgroup and
    /// its ancestors, including ancestors outside the cgroup namespace, in bytes.
    pub hierarchical_memory_limit_bytes: Option<u64>,
}

/// What a memory cgroup uses, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CgroupUsage {
    /// `memory.current` (v2) or `memory.usage_in_bytes` (v1), in bytes. Includes
    /// page cache.
    pub current_bytes: u64,
    /// `inactive_file` (v2) or `total_inactive_file` (v1), in bytes.
    pub inactive_file_bytes: u64,
}

impl CgroupUsage {
    /// Memory in use that the kernel cannot simply drop, in bytes:
    /// `current - inactive_file`, never below 0.
    ///
    /// This is the "working set" of the kubelet and cAdvisor, also used by `docker
    /// stats`. Inactive file pages are page cache the kernel drops before anything
    /// else, so they are not pressure. Active file pages can often be dropped too,
    /// but not as readily, so they are counted as used: the conservative choice.
    ///
    /// # Example
    ///
    /// ```
    /// use mempressure_native::linux::CgroupUsage;
    ///
    /// let usage = CgroupUsage {
    ///     current_bytes: 51_000_000_000,
    ///     inactive_file_bytes: 46_000_000_000,
    /// };
    /// assert_eq!(usage.working_set_bytes(), 5_000_000_000);
    /// ```
    pub fn working_set_bytes(&self) -> u64 {
        self.current_bytes.saturating_sub(self.inactive_file_bytes)
    }
}

/// Parses cgroup v2 `memory.max`: `max` gives `None`, a number gives its bytes.
///
/// # Errors
///
/// [`ParseError::Empty`], [`ParseError::MalformedLine`] for more than one line,
/// [`ParseError::NotANumber`], [`ParseError::Overflow`], or
/// [`ParseError::OutOfBounds`] for a limit below [`MIN_CGROUP_LIMIT_BYTES`].
pub fn parse_memory_max(text: &str) -> Result<Option<u64>, ParseError> {
    let limit = parse_max_or_bytes(text, "memory.max")?;
    limit
        .map(|bytes| check_limit("memory.max", bytes))
        .transpose()
}

/// Parses cgroup v2 `memory.high`: `max` gives `None`, a number gives its bytes.
///
/// Unlike a limit, a small `memory.high` is accepted: it only makes the kernel
/// reclaim and throttle early, and the process keeps running.
///
/// # Errors
///
/// [`ParseError::Empty`], [`ParseError::MalformedLine`] for more than one line,
/// [`ParseError::NotANumber`] or [`ParseError::Overflow`].
pub fn parse_memory_high(text: &str) -> Result<Option<u64>, ParseError> {
    parse_max_or_bytes(text, "memory.high")
}

/// Parses cgroup v1 `memory.limit_in_bytes`, in bytes.
///
/// "No limit" reads as a number near 2^63 here, which is returned as it is; the
/// caller compares it with the host's total.
///
/// # Errors
///
/// [`ParseError::Empty`], [`ParseError::MalformedLine`] for more than one line,
/// [`ParseError::NotANumber`], [`ParseError::Overflow`], or
/// [`ParseError::OutOfBounds`] for a limit below [`MIN_CGROUP_LIMIT_BYTES`].
pub fn parse_limit_in_bytes(text: &str) -> Result<u64, ParseError> {
    let (line, value) = single_line(text, "memory.limit_in_bytes")?;
    let bytes = parse_u64(line, "memory.limit_in_bytes", value)?;
    check_limit("memory.limit_in_bytes", bytes)
}

/// Parses cgroup v2 `memory.current` or v1 `memory.usage_in_bytes`, in bytes.
///
/// `field` names the file in error messages.
///
/// # Errors
///
/// [`ParseError::Empty`], [`ParseError::MalformedLine`] for more than one line,
/// [`ParseError::NotANumber`] or [`ParseError::Overflow`].
pub fn parse_usage_file(text: &str, field: &str) -> Result<u64, ParseError> {
    let (line, value) = single_line(text, field)?;
    parse_u64(line, field, value)
}

/// Parses `memory.stat` (v1 or v2), keeping the lines in [`MemoryStat`].
///
/// Other lines are skipped without looking at their values.
///
/// # Errors
///
/// [`ParseError::Empty`] for an empty text; [`ParseError::MalformedLine`],
/// [`ParseError::NotANumber`], [`ParseError::Overflow`] or
/// [`ParseError::DuplicateField`] for a bad line of interest.
///
/// # Example
///
/// ```
/// use mempressure_native::linux::parse_memory_stat;
///
/// let stat = parse_memory_stat("anon 2472849408\ninactive_file 4096\npgfault 2503991\n")?;
/// assert_eq!(stat.inactive_file_bytes, Some(4096));
/// # Ok::<(), mempressure_native::linux::ParseError>(())
/// ```
pub fn parse_memory_stat(text: &str) -> Result<MemoryStat, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }

    let mut stat = MemoryStat::default();
    for (index, raw) in lines(text).enumerate() {
        let line = index + 1;

        // Most lines are of no interest: skip them before splitting into words,
        // most by their first letter alone.
        if raw
            .bytes()
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric() && !b"ith".contains(&first))
        {
            continue;
        }
        let start = raw.trim_start();
        if !STAT_LINES_OF_INTEREST
            .iter()
            .any(|name| start.starts_with(name))
        {
            continue;
        }

        let mut words = raw.split_whitespace();
        let (slot, name) = match words.next() {
            Some("inactive_file") => (&mut stat.inactive_file_bytes, "inactive_file"),
            Some("total_inactive_file") => {
                (&mut stat.total_inactive_file_bytes, "total_inactive_file")
            }
            Some("hierarchical_memory_limit") => (
                &mut stat.hierarchical_memory_limit_bytes,
                "hierarchical_memory_limit",
            ),
            _ => continue,
        };

        // Exactly one value after the name.
        let (Some(value), None) = (words.next(), words.next()) else {
            return Err(ParseError::MalformedLine {
                line,
                expected: "`name value`",
                text: raw.to_owned(),
            });
        };
        if slot.is_some() {
            return Err(ParseError::DuplicateField {
                line,
                field: name.to_owned(),
            });
        }
        *slot = Some(parse_u64(line, name, value)?);
    }

    Ok(stat)
}

/// The names of the `memory.stat` lines [`parse_memory_stat`] reads.
const STAT_LINES_OF_INTEREST: [&str; 3] = [
    "inactive_file",
    "total_inactive_file",
    "hierarchical_memory_limit",
];

/// `max` or a number of bytes, on a single line.
fn parse_max_or_bytes(text: &str, field: &str) -> Result<Option<u64>, ParseError> {
    let (line, value) = single_line(text, field)?;
    if value == "max" {
        return Ok(None);
    }

    parse_u64(line, field, value).map(Some)
}

/// The line number and trimmed text of a file that holds one value on one line.
fn single_line<'a>(text: &'a str, field: &str) -> Result<(usize, &'a str), ParseError> {
    let mut values = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((first_index, first)) = values.next() else {
        return Err(ParseError::Empty);
    };

    if let Some((index, extra)) = values.next() {
        return Err(ParseError::MalformedLine {
            line: index + 1,
            expected: match field {
                "memory.max" | "memory.high" => "a single number of bytes or `max`",
                _ => "a single number of bytes",
            },
            text: extra.to_owned(),
        });
    }

    Ok((first_index + 1, first.trim()))
}

/// Refuses a limit no running process can be under.
fn check_limit(field: &str, bytes: u64) -> Result<u64, ParseError> {
    if bytes >= MIN_CGROUP_LIMIT_BYTES {
        return Ok(bytes);
    }

    Err(ParseError::OutOfBounds {
        line: 1,
        field: field.to_owned(),
        bytes,
        min: MIN_CGROUP_LIMIT_BYTES,
        max: u64::MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_max_means_no_limit() {
        assert_eq!(parse_memory_max("max\n"), Ok(None));
        assert_eq!(parse_memory_max("7864320000\n"), Ok(Some(7_864_320_000)));
        assert_eq!(parse_memory_high("max\n"), Ok(None));
        assert_eq!(parse_memory_high("0\n"), Ok(Some(0)));
    }

    #[test]
    fn v1_unlimited_values_are_returned_as_read() {
        for text in [
            "9223372036854771712\n",
            "9223372036854775807\n",
            "9223372036854710272\n",
        ] {
            let bytes = parse_limit_in_bytes(text).unwrap();

            assert!(bytes > 1 << 62, "{text:?}");
        }
    }

    #[test]
    fn bad_limits_are_errors() {
        assert!(matches!(
            parse_memory_max("lots\n"),
            Err(ParseError::NotANumber { line: 1, .. })
        ));
        assert!(matches!(
            parse_limit_in_bytes("max\n"),
            Err(ParseError::NotANumber { line: 1, .. })
        ));
        assert!(matches!(
            parse_memory_max("0\n"),
            Err(ParseError::OutOfBounds { bytes: 0, .. })
        ));
        assert!(matches!(
            parse_memory_max("1\n2\n"),
            Err(ParseError::MalformedLine { line: 2, .. })
        ));
        assert_eq!(parse_memory_max(""), Err(ParseError::Empty));
    }

    #[test]
    fn usage_file_is_one_number() {
        assert_eq!(
            parse_usage_file("2481475584\n", "memory.current"),
            Ok(2_481_475_584)
        );
        assert!(matches!(
            parse_usage_file("-1\n", "memory.current"),
            Err(ParseError::NotANumber { .. })
        ));
    }

    #[test]
    fn memory_stat_keeps_only_the_lines_of_interest() {
        let text = "cache 15572992\ninactive_file 1409024\nhierarchical_memory_limit 2147483648\n\
                    total_inactive_file 506286080\ntotal_pgfault 1943543\nodd line here\n";

        let stat = parse_memory_stat(text).unwrap();

        assert_eq!(
            stat,
            MemoryStat {
                inactive_file_bytes: Some(1_409_024),
                total_inactive_file_bytes: Some(506_286_080),
                hierarchical_memory_limit_bytes: Some(2_147_483_648),
            }
        );
    }

    #[test]
    fn bad_memory_stat_lines_of_interest_are_errors() {
        assert!(matches!(
            parse_memory_stat("anon 1\ninactive_file x\n"),
            Err(ParseError::NotANumber { line: 2, .. })
        ));
        assert!(matches!(
            parse_memory_stat("inactive_file 1\ninactive_file 2\n"),
            Err(ParseError::DuplicateField { line: 2, .. })
        ));
        assert!(matches!(
            parse_memory_stat("inactive_file\n"),
            Err(ParseError::MalformedLine { line: 1, .. })
        ));
    }

    #[test]
    fn working_set_never_underflows() {
        let usage = CgroupUsage {
            current_bytes: 10,
            inactive_file_bytes: 20,
        };

        assert_eq!(usage.working_set_bytes(), 0);
    }
}
