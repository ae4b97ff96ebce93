//! `SetSchemaMetadata`: sets the name and/or version of the key or value schema. A Struct value
//! is rebuilt on the renamed schema.
//!
//! Differences: any schema can be renamed (Kafka Connect 4.3 fails on every schema but a struct's,
//! asking a primitive schema for its fields); renaming a struct schema that has a struct default value is refused as bad data
//! (the default's own schema would no longer match; Kafka Connect keeps such a schema unchecked).

use connect_api::data::{Schema, SchemaAndValue, SchemaRef, Struct, Value};

use super::config::PluginConfig;
use super::util::{Ctx, Fail, SchemaCache, Side, build_schema, field_value};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};

pub(crate) const DOC: &str =
    "Set the schema name, version or both on the record's key or value schema.";

const NAME: &str = "schema.name";
const VERSION: &str = "schema.version";
const REPLACE_NULL: &str = "replace.null.with.default";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(NAME, ConfigType::String, "", "Schema name to set.")
            .importance(Importance::High),
        ConfigKey::optional(VERSION, ConfigType::Int, "", "Schema version to set.")
            .importance(Importance::High),
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
struct SetSchemaMetadata {
    ctx: Ctx,
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null: bool,
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let name = cfg.nullable(NAME);
    let version = if cfg.is_set(VERSION) {
        cfg.int(VERSION)
    } else {
        None
    };
    if name.is_none() && !cfg.is_set(VERSION) {
        cfg.fail("type", "Neither schema name nor version configured");
    }
    let t: Box<dyn Transform> = Box::new(SetSchemaMetadata {
        ctx: Ctx { alias: cfg.alias() },
        side,
        name,
        version,
        replace_null: cfg.boolean(REPLACE_NULL),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for SetSchemaMetadata {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let data = self.side.get(&record);
        if data.value.is_null() && data.schema.is_none() {
            return Ok(Some(record));
        }
        self.ctx.apply_side(self.side, record, |data| {
            let schema = data
                .schema
                .ok_or_else(|| Fail::new("Schema required for [updating schema metadata]"))?;
            let updated = self
                .schemas
                .get_or_try_insert(&schema, || self.derive(&schema))?;
            let value = match data.value {
                Value::Struct(s) => {
                    let mut out = Struct::new(updated.clone())?;
                    for (field, raw) in s.iter() {
                        out.put(field.name(), field_value(field, raw, self.replace_null))
                            .map_err(|e| Fail::from(e).in_field(field.name()))?;
                    }
                    Value::Struct(out)
                }
                other => other,
            };
            Ok(SchemaAndValue::new(Some(updated), value))
        })
    }
}

impl SetSchemaMetadata {
    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let mut builder = schema.to_builder();
        if let Some(name) = &self.name {
            builder = builder.name(name.as_str());
        }
        if let Some(version) = self.version {
            builder = builder.version(version);
        }
        build_schema(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::SchemaBuilder;

    const VALUE: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value";

    #[test]
    fn sets_name_and_version() {
        // Kafka Connect's SetSchemaMetadataTest.
        let t = transform(VALUE, &[("schema.name", "foo"), ("schema.version", "42")]);
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .build()
            .unwrap();
        let value = structure(&schema, &[("a", Value::Int32(1))]);
        let out = apply(&*t, value_record(sv(Some(schema), value)));
        let s = out.value.value.as_struct().unwrap();
        assert_eq!(s.schema().name(), Some("foo"));
        assert_eq!(s.schema().version(), Some(42));
        assert!(std::sync::Arc::ptr_eq(
            s.schema(),
            out.value.schema.as_ref().unwrap()
        ));
        let out = apply(&*t, value_record(sv(Some(Schema::string()), "x")));
        assert_eq!(out.value.schema.unwrap().name(), Some("foo"));
    }

    #[test]
    fn errors() {
        assert_eq!(
            config_errors(VALUE, &[]),
            [(
                "type".to_owned(),
                "Neither schema name nor version configured".to_owned()
            )]
        );
        assert_eq!(
            config_errors(VALUE, &[("schema.version", "x")])[0].0,
            "schema.version"
        );
        let t = transform(VALUE, &[("schema.name", "foo")]);
        assert_eq!(
            data_message(&*t, value_record(sv(None, 1))),
            "Schema required for [updating schema metadata]"
        );
        let tombstone = value_record(sv(None, Value::Null));
        assert_eq!(apply(&*t, tombstone.clone()), tombstone);
    }
}
