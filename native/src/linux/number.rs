//! Strict decimal numbers and lines, as the kernel writes them.

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

/// The lines of `text`, exactly as [`str::lines`] gives them, found with one
/// vectorised scan for newlines.
///
/// The kernel's lines are short (20 to 40 bytes), and for them `str::lines`' call
/// to `memchr` per line costs more than the search itself; `/proc/meminfo` and
/// `memory.stat` are split on every reading.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut newlines = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut start = 0;
    std::iter::from_fn(move || {
        if start == text.len() {
            return None;
        }

        let Some(end) = newlines.next() else {
            let last = &text[start..];
            start = text.len();
            return Some(last);
        };
        let line = &text[start..end];
        start = end + 1;

        // A `\r` right before the `\n` belongs to the line ending.
        Some(line.strip_suffix('\r').unwrap_or(line))
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

    #[test]
    fn lines_are_those_of_str_lines() {
        let texts = [
            "",
            "\n",
            "\n\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "a\r",
            "a\r\r\n",
            "\r\n\r",
            "x\rb\n",
            "  MemTotal: 1 kB\n\nMemFree: 2 kB",
            "é\nü\r\n€",
        ];

        for text in texts {
            let ours: Vec<&str> = lines(text).collect();
            let std: Vec<&str> = text.lines().collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }
}
