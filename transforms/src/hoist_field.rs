//! `HoistField`: wraps the key or value in a Struct (or schemaless map) with one field.

use connect_api::data::{SchemaAndValue, SchemaBuilder, SchemaRef, Str, Value};

use super::config::PluginConfig;
use super::util::{Ctx, SchemaCache, Side, build_schema, build_struct};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};

pub(crate) const DOC: &str = "Wrap data using the specified field name in a Struct when schema \
present, or a Map in the case of schemaless data.";

const FIELD: &str = "field";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([ConfigKey::required(
        FIELD,
        ConfigType::String,
        "Field name for the single field that will be created in the resulting Struct or Map.",
    )
    .importance(Importance::Medium)])
}

#[derive(Debug)]
struct HoistField {
    ctx: Ctx,
    side: Side,
    field: Str,
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let field = Str::from(cfg.string(FIELD)?);
    let t: Box<dyn Transform> = Box::new(HoistField {
        ctx: Ctx { alias: cfg.alias() },
        side,
        field,
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for HoistField {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => Ok(SchemaAndValue::new(
                    None,
                    Value::Map(vec![(Value::String(self.field.clone()), data.value)]),
                )),
                Some(schema) => {
                    let updated = self.schemas.get_or_try_insert(&schema, || {
                        build_schema(SchemaBuilder::struct_().field(&*self.field, schema.clone()))
                    })?;
                    let out = build_struct(&updated, [(&*self.field, data.value)])?;
                    Ok(SchemaAndValue::new(Some(updated), Value::Struct(out)))
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::Schema;

    #[test]
    fn hoists() {
        // Kafka Connect's HoistFieldTest.
        let t = transform("HoistField$Key", &[("field", "magic")]);
        let out = apply(&*t, record(sv(None, 42), sv(None, Value::Null)));
        assert_eq!(out.key, sv(None, map(&[("magic", Value::Int32(42))])));
        let out = apply(
            &*t,
            record(sv(Some(Schema::int32()), 42), sv(None, Value::Null)),
        );
        let s = out.key.value.as_struct().unwrap();
        assert_eq!(
            s.schema().field("magic").unwrap().schema(),
            &Schema::int32()
        );
        assert_eq!(s.get("magic"), Some(&Value::Int32(42)));
        let optional = Schema::optional_int32();
        let out = apply(
            &*t,
            record(sv(Some(optional), Value::Null), sv(None, Value::Null)),
        );
        assert_eq!(
            out.key.value.as_struct().unwrap().get("magic"),
            Some(&Value::Null)
        );
        assert!(
            t.apply(record(
                sv(Some(Schema::int32()), Value::Null),
                sv(None, Value::Null)
            ))
            .is_err()
        );
    }
}
