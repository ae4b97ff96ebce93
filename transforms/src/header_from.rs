//! `HeaderFrom`: copies or moves top-level fields of the key or value into headers
//! (`fields=a,b`, `headers=h_a,h_b`, `operation=copy|move`). A header takes the field's schema
//! (none for schemaless data); headers are appended after the record's own.

use std::sync::Arc;

use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};

use super::config::PluginConfig;
use super::util::{
    Ctx, Fail, SchemaCache, Side, build_schema, copy_basics, field_value, into_map, map_get,
    map_remove, require_struct,
};
use super::{ConnectHeader, ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Validator};

pub(crate) const DOC: &str = "Moves or copies fields in the key/value of a record into that \
record's headers. Corresponding elements of fields and headers together identify a field and the \
header it should be moved or copied to.";

const FIELDS: &str = "fields";
const HEADERS: &str = "headers";
const OPERATION: &str = "operation";
const REPLACE_NULL: &str = "replace.null.with.default";

fn check_operation(raw: &str) -> Result<(), String> {
    match raw {
        "move" | "copy" => Ok(()),
        _ => Err("String must be one of: move, copy".to_owned()),
    }
}

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(
            FIELDS,
            ConfigType::List,
            "Field names in the record whose values are to be copied or moved to headers.",
        ),
        ConfigKey::required(
            HEADERS,
            ConfigType::List,
            "Header names, in the same order as the field names listed in the fields \
             configuration property.",
        ),
        ConfigKey::required(
            OPERATION,
            ConfigType::String,
            "Either move if the fields are to be moved to the headers (removed from the \
             key/value), or copy if the fields are to be copied to the headers (retained in the \
             key/value).",
        )
        .validate(Validator::Custom(check_operation)),
        ConfigKey::optional(
            REPLACE_NULL,
            ConfigType::Boolean,
            "true",
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        ),
    ])
}

#[derive(Debug)]
struct HeaderFrom {
    ctx: Ctx,
    side: Side,
    /// (field, header) pairs.
    pairs: Vec<(String, Arc<str>)>,
    moving: bool,
    replace_null: bool,
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    cfg.check_non_empty_list(FIELDS);
    cfg.check_non_empty_list(HEADERS);
    let fields = cfg.list(FIELDS);
    let headers = cfg.list(HEADERS);
    if fields.len() != headers.len() && !cfg.failed(FIELDS) && !cfg.failed(HEADERS) {
        cfg.fail(
            HEADERS,
            "'fields' config must have the same number of elements as 'headers' config.",
        );
    }
    let t: Box<dyn Transform> = Box::new(HeaderFrom {
        ctx: Ctx { alias: cfg.alias() },
        side,
        pairs: fields
            .into_iter()
            .zip(headers.into_iter().map(Arc::from))
            .collect(),
        moving: cfg.raw(OPERATION) == Some("move"),
        replace_null: cfg.boolean(REPLACE_NULL),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for HeaderFrom {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let data = self.side.take(&mut record);
        let result = match data.schema {
            None => self.schemaless(data.value, &mut record.headers),
            Some(schema) => self.with_schema(schema, data.value, &mut record.headers),
        };
        match result {
            Ok(data) => {
                self.side.put(&mut record, data);
                Ok(Some(record))
            }
            Err(fail) => Err(self.ctx.error(&record.topic, fail)),
        }
    }
}

impl HeaderFrom {
    fn purpose(&self) -> &'static str {
        if self.moving {
            "header move"
        } else {
            "header copy"
        }
    }

    fn schemaless(
        &self,
        value: Value,
        headers: &mut Vec<ConnectHeader>,
    ) -> Result<SchemaAndValue, Fail> {
        let mut entries = into_map(value, self.purpose())?;
        let mut added = Vec::with_capacity(self.pairs.len());
        for (field, header) in &self.pairs {
            let v = map_get(&entries, field).cloned().unwrap_or(Value::Null);
            added.push(ConnectHeader::new(
                header.clone(),
                SchemaAndValue::new(None, v),
            ));
        }
        if self.moving {
            for (field, _) in &self.pairs {
                map_remove(&mut entries, field);
            }
        }
        headers.extend(added);
        Ok(SchemaAndValue::new(None, Value::Map(entries)))
    }

    fn with_schema(
        &self,
        schema: SchemaRef,
        value: Value,
        headers: &mut Vec<ConnectHeader>,
    ) -> Result<SchemaAndValue, Fail> {
        let (added, moved) = {
            let s = require_struct(&value, self.purpose())?;
            let mut added = Vec::with_capacity(self.pairs.len());
            for (field, header) in &self.pairs {
                let field_schema = schema
                    .field(field)
                    .ok_or_else(|| Fail::at(field, format!("Field does not exist: {field}")))?;
                let v = match (s.schema().field(field), s.get_without_default(field)) {
                    (Some(f), Some(raw)) => field_value(f, raw, self.replace_null),
                    _ => Value::Null,
                };
                added.push(ConnectHeader::new(
                    header.clone(),
                    SchemaAndValue::new(Some(field_schema.schema().clone()), v),
                ));
            }
            let moved = if self.moving {
                let updated = self
                    .schemas
                    .get_or_try_insert(&schema, || self.derive(&schema))?;
                let mut out = Struct::new(updated.clone())?;
                for (field, raw) in s.iter() {
                    if updated.field(field.name()).is_some() {
                        out.put(field.name(), field_value(field, raw, self.replace_null))
                            .map_err(|e| Fail::from(e).in_field(field.name()))?;
                    }
                }
                Some(SchemaAndValue::new(Some(updated), Value::Struct(out)))
            } else {
                None
            };
            (added, moved)
        };
        headers.extend(added);
        Ok(moved.unwrap_or_else(|| SchemaAndValue::new(Some(schema), value)))
    }

    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let mut builder = copy_basics(schema, SchemaBuilder::struct_());
        for field in schema.fields() {
            if !self.pairs.iter().any(|(f, _)| f == field.name()) {
                builder = builder.field(field.name(), field.schema().clone());
            }
        }
        build_schema(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const VALUE: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Value";

    #[test]
    fn moves_and_copies() {
        let schema = SchemaBuilder::struct_()
            .field("foo", Schema::string())
            .field("bar", Schema::int32())
            .build()
            .unwrap();
        let value = structure(&schema, &[("foo", "f".into()), ("bar", Value::Int32(1))]);
        let t = transform(
            VALUE,
            &[("fields", "foo"), ("headers", "h"), ("operation", "move")],
        );
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value.clone())));
        let s = out.value.value.as_struct().unwrap();
        assert_eq!(s.schema().fields().len(), 1);
        assert_eq!(s.get("bar"), Some(&Value::Int32(1)));
        assert_eq!(
            out.headers,
            [ConnectHeader::new("h", sv(Some(Schema::string()), "f"))]
        );

        let t = transform(
            VALUE,
            &[
                ("fields", "foo,bar"),
                ("headers", "a,b"),
                ("operation", "copy"),
            ],
        );
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value.clone())));
        assert_eq!(out.value.value, value);
        assert_eq!(out.headers.len(), 2);

        let out = apply(
            &*t,
            value_record(sv(
                None,
                map(&[("foo", "f".into()), ("bar", Value::Int64(1))]),
            )),
        );
        assert_eq!(
            out.headers,
            [
                ConnectHeader::new("a", sv(None, "f")),
                ConnectHeader::new("b", sv(None, 1i64))
            ]
        );
    }

    #[test]
    fn errors() {
        let errors = config_errors(
            VALUE,
            &[("fields", "a,b"), ("headers", "x"), ("operation", "move")],
        );
        assert_eq!(
            errors,
            [(
                "headers".to_owned(),
                "'fields' config must have the same number of elements as 'headers' config."
                    .to_owned()
            )]
        );
        let errors = config_errors(
            VALUE,
            &[("fields", "a"), ("headers", "x"), ("operation", "MOVE")],
        );
        assert_eq!(
            errors[0].1,
            "Invalid value MOVE for configuration operation: String must be one of: move, copy"
        );
        let t = transform(
            VALUE,
            &[("fields", "a"), ("headers", "x"), ("operation", "copy")],
        );
        assert_eq!(
            data_message(&*t, value_record(sv(None, Value::Null))),
            "Only Map objects supported in absence of schema for [header copy], found: null"
        );
    }
}
