//! `InsertHeader`: appends a header with a fixed value to every record. The literal is read as
//! Kafka Connect's `Values.parseString` reads it (`42` is an INT8, `true` a BOOLEAN, `[1,2]` an
//! array, anything else a string); see [`values`](super::values) for the differences.

use std::sync::Arc;

use connect_api::data::SchemaAndValue;

use super::config::PluginConfig;
use super::values::parse_string;
use super::{ConnectHeader, ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str = "Add a header to each record.";

const HEADER: &str = "header";
const VALUE_LITERAL: &str = "value.literal";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(HEADER, ConfigType::String, "The name of the header."),
        ConfigKey::required(
            VALUE_LITERAL,
            ConfigType::String,
            "The literal value that is to be set as the header value on all records.",
        ),
    ])
}

#[derive(Debug)]
struct InsertHeader {
    header: Arc<str>,
    value: SchemaAndValue,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Transform>> {
    let header = Arc::from(cfg.string(HEADER)?);
    let literal = cfg.string(VALUE_LITERAL)?;
    let value = match parse_string(&literal) {
        Ok(v) => v.unwrap_or_default(),
        Err(reason) => {
            cfg.invalid(VALUE_LITERAL, &literal, reason);
            return None;
        }
    };
    let t: Box<dyn Transform> = Box::new(InsertHeader { header, value });
    cfg.done(t)
}

impl Transform for InsertHeader {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        record
            .headers
            .push(ConnectHeader::new(self.header.clone(), self.value.clone()));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::{Schema, Value};

    #[test]
    fn inserts() {
        let t = transform("InsertHeader", &[("header", "h"), ("value.literal", "42")]);
        let out = apply(&*t, value_record(sv(None, Value::Null)));
        assert_eq!(
            out.headers,
            [ConnectHeader::new(
                "h",
                sv(Some(Schema::int8()), Value::Int8(42))
            )]
        );
        let t = transform("InsertHeader", &[("header", "h"), ("value.literal", "a b")]);
        let out = apply(&*t, out);
        assert_eq!(
            out.headers[1],
            ConnectHeader::new("h", sv(Some(Schema::string()), "a b"))
        );
        let errors = config_errors("InsertHeader", &[("header", "h")]);
        assert_eq!(errors[0].0, "value.literal");
    }
}
