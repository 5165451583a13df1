//! Durations as people write them (`500ms`, `5s`, `2m`), held as whole milliseconds.
//!
//! Parsing uses `humantime`. A duration is always text with its unit: a bare number is an
//! error rather than a guess at milliseconds or seconds.

use std::time::Duration;

use serde::{Deserializer, Serializer};

/// Parses a duration such as `500ms`, `5s`, `2m` or `1h 30m` into whole milliseconds.
///
/// # Errors
/// Returns a message saying what is wrong when the text is not a duration, is negative, is
/// above 0 but shorter than 1 ms, or does not fit in `u64` milliseconds.
///
/// ```
/// assert_eq!(mempressure_core::parse_duration_ms("1m 30s"), Ok(90_000));
/// assert!(mempressure_core::parse_duration_ms("-5s").is_err());
/// ```
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!("{text:?} is negative; durations must be 0 or more"));
    }

    let duration = humantime::parse_duration(trimmed)
        .map_err(|e| format!("{text:?} is not a duration ({e}); write e.g. 500ms, 5s or 2m"))?;
    if !duration.is_zero() && duration.as_millis() == 0 {
        return Err(format!(
            "{text:?} is shorter than 1 ms, the resolution of durations"
        ));
    }
    u64::try_from(duration.as_millis()).map_err(|_| format!("{text:?} is too long"))
}

/// Formats whole milliseconds the way [`parse_duration_ms`] reads them (`5s`, `1m 30s`).
///
/// ```
/// assert_eq!(mempressure_core::format_duration_ms(300_000), "5m");
/// ```
pub fn format_duration_ms(ms: u64) -> String {
    humantime::format_duration(Duration::from_millis(ms)).to_string()
}

/// Serde helpers for a `u64` millisecond field written as a duration string.
pub(crate) mod serde_ms {
    use super::*;

    pub fn serialize<S: Serializer>(ms: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_duration_ms(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(MsVisitor)
    }

    /// Like [`deserialize`], for an optional field.
    pub fn deserialize_option<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        deserialize(deserializer).map(Some)
    }

    struct MsVisitor;

    impl serde::de::Visitor<'_> for MsVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a duration with its unit, such as \"500ms\", \"5s\" or \"2m\"")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
            parse_duration_ms(v).map_err(E::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("5s"), Ok(5_000));
        assert_eq!(parse_duration_ms("2m"), Ok(120_000));
        assert_eq!(parse_duration_ms("0s"), Ok(0));
    }

    #[test]
    fn rejects_negative_and_garbage() {
        assert!(parse_duration_ms("-1s").unwrap_err().contains("negative"));
        assert!(parse_duration_ms("soon").unwrap_err().contains("\"soon\""));
        assert!(parse_duration_ms("5").is_err());
        assert!(
            parse_duration_ms("500us")
                .unwrap_err()
                .contains("shorter than 1 ms")
        );
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 1, 500, 5_000, 90_000, 300_000, 3_600_000] {
            assert_eq!(parse_duration_ms(&format_duration_ms(ms)), Ok(ms));
        }
    }
}
