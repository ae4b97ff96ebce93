//! Runs a sink task on its shard: consume a batch → put → (every flush interval) pre-commit →
//! commit, as the steps of a `SinkDriver` that owns the run's state: the task, its consumer
//! (behind the `SinkConsumer` seam), the partitions' positions, the dead letter queue, the
//! task's context and the commit clock.
//!
//! One turn of the loop (`SinkDriver::drive`):
//!
//! 1. `next_batch`: raw records from the consumer;
//! 2. `rebalance`: the group's assignment changes seen meanwhile (see
//!    [`sink_group`](super::sink_group)); records of revoked partitions are dropped;
//! 3. `apply_context_requests`: the task's seeks and
//!    pause / resume; fetched records of a partition just seeked are stale and dropped;
//! 4. `hold_back_paused`: records of paused partitions fetched
//!    before the pause took effect wait for the resume, which seeks back to the first of them;
//! 5. `deliver`: decode, transform (failures go through the
//!    record-error operator and the dead letter queue), `put`; the positions move only once the
//!    batch is put; requests made during `put` are applied at once;
//! 6. `maybe_commit`: when the task asked for it or the flush
//!    interval passed, `commit`.
//!
//! `stop` is the one way out once the task started: it commits, closes the
//! task's partitions, stops the task and closes the consumer.
//!
//! Delivery guarantee (at-least-once): consumer offsets are committed only after the task's
//! `pre_commit` (by default `flush`) returned them, so everything committed is durable in the
//! target system. After a crash the consumer group resumes at the last commit and the task sees at
//! most one flush interval of records again. A task that stores its offsets with its data returns
//! nothing from `pre_commit`, and nothing is committed for it.
//!
//! Rebalances: when partitions are revoked, the driver pre-commits and commits everything put so
//! far while the group still counts them as this task's, calls the task's `close`, drops their
//! records still in the batch, and only then lets the group move them (see
//! [`sink_group`](super::sink_group)) — the next owner continues exactly where this task stopped.
//! Newly assigned partitions go to `open`, where a task may seek.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::CommitMode;

use connect_api::data::{SchemaAndValue, Value};
use converters::Converter;

use super::convert::TaskConverters;
use super::dlq::DeadLetterQueue;
use super::errors::Stage;
use super::headers;
use super::operator::{
    CONNECT_EXCEPTION, DATA_EXCEPTION, Handled, RecordErrors, Rejection, StageError,
};
use super::passthrough::Passthrough;
use super::retry::Backoff;
use super::sink_group::{KafkaSinkConsumer, PartitionSet, SinkConsumer, kafka_error};
use crate::record::RawRecord;
use connect_api::{ErrorClass, SinkRecord, SinkTask, SinkTaskControl, TaskError, TopicPartition};
use transforms::{ConnectRecord, TransformChain};

use super::{TaskEnv, TaskId};

/// What to subscribe to.
#[derive(Debug, Clone)]
pub enum Subscription {
    Topics(Vec<String>),
    /// A regex over topic names (`topics.regex`).
    Pattern(String),
}

/// What a sink task is given (see [the module docs](super)): the task's environment, and what
/// its consumer reads.
#[derive(Clone)]
pub struct SinkTaskSetup {
    pub env: TaskEnv,
    /// Includes `group.id = connect-<connector>`.
    pub consumer_config: rdkafka::ClientConfig,
    pub subscription: Subscription,
}

impl std::fmt::Debug for SinkTaskSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkTaskSetup")
            .field("id", &self.env.id)
            .finish()
    }
}

/// Offsets per partition: `current` is the offset after the last record put, `committed` what
/// was last committed.
#[derive(Debug, Default)]
pub(super) struct Positions {
    current: BTreeMap<TopicPartition, i64>,
    committed: BTreeMap<TopicPartition, i64>,
    /// Paused partitions whose already-fetched records were held back: the first of them, where
    /// fetching continues on resume.
    resume_at: BTreeMap<TopicPartition, i64>,
}

impl Positions {
    /// Whether something was put since the last commit.
    pub(super) fn dirty(&self) -> bool {
        self.current
            .iter()
            .any(|(tp, o)| self.committed.get(tp) != Some(o))
    }

    /// A partition this task no longer owns.
    pub(super) fn forget(&mut self, tp: &TopicPartition) {
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

/// Runs `task` until the stop signal fires; pre-commits and commits on the way out. A task stopped
/// on purpose (not failed) removes its static member from the group once its consumer is closed,
/// so its partitions move at once — librdkafka never sends LeaveGroup for a static member.
pub async fn run(task: Box<dyn SinkTask>, setup: SinkTaskSetup) -> Result<(), TaskError> {
    let env = &setup.env;
    let mut config = setup.consumer_config.clone();
    let instance = group_instance_id(&config, &env.id);
    match &instance {
        Some(id) => config.set(INSTANCE_ID, id),
        None => config.remove(INSTANCE_ID),
    };
    let result = consume(task, env, &config, &setup.subscription).await;
    if let Some(instance) = instance.filter(|_| env.stop.is_set()) {
        let group = config.get("group.id").unwrap_or_default().to_owned();
        let bootstrap = config
            .get("bootstrap.servers")
            .unwrap_or_default()
            .to_owned();
        let task = env.id.to_string();
        // The consumer's own TLS and SASL settings reach the coordinator too.
        let client: connect_api::config::Properties = config
            .config_map()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        glommio::executor()
            .spawn_blocking(move || {
                let reason = format!("task {task} stopped");
                let left = crate::kafka::wire_auth::WireSecurity::from_props(&client)
                    .map_err(|e| e.to_string())
                    .and_then(|security| {
                        crate::kafka::wire::leave_group(&bootstrap, &group, &instance, &reason, LEAVE_TIMEOUT, &security)
                            .map_err(|e| e.to_string())
                    });
                match left {
                    Ok(()) => tracing::debug!(message = "Static member left the group.", task = %task, group = %group, instance = %instance),
                    Err(e) => tracing::warn!(message = "Could not remove the static member from the group; its partitions move once its session times out.", task = %task, group = %group, instance = %instance, error = %e),
                }
            })
            .await;
    }
    result
}

/// One run on the Kafka consumer: subscribe, start, drive, stop.
async fn consume(
    task: Box<dyn SinkTask>,
    env: &TaskEnv,
    consumer_config: &rdkafka::ClientConfig,
    subscription: &Subscription,
) -> Result<(), TaskError> {
    let consumer =
        KafkaSinkConsumer::subscribe(&env.id, &env.stats, consumer_config, subscription)?;
    let mut driver = SinkDriver::start(env, task, consumer).await?;
    let result = driver.drive().await;
    driver.stop(result).await
}

/// One run of a sink task on its shard (see the module docs for its steps).
pub(crate) struct SinkDriver<C> {
    pub(super) env: TaskEnv,
    pub(super) task: Box<dyn SinkTask>,
    pub(super) consumer: C,
    /// The runtime's end of the task's context: its assignment, pauses and requests.
    pub(super) context: SinkTaskControl,
    pub(super) positions: Positions,
    dlq: DeadLetterQueue,
    errors: RecordErrors,
    converters: TaskConverters,
    transforms: TransformChain,
    lane: Passthrough,
    last_commit: Instant,
}

impl<C: SinkConsumer> SinkDriver<C> {
    /// Sets up everything that can fail (dead letter queue, transforms, converters), then
    /// initializes and starts the task: once `start` returned, [`stop`](Self::stop) is called on
    /// every path.
    pub(crate) async fn start(
        env: &TaskEnv,
        mut task: Box<dyn SinkTask>,
        consumer: C,
    ) -> Result<Self, TaskError> {
        let dlq = env.open_dlq().await?;
        let transforms = env.transforms()?;
        let converters = env.converters.build()?;
        let context = SinkTaskControl::new();
        task.initialize(context.context());
        task.start(&env.parsed_config()?).await?;
        let value_format = converters.value.wire_format();
        let lane = Passthrough::new(
            value_format,
            task.raw_values(&value_format),
            !transforms.is_empty(),
        );
        tracing::debug!(message = "Sink value lane.", task = %env.id, lane = ?lane);
        Ok(Self {
            env: env.clone(),
            task,
            consumer,
            context,
            positions: Positions::default(),
            dlq,
            errors: env.record_errors(),
            converters,
            transforms,
            lane,
            last_commit: Instant::now(),
        })
    }

    /// Turns of the loop until the stop signal fires or a step fails.
    pub(crate) async fn drive(&mut self) -> Result<(), TaskError> {
        while !self.env.stop.is_set() {
            let Some(mut batch) = self.next_batch().await? else {
                break;
            };
            let mut dropped = self.rebalance().await?;
            dropped.extend(self.apply_context_requests()?);
            drop_partitions(&mut batch, &dropped);
            self.hold_back_paused(&mut batch);
            if !batch.is_empty() {
                self.deliver(batch).await?;
                // Requests made during `put` (the records they would drop are put already).
                self.apply_context_requests()?;
            }
            self.maybe_commit().await?;
        }
        Ok(())
    }

    /// The consumer's next batch (maybe empty); `None` once stopped.
    async fn next_batch(&mut self) -> Result<Option<Vec<RawRecord>>, TaskError> {
        self.consumer.next_batch(&self.env.stop).await
    }

    /// Applies what the task asked for through its context: seeks (returning the partitions
    /// whose fetched records are now stale) and pause / resume. A resumed partition whose
    /// records were held back continues at the first of them.
    pub(super) fn apply_context_requests(&mut self) -> Result<PartitionSet, TaskError> {
        let (seeks, changes) = (self.context.take_seeks(), self.context.take_pause_changes());
        let id = &self.env.id;
        let mut stale = PartitionSet::new();
        for (tp, offset) in seeks {
            if !self.context.owns(&tp) {
                tracing::warn!(message = "Ignoring a seek on a partition this task does not own.", task = %id, partition = %tp, offset);
                continue;
            }
            self.consumer
                .seek(&tp, offset)
                .map_err(|e| kafka_error(id, &format!("cannot seek {tp} to offset {offset}"), e))?;
            tracing::debug!(message = "Seeked.", task = %id, partition = %tp, offset);
            stale.insert((Arc::clone(&tp.topic), tp.partition));
            self.positions.resume_at.remove(&tp);
            self.positions.current.insert(tp, offset);
        }
        for (tp, pause) in changes {
            if !self.context.owns(&tp) {
                tracing::warn!(message = "Ignoring pause/resume of a partition this task does not own.", task = %id, partition = %tp);
                continue;
            }
            let one = std::slice::from_ref(&tp);
            if pause {
                self.consumer.pause(one)
            } else {
                self.consumer.resume(one)
            }
            .map_err(|e| kafka_error(id, &format!("cannot pause/resume {tp}"), e))?;
            self.context.set_paused(tp.clone(), pause);
            if !pause && let Some(offset) = self.positions.resume_at.remove(&tp) {
                self.consumer.seek(&tp, offset).map_err(|e| {
                    kafka_error(id, &format!("cannot seek {tp} to offset {offset}"), e)
                })?;
            }
        }
        Ok(stale)
    }

    /// Records of paused partitions fetched before the pause took effect wait for the resume:
    /// dropped here, and the first dropped offset of each is where fetching continues.
    fn hold_back_paused(&mut self, batch: &mut Vec<RawRecord>) {
        if batch.is_empty() || !self.context.any_paused() {
            return;
        }
        let (context, positions) = (&self.context, &mut self.positions);
        batch.retain(|r| {
            let tp = TopicPartition::new(Arc::clone(&r.topic), r.partition);
            if !context.is_paused(&tp) {
                return true;
            }
            positions.resume_at.entry(tp).or_insert(r.offset);
            false
        });
    }

    /// Decodes and transforms the batch's records (those that fail go through the record-error
    /// operator and the dead letter queue) and puts them. Only once `put` returned do the
    /// partitions' positions move past the batch: a batch that fails is not committed, so its
    /// records are read again after a restart.
    async fn deliver(&mut self, raws: Vec<RawRecord>) -> Result<(), TaskError> {
        let bytes: usize = raws.iter().map(|r| r.size()).sum();
        let count = raws.len();
        let batch_end = batch_end(&raws);
        let mut records = Vec::with_capacity(raws.len());
        for raw in &raws {
            if let Some(record) = decode(
                &self.errors,
                &self.converters,
                &self.transforms,
                self.lane,
                &mut self.dlq,
                raw,
            )
            .await?
            {
                records.push(record);
            }
        }
        let put_started = Instant::now();
        put(
            &self.errors,
            &mut *self.task,
            &mut self.dlq,
            &records,
            &raws,
        )
        .await?;
        self.env.stats.observe_batch(count, put_started.elapsed());
        self.positions.current.extend(batch_end);
        self.env.stats.add(count, bytes);
        Ok(())
    }

    /// Commits when the task asked for it or the flush interval passed, if anything was put
    /// since the last commit.
    async fn maybe_commit(&mut self) -> Result<(), TaskError> {
        let requested = self.context.take_commit_request();
        if (requested || self.last_commit.elapsed() >= self.env.flush_interval)
            && self.positions.dirty()
        {
            self.commit(CommitMode::Async).await?;
            self.last_commit = Instant::now();
        }
        Ok(())
    }

    /// `pre_commit`, then commits what it returned for partitions this task still owns (nothing
    /// for a task that stores its offsets itself).
    pub(super) async fn commit(&mut self, mode: CommitMode) -> Result<(), TaskError> {
        let safe = self.task.pre_commit(&self.positions.current).await?;
        // Records the DLQ took count as handled only once Kafka has them.
        self.dlq.flush().await?;
        let owned: BTreeMap<TopicPartition, i64> = safe
            .into_iter()
            .filter(|(tp, offset)| {
                self.context.owns(tp) && self.positions.committed.get(tp) != Some(offset)
            })
            .collect();
        if owned.is_empty() {
            return Ok(());
        }
        if let Some((tp, _)) = owned.iter().find(|(_, offset)| **offset < 0) {
            return Err(TaskError::new(
                ErrorClass::Fatal,
                format!("bad offset for {tp}"),
            ));
        }
        self.consumer
            .commit(&owned, mode)
            .map_err(|e| kafka_error(&self.env.id, "offset commit failed", e))?;
        self.positions.committed.extend(owned);
        Ok(())
    }

    /// The one way out once the task started, also after an error (records before a failing
    /// batch were accepted): makes what was put durable and commits it, closes the task's
    /// partitions, stops the task, hands back a revocation still waiting and closes the
    /// consumer. Returns the first error of the run and of these steps.
    pub(crate) async fn stop(mut self, result: Result<(), TaskError>) -> Result<(), TaskError> {
        let committed = if self.positions.dirty() {
            self.commit(CommitMode::Sync).await
        } else {
            self.dlq.flush().await
        };
        let owned = self.context.assignment();
        let closed = if owned.is_empty() {
            Ok(())
        } else {
            self.task.close(&owned).await
        };
        let stopped = self.task.stop().await;
        self.hand_back_revoked();
        self.consumer.close().await;
        result.and(committed).and(closed).and(stopped)
    }
}

/// Drops the batch's records of `partitions`.
fn drop_partitions(batch: &mut Vec<RawRecord>, partitions: &PartitionSet) {
    if !partitions.is_empty() {
        batch.retain(|r| !partitions.contains(&(Arc::clone(&r.topic), r.partition)));
    }
}

/// Per partition of the batch, the offset after its last record: where it continues once the
/// batch is put.
fn batch_end(raws: &[RawRecord]) -> Vec<(TopicPartition, i64)> {
    let mut end: Vec<(TopicPartition, i64)> = Vec::new();
    for r in raws {
        match end.last_mut() {
            Some((tp, next)) if Arc::ptr_eq(&tp.topic, &r.topic) && tp.partition == r.partition => {
                *next = r.offset + 1
            }
            _ => end.push((
                TopicPartition::new(Arc::clone(&r.topic), r.partition),
                r.offset + 1,
            )),
        }
    }
    end
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
        Err(e) if e.class() == ErrorClass::BadData && errors.policy.tolerate_all => {
            tracing::warn!(message = "put refused a batch as bad data; putting its records one by one.", task = %errors.id, error = %e);
        }
        other => return other,
    }
    for record in records {
        match put_retrying(errors, task, std::slice::from_ref(record)).await {
            Err(e) if e.class() == ErrorClass::BadData => {
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
            Err(e) if e.class() == ErrorClass::Retriable => match backoff.next_delay() {
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
