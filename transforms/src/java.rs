//! Java's conversions that Kafka Connect's transforms rely on: number narrowing, `toString()` of
//! numbers and dates, `Integer.parseInt` and friends, `BigDecimal` arithmetic, Base64.

use connect_api::data::java_text;
use connect_api::data::{Decimal, Value};

use super::datefmt::{DAY_MS, DateFormat};

pub(crate) use java_text::{double_to_string, float_to_string};

/// `toString()` of a value Kafka Connect represents with a Java number, boolean or string.
pub(crate) fn to_string(value: &Value) -> Option<String> {
    Some(match value {
        Value::Boolean(b) => b.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => float_to_string(*v),
        Value::Float64(v) => double_to_string(*v),
        Value::String(s) => s.to_string(),
        Value::Decimal(d) => d.to_string(),
        _ => return None,
    })
}

/// `Values.dateFormatFor(date).format(date)` in UTC: a time of day before the second day of
/// 1970, a date at midnight, a timestamp otherwise.
pub(crate) fn date_string(millis: i64) -> String {
    let pattern = if millis < DAY_MS {
        "HH:mm:ss.SSS'Z'"
    } else if millis % DAY_MS == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    DateFormat::new(pattern).map_or_else(|_| millis.to_string(), |f| f.format(millis))
}

/// Milliseconds of a Date, Time or Timestamp value (`java.util.Date.getTime()`).
pub(crate) fn date_millis(value: &Value) -> Option<i64> {
    match value {
        Value::Date(days) => Some(i64::from(*days) * DAY_MS),
        Value::Time(ms) => Some(i64::from(*ms)),
        Value::Timestamp(ms) => Some(*ms),
        _ => None,
    }
}

/// A Java number as the transforms see one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number<'a> {
    Long(i64),
    Float(f32),
    Double(f64),
    Decimal(&'a Decimal),
}

impl<'a> Number<'a> {
    pub(crate) fn of(value: &'a Value) -> Option<Self> {
        Some(match value {
            Value::Int8(v) => Self::Long(i64::from(*v)),
            Value::Int16(v) => Self::Long(i64::from(*v)),
            Value::Int32(v) => Self::Long(i64::from(*v)),
            Value::Int64(v) => Self::Long(*v),
            Value::Float32(v) => Self::Float(*v),
            Value::Float64(v) => Self::Double(*v),
            Value::Decimal(d) => Self::Decimal(d),
            _ => return None,
        })
    }

    /// `Number.intValue()`: floats convert with saturation, longs and decimals wrap.
    pub(crate) fn int_value(self) -> i32 {
        match self {
            Self::Long(v) => v as i32,
            Self::Float(v) => v as i32,
            Self::Double(v) => v as i32,
            Self::Decimal(d) => decimal_long_value(d) as i32,
        }
    }

    /// `Number.byteValue()`.
    pub(crate) fn byte_value(self) -> i8 {
        match self {
            Self::Long(v) => v as i8,
            other => other.int_value() as i8,
        }
    }

    /// `Number.shortValue()`.
    pub(crate) fn short_value(self) -> i16 {
        match self {
            Self::Long(v) => v as i16,
            other => other.int_value() as i16,
        }
    }

    /// `Number.longValue()`.
    pub(crate) fn long_value(self) -> i64 {
        match self {
            Self::Long(v) => v,
            Self::Float(v) => v as i64,
            Self::Double(v) => v as i64,
            Self::Decimal(d) => decimal_long_value(d),
        }
    }

    /// `Number.floatValue()`.
    pub(crate) fn float_value(self) -> f32 {
        match self {
            Self::Long(v) => v as f32,
            Self::Float(v) => v,
            Self::Double(v) => v as f32,
            Self::Decimal(d) => d.to_string().parse().unwrap_or(f32::NAN),
        }
    }

    /// `Number.doubleValue()`.
    pub(crate) fn double_value(self) -> f64 {
        match self {
            Self::Long(v) => v as f64,
            Self::Float(v) => f64::from(v),
            Self::Double(v) => v,
            Self::Decimal(d) => d.to_string().parse().unwrap_or(f64::NAN),
        }
    }
}

/// `BigDecimal.longValue()`: the integer part's low 64 bits.
pub(crate) fn decimal_long_value(d: &Decimal) -> i64 {
    let scale = d.scale();
    let ten = num_bigint::BigInt::from(10u32);
    let whole = if scale >= 0 {
        match u32::try_from(scale) {
            Ok(s) if s <= 4096 => d.unscaled() / ten.pow(s),
            _ => num_bigint::BigInt::from(0),
        }
    } else {
        match u32::try_from(-i64::from(scale)) {
            Ok(s) if s < 64 * 4 => d.unscaled() * ten.pow(s),
            // 10^256 is a multiple of 2^64: the low bits are zero.
            _ => num_bigint::BigInt::from(0),
        }
    };
    let bytes = whole.to_signed_bytes_le();
    let fill = if whole.sign() == num_bigint::Sign::Minus {
        0xff
    } else {
        0
    };
    let mut low = [fill; 8];
    for (slot, b) in low.iter_mut().zip(bytes) {
        *slot = b;
    }
    i64::from_le_bytes(low)
}

/// `new BigDecimal(text)`.
pub(crate) fn parse_big_decimal(text: &str) -> Option<Decimal> {
    text.parse().ok()
}

/// `Long.parseLong` and friends: an optional sign and ASCII digits, in range.
pub(crate) fn parse_integer<T: std::str::FromStr>(text: &str) -> Option<T> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `Double.parseDouble`: surrounding whitespace, `NaN`, `Infinity` and an `f`/`d` suffix are
/// allowed; hexadecimal floats are not supported.
pub(crate) fn parse_double(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let value = match body {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
            let valid = body
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
            if !valid || !body.bytes().any(|b| b.is_ascii_digit()) {
                return None;
            }
            body.parse::<f64>().ok()?
        }
    };
    Some(if negative { -value } else { value })
}

/// `Float.parseFloat`.
pub(crate) fn parse_float(text: &str) -> Option<f32> {
    let t = text.trim_matches(|c: char| c <= ' ');
    // Parse at single precision directly, so that rounding happens once.
    let single = t
        .strip_suffix(['f', 'F', 'd', 'D'])
        .unwrap_or(t)
        .trim_start_matches('+');
    parse_double(text)?;
    match single {
        "NaN" | "-NaN" => Some(f32::NAN),
        "Infinity" => Some(f32::INFINITY),
        "-Infinity" => Some(f32::NEG_INFINITY),
        _ => single.parse::<f32>().ok(),
    }
}

/// Base64 with padding (`Base64.getEncoder()`).
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (n >> (18 - 6 * i)) as usize & 63;
                out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_follows_java() {
        assert_eq!(Number::Double(300.7).byte_value(), 44);
        assert_eq!(Number::Double(1e20).int_value(), i32::MAX);
        assert_eq!(Number::Double(f64::NAN).long_value(), 0);
        assert_eq!(Number::Long(70_000).short_value(), 4464);
        let d: Decimal = "-12.75".parse().unwrap();
        assert_eq!(Number::Decimal(&d).long_value(), -12);
        let big: Decimal = "18446744073709551617.5".parse().unwrap();
        assert_eq!(Number::Decimal(&big).long_value(), 1);
        assert_eq!(Number::Decimal(&d).double_value(), -12.75);
    }

    #[test]
    fn parses_like_java() {
        assert_eq!(parse_integer::<i8>("+12"), Some(12));
        assert_eq!(parse_integer::<i8>("300"), None);
        assert_eq!(parse_integer::<i32>(" 1"), None);
        assert_eq!(parse_double(" 1.5d "), Some(1.5));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_float("0.1"), Some(0.1f32));
        assert_eq!(parse_float("x"), None);
    }

    #[test]
    fn text_forms() {
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(float_to_string(1e10), "1.0E10");
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b""), "");
        assert_eq!(date_string(0), "00:00:00.000Z");
        assert_eq!(date_string(19_737 * DAY_MS), "2024-01-15");
        assert_eq!(date_string(19_737 * DAY_MS + 1), "2024-01-15T00:00:00.001Z");
    }
}
