//! Field paths, as Kafka Connect's `SingleFieldPath` (KIP-821): with
//! `field.syntax.version=V1` a path is one top-level field name; with `V2` dots separate nested
//! field names and backticks wrap names that contain dots (`` `a.b`.c ``), a backslash escaping a
//! backtick inside them.
//!
//! Of Kafka Connect 4.3's transforms only `ExtractField` reads nested paths.

use connect_api::data::{Field, Schema, Struct, Value};

use super::util::{Fail, field_value, require_map, require_struct};

/// The `field.syntax.version` key.
pub(crate) const SYNTAX_VERSION_CONFIG: &str = "field.syntax.version";
pub(crate) const SYNTAX_VERSION_DOC: &str = "Defines the version of the syntax to access fields. \
If set to `V1`, then the field paths are limited to access the elements at the root level of the \
struct or map. If set to `V2`, the syntax will support accessing nested elements. To access \
nested elements, dotted notation is used. If dots are already included in the field name, then \
backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield `baz` \
from a field named \"foo.bar\" in a struct/map the following format can be used to access its \
elements: \"`foo.bar`.baz\".";

pub(crate) fn check_syntax_version(raw: &str) -> Result<(), String> {
    if raw.trim().eq_ignore_ascii_case("V1") || raw.trim().eq_ignore_ascii_case("V2") {
        Ok(())
    } else {
        Err("String must be one of (case insensitive): V1, V2".to_owned())
    }
}

/// A parsed path: one or more steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    steps: Vec<String>,
}

impl FieldPath {
    /// Parses `text` under the syntax version (`V1` or `V2`, any case).
    pub(crate) fn parse(text: &str, v2: bool) -> Result<Self, String> {
        if !v2 || text.is_empty() {
            return Ok(Self {
                steps: vec![text.to_owned()],
            });
        }
        let bytes = text.as_bytes();
        let at = |i: usize| bytes.get(i).copied();
        let slice = |a: usize, b: usize| text.get(a..b).unwrap_or("");
        let incomplete = |backtick_at: usize| {
            format!(
                "Incomplete backtick pair in path: [{text}], consider adding a backslash before \
                 backtick at position {backtick_at} to escape it"
            )
        };
        let mut steps = Vec::new();
        let mut idx = 0;
        while idx < bytes.len() {
            if at(idx) != Some(b'`') {
                let start = idx;
                match text.get(idx..).and_then(|rest| rest.find('.')) {
                    Some(offset) => {
                        steps.push(slice(start, idx + offset).to_owned());
                        idx += offset + 1;
                    }
                    None => {
                        steps.push(slice(start, bytes.len()).to_owned());
                        idx = bytes.len();
                    }
                }
                continue;
            }
            let backtick_at = idx;
            idx += 1;
            let mut field = String::new();
            let mut start = idx;
            loop {
                idx = match text.get(idx..).and_then(|rest| rest.find('`')) {
                    Some(offset) => idx + offset,
                    None => return Err(incomplete(backtick_at)),
                };
                let escaped = idx > 0 && at(idx - 1) == Some(b'\\');
                if idx + 1 >= bytes.len() {
                    if escaped {
                        return Err(incomplete(backtick_at));
                    }
                    field.push_str(slice(start, idx));
                    steps.push(std::mem::take(&mut field));
                    idx += 1;
                    break;
                }
                if at(idx + 1) != Some(b'.') {
                    idx += 1;
                    continue;
                }
                if escaped {
                    field.push_str(slice(start, idx - 1));
                    field.push('`');
                    idx += 1;
                    start = idx;
                    continue;
                }
                field.push_str(slice(start, idx));
                steps.push(std::mem::take(&mut field));
                idx += 2;
                break;
            }
        }
        if text.ends_with('.') {
            steps.push(String::new());
        }
        Ok(Self { steps })
    }

    fn split(&self) -> (&[String], &str) {
        match self.steps.split_last() {
            Some((last, parents)) => (parents, last),
            None => (&[], ""),
        }
    }

    /// The field the path names in a schema, if there is one.
    pub(crate) fn field_from<'s>(&self, schema: &'s Schema) -> Option<&'s Field> {
        let (parents, last) = self.split();
        let mut current = schema;
        for step in parents {
            current = current.field(step)?.schema();
        }
        current.field(last)
    }

    /// The value at the path in a struct; null when a field on the way is missing or null.
    pub(crate) fn value_from_struct(
        &self,
        value: &Struct,
        with_default: bool,
    ) -> Result<Value, Fail> {
        let (parents, last) = self.split();
        let mut current = value;
        for step in parents {
            if current.schema().field(step).is_none() {
                return Ok(Value::Null);
            }
            match current.get(step) {
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(next) => current = require_struct(next, "nested field access")?,
            }
        }
        Ok(match current.schema().field(last) {
            Some(field) => {
                let raw = current.get_without_default(last).unwrap_or(&Value::Null);
                field_value(field, raw, with_default)
            }
            None => Value::Null,
        })
    }

    /// The value at the path in a schemaless map; null when an entry on the way is missing.
    pub(crate) fn value_from_map(&self, entries: &[(Value, Value)]) -> Result<Value, Fail> {
        let (parents, last) = self.split();
        let mut current = entries;
        for step in parents {
            match super::util::map_get(current, step) {
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(next) => current = require_map(next, "nested field access")?,
            }
        }
        Ok(super::util::map_get(current, last)
            .cloned()
            .unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(text: &str) -> Vec<String> {
        FieldPath::parse(text, true).unwrap().steps
    }

    #[test]
    fn parses_like_single_field_path() {
        // Cases from Kafka Connect's SingleFieldPathTest.
        assert_eq!(steps("foo"), ["foo"]);
        assert_eq!(steps("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(steps("foo.bar."), ["foo", "bar", ""]);
        assert_eq!(steps("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(steps("foo.`bar.baz`"), ["foo", "bar.baz"]);
        assert_eq!(steps("foo.`bar\\`.baz`"), ["foo", "bar`.baz"]);
        assert_eq!(steps("foo.`bar`baz`"), ["foo", "bar`baz"]);
        assert_eq!(steps("foo..bar"), ["foo", "", "bar"]);
        assert_eq!(
            FieldPath::parse("foo.bar", false).unwrap().steps,
            ["foo.bar"]
        );
    }

    #[test]
    fn incomplete_backticks_are_errors() {
        let err = FieldPath::parse("foo.`bar.baz", true).unwrap_err();
        assert_eq!(
            err,
            "Incomplete backtick pair in path: [foo.`bar.baz], consider adding a backslash \
             before backtick at position 4 to escape it"
        );
        assert!(FieldPath::parse("foo.`bar\\`", true).is_err());
    }
}
