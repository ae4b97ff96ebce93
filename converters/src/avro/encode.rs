//! Connect values → Avro binary, straight into the output buffer, walking the Connect schema and
//! the writer's Avro schema side by side (they differ when `use.latest.version` writes with a
//! registered schema other than the one derived from the Connect schema).
//!
//! - Struct fields go to the record field of the same name, so field order may differ; a record
//!   field the struct lacks takes null (if nullable) or the field's Avro default.
//! - A union takes the null branch for null, the member named by the set field for Connect's
//!   union structs, its only non-null branch, or the first branch that fits the value.
//! - Null is written only where the Avro schema allows it; a struct field's null is first
//!   replaced by the field schema's default, as `Struct.get` does in Kafka Connect.

use crate::avro::json::Json;
use crate::avro::model::{Kind, Node};
use crate::avro::names::is_union_schema;
use crate::avro::to_connect::union_member_name;
use crate::error::{DataError, Problem};
use connect_api::data::Trail;
use connect_api::data::{Logical, Schema, Value, expected_name, mismatch, same_struct_schema};

/// Appends Avro's zig-zag varint of `n`.
pub(crate) fn write_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    write_long(out, i64::try_from(len).unwrap_or(i64::MAX));
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Writes `value` of Connect `schema` with the Avro `node`.
pub(crate) fn value(
    out: &mut Vec<u8>,
    schema: &Schema,
    node: &Node,
    value: &Value,
    trail: &Trail<'_>,
) -> Result<(), DataError> {
    if let Kind::Union(members) = &node.kind {
        return union(out, schema, members, value, trail);
    }
    if value.is_null() {
        return match node.kind {
            Kind::Null => Ok(()),
            _ => Err(trail.error(Problem::NullForRequired(schema.ty()))),
        };
    }
    let wrong = || {
        trail.error(Problem::Mismatch {
            expected: format!("a value for Avro {}", node.type_name()).into(),
            found: value.kind_name().into(),
        })
    };
    match (&node.kind, value) {
        (Kind::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
        (Kind::Int, Value::Int32(i) | Value::Date(i) | Value::Time(i)) => {
            write_long(out, i64::from(*i))
        }
        (Kind::Int, Value::Int8(i)) => write_long(out, i64::from(*i)),
        (Kind::Int, Value::Int16(i)) => write_long(out, i64::from(*i)),
        (Kind::Long, Value::Int64(i) | Value::Timestamp(i)) => write_long(out, *i),
        (Kind::Long, Value::Int32(i) | Value::Date(i) | Value::Time(i)) => {
            write_long(out, i64::from(*i));
        }
        (Kind::Long, Value::Int8(i)) => write_long(out, i64::from(*i)),
        (Kind::Long, Value::Int16(i)) => write_long(out, i64::from(*i)),
        (Kind::Float, Value::Float32(f)) => out.extend_from_slice(&f.to_le_bytes()),
        (Kind::Double, Value::Float64(f)) => out.extend_from_slice(&f.to_le_bytes()),
        (Kind::Double, Value::Float32(f)) => out.extend_from_slice(&f64::from(*f).to_le_bytes()),
        (Kind::String, Value::String(s)) => write_bytes(out, s.as_bytes()),
        (Kind::Bytes, Value::Bytes(b)) => write_bytes(out, b),
        (Kind::Bytes, Value::Decimal(_)) => write_bytes(out, &unscaled(schema, value, trail)?),
        (Kind::Fixed(fixed), Value::Bytes(b)) => {
            if b.len() != fixed.size {
                return Err(trail.error(Problem::Unsupported(format!(
                    "{} bytes for an Avro fixed of size {}",
                    b.len(),
                    fixed.size
                ))));
            }
            out.extend_from_slice(b);
        }
        (Kind::Fixed(fixed), Value::Decimal(_)) => {
            let bytes = unscaled(schema, value, trail)?;
            let pad = fixed.size.checked_sub(bytes.len()).ok_or_else(|| {
                trail.error(Problem::Unsupported(format!(
                    "a Decimal of {} bytes does not fit an Avro fixed of size {}",
                    bytes.len(),
                    fixed.size
                )))
            })?;
            let sign = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                0xff
            } else {
                0
            };
            out.extend(std::iter::repeat_n(sign, pad));
            out.extend_from_slice(&bytes);
        }
        (Kind::Enum(e), Value::String(s)) => {
            let index = e.symbols.iter().position(|sym| sym == s).ok_or_else(|| {
                trail.error(Problem::Unsupported(format!(
                    "\"{}\" is not a symbol of enum {}",
                    &**s,
                    e.name.full()
                )))
            })?;
            write_len(out, index);
        }
        (Kind::Array(items, _), Value::Array(elements)) => {
            let item_schema = schema
                .value_schema()
                .ok_or_else(|| trail.error(mismatch(schema, value)))?;
            if !elements.is_empty() {
                write_len(out, elements.len());
                for (i, element) in elements.iter().enumerate() {
                    self::value(out, item_schema, items, element, &trail.index(i))?;
                }
            }
            out.push(0);
        }
        (Kind::Array(items, _), Value::Map(entries)) => {
            let (Some(key_schema), Some(value_schema), Kind::Record(entry)) =
                (schema.key_schema(), schema.value_schema(), &items.kind)
            else {
                return Err(wrong());
            };
            if !entries.is_empty() {
                write_len(out, entries.len());
                for (i, (k, v)) in entries.iter().enumerate() {
                    for field in &entry.fields {
                        match field.name.as_str() {
                            "key" => {
                                self::value(out, key_schema, &field.schema, k, &trail.map_key(i))?
                            }
                            "value" => {
                                self::value(
                                    out,
                                    value_schema,
                                    &field.schema,
                                    v,
                                    &trail.map_value(i),
                                )?;
                            }
                            _ => return Err(wrong()),
                        }
                    }
                }
            }
            out.push(0);
        }
        (Kind::Map(values, _), Value::Map(entries)) => {
            let value_schema = schema
                .value_schema()
                .ok_or_else(|| trail.error(mismatch(schema, value)))?;
            if !entries.is_empty() {
                write_len(out, entries.len());
                for (i, (k, v)) in entries.iter().enumerate() {
                    let Value::String(key) = k else {
                        return Err(trail.map_key(i).error(Problem::Mismatch {
                            expected: "a STRING map key".into(),
                            found: k.kind_name().into(),
                        }));
                    };
                    write_bytes(out, key.as_bytes());
                    self::value(out, value_schema, values, v, &trail.map_value(i))?;
                }
            }
            out.push(0);
        }
        (Kind::Record(record), Value::Struct(s)) => {
            if !same_struct_schema(s.schema(), schema) {
                return Err(trail.error(Problem::StructSchemaMismatch));
            }
            let fields = s.schema().fields();
            for (i, avro_field) in record.fields.iter().enumerate() {
                let connect = match fields.get(i) {
                    Some(f) if f.name() == avro_field.name => Some(f),
                    _ => s.schema().field(&avro_field.name),
                };
                let Some(connect) = connect else {
                    missing_field(out, &avro_field.schema, avro_field.default.as_ref())
                        .map_err(|p| trail.field(&avro_field.name).error(p))?;
                    continue;
                };
                let v = match s.values().get(connect.index()) {
                    Some(Value::Null) | None => {
                        connect.schema().default_value().unwrap_or(&Value::Null)
                    }
                    Some(v) => v,
                };
                self::value(
                    out,
                    connect.schema(),
                    &avro_field.schema,
                    v,
                    &trail.field(connect.name()),
                )?;
            }
        }
        _ => return Err(wrong()),
    }
    Ok(())
}

fn union(
    out: &mut Vec<u8>,
    schema: &Schema,
    members: &[Node],
    value: &Value,
    trail: &Trail<'_>,
) -> Result<(), DataError> {
    let null_branch = || members.iter().position(|m| matches!(m.kind, Kind::Null));
    if value.is_null() {
        let index =
            null_branch().ok_or_else(|| trail.error(Problem::NullForRequired(schema.ty())))?;
        write_len(out, index);
        return Ok(());
    }
    if let (Value::Struct(s), true) = (value, is_union_schema(schema)) {
        // Connect's union struct: the first set field names the branch.
        let set = s.iter().find(|(_, v)| !v.is_null());
        let Some((field, v)) = set else {
            let index =
                null_branch().ok_or_else(|| trail.error(Problem::NullForRequired(schema.ty())))?;
            write_len(out, index);
            return Ok(());
        };
        let index = members
            .iter()
            .position(|m| union_member_name(m) == field.name())
            .ok_or_else(|| {
                trail.error(Problem::Unsupported(format!(
                    "the Avro union has no member for union field \"{}\"",
                    field.name()
                )))
            })?;
        write_len(out, index);
        return value_in(
            out,
            field.schema(),
            members,
            index,
            v,
            &trail.field(field.name()),
        );
    }
    let mut non_null = members
        .iter()
        .enumerate()
        .filter(|(_, m)| !matches!(m.kind, Kind::Null));
    let index = match (non_null.next(), non_null.next()) {
        (Some((only, _)), None) => only,
        _ => members.iter().position(|m| fits(m, value)).ok_or_else(|| {
            trail.error(Problem::Mismatch {
                expected: "a value for one of the Avro union's members".into(),
                found: value.kind_name().into(),
            })
        })?,
    };
    write_len(out, index);
    value_in(out, schema, members, index, value, trail)
}

fn value_in(
    out: &mut Vec<u8>,
    schema: &Schema,
    members: &[Node],
    index: usize,
    v: &Value,
    trail: &Trail<'_>,
) -> Result<(), DataError> {
    match members.get(index) {
        Some(member) => value(out, schema, member, v, trail),
        None => Err(trail.error(Problem::Unsupported("no such union branch".into()))),
    }
}

/// Whether a non-null value can be written with a (non-union) Avro type.
fn fits(node: &Node, value: &Value) -> bool {
    matches!(
        (&node.kind, value),
        (Kind::Boolean, Value::Boolean(_))
            | (
                Kind::Int,
                Value::Int8(_)
                    | Value::Int16(_)
                    | Value::Int32(_)
                    | Value::Date(_)
                    | Value::Time(_)
            )
            | (Kind::Long, Value::Int64(_) | Value::Timestamp(_))
            | (Kind::Float, Value::Float32(_))
            | (Kind::Double, Value::Float64(_))
            | (Kind::String | Kind::Enum(_), Value::String(_))
            | (
                Kind::Bytes | Kind::Fixed(_),
                Value::Bytes(_) | Value::Decimal(_)
            )
            | (Kind::Array(..), Value::Array(_) | Value::Map(_))
            | (Kind::Map(..), Value::Map(_))
            | (Kind::Record(_), Value::Struct(_))
    )
}

/// The unscaled bytes of a Decimal value, whose scale must be the schema's.
fn unscaled(schema: &Schema, value: &Value, trail: &Trail<'_>) -> Result<Vec<u8>, DataError> {
    let (Value::Decimal(d), Some(Logical::Decimal { scale })) = (value, schema.logical()) else {
        return Err(trail.error(Problem::Mismatch {
            expected: expected_name(schema),
            found: value.kind_name().into(),
        }));
    };
    if d.scale() != scale {
        return Err(trail.error(Problem::InvalidLogical {
            logical: "Decimal",
            reason: format!(
                "scale {} differs from the schema's scale {scale}",
                d.scale()
            ),
        }));
    }
    Ok(d.to_unscaled_bytes())
}

/// A record field the Connect struct does not have: null if the field allows it, else its
/// default.
fn missing_field(out: &mut Vec<u8>, node: &Node, default: Option<&Json>) -> Result<(), Problem> {
    if let Kind::Union(members) = &node.kind
        && let Some(index) = members.iter().position(|m| matches!(m.kind, Kind::Null))
    {
        write_len(out, index);
        return Ok(());
    }
    match default {
        Some(default) => json_default(out, node, default),
        None => Err(Problem::Unsupported(
            "the Avro record has this field, without default, and the struct does not".into(),
        )),
    }
}

/// Writes an Avro default value (JSON) in binary.
fn json_default(out: &mut Vec<u8>, node: &Node, json: &Json) -> Result<(), Problem> {
    let bad = || Problem::Unsupported("the Avro field default does not fit its type".into());
    match (&node.kind, json) {
        (Kind::Null, Json::Null) => {}
        (Kind::Boolean, Json::Bool(b)) => out.push(u8::from(*b)),
        (Kind::Int, _) => {
            let i = json
                .as_i64()
                .filter(|i| i32::try_from(*i).is_ok())
                .ok_or_else(bad)?;
            write_long(out, i);
        }
        (Kind::Long, _) => write_long(out, json.as_i64().ok_or_else(bad)?),
        #[allow(clippy::cast_possible_truncation, reason = "a float default")]
        (Kind::Float, _) => {
            out.extend_from_slice(&(json.as_f64().ok_or_else(bad)? as f32).to_le_bytes())
        }
        (Kind::Double, _) => out.extend_from_slice(&json.as_f64().ok_or_else(bad)?.to_le_bytes()),
        (Kind::String, Json::String(s)) => write_bytes(out, s.as_bytes()),
        (Kind::Bytes | Kind::Fixed(_), Json::String(s)) => {
            let bytes = s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| bad()))
                .collect::<Result<Vec<u8>, _>>()?;
            if let Kind::Fixed(f) = &node.kind {
                if bytes.len() != f.size {
                    return Err(bad());
                }
                out.extend_from_slice(&bytes);
            } else {
                write_bytes(out, &bytes);
            }
        }
        (Kind::Enum(e), Json::String(s)) => {
            let index = e
                .symbols
                .iter()
                .position(|sym| sym == s.as_str())
                .ok_or_else(bad)?;
            write_len(out, index);
        }
        (Kind::Array(items, _), Json::Array(elements)) => {
            if !elements.is_empty() {
                write_len(out, elements.len());
                for e in elements {
                    json_default(out, items, e)?;
                }
            }
            out.push(0);
        }
        (Kind::Map(values, _), Json::Object(members)) => {
            if !members.is_empty() {
                write_len(out, members.len());
                for (k, v) in members {
                    write_bytes(out, k.as_bytes());
                    json_default(out, values, v)?;
                }
            }
            out.push(0);
        }
        (Kind::Record(record), Json::Object(_)) => {
            for field in &record.fields {
                let member = json
                    .get(&field.name)
                    .or(field.default.as_ref())
                    .ok_or_else(bad)?;
                json_default(out, &field.schema, member)?;
            }
        }
        (Kind::Union(members), _) => {
            let first = members.first().ok_or_else(bad)?;
            out.push(0);
            json_default(out, first, json)?;
        }
        _ => return Err(bad()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zig_zag_varints() {
        for (n, bytes) in [
            (0i64, vec![0u8]),
            (-1, vec![1]),
            (1, vec![2]),
            (-64, vec![0x7f]),
            (64, vec![0x80, 0x01]),
            (
                i64::MAX,
                vec![0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ] {
            let mut out = Vec::new();
            write_long(&mut out, n);
            assert_eq!(out, bytes, "{n}");
        }
    }
}
