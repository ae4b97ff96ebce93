//! Kafka Connect's logical types: a physical schema plus a well-known name.
//!
//! | logical   | name                                      | physical | value                     |
//! |-----------|-------------------------------------------|----------|---------------------------|
//! | Decimal   | `org.apache.kafka.connect.data.Decimal`   | BYTES    | [`Decimal`] (`scale` parameter) |
//! | Date      | `org.apache.kafka.connect.data.Date`      | INT32    | days since 1970-01-01     |
//! | Time      | `org.apache.kafka.connect.data.Time`      | INT32    | milliseconds since midnight |
//! | Timestamp | `org.apache.kafka.connect.data.Timestamp` | INT64    | milliseconds since the epoch |
//!
//! A Decimal travels as the two's-complement big-endian bytes of its unscaled value; its scale
//! lives in the schema.

use std::fmt;
use std::str::FromStr;

use num_bigint::{BigInt, Sign};

use crate::data::error::Problem;
use crate::data::schema::{Schema, SchemaBuilder, Type};

/// Name of the Decimal logical type.
pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
/// The Decimal schema parameter holding the scale.
pub const DECIMAL_SCALE_PARAMETER: &str = "scale";
/// Name of the Date logical type.
pub const DATE_NAME: &str = "org.apache.kafka.connect.data.Date";
/// Name of the Time logical type.
pub const TIME_NAME: &str = "org.apache.kafka.connect.data.Time";
/// Name of the Timestamp logical type.
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";
/// Milliseconds in a day. Kafka Connect accepts Time values from 0 up to and including this.
pub const MILLIS_PER_DAY: i32 = 86_400_000;

/// A logical type recognised on a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Logical {
    /// An arbitrary-precision decimal with a fixed scale.
    Decimal {
        /// Digits after the decimal point.
        scale: i32,
    },
    /// A calendar date.
    Date,
    /// A time of day.
    Time,
    /// An instant.
    Timestamp,
}

impl Logical {
    /// The logical type's schema name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Decimal { .. } => DECIMAL_NAME,
            Self::Date => DATE_NAME,
            Self::Time => TIME_NAME,
            Self::Timestamp => TIMESTAMP_NAME,
        }
    }

    /// A short name for messages.
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::Decimal { .. } => "Decimal",
            Self::Date => "Date",
            Self::Time => "Time",
            Self::Timestamp => "Timestamp",
        }
    }

    /// The logical type of a schema: its name must be a logical name and its type the matching
    /// physical type. A Decimal without a readable `scale` parameter is an error.
    pub(crate) fn detect(schema: &Schema) -> Result<Option<Self>, Problem> {
        let logical = match (schema.name(), schema.ty()) {
            (Some(DECIMAL_NAME), Type::Bytes) => {
                let scale = schema.parameter(DECIMAL_SCALE_PARAMETER).ok_or_else(|| {
                    Problem::InvalidSchema("Decimal schema without a scale parameter".into())
                })?;
                let scale = scale.parse().map_err(|_| {
                    Problem::InvalidSchema(format!("Decimal scale parameter \"{scale}\""))
                })?;
                Self::Decimal { scale }
            }
            (Some(DATE_NAME), Type::Int32) => Self::Date,
            (Some(TIME_NAME), Type::Int32) => Self::Time,
            (Some(TIMESTAMP_NAME), Type::Int64) => Self::Timestamp,
            _ => return Ok(None),
        };
        Ok(Some(logical))
    }
}

/// A Decimal schema builder, as Kafka Connect's `Decimal.builder(scale)` (version 1).
pub fn decimal_schema(scale: i32) -> SchemaBuilder {
    SchemaBuilder::bytes()
        .name(DECIMAL_NAME)
        .parameter(DECIMAL_SCALE_PARAMETER, scale.to_string())
        .version(1)
}

/// A Date schema builder, as Kafka Connect's `Date.builder()` (version 1).
pub fn date_schema() -> SchemaBuilder {
    SchemaBuilder::int32().name(DATE_NAME).version(1)
}

/// A Time schema builder, as Kafka Connect's `Time.builder()` (version 1).
pub fn time_schema() -> SchemaBuilder {
    SchemaBuilder::int32().name(TIME_NAME).version(1)
}

/// A Timestamp schema builder, as Kafka Connect's `Timestamp.builder()` (version 1).
pub fn timestamp_schema() -> SchemaBuilder {
    SchemaBuilder::int64().name(TIMESTAMP_NAME).version(1)
}

/// An exact decimal number: `unscaled × 10^-scale`, like Java's `BigDecimal`. Equality includes
/// the scale (`1.5 != 1.50`), as in Java.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    unscaled: BigInt,
    scale: i32,
}

impl Decimal {
    /// `unscaled × 10^-scale`.
    pub fn new(unscaled: impl Into<BigInt>, scale: i32) -> Self {
        Self {
            unscaled: unscaled.into(),
            scale,
        }
    }

    /// Reads Kafka Connect's wire form: two's-complement big-endian bytes of the unscaled value.
    pub fn from_unscaled_bytes(bytes: &[u8], scale: i32) -> Result<Self, Problem> {
        if bytes.is_empty() {
            return Err(Problem::InvalidLogical {
                logical: "Decimal",
                reason: "zero-length unscaled value".into(),
            });
        }
        Ok(Self::new(BigInt::from_signed_bytes_be(bytes), scale))
    }

    /// Kafka Connect's wire form: the shortest two's-complement big-endian bytes of the unscaled
    /// value (Java's `BigInteger.toByteArray`).
    pub fn to_unscaled_bytes(&self) -> Vec<u8> {
        self.unscaled.to_signed_bytes_be()
    }

    /// The unscaled value.
    pub fn unscaled(&self) -> &BigInt {
        &self.unscaled
    }

    /// Digits after the decimal point (negative: trailing zeros before it).
    pub fn scale(&self) -> i32 {
        self.scale
    }
}

/// Why a decimal string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number: {0}")]
pub struct ParseDecimalError(String);

/// Parses like Java's `new BigDecimal(String)`: `-12.50` has unscaled value -1250 and scale 2,
/// `1E+3` has unscaled value 1 and scale -3.
impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = || ParseDecimalError(text.chars().take(64).collect());
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(at) => {
                let exp = text.get(at + 1..).ok_or_else(fail)?;
                let exp = exp.strip_prefix('+').unwrap_or(exp);
                let exp: i64 = exp.parse().map_err(|_| fail())?;
                (text.get(..at).ok_or_else(fail)?, exp)
            }
            None => (text, 0),
        };
        let (negative, digits) = match mantissa.as_bytes().first() {
            Some(b'-') => (true, mantissa.get(1..).ok_or_else(fail)?),
            Some(b'+') => (false, mantissa.get(1..).ok_or_else(fail)?),
            _ => (false, mantissa),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return Err(fail());
        }
        let mut magnitude: Vec<u8> = Vec::with_capacity(int_part.len() + frac_part.len());
        magnitude.extend(int_part.bytes().map(|b| b - b'0'));
        magnitude.extend(frac_part.bytes().map(|b| b - b'0'));
        let unscaled = BigInt::from_radix_be(
            if negative { Sign::Minus } else { Sign::Plus },
            &magnitude,
            10,
        )
        .ok_or_else(fail)?;
        let frac_len = i64::try_from(frac_part.len()).map_err(|_| fail())?;
        let scale = i32::try_from(frac_len - exponent).map_err(|_| fail())?;
        Ok(Self { unscaled, scale })
    }
}

/// Prints like Java's `BigDecimal.toString()`: plain when the scale is not negative and the
/// adjusted exponent is at least -6, scientific (`1E+3`, `1.5E-7`) otherwise.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let coeff = self.unscaled.magnitude().to_str_radix(10);
        let mut out = String::with_capacity(coeff.len() + 16);
        if self.unscaled.sign() == Sign::Minus {
            out.push('-');
        }
        // Lengths and scales are far below i64's range.
        let len = i64::try_from(coeff.len()).unwrap_or(i64::MAX);
        let scale = i64::from(self.scale);
        let adjusted = (len - 1) - scale;
        if scale >= 0 && adjusted >= -6 {
            match usize::try_from(len - scale) {
                Ok(point) if point > 0 => {
                    let (int_part, frac_part) =
                        coeff.split_at_checked(point).unwrap_or((&coeff, ""));
                    out.push_str(int_part);
                    if !frac_part.is_empty() {
                        out.push('.');
                        out.push_str(frac_part);
                    }
                }
                _ => {
                    out.push_str("0.");
                    for _ in 0..(scale - len) {
                        out.push('0');
                    }
                    out.push_str(&coeff);
                }
            }
        } else {
            let (first, rest) = coeff.split_at_checked(1).unwrap_or((&coeff, ""));
            out.push_str(first);
            if !rest.is_empty() {
                out.push('.');
                out.push_str(rest);
            }
            out.push('E');
            if adjusted >= 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        text.parse::<Decimal>().unwrap().to_string()
    }

    #[test]
    fn prints_like_big_decimal() {
        // Expected strings are what java.math.BigDecimal prints.
        for (input, expected) in [
            ("1E+3", "1E+3"),
            ("1E-10", "1E-10"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("123.4500", "123.4500"),
            ("-0", "0"),
            ("0E-5", "0.00000"),
            ("0E+3", "0E+3"),
            ("1E+0", "1"),
            ("-12.5e-3", "-0.0125"),
            ("12345678901234567890.123", "12345678901234567890.123"),
            ("-1.23E+4", "-1.23E+4"),
            ("007.50", "7.50"),
        ] {
            assert_eq!(round_trip(input), expected, "{input}");
        }
    }

    #[test]
    fn parses_scale_like_big_decimal() {
        let d: Decimal = "-1.50".parse().unwrap();
        assert_eq!((d.unscaled().clone(), d.scale()), (BigInt::from(-150), 2));
        let d: Decimal = "1e5".parse().unwrap();
        assert_eq!((d.unscaled().clone(), d.scale()), (BigInt::from(1), -5));
        for bad in ["", "-", "1.2.3", "e5", "1e", "abc", "1e99999999999", "--1"] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn unscaled_bytes_are_javas_to_byte_array() {
        for (value, bytes) in [
            (0i64, vec![0u8]),
            (150, vec![0x00, 0x96]),
            (-325, vec![0xfe, 0xbb]),
            (127, vec![0x7f]),
            (-128, vec![0x80]),
        ] {
            let d = Decimal::new(value, 2);
            assert_eq!(d.to_unscaled_bytes(), bytes, "{value}");
            assert_eq!(Decimal::from_unscaled_bytes(&bytes, 2).unwrap(), d);
        }
        assert!(Decimal::from_unscaled_bytes(&[], 2).is_err());
    }

    #[test]
    fn detects_logical_types() {
        let decimal = decimal_schema(2).build().unwrap();
        assert_eq!(decimal.logical(), Some(Logical::Decimal { scale: 2 }));
        assert_eq!(decimal.version(), Some(1));
        assert_eq!(
            date_schema().build().unwrap().logical(),
            Some(Logical::Date)
        );
        // A logical name on the wrong physical type is just a name.
        let odd = SchemaBuilder::int64().name(DATE_NAME).build().unwrap();
        assert_eq!(odd.logical(), None);
        let no_scale = SchemaBuilder::bytes().name(DECIMAL_NAME).build();
        assert!(no_scale.is_err());
    }
}
