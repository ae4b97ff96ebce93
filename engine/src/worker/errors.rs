//! `errors.*`: what a task does with a record it cannot convert, transform or deliver.
//!
//! With `errors.tolerance=none` (the default) the first bad record fails the task. With `all`
//! the record is skipped, optionally logged (`errors.log.enable`) and, for sinks, written to the
//! dead letter queue (`errors.deadletterqueue.topic.name`) with its original key, value and
//! headers, plus `__connect.errors.*` headers saying where and why it failed when
//! `errors.deadletterqueue.context.headers.enable=true` — the headers Kafka Connect writes.

use std::time::Duration;

use bytes::Bytes;

use crate::config::{Config, ConfigKey, ConfigType, Importance, Validator};
use crate::record::{Header, RawRecord};

pub const TOLERANCE: &str = "errors.tolerance";
pub const RETRY_TIMEOUT_MS: &str = "errors.retry.timeout";
pub const RETRY_DELAY_MAX_MS: &str = "errors.retry.delay.max.ms";
pub const LOG_ENABLE: &str = "errors.log.enable";
pub const LOG_INCLUDE_MESSAGES: &str = "errors.log.include.messages";
pub const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";
pub const DLQ_REPLICATION_FACTOR: &str = "errors.deadletterqueue.topic.replication.factor";
pub const DLQ_CONTEXT_HEADERS: &str = "errors.deadletterqueue.context.headers.enable";

/// The `errors.*` keys, with Kafka Connect's defaults.
/// Kafka Connect has a dead letter queue for sinks only; wharf's sources may use one too (see
/// [`super::dlq`]).
pub fn keys() -> Vec<ConfigKey> {
    vec![
        ConfigKey::optional(RETRY_TIMEOUT_MS, ConfigType::Long, "0", "The maximum duration in milliseconds that a failed operation will be reattempted. 0 means no retries; -1 means infinite retries.").group("Error Handling"),
        ConfigKey::optional(RETRY_DELAY_MAX_MS, ConfigType::Long, "60000", "The maximum duration in milliseconds between consecutive retry attempts.").group("Error Handling"),
        ConfigKey::optional(TOLERANCE, ConfigType::String, "none", "Behavior for tolerating errors during connector operation. 'none' fails the task on the first error; 'all' skips problematic records.")
            .importance(Importance::Medium)
            .group("Error Handling")
            .validate(Validator::OneOf(&["none", "all"])),
        ConfigKey::optional(LOG_ENABLE, ConfigType::Boolean, "false", "If true, write each error and the details of the failed operation and problematic record to the log.").group("Error Handling"),
        ConfigKey::optional(LOG_INCLUDE_MESSAGES, ConfigType::Boolean, "false", "Whether to include in the log the record that caused a failure.").group("Error Handling"),
        ConfigKey::optional(DLQ_TOPIC, ConfigType::String, "", "The name of the topic to be used as the dead letter queue (DLQ) for records that fail. Empty disables the DLQ.").group("Error Handling"),
        ConfigKey::optional(DLQ_REPLICATION_FACTOR, ConfigType::Int, "3", "Replication factor used to create the dead letter queue topic when it doesn't already exist.").group("Error Handling"),
        ConfigKey::optional(DLQ_CONTEXT_HEADERS, ConfigType::Boolean, "false", "If true, add headers containing error context to the messages written to the dead letter queue.").group("Error Handling"),
    ]
}

/// The parsed `errors.*` settings of one connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPolicy {
    pub tolerate_all: bool,
    /// `None`: retry forever.
    pub retry_timeout: Option<Duration>,
    pub retry_delay_max: Duration,
    pub log: bool,
    pub log_messages: bool,
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i32,
    pub dlq_context_headers: bool,
}

impl ErrorPolicy {
    pub fn from_config(config: &Config) -> Self {
        let millis = |key: &str, default: i64| config.long(key).unwrap_or(default);
        let timeout = millis(RETRY_TIMEOUT_MS, 0);
        Self {
            tolerate_all: config
                .string(TOLERANCE)
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("all")),
            retry_timeout: (timeout >= 0).then(|| Duration::from_millis(timeout.unsigned_abs())),
            retry_delay_max: Duration::from_millis(
                millis(RETRY_DELAY_MAX_MS, 60_000).unsigned_abs(),
            ),
            log: config.bool(LOG_ENABLE).unwrap_or(false),
            log_messages: config.bool(LOG_INCLUDE_MESSAGES).unwrap_or(false),
            dlq_topic: config.non_empty(DLQ_TOPIC).map(str::to_owned),
            dlq_replication_factor: config.int(DLQ_REPLICATION_FACTOR).unwrap_or(3),
            dlq_context_headers: config.bool(DLQ_CONTEXT_HEADERS).unwrap_or(false),
        }
    }
}

/// Where in the pipeline a record failed; the values of `__connect.errors.stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    Transformation,
    TaskPut,
    TaskPoll,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Self::KeyConverter => "KEY_CONVERTER",
            Self::ValueConverter => "VALUE_CONVERTER",
            Self::HeaderConverter => "HEADER_CONVERTER",
            Self::Transformation => "TRANSFORMATION",
            Self::TaskPut => "TASK_PUT",
            Self::TaskPoll => "TASK_POLL",
        }
    }
}

/// One failure, as the DLQ headers and the error log describe it.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub connector: &'a str,
    pub task: usize,
    pub stage: Stage,
    /// The class of the component that failed, e.g. the converter's class name.
    pub class_name: &'a str,
    /// The kind of error, shown where Kafka Connect shows the exception class.
    pub error_type: &'a str,
    pub message: String,
}

/// The record to write to the dead letter queue for a failed consumed record: its key, value
/// and headers unchanged, plus the context headers when enabled.
pub fn dlq_headers(record: &RawRecord, failure: &Failure<'_>, context: bool) -> Vec<Header> {
    let mut headers = record.headers.clone();
    if context {
        let mut add = |key: &str, value: String| {
            headers.push(Header {
                key: key.into(),
                value: Some(Bytes::from(value)),
            });
        };
        add("__connect.errors.topic", record.topic.to_string());
        add("__connect.errors.partition", record.partition.to_string());
        add("__connect.errors.offset", record.offset.to_string());
        add(
            "__connect.errors.connector.name",
            failure.connector.to_owned(),
        );
        add("__connect.errors.task.id", failure.task.to_string());
        add("__connect.errors.stage", failure.stage.name().to_owned());
        add("__connect.errors.class.name", failure.class_name.to_owned());
        add(
            "__connect.errors.exception.class.name",
            failure.error_type.to_owned(),
        );
        add(
            "__connect.errors.exception.message",
            failure.message.clone(),
        );
        add(
            "__connect.errors.exception.stacktrace",
            format!("{}: {}", failure.error_type, failure.message),
        );
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn context_headers_follow_kafka_connect() {
        let record = RawRecord {
            topic: Arc::from("orders"),
            partition: 2,
            offset: 41,
            timestamp: None,
            key: None,
            value: Some(Bytes::from_static(b"{bad")),
            headers: vec![Header {
                key: Arc::from("trace"),
                value: Some(Bytes::from_static(b"t1")),
            }],
        };
        let failure = Failure {
            connector: "sink",
            task: 0,
            stage: Stage::ValueConverter,
            class_name: "org.apache.kafka.connect.json.JsonConverter",
            error_type: "DataException",
            message: "bad json".to_owned(),
        };
        let headers = dlq_headers(&record, &failure, true);
        let get = |k: &str| {
            headers
                .iter()
                .find(|h| &*h.key == k)
                .and_then(|h| h.value.clone())
                .map(|v| String::from_utf8(v.to_vec()).unwrap())
        };
        assert_eq!(get("trace").as_deref(), Some("t1"));
        assert_eq!(get("__connect.errors.topic").as_deref(), Some("orders"));
        assert_eq!(get("__connect.errors.partition").as_deref(), Some("2"));
        assert_eq!(get("__connect.errors.offset").as_deref(), Some("41"));
        assert_eq!(
            get("__connect.errors.stage").as_deref(),
            Some("VALUE_CONVERTER")
        );
        assert_eq!(dlq_headers(&record, &failure, false).len(), 1);
    }
}
