//! Errors from reading and interpreting the Linux memory files.
//!
//! Two layers: [`ParseError`] says what is wrong inside one file's text (the pure
//! parsers know no paths), and [`LinuxReadError`] adds the full path of the file under
//! the root that was read. Neither layer ever stands in a default for a bad value.

use std::io;
use std::path::PathBuf;

/// What is wrong with the contents of one memory file.
///
/// Line numbers count from 1. The reader wraps this in [`LinuxReadError::Parse`]
/// together with the file's path, so the message names file, line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The file holds no text. The kernel always writes something, so the file was
    /// truncated or replaced; check what is mounted at that path.
    #[error("file is empty")]
    Empty,

    /// A line does not have the shape the kernel writes, so the file is not the one
    /// we expect (wrong mount, corrupted copy, another tool's format).
    #[error("line {line}: expected {expected}, found {text:?}")]
    MalformedLine {
        /// Line number, from 1.
        line: usize,
        /// The shape we expected, in words.
        expected: &'static str,
        /// The line as found.
        text: String,
    },

    /// A field holds something other than a whole, non-negative decimal number.
    #[error("line {line}: `{field}` is not a whole number: {value:?}")]
    NotANumber {
        /// Line number, from 1.
        line: usize,
        /// The field's name as the kernel writes it.
        field: String,
        /// The value as found.
        value: String,
    },

    /// A field carries a unit other than the one the kernel writes for it, which
    /// would mix KiB and bytes if accepted.
    #[error("line {line}: `{field}` has unit {unit:?}, expected {expected:?}")]
    UnexpectedUnit {
        /// Line number, from 1.
        line: usize,
        /// The field's name.
        field: String,
        /// The unit as found (empty when there was none).
        unit: String,
        /// The unit the kernel writes for this field.
        expected: &'static str,
    },

    /// A value does not fit in 64 bits once converted to bytes.
    #[error("line {line}: `{field}` does not fit in 64 bits as bytes")]
    Overflow {
        /// Line number, from 1.
        line: usize,
        /// The field's name.
        field: String,
    },

    /// A field appears twice, so we cannot tell which value is meant.
    #[error("line {line}: `{field}` appears a second time")]
    DuplicateField {
        /// Line number of the second occurrence, from 1.
        line: usize,
        /// The field's name.
        field: String,
    },

    /// A field this reading needs is absent.
    #[error("no `{field}` line")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },

    /// `/proc/meminfo` has no `MemAvailable` line and lacks the lines to estimate it,
    /// so there is no honest figure for available memory.
    #[error("no `MemAvailable` line, and no `MemFree` and `Cached` lines to estimate it from")]
    CannotEstimateAvailable,

    /// A total or limit lies outside the range any real machine or cgroup has; the
    /// file most likely holds a unit mix-up or a corrupted value.
    #[error("line {line}: `{field}` is {bytes} bytes, outside the sane range {min}..={max}")]
    OutOfBounds {
        /// Line number, from 1.
        line: usize,
        /// The field's name.
        field: String,
        /// The value, in bytes.
        bytes: u64,
        /// The smallest accepted value, in bytes.
        min: u64,
        /// The largest accepted value, in bytes.
        max: u64,
    },
}

/// Why [`read_memory`](super::read_memory) could not produce a reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinuxReadError {
    /// A file the reading needs could not be read. For `/proc/meminfo` this means no
    /// host reading at all; for a cgroup file it means a limit we know applies could
    /// not be measured. Check permissions and what is mounted under the root.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// Full path of the file under the root.
        path: PathBuf,
        /// The error from the file system.
        source: io::Error,
    },

    /// A file was read but its contents are not what the kernel writes.
    #[error("{}: {source}", path.display())]
    Parse {
        /// Full path of the file under the root.
        path: PathBuf,
        /// What is wrong, with line and field.
        source: ParseError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_in_file_names_path_line_and_field() {
        let error = LinuxReadError::Parse {
            path: PathBuf::from("/root/proc/meminfo"),
            source: ParseError::NotANumber {
                line: 1,
                field: "MemTotal".to_owned(),
                value: "lots".to_owned(),
            },
        };

        assert_eq!(
            error.to_string(),
            "/root/proc/meminfo: line 1: `MemTotal` is not a whole number: \"lots\""
        );
    }
}
