//! `org.apache.kafka.connect.converters.ByteArrayConverter`: bytes as they are.

use bytes::Bytes;

use crate::converter::{Converter, Header, WireFormat};
use crate::error::{DataError, Error, Problem};
use connect_api::data::{Schema, SchemaAndValue, SchemaRef, Type, Value};

/// Kafka's class name.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// Passes bytes through; reading gives an optional `BYTES` schema. It has no settings.
#[derive(Debug, Clone, Default)]
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn class_name(&self) -> &'static str {
        CLASS_NAME
    }

    fn wire_format(&self) -> WireFormat {
        WireFormat::ByteArray
    }

    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        if let Some(schema) = schema.filter(|s| s.ty() != Type::Bytes) {
            return Err(DataError::at_root(Problem::Mismatch {
                expected: "a BYTES schema (ByteArrayConverter)".into(),
                found: format!("a {} schema", schema.ty()).into(),
            })
            .into());
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(bytes) => Ok(Some(bytes.clone())),
            other => Err(DataError::at_root(Problem::Mismatch {
                expected: "BYTES (ByteArrayConverter)".into(),
                found: other.kind_name().into(),
            })
            .into()),
        }
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        value: Option<&Bytes>,
    ) -> Result<SchemaAndValue, Error> {
        let value = value.map_or(Value::Null, |b| Value::Bytes(b.clone()));
        Ok(SchemaAndValue::new(Some(Schema::optional_bytes()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_bytes_through() {
        let c = ByteArrayConverter;
        let input = Bytes::from_static(b"\x00\xffraw");
        let read = c.to_connect_data("t", &[], Some(&input)).unwrap();
        assert_eq!(read.value, Value::Bytes(input.clone()));
        assert_eq!(read.schema, Some(Schema::optional_bytes()));
        let written = c
            .from_connect_data("t", &[], read.schema.as_ref(), &read.value)
            .unwrap();
        assert_eq!(written, Some(input));
        assert_eq!(
            c.from_connect_data("t", &[], None, &Value::Null).unwrap(),
            None
        );
    }

    #[test]
    fn refuses_other_types() {
        let c = ByteArrayConverter;
        assert!(
            c.from_connect_data("t", &[], None, &Value::Int32(1))
                .is_err()
        );
        let err = c
            .from_connect_data(
                "t",
                &[],
                Some(&Schema::string()),
                &Value::Bytes(Bytes::new()),
            )
            .unwrap_err();
        assert!(err.to_string().contains("STRING schema"), "{err}");
    }
}
