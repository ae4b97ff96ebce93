//! `org.apache.kafka.connect.storage.StringConverter`: values as text.
//!
//! Writing takes strings as they are and prints numbers, booleans and decimals the way Java's
//! `toString()` does; other values have no stable text form in Kafka Connect (it writes
//! `toString()` of Java objects, e.g. `[B@1b6d3586` for bytes) and are refused. Reading always
//! gives an optional `STRING` schema; bytes that are not valid UTF-8 are an error, where Kafka
//! Connect would silently replace them with U+FFFD.

use bytes::Bytes;
use connect_api::Encoding;

use crate::converter::{Converter, ConverterConfig, Header, WireFormat};
use crate::error::{ConfigError, DataError, Error, Problem};
use connect_api::data::java_text;
use connect_api::data::{Schema, SchemaAndValue, SchemaRef, Str, Value};

/// The converter's charset key (shared by writing and reading).
pub const ENCODING_CONFIG: &str = "converter.encoding";
/// Default charset.
pub const ENCODING_DEFAULT: &str = "UTF-8";
/// Kafka's class name.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.storage.StringConverter";

fn parse_encoding(key: &str, name: &str) -> Result<Encoding, ConfigError> {
    let canonical = name.trim().to_ascii_uppercase();
    match canonical.as_str() {
        "UTF-8" | "UTF8" => Ok(Encoding::Utf8),
        _ => Err(ConfigError::invalid(
            key,
            name,
            "unsupported encoding; wharf's StringConverter supports UTF-8 only",
        )),
    }
}

/// Reads and writes strings.
#[derive(Debug, Clone)]
pub struct StringConverter {
    encoding: Encoding,
}

impl StringConverter {
    /// From Kafka Connect properties: `converter.encoding`, which Kafka's string serializer lets
    /// `key.serializer.encoding` / `value.serializer.encoding` (and the `deserializer` twins)
    /// override.
    pub fn new(config: &ConverterConfig) -> Result<Self, ConfigError> {
        let base = config.string(ENCODING_CONFIG).unwrap_or(ENCODING_DEFAULT);
        let role = if config.is_key() { "key" } else { "value" };
        let mut encoding = parse_encoding(ENCODING_CONFIG, base)?;
        for side in ["serializer", "deserializer"] {
            let key = format!("{role}.{side}.encoding");
            if let Some(name) = config.get(&key) {
                encoding = parse_encoding(&key, name)?;
            }
        }
        Ok(Self { encoding })
    }

    /// A UTF-8 string converter.
    pub fn utf8() -> Self {
        Self {
            encoding: Encoding::Utf8,
        }
    }
}

/// Java's `toString()` for the values that have a portable one.
fn text_of(value: &Value) -> Result<Option<Bytes>, DataError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) => return Ok(Some(s.as_bytes().clone())),
        Value::Boolean(b) => b.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => java_text::float_to_string(*v),
        Value::Float64(v) => java_text::double_to_string(*v),
        Value::Decimal(d) => d.to_string(),
        other => {
            return Err(DataError::at_root(Problem::Unsupported(format!(
                "StringConverter writes strings, numbers, booleans and decimals, not a {}",
                other.kind_name()
            ))));
        }
    };
    Ok(Some(Bytes::from(text)))
}

impl Converter for StringConverter {
    fn class_name(&self) -> &'static str {
        CLASS_NAME
    }

    fn wire_format(&self) -> WireFormat {
        WireFormat::String {
            encoding: self.encoding,
        }
    }

    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        Ok(text_of(value)?)
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        value: Option<&Bytes>,
    ) -> Result<SchemaAndValue, Error> {
        let value = match value {
            None => Value::Null,
            Some(bytes) => Value::String(Str::from_utf8(bytes.clone()).map_err(|e| {
                let detail = match e.error_len() {
                    Some(n) => format!("an invalid sequence of {n} byte(s)"),
                    None => "an incomplete sequence at the end".to_owned(),
                };
                DataError::at_root(Problem::InvalidUtf8 {
                    valid_up_to: e.valid_up_to(),
                    detail,
                })
            })?),
        };
        Ok(SchemaAndValue::new(Some(Schema::optional_string()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter::ConverterType;
    use crate::error::ErrorClass;
    use connect_api::data::Decimal;

    fn utf8() -> StringConverter {
        StringConverter::new(&ConverterConfig::new(
            Vec::<(String, String)>::new(),
            ConverterType::Value,
        ))
        .unwrap()
    }

    #[test]
    fn round_trips_without_copying() {
        let c = utf8();
        let input = Bytes::from_static("grüß 😀".as_bytes());
        let read = c.to_connect_data("t", &[], Some(&input)).unwrap();
        assert_eq!(read.schema, Some(Schema::optional_string()));
        let Value::String(s) = &read.value else {
            panic!()
        };
        assert_eq!(s.as_bytes().as_ptr(), input.as_ptr());
        let written = c.from_connect_data("t", &[], None, &read.value).unwrap();
        assert_eq!(written, Some(input));
        assert_eq!(
            c.to_connect_data("t", &[], None).unwrap().value,
            Value::Null
        );
        assert_eq!(
            c.from_connect_data("t", &[], None, &Value::Null).unwrap(),
            None
        );
    }

    #[test]
    fn prints_like_java_to_string() {
        let c = utf8();
        for (value, text) in [
            (Value::Int32(-5), "-5"),
            (Value::Boolean(true), "true"),
            (Value::Float64(1e20), "1.0E20"),
            (Value::Float32(1.5), "1.5"),
            (Value::Decimal(Decimal::new(150, 2)), "1.50"),
        ] {
            let out = c
                .from_connect_data("t", &[], None, &value)
                .unwrap()
                .unwrap();
            assert_eq!(out, text.as_bytes());
        }
        let err = c
            .from_connect_data("t", &[], None, &Value::Bytes(Bytes::new()))
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData);
    }

    #[test]
    fn invalid_utf8_is_bad_data_with_offset() {
        let err = utf8()
            .to_connect_data("t", &[], Some(&Bytes::from_static(b"abc\xC3(")))
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData);
        let Error::Data(data) = &err else {
            panic!("{err:?}")
        };
        let Problem::InvalidUtf8 { valid_up_to, .. } = data.problem() else {
            panic!("{err:?}")
        };
        assert_eq!(*valid_up_to, 3);
    }

    #[test]
    fn encodings() {
        let config = |k: &str, v: &str| {
            ConverterConfig::new([(k.to_owned(), v.to_owned())], ConverterType::Key)
        };
        assert!(StringConverter::new(&config(ENCODING_CONFIG, "utf8")).is_ok());
        let err = StringConverter::new(&config(ENCODING_CONFIG, "ISO-8859-1")).unwrap_err();
        assert!(err.to_string().contains("UTF-8 only"), "{err}");
        assert!(StringConverter::new(&config("key.serializer.encoding", "UTF-16")).is_err());
        // Overrides for the other role are not ours.
        assert!(StringConverter::new(&config("value.serializer.encoding", "UTF-16")).is_ok());
    }
}
