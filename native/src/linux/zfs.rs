//! `/proc/spl/kstat/zfs/arcstats`: the part of the ZFS ARC the kernel can give back.
//!
//! OpenZFS keeps its cache, the ARC, outside the page cache, so `MemAvailable` does
//! not count it although the ARC shrinks when other memory is needed
//! (openzfs/zfs#10255). It never shrinks below its minimum, `c_min`. So the ARC's
//! `size` above `c_min` is reclaimable and counts as available; the rest is used.
//! This is the correction earlyoom (rfjakob/earlyoom#191) and htop
//! (htop-dev/htop#1002) settled on.

use serde::Serialize;

use super::error::ParseError;
use super::number::parse_u64;

/// The ARC figures this crate uses, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArcStats {
    /// `size`: what the ARC holds now, in bytes.
    pub size_bytes: u64,
    /// `c_min`: the size the ARC never shrinks below, in bytes.
    pub c_min_bytes: u64,
}

impl ArcStats {
    /// The ARC above its minimum size, which the kernel can reclaim, in bytes.
    ///
    /// Zero when the ARC is at or below its minimum.
    pub fn reclaimable_bytes(&self) -> u64 {
        self.size_bytes.saturating_sub(self.c_min_bytes)
    }
}

/// Parses the text of `/proc/spl/kstat/zfs/arcstats`.
///
/// The file is a kstat table: a header line of numbers, a `name type data` line,
/// then one `name type value` line per statistic. Only `size` and `c_min` are read.
///
/// # Errors
///
/// - [`ParseError::Empty`] for an empty text.
/// - [`ParseError::MalformedLine`] when a `size` or `c_min` line does not have three
///   columns.
/// - [`ParseError::NotANumber`], [`ParseError::Overflow`] or
///   [`ParseError::DuplicateField`] for a bad `size` or `c_min` line.
/// - [`ParseError::MissingField`] when either line is absent.
///
/// # Example
///
/// ```
/// use mempressure_native::linux::parse_arcstats;
///
/// let text = "13 1 0x01 147 39984 0 0\nname type data\n\
///             c_min 4 1073741824\nsize 4 4294967296\n";
/// let arc = parse_arcstats(text)?;
/// assert_eq!(arc.reclaimable_bytes(), 3 * 1024 * 1024 * 1024);
/// # Ok::<(), mempressure_native::linux::ParseError>(())
/// ```
pub fn parse_arcstats(text: &str) -> Result<ArcStats, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }

    let mut size = None;
    let mut c_min = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let words: Vec<&str> = raw.split_whitespace().collect();
        let (slot, name) = match words.first() {
            Some(&"size") => (&mut size, "size"),
            Some(&"c_min") => (&mut c_min, "c_min"),
            _ => continue,
        };

        let [_, _, value] = words[..] else {
            return Err(ParseError::MalformedLine {
                line,
                expected: "`name type value`",
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

    Ok(ArcStats {
        size_bytes: size.ok_or(ParseError::MissingField { field: "size" })?,
        c_min_bytes: c_min.ok_or(ParseError::MissingField { field: "c_min" })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "13 1 0x01 147 39984 6310237455 1210634571543\nname type data\n";

    #[test]
    fn reads_size_and_c_min() {
        let text = format!("{HEADER}hits 4 10\nc 4 99\nc_min 4 100\nsize 4 350\n");

        let arc = parse_arcstats(&text).unwrap();

        assert_eq!(
            arc,
            ArcStats {
                size_bytes: 350,
                c_min_bytes: 100
            }
        );
        assert_eq!(arc.reclaimable_bytes(), 250);
    }

    #[test]
    fn arc_below_minimum_gives_nothing_back() {
        let arc = ArcStats {
            size_bytes: 10,
            c_min_bytes: 100,
        };

        assert_eq!(arc.reclaimable_bytes(), 0);
    }

    #[test]
    fn missing_or_bad_lines_are_errors() {
        let missing = parse_arcstats(&format!("{HEADER}size 4 350\n"));
        let bad = parse_arcstats(&format!("{HEADER}c_min 4 x\nsize 4 350\n"));
        let short = parse_arcstats(&format!("{HEADER}c_min 4\n"));

        assert_eq!(missing, Err(ParseError::MissingField { field: "c_min" }));
        assert!(matches!(bad, Err(ParseError::NotANumber { line: 3, .. })));
        assert!(matches!(
            short,
            Err(ParseError::MalformedLine { line: 3, .. })
        ));
    }
}
