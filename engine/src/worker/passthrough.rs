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
use converters::WireFormat;

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

/// A syntactically valid JSON object or array with no line break.
fn plain_json_container(bytes: &[u8]) -> bool {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{' | b'[')) && memchr::memchr2(b'\n', b'\r', bytes).is_none() && {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use converters::json::DecimalFormat;

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
    fn strings_must_be_utf8() {
        let lane = Passthrough::new(
            WireFormat::String {
                encoding: converters::string::Encoding::Utf8,
            },
            true,
            false,
        );
        assert!(lane.admits(&Bytes::from_static(b"caf\xc3\xa9")).is_some());
        assert!(lane.admits(&Bytes::from_static(b"\xff")).is_none());
    }
}
