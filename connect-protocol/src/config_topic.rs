//! The config topic: its records and the [`ClusterConfigState`] built by reading them in offset order.
//!
//! Mirrors `KafkaConfigBackingStore` (its `ConsumeCallback` and `process*Record` methods) and
//! `ClusterConfigState` (`connect/runtime/.../storage/`), verified against apache/kafka `1eb7644349cb`.
//!
//! Keys are plain UTF-8 strings; values are `JsonConverter(schemas.enable=false)` output of a Connect
//! `Struct`: compact JSON, fields in schema order (see the encoders below). A null value is a tombstone.
//!
//! | key | value | schema |
//! |---|---|---|
//! | `connector-<c>` | `{"properties":{...}}` (map of string to optional string) | `CONNECTOR_CONFIGURATION_V0` |
//! | `task-<c>-<n>` | `{"properties":{...}}` | `TASK_CONFIGURATION_V0` |
//! | `commit-<c>` | `{"tasks":N}` | `CONNECTOR_TASKS_COMMIT_V0` |
//! | `target-state-<c>` | `{"state":"PAUSED","state.v2":"STOPPED"}` (V0 had `state` only) | `TARGET_STATE_V1` |
//! | `session-key` | `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":<ms>}` | `SESSION_KEY_V0` |
//! | `tasks-fencing-<c>` | `{"task-count":N}` | `TASK_COUNT_RECORD_V0` |
//! | `restart-connector-<c>` | `{"include-tasks":bool,"only-failed":bool}` | `RESTART_REQUEST_V0` |
//! | `logger-cluster-<ns>` | `{"level":"DEBUG"}` | `LOGGER_LEVEL_V0` |
//!
//! Keys are dispatched by prefix in Java's order: `target-state-`, `connector-`, `task-`, `commit-`,
//! `restart-connector-`, `tasks-fencing-`, `session-key` (exact), `logger-cluster-`.
//!
//! State machine ([`ClusterConfigState::apply`]), as Java applies records:
//! - **offset**: set to `record offset + 1` for every record whose value is JSON (or null), *before* the
//!   record is interpreted, so records that are then rejected (bad key, wrong shape) still advance it. A value
//!   that is not JSON (`DataException` in the converter) does **not** advance it. `-1` before any record.
//!   (The fact sheet's "last consumed record offset + 1" holds except for that case.)
//! - `connector-<c>`: sets the config, and target state STARTED if it has none. Tombstone: removes the config,
//!   task count, committed task configs, buffered task configs and applied config, but **not** the target
//!   state (its own tombstone follows), task-count record, generation, inconsistency or pending fencing.
//! - `task-<c>-<n>`: buffered per connector until a commit. A tombstone is rejected.
//! - `commit-<c>`: if `connector-<c>` is absent, it clears like a connector tombstone and is otherwise
//!   ignored (compaction edge case). Else if the buffer lacks any of ids `0..N`, the connector becomes
//!   *inconsistent* ([`ClusterConfigState::tasks`] is empty for it); otherwise the buffer is applied, the
//!   connector leaves the inconsistent set, its connector config is recorded as applied and — if a buffer
//!   existed at all, even empty — its task config generation becomes 0 on the first commit and then +1.
//!   Either way the buffer is cleared, the task count becomes N and the connector is pending fencing.
//! - `tasks-fencing-<c>`: sets the task-count record and clears pending fencing.
//! - `target-state-<c>`: `state.v2` is preferred, `state` is the fallback. Tombstone: removes it, and puts
//!   STARTED back if the connector still has a config.
//! - `session-key`, `restart-connector-`, `logger-cluster-`: see [`ConfigUpdate`]. A restart request whose
//!   flags are missing or not booleans defaults them to false, as Java does.
//!
//! Records that cannot be interpreted come back as a [`ConfigRecordError`] naming key and offset; the state
//! is left as Java leaves it, and reading goes on. (Java stops processing the rest of that poll batch when a
//! commit or task-count record has a non-integer count; here only the bad record is skipped.)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::json::{self, ObjectWriter};
use crate::protocol::ConnectorTaskId;

pub const TARGET_STATE_PREFIX: &str = "target-state-";
pub const CONNECTOR_PREFIX: &str = "connector-";
pub const TASK_PREFIX: &str = "task-";
pub const COMMIT_TASKS_PREFIX: &str = "commit-";
pub const TASK_COUNT_RECORD_PREFIX: &str = "tasks-fencing-";
pub const SESSION_KEY_KEY: &str = "session-key";
pub const RESTART_PREFIX: &str = "restart-connector-";
pub const LOGGER_CLUSTER_PREFIX: &str = "logger-cluster-";

/// Connector and task configurations: key to optional value (the schema's map values are optional strings).
pub type Properties = BTreeMap<String, Option<String>>;

/// `TargetState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    /// The enum name Java writes and reads (`valueOf`, exact case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "STARTED" => Some(Self::Started),
            "PAUSED" => Some(Self::Paused),
            "STOPPED" => Some(Self::Stopped),
            _ => None,
        }
    }
}

impl fmt::Display for TargetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The KIP-507 session key for signing internal REST requests.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub key: Vec<u8>,
    /// The JCA algorithm name, e.g. `HmacSHA256`.
    pub algorithm: String,
    pub creation_timestamp: i64,
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey")
            .field("key", &"[hidden]")
            .field("algorithm", &self.algorithm)
            .field("creation_timestamp", &self.creation_timestamp)
            .finish()
    }
}

/// A KIP-745 restart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartRequest {
    pub connector: String,
    pub only_failed: bool,
    pub include_tasks: bool,
}

/// A parsed config topic key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigKey {
    TargetState(String),
    Connector(String),
    Task(ConnectorTaskId),
    Commit(String),
    Restart(String),
    TaskCount(String),
    SessionKey,
    LoggerCluster(String),
}

impl ConfigKey {
    /// Dispatches on the prefix in Java's order. `None` for a key Java discards ("invalid key"), or a
    /// `task-` key whose task id does not parse.
    pub fn parse(key: &str) -> Option<Self> {
        if let Some(c) = key.strip_prefix(TARGET_STATE_PREFIX) {
            Some(Self::TargetState(c.to_owned()))
        } else if let Some(c) = key.strip_prefix(CONNECTOR_PREFIX) {
            Some(Self::Connector(c.to_owned()))
        } else if key.starts_with(TASK_PREFIX) {
            parse_task_key(key).map(Self::Task)
        } else if let Some(c) = key.strip_prefix(COMMIT_TASKS_PREFIX) {
            Some(Self::Commit(c.to_owned()))
        } else if let Some(c) = key.strip_prefix(RESTART_PREFIX) {
            Some(Self::Restart(c.to_owned()))
        } else if let Some(c) = key.strip_prefix(TASK_COUNT_RECORD_PREFIX) {
            Some(Self::TaskCount(c.to_owned()))
        } else if key == SESSION_KEY_KEY {
            Some(Self::SessionKey)
        } else {
            key.strip_prefix(LOGGER_CLUSTER_PREFIX)
                .map(|ns| Self::LoggerCluster(ns.to_owned()))
        }
    }
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TargetState(c) => write!(f, "{TARGET_STATE_PREFIX}{c}"),
            Self::Connector(c) => write!(f, "{CONNECTOR_PREFIX}{c}"),
            Self::Task(id) => write!(f, "{TASK_PREFIX}{}-{}", id.connector, id.task),
            Self::Commit(c) => write!(f, "{COMMIT_TASKS_PREFIX}{c}"),
            Self::Restart(c) => write!(f, "{RESTART_PREFIX}{c}"),
            Self::TaskCount(c) => write!(f, "{TASK_COUNT_RECORD_PREFIX}{c}"),
            Self::SessionKey => f.write_str(SESSION_KEY_KEY),
            Self::LoggerCluster(ns) => write!(f, "{LOGGER_CLUSTER_PREFIX}{ns}"),
        }
    }
}

/// Java's `String.split("-")`: like `split('-')`, but trailing empty strings are dropped.
pub(crate) fn java_split_dash(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split('-').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `parseTaskId`: split on `-`; at least 3 parts; the last is the task number (`Integer.parseInt`), the
/// connector name is parts `1..n-1` joined with `-`.
fn parse_task_key(key: &str) -> Option<ConnectorTaskId> {
    let parts = java_split_dash(key);
    if parts.len() < 3 {
        return None;
    }
    let task = parse_java_int(parts[parts.len() - 1])?;
    Some(ConnectorTaskId::new(
        parts[1..parts.len() - 1].join("-"),
        task,
    ))
}

/// `Integer.parseInt`: optional sign, ASCII digits, in `i32` range.
pub(crate) fn parse_java_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub fn connector_key(connector: &str) -> String {
    ConfigKey::Connector(connector.to_owned()).to_string()
}

pub fn task_key(id: &ConnectorTaskId) -> String {
    ConfigKey::Task(id.clone()).to_string()
}

pub fn commit_key(connector: &str) -> String {
    ConfigKey::Commit(connector.to_owned()).to_string()
}

pub fn target_state_key(connector: &str) -> String {
    ConfigKey::TargetState(connector.to_owned()).to_string()
}

pub fn task_count_record_key(connector: &str) -> String {
    ConfigKey::TaskCount(connector.to_owned()).to_string()
}

pub fn restart_key(connector: &str) -> String {
    ConfigKey::Restart(connector.to_owned()).to_string()
}

pub fn logger_cluster_key(namespace: &str) -> String {
    ConfigKey::LoggerCluster(namespace.to_owned()).to_string()
}

/// `{"properties":{...}}` for a `connector-` or `task-` record, the entries in the order given (Java writes
/// the map's iteration order; pass the same order for identical bytes).
pub fn encode_properties<'a>(
    entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<u8> {
    let mut w = ObjectWriter::new();
    w.raw("properties", &json::string_map(entries));
    w.finish().into_bytes()
}

/// [`encode_properties`] of a plain string map (in key order).
pub fn encode_string_properties(props: &BTreeMap<String, String>) -> Vec<u8> {
    encode_properties(props.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))))
}

/// `{"tasks":N}`.
pub fn encode_commit(tasks: i32) -> Vec<u8> {
    let mut w = ObjectWriter::new();
    w.int("tasks", tasks.into());
    w.finish().into_bytes()
}

/// `TARGET_STATE_V1`: `state` is STOPPED downgraded to PAUSED for old workers, `state.v2` the real state.
pub fn encode_target_state(state: TargetState) -> Vec<u8> {
    let v0 = if state == TargetState::Stopped {
        TargetState::Paused
    } else {
        state
    };
    let mut w = ObjectWriter::new();
    w.str("state", v0.as_str()).str("state.v2", state.as_str());
    w.finish().into_bytes()
}

/// `{"key":"<base64>","algorithm":...,"creation-timestamp":...}`.
pub fn encode_session_key(key: &SessionKey) -> Vec<u8> {
    let mut w = ObjectWriter::new();
    w.str("key", &base64_encode(&key.key))
        .str("algorithm", &key.algorithm)
        .int("creation-timestamp", key.creation_timestamp);
    w.finish().into_bytes()
}

/// `{"task-count":N}`.
pub fn encode_task_count(task_count: i32) -> Vec<u8> {
    let mut w = ObjectWriter::new();
    w.int("task-count", task_count.into());
    w.finish().into_bytes()
}

/// `{"include-tasks":...,"only-failed":...}` (schema order: include-tasks first).
pub fn encode_restart_request(include_tasks: bool, only_failed: bool) -> Vec<u8> {
    let mut w = ObjectWriter::new();
    w.bool("include-tasks", include_tasks)
        .bool("only-failed", only_failed);
    w.finish().into_bytes()
}

/// `{"level":"..."}`.
pub fn encode_logger_level(level: &str) -> Vec<u8> {
    let mut w = ObjectWriter::new();
    w.str("level", level);
    w.finish().into_bytes()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `Base64.getEncoder()`: standard alphabet, padded.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Base64.getDecoder()`: standard alphabet; padding optional but, when present, must complete the last
/// 4-character unit; no other characters allowed.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    if body.len() != bytes.len() && !bytes.len().is_multiple_of(4) {
        return None;
    }
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in body {
        let v = B64.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// What a record changed, for the herder (Java's `UpdateListener` callbacks). Java only calls the listener
/// once the store has started (read to the end once), and ignores logger levels read before that; the
/// caller applies the same rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigUpdate {
    /// `onConnectorConfigUpdate`.
    ConnectorConfigUpdated(String),
    /// `onConnectorConfigRemove`.
    ConnectorConfigRemoved(String),
    /// `onTaskConfigUpdate`: the tasks whose configs a commit applied (empty for an inconsistent commit).
    TaskConfigsCommitted {
        connector: String,
        tasks: Vec<ConnectorTaskId>,
    },
    /// `onConnectorTargetStateChange`: only when the state changed and the connector has a config.
    TargetStateChanged(String),
    /// `onRestartRequest`.
    RestartRequested(RestartRequest),
    /// `onSessionKeyUpdate`.
    SessionKeyUpdated,
    /// `onLoggingLevelUpdate`.
    LoggerLevel { namespace: String, level: String },
    /// A `tasks-fencing-<c>` record: the connector's zombies were fenced, so its exactly-once
    /// source tasks may start (Java's listener has no callback for it; its tasks wait on the
    /// fencing request instead).
    TaskCountRecorded(String),
}

/// A config record that could not be applied, with where it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config topic record at offset {offset} with key '{key}': {kind}")]
pub struct ConfigRecordError {
    pub key: String,
    pub offset: i64,
    pub kind: ConfigRecordErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigRecordErrorKind {
    /// No known prefix ("Discarding config update record with invalid key").
    #[error("unknown key")]
    UnknownKey,
    /// A `task-` key whose task id does not parse.
    #[error("not a task config key")]
    InvalidTaskKey,
    /// The value is not JSON; the offset was not advanced.
    #[error("value is not JSON: {0}")]
    NotJson(String),
    /// A tombstone where a value is required (task config, session key, logger level).
    #[error("unexpected null value")]
    UnexpectedNull,
    /// The value has the wrong shape.
    #[error("field '{field}' should be {expected}")]
    InvalidField {
        field: &'static str,
        expected: &'static str,
    },
    #[error("invalid target state '{0}'")]
    InvalidTargetState(String),
}

/// The cluster's configuration as read from the config topic (`KafkaConfigBackingStore`'s maps; a clone is
/// Java's `snapshot()`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfigState {
    offset: Option<i64>,
    session_key: Option<SessionKey>,
    connector_task_counts: BTreeMap<String, i32>,
    connector_configs: BTreeMap<String, Properties>,
    connector_target_states: BTreeMap<String, TargetState>,
    task_configs: BTreeMap<ConnectorTaskId, Properties>,
    connector_task_count_records: BTreeMap<String, i32>,
    connector_task_config_generations: BTreeMap<String, i32>,
    applied_connector_configs: BTreeMap<String, Properties>,
    connectors_pending_fencing: BTreeSet<String>,
    inconsistent: BTreeSet<String>,
    deferred_task_updates: BTreeMap<String, BTreeMap<ConnectorTaskId, Properties>>,
}

impl ClusterConfigState {
    /// `NO_OFFSET`.
    pub const NO_OFFSET: i64 = -1;

    pub fn new() -> Self {
        Self::default()
    }

    /// Offset of the next record to read: the last applied record's offset + 1, or −1 ([`Self::NO_OFFSET`])
    /// when none was. Peers compare it exactly with the assignment's config offset.
    pub fn offset(&self) -> i64 {
        self.offset.unwrap_or(Self::NO_OFFSET)
    }

    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    pub fn contains(&self, connector: &str) -> bool {
        self.connector_configs.contains_key(connector)
    }

    /// The configured connectors, sorted.
    pub fn connectors(&self) -> impl Iterator<Item = &str> {
        self.connector_configs.keys().map(String::as_str)
    }

    pub fn connector_config(&self, connector: &str) -> Option<&Properties> {
        self.connector_configs.get(connector)
    }

    /// The connector config its current task configs were generated from (recorded at each complete commit).
    pub fn applied_connector_config(&self, connector: &str) -> Option<&Properties> {
        self.applied_connector_configs.get(connector)
    }

    pub fn target_state(&self, connector: &str) -> Option<TargetState> {
        self.connector_target_states.get(connector).copied()
    }

    pub fn task_config(&self, task: &ConnectorTaskId) -> Option<&Properties> {
        self.task_configs.get(task)
    }

    /// The committed task count, 0 if none.
    pub fn task_count(&self, connector: &str) -> i32 {
        self.connector_task_counts
            .get(connector)
            .copied()
            .unwrap_or(0)
    }

    /// The connector's task ids `0..task_count`; empty when it is inconsistent or has no commit.
    pub fn tasks(&self, connector: &str) -> Vec<ConnectorTaskId> {
        if self.inconsistent.contains(connector) {
            return Vec::new();
        }
        let n = self
            .connector_task_counts
            .get(connector)
            .copied()
            .unwrap_or(0);
        (0..n).map(|i| ConnectorTaskId::new(connector, i)).collect()
    }

    pub fn pending_fencing(&self, connector: &str) -> bool {
        self.connectors_pending_fencing.contains(connector)
    }

    pub fn task_count_record(&self, connector: &str) -> Option<i32> {
        self.connector_task_count_records.get(connector).copied()
    }

    pub fn task_config_generation(&self, connector: &str) -> Option<i32> {
        self.connector_task_config_generations
            .get(connector)
            .copied()
    }

    pub fn inconsistent_connectors(&self) -> &BTreeSet<String> {
        &self.inconsistent
    }

    /// Applies one record read at `offset` (records must come in offset order). `value` is `None` for a
    /// tombstone. `Ok(None)` when the record changed nothing the herder is told about.
    pub fn apply(
        &mut self,
        offset: i64,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordError> {
        let err = |kind| ConfigRecordError {
            key: key.to_owned(),
            offset,
            kind,
        };
        let value = json::parse(value).map_err(|e| err(ConfigRecordErrorKind::NotJson(e)))?;
        self.offset = Some(offset + 1);
        let parsed = match ConfigKey::parse(key) {
            Some(k) => k,
            None if key.starts_with(TASK_PREFIX) => {
                return Err(err(ConfigRecordErrorKind::InvalidTaskKey));
            }
            None => return Err(err(ConfigRecordErrorKind::UnknownKey)),
        };
        self.apply_parsed(parsed, value.as_ref()).map_err(err)
    }

    fn apply_parsed(
        &mut self,
        key: ConfigKey,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        match key {
            ConfigKey::TargetState(c) => self.apply_target_state(c, value),
            ConfigKey::Connector(c) => self.apply_connector_config(c, value),
            ConfigKey::Task(id) => self.apply_task_config(id, value),
            ConfigKey::Commit(c) => self.apply_commit(c, value),
            ConfigKey::Restart(c) => Ok(Some(ConfigUpdate::RestartRequested(restart_request(
                c, value,
            )?))),
            ConfigKey::TaskCount(c) => self.apply_task_count(c, value),
            ConfigKey::SessionKey => self.apply_session_key(value),
            ConfigKey::LoggerCluster(ns) => {
                let obj = object(value.ok_or(ConfigRecordErrorKind::UnexpectedNull)?)?;
                let level = obj.get("level").and_then(Value::as_str).ok_or(
                    ConfigRecordErrorKind::InvalidField {
                        field: "level",
                        expected: "a string",
                    },
                )?;
                Ok(Some(ConfigUpdate::LoggerLevel {
                    namespace: ns,
                    level: level.to_owned(),
                }))
            }
        }
    }

    fn apply_target_state(
        &mut self,
        c: String,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        let Some(value) = value else {
            self.connector_target_states.remove(&c);
            if self.connector_configs.contains_key(&c) {
                self.connector_target_states.insert(c, TargetState::Started);
            }
            return Ok(None);
        };
        let obj = object(value)?;
        // A non-string state.v2 is ignored in favour of state, as in Java.
        let name = match obj.get("state.v2").and_then(Value::as_str) {
            Some(s) => s,
            None => obj.get("state").and_then(Value::as_str).ok_or(
                ConfigRecordErrorKind::InvalidField {
                    field: "state",
                    expected: "a string",
                },
            )?,
        };
        let state = TargetState::parse(name)
            .ok_or_else(|| ConfigRecordErrorKind::InvalidTargetState(name.to_owned()))?;
        let previous = self.connector_target_states.insert(c.clone(), state);
        let changed = previous != Some(state);
        Ok((changed && self.connector_configs.contains_key(&c))
            .then_some(ConfigUpdate::TargetStateChanged(c)))
    }

    fn apply_connector_config(
        &mut self,
        c: String,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        let Some(value) = value else {
            self.remove_connector(&c);
            return Ok(Some(ConfigUpdate::ConnectorConfigRemoved(c)));
        };
        let props = properties(value)?;
        self.connector_configs.insert(c.clone(), props);
        self.connector_target_states
            .entry(c.clone())
            .or_insert(TargetState::Started);
        Ok(Some(ConfigUpdate::ConnectorConfigUpdated(c)))
    }

    fn apply_task_config(
        &mut self,
        id: ConnectorTaskId,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        let props = properties(value.ok_or(ConfigRecordErrorKind::UnexpectedNull)?)?;
        self.deferred_task_updates
            .entry(id.connector.clone())
            .or_default()
            .insert(id, props);
        Ok(None)
    }

    fn apply_commit(
        &mut self,
        c: String,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        let Some(applied) = self.connector_configs.get(&c).cloned() else {
            self.remove_connector(&c);
            return Ok(None);
        };
        let obj = object(value.ok_or(ConfigRecordErrorKind::InvalidField {
            field: "value",
            expected: "an object",
        })?)?;
        let n = int_value(obj, "tasks")?;
        let deferred = self.deferred_task_updates.get_mut(&c);
        let complete = (0..n.max(0)).all(|i| {
            deferred
                .as_ref()
                .is_some_and(|d| d.contains_key(&ConnectorTaskId::new(c.clone(), i)))
        });
        let mut updated = Vec::new();
        if !complete {
            self.inconsistent.insert(c.clone());
            if let Some(d) = deferred {
                d.clear();
            }
        } else {
            if let Some(d) = deferred {
                updated.extend(d.keys().cloned());
                self.task_configs.append(d);
                self.connector_task_config_generations
                    .entry(c.clone())
                    .and_modify(|g| *g += 1)
                    .or_insert(0);
            }
            self.inconsistent.remove(&c);
            self.applied_connector_configs.insert(c.clone(), applied);
        }
        self.connector_task_counts.insert(c.clone(), n);
        self.connectors_pending_fencing.insert(c.clone());
        Ok(Some(ConfigUpdate::TaskConfigsCommitted {
            connector: c,
            tasks: updated,
        }))
    }

    fn apply_task_count(
        &mut self,
        c: String,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        let obj = object(value.ok_or(ConfigRecordErrorKind::InvalidField {
            field: "value",
            expected: "an object",
        })?)?;
        let n = int_value(obj, "task-count")?;
        self.connector_task_count_records.insert(c.clone(), n);
        self.connectors_pending_fencing.remove(&c);
        Ok(Some(ConfigUpdate::TaskCountRecorded(c)))
    }

    fn apply_session_key(
        &mut self,
        value: Option<&Value>,
    ) -> Result<Option<ConfigUpdate>, ConfigRecordErrorKind> {
        let obj = object(value.ok_or(ConfigRecordErrorKind::UnexpectedNull)?)?;
        let key =
            obj.get("key")
                .and_then(Value::as_str)
                .ok_or(ConfigRecordErrorKind::InvalidField {
                    field: "key",
                    expected: "a string",
                })?;
        let key = base64_decode(key).ok_or(ConfigRecordErrorKind::InvalidField {
            field: "key",
            expected: "base64",
        })?;
        let algorithm = obj.get("algorithm").and_then(Value::as_str).ok_or(
            ConfigRecordErrorKind::InvalidField {
                field: "algorithm",
                expected: "a string",
            },
        )?;
        let creation_timestamp = obj
            .get("creation-timestamp")
            .and_then(json::as_long)
            .ok_or(ConfigRecordErrorKind::InvalidField {
                field: "creation-timestamp",
                expected: "a long",
            })?;
        self.session_key = Some(SessionKey {
            key,
            algorithm: algorithm.to_owned(),
            creation_timestamp,
        });
        Ok(Some(ConfigUpdate::SessionKeyUpdated))
    }

    /// `processConnectorRemoval`.
    fn remove_connector(&mut self, c: &str) {
        self.connector_configs.remove(c);
        self.connector_task_counts.remove(c);
        self.task_configs.retain(|id, _| id.connector != c);
        self.deferred_task_updates.remove(c);
        self.applied_connector_configs.remove(c);
    }
}

fn object(v: &Value) -> Result<&serde_json::Map<String, Value>, ConfigRecordErrorKind> {
    v.as_object().ok_or(ConfigRecordErrorKind::InvalidField {
        field: "value",
        expected: "an object",
    })
}

fn properties(v: &Value) -> Result<Properties, ConfigRecordErrorKind> {
    let bad = ConfigRecordErrorKind::InvalidField {
        field: "properties",
        expected: "a map of strings",
    };
    let map = object(v)?
        .get("properties")
        .and_then(Value::as_object)
        .ok_or(bad.clone())?;
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), Some(s.clone()))),
            Value::Null => Ok((k.clone(), None)),
            _ => Err(bad.clone()),
        })
        .collect()
}

/// `intValue`: Integer or Long (any integral JSON number), narrowed like Java's `(int) long`.
fn int_value(
    obj: &serde_json::Map<String, Value>,
    field: &'static str,
) -> Result<i32, ConfigRecordErrorKind> {
    obj.get(field)
        .and_then(json::as_long)
        .map(|n| n as i32)
        .ok_or(ConfigRecordErrorKind::InvalidField {
            field,
            expected: "an integer",
        })
}

/// `recordToRestartRequest`: flags that are missing or not booleans default to false.
fn restart_request(
    connector: String,
    value: Option<&Value>,
) -> Result<RestartRequest, ConfigRecordErrorKind> {
    let obj = object(value.ok_or(ConfigRecordErrorKind::InvalidField {
        field: "value",
        expected: "an object",
    })?)?;
    let flag = |name: &str| obj.get(name).and_then(Value::as_bool).unwrap_or(false);
    Ok(RestartRequest {
        connector,
        only_failed: flag("only-failed"),
        include_tasks: flag("include-tasks"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Vec<u8> {
        encode_properties(pairs.iter().map(|(k, v)| (*k, Some(*v))))
    }

    fn tid(c: &str, i: i32) -> ConnectorTaskId {
        ConnectorTaskId::new(c, i)
    }

    #[test]
    fn values_are_byte_identical_to_json_converter() {
        assert_eq!(
            props(&[("connector.class", "FileStreamSource"), ("tasks.max", "2")]),
            br#"{"properties":{"connector.class":"FileStreamSource","tasks.max":"2"}}"#
        );
        assert_eq!(
            encode_properties([("a", None)]),
            br#"{"properties":{"a":null}}"#
        );
        assert_eq!(encode_commit(3), br#"{"tasks":3}"#);
        assert_eq!(
            encode_target_state(TargetState::Stopped),
            br#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        assert_eq!(
            encode_target_state(TargetState::Started),
            br#"{"state":"STARTED","state.v2":"STARTED"}"#
        );
        assert_eq!(encode_task_count(4), br#"{"task-count":4}"#);
        assert_eq!(
            encode_restart_request(true, false),
            br#"{"include-tasks":true,"only-failed":false}"#
        );
        assert_eq!(encode_logger_level("DEBUG"), br#"{"level":"DEBUG"}"#);
        let key = SessionKey {
            key: b"secret-key-bytes".to_vec(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_000,
        };
        assert_eq!(
            encode_session_key(&key),
            br#"{"key":"c2VjcmV0LWtleS1ieXRlcw==","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#
        );
        assert_eq!(
            props(&[("q", "say \"hi\"\n")]),
            br#"{"properties":{"q":"say \"hi\"\n"}}"#
        );
    }

    #[test]
    fn keys_format_and_parse() {
        assert_eq!(task_key(&tid("my-conn", 12)), "task-my-conn-12");
        assert_eq!(
            ConfigKey::parse("task-my-conn-12"),
            Some(ConfigKey::Task(tid("my-conn", 12)))
        );
        assert_eq!(ConfigKey::parse("task-x"), None);
        assert_eq!(ConfigKey::parse("task-x-y"), None);
        // Java's split drops trailing empty parts: "task-a-1-" is task-a-1.
        assert_eq!(
            ConfigKey::parse("task-a-1-"),
            Some(ConfigKey::Task(tid("a", 1)))
        );
        assert_eq!(
            ConfigKey::parse("tasks-fencing-c"),
            Some(ConfigKey::TaskCount("c".into()))
        );
        assert_eq!(
            ConfigKey::parse("target-state-c"),
            Some(ConfigKey::TargetState("c".into()))
        );
        assert_eq!(
            ConfigKey::parse("connector-c"),
            Some(ConfigKey::Connector("c".into()))
        );
        assert_eq!(
            ConfigKey::parse("commit-c"),
            Some(ConfigKey::Commit("c".into()))
        );
        assert_eq!(
            ConfigKey::parse("restart-connector-c"),
            Some(ConfigKey::Restart("c".into()))
        );
        assert_eq!(ConfigKey::parse("session-key"), Some(ConfigKey::SessionKey));
        assert_eq!(
            ConfigKey::parse("logger-cluster-org.foo"),
            Some(ConfigKey::LoggerCluster("org.foo".into()))
        );
        assert_eq!(ConfigKey::parse("bogus"), None);
        for k in [
            "connector-a",
            "task-a-0",
            "commit-a",
            "target-state-a",
            "tasks-fencing-a",
            "restart-connector-a",
            "session-key",
            "logger-cluster-x",
        ] {
            assert_eq!(ConfigKey::parse(k).expect(k).to_string(), k);
        }
    }

    #[test]
    fn base64_round_trip_and_strictness() {
        for n in 0..8 {
            let data: Vec<u8> = (0..n).map(|i| i * 37).collect();
            assert_eq!(base64_decode(&base64_encode(&data)), Some(data));
        }
        assert_eq!(base64_decode("QQ"), Some(b"A".to_vec()));
        assert_eq!(base64_decode("QQ="), None);
        assert_eq!(base64_decode("Q"), None);
        assert_eq!(base64_decode("Q!=="), None);
    }

    fn state_with(records: &[(&str, Option<Vec<u8>>)]) -> ClusterConfigState {
        let mut s = ClusterConfigState::new();
        for (i, (k, v)) in records.iter().enumerate() {
            s.apply(i as i64, k, v.as_deref()).expect("record applies");
        }
        s
    }

    #[test]
    fn empty_state_offset_is_minus_one() {
        assert_eq!(ClusterConfigState::new().offset(), -1);
    }

    #[test]
    fn task_configs_wait_for_their_commit() {
        let mut s = ClusterConfigState::new();
        s.apply(0, "connector-c", Some(&props(&[("k", "v")])))
            .expect("connector");
        assert_eq!(s.target_state("c"), Some(TargetState::Started));
        s.apply(1, "task-c-0", Some(&props(&[("t", "0")])))
            .expect("task 0");
        s.apply(2, "task-c-1", Some(&props(&[("t", "1")])))
            .expect("task 1");
        assert!(
            s.task_config(&tid("c", 0)).is_none(),
            "buffered until commit"
        );
        assert!(s.tasks("c").is_empty());
        let update = s
            .apply(3, "commit-c", Some(&encode_commit(2)))
            .expect("commit");
        assert_eq!(
            update,
            Some(ConfigUpdate::TaskConfigsCommitted {
                connector: "c".into(),
                tasks: vec![tid("c", 0), tid("c", 1)]
            })
        );
        assert_eq!(s.tasks("c"), [tid("c", 0), tid("c", 1)]);
        assert_eq!(
            s.task_config(&tid("c", 1))
                .and_then(|p| p.get("t").cloned()),
            Some(Some("1".into()))
        );
        assert_eq!(s.task_config_generation("c"), Some(0));
        assert!(s.pending_fencing("c"));
        assert_eq!(s.applied_connector_config("c"), s.connector_config("c"));
        assert_eq!(s.offset(), 4);

        // A second generation, then a task-count record clears pending fencing.
        s.apply(4, "task-c-0", Some(&props(&[("t", "new")])))
            .expect("task");
        s.apply(5, "commit-c", Some(&encode_commit(1)))
            .expect("commit");
        assert_eq!(s.task_config_generation("c"), Some(1));
        assert_eq!(s.tasks("c"), [tid("c", 0)]);
        s.apply(6, "tasks-fencing-c", Some(&encode_task_count(1)))
            .expect("fencing");
        assert!(!s.pending_fencing("c"));
        assert_eq!(s.task_count_record("c"), Some(1));
        assert_eq!(s.offset(), 7);
    }

    #[test]
    fn incomplete_commit_marks_connector_inconsistent_until_a_full_one() {
        let mut s = state_with(&[
            ("connector-c", Some(props(&[]))),
            // Compaction removed task-c-0.
            ("task-c-1", Some(props(&[]))),
            ("commit-c", Some(encode_commit(2))),
        ]);
        assert!(s.inconsistent_connectors().contains("c"));
        assert!(s.tasks("c").is_empty());
        assert_eq!(s.task_count("c"), 2);
        assert!(s.pending_fencing("c"));
        assert_eq!(s.task_config_generation("c"), None);
        s.apply(3, "task-c-0", Some(&props(&[]))).expect("task");
        s.apply(4, "commit-c", Some(&encode_commit(1)))
            .expect("commit");
        assert!(s.inconsistent_connectors().is_empty());
        assert_eq!(s.tasks("c"), [tid("c", 0)]);
    }

    #[test]
    fn generation_counts_only_commits_that_had_a_buffer() {
        // Zero tasks committed without any task record ever seen: no generation (Java's deferred == null).
        let mut s = state_with(&[
            ("connector-c", Some(props(&[]))),
            ("commit-c", Some(encode_commit(0))),
        ]);
        assert_eq!(s.task_config_generation("c"), None);
        assert!(s.pending_fencing("c"));
        s.apply(2, "task-c-0", Some(&props(&[]))).expect("task");
        s.apply(3, "commit-c", Some(&encode_commit(1)))
            .expect("commit");
        assert_eq!(s.task_config_generation("c"), Some(0));
        // The buffer now exists (empty): a zero-task commit bumps the generation.
        s.apply(4, "commit-c", Some(&encode_commit(0)))
            .expect("commit");
        assert_eq!(s.task_config_generation("c"), Some(1));
    }

    #[test]
    fn delete_clears_connector_state_and_commit_without_connector_is_ignored() {
        let mut s = state_with(&[
            ("connector-c", Some(props(&[]))),
            (
                "target-state-c",
                Some(encode_target_state(TargetState::Paused)),
            ),
            ("task-c-0", Some(props(&[]))),
            ("commit-c", Some(encode_commit(1))),
            ("task-c-0", Some(props(&[]))),
        ]);
        let update = s.apply(5, "connector-c", None).expect("delete");
        assert_eq!(
            update,
            Some(ConfigUpdate::ConnectorConfigRemoved("c".into()))
        );
        assert!(!s.contains("c"));
        assert!(s.task_config(&tid("c", 0)).is_none());
        assert_eq!(s.task_count("c"), 0);
        assert!(s.applied_connector_config("c").is_none());
        // The target state goes with its own tombstone.
        assert_eq!(s.target_state("c"), Some(TargetState::Paused));
        s.apply(6, "target-state-c", None).expect("tombstone");
        assert_eq!(s.target_state("c"), None);
        // The buffered task config was dropped, so a commit now (connector absent) is ignored.
        assert_eq!(
            s.apply(7, "commit-c", Some(&encode_commit(1)))
                .expect("ignored"),
            None
        );
        assert_eq!(s.task_count("c"), 0);
        assert_eq!(s.offset(), 8);
    }

    #[test]
    fn target_states() {
        let mut s = ClusterConfigState::new();
        // State before the connector exists (create with initial state): no notification.
        assert_eq!(
            s.apply(
                0,
                "target-state-c",
                Some(&encode_target_state(TargetState::Stopped))
            )
            .expect("ts"),
            None
        );
        s.apply(1, "connector-c", Some(&props(&[])))
            .expect("connector");
        assert_eq!(
            s.target_state("c"),
            Some(TargetState::Stopped),
            "existing state kept"
        );
        // V0 record (no state.v2).
        assert_eq!(
            s.apply(2, "target-state-c", Some(br#"{"state":"PAUSED"}"#))
                .expect("v0"),
            Some(ConfigUpdate::TargetStateChanged("c".into()))
        );
        assert_eq!(
            s.apply(3, "target-state-c", Some(br#"{"state":"PAUSED"}"#))
                .expect("same"),
            None
        );
        // A non-string state.v2 falls back on state.
        s.apply(
            4,
            "target-state-c",
            Some(br#"{"state":"STARTED","state.v2":5}"#),
        )
        .expect("fallback");
        assert_eq!(s.target_state("c"), Some(TargetState::Started));
        // Tombstone while the connector exists puts STARTED back.
        s.apply(
            5,
            "target-state-c",
            Some(&encode_target_state(TargetState::Paused)),
        )
        .expect("pause");
        s.apply(6, "target-state-c", None).expect("tombstone");
        assert_eq!(s.target_state("c"), Some(TargetState::Started));
        let err = s
            .apply(7, "target-state-c", Some(br#"{"state":"running"}"#))
            .expect_err("bad state");
        assert_eq!(
            err.kind,
            ConfigRecordErrorKind::InvalidTargetState("running".into())
        );
    }

    #[test]
    fn session_key_restart_and_logger_records() {
        let mut s = ClusterConfigState::new();
        let key = SessionKey {
            key: vec![1, 2, 3, 4, 5],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 42,
        };
        assert_eq!(
            s.apply(0, "session-key", Some(&encode_session_key(&key)))
                .expect("key"),
            Some(ConfigUpdate::SessionKeyUpdated)
        );
        assert_eq!(s.session_key(), Some(&key));
        assert!(
            !format!("{key:?}").contains("[1, 2"),
            "key bytes are not printed"
        );
        assert_eq!(
            s.apply(1, "restart-connector-c", Some(br#"{"include-tasks":true}"#))
                .expect("restart"),
            Some(ConfigUpdate::RestartRequested(RestartRequest {
                connector: "c".into(),
                only_failed: false,
                include_tasks: true
            }))
        );
        assert_eq!(
            s.apply(
                2,
                "logger-cluster-org.apache",
                Some(&encode_logger_level("TRACE"))
            )
            .expect("logger"),
            Some(ConfigUpdate::LoggerLevel {
                namespace: "org.apache".into(),
                level: "TRACE".into()
            })
        );
        assert_eq!(s.offset(), 3);
    }

    #[test]
    fn bad_records_are_typed_errors_and_skipped() {
        let mut s = ClusterConfigState::new();
        s.apply(0, "connector-c", Some(&props(&[])))
            .expect("connector");

        let err = s
            .apply(1, "nonsense", Some(b"{}"))
            .expect_err("unknown key");
        assert_eq!(
            (err.key.as_str(), err.offset, &err.kind),
            ("nonsense", 1, &ConfigRecordErrorKind::UnknownKey)
        );
        assert!(err.to_string().contains("offset 1") && err.to_string().contains("'nonsense'"));
        assert_eq!(
            s.offset(),
            2,
            "a JSON value advances the offset even when the key is bad"
        );

        let err = s
            .apply(2, "connector-d", Some(b"{not json"))
            .expect_err("not json");
        assert!(matches!(err.kind, ConfigRecordErrorKind::NotJson(_)));
        assert_eq!(
            s.offset(),
            2,
            "a value the converter rejects does not advance the offset"
        );

        assert_eq!(
            s.apply(3, "task-c", Some(&props(&[])))
                .expect_err("key")
                .kind,
            ConfigRecordErrorKind::InvalidTaskKey
        );
        assert_eq!(
            s.apply(4, "task-c-0", None).expect_err("null").kind,
            ConfigRecordErrorKind::UnexpectedNull
        );
        assert!(
            s.apply(5, "connector-d", Some(br#"{"properties":[1]}"#))
                .is_err()
        );
        assert!(
            s.apply(6, "connector-d", Some(br#"{"properties":{"a":1}}"#))
                .is_err()
        );
        assert!(s.apply(7, "commit-c", Some(br#"{"tasks":"2"}"#)).is_err());
        assert!(s.apply(8, "commit-c", Some(br#"{"tasks":2.0}"#)).is_err());
        assert!(s.apply(9, "tasks-fencing-c", Some(br#"[]"#)).is_err());
        assert!(
            s.apply(
                10,
                "session-key",
                Some(br#"{"key":"!!","algorithm":"a","creation-timestamp":1}"#)
            )
            .is_err()
        );
        assert!(
            s.apply(
                11,
                "session-key",
                Some(br#"{"key":"QQ==","algorithm":"a","creation-timestamp":"1"}"#)
            )
            .is_err()
        );
        assert!(s.apply(12, "logger-cluster-x", None).is_err());
        assert!(s.apply(13, "connector-e", Some(b"\xFF\xFE")).is_err());

        // None of that changed the state.
        assert_eq!(s.connectors().collect::<Vec<_>>(), ["c"]);
        assert_eq!(s.task_count("c"), 0);
        assert!(s.session_key().is_none());
        assert_eq!(s.offset(), 13);
    }

    #[test]
    fn integers_narrow_like_java_and_commit_counts_from_long() {
        let s = state_with(&[
            ("connector-c", Some(props(&[]))),
            ("commit-c", Some(br#"{"tasks":0}"#.to_vec())),
        ]);
        assert_eq!(s.task_count("c"), 0);
        // JSON integers arrive as Long; Java narrows with (int).
        let s = state_with(&[
            ("connector-c", Some(props(&[]))),
            (
                "tasks-fencing-c",
                Some(br#"{"task-count":4294967297}"#.to_vec()),
            ),
        ]);
        assert_eq!(s.task_count_record("c"), Some(1));
    }
}
