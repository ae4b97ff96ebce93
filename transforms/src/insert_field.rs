//! `InsertField`: adds the record's topic, partition, offset (sink records), timestamp, or a
//! static string as fields of a Struct or schemaless map. A field name ending in `!` makes the
//! field required, `?` (the default) optional.
//!
//! Difference: an empty `*.field` value means "not set" (Kafka Connect would insert a field
//! named "").

use std::cell::RefCell;
use std::sync::Arc;

use connect_api::data::logical::timestamp_schema;
use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Value};

use super::config::PluginConfig;
use super::util::{
    Ctx, Fail, SchemaCache, Side, build_schema, copy_basics, field_value, into_map, map_put,
    require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str =
    "Insert field(s) using attributes from the record metadata or a configured static value.";

const TOPIC: &str = "topic.field";
const PARTITION: &str = "partition.field";
const OFFSET: &str = "offset.field";
const TIMESTAMP: &str = "timestamp.field";
const STATIC_FIELD: &str = "static.field";
const STATIC_VALUE: &str = "static.value";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "field insertion";
pub(crate) fn config_def() -> ConfigDef {
    let field = |name, doc| ConfigKey::optional(name, ConfigType::String, "", doc);
    ConfigDef::new([
        field(
            TOPIC,
            "Field name for Kafka topic. Suffix with ! for a required field.",
        ),
        field(
            PARTITION,
            "Field name for Kafka partition. Suffix with ! for a required field.",
        ),
        field(
            OFFSET,
            "Field name for Kafka offset - only applicable to sink connectors. Suffix with ! for \
             a required field.",
        ),
        field(
            TIMESTAMP,
            "Field name for record timestamp. Suffix with ! for a required field.",
        ),
        field(
            STATIC_FIELD,
            "Field name for static data field. Suffix with ! for a required field.",
        ),
        field(
            STATIC_VALUE,
            "Static field value, if field name configured.",
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

/// `InsertionSpec`: a field name and whether the field is optional.
#[derive(Debug, Clone)]
struct Insertion {
    name: Str,
    optional: bool,
}

impl Insertion {
    fn parse(spec: Option<String>) -> Option<Self> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            Self {
                name: Str::from(name),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            Self {
                name: Str::from(name),
                optional: false,
            }
        } else {
            Self {
                name: Str::from(spec),
                optional: true,
            }
        })
    }

    fn schema(&self, optional: &SchemaRef, required: &SchemaRef) -> SchemaRef {
        if self.optional {
            optional.clone()
        } else {
            required.clone()
        }
    }
}

#[derive(Debug)]
struct InsertField {
    ctx: Ctx,
    side: Side,
    topic: Option<Insertion>,
    partition: Option<Insertion>,
    offset: Option<Insertion>,
    timestamp: Option<Insertion>,
    static_field: Option<(Insertion, Str)>,
    replace_null: bool,
    /// The last topic seen, as a value: records of one topic share its bytes.
    last_topic: RefCell<Option<(Arc<str>, Str)>>,
    timestamp_schemas: (SchemaRef, SchemaRef),
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let topic = Insertion::parse(cfg.nullable(TOPIC));
    let partition = Insertion::parse(cfg.nullable(PARTITION));
    let offset = Insertion::parse(cfg.nullable(OFFSET));
    let timestamp = Insertion::parse(cfg.nullable(TIMESTAMP));
    let static_field = Insertion::parse(cfg.nullable(STATIC_FIELD));
    let static_value = cfg
        .is_set(STATIC_VALUE)
        .then(|| cfg.string(STATIC_VALUE))
        .flatten();
    if topic.is_none()
        && partition.is_none()
        && offset.is_none()
        && timestamp.is_none()
        && static_field.is_none()
    {
        cfg.fail("type", "No field insertion configured");
    }
    let static_field = match (static_field, static_value) {
        (Some(field), Some(value)) => Some((field, Str::from(value))),
        (Some(field), _) => {
            cfg.invalid(
                STATIC_VALUE,
                "null",
                format!("No value specified for static field: {}", field.name),
            );
            None
        }
        (None, _) => None,
    };
    let optional_ts = cfg.schema(timestamp_schema().optional())?;
    let required_ts = cfg.schema(timestamp_schema())?;
    let t: Box<dyn Transform> = Box::new(InsertField {
        ctx: Ctx { alias: cfg.alias() },
        side,
        topic,
        partition,
        offset,
        timestamp,
        static_field,
        replace_null: cfg.boolean(REPLACE_NULL),
        last_topic: RefCell::new(None),
        timestamp_schemas: (optional_ts, required_ts),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for InsertField {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        if self.side.get(&record).value.is_null() {
            return Ok(Some(record));
        }
        let meta = Meta {
            topic: if self.topic.is_some() {
                self.topic_str(&record.topic)
            } else {
                Str::new()
            },
            partition: record.kafka_partition,
            offset: record.kafka_offset,
            timestamp: record.timestamp,
        };
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => self.schemaless(data.value, &meta),
                Some(_) => self.with_schema(&data.value, &meta),
            })
    }
}

struct Meta {
    topic: Str,
    partition: Option<i32>,
    offset: Option<i64>,
    timestamp: Option<i64>,
}

impl Meta {
    fn offset(&self) -> Result<i64, Fail> {
        self.offset.ok_or_else(|| {
            Fail::new(format!(
                "Only SinkRecord supported for [{PURPOSE}], found: \
                 org.apache.kafka.connect.source.SourceRecord"
            ))
        })
    }
}

impl InsertField {
    fn topic_str(&self, topic: &Arc<str>) -> Str {
        let Ok(mut last) = self.last_topic.try_borrow_mut() else {
            return Str::from(&**topic);
        };
        match &*last {
            Some((t, s)) if Arc::ptr_eq(t, topic) => s.clone(),
            _ => {
                let s = Str::from(&**topic);
                *last = Some((topic.clone(), s.clone()));
                s
            }
        }
    }

    fn schemaless(&self, value: Value, meta: &Meta) -> Result<SchemaAndValue, Fail> {
        let mut entries = into_map(value, PURPOSE)?;
        if let Some(f) = &self.topic {
            map_put(&mut entries, &f.name, Value::String(meta.topic.clone()));
        }
        if let (Some(f), Some(p)) = (&self.partition, meta.partition) {
            map_put(&mut entries, &f.name, Value::Int32(p));
        }
        if let Some(f) = &self.offset {
            map_put(&mut entries, &f.name, Value::Int64(meta.offset()?));
        }
        if let (Some(f), Some(ts)) = (&self.timestamp, meta.timestamp) {
            map_put(&mut entries, &f.name, Value::Int64(ts));
        }
        if let Some((f, v)) = &self.static_field {
            map_put(&mut entries, &f.name, Value::String(v.clone()));
        }
        Ok(SchemaAndValue::new(None, Value::Map(entries)))
    }

    fn with_schema(&self, value: &Value, meta: &Meta) -> Result<SchemaAndValue, Fail> {
        let value = require_struct(value, PURPOSE)?;
        let updated = self
            .schemas
            .get_or_try_insert(value.schema(), || self.derive(value.schema()))?;
        let mut out = Struct::new(updated.clone())?;
        let mut put = |name: &str, v: Value| {
            out.put(name, v)
                .map(|_| ())
                .map_err(|e| Fail::from(e).in_field(name))
        };
        for (field, raw) in value.iter() {
            put(field.name(), field_value(field, raw, self.replace_null))?;
        }
        if let Some(f) = &self.topic {
            put(&f.name, Value::String(meta.topic.clone()))?;
        }
        if let (Some(f), Some(p)) = (&self.partition, meta.partition) {
            put(&f.name, Value::Int32(p))?;
        }
        if let Some(f) = &self.offset {
            put(&f.name, Value::Int64(meta.offset()?))?;
        }
        if let (Some(f), Some(ts)) = (&self.timestamp, meta.timestamp) {
            put(&f.name, Value::Timestamp(ts))?;
        }
        if let Some((f, v)) = &self.static_field {
            put(&f.name, Value::String(v.clone()))?;
        }
        Ok(SchemaAndValue::new(Some(updated), Value::Struct(out)))
    }

    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let mut builder = copy_basics(schema, SchemaBuilder::struct_());
        for field in schema.fields() {
            builder = builder.field(field.name(), field.schema().clone());
        }
        if let Some(f) = &self.topic {
            let s = f.schema(&Schema::optional_string(), &Schema::string());
            builder = builder.field(f.name.as_str(), s);
        }
        if let Some(f) = &self.partition {
            let s = f.schema(&Schema::optional_int32(), &Schema::int32());
            builder = builder.field(f.name.as_str(), s);
        }
        if let Some(f) = &self.offset {
            let s = f.schema(&Schema::optional_int64(), &Schema::int64());
            builder = builder.field(f.name.as_str(), s);
        }
        if let Some(f) = &self.timestamp {
            let (optional, required) = &self.timestamp_schemas;
            builder = builder.field(f.name.as_str(), f.schema(optional, required));
        }
        if let Some((f, _)) = &self.static_field {
            let s = f.schema(&Schema::optional_string(), &Schema::string());
            builder = builder.field(f.name.as_str(), s);
        }
        build_schema(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const VALUE: &str = "org.apache.kafka.connect.transforms.InsertField$Value";

    fn all_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("topic.field", "topic_field!"),
            ("partition.field", "partition_field"),
            ("timestamp.field", "timestamp_field?"),
            ("static.field", "instance_id"),
            ("static.value", "my-instance-id"),
        ]
    }

    #[test]
    fn config_errors() {
        let errors = super::super::testing::config_errors(VALUE, &[]);
        assert_eq!(
            errors,
            [(
                "type".to_owned(),
                "No field insertion configured".to_owned()
            )]
        );
        let errors = super::super::testing::config_errors(VALUE, &[("static.field", "x")]);
        assert_eq!(
            errors,
            [(
                "static.value".to_owned(),
                "Invalid value null for configuration static.value: No value specified for \
                 static field: x"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn inserts_into_structs() {
        // Kafka Connect's InsertFieldTest.copySchemaAndInsertConfiguredFields.
        let schema = SchemaBuilder::struct_()
            .name("name")
            .version(1)
            .doc("doc")
            .field("magic", Schema::optional_int64())
            .build()
            .unwrap();
        let value = structure(&schema, &[("magic", Value::Int64(42))]);
        let t = transform(VALUE, &all_fields());
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value.clone())));
        let s = out.value.value.as_struct().unwrap();
        let us = s.schema();
        assert_eq!(
            (us.name(), us.version(), us.doc()),
            (Some("name"), Some(1), Some("doc"))
        );
        assert_eq!(us.field("topic_field").unwrap().schema(), &Schema::string());
        assert_eq!(
            us.field("partition_field").unwrap().schema(),
            &Schema::optional_int32()
        );
        assert_eq!(
            us.field("timestamp_field").unwrap().schema().name(),
            Some("org.apache.kafka.connect.data.Timestamp")
        );
        assert!(us.field("timestamp_field").unwrap().schema().is_optional());
        assert_eq!(
            us.field("instance_id").unwrap().schema(),
            &Schema::optional_string()
        );
        assert_eq!(s.get("magic"), Some(&Value::Int64(42)));
        assert_eq!(s.get("topic_field"), Some(&Value::from("test")));
        assert_eq!(s.get("partition_field"), Some(&Value::Int32(0)));
        assert_eq!(s.get("timestamp_field"), Some(&Value::Timestamp(1000)));
        assert_eq!(s.get("instance_id"), Some(&Value::from("my-instance-id")));
        let again = apply(&*t, value_record(sv(Some(schema), value)));
        assert!(std::sync::Arc::ptr_eq(
            again.value.schema.as_ref().unwrap(),
            out.value.schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn inserts_into_maps() {
        let t = transform(VALUE, &all_fields());
        let out = apply(
            &*t,
            value_record(sv(None, map(&[("magic", Value::Int64(42))]))),
        );
        assert_eq!(
            out.value.value,
            map(&[
                ("magic", Value::Int64(42)),
                ("topic_field", "test".into()),
                ("partition_field", Value::Int32(0)),
                ("timestamp_field", Value::Int64(1000)),
                ("instance_id", "my-instance-id".into()),
            ])
        );
    }

    #[test]
    fn offsets_need_sink_records_and_nulls_pass() {
        let t = transform("InsertField$Key", &[("offset.field", "off")]);
        let mut r = record(sv(None, map(&[])), sv(None, Value::Null));
        assert_eq!(
            data_message(&*t, r.clone()),
            "Only SinkRecord supported for [field insertion], found: \
             org.apache.kafka.connect.source.SourceRecord"
        );
        r.kafka_offset = Some(7);
        assert_eq!(apply(&*t, r).key.value, map(&[("off", Value::Int64(7))]));
        let tombstone = value_record(sv(None, Value::Null));
        let t = transform(VALUE, &all_fields());
        assert_eq!(apply(&*t, tombstone.clone()), tombstone);
        assert!(
            data_message(&*t, value_record(sv(Some(Schema::int32()), 3))).starts_with(
                "Only Struct objects supported for [field insertion], found: java.lang.Integer"
            )
        );
    }
}
