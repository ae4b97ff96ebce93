//! This worker's membership of the Connect group: JoinGroup / SyncGroup / Heartbeat / LeaveGroup
//! with the group coordinator, protocol type `connect`, as Kafka Connect's `WorkerCoordinator`
//! (on `AbstractCoordinator`) does, so wharf and Java workers can share one group.
//!
//! A [`GroupMember`] runs on its own blocking thread (control plane: never on a shard), with a
//! second thread heartbeating while it is stable. The caller supplies what the worker knows
//! ([`GroupWork`]: its config snapshot, and stopping revoked work) and reads [`MemberEvent`]s.
//!
//! # States
//!
//! ```text
//!            ┌──────────────────────── rejoin ───────────────────────────┐
//!            ▼                                                           │
//! Unjoined ─► Joining ─► Syncing ─► Stable (heartbeating) ───────────────┘
//!   ▲  find the   JoinGroup   leader: assign;   REBALANCE_IN_PROGRESS, revocations,
//!   │  coordinator            SyncGroup         delay expired, request_rejoin()
//!   └── coordinator errors / broken connection (find it again, then rejoin)
//! ```
//!
//! - **Unjoined**: no coordinator connection. FindCoordinator through the bootstrap servers,
//!   retried with a backoff. If it stays unknown for `heartbeat.interval.ms` while the worker
//!   holds an assignment, everything is revoked ([`GroupWork::on_revoked`],
//!   [`MemberEvent::AssignmentLost`]) so no work runs outside the group (KAFKA-9184).
//! - **Joining**: JoinGroup offering the subprotocols of `connect.protocol`
//!   ([`metadata_request`]), each with the worker's URL, config offset and full current
//!   assignment. JoinGroup v4+ first answers MEMBER_ID_REQUIRED with an id; the join is sent
//!   again with it ([`Connection::join_group`]). Under `eager` (`default` chosen) everything
//!   held is revoked first, as `onJoinPrepare` does; under the cooperative protocols the worker
//!   keeps running its work until it is explicitly revoked.
//! - **Syncing**: the leader decodes every member's metadata and runs the
//!   [`IncrementalCooperativeAssignor`] (kept across rounds), or [`eager_assign`] when the group
//!   chose `default`; then SyncGroup (v5 with protocol type and name). The answer goes through
//!   [`after_sync`]: revoked work is stopped ([`GroupWork::on_revoked`]) *before* anything else,
//!   the increment is applied to the previous assignment ([`Assignment::apply_to`]), and
//!   [`MemberEvent::Assigned`] carries the full result.
//! - **Stable**: heartbeats every `heartbeat.interval.ms`. Rejoins (back to Joining) when a
//!   heartbeat answers REBALANCE_IN_PROGRESS, at once when the assignment revoked anything (the
//!   second round of the two-phase cooperative rebalance), after `delay` ms when the leader
//!   scheduled one, or on [`GroupMember::request_rejoin`].
//!
//! Errors at any step: UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION reset the member id and rejoin as
//! a new member (the assignment is kept: under the cooperative protocols the leader sees it in
//! the metadata); NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS and
//! broken connections drop the coordinator (Unjoined) and rejoin; any other Kafka error (e.g.
//! INCONSISTENT_GROUP_PROTOCOL: the group is some other kind of group) ends the member with
//! [`MemberEvent::Failed`], as it ends a Java worker's herder.
//!
//! An assignment with an error (CONFIG_MISMATCH: the leader is behind) or whose config offset
//! differs from the worker's is handed out as it is; the caller reads the config topic to its
//! end and calls [`GroupMember::request_rejoin`] (`DistributedHerder.handleRebalanceCompleted`).
//!
//! Not here: Java leaves the group when `poll()` is not called within `rebalance.timeout.ms`;
//! this member is driven by its own thread, so that case does not arise.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use connect_protocol::assignor::{
    AssignmentRound, IncrementalCooperativeAssignor, decode_members, eager_assign,
    needs_fresh_config,
};
pub use connect_protocol::assignor::{ConfiguredWork, LeaderState};
pub use connect_protocol::protocol::{Assignment, ConnectProtocolCompatibility, ConnectorTaskId};
use connect_protocol::protocol::{PROTOCOL_TYPE, WorkerState, metadata_request};

use crate::kafka::wire::{self, Connection, JoinGroup, Joined, WireError, codes};
use crate::kafka::wire_auth::WireSecurity;
use crate::keys::distributed as keys;

/// How this worker joins the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// `bootstrap.servers`, comma-separated.
    pub bootstrap: String,
    /// `group.id`.
    pub group_id: String,
    /// The worker's advertised REST URL, as other workers (and the leader's routing) see it.
    pub url: String,
    /// `connect.protocol` (default `sessioned`).
    pub protocol: ConnectProtocolCompatibility,
    /// `session.timeout.ms` (10000).
    pub session_timeout: Duration,
    /// `rebalance.timeout.ms` (60000).
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms` (3000); also how long the coordinator may stay unknown before the
    /// worker revokes its own assignment.
    pub heartbeat_interval: Duration,
    /// `scheduled.rebalance.max.delay.ms` (300000): how long the leader keeps a departed
    /// worker's work unassigned, waiting for it to come back.
    pub scheduled_rebalance_max_delay_ms: i32,
    /// `request.timeout.ms` (40000), for every request but JoinGroup.
    pub request_timeout: Duration,
    /// `retry.backoff.ms` (100): first pause before finding the coordinator again (doubling up
    /// to 1 s).
    pub retry_backoff: Duration,
    /// TLS and SASL to the brokers (the worker's `security.protocol`, `sasl.*`, `ssl.*`).
    pub security: WireSecurity,
}

impl MemberConfig {
    /// Kafka Connect's defaults for everything but the three given.
    pub fn new(
        bootstrap: impl Into<String>,
        group_id: impl Into<String>,
        url: impl Into<String>,
    ) -> Self {
        Self {
            bootstrap: bootstrap.into(),
            group_id: group_id.into(),
            url: url.into(),
            protocol: ConnectProtocolCompatibility::Sessioned,
            session_timeout: Duration::from_millis(10_000),
            rebalance_timeout: Duration::from_millis(60_000),
            heartbeat_interval: Duration::from_millis(3_000),
            scheduled_rebalance_max_delay_ms: 300_000,
            request_timeout: Duration::from_millis(40_000),
            retry_backoff: Duration::from_millis(100),
            security: WireSecurity::default(),
        }
    }

    /// From a distributed worker's properties (`group.id`, `connect.protocol`,
    /// `session.timeout.ms`, `rebalance.timeout.ms`, `heartbeat.interval.ms`,
    /// `scheduled.rebalance.max.delay.ms`, `request.timeout.ms`, `retry.backoff.ms`), given the
    /// bootstrap servers and the advertised URL. Values were checked by
    /// [`keys::parse`]; here a bad one is an error naming the key.
    pub fn from_props(
        props: &connect_api::config::Properties,
        bootstrap: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<Self, String> {
        let group = props
            .get(keys::GROUP_ID)
            .ok_or_else(|| format!("{} is required", keys::GROUP_ID))?;
        let mut config = Self::new(bootstrap, group.trim(), url);
        let ms = |key: &str, default: Duration| -> Result<Duration, String> {
            match props.get(key) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|e| format!("{key}={v}: {e}")),
            }
        };
        config.session_timeout = ms(keys::SESSION_TIMEOUT_MS, config.session_timeout)?;
        config.rebalance_timeout = ms(keys::REBALANCE_TIMEOUT_MS, config.rebalance_timeout)?;
        config.heartbeat_interval = ms(keys::HEARTBEAT_INTERVAL_MS, config.heartbeat_interval)?;
        config.request_timeout = ms("request.timeout.ms", config.request_timeout)?;
        config.retry_backoff = ms("retry.backoff.ms", config.retry_backoff)?;
        if let Some(v) = props.get(keys::SCHEDULED_REBALANCE_MAX_DELAY_MS) {
            config.scheduled_rebalance_max_delay_ms = v
                .trim()
                .parse()
                .map_err(|e| format!("{}={v}: {e}", keys::SCHEDULED_REBALANCE_MAX_DELAY_MS))?;
        }
        if let Some(v) = props.get(keys::CONNECT_PROTOCOL) {
            config.protocol =
                ConnectProtocolCompatibility::from_config(v.trim()).map_err(|e| e.to_string())?;
        }
        Ok(config)
    }

    /// The JoinGroup socket timeout: `max(request.timeout.ms, rebalance.timeout.ms + 5 s)`
    /// (`AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`).
    fn join_timeout(&self) -> Duration {
        self.request_timeout
            .max(self.rebalance_timeout + Duration::from_secs(5))
    }
}

/// What the worker tells its group membership. Called on the membership thread.
pub trait GroupWork: Send + Sync + 'static {
    /// The worker's config snapshot: its offset (`ClusterConfigState.offset()`, -1 before any
    /// record) goes into the JoinGroup metadata; the leader assigns its connectors and tasks.
    fn configured_work(&self) -> ConfiguredWork;

    /// The leader is behind some member ([`needs_fresh_config`]): read the config topic to its
    /// end and return the new snapshot. `None` (the default) makes the round CONFIG_MISMATCH.
    fn fresh_configured_work(&self) -> Option<ConfiguredWork> {
        None
    }

    /// Stop these connectors and tasks, and return once they are stopped: another worker may
    /// start them as soon as this returns (`RebalanceListener.onRevoked`).
    fn on_revoked(&self, connectors: &[String], tasks: &[ConnectorTaskId]) {
        let _ = (connectors, tasks);
    }
}

/// A fixed set of connectors and tasks (tests, tools).
impl GroupWork for ConfiguredWork {
    fn configured_work(&self) -> ConfiguredWork {
        self.clone()
    }
}

/// A rebalance completed for this worker (`onAssigned`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub generation: i32,
    /// This worker's member id in that generation.
    pub member_id: String,
    /// The subprotocol the group chose.
    pub protocol: ConnectProtocolCompatibility,
    /// The leader's member id.
    pub leader: String,
    /// The leader's REST URL (where followers forward to).
    pub leader_url: String,
    /// The full assignment: the previous one, minus what was revoked, plus the increment
    /// (cooperative), or the one received (eager). Its `error`, `config_offset` and `delay` are
    /// the leader's; its `revoked_*` lists are this round's revocations.
    pub assignment: Assignment,
    /// Stopped in this round (already, through [`GroupWork::on_revoked`]).
    pub revoked_connectors: Vec<String>,
    pub revoked_tasks: Vec<ConnectorTaskId>,
    /// The leader's scheduled delay (ms); the member rejoins after it.
    pub delay: i32,
    /// Who runs what, when this worker is the leader (for REST routing).
    pub leader_state: Option<LeaderState>,
}

impl Assigned {
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader
    }
}

/// What a [`GroupMember`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberEvent {
    Assigned(Box<Assigned>),
    /// The coordinator stayed unknown for `heartbeat.interval.ms`: these were revoked (and
    /// stopped through [`GroupWork::on_revoked`]) so they do not run outside the group.
    AssignmentLost {
        connectors: Vec<String>,
        tasks: Vec<ConnectorTaskId>,
    },
    /// The member stopped: an error it cannot get past (the group is not a Connect group, the
    /// broker refuses the timeouts, a member's metadata does not parse, ...).
    Failed(String),
}

/// Where the member is (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    Unjoined,
    Joining,
    Syncing,
    Stable,
    /// After [`GroupMember::leave`], or after [`MemberEvent::Failed`].
    Stopped,
}

/// What follows from a SyncGroup answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Heartbeat until something asks for a rebalance.
    Stable,
    /// Rejoin at once: the assignment revoked something (two-phase cooperative rebalance).
    RejoinNow,
    /// Rejoin after the leader's delay.
    RejoinAfter(Duration),
}

/// [`after_sync`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    /// The new full assignment.
    pub full: Assignment,
    /// To stop now, before anything else.
    pub revoked_connectors: Vec<String>,
    pub revoked_tasks: Vec<ConnectorTaskId>,
    pub next: Next,
}

/// The decision logic of `WorkerCoordinator.onJoinComplete` and
/// `DistributedHerder.handleRebalanceCompleted` for one SyncGroup answer: under the cooperative
/// protocols the received assignment is an increment applied to `previous`, and anything
/// revoked is stopped and followed by an immediate rejoin; under eager it is the whole
/// assignment (everything was revoked before the join). A positive delay schedules a rejoin. A
/// failed assignment (CONFIG_MISMATCH) is passed on for the caller to catch up and rejoin.
pub fn after_sync(
    protocol: ConnectProtocolCompatibility,
    previous: Option<&Assignment>,
    received: Assignment,
) -> SyncOutcome {
    let (full, revoked_connectors, revoked_tasks) = if protocol.is_incremental() {
        let revoked_connectors = received.revoked_connectors.clone();
        let revoked_tasks = received.revoked_tasks.clone();
        (
            received.apply_to(previous),
            revoked_connectors,
            revoked_tasks,
        )
    } else {
        (received, Vec::new(), Vec::new())
    };
    let next = if !revoked_connectors.is_empty() || !revoked_tasks.is_empty() {
        Next::RejoinNow
    } else if full.delay > 0 {
        Next::RejoinAfter(Duration::from_millis(u64::from(full.delay.unsigned_abs())))
    } else {
        Next::Stable
    };
    SyncOutcome {
        full,
        revoked_connectors,
        revoked_tasks,
        next,
    }
}

/// What a failed group request means for the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Join again, same member id (REBALANCE_IN_PROGRESS).
    Rejoin,
    /// Forget the member id and generation, then join as a new member (UNKNOWN_MEMBER_ID,
    /// ILLEGAL_GENERATION).
    ResetAndRejoin,
    /// Find the coordinator again, then join (coordinator errors, broken connections).
    FindCoordinator,
    /// Stop with [`MemberEvent::Failed`].
    Fatal,
}

/// How the member recovers from `error` on JoinGroup, SyncGroup or Heartbeat.
pub fn recovery(error: &WireError) -> Recovery {
    match error.kafka_code() {
        Some(codes::REBALANCE_IN_PROGRESS | codes::MEMBER_ID_REQUIRED) => Recovery::Rejoin,
        Some(codes::UNKNOWN_MEMBER_ID | codes::ILLEGAL_GENERATION) => Recovery::ResetAndRejoin,
        Some(code) if codes::is_coordinator_error(code) => Recovery::FindCoordinator,
        Some(_) => Recovery::Fatal,
        None if error.is_network() => Recovery::FindCoordinator,
        None => Recovery::Fatal,
    }
}

/// What the member's thread is told.
enum Command {
    /// A rebalance; with a config offset, only when no assignment already covers it.
    Rejoin {
        reason: String,
        config_offset: Option<i64>,
    },
    Heartbeat {
        generation: i32,
        error: WireError,
    },
    Stop,
}

/// What both the member's thread and [`GroupMember::leave`] see.
#[derive(Debug)]
struct Shared {
    state: MemberState,
    member_id: String,
    generation: i32,
    coordinator: Option<String>,
    /// Set by [`GroupMember::abandon`]: the thread ends without LeaveGroup.
    abandoned: bool,
}

/// This worker's membership of the Connect group. Starts joining at once; see the module docs.
pub struct GroupMember {
    config: MemberConfig,
    commands: Sender<Command>,
    events: Receiver<MemberEvent>,
    shared: Arc<Mutex<Shared>>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GroupMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupMember")
            .field("group", &self.config.group_id)
            .field("url", &self.config.url)
            .field("shared", &*lock(&self.shared))
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl GroupMember {
    /// Starts the membership thread: find the coordinator, join, and so on.
    pub fn start(config: MemberConfig, work: Arc<dyn GroupWork>) -> std::io::Result<Self> {
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let shared = Arc::new(Mutex::new(Shared {
            state: MemberState::Unjoined,
            member_id: String::new(),
            generation: -1,
            coordinator: None,
            abandoned: false,
        }));
        let stopping = Arc::new(AtomicBool::new(false));
        let core = Core {
            assignor: IncrementalCooperativeAssignor::new(config.scheduled_rebalance_max_delay_ms),
            config: config.clone(),
            work,
            events: event_tx,
            commands: command_rx,
            command_tx: commands.clone(),
            shared: Arc::clone(&shared),
            stopping: Arc::clone(&stopping),
            coordinator: None,
            coordinator_unknown_since: Some(Instant::now()),
            member_id: String::new(),
            generation: -1,
            protocol: None,
            assignment: None,
            last_completed_generation: -1,
            rejoin_at: None,
            heartbeat: None,
        };
        let thread = std::thread::Builder::new()
            .name(format!("group-member-{}", config.group_id))
            .spawn(move || core.run())?;
        Ok(Self {
            config,
            commands,
            events,
            shared,
            stopping,
            thread: Some(thread),
        })
    }

    /// The member's events, in order.
    pub fn events(&self) -> &Receiver<MemberEvent> {
        &self.events
    }

    pub fn state(&self) -> MemberState {
        lock(&self.shared).state
    }

    /// The current member id (empty before the first join).
    pub fn member_id(&self) -> String {
        lock(&self.shared).member_id.clone()
    }

    /// Asks for a rebalance (a catch-up after CONFIG_MISMATCH, an offset ahead).
    pub fn request_rejoin(&self, reason: &str) {
        let _ = self.commands.send(Command::Rejoin {
            reason: reason.to_owned(),
            config_offset: None,
        });
    }

    /// Asks for a rebalance because of config records read up to `config_offset` — unless the
    /// assignment held when the member gets to it already covers them. Every worker asks when it
    /// reads a new connector or new task configs; the first one's rebalance usually settles them
    /// all, and the others' requests, queued while it ran, would each start another round.
    pub fn request_rejoin_for(&self, reason: &str, config_offset: i64) {
        let _ = self.commands.send(Command::Rejoin {
            reason: reason.to_owned(),
            config_offset: Some(config_offset),
        });
    }

    /// Leaves the group (LeaveGroup), so the others take over this worker's work at once, and
    /// stops the membership thread. Stop the worker's work first: the leader may hand it out as
    /// soon as the coordinator has the LeaveGroup. A join in flight is answered by the broker
    /// once the member has left, so this returns promptly; the thread sends LeaveGroup again on
    /// its way out for an id it learned meanwhile.
    pub fn leave(&mut self, reason: &str) -> Result<(), WireError> {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let _ = self.commands.send(Command::Stop);
        let (member_id, coordinator) = {
            let s = lock(&self.shared);
            (s.member_id.clone(), s.coordinator.clone())
        };
        let result = if member_id.is_empty() {
            Ok(())
        } else {
            let timeout = self.config.request_timeout;
            let coordinator = match coordinator {
                Some(c) => Ok(c),
                None => wire::find_coordinator(
                    &self.config.bootstrap,
                    &self.config.group_id,
                    timeout,
                    &self.config.security,
                ),
            };
            coordinator
                .and_then(|c| Connection::open(&c, timeout, &self.config.security))
                .and_then(|mut conn| {
                    conn.leave_group(&self.config.group_id, &member_id, None, reason)
                })
        };
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        lock(&self.shared).state = MemberState::Stopped;
        result
    }
}

impl GroupMember {
    /// Stops the membership thread **without** LeaveGroup, as a crashed worker would: the
    /// coordinator notices only when the session times out (`session.timeout.ms`). For tests
    /// and failure drills.
    pub fn abandon(mut self) {
        lock(&self.shared).abandoned = true;
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        lock(&self.shared).state = MemberState::Stopped;
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        if let Err(e) = self.leave("the worker is stopping") {
            tracing::warn!(message = "Could not leave the group.", group = %self.config.group_id, error = %e);
        }
    }
}

/// A running heartbeat thread; dropping `stop` ends it.
struct Heartbeat {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Heartbeat {
    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// Where the membership thread goes next.
enum Step {
    Join(String),
    Stable,
    Stop,
    Fatal(String),
}

/// The membership thread's state.
struct Core {
    config: MemberConfig,
    work: Arc<dyn GroupWork>,
    events: Sender<MemberEvent>,
    commands: Receiver<Command>,
    command_tx: Sender<Command>,
    shared: Arc<Mutex<Shared>>,
    stopping: Arc<AtomicBool>,
    coordinator: Option<Connection>,
    coordinator_unknown_since: Option<Instant>,
    member_id: String,
    generation: i32,
    protocol: Option<ConnectProtocolCompatibility>,
    /// The full current assignment (`assignmentSnapshot`).
    assignment: Option<Assignment>,
    last_completed_generation: i32,
    assignor: IncrementalCooperativeAssignor,
    rejoin_at: Option<Instant>,
    heartbeat: Option<Heartbeat>,
}

impl Core {
    fn run(mut self) {
        let mut step = Step::Join("joining the group".to_owned());
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            step = match step {
                Step::Join(reason) => self.join(&reason),
                Step::Stable => self.stable(),
                Step::Stop => break,
                Step::Fatal(why) => {
                    tracing::error!(message = "Group membership failed.", group = %self.config.group_id, error = %why);
                    let _ = self.events.send(MemberEvent::Failed(why));
                    break;
                }
            };
        }
        self.stop_heartbeat();
        let abandoned = lock(&self.shared).abandoned;
        if !abandoned {
            self.leave_group();
        }
        lock(&self.shared).state = MemberState::Stopped;
    }

    /// On the way out: LeaveGroup for the member id this thread knows, which may be newer than
    /// the one [`GroupMember::leave`] saw (a join was under way). Leaving twice is harmless.
    fn leave_group(&mut self) {
        if self.member_id.is_empty() {
            return;
        }
        let Some(conn) = self.coordinator.as_mut() else {
            return;
        };
        let left = conn
            .set_timeout(self.config.request_timeout)
            .and_then(|()| {
                conn.leave_group(
                    &self.config.group_id,
                    &self.member_id,
                    None,
                    "the worker is stopping",
                )
            });
        if let Err(e) = left {
            tracing::info!(message = "LeaveGroup on the way out failed.", group = %self.config.group_id, member = %self.member_id, error = %e);
        }
        self.reset_member();
    }

    fn set_state(&self, state: MemberState) {
        let mut s = lock(&self.shared);
        s.state = state;
        s.member_id.clone_from(&self.member_id);
        s.generation = self.generation;
        s.coordinator = self.coordinator.as_ref().map(|c| c.addr().to_owned());
    }

    fn stop_heartbeat(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.stop();
        }
    }

    fn reset_member(&mut self) {
        self.member_id.clear();
        self.generation = -1;
    }

    fn lose_coordinator(&mut self) {
        if self.coordinator.take().is_some() {
            self.coordinator_unknown_since = Some(Instant::now());
        }
        self.set_state(MemberState::Unjoined);
    }

    /// The step after a failed request.
    fn recover(&mut self, what: &str, error: WireError) -> Step {
        let recovery = recovery(&error);
        tracing::info!(message = "Group request failed.", group = %self.config.group_id, request = what, error = %error, ?recovery);
        match recovery {
            Recovery::Rejoin => Step::Join(format!("{what}: {error}")),
            Recovery::ResetAndRejoin => {
                self.reset_member();
                Step::Join(format!("{what}: {error}"))
            }
            Recovery::FindCoordinator => {
                self.lose_coordinator();
                Step::Join(format!("{what}: {error}"))
            }
            Recovery::Fatal => Step::Fatal(format!("{what}: {error}")),
        }
    }

    /// Finds the coordinator and connects to it, retrying with a backoff; `false` when stopping.
    fn ensure_coordinator(&mut self) -> bool {
        let mut backoff = self.config.retry_backoff;
        while self.coordinator.is_none() {
            if self.stopping.load(Ordering::SeqCst) {
                return false;
            }
            let timeout = self.config.request_timeout;
            let found = wire::find_coordinator(
                &self.config.bootstrap,
                &self.config.group_id,
                timeout,
                &self.config.security,
            )
            .and_then(|addr| Connection::open(&addr, timeout, &self.config.security));
            match found {
                Ok(conn) => {
                    tracing::debug!(message = "Found the group coordinator.", group = %self.config.group_id, coordinator = conn.addr());
                    self.coordinator = Some(conn);
                    self.coordinator_unknown_since = None;
                    self.set_state(MemberState::Unjoined);
                }
                Err(e) => {
                    if matches!(e, WireError::Login { .. }) {
                        tracing::error!(message = "The brokers refused this worker's TLS handshake or SASL login; trying again.", group = %self.config.group_id, error = %e);
                    } else {
                        tracing::info!(message = "Group coordinator not found yet.", group = %self.config.group_id, error = %e);
                    }
                    self.maybe_revoke_all();
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
        true
    }

    /// KAFKA-9184: the coordinator was unknown for `heartbeat.interval.ms`: stop everything.
    fn maybe_revoke_all(&mut self) {
        let overdue = self
            .coordinator_unknown_since
            .is_some_and(|since| since.elapsed() >= self.config.heartbeat_interval);
        if !overdue || self.assignment.as_ref().is_none_or(Assignment::failed) {
            return;
        }
        let Some(held) = self.assignment.take() else {
            return;
        };
        tracing::warn!(message = "Group coordinator unreachable; revoking the whole assignment so no work runs outside the group.", group = %self.config.group_id, after_ms = self.config.heartbeat_interval.as_millis());
        self.work.on_revoked(&held.connectors, &held.tasks);
        let _ = self.events.send(MemberEvent::AssignmentLost {
            connectors: held.connectors,
            tasks: held.tasks,
        });
    }

    /// Commands queued before this join are answered by it; a Stop among them stops.
    fn drain_commands(&mut self) -> bool {
        let mut stop = false;
        while let Ok(c) = self.commands.try_recv() {
            stop |= matches!(c, Command::Stop);
        }
        !stop
    }

    /// Unjoined/Joining → Syncing → the step after the SyncGroup answer.
    fn join(&mut self, reason: &str) -> Step {
        self.stop_heartbeat();
        self.rejoin_at = None;
        if !self.drain_commands() || !self.ensure_coordinator() {
            return Step::Stop;
        }
        // onJoinPrepare: eager workers give up everything before every rebalance.
        if self.protocol == Some(ConnectProtocolCompatibility::Eager)
            && let Some(held) = self.assignment.take()
            && !held.failed()
        {
            self.work.on_revoked(&held.connectors, &held.tasks);
        }
        self.set_state(MemberState::Joining);
        let config_offset = self.work.configured_work().offset;
        let state = WorkerState::new(&self.config.url, config_offset, self.assignment.clone());
        let protocols = match metadata_request(&state, self.config.protocol) {
            Ok(p) => p,
            Err(e) => return Step::Fatal(format!("member metadata: {e}")),
        };
        let protocols: Vec<(&str, Bytes)> = protocols
            .into_iter()
            .map(|p| (p.name, Bytes::from(p.metadata)))
            .collect();
        let request = JoinGroup {
            group: &self.config.group_id,
            session_timeout_ms: millis(self.config.session_timeout),
            rebalance_timeout_ms: millis(self.config.rebalance_timeout),
            protocol_type: PROTOCOL_TYPE,
            protocols: &protocols,
            reason,
        };
        tracing::debug!(message = "Joining the group.", group = %self.config.group_id, member = %self.member_id, reason);
        let join_timeout = self.config.join_timeout();
        let Some(conn) = self.coordinator.as_mut() else {
            return Step::Join(reason.to_owned());
        };
        // The id the broker chose is published before the second join: a pending member nobody
        // leaves would hold up the rebalance until its session expired.
        let shared = &self.shared;
        let joined = conn.set_timeout(join_timeout).and_then(|()| {
            conn.join_group(&request, &mut self.member_id, |id| {
                lock(shared).member_id = id.to_owned();
            })
        });
        self.set_state(MemberState::Joining);
        let joined = match joined {
            Ok(j) => j,
            Err(e) => return self.recover("JoinGroup", e),
        };
        if self.stopping.load(Ordering::SeqCst) {
            return Step::Stop;
        }
        self.generation = joined.generation;
        let protocol = match ConnectProtocolCompatibility::from_protocol(&joined.protocol_name) {
            Ok(p) => p,
            Err(e) => return Step::Fatal(format!("JoinGroup chose {e}")),
        };
        if let Some(t) = joined
            .protocol_type
            .as_deref()
            .filter(|t| *t != PROTOCOL_TYPE)
        {
            return Step::Fatal(format!("JoinGroup answered protocol type {t}"));
        }
        self.protocol = Some(protocol);
        self.set_state(MemberState::Syncing);
        self.sync(&joined, protocol)
    }

    fn sync(&mut self, joined: &Joined, protocol: ConnectProtocolCompatibility) -> Step {
        let (assignments, leader_state) = if joined.is_leader() {
            match self.assign(joined, protocol) {
                Ok(a) => a,
                Err(why) => return Step::Fatal(why),
            }
        } else {
            (Vec::new(), None)
        };
        let Some(conn) = self.coordinator.as_mut() else {
            return Step::Join("lost the coordinator".to_owned());
        };
        let answer = conn
            .set_timeout(self.config.request_timeout)
            .and_then(|()| {
                conn.sync_group(
                    &self.config.group_id,
                    joined.generation,
                    &self.member_id,
                    PROTOCOL_TYPE,
                    protocol.protocol(),
                    &assignments,
                )
            });
        let blob = match answer {
            Ok(b) => b,
            Err(e) => return self.recover("SyncGroup", e),
        };
        let received = match Assignment::decode(&blob) {
            Ok(a) => a,
            Err(e) => return Step::Fatal(format!("assignment from the leader: {e}")),
        };
        let outcome = after_sync(protocol, self.assignment.as_ref(), received);
        if !outcome.revoked_connectors.is_empty() || !outcome.revoked_tasks.is_empty() {
            self.work
                .on_revoked(&outcome.revoked_connectors, &outcome.revoked_tasks);
        }
        self.assignment = Some(outcome.full.clone());
        self.last_completed_generation = joined.generation;
        let assigned = Assigned {
            generation: joined.generation,
            member_id: self.member_id.clone(),
            protocol,
            leader: outcome.full.leader.clone(),
            leader_url: outcome.full.leader_url.clone(),
            delay: outcome.full.delay,
            assignment: outcome.full,
            revoked_connectors: outcome.revoked_connectors,
            revoked_tasks: outcome.revoked_tasks,
            leader_state,
        };
        tracing::info!(
            message = "Joined the group.",
            group = %self.config.group_id,
            generation = assigned.generation,
            member = %assigned.member_id,
            leader = assigned.is_leader(),
            protocol = %protocol,
            connectors = assigned.assignment.connectors.len(),
            tasks = assigned.assignment.tasks.len(),
            revoked = assigned.revoked_connectors.len() + assigned.revoked_tasks.len(),
            delay = assigned.delay,
        );
        let _ = self.events.send(MemberEvent::Assigned(Box::new(assigned)));
        match outcome.next {
            Next::RejoinNow => Step::Join("the assignment revoked work".to_owned()),
            Next::RejoinAfter(delay) => {
                self.rejoin_at = Some(Instant::now() + delay);
                Step::Stable
            }
            Next::Stable => Step::Stable,
        }
    }

    /// The leader's round: every member's SyncGroup blob.
    #[allow(clippy::type_complexity)]
    fn assign(
        &mut self,
        joined: &Joined,
        protocol: ConnectProtocolCompatibility,
    ) -> Result<(Vec<(String, Bytes)>, Option<LeaderState>), String> {
        let members = decode_members(
            joined
                .members
                .iter()
                .map(|(id, metadata)| (id.as_str(), &metadata[..])),
        )
        .map_err(|e| e.to_string())?;
        let config = self.work.configured_work();
        let fresh = if needs_fresh_config(&members, &config) {
            self.work.fresh_configured_work()
        } else {
            None
        };
        let round = AssignmentRound {
            leader_id: &self.member_id,
            protocol,
            members: &members,
            config: &config,
            fresh_config: fresh.as_ref(),
            last_completed_generation: self.last_completed_generation,
            current_generation: joined.generation,
            now_ms: now_ms(),
        };
        let group = if protocol.is_incremental() {
            self.assignor.assign(&round)
        } else {
            eager_assign(&round)
        }
        .map_err(|e| e.to_string())?;
        let blobs = group.encode().map_err(|e| e.to_string())?;
        Ok((
            blobs
                .into_iter()
                .map(|(m, b)| (m, Bytes::from(b)))
                .collect(),
            group.leader_state,
        ))
    }

    /// Stable: heartbeat until something calls for a rebalance.
    fn stable(&mut self) -> Step {
        self.set_state(MemberState::Stable);
        if self.heartbeat.is_none() {
            match self.start_heartbeat() {
                Ok(h) => self.heartbeat = Some(h),
                Err(e) => return Step::Fatal(format!("cannot start the heartbeat thread: {e}")),
            }
        }
        loop {
            let wait = self.rejoin_at.map_or(Duration::from_secs(3600), |at| {
                at.saturating_duration_since(Instant::now())
            });
            match self.commands.recv_timeout(wait) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return Step::Stop,
                Ok(Command::Rejoin {
                    reason,
                    config_offset,
                }) => {
                    if let Some(wanted) = config_offset
                        && let Some(held) = self.assignment.as_ref().filter(|a| !a.failed())
                        && held.config_offset >= wanted
                    {
                        tracing::debug!(message = "Rebalance not needed: the assignment covers the config records.", reason = %reason, config_offset = wanted, assignment_offset = held.config_offset);
                        continue;
                    }
                    return Step::Join(reason);
                }
                Ok(Command::Heartbeat { generation, error }) => {
                    if generation != self.generation {
                        continue;
                    }
                    self.stop_heartbeat();
                    return self.recover("Heartbeat", error);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.rejoin_at.is_some_and(|at| at <= Instant::now()) {
                        self.rejoin_at = None;
                        return Step::Join("the scheduled rebalance is due".to_owned());
                    }
                }
            }
        }
    }

    fn start_heartbeat(&self) -> std::io::Result<Heartbeat> {
        let (stop, stopped) = mpsc::channel::<()>();
        let report = self.command_tx.clone();
        let group = self.config.group_id.clone();
        let member = self.member_id.clone();
        let generation = self.generation;
        let interval = self.config.heartbeat_interval;
        let security = self.config.security.clone();
        let timeout = self.config.session_timeout.min(self.config.request_timeout);
        let addr = self
            .coordinator
            .as_ref()
            .map(|c| c.addr().to_owned())
            .unwrap_or_default();
        let thread = std::thread::Builder::new()
            .name(format!("group-heartbeat-{group}"))
            .spawn(move || {
                let fail = |error| {
                    let _ = report.send(Command::Heartbeat { generation, error });
                };
                let mut conn = match Connection::open(&addr, timeout, &security) {
                    Ok(c) => c,
                    Err(e) => return fail(e),
                };
                loop {
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    if let Err(e) = conn.heartbeat(&group, generation, &member) {
                        return fail(e);
                    }
                }
            })?;
        Ok(Heartbeat { stop, thread })
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// Milliseconds since the Unix epoch, as the records' timestamps count them.
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_protocol::protocol::{CONFIG_MISMATCH, NO_ERROR};
    use kafka_protocol::messages::ApiKey;

    fn task(c: &str, t: i32) -> ConnectorTaskId {
        ConnectorTaskId::new(c, t)
    }

    fn assignment(version: i16, connectors: &[&str], tasks: &[(&str, i32)]) -> Assignment {
        let mut a = Assignment::new(version, NO_ERROR, "leader-1", "http://w1:8083/", 7);
        a.connectors = connectors.iter().map(|c| (*c).to_owned()).collect();
        a.tasks = tasks.iter().map(|(c, t)| task(c, *t)).collect();
        a
    }

    fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
        let mut v = v.to_vec();
        v.sort();
        v
    }

    #[test]
    fn cooperative_increment_is_added_to_what_was_held() {
        let previous = assignment(2, &["a"], &[("a", 0)]);
        let received = assignment(2, &["b"], &[("b", 0), ("b", 1)]);
        let out = after_sync(
            ConnectProtocolCompatibility::Sessioned,
            Some(&previous),
            received,
        );
        assert_eq!(out.next, Next::Stable);
        assert!(out.revoked_connectors.is_empty() && out.revoked_tasks.is_empty());
        assert_eq!(sorted(&out.full.connectors), vec!["a", "b"]);
        assert_eq!(
            sorted(&out.full.tasks),
            vec![task("a", 0), task("b", 0), task("b", 1)]
        );
    }

    #[test]
    fn revocations_are_removed_and_force_an_immediate_rejoin() {
        let previous = assignment(2, &["a", "b"], &[("a", 0), ("a", 1)]);
        let mut received = assignment(2, &[], &[]);
        received.revoked_connectors = vec!["b".to_owned()];
        received.revoked_tasks = vec![task("a", 1)];
        // A delay as well: the revocation's rejoin comes first.
        received.delay = 500;
        let out = after_sync(
            ConnectProtocolCompatibility::Compatible,
            Some(&previous),
            received,
        );
        assert_eq!(out.next, Next::RejoinNow);
        assert_eq!(out.revoked_connectors, vec!["b"]);
        assert_eq!(out.revoked_tasks, vec![task("a", 1)]);
        assert_eq!(out.full.connectors, vec!["a"]);
        assert_eq!(out.full.tasks, vec![task("a", 0)]);
    }

    #[test]
    fn a_delay_schedules_the_rejoin() {
        let mut received = assignment(2, &["a"], &[]);
        received.delay = 1500;
        let out = after_sync(ConnectProtocolCompatibility::Sessioned, None, received);
        assert_eq!(out.next, Next::RejoinAfter(Duration::from_millis(1500)));
        assert_eq!(out.full.connectors, vec!["a"]);
    }

    #[test]
    fn eager_assignment_replaces_the_previous_one() {
        let previous = assignment(0, &["a"], &[("a", 0)]);
        let received = assignment(0, &["b"], &[("b", 0)]);
        let out = after_sync(
            ConnectProtocolCompatibility::Eager,
            Some(&previous),
            received,
        );
        assert_eq!(out.next, Next::Stable);
        assert_eq!(out.full.connectors, vec!["b"]);
        assert_eq!(out.full.tasks, vec![task("b", 0)]);
        assert!(out.revoked_connectors.is_empty());
    }

    #[test]
    fn config_mismatch_keeps_the_work_and_leaves_the_rejoin_to_the_caller() {
        let previous = assignment(2, &["a"], &[("a", 0)]);
        let mut received = assignment(2, &[], &[]);
        received.error = CONFIG_MISMATCH;
        let out = after_sync(
            ConnectProtocolCompatibility::Sessioned,
            Some(&previous),
            received,
        );
        assert_eq!(out.next, Next::Stable);
        assert!(out.full.failed());
        assert_eq!(out.full.connectors, vec!["a"]);
    }

    #[test]
    fn the_wire_round_trip_of_a_sync_answer_feeds_the_decision() {
        // What the leader encodes is what a follower decodes and applies.
        let mut sent = assignment(2, &["c"], &[("c", 0)]);
        sent.revoked_tasks = vec![task("d", 2)];
        let received = Assignment::decode(&sent.encode().expect("encode")).expect("decode");
        let previous = assignment(2, &[], &[("d", 2), ("d", 3)]);
        let out = after_sync(
            ConnectProtocolCompatibility::Sessioned,
            Some(&previous),
            received,
        );
        assert_eq!(out.next, Next::RejoinNow);
        assert_eq!(sorted(&out.full.tasks), vec![task("c", 0), task("d", 3)]);
    }

    fn kafka(code: i16) -> WireError {
        WireError::Kafka {
            api: ApiKey::Heartbeat,
            code,
            message: None,
        }
    }

    #[test]
    fn errors_map_to_recoveries() {
        assert_eq!(
            recovery(&kafka(codes::REBALANCE_IN_PROGRESS)),
            Recovery::Rejoin
        );
        assert_eq!(
            recovery(&kafka(codes::UNKNOWN_MEMBER_ID)),
            Recovery::ResetAndRejoin
        );
        assert_eq!(
            recovery(&kafka(codes::ILLEGAL_GENERATION)),
            Recovery::ResetAndRejoin
        );
        for code in [
            codes::NOT_COORDINATOR,
            codes::COORDINATOR_NOT_AVAILABLE,
            codes::COORDINATOR_LOAD_IN_PROGRESS,
        ] {
            assert_eq!(recovery(&kafka(code)), Recovery::FindCoordinator);
        }
        let broken = WireError::Io {
            addr: "b:9092".to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        };
        assert_eq!(recovery(&broken), Recovery::FindCoordinator);
        assert_eq!(
            recovery(&kafka(codes::INCONSISTENT_GROUP_PROTOCOL)),
            Recovery::Fatal
        );
    }

    #[test]
    fn config_from_worker_properties() {
        let props: connect_api::config::Properties = [
            ("group.id", "g"),
            ("connect.protocol", "compatible"),
            ("heartbeat.interval.ms", "500"),
            ("scheduled.rebalance.max.delay.ms", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let c = MemberConfig::from_props(&props, "b:9092", "http://w:8083/").expect("config");
        assert_eq!(c.group_id, "g");
        assert_eq!(c.protocol, ConnectProtocolCompatibility::Compatible);
        assert_eq!(c.heartbeat_interval, Duration::from_millis(500));
        assert_eq!(c.session_timeout, Duration::from_millis(10_000));
        assert_eq!(c.rebalance_timeout, Duration::from_millis(60_000));
        assert_eq!(c.scheduled_rebalance_max_delay_ms, 0);
        assert_eq!(c.join_timeout(), Duration::from_millis(65_000));
        let missing = MemberConfig::from_props(&Default::default(), "b", "u");
        assert!(missing.is_err());
    }
}
