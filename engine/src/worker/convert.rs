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

use crate::config::{FieldError, Properties};
use crate::connector::{ErrorClass, TaskError};

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

/// Builds both converters; every problem is reported against the key that causes it.
pub fn build(
    worker: &Properties,
    connector: &Properties,
) -> Result<RecordConverters, Vec<FieldError>> {
    let key = one(worker, connector, "key.converter", ConverterType::Key);
    let value = one(worker, connector, "value.converter", ConverterType::Value);
    match (key, value) {
        (Ok(key), Ok(value)) => Ok(RecordConverters { key, value }),
        (key, value) => Err(key.err().into_iter().chain(value.err()).collect()),
    }
}

fn one(
    worker: &Properties,
    connector: &Properties,
    key: &'static str,
    ty: ConverterType,
) -> Result<ConverterSpec, FieldError> {
    let own = |props: &Properties| {
        props
            .get(key)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
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
    let config = ConverterConfig::from_prefixed(source.iter(), &format!("{key}."), ty);
    let field_error = |message: String| FieldError {
        key: key.to_owned(),
        message,
    };
    let class = ConverterClass::lookup(&class).ok_or_else(|| {
        field_error(converters::ConfigError::UnknownConverter(class.clone()).to_string())
    })?;
    let spec = ConverterSpec { key, class, config };
    // Built once here so a bad setting is reported before any task starts.
    spec.build().map_err(|e| field_error(e.to_string()))?;
    Ok(spec)
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
    }
}
