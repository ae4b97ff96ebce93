//! The JSON text of single values, byte for byte as Jackson (under Kafka Connect's JsonConverter)
//! writes them: string escapes, Java's number forms, base64 with the `MIME-NO-LINEFEEDS`
//! variant; and Jackson's lenient base64 reader.

use connect_api::data::java_text;

const HEX: &[u8; 16] = b"0123456789ABCDEF";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Whether none of the eight bytes in `word` needs escaping: each is in `0x20..0xF0` and is
/// neither `"` nor `\` (the byte-wise test in [`push_string`], done with word arithmetic).
fn is_plain_word(word: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let splat = |b: u8| LO * u64::from(b);
    // Some byte of `x` is below `n` (for n <= 0x80): the classic "has less" bit trick.
    let has_below = |x: u64, n: u8| x.wrapping_sub(splat(n)) & !x & HI != 0;
    let has_zero = |x: u64| has_below(x, 1);
    !(has_below(word, 0x20)
        || has_zero(word ^ splat(b'"'))
        || has_zero(word ^ splat(b'\\'))
        || has_zero((word & splat(0xF0)) ^ splat(0xF0)))
}

/// Appends `s` as a quoted JSON string. Like Jackson: `"` `\` and control characters are
/// escaped (`\b \t \n \f \r` short, the rest as `\u00XX`), `/` and DEL are not, other characters
/// are written as UTF-8 except those outside the Basic Multilingual Plane, which become a
/// `\uXXXX\uXXXX` surrogate pair (upper-case hex).
pub(crate) fn push_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // Eight plain bytes at a time; the byte-wise check below handles the rest.
        if let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            && is_plain_word(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        if (0x20..0xF0).contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        if b >= 0xF0 {
            // The lead byte of a 4-byte sequence: a character outside the BMP.
            let c = s
                .get(i..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('\u{FFFD}');
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                push_unicode_escape(out, *unit);
            }
            i += c.len_utf8();
        } else {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x09 => out.extend_from_slice(b"\\t"),
                0x0A => out.extend_from_slice(b"\\n"),
                0x0C => out.extend_from_slice(b"\\f"),
                0x0D => out.extend_from_slice(b"\\r"),
                _ => push_unicode_escape(out, u16::from(b)),
            }
            i += 1;
        }
        run = i;
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    out.push(b'"');
}

fn push_unicode_escape(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(b"\\u");
    for shift in [12u16, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xF)]);
    }
}

/// Appends a `FLOAT64` as Jackson writes it: Java's `Double.toString`, with NaN and the
/// infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub(crate) fn push_double(out: &mut Vec<u8>, v: f64) {
    let mut text = String::new();
    java_text::push_double(&mut text, v);
    push_number_text(out, &text, v.is_finite());
}

/// Appends a `FLOAT32` like [`push_double`], with Java's `Float.toString`.
pub(crate) fn push_float(out: &mut Vec<u8>, v: f32) {
    let mut text = String::new();
    java_text::push_float(&mut text, v);
    push_number_text(out, &text, v.is_finite());
}

fn push_number_text(out: &mut Vec<u8>, text: &str, finite: bool) {
    if finite {
        out.extend_from_slice(text.as_bytes());
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Appends an integer.
pub(crate) fn push_int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(v.to_string().as_bytes());
}

/// Appends `data` as a quoted base64 string (standard alphabet, padded, no line breaks).
pub(crate) fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len().div_ceil(3) * 4 + 2);
    out.push(b'"');
    let sym = |v: u32| BASE64[(v & 0x3F) as usize];
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        out.extend_from_slice(&[sym(n >> 18), sym(n >> 12), sym(n >> 6), sym(n)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sym(n >> 18), sym(n >> 12), b'=', b'=']);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sym(n >> 18), sym(n >> 12), sym(n >> 6), b'=']);
        }
        _ => {}
    }
    out.push(b'"');
}

fn base64_value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes base64 the way Jackson's `Base64Variant.decode` does for Kafka Connect: whitespace
/// and control characters may precede each group of four, padding is required, and groups may
/// follow a padded group.
pub(crate) fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let mut at = 0;
    let mut next = || {
        let c = bytes.get(at).copied();
        at += 1;
        c
    };
    let invalid = |c: u8, pos: usize| {
        format!(
            "illegal character {:?} (code 0x{c:02X}) as character #{} of a 4-character group",
            char::from(c),
            pos + 1
        )
    };
    let eof = || "unexpected end of base64 content: padding ('=') is required".to_owned();
    loop {
        let first = loop {
            match next() {
                None => return Ok(out),
                Some(c) if c <= b' ' => continue,
                Some(c) => break c,
            }
        };
        let a = base64_value(first).ok_or_else(|| invalid(first, 0))?;
        let second = next().ok_or_else(eof)?;
        let b = base64_value(second).ok_or_else(|| invalid(second, 1))?;
        let third = next().ok_or_else(eof)?;
        let Some(c) = base64_value(third) else {
            if third != b'=' {
                return Err(invalid(third, 2));
            }
            let fourth = next().ok_or_else(eof)?;
            if fourth != b'=' {
                return Err(format!(
                    "{}: expected padding character '='",
                    invalid(fourth, 3)
                ));
            }
            out.push(((a << 18 | b << 12) >> 16) as u8);
            continue;
        };
        let fourth = next().ok_or_else(eof)?;
        let n = a << 18 | b << 12 | c << 6;
        match base64_value(fourth) {
            Some(d) => {
                let n = n | d;
                out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
            }
            None if fourth == b'=' => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8]),
            None => return Err(invalid(fourth, 3)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_words_match_the_byte_test() {
        let plain = |b: u8| (0x20..0xF0).contains(&b) && b != b'"' && b != b'\\';
        let mut word = *b"abcdefgh";
        for at in 0..8 {
            for b in 0..=255u8 {
                word[at] = b;
                assert_eq!(
                    super::is_plain_word(u64::from_le_bytes(word)),
                    word.iter().all(|&c| plain(c)),
                    "{word:?}"
                );
            }
            word[at] = b'x';
        }
    }

    use super::*;

    fn string(s: &str) -> String {
        let mut out = Vec::new();
        push_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    fn base64(data: &[u8]) -> String {
        let mut out = Vec::new();
        push_base64(&mut out, data);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_jackson() {
        // The expected text is what Kafka Connect 4.3.1's JsonConverter wrote.
        assert_eq!(
            string("a\u{0}\u{1}\u{1f}\u{8}\t\n\u{c}\r\"\\/</script>\u{7f}\u{e9}\u{2028}\u{1F600}"),
            "\"a\\u0000\\u0001\\u001F\\b\\t\\n\\f\\r\\\"\\\\/</script>\u{7f}\u{e9}\u{2028}\\uD83D\\uDE00\""
        );
        assert_eq!(string(""), "\"\"");
        assert_eq!(string("plain"), "\"plain\"");
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64(&[0, 1, 2, 255, 3]), "\"AAEC/wM=\"");
        assert_eq!(base64(&[]), "\"\"");
        assert_eq!(base64(&[0, 0x96]), "\"AJY=\"");
        for len in 0..20u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            let text = base64(&data);
            assert_eq!(decode_base64(text.trim_matches('"')).unwrap(), data);
        }
    }

    #[test]
    fn base64_reads_like_jackson() {
        assert_eq!(decode_base64(" AAEC ").unwrap(), vec![0, 1, 2]);
        assert_eq!(decode_base64("AA==AQ==").unwrap(), vec![0, 1]);
        assert!(decode_base64("AAE").is_err());
        assert!(decode_base64("AA=").is_err());
        assert!(decode_base64("A A==").is_err());
        assert!(decode_base64("é").is_err());
    }

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        push_double(&mut out, f64::NAN);
        out.push(b' ');
        push_float(&mut out, 1e20);
        out.push(b' ');
        push_int(&mut out, i64::MIN);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"NaN\" 1.0E20 -9223372036854775808"
        );
    }
}
