//! Connect values to JSON text, straight into the output buffer, following Kafka Connect's
//! `JsonConverter.convertToJson` rule by rule:
//!
//! - null: with `replace.null.with.default`, a schema's default is written instead; otherwise
//!   `null` if the schema is optional (or absent), else an error;
//! - logical types: Decimal as base64 of the unscaled bytes (scale must equal the schema's) or,
//!   with `decimal.format=NUMERIC`, as `BigDecimal.toString()`; Date, Time, Timestamp as numbers;
//! - maps whose key schema is `STRING` (schemaless: whose keys are all strings) are objects,
//!   other maps are arrays of `[key, value]` pairs;
//! - struct fields in schema order, structs must carry the schema they are written with; a STRUCT
//!   schema's own default is never written (Kafka Connect refuses it: see
//!   `struct_default_check`);
//! - no whitespace anywhere.

use crate::error::{DataError, Problem};
use crate::shared::json_text::{push_base64, push_double, push_float, push_int, push_string};
use connect_api::DecimalFormat;
use connect_api::data::Trail;
use connect_api::data::logical::MILLIS_PER_DAY;
use connect_api::data::{
    Logical, MAX_DEPTH, Schema, SchemaRef, Type, Value, kind_matches, mismatch, same_struct_schema,
};

/// The settings that shape JSON output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Encoder {
    pub(crate) decimal_format: DecimalFormat,
    pub(crate) replace_null_with_default: bool,
}

impl Encoder {
    /// Writes `value`. `depth` is the number of JSON containers already open around it.
    pub(crate) fn value(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        value: &Value,
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        if value.is_null() {
            return self.null(out, schema, trail, depth);
        }
        let Some(schema) = schema else {
            return self.plain(out, None, value, trail, depth);
        };
        match schema.logical() {
            Some(logical) => self.logical(out, schema, logical, value, trail),
            None if kind_matches(schema, value) => {
                self.plain(out, Some(schema), value, trail, depth)
            }
            None => Err(trail.error(mismatch(schema, value))),
        }
    }

    #[inline(never)]
    fn null(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        match schema {
            None => out.extend_from_slice(b"null"),
            Some(s) => match s.default_value() {
                Some(default) if self.replace_null_with_default => {
                    return self.value(out, Some(s), default, trail, depth);
                }
                _ if s.is_optional() => out.extend_from_slice(b"null"),
                _ => return Err(trail.error(Problem::NullForRequired(s.ty()))),
            },
        }
        Ok(())
    }

    #[inline(never)]
    fn logical(
        &self,
        out: &mut Vec<u8>,
        schema: &Schema,
        logical: Logical,
        value: &Value,
        trail: &Trail<'_>,
    ) -> Result<(), DataError> {
        match (logical, value) {
            (Logical::Decimal { scale }, Value::Decimal(d)) => match self.decimal_format {
                DecimalFormat::Numeric => out.extend_from_slice(d.to_string().as_bytes()),
                DecimalFormat::Base64 => {
                    if d.scale() != scale {
                        return Err(trail.error(Problem::InvalidLogical {
                            logical: "Decimal",
                            reason: format!(
                                "scale {} does not match the schema's scale {scale}",
                                d.scale()
                            ),
                        }));
                    }
                    push_base64(out, &d.to_unscaled_bytes());
                }
            },
            (Logical::Date, Value::Date(days)) => push_int(out, i64::from(*days)),
            (Logical::Time, Value::Time(millis)) => {
                if !(0..=MILLIS_PER_DAY).contains(millis) {
                    return Err(trail.error(Problem::InvalidLogical {
                        logical: "Time",
                        reason: format!("{millis} ms is not a time of day (0 to {MILLIS_PER_DAY})"),
                    }));
                }
                push_int(out, i64::from(*millis));
            }
            (Logical::Timestamp, Value::Timestamp(millis)) => push_int(out, *millis),
            _ => return Err(trail.error(mismatch(schema, value))),
        }
        Ok(())
    }

    fn open(&self, trail: &Trail<'_>, depth: usize) -> Result<usize, DataError> {
        if depth >= MAX_DEPTH {
            return Err(trail.error(Problem::TooDeep(MAX_DEPTH)));
        }
        Ok(depth + 1)
    }

    /// A non-null value whose kind matches `schema` (when there is one).
    fn plain(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        value: &Value,
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        match value {
            Value::Array(items) => self.array(out, schema, items, trail, depth),
            Value::Map(entries) => {
                let key_schema = schema.and_then(|s| s.key_schema()).map(|s| &**s);
                let object_mode = match key_schema {
                    Some(k) => k.ty() == Type::String,
                    None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
                };
                if object_mode {
                    self.object_map(out, schema, entries, trail, depth)
                } else {
                    self.pair_map(out, schema, entries, trail, depth)
                }
            }
            Value::Struct(s) => match schema {
                Some(schema) if schema.default_value().is_some() => {
                    struct_default_check(s.schema(), schema).map_err(|p| trail.error(p))?;
                    self.structure(out, schema, s.values(), trail, depth)
                }
                Some(schema) if same_struct_schema(s.schema(), schema) => {
                    self.structure(out, schema, s.values(), trail, depth)
                }
                _ => Err(trail.error(Problem::StructSchemaMismatch)),
            },
            _ => scalar(out, value).map_err(|p| trail.error(p)),
        }
    }

    fn array(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        items: &[Value],
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        let inner = self.open(trail, depth)?;
        let item_schema = schema.and_then(|s| s.value_schema()).map(|s| &**s);
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.value(out, item_schema, item, &trail.index(i), inner)?;
        }
        out.push(b']');
        Ok(())
    }

    fn structure(
        &self,
        out: &mut Vec<u8>,
        schema: &Schema,
        values: &[Value],
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        let inner = self.open(trail, depth)?;
        out.push(b'{');
        for (i, (field, v)) in schema.fields().iter().zip(values).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_string(out, field.name());
            out.push(b':');
            self.value(
                out,
                Some(field.schema()),
                v,
                &trail.field(field.name()),
                inner,
            )?;
        }
        out.push(b'}');
        Ok(())
    }

    /// A map with string keys: a JSON object.
    fn object_map(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        entries: &[(Value, Value)],
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        let key_schema = schema.and_then(|s| s.key_schema()).map(|s| &**s);
        let value_schema = schema.and_then(|s| s.value_schema()).map(|s| &**s);
        let inner = self.open(trail, depth)?;
        out.push(b'{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.key(out, key_schema, k, &trail.map_key(i))?;
            out.push(b':');
            self.value(out, value_schema, v, &trail.map_value(i), inner)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// A map with other keys: an array of `[key, value]` arrays.
    fn pair_map(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        entries: &[(Value, Value)],
        trail: &Trail<'_>,
        depth: usize,
    ) -> Result<(), DataError> {
        let key_schema = schema.and_then(|s| s.key_schema()).map(|s| &**s);
        let value_schema = schema.and_then(|s| s.value_schema()).map(|s| &**s);
        let inner = self.open(trail, depth)?;
        let pair = self.open(trail, inner)?;
        out.push(b'[');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            self.value(out, key_schema, k, &trail.map_key(i), pair)?;
            out.push(b',');
            self.value(out, value_schema, v, &trail.map_value(i), pair)?;
            out.push(b']');
        }
        out.push(b']');
        Ok(())
    }

    /// Writes the object key for a map key.
    #[inline(never)]
    fn key(
        &self,
        out: &mut Vec<u8>,
        key_schema: Option<&Schema>,
        key: &Value,
        trail: &Trail<'_>,
    ) -> Result<(), DataError> {
        push_string(out, &self.key_text(key_schema, key, trail)?);
        Ok(())
    }

    /// The object key for a map key: its JSON text as Jackson's `asText()` gives it, so a null
    /// key (optional key schema) becomes `"null"`.
    fn key_text<'v>(
        &self,
        key_schema: Option<&'v Schema>,
        key: &'v Value,
        trail: &Trail<'_>,
    ) -> Result<std::borrow::Cow<'v, str>, DataError> {
        let key = match (key, key_schema) {
            (Value::Null, Some(s)) => match s.default_value() {
                Some(default) if self.replace_null_with_default => default,
                _ if s.is_optional() => return Ok("null".into()),
                _ => return Err(trail.error(Problem::NullForRequired(s.ty()))),
            },
            _ => key,
        };
        match key {
            Value::String(s) => Ok(s.as_str().into()),
            other => Err(trail.error(Problem::Mismatch {
                expected: "STRING".into(),
                found: other.kind_name().into(),
            })),
        }
    }
}

/// A struct written with a STRUCT schema that has a default must carry that very schema, as in
/// Kafka Connect (`struct.schema().equals(schema)`, where the schemas' defaults count). The
/// default itself never does: it was built before its schema had a default, so Kafka Connect
/// refuses to write it ("Mismatching schema") in the envelope's schema and as a null's
/// replacement; writing it anyway would give records its consumers cannot read.
#[inline(never)]
fn struct_default_check(own: &SchemaRef, schema: &Schema) -> Result<(), Problem> {
    if std::ptr::eq(&**own, schema) || **own == *schema {
        return Ok(());
    }
    if own.eq_ignoring_default(schema) {
        return Err(Problem::Unsupported(
            "a struct whose schema lacks its STRUCT schema's default, as that default itself \
             does: Kafka Connect's JsonConverter refuses to write it (\"Mismatching schema\") \
             and to read a STRUCT schema with a default"
                .to_owned(),
        ));
    }
    Err(Problem::StructSchemaMismatch)
}

/// A value that holds no other values, kept out of [`Encoder::plain`] so that each level of
/// nesting costs little stack.
#[inline(never)]
fn scalar(out: &mut Vec<u8>, value: &Value) -> Result<(), Problem> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int8(v) => push_int(out, i64::from(*v)),
        Value::Int16(v) => push_int(out, i64::from(*v)),
        Value::Int32(v) => push_int(out, i64::from(*v)),
        Value::Int64(v) => push_int(out, *v),
        Value::Float32(v) => push_float(out, *v),
        Value::Float64(v) => push_double(out, *v),
        Value::String(s) => push_string(out, s),
        Value::Bytes(b) => push_base64(out, b),
        Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
            return Err(Problem::Unsupported(format!(
                "a {} needs its logical schema",
                value.kind_name()
            )));
        }
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
            return Err(Problem::Unsupported(format!(
                "a {} is not a scalar",
                value.kind_name()
            )));
        }
    }
    Ok(())
}
