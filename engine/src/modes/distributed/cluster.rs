//! [`Cluster`] for a [`DistributedWorker`]: the REST API on a distributed worker.
//!
//! - **Reads** answer from this worker's view: its config snapshot (connectors, configs, task
//!   configs, target states) and the status topic (read to its end first), each status with the
//!   id of the worker that wrote it.
//! - **Writes** follow Kafka Connect's leader rule (`DistributedHerder`): creating, updating
//!   and deleting connector configs, stopping a connector and altering or resetting offsets
//!   ([`Cluster::require_leader`]) are the leader's; a follower answers
//!   [`HerderError::NotLeader`] with the leader's URL from the last assignment (`None` while
//!   none holds), and the REST API forwards the request there. Pause and resume write the
//!   target state from any worker. `put` validates the config with the plugin's spec first
//!   (field errors as a standalone worker reports them, also on a follower) and refuses an
//!   existing connector unless `replace`; a new connector gets its initial target state.
//! - **Restarts** as in Kafka Connect: a task or connector assigned here restarts here; a
//!   follower asked to restart work assigned elsewhere answers `NotLeader`, and the leader
//!   answers `NotAssigned` with the owner's URL (from the work's status), so the REST API
//!   forwards the request to the worker that runs it. `?includeTasks=` / `?onlyFailed=`
//!   (KIP-745) are the leader's: it writes a restart request to the config topic and every
//!   worker restarts what of the connector it runs when it reads it. Restarting the connector
//!   itself replans nothing: its worker computes task configs again whenever the connector's
//!   config changes.
//! - **Task configs** sent by the worker running a connector (internal
//!   `POST /connectors/<c>/tasks`): the signature is checked first, on any worker (KIP-507:
//!   400, 403 or 503 as Kafka Connect answers), then the leader rule, then the connector.
//! - **Active topics** (KIP-558) are not tracked yet: every connector's topics count as
//!   active, and a reset is refused (400).

use std::sync::Arc;

use connect_api::ConnectorType;
use connect_api::config::{ConfigErrors, Properties};

use super::config_store::{ConnectorTaskId, TargetState as ConfigTarget};
use super::fencing::FenceError;
use super::log::LogError;
use super::status_store::State;
use super::worker::{DistributedError, DistributedWorker};
use crate::herder::connector_config::{self, CONNECTOR_CLASS, ConnectorConfig};
use crate::herder::{
    Cluster, ConnectorInfo, ConnectorStatus, HerderError, InternalRequest, TargetState, TaskStatus,
};
use crate::offsets::OffsetStore;
use crate::plugins::Plugins;
use crate::task::{TaskId, TaskStats};

/// The REST URL of the worker a status names (`host:port`, its advertised address). Kafka
/// Connect takes it from the group's assignment; the status names the same address.
/// The REST URL of the worker `worker_id` (`host:port`): with this worker's scheme, since the
/// workers of a cluster share their listener settings.
fn owner_url(own_url: &str, worker_id: &str) -> String {
    let scheme = own_url.split_once("://").map_or("http", |(s, _)| s);
    format!("{scheme}://{worker_id}")
}

fn to_config_target(target: TargetState) -> ConfigTarget {
    match target {
        TargetState::Running => ConfigTarget::Started,
        TargetState::Paused => ConfigTarget::Paused,
        TargetState::Stopped => ConfigTarget::Stopped,
    }
}

fn topic_error(what: &str, e: &LogError) -> HerderError {
    HerderError::Conflict(format!("Cannot {what} through the config topic: {e}"))
}

fn from_distributed(what: &str, e: DistributedError) -> HerderError {
    match e {
        DistributedError::NotFound(name) => HerderError::NotFound(name),
        DistributedError::Config(errors) => HerderError::Invalid(errors),
        DistributedError::Topic(e) => topic_error(what, &e),
        other => HerderError::BadRequest(other.to_string()),
    }
}

impl DistributedWorker {
    /// `Ok` on the leader; Kafka Connect's `NotLeaderException` (with the leader's URL when
    /// known) on a follower.
    fn leader_only(&self) -> Result<(), HerderError> {
        if self.is_leader() {
            Ok(())
        } else {
            Err(HerderError::NotLeader {
                leader_url: self.leader_url(),
            })
        }
    }

    fn not_found(&self, name: &str) -> Result<(), HerderError> {
        if self.config_store().snapshot().contains(name) {
            Ok(())
        } else {
            Err(HerderError::NotFound(name.to_owned()))
        }
    }

    /// Source or sink, from the connector class of a config (sink when unknown: a connector
    /// of an unknown class runs nothing).
    fn kind_of(&self, props: &Properties) -> ConnectorType {
        props
            .get(CONNECTOR_CLASS)
            .and_then(|c| Cluster::plugins(self).connector(c))
            .map_or(ConnectorType::Sink, |p| p.kind)
    }
}

impl Cluster for DistributedWorker {
    fn worker_id(&self) -> String {
        DistributedWorker::worker_id(self).to_owned()
    }

    fn ready(&self) -> bool {
        self.has_joined()
    }

    fn bootstrap(&self) -> &str {
        DistributedWorker::bootstrap(self)
    }

    fn plugins(&self) -> &Plugins {
        DistributedWorker::plugins(self)
    }

    fn worker_props(&self) -> &Properties {
        DistributedWorker::worker_props(self)
    }

    fn offsets(&self) -> &Arc<dyn OffsetStore> {
        DistributedWorker::offsets(self)
    }

    fn validate(&self, props: &Properties) -> Result<ConnectorConfig, ConfigErrors> {
        connector_config::validate(
            DistributedWorker::plugins(self),
            props,
            DistributedWorker::worker_props(self),
        )
    }

    fn names(&self) -> Vec<String> {
        let mut names = self.connectors();
        names.sort();
        names
    }

    fn info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let snap = self.config_store().snapshot();
        let config: Properties = snap
            .connector_config(name)
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect();
        let tasks = if snap.target_state(name) == Some(ConfigTarget::Stopped) {
            Vec::new()
        } else {
            (0..snap.tasks(name).len()).collect()
        };
        Ok(ConnectorInfo {
            name: name.to_owned(),
            kind: self.kind_of(&config),
            config,
            tasks,
        })
    }

    fn status(&self, name: &str) -> Result<ConnectorStatus, HerderError> {
        let info = self.info(name)?;
        let statuses =
            DistributedWorker::status(self, name).map_err(|e| from_distributed("read", e))?;
        let connector = statuses
            .connector
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        let tasks = info
            .tasks
            .iter()
            .filter_map(|&n| {
                let status = statuses.tasks.get(&i32::try_from(n).ok()?)?;
                Some(TaskStatus {
                    id: n,
                    state: status.state.as_str(),
                    trace: status.trace.clone(),
                    worker_id: status.worker_id.clone(),
                })
            })
            .collect();
        Ok(ConnectorStatus {
            name: name.to_owned(),
            state: connector.state.as_str(),
            worker_id: connector.worker_id,
            kind: info.kind,
            tasks,
        })
    }

    fn task_configs(&self, name: &str) -> Result<Vec<Properties>, HerderError> {
        let snap = self.config_store().snapshot();
        if !snap.contains(name) {
            return Err(HerderError::NotFound(name.to_owned()));
        }
        if snap.target_state(name) == Some(ConfigTarget::Stopped) {
            return Ok(Vec::new());
        }
        Ok(DistributedWorker::task_configs(self, name))
    }

    fn topics_active(&self, name: &str) -> Result<bool, HerderError> {
        self.not_found(name)?;
        Ok(true)
    }

    fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        self.not_found(name)?;
        Err(HerderError::BadRequest(
            "Resetting a connector's active topics is not supported yet by a distributed wharf \
             worker"
                .to_owned(),
        ))
    }

    fn task_stats(&self) -> Vec<(TaskId, ConnectorType, Arc<TaskStats>)> {
        let snap = self.config_store().snapshot();
        self.running_task_stats()
            .into_iter()
            .map(|(id, stats)| {
                let kind = snap
                    .connector_config(&id.connector)
                    .and_then(|c| c.get(CONNECTOR_CLASS).cloned().flatten())
                    .and_then(|class| Cluster::plugins(self).connector(&class).map(|p| p.kind))
                    .unwrap_or(ConnectorType::Sink);
                (id, kind, stats)
            })
            .collect()
    }

    fn put(
        &self,
        props: Properties,
        initial: TargetState,
        replace: bool,
    ) -> Result<bool, HerderError> {
        let config = Cluster::validate(self, &props)?;
        self.leader_only()?;
        let name = config.name;
        let exists = self.config_store().snapshot().contains(&name);
        if exists && !replace {
            return Err(HerderError::AlreadyExists(name));
        }
        self.config_store()
            .put_connector_config(
                &name,
                &props,
                (!exists).then_some(to_config_target(initial)),
            )
            .map_err(|e| topic_error("write the connector config", &e))?;
        tracing::info!(message = if exists { "Reconfigured connector." } else { "Created connector." }, connector = %name);
        Ok(!exists)
    }

    fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        if target == TargetState::Stopped {
            self.leader_only()?;
        }
        DistributedWorker::set_target(self, name, to_config_target(target))
            .map_err(|e| from_distributed("write the target state", e))?;
        tracing::info!(message = "Connector target state changed.", connector = %name, target = target.name());
        Ok(())
    }

    fn restart(
        &self,
        name: &str,
        task: Option<usize>,
        only_failed: bool,
    ) -> Result<(), HerderError> {
        let snap = self.config_store().snapshot();
        if !snap.contains(name) {
            return Err(HerderError::NotFound(name.to_owned()));
        }
        let all = if snap.target_state(name) == Some(ConfigTarget::Stopped) {
            Vec::new()
        } else {
            snap.tasks(name)
        };
        if let Some(n) = task
            && !all
                .iter()
                .any(|id| usize::try_from(id.task).ok() == Some(n))
        {
            return Err(HerderError::TaskNotFound(TaskId {
                connector: name.to_owned(),
                task: n,
            }));
        }
        let statuses =
            DistributedWorker::status(self, name).map_err(|e| from_distributed("read", e))?;
        let chosen: Vec<ConnectorTaskId> = all
            .into_iter()
            .filter(|id| task.is_none_or(|n| usize::try_from(id.task).ok() == Some(n)))
            .filter(|id| {
                !only_failed
                    || statuses
                        .tasks
                        .get(&id.task)
                        .is_some_and(|s| s.state == State::Failed)
            })
            .collect();
        let assigned = self.assigned_tasks();
        if chosen.iter().all(|id| assigned.contains(id)) {
            self.restart_local_tasks(&chosen);
            return Ok(());
        }
        if task.is_none() {
            // Several tasks, some elsewhere: as a restart request, which every worker acts on.
            self.leader_only()?;
            return self
                .request_restart(name, true, only_failed)
                .map_err(|e| from_distributed("request a restart", e));
        }
        // One task that runs elsewhere: the leader sends the request to its worker.
        self.leader_only()?;
        Err(HerderError::NotAssigned {
            owner_url: chosen
                .first()
                .and_then(|id| statuses.tasks.get(&id.task))
                .map(|s| owner_url(self.url(), &s.worker_id)),
        })
    }

    fn restart_connector(&self, name: &str) -> Result<bool, HerderError> {
        self.not_found(name)?;
        if self.assigned_connectors().contains(name) {
            // No connector instance runs here to restart, and the connector's worker plans
            // task configs again whenever the config changes: nothing to do.
            return Ok(false);
        }
        // As Kafka Connect: the leader sends the request to the connector's worker, a follower
        // to the leader.
        self.leader_only()?;
        let statuses =
            DistributedWorker::status(self, name).map_err(|e| from_distributed("read", e))?;
        Err(HerderError::NotAssigned {
            owner_url: statuses
                .connector
                .map(|s| owner_url(self.url(), &s.worker_id)),
        })
    }

    fn restart_connector_and_tasks(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
        _any_task: bool,
    ) -> Result<(), HerderError> {
        // `DistributedHerder.restartConnectorAndTasks`: the leader writes the request to the
        // config topic; each worker restarts what of it runs when it reads it.
        self.leader_only()?;
        self.request_restart(name, include_tasks, only_failed)
            .map_err(|e| from_distributed("request a restart", e))
    }

    fn delete(&self, name: &str) -> Result<(), HerderError> {
        self.leader_only()?;
        self.delete_connector(name)
            .map_err(|e| from_distributed("delete the connector", e))?;
        tracing::info!(message = "Deleted connector.", connector = %name);
        Ok(())
    }

    fn require_leader(&self) -> Result<(), HerderError> {
        self.leader_only()
    }

    fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Properties>,
        request: &InternalRequest<'_>,
    ) -> Result<(), HerderError> {
        // As `DistributedHerder.putTaskConfigs`: the signature first (on any worker), then the
        // leader rule, then the connector.
        self.check_signature(request.signature, request.algorithm, request.body)
            .map_err(|e| HerderError::Refused {
                status: e.status(),
                message: e.to_string(),
            })?;
        self.leader_only()?;
        self.write_task_configs(name, &configs)
            .map_err(|e| from_distributed("write task configs", e))
    }

    fn fence_zombies(&self, name: &str, request: &InternalRequest<'_>) -> Result<(), HerderError> {
        // As `DistributedHerder.fenceZombieSourceTasks`: the signature, then the leader rule.
        self.check_signature(request.signature, request.algorithm, request.body)
            .map_err(|e| HerderError::Refused {
                status: e.status(),
                message: e.to_string(),
            })?;
        self.leader_only()?;
        DistributedWorker::fence_zombies(self, name).map_err(|e| match e {
            FenceError::NotFound(name) => HerderError::NotFound(name),
            other => HerderError::Refused {
                status: other.status(),
                message: other.to_string(),
            },
        })
    }
}
