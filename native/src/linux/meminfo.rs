//! `/proc/meminfo`: the host's memory, and how to estimate `MemAvailable` without it.
//!
//! Every figure in `/proc/meminfo` is written with the unit `kB`, which the kernel
//! means as KiB (1024 bytes); see `proc(5)`. We convert to bytes once, here, and
//! refuse any line of interest with another unit or none.
//!
//! Where the kernel gives no `MemAvailable` (before 3.14, some vendor builds, WSL1)
//! we estimate it as the kernel's own `si_mem_available()` does, in
//! `mm/page_alloc.c` (`mm/show_mem.c` since 6.2): free pages, plus the file LRU
//! lists, plus reclaimable slab. The kernel subtracts the zones' low watermarks and
//! keeps half of each reclaimable pool back when it is smaller than them; those
//! watermarks live in `/proc/zoneinfo`, in pages, which we do not read.
//! TODO: subtract the low watermarks from `/proc/zoneinfo`; until then the estimate
//! can be high by about the sum of the low watermarks (usually well under 1 % of RAM).

use serde::Serialize;

use super::error::ParseError;
use super::number::{lines, parse_u64};

/// The smallest `MemTotal` we accept, in bytes (16 MiB).
///
/// No Linux system that runs this program has less; a smaller figure means KiB were
/// read as bytes or the file is corrupted.
pub const MIN_HOST_TOTAL_BYTES: u64 = 16 * 1024 * 1024;

/// The largest `MemTotal` we accept, in bytes (2^50, 1 PiB).
///
/// The largest single machines today have tens of TiB; a larger figure means bytes
/// were multiplied by 1024 once too often.
pub const MAX_HOST_TOTAL_BYTES: u64 = 1 << 50;

/// The lines of `/proc/meminfo` this crate uses, in bytes.
///
/// Only `MemTotal` is required; the others are absent on some kernels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meminfo {
    /// `MemTotal`: usable RAM, in bytes.
    pub total_bytes: u64,
    /// `MemFree`: RAM nobody uses, in bytes. Not a measure of what is available.
    pub free_bytes: Option<u64>,
    /// `MemAvailable`: the kernel's estimate of what can be allocated without
    /// swapping, in bytes (since Linux 3.14).
    pub available_bytes: Option<u64>,
    /// `Cached`: page cache, including shared memory, in bytes.
    pub cached_bytes: Option<u64>,
    /// `Active(file)`: recently used file pages, in bytes (since Linux 2.6.28).
    pub active_file_bytes: Option<u64>,
    /// `Inactive(file)`: file pages first in line for reclaim, in bytes.
    pub inactive_file_bytes: Option<u64>,
    /// `SReclaimable`: slab the kernel can reclaim, in bytes (since Linux 2.6.19).
    pub s_reclaimable_bytes: Option<u64>,
}

/// How an absent or implausible `MemAvailable` was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AvailableEstimate {
    /// `MemFree + Active(file) + Inactive(file) + SReclaimable`: the kernel's formula
    /// without its watermark term.
    KernelFormula,
    /// `MemFree + Cached`: the fallback when the file LRU or slab lines are missing.
    /// It counts shared memory as available, so it runs a little high.
    FreePlusCached,
}

impl std::fmt::Display for AvailableEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AvailableEstimate::KernelFormula => {
                "MemFree + Active(file) + Inactive(file) + SReclaimable"
            }
            AvailableEstimate::FreePlusCached => "MemFree + Cached",
        })
    }
}

/// Parses the text of `/proc/meminfo`.
///
/// Lines this crate does not use are skipped without looking at their values, so a
/// new kernel field cannot break the reading. The lines it uses must read
/// `Name: <number> kB`.
///
/// # Errors
///
/// - [`ParseError::Empty`] for an empty text.
/// - [`ParseError::MalformedLine`] for a line without a `:`.
/// - [`ParseError::NotANumber`], [`ParseError::UnexpectedUnit`],
///   [`ParseError::Overflow`] or [`ParseError::DuplicateField`] for a bad line of
///   interest.
/// - [`ParseError::MissingField`] when there is no `MemTotal` line.
/// - [`ParseError::OutOfBounds`] when `MemTotal` lies outside
///   [`MIN_HOST_TOTAL_BYTES`]`..=`[`MAX_HOST_TOTAL_BYTES`].
///
/// # Example
///
/// ```
/// use mempressure_native::linux::parse_meminfo;
///
/// let meminfo = parse_meminfo("MemTotal: 7931924 kB\nMemAvailable: 4000000 kB\n")?;
/// assert_eq!(meminfo.total_bytes, 8_122_290_176);
/// assert_eq!(meminfo.free_bytes, None);
/// # Ok::<(), mempressure_native::linux::ParseError>(())
/// ```
pub fn parse_meminfo(text: &str) -> Result<Meminfo, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }

    let mut total = None;
    let mut fields = MeminfoFields::default();
    for (index, raw) in lines(text).enumerate() {
        let line = index + 1;
        if raw.trim_start().is_empty() {
            continue;
        }

        // A byte search: `split_once(':')` takes twice as long over the ~55 lines.
        let Some(colon) = raw.bytes().position(|byte| byte == b':') else {
            return Err(ParseError::MalformedLine {
                line,
                expected: "`Name: value kB`",
                text: raw.to_owned(),
            });
        };
        let (name, value) = (&raw[..colon], &raw[colon + 1..]);

        let name = name.trim();
        let slot = match name {
            "MemTotal" => &mut total,
            "MemFree" => &mut fields.free,
            "MemAvailable" => &mut fields.available,
            "Cached" => &mut fields.cached,
            "Active(file)" => &mut fields.active_file,
            "Inactive(file)" => &mut fields.inactive_file,
            "SReclaimable" => &mut fields.s_reclaimable,
            _ => continue,
        };
        if slot.is_some() {
            return Err(ParseError::DuplicateField {
                line,
                field: name.to_owned(),
            });
        }
        *slot = Some((line, parse_kib_as_bytes(line, name, value)?));
    }

    let Some((total_line, total_bytes)) = total else {
        return Err(ParseError::MissingField { field: "MemTotal" });
    };
    check_host_total(total_line, total_bytes)?;

    let value = |field: Option<(usize, u64)>| field.map(|(_, bytes)| bytes);
    Ok(Meminfo {
        total_bytes,
        free_bytes: value(fields.free),
        available_bytes: value(fields.available),
        cached_bytes: value(fields.cached),
        active_file_bytes: value(fields.active_file),
        inactive_file_bytes: value(fields.inactive_file),
        s_reclaimable_bytes: value(fields.s_reclaimable),
    })
}

/// Estimates `MemAvailable` from the other lines, as the kernel would, capped at
/// `MemTotal`.
///
/// Returns `None` when even `MemFree + Cached` cannot be formed; the caller must
/// then refuse to report, not guess. See the module docs for what the kernel
/// formula leaves out.
///
/// # Example
///
/// ```
/// use mempressure_native::linux::{AvailableEstimate, estimate_available, parse_meminfo};
///
/// let meminfo = parse_meminfo("MemTotal: 125128 kB\nMemFree: 80288 kB\nCached: 21700 kB\n")?;
/// let estimate = estimate_available(&meminfo);
/// assert_eq!(estimate, Some((101_988 * 1024, AvailableEstimate::FreePlusCached)));
/// # Ok::<(), mempressure_native::linux::ParseError>(())
/// ```
pub fn estimate_available(meminfo: &Meminfo) -> Option<(u64, AvailableEstimate)> {
    let free = meminfo.free_bytes?;

    let kernel_formula = [
        meminfo.active_file_bytes,
        meminfo.inactive_file_bytes,
        meminfo.s_reclaimable_bytes,
    ]
    .into_iter()
    .try_fold(free, |sum, part| Some(sum.saturating_add(part?)));

    let (bytes, method) = match (kernel_formula, meminfo.cached_bytes) {
        (Some(bytes), _) => (bytes, AvailableEstimate::KernelFormula),
        (None, Some(cached)) => (
            free.saturating_add(cached),
            AvailableEstimate::FreePlusCached,
        ),
        (None, None) => return None,
    };

    Some((bytes.min(meminfo.total_bytes), method))
}

/// The optional lines, each with the line number it was found on.
#[derive(Default)]
struct MeminfoFields {
    free: Option<(usize, u64)>,
    available: Option<(usize, u64)>,
    cached: Option<(usize, u64)>,
    active_file: Option<(usize, u64)>,
    inactive_file: Option<(usize, u64)>,
    s_reclaimable: Option<(usize, u64)>,
}

/// Parses `<number> kB` (the part after the colon) into bytes.
fn parse_kib_as_bytes(line: usize, field: &str, value: &str) -> Result<u64, ParseError> {
    let mut words = value.split_whitespace();
    let number = words.next().unwrap_or_default();
    let unit_words = words.clone();

    let kib = parse_u64(line, field, number)?;
    if !(words.next() == Some("kB") && words.next().is_none()) {
        return Err(ParseError::UnexpectedUnit {
            line,
            field: field.to_owned(),
            unit: unit_words.collect::<Vec<_>>().join(" "),
            expected: "kB",
        });
    }

    kib.checked_mul(1024).ok_or_else(|| ParseError::Overflow {
        line,
        field: field.to_owned(),
    })
}

/// Refuses a `MemTotal` no real machine has.
fn check_host_total(line: usize, bytes: u64) -> Result<(), ParseError> {
    if (MIN_HOST_TOTAL_BYTES..=MAX_HOST_TOTAL_BYTES).contains(&bytes) {
        return Ok(());
    }

    Err(ParseError::OutOfBounds {
        line,
        field: "MemTotal".to_owned(),
        bytes,
        min: MIN_HOST_TOTAL_BYTES,
        max: MAX_HOST_TOTAL_BYTES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u64 = 1024;

    #[test]
    fn kb_means_kib() {
        let meminfo = parse_meminfo("MemTotal:        7931924 kB\n").unwrap();

        assert_eq!(meminfo.total_bytes, 7_931_924 * KIB);
    }

    #[test]
    fn reads_every_line_of_interest_and_skips_the_rest() {
        let text = "MemTotal: 1000000 kB\nMemFree: 100 kB\nMemAvailable: 200 kB\n\
                    Buffers: 7 kB\nCached: 300 kB\nActive(file): 400 kB\n\
                    Inactive(file): 500 kB\nSReclaimable: 600 kB\nHugePages_Total: 0\n";

        let meminfo = parse_meminfo(text).unwrap();

        assert_eq!(
            meminfo,
            Meminfo {
                total_bytes: 1_000_000 * KIB,
                free_bytes: Some(100 * KIB),
                available_bytes: Some(200 * KIB),
                cached_bytes: Some(300 * KIB),
                active_file_bytes: Some(400 * KIB),
                inactive_file_bytes: Some(500 * KIB),
                s_reclaimable_bytes: Some(600 * KIB),
            }
        );
    }

    #[test]
    fn missing_total_is_an_error() {
        assert_eq!(
            parse_meminfo("MemFree: 100 kB\n"),
            Err(ParseError::MissingField { field: "MemTotal" })
        );
    }

    #[test]
    fn empty_text_is_an_error() {
        assert_eq!(parse_meminfo(" \n"), Err(ParseError::Empty));
    }

    #[test]
    fn garbage_names_the_line() {
        let result = parse_meminfo("MemTotal: 1000000 kB\n<html>\n");

        assert!(matches!(
            result,
            Err(ParseError::MalformedLine { line: 2, .. })
        ));
    }

    #[test]
    fn value_in_bytes_or_other_unit_is_refused() {
        for text in ["MemTotal: 8122290176\n", "MemTotal: 7931924 MB\n"] {
            assert!(
                matches!(
                    parse_meminfo(text),
                    Err(ParseError::UnexpectedUnit { line: 1, .. })
                ),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn non_number_is_refused() {
        assert_eq!(
            parse_meminfo("MemTotal: -5 kB\n"),
            Err(ParseError::NotANumber {
                line: 1,
                field: "MemTotal".to_owned(),
                value: "-5".to_owned()
            })
        );
    }

    #[test]
    fn duplicate_line_is_refused() {
        let result = parse_meminfo("MemTotal: 1000000 kB\nMemTotal: 2000000 kB\n");

        assert!(matches!(
            result,
            Err(ParseError::DuplicateField { line: 2, .. })
        ));
    }

    #[test]
    fn total_out_of_bounds_is_refused() {
        let too_small = parse_meminfo("MemTotal: 0 kB\n");
        let too_large = parse_meminfo("MemTotal: 2199023255552 kB\n");
        let overflow = parse_meminfo("MemTotal: 18446744073709551615 kB\n");

        assert!(matches!(
            too_small,
            Err(ParseError::OutOfBounds { bytes: 0, .. })
        ));
        assert!(matches!(too_large, Err(ParseError::OutOfBounds { .. })));
        assert!(matches!(
            overflow,
            Err(ParseError::Overflow { line: 1, .. })
        ));
    }

    #[test]
    fn estimate_uses_kernel_formula_when_lines_exist() {
        let meminfo = Meminfo {
            total_bytes: 1000 * KIB,
            free_bytes: Some(100 * KIB),
            available_bytes: None,
            cached_bytes: Some(900 * KIB),
            active_file_bytes: Some(10 * KIB),
            inactive_file_bytes: Some(20 * KIB),
            s_reclaimable_bytes: Some(30 * KIB),
        };

        assert_eq!(
            estimate_available(&meminfo),
            Some((160 * KIB, AvailableEstimate::KernelFormula))
        );
    }

    #[test]
    fn estimate_is_capped_at_total_and_needs_free() {
        let mut meminfo = Meminfo {
            total_bytes: 1000 * KIB,
            free_bytes: Some(900 * KIB),
            available_bytes: None,
            cached_bytes: Some(900 * KIB),
            active_file_bytes: None,
            inactive_file_bytes: None,
            s_reclaimable_bytes: None,
        };

        assert_eq!(
            estimate_available(&meminfo),
            Some((1000 * KIB, AvailableEstimate::FreePlusCached))
        );

        meminfo.free_bytes = None;
        assert_eq!(estimate_available(&meminfo), None);
    }
}
