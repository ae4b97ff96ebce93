//! Owned JSON for schema properties and default values, with object members in document order
//! (Connect parameters and map defaults keep their order), written the way Jackson writes them
//! under Avro's Java `Schema.toString()`.

use crate::shared::json_parse::{Node, parse};
use crate::shared::json_text::{push_double, push_float, push_int, push_string};

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// A `FLOAT32` written by Connect: Jackson prints it with `Float.toString`.
    Float(f32),
    Double(f64),
    /// A number read from a schema, as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses one JSON document.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match parse(text.as_bytes()) {
            Ok(Some(node)) => Ok(Self::from_node(&node)),
            Ok(None) => Err("empty schema text".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub(crate) fn from_node(node: &Node<'_>) -> Self {
        match node {
            Node::Null => Self::Null,
            Node::Bool(b) => Self::Bool(*b),
            Node::Number(n) => match n.text.parse::<i64>() {
                Ok(i) if n.integral => Self::Int(i),
                _ => Self::Number(n.text.to_owned()),
            },
            Node::String(s) => Self::String(s.to_string()),
            Node::Array(items) => Self::Array(items.iter().map(Self::from_node).collect()),
            Node::Object(members) => Self::Object(
                members
                    .iter()
                    .map(|m| (m.key.to_string(), Self::from_node(&m.value)))
                    .collect(),
            ),
        }
    }

    /// An object member.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Self::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_number(&self) -> bool {
        matches!(
            self,
            Self::Int(_) | Self::Float(_) | Self::Double(_) | Self::Number(_)
        )
    }

    /// An integral number (Jackson's `isIntegralNumber`).
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Any number as a double (Jackson's `doubleValue`).
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss, reason = "Jackson's doubleValue")]
            Self::Int(i) => Some(*i as f64),
            Self::Float(f) => Some(f64::from(*f)),
            Self::Double(d) => Some(*d),
            Self::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// Jackson's `intValue`: the number truncated to 32 bits.
    pub(crate) fn int_value(&self) -> Option<i32> {
        match self {
            #[allow(clippy::cast_possible_truncation, reason = "Jackson's intValue")]
            Self::Int(i) => Some(*i as i32),
            #[allow(clippy::cast_possible_truncation, reason = "Jackson's intValue")]
            _ => self.as_f64().map(|d| d as i32),
        }
    }

    /// Appends the compact JSON text. `widen_floats` writes `FLOAT32` values as doubles, as
    /// Avro's Java `Schema.Field` does with default values.
    pub(crate) fn write(&self, out: &mut Vec<u8>, widen_floats: bool) {
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Self::Int(i) => push_int(out, *i),
            Self::Float(f) if widen_floats => push_double(out, f64::from(*f)),
            Self::Float(f) => push_float(out, *f),
            Self::Double(d) => push_double(out, *d),
            Self::Number(text) => out.extend_from_slice(text.as_bytes()),
            Self::String(s) => push_string(out, s),
            Self::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out, widen_floats);
                }
                out.push(b']');
            }
            Self::Object(members) => {
                out.push(b'{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    push_string(out, key);
                    out.push(b':');
                    value.write(out, widen_floats);
                }
                out.push(b'}');
            }
        }
    }

    /// The text of a property value copied into a Connect parameter: strings as they are,
    /// anything else as JSON.
    pub(crate) fn to_parameter(&self) -> String {
        match self {
            Self::String(s) => s.clone(),
            other => {
                let mut out = Vec::new();
                other.write(&mut out, false);
                String::from_utf8_lossy(&out).into_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_writes_compactly() {
        let json = Json::parse(r#"{"b": 1, "a": [true, null, "x\n"], "c": 1.50}"#).unwrap();
        let mut out = Vec::new();
        json.write(&mut out, false);
        assert_eq!(out, br#"{"b":1,"a":[true,null,"x\n"],"c":1.50}"#);
        assert_eq!(json.get("c").and_then(Json::as_f64), Some(1.5));
        assert_eq!(json.get("b").and_then(Json::int_value), Some(1));
    }

    #[test]
    fn floats_widen_like_avro_field_defaults() {
        let mut out = Vec::new();
        Json::Float(1.1).write(&mut out, false);
        out.push(b' ');
        Json::Float(1.1).write(&mut out, true);
        assert_eq!(out, b"1.1 1.100000023841858");
    }
}
