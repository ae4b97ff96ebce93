//! A JSON reader that accepts what Jackson accepts under Kafka Connect's JsonConverter, builds a
//! small tree that borrows from the input (strings without escapes and all numbers are slices),
//! and refuses, with the byte offset, anything it cannot read safely.
//!
//! Like Jackson there: a UTF-8 byte order mark is skipped, numbers may have leading zeros
//! (`007`), a repeated object key keeps its first position and its last value, empty input is
//! "no value". Unlike Jackson: nesting is limited to [`MAX_DEPTH`] levels (Jackson: 1000),
//! content after the value is an error (Jackson ignores it), and `\uD800`-style lone surrogates
//! are an error (a Rust string cannot hold them).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::JsonSyntaxError;
use connect_api::data::MAX_DEPTH;

/// Jackson's default limit on the length of a number (`StreamReadConstraints`).
const MAX_NUMBER_LEN: usize = 1000;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number<'a>),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
}

impl Node<'_> {
    /// The JSON type, for messages (`object`, `number`, ...).
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "boolean",
            Self::Number(n) if n.integral => "integer number",
            Self::Number(_) => "floating-point number",
            Self::String(_) => "string",
            Self::Array(_) => "array",
            Self::Object(_) => "object",
        }
    }
}

/// A JSON number, kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number<'a> {
    /// The number's text: `-?digits(.digits)?([eE][+-]?digits)?`, leading zeros allowed.
    pub(crate) text: &'a str,
    /// No fraction and no exponent.
    pub(crate) integral: bool,
}

/// An object member, with the byte range of its value in the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: Node<'a>,
    pub(crate) span: (usize, usize),
}

/// Finds a member by key.
pub(crate) fn member<'n, 'a>(members: &'n [Member<'a>], key: &str) -> Option<&'n Member<'a>> {
    members.iter().find(|m| m.key == key)
}

/// Parses one JSON document. `Ok(None)` when the input holds only whitespace (Jackson's
/// "missing" value).
pub(crate) fn parse(input: &[u8]) -> Result<Option<Node<'_>>, JsonSyntaxError> {
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(e) => {
            return Err(syntax_error(input, e.valid_up_to(), "invalid UTF-8".into()));
        }
    };
    let start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let mut parser = Parser {
        text,
        bytes: input,
        pos: start,
    };
    parser.skip_ws();
    if parser.pos >= input.len() {
        return Ok(None);
    }
    let node = parser.value(0)?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(parser.error("unexpected content after the JSON value"));
    }
    Ok(Some(node))
}

/// A schemas-enabled record read by [`known_schema_envelope`].
pub(crate) struct Envelope<'a> {
    pub(crate) payload: Node<'a>,
    /// The schema's bytes equal `last`.
    pub(crate) same_as_last: bool,
    /// The schema's byte range.
    pub(crate) schema: (usize, usize),
}

/// The common shape of a schemas-enabled record, `{"schema":{..},"payload":..}` with only
/// whitespace between the tokens: when the schema's bytes equal `last` or `known` accepts them (a
/// schema read before), only the payload is parsed.
/// `None` when the input has another shape or the schema is new: then [`parse`] reads all of it
/// (the same document gives the same result either way).
pub(crate) fn known_schema_envelope<'a>(
    input: &'a [u8],
    last: Option<&[u8]>,
    known: impl FnOnce(&[u8]) -> bool,
) -> Option<Result<Envelope<'a>, JsonSyntaxError>> {
    let text = std::str::from_utf8(input).ok()?;
    let mut parser = Parser {
        text,
        bytes: input,
        pos: 0,
    };
    let token = |parser: &mut Parser<'a>, token: &[u8]| {
        parser.skip_ws();
        let found = input.get(parser.pos..)?.starts_with(token);
        parser.pos += token.len();
        found.then_some(())
    };
    token(&mut parser, b"{")?;
    token(&mut parser, b"\"schema\"")?;
    token(&mut parser, b":")?;
    parser.skip_ws();
    let start = parser.pos;
    // The schema of the previous record, compared byte for byte: a complete JSON object at the
    // start of the value is the whole value, so no scan for its end is needed.
    let rest = input.get(start..)?;
    let same_as_last = last.is_some_and(|last| rest.starts_with(last));
    let end = match last {
        Some(last) if same_as_last => start + last.len(),
        _ => {
            let end = container_end(input, start)?;
            if !known(input.get(start..end)?) {
                return None;
            }
            end
        }
    };
    parser.pos = end;
    token(&mut parser, b",")?;
    token(&mut parser, b"\"payload\"")?;
    token(&mut parser, b":")?;
    parser.skip_ws();
    // Depth 1: the payload is a member of the top-level object, as in `parse`.
    let payload = match parser.value(1) {
        Ok(node) => node,
        Err(e) => return Some(Err(e)),
    };
    token(&mut parser, b"}")?;
    parser.skip_ws();
    (parser.pos == input.len()).then_some(Ok(Envelope {
        payload,
        same_as_last,
        schema: (start, end),
    }))
}

/// The end of the object starting at `start`, found by matching brackets outside strings. Only
/// meaningful for valid JSON; callers compare the bytes with a schema that parsed before.
fn container_end(input: &[u8], start: usize) -> Option<usize> {
    if input.get(start) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&b) = input.get(i) {
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => loop {
                i += 1;
                match input.get(i)? {
                    b'\\' => i += 1,
                    b'"' => break,
                    _ => {}
                }
            },
            _ => {}
        }
        i += 1;
    }
    None
}

fn syntax_error(input: &[u8], offset: usize, message: Cow<'static, str>) -> JsonSyntaxError {
    let before = input.get(..offset).unwrap_or(input);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    JsonSyntaxError {
        offset,
        line,
        column: offset - line_start + 1,
        message,
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<Cow<'static, str>>) -> JsonSyntaxError {
        syntax_error(self.bytes, self.pos, message.into())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), JsonSyntaxError> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, expected: &str) -> JsonSyntaxError {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(c) => self.error(format!("unexpected character {c:?}, expected {expected}")),
            None => self.error(format!("unexpected end of input, expected {expected}")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, JsonSyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Node::String(self.string()?)),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static str, node: Node<'a>) -> Result<Node<'a>, JsonSyntaxError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            if let Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') = self.peek() {
                return Err(self.error(format!("unrecognized token starting with {word:?}")));
            }
            Ok(node)
        } else {
            Err(self.error("unrecognized token, expected true, false or null"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node<'a>, JsonSyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.digits() == 0 {
            return Err(self.unexpected("a digit"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integral = false;
            if self.digits() == 0 {
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integral = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        if let Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'.') = self.peek() {
            return Err(self.unexpected("a delimiter after the number"));
        }
        if self.pos - start > MAX_NUMBER_LEN {
            return Err(syntax_error(
                self.bytes,
                start,
                format!("number longer than {MAX_NUMBER_LEN} characters").into(),
            ));
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        Ok(Node::Number(Number { text, integral }))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, JsonSyntaxError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    let s = self.text.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.control_char(c)),
                Some(_) => self.pos += 1,
            }
        }
        let mut owned = String::from(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    owned.push(c);
                }
                Some(c) if c < 0x20 => return Err(self.control_char(c)),
                Some(_) => {
                    let run = self.pos;
                    while let Some(c) = self.peek() {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    owned.push_str(self.text.get(run..self.pos).unwrap_or_default());
                }
            }
        }
    }

    fn control_char(&self, c: u8) -> JsonSyntaxError {
        self.error(format!(
            "control character 0x{c:02X} in a string must be escaped"
        ))
    }

    /// After a backslash.
    fn escape(&mut self) -> Result<char, JsonSyntaxError> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("unterminated string"))?;
        self.pos += 1;
        let decoded = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                return match unit {
                    0xD800..=0xDBFF => self.low_surrogate(unit),
                    0xDC00..=0xDFFF => Err(self.error("lone low surrogate escape in a string")),
                    _ => {
                        char::from_u32(u32::from(unit)).ok_or_else(|| self.error("bad \\u escape"))
                    }
                };
            }
            _ => {
                self.pos -= 1;
                return Err(self
                    .unexpected("an escape sequence (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"));
            }
        };
        Ok(decoded)
    }

    fn low_surrogate(&mut self, high: u16) -> Result<char, JsonSyntaxError> {
        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
            return Err(self.error("lone high surrogate escape in a string"));
        }
        self.pos += 2;
        let low = self.hex4()?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return Err(self.error("high surrogate escape not followed by a low surrogate"));
        }
        let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
        char::from_u32(code).ok_or_else(|| self.error("bad surrogate pair"))
    }

    fn hex4(&mut self) -> Result<u16, JsonSyntaxError> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| char::from(b).to_digit(16));
            let Some(digit) = digit else {
                return Err(self.unexpected("a hex digit in a \\u escape"));
            };
            unit = unit << 4 | u16::try_from(digit).unwrap_or(0);
            self.pos += 1;
        }
        Ok(unit)
    }

    fn too_deep(&self, depth: usize) -> Option<JsonSyntaxError> {
        (depth > MAX_DEPTH).then(|| self.error(format!("nesting deeper than {MAX_DEPTH} levels")))
    }

    fn array(&mut self, depth: usize) -> Result<Node<'a>, JsonSyntaxError> {
        if let Some(e) = self.too_deep(depth) {
            return Err(e);
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node<'a>, JsonSyntaxError> {
        if let Some(e) = self.too_deep(depth) {
            return Err(e);
        }
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a field name in double quotes"));
            }
            let key = self.string()?;
            self.expect(b':', "':'")?;
            self.skip_ws();
            let begin = self.pos;
            let value = self.value(depth)?;
            members.push(Member {
                key,
                value,
                span: (begin, self.pos),
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    dedupe(&mut members);
                    return Ok(Node::Object(members));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }
}

/// Jackson keeps a repeated key at its first position with its last value.
fn dedupe(members: &mut Vec<Member<'_>>) {
    if members.len() < 2 {
        return;
    }
    let has_duplicates = if members.len() <= 16 {
        members
            .iter()
            .enumerate()
            .any(|(i, m)| members.iter().take(i).any(|p| p.key == m.key))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(members.len());
        !members.iter().all(|m| seen.insert(&m.key))
    };
    if !has_duplicates {
        return;
    }
    let mut first_at: HashMap<Cow<'_, str>, usize> = HashMap::with_capacity(members.len());
    let mut kept: Vec<Member<'_>> = Vec::with_capacity(members.len());
    for m in members.drain(..) {
        match first_at.get(&m.key) {
            Some(&at) => {
                if let Some(slot) = kept.get_mut(at) {
                    slot.value = m.value;
                    slot.span = m.span;
                }
            }
            None => {
                first_at.insert(m.key.clone(), kept.len());
                kept.push(m);
            }
        }
    }
    *members = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Node<'_> {
        parse(text.as_bytes()).unwrap().unwrap()
    }

    fn err(text: &str) -> JsonSyntaxError {
        parse(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn reads_values() {
        let input = " {\"a\" : [1, -2.5e3, true, null, \"x\\n\\u00e9\\ud83d\\ude00\"], \"b\":{}}\n";
        let node = ok(input);
        let Node::Object(members) = node else {
            panic!()
        };
        assert_eq!(members.len(), 2);
        let Node::Array(items) = &members[0].value else {
            panic!()
        };
        assert_eq!(
            items[0],
            Node::Number(Number {
                text: "1",
                integral: true
            })
        );
        assert_eq!(
            items[1],
            Node::Number(Number {
                text: "-2.5e3",
                integral: false
            })
        );
        assert_eq!(items[4], Node::String(Cow::Owned("x\né😀".into())));
        let (start, end) = members[0].span;
        assert!(input[start..end].starts_with("[1,") && input[start..end].ends_with("\"]"));
    }

    #[test]
    fn borrows_plain_strings() {
        let input = "\"plain\"";
        let Node::String(Cow::Borrowed(s)) = ok(input) else {
            panic!()
        };
        assert_eq!(s, "plain");
    }

    #[test]
    fn jackson_leniencies() {
        assert_eq!(
            ok("007"),
            Node::Number(Number {
                text: "007",
                integral: true
            })
        );
        assert_eq!(
            ok("\u{FEFF}1"),
            Node::Number(Number {
                text: "1",
                integral: true
            })
        );
        assert_eq!(parse(b"  ").unwrap(), None);
        assert_eq!(parse(b"").unwrap(), None);
        let Node::Object(m) = ok("{\"a\":1,\"b\":2,\"a\":3}") else {
            panic!()
        };
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].key, "a");
        assert_eq!(
            m[0].value,
            Node::Number(Number {
                text: "3",
                integral: true
            })
        );
    }

    #[test]
    fn errors_say_where() {
        let e = err("{\"a\":\n  tru}");
        assert_eq!((e.line, e.column), (2, 3));
        for bad in [
            "{\"a\":1} x",
            "[1,]",
            "{,}",
            "01.",
            ".5",
            "+1",
            "1e",
            "-",
            "NaN",
            "\"\\x\"",
            "\"a\u{1}\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "{\"a\" 1}",
            "[1 2]",
            "\"abc",
            "{'a':1}",
            "truex",
            "1.5.2",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(parse(b"\"\xff\"").is_err());
    }

    #[test]
    fn limits_depth_and_number_length() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(deep.as_bytes()).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(err(&deeper).message.contains("nesting"));
        let very_deep = "[".repeat(1_000_000);
        assert!(parse(very_deep.as_bytes()).is_err());
        let long = "1".repeat(1001);
        assert!(err(&long).message.contains("longer"));
    }
}
