//! The keys every connector config has (`name`, `connector.class`, `tasks.max`, converters,
//! `topics` / `topics.regex` for sinks, `errors.*`, `wharf.task.restart.*`), checked together
//! with the plugin's own keys, the converters' settings and the transforms.
//!
//! Kafka Connect's own keys come from [`framework_keys`], the definitions its REST API lists, so
//! the type, default and allowed values that validate a key are the ones the docs and the
//! `/connector-plugins/{p}/config` form show. A framework key wharf accepts but does not act on
//! (`header.converter`, `exactly.once.support`, ...) is still checked against its type and allowed
//! values, so `POST /connectors` refuses what `PUT .../config/validate` reports.

use crate::keys::connector as framework_keys;
use crate::plugins::{ConnectorPlugin, Plugins};
use connect_api::ConnectorType;
use connect_api::config::providers::{self, ConfigProviders};
use connect_api::config::{
    Config, ConfigDef, ConfigErrors, ConfigKey, FieldError, Properties, Validator,
};

use crate::task::convert::{self, RecordConverters};
use crate::task::errors::{self, ErrorPolicy};
use crate::task::supervisor::{self, RestartPolicy};

pub const NAME: &str = "name";
pub const CONNECTOR_CLASS: &str = "connector.class";
pub const TASKS_MAX: &str = "tasks.max";
pub const TOPICS: &str = "topics";
pub const TOPICS_REGEX: &str = "topics.regex";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";

/// Most tasks one connector may ask for. Kafka Connect sets no upper bound; wharf refuses a
/// number that can only be a typo.
const MAX_TASKS: i64 = 10_000;

/// Kafka Connect's definition of the key `name`, as a spec key.
fn framework(kind: ConnectorType, name: &str) -> Option<ConfigKey> {
    framework_keys::keys(kind)
        .find(|k| k.name == name)
        .map(framework_keys::FrameworkKey::spec)
}

/// The keys wharf itself reads from every connector config of `kind`, in the order the docs
/// list them.
pub fn common_def(kind: ConnectorType) -> ConfigDef {
    // `transforms` and `predicates` are checked further by the transform chain.
    let mut names = vec![
        NAME,
        CONNECTOR_CLASS,
        TASKS_MAX,
        KEY_CONVERTER,
        VALUE_CONVERTER,
        "transforms",
        "predicates",
    ];
    if kind == ConnectorType::Sink {
        names.extend([TOPICS, TOPICS_REGEX]);
    }
    let mut keys: Vec<ConfigKey> = names
        .into_iter()
        .filter_map(|name| framework(kind, name))
        .map(|key| match key.name {
            // Kafka Connect's `nonEmptyStringWithoutControlChars`, as far as wharf checks it.
            NAME => key.validate(Validator::NonEmpty),
            TASKS_MAX => key.validate(Validator::Range {
                min: 1,
                max: MAX_TASKS,
            }),
            _ => key,
        })
        .collect();
    keys.extend(errors::keys());
    keys.extend(supervisor::keys());
    ConfigDef::new(keys)
}

/// Kafka Connect's other keys of a connector of `kind` (those not in `checked`): accepted,
/// checked for type and allowed values, not acted on.
pub fn accepted_def(kind: ConnectorType, checked: &ConfigDef) -> ConfigDef {
    ConfigDef::new(
        framework_keys::keys(kind)
            .filter(|k| checked.key(k.name).is_none())
            .map(framework_keys::FrameworkKey::spec),
    )
}

/// A connector config that passed validation. Its `Debug` shows the name and class only: the
/// resolved config holds secrets.
#[derive(Clone)]
pub struct ConnectorConfig {
    pub name: String,
    pub plugin: ConnectorPlugin,
    /// The common and plugin keys, validated, with defaults filled in.
    pub config: Config,
    /// The config with its config provider placeholders resolved: what the connector plans
    /// its tasks from and its clients are configured with. Never shown.
    pub props: Properties,
    /// The config as given, placeholders and all: what REST shows and the config topic holds.
    pub raw: Properties,
    pub converters: RecordConverters,
    pub errors: ErrorPolicy,
    pub restart: RestartPolicy,
}

impl std::fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorConfig")
            .field("name", &self.name)
            .field("class", &self.plugin.class)
            .finish_non_exhaustive()
    }
}

/// The key Kafka Connect's worker adds to each task config: the task's class.
pub const TASK_CLASS: &str = "task.class";

/// Kafka Connect's `task.class` of a plugin's tasks: `...Connector` becomes `...Task`.
pub fn task_class(connector_class: &str) -> String {
    let stem = connector_class
        .strip_suffix("Connector")
        .unwrap_or(connector_class);
    format!("{stem}Task")
}

impl ConnectorConfig {
    /// The task configs a worker writes to the config topic, as Kafka Connect's
    /// `Worker.connectorTaskConfigs` makes them: the connector's own (`task_configs` for at most
    /// `tasks.max` tasks), each with `task.class` and, for a sink, the connector's `topics` /
    /// `topics.regex`. A Java worker refuses to start a task whose config lacks `task.class`.
    pub fn worker_task_configs(&self) -> Vec<Properties> {
        let max = self
            .config
            .int(TASKS_MAX)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(1);
        let class = task_class(self.plugin.class);
        let mut planned = (self.plugin.connector)().task_configs(&self.props, max);
        providers::reverse(&self.raw, &mut planned);
        planned
            .into_iter()
            .map(|mut task| {
                task.insert(TASK_CLASS.to_owned(), class.clone());
                if self.plugin.kind == ConnectorType::Sink {
                    for key in [TOPICS, TOPICS_REGEX] {
                        if let Some(v) = self.raw.get(key).filter(|v| !v.trim().is_empty()) {
                            task.insert(key.to_owned(), v.clone());
                        }
                    }
                }
                task
            })
            .collect()
    }
}

/// Kafka Connect's `Map.toString()` of a config, for its messages; secrets read `[hidden]`.
fn java_map(props: &Properties) -> String {
    let pairs: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::keys::secrets::shown(k, v)))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// What is wrong with `connector.class` when it names no plugin.
fn class_error(plugins: &Plugins, props: &Properties) -> FieldError {
    let message = match props.get(CONNECTOR_CLASS) {
        None => format!(
            "Connector config {} contains no connector type: Missing required configuration \"{CONNECTOR_CLASS}\" which has no default value.",
            java_map(props)
        ),
        Some(class) => format!(
            "Invalid value {class} for configuration {CONNECTOR_CLASS}: Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
            plugins
                .connectors()
                .iter()
                .map(|p| p.class)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    FieldError {
        key: CONNECTOR_CLASS.to_owned(),
        message,
    }
}

/// Validates a connector config against the common keys, the plugin's keys, the converters'
/// settings and cross-field rules; reports every bad field at once.
pub fn validate(
    plugins: &Plugins,
    raw: &Properties,
    worker_props: &Properties,
) -> Result<ConnectorConfig, ConfigErrors> {
    let name = raw.get(NAME).cloned().unwrap_or_default();
    let subject = format!("connector {name}");
    // Config provider placeholders are resolved first: the config is checked (and used) with
    // the values they stand for, as Kafka Connect's `validateConnectorConfig` does.
    let resolved = ConfigProviders::from_worker(worker_props)
        .and_then(|providers| providers.resolve(raw))
        .map_err(|e| ConfigErrors {
            subject: subject.clone(),
            errors: vec![FieldError {
                key: e.key,
                message: e.message,
            }],
        })?;
    let props = &resolved;
    let class = props.get(CONNECTOR_CLASS).map(String::as_str).unwrap_or("");
    let Some(plugin) = plugins.connector(class).copied() else {
        let common = common_def(ConnectorType::Source);
        let mut errors = common.field_errors(props);
        errors.retain(|e| e.key != CONNECTOR_CLASS);
        errors.push(class_error(plugins, raw));
        return Err(ConfigErrors { subject, errors });
    };
    let def = common_def(plugin.kind).extend(&(plugin.connector)().config_def());
    let mut errors = def.field_errors(props);
    errors.extend(accepted_def(plugin.kind, &def).field_errors(props));
    errors.extend(transforms::TransformChain::validate(props));
    let converters = convert::build(worker_props, props)
        .map_err(|bad| errors.extend(bad))
        .ok();
    if plugin.kind == ConnectorType::Sink {
        errors.extend(topic_errors(props));
    }
    if plugin.kind == ConnectorType::Source {
        errors.extend(crate::task::exactly_once::check_connector(
            props,
            worker_props,
            &*(plugin.connector)(),
        ));
    }
    // `parse` fails on exactly the field errors collected above.
    let Ok(config) = def.parse(&subject, props) else {
        return Err(ConfigErrors { subject, errors });
    };
    let error_policy = ErrorPolicy::from_config(&config)
        .map_err(|bad| errors.extend(bad))
        .ok();
    let restart = RestartPolicy::from_config(&config)
        .map_err(|bad| errors.extend(bad))
        .ok();
    match (converters, error_policy, restart) {
        (Some(converters), Some(error_policy), Some(restart)) if errors.is_empty() => {
            Ok(ConnectorConfig {
                name,
                plugin,
                config,
                props: resolved.clone(),
                raw: raw.clone(),
                converters,
                errors: error_policy,
                restart,
            })
        }
        _ => Err(ConfigErrors { subject, errors }),
    }
}

/// A sink reads `topics` or `topics.regex`, exactly one of them; Kafka Connect reports a
/// conflict on both keys.
fn topic_errors(props: &Properties) -> Vec<FieldError> {
    let set = |key: &str| props.get(key).is_some_and(|t| !t.trim().is_empty());
    let message = match (set(TOPICS), set(TOPICS_REGEX)) {
        (true, true) => "topics and topics.regex are mutually exclusive options, but both are set.",
        (false, false) => "Must configure one of topics or topics.regex",
        _ => return Vec::new(),
    };
    [TOPICS, TOPICS_REGEX]
        .into_iter()
        .map(|key| FieldError {
            key: key.to_owned(),
            message: message.to_owned(),
        })
        .collect()
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
            &Plugins::builtin(),
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
        let err = validate(&Plugins::builtin(), &props(&base), &worker()).unwrap_err();
        assert_eq!(
            err.errors[0].message,
            "Must configure one of topics or topics.regex"
        );
        let mut both = base.to_vec();
        both.extend([("topics", "a"), ("topics.regex", "a.*")]);
        assert!(validate(&Plugins::builtin(), &props(&both), &worker()).is_err());
    }

    #[test]
    fn unknown_class_and_bad_fields_are_reported_together() {
        let err = validate(
            &Plugins::builtin(),
            &props(&[("connector.class", "NoSuchConnector"), ("tasks.max", "0")]),
            &worker(),
        )
        .unwrap_err();
        let keys: Vec<_> = err.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["name", "tasks.max", "connector.class"]);
    }

    fn file_source(extra: &[(&str, &str)]) -> Properties {
        let mut p = props(&[
            ("name", "src"),
            ("connector.class", "FileStreamSource"),
            ("topic", "t"),
        ]);
        p.extend(props(extra));
        p
    }

    /// The single error of `extra` on top of a good file source config.
    fn only_error(extra: &[(&str, &str)]) -> FieldError {
        let err = validate(&Plugins::builtin(), &file_source(extra), &worker()).unwrap_err();
        assert_eq!(err.errors.len(), 1, "{err}");
        err.errors[0].clone()
    }

    #[test]
    fn errors_keys_are_validated_with_kafka_connect_messages() {
        let e = only_error(&[("errors.tolerance", "bogus")]);
        assert_eq!(e.key, "errors.tolerance");
        assert_eq!(
            e.message,
            "Invalid value bogus for configuration errors.tolerance: String must be one of: none, all"
        );
        // Kafka Connect's `ValidString.in` is exact.
        assert_eq!(
            only_error(&[("errors.tolerance", "ALL")]).key,
            "errors.tolerance"
        );
        let e = only_error(&[("errors.retry.timeout", "abc")]);
        assert_eq!(
            e.message,
            "Invalid value abc for configuration errors.retry.timeout: Not a number of type LONG"
        );
        assert_eq!(
            only_error(&[("errors.retry.delay.max.ms", "1.5")]).key,
            "errors.retry.delay.max.ms"
        );
        assert_eq!(
            only_error(&[("errors.log.enable", "yes")]).message,
            "Invalid value yes for configuration errors.log.enable: Expected value to be either true or false"
        );
        assert_eq!(
            only_error(&[("errors.log.include.messages", "1")]).key,
            "errors.log.include.messages"
        );
        assert_eq!(
            only_error(&[("errors.deadletterqueue.topic.replication.factor", "70000")]).message,
            "Invalid value 70000 for configuration errors.deadletterqueue.topic.replication.factor: Not a number of type SHORT"
        );
        assert_eq!(
            only_error(&[("errors.deadletterqueue.context.headers.enable", "on")]).key,
            "errors.deadletterqueue.context.headers.enable"
        );
    }

    #[test]
    fn policies_come_from_the_validated_config() {
        let c = validate(&Plugins::builtin(), &file_source(&[]), &worker()).unwrap();
        assert!(!c.errors.tolerate_all);
        assert_eq!(c.errors.retry_timeout, Some(std::time::Duration::ZERO));
        assert_eq!(c.errors.dlq_replication_factor, 3);
        assert!(c.restart.enabled);
        assert_eq!(c.restart.initial, std::time::Duration::from_secs(1));
        let c = validate(
            &Plugins::builtin(),
            &file_source(&[
                ("errors.tolerance", " all "),
                ("errors.retry.timeout", "-1"),
                ("errors.deadletterqueue.topic.name", "dlq"),
                ("wharf.task.restart.enable", "FALSE"),
                ("wharf.task.restart.backoff.max.ms", "500"),
            ]),
            &worker(),
        )
        .unwrap();
        assert!(c.errors.tolerate_all);
        assert_eq!(c.errors.retry_timeout, None);
        assert_eq!(c.errors.dlq_topic.as_deref(), Some("dlq"));
        assert!(!c.restart.enabled);
        assert_eq!(c.restart.max, std::time::Duration::from_millis(500));
    }

    #[test]
    fn restart_keys_are_validated() {
        let e = only_error(&[("wharf.task.restart.backoff.initial.ms", "-5")]);
        assert_eq!(e.key, "wharf.task.restart.backoff.initial.ms");
        assert_eq!(
            e.message,
            "Invalid value -5 for configuration wharf.task.restart.backoff.initial.ms: Value must be at least 0"
        );
        assert_eq!(
            only_error(&[("wharf.task.restart.enable", "sometimes")]).key,
            "wharf.task.restart.enable"
        );
        assert_eq!(
            only_error(&[("wharf.task.restart.backoff.max.ms", "forever")]).key,
            "wharf.task.restart.backoff.max.ms"
        );
    }

    #[test]
    fn framework_keys_wharf_does_not_act_on_are_still_checked() {
        assert_eq!(
            only_error(&[("config.action.reload", "bogus")]).message,
            "Invalid value bogus for configuration config.action.reload: String must be one of: none, restart"
        );
        assert_eq!(
            only_error(&[("tasks.max.enforce", "maybe")]).key,
            "tasks.max.enforce"
        );
        // `CaseInsensitiveValidString` in Kafka Connect; `required` needs a worker that runs
        // sources exactly once, as Kafka Connect's preflight check does.
        let mut exactly_once = worker();
        exactly_once.insert("exactly.once.source.support".into(), "enabled".into());
        assert!(
            validate(
                &Plugins::builtin(),
                &file_source(&[
                    ("exactly.once.support", "REQUIRED"),
                    ("file", "/data/in.txt")
                ]),
                &exactly_once
            )
            .is_ok()
        );
        // Standard input cannot be read again: the file source says it cannot.
        let stdin = validate(
            &Plugins::builtin(),
            &file_source(&[("exactly.once.support", "required")]),
            &exactly_once,
        )
        .unwrap_err();
        assert_eq!(stdin.errors[0].key, "exactly.once.support");
        let refused = validate(
            &Plugins::builtin(),
            &file_source(&[("exactly.once.support", "required")]),
            &worker(),
        )
        .unwrap_err();
        assert_eq!(refused.errors[0].key, "exactly.once.support");
    }

    #[test]
    fn a_missing_connector_class_is_named() {
        let err = validate(&Plugins::builtin(), &props(&[("name", "x")]), &worker()).unwrap_err();
        assert_eq!(err.errors.len(), 1);
        assert_eq!(err.errors[0].key, "connector.class");
        assert_eq!(
            err.errors[0].message,
            "Connector config {name=x} contains no connector type: Missing required configuration \"connector.class\" which has no default value."
        );
        let err = validate(
            &Plugins::builtin(),
            &props(&[("name", "x"), ("connector.class", "Nope")]),
            &worker(),
        )
        .unwrap_err();
        assert!(
            err.errors[0].message.starts_with(
                "Invalid value Nope for configuration connector.class: Failed to find any class"
            ),
            "{err}"
        );
    }

    #[test]
    fn converter_settings_are_validated_with_the_connector() {
        let e = only_error(&[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "perhaps"),
        ]);
        assert_eq!(e.key, "value.converter.schemas.enable");
        assert_eq!(
            e.message,
            "Invalid value perhaps for configuration value.converter.schemas.enable: Expected value to be either true or false"
        );
        let e = only_error(&[("value.converter", "com.example.NoSuchConverter")]);
        assert_eq!(e.key, "value.converter");
        assert_eq!(
            e.message,
            "Invalid value com.example.NoSuchConverter for configuration value.converter: Class com.example.NoSuchConverter could not be found."
        );
    }

    #[test]
    fn every_common_key_is_documented_with_kafka_connect_definitions() {
        let def = common_def(ConnectorType::Sink);
        let tolerance = def.key("errors.tolerance").unwrap();
        assert_eq!(tolerance.group, Some("Error Handling"));
        assert!(tolerance.doc.starts_with("Behavior for tolerating errors"));
        for key in [
            "errors.retry.timeout",
            "errors.retry.delay.max.ms",
            "errors.log.enable",
            "errors.log.include.messages",
            "errors.deadletterqueue.topic.name",
            "errors.deadletterqueue.topic.replication.factor",
            "errors.deadletterqueue.context.headers.enable",
            "wharf.task.restart.enable",
            "wharf.task.restart.backoff.initial.ms",
            "wharf.task.restart.backoff.max.ms",
        ] {
            assert!(def.key(key).is_some(), "{key}");
            assert!(
                common_def(ConnectorType::Source).key(key).is_some(),
                "{key}"
            );
        }
    }
}
