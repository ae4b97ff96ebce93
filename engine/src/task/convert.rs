//! The key and value converters of a connector, chosen as Kafka Connect chooses them: a
//! connector's `key.converter` / `value.converter` wins, configured with the connector's own
//! `key.converter.*` / `value.converter.*` keys; otherwise the worker's converter with the
//! worker's prefixed keys.
//!
//! Like Kafka Connect, every task gets converters of its own: [`RecordConverters`] is the
//! checked recipe, shared by a connector's tasks; [`RecordConverters::build`] makes a task's
//! converters on the task's shard. Nothing of a converter (its schema caches) is shared between
//! shards, so no lock on the record path is contended and no cache line moves between cores.

use converters::{Converter, ConverterClass, ConverterConfig, ConverterType};

use connect_api::config::{FieldError, Properties};
use connect_api::{ErrorClass, TaskError};

/// How to make a connector's key and value converters; checked once, built per task.
#[derive(Debug, Clone)]
pub struct RecordConverters {
    key: ConverterSpec,
    value: ConverterSpec,
}

#[derive(Debug, Clone)]
struct ConverterSpec {
    /// The config key naming it (`key.converter`), for messages.
    key: &'static str,
    class: ConverterClass,
    config: ConverterConfig,
}

impl ConverterSpec {
    fn build(&self) -> Result<Box<dyn Converter>, converters::ConfigError> {
        self.class.create(&self.config)
    }
}

/// One task's converters, made on its shard and used by it alone.
#[derive(Debug)]
pub struct TaskConverters {
    pub key: Box<dyn Converter>,
    pub value: Box<dyn Converter>,
}

impl RecordConverters {
    /// A task's own converters.
    pub fn build(&self) -> Result<TaskConverters, TaskError> {
        let one = |spec: &ConverterSpec| {
            spec.build().map_err(|e| {
                TaskError::with_source(ErrorClass::Config, format!("{}: {e}", spec.key), e)
            })
        };
        Ok(TaskConverters {
            key: one(&self.key)?,
            value: one(&self.value)?,
        })
    }
}

/// Builds both converters; every problem is reported against the key that causes it: an unknown
/// class against `key.converter` / `value.converter`, a bad setting against its full key
/// (`value.converter.schemas.enable`), so each message names what to fix.
pub fn build(
    worker: &Properties,
    connector: &Properties,
) -> Result<RecordConverters, Vec<FieldError>> {
    let key = one(worker, connector, "key.converter", ConverterType::Key);
    let value = one(worker, connector, "value.converter", ConverterType::Value);
    match (key, value) {
        (Ok(key), Ok(value)) => Ok(RecordConverters { key, value }),
        (key, value) => Err(key
            .err()
            .into_iter()
            .flatten()
            .chain(value.err().into_iter().flatten())
            .collect()),
    }
}

fn one(
    worker: &Properties,
    connector: &Properties,
    key: &'static str,
    ty: ConverterType,
) -> Result<ConverterSpec, Vec<FieldError>> {
    let own = |props: &Properties| {
        props
            .get(key)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    // As Kafka Connect: the connector's `value.converter.*` settings apply only with its own
    // `value.converter`; otherwise the worker's converter keeps the worker's settings.
    let (class, source) = match own(connector) {
        Some(class) => (class, connector),
        None => match own(worker) {
            Some(class) => (class, worker),
            // Kafka Connect's worker default.
            None => (
                "org.apache.kafka.connect.json.JsonConverter".to_owned(),
                worker,
            ),
        },
    };
    let prefix = format!("{key}.");
    let config = ConverterConfig::from_prefixed(source.iter(), &prefix, ty);
    let class = ConverterClass::lookup(&class).ok_or_else(|| {
        field_errors(
            key,
            &prefix,
            converters::ConfigError::UnknownConverter {
                class: class.clone(),
                known: converters::catalog::known_names(),
            },
        )
    })?;
    let spec = ConverterSpec { key, class, config };
    // Built once here so a bad setting is reported before any task starts.
    spec.build().map_err(|e| field_errors(key, &prefix, e))?;
    Ok(spec)
}

/// A converter's config error as field errors of the connector config: a setting's key gets its
/// prefix back, and every message says which connector key is wrong, in Kafka's `ConfigException`
/// wording.
fn field_errors(class_key: &str, prefix: &str, error: converters::ConfigError) -> Vec<FieldError> {
    use converters::ConfigError as E;
    let on_class = |class: &str, reason: String| FieldError {
        key: class_key.to_owned(),
        message: format!("Invalid value {class} for configuration {class_key}: {reason}"),
    };
    match error {
        E::InvalidValue { key, value, reason } => vec![FieldError {
            message: format!("Invalid value {value} for configuration {prefix}{key}: {reason}"),
            key: format!("{prefix}{key}"),
        }],
        E::Missing { key } => vec![FieldError {
            message: format!(
                "Missing required configuration \"{prefix}{key}\" which has no default value."
            ),
            key: format!("{prefix}{key}"),
        }],
        E::Several(errors) => errors
            .into_iter()
            .flat_map(|e| field_errors(class_key, prefix, e))
            .collect(),
        E::UnknownConverter { class, .. } => vec![on_class(
            &class,
            format!("Class {class} could not be found."),
        )],
        e @ E::NotAvailable(class) => vec![on_class(class, e.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn connector_converter_wins_with_its_own_settings() {
        let worker = props(&[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "true"),
        ]);
        let connector = props(&[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
        ]);
        let c = build(&worker, &connector).unwrap().build().unwrap();
        assert_eq!(
            c.key.class_name(),
            "org.apache.kafka.connect.storage.StringConverter"
        );
        assert!(format!("{:?}", c.value.wire_format()).contains("schemas_enable: false"));
    }

    #[test]
    fn unknown_converters_name_their_keys() {
        let errors = build(
            &props(&[]),
            &props(&[
                ("key.converter", "com.example.Nope"),
                ("value.converter", "Nope2"),
            ]),
        )
        .unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["key.converter", "value.converter"]);
        assert_eq!(
            errors[1].message,
            "Invalid value Nope2 for configuration value.converter: Class Nope2 could not be found."
        );
    }

    #[test]
    fn bad_settings_name_their_full_keys() {
        let errors = build(
            &props(&[]),
            &props(&[
                ("value.converter", "JsonConverter"),
                ("value.converter.schemas.enable", "perhaps"),
                ("value.converter.schemas.cache.size", "many"),
            ]),
        )
        .unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "value.converter.schemas.enable",
                "value.converter.schemas.cache.size"
            ]
        );
        assert_eq!(
            errors[0].message,
            "Invalid value perhaps for configuration value.converter.schemas.enable: Expected value to be either true or false"
        );
        assert_eq!(
            errors[1].message,
            "Invalid value many for configuration value.converter.schemas.cache.size: Not a number of type INT"
        );
    }

    #[test]
    fn connector_settings_without_its_own_class_are_the_workers_business() {
        let worker = props(&[(
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        )]);
        let connector = props(&[("value.converter.schemas.enable", "perhaps")]);
        assert!(build(&worker, &connector).is_ok());
    }
}
