//! The consumer group's side of a sink task, in one place: `SinkConsumer`, the seam the sink
//! driver ([`sink_task`](super::sink_task)) reads through; [`KafkaSinkConsumer`], its
//! implementation on librdkafka, with the group callbacks ([`SinkConsumerContext`]: assignment
//! changes, start positions for new partitions, consumer lag from librdkafka's statistics); and
//! the rebalance protocol, the driver's `rebalance` step.
//!
//! # The rebalance protocol
//!
//! librdkafka calls the group callbacks from inside `recv()`, on the task's shard. They note each
//! assignment change as a [`GroupEvent`]; the driver takes the events after the batch is
//! collected:
//!
//! - **Revoked**: a revocation is not completed in the callback. The group waits (bounded by
//!   `max.poll.interval.ms`) while the driver pre-commits and commits everything put so far —
//!   while the group still counts the partitions as this task's —, forgets the revoked
//!   partitions' positions, calls the task's `close` with exactly the revoked partitions it
//!   owned, drops their records still in the batch, and only then hands the partitions back
//!   (`SinkConsumer::complete_revoke`). The next owner continues exactly where this task
//!   stopped: a rebalance delivers nothing twice.
//! - **Assigned**: the callback gives each new partition its start position (the group's
//!   committed offset, else the reset position); the driver records the assignment in the
//!   task's context, pauses again the partitions the task had paused (pauses survive
//!   rebalances), and calls the task's `open`, where a task may seek.
//! - Once the driver is done (the task is closed and stopped), the consumer closes
//!   ([`KafkaSinkConsumer::close`]), and revocations during the close complete at once in the
//!   callback. librdkafka can deliver an assignment after the group terminated inside a close
//!   that began with a rebalance pending, and never answers a group call made then; the
//!   callback ignores changes once the group is closed, and a close that still waits is given
//!   up after a bound (`tests/tests/sink_close.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::sink_task::{SinkDriver, Subscription};
use super::{StopSignal, TaskId, TaskStats};
use crate::kafka::ShardConsumer;
use crate::record::{BatchBuilder, RawRecord};
use connect_api::{ErrorClass, TaskError, TopicPartition};

/// What the sink driver needs of its consumer: batches of raw records, the group's assignment
/// changes, pause / resume, seeks, and offset commits. [`KafkaSinkConsumer`] is the real one;
/// the driver's unit tests use a scripted one.
///
/// Commands answer with the client's error; the driver says what failed.
pub(crate) trait SinkConsumer {
    /// The next batch: waits a short while for a first record (not at all once `stop` is set),
    /// then takes what is already buffered without waiting. Empty when nothing came in time;
    /// `None` when `stop` was set. Assignment changes seen meanwhile wait in
    /// [`take_group_events`](Self::take_group_events). Consumer errors that do not end the task
    /// are logged here; the others are returned.
    async fn next_batch(&mut self, stop: &StopSignal) -> Result<Option<Vec<RawRecord>>, TaskError>;

    /// Assignment changes since the last call, in order. A revocation waits for
    /// [`complete_revoke`](Self::complete_revoke).
    fn take_group_events(&mut self) -> Vec<GroupEvent>;

    /// Hands revoked partitions back to the group once the task is done with them (nothing
    /// when no revocation waits).
    fn complete_revoke(&mut self) -> KafkaResult<()>;

    /// Stops fetching `partitions` (they stay assigned).
    fn pause(&mut self, partitions: &[TopicPartition]) -> KafkaResult<()>;

    fn resume(&mut self, partitions: &[TopicPartition]) -> KafkaResult<()>;

    /// Fetching of `partition` continues at `offset`; does not wait for the consumer's answer.
    fn seek(&mut self, partition: &TopicPartition, offset: i64) -> KafkaResult<()>;

    /// Commits `offsets` (each the offset of the next record to read) for the group.
    fn commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
        mode: CommitMode,
    ) -> KafkaResult<()>;

    /// Leaves the group and releases the consumer, without blocking the shard.
    async fn close(self);
}

/// Partitions as the driver drops their records from a batch: topic and partition number.
pub(crate) type PartitionSet = BTreeSet<(Arc<str>, i32)>;

/// Most records in one batch (one `put`).
const MAX_BATCH: usize = 4096;
/// How long one wait for the first record of a batch lasts before the driver checks for stop,
/// rebalances and commits due.
const IDLE_WAIT: Duration = Duration::from_millis(100);
/// Seeks do not wait for the consumer's answer (librdkafka: a zero timeout makes the seek
/// asynchronous; a failure arrives as a consumer error), so a seek never blocks the shard.
const SEEK_ASYNC: Duration = Duration::ZERO;

/// A client error, classified (a bad `consumer.*` override is a config error, not a restart
/// loop).
pub(crate) fn kafka_error(id: &TaskId, what: &str, e: KafkaError) -> TaskError {
    TaskError::with_source(
        crate::kafka::error_class(&e),
        format!("{id}: {what}: {e}"),
        e,
    )
}

/// The sink consumer on librdkafka, subscribed, with [`SinkConsumerContext`] as its group
/// callbacks.
pub struct KafkaSinkConsumer {
    id: TaskId,
    /// Declared before the consumer, so it drops first: revocations during the consumer's close
    /// complete at once.
    closing: ClosingGuard,
    consumer: ShardConsumer<SinkConsumerContext>,
    group: SinkConsumerContext,
    builder: BatchBuilder,
}

impl std::fmt::Debug for KafkaSinkConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSinkConsumer")
            .field("id", &self.id)
            .finish()
    }
}

impl KafkaSinkConsumer {
    /// A consumer made from `config` (on the task's shard), subscribed to `subscription`.
    pub fn subscribe(
        id: &TaskId,
        stats: &Arc<TaskStats>,
        config: &rdkafka::ClientConfig,
        subscription: &Subscription,
    ) -> Result<Self, TaskError> {
        let group = SinkConsumerContext::new(id.to_string(), Arc::clone(stats), config);
        let consumer: ShardConsumer<SinkConsumerContext> = config
            .create_with_context(group.clone())
            .map_err(|e| kafka_error(id, "cannot create consumer", e))?;
        let closing = group.closing_guard();
        match subscription {
            Subscription::Topics(topics) => {
                let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer.subscribe(&topics)
            }
            // librdkafka treats a subscription starting with '^' as a regex.
            Subscription::Pattern(regex) => {
                consumer.subscribe(&[&format!("^{}", regex.trim_start_matches('^'))])
            }
        }
        .map_err(|e| kafka_error(id, "cannot subscribe", e))?;
        Ok(Self {
            id: id.clone(),
            closing,
            consumer,
            group,
            builder: BatchBuilder::with_capacity(MAX_BATCH, MAX_BATCH * 256),
        })
    }
}

impl SinkConsumer for KafkaSinkConsumer {
    async fn next_batch(&mut self, stop: &StopSignal) -> Result<Option<Vec<RawRecord>>, TaskError> {
        // A busy task always finds a record ready and would never wait: once per batch it lets
        // the shard's other tasks (and stops, commits, rebalances) have their turn.
        glommio::executor().yield_now().await;
        if let Some((error, reason)) = self.consumer.context().login.failure() {
            return Err(TaskError::with_source(
                ErrorClass::Config,
                format!(
                    "{}: the cluster refused the consumer's login: {reason}",
                    self.id
                ),
                error,
            ));
        }
        let consumer = &self.consumer;
        // Waits for the first record at most IDLE_WAIT (rebalances, commits due), and not at all
        // once stopped.
        let first = stop
            .or(glommio::timer::timeout(IDLE_WAIT, async {
                Ok(consumer.recv().await)
            }))
            .await;
        match first {
            Some(Ok(Ok(message))) => {
                self.builder.push(&message);
                drop(message);
            }
            Some(Ok(Err(e))) => consumer_error(&self.id, e)?,
            Some(Err(_)) => {}
            None => return Ok(None),
        }
        // Take what is already buffered without waiting.
        while !self.builder.is_empty() && self.builder.len() < MAX_BATCH {
            match consumer.recv().now_or_never() {
                Some(Ok(message)) => self.builder.push(&message),
                Some(Err(e)) => {
                    consumer_error(&self.id, e)?;
                    break;
                }
                None => break,
            }
        }
        Ok(Some(if self.builder.is_empty() {
            Vec::new()
        } else {
            self.builder.finish()
        }))
    }

    fn take_group_events(&mut self) -> Vec<GroupEvent> {
        self.group.take_events()
    }

    fn complete_revoke(&mut self) -> KafkaResult<()> {
        self.group.complete_revoke(&self.consumer)
    }

    fn pause(&mut self, partitions: &[TopicPartition]) -> KafkaResult<()> {
        self.consumer.pause(&partition_list(partitions))
    }

    fn resume(&mut self, partitions: &[TopicPartition]) -> KafkaResult<()> {
        self.consumer.resume(&partition_list(partitions))
    }

    fn seek(&mut self, tp: &TopicPartition, offset: i64) -> KafkaResult<()> {
        self.consumer
            .seek(&tp.topic, tp.partition, Offset::Offset(offset), SEEK_ASYNC)
    }

    fn commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
        mode: CommitMode,
    ) -> KafkaResult<()> {
        let mut list = TopicPartitionList::new();
        for (tp, offset) in offsets {
            list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))?;
        }
        self.consumer.commit(&list, mode)
    }

    async fn close(self) {
        KafkaSinkConsumer::close(self).await;
    }
}

/// How long a task's stop waits for librdkafka to close its consumer.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

impl KafkaSinkConsumer {
    /// Receives and drops records for `duration`, serving the group's events meanwhile (what a
    /// driver's loop does, without a task): for tools and tests that drive a consumer alone.
    pub async fn serve_for(&mut self, duration: Duration) {
        let until = std::time::Instant::now() + duration;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            let consumer = &self.consumer;
            let _ =
                glommio::timer::timeout(left.min(IDLE_WAIT), async { Ok(consumer.recv().await) })
                    .await;
        }
    }

    /// Closes the consumer (see the module docs): revocations complete at once from here on
    /// (the closing guard is dropped first), and the close, which waits for the group, runs on
    /// a thread of its own, so the shard's other tasks run on meanwhile.
    ///
    /// librdkafka can deliver an assignment to the callback after the group terminated inside
    /// the close (a rebalance was pending when it began), and never answers an `assign` made
    /// then (confluentinc/librdkafka#4884): the close would wait forever. The callback ignores
    /// changes once it sees the group closed, but the group can terminate between that check
    /// and the call. So the stop waits at most [`CLOSE_TIMEOUT`]: past it, the task ends without
    /// the close, an error names the task, and the closing thread stays blocked (its consumer's
    /// records were committed before; nothing is lost).
    pub async fn close(self) {
        let Self {
            id,
            closing,
            consumer,
            ..
        } = self;
        drop(closing);
        let (closed, on_closed) = futures::channel::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name(format!("close-{id}"))
            .spawn(move || {
                drop(consumer);
                let _ = closed.send(());
            });
        if let Err(e) = spawned {
            tracing::warn!(message = "Cannot start a thread to close the consumer; it closed on the shard.", task = %id, error = %e);
            return;
        }
        let waited = glommio::timer::timeout(CLOSE_TIMEOUT, async { Ok(on_closed.await) }).await;
        if waited.is_err() {
            tracing::error!(
                message = "The consumer did not close in time; the task stops without waiting for it (librdkafka left the close waiting on a rebalance it no longer answers). Its committed offsets stand; the closing thread stays blocked.",
                task = %id,
                waited_s = CLOSE_TIMEOUT.as_secs()
            );
        }
    }
}

fn partition_list(list: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for tp in list {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}

/// librdkafka reports most consumer errors for information and recovers by itself (a subscribed
/// topic that does not exist yet, a partition leader moving); only fatal errors end the task.
fn consumer_error(id: &TaskId, error: KafkaError) -> Result<(), TaskError> {
    match error {
        KafkaError::MessageConsumptionFatal(RDKafkaErrorCode::FencedInstanceId) => {
            Err(kafka_error(
                id,
                "fenced: another consumer joined the group with this task's group.instance.id \
                 (a second copy of the task is running); this copy stops so that no record is \
                 consumed twice",
                error,
            ))
        }
        KafkaError::MessageConsumptionFatal(_) => Err(kafka_error(id, "consumer failed", error)),
        KafkaError::MessageConsumption(RDKafkaErrorCode::UnknownTopicOrPartition) => {
            // Sinks often start before their topics exist; the consumer finds them when they do.
            tracing::info!(message = "Waiting for a subscribed topic to exist.", task = %id);
            Ok(())
        }
        other => {
            tracing::warn!(message = "Consumer reported an error; continuing.", task = %id, error = %other);
            Ok(())
        }
    }
}

/// The rebalance protocol's step of the sink driver (see the module docs).
impl<C: SinkConsumer> SinkDriver<C> {
    /// Applies the group's assignment changes the consumer saw: `close` for revoked partitions,
    /// `open` for assigned ones. Returns the partitions revoked (and not assigned again since),
    /// whose records in the current batch are left to their next owner.
    pub(super) async fn rebalance(&mut self) -> Result<PartitionSet, TaskError> {
        let mut revoked = PartitionSet::new();
        for event in self.consumer.take_group_events() {
            match event {
                GroupEvent::Revoked(list) => {
                    for tp in self.revoked(&list).await? {
                        revoked.insert((Arc::clone(&tp.topic), tp.partition));
                    }
                }
                GroupEvent::Assigned(list) => {
                    for tp in &list {
                        revoked.remove(&(Arc::clone(&tp.topic), tp.partition));
                    }
                    self.assigned(&list).await?;
                }
            }
        }
        Ok(revoked)
    }

    /// The group waits for `complete_revoke`: commits now, while these partitions are still
    /// this task's, so their next owner starts after the last record put here; then forgets
    /// them, closes them in the task and hands them back. Returns those the task owned.
    async fn revoked(&mut self, list: &[TopicPartition]) -> Result<Vec<TopicPartition>, TaskError> {
        let committed = if self.positions.dirty() {
            self.commit(CommitMode::Sync).await
        } else {
            Ok(())
        };
        let revoked = self.context.revoke(list);
        for tp in &revoked {
            self.positions.forget(tp);
        }
        tracing::info!(message = "Partitions revoked.", task = %self.env.id, partitions = %join(&revoked));
        let closed = if revoked.is_empty() {
            Ok(())
        } else {
            self.task.close(&revoked).await
        };
        let handed_back = self
            .consumer
            .complete_revoke()
            .map_err(|e| kafka_error(&self.env.id, "cannot hand revoked partitions back", e));
        committed.and(closed).and(handed_back)?;
        Ok(revoked)
    }

    /// Records the new partitions in the task's context, pauses again those the task had
    /// paused, and opens them in the task.
    async fn assigned(&mut self, list: &[TopicPartition]) -> Result<(), TaskError> {
        let repause = self.context.assign(list);
        tracing::info!(message = "Partitions assigned.", task = %self.env.id, partitions = %join(list));
        if !repause.is_empty() {
            self.consumer
                .pause(&repause)
                .map_err(|e| kafka_error(&self.env.id, "cannot pause partitions", e))?;
        }
        self.task.open(list).await
    }

    /// On the way out, after the task stopped: a revocation seen but not handled (the loop
    /// ended first) is completed, the task is done with everything.
    pub(super) fn hand_back_revoked(&mut self) {
        if let Err(e) = self.consumer.complete_revoke() {
            tracing::warn!(message = "Handing revoked partitions back failed.", task = %self.env.id, error = %e);
        }
    }
}

fn join(list: &[TopicPartition]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A change of the task's assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    Assigned(Vec<TopicPartition>),
    Revoked(Vec<TopicPartition>),
}

#[derive(Debug, Default)]
struct Shared {
    events: Vec<GroupEvent>,
    /// A revocation waiting for [`SinkConsumerContext::complete_revoke`]: the partitions, and
    /// whether the group uses the cooperative protocol.
    revoking: Option<(TopicPartitionList, bool)>,
}

/// The sink consumer's group callbacks; shared between the consumer and the
/// [`KafkaSinkConsumer`] around it.
#[derive(Debug, Clone)]
pub struct SinkConsumerContext {
    /// Whether the group uses the cooperative rebalance protocol (from the assignment strategy).
    cooperative: bool,
    task: Arc<str>,
    stats: Arc<TaskStats>,
    shared: Arc<Mutex<Shared>>,
    /// Where a partition without a committed offset starts (`auto.offset.reset`).
    reset: Option<Offset>,
    /// Set once the driver is done: revocations while the consumer closes complete at once.
    closing: Arc<AtomicBool>,
    /// The cluster refused the consumer's login (SASL or TLS; reported only to this callback,
    /// never by `recv`): the next batch fails the task with it.
    login: Arc<crate::kafka::LoginWatch>,
}

/// Marks the consumer as closing when dropped; declare it after the consumer, so that it drops
/// first.
#[derive(Debug)]
pub struct ClosingGuard(Arc<AtomicBool>);

impl Drop for ClosingGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Longest wait for the group's committed offsets while partitions are assigned. The rebalance
/// callback runs on the task's shard, so the wait is short: when the coordinator is slower, the
/// consumer looks the offsets up itself (asynchronously; it only costs librdkafka's 100 ms reset
/// delay for partitions without a commit).
const COMMITTED_TIMEOUT: Duration = Duration::from_millis(500);

impl SinkConsumerContext {
    /// For a consumer made from `config` (its `auto.offset.reset` and
    /// `partition.assignment.strategy` matter here).
    pub fn new(task: String, stats: Arc<TaskStats>, config: &rdkafka::ClientConfig) -> Self {
        let auto_offset_reset = config.get("auto.offset.reset");
        // librdkafka refuses to mix eager and cooperative assignors, so the strategy names the
        // protocol. Asking the consumer instead (`rebalance_protocol`) waits on its main thread,
        // which never answers while a rebalance callback runs inside the consumer's close.
        let cooperative = config
            .get("partition.assignment.strategy")
            .is_some_and(|s| s.contains("cooperative"));
        let reset = match auto_offset_reset.map(str::trim) {
            Some("earliest" | "smallest" | "beginning") => Some(Offset::Beginning),
            Some("latest" | "largest" | "end") | None => Some(Offset::End),
            Some(_) => None,
        };
        Self {
            task: Arc::from(task),
            stats,
            shared: Arc::default(),
            reset,
            closing: Arc::default(),
            cooperative,
            login: Arc::default(),
        }
    }

    /// See [`ClosingGuard`].
    pub fn closing_guard(&self) -> ClosingGuard {
        ClosingGuard(Arc::clone(&self.closing))
    }

    /// Gives every newly assigned partition its start position: the group's committed offset,
    /// else the reset position. librdkafka finds the same positions by itself, but for a
    /// partition without a committed offset it waits a fixed 100 ms before asking for the reset
    /// position — a tenth of a second on every fresh sink's first record.
    fn start_positions(&self, consumer: &BaseConsumer<Self>, list: &mut TopicPartitionList) {
        let Some(reset) = self.reset else {
            return;
        };
        let committed = match consumer.committed_offsets(list.clone(), COMMITTED_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(message = "Committed offsets unavailable; the consumer looks them up itself.", task = %self.task, error = %e);
                return;
            }
        };
        for element in committed.elements() {
            let offset = match element.offset() {
                Offset::Offset(o) if o >= 0 => Offset::Offset(o),
                _ => reset,
            };
            if let Some(mut target) = list.find_partition(element.topic(), element.partition()) {
                let _ = target.set_offset(offset);
            }
            tracing::debug!(message = "Start position.", task = %self.task, topic = element.topic(), partition = element.partition(), committed = ?element.offset(), start = ?offset);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Assignment changes since the last call, in order.
    pub fn take_events(&self) -> Vec<GroupEvent> {
        std::mem::take(&mut self.lock().events)
    }

    /// Hands revoked partitions back to the group once the task is done with them.
    pub fn complete_revoke(
        &self,
        consumer: &ShardConsumer<SinkConsumerContext>,
    ) -> KafkaResult<()> {
        let Some((list, cooperative)) = self.lock().revoking.take() else {
            return Ok(());
        };
        if cooperative {
            consumer.incremental_unassign(&list)
        } else {
            consumer.unassign()
        }
    }
}

fn partitions(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

impl ClientContext for SinkConsumerContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        // A subscribed topic that does not exist yet is reported here too; the task logs it.
        if self.login.observe(&error, reason) {
            tracing::error!(message = "The cluster refused the consumer's login.", task = %self.task, error = %error, reason);
        } else if error.rdkafka_error_code()
            == Some(rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition)
        {
            tracing::debug!(message = "Consumer: topic not available yet.", task = %self.task, reason);
        } else {
            tracing::error!(message = "Consumer error.", task = %self.task, error = %error, reason);
        }
    }

    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, line: &str) {
        crate::kafka::forward_log(level, facility, line);
        if self.login.observe_log(facility, line) {
            tracing::error!(message = "The cluster refused the consumer's connection.", task = %self.task, reason = ?self.login.failure().map(|(_, r)| r));
        }
    }

    fn stats(&self, statistics: Statistics) {
        // Lag is -1 for partitions this consumer does not fetch.
        let lag: i64 = statistics
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .sum();
        self.stats.set_consumer_lag(lag);
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        list: &mut TopicPartitionList,
    ) {
        let cooperative = self.cooperative;
        // Inside the consumer's close, librdkafka can still deliver an assignment after the
        // group has terminated (a join that completed while the task's last steps ran). It
        // drops a group call made then without answering it, and the call (`assign`,
        // `unassign`) would wait forever on the closing thread: the task's stop, and with it a
        // connector's delete or the worker's shutdown, would never end. A terminated group has
        // nothing left to answer.
        if consumer.closed() {
            tracing::debug!(message = "Group already closed; assignment change ignored.", task = %self.task, event = ?err);
            return;
        }
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                // While the consumer closes, nobody will read these partitions: no lookups.
                if !self.closing.load(Ordering::Acquire) {
                    self.start_positions(consumer, list);
                }
                let assigned = if cooperative {
                    consumer.incremental_assign(list)
                } else {
                    consumer.assign(list)
                };
                if let Err(e) = assigned {
                    tracing::error!(message = "Assigning partitions failed.", task = %self.task, error = %e);
                }
                self.post_rebalance(consumer, &Rebalance::Assign(list));
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                if self.closing.load(Ordering::Acquire) {
                    // The driver has committed and closed the task already.
                    let revoked = if cooperative {
                        consumer.incremental_unassign(list)
                    } else {
                        consumer.unassign()
                    };
                    if let Err(e) = revoked {
                        tracing::warn!(message = "Revoking partitions on close failed.", task = %self.task, error = %e);
                    }
                    return;
                }
                // Completed by the driver (`complete_revoke`) after it committed.
                let mut shared = self.lock();
                shared.events.push(GroupEvent::Revoked(partitions(list)));
                shared.revoking = Some((list.clone(), cooperative));
            }
            other => {
                let error = rdkafka::error::KafkaError::Rebalance(other.into());
                self.post_rebalance(consumer, &Rebalance::Error(error));
                // As librdkafka requires after a rebalance error: drop the assignment.
                if let Err(e) = consumer.unassign() {
                    tracing::error!(message = "Clearing the assignment failed.", task = %self.task, error = %e);
                }
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => self
                .lock()
                .events
                .push(GroupEvent::Assigned(partitions(list))),
            Rebalance::Error(e) => {
                tracing::warn!(message = "Rebalance error.", task = %self.task, error = %e);
            }
            Rebalance::Revoke(_) => {}
        }
    }
}
