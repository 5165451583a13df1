//! Pressure levels, ordered from no pressure to the last step before the OOM killer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How close memory is to running out, from `Normal` to `Emergency`.
///
/// Levels are ordered, so `PressureLevel::Critical > PressureLevel::Warning`. They serialise as
/// lowercase words (`"normal"`, `"warning"`, `"critical"`, `"emergency"`).
///
/// ```
/// use mempressure_core::PressureLevel;
///
/// assert!(PressureLevel::Emergency > PressureLevel::Warning);
/// assert_eq!(PressureLevel::Critical.as_str(), "critical");
/// assert_eq!("warning".parse::<PressureLevel>(), Ok(PressureLevel::Warning));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PressureLevel {
    /// Usage is below the warning threshold (or inside its exit band on the way down).
    Normal,
    /// Usage reached the warning threshold: caches should start giving memory back.
    Warning,
    /// Usage reached the critical threshold: evict now, alert a person.
    Critical,
    /// Usage reached the emergency threshold: evict hard, the process is close to being killed.
    Emergency,
}

impl PressureLevel {
    /// Every level, from lowest to highest.
    pub const ALL: [PressureLevel; 4] = [
        PressureLevel::Normal,
        PressureLevel::Warning,
        PressureLevel::Critical,
        PressureLevel::Emergency,
    ];

    /// The level's name as written in configs, traces and decision logs.
    pub fn as_str(self) -> &'static str {
        match self {
            PressureLevel::Normal => "normal",
            PressureLevel::Warning => "warning",
            PressureLevel::Critical => "critical",
            PressureLevel::Emergency => "emergency",
        }
    }

    /// The next level up (emergency stays emergency).
    pub fn step_up(self) -> PressureLevel {
        PressureLevel::ALL[(self.index() + 1).min(3)]
    }

    /// The level as a number from 0 (normal) to 3 (emergency), for gauges.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PressureLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a level name that is not one of the four levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLevel(pub String);

impl fmt::Display for UnknownLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level {:?} (expected normal, warning, critical or emergency)",
            self.0
        )
    }
}

impl std::error::Error for UnknownLevel {}

impl std::str::FromStr for PressureLevel {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PressureLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == s)
            .ok_or_else(|| UnknownLevel(s.to_string()))
    }
}
