//! JSON as Kafka Connect's internal `JsonConverter` (`schemas.enable=false`) writes and reads it.
//!
//! Writing: a Connect `Struct` becomes a compact JSON object (no whitespace) with its fields in schema order;
//! null optional fields are written as `null`. Strings are escaped as Jackson's `UTF8JsonGenerator` does
//! (jackson-core `CharTypes`): `"` and `\` with a backslash, `\b \t \n \f \r` by name, other characters
//! below U+0020 as `\u00XX` with **upper-case** hex (serde_json would write lower case, hence this writer),
//! `/` and everything from U+007F up unescaped, as raw UTF-8.
//!
//! Reading (`JsonConverter.toConnectData` + `JsonDeserializer`): a null record value, an empty value (Jackson
//! reads a `MissingNode`) and the JSON literal `null` all mean "no value"; only the first JSON value is read
//! (Jackson's default tolerates trailing tokens); integral numbers are Java `Long`s.

use serde_json::Value;

/// Appends `s` as a JSON string literal, escaped like Jackson.
pub(crate) fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(HEX[b >> 4] as char);
                out.push(HEX[b & 0xF] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An optional string: the literal or `null`.
pub(crate) fn write_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.push_str("null"),
    }
}

/// Builds one JSON object field by field, in the order written.
pub(crate) struct ObjectWriter {
    out: String,
    first: bool,
}

impl ObjectWriter {
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("{"),
            first: true,
        }
    }

    /// Starts a field and returns the buffer for its value.
    pub(crate) fn field(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(&mut self.out, name);
        self.out.push(':');
        &mut self.out
    }

    pub(crate) fn str(&mut self, name: &str, v: &str) -> &mut Self {
        write_str(self.field(name), v);
        self
    }

    pub(crate) fn opt_str(&mut self, name: &str, v: Option<&str>) -> &mut Self {
        write_opt_str(self.field(name), v);
        self
    }

    pub(crate) fn int(&mut self, name: &str, v: i64) -> &mut Self {
        let out = self.field(name);
        out.push_str(&v.to_string());
        self
    }

    pub(crate) fn bool(&mut self, name: &str, v: bool) -> &mut Self {
        self.field(name).push_str(if v { "true" } else { "false" });
        self
    }

    /// A raw, already-encoded JSON value.
    pub(crate) fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        self.field(name).push_str(json);
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A map of string keys to optional strings, in the iteration order given.
pub(crate) fn string_map<'a>(
    entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> String {
    let mut w = ObjectWriter::new();
    for (k, v) in entries {
        w.opt_str(k, v);
    }
    w.finish()
}

/// The value as the schemaless `JsonConverter` sees it: `Ok(None)` for null, empty or `null`, `Err` (the
/// parser's message) when the bytes are not JSON.
pub(crate) fn parse(value: Option<&[u8]>) -> Result<Option<Value>, String> {
    let Some(bytes) = value else { return Ok(None) };
    let mut it = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    match it.next() {
        None => Ok(None),
        Some(Ok(Value::Null)) => Ok(None),
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(e)) => Err(e.to_string()),
    }
}

/// A Java `Long` from a schemaless value: integral JSON numbers only.
pub(crate) fn as_long(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) if !n.is_f64() => n.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_jackson() {
        let mut s = String::new();
        write_str(&mut s, "a\"b\\c/d\n\t\u{1}\u{1f}\u{7f}é€");
        assert_eq!(s, "\"a\\\"b\\\\c/d\\n\\t\\u0001\\u001F\u{7f}é€\"");
    }

    #[test]
    fn parse_nulls_and_trailing_tokens() {
        assert_eq!(parse(None), Ok(None));
        assert_eq!(parse(Some(b"")), Ok(None));
        assert_eq!(parse(Some(b"null")), Ok(None));
        assert_eq!(
            parse(Some(b"{\"a\":1} trailing"))
                .expect("first value")
                .map(|v| v["a"].clone()),
            Some(1.into())
        );
        assert!(parse(Some(b"{nope")).is_err());
    }
}
