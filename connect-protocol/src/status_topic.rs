//! The status topic: connector, task and active-topic (KIP-558) status records, and the rules for writing and
//! reading them.
//!
//! Mirrors `KafkaStatusBackingStore` (`connect/runtime/.../storage/`) and `AbstractStatus.State`, verified
//! against apache/kafka `1eb7644349cb`.
//!
//! | key | value |
//! |---|---|
//! | `status-connector-<c>` | `{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":12}` (`STATUS_SCHEMA_V0`) |
//! | `status-task-<c>-<n>` | the same schema |
//! | `status-topic-<topic>:connector-<c>` | `{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":<ms>}}` |
//!
//! A DESTROYED status is written as a tombstone; `trace` is `null` unless set (FAILED). A topic tombstone
//! resets the connector's active topic.
//!
//! Key parsing, as Java does it: a connector key with an empty name is discarded; a task key is split on `-`
//! (Java's `split`, trailing empty parts dropped), needs at least 4 parts, the last is the task number and the
//! connector name is parts `2..n-1` joined with `-`; a topic key is cut at the *first* `:`, the topic is what
//! precedes it (non-empty) and the connector is what follows the next 11 characters (the length of
//! `:connector-`, which Java skips without checking them), also non-empty.
//!
//! Rules: [`can_write_safely`] is `putSafe`'s condition (used for UNASSIGNED and FAILED);
//! [`accept_task_status`] is the read-side rule that drops a stale UNASSIGNED.

use std::fmt;

use serde_json::Value;

use crate::config_topic::{java_split_dash, parse_java_int};
use crate::json::{self, ObjectWriter};
use crate::protocol::ConnectorTaskId;

pub const CONNECTOR_STATUS_PREFIX: &str = "status-connector-";
pub const TASK_STATUS_PREFIX: &str = "status-task-";
pub const TOPIC_STATUS_PREFIX: &str = "status-topic-";
pub const TOPIC_STATUS_SEPARATOR: &str = ":connector-";

/// `AbstractStatus.State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    /// Never visible to users; written as a tombstone.
    Destroyed,
    Restarting,
    /// Connectors only.
    Stopped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unassigned => "UNASSIGNED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Failed => "FAILED",
            Self::Destroyed => "DESTROYED",
            Self::Restarting => "RESTARTING",
            Self::Stopped => "STOPPED",
        }
    }

    /// `State.valueOf`: exact, upper case.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Unassigned,
            Self::Running,
            Self::Paused,
            Self::Failed,
            Self::Destroyed,
            Self::Restarting,
            Self::Stopped,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A connector or task status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    /// The stack trace of a failure.
    pub trace: Option<String>,
    /// `host:port` of the worker's advertised URL.
    pub worker_id: String,
    /// The worker's group generation when it wrote this.
    pub generation: i32,
}

/// A KIP-558 active topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: i32,
    pub discover_timestamp: i64,
}

/// A parsed status topic key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusKey {
    Connector(String),
    Task(ConnectorTaskId),
    Topic { topic: String, connector: String },
}

impl StatusKey {
    /// `None` for keys Java discards.
    pub fn parse(key: &str) -> Option<Self> {
        if let Some(c) = key.strip_prefix(CONNECTOR_STATUS_PREFIX) {
            (!c.is_empty()).then(|| Self::Connector(c.to_owned()))
        } else if key.starts_with(TASK_STATUS_PREFIX) {
            let parts = java_split_dash(key);
            if parts.len() < 4 {
                return None;
            }
            let task = parse_java_int(parts[parts.len() - 1])?;
            Some(Self::Task(ConnectorTaskId::new(
                parts[2..parts.len() - 1].join("-"),
                task,
            )))
        } else if let Some(rest) = key.strip_prefix(TOPIC_STATUS_PREFIX) {
            let delim = rest.find(':')?;
            let topic = &rest[..delim];
            if topic.is_empty() {
                return None;
            }
            let after = &rest[delim..];
            let skip = TOPIC_STATUS_SEPARATOR.chars().count();
            let connector = match after.char_indices().nth(skip) {
                Some((i, _)) => &after[i..],
                None => "",
            };
            (!connector.is_empty()).then(|| Self::Topic {
                topic: topic.to_owned(),
                connector: connector.to_owned(),
            })
        } else {
            None
        }
    }
}

impl fmt::Display for StatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connector(c) => write!(f, "{CONNECTOR_STATUS_PREFIX}{c}"),
            Self::Task(id) => write!(f, "{TASK_STATUS_PREFIX}{}-{}", id.connector, id.task),
            Self::Topic { topic, connector } => write!(
                f,
                "{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}"
            ),
        }
    }
}

pub fn connector_status_key(connector: &str) -> String {
    StatusKey::Connector(connector.to_owned()).to_string()
}

pub fn task_status_key(id: &ConnectorTaskId) -> String {
    StatusKey::Task(id.clone()).to_string()
}

pub fn topic_status_key(topic: &str, connector: &str) -> String {
    StatusKey::Topic {
        topic: topic.to_owned(),
        connector: connector.to_owned(),
    }
    .to_string()
}

/// The record value for a status: `None` (a tombstone) for DESTROYED.
pub fn encode_status(status: &Status) -> Option<Vec<u8>> {
    if status.state == State::Destroyed {
        return None;
    }
    let mut w = ObjectWriter::new();
    w.str("state", status.state.as_str())
        .opt_str("trace", status.trace.as_deref())
        .str("worker_id", &status.worker_id)
        .int("generation", status.generation.into());
    Some(w.finish().into_bytes())
}

/// `{"topic":{"name":...,"connector":...,"task":...,"discoverTimestamp":...}}`.
pub fn encode_topic_status(status: &TopicStatus) -> Vec<u8> {
    let mut inner = ObjectWriter::new();
    inner
        .str("name", &status.topic)
        .str("connector", &status.connector)
        .int("task", status.task.into())
        .int("discoverTimestamp", status.discover_timestamp);
    let mut w = ObjectWriter::new();
    w.raw("topic", &inner.finish());
    w.finish().into_bytes()
}

/// A status value that could not be read (Java logs it and keeps the cached value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusValueError {
    #[error("status value is not JSON: {0}")]
    NotJson(String),
    #[error("status field '{field}' should be {expected}")]
    InvalidField {
        field: &'static str,
        expected: &'static str,
    },
}

fn object(v: Option<Value>) -> Result<serde_json::Map<String, Value>, StatusValueError> {
    match v {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(StatusValueError::InvalidField {
            field: "value",
            expected: "an object",
        }),
    }
}

/// `parseConnectorStatus` / `parseTaskStatus` of a non-null value.
pub fn decode_status(value: &[u8]) -> Result<Status, StatusValueError> {
    let obj = object(json::parse(Some(value)).map_err(StatusValueError::NotJson)?)?;
    let state = obj
        .get("state")
        .and_then(Value::as_str)
        .and_then(State::parse)
        .ok_or(StatusValueError::InvalidField {
            field: "state",
            expected: "a state name",
        })?;
    let trace = match obj.get("trace") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(StatusValueError::InvalidField {
                field: "trace",
                expected: "a string or null",
            });
        }
    };
    let worker_id =
        obj.get("worker_id")
            .and_then(Value::as_str)
            .ok_or(StatusValueError::InvalidField {
                field: "worker_id",
                expected: "a string",
            })?;
    // `((Long) generation).intValue()`.
    let generation =
        obj.get("generation")
            .and_then(json::as_long)
            .ok_or(StatusValueError::InvalidField {
                field: "generation",
                expected: "an integer",
            })? as i32;
    Ok(Status {
        state,
        trace,
        worker_id: worker_id.to_owned(),
        generation,
    })
}

/// `parseTopicStatus` of a non-null value.
pub fn decode_topic_status(value: &[u8]) -> Result<TopicStatus, StatusValueError> {
    let obj = object(json::parse(Some(value)).map_err(StatusValueError::NotJson)?)?;
    let inner = object(obj.get("topic").cloned()).map_err(|_| StatusValueError::InvalidField {
        field: "topic",
        expected: "an object",
    })?;
    let string = |field: &'static str| {
        inner
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(StatusValueError::InvalidField {
                field,
                expected: "a string",
            })
    };
    let long = |field: &'static str| {
        inner
            .get(field)
            .and_then(json::as_long)
            .ok_or(StatusValueError::InvalidField {
                field,
                expected: "an integer",
            })
    };
    Ok(TopicStatus {
        topic: string("name")?,
        connector: string("connector")?,
        task: long("task")? as i32,
        discover_timestamp: long("discoverTimestamp")?,
    })
}

/// `CacheEntry.canWriteSafely`: a safe write (`putSafe`, used for UNASSIGNED and FAILED) goes ahead only if
/// nothing is cached, or the cached status is this worker's, or it is from the same or an older generation.
pub fn can_write_safely(cached: Option<&Status>, new: &Status) -> bool {
    match cached {
        None => true,
        Some(c) => c.worker_id == new.worker_id || c.generation <= new.generation,
    }
}

/// `readTaskStatus`: an incoming UNASSIGNED task status is ignored when the cached one is RUNNING at the
/// same or a newer generation (a worker that had not yet seen the RUNNING status). Everything else replaces
/// the cache. Connector statuses have no such rule.
pub fn accept_task_status(cached: Option<&Status>, incoming: &Status) -> bool {
    !(incoming.state == State::Unassigned
        && cached.is_some_and(|c| c.state == State::Running && c.generation >= incoming.generation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: State, worker: &str, generation: i32) -> Status {
        Status {
            state,
            trace: None,
            worker_id: worker.into(),
            generation,
        }
    }

    #[test]
    fn status_values_are_byte_identical() {
        assert_eq!(
            encode_status(&status(State::Running, "host:8083", 12)).expect("value"),
            br#"{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":12}"#
        );
        let failed = Status {
            trace: Some("java.lang.Exception: boom\n\tat X".into()),
            ..status(State::Failed, "h:1", 3)
        };
        let bytes = encode_status(&failed).expect("value");
        assert_eq!(
            bytes,
            br#"{"state":"FAILED","trace":"java.lang.Exception: boom\n\tat X","worker_id":"h:1","generation":3}"#
        );
        assert_eq!(decode_status(&bytes), Ok(failed));
        assert_eq!(encode_status(&status(State::Destroyed, "h:1", 3)), None);
        let topic = TopicStatus {
            topic: "t".into(),
            connector: "c".into(),
            task: 0,
            discover_timestamp: 1_700_000_000_000,
        };
        let bytes = encode_topic_status(&topic);
        assert_eq!(
            bytes,
            br#"{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":1700000000000}}"#
        );
        assert_eq!(decode_topic_status(&bytes), Ok(topic));
    }

    #[test]
    fn keys() {
        assert_eq!(connector_status_key("c"), "status-connector-c");
        assert_eq!(
            task_status_key(&ConnectorTaskId::new("my-conn", 3)),
            "status-task-my-conn-3"
        );
        assert_eq!(
            topic_status_key("orders", "c"),
            "status-topic-orders:connector-c"
        );
        assert_eq!(
            StatusKey::parse("status-task-my-conn-3"),
            Some(StatusKey::Task(ConnectorTaskId::new("my-conn", 3)))
        );
        assert_eq!(StatusKey::parse("status-task-c"), None);
        assert_eq!(StatusKey::parse("status-task-c-x"), None);
        assert_eq!(StatusKey::parse("status-connector-"), None);
        assert_eq!(
            StatusKey::parse("status-connector-a-b"),
            Some(StatusKey::Connector("a-b".into()))
        );
        assert_eq!(
            StatusKey::parse("status-topic-orders:connector-my-conn"),
            Some(StatusKey::Topic {
                topic: "orders".into(),
                connector: "my-conn".into()
            })
        );
        assert_eq!(StatusKey::parse("status-topic-:connector-c"), None);
        assert_eq!(StatusKey::parse("status-topic-orders"), None);
        assert_eq!(StatusKey::parse("status-topic-orders:connector-"), None);
        // Java skips the separator's length without checking it.
        assert_eq!(
            StatusKey::parse("status-topic-t:xxxxxxxxxxc"),
            Some(StatusKey::Topic {
                topic: "t".into(),
                connector: "c".into()
            })
        );
        assert_eq!(
            StatusKey::parse("status-topic-t:é"),
            None,
            "short, non-ASCII tails do not panic"
        );
        assert_eq!(StatusKey::parse("other"), None);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(matches!(
            decode_status(b"nope"),
            Err(StatusValueError::NotJson(_))
        ));
        assert!(decode_status(br#"{"state":"running","worker_id":"w","generation":1}"#).is_err());
        assert!(decode_status(br#"{"state":"RUNNING","worker_id":"w","generation":"1"}"#).is_err());
        assert!(
            decode_status(br#"{"state":"RUNNING","trace":5,"worker_id":"w","generation":1}"#)
                .is_err()
        );
        assert!(decode_status(br#"[]"#).is_err());
        assert!(decode_topic_status(br#"{"topic":"t"}"#).is_err());
        // A missing trace is null.
        assert_eq!(
            decode_status(br#"{"state":"PAUSED","worker_id":"w","generation":2}"#),
            Ok(status(State::Paused, "w", 2))
        );
    }

    #[test]
    fn put_safe_rule() {
        let new = status(State::Unassigned, "w1", 5);
        assert!(can_write_safely(None, &new));
        assert!(
            can_write_safely(Some(&status(State::Running, "w1", 9)), &new),
            "our own status"
        );
        assert!(
            can_write_safely(Some(&status(State::Running, "w2", 5)), &new),
            "same generation"
        );
        assert!(
            can_write_safely(Some(&status(State::Running, "w2", 4)), &new),
            "older generation"
        );
        assert!(
            !can_write_safely(Some(&status(State::Running, "w2", 6)), &new),
            "newer, another worker"
        );
    }

    #[test]
    fn stale_unassigned_is_ignored_on_read() {
        let running = status(State::Running, "w2", 7);
        assert!(!accept_task_status(
            Some(&running),
            &status(State::Unassigned, "w1", 7)
        ));
        assert!(!accept_task_status(
            Some(&running),
            &status(State::Unassigned, "w1", 6)
        ));
        assert!(accept_task_status(
            Some(&running),
            &status(State::Unassigned, "w1", 8)
        ));
        assert!(accept_task_status(
            Some(&running),
            &status(State::Failed, "w1", 1)
        ));
        assert!(accept_task_status(
            Some(&status(State::Paused, "w2", 9)),
            &status(State::Unassigned, "w1", 1)
        ));
        assert!(accept_task_status(
            None,
            &status(State::Unassigned, "w1", 1)
        ));
    }
}
