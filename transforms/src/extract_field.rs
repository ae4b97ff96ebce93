//! `ExtractField`: replaces the key or value with one of its fields; with
//! `field.syntax.version=V2` the field may be nested (`address.city`). Null keys or values pass
//! through; a field missing from a schemaless map gives null; a field missing from the schema is
//! an error.

use connect_api::data::{SchemaAndValue, Value};

use super::config::PluginConfig;
use super::field_path::{
    FieldPath, SYNTAX_VERSION_CONFIG, SYNTAX_VERSION_DOC, check_syntax_version,
};
use super::util::{Ctx, Fail, Side, require_map, require_struct};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub(crate) const DOC: &str = "Extract the specified field from a Struct when schema present, or a \
Map in the case of schemaless data. Any null values are passed through unmodified.";

const FIELD: &str = "field";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "field extraction";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(FIELD, ConfigType::String, "Field name to extract.")
            .importance(Importance::Medium),
        ConfigKey::optional(
            REPLACE_NULL,
            ConfigType::Boolean,
            "true",
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        ),
        ConfigKey::optional(
            SYNTAX_VERSION_CONFIG,
            ConfigType::String,
            "V1",
            SYNTAX_VERSION_DOC,
        )
        .importance(Importance::High)
        .validate(Validator::Custom(check_syntax_version)),
    ])
}

#[derive(Debug)]
struct ExtractField {
    ctx: Ctx,
    side: Side,
    original: String,
    path: FieldPath,
    replace_null: bool,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let original = cfg.string(FIELD)?;
    let v2 = cfg
        .raw(SYNTAX_VERSION_CONFIG)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("V2"));
    let path = match FieldPath::parse(&original, v2) {
        Ok(path) => path,
        Err(message) => {
            cfg.invalid(FIELD, &original, message);
            return None;
        }
    };
    let t: Box<dyn Transform> = Box::new(ExtractField {
        ctx: Ctx { alias: cfg.alias() },
        side,
        original,
        path,
        replace_null: cfg.boolean(REPLACE_NULL),
    });
    cfg.done(t)
}

impl Transform for ExtractField {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => {
                    if data.value.is_null() {
                        return Ok(SchemaAndValue::default());
                    }
                    let entries = require_map(&data.value, PURPOSE)?;
                    Ok(SchemaAndValue::new(
                        None,
                        self.path.value_from_map(entries)?,
                    ))
                }
                Some(schema) => {
                    if !data.value.is_null() {
                        require_struct(&data.value, PURPOSE)?;
                    }
                    let field = self.path.field_from(&schema).ok_or_else(|| {
                        Fail::at(&self.original, format!("Unknown field: {}", self.original))
                    })?;
                    let value = match &data.value {
                        Value::Struct(s) => self.path.value_from_struct(s, self.replace_null)?,
                        _ => Value::Null,
                    };
                    Ok(SchemaAndValue::new(Some(field.schema().clone()), value))
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::{Schema, SchemaBuilder};

    const KEY: &str = "org.apache.kafka.connect.transforms.ExtractField$Key";

    #[test]
    fn schemaless_and_with_schema() {
        // Kafka Connect's ExtractFieldTest.
        let t = transform(KEY, &[("field", "magic")]);
        let r = record(
            sv(None, map(&[("magic", Value::Int32(42))])),
            sv(None, Value::Null),
        );
        assert_eq!(apply(&*t, r).key, sv(None, 42));
        let r = record(
            sv(None, map(&[("other", Value::Int32(42))])),
            sv(None, Value::Null),
        );
        assert_eq!(apply(&*t, r).key, sv(None, Value::Null));

        let schema = SchemaBuilder::struct_()
            .field("magic", Schema::int32())
            .build()
            .unwrap();
        let key = structure(&schema, &[("magic", Value::Int32(42))]);
        let out = apply(
            &*t,
            record(sv(Some(schema.clone()), key), sv(None, Value::Null)),
        );
        assert_eq!(out.key, sv(Some(Schema::int32()), 42));
        let out = apply(
            &*t,
            record(sv(Some(schema), Value::Null), sv(None, Value::Null)),
        );
        assert_eq!(out.key, sv(Some(Schema::int32()), Value::Null));
    }

    #[test]
    fn nested_paths() {
        let t = transform(
            KEY,
            &[("field", "magic.foo"), ("field.syntax.version", "v2")],
        );
        let inner = SchemaBuilder::struct_()
            .field("foo", Schema::int32())
            .build()
            .unwrap();
        let outer = SchemaBuilder::struct_()
            .field("magic", inner.clone())
            .build()
            .unwrap();
        let key = structure(
            &outer,
            &[("magic", structure(&inner, &[("foo", Value::Int32(42))]))],
        );
        let out = apply(&*t, record(sv(Some(outer), key), sv(None, Value::Null)));
        assert_eq!(out.key, sv(Some(Schema::int32()), 42));
        let r = record(
            sv(None, map(&[("magic", map(&[("foo", Value::Int32(42))]))])),
            sv(None, Value::Null),
        );
        assert_eq!(apply(&*t, r).key, sv(None, 42));
    }

    #[test]
    fn errors() {
        let t = transform(KEY, &[("field", "nope")]);
        let schema = SchemaBuilder::struct_()
            .field("magic", Schema::int32())
            .build()
            .unwrap();
        let key = structure(&schema, &[("magic", Value::Int32(42))]);
        let err = data_error(&*t, record(sv(Some(schema), key), sv(None, Value::Null)));
        assert_eq!(
            err.to_string(),
            "transform t failed on a record of topic test (field nope): Unknown field: nope"
        );
        let errors = config_errors(KEY, &[("field", "`a"), ("field.syntax.version", "V2")]);
        assert_eq!(errors[0].0, "field");
        let errors = config_errors(KEY, &[("field", "a"), ("field.syntax.version", "V3")]);
        assert_eq!(errors[0].0, "field.syntax.version");
    }
}
