//! Error types, one per failing operation.

use std::fmt;

/// A config that cannot be used. Each variant names the field and the value.
///
/// The person who wrote the config is at fault; the message says which key to change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The text is not valid TOML or JSON, has an unknown key, or a value of the wrong type.
    Syntax {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// 1-based line of the fault, 0 when the parser gave none.
        line: usize,
        /// 1-based column of the fault, 0 when the parser gave none.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A profile name that is not one of `default`, `development`, `production`, `low_memory`.
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// A number outside its allowed range (NaN included).
    OutOfRange {
        /// Dotted path of the field, such as `thresholds.warning`.
        field: String,
        /// The value given.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// Two thresholds that are not strictly increasing.
    NotIncreasing {
        /// The lower level's field.
        lower_field: &'static str,
        /// Its value.
        lower: f64,
        /// The higher level's field.
        upper_field: &'static str,
        /// Its value, which must be above `lower`.
        upper: f64,
    },
    /// Any other invalid value.
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Syntax {
                format,
                line: 0,
                message,
                ..
            } => {
                write!(f, "invalid {format} config: {message}")
            }
            ConfigError::Syntax {
                format,
                line,
                column,
                message,
            } => {
                write!(
                    f,
                    "invalid {format} config at line {line}, column {column}: {message}"
                )
            }
            ConfigError::UnknownProfile { name } => write!(
                f,
                "unknown profile {name:?} (expected default, development, production or low_memory)"
            ),
            ConfigError::OutOfRange {
                field,
                value,
                expected,
            } => {
                write!(f, "{field} = {value} is out of range: expected {expected}")
            }
            ConfigError::NotIncreasing {
                lower_field,
                lower,
                upper_field,
                upper,
            } => write!(
                f,
                "thresholds must be strictly increasing: {lower_field} = {lower} is not below \
                 {upper_field} = {upper}"
            ),
            ConfigError::Invalid { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// An input (sample, cache update) the monitor refused; its state is unchanged.
///
/// The sampler or the recording is at fault: a reading that cannot be right is reported, never
/// clamped into a plausible one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InputError {
    /// `total` was 0: no usage can be computed.
    ZeroTotal {
        /// Time of the sample, in milliseconds.
        t_ms: u64,
    },
    /// `available` was larger than `total`.
    AvailableAboveTotal {
        /// Time of the sample, in milliseconds.
        t_ms: u64,
        /// Available bytes given.
        available_bytes: u64,
        /// Total bytes given.
        total_bytes: u64,
    },
    /// A stall-pressure figure that is not a percentage in [0, 100].
    InvalidPsi {
        /// `psi_some_avg10` or `psi_full_avg10`.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// An input's time is earlier than one the monitor has already seen.
    TimeWentBackwards {
        /// The latest time seen so far, in milliseconds.
        previous_ms: u64,
        /// The earlier time given now, in milliseconds.
        current_ms: u64,
    },
    /// An eviction plan was handed out and its report has not come back yet.
    EvictionPending {
        /// The plan awaiting [`crate::PressureMonitor::handle_eviction_report`].
        plan_id: u64,
    },
    /// A cache's size would take the registered caches past `u64::MAX` bytes in all: the
    /// program reported a size that cannot be right (16 EiB). The cache keeps its old size.
    CacheBytesOverflow {
        /// Time of the input, in milliseconds.
        t_ms: u64,
        /// The cache's id.
        id: String,
        /// The bytes given for it.
        bytes: u64,
        /// The bytes the other caches hold.
        others_bytes: u64,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::ZeroTotal { t_ms } => {
                write!(f, "sample at t_ms {t_ms}: total is 0 bytes")
            }
            InputError::AvailableAboveTotal {
                t_ms,
                available_bytes,
                total_bytes,
            } => write!(
                f,
                "sample at t_ms {t_ms}: available ({available_bytes} bytes) is above total \
                 ({total_bytes} bytes)"
            ),
            InputError::InvalidPsi { field, value } => {
                write!(f, "{field} = {value} is not a percentage in [0, 100]")
            }
            InputError::TimeWentBackwards {
                previous_ms,
                current_ms,
            } => write!(
                f,
                "time went backwards: t_ms {current_ms} comes after t_ms {previous_ms}"
            ),
            InputError::EvictionPending { plan_id } => write!(
                f,
                "eviction plan {plan_id} awaits its report; report it before the next sample"
            ),
            InputError::CacheBytesOverflow {
                t_ms,
                id,
                bytes,
                others_bytes,
            } => write!(
                f,
                "cache {id:?} at t_ms {t_ms}: {bytes} bytes on top of the {others_bytes} bytes \
                 of the other caches exceed 2^64 - 1 bytes"
            ),
        }
    }
}

impl std::error::Error for InputError {}

/// An eviction report that does not match the plan awaiting it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportError {
    /// No plan is awaiting a report.
    NoPendingPlan {
        /// The plan id the report named.
        plan_id: u64,
    },
    /// The report names another plan than the one awaiting a report.
    WrongPlan {
        /// The plan awaiting a report.
        expected: u64,
        /// The plan the report named.
        got: u64,
    },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::NoPendingPlan { plan_id } => {
                write!(
                    f,
                    "eviction report for plan {plan_id}, but no plan is awaiting a report"
                )
            }
            ReportError::WrongPlan { expected, got } => {
                write!(
                    f,
                    "eviction report for plan {got}, but plan {expected} is awaiting one"
                )
            }
        }
    }
}

impl std::error::Error for ReportError {}
