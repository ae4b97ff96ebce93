//! The exact integer value of a JSON number's text, whatever its form: `1000`, `1e3`, `1.0E+3`,
//! `10000e-1` are all 1000.
//!
//! Kafka Connect reads a fraction or an exponent as a `BigDecimal` and takes its `intValue()` /
//! `longValue()` for an integer schema, so `1e3` reads as 1000 and `5.0` as 5. Where that is
//! exact, this converter reads the same; where Java truncates (`1.9` → 1) or wraps (`1e20` as
//! an INT64), it refuses instead.

/// What a number's text is, as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integral {
    /// Exactly this integer.
    Exact(i64),
    /// An integer beyond 64 bits.
    TooBig,
    /// Not an integer: it has a non-zero fractional part.
    Fraction,
}

/// Reads `text`, which the parser has checked to be `-?digits(.digits)?([eE][+-]?digits)?`.
pub(crate) fn integral(text: &str) -> Integral {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            unsigned.get(..at).unwrap_or_default(),
            exponent(unsigned.get(at + 1..).unwrap_or_default()),
        ),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // value = digits × 10^scale, with digits = whole ‖ fraction, leading and trailing zeros off.
    let digits = whole.bytes().chain(fraction.bytes());
    let mut significant: Vec<u8> = digits.skip_while(|&b| b == b'0').collect();
    if significant.is_empty() {
        return Integral::Exact(0);
    }
    let trailing = significant.iter().rev().take_while(|&&b| b == b'0').count();
    significant.truncate(significant.len() - trailing);
    let fraction_len = i64::try_from(fraction.len()).unwrap_or(i64::MAX);
    let trailing = i64::try_from(trailing).unwrap_or(i64::MAX);
    let scale = exponent
        .saturating_sub(fraction_len)
        .saturating_add(trailing);
    if scale < 0 {
        return Integral::Fraction;
    }
    // i64 has 19 digits; anything longer is out of range.
    let len = i64::try_from(significant.len()).unwrap_or(i64::MAX);
    if len.saturating_add(scale) > 19 {
        return Integral::TooBig;
    }
    let mut magnitude: i128 = 0;
    for &b in &significant {
        magnitude = magnitude * 10 + i128::from(b - b'0');
    }
    for _ in 0..scale {
        magnitude *= 10;
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_or(Integral::TooBig, Integral::Exact)
}

/// An exponent's value, saturated: a thousand-digit exponent is as good as infinite.
fn exponent(text: &str) -> i64 {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    let magnitude = digits.bytes().fold(0i64, |n, b| {
        n.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    if negative { -magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use super::Integral::{Exact, Fraction, TooBig};
    use super::integral;

    #[test]
    fn exact_forms() {
        for (text, value) in [
            ("0", 0),
            ("-0", 0),
            ("-0.0", 0),
            ("0e999", 0),
            ("0.000e-5", 0),
            ("007", 7),
            ("5.0", 5),
            ("1e3", 1000),
            ("1E+3", 1000),
            ("1.5e1", 15),
            ("0.5e1", 5),
            ("100e-2", 1),
            ("10000e-1", 1000),
            ("-2.50e2", -250),
            ("9223372036854775807", i64::MAX),
            ("9.223372036854775807E18", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("-9.223372036854775808e18", i64::MIN),
        ] {
            assert_eq!(integral(text), Exact(value), "{text}");
        }
    }

    #[test]
    fn fractions_and_overflow() {
        for text in ["1.9", "0.5", "1e-1", "1e-400", "1.55e1", "-0.001", "15e-1"] {
            assert_eq!(integral(text), Fraction, "{text}");
        }
        for text in [
            "9223372036854775808",
            "9.223372036854775808E18",
            "-9223372036854775809",
            "1e19",
            "1e400",
            "1e99999999999999999999999",
            "123456789012345678901234567890",
        ] {
            assert_eq!(integral(text), TooBig, "{text}");
        }
    }
}
