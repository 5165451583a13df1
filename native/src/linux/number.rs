//! Strict decimal numbers as the kernel writes them.

use super::error::ParseError;

/// Parses a whole, non-negative decimal number, with no sign, spaces or fraction.
///
/// `str::parse::<u64>` alone would accept a leading `+`; the kernel never writes one,
/// so it is refused as a sign of a file that is not what we think.
pub(crate) fn parse_u64(line: usize, field: &str, value: &str) -> Result<u64, ParseError> {
    let all_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if !all_digits {
        return Err(ParseError::NotANumber {
            line,
            field: field.to_owned(),
            value: value.to_owned(),
        });
    }

    // Only overflow can fail now: the text is all digits.
    value.parse().map_err(|_| ParseError::Overflow {
        line,
        field: field.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_digits_up_to_u64_max() {
        assert_eq!(parse_u64(1, "x", "0"), Ok(0));
        assert_eq!(parse_u64(1, "x", "18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn refuses_signs_fractions_and_words() {
        for value in ["+1", "-1", "1.5", "", "max", "1 2", "0x10"] {
            assert!(
                matches!(
                    parse_u64(3, "x", value),
                    Err(ParseError::NotANumber { line: 3, .. })
                ),
                "{value:?} was accepted"
            );
        }
    }

    #[test]
    fn refuses_overflow() {
        assert_eq!(
            parse_u64(2, "x", "18446744073709551616"),
            Err(ParseError::Overflow {
                line: 2,
                field: "x".to_owned()
            })
        );
    }
}
