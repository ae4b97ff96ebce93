//! Java `.properties` files, read as `java.util.Properties.load` reads them, so the
//! `worker.properties` and connector files users already have load unchanged: `#`/`!` comments,
//! `=`, `:` or whitespace separators, backslash line continuations, and `\t \n \r \f \uXXXX`
//! escapes. Later keys override earlier ones.
//!
//! One deliberate difference: Java reads these files as ISO-8859-1. wharf reads UTF-8 (what
//! people actually write today) and falls back to ISO-8859-1 only when the file is not valid
//! UTF-8, which gives Java's result for every Latin-1 file.

use std::collections::BTreeMap;
use std::path::Path;

/// A parsed properties file: keys in sorted order.
pub type Properties = BTreeMap<String, String>;

/// Why a properties file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PropertiesError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}: malformed \\uXXXX escape")]
    BadUnicodeEscape { origin: String, line: usize },
}

/// Reads and parses a properties file.
pub fn load(path: &Path) -> Result<Properties, PropertiesError> {
    let bytes = std::fs::read(path).map_err(|source| PropertiesError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(not_utf8) => not_utf8
            .into_bytes()
            .iter()
            .map(|&b| char::from(b))
            .collect(),
    };
    parse(&text, &path.display().to_string())
}

/// Parses properties text; `origin` names the source in errors.
pub fn parse(text: &str, origin: &str) -> Result<Properties, PropertiesError> {
    let mut props = Properties::new();
    let mut lines = natural_lines(text).into_iter().enumerate();
    while let Some((index, raw)) = lines.next() {
        let first_line = index + 1;
        let line = raw.trim_start_matches([' ', '\t', '\u{c}']);
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        // Join continuation lines: a line ending in an odd number of backslashes continues.
        let mut logical = String::from(line);
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, more)) => logical.push_str(more.trim_start_matches([' ', '\t', '\u{c}'])),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        let key = unescape(key, origin, first_line)?;
        let value = unescape(value, origin, first_line)?;
        props.insert(key, value);
    }
    Ok(props)
}

/// Lines ended by "\n", "\r" or "\r\n", as Java's `LineReader` sees them.
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\n', '\r']) {
        lines.push(&rest[..end]);
        let terminator = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + terminator..];
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or whitespace, as `Properties.load` does.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    let mut sep_is_space = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => {
                key_end = i;
                break;
            }
            ' ' | '\t' | '\u{c}' => {
                key_end = i;
                sep_is_space = true;
                break;
            }
            _ => {}
        }
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start_matches([' ', '\t', '\u{c}']);
    if !sep_is_space || rest.starts_with(['=', ':']) {
        // Exactly one '=' or ':' belongs to the separator.
        if let Some(stripped) = rest.strip_prefix(['=', ':']) {
            rest = stripped.trim_start_matches([' ', '\t', '\u{c}']);
        }
    }
    (key, rest)
}

fn unescape(s: &str, origin: &str, line: usize) -> Result<String, PropertiesError> {
    if !s.contains('\\') {
        return Ok(s.to_owned());
    }
    let bad = || PropertiesError::BadUnicodeEscape {
        origin: origin.to_owned(),
        line,
    };
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut pending_high: Option<u16> = None;
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush_surrogate(&mut out, &mut pending_high);
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                if hex.len() != 4 {
                    return Err(bad());
                }
                let unit = u16::from_str_radix(&hex, 16).map_err(|_| bad())?;
                push_utf16_unit(&mut out, &mut pending_high, unit);
            }
            Some(other) => {
                flush_surrogate(&mut out, &mut pending_high);
                out.push(match other {
                    't' => '\t',
                    'n' => '\n',
                    'r' => '\r',
                    'f' => '\u{c}',
                    c => c,
                });
            }
            None => {}
        }
    }
    flush_surrogate(&mut out, &mut pending_high);
    Ok(out)
}

/// `\uD83D\uDE00` is one astral character written as two UTF-16 escapes.
fn push_utf16_unit(out: &mut String, pending_high: &mut Option<u16>, unit: u16) {
    if let Some(high) = pending_high.take() {
        if (0xDC00..0xE000).contains(&unit) {
            let pair = [high, unit];
            out.extend(char::decode_utf16(pair).map(|r| r.unwrap_or('\u{FFFD}')));
            return;
        }
        out.push('\u{FFFD}');
    }
    if (0xD800..0xDC00).contains(&unit) {
        *pending_high = Some(unit);
    } else {
        out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'));
    }
}

fn flush_surrogate(out: &mut String, pending_high: &mut Option<u16>) {
    if pending_high.take().is_some() {
        out.push('\u{FFFD}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Properties {
        parse(text, "test").unwrap()
    }

    #[test]
    fn separators_and_whitespace() {
        let props = p("a=1\nb = 2\nc:3\nd 4\n  e\t=\t5  \nf\ng=\nh  :  =x\n");
        assert_eq!(props["a"], "1");
        assert_eq!(props["b"], "2");
        assert_eq!(props["c"], "3");
        assert_eq!(props["d"], "4");
        assert_eq!(props["e"], "5  ");
        assert_eq!(props["f"], "");
        assert_eq!(props["g"], "");
        assert_eq!(props["h"], "=x");
    }

    #[test]
    fn comments_and_blank_lines() {
        let props =
            p("# comment\n! also\n\n   \n  # indented comment\nkey=value # not a comment\n");
        assert_eq!(props.len(), 1);
        assert_eq!(props["key"], "value # not a comment");
    }

    #[test]
    fn continuation_lines() {
        let props = p("list=a,\\\n    b,\\\n    c\nnext=1\n");
        assert_eq!(props["list"], "a,b,c");
        assert_eq!(props["next"], "1");
        let crlf = p("list=a,\\\r\n    b\r\nnext=2\r\n");
        assert_eq!(crlf["list"], "a,b");
        assert_eq!(crlf["next"], "2");
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        let props = p("path=C:\\\\\nother=x\n");
        assert_eq!(props["path"], "C:\\");
        assert_eq!(props["other"], "x");
    }

    #[test]
    fn escapes() {
        let props = p("k\\=ey\\ x=tab\\there\\nnl \\u00e9 \\uD83D\\uDE00 \\q\n");
        assert_eq!(props["k=ey x"], "tab\there\nnl é 😀 q");
    }

    #[test]
    fn transform_class_names_keep_dollar_signs() {
        let props = p("transforms.a.type=org.apache.kafka.connect.transforms.InsertField$Value\n");
        assert_eq!(
            props["transforms.a.type"],
            "org.apache.kafka.connect.transforms.InsertField$Value"
        );
    }

    #[test]
    fn later_keys_win() {
        assert_eq!(p("a=1\na=2\n")["a"], "2");
    }

    #[test]
    fn malformed_unicode_escape_names_the_line() {
        let err = parse("ok=1\nbad=\\u12\n", "worker.properties").unwrap_err();
        assert_eq!(
            err.to_string(),
            "worker.properties:2: malformed \\uXXXX escape"
        );
    }

    #[test]
    fn latin1_fallback() {
        let dir = std::env::temp_dir().join(format!("wharf-props-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latin1.properties");
        std::fs::write(&file, b"name=caf\xe9\n").unwrap();
        assert_eq!(load(&file).unwrap()["name"], "café");
        std::fs::write(&file, "name=café\n").unwrap();
        assert_eq!(load(&file).unwrap()["name"], "café");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
