//! `Cast`: casts fields, or the whole key or value, to another primitive type
//! (`spec=age:int32,score:float64` or `spec=string`).
//!
//! Like Kafka Connect: integers, floats, booleans and strings cast to each other (strings are
//! parsed as Java parses them; floats narrow to integers with saturation, wider integers wrap);
//! Date, Time and Timestamp cast to numbers as their days or milliseconds and to strings in ISO
//! 8601; bytes cast only to strings (Base64); Decimals cast as numbers. Only top-level fields can
//! be named. A field missing from a schemaless map is added as null.
//!
//! Differences: dates cast to strings are written in UTC, where Kafka Connect uses the JVM's
//! time zone; a whole Date, Time, Timestamp or Decimal value cast to another type gets a plain
//! schema of that type (Kafka Connect keeps the logical type's name on it, so that its converters
//! then refuse the value).

use connect_api::data::{
    Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Type, Value,
};

use super::config::PluginConfig;
use super::java::{self, Number};
use super::util::{
    Ctx, Fail, SchemaCache, Side, build_schema, copy_basics, field_value, into_map, map_get,
    map_put, require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str = "Cast fields or the entire key or value to a specific type, e.g. to \
force an integer field to a smaller width. Cast from integers, floats, boolean and string to any \
other type, and cast binary to string (base64 encoded).";

const SPEC: &str = "spec";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "cast types";
const REPLACE_NULL_DOC: &str = "Whether to replace fields that have a default value and that are \
null to the default value. When set to true, the default value is used, otherwise null is used.";

const OUTPUT_TYPES: [Type; 8] = [
    Type::Int8,
    Type::Int16,
    Type::Int32,
    Type::Int64,
    Type::Float32,
    Type::Float64,
    Type::Boolean,
    Type::String,
];

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(
            SPEC,
            ConfigType::List,
            "List of fields and the type to cast them to of the form field1:type,field2:type to \
             cast fields of Maps or Structs. A single type to cast the entire value. Valid types \
             are int8, int16, int32, int64, float32, float64, boolean, and string. Note that \
             binary fields can only be cast to string.",
        ),
        ConfigKey::optional(REPLACE_NULL, ConfigType::Boolean, "true", REPLACE_NULL_DOC),
    ])
}

/// A type name as Kafka Connect's `Schema.Type.valueOf` reads it.
fn type_named(name: &str) -> Option<Type> {
    let all = [
        Type::Int8,
        Type::Int16,
        Type::Int32,
        Type::Int64,
        Type::Float32,
        Type::Float64,
        Type::Boolean,
        Type::String,
        Type::Bytes,
        Type::Array,
        Type::Map,
        Type::Struct,
    ];
    let upper = name.trim().to_ascii_uppercase();
    all.into_iter().find(|t| t.name() == upper)
}

fn output_type(name: &str) -> Result<Type, String> {
    let ty = type_named(name)
        .ok_or_else(|| format!("Invalid type found in casting spec: {}", name.trim()))?;
    if OUTPUT_TYPES.contains(&ty) {
        Ok(ty)
    } else {
        Err(format!(
            "Cast transformation does not support casting to {ty}; supported types are [INT8, \
             INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        ))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Whole(Type),
    Fields(Vec<(Str, Type)>),
}

fn parse_spec(items: &[String]) -> Result<Spec, String> {
    if items.is_empty() {
        return Err("Must specify at least one field to cast.".to_owned());
    }
    let mut whole = None;
    let mut fields: Vec<(Str, Type)> = Vec::new();
    for mapping in items {
        match super::util::java_split(mapping, ':').as_slice() {
            [ty] => whole = Some(output_type(ty)?),
            [field, ty] => {
                let ty = output_type(ty)?;
                let field = field.trim();
                match fields.iter_mut().find(|(f, _)| f.as_str() == field) {
                    Some(slot) => slot.1 = ty,
                    None => fields.push((Str::from(field), ty)),
                }
            }
            _ => return Err(format!("Invalid cast mapping: {mapping}")),
        }
    }
    match whole {
        Some(_) if items.len() > 1 => Err("Cast transformations that specify a type to cast the \
                                           entire value to may only specify a single cast in \
                                           their spec"
            .to_owned()),
        Some(ty) => Ok(Spec::Whole(ty)),
        None => Ok(Spec::Fields(fields)),
    }
}

#[derive(Debug)]
struct Cast {
    ctx: Ctx,
    side: Side,
    spec: Spec,
    replace_null: bool,
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    if cfg.failed(SPEC) {
        return None;
    }
    let spec = match parse_spec(&cfg.list(SPEC)) {
        Ok(spec) => spec,
        Err(reason) => {
            cfg.fail(SPEC, reason);
            return None;
        }
    };
    let t: Box<dyn Transform> = Box::new(Cast {
        ctx: Ctx { alias: cfg.alias() },
        side,
        spec,
        replace_null: cfg.boolean(REPLACE_NULL),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for Cast {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        if self.side.get(&record).value.is_null() {
            return Ok(Some(record));
        }
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => self.schemaless(data.value),
                Some(schema) => self.with_schema(&schema, &data.value),
            })
    }
}

impl Cast {
    fn target(&self, field: &str) -> Option<Type> {
        match &self.spec {
            Spec::Fields(fields) => fields
                .iter()
                .find(|(f, _)| f.as_str() == field)
                .map(|(_, t)| *t),
            Spec::Whole(_) => None,
        }
    }

    fn schemaless(&self, value: Value) -> Result<SchemaAndValue, Fail> {
        let fields = match &self.spec {
            Spec::Whole(ty) => return Ok(SchemaAndValue::new(None, cast(None, &value, *ty)?)),
            Spec::Fields(fields) => fields,
        };
        let mut entries = into_map(value, PURPOSE)?;
        for (field, ty) in fields {
            let current = map_get(&entries, field).unwrap_or(&Value::Null);
            let cast_value = cast(None, current, *ty).map_err(|f| f.in_field(field))?;
            map_put(&mut entries, field, cast_value);
        }
        Ok(SchemaAndValue::new(None, Value::Map(entries)))
    }

    fn with_schema(&self, schema: &SchemaRef, value: &Value) -> Result<SchemaAndValue, Fail> {
        let updated = self
            .schemas
            .get_or_try_insert(schema, || self.derive(schema))?;
        if let Spec::Whole(ty) = self.spec {
            let cast_value = cast(Some(schema), value, ty)?;
            return Ok(SchemaAndValue::new(Some(updated), cast_value));
        }
        let value = require_struct(value, PURPOSE)?;
        let mut out = Struct::new(updated.clone())?;
        for (field, raw) in value.iter() {
            let original = field_value(field, raw, self.replace_null);
            let name = field.name();
            let new = match self.target(name) {
                Some(ty) => {
                    cast(Some(field.schema()), &original, ty).map_err(|f| f.in_field(name))?
                }
                None => original,
            };
            out.put(name, new)
                .map_err(|e| Fail::from(e).in_field(name))?;
        }
        Ok(SchemaAndValue::new(Some(updated), Value::Struct(out)))
    }

    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let (mut builder, ty) = match &self.spec {
            // A logical type's name does not carry over to another physical type.
            Spec::Whole(ty) if schema.logical().is_some() => {
                let builder = builder_for(*ty);
                let builder = match schema.doc() {
                    Some(doc) => builder.doc(doc),
                    None => builder,
                };
                (builder, *ty)
            }
            Spec::Whole(ty) => (copy_basics(schema, builder_for(*ty)), *ty),
            Spec::Fields(_) => {
                let mut builder = copy_basics(schema, SchemaBuilder::struct_());
                for field in schema.fields() {
                    let Some(ty) = self.target(field.name()) else {
                        builder = builder.field(field.name(), field.schema().clone());
                        continue;
                    };
                    let mut fb = builder_for(ty);
                    if field.schema().is_optional() {
                        fb = fb.optional();
                    }
                    if let Some(default) = field.schema().default_value() {
                        fb = fb.default_value(cast(Some(field.schema()), default, ty)?);
                    }
                    builder = builder.field(field.name(), build_schema(fb)?);
                }
                (builder, Type::Struct)
            }
        };
        if schema.is_optional() {
            builder = builder.optional();
        }
        if let Some(default) = schema.default_value() {
            builder = builder.default_value(cast(Some(schema), default, ty)?);
        }
        build_schema(builder)
    }
}

fn builder_for(ty: Type) -> SchemaBuilder {
    SchemaBuilder::new(ty)
}

/// The Connect type of a schemaless value, as `ConnectSchema.schemaType(value.getClass())`.
fn infer(value: &Value) -> Result<Type, Fail> {
    Ok(match value {
        Value::Int8(_) => Type::Int8,
        Value::Int16(_) => Type::Int16,
        Value::Int32(_) => Type::Int32,
        Value::Int64(_) => Type::Int64,
        Value::Float32(_) => Type::Float32,
        Value::Float64(_) => Type::Float64,
        Value::Boolean(_) => Type::Boolean,
        Value::String(_) => Type::String,
        Value::Bytes(_) => Type::Bytes,
        Value::Array(_) => Type::Array,
        Value::Map(_) => Type::Map,
        Value::Struct(_) => Type::Struct,
        other => {
            return Err(Fail::new(format!(
                "Cast transformation was passed a value of type {} which is not supported by \
                 Connect's data API",
                super::util::java_class(other)
            )));
        }
    })
}

/// `Cast.castValueToType`.
fn cast(schema: Option<&Schema>, value: &Value, target: Type) -> Result<Value, Fail> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.ty(),
        None => infer(value)?,
    };
    if !OUTPUT_TYPES.contains(&inferred) && inferred != Type::Bytes {
        return Err(Fail::new(format!(
            "Cast transformation does not support casting from {inferred}; supported types are \
             [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
        )));
    }
    // Date, Time and Timestamp become their numbers, unless cast to a string.
    let encoded = match value {
        Value::Date(v) | Value::Time(v) if target != Type::String => Value::Int32(*v),
        Value::Timestamp(v) if target != Type::String => Value::Int64(*v),
        _ => Value::Null,
    };
    let value = if encoded.is_null() { value } else { &encoded };
    let unexpected = || {
        Fail::new(format!(
            "Unexpected type in Cast transformation: {}",
            super::util::java_class(value)
        ))
    };
    let out_of_range = |text: &str| {
        Fail::new(format!(
            "Value ({text}) was out of range for requested data type"
        ))
    };
    if target == Type::String {
        if let Some(ms) = java::date_millis(value) {
            return Ok(Value::String(Str::from(java::date_string(ms))));
        }
        return match value {
            Value::Bytes(b) => Ok(Value::String(Str::from(java::base64(b)))),
            Value::String(s) => Ok(Value::String(s.clone())),
            other => java::to_string(other)
                .map(|s| Value::String(Str::from(s)))
                .ok_or_else(unexpected),
        };
    }
    if let Some(n) = Number::of(value) {
        return Ok(match target {
            Type::Int8 => Value::Int8(n.byte_value()),
            Type::Int16 => Value::Int16(n.short_value()),
            Type::Int32 => Value::Int32(n.int_value()),
            Type::Int64 => Value::Int64(n.long_value()),
            Type::Float32 => Value::Float32(n.float_value()),
            Type::Float64 => Value::Float64(n.double_value()),
            Type::Boolean => Value::Boolean(n.long_value() != 0),
            other => return Err(not_supported(other)),
        });
    }
    if let Value::Boolean(b) = value {
        let bit = i64::from(*b);
        return Ok(match target {
            Type::Int8 => Value::Int8(bit as i8),
            Type::Int16 => Value::Int16(bit as i16),
            Type::Int32 => Value::Int32(bit as i32),
            Type::Int64 => Value::Int64(bit),
            Type::Float32 => Value::Float32(bit as f32),
            Type::Float64 => Value::Float64(bit as f64),
            Type::Boolean => Value::Boolean(*b),
            other => return Err(not_supported(other)),
        });
    }
    let Value::String(text) = value else {
        return Err(unexpected());
    };
    let text: &str = text;
    let parsed = match target {
        Type::Int8 => java::parse_integer(text).map(Value::Int8),
        Type::Int16 => java::parse_integer(text).map(Value::Int16),
        Type::Int32 => java::parse_integer(text).map(Value::Int32),
        Type::Int64 => java::parse_integer(text).map(Value::Int64),
        Type::Float32 => java::parse_float(text).map(Value::Float32),
        Type::Float64 => java::parse_double(text).map(Value::Float64),
        Type::Boolean => Some(Value::Boolean(text.eq_ignore_ascii_case("true"))),
        other => return Err(not_supported(other)),
    };
    parsed.ok_or_else(|| out_of_range(text))
}

fn not_supported(ty: Type) -> Fail {
    Fail::new(format!("{ty} is not supported in the Cast transformation."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::Decimal;
    use connect_api::data::logical::{decimal_schema, timestamp_schema};

    const VALUE: &str = "org.apache.kafka.connect.transforms.Cast$Value";

    #[test]
    fn config_errors_name_the_key() {
        assert_eq!(
            config_errors(VALUE, &[("spec", "a:int8,b:bytes")]),
            [(
                "spec".to_owned(),
                "Cast transformation does not support casting to BYTES; supported types are \
                 [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
                    .to_owned()
            )]
        );
        let errors = config_errors(VALUE, &[("spec", "a:foo")]);
        assert!(
            errors[0]
                .1
                .ends_with("Invalid type found in casting spec: foo"),
            "{errors:?}"
        );
        let errors = config_errors(VALUE, &[("spec", "int8,a:int16")]);
        assert!(
            errors[0].1.contains("may only specify a single cast"),
            "{errors:?}"
        );
        let errors = config_errors(VALUE, &[("spec", "")]);
        assert!(
            errors[0]
                .1
                .ends_with("Must specify at least one field to cast.")
        );
        let errors = config_errors(VALUE, &[]);
        assert_eq!(
            errors[0].1,
            "Missing required configuration \"spec\" which has no default value."
        );
    }

    #[test]
    fn casts_struct_fields() {
        // Kafka Connect's CastTest.castFieldsWithSchema, in part.
        let schema = SchemaBuilder::struct_()
            .field("int8", Schema::optional_int8())
            .field("int32", Schema::int32())
            .field("bigint", Schema::int64())
            .field("float", Schema::float32())
            .field("boolean", Schema::boolean())
            .field("string", Schema::string())
            .field("bytes", Schema::bytes())
            .field("timestamp", timestamp_schema().build().unwrap())
            .field("untouched", Schema::string())
            .build()
            .unwrap();
        let value = structure(
            &schema,
            &[
                ("int8", Value::Int8(8)),
                ("int32", Value::Int32(2)),
                ("bigint", Value::Int64(300)),
                ("float", Value::Float32(32.9)),
                ("boolean", Value::Boolean(true)),
                ("string", "-42".into()),
                ("bytes", Value::Bytes(bytes::Bytes::from_static(b"hi"))),
                ("timestamp", Value::Timestamp(86_400_001)),
                ("untouched", "x".into()),
            ],
        );
        let t = transform(
            VALUE,
            &[(
                "spec",
                "int8:int16,int32:boolean,bigint:int8,float:int32,boolean:float64,string:int64,\
                 bytes:string,timestamp:string",
            )],
        );
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value.clone())));
        let s = out.value.value.as_struct().unwrap();
        assert_eq!(s.get("int8"), Some(&Value::Int16(8)));
        assert!(s.schema().field("int8").unwrap().schema().is_optional());
        assert_eq!(s.get("int32"), Some(&Value::Boolean(true)));
        assert_eq!(s.get("bigint"), Some(&Value::Int8(44)));
        assert_eq!(s.get("float"), Some(&Value::Int32(32)));
        assert_eq!(s.get("boolean"), Some(&Value::Float64(1.0)));
        assert_eq!(s.get("string"), Some(&Value::Int64(-42)));
        assert_eq!(s.get("bytes"), Some(&Value::from("aGk=")));
        assert_eq!(
            s.get("timestamp"),
            Some(&Value::from("1970-01-02T00:00:00.001Z"))
        );
        assert_eq!(s.get("untouched"), Some(&Value::from("x")));
        // The derived schema is cached: the same allocation for the next record.
        let again = apply(&*t, value_record(sv(Some(schema), value)));
        assert!(std::sync::Arc::ptr_eq(
            out.value.schema.as_ref().unwrap(),
            again.value.schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn casts_whole_values_and_schemaless_maps() {
        let t = transform("Cast$Key", &[("spec", "int64")]);
        let out = apply(
            &*t,
            record(sv(Some(Schema::int32()), 42), sv(None, Value::Null)),
        );
        assert_eq!(out.key, sv(Some(Schema::int64()), 42i64));
        let out = apply(&*t, record(sv(None, "123"), sv(None, Value::Null)));
        assert_eq!(out.key, sv(None, 123i64));

        let t = transform(VALUE, &[("spec", "a:string,b:float32,missing:int8")]);
        let out = apply(
            &*t,
            value_record(sv(
                None,
                map(&[("a", Value::Int64(5)), ("b", "1.5".into())]),
            )),
        );
        assert_eq!(
            out.value.value,
            map(&[
                ("a", "5".into()),
                ("b", Value::Float32(1.5)),
                ("missing", Value::Null)
            ])
        );
    }

    #[test]
    fn decimals_and_dates_cast_as_numbers() {
        let t = transform(VALUE, &[("spec", "float64")]);
        let schema = decimal_schema(2).build().unwrap();
        let out = apply(
            &*t,
            value_record(sv(Some(schema), Value::Decimal(Decimal::new(1234, 2)))),
        );
        assert_eq!(out.value.value, Value::Float64(12.34));
        let t = transform(VALUE, &[("spec", "int64")]);
        let ts = timestamp_schema().build().unwrap();
        let out = apply(&*t, value_record(sv(Some(ts), Value::Timestamp(77))));
        assert_eq!(out.value.value, Value::Int64(77));
    }

    #[test]
    fn bad_data_is_a_data_error() {
        let t = transform(VALUE, &[("spec", "int8")]);
        let message = data_message(&*t, value_record(sv(Some(Schema::string()), "300")));
        assert_eq!(
            message,
            "Value (300) was out of range for requested data type"
        );
        let message = data_message(
            &*t,
            value_record(sv(None, Value::Array(vec![Value::Int8(1)]))),
        );
        assert!(
            message.contains("does not support casting from ARRAY"),
            "{message}"
        );
        let t = transform(VALUE, &[("spec", "a:int8")]);
        let message = data_message(&*t, value_record(sv(None, "not a map")));
        assert_eq!(
            message,
            "Only Map objects supported in absence of schema for [cast types], found: \
             java.lang.String"
        );
        let message = data_message(
            &*t,
            value_record(sv(None, map(&[("a", Value::Bytes(bytes::Bytes::new()))]))),
        );
        assert_eq!(message, "Unexpected type in Cast transformation: class [B");
    }

    #[test]
    fn null_values_pass_through() {
        let t = transform(VALUE, &[("spec", "a:int8")]);
        let r = value_record(sv(None, Value::Null));
        assert_eq!(apply(&*t, r.clone()), r);
    }
}
