//! A distributed worker: the parts of this module put together as Kafka Connect's
//! `DistributedHerder` does — the offsets, config and status topics, the shards that run tasks,
//! and this worker's [`GroupMember`], driven by one control thread.
//!
//! # The control thread ("tick" loop)
//!
//! - **Assigned**: when the assignment failed (CONFIG_MISMATCH) or its config offset is ahead of
//!   what this worker has read, the config topic is read to its end within
//!   `worker.sync.timeout.ms`; if it is still behind (or the assignment failed), the worker asks
//!   for a rejoin and starts nothing new. If this worker's offset is ahead, it starts its work and
//!   asks for a rejoin. Revoked tasks were already stopped (flushed and committed) by
//!   [`GroupWork::on_revoked`] on the membership thread, before its rejoin.
//! - **Reconcile** (after each assignment, each config update read, and every 5 s): the tasks
//!   assigned here whose connector is STARTED and has task configs are started through
//!   [`spawn`] (the connector config validated first with [`connector_config::validate`]; a
//!   task of an invalid connector gets a FAILED status with the reason); tasks no longer
//!   assigned, of a PAUSED / STOPPED connector, or whose task config changed are stopped.
//!   Statuses go to the status topic with the worker id (`host:port` of the advertised URL) and
//!   the generation: RUNNING, FAILED, PAUSED, UNASSIGNED (`putSafe`, when a task stops here).
//! - **Failures**: every second, a task that ended on its own (its restart supervisor gave up)
//!   is recorded FAILED with the error and not started again until its task config changes or
//!   it is assigned elsewhere (Kafka Connect leaves a FAILED task until a restart request).
//! - **Config updates** (the config topic is read every 500 ms): a new or removed connector, or
//!   committed task configs, make the worker ask for a rejoin; a target state change is acted on
//!   by the reconcile.
//!
//! # Task configs: who writes them
//!
//! As in Kafka Connect, the worker a connector is assigned to computes its task configs
//! (`Connector::task_configs(props, tasks.max)`) whenever there are none, the set is
//! inconsistent, or they were made from another connector config than the current one (not
//! while STOPPED). The leader writes them to the config topic; a follower sends them to the
//! leader's REST API (`POST /connectors/<c>/tasks`), signed with the session key while the group
//! runs `sessioned` (KIP-507, [`session`](super::session)), and sends them again every few
//! seconds until they are committed. The leader keeps that session key valid: it writes a new
//! one when there is none, when it expired (`inter.worker.key.ttl.ms`) or when its algorithm
//! or size is not the configured one. A Java leader takes a wharf follower's task configs the same
//! way, and a wharf leader a Java follower's.
//!
//! # Writes
//!
//! [`DistributedWorker::put_connector`], [`delete_connector`](DistributedWorker::delete_connector)
//! and [`set_target`](DistributedWorker::set_target) write to the config topic directly from
//! whichever worker is called. The REST API ([`cluster`](super::cluster)) adds Kafka Connect's
//! leader rule on top: on a follower, connector configs, deletes, stops, restarts of work held
//! elsewhere and offset changes answer `NotLeader` with [`leader_url`](DistributedWorker::leader_url),
//! and the REST layer forwards the request to the leader.
//!
//! # Offsets
//!
//! Source offsets live in `offset.storage.topic` ([`TopicOffsetStore`], Kafka Connect's format).
//! Its in-memory view only moves with this worker's commits, so before starting source tasks the
//! worker reads the topic again: a task that moves here resumes from what its last owner
//! committed.
//!
//! The REST API is served over this worker through [`Cluster`](crate::herder::Cluster) (see
//! [`cluster`](super::cluster)). Restart requests read from the config topic (KIP-745) restart
//! the connector's tasks that run here. Under the eager protocol, a worker that cannot read the
//! config topic to its assignment's offset within `worker.sync.timeout.ms` waits
//! `worker.unsync.backoff.ms` before rejoining. With `exactly.once.source.support=enabled`,
//! the source tasks of a connector whose task configs changed start only after the leader has
//! fenced the previous generation's producers ([`fencing`](super::fencing); a follower asks it
//! with `PUT /connectors/<c>/fence`). Not here yet: the leader's transactional config writes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use connect_api::ConnectorType;
use connect_api::config::{Config, ConfigErrors, Properties};

use super::config_store::{self, ClusterConfigState, ConfigStore, ConfigUpdate, TargetState};
use super::fencing::{self, FenceError};
use super::internal::Call;
use super::log::{ClientSettings, LogError};
use super::member::{
    Assigned, ConfiguredWork, ConnectProtocolCompatibility, ConnectorTaskId, GroupMember,
    GroupWork, MemberConfig, MemberEvent,
};
use super::session::{KeyPolicy, SignatureError};
use super::status_store::{State, Status, StatusStore};
use crate::herder::connector_config::{self, ConnectorConfig};
use crate::herder::{RunningTask, WorkerContext, connector_client_config, spawn_task as spawn};
use crate::keys::distributed as keys;
use crate::keys::worker::{
    BOOTSTRAP_SERVERS, BUFFER_MAX_BYTES, LISTENERS, OFFSET_FLUSH_INTERVAL_MS, OFFSET_PARTITIONS,
    OFFSET_REPLICATION, OFFSET_TOPIC, SHARDS,
};
use crate::offsets::{JsonMap, OffsetError, OffsetKey, OffsetStore, TopicOffsetStore};
use crate::plugins::Plugins;
use crate::runtime::{ShardConfig, ShardError, ShardPool, available_cores};
use connect_protocol::config_topic::RestartRequest;

/// How often the control thread reads the config topic.
const CONFIG_POLL: Duration = Duration::from_millis(500);
/// How often it looks for tasks that ended on their own.
const REAP_EVERY: Duration = Duration::from_secs(1);
/// How often it reconciles even without news (retries of failed starts and writes).
const RECONCILE_EVERY: Duration = Duration::from_secs(5);

/// Why the worker could not start, or an API call failed.
#[derive(Debug, thiserror::Error)]
pub enum DistributedError {
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    #[error("{key}: {message}")]
    Key { key: &'static str, message: String },
    #[error(transparent)]
    Offsets(#[from] OffsetError),
    #[error(transparent)]
    Topic(#[from] LogError),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("cannot start the group membership: {0}")]
    Member(std::io::Error),
    #[error("Connector {0} not found")]
    NotFound(String),
    #[error("connector config has no name")]
    NoName,
    #[error("{key}: {message}")]
    Security { key: String, message: String },
}

/// A connector's statuses as the status topic has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorStatus {
    pub connector: Option<Status>,
    pub tasks: BTreeMap<i32, Status>,
}

/// The offsets topic store, re-read when a source task is about to start here.
struct ReloadableOffsets {
    bootstrap: String,
    /// The worker's own clients' settings (TLS, SASL), in librdkafka's terms.
    client: BTreeMap<String, String>,
    topic: String,
    partitions: i32,
    replication: i32,
    inner: RwLock<Arc<TopicOffsetStore>>,
}

impl ReloadableOffsets {
    fn current(&self) -> Arc<TopicOffsetStore> {
        Arc::clone(&self.inner.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn reload(&self) -> Result<(), OffsetError> {
        let fresh = TopicOffsetStore::open(
            &self.bootstrap,
            &self.topic,
            self.partitions,
            self.replication,
            &self.client,
        )?;
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        Ok(())
    }
}

impl OffsetStore for ReloadableOffsets {
    fn offsets(&self, connector: &str) -> BTreeMap<OffsetKey, JsonMap> {
        self.current().offsets(connector)
    }

    fn commit(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) -> Result<(), OffsetError> {
        self.current().commit(updates)
    }

    fn refresh(&self) -> Result<(), OffsetError> {
        self.reload()
    }

    fn transactional_topic(&self) -> Option<&str> {
        Some(&self.topic)
    }

    fn committed_in_transaction(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) {
        self.current().committed_in_transaction(updates);
    }
}

/// What the control thread, the membership thread and the API share.
struct Shared {
    plugins: Arc<Plugins>,
    worker_props: Properties,
    worker_id: String,
    url: String,
    config: ConfigStore,
    status: StatusStore,
    offsets: Arc<ReloadableOffsets>,
    pool: ShardPool,
    ctx: WorkerContext,
    /// `inter.worker.*`: the session key's lifecycle and request signatures (KIP-507).
    keys: KeyPolicy,
    work: Mutex<Work>,
}

/// This worker's assignment and what runs of it.
#[derive(Default)]
struct Work {
    generation: i32,
    leader: bool,
    /// The leader's REST URL from the last assignment; `None` before one or once it is lost.
    leader_url: Option<String>,
    /// The assignment was read up to its config offset: new work may start.
    synced: bool,
    connectors: BTreeSet<String>,
    tasks: BTreeSet<ConnectorTaskId>,
    running: BTreeMap<ConnectorTaskId, RunningTask>,
    next_shard: usize,
    /// Last connector status written, with its generation.
    connector_written: BTreeMap<String, (State, i32)>,
    /// Tasks last reported FAILED / PAUSED, with the generation.
    task_written: BTreeMap<ConnectorTaskId, (State, i32)>,
    /// Tasks that ended on their own (failed) with the config they ran: not started again
    /// until their config changes or they move to another worker (as Kafka Connect leaves a
    /// FAILED task until it is restarted).
    failed: BTreeMap<ConnectorTaskId, Properties>,
    /// Connectors whose missing task configs were already logged (follower).
    warned: BTreeSet<String>,
    /// The group runs the `sessioned` protocol: internal requests are signed and checked.
    sessioned: bool,
    /// When this worker (a follower) last sent the leader each connector's internal requests,
    /// by endpoint.
    internal_sent: BTreeMap<(String, &'static str), Instant>,
    /// The session key this worker (the leader) last wrote, with when: not written again
    /// until it has been read back or a while has passed.
    key_written: Option<(i64, Instant)>,
}

fn lock(m: &Mutex<Work>) -> MutexGuard<'_, Work> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Config-topic properties (optional values) as a connector config.
fn to_props(p: &config_store::config_topic::Properties) -> Properties {
    p.iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect()
}

fn target(snap: &ClusterConfigState, connector: &str) -> TargetState {
    snap.target_state(connector).unwrap_or(TargetState::Started)
}

/// The connector's committed task configs, in task order.
fn stored_task_configs(snap: &ClusterConfigState, connector: &str) -> Vec<Properties> {
    snap.tasks(connector)
        .iter()
        .filter_map(|id| snap.task_config(id).map(to_props))
        .collect()
}

/// Whether the connector's task configs must be (re)computed: none committed, an inconsistent
/// set, or made from another connector config than the current one.
fn needs_task_configs(snap: &ClusterConfigState, connector: &str) -> bool {
    snap.inconsistent_connectors().contains(connector)
        || snap.applied_connector_config(connector) != snap.connector_config(connector)
}

impl Shared {
    fn status(&self, state: State, trace: Option<String>, generation: i32) -> Status {
        Status {
            state,
            trace,
            worker_id: self.worker_id.clone(),
            generation,
        }
    }

    fn validate(&self, props: &Properties) -> Result<ConnectorConfig, String> {
        connector_config::validate(&self.plugins, props, &self.worker_props)
            .map_err(|e| e.to_string())
    }

    fn put_task_status(&self, id: &ConnectorTaskId, status: &Status, safe: bool) {
        let result = if safe {
            self.status.put_task_safe(id, status).map(|_| ())
        } else {
            self.status.put_task(id, status)
        };
        if let Err(e) = result {
            tracing::warn!(message = "Could not write a task status.", task = %id, state = ?status.state, error = %e);
        }
    }

    /// Stops these tasks (all at once; each flushes and commits) and records them UNASSIGNED.
    fn stop_tasks(&self, work: &mut Work, ids: &[ConnectorTaskId], report: bool) {
        let tasks: Vec<(ConnectorTaskId, RunningTask)> = ids
            .iter()
            .filter_map(|id| work.running.remove(id).map(|t| (id.clone(), t)))
            .collect();
        if tasks.is_empty() {
            return;
        }
        std::thread::scope(|s| {
            for (id, task) in tasks {
                s.spawn(move || match task.stop() {
                    (_, Ok(())) => tracing::info!(message = "Stopped task.", task = %id),
                    (_, Err(e)) => {
                        tracing::warn!(message = "Task ended with an error.", task = %id, error = %e)
                    }
                });
            }
        });
        if report {
            let status = self.status(State::Unassigned, None, work.generation);
            for id in ids {
                self.put_task_status(id, &status, true);
            }
        }
    }

    /// Acts on a restart request read from the config topic (`processRestartRequests`): the
    /// connector's tasks assigned here (only the FAILED ones with `only_failed`) are stopped
    /// and started again by the next reconcile, a FAILED one included. The connector itself
    /// has no instance to restart here.
    fn restart(&self, work: &mut Work, request: &RestartRequest) {
        if !request.include_tasks {
            return;
        }
        let chosen: Vec<ConnectorTaskId> = work
            .tasks
            .iter()
            .filter(|id| id.connector == request.connector)
            .filter(|id| {
                !request.only_failed
                    || work.failed.contains_key(*id)
                    || work
                        .task_written
                        .get(*id)
                        .is_some_and(|(state, _)| *state == State::Failed)
            })
            .cloned()
            .collect();
        for id in &chosen {
            work.failed.remove(id);
            work.task_written.remove(id);
        }
        self.stop_tasks(work, &chosen, false);
        tracing::info!(message = "Restart request: restarting tasks.", connector = %request.connector, only_failed = request.only_failed, tasks = chosen.len());
    }

    /// Takes out the tasks that ended on their own (their supervisor gave up) and records them
    /// FAILED with the error.
    fn reap_failed(&self, work: &mut Work) {
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let ended: Vec<(ConnectorTaskId, String)> = work
            .running
            .iter_mut()
            .filter_map(|(id, task)| {
                let result = task.result.as_mut()?;
                match result.as_mut().poll(&mut cx) {
                    std::task::Poll::Pending => None,
                    std::task::Poll::Ready(outcome) => {
                        task.result = None;
                        let why = match outcome {
                            Ok(Ok(())) => "the task stopped on its own".to_owned(),
                            Ok(Err(e)) => e.to_string(),
                            Err(e) => e.to_string(),
                        };
                        Some((id.clone(), why))
                    }
                }
            })
            .collect();
        for (id, why) in ended {
            if let Some(task) = work.running.remove(&id) {
                tracing::error!(message = "Task failed.", task = %id, error = %why);
                work.failed.insert(id.clone(), task.config.clone());
            }
            let status = self.status(State::Failed, Some(why), work.generation);
            self.put_task_status(&id, &status, true);
            work.task_written
                .insert(id, (State::Failed, work.generation));
        }
    }

    /// Brings what runs here in line with the assignment and the config snapshot; the leader
    /// also writes missing task configs. See the module docs.
    fn reconcile(&self, work: &mut Work) {
        let snap = self.config.snapshot();
        let generation = work.generation;
        let assigned = work.tasks.clone();
        work.failed.retain(|id, _| assigned.contains(id));
        let mut validated: BTreeMap<String, Result<ConnectorConfig, String>> = BTreeMap::new();
        let mut validate = |c: &str| {
            validated
                .entry(c.to_owned())
                .or_insert_with(|| match snap.connector_config(c) {
                    Some(props) => self.validate(&to_props(props)),
                    None => Err(format!("Connector {c} not found")),
                })
                .clone()
        };

        // Which assigned tasks should run, with their configs.
        let mut desired: BTreeMap<ConnectorTaskId, (ConnectorConfig, Properties)> = BTreeMap::new();
        let mut report: Vec<(ConnectorTaskId, State, Option<String>)> = Vec::new();
        for id in &work.tasks {
            if !snap.contains(&id.connector) {
                continue;
            }
            match target(&snap, &id.connector) {
                TargetState::Started => {}
                TargetState::Paused => {
                    report.push((id.clone(), State::Paused, None));
                    continue;
                }
                _ => continue,
            }
            let Some(task_props) = snap.task_config(id) else {
                continue;
            };
            match validate(&id.connector) {
                Ok(c) => {
                    desired.insert(id.clone(), (c, to_props(task_props)));
                }
                Err(why) => report.push((id.clone(), State::Failed, Some(why))),
            }
        }
        let stop: Vec<ConnectorTaskId> = work
            .running
            .iter()
            .filter(|(id, t)| desired.get(*id).is_none_or(|(_, p)| *p != t.config))
            .map(|(id, _)| id.clone())
            .collect();
        let unassigned: Vec<ConnectorTaskId> = stop
            .iter()
            .filter(|id| !work.tasks.contains(*id))
            .cloned()
            .collect();
        self.stop_tasks(work, &stop, false);
        if !unassigned.is_empty() {
            let status = self.status(State::Unassigned, None, generation);
            for id in &unassigned {
                self.put_task_status(id, &status, true);
            }
        }

        // Start what should run and does not (only once synced to the assignment).
        let to_start: Vec<_> = if work.synced {
            desired
                .into_iter()
                .filter(|(id, (_, props))| {
                    !work.running.contains_key(id) && work.failed.get(id) != Some(props)
                })
                .collect()
        } else {
            Vec::new()
        };
        // Exactly-once source tasks of a connector pending fencing wait for its zombies to be
        // fenced (before the offsets they resume from are read).
        let mut fenced: BTreeMap<String, bool> = BTreeMap::new();
        let to_start: Vec<_> = to_start
            .into_iter()
            .filter(|(id, (c, _))| {
                let exactly_once = c.plugin.kind == ConnectorType::Source
                    && crate::task::exactly_once::worker_enabled(&self.worker_props);
                !exactly_once
                    || !snap.pending_fencing(&id.connector)
                    || *fenced
                        .entry(id.connector.clone())
                        .or_insert_with(|| self.fence_before_start(work, &snap, c))
            })
            .collect();
        if to_start
            .iter()
            .any(|(_, (c, _))| c.plugin.kind == ConnectorType::Source)
            && let Err(e) = self.offsets.reload()
        {
            tracing::warn!(message = "Could not re-read the offsets topic; source tasks start from the offsets read earlier.", error = %e);
        }
        for (id, (c, task_props)) in to_start {
            let shard = work.next_shard % self.pool.len().max(1);
            work.next_shard = work.next_shard.wrapping_add(1);
            let n = usize::try_from(id.task).unwrap_or(0);
            match spawn(&self.pool, shard, &self.ctx, &c, n, task_props) {
                Ok(task) => {
                    work.running.insert(id.clone(), task);
                    work.task_written.remove(&id);
                    self.put_task_status(
                        &id,
                        &self.status(State::Running, None, generation),
                        false,
                    );
                }
                Err(e) => report.push((id, State::Failed, Some(e.to_string()))),
            }
        }
        for (id, state, trace) in report {
            if work.task_written.get(&id) == Some(&(state, generation)) {
                continue;
            }
            let safe = state == State::Failed;
            self.put_task_status(&id, &self.status(state, trace, generation), safe);
            work.task_written.insert(id, (state, generation));
        }

        // The connectors assigned here.
        for c in work.connectors.clone() {
            if !snap.contains(&c) {
                continue;
            }
            let (state, trace) = match target(&snap, &c) {
                TargetState::Paused => (State::Paused, None),
                TargetState::Stopped => (State::Stopped, None),
                _ => match validate(&c) {
                    Ok(_) => (State::Running, None),
                    Err(why) => (State::Failed, Some(why)),
                },
            };
            if work.connector_written.get(&c) != Some(&(state, generation)) {
                let status = self.status(state, trace, generation);
                let written = if state == State::Failed {
                    self.status.put_connector_safe(&c, &status).map(|_| ())
                } else {
                    self.status.put_connector(&c, &status)
                };
                match written {
                    Ok(()) => {
                        work.connector_written
                            .insert(c.clone(), (state, generation));
                    }
                    Err(e) => {
                        tracing::warn!(message = "Could not write a connector status.", connector = %c, error = %e)
                    }
                }
            }
        }

        // The worker a connector is assigned to plans its tasks: the leader writes the task
        // configs, a follower sends them to the leader.
        for c in work.connectors.clone() {
            // A connector resumed after STOPPED has no tasks: it is planned again.
            let stored = stored_task_configs(&snap, &c);
            if !snap.contains(&c)
                || target(&snap, &c) == TargetState::Stopped
                || (!needs_task_configs(&snap, &c) && !stored.is_empty())
            {
                continue;
            }
            let Ok(cc) = validate(&c) else {
                continue;
            };
            let configs = cc.worker_task_configs();
            if configs == stored && !snap.inconsistent_connectors().contains(c.as_str()) {
                // Nothing changed (Kafka Connect writes task configs only when they differ).
                continue;
            }
            if work.leader {
                match self.config.put_task_configs(&c, &configs) {
                    Ok(()) => {
                        tracing::info!(message = "Wrote task configs.", connector = %c, tasks = configs.len())
                    }
                    Err(e) => {
                        tracing::warn!(message = "Could not write task configs.", connector = %c, error = %e)
                    }
                }
            } else {
                self.send_to_leader(work, &snap, &c, Call::TaskConfigs(configs));
            }
        }
        if work.leader && work.sessioned {
            self.rotate_session_key(work, &snap);
        }
    }

    /// Whether the exactly-once source tasks of `c`, pending fencing, may start now: the leader
    /// fences the zombies itself ([`fencing::fence_zombies`]); a follower asks the leader and
    /// starts them once it reads the task-count record the leader writes.
    fn fence_before_start(
        &self,
        work: &mut Work,
        snap: &ClusterConfigState,
        c: &ConnectorConfig,
    ) -> bool {
        if !work.leader {
            self.send_to_leader(work, snap, &c.name, Call::Fence);
            return false;
        }
        let fenced = connector_client_config(&self.ctx, c, "producer", None)
            .map_err(|e| FenceError::Producers {
                connector: c.name.clone(),
                reason: e.to_string(),
            })
            .and_then(|producer| {
                fencing::fence_zombies(&self.config, &self.worker_props, &c.name, &producer)
            });
        match fenced {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(message = "Exactly-once source tasks wait: fencing the connector's zombies failed; trying again.", connector = %c.name, error = %e);
                false
            }
        }
    }

    /// A follower's request to the leader about `connector` ([`Call`]): its task configs, which
    /// the leader writes (Kafka Connect's `POST /connectors/<c>/tasks`), or a zombie fencing
    /// request (`PUT /connectors/<c>/fence`); signed with the session key under `sessioned`.
    /// Sent on a thread of its own; sent again after [`RESEND_INTERNAL`] while its effect has not
    /// been read from the config topic.
    fn send_to_leader(
        &self,
        work: &mut Work,
        snap: &ClusterConfigState,
        connector: &str,
        call: Call,
    ) {
        let sent_key = (connector.to_owned(), call.endpoint());
        if work
            .internal_sent
            .get(&sent_key)
            .is_some_and(|at| at.elapsed() < RESEND_INTERNAL)
        {
            return;
        }
        let Some(leader) = work.leader_url.clone() else {
            return;
        };
        let body = call.body();
        let mut headers = Vec::new();
        if work.sessioned {
            let Some(key) = snap.session_key() else {
                if work.warned.insert(connector.to_owned()) {
                    tracing::info!(message = "Waiting for the leader's session key before sending it an internal request.", connector = %connector, request = call.what());
                }
                return;
            };
            match self.keys.sign(key, &body) {
                Ok(signed) => headers.extend(signed),
                Err(e) => {
                    tracing::warn!(message = "Cannot sign an internal request for the leader.", connector = %connector, request = call.what(), error = %e);
                    return;
                }
            }
        }
        let Some(url) = call.url(&leader, connector) else {
            tracing::warn!(message = "The leader's advertised URL is not a URL; cannot send it an internal request.", connector = %connector, request = call.what(), leader = %leader);
            return;
        };
        work.internal_sent.insert(sent_key, Instant::now());
        let roots = crate::rest::tls::client_roots(&self.worker_props).unwrap_or_default();
        let connector = connector.to_owned();
        let sent = std::thread::Builder::new()
            .name(format!("internal-{}", call.endpoint()))
            .spawn(move || match call.send(&url, headers, body, roots) {
                Ok(()) => match &call {
                    Call::TaskConfigs(configs) => {
                        tracing::info!(message = "Sent task configs to the leader.", connector = %connector, tasks = configs.len(), url = %url)
                    }
                    Call::Fence => {
                        tracing::info!(message = "The leader fenced the connector's zombies.", connector = %connector, url = %url)
                    }
                },
                Err(e) => match &call {
                    Call::TaskConfigs(_) => {
                        tracing::warn!(message = "The leader did not take this worker's task configs; sending them again shortly.", connector = %connector, url = %url, error = %e)
                    }
                    Call::Fence => {
                        tracing::warn!(message = "The leader did not fence the connector's zombies; asking again shortly.", connector = %connector, url = %url, error = %e)
                    }
                },
            });
        if let Err(e) = sent {
            tracing::warn!(message = "Cannot start a thread for an internal request.", error = %e);
        }
    }

    /// The leader keeps a valid session key in the config topic (`checkForKeyRotation`): a new
    /// one when there is none, it expired, or its algorithm or size is not this worker's.
    fn rotate_session_key(&self, work: &mut Work, snap: &ClusterConfigState) {
        let now = super::member::now_ms();
        let current = snap.session_key();
        if !self.keys.needs_new_key(current, now) {
            return;
        }
        if let Some((created, at)) = work.key_written
            && current.map(|k| k.creation_timestamp) != Some(created)
            && at.elapsed() < KEY_READ_BACK
        {
            return;
        }
        let written = self.keys.generate(now).and_then(|key| {
            self.config
                .put_session_key(&key)
                .map(|()| key.creation_timestamp)
                .map_err(|e| e.to_string())
        });
        match written {
            Ok(created) => {
                work.key_written = Some((created, Instant::now()));
                tracing::info!(
                    message = "Wrote a new session key for signing internal requests.",
                    created
                );
            }
            Err(e) => {
                tracing::warn!(message = "Could not write a new session key.", error = %e)
            }
        }
    }
}

/// How long a follower waits before sending the leader the same internal request again.
const RESEND_INTERNAL: Duration = Duration::from_secs(3);
/// How long the leader waits for a session key it wrote to be read back before writing another.
const KEY_READ_BACK: Duration = Duration::from_secs(10);
/// The membership's view of this worker.
struct MemberWork(Arc<Shared>);

impl GroupWork for MemberWork {
    fn configured_work(&self) -> ConfiguredWork {
        configured(&self.0.config.snapshot())
    }

    fn fresh_configured_work(&self) -> Option<ConfiguredWork> {
        self.0.config.read_within(Duration::from_secs(30)).ok()?;
        Some(self.configured_work())
    }

    fn on_revoked(&self, connectors: &[String], tasks: &[ConnectorTaskId]) {
        let mut work = lock(&self.0.work);
        for c in connectors {
            work.connectors.remove(c);
            work.connector_written.remove(c);
        }
        for t in tasks {
            work.tasks.remove(t);
        }
        tracing::info!(
            message = "Revoked.",
            connectors = connectors.len(),
            tasks = tasks.len()
        );
        self.0.stop_tasks(&mut work, tasks, true);
    }
}

fn configured(snap: &ClusterConfigState) -> ConfiguredWork {
    ConfiguredWork {
        offset: snap.offset(),
        connectors: snap
            .connectors()
            .map(|c| (c.to_owned(), snap.tasks(c)))
            .collect(),
    }
}

enum Command {
    Shutdown,
    Crash,
}

/// A running distributed worker; see the module docs.
pub struct DistributedWorker {
    shared: Arc<Shared>,
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for DistributedWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedWorker")
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

/// The advertised REST URL (`rest.advertised.listener`, `rest.advertised.host.name`,
/// `rest.advertised.port`, else the first of `listeners`; an empty host is this host's name),
/// e.g. `http://127.0.0.1:8083/`.
pub fn advertised_url(config: &Config) -> Result<String, DistributedError> {
    let listeners = config.list(LISTENERS);
    let first = listeners
        .first()
        .cloned()
        .unwrap_or_else(|| "http://:8083".to_owned());
    let bad = |message: String| DistributedError::Key {
        key: LISTENERS,
        message,
    };
    let (scheme, rest) = first
        .split_once("://")
        .ok_or_else(|| bad(format!("{first} has no scheme (http://host:port)")))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| bad(format!("{first} has no port")))?;
    let scheme = config
        .non_empty(keys::REST_ADVERTISED_LISTENER)
        .unwrap_or(scheme)
        .to_ascii_lowercase();
    let host = match config.non_empty(keys::REST_ADVERTISED_HOST_NAME) {
        Some(h) => h.to_owned(),
        None if !host.is_empty() => host.to_owned(),
        None => std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned()),
    };
    let port = match config.non_empty(keys::REST_ADVERTISED_PORT) {
        Some(p) => p.to_owned(),
        None => port.to_owned(),
    };
    port.parse::<u16>().map_err(|_| DistributedError::Key {
        key: keys::REST_ADVERTISED_PORT,
        message: format!("bad port {port}"),
    })?;
    Ok(format!("{scheme}://{host}:{port}/"))
}

/// `host:port` of a URL (the worker id in statuses).
fn worker_id(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.trim_end_matches('/').to_owned()
}

impl DistributedWorker {
    /// Opens the three topics, starts the shards, joins the group and starts the control
    /// thread. Errors name the key or topic at fault.
    pub fn start(
        plugins: Arc<Plugins>,
        worker_props: &Properties,
    ) -> Result<Self, DistributedError> {
        let config = keys::parse(worker_props)?;
        let bootstrap = config.list(BOOTSTRAP_SERVERS).join(",");
        let url = advertised_url(&config)?;
        let mut member_config =
            MemberConfig::from_props(worker_props, bootstrap.clone(), url.clone()).map_err(
                |message| DistributedError::Key {
                    key: keys::GROUP_ID,
                    message,
                },
            )?;
        // The worker's own clients — internal topics and the group membership — take its
        // top-level TLS and SASL keys, as Kafka Connect's do.
        let security_error =
            |e: crate::kafka::security::SecurityError| DistributedError::Security {
                key: e.key,
                message: e.message,
            };
        member_config.security = crate::kafka::wire_auth::WireSecurity::from_props(
            &crate::kafka::security::worker_security_keys(worker_props),
        )
        .map_err(security_error)?;
        let client_settings =
            crate::kafka::security::worker_client_settings(worker_props).map_err(security_error)?;
        let group = member_config.group_id.clone();
        let need = |key: &'static str| {
            config
                .non_empty(key)
                .map(str::to_owned)
                .ok_or(DistributedError::Key {
                    key,
                    message: "is required".to_owned(),
                })
        };
        let offsets_topic = need(OFFSET_TOPIC)?;
        let offsets_partitions = config.int(OFFSET_PARTITIONS).unwrap_or(25);
        let offsets_replication = config.int(OFFSET_REPLICATION).unwrap_or(3);
        let offsets = Arc::new(ReloadableOffsets {
            inner: RwLock::new(Arc::new(TopicOffsetStore::open(
                &bootstrap,
                &offsets_topic,
                offsets_partitions,
                offsets_replication,
                &client_settings,
            )?)),
            client: client_settings.clone(),
            bootstrap: bootstrap.clone(),
            topic: offsets_topic,
            partitions: offsets_partitions,
            replication: offsets_replication,
        });
        let settings = |suffix: &str| ClientSettings {
            common: client_settings.clone(),
            client_id: Some(format!("connect-{group}-{suffix}")),
            ..ClientSettings::default()
        };
        let config_store = ConfigStore::open(
            &bootstrap,
            &need(keys::CONFIG_TOPIC)?,
            config.int(keys::CONFIG_REPLICATION).unwrap_or(3),
            &settings("configs"),
        )?;
        let status_store = StatusStore::open(
            &bootstrap,
            &need(keys::STATUS_TOPIC)?,
            config.int(keys::STATUS_PARTITIONS).unwrap_or(5),
            config.int(keys::STATUS_REPLICATION).unwrap_or(3),
            &settings("statuses"),
        )?;
        let shards = match config.int(SHARDS).unwrap_or(0) {
            n if n > 0 => usize::try_from(n).unwrap_or(1),
            _ => available_cores(),
        };
        let pool = ShardPool::start(&ShardConfig {
            shards,
            ..ShardConfig::default()
        })?;
        let flush_ms = config.long(OFFSET_FLUSH_INTERVAL_MS).unwrap_or(60_000);
        let ctx = WorkerContext {
            plugins: Arc::clone(&plugins),
            worker_props: worker_props.clone(),
            bootstrap,
            offsets: Arc::clone(&offsets) as Arc<dyn OffsetStore>,
            flush_interval: Duration::from_millis(u64::try_from(flush_ms).unwrap_or(60_000)),
            buffer_max_bytes: config
                .long(BUFFER_MAX_BYTES)
                .map_or(32 << 20, i64::unsigned_abs),
        };
        let sync_timeout = Duration::from_millis(
            u64::try_from(config.int(keys::WORKER_SYNC_TIMEOUT_MS).unwrap_or(3000)).unwrap_or(3000),
        );
        let shared = Arc::new(Shared {
            plugins,
            worker_props: worker_props.clone(),
            worker_id: worker_id(&url),
            url,
            config: config_store,
            status: status_store,
            offsets,
            pool,
            ctx,
            keys: KeyPolicy::from_config(&config, worker_props),
            work: Mutex::new(Work::default()),
        });
        let member = GroupMember::start(member_config, Arc::new(MemberWork(Arc::clone(&shared))))
            .map_err(DistributedError::Member)?;
        let (commands, command_rx) = mpsc::channel();
        let control = Control {
            shared: Arc::clone(&shared),
            member: Some(member),
            commands: command_rx,
            deferred: None,
            sync_timeout,
            unsync_backoff: Duration::from_millis(
                u64::try_from(
                    config
                        .int(keys::WORKER_UNSYNC_BACKOFF_MS)
                        .unwrap_or(300_000),
                )
                .unwrap_or(300_000),
            ),
            known: shared
                .config
                .snapshot()
                .connectors()
                .map(str::to_owned)
                .collect(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("distributed-{}", shared.worker_id))
            .spawn(move || control.run())
            .map_err(DistributedError::Member)?;
        tracing::info!(message = "Distributed worker started.", url = %shared.url, group = %group);
        Ok(Self {
            shared,
            commands,
            thread: Some(thread),
        })
    }

    /// The advertised REST URL.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// `host:port`, as statuses name this worker.
    pub fn worker_id(&self) -> &str {
        &self.shared.worker_id
    }

    /// Whether this worker led the last rebalance it took part in.
    pub fn is_leader(&self) -> bool {
        lock(&self.shared.work).leader
    }

    /// The leader's REST URL from the last assignment (where writes only the leader makes are
    /// forwarded); `None` while no assignment holds, e.g. during a rebalance.
    pub fn leader_url(&self) -> Option<String> {
        lock(&self.shared.work).leader_url.clone()
    }

    /// The connectors assigned to this worker in the last assignment.
    pub fn assigned_connectors(&self) -> BTreeSet<String> {
        lock(&self.shared.work).connectors.clone()
    }

    /// The group generation of the last assignment.
    pub fn generation(&self) -> i32 {
        lock(&self.shared.work).generation
    }

    /// Whether the group runs the `sessioned` protocol (internal requests are signed).
    pub fn sessioned(&self) -> bool {
        lock(&self.shared.work).sessioned
    }

    /// Checks an internal request's signature (KIP-507) against the session key read from the
    /// config topic; nothing is checked unless the group runs `sessioned`.
    pub fn check_signature(
        &self,
        signature: Option<&str>,
        algorithm: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        if !self.sessioned() {
            return Ok(());
        }
        let snap = self.shared.config.snapshot();
        self.shared
            .keys
            .verify(snap.session_key(), signature, algorithm, body)
    }

    /// Fences a connector's zombies for a follower about to start its exactly-once source
    /// tasks (the leader's part of `PUT /connectors/<c>/fence`).
    pub fn fence_zombies(&self, connector: &str) -> Result<(), FenceError> {
        let props = self
            .shared
            .config
            .snapshot()
            .connector_config(connector)
            .map(to_props)
            .ok_or_else(|| FenceError::NotFound(connector.to_owned()))?;
        let c = self
            .shared
            .validate(&props)
            .map_err(|reason| FenceError::Producers {
                connector: connector.to_owned(),
                reason,
            })?;
        let producer =
            connector_client_config(&self.shared.ctx, &c, "producer", None).map_err(|e| {
                FenceError::Producers {
                    connector: connector.to_owned(),
                    reason: e.to_string(),
                }
            })?;
        fencing::fence_zombies(
            &self.shared.config,
            &self.shared.worker_props,
            connector,
            &producer,
        )
    }

    /// Writes task configs a connector's owner computed (the leader's part of
    /// `POST /connectors/<c>/tasks`).
    pub fn write_task_configs(
        &self,
        connector: &str,
        configs: &[Properties],
    ) -> Result<(), DistributedError> {
        if !self.shared.config.snapshot().contains(connector) {
            return Err(DistributedError::NotFound(connector.to_owned()));
        }
        self.shared.config.put_task_configs(connector, configs)?;
        tracing::info!(message = "Wrote task configs sent by the connector's worker.", connector = %connector, tasks = configs.len());
        Ok(())
    }

    /// Validates a connector config, then writes it (with target state STARTED when the
    /// connector is new) to the config topic.
    pub fn put_connector(&self, props: &Properties) -> Result<(), DistributedError> {
        let name = props
            .get(connector_config::NAME)
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .ok_or(DistributedError::NoName)?;
        connector_config::validate(&self.shared.plugins, props, &self.shared.worker_props)?;
        let new = !self.shared.config.snapshot().contains(&name);
        self.shared.config.put_connector_config(
            &name,
            props,
            new.then_some(TargetState::Started),
        )?;
        Ok(())
    }

    /// Deletes a connector (tombstones for its config and target state).
    pub fn delete_connector(&self, name: &str) -> Result<(), DistributedError> {
        if !self.shared.config.snapshot().contains(name) {
            return Err(DistributedError::NotFound(name.to_owned()));
        }
        Ok(self.shared.config.delete_connector(name)?)
    }

    /// Writes a connector's target state (pause: PAUSED, resume: STARTED, stop: STOPPED).
    pub fn set_target(&self, name: &str, state: TargetState) -> Result<(), DistributedError> {
        if !self.shared.config.snapshot().contains(name) {
            return Err(DistributedError::NotFound(name.to_owned()));
        }
        if state == TargetState::Stopped {
            // As Kafka Connect's `stopConnector`: the task configs go first, so that a STOPPED
            // connector never has tasks, whichever worker reads it.
            self.shared.config.put_task_configs(name, &[])?;
        }
        Ok(self.shared.config.put_target_state(name, state)?)
    }

    /// Writes a restart request (KIP-745) to the config topic: every worker restarts what of
    /// `name` it runs once it reads it.
    pub fn request_restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), DistributedError> {
        if !self.shared.config.snapshot().contains(name) {
            return Err(DistributedError::NotFound(name.to_owned()));
        }
        Ok(self
            .shared
            .config
            .put_restart_request(name, include_tasks, only_failed)?)
    }

    /// The connectors of this worker's config snapshot.
    pub fn connectors(&self) -> Vec<String> {
        self.shared
            .config
            .snapshot()
            .connectors()
            .map(str::to_owned)
            .collect()
    }

    /// A connector's config in this worker's snapshot.
    pub fn connector_config(&self, name: &str) -> Option<Properties> {
        self.shared
            .config
            .snapshot()
            .connector_config(name)
            .map(to_props)
    }

    /// A connector's committed task configs in this worker's snapshot (empty if none).
    pub fn task_configs(&self, name: &str) -> Vec<Properties> {
        let snap = self.shared.config.snapshot();
        snap.tasks(name)
            .iter()
            .filter_map(|id| snap.task_config(id).map(to_props))
            .collect()
    }

    /// The config offset this worker has read to.
    pub fn config_offset(&self) -> i64 {
        self.shared.config.offset()
    }

    /// A connector's statuses, the status topic read to its end first.
    pub fn status(&self, name: &str) -> Result<ConnectorStatus, DistributedError> {
        self.shared.status.read_to_end()?;
        Ok(ConnectorStatus {
            connector: self.shared.status.connector(name),
            tasks: self.shared.status.tasks(name),
        })
    }

    /// What this worker can run.
    pub fn plugins(&self) -> &Plugins {
        &self.shared.plugins
    }

    /// The worker's own config (`worker.properties`).
    pub fn worker_props(&self) -> &Properties {
        &self.shared.worker_props
    }

    /// The Kafka cluster the worker uses.
    pub fn bootstrap(&self) -> &str {
        &self.shared.ctx.bootstrap
    }

    /// The offsets topic store (re-read before source tasks start here).
    pub fn offsets(&self) -> &Arc<dyn OffsetStore> {
        &self.shared.ctx.offsets
    }

    /// The config topic as this worker reads it.
    pub fn config_store(&self) -> &ConfigStore {
        &self.shared.config
    }

    /// The status topic as this worker reads it.
    pub fn status_store(&self) -> &StatusStore {
        &self.shared.status
    }

    /// Whether the worker has joined the group and been assigned once (the config topic was
    /// read when the worker started).
    pub fn has_joined(&self) -> bool {
        lock(&self.shared.work).generation > 0
    }

    /// The tasks assigned to this worker in the last assignment.
    pub fn assigned_tasks(&self) -> BTreeSet<ConnectorTaskId> {
        lock(&self.shared.work).tasks.clone()
    }

    /// The counters of the tasks running on this worker.
    pub fn running_task_stats(&self) -> Vec<(crate::task::TaskId, Arc<crate::task::TaskStats>)> {
        lock(&self.shared.work)
            .running
            .values()
            .map(|t| (t.id.clone(), Arc::clone(&t.stats)))
            .collect()
    }

    /// Restarts these tasks where they run here: stops them (they flush and commit), forgets
    /// that they failed, and reconciles, which starts them again. Tasks not assigned here are
    /// ignored. Returns how many were restarted.
    pub fn restart_local_tasks(&self, ids: &[ConnectorTaskId]) -> usize {
        let mut work = lock(&self.shared.work);
        let ours: Vec<ConnectorTaskId> = ids
            .iter()
            .filter(|id| work.tasks.contains(*id))
            .cloned()
            .collect();
        for id in &ours {
            work.failed.remove(id);
            work.task_written.remove(id);
        }
        self.shared.stop_tasks(&mut work, &ours, false);
        self.shared.reconcile(&mut work);
        tracing::info!(message = "Restarted tasks.", tasks = ours.len());
        ours.len()
    }

    /// The tasks running on this worker.
    pub fn running_tasks(&self) -> Vec<ConnectorTaskId> {
        lock(&self.shared.work).running.keys().cloned().collect()
    }

    /// Records processed so far by each task running here.
    pub fn task_records(&self) -> Vec<(ConnectorTaskId, u64)> {
        lock(&self.shared.work)
            .running
            .iter()
            .map(|(id, t)| (id.clone(), t.stats.records()))
            .collect()
    }

    /// Stops every local task (each flushes and commits, UNASSIGNED is recorded), then leaves
    /// the group so the others take the work over at once.
    pub fn shutdown(mut self) {
        self.finish(Command::Shutdown);
    }

    /// Ends the worker as a crash would, as far as the group sees it: the member stops without
    /// LeaveGroup (the others take over after `session.timeout.ms`) and no status is written.
    /// The tasks are still stopped through their stop signal, so they flush and commit.
    pub fn crash(mut self) {
        self.finish(Command::Crash);
    }

    fn finish(&mut self, how: Command) {
        let _ = self.commands.send(how);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DistributedWorker {
    fn drop(&mut self) {
        self.finish(Command::Shutdown);
    }
}

/// The control thread.
struct Control {
    shared: Arc<Shared>,
    member: Option<GroupMember>,
    commands: Receiver<Command>,
    /// A command that arrived during a backoff, handled first.
    deferred: Option<Command>,
    sync_timeout: Duration,
    /// `worker.unsync.backoff.ms`: under the eager protocol, how long a worker that could not
    /// read the config topic to its assignment's offset waits before joining again.
    unsync_backoff: Duration,
    /// The connectors of the snapshot as of the last config updates handled.
    known: BTreeSet<String>,
}

impl Control {
    fn member(&self) -> &GroupMember {
        self.member
            .as_ref()
            .expect("the member runs until the control thread ends")
    }

    fn run(mut self) {
        let mut last_read = Instant::now();
        let mut last_reconcile = Instant::now();
        let mut last_reap = Instant::now();
        let how = loop {
            if let Some(c) = self.deferred.take() {
                break c;
            }
            match self.commands.try_recv() {
                Ok(c) => break c,
                Err(mpsc::TryRecvError::Disconnected) => break Command::Shutdown,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            match self
                .member()
                .events()
                .recv_timeout(Duration::from_millis(100))
            {
                Ok(MemberEvent::Assigned(a)) => {
                    self.on_assigned(&a);
                    last_reconcile = Instant::now();
                }
                Ok(MemberEvent::AssignmentLost { connectors, tasks }) => {
                    tracing::warn!(
                        message = "Lost the assignment: the group coordinator is unreachable.",
                        connectors = connectors.len(),
                        tasks = tasks.len()
                    );
                    let mut work = lock(&self.shared.work);
                    work.synced = false;
                    work.leader_url = None;
                }
                Ok(MemberEvent::Failed(why)) => {
                    tracing::error!(message = "Group membership failed; stopping local tasks.", error = %why);
                    let mut work = lock(&self.shared.work);
                    let all: Vec<_> = work.running.keys().cloned().collect();
                    work.tasks.clear();
                    work.connectors.clear();
                    work.synced = false;
                    work.leader_url = None;
                    self.shared.stop_tasks(&mut work, &all, true);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
            if last_read.elapsed() >= CONFIG_POLL {
                last_read = Instant::now();
                match self.shared.config.read_to_end() {
                    Ok(updates) => {
                        if self.on_updates(&updates) {
                            last_reconcile = Instant::now();
                        }
                    }
                    Err(e) => {
                        tracing::warn!(message = "Could not read the config topic.", error = %e)
                    }
                }
            }
            if last_reap.elapsed() >= REAP_EVERY {
                last_reap = Instant::now();
                self.shared.reap_failed(&mut lock(&self.shared.work));
            }
            if last_reconcile.elapsed() >= RECONCILE_EVERY {
                last_reconcile = Instant::now();
                let mut work = lock(&self.shared.work);
                self.shared.reconcile(&mut work);
            }
        };
        let mut work = lock(&self.shared.work);
        let all: Vec<_> = work.running.keys().cloned().collect();
        match how {
            Command::Shutdown => {
                self.shared.stop_tasks(&mut work, &all, true);
                drop(work);
                if let Some(mut member) = self.member.take()
                    && let Err(e) = member.leave("the worker is stopping")
                {
                    tracing::warn!(message = "Could not leave the group.", error = %e);
                }
                tracing::info!(message = "Distributed worker stopped.", url = %self.shared.url);
            }
            Command::Crash => {
                self.shared.stop_tasks(&mut work, &all, false);
                drop(work);
                if let Some(member) = self.member.take() {
                    member.abandon();
                }
                tracing::info!(message = "Distributed worker crashed (on purpose).", url = %self.shared.url);
            }
        }
    }

    fn on_assigned(&mut self, a: &Assigned) {
        let offset = a.assignment.config_offset;
        let failed = a.assignment.error != 0;
        if (failed || self.shared.config.offset() < offset)
            && let Err(e) = self.shared.config.read_within(self.sync_timeout)
        {
            tracing::warn!(message = "Could not read the config topic to the assignment's offset.", error = %e);
        }
        let ours = self.shared.config.offset();
        let synced = !failed && ours >= offset;
        {
            let mut work = lock(&self.shared.work);
            work.generation = a.generation;
            work.leader = a.is_leader();
            work.sessioned = a.protocol == ConnectProtocolCompatibility::Sessioned;
            work.leader_url = Some(a.leader_url.clone()).filter(|u| !u.trim().is_empty());
            work.synced = synced;
            work.connectors = a.assignment.connectors.iter().cloned().collect();
            work.tasks = a.assignment.tasks.iter().cloned().collect();
            tracing::info!(
                message = "Assigned.",
                generation = a.generation,
                leader = a.is_leader(),
                connectors = work.connectors.len(),
                tasks = work.tasks.len(),
                config_offset = offset,
                read_to = ours
            );
            self.shared.reconcile(&mut work);
        }
        if failed {
            self.member()
                .request_rejoin("the assignment failed (CONFIG_MISMATCH)");
        } else if ours < offset {
            if a.protocol == ConnectProtocolCompatibility::Eager {
                // Kafka Connect's eager worker backs off before joining again, so that a
                // worker that cannot catch up does not keep the group rebalancing (the
                // cooperative protocols delay departed work instead).
                tracing::warn!(
                    message =
                        "Could not catch up on the config topic; backing off before rejoining.",
                    backoff_ms = u64::try_from(self.unsync_backoff.as_millis()).unwrap_or(u64::MAX)
                );
                match self.commands.recv_timeout(self.unsync_backoff) {
                    Ok(c) => self.deferred = Some(c),
                    Err(RecvTimeoutError::Disconnected) => self.deferred = Some(Command::Shutdown),
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
            self.member().request_rejoin(
                "could not read the config topic to the assignment's offset within worker.sync.timeout.ms",
            );
        } else if ours != offset {
            self.member()
                .request_rejoin("this worker's config offset is ahead of the assignment's");
        }
        let updates = self.shared.config.take_updates();
        self.on_updates(&updates);
    }

    /// Acts on config updates; `true` when it reconciled.
    fn on_updates(&mut self, updates: &[ConfigUpdate]) -> bool {
        if updates.is_empty() {
            return false;
        }
        let mut rejoin = None;
        let mut restarts = Vec::new();
        for u in updates {
            match u {
                ConfigUpdate::RestartRequested(request) => restarts.push(request.clone()),
                ConfigUpdate::ConnectorConfigUpdated(c) if !self.known.contains(c) => {
                    rejoin = Some("a connector was added");
                }
                ConfigUpdate::ConnectorConfigRemoved(_) => rejoin = Some("a connector was removed"),
                ConfigUpdate::TaskConfigsCommitted { .. } => {
                    rejoin = Some("task configs were committed");
                }
                _ => {}
            }
        }
        self.known = self
            .shared
            .config
            .snapshot()
            .connectors()
            .map(str::to_owned)
            .collect();
        if let Some(reason) = rejoin {
            let offset = self.shared.config.offset();
            self.member().request_rejoin_for(reason, offset);
        }
        let mut work = lock(&self.shared.work);
        for request in &restarts {
            self.shared.restart(&mut work, request);
        }
        self.shared.reconcile(&mut work);
        true
    }
}
