//! The keys every connector config has (`name`, `connector.class`, `tasks.max`, converters,
//! `topics` / `topics.regex` for sinks), checked together with the plugin's own keys.

use crate::config::{
    Config, ConfigDef, ConfigErrors, ConfigKey, ConfigType, FieldError, Importance, Properties,
    Validator,
};
use crate::connector::ConnectorType;
use crate::connectors::{self, Plugin};

use super::convert::RecordConverters;
use super::errors::ErrorPolicy;

pub const NAME: &str = "name";
pub const CONNECTOR_CLASS: &str = "connector.class";
pub const TASKS_MAX: &str = "tasks.max";
pub const TOPICS: &str = "topics";
pub const TOPICS_REGEX: &str = "topics.regex";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";

pub fn common_def(kind: ConnectorType) -> ConfigDef {
    let mut keys = vec![
        ConfigKey::required(
            NAME,
            ConfigType::String,
            "Globally unique name to use for this connector.",
        )
        .validate(Validator::NonEmpty),
        ConfigKey::required(
            CONNECTOR_CLASS,
            ConfigType::String,
            "Name or alias of the class for this connector.",
        ),
        ConfigKey::optional(
            TASKS_MAX,
            ConfigType::Int,
            "1",
            "Maximum number of tasks to use for this connector.",
        )
        .importance(Importance::High)
        .validate(Validator::Range {
            min: 1,
            max: 10_000,
        }),
        ConfigKey::optional(
            KEY_CONVERTER,
            ConfigType::Class,
            "",
            "Converter for keys; the worker's when unset.",
        ),
        ConfigKey::optional(
            VALUE_CONVERTER,
            ConfigType::Class,
            "",
            "Converter for values; the worker's when unset.",
        ),
    ];
    if kind == ConnectorType::Sink {
        keys.push(ConfigKey::optional(
            TOPICS,
            ConfigType::List,
            "",
            "List of topics to consume.",
        ));
        keys.push(ConfigKey::optional(
            TOPICS_REGEX,
            ConfigType::String,
            "",
            "Regex of topics to consume.",
        ));
    }
    ConfigDef::new(keys)
}

/// A connector config that passed validation.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub name: String,
    pub plugin: &'static Plugin,
    pub config: Config,
    pub props: Properties,
    pub converters: RecordConverters,
    pub errors: ErrorPolicy,
}

/// Validates a connector config against the common keys, the plugin's keys and cross-field
/// rules; reports every bad field at once.
pub fn validate(
    props: &Properties,
    worker_props: &Properties,
) -> Result<ConnectorConfig, ConfigErrors> {
    let name = props.get(NAME).cloned().unwrap_or_default();
    let subject = format!("connector {name}");
    let class = props.get(CONNECTOR_CLASS).map(String::as_str).unwrap_or("");
    let Some(plugin) = connectors::find(class) else {
        let mut errors = common_def(ConnectorType::Source).field_errors(props);
        errors.retain(|e| e.key != CONNECTOR_CLASS);
        errors.push(FieldError {
            key: CONNECTOR_CLASS.to_owned(),
            message: format!(
                "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
                connectors::plugins().iter().map(|p| p.class).collect::<Vec<_>>().join(", ")
            ),
        });
        return Err(ConfigErrors { subject, errors });
    };
    let def = common_def(plugin.kind).extend(&(plugin.connector)().config_def());
    let mut errors = def.field_errors(props);
    errors.extend(crate::transforms::TransformChain::validate(props));
    let converters = match super::convert::build(worker_props, props) {
        Ok(c) => Some(c),
        Err(bad) => {
            errors.extend(bad);
            None
        }
    };
    if plugin.kind == ConnectorType::Sink {
        let topics = props
            .get(TOPICS)
            .map(|t| !t.trim().is_empty())
            .unwrap_or(false);
        let regex = props
            .get(TOPICS_REGEX)
            .map(|t| !t.trim().is_empty())
            .unwrap_or(false);
        let conflict = match (topics, regex) {
            (true, true) => {
                Some("topics and topics.regex are mutually exclusive options, but both are set.")
            }
            (false, false) => Some("Must configure one of topics or topics.regex"),
            _ => None,
        };
        // Kafka Connect reports the conflict on both keys.
        if let Some(message) = conflict {
            for key in [TOPICS, TOPICS_REGEX] {
                errors.push(FieldError {
                    key: key.to_owned(),
                    message: message.to_owned(),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors { subject, errors });
    }
    let config = def.parse(&subject, props)?;
    let (Some(converters), true) = (converters, errors.is_empty()) else {
        return Err(ConfigErrors { subject, errors });
    };
    Ok(ConnectorConfig {
        name,
        plugin,
        errors: ErrorPolicy::from_config(&config),
        config,
        props: props.clone(),
        converters,
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

    fn worker() -> Properties {
        props(&[
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
        ])
    }

    #[test]
    fn kafka_connect_file_source_config_is_accepted() {
        let c = validate(
            &props(&[
                ("name", "local-file-source"),
                ("connector.class", "FileStreamSource"),
                ("tasks.max", "1"),
                ("file", "test.txt"),
                ("topic", "connect-test"),
            ]),
            &worker(),
        )
        .unwrap();
        assert_eq!(
            c.plugin.class,
            "org.apache.kafka.connect.file.FileStreamSourceConnector"
        );
        assert_eq!(c.config.int("batch.size"), Some(2000));
    }

    #[test]
    fn sink_needs_exactly_one_of_topics_and_regex() {
        let base = [
            ("name", "s"),
            (
                "connector.class",
                "org.apache.kafka.connect.file.FileStreamSinkConnector",
            ),
        ];
        let err = validate(&props(&base), &worker()).unwrap_err();
        assert_eq!(
            err.errors[0].message,
            "Must configure one of topics or topics.regex"
        );
        let mut both = base.to_vec();
        both.extend([("topics", "a"), ("topics.regex", "a.*")]);
        assert!(validate(&props(&both), &worker()).is_err());
    }

    #[test]
    fn unknown_class_and_bad_fields_are_reported_together() {
        let err = validate(
            &props(&[("connector.class", "NoSuchConnector"), ("tasks.max", "0")]),
            &worker(),
        )
        .unwrap_err();
        let keys: Vec<_> = err.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["name", "tasks.max", "connector.class"]);
    }
}
