//! [`Cluster`]: a Kafka Connect cluster as seen from one worker — what the REST API acts on.
//!
//! A standalone worker is a cluster of one: [`Herder`] implements it by delegation. A distributed
//! worker implements it over the group's config, status and offset topics, answering for
//! connectors whose tasks run on other workers; the REST API is the same code for both.

use std::sync::Arc;

use super::connector_config::ConnectorConfig;
use super::{ConnectorInfo, ConnectorStatus, Herder, HerderError, TargetState};
use crate::offsets::OffsetStore;
use crate::plugins::Plugins;
use crate::task::{TaskId, TaskStats};
use connect_api::ConnectorType;
use connect_api::config::{ConfigErrors, Properties};

/// A Kafka Connect cluster as seen from one worker: its connectors, their configs, statuses and
/// task configs, and the writes Kafka Connect's REST API makes to them.
///
/// Writes (`put`, `set_target`, `restart`, `restart_connector`, `delete`) may block until tasks
/// have stopped (standalone) or until the cluster has taken the write (distributed); call them
/// from a thread that may block (the REST API uses `spawn_blocking`). Reads never wait for a
/// task.
///
/// Errors map to Kafka Connect's status codes in the REST API. Two of them only a distributed
/// worker returns: [`HerderError::Conflict`] (409, e.g. during a rebalance or with a stale
/// config) and [`HerderError::NotLeader`] (the write has to go to the leader: `put`, `delete`,
/// `set_target` to STOPPED, restarts of work not assigned here, and [`Cluster::require_leader`];
/// the REST API forwards the request to `leader_url`, or answers 409 without one).
pub trait Cluster: Send + Sync + 'static {
    /// This worker's id as status answers carry it: its advertised REST address.
    fn worker_id(&self) -> String;

    /// Whether the worker has completed startup (`GET /health` answers 503 until then). A
    /// standalone worker is ready once it serves; a distributed one once it has joined the group
    /// and read the config topic.
    fn ready(&self) -> bool {
        true
    }

    /// The Kafka cluster the worker uses.
    fn bootstrap(&self) -> &str;

    /// What this worker can run.
    fn plugins(&self) -> &Plugins;

    /// The worker's own config (`worker.properties`).
    fn worker_props(&self) -> &Properties;

    /// The offset store of source connectors.
    fn offsets(&self) -> &Arc<dyn OffsetStore>;

    /// Validates a connector config against the worker (converters, plugin keys, ...).
    fn validate(&self, props: &Properties) -> Result<ConnectorConfig, ConfigErrors>;

    /// Names of all connectors, sorted.
    fn names(&self) -> Vec<String>;

    /// A connector's config, task numbers and type.
    fn info(&self, name: &str) -> Result<ConnectorInfo, HerderError>;

    /// A connector's state and its tasks' states.
    fn status(&self, name: &str) -> Result<ConnectorStatus, HerderError>;

    /// The configs of a connector's tasks, as last planned; none while STOPPED.
    fn task_configs(&self, name: &str) -> Result<Vec<Properties>, HerderError>;

    /// Whether the connector's topics count as active (KIP-558): never reset, or records have
    /// gone through its tasks since the last reset.
    fn topics_active(&self, name: &str) -> Result<bool, HerderError>;

    /// Empties the connector's set of active topics (KIP-558).
    fn reset_active_topics(&self, name: &str) -> Result<(), HerderError>;

    /// Counters of the tasks running on this worker, for metrics.
    fn task_stats(&self) -> Vec<(TaskId, ConnectorType, Arc<TaskStats>)>;

    /// Creates a connector; `replace` allows an existing one to be reconfigured (PUT config).
    /// Returns whether it was created.
    fn put(
        &self,
        props: Properties,
        initial: TargetState,
        replace: bool,
    ) -> Result<bool, HerderError>;

    /// Pause, resume or stop a connector.
    fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError>;

    /// Restarts tasks of a connector: all, or only failed ones; `task` picks one.
    fn restart(
        &self,
        name: &str,
        task: Option<usize>,
        only_failed: bool,
    ) -> Result<(), HerderError>;

    /// Restarts the connector itself, planning its tasks again. Returns whether tasks restarted.
    fn restart_connector(&self, name: &str) -> Result<bool, HerderError>;

    /// `POST /connectors/{c}/restart?includeTasks=&onlyFailed=` (KIP-745), once the REST API
    /// has answered with the plan: the connector (unless `only_failed`) and, with
    /// `include_tasks`, its tasks (only the FAILED ones with `only_failed`). A distributed
    /// worker's leader writes a restart request to the config topic instead, which each worker
    /// acts on for what it runs.
    fn restart_connector_and_tasks(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
        any_task: bool,
    ) -> Result<(), HerderError> {
        let _ = include_tasks;
        let replanned = if only_failed {
            false
        } else {
            self.restart_connector(name)?
        };
        if any_task && !replanned {
            self.restart(name, None, only_failed)?;
        }
        Ok(())
    }

    /// Deletes a connector.
    fn delete(&self, name: &str) -> Result<(), HerderError>;

    /// Writes task configs that the worker running the connector computed: Kafka Connect's
    /// internal `POST /connectors/{c}/tasks`, which a follower sends to the leader. `request`
    /// carries the raw body and its signature headers (KIP-507). A standalone worker refuses
    /// it, as Kafka Connect's does (500).
    fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Properties>,
        request: &InternalRequest<'_>,
    ) -> Result<(), HerderError> {
        let _ = (name, configs, request);
        Err(HerderError::Refused {
            status: 500,
            message: "Kafka Connect in standalone mode does not support externally setting task \
                      configurations."
                .to_owned(),
        })
    }

    /// Fences the zombies of a connector's exactly-once source tasks before a worker starts
    /// them: Kafka Connect's internal `PUT /connectors/{c}/fence`, which a follower sends to the
    /// leader (KIP-618), signed as `request` shows. A standalone worker refuses it (500).
    fn fence_zombies(&self, name: &str, request: &InternalRequest<'_>) -> Result<(), HerderError> {
        let _ = (name, request);
        Err(HerderError::Refused {
            status: 500,
            message: "Zombie fencing is done by the leader of a distributed cluster; a \
                      standalone worker fences its tasks' producers itself."
                .to_owned(),
        })
    }

    /// Whether this worker may make a write Kafka Connect allows only on the leader and that the
    /// REST API makes itself (altering and resetting offsets): [`HerderError::NotLeader`] on a
    /// distributed follower, so that the REST API forwards the request to the leader. A
    /// standalone worker is always its own leader.
    fn require_leader(&self) -> Result<(), HerderError> {
        Ok(())
    }
}

/// The header of an internal request holding its body's MAC, base64 (KIP-507).
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// The header naming the MAC's algorithm (`HmacSHA256`).
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

/// An internal request between workers as received: its raw body and signature headers.
#[derive(Debug, Clone, Copy)]
pub struct InternalRequest<'a> {
    pub body: &'a [u8],
    /// `X-Connect-Authorization`.
    pub signature: Option<&'a str>,
    /// `X-Connect-Request-Signature-Algorithm`.
    pub algorithm: Option<&'a str>,
}

impl Cluster for Herder {
    fn worker_id(&self) -> String {
        self.worker_id.clone()
    }

    fn bootstrap(&self) -> &str {
        Herder::bootstrap(self)
    }

    fn plugins(&self) -> &Plugins {
        Herder::plugins(self)
    }

    fn worker_props(&self) -> &Properties {
        Herder::worker_props(self)
    }

    fn offsets(&self) -> &Arc<dyn OffsetStore> {
        Herder::offsets(self)
    }

    fn validate(&self, props: &Properties) -> Result<ConnectorConfig, ConfigErrors> {
        Herder::validate(self, props)
    }

    fn names(&self) -> Vec<String> {
        Herder::names(self)
    }

    fn info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        Herder::info(self, name)
    }

    fn status(&self, name: &str) -> Result<ConnectorStatus, HerderError> {
        Herder::status(self, name)
    }

    fn task_configs(&self, name: &str) -> Result<Vec<Properties>, HerderError> {
        Herder::task_configs(self, name)
    }

    fn topics_active(&self, name: &str) -> Result<bool, HerderError> {
        Herder::topics_active(self, name)
    }

    fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        Herder::reset_active_topics(self, name)
    }

    fn task_stats(&self) -> Vec<(TaskId, ConnectorType, Arc<TaskStats>)> {
        Herder::task_stats(self)
    }

    fn put(
        &self,
        props: Properties,
        initial: TargetState,
        replace: bool,
    ) -> Result<bool, HerderError> {
        Herder::put(self, props, initial, replace)
    }

    fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        Herder::set_target(self, name, target)
    }

    fn restart(
        &self,
        name: &str,
        task: Option<usize>,
        only_failed: bool,
    ) -> Result<(), HerderError> {
        Herder::restart(self, name, task, only_failed)
    }

    fn restart_connector(&self, name: &str) -> Result<bool, HerderError> {
        Herder::restart_connector(self, name)
    }

    fn delete(&self, name: &str) -> Result<(), HerderError> {
        Herder::delete(self, name)
    }
}
