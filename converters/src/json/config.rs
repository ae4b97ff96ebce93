//! JsonConverter settings, with Kafka Connect's keys and defaults (`JsonConverterConfig`).

use connect_api::DecimalFormat;

use crate::converter::{ConverterConfig, ConverterType};
use crate::error::ConfigError;

/// Wrap each value in `{"schema":..,"payload":..}`.
pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
/// How many schemas each direction caches.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
/// How Decimals are written: `BASE64` or `NUMERIC` (case-insensitive).
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
/// Whether null is replaced by the schema's default when writing and reading.
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// Kafka Connect's default for `schemas.enable`.
pub const fn default_schemas_enable() -> bool {
    true
}

/// Kafka Connect's default for `schemas.cache.size`.
pub const fn default_schemas_cache_size() -> i32 {
    1000
}

/// Kafka Connect's default for `replace.null.with.default`.
pub const fn default_replace_null_with_default() -> bool {
    true
}

/// JsonConverter settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonConverterConfig {
    /// How the converter is used (`converter.type`); JSON reads and writes keys and values alike.
    pub converter_type: ConverterType,
    /// `schemas.enable`: write and expect the `{"schema":..,"payload":..}` envelope.
    pub schemas_enable: bool,
    /// `schemas.cache.size`: schemas cached per direction; 0 or less caches nothing.
    pub schemas_cache_size: i32,
    /// `decimal.format`.
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default`.
    pub replace_null_with_default: bool,
}

impl JsonConverterConfig {
    /// Kafka Connect's defaults.
    pub const fn defaults(converter_type: ConverterType) -> Self {
        Self {
            converter_type,
            schemas_enable: default_schemas_enable(),
            schemas_cache_size: default_schemas_cache_size(),
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: default_replace_null_with_default(),
        }
    }

    /// Reads the settings; reports every bad key at once.
    pub fn from_config(config: &ConverterConfig) -> Result<Self, ConfigError> {
        let mut errors = Vec::new();
        let mut keep = |result: Result<_, ConfigError>, fallback| {
            result.unwrap_or_else(|e| {
                errors.push(e);
                fallback
            })
        };
        let schemas_enable = keep(
            config.bool_or(SCHEMAS_ENABLE_CONFIG, default_schemas_enable()),
            true,
        );
        let replace_null_with_default = keep(
            config.bool_or(
                REPLACE_NULL_WITH_DEFAULT_CONFIG,
                default_replace_null_with_default(),
            ),
            true,
        );
        let schemas_cache_size = config
            .int_or(SCHEMAS_CACHE_SIZE_CONFIG, default_schemas_cache_size())
            .unwrap_or_else(|e| {
                errors.push(e);
                0
            });
        let decimal_format = match config.string(DECIMAL_FORMAT_CONFIG) {
            None => DecimalFormat::Base64,
            Some(f) if f.eq_ignore_ascii_case("BASE64") => DecimalFormat::Base64,
            Some(f) if f.eq_ignore_ascii_case("NUMERIC") => DecimalFormat::Numeric,
            Some(f) => {
                errors.push(ConfigError::invalid(
                    DECIMAL_FORMAT_CONFIG,
                    f,
                    "String must be one of (case insensitive): BASE64, NUMERIC",
                ));
                DecimalFormat::Base64
            }
        };
        match errors.len() {
            0 => Ok(Self {
                converter_type: config.converter_type(),
                schemas_enable,
                schemas_cache_size,
                decimal_format,
                replace_null_with_default,
            }),
            1 => Err(errors.remove(0)),
            _ => Err(ConfigError::Several(errors)),
        }
    }

    /// The cache capacity as a size.
    pub(crate) fn cache_capacity(&self) -> usize {
        usize::try_from(self.schemas_cache_size).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(props: &[(&str, &str)]) -> Result<JsonConverterConfig, ConfigError> {
        JsonConverterConfig::from_config(&ConverterConfig::new(
            props.iter().copied(),
            ConverterType::Value,
        ))
    }

    #[test]
    fn defaults_match_kafka_connect() {
        assert_eq!(
            config(&[]).unwrap(),
            JsonConverterConfig::defaults(ConverterType::Value)
        );
    }

    #[test]
    fn reads_every_key() {
        let c = config(&[
            ("schemas.enable", "false"),
            ("schemas.cache.size", "5"),
            ("decimal.format", "numeric"),
            ("replace.null.with.default", "FALSE"),
        ])
        .unwrap();
        assert!(!c.schemas_enable);
        assert_eq!(c.schemas_cache_size, 5);
        assert_eq!(c.decimal_format, DecimalFormat::Numeric);
        assert!(!c.replace_null_with_default);
    }

    #[test]
    fn reports_all_bad_keys() {
        let err = config(&[("schemas.enable", "yes"), ("decimal.format", "hex")]).unwrap_err();
        let ConfigError::Several(errors) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(errors.len(), 2);
        assert!(err.to_string().contains("decimal.format"), "{err}");
    }
}
