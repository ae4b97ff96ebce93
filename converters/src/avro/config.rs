//! AvroConverter settings, with Confluent's keys and defaults (`AvroConverterConfig`,
//! `AbstractKafkaSchemaSerDeConfig`). The schema registry client's own keys
//! (`schema.registry.url`, `basic.auth.*`, `bearer.auth.*`, `schema.registry.*`) are read by
//! [`RegistryConfig::from_props`] from the same properties.

use registry_client::RegistryConfig;

use crate::converter::{ConverterConfig, ConverterType};
use crate::error::ConfigError;

/// Register the Connect schema's Avro schema under its subject when writing.
pub const AUTO_REGISTER_SCHEMAS_CONFIG: &str = "auto.register.schemas";
/// Write with the subject's latest registered schema (when `auto.register.schemas=false`).
pub const USE_LATEST_VERSION_CONFIG: &str = "use.latest.version";
/// How record keys' subjects are named.
pub const KEY_SUBJECT_NAME_STRATEGY_CONFIG: &str = "key.subject.name.strategy";
/// How record values' subjects are named.
pub const VALUE_SUBJECT_NAME_STRATEGY_CONFIG: &str = "value.subject.name.strategy";
/// How many Connect schemas each direction caches.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";

/// Confluent's default for `auto.register.schemas`.
pub const fn default_auto_register_schemas() -> bool {
    true
}

/// Confluent's default for `use.latest.version`.
pub const fn default_use_latest_version() -> bool {
    false
}

/// `AvroDataConfig`'s default for `schemas.cache.size`.
pub const fn default_schemas_cache_size() -> i32 {
    1000
}

/// How a subject is named (`*.subject.name.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (the default).
    #[default]
    TopicName,
    /// The fully-qualified name of the record; only records can be written.
    RecordName,
    /// `<topic>-<fully-qualified record name>`; only records can be written.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// Confluent's class name.
    pub const fn class_name(self) -> &'static str {
        match self {
            Self::TopicName => "io.confluent.kafka.serializers.subject.TopicNameStrategy",
            Self::RecordName => "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            Self::TopicRecordName => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// The strategy by class name or simple class name.
    pub fn lookup(name: &str) -> Option<Self> {
        let name = name.trim();
        [Self::TopicName, Self::RecordName, Self::TopicRecordName]
            .into_iter()
            .find(|s| {
                let full = s.class_name();
                name == full || Some(name) == full.rsplit('.').next()
            })
    }

    /// The subject for a record of `topic`; `record` is the full name of the schema's top-level
    /// record, `None` for other schemas (which the record strategies cannot name).
    pub fn subject(
        self,
        topic: &str,
        is_key: bool,
        record: Option<&str>,
    ) -> Result<String, String> {
        let record = || {
            record.ok_or_else(|| {
                let key = if is_key {
                    KEY_SUBJECT_NAME_STRATEGY_CONFIG
                } else {
                    VALUE_SUBJECT_NAME_STRATEGY_CONFIG
                };
                format!(
                    "In configuration {key} = {}, the message {} must only be a record schema",
                    self.class_name(),
                    if is_key { "key" } else { "value" }
                )
            })
        };
        Ok(match self {
            Self::TopicName => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            Self::RecordName => record()?.to_owned(),
            Self::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }

    /// Whether `subject` is this strategy's subject for `topic`, without building it.
    pub(crate) fn matches(
        self,
        subject: &str,
        topic: &str,
        is_key: bool,
        record: Option<&str>,
    ) -> bool {
        let suffix = |rest: &str| match self {
            Self::TopicName => rest == if is_key { "key" } else { "value" },
            _ => Some(rest) == record,
        };
        match self {
            Self::RecordName => Some(subject) == record,
            _ => subject
                .strip_prefix(topic)
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(suffix),
        }
    }
}

/// AvroConverter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroConverterConfig {
    /// How the converter is used (`converter.type`).
    pub converter_type: ConverterType,
    /// `auto.register.schemas`.
    pub auto_register_schemas: bool,
    /// `use.latest.version`; applies when `auto.register.schemas` is false, as in Confluent's
    /// serializer.
    pub use_latest_version: bool,
    /// `key.subject.name.strategy`.
    pub key_subject_name_strategy: SubjectNameStrategy,
    /// `value.subject.name.strategy`.
    pub value_subject_name_strategy: SubjectNameStrategy,
    /// `schemas.cache.size`: Connect schemas (and schema ids) cached per direction; at least one
    /// is always kept.
    pub schemas_cache_size: i32,
    /// The schema registry client's settings.
    pub registry: RegistryConfig,
}

impl AvroConverterConfig {
    /// Reads the settings; reports every bad key at once.
    pub fn from_config(config: &ConverterConfig) -> Result<Self, ConfigError> {
        let mut errors = Vec::new();
        let mut keep = |result: Result<bool, ConfigError>, fallback| {
            result.unwrap_or_else(|e| {
                errors.push(e);
                fallback
            })
        };
        let auto_register_schemas = keep(
            config.bool_or(
                AUTO_REGISTER_SCHEMAS_CONFIG,
                default_auto_register_schemas(),
            ),
            true,
        );
        let use_latest_version = keep(
            config.bool_or(USE_LATEST_VERSION_CONFIG, default_use_latest_version()),
            false,
        );
        let mut strategy = |key: &str| match config.string(key) {
            None => SubjectNameStrategy::TopicName,
            Some(name) => SubjectNameStrategy::lookup(name).unwrap_or_else(|| {
                errors.push(ConfigError::invalid(
                    key,
                    name,
                    "Class must be one of io.confluent.kafka.serializers.subject.\
                     {TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy}",
                ));
                SubjectNameStrategy::TopicName
            }),
        };
        let key_subject_name_strategy = strategy(KEY_SUBJECT_NAME_STRATEGY_CONFIG);
        let value_subject_name_strategy = strategy(VALUE_SUBJECT_NAME_STRATEGY_CONFIG);
        let schemas_cache_size = config
            .int_or(SCHEMAS_CACHE_SIZE_CONFIG, default_schemas_cache_size())
            .unwrap_or_else(|e| {
                errors.push(e);
                0
            });
        let registry = match RegistryConfig::from_props(config.props()) {
            Ok(registry) => Some(registry),
            Err(e) => {
                for field in e.errors {
                    let value = config.get(&field.key).unwrap_or_default();
                    errors.push(if value.trim().is_empty() {
                        ConfigError::Missing { key: field.key }
                    } else {
                        ConfigError::invalid(&field.key, value, field.message)
                    });
                }
                None
            }
        };
        match (errors.len(), registry) {
            (0, Some(registry)) => Ok(Self {
                converter_type: config.converter_type(),
                auto_register_schemas,
                use_latest_version,
                key_subject_name_strategy,
                value_subject_name_strategy,
                schemas_cache_size,
                registry,
            }),
            (1, _) => Err(errors.remove(0)),
            _ => Err(ConfigError::Several(errors)),
        }
    }

    /// Whether the converter handles record keys.
    pub fn is_key(&self) -> bool {
        self.converter_type == ConverterType::Key
    }

    /// The strategy for this converter's subjects.
    pub fn strategy(&self) -> SubjectNameStrategy {
        if self.is_key() {
            self.key_subject_name_strategy
        } else {
            self.value_subject_name_strategy
        }
    }

    pub(crate) fn cache_capacity(&self) -> usize {
        usize::try_from(self.schemas_cache_size).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(props: &[(&str, &str)]) -> Result<AvroConverterConfig, ConfigError> {
        AvroConverterConfig::from_config(&ConverterConfig::new(
            props.iter().copied(),
            ConverterType::Value,
        ))
    }

    #[test]
    fn defaults_match_confluent() {
        let c = config(&[("schema.registry.url", "http://a:8081,http://b:8081")]).unwrap();
        assert!(c.auto_register_schemas);
        assert!(!c.use_latest_version);
        assert_eq!(c.strategy(), SubjectNameStrategy::TopicName);
        assert_eq!(c.schemas_cache_size, 1000);
        assert_eq!(c.registry.endpoints.len(), 2);
    }

    #[test]
    fn reads_every_key_and_passes_registry_keys_through() {
        let c = config(&[
            ("schema.registry.url", "http://a:8081"),
            ("auto.register.schemas", "false"),
            ("use.latest.version", "TRUE"),
            ("value.subject.name.strategy", "RecordNameStrategy"),
            (
                "key.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
            ),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "u:p"),
            ("schema.registry.request.timeout.ms", "1500"),
        ])
        .unwrap();
        assert!(!c.auto_register_schemas && c.use_latest_version);
        assert_eq!(
            c.value_subject_name_strategy,
            SubjectNameStrategy::RecordName
        );
        assert_eq!(
            c.key_subject_name_strategy,
            SubjectNameStrategy::TopicRecordName
        );
        assert_eq!(c.registry.request_timeout.as_millis(), 1500);
        assert!(matches!(
            c.registry.endpoints[0].auth,
            registry_client::Auth::Basic { .. }
        ));
    }

    #[test]
    fn reports_all_bad_keys() {
        let err = config(&[]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing {
                key: "schema.registry.url".into()
            }
        );
        let err = config(&[
            ("schema.registry.url", "ftp://x"),
            ("auto.register.schemas", "yes"),
            ("value.subject.name.strategy", "Nope"),
        ])
        .unwrap_err();
        let ConfigError::Several(errors) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(errors.len(), 3, "{err}");
    }

    #[test]
    fn subjects() {
        use SubjectNameStrategy::*;
        assert_eq!(TopicName.subject("t", true, None).unwrap(), "t-key");
        assert_eq!(TopicName.subject("t", false, None).unwrap(), "t-value");
        assert_eq!(RecordName.subject("t", false, Some("a.B")).unwrap(), "a.B");
        assert_eq!(
            TopicRecordName.subject("t", false, Some("a.B")).unwrap(),
            "t-a.B"
        );
        let err = RecordName.subject("t", false, None).unwrap_err();
        assert!(err.contains("must only be a record schema"), "{err}");
        for strategy in [TopicName, RecordName, TopicRecordName] {
            for key in [true, false] {
                let subject = strategy.subject("t-1", key, Some("a.B")).unwrap();
                assert!(strategy.matches(&subject, "t-1", key, Some("a.B")));
                assert!(!strategy.matches(&subject, "t", key, Some("a.C")));
            }
        }
    }
}
