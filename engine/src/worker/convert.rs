//! The key and value converters of a connector, chosen as Kafka Connect chooses them: a
//! connector's `key.converter` / `value.converter` wins, configured with the connector's own
//! `key.converter.*` / `value.converter.*` keys; otherwise the worker's converter with the
//! worker's prefixed keys.

use std::sync::Arc;

use converters::{Converter, ConverterConfig, ConverterType, registry};

use crate::config::{FieldError, Properties};

/// The converters one connector's tasks use. Shared by its tasks (converters are `Sync`).
#[derive(Debug, Clone)]
pub struct RecordConverters {
    pub key: Arc<dyn Converter>,
    pub value: Arc<dyn Converter>,
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
    key: &str,
    ty: ConverterType,
) -> Result<Arc<dyn Converter>, FieldError> {
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
    registry::create(&class, &config)
        .map(Arc::from)
        .map_err(|e| FieldError {
            key: key.to_owned(),
            message: e.to_string(),
        })
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
        let c = build(&worker, &connector).unwrap();
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
