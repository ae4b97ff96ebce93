//! The [`Converter`] contract, its configuration, and the pass-through check.
//!
//! A converter turns Connect data into the bytes of a Kafka record key, value or header and
//! back, like Kafka Connect's `org.apache.kafka.connect.storage.Converter`. It is configured once
//! from Kafka Connect style properties (the runtime adds `converter.type`), then called for every
//! record from one shard; calls take `&self` and converters are `Send + Sync`.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;

pub use connect_api::{Header, WireFormat};

use crate::error::{ConfigError, Error};
use connect_api::data::{SchemaAndValue, SchemaRef, Value};

/// Kafka Connect's key for how a converter is used.
pub const TYPE_CONFIG: &str = "converter.type";

/// Converts between Connect data and record bytes.
pub trait Converter: fmt::Debug + Send + Sync {
    /// The Kafka Connect class this converter stands for, e.g.
    /// `org.apache.kafka.connect.json.JsonConverter`.
    fn class_name(&self) -> &'static str;

    /// What the bytes look like; equal formats mean bytes can pass between the two converters
    /// untouched (see [`passes_through_to`](Self::passes_through_to)).
    fn wire_format(&self) -> WireFormat;

    /// Connect data to bytes. `None` is a null record key/value (what Kafka Connect returns as a
    /// null `byte[]`).
    #[allow(clippy::wrong_self_convention, reason = "Kafka Connect's method name")]
    fn from_connect_data(
        &self,
        topic: &str,
        headers: &[Header],
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error>;

    /// Bytes (`None` for a null key/value) to Connect data. Strings and bytes in the result may
    /// share `value`'s buffer.
    fn to_connect_data(
        &self,
        topic: &str,
        headers: &[Header],
        value: Option<&Bytes>,
    ) -> Result<SchemaAndValue, Error>;

    /// Whether bytes read by this converter may be written by `other` as they are, skipping
    /// decode and encode: both use the same format with the same settings, so decoding and
    /// re-encoding would give the same data. Bytes passed through are not checked, so bad input
    /// reaches the output instead of failing here.
    fn passes_through_to(&self, other: &dyn Converter) -> bool {
        self.wire_format() == other.wire_format()
    }
}

/// How a converter is used; Kafka Connect's `ConverterType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConverterType {
    /// Record keys.
    Key,
    /// Record values.
    Value,
    /// Record headers.
    Header,
}

impl ConverterType {
    /// The `converter.type` value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Value => "value",
            Self::Header => "header",
        }
    }
}

/// A converter's properties, e.g. `schemas.enable=false`, plus its [`ConverterType`].
/// Unknown keys are kept and ignored, as Kafka Connect does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConverterConfig {
    converter_type: ConverterType,
    props: BTreeMap<String, String>,
}

impl ConverterConfig {
    /// What the runtime passes: the converter's own properties, with `converter.type` set from
    /// how it is used (Kafka Connect's `configure(configs, isKey)`).
    pub fn new<I, K, V>(props: I, converter_type: ConverterType) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut props: BTreeMap<String, String> = props
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        props.insert(TYPE_CONFIG.to_owned(), converter_type.name().to_owned());
        Self {
            converter_type,
            props,
        }
    }

    /// A worker's or connector's converter properties: keys starting with `prefix` (e.g.
    /// `value.converter.`) with the prefix removed.
    pub fn from_prefixed<'a, I>(props: I, prefix: &str, converter_type: ConverterType) -> Self
    where
        I: IntoIterator<Item = (&'a String, &'a String)>,
    {
        let own = props.into_iter().filter_map(|(k, v)| {
            let key = k.strip_prefix(prefix)?;
            Some((key.to_owned(), v.clone()))
        });
        Self::new(own, converter_type)
    }

    /// Properties that must name their own `converter.type` (`key`, `value` or `header`), as
    /// Kafka Connect's `configure(configs)`.
    pub fn from_props<I, K, V>(props: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let props: BTreeMap<String, String> = props
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let raw = props.get(TYPE_CONFIG).ok_or_else(|| ConfigError::Missing {
            key: TYPE_CONFIG.to_owned(),
        })?;
        let converter_type = match raw.trim() {
            "key" => ConverterType::Key,
            "value" => ConverterType::Value,
            "header" => ConverterType::Header,
            _ => {
                return Err(ConfigError::invalid(
                    TYPE_CONFIG,
                    raw,
                    "String must be one of: key, value, header",
                ));
            }
        };
        Ok(Self {
            converter_type,
            props,
        })
    }

    /// How the converter is used.
    pub fn converter_type(&self) -> ConverterType {
        self.converter_type
    }

    /// Whether it converts record keys.
    pub fn is_key(&self) -> bool {
        self.converter_type == ConverterType::Key
    }

    /// A property as given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }

    /// All properties.
    pub fn props(&self) -> &BTreeMap<String, String> {
        &self.props
    }

    /// A boolean property, parsed like Kafka's `ConfigDef` (trimmed, case-insensitive).
    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        let Some(raw) = self.get(key) else {
            return Ok(default);
        };
        match raw.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(true),
            t if t.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(ConfigError::invalid(
                key,
                raw,
                "Expected value to be either true or false",
            )),
        }
    }

    /// An int property, parsed like Kafka's `ConfigDef` (trimmed, 32-bit).
    pub(crate) fn int_or(&self, key: &str, default: i32) -> Result<i32, ConfigError> {
        let Some(raw) = self.get(key) else {
            return Ok(default);
        };
        raw.trim()
            .parse()
            .map_err(|_| ConfigError::invalid(key, raw, "Not a number of type INT"))
    }

    /// A string property, trimmed like Kafka's `ConfigDef`.
    pub(crate) fn string(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_sets_the_type() {
        let config = ConverterConfig::new([("schemas.enable", "false")], ConverterType::Key);
        assert!(config.is_key());
        assert_eq!(config.get(TYPE_CONFIG), Some("key"));
        assert_eq!(config.bool_or("schemas.enable", true), Ok(false));
        assert_eq!(config.bool_or("other", true), Ok(true));
    }

    #[test]
    fn prefixed_worker_properties() {
        let worker: BTreeMap<String, String> = [
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            ("key.converter.schemas.enable", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let config =
            ConverterConfig::from_prefixed(&worker, "value.converter.", ConverterType::Value);
        assert_eq!(config.get("schemas.enable"), Some("false"));
        assert_eq!(config.props().len(), 2);
    }

    #[test]
    fn explicit_type_is_required_and_checked() {
        let missing = ConverterConfig::from_props([("a", "b")]).unwrap_err();
        assert!(matches!(missing, ConfigError::Missing { .. }));
        let bad = ConverterConfig::from_props([(TYPE_CONFIG, "KEY")]).unwrap_err();
        assert!(
            bad.to_string()
                .contains("Invalid value KEY for configuration converter.type")
        );
        let ok = ConverterConfig::from_props([(TYPE_CONFIG, " header ")]).unwrap();
        assert_eq!(ok.converter_type(), ConverterType::Header);
    }

    #[test]
    fn kafka_style_values() {
        let config = ConverterConfig::new(
            [("b", " TRUE "), ("n", " 12 "), ("x", "maybe"), ("y", "1.5")],
            ConverterType::Value,
        );
        assert_eq!(config.bool_or("b", false), Ok(true));
        assert_eq!(config.int_or("n", 0), Ok(12));
        assert!(config.bool_or("x", false).is_err());
        assert!(config.int_or("y", 0).is_err());
    }
}
