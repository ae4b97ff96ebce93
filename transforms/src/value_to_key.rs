//! `ValueToKey`: replaces the key with a Struct (or schemaless map) of the given value fields.
//! A null value is an error, as in Kafka Connect.

use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Value};

use super::config::PluginConfig;
use super::util::{
    Ctx, Fail, SchemaCache, build_schema, field_value, map_get, require_map, require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str =
    "Replace the record key with a new key formed from a subset of fields in the record value.";

const FIELDS: &str = "fields";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "copying fields from value to key";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(
            FIELDS,
            ConfigType::List,
            "Field names on the record value to extract as the record key.",
        ),
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
struct ValueToKey {
    ctx: Ctx,
    fields: Vec<Str>,
    replace_null: bool,
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Transform>> {
    cfg.check_valid_list(FIELDS, false);
    let t: Box<dyn Transform> = Box::new(ValueToKey {
        ctx: Ctx { alias: cfg.alias() },
        fields: cfg.list(FIELDS).into_iter().map(Str::from).collect(),
        replace_null: cfg.boolean(REPLACE_NULL),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for ValueToKey {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let key = match &record.value.schema {
            None => self.schemaless(&record.value.value),
            Some(_) => self.with_schema(&record.value.value),
        };
        record.key = key.map_err(|fail| self.ctx.error(&record.topic, fail))?;
        Ok(Some(record))
    }
}

impl ValueToKey {
    fn schemaless(&self, value: &Value) -> Result<SchemaAndValue, Fail> {
        let entries = require_map(value, PURPOSE)?;
        let mut key: Vec<(Value, Value)> = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let v = map_get(entries, field).cloned().unwrap_or(Value::Null);
            super::util::map_put(&mut key, field, v);
        }
        Ok(SchemaAndValue::new(None, Value::Map(key)))
    }

    fn with_schema(&self, value: &Value) -> Result<SchemaAndValue, Fail> {
        let value = require_struct(value, PURPOSE)?;
        let schema = self
            .schemas
            .get_or_try_insert(value.schema(), || self.derive(value.schema()))?;
        let mut key = Struct::new(schema.clone())?;
        for name in &self.fields {
            let (Some(field), Some(raw)) =
                (value.schema().field(name), value.get_without_default(name))
            else {
                return Err(Fail::at(name, format!("Field does not exist: {name}")));
            };
            key.put(name, field_value(field, raw, self.replace_null))
                .map_err(|e| Fail::from(e).in_field(name))?;
        }
        Ok(SchemaAndValue::new(Some(schema), Value::Struct(key)))
    }

    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let mut builder = SchemaBuilder::struct_();
        for name in &self.fields {
            let field = schema
                .field(name)
                .ok_or_else(|| Fail::at(name, format!("Field does not exist: {name}")))?;
            builder = builder.field(name.as_str(), field.schema().clone());
        }
        build_schema(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn schemaless() {
        // Kafka Connect's ValueToKeyTest.schemaless.
        let t = transform("ValueToKey", &[("fields", "a,b")]);
        let value = map(&[
            ("a", Value::Int32(1)),
            ("b", Value::Int32(2)),
            ("c", Value::Int32(3)),
        ]);
        let out = apply(&*t, value_record(sv(None, value.clone())));
        assert_eq!(
            out.key,
            sv(None, map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]))
        );
        assert_eq!(out.value, sv(None, value));
    }

    #[test]
    fn with_schema() {
        let t = transform("ValueToKey", &[("fields", "a,b")]);
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::int32())
            .field("c", Schema::int32())
            .build()
            .unwrap();
        let value = structure(
            &schema,
            &[
                ("a", Value::Int32(1)),
                ("b", Value::Int32(2)),
                ("c", Value::Int32(3)),
            ],
        );
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value)));
        let key = out.key.value.as_struct().unwrap();
        assert_eq!(key.schema().fields().len(), 2);
        assert_eq!(key.get("b"), Some(&Value::Int32(2)));
        let t = transform("ValueToKey", &[("fields", "not_exist")]);
        let value = structure(
            &schema,
            &[
                ("a", Value::Int32(1)),
                ("b", Value::Int32(2)),
                ("c", Value::Int32(3)),
            ],
        );
        assert_eq!(
            data_message(&*t, value_record(sv(Some(schema), value))),
            "Field does not exist: not_exist"
        );
    }
}
