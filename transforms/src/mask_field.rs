//! `MaskField`: replaces fields with the "empty" value of their type (0, false, "", empty list or
//! map, the epoch for dates) or with `replacement` converted to the field's type (numbers and
//! strings only).
//!
//! Like Kafka Connect, a null key or value is an error, and a field missing from a schemaless map
//! is added as null. Difference: a Decimal field masks to zero at the scale of its schema, and a
//! replacement is brought to that scale (Kafka Connect masks to `BigDecimal.ZERO`, which its own
//! converters then refuse for any scale but 0).

use std::collections::HashSet;

use connect_api::data::logical::Logical;
use connect_api::data::{Decimal, Schema, SchemaAndValue, Str, Value};

use super::config::PluginConfig;
use super::java::{self, Number};
use super::util::{
    Ctx, Fail, Side, field_value, into_map, java_class, map_get, map_put, require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub(crate) const DOC: &str = "Mask specified fields with a valid null value for the field type \
(i.e. 0, false, empty string, and so on). For numeric and string fields, an optional replacement \
value can be specified that is converted to the correct type.";

const FIELDS: &str = "fields";
const REPLACEMENT: &str = "replacement";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "mask fields";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(FIELDS, ConfigType::List, "Names of fields to mask."),
        ConfigKey::optional(
            REPLACEMENT,
            ConfigType::String,
            "",
            "Custom value replacement, that will be applied to all 'fields' values (numeric or \
             non-empty string values only).",
        )
        .importance(Importance::Low)
        .validate(Validator::NonEmpty),
        ConfigKey::optional(
            REPLACE_NULL,
            ConfigType::Boolean,
            "true",
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        ),
    ])
}

/// The replacement, converted ahead of time to each kind of field it may land in.
#[derive(Debug)]
struct Replacement {
    text: Str,
    long: Option<i64>,
    double: Option<f64>,
    decimal: Option<Decimal>,
}

#[derive(Debug)]
struct MaskField {
    ctx: Ctx,
    side: Side,
    fields: HashSet<Str>,
    replacement: Option<Replacement>,
    replace_null: bool,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    cfg.check_valid_list(FIELDS, false);
    let replacement = cfg.nullable(REPLACEMENT).map(|text| {
        let decimal = java::parse_big_decimal(&text);
        Replacement {
            long: decimal.as_ref().map(|d| Number::Decimal(d).long_value()),
            double: decimal.as_ref().map(|d| Number::Decimal(d).double_value()),
            decimal,
            text: Str::from(text),
        }
    });
    let t: Box<dyn Transform> = Box::new(MaskField {
        ctx: Ctx { alias: cfg.alias() },
        side,
        fields: cfg.list(FIELDS).into_iter().map(Str::from).collect(),
        replacement,
        replace_null: cfg.boolean(REPLACE_NULL),
    });
    cfg.done(t)
}

impl Transform for MaskField {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => {
                    let mut entries = into_map(data.value, PURPOSE)?;
                    for field in &self.fields {
                        let current = map_get(&entries, field).unwrap_or(&Value::Null);
                        let masked = self.masked(current, None).map_err(|f| f.in_field(field))?;
                        map_put(&mut entries, field, masked);
                    }
                    Ok(SchemaAndValue::new(None, Value::Map(entries)))
                }
                Some(schema) => {
                    let mut value = data.value;
                    self.mask_struct(&mut value)?;
                    Ok(SchemaAndValue::new(Some(schema), value))
                }
            })
    }
}

impl MaskField {
    /// Masks in place: the struct keeps its schema, so only the fields that change are written.
    /// Null fields with a default get the default, as Kafka Connect's copy does.
    fn mask_struct(&self, value: &mut Value) -> Result<(), Fail> {
        let mut updates = Vec::new();
        let own_schema = {
            let s = require_struct(value, PURPOSE)?;
            for (field, raw) in s.iter() {
                let name = field.name();
                if self.fields.contains(name) {
                    let original = field_value(field, raw, self.replace_null);
                    let masked = self
                        .masked(&original, Some(field.schema()))
                        .map_err(|f| f.in_field(name))?;
                    updates.push((field.index(), masked));
                } else if raw.is_null()
                    && self.replace_null
                    && let Some(default) = field.schema().default_value()
                {
                    updates.push((field.index(), default.clone()));
                }
            }
            s.schema().clone()
        };
        if let Value::Struct(s) = value {
            for (index, v) in updates {
                if let Some(field) = own_schema.fields().get(index) {
                    s.put(field.name(), v)
                        .map_err(|e| Fail::from(e).in_field(field.name()))?;
                }
            }
        }
        Ok(())
    }
}

fn scale_of(schema: Option<&Schema>) -> i32 {
    match schema.and_then(Schema::logical) {
        Some(Logical::Decimal { scale }) => scale,
        _ => 0,
    }
}

/// `value` at `scale`, if that loses nothing.
fn rescale(value: &Decimal, scale: i32) -> Option<Decimal> {
    let diff = i64::from(scale) - i64::from(value.scale());
    let factor = num_bigint::BigInt::from(10u32).pow(u32::try_from(diff.abs()).ok()?);
    if diff >= 0 {
        Some(Decimal::new(value.unscaled() * factor, scale))
    } else if (value.unscaled() % &factor) == num_bigint::BigInt::from(0) {
        Some(Decimal::new(value.unscaled() / factor, scale))
    } else {
        None
    }
}

impl MaskField {
    fn masked(&self, value: &Value, schema: Option<&Schema>) -> Result<Value, Fail> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        match &self.replacement {
            None => Self::empty(value, schema),
            Some(r) => Self::replaced(value, r, schema),
        }
    }

    fn empty(value: &Value, schema: Option<&Schema>) -> Result<Value, Fail> {
        Ok(match value {
            Value::Boolean(_) => Value::Boolean(false),
            Value::Int8(_) => Value::Int8(0),
            Value::Int16(_) => Value::Int16(0),
            Value::Int32(_) => Value::Int32(0),
            Value::Int64(_) => Value::Int64(0),
            Value::Float32(_) => Value::Float32(0.0),
            Value::Float64(_) => Value::Float64(0.0),
            Value::Decimal(_) => Value::Decimal(Decimal::new(0, scale_of(schema))),
            Value::Date(_) => Value::Date(0),
            Value::Time(_) => Value::Time(0),
            Value::Timestamp(_) => Value::Timestamp(0),
            Value::String(_) => Value::String(Str::new()),
            Value::Array(_) => Value::Array(Vec::new()),
            Value::Map(_) => Value::Map(Vec::new()),
            other => {
                return Err(Fail::new(format!(
                    "Cannot mask value of type: {}",
                    java_class(other)
                )));
            }
        })
    }

    fn replaced(value: &Value, r: &Replacement, schema: Option<&Schema>) -> Result<Value, Fail> {
        let not_a_number = || {
            Fail::new(format!(
                "Unable to convert {} (class java.lang.String) to a number",
                r.text
            ))
        };
        let long = || r.long.ok_or_else(not_a_number);
        let double = || r.double.ok_or_else(not_a_number);
        Ok(match value {
            Value::Int8(_) => Value::Int8(long()? as i8),
            Value::Int16(_) => Value::Int16(long()? as i16),
            Value::Int32(_) => Value::Int32(long()? as i32),
            Value::Int64(_) => Value::Int64(long()?),
            Value::Float32(_) => Value::Float32(double()? as f32),
            Value::Float64(_) => Value::Float64(double()?),
            Value::String(_) => Value::String(r.text.clone()),
            Value::Decimal(_) => {
                let d = r.decimal.as_ref().ok_or_else(|| {
                    Fail::new(format!(
                        "Unable to convert {} (class java.lang.String) to number",
                        r.text
                    ))
                })?;
                let d = match schema {
                    Some(_) => rescale(d, scale_of(schema)).ok_or_else(|| {
                        Fail::new(format!(
                            "Replacement {} does not fit the Decimal's scale {}",
                            r.text,
                            scale_of(schema)
                        ))
                    })?,
                    None => d.clone(),
                };
                Value::Decimal(d)
            }
            other => {
                return Err(Fail::new(format!(
                    "Cannot mask value of type {} with custom replacement.",
                    java_class(other)
                )));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::logical::{date_schema, decimal_schema};
    use connect_api::data::{SchemaBuilder, SchemaRef};

    const VALUE: &str = "org.apache.kafka.connect.transforms.MaskField$Value";

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("magic", Schema::int32())
            .field("bool", Schema::boolean())
            .field("long", Schema::int64())
            .field("float", Schema::float32())
            .field("string", Schema::string())
            .field("date", date_schema().build().unwrap())
            .field("decimal", decimal_schema(2).build().unwrap())
            .field(
                "array",
                SchemaBuilder::array(Schema::int32()).build().unwrap(),
            )
            .field(
                "map",
                SchemaBuilder::map(Schema::string(), Schema::string())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn value(schema: &SchemaRef) -> Value {
        structure(
            schema,
            &[
                ("magic", Value::Int32(42)),
                ("bool", Value::Boolean(true)),
                ("long", Value::Int64(42)),
                ("float", Value::Float32(42.5)),
                ("string", "blabla".into()),
                ("date", Value::Date(17_000)),
                ("decimal", Value::Decimal(Decimal::new(4250, 2))),
                ("array", Value::Array(vec![Value::Int32(1)])),
                ("map", Value::Map(vec![("a".into(), "b".into())])),
            ],
        )
    }

    #[test]
    fn masks_with_empty_values() {
        // Kafka Connect's MaskFieldTest.withSchema.
        let schema = schema();
        let t = transform(
            VALUE,
            &[(
                "fields",
                "magic,bool,long,float,string,date,decimal,array,map",
            )],
        );
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value(&schema))));
        assert!(std::sync::Arc::ptr_eq(
            out.value.schema.as_ref().unwrap(),
            &schema
        ));
        let expected = structure(
            &schema,
            &[
                ("magic", Value::Int32(0)),
                ("bool", Value::Boolean(false)),
                ("long", Value::Int64(0)),
                ("float", Value::Float32(0.0)),
                ("string", "".into()),
                ("date", Value::Date(0)),
                ("decimal", Value::Decimal(Decimal::new(0, 2))),
                ("array", Value::Array(vec![])),
                ("map", Value::Map(vec![])),
            ],
        );
        assert_eq!(out.value.value, expected);
    }

    #[test]
    fn masks_with_replacements() {
        let t = transform(
            VALUE,
            &[
                ("fields", "magic,string,float,missing"),
                ("replacement", "123"),
            ],
        );
        let out = apply(
            &*t,
            value_record(sv(
                None,
                map(&[
                    ("magic", Value::Int64(42)),
                    ("string", "secret".into()),
                    ("float", Value::Float64(1.5)),
                ]),
            )),
        );
        assert_eq!(
            out.value.value,
            map(&[
                ("magic", Value::Int64(123)),
                ("string", "123".into()),
                ("float", Value::Float64(123.0)),
                ("missing", Value::Null),
            ])
        );
        let t = transform(VALUE, &[("fields", "magic,bool"), ("replacement", "abc")]);
        let schema = schema();
        assert_eq!(
            data_message(&*t, value_record(sv(Some(schema.clone()), value(&schema)))),
            "Unable to convert abc (class java.lang.String) to a number"
        );
        let t = transform(VALUE, &[("fields", "bool"), ("replacement", "1")]);
        assert_eq!(
            data_message(&*t, value_record(sv(Some(schema.clone()), value(&schema)))),
            "Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
    }

    #[test]
    fn errors() {
        let errors = config_errors(VALUE, &[("fields", "a"), ("replacement", "")]);
        assert_eq!(errors[0].0, "replacement");
        assert_eq!(config_errors(VALUE, &[("fields", " , ")])[0].0, "fields");
        let t = transform(VALUE, &[("fields", "a")]);
        assert_eq!(
            data_message(&*t, value_record(sv(None, Value::Null))),
            "Only Map objects supported in absence of schema for [mask fields], found: null"
        );
        assert_eq!(
            data_message(
                &*t,
                value_record(sv(None, map(&[("a", Value::Bytes(bytes::Bytes::new()))])))
            ),
            "Cannot mask value of type: class [B"
        );
    }
}
