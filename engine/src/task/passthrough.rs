//! The pass-through lane: when a sink task can take values in the bytes its input converter
//! reads, and no transform needs the fields, the runtime hands it the consumed bytes as they are
//! instead of decoding them into Connect data (which the task would only encode again).
//!
//! Bytes are still checked as far as the decode would reject them — UTF-8 for strings, JSON
//! syntax for JSON — so a malformed record goes to `errors.tolerance` and the dead letter queue
//! exactly as on the decoding path. JSON passes only as an object or array on one line; anything
//! else (a top-level string, number, or a value spread over lines) takes the decoding path, whose
//! output differs from the input bytes.

use bytes::Bytes;
use connect_api::WireFormat;

/// Which values of one task's records may skip the value converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    Off,
    On(WireFormat),
}

impl Passthrough {
    /// On when there are no transforms and the task takes `format` raw.
    pub fn new(format: WireFormat, task_takes_it: bool, transforms: bool) -> Self {
        let supported = matches!(
            format,
            WireFormat::ByteArray
                | WireFormat::String { .. }
                | WireFormat::Json {
                    schemas_enable: false,
                    ..
                }
        );
        if task_takes_it && supported && !transforms {
            Self::On(format)
        } else {
            Self::Off
        }
    }

    /// The format of `value` if it may be handed over undecoded.
    pub fn admits(self, value: &Bytes) -> Option<WireFormat> {
        let Self::On(format) = self else {
            return None;
        };
        let ok = match format {
            WireFormat::ByteArray => true,
            WireFormat::String { .. } => std::str::from_utf8(value).is_ok(),
            WireFormat::Json { .. } => plain_json_container(value),
            _ => false,
        };
        ok.then_some(format)
    }
}

/// A JSON object or array on one line that the JSON converter's decoder is sure to accept.
///
/// The lane may refuse more than the decoder does (a refused value just takes the decoding path,
/// which decides exactly), never less: so the check is strict JSON, valid UTF-8 throughout, no
/// unescaped control characters, no `\u` escape in the surrogate range (the decoder refuses lone
/// surrogates; pairs are rare enough to decode), numbers of at most [`MAX_NUMBER`] characters,
/// nesting of at most [`MAX_NESTING`] levels (the decoder allows 128), nothing after the value.
fn plain_json_container(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok() && Scan { b: bytes, i: 0 }.document()
}

/// Longest number the lane admits (the decoder allows 1000 characters).
const MAX_NUMBER: usize = 100;
/// Deepest nesting the lane admits.
const MAX_NESTING: usize = 64;

/// A single pass over the bytes, allocating nothing.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        // No line breaks: a value spread over lines takes the decoding path.
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn document(mut self) -> bool {
        self.ws();
        if !matches!(self.peek(), Some(b'{' | b'[')) || !self.value(0) {
            return false;
        }
        self.ws();
        self.i == self.b.len()
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let ok = self.b[self.i..].starts_with(word);
        self.i += word.len();
        ok
    }

    fn object(&mut self, depth: usize) -> bool {
        if depth > MAX_NESTING {
            return false;
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return true;
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') || !self.string() {
                return false;
            }
            self.ws();
            if self.peek() != Some(b':') {
                return false;
            }
            self.i += 1;
            self.ws();
            if !self.value(depth) {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        if depth > MAX_NESTING {
            return false;
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return true;
        }
        loop {
            self.ws();
            if !self.value(depth) {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn string(&mut self) -> bool {
        self.i += 1;
        loop {
            // Bytes other than '"', '\\' and controls need no look (UTF-8 was checked whole).
            let rest = &self.b[self.i..];
            let Some(at) = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            else {
                return false;
            };
            self.i += at;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return true;
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            let Some(hex) = hex.filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                            else {
                                return false;
                            };
                            // D800–DFFF: a surrogate, which the decoder checks for a pair.
                            if hex[0].eq_ignore_ascii_case(&b'd') && !matches!(hex[1], b'0'..=b'7')
                            {
                                return false;
                            }
                            self.i += 5;
                        }
                        _ => return false,
                    }
                }
                _ => return false,
            }
        }
    }

    fn number(&mut self) -> bool {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return false;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return false;
            }
            self.digits();
        }
        self.i - start <= MAX_NUMBER
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::DecimalFormat;
    use converters::Converter;

    fn json() -> WireFormat {
        WireFormat::Json {
            schemas_enable: false,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }

    #[test]
    fn only_without_transforms_and_when_the_task_takes_the_format() {
        assert_eq!(
            Passthrough::new(json(), true, false),
            Passthrough::On(json())
        );
        assert_eq!(Passthrough::new(json(), false, false), Passthrough::Off);
        assert_eq!(Passthrough::new(json(), true, true), Passthrough::Off);
        let with_schemas = WireFormat::Json {
            schemas_enable: true,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        };
        assert_eq!(
            Passthrough::new(with_schemas, true, false),
            Passthrough::Off
        );
    }

    #[test]
    fn json_passes_as_one_line_object_or_array_only() {
        let lane = Passthrough::new(json(), true, false);
        let admits = |s: &str| lane.admits(&Bytes::from(s.to_owned())).is_some();
        assert!(admits(r#"{"a":1,"b":[true,null,"x"]}"#));
        assert!(admits(" [1, 2.5e3] "));
        assert!(!admits(r#""a string""#));
        assert!(!admits("42"));
        assert!(!admits("{\n\"a\":1}"));
        assert!(!admits(r#"{"a":1"#));
        assert!(!admits(r#"{"a":1} {"#));
        assert!(!admits("{not json}"));
    }

    #[test]
    fn the_lane_admits_nothing_the_decoder_refuses() {
        let lane = Passthrough::new(json(), true, false);
        let decoder = converters::JsonConverter::with_config(converters::JsonConverterConfig {
            schemas_enable: false,
            ..converters::JsonConverterConfig::defaults(converters::ConverterType::Value)
        });
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        let long_number = format!("[{}]", "9".repeat(1001));
        let cases: Vec<Vec<u8>> = vec![
            b"{\"id\": \"\xff\xfe\"}".to_vec(),
            b"[\"caf\xc3\"]".to_vec(),
            br#"{"a":"\ud800"}"#.to_vec(),
            br#"{"a":"\udc00x"}"#.to_vec(),
            br#"{"a":"\ud83d\ude00"}"#.to_vec(),
            b"{\"a\":\"tab\there\"}".to_vec(),
            br#"{"a":1,}"#.to_vec(),
            br#"[01]"#.to_vec(),
            br#"[1.]"#.to_vec(),
            br#"[-]"#.to_vec(),
            br#"{"a":tru}"#.to_vec(),
            br#"{"a":"x\q"}"#.to_vec(),
            deep.into_bytes(),
            long_number.into_bytes(),
            br#"{"a":{"b":[1,2.5e-3,true,false,null,"\u00e9\n"]}}"#.to_vec(),
        ];
        for case in cases {
            let bytes = Bytes::from(case.clone());
            if lane.admits(&bytes).is_some() {
                assert!(
                    decoder.to_connect_data("t", &[], Some(&bytes)).is_ok(),
                    "admitted what the decoder refuses: {}",
                    String::from_utf8_lossy(&case)
                );
            }
        }
        // Valid JSON still passes.
        assert!(
            lane.admits(&Bytes::from_static(
                br#"{"a":{"b":[1,2.5e-3,true,false,null,"\u00e9\n"]}}"#
            ))
            .is_some()
        );
        assert!(
            lane.admits(&Bytes::from_static(b"{\"id\": \"\xff\xfe\"}"))
                .is_none()
        );
    }

    #[test]
    fn strings_must_be_utf8() {
        let lane = Passthrough::new(
            WireFormat::String {
                encoding: connect_api::Encoding::Utf8,
            },
            true,
            false,
        );
        assert!(lane.admits(&Bytes::from_static(b"caf\xc3\xa9")).is_some());
        assert!(lane.admits(&Bytes::from_static(b"\xff")).is_none());
    }
}
