//! `errors.*`: what a task does with a record it cannot convert, transform or deliver.
//!
//! With `errors.tolerance=none` (the default) the first bad record fails the task. With `all`
//! the record is skipped, optionally logged (`errors.log.enable`) and, for sinks, written to the
//! dead letter queue (`errors.deadletterqueue.topic.name`) with its original key, value and
//! headers, plus `__connect.errors.*` headers saying where and why it failed when
//! `errors.deadletterqueue.context.headers.enable=true` — the headers Kafka Connect writes.

use std::time::Duration;

use bytes::Bytes;

use crate::keys::connector::{self as framework_keys, FrameworkKey};
use crate::record::{Header, RawRecord};
use connect_api::ConnectorType;
use connect_api::config::{Config, ConfigKey, FieldError};

pub const TOLERANCE: &str = "errors.tolerance";
pub const RETRY_TIMEOUT_MS: &str = "errors.retry.timeout";
pub const RETRY_DELAY_MAX_MS: &str = "errors.retry.delay.max.ms";
pub const LOG_ENABLE: &str = "errors.log.enable";
pub const LOG_INCLUDE_MESSAGES: &str = "errors.log.include.messages";
pub const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";
pub const DLQ_REPLICATION_FACTOR: &str = "errors.deadletterqueue.topic.replication.factor";
pub const DLQ_CONTEXT_HEADERS: &str = "errors.deadletterqueue.context.headers.enable";

/// The `errors.*` keys of every connector: Kafka Connect's own definitions
/// ([`framework_keys`]), so parsing, validation, the REST form and the docs share one spec.
/// Kafka Connect has a dead letter queue for sinks only; wharf's sources may use one too (see
/// [`super::dlq`]), so they accept the sink's DLQ keys.
pub fn keys() -> Vec<ConfigKey> {
    framework_keys::keys(ConnectorType::Sink)
        .filter(|k| k.name.starts_with("errors."))
        .map(FrameworkKey::spec)
        .collect()
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
    /// Reads a config that [`keys`] validated and filled in; a key that is absent or does not
    /// parse is an error naming it, never a silent default.
    pub fn from_config(config: &Config) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let tolerance = keep(&mut errors, config.get_string(TOLERANCE));
        let timeout = keep(&mut errors, config.get_long(RETRY_TIMEOUT_MS));
        let delay_max = keep(&mut errors, config.get_long(RETRY_DELAY_MAX_MS));
        let log = keep(&mut errors, config.get_bool(LOG_ENABLE));
        let log_messages = keep(&mut errors, config.get_bool(LOG_INCLUDE_MESSAGES));
        let replication_factor = keep(&mut errors, config.get_short(DLQ_REPLICATION_FACTOR));
        let context_headers = keep(&mut errors, config.get_bool(DLQ_CONTEXT_HEADERS));
        let (
            Some(tolerance),
            Some(timeout),
            Some(delay_max),
            Some(log),
            Some(log_messages),
            Some(replication_factor),
            Some(context_headers),
        ) = (
            tolerance,
            timeout,
            delay_max,
            log,
            log_messages,
            replication_factor,
            context_headers,
        )
        else {
            return Err(errors);
        };
        Ok(Self {
            // The spec allows exactly `none` and `all`, as Kafka Connect's `ValidString.in`.
            tolerate_all: tolerance == "all",
            // Kafka Connect retries forever for any negative timeout.
            retry_timeout: u64::try_from(timeout).ok().map(Duration::from_millis),
            // A negative longest delay is no delay, as Kafka Connect's backoff computes it.
            retry_delay_max: Duration::from_millis(u64::try_from(delay_max).unwrap_or(0)),
            log,
            log_messages,
            dlq_topic: config.non_empty(DLQ_TOPIC).map(str::to_owned),
            dlq_replication_factor: i32::from(replication_factor),
            dlq_context_headers: context_headers,
        })
    }
}

/// The value of `result`, or `None` with its error kept.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
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
