//! `config.storage.topic`: connector configs, task configs and their commits, target states,
//! restart requests, the session key and task-count records, in Kafka Connect's formats
//! (`connect_protocol::config_topic`), read and written as `KafkaConfigBackingStore` does.
//!
//! Reading applies each record through [`ClusterConfigState::apply`], so the state and the
//! config offset peers compare ([`ConfigStore::offset`]) are what a Java worker computes from
//! the same topic. A record that cannot be applied is logged with its key and offset and
//! skipped; reading goes on.
//!
//! Writes follow Java's sequences: a connector config (after its target state, if one is given)
//! and a delete (tombstones for `connector-<c>` then `target-state-<c>`) are acknowledged and then
//! read back; task configs are written as read to end → `task-<c>-<i>`… → read to end →
//! `commit-<c>` → read to end, all within one 30 s budget; a target state or a logger level is only
//! acknowledged (Java does not read after them either).
//!
//! The leader's transactional writes (`exactly.once.source.support=preparing|enabled`: a
//! producer with `transactional.id=connect-cluster-<group.id>`) are not here yet; every write
//! goes through the plain producer.
//!
//! Blocking, for a control thread.

use std::sync::Mutex;
use std::time::Instant;

use connect_api::config::Properties as StringProperties;
use connect_protocol::config_topic as records;
/// The record formats and the state this store reads them into.
pub use connect_protocol::config_topic::{
    self, ClusterConfigState, ConfigUpdate, SessionKey, TargetState,
};
pub use connect_protocol::protocol::ConnectorTaskId;

use super::log::{ClientSettings, DEFAULT_TIMEOUT, KafkaLog, LogError, TopicSetup};

/// The worker property naming the topic.
pub const TOPIC_SETTING: &str = "config.storage.topic";

/// The config topic; see the module docs.
#[derive(Debug)]
pub struct ConfigStore {
    log: KafkaLog,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: ClusterConfigState,
    /// What reads since the last [`ConfigStore::take_updates`] changed.
    updates: Vec<ConfigUpdate>,
}

impl ConfigStore {
    /// Sets the topic up (created with one partition and `replication_factor` if missing; refused
    /// if not compacted or with more than one partition) and reads it to its end. Updates read
    /// here are not reported: Java tells its listener nothing before the store has started.
    pub fn open(
        bootstrap: &str,
        topic: &str,
        replication_factor: i32,
        settings: &ClientSettings,
    ) -> Result<Self, LogError> {
        let log = KafkaLog::open(
            bootstrap,
            topic,
            &TopicSetup {
                setting: TOPIC_SETTING,
                partitions: 1,
                replication_factor,
                single_partition: true,
            },
            settings,
        )?;
        let store = Self {
            log,
            inner: Mutex::new(Inner::default()),
        };
        store.read_until(Instant::now() + DEFAULT_TIMEOUT)?;
        store.take_updates();
        Ok(store)
    }

    pub fn topic(&self) -> &str {
        self.log.topic()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the topic to its end (`refreshConfigSnapshot`); returns what changed since the last
    /// call, including changes read during writes.
    pub fn read_to_end(&self) -> Result<Vec<ConfigUpdate>, LogError> {
        self.read_until(Instant::now() + DEFAULT_TIMEOUT)?;
        Ok(self.take_updates())
    }

    /// What reads changed since the last call (Java's `UpdateListener` calls, in order).
    pub fn take_updates(&self) -> Vec<ConfigUpdate> {
        std::mem::take(&mut self.inner().updates)
    }

    /// Reads the topic to its end within `timeout` (`worker.sync.timeout.ms`), keeping what
    /// changed for the next [`Self::take_updates`].
    pub fn read_within(&self, timeout: std::time::Duration) -> Result<(), LogError> {
        self.read_until(Instant::now() + timeout)
    }

    /// The state lock is taken per record, not for the whole read: the read waits on the
    /// broker (for up to `deadline` while it is away), and snapshots — every REST read — must
    /// not wait with it. The log's own reader lock keeps concurrent reads in offset order.
    fn read_until(&self, deadline: Instant) -> Result<(), LogError> {
        let topic = self.log.topic();
        self.log.read_to_end(deadline, |record| {
            // Java's StringDeserializer decodes any bytes; a null key fails every prefix test.
            let key = record.key.map(String::from_utf8_lossy).unwrap_or_default();
            let mut inner = self.inner();
            let Inner { state, updates } = &mut *inner;
            match state.apply(record.offset, &key, record.value) {
                Ok(Some(update)) => updates.push(update),
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    message = "Skipping a config topic record that cannot be applied.",
                    topic,
                    key = %e.key,
                    offset = e.offset,
                    error = %e.kind
                ),
            }
        })?;
        Ok(())
    }

    /// A copy of the state read so far (`snapshot()`).
    pub fn snapshot(&self) -> ClusterConfigState {
        self.inner().state.clone()
    }

    /// The config offset: the offset after the last record applied, −1 before any.
    pub fn offset(&self) -> i64 {
        self.inner().state.offset()
    }

    /// `putConnectorConfig`: `target-state-<c>` first when `target_state` is given (a create
    /// with an initial state), then `connector-<c>`; acknowledged, then read to end.
    pub fn put_connector_config(
        &self,
        connector: &str,
        props: &StringProperties,
        target_state: Option<TargetState>,
    ) -> Result<(), LogError> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        let mut batch = Vec::new();
        if let Some(state) = target_state {
            batch.push((
                records::target_state_key(connector).into_bytes(),
                Some(records::encode_target_state(state)),
            ));
        }
        batch.push((
            records::connector_key(connector).into_bytes(),
            Some(records::encode_string_properties(props)),
        ));
        self.log.send_all(&batch, deadline)?;
        self.read_until(deadline)
    }

    /// `removeConnectorConfig`: tombstones for `connector-<c>` and `target-state-<c>`, then read
    /// to end.
    pub fn delete_connector(&self, connector: &str) -> Result<(), LogError> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        self.log.send_all(
            &[
                (records::connector_key(connector).into_bytes(), None),
                (records::target_state_key(connector).into_bytes(), None),
            ],
            deadline,
        )?;
        self.read_until(deadline)
    }

    /// `putTaskConfigs`: read to end, `task-<c>-<i>` for each config, read to end (if any), the
    /// `commit-<c>` record with the count, read to end — within one 30 s budget.
    pub fn put_task_configs(
        &self,
        connector: &str,
        configs: &[StringProperties],
    ) -> Result<(), LogError> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        self.read_until(deadline)?;
        let batch: Vec<_> = configs
            .iter()
            .enumerate()
            .map(|(i, props)| {
                let id = ConnectorTaskId::new(connector, i as i32);
                (
                    records::task_key(&id).into_bytes(),
                    Some(records::encode_string_properties(props)),
                )
            })
            .collect();
        self.log.send_all(&batch, deadline)?;
        if !configs.is_empty() {
            self.read_until(deadline)?;
        }
        self.log.send_all(
            &[(
                records::commit_key(connector).into_bytes(),
                Some(records::encode_commit(configs.len() as i32)),
            )],
            deadline,
        )?;
        self.read_until(deadline)
    }

    /// `putTargetState`: acknowledged, not read back (as in Java; [`Self::read_to_end`] shows it).
    pub fn put_target_state(&self, connector: &str, state: TargetState) -> Result<(), LogError> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        self.log.send_all(
            &[(
                records::target_state_key(connector).into_bytes(),
                Some(records::encode_target_state(state)),
            )],
            deadline,
        )
    }

    /// `putRestartRequest`: acknowledged, then read to end.
    pub fn put_restart_request(
        &self,
        connector: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), LogError> {
        self.put_and_read(
            records::restart_key(connector),
            records::encode_restart_request(include_tasks, only_failed),
        )
    }

    /// `putSessionKey`: acknowledged, then read to end.
    pub fn put_session_key(&self, key: &SessionKey) -> Result<(), LogError> {
        self.put_and_read(
            records::SESSION_KEY_KEY.to_owned(),
            records::encode_session_key(key),
        )
    }

    /// `putTaskCountRecord`: acknowledged, then read to end.
    pub fn put_task_count_record(&self, connector: &str, task_count: i32) -> Result<(), LogError> {
        self.put_and_read(
            records::task_count_record_key(connector),
            records::encode_task_count(task_count),
        )
    }

    /// `putLoggerLevel` (KIP-976): acknowledged, not read back.
    pub fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), LogError> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        self.log.send_all(
            &[(
                records::logger_cluster_key(namespace).into_bytes(),
                Some(records::encode_logger_level(level)),
            )],
            deadline,
        )
    }

    fn put_and_read(&self, key: String, value: Vec<u8>) -> Result<(), LogError> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        self.log
            .send_all(&[(key.into_bytes(), Some(value))], deadline)?;
        self.read_until(deadline)
    }
}
