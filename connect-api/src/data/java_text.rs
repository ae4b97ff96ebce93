//! Java's text forms of floating-point numbers (`Double.toString`, `Float.toString`), which
//! Kafka Connect writes into JSON (through Jackson) and into strings (StringConverter).
//!
//! The digits follow the specification of Java 19 and later: the shortest decimal that rounds to
//! the value, except that when one digit would do, the closest decimal of two digits is taken
//! (`4.9E-324`, not `5E-324`). Java 17 and earlier used an older algorithm that, for a small
//! share of values, prints more digits than needed (`2.0E23` came out as
//! `1.9999999999999998E23`); both forms read back as the same number.
//!
//! The layout is Java's: plain notation with at least one fractional digit for magnitudes in
//! [10^-3, 10^7) (`100.0`, `0.001`), otherwise `d.dddE±n` (`1.0E7`, `1.0E-4`).

/// Appends `Double.toString(v)`.
pub fn push_double(out: &mut String, v: f64) {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v.is_sign_negative(), v == 0.0) {
        out.push_str(special);
        return;
    }
    let (digits, exp) = shortest(
        format!("{:e}", v.abs()),
        |s| s.parse::<f64>().ok() == Some(v.abs()),
        || format!("{:.1e}", v.abs()),
    );
    layout(out, v.is_sign_negative(), &digits, exp);
}

/// Appends `Float.toString(v)`.
pub fn push_float(out: &mut String, v: f32) {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v.is_sign_negative(), v == 0.0) {
        out.push_str(special);
        return;
    }
    let (digits, exp) = shortest(
        format!("{:e}", v.abs()),
        |s| s.parse::<f32>().ok() == Some(v.abs()),
        || format!("{:.1e}", v.abs()),
    );
    layout(out, v.is_sign_negative(), &digits, exp);
}

/// `Double.toString(v)`.
pub fn double_to_string(v: f64) -> String {
    let mut out = String::new();
    push_double(&mut out, v);
    out
}

/// `Float.toString(v)`.
pub fn float_to_string(v: f32) -> String {
    let mut out = String::new();
    push_float(&mut out, v);
    out
}

fn special(nan: bool, infinite: bool, negative: bool, zero: bool) -> Option<&'static str> {
    match (nan, infinite, negative, zero) {
        (true, ..) => Some("NaN"),
        (_, true, true, _) => Some("-Infinity"),
        (_, true, false, _) => Some("Infinity"),
        (_, _, true, true) => Some("-0.0"),
        (_, _, false, true) => Some("0.0"),
        _ => None,
    }
}

/// Splits Rust's shortest scientific form (`1.2345e-5`) into significant digits without
/// trailing zeros and the exponent of the first digit; applies Java's two-digit rule.
fn shortest(
    sci: String,
    round_trips: impl Fn(&str) -> bool,
    two_digits: impl Fn() -> String,
) -> (String, i32) {
    let (digits, exp) = split_sci(&sci);
    if digits.len() == 1 {
        let candidate = two_digits();
        if round_trips(&candidate) {
            return split_sci(&candidate);
        }
    }
    (digits, exp)
}

fn split_sci(sci: &str) -> (String, i32) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exp.parse().unwrap_or(0))
}

fn layout(out: &mut String, negative: bool, digits: &str, exp: i32) {
    if negative {
        out.push('-');
    }
    let len = digits.len();
    if (0..7).contains(&exp) {
        let int_len = usize::try_from(exp).unwrap_or(0) + 1;
        match digits.split_at_checked(int_len) {
            Some((int_part, frac)) if !frac.is_empty() => {
                out.push_str(int_part);
                out.push('.');
                out.push_str(frac);
            }
            _ => {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len.saturating_sub(len)));
                out.push_str(".0");
            }
        }
    } else if (-3..0).contains(&exp) {
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(-exp - 1).unwrap_or(0),
        ));
        out.push_str(digits);
    } else {
        let (first, rest) = digits.split_at_checked(1).unwrap_or((digits, ""));
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        out.push('E');
        out.push_str(&exp.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        // Expected strings are Java's Double.toString.
        for (v, expected) in [
            (1.0, "1.0"),
            (1e20, "1.0E20"),
            (1e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (1.0e-4, "1.0E-4"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::from_bits(1), "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789012.5, "1.234567890125E11"),
            (100.0, "100.0"),
            (-2.5, "-2.5"),
            (1234567.0, "1234567.0"),
            (0.0123, "0.0123"),
            (2e23, "2.0E23"),
        ] {
            assert_eq!(double_to_string(v), expected, "{v:e}");
        }
    }

    #[test]
    fn floats_print_like_java() {
        for (v, expected) in [
            (1.0f32, "1.0"),
            (1.1, "1.1"),
            (1e20, "1.0E20"),
            (f32::from_bits(1), "1.4E-45"),
            (f32::MAX, "3.4028235E38"),
            (1e-10, "1.0E-10"),
            (f32::NAN, "NaN"),
            (0.3, "0.3"),
        ] {
            assert_eq!(float_to_string(v), expected, "{v:e}");
        }
    }

    #[test]
    fn output_reads_back() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                let text = double_to_string(v);
                assert_eq!(
                    text.parse::<f64>().unwrap().to_bits(),
                    v.to_bits(),
                    "{text}"
                );
            }
            let f = f32::from_bits(u32::try_from(x >> 32).unwrap());
            if f.is_finite() {
                let text = float_to_string(f);
                assert_eq!(
                    text.parse::<f32>().unwrap().to_bits(),
                    f.to_bits(),
                    "{text}"
                );
            }
        }
    }
}
