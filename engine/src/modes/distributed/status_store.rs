//! `status.storage.topic`: connector and task statuses and KIP-558 active topics, in Kafka
//! Connect's formats (`connect_protocol::status_topic`), as `KafkaStatusBackingStore` writes and
//! reads them.
//!
//! - [`StatusStore::put_connector`] / [`StatusStore::put_task`] write unconditionally (RUNNING,
//!   PAUSED, STOPPED, RESTARTING; DESTROYED is a tombstone).
//! - [`StatusStore::put_connector_safe`] / [`StatusStore::put_task_safe`] are `putSafe`
//!   (UNASSIGNED, FAILED): they write only if nothing is cached, the cached status is this
//!   worker's, or it is from the same or an older generation ([`can_write_safely`]).
//! - The cache holds what was **read** from the topic, as Java's does: a write shows there once
//!   [`StatusStore::read_to_end`] has read it back. Reading keeps the latest status per connector
//!   and task, except that an UNASSIGNED task status is dropped while the cached one is RUNNING at
//!   the same or a newer generation ([`accept_task_status`]); a connector tombstone removes the
//!   connector and all its tasks, a task tombstone the task.
//!
//! Writes wait for the broker's acknowledgement and are not retried here (the producer has
//! `retries=0`, as Java's); the caller decides. Blocking, for a control thread.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

pub use connect_protocol::protocol::ConnectorTaskId;
/// The record formats and the statuses this store reads them into.
pub use connect_protocol::status_topic::{self, State, Status, TopicStatus};
use connect_protocol::status_topic::{
    self as records, StatusKey, accept_task_status, can_write_safely,
};

use super::log::{ClientSettings, DEFAULT_TIMEOUT, KafkaLog, LogError, TopicSetup};

/// The worker property naming the topic.
pub const TOPIC_SETTING: &str = "status.storage.topic";

/// `status.storage.partitions`' default.
pub const DEFAULT_PARTITIONS: i32 = 5;

#[derive(Debug, Default)]
struct Cache {
    connectors: BTreeMap<String, Status>,
    tasks: BTreeMap<String, BTreeMap<i32, Status>>,
    /// Connector → topic → its active-topic record.
    topics: BTreeMap<String, BTreeMap<String, TopicStatus>>,
}

impl Cache {
    fn task(&self, id: &ConnectorTaskId) -> Option<&Status> {
        self.tasks.get(&id.connector)?.get(&id.task)
    }

    /// `KafkaStatusBackingStore.read`.
    fn read(&mut self, topic: &str, offset: i64, key: &str, value: Option<&[u8]>) {
        let warn = |what: &str| {
            tracing::warn!(
                message = "Skipping a status topic record.",
                topic,
                key,
                offset,
                reason = what
            );
        };
        match StatusKey::parse(key) {
            None => warn("unknown key"),
            Some(StatusKey::Connector(connector)) => match value {
                None => {
                    self.connectors.remove(&connector);
                    self.tasks.remove(&connector);
                }
                Some(bytes) => match records::decode_status(bytes) {
                    Ok(status) => {
                        self.connectors.insert(connector, status);
                    }
                    Err(e) => warn(&e.to_string()),
                },
            },
            Some(StatusKey::Task(id)) => match value {
                None => {
                    if let Some(tasks) = self.tasks.get_mut(&id.connector) {
                        tasks.remove(&id.task);
                        if tasks.is_empty() {
                            self.tasks.remove(&id.connector);
                        }
                    }
                }
                Some(bytes) => match records::decode_status(bytes) {
                    Ok(status) => {
                        if accept_task_status(self.task(&id), &status) {
                            self.tasks
                                .entry(id.connector)
                                .or_default()
                                .insert(id.task, status);
                        }
                    }
                    Err(e) => warn(&e.to_string()),
                },
            },
            Some(StatusKey::Topic {
                topic: name,
                connector,
            }) => match value {
                None => {
                    if let Some(topics) = self.topics.get_mut(&connector) {
                        topics.remove(&name);
                        if topics.is_empty() {
                            self.topics.remove(&connector);
                        }
                    }
                }
                Some(bytes) => match records::decode_topic_status(bytes) {
                    Ok(status) => {
                        self.topics
                            .entry(connector)
                            .or_default()
                            .insert(status.topic.clone(), status);
                    }
                    Err(e) => warn(&e.to_string()),
                },
            },
            Some(_) => warn("unknown key"),
        }
    }
}

/// The status topic; see the module docs.
#[derive(Debug)]
pub struct StatusStore {
    log: KafkaLog,
    cache: Mutex<Cache>,
}

impl StatusStore {
    /// Sets the topic up (created compacted with `partitions` and `replication_factor` if
    /// missing; refused if not compacted) and reads it to its end.
    pub fn open(
        bootstrap: &str,
        topic: &str,
        partitions: i32,
        replication_factor: i32,
        settings: &ClientSettings,
    ) -> Result<Self, LogError> {
        let mut settings = settings.clone();
        settings.producer_retries = Some(0);
        let log = KafkaLog::open(
            bootstrap,
            topic,
            &TopicSetup {
                setting: TOPIC_SETTING,
                partitions,
                replication_factor,
                single_partition: false,
            },
            &settings,
        )?;
        let store = Self {
            log,
            cache: Mutex::new(Cache::default()),
        };
        store.read_to_end()?;
        Ok(store)
    }

    pub fn topic(&self) -> &str {
        self.log.topic()
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the topic to its end into the cache. The cache is locked per record, not for the
    /// whole read, so that lookups do not wait on the broker with it; the log's reader lock
    /// keeps concurrent reads in order.
    pub fn read_to_end(&self) -> Result<(), LogError> {
        let topic = self.log.topic();
        self.log
            .read_to_end(Instant::now() + DEFAULT_TIMEOUT, |record| {
                let key = record.key.map(String::from_utf8_lossy).unwrap_or_default();
                self.cache().read(topic, record.offset, &key, record.value);
            })?;
        Ok(())
    }

    fn write(&self, key: String, value: Option<Vec<u8>>) -> Result<(), LogError> {
        self.log.send_all(
            &[(key.into_bytes(), value)],
            Instant::now() + DEFAULT_TIMEOUT,
        )
    }

    /// `put(ConnectorStatus)`: unconditional.
    pub fn put_connector(&self, connector: &str, status: &Status) -> Result<(), LogError> {
        self.write(
            records::connector_status_key(connector),
            records::encode_status(status),
        )
    }

    /// `put(TaskStatus)`: unconditional.
    pub fn put_task(&self, id: &ConnectorTaskId, status: &Status) -> Result<(), LogError> {
        self.write(records::task_status_key(id), records::encode_status(status))
    }

    /// `putSafe(ConnectorStatus)`: `false` when the cached status forbids the write.
    pub fn put_connector_safe(&self, connector: &str, status: &Status) -> Result<bool, LogError> {
        if !can_write_safely(self.cache().connectors.get(connector), status) {
            return Ok(false);
        }
        self.put_connector(connector, status)?;
        Ok(true)
    }

    /// `putSafe(TaskStatus)`: `false` when the cached status forbids the write.
    pub fn put_task_safe(&self, id: &ConnectorTaskId, status: &Status) -> Result<bool, LogError> {
        if !can_write_safely(self.cache().task(id), status) {
            return Ok(false);
        }
        self.put_task(id, status)?;
        Ok(true)
    }

    /// `put(TopicStatus)`: a connector's task used a topic (KIP-558).
    pub fn put_topic(&self, status: &TopicStatus) -> Result<(), LogError> {
        self.write(
            records::topic_status_key(&status.topic, &status.connector),
            Some(records::encode_topic_status(status)),
        )
    }

    /// `deleteTopic`: resets one of the connector's active topics (a tombstone).
    pub fn delete_topic(&self, connector: &str, topic: &str) -> Result<(), LogError> {
        self.write(records::topic_status_key(topic, connector), None)
    }

    /// The cached status of a connector.
    pub fn connector(&self, connector: &str) -> Option<Status> {
        self.cache().connectors.get(connector).cloned()
    }

    /// The cached status of a task.
    pub fn task(&self, id: &ConnectorTaskId) -> Option<Status> {
        self.cache().task(id).cloned()
    }

    /// The cached statuses of a connector's tasks, by task number (`getAll`).
    pub fn tasks(&self, connector: &str) -> BTreeMap<i32, Status> {
        self.cache()
            .tasks
            .get(connector)
            .cloned()
            .unwrap_or_default()
    }

    /// The connectors with a cached status.
    pub fn connectors(&self) -> Vec<String> {
        self.cache().connectors.keys().cloned().collect()
    }

    /// The connector's active topics (`getAllTopics`).
    pub fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        self.cache()
            .topics
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }
}
