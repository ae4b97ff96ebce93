//! Kafka Connect 4.3.1's own keys of a connector config — `ConnectorConfig.configDef()` and what
//! `SinkConnectorConfig` / `SourceConnectorConfig` add — with the names, types, defaults, groups,
//! orders, widths and docs its REST API lists, so `GET /connector-plugins/{p}/config` and
//! `PUT .../config/validate` show clients (Kafka UI, kcctl, Terraform providers) the same form.
//! Taken from the 4.3.1 jars (`AbstractHerder.convertConfigKey` of each key).
//!
//! wharf checks most of these itself (`worker::connector_config`); [`FrameworkKey::spec`] covers
//! the type and allowed values of the rest, so validation reports them the same way.

use serde_json::{Value, json};

use connect_api::ConnectorType;
use connect_api::config::{ConfigKey, ConfigType, Importance, Validator};

/// One key as Kafka Connect defines it.
#[derive(Debug, Clone, Copy)]
pub struct FrameworkKey {
    pub name: &'static str,
    pub ty: ConfigType,
    pub required: bool,
    /// The default as text; `None` is Kafka Connect's `null` default.
    pub default: Option<&'static str>,
    pub importance: Importance,
    pub doc: &'static str,
    pub group: &'static str,
    pub order_in_group: i32,
    pub width: &'static str,
    pub display_name: &'static str,
    /// The values Kafka Connect's `ValidString.in` (or `CaseInsensitiveValidString.in`) allows.
    pub one_of: Option<Validator>,
}

impl FrameworkKey {
    /// Kafka Connect's `ConfigKeyInfo` JSON.
    pub fn info_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.ty.rest_name(),
            "required": self.required,
            "default_value": self.default,
            "importance": self.importance.rest_name(),
            "documentation": self.doc,
            "group": self.group,
            "order_in_group": self.order_in_group,
            "width": self.width,
            "display_name": self.display_name,
            "dependents": [],
        })
    }

    /// The key as a wharf spec key: type, default, allowed values, importance, group and order,
    /// so parsing, validation and the docs read the same definition the REST API lists.
    pub fn spec(&self) -> ConfigKey {
        let key = match self.default {
            Some(default) => ConfigKey::optional(self.name, self.ty, default, self.doc),
            None if self.required => ConfigKey::required(self.name, self.ty, self.doc),
            None => ConfigKey::optional(self.name, self.ty, "", self.doc),
        }
        .importance(self.importance)
        .group(self.group)
        .order(self.order_in_group)
        .display(self.display_name);
        match self.one_of {
            Some(validator) => key.validate(validator),
            None => key,
        }
    }
}

/// `ConfigKeyInfo` JSON of a plugin's own key; keys defined without a group or order read as
/// Kafka Connect's do (`null`, -1).
pub fn plugin_key_json(key: &ConfigKey) -> Value {
    json!({
        "name": key.name,
        "type": key.ty.rest_name(),
        "required": key.default.is_none(),
        "default_value": key.default,
        "importance": key.importance.rest_name(),
        "documentation": key.doc,
        "group": key.group,
        "order_in_group": key.order_in_group.unwrap_or(-1),
        "width": "NONE",
        "display_name": key.display_name.unwrap_or(key.name),
        "dependents": [],
    })
}

/// Kafka Connect's keys of a sink or source connector, in its order.
pub fn keys(kind: ConnectorType) -> impl Iterator<Item = &'static FrameworkKey> {
    let extra = match kind {
        ConnectorType::Sink => SINK,
        ConnectorType::Source => SOURCE,
    };
    COMMON.iter().chain(extra)
}

/// The groups of [`keys`], in Kafka Connect's order.
pub fn groups(kind: ConnectorType) -> &'static [&'static str] {
    match kind {
        ConnectorType::Sink => &["Common", "Transforms", "Predicates", "Error Handling"],
        ConnectorType::Source => &[
            "Common",
            "Transforms",
            "Predicates",
            "Error Handling",
            "Topic Creation",
            "Exactly Once Support",
            "offsets.topic",
        ],
    }
}

/// `ConnectorConfig.configDef()`: the keys of every connector.
pub const COMMON: &[FrameworkKey] = &[
    FrameworkKey {
        name: "name",
        ty: ConfigType::String,
        required: true,
        default: None,
        importance: Importance::High,
        doc: "Globally unique name to use for this connector.",
        group: "Common",
        order_in_group: 1,
        width: "MEDIUM",
        display_name: "Connector name",
        one_of: None,
    },
    FrameworkKey {
        name: "connector.class",
        ty: ConfigType::String,
        required: true,
        default: None,
        importance: Importance::High,
        doc: "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter",
        group: "Common",
        order_in_group: 2,
        width: "LONG",
        display_name: "Connector class",
        one_of: None,
    },
    FrameworkKey {
        name: "connector.plugin.version",
        ty: ConfigType::String,
        required: false,
        default: None,
        importance: Importance::Medium,
        doc: "Version of the connector.",
        group: "Common",
        order_in_group: 3,
        width: "MEDIUM",
        display_name: "Connector version",
        one_of: None,
    },
    FrameworkKey {
        name: "tasks.max",
        ty: ConfigType::Int,
        required: false,
        default: Some("1"),
        importance: Importance::High,
        doc: "Maximum number of tasks to use for this connector.",
        group: "Common",
        order_in_group: 4,
        width: "SHORT",
        display_name: "Tasks max",
        one_of: None,
    },
    FrameworkKey {
        name: "tasks.max.enforce",
        ty: ConfigType::Boolean,
        required: false,
        default: Some("true"),
        importance: Importance::Low,
        doc: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release.",
        group: "Common",
        order_in_group: 5,
        width: "SHORT",
        display_name: "Enforce tasks max",
        one_of: None,
    },
    FrameworkKey {
        name: "key.converter",
        ty: ConfigType::Class,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.",
        group: "Common",
        order_in_group: 6,
        width: "SHORT",
        display_name: "Key converter class",
        one_of: None,
    },
    FrameworkKey {
        name: "key.converter.plugin.version",
        ty: ConfigType::String,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "Version of the key converter.",
        group: "Common",
        order_in_group: 7,
        width: "SHORT",
        display_name: "Key converter version",
        one_of: None,
    },
    FrameworkKey {
        name: "value.converter",
        ty: ConfigType::Class,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.",
        group: "Common",
        order_in_group: 8,
        width: "SHORT",
        display_name: "Value converter class",
        one_of: None,
    },
    FrameworkKey {
        name: "value.converter.plugin.version",
        ty: ConfigType::String,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "Version of the value converter.",
        group: "Common",
        order_in_group: 9,
        width: "SHORT",
        display_name: "Value converter version",
        one_of: None,
    },
    FrameworkKey {
        name: "header.converter",
        ty: ConfigType::Class,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.",
        group: "Common",
        order_in_group: 10,
        width: "SHORT",
        display_name: "Header converter class",
        one_of: None,
    },
    FrameworkKey {
        name: "header.converter.plugin.version",
        ty: ConfigType::String,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "Version of the header converter.",
        group: "Common",
        order_in_group: 11,
        width: "SHORT",
        display_name: "Header converter version",
        one_of: None,
    },
    FrameworkKey {
        name: "transforms",
        ty: ConfigType::List,
        required: false,
        default: Some(""),
        importance: Importance::Low,
        doc: "Aliases for the transformations to be applied to records.",
        group: "Transforms",
        order_in_group: 12,
        width: "LONG",
        display_name: "Transforms",
        one_of: None,
    },
    FrameworkKey {
        name: "predicates",
        ty: ConfigType::List,
        required: false,
        default: Some(""),
        importance: Importance::Low,
        doc: "Aliases for the predicates used by transformations.",
        group: "Predicates",
        order_in_group: 13,
        width: "LONG",
        display_name: "Predicates",
        one_of: None,
    },
    FrameworkKey {
        name: "config.action.reload",
        ty: ConfigType::String,
        required: false,
        default: Some("restart"),
        importance: Importance::Low,
        doc: "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future.",
        group: "Common",
        order_in_group: 14,
        width: "MEDIUM",
        display_name: "Reload Action",
        one_of: Some(Validator::OneOf(&["none", "restart"])),
    },
    FrameworkKey {
        name: "errors.retry.timeout",
        ty: ConfigType::Long,
        required: false,
        default: Some("0"),
        importance: Importance::Medium,
        doc: "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.",
        group: "Error Handling",
        order_in_group: 1,
        width: "MEDIUM",
        display_name: "Retry Timeout for Errors",
        one_of: None,
    },
    FrameworkKey {
        name: "errors.retry.delay.max.ms",
        ty: ConfigType::Long,
        required: false,
        default: Some("60000"),
        importance: Importance::Medium,
        doc: "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.",
        group: "Error Handling",
        order_in_group: 2,
        width: "MEDIUM",
        display_name: "Maximum Delay Between Retries for Errors",
        one_of: None,
    },
    FrameworkKey {
        name: "errors.tolerance",
        ty: ConfigType::String,
        required: false,
        default: Some("none"),
        importance: Importance::Medium,
        doc: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.",
        group: "Error Handling",
        order_in_group: 3,
        width: "SHORT",
        display_name: "Error Tolerance",
        one_of: Some(Validator::OneOf(&["none", "all"])),
    },
    FrameworkKey {
        name: "errors.log.enable",
        ty: ConfigType::Boolean,
        required: false,
        default: Some("false"),
        importance: Importance::Medium,
        doc: "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.",
        group: "Error Handling",
        order_in_group: 4,
        width: "SHORT",
        display_name: "Log Errors",
        one_of: None,
    },
    FrameworkKey {
        name: "errors.log.include.messages",
        ty: ConfigType::Boolean,
        required: false,
        default: Some("false"),
        importance: Importance::Medium,
        doc: "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.",
        group: "Error Handling",
        order_in_group: 5,
        width: "SHORT",
        display_name: "Log Error Details",
        one_of: None,
    },
];

/// What `SinkConnectorConfig.configDef()` adds.
pub const SINK: &[FrameworkKey] = &[
    FrameworkKey {
        name: "topics",
        ty: ConfigType::List,
        required: false,
        default: Some(""),
        importance: Importance::High,
        doc: "List of topics to consume, separated by commas",
        group: "Common",
        order_in_group: 4,
        width: "LONG",
        display_name: "Topics",
        one_of: None,
    },
    FrameworkKey {
        name: "topics.regex",
        ty: ConfigType::String,
        required: false,
        default: Some(""),
        importance: Importance::High,
        doc: "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.",
        group: "Common",
        order_in_group: 4,
        width: "LONG",
        display_name: "Topics regex",
        one_of: None,
    },
    FrameworkKey {
        name: "errors.deadletterqueue.topic.name",
        ty: ConfigType::String,
        required: false,
        default: Some(""),
        importance: Importance::Medium,
        doc: "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.",
        group: "Error Handling",
        order_in_group: 6,
        width: "MEDIUM",
        display_name: "Dead Letter Queue Topic Name",
        one_of: None,
    },
    FrameworkKey {
        name: "errors.deadletterqueue.topic.replication.factor",
        ty: ConfigType::Short,
        required: false,
        default: Some("3"),
        importance: Importance::Medium,
        doc: "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
        group: "Error Handling",
        order_in_group: 7,
        width: "MEDIUM",
        display_name: "Dead Letter Queue Topic Replication Factor",
        one_of: None,
    },
    FrameworkKey {
        name: "errors.deadletterqueue.context.headers.enable",
        ty: ConfigType::Boolean,
        required: false,
        default: Some("false"),
        importance: Importance::Medium,
        doc: "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>",
        group: "Error Handling",
        order_in_group: 8,
        width: "MEDIUM",
        display_name: "Enable Error Context Headers",
        one_of: None,
    },
];

/// What `SourceConnectorConfig.configDef()` adds.
pub const SOURCE: &[FrameworkKey] = &[
    FrameworkKey {
        name: "topic.creation.groups",
        ty: ConfigType::List,
        required: false,
        default: Some(""),
        importance: Importance::Low,
        doc: "Groups of configurations for topics created by source connectors",
        group: "Topic Creation",
        order_in_group: 1,
        width: "LONG",
        display_name: "Topic Creation Groups",
        one_of: None,
    },
    FrameworkKey {
        name: "exactly.once.support",
        ty: ConfigType::String,
        required: false,
        default: Some("requested"),
        importance: Importance::Medium,
        doc: "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to \"requested\". Additionally, if the value is set to \"required\" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.",
        group: "Exactly Once Support",
        order_in_group: 2,
        width: "SHORT",
        display_name: "Exactly once support",
        one_of: Some(Validator::OneOfIgnoreCase(&["requested", "required"])),
    },
    FrameworkKey {
        name: "transaction.boundary",
        ty: ConfigType::String,
        required: false,
        default: Some("poll"),
        importance: Importance::Medium,
        doc: "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.",
        group: "Exactly Once Support",
        order_in_group: 3,
        width: "SHORT",
        display_name: "Transaction Boundary",
        one_of: Some(Validator::OneOfIgnoreCase(&[
            "poll",
            "interval",
            "connector",
        ])),
    },
    FrameworkKey {
        name: "transaction.boundary.interval.ms",
        ty: ConfigType::Long,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.",
        group: "Exactly Once Support",
        order_in_group: 4,
        width: "SHORT",
        display_name: "Transaction boundary interval",
        one_of: None,
    },
    FrameworkKey {
        name: "offsets.storage.topic",
        ty: ConfigType::String,
        required: false,
        default: None,
        importance: Importance::Low,
        doc: "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker’s global offsets topic name will be used. If specified, the offsets topic will be created if it does not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been overridden from the worker's). Only applicable in distributed mode; in standalone mode, setting this property will have no effect.",
        group: "offsets.topic",
        order_in_group: 1,
        width: "LONG",
        display_name: "Offsets topic",
        one_of: None,
    },
];
