//! `GET /admin/loggers`, `GET|PUT /admin/loggers/{name}`: Kafka Connect's runtime log levels.
//!
//! Kafka Connect lists every logger its classes created; wharf lists `root`, the loggers set at
//! runtime, the module targets it logs under, and the `org.apache.kafka.*` names users of Kafka
//! Connect commonly set. A logger inherits from the nearest parent that has a level, by `::`
//! (Rust module paths) or `.` (Java names).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::RestError;
use crate::logging::{LEVELS, LogLevels};

/// The tracing targets wharf logs under, and its dependencies' that matter.
const MODULE_TARGETS: &[&str] = &[
    "engine",
    "engine::connectors",
    "engine::connectors::file",
    "engine::herder",
    "engine::kafka",
    "engine::loadgen",
    "engine::offsets",
    "engine::rest",
    "engine::runtime",
    "engine::transforms",
    "engine::task",
    "engine::task::dlq",
    "engine::task::operator",
    "engine::task::retry",
    "engine::task::sink_group",
    "engine::task::sink_task",
    "engine::task::source_task",
    "engine::modes::standalone",
    "engine::task::supervisor",
    "converters",
    "registry_client",
    "rdkafka",
    "wharf",
];

/// Kafka Connect logger names users commonly set (its docs and log4j files).
const KAFKA_CONNECT_NAMES: &[&str] = &[
    "org.apache.kafka",
    "org.apache.kafka.clients",
    "org.apache.kafka.clients.consumer",
    "org.apache.kafka.clients.producer",
    "org.apache.kafka.connect",
    "org.apache.kafka.connect.runtime",
    "org.apache.kafka.connect.runtime.WorkerSinkTask",
    "org.apache.kafka.connect.runtime.WorkerSourceTask",
    "org.apache.kafka.connect.runtime.rest",
    "org.apache.kafka.connect.storage",
];

const ROOT: &str = "root";

/// The log levels and when each logger was last set through the API (epoch ms).
#[derive(Debug, Clone)]
pub struct Loggers {
    levels: LogLevels,
    modified: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Loggers {
    pub fn new(levels: LogLevels) -> Self {
        Self {
            levels,
            modified: Arc::default(),
        }
    }

    /// Every known logger name.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.levels.all().into_keys().collect();
        names.extend(
            MODULE_TARGETS
                .iter()
                .chain(KAFKA_CONNECT_NAMES)
                .map(|n| (*n).to_owned()),
        );
        names.sort();
        names.dedup();
        names
    }

    /// The level of `name`: its own, else the nearest parent's, else root's.
    fn level(&self, name: &str) -> String {
        let set = self.levels.all();
        let mut current = name;
        loop {
            if let Some(level) = set.get(current) {
                return level.clone();
            }
            match parent(current) {
                Some(p) => current = p,
                None => return set.get(ROOT).cloned().unwrap_or_else(|| "INFO".to_owned()),
            }
        }
    }

    fn level_json(&self, name: &str) -> Value {
        let modified = self
            .modified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied();
        json!({"level": self.level(name), "last_modified": modified})
    }
}

/// `a::b::c` → `a::b`, `a.b.c` → `a.b`; `None` at the top.
fn parent(name: &str) -> Option<&str> {
    let by_path = name.rfind("::").map(|i| &name[..i]);
    let by_dot = name.rfind('.').map(|i| &name[..i]);
    match (by_path, by_dot) {
        (Some(a), Some(b)) => Some(if a.len() > b.len() { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Whether `name` is `ancestor` or below it.
fn is_under(name: &str, ancestor: &str) -> bool {
    ancestor == ROOT
        || name == ancestor
        || name
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with("::") || rest.starts_with('.'))
}

pub async fn list(State(loggers): State<Loggers>) -> Response {
    let body: Map<String, Value> = loggers
        .names()
        .into_iter()
        .map(|name| {
            let level = loggers.level_json(&name);
            (name, level)
        })
        .collect();
    Json(body).into_response()
}

pub async fn get(State(loggers): State<Loggers>, Path(name): Path<String>) -> Response {
    Json(loggers.level_json(&name)).into_response()
}

/// `PUT /admin/loggers/{name}` with `{"level": ..}`: answers the loggers whose level changed,
/// as Kafka Connect does; an unknown level is a 404 with its message.
pub async fn set(
    State(loggers): State<Loggers>,
    Path(name): Path<String>,
    body: Result<Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, RestError> {
    let Json(body) = body.map_err(|e| RestError::rejected(&e))?;
    let Some(level) = body.get("level").and_then(Value::as_str) else {
        return Err(RestError::bad_request(
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    if !LEVELS.contains(&level.trim().to_ascii_uppercase().as_str()) {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            format!("invalid log level '{level}'."),
        ));
    }
    let affected: Vec<String> = loggers
        .names()
        .into_iter()
        .chain(std::iter::once(name.clone()))
        .filter(|n| is_under(n, &name))
        .collect();
    let before: Vec<String> = affected.iter().map(|n| loggers.level(n)).collect();
    loggers
        .levels
        .set(&name, level)
        .map_err(RestError::bad_request)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut changed: Vec<String> = affected
        .into_iter()
        .zip(before)
        .filter(|(n, old)| *n == name || loggers.level(n) != *old)
        .map(|(n, _)| n)
        .collect();
    changed.sort();
    changed.dedup();
    let mut modified = loggers.modified.lock().unwrap_or_else(|p| p.into_inner());
    for n in &changed {
        modified.insert(n.clone(), now);
    }
    Ok(Json(changed).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_follow_both_separators() {
        assert_eq!(parent("engine::task::sink_task"), Some("engine::task"));
        assert_eq!(parent("org.apache.kafka.connect"), Some("org.apache.kafka"));
        assert_eq!(parent("engine"), None);
        assert!(is_under(
            "org.apache.kafka.connect.runtime",
            "org.apache.kafka"
        ));
        assert!(!is_under("org.apache.kafkaesque", "org.apache.kafka"));
        assert!(is_under("engine", ROOT));
    }

    #[test]
    fn dotted_names_inherit_and_known_loggers_are_listed() {
        let loggers = Loggers::new(LogLevels::detached());
        loggers
            .levels
            .set("org.apache.kafka.connect", "DEBUG")
            .unwrap();
        assert_eq!(
            loggers.level("org.apache.kafka.connect.runtime.WorkerSinkTask"),
            "DEBUG"
        );
        assert_eq!(loggers.level("org.apache.kafka.clients"), "INFO");
        let names = loggers.names();
        for n in [ROOT, "engine::task::sink_task", "org.apache.kafka.connect"] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
    }
}
