//! Every converter wharf knows, found by Kafka Connect class name, by its simple class name, by
//! Kafka Connect's alias without the `Converter` suffix, or by wharf's short name:
//!
//! | class name                                             | aliases                      |
//! |--------------------------------------------------------|------------------------------|
//! | `org.apache.kafka.connect.storage.StringConverter`     | `StringConverter`, `String`, `string` |
//! | `org.apache.kafka.connect.converters.ByteArrayConverter` | `ByteArrayConverter`, `ByteArray`, `bytearray` |
//! | `org.apache.kafka.connect.json.JsonConverter`          | `JsonConverter`, `Json`, `json` |
//! | `org.apache.kafka.connect.converters.{Short,Integer,Long,Float,Double,Boolean}Converter` | likewise, e.g. `LongConverter`, `Long`, `long` |
//! | `io.confluent.connect.avro.AvroConverter`              | `AvroConverter`, `Avro`, `avro` |

use crate::avro::AvroConverter;
use crate::bytearray::ByteArrayConverter;
use crate::converter::{Converter, ConverterConfig};
use crate::error::ConfigError;
use crate::json::JsonConverter;
use crate::number::NumberConverter;
use crate::string::StringConverter;
use connect_api::NumberKind;

/// A converter class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConverterClass {
    /// `org.apache.kafka.connect.storage.StringConverter`.
    String,
    /// `org.apache.kafka.connect.converters.ByteArrayConverter`.
    ByteArray,
    /// `org.apache.kafka.connect.json.JsonConverter`.
    Json,
    /// One of the fixed-size converters.
    Number(NumberKind),
    /// `io.confluent.connect.avro.AvroConverter`.
    Avro,
}

impl ConverterClass {
    /// Every class, in a stable order.
    pub const ALL: [Self; 10] = [
        Self::String,
        Self::ByteArray,
        Self::Json,
        Self::Number(NumberKind::Short),
        Self::Number(NumberKind::Integer),
        Self::Number(NumberKind::Long),
        Self::Number(NumberKind::Float),
        Self::Number(NumberKind::Double),
        Self::Number(NumberKind::Boolean),
        Self::Avro,
    ];

    /// The Kafka Connect (or Confluent) class name.
    pub const fn class_name(self) -> &'static str {
        match self {
            Self::String => crate::string::CLASS_NAME,
            Self::ByteArray => crate::bytearray::CLASS_NAME,
            Self::Json => crate::json::CLASS_NAME,
            Self::Number(kind) => kind.class_name(),
            Self::Avro => crate::avro::CLASS_NAME,
        }
    }

    /// wharf's short name: `string`, `bytearray`, `json`, `short`, `integer`, `long`, `float`,
    /// `double`, `boolean`, `avro`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::ByteArray => "bytearray",
            Self::Json => "json",
            Self::Number(NumberKind::Short) => "short",
            Self::Number(NumberKind::Integer) => "integer",
            Self::Number(NumberKind::Long) => "long",
            Self::Number(NumberKind::Float) => "float",
            Self::Number(NumberKind::Double) => "double",
            Self::Number(NumberKind::Boolean) => "boolean",
            Self::Avro => "avro",
        }
    }

    /// The class for a name: full class name, simple class name (`JsonConverter`), Kafka
    /// Connect's alias without the suffix (`Json`), or the short name (any case).
    pub fn lookup(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.into_iter().find(|class| {
            let full = class.class_name();
            let simple = full.rsplit('.').next().unwrap_or(full);
            let pruned = simple.strip_suffix("Converter").unwrap_or(simple);
            name == full
                || name == simple
                || name == pruned
                || name.eq_ignore_ascii_case(class.short_name())
        })
    }

    /// Whether this build can create it.
    pub const fn is_available(self) -> bool {
        true
    }

    /// A configured converter of this class.
    pub fn create(self, config: &ConverterConfig) -> Result<Box<dyn Converter>, ConfigError> {
        Ok(match self {
            Self::String => Box::new(StringConverter::new(config)?),
            Self::ByteArray => Box::new(ByteArrayConverter),
            Self::Json => Box::new(JsonConverter::new(config)?),
            Self::Number(kind) => Box::new(NumberConverter::new(kind)),
            Self::Avro => Box::new(AvroConverter::new(config)?),
        })
    }
}

/// A configured converter by any of its names (see the module docs).
pub fn create(name: &str, config: &ConverterConfig) -> Result<Box<dyn Converter>, ConfigError> {
    ConverterClass::lookup(name)
        .ok_or_else(|| ConfigError::UnknownConverter {
            class: name.to_owned(),
            known: known_names(),
        })?
        .create(config)
}

/// The class names of the available converters, for messages.
pub fn known_names() -> String {
    ConverterClass::ALL
        .iter()
        .filter(|c| c.is_available())
        .map(|c| c.class_name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter::{ConverterType, WireFormat};

    fn config(props: &[(&str, &str)]) -> ConverterConfig {
        ConverterConfig::new(props.iter().copied(), ConverterType::Value)
    }

    #[test]
    fn finds_by_every_name() {
        for name in [
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Json",
            "json",
            "JSON",
        ] {
            assert_eq!(
                ConverterClass::lookup(name),
                Some(ConverterClass::Json),
                "{name}"
            );
        }
        assert_eq!(
            ConverterClass::lookup("org.apache.kafka.connect.converters.LongConverter"),
            Some(ConverterClass::Number(NumberKind::Long))
        );
        assert_eq!(
            ConverterClass::lookup("String"),
            Some(ConverterClass::String)
        );
        assert_eq!(ConverterClass::lookup("com.example.Nope"), None);
        for class in ConverterClass::ALL {
            assert_eq!(ConverterClass::lookup(class.class_name()), Some(class));
            assert_eq!(ConverterClass::lookup(class.short_name()), Some(class));
        }
    }

    #[test]
    fn creates_configured_converters() {
        let json = create("json", &config(&[("schemas.enable", "false")])).unwrap();
        assert_eq!(json.class_name(), crate::json::CLASS_NAME);
        assert!(matches!(
            json.wire_format(),
            WireFormat::Json {
                schemas_enable: false,
                ..
            }
        ));
        let avro = create("io.confluent.connect.avro.AvroConverter", &config(&[])).unwrap_err();
        assert!(matches!(avro, ConfigError::Missing { .. }), "{avro}");
        let avro = create(
            "AvroConverter",
            &config(&[("schema.registry.url", "http://registry:8081")]),
        )
        .unwrap();
        assert_eq!(avro.class_name(), crate::avro::CLASS_NAME);
        let same = create(
            "avro",
            &config(&[("schema.registry.url", "http://registry:8081")]),
        );
        assert!(avro.passes_through_to(&*same.unwrap()));
        let other = create(
            "avro",
            &config(&[("schema.registry.url", "http://other:8081")]),
        );
        assert!(!avro.passes_through_to(&*other.unwrap()));
        let unknown = create("Nope", &config(&[])).unwrap_err();
        assert!(unknown.to_string().contains("JsonConverter"), "{unknown}");
        assert!(create("json", &config(&[("decimal.format", "x")])).is_err());
    }

    #[test]
    fn pass_through_needs_the_same_format_and_settings() {
        let a = create("json", &config(&[("schemas.enable", "false")])).unwrap();
        let b = create(
            "JsonConverter",
            &config(&[("schemas.enable", "false"), ("schemas.cache.size", "5")]),
        )
        .unwrap();
        let c = create("json", &config(&[])).unwrap();
        assert!(a.passes_through_to(&*b));
        assert!(!a.passes_through_to(&*c));
        let s = create("string", &config(&[])).unwrap();
        let bytes = create("bytearray", &config(&[])).unwrap();
        assert!(s.passes_through_to(&*create("StringConverter", &config(&[])).unwrap()));
        assert!(!s.passes_through_to(&*bytes));
        assert!(!bytes.passes_through_to(&*s));
        let long = create("long", &config(&[])).unwrap();
        assert!(long.passes_through_to(&*create("Long", &config(&[])).unwrap()));
        assert!(!long.passes_through_to(&*create("integer", &config(&[])).unwrap()));
    }
}
