//! The herder: the live set of connectors of a worker and their tasks — what the REST API and
//! standalone mode act on. Creating, reconfiguring, pausing, resuming, stopping, restarting and
//! deleting a connector touches only that connector's tasks; the others keep running (no
//! rebalance storm).
//!
//! Writes (create, reconfigure, pause, resume, stop, restart, delete) block until the tasks they
//! stop have flushed and committed; call them from a thread that may block (the REST API uses
//! `spawn_blocking`). Reads never wait for a task: the state lock is held only to change or copy
//! the state, never across a task's stop. A write takes the old tasks out and signals their stop
//! under the lock, waits for them outside it, and starts the new ones under it again; writes to
//! the same connector take turns ([`turns`]), so they stay in order and never run a
//! connector's old and new tasks side by side.
//!
//! [`Cluster`] is what the REST API sees of a worker's cluster; [`Herder`] implements it for a
//! standalone worker.

mod cluster;
pub mod connector_config;
mod spawn;
mod turns;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::offsets::OffsetStore;
use crate::plugins::Plugins;
use crate::runtime::{ShardError, ShardPool};
use crate::task::{TaskId, TaskStats};
use connect_api::ConnectorType;
use connect_api::config::{ConfigErrors, Properties};
use connector_config::{ConnectorConfig, NAME, TASKS_MAX};

pub use cluster::{ALGORITHM_HEADER, Cluster, InternalRequest, SIGNATURE_HEADER};
pub use spawn::{RunningTask, WorkerContext, connector_client_config, spawn as spawn_task};

/// What a connector should be doing (Kafka Connect's target state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Running,
    Paused,
    Stopped,
}

impl TargetState {
    /// The name the REST API uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "RUNNING" => Some(Self::Running),
            "PAUSED" => Some(Self::Paused),
            "STOPPED" => Some(Self::Stopped),
            _ => None,
        }
    }
}

/// Why a herder call failed; each maps to the status Kafka Connect answers with.
#[derive(Debug, thiserror::Error)]
pub enum HerderError {
    #[error("Connector {0} not found")]
    NotFound(String),
    #[error("Task {0} not found")]
    TaskNotFound(TaskId),
    #[error("Connector {0} already exists")]
    AlreadyExists(String),
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// The request conflicts with the cluster's state of the moment (a rebalance under way, a
    /// stale config): 409, as Kafka Connect answers it. Only a distributed worker returns it.
    #[error("{0}")]
    Conflict(String),
    /// The request needs the group's leader and this worker is not it; `leader_url` is the
    /// leader's REST address when known. Only a distributed worker returns it.
    #[error("Cannot complete request: this worker is not the leader (leader: {leader_url:?})")]
    NotLeader { leader_url: Option<String> },
    /// The request names work assigned to another worker, which has to complete it (Kafka
    /// Connect's `NotAssignedException`); `owner_url` is that worker's REST address when known.
    /// Only a distributed worker's leader returns it; the REST API forwards the request there.
    #[error("Cannot complete request: the work is assigned to another worker ({owner_url:?})")]
    NotAssigned { owner_url: Option<String> },
    /// A request refused with this HTTP status (an internal request without a valid signature,
    /// an endpoint this mode does not offer), as Kafka Connect answers it.
    #[error("{message}")]
    Refused { status: u16, message: String },
}

impl HerderError {
    /// Kafka Connect's 409 when the worker's view of the configs is stale (a rebalance is
    /// needed), as a distributed worker returns it.
    pub fn stale_config() -> Self {
        Self::Conflict(
            "Cannot complete request momentarily due to stale configuration (typically caused by \
             a concurrent config change)"
                .to_owned(),
        )
    }
}

/// A task's status.
#[derive(Debug, Clone)]
pub struct TaskStatus {
    pub id: usize,
    /// RUNNING, FAILED, PAUSED or STOPPED... as Kafka Connect names them.
    pub state: &'static str,
    pub trace: Option<String>,
    /// The worker the task runs on (its advertised REST address).
    pub worker_id: String,
}

/// A connector's status.
#[derive(Debug, Clone)]
pub struct ConnectorStatus {
    pub name: String,
    pub state: &'static str,
    /// The worker the connector runs on (its advertised REST address).
    pub worker_id: String,
    pub kind: ConnectorType,
    pub tasks: Vec<TaskStatus>,
}

/// A connector's description (`GET /connectors/{c}`).
#[derive(Debug, Clone)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: Properties,
    pub tasks: Vec<usize>,
    pub kind: ConnectorType,
}

struct Connector {
    config: ConnectorConfig,
    target: TargetState,
    /// Task configs as last planned (kept while paused/stopped).
    task_configs: Vec<Properties>,
    tasks: Vec<RunningTask>,
    /// Records the tasks had handled when the active topics were last reset (KIP-558); `None`
    /// when never reset.
    topics_reset_at: Option<u64>,
}

impl Connector {
    /// The task numbers it reports: none while STOPPED, as Kafka Connect (KIP-875) empties the
    /// task list of a stopped connector.
    fn reported_tasks(&self) -> std::ops::Range<usize> {
        match self.target {
            TargetState::Stopped => 0..0,
            TargetState::Running | TargetState::Paused => 0..self.task_configs.len(),
        }
    }

    fn records(&self) -> u64 {
        self.tasks.iter().map(|t| t.stats.records()).sum()
    }

    fn plan(&self) -> Vec<Properties> {
        let max_tasks =
            usize::try_from(self.config.config.int(TASKS_MAX).unwrap_or(1)).unwrap_or(1);
        let mut task_configs =
            (self.config.plugin.connector)().task_configs(&self.config.props, max_tasks);
        task_configs.truncate(max_tasks.max(1));
        connect_api::config::providers::reverse(&self.config.raw, &mut task_configs);
        task_configs
    }
}

struct State {
    connectors: BTreeMap<String, Connector>,
    next_shard: usize,
    /// Set by [`Herder::shutdown`]: no task starts after it.
    closed: bool,
}

/// The live connectors of one worker. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Herder {
    state: Arc<Mutex<State>>,
    turns: Arc<turns::Turns>,
    pool: Arc<ShardPool>,
    ctx: WorkerContext,
    pub worker_id: String,
}

impl std::fmt::Debug for Herder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Herder")
            .field("worker_id", &self.worker_id)
            .finish()
    }
}

impl Herder {
    pub fn new(pool: ShardPool, ctx: WorkerContext, worker_id: String) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                connectors: BTreeMap::new(),
                next_shard: 0,
                closed: false,
            })),
            turns: Arc::default(),
            pool: Arc::new(pool),
            ctx,
            worker_id,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn shards(&self) -> usize {
        self.pool.len()
    }

    /// The offset store source tasks commit to.
    pub fn offsets(&self) -> &Arc<dyn OffsetStore> {
        &self.ctx.offsets
    }

    /// The Kafka cluster the worker uses.
    pub fn bootstrap(&self) -> &str {
        &self.ctx.bootstrap
    }

    /// What this worker can run.
    pub fn plugins(&self) -> &Plugins {
        &self.ctx.plugins
    }

    pub fn worker_props(&self) -> &Properties {
        &self.ctx.worker_props
    }

    /// Validates a connector config against the worker (converters, plugin keys, ...).
    pub fn validate(&self, props: &Properties) -> Result<ConnectorConfig, ConfigErrors> {
        connector_config::validate(&self.ctx.plugins, props, &self.ctx.worker_props)
    }

    /// Creates a connector; `replace` allows an existing one to be reconfigured (PUT config).
    /// Returns whether it was created.
    pub fn put(
        &self,
        props: Properties,
        initial: TargetState,
        replace: bool,
    ) -> Result<bool, HerderError> {
        let config = self.validate(&props)?;
        self.put_validated(config, initial, replace)
    }

    /// [`Herder::put`] of a config already validated.
    pub fn put_validated(
        &self,
        config: ConnectorConfig,
        initial: TargetState,
        replace: bool,
    ) -> Result<bool, HerderError> {
        let name = config.name.clone();
        let _turn = self.turns.take(&name);
        let mut connector = Connector {
            config,
            target: initial,
            task_configs: Vec::new(),
            tasks: Vec::new(),
            topics_reset_at: None,
        };
        connector.task_configs = connector.plan();
        let (created, old_tasks) = {
            let mut state = self.lock();
            let old_tasks = match state.connectors.get_mut(&name) {
                Some(_) if !replace => return Err(HerderError::AlreadyExists(name)),
                Some(old) => {
                    connector.target = old.target;
                    Some(signal_stop(std::mem::take(&mut old.tasks)))
                }
                None => None,
            };
            // The new config shows at once; its tasks start once the old ones have stopped.
            state.connectors.insert(name.clone(), connector);
            (old_tasks.is_none(), old_tasks.unwrap_or_default())
        };
        await_stops(old_tasks);
        self.start_tasks(&name)?;
        tracing::info!(message = if created { "Created connector." } else { "Reconfigured connector." }, connector = %name);
        Ok(created)
    }

    /// Names of all connectors.
    pub fn names(&self) -> Vec<String> {
        self.lock().connectors.keys().cloned().collect()
    }

    pub fn info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let state = self.lock();
        let c = state
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        Ok(ConnectorInfo {
            name: name.to_owned(),
            config: c.config.raw.clone(),
            tasks: c.reported_tasks().collect(),
            kind: c.config.plugin.kind,
        })
    }

    pub fn task_configs(&self, name: &str) -> Result<Vec<Properties>, HerderError> {
        let state = self.lock();
        let c = state
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        Ok(c.task_configs[c.reported_tasks()].to_vec())
    }

    pub fn status(&self, name: &str) -> Result<ConnectorStatus, HerderError> {
        let state = self.lock();
        let c = state
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        let tasks = c
            .reported_tasks()
            .map(|n| {
                let running = c.tasks.iter().find(|t| t.id.task == n);
                let failure = running.and_then(|t| t.stats.failure());
                let state = match (c.target, running, &failure) {
                    (_, Some(_), Some(_)) => "FAILED",
                    (TargetState::Running, Some(_), None) => "RUNNING",
                    (TargetState::Running, None, _) => "UNASSIGNED",
                    (TargetState::Paused, ..) => "PAUSED",
                    // Not reported: a stopped connector has no tasks.
                    (TargetState::Stopped, ..) => "UNASSIGNED",
                };
                TaskStatus {
                    id: n,
                    state,
                    trace: failure,
                    worker_id: self.worker_id.clone(),
                }
            })
            .collect();
        Ok(ConnectorStatus {
            name: name.to_owned(),
            state: c.target.name(),
            worker_id: self.worker_id.clone(),
            kind: c.config.plugin.kind,
            tasks,
        })
    }

    /// Counters of every running task, for metrics.
    pub fn task_stats(&self) -> Vec<(TaskId, ConnectorType, Arc<TaskStats>)> {
        let state = self.lock();
        state
            .connectors
            .values()
            .flat_map(|c| {
                c.tasks
                    .iter()
                    .map(|t| (t.id.clone(), c.config.plugin.kind, Arc::clone(&t.stats)))
            })
            .collect()
    }

    /// Pause, resume or stop: stops the tasks (they flush and commit) unless the target is
    /// RUNNING, in which case tasks are started if not running.
    pub fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        let _turn = self.turns.take(name);
        let stopping = {
            let mut state = self.lock();
            let c = state
                .connectors
                .get_mut(name)
                .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
            c.target = target;
            match target {
                TargetState::Running => Vec::new(),
                TargetState::Paused | TargetState::Stopped => {
                    signal_stop(std::mem::take(&mut c.tasks))
                }
            }
        };
        await_stops(stopping);
        self.start_tasks(name)?;
        tracing::info!(message = "Connector target state changed.", connector = %name, target = target.name());
        Ok(())
    }

    /// Restarts tasks of a connector: all, or only failed ones; `task` picks one.
    pub fn restart(
        &self,
        name: &str,
        task: Option<usize>,
        only_failed: bool,
    ) -> Result<(), HerderError> {
        let _turn = self.turns.take(name);
        let restart = {
            let mut state = self.lock();
            let c = state
                .connectors
                .get_mut(name)
                .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
            if let Some(n) = task
                && !c.reported_tasks().contains(&n)
            {
                return Err(HerderError::TaskNotFound(TaskId {
                    connector: name.to_owned(),
                    task: n,
                }));
            }
            if c.target != TargetState::Running {
                return Ok(());
            }
            let (restart, keep): (Vec<RunningTask>, Vec<RunningTask>) =
                std::mem::take(&mut c.tasks).into_iter().partition(|t| {
                    task.is_none_or(|n| t.id.task == n)
                        && (!only_failed || t.stats.failure().is_some())
                });
            c.tasks = keep;
            signal_stop(restart)
        };
        await_stops(restart);
        self.start_tasks(name)?;
        Ok(())
    }

    /// Restarts the connector itself: plans its tasks again from its config and, when the plan
    /// changed while it runs, restarts them with the new plan. Returns whether tasks restarted.
    pub fn restart_connector(&self, name: &str) -> Result<bool, HerderError> {
        let _turn = self.turns.take(name);
        let stopping = {
            let mut state = self.lock();
            let c = state
                .connectors
                .get_mut(name)
                .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
            let plan = c.plan();
            let changed = plan != c.task_configs;
            c.task_configs = plan;
            tracing::info!(message = "Restarted connector.", connector = %name, tasks_changed = changed);
            if !changed || c.target != TargetState::Running {
                return Ok(false);
            }
            signal_stop(std::mem::take(&mut c.tasks))
        };
        await_stops(stopping);
        self.start_tasks(name)?;
        Ok(true)
    }

    /// Empties the connector's set of active topics (KIP-558 `PUT /connectors/{c}/topics/reset`).
    pub fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        let mut state = self.lock();
        let c = state
            .connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        c.topics_reset_at = Some(c.records());
        Ok(())
    }

    /// Whether the connector's topics count as active: never reset, or records have gone
    /// through its tasks since the last reset.
    pub fn topics_active(&self, name: &str) -> Result<bool, HerderError> {
        let state = self.lock();
        let c = state
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        Ok(c.topics_reset_at.is_none_or(|at| c.records() != at))
    }

    /// Deletes a connector after stopping its tasks.
    pub fn delete(&self, name: &str) -> Result<(), HerderError> {
        let _turn = self.turns.take(name);
        let removed = self.lock().connectors.remove(name);
        let c = removed.ok_or_else(|| HerderError::NotFound(name.to_owned()))?;
        await_stops(signal_stop(c.tasks));
        tracing::info!(message = "Deleted connector.", connector = %name);
        Ok(())
    }

    /// Stops every task and reports each outcome.
    pub fn shutdown(&self) -> Vec<(TaskId, Result<(), String>)> {
        let tasks: Vec<RunningTask> = {
            let mut state = self.lock();
            state.closed = true;
            state
                .connectors
                .values_mut()
                .flat_map(|c| std::mem::take(&mut c.tasks))
                .collect()
        };
        for t in &tasks {
            t.stop.set();
        }
        tasks.into_iter().map(RunningTask::stop).collect()
    }

    /// The connector name in a config, for messages.
    pub fn name_of(props: &Properties) -> Option<&str> {
        props.get(NAME).map(String::as_str)
    }
}

impl Herder {
    /// Starts the tasks a running connector lacks, from its planned task configs, spreading them
    /// over the shards round-robin. Spawning only hands each task to its shard, so the state
    /// lock is held for no task's startup.
    fn start_tasks(&self, name: &str) -> Result<(), ShardError> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(c) = state.connectors.get_mut(name) else {
            return Ok(());
        };
        if state.closed || c.target != TargetState::Running {
            return Ok(());
        }
        for (n, props) in c.task_configs.iter().enumerate() {
            if c.tasks.iter().any(|t| t.id.task == n) {
                continue;
            }
            let shard = state.next_shard % self.pool.len();
            state.next_shard += 1;
            c.tasks.push(spawn::spawn(
                &self.pool,
                shard,
                &self.ctx,
                &c.config,
                n,
                props.clone(),
            )?);
        }
        c.tasks.sort_by_key(|t| t.id.task);
        Ok(())
    }
}

/// Tells every task to stop, so they wind down in parallel; call it under the state lock.
fn signal_stop(tasks: Vec<RunningTask>) -> Vec<RunningTask> {
    for t in &tasks {
        t.stop.set();
    }
    tasks
}

/// Waits for stopped tasks to flush and commit; call it without the state lock.
fn await_stops(tasks: Vec<RunningTask>) {
    for t in tasks {
        let (id, outcome) = t.stop();
        if let Err(error) = outcome {
            tracing::warn!(message = "Task ended with an error while stopping.", task = %id, %error);
        }
    }
}
