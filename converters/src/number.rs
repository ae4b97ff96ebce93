//! Kafka Connect's fixed-size converters in `org.apache.kafka.connect.converters`: Short,
//! Integer, Long, Float, Double (big-endian, as Kafka's serializers) and Boolean (one byte, 0 or
//! 1). Writing takes exactly the matching value kind, as Kafka Connect's casts do; reading gives
//! the matching optional schema and checks the length.

use bytes::Bytes;
use connect_api::NumberKind;

use crate::converter::{Converter, Header, WireFormat};
use crate::error::{DataError, Error, Problem};
use connect_api::data::{Schema, SchemaAndValue, SchemaRef, Type, Value};

/// The optional schema of `kind`'s values.
fn schema_of(kind: NumberKind) -> SchemaRef {
    match kind {
        NumberKind::Short => Schema::optional_int16(),
        NumberKind::Integer => Schema::optional_int32(),
        NumberKind::Long => Schema::optional_int64(),
        NumberKind::Float => Schema::optional_float32(),
        NumberKind::Double => Schema::optional_float64(),
        NumberKind::Boolean => Schema::optional_boolean(),
    }
}

/// One of the fixed-size converters. They have no settings.
#[derive(Debug, Clone)]
pub struct NumberConverter {
    kind: NumberKind,
}

impl NumberConverter {
    /// The converter for `kind`.
    pub fn new(kind: NumberKind) -> Self {
        Self { kind }
    }

    /// Which one it is.
    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    fn encode(&self, value: &Value) -> Option<Vec<u8>> {
        let bytes = match (self.kind, value) {
            (NumberKind::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Float, Value::Float32(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Double, Value::Float64(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Boolean, Value::Boolean(v)) => vec![u8::from(*v)],
            _ => return None,
        };
        Some(bytes)
    }

    fn decode(&self, bytes: &[u8]) -> Result<Value, Problem> {
        let wrong_size = || Problem::WrongSize {
            converter: self.kind.simple_name(),
            expected: self.kind.size(),
            actual: bytes.len(),
        };
        let value = match self.kind {
            NumberKind::Short => Value::Int16(i16::from_be_bytes(
                bytes.try_into().map_err(|_| wrong_size())?,
            )),
            NumberKind::Integer => Value::Int32(i32::from_be_bytes(
                bytes.try_into().map_err(|_| wrong_size())?,
            )),
            NumberKind::Long => Value::Int64(i64::from_be_bytes(
                bytes.try_into().map_err(|_| wrong_size())?,
            )),
            NumberKind::Float => Value::Float32(f32::from_be_bytes(
                bytes.try_into().map_err(|_| wrong_size())?,
            )),
            NumberKind::Double => Value::Float64(f64::from_be_bytes(
                bytes.try_into().map_err(|_| wrong_size())?,
            )),
            NumberKind::Boolean => match bytes {
                [0] => Value::Boolean(false),
                [1] => Value::Boolean(true),
                [other] => return Err(Problem::InvalidBoolean(*other)),
                _ => return Err(wrong_size()),
            },
        };
        Ok(value)
    }
}

impl Converter for NumberConverter {
    fn class_name(&self) -> &'static str {
        self.kind.class_name()
    }

    fn wire_format(&self) -> WireFormat {
        WireFormat::Number(self.kind)
    }

    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        // Only BooleanConverter looks at the schema; the number converters ignore it.
        if let Some(schema) =
            schema.filter(|s| self.kind == NumberKind::Boolean && s.ty() != Type::Boolean)
        {
            return Err(DataError::at_root(Problem::Mismatch {
                expected: "a BOOLEAN schema (BooleanConverter)".into(),
                found: format!("a {} schema", schema.ty()).into(),
            })
            .into());
        }
        if value.is_null() {
            return Ok(None);
        }
        let bytes = self.encode(value).ok_or_else(|| {
            DataError::at_root(Problem::Mismatch {
                expected: format!("{} ({})", self.kind.ty(), self.kind.simple_name()).into(),
                found: value.kind_name().into(),
            })
        })?;
        Ok(Some(Bytes::from(bytes)))
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        value: Option<&Bytes>,
    ) -> Result<SchemaAndValue, Error> {
        let value = match value {
            None => Value::Null,
            Some(bytes) => self.decode(bytes).map_err(DataError::at_root)?,
        };
        Ok(SchemaAndValue::new(Some(schema_of(self.kind)), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(kind: NumberKind, value: Value, wire: &[u8]) {
        let c = NumberConverter::new(kind);
        let bytes = c
            .from_connect_data("t", &[], None, &value)
            .unwrap()
            .unwrap();
        assert_eq!(&bytes[..], wire, "{kind:?}");
        let read = c.to_connect_data("t", &[], Some(&bytes)).unwrap();
        assert_eq!(read.value, value);
        assert_eq!(read.schema.unwrap().ty(), kind.ty());
    }

    #[test]
    fn big_endian_like_kafka_serializers() {
        round_trip(NumberKind::Short, Value::Int16(-2), &[0xff, 0xfe]);
        round_trip(
            NumberKind::Integer,
            Value::Int32(0x0102_0304),
            &[1, 2, 3, 4],
        );
        round_trip(NumberKind::Long, Value::Int64(1), &[0, 0, 0, 0, 0, 0, 0, 1]);
        round_trip(NumberKind::Float, Value::Float32(1.0), &[0x3f, 0x80, 0, 0]);
        round_trip(
            NumberKind::Double,
            Value::Float64(-2.0),
            &[0xc0, 0, 0, 0, 0, 0, 0, 0],
        );
        round_trip(NumberKind::Boolean, Value::Boolean(true), &[1]);
        round_trip(NumberKind::Boolean, Value::Boolean(false), &[0]);
    }

    #[test]
    fn wrong_sizes_and_kinds_are_errors() {
        let c = NumberConverter::new(NumberKind::Integer);
        let err = c
            .to_connect_data("t", &[], Some(&Bytes::from_static(&[1, 2, 3])))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("IntegerConverter expects 4 bytes, got 3"),
            "{err}"
        );
        assert!(
            c.from_connect_data("t", &[], None, &Value::Int64(1))
                .is_err()
        );
        let b = NumberConverter::new(NumberKind::Boolean);
        assert!(
            b.to_connect_data("t", &[], Some(&Bytes::from_static(&[2])))
                .is_err()
        );
        assert!(
            b.from_connect_data("t", &[], Some(&Schema::int32()), &Value::Boolean(true))
                .is_err()
        );
        assert_eq!(
            c.to_connect_data("t", &[], None).unwrap().value,
            Value::Null
        );
        assert_eq!(
            c.from_connect_data("t", &[], None, &Value::Null).unwrap(),
            None
        );
    }
}
