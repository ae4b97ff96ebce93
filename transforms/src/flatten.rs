//! `Flatten`: turns nested Structs (or schemaless maps) into one level, naming each field by the
//! path to it joined with `delimiter` (default `.`). Arrays are kept as they are. A field under an
//! optional struct becomes optional; defaults of parent structs carry down to their fields.
//! Structs with MAP fields are refused, as in Kafka Connect.

use connect_api::data::{
    Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Type, Value,
};

use super::config::PluginConfig;
use super::util::{
    Ctx, Fail, SchemaCache, Side, build_schema, copy_basics, into_map, java_class, map_put,
    require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str = "Flatten a nested data structure, generating names for each field \
by concatenating the field names at each level with a configurable delimiter character. Applies \
to Struct when schema present, or a Map in the case of schemaless data. Array fields and their \
contents are not modified. The default delimiter is '.'.";

const DELIMITER: &str = "delimiter";
const PURPOSE: &str = "flattening";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([ConfigKey::optional(
        DELIMITER,
        ConfigType::String,
        ".",
        "Delimiter to insert between field names from the input record when generating field \
         names for the output record",
    )])
}

#[derive(Debug)]
struct Flatten {
    ctx: Ctx,
    side: Side,
    delimiter: String,
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let t: Box<dyn Transform> = Box::new(Flatten {
        ctx: Ctx { alias: cfg.alias() },
        side,
        delimiter: cfg.string(DELIMITER).unwrap_or_default(),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for Flatten {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        if self.side.get(&record).value.is_null() {
            return Ok(Some(record));
        }
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => {
                    let entries = into_map(data.value, PURPOSE)?;
                    let mut out = Vec::with_capacity(entries.len());
                    self.flatten_map(entries, "", &mut out, 0)?;
                    Ok(SchemaAndValue::new(None, Value::Map(out)))
                }
                Some(schema) => {
                    let value = require_struct(&data.value, PURPOSE)?;
                    let updated = self
                        .schemas
                        .get_or_try_insert(&schema, || self.derive(&schema))?;
                    let mut values = Vec::with_capacity(updated.fields().len());
                    self.flatten_struct(&schema, Some(value), &mut values, 0)?;
                    if values.len() != updated.fields().len() {
                        return Err(Fail::new(
                            "flattened values do not match the flattened schema",
                        ));
                    }
                    let mut out = Struct::new(updated.clone())?;
                    for (field, v) in updated.fields().iter().zip(values) {
                        // Fields start out null; like Kafka Connect, nulls are not written.
                        if !v.is_null() {
                            out.put(field.name(), v)
                                .map_err(|e| Fail::from(e).in_field(field.name()))?;
                        }
                    }
                    Ok(SchemaAndValue::new(Some(updated), Value::Struct(out)))
                }
            })
    }
}

fn too_deep() -> Fail {
    Fail::new(format!(
        "Flatten transformation does not support nesting deeper than {} levels",
        connect_api::data::MAX_DEPTH
    ))
}

impl Flatten {
    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn flatten_map(
        &self,
        entries: Vec<(Value, Value)>,
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
        depth: usize,
    ) -> Result<(), Fail> {
        if depth > connect_api::data::MAX_DEPTH {
            return Err(too_deep());
        }
        for (key, value) in entries {
            let Value::String(key) = key else {
                return Err(Fail::new(format!(
                    "Flatten transformation needs string keys in maps, found a {}",
                    key.kind_name()
                )));
            };
            let name = self.name(prefix, &key);
            match value {
                Value::Map(nested) => self.flatten_map(nested, &name, out, depth + 1)?,
                Value::Struct(_) => {
                    return Err(Fail::at(
                        &name,
                        format!(
                            "Flatten transformation does not support class \
                             org.apache.kafka.connect.data.Struct for record without schemas \
                             (for field {name})."
                        ),
                    ));
                }
                Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
                    return Err(Fail::at(
                        &name,
                        format!(
                            "Flatten transformation was passed a value of type {} which is not \
                             supported by Connect's data API",
                            java_class(&value)
                        ),
                    ));
                }
                other => map_put(out, &Str::from(name), other),
            }
        }
        Ok(())
    }

    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let mut builder = copy_basics(schema, SchemaBuilder::struct_());
        let default = schema.default_value().and_then(Value::as_struct);
        builder = self.derive_fields(schema, "", builder, schema.is_optional(), default, 0)?;
        build_schema(builder)
    }

    fn derive_fields(
        &self,
        schema: &Schema,
        prefix: &str,
        mut builder: SchemaBuilder,
        optional: bool,
        parent_default: Option<&Struct>,
        depth: usize,
    ) -> Result<SchemaBuilder, Fail> {
        if depth > connect_api::data::MAX_DEPTH {
            return Err(too_deep());
        }
        for field in schema.fields() {
            let name = self.name(prefix, field.name());
            let fs = field.schema();
            let field_optional = optional || fs.is_optional();
            let default = fs
                .default_value()
                .or_else(|| parent_default.and_then(|d| d.get(field.name())))
                .filter(|d| !d.is_null());
            match fs.ty() {
                Type::Struct => {
                    let nested = default.and_then(Value::as_struct);
                    builder =
                        self.derive_fields(fs, &name, builder, field_optional, nested, depth + 1)?;
                }
                Type::Map => {
                    return Err(Fail::at(
                        &name,
                        format!(
                            "Flatten transformation does not support MAP for record with \
                             schemas (for field {name})."
                        ),
                    ));
                }
                _ => {
                    let mut fb = match (fs.ty(), fs.value_schema()) {
                        (Type::Array, Some(items)) => SchemaBuilder::array(items.clone()),
                        (ty, _) => SchemaBuilder::new(ty),
                    };
                    fb = copy_basics(fs, fb);
                    if field_optional {
                        fb = fb.optional();
                    }
                    if let Some(d) = default {
                        fb = fb.default_value(d.clone());
                    }
                    builder = builder.field(name, build_schema(fb)?);
                }
            }
        }
        Ok(builder)
    }

    /// The leaf values of a struct, in the order of the flattened schema's fields; the leaves
    /// under a null struct are null.
    ///
    /// As in Kafka Connect, a null leaf reads its field's default (`Struct.get(Field)`), but a
    /// null struct does not (`Struct.getStruct` returns the raw value): its leaves stay null, so
    /// they read the flattened fields' defaults, where a leaf's own default comes before the one
    /// its parent's default gives it.
    fn flatten_struct(
        &self,
        schema: &Schema,
        value: Option<&Struct>,
        out: &mut Vec<Value>,
        depth: usize,
    ) -> Result<(), Fail> {
        if depth > connect_api::data::MAX_DEPTH {
            return Err(too_deep());
        }
        let schema = value.map_or(schema, |s| &**s.schema());
        let values = value.map(Struct::values);
        for (i, field) in schema.fields().iter().enumerate() {
            let raw = values.and_then(|v| v.get(i));
            if field.schema().ty() == Type::Struct {
                let nested = raw.and_then(Value::as_struct);
                self.flatten_struct(field.schema(), nested, out, depth + 1)?;
            } else {
                out.push(raw.map_or(Value::Null, |raw| {
                    super::util::field_value(field, raw, true)
                }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const VALUE: &str = "org.apache.kafka.connect.transforms.Flatten$Value";

    #[test]
    fn nested_structs() {
        // Kafka Connect's FlattenTest.testNestedStruct.
        let leaf = SchemaBuilder::struct_()
            .field("int8", Schema::int8())
            .field("string", Schema::string())
            .field("bytes", Schema::bytes())
            .build()
            .unwrap();
        let two = SchemaBuilder::struct_()
            .field("B", leaf.clone())
            .build()
            .unwrap();
        let one = SchemaBuilder::struct_()
            .field("A", two.clone())
            .build()
            .unwrap();
        let leaf_value = structure(
            &leaf,
            &[
                ("int8", Value::Int8(8)),
                ("string", "stringy".into()),
                ("bytes", Value::Bytes(bytes::Bytes::from_static(b"bytes"))),
            ],
        );
        let value = structure(&one, &[("A", structure(&two, &[("B", leaf_value)]))]);
        let t = transform(VALUE, &[]);
        let out = apply(&*t, value_record(sv(Some(one), value)));
        let s = out.value.value.as_struct().unwrap();
        let names: Vec<&str> = s.schema().fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["A.B.int8", "A.B.string", "A.B.bytes"]);
        assert_eq!(s.get("A.B.int8"), Some(&Value::Int8(8)));
        assert_eq!(s.get("A.B.string"), Some(&Value::from("stringy")));
    }

    #[test]
    fn optional_parents_make_optional_fields() {
        let inner = SchemaBuilder::struct_()
            .optional()
            .field("x", Schema::int32())
            .build()
            .unwrap();
        let outer = SchemaBuilder::struct_()
            .field("inner", inner)
            .field("y", Schema::string())
            .build()
            .unwrap();
        let value = structure(&outer, &[("y", "why".into())]);
        let t = transform(VALUE, &[("delimiter", "_")]);
        let out = apply(&*t, value_record(sv(Some(outer), value)));
        let s = out.value.value.as_struct().unwrap();
        assert!(s.schema().field("inner_x").unwrap().schema().is_optional());
        assert_eq!(s.get("inner_x"), Some(&Value::Null));
        assert_eq!(s.get("y"), Some(&Value::from("why")));
    }

    #[test]
    fn nested_maps() {
        // Kafka Connect's FlattenTest.testNestedMapWithDelimiter.
        let t = transform(VALUE, &[("delimiter", "#")]);
        let input = map(&[(
            "A",
            map(&[(
                "B",
                map(&[("int8", Value::Int8(8)), ("array", Value::Array(vec![]))]),
            )]),
        )]);
        let out = apply(&*t, value_record(sv(None, input)));
        assert_eq!(
            out.value.value,
            map(&[
                ("A#B#int8", Value::Int8(8)),
                ("A#B#array", Value::Array(vec![]))
            ])
        );
    }

    #[test]
    fn unsupported_shapes_are_data_errors() {
        let t = transform(VALUE, &[]);
        let schema = SchemaBuilder::struct_()
            .field(
                "m",
                SchemaBuilder::map(Schema::string(), Schema::string())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let value = structure(&schema, &[("m", Value::Map(vec![]))]);
        assert_eq!(
            data_message(&*t, value_record(sv(Some(schema), value))),
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );
        assert!(
            data_message(&*t, value_record(sv(None, Value::Int32(1))))
                .contains("Only Map objects supported")
        );
    }

    #[test]
    fn null_struct_leaves_read_the_flattened_defaults() {
        // inner: optional, default {x: 5, y: "dy"}; x has its own default 1. Kafka Connect's
        // getStruct does not read inner's default, so inner.x reads the flattened field's
        // default: x's own (1), not the 5 of inner's default; inner.y has only inner's "dy".
        let x = SchemaBuilder::int32()
            .optional()
            .default_value(1)
            .build()
            .unwrap();
        let plain = SchemaBuilder::struct_()
            .optional()
            .field("x", x.clone())
            .field("y", Schema::optional_string())
            .build()
            .unwrap();
        let default = structure(&plain, &[("x", Value::Int32(5)), ("y", "dy".into())]);
        let inner = SchemaBuilder::struct_()
            .optional()
            .default_value(default)
            .field("x", x)
            .field("y", Schema::optional_string())
            .build()
            .unwrap();
        let outer = SchemaBuilder::struct_()
            .field("inner", inner)
            .field("z", Schema::optional_int32())
            .build()
            .unwrap();
        let t = transform(VALUE, &[]);
        let out = apply(
            &*t,
            value_record(sv(Some(outer.clone()), structure(&outer, &[]))),
        );
        let s = out.value.value.as_struct().unwrap();
        let field = |name: &str| s.schema().field(name).unwrap().schema().clone();
        assert_eq!(field("inner.x").default_value(), Some(&Value::Int32(1)));
        assert_eq!(field("inner.y").default_value(), Some(&Value::from("dy")));
        assert_eq!(s.values(), [Value::Null, Value::Null, Value::Null]);
        // A null leaf of a present struct reads its own default.
        let present = structure(
            outer.field("inner").unwrap().schema(),
            &[("y", "iy".into())],
        );
        let value = structure(&outer, &[("inner", present)]);
        let out = apply(&*t, value_record(sv(Some(outer), value)));
        let s = out.value.value.as_struct().unwrap();
        assert_eq!(
            s.values(),
            [Value::Int32(1), Value::from("iy"), Value::Null]
        );
    }
}
