//! JSON trees to Connect values, following Kafka Connect's `JsonConverter.convertToConnect`:
//! null or a missing field becomes the schema's default (with `replace.null.with.default`), else
//! null if optional, else an error; a Decimal reads from a number (exactly, keeping the written
//! scale) or from base64; schemaless JSON becomes INT64, FLOAT64, BOOLEAN, STRING, ARRAY and
//! string-keyed MAP values.
//!
//! An integer schema takes any number whose value is an exact integer in range, as Kafka Connect
//! does (`1e3` and `1000.0` read as 1000); a map read from `[key, value]` pairs keeps the last
//! value of a repeated key ([`map_keys`](crate::json::map_keys)).
//!
//! Where Kafka Connect silently coerces a mismatch (a string or a boolean read as an INT32 gives
//! 0, 300 read as an INT8 wraps to 44, 1.9 read as an INT32 truncates to 1, a number read as
//! BYTES or STRING gives null, an integer beyond 64 bits wraps) this is an error naming the
//! path. The strings `"NaN"`, `"Infinity"` and `"-Infinity"`, which Kafka Connect writes for
//! non-finite floats, read back as those values (Kafka Connect reads them as 0.0).

use std::borrow::Cow;

use bytes::Bytes;

use crate::error::{DataError, Problem};
use crate::json::integral::{Integral, integral};
use crate::json::map_keys::PairMap;
use crate::shared::json_parse::{Member, Node, Number, member};
use crate::shared::json_text::decode_base64;
use connect_api::data::Trail;
use connect_api::data::logical::MILLIS_PER_DAY;
use connect_api::data::{Decimal, Logical, SchemaRef, Str, Struct, Type, Value, expected_name};

/// Reads values out of a parsed document, sharing strings with the document's buffer.
#[derive(Debug)]
pub(crate) struct Decoder<'b> {
    pub(crate) input: &'b Bytes,
    pub(crate) replace_null_with_default: bool,
}

fn mismatch(expected: impl Into<Cow<'static, str>>, node: &Node<'_>) -> Problem {
    Problem::Mismatch {
        expected: expected.into(),
        found: node.kind_name().into(),
    }
}

fn out_of_range(ty: Type, n: &Number<'_>) -> Problem {
    Problem::OutOfRange {
        ty,
        value: n.text.chars().take(64).collect(),
    }
}

fn not_an_integer(ty: Type) -> Problem {
    Problem::Mismatch {
        expected: format!("an integer for {ty}").into(),
        found: "floating-point number".into(),
    }
}

/// An integer written as one (`1000`, not `1e3`): what Kafka Connect's logical types and
/// schemaless reading ask for (`isInt()`, `isIntegralNumber()`).
fn integer<T: TryFrom<i64>>(n: &Number<'_>, ty: Type) -> Result<T, Problem> {
    if !n.integral {
        return Err(not_an_integer(ty));
    }
    let wide: i64 = n.text.parse().map_err(|_| out_of_range(ty, n))?;
    T::try_from(wide).map_err(|_| out_of_range(ty, n))
}

/// Any number whose value is an integer that fits (`1e3`, `5.0`): what Kafka Connect's
/// `intValue()` / `longValue()` give without truncating or wrapping.
fn exact_integer<T: TryFrom<i64>>(n: &Number<'_>, ty: Type) -> Result<T, Problem> {
    if n.integral {
        return integer(n, ty);
    }
    match integral(n.text) {
        Integral::Exact(wide) => T::try_from(wide).map_err(|_| out_of_range(ty, n)),
        Integral::TooBig => Err(out_of_range(ty, n)),
        Integral::Fraction => Err(not_an_integer(ty)),
    }
}

/// Kafka Connect reads floats through `BigDecimal`, which has no negative zero.
fn is_zero(n: &Number<'_>) -> bool {
    let mantissa = n.text.split(['e', 'E']).next().unwrap_or(n.text);
    mantissa.bytes().all(|b| matches!(b, b'0' | b'-' | b'.'))
}

fn special_float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn float64(n: &Number<'_>) -> Result<f64, Problem> {
    if is_zero(n) {
        return Ok(0.0);
    }
    n.text.parse().map_err(|_| out_of_range(Type::Float64, n))
}

fn float32(n: &Number<'_>) -> Result<f32, Problem> {
    if is_zero(n) {
        return Ok(0.0);
    }
    n.text.parse().map_err(|_| out_of_range(Type::Float32, n))
}

impl Decoder<'_> {
    /// Shares `s` when it is a slice of the input (no escapes), copies it otherwise.
    fn str(&self, s: &str) -> Str {
        Str::from_checked_slice(self.input, s)
    }

    /// The value of `node` (`None`: a missing struct field) under `schema`.
    pub(crate) fn value(
        &self,
        schema: Option<&SchemaRef>,
        node: Option<&Node<'_>>,
        trail: &Trail<'_>,
    ) -> Result<Value, DataError> {
        let Some(schema) = schema else {
            return self.schemaless(node, trail);
        };
        let node = match node {
            None | Some(Node::Null) => return self.null(schema, trail),
            Some(node) => node,
        };
        if let Some(logical) = schema.logical() {
            return self.logical(logical, node).map_err(|p| trail.error(p));
        }
        match (schema.ty(), node) {
            (Type::Array, Node::Array(items)) => self.array(schema, items, trail),
            (Type::Map, Node::Object(members)) if is_string(schema.key_schema()) => {
                self.object_map(schema, members, trail)
            }
            (Type::Map, Node::Array(pairs)) if !is_string(schema.key_schema()) => {
                self.pair_map(schema, pairs, trail)
            }
            (Type::Struct, Node::Object(members)) => self.structure(schema, members, trail),
            _ => self.scalar(schema, node).map_err(|p| trail.error(p)),
        }
    }

    /// Null or missing: the default, null, or an error.
    #[inline(never)]
    fn null(&self, schema: &SchemaRef, trail: &Trail<'_>) -> Result<Value, DataError> {
        match schema.default_value() {
            Some(default) if self.replace_null_with_default => Ok(default.clone()),
            _ if schema.is_optional() => Ok(Value::Null),
            _ => Err(trail.error(Problem::NullForRequired(schema.ty()))),
        }
    }

    fn array(
        &self,
        schema: &SchemaRef,
        items: &[Node<'_>],
        trail: &Trail<'_>,
    ) -> Result<Value, DataError> {
        let item_schema = schema.value_schema();
        let mut values = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            values.push(self.value(item_schema, Some(item), &trail.index(i))?);
        }
        Ok(Value::Array(values))
    }

    /// A value that holds no other values. Kept out of [`value`](Self::value) so that each
    /// level of nesting costs little stack.
    #[inline(never)]
    fn scalar(&self, schema: &SchemaRef, node: &Node<'_>) -> Result<Value, Problem> {
        let value = match (schema.ty(), node) {
            (Type::Boolean, Node::Bool(b)) => Value::Boolean(*b),
            (Type::Int8, Node::Number(n)) => Value::Int8(exact_integer(n, Type::Int8)?),
            (Type::Int16, Node::Number(n)) => Value::Int16(exact_integer(n, Type::Int16)?),
            (Type::Int32, Node::Number(n)) => Value::Int32(exact_integer(n, Type::Int32)?),
            (Type::Int64, Node::Number(n)) => Value::Int64(exact_integer(n, Type::Int64)?),
            (Type::Float32, Node::Number(n)) => Value::Float32(float32(n)?),
            (Type::Float64, Node::Number(n)) => Value::Float64(float64(n)?),
            (Type::Float32, Node::String(s)) if special_float(s).is_some() => {
                Value::Float32(special_float(s).unwrap_or_default() as f32)
            }
            (Type::Float64, Node::String(s)) if special_float(s).is_some() => {
                Value::Float64(special_float(s).unwrap_or_default())
            }
            (Type::String, Node::String(s)) => Value::String(self.str(s)),
            (Type::Bytes, Node::String(s)) => Value::Bytes(Bytes::from(
                decode_base64(s).map_err(Problem::InvalidBase64)?,
            )),
            (Type::Map, node) if is_string(schema.key_schema()) => {
                return Err(mismatch("a JSON object (map with string keys)", node));
            }
            (Type::Map, node) => return Err(mismatch("a JSON array of [key, value] pairs", node)),
            (_, node) => return Err(mismatch(expected_name(schema), node)),
        };
        Ok(value)
    }

    #[inline(never)]
    fn logical(&self, logical: Logical, node: &Node<'_>) -> Result<Value, Problem> {
        let invalid = |reason: String| Problem::InvalidLogical {
            logical: logical.short_name(),
            reason,
        };
        match (logical, node) {
            (Logical::Decimal { .. }, Node::Number(n)) => n
                .text
                .parse::<Decimal>()
                .map(Value::Decimal)
                .map_err(|e| invalid(e.to_string())),
            (Logical::Decimal { scale }, Node::String(s)) => {
                let bytes = decode_base64(s).map_err(|e| invalid(format!("bad base64: {e}")))?;
                Decimal::from_unscaled_bytes(&bytes, scale).map(Value::Decimal)
            }
            (Logical::Date, Node::Number(n)) => Ok(Value::Date(integer(n, Type::Int32)?)),
            (Logical::Time, Node::Number(n)) => {
                let millis: i32 = integer(n, Type::Int32)?;
                if !(0..=MILLIS_PER_DAY).contains(&millis) {
                    return Err(invalid(format!(
                        "{millis} ms is not a time of day (0 to {MILLIS_PER_DAY})"
                    )));
                }
                Ok(Value::Time(millis))
            }
            (Logical::Timestamp, Node::Number(n)) => Ok(Value::Timestamp(integer(n, Type::Int64)?)),
            (Logical::Decimal { .. }, node) => Err(mismatch("Decimal (number or base64)", node)),
            (_, node) => Err(mismatch(
                format!("an integer for {}", logical.short_name()),
                node,
            )),
        }
    }

    fn object_map(
        &self,
        schema: &SchemaRef,
        members: &[Member<'_>],
        trail: &Trail<'_>,
    ) -> Result<Value, DataError> {
        let value_schema = schema.value_schema();
        let mut entries = Vec::with_capacity(members.len());
        for m in members {
            let v = self.value(value_schema, Some(&m.value), &trail.field(&m.key))?;
            entries.push((Value::String(self.str(&m.key)), v));
        }
        Ok(Value::Map(entries))
    }

    fn pair_map(
        &self,
        schema: &SchemaRef,
        pairs: &[Node<'_>],
        trail: &Trail<'_>,
    ) -> Result<Value, DataError> {
        let (key_schema, value_schema) = (schema.key_schema(), schema.value_schema());
        let mut entries = PairMap::with_capacity(pairs.len());
        for (i, pair) in pairs.iter().enumerate() {
            let Node::Array(kv) = pair else {
                return Err(bad_pair(pair, &trail.index(i)));
            };
            let [k, v] = kv.as_slice() else {
                return Err(bad_pair(pair, &trail.index(i)));
            };
            let k = self.value(key_schema, Some(k), &trail.map_key(i))?;
            let v = self.value(value_schema, Some(v), &trail.map_value(i))?;
            entries.put(k, v);
        }
        Ok(entries.into_value())
    }

    fn structure(
        &self,
        schema: &SchemaRef,
        members: &[Member<'_>],
        trail: &Trail<'_>,
    ) -> Result<Value, DataError> {
        let mut values = Vec::with_capacity(schema.fields().len());
        for (i, field) in schema.fields().iter().enumerate() {
            // Members usually come in field order; fall back to a search.
            let found = members
                .get(i)
                .filter(|m| m.key == field.name())
                .or_else(|| member(members, field.name()));
            let node = found.map(|m| &m.value);
            values.push(self.value(Some(field.schema()), node, &trail.field(field.name()))?);
        }
        Ok(Value::Struct(Struct::from_parts(schema.clone(), values)))
    }

    fn schemaless(&self, node: Option<&Node<'_>>, trail: &Trail<'_>) -> Result<Value, DataError> {
        match node {
            Some(Node::Array(items)) => {
                let mut values = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    values.push(self.schemaless(Some(item), &trail.index(i))?);
                }
                Ok(Value::Array(values))
            }
            Some(Node::Object(members)) => {
                let mut entries = Vec::with_capacity(members.len());
                for m in members {
                    let v = self.schemaless(Some(&m.value), &trail.field(&m.key))?;
                    entries.push((Value::String(self.str(&m.key)), v));
                }
                Ok(Value::Map(entries))
            }
            _ => self.schemaless_scalar(node).map_err(|p| trail.error(p)),
        }
    }

    #[inline(never)]
    fn schemaless_scalar(&self, node: Option<&Node<'_>>) -> Result<Value, Problem> {
        Ok(match node {
            None | Some(Node::Null | Node::Array(_) | Node::Object(_)) => Value::Null,
            Some(Node::Bool(b)) => Value::Boolean(*b),
            Some(Node::Number(n)) if n.integral => Value::Int64(integer(n, Type::Int64)?),
            Some(Node::Number(n)) => Value::Float64(float64(n)?),
            Some(Node::String(s)) => Value::String(self.str(s)),
        })
    }
}

fn is_string(schema: Option<&SchemaRef>) -> bool {
    schema.is_some_and(|s| s.ty() == Type::String)
}

#[inline(never)]
fn bad_pair(pair: &Node<'_>, trail: &Trail<'_>) -> DataError {
    let found = match pair {
        Node::Array(kv) => format!("an array of {} elements", kv.len()).into(),
        other => other.kind_name().into(),
    };
    trail.error(Problem::Mismatch {
        expected: "a [key, value] pair".into(),
        found,
    })
}
