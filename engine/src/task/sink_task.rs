//! Runs a sink task on its shard: consume a batch → put → (every flush interval) pre-commit →
//! commit.
//!
//! Delivery guarantee (at-least-once): consumer offsets are committed only after the task's
//! `pre_commit` (by default `flush`) returned them, so everything committed is durable in the
//! target system. After a crash the consumer group resumes at the last commit and the task sees at
//! most one flush interval of records again.
//!
//! Rebalances: when partitions are revoked, the runtime pre-commits and commits everything put so
//! far while the group still counts them as this task's, calls the task's `close`, drops their
//! records still in the batch, and only then lets the group move them (see
//! [`sink_group`](super::sink_group)) — the next owner continues exactly where this task stopped.
//! Newly assigned partitions go to `open`, where a task may seek.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};

use connect_api::data::{SchemaAndValue, Value};
use converters::Converter;

use super::convert::{RecordConverters, TaskConverters};
use super::dlq::DeadLetterQueue;
use super::errors::{ErrorPolicy, Stage};
use super::headers;
use super::operator::{
    CONNECT_EXCEPTION, DATA_EXCEPTION, Handled, RecordErrors, Rejection, StageError,
};
use super::passthrough::Passthrough;
use super::retry::Backoff;
use super::sink_group::{GroupEvent, SinkConsumer, SinkConsumerContext};
use crate::record::{BatchBuilder, RawRecord};
use connect_api::{ErrorClass, SinkRecord, SinkTask, SinkTaskControl, TaskError, TopicPartition};
use transforms::{ConnectRecord, TransformChain};

use super::{StopSignal, TaskId, TaskStats};

/// Most records handed to one `put`.
const MAX_BATCH: usize = 4096;
/// How long one wait for the first record of a batch lasts before checking for stop / flush.
const IDLE_WAIT: Duration = Duration::from_millis(100);
/// Seeks do not wait for the consumer's answer (librdkafka: a zero timeout makes the seek
/// asynchronous; a failure arrives as a consumer error), so a seek never blocks the shard.
const SEEK_ASYNC: Duration = Duration::ZERO;

/// What to subscribe to.
#[derive(Debug, Clone)]
pub enum Subscription {
    Topics(Vec<String>),
    /// A regex over topic names (`topics.regex`).
    Pattern(String),
}

/// Everything a sink task run needs, built on the control plane.
#[derive(Clone)]
pub struct SinkRun {
    pub id: TaskId,
    pub converters: RecordConverters,
    pub errors: ErrorPolicy,
    /// For the dead letter queue, when `errors.deadletterqueue.topic.name` is set.
    pub producer_config: rdkafka::ClientConfig,
    pub bootstrap: String,
    /// The task's config as the connector planned it; parsed with `spec` before `start`.
    pub config: connect_api::config::Properties,
    /// The connector's config spec ([`Connector::config_def`](connect_api::Connector::config_def)).
    pub spec: Arc<connect_api::ConfigDef>,
    /// Includes `group.id = connect-<connector>`.
    pub consumer_config: rdkafka::ClientConfig,
    pub subscription: Subscription,
    pub flush_interval: Duration,
    pub stop: StopSignal,
    pub stats: Arc<TaskStats>,
}

impl std::fmt::Debug for SinkRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkRun").field("id", &self.id).finish()
    }
}

/// A client error, classified (a bad `consumer.*` override is a config error, not a restart loop).
fn kafka_error(run: &SinkRun, what: &str, e: rdkafka::error::KafkaError) -> TaskError {
    TaskError::with_source(
        crate::kafka::error_class(&e),
        format!("{}: {what}: {e}", run.id),
        e,
    )
}

/// Offsets per partition: `current` is the offset after the last record put, `committed` what
/// was last committed.
#[derive(Debug, Default)]
struct Positions {
    current: BTreeMap<TopicPartition, i64>,
    committed: BTreeMap<TopicPartition, i64>,
    /// Paused partitions whose already-fetched records were dropped: the first dropped offset,
    /// where fetching continues on resume.
    resume_at: BTreeMap<TopicPartition, i64>,
}

impl Positions {
    fn dirty(&self) -> bool {
        self.current
            .iter()
            .any(|(tp, o)| self.committed.get(tp) != Some(o))
    }

    fn forget(&mut self, tp: &TopicPartition) {
        self.current.remove(tp);
        self.committed.remove(tp);
        self.resume_at.remove(tp);
    }
}

/// The `group.instance.id` of a task's consumer (static membership, KIP-345): a task restarted
/// after a crash rejoins as the same member and gets its partitions back at once, instead of
/// waiting `session.timeout.ms` (45 s) for the dead member to expire. The id is
/// `<prefix>-<connector>-<task>`, stable across restarts: the prefix is the worker's
/// `consumer.group.instance.id` (one worker runs many tasks, so the setting is a prefix), else
/// `connect`. An empty `consumer.group.instance.id=` turns static membership off. A second live
/// copy of the same task joining with the same id fences the first, which fails (not restarted)
/// instead of consuming beside it.
pub fn group_instance_id(config: &rdkafka::ClientConfig, id: &TaskId) -> Option<String> {
    let prefix = match config.get(INSTANCE_ID) {
        Some(p) if p.trim().is_empty() => return None,
        Some(p) => p.trim(),
        None => "connect",
    };
    Some(format!("{prefix}-{}-{}", id.connector, id.task))
}

const INSTANCE_ID: &str = "group.instance.id";
/// How long a deliberate stop waits for the group coordinator to remove the static member.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `task` until `run.stop` fires; pre-commits and commits on the way out. A task stopped
/// on purpose (not failed) removes its static member from the group once its consumer is closed,
/// so its partitions move at once — librdkafka never sends LeaveGroup for a static member.
pub async fn run(task: Box<dyn SinkTask>, run: SinkRun) -> Result<(), TaskError> {
    let mut config = run.consumer_config.clone();
    let instance = group_instance_id(&config, &run.id);
    match &instance {
        Some(id) => config.set(INSTANCE_ID, id),
        None => config.remove(INSTANCE_ID),
    };
    let result = consume(task, &run, &config).await;
    if let Some(instance) = instance.filter(|_| run.stop.is_set()) {
        let group = config.get("group.id").unwrap_or_default().to_owned();
        let bootstrap = config
            .get("bootstrap.servers")
            .unwrap_or_default()
            .to_owned();
        let task = run.id.to_string();
        glommio::executor()
            .spawn_blocking(move || {
                let reason = format!("task {task} stopped");
                match crate::kafka::wire::leave_group(&bootstrap, &group, &instance, &reason, LEAVE_TIMEOUT) {
                    Ok(()) => tracing::debug!(message = "Static member left the group.", task = %task, group = %group, instance = %instance),
                    Err(e) => tracing::warn!(message = "Could not remove the static member from the group; its partitions move once its session times out.", task = %task, group = %group, instance = %instance, error = %e),
                }
            })
            .await;
    }
    result
}

async fn consume(
    mut task: Box<dyn SinkTask>,
    run: &SinkRun,
    consumer_config: &rdkafka::ClientConfig,
) -> Result<(), TaskError> {
    let group =
        SinkConsumerContext::new(run.id.to_string(), Arc::clone(&run.stats), consumer_config);
    let consumer: SinkConsumer = consumer_config
        .create_with_context(group.clone())
        .map_err(|e| kafka_error(run, "cannot create consumer", e))?;
    // Dropped before the consumer: revocations during its close complete at once.
    let closing = group.closing_guard();
    match &run.subscription {
        Subscription::Topics(topics) => {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            consumer.subscribe(&topics)
        }
        // librdkafka treats a subscription starting with '^' as a regex.
        Subscription::Pattern(regex) => {
            consumer.subscribe(&[&format!("^{}", regex.trim_start_matches('^'))])
        }
    }
    .map_err(|e| kafka_error(run, "cannot subscribe", e))?;
    // Everything that can fail is set up before `start`: `start` and `stop` are paired.
    let mut dlq = DeadLetterQueue::open(
        &run.id,
        &run.errors,
        &run.bootstrap,
        &run.producer_config,
        &run.stats,
    )
    .await?;
    // Built here, on the shard: a chain caches derived schemas and is used by this task only.
    let transforms = TransformChain::from_config(&run.config)
        .map_err(|e| TaskError::with_source(ErrorClass::Config, format!("{}: {e}", run.id), e))?;
    let converters = run.converters.build()?;
    let errors = RecordErrors {
        id: run.id.clone(),
        policy: run.errors.clone(),
        stop: run.stop.clone(),
    };
    let context = SinkTaskControl::new();
    task.initialize(context.context());
    task.start(&super::parsed_config(&run.id, &run.spec, &run.config)?)
        .await?;
    let value_format = converters.value.wire_format();
    let lane = Passthrough::new(
        value_format,
        task.raw_values(&value_format),
        !transforms.is_empty(),
    );
    tracing::debug!(message = "Sink value lane.", task = %run.id, lane = ?lane);

    let mut positions = Positions::default();
    let mut builder = BatchBuilder::with_capacity(MAX_BATCH, MAX_BATCH * 256);
    let mut last_commit = Instant::now();
    let result: Result<(), TaskError> = async {
        while !run.stop.is_set() {
            // A busy task always finds a record ready and would never wait: once per batch it
            // lets the shard's other tasks (and stops, commits, rebalances) have their turn.
            glommio::executor().yield_now().await;
            // Waits for the first record at most IDLE_WAIT (rebalances, commits due), and not at
            // all once stopped.
            let first = run
                .stop
                .or(glommio::timer::timeout(IDLE_WAIT, async {
                    Ok(consumer.recv().await)
                }))
                .await;
            match first {
                Some(Ok(Ok(message))) => {
                    builder.push(&message);
                    drop(message);
                }
                Some(Ok(Err(e))) => consumer_error(run, e)?,
                Some(Err(_)) => {}
                None => break,
            }
            // Take what is already buffered without waiting.
            while !builder.is_empty() && builder.len() < MAX_BATCH {
                match consumer.recv().now_or_never() {
                    Some(Ok(message)) => builder.push(&message),
                    Some(Err(e)) => {
                        consumer_error(run, e)?;
                        break;
                    }
                    None => break,
                }
            }
            let mut raws = if builder.is_empty() {
                Vec::new()
            } else {
                builder.finish()
            };
            // Rebalances seen while receiving: records of partitions this task lost are left to
            // their next owner.
            let mut dropped = rebalance(
                run,
                &mut *task,
                &mut dlq,
                &consumer,
                &group,
                &context,
                &mut positions,
            )
            .await?;
            dropped.extend(apply_requests(run, &consumer, &context, &mut positions)?);
            if !dropped.is_empty() {
                raws.retain(|r| !dropped.contains(&(Arc::clone(&r.topic), r.partition)));
            }
            // Records of paused partitions fetched before the pause took effect wait for resume.
            if !raws.is_empty() && context.any_paused() {
                raws.retain(|r| {
                    let tp = TopicPartition::new(Arc::clone(&r.topic), r.partition);
                    if !context.is_paused(&tp) {
                        return true;
                    }
                    positions.resume_at.entry(tp).or_insert(r.offset);
                    false
                });
            }
            if !raws.is_empty() {
                let bytes: usize = raws.iter().map(|r| r.size()).sum();
                let count = raws.len();
                // Offsets to record once this batch is put: a batch that fails is not committed,
                // so its records are read again after a restart.
                let mut batch_end: Vec<(TopicPartition, i64)> = Vec::new();
                for r in &raws {
                    match batch_end.last_mut() {
                        Some((tp, next))
                            if Arc::ptr_eq(&tp.topic, &r.topic) && tp.partition == r.partition =>
                        {
                            *next = r.offset + 1
                        }
                        _ => batch_end.push((
                            TopicPartition::new(Arc::clone(&r.topic), r.partition),
                            r.offset + 1,
                        )),
                    }
                }
                let mut records = Vec::with_capacity(raws.len());
                for raw in &raws {
                    if let Some(record) =
                        decode(&errors, &converters, &transforms, lane, &mut dlq, raw).await?
                    {
                        records.push(record);
                    }
                }
                let put_started = Instant::now();
                put(&errors, &mut *task, &mut dlq, &records, &raws).await?;
                run.stats.observe_batch(count, put_started.elapsed());
                positions.current.extend(batch_end);
                run.stats.add(count, bytes);
                apply_requests(run, &consumer, &context, &mut positions)?;
            }
            let requested = context.take_commit_request();
            if (requested || last_commit.elapsed() >= run.flush_interval) && positions.dirty() {
                commit(
                    run,
                    &mut *task,
                    &mut dlq,
                    &consumer,
                    &context,
                    &mut positions,
                    CommitMode::Async,
                )
                .await?;
                last_commit = Instant::now();
            }
        }
        Ok(())
    }
    .await;
    // On the way out, make what was put durable and commit it, also after a put error: records
    // before the failing batch were accepted.
    let committed = if positions.dirty() {
        commit(
            run,
            &mut *task,
            &mut dlq,
            &consumer,
            &context,
            &mut positions,
            CommitMode::Sync,
        )
        .await
    } else {
        dlq.flush().await
    };
    let owned = context.assignment();
    let closed = if owned.is_empty() {
        Ok(())
    } else {
        task.close(&owned).await
    };
    let stopped = task.stop().await;
    // A revocation seen but not handled (the loop ended first): the task is done with everything.
    if let Err(e) = group.complete_revoke(&consumer) {
        tracing::warn!(message = "Handing revoked partitions back failed.", task = %run.id, error = %e);
    }
    // Closing the consumer waits for the group (a join in progress, the last rebalance): on a
    // blocking thread, so the shard's other tasks run on meanwhile. Revocations during the close
    // complete at once (the guard is dropped first).
    drop(closing);
    glommio::executor()
        .spawn_blocking(move || drop(consumer))
        .await;
    result.and(committed).and(closed).and(stopped)
}

/// Applies the group's assignment changes the consumer saw: `close` for revoked partitions,
/// `open` for assigned ones (pauses the task asked for are applied again). Returns the revoked
/// partitions.
#[allow(clippy::too_many_arguments)]
async fn rebalance(
    run: &SinkRun,
    task: &mut dyn SinkTask,
    dlq: &mut DeadLetterQueue,
    consumer: &SinkConsumer,
    group: &SinkConsumerContext,
    context: &SinkTaskControl,
    positions: &mut Positions,
) -> Result<BTreeSet<(Arc<str>, i32)>, TaskError> {
    let mut revoked_all = BTreeSet::new();
    for event in group.take_events() {
        match event {
            GroupEvent::Revoked(list) => {
                // The group waits for `complete_revoke`: commit now, while these partitions are
                // still this task's, so their next owner starts after the last record put here.
                let committed = if positions.dirty() {
                    commit(
                        run,
                        task,
                        dlq,
                        consumer,
                        context,
                        positions,
                        CommitMode::Sync,
                    )
                    .await
                } else {
                    Ok(())
                };
                let revoked = context.revoke(&list);
                for tp in &revoked {
                    positions.forget(tp);
                    revoked_all.insert((Arc::clone(&tp.topic), tp.partition));
                }
                tracing::info!(message = "Partitions revoked.", task = %run.id, partitions = %join(&revoked));
                let closed = if revoked.is_empty() {
                    Ok(())
                } else {
                    task.close(&revoked).await
                };
                let handed_back = group
                    .complete_revoke(consumer)
                    .map_err(|e| kafka_error(run, "cannot hand revoked partitions back", e));
                committed.and(closed).and(handed_back)?;
            }
            GroupEvent::Assigned(list) => {
                let repause = context.assign(&list);
                for tp in &list {
                    revoked_all.remove(&(Arc::clone(&tp.topic), tp.partition));
                }
                tracing::info!(message = "Partitions assigned.", task = %run.id, partitions = %join(&list));
                if !repause.is_empty() {
                    consumer
                        .pause(&partition_list(&repause, None)?)
                        .map_err(|e| kafka_error(run, "cannot pause partitions", e))?;
                }
                task.open(&list).await?;
            }
        }
    }
    Ok(revoked_all)
}

/// Applies what the task asked for through its context: seeks (returning the partitions whose
/// fetched records are now stale) and pause / resume.
fn apply_requests(
    run: &SinkRun,
    consumer: &SinkConsumer,
    context: &SinkTaskControl,
    positions: &mut Positions,
) -> Result<BTreeSet<(Arc<str>, i32)>, TaskError> {
    let (seeks, changes) = (context.take_seeks(), context.take_pause_changes());
    let mut stale = BTreeSet::new();
    for (tp, offset) in seeks {
        if !context.owns(&tp) {
            tracing::warn!(message = "Ignoring a seek on a partition this task does not own.", task = %run.id, partition = %tp, offset);
            continue;
        }
        consumer
            .seek(&tp.topic, tp.partition, Offset::Offset(offset), SEEK_ASYNC)
            .map_err(|e| kafka_error(run, &format!("cannot seek {tp} to offset {offset}"), e))?;
        tracing::debug!(message = "Seeked.", task = %run.id, partition = %tp, offset);
        stale.insert((Arc::clone(&tp.topic), tp.partition));
        positions.resume_at.remove(&tp);
        positions.current.insert(tp, offset);
    }
    for (tp, pause) in changes {
        if !context.owns(&tp) {
            tracing::warn!(message = "Ignoring pause/resume of a partition this task does not own.", task = %run.id, partition = %tp);
            continue;
        }
        let list = partition_list(std::slice::from_ref(&tp), None)?;
        if pause {
            consumer.pause(&list)
        } else {
            consumer.resume(&list)
        }
        .map_err(|e| kafka_error(run, &format!("cannot pause/resume {tp}"), e))?;
        context.set_paused(tp.clone(), pause);
        if !pause && let Some(offset) = positions.resume_at.remove(&tp) {
            consumer
                .seek(&tp.topic, tp.partition, Offset::Offset(offset), SEEK_ASYNC)
                .map_err(|e| {
                    kafka_error(run, &format!("cannot seek {tp} to offset {offset}"), e)
                })?;
        }
    }
    Ok(stale)
}

fn join(list: &[TopicPartition]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn partition_list(
    list: &[TopicPartition],
    offsets: Option<&BTreeMap<TopicPartition, i64>>,
) -> Result<TopicPartitionList, TaskError> {
    let mut tpl = TopicPartitionList::new();
    for tp in list {
        match offsets.and_then(|o| o.get(tp)) {
            Some(offset) => tpl
                .add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .map_err(|e| {
                    TaskError::with_source(ErrorClass::Fatal, format!("bad offset for {tp}"), e)
                })?,
            None => {
                tpl.add_partition(&tp.topic, tp.partition);
            }
        }
    }
    Ok(tpl)
}

/// `pre_commit`, then commits what it returned for partitions this task still owns.
#[allow(clippy::too_many_arguments)]
async fn commit(
    run: &SinkRun,
    task: &mut dyn SinkTask,
    dlq: &mut DeadLetterQueue,
    consumer: &SinkConsumer,
    context: &SinkTaskControl,
    positions: &mut Positions,
    mode: CommitMode,
) -> Result<(), TaskError> {
    let safe = task.pre_commit(&positions.current).await?;
    // Records the DLQ took count as handled only once Kafka has them.
    dlq.flush().await?;
    let owned: BTreeMap<TopicPartition, i64> = safe
        .into_iter()
        .filter(|(tp, offset)| context.owns(tp) && positions.committed.get(tp) != Some(offset))
        .collect();
    if owned.is_empty() {
        return Ok(());
    }
    let list: Vec<TopicPartition> = owned.keys().cloned().collect();
    consumer
        .commit(&partition_list(&list, Some(&owned))?, mode)
        .map_err(|e| kafka_error(run, "offset commit failed", e))?;
    positions.committed.extend(owned);
    Ok(())
}

/// librdkafka reports most consumer errors for information and recovers by itself (a subscribed
/// topic that does not exist yet, a partition leader moving); only fatal errors end the task.
fn consumer_error(run: &SinkRun, error: rdkafka::error::KafkaError) -> Result<(), TaskError> {
    match error {
        KafkaError::MessageConsumptionFatal(RDKafkaErrorCode::FencedInstanceId) => {
            Err(kafka_error(
                run,
                "fenced: another consumer joined the group with this task's group.instance.id \
                 (a second copy of the task is running); this copy stops so that no record is \
                 consumed twice",
                error,
            ))
        }
        KafkaError::MessageConsumptionFatal(_) => Err(kafka_error(run, "consumer failed", error)),
        KafkaError::MessageConsumption(RDKafkaErrorCode::UnknownTopicOrPartition) => {
            // Sinks often start before their topics exist; the consumer finds them when they do.
            tracing::info!(message = "Waiting for a subscribed topic to exist.", task = %run.id);
            Ok(())
        }
        other => {
            tracing::warn!(message = "Consumer reported an error; continuing.", task = %run.id, error = %other);
            Ok(())
        }
    }
}

/// Delivers a batch: `put`, retried with backoff within `errors.retry.timeout` while it fails
/// with a retriable error (Kafka Connect's `RetriableException`; the task and its consumer stay
/// as they are). When `put` says the batch holds bad data, under `errors.tolerance=all` each
/// record is put on its own and the ones refused go to the dead letter queue; otherwise the task
/// fails and nothing of the batch is committed.
async fn put(
    errors: &RecordErrors,
    task: &mut dyn SinkTask,
    dlq: &mut DeadLetterQueue,
    records: &[SinkRecord],
    raws: &[RawRecord],
) -> Result<(), TaskError> {
    match put_retrying(errors, task, records).await {
        Err(e) if e.class == ErrorClass::BadData && errors.policy.tolerate_all => {
            tracing::warn!(message = "put refused a batch as bad data; putting its records one by one.", task = %errors.id, error = %e);
        }
        other => return other,
    }
    for record in records {
        match put_retrying(errors, task, std::slice::from_ref(record)).await {
            Err(e) if e.class == ErrorClass::BadData => {
                let raw = raws.iter().find(|r| {
                    r.offset == record.offset
                        && r.partition == record.partition
                        && r.topic == record.topic
                });
                let why = Rejection {
                    stage: Stage::TaskPut,
                    class_name: "put".to_owned(),
                    error_type: DATA_EXCEPTION,
                    error: e.to_string(),
                    message: format!(
                        "{}: TASK_PUT failed for record at {}-{} offset {}: {e}",
                        errors.id, record.topic, record.partition, record.offset
                    ),
                };
                errors.skip(dlq, raw, &record, &why).await?;
            }
            other => other?,
        }
    }
    Ok(())
}

/// `put`, called again with the same records while it fails with a retriable error, within
/// `errors.retry.timeout`.
async fn put_retrying(
    errors: &RecordErrors,
    task: &mut dyn SinkTask,
    records: &[SinkRecord],
) -> Result<(), TaskError> {
    let mut backoff = Backoff::new(&errors.policy);
    loop {
        match task.put(records).await {
            Err(e) if e.class == ErrorClass::Retriable => match backoff.next_delay() {
                Some(delay) if !errors.stop.is_set() => {
                    tracing::warn!(message = "put failed; retrying the same batch.", task = %errors.id, error = %e, retry_in = ?delay);
                    if !errors.stop.sleep(delay).await {
                        return Err(e);
                    }
                }
                _ => return Err(e),
            },
            other => return other,
        }
    }
}

/// Reads key and value with the connector's converters and runs the transforms, each through the
/// record-error operator: a record that cannot be read or transformed fails the task, or under
/// `errors.tolerance=all` is logged, sent to the dead letter queue if there is one, and skipped
/// (`None`); so is a record a transform drops. A retriable failure (an unreachable registry) is
/// retried and then fails the task; it never sends the record to the DLQ.
async fn decode(
    errors: &RecordErrors,
    converters: &TaskConverters,
    transforms: &TransformChain,
    lane: Passthrough,
    dlq: &mut DeadLetterQueue,
    raw: &RawRecord,
) -> Result<Option<SinkRecord>, TaskError> {
    let at = || {
        format!(
            "record at {}-{} offset {}",
            raw.topic, raw.partition, raw.offset
        )
    };
    let key = match read(
        errors,
        &*converters.key,
        Stage::KeyConverter,
        raw,
        raw.key.as_ref(),
        &at,
    )
    .await?
    {
        Handled::Done(key) => key,
        Handled::Tolerated(why) => return skip(errors, dlq, raw, &why).await,
    };
    let value_format = raw.value.as_ref().and_then(|v| lane.admits(v));
    let value = match (value_format, &raw.value) {
        (Some(_), Some(bytes)) => SchemaAndValue::new(None, Value::Bytes(bytes.clone())),
        _ => match read(
            errors,
            &*converters.value,
            Stage::ValueConverter,
            raw,
            raw.value.as_ref(),
            &at,
        )
        .await?
        {
            Handled::Done(value) => value,
            Handled::Tolerated(why) => return skip(errors, dlq, raw, &why).await,
        },
    };
    if transforms.is_empty() {
        return Ok(Some(SinkRecord {
            topic: Arc::clone(&raw.topic),
            partition: raw.partition,
            offset: raw.offset,
            timestamp: raw.timestamp,
            key,
            value,
            value_format,
            headers: raw.headers.clone(),
        }));
    }
    let mut input = Some(ConnectRecord {
        topic: Arc::clone(&raw.topic),
        kafka_partition: Some(raw.partition),
        key,
        value,
        timestamp: raw.timestamp,
        headers: headers::to_connect(&raw.headers),
        kafka_offset: Some(raw.offset),
    });
    let outcome = errors
        .execute(Stage::Transformation, "transforms", at, || {
            let record = input.take().ok_or_else(|| StageError {
                class: ErrorClass::Fatal,
                error_type: CONNECT_EXCEPTION,
                error: "transform chain called twice for one record".into(),
                pending: None,
            })?;
            transforms.apply(record).map_err(Into::into)
        })
        .await?;
    match outcome {
        Handled::Done(None) => Ok(None),
        Handled::Done(Some(r)) => Ok(Some(SinkRecord {
            topic: r.topic,
            partition: r.kafka_partition.unwrap_or(raw.partition),
            offset: raw.offset,
            timestamp: r.timestamp,
            key: r.key,
            value: r.value,
            value_format: None,
            headers: headers::to_raw(r.headers),
        })),
        Handled::Tolerated(why) => skip(errors, dlq, raw, &why).await,
    }
}

/// A tolerated record: logged and dead-lettered, then skipped.
async fn skip(
    errors: &RecordErrors,
    dlq: &mut DeadLetterQueue,
    raw: &RawRecord,
    why: &Rejection,
) -> Result<Option<SinkRecord>, TaskError> {
    errors.skip(dlq, Some(raw), raw, why).await?;
    Ok(None)
}

async fn read(
    errors: &RecordErrors,
    converter: &dyn Converter,
    stage: Stage,
    raw: &RawRecord,
    bytes: Option<&bytes::Bytes>,
    at: &impl Fn() -> String,
) -> Result<Handled<SchemaAndValue>, TaskError> {
    errors
        .execute(stage, converter.class_name(), at, || {
            converter
                .to_connect_data(&raw.topic, &raw.headers, bytes)
                .map_err(Into::into)
        })
        .await
}
