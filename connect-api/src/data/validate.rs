//! Checking a value against a schema, as Kafka Connect's `ConnectSchema.validateValue`: null only
//! where the schema is optional, the value's kind matches the (logical) type, structs carry the
//! schema they are checked against, and containers hold valid values all the way down.

use std::borrow::Cow;

use crate::data::MAX_DEPTH;
use crate::data::error::{DataError, Problem, Trail};
use crate::data::logical::Logical;
use crate::data::schema::{Schema, Type};
use crate::data::structs::Struct;
use crate::data::value::Value;

/// Checks `value` against `schema`; the error names the path of the first bad value.
pub fn validate(schema: &Schema, value: &Value) -> Result<(), DataError> {
    validate_at(schema, value, &Trail::root(""))
}

pub(crate) fn validate_at(
    schema: &Schema,
    value: &Value,
    trail: &Trail<'_>,
) -> Result<(), DataError> {
    check(schema, value, trail, 0)
}

/// What a schema expects, for messages: `INT32`, `Decimal`, ...
pub fn expected_name(schema: &Schema) -> Cow<'static, str> {
    match schema.logical() {
        Some(logical) => logical.short_name().into(),
        None => schema.ty().name().into(),
    }
}

/// Whether a value's variant is the one the schema's (logical) type takes.
pub fn kind_matches(schema: &Schema, value: &Value) -> bool {
    match schema.logical() {
        Some(Logical::Decimal { .. }) => matches!(value, Value::Decimal(_)),
        Some(Logical::Date) => matches!(value, Value::Date(_)),
        Some(Logical::Time) => matches!(value, Value::Time(_)),
        Some(Logical::Timestamp) => matches!(value, Value::Timestamp(_)),
        None => matches!(
            (schema.ty(), value),
            (Type::Int8, Value::Int8(_))
                | (Type::Int16, Value::Int16(_))
                | (Type::Int32, Value::Int32(_))
                | (Type::Int64, Value::Int64(_))
                | (Type::Float32, Value::Float32(_))
                | (Type::Float64, Value::Float64(_))
                | (Type::Boolean, Value::Boolean(_))
                | (Type::String, Value::String(_))
                | (Type::Bytes, Value::Bytes(_))
                | (Type::Array, Value::Array(_))
                | (Type::Map, Value::Map(_))
                | (Type::Struct, Value::Struct(_))
        ),
    }
}

/// Whether a struct's own schema is the one it is used with. Defaults are left out of the
/// comparison: a struct-typed default is necessarily built with its schema before that schema
/// has the default.
pub fn same_struct_schema(own: &Schema, expected: &Schema) -> bool {
    std::ptr::eq(own, expected) || own.eq_ignoring_default(expected)
}

pub fn mismatch(schema: &Schema, value: &Value) -> Problem {
    Problem::Mismatch {
        expected: expected_name(schema),
        found: value.kind_name().into(),
    }
}

fn check(schema: &Schema, value: &Value, trail: &Trail<'_>, depth: usize) -> Result<(), DataError> {
    if let Some(problem) = shallow_problem(schema, value, depth) {
        return Err(trail.error(problem));
    }
    match value {
        Value::Struct(s) => validate_struct_fields(s, trail, depth + 1),
        Value::Array(items) => {
            let Some(item_schema) = schema.value_schema() else {
                return Ok(());
            };
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &trail.index(i), depth + 1)?;
            }
            Ok(())
        }
        Value::Map(entries) => {
            let (Some(key_schema), Some(value_schema)) =
                (schema.key_schema(), schema.value_schema())
            else {
                return Ok(());
            };
            for (i, (k, v)) in entries.iter().enumerate() {
                check(key_schema, k, &trail.map_key(i), depth + 1)?;
                check(value_schema, v, &trail.map_value(i), depth + 1)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What is wrong with the value itself, not looking inside it. Kept out of [`check`] so that
/// each level of nesting costs little stack.
#[inline(never)]
fn shallow_problem(schema: &Schema, value: &Value, depth: usize) -> Option<Problem> {
    if value.is_null() {
        return (!schema.is_optional()).then(|| Problem::NullForRequired(schema.ty()));
    }
    if depth > MAX_DEPTH {
        return Some(Problem::TooDeep(MAX_DEPTH));
    }
    if !kind_matches(schema, value) {
        return Some(mismatch(schema, value));
    }
    match value {
        Value::Struct(s) if !same_struct_schema(s.schema(), schema) => {
            Some(Problem::StructSchemaMismatch)
        }
        _ => None,
    }
}

/// Kafka Connect's `Struct.validate()`: a null field is fine when optional or defaulted.
pub(crate) fn validate_struct_fields(
    s: &Struct,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), DataError> {
    for (field, value) in s.iter() {
        let schema = field.schema();
        if value.is_null() && (schema.is_optional() || schema.default_value().is_some()) {
            continue;
        }
        check(schema, value, &trail.field(field.name()), depth)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::logical::{Decimal, decimal_schema};
    use crate::data::{Schema, SchemaBuilder};

    #[test]
    fn names_the_bad_path() {
        let inner = SchemaBuilder::struct_()
            .field(
                "tags",
                SchemaBuilder::array(Schema::string()).build().unwrap(),
            )
            .build()
            .unwrap();
        let outer = SchemaBuilder::struct_()
            .field("inner", inner.clone())
            .build()
            .unwrap();
        let bad_inner =
            Struct::from_parts(inner, vec![Value::Array(vec!["a".into(), Value::Int32(3)])]);
        let value = Value::Struct(Struct::from_parts(outer.clone(), vec![bad_inner.into()]));
        let err = validate(&outer, &value).unwrap_err();
        assert_eq!(err.path().as_str(), "inner.tags[1]");
        assert!(
            err.to_string()
                .contains("expected STRING, found INT32 value"),
            "{err}"
        );
    }

    #[test]
    fn logical_types_take_their_own_values() {
        let schema = decimal_schema(2).build().unwrap();
        assert!(validate(&schema, &Value::Decimal(Decimal::new(150, 2))).is_ok());
        assert!(validate(&schema, &Value::Bytes(bytes::Bytes::new())).is_err());
        assert!(validate(&Schema::int32(), &Value::Null).is_err());
        assert!(validate(&Schema::optional_int32(), &Value::Null).is_ok());
    }

    #[test]
    fn too_deep_is_an_error() {
        let mut schema = Schema::int32();
        let mut value = Value::Int32(1);
        for _ in 0..(MAX_DEPTH + 5) {
            schema = SchemaBuilder::array(schema).build().unwrap();
            value = Value::Array(vec![value]);
        }
        let err = validate(&schema, &value).unwrap_err();
        assert_eq!(err.problem(), &Problem::TooDeep(MAX_DEPTH));
    }
}
